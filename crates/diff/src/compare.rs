//! Pairing documents by id and scoring every pair under the four schemas.

use std::collections::{BTreeMap, HashMap, HashSet};

use rubric_offsets::{OffsetMap, OffsetUnit};
use serde::Serialize;

use crate::counts::{MacroScores, Scores, Tallies};
use crate::error::{Error, ErrorKind};
use crate::evaluate::{evaluate_with, Entity, Evaluation, Outcome, DEFAULT_MIN_OVERLAP_PERCENTAGE};
use crate::{Annotations, Document, Schema, Span, Tally};

/// Configures a [`Differ`].
///
/// ```
/// use rubric_diff::DifferBuilder;
/// use rubric_offsets::OffsetUnit;
///
/// let differ = DifferBuilder::new()
///     .unit(OffsetUnit::Char)
///     .allow_missing(true)
///     .min_overlap_percentage(1.0)
///     .build()?;
/// # Ok::<(), rubric_diff::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct DifferBuilder {
    unit: OffsetUnit,
    allow_missing: bool,
    min_overlap_percentage: f64,
}

impl Default for DifferBuilder {
    fn default() -> Self {
        DifferBuilder::new()
    }
}

impl DifferBuilder {
    /// The defaults: code points, missing documents are errors, 1% minimum overlap.
    pub fn new() -> Self {
        DifferBuilder {
            unit: OffsetUnit::Char,
            allow_missing: false,
            min_overlap_percentage: DEFAULT_MIN_OVERLAP_PERCENTAGE,
        }
    }

    /// The unit spans are measured in when scoring. Only the overlap threshold
    /// (a percentage of the gold span's length) and `type`'s choice of the closest
    /// gold span depend on it. Code points by default, as Python `str` indices,
    /// which is what nervaluate is usually fed.
    pub fn unit(mut self, unit: OffsetUnit) -> Self {
        self.unit = unit;
        self
    }

    /// Whether a document on one side only, or with different texts on the two
    /// sides, is counted (its gold spans missed, its predicted spans spurious)
    /// instead of being an error.
    pub fn allow_missing(mut self, allow: bool) -> Self {
        self.allow_missing = allow;
        self
    }

    /// nervaluate's `min_overlap_percentage`: how much of a gold span (in percent
    /// of its length, 1 to 100) a prediction must cover to be matched to it.
    pub fn min_overlap_percentage(mut self, percentage: f64) -> Self {
        self.min_overlap_percentage = percentage;
        self
    }

    /// The differ; fails when the minimum overlap is not within 1..=100.
    pub fn build(self) -> Result<Differ, Error> {
        if !(1.0..=100.0).contains(&self.min_overlap_percentage) {
            return Err(ErrorKind::MinOverlap { value: self.min_overlap_percentage }.into());
        }
        Ok(Differ {
            unit: self.unit,
            allow_missing: self.allow_missing,
            min_overlap_percentage: self.min_overlap_percentage,
        })
    }
}

/// Compares two [`Annotations`]: gold and prediction.
#[derive(Clone, Debug)]
pub struct Differ {
    unit: OffsetUnit,
    allow_missing: bool,
    min_overlap_percentage: f64,
}

impl Default for Differ {
    fn default() -> Self {
        Differ {
            unit: OffsetUnit::Char,
            allow_missing: false,
            min_overlap_percentage: DEFAULT_MIN_OVERLAP_PERCENTAGE,
        }
    }
}

/// How a document was paired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// Both inputs have it, with the same text.
    Paired,
    /// Only the gold input has it: every gold span is missed.
    GoldOnly,
    /// Only the prediction input has it: every predicted span is spurious.
    PredictionOnly,
    /// Both have it with different texts: every gold span is missed and every
    /// predicted span spurious.
    TextDiffers,
}

/// Why a span is in a document's list of disagreements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DisagreementKind {
    /// A gold span no prediction was matched to.
    Missed,
    /// A prediction matched to no gold span.
    Spurious,
    /// Same boundaries, another label.
    WrongLabel,
    /// Same label, other boundaries (they overlap).
    WrongBoundary,
    /// Another label and other boundaries (they overlap).
    WrongLabelAndBoundary,
}

impl DisagreementKind {
    /// All kinds, in report order.
    pub const ALL: [DisagreementKind; 5] = [
        DisagreementKind::Missed,
        DisagreementKind::Spurious,
        DisagreementKind::WrongLabel,
        DisagreementKind::WrongBoundary,
        DisagreementKind::WrongLabelAndBoundary,
    ];

    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DisagreementKind::Missed => "missed",
            DisagreementKind::Spurious => "spurious",
            DisagreementKind::WrongLabel => "wrong_label",
            DisagreementKind::WrongBoundary => "wrong_boundary",
            DisagreementKind::WrongLabelAndBoundary => "wrong_label_and_boundary",
        }
    }

    /// Whether the label differs (counted against a source by `--by-source`).
    pub fn is_wrong_label(self) -> bool {
        matches!(self, DisagreementKind::WrongLabel | DisagreementKind::WrongLabelAndBoundary)
    }
}

/// One disagreement: a missed gold span, a spurious prediction, or a prediction
/// matched to a gold span it does not equal. Found under [`Schema::Strict`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// What kind.
    pub kind: DisagreementKind,
    /// The gold span, unless spurious.
    pub gold: Option<Span>,
    /// The predicted span, unless missed.
    pub prediction: Option<Span>,
}

impl Disagreement {
    /// Where it starts in the text (bytes): the earlier of its spans' starts.
    pub fn start(&self) -> usize {
        self.spans().map(|span| span.start).min().unwrap_or(0)
    }

    /// Where it ends in the text (bytes): the later of its spans' ends.
    pub fn end(&self) -> usize {
        self.spans().map(|span| span.end).max().unwrap_or(0)
    }

    fn spans(&self) -> impl Iterator<Item = &Span> {
        self.gold.iter().chain(self.prediction.iter())
    }
}

/// One document's comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentComparison {
    /// The document's id.
    pub id: String,
    /// How it was paired.
    pub pairing: Pairing,
    /// The text (the gold side's, when the texts differ).
    pub text: String,
    /// The prediction's text when it differs from [`DocumentComparison::text`].
    pub prediction_text: Option<String>,
    /// The gold spans, sorted by `(start, end, label)`.
    pub gold: Vec<Span>,
    /// The predicted spans, sorted by `(start, end, label)`.
    pub prediction: Vec<Span>,
    /// The document's scores under the four schemas.
    pub overall: Scores,
    /// The disagreements under `strict`, in reading order.
    pub disagreements: Vec<Disagreement>,
    /// The strict outcome of each predicted span, in the order of `prediction`.
    pub outcomes: Vec<Outcome>,
}

/// What one source (a gazetteer entry, a rule, a model) produced, judged under
/// `strict`: the provenance report of `rubric diff --by-source`.
///
/// Fields in alphabetical order, as [`Counts`](crate::Counts) says why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SourceTally {
    /// Of its predicted spans, those correct.
    pub correct: u64,
    /// Gold spans it produced that no prediction matched.
    pub missed: u64,
    /// Predicted spans it produced.
    pub predicted: u64,
    /// The source, as the spans name it.
    pub source: String,
    /// Of its predicted spans, those spurious.
    pub spurious: u64,
    /// Of its predicted spans, those matched to a gold span with the same label
    /// and other boundaries.
    pub wrong_boundary: u64,
    /// Of its predicted spans, those matched to a gold span with another label.
    pub wrong_label: u64,
}

impl SourceTally {
    /// The errors a dictionary fix addresses: spurious plus wrong-label spans.
    pub fn errors(&self) -> u64 {
        self.spurious + self.wrong_label
    }
}

/// The comparison of a prediction input against a gold input.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The gold input's name.
    pub gold: String,
    /// The prediction input's name.
    pub prediction: String,
    /// The unit spans were scored in.
    pub unit: OffsetUnit,
    /// nervaluate's `min_overlap_percentage` used.
    pub min_overlap_percentage: f64,
    /// Scores over all documents: the micro average.
    pub overall: Scores,
    /// Scores per label, as nervaluate computes them: each label evaluated on the
    /// spans of that label alone, on both sides.
    pub labels: BTreeMap<String, Scores>,
    /// The unweighted mean of the labels' figures.
    pub macro_average: MacroScores,
    /// Per document, gold input order first, then documents only the prediction
    /// has, in its order.
    pub documents: Vec<DocumentComparison>,
}

impl Comparison {
    /// Provenance: per source, what its spans became, sorted by most errors
    /// (spurious plus wrong label) first, then by name. Spans without a source are
    /// not listed.
    pub fn by_source(&self) -> Vec<SourceTally> {
        let mut tallies: HashMap<String, SourceTally> = HashMap::new();
        for document in &self.documents {
            for (span, outcome) in document.prediction.iter().zip(&document.outcomes) {
                let Some(source) = &span.source else { continue };
                let tally = tallies.entry(source.clone()).or_insert_with(|| SourceTally {
                    source: source.clone(),
                    ..SourceTally::default()
                });
                tally.predicted += 1;
                match *outcome {
                    Outcome::Correct(_) => tally.correct += 1,
                    Outcome::Spurious => tally.spurious += 1,
                    Outcome::Incorrect(g) | Outcome::Partial(g) => {
                        if document.gold[g].label == span.label {
                            tally.wrong_boundary += 1;
                        } else {
                            tally.wrong_label += 1;
                        }
                    }
                }
            }
            for disagreement in &document.disagreements {
                if disagreement.kind != DisagreementKind::Missed {
                    continue;
                }
                let Some(source) = disagreement.gold.as_ref().and_then(|g| g.source.as_ref())
                else {
                    continue;
                };
                tallies
                    .entry(source.clone())
                    .or_insert_with(|| SourceTally {
                        source: source.clone(),
                        ..SourceTally::default()
                    })
                    .missed += 1;
            }
        }
        let mut tallies: Vec<SourceTally> = tallies.into_values().collect();
        tallies.sort_by(|a, b| {
            b.errors().cmp(&a.errors()).then(b.missed.cmp(&a.missed)).then(a.source.cmp(&b.source))
        });
        tallies
    }

    /// The micro-averaged F1 under `schema`.
    pub fn f1(&self, schema: Schema) -> f64 {
        self.overall.get(schema).f1
    }
}

impl Differ {
    /// A differ with the defaults of [`DifferBuilder::new`].
    pub fn new() -> Self {
        Differ::default()
    }

    /// The unit spans are scored in.
    pub fn unit(&self) -> OffsetUnit {
        self.unit
    }

    /// Compares `prediction` against `gold`.
    ///
    /// Documents are paired by id. A document on one side only, or whose texts
    /// differ, is an error unless the differ allows missing documents. Spans are
    /// sorted by `(start, end, label)` on both sides before scoring, so their
    /// order in the input never changes a count.
    ///
    /// ```
    /// use rubric_diff::{Annotations, Differ, Document, Schema, Span};
    ///
    /// let text = "Joe Biden visited Baghdad.";
    /// let gold = Annotations::new("gold", vec![Document::new("d1", text, vec![
    ///     Span::new(0, 9, "PER"), Span::new(18, 25, "GPE"),
    /// ])]);
    /// let pred = Annotations::new("pred", vec![Document::new("d1", text, vec![
    ///     Span::new(4, 9, "PER"), Span::new(18, 25, "ORG"),
    /// ])]);
    /// let comparison = Differ::new().compare(&gold, &pred)?;
    /// assert_eq!(comparison.overall.strict.correct, 0);
    /// assert_eq!(comparison.overall.exact.correct, 1);
    /// assert_eq!(comparison.overall.entity_type.correct, 1);
    /// assert_eq!(comparison.documents[0].disagreements.len(), 2);
    /// # Ok::<(), rubric_diff::Error>(())
    /// ```
    pub fn compare(
        &self,
        gold: &Annotations,
        prediction: &Annotations,
    ) -> Result<Comparison, Error> {
        let pairs = self.pair(gold, prediction)?;
        let mut documents = Vec::with_capacity(pairs.len());
        // Per label, per schema: tallies summed over documents.
        let mut label_tallies: BTreeMap<String, Tallies> = BTreeMap::new();
        let mut overall: Tallies = Default::default();
        for pair in &pairs {
            let document = self.compare_pair(gold, prediction, pair, &mut label_tallies)?;
            for (schema, sum) in Schema::ALL.into_iter().zip(overall.iter_mut()) {
                *sum += document.overall.get(schema).tally();
            }
            documents.push(document);
        }
        let labels: BTreeMap<String, Scores> = label_tallies
            .into_iter()
            .map(|(label, tallies)| (label, Scores::from_tallies(&tallies)))
            .collect();
        let macro_average = MacroScores::mean(labels.values());
        Ok(Comparison {
            gold: gold.name.clone(),
            prediction: prediction.name.clone(),
            unit: self.unit,
            min_overlap_percentage: self.min_overlap_percentage,
            overall: Scores::from_tallies(&overall),
            labels,
            macro_average,
            documents,
        })
    }

    /// Pairs the documents of two inputs by id; the errors of
    /// [`Differ::compare`].
    pub(crate) fn pair<'a>(
        &self,
        gold: &'a Annotations,
        prediction: &'a Annotations,
    ) -> Result<Vec<Pair<'a>>, Error> {
        let gold_ids = index_ids(gold)?;
        let prediction_ids = index_ids(prediction)?;
        let mut pairs = Vec::new();
        let mut only_gold = Vec::new();
        for document in &gold.documents {
            match prediction_ids.get(document.id.as_str()) {
                Some(&p) => {
                    let other = &prediction.documents[p];
                    // Texts that differ are scored later as missed and spurious.
                    if other.text != document.text && !self.allow_missing {
                        return Err(text_differs(gold, prediction, document, other));
                    }
                    pairs.push(Pair { gold: Some(document), prediction: Some(other) });
                }
                None => {
                    only_gold.push(document.id.as_str());
                    pairs.push(Pair { gold: Some(document), prediction: None });
                }
            }
        }
        let only_prediction: Vec<&Document> = prediction
            .documents
            .iter()
            .filter(|document| !gold_ids.contains_key(document.id.as_str()))
            .collect();
        if !self.allow_missing {
            let others = |n: usize| {
                if n > 1 {
                    format!(" (and {} more)", n - 1)
                } else {
                    String::new()
                }
            };
            if let Some(id) = only_gold.first() {
                return Err(ErrorKind::MissingDocument {
                    id: id.to_string(),
                    present_in: gold.name.clone(),
                    missing_from: prediction.name.clone(),
                    others: others(only_gold.len() + only_prediction.len()),
                    counted: "missed",
                }
                .into());
            }
            if let Some(document) = only_prediction.first() {
                return Err(ErrorKind::MissingDocument {
                    id: document.id.clone(),
                    present_in: prediction.name.clone(),
                    missing_from: gold.name.clone(),
                    others: others(only_prediction.len()),
                    counted: "spurious",
                }
                .into());
            }
        }
        pairs.extend(only_prediction.into_iter().map(|p| Pair { gold: None, prediction: Some(p) }));
        Ok(pairs)
    }

    /// One document compared: its spans converted and checked, scored under the
    /// four schemas, added to the per-label tallies, and its strict errors listed.
    fn compare_pair(
        &self,
        gold_input: &Annotations,
        prediction_input: &Annotations,
        pair: &Pair<'_>,
        label_tallies: &mut BTreeMap<String, Tallies>,
    ) -> Result<DocumentComparison, Error> {
        let empty = Document::default();
        let gold_document = pair.gold.unwrap_or(&empty);
        let prediction_document = pair.prediction.unwrap_or(&empty);
        let pairing = pair.pairing();
        let gold = sorted_spans(gold_document);
        let prediction = sorted_spans(prediction_document);
        let sides = Sides {
            gold: self.entities(&gold_input.name, gold_document, &gold)?,
            prediction: self.entities(&prediction_input.name, prediction_document, &prediction)?,
            texts_differ: pairing == Pairing::TextDiffers,
            min_overlap_percentage: self.min_overlap_percentage,
        };
        let (tallies, strict) = sides.score();
        sides.tally_labels(label_tallies);
        let disagreements = disagreements(&gold, &prediction, &strict);
        Ok(DocumentComparison {
            id: pair.gold.or(pair.prediction).map(|d| d.id.clone()).unwrap_or_default(),
            pairing,
            text: pair.gold.or(pair.prediction).map(|d| d.text.clone()).unwrap_or_default(),
            prediction_text: match pairing {
                Pairing::TextDiffers => Some(prediction_document.text.clone()),
                _ => None,
            },
            gold,
            prediction,
            overall: Scores::from_tallies(&tallies),
            disagreements,
            outcomes: strict.predictions,
        })
    }

    /// The spans of `document` in the scoring unit, after checking their offsets.
    fn entities<'s>(
        &self,
        input: &str,
        document: &Document,
        spans: &'s [Span],
    ) -> Result<Vec<Entity<'s>>, Error> {
        let map = OffsetMap::new(&document.text, self.unit);
        spans
            .iter()
            .map(|span| {
                let start = map
                    .to_unit(span.start)
                    .map_err(|e| Error::bad_offset(input, &document.id, span, &e))?;
                let end = map
                    .to_unit(span.end)
                    .map_err(|e| Error::bad_offset(input, &document.id, span, &e))?;
                if start >= end {
                    return Err(ErrorKind::BadSpan {
                        input: input.to_string(),
                        id: document.id.clone(),
                        start: span.start,
                        end: span.end,
                        label: span.label.clone(),
                        problem: "is empty or reversed".to_string(),
                    }
                    .into());
                }
                Ok(Entity::new(start, end, &span.label))
            })
            .collect()
    }
}

/// The kind of a prediction matched to a gold span it does not equal.
fn classify(gold: &Span, prediction: &Span) -> DisagreementKind {
    let same_label = gold.label == prediction.label;
    let same_boundaries = (gold.start, gold.end) == (prediction.start, prediction.end);
    match (same_label, same_boundaries) {
        (false, true) => DisagreementKind::WrongLabel,
        (true, _) => DisagreementKind::WrongBoundary,
        (false, false) => DisagreementKind::WrongLabelAndBoundary,
    }
}

/// One document's spans on both sides, in the scoring unit, and how to score
/// them.
struct Sides<'s> {
    gold: Vec<Entity<'s>>,
    prediction: Vec<Entity<'s>>,
    /// Texts that differ share no offsets: nothing on one side may match the
    /// other, so each side is scored against nothing.
    texts_differ: bool,
    min_overlap_percentage: f64,
}

impl Sides<'_> {
    /// The tally under each schema, in [`Schema::ALL`] order, and the strict
    /// evaluation (which the disagreements and `--by-source` are read from).
    fn score(&self) -> (Tallies, Evaluation) {
        let mut tallies: Tallies = Default::default();
        let mut strict = Evaluation { predictions: Vec::new(), missed: Vec::new() };
        for (schema, tally) in Schema::ALL.into_iter().zip(tallies.iter_mut()) {
            let evaluation = self.evaluate(schema);
            *tally = evaluation.tally();
            if schema == Schema::Strict {
                strict = evaluation;
            }
        }
        (tallies, strict)
    }

    fn evaluate(&self, schema: Schema) -> Evaluation {
        let min = self.min_overlap_percentage;
        if self.texts_differ {
            // Every gold span missed, every prediction spurious.
            let mut evaluation = evaluate_with(schema, &self.gold, &[], min);
            evaluation.predictions = evaluate_with(schema, &[], &self.prediction, min).predictions;
            evaluation
        } else {
            evaluate_with(schema, &self.gold, &self.prediction, min)
        }
    }

    /// Adds this document to the per-label tallies. nervaluate evaluates each
    /// label on the spans of that label alone.
    fn tally_labels(&self, label_tallies: &mut BTreeMap<String, Tallies>) {
        let mut labels: Vec<&str> =
            self.gold.iter().chain(&self.prediction).map(|entity| entity.label).collect();
        labels.sort_unstable();
        labels.dedup();
        for label in labels {
            let of_label = |entities: &[Entity<'_>]| -> Vec<Entity<'static>> {
                entities
                    .iter()
                    .filter(|entity| entity.label == label)
                    .map(|entity| Entity::new(entity.start, entity.end, ""))
                    .collect()
            };
            let gold = of_label(&self.gold);
            let prediction = of_label(&self.prediction);
            let sums = label_tallies.entry(label.to_string()).or_default();
            for (schema, sum) in Schema::ALL.into_iter().zip(sums.iter_mut()) {
                *sum += if self.texts_differ {
                    Tally {
                        missed: gold.len() as u64,
                        spurious: prediction.len() as u64,
                        ..Tally::default()
                    }
                } else {
                    evaluate_with(schema, &gold, &prediction, self.min_overlap_percentage).tally()
                };
            }
        }
    }
}

/// The strict evaluation's errors, in reading order: the gold spans it missed
/// and the predictions it did not find correct, each with its kind.
fn disagreements(gold: &[Span], prediction: &[Span], strict: &Evaluation) -> Vec<Disagreement> {
    let missed = strict.missed.iter().map(|&g| Disagreement {
        kind: DisagreementKind::Missed,
        gold: Some(gold[g].clone()),
        prediction: None,
    });
    let wrong = strict.predictions.iter().zip(prediction).filter_map(|(outcome, prediction)| {
        let (kind, gold) = match *outcome {
            Outcome::Correct(_) => return None,
            Outcome::Spurious => (DisagreementKind::Spurious, None),
            Outcome::Incorrect(g) | Outcome::Partial(g) => {
                (classify(&gold[g], prediction), Some(gold[g].clone()))
            }
        };
        Some(Disagreement { kind, gold, prediction: Some(prediction.clone()) })
    });
    // A stable sort: disagreements at the same place and of the same kind keep
    // the order of the sorted spans.
    let mut disagreements: Vec<Disagreement> = missed.chain(wrong).collect();
    disagreements.sort_by_key(|d| (d.start(), d.end(), d.kind));
    disagreements
}

impl DocumentComparison {
    /// What became of each gold span under `strict`, in the order of
    /// [`DocumentComparison::gold`]: `None` when a prediction matched it exactly.
    pub fn gold_kinds(&self) -> Vec<Option<DisagreementKind>> {
        let mut kinds = vec![Some(DisagreementKind::Missed); self.gold.len()];
        for (p, outcome) in self.outcomes.iter().enumerate() {
            if let Some(g) = outcome.gold() {
                kinds[g] = self.prediction_kind(p, *outcome);
            }
        }
        kinds
    }

    /// What became of each predicted span under `strict`, in the order of
    /// [`DocumentComparison::prediction`]: `None` when it is correct.
    pub fn prediction_kinds(&self) -> Vec<Option<DisagreementKind>> {
        self.outcomes
            .iter()
            .enumerate()
            .map(|(p, outcome)| self.prediction_kind(p, *outcome))
            .collect()
    }

    fn prediction_kind(&self, p: usize, outcome: Outcome) -> Option<DisagreementKind> {
        match outcome {
            Outcome::Correct(_) => None,
            Outcome::Spurious => Some(DisagreementKind::Spurious),
            Outcome::Incorrect(g) | Outcome::Partial(g) => {
                Some(classify(&self.gold[g], &self.prediction[p]))
            }
        }
    }
}

/// Two documents with the same id, or one without a partner.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pair<'a> {
    pub(crate) gold: Option<&'a Document>,
    pub(crate) prediction: Option<&'a Document>,
}

impl Pair<'_> {
    fn pairing(&self) -> Pairing {
        match (self.gold, self.prediction) {
            (Some(g), Some(p)) if g.text == p.text => Pairing::Paired,
            (Some(_), Some(_)) => Pairing::TextDiffers,
            (Some(_), None) => Pairing::GoldOnly,
            _ => Pairing::PredictionOnly,
        }
    }
}

fn sorted_spans(document: &Document) -> Vec<Span> {
    let mut spans = document.spans.clone();
    spans.sort_by(|a, b| (a.start, a.end, &a.label).cmp(&(b.start, b.end, &b.label)));
    spans
}

fn index_ids(input: &Annotations) -> Result<HashMap<&str, usize>, Error> {
    let mut ids = HashMap::with_capacity(input.documents.len());
    let mut seen = HashSet::with_capacity(input.documents.len());
    for (index, document) in input.documents.iter().enumerate() {
        if !seen.insert(document.id.as_str()) {
            return Err(ErrorKind::DuplicateId {
                input: input.name.clone(),
                id: document.id.clone(),
            }
            .into());
        }
        ids.insert(document.id.as_str(), index);
    }
    Ok(ids)
}

fn text_differs(gold: &Annotations, prediction: &Annotations, a: &Document, b: &Document) -> Error {
    let byte_offset = a
        .text
        .char_indices()
        .zip(b.text.chars())
        .find(|((_, x), y)| x != y)
        .map(|((i, _), _)| i)
        .unwrap_or_else(|| a.text.len().min(b.text.len()));
    // Back to a character boundary of both texts (the common prefix ends on one).
    let before = &a.text[..byte_offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    ErrorKind::TextDiffers {
        id: a.id.clone(),
        gold: gold.name.clone(),
        prediction: prediction.name.clone(),
        byte_offset,
        line,
        column,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(id: &str, text: &str, spans: &[(usize, usize, &str)]) -> Document {
        Document::new(id, text, spans.iter().map(|&(s, e, l)| Span::new(s, e, l)).collect())
    }

    fn set(name: &str, documents: Vec<Document>) -> Annotations {
        Annotations::new(name, documents)
    }

    fn allowing() -> Differ {
        DifferBuilder::new().allow_missing(true).build().unwrap()
    }

    const TEXT: &str = "Joe Biden met Hamas in Tehran.";

    #[test]
    fn pairing_errors_name_the_document_and_what_to_do() {
        let one = set("a.jsonl", vec![doc("d1", TEXT, &[]), doc("d2", TEXT, &[])]);
        let other = set("b.jsonl", vec![doc("d1", TEXT, &[])]);
        let error = Differ::new().compare(&one, &other).unwrap_err().to_string();
        assert!(error.contains("\"d2\" is in a.jsonl but not in b.jsonl"), "{error}");
        assert!(error.contains("count its spans as missed"), "{error}");
        let error = Differ::new().compare(&other, &one).unwrap_err().to_string();
        assert!(error.contains("count its spans as spurious"), "{error}");

        let twice = set("c.jsonl", vec![doc("d1", TEXT, &[]), doc("d1", TEXT, &[])]);
        let error = Differ::new().compare(&twice, &other).unwrap_err();
        assert!(matches!(error.kind, ErrorKind::DuplicateId { .. }), "{error}");

        // The column counts characters: "é" before the difference is one column.
        let first = set("a", vec![doc("d", "ab\nxé1z", &[])]);
        let second = set("b", vec![doc("d", "ab\nxé2z", &[])]);
        let error = Differ::new().compare(&first, &second).unwrap_err();
        match error.kind {
            ErrorKind::TextDiffers { line, column, byte_offset, .. } => {
                assert_eq!((line, column, byte_offset), (2, 3, 6));
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn allow_missing_counts_lone_and_changed_documents() {
        let gold = set(
            "gold",
            vec![
                doc("only-gold", TEXT, &[(0, 9, "PER")]),
                doc("changed", TEXT, &[(14, 19, "ORG")]),
            ],
        );
        let prediction = set(
            "pred",
            vec![
                doc("changed", "Joe Biden met Hamas in Tehran!", &[(14, 19, "ORG")]),
                doc("only-pred", TEXT, &[(23, 29, "GPE")]),
            ],
        );
        let comparison = allowing().compare(&gold, &prediction).unwrap();
        let pairings: Vec<Pairing> = comparison.documents.iter().map(|d| d.pairing).collect();
        assert_eq!(pairings, [Pairing::GoldOnly, Pairing::TextDiffers, Pairing::PredictionOnly]);
        for schema in Schema::ALL {
            let counts = comparison.overall.get(schema);
            // The same ORG span on both sides, but of different texts: no match.
            assert_eq!((counts.correct, counts.missed, counts.spurious), (0, 2, 2), "{schema}");
        }
        assert_eq!(comparison.labels["ORG"].strict.missed, 1);
        assert_eq!(comparison.labels["ORG"].strict.spurious, 1);
        assert_eq!(comparison.labels["GPE"].strict.spurious, 1);
        let kinds: Vec<DisagreementKind> =
            comparison.documents[1].disagreements.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [DisagreementKind::Missed, DisagreementKind::Spurious]);
    }

    #[test]
    fn disagreements_come_in_reading_order_with_their_kind() {
        let gold =
            set("gold", vec![doc("d", TEXT, &[(0, 9, "PER"), (14, 19, "ORG"), (23, 29, "GPE")])]);
        let prediction = set(
            "pred",
            vec![doc(
                "d",
                TEXT,
                &[(4, 9, "PER"), (10, 13, "ORG"), (14, 19, "PER"), (23, 30, "ORG")],
            )],
        );
        let comparison = Differ::new().compare(&gold, &prediction).unwrap();
        let document = &comparison.documents[0];
        let kinds: Vec<DisagreementKind> = document.disagreements.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [
                DisagreementKind::WrongBoundary,
                DisagreementKind::Spurious,
                DisagreementKind::WrongLabel,
                DisagreementKind::WrongLabelAndBoundary
            ]
        );
        assert_eq!(
            document.gold_kinds(),
            [
                Some(DisagreementKind::WrongBoundary),
                Some(DisagreementKind::WrongLabel),
                Some(DisagreementKind::WrongLabelAndBoundary)
            ]
        );
        assert_eq!(document.prediction_kinds()[1], Some(DisagreementKind::Spurious));
    }

    #[test]
    fn by_source_ranks_the_entries_that_cause_errors() {
        let gold = set("gold", vec![doc("d", TEXT, &[(0, 9, "PER"), (14, 19, "ORG")])]);
        let mut spans = vec![
            Span::new(0, 9, "PER").with_source("people:1"),
            Span::new(14, 19, "PER").with_source("people:2"),
            Span::new(23, 29, "PER").with_source("people:2"),
            Span::new(10, 13, "ORG"),
        ];
        spans.reverse(); // input order does not matter
        let prediction = Annotations::new("pred", vec![Document::new("d", TEXT, spans)]);
        let sources = Differ::new().compare(&gold, &prediction).unwrap().by_source();
        let names: Vec<&str> = sources.iter().map(|s| s.source.as_str()).collect();
        assert_eq!(names, ["people:2", "people:1"], "spans without a source are not listed");
        assert_eq!((sources[0].predicted, sources[0].wrong_label, sources[0].spurious), (2, 1, 1));
        assert_eq!((sources[1].predicted, sources[1].correct), (1, 1));
    }

    #[test]
    fn the_scoring_unit_moves_the_overlap_threshold() {
        // A 100-character gold span of 101 bytes; the prediction shares its last
        // character: 1% of it in characters, less than 1% in bytes.
        let text = format!("é{}!", "a".repeat(99));
        let gold = set("gold", vec![doc("d", &text, &[(0, 101, "X")])]);
        let prediction = set("pred", vec![doc("d", &text, &[(100, 102, "X")])]);
        let by = |unit| {
            let differ = DifferBuilder::new().unit(unit).build().unwrap();
            differ.compare(&gold, &prediction).unwrap().overall.entity_type
        };
        assert_eq!(by(OffsetUnit::Char).correct, 1);
        assert_eq!((by(OffsetUnit::Byte).correct, by(OffsetUnit::Byte).spurious), (0, 1));
    }

    #[test]
    fn bad_spans_are_errors_not_panics() {
        let cases: &[((usize, usize), &str)] = &[
            ((0, 99), "past the end"),
            ((1, 3), "inside a character"),
            ((3, 3), "empty or reversed"),
            ((4, 2), "empty or reversed"),
        ];
        for &((start, end), problem) in cases {
            let gold = set("gold", vec![doc("d", "éabc", &[(start, end, "X")])]);
            let error = Differ::new().compare(&gold, &gold).unwrap_err().to_string();
            assert!(error.contains(problem), "{start}..{end}: {error}");
            assert!(error.contains("gold: document \"d\""), "{error}");
        }
    }

    #[test]
    fn min_overlap_must_be_a_percentage() {
        for value in [0.0, 0.5, 100.5, f64::NAN] {
            assert!(DifferBuilder::new().min_overlap_percentage(value).build().is_err(), "{value}");
        }
        assert!(DifferBuilder::new().min_overlap_percentage(100.0).build().is_ok());
    }

    const LABELS: [&str; 3] = ["PER", "ORG", "GPE"];

    fn arb_documents() -> impl Strategy<Value = Vec<Document>> {
        let spans = prop::collection::vec((0usize..40, 1usize..10, 0usize..LABELS.len()), 0..8);
        prop::collection::vec(spans, 1..5).prop_map(|documents| {
            documents
                .into_iter()
                .enumerate()
                .map(|(i, spans)| {
                    let text = "x".repeat(50);
                    let spans = spans
                        .into_iter()
                        .map(|(start, len, label)| Span::new(start, start + len, LABELS[label]))
                        .collect();
                    Document::new(format!("d{i}"), text, spans)
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn a_diff_of_a_set_with_itself_is_perfect(documents in arb_documents()) {
            let annotations = Annotations::new("a", documents);
            let comparison = Differ::new().compare(&annotations, &annotations).unwrap();
            let spans: usize = annotations.documents.iter().map(|d| d.spans.len()).sum();
            for schema in Schema::ALL {
                let counts = comparison.overall.get(schema);
                prop_assert_eq!(counts.correct, spans as u64);
                if spans > 0 {
                    prop_assert_eq!(counts.f1, 1.0);
                }
            }
            prop_assert!(comparison.documents.iter().all(|d| d.disagreements.is_empty()));
        }

        #[test]
        fn counts_add_up_over_documents_and_labels(gold in arb_documents(), prediction in arb_documents()) {
            // Same ids and texts on both sides (the strategy makes d0, d1, ...).
            let n = gold.len().min(prediction.len());
            let gold = Annotations::new("gold", gold[..n].to_vec());
            let prediction = Annotations::new("pred", prediction[..n].to_vec());
            let comparison = Differ::new().compare(&gold, &prediction).unwrap();
            let gold_spans: u64 = gold.documents.iter().map(|d| d.spans.len() as u64).sum();
            let predicted: u64 = prediction.documents.iter().map(|d| d.spans.len() as u64).sum();
            for schema in Schema::ALL {
                let overall = comparison.overall.get(schema);
                prop_assert_eq!(overall.possible, gold_spans);
                prop_assert_eq!(overall.actual, predicted);
                prop_assert_eq!(overall.possible, overall.correct + overall.incorrect + overall.partial + overall.missed);
                prop_assert_eq!(overall.actual, overall.correct + overall.incorrect + overall.partial + overall.spurious);
                // Per label, each label's spans are counted once.
                let label_possible: u64 = comparison.labels.values().map(|s| s.get(schema).possible).sum();
                let label_actual: u64 = comparison.labels.values().map(|s| s.get(schema).actual).sum();
                prop_assert_eq!(label_possible, gold_spans);
                prop_assert_eq!(label_actual, predicted);
                let document_sum: u64 = comparison.documents.iter().map(|d| d.overall.get(schema).correct).sum();
                prop_assert_eq!(document_sum, overall.correct);
            }
            // Every strict error is listed once as a disagreement.
            let strict = comparison.overall.strict;
            let listed: usize = comparison.documents.iter().map(|d| d.disagreements.len()).sum();
            prop_assert_eq!(listed as u64, strict.incorrect + strict.missed + strict.spurious);
        }
    }
}
