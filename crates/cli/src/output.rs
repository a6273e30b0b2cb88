//! Where a subcommand's output goes: standard output, or a file written atomically.
//!
//! **One policy for every path rubric writes** (`-o`, `--errors`, `gazetteer compile
//! -o`, a brat directory, HF's label file):
//!
//! - [`check_paths`] refuses it when it names an input or another output: the same
//!   file by device and inode (so through symbolic and hard links), a path inside an
//!   input directory, or (for a directory output) an input inside it.
//! - A regular file, or a path that does not exist yet, is written atomically (below).
//!   A symbolic link is followed: the file it names is replaced, the link stays.
//! - A character device, a FIFO or a terminal (`/dev/null`, `/dev/tty`, a named pipe),
//!   and anything reached through `/dev/stdout`, `/dev/fd/N` or `/proc/*/fd/N`, is
//!   written in place, streaming, and never replaced: renaming a file over
//!   `/dev/null` would replace the device node for every program on the machine.
//!   Other kinds (block devices, sockets) are refused.
//!
//! A regular file named with `-o` is never written in place. rubric writes a hidden
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
use std::sync::{mpsc, Mutex, Once};
use std::thread;

use serde::Serialize;
use tempfile::NamedTempFile;

use crate::error::{Error, ErrorKind, Location};

/// What an output path is to be: one file, or a directory of files (brat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// One file.
    File,
    /// A directory rubric writes files into.
    Directory,
}

/// Checks every path a run will write against its inputs and against each other,
/// before anything is read or written (see the module docs). `outputs` pairs each
/// path with what it is; `-` (standard output or input) is never checked.
pub fn check_paths(outputs: &[(&Path, OutputKind)], inputs: &[PathBuf]) -> Result<(), Error> {
    let inputs: Vec<&Path> =
        inputs.iter().map(PathBuf::as_path).filter(|input| input.as_os_str() != "-").collect();
    let outputs: Vec<(&Path, OutputKind)> =
        outputs.iter().copied().filter(|(path, _)| path.as_os_str() != "-").collect();
    for (index, &(output, kind)) in outputs.iter().enumerate() {
        let at = || Location::source(output.display().to_string());
        let output_abs = absolute(output);
        for input in &inputs {
            let input_abs = absolute(input);
            let inside_input = input.is_dir() && output_abs.starts_with(&input_abs);
            let input_inside = kind == OutputKind::Directory && input_abs.starts_with(&output_abs);
            let relation = if same_file(output, input) {
                "is the input"
            } else if inside_input {
                "is inside the input directory"
            } else if input_inside {
                "is a directory that holds the input"
            } else {
                continue;
            };
            let input = input.display().to_string();
            return Err(Error::at(at(), ErrorKind::OutputIsInput { input, relation }));
        }
        for &(other, other_kind) in &outputs[index + 1..] {
            // Two outputs may share a character device (`-o /dev/null --errors
            // /dev/null`): nothing written there is lost by the sharing.
            let shared_device = is_char_device(output) && is_char_device(other);
            let nested = (kind == OutputKind::Directory
                && absolute(other).starts_with(&output_abs))
                || (other_kind == OutputKind::Directory && output_abs.starts_with(absolute(other)));
            if (same_file(output, other) && !shared_device) || nested {
                return Err(Error::at(
                    at(),
                    ErrorKind::OutputsCollide { other: other.display().to_string() },
                ));
            }
        }
    }
    Ok(())
}

/// Whether two paths name one file: the same device and inode when both exist
/// (which sees through symbolic and hard links), else the same absolute path.
fn same_file(a: &Path, b: &Path) -> bool {
    match (identity(a), identity(b)) {
        (Some(a), Some(b)) => a == b,
        _ => absolute(a) == absolute(b),
    }
}

#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).ok().map(|metadata| (metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn identity(_path: &Path) -> Option<(u64, u64)> {
    None
}

/// Standard output's device and inode when it is a regular file.
#[cfg(unix)]
fn stdout_identity() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let descriptor = io::stdout().as_fd().try_clone_to_owned().ok()?;
    let metadata = fs::File::from(descriptor).metadata().ok()?;
    metadata.is_file().then(|| (metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn stdout_identity() -> Option<(u64, u64)> {
    None
}

fn is_char_device(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        fs::metadata(path).is_ok_and(|metadata| metadata.file_type().is_char_device())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// How a path is written, decided by what is there now.
enum Disposition {
    /// Atomically: a temporary file renamed over this path (the link's target when
    /// the path is a symbolic link).
    Replace(PathBuf),
    /// In place, streaming: a device, a FIFO, a descriptor link.
    InPlace,
    /// rubric's own standard output, named through a link (`/dev/stdout`): written
    /// through the descriptor already open, which works where reopening it does not
    /// (a pipe another user made).
    Stdout,
}

fn disposition(path: &Path) -> Result<Disposition, Error> {
    let at = || Location::source(path.display().to_string());
    match fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => Err(Error::at(at(), ErrorKind::OutputIsDirectory)),
        Ok(_) if through_descriptor_link(path) && same_file(path, Path::new("/proc/self/fd/1")) => {
            Ok(Disposition::Stdout)
        }
        // `/dev/stdout` redirected to a file (`> out.jsonl`): the shell opened the file
        // for us; replacing it by name would write somewhere the shell does not look.
        Ok(_) if through_descriptor_link(path) => Ok(Disposition::InPlace),
        Ok(metadata) if metadata.is_file() => {
            Ok(Disposition::Replace(fs::canonicalize(path).unwrap_or_else(|_| path.into())))
        }
        Ok(metadata) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::FileTypeExt;
                let kind = metadata.file_type();
                if kind.is_char_device() || kind.is_fifo() {
                    return Ok(Disposition::InPlace);
                }
            }
            let _ = metadata;
            Err(Error::at(at(), ErrorKind::OutputNotWritable))
        }
        // Nothing there, or a dangling link: created, through the link if there is one.
        Err(_) => Ok(Disposition::Replace(link_target(path))),
    }
}

/// Whether `path` is, or leads through a symbolic link to, a process's file
/// descriptor (`/dev/stdout` → `/proc/self/fd/1`, `/dev/fd/3`).
fn through_descriptor_link(path: &Path) -> bool {
    // `/dev/stdout` and its kin are links into `/proc`, followed below.
    let is_descriptor = |p: &Path| p.starts_with("/proc") || p.starts_with("/dev/fd");
    let mut current = absolute_lexically(path);
    // A bounded number of hops: a loop of links ends here, not in a hang.
    for _ in 0..40 {
        if is_descriptor(&current) {
            return true;
        }
        match fs::read_link(&current) {
            Ok(target) => {
                let parent = current.parent().map(Path::to_path_buf).unwrap_or_default();
                current = absolute_lexically(&parent.join(target));
            }
            Err(_) => return false,
        }
    }
    false
}

/// The path joined to the current directory, without resolving any link.
fn absolute_lexically(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Where a dangling symbolic link points (the file to create), or `path` itself.
fn link_target(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::read_link(&current) {
            Ok(target) => {
                let parent = current.parent().map(Path::to_path_buf).unwrap_or_default();
                current = parent.join(target);
            }
            Err(_) => return current,
        }
    }
    path.to_path_buf()
}

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
    ///
    /// Refused when standard output is closed (`rubric ... >&-`): Rust's standard
    /// output then swallows every write as if it succeeded, and the summary would
    /// claim records nobody received.
    pub fn stdout() -> Result<Self, Error> {
        check_stdout_open()?;
        Ok(Output { target: Target::Stdout(BufWriter::new(io::stdout().lock())) })
    }

    /// Standard output, refused when it is one of `inputs`: `rubric annotate
    /// docs.jsonl >> docs.jsonl` would read back its own records as documents and
    /// grow the input until the disk is full (and `>` has emptied the input
    /// before rubric starts, so there is nothing left to read).
    pub fn stdout_beside(inputs: &[PathBuf]) -> Result<Self, Error> {
        check_stdout_open()?;
        let refuse = |input: &PathBuf, relation| {
            let input = input.display().to_string();
            Err(Error::at(
                Location::source("<stdout>"),
                ErrorKind::OutputIsInput { input, relation },
            ))
        };
        if let Some(stdout) = stdout_identity() {
            let input = inputs.iter().find(|input| {
                input.as_os_str() != "-" && input.is_file() && identity(input) == Some(stdout)
            });
            if let Some(input) = input {
                return refuse(input, "is the input");
            }
            // A file inside an input directory is read by the walk (the shell
            // made it before rubric started). Its path is known on Linux only.
            if let Ok(path) = fs::read_link("/proc/self/fd/1") {
                let input = inputs.iter().find(|input| {
                    input.as_os_str() != "-" && input.is_dir() && path.starts_with(absolute(input))
                });
                if let Some(input) = input {
                    return refuse(input, "is inside the input directory");
                }
            }
        }
        Output::stdout()
    }

    /// `path` when given (see the module docs for how), else standard output.
    /// Refuses a path that is one of `inputs` or lies inside an input directory,
    /// where it would be read back as input.
    pub fn open(path: Option<&Path>, inputs: &[PathBuf]) -> Result<Self, Error> {
        match path {
            None => Output::stdout_beside(inputs),
            Some(path) if path.as_os_str() == "-" => Output::stdout_beside(inputs),
            Some(path) => {
                check_paths(&[(path, OutputKind::File)], inputs)?;
                Ok(Output { target: Target::File(AtomicFile::new(path)?) })
            }
        }
    }
    /// The file it writes, if not standard output.
    pub fn path(&self) -> Option<&Path> {
        match &self.target {
            Target::Stdout(_) => None,
            Target::File(file) => Some(&file.path),
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

/// Fails when standard output (descriptor 1) was closed when rubric started.
///
/// Rust's runtime reopens a closed standard descriptor on `/dev/null`, read-write,
/// before `main` runs, so a write to a closed standard output "succeeds" and the
/// summary would claim records nobody received. That reopened descriptor is told
/// from a user's own `> /dev/null` (opened write-only by the shell) by its access
/// mode, which Linux shows in `/proc/self/fdinfo/1`. Elsewhere the check finds
/// nothing to refuse.
fn check_stdout_open() -> Result<(), Error> {
    if stdout_was_closed() {
        return Err(Error::at(
            Location::source("<stdout>"),
            ErrorKind::Write(io::Error::other(
                "standard output is closed (rubric ... >&-); nothing written there would reach \
                 anyone",
            )),
        ));
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn stdout_was_closed() -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    /// `/dev/null`'s device number (major 1, minor 3).
    const DEV_NULL: u64 = (1 << 8) | 3;
    /// `O_ACCMODE` and `O_RDWR`.
    const ACCESS_MODE: u32 = 0o3;
    const READ_WRITE: u32 = 0o2;
    let Ok(metadata) = fs::metadata("/proc/self/fd/1") else { return false };
    if !metadata.file_type().is_char_device() || metadata.rdev() != DEV_NULL {
        return false;
    }
    let Ok(info) = fs::read_to_string("/proc/self/fdinfo/1") else { return false };
    info.lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .and_then(|flags| u32::from_str_radix(flags.trim(), 8).ok())
        .is_some_and(|flags| flags & ACCESS_MODE == READ_WRITE)
}

#[cfg(not(target_os = "linux"))]
fn stdout_was_closed() -> bool {
    false
}

/// A file written in full or not at all: a temporary file in the target's
/// directory (so that the rename stays on one file system), renamed over the
/// target by [`AtomicFile::persist`]; dropped without it, it is deleted, and a
/// signal handler deletes it when the process is interrupted.
///
/// A target that is not a regular file (a device, a FIFO, `/dev/stdout`) is
/// written in place instead, as it is streamed, and never replaced (see the
/// module docs).
#[derive(Debug)]
pub struct AtomicFile {
    /// The name the user gave, for messages.
    path: PathBuf,
    file: BufWriter<FileSink>,
}

/// Where an [`AtomicFile`]'s bytes go.
#[derive(Debug)]
pub enum FileSink {
    /// A temporary file, to be renamed to `target`.
    Temporary {
        /// The temporary file.
        file: NamedTempFile,
        /// The file it becomes.
        target: PathBuf,
        /// Sends its bytes on to the disk while the run goes on.
        early_sync: EarlySync,
    },
    /// The target itself, opened for appending: a device, a FIFO, a descriptor.
    InPlace(fs::File),
    /// Standard output, named by a link to it.
    Stdout(io::Stdout),
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            FileSink::Temporary { file, early_sync, .. } => {
                let written = file.write(buf)?;
                early_sync.wrote(file.as_file(), written);
                Ok(written)
            }
            FileSink::InPlace(file) => file.write(buf),
            FileSink::Stdout(out) => out.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            FileSink::Temporary { file, .. } => file.flush(),
            FileSink::InPlace(file) => file.flush(),
            FileSink::Stdout(out) => out.flush(),
        }
    }
}

impl AtomicFile {
    /// A temporary file beside `path`, to become `path` on [`AtomicFile::persist`]
    /// (or `path` itself, opened in place, when it is a device or a FIFO).
    pub fn new(path: &Path) -> Result<Self, Error> {
        let at = || Location::source(path.display().to_string());
        let target = match disposition(path)? {
            Disposition::Stdout => {
                check_stdout_open()?;
                let file = BufWriter::with_capacity(1 << 16, FileSink::Stdout(io::stdout()));
                return Ok(AtomicFile { path: path.to_path_buf(), file });
            }
            Disposition::InPlace => {
                // Appending: through `/dev/stdout` to a file the shell opened with
                // `>>`, writing from offset 0 would overwrite what is there.
                let file = fs::OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map_err(|err| Error::at(at(), ErrorKind::CreateOutput(err)))?;
                let file = BufWriter::with_capacity(1 << 16, FileSink::InPlace(file));
                return Ok(AtomicFile { path: path.to_path_buf(), file });
            }
            Disposition::Replace(target) => target,
        };
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
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
        let early_sync = EarlySync::default();
        let file =
            BufWriter::with_capacity(1 << 16, FileSink::Temporary { file, target, early_sync });
        Ok(AtomicFile { path: path.to_path_buf(), file })
    }

    /// The path as the user gave it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where to write.
    pub fn writer(&mut self) -> &mut BufWriter<FileSink> {
        &mut self.file
    }

    /// Flushes and syncs the temporary file and renames it over the target (or
    /// flushes the file written in place).
    pub fn persist(self) -> Result<(), Error> {
        let at = || Location::source(self.path.display().to_string());
        let sink = self.file.into_inner().map_err(|err| err.into_error());
        let result = match sink {
            // The temporary file is deleted as the writer drops; its pending path
            // outlives it, which is harmless (see `PENDING`).
            Err(err) => Err(err),
            Ok(FileSink::InPlace(mut file)) => file.flush(),
            Ok(FileSink::Stdout(mut out)) => out.flush(),
            Ok(FileSink::Temporary { file, target, early_sync }) => {
                let temporary = file.path().to_path_buf();
                let result = early_sync
                    .finish()
                    .and_then(|()| file.as_file().sync_all())
                    .and_then(|()| file.persist(&target).map(drop).map_err(|err| err.error));
                forget_pending(&temporary);
                result
            }
        };
        result.map_err(|err| Error::at(at(), ErrorKind::Write(err)))
    }
}

/// How many bytes an output file takes before its disk writes are started.
const EARLY_SYNC_BYTES: u64 = 4 << 20;

/// Starts the disk writes of a temporary output file while the run is still
/// writing it, on a thread of its own.
///
/// [`AtomicFile::persist`] syncs the file before renaming it (so that a crash
/// never leaves a renamed file with missing data), and that sync waits for every
/// byte to reach the disk: 60 to 90 ms for 140 MB of records here, after the last
/// document, when no worker has anything left to do. Syncing every 4 MB while the
/// workers still run writes most of the file during the run instead, and the final
/// sync has at most the last 4 MB left. (Every 16 MB, as first written, the final
/// wait depended on where the file's size fell between two marks: 3 to 4 ms for
/// 72 MB of records, 9 to 11 ms for 79 MB; every 4 MB, 2 to 4 ms for both.) The
/// thread waits on the disk, not on a core, and starts with the first 4 MB: a
/// small file (a brat document, a label list) never starts one.
#[derive(Debug, Default)]
pub struct EarlySync {
    /// Bytes written since the last sync was asked for.
    unsynced: u64,
    syncer: Syncer,
}

#[derive(Debug, Default)]
enum Syncer {
    /// Nothing asked for yet.
    #[default]
    NotStarted,
    /// Takes requests for one more sync, and ends with the first error.
    Running { request: mpsc::SyncSender<()>, thread: thread::JoinHandle<io::Result<()>> },
    /// The thread could not start; the final sync does all the work, as it
    /// always may.
    Unavailable,
}

impl EarlySync {
    /// Counts `bytes` written to `file`, and asks for a sync every
    /// [`EARLY_SYNC_BYTES`].
    fn wrote(&mut self, file: &fs::File, bytes: usize) {
        self.unsynced += bytes as u64;
        if self.unsynced < EARLY_SYNC_BYTES {
            return;
        }
        self.unsynced = 0;
        if let Syncer::NotStarted = self.syncer {
            self.syncer = Syncer::start(file);
        }
        if let Syncer::Running { request, .. } = &self.syncer {
            // Full means a sync is running and another waits, which covers these
            // bytes too: never block the writer for it.
            let _ = request.try_send(());
        }
    }

    /// Waits for the sync under way, if any, and returns the first error the
    /// early syncs met. It must be asked for: the syncing thread's descriptor is
    /// a clone of the writer's, and Linux reports a failed write-back once per
    /// open file, so an error one sync returned is not returned again to the
    /// final sync.
    fn finish(self) -> io::Result<()> {
        let Syncer::Running { request, thread } = self.syncer else { return Ok(()) };
        drop(request);
        thread.join().unwrap_or_else(|_| Err(io::Error::other("the syncing thread panicked")))
    }
}

impl Syncer {
    fn start(file: &fs::File) -> Self {
        let Ok(file) = file.try_clone() else { return Syncer::Unavailable };
        let (request, requests) = mpsc::sync_channel::<()>(1);
        // Ends when the output is persisted or dropped (the sender goes), or at
        // the first error, which `EarlySync::finish` hands on.
        let syncer = move || requests.iter().try_for_each(|()| file.sync_data());
        match thread::Builder::new().name("rubric-sync".into()).spawn(syncer) {
            Ok(thread) => Syncer::Running { request, thread },
            Err(_) => Syncer::Unavailable,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes written past several early syncs (which run on another thread while
    /// the writing goes on) are all in the file when it is put in place, in order.
    #[test]
    fn a_file_synced_early_is_whole_when_persisted() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("records.jsonl");
        let mut file = AtomicFile::new(&path).expect("the output opens");
        let block: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        let blocks = 3 * (EARLY_SYNC_BYTES >> 20) + 1;
        for index in 0..blocks {
            file.writer().write_all(&block).expect("the block is written");
            file.writer().write_all(&index.to_le_bytes()).expect("the index is written");
        }
        file.persist().expect("the file is put in place");
        let written = fs::read(&path).expect("the file reads back");
        assert_eq!(written.len() as u64, blocks * (block.len() as u64 + 8));
        for (index, chunk) in written.chunks(block.len() + 8).enumerate() {
            assert_eq!(&chunk[..block.len()], &block[..]);
            assert_eq!(chunk[block.len()..], (index as u64).to_le_bytes());
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .expect("the directory lists")
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name() != "records.jsonl")
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
}
