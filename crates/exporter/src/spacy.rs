//! spaCy 3.x `DocBin` files (`.spacy`), written and read without spaCy.
//!
//! The layout, from spaCy's `spacy/tokens/_serialize.py` (`DocBin.to_bytes`): a
//! zlib stream (`zlib.compress`, not gzip) of one msgpack map:
//!
//! - `version`: `"0.1"`;
//! - `attrs`: the attribute ids of the token table's columns, `ORTH` first, the
//!   rest sorted (`spacy/attrs.pyx`: `ORTH` 65, `ENT_IOB` 77, `ENT_TYPE` 78,
//!   `SENT_START` 80, `ENT_KB_ID` 452);
//! - `tokens`: binary, the token table, one row per token of every document, one
//!   little-endian `uint64` per column;
//! - `spaces`: binary, one byte (0 or 1) per token: `whitespace_`;
//! - `lengths`: binary, one little-endian `int32` per document: its token count;
//! - `strings`: every string the table refers to, sorted;
//! - `cats`, `flags`, `span_groups`: one entry per document (`{}`,
//!   `{"has_unknown_spaces": false}`, the msgpack of an empty list);
//! - `user_data`: one entry per document, the msgpack of `{"id": "<record id>"}`,
//!   which spaCy puts in `doc.user_data`.
//!
//! Strings are stored as `hash_string` values (`spacy/strings.pyx`):
//! MurmurHash64A (`murmurhash`'s `hash64`, from `MurmurHash2.cpp`) of the UTF-8
//! bytes with seed 1; except `""`, which is 0, and spaCy's reserved symbols
//! (`spacy/symbols.pyx`, e.g. `PERSON` = 380), which are their symbol id.
//! `ENT_IOB` is 3 for `B`, 1 for `I`, 2 for `O` (0, missing, is never written);
//! `SENT_START` is 1 on a sentence's first token and -1 (as `uint64`) elsewhere.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use rubric_tokenizer::Tokenizer;
use serde_json::Map;

use smol_str::SmolStr;

use crate::align::{
    align, decode, sentence_starts, tokens_for, AlignmentReport, Misaligned, Position,
};
use crate::error::{Error, Location};
use crate::record::{Record, RecordToken, SpanInput};
use crate::spacy_symbols::SYMBOLS;

const ORTH: u64 = 65;
const ENT_IOB: u64 = 77;
const ENT_TYPE: u64 = 78;
const SENT_START: u64 = 80;
const ENT_KB_ID: u64 = 452;
/// The columns rubric writes, in DocBin's order.
const ATTRS: [u64; 5] = [ORTH, ENT_IOB, ENT_TYPE, SENT_START, ENT_KB_ID];

const IOB_BEGIN: u64 = 3;
const IOB_INSIDE: u64 = 1;
const IOB_OUTSIDE: u64 = 2;
/// `-1` as spaCy stores it in the `uint64` table.
const NOT_SENT_START: u64 = u64::MAX;

/// MurmurHash64A, as `MurmurHash2.cpp` (Austin Appleby) defines it, on a
/// little-endian machine.
pub(crate) fn murmurhash64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let chunks = key.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let mut k = u64::from_le_bytes(bytes);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate() {
            h ^= u64::from(byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The id spaCy's `StringStore` gives `string` (`spacy.strings.get_string_id`):
/// 0 for `""`, the symbol id for a reserved symbol, otherwise the 64-bit
/// MurmurHash64A of its UTF-8 bytes with seed 1.
pub fn spacy_string_id(string: &str) -> u64 {
    if string.is_empty() {
        return 0;
    }
    match SYMBOLS.binary_search_by(|(name, _)| name.as_bytes().cmp(string.as_bytes())) {
        Ok(index) => SYMBOLS[index].1,
        Err(_) => murmurhash64a(string.as_bytes(), 1),
    }
}

/// Writes records into a spaCy 3.x `DocBin` (`.spacy` file) that
/// `spacy.tokens.DocBin().from_disk(path).get_docs(nlp.vocab)` loads with the same
/// tokens (white-space tokens included), the same `whitespace_`, the spans as
/// `doc.ents` (label, and `kb_id_` from `kb_id`), sentence starts from the
/// tokenizer, and the record id in `doc.user_data["id"]`.
///
/// `doc.ents` holds one label per token: spans must be aligned with tokens and must
/// not overlap (see [`Misaligned`]). The file is written by [`DocBinWriter::finish`].
#[derive(Debug)]
pub struct DocBinWriter {
    policy: Misaligned,
    report: AlignmentReport,
    tokenizer: Tokenizer,
    strings: BTreeSet<String>,
    tokens: Vec<u64>,
    spaces: Vec<u8>,
    lengths: Vec<i32>,
    ids: Vec<String>,
}

impl DocBinWriter {
    /// A writer with the given misalignment policy.
    pub fn new(policy: Misaligned) -> Self {
        DocBinWriter {
            policy,
            report: AlignmentReport::default(),
            tokenizer: Tokenizer::new(),
            strings: BTreeSet::new(),
            tokens: Vec::new(),
            spaces: Vec::new(),
            lengths: Vec::new(),
            ids: Vec::new(),
        }
    }

    /// Adds one document.
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        let record = &*tokens_for(record, &self.tokenizer, &mut self.report)?;
        let aligned = align(record, self.policy, false, "spaCy", &mut self.report)?;
        let text = record.text();
        let length = i32::try_from(record.tokens().len()).map_err(|_| {
            Error::syntax(
                Location::source(record.id()),
                "the document has more tokens than a DocBin can hold (2^31) — split it",
            )
        })?;
        let mut rows: Vec<[u64; 5]> = Vec::with_capacity(record.tokens().len());
        for token in record.tokens() {
            let orth = token.text(text);
            self.strings.insert(orth.to_string());
            rows.push([spacy_string_id(orth), IOB_OUTSIDE, 0, NOT_SENT_START, 0]);
            self.spaces.push(u8::from(token.ws));
        }
        for start in sentence_starts(record, &self.tokenizer, &aligned) {
            if let Some(row) = rows.get_mut(start) {
                row[3] = 1;
            }
        }
        for span in &aligned.spans {
            self.strings.insert(span.label.to_string());
            let label = spacy_string_id(&span.label);
            let kb_id = match &span.kb_id {
                Some(kb_id) => {
                    self.strings.insert(kb_id.to_string());
                    spacy_string_id(kb_id)
                }
                None => 0,
            };
            for (n, &i) in aligned.tokens[span.first..=span.last].iter().enumerate() {
                let iob = if n == 0 { IOB_BEGIN } else { IOB_INSIDE };
                rows[i][1] = iob;
                rows[i][2] = label;
                rows[i][4] = kb_id;
            }
        }
        self.tokens.extend(rows.iter().flatten());
        self.lengths.push(length);
        self.ids.push(record.id().to_string());
        Ok(())
    }

    /// What the misalignment policy did so far.
    pub fn report(&self) -> AlignmentReport {
        self.report
    }

    /// The DocBin's bytes: what [`DocBinWriter::finish`] writes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut msg = Vec::new();
        encode_docbin(self, &mut msg).map_err(|err| Error::io(std::io::Error::other(err)))?;
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&msg).map_err(Error::io)?;
        encoder.finish().map_err(Error::io)
    }

    /// Writes the DocBin to `out`.
    pub fn finish(self, mut out: impl Write) -> Result<(), Error> {
        let bytes = self.to_bytes()?;
        out.write_all(&bytes).map_err(Error::io)?;
        out.flush().map_err(Error::io)
    }
}

/// The msgpack map of `DocBin.to_bytes`, field for field.
fn encode_docbin(bin: &DocBinWriter, out: &mut Vec<u8>) -> Result<(), String> {
    use rmp::encode::{
        write_array_len, write_bin, write_bool, write_map_len, write_str, write_uint,
    };
    let e = |err: rmp::encode::ValueWriteError| err.to_string();
    let docs = u32::try_from(bin.lengths.len()).map_err(|err| err.to_string())?;
    write_map_len(out, 10).map_err(e)?;
    write_str(out, "version").map_err(e)?;
    write_str(out, "0.1").map_err(e)?;
    write_str(out, "attrs").map_err(e)?;
    write_array_len(out, ATTRS.len() as u32).map_err(e)?;
    for attr in ATTRS {
        write_uint(out, attr).map_err(e)?;
    }
    write_str(out, "tokens").map_err(e)?;
    let tokens: Vec<u8> = bin.tokens.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_bin(out, &tokens).map_err(e)?;
    write_str(out, "spaces").map_err(e)?;
    write_bin(out, &bin.spaces).map_err(e)?;
    write_str(out, "lengths").map_err(e)?;
    let lengths: Vec<u8> = bin.lengths.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_bin(out, &lengths).map_err(e)?;
    write_str(out, "strings").map_err(e)?;
    let strings = u32::try_from(bin.strings.len()).map_err(|err| err.to_string())?;
    write_array_len(out, strings).map_err(e)?;
    for string in &bin.strings {
        write_str(out, string).map_err(e)?;
    }
    write_str(out, "cats").map_err(e)?;
    write_array_len(out, docs).map_err(e)?;
    for _ in 0..docs {
        write_map_len(out, 0).map_err(e)?;
    }
    write_str(out, "flags").map_err(e)?;
    write_array_len(out, docs).map_err(e)?;
    for _ in 0..docs {
        write_map_len(out, 1).map_err(e)?;
        write_str(out, "has_unknown_spaces").map_err(e)?;
        write_bool(out, false).map_err(|err| err.to_string())?;
    }
    write_str(out, "span_groups").map_err(e)?;
    write_array_len(out, docs).map_err(e)?;
    for _ in 0..docs {
        // `SpanGroups._EMPTY_BYTES`: the msgpack of an empty list.
        write_bin(out, &[0x90]).map_err(e)?;
    }
    write_str(out, "user_data").map_err(e)?;
    write_array_len(out, docs).map_err(e)?;
    for id in &bin.ids {
        let mut user_data = Vec::new();
        write_map_len(&mut user_data, 1).map_err(e)?;
        write_str(&mut user_data, "id").map_err(e)?;
        write_str(&mut user_data, id).map_err(e)?;
        write_bin(out, &user_data).map_err(e)?;
    }
    Ok(())
}

/// Reads a spaCy 3.x `DocBin` (written by rubric or by spaCy) into records.
///
/// Tokens, `whitespace_` and the text they make are kept exactly; entities come
/// from `ENT_IOB`/`ENT_TYPE` (and `ENT_KB_ID`); span groups, categories and other
/// attributes are not read. The id is `user_data["id"]` when it is a string,
/// otherwise `<source>#<n>` (n from 1). Each span's `source` is the same.
pub fn read_docbin(source: &str, bytes: &[u8]) -> Result<Vec<Record>, Error> {
    let bad = |what: &str| {
        Error::syntax(
            Location::source(source),
            format!(
                "not a spaCy DocBin ({what}) — pass a .spacy file written by \
                 DocBin.to_disk or by rubric"
            ),
        )
    };
    let mut msg = Vec::new();
    ZlibDecoder::new(bytes).read_to_end(&mut msg).map_err(|_| bad("not a zlib stream"))?;
    let value = rmpv::decode::read_value(&mut msg.as_slice()).map_err(|_| bad("not msgpack"))?;
    let rmpv::Value::Map(entries) = value else {
        return Err(bad("not a msgpack map"));
    };
    let field = |name: &str| entries.iter().find(|(k, _)| k.as_str() == Some(name)).map(|e| &e.1);
    let attrs: Vec<u64> = field("attrs")
        .and_then(|v| v.as_array())
        .and_then(|a| a.iter().map(rmpv::Value::as_u64).collect())
        .ok_or_else(|| bad("no attrs"))?;
    let column = |attr| attrs.iter().position(|&a| a == attr);
    let orth_column = column(ORTH).ok_or_else(|| bad("no ORTH column"))?;
    let binary = |name| field(name).and_then(|v| v.as_slice()).ok_or_else(|| bad(name));
    let table: Vec<u64> = binary("tokens")?
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    let spaces = binary("spaces")?;
    let lengths: Vec<usize> = binary("lengths")?
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]).max(0) as usize)
        .collect();
    let mut strings: HashMap<u64, String> =
        SYMBOLS.iter().map(|&(name, id)| (id, name.to_string())).collect();
    for string in field("strings").and_then(|v| v.as_array()).ok_or_else(|| bad("no strings"))? {
        let string = string.as_str().ok_or_else(|| bad("a string that is not UTF-8"))?;
        strings.insert(spacy_string_id(string), string.to_string());
    }
    let user_ids: Vec<Option<String>> = field("user_data")
        .and_then(|v| v.as_array())
        .map(|list| list.iter().map(user_data_id).collect())
        .unwrap_or_default();
    let width = attrs.len();
    if width == 0
        || table.len() != width * spaces.len()
        || lengths.iter().sum::<usize>() != spaces.len()
    {
        return Err(bad("the token table, spaces and lengths disagree"));
    }
    let lookup = |hash: u64| strings.get(&hash).ok_or_else(|| bad("a hash with no string"));
    let mut records = Vec::with_capacity(lengths.len());
    let mut row = 0;
    for (n, &length) in lengths.iter().enumerate() {
        let id =
            user_ids.get(n).cloned().flatten().unwrap_or_else(|| format!("{source}#{}", n + 1));
        let mut text = String::new();
        let mut tokens = Vec::with_capacity(length);
        let mut tags: Vec<(Position, String)> = Vec::with_capacity(length);
        let mut kb_ids = Vec::with_capacity(length);
        for i in row..row + length {
            let cells = &table[i * width..(i + 1) * width];
            let start = text.len();
            text.push_str(lookup(cells[orth_column])?);
            let ws = spaces[i] != 0;
            tokens.push(RecordToken { start, end: text.len(), ws });
            if ws {
                text.push(' ');
            }
            let iob = column(ENT_IOB).map_or(0, |c| cells[c]);
            let label = match column(ENT_TYPE).map_or(0, |c| cells[c]) {
                0 => String::new(),
                hash => lookup(hash)?.clone(),
            };
            let position = match iob {
                IOB_BEGIN => Position::Begin,
                IOB_INSIDE => Position::Inside,
                _ => Position::Outside,
            };
            tags.push((position, label));
            kb_ids.push(match column(ENT_KB_ID).map_or(0, |c| cells[c]) {
                0 => None,
                hash => Some(lookup(hash)?.clone()),
            });
        }
        row += length;
        let positions: Vec<(Position, &str)> = tags.iter().map(|(p, l)| (*p, l.as_str())).collect();
        let spans = decode(&positions)
            .into_iter()
            .map(|(first, last, label)| {
                let mut span = SpanInput::new(tokens[first].start, tokens[last].end, label)
                    .source(format!("{source}#{}", n + 1));
                span.kb_id = kb_ids[first].as_deref().map(SmolStr::new);
                span
            })
            .collect();
        let record = Record::from_parts(id, text, tokens, spans, Map::new())
            .map_err(|err| err.or_at(|| Location::source(source)))?;
        records.push(record);
    }
    Ok(records)
}

fn user_data_id(bytes: &rmpv::Value) -> Option<String> {
    let mut slice = bytes.as_slice()?;
    let value = rmpv::decode::read_value(&mut slice).ok()?;
    let rmpv::Value::Map(entries) = value else { return None };
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some("id"))
        .and_then(|(_, v)| v.as_str().map(str::to_string))
}
