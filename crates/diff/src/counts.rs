//! Counts and the figures computed from them, per schema.

use std::ops::AddAssign;

use serde::Serialize;

use crate::Schema;

/// The five outcomes of one schema, before any figure is computed from them.
///
/// Tallies add up (over documents, over labels); [`Counts`] are computed from a
/// tally, never added, so that a summed precision is the precision of the sums.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tally {
    /// Predictions judged correct.
    pub correct: u64,
    /// Predictions judged incorrect (matched to a gold span, but wrong).
    pub incorrect: u64,
    /// Predictions judged partial (only [`Schema::Partial`]).
    pub partial: u64,
    /// Gold spans no prediction was matched to.
    pub missed: u64,
    /// Predictions not matched to any gold span.
    pub spurious: u64,
}

impl AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.correct += other.correct;
        self.incorrect += other.incorrect;
        self.partial += other.partial;
        self.missed += other.missed;
        self.spurious += other.spurious;
    }
}

impl Tally {
    /// Gold spans: `correct + incorrect + partial + missed`.
    pub fn possible(&self) -> u64 {
        self.correct + self.incorrect + self.partial + self.missed
    }

    /// Predicted spans: `correct + incorrect + partial + spurious`.
    pub fn actual(&self) -> u64 {
        self.correct + self.incorrect + self.partial + self.spurious
    }

    /// The counts and figures of this tally under `schema`.
    ///
    /// Computed exactly as nervaluate 1.x's `EvaluationResult.compute_metrics`, in
    /// the same order of floating-point operations, so the figures are equal to the
    /// last bit: precision is `correct / actual` (`(correct + 0.5 * partial) /
    /// actual` for `partial` and `type`), recall the same over `possible`, both 0
    /// when their denominator is, and F1 is `2 * (P * R) / (P + R)`, 0 when
    /// `P + R` is.
    pub fn counts(&self, schema: Schema) -> Counts {
        let actual = self.actual();
        let possible = self.possible();
        let credited = if schema.counts_partial_half() {
            self.correct as f64 + 0.5 * self.partial as f64
        } else {
            self.correct as f64
        };
        let precision = if actual > 0 { credited / actual as f64 } else { 0.0 };
        let recall = if possible > 0 { credited / possible as f64 } else { 0.0 };
        let f1 = if precision + recall > 0.0 {
            2.0 * (precision * recall) / (precision + recall)
        } else {
            0.0
        };
        Counts {
            correct: self.correct,
            incorrect: self.incorrect,
            partial: self.partial,
            missed: self.missed,
            spurious: self.spurious,
            possible,
            actual,
            precision,
            recall,
            f1,
        }
    }
}

/// One schema's counts and figures: nervaluate's `EvaluationResult`.
///
/// Invariants: `possible = correct + incorrect + partial + missed` (the gold
/// spans) and `actual = correct + incorrect + partial + spurious` (the predicted
/// spans).
///
/// The fields are declared in alphabetical order, because serde writes them in
/// the order declared and the JSON report has always written its keys sorted (it
/// was first built as a `serde_json::Value`, whose map sorts them): reports that
/// users keep and compare stay byte for byte the same. The same holds for every
/// type the report serializes; a test in `json.rs` checks it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Predicted spans.
    pub actual: u64,
    /// Predictions judged correct.
    pub correct: u64,
    /// F1, the harmonic mean of precision and recall.
    pub f1: f64,
    /// Predictions judged incorrect.
    pub incorrect: u64,
    /// Gold spans left unmatched.
    pub missed: u64,
    /// Predictions judged partial.
    pub partial: u64,
    /// Gold spans.
    pub possible: u64,
    /// Precision, in [0, 1].
    pub precision: f64,
    /// Recall, in [0, 1].
    pub recall: f64,
    /// Predictions left unmatched.
    pub spurious: u64,
}

impl Counts {
    /// The outcomes these counts were computed from.
    pub fn tally(&self) -> Tally {
        Tally {
            correct: self.correct,
            incorrect: self.incorrect,
            partial: self.partial,
            missed: self.missed,
            spurious: self.spurious,
        }
    }
}

/// One value per schema: [`Scores`] (the counts of one comparison under all
/// four) and [`MacroScores`] (their macro averages) are this, so that the one
/// way to pick a schema's value is [`PerSchema::get`].
///
/// Fields in alphabetical order of their JSON names, as [`Counts`] says why.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PerSchema<T> {
    /// Under [`Schema::Exact`].
    pub exact: T,
    /// Under [`Schema::Partial`].
    pub partial: T,
    /// Under [`Schema::Strict`].
    pub strict: T,
    /// Under [`Schema::Type`] (nervaluate's `ent_type`).
    #[serde(rename = "type")]
    pub entity_type: T,
}

impl<T> PerSchema<T> {
    /// The value under `schema`.
    pub fn get(&self, schema: Schema) -> &T {
        match schema {
            Schema::Strict => &self.strict,
            Schema::Exact => &self.exact,
            Schema::Partial => &self.partial,
            Schema::Type => &self.entity_type,
        }
    }

    pub(crate) fn get_mut(&mut self, schema: Schema) -> &mut T {
        match schema {
            Schema::Strict => &mut self.strict,
            Schema::Exact => &mut self.exact,
            Schema::Partial => &mut self.partial,
            Schema::Type => &mut self.entity_type,
        }
    }
}

/// The same comparison under all four schemas.
pub type Scores = PerSchema<Counts>;

impl Scores {
    /// Scores from one tally per schema, in [`Schema::ALL`] order.
    pub(crate) fn from_tallies(tallies: &Tallies) -> Scores {
        let mut scores = Scores::default();
        for (schema, tally) in Schema::ALL.into_iter().zip(tallies) {
            *scores.get_mut(schema) = tally.counts(schema);
        }
        scores
    }
}

/// One tally per schema, in [`Schema::ALL`] order.
pub(crate) type Tallies = [Tally; 4];

/// Precision, recall and F1 without counts: an average over labels.
///
/// Fields in alphabetical order, as [`Counts`] says why.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// F1.
    pub f1: f64,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
}

/// The macro average under all four schemas: the unweighted mean, over the labels,
/// of each label's precision, recall and F1 (so F1 is the mean of the labels' F1,
/// not the F1 of the mean precision and recall, as in scikit-learn).
pub type MacroScores = PerSchema<Figures>;

impl MacroScores {
    /// The mean of `labels`' figures, label by label in the order given; all zero
    /// when there is no label.
    pub(crate) fn mean<'a>(labels: impl IntoIterator<Item = &'a Scores>) -> MacroScores {
        let mut sums = MacroScores::default();
        let mut n = 0usize;
        for scores in labels {
            n += 1;
            for schema in Schema::ALL {
                let counts = scores.get(schema);
                let sum = sums.get_mut(schema);
                sum.precision += counts.precision;
                sum.recall += counts.recall;
                sum.f1 += counts.f1;
            }
        }
        if n > 0 {
            for schema in Schema::ALL {
                let sum = sums.get_mut(schema);
                sum.precision /= n as f64;
                sum.recall /= n as f64;
                sum.f1 /= n as f64;
            }
        }
        sums
    }
}
