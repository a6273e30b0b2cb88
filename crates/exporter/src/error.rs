//! Errors as data: what went wrong ([`ErrorKind`]), where ([`Location`]), and, in
//! the message, what to do about it.

use std::fmt;
use std::io;

use rubric_offsets::OffsetError;

/// Where in an input something went wrong.
///
/// `line` and `column` are 1-based; columns count bytes from the start of the line,
/// as serde_json's do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The input as the user named it (`<stdin>` for standard input).
    pub source: String,
    /// The line, when the error is tied to one.
    pub line: Option<u64>,
    /// The column in bytes, when the error is tied to one.
    pub column: Option<u64>,
}

impl Location {
    /// The whole of an input.
    pub fn source(source: impl Into<String>) -> Self {
        Location { source: source.into(), line: None, column: None }
    }

    /// One line of an input.
    pub fn line(source: impl Into<String>, line: u64) -> Self {
        Location { source: source.into(), line: Some(line), column: None }
    }

    /// One byte of one line of an input.
    pub fn column(source: impl Into<String>, line: u64, column: u64) -> Self {
        Location { source: source.into(), line: Some(line), column: Some(column) }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A file name found in a walked directory is the input's, not the user's
        // typing: it may hold control characters.
        f.write_str(&escape_controls(&self.source))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// A span as an error message names it: its index in the document, its offsets in
/// the unit the user reads, its label and its text (or what could be cut of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanRef {
    /// The document's id.
    pub document: String,
    /// The span's index in the document's `spans`, when it has one.
    pub index: Option<usize>,
    /// Start offset, in the unit of the input (or bytes when built in memory).
    pub start: usize,
    /// End offset (exclusive), same unit.
    pub end: usize,
    /// The span's label.
    pub label: String,
    /// The span's text, when the offsets allow cutting it.
    pub text: Option<String>,
}

impl fmt::Display for SpanRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "document {:?}, span", self.document)?;
        if let Some(index) = self.index {
            write!(f, " {index}")?;
        }
        write!(f, " [{}, {}) {}", self.start, self.end, escape_controls(&self.label))?;
        if let Some(text) = &self.text {
            write!(f, " {text:?}")?;
        }
        Ok(())
    }
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing failed.
    #[error("{} — check that the file exists and is readable, and that the output's directory is writable", io_reason(.0))]
    Io(#[source] io::Error),
    /// The input is not valid UTF-8.
    #[error(
        "invalid UTF-8 at byte offset {byte_offset} — rubric reads UTF-8 only; convert the \
         input first, e.g. `iconv -f WINDOWS-1252 -t UTF-8`"
    )]
    InvalidUtf8 {
        /// Offset of the first invalid byte from the start of the input.
        byte_offset: u64,
        /// That byte.
        byte: u8,
    },
    /// A line after the first starts with a UTF-8 byte-order mark: files joined
    /// with `cat`, each with its own mark.
    #[error(
        "malformed JSON: the line starts with a UTF-8 byte-order mark — files were \
         probably joined with `cat`; remove the marks first, e.g. \
         `sed 's/^\\xEF\\xBB\\xBF//' in.jsonl`"
    )]
    ByteOrderMark,
    /// A line is longer than the reader's limit ([`crate::LineReader::max_line_bytes`]).
    #[error(
        "the line is {length} bytes long, more than the limit of {limit} — split the \
         document, or raise the limit"
    )]
    LineTooLong {
        /// The limit, in bytes.
        limit: u64,
        /// The line's length in bytes, its line ending included.
        length: u64,
    },
    /// A JSON Lines line is not valid JSON.
    #[error(
        "malformed JSON: {message} — each line must hold one complete JSON object; compact \
         pretty-printed JSON first, e.g. `jq -c . in.json > in.jsonl`"
    )]
    MalformedJson {
        /// serde_json's description, without its position (the location has it).
        message: String,
    },
    /// A JSON object names one key twice; a JSON reader would keep only the last
    /// value, so the others would be lost without a word.
    #[error(
        "the key {key:?} appears twice in one object — JSON readers keep only the last \
         value; remove the one that is wrong"
    )]
    RepeatedKey {
        /// The key, escapes decoded.
        key: String,
    },
    /// A required field is missing.
    #[error("the {what} has no {field:?} field — add it (see schemas/record.schema.json)")]
    MissingField {
        /// Which object (`record`, `span 2`, `token 5`).
        what: String,
        /// The missing field.
        field: &'static str,
    },
    /// A field has the wrong JSON type.
    #[error("{field:?} of the {what} is {found}, expected {expected} — fix the value")]
    WrongType {
        /// Which object.
        what: String,
        /// The field.
        field: String,
        /// The type it must have.
        expected: &'static str,
        /// The type it has.
        found: &'static str,
    },
    /// `meta.offsets` names no unit rubric knows.
    #[error("meta.offsets is {found:?} — use \"char\" (code points), \"byte\" or \"utf16\"")]
    UnknownOffsetUnit {
        /// What it says.
        found: String,
    },
    /// An unknown top-level field would overwrite a field of `meta` with the same name.
    #[error(
        "the record has a top-level field {field:?} and a field of the same name in \"meta\" \
         — unknown top-level fields move into \"meta\"; rename or remove one of them"
    )]
    MetaCollision {
        /// The field's name.
        field: String,
    },
    /// The record holds a field of its own where the producer writes one (the
    /// annotator's `explain` trace, the offsets' unit): writing it would
    /// overwrite the input's.
    #[error("the record has a field {field:?} of its own, where {writer} is written — {advice}")]
    ReservedMeta {
        /// The field's name.
        field: String,
        /// What is written there (`the explain trace`).
        writer: String,
        /// What to do (rename it, or leave out the option that writes it).
        advice: String,
    },
    /// A span's offset is past the end of the text or inside a character.
    #[error("{span}: {error} — offsets must lie on character boundaries inside the text, in the unit meta.offsets names")]
    SpanOffset {
        /// The span.
        span: Box<SpanRef>,
        /// What is wrong with the offset.
        error: OffsetError,
    },
    /// A span ends before it starts, or is empty.
    #[error("{span}: the span is empty or ends before it starts — a span needs start < end")]
    SpanReversed {
        /// The span.
        span: Box<SpanRef>,
    },
    /// A span's `text` is not the text its offsets cut out of the document.
    #[error(
        "{span}: \"text\" is {found:?} but the offsets cut out {expected:?} — the offsets are \
         in another unit than meta.offsets says, or the text was edited after annotation; \
         rubric does not guess which"
    )]
    SpanTextMismatch {
        /// The span.
        span: Box<SpanRef>,
        /// The span's `text` field.
        found: String,
        /// The text the offsets cut out of the document.
        expected: String,
    },
    /// A span's `token_start` or `token_end` disagrees with its offsets.
    #[error(
        "{span}: (token_start, token_end) is {found:?} but the span's offsets cover tokens \
         {expected:?} — they must be the first and last token the span overlaps \
         (inclusive); recompute them"
    )]
    SpanTokenMismatch {
        /// The span.
        span: Box<SpanRef>,
        /// `(token_start, token_end)` as given.
        found: (usize, usize),
        /// `(token_start, token_end)` the offsets give (inclusive).
        expected: (usize, usize),
    },
    /// A span covers no token at all (it lies inside a token's trailing space).
    #[error("{span}: the span covers no token, only a token's trailing space — remove it")]
    SpanOutsideTokens {
        /// The span.
        span: Box<SpanRef>,
    },
    /// The same span (same offsets and label) occurs twice.
    #[error("{span}: the same span (offsets and label) occurs twice — keep one")]
    DuplicateSpan {
        /// The second occurrence.
        span: Box<SpanRef>,
    },
    /// A label is empty or contains white space, which no token-based format can hold.
    #[error(
        "{span}: the label {label:?} is empty or contains white space — use a label like \
         \"PERSON\" or \"GPE\" (no spaces)"
    )]
    BadLabel {
        /// The span.
        span: Box<SpanRef>,
        /// The label.
        label: String,
    },
    /// A token is malformed: its text is not the slice, it overlaps the one before, ...
    #[error("document {document:?}, token {index}: {problem} — tokens must be the text's non-empty, ordered, non-overlapping slices")]
    BadToken {
        /// The document.
        document: String,
        /// The token's index.
        index: usize,
        /// What is wrong.
        problem: String,
    },
    /// A span does not start or end on a token boundary and the policy is `error`.
    #[error(
        "{span}: the span does not start and end on token boundaries, which {format} needs \
         — pass --misaligned expand (grow it to whole tokens), contract (shrink it), or \
         drop (leave it out); each reports how many spans it touched"
    )]
    Misaligned {
        /// The span.
        span: Box<SpanRef>,
        /// The target format.
        format: &'static str,
    },
    /// Two spans share a token, and the target format holds one label per token.
    #[error(
        "{span} overlaps {other} — {format} holds one label per token; remove one of them, or \
         convert to brat or doccano, which keep overlapping spans"
    )]
    Overlapping {
        /// The later span.
        span: Box<SpanRef>,
        /// The earlier span it overlaps.
        other: Box<SpanRef>,
        /// The target format.
        format: &'static str,
    },
    /// A span the target format cannot hold for another reason.
    #[error("{span}: {reason}")]
    Unrepresentable {
        /// The span.
        span: Box<SpanRef>,
        /// Why, and what to do.
        reason: String,
    },
    /// A brat annotation with several fragments.
    #[error(
        "discontinuous span {fragments:?} — rubric's spans are contiguous; split the \
         annotation into one T line per fragment, or remove it"
    )]
    Discontinuous {
        /// The fragment list as written.
        fragments: String,
    },
    /// A line of an input format could not be understood.
    #[error("{}", escape_controls(message))]
    Syntax {
        /// What is wrong and what to do.
        message: String,
    },
    /// A document id cannot be used as a file name, or two ids make the same one.
    #[error("document id {id:?}: {problem}")]
    BadId {
        /// The id.
        id: String,
        /// What is wrong and what to do.
        problem: String,
    },
}

impl ErrorKind {
    /// The kind's stable name, its variant in snake case (`missing_label`): what
    /// error reports and the Python exceptions' `kind` say. Named here once, so
    /// no caller derives it (from `Debug` or otherwise).
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Io(..) => "io",
            ErrorKind::InvalidUtf8 { .. } => "invalid_utf8",
            ErrorKind::ByteOrderMark => "byte_order_mark",
            ErrorKind::LineTooLong { .. } => "line_too_long",
            ErrorKind::MalformedJson { .. } => "malformed_json",
            ErrorKind::RepeatedKey { .. } => "repeated_key",
            ErrorKind::MissingField { .. } => "missing_field",
            ErrorKind::WrongType { .. } => "wrong_type",
            ErrorKind::UnknownOffsetUnit { .. } => "unknown_offset_unit",
            ErrorKind::MetaCollision { .. } => "meta_collision",
            ErrorKind::ReservedMeta { .. } => "reserved_meta",
            ErrorKind::SpanOffset { .. } => "span_offset",
            ErrorKind::SpanReversed { .. } => "span_reversed",
            ErrorKind::SpanTextMismatch { .. } => "span_text_mismatch",
            ErrorKind::SpanTokenMismatch { .. } => "span_token_mismatch",
            ErrorKind::SpanOutsideTokens { .. } => "span_outside_tokens",
            ErrorKind::DuplicateSpan { .. } => "duplicate_span",
            ErrorKind::BadLabel { .. } => "bad_label",
            ErrorKind::BadToken { .. } => "bad_token",
            ErrorKind::Misaligned { .. } => "misaligned",
            ErrorKind::Overlapping { .. } => "overlapping",
            ErrorKind::Unrepresentable { .. } => "unrepresentable",
            ErrorKind::Discontinuous { .. } => "discontinuous",
            ErrorKind::Syntax { .. } => "syntax",
            ErrorKind::BadId { .. } => "bad_id",
        }
    }
}

/// An error with its location.
#[derive(Debug)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Where, when it is tied to an input. Boxed, as the spans in [`ErrorKind`]
    /// are, to keep `Result<_, Error>` small on the path where nothing fails.
    pub location: Option<Box<Location>>,
}

impl Error {
    /// An error tied to no input position.
    pub fn new(kind: ErrorKind) -> Self {
        Error { kind, location: None }
    }

    /// An error at `location`.
    pub fn at(location: Location, kind: ErrorKind) -> Self {
        Error { kind, location: Some(Box::new(location)) }
    }

    /// An I/O error.
    pub fn io(err: io::Error) -> Self {
        Error::new(ErrorKind::Io(err))
    }

    /// For an error about one span of a record (an offset, a reversed or
    /// duplicate span, one off the tokens, a bad label): puts back the offsets the
    /// input wrote, `offsets(index)`, in place of the byte offsets the record
    /// checked, and returns the span's index, for the reader to name where the
    /// span was written. `None` for any other error. One place for what every
    /// reader that builds records from another format does with such an error.
    pub(crate) fn restate_span(
        &mut self,
        offsets: impl FnOnce(usize) -> Option<(usize, usize)>,
    ) -> Option<usize> {
        let span = match &mut self.kind {
            ErrorKind::SpanOffset { span, .. }
            | ErrorKind::SpanReversed { span }
            | ErrorKind::SpanOutsideTokens { span }
            | ErrorKind::DuplicateSpan { span }
            | ErrorKind::BadLabel { span, .. } => span,
            _ => return None,
        };
        let index = span.index?;
        if let Some((start, end)) = offsets(index) {
            span.start = start;
            span.end = end;
        }
        Some(index)
    }

    /// Sets the location to `location()` if there is none yet.
    pub fn or_at(mut self, location: impl FnOnce() -> Location) -> Self {
        if self.location.is_none() {
            self.location = Some(Box::new(location()));
        }
        self
    }

    /// A syntax error at `location`.
    pub(crate) fn syntax(location: Location, message: impl Into<String>) -> Self {
        Error::at(location, ErrorKind::Syntax { message: message.into() })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

/// Whether `c` would act on a terminal instead of being shown: C0 and C1 controls
/// (ESC starts colour, title and screen-clearing sequences) and the bidirectional
/// overrides and isolates, which reorder what follows them on the line.
pub fn is_terminal_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` safe inside HTML or XML text and quoted attributes: `&`, `<`, `>`, `"`
/// and `'` written as character references (`&#39;` for the apostrophe, which
/// both read). One escaper for the diff's HTML report and Label Studio's labeling
/// configuration.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` with every terminal control character written as an escape (`\u{1b}`,
/// as Rust's `{:?}` writes it), for text from the input shown in a report or a
/// message: a document's id, text or label, a file name found in a directory.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_terminal_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_terminal_control(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The name of a JSON value's type, for messages ("a string", "an array").
pub fn json_type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// An I/O error as a user reads it: "cannot read: no such file" rather than the
/// operating system's "No such file or directory (os error 2)".
fn io_reason(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "cannot read: no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => err.to_string(),
    }
}
