//! Python's `str` methods that spaCy's lexical attributes call, as CPython 3.11 defines them.

use std::borrow::Cow;

use crate::chars::{self, flags, has};

/// `str.lower()`: full lower-case mappings (`İ` becomes `i̇`, two code points) and the
/// final-sigma rule, not case folding (`ß` stays `ß`). Borrows when nothing changes.
pub(crate) fn lower(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        };
    }
    let changes =
        |c: char| if c.is_ascii() { c.is_ascii_uppercase() } else { chars::lower_of(c).is_some() };
    let Some((first, _)) = text.char_indices().find(|&(_, c)| changes(c)) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 4);
    out.push_str(&text[..first]);
    for (at, c) in text[first..].char_indices() {
        let at = first + at;
        if c == 'Σ' {
            out.push(if final_sigma(text, at) { 'ς' } else { 'σ' });
        } else if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            match chars::lower_of(c) {
                Some(lowered) => out.push_str(lowered),
                None => out.push(c),
            }
        }
    }
    Cow::Owned(out)
}

/// Whether the `Σ` at byte `at` lower-cases to `ς`: CPython's `handle_capital_sigma`,
/// `\p{cased}\p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased})`.
fn final_sigma(text: &str, at: usize) -> bool {
    let before = text[..at].chars().rev().find(|&c| !has(c, chars::CASE_IGNORABLE));
    if !before.is_some_and(|c| has(c, chars::CASED)) {
        return false;
    }
    let after = text[at + 'Σ'.len_utf8()..].chars().find(|&c| !has(c, chars::CASE_IGNORABLE));
    !after.is_some_and(|c| has(c, chars::CASED))
}

/// Every character has `mask`, and there is one (`str.isalpha`, `isdigit`, `isspace`).
#[inline]
pub(crate) fn all(text: &str, mask: u16) -> bool {
    !text.is_empty() && text.chars().all(|c| has(c, mask))
}

/// `str.islower()`: no upper- or title-case character and at least one lower-case one.
pub(crate) fn islower(text: &str) -> bool {
    let mut cased = false;
    for c in text.chars() {
        let f = flags(c);
        if f & (chars::UPPER | chars::TITLE) != 0 {
            return false;
        }
        cased |= f & chars::LOWER != 0;
    }
    cased
}

/// `str.isupper()`: no lower- or title-case character and at least one upper-case one.
pub(crate) fn isupper(text: &str) -> bool {
    let mut cased = false;
    for c in text.chars() {
        let f = flags(c);
        if f & (chars::LOWER | chars::TITLE) != 0 {
            return false;
        }
        cased |= f & chars::UPPER != 0;
    }
    cased
}

/// `str.istitle()`: upper- and title-case characters only after uncased ones, lower-case
/// ones only after cased ones, and at least one cased character. Uncased characters
/// (digits, apostrophes) start a new word: `"They'Re"` is a title, `"They're"` is not.
pub(crate) fn istitle(text: &str) -> bool {
    let mut cased = false;
    let mut previous_is_cased = false;
    for c in text.chars() {
        let f = flags(c);
        if f & (chars::UPPER | chars::TITLE) != 0 {
            if previous_is_cased {
                return false;
            }
            previous_is_cased = true;
            cased = true;
        } else if f & chars::LOWER != 0 {
            if !previous_is_cased {
                return false;
            }
            previous_is_cased = true;
            cased = true;
        } else {
            previous_is_cased = false;
        }
    }
    cased
}
