//! `GazetteerBuilder` → `Gazetteer`: entries read, checked, normalized, and
//! compiled into an automaton.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::path::Path;

use serde::Serialize;

use crate::compiled::{le_u32, Bytes, ENTRY_LEN};
use crate::engine::{Engine, EngineKind};
use crate::entry::{read_patterns, read_tsv, CasePolicy, Entry, Origin, PatternRecord};
use crate::error::{Error, ErrorKind};
use crate::normalize::{normalize_pattern, Folding};
use crate::pattern::TokenRules;

/// Configures and builds a [`Gazetteer`].
///
/// ```
/// use rubric_gazetteer::{Entry, GazetteerBuilder, Origin};
///
/// let tsv = "# pattern\tlabel\tid\tpriority\nTehran\tGPE\tQ3616\nHamas\tORG\n";
/// let gazetteer = GazetteerBuilder::new()
///     .add_tsv_reader("inline.tsv", tsv.as_bytes())?
///     .add_entry(Entry::new("Baghdad", "GPE", Origin { file: "code".into(), line: 1 }))
///     .build()?;
/// assert_eq!(gazetteer.len(), 3);
/// # Ok::<(), rubric_gazetteer::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct GazetteerBuilder {
    /// `None` until asked for: then the setting of the compiled sources added (a
    /// compiled gazetteer keeps the folding it was built with), else `false`.
    diacritics: Option<bool>,
    /// The compiled sources added, each with whether it folds diacritics.
    compiled: Vec<(String, bool)>,
    labels: Option<Vec<String>>,
    engine: EngineKind,
    /// The entries, stored compactly as they are added (a record each, strings
    /// in one arena, labels and files interned), in the order added: ten
    /// million entries must not be ten million `Entry` values.
    entries: Tables,
    /// An entry did not fit the compact form (a line past 4 Gi, or over 4 GiB
    /// of text): reported by `build`, since `add_entry` cannot fail.
    too_large: bool,
    /// Token patterns and lexicons, from every source (lexicons are shared by
    /// name across sources).
    rules: TokenRules,
}

impl GazetteerBuilder {
    /// A builder with no entries, diacritics significant, any label allowed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fold diacritics when matching (`Müller` ~ `Muller`). Default: as the
    /// compiled gazetteers added with [`GazetteerBuilder::add_path`] were built (an
    /// error at [`GazetteerBuilder::build`] if they differ), else `false`.
    pub fn diacritics(&mut self, fold: bool) -> &mut Self {
        self.diacritics = Some(fold);
        self
    }

    /// The folding to build with: the one asked for, else the compiled sources'
    /// (which must agree), else none.
    fn folds_diacritics(&self) -> Result<bool, Error> {
        if let Some(fold) = self.diacritics {
            return Ok(fold);
        }
        let folding = self.compiled.iter().find(|(_, folds)| *folds);
        let not_folding = self.compiled.iter().find(|(_, folds)| !*folds);
        match (folding, not_folding) {
            (Some((folding, _)), Some((not_folding, _))) => Err(Error::in_file(
                ErrorKind::IncompatibleSettings {
                    folding: folding.clone(),
                    not_folding: not_folding.clone(),
                },
                not_folding.clone(),
            )),
            (folding, _) => Ok(folding.is_some()),
        }
    }

    /// The labels entries may use; an entry with another label is an error at
    /// [`GazetteerBuilder::build`]. `None` (the default) allows any label.
    pub fn labels(&mut self, labels: Option<Vec<String>>) -> &mut Self {
        self.labels = labels;
        self
    }

    /// The automaton to build (default: the double-array one; see the README).
    pub fn engine(&mut self, engine: EngineKind) -> &mut Self {
        self.engine = engine;
        self
    }

    /// Adds one entry. It is checked by [`GazetteerBuilder::build`].
    pub fn add_entry(&mut self, entry: Entry) -> &mut Self {
        self.push(&entry);
        self
    }

    fn push(&mut self, entry: &Entry) {
        if self.entries.store(entry).is_err() {
            self.too_large = true;
        }
    }

    /// Adds the entries of a TSV source (see the crate docs for the format);
    /// `name` is used in origins and errors.
    pub fn add_tsv_reader(&mut self, name: &str, reader: impl BufRead) -> Result<&mut Self, Error> {
        read_tsv(name, reader, |entry| {
            self.push(&entry);
            Ok(())
        })?;
        Ok(self)
    }

    /// Adds the entries of a TSV file.
    pub fn add_tsv_path(&mut self, path: &Path) -> Result<&mut Self, Error> {
        let name = path.display().to_string();
        self.add_tsv_reader(&name, open(path)?)
    }

    /// Adds spaCy EntityRuler patterns (JSON Lines) from a reader; lexicon word
    /// lists are read relative to the directory of `name`.
    pub fn add_patterns_reader(
        &mut self,
        name: &str,
        reader: impl BufRead,
    ) -> Result<&mut Self, Error> {
        self.add_patterns_reader_in(name, Path::new(name).parent(), reader)
    }

    /// Adds spaCy EntityRuler patterns (JSON Lines) from a reader named `name`,
    /// reading lexicon word lists relative to `base`.
    pub fn add_patterns_reader_in(
        &mut self,
        name: &str,
        base: Option<&Path>,
        reader: impl BufRead,
    ) -> Result<&mut Self, Error> {
        read_patterns(name, base, reader, |record| {
            match record {
                PatternRecord::Phrase(entry) => self.push(&entry),
                PatternRecord::Tokens(pattern) => self.rules.patterns.push(*pattern),
                PatternRecord::Lexicon(lexicon) => self.rules.add_lexicon(lexicon)?,
            }
            Ok(())
        })?;
        Ok(self)
    }

    /// Adds spaCy EntityRuler patterns (JSON Lines) from a file.
    pub fn add_patterns_path(&mut self, path: &Path) -> Result<&mut Self, Error> {
        let name = path.display().to_string();
        self.add_patterns_reader_in(&name, path.parent(), open(path)?)
    }

    /// Adds the token patterns and lexicons of a built gazetteer (not its
    /// entries): `rubric gazetteer check --default` reads the default's entries
    /// from its TSV and its token rules from the embedded compiled form.
    pub fn add_token_rules_of(&mut self, gazetteer: &Gazetteer) -> Result<&mut Self, Error> {
        for lexicon in &gazetteer.rules.lexicons {
            self.rules.add_lexicon(lexicon.clone())?;
        }
        self.rules.patterns.extend(gazetteer.rules.patterns.iter().map(|pattern| {
            let mut pattern = pattern.clone();
            // Back to names: indices are renumbered by `finish`.
            pattern.rename_lexicons(&gazetteer.rules.lexicons);
            pattern
        }));
        Ok(self)
    }

    /// The default gazetteer's sources in `dir`: `default.tsv`, and
    /// `rules.jsonl` (token patterns, with their lexicon word lists next to it)
    /// when present, named `{name}/default.tsv` and `{name}/rules.jsonl` in
    /// origins. The build script compiles `corpus/gazetteer` with it.
    // Used by build.rs, which includes this file, and by the tests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn add_default_sources(
        &mut self,
        dir: &Path,
        name: &str,
    ) -> Result<&mut Self, Error> {
        let tsv = dir.join("default.tsv");
        self.add_tsv_reader(&format!("{name}/default.tsv"), open(&tsv)?)?;
        let rules = dir.join("rules.jsonl");
        if rules.exists() {
            self.add_patterns_reader_in(&format!("{name}/rules.jsonl"), Some(dir), open(&rules)?)?;
        }
        Ok(self)
    }

    /// Adds a source by its extension: `.tsv` and `.txt` are TSV, `.jsonl` is
    /// EntityRuler patterns, `.rgz` a compiled gazetteer (its entries are added).
    /// A source that adds nothing (no entry, token pattern or lexicon) is an
    /// [`ErrorKind::EmptySource`]: a named file that adds no span is a mistake.
    pub fn add_path(&mut self, path: &Path) -> Result<&mut Self, Error> {
        let before = self.added();
        self.add_path_unchecked(path)?;
        if self.added() == before {
            return Err(Error::in_file(ErrorKind::EmptySource, path.display().to_string()));
        }
        Ok(self)
    }

    /// How many entries, token patterns and lexicons were added so far.
    fn added(&self) -> (usize, usize, usize) {
        (self.entries.len(), self.rules.patterns.len(), self.rules.lexicons.len())
    }

    fn add_path_unchecked(&mut self, path: &Path) -> Result<&mut Self, Error> {
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        // A compiled file is known by its first bytes whatever its name; `.rgz`
        // stays the convention, and a `.rgz` without them is `NotCompiled`.
        let compiled = extension.as_deref() == Some(COMPILED_EXTENSION) || is_compiled_file(path);
        match extension.as_deref() {
            _ if compiled => {
                let compiled = Gazetteer::load_compiled(path)?;
                self.compiled.push((path.display().to_string(), compiled.folds_diacritics()));
                for entry in compiled.entries() {
                    if self.entries.store_ref(&entry).is_err() {
                        self.too_large = true;
                    }
                }
                self.add_token_rules_of(&compiled)
            }
            Some("tsv" | "txt") => self.add_tsv_path(path),
            Some("jsonl") => self.add_patterns_path(path),
            _ => Err(Error::in_file(
                ErrorKind::UnknownFormat { extension },
                path.display().to_string(),
            )),
        }
    }

    /// Checks every entry and builds the gazetteer. The first bad entry is an
    /// error (with its origin); duplicates and conflicts are not errors but
    /// [`Gazetteer::diagnostics`]. The builder is left as it was (its strings
    /// and patterns are copied); [`GazetteerBuilder::into_gazetteer`] builds
    /// without the copies.
    pub fn build(&self) -> Result<Gazetteer, Error> {
        let diacritics = self.check_entries()?;
        let rules = self.finished_rules(self.rules.clone())?;
        let tables = self.key_tables(diacritics)?;
        let strings = self.entries.strings.clone();
        let labels = self.entries.labels.values.clone();
        let files = self.entries.files.values.clone();
        Ok(tables.into_gazetteer(strings, labels, files, rules))
    }

    /// [`GazetteerBuilder::build`], consuming the builder: its string arena,
    /// labels, file names and token patterns move into the gazetteer instead
    /// of being copied (loading a file of a thousand token patterns: a fifth
    /// fewer instructions).
    pub fn into_gazetteer(mut self) -> Result<Gazetteer, Error> {
        let diacritics = self.check_entries()?;
        let rules = std::mem::take(&mut self.rules);
        let rules = self.finished_rules(rules)?;
        let tables = self.key_tables(diacritics)?;
        let strings = std::mem::take(&mut self.entries.strings);
        let labels = std::mem::take(&mut self.entries.labels.values);
        let files = std::mem::take(&mut self.entries.files.values);
        Ok(tables.into_gazetteer(strings, labels, files, rules))
    }

    /// Checks every entry (the first bad one is the error); the diacritics
    /// setting the gazetteer folds by.
    fn check_entries(&self) -> Result<bool, Error> {
        let diacritics = self.folds_diacritics()?;
        for record in self.entries.records() {
            self.check(&self.entries.entry_ref(record))?;
        }
        if self.too_large {
            return Err(Error::new(ErrorKind::TooLarge));
        }
        Ok(diacritics)
    }

    /// `rules` (the builder's patterns) checked and finished.
    fn finished_rules(&self, mut rules: TokenRules) -> Result<TokenRules, Error> {
        for pattern in &rules.patterns {
            self.check_label(&pattern.label, &pattern.origin.file, pattern.origin.line)?;
        }
        rules.finish()?;
        Ok(rules)
    }

    /// The entry table sorted by key, the key index and the matching engine.
    fn key_tables(&self, diacritics: bool) -> Result<KeyTables, Error> {
        let records = self.entries.records();
        // The normalized keys, in one arena (not a `String` each), and the
        // entries sorted by them as indices: the records are copied once, in
        // key order, into the gazetteer's table.
        let folding = Folding { case: true, diacritics };
        let mut arena = String::new();
        let mut spans: Vec<(u32, u32)> = Vec::with_capacity(records.len());
        for record in records {
            let key = normalize_pattern(self.entries.entry_ref(record).pattern, folding);
            spans.push(push_key(&mut arena, &key)?);
        }
        let key = |index: u32| -> &str {
            let (start, len) = spans[index as usize];
            arena.get(start as usize..(start + len) as usize).unwrap_or_default()
        };
        let mut order: Vec<u32> = (0..to_u32(records.len())?).collect();
        // Ties keep insertion order (the index breaks them, so the faster
        // unstable sort gives the stable order), which only decides the order of
        // `entries()`: nothing about matching depends on it.
        order.sort_unstable_by(|&a, &b| key(a).cmp(key(b)).then(a.cmp(&b)));
        let mut entries = Vec::with_capacity(records.len() * ENTRY_LEN);
        let mut key_starts = Vec::new();
        let mut first_of_key: Vec<u32> = Vec::new();
        for (position, &index) in order.iter().enumerate() {
            if first_of_key.last().map(|&first| key(first)) != Some(key(index)) {
                first_of_key.push(index);
                key_starts.extend_from_slice(&to_u32(position)?.to_le_bytes());
            }
            entries.extend_from_slice(&records[index as usize]);
        }
        key_starts.extend_from_slice(&to_u32(order.len())?.to_le_bytes());
        drop(order);
        let engine = Engine::build(self.engine, first_of_key.iter().map(|&index| key(index)))?;
        Ok(KeyTables { entries, key_starts, diacritics, engine })
    }

    fn check_label(&self, label: &str, file: &str, line: u64) -> Result<(), Error> {
        let at = |kind| Error::at(kind, file.to_string(), line);
        // A control character (an escape sequence, a bell) would reach every
        // report that shows the label; no label needs one.
        if label.is_empty() || label.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(at(ErrorKind::BadLabel { label: label.to_string() }));
        }
        if let Some(labels) = &self.labels {
            if !labels.iter().any(|known| known == label) {
                return Err(at(ErrorKind::UnknownLabel {
                    label: label.to_string(),
                    known: labels.clone(),
                }));
            }
        }
        Ok(())
    }

    fn check(&self, entry: &EntryRef<'_>) -> Result<(), Error> {
        let at = |kind| Error::at(kind, entry.file.to_string(), entry.line);
        self.check_label(entry.label, entry.file, entry.line)?;
        if !entry.pattern.chars().any(char::is_alphanumeric) {
            return Err(at(ErrorKind::EmptyPattern { pattern: entry.pattern.to_string() }));
        }
        Ok(())
    }
}

fn open(path: &Path) -> Result<BufReader<File>, Error> {
    let name = || path.display().to_string();
    if path.is_dir() {
        return Err(Error::in_file(
            ErrorKind::Read(std::io::Error::other("is a directory")),
            name(),
        ));
    }
    File::open(path).map(BufReader::new).map_err(|err| Error::in_file(ErrorKind::Read(err), name()))
}

/// Appends a normalized key to the build's key arena: its start and length.
fn push_key(arena: &mut String, key: &str) -> Result<(u32, u32), Error> {
    let start = to_u32(arena.len())?;
    arena.push_str(key);
    to_u32(arena.len())?;
    Ok((start, to_u32(key.len())?))
}

pub(crate) fn to_u32(value: usize) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| Error::new(ErrorKind::TooLarge))
}

/// The extension of compiled gazetteers.
pub const COMPILED_EXTENSION: &str = "rgz";

/// Whether `path` is a regular file that starts with a compiled gazetteer's
/// [`MAGIC`](crate::MAGIC) bytes, whatever its name (a compiled file renamed
/// `news.bin`, or `people.tsv` overwritten by `gazetteer compile -o`).
///
/// Only a regular file is looked into: the first bytes of a FIFO or a device,
/// once read here, would be missing for the reader that follows. A file that
/// cannot be opened or read is `false`; reading it as its extension says then
/// reports why, with its name.
pub fn is_compiled_file(path: &Path) -> bool {
    use std::io::Read;
    let magic = crate::compiled::MAGIC;
    let Ok(file) = File::open(path) else { return false };
    if !file.metadata().is_ok_and(|metadata| metadata.is_file()) {
        return false;
    }
    let mut start = Vec::with_capacity(magic.len());
    // `take` + `read_to_end`: a short read before the end is retried.
    match file.take(magic.len() as u64).read_to_end(&mut start) {
        Ok(_) => start == magic,
        Err(_) => false,
    }
}

/// Marks an absent id.
pub(crate) const NO_ID: u32 = u32::MAX;

/// An entry as stored, in the compiled file and in memory alike: a record of
/// [`ENTRY_LEN`] bytes, read in place with `from_le_bytes` (alignment 1, so any
/// buffer or mapping holds a slice of them). Strings live in one arena, labels
/// and files are interned:
///
/// ```text
/// 0 pattern start  4 pattern length  8 id start  12 id length (NO_ID: none)
/// 16 label  20 file  24 line  28 priority (i32)   all u32 LE unless said
/// 32 case policy (u8)
/// ```
pub(crate) type StoredEntry = [u8; ENTRY_LEN];

/// The `u32` field of a record at byte `at`.
#[inline]
fn field(stored: &StoredEntry, at: usize) -> u32 {
    crate::compiled::le_u32(stored.get(at..at + 4).unwrap_or_default())
}

/// What [`GazetteerBuilder::key_tables`] makes of the entries: the gazetteer
/// but for its strings and patterns.
struct KeyTables {
    entries: Vec<u8>,
    key_starts: Vec<u8>,
    diacritics: bool,
    engine: Engine,
}

impl KeyTables {
    fn into_gazetteer(
        self,
        strings: String,
        labels: Vec<String>,
        files: Vec<String>,
        rules: TokenRules,
    ) -> Gazetteer {
        let mut gazetteer = Gazetteer {
            strings: Bytes::owned(strings.into_bytes()),
            labels,
            files,
            entries: Bytes::owned(self.entries),
            key_starts: Bytes::owned(self.key_starts),
            diacritics: self.diacritics,
            engine: self.engine,
            diagnostics: Vec::new(),
            rules,
        };
        gazetteer.diagnostics = gazetteer.find_conflicts();
        gazetteer
    }
}

/// Interns strings in insertion order.
#[derive(Clone, Debug, Default)]
struct Interner {
    index: HashMap<String, u32>,
    /// The strings by index.
    values: Vec<String>,
}

impl Interner {
    fn get(&mut self, value: &str) -> Result<u32, Error> {
        if let Some(&index) = self.index.get(value) {
            return Ok(index);
        }
        let index = to_u32(self.values.len())?;
        self.index.insert(value.to_string(), index);
        self.values.push(value.to_string());
        Ok(index)
    }
}

/// Entries in the compact form of the compiled file, as the builder collects
/// them (in the order added; `build` sorts them by key).
#[derive(Clone, Debug, Default)]
struct Tables {
    strings: String,
    labels: Interner,
    files: Interner,
    /// Entry records, [`ENTRY_LEN`] bytes each.
    entries: Vec<u8>,
}

impl Tables {
    fn len(&self) -> usize {
        self.entries.len() / ENTRY_LEN
    }

    fn records(&self) -> &[StoredEntry] {
        bytemuck::try_cast_slice(&self.entries).unwrap_or_default()
    }

    fn push_str(&mut self, value: &str) -> Result<(u32, u32), Error> {
        let start = to_u32(self.strings.len())?;
        self.strings.push_str(value);
        to_u32(self.strings.len())?;
        Ok((start, to_u32(value.len())?))
    }

    fn store(&mut self, entry: &Entry) -> Result<(), Error> {
        self.store_parts(
            &entry.pattern,
            entry.id.as_deref(),
            &entry.label,
            &entry.origin.file,
            entry.origin.line,
            entry.priority,
            entry.case,
        )
    }

    fn store_ref(&mut self, entry: &EntryRef<'_>) -> Result<(), Error> {
        self.store_parts(
            entry.pattern,
            entry.id,
            entry.label,
            entry.file,
            entry.line,
            entry.priority,
            entry.case,
        )
    }

    /// Appends the record of an entry; nothing is appended if it does not fit.
    #[allow(clippy::too_many_arguments)]
    fn store_parts(
        &mut self,
        pattern: &str,
        id: Option<&str>,
        label: &str,
        file: &str,
        line: u64,
        priority: i32,
        case: CasePolicy,
    ) -> Result<(), Error> {
        let line = u32::try_from(line).map_err(|_| Error::new(ErrorKind::TooLarge))?;
        let strings = self.strings.len();
        let stored = (|| {
            let (pattern_start, pattern_len) = self.push_str(pattern)?;
            let (id_start, id_len) = match id {
                Some(id) => self.push_str(id)?,
                None => (0, NO_ID),
            };
            Ok::<_, Error>([pattern_start, pattern_len, id_start, id_len])
        })();
        let Ok(strings_part) = stored else {
            self.strings.truncate(strings);
            return Err(Error::new(ErrorKind::TooLarge));
        };
        let label = self.labels.get(label)?;
        let file = self.files.get(file)?;
        for value in strings_part.into_iter().chain([label, file, line]) {
            self.entries.extend_from_slice(&value.to_le_bytes());
        }
        self.entries.extend_from_slice(&priority.to_le_bytes());
        self.entries.push(case.to_byte());
        Ok(())
    }

    /// Reads a record (one this builder wrote, so every index is valid).
    fn entry_ref(&self, stored: &StoredEntry) -> EntryRef<'_> {
        read_record(stored, self.strings.as_bytes(), &self.labels.values, &self.files.values)
    }
}

/// Reads a record against its tables. Each field is checked as it is read,
/// so that a compiled file's records need no check of them all on load: a
/// string outside the arena or not UTF-8 reads as empty, an unknown label or
/// file as empty, an unknown case policy as `sensitive`. Only a crafted file
/// (one that passed the checksum) can hold such a record; it then matches
/// less, and never panics.
fn read_record<'g>(
    stored: &StoredEntry,
    strings: &'g [u8],
    labels: &'g [String],
    files: &'g [String],
) -> EntryRef<'g> {
    let span = |start: u32, len: u32| {
        let start = start as usize;
        strings
            .get(start..start.saturating_add(len as usize))
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default()
    };
    let in_table = |table: &'g [String], at: usize| -> &'g str {
        table.get(field(stored, at) as usize).map_or("", String::as_str)
    };
    let id_len = field(stored, 12);
    EntryRef {
        pattern: span(field(stored, 0), field(stored, 4)),
        label: in_table(labels, 16),
        id: (id_len != NO_ID).then(|| span(field(stored, 8), id_len)),
        priority: field(stored, 28) as i32,
        case: CasePolicy::from_byte(stored[ENTRY_LEN - 1]).unwrap_or(CasePolicy::Sensitive),
        file: in_table(files, 20),
        line: u64::from(field(stored, 24)),
    }
}

/// A built gazetteer: entries, normalized and compiled into an automaton.
///
/// Build one with [`GazetteerBuilder`], load a compiled one with
/// [`Gazetteer::load_compiled`], and match with a [`crate::Matcher`].
#[derive(Clone)]
pub struct Gazetteer {
    /// The patterns and ids, UTF-8 (checked for each string as it is read).
    pub(crate) strings: Bytes,
    pub(crate) labels: Vec<String>,
    pub(crate) files: Vec<String>,
    /// [`StoredEntry`] records, sorted by normalized key; key `k`'s entries are
    /// records `key_starts[k]..key_starts[k + 1]`.
    pub(crate) entries: Bytes,
    /// `u32` LE, one per key plus the end.
    pub(crate) key_starts: Bytes,
    pub(crate) diacritics: bool,
    pub(crate) engine: Engine,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Token patterns and lexicons (`pattern.rs`).
    pub(crate) rules: TokenRules,
}

/// Counts only: a gazetteer may hold a million entries.
impl std::fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gazetteer")
            .field("entries", &self.len())
            .field("patterns", &self.key_count())
            .field("labels", &self.labels)
            .field("diacritics", &self.diacritics)
            .field("engine", &self.engine)
            .field("diagnostics", &self.diagnostics.len())
            .field("token_patterns", &self.rules.patterns.len())
            .field("lexicons", &self.rules.lexicons.len())
            .finish()
    }
}

/// One entry of a [`Gazetteer`], borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRef<'g> {
    /// The pattern as written in the source.
    pub pattern: &'g str,
    /// The label.
    pub label: &'g str,
    /// The knowledge-base id.
    pub id: Option<&'g str>,
    /// The priority.
    pub priority: i32,
    /// The case policy.
    pub case: CasePolicy,
    /// The source file.
    pub file: &'g str,
    /// The 1-based line in the source file.
    pub line: u64,
}

impl EntryRef<'_> {
    /// Where the entry came from.
    pub fn origin(&self) -> Origin {
        Origin { file: self.file.to_string(), line: self.line }
    }

    /// An owned copy.
    pub fn to_entry(self) -> Entry {
        Entry {
            pattern: self.pattern.to_string(),
            label: self.label.to_string(),
            id: self.id.map(str::to_string),
            priority: self.priority,
            case: self.case,
            origin: self.origin(),
        }
    }
}

/// Counts for `rubric gazetteer stats`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Entries.
    pub entries: usize,
    /// Distinct normalized patterns (what the automaton holds).
    pub patterns: usize,
    /// Distinct ids.
    pub ids: usize,
    /// Entries per label.
    pub labels: BTreeMap<String, usize>,
    /// Whether diacritics are folded.
    pub diacritics: bool,
    /// Bytes the automaton uses.
    pub automaton_bytes: usize,
    /// Token patterns (their labels are counted in `labels` too).
    #[serde(skip_serializing_if = "is_zero")]
    pub token_patterns: usize,
    /// Lexicons declared for token patterns.
    #[serde(skip_serializing_if = "is_zero")]
    pub lexicons: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// Something worth knowing about the entries that is not an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// What it is.
    pub kind: DiagnosticKind,
    /// The entry concerned.
    pub origin: Origin,
    /// Its pattern.
    pub pattern: String,
    /// Its label.
    pub label: String,
}

/// What a [`Diagnostic`] reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The same pattern, label, id and case policy as an earlier entry.
    Duplicate {
        /// The earlier entry.
        first: Origin,
    },
    /// The same pattern and label as an entry with another id, at the same priority.
    IdConflict {
        /// The other entry.
        other: Origin,
        /// Its id.
        other_id: Option<String>,
    },
    /// The same normalized pattern as an entry with another label at the same
    /// priority: the matcher will report them as ambiguous.
    LabelConflict {
        /// The other entry.
        other: Origin,
        /// Its label.
        other_label: String,
    },
    /// The pattern can never match: in text, it would not start or end on a
    /// token boundary.
    NeverMatches {
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:?} {}: ", self.origin, self.pattern, self.label)?;
        match &self.kind {
            DiagnosticKind::Duplicate { first } => {
                write!(f, "duplicate of {first} — remove one of them")
            }
            DiagnosticKind::IdConflict { other, other_id } => write!(
                f,
                "same pattern and label as {other} but a different id ({}) — keep one id, \
                 or give one entry a higher priority",
                other_id.as_deref().unwrap_or("none")
            ),
            DiagnosticKind::LabelConflict { other, other_label } => write!(
                f,
                "also labelled {other_label} at {other} with the same priority; matches will \
                 be reported as ambiguous — give one entry a higher priority"
            ),
            DiagnosticKind::NeverMatches { reason } => {
                write!(f, "can never match: {reason} — fix or remove the pattern")
            }
        }
    }
}

impl Gazetteer {
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len() / ENTRY_LEN
    }

    /// Whether there are no entries and no token patterns.
    pub fn is_empty(&self) -> bool {
        self.is_empty_of_entries() && self.rules.patterns.is_empty()
    }

    pub(crate) fn is_empty_of_entries(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry records, where they are (a compiled file's mapping, or the
    /// built tables).
    pub(crate) fn entry_records(&self) -> &[StoredEntry] {
        // Records have alignment 1 and the table's length is a multiple of
        // their length (checked on load), so this never falls back.
        bytemuck::try_cast_slice(&self.entries).unwrap_or_default()
    }

    /// The number of distinct normalized keys.
    pub(crate) fn key_count(&self) -> usize {
        (self.key_starts.len() / 4).saturating_sub(1)
    }

    fn key_start(&self, key: usize) -> Option<usize> {
        let at = key.checked_mul(4)?;
        self.key_starts.get(at..at.checked_add(4)?).map(|bytes| le_u32(bytes) as usize)
    }

    /// The number of token patterns.
    pub fn token_pattern_count(&self) -> usize {
        self.rules.patterns.len()
    }

    /// The names of the lexicons, in declaration order.
    pub fn lexicon_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.rules.lexicons.iter().map(|lexicon| lexicon.name.as_str())
    }

    /// Whether diacritics are folded when matching.
    pub fn folds_diacritics(&self) -> bool {
        self.diacritics
    }

    /// The automaton in use (`None` for an empty gazetteer).
    pub fn engine(&self) -> Option<EngineKind> {
        self.engine.kind()
    }

    /// Every entry, grouped by normalized pattern.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = EntryRef<'_>> + '_ {
        self.entry_records().iter().map(|stored| self.entry_ref(stored))
    }

    /// Reads a record (checked as it is read: see `read_record`).
    pub(crate) fn entry_ref(&self, stored: &StoredEntry) -> EntryRef<'_> {
        read_record(stored, &self.strings, &self.labels, &self.files)
    }

    /// The entries of normalized key `key` (none for a key the table does not
    /// have, or whose range a crafted file made empty or out of bounds).
    pub(crate) fn key_entries(&self, key: u32) -> &[StoredEntry] {
        let key = key as usize;
        match (self.key_start(key), key.checked_add(1).and_then(|next| self.key_start(next))) {
            (Some(start), Some(end)) => self.entry_records().get(start..end).unwrap_or_default(),
            _ => &[],
        }
    }

    pub(crate) fn key_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        (0..self.key_count()).filter_map(|key| Some(self.key_start(key)?..self.key_start(key + 1)?))
    }

    /// The names of its named token patterns (rules), in file order, each once:
    /// what [`crate::RuleSelection`] selects from.
    pub fn rule_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for name in self.rules.patterns.iter().filter_map(|pattern| pattern.name.as_deref()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// Duplicates and conflicts found while building (not stored in compiled
    /// files).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Counts per label and sizes.
    pub fn stats(&self) -> Stats {
        let mut labels = BTreeMap::new();
        let mut ids = HashSet::new();
        for entry in self.entries() {
            *labels.entry(entry.label.to_string()).or_insert(0) += 1;
            if let Some(id) = entry.id {
                ids.insert(id);
            }
        }
        for (label, count) in crate::pattern::labels_of(&self.rules) {
            *labels.entry(label).or_insert(0) += count;
        }
        Stats {
            entries: self.len(),
            patterns: self.key_count(),
            ids: ids.len(),
            labels,
            diacritics: self.diacritics,
            automaton_bytes: self.engine.heap_bytes(),
            token_patterns: self.rules.patterns.len(),
            lexicons: self.rules.lexicons.len(),
        }
    }

    fn find_conflicts(&self) -> Vec<Diagnostic> {
        let folding = Folding { case: false, diacritics: self.diacritics };
        let mut diagnostics = Vec::new();
        for range in self.key_ranges() {
            if range.len() < 2 {
                continue;
            }
            // Within a key, entries are in load order (the build's sort is
            // stable), so "first" below means first loaded.
            let records = self.entry_records().get(range).unwrap_or_default();
            let group: Vec<EntryRef<'_>> =
                records.iter().map(|stored| self.entry_ref(stored)).collect();
            let mut exact: HashMap<(String, &str, Option<&str>, CasePolicy), EntryRef<'_>> =
                HashMap::new();
            let mut by_label: HashMap<(String, &str, i32), EntryRef<'_>> = HashMap::new();
            let mut by_priority: HashMap<i32, Vec<EntryRef<'_>>> = HashMap::new();
            for entry in group {
                let written = normalize_pattern(entry.pattern, folding);
                let diagnostic = |kind| Diagnostic {
                    kind,
                    origin: entry.origin(),
                    pattern: entry.pattern.to_string(),
                    label: entry.label.to_string(),
                };
                let exact_key = (written.clone(), entry.label, entry.id, entry.case);
                if let Some(first) = exact.get(&exact_key) {
                    diagnostics
                        .push(diagnostic(DiagnosticKind::Duplicate { first: first.origin() }));
                    continue;
                }
                exact.insert(exact_key, entry);
                match by_label.get(&(written.clone(), entry.label, entry.priority)) {
                    Some(other) if other.id != entry.id => {
                        diagnostics.push(diagnostic(DiagnosticKind::IdConflict {
                            other: other.origin(),
                            other_id: other.id.map(str::to_string),
                        }));
                    }
                    Some(_) => {}
                    None => {
                        by_label.insert((written, entry.label, entry.priority), entry);
                    }
                }
                let same_priority = by_priority.entry(entry.priority).or_default();
                if !same_priority.iter().any(|other| other.label == entry.label) {
                    if let Some(other) = same_priority.first() {
                        diagnostics.push(diagnostic(DiagnosticKind::LabelConflict {
                            other: other.origin(),
                            other_label: other.label.to_string(),
                        }));
                    }
                }
                same_priority.push(entry);
            }
        }
        diagnostics.sort_by(|a, b| a.origin.cmp(&b.origin));
        diagnostics
    }
}

/// The word-list files that the lexicon declarations of a token-pattern file
/// (`.jsonl`) name, resolved as loading resolves them (next to the pattern
/// file): files a run reads, which no output may overwrite, so a caller checks
/// its outputs against them before anything is written. Anything else (other
/// lines, a file that cannot be read or is not JSON Lines) gives nothing here:
/// loading reports it.
pub fn lexicon_files(path: &Path) -> Vec<std::path::PathBuf> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if extension.as_deref() != Some("jsonl") {
        return Vec::new();
    }
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    let base = path.parent().unwrap_or(Path::new(""));
    text.lines()
        // Only a line that spells the key `lexicon` (plainly, or with an escape
        // such as `\u006c`) can declare one: the pattern lines, nearly all of a
        // file, are not parsed a second time.
        .filter(|line| line.contains("lexicon") || line.contains('\\'))
        .filter_map(|line| {
            let line = line.strip_prefix('\u{feff}').unwrap_or(line);
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            let declaration = value.as_object().filter(|object| object.contains_key("lexicon"))?;
            Some(base.join(declaration.get("path")?.as_str()?))
        })
        .collect()
}
