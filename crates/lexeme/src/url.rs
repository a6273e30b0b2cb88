//! spaCy's `like_email` and `like_url`, without regular expressions.
//!
//! Both are regexes in spaCy (`_like_email` and `URL_MATCH` of
//! `spacy/lang/tokenizer_exceptions.py`), but Python's `re` and the `regex` crate
//! disagree on them: `\d`, `\w` and `\S` are Python's Unicode classes (not Rust's),
//! `$` also matches before a final `\n`, and `URL_MATCH` needs negative lookaheads,
//! which `regex` lacks. Each pattern is simple enough that its only possible match can
//! be found by hand in one pass, with no backtracking and no allocation; the comments
//! say why each step cannot miss a match Python's backtracking would find.

use crate::chars::{self, has};
use crate::python;
use crate::words;

/// `re.match(r"([a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+)", text)`: a match at
/// the start, anything may follow. ASCII classes: `re` without IGNORECASE keeps
/// `[a-z]` ASCII even on `str`.
pub(crate) fn like_email(text: &str) -> bool {
    let bytes = text.as_bytes();
    // The local part cannot contain `@`, so it is the whole run before the first byte
    // outside its class, and that byte must be the `@`.
    let local =
        bytes.iter().take_while(|&&b| b.is_ascii_alphanumeric() || b"_.+-".contains(&b)).count();
    if local == 0 || bytes.get(local) != Some(&b'@') {
        return false;
    }
    // Likewise the domain label cannot contain `.`: its whole run, then `.`, then one
    // more character of the last class (the rest is not anchored).
    let rest = &bytes[local + 1..];
    let label = rest.iter().take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-').count();
    label > 0
        && rest.get(label) == Some(&b'.')
        && rest.get(label + 1).is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// spaCy's `like_url` (`spacy/lang/lex_attrs.py`), step by step.
pub(crate) fn like_url(text: &str) -> bool {
    if text.starts_with("http://") || text.starts_with("https://") {
        return true;
    }
    // `len(text) >= 5` with a four-byte ASCII prefix: one more character of any size.
    if text.starts_with("www.") && text.len() > 4 {
        return true;
    }
    // Python raises IndexError on "" here; spaCy never asks (the empty lexeme is fixed).
    let (Some(first), Some(last)) = (text.chars().next(), text.chars().next_back()) else {
        return false;
    };
    if first == '.' || last == '.' || text.contains('@') {
        return false;
    }
    let Some(dot) = text.rfind('.') else {
        return false;
    };
    let after_dot = &text[dot + 1..];
    let tld = after_dot.split(':').next().unwrap_or(after_dot);
    if tld.ends_with('/') {
        return true;
    }
    if python::all(tld, chars::ALPHA) && words::TLD.contains(tld) {
        return true;
    }
    url_match(text)
}

/// spaCy's `URL_MATCH` on a text without `@` (like_url returns before for one with it,
/// so the pattern's optional `user:password@` part never applies).
fn url_match(text: &str) -> bool {
    if url_after_scheme(text) {
        return true;
    }
    // `(?:[\w\+\-\.]{2,})://`: the scheme's class has no `:`, so only the first `://`
    // can end one, but trying each costs nothing and needs no argument.
    text.match_indices("://").any(|(at, _)| {
        let scheme = &text[..at];
        scheme.chars().nth(1).is_some()
            && scheme.chars().all(|c| matches!(c, '+' | '-' | '.') || has(c, chars::WORD))
            && url_after_scheme(&text[at + 3..])
    })
}

/// The rest of `URL_MATCH` after the scheme: no private address, then an IP address or
/// a domain name, an optional port, an optional path, and the end (or a final `\n`).
fn url_after_scheme(rest: &str) -> bool {
    if private_address_prefix(rest) {
        return false;
    }
    // Neither an address nor a domain name can contain `:`, `/`, `?`, `#` or `\n`, and
    // what follows one must start with one of them or be the end: the host is exactly
    // the text before the first of them.
    let host_end = rest.find([':', '/', '?', '#', '\n']).unwrap_or(rest.len());
    let (host, mut tail) = rest.split_at(host_end);
    if !(public_address(host) || domain_name(host)) {
        return false;
    }
    // `(?::\d{2,5})?`: what follows the port starts with no digit, so the digit run
    // after `:` is the port, whole.
    if let Some(after) = tail.strip_prefix(':') {
        let digits = after
            .char_indices()
            .find(|&(_, c)| !has(c, chars::DECIMAL))
            .map_or(after.len(), |(i, _)| i);
        if !(2..=5).contains(&after[..digits].chars().count()) {
            return false;
        }
        tail = &after[digits..];
    }
    // `(?:[/?#]\S*)?`: what follows is the end or `\n`, so the run of non-space is whole.
    if tail.starts_with(['/', '?', '#']) {
        let path = &tail[1..];
        let end =
            path.char_indices().find(|&(_, c)| has(c, chars::SPACE)).map_or(path.len(), |(i, _)| i);
        tail = &path[end..];
    }
    tail.is_empty() || tail == "\n"
}

/// The three negative lookaheads: `10.x.x.x`, `127.x.x.x`, `169.254.x.x`,
/// `192.168.x.x` and `172.16-31.x.x`, each `x` being one to three `\d`, as a prefix.
fn private_address_prefix(rest: &str) -> bool {
    for (start, groups) in [("10", 3), ("127", 3), ("169.254", 2), ("192.168", 2)] {
        if rest.strip_prefix(start).is_some_and(|after| dot_groups(after, groups)) {
            return true;
        }
    }
    let Some(after) = rest.strip_prefix("172.") else {
        return false;
    };
    let mut second = after.chars();
    let (Some(tens), Some(ones)) = (second.next(), second.next()) else {
        return false;
    };
    let octet = match tens {
        '1' => matches!(ones, '6'..='9'),
        '2' => has(ones, chars::DECIMAL),
        '3' => matches!(ones, '0' | '1'),
        _ => false,
    };
    octet && dot_groups(second.as_str(), 2)
}

/// `(?:\.\d{1,3}){groups}` matches at the start of `text` (what follows is free).
fn dot_groups(mut text: &str, groups: usize) -> bool {
    for group in 0..groups {
        let Some(after) = text.strip_prefix('.') else {
            return false;
        };
        let digits = after
            .char_indices()
            .find(|&(_, c)| !has(c, chars::DECIMAL))
            .map_or(after.len(), |(i, _)| i);
        let count = after[..digits].chars().count();
        // A group that is followed by another must end at the next `.`: its whole run.
        // The last group may stop after its first digit.
        if count == 0 || (group + 1 < groups && count > 3) {
            return false;
        }
        text = &after[digits..];
    }
    true
}

/// `(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}`
/// `(?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))`, the whole host. `\d` is any Unicode
/// decimal digit; the bracketed ranges are ASCII.
fn public_address(host: &str) -> bool {
    let mut octets = host.split('.');
    let valid = [octets.next(), octets.next(), octets.next(), octets.next()];
    if octets.next().is_some() {
        return false;
    }
    let d = |c: char| has(c, chars::DECIMAL);
    let octet = |text: Option<&str>, position: usize| -> bool {
        let Some(text) = text else { return false };
        let mut cs = text.chars();
        let digits = [cs.next(), cs.next(), cs.next(), cs.next()];
        match (position, digits) {
            (_, [None, ..]) | (_, [_, _, _, Some(_)]) => false,
            // Middle octets: `\d`, `1?\d{1,2}` (two digits: `1` is a `\d` too),
            // `1\d\d`, `2[0-4]\d`, `25[0-5]`.
            (1 | 2, [Some(a), None, ..]) => d(a),
            (1 | 2, [Some(a), Some(b), None, _]) => d(a) && d(b),
            (1 | 2, [Some(a), Some(b), Some(c), None]) => {
                (a == '1' && d(b) && d(c))
                    || (a == '2' && matches!(b, '0'..='4') && d(c))
                    || (a == '2' && b == '5' && matches!(c, '0'..='5'))
            }
            // First and last octets: `[1-9]\d?`, `1\d\d`, then 2xx up to 223 / 254.
            (_, [Some(a), None, ..]) => matches!(a, '1'..='9'),
            (_, [Some(a), Some(b), None, _]) => matches!(a, '1'..='9') && d(b),
            (0, [Some(a), Some(b), Some(c), None]) => {
                (a == '1' && d(b) && d(c))
                    || (a == '2' && matches!(b, '0' | '1') && d(c))
                    || (a == '2' && b == '2' && matches!(c, '0'..='3'))
            }
            (_, [Some(a), Some(b), Some(c), None]) => {
                (a == '1' && d(b) && d(c))
                    || (a == '2' && matches!(b, '0'..='4') && d(c))
                    || (a == '2' && b == '5' && matches!(c, '0'..='4'))
            }
        }
    };
    valid.iter().enumerate().all(|(position, &text)| octet(text, position))
}

/// `(?:(?:[H][H_-]{0,62})?[H]\.)+(?:[ALPHA_LOWER]{2,63})`, the whole host, where `H`
/// is `[A-Za-z0-9\u00a1-\uffff]`. Neither class has `.`, so the labels and the TLD
/// are the host's `.`-separated parts.
fn domain_name(host: &str) -> bool {
    let Some((labels, tld)) = host.rsplit_once('.') else {
        return false;
    };
    let tld_length = tld.chars().count();
    (2..=63).contains(&tld_length)
        && tld.chars().all(|c| has(c, chars::URL_TLD))
        && labels.split('.').all(domain_label)
}

/// One label: one to 64 characters, `H` at both ends, `H`, `_` or `-` between.
fn domain_label(label: &str) -> bool {
    let host_char = |c: char| c.is_ascii_alphanumeric() || ('\u{a1}'..='\u{ffff}').contains(&c);
    let (Some(first), Some(last)) = (label.chars().next(), label.chars().next_back()) else {
        return false;
    };
    let length = label.chars().count();
    length <= 64
        && host_char(first)
        && host_char(last)
        && label.chars().all(|c| host_char(c) || c == '_' || c == '-')
}
