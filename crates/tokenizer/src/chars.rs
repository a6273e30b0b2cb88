//! Character classes the rules are written in.
//!
//! They follow spaCy's English punctuation tables (`spacy/lang/punctuation.py`,
//! `char_classes.py`) closely, because agreeing with spaCy's token boundaries is the
//! point: users align our spans with spaCy and Hugging Face tokens. Letters are
//! Unicode letters, not ASCII ones.

use unicode_general_category::{get_general_category, GeneralCategory};

/// Whitespace as Python's `str.isspace` sees it, which is what spaCy splits on:
/// Unicode `White_Space` plus the four ASCII information separators.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

pub(crate) fn is_alpha(c: char) -> bool {
    c.is_alphabetic()
}

pub(crate) fn is_lower(c: char) -> bool {
    c.is_lowercase()
}

pub(crate) fn is_upper(c: char) -> bool {
    c.is_uppercase()
}

/// Quote characters, straight, curly and CJK. spaCy treats the comma as a quote
/// too (for `,,` low quotes); so do we, for the same boundaries.
pub(crate) fn is_quote(c: char) -> bool {
    matches!(
        c,
        '\'' | '"'
            | '”'
            | '“'
            | '`'
            | '‘'
            | '´'
            | '’'
            | '‚'
            | ','
            | '„'
            | '»'
            | '«'
            | '「'
            | '」'
            | '『'
            | '』'
            | '（'
            | '）'
            | '〔'
            | '〕'
            | '【'
            | '】'
            | '《'
            | '》'
            | '〈'
            | '〉'
            | '⟦'
            | '⟧'
    )
}

/// Punctuation that is split off either end of a word (spaCy's `LIST_PUNCT`,
/// without the ellipses, which are handled as runs).
pub(crate) fn is_affix_punct(c: char) -> bool {
    matches!(
        c,
        '…' | ','
            | ':'
            | ';'
            | '!'
            | '?'
            | '¿'
            | '؟'
            | '¡'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | '_'
            | '#'
            | '*'
            | '&'
            | '。'
            | '？'
            | '！'
            | '，'
            | '、'
            | '；'
            | '：'
            | '～'
            | '·'
            | '।'
            | '،'
            | '۔'
            | '؛'
            | '٪'
    )
}

/// Single-character currency signs. `US$`, `C$` and `A$` are matched as strings.
pub(crate) fn is_currency(c: char) -> bool {
    matches!(c, '$' | '£' | '€' | '¥' | '฿' | '﷼') || ('\u{20a0}'..='\u{20c0}').contains(&c)
}

/// "Other symbol": emoji, pictographs, `©`, `™`, `°` (spaCy's `LIST_ICONS`).
pub(crate) fn is_icon(c: char) -> bool {
    !c.is_ascii() && get_general_category(c) == GeneralCategory::OtherSymbol
}

/// Characters before which a final period is split off: digits, lower-case letters,
/// `%²-+`, punctuation and quotes (`(?<=[0-9{al}{e}{p}(?:{q})])\.` in spaCy).
pub(crate) fn splits_following_period(c: char) -> bool {
    c.is_numeric()
        || is_lower(c)
        || matches!(c, '%' | '²' | '-' | '+')
        || is_affix_punct(c)
        || is_quote(c)
}

/// Is `c` punctuation in the Unicode sense (general category P*)?
pub(crate) fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation()
            && !matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~');
    }
    use GeneralCategory::*;
    matches!(
        get_general_category(c),
        ConnectorPunctuation
            | DashPunctuation
            | OpenPunctuation
            | ClosePunctuation
            | InitialPunctuation
            | FinalPunctuation
            | OtherPunctuation
    )
}
