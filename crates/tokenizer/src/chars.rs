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

/// The character classes a rule set is written in. The news rules use Unicode's
/// properties; the spaCy rules use spaCy's own tables (`spacy_tables.rs`), which
/// differ outside Latin (spaCy counts CJK and other uncased scripts as both lower and
/// upper case, and its symbol list is from an older Unicode). The rules are generic
/// over this trait, so each mode is compiled with its classes inlined.
pub(crate) trait Classes {
    /// Any letter (spaCy's `ALPHA`).
    fn alpha(c: char) -> bool;
    /// A lower-case letter (spaCy's `ALPHA_LOWER`).
    fn lower(c: char) -> bool;
    /// An upper-case letter (spaCy's `ALPHA_UPPER`).
    fn upper(c: char) -> bool;
    /// An "other symbol" split off like punctuation (spaCy's `LIST_ICONS`).
    fn icon(c: char) -> bool;
    /// A character after which a final period is a suffix.
    fn period_after(c: char) -> bool;
    /// A single-character currency sign.
    fn currency(c: char) -> bool;
    /// A unit or currency string split off after a number (`km`, `US$`).
    fn unit_after_number(s: &str) -> bool;
    /// The most characters a suffix rule looks at, unit included.
    const SUFFIX_WINDOW: usize;
    /// Whether a byte-order mark comes off the word after it (news only).
    const SPLITS_BYTE_ORDER_MARK: bool;
    /// Whether a symbol comes off a word with the rest of its grapheme cluster
    /// (news: `👍🏽` is one piece) or alone, as in spaCy, whose next rule then sees
    /// the skin-tone modifier (the cut inside the cluster is undone afterwards).
    const ICON_TAKES_GRAPHEME: bool;
}

/// Unicode's classes, for the news rules.
pub(crate) struct News;

impl Classes for News {
    fn alpha(c: char) -> bool {
        is_alpha(c)
    }
    fn lower(c: char) -> bool {
        is_lower(c)
    }
    fn upper(c: char) -> bool {
        is_upper(c)
    }
    fn icon(c: char) -> bool {
        is_icon(c)
    }
    fn period_after(c: char) -> bool {
        splits_following_period(c)
    }
    fn currency(c: char) -> bool {
        is_currency(c)
    }
    fn unit_after_number(s: &str) -> bool {
        crate::rules::UNITS.contains(&s)
    }
    const SUFFIX_WINDOW: usize = 6;
    const SPLITS_BYTE_ORDER_MARK: bool = true;
    const ICON_TAKES_GRAPHEME: bool = true;
}

/// spaCy's classes, for `TokenizerBuilder::spacy()`.
pub(crate) struct Spacy;

/// The ASCII part of a generated range table, as a lookup table: most characters a
/// rule looks at are ASCII, and a binary search for each would cost spaCy mode its
/// speed.
const fn ascii_of(ranges: &[(char, char)]) -> [bool; 128] {
    let mut table = [false; 128];
    let mut i = 0;
    while i < ranges.len() {
        let (low, high) = ranges[i];
        let mut c = low as u32;
        while c <= high as u32 && c < 128 {
            table[c as usize] = true;
            c += 1;
        }
        i += 1;
    }
    table
}

static SPACY_PERIOD_AFTER_ASCII: [bool; 128] = ascii_of(crate::spacy_tables::PERIOD_AFTER);

/// Is `c` in one of the generated range tables (sorted, disjoint)?
fn in_ranges(ranges: &[(char, char)], c: char) -> bool {
    ranges
        .binary_search_by(|&(low, high)| {
            if high < c {
                std::cmp::Ordering::Less
            } else if low > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

impl Classes for Spacy {
    fn alpha(c: char) -> bool {
        if c.is_ascii() {
            return c.is_ascii_alphabetic();
        }
        in_ranges(crate::spacy_tables::ALPHA, c)
    }
    fn lower(c: char) -> bool {
        if c.is_ascii() {
            return c.is_ascii_lowercase();
        }
        in_ranges(crate::spacy_tables::ALPHA_LOWER, c)
    }
    fn upper(c: char) -> bool {
        if c.is_ascii() {
            return c.is_ascii_uppercase();
        }
        in_ranges(crate::spacy_tables::ALPHA_UPPER, c)
    }
    fn icon(c: char) -> bool {
        !c.is_ascii() && in_ranges(crate::spacy_tables::ICONS, c)
    }
    fn period_after(c: char) -> bool {
        if c.is_ascii() {
            return SPACY_PERIOD_AFTER_ASCII[c as usize];
        }
        in_ranges(crate::spacy_tables::PERIOD_AFTER, c)
    }
    fn currency(c: char) -> bool {
        if c.is_ascii() {
            return c == '$';
        }
        let mut buf = [0u8; 4];
        crate::spacy_tables::CURRENCY.contains(&&*c.encode_utf8(&mut buf))
    }
    fn unit_after_number(s: &str) -> bool {
        crate::spacy_tables::UNITS.contains(&s) || crate::spacy_tables::CURRENCY.contains(&s)
    }
    // spaCy's longest unit is five characters (`اكواب`), and the rules look back two.
    const SUFFIX_WINDOW: usize = 7;
    const SPLITS_BYTE_ORDER_MARK: bool = false;
    const ICON_TAKES_GRAPHEME: bool = false;
}
