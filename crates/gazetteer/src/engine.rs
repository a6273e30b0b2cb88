//! The key indexes behind the matcher.
//!
//! Matches can only begin where a token begins, so the default engine is a trie
//! of the normalized keys walked from each token start: the walk stops as soon as
//! no key continues with the next byte, so most starts cost a step or two and no
//! byte between tokens is looked at. The other engine is `aho-corasick`'s
//! automaton, which scans every byte and reports every occurrence, overlapping
//! ones included; the matcher keeps those that begin at a token start. Both
//! report `(key, start, end)` in the normalized text's bytes, for every key that
//! occurs from one of the given starts, ordered by end for each start; the
//! matcher keeps those that end at a token end. See the crate README for the
//! measurements behind the choice.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::compiled::{le_u32, Bytes};
use crate::error::{Error, ErrorKind};

/// Which index to build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum EngineKind {
    /// `aho-corasick`'s contiguous NFA, scanning every byte; rebuilt when a
    /// compiled gazetteer is loaded.
    AhoCorasick,
    /// A double-array trie (`yada`) walked from each token start; stored in the
    /// compiled form as it is used, so loading only checks it.
    #[default]
    DoubleArray,
}

impl std::str::FromStr for EngineKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aho-corasick" => Ok(EngineKind::AhoCorasick),
            "double-array" => Ok(EngineKind::DoubleArray),
            other => Err(format!("unknown engine {other:?}: use aho-corasick or double-array")),
        }
    }
}

/// A built index over the normalized keys; key `i` is reported as `i`.
#[derive(Clone)]
pub(crate) enum Engine {
    AhoCorasick(AhoCorasick),
    DoubleArray(Trie),
    /// No keys: matches nothing (both libraries refuse an empty key set).
    Empty,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::AhoCorasick(_) => "Engine::AhoCorasick",
            Engine::DoubleArray(_) => "Engine::DoubleArray",
            Engine::Empty => "Engine::Empty",
        })
    }
}

fn engine_error(message: impl ToString) -> Error {
    Error::new(ErrorKind::Engine { message: message.to_string() })
}

fn corrupt(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::Corrupt { what: what.into() })
}

impl Engine {
    /// Builds an index over `keys`, which must be distinct, non-empty and sorted
    /// by bytes (as `GazetteerBuilder::build` makes them).
    pub(crate) fn build<'k>(
        kind: EngineKind,
        keys: impl ExactSizeIterator<Item = &'k str>,
    ) -> Result<Engine, Error> {
        if keys.len() == 0 {
            return Ok(Engine::Empty);
        }
        match kind {
            EngineKind::AhoCorasick => AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(keys)
                .map(Engine::AhoCorasick)
                .map_err(engine_error),
            EngineKind::DoubleArray => Trie::build(keys).map(Engine::DoubleArray),
        }
    }

    pub(crate) fn kind(&self) -> Option<EngineKind> {
        match self {
            Engine::AhoCorasick(_) => Some(EngineKind::AhoCorasick),
            Engine::DoubleArray(_) => Some(EngineKind::DoubleArray),
            Engine::Empty => None,
        }
    }

    /// Calls `found(key, start, end)` for every occurrence of a key in
    /// `haystack` that begins at one of `starts` (sorted, distinct byte offsets
    /// on character boundaries); for each start, in order of end.
    pub(crate) fn for_each_from(
        &self,
        haystack: &str,
        starts: &[usize],
        mut found: impl FnMut(u32, usize, usize),
    ) {
        match self {
            Engine::AhoCorasick(automaton) => {
                for m in automaton.find_overlapping_iter(haystack) {
                    if starts.binary_search(&m.start()).is_ok() {
                        found(m.pattern().as_u32(), m.start(), m.end());
                    }
                }
            }
            Engine::DoubleArray(trie) => {
                // Once, not at every start: the array is a view of shared storage.
                let array = trie.array.as_deref();
                for &start in starts {
                    trie.for_each_prefix(array, haystack.as_bytes(), start, |key, end| {
                        found(key, start, end)
                    });
                }
            }
            Engine::Empty => {}
        }
    }

    /// The stored index, for the compiled form (double-array only).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn serialized(&self) -> Option<Vec<u8>> {
        self.serialized_parts().map(|(head, array)| [head.as_slice(), array].concat())
    }

    /// The stored index in two parts, written one after the other: the keys
    /// kept aside, and the array, where it is (not copied to be written).
    pub(crate) fn serialized_parts(&self) -> Option<(Vec<u8>, &[u8])> {
        match self {
            Engine::DoubleArray(trie) => Some(trie.serialize_parts()),
            _ => None,
        }
    }

    /// Loads a stored double-array trie from its bytes, which it keeps.
    pub(crate) fn deserialize(bytes: Bytes) -> Result<Engine, Error> {
        Trie::deserialize(bytes).map(Engine::DoubleArray)
    }

    /// Heap bytes of the index, for `stats`.
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Engine::AhoCorasick(automaton) => automaton.memory_usage(),
            Engine::DoubleArray(trie) => trie.heap_bytes(),
            Engine::Empty => 0,
        }
    }
}

/// A double-array trie of keys (`yada`'s layout: 4-byte units, read in place from
/// any byte slice, so a compiled file's bytes are the index as they are), plus
/// the keys it cannot hold.
///
/// `yada` builds the array; the walk is ours (`for_each_prefix`), the same as
/// `yada`'s `common_prefix_search` but with every unit read bounds-checked, so
/// that a mapped file needs no check of its whole array on load (`yada`'s
/// reader reads units unchecked and must validate every unit first).
///
/// Two kinds of keys are kept aside and compared at every start instead: those
/// with a NUL byte (`yada` ends each key with one; a pattern with U+0000 in it is
/// legal, if unlikely) and those longer than [`MAX_TRIE_KEY`] bytes (`yada`'s
/// builder recurses once per byte of a key, so a 10,000-character pattern would
/// overflow the stack). A name dictionary has almost never any.
#[derive(Clone)]
pub(crate) struct Trie {
    /// `None` when every key holds a NUL byte (`yada` refuses an empty key set).
    array: Option<Bytes>,
    aside: Vec<(u32, Box<[u8]>)>,
}

/// The longest key the trie holds, in bytes; longer ones are kept aside.
const MAX_TRIE_KEY: usize = 1024;

/// The builder's stack: its recursion is at most `MAX_TRIE_KEY` deep, with
/// frames of a few hundred bytes (more in a debug build), so this leaves a wide
/// margin whatever thread builds (a test thread has 2 MB).
const BUILDER_STACK: usize = 64 << 20;

/// `yada`'s unit: bits 0-7 the label, 8 has-a-leaf, 9 the offset's scale, 10-30
/// the offset, 31 is-a-leaf (then bits 0-30 the value).
#[derive(Clone, Copy)]
struct Unit(u32);

impl Unit {
    #[inline]
    fn at(array: &[u8], index: usize) -> Option<Unit> {
        let at = index.checked_mul(4)?;
        array.get(at..at + 4).map(|bytes| Unit(le_u32(bytes)))
    }

    #[inline]
    fn has_leaf(self) -> bool {
        self.0 >> 8 & 1 == 1
    }

    #[inline]
    fn is_leaf(self) -> bool {
        self.0 >> 31 == 1
    }

    #[inline]
    fn value(self) -> u32 {
        self.0 & 0x7FFF_FFFF
    }

    #[inline]
    fn label(self) -> u32 {
        self.0 & ((1 << 31) | 0xFF)
    }

    #[inline]
    fn offset(self) -> u32 {
        (self.0 >> 10) << ((self.0 & (1 << 9)) >> 6)
    }
}

/// `yada`'s arrays are whole blocks of this many units.
const BLOCK_UNITS: usize = 256;

impl Trie {
    fn build<'k>(keys: impl Iterator<Item = &'k str>) -> Result<Trie, Error> {
        let mut in_array: Vec<(&[u8], u32)> = Vec::new();
        let mut aside = Vec::new();
        for (index, key) in keys.enumerate() {
            // yada's values are 31 bits.
            let index = u32::try_from(index)
                .ok()
                .filter(|&index| index < 1 << 31)
                .ok_or_else(|| Error::new(ErrorKind::TooLarge))?;
            if key.len() > MAX_TRIE_KEY || key.as_bytes().contains(&0) {
                aside.push((index, key.as_bytes().into()));
            } else {
                in_array.push((key.as_bytes(), index));
            }
        }
        let array = if in_array.is_empty() {
            None
        } else {
            let build = || yada::builder::DoubleArrayBuilder::build(&in_array);
            let bytes = std::thread::scope(|scope| {
                let builder = std::thread::Builder::new().stack_size(BUILDER_STACK);
                match builder.spawn_scoped(scope, build) {
                    Ok(handle) => {
                        handle.join().map_err(|_| "the trie builder panicked".to_string())
                    }
                    Err(err) => Err(format!("cannot start the trie builder: {err}")),
                }
            })
            .map_err(engine_error)?
            .map_err(engine_error)?;
            Some(checked_array(Bytes::owned(bytes))?)
        };
        Ok(Trie { array, aside })
    }

    /// Calls `found(key, end)` for every key that `haystack[start..]` begins
    /// with, in order of end.
    #[inline]
    fn for_each_prefix(
        &self,
        array: Option<&[u8]>,
        haystack: &[u8],
        start: usize,
        mut found: impl FnMut(u32, usize),
    ) {
        let Some(rest) = haystack.get(start..) else { return };
        if self.aside.is_empty() {
            if let Some(array) = array {
                walk(array, rest, |key, len| found(key, start + len));
            }
            return;
        }
        let mut hits: Vec<(usize, u32)> = Vec::new();
        if let Some(array) = array {
            walk(array, rest, |key, len| hits.push((len, key)));
        }
        for (key, bytes) in &self.aside {
            if rest.starts_with(bytes) {
                hits.push((bytes.len(), *key));
            }
        }
        hits.sort_unstable();
        for (len, key) in hits {
            found(key, start + len);
        }
    }

    /// `u32 count | (u32 key, u32 length, bytes) × count | the array (the rest;
    /// empty for none)`: the array last, so that a loader can keep it where it
    /// is. The first part, and the array.
    fn serialize_parts(&self) -> (Vec<u8>, &[u8]) {
        let array: &[u8] = self.array.as_deref().unwrap_or_default();
        let mut out = Vec::new();
        out.extend_from_slice(&(self.aside.len() as u32).to_le_bytes());
        for (key, bytes) in &self.aside {
            out.extend_from_slice(&key.to_le_bytes());
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        (out, array)
    }

    /// Reads what `serialize_parts` wrote, keeping the array where it is.
    fn deserialize(bytes: Bytes) -> Result<Trie, Error> {
        let mut at = 0;
        let u32_at = |at: &mut usize| -> Result<u32, Error> {
            let field = bytes.get(*at..*at + 4).ok_or_else(|| Error::new(ErrorKind::Truncated))?;
            *at += 4;
            Ok(le_u32(field))
        };
        let count = u32_at(&mut at)?;
        let mut aside = Vec::new();
        for _ in 0..count {
            let key = u32_at(&mut at)?;
            let len = u32_at(&mut at)? as usize;
            let key_bytes = bytes
                .get(at..at.saturating_add(len))
                .ok_or_else(|| Error::new(ErrorKind::Truncated))?;
            aside.push((key, key_bytes.into()));
            at += len;
        }
        let array = if at == bytes.len() { None } else { Some(checked_array(bytes.slice(at..))?) };
        Ok(Trie { array, aside })
    }

    fn heap_bytes(&self) -> usize {
        self.array.as_ref().map_or(0, |array| array.len())
            + self.aside.iter().map(|(_, bytes)| bytes.len() + 16).sum::<usize>()
    }
}

/// `yada`'s `common_prefix_search` over `array`: calls `found(key, length)` for
/// every key that `text` begins with, in order of length. Every unit is read
/// with a bounds check; a walk that would leave the array stops, as one that
/// finds no transition does.
#[inline]
fn walk(array: &[u8], text: &[u8], mut found: impl FnMut(u32, usize)) {
    let mut node = 0usize;
    let Some(mut unit) = Unit::at(array, node) else { return };
    for (position, &byte) in text.iter().enumerate() {
        node = (unit.offset() ^ node as u32 ^ u32::from(byte)) as usize;
        let Some(next) = Unit::at(array, node) else { return };
        if next.label() != u32::from(byte) {
            return;
        }
        unit = next;
        if unit.has_leaf() {
            let Some(leaf) = Unit::at(array, (unit.offset() ^ node as u32) as usize) else {
                return;
            };
            found(leaf.value(), position + 1);
        }
    }
}

/// The checks on a stored array that cost nothing to make (the walk checks the
/// rest as it reads): whole units, whole blocks (as `yada` builds them), and a
/// root that is an inner unit whose transitions start inside the array. They
/// catch a cut or misplaced array without reading it.
fn checked_array(bytes: Bytes) -> Result<Bytes, Error> {
    let units = bytes.len() / 4;
    if bytes.len() % 4 != 0 {
        return Err(corrupt("double-array trie: not a whole number of units"));
    }
    if units == 0 || units % BLOCK_UNITS != 0 {
        return Err(corrupt("double-array trie: not a whole number of blocks"));
    }
    let Some(root) = Unit::at(&bytes, 0) else {
        return Err(corrupt("double-array trie: empty"));
    };
    if root.is_leaf() {
        return Err(corrupt("double-array trie: the root is a leaf"));
    }
    if root.offset() as usize >= units {
        return Err(corrupt("double-array trie: the root points outside the array"));
    }
    Ok(bytes)
}
