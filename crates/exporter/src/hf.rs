//! Hugging Face token classification JSONL: `{"id", "tokens", "ner_tags"}` per
//! document, with the label list beside it.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};

use rubric_tokenizer::Tokenizer;
use serde_json::{Map, Value};

use crate::align::{align, decode, tokens_for, AlignmentReport, Misaligned};
use crate::conll::{check_token, parse_tag, Scheme};
use crate::error::{Error, Location};
use crate::lines::{LineReader, Step};
use crate::record::{Record, RecordToken, SpanInput};

/// Writes records as Hugging Face token classification data: one line per
/// document, `{"id": "...", "tokens": ["US", "President", ...], "ner_tags": [1, 0,
/// ...]}`, where each tag is an index into the label list, an IOB2 list written as
/// a JSON array beside the data: `["O", "B-GPE", "I-GPE", "B-PERSON", ...]` (`O`
/// first, then each label's `B-` and `I-`, labels sorted).
///
/// As in CoNLL, white-space tokens are not written, and spans must fit the written
/// tokens (see [`Misaligned`]). The label list depends on every document, so the
/// writer keeps the documents until [`HfWriter::finish`].
#[derive(Debug, Default)]
pub struct HfWriter {
    policy: Misaligned,
    report: AlignmentReport,
    rows: Vec<(String, Vec<String>, Vec<String>)>,
    labels: BTreeSet<String>,
    /// For records without tokens.
    tokenizer: Tokenizer,
}

impl HfWriter {
    /// A writer with the given misalignment policy.
    pub fn new(policy: Misaligned) -> Self {
        HfWriter { policy, ..Default::default() }
    }

    /// Adds one document.
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        let record = &*tokens_for(record, &self.tokenizer, &mut self.report)?;
        let aligned = align(record, self.policy, true, "Hugging Face", &mut self.report)?;
        for &i in &aligned.tokens {
            check_token(record, i)?;
        }
        let tokens =
            aligned.tokens.iter().map(|&i| record.tokens()[i].text(record.text()).to_string());
        let tags = Scheme::Iob2.tags(aligned.tokens.len(), &aligned.spans);
        self.labels.extend(aligned.spans.iter().map(|span| span.label.to_string()));
        self.rows.push((record.id().to_string(), tokens.collect(), tags));
        Ok(())
    }

    /// What the misalignment policy did so far.
    pub fn report(&self) -> AlignmentReport {
        self.report
    }

    /// The label list of the documents so far.
    pub fn label_list(&self) -> Vec<String> {
        let mut list = vec!["O".to_string()];
        for label in &self.labels {
            list.push(format!("B-{label}"));
            list.push(format!("I-{label}"));
        }
        list
    }

    /// Writes the documents to `data` and the label list to `labels`.
    pub fn finish(self, mut data: impl Write, mut labels: impl Write) -> Result<(), Error> {
        let list = self.label_list();
        let index = |tag: &String| list.iter().position(|t| t == tag).unwrap_or(0);
        for (id, tokens, tags) in &self.rows {
            let mut line = String::from("{\"id\":");
            line.push_str(&Value::String(id.clone()).to_string());
            line.push_str(",\"tokens\":");
            line.push_str(&Value::from(tokens.clone()).to_string());
            line.push_str(",\"ner_tags\":");
            let ids: Vec<usize> = tags.iter().map(index).collect();
            line.push_str(&Value::from(ids).to_string());
            line.push_str("}\n");
            data.write_all(line.as_bytes()).map_err(Error::io)?;
        }
        data.flush().map_err(Error::io)?;
        let list = Value::from(list).to_string() + "\n";
        labels.write_all(list.as_bytes()).map_err(Error::io)?;
        labels.flush().map_err(Error::io)
    }
}

/// Reads Hugging Face token classification JSONL with its label list (`labels[i]`
/// is the tag of `ner_tags` value `i`, in any scheme). The text is the tokens
/// joined by single spaces; each span's `source` is `<source>:<line>`; a row's
/// other fields (`pos_tags`, `lang`...) go to `meta`; an `id` that is neither a
/// string nor a number is an error (a missing one is `<source>:<line>`).
#[derive(Debug)]
pub struct HfReader<R> {
    lines: LineReader<R>,
    labels: Vec<String>,
}

impl<R: BufRead> HfReader<R> {
    /// Reads from `reader` with the label list `labels`.
    pub fn new(source: impl Into<String>, reader: R, labels: Vec<String>) -> Self {
        HfReader { lines: LineReader::new(source, reader), labels }
    }

    /// Where the record last returned was read (`<source>:<line>`), for errors a
    /// writer raises about it later.
    pub fn location(&self) -> Location {
        self.lines.location()
    }
}

impl<R: BufRead> Iterator for HfReader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = match self.lines.next_object()? {
            Ok(line) => line,
            Err(err) => return Some(Err(err)),
        };
        let source = self.lines.source();
        let at = |path: &[Step<'_>]| line.at(source, path);
        let syntax = |path: &[Step<'_>], message: &str| Error::syntax(at(path), message);
        let id = match line.object.get("id") {
            Some(Value::String(id)) => id.clone(),
            Some(Value::Number(id)) => id.to_string(),
            None => format!("{source}:{}", line.number),
            Some(other) => {
                let found = crate::error::json_type_name(other);
                return Some(Err(syntax(
                    &[Step::Key("id")],
                    &format!("\"id\" must be a string or a number, not {found}"),
                )));
            }
        };
        let tokens: Option<Vec<&str>> = line
            .object
            .get("tokens")
            .and_then(Value::as_array)
            .and_then(|list| list.iter().map(Value::as_str).collect());
        let Some(tokens) = tokens else {
            return Some(Err(syntax(
                &[Step::Key("tokens")],
                "\"tokens\" must be an array of strings",
            )));
        };
        let tags: Option<Vec<usize>> =
            line.object.get("ner_tags").and_then(Value::as_array).and_then(|list| {
                list.iter().map(|v| v.as_u64().and_then(|n| usize::try_from(n).ok())).collect()
            });
        let Some(tags) = tags.filter(|tags| tags.len() == tokens.len()) else {
            return Some(Err(syntax(
                &[Step::Key("ner_tags")],
                "\"ner_tags\" must be an array of label indices, one per token",
            )));
        };
        let mut positions = Vec::with_capacity(tags.len());
        for (i, &tag) in tags.iter().enumerate() {
            let parsed = self.labels.get(tag).and_then(|tag| parse_tag(tag));
            let Some(parsed) = parsed else {
                return Some(Err(syntax(
                    &[Step::Key("ner_tags"), Step::Index(i)],
                    &format!(
                        "tag {tag} is not in the label list ({} labels) or is not O, B-X, I-X, \
                         ... — pass the label list the data was written with",
                        self.labels.len()
                    ),
                )));
            };
            positions.push(parsed);
        }
        let mut text = String::new();
        let mut record_tokens = Vec::with_capacity(tokens.len());
        for (i, token) in tokens.iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            let start = text.len();
            text.push_str(token);
            record_tokens.push(RecordToken { start, end: text.len(), ws: i + 1 < tokens.len() });
        }
        let spans = decode(&positions)
            .into_iter()
            .map(|(first, last, label)| {
                SpanInput::new(record_tokens[first].start, record_tokens[last].end, label)
                    .source(format!("{source}:{}", line.number))
            })
            .collect();
        // The row's other fields (a dataset's `pos_tags`, `lang`...) go to
        // `meta`, as the doccano reader's do: nothing read is dropped.
        let meta: Map<String, Value> = line
            .object
            .iter()
            .filter(|(key, _)| !matches!(key.as_str(), "id" | "tokens" | "ner_tags"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let record = Record::from_parts(id, text, record_tokens, spans, meta)
            .map_err(|err| err.or_at(|| Location::line(source, line.number)));
        Some(record)
    }
}
