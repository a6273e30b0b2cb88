//! The compiled form: a versioned, checksummed file that loads without parsing
//! sources or rebuilding the automaton, and is used where it is.
//!
//! ```text
//! header (24 bytes)
//!   magic            8 bytes  "RUBRICGZ"
//!   version          u32 LE   FORMAT_VERSION
//!   checksum         u32 LE   CRC-32 of the payload
//!   payload length   u64 LE
//! payload
//!   flags            u8       bit 0: diacritics folded
//!   automaton kind   u8       0 none (empty), 1 aho-corasick (rebuilt on load),
//!                             2 double-array trie (stored below)
//!   files, labels    u32 count, then each: u32 length + UTF-8
//!   strings          u32 length + UTF-8 (patterns and ids)
//!   entries          u32 count, then 33 bytes each (`gazetteer::StoredEntry`)
//!   key starts       u32 count, then u32 each
//!   token rules      u32 length + UTF-8 JSON (token patterns and lexicons, see
//!                    `write_token_rules`; length 0 when there are none)
//!   automaton        u64 length + bytes (the trie, see `engine::Trie`: the keys
//!                    kept aside, then yada's array, used as it is)
//! ```
//!
//! Every field is little-endian and every record fixed-width, read with
//! `from_le_bytes` on byte slices, so the file's layout is the matcher's layout
//! whatever the alignment: `Gazetteer::load_compiled` maps the file (`memmap2`)
//! and the strings, entries, key starts and trie are views of the mapping
//! (`Bytes`); only file names, labels and token rules are copied out.
//!
//! What loading checks, in order: magic (else `NotCompiled`), version (else
//! `UnsupportedVersion`), length (else `Truncated`, or `Corrupt` for bytes after
//! the end), the CRC-32 of the whole payload (else `ChecksumMismatch`; it reads
//! every page of the file, 0.06-0.12 s for the 809 MB file of ten million
//! entries, which is why it stays), that each section fits in what is left (else
//! `Truncated`), the small tables' UTF-8, the key table's first and last values,
//! and the trie's length and root (else `Corrupt`). Nothing on load reads every
//! record: what a crafted file (one with its checksum recomputed) could put in
//! the large tables is checked where it is read, so that matching never panics
//! and never reads out of bounds. A record's strings, label and file are
//! bounds- and UTF-8-checked as it is read (`gazetteer::read_record`: a bad one
//! reads as empty), a key's entry range is bounds-checked (`key_entries`: a bad
//! one has none), and the trie's walk bounds-checks every unit it reads
//! (`engine::walk`).
//!
//! A mapped file that another process truncates while it is mapped makes a read
//! past the new end raise SIGBUS, and there is no cheap cure (the kernel drops
//! those pages from every mapping). This is the documented limitation: replace a
//! compiled file by renaming a new one over it, as `rubric gazetteer compile`
//! does (the mapped file then stays whole until it is unmapped), never by
//! writing into it.

use std::io::Write;
use std::path::Path;

use crate::engine::{Engine, EngineKind};
use crate::error::{Error, ErrorKind};
use crate::gazetteer::{to_u32, Gazetteer};
use crate::normalize::{normalize_pattern, Folding};
use crate::pattern::TokenRules;

/// The magic bytes that start every compiled gazetteer.
pub const MAGIC: &[u8; 8] = b"RUBRICGZ";
/// The version of the compiled format this crate writes and reads.
/// Version 2 added the token rules section (token patterns and lexicons);
/// version 3 replaced daachorse's automaton by the double-array trie walked from
/// token starts.
pub const FORMAT_VERSION: u32 = 3;
const HEADER_LEN: usize = 24;
/// The length of an entry record (`gazetteer::StoredEntry`).
pub(crate) const ENTRY_LEN: usize = 33;

fn corrupt(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::Corrupt { what: what.into() })
}

impl Gazetteer {
    /// Writes the compiled form. Write to a temporary file and rename it into
    /// place (as `rubric gazetteer compile` does) so that readers never see half
    /// a file, and so that a process that has the old file mapped keeps reading
    /// the old file (see the module doc on truncation).
    pub fn write_compiled(&self, mut out: impl Write) -> Result<(), Error> {
        let automaton = self.engine.serialized_parts();
        // Everything before the two large tables and the automaton, which are
        // written from where they are, not copied into one payload first.
        let mut head = Vec::new();
        head.push(u8::from(self.diacritics));
        head.push(match (&self.engine, &automaton) {
            (Engine::Empty, _) => 0,
            (_, None) => 1,
            (_, Some(_)) => 2,
        });
        for table in [&self.files, &self.labels] {
            put_u32(&mut head, to_u32(table.len())?);
            for value in table {
                put_str(&mut head, value)?;
            }
        }
        put_u32(&mut head, to_u32(self.strings.len())?);
        let strings: &[u8] = &self.strings;
        let mut entries_head = Vec::new();
        put_u32(&mut entries_head, to_u32(self.len())?);
        let entries: &[u8] = &self.entries;
        let mut keys_head = Vec::new();
        put_u32(&mut keys_head, to_u32(self.key_starts.len() / 4)?);
        let key_starts: &[u8] = &self.key_starts;
        let mut tail = Vec::new();
        write_token_rules(&mut tail, &self.rules)?;
        let (aside, array) = automaton.unwrap_or_default();
        tail.extend_from_slice(&((aside.len() + array.len()) as u64).to_le_bytes());
        let parts: [&[u8]; 9] =
            [&head, strings, &entries_head, entries, &keys_head, key_starts, &tail, &aside, array];

        let mut crc = crc32fast::Hasher::new();
        let mut length = 0u64;
        for part in parts {
            crc.update(part);
            length += part.len() as u64;
        }
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        header.extend_from_slice(&crc.finalize().to_le_bytes());
        header.extend_from_slice(&length.to_le_bytes());
        let write = |err| Error::new(ErrorKind::Write(err));
        out.write_all(&header).map_err(write)?;
        for part in parts {
            out.write_all(part).map_err(write)?;
        }
        out.flush().map_err(write)
    }

    /// Loads a compiled gazetteer from a file, which it maps into memory and
    /// uses where it is: the strings, entries, key table and trie are read from
    /// the mapping, so loading costs the checks, not a copy (see the module doc
    /// for what is checked, and for a file truncated while it is mapped).
    pub fn load_compiled(path: &Path) -> Result<Gazetteer, Error> {
        let name = path.display().to_string();
        let read_error = |err| Error::in_file(ErrorKind::Read(err), name.clone());
        let file = std::fs::File::open(path).map_err(read_error)?;
        let storage = match map_file(&file) {
            Some(map) => Storage::Mapped(map),
            // Not a regular file (a pipe, `/dev/stdin`), or empty: read it whole.
            None => {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut &file, &mut bytes).map_err(read_error)?;
                Storage::Owned(bytes)
            }
        };
        Gazetteer::from_storage(storage).map_err(|err| err.with_file(name))
    }

    /// Loads a compiled gazetteer from memory (copied once: the gazetteer
    /// keeps its tables in one buffer of its own).
    pub fn from_compiled_bytes(bytes: &[u8]) -> Result<Gazetteer, Error> {
        Gazetteer::from_storage(Storage::Owned(bytes.to_vec()))
    }

    /// Loads a compiled gazetteer from bytes that live as long as the program
    /// (the embedded default), used where they are, without a copy.
    pub fn from_static_compiled_bytes(bytes: &'static [u8]) -> Result<Gazetteer, Error> {
        Gazetteer::from_storage(Storage::Static(bytes))
    }

    fn from_storage(storage: Storage) -> Result<Gazetteer, Error> {
        let storage = std::sync::Arc::new(storage);
        let payload = check_header(storage.as_slice())?;
        let (gazetteer, automaton) = read_payload(&storage, payload)?;
        gazetteer.with_automaton(automaton.kind, automaton.bytes)
    }

    /// Builds or loads the automaton of a gazetteer read by `read_payload`.
    fn with_automaton(mut self, kind: u8, automaton: Bytes) -> Result<Gazetteer, Error> {
        self.engine = match kind {
            0 if self.is_empty_of_entries() => Engine::Empty,
            1 => {
                let folding = Folding { case: true, diacritics: self.diacritics };
                let records = self.entry_records();
                let keys: Vec<String> = self
                    .key_ranges()
                    .filter_map(|range| records.get(range.start))
                    .map(|stored| normalize_pattern(self.entry_ref(stored).pattern, folding))
                    .collect();
                Engine::build(EngineKind::AhoCorasick, keys.iter().map(String::as_str))?
            }
            // A key the table does not have finds no entries (`key_entries`), and
            // every read of the trie is bounds-checked, so even a wrong trie
            // cannot make matching read out of bounds.
            2 => Engine::deserialize(automaton)?,
            other => return Err(corrupt(format!("unknown automaton kind {other}"))),
        };
        Ok(self)
    }
}

/// The memory a loaded gazetteer's tables live in.
pub(crate) enum Storage {
    /// Built in this process, or copied from borrowed bytes.
    Owned(Vec<u8>),
    /// The embedded default, in the binary's read-only data.
    Static(&'static [u8]),
    /// A compiled file, mapped read-only.
    Mapped(memmap2::Mmap),
}

impl Storage {
    fn as_slice(&self) -> &[u8] {
        match self {
            Storage::Owned(bytes) => bytes,
            Storage::Static(bytes) => bytes,
            Storage::Mapped(map) => map,
        }
    }
}

/// A range of a [`Storage`], shared: a gazetteer's tables, and its clones',
/// are views of one buffer or mapping. The range is checked when the view is
/// made, so reading it never fails.
#[derive(Clone)]
pub(crate) struct Bytes {
    storage: std::sync::Arc<Storage>,
    range: std::ops::Range<usize>,
}

impl Bytes {
    /// Bytes of their own (a table built in this process).
    pub(crate) fn owned(bytes: Vec<u8>) -> Bytes {
        let range = 0..bytes.len();
        Bytes { storage: std::sync::Arc::new(Storage::Owned(bytes)), range }
    }

    /// The view of `range` of these bytes (clamped to them).
    pub(crate) fn slice(&self, range: std::ops::RangeFrom<usize>) -> Bytes {
        let start = (self.range.start + range.start).min(self.range.end);
        Bytes { storage: self.storage.clone(), range: start..self.range.end }
    }

    /// The view of `range` of `storage`, if it is inside.
    fn of(storage: &std::sync::Arc<Storage>, range: std::ops::Range<usize>) -> Option<Bytes> {
        storage.as_slice().get(range.clone())?;
        Some(Bytes { storage: storage.clone(), range })
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        // Checked in `Bytes::of`; the storage never changes length.
        self.storage.as_slice().get(self.range.clone()).unwrap_or_default()
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.range.len())
    }
}

/// Maps `file` read-only, or `None` when it cannot be mapped (not a regular
/// file, or empty, which the kernel refuses to map) and must be read instead.
#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> Option<memmap2::Mmap> {
    let metadata = file.metadata().ok()?;
    if !metadata.is_file() || metadata.len() == 0 {
        return None;
    }
    // SAFETY: `Mmap::map` is unsafe because the mapping's bytes change if the
    // file is modified while it is mapped, and a read past a truncated end
    // raises SIGBUS. Nothing in this crate writes to the file; every length
    // read from it is bounds-checked against the mapping's length as mapped,
    // so a change can give wrong matches but never an out-of-bounds read. A
    // file truncated while mapped is the documented limitation (module doc):
    // `rubric gazetteer compile` replaces files by renaming, which leaves the
    // mapped file whole.
    unsafe { memmap2::Mmap::map(file) }.ok()
}

/// Where a compiled file keeps its automaton: its kind byte and its bytes.
struct StoredAutomaton {
    kind: u8,
    bytes: Bytes,
}

impl Error {
    pub(crate) fn with_file(self, file: String) -> Error {
        match self.file() {
            Some(_) => self,
            None => Error::in_file(self.into_kind(), file),
        }
    }
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, value: &str) -> Result<(), Error> {
    put_u32(out, to_u32(value.len())?);
    out.extend_from_slice(value.as_bytes());
    Ok(())
}

/// Reads the payload; past the checksum, so every failure is `Truncated` (a
/// length that runs past the end) or `Corrupt`.
struct Reader<'b> {
    bytes: &'b [u8],
}

impl<'b> Reader<'b> {
    fn take(&mut self, len: usize) -> Result<&'b [u8], Error> {
        if self.bytes.len() < len {
            return Err(Error::new(ErrorKind::Truncated));
        }
        let (taken, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn str(&mut self) -> Result<&'b str, Error> {
        let len = self.u32()? as usize;
        std::str::from_utf8(self.take(len)?).map_err(|_| corrupt("invalid UTF-8"))
    }

    fn count(&mut self, item_len: usize) -> Result<usize, Error> {
        let count = self.u32()? as usize;
        // Checked before allocating, so a corrupt count cannot ask for gigabytes.
        if count.saturating_mul(item_len) > self.bytes.len() {
            return Err(Error::new(ErrorKind::Truncated));
        }
        Ok(count)
    }
}

/// Checks the header, the length and the checksum, and returns the payload.
fn check_header(bytes: &[u8]) -> Result<&[u8], Error> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(Error::new(ErrorKind::NotCompiled));
    }
    let mut header = Reader { bytes: &bytes[MAGIC.len()..] };
    let version = header.u32().map_err(|_| Error::new(ErrorKind::Truncated))?;
    if version != FORMAT_VERSION {
        return Err(Error::new(ErrorKind::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        }));
    }
    let checksum = header.u32()?;
    let length = header.u64()?;
    let payload = header.bytes;
    match u64::try_from(payload.len()) {
        Ok(actual) if actual < length => return Err(Error::new(ErrorKind::Truncated)),
        Ok(actual) if actual > length => return Err(corrupt("bytes after the end")),
        _ => {}
    }
    if crc32fast::hash(payload) != checksum {
        return Err(Error::new(ErrorKind::ChecksumMismatch));
    }
    Ok(payload)
}

/// Reads the payload's small tables into memory and locates the large ones
/// (strings, entries, key starts) and the automaton in `storage`, where they
/// stay. Every section's length is checked against what is left; what is in
/// the large tables is checked when it is read (`Gazetteer::entry_ref`,
/// `Gazetteer::key_entries`, the trie's walk).
fn read_payload(
    storage: &std::sync::Arc<Storage>,
    payload: &[u8],
) -> Result<(Gazetteer, StoredAutomaton), Error> {
    let mut reader = Reader { bytes: payload };
    // A section of `len` bytes at the reader, as a view of the storage.
    let section = |reader: &mut Reader<'_>, len: usize| -> Result<Bytes, Error> {
        let start = HEADER_LEN + payload.len() - reader.bytes.len();
        reader.take(len)?;
        Bytes::of(storage, start..start + len).ok_or_else(|| Error::new(ErrorKind::Truncated))
    };
    let diacritics = match reader.u8()? {
        0 => false,
        1 => true,
        other => return Err(corrupt(format!("unknown flags {other:#x}"))),
    };
    let automaton_kind = reader.u8()?;
    let mut tables = Vec::new();
    for _ in 0..2 {
        let count = reader.count(4)?;
        let mut table = Vec::with_capacity(count);
        for _ in 0..count {
            table.push(reader.str()?.to_string());
        }
        tables.push(table);
    }
    let labels = tables.pop().unwrap_or_default();
    let files = tables.pop().unwrap_or_default();
    let strings_len = reader.u32()? as usize;
    let strings = section(&mut reader, strings_len)?;
    let count = reader.count(ENTRY_LEN)?;
    let entries = section(&mut reader, count * ENTRY_LEN)?;
    let keys = reader.count(4)?;
    let key_starts = section(&mut reader, keys * 4)?;
    // The ends of the key table; what lies between is checked where it is read
    // (`Gazetteer::key_entries`), so that loading does not read every key.
    let key_start = |index: usize| key_starts.get(index * 4..index * 4 + 4).map(le_u32);
    let bounded = key_start(0) == Some(0)
        && keys.checked_sub(1).and_then(key_start).is_some_and(|last| last as usize == count);
    if !(bounded || (count == 0 && keys <= 1)) {
        return Err(corrupt("bad key table"));
    }
    let rules = read_token_rules(&mut reader)?;
    let automaton_len =
        usize::try_from(reader.u64()?).map_err(|_| Error::new(ErrorKind::Truncated))?;
    let automaton = section(&mut reader, automaton_len)?;
    if !reader.bytes.is_empty() {
        return Err(corrupt("bytes after the automaton"));
    }
    let gazetteer = Gazetteer {
        strings,
        labels,
        files,
        entries,
        key_starts,
        diacritics,
        engine: Engine::Empty,
        diagnostics: Vec::new(),
        rules,
    };
    Ok((gazetteer, StoredAutomaton { kind: automaton_kind, bytes: automaton }))
}

/// A little-endian `u32` from 4 bytes (fewer or more read as zero-padded or cut;
/// callers pass exactly 4).
pub(crate) fn le_u32(bytes: &[u8]) -> u32 {
    let mut array = [0; 4];
    let len = bytes.len().min(4);
    array[..len].copy_from_slice(&bytes[..len]);
    u32::from_le_bytes(array)
}

// --- Token rules (issue 19), kept apart from the phrase tables above. ---
//
// Token patterns are stored as written (the JSON of their `pattern` lists, with
// label, id, name, priority and origin) and lexicons as sorted word lists, in one
// JSON document; loading parses them again with the same parser that read the
// sources, so a compiled pattern cannot mean something else than its source.
// Parsing 10,000 patterns takes milliseconds; regexes compile on first use.

fn write_token_rules(out: &mut Vec<u8>, rules: &TokenRules) -> Result<(), Error> {
    if rules.is_empty() {
        put_u32(out, 0);
        return Ok(());
    }
    let json = crate::pattern::to_compiled_json(rules).to_string();
    put_str(out, &json)
}

fn read_token_rules(reader: &mut Reader<'_>) -> Result<TokenRules, Error> {
    let json = reader.str()?;
    if json.is_empty() {
        return Ok(TokenRules::default());
    }
    crate::pattern::from_compiled_str(json)
        .map_err(|what| corrupt(format!("bad token rules: {what}")))
}
