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
use std::cmp::Ordering;

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
    /// Whether it is one whitespace-free word (its tokens must touch in the text).
    one_word: bool,
    /// Its first token, case-folded (`fold_first`): the key a word is looked up
    /// by. Plain ASCII is kept as written, its letters compared ignoring case.
    first_token: Cow<'k, str>,
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
/// each word's fold hash already computed.
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
    let hashes = attrs.map(|attrs| WordHashes { attrs, token_numbers: &token_numbers });
    mentions(text, &words, hashes, &aliases)
}

/// The fold hashes of a document's words (`plain_fold_hash`), as the tokens'
/// attributes keep them per text, by token number: the number of word `i` is
/// `token_numbers[i]`.
#[derive(Clone, Copy)]
struct WordHashes<'t, 'a> {
    attrs: &'a TokenAttrs<'t>,
    token_numbers: &'a [usize],
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
        let inside = &words[first..last];
        if is_one_of(&config.last_name_labels, defined_by.label) {
            if let Some(alias) = last_name(text, inside, defined_by) {
                aliases.push(alias);
            }
        }
        if is_one_of(&config.acronym_labels, defined_by.label) {
            if let Some(alias) = acronym(text, &words[last..], defined_by) {
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

/// The aliases' mentions in the document's words, as candidates.
#[inline(never)]
fn mentions<'a>(
    text: &str,
    words: &[Token],
    hashes: Option<WordHashes<'_, '_>>,
    aliases: &[Alias<'_, 'a>],
) -> Vec<Candidate<'a>> {
    // Each word is looked up by its fold, rather than compared with every alias
    // (a long document may define many): the alias numbers sorted by first token
    // (in number order within one), and each first token's run of them.
    // Runs in the order of their first tokens' hashes (any order of runs will
    // do; comparing hashes first spares most string comparisons).
    let first_hashes: Vec<u64> =
        aliases.iter().map(|alias| fold_hash(alias.first_token.as_bytes())).collect();
    let mut by_first: Vec<usize> = (0..aliases.len()).collect();
    by_first.sort_unstable_by(|&a, &b| {
        first_hashes[a]
            .cmp(&first_hashes[b])
            .then_with(|| cmp_folded(&aliases[a].first_token, &aliases[b].first_token))
            .then(a.cmp(&b))
    });
    // Equal first tokens are neighbours in that order: each one's run.
    let mut runs: Vec<FirstRun<'_>> = Vec::with_capacity(aliases.len());
    for (at, &number) in by_first.iter().enumerate() {
        let first = &*aliases[number].first_token;
        match runs.last_mut() {
            Some(run) if run.first.eq_ignore_ascii_case(first) => run.to = at + 1,
            _ => runs.push(FirstRun { hash: first_hashes[number], first, from: at, to: at + 1 }),
        }
    }
    // Each alias's surface case-folded, for the comparisons below (plain ASCII,
    // most names, is not copied to be folded).
    let folded_surfaces: Vec<FoldedSurface<'_>> =
        aliases.iter().map(|alias| FoldedSurface::of(&alias.surface)).collect();
    // And its last byte: a text ending in an ASCII byte folds to a text ending in
    // that byte lower-cased (ASCII folds to itself but for case), so most aliases
    // that share a first word with the text here are ruled out by one byte.
    let last_bytes: Vec<Option<u8>> =
        folded_surfaces.iter().map(FoldedSurface::last_byte).collect();
    // A word that starts with an ASCII byte folds to a string that starts with
    // that byte lower-cased; most words are ruled out by that byte alone, before
    // they are folded. And an alias written with a capital is never found
    // lower-cased (the smart case policy): a word that starts with an ASCII
    // lower-case letter, most words, is looked up only if an alias whose first
    // token starts with that letter starts in lower case (`al-Sudani`).
    // `may_start[byte]`, for each ASCII first byte of a word.
    let mut may_start = [false; 128];
    for alias in aliases {
        let lower_initial = alias.surface.chars().next().is_some_and(|c| !c.is_uppercase());
        match alias.first_token.as_bytes().first().map(u8::to_ascii_lowercase) {
            Some(byte) if byte.is_ascii() => {
                may_start[usize::from(byte.to_ascii_uppercase())] = true;
                if byte.is_ascii_lowercase() {
                    may_start[usize::from(byte)] |= lower_initial;
                } else {
                    may_start[usize::from(byte)] = true;
                }
            }
            // Folded from a non-ASCII character: no byte rules anything out.
            _ => may_start = [true; 128],
        }
    }
    // With the many names a thousand token patterns find, most words start
    // like some name (the byte checks above pass), but few are the first word
    // of one: a plain ASCII word is looked up by a hash of its fold, without
    // folding it.
    let first_tokens = FirstTokens::new(runs);
    // What rules an alias out at a word, in `by_first` order: a run is read
    // front to back in one small array, not alias by alias.
    let probes: Vec<Probe> = by_first
        .iter()
        .map(|&number| Probe {
            number,
            from: aliases[number].from,
            tokens: aliases[number].tokens,
            last_byte: last_bytes[number],
        })
        .collect();
    let first_alias = aliases.iter().map(|alias| alias.from).min().unwrap_or(0);
    let mut found = Vec::new();
    let mut folded = String::new();
    for index in words.partition_point(|token| token.start < first_alias)..words.len() {
        let at = words[index];
        let first_byte = text.as_bytes().get(at.start..at.end).and_then(<[u8]>::first);
        if first_byte.is_some_and(|&byte| byte.is_ascii() && !may_start[usize::from(byte)]) {
            continue;
        }
        let word = at.text(text);
        let hash = match hashes {
            Some(WordHashes { attrs, token_numbers }) => {
                token_numbers.get(index).and_then(|&token| attrs.fold_hash(token))
            }
            None => plain_fold_hash(word),
        };
        let (from, to) = match first_tokens.look_up(word, hash) {
            Lookup::Absent => continue,
            Lookup::Run(from, to) => (from, to),
            Lookup::Fold => {
                fold_into(word, &mut folded);
                let Some(run) = first_tokens.folded_run(&folded) else { continue };
                run
            }
        };
        let Some(probes) = probes.get(from..to) else { continue };
        // The text from this word, normalized as written and case-folded, per
        // length in tokens: aliases that share a first word (one name defined
        // under several labels or ids) compare the same text.
        let mut spelled: Vec<(usize, String, String)> = Vec::new();
        for probe in probes {
            if words[index].start < probe.from {
                continue;
            }
            let Some(last) = probe.tokens.checked_sub(1).and_then(|k| words.get(index + k)) else {
                continue;
            };
            let last_byte = text.as_bytes().get(last.start..last.end).and_then(<[u8]>::last);
            if !may_end_with_byte(probe.last_byte, last_byte.copied()) {
                continue;
            }
            let number = probe.number;
            let alias = &aliases[number];
            let span = &words[index..=index + (alias.tokens - 1)];
            let last = last.text(text);
            // A one-word alias must be one word in the text too; a longer name
            // is compared as written, its whitespace folded.
            if alias.one_word && !glued(span) {
                continue;
            }
            let (start, end) = (span[0].start, span[span.len() - 1].end);
            if start < alias.defined_by.end && alias.defined_by.start < end {
                // The definition itself, or a mention overlapping it.
                continue;
            }
            // Most aliases that share a first word with the text here differ
            // by their last: ruled out before the text is normalized.
            if !may_end_with(&folded_surfaces[number], last) {
                continue;
            }
            let at = match spelled.iter().position(|(tokens, _, _)| *tokens == alias.tokens) {
                Some(at) => at,
                None => {
                    let written = normalize_str(&text[start..end], KEEP_CASE);
                    let folded = normalize_str(&written, FOLD_CASE);
                    spelled.push((alias.tokens, written, folded));
                    spelled.len() - 1
                }
            };
            let (_, written, folded) = &spelled[at];
            let same = match alias.rule {
                MatchRule::AcronymAlias => *written == *alias.surface,
                _ => {
                    folded_surfaces[number].equals(folded)
                        && smart_case_matches(&alias.surface, written)
                }
            };
            if !same {
                continue;
            }
            if alias.rule != MatchRule::AcronymAlias
                && words.get(index + alias.tokens).is_some_and(|next| {
                    span[span.len() - 1].ws
                        && next.start == end + 1
                        && is_title_case(next.text(text))
                })
            {
                // `Nasrallah Street`, `Biden Administration`: part of another name.
                continue;
            }
            if alias.rule == MatchRule::FirstNameAlias && after_a_name_word(text, words, index) {
                // `Clean Air Bill`: a first name is only the person alone.
                continue;
            }
            found.push(Candidate {
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
            });
        }
    }
    found
}

/// Whether `label` is one of `labels`.
fn is_one_of(labels: &[String], label: &str) -> bool {
    labels.iter().any(|one| one == label)
}

/// `word` case-folded as `normalize_str` folds it, into `out`: plain ASCII (most
/// words, punctuation included) lower-cased in one pass, without allocating.
fn fold_into(word: &str, out: &mut String) {
    out.clear();
    if is_plain_ascii(word) {
        out.push_str(word);
        out.make_ascii_lowercase();
    } else {
        out.push_str(&normalize_str(word, FOLD_CASE));
    }
}

/// The aliases' first tokens as the word loop of `mentions` looks them up. A
/// plain ASCII word (it folds to itself lower-cased) is hashed as it would
/// fold, without folding it: a one-hash Bloom filter rules most words out, and
/// the hash finds the first token, which the word must equal but for ASCII
/// case. Other words, and a hash two first tokens share, are looked up folded.
struct FirstTokens<'s> {
    bits: Vec<u64>,
    /// Per hash, its first token's run (an index in `runs`); `None` when two
    /// first tokens have the hash.
    by_hash: FxHashMap<u64, Option<usize>>,
    /// The runs, in order of (hash, first token).
    runs: Vec<FirstRun<'s>>,
}

/// A first token (`fold_first`), its `fold_hash`, and its run of alias numbers (in
/// `mentions`' sorted list).
struct FirstRun<'s> {
    hash: u64,
    first: &'s str,
    from: usize,
    to: usize,
}

/// What `FirstTokens::look_up` says of a word.
enum Lookup {
    /// No alias starts with it.
    Absent,
    /// The run of alias numbers (in `mentions`' sorted list) that start with it.
    Run(usize, usize),
    /// Not decided by the hash: fold the word and look it up.
    Fold,
}

/// Bits in the Bloom filter (2 KiB): a few thousand first tokens leave most
/// bits clear.
const FIRST_TOKEN_BITS: u64 = 1 << 14;

/// A token case-folded as `normalize_str` folds it, for `Alias::first_token`:
/// plain ASCII (most words) is borrowed as written, its case left to the
/// comparisons (`cmp_folded`, `eq_ignore_ascii_case`, `fold_hash`), which
/// lower-case ASCII letters: no copy per alias.
fn fold_first(token: &str) -> Cow<'_, str> {
    if is_plain_ascii(token) {
        Cow::Borrowed(token)
    } else {
        Cow::Owned(normalize_str(token, FOLD_CASE))
    }
}

/// The order of two first tokens (`fold_first`) as their folds: ASCII letters
/// lower-cased (a fold is lower-case already; other bytes compare as they are).
fn cmp_folded(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|byte| byte.to_ascii_lowercase())
        .cmp(b.bytes().map(|byte| byte.to_ascii_lowercase()))
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

impl<'s> FirstTokens<'s> {
    /// The index of `runs`, sorted by (hash, first token), one per first token.
    fn new(runs: Vec<FirstRun<'s>>) -> Self {
        let mut bits = vec![0; (FIRST_TOKEN_BITS / 64) as usize];
        let mut by_hash = FxHashMap::with_capacity_and_hasher(runs.len(), Default::default());
        for (number, run) in runs.iter().enumerate() {
            let bit = run.hash % FIRST_TOKEN_BITS;
            bits[(bit / 64) as usize] |= 1 << (bit % 64);
            by_hash.entry(run.hash).and_modify(|shared| *shared = None).or_insert(Some(number));
        }
        FirstTokens { bits, by_hash, runs }
    }

    /// The run of `folded`, a case-folded word (`fold_into`), if it is a first
    /// token: found by its hash and text in the sorted runs.
    fn folded_run(&self, folded: &str) -> Option<(usize, usize)> {
        let hash = fold_hash(folded.as_bytes());
        let order =
            |run: &FirstRun<'_>| run.hash.cmp(&hash).then_with(|| cmp_folded(run.first, folded));
        let at = self.runs.partition_point(|run| order(run) == Ordering::Less);
        self.runs.get(at).filter(|run| order(run) == Ordering::Equal).map(|run| (run.from, run.to))
    }

    /// Where `word`, whose `plain_fold_hash` is `hash`, is found.
    fn look_up(&self, word: &str, hash: Option<u64>) -> Lookup {
        let Some(hash) = hash else { return Lookup::Fold };
        let bit = hash % FIRST_TOKEN_BITS;
        if self.bits[(bit / 64) as usize] & (1 << (bit % 64)) == 0 {
            return Lookup::Absent;
        }
        match self.by_hash.get(&hash).map(|run| run.and_then(|number| self.runs.get(number))) {
            // The word folds to its lower-case self, and a first token equal to
            // that would have this hash: only this one has it.
            Some(Some(run)) if word.eq_ignore_ascii_case(run.first) => {
                Lookup::Run(run.from, run.to)
            }
            Some(Some(_)) | None => Lookup::Absent,
            Some(None) => Lookup::Fold,
        }
    }
}

/// Whether text whose last token ends with byte `last` can fold to a text whose
/// last byte is `folded_last`: an ASCII last byte folds to itself lower-cased. A necessary
/// condition, checked before `may_end_with`.
fn may_end_with_byte(folded_last: Option<u8>, last: Option<u8>) -> bool {
    match last {
        Some(byte) if byte.is_ascii() => Some(byte.to_ascii_lowercase()) == folded_last,
        _ => true,
    }
}

/// One alias as the word loop of `mentions` first tests it: where it is valid
/// from, how many words it spans and the last byte of its fold.
struct Probe {
    number: usize,
    from: usize,
    tokens: usize,
    last_byte: Option<u8>,
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

    fn last_byte(&self) -> Option<u8> {
        match self {
            FoldedSurface::Ascii(surface) => surface.as_bytes().last().map(u8::to_ascii_lowercase),
            FoldedSurface::Folded(folded) => folded.as_bytes().last().copied(),
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

/// Whether text whose last token is `last` can be, normalized as written and
/// then case-folded, `folded`. Both normalizations map each character on its own
/// (only whitespace runs depend on their neighbours), so the last token's own
/// fold must end `folded`. A necessary condition, never a sufficient one.
fn may_end_with(folded: &FoldedSurface<'_>, last: &str) -> bool {
    let text = match folded {
        FoldedSurface::Ascii(surface) => surface,
        FoldedSurface::Folded(folded) => folded.as_str(),
    };
    if is_plain_ascii(last) {
        // Either way, ASCII case aside (an `Ascii` surface is not lower-cased).
        text.len() >= last.len()
            && text.as_bytes()[text.len() - last.len()..].eq_ignore_ascii_case(last.as_bytes())
    } else {
        let last = normalize_str(&normalize_str(last, KEEP_CASE), FOLD_CASE);
        match folded {
            FoldedSurface::Ascii(surface) => surface.to_ascii_lowercase().ends_with(&last),
            FoldedSurface::Folded(folded) => folded.ends_with(&last),
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

/// The last whitespace-separated word of a multi-word match, as an alias.
fn last_name<'k, 'a>(
    text: &'k str,
    inside: &[Token],
    defined_by: &'k Candidate<'a>,
) -> Option<Alias<'k, 'a>> {
    let mut words = split_words(inside);
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
        first_token: fold_first(last[0].text(text)),
        surface,
        tokens: last.len(),
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
    after: &[Token],
    defined_by: &'k Candidate<'a>,
) -> Option<Alias<'k, 'a>> {
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
        surface: normalize_cow(written, KEEP_CASE),
        first_token: fold_first(written),
        tokens: 1,
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
    inside: &[Token],
    defined_by: &'k Candidate<'a>,
) -> Option<Alias<'k, 'a>> {
    let words = split_words(inside);
    let [first, _, ..] = words.as_slice() else { return None };
    let written = &text[first[0].start..first[first.len() - 1].end];
    if !has_two_letters(written) || written.contains('.') {
        return None;
    }
    Some(Alias {
        first_token: fold_first(first[0].text(text)),
        surface: normalize_cow(written, KEEP_CASE),
        tokens: first.len(),
        one_word: true,
        rule: MatchRule::FirstNameAlias,
        from: defined_by.end,
        defined_by,
    })
}

/// The whole of a token pattern's match, as an alias valid in the whole document.
fn same_name<'k, 'a>(
    text: &'k str,
    inside: &[Token],
    defined_by: &'k Candidate<'a>,
) -> Option<Alias<'k, 'a>> {
    let first = inside.first()?;
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
        first_token: fold_first(first.text(text)),
        surface: normalize_cow(written, KEEP_CASE),
        tokens: inside.len(),
        one_word: glued(inside),
        rule: MatchRule::SameNameAlias,
        from: 0,
        defined_by,
    })
}

/// An organization match without its last word, when that word is a legal form
/// (`Acme Communications` → `Acme`), as an alias valid after it.
fn short_name<'k, 'a>(
    text: &'k str,
    inside: &[Token],
    defined_by: &'k Candidate<'a>,
) -> Option<Alias<'k, 'a>> {
    let words = split_words(inside);
    let (last, rest) = words.split_last()?;
    let last_written = &text[last[0].start..last[last.len() - 1].end];
    if rest.is_empty() || !LEGAL_FORMS.contains(&normalize_str(last_written, FOLD_CASE).as_str()) {
        return None;
    }
    // The tokens before the legal form, without a trailing comma (`Acme, Inc.`).
    let mut tokens = &inside[..inside.len() - last.len()];
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
        first_token: fold_first(first.text(text)),
        surface: normalize_cow(written, KEEP_CASE),
        tokens: tokens.len(),
        one_word: glued(tokens),
        rule: MatchRule::ShortNameAlias,
        from: defined_by.end,
        defined_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// First tokens kept as written (plain ASCII) order and group as their
    /// folds do: `Blue`, `BLUE` and `blue` are one run, ordered like `blue`.
    #[test]
    fn first_tokens_compare_as_their_folds() {
        let tokens = ["Blue", "BLUE", "blue", "Über", "al-Sudani", "Al-Sudani", "X1", "x1", "b"];
        for a in tokens {
            for b in tokens {
                let (folded_a, folded_b) =
                    (normalize_str(a, FOLD_CASE), normalize_str(b, FOLD_CASE));
                assert_eq!(cmp_folded(&fold_first(a), &fold_first(b)), folded_a.cmp(&folded_b));
                assert_eq!(fold_hash(fold_first(a).as_bytes()), fold_hash(folded_a.as_bytes()));
            }
        }
        assert!(matches!(fold_first("Blue"), Cow::Borrowed("Blue")));
        assert!(
            matches!(fold_first("Über"), Cow::Owned(folded) if folded == normalize_str("Über", FOLD_CASE))
        );
    }

    /// The alias pass finds the same mentions whether each word's fold hash is
    /// read from the tokens' attributes (kept per text) or computed on the
    /// spot: every kind of word, defined and mentioned in any case.
    #[test]
    fn word_hashes_kept_per_text_find_what_computed_ones_find() {
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
        .map(|(start, end)| Candidate {
            start,
            end,
            label: "ORG",
            id: None,
            source: Source::Text("rules.jsonl:1"),
            rule: MatchRule::TokenPattern,
            priority: 0,
            alias_of: None,
            other_label_twin: None,
        })
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

    /// `may_end_with` only rules out what the full comparison would: the fold
    /// of any text ends with the fold of its last token, whatever its case,
    /// accents, ligatures, quotes or whitespace.
    #[test]
    fn the_last_token_check_never_rules_out_a_real_match() {
        let texts = [
            "Blue Harbor Trust",
            "the  CAFÉ",
            "Ligature ﬁNAL",
            "O’Neil’s",
            "Acme, Inc.",
            "STRASSE Straße",
            "x\u{a0}\u{a0}Ωmega",
            "İstanbul",
            "Acme, INC.",
            "Fort `Worth`",
            "x-RAY's",
            "ÉCOLE",
        ];
        for text in texts {
            let tokens = rubric_tokenizer::Tokenizer::new().tokenize(text);
            let last = tokens.iter().rev().find(|t| t.kind != TokenKind::Space).unwrap();
            let written = normalize_str(text, KEEP_CASE);
            let folded = normalize_str(&written, FOLD_CASE);
            // Both ways of keeping the folded surface agree with the folded text.
            for surface in [FoldedSurface::of(&written), FoldedSurface::Folded(folded.clone())] {
                assert!(may_end_with(&surface, last.text(text)), "{text:?} ({folded:?})");
                assert!(surface.equals(&folded), "{text:?} ({folded:?})");
                assert_eq!(surface.last_byte(), folded.as_bytes().last().copied(), "{text:?}");
                let folded_last = surface.last_byte();
                let last_byte = last.text(text).as_bytes().last().copied();
                assert!(may_end_with_byte(folded_last, last_byte), "{text:?}");
            }
        }
        for surface in ["Blue Harbor Trust", "blue harbor trust"] {
            let surface = FoldedSurface::of(surface);
            assert!(!may_end_with(&surface, "Bank"));
            assert!(may_end_with(&surface, "TRUST"));
            assert!(!surface.equals("blue harbor"));
        }
        assert!(!may_end_with(&FoldedSurface::of("Acme Inc."), "Corp."));
        assert!(!may_end_with(&FoldedSurface::of("Café Blue"), "Bleu"));
        assert!(!may_end_with_byte(Some(b't'), Some(b'k')));
        assert!(may_end_with_byte(Some(b'k'), Some(b'K')));
    }

    /// A word is found by its hash exactly when its fold is a first token (or
    /// sent to the fold): any case of a first token finds its run, a word that
    /// does not fold to itself lower-cased is always folded, and other words
    /// are ruled out.
    #[test]
    fn first_tokens_are_found_by_the_hash_of_their_fold() {
        let firsts: Vec<String> = ["blue", "u.s.", "o’neil", "café", "al-sudani", "x1"]
            .iter()
            .map(|first| normalize_str(first, FOLD_CASE))
            .collect();
        let runs: FxHashMap<&str, (usize, usize)> =
            firsts.iter().enumerate().map(|(n, first)| (first.as_str(), (n, n + 1))).collect();
        let mut sorted: Vec<FirstRun<'_>> = runs
            .iter()
            .map(|(&first, &(from, to))| FirstRun {
                hash: fold_hash(first.as_bytes()),
                first,
                from,
                to,
            })
            .collect();
        sorted.sort_by_key(|run| (run.hash, run.first));
        let index = FirstTokens::new(sorted);
        for word in ["Blue", "BLUE", "blue", "U.S.", "u.S.", "O’Neil", "CAFÉ", "Al-Sudani", "X1"]
        {
            let mut folded = String::new();
            fold_into(word, &mut folded);
            let expected = runs.get(folded.as_str()).copied();
            assert!(expected.is_some(), "{word:?} folds to {folded:?}");
            // A folded word finds its run by text too (what `Lookup::Fold` does).
            assert_eq!(index.folded_run(&folded), expected, "{word:?}");
            match index.look_up(word, plain_fold_hash(word)) {
                Lookup::Run(from, to) => assert_eq!(Some((from, to)), expected, "{word:?}"),
                Lookup::Fold => assert!(!is_plain_ascii(word), "{word:?}"),
                Lookup::Absent => panic!("{word:?} ruled out"),
            }
        }
        assert!(matches!(index.look_up("Bluebird", plain_fold_hash("Bluebird")), Lookup::Absent));
        assert_eq!(index.folded_run("bluebird"), None);
        assert_eq!(index.folded_run("über"), None);
        for word in ["Blue", "u.S.", "", "a b", " a", "a  b", "a\tb", "x\u{7f}", "Über"] {
            assert_eq!(
                plain_fold_hash(word),
                is_plain_ascii(word).then(|| fold_hash(word.as_bytes())),
                "{word:?}"
            );
        }
        assert!(matches!(index.look_up("Über", plain_fold_hash("Über")), Lookup::Fold));
        let absent = (0..1000).filter(|n| {
            matches!(
                {
                    let word = format!("Word{n}");
                    index.look_up(&word, plain_fold_hash(&word))
                },
                Lookup::Absent
            )
        });
        assert_eq!(absent.count(), 1000);
        // A hash two first tokens share (none do here: marked by hand) is not
        // trusted: the word is folded and looked up by its fold.
        let mut shared = index;
        shared.by_hash.insert(fold_hash(b"blue"), None);
        assert!(matches!(shared.look_up("Blue", plain_fold_hash("Blue")), Lookup::Fold));
    }

    #[test]
    fn words_fold_as_normalize_str_folds_them() {
        let mut out = String::from("left over");
        for word in ["Harbor", "CAFÉ", "ﬁnal", "O’Neil", "x1Y2", "", "U.S.", "'s", "--", "A\tB"]
        {
            fold_into(word, &mut out);
            assert_eq!(out, normalize_str(word, FOLD_CASE), "{word:?}");
        }
    }
}
