//! The four schemas, counted as nervaluate 1.x counts them.
//!
//! ## How nervaluate counts, and how we match it
//!
//! nervaluate's `Entity` has an **inclusive** end; rubric's spans are half-open.
//! A rubric span `[start, end)` is nervaluate's `Entity(label, start, end - 1)`, in
//! the same offset unit, and with that mapping every count here equals
//! nervaluate's (the interop suite checks it). The rules, restated in half-open
//! terms:
//!
//! - A prediction **overlaps enough** a gold span when they share at least one
//!   unit and the shared length is at least `min_overlap_percentage` percent of
//!   the **gold** span's length: `shared / gold_len * 100.0 >= min` (1.0 by
//!   default, so a one-unit overlap is enough unless the gold span is longer than
//!   100 units).
//! - Predictions are judged one by one **in the order given**; gold spans are
//!   scanned in their order, and a gold span matched once (as correct, incorrect
//!   or partial) is never matched again. Order therefore matters, which is why
//!   [`Differ`](crate::Differ) sorts both sides by `(start, end, label)` first.
//! - `strict` / `exact` / `partial`: the first unmatched gold span with the same
//!   boundaries (and, for `strict`, the same label) makes the prediction correct.
//!   Failing that, the first unmatched gold span it overlaps enough makes it
//!   incorrect (`partial`: partial). Failing that, it is spurious.
//! - `type`: among the unmatched gold spans it overlaps enough with the same
//!   label, the one with the smallest `|Δstart| + |Δend|` (the first on a tie)
//!   makes it correct; failing that, the first overlapping one with another label
//!   makes it incorrect; failing that, it is spurious.
//! - Gold spans left unmatched are missed.

use serde::Serialize;

use crate::{Schema, Tally};

/// A span reduced to what scoring reads: half-open offsets in the scoring unit,
/// and a label. `start < end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entity<'a> {
    /// First unit of the span.
    pub start: usize,
    /// One past the last unit of the span.
    pub end: usize,
    /// The label.
    pub label: &'a str,
}

impl<'a> Entity<'a> {
    /// An entity; `start` must be less than `end`.
    pub fn new(start: usize, end: usize, label: &'a str) -> Self {
        Entity { start, end, label }
    }

    fn same_boundaries(&self, other: &Entity<'_>) -> bool {
        self.start == other.start && self.end == other.end
    }
}

/// What became of one prediction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase", tag = "outcome", content = "gold")]
pub enum Outcome {
    /// Correct, matched to the gold span at this index.
    Correct(usize),
    /// Incorrect, matched to the gold span at this index.
    Incorrect(usize),
    /// Partial, matched to the gold span at this index.
    Partial(usize),
    /// Matched to no gold span.
    Spurious,
}

impl Outcome {
    /// The index of the gold span the prediction was matched to, if any.
    pub fn gold(self) -> Option<usize> {
        match self {
            Outcome::Correct(gold) | Outcome::Incorrect(gold) | Outcome::Partial(gold) => {
                Some(gold)
            }
            Outcome::Spurious => None,
        }
    }
}

/// The result of judging one list of predictions against one list of gold spans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// The outcome of each prediction, in the order of the predictions.
    pub predictions: Vec<Outcome>,
    /// The indices of the gold spans no prediction was matched to, ascending.
    pub missed: Vec<usize>,
}

impl Evaluation {
    /// The five outcomes counted.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally { missed: self.missed.len() as u64, ..Tally::default() };
        for outcome in &self.predictions {
            match outcome {
                Outcome::Correct(_) => tally.correct += 1,
                Outcome::Incorrect(_) => tally.incorrect += 1,
                Outcome::Partial(_) => tally.partial += 1,
                Outcome::Spurious => tally.spurious += 1,
            }
        }
        tally
    }
}

/// The default minimum overlap, in percent of the gold span: nervaluate's default.
pub const DEFAULT_MIN_OVERLAP_PERCENTAGE: f64 = 1.0;

/// Judges `pred` against `gold` under `schema`, in the order given (see the
/// module documentation for the rules), with the default minimum overlap.
///
/// ```
/// use rubric_diff::{evaluate, Entity, Schema};
///
/// let gold = [Entity::new(0, 5, "GPE"), Entity::new(10, 20, "PER")];
/// let pred = [Entity::new(0, 5, "ORG"), Entity::new(12, 20, "PER")];
/// let strict = evaluate(Schema::Strict, &gold, &pred).tally();
/// assert_eq!((strict.correct, strict.incorrect), (0, 2));
/// let entity_type = evaluate(Schema::Type, &gold, &pred).tally();
/// assert_eq!((entity_type.correct, entity_type.incorrect), (1, 1));
/// ```
pub fn evaluate(schema: Schema, gold: &[Entity<'_>], pred: &[Entity<'_>]) -> Evaluation {
    evaluate_with(schema, gold, pred, DEFAULT_MIN_OVERLAP_PERCENTAGE)
}

/// [`evaluate`] with a minimum overlap other than 1% (nervaluate's
/// `min_overlap_percentage`, between 1 and 100).
pub fn evaluate_with(
    schema: Schema,
    gold: &[Entity<'_>],
    pred: &[Entity<'_>],
    min_overlap_percentage: f64,
) -> Evaluation {
    let mut matched = vec![false; gold.len()];
    let mut predictions = Vec::with_capacity(pred.len());
    for p in pred {
        let outcome = match schema {
            Schema::Strict | Schema::Exact | Schema::Partial => {
                judge_by_boundaries(schema, p, gold, &matched, min_overlap_percentage)
            }
            Schema::Type => judge_by_type(p, gold, &matched, min_overlap_percentage),
        };
        if let Some(g) = outcome.gold() {
            matched[g] = true;
        }
        predictions.push(outcome);
    }
    let missed = (0..gold.len()).filter(|&g| !matched[g]).collect();
    Evaluation { predictions, missed }
}

/// `strict`, `exact`, `partial`: an exact match wins, else the first enough overlap.
fn judge_by_boundaries(
    schema: Schema,
    p: &Entity<'_>,
    gold: &[Entity<'_>],
    matched: &[bool],
    min_overlap_percentage: f64,
) -> Outcome {
    let mut first_overlap = None;
    for (g, true_span) in gold.iter().enumerate() {
        if matched[g] {
            continue;
        }
        let exact = p.same_boundaries(true_span)
            && (schema != Schema::Strict || p.label == true_span.label);
        if exact {
            return Outcome::Correct(g);
        }
        if first_overlap.is_none() && overlaps_enough(p, true_span, min_overlap_percentage) {
            first_overlap = Some(g);
        }
    }
    match (first_overlap, schema) {
        (Some(g), Schema::Partial) => Outcome::Partial(g),
        (Some(g), _) => Outcome::Incorrect(g),
        (None, _) => Outcome::Spurious,
    }
}

/// `type`: the closest same-label overlap wins, else the first other-label overlap.
fn judge_by_type(
    p: &Entity<'_>,
    gold: &[Entity<'_>],
    matched: &[bool],
    min_overlap_percentage: f64,
) -> Outcome {
    let mut closest: Option<(usize, usize)> = None; // (gold index, boundary distance)
    let mut first_other_label = None;
    for (g, true_span) in gold.iter().enumerate() {
        if matched[g] || !overlaps_enough(p, true_span, min_overlap_percentage) {
            continue;
        }
        if p.label == true_span.label {
            let distance = p.start.abs_diff(true_span.start) + p.end.abs_diff(true_span.end);
            if closest.is_none_or(|(_, best)| distance < best) {
                closest = Some((g, distance));
            }
        } else if first_other_label.is_none() {
            first_other_label = Some(g);
        }
    }
    match (closest, first_other_label) {
        (Some((g, _)), _) => Outcome::Correct(g),
        (None, Some(g)) => Outcome::Incorrect(g),
        (None, None) => Outcome::Spurious,
    }
}

/// Whether `p` shares at least `min` percent of `true_span`'s length with it.
///
/// nervaluate computes `(overlap / true_len) * 100.0` in floating point and
/// compares with `>=`; so do we, with the same operands, so a borderline case
/// (a 1-unit overlap on a 100-unit span) falls the same way.
fn overlaps_enough(p: &Entity<'_>, true_span: &Entity<'_>, min_overlap_percentage: f64) -> bool {
    let shared = p.end.min(true_span.end).saturating_sub(p.start.max(true_span.start));
    if shared == 0 {
        return false;
    }
    let true_len = true_span.end - true_span.start;
    (shared as f64 / true_len as f64) * 100.0 >= min_overlap_percentage
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Parses `"0-5 PER, 10-20 ORG"` into entities (half-open offsets).
    fn entities(spec: &str) -> Vec<Entity<'_>> {
        spec.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                let (range, label) = s.split_once(' ').expect("`start-end LABEL`");
                let (start, end) = range.split_once('-').expect("`start-end`");
                Entity::new(start.parse().unwrap(), end.parse().unwrap(), label)
            })
            .collect()
    }

    /// `(correct, incorrect, partial, missed, spurious)`.
    fn five(tally: Tally) -> (u64, u64, u64, u64, u64) {
        (tally.correct, tally.incorrect, tally.partial, tally.missed, tally.spurious)
    }

    /// One line per case: name, gold, prediction, then the five counts
    /// (correct, incorrect, partial, missed, spurious) under strict, exact,
    /// partial and type.
    macro_rules! cases {
        ($($name:ident: $gold:expr, $pred:expr => $strict:expr, $exact:expr, $partial:expr, $type:expr;)*) => {
            $(
                #[test]
                fn $name() {
                    let gold = entities($gold);
                    let pred = entities($pred);
                    for (schema, want) in Schema::ALL.into_iter().zip([$strict, $exact, $partial, $type]) {
                        let got = five(evaluate(schema, &gold, &pred).tally());
                        assert_eq!(got, want, "{schema}: gold [{}], pred [{}]", $gold, $pred);
                    }
                }
            )*
        };
    }

    cases! {
        // name:                        gold,                        pred                         => strict,           exact,            partial,          type
        identical:                      "0-5 PER",                   "0-5 PER"                    => (1, 0, 0, 0, 0), (1, 0, 0, 0, 0), (1, 0, 0, 0, 0), (1, 0, 0, 0, 0);
        nothing_at_all:                 "",                          ""                           => (0, 0, 0, 0, 0), (0, 0, 0, 0, 0), (0, 0, 0, 0, 0), (0, 0, 0, 0, 0);
        only_missed:                    "0-5 PER",                   ""                           => (0, 0, 0, 1, 0), (0, 0, 0, 1, 0), (0, 0, 0, 1, 0), (0, 0, 0, 1, 0);
        only_spurious:                  "",                          "0-5 PER"                    => (0, 0, 0, 0, 1), (0, 0, 0, 0, 1), (0, 0, 0, 0, 1), (0, 0, 0, 0, 1);
        wrong_label:                    "0-5 PER",                   "0-5 ORG"                    => (0, 1, 0, 0, 0), (1, 0, 0, 0, 0), (1, 0, 0, 0, 0), (0, 1, 0, 0, 0);
        wrong_boundary:                 "0-5 PER",                   "0-7 PER"                    => (0, 1, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (1, 0, 0, 0, 0);
        wrong_label_and_boundary:       "0-5 PER",                   "2-9 ORG"                    => (0, 1, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (0, 1, 0, 0, 0);
        disjoint:                       "0-5 PER",                   "6-9 PER"                    => (0, 0, 0, 1, 1), (0, 0, 0, 1, 1), (0, 0, 0, 1, 1), (0, 0, 0, 1, 1);
        // Half-open spans that touch share nothing: [0,5) and [5,9) are disjoint.
        touching_after:                 "0-5 PER",                   "5-9 PER"                    => (0, 0, 0, 1, 1), (0, 0, 0, 1, 1), (0, 0, 0, 1, 1), (0, 0, 0, 1, 1);
        touching_before:                "5-9 PER",                   "0-5 PER"                    => (0, 0, 0, 1, 1), (0, 0, 0, 1, 1), (0, 0, 0, 1, 1), (0, 0, 0, 1, 1);
        one_unit_overlap_at_end:        "0-5 PER",                   "4-9 PER"                    => (0, 1, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (1, 0, 0, 0, 0);
        one_unit_overlap_at_start:      "4-9 PER",                   "0-5 PER"                    => (0, 1, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (1, 0, 0, 0, 0);
        one_unit_spans:                 "3-4 PER",                   "3-4 PER"                    => (1, 0, 0, 0, 0), (1, 0, 0, 0, 0), (1, 0, 0, 0, 0), (1, 0, 0, 0, 0);
        pred_nested_in_gold:            "0-20 ORG",                  "5-10 ORG"                   => (0, 1, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (1, 0, 0, 0, 0);
        gold_nested_in_pred:            "5-10 ORG",                  "0-20 ORG"                   => (0, 1, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (1, 0, 0, 0, 0);
        // Nested gold, sorted by (start, end): the inner span starts with the outer
        // one and is shorter, so it comes first. `type` prefers a same-label match
        // over the first overlap.
        nested_gold_both_predicted:     "0-5 GPE, 0-20 ORG",         "0-5 GPE, 0-20 ORG"          => (2, 0, 0, 0, 0), (2, 0, 0, 0, 0), (2, 0, 0, 0, 0), (2, 0, 0, 0, 0);
        nested_gold_outer_predicted:    "0-5 GPE, 0-20 ORG",         "0-20 ORG"                   => (1, 0, 0, 1, 0), (1, 0, 0, 1, 0), (1, 0, 0, 1, 0), (1, 0, 0, 1, 0);
        nested_gold_inner_predicted:    "0-5 GPE, 0-20 ORG",         "0-5 GPE"                    => (1, 0, 0, 1, 0), (1, 0, 0, 1, 0), (1, 0, 0, 1, 0), (1, 0, 0, 1, 0);
        // The same span with two labels on the gold side: one is matched, one missed.
        two_labels_gold_one_pred:       "0-5 GPE, 0-5 ORG",          "0-5 ORG"                    => (1, 0, 0, 1, 0), (1, 0, 0, 1, 0), (1, 0, 0, 1, 0), (1, 0, 0, 1, 0);
        two_labels_gold_other_pred:     "0-5 GPE, 0-5 ORG",          "0-5 PER"                    => (0, 1, 0, 1, 0), (1, 0, 0, 1, 0), (1, 0, 0, 1, 0), (0, 1, 0, 1, 0);
        two_labels_both_sides:          "0-5 GPE, 0-5 ORG",          "0-5 GPE, 0-5 ORG"           => (2, 0, 0, 0, 0), (2, 0, 0, 0, 0), (2, 0, 0, 0, 0), (2, 0, 0, 0, 0);
        two_labels_pred_one_gold:       "0-5 GPE",                   "0-5 GPE, 0-5 ORG"           => (1, 0, 0, 0, 1), (1, 0, 0, 0, 1), (1, 0, 0, 0, 1), (1, 0, 0, 0, 1);
        // Greedy in prediction order: the first prediction takes the gold span as
        // incorrect (strict, type), and the exact match after it finds nothing left.
        greedy_steals_the_match:        "0-5 ORG",                   "0-5 GPE, 0-5 ORG"           => (0, 1, 0, 0, 1), (1, 0, 0, 0, 1), (1, 0, 0, 0, 1), (0, 1, 0, 0, 1);
        greedy_incorrect_first:         "0-5 ORG",                   "0-4 ORG, 0-5 ORG"           => (0, 1, 0, 0, 1), (0, 1, 0, 0, 1), (0, 0, 1, 0, 1), (1, 0, 0, 0, 1);
        // `type` picks the closest same-label gold span, not the first.
        type_prefers_closest_boundary:  "0-10 PER, 2-6 PER",         "2-7 PER"                    => (0, 1, 0, 1, 0), (0, 1, 0, 1, 0), (0, 0, 1, 1, 0), (1, 0, 0, 1, 0);
        type_prefers_same_label:        "0-5 ORG, 0-6 PER",          "0-6 PER"                    => (1, 0, 0, 1, 0), (1, 0, 0, 1, 0), (1, 0, 0, 1, 0), (1, 0, 0, 1, 0);
        type_tie_goes_to_first:         "0-4 PER, 2-6 PER",          "1-5 PER"                    => (0, 1, 0, 1, 0), (0, 1, 0, 1, 0), (0, 0, 1, 1, 0), (1, 0, 0, 1, 0);
        // The 1% threshold is relative to the gold span: one unit of 100 is 1%,
        // one unit of 101 is not.
        long_gold_one_unit_of_100:      "0-100 ORG",                 "99-120 ORG"                 => (0, 1, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (1, 0, 0, 0, 0);
        long_gold_one_unit_of_101:      "0-101 ORG",                 "100-120 ORG"                => (0, 0, 0, 1, 1), (0, 0, 0, 1, 1), (0, 0, 0, 1, 1), (0, 0, 0, 1, 1);
        long_gold_two_units_of_101:     "0-101 ORG",                 "99-120 ORG"                 => (0, 1, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (1, 0, 0, 0, 0);
        long_pred_short_gold:           "50-51 ORG",                 "0-1000 ORG"                 => (0, 1, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (1, 0, 0, 0, 0);
        two_preds_one_gold:             "0-10 PER",                  "0-4 PER, 6-10 PER"          => (0, 1, 0, 0, 1), (0, 1, 0, 0, 1), (0, 0, 1, 0, 1), (1, 0, 0, 0, 1);
        one_pred_two_golds:             "0-4 PER, 6-10 PER",         "0-10 PER"                   => (0, 1, 0, 1, 0), (0, 1, 0, 1, 0), (0, 0, 1, 1, 0), (1, 0, 0, 1, 0);
        crossing:                       "0-6 PER, 4-10 ORG",         "4-10 PER, 0-6 ORG"          => (0, 2, 0, 0, 0), (2, 0, 0, 0, 0), (2, 0, 0, 0, 0), (2, 0, 0, 0, 0);
    }

    #[test]
    fn figures_follow_nervaluate() {
        let tally = Tally { correct: 3, incorrect: 1, partial: 2, missed: 1, spurious: 1 };
        let strict = tally.counts(Schema::Strict);
        assert_eq!((strict.possible, strict.actual), (7, 7));
        assert_eq!(strict.precision, 3.0 / 7.0);
        let partial = tally.counts(Schema::Partial);
        assert_eq!(partial.precision, (3.0 + 0.5 * 2.0) / 7.0);
        assert_eq!(partial.f1, 2.0 * (partial.precision * partial.recall) / (4.0 / 7.0 * 2.0));
        let empty = Tally::default().counts(Schema::Strict);
        assert_eq!((empty.precision, empty.recall, empty.f1), (0.0, 0.0, 0.0));
    }

    #[test]
    fn outcomes_name_the_gold_span() {
        let gold = entities("0-5 PER, 10-15 ORG");
        let pred = entities("10-15 GPE, 0-5 PER, 30-35 PER");
        let evaluation = evaluate(Schema::Strict, &gold, &pred);
        assert_eq!(
            evaluation.predictions,
            [Outcome::Incorrect(1), Outcome::Correct(0), Outcome::Spurious]
        );
        assert!(evaluation.missed.is_empty());
    }

    #[test]
    fn a_higher_threshold_needs_more_overlap() {
        let gold = entities("0-10 PER");
        let pred = entities("5-20 PER");
        assert_eq!(five(evaluate_with(Schema::Type, &gold, &pred, 50.0).tally()), (1, 0, 0, 0, 0));
        assert_eq!(five(evaluate_with(Schema::Type, &gold, &pred, 60.0).tally()), (0, 0, 0, 1, 1));
    }

    const LABELS: [&str; 3] = ["PER", "ORG", "GPE"];

    fn arb_entities() -> impl Strategy<Value = Vec<(usize, usize, usize)>> {
        prop::collection::vec((0usize..60, 1usize..15, 0usize..LABELS.len()), 0..12)
    }

    fn to_entities(raw: &[(usize, usize, usize)]) -> Vec<Entity<'static>> {
        let mut entities: Vec<Entity<'static>> = raw
            .iter()
            .map(|&(start, len, label)| Entity::new(start, start + len, LABELS[label]))
            .collect();
        entities.sort_by(|a, b| (a.start, a.end, a.label).cmp(&(b.start, b.end, b.label)));
        entities
    }

    proptest! {
        #[test]
        fn counts_add_up(gold in arb_entities(), pred in arb_entities()) {
            let (gold, pred) = (to_entities(&gold), to_entities(&pred));
            for schema in Schema::ALL {
                let evaluation = evaluate(schema, &gold, &pred);
                let counts = evaluation.tally().counts(schema);
                prop_assert_eq!(counts.possible, gold.len() as u64);
                prop_assert_eq!(counts.actual, pred.len() as u64);
                prop_assert_eq!(counts.possible, counts.correct + counts.incorrect + counts.partial + counts.missed);
                prop_assert_eq!(counts.actual, counts.correct + counts.incorrect + counts.partial + counts.spurious);
                // Every gold span is matched at most once.
                let mut used: Vec<usize> = evaluation.predictions.iter().filter_map(|o| o.gold()).collect();
                let matched = used.len();
                used.sort_unstable();
                used.dedup();
                prop_assert_eq!(used.len(), matched);
                if schema != Schema::Partial {
                    prop_assert_eq!(counts.partial, 0);
                }
                if schema == Schema::Partial {
                    prop_assert_eq!(counts.incorrect, 0);
                }
                for figure in [counts.precision, counts.recall, counts.f1] {
                    prop_assert!((0.0..=1.0).contains(&figure));
                }
            }
        }

        #[test]
        fn a_set_against_itself_is_perfect(gold in arb_entities()) {
            let gold = to_entities(&gold);
            for schema in Schema::ALL {
                let counts = evaluate(schema, &gold, &gold).tally().counts(schema);
                prop_assert_eq!(counts.correct, gold.len() as u64);
                prop_assert_eq!(counts.possible, counts.correct);
                prop_assert_eq!(counts.actual, counts.correct);
                if !gold.is_empty() {
                    prop_assert_eq!((counts.precision, counts.recall, counts.f1), (1.0, 1.0, 1.0));
                }
            }
        }

        #[test]
        fn strict_correct_is_the_least(gold in arb_entities(), pred in arb_entities()) {
            let (gold, pred) = (to_entities(&gold), to_entities(&pred));
            let strict = evaluate(Schema::Strict, &gold, &pred).tally();
            for schema in [Schema::Exact, Schema::Partial] {
                prop_assert!(evaluate(schema, &gold, &pred).tally().correct >= strict.correct);
            }
        }
    }
}
