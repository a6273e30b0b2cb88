//! Document aliases: names a document defines for itself.
//!
//! - After a multi-word match of a person label (`Hassan Nasrallah`), a later
//!   mention of its last word (`Nasrallah`) is the same entity.
//! - An acronym in parentheses right after an organization match (`Islamic
//!   Revolutionary Guard Corps (IRGC)`) names it for the rest of the document.
//!
//! Aliases are candidates like any other: they lie on token boundaries, go through
//! the same overlap policy, and one inside a longer dictionary candidate is
//! dropped (the matcher does that).

use std::collections::HashMap;

use rubric_tokenizer::{Token, TokenKind};

use crate::matcher::{Match, MatchRule};
use crate::normalize::{normalize_str, smart_case_matches, Folding};

/// Which labels define which aliases.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub last_name_labels: Vec<String>,
    pub acronym_labels: Vec<String>,
}

/// A name defined by a match, valid from `from` (a byte offset) on.
#[derive(Debug)]
struct Alias {
    /// The alias as written, normalized without case folding.
    surface: String,
    /// How many tokens it spans.
    tokens: usize,
    /// Its first token, case-folded: the key a word is looked up by.
    first_token: String,
    rule: MatchRule,
    from: usize,
    defined_by: Match,
}

/// Generational suffixes: never a last name on their own.
const NAME_SUFFIXES: [&str; 8] = ["Jr", "Jr.", "Sr", "Sr.", "II", "III", "IV", "V"];

const KEEP_CASE: Folding = Folding { case: false, diacritics: false };
const FOLD_CASE: Folding = Folding { case: true, diacritics: false };

/// Alias candidates for the document, given the matches kept so far.
pub(crate) fn candidates(
    text: &str,
    tokens: &[Token],
    kept: &[Match],
    config: &Config,
) -> Vec<Match> {
    let words: Vec<Token> =
        tokens.iter().copied().filter(|token| token.kind != TokenKind::Space).collect();
    let mut aliases: Vec<Alias> = Vec::new();
    for defined_by in
        kept.iter().filter(|m| matches!(m.rule, MatchRule::Entry | MatchRule::TokenPattern))
    {
        let first = words.partition_point(|token| token.start < defined_by.start);
        let last = words.partition_point(|token| token.end <= defined_by.end);
        let Some(inside) = words.get(first..last) else { continue };
        if config.last_name_labels.contains(&defined_by.label) {
            if let Some(alias) = last_name(text, inside, defined_by) {
                aliases.push(alias);
            }
        }
        if config.acronym_labels.contains(&defined_by.label) {
            if let Some(alias) = acronym(text, &words[last..], defined_by) {
                aliases.push(alias);
            }
        }
    }
    // One alias per surface, label and id: the first definition.
    let mut seen = std::collections::HashSet::new();
    aliases.retain(|alias| {
        seen.insert((
            alias.surface.clone(),
            alias.defined_by.label.clone(),
            alias.defined_by.id.clone(),
        ))
    });
    if aliases.is_empty() {
        return Vec::new();
    }
    // Each word is folded once and looked up, rather than compared with every
    // alias: a long document may define many.
    let mut by_first_token: HashMap<&str, Vec<&Alias>> = HashMap::new();
    for alias in &aliases {
        by_first_token.entry(alias.first_token.as_str()).or_default().push(alias);
    }
    // A word that starts with an ASCII byte folds to a string that starts with
    // that byte lower-cased; most words are ruled out by that byte alone, before
    // they are folded.
    let mut first_bytes = [false; 128];
    for alias in &aliases {
        match alias.first_token.as_bytes().first() {
            Some(&byte) if byte.is_ascii() => first_bytes[usize::from(byte)] = true,
            // Folded from a non-ASCII character: no byte rules anything out.
            _ => first_bytes = [true; 128],
        }
    }
    let first_alias = aliases.iter().map(|alias| alias.from).min().unwrap_or(0);
    let mut found = Vec::new();
    for index in words.partition_point(|token| token.start < first_alias)..words.len() {
        let word = words[index].text(text);
        if let Some(&byte) = word.as_bytes().first() {
            if byte.is_ascii() && !first_bytes[usize::from(byte.to_ascii_lowercase())] {
                continue;
            }
        }
        let folded = normalize_str(word, FOLD_CASE);
        let Some(candidates) = by_first_token.get(folded.as_str()) else { continue };
        for alias in candidates {
            if words[index].start < alias.from {
                continue;
            }
            let Some(span) = words.get(index..index + alias.tokens) else { continue };
            if !glued(span) {
                continue;
            }
            let (start, end) = (span[0].start, span[span.len() - 1].end);
            let written = normalize_str(&text[start..end], KEEP_CASE);
            let same = match alias.rule {
                MatchRule::AcronymAlias => written == alias.surface,
                _ => {
                    normalize_str(&written, FOLD_CASE) == normalize_str(&alias.surface, FOLD_CASE)
                        && smart_case_matches(&alias.surface, &written)
                }
            };
            if !same {
                continue;
            }
            if alias.rule == MatchRule::LastNameAlias
                && words.get(index + alias.tokens).is_some_and(|next| {
                    span[span.len() - 1].ws
                        && next.start == end + 1
                        && is_title_case(next.text(text))
                })
            {
                // `Nasrallah Street`, `Biden Administration`: part of another name.
                continue;
            }
            found.push(Match {
                start,
                end,
                label: alias.defined_by.label.clone(),
                id: alias.defined_by.id.clone(),
                source: match alias.rule {
                    MatchRule::AcronymAlias => "alias:acronym".to_string(),
                    _ => "alias:last-name".to_string(),
                },
                rule: alias.rule,
                priority: alias.defined_by.priority,
                alias_of: Some([alias.defined_by.start, alias.defined_by.end]),
            });
        }
    }
    found
}

/// Whether consecutive tokens touch (no whitespace between them).
fn glued(tokens: &[Token]) -> bool {
    tokens.windows(2).all(|pair| pair[0].end == pair[1].start)
}

/// `Street`, not `SAID` (in an all-caps headline every word is capitalized).
fn is_title_case(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase) && word.chars().any(char::is_lowercase)
}

/// The last whitespace-separated word of a multi-word match, as an alias.
fn last_name(text: &str, inside: &[Token], defined_by: &Match) -> Option<Alias> {
    // Split the match's tokens into words at whitespace.
    let mut words: Vec<&[Token]> = Vec::new();
    let mut word_start = 0;
    for index in 1..=inside.len() {
        if index == inside.len() || inside[index - 1].end != inside[index].start {
            words.push(&inside[word_start..index]);
            word_start = index;
        }
    }
    let word_text = |word: &[Token]| &text[word[0].start..word[word.len() - 1].end];
    while words.last().is_some_and(|word| NAME_SUFFIXES.contains(&word_text(word))) {
        words.pop();
    }
    if words.len() < 2 {
        return None;
    }
    let last = words[words.len() - 1];
    let surface = normalize_str(word_text(last), KEEP_CASE);
    if surface.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return None;
    }
    Some(Alias {
        first_token: normalize_str(last[0].text(text), FOLD_CASE),
        surface,
        tokens: last.len(),
        rule: MatchRule::LastNameAlias,
        from: defined_by.end,
        defined_by: defined_by.clone(),
    })
}

/// `(ACRONYM)` right after an organization match (same line, whitespace only
/// between), as an alias valid from the acronym itself on.
fn acronym(text: &str, after: &[Token], defined_by: &Match) -> Option<Alias> {
    let [open, acronym, close, ..] = after else { return None };
    let gap = &text[defined_by.end..open.start];
    if !gap.chars().all(|c| c == ' ' || c == '\u{a0}' || c == '\t')
        || open.text(text) != "("
        || close.text(text) != ")"
        || open.end != acronym.start
        || acronym.end != close.start
    {
        return None;
    }
    let written = acronym.text(text);
    let uppercase = written.chars().filter(|c| c.is_uppercase()).count();
    let shaped = uppercase >= 2
        && written.chars().count() <= 12
        && written.chars().next().is_some_and(char::is_uppercase)
        && written.chars().all(|c| c.is_alphanumeric() || matches!(c, '&' | '.' | '-'));
    if !shaped {
        return None;
    }
    Some(Alias {
        surface: normalize_str(written, KEEP_CASE),
        first_token: normalize_str(written, FOLD_CASE),
        tokens: 1,
        rule: MatchRule::AcronymAlias,
        from: acronym.start,
        defined_by: defined_by.clone(),
    })
}
