//! CoNLL column format: one token per line with its tag, a blank line after each
//! sentence, `-DOCSTART- O` before each document.

use std::fmt;
use std::io::{BufRead, Write};
use std::str::FromStr;

use rubric_tokenizer::Tokenizer;
use serde_json::Map;

use crate::align::{
    align, decode, sentence_starts, tokens_for, AlignmentReport, Misaligned, Position, TokenSpan,
};
use crate::error::{Error, ErrorKind, Location};
use crate::record::{Record, RecordToken, SpanInput};

/// A tagging scheme for token-based formats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `B-` on an entity's first token, `I-` on the others. The default.
    #[default]
    Iob2,
    /// `I-` on every entity token; `B-` only on the first token of an entity that
    /// directly follows another entity of the same label (CoNLL-2003's original).
    Iob1,
    /// `B-`, `I-`, `E-` (end) and `S-` (single-token entity).
    Bioes,
    /// BIOES with `L-` (last) for `E-` and `U-` (unit) for `S-`.
    Bilou,
}

impl Scheme {
    /// The name used on the command line: `iob2`, `iob1`, `bioes`, `bilou`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Iob2 => "iob2",
            Scheme::Iob1 => "iob1",
            Scheme::Bioes => "bioes",
            Scheme::Bilou => "bilou",
        }
    }

    /// The tags of `len` tokens carrying `spans` (in order, not overlapping).
    pub(crate) fn tags(self, len: usize, spans: &[TokenSpan]) -> Vec<String> {
        let mut tags = vec!["O".to_string(); len];
        let mut previous: Option<&TokenSpan> = None;
        for span in spans {
            let label = &span.label;
            let single = span.first == span.last;
            let (begin, inside, end, unit) = match self {
                Scheme::Iob2 => ("B", "I", "I", "B"),
                Scheme::Iob1 => {
                    let glued =
                        previous.is_some_and(|p| p.last + 1 == span.first && p.label == span.label);
                    let begin = if glued { "B" } else { "I" };
                    (begin, "I", "I", begin)
                }
                Scheme::Bioes => ("B", "I", "E", "S"),
                Scheme::Bilou => ("B", "I", "L", "U"),
            };
            for (i, tag) in tags.iter_mut().enumerate().take(span.last + 1).skip(span.first) {
                let prefix = if single {
                    unit
                } else if i == span.first {
                    begin
                } else if i == span.last {
                    end
                } else {
                    inside
                };
                *tag = format!("{prefix}-{label}");
            }
            previous = Some(span);
        }
        tags
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "iob2" | "bio" => Ok(Scheme::Iob2),
            "iob1" | "iob" => Ok(Scheme::Iob1),
            "bioes" | "iobes" => Ok(Scheme::Bioes),
            "bilou" => Ok(Scheme::Bilou),
            other => Err(format!("unknown scheme {other:?}: expected iob2, iob1, bioes or bilou")),
        }
    }
}

/// Parses a tag: `O`, or a position letter, `-` and a label.
pub(crate) fn parse_tag(tag: &str) -> Option<(Position, &str)> {
    if tag == "O" {
        return Some((Position::Outside, ""));
    }
    let (prefix, label) = tag.split_once('-')?;
    let position = match prefix {
        "B" => Position::Begin,
        "I" => Position::Inside,
        "E" | "L" => Position::End,
        "S" | "U" => Position::Single,
        _ => return None,
    };
    (!label.is_empty()).then_some((position, label))
}

/// Writes records as CoNLL: `token TAG` per line, separated by one space.
///
/// ```text
/// -DOCSTART- O
///
/// US B-GPE
/// President O
/// Joe B-PERSON
/// Biden I-PERSON
/// ...
/// ```
///
/// Every document starts with `-DOCSTART- O` and a blank line; every sentence (as
/// the tokenizer splits them; never inside a span) ends with a blank line. White-space tokens (line
/// breaks, runs of spaces) are not written: CoNLL has no way to hold them, so the
/// text's exact spacing and the document ids are not kept (reading gives tokens
/// joined by single spaces, sentences by line breaks). Spans must start and end on
/// written tokens and must not share one; see [`Misaligned`].
#[derive(Debug)]
pub struct ConllWriter<W: Write> {
    out: W,
    scheme: Scheme,
    policy: Misaligned,
    tokenizer: Tokenizer,
    report: AlignmentReport,
}

impl<W: Write> ConllWriter<W> {
    /// A writer with the given scheme and misalignment policy.
    pub fn new(out: W, scheme: Scheme, policy: Misaligned) -> Self {
        ConllWriter { out, scheme, policy, tokenizer: Tokenizer::new(), report: Default::default() }
    }

    /// Writes one document.
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        let record = &*tokens_for(record, &self.tokenizer, &mut self.report)?;
        let aligned = align(record, self.policy, true, "CoNLL", &mut self.report)?;
        let text = record.text();
        let all = record.tokens();
        for &i in &aligned.tokens {
            check_token(record, i)?;
            check_column_token(record, i)?;
        }
        let tags = self.scheme.tags(aligned.tokens.len(), &aligned.spans);
        let starts = sentence_starts(record, &self.tokenizer, &aligned);
        let mut starts = starts.iter().peekable();
        let mut out = String::from("-DOCSTART- O\n\n");
        for (written, &i) in aligned.tokens.iter().enumerate() {
            let mut new_sentence = false;
            while starts.peek().is_some_and(|&&start| start <= i) {
                starts.next();
                new_sentence = true;
            }
            if new_sentence && written > 0 {
                out.push('\n');
            }
            out.push_str(all[i].text(text));
            out.push(' ');
            out.push_str(&tags[written]);
            out.push('\n');
        }
        if !aligned.tokens.is_empty() {
            out.push('\n');
        }
        self.out.write_all(out.as_bytes()).map_err(Error::io)
    }

    /// What the misalignment policy did so far.
    pub fn report(&self) -> AlignmentReport {
        self.report
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W, Error> {
        self.out.flush().map_err(Error::io)?;
        Ok(self.out)
    }
}

/// Refuses a token that would break a column format (one with white space inside).
pub(crate) fn check_token(record: &Record, index: usize) -> Result<(), Error> {
    let token = record.tokens()[index].text(record.text());
    if token.contains(char::is_whitespace) {
        return Err(Error::new(ErrorKind::BadToken {
            document: record.id().to_string(),
            index,
            problem: format!("{token:?} contains white space, which a column format cannot hold"),
        }));
    }
    Ok(())
}

/// Refuses a token that a CoNLL reader would read back as something else: one
/// that starts a line as `-DOCSTART-` does (a document start), or with a
/// byte-order mark (stripped from line starts).
fn check_column_token(record: &Record, index: usize) -> Result<(), Error> {
    let token = record.tokens()[index].text(record.text());
    let problem = if token.starts_with("-DOCSTART-") {
        "starts with -DOCSTART-, which a CoNLL file reads as the start of a document"
    } else if token.starts_with('\u{feff}') {
        "starts with a byte-order mark (U+FEFF), which readers strip from a line's start"
    } else {
        return Ok(());
    };
    Err(Error::new(ErrorKind::BadToken {
        document: record.id().to_string(),
        index,
        problem: format!("{token:?} {problem}: a CoNLL file cannot hold it"),
    }))
}

/// Reads CoNLL column files: the first column is the token, the last the tag, in
/// any of the schemes (IOB1, IOB2, BIOES, BILOU; decoded as seqeval does).
///
/// A `-DOCSTART-` line starts a document (id `<source>:<line>`); a file without
/// one is one document. A blank line ends a sentence. The text is rebuilt from the
/// tokens: joined by single spaces within a sentence, by a line break between
/// sentences. Each span's `source` is `<source>:<line>` of its first token.
#[derive(Debug)]
pub struct ConllReader<R> {
    source: String,
    reader: R,
    line_number: u64,
    buffer: Vec<u8>,
    /// The document being read: its first line, tokens (text, line, tag) and
    /// sentence ends (token counts).
    document: Option<PendingDocument>,
    /// The first line of the document last returned.
    last_document_line: u64,
    done: bool,
}

#[derive(Debug, Default)]
struct PendingDocument {
    line: u64,
    tokens: Vec<(String, u64, String)>,
    sentence_ends: Vec<usize>,
}

impl<R: BufRead> ConllReader<R> {
    /// Reads from `reader`; `source` names it in ids and errors.
    pub fn new(source: impl Into<String>, reader: R) -> Self {
        ConllReader {
            source: source.into(),
            reader,
            line_number: 0,
            buffer: Vec::new(),
            document: None,
            last_document_line: 0,
            done: false,
        }
    }

    /// Where the document last returned starts (`<source>:<line>`), for errors a
    /// writer raises about it later.
    pub fn location(&self) -> Location {
        Location::line(&self.source, self.last_document_line)
    }

    fn finish_document(&mut self, document: PendingDocument) -> Result<Record, Error> {
        self.last_document_line = document.line;
        let mut text = String::new();
        let mut tokens = Vec::new();
        let mut tags = Vec::new();
        let mut token_lines = Vec::new();
        let mut ends = document.sentence_ends.iter().peekable();
        for (i, (token, line, tag)) in document.tokens.iter().enumerate() {
            if i > 0 {
                if ends.peek().is_some_and(|&&end| end == i) {
                    ends.next();
                    let start = text.len();
                    text.push('\n');
                    tokens.push(RecordToken { start, end: text.len(), ws: false });
                } else {
                    text.push(' ');
                    if let Some(previous) = tokens.last_mut() {
                        previous.ws = true;
                    }
                }
            }
            let start = text.len();
            text.push_str(token);
            tokens.push(RecordToken { start, end: text.len(), ws: false });
            let position = parse_tag(tag).ok_or_else(|| {
                Error::syntax(
                    Location::line(&self.source, *line),
                    format!(
                        "{tag:?} is not a tag — tags are O or B-, I-, E-, S-, L-, U- followed \
                         by a label, in the last column"
                    ),
                )
            })?;
            tags.push(position);
            token_lines.push((tokens.len() - 1, *line));
        }
        // Entities do not cross sentences: decode each sentence on its own.
        let mut spans = Vec::new();
        let mut start = 0;
        let bounds = document.sentence_ends.iter().copied().chain([document.tokens.len()]);
        for end in bounds {
            if end <= start {
                continue;
            }
            for (first, last, label) in decode(&tags[start..end]) {
                let (first_token, line) = token_lines[start + first];
                let (last_token, _) = token_lines[start + last];
                spans.push(
                    SpanInput::new(tokens[first_token].start, tokens[last_token].end, label)
                        .source(format!("{}:{line}", self.source)),
                );
            }
            start = end;
        }
        let id = format!("{}:{}", self.source, document.line);
        Record::from_parts(id, text, tokens, spans, Map::new())
            .map_err(|err| err.or_at(|| Location::line(&self.source, document.line)))
    }

    /// Reads lines until a document is complete.
    fn read_document(&mut self) -> Result<Option<Record>, Error> {
        while !self.done {
            self.buffer.clear();
            let read = self.reader.read_until(b'\n', &mut self.buffer).map_err(|err| {
                Error::at(Location::line(&self.source, self.line_number + 1), ErrorKind::Io(err))
            })?;
            if read == 0 {
                self.done = true;
                break;
            }
            self.line_number += 1;
            let number = self.line_number;
            let line = std::str::from_utf8(&self.buffer).map_err(|err| {
                Error::at(
                    Location::column(&self.source, number, err.valid_up_to() as u64 + 1),
                    ErrorKind::Syntax {
                        message: "invalid UTF-8 — rubric reads UTF-8 only; convert the input \
                                  first, e.g. `iconv -f WINDOWS-1252 -t UTF-8`"
                            .to_string(),
                    },
                )
            })?;
            let line = line.trim_start_matches('\u{feff}').trim_end_matches(['\n', '\r']);
            // Lines end in LF or CRLF; a carriage return left inside is a file
            // whose lines end in CR alone, which read as one line would give
            // its first token the last line's tag, and lose the rest.
            if let Some(at) = line.find('\r') {
                let column = line[..at].chars().count() as u64 + 1;
                return Err(Error::syntax(
                    Location::column(&self.source, number, column),
                    "a carriage return inside the line: its lines seem to end in CR alone — \
                     rubric reads LF or CRLF line ends; convert it first, e.g. `tr '\\r' '\\n'`"
                        .to_string(),
                ));
            }
            // Indented too: the columns below are split after leading white space,
            // so an indented `-DOCSTART-` would otherwise become a token that the
            // writer puts back unindented, where it starts a document (fuzz find).
            if line.trim_start().starts_with("-DOCSTART-") {
                let finished =
                    self.document.replace(PendingDocument { line: number, ..Default::default() });
                if let Some(document) = finished {
                    return self.finish_document(document).map(Some);
                }
                continue;
            }
            if line.trim().is_empty() {
                if let Some(document) = &mut self.document {
                    let count = document.tokens.len();
                    if document.sentence_ends.last() != Some(&count) && count > 0 {
                        document.sentence_ends.push(count);
                    }
                }
                continue;
            }
            let columns: Vec<&str> = line.split_whitespace().collect();
            let (Some(token), Some(tag), true) =
                (columns.first(), columns.last(), columns.len() >= 2)
            else {
                return Err(Error::syntax(
                    Location::line(&self.source, number),
                    format!(
                        "{line:?} has one column — each line must hold a token and its tag, \
                         separated by white space"
                    ),
                ));
            };
            let document = self
                .document
                .get_or_insert_with(|| PendingDocument { line: number, ..Default::default() });
            document.tokens.push((token.to_string(), number, tag.to_string()));
        }
        match self.document.take() {
            Some(document) => self.finish_document(document).map(Some),
            None => Ok(None),
        }
    }
}

impl<R: BufRead> Iterator for ConllReader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done && self.document.is_none() {
            return None;
        }
        match self.read_document() {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => None,
            Err(err) => {
                self.done = true;
                self.document = None;
                Some(Err(err))
            }
        }
    }
}
