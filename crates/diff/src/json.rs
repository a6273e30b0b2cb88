//! `--format json`: the figures in a stable structure, specified by
//! `schemas/diff.schema.json`.
//!
//! One type per object of the schema, so that what the report may hold is said by
//! the compiler, not assembled key by key: [`ComparisonReport`] (`comparison`),
//! [`DocumentReport`] (`document`), [`DisagreementReport`] (a document's
//! `disagreements`), [`SpanReport`] (`span`) and [`AgreementReport`]
//! (`agreement`); `scores`, `counts`, `macro`, `figures` and `source` are the
//! crate's own [`Scores`], [`Counts`](crate::Counts), [`MacroScores`],
//! [`Figures`](crate::Figures) and [`SourceTally`], serialized as they are.
//!
//! Every type declares its fields in alphabetical order of their JSON names:
//! serde writes them in the order declared, and the report has always written
//! its keys sorted (it was first built as a `serde_json::Value`, whose map sorts
//! them), so reports that users keep and compare stay byte for byte the same. The
//! tests below check that order, that every report the schema's cases can produce
//! is valid under the schema, and that every key the schema names is written.

use std::collections::BTreeMap;
use std::fmt;

use rubric_offsets::{OffsetMap, OffsetUnit};
use serde::Serialize;

use crate::{
    Agreement, Comparison, DisagreementKind, DocumentComparison, MacroScores, Pairing, Schema,
    Scores, SourceTally, Span,
};

/// The comparison of two inputs as `rubric diff --format json` writes it: the
/// schema's `comparison`. Built by [`json_report`]; [`fmt::Display`] writes it as
/// one line of JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparisonReport<'a> {
    /// Per document, in the order of [`Comparison::documents`].
    pub documents: Vec<DocumentReport<'a>>,
    /// The gold input's name.
    pub gold: &'a str,
    /// Cohen's kappa between the two inputs on token-level IOB2 labels (`null`
    /// where undefined); left out unless set, as `rubric diff --kappa` does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kappa: Option<Option<f64>>,
    /// Per label, each label evaluated on its own spans alone.
    pub labels: &'a BTreeMap<String, Scores>,
    /// The unweighted mean of the labels' figures.
    #[serde(rename = "macro")]
    pub macro_average: &'a MacroScores,
    /// nervaluate's `min_overlap_percentage` used.
    pub min_overlap_percentage: f64,
    /// The unit of every offset in the report.
    pub offsets: OffsetUnit,
    /// Over all documents: the micro average.
    pub overall: &'a Scores,
    /// The prediction input's name.
    pub prediction: &'a str,
    /// [`Comparison::by_source`]: empty when no span has a source.
    pub sources: Vec<SourceTally>,
}

/// One document of a [`ComparisonReport`]: the schema's `document`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DocumentReport<'a> {
    /// Under `strict`, in reading order.
    pub disagreements: Vec<DisagreementReport<'a>>,
    /// The document's id.
    pub id: &'a str,
    /// The document's scores.
    pub overall: &'a Scores,
    /// How it was paired.
    pub pairing: Pairing,
}

/// One disagreement of a [`DocumentReport`]: an item of the schema's
/// `document.disagreements`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DisagreementReport<'a> {
    /// The gold span; `null` when the prediction is spurious.
    pub gold: Option<SpanReport<'a>>,
    /// What kind of disagreement.
    pub kind: DisagreementKind,
    /// The predicted span; `null` when the gold span is missed.
    pub prediction: Option<SpanReport<'a>>,
}

/// A span in the report's offset unit, with its text: the schema's `span`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpanReport<'a> {
    /// One past the span's last unit.
    pub end: usize,
    /// The label.
    pub label: &'a str,
    /// What produced the span; left out when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    /// The span's first unit.
    pub start: usize,
    /// The text the span covers.
    pub text: &'a str,
}

/// The agreement of more than two inputs as `rubric diff --format json` writes
/// it: the schema's `agreement`. Built by [`agreement_json`]; [`fmt::Display`]
/// writes it as one line of JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgreementReport<'a> {
    /// `f1[i][j]`: micro F1 of input `j` scored against input `i` as gold.
    pub f1: &'a [Vec<f64>],
    /// The inputs' names, in the order given.
    pub inputs: &'a [String],
    /// `kappa[i][j]`: Cohen's kappa between inputs `i` and `j`; `null` unless
    /// asked for.
    pub kappa: Option<&'a [Vec<Option<f64>>]>,
    /// The schema `f1` is computed under.
    pub schema: Schema,
}

/// The comparison as JSON, in the structure `schemas/diff.schema.json` specifies.
///
/// ```json
/// {"documents":[{"disagreements":[{"gold":{"end":4,"label":"GPE","start":0,"text":"Iran"},
///      "kind":"wrong_label",
///      "prediction":{"end":4,"label":"ORG","source":"orgs.tsv:3","start":0,"text":"Iran"}}],
///    "id":"d1","overall":{"exact":COUNTS,...},"pairing":"paired"}],
///  "gold":"gold.jsonl","labels":{"GPE":{"exact":COUNTS,...},...},
///  "macro":{"exact":{"f1":0.5,"precision":0.5,"recall":0.5},...},
///  "min_overlap_percentage":1.0,"offsets":"char",
///  "overall":{"exact":COUNTS,"partial":COUNTS,"strict":COUNTS,"type":COUNTS},
///  "prediction":"pred.jsonl",
///  "sources":[{"correct":0,"missed":0,"predicted":1,"source":"orgs.tsv:3","spurious":0,
///    "wrong_boundary":0,"wrong_label":1}]}
/// ```
///
/// `COUNTS` is `{"actual","correct","f1","incorrect","missed","partial",
/// "possible","precision","recall","spurious"}`, nervaluate's `EvaluationResult`.
/// Keys are written in alphabetical order. `overall` is the micro average. Span
/// offsets are in `offsets` units, `end` exclusive; `sources` is
/// [`Comparison::by_source`], empty when no span has a source. Disagreements are
/// under `strict`, in reading order; `kind` is one of `missed`, `spurious`,
/// `wrong_label`, `wrong_boundary`, `wrong_label_and_boundary`.
///
/// ```
/// use rubric_diff::{json_report, Annotations, Differ, Document, Span};
///
/// let text = "Iran said so.";
/// let gold = Annotations::new("gold", vec![Document::new("d1", text, vec![Span::new(0, 4, "GPE")])]);
/// let pred = Annotations::new("pred", vec![Document::new("d1", text, vec![
///     Span::new(0, 4, "ORG").with_source("orgs.tsv:3"),
/// ])]);
/// let comparison = Differ::new().compare(&gold, &pred)?;
/// let report = json_report(&comparison);
/// assert_eq!(report.overall.exact.correct, 1);
/// assert!(report.to_string().starts_with(
///     r#"{"documents":[{"disagreements":[{"gold":{"end":4,"label":"GPE","start":0,"text":"Iran"},"kind":"wrong_label","#
/// ));
/// # Ok::<(), rubric_diff::Error>(())
/// ```
pub fn json_report(comparison: &Comparison) -> ComparisonReport<'_> {
    ComparisonReport {
        documents: comparison
            .documents
            .iter()
            .map(|document| document_report(document, comparison.unit))
            .collect(),
        gold: &comparison.gold,
        kappa: None,
        labels: &comparison.labels,
        macro_average: &comparison.macro_average,
        min_overlap_percentage: comparison.min_overlap_percentage,
        offsets: comparison.unit,
        overall: &comparison.overall,
        prediction: &comparison.prediction,
        sources: comparison.by_source(),
    }
}

/// The agreement matrix as JSON:
/// `{"f1":[[F1,...],...],"inputs":[NAME,...],"kappa":[[K,...],...],"schema":"strict"}`,
/// where `f1[i][j]` scores input `j` against input `i` as gold, and `kappa` is
/// `null` unless asked for (and `null` in a cell where kappa is undefined).
pub fn agreement_json(agreement: &Agreement) -> AgreementReport<'_> {
    AgreementReport {
        f1: &agreement.f1,
        inputs: &agreement.inputs,
        kappa: agreement.kappa.as_deref(),
        schema: agreement.schema,
    }
}

impl fmt::Display for ComparisonReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_json(self, f)
    }
}

impl fmt::Display for AgreementReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_json(self, f)
    }
}

/// Compact JSON, as `serde_json::Value`'s `Display` writes it.
fn write_json(report: &impl Serialize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    // The report types hold strings, numbers and string-keyed maps only, which
    // serde_json always serializes; an error here could only be a bug of ours.
    let json = serde_json::to_string(report).map_err(|_| fmt::Error)?;
    f.write_str(&json)
}

fn document_report(document: &DocumentComparison, unit: OffsetUnit) -> DocumentReport<'_> {
    let gold_map = OffsetMap::new(&document.text, unit);
    let prediction_text = document.prediction_text.as_deref().unwrap_or(&document.text);
    let prediction_map = OffsetMap::new(prediction_text, unit);
    let disagreements = document.disagreements.iter().map(|disagreement| DisagreementReport {
        gold: disagreement.gold.as_ref().map(|span| span_report(span, &document.text, &gold_map)),
        kind: disagreement.kind,
        prediction: disagreement
            .prediction
            .as_ref()
            .map(|span| span_report(span, prediction_text, &prediction_map)),
    });
    DocumentReport {
        disagreements: disagreements.collect(),
        id: &document.id,
        overall: &document.overall,
        pairing: document.pairing,
    }
}

fn span_report<'a>(span: &'a Span, text: &'a str, map: &OffsetMap<'_>) -> SpanReport<'a> {
    // The differ checked every offset before scoring, so conversion cannot fail
    // here; the byte offset is a faithful fallback if it ever did.
    SpanReport {
        end: map.to_unit(span.end).unwrap_or(span.end),
        label: &span.label,
        source: span.source.as_deref(),
        start: map.to_unit(span.start).unwrap_or(span.start),
        text: text.get(span.start..span.end).unwrap_or(""),
    }
}
