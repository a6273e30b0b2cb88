//! JSON Lines input with error locations: the one line reader every JSON Lines
//! format uses (records, doccano, Hugging Face).

use std::io::BufRead;

use serde_json::{Map, Value};

use crate::error::{json_type_name, Error, ErrorKind, Location};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One parsed line: its object, its text (for column lookups) and its number.
#[derive(Debug)]
pub(crate) struct Line {
    pub(crate) object: Map<String, Value>,
    pub(crate) text: String,
    pub(crate) number: u64,
    /// Bytes skipped at the start of the line (a byte-order mark), which columns
    /// count.
    pub(crate) skipped: usize,
}

/// Reads JSON objects, one per line, counting lines and bytes for locations.
pub(crate) struct JsonLines<R> {
    pub(crate) source: String,
    reader: R,
    buffer: Vec<u8>,
    line_number: u64,
    offset: u64,
    done: bool,
}

impl<R> std::fmt::Debug for JsonLines<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLines")
            .field("source", &self.source)
            .field("line_number", &self.line_number)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> JsonLines<R> {
    pub(crate) fn new(source: impl Into<String>, reader: R) -> Self {
        JsonLines {
            source: source.into(),
            reader,
            buffer: Vec::new(),
            line_number: 0,
            offset: 0,
            done: false,
        }
    }

    /// Where the line last read is: `<source>:<line>`.
    pub(crate) fn location(&self) -> Location {
        Location::line(&self.source, self.line_number)
    }

    /// The next non-blank line's object; after an error, nothing more.
    pub(crate) fn next_line(&mut self) -> Option<Result<Line, Error>> {
        Some(self.next_raw()?.and_then(|raw| raw.parse()))
    }

    /// The next non-blank line, as text (checked UTF-8, not yet parsed); after an
    /// error, nothing more.
    pub(crate) fn next_raw(&mut self) -> Option<Result<RawLine<'_>, Error>> {
        while !self.done {
            match self.read_line() {
                Ok(Some((number, skipped, start, end))) => {
                    // The bytes were checked as UTF-8 by read_line.
                    let text = std::str::from_utf8(&self.buffer[start..end]).unwrap_or("");
                    return Some(Ok(RawLine { source: &self.source, text, number, skipped }));
                }
                Ok(None) => continue,
                Err(err) => {
                    self.done = true;
                    return Some(Err(err));
                }
            }
        }
        None
    }
}

impl RawLine<'_> {
    /// Parses the line as a JSON object, with a location for any error.
    pub(crate) fn parse(self) -> Result<Line, Error> {
        let RawLine { source, text, number, skipped } = self;
        let value: Value = serde_json::from_str(text).map_err(|err| {
            let full = err.to_string();
            let position = format!(" at line {} column {}", err.line(), err.column());
            let message = full.strip_suffix(&position).unwrap_or(&full).to_string();
            Error::at(
                Location::column(source, number, (skipped + err.column()) as u64),
                ErrorKind::MalformedJson { message },
            )
        })?;
        if let Some((key, column)) = crate::repeated_key(text) {
            return Err(Error::at(
                Location::column(source, number, (skipped + column) as u64),
                ErrorKind::RepeatedKey { key },
            ));
        }
        match value {
            Value::Object(object) => Ok(Line { object, text: text.to_string(), number, skipped }),
            other => Err(Error::at(
                Location::line(source, number),
                ErrorKind::WrongType {
                    what: "line".to_string(),
                    field: "(the line itself)".to_string(),
                    expected: "an object",
                    found: json_type_name(&other),
                },
            )),
        }
    }
}

impl<R: BufRead> JsonLines<R> {
    /// Reads one line into the buffer: `(number, skipped, start, end)` of its text
    /// in the buffer, `None` for a blank line or the end of the input.
    fn read_line(&mut self) -> Result<Option<(u64, usize, usize, usize)>, Error> {
        self.buffer.clear();
        let line_start = self.offset;
        let read = self.reader.read_until(b'\n', &mut self.buffer).map_err(|err| {
            Error::at(Location::line(&self.source, self.line_number + 1), ErrorKind::Io(err))
        })?;
        if read == 0 {
            self.done = true;
            return Ok(None);
        }
        self.line_number += 1;
        self.offset += read as u64;
        let number = self.line_number;
        let mut end = self.buffer.len();
        if self.buffer[..end].ends_with(b"\n") {
            end -= 1;
        }
        if self.buffer[..end].ends_with(b"\r") {
            end -= 1;
        }
        let mut skipped = 0;
        if number == 1 && self.buffer[..end].starts_with(UTF8_BOM) {
            skipped = UTF8_BOM.len();
        }
        let text = std::str::from_utf8(&self.buffer[skipped..end]).map_err(|err| {
            let bad = skipped + err.valid_up_to();
            Error::at(
                Location::column(&self.source, number, bad as u64 + 1),
                ErrorKind::InvalidUtf8 { byte_offset: line_start + bad as u64 },
            )
        })?;
        if text.trim_matches([' ', '\t']).is_empty() {
            return Ok(None);
        }
        Ok(Some((number, skipped, skipped, end)))
    }
}

/// One line's text, before parsing.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawLine<'b> {
    /// The input's name, for locations.
    pub(crate) source: &'b str,
    pub(crate) text: &'b str,
    pub(crate) number: u64,
    pub(crate) skipped: usize,
}

/// One step of a path into a JSON value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step<'a> {
    /// A field of an object.
    Key(&'a str),
    /// An element of an array.
    Index(usize),
}

impl Line {
    /// The location of the value at `path` in this line, or of the line when the
    /// path cannot be found.
    pub(crate) fn at(&self, source: &str, path: &[Step<'_>]) -> Location {
        match value_offset(&self.text, path) {
            Some(offset) => {
                Location::column(source, self.number, (self.skipped + offset) as u64 + 1)
            }
            None => Location::line(source, self.number),
        }
    }
}

/// The byte offset in `json` where the value at `path` starts. A small scanner
/// that knows JSON's syntax well enough to skip strings and nested values; it is
/// only used on text serde_json has already parsed.
pub(crate) fn value_offset(json: &str, path: &[Step<'_>]) -> Option<usize> {
    let bytes = json.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    for step in path {
        match (step, bytes.get(pos)?) {
            (Step::Key(key), b'{') => {
                pos += 1;
                loop {
                    pos = skip_ws(bytes, pos);
                    if bytes.get(pos)? == &b'}' {
                        return None;
                    }
                    let key_end = skip_string(bytes, pos)?;
                    let found = &json[pos + 1..key_end - 1];
                    pos = skip_ws(bytes, key_end);
                    if bytes.get(pos)? != &b':' {
                        return None;
                    }
                    pos = skip_ws(bytes, pos + 1);
                    if found == *key {
                        break;
                    }
                    pos = skip_ws(bytes, skip_value(bytes, pos)?);
                    if bytes.get(pos)? == &b',' {
                        pos += 1;
                    }
                }
            }
            (Step::Index(index), b'[') => {
                pos = skip_ws(bytes, pos + 1);
                for _ in 0..*index {
                    pos = skip_ws(bytes, skip_value(bytes, pos)?);
                    if bytes.get(pos)? != &b',' {
                        return None;
                    }
                    pos = skip_ws(bytes, pos + 1);
                }
                if bytes.get(pos)? == &b']' {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(pos)
}

/// The byte offset in `json` just past the value starting at `start` (as
/// [`value_offset`] finds it).
pub(crate) fn value_end(json: &str, start: usize) -> Option<usize> {
    skip_value(json.as_bytes(), start)
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
        pos += 1;
    }
    pos
}

/// Past the string starting at `pos` (which must be `"`).
fn skip_string(bytes: &[u8], pos: usize) -> Option<usize> {
    if bytes.get(pos)? != &b'"' {
        return None;
    }
    let mut i = pos + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// Past the value starting at `pos`.
fn skip_value(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos)? {
        b'"' => skip_string(bytes, pos),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = pos;
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i = skip_string(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = pos;
            while bytes.get(i).is_some_and(|b| !matches!(b, b',' | b'}' | b']' | b' ' | b'\t')) {
                i += 1;
            }
            Some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_offset_finds_nested_values() {
        let json = r#"{"a": "x,}", "spans": [{"start": 1}, {"start": 2, "text": "b\"]"}], "z": 3}"#;
        let at = |path: &[Step<'_>]| value_offset(json, path).map(|i| &json[i..i + 3]);
        assert_eq!(value_offset(json, &[Step::Key("z")]), Some(json.len() - 2));
        assert_eq!(at(&[Step::Key("spans"), Step::Index(1), Step::Key("text")]), Some("\"b\\"));
        assert_eq!(at(&[Step::Key("spans"), Step::Index(0), Step::Key("start")]), Some("1},"));
        assert_eq!(value_offset(json, &[Step::Key("spans"), Step::Index(2)]), None);
        assert_eq!(value_offset(json, &[Step::Key("missing")]), None);
    }
}
