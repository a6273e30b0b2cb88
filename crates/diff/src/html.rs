//! `--format html`: one self-contained page, both annotations side by side.

use std::collections::BTreeSet;
use std::fmt::Write;

use rubric_exporter::escape_markup as escape;
use serde_json::json;

use crate::{Comparison, DisagreementKind, DocumentComparison, Schema, Span};

const STYLE: &str = r#"
body { font: 15px/1.5 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.15em 0.5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.side { border: 1px solid #ddd; padding: 0.5em 0.8em; white-space: pre-wrap; overflow-wrap: anywhere; }
.side h3 { margin: 0 0 0.3em; font-size: 0.9em; color: #666; white-space: normal; }
.seg { border-radius: 2px; }
.seg.nested { box-shadow: inset 0 -3px 0 #555; }
.k-correct { background: #c8f0c8; }
.k-missed { background: #f7b6b6; }
.k-spurious { background: #fbe49a; }
.k-wrong_label { background: #e2c2f2; }
.k-wrong_boundary { background: #a8e0ec; }
.k-wrong_label_and_boundary { background: #d7b7f0; }
sup.tag { font-size: 0.65em; color: #444; margin-right: 1px; }
.hidden { display: none; }
fieldset { margin: 0.5em 0 1em; }
fieldset label { margin-right: 1em; white-space: nowrap; }
section.doc { margin-bottom: 2em; }
"#;

const SCRIPT: &str = r#"
(function () {
  "use strict";
  function enabled(kind) {
    var set = new Set();
    document.querySelectorAll('input[data-filter="' + kind + '"]').forEach(function (box) {
      if (box.checked) { set.add(box.value); }
    });
    return set;
  }
  function update() {
    var labels = enabled("label");
    var kinds = enabled("kind");
    document.querySelectorAll(".seg").forEach(function (seg) {
      var spans = JSON.parse(seg.getAttribute("data-spans"));
      var visible = spans.filter(function (s) { return labels.has(s[0]) && kinds.has(s[1]); });
      seg.className = "seg";
      if (visible.length > 0) {
        seg.classList.add("k-" + visible[0][1]);
        if (visible.length > 1) { seg.classList.add("nested"); }
      }
    });
    document.querySelectorAll("[data-label][data-kind]").forEach(function (el) {
      var show = kinds.has(el.getAttribute("data-kind")) &&
        el.getAttribute("data-label").split(" ").some(function (l) { return labels.has(l); });
      el.classList.toggle("hidden", !show);
    });
  }
  // A fragment like #hide=label:GPE,kind:correct unticks those boxes, so that a
  // filtered view can be shared as a link.
  var match = /^#hide=(.*)$/.exec(window.location.hash);
  var hidden = match ? decodeURIComponent(match[1]).split(",") : [];
  document.querySelectorAll("input[data-filter]").forEach(function (box) {
    if (hidden.indexOf(box.getAttribute("data-filter") + ":" + box.value) >= 0) { box.checked = false; }
    box.addEventListener("change", update);
  });
  update();
  document.body.setAttribute("data-ready", "true");
})();
"#;

/// The comparison as one HTML page that needs nothing else (no network, no
/// files): the scores, then each document with the gold and the predicted spans
/// highlighted side by side (coloured by what became of them under `strict`;
/// nested spans underlined), its disagreements in a table, and checkboxes that
/// filter everything by label and by kind (`report.html#hide=label:GPE,kind:correct`
/// opens with those unticked).
pub fn html_report(comparison: &Comparison) -> String {
    let mut out = String::new();
    let title = format!("rubric diff: {} vs {}", comparison.gold, comparison.prediction);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(&title));
    let _ = writeln!(
        out,
        "<p>gold: <b>{}</b>, prediction: <b>{}</b>, {} document{}, offsets in {}.</p>",
        escape(&comparison.gold),
        escape(&comparison.prediction),
        comparison.documents.len(),
        if comparison.documents.len() == 1 { "" } else { "s" },
        comparison.unit
    );

    out.push_str("<table class=\"scores\">\n<tr><th>schema</th><th>correct</th><th>incorrect</th><th>partial</th><th>missed</th><th>spurious</th><th>possible</th><th>actual</th><th>precision</th><th>recall</th><th>F1</th></tr>\n");
    for schema in Schema::ALL {
        let c = comparison.overall.get(schema);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td></tr>",
            schema, c.correct, c.incorrect, c.partial, c.missed, c.spurious, c.possible, c.actual, c.precision, c.recall, c.f1
        );
    }
    out.push_str("</table>\n<table class=\"labels\">\n<tr><th>label</th>");
    for schema in Schema::ALL {
        let _ = write!(out, "<th>{schema} P</th><th>{schema} R</th><th>{schema} F1</th>");
    }
    out.push_str("</tr>\n");
    for (label, scores) in &comparison.labels {
        let _ = write!(out, "<tr><td>{}</td>", escape(label));
        for schema in Schema::ALL {
            let c = scores.get(schema);
            let _ = write!(
                out,
                "<td>{:.4}</td><td>{:.4}</td><td>{:.4}</td>",
                c.precision, c.recall, c.f1
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");

    let labels: BTreeSet<&str> = comparison
        .documents
        .iter()
        .flat_map(|d| d.gold.iter().chain(&d.prediction))
        .map(|s| s.label.as_str())
        .collect();
    out.push_str("<fieldset id=\"filters\"><legend>Show</legend>\n<div>labels: ");
    for label in &labels {
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" data-filter=\"label\" value=\"{0}\" checked> {0}</label>",
            escape(label)
        );
    }
    out.push_str("</div>\n<div>kinds: ");
    let kinds = std::iter::once("correct").chain(DisagreementKind::ALL.iter().map(|k| k.as_str()));
    for kind in kinds {
        let _ = write!(
            out,
            "<label class=\"k-{kind}\"><input type=\"checkbox\" data-filter=\"kind\" value=\"{kind}\" checked> {}</label>",
            kind.replace('_', " ")
        );
    }
    out.push_str("</div>\n</fieldset>\n");

    for document in &comparison.documents {
        write_document(&mut out, document);
    }
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

fn write_document(out: &mut String, document: &DocumentComparison) {
    let _ = writeln!(out, "<section class=\"doc\">\n<h2>{}</h2>", escape(&document.id));
    let pairing = match document.pairing {
        crate::Pairing::Paired => None,
        crate::Pairing::GoldOnly => Some("Only in gold: every gold span counts as missed."),
        crate::Pairing::PredictionOnly => {
            Some("Only in the prediction: every span counts as spurious.")
        }
        crate::Pairing::TextDiffers => {
            Some("The texts differ: gold spans count as missed, predicted ones as spurious.")
        }
    };
    if let Some(note) = pairing {
        let _ = writeln!(out, "<p>{note}</p>");
    }
    let kind_name =
        |kind: Option<DisagreementKind>| kind.map_or("correct", DisagreementKind::as_str);
    let gold_kinds: Vec<&str> = document.gold_kinds().into_iter().map(kind_name).collect();
    let prediction_kinds: Vec<&str> =
        document.prediction_kinds().into_iter().map(kind_name).collect();
    let prediction_text = document.prediction_text.as_deref().unwrap_or(&document.text);
    out.push_str("<div class=\"sides\">\n");
    write_side(out, "gold", &document.text, &document.gold, &gold_kinds);
    write_side(out, "prediction", prediction_text, &document.prediction, &prediction_kinds);
    out.push_str("</div>\n");
    if !document.disagreements.is_empty() {
        out.push_str("<table class=\"disagreements\">\n<tr><th>kind</th><th>gold</th><th>prediction</th></tr>\n");
        for d in &document.disagreements {
            let labels: BTreeSet<&str> =
                d.gold.iter().chain(&d.prediction).map(|s| s.label.as_str()).collect();
            let cell = |span: &Option<Span>, text: &str| {
                span.as_ref().map_or(String::new(), |s| {
                    format!(
                        "{} “{}”",
                        escape(&s.label),
                        escape(text.get(s.start..s.end).unwrap_or(""))
                    )
                })
            };
            let _ = writeln!(
                out,
                "<tr data-kind=\"{kind}\" data-label=\"{}\"><td class=\"k-{kind}\">{}</td><td>{}</td><td>{}</td></tr>",
                escape(&labels.into_iter().collect::<Vec<_>>().join(" ")),
                d.kind.as_str().replace('_', " "),
                cell(&d.gold, &document.text),
                cell(&d.prediction, prediction_text),
                kind = d.kind.as_str(),
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

/// The text with its spans highlighted: cut at every span boundary, each piece
/// lists the spans over it, innermost (shortest) first.
fn write_side(out: &mut String, side: &str, text: &str, spans: &[Span], kinds: &[&str]) {
    let _ = write!(out, "<div class=\"side {side}\"><h3>{side}</h3>");
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for span in spans {
        cuts.push(span.start.min(text.len()));
        cuts.push(span.end.min(text.len()));
    }
    cuts.sort_unstable();
    cuts.dedup();
    for window in cuts.windows(2) {
        let (start, end) = (window[0], window[1]);
        for (index, span) in spans.iter().enumerate() {
            if span.start == start {
                let _ = write!(
                    out,
                    "<sup class=\"tag\" data-label=\"{}\" data-kind=\"{}\">{}</sup>",
                    escape(&span.label),
                    kinds[index],
                    escape(&span.label)
                );
            }
        }
        let piece = escape(text.get(start..end).unwrap_or(""));
        let mut over: Vec<(usize, usize)> = spans
            .iter()
            .enumerate()
            .filter(|(_, s)| s.start <= start && end <= s.end)
            .map(|(i, s)| (s.end - s.start, i))
            .collect();
        if over.is_empty() {
            out.push_str(&piece);
            continue;
        }
        over.sort_unstable();
        let data: Vec<[&str; 2]> =
            over.iter().map(|&(_, i)| [spans[i].label.as_str(), kinds[i]]).collect();
        let nested = if over.len() > 1 { " nested" } else { "" };
        let _ = write!(
            out,
            "<span class=\"seg k-{}{nested}\" data-spans=\"{}\">{piece}</span>",
            kinds[over[0].1],
            escape(&json!(data).to_string())
        );
    }
    out.push_str("</div>\n");
}
