//! Writing records in any of the exporter's formats, for `rubric convert` and
//! `rubric annotate --format`: one writer that takes records one at a time, in
//! order, and puts its files in place only when [`FormatWriter::finish`] succeeds.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use rubric_exporter::{
    brat_file_stem, to_brat, AlignmentReport, ConllWriter, DocBinWriter, DoccanoLayout,
    DoccanoWriter, HfWriter, Misaligned, Record, RecordWriter, Scheme,
};
use rubric_offsets::OffsetUnit;
use tempfile::TempDir;

use crate::error::{Error, ErrorKind, Location};
use crate::output::{check_paths, AtomicFile, Output, OutputKind};
use crate::run::Sink;

/// Formats rubric writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum To {
    /// rubric's records (JSON Lines, schemas/record.schema.json).
    Jsonl,
    /// CoNLL columns with IOB2 tags.
    Conll,
    /// CoNLL columns with IOB2 tags (the same as conll).
    Iob2,
    /// CoNLL columns with IOB1 tags.
    Iob1,
    /// CoNLL columns with BIOES tags.
    Bioes,
    /// CoNLL columns with BILOU tags.
    Bilou,
    /// brat standoff: a .txt and an .ann file per document, in the directory -o names.
    Brat,
    /// doccano JSONL (see --doccano-layout).
    Doccano,
    /// Hugging Face token classification JSONL, with the label list in <stem>.labels.json.
    Hf,
    /// spaCy 3 DocBin (.spacy).
    Spacy,
}

impl To {
    /// Whether the format writes files, not a stream (it needs `-o`).
    pub fn needs_output_path(self) -> bool {
        matches!(self, To::Brat | To::Hf | To::Spacy)
    }
}

/// How to write: the format and its options.
#[derive(Clone, Copy, Debug)]
pub struct FormatOptions {
    /// The format.
    pub to: To,
    /// The offset unit of JSON Lines records.
    pub unit: OffsetUnit,
    /// What token-based formats do with a span off token boundaries.
    pub misaligned: Misaligned,
    /// doccano's layout.
    pub doccano_layout: DoccanoLayout,
}

/// A writer of records in one format.
#[derive(Debug)]
pub struct FormatWriter {
    inner: Inner,
    /// Every path it writes, for the run to check against its other outputs.
    paths: Vec<(PathBuf, OutputKind)>,
}

#[derive(Debug)]
enum Inner {
    Jsonl(RecordWriter<Output>),
    Conll(ConllWriter<Output>),
    Doccano(DoccanoWriter<Output>),
    Hf { writer: HfWriter, path: PathBuf },
    Spacy { writer: DocBinWriter, path: PathBuf },
    Brat(BratWriter),
}

impl FormatWriter {
    /// A writer to `output` (standard output when `None`, for the stream formats),
    /// refusing an output that is one of `inputs`.
    pub fn open(
        options: &FormatOptions,
        output: Option<&Path>,
        inputs: &[PathBuf],
    ) -> Result<Self, Error> {
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
            match options.to {
                To::Brat => paths.push((output.to_path_buf(), OutputKind::Directory)),
                To::Hf => {
                    paths.push((output.to_path_buf(), OutputKind::File));
                    paths.push((labels_beside(output), OutputKind::File));
                }
                _ => paths.push((output.to_path_buf(), OutputKind::File)),
            }
        }
        let checked: Vec<(&Path, OutputKind)> =
            paths.iter().map(|(path, kind)| (path.as_path(), *kind)).collect();
        check_paths(&checked, inputs)?;
        let inner = match options.to {
            To::Jsonl => {
                Inner::Jsonl(RecordWriter::with_unit(Output::open(output, inputs)?, options.unit))
            }
            To::Conll | To::Iob2 | To::Iob1 | To::Bioes | To::Bilou => {
                let scheme = match options.to {
                    To::Iob1 => Scheme::Iob1,
                    To::Bioes => Scheme::Bioes,
                    To::Bilou => Scheme::Bilou,
                    _ => Scheme::Iob2,
                };
                Inner::Conll(ConllWriter::new(
                    Output::open(output, inputs)?,
                    scheme,
                    options.misaligned,
                ))
            }
            To::Doccano => Inner::Doccano(DoccanoWriter::new(
                Output::open(output, inputs)?,
                options.doccano_layout,
            )),
            To::Hf => Inner::Hf { writer: HfWriter::new(options.misaligned), path: path()? },
            To::Spacy => {
                Inner::Spacy { writer: DocBinWriter::new(options.misaligned), path: path()? }
            }
            To::Brat => Inner::Brat(BratWriter::new(path()?)?),
        };
        Ok(FormatWriter { inner, paths })
    }

    /// Writes one record.
    pub fn write(&mut self, record: &Record) -> Result<(), rubric_exporter::Error> {
        match &mut self.inner {
            Inner::Jsonl(writer) => writer.write(record),
            Inner::Conll(writer) => writer.write(record),
            Inner::Doccano(writer) => writer.write(record),
            Inner::Hf { writer, .. } => writer.write(record),
            Inner::Spacy { writer, .. } => writer.write(record),
            Inner::Brat(writer) => writer.write(record),
        }
    }

    /// What the misaligned policy did so far (token-based formats only).
    pub fn report(&self) -> Option<AlignmentReport> {
        match &self.inner {
            Inner::Conll(writer) => Some(writer.report()),
            Inner::Hf { writer, .. } => Some(writer.report()),
            Inner::Spacy { writer, .. } => Some(writer.report()),
            _ => None,
        }
    }

    /// Writes what is left and puts every file in place.
    pub fn finish(self) -> Result<(), Error> {
        match self.inner {
            Inner::Jsonl(writer) => writer.finish().map_err(exporter)?.finish(),
            Inner::Conll(writer) => writer.finish().map_err(exporter)?.finish(),
            Inner::Doccano(writer) => writer.finish().map_err(exporter)?.finish(),
            Inner::Hf { writer, path } => {
                let mut data = AtomicFile::new(&path)?;
                let mut labels = AtomicFile::new(&labels_beside(&path))?;
                writer.finish(data.writer(), labels.writer()).map_err(exporter)?;
                data.persist()?;
                labels.persist()
            }
            Inner::Spacy { writer, path } => {
                let mut file = AtomicFile::new(&path)?;
                writer.finish(file.writer()).map_err(exporter)?;
                file.persist()
            }
            Inner::Brat(writer) => writer.finish(),
        }
    }
}

/// `<dir>/<stem>.labels.json` for the data file `<dir>/<stem>.<ext>`.
pub fn labels_beside(data: &Path) -> PathBuf {
    let stem = data.file_stem().map_or_else(|| "data".into(), |stem| stem.to_os_string());
    let mut name = stem;
    name.push(".labels.json");
    data.with_file_name(name)
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

/// Writes each record as `<dir>/<stem>.txt` and `<dir>/<stem>.ann`: into a
/// temporary directory inside `dir` first, moved into place only when every
/// document was written.
#[derive(Debug)]
struct BratWriter {
    dir: PathBuf,
    staging: TempDir,
    /// File stem → the id that took it, to refuse two documents one file name.
    stems: HashMap<String, String>,
    files: Vec<String>,
}

impl BratWriter {
    fn new(dir: PathBuf) -> Result<Self, Error> {
        fs::create_dir_all(&dir).map_err(|err| cannot_write(&dir, err))?;
        let staging = tempfile::Builder::new()
            .prefix(".rubric-brat-")
            .tempdir_in(&dir)
            .map_err(|err| cannot_write(&dir, err))?;
        Ok(BratWriter { dir, staging, stems: HashMap::new(), files: Vec::new() })
    }

    fn write(&mut self, record: &Record) -> Result<(), rubric_exporter::Error> {
        let stem = brat_file_stem(record.id())?;
        if let Some(other) = self.stems.insert(stem.clone(), record.id().to_string()) {
            return Err(rubric_exporter::Error::new(rubric_exporter::ErrorKind::BadId {
                id: record.id().to_string(),
                problem: format!(
                    "it makes the same file name ({stem}.txt) as document {other:?} — give \
                     documents distinct ids"
                ),
            }));
        }
        let doc = to_brat(record)?;
        for (extension, contents) in [("txt", &doc.txt), ("ann", &doc.ann)] {
            let file = format!("{stem}.{extension}");
            // Named by the file it was to become (a name too long for the file
            // system is this document's problem, not the whole output's).
            fs::write(self.staging.path().join(&file), contents).map_err(|err| {
                let target = self.dir.join(&file).display().to_string();
                rubric_exporter::Error::at(
                    rubric_exporter::Location::source(target),
                    rubric_exporter::ErrorKind::Io(err),
                )
            })?;
            self.files.push(file);
        }
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
