//! Spans on tokens: what token-based formats need, and the policy for spans that
//! do not fit.

use std::fmt;
use std::str::FromStr;

use rubric_tokenizer::{Sentence, Token, TokenKind, Tokenizer};

use smol_str::SmolStr;

use crate::error::{Error, ErrorKind};
use crate::record::Record;

/// What a token-based converter does with a span that does not start and end on
/// token boundaries. Whatever the choice, the converter counts the spans it touched
/// in an [`AlignmentReport`]; nothing is dropped silently.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Misaligned {
    /// Stop with an error naming the document, the span and its text. The default.
    #[default]
    Error,
    /// Grow the span to every token it overlaps.
    Expand,
    /// Shrink the span to the tokens that lie wholly inside it; a span that holds
    /// no whole token is dropped (and counted as dropped).
    Contract,
    /// Leave the span out.
    Drop,
}

impl Misaligned {
    /// The name used on the command line: `error`, `expand`, `contract`, `drop`.
    pub fn as_str(self) -> &'static str {
        match self {
            Misaligned::Error => "error",
            Misaligned::Expand => "expand",
            Misaligned::Contract => "contract",
            Misaligned::Drop => "drop",
        }
    }
}

impl fmt::Display for Misaligned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Misaligned {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "error" => Ok(Misaligned::Error),
            "expand" => Ok(Misaligned::Expand),
            "contract" => Ok(Misaligned::Contract),
            "drop" => Ok(Misaligned::Drop),
            other => {
                Err(format!("unknown policy {other:?}: expected error, expand, contract or drop"))
            }
        }
    }
}

/// How many spans a token-based converter wrote as they were, and how many the
/// [`Misaligned`] policy changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AlignmentReport {
    /// Spans seen.
    pub spans: usize,
    /// Spans written as they were.
    pub aligned: usize,
    /// Misaligned spans grown to whole tokens.
    pub expanded: usize,
    /// Misaligned spans shrunk to whole tokens.
    pub contracted: usize,
    /// Misaligned spans left out (by `drop`, or by `contract` or `expand` when no
    /// written token was left).
    pub dropped: usize,
    /// Documents that had no tokens (span-only records) and were tokenized with
    /// rubric's tokenizer to be written ([`tokens_for`]).
    pub tokenized: usize,
}

impl AlignmentReport {
    /// Spans the policy changed or dropped.
    pub fn touched(&self) -> usize {
        self.expanded + self.contracted + self.dropped
    }

    /// Adds another report's counts to this one.
    pub fn add(&mut self, other: &AlignmentReport) {
        self.spans += other.spans;
        self.aligned += other.aligned;
        self.expanded += other.expanded;
        self.contracted += other.contracted;
        self.dropped += other.dropped;
        self.tokenized += other.tokenized;
    }
}

impl fmt::Display for AlignmentReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} span(s): {} aligned, {} expanded, {} contracted, {} dropped",
            self.spans, self.aligned, self.expanded, self.contracted, self.dropped
        )?;
        if self.tokenized > 0 {
            write!(
                f,
                "; {} document(s) without tokens tokenized by rubric's tokenizer",
                self.tokenized
            )?;
        }
        Ok(())
    }
}

/// `record` with tokens a token-based writer can put its spans on: the record
/// itself, or, when it has none (a span-only record), the record tokenized by
/// `tokenizer`, counted in `report.tokenized`.
pub(crate) fn tokens_for<'r>(
    record: &'r Record,
    tokenizer: &Tokenizer,
    report: &mut AlignmentReport,
) -> Result<std::borrow::Cow<'r, Record>, Error> {
    match record.with_tokens(tokenizer) {
        None => Ok(std::borrow::Cow::Borrowed(record)),
        Some(tokenized) => {
            report.tokenized += 1;
            tokenized.map(std::borrow::Cow::Owned)
        }
    }
}

/// A span on written tokens: indices into [`Aligned::tokens`], inclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TokenSpan {
    pub(crate) first: usize,
    pub(crate) last: usize,
    pub(crate) label: SmolStr,
    pub(crate) kb_id: Option<SmolStr>,
}

/// A record's tokens and spans as a token-based format writes them.
#[derive(Debug)]
pub(crate) struct Aligned {
    /// Indices into the record's tokens of the tokens written, in order.
    pub(crate) tokens: Vec<usize>,
    /// The spans on them, in order, not overlapping.
    pub(crate) spans: Vec<TokenSpan>,
}

/// Puts `record`'s spans on its tokens (without its white-space tokens when
/// `skip_space`, since CoNLL and Hugging Face do not write them), following
/// `policy`, and refuses spans that would share a token.
pub(crate) fn align(
    record: &Record,
    policy: Misaligned,
    skip_space: bool,
    format: &'static str,
    report: &mut AlignmentReport,
) -> Result<Aligned, Error> {
    let text = record.text();
    let all = record.tokens();
    let written: Vec<usize> =
        (0..all.len()).filter(|&i| !(skip_space && all[i].is_space(text))).collect();
    let mut spans: Vec<(TokenSpan, usize)> = Vec::new();
    for (index, span) in record.spans().iter().enumerate() {
        report.spans += 1;
        let first = written.partition_point(|&i| all[i].end <= span.start);
        let last = written.partition_point(|&i| all[i].start < span.end).checked_sub(1);
        let overlapped = last.filter(|&last| first <= last);
        let aligned = overlapped.is_some_and(|last| {
            all[written[first]].start == span.start && all[written[last]].end == span.end
        });
        let range = if let (true, Some(last)) = (aligned, overlapped) {
            report.aligned += 1;
            Some((first, last))
        } else {
            match policy {
                Misaligned::Error => {
                    return Err(Error::new(ErrorKind::Misaligned {
                        span: record.span_ref(span),
                        format,
                    }))
                }
                Misaligned::Expand => overlapped.map(|last| (first, last)),
                Misaligned::Contract => {
                    let first = written.partition_point(|&i| all[i].start < span.start);
                    let last = written.partition_point(|&i| all[i].end <= span.end).checked_sub(1);
                    last.filter(|&last| first <= last).map(|last| (first, last))
                }
                Misaligned::Drop => None,
            }
            .inspect(|_| match policy {
                Misaligned::Expand => report.expanded += 1,
                _ => report.contracted += 1,
            })
        };
        let Some((first, last)) = range else {
            report.dropped += 1;
            continue;
        };
        if let Some((previous, previous_index)) = spans.last() {
            if first <= previous.last {
                let other = &record.spans()[*previous_index];
                return Err(Error::new(ErrorKind::Overlapping {
                    span: record.span_ref(&record.spans()[index]),
                    other: record.span_ref(other),
                    format,
                }));
            }
        }
        let token_span =
            TokenSpan { first, last, label: span.label.clone(), kb_id: span.kb_id.clone() };
        spans.push((token_span, index));
    }
    Ok(Aligned { tokens: written, spans: spans.into_iter().map(|(span, _)| span).collect() })
}

/// The indices (into the record's tokens) of the tokens that start a sentence, the
/// first one included, by the tokenizer's rules, except where a sentence would start
/// inside one of `aligned`'s spans: a sentence splitter's mistake (after "Mr.", say)
/// must not cut an entity in two, so the two sentences stay one.
pub(crate) fn sentence_starts(
    record: &Record,
    tokenizer: &Tokenizer,
    aligned: &Aligned,
) -> Vec<usize> {
    let mut starts: Vec<usize> =
        sentences(record, tokenizer).iter().map(|sentence| sentence.token_start).collect();
    starts.retain(|&start| {
        // The spans are in order and do not overlap: only the last one that begins
        // before `start` can contain it.
        let before = aligned.spans.partition_point(|span| aligned.tokens[span.first] < start);
        before == 0 || aligned.tokens[aligned.spans[before - 1].last] < start
    });
    starts
}

/// The record's sentences, by the tokenizer's rules (see [`Tokenizer::sentences`]).
fn sentences(record: &Record, tokenizer: &Tokenizer) -> Vec<Sentence> {
    let text = record.text();
    let tokens: Vec<Token> = record
        .tokens()
        .iter()
        .map(|t| Token {
            start: t.start,
            end: t.end,
            // The sentence splitter looks only at the text and at which tokens are
            // white space.
            kind: if t.is_space(text) { TokenKind::Space } else { TokenKind::Word },
            ws: t.ws,
        })
        .collect();
    tokenizer.sentences(text, &tokens)
}

/// A tag's position in its entity, in the letters the schemes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Position {
    Begin,
    Inside,
    End,
    Single,
    Outside,
}

/// An entity on tokens, decoded from tags: `(first, last, label)`, inclusive.
pub(crate) type Decoded = (usize, usize, String);

/// Decodes a tag sequence in any of IOB1, IOB2, BIOES and BILOU, as seqeval does:
/// `B`, `S` and `U` start an entity; `I`, `E` and `L` continue the open entity of
/// the same label or, if there is none, start one; `E`, `S`, `L`, `U` and `O` end
/// the open entity.
pub(crate) fn decode(tags: &[(Position, &str)]) -> Vec<Decoded> {
    let mut entities = Vec::new();
    let mut open: Option<(usize, &str)> = None;
    for (i, &(position, label)) in tags.iter().enumerate() {
        let continues = matches!(position, Position::Inside | Position::End)
            && open.is_some_and(|(_, open_label)| open_label == label);
        if !continues {
            if let Some((first, open_label)) = open.take() {
                entities.push((first, i - 1, open_label.to_string()));
            }
            if position != Position::Outside {
                open = Some((i, label));
            }
        }
        if matches!(position, Position::End | Position::Single) {
            if let Some((first, open_label)) = open.take() {
                entities.push((first, i, open_label.to_string()));
            }
        }
    }
    if let Some((first, label)) = open {
        entities.push((first, tags.len() - 1, label.to_string()));
    }
    entities
}
