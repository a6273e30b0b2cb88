//! `rubric validate`: check record files (rubric's JSON Lines) and report every
//! problem, not just the first.
//!
//! Each line is checked twice. The JSON Schema (`schemas/record.schema.json`, built
//! in) checks the shape: required fields, types, the offset unit, unknown fields;
//! every schema error of a line is reported, with its JSON pointer. The exporter's
//! checked reader ([`Record::from_line`], the one `rubric convert` reads with)
//! checks what a schema cannot say: offsets in range and on character boundaries in
//! the unit `meta.offsets` names, every quoted text equal to the slice it quotes,
//! tokens that rebuild the text, token indices that agree with offsets, no span
//! twice. It stops at the first such violation in a line, so a line is reported
//! once for it; fix it and run again to see the next. Ids must also be unique in a
//! file. A bad line never stops the run: the next line is checked.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use rubric_exporter::{LineReader, RawLine, Record};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Location};
use crate::input::line_error;
use crate::output::Output;
use crate::run::message_without_location;
use crate::run::Status;

const EXAMPLES: &str = "\
Examples:
  rubric validate train.jsonl
  rubric validate gold.jsonl pred.jsonl.gz
  rubric annotate news/ | rubric validate -
  rubric validate --format json records.jsonl | jq -r .kind | sort | uniq -c

Each problem is one line on standard error, `file:line[:column]: what — what to do`:
  train.jsonl:3:88: document \"d3\", span 1 [8, 12) GPE: \"text\" is \"Kiln\" but ... — ...
  train.jsonl:7: schema: /spans/1: \"label\" is a required property — ...
With --format json, one JSON object per problem on standard output instead:
  {\"source\":\"train.jsonl\",\"line\":7,\"column\":null,\"pointer\":\"/spans/1\",\"kind\":\"schema\",\"message\":\"...\"}
A summary line on standard error ends the run.

What is checked: schemas/record.schema.json, and what it cannot say: offsets in range
and on character boundaries in the unit meta.offsets names, every token's and span's
\"text\" equal to the slice its offsets cut, tokens (with their trailing spaces) that
rebuild the text, token ids and token_start/token_end that agree with the offsets, no
span twice, no id twice in a file. Only the first of these per line is reported.

Exit status: 0 when every record is valid, 1 when any problem was found, 2 when a file
cannot be read or the arguments are wrong.";

/// How problems are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per problem on standard error: `file:line[:column]: message`.
    Text,
    /// One JSON object per problem on standard output.
    Json,
}

/// Arguments of `rubric validate`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Record files (JSON Lines, as `rubric annotate` writes them), gzipped (*.gz)
    /// or not, or `-` (the default) for standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// How to report problems: text on standard error, or JSON Lines on standard
    /// output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// No summary line; problems are still reported.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

const STDIN_NAME: &str = "<stdin>";
const SCHEMA: &str = include_str!("../../../schemas/record.schema.json");
/// Values longer than this are left out of schema messages: a type error on `text`
/// would otherwise quote the whole document.
const MAX_QUOTED_VALUE: usize = 60;

/// One problem found: where, what kind (stable, snake case), and what to do.
#[derive(Debug, Serialize)]
struct Problem {
    source: String,
    line: Option<u64>,
    column: Option<u64>,
    /// The JSON pointer of the value at fault, for schema errors.
    pointer: Option<String>,
    kind: &'static str,
    message: String,
}

impl Problem {
    fn text_line(&self) -> String {
        let location =
            Location { source: self.source.clone(), line: self.line, column: self.column };
        match &self.pointer {
            Some(pointer) => {
                let pointer = if pointer.is_empty() { "(record)" } else { pointer };
                // Pointers and messages quote the record's keys and values.
                format!(
                    "{location}: schema: {}: {}",
                    rubric_exporter::escape_controls(pointer),
                    rubric_exporter::escape_controls(&self.message)
                )
            }
            None => format!("{location}: {}", rubric_exporter::escape_controls(&self.message)),
        }
    }
}

/// Runs `rubric validate`: [`Status::Invalid`] when a problem was found.
pub fn run(args: &Args) -> Result<Status, Error> {
    let schema: Value = serde_json::from_str(SCHEMA)
        .map_err(|err| Error::internal(format!("the built-in record schema is not JSON: {err}")))?;
    let validator = jsonschema::draft202012::new(&schema).map_err(|err| {
        Error::internal(format!("the built-in record schema does not compile: {err}"))
    })?;
    let files = if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files.clone() };
    let mut report = Report::new(args.format, &files)?;
    let mut counts = Counts::default();
    for path in &files {
        let (name, reader) = open(path)?;
        check_file(&name, reader, &validator, &mut report, &mut counts)?;
        counts.files += 1;
    }
    report.finish()?;
    if !args.quiet {
        // Standard error closed: nobody left to tell.
        crate::run::stderr_line(&counts.summary());
    }
    Ok(if counts.problems > 0 { Status::Invalid } else { Status::Complete })
}

fn open(path: &Path) -> Result<(String, Box<dyn BufRead>), Error> {
    if path.as_os_str() == "-" {
        return Ok((STDIN_NAME.to_string(), Box::new(BufReader::new(io::stdin()))));
    }
    let name = path.display().to_string();
    let file =
        File::open(path).map_err(|err| Error::at(Location::source(&name), ErrorKind::Read(err)))?;
    if file.metadata().is_ok_and(|metadata| metadata.is_dir()) {
        return Err(Error::at(
            Location::source(&name),
            ErrorKind::Usage("is a directory — pass the record files in it".to_string()),
        ));
    }
    Ok((name, crate::input::stream(path, file)))
}

/// Checks every line of one input, read by the exporter's [`LineReader`] (the one
/// reader of JSON Lines: byte-order mark, line endings, blank lines, invalid
/// UTF-8). Only reading the input itself can fail; every problem in it goes to
/// `report`.
fn check_file(
    name: &str,
    reader: Box<dyn BufRead>,
    validator: &jsonschema::Validator,
    report: &mut Report,
    counts: &mut Counts,
) -> Result<(), Error> {
    let mut lines = LineReader::new(name, reader);
    // Where each id was first seen, to report a repeat with both lines.
    let mut ids: HashMap<String, u64> = HashMap::new();
    while let Some(line) = lines.next_line() {
        let problems = match line {
            Ok(line) => check_line(line, validator, &mut ids),
            // Reading the input failed: nothing more of it can be checked.
            Err(err) if matches!(err.kind, rubric_exporter::ErrorKind::Io(_)) => {
                return Err(line_error(err));
            }
            // A line that is not text (invalid UTF-8, a stray byte-order mark):
            // one problem, and the next line is still there.
            Err(err) => {
                let location = err.location.as_deref().cloned();
                let error = line_error(err);
                vec![Problem {
                    source: name.to_string(),
                    line: location.as_ref().and_then(|l| l.line),
                    column: location.as_ref().and_then(|l| l.column),
                    pointer: None,
                    kind: error.kind_name(),
                    message: message_without_location(&error),
                }]
            }
        };
        counts.record(problems.len());
        for problem in &problems {
            report.add(problem)?;
        }
    }
    Ok(())
}

/// Every problem of one non-blank line.
fn check_line(
    line: RawLine<'_>,
    validator: &jsonschema::Validator,
    ids: &mut HashMap<String, u64>,
) -> Vec<Problem> {
    let (name, number) = (line.source, line.number);
    let mut problems = Vec::new();
    let checked = Record::from_line(line);
    let mut repeat = None;
    // A line that is not JSON has no shape to check; the exporter's message says
    // where the JSON breaks.
    if let Ok(value) = serde_json::from_str::<Value>(line.text) {
        for error in validator.iter_errors(&value) {
            problems.push(Problem {
                source: name.to_string(),
                line: Some(number),
                column: None,
                pointer: Some(error.instance_path().as_str().to_string()),
                kind: "schema",
                message: schema_message(&error),
            });
        }
        repeat = repeated_id(name, number, &value, ids);
    }
    if let Err(err) = checked {
        // The schema's messages already cover a wrong shape, and say more (all of
        // it, not the first); what only the exporter sees is always reported.
        if problems.iter().all(|p| p.kind != "schema") || is_invariant(&err.kind) {
            let location = err.location.as_deref();
            problems.push(Problem {
                source: name.to_string(),
                line: location.and_then(|l| l.line).or(Some(number)),
                column: location.and_then(|l| l.column),
                pointer: None,
                kind: err.kind.name(),
                message: err.kind.to_string(),
            });
        }
    }
    problems.extend(repeat);
    problems
}

/// A problem if the line's id was seen before in the file; remembers it otherwise.
fn repeated_id(
    name: &str,
    number: u64,
    value: &Value,
    ids: &mut HashMap<String, u64>,
) -> Option<Problem> {
    let id = value.get("id").and_then(Value::as_str)?;
    let Some(first) = ids.get(id) else {
        ids.insert(id.to_string(), number);
        return None;
    };
    Some(Problem {
        source: name.to_string(),
        line: Some(number),
        column: None,
        pointer: None,
        kind: "duplicate_id",
        message: format!(
            "the id {id:?} was used on line {first} already — ids must be unique within a \
             file; give one of the records another id"
        ),
    })
}

/// Whether the exporter's error is about something the schema cannot express.
fn is_invariant(kind: &rubric_exporter::ErrorKind) -> bool {
    use rubric_exporter::ErrorKind as K;
    matches!(
        kind,
        K::SpanOffset { .. }
            | K::SpanReversed { .. }
            | K::SpanTextMismatch { .. }
            | K::SpanTokenMismatch { .. }
            | K::SpanOutsideTokens { .. }
            | K::DuplicateSpan { .. }
            | K::BadToken { .. }
    )
}

/// jsonschema's message, without the value when it is long (a whole document).
fn schema_message(error: &jsonschema::ValidationError<'_>) -> String {
    let quoted = serde_json::to_string(error.instance().as_ref()).map_or(usize::MAX, |s| s.len());
    let message = if quoted <= MAX_QUOTED_VALUE {
        error.to_string()
    } else {
        error.masked_with("the value").to_string()
    };
    format!("{message} — see schemas/record.schema.json")
}

/// Where problems go: standard error as text, or standard output as JSON Lines.
enum Report {
    Text,
    Json(Output),
}

impl Report {
    fn new(format: Format, files: &[PathBuf]) -> Result<Self, Error> {
        Ok(match format {
            Format::Text => Report::Text,
            Format::Json => Report::Json(Output::stdout_beside(files)?),
        })
    }

    fn add(&mut self, problem: &Problem) -> Result<(), Error> {
        match self {
            Report::Text => {
                // Standard error closed: nobody left to tell; the exit code still says.
                crate::run::stderr_line(&problem.text_line());
                Ok(())
            }
            Report::Json(output) => {
                let mut bytes = Vec::new();
                Output::serialize_into(&mut bytes, problem)?;
                output.writer().write_all(&bytes).map_err(Error::write)
            }
        }
    }

    fn finish(self) -> Result<(), Error> {
        match self {
            Report::Text => Ok(()),
            Report::Json(output) => output.finish(),
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    files: u64,
    records: u64,
    invalid: u64,
    problems: u64,
}

impl Counts {
    /// Counts one non-blank line and its problems.
    fn record(&mut self, problems: usize) {
        self.records += 1;
        self.problems += problems as u64;
        self.invalid += u64::from(problems > 0);
    }

    fn summary(&self) -> String {
        let files =
            if self.files == 1 { "1 file".to_string() } else { format!("{} files", self.files) };
        let records = if self.records == 1 {
            "1 record".to_string()
        } else {
            format!("{} records", self.records)
        };
        if self.problems == 0 {
            format!("rubric: {records} in {files} checked: all valid")
        } else {
            format!(
                "rubric: {records} in {files} checked: {} invalid, {} problem{}",
                self.invalid,
                self.problems,
                if self.problems == 1 { "" } else { "s" }
            )
        }
    }
}
