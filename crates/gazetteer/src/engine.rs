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
                for &start in starts {
                    trie.for_each_prefix(haystack.as_bytes(), start, |key, end| {
                        found(key, start, end)
                    });
                }
            }
            Engine::Empty => {}
        }
    }

    /// The stored index, for the compiled form (double-array only).
    pub(crate) fn serialized(&self) -> Option<Vec<u8>> {
        match self {
            Engine::DoubleArray(trie) => Some(trie.serialize()),
            _ => None,
        }
    }

    /// Loads a stored double-array trie from its bytes, which it keeps.
    pub(crate) fn deserialize(bytes: Vec<u8>) -> Result<Engine, Error> {
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
/// Two kinds of keys are kept aside and compared at every start instead: those
/// with a NUL byte (`yada` ends each key with one; a pattern with U+0000 in it is
/// legal, if unlikely) and those longer than [`MAX_TRIE_KEY`] bytes (`yada`'s
/// builder recurses once per byte of a key, so a 10,000-character pattern would
/// overflow the stack). A name dictionary has almost never any.
#[derive(Clone)]
pub(crate) struct Trie {
    /// `None` when every key holds a NUL byte (`yada` refuses an empty key set).
    array: Option<yada::DoubleArray<Vec<u8>>>,
    aside: Vec<(u32, Box<[u8]>)>,
}

/// The longest key the trie holds, in bytes; longer ones are kept aside.
const MAX_TRIE_KEY: usize = 1024;

/// The builder's stack: its recursion is at most `MAX_TRIE_KEY` deep, with
/// frames of a few hundred bytes (more in a debug build), so this leaves a wide
/// margin whatever thread builds (a test thread has 2 MB).
const BUILDER_STACK: usize = 64 << 20;

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
            Some(checked_array(bytes)?)
        };
        Ok(Trie { array, aside })
    }

    /// Calls `found(key, end)` for every key that `haystack[start..]` begins
    /// with, in order of end.
    #[inline]
    fn for_each_prefix(&self, haystack: &[u8], start: usize, mut found: impl FnMut(u32, usize)) {
        let Some(rest) = haystack.get(start..) else { return };
        if self.aside.is_empty() {
            if let Some(array) = &self.array {
                for (key, len) in array.common_prefix_search(rest) {
                    found(key, start + len);
                }
            }
            return;
        }
        let in_array = self.array.iter().flat_map(|array| array.common_prefix_search(rest));
        let mut hits: Vec<(usize, u32)> = in_array.map(|(key, len)| (len, key)).collect();
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
    /// empty for none)`: the array last, so that a loader can keep it where it is.
    fn serialize(&self) -> Vec<u8> {
        let array: &[u8] = self.array.as_ref().map_or(&[], |array| &array.0);
        let mut out = Vec::with_capacity(array.len() + 4);
        out.extend_from_slice(&(self.aside.len() as u32).to_le_bytes());
        for (key, bytes) in &self.aside {
            out.extend_from_slice(&key.to_le_bytes());
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        out.extend_from_slice(array);
        out
    }

    /// Reads what `serialize` wrote, keeping the array's bytes in `bytes`.
    fn deserialize(mut bytes: Vec<u8>) -> Result<Trie, Error> {
        let mut at = 0;
        let u32_at = |at: &mut usize| -> Result<u32, Error> {
            let field = bytes.get(*at..*at + 4).ok_or_else(|| Error::new(ErrorKind::Truncated))?;
            *at += 4;
            Ok(u32::from_le_bytes([field[0], field[1], field[2], field[3]]))
        };
        let count = u32_at(&mut at)?;
        let mut aside = Vec::new();
        for _ in 0..count {
            let key = u32_at(&mut at)?;
            let len = u32_at(&mut at)? as usize;
            let key_bytes =
                bytes.get(at..at + len).ok_or_else(|| Error::new(ErrorKind::Truncated))?;
            aside.push((key, key_bytes.into()));
            at += len;
        }
        bytes.drain(..at);
        let array = if bytes.is_empty() { None } else { Some(checked_array(bytes)?) };
        Ok(Trie { array, aside })
    }

    fn heap_bytes(&self) -> usize {
        self.array.as_ref().map_or(0, |array| array.0.len())
            + self.aside.iter().map(|(_, bytes)| bytes.len() + 16).sum::<usize>()
    }
}

/// `yada`'s structural check (every transition out of an inner unit stays inside
/// the array), plus one it leaves out: the root, where every walk starts without
/// looking, must be an inner unit (its top bit clear). With both, no walk over
/// any bytes can read outside the array, so a damaged file is an error, never a
/// crash.
fn checked_array(bytes: Vec<u8>) -> Result<yada::DoubleArray<Vec<u8>>, Error> {
    if bytes.get(3).is_some_and(|byte| byte >> 7 == 1) {
        return Err(corrupt("double-array trie: the root is a leaf"));
    }
    // yada's messages start with "double-array trie".
    yada::DoubleArray::new(bytes).map_err(|err| corrupt(err.to_string()))
}
