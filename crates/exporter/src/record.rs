//! The record: one annotated document, and the rules that make it valid.

use rubric_offsets::{OffsetMap, OffsetUnit};
use rubric_tokenizer::{Token, Tokenizer};
use serde_json::{Map, Value};
use smol_str::SmolStr;

use crate::error::{Error, ErrorKind, SpanRef};

/// One annotated document: its text, its tokens and its spans. One line of rubric's
/// JSON Lines output.
///
/// # Format
///
/// Each line is one JSON object, compatible with Prodigy's span format, so that
/// readers of Prodigy data read it as it is. `schemas/record.schema.json` says the
/// same thing as a JSON Schema (2020-12); a test keeps the two in agreement.
///
/// ```json
/// {"id":"iran-1","text":"Iran’s IRGC hit Baghdad.","tokens":[{"text":"Iran","start":0,"end":4,"id":0,"ws":false},{"text":"’s","start":4,"end":6,"id":1,"ws":true},{"text":"IRGC","start":7,"end":11,"id":2,"ws":true},{"text":"hit","start":12,"end":15,"id":3,"ws":true},{"text":"Baghdad","start":16,"end":23,"id":4,"ws":false},{"text":".","start":23,"end":24,"id":5,"ws":false}],"spans":[{"start":0,"end":4,"token_start":0,"token_end":0,"label":"GPE","text":"Iran","kb_id":"Q794","source":"countries.tsv:12"},{"start":7,"end":11,"token_start":2,"token_end":2,"label":"ORG","text":"IRGC"},{"start":16,"end":23,"token_start":4,"token_end":4,"label":"GPE","text":"Baghdad"}],"meta":{"lang":"en","offsets":"char"}}
/// ```
///
/// Top-level fields, all written (`tokens` when the record has tokens). When
/// reading, only `text` and `spans` are required, so that Prodigy's `ner_manual`
/// lines and span-only lines (`{"text": ..., "spans": [{"start", "end", "label"}]}`,
/// as nervaluate, GLiNER and most scripts write them) are records as they are:
///
/// - `id` (string): the document's id, unique within a file. A line without one
///   (Prodigy's exports) gets `<file>:<line>` ([`Record::id_is_made_up`]), and
///   `rubric diff` pairs such documents by their `_input_hash`, else by line number.
/// - `text` (string): the document, exactly as it was read; nothing is trimmed or
///   normalised, and every offset indexes this string.
/// - `tokens` (array, optional): the tokens in text order. Each has `text`
///   (exactly `text[start..end]`), `start` and `end` (offsets, `end` exclusive),
///   `id` (its index in `tokens`, from 0) and `ws` (whether one space, U+0020,
///   follows the token and belongs to it, as spaCy's `whitespace_`). White space
///   that is not a token's single trailing space is a token of its own, so the
///   tokens' texts, each followed by a space where `ws` is true, give back `text`.
///   A token may also have `kind`, one of rubric's token kinds (`word`, `number`,
///   `punctuation`, `symbol`, `url`, `email`, `handle`, `hashtag`, `space`), as
///   `rubric tokenize` writes it; it is checked when read and kept like any other
///   token field. A record without tokens ([`Record::has_tokens`]) is written
///   without them; converters that need tokens (CoNLL, Hugging Face, spaCy)
///   tokenize it with rubric's tokenizer ([`Record::with_tokens`]) and count it.
/// - `spans` (array): the annotations, sorted by (`start`, `end`, `label`); they may
///   overlap or nest, but the same offsets with the same label occur once. Each has
///   `start` and `end` (offsets, `end` exclusive, `start < end`), `token_start` and
///   `token_end` (the indices of the first and the last token the span overlaps;
///   `token_end` is inclusive, as in Prodigy; written only when the record has
///   tokens, computed when a line leaves them out, an error in a line without
///   tokens), `label` (non-empty, no white space), `text` (exactly
///   `text[start..end]`; always written, filled from the offsets when a line
///   leaves it out, as Prodigy does), and optionally `kb_id` (a knowledge-base
///   identifier, e.g. a Wikidata QID) and `source` (what produced the span: a
///   gazetteer `file:line` or entry id, a rule, or the input file and line it was
///   read from).
/// - `meta` (object): `offsets` says the unit of every `start` and `end` in the
///   line: `"char"` (Unicode code points, Python `str` indices; the default, and
///   what a line without `meta` has), `"byte"` (UTF-8 bytes) or `"utf16"` (UTF-16
///   code units, JavaScript and Java string indices). Any other field of `meta` is
///   the user's and is kept as it is (fields are written in key order).
///
/// **Fields the format does not define are kept where they were.** Nothing a
/// user's file carried is lost or refused (Prodigy's `_input_hash`, `_task_hash`,
/// `_view_id`, `answer`, `_timestamp`, a token's `disabled`, a span's `score`):
///
/// - an unknown top-level field is held in `meta` (so that [`Record::meta`] shows
///   it, and `rubric diff` reads Prodigy's `answer` and `_input_hash` there) and
///   written back at the top level, after `meta`, in key order
///   ([`Record::top_level_fields`]); a top-level field named like a field of the
///   line's `meta` object, or named `offsets`, is an error, since one of the two
///   would be lost;
/// - an unknown field of a token is written back on that token, after `ws`
///   ([`Record::token_extra`]);
/// - an unknown field of a span is written back on that span, after the fields
///   above ([`Span::extra`]);
///
/// each as the same JSON value, numbers exactly as written (see [`KeptFields`]
/// and [`ExactFields`]), in key order. A file rubric wrote reads back to the same
/// records and writes back to the same bytes.
///
/// A span is *aligned* when it starts at the start of its `token_start` and ends at
/// the end of its `token_end`. Records may hold misaligned spans (a gazetteer match
/// inside a hyphenated token, say): they keep their exact offsets, and
/// `token_start`/`token_end` name the tokens they overlap. Token-based formats
/// (CoNLL, Hugging Face, spaCy) cannot hold them as they are; see [`Misaligned`].
///
/// Reading a record ([`RecordReader`]) checks all of the above and reports the
/// first violation with its file, line and column: a span whose offsets are out
/// of range, whose `text` is not the slice, or whose token indices disagree with
/// its offsets is an error, never repaired.
///
/// In memory, offsets are bytes of `text`; [`RecordWriter`] converts them to the
/// unit asked for when it writes, and [`RecordReader`] back when it reads.
///
/// [`Misaligned`]: crate::Misaligned
/// [`RecordReader`]: crate::RecordReader
/// [`RecordWriter`]: crate::RecordWriter
///
/// ```
/// use rubric_exporter::{Record, SpanInput};
/// use rubric_tokenizer::Tokenizer;
///
/// let text = "Iran’s IRGC hit Baghdad.";
/// let tokens = Tokenizer::new().tokenize(text);
/// let baghdad = text.find("Baghdad").unwrap();
/// let record = Record::new(
///     "iran-1",
///     text,
///     &tokens,
///     vec![
///         SpanInput::new(baghdad, baghdad + "Baghdad".len(), "GPE"),
///         SpanInput::new(0, 4, "GPE").kb_id("Q794").source("countries.tsv:12"),
///     ],
/// )?;
/// // Sorted by offsets; token_end is inclusive.
/// assert_eq!(record.spans()[0].label, "GPE");
/// assert_eq!(record.spans()[1].token_start, 4);
/// assert_eq!(record.span_text(&record.spans()[1]), "Baghdad");
/// # Ok::<(), rubric_exporter::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    id: String,
    /// Whether `id` was made up by the reader (`<file>:<line>`) because the line
    /// had none; `rubric diff` then pairs the document by `_input_hash` or line.
    id_made_up: bool,
    text: String,
    /// `None` for a record read or made without tokens (span-only).
    tokens: Option<Vec<RecordToken>>,
    spans: Vec<Span>,
    meta: Map<String, Value>,
    /// `meta` fields kept as the JSON they were written as (see [`ExactFields`]).
    exact_meta: ExactFields,
    /// The `meta` keys that were top-level fields of the line read (Prodigy's
    /// `_input_hash`, `answer`, ...): written back at the top level.
    pub(crate) top_level: std::collections::BTreeSet<String>,
    /// Fields of tokens that the format does not define, by token index, kept to
    /// be written back on the same token.
    token_extra: std::collections::BTreeMap<usize, KeptFields>,
}

/// Fields of a token or a span that the record format does not define (Prodigy's
/// `disabled` on a token, say), kept as their exact JSON text so that writing the
/// record gives them back on the same object, byte for byte, in key order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KeptFields(Vec<(String, String)>);

impl KeptFields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field: its name and its value as JSON text (kept sorted by name; a
    /// repeated name replaces the earlier value).
    pub fn insert(&mut self, key: impl Into<String>, json: impl Into<String>) {
        let key = key.into();
        let json = json.into();
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(index) => self.0[index].1 = json,
            Err(index) => self.0.insert(index, (key, json)),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of a field, as JSON text.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, json)| json.as_str())
    }

    /// The fields, in key order: name and JSON text.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(key, json)| (key.as_str(), json.as_str()))
    }
}

/// `meta` fields carried as the exact JSON text they were read as: a number beyond
/// 64-bit integers or a double's precision (`18446744073709551616`), or a value
/// holding one. [`Value`] would round such a number; these are written back byte
/// for byte, in key order with the other `meta` fields.
#[derive(Clone, Debug, Default)]
pub struct ExactFields(std::collections::BTreeMap<String, Box<serde_json::value::RawValue>>);

impl ExactFields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field.
    pub fn insert(&mut self, key: String, json: Box<serde_json::value::RawValue>) {
        self.0.insert(key, json);
    }

    /// Takes a field out.
    pub fn remove(&mut self, key: &str) -> Option<Box<serde_json::value::RawValue>> {
        self.0.remove(key)
    }

    /// Whether a field is there.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &serde_json::value::RawValue)> {
        self.0.iter().map(|(key, json)| (key.as_str(), &**json))
    }
}

/// The first number in JSON text that would not survive being read into a
/// `serde_json::Value` (JSON numbers are read as 64-bit integers or doubles): an integer
/// beyond 64 bits, or a decimal with more significant digits than a double holds.
/// Returned with its 1-based byte column. A field holding one is carried as its
/// JSON text instead ([`ExactFields`]).
///
/// ```
/// assert_eq!(rubric_exporter::inexact_number(r#"{"a":1,"b":18446744073709551616}"#), Some((12, "18446744073709551616")));
/// assert_eq!(rubric_exporter::inexact_number(r#"{"a":"18446744073709551616","b":0.5}"#), None);
/// ```
pub fn inexact_number(line: &str) -> Option<(usize, &str)> {
    let bytes = line.as_bytes();
    let mut index = 0;
    let mut in_string = false;
    while index < bytes.len() {
        let byte = bytes[index];
        if in_string {
            match byte {
                b'\\' => index += 1,
                b'"' => in_string = false,
                _ => {}
            }
            index += 1;
            continue;
        }
        if byte == b'"' {
            in_string = true;
            index += 1;
            continue;
        }
        if byte == b'-' || byte.is_ascii_digit() {
            let start = index;
            while index < bytes.len()
                && matches!(bytes[index], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
            {
                index += 1;
            }
            let token = &line[start..index];
            if !number_is_exact(token) {
                return Some((start + 1, token));
            }
            continue;
        }
        index += 1;
    }
    None
}

fn number_is_exact(token: &str) -> bool {
    if !token.contains(['.', 'e', 'E']) {
        return token.parse::<i64>().is_ok() || token.parse::<u64>().is_ok();
    }
    // Significant digits of the mantissa: a double holds 17 exactly enough to
    // write the same number back.
    let mantissa = token.split(['e', 'E']).next().unwrap_or(token);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    significant.len() <= 17
}

/// Equal when the same keys hold the same JSON text.
impl PartialEq for ExactFields {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.iter().zip(other.iter()).all(|((a, x), (b, y))| a == b && x.get() == y.get())
    }
}

impl Eq for ExactFields {}

/// A token of a [`Record`]: a byte range of its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordToken {
    /// Byte offset of the token's first byte.
    pub start: usize,
    /// Byte offset one past the token's last byte.
    pub end: usize,
    /// Whether one space (U+0020) follows the token and belongs to it.
    pub ws: bool,
}

impl RecordToken {
    /// The token's text within `text`, the record's text.
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("")
    }

    /// Whether the token is white space only (a [`rubric_tokenizer::TokenKind::Space`]
    /// token). Token-based text formats do not write such tokens.
    pub fn is_space(&self, text: &str) -> bool {
        self.text(text).chars().all(char::is_whitespace)
    }
}

impl From<Token> for RecordToken {
    fn from(token: Token) -> Self {
        RecordToken { start: token.start, end: token.end, ws: token.ws }
    }
}

/// A span of a [`Record`], in byte offsets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the span's first byte.
    pub start: usize,
    /// Byte offset one past the span's last byte.
    pub end: usize,
    /// Index of the first token the span overlaps; 0 in a record without tokens
    /// ([`Record::has_tokens`]), where it means nothing and is not written.
    pub token_start: usize,
    /// Index of the last token the span overlaps (inclusive); 0 in a record
    /// without tokens.
    pub token_end: usize,
    /// The label, e.g. `GPE`.
    pub label: SmolStr,
    /// A knowledge-base identifier, e.g. a Wikidata QID.
    pub kb_id: Option<SmolStr>,
    /// What produced the span.
    pub source: Option<SmolStr>,
    /// Fields of the span as it was read that the format does not define, written
    /// back on the span.
    pub extra: KeptFields,
}

/// A span as a producer gives it to [`Record::new`]: byte offsets into the text and
/// a label; the token indices and the span's text are computed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SpanInput {
    /// Byte offset of the span's first byte.
    pub start: usize,
    /// Byte offset one past the span's last byte.
    pub end: usize,
    /// The label.
    pub label: SmolStr,
    /// A knowledge-base identifier.
    pub kb_id: Option<SmolStr>,
    /// What produced the span.
    pub source: Option<SmolStr>,
    /// Fields the format does not define, kept on the span (see [`KeptFields`]).
    pub extra: KeptFields,
}

impl SpanInput {
    /// A span of `text[start..end]` (bytes) labelled `label`.
    pub fn new(start: usize, end: usize, label: impl Into<SmolStr>) -> Self {
        SpanInput {
            start,
            end,
            label: label.into(),
            kb_id: None,
            source: None,
            extra: KeptFields::new(),
        }
    }

    /// The span of a record as input for another record of the same text (its
    /// offsets, label, `kb_id`, `source` and kept fields).
    pub fn from_span(span: &Span) -> Self {
        SpanInput {
            start: span.start,
            end: span.end,
            label: span.label.clone(),
            kb_id: span.kb_id.clone(),
            source: span.source.clone(),
            extra: span.extra.clone(),
        }
    }

    /// Sets the knowledge-base identifier.
    pub fn kb_id(mut self, kb_id: impl Into<SmolStr>) -> Self {
        self.kb_id = Some(kb_id.into());
        self
    }

    /// Sets what produced the span.
    pub fn source(mut self, source: impl Into<SmolStr>) -> Self {
        self.source = Some(source.into());
        self
    }
}

impl Record {
    /// Builds a record from the tokenizer's tokens and spans in byte offsets.
    ///
    /// Computes each span's `token_start`/`token_end` (the first and last token it
    /// overlaps) and sorts the spans by (`start`, `end`, `label`). Spans that are
    /// out of range, not on character boundaries, empty or reversed, that cover no
    /// token, that have an empty label or one with white space, or that repeat
    /// another span's offsets and label are errors, never dropped. Spans that do not
    /// align with token boundaries are kept (see the format above).
    pub fn new(
        id: impl Into<String>,
        text: impl Into<String>,
        tokens: &[Token],
        spans: Vec<SpanInput>,
    ) -> Result<Record, Error> {
        let tokens = tokens.iter().copied().map(RecordToken::from).collect();
        Record::from_parts(id, text, tokens, spans, Map::new())
    }

    /// Builds a record of `text` tokenized by `tokenizer`.
    pub fn tokenize(
        id: impl Into<String>,
        text: impl Into<String>,
        tokenizer: &Tokenizer,
        spans: Vec<SpanInput>,
    ) -> Result<Record, Error> {
        let text = text.into();
        let tokens = tokenizer.tokenize(&text);
        Record::new(id, text, &tokens, spans)
    }

    /// Builds a record from tokens of any origin (a CoNLL file, a DocBin) and a
    /// `meta` object; checks the tokens as [`Record::new`] checks spans. A
    /// `meta.offsets` given here is replaced on output by the writer's unit.
    pub fn from_parts(
        id: impl Into<String>,
        text: impl Into<String>,
        tokens: Vec<RecordToken>,
        spans: Vec<SpanInput>,
        meta: Map<String, Value>,
    ) -> Result<Record, Error> {
        Record::build(id.into(), text.into(), Some(tokens), spans, meta)
    }

    /// Builds a record without tokens (a span-only record, as nervaluate, GLiNER and
    /// most scripts write them); its spans are checked as [`Record::new`] checks
    /// them, except that no token is needed under them. Converters that need tokens
    /// tokenize such a record with rubric's tokenizer ([`Record::with_tokens`]).
    pub fn without_tokens(
        id: impl Into<String>,
        text: impl Into<String>,
        spans: Vec<SpanInput>,
        meta: Map<String, Value>,
    ) -> Result<Record, Error> {
        Record::build(id.into(), text.into(), None, spans, meta)
    }

    /// This record with `tokenizer`'s tokens when it has none (`None` when it has
    /// tokens already): the same id, text, spans and meta, every span's
    /// `token_start`/`token_end` computed. What a token-based converter writes for
    /// a span-only record.
    pub fn with_tokens(&self, tokenizer: &Tokenizer) -> Option<Result<Record, Error>> {
        if self.tokens.is_some() {
            return None;
        }
        let tokens = tokenizer.tokenize(&self.text).into_iter().map(RecordToken::from).collect();
        let spans = self.spans.iter().map(SpanInput::from_span).collect();
        Some(
            Record::build(
                self.id.clone(),
                self.text.clone(),
                Some(tokens),
                spans,
                self.meta.clone(),
            )
            .map(|record| Record {
                id_made_up: self.id_made_up,
                exact_meta: self.exact_meta.clone(),
                top_level: self.top_level.clone(),
                ..record
            }),
        )
    }

    fn build(
        id: String,
        text: String,
        tokens: Option<Vec<RecordToken>>,
        spans: Vec<SpanInput>,
        meta: Map<String, Value>,
    ) -> Result<Record, Error> {
        if let Some(tokens) = &tokens {
            check_tokens(&id, &text, tokens)?;
        }
        let bytes = OffsetMap::new(&text, OffsetUnit::Byte);
        let mut checked = Vec::with_capacity(spans.len());
        for (index, span) in spans.into_iter().enumerate() {
            let span_ref = || {
                Box::new(SpanRef {
                    document: id.clone(),
                    index: Some(index),
                    start: span.start,
                    end: span.end,
                    label: span.label.to_string(),
                    text: text.get(span.start..span.end).map(str::to_string),
                })
            };
            for offset in [span.start, span.end] {
                if let Err(error) = bytes.to_unit(offset) {
                    return Err(Error::new(ErrorKind::SpanOffset { span: span_ref(), error }));
                }
            }
            if span.start >= span.end {
                return Err(Error::new(ErrorKind::SpanReversed { span: span_ref() }));
            }
            if span.label.is_empty() || span.label.contains(char::is_whitespace) {
                let label = span.label.to_string();
                return Err(Error::new(ErrorKind::BadLabel { span: span_ref(), label }));
            }
            // Without tokens, a span has no token indices (0, never written).
            let (token_start, token_end) = match &tokens {
                None => (0, 0),
                Some(tokens) => match token_range(tokens, span.start, span.end) {
                    Some(range) => range,
                    None => {
                        return Err(Error::new(ErrorKind::SpanOutsideTokens { span: span_ref() }))
                    }
                },
            };
            checked.push((
                index,
                Span {
                    start: span.start,
                    end: span.end,
                    token_start,
                    token_end,
                    label: span.label,
                    kb_id: span.kb_id,
                    source: span.source,
                    extra: span.extra,
                },
            ));
        }
        checked
            .sort_by(|(_, a), (_, b)| (a.start, a.end, &a.label).cmp(&(b.start, b.end, &b.label)));
        for pair in checked.windows(2) {
            let ((_, a), (index, b)) = (&pair[0], &pair[1]);
            if (a.start, a.end, &a.label) == (b.start, b.end, &b.label) {
                let span = Box::new(SpanRef {
                    document: id.clone(),
                    index: Some(*index),
                    start: b.start,
                    end: b.end,
                    label: b.label.to_string(),
                    text: text.get(b.start..b.end).map(str::to_string),
                });
                return Err(Error::new(ErrorKind::DuplicateSpan { span }));
            }
        }
        let spans = checked.into_iter().map(|(_, span)| span).collect();
        Ok(Record {
            id,
            id_made_up: false,
            text,
            tokens,
            spans,
            meta,
            exact_meta: ExactFields::new(),
            top_level: Default::default(),
            token_extra: Default::default(),
        })
    }

    /// Replaces `meta` (its `offsets`, if any, is replaced by the writer's unit on
    /// output).
    pub fn with_meta(mut self, meta: Map<String, Value>) -> Self {
        self.meta = meta;
        self
    }

    /// Adds `meta` fields to be written exactly as their JSON text (see
    /// [`ExactFields`]); a field of the same name in [`Record::meta`] is replaced.
    pub fn with_exact_meta(mut self, fields: ExactFields) -> Self {
        for (key, _) in fields.iter() {
            self.meta.remove(key);
        }
        self.exact_meta = fields;
        self
    }

    /// The `meta` fields kept as their exact JSON text.
    pub fn exact_meta(&self) -> &ExactFields {
        &self.exact_meta
    }

    /// Sets one field of `meta` (a field named `offsets` is ignored on output: the
    /// writer's unit replaces it).
    pub fn with_meta_field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.meta.insert(key.into(), value.into());
        self
    }

    /// The document's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The document's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The tokens, in text order; empty when the record has none
    /// ([`Record::has_tokens`]).
    pub fn tokens(&self) -> &[RecordToken] {
        self.tokens.as_deref().unwrap_or(&[])
    }

    /// Whether the record has tokens (a span-only record has none).
    pub fn has_tokens(&self) -> bool {
        self.tokens.is_some()
    }

    /// Whether the id was made up by the reader (`<file>:<line>`) because the
    /// line had none, as in Prodigy's exports.
    pub fn id_is_made_up(&self) -> bool {
        self.id_made_up
    }

    /// Marks the id as made up by a reader (see [`Record::id_is_made_up`]).
    pub fn with_made_up_id(mut self) -> Self {
        self.id_made_up = true;
        self
    }

    /// The `meta` keys that were top-level fields of the line the record was read
    /// from; the writer writes them back at the top level.
    pub fn top_level_fields(&self) -> impl Iterator<Item = &str> {
        self.top_level.iter().map(String::as_str)
    }

    /// Says that the `meta` field `key` was a top-level field of the input and is
    /// to be written back there.
    pub fn with_top_level_field(mut self, key: impl Into<String>) -> Self {
        self.top_level.insert(key.into());
        self
    }

    /// Fields of token `index` that the format does not define, if any.
    pub fn token_extra(&self, index: usize) -> Option<&KeptFields> {
        self.token_extra.get(&index)
    }

    /// Keeps fields the format does not define on token `index`, to be written
    /// back on it.
    pub fn with_token_extra(mut self, index: usize, fields: KeptFields) -> Self {
        if !fields.is_empty() {
            self.token_extra.insert(index, fields);
        }
        self
    }

    /// The spans, sorted by (`start`, `end`, `label`).
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// The `meta` object as given (without the `offsets` the writer adds).
    pub fn meta(&self) -> &Map<String, Value> {
        &self.meta
    }

    /// The `meta` object, to add fields to.
    pub fn meta_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.meta
    }

    /// The text a span covers.
    pub fn span_text(&self, span: &Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// Whether `span` starts at the start of its first token and ends at the end of
    /// its last.
    pub fn is_aligned(&self, span: &Span) -> bool {
        self.has_tokens()
            && self.tokens().get(span.token_start).is_some_and(|t| t.start == span.start)
            && self.tokens().get(span.token_end).is_some_and(|t| t.end == span.end)
    }

    /// How an error message names `span` (byte offsets).
    pub(crate) fn span_ref(&self, span: &Span) -> Box<SpanRef> {
        Box::new(SpanRef {
            document: self.id.clone(),
            index: self.spans.iter().position(|s| s == span),
            start: span.start,
            end: span.end,
            label: span.label.to_string(),
            text: Some(self.span_text(span).to_string()),
        })
    }
}

/// The first and last (inclusive) token that `[start, end)` overlaps, if any.
pub(crate) fn token_range(
    tokens: &[RecordToken],
    start: usize,
    end: usize,
) -> Option<(usize, usize)> {
    let first = tokens.partition_point(|t| t.end <= start);
    let last = tokens.partition_point(|t| t.start < end).checked_sub(1)?;
    (first <= last).then_some((first, last))
}

fn check_tokens(id: &str, text: &str, tokens: &[RecordToken]) -> Result<(), Error> {
    let mut previous_end = 0;
    for (index, token) in tokens.iter().enumerate() {
        let problem = if token.start >= token.end {
            Some(format!("it is empty or reversed ({}..{})", token.start, token.end))
        } else if text.get(token.start..token.end).is_none() {
            Some(format!(
                "bytes {}..{} are past the end of the text or cut a character",
                token.start, token.end
            ))
        } else if token.start != previous_end {
            Some(format!(
                "it starts at byte {} but the token before it (with its trailing space) ends \
                 at byte {previous_end}; tokens must cover the text without gaps or overlaps \
                 (white space that is not a token's one trailing space is a token too)",
                token.start
            ))
        } else if token.ws && !text[token.end..].starts_with(' ') {
            Some("\"ws\" is true but no space follows it".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::new(ErrorKind::BadToken {
                document: id.to_string(),
                index,
                problem,
            }));
        }
        previous_end = token.end + usize::from(token.ws);
    }
    if previous_end != text.len() {
        return Err(Error::new(ErrorKind::BadToken {
            document: id.to_string(),
            index: tokens.len(),
            problem: format!(
                "the tokens (with their trailing spaces) end at byte {previous_end} but the \
                 text is {} bytes long; tokens must cover the whole text",
                text.len()
            ),
        }));
    }
    Ok(())
}
