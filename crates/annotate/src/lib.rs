//! One document in, one span-annotated record out: the step `rubric annotate`
//! and the Python package share, so that both give the same record for the
//! same text.
//!
//! [`annotate`] tokenizes a text, matches it with a [`Matcher`], keeps the spans
//! whose label is asked for and builds the exporter's [`Record`]; [`explain`]
//! describes the candidates the matcher dropped.
//!
//! ```
//! use std::sync::Arc;
//! use rubric_annotate::annotate;
//! use rubric_gazetteer::{GazetteerBuilder, MatcherBuilder};
//! use rubric_tokenizer::Tokenizer;
//!
//! let tsv = "Tehran\tGPE\tQ3616\nIran\tGPE\tQ794\n";
//! let gazetteer = GazetteerBuilder::new().add_tsv_reader("g.tsv", tsv.as_bytes())?.build()?;
//! let matcher = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]);
//! let annotated = annotate("d1", "Iran and Tehran.", &Tokenizer::new(), &matcher, None)?;
//! let spans: Vec<_> = annotated.record.spans().iter().map(|s| (s.start, s.end)).collect();
//! assert_eq!(spans, [(0, 4), (9, 15)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

use rubric_exporter::{Record, SpanInput};
use rubric_gazetteer::{DropReason, Dropped, Match, Matcher, Matches};
use rubric_offsets::{OffsetError, OffsetMap, OffsetUnit};
use rubric_tokenizer::Tokenizer;
use serde_json::{json, Value};

/// A document's record and the matches it was built from.
#[derive(Debug)]
pub struct Annotated {
    /// The record: text, tokens and the kept spans, in byte offsets.
    pub record: Record,
    /// The kept matches (after the label filter) and every dropped candidate.
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
        matches.spans.retain(|span| labels.contains(&span.label));
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
