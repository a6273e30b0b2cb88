//! `rubric annotate`: documents in, span-annotated records out. The main job.
//!
//! Each document is tokenized, matched against the gazetteers on its tokens, and
//! written as the exporter's record (one JSON line, offsets in the unit asked for)
//! or in another of the exporter's formats.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use rubric_annotate::{explain, Annotated};
use rubric_exporter::{ExactFields, Misaligned, Record};
use rubric_gazetteer::{
    Gazetteer, GazetteerBuilder, Matcher, MatcherBuilder, OverlapPolicy, COMPILED_EXTENSION,
};
use rubric_offsets::OffsetUnit;
use rubric_tokenizer::Tokenizer;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::formats::{FormatOptions, FormatWriter, To};
use crate::input::Document;
use crate::output::{check_paths, Output, OutputKind};
use crate::run::{self, Processed, RunArgs, Status};

const EXAMPLES: &str = "\
Examples:
  rubric annotate corpus/article.txt
  rubric annotate -g people.tsv -g places.rgz --labels PERSON,GPE news/ -o train.jsonl
  rubric annotate --explain --offsets utf16 docs.jsonl.gz
  cat docs.jsonl | rubric annotate --no-aliases > records.jsonl

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
    #[arg(
        long,
        value_name = "UNIT",
        default_value = "char",
        value_parser = crate::run::offset_unit_parser(),
    )]
    pub offsets: OffsetUnit,

    /// Write another of rubric's formats instead of records (as `rubric convert
    /// --to` does): conll (IOB2), iob1, bioes, bilou, doccano, hf, spacy or brat;
    /// hf, spacy and brat need -o.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "jsonl")]
    pub format: To,

    /// Which rules cut the text into tokens: rubric's news rules, or spaCy 3.8's
    /// English tokenizer exactly, so that every span boundary is a token boundary of
    /// the `Doc` spaCy makes of the text.
    #[arg(long = "tokenizer", value_enum, value_name = "RULES", default_value = "news")]
    pub tokenizer: crate::tokenize::TokenizerRules,
}

/// Runs `rubric annotate`.
pub fn run(args: &Args) -> Result<Status, Error> {
    // The gazetteers are inputs too: `-o places.tsv -g places.tsv` would overwrite
    // one. Checked before they are read.
    let inputs_and_gazetteers: Vec<PathBuf> =
        args.run.inputs.iter().chain(&args.gazetteers).cloned().collect();
    let output_kind =
        if args.format == To::Brat { OutputKind::Directory } else { OutputKind::File };
    let mut outputs: Vec<(&Path, OutputKind)> = Vec::new();
    if let Some(output) = &args.run.output {
        outputs.push((output, output_kind));
    }
    if let Some(errors) = &args.run.errors {
        outputs.push((errors, OutputKind::File));
    }
    check_paths(&outputs, &inputs_and_gazetteers)?;
    let matcher = build_matcher(args)?;
    let tokenizer = args.tokenizer.build();
    let (output, inputs) = (args.run.output.as_deref(), &args.run.inputs);
    if args.format == To::Jsonl {
        // Records are serialized on the worker threads: the main thread only
        // copies bytes, which is what lets annotate scale with threads.
        return run::run(&args.run, "spans", Output::open(output, inputs)?, |document| {
            let (record, tally) = annotate(document, &tokenizer, &matcher, args)?;
            let mut bytes = Vec::new();
            record.write_json_line(args.offsets, &mut bytes).map_err(|err| {
                Error::at(document.location.clone(), ErrorKind::Exporter(Box::new(err)))
            })?;
            Ok(Processed { item: bytes, tally })
        });
    }
    let options = FormatOptions {
        to: args.format,
        unit: args.offsets,
        // The matcher's spans start and end on tokens (its invariant), so a
        // misaligned one is a bug to report, never something to adjust.
        misaligned: Misaligned::Error,
        doccano_layout: Default::default(),
    };
    let writer = FormatWriter::open(&options, output, inputs)?;
    run::run(&args.run, "spans", writer, |document| {
        let (record, tally) = annotate(document, &tokenizer, &matcher, args)?;
        Ok(Processed { item: record, tally })
    })
}

fn build_matcher(args: &Args) -> Result<Matcher, Error> {
    let mut gazetteers = Vec::new();
    if !args.no_default_gazetteer {
        let default = Gazetteer::embedded_default().map_err(gazetteer_error)?;
        gazetteers.push(Arc::new(default));
    }
    for path in &args.gazetteers {
        gazetteers.push(Arc::new(load_gazetteer(path)?));
    }
    if gazetteers.is_empty() {
        return Err(Error::usage(
            "no gazetteer to match: --no-default-gazetteer needs at least one -g PATH",
        ));
    }
    if let Some(wanted) = &args.labels {
        check_labels(wanted, &gazetteers)?;
    }
    Ok(MatcherBuilder::new().overlaps(args.overlaps).aliases(!args.no_aliases).build(gazetteers))
}

/// Refuses a `--labels` list that would silently keep nothing of what it names: an
/// empty label (`--labels ''`, `PERSON,,ORG`) or one no gazetteer has (a typo, the
/// wrong case). The message lists the labels the gazetteers have.
fn check_labels(wanted: &[String], gazetteers: &[Arc<Gazetteer>]) -> Result<(), Error> {
    let known: std::collections::BTreeSet<String> =
        gazetteers.iter().flat_map(|gazetteer| gazetteer.stats().labels.into_keys()).collect();
    let listed = || known.iter().map(|label| format!("{label:?}")).collect::<Vec<_>>().join(", ");
    for label in wanted {
        if label.trim().is_empty() {
            return Err(Error::usage(format!(
                "--labels: an empty label {label:?} — list labels separated by commas, e.g. \
                 --labels PERSON,ORG; the gazetteers have {}",
                listed()
            )));
        }
        if !known.contains(label) {
            let same_but_case = known.iter().find(|known| known.eq_ignore_ascii_case(label));
            let hint = match same_but_case {
                Some(known) => format!("labels are case-sensitive: did you mean {known:?}? "),
                None => String::new(),
            };
            return Err(Error::usage(format!(
                "--labels: no gazetteer has the label {label:?}, so it would keep no span — \
                 {hint}the gazetteers have {}",
                listed()
            )));
        }
    }
    Ok(())
}

/// Loads a gazetteer named with `-g`, warning about what `rubric gazetteer check`
/// would report in detail (duplicates, label conflicts).
fn load_gazetteer(path: &Path) -> Result<Gazetteer, Error> {
    let is_compiled = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case(COMPILED_EXTENSION));
    let gazetteer = if is_compiled {
        Gazetteer::load_compiled(path)
    } else {
        GazetteerBuilder::new().add_path(path).and_then(|builder| builder.build())
    }
    .map_err(gazetteer_error)?;
    // A compiled file is loaded as it is; one that names nothing is refused like
    // an empty source (`GazetteerBuilder::add_path`).
    if gazetteer.is_empty() {
        let kind = rubric_gazetteer::ErrorKind::EmptySource;
        return Err(gazetteer_error(rubric_gazetteer::Error::in_file(
            kind,
            path.display().to_string(),
        )));
    }
    let diagnostics = gazetteer.diagnostics().len();
    if diagnostics > 0 {
        run::warn(&format!(
            "{}: {diagnostics} duplicate or conflicting entries — `rubric gazetteer check {}` \
             lists them",
            path.display(),
            path.display()
        ));
    }
    Ok(gazetteer)
}

/// The gazetteer's errors name their file (and line) themselves.
fn gazetteer_error(err: rubric_gazetteer::Error) -> Error {
    Error { kind: ErrorKind::Gazetteer(Box::new(err)), location: None }
}

/// One document's record, and its spans counted by label for the summary.
fn annotate(
    document: &Document,
    tokenizer: &Tokenizer,
    matcher: &Matcher,
    args: &Args,
) -> Result<(Record, Vec<(String, u64)>), Error> {
    let text = document.text.as_str();
    let Annotated { record, matches } = rubric_annotate::annotate(
        &document.id,
        text,
        tokenizer,
        matcher,
        args.labels.as_deref(),
    )
    .map_err(|err| Error::at(document.location.clone(), ErrorKind::Exporter(Box::new(err))))?;
    let mut tally: Vec<(String, u64)> = Vec::new();
    for span in &matches.spans {
        match tally.iter_mut().find(|(label, _)| *label == span.label) {
            Some((_, n)) => *n += 1,
            None => tally.push((span.label.clone(), 1)),
        }
    }
    let (meta, exact_meta) = record_meta(document)?;
    let mut record = record.with_meta(meta).with_exact_meta(exact_meta);
    if args.explain {
        let explain = explain(text, &matches.dropped, args.offsets)
            .map_err(|err| Error::at(document.location.clone(), ErrorKind::BadTokenOffset(err)))?;
        record.meta_mut().insert("explain".to_string(), explain);
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
        return Err(collision("offsets".into()));
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
