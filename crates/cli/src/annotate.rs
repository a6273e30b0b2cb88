//! `rubric annotate`: documents in, span-annotated records out. The main job.
//!
//! Each document is tokenized, matched against the gazetteers on its tokens, and
//! written as the exporter's record (one JSON line, offsets in the unit asked for)
//! or in another of the exporter's formats.

use std::path::{Path, PathBuf};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use rubric_annotate::{quoted_list, Annotator, AnnotatorBuilder};
use rubric_exporter::{ExactFields, Format, Layout, Misaligned, Record};
use rubric_gazetteer::{OverlapPolicy, RuleSelection};
use rubric_offsets::OffsetUnit;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::formats::{FormatOptions, FormatWriter, To};
use crate::input::Document;
use crate::output::{check_paths, Output, OutputKind};
use crate::run::{self, offset_unit_parser, Processed, RunArgs, Status};
use crate::show;

const EXAMPLES: &str = "\
Examples:
  rubric annotate corpus/article.txt
  rubric annotate -g people.tsv -g places.rgz --labels PERSON,GPE news/ -o train.jsonl
  rubric annotate --explain --offsets utf16 docs.jsonl.gz
  cat docs.jsonl | rubric annotate --no-aliases > records.jsonl
  rubric annotate --no-rules=person: news.jsonl   (every rule but the person: ones)

Output, one record per document, in input order:
  {\"id\":\"article\",\"text\":\"...\",\"tokens\":[{\"text\":\"Iraqi\",\"start\":0,\"end\":5,\"id\":0,\"ws\":true},...],
   \"spans\":[{\"start\":0,\"end\":5,\"token_start\":0,\"token_end\":0,\"label\":\"NORP\",\"text\":\"Iraqi\",
   \"kb_id\":\"demonym:IQ\",\"source\":\"corpus/gazetteer/default.tsv:1234\"},...],\"meta\":{\"offsets\":\"char\"}}
The format is specified in schemas/record.schema.json.

Gazetteers: the default one (places, nationalities and groups, organizations and public
figures; see corpus/gazetteer/README.md) is built in; add your own with -g as TSV
(pattern<TAB>label[<TAB>id[<TAB>priority]]), spaCy EntityRuler patterns (.jsonl), or a
compiled file (.rgz, from `rubric gazetteer compile`).";

/// Arguments of `rubric annotate`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    pub run: RunArgs,

    /// A gazetteer to match, besides the default one: TSV (.tsv), spaCy EntityRuler
    /// patterns (.jsonl) or compiled (.rgz). Repeatable.
    #[arg(short = 'g', long = "gazetteer", value_name = "PATH")]
    pub gazetteers: Vec<PathBuf>,

    /// Do not use the built-in default gazetteer.
    #[arg(long)]
    pub no_default_gazetteer: bool,

    /// Keep only spans with these labels (comma-separated, e.g. PERSON,ORG). Overlaps
    /// are resolved first, so a name the gazetteer reads as another label (a
    /// `Washington` that is the place) is left out, not relabelled.
    #[arg(long, value_name = "LABELS", value_delimiter = ',')]
    pub labels: Option<Vec<String>>,

    /// Which of two overlapping candidates to keep: the leftmost-longest, the
    /// higher priority, or all of them (overlapping spans, for span groups).
    #[arg(long, value_name = "POLICY", default_value = "longest",
          value_parser = PossibleValuesParser::new(["longest", "priority", "all"])
              .try_map(|policy| policy.parse::<OverlapPolicy>()))]
    pub overlaps: OverlapPolicy,

    /// Run only these named rules (token patterns with a `name`), comma-separated:
    /// a rule name (`person:title-name`) or a prefix ending in `:` or `*`
    /// (`person:`, `org:*`). Token patterns without a name always run.
    #[arg(long, value_name = "LIST", value_delimiter = ',', conflicts_with = "no_rules")]
    pub rules: Option<Vec<String>>,

    /// Run no named rule; with `=LIST` (as --rules takes), every rule but those.
    /// The `=` is needed so that an input path is never read as the list.
    #[arg(long, value_name = "LIST", value_delimiter = ',', num_args = 0..=1, require_equals = true)]
    pub no_rules: Option<Vec<String>>,

    /// Do not derive document aliases (a later last name of a person, an acronym
    /// in parentheses after an organization).
    #[arg(long)]
    pub no_aliases: bool,

    /// Add every dropped candidate, why it was dropped and what beat it, to each
    /// record's meta.explain.
    #[arg(long)]
    pub explain: bool,

    /// The unit of every offset: Unicode code points (Python `str` indices), UTF-8
    /// bytes or UTF-16 code units (JavaScript, Java).
    #[arg(long, value_name = "UNIT", default_value = "char", value_parser = offset_unit_parser())]
    pub offsets: OffsetUnit,

    /// Write another of rubric's formats instead of records (as `rubric convert
    /// --to` does): conll (IOB2), iob1, bioes, bilou, doccano, hf, spacy or brat;
    /// hf, spacy and brat need -o. Default: jsonl (records); on a terminal without
    /// -o, the records shown for reading as `rubric show` shows them (`--format
    /// jsonl` writes JSON Lines there too).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<To>,

    /// Which rules cut the text into tokens: rubric's news rules, or spaCy 3.8's
    /// English tokenizer exactly, so that every span boundary is a token boundary of
    /// the `Doc` spaCy makes of the text.
    #[arg(long = "tokenizer", value_enum, value_name = "RULES", default_value = "news")]
    pub tokenizer: crate::tokenize::TokenizerRules,

    /// Write records without tokens: text, spans (same offsets, no
    /// token_start/token_end) and meta, a fraction of the size. Records only
    /// (--format jsonl); `rubric convert` tokenizes such records when a format
    /// needs tokens.
    #[arg(long)]
    pub no_tokens: bool,
}

/// What Label Studio predictions name as their model: rubric's version and the
/// gazetteers it annotated with (`default`, then every `-g` by file name), so a
/// team that pre-annotates with two dictionaries tells their predictions apart.
fn model_version(args: &Args) -> String {
    let mut gazetteers: Vec<String> = Vec::new();
    if !args.no_default_gazetteer {
        gazetteers.push("default".to_string());
    }
    gazetteers.extend(args.gazetteers.iter().map(|path| {
        path.file_name()
            .map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
    }));
    format!("rubric {} ({})", env!("CARGO_PKG_VERSION"), gazetteers.join(", "))
}

/// Runs `rubric annotate`.
pub fn run(args: &Args) -> Result<Status, Error> {
    let format = args.format.unwrap_or_else(To::records);
    // The gazetteers are inputs too: `-o places.tsv -g places.tsv` would overwrite
    // one. Checked before they are read.
    // A pattern file's lexicon word lists are inputs too.
    let lexicons = args.gazetteers.iter().flat_map(|path| rubric_gazetteer::lexicon_files(path));
    let inputs_and_gazetteers: Vec<PathBuf> =
        args.run.inputs.iter().chain(&args.gazetteers).cloned().chain(lexicons).collect();
    let output_kind = if format.format.info().layout == Layout::Directory {
        OutputKind::Directory
    } else {
        OutputKind::File
    };
    let mut outputs: Vec<(&Path, OutputKind)> = Vec::new();
    if let Some(output) = &args.run.output {
        outputs.push((output, output_kind));
    }
    if let Some(errors) = &args.run.errors {
        outputs.push((errors, OutputKind::File));
    }
    check_paths(&outputs, &inputs_and_gazetteers)?;
    if args.no_tokens && args.format.is_some_and(|to| to.format != Format::Jsonl) {
        return Err(Error::usage(
            "--no-tokens leaves the tokens out of records: it goes with --format jsonl (the \
             default) only — the other formats are made of tokens or have none to leave out",
        ));
    }
    // Never dropped: the process ends with this command, and freeing the
    // gazetteers one allocation at a time (their lexicons' words, their
    // patterns' strings: hundreds of thousands) only delays the exit.
    let annotator = std::mem::ManuallyDrop::new(build_annotator(args)?);
    let (output, inputs) = (args.run.output.as_deref(), &args.run.inputs);
    // A person at a terminal reads the view; JSON Lines go to pipes and files.
    // `--explain` asks for the trace, which only the records carry.
    if args.format.is_none() && output.is_none() && !args.explain && show::stdout_is_terminal() {
        return show::annotate_to_terminal(&args.run, annotator.labels(), |document| {
            let (record, tally) = annotate(document, &annotator)?;
            Ok(Processed { item: record, tally })
        });
    }
    if format.format == Format::Jsonl {
        // Records are serialized on the worker threads: the main thread only
        // copies bytes, which is what lets annotate scale with threads.
        return run::run(&args.run, "spans", Output::open(output, inputs)?, |document| {
            let (record, tally) = annotate(document, &annotator)?;
            let mut bytes = Vec::new();
            record.write_json_line(args.offsets, &mut bytes).map_err(|err| {
                Error::at(document.location.clone(), ErrorKind::Exporter(Box::new(err)))
            })?;
            Ok(Processed { item: bytes, tally })
        });
    }
    let options = FormatOptions {
        to: format,
        unit: args.offsets,
        // The matcher's spans start and end on tokens (its invariant), so a
        // misaligned one is a bug to report, never something to adjust.
        misaligned: Misaligned::Error,
        doccano_layout: Default::default(),
        model_version: Some(model_version(args)),
    };
    let writer = FormatWriter::open(&options, output, inputs)?;
    run::run(&args.run, "spans", writer, |document| {
        let (record, tally) = annotate(document, &annotator)?;
        Ok(Processed { item: record, tally })
    })
}

/// The annotator the options ask for, built by `rubric-annotate`'s builder (the
/// same one Python uses); this only words its errors in terms of the options.
fn build_annotator(args: &Args) -> Result<Annotator, Error> {
    let mut builder = AnnotatorBuilder::new();
    builder
        .default_gazetteer(!args.no_default_gazetteer)
        .overlaps(args.overlaps)
        .aliases(!args.no_aliases)
        .labels(args.labels.clone())
        .rules(rule_selection(args))
        .explain(args.explain)
        .offsets(args.offsets)
        .tokenizer(args.tokenizer.mode())
        .tokens(!args.no_tokens);
    for path in &args.gazetteers {
        builder.gazetteer_path(path);
    }
    let annotator = builder.build().map_err(|err| build_error(err, args))?;
    for warning in annotator.warnings() {
        run::warn(&warning.to_string());
    }
    Ok(annotator)
}

/// `--rules LIST` runs only those, `--no-rules` none, `--no-rules LIST` all but those.
fn rule_selection(args: &Args) -> RuleSelection {
    match (&args.rules, &args.no_rules) {
        (Some(only), _) => RuleSelection::Only(only.clone()),
        (None, Some(except)) if except.is_empty() => RuleSelection::none(),
        (None, Some(except)) => RuleSelection::Except(except.clone()),
        (None, None) => RuleSelection::All,
    }
}

/// A build error in the command line's terms: which option to change.
fn build_error(err: rubric_annotate::Error, args: &Args) -> Error {
    use rubric_annotate::ErrorKind as Kind;
    match err.kind {
        // The gazetteer's errors name their file (and line) themselves.
        Kind::Gazetteer(err) => Error { kind: ErrorKind::Gazetteer(err), location: None },
        Kind::NoGazetteer => {
            Error::usage("no gazetteer to match: --no-default-gazetteer needs at least one -g PATH")
        }
        Kind::EmptyLabel { label, known } => Error::usage(format!(
            "--labels: an empty label {label:?} — list labels separated by commas, e.g. \
             --labels PERSON,ORG; the gazetteers have {}",
            quoted_list(&known)
        )),
        Kind::UnknownLabel { .. } | Kind::UnknownRule { .. } => {
            let option = match err.kind {
                Kind::UnknownLabel { .. } => "--labels",
                _ if args.rules.is_some() => "--rules",
                _ => "--no-rules",
            };
            Error::usage(format!("{option}: {err}"))
        }
        kind => {
            Error::internal(format!("building the annotator: {}", rubric_annotate::Error { kind }))
        }
    }
}

/// One document's record, and its spans counted by label for the summary.
fn annotate(
    document: &Document,
    annotator: &Annotator,
) -> Result<(Record, Vec<(String, u64)>), Error> {
    let (meta, exact_meta) = record_meta(document)?;
    let record = annotator
        .record_with_meta(&document.id, &document.text, meta, exact_meta)
        .map_err(|err| {
            let kind = match err.kind {
                rubric_annotate::ErrorKind::Offset(err) => ErrorKind::BadTokenOffset(err),
                rubric_annotate::ErrorKind::Record(err) => ErrorKind::Exporter(err),
                kind => ErrorKind::Internal(rubric_annotate::Error { kind }.to_string()),
            };
            Error::at(document.location.clone(), kind)
        })?;
    let mut tally: Vec<(String, u64)> = Vec::new();
    for span in record.spans() {
        match tally.iter_mut().find(|(label, _)| *label == span.label) {
            Some((_, n)) => *n += 1,
            None => tally.push((span.label.to_string(), 1)),
        }
    }
    Ok((record, tally))
}

/// The record's `meta`: the input's other fields, with the fields of an input
/// `meta` object (Prodigy's and rubric's own layout) lifted to the top, so that
/// annotating a record file again does not nest `meta` inside `meta`.
///
/// Nothing is dropped or overwritten on the way: a `meta` that is not an object, a
/// key both at the top and in `meta`, or a top-level `offsets` (which the writer's
/// unit would replace) is an error at the document's line. `meta.offsets` itself
/// is the unit of the record read before and is replaced by the writer's. A field
/// holding a number a JSON value would round (`18446744073709551616`) travels as
/// its exact JSON text ([`ExactFields`]) and is written back byte for byte.
fn record_meta(
    document: &Document,
) -> Result<(serde_json::Map<String, Value>, ExactFields), Error> {
    let at = |kind| {
        Error::at(
            document.location.clone(),
            ErrorKind::Exporter(Box::new(rubric_exporter::Error::new(kind))),
        )
    };
    let collision = |field: String| at(rubric_exporter::ErrorKind::MetaCollision { field });
    let mut meta = document.meta.clone();
    let mut exact = document.exact_meta.clone();
    if meta.contains_key("offsets") || exact.contains_key("offsets") {
        return Err(at(rubric_exporter::ErrorKind::ReservedMeta {
            field: "offsets".into(),
            writer: "the unit of the record's offsets".into(),
            advice: "rename it".into(),
        }));
    }
    // The fields of an input `meta`, as values and as exact JSON text (when the
    // object holds a number a value would round).
    let mut inner_values = serde_json::Map::new();
    let mut inner_exact = Vec::new();
    let not_an_object = |found| {
        at(rubric_exporter::ErrorKind::WrongType {
            what: "record".into(),
            field: "meta".into(),
            expected: "an object",
            found,
        })
    };
    match (meta.remove("meta"), exact.remove("meta")) {
        (Some(Value::Object(inner)), _) => inner_values = inner,
        (Some(other), _) => return Err(not_an_object(rubric_exporter::json_type_name(&other))),
        (None, Some(json)) => {
            let inner: std::collections::BTreeMap<String, Box<RawValue>> =
                serde_json::from_str(json.get()).map_err(|_| not_an_object(json_kind(&json)))?;
            for (key, json) in inner {
                if is_exactly_a_value(&json) {
                    let value = serde_json::from_str(json.get()).map_err(|err| {
                        Error::internal(format!("JSON read once failed the second time: {err}"))
                    })?;
                    inner_values.insert(key, value);
                } else {
                    inner_exact.push((key, json));
                }
            }
        }
        (None, None) => {}
    }
    for (key, value) in inner_values {
        if meta.contains_key(&key) || exact.contains_key(&key) {
            return Err(collision(key));
        }
        meta.insert(key, value);
    }
    for (key, json) in inner_exact {
        if meta.contains_key(&key) || exact.contains_key(&key) {
            return Err(collision(key));
        }
        exact.insert(key, json);
    }
    Ok((meta, exact))
}

/// The kind of JSON text a raw value holds, for messages ("an array").
fn json_kind(json: &RawValue) -> &'static str {
    match json.get().trim_start().as_bytes().first() {
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        Some(b'"') => "a string",
        _ => "a number",
    }
}

/// Whether `json` reads into a [`Value`] that writes back the same number(s).
fn is_exactly_a_value(json: &RawValue) -> bool {
    rubric_exporter::inexact_number(json.get()).is_none()
}
