//! Label Studio's JSON, both ways: the task list it imports (rubric's spans as
//! predictions to correct, or as annotations) and the export it writes (every
//! annotator's annotations of every task), read back into one record stream per
//! annotator.
//!
//! Offsets: Label Studio's `start`/`end` of a text region count Unicode code points
//! (Python `str` indices). Its editor runs in a browser, whose strings count UTF-16
//! units, and converts on the way out: `web/libs/editor/src/utils/selection-tools.js`
//! measures every text node with `[...node.textContent].length` ("complex unicode
//! symbols handled as code points, not UTF chars ... for external usage js length
//! should be converted to code points count"), and its converter (`label-studio-sdk`,
//! `converter/utils.py`) slices Python strings with them. So both directions convert
//! with [`OffsetMap`] in [`OffsetUnit::Char`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io::{BufRead, Read, Write};

use rubric_offsets::{OffsetMap, OffsetUnit};
use rubric_tokenizer::Tokenizer;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{
    escape_controls, escape_markup, json_type_name, Error, ErrorKind, Location, SpanRef,
};
use crate::format::{
    Destination, FormatInfo, FormatSpec, Ids, Input, Keeps, Layout, Name, ReadOptions, ReadRecords,
    Reader, RecordRead, RecordWrite, WriteOptions, Writer,
};
use crate::lines::{value_offset, Step};
use crate::record::{Record, SpanInput};

/// The data field rubric keeps a record's id in. Not `id`: Label Studio's JSON-MIN
/// export flattens `data` into each item and then writes the task's own numeric
/// `id` over a field of that name.
pub const DOC_ID_FIELD: &str = "doc_id";

/// The data field rubric keeps a record's `meta` in.
pub const META_FIELD: &str = "meta";

/// How the spans go into the tasks: as a model's predictions, which Label Studio
/// shows for an annotator to accept or correct, or as finished annotations.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabelStudioTarget {
    /// `predictions: [{"model_version": ..., "result": [...]}]`: pre-annotation,
    /// what Label Studio's import expects from a model. The default.
    Predictions {
        /// What Label Studio shows as the model: rubric's version and the
        /// gazetteer's name, so a project can tell runs apart.
        model_version: String,
    },
    /// `annotations: [{"id": ..., "result": [...]}]` on tasks with a numeric `id`:
    /// the shape of a Label Studio export, which its own converters read.
    Annotations,
}

/// How to write Label Studio tasks: predictions or annotations, and the names of
/// the labeling configuration's `<Labels>` control, its `<Text>` object and the
/// data field the text is in. Built by chaining setters on [`LabelStudioOptions::new`].
///
/// ```
/// use rubric_exporter::LabelStudioOptions;
///
/// let options = LabelStudioOptions::new().predictions("rubric 0.1.0 default").from_name("ner");
/// assert!(options.label_config(["GPE", "ORG"]).contains(r#"<Labels name="ner" toName="text">"#));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelStudioOptions {
    target: LabelStudioTarget,
    from_name: String,
    to_name: String,
    text_field: String,
}

impl Default for LabelStudioOptions {
    fn default() -> Self {
        LabelStudioOptions {
            target: LabelStudioTarget::Predictions {
                model_version: concat!("rubric ", env!("CARGO_PKG_VERSION")).to_string(),
            },
            from_name: "label".to_string(),
            to_name: "text".to_string(),
            text_field: "text".to_string(),
        }
    }
}

impl LabelStudioOptions {
    /// Predictions with model version `rubric <version>`, a `<Labels name="label">`
    /// control on a `<Text name="text" value="$text">` object: the names of Label
    /// Studio's "Named Entity Recognition" template.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes the spans as predictions of `model_version`.
    pub fn predictions(mut self, model_version: impl Into<String>) -> Self {
        self.target = LabelStudioTarget::Predictions { model_version: model_version.into() };
        self
    }

    /// Writes the spans as annotations, in the shape of a Label Studio export.
    pub fn annotations(mut self) -> Self {
        self.target = LabelStudioTarget::Annotations;
        self
    }

    /// The `name` of the `<Labels>` control (each result's `from_name`).
    pub fn from_name(mut self, name: impl Into<String>) -> Self {
        self.from_name = name.into();
        self
    }

    /// The `name` of the `<Text>` object (each result's `to_name`).
    pub fn to_name(mut self, name: impl Into<String>) -> Self {
        self.to_name = name.into();
        self
    }

    /// The task's data field holding the text (the `<Text>` object's `value`,
    /// without its `$`).
    pub fn text_field(mut self, field: impl Into<String>) -> Self {
        self.text_field = field.into();
        self
    }

    /// Where the spans go.
    pub fn target(&self) -> &LabelStudioTarget {
        &self.target
    }

    /// A labeling configuration for a project that shows these tasks: the
    /// `<Labels>` control with one `<Label>` per label given, on the `<Text>`
    /// object. Label Studio only shows regions whose label its configuration
    /// lists, and its converters read the configuration to know which field
    /// holds the text.
    pub fn label_config<'a>(&self, labels: impl IntoIterator<Item = &'a str>) -> String {
        let mut xml = String::from("<View>\n");
        xml.push_str(&format!(
            "  <Labels name=\"{}\" toName=\"{}\">\n",
            escape_markup(&self.from_name),
            escape_markup(&self.to_name)
        ));
        for label in labels {
            xml.push_str(&format!("    <Label value=\"{}\"/>\n", escape_markup(label)));
        }
        xml.push_str("  </Labels>\n");
        xml.push_str(&format!(
            "  <Text name=\"{}\" value=\"${}\"/>\n</View>\n",
            escape_markup(&self.to_name),
            escape_markup(&self.text_field)
        ));
        xml
    }
}

/// Writes records as a Label Studio task list: one JSON array, one task per line.
///
/// Each task's `data` holds the text (under [`LabelStudioOptions::text_field`]),
/// the record's id (under `doc_id`) and its `meta` (under `meta`, when it has
/// any), so reading the export back gives the same documents. Each span is one
/// `labels` result, offsets in code points; `kb_id`, `source` and the tokens are
/// not written (Label Studio's regions have no place for them).
///
/// ```
/// use rubric_exporter::{LabelStudioOptions, LabelStudioWriter, Record, SpanInput};
/// use rubric_tokenizer::Tokenizer;
///
/// let record = Record::tokenize("d1", "Iran’s IRGC", &Tokenizer::new(), vec![SpanInput::new(9, 13, "ORG")])?;
/// let mut writer = LabelStudioWriter::new(Vec::new(), LabelStudioOptions::new().predictions("rubric test"));
/// writer.write(&record)?;
/// assert_eq!(writer.labels(), ["ORG"]);
/// let json = String::from_utf8(writer.finish()?).unwrap();
/// assert_eq!(json, concat!(
///     "[\n",
///     r#"{"data":{"text":"Iran’s IRGC","doc_id":"d1"},"predictions":[{"model_version":"rubric test","result":["#,
///     r#"{"id":"d1-1","from_name":"label","to_name":"text","type":"labels","value":{"start":7,"end":11,"text":"IRGC","labels":["ORG"]}}"#,
///     "]}]}\n]\n",
/// ));
/// # Ok::<(), rubric_exporter::Error>(())
/// ```
#[derive(Debug)]
pub struct LabelStudioWriter<W: Write> {
    out: W,
    options: LabelStudioOptions,
    tasks: usize,
    labels: BTreeSet<String>,
    buffer: Vec<u8>,
}

impl<W: Write> LabelStudioWriter<W> {
    /// A writer of tasks to `out`.
    pub fn new(out: W, options: LabelStudioOptions) -> Self {
        LabelStudioWriter { out, options, tasks: 0, labels: BTreeSet::new(), buffer: Vec::new() }
    }

    /// Writes one record as one task.
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        let options = &self.options;
        if options.text_field == DOC_ID_FIELD || options.text_field == META_FIELD {
            return Err(Error::new(ErrorKind::Syntax {
                message: format!(
                    "the text field cannot be named {:?}: rubric keeps the record's id in \
                     \"{DOC_ID_FIELD}\" and its meta in \"{META_FIELD}\" — name it \"text\"",
                    options.text_field
                ),
            }));
        }
        let chars = OffsetMap::new(record.text(), OffsetUnit::Char);
        let buffer = &mut self.buffer;
        buffer.clear();
        let task = self.tasks + 1;
        buffer.extend_from_slice(if self.tasks == 0 { b"[\n{" } else { b",\n{" });
        if options.target == LabelStudioTarget::Annotations {
            buffer.extend_from_slice(format!("\"id\":{task},").as_bytes());
        }
        buffer.extend_from_slice(b"\"data\":{");
        json_string(buffer, &options.text_field)?;
        buffer.push(b':');
        json_string(buffer, record.text())?;
        buffer.extend_from_slice(format!(",\"{DOC_ID_FIELD}\":").as_bytes());
        json_string(buffer, record.id())?;
        write_meta(buffer, record)?;
        buffer.push(b'}');
        match &options.target {
            LabelStudioTarget::Predictions { model_version } => {
                buffer.extend_from_slice(b",\"predictions\":[{\"model_version\":");
                json_string(buffer, model_version)?;
                buffer.extend_from_slice(b",\"result\":[");
            }
            LabelStudioTarget::Annotations => {
                buffer.extend_from_slice(
                    format!(",\"annotations\":[{{\"id\":{task},\"result\":[").as_bytes(),
                );
            }
        }
        for (n, span) in record.spans().iter().enumerate() {
            let convert = |byte| {
                chars.to_unit(byte).map_err(|error| {
                    Error::new(ErrorKind::SpanOffset { span: record.span_ref(span), error })
                })
            };
            let (start, end) = (convert(span.start)?, convert(span.end)?);
            if n > 0 {
                buffer.push(b',');
            }
            // Region ids only need to be unique within the task; the document's id
            // and the span's place make them readable and the same on every run.
            buffer.extend_from_slice(b"{\"id\":");
            json_string(buffer, &format!("{}-{}", record.id(), n + 1))?;
            buffer.extend_from_slice(b",\"from_name\":");
            json_string(buffer, &options.from_name)?;
            buffer.extend_from_slice(b",\"to_name\":");
            json_string(buffer, &options.to_name)?;
            buffer.extend_from_slice(
                format!(
                    ",\"type\":\"labels\",\"value\":{{\"start\":{start},\"end\":{end},\"text\":"
                )
                .as_bytes(),
            );
            json_string(buffer, record.span_text(span))?;
            buffer.extend_from_slice(b",\"labels\":[");
            json_string(buffer, &span.label)?;
            buffer.extend_from_slice(b"]}}");
            if !self.labels.contains(span.label.as_str()) {
                self.labels.insert(span.label.to_string());
            }
        }
        match options.target {
            LabelStudioTarget::Predictions { .. } => buffer.extend_from_slice(b"]}]}"),
            LabelStudioTarget::Annotations => {
                buffer.extend_from_slice(b"],\"was_cancelled\":false,\"ground_truth\":false}]}")
            }
        }
        self.out.write_all(buffer).map_err(Error::io)?;
        self.tasks += 1;
        Ok(())
    }

    /// The labels written so far, sorted: what the project's labeling
    /// configuration must list ([`LabelStudioWriter::label_config`]).
    pub fn labels(&self) -> Vec<String> {
        self.labels.iter().cloned().collect()
    }

    /// A labeling configuration listing every label written so far (see
    /// [`LabelStudioOptions::label_config`]).
    pub fn label_config(&self) -> String {
        self.options.label_config(self.labels.iter().map(String::as_str))
    }

    /// Closes the array, flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W, Error> {
        let end: &[u8] = if self.tasks == 0 { b"[]\n" } else { b"\n]\n" };
        self.out.write_all(end).map_err(Error::io)?;
        self.out.flush().map_err(Error::io)?;
        Ok(self.out)
    }
}

fn json_error(err: serde_json::Error) -> Error {
    Error::io(std::io::Error::other(err))
}

fn json_string(buffer: &mut Vec<u8>, text: &str) -> Result<(), Error> {
    serde_json::to_writer(&mut *buffer, text).map_err(json_error)
}

/// `,"meta":{...}` with the record's `meta` and its exact fields merged in key
/// order, or nothing when both are empty. `offsets` is left out: it names the unit
/// of a JSON Lines record, and a task's offsets are always code points.
fn write_meta(buffer: &mut Vec<u8>, record: &Record) -> Result<(), Error> {
    let mut fields: BTreeMap<&str, Result<&Value, &RawValue>> = BTreeMap::new();
    for (key, value) in record.meta() {
        fields.insert(key, Ok(value));
    }
    for (key, json) in record.exact_meta().iter() {
        fields.insert(key, Err(json));
    }
    fields.remove("offsets");
    if fields.is_empty() {
        return Ok(());
    }
    buffer.extend_from_slice(format!(",\"{META_FIELD}\":{{").as_bytes());
    for (n, (key, value)) in fields.into_iter().enumerate() {
        if n > 0 {
            buffer.push(b',');
        }
        json_string(buffer, key)?;
        buffer.push(b':');
        match value {
            Ok(value) => serde_json::to_writer(&mut *buffer, value).map_err(json_error)?,
            Err(json) => buffer.extend_from_slice(json.get().as_bytes()),
        }
    }
    buffer.push(b'}');
    Ok(())
}

/// How to read a Label Studio export. Everything is found in the file unless set
/// here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelStudioReadOptions {
    from_name: Option<String>,
    text_field: Option<String>,
}

impl LabelStudioReadOptions {
    /// Options that find everything in the file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the regions of the `<Labels>` control named `name` (the results'
    /// `from_name`). Needed only when the file holds regions of more than one.
    pub fn from_name(mut self, name: impl Into<String>) -> Self {
        self.from_name = Some(name.into());
        self
    }

    /// Takes each task's text from the data field `field`. Without it, the text
    /// is the data field named after the regions' `to_name` (Label Studio's
    /// templates name the `<Text>` object after its field), else `text`, else the
    /// only string field.
    pub fn text_field(mut self, field: impl Into<String>) -> Self {
        self.text_field = Some(field.into());
        self
    }
}

/// Whose records a [`LabelStudioStream`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum StreamKind {
    /// A person's annotations (an export's `annotations`).
    Annotator,
    /// A model's predictions (a task's `predictions`).
    Prediction,
}

impl StreamKind {
    /// `annotator` or `prediction`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Annotator => "annotator",
            StreamKind::Prediction => "prediction",
        }
    }
}

/// The records of one annotator (or one model's predictions): one per task they
/// annotated, with where in the file the annotation is.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelStudioStream {
    /// The annotator as the export names them: the e-mail address Label Studio
    /// writes in `completed_by` (or JSON-MIN's `annotator`), else their numeric
    /// user id (`"7"`), else `anonymous`; for predictions, the model version (or
    /// `prediction`). A second annotation by the same annotator of the same task
    /// goes to a stream of its own, named with ` #2` after the name.
    pub name: String,
    /// Whose records these are.
    pub kind: StreamKind,
    /// One record per task, in file order, each with the location of its
    /// annotation.
    pub records: Vec<(Record, Location)>,
}

/// What reading a Label Studio export left out, and why; never silent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelStudioReport {
    /// Tasks read (items, for JSON-MIN).
    pub tasks: usize,
    /// Tasks no annotator annotated (in a full export).
    pub unannotated_tasks: usize,
    /// Annotations read.
    pub annotations: usize,
    /// Predictions read.
    pub predictions: usize,
    /// Annotations skipped because the annotator cancelled (skipped) the task.
    pub cancelled: usize,
    /// Results not read, by what they are: their `type` (`relation`, `choices`,
    /// `textarea`, ...), `labels from <name>` for regions of another `<Labels>`
    /// control, `labels without a label` for a region whose label list is empty.
    pub skipped_results: BTreeMap<String, usize>,
}

impl fmt::Display for LabelStudioReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} task(s): {} annotation(s), {} prediction(s)",
            self.tasks, self.annotations, self.predictions
        )?;
        if self.unannotated_tasks > 0 {
            write!(f, "; {} task(s) without annotations", self.unannotated_tasks)?;
        }
        if self.cancelled > 0 {
            write!(f, "; {} cancelled annotation(s) skipped", self.cancelled)?;
        }
        for (what, count) in &self.skipped_results {
            write!(f, "; {count} {what} result(s) not read (records hold labelled spans only)")?;
        }
        Ok(())
    }
}

/// A Label Studio export as records: one stream per annotator and per model
/// whose predictions the tasks carry, and what was left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelStudioExport {
    /// The streams, in the order their first annotation appears in the file.
    pub streams: Vec<LabelStudioStream>,
    /// What was read and what was not.
    pub report: LabelStudioReport,
}

impl LabelStudioExport {
    /// The stream named `name` (annotators first, then predictions), or without a
    /// name the only annotator's (or, with no annotator, the only model's): what a
    /// front end that reads one set of documents takes. An error lists the
    /// streams there are.
    pub fn select(&self, name: Option<&str>) -> Result<&LabelStudioStream, Error> {
        self.position(name).map(|index| &self.streams[index])
    }

    /// [`LabelStudioExport::select`], taking the stream out instead of borrowing it:
    /// what a reader that hands the records on needs, without copying them.
    pub fn into_selected(mut self, name: Option<&str>) -> Result<LabelStudioStream, Error> {
        let index = self.position(name)?;
        Ok(self.streams.swap_remove(index))
    }

    /// The index of the stream `select` picks.
    fn position(&self, name: Option<&str>) -> Result<usize, Error> {
        let streams = || self.streams.iter().enumerate();
        let found = match name {
            Some(name) => {
                [StreamKind::Annotator, StreamKind::Prediction].into_iter().find_map(|kind| {
                    streams().find(|(_, s)| s.kind == kind && s.name == name).map(|(i, _)| i)
                })
            }
            None => {
                let annotators: Vec<usize> = streams()
                    .filter(|(_, s)| s.kind == StreamKind::Annotator)
                    .map(|(i, _)| i)
                    .collect();
                let candidates: Vec<usize> = if annotators.is_empty() {
                    streams().map(|(i, _)| i).collect()
                } else {
                    annotators
                };
                match candidates.as_slice() {
                    [only] => Some(*only),
                    _ => None,
                }
            }
        };
        found.ok_or_else(|| {
            let names = |kind| {
                let names: Vec<String> = self
                    .streams
                    .iter()
                    .filter(|s| s.kind == kind)
                    .map(|s| format!("{:?}", s.name))
                    .collect();
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            };
            let what = match name {
                Some(name) => format!("no annotator or model is named {name:?}"),
                None if self.streams.is_empty() => {
                    "the file holds no annotations and no predictions".to_string()
                }
                None => "the file holds more than one annotator's annotations".to_string(),
            };
            Error::new(ErrorKind::Syntax {
                message: format!(
                    "{what} — annotators: {}; predictions: {}; name the one to read",
                    names(StreamKind::Annotator),
                    names(StreamKind::Prediction)
                ),
            })
        })
    }
}

/// JSON-MIN's own fields beside the task's data fields (its converter writes
/// them on every item).
const JSON_MIN_FIELDS: [&str; 7] =
    ["id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement"];

/// Reads a Label Studio export: the full JSON export (a list of tasks with their
/// `annotations`, `predictions` and `data`; the older `completions` too) or the
/// JSON-MIN export (one item per annotation, data fields flattened, regions under
/// the control's name), told apart by the first task.
///
/// Each annotation becomes a record in its annotator's [`LabelStudioStream`], each
/// prediction one in its model's. A record's id is the task's `data.doc_id` (as
/// [`LabelStudioWriter`] writes it), else the task's `id`, else
/// `<source>:<line>`; its `meta` is `data.meta` and every other data field. Its
/// spans are the `labels` results of the one `<Labels>` control the file uses
/// (or the one [`LabelStudioReadOptions::from_name`] names), one span per label
/// of a region, offsets in code points checked against the region's `text`.
/// Cancelled annotations, other result types (relations, choices, ...) and other
/// controls' regions are counted in the [`LabelStudioReport`]. The text is
/// tokenized with rubric's tokenizer.
///
/// Errors name the task (its index from 0, as a JSON path: `[3].annotations[0]`)
/// and its place in the file (`<source>:<line>:<column>`).
///
/// ```
/// use rubric_exporter::{read_label_studio, LabelStudioReadOptions, StreamKind};
///
/// let export = r#"[{"id": 7, "data": {"text": "Hi Iraq"}, "annotations": [
///   {"id": 1, "completed_by": 3, "was_cancelled": false, "result": [
///     {"id": "a", "from_name": "label", "to_name": "text", "type": "labels",
///      "value": {"start": 3, "end": 7, "text": "Iraq", "labels": ["GPE"]}}]},
///   {"id": 2, "completed_by": 4, "was_cancelled": true, "result": []}]}]"#;
/// let read = read_label_studio("export.json", export.as_bytes(), &LabelStudioReadOptions::new())?;
/// let stream = read.select(None)?;
/// assert_eq!((stream.name.as_str(), stream.kind), ("3", StreamKind::Annotator));
/// let (record, _) = &stream.records[0];
/// assert_eq!((record.id(), record.spans()[0].label.as_str()), ("7", "GPE"));
/// assert_eq!(read.report.cancelled, 1);
/// # Ok::<(), rubric_exporter::Error>(())
/// ```
pub fn read_label_studio(
    source: &str,
    mut input: impl Read,
    options: &LabelStudioReadOptions,
) -> Result<LabelStudioExport, Error> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|err| Error::at(Location::source(source), ErrorKind::Io(err)))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let bad = err.utf8_error().valid_up_to();
            let byte = err.as_bytes().get(bad).copied().unwrap_or_default();
            let lines = Lines::new(source, &err.as_bytes()[..bad]);
            return Err(Error::at(
                lines.locate(bad),
                ErrorKind::InvalidUtf8 { byte_offset: bad as u64, byte },
            ));
        }
    };
    let lines = Lines::new(source, text.as_bytes());
    let bom = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let body = &text[bom..];
    let malformed = |err: serde_json::Error| {
        let full = err.to_string();
        let position = format!(" at line {} column {}", err.line(), err.column());
        let message = full.strip_suffix(&position).unwrap_or(&full).to_string();
        let column = err.column() + if err.line() == 1 { bom } else { 0 };
        Error::at(
            Location::column(source, err.line() as u64, column as u64),
            ErrorKind::Syntax {
                message: format!(
                    "malformed JSON: {message} — a Label Studio export is one JSON array of \
                     tasks; export it again (JSON or JSON-MIN), or check that the file was \
                     not cut short"
                ),
            },
        )
    };
    let top: &RawValue = serde_json::from_str(body).map_err(malformed)?;
    let tasks: Vec<&RawValue> = match top.get().trim_start().as_bytes().first() {
        Some(b'[') => serde_json::from_str(top.get()).map_err(malformed)?,
        Some(b'{') => vec![top],
        _ => {
            let found: Value = serde_json::from_str(top.get()).map_err(malformed)?;
            return Err(Error::at(
                lines.locate(bom),
                ErrorKind::WrongType {
                    what: "Label Studio export".to_string(),
                    field: "(the file itself)".to_string(),
                    expected: "an array of tasks",
                    found: json_type_name(&found),
                },
            ));
        }
    };
    let reader = ExportReader { source, text: &text, lines, options, tokenizer: Tokenizer::new() };
    reader.read(&tasks)
}

/// Line starts of the input, to turn byte offsets into `line:column`.
struct Lines<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(source: &'a str, bytes: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(bytes.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i + 1));
        Lines { source, starts }
    }

    /// The 1-based line and byte column of `offset`.
    fn locate(&self, offset: usize) -> Location {
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line.saturating_sub(1)];
        Location::column(self.source, line as u64, (offset - start + 1) as u64)
    }
}

/// Which shape the export is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Full,
    Min,
}

/// The `<Labels>` control whose regions become spans.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Control {
    from_name: String,
    to_name: Option<String>,
}

struct ExportReader<'a> {
    source: &'a str,
    text: &'a str,
    lines: Lines<'a>,
    options: &'a LabelStudioReadOptions,
    tokenizer: Tokenizer,
}

/// One task being read: its raw JSON (for locations) and its index.
struct Task<'a> {
    raw: &'a str,
    index: usize,
}

/// A path into a task, for messages: `[3].annotations[0].result[2]`.
fn path_text(index: usize, path: &[Step<'_>]) -> String {
    let mut text = format!("[{index}]");
    for step in path {
        match step {
            Step::Key(key) => text.push_str(&format!(".{key}")),
            Step::Index(i) => text.push_str(&format!("[{i}]")),
        }
    }
    text
}

impl<'a> ExportReader<'a> {
    fn offset_of(&self, raw: &str) -> usize {
        raw.as_ptr() as usize - self.text.as_ptr() as usize
    }

    /// The location of the value at `path` in `task` (of the task when the path
    /// is not there).
    fn at(&self, task: &Task<'_>, path: &[Step<'_>]) -> Location {
        let start = self.offset_of(task.raw);
        let within = value_offset(task.raw, path).unwrap_or(0);
        self.lines.locate(start + within)
    }

    /// The line of each element of the array at `path` in `task`, found in one
    /// pass. Locating each element by its path from the start of the task instead
    /// would cost the task's length per element: quadratic for a long text with
    /// many regions (a 1 MB text with 40,000 took minutes).
    fn element_lines(&self, task: &Task<'_>, path: &[Step<'_>]) -> Vec<u64> {
        let Some(start) = value_offset(task.raw, path) else { return Vec::new() };
        let mut array = serde_json::Deserializer::from_str(&task.raw[start..]);
        // Borrowed slices of the input: no element is copied.
        let Ok(elements) = <Vec<&RawValue>>::deserialize(&mut array) else { return Vec::new() };
        elements
            .iter()
            .map(|element| self.lines.locate(self.offset_of(element.get())).line.unwrap_or(0))
            .collect()
    }

    fn wrong_type(
        &self,
        task: &Task<'_>,
        path: &[Step<'_>],
        field: &str,
        expected: &'static str,
        found: &Value,
    ) -> Error {
        // The path names the object; the field is named on its own.
        let object = match path.split_last() {
            Some((Step::Key(key), rest)) if *key == field => rest,
            _ => path,
        };
        Error::at(
            self.at(task, path),
            ErrorKind::WrongType {
                what: format!("Label Studio task {}", path_text(task.index, object)),
                field: field.to_string(),
                expected,
                found: json_type_name(found),
            },
        )
    }

    fn parse(&self, task: &Task<'_>) -> Result<Map<String, Value>, Error> {
        if let Some((key, _)) = crate::repeated_key(task.raw) {
            return Err(Error::at(self.at(task, &[]), ErrorKind::RepeatedKey { key }));
        }
        match serde_json::from_str(task.raw) {
            Ok(Value::Object(object)) => Ok(object),
            Ok(other) => Err(self.wrong_type(task, &[], "(the task itself)", "an object", &other)),
            Err(err) => Err(Error::at(
                self.at(task, &[]),
                ErrorKind::Syntax {
                    message: format!("malformed JSON in task {}: {err}", task.index),
                },
            )),
        }
    }

    fn read(&self, raw_tasks: &[&'a RawValue]) -> Result<LabelStudioExport, Error> {
        let tasks: Vec<Task<'a>> = raw_tasks
            .iter()
            .enumerate()
            .map(|(index, raw)| Task { raw: raw.get(), index })
            .collect();
        let mut shape = None;
        // First pass: which shape, and which `<Labels>` controls have regions.
        // Each task is parsed on its own and dropped, so the file's text is the
        // only copy of the whole export held.
        let mut controls: BTreeSet<Control> = BTreeSet::new();
        for task in &tasks {
            let object = self.parse(task)?;
            let this = if object.contains_key("data")
                || ["annotations", "completions", "predictions"]
                    .iter()
                    .any(|k| object.contains_key(*k))
            {
                Shape::Full
            } else {
                Shape::Min
            };
            match shape {
                None => shape = Some(this),
                Some(seen) if seen != this => {
                    return Err(Error::at(
                        self.at(task, &[]),
                        ErrorKind::Syntax {
                            message: format!(
                                "task {} is in Label Studio's {} shape but the tasks before it \
                                 are in its {} shape — read one export at a time",
                                task.index,
                                shape_name(this),
                                shape_name(seen)
                            ),
                        },
                    ))
                }
                Some(_) => {}
            }
            collect_controls(&object, this, &mut controls);
        }
        let control = self.choose_control(&controls)?;
        let mut export = LabelStudioExport::default();
        let mut streams: HashMap<(StreamKind, String), usize> = HashMap::new();
        for task in &tasks {
            let object = self.parse(task)?;
            export.report.tasks += 1;
            let read = match shape {
                Some(Shape::Min) => {
                    self.read_min(task, object, control.as_ref(), &mut export.report)?
                }
                _ => self.read_full(task, object, control.as_ref(), &mut export.report)?,
            };
            // A second annotation of one task by one annotator goes to a stream of
            // its own: a stream holds each document once.
            let mut seen: HashMap<(StreamKind, String), usize> = HashMap::new();
            for (kind, name, record, location) in read {
                let count = seen.entry((kind, name.clone())).or_default();
                *count += 1;
                let name = if *count > 1 { format!("{name} #{count}") } else { name };
                let index = *streams.entry((kind, name.clone())).or_insert_with(|| {
                    export.streams.push(LabelStudioStream { name, kind, records: Vec::new() });
                    export.streams.len() - 1
                });
                export.streams[index].records.push((record, location));
            }
        }
        Ok(export)
    }

    fn choose_control(&self, controls: &BTreeSet<Control>) -> Result<Option<Control>, Error> {
        let names: BTreeSet<&str> = controls.iter().map(|c| c.from_name.as_str()).collect();
        let listed = || names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ");
        match &self.options.from_name {
            Some(wanted) => {
                if !names.is_empty() && !names.contains(wanted.as_str()) {
                    return Err(Error::at(
                        Location::source(self.source),
                        ErrorKind::Syntax {
                            message: format!(
                                "no region of the file is from a <Labels> control named \
                                 {wanted:?}; the file's are {} — name one of them",
                                listed()
                            ),
                        },
                    ));
                }
                Ok(Some(
                    controls
                        .iter()
                        .find(|c| &c.from_name == wanted)
                        .cloned()
                        .unwrap_or(Control { from_name: wanted.clone(), to_name: None }),
                ))
            }
            None if names.len() > 1 => Err(Error::at(
                Location::source(self.source),
                ErrorKind::Syntax {
                    message: format!(
                        "the file holds regions of more than one <Labels> control ({}) — \
                         name the one to read",
                        listed()
                    ),
                },
            )),
            None => Ok(controls.iter().next().cloned()),
        }
    }

    /// The text field of `data`: the one asked for, else the control's `to_name`,
    /// else `text`, else the only string field not in `exclude`.
    fn text_field(
        &self,
        task: &Task<'_>,
        data: &Map<String, Value>,
        data_path: &[Step<'_>],
        control: Option<&Control>,
        exclude: &[&str],
    ) -> Result<String, Error> {
        if let Some(field) = &self.options.text_field {
            return match data.get(field) {
                Some(Value::String(_)) => Ok(field.clone()),
                Some(other) => {
                    let mut path = data_path.to_vec();
                    path.push(Step::Key(field));
                    Err(self.wrong_type(task, &path, field, "a string (the text)", other))
                }
                None => Err(Error::at(
                    self.at(task, data_path),
                    ErrorKind::Syntax {
                        message: format!(
                            "task {} has no data field {field:?} to take the text from — \
                             name one of its fields: {}",
                            task.index,
                            string_fields(data, &[]).join(", ")
                        ),
                    },
                )),
            };
        }
        let named = control.and_then(|c| c.to_name.as_deref()).into_iter().chain(["text"]);
        for name in named {
            if matches!(data.get(name), Some(Value::String(_))) && !exclude.contains(&name) {
                return Ok(name.to_string());
            }
        }
        let candidates = string_fields(data, exclude);
        match candidates.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(Error::at(
                self.at(task, data_path),
                ErrorKind::Syntax {
                    message: format!(
                        "task {}: cannot tell which data field holds the text (string \
                         fields: {}) — name the field the <Text> object shows",
                        task.index,
                        if candidates.is_empty() {
                            "none".to_string()
                        } else {
                            candidates.join(", ")
                        }
                    ),
                },
            )),
        }
    }

    fn read_full(
        &self,
        task: &Task<'_>,
        mut object: Map<String, Value>,
        control: Option<&Control>,
        report: &mut LabelStudioReport,
    ) -> Result<Vec<(StreamKind, String, Record, Location)>, Error> {
        let data = match object.remove("data") {
            Some(Value::Object(data)) => data,
            Some(other) => {
                return Err(self.wrong_type(
                    task,
                    &[Step::Key("data")],
                    "data",
                    "an object",
                    &other,
                ))
            }
            None => {
                return Err(Error::at(
                    self.at(task, &[]),
                    ErrorKind::Syntax {
                        message: format!(
                            "Label Studio task {} has no \"data\" field, which holds the text \
                             — export the project again as JSON (or JSON-MIN)",
                            task.index
                        ),
                    },
                ))
            }
        };
        let data_path = [Step::Key("data")];
        let text_field =
            self.text_field(task, &data, &data_path, control, &[DOC_ID_FIELD, META_FIELD])?;
        let task_id = object.get("id");
        let (text, id, meta) = self.document(task, data, &data_path, &text_field, task_id)?;
        let mut read = Vec::new();
        let annotations_key =
            if object.contains_key("annotations") { "annotations" } else { "completions" };
        let mut annotated = false;
        for (key, kind) in
            [(annotations_key, StreamKind::Annotator), ("predictions", StreamKind::Prediction)]
        {
            let list = match object.get(key) {
                None | Some(Value::Null) => continue,
                Some(Value::Array(list)) => list,
                Some(other) => {
                    return Err(self.wrong_type(task, &[Step::Key(key)], key, "an array", other))
                }
            };
            for (i, item) in list.iter().enumerate() {
                let path = [Step::Key(key), Step::Index(i)];
                let Value::Object(item) = item else {
                    return Err(self.wrong_type(task, &path, key, "an array of objects", item));
                };
                if kind == StreamKind::Annotator {
                    let cancelled = ["was_cancelled", "skipped"]
                        .iter()
                        .any(|k| item.get(*k) == Some(&Value::Bool(true)));
                    if cancelled {
                        report.cancelled += 1;
                        continue;
                    }
                    report.annotations += 1;
                    annotated = true;
                } else {
                    report.predictions += 1;
                }
                let name = match kind {
                    StreamKind::Annotator => annotator_name(item.get("completed_by")),
                    StreamKind::Prediction => match item.get("model_version") {
                        Some(Value::String(version)) if !version.is_empty() => version.clone(),
                        Some(Value::Number(version)) => version.to_string(),
                        _ => "prediction".to_string(),
                    },
                };
                let results = match item.get("result") {
                    None | Some(Value::Null) => &[][..],
                    Some(Value::Array(results)) => results.as_slice(),
                    Some(other) => {
                        let mut at = path.to_vec();
                        at.push(Step::Key("result"));
                        return Err(self.wrong_type(task, &at, "result", "an array", other));
                    }
                };
                let lines = if results.is_empty() {
                    Vec::new()
                } else {
                    self.element_lines(task, &[Step::Key(key), Step::Index(i), Step::Key("result")])
                };
                let mut regions = Vec::new();
                for (j, result) in results.iter().enumerate() {
                    let result_path =
                        vec![Step::Key(key), Step::Index(i), Step::Key("result"), Step::Index(j)];
                    let Value::Object(result) = result else {
                        return Err(self.wrong_type(
                            task,
                            &result_path,
                            "result",
                            "an array of objects",
                            result,
                        ));
                    };
                    let kind_name = match result.get("type") {
                        Some(Value::String(kind)) => kind.as_str(),
                        _ => "untyped",
                    };
                    let from_name = result.get("from_name").and_then(Value::as_str);
                    let ours = control.is_some_and(|c| Some(c.from_name.as_str()) == from_name);
                    if kind_name != "labels" {
                        *report.skipped_results.entry(kind_name.to_string()).or_default() += 1;
                    } else if !ours {
                        let what = format!("labels from {:?}", from_name.unwrap_or(""));
                        *report.skipped_results.entry(what).or_default() += 1;
                    } else {
                        let mut value_path = result_path.clone();
                        value_path.push(Step::Key("value"));
                        match result.get("value") {
                            Some(Value::Object(value)) => {
                                let line = lines.get(j).copied().unwrap_or(0);
                                regions.push((value, value_path, line));
                            }
                            Some(other) => {
                                return Err(self.wrong_type(
                                    task,
                                    &value_path,
                                    "value",
                                    "an object",
                                    other,
                                ))
                            }
                            None => {
                                return Err(Error::at(
                                    self.at(task, &result_path),
                                    ErrorKind::Syntax {
                                        message: format!(
                                            "the Label Studio region {} has no \"value\" field \
                                             — a labels region needs \"value\": {{\"start\", \
                                             \"end\", \"labels\"}}",
                                            path_text(task.index, &result_path)
                                        ),
                                    },
                                ))
                            }
                        }
                    }
                }
                let record = self.record(task, &id, &text, &meta, &regions, report)?;
                read.push((kind, name, record, self.at(task, &path)));
            }
        }
        if !annotated {
            report.unannotated_tasks += 1;
        }
        Ok(read)
    }

    fn read_min(
        &self,
        task: &Task<'_>,
        mut object: Map<String, Value>,
        control: Option<&Control>,
        report: &mut LabelStudioReport,
    ) -> Result<Vec<(StreamKind, String, Record, Location)>, Error> {
        report.annotations += 1;
        let name = annotator_name(object.get("annotator"));
        let from_name = control.map(|c| c.from_name.clone());
        let regions_value = from_name.as_deref().and_then(|key| object.remove(key));
        let mut exclude: Vec<&str> = JSON_MIN_FIELDS.to_vec();
        exclude.extend([DOC_ID_FIELD, META_FIELD]);
        let text_field = self.text_field(task, &object, &[], control, &exclude)?;
        let task_id = object.get("id").cloned();
        for field in JSON_MIN_FIELDS {
            object.remove(field);
        }
        let (text, id, meta) = self.document(task, object, &[], &text_field, task_id.as_ref())?;
        let mut regions = Vec::new();
        if let (Some(key), Some(value)) = (from_name.as_deref(), regions_value.as_ref()) {
            let Value::Array(list) = value else {
                return Err(self.wrong_type(
                    task,
                    &[Step::Key(key)],
                    key,
                    "an array of regions",
                    value,
                ));
            };
            let lines = self.element_lines(task, &[Step::Key(key)]);
            for (j, region) in list.iter().enumerate() {
                let path = vec![Step::Key(key), Step::Index(j)];
                let Value::Object(region) = region else {
                    return Err(self.wrong_type(task, &path, key, "an array of objects", region));
                };
                regions.push((region, path, lines.get(j).copied().unwrap_or(0)));
            }
        }
        let record = self.record(task, &id, &text, &meta, &regions, report)?;
        Ok(vec![(StreamKind::Annotator, name, record, self.at(task, &[]))])
    }

    /// The text, id and meta of a task from its data fields.
    fn document(
        &self,
        task: &Task<'_>,
        mut data: Map<String, Value>,
        data_path: &[Step<'_>],
        text_field: &str,
        task_id: Option<&Value>,
    ) -> Result<(String, String, Map<String, Value>), Error> {
        let at = |key: &'static str| {
            let mut path = data_path.to_vec();
            path.push(Step::Key(key));
            path
        };
        let text = match data.remove(text_field) {
            Some(Value::String(text)) => text,
            // text_field() only names string fields.
            _ => String::new(),
        };
        let id = match data.remove(DOC_ID_FIELD) {
            Some(Value::String(id)) => id,
            Some(other) => {
                return Err(self.wrong_type(
                    task,
                    &at(DOC_ID_FIELD),
                    DOC_ID_FIELD,
                    "a string",
                    &other,
                ))
            }
            None => match task_id {
                Some(Value::Number(id)) => id.to_string(),
                Some(Value::String(id)) => id.clone(),
                _ => {
                    let Location { line, .. } = self.at(task, &[]);
                    format!("{}:{}", self.source, line.unwrap_or(0))
                }
            },
        };
        let mut meta = match data.remove(META_FIELD) {
            None => Map::new(),
            Some(Value::Object(meta)) => meta,
            Some(other) => {
                return Err(self.wrong_type(task, &at(META_FIELD), META_FIELD, "an object", &other))
            }
        };
        // Every other data field is the user's: it goes to meta, never dropped.
        for (key, value) in data {
            if meta.contains_key(&key) {
                return Err(Error::at(
                    self.at(task, data_path),
                    ErrorKind::MetaCollision { field: key },
                ));
            }
            meta.insert(key, value);
        }
        Ok((text, id, meta))
    }

    /// A record of `text` with a span per label of every region.
    fn record(
        &self,
        task: &Task<'_>,
        id: &str,
        text: &str,
        meta: &Map<String, Value>,
        regions: &[(&Map<String, Value>, Vec<Step<'_>>, u64)],
        report: &mut LabelStudioReport,
    ) -> Result<Record, Error> {
        let chars = OffsetMap::new(text, OffsetUnit::Char);
        let mut spans = Vec::new();
        // (start, end) in code points and the path, for each span, to locate errors.
        let mut origins: Vec<(usize, usize, &[Step<'_>])> = Vec::new();
        for (region, path, line) in regions {
            let offset = |key: &'static str| -> Result<usize, Error> {
                let mut at = path.clone();
                at.push(Step::Key(key));
                match region.get(key) {
                    Some(Value::Number(n)) if n.as_u64().is_some() => {
                        usize::try_from(n.as_u64().unwrap_or(u64::MAX)).map_err(|_| {
                            Error::at(
                                self.at(task, &at),
                                ErrorKind::Syntax {
                                    message: format!("offset {n} is out of range"),
                                },
                            )
                        })
                    }
                    Some(Value::Number(n)) => {
                        let why = if n.is_i64() { "is negative" } else { "is not a whole number" };
                        Err(Error::at(
                            self.at(task, &at),
                            ErrorKind::Syntax {
                                message: format!(
                                    "{key:?} of the Label Studio region {} is {n}, which {why} \
                                     — offsets are code point indices: 0, 1, 2, ...",
                                    path_text(task.index, path)
                                ),
                            },
                        ))
                    }
                    Some(other) => Err(self.wrong_type(
                        task,
                        &at,
                        key,
                        "a code point offset (0, 1, 2, ...)",
                        other,
                    )),
                    None => Err(Error::at(
                        self.at(task, path),
                        ErrorKind::Syntax {
                            message: format!(
                                "the Label Studio region {} has no {key:?} field — a labels \
                                 region's value needs \"start\" and \"end\" (code point \
                                 offsets) and \"labels\"",
                                path_text(task.index, path)
                            ),
                        },
                    )),
                }
            };
            let (start, end) = (offset("start")?, offset("end")?);
            let labels: Vec<&str> = match region.get("labels") {
                Some(Value::Array(labels)) => {
                    let mut names = Vec::with_capacity(labels.len());
                    for label in labels {
                        let Value::String(label) = label else {
                            let mut at = path.clone();
                            at.push(Step::Key("labels"));
                            return Err(self.wrong_type(
                                task,
                                &at,
                                "labels",
                                "an array of strings",
                                label,
                            ));
                        };
                        names.push(label.as_str());
                    }
                    names
                }
                Some(other) => {
                    let mut at = path.clone();
                    at.push(Step::Key("labels"));
                    return Err(self.wrong_type(task, &at, "labels", "an array of strings", other));
                }
                None => Vec::new(),
            };
            if labels.is_empty() {
                *report.skipped_results.entry("labels without a label".to_string()).or_default() +=
                    1;
                continue;
            }
            let span_ref = |label: &str, quoted: Option<&str>| {
                Box::new(SpanRef {
                    document: id.to_string(),
                    index: Some(spans.len()),
                    start,
                    end,
                    label: label.to_string(),
                    text: quoted.map(str::to_string),
                })
            };
            let quoted = match region.get("text") {
                None | Some(Value::Null) => None,
                Some(Value::String(quoted)) => Some(quoted.as_str()),
                Some(other) => {
                    let mut at = path.clone();
                    at.push(Step::Key("text"));
                    return Err(self.wrong_type(task, &at, "text", "a string", other));
                }
            };
            let to_byte = |offset| {
                chars.to_byte(offset).map_err(|error| {
                    Error::at(
                        self.at(task, path),
                        ErrorKind::SpanOffset { span: span_ref(labels[0], quoted), error },
                    )
                })
            };
            let (byte_start, byte_end) = (to_byte(start)?, to_byte(end)?);
            let cut = text.get(byte_start..byte_end).unwrap_or("");
            // Label Studio's editor writes a region's text with each line break
            // (`\n` or `\r`) as the two characters `\n` (selection-tools.js,
            // `captureSelection`), so that form is the slice too.
            if let Some(quoted) = quoted {
                if byte_start < byte_end
                    && cut != quoted
                    && cut.replace(['\n', '\r'], "\\n") != quoted
                {
                    return Err(Error::at(
                        self.at(task, path),
                        ErrorKind::SpanTextMismatch {
                            span: span_ref(labels[0], None),
                            found: quoted.to_string(),
                            expected: cut.to_string(),
                        },
                    ));
                }
            }
            let origin = format!("{}:{line}", self.source);
            for label in labels {
                spans.push(SpanInput::new(byte_start, byte_end, label).source(origin.clone()));
                origins.push((start, end, path.as_slice()));
            }
        }
        let tokens = self.tokenizer.tokenize(text);
        let record = Record::new(id, text, &tokens, spans).map_err(|mut err| {
            let index =
                err.restate_span(|index| origins.get(index).map(|(start, end, _)| (*start, *end)));
            if let Some((.., path)) = index.and_then(|i| origins.get(i)) {
                err.location = Some(Box::new(self.at(task, path)));
            }
            err.or_at(|| self.at(task, &[]))
        })?;
        Ok(record.with_meta(meta.clone()))
    }
}

fn shape_name(shape: Shape) -> &'static str {
    match shape {
        Shape::Full => "JSON export (tasks with \"data\" and \"annotations\")",
        Shape::Min => "JSON-MIN",
    }
}

/// The data fields holding strings, except `exclude`.
fn string_fields(data: &Map<String, Value>, exclude: &[&str]) -> Vec<String> {
    data.iter()
        .filter(|(key, value)| value.is_string() && !exclude.contains(&key.as_str()))
        .map(|(key, _)| key.clone())
        .collect()
}

/// How an annotation names its annotator: `completed_by` of an export (a user id,
/// or an object with `email` and `id` in older versions), `annotator` of a
/// JSON-MIN item (an id or an e-mail address).
fn annotator_name(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        Some(Value::Number(id)) => id.to_string(),
        Some(Value::Object(user)) => match (user.get("email"), user.get("id")) {
            (Some(Value::String(email)), _) if !email.is_empty() => email.clone(),
            (_, Some(Value::Number(id))) => id.to_string(),
            _ => "anonymous".to_string(),
        },
        _ => "anonymous".to_string(),
    }
}

/// Adds the controls whose regions `task` holds.
fn collect_controls(task: &Map<String, Value>, shape: Shape, controls: &mut BTreeSet<Control>) {
    match shape {
        Shape::Full => {
            for key in ["annotations", "completions", "predictions"] {
                let Some(Value::Array(list)) = task.get(key) else { continue };
                for item in list {
                    let Some(Value::Array(results)) = item.get("result") else { continue };
                    for result in results {
                        if result.get("type").and_then(Value::as_str) != Some("labels") {
                            continue;
                        }
                        if let Some(from_name) = result.get("from_name").and_then(Value::as_str) {
                            controls.insert(Control {
                                from_name: from_name.to_string(),
                                to_name: result
                                    .get("to_name")
                                    .and_then(Value::as_str)
                                    .map(str::to_string),
                            });
                        }
                    }
                }
            }
        }
        Shape::Min => {
            // JSON-MIN keeps a control's regions under its name: a list of objects
            // with offsets and labels.
            for (key, value) in task {
                let Value::Array(list) = value else { continue };
                let regions = !list.is_empty()
                    && list.iter().all(|region| {
                        ["start", "end", "labels"].iter().all(|k| region.get(*k).is_some())
                    });
                if regions && !JSON_MIN_FIELDS.contains(&key.as_str()) {
                    controls.insert(Control { from_name: key.clone(), to_name: None });
                }
            }
        }
    }
}

/// Label Studio in the format registry: `--to label-studio` (predictions),
/// `--to label-studio-annotations` (the shape of an export) and `--from
/// label-studio` (one annotator's, or one model's, stream of an export).
#[derive(Debug)]
pub struct LabelStudio;

impl<W: Write> RecordWrite<W> for LabelStudioWriter<W> {
    fn write(&mut self, record: &Record) -> Result<(), Error> {
        LabelStudioWriter::write(self, record)
    }

    fn finish(self: Box<Self>) -> Result<W, Error> {
        LabelStudioWriter::finish(*self)
    }
}

/// The records of the stream read, and what to tell the user about the rest.
struct SelectedStream {
    records: ReadRecords,
    notice: String,
}

impl Iterator for SelectedStream {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.records.next()
    }
}

impl RecordRead for SelectedStream {
    fn location(&self) -> Location {
        self.records.location()
    }

    fn notice(&self) -> Option<String> {
        Some(self.notice.clone())
    }
}

impl FormatSpec for LabelStudio {
    const INFO: FormatInfo = FormatInfo {
        name: "label-studio",
        write_names: &[
            Name::new(
                "label-studio",
                "Label Studio tasks to import, the spans as predictions to correct",
            ),
            Name::annotations(
                "label-studio-annotations",
                "Label Studio tasks with the spans as annotations (an export's shape)",
            ),
        ],
        read_help: "a Label Studio JSON or JSON-MIN export (one annotator's spans: --annotator)",
        // `.json` says nothing about what the JSON holds: `--from` names it.
        extensions: &[],
        layout: Layout::Stream,
        input: Input::File,
        label_list: None,
        ids: Ids::Own,
        keeps: Keeps { meta: true, ..Keeps::NOTHING },
    };

    fn writer<D: Destination + 'static>(out: D, options: &WriteOptions) -> Writer<D> {
        let label_studio = match (&options.model_version, options.label_studio_annotations) {
            (_, true) => LabelStudioOptions::new().annotations(),
            (Some(version), false) => LabelStudioOptions::new().predictions(version.clone()),
            (None, false) => LabelStudioOptions::new(),
        };
        Ok(Box::new(LabelStudioWriter::new(out, label_studio)))
    }

    fn reader<R: BufRead + 'static>(source: String, input: R, options: &ReadOptions) -> Reader {
        let export = read_label_studio(&source, input, &LabelStudioReadOptions::new())?;
        let report = export.report.clone();
        let stream = export
            .into_selected(options.annotator.as_deref())
            .map_err(|err| err.or_at(|| Location::source(source.clone())))?;
        let notice = format!(
            "{}: read the {} {:?} ({} document(s)); {report}",
            escape_controls(&source),
            match stream.kind {
                StreamKind::Annotator => "annotations of",
                StreamKind::Prediction => "predictions of model",
            },
            stream.name,
            stream.records.len(),
        );
        Ok(Box::new(SelectedStream { records: ReadRecords::new(&source, stream.records), notice }))
    }
}

#[cfg(test)]
mod tests;
