//! Document aliases: names a document defines for itself.
//!
//! - After a multi-word match of a person label (`Hassan Nasrallah`), a later
//!   mention of its last word (`Nasrallah`) is the same entity.
//! - An acronym in parentheses right after an organization match (`Islamic
//!   Revolutionary Guard Corps (IRGC)`) names it for the rest of the document.
//! - After a multi-word person match (`Marta Novak`), a later mention of its first
//!   word (`Marta`) with no capitalized word next to it is the same person.
//! - A name a token pattern found (`Blue Harbor Trust`, or `Obama` after
//!   `President`) is that name at its other mentions, before and after.
//! - After an organization match ending in a legal-form word (`Acme
//!   Communications`, `Acme Inc.`), a later mention without it (`Acme`) is the
//!   same organization.
//!
//! Aliases are candidates like any other: they lie on token boundaries, go through
//! the same overlap policy, and one inside a longer dictionary candidate is
//! dropped (the matcher does that).

use std::borrow::Cow;

use rubric_tokenizer::{Token, TokenKind};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::candidate::{Candidate, Source};
use crate::matches::MatchRule;
use crate::normalize::{is_plain_ascii, normalize_cow, normalize_str, smart_case_matches, Folding};
use crate::token_match::TokenAttrs;

/// Which labels define which aliases.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Labels whose multi-word matches define last-name and first-name aliases.
    pub last_name_labels: Vec<String>,
    pub acronym_labels: Vec<String>,
    pub short_name_labels: Vec<String>,
}

/// A name defined by a match, valid from `from` (a byte offset) on.
#[derive(Debug)]
struct Alias<'k, 'a> {
    /// The alias as written, normalized without case folding (borrowed from the
    /// text when that changes nothing, as for most names).
    surface: Cow<'k, str>,
    /// How many tokens it spans.
    tokens: usize,
    /// Where its tokens are in the document's words: `words[at..at + tokens]`
    /// (in the definition, or right after it for an acronym).
    at: usize,
    /// Whether it is one whitespace-free word (its tokens must touch in the text).
    one_word: bool,
    rule: MatchRule,
    from: usize,
    defined_by: &'k Candidate<'a>,
}

/// Generational suffixes: never a last name on their own.
const NAME_SUFFIXES: [&str; 8] = ["Jr", "Jr.", "Sr", "Sr.", "II", "III", "IV", "V"];

/// Legal-form and business words after a company's name, case-folded: the name
/// without them is the company too. A short list of forms English-language news
/// writes; the word alone is never an alias.
#[rustfmt::skip] // One line per handful of forms reads better than one per form.
const LEGAL_FORMS: [&str; 20] = [
    "inc",
    "inc.",
    "incorporated",
    "corp",
    "corp.",
    "corporation",
    "co",
    "co.",
    "company",
    "ltd",
    "ltd.",
    "limited",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "group",
    "holdings",
    "communications",
    "technologies",
];

const KEEP_CASE: Folding = Folding { case: false, diacritics: false };
const FOLD_CASE: Folding = Folding { case: true, diacritics: false };

/// Alias candidates for the document, given the spans kept so far (borrowed:
/// only the spans kept in the end are made owned matches).
///
/// `attrs`, the tokens' attributes when the token patterns made them, holds
/// each word's fold key (`fold_key`) already computed.
pub(crate) fn candidates<'k, 'a>(
    text: &'k str,
    tokens: &[Token],
    kept: &[&'k Candidate<'a>],
    config: &Config,
    attrs: Option<&TokenAttrs<'_>>,
) -> Vec<Candidate<'a>> {
    // The words, and each one's token number for its hash: found once here, in
    // order, rather than by a cursor the word loop advances over the white
    // space of a word it looks up (a loop of unpredictable length per word).
    let mut words = Vec::with_capacity(tokens.len());
    let mut token_numbers = Vec::with_capacity(if attrs.is_some() { tokens.len() } else { 0 });
    for (number, token) in tokens.iter().enumerate() {
        if token.kind != TokenKind::Space {
            words.push(*token);
            if attrs.is_some() {
                token_numbers.push(number);
            }
        }
    }
    let aliases = defined(text, &words, kept, config);
    if aliases.is_empty() {
        return Vec::new();
    }
    // Each word's fold key: kept per text by the tokens' attributes (the number
    // of word `i` is `token_numbers[i]`), else computed here.
    let keys: Vec<u64> = match attrs {
        Some(attrs) => token_numbers
            .iter()
            .zip(&words)
            .map(|(&number, word)| {
                attrs.fold_key(number).unwrap_or_else(|| fold_key(word.text(text)))
            })
            .collect(),
        None => words.iter().map(|word| fold_key(word.text(text))).collect(),
    };
    // Each alias's anchor: its rarest word by the count of its text the tokens'
    // attributes keep, else its longest (the first of those).
    let anchors: Vec<usize> = aliases
        .iter()
        .map(|alias| {
            let rarity = |k: &usize| {
                let index = alias.at + k;
                match attrs {
                    Some(attrs) => {
                        token_numbers.get(index).map_or(u32::MAX, |&number| attrs.seen(number))
                    }
                    None => {
                        let length = words.get(index).map_or(0, |word| word.end - word.start);
                        u32::MAX - u32::try_from(length).unwrap_or(u32::MAX)
                    }
                }
            };
            (0..alias.tokens).min_by_key(rarity).unwrap_or(0)
        })
        .collect();
    mentions(text, &words, &keys, &aliases, &anchors)
}

/// The aliases the spans `kept` define, one per surface, label and id (the
/// first definition).
#[inline(never)]
fn defined<'k, 'a>(
    text: &'k str,
    words: &[Token],
    kept: &[&'k Candidate<'a>],
    config: &Config,
) -> Vec<Alias<'k, 'a>> {
    // About one alias a span at most, most of them from token patterns' spans.
    let mut aliases: Vec<Alias<'_, 'a>> = Vec::with_capacity(kept.len());
    // The first word at or after the span at hand: the kept spans come in order
    // of start, so it only moves forward (one out of order is found by a
    // binary search), rather than a binary search per span.
    let mut first = 0;
    for &defined_by in
        kept.iter().filter(|m| matches!(m.rule, MatchRule::Entry | MatchRule::TokenPattern))
    {
        if first > 0 && words[first - 1].start >= defined_by.start {
            first = words.partition_point(|token| token.start < defined_by.start);
        }
        while words.get(first).is_some_and(|token| token.start < defined_by.start) {
            first += 1;
        }
        // The words that end within the span: those before `first` end before
        // it starts (tokens do not overlap).
        let last =
            first + words[first..].iter().take_while(|token| token.end <= defined_by.end).count();
        let inside = Inside { tokens: &words[first..last], at: first };
        if is_one_of(&config.last_name_labels, defined_by.label) {
            if let Some(alias) = last_name(text, inside, defined_by) {
                aliases.push(alias);
            }
        }
        if is_one_of(&config.acronym_labels, defined_by.label) {
            let after = Inside { tokens: &words[last..], at: last };
            if let Some(alias) = acronym(text, after, defined_by) {
                aliases.push(alias);
            }
        }
        if is_one_of(&config.last_name_labels, defined_by.label) {
            if let Some(alias) = first_name(text, inside, defined_by) {
                aliases.push(alias);
            }
        }
        if defined_by.rule == MatchRule::TokenPattern {
            if let Some(alias) = same_name(text, inside, defined_by) {
                aliases.push(alias);
            }
        }
        if is_one_of(&config.short_name_labels, defined_by.label) {
            if let Some(alias) = short_name(text, inside, defined_by) {
                aliases.push(alias);
            }
        }
    }
    // One alias per surface, label and id: the first definition.
    // Sized once: a thousand token patterns define tens of aliases a document,
    // and a set grown step by step hashes every string again at each step.
    let mut seen = FxHashSet::with_capacity_and_hasher(aliases.len(), Default::default());
    let first: Vec<bool> = aliases
        .iter()
        .map(|alias| seen.insert((&*alias.surface, alias.defined_by.label, alias.defined_by.id)))
        .collect();
    drop(seen);
    let mut first = first.into_iter();
    aliases.retain(|_| first.next().unwrap_or(false));
    aliases
}

/// The aliases' mentions in the document's words, as candidates. `keys` holds
/// each word's `fold_key`; `anchors`, per alias, the place among its tokens of
/// the one it is looked for by.
///
/// A mention is the alias's tokens again, each one equal to the alias's but
/// for case (the same fold key), and the whole equal to the alias as written
/// under smart case. So an alias is tried only where its anchor occurs, not at
/// every word, and any anchor finds the same mentions; the caller picks a rare
/// word, so that an alias made of a frequent word and a rare one (`The
/// Guardian`) is tried at the few places of the rare one. Most names a
/// document defines (a thousand token patterns' many spans among them) have a
/// word it writes once: tried once, where they were defined. The places of
/// all anchors are found in one pass over the words.
#[inline(never)]
fn mentions<'a>(
    text: &str,
    words: &[Token],
    keys: &[u64],
    aliases: &[Alias<'_, 'a>],
    anchors: &[usize],
) -> Vec<Candidate<'a>> {
    // Where each anchor occurs.
    let key_at = |index: usize| keys.get(index).copied();
    let first_places =
        Places::of(keys, aliases.iter().zip(anchors).filter_map(|(a, &k)| key_at(a.at + k)));
    // An anchor chosen by how often the thread has seen a word can still be
    // frequent here (a word rare so far, or the longest word without token
    // attributes). When the aliases would be tried at more places than the
    // document has words, one more pass finds the places of every word of the
    // aliases whose anchor occurs more than `CROWDED` times, and each of those
    // is looked for by its word with the fewest places in this document: no
    // alias is then tried at more places than its rarest word has.
    let anchored: Vec<&[usize]> = aliases
        .iter()
        .zip(anchors)
        .map(|(alias, &anchor)| {
            key_at(alias.at + anchor).map_or(&[][..], |key| first_places.get(key))
        })
        .collect();
    let tries: usize = anchored.iter().map(|places| places.len()).sum();
    let crowded = |alias: &Alias<'_, '_>, places: &[usize]| {
        tries > keys.len() && alias.tokens > 1 && places.len() > CROWDED
    };
    let crowded_keys: Vec<u64> = aliases
        .iter()
        .zip(&anchored)
        .filter(|&(alias, places)| crowded(alias, places))
        .flat_map(|(alias, _)| keys.get(alias.at..alias.at + alias.tokens).unwrap_or_default())
        .copied()
        .collect();
    let more_places = Places::of(keys, crowded_keys.iter().copied());
    // (first word, alias number, candidate): sorted below into the order of
    // the mentions' first words, aliases in their order at one word.
    let mut found: Vec<(usize, usize, Candidate<'a>)> = Vec::new();
    for (number, ((alias, &chosen), &places)) in
        aliases.iter().zip(anchors).zip(&anchored).enumerate()
    {
        let (anchor, places) = if crowded(alias, places) {
            // Every token's places are known: the fewest (the first of those).
            (0..alias.tokens)
                .map(|k| (k, key_at(alias.at + k).map_or(&[][..], |key| more_places.get(key))))
                .min_by_key(|(_, places)| places.len())
                .unwrap_or((chosen, &[]))
        } else {
            (chosen, places)
        };
        let folded_surface = FoldedSurface::of(&alias.surface);
        for &place in places {
            let Some(first) = place.checked_sub(anchor) else { continue };
            let Some(span) = words.get(first..first + alias.tokens) else { continue };
            let (Some(head), Some(tail)) = (span.first(), span.last()) else { continue };
            if head.start < alias.from {
                continue;
            }
            let (start, end) = (head.start, tail.end);
            if start < alias.defined_by.end && alias.defined_by.start < end {
                // The definition itself, or a mention overlapping it.
                continue;
            }
            // Each token the alias's but for case.
            if keys.get(first..first + alias.tokens) != keys.get(alias.at..alias.at + alias.tokens)
            {
                continue;
            }
            // A one-word alias must be one word in the text too; a longer name
            // is compared as written, its whitespace folded.
            if alias.one_word && !glued(span) {
                continue;
            }
            let written = normalize_str(&text[start..end], KEEP_CASE);
            let same = match alias.rule {
                MatchRule::AcronymAlias => *written == *alias.surface,
                _ => {
                    folded_surface.equals(&normalize_str(&written, FOLD_CASE))
                        && smart_case_matches(&alias.surface, &written)
                }
            };
            if !same {
                continue;
            }
            if alias.rule != MatchRule::AcronymAlias
                && words.get(first + alias.tokens).is_some_and(|next| {
                    tail.ws && next.start == end + 1 && is_title_case(next.text(text))
                })
            {
                // `Nasrallah Street`, `Biden Administration`: part of another name.
                continue;
            }
            if alias.rule == MatchRule::FirstNameAlias && after_a_name_word(text, words, first) {
                // `Clean Air Bill`: a first name is only the person alone.
                continue;
            }
            let candidate = Candidate {
                start,
                end,
                label: alias.defined_by.label,
                id: alias.defined_by.id,
                source: Source::Text(match alias.rule {
                    MatchRule::AcronymAlias => "alias:acronym",
                    MatchRule::FirstNameAlias => "alias:first-name",
                    MatchRule::SameNameAlias => "alias:same-name",
                    MatchRule::ShortNameAlias => "alias:short-name",
                    _ => "alias:last-name",
                }),
                rule: alias.rule,
                priority: alias.defined_by.priority,
                alias_of: Some([alias.defined_by.start, alias.defined_by.end]),
                other_label_twin: None,
            };
            found.push((first, number, candidate));
        }
    }
    found.sort_unstable_by_key(|&(first, number, _)| (first, number));
    found.into_iter().map(|(_, _, candidate)| candidate).collect()
}

/// Bits in the Bloom filter of `Places` (512 bytes): the anchors of a
/// document's aliases, a few hundred at most, leave most bits clear.
const KEY_BITS: usize = 1 << 12;

/// How many places an alias's anchor may have in a document before the alias
/// is looked for by its rarest word there (`mentions`).
const CROWDED: usize = 32;

/// Where some fold keys occur among a document's words: per key, the words'
/// indices in order, found in one pass over the words.
struct Places {
    /// The keys, numbered in order of first mention.
    numbers: FxHashMap<u64, usize>,
    /// Key `n`'s places: `places[from[n]..from[n + 1]]`.
    from: Vec<usize>,
    places: Vec<usize>,
}

impl Places {
    /// The places of `wanted` among the words whose keys are `keys`. A one-hash
    /// Bloom filter rules out most words, which are none of them, without a
    /// lookup; the places are counted and then placed (a count sort).
    fn of(keys: &[u64], wanted: impl Iterator<Item = u64>) -> Places {
        let mut numbers = FxHashMap::default();
        let mut bloom = [0u64; KEY_BITS / 64];
        for key in wanted {
            let next = numbers.len();
            numbers.entry(key).or_insert(next);
            let bit = key as usize % KEY_BITS;
            bloom[bit / 64] |= 1 << (bit % 64);
        }
        let mut from = vec![0usize; numbers.len() + 1];
        let mut numbered: Vec<(usize, usize)> = Vec::new();
        if !numbers.is_empty() {
            for (index, &key) in keys.iter().enumerate() {
                let bit = key as usize % KEY_BITS;
                if bloom[bit / 64] & 1 << (bit % 64) == 0 {
                    continue;
                }
                if let Some(&number) = numbers.get(&key) {
                    numbered.push((number, index));
                    if let Some(count) = from.get_mut(number + 1) {
                        *count += 1;
                    }
                }
            }
        }
        for n in 1..from.len() {
            from[n] += from[n - 1];
        }
        let mut places = vec![0usize; numbered.len()];
        let mut next = from.clone();
        for (number, index) in numbered {
            if let Some(at) = next.get_mut(number) {
                if let Some(slot) = places.get_mut(*at) {
                    *slot = index;
                }
                *at += 1;
            }
        }
        Places { numbers, from, places }
    }

    /// The places of `key`, one of the wanted keys (none for another).
    fn get(&self, key: u64) -> &[usize] {
        let Some(&n) = self.numbers.get(&key) else { return &[] };
        match (self.from.get(n), self.from.get(n + 1)) {
            (Some(&start), Some(&end)) => self.places.get(start..end).unwrap_or_default(),
            _ => &[],
        }
    }
}

/// Whether `label` is one of `labels`.
fn is_one_of(labels: &[String], label: &str) -> bool {
    labels.iter().any(|one| one == label)
}

/// FNV-1a (64 bits) over the bytes, each ASCII letter lower-cased: a folded
/// text (already lower-case) and a plain ASCII word that folds to it hash alike.
fn fold_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FOLD_HASH_START, |hash, &byte| fold_hash_step(hash, byte))
}

const FOLD_HASH_START: u64 = 0xcbf2_9ce4_8422_2325;

/// One byte of `fold_hash`.
fn fold_hash_step(hash: u64, byte: u8) -> u64 {
    (hash ^ u64::from(byte.to_ascii_lowercase())).wrapping_mul(0x0000_0100_0000_01b3)
}

/// `fold_hash` of `word` if it is plain ASCII (`is_plain_ascii`: it folds to
/// itself lower-cased), in one pass over a word of printable ASCII (most).
pub(crate) fn plain_fold_hash(word: &str) -> Option<u64> {
    let mut hash = FOLD_HASH_START;
    for &byte in word.as_bytes() {
        if !(0x21..=0x7e).contains(&byte) {
            // A space, a control character or a non-ASCII byte: the full test.
            return is_plain_ascii(word).then(|| fold_hash(word.as_bytes()));
        }
        hash = fold_hash_step(hash, byte);
    }
    Some(hash)
}

/// A word's fold key: the `fold_hash` of its case fold, as the comparisons of
/// `mentions` fold it (normalized as written, then case-folded). Two words
/// that fold alike have one key; a plain ASCII word (most) is hashed as it
/// would fold, without folding it.
pub(crate) fn fold_key(word: &str) -> u64 {
    plain_fold_hash(word).unwrap_or_else(|| {
        fold_hash(normalize_str(&normalize_str(word, KEEP_CASE), FOLD_CASE).as_bytes())
    })
}

/// An alias's surface (normalized as written) case-folded. Plain ASCII folds to
/// itself lower-cased, so it is kept as written and compared ignoring ASCII
/// case; any other surface is folded once.
enum FoldedSurface<'s> {
    Ascii(&'s str),
    Folded(String),
}

impl FoldedSurface<'_> {
    fn of(surface: &str) -> FoldedSurface<'_> {
        if is_plain_ascii(surface) {
            FoldedSurface::Ascii(surface)
        } else {
            FoldedSurface::Folded(normalize_str(surface, FOLD_CASE))
        }
    }

    /// Whether it is `folded`, a case-folded text (which holds no ASCII capital).
    fn equals(&self, folded: &str) -> bool {
        match self {
            FoldedSurface::Ascii(surface) => folded.eq_ignore_ascii_case(surface),
            FoldedSurface::Folded(own) => own == folded,
        }
    }
}

/// Whether the word before `words[index]` is a capitalized word of a name (`Data
/// Retention Bill`): one space before it, title case, not a stop word, and not the
/// first word of a sentence (`Later Marta died`, `As Marta ...`).
fn after_a_name_word(text: &str, words: &[Token], index: usize) -> bool {
    let Some(before) = index.checked_sub(1).and_then(|i| words.get(i)) else { return false };
    let written = before.text(text);
    if before.end + 1 != words[index].start
        || !is_title_case(written)
        || rubric_lexeme::is_stop(written)
    {
        return false;
    }
    let sentence_start = index
        .checked_sub(2)
        .and_then(|i| words.get(i))
        .is_none_or(|end| matches!(end.text(text), "." | "!" | "?" | "\"" | "“" | "”" | ":"));
    !sentence_start
}

/// Whether `text` has at least two letters (a one-letter word is no alias).
fn has_two_letters(text: &str) -> bool {
    text.chars().filter(|c| c.is_alphabetic()).nth(1).is_some()
}

/// Whether consecutive tokens touch (no whitespace between them).
fn glued(tokens: &[Token]) -> bool {
    tokens.windows(2).all(|pair| pair[0].end == pair[1].start)
}

/// `Street`, not `SAID` (in an all-caps headline every word is capitalized).
fn is_title_case(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase) && word.chars().any(char::is_lowercase)
}

/// Some of the document's words and where they start among them:
/// `words[at..at + tokens.len()]`.
#[derive(Clone, Copy)]
struct Inside<'w> {
    tokens: &'w [Token],
    at: usize,
}

impl Inside<'_> {
    /// Where `part`, some of these tokens, starts among the document's words.
    fn at_of(&self, part: &[Token]) -> usize {
        let start = part.first().map_or(0, |token| token.start);
        self.at + self.tokens.partition_point(|token| token.start < start)
    }
}

/// The last whitespace-separated word of a multi-word match, as an alias.
fn last_name<'k, 'a>(
    text: &'k str,
    inside: Inside<'_>,
    defined_by: &'k Candidate<'a>,
) -> Option<Alias<'k, 'a>> {
    let mut words = split_words(inside.tokens);
    let word_text = |word: &[Token]| &text[word[0].start..word[word.len() - 1].end];
    while words.last().is_some_and(|word| NAME_SUFFIXES.contains(&word_text(word))) {
        words.pop();
    }
    if words.len() < 2 {
        return None;
    }
    let last = words[words.len() - 1];
    let surface = normalize_cow(word_text(last), KEEP_CASE);
    if !has_two_letters(&surface) {
        return None;
    }
    Some(Alias {
        surface,
        tokens: last.len(),
        at: inside.at_of(last),
        one_word: true,
        rule: MatchRule::LastNameAlias,
        from: defined_by.end,
        defined_by,
    })
}

/// `(ACRONYM)` right after an organization match (same line, whitespace only
/// between), as an alias valid from the acronym itself on.
fn acronym<'k, 'a>(
    text: &'k str,
    after: Inside<'_>,
    defined_by: &'k Candidate<'a>,
) -> Option<Alias<'k, 'a>> {
    let [open, acronym, close, ..] = after.tokens else { return None };
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
        surface: normalize_cow(written, KEEP_CASE),
        tokens: 1,
        at: after.at + 1,
        one_word: true,
        rule: MatchRule::AcronymAlias,
        from: acronym.start,
        defined_by,
    })
}

/// A match's tokens split into whitespace-separated words.
fn split_words(inside: &[Token]) -> Vec<&[Token]> {
    let mut words: Vec<&[Token]> = Vec::new();
    let mut word_start = 0;
    for index in 1..=inside.len() {
        if index == inside.len() || inside[index - 1].end != inside[index].start {
            words.push(&inside[word_start..index]);
            word_start = index;
        }
    }
    words
}

/// The first word of a multi-word person match, as an alias valid after it. An
/// initial (`J.`) or a one-letter word is not a first name.
fn first_name<'k, 'a>(
    text: &'k str,
    inside: Inside<'_>,
    defined_by: &'k Candidate<'a>,
) -> Option<Alias<'k, 'a>> {
    let words = split_words(inside.tokens);
    let [first, _, ..] = words.as_slice() else { return None };
    let written = &text[first[0].start..first[first.len() - 1].end];
    if !has_two_letters(written) || written.contains('.') {
        return None;
    }
    Some(Alias {
        surface: normalize_cow(written, KEEP_CASE),
        tokens: first.len(),
        at: inside.at,
        one_word: true,
        rule: MatchRule::FirstNameAlias,
        from: defined_by.end,
        defined_by,
    })
}

/// The whole of a token pattern's match, as an alias valid in the whole document.
fn same_name<'k, 'a>(
    text: &'k str,
    inside: Inside<'_>,
    defined_by: &'k Candidate<'a>,
) -> Option<Alias<'k, 'a>> {
    if inside.tokens.is_empty() {
        return None;
    }
    let written = &text[defined_by.start..defined_by.end];
    // A name has two letters, and is not written all in lower case: a rule's
    // `12 km` or `the ministry` is no name, and its other mentions are the
    // rule's to find (an alias would label them wherever the rule's context
    // said no). `is_lower` is Python's `str.islower()`, spaCy's `IS_LOWER`: text
    // without cased letters (Chinese, Arabic, Devanagari) is not lower case.
    if !has_two_letters(written) || rubric_lexeme::is_lower(written) {
        return None;
    }
    Some(Alias {
        surface: normalize_cow(written, KEEP_CASE),
        tokens: inside.tokens.len(),
        at: inside.at,
        one_word: glued(inside.tokens),
        rule: MatchRule::SameNameAlias,
        from: 0,
        defined_by,
    })
}

/// An organization match without its last word, when that word is a legal form
/// (`Acme Communications` → `Acme`), as an alias valid after it.
fn short_name<'k, 'a>(
    text: &'k str,
    inside: Inside<'_>,
    defined_by: &'k Candidate<'a>,
) -> Option<Alias<'k, 'a>> {
    let words = split_words(inside.tokens);
    let (last, rest) = words.split_last()?;
    let last_written = &text[last[0].start..last[last.len() - 1].end];
    if rest.is_empty() || !LEGAL_FORMS.contains(&normalize_str(last_written, FOLD_CASE).as_str()) {
        return None;
    }
    // The tokens before the legal form, without a trailing comma (`Acme, Inc.`).
    let mut tokens = &inside.tokens[..inside.tokens.len() - last.len()];
    while let Some((end, before)) = tokens.split_last() {
        if end.text(text).chars().any(char::is_alphanumeric) {
            break;
        }
        tokens = before;
    }
    let (first, end) = (tokens.first()?, tokens.last()?);
    let written = &text[first.start..end.end];
    if !has_two_letters(written) {
        return None;
    }
    Some(Alias {
        surface: normalize_cow(written, KEEP_CASE),
        tokens: tokens.len(),
        at: inside.at,
        one_word: glued(tokens),
        rule: MatchRule::ShortNameAlias,
        from: defined_by.end,
        defined_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ORG span a token pattern found at `start..end`.
    fn pattern_span(start: usize, end: usize) -> Candidate<'static> {
        Candidate {
            start,
            end,
            label: "ORG",
            id: None,
            source: Source::Text("rules.jsonl:1"),
            rule: MatchRule::TokenPattern,
            priority: 0,
            alias_of: None,
            other_label_twin: None,
        }
    }

    /// Two words have one fold key exactly when they fold alike (normalized as
    /// written, then case-folded), plain ASCII hashed without being folded.
    #[test]
    fn fold_keys_are_equal_exactly_for_words_that_fold_alike() {
        let words = [
            "Blue",
            "BLUE",
            "blue",
            "Über",
            "ÜBER",
            "über",
            "al-Sudani",
            "Al-Sudani",
            "X1",
            "x1",
            "b",
            "O’Neil",
            "o’neil",
            "O'Neil",
            "ﬁne",
            "FINE",
            "Straße",
            "STRASSE",
            "İstanbul",
            "",
        ];
        let fold = |word: &str| normalize_str(&normalize_str(word, KEEP_CASE), FOLD_CASE);
        for a in words {
            assert_eq!(fold_key(a), fold_hash(fold(a).as_bytes()), "{a:?}");
            for b in words {
                assert_eq!(fold_key(a) == fold_key(b), fold(a) == fold(b), "{a:?} {b:?}");
            }
        }
        for word in ["Blue", "u.S.", "", "a b", " a", "a  b", "a\tb", "x\u{7f}", "Über"] {
            assert_eq!(
                plain_fold_hash(word),
                is_plain_ascii(word).then(|| fold_hash(word.as_bytes())),
                "{word:?}"
            );
        }
    }

    /// The alias pass finds the same mentions whether each word's fold key is
    /// read from the tokens' attributes (kept per text, anchors chosen by how
    /// often a text was seen) or computed on the spot (anchors chosen by
    /// length): every kind of word, defined and mentioned in any case.
    #[test]
    fn fold_keys_kept_per_text_find_what_computed_ones_find() {
        let text = "Blue Harbor Trust and Über Café met al-Sudani; later BLUE HARBOR \
                    TRUST, Über  Café, über café,  Al-Sudani and blue harbor trust did. O’Neil  X1 o’neil \
                    O’Neil X1";
        let tokens = rubric_tokenizer::Tokenizer::new().tokenize(text);
        let span = |surface: &str, nth: usize| {
            let start = text.match_indices(surface).nth(nth).map(|(at, _)| at).unwrap();
            (start, start + surface.len())
        };
        let kept: Vec<Candidate<'_>> = [
            span("Blue Harbor Trust", 0),
            span("Über Café", 0),
            span("al-Sudani", 0),
            span("O’Neil  X1", 0),
        ]
        .into_iter()
        .map(|(start, end)| pattern_span(start, end))
        .collect();
        let config = Config {
            last_name_labels: vec!["ORG".to_string()],
            acronym_labels: vec!["ORG".to_string()],
            short_name_labels: vec!["ORG".to_string()],
        };
        let attrs = TokenAttrs::new(text, &tokens, |_, tokens| vec![false; tokens.len()]);
        let spans = |found: Vec<Candidate<'_>>| -> Vec<(usize, usize, &str)> {
            found
                .iter()
                .map(|c| (c.start, c.end, c.source.written().to_string().leak() as &str))
                .collect()
        };
        let kept: Vec<&Candidate<'_>> = kept.iter().collect();
        let computed = spans(candidates(text, &tokens, &kept, &config, None));
        let kept_per_text = spans(candidates(text, &tokens, &kept, &config, Some(&attrs)));
        // Mentions of each kind of definition: plain ASCII in capitals, not
        // ASCII (looked up folded), lower-case initial.
        for mention in ["BLUE HARBOR TRUST", "Über  Café", "Al-Sudani", "O’Neil X1"] {
            let (start, end) = span(mention, 0);
            assert!(computed.iter().any(|c| (c.0, c.1) == (start, end)), "{mention}: {computed:?}");
        }
        assert_eq!(kept_per_text, computed);
    }

    /// A folded surface equals the fold of its text, however it is kept.
    #[test]
    fn a_folded_surface_equals_the_fold_of_its_text() {
        let texts = [
            "Blue Harbor Trust",
            "the  CAFÉ",
            "Ligature ﬁNAL",
            "O’Neil’s",
            "Acme, Inc.",
            "STRASSE Straße",
            "x\u{a0}\u{a0}Ωmega",
            "İstanbul",
            "Fort `Worth`",
            "ÉCOLE",
        ];
        for text in texts {
            let written = normalize_str(text, KEEP_CASE);
            let folded = normalize_str(&written, FOLD_CASE);
            for surface in [FoldedSurface::of(&written), FoldedSurface::Folded(folded.clone())] {
                assert!(surface.equals(&folded), "{text:?} ({folded:?})");
            }
        }
        assert!(!FoldedSurface::of("Blue Harbor Trust").equals("blue harbor"));
    }

    /// Which token of an alias anchors its search changes nothing found: a
    /// mention is every token again, wherever the search starts from.
    #[test]
    fn the_anchor_chosen_changes_nothing_found() {
        let text = "The Blue Harbor Trust of Ohio met THE BLUE HARBOR TRUST OF OHIO. \
                    Blue Harbor Trust of Ohio said the Blue Harbor Trust of Iowa and \
                    The Blue Harbor Trust of Ohio Street, the blue Harbor Trust of Ohio.";
        let tokens = rubric_tokenizer::Tokenizer::new().tokenize(text);
        let words: Vec<Token> =
            tokens.iter().copied().filter(|token| token.kind != TokenKind::Space).collect();
        let end = "The Blue Harbor Trust of Ohio".len();
        let kept = [pattern_span(0, end)];
        let kept: Vec<&Candidate<'_>> = kept.iter().collect();
        let config = Config {
            last_name_labels: vec!["ORG".to_string()],
            acronym_labels: vec![],
            short_name_labels: vec![],
        };
        let aliases = defined(text, &words, &kept, &config);
        let keys: Vec<u64> = words.iter().map(|word| fold_key(word.text(text))).collect();
        let found = |anchor: usize| -> Vec<(usize, usize, MatchRule)> {
            let anchors: Vec<usize> =
                aliases.iter().map(|alias| anchor.min(alias.tokens - 1)).collect();
            mentions(text, &words, &keys, &aliases, &anchors)
                .iter()
                .map(|c| (c.start, c.end, c.rule))
                .collect()
        };
        let first = found(0);
        let spelled: Vec<&str> = first.iter().map(|&(start, end, _)| &text[start..end]).collect();
        // The name in capitals (and its first and last words); not without
        // `The`, not with `Iowa`, not before `Street`, not with a capital
        // lowered (smart case); the last word alone where no capitalized word
        // follows it.
        assert_eq!(
            spelled,
            ["THE", "THE BLUE HARBOR TRUST OF OHIO", "OHIO", "Ohio", "Ohio"],
            "{first:?}"
        );
        for anchor in 1..6 {
            assert_eq!(found(anchor), first, "anchor {anchor}");
        }
    }

    /// An anchor frequent in the document (`CROWDED`, with more tries than
    /// words) is traded for the alias's rarest word there: the same mentions.
    #[test]
    fn a_crowded_anchor_finds_what_any_other_finds() {
        let names = ["Zed Blue end", "Zed Red end", "Zed Gray end"];
        let mut text = names.join(", ");
        text.push_str(". ");
        text.push_str(&"Zed ".repeat(100));
        text.push_str("and ZED BLUE END, Zed Red end, Zed Gray end, Zed gray end.");
        let tokens = rubric_tokenizer::Tokenizer::new().tokenize(&text);
        let words: Vec<Token> =
            tokens.iter().copied().filter(|token| token.kind != TokenKind::Space).collect();
        let mut start = 0;
        let kept: Vec<Candidate<'_>> = names
            .iter()
            .map(|name| {
                let span = pattern_span(start, start + name.len());
                start += name.len() + 2;
                span
            })
            .collect();
        let kept: Vec<&Candidate<'_>> = kept.iter().collect();
        let config =
            Config { last_name_labels: vec![], acronym_labels: vec![], short_name_labels: vec![] };
        let aliases = defined(&text, &words, &kept, &config);
        assert_eq!(aliases.len(), 3);
        let keys: Vec<u64> = words.iter().map(|word| fold_key(word.text(&text))).collect();
        let found = |anchor: usize| -> Vec<(usize, usize)> {
            let anchors = vec![anchor; aliases.len()];
            mentions(&text, &words, &keys, &aliases, &anchors)
                .iter()
                .map(|c| (c.start, c.end))
                .collect()
        };
        let by_middle = found(1);
        let spelled: Vec<&str> = by_middle.iter().map(|&(start, end)| &text[start..end]).collect();
        assert_eq!(spelled, ["ZED BLUE END", "Zed Red end", "Zed Gray end"]);
        // `Zed` has over a hundred places, three times that in tries, more
        // than the words: each alias is looked for by its middle word
        // instead, and finds the same.
        assert_eq!(found(0), by_middle);
        assert_eq!(found(2), by_middle);
    }
}
