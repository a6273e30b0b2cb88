//! Hash lookups over the generated word lists.
//!
//! The tables are sorted slices (diffable, checked by the interop test), but a binary
//! search over 326 stop words costs nine string comparisons per token, which made
//! `is_stop` and `like_num` the slowest attributes by far. These sets are built from
//! them once, on first use, and reject a text longer than their longest word before
//! hashing it.

use std::sync::LazyLock;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::tables::{BASE_NORMS, EXCEPTIONS, NUM_WORDS, ORDINAL_WORDS, STOP_WORDS, TLDS};
use crate::ExceptionPiece;

/// Room for a lower-cased ASCII word on the stack; every word list's longest word
/// fits (a unit test checks), so a longer text is in none of them.
pub(crate) const WORD_BUFFER: usize = 32;

/// A set of words and the byte length of the longest.
#[derive(Debug)]
pub(crate) struct Words {
    set: FxHashSet<&'static str>,
    longest: usize,
}

impl Words {
    fn new(lists: &[&[&'static str]]) -> Words {
        let set: FxHashSet<&'static str> =
            lists.iter().flat_map(|list| list.iter().copied()).collect();
        let longest = set.iter().map(|word| word.len()).max().unwrap_or(0);
        Words { set, longest }
    }

    #[inline]
    pub(crate) fn contains(&self, text: &str) -> bool {
        text.len() <= self.longest && self.set.contains(text)
    }

    #[cfg(test)]
    pub(crate) fn longest(&self) -> usize {
        self.longest
    }
}

/// English stop words.
pub(crate) static STOP: LazyLock<Words> = LazyLock::new(|| Words::new(&[STOP_WORDS]));
/// English number and ordinal words (like_num).
pub(crate) static NUMBER: LazyLock<Words> =
    LazyLock::new(|| Words::new(&[NUM_WORDS, ORDINAL_WORDS]));
/// like_url's top-level domains.
pub(crate) static TLD: LazyLock<Words> = LazyLock::new(|| Words::new(&[TLDS]));

/// A map from short strings, with the byte length of the longest key.
#[derive(Debug)]
pub(crate) struct ShortMap<V: 'static> {
    map: FxHashMap<&'static str, V>,
    longest: usize,
}

impl<V: Copy> ShortMap<V> {
    fn new(entries: &[(&'static str, V)]) -> ShortMap<V> {
        let map: FxHashMap<&'static str, V> = entries.iter().copied().collect();
        let longest = map.keys().map(|key| key.len()).max().unwrap_or(0);
        ShortMap { map, longest }
    }

    #[inline]
    pub(crate) fn get(&self, text: &str) -> Option<V> {
        if text.len() > self.longest {
            return None;
        }
        self.map.get(text).copied()
    }
}

/// BASE_NORMS.
pub(crate) static BASE_NORM: LazyLock<ShortMap<&'static str>> =
    LazyLock::new(|| ShortMap::new(BASE_NORMS));
/// The tokenizer exceptions.
pub(crate) static EXCEPTION: LazyLock<ShortMap<&'static [ExceptionPiece]>> =
    LazyLock::new(|| ShortMap::new(EXCEPTIONS));
