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
}

impl JsonLinesWriter {
    /// A writer on standard output.
    pub fn stdout() -> Self {
        JsonLinesWriter { out: BufWriter::new(io::stdout().lock()) }
    }

    /// Writes lines already serialized elsewhere (by a worker thread), which must
    /// end with a newline.
    pub fn write_lines(&mut self, lines: &[u8]) -> Result<(), Error> {
        self.out.write_all(lines).map_err(Error::write)
    }

    /// Serializes `record` as one line of JSON into `buffer`, for
    /// [`JsonLinesWriter::write_lines`]. Serializing into memory first (on a worker
    /// thread) means an I/O error surfaces as the `io::Error` it is, and no half
    /// record is ever written.
    pub fn serialize_into<T: Serialize>(buffer: &mut Vec<u8>, record: &T) -> Result<(), Error> {
        // Serializing our own record types into a `Vec` cannot fail (no maps with
        // non-string keys, no I/O); if it ever did, report it like a write error.
        serde_json::to_writer(&mut *buffer, record)
            .map_err(|err| Error::write(io::Error::other(err)))?;
        buffer.push(b'\n');
        Ok(())
    }

    /// Writes out everything buffered.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(Error::write)
    }
}
