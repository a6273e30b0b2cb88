//! `GazetteerBuilder` → `Gazetteer`: entries read, checked, normalized, and
//! compiled into an automaton.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::path::Path;

use serde::Serialize;

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
    entries: Vec<Entry>,
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
        self.entries.push(entry);
        self
    }

    /// Adds the entries of a TSV source (see the crate docs for the format);
    /// `name` is used in origins and errors.
    pub fn add_tsv_reader(&mut self, name: &str, reader: impl BufRead) -> Result<&mut Self, Error> {
        read_tsv(name, reader, |entry| {
            self.entries.push(entry);
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
                PatternRecord::Phrase(entry) => self.entries.push(entry),
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
                self.entries.extend(compiled.entries().map(|entry| entry.to_entry()));
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
    /// [`Gazetteer::diagnostics`].
    pub fn build(&self) -> Result<Gazetteer, Error> {
        let diacritics = self.folds_diacritics()?;
        for entry in &self.entries {
            self.check(entry)?;
        }
        let mut rules = self.rules.clone();
        for pattern in &rules.patterns {
            self.check_label(&pattern.label, &pattern.origin)?;
        }
        rules.finish()?;
        let folding = Folding { case: true, diacritics };
        let keys: Vec<String> =
            self.entries.iter().map(|entry| normalize_pattern(&entry.pattern, folding)).collect();
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        // Ties keep insertion order, which only decides the order of `entries()`:
        // nothing about matching depends on it.
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        let mut tables = Tables::default();
        let mut stored = Vec::with_capacity(order.len());
        let mut key_starts = Vec::new();
        let mut unique_keys: Vec<&str> = Vec::new();
        for (position, &index) in order.iter().enumerate() {
            if unique_keys.last() != Some(&keys[index].as_str()) {
                unique_keys.push(&keys[index]);
                key_starts.push(to_u32(position)?);
            }
            stored.push(tables.store(&self.entries[index])?);
        }
        key_starts.push(to_u32(order.len())?);
        let engine = Engine::build(self.engine, unique_keys.into_iter())?;
        let mut gazetteer = Gazetteer {
            strings: tables.strings,
            labels: tables.labels.into_keys_by_index(),
            files: tables.files.into_keys_by_index(),
            entries: stored,
            key_starts,
            diacritics,
            engine,
            diagnostics: Vec::new(),
            rules,
        };
        gazetteer.diagnostics = gazetteer.find_conflicts();
        Ok(gazetteer)
    }

    fn check_label(&self, label: &str, origin: &Origin) -> Result<(), Error> {
        let at = |kind| Error::at(kind, origin.file.clone(), origin.line);
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

    fn check(&self, entry: &Entry) -> Result<(), Error> {
        let at = |kind| Error::at(kind, entry.origin.file.clone(), entry.origin.line);
        self.check_label(&entry.label, &entry.origin)?;
        if !entry.pattern.chars().any(char::is_alphanumeric) {
            return Err(at(ErrorKind::EmptyPattern { pattern: entry.pattern.clone() }));
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

/// An entry as stored: strings live in one arena, labels and files are interned.
/// 32 bytes an entry, which is what keeps a million entries small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StoredEntry {
    pub pattern_start: u32,
    pub pattern_len: u32,
    pub id_start: u32,
    /// [`NO_ID`] when the entry has no id.
    pub id_len: u32,
    pub label: u32,
    pub file: u32,
    pub line: u32,
    pub priority: i32,
    pub case: CasePolicy,
}

/// Interns strings in insertion order.
#[derive(Debug, Default)]
struct Interner {
    index: HashMap<String, u32>,
}

impl Interner {
    fn get(&mut self, value: &str) -> Result<u32, Error> {
        if let Some(&index) = self.index.get(value) {
            return Ok(index);
        }
        let index = to_u32(self.index.len())?;
        self.index.insert(value.to_string(), index);
        Ok(index)
    }

    fn into_keys_by_index(self) -> Vec<String> {
        let mut keys: Vec<(u32, String)> =
            self.index.into_iter().map(|(key, index)| (index, key)).collect();
        keys.sort_unstable();
        keys.into_iter().map(|(_, key)| key).collect()
    }
}

#[derive(Debug, Default)]
struct Tables {
    strings: String,
    labels: Interner,
    files: Interner,
}

impl Tables {
    fn push_str(&mut self, value: &str) -> Result<(u32, u32), Error> {
        let start = to_u32(self.strings.len())?;
        self.strings.push_str(value);
        to_u32(self.strings.len())?;
        Ok((start, to_u32(value.len())?))
    }

    fn store(&mut self, entry: &Entry) -> Result<StoredEntry, Error> {
        let (pattern_start, pattern_len) = self.push_str(&entry.pattern)?;
        let (id_start, id_len) = match &entry.id {
            Some(id) => self.push_str(id)?,
            None => (0, NO_ID),
        };
        Ok(StoredEntry {
            pattern_start,
            pattern_len,
            id_start,
            id_len,
            label: self.labels.get(&entry.label)?,
            file: self.files.get(&entry.origin.file)?,
            line: u32::try_from(entry.origin.line).map_err(|_| Error::new(ErrorKind::TooLarge))?,
            priority: entry.priority,
            case: entry.case,
        })
    }
}

/// A built gazetteer: entries, normalized and compiled into an automaton.
///
/// Build one with [`GazetteerBuilder`], load a compiled one with
/// [`Gazetteer::load_compiled`], and match with a [`crate::Matcher`].
#[derive(Clone)]
pub struct Gazetteer {
    pub(crate) strings: String,
    pub(crate) labels: Vec<String>,
    pub(crate) files: Vec<String>,
    /// Sorted by normalized key; key `k`'s entries are
    /// `entries[key_starts[k]..key_starts[k + 1]]`.
    pub(crate) entries: Vec<StoredEntry>,
    pub(crate) key_starts: Vec<u32>,
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
            .field("entries", &self.entries.len())
            .field("patterns", &self.key_starts.len().saturating_sub(1))
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
        self.entries.len()
    }

    /// Whether there are no entries and no token patterns.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.rules.patterns.is_empty()
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
        self.entries.iter().map(|stored| self.entry_ref(stored))
    }

    pub(crate) fn entry_ref(&self, stored: &StoredEntry) -> EntryRef<'_> {
        let span = |start: u32, len: u32| {
            let start = start as usize;
            &self.strings[start..start + len as usize]
        };
        EntryRef {
            pattern: span(stored.pattern_start, stored.pattern_len),
            label: &self.labels[stored.label as usize],
            id: (stored.id_len != NO_ID).then(|| span(stored.id_start, stored.id_len)),
            priority: stored.priority,
            case: stored.case,
            file: &self.files[stored.file as usize],
            line: u64::from(stored.line),
        }
    }

    /// The entries of normalized key `key`.
    pub(crate) fn key_entries(&self, key: u32) -> &[StoredEntry] {
        let key = key as usize;
        match (self.key_starts.get(key), self.key_starts.get(key + 1)) {
            (Some(&start), Some(&end)) => &self.entries[start as usize..end as usize],
            _ => &[],
        }
    }

    pub(crate) fn key_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.key_starts.windows(2).map(|pair| pair[0] as usize..pair[1] as usize)
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
            patterns: self.key_starts.len().saturating_sub(1),
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
            let group: Vec<EntryRef<'_>> =
                self.entries[range].iter().map(|stored| self.entry_ref(stored)).collect();
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
