//! `rubric diff`: compare annotations (a model against gold, annotators against
//! each other) and report the scores and the disagreements.
//!
//! Unlike the other subcommands it writes a report, not JSON Lines, and it has an
//! exit code of its own: 1 when the score is below `--fail-under`.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::ValueEnum;
use rubric_diff::{
    agreement, agreement_json, agreement_text, html_report, json_report, pair_documents,
    text_report, Annotations, ComparisonReport, DifferBuilder, PairedBy, Schema, TextOptions,
};
use rubric_exporter::{Format as RecordFormat, Ids, Record};
use rubric_offsets::OffsetUnit;

use crate::convert::{From as InputFormat, Inputs};
use crate::error::{Error, ErrorKind};
use crate::output::Output;
use crate::run::{offset_unit_parser, SeenIds, Status};

const EXAMPLES: &str = "\
Examples:
  rubric diff gold.jsonl pred.jsonl                    # table + disagreements
  rubric diff gold.jsonl pred.jsonl --format json      # figures as JSON (schemas/diff.schema.json)
  rubric diff gold.jsonl pred.jsonl --format html -o report.html
  rubric diff gold.jsonl pred.jsonl --by-source        # which gazetteer entries cause errors
  rubric diff --from conll gold.conll pred.conll --fail-under 0.85
  rubric diff ann1.jsonl ann2.jsonl ann3.jsonl --kappa # pairwise F1 and Cohen's kappa
  rubric diff export.json pred.jsonl --annotator bea@example.com   # a Label Studio export
  rubric diff export.json export.json --annotator 1 --annotator bea@example.com

Schemas (nervaluate's): strict = same boundaries and label; exact = same boundaries;
partial = same boundaries, overlaps count half; type = overlap and same label.

Inputs are paired by document id. CoNLL files have no ids: their documents are paired
by position, as are doccano lines without an id. Records without an id (Prodigy's
exports, span-only lines) pair by Prodigy's _input_hash when every document has one,
else by line number; the report says which. Records whose Prodigy answer is reject
or ignore are left out and counted. Records need no tokens. A brat input is a directory of
.txt/.ann pairs (id = file stem) or one .ann file beside its .txt. A .json file
holding one JSON array is a Label Studio export (JSON or JSON-MIN); --annotator names
whose annotations to score: once for every export, or once per input, in order.

Exit status: 0 normally, 1 when the micro F1 (of any pair, with more than two inputs)
is below --fail-under, 2 on bad input or usage.";

/// How the report is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table and the disagreements in context.
    Text,
    /// The figures as JSON (schemas/diff.schema.json).
    Json,
    /// One self-contained HTML page.
    Html,
}

/// When to colour the text report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `rubric diff`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// GOLD then PREDICTION; with more inputs, every pair is compared.
    #[arg(value_name = "INPUT", required = true, num_args = 2..)]
    pub inputs: Vec<PathBuf>,

    /// The inputs' format (default: from the extension; a directory is brat).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<InputFormat>,

    /// Whose annotations to score from a Label Studio export: an annotator's e-mail
    /// address or user id, or a model version. Once for every export among the
    /// inputs, or once per input, in order.
    #[arg(long, value_name = "NAME")]
    pub annotator: Vec<String>,

    /// The report's format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The schema `--fail-under` and the agreement matrix use.
    #[arg(long, default_value = "strict", value_parser = PossibleValuesParser::new(["strict", "exact", "partial", "type"]).try_map(|s| s.parse::<Schema>()))]
    pub schema: Schema,

    /// Exit with status 1 when the micro F1 under `--schema` is below F1 (0 to 1).
    #[arg(long, value_name = "F1")]
    pub fail_under: Option<f64>,

    /// Count a document on one side only (or with different texts) as missed or
    /// spurious spans instead of failing.
    #[arg(long)]
    pub allow_missing: bool,

    /// List the sources (gazetteer entries) that produced the most spurious and
    /// wrong-label spans.
    #[arg(long)]
    pub by_source: bool,

    /// Add Cohen's kappa on token-level IOB2 labels for each pair of inputs.
    #[arg(long)]
    pub kappa: bool,

    /// The unit spans are measured in when scoring (it matters for the overlap
    /// threshold and the offsets in the JSON report).
    #[arg(long, value_name = "UNIT", default_value = "char", value_parser = offset_unit_parser())]
    pub offsets: OffsetUnit,

    /// nervaluate's min_overlap_percentage: the share of a gold span (1 to 100
    /// percent) a prediction must cover to be matched to it.
    #[arg(long, value_name = "PERCENT", default_value_t = 1.0)]
    pub min_overlap: f64,

    /// Colour the text report.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,

    /// Characters of context around each disagreement in the text report.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub context: usize,
}

/// Runs `rubric diff`: [`Status::BelowThreshold`] when `--fail-under` says so.
pub fn run(args: &Args) -> Result<Status, Error> {
    if let Some(f1) = args.fail_under {
        if !(0.0..=1.0).contains(&f1) {
            return Err(Error::usage(format!(
                "--fail-under {f1} is not between 0 and 1 — F1 is a fraction, e.g. 0.85"
            )));
        }
    }
    let differ = DifferBuilder::new()
        .unit(args.offsets)
        .allow_missing(args.allow_missing)
        .min_overlap_percentage(args.min_overlap)
        .build()
        .map_err(diff_error)?;
    let formats: Vec<InputFormat> =
        args.inputs.iter().map(|path| args.from.unwrap_or_else(|| guess_format(path))).collect();
    let annotators = annotators(args, &formats)?;
    let inputs = args
        .inputs
        .iter()
        .zip(formats)
        .zip(annotators)
        .map(|((path, from), annotator)| read_input(path, from, annotator))
        .collect::<Result<Vec<_>, _>>()?;
    let mut inputs = inputs;
    let paired_by = pair_documents(&mut inputs);
    let pairing_note = pairing_note(paired_by, &inputs);

    if inputs.len() > 2 {
        if args.format == Format::Html {
            return Err(Error::usage(
                "the HTML report compares two inputs — use --format text or json for the \
                 agreement matrix of more",
            ));
        }
        let agreement = agreement(&inputs, &differ, args.schema, args.kappa).map_err(diff_error)?;
        let report = match args.format {
            Format::Json => format!("{}\n", agreement_json(&agreement)),
            _ => agreement_text(&agreement),
        };
        write_report(args, &report)?;
        let lowest = agreement
            .f1
            .iter()
            .enumerate()
            .flat_map(|(i, row)| {
                row.iter().enumerate().filter(move |(j, _)| *j != i).map(|(_, f1)| *f1)
            })
            .fold(f64::INFINITY, f64::min);
        return Ok(check_fail_under(args, lowest));
    }

    let comparison = differ.compare(&inputs[0], &inputs[1]).map_err(diff_error)?;
    let kappa = if args.kappa {
        Some(agreement(&inputs, &differ, args.schema, true).map_err(diff_error)?)
    } else {
        None
    };
    let report = match args.format {
        Format::Text => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    args.output.is_none()
                        && io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            let options = TextOptions {
                color,
                context: args.context,
                by_source: args.by_source,
                ..TextOptions::default()
            };
            let mut report = pairing_note.clone();
            report.push_str(&text_report(&comparison, &options));
            if let Some(kappa) = &kappa {
                report.push('\n');
                report.push_str(&agreement_text(kappa));
            }
            report
        }
        Format::Json => {
            let mut json = json_report(&comparison);
            if let Some(kappa) = &kappa {
                json.kappa = Some(kappa.kappa.as_ref().and_then(|k| k[0][1]));
            }
            add_pairing(&mut json, paired_by, &inputs);
            format!("{json}\n")
        }
        Format::Html => html_report(&comparison),
    };
    write_report(args, &report)?;
    Ok(check_fail_under(args, comparison.f1(args.schema)))
}

/// What the text report says first when documents were not paired by their ids
/// or Prodigy lines were left out (nothing otherwise, so reports of records
/// with ids stay as they were).
fn pairing_note(paired_by: PairedBy, inputs: &[Annotations]) -> String {
    let mut note = String::new();
    let without_ids: Vec<String> = inputs
        .iter()
        .filter(|input| input.documents.iter().any(|d| !d.own_id))
        .map(|input| rubric_exporter::escape_controls(&input.name).into_owned())
        .collect();
    match paired_by {
        PairedBy::InputHash => note.push_str(&format!(
            "documents paired by _input_hash ({} has documents without an id)\n",
            without_ids.join(", ")
        )),
        PairedBy::Line => note.push_str(&format!(
            "documents paired by line number ({} has documents without an id or \
             _input_hash)\n",
            without_ids.join(", ")
        )),
        _ => {}
    }
    for input in inputs {
        if !input.skipped.is_empty() {
            let counts: Vec<String> =
                input.skipped.iter().map(|(answer, n)| format!("{n} {answer}")).collect();
            note.push_str(&format!(
                "{}: left out {} line(s) whose answer is not accept ({})\n",
                rubric_exporter::escape_controls(&input.name),
                input.skipped.values().sum::<usize>(),
                counts.join(", ")
            ));
        }
    }
    if !note.is_empty() {
        note.push('\n');
    }
    note
}

/// `paired_by` and `skipped` in the JSON report, when the documents were not
/// paired by id or lines were left out (schemas/diff.schema.json).
fn add_pairing(report: &mut ComparisonReport<'_>, paired_by: PairedBy, inputs: &[Annotations]) {
    if paired_by != PairedBy::Id {
        report.paired_by = Some(paired_by.as_str());
    }
    // Every input is named once any line was left out, so a reader sees which
    // inputs had none.
    if inputs.iter().any(|input| !input.skipped.is_empty()) {
        report.skipped =
            inputs.iter().map(|input| (input.name.clone(), input.skipped.clone())).collect();
    }
}

fn diff_error(err: rubric_diff::Error) -> Error {
    Error { kind: ErrorKind::Diff(Box::new(err)), location: None }
}

fn check_fail_under(args: &Args, f1: f64) -> Status {
    match args.fail_under {
        Some(threshold) if f1 < threshold => {
            let _ = writeln!(
                io::stderr().lock(),
                "rubric diff: {} micro F1 {f1:.4} is below --fail-under {threshold}",
                args.schema
            );
            Status::BelowThreshold
        }
        _ => Status::Complete,
    }
}

fn write_report(args: &Args, report: &str) -> Result<(), Error> {
    let mut output = Output::open(args.output.as_deref(), &args.inputs)?;
    output.write_bytes(report.as_bytes())?;
    output.finish()
}

/// `--annotator` for each input: the one given for every Label Studio input, or
/// one per input in order; refused when no input is a Label Studio export.
fn annotators<'a>(args: &'a Args, formats: &[InputFormat]) -> Result<Vec<Option<&'a str>>, Error> {
    let studio = |format: &InputFormat| format.0 == RecordFormat::LabelStudio;
    if args.annotator.is_empty() {
        return Ok(vec![None; formats.len()]);
    }
    if !formats.iter().any(studio) {
        return Err(Error::usage(
            "--annotator applies to Label Studio exports, and no input is one — name a .json \
             export, or say --from label-studio",
        ));
    }
    match args.annotator.as_slice() {
        [one] => Ok(formats.iter().map(|f| studio(f).then_some(one.as_str())).collect()),
        many if many.len() == formats.len() => {
            Ok(formats.iter().zip(many).map(|(f, a)| studio(f).then_some(a.as_str())).collect())
        }
        many => Err(Error::usage(format!(
            "{} --annotator for {} inputs — give one for every Label Studio export, or one per \
             input, in order",
            many.len(),
            formats.len()
        ))),
    }
}

/// The format of `path` when `--from` does not say: by the registry's
/// extensions, a directory as the format read from directories, a `.json` file
/// holding one JSON array as a Label Studio export (records are objects, one a
/// line), records otherwise.
fn guess_format(path: &Path) -> InputFormat {
    let extension = path.extension().and_then(|e| e.to_str());
    let format = if path.is_dir() {
        RecordFormat::of_directory()
    } else if extension.is_some_and(|e| e.eq_ignore_ascii_case("json")) && holds_an_array(path) {
        Some(RecordFormat::LabelStudio)
    } else {
        extension.and_then(RecordFormat::by_extension)
    };
    InputFormat(format.unwrap_or(RecordFormat::Jsonl))
}

/// Whether the file's first character that is not white space (after a
/// byte-order mark) is `[`. A file that cannot be read is not: reading it as
/// records then says why.
fn holds_an_array(path: &Path) -> bool {
    use std::io::Read;
    let mut start = [0u8; 512];
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let Ok(read) = file.read(&mut start) else { return false };
    let start = &start[..read];
    let start = start.strip_prefix("\u{feff}".as_bytes()).unwrap_or(start);
    start.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

fn read_input(
    path: &Path,
    from: InputFormat,
    annotator: Option<&str>,
) -> Result<Annotations, Error> {
    let name = path.display().to_string();
    let located = Inputs::read_all(path, from, annotator, "diff")?;
    // Documents are paired by id: a repeated id is an error, named where it is
    // repeated (the comparison itself knows no lines).
    let mut ids = SeenIds::default();
    let mut records = Vec::with_capacity(located.len());
    let mut lines = Vec::with_capacity(located.len());
    for (record, location) in located {
        // Ids numbered by position cannot repeat.
        if from.0.info().ids != Ids::Positional && ids.is_repeat(record.id()) {
            return Err(Error::at(
                location,
                ErrorKind::DuplicateId { id: record.id().to_string() },
            ));
        }
        records.push(record);
        // A line pairs documents that have neither an id nor an _input_hash.
        lines.push(if from.0 == RecordFormat::Jsonl { location.line } else { None });
    }
    let records = match from.0.info().ids {
        Ids::Positional => renumbered(&name, records, true),
        Ids::Optional => renumbered(&name, records, false),
        Ids::Own => records,
    };
    Ok(Annotations::from_records(name, records.iter().zip(lines)))
}

/// Documents that have no id of their own (`<file>:<line>`, made up by the
/// reader) get their position in the file instead, so that two files pair up.
/// CoNLL documents never have ids of their own.
fn renumbered(name: &str, records: Vec<Record>, all: bool) -> Vec<Record> {
    let prefix = format!("{name}:");
    records
        .into_iter()
        .enumerate()
        .map(|(index, record)| {
            let made_up = record
                .id()
                .strip_prefix(&prefix)
                .is_some_and(|line| line.bytes().all(|b| b.is_ascii_digit()));
            if all || made_up {
                rename(record, format!("#{}", index + 1))
            } else {
                record
            }
        })
        .collect()
}

fn rename(record: Record, id: String) -> Record {
    let spans = record.spans().iter().map(rubric_exporter::SpanInput::from_span).collect();
    // Rebuilding from the record's own checked parts cannot fail; keep the original
    // if it ever did rather than lose it.
    let renamed = if record.has_tokens() {
        Record::from_parts(
            id,
            record.text(),
            record.tokens().to_vec(),
            spans,
            record.meta().clone(),
        )
    } else {
        Record::without_tokens(id, record.text(), spans, record.meta().clone())
    };
    match renamed {
        Ok(renamed) => renamed,
        Err(_) => record,
    }
}
