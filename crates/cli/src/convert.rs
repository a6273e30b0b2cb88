//! `rubric convert`: records (or CoNLL, brat, doccano, Hugging Face, spaCy) in,
//! another format out.
//!
//! Reading and writing are `rubric-exporter`'s; this module picks the reader and the
//! writer, finds the files, and makes output files appear whole or not at all: each
//! is written to a temporary file in its own directory and renamed into place only
//! after the last document converted.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use rubric_exporter::{
    from_brat, DoccanoLayout, Format, Input, Misaligned, ReadOptions, ReadRecords, Record,
    RecordRead, WriteOptions,
};
use rubric_offsets::OffsetUnit;
use rubric_tokenizer::Tokenizer;

use crate::error::{Error, ErrorKind, Location};
use crate::formats::{exporter, labels_beside, FormatOptions, FormatWriter};
pub use crate::formats::{From, To};
use crate::run::{SeenIds, Status};

const EXAMPLES: &str = "\
Examples:
  rubric convert records.jsonl --to conll > train.conll
  rubric convert records.jsonl --to bioes -o train.bioes
  rubric convert records.jsonl --to spacy -o train.spacy
  rubric convert records.jsonl --to brat -o brat/          (brat/<id>.txt + brat/<id>.ann)
  rubric convert records.jsonl --to hf -o train.jsonl      (+ train.labels.json)
  rubric convert records.jsonl --to conll --misaligned expand
  rubric convert --from doccano --to jsonl --offsets utf16 < doccano.jsonl
  rubric convert --from conll train.conll                  (--to jsonl is the default with --from)
  rubric convert --from brat --to jsonl brat/
  rubric convert records.jsonl --to label-studio -o tasks.json    (spans as predictions)
  rubric convert records.jsonl --to label-studio-annotations -o tasks.json
  rubric convert --from label-studio export.json --annotator bea@example.com

Records are rubric's JSON Lines (schemas/record.schema.json). Token-based formats
(CoNLL and its schemes, hf, spacy) need spans that start and end on token boundaries;
--misaligned says what to do with one that does not (default: stop with an error
naming the document and the span) and the counts go to standard error. doccano and
brat inputs have no tokens: their texts are tokenized with rubric's tokenizer.

Output goes to standard output, or to -o PATH, written whole or not at all (a failed
run leaves no partial file); spacy, hf and brat need -o. `-` or no input reads
standard input (not for --from brat, spacy, hf or label-studio, which read files).

A Label Studio export holds one set of annotations per annotator (and per model whose
predictions the tasks carry): --annotator names the one to read (the e-mail address
or user id the export gives, or the model version); an export with only one needs no
--annotator. What was not read (cancelled annotations, other annotators, results
that are not labelled spans) is counted on standard error.";

/// Arguments of `rubric convert`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Input files (or, for brat, directories); `-` or nothing for standard input.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// The format to write. Default with --from: jsonl (rubric's records), the
    /// natural target of a conversion from another tool's format.
    #[arg(long = "to", value_enum, value_name = "FORMAT", required_unless_present = "from")]
    pub to_given: Option<To>,

    /// The format of the inputs.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "jsonl")]
    pub from: From,

    /// What to do with a span that does not start and end on token boundaries when
    /// writing a token-based format: stop with an error, grow it to whole tokens,
    /// shrink it to whole tokens, or leave it out. Counts go to standard error.
    #[arg(
        long,
        value_name = "POLICY",
        default_value = "error",
        value_parser = PossibleValuesParser::new(["error", "expand", "contract", "drop"])
            .try_map(|policy| policy.parse::<Misaligned>()),
    )]
    pub misaligned: Misaligned,

    /// The unit of `start` and `end` in written records (--to jsonl only): code
    /// points (default), UTF-8 bytes or UTF-16 code units.
    #[arg(
        long,
        value_name = "UNIT",
        value_parser = crate::run::offset_unit_parser(),
    )]
    pub offsets: Option<OffsetUnit>,

    /// doccano's layout to write (--to doccano only): `label` ([start, end, "LABEL"]
    /// lists) or `entities` (objects with start_offset and end_offset).
    #[arg(
        long,
        value_name = "LAYOUT",
        value_parser = PossibleValuesParser::new(["label", "entities"])
            .try_map(|layout| layout.parse::<DoccanoLayout>()),
    )]
    pub doccano_layout: Option<DoccanoLayout>,

    /// The label list of Hugging Face input (--from hf only): a JSON array of tags.
    /// Default: <input stem>.labels.json beside each input.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,

    /// Whose annotations to read from a Label Studio export (--from label-studio
    /// only): an annotator's e-mail address or user id, or a model version.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,

    /// Where to write: a file, or a directory for brat. Default: standard output.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Treat a duplicate document id, or a brat .txt without its .ann, as an error
    /// (default: a warning).
    #[arg(long)]
    pub strict: bool,
    /// Which rules tokenize brat texts (--from brat only): rubric's news rules, or
    /// spaCy 3.8's English tokenizer exactly.
    #[arg(long = "tokenizer", value_enum, value_name = "RULES", default_value = "news")]
    pub tokenizer: crate::tokenize::TokenizerRules,
}

impl Args {
    /// The format to write: `--to`, else (with `--from`) records.
    pub fn to(&self) -> To {
        self.to_given.unwrap_or_else(To::records)
    }
}

const STDIN_NAME: &str = "<stdin>";

/// Runs `rubric convert`.
pub fn run(args: &Args) -> Result<Status, Error> {
    check_usage(args);
    let mut inputs = Inputs::new(args);
    let options = FormatOptions {
        to: args.to(),
        unit: args.offsets.unwrap_or(OffsetUnit::Char),
        misaligned: args.misaligned,
        doccano_layout: args.doccano_layout.unwrap_or_default(),
        model_version: None,
    };
    // A label list given with --labels is an input too.
    let read: Vec<PathBuf> = args.inputs.iter().chain(&args.labels).cloned().collect();
    let mut writer = FormatWriter::open(&options, args.output.as_deref(), &read)?;
    let at_output = |err: Error| match (err.location.is_none(), &args.output) {
        (true, Some(path)) if matches!(err.kind, ErrorKind::Write(_)) => {
            Error::at(Location::source(path.display().to_string()), err.kind)
        }
        _ => err,
    };
    let mut ids = SeenIds::default();
    let strict = args.strict;
    let mut left_out = LeftOut::default();
    // brat names a document by its files, whose names cannot hold every id.
    let brat = options.to.format == Format::Brat;
    let keeps = options
        .to
        .format
        .keeps(&WriteOptions { doccano_layout: options.doccano_layout, ..WriteOptions::default() });
    inputs
        .each(|record, location| {
            left_out.count(&record, &keeps);
            if brat {
                left_out.count_renamed(record.id());
            }
            if ids.is_repeat(record.id()) {
                let error =
                    Error::at(location.clone(), ErrorKind::DuplicateId { id: record.id().into() });
                if strict {
                    return Err(error);
                }
                crate::run::warn(&error.to_string());
            }
            // A writer's error (a misaligned span, say) names the document and the
            // span; where the document was read is added here. An I/O error from
            // the writer is about the output, not this input: it keeps no location
            // and becomes a write error.
            writer.write(&record).map_err(|err| {
                exporter(match err.kind {
                    rubric_exporter::ErrorKind::Io(_) => err,
                    _ => err.or_at(|| location),
                })
            })
        })
        .map_err(at_output)?;
    let report = writer.report();
    writer.finish().map_err(at_output)?;
    if let Some(report) = report {
        notice(&format!("{report} (--misaligned {})", args.misaligned));
    }
    if let Some(said) = left_out.said(options.to.format.info().name) {
        notice(&said);
    }
    if let Some((count, (id, stem))) =
        left_out.renamed.as_ref().map(|first| (left_out.renamed_count, first))
    {
        notice(&format!(
            "renamed {count} document id(s) to name their brat files ({id:?} is {stem:?}): brat \
             names a document by its files, which hold ASCII letters, digits, '.', '_' and '-'"
        ));
    }
    if inputs.brat_skipped > 0 {
        notice(&format!(
            "left out {} brat annotation(s) that are not text-bound entities (relations, \
             events, attributes, notes): rubric's records hold entity spans only",
            inputs.brat_skipped
        ));
    }
    Ok(Status::Complete)
}

/// What the records held that the output format does not keep, counted so that
/// converting says it (nothing is left out silently): documents with `meta`,
/// spans with a `kb_id`, a `source` or fields of their own.
#[derive(Debug, Default)]
struct LeftOut {
    meta: usize,
    kb_id: usize,
    source: usize,
    span_extra: usize,
    /// Ids a brat output renames, and the first one with its file stem.
    renamed_count: usize,
    renamed: Option<(String, String)>,
}

impl LeftOut {
    fn count(&mut self, record: &rubric_exporter::Record, keeps: &rubric_exporter::Keeps) {
        self.meta += usize::from(keeps.leaves_meta(record));
        for span in record.spans() {
            self.kb_id += usize::from(!keeps.kb_id && span.kb_id.is_some());
            self.source += usize::from(!keeps.source && span.source.is_some());
            self.span_extra += usize::from(keeps.leaves_span_fields(span));
        }
    }

    /// Counts `id` if its brat file stem is not itself (a stem that is no name
    /// at all is the writer's error).
    fn count_renamed(&mut self, id: &str) {
        if let Ok(stem) = rubric_exporter::brat_file_stem(id) {
            if stem != id {
                self.renamed_count += 1;
                self.renamed.get_or_insert_with(|| (id.to_string(), stem));
            }
        }
    }

    /// The notice, if anything was left out.
    fn said(&self, format: &str) -> Option<String> {
        let parts: Vec<String> = [
            (self.meta, "document(s)' meta"),
            (self.kb_id, "span(s)' kb_id"),
            (self.source, "span(s)' source"),
            (self.span_extra, "span(s)' other fields"),
        ]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, what)| format!("{count} {what}"))
        .collect();
        (!parts.is_empty()).then(|| {
            format!(
                "left out {}: {format} does not keep them (--to jsonl keeps everything)",
                parts.join(", ")
            )
        })
    }
}

/// One line on standard error, where counts and notices go (standard output holds
/// the converted data).
fn notice(message: &str) {
    crate::run::stderr_line(&format!("rubric convert: {message}"));
}

/// Refuses option combinations that cannot mean anything, before any output, the
/// way clap refuses bad arguments (same message style, exit code 2).
fn check_usage(args: &Args) {
    let problem = if args.offsets.is_some() && args.to().format != Format::Jsonl {
        Some(
            "--offsets applies to --to jsonl only: the other formats fix their own units \
             (code points for brat and doccano, tokens for the rest)",
        )
    } else if args.doccano_layout.is_some() && args.to().format != Format::Doccano {
        Some("--doccano-layout applies to --to doccano only")
    } else if args.labels.is_some() && args.from.0.info().label_list.is_none() {
        Some("--labels applies to --from hf only")
    } else if args.annotator.is_some() && args.from.0 != Format::LabelStudio {
        Some("--annotator applies to --from label-studio only")
    } else if args.output.is_none() && args.to().needs_output_path() {
        Some(
            "--to spacy, hf and brat write files: name them with -o (a .spacy file, a \
             .jsonl file with its .labels.json beside it, or a directory for brat)",
        )
    } else if !args.from.0.reads_stdin()
        && (args.inputs.is_empty() || args.inputs.iter().any(|path| path.as_os_str() == "-"))
    {
        Some(
            "--from brat, spacy, hf and label-studio read files (brat: directories or .ann \
             files; hf: its label list beside it), not standard input: name the inputs",
        )
    } else {
        None
    };
    if let Some(problem) = problem {
        clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, format!("{problem}\n")).exit();
    }
}

/// The records of every input, read with the reader `--from` names.
pub struct Inputs {
    from: From,
    labels: Option<PathBuf>,
    /// Whose annotations to read from a Label Studio export.
    annotator: Option<String>,
    /// The subcommand, to name it in notices on standard error.
    command: &'static str,
    paths: Vec<PathBuf>,
    tokenizer: Tokenizer,
    /// brat annotations that are not entities, left out and reported.
    brat_skipped: usize,
    /// A brat .txt without its .ann is an error, not a warning.
    strict: bool,
}

type Records = Box<dyn RecordRead>;

impl Inputs {
    fn new(args: &Args) -> Self {
        let paths =
            if args.inputs.is_empty() { vec![PathBuf::from("-")] } else { args.inputs.clone() };
        Inputs {
            from: args.from,
            labels: args.labels.clone(),
            annotator: args.annotator.clone(),
            command: "convert",
            paths,
            tokenizer: args.tokenizer.build(),
            brat_skipped: 0,
            strict: args.strict,
        }
    }

    /// Every record of one input, read as `from` says (a Label Studio export:
    /// `annotator`'s annotations), each with where it was read (`rubric diff`'s
    /// and `rubric show`'s reader; `command` names the subcommand in notices).
    pub fn read_all(
        path: &Path,
        from: From,
        annotator: Option<&str>,
        command: &'static str,
    ) -> Result<Vec<(Record, Location)>, Error> {
        let mut inputs = Inputs {
            from,
            labels: None,
            annotator: annotator.map(str::to_string),
            command,
            paths: vec![path.to_path_buf()],
            tokenizer: Tokenizer::new(),
            brat_skipped: 0,
            strict: false,
        };
        let mut records = Vec::new();
        inputs.each(|record, location| {
            records.push((record, location));
            Ok(())
        })?;
        Ok(records)
    }

    /// Calls `f` on every record of every input, with where it was read, in order;
    /// stops at the first error (reading or `f`'s).
    fn each(
        &mut self,
        mut f: impl FnMut(Record, Location) -> Result<(), Error>,
    ) -> Result<(), Error> {
        for path in self.paths.clone() {
            let mut source = self.open(&path).map_err(exporter)?;
            while let Some(record) = source.next() {
                let record = record.map_err(exporter)?;
                f(record, source.location())?;
            }
            if let Some(notice) = source.notice() {
                crate::run::stderr_line(&format!("rubric {}: {notice}", self.command));
            }
        }
        Ok(())
    }

    fn open(&mut self, path: &Path) -> Result<Records, rubric_exporter::Error> {
        let name = display_name(path);
        let stream = || -> Result<Box<dyn BufRead>, rubric_exporter::Error> {
            Ok(if path.as_os_str() == "-" {
                Box::new(BufReader::new(io::stdin()))
            } else {
                // As `annotate` and `validate` read them (a `.gz` decompressed).
                crate::input::stream(path, open_file(path)?)
            })
        };
        let info = self.from.0.info();
        if info.input == Input::Files {
            // Read from the file system, which the exporter leaves to the CLI.
            return Ok(Box::new(ReadRecords::new(&name, self.read_brat(path)?)));
        }
        let mut options =
            ReadOptions { annotator: self.annotator.clone(), ..ReadOptions::default() };
        if let Some(list) = info.label_list {
            let labels = self.labels.clone().unwrap_or_else(|| labels_beside(path, list));
            options.labels = read_label_list(&labels)?;
        }
        self.from.0.reader(name, stream()?, &options)
    }

    /// The documents of a brat input: a directory (every `.ann` in it, by name), or
    /// one document named by its `.ann` or `.txt` file.
    fn read_brat(
        &mut self,
        path: &Path,
    ) -> Result<Vec<(Record, rubric_exporter::Location)>, rubric_exporter::Error> {
        let mut anns = Vec::new();
        if path.is_dir() {
            let entries = fs::read_dir(path).map_err(|err| at_source(&display_name(path), err))?;
            let mut txts = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|err| at_source(&display_name(path), err))?;
                let entry = entry.path();
                match entry.extension().and_then(|e| e.to_str()) {
                    Some("ann") => anns.push(entry),
                    Some("txt") => txts.push(entry),
                    _ => {}
                }
            }
            anns.sort();
            // A .txt without its .ann is a document whose annotations are missing
            // (or misnamed): said, never skipped in silence. (An .ann without its
            // .txt fails below, naming the .txt it needs.)
            txts.sort();
            for txt in txts {
                if !txt.with_extension("ann").exists() {
                    let problem = rubric_exporter::Error::at(
                        rubric_exporter::Location::source(display_name(&txt)),
                        rubric_exporter::ErrorKind::Syntax {
                            message: format!(
                                "no annotation file {} beside this text — the document is left \
                                 out; add an (empty) .ann to count it as unannotated",
                                escaped_path(&txt.with_extension("ann"))
                            ),
                        },
                    );
                    if self.strict {
                        return Err(problem);
                    }
                    crate::run::warn(&problem.to_string());
                }
            }
        } else {
            anns.push(path.with_extension("ann"));
        }
        let mut records = Vec::with_capacity(anns.len());
        for ann_path in anns {
            let txt_path = ann_path.with_extension("txt");
            let ann = read_utf8(&ann_path)?;
            let txt = read_utf8(&txt_path)?;
            let id = ann_path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into());
            let (record, skipped) =
                from_brat(id, txt, &ann, &display_name(&ann_path), &self.tokenizer)?;
            self.brat_skipped += skipped.non_entity;
            records.push((record, rubric_exporter::Location::source(display_name(&ann_path))));
        }
        Ok(records)
    }
}

/// A path for a message, with control characters escaped.
fn escaped_path(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

fn display_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        STDIN_NAME.to_string()
    } else {
        path.display().to_string()
    }
}

fn at_source(name: &str, err: io::Error) -> rubric_exporter::Error {
    rubric_exporter::Error::at(
        rubric_exporter::Location::source(name),
        rubric_exporter::ErrorKind::Io(err),
    )
}

fn open_file(path: &Path) -> Result<File, rubric_exporter::Error> {
    let name = display_name(path);
    let file = File::open(path).map_err(|err| at_source(&name, err))?;
    if file.metadata().map_err(|err| at_source(&name, err))?.is_dir() {
        return Err(rubric_exporter::Error::at(
            rubric_exporter::Location::source(&name),
            rubric_exporter::ErrorKind::Syntax {
                message: "is a directory — only --from brat reads directories; pass the \
                          files inside it"
                    .to_string(),
            },
        ));
    }
    Ok(file)
}

/// A whole file as UTF-8, or an error naming the first bad byte.
fn read_utf8(path: &Path) -> Result<String, rubric_exporter::Error> {
    let name = display_name(path);
    let mut bytes = Vec::new();
    open_file(path)?.read_to_end(&mut bytes).map_err(|err| at_source(&name, err))?;
    String::from_utf8(bytes).map_err(|err| {
        rubric_exporter::Error::at(
            rubric_exporter::Location::source(&name),
            rubric_exporter::ErrorKind::InvalidUtf8 {
                byte_offset: err.utf8_error().valid_up_to() as u64,
                byte: err.as_bytes()[err.utf8_error().valid_up_to()],
            },
        )
    })
}

/// A Hugging Face label list: a JSON array of tag strings.
fn read_label_list(path: &Path) -> Result<Vec<String>, rubric_exporter::Error> {
    let text = read_utf8(path)?;
    // A byte-order mark is not JSON; skipping it moves no column a user sees (the
    // error's column counts from after it, as editors show the line).
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    serde_json::from_str(text).map_err(|err| {
        rubric_exporter::Error::at(
            rubric_exporter::Location::column(
                display_name(path),
                err.line() as u64,
                err.column() as u64,
            ),
            rubric_exporter::ErrorKind::Syntax {
                message: format!(
                    "the label list must be a JSON array of tags like [\"O\", \"B-PER\", \
                     \"I-PER\"] ({err}) — pass the list the data was written with, with \
                     --labels"
                ),
            },
        )
    })
}
