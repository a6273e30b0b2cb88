//! Documents from the command line's inputs: the one reader every subcommand uses.
//!
//! An input is a path or `-`:
//!
//! - `*.txt`: the whole file is one document, its id is the file stem, and its text
//!   is the file's bytes exactly, with nothing trimmed or normalised. A leading UTF-8
//!   byte-order mark is kept as part of the text: offsets must index the file as it
//!   is on disk, and a tool that slices the file by our offsets would otherwise be
//!   off by one.
//! - `*.jsonl` or `*.json`: JSON Lines, one document per line, each an object with a
//!   required string `text` and an optional string `id` (default `<file>:<line>`).
//!   Every other field is kept in the document's `meta`, exactly: a field holding a
//!   number a JSON value would round is kept as its JSON text (`exact_meta`). A UTF-8 byte-order mark at
//!   the start of the file is skipped: it is not JSON, editors on Windows add it, and
//!   offsets in JSON Lines index the `text` string, never the file, so skipping it
//!   moves no offset.
//! - `*.txt.gz`, `*.jsonl.gz`, `*.json.gz`: the same, gzip-compressed, decompressed
//!   as they are read.
//! - a directory: every file in it and below it with one of the names above, in
//!   sorted order (hidden files and directories are skipped, and so, with a warning,
//!   are files of other kinds and FIFOs, devices or sockets named like documents).
//!   An entry that cannot be read (a subdirectory without permission) is an error
//!   in its place, and the walk goes on past it.
//! - `-`, or no input at all: JSON Lines on standard input (ids `<stdin>:<line>`).
//!
//! Invalid UTF-8 is an error that names the byte offset of the first bad byte; it
//! is never replaced. An error in one JSON Lines line does not end the stream: the
//! caller decides whether to stop (the default) or to skip the line
//! (`--keep-going`). An error reading the stream itself does end it.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde_json::{Map, Value};

use rubric_exporter::{inexact_number, json_type_name, ExactFields, LineReader, RawLine};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind, Location};

/// One document to work on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// The id given in the input, or one made from where the document came from.
    pub id: String,
    /// The text, exactly as in the input.
    pub text: String,
    /// Where the document came from, for error messages about it.
    pub location: Location,
    /// The input's other fields (JSON Lines only), carried through to the output.
    pub meta: Map<String, Value>,
    /// The input's other fields that hold a number [`Value`] would round (beyond
    /// 64-bit integers or a double's digits), kept as their exact JSON text.
    pub exact_meta: ExactFields,
    /// How many bytes of the input the document took, for progress reports.
    pub input_bytes: u64,
}

const STDIN_NAME: &str = "<stdin>";

/// The documents of all inputs, in order.
///
/// Reading is lazy: a JSON Lines input is read one line at a time and a directory
/// is listed only when its turn comes, so memory does not grow with the input, and
/// the documents before a bad line are still processed.
#[derive(Debug)]
pub struct Documents {
    /// Inputs not opened yet; an entry of a directory that could not be listed is
    /// kept here as its error, in its place, so that it is reported in order and
    /// its siblings are still read.
    pending: VecDeque<Result<PathBuf, Error>>,
    current: Option<Source>,
    warn: fn(&str),
}

impl Documents {
    /// The documents of `inputs`; no inputs means standard input. `warn` is told
    /// about files skipped inside directories.
    pub fn new(inputs: &[PathBuf], warn: fn(&str)) -> Self {
        let inputs = if inputs.is_empty() { vec![PathBuf::from("-")] } else { inputs.to_vec() };
        Documents { pending: inputs.into_iter().map(Ok).collect(), current: None, warn }
    }

    /// The files a directory holds, in sorted order, with the paths of skipped files
    /// reported through `warn`. An entry that cannot be read (a subdirectory
    /// without permission, a symbolic link loop) is an error in the list, in its
    /// place: the walk goes on past it, so nothing beside it is lost.
    fn list_directory(&self, dir: &Path) -> Vec<Result<PathBuf, Error>> {
        let mut files = Vec::new();
        let walk = walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            // The root itself may be `.`; below it, hidden entries are skipped
            // (editor swap files, `.git`), as ripgrep does.
            .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    let at = err.path().unwrap_or(dir).display().to_string();
                    let err = err
                        .into_io_error()
                        .unwrap_or_else(|| io::Error::other("a symbolic link loop"));
                    files.push(Err(Error::at(Location::source(at), ErrorKind::Read(err))));
                    continue;
                }
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let path = entry.into_path();
            // A FIFO, a device or a socket named like a document would block the
            // walk or read forever: found in a directory, it is said and left out.
            let regular = std::fs::metadata(&path).map(|metadata| metadata.is_file());
            if Format::of(&path).is_some() && matches!(regular, Ok(false)) {
                (self.warn)(&format!(
                    "{}: skipped — not a regular file (a FIFO, a device or a socket); name it \
                     on the command line to read it",
                    rubric_exporter::escape_controls(&path.display().to_string())
                ));
            } else if Format::of(&path).is_some() {
                // A file that cannot be inspected (a dangling link) is opened, and
                // the error names it.
                files.push(Ok(path));
            } else {
                (self.warn)(&format!(
                    "{}: skipped — not a .txt, .jsonl or .json file (or .gz of one)",
                    rubric_exporter::escape_controls(&path.display().to_string())
                ));
            }
        }
        files
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

impl Iterator for Documents {
    type Item = Result<Document, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(source) = &mut self.current {
                match source.next_document() {
                    Some(item) => return Some(item),
                    None => self.current = None,
                }
            }
            let path = match self.pending.pop_front()? {
                Ok(path) => path,
                Err(err) => return Some(Err(err)),
            };
            if path.as_os_str() != "-" && path.is_dir() {
                for file in self.list_directory(&path).into_iter().rev() {
                    self.pending.push_front(file);
                }
                continue;
            }
            match Source::open(&path) {
                Ok(source) => self.current = Some(source),
                Err(err) => return Some(Err(err)),
            }
        }
    }
}

/// What an input holds, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    JsonLines,
}

impl Format {
    fn of(path: &Path) -> Option<Format> {
        // A `.gz` is decompressed as it is read (`stream`): its format is the inner
        // name's.
        let inner = match extension(path).as_deref() {
            Some("gz") => path.file_stem().map(Path::new).and_then(extension),
            other => other.map(str::to_string),
        };
        match inner.as_deref() {
            Some("txt") => Some(Format::Text),
            Some("jsonl" | "json") => Some(Format::JsonLines),
            _ => None,
        }
    }
}

fn extension(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// The id of a plain-text document: its file name without the extensions rubric
/// reads (`a.txt` and `a.txt.gz` are both `a`).
fn text_id(path: &Path) -> Option<String> {
    let mut stem = path.file_stem()?;
    if extension(path).as_deref() == Some("gz") {
        stem = Path::new(stem).file_stem()?;
    }
    Some(stem.to_string_lossy().to_string())
}

/// The bytes of an opened input file, decompressed as they are read when its name
/// ends in `.gz`: how every subcommand reads the files it is given.
pub fn stream(path: &Path, file: File) -> Box<dyn BufRead> {
    if extension(path).as_deref() == Some("gz") {
        Box::new(BufReader::new(MultiGzDecoder::new(BufReader::new(file))))
    } else {
        Box::new(BufReader::new(file))
    }
}

/// One input being read.
#[derive(Debug)]
enum Source {
    /// A plain-text file: one document, handed out once.
    Text(Option<Document>),
    /// A JSON Lines stream.
    Lines(JsonLines),
}

impl Source {
    fn open(path: &Path) -> Result<Source, Error> {
        if path.as_os_str() == "-" {
            let stdin: Box<dyn BufRead> = Box::new(io::stdin().lock());
            return Ok(Source::Lines(JsonLines::new(STDIN_NAME.to_string(), stdin)));
        }
        let name = path.display().to_string();
        let Some(format) = Format::of(path) else {
            return Err(Error::at(
                Location::source(&name),
                ErrorKind::UnknownFormat { extension: extension(path) },
            ));
        };
        let file = File::open(path)
            .map_err(|err| Error::at(Location::source(&name), ErrorKind::Read(err)))?;
        let reader = stream(path, file);
        match format {
            Format::Text => {
                let id = text_id(path).unwrap_or_else(|| name.clone());
                read_text_file(reader, id, &name).map(|document| Source::Text(Some(document)))
            }
            Format::JsonLines => Ok(Source::Lines(JsonLines::new(name, reader))),
        }
    }

    fn next_document(&mut self) -> Option<Result<Document, Error>> {
        match self {
            Source::Text(document) => document.take().map(Ok),
            Source::Lines(lines) => lines.next_document(),
        }
    }
}

fn read_text_file(mut file: impl Read, id: String, name: &str) -> Result<Document, Error> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|err| Error::at(Location::source(name), ErrorKind::Read(err)))?;
    let input_bytes = bytes.len() as u64;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Document {
            id,
            text,
            location: Location::source(name),
            meta: Map::new(),
            exact_meta: ExactFields::new(),
            input_bytes,
        }),
        Err(err) => {
            let bytes = err.as_bytes();
            // A UTF-8 error always has a byte at `valid_up_to`: the one that failed.
            let bad = err.utf8_error().valid_up_to();
            let before = &bytes[..bad];
            let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let column = (bad - line_start) as u64 + 1;
            Err(Error::at(
                Location::column(name, line, column),
                ErrorKind::InvalidUtf8 { byte_offset: bad as u64, byte: bytes[bad] },
            ))
        }
    }
}

/// Whether `line` holds a `\uD800`-`\uDFFF` escape (either case).
fn has_surrogate_escape(line: &str) -> bool {
    line.as_bytes().windows(4).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2].eq_ignore_ascii_case(&b'd')
            && b"89abAB".contains(&w[3])
    })
}

/// An error of the exporter's line reader in the CLI's words: reading, invalid
/// UTF-8 (with its byte) and a stray byte-order mark are the CLI's own kinds, the
/// rest stay the exporter's.
pub fn line_error(err: rubric_exporter::Error) -> Error {
    use rubric_exporter::ErrorKind as Line;
    let location = err.location.map(|location| *location);
    let kind = match err.kind {
        Line::Io(err) => ErrorKind::Read(err),
        Line::InvalidUtf8 { byte_offset, byte } => ErrorKind::InvalidUtf8 { byte_offset, byte },
        Line::ByteOrderMark => ErrorKind::ByteOrderMark,
        kind => {
            let err = rubric_exporter::Error { kind, location: location.map(Box::new) };
            return Error { kind: ErrorKind::Exporter(Box::new(err)), location: None };
        }
    };
    Error { kind, location }
}

/// The documents of a JSON Lines input: each non-blank line one document. The
/// lines come from the exporter's [`LineReader`], the one reader of JSON Lines.
struct JsonLines {
    lines: LineReader<Box<dyn BufRead>>,
}

impl std::fmt::Debug for JsonLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLines").field("lines", &self.lines).finish()
    }
}

impl JsonLines {
    fn new(name: String, reader: Box<dyn BufRead>) -> Self {
        JsonLines { lines: LineReader::new(name, reader) }
    }

    /// The next document; an error in one line leaves the next one readable.
    fn next_document(&mut self) -> Option<Result<Document, Error>> {
        Some(self.lines.next_line()?.map_err(line_error).and_then(document))
    }
}

/// The document one line holds.
fn document(raw: RawLine<'_>) -> Result<Document, Error> {
    let RawLine { source: name, text: line, number, skipped, bytes } = raw;
    let value: Value = serde_json::from_str(line).map_err(|err| {
        let message = rubric_exporter::json_error_message(&err);
        // serde_json has no error category for this; its messages name it
        // ("lone leading surrogate in hex escape", "unexpected end of hex escape"
        // when a high surrogate is not followed by `\u`).
        let lone_surrogate = message.contains("surrogate")
            || (message.contains("hex escape") && has_surrogate_escape(line));
        let kind = if lone_surrogate {
            ErrorKind::LoneSurrogate { message }
        } else {
            ErrorKind::MalformedJson {
                message,
                incomplete: err.classify() == serde_json::error::Category::Eof,
            }
        };
        Error::at(Location::column(name, number, (skipped + err.column()) as u64), kind)
    })?;

    if let Some((key, column)) = rubric_exporter::repeated_key(line) {
        return Err(Error::at(
            Location::column(name, number, (skipped + column) as u64),
            ErrorKind::RepeatedKey { key },
        ));
    }

    let at_line = || Location::line(name, number);
    let mut record = match value {
        Value::Object(record) => record,
        other => {
            let found = json_type_name(&other);
            return Err(Error::at(at_line(), ErrorKind::NotAnObject { found }));
        }
    };
    let text = match record.remove("text") {
        Some(Value::String(text)) => text,
        Some(other) => {
            let found = json_type_name(&other);
            return Err(Error::at(at_line(), ErrorKind::TextNotString { found }));
        }
        None => return Err(Error::at(at_line(), ErrorKind::MissingText)),
    };
    let id = match record.remove("id") {
        Some(Value::String(id)) => id,
        Some(other) => {
            let found = json_type_name(&other);
            return Err(Error::at(at_line(), ErrorKind::IdNotString { found }));
        }
        None => format!("{name}:{number}"),
    };
    // Fields holding a number `Value` would round are carried as the JSON text
    // they were written as; the line is read a second time only when it has one.
    let mut exact_meta = ExactFields::new();
    if inexact_number(line).is_some() {
        let raw: std::collections::BTreeMap<String, Box<RawValue>> = serde_json::from_str(line)
            .map_err(|err| {
                Error::internal(format!("a line read once as JSON failed the second time: {err}"))
            })?;
        for (key, json) in raw {
            if record.contains_key(&key) && inexact_number(json.get()).is_some() {
                record.remove(&key);
                exact_meta.insert(key, json);
            }
        }
    }
    Ok(Document { id, text, location: at_line(), meta: record, exact_meta, input_bytes: bytes })
}
