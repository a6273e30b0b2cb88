//! What is compared: documents with their spans, in sets named after their input.

use std::ops::Range;

/// One annotated span of a [`Document`].
///
/// `start` and `end` are **byte** offsets into the document's text, half-open
/// (`text[start..end]` is the span's text), like every offset inside rubric.
/// Scoring converts them to the unit the [`Differ`](crate::Differ) was built with,
/// once, per document.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the span's first byte.
    pub start: usize,
    /// Byte offset one past the span's last byte.
    pub end: usize,
    /// The entity label (`PER`, `ORG`, ...).
    pub label: String,
    /// What produced the span (a gazetteer entry, a rule, a model), when known.
    /// Only read by [`Comparison::by_source`](crate::Comparison::by_source).
    pub source: Option<String>,
}

impl Span {
    /// A span without a source.
    pub fn new(start: usize, end: usize, label: impl Into<String>) -> Self {
        Span { start, end, label: label.into(), source: None }
    }

    /// The same span, produced by `source`.
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }
}

/// One document as one annotator (or model, or gazetteer version) annotated it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    /// The id that pairs this document with the other side's.
    pub id: String,
    /// The text; both sides of a pair must have exactly the same text.
    pub text: String,
    /// The spans, in any order: they are sorted by `(start, end, label)` before
    /// scoring, so the order they come in never changes a count.
    pub spans: Vec<Span>,
    /// Token byte ranges for `--kappa`, when the input has them (a record's
    /// `tokens`); without them the text is tokenized with `rubric-tokenizer`.
    pub tokens: Option<Vec<Range<usize>>>,
}

impl Document {
    /// A document without tokens.
    pub fn new(id: impl Into<String>, text: impl Into<String>, spans: Vec<Span>) -> Self {
        Document { id: id.into(), text: text.into(), spans, tokens: None }
    }
}

/// The documents of one input, under the name the user knows it by (its path).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotations {
    /// The input's name, used in reports and error messages.
    pub name: String,
    /// The documents; ids must be unique.
    pub documents: Vec<Document>,
}

impl Annotations {
    /// A named set of documents.
    pub fn new(name: impl Into<String>, documents: Vec<Document>) -> Self {
        Annotations { name: name.into(), documents }
    }
}

impl From<&rubric_exporter::Record> for Document {
    /// The record's id, text, spans (with their `source`) and its non-space
    /// tokens (for `--kappa`).
    fn from(record: &rubric_exporter::Record) -> Self {
        let text = record.text();
        Document {
            id: record.id().to_string(),
            text: text.to_string(),
            spans: record
                .spans()
                .iter()
                .map(|span| Span {
                    start: span.start,
                    end: span.end,
                    label: span.label.clone(),
                    source: span.source.clone(),
                })
                .collect(),
            tokens: Some(
                record
                    .tokens()
                    .iter()
                    .filter(|token| !token.is_space(text))
                    .map(|token| token.start..token.end)
                    .collect(),
            ),
        }
    }
}
