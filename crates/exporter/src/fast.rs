//! The reader's fast path: a line that is a valid record, deserialized straight into
//! typed fields, without building a `serde_json::Value` tree for its tokens.
//!
//! It accepts exactly what the checked path in `jsonl.rs` accepts, or less (a
//! record without tokens, a span without `text` or token indices, a field the
//! format does not define on a token or a span all go the checked way): on
//! anything unusual (a serde error, a failed check) it gives up and returns `None`,
//! and the line goes through the checked path, which finds the problem again and
//! reports it with its file, line and column. A test holds the two paths to the
//! same records.

use std::borrow::Cow;
use std::fmt;

use rubric_offsets::{OffsetMap, OffsetUnit};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use smol_str::SmolStr;

use crate::lines::RawLine;
use crate::record::{token_range, Record, RecordToken, SpanInput};

/// A string that borrows from the line when it has no escapes.
#[derive(Deserialize)]
struct Str<'a>(#[serde(borrow)] Cow<'a, str>);

/// An optional field that, when present, must be a string: `null` is an error, as on
/// the checked path.
fn some_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    Str::deserialize(d).map(|s| Some(s.0))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Token<'a> {
    #[serde(borrow)]
    text: Cow<'a, str>,
    start: usize,
    end: usize,
    id: usize,
    ws: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Span<'a> {
    start: usize,
    end: usize,
    token_start: usize,
    token_end: usize,
    #[serde(borrow)]
    label: Cow<'a, str>,
    #[serde(borrow)]
    text: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "some_str")]
    kb_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "some_str")]
    source: Option<Cow<'a, str>>,
}

#[derive(Default)]
struct Fields<'a> {
    id: Option<Cow<'a, str>>,
    text: Option<Cow<'a, str>>,
    tokens: Option<Vec<Token<'a>>>,
    spans: Option<Vec<Span<'a>>>,
    meta: Option<Map<String, Value>>,
    /// Unknown top-level fields, which move into `meta`.
    extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;

        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a record object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Fields::default();
                let duplicate = || de::Error::custom("duplicate field");
                while let Some(key) = map.next_key::<Str<'de>>()? {
                    match key.0.as_ref() {
                        "id" if fields.id.is_none() => fields.id = Some(map.next_value::<Str>()?.0),
                        "text" if fields.text.is_none() => {
                            fields.text = Some(map.next_value::<Str>()?.0)
                        }
                        "tokens" if fields.tokens.is_none() => {
                            fields.tokens = Some(map.next_value()?)
                        }
                        "spans" if fields.spans.is_none() => fields.spans = Some(map.next_value()?),
                        "meta" if fields.meta.is_none() => fields.meta = Some(map.next_value()?),
                        "id" | "text" | "tokens" | "spans" | "meta" => return Err(duplicate()),
                        other => {
                            let value: Value = map.next_value()?;
                            if fields.extra.insert(other.to_string(), value).is_some() {
                                return Err(duplicate());
                            }
                        }
                    }
                }
                Ok(fields)
            }
        }

        d.deserialize_map(FieldsVisitor)
    }
}

/// The record on `raw`, if it is valid and nothing about it needs a message.
pub(crate) fn parse(raw: &RawLine<'_>) -> Option<Record> {
    // The fields below keep the last of a repeated key (inside `meta`, a span, a
    // token); the checked path reports it instead.
    if crate::repeated_key(raw.text).is_some() {
        return None;
    }
    let fields: Fields<'_> = serde_json::from_str(raw.text).ok()?;
    let (id, id_made_up) = match fields.id {
        Some(id) => (id.into_owned(), false),
        None => (format!("{}:{}", raw.source, raw.number), true),
    };
    let text = fields.text?.into_owned();
    let mut meta = fields.meta.unwrap_or_default();
    let unit = match meta.remove("offsets") {
        None => OffsetUnit::Char,
        Some(Value::String(unit)) => match unit.as_str() {
            "char" => OffsetUnit::Char,
            "byte" => OffsetUnit::Byte,
            "utf16" => OffsetUnit::Utf16,
            _ => return None,
        },
        Some(_) => return None,
    };
    let mut top_level = Vec::with_capacity(fields.extra.len());
    for (key, value) in fields.extra {
        if key == "offsets" || meta.contains_key(&key) {
            return None;
        }
        top_level.push(key.clone());
        meta.insert(key, value);
    }
    let (tokens, spans) = {
        let map = OffsetMap::new(&text, unit);
        let mut tokens = Vec::new();
        for (index, token) in fields.tokens?.iter().enumerate() {
            let start = map.to_byte(token.start).ok()?;
            let end = map.to_byte(token.end).ok()?;
            if token.id != index || start >= end || text.get(start..end)? != token.text {
                return None;
            }
            tokens.push(RecordToken { start, end, ws: token.ws });
        }
        let mut spans = Vec::new();
        for span in fields.spans? {
            let start = map.to_byte(span.start).ok()?;
            let end = map.to_byte(span.end).ok()?;
            if start >= end || text.get(start..end)? != span.text {
                return None;
            }
            if let Some(range) = token_range(&tokens, start, end) {
                if range != (span.token_start, span.token_end) {
                    return None;
                }
            }
            let mut input = SpanInput::new(start, end, span.label);
            input.kb_id = span.kb_id.map(SmolStr::from);
            input.source = span.source.map(SmolStr::from);
            spans.push(input);
        }
        (tokens, spans)
    };
    let record = Record::from_parts(id, text, tokens, spans, meta).ok()?;
    let record = top_level.into_iter().fold(record, Record::with_top_level_field);
    Some(if id_made_up { record.with_made_up_id() } else { record })
}
