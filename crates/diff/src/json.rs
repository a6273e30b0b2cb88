//! `--format json`: the figures in a stable structure, specified by
//! `schemas/diff.schema.json`.

use rubric_offsets::OffsetMap;
use serde_json::{json, Map, Value};

use crate::{Agreement, Comparison, Span};

/// The comparison as JSON, in the structure `schemas/diff.schema.json` specifies.
///
/// ```json
/// {"gold":"gold.jsonl","prediction":"pred.jsonl","offsets":"char","min_overlap_percentage":1.0,
///  "overall":{"strict":COUNTS,"exact":COUNTS,"partial":COUNTS,"type":COUNTS},
///  "macro":{"strict":{"precision":0.5,"recall":0.5,"f1":0.5},...},
///  "labels":{"GPE":{"strict":COUNTS,...},...},
///  "documents":[{"id":"d1","pairing":"paired","overall":{"strict":COUNTS,...},
///    "disagreements":[{"kind":"wrong_label",
///      "gold":{"start":0,"end":4,"label":"GPE","text":"Iran"},
///      "prediction":{"start":0,"end":4,"label":"ORG","text":"Iran","source":"orgs.tsv:3"}}]}],
///  "sources":[{"source":"orgs.tsv:3","predicted":1,"correct":0,"spurious":0,"wrong_label":1,
///    "wrong_boundary":0,"missed":0}]}
/// ```
///
/// `COUNTS` is `{"correct","incorrect","partial","missed","spurious","possible",
/// "actual","precision","recall","f1"}`, nervaluate's `EvaluationResult`.
/// `overall` is the micro average. Span offsets are in `offsets` units, `end`
/// exclusive; `sources` is [`Comparison::by_source`], empty when no span has a
/// source. Disagreements are under `strict`, in reading order; `kind` is one of
/// `missed`, `spurious`, `wrong_label`, `wrong_boundary`,
/// `wrong_label_and_boundary`.
pub fn json_report(comparison: &Comparison) -> Value {
    let documents: Vec<Value> = comparison
        .documents
        .iter()
        .map(|document| {
            let gold_map = OffsetMap::new(&document.text, comparison.unit);
            let prediction_text = document.prediction_text.as_deref().unwrap_or(&document.text);
            let prediction_map = OffsetMap::new(prediction_text, comparison.unit);
            let disagreements: Vec<Value> = document
                .disagreements
                .iter()
                .map(|d| {
                    json!({
                        "kind": d.kind.as_str(),
                        "gold": d.gold.as_ref().map_or(Value::Null, |s| span_json(s, &document.text, &gold_map)),
                        "prediction": d.prediction.as_ref().map_or(Value::Null, |s| span_json(s, prediction_text, &prediction_map)),
                    })
                })
                .collect();
            json!({
                "id": document.id,
                "pairing": document.pairing,
                "overall": document.overall,
                "disagreements": disagreements,
            })
        })
        .collect();
    let labels: Map<String, Value> =
        comparison.labels.iter().map(|(label, scores)| (label.clone(), json!(scores))).collect();
    json!({
        "gold": comparison.gold,
        "prediction": comparison.prediction,
        "offsets": comparison.unit.as_str(),
        "min_overlap_percentage": comparison.min_overlap_percentage,
        "overall": comparison.overall,
        "macro": comparison.macro_average,
        "labels": labels,
        "documents": documents,
        "sources": comparison.by_source(),
    })
}

/// The agreement matrix as JSON:
/// `{"inputs":[NAME,...],"schema":"strict","f1":[[F1,...],...],"kappa":[[K,...],...]}`,
/// where `f1[i][j]` scores input `j` against input `i` as gold, and `kappa` is
/// `null` unless asked for (and `null` in a cell where kappa is undefined).
pub fn agreement_json(agreement: &Agreement) -> Value {
    json!({
        "inputs": agreement.inputs,
        "schema": agreement.schema,
        "f1": agreement.f1,
        "kappa": agreement.kappa,
    })
}

fn span_json(span: &Span, text: &str, map: &OffsetMap<'_>) -> Value {
    // The differ checked every offset before scoring, so conversion cannot fail
    // here; the byte offset is a faithful fallback if it ever did.
    let start = map.to_unit(span.start).unwrap_or(span.start);
    let end = map.to_unit(span.end).unwrap_or(span.end);
    let mut object = Map::new();
    object.insert("start".into(), json!(start));
    object.insert("end".into(), json!(end));
    object.insert("label".into(), json!(span.label));
    object.insert("text".into(), json!(text.get(span.start..span.end).unwrap_or("")));
    if let Some(source) = &span.source {
        object.insert("source".into(), json!(source));
    }
    Value::Object(object)
}
