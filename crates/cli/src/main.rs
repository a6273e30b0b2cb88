//! The `rubric` command: raw text in, span-annotated NER training data out.
//!
//! Every subcommand that reads documents runs through [`run::run`], which reads
//! them with [`input::Documents`], works on them in parallel in input order
//! ([`pipeline`]), writes to an [`output::Output`] and accounts for every document;
//! every failure is an [`error::Error`], and `main` is the one place that turns an
//! error into a message and an exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod annotate;
mod convert;
mod diff;
mod error;
mod formats;
mod gazetteer;
mod input;
mod output;
mod pipeline;
mod run;
mod show;
mod tokenize;
mod validate;

use crate::error::Error;
use crate::run::Status;

/// Exit code for any failure. It matches clap's exit code for a usage error, so
/// scripts need to check only one non-zero value.
const EXIT_FAILURE: u8 = 2;
/// Exit code when `--keep-going` skipped documents (each was reported).
const EXIT_SKIPPED: u8 = 1;
/// Exit code when `rubric diff`'s score is below `--fail-under`.
const EXIT_BELOW_THRESHOLD: u8 = 1;
/// Exit code when `rubric validate` found a problem (each was reported).
const EXIT_INVALID: u8 = 1;

/// Turn raw text into span-annotated NER training data.
#[derive(Debug, Parser)]
#[command(name = "rubric", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Find names, organizations and places in documents and write them as
    /// span-annotated records: the main job.
    Annotate(annotate::Args),
    /// Split documents into tokens, with offsets in the unit you choose.
    Tokenize(tokenize::Args),
    /// Convert records to and from CoNLL, brat, doccano, Hugging Face and spaCy.
    Convert(convert::Args),
    /// Build, check and count gazetteers (dictionaries of names).
    Gazetteer(gazetteer::Args),
    /// Compare annotations: scores under nervaluate's schemas and the disagreements.
    Diff(diff::Args),
    /// Check record files against the schema and the format's invariants; report
    /// every problem.
    Validate(validate::Args),
    /// Show annotated documents for reading: entities highlighted by label on a
    /// terminal, in brackets elsewhere.
    Show(show::Args),
}

impl Command {
    fn run(&self) -> Result<Status, Error> {
        match self {
            Command::Annotate(args) => annotate::run(args),
            Command::Tokenize(args) => tokenize::run(args),
            Command::Convert(args) => convert::run(args),
            Command::Gazetteer(args) => gazetteer::run(args),
            Command::Diff(args) => diff::run(args),
            Command::Validate(args) => validate::run(args),
            Command::Show(args) => show::run(args),
        }
    }
}

/// The last panic's message and location, kept by the panic hook for `main`'s
/// report.
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Runs the command with panics caught: a panic on any worker thread reaches this
/// thread through rayon's scope, and unwinding drops the output, which removes an
/// unfinished `-o` file. The default hook's "thread panicked" spew is replaced by
/// one `internal error` line that says what to do.
fn run_catching_panics(command: &Command) -> Result<Status, Error> {
    std::panic::set_hook(Box::new(|info| {
        let message = match (
            info.payload().downcast_ref::<&str>(),
            info.payload().downcast_ref::<String>(),
        ) {
            (Some(message), _) => (*message).to_string(),
            (_, Some(message)) => message.clone(),
            _ => "a panic without a message".to_string(),
        };
        let at = info.location().map_or(String::new(), |at| format!(" at {at}"));
        if let Ok(mut last) = LAST_PANIC.lock() {
            last.get_or_insert(format!("rubric panicked{at}: {message}"));
        }
    }));
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| command.run())).unwrap_or_else(|_| {
        let what = LAST_PANIC
            .lock()
            .ok()
            .and_then(|mut last| last.take())
            .unwrap_or_else(|| "rubric panicked".to_string());
        Err(Error::panic(what))
    })
}

fn main() -> ExitCode {
    // Usage errors exit through clap, with its message and exit code 2.
    let cli = Cli::parse();
    match run_catching_panics(&cli.command) {
        Ok(Status::Complete) => ExitCode::SUCCESS,
        Ok(Status::Skipped) => ExitCode::from(EXIT_SKIPPED),
        Ok(Status::BelowThreshold) => ExitCode::from(EXIT_BELOW_THRESHOLD),
        Ok(Status::Invalid) => ExitCode::from(EXIT_INVALID),
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            // `eprintln!` panics if stderr is closed; there is nobody left to tell
            // then, so a failed write is ignored.
            run::stderr_line(&format!("error: {err}"));
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
