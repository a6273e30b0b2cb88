//! Offsets that state their unit.
//!
//! rubric works on byte offsets internally: they index a Rust `&str` directly and
//! cost nothing to compute. Users read offsets in other units: Python `str` indices
//! are Unicode code points, JavaScript and Java strings are UTF-16 code units. This
//! crate is the single place where byte offsets become user offsets and back.
//!
//! ```
//! use rubric_offsets::{OffsetMap, OffsetUnit};
//!
//! let text = "I ♥ 🦀";
//! let chars = OffsetMap::new(text, OffsetUnit::Char);
//! let utf16 = OffsetMap::new(text, OffsetUnit::Utf16);
//! let crab = text.find('🦀').unwrap(); // byte 6
//! assert_eq!(chars.to_unit(crab).unwrap(), 4);
//! assert_eq!(utf16.to_unit(crab).unwrap(), 4);
//! assert_eq!(chars.to_unit(text.len()).unwrap(), 5);
//! assert_eq!(utf16.to_unit(text.len()).unwrap(), 6); // the crab is a surrogate pair
//! assert_eq!(utf16.to_byte(4).unwrap(), crab);
//! assert!(utf16.to_byte(5).is_err()); // inside the surrogate pair
//! ```
#![deny(missing_docs)]

use std::fmt;
use std::str::FromStr;

/// The unit an offset counts in.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum OffsetUnit {
    /// UTF-8 bytes: what Rust's `str` indexes.
    Byte,
    /// Unicode code points (scalar values): what Python's `str` indexes. The default.
    #[default]
    Char,
    /// UTF-16 code units: what JavaScript, Java and C# strings index. A character
    /// outside the Basic Multilingual Plane (most emoji) counts 2.
    Utf16,
}

impl OffsetUnit {
    /// The name used on the command line and in records: `byte`, `char` or `utf16`.
    pub fn as_str(self) -> &'static str {
        match self {
            OffsetUnit::Byte => "byte",
            OffsetUnit::Char => "char",
            OffsetUnit::Utf16 => "utf16",
        }
    }

    /// How many units `c` occupies.
    pub fn len_of(self, c: char) -> usize {
        match self {
            OffsetUnit::Byte => c.len_utf8(),
            OffsetUnit::Char => 1,
            OffsetUnit::Utf16 => c.len_utf16(),
        }
    }

    /// How many units `text` occupies.
    pub fn len_of_str(self, text: &str) -> usize {
        match self {
            OffsetUnit::Byte => text.len(),
            OffsetUnit::Char => text.chars().count(),
            OffsetUnit::Utf16 => text.chars().map(char::len_utf16).sum(),
        }
    }
}

impl fmt::Display for OffsetUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OffsetUnit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "byte" | "bytes" => Ok(OffsetUnit::Byte),
            "char" | "chars" | "codepoint" => Ok(OffsetUnit::Char),
            "utf16" | "utf-16" => Ok(OffsetUnit::Utf16),
            other => Err(format!("unknown offset unit {other:?}: expected byte, char or utf16")),
        }
    }
}

/// Why an offset could not be converted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{unit} offset {offset} {kind}")]
pub struct OffsetError {
    /// The offset that was given.
    pub offset: usize,
    /// The unit it was given in.
    pub unit: OffsetUnit,
    /// What is wrong with it.
    pub kind: OffsetErrorKind,
}

/// What is wrong with an offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OffsetErrorKind {
    /// The offset is past the end of the text.
    OutOfRange {
        /// The length of the text in the same unit.
        len: usize,
    },
    /// The offset falls inside a character (inside a UTF-8 sequence, or between the
    /// two halves of a UTF-16 surrogate pair).
    InsideCharacter,
}

impl fmt::Display for OffsetErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OffsetErrorKind::OutOfRange { len } => {
                write!(f, "is past the end of the text (length {len})")
            }
            OffsetErrorKind::InsideCharacter => f.write_str("falls inside a character"),
        }
    }
}

/// Converts between byte offsets and offsets in one [`OffsetUnit`] for one text.
///
/// Building the map is one pass over the text; it remembers only where the
/// non-ASCII characters are, so pure ASCII text (most English news) costs nothing
/// and each conversion is a binary search.
#[derive(Clone, Debug)]
pub struct OffsetMap<'t> {
    text: &'t str,
    unit: OffsetUnit,
    /// Every character whose byte length differs from its length in `unit`, in
    /// text order. Between two such characters the two counts advance together.
    wide: Vec<Wide>,
    unit_len: usize,
}

impl<'t> OffsetMap<'t> {
    /// Indexes `text` for conversions to and from `unit`.
    pub fn new(text: &'t str, unit: OffsetUnit) -> Self {
        let mut wide = Vec::new();
        let mut shrink = 0usize; // bytes minus units, so far
        if unit != OffsetUnit::Byte && !text.is_ascii() {
            // A character's lengths follow from its leading byte alone, so the
            // pass looks at bytes and never decodes a character.
            for (byte, &lead) in text.as_bytes().iter().enumerate() {
                let (bytes, units) = match lead {
                    0xC0..=0xDF => (2, 1),
                    0xE0..=0xEF => (3, 1),
                    0xF0..=0xFF => (4, if unit == OffsetUnit::Utf16 { 2 } else { 1 }),
                    _ => continue,
                };
                wide.push(Wide { byte, unit: byte - shrink, bytes, units });
                shrink += bytes - units;
            }
        }
        OffsetMap { text, unit, wide, unit_len: text.len() - shrink }
    }

    /// A converter for byte offsets that mostly come in increasing order (the
    /// starts and ends of a text's tokens): each conversion then costs a step,
    /// not a search. Offsets out of order are still converted correctly.
    pub fn cursor(&self) -> OffsetCursor<'_, 't> {
        OffsetCursor { map: self, before: 0 }
    }

    /// The unit this map converts to.
    pub fn unit(&self) -> OffsetUnit {
        self.unit
    }

    /// The length of the text in this map's unit.
    pub fn unit_len(&self) -> usize {
        self.unit_len
    }

    /// Converts a byte offset into this map's unit.
    pub fn to_unit(&self, byte: usize) -> Result<usize, OffsetError> {
        self.check_byte(byte)?;
        let before = self.wide.partition_point(|wide| wide.byte < byte);
        Ok(self.unit_at(byte, before))
    }

    /// The unit offset of char boundary `byte`, given that `before` wide
    /// characters start before it.
    fn unit_at(&self, byte: usize, before: usize) -> usize {
        match before.checked_sub(1).map(|i| self.wide[i]) {
            None => byte,
            Some(wide) => wide.unit + wide.units + (byte - wide.byte - wide.bytes),
        }
    }

    /// Checks that `byte` is a char boundary of the text.
    fn check_byte(&self, byte: usize) -> Result<(), OffsetError> {
        let fail = |kind| OffsetError { offset: byte, unit: OffsetUnit::Byte, kind };
        if byte > self.text.len() {
            return Err(fail(OffsetErrorKind::OutOfRange { len: self.text.len() }));
        }
        if !self.text.is_char_boundary(byte) {
            return Err(fail(OffsetErrorKind::InsideCharacter));
        }
        Ok(())
    }

    /// Converts an offset in this map's unit into a byte offset.
    pub fn to_byte(&self, offset: usize) -> Result<usize, OffsetError> {
        let fail = |kind| OffsetError { offset, unit: self.unit, kind };
        if offset > self.unit_len {
            return Err(fail(OffsetErrorKind::OutOfRange { len: self.unit_len }));
        }
        // In bytes `wide` is empty, so the search below cannot see a byte offset
        // that cuts a character; callers slice the text with what we return.
        if self.unit == OffsetUnit::Byte && !self.text.is_char_boundary(offset) {
            return Err(fail(OffsetErrorKind::InsideCharacter));
        }
        let before = self.wide.partition_point(|wide| wide.unit < offset);
        match before.checked_sub(1).map(|i| self.wide[i]) {
            None => Ok(offset),
            Some(wide) => {
                if offset < wide.unit + wide.units {
                    return Err(fail(OffsetErrorKind::InsideCharacter));
                }
                Ok(wide.byte + wide.bytes + (offset - wide.unit - wide.units))
            }
        }
    }
}

/// A character whose length in bytes differs from its length in the map's unit.
#[derive(Clone, Copy, Debug)]
struct Wide {
    /// Where it starts, in bytes and in the unit.
    byte: usize,
    unit: usize,
    /// Its length in bytes and in the unit.
    bytes: usize,
    units: usize,
}

/// Converts byte offsets with an [`OffsetMap`], remembering where the last one
/// was; made by [`OffsetMap::cursor`].
#[derive(Debug)]
pub struct OffsetCursor<'m, 't> {
    map: &'m OffsetMap<'t>,
    /// How many wide characters start before the last offset converted.
    before: usize,
}

impl OffsetCursor<'_, '_> {
    /// Converts a byte offset into the map's unit, exactly as
    /// [`OffsetMap::to_unit`] does.
    pub fn to_unit(&mut self, byte: usize) -> Result<usize, OffsetError> {
        self.map.check_byte(byte)?;
        let wide = &self.map.wide;
        if self.before > 0 && wide[self.before - 1].byte >= byte {
            self.before = wide.partition_point(|wide| wide.byte < byte);
        } else {
            while self.before < wide.len() && wide[self.before].byte < byte {
                self.before += 1;
            }
        }
        Ok(self.map.unit_at(byte, self.before))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(text: &str, byte: usize, unit: OffsetUnit) -> usize {
        unit.len_of_str(&text[..byte])
    }

    #[test]
    fn astral_characters_count_two_in_utf16_and_one_in_chars() {
        let text = "a😀b";
        assert_eq!(OffsetMap::new(text, OffsetUnit::Char).to_unit(5).unwrap(), 2);
        assert_eq!(OffsetMap::new(text, OffsetUnit::Utf16).to_unit(5).unwrap(), 3);
        assert_eq!(OffsetMap::new(text, OffsetUnit::Byte).to_unit(5).unwrap(), 5);
    }

    #[test]
    fn offsets_inside_a_character_are_errors_not_rounded() {
        let text = "é😀";
        let chars = OffsetMap::new(text, OffsetUnit::Char);
        assert_eq!(chars.to_unit(1).unwrap_err().kind, OffsetErrorKind::InsideCharacter);
        let utf16 = OffsetMap::new(text, OffsetUnit::Utf16);
        assert_eq!(utf16.to_byte(2).unwrap_err().kind, OffsetErrorKind::InsideCharacter);
        assert_eq!(utf16.to_byte(4).unwrap_err().kind, OffsetErrorKind::OutOfRange { len: 3 });
    }

    #[test]
    fn byte_offsets_inside_a_character_are_errors_when_read_back() {
        let bytes = OffsetMap::new("Köln", OffsetUnit::Byte);
        assert_eq!(bytes.to_byte(2).unwrap_err().kind, OffsetErrorKind::InsideCharacter);
        assert_eq!(bytes.to_byte(3).unwrap(), 3);
    }

    proptest! {
        #[test]
        fn a_cursor_converts_as_the_map_does_in_any_order(
            text in any::<String>(),
            picks in prop::collection::vec(0usize..64, 0..40),
            unit_index in 0usize..3,
        ) {
            let unit = [OffsetUnit::Byte, OffsetUnit::Char, OffsetUnit::Utf16][unit_index];
            let map = OffsetMap::new(&text, unit);
            let mut cursor = map.cursor();
            // Mostly increasing, as token offsets are, with jumps back and offsets
            // inside characters or past the end mixed in.
            let mut sorted = picks.clone();
            sorted.sort_unstable();
            for byte in sorted.into_iter().chain(picks) {
                prop_assert_eq!(cursor.to_unit(byte), map.to_unit(byte));
            }
        }

        #[test]
        fn byte_to_unit_to_byte_round_trips(text in "\\PC{0,40}", unit_index in 0usize..3) {
            let unit = [OffsetUnit::Byte, OffsetUnit::Char, OffsetUnit::Utf16][unit_index];
            let map = OffsetMap::new(&text, unit);
            prop_assert_eq!(map.unit_len(), unit.len_of_str(&text));
            for byte in 0..=text.len() {
                if text.is_char_boundary(byte) {
                    let converted = map.to_unit(byte).unwrap();
                    prop_assert_eq!(converted, reference(&text, byte, unit));
                    prop_assert_eq!(map.to_byte(converted).unwrap(), byte);
                } else {
                    prop_assert!(map.to_unit(byte).is_err());
                }
            }
        }

        /// Issue 10's chain for any string (control characters, astral ones and
        /// U+FEFF included): byte -> char -> UTF-16 -> byte comes back exactly at
        /// every character boundary, and every UTF-16 offset inside a surrogate
        /// pair is an error.
        #[test]
        fn byte_to_char_to_utf16_to_byte_is_exact(text in any::<String>()) {
            let chars = OffsetMap::new(&text, OffsetUnit::Char);
            let utf16 = OffsetMap::new(&text, OffsetUnit::Utf16);
            for (char_index, (byte, _)) in text.char_indices().chain([(text.len(), ' ')]).enumerate() {
                let char_offset = chars.to_unit(byte).unwrap();
                prop_assert_eq!(char_offset, char_index);
                let via_char = chars.to_byte(char_offset).unwrap();
                let utf16_offset = utf16.to_unit(via_char).unwrap();
                prop_assert_eq!(utf16.to_byte(utf16_offset).unwrap(), byte);
            }
            let boundaries: std::collections::HashSet<usize> = text
                .char_indices()
                .map(|(byte, _)| utf16.to_unit(byte).unwrap())
                .chain([utf16.unit_len()])
                .collect();
            for offset in 0..=utf16.unit_len() {
                prop_assert_eq!(utf16.to_byte(offset).is_ok(), boundaries.contains(&offset));
            }
        }
    }
}
