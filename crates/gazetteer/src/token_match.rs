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

use crate::pattern::{
    Attr, Condition, LeadingRun, Literal, Predicate, Program, Quantifier, Step, TokenRules, Wide,
    WideProgram,
};

/// A match of a token pattern: token indices of its span (context tokens
/// excluded), `tokens[start..end]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TokenMatch {
    pub(crate) pattern: u32,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// What a token's text says of it, computed on first use, once per text and
/// thread (spaCy's `Lexeme`): its lower form, norm and shape (`None` when the
/// text itself is the value, as for most lower forms and norms), and its
/// boolean attributes. News repeats its words, within and across documents.
#[derive(Default)]
struct Lexeme {
    lower: OnceCell<Option<Box<str>>>,
    norm: OnceCell<Option<Box<str>>>,
    shape: OnceCell<Box<str>>,
    /// Boolean attributes already computed: bit `attr as u32` of `known` says
    /// whether bit `attr as u32` of `values` holds the answer. A flag such as
    /// `IS_STOP` appears in many specs; it is computed once per text.
    known: Cell<u32>,
    values: Cell<u32>,
}

/// A document's tokens, each numbered by its text in this thread's `Interner`,
/// and their attributes, shared by every gazetteer's patterns: a document
/// matched against the default gazetteer's rules and a user's patterns looks
/// each token up once.
pub(crate) struct TokenAttrs<'t> {
    text: &'t str,
    tokens: &'t [Token],
    /// Per token, its text's number in `interner`.
    words: Vec<u32>,
    /// This thread's numbering of token texts, lent to the document (given back
    /// on drop). Every token is numbered when the document is made, so that its
    /// lexemes stay put while the document reads them.
    interner: Interner,
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
        let mut interner = INTERNER.with(|interner| interner.take().ready());
        let mut words = std::mem::take(&mut interner.spare);
        words.clear();
        words.extend(tokens.iter().map(|token| interner.number(&text[token.start..token.end])));
        TokenAttrs { text, tokens, words, interner, sentence_starts: OnceCell::new(), split }
    }
}

/// The document as one gazetteer's patterns see it: the shared attributes, this
/// rule set's vocabulary (what is known of each token text) and its memo of the
/// tests that depend on a token's place.
struct Doc<'a, 't> {
    attrs: &'a TokenAttrs<'t>,
    /// The vocabulary's spec bits (`Vocabulary::bits`), held apart for the
    /// document: the searches' most frequent question reads them without a
    /// `RefCell`'s borrow, and a test writes its answer through their cells.
    bits: Vec<SpecBits>,
    vocabulary: RefCell<Vocabulary>,
    /// Tests of specs that are not lexical, per token and `Condition::memo`;
    /// made on first use (most rule sets have none).
    memo: RefCell<Option<Known>>,
    /// Whether a spec that is not lexical holds, per token and `Atom::spec`.
    specs: RefCell<Option<Known>>,
}

impl Doc<'_, '_> {
    /// Token `index`'s word: its text's number, which indexes the vocabulary
    /// (grown to every number the document uses when the search starts).
    #[inline]
    fn word(&self, index: usize) -> usize {
        self.attrs.words[index] as usize
    }
}

/// Buffers one document's search uses, kept with the vocabulary between
/// documents so that each document does not allocate them anew.
#[derive(Default)]
struct Buffers {
    cached: Vec<u32>,
    /// The tokens that start some pattern, with their start lists (`find`).
    starting: Vec<(usize, u32)>,
    /// Per member of a `Joint`, the end of its longest match from the token at
    /// hand (0: none).
    joint_ends: Vec<usize>,
    search: Search,
    /// Matches per 1,024 tokens in the last document: how large `find` makes
    /// its list of matches for the next.
    found_per_token: usize,
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

impl Drop for TokenAttrs<'_> {
    fn drop(&mut self) {
        let mut interner = std::mem::take(&mut self.interner);
        interner.spare = std::mem::take(&mut self.words);
        INTERNER.with(|slot| slot.replace(interner));
    }
}

/// Per thread, the texts of the tokens seen, numbered, with their lexemes: a
/// document's tokens are looked up once (`TokenAttrs::new`) and every rule
/// set's `Vocabulary` is a list indexed by those numbers. Bounded: past
/// `MAX_WORDS` texts it starts afresh before a document, under a new
/// `numbering`, and each vocabulary made under the old one starts afresh too.
#[derive(Default)]
struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    /// Per number, what the text says (`Lexeme`).
    lexemes: Vec<Lexeme>,
    /// Per number, the text's `alias::fold_key`: the alias pass finds the
    /// places of the names it looks for by it.
    fold_keys: Vec<u64>,
    /// Per number, how many tokens of the documents numbered so far had the
    /// text: the alias pass looks for a name by its rarest word.
    seen: Vec<u32>,
    /// The last document's list of token numbers, kept for the next one.
    spare: Vec<u32>,
    /// Which numbering this is (0: not started): unique across threads, so that
    /// a vocabulary never reads one numbering's words by another's numbers.
    numbering: u64,
}

static NUMBERINGS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Interner {
    /// The interner ready for a document: a new numbering if it has none yet
    /// (a fresh thread, or a document that started while another on this
    /// thread holds it) or holds too many texts.
    fn ready(mut self) -> Interner {
        if self.numbering == 0 || self.ids.len() >= MAX_WORDS {
            self.ids.clear();
            self.lexemes.clear();
            self.fold_keys.clear();
            self.seen.clear();
            self.numbering = NUMBERINGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        }
        self
    }

    /// `text`'s number, a new one if it is new.
    #[inline]
    fn number(&mut self, text: &str) -> u32 {
        if let Some(&word) = self.ids.get(text) {
            if let Some(seen) = self.seen.get_mut(word as usize) {
                *seen = seen.saturating_add(1);
            }
            return word;
        }
        // The interner starts afresh past `MAX_WORDS` between documents, and a
        // document adds at most its tokens: far below `u32::MAX`.
        let word = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.insert(text.into(), word);
        self.lexemes.push(Lexeme::default());
        self.fold_keys.push(crate::alias::fold_key(text));
        self.seen.push(1);
        word
    }
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::default());
}

impl<'t> TokenAttrs<'t> {
    fn token_text(&self, index: usize) -> &'t str {
        let token = self.tokens[index];
        &self.text[token.start..token.end]
    }

    /// `alias::fold_key` of token `index`'s text, computed once per text.
    #[inline]
    pub(crate) fn fold_key(&self, index: usize) -> Option<u64> {
        let word = *self.words.get(index)?;
        self.interner.fold_keys.get(word as usize).copied()
    }

    /// How many tokens with token `index`'s text this thread has numbered (this
    /// document's included): how frequent a word it is.
    pub(crate) fn seen(&self, index: usize) -> u32 {
        let word = self.words.get(index).copied().unwrap_or(u32::MAX);
        self.interner.seen.get(word as usize).copied().unwrap_or(u32::MAX)
    }

    /// Token `index`'s lexeme.
    fn lexeme(&self, index: usize) -> Option<&Lexeme> {
        let word = *self.words.get(index)?;
        self.interner.lexemes.get(word as usize)
    }

    fn string(&self, index: usize, attr: Attr) -> &str {
        let text = self.token_text(index);
        // Kept only when it differs from the text (a borrowed value can be a
        // table's, as the norm of `’s` is `'s`).
        let owned = |value: Cow<'_, str>| (*value != *text).then(|| value.into());
        let Some(lexeme) = self.lexeme(index) else { return text };
        match attr {
            Attr::Lower => lexeme
                .lower
                .get_or_init(|| owned(rubric_lexeme::lower(text)))
                .as_deref()
                .unwrap_or(text),
            Attr::Norm => lexeme
                .norm
                .get_or_init(|| owned(rubric_lexeme::norm(text)))
                .as_deref()
                .unwrap_or(text),
            Attr::Shape => lexeme.shape.get_or_init(|| rubric_lexeme::shape(text).into()),
            Attr::Prefix => rubric_lexeme::prefix(text),
            Attr::Suffix => rubric_lexeme::suffix(text),
            _ => text,
        }
    }

    fn length(&self, index: usize) -> i64 {
        i64::try_from(rubric_lexeme::length(self.token_text(index))).unwrap_or(i64::MAX)
    }

    fn flag(&self, index: usize, attr: Attr) -> bool {
        if attr == Attr::IsSentStart {
            // The token's place, not its text: per document.
            return self
                .sentence_starts
                .get_or_init(|| (self.split)(self.text, self.tokens))
                .get(index)
                .copied()
                .unwrap_or(false);
        }
        let Some(lexeme) = self.lexeme(index) else { return false };
        let bit = 1u32.checked_shl(attr as u32).unwrap_or(0);
        if bit != 0 && lexeme.known.get() & bit != 0 {
            return lexeme.values.get() & bit != 0;
        }
        let value = self.compute_flag(index, attr);
        if bit != 0 {
            lexeme.known.set(lexeme.known.get() | bit);
            if value {
                lexeme.values.set(lexeme.values.get() | bit);
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
            _ => false,
        }
    }
}

/// Which of a pattern's matches [`find`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// Every match (spaCy's `Matcher`; the trace and the `all` and `priority`
    /// policies need them all).
    Every,
    /// Of a pattern's matches that start at one token, the longest: under the
    /// `longest` policy a shorter one can never be kept, since the longest has
    /// the same start, label, id and priority (`IS_TITLE+` on four title-case
    /// words makes ten matches, of which four can win). An alias on a dropped
    /// one's span is inside the longest, so it is dropped either way. A twin
    /// pattern's matches are not repeated: its leader's stand for them.
    LongestPerStart,
}

/// The matches of every pattern of `rules` in the tokens of `attrs` that
/// `wanted` asks for, without duplicates: every match sorted (by pattern, start,
/// end), the longest per start sorted by start.
pub(crate) fn find(rules: &TokenRules, attrs: &TokenAttrs<'_>, wanted: Wanted) -> Vec<TokenMatch> {
    let tokens = attrs.tokens;
    if rules.patterns.is_empty() || tokens.is_empty() {
        return Vec::new();
    }
    let numbering = attrs.interner.numbering;
    let mut vocabulary = VOCABULARIES.with(|v| v.borrow_mut().take(rules.id, numbering));
    // A record for every number the document's tokens have.
    let known_words = attrs.interner.lexemes.len();
    if vocabulary.bits.len() < known_words {
        vocabulary.bits.resize(known_words, SpecBits::default());
    }
    if vocabulary.starts.len() < known_words {
        vocabulary.starts.resize(known_words, StartLists::UNKNOWN);
    }
    let Buffers { mut cached, mut starting, mut joint_ends, mut search, found_per_token } =
        std::mem::take(&mut vocabulary.buffers);
    // The start lists are read while the searches update the vocabulary's
    // results (through the `RefCell`): held apart for the document, so that a
    // token's list is read in place, not copied out at every token that starts
    // a pattern.
    let mut lists = std::mem::take(&mut vocabulary.lists);
    let mut starts = std::mem::take(&mut vocabulary.starts);
    let doc = Doc {
        attrs,
        bits: std::mem::take(&mut vocabulary.bits),
        vocabulary: RefCell::new(vocabulary),
        memo: RefCell::new(None),
        specs: RefCell::new(None),
    };
    let index = &rules.index;
    // Sized by the rate of matches in the rule set's last document (a thousand
    // patterns find hundreds a document), not grown step by step; at most four
    // a token (a list grows past that as it must).
    let expected = tokens.len().saturating_mul(found_per_token.min(4 * 1024)) / 1024;
    let mut found = Vec::with_capacity(expected);
    // First the tokens that start some pattern, with their lists (`Starting`).
    // The patterns that can start at a token of each text (its literal, lower
    // form, shape, lexicons and flags say so, and a lexical first token holds)
    // are computed once per text and thread, as spaCy's vocabulary keeps a
    // word's attributes, where the pass meets a text no document used before.
    // News repeats its words; this was most of the cost of trying patterns.
    let mut pass = Starting::new(&mut starting, tokens.len());
    while let Some(start) = pass.run(&doc.attrs.words, &starts) {
        let word = doc.word(start);
        cached.clear();
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
        // Patterns with no literal, lower form, shape, lexicon or flag to
        // index them by: whether a lexical first token holds is kept per
        // text too, and the others are checked at each token below.
        index.anywhere.iter().copied().for_each(&mut consider);
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
        cached.retain(|&pattern| match rules.programs.get(pattern as usize) {
            Some(program) if program.lexical_first => {
                !refused(rules, rules.steps_of(program), &doc, start)
            }
            _ => true,
        });
        let list = lists.number(&cached, rules);
        if let Some(slot) = starts.get_mut(word) {
            *slot = list;
        }
    }
    let starters = pass.starters;
    for &(start, list) in starting.get(..starters).unwrap_or_default() {
        let candidates = lists.get(list);
        // The list's patterns searched together (`Joint`), the others one by
        // one, their matches in the list's order.
        let joint = lists.joint(list);
        // The members with a match (bit = member number): under `longest`,
        // their longest matches are written in list order among the other
        // patterns' below, rather than the whole list walked to find them.
        let mut matched = 0u64;
        if let Some(joint) = joint {
            joint_ends.clear();
            joint_ends.resize(joint.members.len(), 0);
            joint.search(rules, &doc, start, |member, end| match wanted {
                // Ends come in increasing order: the last is the longest.
                Wanted::LongestPerStart => {
                    if let Some(slot) = joint_ends.get_mut(member) {
                        *slot = end;
                        matched |= 1 << member;
                    }
                }
                // Every match, the twins' too, in any order (sorted below).
                Wanted::Every => {
                    let pattern = joint.members.get(member).map_or(0, |&(_, pattern)| pattern);
                    let group = rules.twin_group(pattern).unwrap_or(&[]);
                    found.push(TokenMatch { pattern, start, end });
                    for &twin in group.iter().filter(|&&twin| twin != pattern) {
                        found.push(TokenMatch { pattern: twin, start, end });
                    }
                }
            });
        }
        // The places of the patterns searched one by one: the joint's others,
        // or the whole list (one loop for both, so that the search it calls
        // is inlined once).
        let others = joint.map(|joint| &joint.others[..]);
        for at in 0..others.map_or(candidates.len(), <[usize]>::len) {
            let place = others.map_or(Some(at), |others| others.get(at).copied());
            let Some(place) = place else { break };
            if let Some(joint) = joint {
                joint.write_matched(&mut matched, &joint_ends, start, place, &mut found);
            }
            if let Some(&pattern) = candidates.get(place) {
                search_one(rules, &doc, &mut search, pattern, start, wanted, &mut found);
            }
        }
        if let Some(joint) = joint {
            joint.write_matched(&mut matched, &joint_ends, start, usize::MAX, &mut found);
        }
    }
    let mut vocabulary = doc.vocabulary.into_inner();
    vocabulary.lists = lists;
    vocabulary.starts = starts;
    vocabulary.bits = doc.bits;
    // Matches per 1,024 tokens, of the last document (a hint, rounded up).
    let found_per_token = found.len().saturating_mul(1024).div_ceil(tokens.len());
    vocabulary.buffers = Buffers { cached, starting, joint_ends, search, found_per_token };
    VOCABULARIES.with(|v| v.borrow_mut().give_back(rules.id, vocabulary));
    match wanted {
        Wanted::Every => {
            found.sort_unstable();
            found.dedup();
        }
        // Each search kept its longest match per start, and a pattern whose span
        // starts where its search starts (no leading context token) has one
        // search per start: already in start order, nothing to merge.
        Wanted::LongestPerStart if !rules.leading_context => {}
        // Several searches can find one span: merged the same way, by start (the
        // resolution then merges them with the phrase candidates, already in
        // that order).
        Wanted::LongestPerStart => keep_longest_per_start(&mut found, 0),
    }
    found
}

/// The pass over a document's tokens that writes, in order, those that start
/// some pattern with their start lists (`starts`, by word number) into
/// `starting`. It writes every token's entry and counts only those with a list,
/// so that whether a token starts a pattern (a third of news tokens do with a
/// thousand patterns, at no predictable place) is not a branch; and it stops
/// at a word whose list is not known yet, for the caller to compute it.
struct Starting<'b> {
    starting: &'b mut Vec<(usize, u32)>,
    /// The next token to read, and how many tokens so far start a pattern.
    next: usize,
    starters: usize,
}

impl<'b> Starting<'b> {
    fn new(starting: &'b mut Vec<(usize, u32)>, tokens: usize) -> Self {
        starting.clear();
        starting.resize(tokens, (0, StartLists::EMPTY));
        Starting { starting, next: 0, starters: 0 }
    }

    /// Goes on to the end of `words` (every token's word number); `Some(token)`
    /// when it stops at a token whose word's list is unknown (read again when
    /// the pass goes on).
    #[inline(never)]
    fn run(&mut self, words: &[u32], starts: &[u32]) -> Option<usize> {
        let (mut next, mut starters) = (self.next, self.starters);
        let mut stopped = None;
        for (start, &word) in words.iter().enumerate().skip(next) {
            let list = starts.get(word as usize).copied().unwrap_or(StartLists::EMPTY);
            if list == StartLists::UNKNOWN {
                stopped = Some(start);
                break;
            }
            if let Some(entry) = self.starting.get_mut(starters) {
                *entry = (start, list);
            }
            // Most words start no pattern of a rule set: not kept.
            starters += usize::from(list != StartLists::EMPTY);
            next = start + 1;
        }
        (self.next, self.starters) = (next, starters);
        stopped
    }
}

/// Pattern `pattern`'s matches from token `start` (which its start list says it
/// can start at), as `wanted` asks for them, added to `found`: its first atom
/// and fixed atoms checked, then a search.
#[inline]
fn search_one(
    rules: &TokenRules,
    doc: &Doc<'_, '_>,
    search: &mut Search,
    pattern: u32,
    start: usize,
    wanted: Wanted,
    found: &mut Vec<TokenMatch>,
) {
    // One record per try (`Program`), read once.
    let Some(program) = rules.programs.get(pattern as usize) else { return };
    let steps = rules.steps_of(program);
    // A lexical first token was settled for the text; one that depends on the
    // token's place is checked here, before a search.
    if !program.lexical_first && refused(rules, steps, doc, start) {
        return;
    }
    // Most searches end at their second token: checked before one starts.
    if !passes_fixed_atoms(rules, program, steps, doc, start) {
        return;
    }
    let before = found.len();
    // The first atom passed (above, or where the pattern's starts were settled)
    // and so did the fixed ones after it: the search takes them as given.
    let verified = program.fixed as usize;
    let longest = wanted == Wanted::LongestPerStart;
    let walk = Walk { pattern, program, steps, start, verified, longest };
    search.run(rules, doc, walk, found);
    // (One match or none, as the bit-set search reports under `longest`, is
    // already its own longest.)
    if longest && found.len() - before > 1 {
        keep_longest_per_start(found, before);
    }
    let after = found.len();
    // Under `LongestPerStart` the caller picks which twin a match is.
    let group = match wanted {
        Wanted::Every => rules.twin_group(pattern).unwrap_or(&[]),
        Wanted::LongestPerStart => &[],
    };
    for &twin in group.iter().filter(|&&twin| twin != pattern) {
        for at in before..after {
            found.push(TokenMatch { pattern: twin, ..found[at] });
        }
    }
}

/// Keeps, of the matches `found[from..]`, each pattern's longest per start, in
/// start order.
fn keep_longest_per_start(found: &mut Vec<TokenMatch>, from: usize) {
    let Some(new) = found.get_mut(from..) else { return };
    if new.len() < 2 {
        return;
    }
    new.sort_unstable_by_key(|m| (m.start, m.pattern, std::cmp::Reverse(m.end)));
    let mut kept = from;
    for at in from..found.len() {
        let key = |m: &TokenMatch| (m.start, m.pattern);
        if at == from || key(&found[at]) != key(&found[kept - 1]) {
            found[kept] = found[at];
            kept += 1;
        }
    }
    found.truncate(kept);
}

/// Whether the first token of the pattern whose atoms are `steps` is refused at
/// token `start` (so no match of it can start there): its spec fails, or holds
/// under `!`.
#[inline]
fn refused(rules: &TokenRules, steps: &[Step], doc: &Doc<'_, '_>, start: usize) -> bool {
    match steps.first() {
        Some(&step) if !step.quantifier.optional() => !takes(rules, step, doc, start),
        _ => false,
    }
}

/// Whether `step` takes token `index`: its spec holds there, or does not under
/// `!`. Every way of matching asks this.
#[inline]
fn takes(rules: &TokenRules, step: Step, doc: &Doc<'_, '_>, index: usize) -> bool {
    spec_holds(rules, step.spec, step.bit(), doc, index) != (step.quantifier == Quantifier::Not)
}

/// Whether the tokens after `start` pass pattern `pattern`'s atoms that take
/// one token each (`Program::fixed`; the first is checked before): a necessary
/// condition for a match from `start`, tested without a search's set-up.
fn passes_fixed_atoms(
    rules: &TokenRules,
    program: &Program,
    steps: &[Step],
    doc: &Doc<'_, '_>,
    start: usize,
) -> bool {
    let fixed = program.fixed as usize;
    (1..fixed.min(steps.len())).all(|offset| {
        let token = start + offset;
        token < doc.attrs.tokens.len() && takes(rules, steps[offset], doc, token)
    })
}

/// What a thread knows of token texts under one rule set, as spaCy's vocabulary
/// keeps a word's attributes: the patterns that can start at a token of that
/// text, and which lexical specs (tests of the text alone, not of the token's
/// place) hold on it. News repeats its words; testing each pattern's tokens
/// afresh at every occurrence was most of the cost of the patterns.
#[derive(Default)]
struct Vocabulary {
    /// The `Interner` numbering the lists below are indexed by (a token text's
    /// number).
    numbering: u64,
    /// Per token text, its spec bits: read at random by the searches, sixteen
    /// bytes a text.
    bits: Vec<SpecBits>,
    /// Per token text, the number of its start list in `lists` (`UNKNOWN` until
    /// computed): apart from the bits, four bytes a text, since `find`'s first
    /// pass reads it at every token (and the bits only where a search goes): a
    /// few thousand texts' numbers stay in the first-level cache.
    starts: Vec<u32>,
    /// The distinct start lists the words have.
    lists: StartLists,
    /// Results of the lexical specs without a bit, by word and spec: one probe,
    /// where a sorted list per word took a binary search through every spec a
    /// frequent word was tested on. Bounded by `MAX_RESULTS`.
    results: SpecResults,
    buffers: Buffers,
}

/// Results of lexical specs by (word, spec), as `Vocabulary::results` keeps
/// them: one flat table of `u64` slots, open addressing with linear probing.
/// A slot holds `(word + 1) << 32 | spec`, with the result in the top bit (0 is
/// an empty slot), so that a lookup reads one cache line. Written here rather
/// than taken from hashbrown (the `FxHashMap<u64, bool>` it replaced), which
/// keeps its control bytes apart from its entries: two lines per lookup, and
/// with a thousand patterns' fuzzy specs looked up at random both missed the
/// cache (half of `test_spec`'s time was the load of the entry).
#[derive(Default)]
struct SpecResults {
    /// A power of two in length (or empty).
    slots: Vec<u64>,
    len: usize,
}

impl SpecResults {
    const HOLDS: u64 = 1 << 63;

    /// The slot's key for `word` and `spec`; `None` for a word number too large
    /// to leave the top bit free (never, as the interner starts afresh past
    /// `MAX_WORDS`: such a result would only go unkept).
    fn key(word: usize, spec: u32) -> Option<u64> {
        let word = u64::try_from(word).ok()?.checked_add(1).filter(|&word| word < 1 << 31)?;
        Some(word << 32 | u64::from(spec))
    }

    /// Where `key`'s probe starts (Fibonacci hashing: the top bits of a
    /// multiplication, which word and spec both reach).
    fn home(&self, key: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize
    }

    fn get(&self, word: usize, spec: u32) -> Option<bool> {
        let key = Self::key(word, spec)?;
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        loop {
            let slot = *self.slots.get(at)?;
            if slot == 0 {
                return None;
            }
            if slot & !Self::HOLDS == key {
                return Some(slot & Self::HOLDS != 0);
            }
            at = (at + 1) & mask;
        }
    }

    /// Keeps the result of a (word, spec) pair not in the table yet.
    fn insert(&mut self, word: usize, spec: u32, holds: bool) {
        let Some(key) = Self::key(word, spec) else { return };
        // At most half full: probes stay short.
        if (self.len + 1) * 2 > self.slots.len() {
            let larger = vec![0; (self.slots.len() * 2).max(1024)];
            let old = std::mem::replace(&mut self.slots, larger);
            for slot in old.into_iter().filter(|&slot| slot != 0) {
                self.place(slot);
            }
        }
        self.place(key | if holds { Self::HOLDS } else { 0 });
        self.len += 1;
    }

    /// Puts `slot` in the first free slot of its probe.
    fn place(&mut self, slot: u64) {
        let mask = self.slots.len() - 1;
        let mut at = self.home(slot & !Self::HOLDS);
        while let Some(taken) = self.slots.get_mut(at) {
            if *taken == 0 {
                *taken = slot;
                return;
            }
            at = (at + 1) & mask;
        }
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// What a rule set knows of one token text: the specs with a bit (`Step::bit`)
/// tested on it and, of those, the ones that hold (other specs:
/// `Vocabulary::results`). Cells: a search writes a new answer while others
/// are read.
#[derive(Clone, Default)]
struct SpecBits {
    known: Cell<u64>,
    holds: Cell<u64>,
}

/// The distinct lists of patterns that can start at a word, numbered, in one
/// array. Few: most words start no pattern, and words alike in what the first
/// tokens test (every title-case word that is no pattern's literal) share one
/// list, which stays in cache, where a list per word was a read at random.
struct StartLists {
    /// Per list number, its place in `patterns`.
    ranges: Vec<(u32, u32)>,
    patterns: Vec<u32>,
    numbers: FxHashMap<Box<[u32]>, u32>,
    /// Per list number, the search of its patterns together, if it has one.
    joints: Vec<Option<Joint>>,
}

impl Default for StartLists {
    fn default() -> Self {
        let mut numbers = FxHashMap::default();
        numbers.insert(Box::default(), StartLists::EMPTY);
        StartLists { ranges: vec![(0, 0)], patterns: Vec::new(), numbers, joints: vec![None] }
    }
}

impl StartLists {
    /// The empty list's number.
    const EMPTY: u32 = 0;
    /// A word whose list is not computed yet.
    const UNKNOWN: u32 = u32::MAX;

    /// `list`'s number, a new one if no word had it; `rules` are the patterns'.
    fn number(&mut self, list: &[u32], rules: &TokenRules) -> u32 {
        if let Some(&number) = self.numbers.get(list) {
            return number;
        }
        self.joints.push(Joint::of(list, rules));
        // Lists are distinct sets of a rule set's patterns, far fewer than
        // `u32::MAX`, and so are their patterns in all (a vocabulary starts
        // afresh past `MAX_WORDS` words).
        // (`UNKNOWN` is never a list's number: the pass over the tokens stops
        // at it.)
        let number = u32::try_from(self.ranges.len())
            .ok()
            .filter(|&number| number != StartLists::UNKNOWN)
            .unwrap_or(StartLists::EMPTY);
        let from = u32::try_from(self.patterns.len()).unwrap_or(u32::MAX);
        self.patterns.extend_from_slice(list);
        let to = u32::try_from(self.patterns.len()).unwrap_or(u32::MAX);
        self.ranges.push((from, to));
        self.numbers.insert(list.into(), number);
        number
    }

    /// List `number`'s joint search, if it has one.
    #[inline]
    fn joint(&self, number: u32) -> Option<&Joint> {
        self.joints.get(number as usize).and_then(Option::as_ref)
    }

    /// List `number`'s patterns.
    #[inline]
    fn get(&self, number: u32) -> &[u32] {
        match self.ranges.get(number as usize) {
            Some(&(from, to)) => self.patterns.get(from as usize..to as usize).unwrap_or(&[]),
            None => &[],
        }
    }
}

/// Per thread, the vocabularies of the last few rule sets used on it. Bounded: a
/// vocabulary is emptied before a document when the interner's numbering changed
/// (past `MAX_WORDS` texts) or past `MAX_RESULTS` spec results, and the least
/// recently added set is forgotten past `MAX_SETS`.
#[derive(Default)]
struct Vocabularies {
    sets: Vec<(u64, Vocabulary)>,
}

const MAX_SETS: usize = 8;
/// The most token texts the interner numbers before it starts afresh.
const MAX_WORDS: usize = 1 << 16;
/// The most spec results a vocabulary's table keeps (eight to sixteen bytes
/// each) before it is emptied: ten thousand patterns test many specs on a frequent
/// word.
const MAX_RESULTS: usize = 1 << 22;

impl Vocabularies {
    /// Rule set `id`'s vocabulary, lent to one document (`give_back` returns it).
    fn take(&mut self, id: u64, numbering: u64) -> Vocabulary {
        match self.sets.iter_mut().find(|(set, _)| *set == id) {
            Some((_, vocabulary))
                if vocabulary.numbering == numbering && vocabulary.results.len() < MAX_RESULTS =>
            {
                std::mem::take(vocabulary)
            }
            // Words numbered otherwise, or too many results: started afresh,
            // keeping the search's buffers.
            found => Vocabulary {
                numbering,
                buffers: found.map(|(_, old)| std::mem::take(&mut old.buffers)).unwrap_or_default(),
                ..Vocabulary::default()
            },
        }
    }

    fn give_back(&mut self, id: u64, vocabulary: Vocabulary) {
        match self.sets.iter_mut().find(|(set, _)| *set == id) {
            Some((_, slot)) => *slot = vocabulary,
            None => {
                if self.sets.len() >= MAX_SETS {
                    self.sets.remove(0);
                }
                self.sets.push((id, vocabulary));
            }
        }
    }
}

thread_local! {
    static VOCABULARIES: RefCell<Vocabularies> = RefCell::new(Vocabularies::default());
}

/// Patterns of one start list searched together from a token, as one bit-set
/// search (`search_without_context`) over all their atoms: where a word starts
/// several patterns (every title-case word starts each pattern whose first token
/// is `IS_TITLE`), one walk tests the next tokens for all of them, instead of a
/// try, a check of the fixed atoms and a search per pattern, each a handful of
/// branches no predictor can learn.
///
/// Members: the list's patterns whose first atom takes exactly one token and
/// was settled for the word's text (`Program::lexical_first`), with no context
/// tokens and no leading run, as many as fit in 64 bits. Each member's atoms
/// after its first take one bit each, followed by one bit for its accept state;
/// a member's bits never reach another's (a step moves to the next bit, and its
/// accept bit is never `skippable`), so each member's matches are exactly those
/// its own search finds.
struct Joint {
    /// Per bit, the atom it stands for (an accept bit's is never read).
    steps: Vec<Step>,
    /// Bits of atoms that may take no token (`?`, `*`).
    skippable: u64,
    /// Bits of atoms that stay reached when they take a token (`*`).
    stays: u64,
    /// Each member's accept bit.
    accepts: u64,
    /// The bits reached after the first token: each member's second atom (or
    /// its accept bit), closed.
    first: u64,
    /// Per member, in list order: its place in the list and its pattern. A
    /// member's number is the number of accept bits below its own.
    members: Vec<(usize, u32)>,
    /// The places in the list of its other patterns, searched one by one.
    others: Vec<usize>,
}

impl Joint {
    /// The joint search of `list`, if two or more of its patterns can join one.
    fn of(list: &[u32], rules: &TokenRules) -> Option<Joint> {
        let mut joint = Joint {
            steps: Vec::new(),
            skippable: 0,
            stays: 0,
            accepts: 0,
            first: 0,
            members: Vec::new(),
            others: Vec::new(),
        };
        for (place, &pattern) in list.iter().enumerate() {
            let program = rules.programs.get(pattern as usize);
            let Some((program, (first, rest))) =
                program.and_then(|program| Some((program, rules.steps_of(program).split_first()?)))
            else {
                joint.others.push(place);
                continue;
            };
            let joins = program.lexical_first
                && matches!(first.quantifier, Quantifier::One | Quantifier::Not)
                && program.lead == 0
                && program.trail == 0
                && !program.has_run;
            // Its atoms after the first, and its accept bit.
            if !joins || joint.steps.len() + rest.len() + 1 > 64 {
                joint.others.push(place);
                continue;
            }
            joint.first |= 1 << joint.steps.len();
            for &step in rest {
                let bit = 1u64 << joint.steps.len();
                if step.quantifier.optional() {
                    joint.skippable |= bit;
                }
                if step.quantifier == Quantifier::Any {
                    joint.stays |= bit;
                }
                joint.steps.push(step);
            }
            let accept = joint.steps.len();
            joint.accepts |= 1 << accept;
            joint.steps.push(*first);
            joint.members.push((place, pattern));
        }
        joint.first = closure(joint.first, joint.skippable);
        (joint.members.len() >= 2).then_some(joint)
    }

    /// Writes, from token `start`, the longest match of each member in
    /// `matched` whose place in the list is at most `place` (in list order, their
    /// ends in `ends`), and takes them out of `matched`.
    fn write_matched(
        &self,
        matched: &mut u64,
        ends: &[usize],
        start: usize,
        place: usize,
        found: &mut Vec<TokenMatch>,
    ) {
        while *matched != 0 {
            let member = matched.trailing_zeros() as usize;
            let Some(&(at, pattern)) = self.members.get(member) else { break };
            if at > place {
                break;
            }
            *matched &= *matched - 1;
            let end = ends.get(member).copied().unwrap_or(0);
            found.push(TokenMatch { pattern, start, end });
        }
    }

    /// Calls `found(member, end)` for each match of each member from token
    /// `start` (whose first atoms hold there), members' ends in increasing
    /// order.
    fn search(
        &self,
        rules: &TokenRules,
        doc: &Doc<'_, '_>,
        start: usize,
        mut found: impl FnMut(usize, usize),
    ) {
        let tokens = doc.attrs.tokens.len();
        let mut set = self.first;
        let mut token = start + 1;
        loop {
            let mut accepted = set & self.accepts;
            while accepted != 0 {
                let bit = accepted.trailing_zeros() as usize;
                accepted &= accepted - 1;
                // Members' bits are laid out in list order.
                let below = self.accepts & ((1 << bit) - 1);
                found(below.count_ones() as usize, token);
            }
            let live = set & !self.accepts;
            if token >= tokens || live == 0 {
                return;
            }
            // The token's record, read once: most steps' specs have a bit in it.
            let record = doc.bits.get(doc.word(token));
            let (known, holds) = record.map_or((0, 0), |r| (r.known.get(), r.holds.get()));
            let mut next = 0u64;
            let mut bits = live;
            while bits != 0 {
                let atom = bits.trailing_zeros();
                bits &= bits - 1;
                let Some(&step) = self.steps.get(atom as usize) else { continue };
                let bit = step.bit();
                // Whether the step takes the token, as a value rather than a
                // branch: the answers differ token by token, and a mispredicted
                // branch per atom cost more than the test.
                let taken = if bit & known != 0 {
                    (holds & bit != 0) != (step.quantifier == Quantifier::Not)
                } else {
                    takes(rules, step, doc, token)
                };
                // A `*` atom stays reached; any other moves on.
                let stays = (self.stays >> atom & 1) as u32;
                next |= u64::from(taken) << (atom + 1 - stays);
            }
            set = closure(next, self.skippable);
            token += 1;
        }
    }
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
        walk: Walk<'_>,
        found: &mut Vec<TokenMatch>,
    ) {
        let Walk { pattern: pattern_number, program, steps: atoms, start, .. } = walk;
        let Some(&first_step) = atoms.first() else { return };
        let run = if program.has_run {
            rules.runs.get(pattern_number as usize).copied().flatten()
        } else {
            None
        };
        if program.lead == 0 && program.trail == 0 && atoms.len() < 64 {
            search_without_context(rules, doc, walk, run, found);
            return;
        }
        // 64 atoms or more, with or without context tokens (the branch above
        // took every shorter pattern without them).
        if atoms.len() >= 64 {
            search_wide(rules, doc, walk, found);
            return;
        }
        let (span_first, span_last) =
            (program.lead as usize, atoms.len().saturating_sub(program.trail as usize));
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
        match run {
            // A leading run of one spec: count the tokens it holds on, and start
            // from every place the run can end, as the search would reach them.
            Some(run) => {
                let limit = run.max.unwrap_or(usize::MAX).min(doc.attrs.tokens.len() - start);
                let held = (0..limit)
                    .take_while(|&offset| {
                        spec_holds(rules, first_step.spec, first_step.bit(), doc, start + offset)
                    })
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
            let atom = atoms[state.atom];
            let mut next = [None, None];
            if atom.quantifier.optional() {
                next[0] = Some(enter(state, state.atom + 1, state.token));
            }
            if state.token < doc.attrs.tokens.len() && takes(rules, atom, doc, state.token) {
                next[1] = Some(match atom.quantifier {
                    Quantifier::Any => State { token: state.token + 1, ..state },
                    _ => enter(state, state.atom + 1, state.token + 1),
                });
            }
            for state in next.into_iter().flatten() {
                if self.first_visit(state) {
                    self.stack.push(state);
                }
            }
        }
    }
}

/// One search: pattern `pattern` (its `program` and atoms, `steps`) from token
/// `start`, its first `verified` atoms known to pass (`Program::fixed`; only
/// the bit-set search uses it), and whether only its longest match is wanted
/// (`Wanted::LongestPerStart`: the bit-set search then reports one end, the
/// last it reaches).
#[derive(Clone, Copy)]
struct Walk<'r> {
    pattern: u32,
    program: &'r Program,
    steps: &'r [Step],
    start: usize,
    verified: usize,
    longest: bool,
}

/// [`Search::run`] for a pattern with no context tokens (its span is the tokens
/// it matches) and fewer than 64 atoms, most patterns: the atoms reachable
/// after each token as the bits of a word, advanced one token at a time (a
/// Thompson simulation of the pattern). It reaches exactly the (atom, token)
/// states the general search visits and tests each once, without a stack or a
/// set of visited states; each end reached after at least one token is a match
/// (none is reached after none: a pattern that can match nothing is refused
/// when it is built). The first `verified` atoms take one token each and are
/// known to pass from `start` (`Program::fixed`): the walk starts after them.
/// `run` is the pattern's leading run (`TokenRules::runs`), if it has one.
fn search_without_context(
    rules: &TokenRules,
    doc: &Doc<'_, '_>,
    walk: Walk<'_>,
    run: Option<LeadingRun>,
    found: &mut Vec<TokenMatch>,
) {
    let Walk { pattern, program, steps: atoms, start, verified, longest } = walk;
    let skippable = program.skippable;
    let first_found = found.len();
    let accept = 1u64 << atoms.len();
    // Reaching an atom that may take no token (`skippable`, `Program`) reaches
    // the next one too (`closure`).
    let close = |set: u64| closure(set, skippable);
    let tokens = doc.attrs.tokens.len();
    // A leading run (`LeadingRun`) is counted, as in the general search: its
    // next atom is entered after each number of tokens it can take.
    let run = run.map(|run| {
        let limit = run.max.unwrap_or(usize::MAX).min(tokens - start);
        let first = atoms[0];
        let held = (0..limit)
            .take_while(|&offset| spec_holds(rules, first.spec, first.bit(), doc, start + offset))
            .count();
        (run.atoms, run.min, held)
    });
    let verified = if run.is_some() { 0 } else { verified.min(atoms.len()) };
    let mut set = match run {
        Some(_) => 0,
        None => close(1 << verified),
    };
    let mut token = start + verified;
    loop {
        let taken = token - start;
        if let Some((next, min, held)) = run {
            if (min..=held).contains(&taken) {
                set |= close(1 << next);
            }
        }
        if set & accept != 0 && taken > 0 {
            match found.get_mut(first_found) {
                // The ends come in increasing order: a later one replaces it.
                Some(earlier) if longest => earlier.end = token,
                _ => found.push(TokenMatch { pattern, start, end: token }),
            }
        }
        let live = set & !accept;
        let more_run = run.is_some_and(|(_, _, held)| taken < held);
        if token >= tokens || (live == 0 && !more_run) {
            return;
        }
        let mut next = 0u64;
        let mut bits = live;
        while bits != 0 {
            let atom = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let step = atoms[atom];
            if takes(rules, step, doc, token) {
                next |= match step.quantifier {
                    Quantifier::Any => 1 << atom,
                    _ => 1 << (atom + 1),
                };
            }
        }
        set = close(next);
        token += 1;
    }
}

/// [`search_without_context`] for a pattern of 64 atoms or more (`{n,m}`
/// writes `m` atoms), with or without context tokens: the same simulation over
/// a set of atoms several words long (`wide_ends`). The general search would
/// visit every (atom, token) state from every start, with a set of the states
/// seen: a `{0,1000}` took seconds on a few hundred words and a `*` before it
/// gigabytes on a long document; with a context token before it, eleven
/// seconds on 1,600 words. The leading run and the verified atoms are not
/// shortcuts here: the walk starts at atom 0 from `start`, as the general
/// search does. With context tokens the pattern is three programs (`Wide`):
/// the span's starts are where the leading context can end, its ends where
/// the span's atoms can end from one of those, kept if the trailing context
/// can match from there, exactly the paths of the general search.
fn search_wide(rules: &TokenRules, doc: &Doc<'_, '_>, walk: Walk<'_>, found: &mut Vec<TokenMatch>) {
    let Walk { pattern, program, steps: atoms, start, longest, .. } = walk;
    // Made once per pattern (`TokenRules::wide`); made here only for rules
    // finished without it, which `finish` never leaves.
    let made;
    let wide = match rules.wide.get(pattern as usize).and_then(Option::as_deref) {
        Some(wide) => wide,
        None => {
            made = Wide::of(program, atoms);
            &made
        }
    };
    let first_found = found.len();
    match wide {
        Wide::Whole(program) => wide_ends(rules, doc, program, start, |end| {
            if end > start {
                match found.get_mut(first_found) {
                    // The ends come in increasing order: a later one replaces it.
                    Some(earlier) if longest => earlier.end = end,
                    _ => found.push(TokenMatch { pattern, start, end }),
                }
            }
            true
        }),
        Wide::InContext { lead, span, trail } => {
            // Where the span can start (the leading context's ends), where it
            // can end from each, and whether the trailing context can follow
            // (asked once per place). Each (start, end) pair comes from one
            // span start, so none is written twice.
            let mut starts = Vec::new();
            wide_ends(rules, doc, lead, start, |at| {
                starts.push(at);
                true
            });
            let mut followed: FxHashMap<usize, bool> = FxHashMap::default();
            for span_start in starts {
                let mut ends = Vec::new();
                wide_ends(rules, doc, span, span_start, |end| {
                    if end > span_start {
                        ends.push(end);
                    }
                    true
                });
                for end in ends {
                    let follows = *followed.entry(end).or_insert_with(|| {
                        let mut any = false;
                        wide_ends(rules, doc, trail, end, |_| {
                            any = true;
                            false
                        });
                        any
                    });
                    if follows {
                        found.push(TokenMatch { pattern, start: span_start, end });
                    }
                }
            }
        }
    }
}

/// Calls `end(token)` for each place, in increasing order, where the atoms of
/// `program` can end when they start at token `start` (`start` itself when
/// they can take no token), until it returns false: a Thompson simulation
/// whose set of atoms is several words long. A step costs a few words per
/// distinct spec, not per atom: the atoms that take a token are found per
/// (spec, negated) group, and an `{n,m}`'s copies share theirs.
fn wide_ends(
    rules: &TokenRules,
    doc: &Doc<'_, '_>,
    program: &WideProgram,
    start: usize,
    mut end: impl FnMut(usize) -> bool,
) {
    let WideProgram { atoms, skippable, stays, groups } = program;
    // One bit per atom and one more, the accept bit, above them.
    let words = skippable.len();
    let (accept_word, accept) = (atoms / 64, 1u64 << (atoms % 64));
    let tokens = doc.attrs.tokens.len();
    let mut set = vec![0u64; words];
    set[0] = 1;
    closure_wide(&mut set, skippable);
    let mut taken = vec![0u64; words];
    let mut token = start;
    loop {
        if set[accept_word] & accept != 0 && !end(token) {
            return;
        }
        set[accept_word] &= !accept;
        if token >= tokens || set.iter().all(|&word| word == 0) {
            return;
        }
        taken.iter_mut().for_each(|word| *word = 0);
        for (step, members) in groups {
            let live = set.iter().zip(members).any(|(set, members)| set & members != 0);
            if live && takes(rules, *step, doc, token) {
                for ((taken, set), members) in taken.iter_mut().zip(&set).zip(members) {
                    *taken |= set & members;
                }
            }
        }
        // An atom that took the token moves on to the next one; a `*` stays.
        let mut carry = 0u64;
        for ((next, taken), stays) in set.iter_mut().zip(&taken).zip(stays) {
            let moving = taken & !stays;
            *next = (moving << 1) | carry | (taken & stays);
            carry = moving >> 63;
        }
        closure_wide(&mut set, skippable);
        token += 1;
    }
}

/// [`closure`] over a set several words long: the addition carries from word
/// to word, as a run of skippable atoms may cross a word's end.
fn closure_wide(set: &mut [u64], skippable: &[u64]) {
    let mut carry = false;
    for (set, &skippable) in set.iter_mut().zip(skippable) {
        let (sum, first) = skippable.overflowing_add(*set & skippable);
        let (sum, second) = sum.overflowing_add(u64::from(carry));
        *set |= sum ^ skippable;
        carry = first || second;
    }
}

/// `set`, a set of atoms reached, with every atom reached through atoms in
/// `skippable` (those that may take no token): reaching atom `i` in
/// `skippable` reaches `i + 1`, and so on through a run of them. One addition
/// does it: a reached bit added to a run of `skippable` bits carries through
/// the rest of the run into the bit above it, the first atom that must take a
/// token; flipped bits are the atoms reached. No loop whose length the branch
/// predictor must guess, at every token of every search. Both hold fewer than
/// 64 atoms (`search_without_context`), so the carry never leaves the word.
#[inline]
fn closure(set: u64, skippable: u64) -> u64 {
    set | (skippable.wrapping_add(set & skippable) ^ skippable)
}

/// Whether token `index` satisfies every condition of spec `spec`.
#[inline]
fn spec_holds(rules: &TokenRules, spec: u32, bit: u64, doc: &Doc<'_, '_>, index: usize) -> bool {
    if bit != 0 {
        // One of the most tested lexical specs: a bit of the text's `SpecBits` when
        // the text was tested. The searches' most frequent question, so
        // answered inline; the rest is `test_spec`.
        if let Some(known) = doc.bits.get(doc.word(index)) {
            if known.known.get() & bit != 0 {
                return known.holds.get() & bit != 0;
            }
        }
    }
    test_spec(rules, spec, bit, doc, index)
}

/// `spec_holds` past its shortcut: the spec tested, or its result looked up.
#[inline(never)]
fn test_spec(rules: &TokenRules, spec: u32, bit: u64, doc: &Doc<'_, '_>, index: usize) -> bool {
    if bit != 0 || rules.lexical_specs.get(spec as usize).copied().unwrap_or(false) {
        // Known per token text across documents (`Vocabulary`): in the word's
        // bits, or the table of other results.
        let word = doc.word(index);
        // The word's bits when the spec has one (they cover every word of the
        // document), else the table.
        let record = doc.bits.get(word).filter(|_| bit != 0);
        let known = match record {
            Some(record) => {
                (record.known.get() & bit != 0).then_some(record.holds.get() & bit != 0)
            }
            None => doc.vocabulary.borrow().results.get(word, spec),
        };
        if let Some(holds) = known {
            return holds;
        }
        let conditions = rules.conditions_of(spec);
        let holds =
            conditions.iter().all(|condition| condition_holds(rules, condition, doc, index));
        match record {
            Some(record) => {
                record.known.set(record.known.get() | bit);
                if holds {
                    record.holds.set(record.holds.get() | bit);
                }
            }
            None => {
                doc.vocabulary.borrow_mut().results.insert(word, spec, holds);
            }
        }
        return holds;
    }
    let tokens = doc.attrs.tokens.len();
    let conditions = rules.conditions_of(spec);
    let spec = spec as usize;
    if let Some(known) = doc.specs.borrow().as_ref().and_then(|specs| specs.get(index, spec)) {
        return known;
    }
    let holds = conditions.iter().all(|condition| match condition.memo {
        Some(memo) => {
            let memo = memo as usize;
            if let Some(known) = doc.memo.borrow().as_ref().and_then(|m| m.get(index, memo)) {
                return known;
            }
            let holds = condition_holds(rules, condition, doc, index);
            doc.memo
                .borrow_mut()
                .get_or_insert_with(|| Known::new(tokens, rules.memo_count))
                .set(index, memo, holds);
            holds
        }
        None => condition_holds(rules, condition, doc, index),
    });
    doc.specs
        .borrow_mut()
        .get_or_insert_with(|| Known::new(tokens, rules.spec_count))
        .set(index, spec, holds);
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
    if input.is_ascii() && pattern.is_ascii() {
        within_edits(input.as_bytes(), pattern.as_bytes(), allowed)
    } else {
        let input: Vec<char> = input.chars().collect();
        let pattern: Vec<char> = pattern.chars().collect();
        within_edits(&input, &pattern, allowed)
    }
}

/// Whether the edit distance between `a` and `b` (insertions, deletions and
/// substitutions of items) is at most `allowed`. The table is kept one row at
/// a time, on the stack for a `b` of up to 64 items (a word; a thousand fuzzy
/// specs are tested at random words, and four allocations per test were most of
/// their cost), and a row whose every cell is over `allowed` ends the count:
/// every path to the last cell crosses each row, and cells only grow along it.
fn within_edits<T: PartialEq>(a: &[T], b: &[T], allowed: usize) -> bool {
    const ON_STACK: usize = 64;
    let mut stack = [0usize; ON_STACK + 1];
    let mut heap = Vec::new();
    let row: &mut [usize] = if b.len() <= ON_STACK {
        &mut stack[..=b.len()]
    } else {
        heap.resize(b.len() + 1, 0);
        &mut heap
    };
    for (j, cell) in row.iter_mut().enumerate() {
        *cell = j;
    }
    for (i, item) in a.iter().enumerate() {
        // `row` holds row `i`; it is overwritten left to right with row `i + 1`,
        // `diagonal` keeping the cell of row `i` that the next one needs.
        let mut diagonal = row[0];
        row[0] = i + 1;
        let mut least = row[0];
        for (j, other) in b.iter().enumerate() {
            let above = row[j + 1];
            let cell = (diagonal + usize::from(item != other)).min(above + 1).min(row[j] + 1);
            diagonal = above;
            row[j + 1] = cell;
            least = least.min(cell);
        }
        if least > allowed {
            return false;
        }
    }
    row[b.len()] <= allowed
}

/// The edit distance between two strings, on characters (code points): the
/// whole table, as the definition reads (the oracle of `within_edits`' tests).
#[cfg(test)]
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

#[cfg(test)]
mod tests {
    use super::{closure, SpecResults};

    /// The step-by-step closure `closure` replaces.
    fn closure_by_steps(mut set: u64, skippable: u64) -> u64 {
        loop {
            let more = set | (set & skippable) << 1;
            if more == set {
                return set;
            }
            set = more;
        }
    }

    #[test]
    fn spec_results_keep_what_a_map_keeps() {
        let mut table = SpecResults::default();
        let mut map = std::collections::HashMap::new();
        // A small generator: words and specs spread and repeated, past two
        // growths of the table.
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            state >> 33
        };
        for _ in 0..5000 {
            let (word, spec) = ((next() % 3000) as usize, (next() % 700) as u32);
            assert_eq!(table.get(word, spec), map.get(&(word, spec)).copied());
            if let std::collections::hash_map::Entry::Vacant(slot) = map.entry((word, spec)) {
                let holds = next() % 3 == 0;
                table.insert(word, spec, holds);
                slot.insert(holds);
            }
        }
        assert_eq!(table.len(), map.len());
        assert!(table.slots.len() >= 2 * map.len() && table.slots.len().is_power_of_two());
        for word in 0..3000 {
            for spec in 0..700 {
                assert_eq!(table.get(word, spec), map.get(&(word, spec)).copied());
            }
        }
        // Word 0, spec 0 is a key like any other (an empty slot is all zeros).
        let mut table = SpecResults::default();
        assert_eq!(table.get(0, 0), None);
        table.insert(0, 0, false);
        assert_eq!(table.get(0, 0), Some(false));
        // A word number that would reach the result's bit is not kept.
        table.insert(1 << 31, 3, true);
        assert_eq!((table.get(1 << 31, 3), table.len()), (None, 1));
    }

    #[test]
    fn closure_is_the_step_by_step_closure() {
        // Every set and skippable mask of ten atoms (the accept bit above them).
        for skippable in 0..1u64 << 10 {
            for set in 0..1u64 << 11 {
                assert_eq!(closure(set, skippable), closure_by_steps(set, skippable));
            }
        }
        // Runs that reach the 63rd atom, the most a bit-set search has.
        let high = u64::MAX >> 2;
        for set in [1, 1 << 5, 1 << 61, 1 << 62, (1 << 62) | 1, high] {
            assert_eq!(closure(set, high), closure_by_steps(set, high));
        }
    }
}
