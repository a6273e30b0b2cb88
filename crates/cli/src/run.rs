//! One run of a document-processing subcommand (`annotate`, `tokenize`): the
//! options they share, and the loop that reads documents, hands them to the
//! subcommand's work on the worker threads, writes the results in input order,
//! and accounts for every document.
//!
//! **Invariant:** every document read is either written or reported as an error:
//! `read = written + skipped`, and the summary line says so.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rubric_offsets::OffsetUnit;
use serde::Serialize;

use crate::error::{Error, ErrorKind, Location};
use crate::input::{Document, Documents};
use crate::output::{check_paths, AtomicFile, Output, OutputKind};
use crate::pipeline;

/// The options every subcommand that reads documents shares.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Inputs: *.txt files (one document each), *.jsonl files (one document per
    /// line), either gzipped (*.gz), directories (walked in sorted order), or `-`
    /// (the default) for JSON Lines on standard input.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Write to FILE instead of standard output. The file is replaced atomically
    /// when the run succeeds and left as it was if it fails.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Worker threads (default: one per core). Output order is input order.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Skip documents that cannot be read or processed instead of stopping at the
    /// first; each is reported (see --errors) and the exit code is 1.
    #[arg(long)]
    pub keep_going: bool,

    /// With --keep-going: write one JSON line per skipped document to FILE
    /// (default: standard error).
    #[arg(long, value_name = "FILE", requires = "keep_going")]
    pub errors: Option<PathBuf>,

    /// Treat a duplicate document id as an error (default: a warning).
    #[arg(long)]
    pub strict: bool,

    /// No progress bar and no summary line; warnings and errors are still shown.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// The most worker threads `--threads` may ask for, for `cores` cores: four per
/// core, at least 16, at most 1024. More threads than cores only add overhead, and
/// tens of thousands exhaust memory or the process's thread limit (an abort, not
/// an error, inside the thread library).
pub fn max_threads(cores: usize) -> usize {
    cores.saturating_mul(4).clamp(16, 1024)
}

impl RunArgs {
    fn threads(&self) -> Result<usize, Error> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let Some(threads) = self.threads else { return Ok(cores) };
        let limit = max_threads(cores);
        if threads == 0 {
            return Err(Error::usage(
                "--threads 0: at least one worker thread is needed — pass a number from 1 up, or \
                 leave --threads out for one per core",
            ));
        }
        if threads > limit {
            return Err(Error::usage(format!(
                "--threads {threads} is more than rubric starts on this machine ({limit}: four \
                 per core, at least 16, at most 1024) — more threads than cores only add \
                 overhead; pass at most {limit}, or leave --threads out for one per core ({cores})"
            )));
        }
        Ok(threads)
    }
}

/// clap's parser for `--offsets`: the unit names (listed in `--help`), parsed once.
pub fn offset_unit_parser() -> impl clap::builder::TypedValueParser<Value = OffsetUnit> {
    use clap::builder::{PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(["byte", "char", "utf16"]).try_map(|unit| unit.parse::<OffsetUnit>())
}

/// What the work made of one document: what to write (serialized bytes, or a
/// record for a format writer), and what to count for the summary (e.g. spans by
/// label).
#[derive(Debug, Default)]
pub struct Processed<T> {
    /// What goes to the sink.
    pub item: T,
    /// Counts for the summary, by kind (a label, or "tokens").
    pub tally: Vec<(String, u64)>,
}

/// Where a run's results go, in input order, on the calling thread.
pub trait Sink<T> {
    /// Takes one document's result.
    fn write(&mut self, item: T) -> Result<(), Error>;
    /// Puts the output in place; not called when the run failed.
    fn finish(self) -> Result<(), Error>;
    /// Every path it writes (none for standard output), to check against the
    /// run's other outputs.
    fn paths(&self) -> Vec<(PathBuf, OutputKind)>;
}

/// Lines serialized on the worker threads go straight to the output.
impl Sink<Vec<u8>> for Output {
    fn write(&mut self, bytes: Vec<u8>) -> Result<(), Error> {
        self.write_bytes(&bytes)
    }

    fn finish(self) -> Result<(), Error> {
        Output::finish(self)
    }

    fn paths(&self) -> Vec<(PathBuf, OutputKind)> {
        self.path().map(|path| (path.to_path_buf(), OutputKind::File)).into_iter().collect()
    }
}

/// How a run ended that did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every document was written.
    Complete,
    /// `--keep-going` skipped some documents; they were reported.
    Skipped,
    /// `rubric diff --fail-under`: the score is below the threshold.
    BelowThreshold,
    /// `rubric validate`: some records are not valid; each problem was reported.
    Invalid,
}

/// Runs `work` over the documents of `args.inputs` and hands what it makes, in
/// input order, to `sink`. `noun` names what the tally counts in the summary
/// ("spans", "tokens").
pub fn run<T, W, K>(args: &RunArgs, noun: &str, mut sink: K, work: W) -> Result<Status, Error>
where
    T: Send,
    W: Fn(&Document) -> Result<Processed<T>, Error> + Sync,
    K: Sink<T>,
{
    let started = Instant::now();
    let threads = args.threads()?;
    let mut outputs = sink.paths();
    if let Some(errors) = &args.errors {
        outputs.push((errors.clone(), OutputKind::File));
    }
    let checked: Vec<(&std::path::Path, OutputKind)> =
        outputs.iter().map(|(path, kind)| (path.as_path(), *kind)).collect();
    check_paths(&checked, &args.inputs)?;
    let mut errors = ErrorSink::open(args.errors.as_ref())?;
    let progress = Progress::new(args);
    let mut ids = SeenIds::default();
    let mut counts = Counts::default();

    let documents = Documents::new(&args.inputs, warn);
    let result = pipeline::run(documents, threads, work, |outcome| {
        counts.read += 1;
        let processed = outcome.and_then(|(document, processed)| {
            progress.advance(&document);
            counts.text_bytes += document.text.len() as u64;
            if ids.is_repeat(&document.id) {
                let error = Error::at(
                    document.location.clone(),
                    ErrorKind::DuplicateId { id: document.id.clone() },
                );
                if args.strict {
                    return Err(error);
                }
                progress.suspend(|| warn(&error.to_string()));
            }
            processed.map(|processed| (document.location, processed))
        });
        match processed {
            Ok((location, processed)) => {
                // An error about this document from the sink (two ids that make one
                // brat file name) is named by where the document was read; one
                // about the output itself (a full disk) is not the document's.
                sink.write(processed.item).map_err(|mut error| {
                    if error.location.is_none() && error.is_skippable() {
                        error.location = Some(location);
                    }
                    error
                })?;
                counts.written += 1;
                for (kind, n) in processed.tally {
                    *counts.tally.entry(kind).or_default() += n;
                }
                Ok(())
            }
            Err(error) if args.keep_going && error.is_skippable() => {
                counts.skipped += 1;
                progress.suspend(|| errors.report(&error))
            }
            Err(error) => Err(error),
        }
    });
    progress.finish();
    // The report of what was skipped is put in place even when the run then
    // failed: those documents were skipped, and the report says which.
    let reported = errors.finish();
    result?;
    reported?;
    sink.finish()?;
    if !args.quiet {
        let summary = counts.summary(noun, started.elapsed(), args.errors.as_ref());
        warn_raw(&summary);
    }
    Ok(if counts.skipped > 0 { Status::Skipped } else { Status::Complete })
}

/// Prints a warning on standard error.
pub fn warn(message: &str) {
    warn_raw(&format!("warning: {message}"));
}

fn warn_raw(line: &str) {
    stderr_line(line);
}

/// Writes one line on standard error, every terminal control character in it
/// escaped (`\u{1b}`): a line may quote a file name, an id or a label from the
/// input, and escaping here, where every message leaves, spares each caller the
/// chance to forget (escaping is idempotent: an escape holds no control).
pub fn stderr_line(line: &str) {
    // Standard error closed: nobody left to tell.
    let _ = writeln!(io::stderr().lock(), "{}", rubric_exporter::escape_controls(line));
}

/// The document ids seen so far, as 64-bit hashes: 8 bytes a document, so that a
/// corpus of a hundred million documents still fits. A collision between two
/// different ids (about one in 10^19 per pair) would only cause a false warning.
#[derive(Debug, Default)]
pub struct SeenIds(HashSet<u64>);

impl SeenIds {
    /// Whether `id` was seen before (and notes it).
    pub fn is_repeat(&mut self, id: &str) -> bool {
        let mut hasher = DefaultHasher::new();
        id.hash(&mut hasher);
        !self.0.insert(hasher.finish())
    }
}

#[derive(Default)]
struct Counts {
    read: u64,
    written: u64,
    skipped: u64,
    text_bytes: u64,
    tally: BTreeMap<String, u64>,
}

impl Counts {
    fn summary(&self, noun: &str, elapsed: Duration, errors: Option<&PathBuf>) -> String {
        let total: u64 = self.tally.values().sum();
        let mut line = format!(
            "rubric: {} read, {} written, {} skipped",
            plural(self.read, "document"),
            self.written,
            self.skipped
        );
        if self.skipped > 0 {
            let whereto = errors.map_or("standard error".to_string(), |p| p.display().to_string());
            line.push_str(&format!(" (reported to {whereto})"));
        }
        line.push_str(&format!("; {total} {noun}"));
        // Labels come from the gazetteers, which may hold anything but white space.
        let by_kind: Vec<String> = self
            .tally
            .iter()
            .map(|(k, n)| format!("{} {n}", rubric_exporter::escape_controls(k)))
            .collect();
        if self.tally.len() > 1 || self.tally.keys().any(|k| k != noun) {
            line.push_str(&format!(" ({})", by_kind.join(", ")));
        }
        let seconds = elapsed.as_secs_f64();
        let rate = self.text_bytes as f64 / 1e6 / seconds.max(1e-9);
        line.push_str(&format!("; {seconds:.2} s, {rate:.1} MB/s of text"));
        line
    }
}

fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Where `--keep-going` reports the documents it skipped: one JSON object per line.
enum ErrorSink {
    Stderr,
    /// Written under the one policy for every output (see `output`): atomically,
    /// or in place for a device or a FIFO.
    File(AtomicFile),
}

/// One line of an `--errors` report.
#[derive(Serialize)]
struct ErrorLine<'a> {
    source: Option<&'a str>,
    line: Option<u64>,
    column: Option<u64>,
    kind: &'static str,
    message: String,
}

impl ErrorSink {
    fn open(path: Option<&PathBuf>) -> Result<Self, Error> {
        let Some(path) = path else { return Ok(ErrorSink::Stderr) };
        Ok(ErrorSink::File(AtomicFile::new(path)?))
    }

    fn report(&mut self, error: &Error) -> Result<(), Error> {
        let location = error.location.as_ref();
        let line = ErrorLine {
            source: location.map(|l| l.source.as_str()),
            line: location.and_then(|l| l.line),
            column: location.and_then(|l| l.column),
            kind: error.kind_name(),
            // The location has fields of its own.
            message: message_without_location(error),
        };
        let mut bytes = Vec::new();
        Output::serialize_into(&mut bytes, &line)?;
        match self {
            ErrorSink::Stderr => io::stderr().lock().write_all(&bytes).map_err(Error::write),
            ErrorSink::File(file) => {
                let at = Location::source(file.path().display().to_string());
                file.writer().write_all(&bytes).map_err(|err| Error::at(at, ErrorKind::Write(err)))
            }
        }
    }

    fn finish(self) -> Result<(), Error> {
        match self {
            ErrorSink::Stderr => Ok(()),
            ErrorSink::File(file) => file.persist(),
        }
    }
}

/// The progress bar: on standard error when it is a terminal, standard output is
/// not, and `--quiet` is not given; hidden otherwise. Output written to the
/// terminal the bar is drawn on (annotate's view, JSON Lines with `--format
/// jsonl`) would be garbled by its redraws, which clear the lines it thinks are
/// its own.
struct Progress {
    bar: ProgressBar,
    documents: std::cell::Cell<u64>,
}

impl Progress {
    fn new(args: &RunArgs) -> Self {
        let visible = !args.quiet && io::stderr().is_terminal() && !io::stdout().is_terminal();
        let target =
            if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = match total_input_bytes(&args.inputs) {
            Some(total) => ProgressBar::with_draw_target(Some(total), target).with_style(
                ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::with_draw_target(None, target).with_style(
                ProgressStyle::with_template("{spinner} {bytes} {binary_bytes_per_sec} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar, documents: std::cell::Cell::new(0) }
    }

    fn advance(&self, document: &Document) {
        self.bar.inc(document.input_bytes);
        self.documents.set(self.documents.get() + 1);
        self.bar.set_message(plural(self.documents.get(), "document"));
    }

    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The size of the inputs when it is known up front: every input a plain file
/// (not standard input, not compressed, not a directory).
fn total_input_bytes(inputs: &[PathBuf]) -> Option<u64> {
    let mut total = 0;
    for input in inputs {
        let is_gzip = input.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        let metadata = std::fs::metadata(input).ok()?;
        if input.as_os_str() == "-" || is_gzip || !metadata.is_file() {
            return None;
        }
        total += metadata.len();
    }
    (!inputs.is_empty()).then_some(total)
}

/// An error's message without its location (for reports that give the location
/// fields of their own).
pub fn message_without_location(error: &Error) -> String {
    let full = error.to_string();
    match &error.location {
        Some(location) => {
            full.strip_prefix(&format!("{location}: ")).map_or(full.clone(), str::to_string)
        }
        None => full,
    }
}
