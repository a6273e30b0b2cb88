//! The one front door to rubric's annotation: an [`AnnotatorBuilder`] takes every
//! option `rubric annotate` and the Python package offer (gazetteers by path or
//! value, the default gazetteer, overlaps, aliases, labels, rules, explain, the
//! offset unit of the trace, the tokenizer) and builds an [`Annotator`], whose
//! [`Annotator::annotate`] turns one document into its record. The command line
//! and the Python package only convert their arguments and results, so a new
//! option is added here once and reaches both; they cannot drift apart.
//!
//! ```
//! use std::sync::Arc;
//! use rubric_annotate::AnnotatorBuilder;
//! use rubric_gazetteer::GazetteerBuilder;
//!
//! let tsv = "Tehran\tGPE\tQ3616\nIran\tGPE\tQ794\n";
//! let gazetteer = GazetteerBuilder::new().add_tsv_reader("g.tsv", tsv.as_bytes())?.build()?;
//! let annotator = AnnotatorBuilder::new()
//!     .default_gazetteer(false)
//!     .gazetteer(Arc::new(gazetteer))
//!     .build()?;
//! let annotated = annotator.annotate("d1", "Iran and Tehran.")?;
//! let spans: Vec<_> = annotated.record.spans().iter().map(|s| (s.start, s.end)).collect();
//! assert_eq!(spans, [(0, 4), (9, 15)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The lower-level [`annotate`] (tokenize, match, filter labels, build the record)
//! and [`explain`] remain for callers that hold their own tokenizer and matcher.
#![deny(missing_docs)]

mod builder;
mod error;

pub use builder::{load_gazetteer, AnnotatorBuilder, GazetteerSource, Warning};
pub use error::{quoted_list, Error, ErrorKind};

use std::sync::Arc;

use rubric_exporter::{ExactFields, Record, SpanInput};
use rubric_gazetteer::{DropReason, Dropped, Match, Matcher, Matches};
use rubric_offsets::{OffsetError, OffsetMap, OffsetUnit};
use rubric_tokenizer::Tokenizer;
use serde_json::{json, Map, Value};

/// Annotates documents with the options an [`AnnotatorBuilder`] was given.
/// Cheap to clone and to share between threads: the tokenizer and the matcher
/// (and its gazetteers) are behind one `Arc`.
#[derive(Clone, Debug)]
pub struct Annotator {
    shared: Arc<Shared>,
    explain: bool,
    offsets: OffsetUnit,
    /// Whether records carry their tokens.
    tokens: bool,
}

/// What every clone of an [`Annotator`] shares.
#[derive(Debug)]
struct Shared {
    tokenizer: Tokenizer,
    matcher: Matcher,
    labels: Option<Vec<String>>,
    warnings: Vec<Warning>,
}

impl Annotator {
    /// The record of `text` with id `id`, its spans in byte offsets; with explain
    /// on, its `meta.explain` lists every dropped candidate, its reason and its
    /// winner (offsets in the builder's unit).
    pub fn annotate(&self, id: &str, text: &str) -> Result<Annotated, Error> {
        self.annotate_with_meta(id, text, Map::new(), ExactFields::new())
    }

    /// As [`Annotator::annotate`], the record carrying `meta` (and `exact_meta`,
    /// fields kept as exact JSON text) besides the trace: an input's other fields.
    pub fn annotate_with_meta(
        &self,
        id: &str,
        text: &str,
        meta: Map<String, Value>,
        exact_meta: ExactFields,
    ) -> Result<Annotated, Error> {
        let tokens = self.shared.tokenizer.tokenize(text);
        let matches = self.kept_matches(text, &tokens);
        let spans = matches.spans.iter().map(span_input).collect();
        let record = self.record_of(id, text, &tokens, spans, (meta, exact_meta));
        let record = self.traced(record?, text, &matches.dropped)?;
        Ok(Annotated { record, matches })
    }

    /// The record [`Annotator::annotate`] makes, without the matches beside it.
    pub fn record(&self, id: &str, text: &str) -> Result<Record, Error> {
        self.record_with_meta(id, text, Map::new(), ExactFields::new())
    }

    /// The record [`Annotator::annotate_with_meta`] makes, without the matches
    /// beside it: their strings move into the record's spans instead of being
    /// copied (what a writer of records, the CLI's `annotate`, needs).
    pub fn record_with_meta(
        &self,
        id: &str,
        text: &str,
        meta: Map<String, Value>,
        exact_meta: ExactFields,
    ) -> Result<Record, Error> {
        let tokens = self.shared.tokenizer.tokenize(text);
        let Matches { spans, dropped } = self.kept_matches(text, &tokens);
        let spans = spans.into_iter().map(into_span_input).collect();
        let record = self.record_of(id, text, &tokens, spans, (meta, exact_meta))?;
        self.traced(record, text, &dropped)
    }

    /// The matches of `text`'s `tokens` the record keeps, and the dropped
    /// candidates (every one when the annotator explains).
    fn kept_matches(&self, text: &str, tokens: &[rubric_tokenizer::Token]) -> Matches {
        // The trace costs a match per dropped candidate: only when it is written.
        let mut matches = if self.explain {
            self.shared.matcher.find(text, tokens)
        } else {
            self.shared.matcher.find_untraced(text, tokens)
        };
        one_span_per_label(&mut matches);
        matches.spans.retain(|span| self.keeps(span));
        matches
    }

    /// The record of `text` with `spans` and `meta` (and its exact fields).
    fn record_of(
        &self,
        id: &str,
        text: &str,
        tokens: &[rubric_tokenizer::Token],
        spans: Vec<SpanInput>,
        (meta, exact_meta): (Map<String, Value>, ExactFields),
    ) -> Result<Record, Error> {
        // The trace goes to `meta.explain`: an input's own field of that name
        // would be overwritten, so it is an error, never lost.
        if self.explain && (meta.contains_key("explain") || exact_meta.contains_key("explain")) {
            let kind = rubric_exporter::ErrorKind::ReservedMeta {
                field: "explain".into(),
                writer: "the explain trace".into(),
                advice: "rename it, or leave out `--explain` (Python: `explain=True`)".into(),
            };
            return Err(Error::new(ErrorKind::Record(Box::new(rubric_exporter::Error::new(kind)))));
        }
        let record = if self.tokens {
            Record::new(id, text, tokens, spans)?.with_meta(meta)
        } else {
            Record::without_tokens(id, text, spans, meta)?
        };
        Ok(record.with_exact_meta(exact_meta))
    }

    /// `record` with its trace, made of `dropped`, when the annotator explains.
    fn traced(&self, mut record: Record, text: &str, dropped: &[Dropped]) -> Result<Record, Error> {
        if self.explain {
            let trace = explain(text, dropped, self.offsets)?;
            record.meta_mut().insert("explain".to_string(), trace);
        }
        Ok(record)
    }

    /// Whether a span the matcher kept goes into the record: the filters (today
    /// the labels) in one place, applied after overlaps are resolved, so a name
    /// read as another label is left out, not relabelled.
    fn keeps(&self, span: &Match) -> bool {
        self.shared
            .labels
            .as_ref()
            .is_none_or(|labels| labels.iter().any(|label| *label == span.label))
    }

    /// The same annotator with explain on or off: what a per-call `explain=`
    /// needs, without building anything again.
    pub fn explaining(&self, yes: bool) -> Annotator {
        Annotator { explain: yes, ..self.clone() }
    }

    /// Whether records carry their tokens.
    pub fn writes_tokens(&self) -> bool {
        self.tokens
    }

    /// Whether records carry `meta.explain`.
    pub fn explains(&self) -> bool {
        self.explain
    }

    /// The tokenizer it cuts texts with.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.shared.tokenizer
    }

    /// The matcher it finds spans with.
    pub fn matcher(&self) -> &Matcher {
        &self.shared.matcher
    }

    /// The labels it keeps (`None`: every label).
    pub fn labels(&self) -> Option<&[String]> {
        self.shared.labels.as_deref()
    }

    /// What loading the gazetteers found worth a warning (duplicate or
    /// conflicting entries), in load order; the caller decides how to show it.
    pub fn warnings(&self) -> &[Warning] {
        &self.shared.warnings
    }
}

/// A document's record and the matches it was built from.
#[derive(Debug)]
pub struct Annotated {
    /// The record: text, tokens and the kept spans, in byte offsets.
    pub record: Record,
    /// The kept matches (after the label filter) and, when the annotator
    /// explains, every dropped candidate (else `dropped` holds only the
    /// candidates that lost to another label's span on the same offsets).
    pub matches: Matches,
}

/// Tokenizes `text`, matches it and builds its record with id `id`.
///
/// With `labels`, only spans with one of those labels are kept. Overlaps are
/// resolved first, so a name the gazetteer reads as another label is left out,
/// not relabelled.
pub fn annotate(
    id: &str,
    text: &str,
    tokenizer: &Tokenizer,
    matcher: &Matcher,
    labels: Option<&[String]>,
) -> Result<Annotated, rubric_exporter::Error> {
    let tokens = tokenizer.tokenize(text);
    let mut matches = matcher.find(text, &tokens);
    one_span_per_label(&mut matches);
    if let Some(labels) = labels {
        matches.spans.retain(|span| labels.iter().any(|label| *label == span.label));
    }
    let spans = matches.spans.iter().map(span_input).collect();
    let record = Record::new(id, text, &tokens, spans)?;
    Ok(Annotated { record, matches })
}

/// A record holds one span per offsets and label, but under `--overlaps all` the
/// matcher keeps candidates that differ only in their id (a `Georgia` listed as a
/// country and as a US state). Keep the one the `longest` policy would keep (the
/// highest priority, then the smallest id: never load order) and trace the others
/// as ambiguous, with it as the winner.
fn one_span_per_label(matches: &mut Matches) {
    fn key(m: &Match) -> (usize, usize, &str) {
        (m.start, m.end, &m.label)
    }
    fn rank(m: &Match) -> (std::cmp::Reverse<i32>, Option<&str>, &str) {
        (std::cmp::Reverse(m.priority), m.id.as_deref(), &m.source)
    }
    let mut kept: Vec<Match> = Vec::with_capacity(matches.spans.len());
    for candidate in matches.spans.drain(..) {
        match kept.last_mut() {
            Some(last) if key(last) == key(&candidate) => {
                let loser = if rank(&candidate) < rank(last) {
                    std::mem::replace(last, candidate)
                } else {
                    candidate
                };
                let winner = Some(last.clone());
                let reason = DropReason::Ambiguous;
                matches.dropped.push(Dropped { candidate: loser, reason, winner });
            }
            _ => kept.push(candidate),
        }
    }
    matches.spans = kept;
    matches.dropped.sort_by(|a, b| key(&a.candidate).cmp(&key(&b.candidate)));
}

/// A match as the exporter's span: offsets, label, id and source.
pub fn span_input(found: &Match) -> SpanInput {
    let span =
        SpanInput::new(found.start, found.end, found.label.clone()).source(found.source.clone());
    match &found.id {
        Some(id) => span.kb_id(id.clone()),
        None => span,
    }
}

/// [`span_input`] of a match no longer needed: its strings moved, not copied.
fn into_span_input(found: Match) -> SpanInput {
    let span = SpanInput::new(found.start, found.end, found.label).source(found.source);
    match found.id {
        Some(id) => span.kb_id(id),
        None => span,
    }
}

/// The dropped candidates as JSON (each with its reason and winner), offsets in
/// `unit`: what `rubric annotate --explain` puts in `meta.explain`.
pub fn explain(text: &str, dropped: &[Dropped], unit: OffsetUnit) -> Result<Value, OffsetError> {
    let map = OffsetMap::new(text, unit);
    let describe = |found: &Match| -> Result<Value, OffsetError> {
        Ok(json!({
            "start": map.to_unit(found.start)?,
            "end": map.to_unit(found.end)?,
            "text": text.get(found.start..found.end).unwrap_or_default(),
            "label": found.label,
            "kb_id": found.id,
            "source": found.source,
        }))
    };
    let mut trace = Vec::with_capacity(dropped.len());
    for item in dropped {
        trace.push(json!({
            "candidate": describe(&item.candidate)?,
            "reason": item.reason,
            "winner": item.winner.as_ref().map(&describe).transpose()?,
        }));
    }
    Ok(Value::Array(trace))
}
