//! Where a subcommand's output goes: standard output, or a file written atomically.
//!
//! A file named with `-o` is never written in place. rubric writes a hidden
//! temporary file in the same directory and renames it over the target only after
//! the last byte was written and flushed, so the target is either the previous file
//! (on any error, on Ctrl-C, on `kill`) or the whole new one, never a partial one.
//! The rename is atomic because both names are in one directory (one file system).
//! On SIGINT, SIGTERM or SIGHUP the temporary file is removed before the process
//! exits; only SIGKILL, which no program can catch, can leave one behind, and it is
//! hidden (`.rubric-*.tmp`) and never the target's name.

use std::fs;
use std::io::{self, BufWriter, StdoutLock, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use serde::Serialize;
use tempfile::NamedTempFile;

use crate::error::{Error, ErrorKind, Location};

/// Temporary files not yet moved into place, for the signal handler to remove. A
/// path may outlive its file (an output dropped on error); removing it again is
/// harmless.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// Exit code after an interruption, as shells report SIGINT (128 + 2).
const EXIT_INTERRUPTED: i32 = 130;

/// The output of one run.
#[derive(Debug)]
///
/// Dropped without [`Output::finish`] (when a run fails), standard output is still
/// flushed (`BufWriter` does it on drop: the records before the error belong on
/// stdout, ahead of the message on stderr) and a file's temporary is removed
/// (`NamedTempFile` does it on drop), leaving the target as it was.
pub struct Output {
    target: Target,
}

#[derive(Debug)]
enum Target {
    Stdout(BufWriter<StdoutLock<'static>>),
    File(AtomicFile),
}

impl Output {
    /// Standard output, locked once for the whole run and buffered: `println!`
    /// would lock and, on a terminal, flush on every line, which costs more than
    /// tokenizing.
    pub fn stdout() -> Self {
        Output { target: Target::Stdout(BufWriter::new(io::stdout().lock())) }
    }

    /// `path` when given (written atomically, see the module docs), else standard
    /// output. Refuses a path that is one of `inputs` or lies inside an input
    /// directory, where it would be read back as input.
    pub fn open(path: Option<&Path>, inputs: &[PathBuf]) -> Result<Self, Error> {
        match path {
            None => Ok(Output::stdout()),
            Some(path) if path.as_os_str() == "-" => Ok(Output::stdout()),
            Some(path) => {
                refuse_input(path, inputs)?;
                Ok(Output { target: Target::File(AtomicFile::new(path)?) })
            }
        }
    }

    /// Writes bytes already serialized elsewhere (by a worker thread).
    pub fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        match &mut self.target {
            Target::Stdout(out) => out.write_all(bytes).map_err(Error::write),
            // Named by the target, not by the hidden temporary file the error is
            // about: that is the name the user gave.
            Target::File(file) => file.writer().write_all(bytes).map_err(|err| {
                Error::at(Location::source(file.path.display().to_string()), ErrorKind::Write(err))
            }),
        }
    }

    /// The output as a plain writer, for formats written by a library's own writer.
    pub fn writer(&mut self) -> &mut dyn Write {
        match &mut self.target {
            Target::Stdout(out) => out,
            Target::File(file) => file.writer(),
        }
    }

    /// Serializes `record` as one line of JSON into `buffer`. Serializing into
    /// memory first (on a worker thread) means no half record is ever written.
    pub fn serialize_into<T: Serialize>(buffer: &mut Vec<u8>, record: &T) -> Result<(), Error> {
        // Serializing our own record types into a `Vec` cannot fail (no maps with
        // non-string keys, no I/O); if it ever did, report it like a write error.
        serde_json::to_writer(&mut *buffer, record)
            .map_err(|err| Error::write(io::Error::other(err)))?;
        buffer.push(b'\n');
        Ok(())
    }

    /// Flushes standard output, or moves the finished file into place.
    pub fn finish(self) -> Result<(), Error> {
        match self.target {
            Target::Stdout(mut out) => out.flush().map_err(Error::write),
            Target::File(file) => file.persist(),
        }
    }
}

/// A file written in full or not at all: a temporary file in the target's
/// directory (so that the rename stays on one file system), renamed over the
/// target by [`AtomicFile::persist`]; dropped without it, it is deleted, and a
/// signal handler deletes it when the process is interrupted.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    file: BufWriter<NamedTempFile>,
}

impl AtomicFile {
    /// A temporary file beside `path`, to become `path` on [`AtomicFile::persist`].
    pub fn new(path: &Path) -> Result<Self, Error> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let at = || Location::source(path.display().to_string());
        if path.is_dir() {
            return Err(Error::at(at(), ErrorKind::OutputIsDirectory));
        }
        install_signal_handler();
        let mut builder = tempfile::Builder::new();
        builder.prefix(".rubric-").suffix(".tmp");
        // A temporary file is private (0600); the file it becomes should get the
        // permissions any new file gets (0666 less the umask), as `>` would give it.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let file = builder
            .tempfile_in(dir)
            .map_err(|err| Error::at(at(), ErrorKind::CreateOutput(err)))?;
        if let Ok(mut pending) = PENDING.lock() {
            pending.push(file.path().to_path_buf());
        }
        Ok(AtomicFile { path: path.to_path_buf(), file: BufWriter::with_capacity(1 << 16, file) })
    }

    /// Where to write.
    pub fn writer(&mut self) -> &mut BufWriter<NamedTempFile> {
        &mut self.file
    }

    /// Flushes and syncs the temporary file and renames it over the target.
    pub fn persist(self) -> Result<(), Error> {
        let at = || Location::source(self.path.display().to_string());
        let temporary = self.file.get_ref().path().to_path_buf();
        let result = (|| {
            let file = self.file.into_inner().map_err(|err| err.into_error())?;
            file.as_file().sync_all()?;
            file.persist(&self.path).map_err(|err| err.error)
        })();
        forget_pending(&temporary);
        result.map(drop).map_err(|err| Error::at(at(), ErrorKind::Write(err)))
    }
}

fn refuse_input(path: &Path, inputs: &[PathBuf]) -> Result<(), Error> {
    let output = absolute(path);
    for input in inputs.iter().filter(|input| input.as_os_str() != "-") {
        let input = absolute(input);
        if output == input || (input.is_dir() && output.starts_with(&input)) {
            return Err(Error::at(
                Location::source(path.display().to_string()),
                ErrorKind::OutputIsInput,
            ));
        }
    }
    Ok(())
}

/// The path with symbolic links resolved, as far as it exists: the output file
/// itself usually does not exist yet, its directory does.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(canonical) = fs::canonicalize(path) {
        return canonical;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
            fs::canonicalize(parent).map_or_else(|_| path.to_path_buf(), |dir| dir.join(name))
        }
        _ => path.to_path_buf(),
    }
}

fn forget_pending(temporary: &Path) {
    if let Ok(mut pending) = PENDING.lock() {
        pending.retain(|path| path != temporary);
    }
}

/// On SIGINT, SIGTERM or SIGHUP: remove every temporary output file, then exit.
/// Destructors do not run when a signal ends a process, so `NamedTempFile`'s own
/// clean-up cannot be relied on here.
fn install_signal_handler() {
    HANDLER.call_once(|| {
        // If a handler cannot be installed (one is already there, in a host
        // process), the worst case is a hidden temporary file left on Ctrl-C.
        let _ = ctrlc::set_handler(|| {
            if let Ok(pending) = PENDING.lock() {
                for path in pending.iter() {
                    let _ = fs::remove_file(path);
                }
            }
            std::process::exit(EXIT_INTERRUPTED);
        });
    });
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}
