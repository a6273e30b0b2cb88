//! Why two sets of annotations could not be compared.

use rubric_offsets::OffsetError;

/// What went wrong, with everything needed to find it: the input's name, the
/// document's id, and a byte or line/column position.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A document id occurs twice in one input, so pairing by id is ambiguous.
    #[error(
        "{input}: document id {id:?} occurs more than once — ids must be unique within an \
         input, since documents are paired by id"
    )]
    DuplicateId {
        /// The input's name.
        input: String,
        /// The repeated id.
        id: String,
    },
    /// A document is in one input and not in the other.
    #[error(
        "document {id:?} is in {present_in} but not in {missing_from}{others} — compare the \
         same documents, or pass --allow-missing to count its spans as {counted}"
    )]
    MissingDocument {
        /// The id.
        id: String,
        /// The input that has it.
        present_in: String,
        /// The input that does not.
        missing_from: String,
        /// ` (and N more)` when other documents are missing too, else empty.
        others: String,
        /// `missed` or `spurious`: what `--allow-missing` would count its spans as.
        counted: &'static str,
    },
    /// Both inputs have the document, with different texts; offsets cannot be
    /// compared across different texts.
    #[error(
        "document {id:?}: the text in {gold} and in {prediction} differ, first at line {line}, \
         column {column} (byte {byte_offset}) — annotate the same text on both sides, or pass \
         --allow-missing to count its spans as missed and spurious"
    )]
    TextDiffers {
        /// The id.
        id: String,
        /// The gold input's name.
        gold: String,
        /// The prediction input's name.
        prediction: String,
        /// Byte offset of the first difference.
        byte_offset: usize,
        /// 1-based line of the first difference.
        line: usize,
        /// 1-based column (in code points) of the first difference.
        column: usize,
    },
    /// A span's offsets do not cut the text (out of range, inside a character, or
    /// empty).
    #[error(
        "{input}: document {id:?}: span {start}..{end} ({label}) {problem} — spans are \
         non-empty byte ranges on character boundaries of the text"
    )]
    BadSpan {
        /// The input's name.
        input: String,
        /// The document id.
        id: String,
        /// Byte start.
        start: usize,
        /// Byte end.
        end: usize,
        /// The label.
        label: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The minimum overlap is outside nervaluate's range.
    #[error(
        "the minimum overlap must be between 1 and 100 percent of the gold span, not \
         {value} — nervaluate accepts the same range"
    )]
    MinOverlap {
        /// The value given.
        value: f64,
    },
    /// Agreement needs at least two inputs.
    #[error("agreement needs at least two inputs, got {count} — name one more input")]
    TooFewInputs {
        /// How many were given.
        count: usize,
    },
}

impl ErrorKind {
    /// The kind's stable name, its variant in snake case (`missing_label`): what
    /// error reports and the Python exceptions' `kind` say. Named here once, so
    /// no caller derives it (from `Debug` or otherwise).
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::DuplicateId { .. } => "duplicate_id",
            ErrorKind::MissingDocument { .. } => "missing_document",
            ErrorKind::TextDiffers { .. } => "text_differs",
            ErrorKind::BadSpan { .. } => "bad_span",
            ErrorKind::MinOverlap { .. } => "min_overlap",
            ErrorKind::TooFewInputs { .. } => "too_few_inputs",
        }
    }
}

/// An error from [`Differ`](crate::Differ): an [`ErrorKind`] whose message says
/// what to do next.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
}

impl Error {
    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub(crate) fn bad_offset(
        input: &str,
        id: &str,
        span: &crate::Span,
        error: &OffsetError,
    ) -> Error {
        Error::from(ErrorKind::BadSpan {
            input: input.to_string(),
            id: id.to_string(),
            start: span.start,
            end: span.end,
            label: span.label.clone(),
            problem: error.to_string(),
        })
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error { kind }
    }
}
