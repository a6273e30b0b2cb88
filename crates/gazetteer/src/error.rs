//! Errors as data: what went wrong ([`ErrorKind`]), where (file and line), and, in
//! the message, what to do about it.

use std::fmt;
use std::io;

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A source file could not be opened or read.
    Read(io::Error),
    /// A source's name does not say what it holds.
    UnknownFormat {
        /// The extension it has, if any.
        extension: Option<String>,
    },
    /// A source holds no entry, token pattern or lexicon: named by mistake (the
    /// wrong file, a file still being written), it would add no span, silently.
    EmptySource,
    /// A source is not valid UTF-8.
    InvalidUtf8,
    /// A line starts with a byte-order mark (U+FEFF) that is not the file's
    /// first: a second mark at the start, or files joined with their marks.
    ByteOrderMark,
    /// A TSV line has no label column.
    MissingLabel,
    /// A TSV line has more columns than `pattern label id priority case`.
    TooManyColumns {
        /// How many it has.
        found: usize,
    },
    /// A label is empty or contains whitespace.
    BadLabel {
        /// The label as written.
        label: String,
    },
    /// A label is not in the label set the gazetteer was built with.
    UnknownLabel {
        /// The label as written.
        label: String,
        /// The labels allowed.
        known: Vec<String>,
    },
    /// The priority column is not an integer.
    BadPriority {
        /// The value as written.
        value: String,
    },
    /// The priority is an integer outside the range a priority can hold (a 32-bit
    /// signed integer).
    PriorityOutOfRange {
        /// The value as written.
        value: String,
    },
    /// Compiled gazetteers merged into one were built with different settings
    /// (one folds diacritics, another does not), and no setting was asked for.
    IncompatibleSettings {
        /// The file that folds diacritics.
        folding: String,
        /// The file that does not.
        not_folding: String,
    },
    /// The case column is not `smart`, `sensitive` or `insensitive`.
    BadCasePolicy {
        /// The value as written.
        value: String,
    },
    /// A pattern is empty, or only whitespace or punctuation: it would match
    /// nothing useful, or everything.
    EmptyPattern {
        /// The pattern as written.
        pattern: String,
    },
    /// A token pattern is an empty list: it has no token to match.
    EmptyTokenPattern,
    /// A JSONL line is not valid JSON.
    MalformedJson {
        /// serde_json's description.
        message: String,
    },
    /// A JSONL pattern record is valid JSON but not of the EntityRuler shape.
    BadPatternRecord {
        /// What is wrong with it.
        problem: String,
    },
    /// A token pattern uses an attribute that needs a trained pipeline (`POS`,
    /// `TAG`, `MORPH`, `LEMMA`, `DEP`, `ENT_*`, `_`, ...).
    UnsupportedTokenAttribute {
        /// The attribute.
        attribute: String,
    },
    /// A token pattern uses an attribute spaCy's Matcher does not know.
    UnknownTokenAttribute {
        /// The 1-based position of the token in the pattern.
        token: usize,
        /// The attribute.
        attribute: String,
    },
    /// A token pattern's value or predicate is not what its attribute takes.
    BadTokenValue {
        /// The 1-based position of the token in the pattern.
        token: usize,
        /// The attribute, if the problem is with one.
        attribute: Option<String>,
        /// What is wrong.
        problem: String,
    },
    /// A token pattern's `OP` is not one of spaCy's operators.
    BadOperator {
        /// The 1-based position of the token in the pattern.
        token: usize,
        /// The operator as written.
        op: String,
    },
    /// A `REGEX` predicate does not compile.
    BadRegex {
        /// The 1-based position of the token in the pattern.
        token: usize,
        /// The attribute.
        attribute: String,
        /// The regex crate's message.
        message: String,
    },
    /// A token pattern (or its span, without the context tokens) can match the
    /// empty sequence: every token is optional.
    MatchesEmpty {
        /// `pattern` or `span`.
        part: &'static str,
    },
    /// A token pattern is malformed as a whole (context tokens in the middle, ...).
    BadTokenPattern {
        /// What is wrong.
        problem: String,
    },
    /// A pattern names a lexicon no source declares.
    UnknownLexicon {
        /// The name.
        name: String,
        /// The lexicons declared.
        known: Vec<String>,
    },
    /// Two sources declare one lexicon name with different words.
    DuplicateLexicon {
        /// The name.
        name: String,
        /// The first declaration.
        first: crate::entry::Origin,
    },
    /// A lexicon declaration is malformed.
    BadLexicon {
        /// What is wrong.
        problem: String,
    },
    /// A lexicon's word list cannot be read.
    LexiconRead {
        /// The word list's path.
        path: String,
        /// The error.
        err: io::Error,
    },
    /// A file is not a compiled gazetteer (its magic bytes are wrong).
    NotCompiled,
    /// A compiled gazetteer was written by an incompatible version of rubric.
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
        /// The version this rubric reads.
        supported: u32,
    },
    /// A compiled gazetteer ends early.
    Truncated,
    /// A compiled gazetteer's checksum does not match its contents.
    ChecksumMismatch,
    /// A compiled gazetteer passed its checksum but its contents do not make sense.
    Corrupt {
        /// What is wrong.
        what: String,
    },
    /// More entries or text than the compiled format can hold (4 Gi).
    TooLarge,
    /// The matching automaton could not be built.
    Engine {
        /// The engine's message.
        message: String,
    },
    /// Writing a compiled gazetteer failed.
    Write(io::Error),
    /// A token handed to [`crate::Matcher::try_find`] does not fit the text: empty,
    /// past its end or not on character boundaries (tokens of another text).
    TokenOutsideText {
        /// The token's index in the slice.
        index: usize,
        /// Its byte offsets.
        start: usize,
        /// Its end (exclusive).
        end: usize,
        /// The text's length in bytes.
        text_len: usize,
    },
}

impl ErrorKind {
    /// The kind's stable name, its variant in snake case (`missing_label`): what
    /// error reports and the Python exceptions' `kind` say. Named here once, so
    /// no caller derives it (from `Debug` or otherwise).
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Read(..) => "read",
            ErrorKind::UnknownFormat { .. } => "unknown_format",
            ErrorKind::InvalidUtf8 => "invalid_utf8",
            ErrorKind::ByteOrderMark => "byte_order_mark",
            ErrorKind::EmptySource => "empty_source",
            ErrorKind::MissingLabel => "missing_label",
            ErrorKind::TooManyColumns { .. } => "too_many_columns",
            ErrorKind::BadLabel { .. } => "bad_label",
            ErrorKind::UnknownLabel { .. } => "unknown_label",
            ErrorKind::BadPriority { .. } => "bad_priority",
            ErrorKind::PriorityOutOfRange { .. } => "priority_out_of_range",
            ErrorKind::IncompatibleSettings { .. } => "incompatible_settings",
            ErrorKind::BadCasePolicy { .. } => "bad_case_policy",
            ErrorKind::EmptyPattern { .. } | ErrorKind::EmptyTokenPattern => "empty_pattern",
            ErrorKind::MalformedJson { .. } => "malformed_json",
            ErrorKind::BadPatternRecord { .. } => "bad_pattern_record",
            ErrorKind::UnsupportedTokenAttribute { .. } => "unsupported_token_attribute",
            ErrorKind::UnknownTokenAttribute { .. } => "unknown_token_attribute",
            ErrorKind::BadTokenValue { .. } => "bad_token_value",
            ErrorKind::BadOperator { .. } => "bad_operator",
            ErrorKind::BadRegex { .. } => "bad_regex",
            ErrorKind::MatchesEmpty { .. } => "matches_empty",
            ErrorKind::BadTokenPattern { .. } => "bad_token_pattern",
            ErrorKind::UnknownLexicon { .. } => "unknown_lexicon",
            ErrorKind::DuplicateLexicon { .. } => "duplicate_lexicon",
            ErrorKind::BadLexicon { .. } => "bad_lexicon",
            ErrorKind::LexiconRead { .. } => "lexicon_read",
            ErrorKind::NotCompiled => "not_compiled",
            ErrorKind::UnsupportedVersion { .. } => "unsupported_version",
            ErrorKind::Truncated => "truncated",
            ErrorKind::ChecksumMismatch => "checksum_mismatch",
            ErrorKind::Corrupt { .. } => "corrupt",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Engine { .. } => "engine",
            ErrorKind::Write(..) => "write",
            ErrorKind::TokenOutsideText { .. } => "token_outside_text",
        }
    }
}

/// An error, with the file and line it concerns when there is one.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    file: Option<String>,
    line: Option<u64>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error { kind, file: None, line: None }
    }

    /// An error about a whole file (no line): `kind` in `file`.
    pub fn in_file(kind: ErrorKind, file: impl Into<String>) -> Self {
        Error { kind, file: Some(file.into()), line: None }
    }

    pub(crate) fn at(kind: ErrorKind, file: impl Into<String>, line: u64) -> Self {
        Error { kind, file: Some(file.into()), line: Some(line) }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The file concerned, as the user named it.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// What went wrong, by value.
    pub fn into_kind(self) -> ErrorKind {
        self.kind
    }

    /// The 1-based line concerned.
    pub fn line(&self) -> Option<u64> {
        self.line
    }
}

fn io_reason(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => err.to_string(),
    }
}

const TSV_SHAPE: &str = "each line is `pattern<TAB>label[<TAB>id[<TAB>priority[<TAB>case]]]`";

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            f.write_str(file)?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            f.write_str(": ")?;
        }
        match &self.kind {
            ErrorKind::Read(err) => {
                write!(f, "cannot read: {} — check the path and permissions", io_reason(err))
            }
            ErrorKind::EmptySource => f.write_str(
                "the gazetteer holds no entry (only blank lines and comments, or nothing) — \
                 check that it is the file you meant; a gazetteer that names nothing adds no \
                 span",
            ),
            ErrorKind::UnknownFormat { extension } => {
                match extension {
                    Some(ext) => write!(f, "unknown gazetteer format `.{ext}`")?,
                    None => f.write_str("unknown gazetteer format (the name has no extension)")?,
                }
                f.write_str(
                    " — name TSV sources `*.tsv` or `*.txt`, spaCy EntityRuler patterns \
                     `*.jsonl`, and compiled gazetteers `*.rgz`",
                )
            }
            ErrorKind::ByteOrderMark => f.write_str(
                "the line starts with a byte-order mark (U+FEFF), which would become part \
                 of its first pattern and keep it from ever matching (a second mark at the \
                 file's start, or files joined with their marks) — remove it",
            ),
            ErrorKind::InvalidUtf8 => f.write_str(
                "invalid UTF-8 — gazetteer sources must be UTF-8; convert the file first, \
                 e.g. `iconv -f WINDOWS-1252 -t UTF-8`",
            ),
            ErrorKind::MissingLabel => write!(f, "no label column — {TSV_SHAPE}"),
            ErrorKind::TooManyColumns { found } => {
                write!(f, "{found} columns, at most 5 allowed — {TSV_SHAPE}")
            }
            ErrorKind::BadLabel { label } => write!(
                f,
                "bad label {label:?} — a label is one word without spaces or control \
                 characters, such as PERSON, ORG or GPE"
            ),
            ErrorKind::UnknownLabel { label, known } => write!(
                f,
                "unknown label {label:?} — allowed labels are {}; fix the label or widen \
                 the label set",
                known.join(", ")
            ),
            ErrorKind::BadPriority { value } => write!(
                f,
                "priority {value:?} is not an integer — write a whole number such as 0, 10 \
                 or -5, or leave the column empty"
            ),
            ErrorKind::PriorityOutOfRange { value } => write!(
                f,
                "priority {value} is out of range — a priority is a whole number from \
                 -2147483648 to 2147483647; use a smaller one"
            ),
            ErrorKind::IncompatibleSettings { folding, not_folding } => write!(
                f,
                "{folding:?} folds diacritics and {not_folding:?} does not — merged, one of \
                 them would change how it matches; pass --diacritics to fold in both, or \
                 compile them separately and pass both with -g"
            ),
            ErrorKind::BadCasePolicy { value } => write!(
                f,
                "case policy {value:?} is unknown — use `smart`, `sensitive` or \
                 `insensitive`, or leave the column empty"
            ),
            ErrorKind::EmptyPattern { pattern } => write!(
                f,
                "pattern {pattern:?} has no letter or digit — remove the line; an empty or \
                 punctuation-only pattern cannot name an entity"
            ),
            ErrorKind::EmptyTokenPattern => write!(
                f,
                "the token pattern [] has no token — give it at least one token's \
                 attributes, like [{{\"LOWER\": \"acme\"}}], or remove the line"
            ),
            ErrorKind::MalformedJson { message } => write!(
                f,
                "malformed JSON: {message} — each line must be one pattern object like \
                 {{\"label\": \"ORG\", \"pattern\": \"Hamas\"}}"
            ),
            ErrorKind::BadPatternRecord { problem } => write!(
                f,
                "{problem} — each line must be one pattern object like \
                 {{\"label\": \"ORG\", \"pattern\": \"Hamas\", \"id\": \"Q38799\"}}"
            ),
            ErrorKind::UnsupportedTokenAttribute { attribute } => write!(
                f,
                "token attribute {attribute:?} needs a trained pipeline, which rubric does not \
                 run (rubric_ruler does not support it either) — keep this pattern in spaCy's \
                 EntityRuler after a trained pipeline, or rewrite it with text attributes \
                 ({})",
                crate::pattern::SUPPORTED_ATTRIBUTES
            ),
            ErrorKind::UnknownTokenAttribute { token, attribute } => write!(
                f,
                "token {token}: unknown token attribute {attribute:?} — use one of {}",
                crate::pattern::SUPPORTED_ATTRIBUTES
            ),
            ErrorKind::BadTokenValue { token, attribute, problem } => {
                write!(f, "token {token}")?;
                if let Some(attribute) = attribute {
                    write!(f, ", {attribute}")?;
                }
                write!(
                    f,
                    ": {problem} — see the token pattern language in the rubric-gazetteer \
                     README"
                )
            }
            ErrorKind::BadOperator { token, op } => write!(
                f,
                "token {token}: unknown operator OP {op:?} — use !, ?, +, *, 1, {{n}}, {{n,m}}, \
                 {{n,}} or {{,m}} (n <= m <= 1000)"
            ),
            ErrorKind::BadRegex { token, attribute, message } => write!(
                f,
                "token {token}, {attribute}: the REGEX does not compile: {message} — rubric \
                 uses the Rust regex crate's syntax (no look-around or backreferences)"
            ),
            ErrorKind::MatchesEmpty { part } => write!(
                f,
                "the {part} can match no token at all (every token is optional) — make at \
                 least one token required (remove its ?, * or {{0,m}})"
            ),
            ErrorKind::BadTokenPattern { problem } => {
                write!(
                    f,
                    "{problem} — see the token pattern language in the rubric-gazetteer README"
                )
            }
            ErrorKind::UnknownLexicon { name, known } => {
                write!(f, "the pattern names lexicon {name:?}, which no source declares")?;
                if !known.is_empty() {
                    write!(f, " (declared: {})", known.join(", "))?;
                }
                write!(
                    f,
                    " — declare it in a patterns file with a line like \
                     {{\"lexicon\": {name:?}, \"path\": \"{name}.txt\"}}"
                )
            }
            ErrorKind::DuplicateLexicon { name, first } => write!(
                f,
                "lexicon {name:?} is already declared at {first} with other words — give one \
                 of them another name"
            ),
            ErrorKind::BadLexicon { problem } => write!(
                f,
                "bad lexicon declaration: {problem} — write {{\"lexicon\": NAME, \"path\": \
                 FILE}} or {{\"lexicon\": NAME, \"words\": [...]}}"
            ),
            ErrorKind::LexiconRead { path, err } => write!(
                f,
                "cannot read the lexicon's word list {path}: {} — the path is relative to \
                 the patterns file",
                io_reason(err)
            ),
            ErrorKind::NotCompiled => f.write_str(
                "not a compiled gazetteer — compile sources with `rubric gazetteer compile \
                 SRC... -o FILE`, or pass the TSV/JSONL source itself",
            ),
            ErrorKind::UnsupportedVersion { found, supported } => write!(
                f,
                "compiled gazetteer format version {found}, this rubric reads version \
                 {supported} — recompile it from its sources with this rubric"
            ),
            ErrorKind::Truncated => f.write_str(
                "compiled gazetteer is truncated — the file was cut short (an interrupted \
                 copy?); recompile it from its sources",
            ),
            ErrorKind::ChecksumMismatch => f.write_str(
                "compiled gazetteer checksum does not match — the file is corrupt; \
                 recompile it from its sources",
            ),
            ErrorKind::Corrupt { what } => {
                write!(f, "compiled gazetteer is corrupt ({what}) — recompile it from its sources")
            }
            ErrorKind::TooLarge => f.write_str(
                "the gazetteer is too large (over 4 Gi entries or bytes of text) — split it \
                 into several gazetteers",
            ),
            ErrorKind::Engine { message } => write!(
                f,
                "cannot build the matching automaton: {message} — split the gazetteer into \
                 several smaller ones"
            ),
            ErrorKind::Write(err) => {
                write!(f, "cannot write: {} — check the destination", io_reason(err))
            }
            ErrorKind::TokenOutsideText { index, start, end, text_len } => write!(
                f,
                "token {index} at bytes {start}..{end} does not fit the text ({text_len} bytes): \
                 it is empty, past the end or not on character boundaries — tokenize this \
                 text with rubric-tokenizer and pass its tokens"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Read(err) | ErrorKind::Write(err) | ErrorKind::LexiconRead { err, .. } => {
                Some(err)
            }
            _ => None,
        }
    }
}
