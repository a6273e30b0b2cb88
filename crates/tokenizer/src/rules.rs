//! The rules: what splits off the front of a word (prefixes), off its end
//! (suffixes), and inside it (infixes), plus the news mode's special cases that are
//! never split by those rules. The scheme is spaCy's, so that our boundaries agree
//! with `spacy.blank("en")`. The prefix, suffix and infix rules are generic over the
//! character classes (`chars::Classes`): the news mode runs them on Unicode's, the
//! spaCy mode on spaCy's own; where the news mode differs on purpose, the
//! tokenizer's README says why.

use unicode_segmentation::UnicodeSegmentation;

use crate::chars::*;

/// Abbreviations that keep their final period (spaCy's English exceptions, plus
/// military and civil titles that news writes before names).
pub(crate) const ABBREVIATIONS: &[&str] = &[
    // Months.
    "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec.",
    // Titles and name parts.
    "Mr.", "Mrs.", "Ms.", "Messrs.", "Dr.", "Prof.", "Gen.", "Gov.", "Rep.", "Sen.", "Rev.", "St.",
    "Jr.", "Sr.", "Mt.", "Adm.", "Capt.", "Col.", "Lt.", "Maj.", "Sgt.", "Cpl.", "Pvt.", "Cmdr.",
    "Supt.", "Insp.", "Hon.", "Pres.", "Sec.", // Organizations and Latin.
    "Bros.", "Co.", "co.", "Corp.", "Inc.", "Ltd.", "vs.", "v.", "v.s.", "e.g.", "E.g.", "i.e.",
    "I.e.", "a.m.", "p.m.", "Ph.D.", // US states as news datelines write them.
    "Ala.", "Ariz.", "Ark.", "Calif.", "Colo.", "Conn.", "Del.", "Fla.", "Ga.", "Ill.", "Ind.",
    "Kan.", "Ky.", "La.", "Mass.", "Md.", "Mich.", "Minn.", "Miss.", "Mo.", "Mont.", "Neb.",
    "Nev.", "Okla.", "Ore.", "Pa.", "Tenn.", "Va.", "Wash.", "Wis.",
];

/// Pronouns and question words that take the clitics `'m 're 've 'll 'd` (spaCy
/// splits these only after such words: `we're` but not `Smith'll`).
const CLITIC_HOSTS: &[&str] = &[
    "i", "you", "he", "she", "it", "we", "they", "who", "what", "where", "when", "why", "how",
    "there", "that", "this", "these", "those", "here", "let",
];

const CLITICS: &[&str] = &["m", "re", "ve", "ll", "d"];

/// Modal verbs that take `'ve` (`would've` → `would` `'ve`, as spaCy).
const MODAL_HOSTS: &[&str] = &["could", "might", "must", "should", "would"];

/// Clitics and quotes that are tokens on their own when they stand alone.
pub(crate) const WHOLE_WORDS: &[&str] = &[
    "'s", "'S", "’s", "’S", "'em", "’em", "'ll", "’ll", "'re", "’re", "'ve", "’ve", "''", "and/or",
];

/// Contractions news prints in quoted speech that spaCy keeps whole, each in the
/// straight and the curly apostrophe, lower and title case: a lone `'d`, the
/// dropped first syllable (`'cause`) and the dropped final g (`nothin'`). `''` and
/// `’’` are a closing double quote typed as two apostrophes. These also go to the
/// news mode's special-case matcher (see `Tokenizer`), so they are put back together
/// where other rules cut them apart, as spaCy does: `''yes''` → `''` `yes` `''`.
pub(crate) const NEWS_CONTRACTIONS: &[&str] = &[
    "''",
    "’’",
    "'d",
    "’d",
    "'cause",
    "’cause",
    "'Cause",
    "’Cause",
    "'cos",
    "’cos",
    "'Cos",
    "’Cos",
    "'coz",
    "’coz",
    "'Coz",
    "’Coz",
    "'cuz",
    "’cuz",
    "'Cuz",
    "’Cuz",
    "'bout",
    "’bout",
    "'nuff",
    "’nuff",
    "doin'",
    "doin’",
    "Doin'",
    "Doin’",
    "goin'",
    "goin’",
    "Goin'",
    "Goin’",
    "havin'",
    "havin’",
    "Havin'",
    "Havin’",
    "lovin'",
    "lovin’",
    "Lovin'",
    "Lovin’",
    "nothin'",
    "nothin’",
    "Nothin'",
    "Nothin’",
    "nuthin'",
    "nuthin’",
    "Nuthin'",
    "Nuthin’",
    "somethin'",
    "somethin’",
    "Somethin'",
    "Somethin’",
    "ol'",
    "ol’",
    "Ol'",
    "Ol’",
];

/// Words spaCy splits without an apostrophe.
pub(crate) const SPLIT_WORDS: &[(&str, usize)] = &[
    ("cannot", 3),
    ("Cannot", 3),
    ("gonna", 3),
    ("Gonna", 3),
    ("gotta", 3),
    ("Gotta", 3),
    // spaCy splits only the lower-case form; `Y'all` stays whole there.
    ("y'all", 2),
    ("y’all", 4),
];

/// Multi-character currency prefixes.
const CURRENCY_PREFIXES: &[&str] = &["US$", "C$", "A$"];

/// Units split off a number they follow (`10km` → `10` `km`).
pub(crate) const UNITS: &[&str] = &[
    "km", "km²", "km³", "m", "m²", "m³", "dm", "dm²", "dm³", "cm", "cm²", "cm³", "mm", "mm²",
    "mm³", "ha", "µm", "nm", "yd", "in", "ft", "kg", "g", "mg", "µg", "t", "lb", "oz", "m/s",
    "km/h", "kmh", "mph", "hPa", "Pa", "mbar", "mb", "MB", "kb", "KB", "gb", "GB", "tb", "TB", "T",
    "G", "M", "K", "%",
];

/// Dash runs that split two words (`al-Sudani`), tried in this order as spaCy does.
const INFIX_DASHES: &[&str] = &["-", "–", "—", "--", "---", "——", "~"];

/// If `s` is a contraction, the byte length of its first piece.
pub(crate) fn contraction(s: &str) -> Option<usize> {
    const APOSTROPHES: [char; 2] = ['\'', '’'];
    // n't after a verb: do|n't, ca|n't, wo|n't.
    let negated = s
        .strip_suffix(['t', 'T'])
        .and_then(|s| s.strip_suffix(APOSTROPHES))
        .and_then(|s| s.strip_suffix(['n', 'N']));
    if let Some(head) = negated {
        if !head.is_empty() && head.chars().all(is_alpha) {
            return Some(head.len());
        }
    }
    // A pronoun + 'm 're 've 'll 'd, or a modal verb + 've.
    let pos = s.rfind(APOSTROPHES)?;
    let (host, clitic) = (&s[..pos], &s[pos..]);
    let clitic = &clitic[clitic.chars().next()?.len_utf8()..];
    let pronoun = CLITICS.iter().any(|c| c.eq_ignore_ascii_case(clitic))
        && CLITIC_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(host));
    let modal = clitic.eq_ignore_ascii_case("ve")
        && MODAL_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(host));
    (pronoun || modal).then_some(pos)
}

/// The hour contractions spaCy keeps as two tokens: `5pm`, `11a.m.`.
pub(crate) fn hour_with_meridiem(s: &str) -> Option<usize> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let hour: u32 = s.get(..digits)?.parse().ok()?;
    let rest = &s[digits..];
    ((1..=12).contains(&hour) && matches!(rest, "am" | "pm" | "a.m." | "p.m.")).then_some(digits)
}

/// Length of the prefix to split off the front of `s`, or 0.
pub(crate) fn prefix_len<C: Classes>(s: &str, keep_hashtags: bool) -> usize {
    if let Some(run) = period_run(s) {
        return run;
    }
    for currency in CURRENCY_PREFIXES {
        if s.starts_with(currency) {
            return currency.len();
        }
    }
    let mut chars = s.chars();
    let Some(c) = chars.next() else { return 0 };
    let next = chars.next();
    let single = match c {
        // A hashtag stays whole; spaCy would split the `#`.
        '#' if keep_hashtags && starts_tag(&s[1..]) => false,
        '+' => !next.is_some_and(|n| n.is_ascii_digit()),
        '§' | '%' | '=' | '—' | '–' => true,
        // A byte-order mark (the start of a UTF-8 file saved on Windows, or the
        // middle of files joined with `cat`) is not part of the word after it:
        // `\u{feff}Paris` must still be `Paris` for a dictionary. spaCy keeps it on
        // the word; we split it (listed in the README's differences).
        '\u{feff}' => C::SPLITS_BYTE_ORDER_MARK,
        c => is_affix_punct(c) || is_quote(c) || C::currency(c) || C::icon(c),
    };
    match single {
        true if C::ICON_TAKES_GRAPHEME && C::icon(c) => first_grapheme_len(s),
        true => c.len_utf8(),
        false => 0,
    }
}

/// An emoji with its skin-tone modifier, variation selector or ZWJ sequence is one
/// grapheme cluster, and comes off a word as one piece.
fn first_grapheme_len(s: &str) -> usize {
    s.graphemes(true).next().map_or(0, str::len)
}

/// Does a hashtag body start here (word characters, at least one letter)?
fn starts_tag(s: &str) -> bool {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    is_tag_body(&s[..end])
}

/// Length of the suffix to split off the end of `s`, or 0. Like a regex alternation
/// anchored at the end, the suffix that starts leftmost wins.
pub(crate) fn suffix_len<C: Classes>(s: &str) -> usize {
    let periods = s.bytes().rev().take_while(|&b| b == b'.').count();
    if periods >= 2 {
        return periods;
    }
    let Some(last) = s.chars().next_back() else { return 0 };
    if C::ICON_TAKES_GRAPHEME && !last.is_ascii() {
        if let Some(grapheme) = s.graphemes(true).next_back() {
            if grapheme.chars().next().is_some_and(C::icon) {
                return grapheme.len();
            }
        }
    }
    // No suffix is longer than four characters (`mbar`, `km/h`; five in spaCy's
    // units), and the rules look back at most two more, so the last six (seven)
    // characters decide.
    let mut window = [(0usize, '\0'); 8];
    let mut n = 0;
    for (i, c) in s.char_indices().rev().take(C::SUFFIX_WINDOW) {
        window[n] = (i, c);
        n += 1;
    }
    window[..n].reverse();
    for k in n.saturating_sub(C::SUFFIX_WINDOW - 2)..n {
        let before = k.checked_sub(1).map(|j| window[j].1);
        let before2 = k.checked_sub(2).map(|j| window[j].1);
        let tail = &s[window[k].0..];
        if is_suffix::<C>(tail, before, before2) {
            return tail.len();
        }
    }
    0
}

fn is_suffix<C: Classes>(tail: &str, before: Option<char>, before2: Option<char>) -> bool {
    let mut it = tail.chars();
    let Some(first) = it.next() else { return false };
    let single = it.next().is_none();
    let after_digit = before.is_some_and(|b| b.is_ascii_digit());
    if single
        && (is_affix_punct(first)
            || is_quote(first)
            || C::icon(first)
            || matches!(first, '—' | '–'))
    {
        return true;
    }
    if matches!(tail, "'s" | "'S" | "’s" | "’S") {
        return true;
    }
    // No unit or currency starts with a digit, which rules out most tails of a
    // number before the tables are scanned.
    if after_digit
        && !first.is_ascii_digit()
        && (tail == "+" || (single && C::currency(first)) || C::unit_after_number(tail))
    {
        return true;
    }
    if tail == "." {
        if let Some(b) = before {
            if C::period_after(b) {
                return true;
            }
            // After two capitals: `IRGC.` but not the initial in `J.`.
            if C::upper(b) && before2.is_some_and(C::upper) {
                return true;
            }
            // `5°C.`
            if matches!(b, 'F' | 'f' | 'C' | 'c' | 'K' | 'k') && before2 == Some('°') {
                return true;
            }
        }
    }
    false
}

/// Byte ranges of the infixes in `s`, left to right, non-overlapping.
pub(crate) fn infixes<C: Classes>(s: &str, split_hyphens: bool, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let Some(c) = rest.chars().next() else { break };
        let next = rest[c.len_utf8()..].chars().next();
        let found = infix_at::<C>(rest, c, prev, next, split_hyphens);
        // A match at the very start is not an infix (spaCy skips it too).
        match found {
            Some(len) if i > 0 => {
                out.push((i, i + len));
                prev = s[..i + len].chars().next_back();
                i += len;
            }
            _ => {
                prev = Some(c);
                i += c.len_utf8();
            }
        }
    }
}

fn infix_at<C: Classes>(
    rest: &str,
    c: char,
    prev: Option<char>,
    next: Option<char>,
    split_hyphens: bool,
) -> Option<usize> {
    if let Some(run) = period_run(rest) {
        return Some(run);
    }
    if c == '…' {
        return Some(c.len_utf8());
    }
    if C::icon(c) {
        return Some(if C::ICON_TAKES_GRAPHEME { first_grapheme_len(rest) } else { c.len_utf8() });
    }
    let prev = prev?;
    if prev.is_ascii_digit()
        && matches!(c, '+' | '-' | '*' | '^')
        && next.is_some_and(|n| n.is_ascii_digit() || n == '-')
    {
        return Some(1);
    }
    if c == '.'
        && (C::lower(prev) || is_quote(prev))
        && next.is_some_and(|n| C::upper(n) || is_quote(n))
    {
        return Some(1);
    }
    if c == ',' && C::alpha(prev) && next.is_some_and(C::alpha) {
        return Some(1);
    }
    if C::alpha(prev) || prev.is_ascii_digit() {
        if split_hyphens {
            for dash in INFIX_DASHES {
                if let Some(after) = rest.strip_prefix(dash) {
                    if after.chars().next().is_some_and(C::alpha) {
                        return Some(dash.len());
                    }
                }
            }
        }
        if matches!(c, ':' | '<' | '>' | '=' | '/') && next.is_some_and(C::alpha) {
            return Some(1);
        }
    }
    None
}

/// Whether `s` can follow `#` in a hashtag or `@` in a handle: word characters,
/// at least one of them a letter (`#1` is a number sign and a number).
pub(crate) fn is_tag_body(s: &str) -> bool {
    s.chars().all(|c| c.is_alphanumeric() || c == '_') && s.chars().any(char::is_alphabetic)
}

/// Length of a run of two or more periods at the start of `s`.
fn period_run(s: &str) -> Option<usize> {
    let run = s.bytes().take_while(|&b| b == b'.').count();
    (run >= 2).then_some(run)
}
