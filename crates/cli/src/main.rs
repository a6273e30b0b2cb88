//! The `rubric` command: raw text in, span-annotated NER training data out.
//!
//! Every subcommand reads its documents through [`input::Documents`], writes JSON
//! Lines through [`output::JsonLinesWriter`] and reports failure as an
//! [`error::Error`]; `main` is the one place that turns an error into a message and
//! an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod diff;
mod error;
mod input;
mod output;
mod pipeline;
mod tokenize;

use crate::error::Error;
use crate::output::JsonLinesWriter;

/// Exit code for any failure. It matches clap's exit code for a usage error, so
/// scripts need to check only one non-zero value.
const EXIT_FAILURE: u8 = 2;

/// Turn raw text into span-annotated NER training data.
#[derive(Debug, Parser)]
#[command(name = "rubric", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Split documents into tokens, with offsets in the unit you choose.
    Tokenize(tokenize::Args),
    /// Compare annotations: scores under nervaluate's schemas and the disagreements.
    Diff(diff::Args),
}

impl Command {
    fn run(&self, out: &mut JsonLinesWriter) -> Result<(), Error> {
        match self {
            Command::Tokenize(args) => tokenize::run(args, out),
            Command::Diff(_) => Err(Error {
                kind: error::ErrorKind::Internal("`rubric diff` runs from main".to_string()),
                location: None,
            }),
        }
    }
}

fn main() -> ExitCode {
    // Usage errors exit through clap, with its message and exit code 2.
    let cli = Cli::parse();
    // `rubric diff` writes a report, not JSON Lines, and has an exit code of its own.
    if let Command::Diff(args) = &cli.command {
        return diff::main(args);
    }
    let mut out = JsonLinesWriter::stdout();
    let result = cli.command.run(&mut out);
    // Flush even after an error: the documents before it were processed and their
    // output belongs on stdout, ahead of the message on stderr.
    let flushed = out.flush();
    match result.and(flushed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            // `eprintln!` panics if stderr is closed; there is nobody left to tell
            // then, so a failed write is ignored.
            let _ = writeln!(std::io::stderr().lock(), "error: {err}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
