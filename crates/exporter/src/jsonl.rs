//! Records as JSON Lines: [`RecordWriter`] and [`RecordReader`].

use std::io::{BufRead, BufWriter, Write};

use rubric_offsets::{OffsetMap, OffsetUnit};
use rubric_tokenizer::TokenKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use smol_str::SmolStr;

use crate::error::{json_type_name, Error, ErrorKind, Location, SpanRef};
use crate::lines::{Line, LineReader, RawLine, Step};
use crate::record::{token_range, KeptFields, Record, RecordToken, SpanInput};

/// Writes [`Record`]s as JSON Lines, one record per line, buffered, with offsets
/// in the unit asked for (code points by default).
///
/// Offsets are converted here, once, by [`OffsetMap`]; `meta.offsets` names the
/// unit. Each line is serialized in memory first, so a failed write never leaves
/// half a record behind a complete one. Call [`RecordWriter::finish`] at the end:
/// dropping the writer would swallow a failed final write.
///
/// ```
/// use rubric_exporter::{Record, RecordWriter, SpanInput};
/// use rubric_offsets::OffsetUnit;
/// use rubric_tokenizer::Tokenizer;
///
/// let record = Record::tokenize("d1", "🦀 Iraq", &Tokenizer::new(), vec![SpanInput::new(5, 9, "GPE")])?;
/// let mut writer = RecordWriter::with_unit(Vec::new(), OffsetUnit::Utf16);
/// writer.write(&record)?;
/// let out = String::from_utf8(writer.finish()?).unwrap();
/// assert!(out.contains(r#""spans":[{"start":3,"end":7,"#));
/// assert!(out.ends_with("\"meta\":{\"offsets\":\"utf16\"}}\n"));
/// # Ok::<(), rubric_exporter::Error>(())
/// ```
#[derive(Debug)]
pub struct RecordWriter<W: Write> {
    out: BufWriter<W>,
    unit: OffsetUnit,
    line: Vec<u8>,
}

impl<W: Write> RecordWriter<W> {
    /// A writer with code point offsets.
    pub fn new(out: W) -> Self {
        RecordWriter::with_unit(out, OffsetUnit::Char)
    }

    /// A writer with offsets in `unit`.
    pub fn with_unit(out: W, unit: OffsetUnit) -> Self {
        RecordWriter { out: BufWriter::new(out), unit, line: Vec::new() }
    }

    /// Writes one record as one line.
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        self.line.clear();
        record.write_json_line(self.unit, &mut self.line)?;
        self.out.write_all(&self.line).map_err(Error::io)
    }

    /// Writes lines already serialized by [`Record::write_json_line`] (on a worker
    /// thread, say), which must each end with `\n`.
    pub fn write_lines(&mut self, lines: &[u8]) -> Result<(), Error> {
        self.out.write_all(lines).map_err(Error::io)
    }

    /// The unit of the offsets this writer writes.
    pub fn unit(&self) -> OffsetUnit {
        self.unit
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, Error> {
        self.out.into_inner().map_err(|err| Error::io(err.into_error()))
    }
}

impl Record {
    /// Appends the record to `buffer` as one JSON Lines line (ending in `\n`),
    /// offsets in `unit`: exactly the bytes [`RecordWriter`] writes for it.
    ///
    /// This is the piece a parallel pipeline needs: serialize on worker threads, then
    /// write the buffers in document order (with [`RecordWriter::write_lines`] or any
    /// writer). Extra `meta` fields (set with [`Record::with_meta_field`] or
    /// [`Record::meta_mut`]) are written beside `offsets`, in key order.
    ///
    /// ```
    /// use rubric_exporter::{Record, SpanInput};
    /// use rubric_offsets::OffsetUnit;
    /// use rubric_tokenizer::Tokenizer;
    ///
    /// let record = Record::tokenize("d1", "Hi Iraq", &Tokenizer::new(), vec![SpanInput::new(3, 7, "GPE")])?
    ///     .with_meta_field("lang", "en");
    /// let mut line = Vec::new();
    /// record.write_json_line(OffsetUnit::Byte, &mut line)?;
    /// assert!(line.ends_with(b"\"meta\":{\"lang\":\"en\",\"offsets\":\"byte\"}}\n"));
    /// # Ok::<(), rubric_exporter::Error>(())
    /// ```
    pub fn write_json_line(&self, unit: OffsetUnit, buffer: &mut Vec<u8>) -> Result<(), Error> {
        let json = RecordJson::new(self, unit)?;
        // About what a news text's line takes (the text twice, ~45 bytes per token
        // object), so the line is not copied again and again as it grows.
        buffer.reserve(2 * self.text().len() + 48 * self.tokens().len() + 256);
        let start = buffer.len();
        json.write(buffer).inspect_err(|_| buffer.truncate(start))?;
        buffer.push(b'\n');
        Ok(())
    }

    /// The record as the JSON object [`RecordWriter`] writes, offsets in `unit`.
    pub fn to_json(&self, unit: OffsetUnit) -> Result<Value, Error> {
        let json = RecordJson::new(self, unit)?;
        serde_json::to_value(json).map_err(|err| Error::io(std::io::Error::other(err)))
    }
}

/// A record as written: the five fields, then the fields that were top-level
/// fields of the line it was read from (Prodigy's `_input_hash`, `answer`, ...).
pub(crate) struct RecordJson<'a> {
    id: &'a str,
    text: &'a str,
    /// `None` for a record without tokens: no `tokens` field is written.
    tokens: Option<Vec<TokenJson<'a>>>,
    spans: Vec<SpanJson<'a>>,
    meta: MetaJson<'a>,
    /// The fields written back at the top level, in key order.
    top_level: MetaJson<'a>,
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", self.id)?;
        map.serialize_entry("text", self.text)?;
        if let Some(tokens) = &self.tokens {
            map.serialize_entry("tokens", tokens)?;
        }
        map.serialize_entry("spans", &self.spans)?;
        map.serialize_entry("meta", &self.meta)?;
        for (key, value) in self.top_level.entries() {
            match value {
                Either::Value(value) => map.serialize_entry(key, value)?,
                Either::Raw(json) => map.serialize_entry(key, json)?,
            }
        }
        map.end()
    }
}

/// A field's value: parsed, or kept as its exact JSON text.
enum Either<'a> {
    Value(&'a Value),
    Raw(&'a serde_json::value::RawValue),
}

/// `meta` as written: the record's fields and its exact ones (see
/// [`crate::ExactFields`]) merged in key order, as one object.
pub(crate) struct MetaJson<'a> {
    values: Map<String, Value>,
    exact: Vec<(&'a str, &'a serde_json::value::RawValue)>,
}

impl<'a> MetaJson<'a> {
    /// The fields in key order. A field set on `meta` after the exact ones were
    /// added (an `explain`) is the later word; the exact one of that name is not
    /// written twice.
    fn entries(&self) -> Vec<(&str, Either<'_>)> {
        let exact: Vec<(&str, &serde_json::value::RawValue)> =
            self.exact.iter().copied().filter(|(key, _)| !self.values.contains_key(*key)).collect();
        let mut entries = Vec::with_capacity(self.values.len() + exact.len());
        let mut values = self.values.iter().peekable();
        let mut exact = exact.into_iter().peekable();
        loop {
            let take_value = match (values.peek(), exact.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((value_key, _)), Some((exact_key, _))) => value_key.as_str() < *exact_key,
            };
            if take_value {
                if let Some((key, value)) = values.next() {
                    entries.push((key.as_str(), Either::Value(value)));
                }
            } else if let Some((key, json)) = exact.next() {
                entries.push((key, Either::Raw(json)));
            }
        }
        entries
    }
}

impl Serialize for MetaJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let entries = self.entries();
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (key, value) in entries {
            match value {
                Either::Value(value) => map.serialize_entry(key, value)?,
                Either::Raw(json) => map.serialize_entry(key, json)?,
            }
        }
        map.end()
    }
}

/// Fields kept from the input ([`KeptFields`]), serialized as the entries of the
/// object they were on.
struct KeptJson<'a>(Option<&'a KeptFields>);

impl Serialize for KeptJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeMap};
        let mut map = serializer.serialize_map(None)?;
        for (key, json) in self.0.into_iter().flat_map(KeptFields::iter) {
            let raw: &serde_json::value::RawValue =
                serde_json::from_str(json).map_err(S::Error::custom)?;
            map.serialize_entry(key, raw)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct TokenJson<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    id: usize,
    ws: bool,
    #[serde(flatten)]
    extra: KeptJson<'a>,
}

#[derive(Serialize)]
struct SpanJson<'a> {
    start: usize,
    end: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_start: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_end: Option<usize>,
    label: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kb_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(flatten)]
    extra: KeptJson<'a>,
}

impl<'a> RecordJson<'a> {
    /// Appends the record's JSON, byte for byte what `serde_json::to_writer` makes
    /// of it (a test holds the two equal).
    ///
    /// The tokens are written by hand: a record has a token object per word, and
    /// serde's generic field-by-field path for them was the largest single cost of
    /// `rubric annotate` (a third of its instructions). Strings are still escaped
    /// by serde_json wherever escaping is needed.
    fn write(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let json_error = |err: serde_json::Error| Error::io(std::io::Error::other(err));
        out.extend_from_slice(b"{\"id\":");
        write_json_str(out, self.id)?;
        out.extend_from_slice(b",\"text\":");
        write_json_str(out, self.text)?;
        let mut numbers = itoa::Buffer::new();
        if let Some(tokens) = &self.tokens {
            out.extend_from_slice(b",\"tokens\":[");
            self.write_tokens(out, tokens, &mut numbers)?;
            out.push(b']');
        }
        out.extend_from_slice(b",\"spans\":[");
        self.write_spans(out, &mut numbers)?;
        out.push(b']');
        out.extend_from_slice(b",\"meta\":");
        serde_json::to_writer(&mut *out, &self.meta).map_err(json_error)?;
        for (key, value) in self.top_level.entries() {
            out.push(b',');
            write_json_str(out, key)?;
            out.push(b':');
            match value {
                Either::Value(value) => serde_json::to_writer(&mut *out, value),
                Either::Raw(json) => serde_json::to_writer(&mut *out, json),
            }
            .map_err(json_error)?;
        }
        out.push(b'}');
        Ok(())
    }

    fn write_tokens(
        &self,
        out: &mut Vec<u8>,
        tokens: &[TokenJson<'_>],
        numbers: &mut itoa::Buffer,
    ) -> Result<(), Error> {
        for (index, token) in tokens.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"text\":");
            write_json_str(out, token.text)?;
            out.extend_from_slice(b",\"start\":");
            out.extend_from_slice(numbers.format(token.start).as_bytes());
            out.extend_from_slice(b",\"end\":");
            out.extend_from_slice(numbers.format(token.end).as_bytes());
            out.extend_from_slice(b",\"id\":");
            out.extend_from_slice(numbers.format(token.id).as_bytes());
            out.extend_from_slice(if token.ws { b",\"ws\":true" } else { b",\"ws\":false" });
            write_kept(out, token.extra.0)?;
            out.push(b'}');
        }
        Ok(())
    }

    /// The spans, by hand as the tokens are: with a thousand token patterns a
    /// record has twice the spans, and serde's map path for a span (its kept
    /// fields are flattened into it) cost as much as the tokens did.
    fn write_spans(&self, out: &mut Vec<u8>, numbers: &mut itoa::Buffer) -> Result<(), Error> {
        for (index, span) in self.spans.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"start\":");
            out.extend_from_slice(numbers.format(span.start).as_bytes());
            out.extend_from_slice(b",\"end\":");
            out.extend_from_slice(numbers.format(span.end).as_bytes());
            if let Some(token_start) = span.token_start {
                out.extend_from_slice(b",\"token_start\":");
                out.extend_from_slice(numbers.format(token_start).as_bytes());
            }
            if let Some(token_end) = span.token_end {
                out.extend_from_slice(b",\"token_end\":");
                out.extend_from_slice(numbers.format(token_end).as_bytes());
            }
            out.extend_from_slice(b",\"label\":");
            write_json_str(out, span.label)?;
            out.extend_from_slice(b",\"text\":");
            write_json_str(out, span.text)?;
            if let Some(kb_id) = span.kb_id {
                out.extend_from_slice(b",\"kb_id\":");
                write_json_str(out, kb_id)?;
            }
            if let Some(source) = span.source {
                out.extend_from_slice(b",\"source\":");
                write_json_str(out, source)?;
            }
            write_kept(out, span.extra.0)?;
            out.push(b'}');
        }
        Ok(())
    }

    pub(crate) fn new(record: &'a Record, unit: OffsetUnit) -> Result<Self, Error> {
        let text = record.text();
        let map = OffsetMap::new(text, unit);
        // Token offsets only ever increase, which the cursor turns into steps.
        let mut cursor = map.cursor();
        // A record's offsets were checked when it was built, so conversion cannot
        // fail; if it ever did, it is reported like any bad token.
        let mut convert = |byte: usize, index: usize| {
            cursor.to_unit(byte).map_err(|err| {
                Error::new(ErrorKind::BadToken {
                    document: record.id().to_string(),
                    index,
                    problem: err.to_string(),
                })
            })
        };
        let tokens = if record.has_tokens() {
            let mut tokens = Vec::with_capacity(record.tokens().len());
            for (id, token) in record.tokens().iter().enumerate() {
                tokens.push(TokenJson {
                    text: token.text(text),
                    start: convert(token.start, id)?,
                    end: convert(token.end, id)?,
                    id,
                    ws: token.ws,
                    extra: KeptJson(record.token_extra(id)),
                });
            }
            Some(tokens)
        } else {
            None
        };
        let token_indices = record.has_tokens();
        let mut spans = Vec::with_capacity(record.spans().len());
        for span in record.spans() {
            let convert = |byte| {
                map.to_unit(byte).map_err(|error| {
                    Error::new(ErrorKind::SpanOffset { span: record.span_ref(span), error })
                })
            };
            spans.push(SpanJson {
                start: convert(span.start)?,
                end: convert(span.end)?,
                token_start: token_indices.then_some(span.token_start),
                token_end: token_indices.then_some(span.token_end),
                label: &span.label,
                text: record.span_text(span),
                kb_id: span.kb_id.as_deref(),
                source: span.source.as_deref(),
                extra: KeptJson((!span.extra.is_empty()).then_some(&span.extra)),
            });
        }
        // `meta` fields that were top-level fields of the input go back there.
        let mut values = Map::new();
        let mut top_values = Map::new();
        for (key, value) in record.meta() {
            let to = if record.top_level.contains(key) { &mut top_values } else { &mut values };
            to.insert(key.clone(), value.clone());
        }
        values.insert("offsets".to_string(), Value::String(unit.as_str().to_string()));
        let (top_exact, exact) =
            record.exact_meta().iter().partition(|(key, _)| record.top_level.contains(*key));
        let meta = MetaJson { values, exact };
        let top_level = MetaJson { values: top_values, exact: top_exact };
        Ok(RecordJson { id: record.id(), text, tokens, spans, meta, top_level })
    }
}

/// Appends `text` as a JSON string. Most strings (a token's text, above all) need
/// no escaping and are copied as they are; the rest go through serde_json, so the
/// escaping rules stay serde_json's.
/// A token's or span's kept fields (`KeptFields`), as the entries of its object
/// (each value is the JSON text it was read as).
fn write_kept(out: &mut Vec<u8>, kept: Option<&KeptFields>) -> Result<(), Error> {
    for (key, json) in kept.into_iter().flat_map(KeptFields::iter) {
        out.push(b',');
        write_json_str(out, key)?;
        out.push(b':');
        out.extend_from_slice(json.as_bytes());
    }
    Ok(())
}

fn write_json_str(out: &mut Vec<u8>, text: &str) -> Result<(), Error> {
    if text.bytes().any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\') {
        return serde_json::to_writer(&mut *out, text)
            .map_err(|err| Error::io(std::io::Error::other(err)));
    }
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Reads [`Record`]s from JSON Lines and verifies each one.
///
/// Offsets are converted back to bytes with [`OffsetMap`] in the unit `meta.offsets`
/// names (`char` when it names none, as in Prodigy's files), and everything the
/// format promises is checked: every token's and span's `text` equals the slice
/// its offsets cut, offsets are in range and on character boundaries, `start <
/// end`, `token_start`/`token_end` are the tokens the span overlaps, no span occurs
/// twice. The first violation ends reading with an error at file:line:column.
/// Blank lines are skipped; a byte-order mark at the start is skipped. A record
/// without `id` gets `<file>:<line>`; `tokens`, a span's `text` and its token
/// indices may be left out (Prodigy's and span-only lines); fields the format does
/// not define are kept where they were (see [`Record`]), so writing the record
/// again loses nothing.
///
/// ```
/// use rubric_exporter::RecordReader;
///
/// let line = r#"{"text":"Hi Iraq","tokens":[{"text":"Hi","start":0,"end":2,"id":0,"ws":true},{"text":"Iraq","start":3,"end":7,"id":1,"ws":false}],"spans":[{"start":3,"end":7,"token_start":1,"token_end":1,"label":"GPE","text":"Iran"}],"answer":"accept"}"#;
/// let err = RecordReader::new("in.jsonl", line.as_bytes()).next().unwrap().unwrap_err();
/// assert!(err.to_string().starts_with(
///     "in.jsonl:1:210: document \"in.jsonl:1\", span 0 [3, 7) GPE: \"text\" is \"Iran\" but the offsets cut out \"Iraq\""
/// ));
/// ```
#[derive(Debug)]
pub struct RecordReader<R> {
    lines: LineReader<R>,
}

impl<R: BufRead> RecordReader<R> {
    /// Reads from `reader`; `source` names it in errors (a path, or `<stdin>`).
    pub fn new(source: impl Into<String>, reader: R) -> Self {
        RecordReader { lines: LineReader::new(source, reader) }
    }

    /// Where the record last returned was read (`<source>:<line>`), for errors a
    /// writer raises about it later.
    pub fn location(&self) -> Location {
        self.lines.location()
    }
}

impl<R: BufRead> Iterator for RecordReader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let raw = match self.lines.next_line()? {
            Ok(raw) => raw,
            Err(err) => return Some(Err(err)),
        };
        // Fields holding a number a `Value` would round are carried as their JSON
        // text; looked for first, since parsing takes the line.
        let exact = exact_meta(raw.text);
        // Valid records take the fast path; anything else the checked one, which
        // says what is wrong and where.
        let record = match crate::fast::parse(&raw) {
            Some(record) => Ok(record),
            None => parse_checked(raw),
        };
        Some(record.map(|record| match exact {
            Some(exact) => record.with_exact_meta(exact),
            None => record,
        }))
    }
}

/// The `meta` fields of a record line (unknown top-level fields and the fields of
/// its `meta` object) that hold a number a `Value` would round, as their JSON
/// text; `None` when there are none (almost always: the line is scanned, not
/// parsed again).
fn exact_meta(line: &str) -> Option<crate::ExactFields> {
    use serde_json::value::RawValue;
    crate::inexact_number(line)?;
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let fields: std::collections::BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(line).ok()?;
    let mut exact = crate::ExactFields::new();
    for (key, json) in fields {
        if crate::inexact_number(json.get()).is_none() {
            continue;
        }
        if key == "meta" {
            let inner: std::collections::BTreeMap<String, Box<RawValue>> =
                serde_json::from_str(json.get()).ok()?;
            for (key, json) in inner {
                if key != "offsets" && crate::inexact_number(json.get()).is_some() {
                    exact.insert(key, json);
                }
            }
        } else if !RECORD_FIELDS.contains(&key.as_str()) {
            exact.insert(key, json);
        }
    }
    (!exact.is_empty()).then_some(exact)
}

impl Record {
    /// Reads one line of rubric's JSON Lines and checks it exactly as
    /// [`RecordReader`] checks each line it reads: the same checks, the same
    /// messages, the same locations. `line_number` is the 1-based number of the line
    /// in `source`; `line` may end with its line ending (`\n` or `\r\n`). A
    /// byte-order mark at the start of line 1 is skipped, and columns count it, as
    /// [`RecordReader`] does.
    ///
    /// This is for callers that hold a line as text already; a caller reading a
    /// stream reads it with [`LineReader`](crate::LineReader), the one reader of
    /// JSON Lines, and hands each line to [`Record::from_line`] (`rubric validate`
    /// does, to report every bad line of a file). Here a blank line is malformed
    /// JSON (the reader passes over them).
    ///
    /// ```
    /// use rubric_exporter::Record;
    ///
    /// let line = r#"{"text":"Hi","tokens":[{"text":"Hi","start":0,"end":2,"id":0,"ws":false}],"spans":[{"start":0,"end":3,"token_start":0,"token_end":0,"label":"X","text":"Hi"}]}"#;
    /// let err = Record::from_json_line("in.jsonl", 7, line).unwrap_err();
    /// assert!(err.to_string().starts_with("in.jsonl:7:"), "{err}");
    /// assert!(err.to_string().contains("past the end"), "{err}");
    /// # Ok::<(), rubric_exporter::Error>(())
    /// ```
    pub fn from_json_line(source: &str, line_number: u64, line: &str) -> Result<Record, Error> {
        let bytes = line.len() as u64;
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let (text, skipped) = match line.strip_prefix('\u{feff}') {
            Some(rest) if line_number == 1 => (rest, line.len() - rest.len()),
            _ => (line, 0),
        };
        Record::from_line(RawLine { source, text, number: line_number, skipped, bytes })
    }

    /// Reads one line a [`LineReader`](crate::LineReader) returned and checks it
    /// exactly as [`RecordReader`] checks each line it reads (which is this, on
    /// the reader's lines).
    pub fn from_line(line: RawLine<'_>) -> Result<Record, Error> {
        match crate::fast::parse(&line) {
            Some(record) => Ok(record),
            None => parse_checked(line),
        }
    }
}

/// The checked path alone (the fast path skipped), for the tests that hold the two
/// paths to the same records.
#[cfg(test)]
pub(crate) fn read_checked(source: &str, input: &str) -> Vec<Result<Record, Error>> {
    let mut lines = LineReader::new(source, input.as_bytes());
    std::iter::from_fn(|| Some(lines.next_line()?.and_then(parse_checked))).collect()
}

fn parse_checked(raw: RawLine<'_>) -> Result<Record, Error> {
    let source = raw.source;
    raw.parse().and_then(|line| parse_record(source, line))
}

const RECORD_FIELDS: [&str; 5] = ["id", "text", "tokens", "spans", "meta"];
/// `kind` (what `rubric tokenize` writes) is not among them: it is checked, then
/// kept with the token like any other field a user's token carries.
const TOKEN_FIELDS: [&str; 5] = ["text", "start", "end", "id", "ws"];
const SPAN_FIELDS: [&str; 8] =
    ["start", "end", "token_start", "token_end", "label", "text", "kb_id", "source"];

/// Field access with locations, for one line.
struct Fields<'l> {
    source: &'l str,
    line: &'l Line,
}

impl Fields<'_> {
    fn at(&self, path: &[Step<'_>]) -> Location {
        self.line.at(self.source, path)
    }

    fn wrong_type(
        &self,
        path: &[Step<'_>],
        what: &str,
        field: &str,
        expected: &'static str,
        found: &Value,
    ) -> Error {
        Error::at(
            self.at(path),
            ErrorKind::WrongType {
                what: what.to_string(),
                field: field.to_string(),
                expected,
                found: json_type_name(found),
            },
        )
    }

    fn missing(&self, path: &[Step<'_>], what: &str, field: &'static str) -> Error {
        Error::at(self.at(path), ErrorKind::MissingField { what: what.to_string(), field })
    }

    fn string<'v>(
        &self,
        object: &'v Map<String, Value>,
        path: &[Step<'_>],
        what: &str,
        field: &'static str,
    ) -> Result<Option<&'v str>, Error> {
        match object.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong_type(&with(path, field), what, field, "a string", other)),
        }
    }

    fn required_string<'v>(
        &self,
        object: &'v Map<String, Value>,
        path: &[Step<'_>],
        what: &str,
        field: &'static str,
    ) -> Result<&'v str, Error> {
        self.string(object, path, what, field)?.ok_or_else(|| self.missing(path, what, field))
    }

    fn required_index(
        &self,
        object: &Map<String, Value>,
        path: &[Step<'_>],
        what: &str,
        field: &'static str,
    ) -> Result<usize, Error> {
        match object.get(field) {
            None => Err(self.missing(path, what, field)),
            Some(value) => value.as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| {
                // A number says what is wrong with it: "a number" alone would hide
                // an offset too large for any text behind a type error.
                let found = match value {
                    Value::Number(n) if n.as_i64().is_some() => "a negative number",
                    Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() != 0.0) => {
                        "a number with a fraction"
                    }
                    Value::Number(n) if n.as_f64().is_some_and(|f| f.abs() < 1e15) => {
                        "a number written with a decimal point or an exponent"
                    }
                    Value::Number(_) => "a number out of range (above 18446744073709551615)",
                    _ => json_type_name(value),
                };
                Error::at(
                    self.at(&with(path, field)),
                    ErrorKind::WrongType {
                        what: what.to_string(),
                        field: field.to_string(),
                        expected: "a non-negative integer",
                        found,
                    },
                )
            }),
        }
    }

    /// The fields of `object` other than `known`, as their JSON text, to be
    /// written back on the same object. Numbers are kept exactly as written
    /// (serde_json's arbitrary precision is not on, so the text is taken from the
    /// line itself where a number could have been rounded).
    fn kept(&self, object: &Map<String, Value>, path: &[Step<'_>], known: &[&str]) -> KeptFields {
        let mut kept = KeptFields::new();
        for (key, value) in object {
            if known.contains(&key.as_str()) {
                continue;
            }
            let json = self
                .raw(&with(path, key))
                .filter(|raw| crate::inexact_number(raw).is_some())
                .map_or_else(|| value.to_string(), str::to_string);
            kept.insert(key.clone(), json);
        }
        kept
    }

    /// The JSON text of the value at `path` in the line.
    fn raw(&self, path: &[Step<'_>]) -> Option<&str> {
        let text = &self.line.text;
        let start = crate::lines::value_offset(text, path)?;
        let end = crate::lines::value_end(text, start)?;
        text.get(start..end)
    }
}

fn with<'a>(path: &[Step<'a>], field: &'a str) -> Vec<Step<'a>> {
    let mut path = path.to_vec();
    path.push(Step::Key(field));
    path
}

fn parse_record(source: &str, line: Line) -> Result<Record, Error> {
    let fields = Fields { source, line: &line };
    let object = &line.object;
    let root: &[Step<'_>] = &[];
    let (id, id_made_up) = match fields.string(object, root, "record", "id")? {
        Some(id) => (id.to_string(), false),
        None => (format!("{source}:{}", line.number), true),
    };
    let text = fields.required_string(object, root, "record", "text")?;

    let mut meta = match object.get("meta") {
        None => Map::new(),
        Some(Value::Object(meta)) => meta.clone(),
        Some(other) => {
            return Err(fields.wrong_type(
                &[Step::Key("meta")],
                "record",
                "meta",
                "an object",
                other,
            ))
        }
    };
    let unit = match meta.get("offsets") {
        None => OffsetUnit::Char,
        Some(Value::String(unit)) => match unit.as_str() {
            "char" => OffsetUnit::Char,
            "byte" => OffsetUnit::Byte,
            "utf16" => OffsetUnit::Utf16,
            other => {
                return Err(Error::at(
                    fields.at(&[Step::Key("meta"), Step::Key("offsets")]),
                    ErrorKind::UnknownOffsetUnit { found: other.to_string() },
                ))
            }
        },
        Some(other) => {
            let path = [Step::Key("meta"), Step::Key("offsets")];
            return Err(fields.wrong_type(&path, "meta", "offsets", "a string", other));
        }
    };
    meta.remove("offsets");
    let mut top_level = Vec::new();
    for (key, value) in object {
        if RECORD_FIELDS.contains(&key.as_str()) {
            continue;
        }
        // A top-level "offsets" would be overwritten by the writer's unit.
        if meta.contains_key(key) || key == "offsets" {
            return Err(Error::at(
                fields.at(&[Step::Key(key)]),
                ErrorKind::MetaCollision { field: key.clone() },
            ));
        }
        meta.insert(key.clone(), value.clone());
        top_level.push(key.clone());
    }

    let map = OffsetMap::new(text, unit);
    let tokens = parse_tokens(&fields, &id, text, &map)?;
    let spans =
        parse_spans(&fields, &id, text, &map, tokens.as_ref().map(|(tokens, _)| &tokens[..]))?;
    let span_offsets: Vec<(usize, usize)> = spans.iter().map(|(_, original)| *original).collect();
    let inputs = spans.into_iter().map(|(input, _)| input).collect();
    let record = match tokens {
        Some((tokens, extras)) => {
            Record::from_parts(id, text, tokens, inputs, meta).map(|record| {
                extras
                    .into_iter()
                    .fold(record, |record, (index, kept)| record.with_token_extra(index, kept))
            })
        }
        None => Record::without_tokens(id, text, inputs, meta),
    };
    let record = record.map(|record| {
        let record = top_level.into_iter().fold(record, Record::with_top_level_field);
        if id_made_up {
            record.with_made_up_id()
        } else {
            record
        }
    });
    record.map_err(|mut err| {
        // Errors name spans in the unit of the file, at the span's column.
        if let Some(index) = err.restate_span(|index| span_offsets.get(index).copied()) {
            err.location = Some(Box::new(fields.at(&[Step::Key("spans"), Step::Index(index)])));
        }
        err.or_at(|| Location::line(source, line.number))
    })
}

/// A record's tokens, with the fields of each that the format does not define;
/// `None` when the record has no `tokens`.
type ParsedTokens = Option<(Vec<RecordToken>, Vec<(usize, KeptFields)>)>;

fn parse_tokens(
    fields: &Fields<'_>,
    id: &str,
    text: &str,
    map: &OffsetMap<'_>,
) -> Result<ParsedTokens, Error> {
    let object = &fields.line.object;
    let list = match object.get("tokens") {
        None => return Ok(None),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(fields.wrong_type(
                &[Step::Key("tokens")],
                "record",
                "tokens",
                "an array",
                other,
            ))
        }
    };
    let mut tokens = Vec::with_capacity(list.len());
    let mut extras = Vec::new();
    for (index, value) in list.iter().enumerate() {
        let path = [Step::Key("tokens"), Step::Index(index)];
        let what = format!("token {index}");
        let Value::Object(token) = value else {
            return Err(fields.wrong_type(&path, "record", "tokens", "an array of objects", value));
        };
        let kept = fields.kept(token, &path, &TOKEN_FIELDS);
        if !kept.is_empty() {
            extras.push((index, kept));
        }
        let token_text = fields.required_string(token, &path, &what, "text")?;
        let start = fields.required_index(token, &path, &what, "start")?;
        let end = fields.required_index(token, &path, &what, "end")?;
        let token_id = fields.required_index(token, &path, &what, "id")?;
        let ws = match token.get("ws") {
            None => return Err(fields.missing(&path, &what, "ws")),
            Some(Value::Bool(ws)) => *ws,
            Some(other) => {
                return Err(fields.wrong_type(&with(&path, "ws"), &what, "ws", "a boolean", other))
            }
        };
        let bad = |problem: String| {
            Error::at(
                fields.at(&path),
                ErrorKind::BadToken { document: id.to_string(), index, problem },
            )
        };
        // Checked as the schema checks it (one of the tokenizer's kinds), and
        // kept with the token's other extra fields.
        if let Some(kind) = token.get("kind") {
            if let Err(err) = TokenKind::deserialize(kind) {
                return Err(bad(format!("its \"kind\" is not a token kind: {err}")));
            }
        }
        if token_id != index {
            return Err(bad(format!("its \"id\" is {token_id}, but ids count tokens from 0")));
        }
        let byte_start = map.to_byte(start).map_err(|err| bad(format!("start: {err}")))?;
        let byte_end = map.to_byte(end).map_err(|err| bad(format!("end: {err}")))?;
        let slice = text.get(byte_start..byte_end).unwrap_or("");
        if slice != token_text || byte_start >= byte_end {
            return Err(bad(format!(
                "its \"text\" is {token_text:?} but [{start}, {end}) cuts out {slice:?} (offsets \
                 in {})",
                map.unit()
            )));
        }
        tokens.push(RecordToken { start: byte_start, end: byte_end, ws });
    }
    Ok(Some((tokens, extras)))
}

type ParsedSpan = (SpanInput, (usize, usize));

fn parse_spans(
    fields: &Fields<'_>,
    id: &str,
    text: &str,
    map: &OffsetMap<'_>,
    tokens: Option<&[RecordToken]>,
) -> Result<Vec<ParsedSpan>, Error> {
    let object = &fields.line.object;
    let list = match object.get("spans") {
        None => return Err(fields.missing(&[], "record", "spans")),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(fields.wrong_type(
                &[Step::Key("spans")],
                "record",
                "spans",
                "an array",
                other,
            ))
        }
    };
    let mut spans = Vec::with_capacity(list.len());
    for (index, value) in list.iter().enumerate() {
        let path = [Step::Key("spans"), Step::Index(index)];
        let what = format!("span {index}");
        let Value::Object(span) = value else {
            return Err(fields.wrong_type(&path, "record", "spans", "an array of objects", value));
        };
        let kept = fields.kept(span, &path, &SPAN_FIELDS);
        let start = fields.required_index(span, &path, &what, "start")?;
        let end = fields.required_index(span, &path, &what, "end")?;
        // Token indices say nothing the offsets do not: they may be left out
        // (and are computed), but when given they must agree. Without tokens
        // they would index nothing.
        let token_indices =
            match (tokens, span.contains_key("token_start"), span.contains_key("token_end")) {
                (_, false, false) => None,
                (None, ..) => {
                    let field =
                        if span.contains_key("token_start") { "token_start" } else { "token_end" };
                    return Err(Error::at(
                        fields.at(&with(&path, field)),
                        ErrorKind::Syntax {
                            message: format!(
                            "{what} has \"{field}\" but the record has no \"tokens\" for it to \
                             index — add the record's tokens, or leave out the span's \
                             \"token_start\" and \"token_end\""
                        ),
                        },
                    ));
                }
                (Some(_), ..) => Some((
                    fields.required_index(span, &path, &what, "token_start")?,
                    fields.required_index(span, &path, &what, "token_end")?,
                )),
            };
        let label = fields.required_string(span, &path, &what, "label")?;
        let given_text = fields.string(span, &path, &what, "text")?;
        let kb_id = fields.string(span, &path, &what, "kb_id")?;
        let span_source = fields.string(span, &path, &what, "source")?;
        let span_text = given_text.unwrap_or("");
        let span_ref = |cut: Option<&str>| {
            Box::new(SpanRef {
                document: id.to_string(),
                index: Some(index),
                start,
                end,
                label: label.to_string(),
                text: cut.map(str::to_string),
            })
        };
        let to_byte = |offset| {
            map.to_byte(offset).map_err(|error| {
                Error::at(
                    fields.at(&path),
                    ErrorKind::SpanOffset { span: span_ref(Some(span_text)), error },
                )
            })
        };
        let byte_start = to_byte(start)?;
        let byte_end = to_byte(end)?;
        if byte_start >= byte_end {
            let span = span_ref(Some(span_text));
            return Err(Error::at(fields.at(&path), ErrorKind::SpanReversed { span }));
        }
        let cut = &text[byte_start..byte_end];
        // A span without `text` (as Prodigy writes them) takes the slice.
        if given_text.is_some_and(|given| given != cut) {
            return Err(Error::at(
                fields.at(&with(&path, "text")),
                ErrorKind::SpanTextMismatch {
                    span: span_ref(None),
                    found: span_text.to_string(),
                    expected: cut.to_string(),
                },
            ));
        }
        let expected = tokens.and_then(|tokens| token_range(tokens, byte_start, byte_end));
        if let (Some(expected), Some((token_start, token_end))) = (expected, token_indices) {
            if expected != (token_start, token_end) {
                return Err(Error::at(
                    fields.at(&with(&path, "token_start")),
                    ErrorKind::SpanTokenMismatch {
                        span: span_ref(Some(cut)),
                        found: (token_start, token_end),
                        expected,
                    },
                ));
            }
        }
        let mut input = SpanInput::new(byte_start, byte_end, label);
        input.kb_id = kb_id.map(SmolStr::new);
        input.source = span_source.map(SmolStr::new);
        input.extra = kept;
        spans.push((input, (start, end)));
    }
    Ok(spans)
}
