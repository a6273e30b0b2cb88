//! Writing records in any of the exporter's formats, for `rubric convert` and
//! `rubric annotate --format`: one writer that takes records one at a time, in
//! order, and puts its files in place only when [`FormatWriter::finish`] succeeds.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::builder::PossibleValue;
use clap::ValueEnum;
use rubric_exporter::{
    AlignmentReport, Destination, DoccanoLayout, Format, Layout, Misaligned, Name, Record,
    RecordWrite, WriteOptions,
};
use rubric_offsets::OffsetUnit;
use tempfile::TempDir;

use crate::error::{Error, ErrorKind, Location};
use crate::output::{check_paths, AtomicFile, Output, OutputKind};
use crate::run::Sink;

/// A format to write, by one of the names the exporter's registry gives it
/// (`--to`, `annotate --format`): every format of [`Format::ALL`], each under
/// every name it has (CoNLL's schemes are names of their own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct To {
    /// The format.
    pub format: Format,
    /// The name it was picked by.
    name: &'static Name,
}

impl To {
    /// Records (`jsonl`): what `annotate` writes without `--format` and `convert`
    /// writes without `--to`.
    pub fn records() -> To {
        To { format: Format::Jsonl, name: &Format::Jsonl.info().write_names[0] }
    }

    /// Whether the format writes files, not a stream (it needs `-o`).
    pub fn needs_output_path(self) -> bool {
        self.format.info().layout != Layout::Stream
    }
}

impl ValueEnum for To {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: OnceLock<Vec<To>> = OnceLock::new();
        ALL.get_or_init(|| {
            Format::ALL
                .iter()
                .flat_map(|&format| {
                    format.info().write_names.iter().map(move |name| To { format, name })
                })
                .collect()
        })
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name.name).help(self.name.help))
    }
}

/// A format to read, by its name in the exporter's registry (`--from`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct From(pub Format);

impl ValueEnum for From {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: OnceLock<Vec<From>> = OnceLock::new();
        ALL.get_or_init(|| Format::ALL.iter().map(|&format| From(format)).collect())
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let info = self.0.info();
        Some(PossibleValue::new(info.name).help(info.read_help))
    }
}

/// How to write: the format and its options.
#[derive(Clone, Debug)]
pub struct FormatOptions {
    /// The format.
    pub to: To,
    /// The offset unit of JSON Lines records.
    pub unit: OffsetUnit,
    /// What token-based formats do with a span off token boundaries.
    pub misaligned: Misaligned,
    /// doccano's layout.
    pub doccano_layout: DoccanoLayout,
    /// The model version Label Studio predictions name (`None`: rubric's version).
    pub model_version: Option<String>,
}

/// A writer of records in one format: the exporter's writer for it, and where its
/// files go.
pub struct FormatWriter {
    inner: Box<dyn RecordWrite<Target>>,
    /// Every path it writes, for the run to check against its other outputs.
    paths: Vec<(PathBuf, OutputKind)>,
}

impl std::fmt::Debug for FormatWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormatWriter").field("paths", &self.paths).finish_non_exhaustive()
    }
}

/// Where a format's bytes go, by its [`Layout`].
#[derive(Debug)]
enum Target {
    /// Standard output, or the file -o names, written as records come.
    Stream(Output),
    /// The file -o names and the files beside it, written whole when the last
    /// record is in (the formats that have this layout are built in memory
    /// anyway: a DocBin, a label list that needs every label).
    File { path: PathBuf, data: Vec<u8>, beside: Vec<(String, Vec<u8>)> },
    /// The directory -o names.
    Directory(BratDirectory),
}

impl FormatWriter {
    /// A writer to `output` (standard output when `None`, for the stream formats),
    /// refusing an output that is one of `inputs`.
    pub fn open(
        options: &FormatOptions,
        output: Option<&Path>,
        inputs: &[PathBuf],
    ) -> Result<Self, Error> {
        let info = options.to.format.info();
        let path = || {
            output.map(Path::to_path_buf).ok_or_else(|| {
                Error::usage(
                    "spacy, hf and brat output is files: name them with -o (a .spacy file, a \
                     .jsonl file with its .labels.json beside it, or a directory for brat)",
                )
            })
        };
        let mut paths = Vec::new();
        if let Some(output) = output {
            match info.layout {
                Layout::Directory => paths.push((output.to_path_buf(), OutputKind::Directory)),
                _ => {
                    paths.push((output.to_path_buf(), OutputKind::File));
                    if let Some(list) = info.label_list {
                        paths.push((beside(output, list), OutputKind::File));
                    }
                }
            }
        }
        let checked: Vec<(&Path, OutputKind)> =
            paths.iter().map(|(path, kind)| (path.as_path(), *kind)).collect();
        check_paths(&checked, inputs)?;
        let target = match info.layout {
            Layout::Stream => Target::Stream(Output::open(output, inputs)?),
            Layout::File => Target::File { path: path()?, data: Vec::new(), beside: Vec::new() },
            Layout::Directory => Target::Directory(BratDirectory::new(path()?)?),
        };
        let write_options = WriteOptions {
            unit: options.unit,
            misaligned: options.misaligned,
            doccano_layout: options.doccano_layout,
            scheme: options.to.name.scheme.unwrap_or_default(),
            label_studio_annotations: options.to.name.annotations,
            model_version: options.model_version.clone(),
        };
        let inner = options.to.format.writer(target, &write_options).map_err(exporter)?;
        Ok(FormatWriter { inner, paths })
    }

    /// Writes one record.
    pub fn write(&mut self, record: &Record) -> Result<(), rubric_exporter::Error> {
        self.inner.write(record)
    }

    /// What the misaligned policy did so far (token-based formats only).
    pub fn report(&self) -> Option<AlignmentReport> {
        self.inner.report()
    }

    /// Writes what is left and puts every file in place.
    pub fn finish(self) -> Result<(), Error> {
        match self.inner.finish().map_err(exporter)? {
            Target::Stream(output) => output.finish(),
            Target::File { path, data, beside: files } => {
                let mut file = AtomicFile::new(&path)?;
                let mut others = files
                    .iter()
                    .map(|(name, contents)| Ok((AtomicFile::new(&beside(&path, name))?, contents)))
                    .collect::<Result<Vec<_>, Error>>()?;
                file.writer().write_all(&data).map_err(Error::write)?;
                for (other, contents) in &mut others {
                    other.writer().write_all(contents).map_err(Error::write)?;
                }
                file.persist()?;
                others.into_iter().try_for_each(|(other, _)| other.persist())
            }
            Target::Directory(directory) => directory.finish(),
        }
    }
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Target::Stream(output) => Write::write(output, buf),
            Target::File { data, .. } => data.write(buf),
            Target::Directory(_) => Err(io::Error::other("a directory output has no stream")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Target::Stream(output) => output.flush(),
            Target::File { .. } | Target::Directory(_) => Ok(()),
        }
    }
}

impl Destination for Target {
    fn write_file(&mut self, name: &str, contents: &[u8]) -> Result<(), rubric_exporter::Error> {
        match self {
            Target::Stream(_) => rubric_exporter::Stream(io::sink()).write_file(name, contents),
            Target::File { beside, .. } => {
                beside.push((name.to_string(), contents.to_vec()));
                Ok(())
            }
            Target::Directory(directory) => directory.write_file(name, contents),
        }
    }
}

/// `<dir>/<stem>.<name>` for the data file `<dir>/<stem>.<ext>`: a file a format
/// writes beside its output, such as Hugging Face's label list.
fn beside(data: &Path, name: &str) -> PathBuf {
    let stem = data.file_stem().map_or_else(|| "data".into(), |stem| stem.to_os_string());
    let mut file = stem;
    file.push(".");
    file.push(name);
    data.with_file_name(file)
}

/// `<dir>/<stem>.labels.json` for the data file `<dir>/<stem>.<ext>`: where the
/// label list of a format that has one is read.
pub fn labels_beside(data: &Path, list: &str) -> PathBuf {
    beside(data, list)
}

/// The exporter's error as the CLI's; a reader of standard output going away stays
/// a quiet stop for `main`.
pub fn exporter(err: rubric_exporter::Error) -> Error {
    // Without a location, an I/O error comes from writing the output (a closed
    // pipe, a full disk); reading errors name their input.
    match err {
        rubric_exporter::Error { kind: rubric_exporter::ErrorKind::Io(io_err), location: None } => {
            Error::write(io_err)
        }
        err => Error { kind: ErrorKind::Exporter(Box::new(err)), location: None },
    }
}

fn cannot_write(path: &Path, err: std::io::Error) -> Error {
    Error::at(Location::source(path.display().to_string()), ErrorKind::Write(err))
}

/// A directory output: the files of every record (brat's `<stem>.txt` and
/// `<stem>.ann`) go into a temporary directory inside it first, and are moved into
/// place only when every document was written.
#[derive(Debug)]
struct BratDirectory {
    dir: PathBuf,
    staging: TempDir,
    files: Vec<String>,
}

impl BratDirectory {
    fn new(dir: PathBuf) -> Result<Self, Error> {
        fs::create_dir_all(&dir).map_err(|err| cannot_write(&dir, err))?;
        let staging = tempfile::Builder::new()
            .prefix(".rubric-brat-")
            .tempdir_in(&dir)
            .map_err(|err| cannot_write(&dir, err))?;
        Ok(BratDirectory { dir, staging, files: Vec::new() })
    }

    fn write_file(&mut self, file: &str, contents: &[u8]) -> Result<(), rubric_exporter::Error> {
        // Named by the file it was to become (a name too long for the file system
        // is this document's problem, not the whole output's).
        fs::write(self.staging.path().join(file), contents).map_err(|err| {
            let target = self.dir.join(file).display().to_string();
            rubric_exporter::Error::at(
                rubric_exporter::Location::source(target),
                rubric_exporter::ErrorKind::Io(err),
            )
        })?;
        self.files.push(file.to_string());
        Ok(())
    }

    fn finish(self) -> Result<(), Error> {
        for file in &self.files {
            let target = self.dir.join(file);
            fs::rename(self.staging.path().join(file), &target)
                .map_err(|err| cannot_write(&target, err))?;
        }
        self.warn_of_other_documents();
        Ok(())
    }

    /// brat tools read a directory as one collection, so documents already in it
    /// (an earlier run's, with other ids) would join this run's unseen: they are
    /// named, not deleted (the directory may hold them on purpose).
    fn warn_of_other_documents(&self) {
        let written: std::collections::HashSet<&str> =
            self.files.iter().map(String::as_str).collect();
        let Ok(listing) = fs::read_dir(&self.dir) else { return };
        let mut others: Vec<String> = listing
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| {
                (name.ends_with(".ann") || name.ends_with(".txt"))
                    && !written.contains(name.as_str())
            })
            .collect();
        if others.is_empty() {
            return;
        }
        others.sort();
        let count = others.len();
        others.truncate(3);
        crate::run::warn(&format!(
            "{}: {count} brat file(s) not written by this run are there too ({}{}) — brat \
             reads the directory as one collection; remove them if they are stale, or write \
             to an empty directory",
            self.dir.display(),
            others.join(", "),
            if count > 3 { ", ..." } else { "" }
        ));
    }
}

/// Records made on the worker threads are written here, in order.
impl Sink<Record> for FormatWriter {
    fn write(&mut self, record: Record) -> Result<(), Error> {
        FormatWriter::write(self, &record).map_err(exporter)
    }

    fn finish(self) -> Result<(), Error> {
        FormatWriter::finish(self)
    }

    fn paths(&self) -> Vec<(PathBuf, OutputKind)> {
        self.paths.clone()
    }
}
