//! The compiled form: a versioned, checksummed file that loads without parsing
//! sources or rebuilding the automaton.
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
//!   entries          u32 count, then 33 bytes each (see `write_entry`)
//!   key starts       u32 count, then u32 each
//!   token rules      u32 length + UTF-8 JSON (token patterns and lexicons, see
//!                    `write_token_rules`; length 0 when there are none)
//!   automaton        u64 length + bytes (the trie, see `engine::Trie::serialize`:
//!                    the keys kept aside, then yada's array, used as it is)
//! ```
//!
//! Loading checks, in order: magic (else `NotCompiled`), version (else
//! `UnsupportedVersion`), length (else `Truncated`), checksum (else
//! `ChecksumMismatch`), then every index and offset (else `Corrupt`), so that a
//! file that loads can never make matching panic.

use std::io::Write;
use std::path::Path;

use crate::engine::{Engine, EngineKind};
use crate::entry::CasePolicy;
use crate::error::{Error, ErrorKind};
use crate::gazetteer::{to_u32, Gazetteer, StoredEntry, NO_ID};
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
const ENTRY_LEN: usize = 33;

fn corrupt(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::Corrupt { what: what.into() })
}

impl Gazetteer {
    /// Writes the compiled form. Write to a temporary file and rename it into
    /// place (as `rubric gazetteer compile` does) so that readers never see half
    /// a file.
    pub fn write_compiled(&self, mut out: impl Write) -> Result<(), Error> {
        let mut payload = Vec::new();
        payload.push(u8::from(self.diacritics));
        let automaton = self.engine.serialized();
        payload.push(match (&self.engine, &automaton) {
            (Engine::Empty, _) => 0,
            (_, None) => 1,
            (_, Some(_)) => 2,
        });
        for table in [&self.files, &self.labels] {
            put_u32(&mut payload, to_u32(table.len())?);
            for value in table {
                put_str(&mut payload, value)?;
            }
        }
        put_str(&mut payload, &self.strings)?;
        put_u32(&mut payload, to_u32(self.entries.len())?);
        for entry in &self.entries {
            write_entry(&mut payload, entry);
        }
        put_u32(&mut payload, to_u32(self.key_starts.len())?);
        for start in &self.key_starts {
            put_u32(&mut payload, *start);
        }
        write_token_rules(&mut payload, &self.rules)?;
        let automaton = automaton.unwrap_or_default();
        payload.extend_from_slice(&(automaton.len() as u64).to_le_bytes());
        payload.extend_from_slice(&automaton);

        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        header.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        header.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        let write = |err| Error::new(ErrorKind::Write(err));
        out.write_all(&header).map_err(write)?;
        out.write_all(&payload).map_err(write)?;
        out.flush().map_err(write)
    }

    /// Loads a compiled gazetteer from a file.
    pub fn load_compiled(path: &Path) -> Result<Gazetteer, Error> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|err| Error::in_file(ErrorKind::Read(err), name.clone()))?;
        Gazetteer::from_compiled_vec(bytes).map_err(|err| err.with_file(name))
    }

    /// Loads a compiled gazetteer from memory.
    pub fn from_compiled_bytes(bytes: &[u8]) -> Result<Gazetteer, Error> {
        let (gazetteer, automaton) = Gazetteer::read_compiled(bytes)?;
        gazetteer.with_automaton(automaton.kind, bytes[automaton.bytes].to_vec())
    }

    /// Loads a compiled gazetteer from a file's bytes, which it consumes: the
    /// automaton, most of a large file, is moved to the front of the buffer and
    /// the rest freed, and the trie is then used where it is, so that the file
    /// and the loaded gazetteer are not both in memory at the peak.
    fn from_compiled_vec(mut bytes: Vec<u8>) -> Result<Gazetteer, Error> {
        let (gazetteer, automaton) = Gazetteer::read_compiled(&bytes)?;
        let len = automaton.bytes.len();
        bytes.copy_within(automaton.bytes, 0);
        bytes.truncate(len);
        bytes.shrink_to_fit();
        gazetteer.with_automaton(automaton.kind, bytes)
    }

    /// Checks the header and checksum and reads everything but the automaton,
    /// which it locates in `bytes`.
    fn read_compiled(bytes: &[u8]) -> Result<(Gazetteer, StoredAutomaton), Error> {
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
        let (gazetteer, automaton) = read_payload(payload)?;
        let from = bytes.len() - payload.len();
        Ok((
            gazetteer,
            StoredAutomaton {
                kind: automaton.kind,
                bytes: from + automaton.bytes.start..from + automaton.bytes.end,
            },
        ))
    }

    /// Builds or loads the automaton of a gazetteer read by `read_payload`.
    fn with_automaton(mut self, kind: u8, automaton: Vec<u8>) -> Result<Gazetteer, Error> {
        self.engine = match kind {
            0 if self.entries.is_empty() => Engine::Empty,
            1 => {
                let folding = Folding { case: true, diacritics: self.diacritics };
                let keys: Vec<String> = self
                    .key_ranges()
                    .map(|range| {
                        let entry = self.entry_ref(&self.entries[range.start]);
                        normalize_pattern(entry.pattern, folding)
                    })
                    .collect();
                Engine::build(EngineKind::AhoCorasick, keys.iter().map(String::as_str))?
            }
            // A key the table does not have finds no entries (`key_entries`), and
            // the trie is checked structurally, so even a wrong trie cannot make
            // matching read out of bounds.
            2 => Engine::deserialize(automaton)?,
            other => return Err(corrupt(format!("unknown automaton kind {other}"))),
        };
        Ok(self)
    }
}

/// Where a compiled file keeps its automaton: its kind byte and its bytes.
struct StoredAutomaton {
    kind: u8,
    bytes: std::ops::Range<usize>,
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

fn write_entry(out: &mut Vec<u8>, entry: &StoredEntry) {
    for value in [
        entry.pattern_start,
        entry.pattern_len,
        entry.id_start,
        entry.id_len,
        entry.label,
        entry.file,
        entry.line,
    ] {
        put_u32(out, value);
    }
    out.extend_from_slice(&entry.priority.to_le_bytes());
    out.push(entry.case.to_byte());
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

/// Reads the payload's tables; the automaton is left where it is, for
/// `Gazetteer::with_automaton`.
fn read_payload(payload: &[u8]) -> Result<(Gazetteer, StoredAutomaton), Error> {
    let mut reader = Reader { bytes: payload };
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
    let strings = reader.str()?.to_string();
    let count = reader.count(ENTRY_LEN)?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let entry = StoredEntry {
            pattern_start: reader.u32()?,
            pattern_len: reader.u32()?,
            id_start: reader.u32()?,
            id_len: reader.u32()?,
            label: reader.u32()?,
            file: reader.u32()?,
            line: reader.u32()?,
            priority: i32::from_le_bytes(reader.array()?),
            case: CasePolicy::from_byte(reader.u8()?)
                .ok_or_else(|| corrupt("unknown case policy"))?,
        };
        let in_strings = |start: u32, len: u32| {
            let (start, end) = (start as usize, start as usize + len as usize);
            strings.is_char_boundary(start)
                && strings.is_char_boundary(end)
                && start <= end
                && end <= strings.len()
        };
        if !in_strings(entry.pattern_start, entry.pattern_len)
            || (entry.id_len != NO_ID && !in_strings(entry.id_start, entry.id_len))
            || entry.label as usize >= labels.len()
            || entry.file as usize >= files.len()
        {
            return Err(corrupt("an entry points outside the tables"));
        }
        entries.push(entry);
    }
    let count = reader.count(4)?;
    let mut key_starts = Vec::with_capacity(count);
    for _ in 0..count {
        key_starts.push(reader.u32()?);
    }
    let monotone = key_starts.windows(2).all(|pair| pair[0] < pair[1]);
    let bounded = key_starts.first() == Some(&0)
        && key_starts.last().is_some_and(|&last| last as usize == entries.len());
    if !monotone || !(bounded || (entries.is_empty() && key_starts.len() <= 1)) {
        return Err(corrupt("bad key table"));
    }
    let rules = read_token_rules(&mut reader)?;
    let automaton_len =
        usize::try_from(reader.u64()?).map_err(|_| Error::new(ErrorKind::Truncated))?;
    let start = payload.len() - reader.bytes.len();
    reader.take(automaton_len)?;
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
    Ok((gazetteer, StoredAutomaton { kind: automaton_kind, bytes: start..start + automaton_len }))
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
