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
//! tests below check that order, that the reports of hand-made cases and of random
//! comparisons are valid under the schema, and that every key it names is written.

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
    /// What the documents were paired by when not by their ids (`_input_hash`,
    /// `line`); left out unless set, as `rubric diff` does after
    /// [`crate::pair_documents`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paired_by: Option<&'static str>,
    /// The prediction input's name.
    pub prediction: &'a str,
    /// Per input name, the lines Prodigy's `answer` left out, counted by answer;
    /// left out when empty.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, BTreeMap<String, usize>>,
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
        paired_by: None,
        prediction: &comparison.prediction,
        skipped: BTreeMap::new(),
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

#[cfg(test)]
mod tests {
    //! The report types and `schemas/diff.schema.json` kept in agreement, as the
    //! record's type and its schema are in `rubric-exporter`: every report is
    //! valid under the schema (so no key is written that the schema does not
    //! allow, and none it requires is left out), every key the schema names is
    //! written by some report (so the schema describes nothing the types cannot
    //! write), and keys come in sorted order (so the bytes stay those of the
    //! `Value` the report used to be).

    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::OnceLock;

    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::{agreement, Annotations, Differ, DifferBuilder, Document};

    fn schema() -> &'static Value {
        static SCHEMA: OnceLock<Value> = OnceLock::new();
        SCHEMA.get_or_init(|| {
            serde_json::from_str(include_str!("../../../schemas/diff.schema.json"))
                .expect("schemas/diff.schema.json is JSON")
        })
    }

    fn validator() -> &'static jsonschema::Validator {
        static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
        VALIDATOR.get_or_init(|| {
            jsonschema::draft202012::new(schema()).expect("schemas/diff.schema.json compiles")
        })
    }

    /// The schema errors of one report, empty when it is valid.
    fn schema_errors(report: &Value) -> Vec<String> {
        validator().iter_errors(report).map(|e| format!("{}: {e}", e.instance_path())).collect()
    }

    const TEXT: &str = "Joe Biden met Hamas in Tehran.";

    /// Inputs that make every kind of disagreement, every pairing, spans with and
    /// without a source, and a text where units differ ("Ω" is 2 bytes, 1 char, 1
    /// UTF-16 unit; "𝄞" is 4 bytes, 1 char, 2 UTF-16 units).
    fn inputs() -> (Annotations, Annotations) {
        let gold = Annotations::new(
            "gold.jsonl",
            vec![
                Document::new(
                    "d1",
                    TEXT,
                    vec![
                        Span::new(0, 9, "PER").with_source("people.tsv:1"),
                        Span::new(14, 19, "ORG"),
                        Span::new(23, 29, "GPE"),
                    ],
                ),
                Document::new("only-gold", TEXT, vec![Span::new(0, 9, "PER")]),
                Document::new("changed", TEXT, vec![Span::new(14, 19, "ORG")]),
                Document::new(
                    "units",
                    "Ωmega 𝄞 clef",
                    vec![Span::new(0, 6, "X"), Span::new(12, 16, "Y")],
                ),
            ],
        );
        let prediction = Annotations::new(
            "pred.jsonl",
            vec![
                Document::new(
                    "d1",
                    TEXT,
                    vec![
                        // wrong boundary, spurious, wrong label, wrong label and boundary
                        Span::new(4, 9, "PER").with_source("people.tsv:2"),
                        Span::new(10, 13, "ORG").with_source("orgs.tsv:7"),
                        Span::new(14, 19, "PER").with_source("people.tsv:2"),
                        Span::new(23, 30, "ORG"),
                    ],
                ),
                Document::new(
                    "changed",
                    "Joe Biden met Hamas in Tehran!",
                    vec![Span::new(14, 19, "ORG")],
                ),
                Document::new("only-prediction", TEXT, vec![Span::new(23, 29, "GPE")]),
                Document::new(
                    "units",
                    "Ωmega 𝄞 clef",
                    vec![Span::new(0, 6, "X"), Span::new(7, 16, "Y")],
                ),
            ],
        );
        (gold, prediction)
    }

    fn allowing(unit: OffsetUnit) -> Differ {
        DifferBuilder::new().unit(unit).allow_missing(true).build().expect("a valid differ")
    }

    /// Every report the cases make, as JSON values, with the `$defs` entry each
    /// one is.
    fn reports() -> Vec<(&'static str, String)> {
        let (gold, prediction) = inputs();
        let mut reports = Vec::new();
        for unit in [OffsetUnit::Byte, OffsetUnit::Char, OffsetUnit::Utf16] {
            let comparison = allowing(unit).compare(&gold, &prediction).expect("comparable");
            for kappa in [None, Some(None), Some(Some(0.25))] {
                let mut report = json_report(&comparison);
                report.kappa = kappa;
                reports.push(("comparison", report.to_string()));
            }
        }
        // What `rubric diff` adds when documents had no ids of their own and
        // Prodigy's `answer` left lines out.
        let comparison =
            allowing(OffsetUnit::Char).compare(&gold, &prediction).expect("comparable");
        for paired_by in [crate::PairedBy::InputHash, crate::PairedBy::Line] {
            let mut report = json_report(&comparison);
            report.paired_by = Some(paired_by.as_str());
            report.skipped = BTreeMap::from([(
                "gold.jsonl".to_string(),
                BTreeMap::from([("reject".to_string(), 2)]),
            )]);
            reports.push(("comparison", report.to_string()));
        }
        let empty = Annotations::new("empty.jsonl", Vec::new());
        let nothing = Differ::new().compare(&empty, &empty).expect("comparable");
        reports.push(("comparison", json_report(&nothing).to_string()));
        let three = [gold.clone(), prediction, gold];
        for kappa in [false, true] {
            let agreement = agreement(&three, &allowing(OffsetUnit::Char), Schema::Type, kappa)
                .expect("comparable");
            reports.push(("agreement", agreement_json(&agreement).to_string()));
        }
        reports
    }

    fn parse(report: &str) -> Value {
        serde_json::from_str(report).expect("the report is JSON")
    }

    #[test]
    fn every_report_is_valid_under_the_schema() {
        for (def, report) in reports() {
            let errors = schema_errors(&parse(&report));
            assert!(errors.is_empty(), "{def}: {errors:#?}\n{report}");
        }
    }

    #[test]
    fn the_cases_make_every_disagreement_kind_and_pairing() {
        // What the agreement test below relies on: if a case stopped making one,
        // a key only it writes would go unchecked.
        let (gold, prediction) = inputs();
        let comparison = allowing(OffsetUnit::Char).compare(&gold, &prediction).unwrap();
        let kinds: BTreeSet<DisagreementKind> = comparison
            .documents
            .iter()
            .flat_map(|d| d.disagreements.iter().map(|d| d.kind))
            .collect();
        assert_eq!(kinds.len(), DisagreementKind::ALL.len(), "{kinds:?}");
        let pairings: Vec<Pairing> = comparison.documents.iter().map(|d| d.pairing).collect();
        for pairing in
            [Pairing::Paired, Pairing::GoldOnly, Pairing::PredictionOnly, Pairing::TextDiffers]
        {
            assert!(pairings.contains(&pairing), "{pairing:?}");
        }
        // Offsets are converted: "𝄞 clef" starts at byte 7 (after "Ωmega "), char
        // 6 and UTF-16 unit 6, and "𝄞" is 4 bytes, one char, two UTF-16 units.
        let y = |unit| {
            let comparison = allowing(unit).compare(&gold, &prediction).unwrap();
            let report = json_report(&comparison);
            let units = report.documents.iter().find(|d| d.id == "units").unwrap();
            let span = units.disagreements[0].prediction.as_ref().unwrap();
            (span.start, span.end, span.text.to_string())
        };
        assert_eq!(y(OffsetUnit::Byte), (7, 16, "𝄞 clef".to_string()));
        assert_eq!(y(OffsetUnit::Char), (6, 12, "𝄞 clef".to_string()));
        assert_eq!(y(OffsetUnit::Utf16), (6, 13, "𝄞 clef".to_string()));
    }

    /// Where a schema node is an object with named properties, by a path that
    /// names `$defs` entries and the keys leading to inline objects.
    fn schema_objects(node: &Value, path: &str, out: &mut BTreeMap<String, BTreeSet<String>>) {
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            out.insert(path.to_string(), properties.keys().cloned().collect());
            for (key, property) in properties {
                schema_objects(property, &format!("{path}/{key}"), out);
            }
        }
        if let Some(items) = node.get("items") {
            schema_objects(items, &format!("{path}/[]"), out);
        }
        if let Some(branches) = node.get("oneOf").and_then(Value::as_array) {
            for branch in branches {
                schema_objects(branch, path, out);
            }
        }
    }

    /// The keys `value` writes, recorded under the path [`schema_objects`] gives
    /// the schema node that describes them.
    fn written_keys(
        node: &Value,
        path: &str,
        value: &Value,
        out: &mut BTreeMap<String, BTreeSet<String>>,
    ) {
        if let Some(name) = node.get("$ref").and_then(Value::as_str) {
            let name = name.strip_prefix("#/$defs/").expect("local references only");
            let def = &schema()["$defs"][name];
            return written_keys(def, &format!("$defs/{name}"), value, out);
        }
        if let Some(branches) = node.get("oneOf").and_then(Value::as_array) {
            // `null` or one kind of value: the branch that is not `null`.
            if !value.is_null() {
                for branch in branches.iter().filter(|b| b.get("type") != Some(&"null".into())) {
                    written_keys(branch, path, value, out);
                }
            }
            return;
        }
        if let (Some(object), Some(properties)) =
            (value.as_object(), node.get("properties").and_then(Value::as_object))
        {
            out.entry(path.to_string()).or_default().extend(object.keys().cloned());
            for (key, item) in object {
                if let Some(property) = properties.get(key) {
                    written_keys(property, &format!("{path}/{key}"), item, out);
                }
            }
        } else if let (Some(object), Some(additional)) =
            (value.as_object(), node.get("additionalProperties").filter(|a| a.is_object()))
        {
            for item in object.values() {
                written_keys(additional, path, item, out);
            }
        }
        if let (Some(items), Some(node)) = (value.as_array(), node.get("items")) {
            for item in items {
                written_keys(node, &format!("{path}/[]"), item, out);
            }
        }
    }

    #[test]
    fn every_key_the_schema_names_is_written() {
        let mut named = BTreeMap::new();
        for (name, def) in schema()["$defs"].as_object().expect("the schema has $defs") {
            schema_objects(def, &format!("$defs/{name}"), &mut named);
        }
        let mut written = BTreeMap::new();
        for (def, report) in reports() {
            let node = &schema()["$defs"][def];
            written_keys(node, &format!("$defs/{def}"), &parse(&report), &mut written);
        }
        assert_eq!(written, named);
        // The walk reached the nested objects, not only the top.
        assert!(named.contains_key("$defs/document/disagreements/[]"), "{named:#?}");
        assert!(named.contains_key("$defs/span"), "{named:#?}");
    }

    /// `value` written as JSON with every object's keys sorted, whatever map
    /// `serde_json::Value` uses.
    fn sorted_keys(value: &Value) -> String {
        match value {
            Value::Object(object) => {
                let mut entries: Vec<(&String, &Value)> = object.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let entries: Vec<String> = entries
                    .into_iter()
                    .map(|(key, value)| {
                        format!("{}:{}", Value::from(key.as_str()), sorted_keys(value))
                    })
                    .collect();
                format!("{{{}}}", entries.join(","))
            }
            Value::Array(items) => {
                format!("[{}]", items.iter().map(sorted_keys).collect::<Vec<_>>().join(","))
            }
            scalar => scalar.to_string(),
        }
    }

    #[test]
    fn keys_are_written_in_sorted_order() {
        for (def, report) in reports() {
            assert_eq!(report, sorted_keys(&parse(&report)), "{def}");
        }
        // The check can fail: a report with its keys out of order is caught.
        assert_ne!(r#"{"b":1,"a":2}"#, sorted_keys(&parse(r#"{"b":1,"a":2}"#)));
    }

    const LABELS: [&str; 3] = ["PER", "ORG", "GPE"];

    /// Documents over one text with two-byte characters, with random spans
    /// (on character boundaries) of random labels, some with a source; ids `d0`,
    /// `d1`, ... so two draws pair up.
    fn arb_documents() -> impl Strategy<Value = Vec<Document>> {
        let text = "é-x".repeat(13);
        let byte =
            |text: &str, char: usize| text.char_indices().nth(char).map_or(text.len(), |(i, _)| i);
        let span = (0usize..30, 1usize..8, 0..LABELS.len(), proptest::option::of(0u8..3));
        prop::collection::vec(prop::collection::vec(span, 0..6), 0..4).prop_map(move |documents| {
            documents
                .into_iter()
                .enumerate()
                .map(|(i, spans)| {
                    let spans = spans
                        .into_iter()
                        .map(|(start, len, label, source)| {
                            let span = Span::new(
                                byte(&text, start),
                                byte(&text, start + len),
                                LABELS[label],
                            );
                            match source {
                                Some(n) => span.with_source(format!("entries.tsv:{n}")),
                                None => span,
                            }
                        })
                        .collect();
                    Document::new(format!("d{i}"), text.clone(), spans)
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn random_comparisons_make_valid_sorted_reports(
            gold in arb_documents(),
            prediction in arb_documents(),
            min_overlap in 1.0f64..=100.0,
        ) {
            let gold = Annotations::new("gold", gold);
            let prediction = Annotations::new("pred", prediction);
            let differ = DifferBuilder::new()
                .allow_missing(true)
                .min_overlap_percentage(min_overlap)
                .build()
                .unwrap();
            let comparison = differ.compare(&gold, &prediction).unwrap();
            let report = json_report(&comparison).to_string();
            let value = parse(&report);
            prop_assert!(schema_errors(&value).is_empty(), "{:?}\n{}", schema_errors(&value), report);
            prop_assert_eq!(&report, &sorted_keys(&value));
        }
    }
}
