//! doccano JSONL, both of its sequence-labelling layouts.

use std::fmt;
use std::io::{BufRead, Write};
use std::str::FromStr;

use rubric_offsets::{OffsetMap, OffsetUnit};
use rubric_tokenizer::Tokenizer;
use serde_json::{json, Map, Value};

use crate::error::{json_type_name, Error, ErrorKind, Location, SpanRef};
use crate::lines::{Line, LineReader, Step};
use crate::record::{KeptFields, Record, SpanInput};

/// Which of doccano's two JSONL layouts to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DoccanoLayout {
    /// `{"id", "text", "label": [[start, end, "LABEL"], ...]}`: doccano's
    /// sequence-labelling import and export. The default.
    #[default]
    Label,
    /// `{"id", "text", "entities": [{"id", "label", "start_offset", "end_offset"}],
    /// "relations": []}`: doccano's relation-extraction layout.
    Entities,
}

impl DoccanoLayout {
    /// The name used on the command line: `label` or `entities`.
    pub fn as_str(self) -> &'static str {
        match self {
            DoccanoLayout::Label => "label",
            DoccanoLayout::Entities => "entities",
        }
    }
}

impl fmt::Display for DoccanoLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DoccanoLayout {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "label" => Ok(DoccanoLayout::Label),
            "entities" => Ok(DoccanoLayout::Entities),
            other => Err(format!("unknown doccano layout {other:?}: expected label or entities")),
        }
    }
}

/// Writes records as doccano JSONL, one document per line, offsets in code points
/// (doccano's, which are Python string indices).
///
/// doccano keeps labels and exact offsets, overlapping spans included; `kb_id`,
/// `source`, the tokens and `meta` are not written, but for the `entities`
/// layout's round trip: entities read from doccano keep their ids (a span's
/// kept `id`) and the document its `relations` (in `meta`), written back when
/// every span has its own id.
///
/// ```
/// use rubric_exporter::{DoccanoLayout, DoccanoWriter, Record, SpanInput};
/// use rubric_tokenizer::Tokenizer;
///
/// let record = Record::tokenize("d1", "Iran’s IRGC", &Tokenizer::new(), vec![SpanInput::new(9, 13, "ORG")])?;
/// let mut writer = DoccanoWriter::new(Vec::new(), DoccanoLayout::Label);
/// writer.write(&record)?;
/// let line = String::from_utf8(writer.finish()?).unwrap();
/// assert_eq!(line, "{\"id\":\"d1\",\"text\":\"Iran’s IRGC\",\"label\":[[7,11,\"ORG\"]]}\n");
/// # Ok::<(), rubric_exporter::Error>(())
/// ```
#[derive(Debug)]
pub struct DoccanoWriter<W: Write> {
    out: W,
    layout: DoccanoLayout,
}

impl<W: Write> DoccanoWriter<W> {
    /// A writer of the given layout.
    pub fn new(out: W, layout: DoccanoLayout) -> Self {
        DoccanoWriter { out, layout }
    }

    /// Writes one document.
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        let chars = OffsetMap::new(record.text(), OffsetUnit::Char);
        let mut offsets = Vec::with_capacity(record.spans().len());
        for span in record.spans() {
            let convert = |byte| {
                chars.to_unit(byte).map_err(|error| {
                    Error::new(ErrorKind::SpanOffset { span: record.span_ref(span), error })
                })
            };
            offsets.push((convert(span.start)?, convert(span.end)?, span.label.as_str()));
        }
        // serde_json's `json!` sorts keys; build the object in doccano's order.
        let mut line = String::from("{\"id\":");
        line.push_str(&Value::String(record.id().to_string()).to_string());
        line.push_str(",\"text\":");
        line.push_str(&Value::String(record.text().to_string()).to_string());
        match self.layout {
            DoccanoLayout::Label => {
                let labels: Vec<Value> =
                    offsets.iter().map(|(start, end, label)| json!([start, end, label])).collect();
                line.push_str(",\"label\":");
                line.push_str(&Value::Array(labels).to_string());
            }
            DoccanoLayout::Entities => {
                // The entities' own ids when they came from doccano (every span
                // has one, all distinct: what `relations` name), else 1, 2, ...
                let kept: Vec<Option<u64>> = record
                    .spans()
                    .iter()
                    .map(|span| span.extra.get("id").and_then(|id| id.parse().ok()))
                    .collect();
                let distinct: std::collections::BTreeSet<u64> =
                    kept.iter().flatten().copied().collect();
                let own_ids = kept.iter().all(Option::is_some) && distinct.len() == kept.len();
                line.push_str(",\"entities\":[");
                for (n, (start, end, label)) in offsets.iter().enumerate() {
                    if n > 0 {
                        line.push(',');
                    }
                    let id = if own_ids { kept[n].unwrap_or_default() } else { n as u64 + 1 };
                    line.push_str(&format!(
                        "{{\"id\":{id},\"label\":{},\"start_offset\":{start},\"end_offset\":{end}}}",
                        Value::String(label.to_string())
                    ));
                }
                // A record read from doccano keeps its relations in `meta`; they
                // name its entities' own ids, so they go back only with them.
                let relations = match record.meta().get("relations") {
                    Some(relations @ Value::Array(_)) if own_ids => relations.to_string(),
                    _ => "[]".to_string(),
                };
                line.push_str("],\"relations\":");
                line.push_str(&relations);
            }
        }
        line.push_str("}\n");
        self.out.write_all(line.as_bytes()).map_err(Error::io)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W, Error> {
        self.out.flush().map_err(Error::io)?;
        Ok(self.out)
    }
}

/// Reads doccano JSONL in either layout (told apart line by line), offsets in code
/// points, and tokenizes each text.
///
/// `id` may be a string or a number (doccano writes numbers); without one the id
/// is `<source>:<line>`. Fields other than `id`, `text`, `label` and `entities`
/// move into `meta` (doccano's `relations`, `Comments` and the like); an
/// entity's fields other than its label and offsets (its `id`, which relations
/// name) stay on its span. Each span's `source` is `<source>:<line>`.
#[derive(Debug)]
pub struct DoccanoReader<R> {
    lines: LineReader<R>,
    tokenizer: Tokenizer,
}

impl<R: BufRead> DoccanoReader<R> {
    /// Reads from `reader`; `source` names it in ids and errors.
    pub fn new(source: impl Into<String>, reader: R) -> Self {
        DoccanoReader { lines: LineReader::new(source, reader), tokenizer: Tokenizer::new() }
    }

    /// Where the record last returned was read (`<source>:<line>`), for errors a
    /// writer raises about it later.
    pub fn location(&self) -> Location {
        self.lines.location()
    }
}

impl<R: BufRead> Iterator for DoccanoReader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = self.lines.next_object()?;
        Some(line.and_then(|line| parse_line(self.lines.source(), line, &self.tokenizer)))
    }
}

fn parse_line(source: &str, line: Line, tokenizer: &Tokenizer) -> Result<Record, Error> {
    let at = |path: &[Step<'_>]| line.at(source, path);
    let wrong = |path: &[Step<'_>], field: &str, expected, found: &Value| {
        Error::at(
            at(path),
            ErrorKind::WrongType {
                what: "doccano line".to_string(),
                field: field.to_string(),
                expected,
                found: json_type_name(found),
            },
        )
    };
    let mut object = line.object.clone();
    let id = match object.remove("id") {
        None => format!("{source}:{}", line.number),
        Some(Value::String(id)) => id,
        Some(Value::Number(id)) => id.to_string(),
        Some(other) => return Err(wrong(&[Step::Key("id")], "id", "a string or a number", &other)),
    };
    let text = match object.remove("text") {
        Some(Value::String(text)) => text,
        Some(other) => return Err(wrong(&[Step::Key("text")], "text", "a string", &other)),
        None => {
            return Err(Error::at(
                at(&[]),
                ErrorKind::MissingField { what: "doccano line".to_string(), field: "text" },
            ))
        }
    };
    let label = object.remove("label");
    let entities = object.remove("entities");
    // (start, end, label, path to the span, its other fields) in code points.
    let mut raw: Vec<(u64, u64, String, Vec<Step<'static>>, KeptFields)> = Vec::new();
    match (label, entities) {
        (Some(_), Some(_)) => {
            return Err(Error::syntax(
                at(&[]),
                "the line has both \"label\" and \"entities\" — doccano writes one or the other; \
                 keep the one that holds the spans",
            ))
        }
        (Some(Value::Array(list)), None) => {
            for (i, item) in list.iter().enumerate() {
                let path = vec![Step::Key("label"), Step::Index(i)];
                let triple = item.as_array().filter(|a| a.len() == 3).and_then(|a| {
                    Some((a[0].as_u64()?, a[1].as_u64()?, a[2].as_str()?.to_string()))
                });
                let Some((start, end, label)) = triple else {
                    let offsets = item.as_array().into_iter().flatten().take(2);
                    if let Some(problem) = offsets.filter_map(offset_problem).next() {
                        return Err(Error::syntax(at(&path), problem));
                    }
                    return Err(Error::syntax(
                        at(&path),
                        "each element of \"label\" must be [start, end, \"LABEL\"] with \
                         code point offsets (a list of plain strings is doccano's text \
                         classification, which holds no spans)",
                    ));
                };
                raw.push((start, end, label, path, KeptFields::new()));
            }
        }
        (None, Some(Value::Array(list))) => {
            for (i, item) in list.iter().enumerate() {
                let path = vec![Step::Key("entities"), Step::Index(i)];
                let entity = item.as_object().and_then(|e| {
                    Some((
                        e.get("start_offset")?.as_u64()?,
                        e.get("end_offset")?.as_u64()?,
                        e.get("label")?.as_str()?.to_string(),
                    ))
                });
                let Some((start, end, label)) = entity else {
                    let offsets = ["start_offset", "end_offset"]
                        .into_iter()
                        .filter_map(|key| item.as_object()?.get(key));
                    if let Some(problem) = offsets.filter_map(offset_problem).next() {
                        return Err(Error::syntax(at(&path), problem));
                    }
                    return Err(Error::syntax(
                        at(&path),
                        "each entity must be {\"label\": \"LABEL\", \"start_offset\": N, \
                         \"end_offset\": N} with code point offsets",
                    ));
                };
                // The entity's other fields (its `id`, which `relations` name)
                // stay on the span, and go back on the entity when written.
                let mut kept = KeptFields::new();
                for (key, value) in item.as_object().into_iter().flatten() {
                    if !matches!(key.as_str(), "label" | "start_offset" | "end_offset") {
                        kept.insert(key.clone(), value.to_string());
                    }
                }
                raw.push((start, end, label, path, kept));
            }
        }
        (Some(other), None) => {
            return Err(wrong(&[Step::Key("label")], "label", "an array", &other))
        }
        (None, Some(other)) => {
            return Err(wrong(&[Step::Key("entities")], "entities", "an array", &other))
        }
        (None, None) => {}
    }
    let chars = OffsetMap::new(&text, OffsetUnit::Char);
    let mut spans = Vec::with_capacity(raw.len());
    for (index, (start, end, label, path, kept)) in raw.iter().enumerate() {
        let (start, end) = (*start as usize, *end as usize);
        let to_byte = |offset| {
            chars.to_byte(offset).map_err(|error| {
                let span = Box::new(SpanRef {
                    document: id.clone(),
                    index: Some(index),
                    start,
                    end,
                    label: label.clone(),
                    text: None,
                });
                Error::at(at(path), ErrorKind::SpanOffset { span, error })
            })
        };
        let (byte_start, byte_end) = (to_byte(start)?, to_byte(end)?);
        let mut span = SpanInput::new(byte_start, byte_end, label.as_str())
            .source(format!("{source}:{}", line.number));
        span.extra = kept.clone();
        spans.push(span);
    }
    let meta: Map<String, Value> = object;
    let tokens = tokenizer.tokenize(&text);
    let record = Record::new(id, text, &tokens, spans).map_err(|mut err| {
        let index = err.restate_span(|index| {
            raw.get(index).map(|(start, end, ..)| (*start as usize, *end as usize))
        });
        if let Some((.., path, _)) = index.and_then(|i| raw.get(i)) {
            err.location = Some(Box::new(at(path)));
        }
        err.or_at(|| Location::line(source, line.number))
    })?;
    Ok(record.with_meta(meta))
}

/// What is wrong with a number that is no code point offset (negative, a
/// fraction, or beyond any offset), so the message says it instead of "the
/// shape is wrong"; `None` for a good offset or a value that is no number.
fn offset_problem(value: &Value) -> Option<String> {
    let Value::Number(number) = value else { return None };
    if number.is_u64() {
        return None;
    }
    let why = if number.is_i64() {
        "is negative"
    } else if number.as_f64().is_some_and(|f| f.fract() != 0.0) {
        "has a fraction"
    } else if number.as_f64().is_some_and(|f| f.abs() < 1e15) {
        "is written with a decimal point or an exponent"
    } else {
        "is out of range (offsets are at most 18446744073709551615)"
    };
    Some(format!("the offset {number} {why} — offsets are code point indices: 0, 1, 2, ..."))
}
