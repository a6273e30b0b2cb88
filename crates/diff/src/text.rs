//! `--format text`: the table, then each document's disagreements in context.

use std::fmt::Write;

use rubric_exporter::{escape_controls, is_terminal_control};

use crate::{
    Agreement, Comparison, Counts, Disagreement, DisagreementKind, DocumentComparison, Figures,
    Pairing, Schema, SourceTally, Span,
};

/// How [`text_report`] renders.
#[derive(Clone, Debug)]
pub struct TextOptions {
    /// ANSI colours (for a terminal).
    pub color: bool,
    /// Characters of context on each side of a disagreement.
    pub context: usize,
    /// Whether to list the sources with the most errors.
    pub by_source: bool,
    /// How many sources to list at most (the rest are counted, not dropped silently).
    pub sources_limit: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions { color: false, context: 30, by_source: false, sources_limit: 20 }
    }
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";

fn marker(kind: DisagreementKind) -> (&'static str, &'static str, &'static str) {
    // (marker, name, colour)
    match kind {
        DisagreementKind::Missed => ("-", "missed", "\x1b[31m"),
        DisagreementKind::Spurious => ("+", "spurious", "\x1b[33m"),
        DisagreementKind::WrongLabel => ("~", "wrong label", "\x1b[35m"),
        DisagreementKind::WrongBoundary => ("|", "wrong boundary", "\x1b[36m"),
        DisagreementKind::WrongLabelAndBoundary => ("*", "wrong label+boundary", "\x1b[35m"),
    }
}

/// The comparison as text: a header, the counts under each schema, precision,
/// recall and F1 per label under each schema (with the micro and macro
/// averages), optionally the sources with the most errors, then per document the
/// disagreements under `strict` in reading order, each with its position
/// (line:column, in characters), a marker (`-` missed, `+` spurious, `~` wrong
/// label, `|` wrong boundary, `*` wrong label and boundary) and its context, the
/// disagreeing text between `⟦` and `⟧`.
pub fn text_report(comparison: &Comparison, options: &TextOptions) -> String {
    let paint = Paint { color: options.color };
    let mut out = String::new();
    write_summary(&mut out, comparison);
    write_counts(&mut out, comparison, paint);
    write_label_figures(&mut out, comparison, paint);
    if options.by_source {
        write_sources(&mut out, &comparison.by_source(), options.sources_limit, paint);
    }
    for document in &comparison.documents {
        write_disagreements(&mut out, document, options.context, paint);
    }
    out
}

/// ANSI colours, or none.
#[derive(Clone, Copy)]
struct Paint {
    color: bool,
}

impl Paint {
    fn paint(self, colour: &str, text: &str) -> String {
        if self.color {
            format!("{colour}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// A table's header or a document's title: one line in bold.
    fn heading(self, out: &mut String, text: &str) {
        let _ = writeln!(out, "{}", self.paint(BOLD, text));
    }
}

/// What was compared with what.
fn write_summary(out: &mut String, comparison: &Comparison) {
    let _ = writeln!(
        out,
        "gold: {}  prediction: {}  documents: {}  offsets: {}",
        escape_controls(&comparison.gold),
        escape_controls(&comparison.prediction),
        comparison.documents.len(),
        comparison.unit
    );
}

/// The counts and figures under each schema, over all documents.
fn write_counts(out: &mut String, comparison: &Comparison, paint: Paint) {
    out.push('\n');
    paint.heading(
        out,
        &format!(
            "{:<8} {:>8} {:>9} {:>7} {:>6} {:>8} {:>8} {:>6} {:>9} {:>6} {:>6}",
            "schema",
            "correct",
            "incorrect",
            "partial",
            "missed",
            "spurious",
            "possible",
            "actual",
            "precision",
            "recall",
            "f1"
        ),
    );
    for schema in Schema::ALL {
        let c = comparison.overall.get(schema);
        let _ = writeln!(
            out,
            "{:<8} {:>8} {:>9} {:>7} {:>6} {:>8} {:>8} {:>6} {:>9.4} {:>6.4} {:>6.4}",
            schema.as_str(),
            c.correct,
            c.incorrect,
            c.partial,
            c.missed,
            c.spurious,
            c.possible,
            c.actual,
            c.precision,
            c.recall,
            c.f1
        );
    }
}

/// Per schema, a table of each label's precision, recall and F1, then the micro
/// and macro averages.
fn write_label_figures(out: &mut String, comparison: &Comparison, paint: Paint) {
    let width = comparison
        .labels
        .keys()
        .map(|l| escape_controls(l).chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    for schema in Schema::ALL {
        out.push('\n');
        paint.heading(
            out,
            &format!(
                "{:<width$} {:>9} {:>6} {:>6} {:>6} {:>6}",
                schema.as_str(),
                "precision",
                "recall",
                "f1",
                "gold",
                "pred"
            ),
        );
        for (label, scores) in &comparison.labels {
            let _ = writeln!(out, "{}", label_row(label, scores.get(schema), width));
        }
        let _ = writeln!(out, "{}", label_row("micro", comparison.overall.get(schema), width));
        let m: &Figures = comparison.macro_average.get(schema);
        let _ = writeln!(
            out,
            "{:<width$} {:>9.4} {:>6.4} {:>6.4}",
            "macro", m.precision, m.recall, m.f1
        );
    }
}

/// The sources with the most errors, at most `limit` of them (the rest counted).
fn write_sources(out: &mut String, sources: &[SourceTally], limit: usize, paint: Paint) {
    out.push('\n');
    if sources.is_empty() {
        let _ = writeln!(out, "sources: no span names its source");
        return;
    }
    let shown = &sources[..sources.len().min(limit)];
    let width =
        shown.iter().map(|s| escape_controls(&s.source).chars().count()).max().unwrap_or(0).max(6);
    paint.heading(
        out,
        &format!(
            "{:<width$} {:>9} {:>7} {:>8} {:>11} {:>14} {:>6}",
            "source", "predicted", "correct", "spurious", "wrong_label", "wrong_boundary", "missed"
        ),
    );
    for s in shown {
        let _ = writeln!(
            out,
            "{:<width$} {:>9} {:>7} {:>8} {:>11} {:>14} {:>6}",
            escape_controls(&s.source),
            s.predicted,
            s.correct,
            s.spurious,
            s.wrong_label,
            s.wrong_boundary,
            s.missed
        );
    }
    if sources.len() > shown.len() {
        let _ = writeln!(
            out,
            "({} more sources; --format json lists them all)",
            sources.len() - shown.len()
        );
    }
}

/// One document's disagreements, each on a line with its place, marker and
/// context; nothing for a paired document without any.
fn write_disagreements(
    out: &mut String,
    document: &DocumentComparison,
    context_chars: usize,
    paint: Paint,
) {
    if document.disagreements.is_empty() && document.pairing == Pairing::Paired {
        return;
    }
    out.push('\n');
    let pairing = match document.pairing {
        Pairing::Paired => "",
        Pairing::GoldOnly => ", only in gold: its spans count as missed",
        Pairing::PredictionOnly => ", only in prediction: its spans count as spurious",
        Pairing::TextDiffers => ", texts differ: spans count as missed and spurious",
    };
    let count = document.disagreements.len();
    paint.heading(
        out,
        &format!(
            "{} ({count} disagreement{}{pairing})",
            escape_controls(&document.id),
            if count == 1 { "" } else { "s" }
        ),
    );
    for disagreement in &document.disagreements {
        let (mark, name, colour) = marker(disagreement.kind);
        let text = text_of(document, disagreement);
        let (line, column) = line_column(text, disagreement.start());
        let context = context(text, disagreement.start(), disagreement.end(), context_chars, |s| {
            paint.paint(BOLD, s)
        });
        let _ = writeln!(
            out,
            "  {} {} {:>4}:{:<3} {}  {}",
            paint.paint(colour, mark),
            paint.paint(colour, &format!("{name:<20}")),
            line,
            column,
            describe(disagreement, document),
            context
        );
    }
}

fn label_row(label: &str, c: &Counts, width: usize) -> String {
    format!(
        "{:<width$} {:>9.4} {:>6.4} {:>6.4} {:>6} {:>6}",
        escape_controls(label),
        c.precision,
        c.recall,
        c.f1,
        c.possible,
        c.actual
    )
}

/// The text a disagreement's offsets index.
fn text_of<'d>(document: &'d DocumentComparison, disagreement: &Disagreement) -> &'d str {
    match (&document.prediction_text, &disagreement.gold) {
        (Some(prediction_text), None) => prediction_text,
        _ => &document.text,
    }
}

fn quoted(span: &Span, text: &str) -> String {
    format!("{:?}", text.get(span.start..span.end).unwrap_or(""))
}

fn describe(disagreement: &Disagreement, document: &DocumentComparison) -> String {
    let text = text_of(document, disagreement);
    let label = |span: &Span| escape_controls(&span.label).into_owned();
    match (&disagreement.gold, &disagreement.prediction) {
        (Some(g), None) => format!("{} {}", label(g), quoted(g, text)),
        (None, Some(p)) => format!("{} {}", label(p), quoted(p, text)),
        (Some(g), Some(p)) => match disagreement.kind {
            DisagreementKind::WrongLabel => {
                format!("{} → {} {}", label(g), label(p), quoted(g, text))
            }
            DisagreementKind::WrongBoundary => {
                format!("{} {} → {}", label(g), quoted(g, text), quoted(p, text))
            }
            _ => format!("{} {} → {} {}", label(g), quoted(g, text), label(p), quoted(p, text)),
        },
        (None, None) => String::new(),
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// `…before ⟦marked⟧ after…`, white space runs shown as one space.
fn context(
    text: &str,
    start: usize,
    end: usize,
    chars: usize,
    bold: impl Fn(&str) -> String,
) -> String {
    let before = text.get(..start).unwrap_or("");
    let marked = text.get(start..end).unwrap_or("");
    let after = text.get(end..).unwrap_or("");
    let before_chars: Vec<char> = before.chars().collect();
    let cut = before_chars.len().saturating_sub(chars);
    let mut left: String = before_chars[cut..].iter().collect();
    if cut > 0 {
        left.insert(0, '…');
    }
    let mut right: String = after.chars().take(chars).collect();
    if after.chars().nth(chars).is_some() {
        right.push('…');
    }
    format!("{}{}{}", flatten(&left), bold(&format!("⟦{}⟧", flatten(marked))), flatten(&right))
}

fn flatten(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            push_escaped(&mut out, c);
            in_space = false;
        }
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    if is_terminal_control(c) {
        // `\u{1b}`, as Rust's `{:?}` (and so rubric's warnings) writes it.
        out.extend(c.escape_unicode());
    } else {
        out.push(c);
    }
}

/// The agreement matrices as text: inputs numbered, F1 with the row input as gold,
/// then kappa when computed (`-` where undefined).
pub fn agreement_text(agreement: &Agreement) -> String {
    let mut out = String::new();
    for (i, name) in agreement.inputs.iter().enumerate() {
        let _ = writeln!(out, "[{}] {}", i + 1, escape_controls(name));
    }
    let header = |out: &mut String| {
        let _ = write!(out, "{:>8}", "");
        for i in 0..agreement.inputs.len() {
            let _ = write!(out, " {:>8}", format!("[{}]", i + 1));
        }
        out.push('\n');
    };
    let _ = writeln!(out, "\nF1 under {} (row: gold, column: prediction)", agreement.schema);
    header(&mut out);
    for (i, row) in agreement.f1.iter().enumerate() {
        let _ = write!(out, "{:>8}", format!("[{}]", i + 1));
        for value in row {
            let _ = write!(out, " {value:>8.4}");
        }
        out.push('\n');
    }
    if let Some(kappa) = &agreement.kappa {
        let _ = writeln!(out, "\nCohen's kappa on token-level IOB2 labels");
        header(&mut out);
        for (i, row) in kappa.iter().enumerate() {
            let _ = write!(out, "{:>8}", format!("[{}]", i + 1));
            for value in row {
                match value {
                    Some(value) => {
                        let _ = write!(out, " {value:>8.4}");
                    }
                    None => {
                        let _ = write!(out, " {:>8}", "-");
                    }
                }
            }
            out.push('\n');
        }
    }
    out
}
