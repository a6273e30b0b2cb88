//! `rubric gazetteer compile|check|stats`: build, lint and count dictionaries.

use std::path::PathBuf;

use rubric_gazetteer::{
    Diagnostic, DiagnosticKind, EngineKind, Gazetteer, GazetteerBuilder, Stats,
};
use rubric_tokenizer::Tokenizer;
use serde::Serialize;

use crate::error::{Error, ErrorKind, Location};
use crate::output::{check_paths, AtomicFile, Output, OutputKind};
use crate::run::Status;

const EXAMPLES: &str = "\
Examples:
  rubric gazetteer compile people.tsv places.tsv patterns.jsonl -o news.rgz
  rubric gazetteer check people.tsv places.tsv
  rubric gazetteer stats news.rgz
  rubric gazetteer check --default

Sources: *.tsv or *.txt (pattern<TAB>label[<TAB>id[<TAB>priority[<TAB>case]]], `#`
comments), *.jsonl (spaCy EntityRuler patterns), *.rgz (compiled gazetteers; a compiled
file is also known by its first bytes, whatever its name).";

/// `rubric gazetteer`'s subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Build a compiled gazetteer (`.rgz`) from sources; it loads in a fraction of
    /// the time.
    Compile(CompileArgs),
    /// Report duplicate entries, label and id conflicts, and patterns that can
    /// never match, one JSON line each.
    Check(SourceArgs),
    /// Count entries per label, as one JSON line.
    Stats(SourceArgs),
}

/// Arguments of `rubric gazetteer`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// The sources and how to read them.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct SourceArgs {
    /// Gazetteer sources: *.tsv, *.txt, *.jsonl or compiled *.rgz.
    #[arg(value_name = "SRC", required_unless_present = "default")]
    sources: Vec<PathBuf>,

    /// Include the default gazetteer built into rubric
    /// (corpus/gazetteer/default.tsv).
    #[arg(long)]
    default: bool,

    /// Allowed labels, comma-separated (e.g. PERSON,ORG,GPE); an entry with
    /// another label is an error. Default: any label.
    #[arg(long, value_name = "LABELS", value_delimiter = ',')]
    labels: Option<Vec<String>>,

    /// Fold diacritics when matching (`Müller` matches `Muller`).
    #[arg(long)]
    diacritics: bool,
}

/// Arguments of `rubric gazetteer compile`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct CompileArgs {
    #[command(flatten)]
    sources: SourceArgs,

    /// Where to write the compiled gazetteer (replaced atomically).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    /// The automaton: `double-array` (default; stored in the file, loads
    /// fast) or `aho-corasick` (rebuilt on every load).
    #[arg(long, value_name = "ENGINE", default_value = "double-array")]
    engine: EngineKind,
}

/// Runs `rubric gazetteer ...`.
pub fn run(args: &Args) -> Result<Status, Error> {
    let mut out = Output::stdout()?;
    match &args.command {
        Command::Compile(args) => compile(args, &mut out),
        Command::Check(args) => check(args, &mut out),
        Command::Stats(args) => stats(args, &mut out),
    }?;
    out.finish()?;
    Ok(Status::Complete)
}

fn build(args: &SourceArgs, engine: EngineKind) -> Result<Gazetteer, Error> {
    let mut builder = GazetteerBuilder::new();
    builder.labels(args.labels.clone()).engine(engine);
    // Without the flag, a compiled source keeps the folding it was built with
    // (the builder takes it from the file); with it, everything is folded.
    if args.diacritics {
        builder.diacritics(true);
    }
    if args.default {
        builder
            .add_tsv_reader(
                rubric_gazetteer::DEFAULT_NAME,
                rubric_gazetteer::DEFAULT_TSV.as_bytes(),
            )
            .map_err(gazetteer_error)?;
        // The default's token patterns (corpus/gazetteer/rules.jsonl, when it
        // exists) are only in the embedded compiled form.
        let default = Gazetteer::embedded_default().map_err(gazetteer_error)?;
        if default.token_pattern_count() > 0 {
            builder.add_token_rules_of(&default).map_err(gazetteer_error)?;
        }
    }
    for source in &args.sources {
        builder.add_path(source).map_err(gazetteer_error)?;
    }
    builder.into_gazetteer().map_err(gazetteer_error)
}

fn gazetteer_error(err: rubric_gazetteer::Error) -> Error {
    Error { kind: ErrorKind::Gazetteer(Box::new(err)), location: None }
}

/// One output line of `rubric gazetteer compile`.
#[derive(Debug, Serialize)]
struct Compiled<'a> {
    output: String,
    entries: usize,
    patterns: usize,
    #[serde(skip_serializing_if = "is_zero")]
    token_patterns: usize,
    #[serde(skip_serializing_if = "is_zero")]
    lexicons: usize,
    diagnostics: usize,
    labels: &'a std::collections::BTreeMap<String, usize>,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

fn compile(args: &CompileArgs, out: &mut Output) -> Result<(), Error> {
    // A compiled file named as one of its own sources would be overwritten by
    // itself: refused before anything is read.
    let sources = &args.sources.sources;
    let lexicons = sources.iter().flat_map(|path| rubric_gazetteer::lexicon_files(path));
    let inputs: Vec<std::path::PathBuf> = sources.iter().cloned().chain(lexicons).collect();
    check_paths(&[(args.output.as_path(), OutputKind::File)], &inputs)?;
    let gazetteer = build(&args.sources, args.engine)?;
    // Written beside the target and renamed into place, so a reader never sees
    // half a gazetteer and a failed compile leaves the old file.
    let mut file = AtomicFile::new(&args.output)?;
    gazetteer.write_compiled(file.writer()).map_err(|err| {
        let at = Location::source(args.output.display().to_string());
        Error::at(at, ErrorKind::Gazetteer(Box::new(err)))
    })?;
    file.persist()?;
    let stats = gazetteer.stats();
    let mut line = Vec::new();
    Output::serialize_into(
        &mut line,
        &Compiled {
            output: args.output.display().to_string(),
            entries: stats.entries,
            patterns: stats.patterns,
            token_patterns: stats.token_patterns,
            lexicons: stats.lexicons,
            diagnostics: gazetteer.diagnostics().len(),
            labels: &stats.labels,
        },
    )?;
    out.write_bytes(&line)
}

/// One output line of `rubric gazetteer check`: a diagnostic.
#[derive(Debug, Serialize)]
struct DiagnosticRecord<'a> {
    origin: String,
    pattern: &'a str,
    label: &'a str,
    #[serde(flatten)]
    kind: &'a DiagnosticKind,
    message: String,
}

fn check(args: &SourceArgs, out: &mut Output) -> Result<(), Error> {
    let gazetteer = build(args, EngineKind::default())?;
    let mut diagnostics: Vec<Diagnostic> = gazetteer.diagnostics().to_vec();
    diagnostics.extend(gazetteer.boundary_diagnostics(&Tokenizer::new()));
    diagnostics.sort_by(|a, b| a.origin.cmp(&b.origin));
    let mut lines = Vec::new();
    for diagnostic in &diagnostics {
        Output::serialize_into(
            &mut lines,
            &DiagnosticRecord {
                origin: diagnostic.origin.to_string(),
                pattern: &diagnostic.pattern,
                label: &diagnostic.label,
                kind: &diagnostic.kind,
                message: diagnostic.to_string(),
            },
        )?;
    }
    out.write_bytes(&lines)
}

/// One output line of `rubric gazetteer stats`.
#[derive(Debug, Serialize)]
struct StatsRecord<'a> {
    sources: Vec<String>,
    #[serde(flatten)]
    stats: &'a Stats,
}

fn stats(args: &SourceArgs, out: &mut Output) -> Result<(), Error> {
    let gazetteer = build(args, EngineKind::default())?;
    let stats = gazetteer.stats();
    let record = StatsRecord {
        sources: args
            .default
            .then(|| rubric_gazetteer::DEFAULT_NAME.to_string())
            .into_iter()
            .chain(args.sources.iter().map(|path| path.display().to_string()))
            .collect(),
        stats: &stats,
    };
    let mut line = Vec::new();
    Output::serialize_into(&mut line, &record)?;
    out.write_bytes(&line)
}
