//! JSON Lines on standard output: the one writer every subcommand uses.

use std::io::{self, BufWriter, StdoutLock, Write};

use serde::Serialize;

use crate::error::Error;

/// Writes one JSON object per line to standard output, buffered.
///
/// Standard output is locked once for the whole run and wrapped in a `BufWriter`:
/// `println!` would lock and, on a terminal, flush on every line, which costs more
/// than tokenizing. The caller must call [`JsonLinesWriter::flush`] at the end;
/// dropping the writer would swallow a failed final write.
#[derive(Debug)]
pub struct JsonLinesWriter {
    out: BufWriter<StdoutLock<'static>>,
    /// One serialized record, reused: serializing into memory first means an I/O
    /// error surfaces as the `io::Error` it is, and no half record is written.
    line: Vec<u8>,
}

impl JsonLinesWriter {
    /// A writer on standard output.
    pub fn stdout() -> Self {
        JsonLinesWriter { out: BufWriter::new(io::stdout().lock()), line: Vec::new() }
    }

    /// Writes `record` as one line of JSON.
    pub fn write<T: Serialize>(&mut self, record: &T) -> Result<(), Error> {
        self.line.clear();
        // Serializing our own record types into a `Vec` cannot fail (no maps with
        // non-string keys, no I/O); if it ever did, report it like a write error.
        serde_json::to_writer(&mut self.line, record)
            .map_err(|err| Error::write(io::Error::other(err)))?;
        self.line.push(b'\n');
        self.out.write_all(&self.line).map_err(Error::write)
    }

    /// Writes out everything buffered.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(Error::write)
    }
}
