//! What the matcher finds: matches, dropped candidates and why. A module of its
//! own so that the matcher and the alias finder (which makes matches too) both
//! depend on it, and not on each other.

use serde::Serialize;
use smol_str::SmolStr;

/// What produced a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    /// A dictionary entry.
    Entry,
    /// A token pattern (spaCy's Matcher language); `source` names it. Listed
    /// before the aliases: of two exact duplicates the direct match is kept.
    TokenPattern,
    /// A later standalone mention of the last name of a multi-word person match.
    LastNameAlias,
    /// An acronym in parentheses right after an organization match, and its later
    /// mentions.
    AcronymAlias,
    /// A later standalone mention of the first name of a multi-word person match,
    /// with no capitalized word next to it.
    FirstNameAlias,
    /// Another mention, anywhere in the document, of a name a token pattern found
    /// (`Blue Harbor Trust` found once by a rule is that name everywhere).
    SameNameAlias,
    /// A later mention of an organization without its legal-form word
    /// (`Acme` after `Acme Communications`, `Acme` after `Acme Inc.`).
    ShortNameAlias,
}

/// One span found in the text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Match {
    /// Byte offset of the first byte, in the original text; a token start.
    pub start: usize,
    /// Byte offset one past the last byte, in the original text; a token end.
    pub end: usize,
    /// The label.
    pub label: SmolStr,
    /// The knowledge-base id, if the entry has one.
    pub id: Option<SmolStr>,
    /// `file:line` of the entry or token pattern (a token pattern with a `name`
    /// adds `#name`: `rules.jsonl:12#title_name`), or `alias:last-name` /
    /// `alias:acronym`.
    pub source: SmolStr,
    /// What produced it.
    pub rule: MatchRule,
    /// The entry's priority (an alias has its defining match's).
    pub priority: i32,
    /// For an alias: the byte range of the match that defined it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<[usize; 2]>,
}

impl Match {
    /// The matched text, `&text[start..end]` of the text it was found in (`None`
    /// if the offsets do not fit `text`).
    pub fn text<'t>(&self, text: &'t str) -> Option<&'t str> {
        text.get(self.start..self.end)
    }
}

/// Why a candidate was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DropReason {
    /// Same span, label and id as the winner (another entry or rule said the same).
    Duplicate,
    /// Inside the winner, which is longer.
    Shorter,
    /// Overlaps the winner, which starts earlier or (under `priority`) ranks higher.
    Overlapping,
    /// The winner overlaps it and has a higher priority.
    LowerPriority,
    /// Same span and priority as the winner but another label or id: the
    /// dictionary cannot tell them apart. The winner was picked by label (then id)
    /// order, never by load order; give one entry a higher priority to decide.
    Ambiguous,
    /// An alias inside a longer dictionary candidate: `Nasrallah` inside a
    /// `Nasrallah Street` entry is not the person.
    InsideLongerMatch,
}

/// A candidate that was dropped, the reason, and the candidate that beat it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// The dropped candidate.
    pub candidate: Match,
    /// Why.
    pub reason: DropReason,
    /// The candidate that won over it.
    pub winner: Option<Match>,
}

/// The result of [`Matcher::find`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Matches {
    /// The matches kept, sorted by `(start, end, label)`.
    pub spans: Vec<Match>,
    /// Every candidate that was not kept, sorted the same way by candidate.
    pub dropped: Vec<Dropped>,
}
