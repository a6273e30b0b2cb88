//! The format registry: every format rubric reads or writes, by name, with what a
//! front end needs to know to offer it (its names and help, the extensions that
//! guess it, what its output is, what its input is) and one way to make its
//! writer and its reader.
//!
//! **To add a format:** write its module (the converter, and a unit type that
//! implements [`FormatSpec`]: its [`FormatInfo`], a [`RecordWrite`] and a
//! [`RecordRead`]), declare the module in `lib.rs`, and add one line to the
//! `registry!` list at the end of this file. The CLI's `--to`, `--from`,
//! `annotate --format` and `diff`'s guess by extension all list the registry, so
//! they offer it with no edit of their own.

use std::io::{self, BufRead, Write};

use rubric_offsets::OffsetUnit;

use crate::align::{AlignmentReport, Misaligned};
use crate::brat::{brat_file_stem, to_brat};
use crate::conll::{ConllReader, ConllWriter, Scheme};
use crate::doccano::{DoccanoLayout, DoccanoReader, DoccanoWriter};
use crate::error::{Error, ErrorKind, Location};
use crate::hf::{HfReader, HfWriter};
use crate::jsonl::{RecordReader, RecordWriter};
use crate::record::Record;
use crate::spacy::{read_docbin, DocBinWriter};

/// Where a writer puts its bytes: the output stream ([`Write`]) and, for formats
/// that write more than one file, whole files by name.
pub trait Destination: Write {
    /// Writes the whole file `name`: a file inside the output directory for a
    /// [`Layout::Directory`] format (brat's `<stem>.txt`), or the file
    /// `<output stem>.<name>` beside the output file for a [`Layout::File`] one
    /// (Hugging Face's `labels.json`). The error names the file.
    fn write_file(&mut self, name: &str, contents: &[u8]) -> Result<(), Error>;
}

/// A writer of records in one format, one record at a time, in order.
pub trait RecordWrite<D> {
    /// Writes one record (or keeps it, for formats written whole at the end).
    fn write(&mut self, record: &Record) -> Result<(), Error>;

    /// What the [`Misaligned`] policy did so far (token-based formats only).
    fn report(&self) -> Option<AlignmentReport> {
        None
    }

    /// Writes what is left and gives the destination back, for the caller to put
    /// its files in place.
    fn finish(self: Box<Self>) -> Result<D, Error>;
}

/// A reader of records that can say where the record it returned last came from,
/// so that a writer's error about that record (a misaligned span) names the file
/// and the line.
pub trait RecordRead: Iterator<Item = Result<Record, Error>> {
    /// Where the record last returned was read.
    fn location(&self) -> Location;

    /// What reading left out or chose, for the front end to tell the user once the
    /// records are read (Label Studio: whose annotations, and the cancelled
    /// annotations and other results not read). Formats that read everything say
    /// nothing.
    fn notice(&self) -> Option<String> {
        None
    }
}

/// What a format's output is, which says what the front end must open for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A stream of text, written as it goes: standard output will do.
    Stream,
    /// A file (binary, or with files beside it): it needs a name.
    File,
    /// A directory of files, one or more per document.
    Directory,
}

/// What a format's input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Lines of text, read as they come: standard input will do.
    Lines,
    /// A file read whole (a binary format).
    File,
    /// A directory of files, or the files themselves, read by the front end (brat's
    /// `.txt`/`.ann` pairs): [`FormatSpec::reader`] does not apply.
    Files,
}

/// Where a format's document ids come from, which says how two inputs pair up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ids {
    /// Every document carries its own id.
    Own,
    /// Documents have no ids of their own: they are numbered by position.
    Positional,
    /// A document may carry an id; one without gets one made up from its line.
    Optional,
}

/// One name a format is written under, with its help line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name {
    /// The name (`conll`, `bioes`).
    pub name: &'static str,
    /// One line of help, without a final period.
    pub help: &'static str,
    /// The tagging scheme the name picks, for token-tagging formats.
    pub scheme: Option<Scheme>,
    /// Whether the name picks Label Studio's annotations (the shape of an export)
    /// over its predictions (pre-annotation, the default).
    pub annotations: bool,
}

impl Name {
    /// A name with its help.
    pub const fn new(name: &'static str, help: &'static str) -> Self {
        Name { name, help, scheme: None, annotations: false }
    }

    /// A name that picks a tagging scheme.
    pub const fn scheme(name: &'static str, help: &'static str, scheme: Scheme) -> Self {
        Name { name, help, scheme: Some(scheme), annotations: false }
    }

    /// A name that picks annotations over predictions (Label Studio).
    pub const fn annotations(name: &'static str, help: &'static str) -> Self {
        Name { name, help, scheme: None, annotations: true }
    }
}

/// What a front end needs to know about a format to offer it.
#[derive(Clone, Copy, Debug)]
pub struct FormatInfo {
    /// The format's name: what `--from` takes, and the first of `write_names`.
    pub name: &'static str,
    /// The names `--to` takes, each with its help line.
    pub write_names: &'static [Name],
    /// The help line of the format as an input.
    pub read_help: &'static str,
    /// File extensions (lower case, no dot) that say an input is in this format.
    pub extensions: &'static [&'static str],
    /// What the output is.
    pub layout: Layout,
    /// What the input is.
    pub input: Input,
    /// The label list written beside the output and read beside the input, as
    /// the end of its name (`labels.json`: `<stem>.labels.json`), if the format
    /// has one.
    pub label_list: Option<&'static str>,
    /// Where document ids come from.
    pub ids: Ids,
    /// What it keeps of a record besides its text, ids and spans' offsets and
    /// labels: a writer of another format says what it left out.
    pub keeps: Keeps,
}

/// What a format keeps of a record besides its text, ids and spans' offsets and
/// labels (which every format keeps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keeps {
    /// The record's `meta` (but `offsets`, the unit, which each format fixes).
    pub meta: bool,
    /// A span's `kb_id`.
    pub kb_id: bool,
    /// A span's `source`.
    pub source: bool,
    /// A span's fields the record format does not define (kept from the input).
    pub span_extra: bool,
    /// The `meta` fields it writes back when it keeps no `meta` (doccano's
    /// `relations`).
    pub meta_fields: &'static [&'static str],
    /// The span fields it writes back when it keeps no others (a doccano
    /// entity's `id`).
    pub span_fields: &'static [&'static str],
}

impl Keeps {
    /// Everything: rubric's own records.
    pub const ALL: Keeps = Keeps {
        meta: true,
        kb_id: true,
        source: true,
        span_extra: true,
        meta_fields: &[],
        span_fields: &[],
    };
    /// Nothing more: the column and standoff formats.
    pub const NOTHING: Keeps = Keeps {
        meta: false,
        kb_id: false,
        source: false,
        span_extra: false,
        meta_fields: &[],
        span_fields: &[],
    };

    /// Whether a record's `meta` (`offsets` aside) holds what this leaves out.
    pub fn leaves_meta(&self, record: &Record) -> bool {
        let left = |key: &str| key != "offsets" && !self.meta_fields.contains(&key);
        !self.meta
            && (record.meta().keys().any(|key| left(key))
                || record.exact_meta().iter().any(|(key, _)| left(key)))
    }

    /// Whether `span` holds fields of its own that this leaves out.
    pub fn leaves_span_fields(&self, span: &crate::Span) -> bool {
        !self.span_extra && span.extra.iter().any(|(key, _)| !self.span_fields.contains(&key))
    }
}

/// How to write: every format's options (each format reads the ones it has).
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// The offset unit of written records.
    pub unit: OffsetUnit,
    /// What token-based formats do with a span off token boundaries.
    pub misaligned: Misaligned,
    /// doccano's layout.
    pub doccano_layout: DoccanoLayout,
    /// The tagging scheme of token-tagging formats (a [`Name`] may pick it).
    pub scheme: Scheme,
    /// Label Studio: the spans as annotations (the shape of an export), not as a
    /// model's predictions (a [`Name`] picks it).
    pub label_studio_annotations: bool,
    /// Label Studio: the `model_version` of the predictions (default: `rubric
    /// <version>`); `rubric annotate` adds the gazetteers it annotated with.
    pub model_version: Option<String>,
}

/// How to read: every format's options (each format reads the ones it has).
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// The label list of a format that has one ([`FormatInfo::label_list`]).
    pub labels: Vec<String>,
    /// Label Studio: the annotator (or model) whose annotations to read, when the
    /// export holds more than one.
    pub annotator: Option<String>,
}

/// What [`FormatSpec::writer`] and [`Format::writer`] return.
pub type Writer<D> = Result<Box<dyn RecordWrite<D>>, Error>;

/// What [`FormatSpec::reader`] and [`Format::reader`] return.
pub type Reader = Result<Box<dyn RecordRead>, Error>;

/// A format: its description, its writer and its reader. Implemented by a unit
/// type in the format's module and listed once in the registry.
pub trait FormatSpec {
    /// What a front end needs to know.
    const INFO: FormatInfo;

    /// A writer to `out`.
    fn writer<D: Destination + 'static>(out: D, options: &WriteOptions) -> Writer<D>;

    /// A reader of `input`, named `source` in errors.
    fn reader<R: BufRead + 'static>(source: String, input: R, options: &ReadOptions) -> Reader;
}

impl Format {
    /// The format named `name` as an input (`--from`).
    pub fn named(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|format| format.info().name == name)
    }

    /// The format written under `name` (`--to`'s names: `conll`, `bioes`, `hf`),
    /// with the [`Name`] that says what else the name picks.
    pub fn by_write_name(name: &str) -> Option<(Format, &'static Name)> {
        Format::ALL.iter().find_map(|&format| {
            format.info().write_names.iter().find(|n| n.name == name).map(|n| (format, n))
        })
    }

    /// Every name a format is written under, in the registry's order.
    pub fn write_names() -> impl Iterator<Item = &'static str> {
        Format::ALL.iter().flat_map(|format| format.info().write_names.iter().map(|n| n.name))
    }

    /// The format an input with this extension (any case, no dot) is in, if one
    /// claims it.
    pub fn by_extension(extension: &str) -> Option<Format> {
        let extension = extension.to_ascii_lowercase();
        Format::ALL.iter().copied().find(|format| format.info().extensions.contains(&&*extension))
    }

    /// The format read from a directory of files, if one is.
    pub fn of_directory() -> Option<Format> {
        Format::ALL.iter().copied().find(|format| format.info().input == Input::Files)
    }

    /// Whether it can be read from standard input: lines, with no label list to
    /// find beside them.
    pub fn reads_stdin(self) -> bool {
        let info = self.info();
        info.input == Input::Lines && info.label_list.is_none()
    }
}

/// A destination with one stream and no room for other files: what a
/// [`Layout::Stream`] format needs. `write_file` is refused.
#[derive(Debug, Default)]
pub struct Stream<W>(pub W);

impl<W: Write> Write for Stream<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write> Destination for Stream<W> {
    fn write_file(&mut self, name: &str, _contents: &[u8]) -> Result<(), Error> {
        Err(Error::new(ErrorKind::Syntax {
            message: format!(
                "this format writes a file {name:?} beside its output, and the output is a \
                 stream — name an output file or directory"
            ),
        }))
    }
}

/// A destination in memory: the stream and every named file, in the order
/// written (for tests, and for callers that put the files elsewhere).
#[derive(Debug, Default)]
pub struct InMemory {
    /// The stream's bytes.
    pub stream: Vec<u8>,
    /// The named files.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Write for InMemory {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Destination for InMemory {
    fn write_file(&mut self, name: &str, contents: &[u8]) -> Result<(), Error> {
        self.files.push((name.to_string(), contents.to_vec()));
        Ok(())
    }
}

/// Records read whole (a DocBin, brat files), each with where it came from.
#[derive(Debug)]
pub struct ReadRecords {
    records: std::vec::IntoIter<(Record, Location)>,
    last: Location,
}

impl ReadRecords {
    /// The records of `source`, each with its location.
    pub fn new(source: &str, records: Vec<(Record, Location)>) -> Self {
        ReadRecords { records: records.into_iter(), last: Location::source(source) }
    }
}

impl Iterator for ReadRecords {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let (record, location) = self.records.next()?;
        self.last = location;
        Some(Ok(record))
    }
}

impl RecordRead for ReadRecords {
    fn location(&self) -> Location {
        self.last.clone()
    }
}

// The formats. Each is a unit type implementing `FormatSpec`; a new format's
// belongs in its own module.

/// rubric's records (JSON Lines).
#[derive(Debug)]
pub struct Jsonl;

impl<W: Write> RecordWrite<W> for RecordWriter<W> {
    fn write(&mut self, record: &Record) -> Result<(), Error> {
        RecordWriter::write(self, record)
    }

    fn finish(self: Box<Self>) -> Result<W, Error> {
        RecordWriter::finish(*self)
    }
}

impl<R: BufRead> RecordRead for RecordReader<R> {
    fn location(&self) -> Location {
        RecordReader::location(self)
    }
}

impl FormatSpec for Jsonl {
    const INFO: FormatInfo = FormatInfo {
        name: "jsonl",
        write_names: &[Name::new(
            "jsonl",
            "rubric's records (JSON Lines, schemas/record.schema.json)",
        )],
        read_help: "rubric's records (JSON Lines); also reads Prodigy's span format",
        extensions: &[],
        layout: Layout::Stream,
        input: Input::Lines,
        label_list: None,
        ids: Ids::Own,
        keeps: Keeps::ALL,
    };

    fn writer<D: Destination + 'static>(out: D, options: &WriteOptions) -> Writer<D> {
        Ok(Box::new(RecordWriter::with_unit(out, options.unit)))
    }

    fn reader<R: BufRead + 'static>(source: String, input: R, _options: &ReadOptions) -> Reader {
        Ok(Box::new(RecordReader::new(source, input)))
    }
}

/// CoNLL columns (IOB2, IOB1, BIOES, BILOU).
#[derive(Debug)]
pub struct Conll;

impl<W: Write> RecordWrite<W> for ConllWriter<W> {
    fn write(&mut self, record: &Record) -> Result<(), Error> {
        ConllWriter::write(self, record)
    }

    fn report(&self) -> Option<AlignmentReport> {
        Some(ConllWriter::report(self))
    }

    fn finish(self: Box<Self>) -> Result<W, Error> {
        ConllWriter::finish(*self)
    }
}

impl<R: BufRead> RecordRead for ConllReader<R> {
    fn location(&self) -> Location {
        ConllReader::location(self)
    }
}

impl FormatSpec for Conll {
    const INFO: FormatInfo = FormatInfo {
        name: "conll",
        write_names: &[
            Name::scheme("conll", "CoNLL columns with IOB2 tags", Scheme::Iob2),
            Name::scheme("iob2", "CoNLL columns with IOB2 tags (the same as conll)", Scheme::Iob2),
            Name::scheme("iob1", "CoNLL columns with IOB1 tags", Scheme::Iob1),
            Name::scheme("bioes", "CoNLL columns with BIOES tags", Scheme::Bioes),
            Name::scheme("bilou", "CoNLL columns with BILOU tags", Scheme::Bilou),
        ],
        read_help: "CoNLL columns: token first, tag last, in any of IOB1, IOB2, BIOES, BILOU",
        extensions: &["conll", "iob", "iob2", "bio", "bioes", "conllu"],
        layout: Layout::Stream,
        input: Input::Lines,
        label_list: None,
        ids: Ids::Positional,
        keeps: Keeps::NOTHING,
    };

    fn writer<D: Destination + 'static>(out: D, options: &WriteOptions) -> Writer<D> {
        Ok(Box::new(ConllWriter::new(out, options.scheme, options.misaligned)))
    }

    fn reader<R: BufRead + 'static>(source: String, input: R, _options: &ReadOptions) -> Reader {
        Ok(Box::new(ConllReader::new(source, input)))
    }
}

/// brat standoff: a `.txt` and an `.ann` file per document.
#[derive(Debug)]
pub struct Brat;

/// brat's writer: two files per record, named after its id.
struct BratWriter<D> {
    out: D,
    /// File stem → the id that took it, to refuse two documents one file name.
    stems: std::collections::HashMap<String, String>,
}

impl<D: Destination> RecordWrite<D> for BratWriter<D> {
    fn write(&mut self, record: &Record) -> Result<(), Error> {
        let stem = brat_file_stem(record.id())?;
        if let Some(other) = self.stems.insert(stem.clone(), record.id().to_string()) {
            return Err(Error::new(ErrorKind::BadId {
                id: record.id().to_string(),
                problem: format!(
                    "it makes the same file name ({stem}.txt) as document {other:?} — give \
                     documents distinct ids"
                ),
            }));
        }
        let doc = to_brat(record)?;
        self.out.write_file(&format!("{stem}.txt"), doc.txt.as_bytes())?;
        self.out.write_file(&format!("{stem}.ann"), doc.ann.as_bytes())
    }

    fn finish(self: Box<Self>) -> Result<D, Error> {
        Ok(self.out)
    }
}

impl FormatSpec for Brat {
    const INFO: FormatInfo = FormatInfo {
        name: "brat",
        write_names: &[Name::new(
            "brat",
            "brat standoff: a .txt and an .ann file per document, in the directory -o names",
        )],
        read_help: "brat standoff: a directory of .txt/.ann pairs, or .ann (or .txt) files",
        extensions: &["ann"],
        layout: Layout::Directory,
        input: Input::Files,
        label_list: None,
        ids: Ids::Own,
        keeps: Keeps::NOTHING,
    };

    fn writer<D: Destination + 'static>(out: D, _options: &WriteOptions) -> Writer<D> {
        Ok(Box::new(BratWriter { out, stems: Default::default() }))
    }

    fn reader<R: BufRead + 'static>(source: String, _input: R, _options: &ReadOptions) -> Reader {
        Err(Error::at(
            Location::source(source),
            ErrorKind::Syntax {
                message: "brat is read from its .txt and .ann files, not from one stream — \
                          name the directory or the .ann files"
                    .to_string(),
            },
        ))
    }
}

/// doccano JSONL, either layout.
#[derive(Debug)]
pub struct Doccano;

impl<W: Write> RecordWrite<W> for DoccanoWriter<W> {
    fn write(&mut self, record: &Record) -> Result<(), Error> {
        DoccanoWriter::write(self, record)
    }

    fn finish(self: Box<Self>) -> Result<W, Error> {
        DoccanoWriter::finish(*self)
    }
}

impl<R: BufRead> RecordRead for DoccanoReader<R> {
    fn location(&self) -> Location {
        DoccanoReader::location(self)
    }
}

impl FormatSpec for Doccano {
    const INFO: FormatInfo = FormatInfo {
        name: "doccano",
        write_names: &[Name::new("doccano", "doccano JSONL (see --doccano-layout)")],
        read_help: "doccano JSONL, either layout",
        extensions: &[],
        layout: Layout::Stream,
        input: Input::Lines,
        label_list: None,
        ids: Ids::Optional,
        // The entities layout writes back an entity's `id` and the document's
        // `relations` (`Format::keeps`: not the label layout).
        keeps: Keeps { meta_fields: &["relations"], span_fields: &["id"], ..Keeps::NOTHING },
    };

    fn writer<D: Destination + 'static>(out: D, options: &WriteOptions) -> Writer<D> {
        Ok(Box::new(DoccanoWriter::new(out, options.doccano_layout)))
    }

    fn reader<R: BufRead + 'static>(source: String, input: R, _options: &ReadOptions) -> Reader {
        Ok(Box::new(DoccanoReader::new(source, input)))
    }
}

/// Hugging Face token classification JSONL, with its label list beside it.
#[derive(Debug)]
pub struct Hf;

/// The Hugging Face writer and where its two files go.
struct HfFiles<D> {
    writer: HfWriter,
    out: D,
}

impl<D: Destination> RecordWrite<D> for HfFiles<D> {
    fn write(&mut self, record: &Record) -> Result<(), Error> {
        self.writer.write(record)
    }

    fn report(&self) -> Option<AlignmentReport> {
        Some(self.writer.report())
    }

    fn finish(self: Box<Self>) -> Result<D, Error> {
        let HfFiles { writer, mut out } = *self;
        let mut labels = Vec::new();
        writer.finish(&mut out, &mut labels)?;
        out.write_file(LABEL_LIST, &labels)?;
        Ok(out)
    }
}

const LABEL_LIST: &str = "labels.json";

impl<R: BufRead> RecordRead for HfReader<R> {
    fn location(&self) -> Location {
        HfReader::location(self)
    }
}

impl FormatSpec for Hf {
    const INFO: FormatInfo = FormatInfo {
        name: "hf",
        write_names: &[Name::new(
            "hf",
            "Hugging Face token classification JSONL, with the label list in <stem>.labels.json",
        )],
        read_help: "Hugging Face token classification JSONL (label list from --labels or \
                    <stem>.labels.json)",
        extensions: &[],
        layout: Layout::File,
        input: Input::Lines,
        label_list: Some(LABEL_LIST),
        ids: Ids::Positional,
        keeps: Keeps::NOTHING,
    };

    fn writer<D: Destination + 'static>(out: D, options: &WriteOptions) -> Writer<D> {
        Ok(Box::new(HfFiles { writer: HfWriter::new(options.misaligned), out }))
    }

    fn reader<R: BufRead + 'static>(source: String, input: R, options: &ReadOptions) -> Reader {
        Ok(Box::new(HfReader::new(source, input, options.labels.clone())))
    }
}

/// spaCy 3's `DocBin` (`.spacy`).
#[derive(Debug)]
pub struct Spacy;

/// The DocBin writer and where the DocBin goes when it is complete.
struct DocBinFile<D> {
    writer: DocBinWriter,
    out: D,
}

impl<D: Destination> RecordWrite<D> for DocBinFile<D> {
    fn write(&mut self, record: &Record) -> Result<(), Error> {
        self.writer.write(record)
    }

    fn report(&self) -> Option<AlignmentReport> {
        Some(self.writer.report())
    }

    fn finish(self: Box<Self>) -> Result<D, Error> {
        let DocBinFile { writer, mut out } = *self;
        writer.finish(&mut out)?;
        Ok(out)
    }
}

impl FormatSpec for Spacy {
    const INFO: FormatInfo = FormatInfo {
        name: "spacy",
        write_names: &[Name::new("spacy", "spaCy 3 DocBin (.spacy)")],
        read_help: "spaCy 3 DocBin (.spacy)",
        extensions: &["spacy"],
        layout: Layout::File,
        input: Input::File,
        label_list: None,
        ids: Ids::Own,
        keeps: Keeps { kb_id: true, ..Keeps::NOTHING },
    };

    fn writer<D: Destination + 'static>(out: D, options: &WriteOptions) -> Writer<D> {
        Ok(Box::new(DocBinFile { writer: DocBinWriter::new(options.misaligned), out }))
    }

    fn reader<R: BufRead + 'static>(
        source: String,
        mut input: R,
        _options: &ReadOptions,
    ) -> Reader {
        let mut bytes = Vec::new();
        input
            .read_to_end(&mut bytes)
            .map_err(|err| Error::at(Location::source(source.clone()), ErrorKind::Io(err)))?;
        let records = read_docbin(&source, &bytes)?
            .into_iter()
            .enumerate()
            .map(|(n, record)| (record, Location::source(format!("{source}#{}", n + 1))))
            .collect();
        Ok(Box::new(ReadRecords::new(&source, records)))
    }
}

/// Makes the [`Format`] enum and its dispatch from one list: a line per format,
/// `Variant("doc line") => path::to::Spec,`.
macro_rules! registry {
    ($($variant:ident($doc:literal) => $spec:path,)*) => {
        /// Every format rubric reads or writes: the registry. [`Format::info`]
        /// describes one, [`Format::writer`] and [`Format::reader`] make its
        /// writer and reader.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Format {
            $(#[doc = $doc] $variant,)*
        }

        impl Format {
            /// Every format, in the order front ends list them.
            pub const ALL: &'static [Format] = &[$(Format::$variant,)*];

            /// What a front end needs to know about the format.
            pub fn info(self) -> &'static FormatInfo {
                match self {
                    $(Format::$variant => &<$spec as FormatSpec>::INFO,)*
                }
            }

            /// A writer of the format to `out`.
            pub fn writer<D: Destination + 'static>(
                self,
                out: D,
                options: &WriteOptions,
            ) -> Writer<D> {
                match self {
                    $(Format::$variant => <$spec as FormatSpec>::writer(out, options),)*
                }
            }

            /// A reader of the format from `input`, named `source` in errors.
            pub fn reader<R: BufRead + 'static>(
                self,
                source: String,
                input: R,
                options: &ReadOptions,
            ) -> Reader {
                match self {
                    $(Format::$variant => <$spec as FormatSpec>::reader(source, input, options),)*
                }
            }
        }
    };
}

registry! {
    Jsonl("rubric's records (JSON Lines)") => Jsonl,
    Conll("CoNLL columns (IOB2, IOB1, BIOES, BILOU)") => Conll,
    Brat("brat standoff") => Brat,
    Doccano("doccano JSONL") => Doccano,
    Hf("Hugging Face token classification JSONL") => Hf,
    Spacy("spaCy 3's DocBin") => Spacy,
    LabelStudio("Label Studio's JSON export") => crate::label_studio::LabelStudio,
}

impl Format {
    /// What it keeps of a record written with `options` ([`Keeps`]): its
    /// `FormatInfo`'s, but for doccano's label layout, which has no entity ids
    /// or relations to write back.
    pub fn keeps(self, options: &WriteOptions) -> Keeps {
        match (self, options.doccano_layout) {
            (Format::Doccano, DoccanoLayout::Label) => Keeps::NOTHING,
            _ => self.info().keeps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brat::from_brat;
    use crate::record::SpanInput;
    use rubric_tokenizer::Tokenizer;

    fn records() -> Vec<Record> {
        let tokenizer = Tokenizer::new();
        let one = "US President Joe Biden spoke in Baghdad.";
        let two = "Iraqi militias warned the United Nations.";
        vec![
            Record::tokenize(
                "d1",
                one,
                &tokenizer,
                vec![SpanInput::new(0, 2, "GPE"), SpanInput::new(13, 22, "PERSON")],
            )
            .unwrap(),
            Record::tokenize("d2", two, &tokenizer, vec![SpanInput::new(26, 40, "ORG")]).unwrap(),
        ]
    }

    /// Each record's spans as `(text, label)`: what every format keeps (the
    /// token-based ones rebuild the text from tokens, so not the text itself).
    fn spans(records: &[Record]) -> Vec<Vec<(String, String)>> {
        records
            .iter()
            .map(|record| {
                let text = record.text();
                record
                    .spans()
                    .iter()
                    .map(|span| (text[span.start..span.end].to_string(), span.label.to_string()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn names_are_unique_and_each_format_is_written_under_its_own_name() {
        let mut names = std::collections::HashSet::new();
        for format in Format::ALL {
            let info = format.info();
            assert_eq!(info.write_names[0].name, info.name, "{format:?}");
            assert_eq!(Format::named(info.name), Some(*format));
            for name in info.write_names {
                assert!(names.insert(name.name), "{} is named twice", name.name);
                assert!(!name.help.ends_with('.'), "{}: clap adds no period", name.name);
            }
        }
        let (bioes, name) = Format::by_write_name("bioes").unwrap();
        assert_eq!((bioes, name.scheme), (Format::Conll, Some(Scheme::Bioes)));
        assert_eq!(Format::by_write_name("iob"), None);
        assert_eq!(Format::write_names().count(), names.len());
        assert_eq!(Format::by_extension("CoNLL"), Some(Format::Conll));
        assert_eq!(Format::by_extension("ann"), Some(Format::Brat));
        assert_eq!(Format::by_extension("jsonl"), None);
        // Label Studio's file is JSON, too generic an extension to claim.
        assert_eq!(Format::by_extension("json"), None);
        let (studio, name) = Format::by_write_name("label-studio-annotations").unwrap();
        assert_eq!((studio, name.annotations), (Format::LabelStudio, true));
        assert!(!Format::by_write_name("label-studio").unwrap().1.annotations);
        assert_eq!(Format::of_directory(), Some(Format::Brat));
        assert!(Format::Jsonl.reads_stdin() && !Format::Hf.reads_stdin());
    }

    /// Every format the registry can read back from what its writer wrote gives
    /// back the same texts, spans and labels, through the registry alone, under
    /// every name it is written by (CoNLL's schemes, Label Studio's predictions
    /// and annotations).
    #[test]
    fn every_format_round_trips_through_the_registry() {
        let records = records();
        let written_names = Format::ALL
            .iter()
            .flat_map(|&format| format.info().write_names.iter().map(move |name| (format, name)));
        for (format, name) in written_names {
            let info = format.info();
            let options = WriteOptions {
                scheme: name.scheme.unwrap_or_default(),
                label_studio_annotations: name.annotations,
                model_version: None,
                ..WriteOptions::default()
            };
            let mut writer = format.writer(InMemory::default(), &options).unwrap();
            for record in &records {
                writer.write(record).unwrap();
            }
            let written = writer.finish().unwrap();
            if info.input == Input::Files {
                // brat: a .txt and an .ann per document, named after its id.
                let names: Vec<&str> = written.files.iter().map(|(name, _)| &name[..]).collect();
                assert_eq!(names, ["d1.txt", "d1.ann", "d2.txt", "d2.ann"]);
                let text = |i: usize| String::from_utf8(written.files[i].1.clone()).unwrap();
                let back: Vec<Record> = [(0, "d1"), (2, "d2")]
                    .iter()
                    .map(|&(i, id)| {
                        from_brat(id, text(i), &text(i + 1), "ann", &Tokenizer::new()).unwrap().0
                    })
                    .collect();
                assert_eq!(spans(&back), spans(&records));
                continue;
            }
            let mut read = ReadOptions::default();
            if let Some(list) = info.label_list {
                assert_eq!(written.files.len(), 1, "{format:?}");
                assert_eq!(written.files[0].0, list);
                read.labels = serde_json::from_slice(&written.files[0].1).unwrap();
            } else {
                assert!(written.files.is_empty(), "{format:?}");
            }
            let input = std::io::Cursor::new(written.stream);
            let reader = format.reader("mem".to_string(), input, &read);
            let back: Vec<Record> = reader.unwrap().collect::<Result<_, _>>().unwrap();
            assert_eq!(spans(&back), spans(&records), "{format:?} as {}", name.name);
        }
    }

    #[test]
    fn a_stream_destination_refuses_other_files() {
        let mut hf = Format::Hf.writer(Stream(Vec::new()), &WriteOptions::default()).unwrap();
        hf.write(&records()[0]).unwrap();
        let err = hf.finish().err().map(|err| err.to_string()).unwrap_or_default();
        assert!(err.contains("\"labels.json\""), "{err}");
    }
}
