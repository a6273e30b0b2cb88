//! Matching token patterns on rubric's tokens, with spaCy's `Matcher` semantics:
//! every match of every pattern (the non-greedy default), as `matcher.pyx`
//! computes them.
//!
//! spaCy runs all patterns as a set of states advanced token by token; each
//! state remembers a pattern position, where it started and how long it is,
//! and a quantifier can retry (skip itself), advance, or extend. The matches
//! it returns are, once deduplicated and with empty ones dropped, exactly the
//! `(start, end)` pairs for which the tokens `start..end` are a sequence the
//! pattern's atoms accept (`?` zero or one, `*` zero or more, `!` one token that
//! does not match, `+` and `{n,m}` expanded into copies). This module computes
//! that set directly: from each token where a pattern can start (the start
//! index), a search over (atom, token) states, each visited once.
//!
//! rubric's context tokens (`IN_SPAN: false`) add two marks to a state: the
//! token where the span starts (entering the first in-span atom) and where it
//! ends (leaving the last one); a match reports the span between them.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};

use rubric_tokenizer::Token;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::pattern::{Attr, Condition, Literal, Predicate, Quantifier, TokenPattern, TokenRules};

/// A match of a token pattern: token indices of its span (context tokens
/// excluded), `tokens[start..end]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TokenMatch {
    pub(crate) pattern: u32,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// A token's string attributes that cost something, computed once each, on
/// first use (`lower` and `norm` borrow the text when it is already their value).
#[derive(Default)]
struct Lazy<'t> {
    lower: OnceCell<Cow<'t, str>>,
    norm: OnceCell<Cow<'t, str>>,
    shape: OnceCell<String>,
    /// Boolean attributes already computed: bit `attr as u32` of `known` says
    /// whether bit `attr as u32` of `values` holds the answer. A flag such as
    /// `IS_STOP` appears in many specs; it is computed once per token.
    known: Cell<u32>,
    values: Cell<u32>,
}

/// A document's tokens and their attributes, computed on first use and shared
/// by every gazetteer's patterns: a document matched against the default
/// gazetteer's rules and a user's patterns computes each token's lower form and
/// flags once.
pub(crate) struct TokenAttrs<'t> {
    text: &'t str,
    tokens: &'t [Token],
    lazy: Vec<Lazy<'t>>,
    /// Per token, whether it starts a sentence: split on first use (only
    /// patterns testing `IS_SENT_START` need it), by `split`.
    sentence_starts: OnceCell<Vec<bool>>,
    split: fn(&str, &[Token]) -> Vec<bool>,
}

impl<'t> TokenAttrs<'t> {
    /// The attributes of `tokens`, which all fit `text`; `split` gives, per token,
    /// whether it starts a sentence.
    pub(crate) fn new(
        text: &'t str,
        tokens: &'t [Token],
        split: fn(&str, &[Token]) -> Vec<bool>,
    ) -> Self {
        TokenAttrs {
            text,
            tokens,
            lazy: std::iter::repeat_with(Lazy::default).take(tokens.len()).collect(),
            sentence_starts: OnceCell::new(),
            split,
        }
    }
}

/// The document as one gazetteer's patterns see it: the shared attributes and
/// this rule set's own memo of test results.
struct Doc<'a, 't> {
    attrs: &'a TokenAttrs<'t>,
    memo: RefCell<Known>,
    /// Whether a spec holds at a token, per token and `Atom::spec`.
    specs: RefCell<Known>,
}

/// Test results already computed, per (token, column): a dense table while it
/// is small, else a map of the cells actually asked for. A dense table of every
/// spec at every token grows with the number of patterns, and a document must
/// not pay (in zeroed memory) for the specs of patterns that never start in it:
/// a thousand patterns times a thousand tokens is a megabyte per document, of
/// which a few thousand cells are used.
enum Known {
    /// `token * columns + column`: 0 not yet tested, 1 no, 2 yes.
    Dense {
        cells: Vec<u8>,
        columns: usize,
    },
    Sparse {
        cells: FxHashMap<usize, bool>,
        columns: usize,
    },
}

/// The largest dense table (one byte a cell).
const MAX_DENSE_CELLS: usize = 1 << 18;

impl Known {
    fn new(tokens: usize, columns: u32) -> Known {
        let columns = columns as usize;
        match tokens.checked_mul(columns) {
            Some(cells) if cells <= MAX_DENSE_CELLS => {
                Known::Dense { cells: vec![0; cells], columns }
            }
            _ => Known::Sparse { cells: FxHashMap::default(), columns },
        }
    }

    fn get(&self, token: usize, column: usize) -> Option<bool> {
        match self {
            Known::Dense { cells, columns } => match cells.get(token * columns + column) {
                Some(1) => Some(false),
                Some(2) => Some(true),
                _ => None,
            },
            Known::Sparse { cells, columns } => {
                cells.get(&token.wrapping_mul(*columns).wrapping_add(column)).copied()
            }
        }
    }

    fn set(&mut self, token: usize, column: usize, value: bool) {
        match self {
            Known::Dense { cells, columns } => {
                if let Some(cell) = cells.get_mut(token * *columns + column) {
                    *cell = if value { 2 } else { 1 };
                }
            }
            Known::Sparse { cells, columns } => {
                cells.insert(token.wrapping_mul(*columns).wrapping_add(column), value);
            }
        }
    }
}

impl<'t> TokenAttrs<'t> {
    fn token_text(&self, index: usize) -> &'t str {
        let token = self.tokens[index];
        &self.text[token.start..token.end]
    }

    fn string(&self, index: usize, attr: Attr) -> &str {
        let text = self.token_text(index);
        let lazy = &self.lazy[index];
        match attr {
            Attr::Lower => lazy.lower.get_or_init(|| rubric_lexeme::lower(text)),
            Attr::Norm => lazy.norm.get_or_init(|| rubric_lexeme::norm(text)),
            Attr::Shape => lazy.shape.get_or_init(|| rubric_lexeme::shape(text)),
            Attr::Prefix => rubric_lexeme::prefix(text),
            Attr::Suffix => rubric_lexeme::suffix(text),
            _ => text,
        }
    }

    fn length(&self, index: usize) -> i64 {
        i64::try_from(rubric_lexeme::length(self.token_text(index))).unwrap_or(i64::MAX)
    }

    fn flag(&self, index: usize, attr: Attr) -> bool {
        let Some(lazy) = self.lazy.get(index) else { return false };
        let bit = 1u32.checked_shl(attr as u32).unwrap_or(0);
        if bit != 0 && lazy.known.get() & bit != 0 {
            return lazy.values.get() & bit != 0;
        }
        let value = self.compute_flag(index, attr);
        if bit != 0 {
            lazy.known.set(lazy.known.get() | bit);
            if value {
                lazy.values.set(lazy.values.get() | bit);
            }
        }
        value
    }

    fn compute_flag(&self, index: usize, attr: Attr) -> bool {
        let text = self.token_text(index);
        match attr {
            Attr::IsAlpha => rubric_lexeme::is_alpha(text),
            Attr::IsAscii => rubric_lexeme::is_ascii(text),
            Attr::IsDigit => rubric_lexeme::is_digit(text),
            Attr::IsLower => rubric_lexeme::is_lower(text),
            Attr::IsUpper => rubric_lexeme::is_upper(text),
            Attr::IsTitle => rubric_lexeme::is_title(text),
            Attr::IsPunct => rubric_lexeme::is_punct(text),
            Attr::IsSpace => rubric_lexeme::is_space(text),
            Attr::IsStop => rubric_lexeme::is_stop(text),
            Attr::IsBracket => rubric_lexeme::is_bracket(text),
            Attr::IsQuote => rubric_lexeme::is_quote(text),
            Attr::IsLeftPunct => rubric_lexeme::is_left_punct(text),
            Attr::IsRightPunct => rubric_lexeme::is_right_punct(text),
            Attr::IsCurrency => rubric_lexeme::is_currency(text),
            Attr::LikeNum => rubric_lexeme::like_num(text),
            Attr::LikeUrl => rubric_lexeme::like_url(text),
            Attr::LikeEmail => rubric_lexeme::like_email(text),
            Attr::IsSentStart => self
                .sentence_starts
                .get_or_init(|| (self.split)(self.text, self.tokens))
                .get(index)
                .copied()
                .unwrap_or(false),
            _ => false,
        }
    }
}

/// Every match of every pattern of `rules` in the tokens of `attrs`, sorted and
/// without duplicates.
pub(crate) fn find(rules: &TokenRules, attrs: &TokenAttrs<'_>) -> Vec<TokenMatch> {
    let tokens = attrs.tokens;
    if rules.patterns.is_empty() || tokens.is_empty() {
        return Vec::new();
    }
    let doc = Doc {
        attrs,
        memo: RefCell::new(Known::new(tokens.len(), rules.memo_count)),
        specs: RefCell::new(Known::new(tokens.len(), rules.spec_count)),
    };
    let index = &rules.index;
    let mut cached: Vec<u32> = Vec::new();
    let mut others: Vec<u32> = Vec::new();
    let mut search = Search::default();
    let mut found = Vec::new();
    for start in 0..tokens.len() {
        // The patterns that can start at a token of this text (its literal, lower
        // form, shape, lexicons and flags say so, and a lexical first token
        // holds): computed once per text and thread, as spaCy's vocabulary keeps a
        // word's attributes. News repeats its words; this was most of the cost of
        // trying patterns.
        let text = doc.attrs.token_text(start);
        cached.clear();
        let hit = START_CACHE.with(|cache| cache.borrow().get(rules.id, text, &mut cached));
        if !hit {
            let mut consider = |pattern: u32| {
                // A twin's matches are its leader's: one search serves both.
                if rules.leads(pattern) {
                    cached.push(pattern);
                }
            };
            for (attr, by_value) in &index.by_attr {
                if let Some(patterns) = by_value.get(doc.attrs.string(start, *attr)) {
                    patterns.iter().copied().for_each(&mut consider);
                }
            }
            for (attr, words) in &index.lexicon_words {
                if let Some(patterns) = words.get(doc.attrs.string(start, *attr)) {
                    patterns.iter().copied().for_each(&mut consider);
                }
            }
            // `IS_SENT_START` depends on the token's place, not its text: a flag
            // set is kept on its other flags, and a first token that tests it is
            // checked at each token below (the index only rules patterns out; the
            // search checks every token it takes).
            for (flags, patterns) in &index.by_flag {
                if flags.iter().all(|(attr, value)| {
                    *attr == Attr::IsSentStart || doc.attrs.flag(start, *attr) == *value
                }) {
                    patterns.iter().copied().for_each(&mut consider);
                }
            }
            // A pattern indexed under several keys is tried once per start.
            cached.sort_unstable();
            cached.dedup();
            cached.retain(|&pattern| {
                !first_is_lexical(rules, pattern) || !refused_at(rules, pattern, &doc, start)
            });
            START_CACHE.with(|cache| cache.borrow_mut().put(rules.id, text, &cached));
        }
        others.clear();
        others.extend(index.anywhere.iter().copied().filter(|&p| rules.leads(p)));
        if !others.is_empty() {
            others.sort_unstable();
            others.dedup();
            // Those the cache did not settle are checked here (and the cached
            // ones again only if their first token depends on its place).
            others.retain(|pattern| cached.binary_search(pattern).is_err());
        }
        for (&pattern, settled) in
            cached.iter().map(|p| (p, true)).chain(others.iter().map(|p| (p, false)))
        {
            // Most tries end at the first token: settle those without a search.
            let checked = settled && first_is_lexical(rules, pattern);
            if !checked && refused_at(rules, pattern, &doc, start) {
                continue;
            }
            let before = found.len();
            search.run(rules, &doc, pattern, start, &mut found);
            let after = found.len();
            for &twin in rules.twins_of(pattern) {
                for at in before..after {
                    found.push(TokenMatch { pattern: twin, ..found[at] });
                }
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// Whether pattern `pattern`'s first token is refused at token `start` (so no
/// match of it can start there): its spec fails, or holds under `!`.
fn refused_at(rules: &TokenRules, pattern: u32, doc: &Doc<'_, '_>, start: usize) -> bool {
    let first = &rules.patterns[pattern as usize];
    match first.atoms.first().map(|atom| atom.quantifier) {
        Some(Quantifier::One) => !spec_holds(rules, first, 0, doc, start),
        Some(Quantifier::Not) => spec_holds(rules, first, 0, doc, start),
        Some(Quantifier::Optional | Quantifier::Any) | None => false,
    }
}

/// Whether pattern `pattern`'s first token tests only what a token's text says
/// (`TokenRules::lexical_first`).
fn first_is_lexical(rules: &TokenRules, pattern: u32) -> bool {
    rules.lexical_first.get(pattern as usize).copied().unwrap_or(false)
}

/// Per thread, for the last few rule sets used on it: token text → the patterns
/// that can start at such a token (see `find`). Bounded: a set's table is emptied
/// when full, and the least recently added set is forgotten past `MAX_SETS`.
#[derive(Default)]
struct StartCache {
    sets: Vec<(u64, StartsByText)>,
}

/// Token text → the patterns that can start at a token of that text.
type StartsByText = FxHashMap<Box<str>, Box<[u32]>>;

const MAX_SETS: usize = 8;
const MAX_WORDS: usize = 1 << 16;

impl StartCache {
    /// Appends the cached patterns of `text` under rule set `id` to `out`; false
    /// if there are none cached.
    fn get(&self, id: u64, text: &str, out: &mut Vec<u32>) -> bool {
        let Some((_, words)) = self.sets.iter().find(|(set, _)| *set == id) else {
            return false;
        };
        match words.get(text) {
            Some(patterns) => {
                out.extend_from_slice(patterns);
                true
            }
            None => false,
        }
    }

    fn put(&mut self, id: u64, text: &str, patterns: &[u32]) {
        let position = match self.sets.iter().position(|(set, _)| *set == id) {
            Some(position) => position,
            None => {
                if self.sets.len() >= MAX_SETS {
                    self.sets.remove(0);
                }
                self.sets.push((id, FxHashMap::default()));
                self.sets.len() - 1
            }
        };
        let words = &mut self.sets[position].1;
        if words.len() >= MAX_WORDS {
            words.clear();
        }
        words.insert(text.into(), patterns.into());
    }
}

thread_local! {
    static START_CACHE: RefCell<StartCache> = RefCell::new(StartCache::default());
}

/// One search state: the next atom, the next token, and the span's edges once
/// known (`UNSET` before).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct State {
    atom: usize,
    token: usize,
    span_start: usize,
    span_end: usize,
}

const UNSET: usize = usize::MAX;

/// Buffers reused from one search to the next.
#[derive(Default)]
struct Search {
    stack: Vec<State>,
    /// The states visited, while few: most searches visit a handful, and a
    /// linear scan of those costs less than hashing each one.
    few: Vec<State>,
    /// The states visited, once there are more than `FEW_STATES`.
    seen: FxHashSet<State>,
}

const FEW_STATES: usize = 32;

impl Search {
    /// Marks `state` visited; false if it already was.
    fn first_visit(&mut self, state: State) -> bool {
        if self.seen.is_empty() {
            if self.few.contains(&state) {
                return false;
            }
            if self.few.len() < FEW_STATES {
                self.few.push(state);
                return true;
            }
            self.seen.extend(self.few.drain(..));
        }
        self.seen.insert(state)
    }
}

impl Search {
    fn run(
        &mut self,
        rules: &TokenRules,
        doc: &Doc<'_, '_>,
        pattern_number: u32,
        start: usize,
        found: &mut Vec<TokenMatch>,
    ) {
        let pattern = &rules.patterns[pattern_number as usize];
        let atoms = &pattern.atoms;
        let (span_first, span_last) = (pattern.lead, atoms.len() - pattern.trail);
        self.stack.clear();
        self.few.clear();
        self.seen.clear();
        // Moving to atom `next` at `token` marks the span's edges.
        let enter = |state: State, next: usize, token: usize| State {
            atom: next,
            token,
            span_start: if next == span_first { token } else { state.span_start },
            span_end: if next == span_last { token } else { state.span_end },
        };
        let first = State {
            atom: 0,
            token: start,
            span_start: if span_first == 0 { start } else { UNSET },
            span_end: UNSET,
        };
        match rules.runs.get(pattern_number as usize).copied().flatten() {
            // A leading run of one spec: count the tokens it holds on, and start
            // from every place the run can end, as the search would reach them.
            Some(run) => {
                let limit = run.max.unwrap_or(usize::MAX).min(doc.attrs.tokens.len() - start);
                let held = (0..limit)
                    .take_while(|&offset| spec_holds(rules, pattern, 0, doc, start + offset))
                    .count();
                for consumed in run.min..=held {
                    let state = enter(first, run.atoms, start + consumed);
                    if self.first_visit(state) {
                        self.stack.push(state);
                    }
                }
            }
            None => {
                self.stack.push(first);
                self.first_visit(first);
            }
        }
        while let Some(state) = self.stack.pop() {
            if state.atom == atoms.len() {
                if state.token > start && state.span_start < state.span_end {
                    found.push(TokenMatch {
                        pattern: pattern_number,
                        start: state.span_start,
                        end: state.span_end,
                    });
                }
                continue;
            }
            let atom = &atoms[state.atom];
            let mut next = [None, None];
            if atom.quantifier.optional() {
                next[0] = Some(enter(state, state.atom + 1, state.token));
            }
            if state.token < doc.attrs.tokens.len() {
                let holds = spec_holds(rules, pattern, state.atom, doc, state.token);
                let accepted = if atom.quantifier == Quantifier::Not { !holds } else { holds };
                if accepted {
                    next[1] = Some(match atom.quantifier {
                        Quantifier::Any => State { token: state.token + 1, ..state },
                        _ => enter(state, state.atom + 1, state.token + 1),
                    });
                }
            }
            for state in next.into_iter().flatten() {
                if self.first_visit(state) {
                    self.stack.push(state);
                }
            }
        }
    }
}

/// Whether token `index` satisfies every condition of atom `atom`.
fn spec_holds(
    rules: &TokenRules,
    pattern: &TokenPattern,
    atom: usize,
    doc: &Doc<'_, '_>,
    index: usize,
) -> bool {
    let atom = &pattern.atoms[atom];
    let spec = atom.spec as usize;
    if let Some(known) = doc.specs.borrow().get(index, spec) {
        return known;
    }
    let holds = atom.conditions.iter().all(|condition| match condition.memo {
        Some(memo) => {
            let memo = memo as usize;
            if let Some(known) = doc.memo.borrow().get(index, memo) {
                return known;
            }
            let holds = condition_holds(rules, condition, doc, index);
            doc.memo.borrow_mut().set(index, memo, holds);
            holds
        }
        None => condition_holds(rules, condition, doc, index),
    });
    doc.specs.borrow_mut().set(index, spec, holds);
    holds
}

/// Whether token `index` satisfies `condition`.
fn condition_holds(
    rules: &TokenRules,
    condition: &Condition,
    doc: &Doc<'_, '_>,
    index: usize,
) -> bool {
    let attr = condition.attr;
    match &condition.predicate {
        Predicate::Equals(Literal::Str(value)) => doc.attrs.string(index, attr) == value,
        Predicate::Equals(Literal::Int(value)) => doc.attrs.length(index) == *value,
        Predicate::Equals(Literal::Bool(value)) => doc.attrs.flag(index, attr) == *value,
        Predicate::In { strings, ints, negated } => {
            let member = if attr == Attr::Length {
                ints.contains(&doc.attrs.length(index))
            } else {
                strings.contains(doc.attrs.string(index, attr))
            };
            member != *negated
        }
        Predicate::Regex(regex) => regex.is_match(doc.attrs.string(index, attr)),
        Predicate::Fuzzy { value, max_edits } => {
            let text = doc.attrs.string(index, attr);
            text == value || levenshtein_compare(text, value, *max_edits)
        }
        Predicate::Compare(comparison, value) => comparison.holds(doc.attrs.length(index), *value),
        Predicate::Lexicon { lexicon, negated } => {
            rules
                .lexicons
                .get(*lexicon)
                .is_some_and(|l| l.set.contains(doc.attrs.string(index, attr)))
                != *negated
        }
    }
}

/// spaCy's `levenshtein_compare`: within `max_edits` edits (insertions,
/// deletions, substitutions of characters), or by default within
/// `max(2, round(0.3 * len(pattern)))` (Python's `round`, halves to even).
pub(crate) fn levenshtein_compare(input: &str, pattern: &str, max_edits: Option<u32>) -> bool {
    let allowed = match max_edits {
        Some(max) => max as usize,
        None => {
            let scaled = (0.3 * pattern.chars().count() as f64).round_ties_even();
            (scaled as usize).max(2)
        }
    };
    // The distance is at least the difference in length: most words are ruled
    // out by that alone, without the table.
    let (input_len, pattern_len) = (input.chars().count(), pattern.chars().count());
    if input_len.abs_diff(pattern_len) > allowed {
        return false;
    }
    levenshtein(input, pattern) <= allowed
}

/// The edit distance between two strings, on characters (code points).
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}
