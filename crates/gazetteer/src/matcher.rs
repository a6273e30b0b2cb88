//! `MatcherBuilder` → `Matcher`: finds every candidate on token boundaries, then
//! resolves overlaps by a policy and keeps a trace of what was dropped and why.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rubric_tokenizer::{Token, TokenKind};
use serde::Serialize;

use crate::alias;
use crate::candidate::{Candidate, Source};
use crate::entry::CasePolicy;
use crate::error::{Error, ErrorKind};
use crate::gazetteer::Gazetteer;
use crate::matches::{DropReason, Dropped, Match, MatchRule, Matches};
use crate::normalize::{
    normalize_mapped, normalize_pattern, normalize_str, smart_case_matches, Folding,
};
use crate::pattern::TokenRules;
use crate::token_match::{TokenAttrs, Wanted};

/// Which candidates survive when they overlap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OverlapPolicy {
    /// Leftmost-longest: the candidate that starts first wins, then the longer one,
    /// then the higher priority, then the label in byte order (the loser of a tie
    /// on span and priority is reported as [`DropReason::Ambiguous`]).
    #[default]
    Longest,
    /// Highest priority first, then longest, then leftmost, then label.
    Priority,
    /// Keep every candidate (for span groups); only exact duplicates are dropped.
    All,
}

impl FromStr for OverlapPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "longest" => Ok(OverlapPolicy::Longest),
            "priority" => Ok(OverlapPolicy::Priority),
            "all" => Ok(OverlapPolicy::All),
            other => Err(format!("unknown overlap policy {other:?}: use longest, priority or all")),
        }
    }
}

impl fmt::Display for OverlapPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OverlapPolicy::Longest => "longest",
            OverlapPolicy::Priority => "priority",
            OverlapPolicy::All => "all",
        })
    }
}

/// Which named token patterns (rules) run. A rule is a token pattern with a
/// `name`; a selector is a rule name (`person:title-name`) or a prefix ending in
/// `:` or `*` (`person:`, `org:*`). Token patterns without a name always run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RuleSelection {
    /// Every rule (the default).
    #[default]
    All,
    /// Only the rules a selector names.
    Only(Vec<String>),
    /// Every rule but those a selector names; `Except(vec![])` is every rule.
    Except(Vec<String>),
}

impl RuleSelection {
    /// No rule at all: phrase entries and unnamed token patterns only.
    pub fn none() -> Self {
        RuleSelection::Only(Vec::new())
    }

    /// Whether a pattern named `name` (or unnamed) runs.
    pub fn runs(&self, name: Option<&str>) -> bool {
        let Some(name) = name else { return true };
        match self {
            RuleSelection::All => true,
            RuleSelection::Only(selectors) => selectors.iter().any(|s| selects(s, name)),
            RuleSelection::Except(selectors) => !selectors.iter().any(|s| selects(s, name)),
        }
    }

    /// The selectors that name no rule of `names`: a misspelt rule name is an
    /// error for the caller to report, never a silent no-op.
    pub fn unknown<'a>(&'a self, names: &[&str]) -> Vec<&'a str> {
        let selectors = match self {
            RuleSelection::All => return Vec::new(),
            RuleSelection::Only(selectors) | RuleSelection::Except(selectors) => selectors,
        };
        selectors
            .iter()
            .filter(|s| !names.iter().any(|name| selects(s, name)))
            .map(String::as_str)
            .collect()
    }
}

/// Whether `selector` names the rule `name`: equal, or a prefix ending in `:`
/// (`person:`) or `*` (`person:*`, `*`).
fn selects(selector: &str, name: &str) -> bool {
    if let Some(prefix) = selector.strip_suffix('*') {
        name.starts_with(prefix)
    } else if selector.ends_with(':') {
        name.starts_with(selector)
    } else {
        selector == name
    }
}

/// Configures and builds a [`Matcher`].
#[derive(Clone, Debug)]
pub struct MatcherBuilder {
    overlaps: OverlapPolicy,
    aliases: bool,
    labels: Option<Vec<String>>,
    last_name_labels: Vec<String>,
    acronym_labels: Vec<String>,
    short_name_labels: Vec<String>,
    rules: RuleSelection,
}

impl Default for MatcherBuilder {
    fn default() -> Self {
        MatcherBuilder {
            overlaps: OverlapPolicy::Longest,
            aliases: true,
            labels: None,
            last_name_labels: vec!["PERSON".to_string()],
            acronym_labels: vec!["ORG".to_string()],
            short_name_labels: vec!["ORG".to_string()],
            rules: RuleSelection::All,
        }
    }
}

impl MatcherBuilder {
    /// Longest-match overlaps, aliases on, every label.
    pub fn new() -> Self {
        Self::default()
    }

    /// How overlapping candidates are resolved.
    pub fn overlaps(&mut self, policy: OverlapPolicy) -> &mut Self {
        self.overlaps = policy;
        self
    }

    /// Whether document aliases (last names, acronyms) are found; default `true`.
    pub fn aliases(&mut self, yes: bool) -> &mut Self {
        self.aliases = yes;
        self
    }

    /// Only entries with these labels are candidates; `None` (default) for all.
    pub fn labels(&mut self, labels: Option<Vec<String>>) -> &mut Self {
        self.labels = labels;
        self
    }

    /// Labels whose multi-word matches define last-name and first-name aliases
    /// (default `PERSON`).
    pub fn last_name_labels(&mut self, labels: Vec<String>) -> &mut Self {
        self.last_name_labels = labels;
        self
    }

    /// Labels whose matches define an acronym alias (default `ORG`).
    pub fn acronym_labels(&mut self, labels: Vec<String>) -> &mut Self {
        self.acronym_labels = labels;
        self
    }

    /// Labels whose matches ending in a legal-form word (`Inc`, `Corp.`, `Ltd`,
    /// `Communications`) define a short-name alias (default `ORG`).
    pub fn short_name_labels(&mut self, labels: Vec<String>) -> &mut Self {
        self.short_name_labels = labels;
        self
    }

    /// Which named token patterns (rules) run; default all. Check a selection
    /// against [`Gazetteer::rule_names`] first: a selector that names nothing
    /// selects nothing.
    pub fn rules(&mut self, rules: RuleSelection) -> &mut Self {
        self.rules = rules;
        self
    }

    /// A matcher over `gazetteers`, which are searched together as one dictionary.
    pub fn build(&self, gazetteers: Vec<Arc<Gazetteer>>) -> Matcher {
        let selections = gazetteers
            .iter()
            .map(|gazetteer| Selection::of(&gazetteer.rules, &self.rules, self.labels.as_deref()))
            .collect();
        Matcher {
            gazetteers,
            selections,
            overlaps: self.overlaps,
            aliases: self.aliases,
            labels: self.labels.clone(),
            alias_config: alias::Config {
                last_name_labels: self.last_name_labels.clone(),
                acronym_labels: self.acronym_labels.clone(),
                short_name_labels: self.short_name_labels.clone(),
            },
        }
    }
}

/// Finds gazetteer entries in text. Cheap to share between threads (`Send +
/// Sync`); the gazetteers are behind `Arc`s.
///
/// ```
/// use std::sync::Arc;
/// use rubric_gazetteer::{GazetteerBuilder, MatcherBuilder};
/// use rubric_tokenizer::Tokenizer;
///
/// let tsv = "Hassan Nasrallah\tPERSON\tQ193740\nHezbollah\tORG\nIran\tGPE\n";
/// let gazetteer = GazetteerBuilder::new().add_tsv_reader("g.tsv", tsv.as_bytes())?.build()?;
/// let matcher = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]);
/// let text = "HEZBOLLAH leader Hassan Nasrallah, an Iranian ally. Nasrallah spoke.";
/// let tokens = Tokenizer::new().tokenize(text);
/// let matches = matcher.find(text, &tokens);
/// let found: Vec<(&str, &str)> = matches
///     .spans
///     .iter()
///     .map(|m| (&text[m.start..m.end], m.label.as_str()))
///     .collect();
/// // `Iran` is not found inside `Iranian`; the later `Nasrallah` is an alias.
/// assert_eq!(
///     found,
///     [("HEZBOLLAH", "ORG"), ("Hassan Nasrallah", "PERSON"), ("Nasrallah", "PERSON")]
/// );
/// # Ok::<(), rubric_gazetteer::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Matcher {
    gazetteers: Vec<Arc<Gazetteer>>,
    /// Per gazetteer, which of its token patterns the rule selection and the
    /// labels keep (`Selection`).
    selections: Vec<Selection>,
    overlaps: OverlapPolicy,
    aliases: bool,
    labels: Option<Vec<String>>,
    alias_config: alias::Config,
}

/// What a matcher's rule selection and labels make of one gazetteer's token
/// patterns, settled when the matcher is built rather than per document and
/// match.
#[derive(Clone, Debug, Default)]
struct Selection {
    /// Whether any pattern's rule runs: if none does, the patterns are not
    /// searched at all.
    runs: bool,
    /// Per pattern, whether its rule runs and its label is kept.
    kept: Vec<bool>,
    /// Per leader pattern (`TokenRules::leads`), the pattern its matches stand
    /// for under `Wanted::LongestPerStart`: the first kept one of its twins in
    /// their `longest` order (itself when alone), with the best priority among
    /// the kept twins with another label (the alias pass ranks an alias on the
    /// span above them). `None`: no twin is kept.
    stand_in: Vec<Option<(u32, Option<i32>)>>,
}

impl Selection {
    fn of(rules: &TokenRules, selection: &RuleSelection, labels: Option<&[String]>) -> Selection {
        let runs = rules.patterns.iter().any(|pattern| selection.runs(pattern.name.as_deref()));
        let kept: Vec<bool> = rules
            .patterns
            .iter()
            .map(|pattern| {
                selection.runs(pattern.name.as_deref())
                    && labels.is_none_or(|labels| labels.contains(&pattern.label))
            })
            .collect();
        let stand_in = (0..rules.patterns.len())
            .map(|number| {
                let number = u32::try_from(number).ok()?;
                let alone = [number];
                let group = rules.twin_group(number).unwrap_or(&alone);
                let mut members = group
                    .iter()
                    .copied()
                    .filter(|&p| kept.get(p as usize).copied().unwrap_or(false));
                let best = members.next()?;
                let label = &rules.patterns[best as usize].label;
                let other_label = members
                    .map(|p| &rules.patterns[p as usize])
                    .find(|twin| twin.label != *label)
                    .map(|twin| twin.priority);
                Some((best, other_label))
            })
            .collect();
        Selection { runs, kept, stand_in }
    }
}

/// Where tokens start and end in a normalized text: pairs of (normalized offset,
/// original offset), sorted, for every token that is not whitespace and does not
/// normalize to nothing. Memory is proportional to the tokens, not the text.
pub(crate) struct Boundaries {
    starts: Vec<(usize, usize)>,
    ends: Vec<(usize, usize)>,
    /// The distinct normalized offsets of `starts`: where the engine looks.
    start_offsets: Vec<usize>,
}

impl Boundaries {
    /// Normalizes `text` and records where `tokens` (sorted, non-overlapping, on
    /// character boundaries) start and end in the result.
    pub(crate) fn normalize(text: &str, tokens: &[Token], folding: Folding) -> (String, Self) {
        // Token edges in text order: start, end, start, end, ... (non-decreasing,
        // as tokens are contiguous and sorted).
        let edges: Vec<usize> = tokens.iter().flat_map(|t| [t.start, t.end]).collect();
        let mut normalized_edges = vec![usize::MAX; edges.len()];
        let mut next = 0;
        let normalized = normalize_mapped(text, folding, |offset, start, _| {
            while next < edges.len() && edges[next] < offset {
                next += 1;
            }
            let mut edge = next;
            while edge < edges.len() && edges[edge] == offset {
                normalized_edges[edge] = start;
                edge += 1;
            }
        });
        let mut boundaries = Boundaries {
            starts: Vec::with_capacity(tokens.len()),
            ends: Vec::with_capacity(tokens.len()),
            start_offsets: Vec::new(),
        };
        for (index, token) in tokens.iter().enumerate() {
            let (start, end) = (normalized_edges[2 * index], normalized_edges[2 * index + 1]);
            // A token that normalizes to nothing (a lone combining mark, with
            // diacritics folded) cannot hold a match's edge.
            if token.kind == TokenKind::Space || start == usize::MAX || start >= end {
                continue;
            }
            boundaries.starts.push((start, token.start));
            boundaries.ends.push((end, token.end));
        }
        boundaries.starts.sort_unstable();
        boundaries.ends.sort_unstable();
        boundaries.start_offsets =
            boundaries.starts.iter().map(|&(normalized, _)| normalized).collect();
        boundaries.start_offsets.dedup();
        (normalized, boundaries)
    }

    /// The original offset of the token that starts at normalized offset `at`.
    pub(crate) fn start_at(&self, at: usize) -> Option<usize> {
        Self::find(&self.starts, at)
    }

    /// The original offset of the token that ends at normalized offset `at`.
    pub(crate) fn end_at(&self, at: usize) -> Option<usize> {
        Self::find(&self.ends, at)
    }

    fn find(pairs: &[(usize, usize)], at: usize) -> Option<usize> {
        let index = pairs.partition_point(|&(normalized, _)| normalized < at);
        pairs.get(index).filter(|&&(normalized, _)| normalized == at).map(|&(_, original)| original)
    }
}

impl Matcher {
    /// Finds the matches in `text`, whose tokens (from `rubric-tokenizer`) are
    /// `tokens`. Offsets are bytes of `text`, on token boundaries.
    ///
    /// Tokens that do not fit `text` (empty, past its end, or not on character
    /// boundaries: tokens of another text) are left out rather than panicked on;
    /// [`Matcher::try_find`] reports the first of them instead.
    pub fn find(&self, text: &str, tokens: &[Token]) -> Matches {
        self.find_fitting(text, &fitting_tokens(text, tokens), Trace::Dropped)
    }

    /// As [`Matcher::find`], the same spans, but without the trace: `dropped` is
    /// empty. Faster when the trace is not wanted (most candidates are dropped,
    /// and only the kept ones are written out).
    pub fn find_untraced(&self, text: &str, tokens: &[Token]) -> Matches {
        self.find_fitting(text, &fitting_tokens(text, tokens), Trace::None)
    }

    /// As [`Matcher::find`], but every token is used or the first that does not
    /// fit `text` is an error (`token_outside_text`), as aho-corasick pairs `find`
    /// with `try_find`.
    pub fn try_find(&self, text: &str, tokens: &[Token]) -> Result<Matches, Error> {
        check_tokens(text, tokens)?;
        Ok(self.find_fitting(text, tokens, Trace::Dropped))
    }

    /// As [`Matcher::try_find`], without the trace (see [`Matcher::find_untraced`]).
    pub fn try_find_untraced(&self, text: &str, tokens: &[Token]) -> Result<Matches, Error> {
        check_tokens(text, tokens)?;
        Ok(self.find_fitting(text, tokens, Trace::None))
    }

    /// [`Matcher::find`] on tokens that all fit `text`.
    fn find_fitting(&self, text: &str, tokens: &[Token], trace: Trace) -> Matches {
        // Only the `longest` policy without a trace can do without a pattern's
        // shorter matches (see `Wanted::LongestPerStart`).
        let wanted = if trace == Trace::None && self.overlaps == OverlapPolicy::Longest {
            Wanted::LongestPerStart
        } else {
            Wanted::Every
        };
        // The tokens' attributes, made by the first gazetteer with patterns and
        // shared by the others and the alias pass.
        let mut attrs: Option<TokenAttrs<'_>> = None;
        let candidates = self.candidate_list(text, tokens, &mut attrs, wanted);
        if !self.aliases {
            return resolve(candidates.iter().collect(), self.overlaps, trace);
        }
        // Dictionary candidates by start, sorted once (stable: candidates that
        // start together keep the list's order) for the first resolution, the
        // aliases' containment check and, under `longest`, the last resolution.
        let mut by_start: Vec<&Candidate<'_>> = candidates.iter().collect();
        by_start.sort_by_key(|m| m.start);
        let longest_path = self.overlaps == OverlapPolicy::Longest && none_empty(&by_start);
        // The spans kept so far, as references (a candidate is some hundred
        // bytes, and a thousand token patterns keep tens of thousands).
        let first: Vec<&Candidate<'_>> = if longest_path {
            leftmost_longest(by_start.clone())
        } else {
            resolved_spans(&candidates, self.overlaps)
        };
        let aliases = alias::candidates(text, tokens, &first, &self.alias_config, attrs.as_ref());
        let mut inside = Vec::new();
        // One that contains an alias starts at most `longest` bytes before it.
        let longest = by_start.iter().map(|m| m.len()).max().unwrap_or(0);
        let mut kept_aliases = Vec::new();
        for &candidate in &aliases {
            let after = by_start.partition_point(|m| m.start <= candidate.start);
            let before = by_start.partition_point(|m| m.start + longest < candidate.start);
            let longer = by_start[before..after]
                .iter()
                .copied()
                .find(|other| other.contains(&candidate) && other.len() > candidate.len());
            match longer {
                Some(winner) => {
                    if trace == Trace::Dropped {
                        inside.push(Dropped {
                            winner: Some(winner.to_match()),
                            candidate: candidate.to_match(),
                            reason: DropReason::InsideLongerMatch,
                        });
                    }
                }
                None => kept_aliases.push(candidate),
            }
        }
        // The document's own evidence beats the dictionary's prior: an alias on
        // exactly the span of a dictionary candidate with another label ranks just
        // above it, so `Jordan` after `Jordan Peele` stays a person, not the
        // country (the country's candidate is traced as `lower_priority`).
        for alias in &mut kept_aliases {
            let at = by_start.partition_point(|m| m.start < alias.start);
            for other in by_start[at..].iter().take_while(|m| m.start == alias.start) {
                // A token pattern's twins left out (`Wanted::LongestPerStart`)
                // count as the candidates they would have been.
                let other_priority = if other.label != alias.label {
                    Some(other.priority)
                } else {
                    other.other_label_twin
                };
                if let Some(priority) = other_priority.filter(|_| other.end == alias.end) {
                    alias.priority = alias.priority.max(priority.saturating_add(1));
                }
            }
        }
        // Resolved as references: the candidates are not copied into one list
        // with the aliases.
        if longest_path && trace == Trace::None && none_empty(&kept_aliases) {
            // The candidates then the aliases, sorted by start (stable): the
            // sorted candidates merged with the aliases, which come in the
            // order of their words, candidates first where both start.
            kept_aliases.sort_by_key(|alias| alias.start);
            let mut all = Vec::with_capacity(by_start.len() + kept_aliases.len());
            let mut aliases = kept_aliases.iter().peekable();
            for candidate in by_start {
                while let Some(alias) = aliases.next_if(|alias| alias.start < candidate.start) {
                    all.push(alias);
                }
                all.push(candidate);
            }
            all.extend(aliases);
            return longest_spans(all);
        }
        let all = candidates.iter().chain(&kept_aliases).collect();
        let mut matches = resolve(all, self.overlaps, trace);
        matches.dropped.extend(inside);
        sort_dropped(&mut matches.dropped);
        matches
    }

    /// Every dictionary candidate, before overlaps are resolved.
    pub fn candidates(&self, text: &str, tokens: &[Token]) -> Vec<Match> {
        let tokens = &*fitting_tokens(text, tokens);
        let mut attrs = None;
        let candidates = self.candidate_list(text, tokens, &mut attrs, Wanted::Every);
        candidates.iter().map(|candidate| candidate.to_match()).collect()
    }

    /// Every dictionary candidate, borrowing the gazetteers' strings, on tokens
    /// that all fit `text`.
    /// `attrs`: the tokens' attributes, made on first use (by the first
    /// gazetteer with patterns) and shared by every gazetteer's patterns.
    fn candidate_list<'m, 't>(
        &'m self,
        text: &'t str,
        tokens: &'t [Token],
        attrs: &mut Option<TokenAttrs<'t>>,
        wanted: Wanted,
    ) -> Vec<Candidate<'m>> {
        let mut candidates = Vec::new();
        let mut prepared: Vec<(bool, String, Boundaries)> = Vec::new();
        for (gazetteer, selection) in self.gazetteers.iter().zip(&self.selections) {
            let diacritics = gazetteer.diacritics;
            if !prepared.iter().any(|(folds, _, _)| *folds == diacritics) {
                let (normalized, boundaries) =
                    Boundaries::normalize(text, tokens, Folding { case: true, diacritics });
                prepared.push((diacritics, normalized, boundaries));
            }
            let Some((_, normalized, boundaries)) =
                prepared.iter().find(|(folds, _, _)| *folds == diacritics)
            else {
                continue;
            };
            let written_folding = Folding { case: false, diacritics };
            // Only from token starts: the engine walks its trie from each one.
            gazetteer.engine.for_each_from(
                normalized,
                &boundaries.start_offsets,
                |key, start, end| {
                    let (Some(start), Some(end)) =
                        (boundaries.start_at(start), boundaries.end_at(end))
                    else {
                        return;
                    };
                    if start >= end {
                        return;
                    }
                    let mut written: Option<String> = None;
                    for stored in gazetteer.key_entries(key) {
                        let entry = gazetteer.entry_ref(stored);
                        if let Some(labels) = &self.labels {
                            if !labels.iter().any(|label| label == entry.label) {
                                continue;
                            }
                        }
                        // Text written exactly as the entry agrees with it under every
                        // policy; only other spellings need normalizing to compare.
                        let case_ok = entry.case == CasePolicy::Insensitive
                            || text[start..end] == *entry.pattern
                            || {
                                let written = written.get_or_insert_with(|| {
                                    normalize_str(&text[start..end], written_folding)
                                });
                                case_matches(entry.pattern, entry.case, written, diacritics)
                            };
                        if case_ok {
                            candidates.push(Candidate {
                                start,
                                end,
                                label: entry.label,
                                id: entry.id,
                                source: Source::Origin {
                                    file: entry.file,
                                    line: entry.line,
                                    name: None,
                                },
                                rule: MatchRule::Entry,
                                priority: entry.priority,
                                alias_of: None,
                                other_label_twin: None,
                            });
                        }
                    }
                },
            );
            let pass = (&**gazetteer, selection);
            self.token_candidates(pass, text, tokens, attrs, wanted, &mut candidates);
        }
        candidates
    }

    /// For benchmarks (`benches/matching.rs`), not a stable API: `text`
    /// normalized as the first gazetteer folds it, and the distinct normalized
    /// offsets where its tokens start.
    #[doc(hidden)]
    pub fn normalized_for_bench(&self, text: &str, tokens: &[Token]) -> (String, Vec<usize>) {
        let diacritics = self.gazetteers.first().is_some_and(|g| g.diacritics);
        let (normalized, boundaries) =
            Boundaries::normalize(text, tokens, Folding { case: true, diacritics });
        (normalized, boundaries.start_offsets)
    }

    /// For benchmarks, not a stable API: the number of key occurrences the first
    /// gazetteer's index finds from `starts` in `normalized` (from
    /// [`Matcher::normalized_for_bench`]), before token ends are checked.
    #[doc(hidden)]
    pub fn walk_for_bench(&self, normalized: &str, starts: &[usize]) -> usize {
        let mut count = 0;
        if let Some(gazetteer) = self.gazetteers.first() {
            gazetteer.engine.for_each_from(normalized, starts, |_, _, _| count += 1);
        }
        count
    }

    /// The matches of a gazetteer's token patterns, as candidates.
    fn token_candidates<'m, 't>(
        &self,
        (gazetteer, selection): (&'m Gazetteer, &Selection),
        text: &'t str,
        tokens: &'t [Token],
        attrs: &mut Option<TokenAttrs<'t>>,
        wanted: Wanted,
        candidates: &mut Vec<Candidate<'m>>,
    ) {
        let rules = &gazetteer.rules;
        if !selection.runs {
            return;
        }
        let attrs = attrs.get_or_insert_with(|| TokenAttrs::new(text, tokens, sentence_starts));
        let found = crate::token_match::find(rules, attrs, wanted);
        // Grown once, not doubled again and again: a candidate is some hundred
        // bytes, and a thousand patterns make thousands per document.
        candidates.reserve(found.len());
        for found in found {
            let (start, end) = (tokens[found.start].start, tokens[found.end - 1].end);
            match wanted {
                Wanted::Every => {
                    if selection.kept.get(found.pattern as usize).copied().unwrap_or(false) {
                        candidates.push(token_candidate(rules, found.pattern, start, end, None));
                    }
                }
                // A leader's match stands for its twins': of the same span, only
                // the first selected in their `longest` order can be kept
                // (`Selection::stand_in`).
                Wanted::LongestPerStart => {
                    let stand_in = selection.stand_in.get(found.pattern as usize).copied();
                    let Some((best, other_label)) = stand_in.flatten() else { continue };
                    candidates.push(token_candidate(rules, best, start, end, other_label));
                }
            }
        }
    }
}

/// The candidate a match of token pattern `number` makes over `start..end`.
fn token_candidate(
    rules: &TokenRules,
    number: u32,
    start: usize,
    end: usize,
    other_label_twin: Option<i32>,
) -> Candidate<'_> {
    let pattern = &rules.patterns[number as usize];
    Candidate {
        start,
        end,
        label: &pattern.label,
        id: pattern.id.as_deref(),
        // `file:line#name`, written once per pattern (`TokenRules::sources`).
        source: match rules.sources.get(number as usize) {
            Some(written) => Source::Shared(written),
            None => Source::Origin {
                file: &pattern.origin.file,
                line: pattern.origin.line,
                name: pattern.name.as_deref(),
            },
        },
        rule: MatchRule::TokenPattern,
        priority: pattern.priority,
        alias_of: None,
        other_label_twin,
    }
}

/// Per token, whether it starts a sentence (what `IS_SENT_START` tests).
fn sentence_starts(text: &str, tokens: &[Token]) -> Vec<bool> {
    let mut starts = vec![false; tokens.len()];
    for sentence in sentence_splitter().sentences(text, tokens) {
        if let Some(start) = starts.get_mut(sentence.token_start) {
            *start = true;
        }
    }
    starts
}

/// The tokenizer whose sentence splitter `IS_SENT_START` follows, built once:
/// building one fills its tables, which costs more than splitting a document.
fn sentence_splitter() -> &'static rubric_tokenizer::Tokenizer {
    static SPLITTER: std::sync::OnceLock<rubric_tokenizer::Tokenizer> = std::sync::OnceLock::new();
    SPLITTER.get_or_init(rubric_tokenizer::Tokenizer::new)
}

/// The first token that does not fit `text`, as a `token_outside_text` error.
fn check_tokens(text: &str, tokens: &[Token]) -> Result<(), Error> {
    if let Some((index, token)) = tokens.iter().enumerate().find(|(_, token)| !fits(text, token)) {
        return Err(Error::new(ErrorKind::TokenOutsideText {
            index,
            start: token.start,
            end: token.end,
            text_len: text.len(),
        }));
    }
    Ok(())
}

/// The tokens of `tokens` that fit `text`: the slice itself when all do (the
/// usual case, no copy).
fn fitting_tokens<'t>(text: &str, tokens: &'t [Token]) -> Cow<'t, [Token]> {
    if tokens.iter().all(|token| fits(text, token)) {
        Cow::Borrowed(tokens)
    } else {
        Cow::Owned(tokens.iter().copied().filter(|token| fits(text, token)).collect())
    }
}

/// Whether `token` can be a token of `text`.
fn fits(text: &str, token: &Token) -> bool {
    token.start < token.end
        && text.is_char_boundary(token.start)
        && text.is_char_boundary(token.end)
}

/// Whether text written as `written` (normalized without case folding) agrees
/// with an entry's capitalization; the two are already equal once case-folded.
pub(crate) fn case_matches(
    pattern: &str,
    case: CasePolicy,
    written: &str,
    diacritics: bool,
) -> bool {
    let pattern = || normalize_pattern(pattern, Folding { case: false, diacritics });
    match case {
        CasePolicy::Insensitive => true,
        CasePolicy::Sensitive => pattern() == written,
        CasePolicy::Smart => smart_case_matches(&pattern(), written),
    }
}

/// The order in which exact duplicates keep one of them: the highest priority,
/// a dictionary entry before an alias, then the source name (never load order).
fn duplicate_order(a: &Candidate<'_>, b: &Candidate<'_>) -> std::cmp::Ordering {
    (a.start, a.end, a.label, a.id)
        .cmp(&(b.start, b.end, b.label, b.id))
        .then(b.priority.cmp(&a.priority))
        .then(a.rule.cmp(&b.rule))
        .then_with(|| a.source.cmp_written(&b.source))
}

/// Why `winner` beat `candidate` under `policy`: under `longest`, a different
/// span loses for its position or length whatever its priority.
fn why(candidate: &Candidate<'_>, winner: &Candidate<'_>, policy: OverlapPolicy) -> DropReason {
    if candidate.same_span(winner) {
        if candidate.priority < winner.priority {
            DropReason::LowerPriority
        } else {
            DropReason::Ambiguous
        }
    } else if policy == OverlapPolicy::Priority && candidate.priority < winner.priority {
        DropReason::LowerPriority
    } else if winner.contains(candidate) {
        DropReason::Shorter
    } else {
        DropReason::Overlapping
    }
}

fn sort_dropped(dropped: &mut [Dropped]) {
    dropped.sort_by(|a, b| {
        let (a, b) = (&a.candidate, &b.candidate);
        (a.start, a.end, &a.label, &a.id, &a.source)
            .cmp(&(b.start, b.end, &b.label, &b.id, &b.source))
    });
}

/// Whether no candidate is empty (what [`leftmost_longest`] needs); of
/// candidates or references to them.
fn none_empty<'a, C: std::borrow::Borrow<Candidate<'a>>>(candidates: &[C]) -> bool {
    candidates.iter().map(C::borrow).all(|candidate| candidate.start < candidate.end)
}

/// Whether [`Matcher`] keeps the dropped candidates (the trace) or only the spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trace {
    Dropped,
    None,
}

/// Resolves overlapping candidates by `policy`; the dropped ones are traced
/// only if `trace` asks for them.
fn resolve(mut candidates: Vec<&Candidate<'_>>, policy: OverlapPolicy, trace: Trace) -> Matches {
    if trace == Trace::None && policy == OverlapPolicy::Longest && none_empty(&candidates) {
        candidates.sort_by_key(|candidate| candidate.start);
        return longest_spans(candidates);
    }
    let mut dropped = Vec::new();
    // Sorted as references: a candidate is ten words, a reference one.
    let mut spans = select(candidates, policy, |candidate, winner: &&Candidate<'_>, reason| {
        if trace == Trace::Dropped {
            dropped.push(Dropped {
                winner: Some(winner.to_match()),
                candidate: candidate.to_match(),
                reason,
            })
        }
    });
    spans.sort_by(|a, b| (a.start, a.end, a.label, a.id).cmp(&(b.start, b.end, b.label, b.id)));
    sort_dropped(&mut dropped);
    Matches { spans: spans.into_iter().map(|candidate| candidate.to_match()).collect(), dropped }
}

/// The spans the `longest` policy keeps of candidates sorted by start (stable),
/// without a trace (see [`leftmost_longest`]).
fn longest_spans(by_start: Vec<&Candidate<'_>>) -> Matches {
    Matches {
        spans: leftmost_longest(by_start)
            .into_iter()
            .map(|candidate| candidate.to_match())
            .collect(),
        dropped: Vec::new(),
    }
}

/// The spans [`resolve`] keeps, in its order, without its trace, as candidates:
/// the alias pass reads the first resolution's spans, and only the spans kept in
/// the end are made matches.
///
/// For the policies but `longest` on candidates none of which is empty (that
/// one reads the candidates sorted once, in [`Matcher::find_fitting`]).
fn resolved_spans<'c, 'a>(
    candidates: &'c [Candidate<'a>],
    policy: OverlapPolicy,
) -> Vec<&'c Candidate<'a>> {
    let by_ref: Vec<&Candidate<'a>> = candidates.iter().collect();
    let mut spans = select(by_ref, policy, |_, _: &&Candidate<'_>, _| {});
    spans.sort_by(|a, b| (a.start, a.end, a.label, a.id).cmp(&(b.start, b.end, b.label, b.id)));
    spans
}

/// The spans the `longest` policy keeps, in order, without sorting every
/// candidate twice as [`select`] does (it must, to trace each loser): where a
/// kept span starts, the winner is the least candidate starting there by
/// (longer, higher priority, label, id, then [`duplicate_order`]'s tie-breaks),
/// which one pass over the candidates grouped by start finds. A thousand token
/// patterns make tens of candidates per sentence; sorting them by strings was
/// most of the resolution's time. Takes candidates none of which is empty
/// ([`none_empty`]): an empty one's overlap semantics are [`select`]'s to
/// decide.
fn leftmost_longest<'c, 'a>(mut by_start: Vec<&'c Candidate<'a>>) -> Vec<&'c Candidate<'a>> {
    // Sorted by start by the caller, stably: of candidates equal in every
    // compared part, the first one given wins, as in `select`.
    debug_assert!(by_start.is_sorted_by_key(|candidate| candidate.start));
    // The winners are written over the sorted list, which they never overtake
    // (one per group of candidates that start together).
    let (mut kept, mut at, mut reach) = (0, 0, 0);
    while let Some(&first) = by_start.get(at) {
        let group = by_start[at..].iter().take_while(|c| c.start == first.start).count();
        if first.start >= reach {
            let winner =
                by_start[at + 1..at + group].iter().copied().fold(first, |best, candidate| {
                    if longest_order(candidate, best) == std::cmp::Ordering::Less {
                        candidate
                    } else {
                        best
                    }
                });
            reach = winner.end;
            by_start[kept] = winner;
            kept += 1;
        }
        at += group;
    }
    by_start.truncate(kept);
    by_start
}

/// The order of candidates that start at one place under the `longest` policy,
/// the best first: the one [`select`] keeps of them.
fn longest_order(a: &Candidate<'_>, b: &Candidate<'_>) -> std::cmp::Ordering {
    (std::cmp::Reverse(a.end), std::cmp::Reverse(a.priority), a.label, a.id)
        .cmp(&(std::cmp::Reverse(b.end), std::cmp::Reverse(b.priority), b.label, b.id))
        .then(a.rule.cmp(&b.rule))
        .then_with(|| a.source.cmp_written(&b.source))
}

/// The candidates `policy` keeps, in no particular order; each one it drops goes
/// to `drop(candidate, winner, reason)`. Generic over owning or borrowing the
/// candidates, so that [`resolve`] and [`resolved_spans`] share one implementation.
fn select<'a, M: std::borrow::Borrow<Candidate<'a>>>(
    mut candidates: Vec<M>,
    policy: OverlapPolicy,
    mut drop: impl FnMut(M, &M, DropReason),
) -> Vec<M> {
    candidates.sort_by(|a, b| duplicate_order(a.borrow(), b.borrow()));
    let mut unique: Vec<M> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        match unique.last() {
            Some(kept)
                if kept.borrow().same_span(candidate.borrow())
                    && kept.borrow().label == candidate.borrow().label
                    && kept.borrow().id == candidate.borrow().id =>
            {
                drop(candidate, kept, DropReason::Duplicate);
            }
            _ => unique.push(candidate),
        }
    }
    match policy {
        OverlapPolicy::All => unique,
        OverlapPolicy::Longest => {
            unique.sort_by(|a, b| {
                let (a, b) = (a.borrow(), b.borrow());
                (a.start, std::cmp::Reverse(a.end), std::cmp::Reverse(a.priority), a.label, a.id)
                    .cmp(&(
                        b.start,
                        std::cmp::Reverse(b.end),
                        std::cmp::Reverse(b.priority),
                        b.label,
                        b.id,
                    ))
            });
            let mut kept: Vec<M> = Vec::new();
            for candidate in unique {
                match kept.last() {
                    Some(winner) if candidate.borrow().start < winner.borrow().end => {
                        let reason = why(candidate.borrow(), winner.borrow(), policy);
                        drop(candidate, winner, reason);
                    }
                    _ => kept.push(candidate),
                }
            }
            kept
        }
        OverlapPolicy::Priority => {
            unique.sort_by(|a, b| {
                let (a, b) = (a.borrow(), b.borrow());
                (std::cmp::Reverse(a.priority), std::cmp::Reverse(a.len()), a.start, a.label, a.id)
                    .cmp(&(
                        std::cmp::Reverse(b.priority),
                        std::cmp::Reverse(b.len()),
                        b.start,
                        b.label,
                        b.id,
                    ))
            });
            // Kept matches are disjoint, so the one starting last before a
            // candidate's end is the only one that can overlap it.
            let mut kept: BTreeMap<usize, M> = BTreeMap::new();
            for candidate in unique {
                let blocker = kept
                    .range(..candidate.borrow().end)
                    .next_back()
                    .map(|(_, winner)| winner)
                    .filter(|winner| winner.borrow().overlaps(candidate.borrow()));
                match blocker {
                    Some(winner) => {
                        let reason = why(candidate.borrow(), winner.borrow(), policy);
                        drop(candidate, winner, reason);
                    }
                    None => {
                        kept.insert(candidate.borrow().start, candidate);
                    }
                }
            }
            kept.into_values().collect()
        }
    }
}
