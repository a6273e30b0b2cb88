//! What can go wrong building an annotator or annotating a document, as data:
//! the front ends (the command line, Python) word the option names themselves
//! from the fields, and name the kind with [`ErrorKind::name`].

use std::fmt;

use rubric_offsets::OffsetError;

/// An error of [`crate::AnnotatorBuilder::build`] or [`crate::Annotator::annotate`].
#[derive(Debug)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
}

/// The kinds of [`Error`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A gazetteer could not be read or built; it names its file and line.
    Gazetteer(Box<rubric_gazetteer::Error>),
    /// The record could not be built (the exporter's invariants refused it).
    Record(Box<rubric_exporter::Error>),
    /// An offset of the explain trace could not be converted to the unit.
    Offset(OffsetError),
    /// Neither the default gazetteer nor any other: nothing to match.
    NoGazetteer,
    /// An empty label in the label list (`PERSON,,ORG`).
    EmptyLabel {
        /// The label as given (empty or blank).
        label: String,
        /// The labels the gazetteers have, sorted.
        known: Vec<String>,
    },
    /// A label no gazetteer has: it would keep no span.
    UnknownLabel {
        /// The label as given.
        label: String,
        /// A known label equal to it but for ASCII case, if any.
        same_but_case: Option<String>,
        /// The labels the gazetteers have, sorted.
        known: Vec<String>,
    },
    /// Rule selectors that name no rule of the gazetteers: a misspelt rule name
    /// would select nothing silently.
    UnknownRule {
        /// The selectors that name nothing, in the order given.
        selectors: Vec<String>,
        /// The rule names the gazetteers have, in file order.
        known: Vec<String>,
    },
}

impl ErrorKind {
    /// The kind's stable name (snake_case): what the CLI's JSON errors and the
    /// Python exceptions' `kind` say.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Gazetteer(_) => "gazetteer",
            ErrorKind::Record(_) => "record",
            ErrorKind::Offset(_) => "offset",
            ErrorKind::NoGazetteer => "no_gazetteer",
            ErrorKind::EmptyLabel { .. } => "empty_label",
            ErrorKind::UnknownLabel { .. } => "unknown_label",
            ErrorKind::UnknownRule { .. } => "unknown_rule",
        }
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error { kind }
    }
}

/// `"A", "B"`: names quoted and listed, for messages.
pub fn quoted_list(names: &[String]) -> String {
    names.iter().map(|name| format!("{name:?}")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Gazetteer(err) => err.fmt(f),
            ErrorKind::Record(err) => err.fmt(f),
            ErrorKind::Offset(err) => err.fmt(f),
            ErrorKind::NoGazetteer => f.write_str(
                "no gazetteer to match: use the default gazetteer or give at least one other",
            ),
            ErrorKind::EmptyLabel { label, known } => write!(
                f,
                "an empty label {label:?} — list labels such as PERSON, ORG; the gazetteers \
                 have {}",
                quoted_list(known)
            ),
            ErrorKind::UnknownLabel { label, same_but_case, known } => {
                write!(f, "no gazetteer has the label {label:?}, so it would keep no span — ")?;
                if let Some(known) = same_but_case {
                    write!(f, "labels are case-sensitive: did you mean {known:?}? ")?;
                }
                write!(f, "the gazetteers have {}", quoted_list(known))
            }
            ErrorKind::UnknownRule { selectors, known } => {
                let known = if known.is_empty() {
                    "the gazetteers have no named rules".to_string()
                } else {
                    format!("the gazetteers' rules are {}", quoted_list(known))
                };
                write!(
                    f,
                    "{} no rule of the gazetteers, so it would select nothing — a selector is \
                     a rule name or a prefix ending in `:` or `*` (`person:`); {known}",
                    match selectors.as_slice() {
                        [one] => format!("{one:?} names"),
                        many => format!("{} name", quoted_list(many)),
                    }
                )
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Gazetteer(err) => Some(err.as_ref()),
            ErrorKind::Record(err) => Some(err.as_ref()),
            ErrorKind::Offset(err) => Some(err),
            _ => None,
        }
    }
}

impl From<rubric_exporter::Error> for Error {
    fn from(err: rubric_exporter::Error) -> Self {
        Error::new(ErrorKind::Record(Box::new(err)))
    }
}

impl From<rubric_gazetteer::Error> for Error {
    fn from(err: rubric_gazetteer::Error) -> Self {
        Error::new(ErrorKind::Gazetteer(Box::new(err)))
    }
}

impl From<OffsetError> for Error {
    fn from(err: OffsetError) -> Self {
        Error::new(ErrorKind::Offset(err))
    }
}
