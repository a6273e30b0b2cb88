//! JSON Lines input with error locations: [`LineReader`], the one line reader of
//! every JSON Lines input rubric reads — records, doccano and Hugging Face here,
//! and the CLI's documents (`annotate`, `tokenize`) and `validate` — so the rules
//! for what a line is are written once:
//!
//! - a UTF-8 byte-order mark at the start of the input is skipped (editors on
//!   Windows add it; it is not JSON), and columns still count its bytes; one at the
//!   start of a later line is an error ([`ErrorKind::ByteOrderMark`]): files joined
//!   with `cat`, each with its mark;
//! - a line ends at `\n`, and a `\r` before it belongs to the line ending;
//! - a blank line (only spaces, tabs or `\r`: JSON's own white space) holds
//!   nothing and is passed over; a line of no-break spaces is not blank;
//! - bytes that are not UTF-8 are an error naming the line, the column and the
//!   byte offset in the input of the first bad byte, never replaced;
//! - a line longer than [`LineReader::max_line_bytes`] (no limit unless set) is an
//!   error, read past without being held in memory.
//!
//! An error in one line's bytes does not end the input: the next call reads the
//! next line, so a caller may report every bad line (`rubric validate`) or stop at
//! the first. An error reading the input itself ends it.

use std::io::{BufRead, Read};

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

/// Reads the lines of a JSON Lines input, counting lines and bytes for locations
/// (the rules are in the [module documentation](self)).
///
/// ```
/// use rubric_exporter::LineReader;
///
/// let input = b"\xEF\xBB\xBF{\"a\": 1}\r\n\n  \n{\"b\": \"K\xF6ln\"}\n{\"c\": 3}\n";
/// let mut lines = LineReader::new("in.jsonl", &input[..]);
/// let first = lines.next_line().unwrap()?;
/// assert_eq!((first.text, first.number, first.skipped), ("{\"a\": 1}", 1, 3));
/// let err = lines.next_line().unwrap().unwrap_err();
/// assert_eq!(err.to_string().split(" — ").next(), Some("in.jsonl:4:9: invalid UTF-8 at byte offset 25"));
/// assert_eq!(lines.next_line().unwrap()?.text, "{\"c\": 3}");
/// assert!(lines.next_line().is_none());
/// # Ok::<(), rubric_exporter::Error>(())
/// ```
pub struct LineReader<R> {
    source: String,
    reader: R,
    buffer: Vec<u8>,
    /// 1-based number of the line last read.
    line_number: u64,
    /// Byte offset of the start of the next line in the input.
    offset: u64,
    /// Set at the end of the input and after an error reading it.
    done: bool,
    max_line_bytes: Option<u64>,
}

impl<R> std::fmt::Debug for LineReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineReader")
            .field("source", &self.source)
            .field("line_number", &self.line_number)
            .finish_non_exhaustive()
    }
}

/// One non-blank line's text, checked UTF-8, not yet parsed.
#[derive(Clone, Copy, Debug)]
pub struct RawLine<'b> {
    /// The input's name, for locations.
    pub source: &'b str,
    /// The line without its line ending (and, on line 1, without a byte-order
    /// mark).
    pub text: &'b str,
    /// The line's 1-based number.
    pub number: u64,
    /// Bytes skipped at the start of the line (a byte-order mark), which columns
    /// count: the column of `text`'s byte `i` is `skipped + i + 1`.
    pub skipped: usize,
    /// How many bytes of the input the line took, its line ending included.
    pub bytes: u64,
}

impl<R: BufRead> LineReader<R> {
    /// Reads from `reader`; `source` names it in errors (a path, or `<stdin>`).
    pub fn new(source: impl Into<String>, reader: R) -> Self {
        LineReader {
            source: source.into(),
            reader,
            buffer: Vec::new(),
            line_number: 0,
            offset: 0,
            done: false,
            max_line_bytes: None,
        }
    }

    /// Refuses lines longer than `limit` bytes (line ending included) with
    /// [`ErrorKind::LineTooLong`], reading past them without holding them; `None`
    /// (the default) reads a line of any length, as a single-document input of a
    /// gigabyte is legitimate.
    pub fn max_line_bytes(mut self, limit: Option<u64>) -> Self {
        self.max_line_bytes = limit;
        self
    }

    /// The input's name.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Where the line last read is: `<source>:<line>`.
    pub fn location(&self) -> Location {
        Location::line(&self.source, self.line_number)
    }

    /// The next non-blank line, or the error in the next line's bytes; `None` at
    /// the end of the input and after an error reading it.
    pub fn next_line(&mut self) -> Option<Result<RawLine<'_>, Error>> {
        while !self.done {
            match self.read_line() {
                Ok(Some((number, skipped, end, bytes))) => {
                    // read_line checked these bytes as UTF-8.
                    let text = std::str::from_utf8(&self.buffer[skipped..end]).unwrap_or("");
                    let source = &self.source;
                    return Some(Ok(RawLine { source, text, number, skipped, bytes }));
                }
                Ok(None) => continue,
                Err(err) => return Some(Err(err)),
            }
        }
        None
    }

    /// The next non-blank line parsed as a JSON object.
    pub(crate) fn next_object(&mut self) -> Option<Result<Line, Error>> {
        Some(self.next_line()?.and_then(|raw| raw.parse()))
    }

    /// Reads one line into the buffer: `(number, skipped, end, bytes)` of a line
    /// whose text is `buffer[skipped..end]`; `None` for a blank line or the end of
    /// the input.
    fn read_line(&mut self) -> Result<Option<(u64, usize, usize, u64)>, Error> {
        self.buffer.clear();
        let line_start = self.offset;
        let number = self.line_number + 1;
        let source = self.source.clone();
        let read_error =
            |err| Error::at(Location::line(source.clone(), number), ErrorKind::Io(err));
        let read = match self.max_line_bytes {
            None => self.reader.read_until(b'\n', &mut self.buffer),
            // One byte more than the limit tells a line at the limit from a longer one.
            Some(limit) => {
                (&mut self.reader).take(limit.saturating_add(1)).read_until(b'\n', &mut self.buffer)
            }
        };
        let read = match read {
            Ok(read) => read as u64,
            Err(err) => {
                self.done = true;
                return Err(read_error(err));
            }
        };
        if read == 0 {
            self.done = true;
            return Ok(None);
        }
        self.line_number = number;
        self.offset += read;
        if let Some(limit) = self.max_line_bytes {
            if read > limit {
                let rest = match self.skip_rest_of_line() {
                    Ok(rest) => rest,
                    Err(err) => {
                        self.done = true;
                        return Err(read_error(err));
                    }
                };
                self.offset += rest;
                return Err(Error::at(
                    Location::line(&self.source, number),
                    ErrorKind::LineTooLong { limit, length: read + rest },
                ));
            }
        }
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
            // A UTF-8 error always has a byte at `valid_up_to`: the one that failed.
            let bad = skipped + err.valid_up_to();
            Error::at(
                Location::column(&self.source, number, bad as u64 + 1),
                ErrorKind::InvalidUtf8 {
                    byte_offset: line_start + bad as u64,
                    byte: self.buffer[bad],
                },
            )
        })?;
        // A blank line holds nothing. JSON Lines forbids them, but they are common
        // in practice (a trailing empty line, files concatenated with an empty line
        // between them), and failing on one would only make the user delete it by
        // hand. Only JSON's own white space counts: a line of no-break spaces is a
        // mistake worth reporting.
        if text.trim_matches([' ', '\t', '\r']).is_empty() {
            return Ok(None);
        }
        if text.starts_with('\u{feff}') {
            return Err(Error::at(
                Location::column(&self.source, number, skipped as u64 + 1),
                ErrorKind::ByteOrderMark,
            ));
        }
        Ok(Some((number, skipped, end, read)))
    }

    /// Reads up to the end of the current line without keeping it: the bytes read.
    fn skip_rest_of_line(&mut self) -> std::io::Result<u64> {
        let mut skipped = 0u64;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if available.is_empty() {
                return Ok(skipped);
            }
            let (used, done) = match available.iter().position(|&b| b == b'\n') {
                Some(newline) => (newline + 1, true),
                None => (available.len(), false),
            };
            self.reader.consume(used);
            skipped += used as u64;
            if done {
                return Ok(skipped);
            }
        }
    }
}

/// serde_json's description of `err` without the position it appends (` at line
/// 1 column 7`): each reader reports the position in its own terms.
pub fn json_error_message(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let position = format!(" at line {} column {}", err.line(), err.column());
    full.strip_suffix(&position).unwrap_or(&full).to_string()
}

impl RawLine<'_> {
    /// Parses the line as a JSON object, with a location for any error.
    pub(crate) fn parse(self) -> Result<Line, Error> {
        let RawLine { source, text, number, skipped, .. } = self;
        let value: Value = serde_json::from_str(text).map_err(|err| {
            Error::at(
                Location::column(source, number, (skipped + err.column()) as u64),
                ErrorKind::MalformedJson { message: json_error_message(&err) },
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

    /// Every line the reader gives, as `Ok((number, text))` or `Err(message
    /// without its hint)`, to the end of the input.
    fn read_all(input: &[u8], limit: Option<u64>) -> Vec<Result<(u64, String), String>> {
        let mut lines = LineReader::new("in", input).max_line_bytes(limit);
        let mut out = Vec::new();
        while let Some(line) = lines.next_line() {
            out.push(match line {
                Ok(line) => Ok((line.number, line.text.to_string())),
                Err(err) => Err(err.to_string().split(" — ").next().unwrap_or("").to_string()),
            });
        }
        out
    }

    #[test]
    fn line_endings_and_blank_lines() {
        let input = b"a\r\n\r\n \t\r\nb\r\r\n\xC2\xA0\nc\rd\ne";
        let expected: Vec<Result<(u64, String), String>> = vec![
            Ok((1, "a".to_string())),
            // Lines 2 and 3 are blank (`\r` and JSON white space only).
            // Only the `\r` of the line ending goes; one before it stays.
            Ok((4, "b\r".to_string())),
            // A line of no-break spaces is not blank: JSON would call it an error.
            Ok((5, "\u{a0}".to_string())),
            // A `\r` inside a line is the line's.
            Ok((6, "c\rd".to_string())),
            // The last line needs no line ending.
            Ok((7, "e".to_string())),
        ];
        assert_eq!(read_all(input, None), expected);
    }

    #[test]
    fn a_bad_line_is_reported_and_the_next_one_read() {
        let input = b"\xEF\xBB\xBF{}\n\xEF\xBB\xBF{}\nK\xF6ln\n{\"x\": 1}\n";
        let expected: Vec<Result<(u64, String), String>> = vec![
            // The mark that starts the input is skipped,
            Ok((1, "{}".to_string())),
            // one that starts a later line (files joined with `cat`) is an error.
            Err("in:2:1: malformed JSON: the line starts with a UTF-8 byte-order mark".to_string()),
            // Line 3 starts at byte 6 + 6 = 12; its bad byte is its second.
            Err("in:3:2: invalid UTF-8 at byte offset 13".to_string()),
            Ok((4, "{\"x\": 1}".to_string())),
        ];
        assert_eq!(read_all(input, None), expected);
    }

    #[test]
    fn a_line_over_the_limit_is_an_error_and_is_read_past() {
        let long = "x".repeat(100);
        let input = format!("{{}}\n{long}\n12345678\n{long}");
        let expected: Vec<Result<(u64, String), String>> = vec![
            Ok((1, "{}".to_string())),
            Err("in:2: the line is 101 bytes long, more than the limit of 9".to_string()),
            // Nine bytes with its line ending: at the limit, not over it.
            Ok((3, "12345678".to_string())),
            Err("in:4: the line is 100 bytes long, more than the limit of 9".to_string()),
        ];
        assert_eq!(read_all(input.as_bytes(), Some(9)), expected);
        // Without a limit, any length.
        assert_eq!(read_all(input.as_bytes(), None).len(), 4);
        assert!(read_all(input.as_bytes(), None).iter().all(Result::is_ok));
    }

    #[test]
    fn an_error_reading_the_input_ends_it() {
        struct Failing;
        impl std::io::Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let mut lines = LineReader::new("in", std::io::BufReader::new(Failing));
        let err = lines.next_line().and_then(Result::err).map(|err| err.location);
        assert_eq!(err, Some(Some(Box::new(Location::line("in", 1)))));
        assert!(lines.next_line().is_none());
    }
}
