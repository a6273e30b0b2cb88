//! Normalized text with a map back to the original, as Hugging Face tokenizers'
//! `NormalizedString` keeps one.
//!
//! Matching happens on the normalized copy; reporting happens in the original's byte
//! offsets. Every original character is mapped on its own (no folding looks at its
//! neighbours), except whitespace, where a whole run becomes one character. That is
//! what makes the map exact: each original character owns a contiguous, possibly
//! empty, range of normalized bytes, and a normalized offset that starts a
//! character's output maps back to exactly that character's first byte.

use std::borrow::Cow;

use caseless::Caseless;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// What to fold, beyond the folds that always apply (whitespace runs, apostrophe,
/// quote and dash variants, canonical decomposition).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Folding {
    /// Full Unicode case folding (`ß` → `ss`, `İ` → `i̇`, `ﬁ` → `fi`).
    pub case: bool,
    /// Drop combining marks after canonical decomposition (`Müller` → `Muller`).
    pub diacritics: bool,
}

/// Text after normalization, with the way back to the original.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NormalizedText {
    /// The normalized text.
    pub text: String,
    /// For each byte of `text`, the byte offset in the original of the character
    /// that produced it.
    pub origin: Vec<usize>,
    /// For each byte offset of the original that is a character boundary (and the
    /// end), where that character's output starts in `text`. Entries for offsets
    /// inside a character are meaningless.
    pub position: Vec<usize>,
}

/// Whether `c` is one of the apostrophe variants folded to `'`.
pub(crate) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}' | '\u{2018}' | '\u{201B}' | '\u{2032}' | '\u{FF07}')
}

/// Whether `c` is one of the double-quote variants folded to `"`.
fn is_double_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{FF02}')
}

/// Whether `c` is one of the hyphen and dash variants folded to `-`.
pub(crate) fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}')
}

/// Whitespace as the tokenizer sees it (Unicode White_Space plus the ASCII
/// information separators U+001C..U+001F, which Python's `str.isspace` and so
/// spaCy count as space), so a run the tokenizer makes a `Space` token of is one
/// space here too.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\u{0B}' | '\u{0C}' | '\u{1c}'..='\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Appends the normalized form of one non-whitespace character.
fn fold_char(c: char, folding: Folding, out: &mut String) {
    // ASCII letters and digits fold to themselves (lower-cased) and have no
    // decomposition: the common case, kept off the Unicode tables.
    if c.is_ascii_alphanumeric() {
        out.push(if folding.case { c.to_ascii_lowercase() } else { c });
    } else if is_apostrophe(c) {
        out.push('\'');
    } else if is_double_quote(c) {
        out.push('"');
    } else if is_dash(c) {
        out.push('-');
    } else if folding.case {
        for folded in std::iter::once(c).default_case_fold() {
            decompose(folded, folding.diacritics, out);
        }
    } else {
        decompose(c, folding.diacritics, out);
    }
}

fn decompose(c: char, drop_marks: bool, out: &mut String) {
    decompose_canonical(c, |d| {
        if !(drop_marks && is_combining_mark(d)) {
            out.push(d);
        }
    });
}

/// Normalizes `text`. A whitespace run becomes one space, or one `\n` if it holds
/// two or more line breaks (a paragraph break, which no pattern contains, so no
/// match crosses it).
pub fn normalize(text: &str, folding: Folding) -> NormalizedText {
    let mut position = vec![0; text.len() + 1];
    let mut origin = Vec::with_capacity(text.len());
    let normalized =
        normalize_mapped(text, folding, |offset, normalized_offset, normalized_end| {
            position[offset] = normalized_offset;
            origin.resize(normalized_end, offset);
        });
    NormalizedText { text: normalized, origin, position }
}

/// Normalizes `text`, calling `map(offset, start, end)` for every character of
/// the original in order (and once for the end of the text, with an empty
/// range): the character at byte `offset` produced the normalized bytes
/// `start..end`. The characters of a whitespace run after the first produce
/// nothing and report the run's position. This is the alignment map without its memory: the matcher
/// keeps only the positions of token boundaries.
pub(crate) fn normalize_mapped(
    text: &str,
    folding: Folding,
    mut map: impl FnMut(usize, usize, usize),
) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut offset = 0;
    while let Some(&byte) = bytes.get(offset) {
        let start = out.len();
        // ASCII letters and digits are most of any news text: fold them here,
        // without decoding a character or consulting the Unicode tables.
        if byte.is_ascii_alphanumeric() {
            out.push(char::from(if folding.case { byte.to_ascii_lowercase() } else { byte }));
            map(offset, start, start + 1);
            offset += 1;
            continue;
        }
        let Some(c) = text[offset..].chars().next() else {
            break;
        };
        if is_space(c) {
            // The run becomes one byte, ' ' or '\n', owned by its first
            // character; reported now so that offsets are reported in order.
            map(offset, start, start + 1);
            let mut breaks = usize::from(is_line_break(c) || c == '\r');
            let mut previous = c;
            offset += c.len_utf8();
            while let Some(next) = text[offset..].chars().next() {
                if !is_space(next) {
                    break;
                }
                map(offset, start, start);
                // `\r\n` is one line break.
                if is_line_break(next) || (next == '\r') {
                    breaks += usize::from(!(next == '\n' && previous == '\r'));
                }
                previous = next;
                offset += next.len_utf8();
            }
            out.push(if breaks >= 2 { '\n' } else { ' ' });
        } else {
            fold_char(c, folding, &mut out);
            map(offset, start, out.len());
            offset += c.len_utf8();
        }
    }
    map(text.len(), out.len(), out.len());
    out
}

/// Normalizes a pattern (or a slice of text between token boundaries) without the
/// alignment map: leading and trailing whitespace is dropped.
pub fn normalize_str(text: &str, folding: Folding) -> String {
    // ASCII with single spaces between words, the common case (a word, a name),
    // only changes case: no ASCII character but a space has another folded form.
    if is_plain_ascii(text) {
        return if folding.case { text.to_ascii_lowercase() } else { text.to_string() };
    }
    normalize_chars(text, folding)
}

/// [`normalize_str`], borrowing `text` when normalizing would not change it.
pub(crate) fn normalize_cow(text: &str, folding: Folding) -> Cow<'_, str> {
    if !is_plain_ascii(text) {
        Cow::Owned(normalize_chars(text, folding))
    } else if folding.case && text.bytes().any(|b| b.is_ascii_uppercase()) {
        // As `normalize_str` folds plain ASCII, without testing it again.
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// Whether `text` is ASCII whose only whitespace is single spaces between
/// other characters: what [`normalize_str`] leaves as it is, but for case.
pub(crate) fn is_plain_ascii(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut after_space = true;
    for &byte in bytes {
        if byte == b' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if !byte.is_ascii() || is_space(char::from(byte)) {
            return false;
        } else {
            after_space = false;
        }
    }
    !after_space || bytes.is_empty()
}

/// [`normalize_str`] character by character.
fn normalize_chars(text: &str, folding: Folding) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space: Option<usize> = None;
    let mut previous = ' ';
    for c in text.trim_matches(is_space).chars() {
        if is_space(c) {
            let breaks = pending_space.get_or_insert(0);
            if is_line_break(c) || c == '\r' {
                *breaks += usize::from(!(c == '\n' && previous == '\r'));
            }
        } else {
            if let Some(breaks) = pending_space.take() {
                out.push(if breaks >= 2 { '\n' } else { ' ' });
            }
            fold_char(c, folding, &mut out);
        }
        previous = c;
    }
    out
}

/// Normalizes a dictionary pattern: as [`normalize_str`], except that every
/// whitespace run is one space, even one with several line breaks, so that a
/// pattern never holds the paragraph separator `\n` and never matches across a
/// paragraph break.
pub fn normalize_pattern(pattern: &str, folding: Folding) -> String {
    let mut normalized = normalize_str(pattern, folding);
    if normalized.contains('\n') {
        normalized = normalized.replace('\n', " ");
    }
    normalized
}

/// Whether text written as `written` may be a mention of an entry whose pattern is
/// `pattern` under the smart case policy. Both are normalized without case
/// folding, and they are already known to be equal once case-folded.
///
/// Accepted: the exact form; the ALL CAPS form (`ERBIL` for `Erbil`), unless the
/// pattern itself is all caps (`US` must never match `Us`); and the form with
/// word-initial letters raised (`Al-Qaeda` for `al-Qaeda`, `The Hague` for
/// `the Hague`). Never a form that lowers a capital (`iran` for `Iran`).
pub fn smart_case_matches(pattern: &str, written: &str) -> bool {
    if pattern == written {
        return true;
    }
    let pattern_all_caps =
        pattern.chars().any(char::is_uppercase) && !pattern.chars().any(char::is_lowercase);
    if pattern_all_caps {
        return false;
    }
    if written.chars().any(char::is_uppercase) && !written.chars().any(char::is_lowercase) {
        return true;
    }
    let mut pattern_chars = pattern.chars();
    let mut written_chars = written.chars();
    let mut word_start = true;
    loop {
        match (pattern_chars.next(), written_chars.next()) {
            (None, None) => return true,
            (Some(p), Some(w)) => {
                let raised = word_start
                    && p.is_lowercase()
                    && w.is_uppercase()
                    && w.to_lowercase().eq(std::iter::once(p));
                if p != w && !raised {
                    return false;
                }
                word_start = !(p.is_alphanumeric() || is_combining_mark(p));
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The ASCII fast path is only a shortcut: the same string as the
        /// character-by-character walk, for text of words, spaces, line breaks,
        /// tabs, separators, quotes, dashes and other punctuation.
        #[test]
        fn plain_ascii_shortcut_agrees_with_the_walk(
            text in r#"[ a-zA-Z0-9'"`.\-\t\n\r\x0b\x0c\x1c\x1f\x00\x7fé]{0,12}"#,
            case in any::<bool>(),
        ) {
            let folding = Folding { case, diacritics: false };
            prop_assert_eq!(normalize_str(&text, folding), normalize_chars(&text, folding));
            prop_assert_eq!(normalize_cow(&text, folding), normalize_chars(&text, folding));
        }
    }

    use super::*;

    const FOLD: Folding = Folding { case: true, diacritics: false };
    const FOLD_ALL: Folding = Folding { case: true, diacritics: true };

    macro_rules! normalizes {
        ($($name:ident: $folding:expr, $input:expr => $expected:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(normalize($input, $folding).text, $expected);
                assert_eq!(normalize_str($input, $folding), $expected.trim());
            }
        )*};
    }

    normalizes! {
        ascii_case: FOLD, "Iran" => "iran";
        sharp_s: FOLD, "Straße" => "strasse";
        dotted_capital_i: FOLD, "İzmir" => "i\u{307}zmir";
        ligature: FOLD, "ﬁnance" => "finance";
        greek_final_sigma: FOLD, "ΟΔΟΣ οδος" => "οδοσ οδοσ";
        curly_apostrophe: FOLD, "Shia’" => "shia'";
        modifier_apostrophe: FOLD, "Shiaʼ" => "shia'";
        left_quote: FOLD, "‘Ali" => "'ali";
        prime: FOLD, "O′Brien" => "o'brien";
        double_quotes: FOLD, "“hostile”" => "\"hostile\"";
        en_dash: FOLD, "Kurdistan – Region" => "kurdistan - region";
        minus_sign: FOLD, "a−b" => "a-b";
        non_breaking_hyphen: FOLD, "al‑Sudani" => "al-sudani";
        whitespace_run: FOLD, "Hassan \t Nasrallah" => "hassan nasrallah";
        line_break_in_name: FOLD, "Hassan\nNasrallah" => "hassan nasrallah";
        crlf_is_one_break: FOLD, "Hassan\r\nNasrallah" => "hassan nasrallah";
        paragraph_break: FOLD, "Hassan\n\nNasrallah" => "hassan\nnasrallah";
        no_break_space: FOLD, "Abu\u{a0}Dhabi" => "abu dhabi";
        diacritics_kept: FOLD, "Müller" => "mu\u{308}ller";
        decomposed_input: FOLD, "Mu\u{308}ller" => "mu\u{308}ller";
        diacritics_folded: FOLD_ALL, "Müller" => "muller";
        dotted_i_diacritics: FOLD_ALL, "İzmir" => "izmir";
        case_kept: Folding { case: false, diacritics: false }, "ERBIL" => "ERBIL";
    }

    #[test]
    fn origin_points_at_the_character_that_produced_each_byte() {
        let text = "İß ﬁ’x";
        let normalized = normalize(text, FOLD);
        for (byte, &origin) in normalized.origin.iter().enumerate() {
            assert!(text.is_char_boundary(origin), "byte {byte} -> {origin}");
            let produced = &normalized.text
                [normalized.position[origin]..next_position(text, &normalized, origin)];
            let source = text[origin..].chars().next().unwrap();
            let mut expected = String::new();
            if source.is_whitespace() {
                expected.push(' ');
            } else {
                fold_char(source, FOLD, &mut expected);
            }
            assert_eq!(produced, expected, "output of {source:?}");
        }
    }

    fn next_position(text: &str, normalized: &NormalizedText, offset: usize) -> usize {
        let width = text[offset..].chars().next().map_or(0, char::len_utf8);
        normalized.position[offset + width]
    }

    macro_rules! smart {
        ($($name:ident: $pattern:expr, $written:expr => $expected:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(smart_case_matches($pattern, $written), $expected);
            }
        )*};
    }

    smart! {
        smart_exact: "Iran", "Iran" => true;
        smart_all_caps_text: "Erbil", "ERBIL" => true;
        smart_never_lowered: "Iran", "iran" => false;
        smart_not_mixed: "Iran", "IrAn" => false;
        smart_all_caps_entry_exact: "US", "US" => true;
        smart_all_caps_entry_not_title: "US", "Us" => false;
        smart_all_caps_entry_not_lower: "US", "us" => false;
        smart_title_case_particle: "al-Qaeda", "Al-Qaeda" => true;
        smart_title_case_of_word: "Islamic Republic of Iran", "Islamic Republic Of Iran" => true;
        smart_lower_entry_exact: "hezbollah", "hezbollah" => true;
        smart_lower_entry_title: "hezbollah", "Hezbollah" => true;
        smart_raise_mid_word: "Iran", "IRan" => false;
        smart_sharp_s_caps: "Straße", "STRASSE" => true;
        smart_lowered_after_apostrophe: "O'Brien", "O'brien" => false;
    }
}
