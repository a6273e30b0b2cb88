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
    /// Whether `id` is the document's own; `false` when a reader made it up (a
    /// Prodigy line has none), and then [`pair_documents`] pairs by another key.
    pub own_id: bool,
    /// Prodigy's `_input_hash` (the hash of the input text), when the record has
    /// one: the key a Prodigy export's documents pair by.
    pub input_hash: Option<String>,
    /// The line of the input the document was read from, when it was one line.
    pub line: Option<u64>,
}

impl Document {
    /// A document without tokens, with its own id.
    pub fn new(id: impl Into<String>, text: impl Into<String>, spans: Vec<Span>) -> Self {
        Document {
            id: id.into(),
            text: text.into(),
            spans,
            tokens: None,
            own_id: true,
            input_hash: None,
            line: None,
        }
    }

    /// The same document, read from line `line` of its input.
    pub fn at_line(mut self, line: Option<u64>) -> Self {
        self.line = line;
        self
    }
}

/// What the documents of two inputs were paired by ([`pair_documents`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PairedBy {
    /// Their ids (the documents' own, or the position a reader numbered them by).
    #[default]
    Id,
    /// Prodigy's `_input_hash`, since some document had no id.
    InputHash,
    /// Their line numbers in the inputs, since some document had neither an id
    /// nor an `_input_hash`.
    Line,
}

impl PairedBy {
    /// The name reports use: `id`, `_input_hash`, `line`.
    pub fn as_str(self) -> &'static str {
        match self {
            PairedBy::Id => "id",
            PairedBy::InputHash => "_input_hash",
            PairedBy::Line => "line",
        }
    }
}

/// Chooses one key to pair the documents of `inputs` by, and makes it their id:
/// their ids when every document has its own; otherwise Prodigy's
/// `_input_hash` when every document has one (a Prodigy export and rubric's
/// annotation of it both carry it); otherwise their line numbers, when every
/// document was read from one line (span-only JSON Lines without ids). A
/// mix that allows none of these is left paired by id, and unmatched documents
/// are reported as such by the comparison.
///
/// The key is chosen for all inputs at once: one side with ids and one without
/// can only pair by something both have.
pub fn pair_documents(inputs: &mut [Annotations]) -> PairedBy {
    let all =
        |test: fn(&Document) -> bool| inputs.iter().all(|input| input.documents.iter().all(test));
    let paired_by = if all(|d| d.own_id) {
        PairedBy::Id
    } else if all(|d| d.input_hash.is_some()) {
        PairedBy::InputHash
    } else if all(|d| d.line.is_some()) {
        PairedBy::Line
    } else {
        PairedBy::Id
    };
    for input in inputs.iter_mut() {
        for document in &mut input.documents {
            let key = match paired_by {
                PairedBy::Id => continue,
                PairedBy::InputHash => {
                    document.input_hash.as_ref().map(|h| format!("_input_hash {h}"))
                }
                PairedBy::Line => document.line.map(|line| format!("line {line}")),
            };
            if let Some(key) = key {
                document.id = key;
            }
        }
    }
    paired_by
}

/// The documents of one input, under the name the user knows it by (its path).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotations {
    /// The input's name, used in reports and error messages.
    pub name: String,
    /// The documents; ids must be unique.
    pub documents: Vec<Document>,
    /// Records left out because Prodigy's `answer` says they are not
    /// annotations (`reject`, `ignore`), counted by answer.
    pub skipped: std::collections::BTreeMap<String, usize>,
}

impl Annotations {
    /// A named set of documents.
    pub fn new(name: impl Into<String>, documents: Vec<Document>) -> Self {
        Annotations { name: name.into(), documents, skipped: Default::default() }
    }

    /// The documents of records read from `name`, each with the line it was read
    /// from (when it was one line). A record whose `answer` (Prodigy's verdict
    /// on the example, kept in `meta`) is `reject` or `ignore` is not an
    /// annotation to score: it is left out and counted in
    /// [`Annotations::skipped`].
    pub fn from_records<'r>(
        name: impl Into<String>,
        records: impl IntoIterator<Item = (&'r rubric_exporter::Record, Option<u64>)>,
    ) -> Self {
        let mut skipped = std::collections::BTreeMap::new();
        let mut documents = Vec::new();
        for (record, line) in records {
            if let Some(answer @ ("reject" | "ignore")) =
                record.meta().get("answer").and_then(|answer| answer.as_str())
            {
                *skipped.entry(answer.to_string()).or_insert(0) += 1;
                continue;
            }
            documents.push(Document::from(record).at_line(line));
        }
        Annotations { name: name.into(), documents, skipped }
    }
}

impl From<&rubric_exporter::Record> for Document {
    /// The record's id, text, spans (with their `source`), its non-space tokens
    /// (for `--kappa`) when it has tokens, and Prodigy's `_input_hash` when its
    /// `meta` has one.
    fn from(record: &rubric_exporter::Record) -> Self {
        let text = record.text();
        // Prodigy writes the hash as a (signed 32-bit) number; a string is
        // taken as it is.
        let input_hash = match record.meta().get("_input_hash") {
            Some(serde_json::Value::String(hash)) => Some(hash.clone()),
            Some(serde_json::Value::Number(hash)) => Some(hash.to_string()),
            _ => None,
        };
        Document {
            own_id: !record.id_is_made_up(),
            input_hash,
            line: None,
            id: record.id().to_string(),
            text: text.to_string(),
            spans: record
                .spans()
                .iter()
                .map(|span| Span {
                    start: span.start,
                    end: span.end,
                    label: span.label.to_string(),
                    source: span.source.as_deref().map(str::to_string),
                })
                .collect(),
            tokens: record.has_tokens().then(|| {
                record
                    .tokens()
                    .iter()
                    .filter(|token| !token.is_space(text))
                    .map(|token| token.start..token.end)
                    .collect()
            }),
        }
    }
}
