//! The multi-pattern automata behind the matcher.
//!
//! Both report every occurrence of every key, overlapping ones included
//! (standard Aho-Corasick semantics), as `(key, start, end)` in the normalized
//! text's bytes; the matcher keeps those on token boundaries. See the crate README
//! for which one is used where and why.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use daachorse::{DoubleArrayAhoCorasick, DoubleArrayAhoCorasickBuilder};

use crate::error::{Error, ErrorKind};

/// Which automaton to build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum EngineKind {
    /// `aho-corasick`'s contiguous NFA.
    AhoCorasick,
    /// `daachorse`'s double-array automaton, which can be serialized and loaded
    /// back without rebuilding.
    #[default]
    DoubleArray,
}

impl std::str::FromStr for EngineKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aho-corasick" => Ok(EngineKind::AhoCorasick),
            "double-array" | "daachorse" => Ok(EngineKind::DoubleArray),
            other => Err(format!("unknown engine {other:?}: use aho-corasick or double-array")),
        }
    }
}

/// A built automaton over the normalized keys; key `i` is reported as `i`.
#[derive(Clone)]
pub(crate) enum Engine {
    AhoCorasick(AhoCorasick),
    DoubleArray(DoubleArrayAhoCorasick<u32>),
    /// No keys: matches nothing (both libraries refuse an empty pattern set or
    /// handle it awkwardly).
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

impl Engine {
    /// Builds an automaton over `keys`, which must be distinct and non-empty.
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
            EngineKind::DoubleArray => {
                let pairs = keys.enumerate().map(|(index, key)| (key, index as u32));
                DoubleArrayAhoCorasickBuilder::new()
                    .build_with_values(pairs)
                    .map(Engine::DoubleArray)
                    .map_err(engine_error)
            }
        }
    }

    pub(crate) fn kind(&self) -> Option<EngineKind> {
        match self {
            Engine::AhoCorasick(_) => Some(EngineKind::AhoCorasick),
            Engine::DoubleArray(_) => Some(EngineKind::DoubleArray),
            Engine::Empty => None,
        }
    }

    /// Calls `found(key, start, end)` for every occurrence of every key in
    /// `haystack`, overlapping ones included.
    pub(crate) fn for_each_overlapping(
        &self,
        haystack: &str,
        mut found: impl FnMut(u32, usize, usize),
    ) {
        match self {
            Engine::AhoCorasick(automaton) => {
                for m in automaton.find_overlapping_iter(haystack) {
                    found(m.pattern().as_u32(), m.start(), m.end());
                }
            }
            Engine::DoubleArray(automaton) => {
                for m in automaton.find_overlapping_iter(haystack) {
                    found(m.value(), m.start(), m.end());
                }
            }
            Engine::Empty => {}
        }
    }

    /// The serialized automaton, for the compiled form (double-array only).
    pub(crate) fn serialized(&self) -> Option<Vec<u8>> {
        match self {
            Engine::DoubleArray(automaton) => Some(automaton.serialize()),
            _ => None,
        }
    }

    /// Loads a serialized double-array automaton.
    pub(crate) fn deserialize(bytes: &[u8]) -> Result<Engine, Error> {
        let (automaton, rest) = DoubleArrayAhoCorasick::<u32>::deserialize(bytes)
            .map_err(|err| Error::new(ErrorKind::Corrupt { what: format!("automaton: {err}") }))?;
        if !rest.is_empty() {
            return Err(Error::new(ErrorKind::Corrupt {
                what: "bytes left after the automaton".to_string(),
            }));
        }
        Ok(Engine::DoubleArray(automaton))
    }

    /// Heap bytes of the automaton, for `stats`.
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Engine::AhoCorasick(automaton) => automaton.memory_usage(),
            Engine::DoubleArray(automaton) => automaton.heap_bytes(),
            Engine::Empty => 0,
        }
    }
}
