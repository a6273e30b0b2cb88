//! Errors as data: what went wrong (`kind`), where (`location`), and, in the message,
//! what the user can do about it.
//!
//! Every subcommand reports through this one type, and `main` prints it the same way
//! for all of them: `error: <file>:<line>:<column>: <what> — <what to do>`.

use std::fmt;
use std::io;

use rubric_offsets::OffsetError;

/// Where in the input something went wrong: the exporter's type, so that a
/// location from a record reader and one from the document reader are the same
/// thing (`file:line:column`, 1-based, columns in bytes).
pub use rubric_exporter::Location;

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An input could not be opened or read.
    Read(io::Error),
    /// An input's name does not say whether it is plain text or JSON Lines.
    UnknownFormat {
        /// The extension it has, if any.
        extension: Option<String>,
    },
    /// The input is not valid UTF-8.
    InvalidUtf8 {
        /// Offset of the first invalid byte from the start of the input.
        byte_offset: u64,
        /// That byte.
        byte: u8,
    },
    /// A JSON Lines line is not valid JSON.
    MalformedJson {
        /// serde_json's description, without its position (we report our own).
        message: String,
        /// The line ended before the JSON value did.
        incomplete: bool,
    },
    /// A JSON string holds a `\uD800`-`\uDFFF` escape that is not half of a
    /// surrogate pair: no character, so no UTF-8 text can hold it.
    LoneSurrogate {
        /// serde_json's description, without its position.
        message: String,
    },
    /// A line after the first starts with a UTF-8 byte-order mark: files
    /// concatenated with `cat`, each with its own mark.
    ByteOrderMark,
    /// A JSON object names one key twice; a JSON reader keeps only the last value.
    RepeatedKey {
        /// The key, escapes decoded.
        key: String,
    },
    /// A JSON Lines line is valid JSON but not an object.
    NotAnObject {
        /// What it is instead (`array`, `string`, ...).
        found: &'static str,
    },
    /// A JSON Lines record has no `text` field.
    MissingText,
    /// A JSON Lines record's `text` field is not a string.
    TextNotString {
        /// What it is instead.
        found: &'static str,
    },
    /// A JSON Lines record's `id` field is not a string.
    IdNotString {
        /// What it is instead.
        found: &'static str,
    },
    /// The tokenizer produced an offset that is not on a character boundary of the
    /// text. This is a bug in rubric, but it is reported, not panicked on.
    BadTokenOffset(OffsetError),
    /// The tokenizer produced a token that ends before it starts (a bug in rubric).
    BadTokenRange {
        /// The token's byte start.
        start: usize,
        /// The token's byte end.
        end: usize,
    },
    /// Two documents have the same id (an error only with `--strict`).
    DuplicateId {
        /// The id.
        id: String,
    },
    /// The output file is one of the inputs (the same file by device and inode, or
    /// inside an input directory, or, for a directory output, holding an input).
    OutputIsInput {
        /// The input it collides with, as given.
        input: String,
        /// How: "is the input", "is inside the input directory", "holds the input".
        relation: &'static str,
    },
    /// Two outputs of one run name the same file (or one holds the other).
    OutputsCollide {
        /// The other output, as given.
        other: String,
    },
    /// The output path is neither a regular file, a directory, a character device
    /// nor a FIFO (a block device, a socket).
    OutputNotWritable,
    /// The output file could not be created, or not moved into place at the end.
    CreateOutput(io::Error),
    /// Comparing annotations failed (`rubric diff`).
    Diff(Box<rubric_diff::Error>),
    /// The arguments do not make sense together.
    Usage(String),
    /// The output path is a directory.
    OutputIsDirectory,
    /// Writing the output failed. A closed pipe also ends up here; `main` treats it
    /// as a quiet stop, not as a failure.
    Write(io::Error),
    /// Something that cannot happen did: a bug in rubric, not in the input.
    Internal(String),
    /// rubric panicked. Caught in `main`, so that the user gets one line that says
    /// what to do instead of a backtrace, and no partial output file.
    Panic(String),
    /// Reading or writing records or an annotation format failed (`rubric convert`);
    /// the exporter's error carries its own location and hint.
    Exporter(Box<rubric_exporter::Error>),
    /// A gazetteer could not be read, built or loaded (its error names the file
    /// and line).
    Gazetteer(Box<rubric_gazetteer::Error>),
}

/// An error with its location.
#[derive(Debug)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Where, when it is tied to an input.
    pub location: Option<Location>,
}

impl Error {
    /// An error at `location`.
    pub fn at(location: Location, kind: ErrorKind) -> Self {
        Error { kind, location: Some(location) }
    }

    /// A write error on the output.
    pub fn write(err: io::Error) -> Self {
        Error { kind: ErrorKind::Write(err), location: None }
    }

    /// Arguments that do not fit together; the message says how to fix them.
    pub fn usage(what: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Usage(what.into()), location: None }
    }

    /// A bug in rubric, described for the bug report.
    pub fn internal(what: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Internal(what.into()), location: None }
    }

    /// A caught panic, described for the bug report.
    pub fn panic(what: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Panic(what.into()), location: None }
    }

    /// The kind's name in `--errors` reports: stable, snake case.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            ErrorKind::Read(_) => "read",
            ErrorKind::UnknownFormat { .. } => "unknown_format",
            ErrorKind::InvalidUtf8 { .. } => "invalid_utf8",
            ErrorKind::MalformedJson { .. }
            | ErrorKind::LoneSurrogate { .. }
            | ErrorKind::ByteOrderMark => "malformed_json",
            ErrorKind::RepeatedKey { .. } => "repeated_key",
            ErrorKind::NotAnObject { .. } => "not_an_object",
            ErrorKind::MissingText => "missing_text",
            ErrorKind::TextNotString { .. } => "text_not_string",
            ErrorKind::IdNotString { .. } => "id_not_string",
            ErrorKind::BadTokenOffset(_) | ErrorKind::BadTokenRange { .. } => "internal",
            ErrorKind::DuplicateId { .. } => "duplicate_id",
            ErrorKind::Gazetteer(_) => "gazetteer",
            ErrorKind::Usage(_) => "usage",
            ErrorKind::Diff(_) => "diff",
            ErrorKind::Exporter(_) => "record",
            ErrorKind::OutputIsDirectory => "output_is_directory",
            ErrorKind::OutputIsInput { .. } => "output_is_input",
            ErrorKind::OutputsCollide { .. } => "outputs_collide",
            ErrorKind::OutputNotWritable => "output_not_writable",
            ErrorKind::CreateOutput(_) => "create_output",
            ErrorKind::Write(_) => "write",
            ErrorKind::Internal(_) | ErrorKind::Panic(_) => "internal",
        }
    }

    /// Whether the run can skip past this error with `--keep-going`: it concerns one
    /// document or one input, not the output or rubric itself.
    pub fn is_skippable(&self) -> bool {
        !matches!(
            &self.kind,
            ErrorKind::Write(_)
                | ErrorKind::CreateOutput(_)
                | ErrorKind::OutputIsInput { .. }
                | ErrorKind::OutputsCollide { .. }
                | ErrorKind::OutputNotWritable
                | ErrorKind::Internal(_)
                | ErrorKind::Panic(_)
        )
    }

    /// Whether this is the reader of our output going away (`rubric ... | head`):
    /// the normal way for a pipeline to end early, so not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(&self.kind, ErrorKind::Write(err) if err.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// A short reason for an I/O error. `io::Error`'s own `Display` appends
/// "(os error N)", which means nothing to most users.
fn io_reason(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::StorageFull => "no space left on the device".to_string(),
        io::ErrorKind::FileTooLarge => {
            "the file is larger than the file system or `ulimit -f` allows".to_string()
        }
        _ => err.to_string(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        match &self.kind {
            ErrorKind::Read(err) => {
                let hint = match err.kind() {
                    io::ErrorKind::NotFound => {
                        "check the path, or pass `-` to read JSON Lines from standard input"
                    }
                    io::ErrorKind::PermissionDenied => "check the file's permissions",
                    _ => "check that the file is readable",
                };
                write!(f, "cannot read: {} — {hint}", io_reason(err))
            }
            ErrorKind::UnknownFormat { extension } => {
                match extension {
                    Some(extension) => write!(f, "unknown input format `.{extension}`")?,
                    None => f.write_str("unknown input format (the name has no extension)")?,
                }
                f.write_str(
                    " — name plain-text files `*.txt` (one document each) and JSON Lines \
                     files `*.jsonl` (one document per line)",
                )
            }
            ErrorKind::InvalidUtf8 { byte_offset, byte } => write!(
                f,
                "invalid UTF-8 at byte offset {byte_offset} (byte 0x{byte:02x}) — rubric \
                 reads UTF-8 only; convert the input first, e.g. \
                 `iconv -f WINDOWS-1252 -t UTF-8`"
            ),
            ErrorKind::MalformedJson { message, incomplete: true } => write!(
                f,
                "malformed JSON: {message} — each line must hold one complete JSON object; \
                 compact pretty-printed JSON first, e.g. `jq -c . in.json > in.jsonl`"
            ),
            ErrorKind::MalformedJson { message, incomplete: false } => write!(
                f,
                "malformed JSON: {message} — fix this line; each line must be one JSON \
                 object like {{\"id\": \"doc-1\", \"text\": \"...\"}}"
            ),
            ErrorKind::LoneSurrogate { message } => write!(
                f,
                "malformed JSON: {message} — a \\uD800-\\uDFFF escape must be one half of a \
                 surrogate pair (\\uD83D\\uDE00 is one character); a lone half is not a \
                 character and cannot be UTF-8 text: fix the program that wrote this line, or \
                 replace the escape with \\uFFFD"
            ),
            ErrorKind::ByteOrderMark => f.write_str(
                "malformed JSON: the line starts with a UTF-8 byte-order mark — files were \
                 probably joined with `cat`; remove the marks first, e.g. \
                 `sed 's/^\\xEF\\xBB\\xBF//' in.jsonl`",
            ),
            ErrorKind::RepeatedKey { key } => write!(
                f,
                "the key {key:?} appears twice in one object — JSON readers keep only the \
                 last value, so the other would be lost; remove the one that is wrong"
            ),
            ErrorKind::NotAnObject { found } => write!(
                f,
                "expected a JSON object, found {found} — each line must be one JSON object \
                 like {{\"id\": \"doc-1\", \"text\": \"...\"}}"
            ),
            ErrorKind::MissingText => f.write_str(
                "the record has no \"text\" field — add a string field \"text\" holding the \
                 document",
            ),
            ErrorKind::TextNotString { found } => write!(
                f,
                "\"text\" is {found}, not a string — put the document's text in \"text\" as \
                 a JSON string"
            ),
            ErrorKind::IdNotString { found } => write!(
                f,
                "\"id\" is {found}, not a string — write the id as a string (\"17\", not 17), \
                 or leave it out to get <file>:<line>"
            ),
            ErrorKind::BadTokenOffset(err) => write!(
                f,
                "the tokenizer returned a bad token: {err} — this is a bug in rubric; please \
                 report it together with this document"
            ),
            ErrorKind::BadTokenRange { start, end } => write!(
                f,
                "the tokenizer returned a token that ends (byte {end}) before it starts \
                 (byte {start}) — this is a bug in rubric; please report it together with \
                 this document"
            ),
            ErrorKind::Usage(what) => f.write_str(what),
            ErrorKind::Diff(err) => write!(f, "{err}"),
            ErrorKind::OutputIsDirectory => f.write_str(
                "is a directory — name a file to write (brat output alone is a directory)",
            ),
            ErrorKind::DuplicateId { id } => write!(
                f,
                "the document id {id:?} was used before — ids should be unique, or readers that \
                 pair documents by id (rubric diff, Prodigy) will mix them up; fix the input"
            ),
            ErrorKind::OutputIsInput { input, relation } => write!(
                f,
                "the output {relation} {input:?} — rubric never overwrites its input or reads \
                 back its own output; write it elsewhere"
            ),
            ErrorKind::OutputsCollide { other } => write!(
                f,
                "this output is the same file as the output {other:?}, or one holds the other — \
                 one would overwrite the other; give each output its own path"
            ),
            ErrorKind::OutputNotWritable => f.write_str(
                "is not a file rubric can write (a block device or a socket) — name a regular \
                 file, a FIFO, or a character device such as /dev/null",
            ),
            ErrorKind::CreateOutput(err) => write!(
                f,
                "cannot create the output file: {} — check that its directory exists and is \
                 writable",
                io_reason(err)
            ),
            ErrorKind::Write(err) => {
                let hint = match err.kind() {
                    io::ErrorKind::StorageFull | io::ErrorKind::FileTooLarge => {
                        "free some space, or write somewhere else"
                    }
                    _ => "check where it goes",
                };
                write!(f, "cannot write the output: {} — {hint}", io_reason(err))
            }
            ErrorKind::Exporter(err) => write!(f, "{err}"),
            ErrorKind::Gazetteer(err) => write!(f, "{err}"),
            ErrorKind::Internal(what) => write!(
                f,
                "internal error: {what} — this is a bug in rubric; please report it with the \
                 command you ran"
            ),
            // A compiled gazetteer is only checksummed, not proven sound, so one
            // edited by hand (checksum recomputed) is the likeliest outside cause.
            ErrorKind::Panic(what) => write!(
                f,
                "internal error: {what} — if you pass a compiled gazetteer (.rgz) that was \
                 edited or comes from elsewhere, compile it again from its sources; otherwise \
                 this is a bug in rubric, please report it with the command you ran"
            ),
        }
    }
}

impl std::error::Error for Error {}
