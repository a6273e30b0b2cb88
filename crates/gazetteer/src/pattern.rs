//! Token patterns: spaCy's `Matcher` pattern language (as spaCy 3.8 defines it),
//! parsed and checked, plus rubric's extensions (lexicons, context tokens, rule
//! names). Matching lives in `token_match.rs`; this module has no dependency on
//! the token attributes, so the build script can compile it to embed token
//! patterns in the default gazetteer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use serde_json::{Map, Value};

use crate::entry::Origin;
use crate::error::{Error, ErrorKind};

/// A token attribute a pattern can test; all of them are computed from the
/// token's text (and, for `IS_SENT_START`, rubric's sentence splitter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Attr {
    Orth,
    Lower,
    Norm,
    Shape,
    Prefix,
    Suffix,
    Length,
    IsAlpha,
    IsAscii,
    IsDigit,
    IsLower,
    IsUpper,
    IsTitle,
    IsPunct,
    IsSpace,
    IsStop,
    IsSentStart,
    IsBracket,
    IsQuote,
    IsLeftPunct,
    IsRightPunct,
    IsCurrency,
    LikeNum,
    LikeUrl,
    LikeEmail,
}

/// What an attribute's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttrType {
    Str,
    Int,
    Bool,
}

impl Attr {
    fn parse(name: &str) -> Option<Attr> {
        Some(match name {
            "ORTH" | "TEXT" => Attr::Orth,
            "LOWER" => Attr::Lower,
            "NORM" => Attr::Norm,
            "SHAPE" => Attr::Shape,
            "PREFIX" => Attr::Prefix,
            "SUFFIX" => Attr::Suffix,
            "LENGTH" => Attr::Length,
            "IS_ALPHA" => Attr::IsAlpha,
            "IS_ASCII" => Attr::IsAscii,
            "IS_DIGIT" => Attr::IsDigit,
            "IS_LOWER" => Attr::IsLower,
            "IS_UPPER" => Attr::IsUpper,
            "IS_TITLE" => Attr::IsTitle,
            "IS_PUNCT" => Attr::IsPunct,
            "IS_SPACE" => Attr::IsSpace,
            "IS_STOP" => Attr::IsStop,
            "IS_SENT_START" => Attr::IsSentStart,
            "IS_BRACKET" => Attr::IsBracket,
            "IS_QUOTE" => Attr::IsQuote,
            "IS_LEFT_PUNCT" => Attr::IsLeftPunct,
            "IS_RIGHT_PUNCT" => Attr::IsRightPunct,
            "IS_CURRENCY" => Attr::IsCurrency,
            "LIKE_NUM" => Attr::LikeNum,
            "LIKE_URL" => Attr::LikeUrl,
            "LIKE_EMAIL" => Attr::LikeEmail,
            _ => return None,
        })
    }

    pub(crate) fn value_type(self) -> AttrType {
        match self {
            Attr::Orth | Attr::Lower | Attr::Norm | Attr::Shape | Attr::Prefix | Attr::Suffix => {
                AttrType::Str
            }
            Attr::Length => AttrType::Int,
            _ => AttrType::Bool,
        }
    }
}

/// Attributes spaCy fills only with a trained pipeline (or custom code): rubric
/// has no tagger, parser or recognizer, so it refuses them rather than ignore
/// them.
const PIPELINE_ATTRIBUTES: [&str; 16] = [
    "POS",
    "TAG",
    "MORPH",
    "LEMMA",
    "DEP",
    "HEAD",
    "ENT_TYPE",
    "ENT_IOB",
    "ENT_ID",
    "ENT_KB_ID",
    "_",
    "SENT_START",
    "IS_OOV",
    "PROB",
    "CLUSTER",
    "SENTIMENT",
];

fn is_pipeline_attribute(name: &str) -> bool {
    PIPELINE_ATTRIBUTES.contains(&name) || name.starts_with("ENT_")
}

/// The attribute names a token pattern may use, for error messages.
pub(crate) const SUPPORTED_ATTRIBUTES: &str = "ORTH, TEXT, LOWER, NORM, SHAPE, PREFIX, SUFFIX, \
     LENGTH, IS_ALPHA, IS_ASCII, IS_DIGIT, IS_LOWER, IS_UPPER, IS_TITLE, IS_PUNCT, IS_SPACE, \
     IS_STOP, IS_SENT_START, IS_BRACKET, IS_QUOTE, IS_LEFT_PUNCT, IS_RIGHT_PUNCT, IS_CURRENCY, \
     LIKE_NUM, LIKE_URL, LIKE_EMAIL";

/// A value a token's attribute is compared with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Literal {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// A comparison on `LENGTH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Comparison {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

impl Comparison {
    pub(crate) fn holds(self, left: i64, right: i64) -> bool {
        match self {
            Comparison::Eq => left == right,
            Comparison::Ne => left != right,
            Comparison::Ge => left >= right,
            Comparison::Le => left <= right,
            Comparison::Gt => left > right,
            Comparison::Lt => left < right,
        }
    }
}

/// A token pattern's regular expression, compiled when the pattern is read
/// (which checks it) and shared by the copies `{n,m}` expands a spec into and
/// by every pattern with the same source (`TokenRules::finish`): a regex with
/// Unicode classes costs milliseconds to compile.
#[derive(Clone, Debug)]
pub(crate) struct PatternRegex {
    pub(crate) source: String,
    compiled: Arc<regex::Regex>,
}

/// The regexes compiled while reading one source of patterns, by source: a
/// pattern file often repeats one `REGEX` in many patterns, and compiling it
/// costs more than reading hundreds of patterns. (`TokenRules::finish` shares
/// them across sources too.)
#[derive(Debug, Default)]
pub(crate) struct Regexes(FxHashMap<String, PatternRegex>);

impl Regexes {
    /// `source` compiled, or the regex compiled from it before.
    pub(crate) fn compile(&mut self, source: &str) -> Result<PatternRegex, regex::Error> {
        if let Some(regex) = self.0.get(source) {
            return Ok(regex.clone());
        }
        let regex = PatternRegex::new(source.to_string(), regex::Regex::new(source)?);
        self.0.insert(source.to_string(), regex.clone());
        Ok(regex)
    }
}

impl PatternRegex {
    fn new(source: String, regex: regex::Regex) -> Self {
        PatternRegex { source, compiled: Arc::new(regex) }
    }

    /// Whether the two share one compiled regex.
    #[cfg(test)]
    pub(crate) fn shares_compiled(&self, other: &PatternRegex) -> bool {
        Arc::ptr_eq(&self.compiled, &other.compiled)
    }

    /// `re.search`: a match anywhere in `text`.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.compiled.is_match(text)
    }
}

/// A key equal for two lists of conditions exactly when they test the same
/// things: sets are listed sorted, so the order a `HashSet` iterates in does
/// not matter, and a regex is its source. Borrowed from the conditions (a
/// thousand patterns' keys were a quarter of reading them when written out as
/// strings).
fn spec_key(conditions: &[Condition]) -> Vec<(Attr, PredicateKey<'_>)> {
    conditions
        .iter()
        .map(|condition| {
            let predicate = match &condition.predicate {
                Predicate::Equals(literal) => PredicateKey::Equals(literal),
                Predicate::In { strings, ints, negated } => {
                    let mut strings: Vec<&str> = strings.iter().map(String::as_str).collect();
                    strings.sort_unstable();
                    let mut ints: Vec<i64> = ints.iter().copied().collect();
                    ints.sort_unstable();
                    PredicateKey::In { strings, ints, negated: *negated }
                }
                Predicate::Regex(regex) => PredicateKey::Regex(&regex.source),
                Predicate::Fuzzy { value, max_edits } => PredicateKey::Fuzzy(value, *max_edits),
                Predicate::Compare(comparison, value) => PredicateKey::Compare(*comparison, *value),
                Predicate::Lexicon { lexicon, negated } => {
                    PredicateKey::Lexicon(*lexicon, *negated)
                }
            };
            (condition.attr, predicate)
        })
        .collect()
}

/// A [`Predicate`] as [`spec_key`] compares it.
#[derive(PartialEq, Eq, Hash)]
enum PredicateKey<'p> {
    Equals(&'p Literal),
    In { strings: Vec<&'p str>, ints: Vec<i64>, negated: bool },
    Regex(&'p str),
    Fuzzy(&'p str, Option<u32>),
    Compare(Comparison, i64),
    Lexicon(usize, bool),
}

/// What a token's attribute must satisfy.
#[derive(Clone, Debug)]
pub(crate) enum Predicate {
    /// The value itself: `{"LOWER": "the"}`.
    Equals(Literal),
    /// `IN` / `NOT_IN`: the value is (not) one of these (strings for string
    /// attributes, integers for `LENGTH`).
    In { strings: FxHashSet<String>, ints: FxHashSet<i64>, negated: bool },
    /// `REGEX`: Rust `regex` syntax, searched anywhere in the value.
    Regex(PatternRegex),
    /// `FUZZY` (`max_edits` `None`: spaCy's default allowance) or `FUZZYn`.
    Fuzzy { value: String, max_edits: Option<u32> },
    /// `==`, `!=`, `>=`, `<=`, `>`, `<` on `LENGTH`.
    Compare(Comparison, i64),
    /// rubric's `IN_LEXICON` / `NOT_IN_LEXICON`: index into the lexicons.
    Lexicon { lexicon: usize, negated: bool },
}

/// One attribute test of a token spec.
#[derive(Clone, Debug)]
pub(crate) struct Condition {
    pub(crate) attr: Attr,
    pub(crate) predicate: Predicate,
    /// For a costly test (`REGEX`, `FUZZY`): a number shared by every identical
    /// test of every pattern, so a document computes it once per token
    /// (`TokenRules::finish` assigns it).
    pub(crate) memo: Option<u32>,
}

/// How many tokens one spec matches, after spaCy's expansion of `+` and
/// `{n,m}` into copies of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Quantifier {
    /// Exactly one matching token (no `OP`, or `OP: "1"`).
    One,
    /// `!`: exactly one token that does not match.
    Not,
    /// `?`: zero or one.
    Optional,
    /// `*`: zero or more.
    Any,
}

impl Quantifier {
    pub(crate) fn optional(self) -> bool {
        matches!(self, Quantifier::Optional | Quantifier::Any)
    }
}

/// One position of a compiled pattern: a token spec and its quantifier.
#[derive(Clone, Debug)]
pub(crate) struct Atom {
    /// Every condition must hold (an empty list matches any token).
    pub(crate) conditions: Vec<Condition>,
    pub(crate) quantifier: Quantifier,
    /// A number shared by every atom with the same conditions, in every pattern
    /// (`TokenRules::finish` assigns it): a document tests each such spec at most
    /// once per token, however many patterns and `{n,m}` copies use it.
    pub(crate) spec: u32,
}

/// A token pattern, parsed and checked.
#[derive(Clone, Debug)]
pub(crate) struct TokenPattern {
    /// The `pattern` list as written (kept for the compiled form).
    pub(crate) source: Value,
    /// Atoms after operator expansion.
    pub(crate) atoms: Vec<Atom>,
    /// Leading atoms that belong to context tokens (`IN_SPAN: false`).
    pub(crate) lead: usize,
    /// Trailing atoms that belong to context tokens.
    pub(crate) trail: usize,
    pub(crate) label: String,
    pub(crate) id: Option<String>,
    /// rubric's `name` key: a readable rule name for the span's `source`.
    pub(crate) name: Option<String>,
    pub(crate) priority: i32,
    pub(crate) origin: Origin,
    /// Lexicon names referenced, resolved to indices by `TokenRules::resolve`.
    pub(crate) lexicon_names: Vec<String>,
}

impl TokenPattern {
    /// Makes the lexicon indices of a finished pattern names again (the names of
    /// `lexicons`, the list they index), so it can join another builder.
    pub(crate) fn rename_lexicons(&mut self, lexicons: &[Lexicon]) {
        self.lexicon_names = lexicons.iter().map(|lexicon| lexicon.name.clone()).collect();
    }
}

/// A named word list declared in a patterns file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lexicon {
    pub(crate) name: String,
    /// Sorted and deduplicated, for a stable compiled form.
    pub(crate) words: Vec<String>,
    pub(crate) set: FxHashSet<String>,
    pub(crate) origin: Origin,
}

impl Lexicon {
    pub(crate) fn new(name: String, words: Vec<String>, origin: Origin) -> Self {
        // A compiled file stores its lexicons sorted and deduplicated: kept as
        // they are, which spares sorting 58,000 words at every start-up.
        if words.windows(2).all(|pair| pair[0] < pair[1]) {
            let set = words.iter().cloned().collect();
            return Lexicon { name, words, set, origin };
        }
        let set: FxHashSet<String> = words.into_iter().collect();
        let mut words: Vec<String> = set.iter().cloned().collect();
        words.sort_unstable();
        Lexicon { name, words, set, origin }
    }
}

/// Token patterns and lexicons of one gazetteer, with the index saying where
/// each pattern can start.
#[derive(Clone, Debug, Default)]
pub(crate) struct TokenRules {
    pub(crate) patterns: Vec<TokenPattern>,
    pub(crate) lexicons: Vec<Lexicon>,
    pub(crate) index: StartIndex,
    /// How many distinct costly tests `Condition::memo` numbers.
    pub(crate) memo_count: u32,
    /// How many distinct specs the atoms have (`Atom::spec` is below it).
    pub(crate) spec_count: u32,
    /// Per pattern, the first pattern with the same atoms (specs, quantifiers and
    /// context edges): patterns that differ only in label, id or priority match the
    /// same token ranges, so the matcher searches once for all of them
    /// (`TokenRules::finish` fills it; a pattern is its own leader when it has no
    /// earlier twin).
    pub(crate) leader: Vec<u32>,
    /// Per pattern that leads twins, it and its twins in the `longest` policy's
    /// order for candidates on one span (higher priority, label, id, source):
    /// the first selected one is the only one that can be kept. Empty for most.
    pub(crate) twins: Vec<Vec<u32>>,
    /// Whether any pattern has leading context tokens (`TokenPattern::lead`):
    /// only then can two searches find one span.
    pub(crate) leading_context: bool,
    /// Per pattern, its leading run of one spec, if it has one (`LeadingRun`).
    pub(crate) runs: Vec<Option<LeadingRun>>,
    /// Per pattern of 64 atoms or more, its atoms as the wide searches read
    /// them (`Wide`), made once here rather than at every start; `None` for
    /// every other pattern.
    pub(crate) wide: Vec<Option<Box<Wide>>>,
    /// Per spec (`Atom::spec`), whether it tests only what a token's text says,
    /// so whether it holds can be kept per text across documents.
    pub(crate) lexical_specs: Vec<bool>,
    /// Per spec, an atom that has it (pattern, atom): where its conditions are.
    pub(crate) spec_atoms: Vec<(u32, u32)>,
    /// The search's view of the patterns, per pattern (`Program`).
    pub(crate) programs: Vec<Program>,
    /// Every pattern's atoms as the search reads them, one after another.
    pub(crate) steps: Vec<Step>,
    /// Per pattern, its spans' `source` as written (`file:line`, `#name`):
    /// made once, not at every span, and shared by them.
    pub(crate) sources: Vec<smol_str::SmolStr>,
    /// Which finished rule set this is (a new number at every `finish`): the
    /// matcher's per-thread cache of where patterns can start is kept per rule set.
    pub(crate) id: u64,
}

/// A pattern as the search reads it: its atoms are `steps[first..first + len]`.
/// The patterns themselves (conditions, strings, the source as written) are
/// large and scattered in memory; the search touches only this, the steps and
/// the spec results, so a thousand patterns' worth stays in the cache.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Program {
    pub(crate) first: u32,
    pub(crate) len: u32,
    /// Leading and trailing context atoms (`TokenPattern::lead`, `trail`).
    pub(crate) lead: u32,
    pub(crate) trail: u32,
    /// How many atoms from the first take exactly one token each (`Quantifier`
    /// `One` or `Not`; 0 for a pattern with a leading run): a match needs the
    /// tokens from its search's start to pass them, which the matcher checks
    /// before it starts a search.
    pub(crate) fixed: u32,
    /// Bit `i` set when atom `i` may take no token (`?`, `*`): the bit-set
    /// search's closure (atoms past the 64th are never in it; see
    /// `token_match::search_without_context`).
    pub(crate) skippable: u64,
    /// Whether the first atom tests only what a token's text says (not
    /// `IS_SENT_START`), so whether it holds can be kept per text.
    pub(crate) lexical_first: bool,
    /// Whether the pattern has a leading run (`TokenRules::runs`): here too, so
    /// that trying a pattern at a token reads one record.
    pub(crate) has_run: bool,
}

/// A pattern of 64 atoms or more as the wide searches read it
/// (`token_match::search_wide`).
#[derive(Clone, Debug)]
pub(crate) enum Wide {
    /// Without context tokens: the whole pattern, one program.
    Whole(WideProgram),
    /// With context tokens: the atoms before the span, the span's and those
    /// after it, a program each. A match is a place where the first can end,
    /// from there a later place where the span's can end, and from there a
    /// way for the last to match.
    InContext { lead: WideProgram, span: WideProgram, trail: WideProgram },
}

impl Wide {
    /// The wide form of `program`, whose atoms are `steps` (their bits set).
    pub(crate) fn of(program: &Program, steps: &[Step]) -> Wide {
        let (lead, trail) = (program.lead as usize, program.trail as usize);
        if lead == 0 && trail == 0 {
            return Wide::Whole(WideProgram::of(steps));
        }
        let span_last = steps.len().saturating_sub(trail).max(lead);
        Wide::InContext {
            lead: WideProgram::of(steps.get(..lead).unwrap_or_default()),
            span: WideProgram::of(steps.get(lead..span_last).unwrap_or_default()),
            trail: WideProgram::of(steps.get(span_last..).unwrap_or_default()),
        }
    }
}

/// Atoms as a wide search reads them: a set of atoms is several words, one
/// bit per atom and the accept bit above them.
#[derive(Clone, Debug)]
pub(crate) struct WideProgram {
    /// How many atoms: the accept bit's place.
    pub(crate) atoms: usize,
    /// The atoms that may take no token (`?`, `*`).
    pub(crate) skippable: Vec<u64>,
    /// The atoms that stay where they are when they take a token (`*`).
    pub(crate) stays: Vec<u64>,
    /// The atoms of each (spec, negated) pair, with a step of theirs: one test
    /// at a token answers for all of them (an `{n,m}`'s copies share theirs).
    pub(crate) groups: Vec<(Step, Vec<u64>)>,
}

impl WideProgram {
    /// The program of a pattern whose atoms are `steps` (their bits set).
    pub(crate) fn of(steps: &[Step]) -> WideProgram {
        let words = steps.len() / 64 + 1;
        let mut skippable = vec![0u64; words];
        let mut stays = vec![0u64; words];
        let mut groups: Vec<(Step, Vec<u64>)> = Vec::new();
        for (atom, &step) in steps.iter().enumerate() {
            let (word, mask) = (atom / 64, 1u64 << (atom % 64));
            if step.quantifier.optional() {
                skippable[word] |= mask;
            }
            if step.quantifier == Quantifier::Any {
                stays[word] |= mask;
            }
            let negated = step.quantifier == Quantifier::Not;
            let same = |(other, _): &&mut (Step, Vec<u64>)| {
                other.spec == step.spec && (other.quantifier == Quantifier::Not) == negated
            };
            match groups.iter_mut().find(same) {
                Some((_, atoms)) => atoms[word] |= mask,
                None => {
                    let mut members = vec![0u64; words];
                    members[word] |= mask;
                    groups.push((step, members));
                }
            }
        }
        WideProgram { atoms: steps.len(), skippable, stays, groups }
    }
}

/// One atom as the search reads it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    pub(crate) spec: u32,
    pub(crate) quantifier: Quantifier,
    /// The spec's bit in the matcher's per-word record of results
    /// (`token_match::SpecBits`), as its position plus one, or 0: the
    /// `SPEC_BITS` lexical specs the searches ask most (a flag such as
    /// `IS_TITLE` after a first token, shared by many patterns; see
    /// `bits_for_most_tested_specs`) are answered by one bit test instead of a
    /// lookup. Kept in the step, which the search has at hand, so that a test
    /// does not look it up (and the step stays eight bytes).
    pub(crate) bit: u8,
}

impl Step {
    /// The spec's bit (see `bit`), 0 when it has none.
    #[inline]
    pub(crate) fn bit(self) -> u64 {
        match self.bit {
            0 => 0,
            position => 1 << (position - 1),
        }
    }
}

/// The last id given to a finished rule set.
static RULES_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A pattern's first atoms when they are one spec repeated: `n` copies that must
/// match, then either `m` optional ones or one `*` (spaCy's expansion of `{n,m}`
/// and `+` on the first token: the capitalized-word runs of the name rules). The
/// matcher consumes such a run with a count of the tokens the spec holds on from
/// the start, instead of searching through it state by state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LeadingRun {
    /// How many atoms the run is.
    pub(crate) atoms: usize,
    /// The fewest tokens it consumes (`n`, at least one).
    pub(crate) min: usize,
    /// The most (`None`: no limit, for `*`).
    pub(crate) max: Option<usize>,
}

impl LeadingRun {
    /// The run `pattern` starts with, if its span does not start or end inside it.
    fn of(pattern: &TokenPattern) -> Option<LeadingRun> {
        let atoms = &pattern.atoms;
        let spec = atoms.first()?.spec;
        let same = |index: usize, quantifier: Quantifier| {
            atoms.get(index).is_some_and(|atom| atom.spec == spec && atom.quantifier == quantifier)
        };
        let ones = (0..atoms.len()).take_while(|&i| same(i, Quantifier::One)).count();
        if ones == 0 {
            return None;
        }
        let optional = (ones..atoms.len()).take_while(|&i| same(i, Quantifier::Optional)).count();
        let (len, max) = if optional == 0 && same(ones, Quantifier::Any) {
            (ones + 1, None)
        } else {
            (ones + optional, Some(ones + optional))
        };
        // The span's edges must fall outside the run: it starts at the first token
        // or after the run, and ends after the run.
        let span_last = atoms.len() - pattern.trail;
        let fits = (pattern.lead == 0 || pattern.lead >= len) && span_last >= len;
        (len >= 2 && fits).then_some(LeadingRun { atoms: len, min: ones, max })
    }
}

/// Which patterns can start at a token, looked up by the token's text, lower
/// form or shape, or its membership in a lexicon; `anywhere` are tried at every
/// token (their first token has no such literal).
#[derive(Clone, Debug, Default)]
pub(crate) struct StartIndex {
    /// Per attribute (`ORTH`, `LOWER`, `SHAPE`): value → patterns.
    pub(crate) by_attr: Vec<(Attr, FxHashMap<String, Vec<u32>>)>,
    /// `(lexicon, attribute, patterns)`: tried when the token's attribute is a
    /// word of the lexicon.
    pub(crate) by_lexicon: Vec<(usize, Attr, Vec<u32>)>,
    /// `by_lexicon` as one map per attribute, word → patterns (the union over
    /// the lexicons that hold the word): a token is looked up once per attribute,
    /// not once per lexicon (`TokenRules::finish` builds it).
    pub(crate) lexicon_words: Vec<(Attr, FxHashMap<String, Vec<u32>>)>,
    /// `(attribute, value, patterns)`: tried when the token's boolean attribute
    /// has that value (first tokens with no literal but a flag).
    /// Patterns whose first token tests boolean attributes only: every
    /// `(attribute, value)` of the list must hold where they start.
    pub(crate) by_flag: Vec<(FlagSet, Vec<u32>)>,
    pub(crate) anywhere: Vec<u32>,
}

impl TokenRules {
    pub(crate) fn is_empty(&self) -> bool {
        self.patterns.is_empty() && self.lexicons.is_empty()
    }

    /// Adds a lexicon; the same name twice is an error unless the words agree
    /// (a compiled gazetteer loaded with its sources).
    pub(crate) fn add_lexicon(&mut self, lexicon: Lexicon) -> Result<(), Error> {
        if let Some(other) = self.lexicons.iter().find(|other| other.name == lexicon.name) {
            if other.words == lexicon.words {
                return Ok(());
            }
            return Err(Error::at(
                ErrorKind::DuplicateLexicon {
                    name: lexicon.name.clone(),
                    first: other.origin.clone(),
                },
                lexicon.origin.file.clone(),
                lexicon.origin.line,
            ));
        }
        self.lexicons.push(lexicon);
        Ok(())
    }

    /// Resolves lexicon names (every source has been read) and builds the start
    /// index. A pattern naming a lexicon nobody declared is an error.
    pub(crate) fn finish(&mut self) -> Result<(), Error> {
        let names: HashMap<String, usize> =
            self.lexicons.iter().enumerate().map(|(index, l)| (l.name.clone(), index)).collect();
        let mut memos: HashMap<(Attr, String, Option<u32>), u32> = HashMap::new();
        // One compiled regex per source, shared by every pattern that uses it.
        let mut regexes: HashMap<String, PatternRegex> = HashMap::new();
        for pattern in &mut self.patterns {
            for atom in &mut pattern.atoms {
                for condition in &mut atom.conditions {
                    if let Predicate::Regex(regex) = &mut condition.predicate {
                        *regex = regexes
                            .entry(regex.source.clone())
                            .or_insert_with(|| regex.clone())
                            .clone();
                    }
                    let costly = match &condition.predicate {
                        Predicate::Regex(regex) => Some((regex.source.clone(), None)),
                        Predicate::Fuzzy { value, max_edits } => {
                            Some((value.clone(), Some(max_edits.unwrap_or(u32::MAX))))
                        }
                        _ => None,
                    };
                    if let Some((text, kind)) = costly {
                        let next = crate::gazetteer::to_u32(memos.len())?;
                        condition.memo =
                            Some(*memos.entry((condition.attr, text, kind)).or_insert(next));
                    }
                    if let Predicate::Lexicon { lexicon, .. } = &mut condition.predicate {
                        let name = &pattern.lexicon_names[*lexicon];
                        *lexicon = *names.get(name).ok_or_else(|| {
                            Error::at(
                                ErrorKind::UnknownLexicon {
                                    name: name.clone(),
                                    known: self.lexicons.iter().map(|l| l.name.clone()).collect(),
                                },
                                pattern.origin.file.clone(),
                                pattern.origin.line,
                            )
                        })?;
                    }
                }
            }
            pattern.lexicon_names.clear();
        }
        self.memo_count = crate::gazetteer::to_u32(memos.len())?;
        // Numbered by first use; the keys borrow the conditions, so the numbers
        // are given to the atoms after.
        let mut specs: HashMap<Vec<(Attr, PredicateKey<'_>)>, u32> = HashMap::new();
        let mut numbers = Vec::new();
        for atom in self.patterns.iter().flat_map(|pattern| &pattern.atoms) {
            let next = crate::gazetteer::to_u32(specs.len())?;
            numbers.push(*specs.entry(spec_key(&atom.conditions)).or_insert(next));
        }
        let spec_count = specs.len();
        drop(specs);
        let atoms = self.patterns.iter_mut().flat_map(|pattern| &mut pattern.atoms);
        for (atom, number) in atoms.zip(numbers) {
            atom.spec = number;
        }
        self.spec_count = crate::gazetteer::to_u32(spec_count)?;
        self.lexical_specs = vec![true; spec_count];
        self.spec_atoms = vec![(0, 0); spec_count];
        self.sources = self
            .patterns
            .iter()
            .map(|pattern| pattern.origin.source_of(pattern.name.as_deref()).into())
            .collect();
        self.programs = Vec::with_capacity(self.patterns.len());
        self.steps = Vec::new();
        for (number, pattern) in self.patterns.iter().enumerate() {
            let number = crate::gazetteer::to_u32(number)?;
            self.programs.push(Program {
                first: crate::gazetteer::to_u32(self.steps.len())?,
                len: crate::gazetteer::to_u32(pattern.atoms.len())?,
                lead: crate::gazetteer::to_u32(pattern.lead)?,
                trail: crate::gazetteer::to_u32(pattern.trail)?,
                fixed: crate::gazetteer::to_u32(
                    pattern
                        .atoms
                        .iter()
                        .take_while(|atom| {
                            matches!(atom.quantifier, Quantifier::One | Quantifier::Not)
                        })
                        .count(),
                )?,
                skippable: pattern
                    .atoms
                    .iter()
                    .take(64)
                    .enumerate()
                    .filter(|(_, atom)| atom.quantifier.optional())
                    .fold(0, |bits, (at, _)| bits | 1 << at),
                // Both set below, once the runs and lexical specs are known.
                lexical_first: false,
                has_run: false,
            });
            for (at, atom) in pattern.atoms.iter().enumerate() {
                self.steps.push(Step { spec: atom.spec, quantifier: atom.quantifier, bit: 0 });
                self.spec_atoms[atom.spec as usize] = (number, crate::gazetteer::to_u32(at)?);
                if atom.conditions.iter().any(|c| c.attr == Attr::IsSentStart) {
                    self.lexical_specs[atom.spec as usize] = false;
                }
            }
        }
        self.group_twins()?;
        self.runs = self.patterns.iter().map(LeadingRun::of).collect();
        for (program, run) in self.programs.iter_mut().zip(&self.runs) {
            program.has_run = run.is_some();
            if run.is_some() {
                program.fixed = 0;
            }
            let first = self.steps.get(program.first as usize).filter(|_| program.len > 0);
            program.lexical_first = first.is_none_or(|step| self.lexical_specs[step.spec as usize]);
        }
        self.leading_context = self.patterns.iter().any(|pattern| pattern.lead > 0);
        self.id = RULES_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        self.index = StartIndex::build(&self.patterns)?;
        let spec_bits = self.bits_for_most_tested_specs();
        for step in &mut self.steps {
            step.bit = spec_bits.get(step.spec as usize).copied().unwrap_or(0);
        }
        // After the bits: a wide program's groups keep a step each.
        self.wide = self
            .programs
            .iter()
            .map(|program| {
                let steps = self.steps_of(program);
                (steps.len() >= 64).then(|| Box::new(Wide::of(program, steps)))
            })
            .collect();
        let mut lexicon_words: Vec<(Attr, FxHashMap<String, Vec<u32>>)> = Vec::new();
        for (lexicon, attr, patterns) in &self.index.by_lexicon {
            let position = match lexicon_words.iter().position(|(a, _)| a == attr) {
                Some(position) => position,
                None => {
                    lexicon_words.push((*attr, FxHashMap::default()));
                    lexicon_words.len() - 1
                }
            };
            for word in &self.lexicons[*lexicon].words {
                let list = lexicon_words[position].1.entry(word.clone()).or_default();
                for &pattern in patterns {
                    if !list.contains(&pattern) {
                        list.push(pattern);
                    }
                }
            }
        }
        self.index.lexicon_words = lexicon_words;
        Ok(())
    }
}

/// How many specs get a bit in the matcher's per-word record (`Step::bit`).
pub(crate) const SPEC_BITS: usize = 64;

impl TokenRules {
    /// Per spec, its bit as `Step::bit` keeps it (its position plus one), or 0:
    /// one for each of the `SPEC_BITS` lexical specs the searched patterns'
    /// steps name most often, each step weighted by how often its pattern is
    /// searched (ties to the lower spec number). The best guess there is before
    /// any text: a spec many patterns test after their first token, or one
    /// pattern tried at every capitalized word, is tested at most places.
    fn bits_for_most_tested_specs(&self) -> Vec<u8> {
        // How often a pattern is searched, roughly, by what can start it: a
        // first token with no literal (a flag, a regex) is tried at a large
        // share of all tokens, a lexicon at many, a literal at its word's
        // occurrences.
        let mut weight = vec![1usize; self.patterns.len()];
        let mut weigh = |patterns: &[u32], by: usize| {
            for &pattern in patterns {
                if let Some(slot) = weight.get_mut(pattern as usize) {
                    *slot = (*slot).max(by);
                }
            }
        };
        weigh(&self.index.anywhere, 1024);
        for (_, patterns) in &self.index.by_flag {
            weigh(patterns, 1024);
        }
        for (_, _, patterns) in &self.index.by_lexicon {
            weigh(patterns, 32);
        }
        let mut uses = vec![0usize; self.lexical_specs.len()];
        for (number, program) in self.programs.iter().enumerate() {
            if !crate::gazetteer::to_u32(number).is_ok_and(|number| self.leads(number)) {
                continue; // searched as its leader
            }
            // A lexical first atom that takes one token is tested once per text,
            // where the pattern's starts are settled, and taken as given by the
            // search: not one of the searches' questions.
            let settled = program.fixed > 0 && program.lexical_first;
            let first = program.first as usize + usize::from(settled);
            let end = program.first as usize + program.len as usize;
            for step in self.steps.get(first..end).unwrap_or(&[]) {
                let spec = step.spec as usize;
                if self.lexical_specs.get(spec).copied().unwrap_or(false) {
                    uses[spec] += weight.get(number).copied().unwrap_or(1);
                }
            }
        }
        let mut ranked: Vec<usize> = (0..uses.len()).filter(|&spec| uses[spec] > 0).collect();
        ranked.sort_by_key(|&spec| (std::cmp::Reverse(uses[spec]), spec));
        let mut bits = vec![0u8; uses.len()];
        // `SPEC_BITS` (64) positions: each plus one fits a byte.
        for (position, spec) in (1..=SPEC_BITS as u8).zip(ranked) {
            bits[spec] = position;
        }
        bits
    }

    /// Fills `leader` and `twins` (after specs are numbered): a pattern file often
    /// repeats one shape under several labels or ids, and each repeat would
    /// otherwise run the same search at the same tokens.
    fn group_twins(&mut self) -> Result<(), Error> {
        type Shape = (usize, usize, Vec<(u32, Quantifier)>);
        let mut leaders: HashMap<Shape, u32> = HashMap::new();
        self.leader = Vec::with_capacity(self.patterns.len());
        self.twins = vec![Vec::new(); self.patterns.len()];
        for (number, pattern) in self.patterns.iter().enumerate() {
            let number = crate::gazetteer::to_u32(number)?;
            let shape: Shape = (
                pattern.lead,
                pattern.trail,
                pattern.atoms.iter().map(|atom| (atom.spec, atom.quantifier)).collect(),
            );
            let leader = *leaders.entry(shape).or_insert(number);
            self.leader.push(leader);
            if leader != number {
                let group = &mut self.twins[leader as usize];
                if group.is_empty() {
                    group.push(leader);
                }
                group.push(number);
            }
        }
        // The span's `source` as written (`file:line`, `#name`), whose byte
        // order breaks the last ties.
        let source = |pattern: &TokenPattern| {
            let origin = &pattern.origin;
            match &pattern.name {
                Some(name) => format!("{}:{}#{name}", origin.file, origin.line),
                None => format!("{}:{}", origin.file, origin.line),
            }
        };
        let mut twins = std::mem::take(&mut self.twins);
        for group in twins.iter_mut() {
            group.sort_by(|&a, &b| {
                let (a, b) = (&self.patterns[a as usize], &self.patterns[b as usize]);
                (std::cmp::Reverse(a.priority), &a.label, &a.id)
                    .cmp(&(std::cmp::Reverse(b.priority), &b.label, &b.id))
                    .then_with(|| source(a).cmp(&source(b)))
            });
        }
        self.twins = twins;
        Ok(())
    }

    /// A leader and its twins in the order of `twins`; `None` if it has none.
    pub(crate) fn twin_group(&self, leader: u32) -> Option<&[u32]> {
        self.twins.get(leader as usize).filter(|group| !group.is_empty()).map(Vec::as_slice)
    }

    /// A pattern's atoms (its `program`'s) as the search reads them.
    #[inline]
    pub(crate) fn steps_of(&self, program: &Program) -> &[Step] {
        let first = program.first as usize;
        self.steps.get(first..first + program.len as usize).unwrap_or(&[])
    }

    /// The conditions of spec `spec` (of the first atom found to have it).
    pub(crate) fn conditions_of(&self, spec: u32) -> &[Condition] {
        let Some(&(pattern, atom)) = self.spec_atoms.get(spec as usize) else { return &[] };
        self.patterns
            .get(pattern as usize)
            .and_then(|pattern| pattern.atoms.get(atom as usize))
            .map_or(&[], |atom| atom.conditions.as_slice())
    }

    /// Whether the matcher searches for `pattern` itself (it leads its twins).
    pub(crate) fn leads(&self, pattern: u32) -> bool {
        self.leader.get(pattern as usize).is_none_or(|&leader| leader == pattern)
    }
}

impl StartIndex {
    fn build(patterns: &[TokenPattern]) -> Result<StartIndex, Error> {
        let mut index = StartIndex::default();
        for (number, pattern) in patterns.iter().enumerate() {
            let number = crate::gazetteer::to_u32(number)?;
            // The atoms a match can start with: the first one, and every one after
            // a run of optional ones.
            let mut keys: Vec<StartKey> = Vec::new();
            let mut indexable = true;
            for atom in &pattern.atoms {
                match start_key(atom) {
                    Some(key) => keys.push(key),
                    None => indexable = false,
                }
                if !atom.quantifier.optional() || !indexable {
                    break;
                }
            }
            if !indexable {
                index.anywhere.push(number);
                continue;
            }
            for key in keys {
                match key {
                    StartKey::Values(attr, values) => {
                        let position = match index.by_attr.iter().position(|(a, _)| *a == attr) {
                            Some(position) => position,
                            None => {
                                index.by_attr.push((attr, FxHashMap::default()));
                                index.by_attr.len() - 1
                            }
                        };
                        for value in values {
                            let list = index.by_attr[position].1.entry(value).or_default();
                            if list.last() != Some(&number) {
                                list.push(number);
                            }
                        }
                    }
                    StartKey::Lexicon(lexicon, attr) => {
                        match index
                            .by_lexicon
                            .iter_mut()
                            .find(|(l, a, _)| *l == lexicon && *a == attr)
                        {
                            Some((_, _, list)) => {
                                if list.last() != Some(&number) {
                                    list.push(number);
                                }
                            }
                            None => index.by_lexicon.push((lexicon, attr, vec![number])),
                        }
                    }
                    StartKey::Flags(flags) => {
                        match index.by_flag.iter_mut().find(|(f, _)| *f == flags) {
                            Some((_, list)) => {
                                if list.last() != Some(&number) {
                                    list.push(number);
                                }
                            }
                            None => index.by_flag.push((flags, vec![number])),
                        }
                    }
                }
            }
        }
        Ok(index)
    }
}

enum StartKey {
    Values(Attr, Vec<String>),
    Lexicon(usize, Attr),
    /// Every boolean attribute the token tests, with its value.
    Flags(FlagSet),
}

/// The literal a token matching `atom` must have, if it has one the index can
/// look up: an exact value or `IN` list on `ORTH`, `LOWER` or `SHAPE`, or a
/// lexicon on a string attribute; else a boolean attribute's value.
fn start_key(atom: &Atom) -> Option<StartKey> {
    if atom.quantifier == Quantifier::Not {
        return None;
    }
    for condition in &atom.conditions {
        if !matches!(condition.attr, Attr::Orth | Attr::Lower | Attr::Shape) {
            if let Predicate::Lexicon { lexicon, negated: false } = condition.predicate {
                return Some(StartKey::Lexicon(lexicon, condition.attr));
            }
            continue;
        }
        match &condition.predicate {
            Predicate::Equals(Literal::Str(value)) => {
                return Some(StartKey::Values(condition.attr, vec![value.clone()]))
            }
            Predicate::In { strings, negated: false, .. } => {
                return Some(StartKey::Values(condition.attr, strings.iter().cloned().collect()));
            }
            Predicate::Lexicon { lexicon, negated: false } => {
                return Some(StartKey::Lexicon(*lexicon, condition.attr))
            }
            _ => {}
        }
    }
    // No literal: a boolean attribute's value still selects the tokens (an
    // `IS_TITLE` pattern is not tried on lower-case words).
    // Every one of them: `IS_LOWER: false` with `IS_PUNCT: false` keeps a
    // capitalized-word pattern off punctuation too.
    let mut flags: Vec<(Attr, bool)> = atom
        .conditions
        .iter()
        .filter_map(|condition| match condition.predicate {
            Predicate::Equals(Literal::Bool(value)) => Some((condition.attr, value)),
            _ => None,
        })
        .collect();
    flags.sort();
    flags.dedup();
    (!flags.is_empty()).then_some(StartKey::Flags(flags))
}

/// Boolean attributes and the values a token must have for each.
pub(crate) type FlagSet = Vec<(Attr, bool)>;

/// The maximum `m` of `{n,m}`: each repetition is a copy of the token spec.
const MAX_REPEAT: u64 = 1000;

/// The most atoms a pattern may have once each `{n,m}` is written out as its
/// copies (spaCy sets no limit): a few `{0,1000}`s, far beyond any real
/// pattern, and a bound on what a search holds per token (`search_wide`).
pub(crate) const MAX_ATOMS: usize = 4096;

/// Whether a token list is a phrase: every token one `ORTH`, `TEXT` or `LOWER`
/// exact string, all of one case class, with a letter or digit somewhere. Such
/// a list goes to the phrase automaton, exactly as before token patterns existed.
pub(crate) fn is_phrase(tokens: &[Value]) -> bool {
    let mut case = None;
    let mut alphanumeric = false;
    for token in tokens {
        let Value::Object(token) = token else { return false };
        if token.len() != 1 {
            return false;
        }
        let Some((attribute, Value::String(text))) = token.iter().next() else { return false };
        let lower = match attribute.as_str() {
            "LOWER" => true,
            "ORTH" | "TEXT" => false,
            _ => return false,
        };
        if case.is_some_and(|case| case != lower) {
            return false;
        }
        // spaCy compares such a value with one token: one with white space in
        // it, or a LOWER with capitals, is no phrase but a token value, which
        // the token path checks (a capitalized LOWER is an error there) and
        // matches as spaCy does. The phrase automaton would match `New York`
        // across two tokens, and `Barack` in any case.
        if text.chars().any(char::is_whitespace) || (lower && rubric_lexeme::lower(text) != *text) {
            return false;
        }
        case = Some(lower);
        alphanumeric |= text.chars().any(char::is_alphanumeric);
    }
    alphanumeric
}

/// The pattern-level fields of a token pattern record.
pub(crate) struct PatternMeta {
    pub(crate) label: String,
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) priority: i32,
    pub(crate) origin: Origin,
}

/// Parses a token pattern (the `pattern` list of an EntityRuler line).
/// `regexes`: those compiled for the source's earlier patterns.
pub(crate) fn parse_token_pattern(
    tokens: &[Value],
    meta: PatternMeta,
    regexes: &mut Regexes,
) -> Result<TokenPattern, Error> {
    let origin = meta.origin.clone();
    let at = |kind| Error::at(kind, origin.file.clone(), origin.line);
    if tokens.is_empty() {
        return Err(at(ErrorKind::EmptyTokenPattern));
    }
    let mut atoms = Vec::new();
    let mut lexicon_names = Vec::new();
    let mut in_span_flags = Vec::new();
    for (position, token) in tokens.iter().enumerate() {
        let number = position + 1;
        let Value::Object(spec) = token else {
            return Err(at(ErrorKind::BadTokenValue {
                token: number,
                attribute: None,
                problem: "the token is not a JSON object".to_string(),
            }));
        };
        let parsed = parse_spec(spec, number, &mut lexicon_names, regexes, &at)?;
        // Checked before the copies are made: a hundred thousand `{1000}`s
        // would take gigabytes first.
        if atoms.len() + parsed.quantifiers.len() > MAX_ATOMS {
            return Err(at(ErrorKind::BadTokenPattern {
                problem: format!(
                    "with each {{n,m}} written out as its m copies, its tokens come to more \
                     than {MAX_ATOMS} (at token {number}): shorten the pattern or lower its counts"
                ),
            }));
        }
        for quantifier in parsed.quantifiers {
            atoms.push(Atom { conditions: parsed.conditions.clone(), quantifier, spec: 0 });
            in_span_flags.push(parsed.in_span);
        }
    }
    // Context tokens are a run at the start and a run at the end.
    let lead = in_span_flags.iter().take_while(|in_span| !**in_span).count();
    let trail = in_span_flags.iter().rev().take_while(|in_span| !**in_span).count();
    if lead == atoms.len() && !atoms.is_empty() {
        return Err(at(ErrorKind::BadTokenPattern {
            problem: "every token has \"IN_SPAN\": false, so the span would be empty".to_string(),
        }));
    }
    if in_span_flags[lead..atoms.len() - trail].iter().any(|in_span| !in_span) {
        return Err(at(ErrorKind::BadTokenPattern {
            problem: "\"IN_SPAN\": false is allowed only on tokens at the start or the end of \
                      the pattern"
                .to_string(),
        }));
    }
    if atoms.iter().all(|atom| atom.quantifier.optional()) {
        return Err(at(ErrorKind::MatchesEmpty { part: "pattern" }));
    }
    if atoms[lead..atoms.len() - trail].iter().all(|atom| atom.quantifier.optional()) {
        return Err(at(ErrorKind::MatchesEmpty {
            part: "span (the tokens without \"IN_SPAN\": false)",
        }));
    }
    Ok(TokenPattern {
        source: Value::Array(tokens.to_vec()),
        atoms,
        lead,
        trail,
        label: meta.label,
        id: meta.id,
        name: meta.name,
        priority: meta.priority,
        origin: meta.origin,
        lexicon_names,
    })
}

struct ParsedSpec {
    conditions: Vec<Condition>,
    quantifiers: Vec<Quantifier>,
    in_span: bool,
}

fn parse_spec(
    spec: &Map<String, Value>,
    token: usize,
    lexicon_names: &mut Vec<String>,
    regexes: &mut Regexes,
    at: &dyn Fn(ErrorKind) -> Error,
) -> Result<ParsedSpec, Error> {
    let mut conditions = Vec::new();
    let mut quantifiers = vec![Quantifier::One];
    let mut in_span = true;
    for (key, value) in spec {
        match key.as_str() {
            "OP" => {
                let Value::String(op) = value else {
                    return Err(at(ErrorKind::BadOperator { token, op: value.to_string() }));
                };
                quantifiers = parse_operator(op)
                    .ok_or_else(|| at(ErrorKind::BadOperator { token, op: op.clone() }))?;
            }
            "IN_SPAN" => {
                let Value::Bool(flag) = value else {
                    return Err(at(ErrorKind::BadTokenValue {
                        token,
                        attribute: Some("IN_SPAN".to_string()),
                        problem: "IN_SPAN must be true or false".to_string(),
                    }));
                };
                in_span = *flag;
            }
            name => {
                // spaCy upper-cases attribute names (`lower` is `LOWER`).
                let upper = name.to_uppercase();
                let Some(attr) = Attr::parse(&upper) else {
                    if is_pipeline_attribute(&upper) {
                        return Err(at(ErrorKind::UnsupportedTokenAttribute {
                            attribute: name.to_string(),
                        }));
                    }
                    return Err(at(ErrorKind::UnknownTokenAttribute {
                        token,
                        attribute: name.to_string(),
                    }));
                };
                parse_value(attr, name, value, token, lexicon_names, regexes, at, &mut conditions)?;
            }
        }
    }
    // Cheap tests first: a token that fails `LENGTH` never runs the regex.
    conditions.sort_by_key(|condition| match &condition.predicate {
        Predicate::Equals(Literal::Bool(_) | Literal::Int(_)) | Predicate::Compare(..) => 0,
        Predicate::Equals(Literal::Str(_)) | Predicate::In { .. } => 1,
        Predicate::Lexicon { .. } => 2,
        Predicate::Regex(_) => 3,
        Predicate::Fuzzy { .. } => 4,
    });
    Ok(ParsedSpec { conditions, quantifiers, in_span })
}

/// spaCy's operators, expanded as `matcher.pyx` does: `+` is one then zero or
/// more, `{n,m}` is `n` copies that must match and `m - n` optional ones.
fn parse_operator(op: &str) -> Option<Vec<Quantifier>> {
    Some(match op {
        "1" => vec![Quantifier::One],
        "!" => vec![Quantifier::Not],
        "?" => vec![Quantifier::Optional],
        "*" => vec![Quantifier::Any],
        "+" => vec![Quantifier::One, Quantifier::Any],
        _ => {
            let inner = op.strip_prefix('{')?.strip_suffix('}')?;
            let (min, max) = inner.split_once(',').unwrap_or((inner, inner));
            let decimal = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
            if !(decimal(min) || min.is_empty()) || !(decimal(max) || max.is_empty()) {
                return None;
            }
            if min.is_empty() && max.is_empty() {
                return None;
            }
            let min: u64 = if min.is_empty() { 0 } else { min.parse().ok()? };
            let max: Option<u64> = if max.is_empty() { None } else { Some(max.parse().ok()?) };
            if max.is_some_and(|max| max < min) || min.max(max.unwrap_or(0)) > MAX_REPEAT {
                return None;
            }
            let mut quantifiers = vec![Quantifier::One; min as usize];
            match max {
                Some(max) => quantifiers.extend(vec![Quantifier::Optional; (max - min) as usize]),
                None => quantifiers.push(Quantifier::Any),
            }
            quantifiers
        }
    })
}

/// Why no token can have `value` as its `attr`, if none can: a `LOWER` value with
/// upper-case letters (`"Paris"`: the token's lower-case form is `"paris"`), or a
/// `SHAPE` that `word_shape` never gives (`"Xxxxxx"`: runs stop at four; `"Aa"`:
/// letters become `X` or `x`, digits `d`).
fn impossible_value(attr: Attr, value: &str) -> Option<String> {
    match attr {
        Attr::Lower => {
            let lower = rubric_lexeme::lower(value);
            (lower != value).then(|| {
                format!(
                    "{value:?} has upper-case letters, and a token's LOWER never does, so it \
                     can never match; write {lower:?}"
                )
            })
        }
        Attr::Shape if value != "LONG" => {
            // A text whose shape is `value` if any text's is: `X`, `x` and `d` by a
            // letter or digit of their class, every other character as itself.
            let sample: String = value
                .chars()
                .map(|c| match c {
                    'X' => 'A',
                    'x' => 'a',
                    'd' => '0',
                    other => other,
                })
                .collect();
            let shape = rubric_lexeme::shape(&sample);
            (shape != value).then(|| {
                format!(
                    "{value:?} is no token's SHAPE (letters become X or x, digits d, and a \
                     run of one of them stops at four), so it can never match; the nearest \
                     shape is {shape:?}"
                )
            })
        }
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn parse_value(
    attr: Attr,
    name: &str,
    value: &Value,
    token: usize,
    lexicon_names: &mut Vec<String>,
    regexes: &mut Regexes,
    at: &dyn Fn(ErrorKind) -> Error,
    conditions: &mut Vec<Condition>,
) -> Result<(), Error> {
    let bad = |problem: String| {
        at(ErrorKind::BadTokenValue { token, attribute: Some(name.to_string()), problem })
    };
    let kind = attr.value_type();
    let literal = |value: &Value| -> Result<Literal, Error> {
        match (kind, value) {
            (AttrType::Str, Value::String(s)) => Ok(Literal::Str(s.clone())),
            (AttrType::Int, Value::Number(n)) => {
                n.as_i64().map(Literal::Int).ok_or_else(|| bad(format!("{n} is not an integer")))
            }
            (AttrType::Bool, Value::Bool(b)) => Ok(Literal::Bool(*b)),
            _ => Err(bad(format!(
                "{value} is not {}",
                match kind {
                    AttrType::Str => "a string",
                    AttrType::Int => "an integer",
                    AttrType::Bool => "true or false",
                }
            ))),
        }
    };
    // A value no token's attribute can have is a pattern that silently never
    // matches (spaCy accepts it); say so at build time instead.
    let possible = |value: &Value| -> Result<(), Error> {
        match value {
            Value::String(text) => impossible_value(attr, text).map_or(Ok(()), |why| Err(bad(why))),
            Value::Number(number) if number.as_i64().is_some_and(|n| n < 0) => Err(bad(format!(
                "{number} is negative, and a token's {name} never is, so it can never match"
            ))),
            _ => Ok(()),
        }
    };
    let Value::Object(predicates) = value else {
        possible(value)?;
        conditions.push(Condition {
            attr,
            predicate: Predicate::Equals(literal(value)?),
            memo: None,
        });
        return Ok(());
    };
    // `{}` as an attribute's value tests nothing, as in spaCy.
    for (operator, argument) in predicates {
        let predicate = match operator.as_str() {
            "IN" | "NOT_IN" => {
                if kind == AttrType::Bool {
                    return Err(bad(format!("{operator} needs a string or integer attribute")));
                }
                let Value::Array(items) = argument else {
                    return Err(bad(format!("{operator} takes a list")));
                };
                let mut strings = FxHashSet::default();
                let mut ints = FxHashSet::default();
                for item in items {
                    possible(item)?;
                    match literal(item)? {
                        Literal::Str(text) => {
                            strings.insert(text);
                        }
                        Literal::Int(number) => {
                            ints.insert(number);
                        }
                        Literal::Bool(_) => {}
                    }
                }
                Predicate::In { strings, ints, negated: operator == "NOT_IN" }
            }
            "REGEX" => {
                if kind != AttrType::Str {
                    return Err(bad("REGEX needs a string attribute".to_string()));
                }
                let Value::String(source) = argument else {
                    return Err(bad("REGEX takes a string".to_string()));
                };
                match regexes.compile(source) {
                    // Compiled to check it: kept, not compiled again on first use.
                    Ok(regex) => Predicate::Regex(regex),
                    Err(err) => {
                        return Err(at(ErrorKind::BadRegex {
                            token,
                            attribute: name.to_string(),
                            message: err.to_string(),
                        }))
                    }
                }
            }
            "IN_LEXICON" | "NOT_IN_LEXICON" => {
                if kind != AttrType::Str {
                    return Err(bad(format!("{operator} needs a string attribute")));
                }
                let Value::String(lexicon) = argument else {
                    return Err(bad(format!("{operator} takes a lexicon name")));
                };
                let index = match lexicon_names.iter().position(|known| known == lexicon) {
                    Some(index) => index,
                    None => {
                        lexicon_names.push(lexicon.clone());
                        lexicon_names.len() - 1
                    }
                };
                Predicate::Lexicon { lexicon: index, negated: operator == "NOT_IN_LEXICON" }
            }
            "==" | "!=" | ">=" | "<=" | ">" | "<" => {
                if kind != AttrType::Int {
                    return Err(bad(format!("{operator} compares numbers: use it on LENGTH")));
                }
                let Literal::Int(number) = literal(argument)? else {
                    return Err(bad(format!("{operator} takes an integer")));
                };
                if operator == "==" {
                    possible(argument)?;
                }
                let comparison = match operator.as_str() {
                    "==" => Comparison::Eq,
                    "!=" => Comparison::Ne,
                    ">=" => Comparison::Ge,
                    "<=" => Comparison::Le,
                    ">" => Comparison::Gt,
                    _ => Comparison::Lt,
                };
                Predicate::Compare(comparison, number)
            }
            fuzzy if fuzzy.starts_with("FUZZY") => {
                let digits = &fuzzy["FUZZY".len()..];
                let max_edits = match digits {
                    "" => None,
                    d if d.len() == 1 && d != "0" && d.chars().all(|c| c.is_ascii_digit()) => {
                        d.parse().ok()
                    }
                    _ => {
                        return Err(bad(format!(
                            "unknown predicate {operator:?}: use FUZZY or FUZZY1 to FUZZY9"
                        )))
                    }
                };
                if kind != AttrType::Str {
                    return Err(bad(format!("{operator} needs a string attribute")));
                }
                let Value::String(text) = argument else {
                    return Err(bad(format!("{operator} takes a string")));
                };
                Predicate::Fuzzy { value: text.clone(), max_edits }
            }
            other => {
                return Err(bad(format!(
                    "unknown predicate {other:?}: use IN, NOT_IN, REGEX, FUZZY, FUZZY1..FUZZY9, \
                     ==, !=, >=, <=, >, <, IN_LEXICON or NOT_IN_LEXICON"
                )))
            }
        };
        conditions.push(Condition { attr, predicate, memo: None });
    }
    Ok(())
}

/// Reads a lexicon declaration: `{"lexicon": NAME, "path": FILE}` (relative to
/// the patterns file) or `{"lexicon": NAME, "words": [...]}`.
pub(crate) fn parse_lexicon(
    record: &Map<String, Value>,
    origin: Origin,
    base: Option<&std::path::Path>,
) -> Result<Lexicon, Error> {
    let at = |kind| Error::at(kind, origin.file.clone(), origin.line);
    let bad = |problem: &str| at(ErrorKind::BadLexicon { problem: problem.to_string() });
    let Some(Value::String(name)) = record.get("lexicon") else {
        return Err(bad("\"lexicon\" must be the lexicon's name, a string"));
    };
    if let Some(key) = record.keys().find(|k| !matches!(k.as_str(), "lexicon" | "path" | "words")) {
        return Err(bad(&format!("unknown key {key:?}")));
    }
    let words = match (record.get("path"), record.get("words")) {
        (Some(Value::String(path)), None) => {
            let full = match base {
                Some(base) => base.join(path),
                None => std::path::PathBuf::from(path),
            };
            // A device or a pipe (`/dev/zero`) would be read without end.
            if std::fs::metadata(&full).is_ok_and(|meta| !meta.is_file()) {
                return Err(bad(&format!(
                    "{} is not a regular file (a directory, a device or a pipe): a lexicon's \
                     \"path\" names a word list, one word a line",
                    full.display()
                )));
            }
            let bytes = std::fs::read(&full).map_err(|err| {
                Error::at(
                    ErrorKind::LexiconRead { path: full.display().to_string(), err },
                    origin.file.clone(),
                    origin.line,
                )
            })?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::at(ErrorKind::InvalidUtf8, full.display().to_string(), 0))?;
            read_word_list(&text)
        }
        (None, Some(Value::Array(items))) => items
            .iter()
            .map(|item| match item {
                Value::String(word) => Ok(word.clone()),
                _ => Err(bad("\"words\" must be a list of strings")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(bad("give either \"path\" (a file) or \"words\" (a list of strings)")),
    };
    Ok(Lexicon::new(name.clone(), words, origin.clone()))
}

/// One word a line; `#` comments and blank lines skipped, a byte-order mark
/// stripped, surrounding whitespace trimmed.
pub(crate) fn read_word_list(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// The token patterns and lexicons in the compiled form: one JSON document
/// (patterns as written, so loading re-checks them with the same parser).
pub(crate) fn to_compiled_json(rules: &TokenRules) -> Value {
    let lexicons: Vec<Value> = rules
        .lexicons
        .iter()
        .map(|lexicon| {
            serde_json::json!({
                "lexicon": lexicon.name,
                "words": lexicon.words,
                "file": lexicon.origin.file,
                "line": lexicon.origin.line,
            })
        })
        .collect();
    let patterns: Vec<Value> = rules
        .patterns
        .iter()
        .map(|pattern| {
            serde_json::json!({
                "label": pattern.label,
                "id": pattern.id,
                "name": pattern.name,
                "priority": pattern.priority,
                "file": pattern.origin.file,
                "line": pattern.origin.line,
                "pattern": pattern.source,
            })
        })
        .collect();
    serde_json::json!({ "lexicons": lexicons, "patterns": patterns })
}

/// The compiled token rules as `to_compiled_json` writes them, read straight
/// into their types: a default gazetteer holds 58,000 lexicon words, and going
/// through `serde_json::Value` first (a string, then a copy of it, per word) was
/// most of the start-up.
#[derive(serde::Deserialize)]
struct CompiledRules {
    lexicons: Vec<CompiledLexicon>,
    patterns: Vec<CompiledPattern>,
}

#[derive(serde::Deserialize)]
struct CompiledLexicon {
    lexicon: String,
    words: Vec<String>,
    file: String,
    line: u64,
}

#[derive(serde::Deserialize)]
struct CompiledPattern {
    label: String,
    id: Option<String>,
    name: Option<String>,
    priority: i32,
    file: String,
    line: u64,
    pattern: Vec<Value>,
}

/// Reads what `to_compiled_json` wrote.
pub(crate) fn from_compiled_str(json: &str) -> Result<TokenRules, String> {
    let compiled: CompiledRules = serde_json::from_str(json).map_err(|err| err.to_string())?;
    let mut rules = TokenRules::default();
    let mut regexes = Regexes::default();
    for lexicon in compiled.lexicons {
        let origin = Origin { file: lexicon.file, line: lexicon.line };
        rules
            .add_lexicon(Lexicon::new(lexicon.lexicon, lexicon.words, origin))
            .map_err(|e| e.to_string())?;
    }
    for pattern in compiled.patterns {
        let meta = PatternMeta {
            label: pattern.label,
            id: pattern.id,
            name: pattern.name,
            priority: pattern.priority,
            origin: Origin { file: pattern.file, line: pattern.line },
        };
        rules.patterns.push(
            parse_token_pattern(&pattern.pattern, meta, &mut regexes).map_err(|e| e.to_string())?,
        );
    }
    rules.finish().map_err(|e| e.to_string())?;
    Ok(rules)
}

/// Counts of token patterns per label, for `stats`.
pub(crate) fn labels_of(rules: &TokenRules) -> BTreeMap<String, usize> {
    let mut labels = BTreeMap::new();
    for pattern in &rules.patterns {
        *labels.entry(pattern.label.clone()).or_insert(0) += 1;
    }
    labels
}
