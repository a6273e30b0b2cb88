//! The `rubric._rubric` extension module: rubric's library crates behind a thin
//! Python layer. Every behaviour lives in those crates; this file only converts
//! arguments and results, releases the GIL around the work, and turns every
//! error (and any panic) into a `rubric.RubricError`.
//!
//! The public Python API is `python/rubric/__init__.py`, which re-exports these
//! classes and adds what is easier to write in Python (the `pipe` generator).
#![deny(missing_docs)]

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use rubric_annotate::{AnnotatorBuilder, GazetteerSource};
use rubric_diff::{json_report, Annotations, DifferBuilder, Document};
use rubric_exporter::{
    DoccanoLayout, Format, InMemory, Misaligned, Record, RecordReader, WriteOptions,
};
use rubric_gazetteer::{GazetteerBuilder, OverlapPolicy, RuleSelection};
use rubric_offsets::{OffsetMap, OffsetUnit};
use rubric_tokenizer::{Tokenizer, TokenizerBuilder, TokenizerMode};

mod record;
mod ruler;

use record::PyRecord;

/// An error on its way to Python: which `rubric.errors` class, and the same
/// kind, location and message the command line reports. Plain data, so it can
/// be made where the GIL is released.
#[derive(Debug)]
pub(crate) struct Failure {
    class: &'static str,
    kind: String,
    location: Option<String>,
    message: String,
}

impl Failure {
    /// A failure of a crate's error: its kind's own `name()`.
    fn new(class: &'static str, kind: &'static str, message: impl fmt::Display) -> Self {
        Failure::named(class, kind, message)
    }

    /// A failure whose kind is named here, not by a crate's `ErrorKind`.
    pub(crate) fn named(class: &'static str, kind: &str, message: impl fmt::Display) -> Self {
        Failure { class, kind: kind.to_string(), location: None, message: message.to_string() }
    }

    fn at(mut self, location: Option<String>) -> Self {
        self.location = location;
        self
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Failure {
            class: "UsageError",
            kind: "usage".into(),
            location: None,
            message: message.into(),
        }
    }

    fn gazetteer(err: rubric_gazetteer::Error) -> Self {
        let location = err.file().map(|file| match err.line() {
            Some(line) => format!("{file}:{line}"),
            None => file.to_string(),
        });
        Failure::new("GazetteerError", err.kind().name(), &err).at(location)
    }

    pub(crate) fn record(err: rubric_exporter::Error) -> Self {
        let location = err.location.as_ref().map(|location| location.to_string());
        Failure::new("RecordError", err.kind.name(), &err).at(location)
    }

    /// An error of annotating a document.
    pub(crate) fn annotate(err: rubric_annotate::Error) -> Self {
        match err.kind {
            rubric_annotate::ErrorKind::Record(err) => Failure::record(*err),
            rubric_annotate::ErrorKind::Gazetteer(err) => Failure::gazetteer(*err),
            _ => Failure::named("RubricError", "internal", err),
        }
    }

    /// An error of building an annotator, worded with the argument to change.
    fn build(err: rubric_annotate::Error) -> Self {
        use rubric_annotate::ErrorKind as Kind;
        match err.kind {
            Kind::NoGazetteer => Failure::usage(
                "no gazetteer to match: pass a Gazetteer, a path, a list of them, or None for \
                 the default one",
            ),
            Kind::EmptyLabel { .. } | Kind::UnknownLabel { .. } => {
                Failure::usage(format!("labels: {err}"))
            }
            Kind::UnknownRule { .. } => Failure::usage(format!("rules: {err}")),
            _ => Failure::annotate(err),
        }
    }

    fn diff(err: rubric_diff::Error) -> Self {
        Failure::new("DiffError", err.kind().name(), &err)
    }

    pub(crate) fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let made = py.import("rubric.errors").and_then(|module| {
            module.getattr(self.class)?.call1((self.kind, self.location, self.message))
        });
        match made {
            Ok(exception) => PyErr::from_value(exception),
            Err(err) => err,
        }
    }
}

/// Runs `work`, turning a panic into an `internal` failure: no panic may cross
/// into Python (where it would be a `PanicException` nobody catches).
fn guarded<T, E: From<Failure>>(work: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    match panic::catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(Failure {
                class: "RubricError",
                kind: "internal".into(),
                location: None,
                message: format!(
                    "internal error: {what} — this is a bug in rubric, please report it"
                ),
            }
            .into())
        }
    }
}

/// Runs `work` without the GIL, guarded against panics, and raises its failure.
fn detached<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> Result<T, Failure> + Send,
) -> PyResult<T> {
    py.detach(|| guarded(work)).map_err(|failure| failure.into_pyerr(py))
}

fn json_loads<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (PyBytes::new(py, bytes),))
}

/// A token: its text, code-point offsets (Python `str` indices), kind and
/// whether a single space follows it.
#[pyclass(frozen, get_all, module = "rubric", name = "Token")]
#[derive(Clone, Debug)]
struct Token {
    text: String,
    start: usize,
    end: usize,
    kind: String,
    ws: bool,
}

#[pymethods]
impl Token {
    fn __repr__(&self) -> String {
        format!(
            "Token(text={:?}, start={}, end={}, kind={:?}, ws={})",
            self.text,
            self.start,
            self.end,
            self.kind,
            if self.ws { "True" } else { "False" }
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Token>().is_ok_and(|other| {
            let other = other.get();
            (&self.text, self.start, self.end, &self.kind, self.ws)
                == (&other.text, other.start, other.end, &other.kind, other.ws)
        })
    }
}

/// The tokenizer for a `tokenizer=` argument: `"news"` (rubric's rules) or
/// `"spacy"` (spaCy 3.8's English tokenizer exactly), as the CLI's `--tokenizer`.
fn tokenizer_for(name: &str) -> Result<Tokenizer, Failure> {
    TokenizerMode::from_name(name)
        .map(|mode| TokenizerBuilder::for_mode(mode).build())
        .ok_or_else(|| Failure::usage(format!("tokenizer={name:?}: use \"news\" or \"spacy\"")))
}

/// Splits `text` into tokens, offsets in code points.
#[pyfunction]
#[pyo3(signature = (text, tokenizer="news"))]
fn tokenize(py: Python<'_>, text: String, tokenizer: &str) -> PyResult<Vec<Token>> {
    let tokenizer = tokenizer_for(tokenizer).map_err(|failure| failure.into_pyerr(py))?;
    detached(py, || {
        let tokens = tokenizer.tokenize(&text);
        let map = OffsetMap::new(&text, OffsetUnit::Char);
        tokens
            .iter()
            .map(|token| {
                let internal = |err| Failure::named("RubricError", "internal", err);
                Ok(Token {
                    text: text.get(token.start..token.end).unwrap_or_default().to_string(),
                    start: map.to_unit(token.start).map_err(internal)?,
                    end: map.to_unit(token.end).map_err(internal)?,
                    kind: token.kind.as_str().to_string(),
                    ws: token.ws,
                })
            })
            .collect()
    })
}

/// A gazetteer: entries and their automaton, shared (never copied) by every
/// annotator that uses it.
#[pyclass(frozen, module = "rubric", name = "Gazetteer")]
#[derive(Debug)]
struct Gazetteer {
    inner: Arc<rubric_gazetteer::Gazetteer>,
}

impl Gazetteer {
    fn wrap(gazetteer: rubric_gazetteer::Gazetteer) -> Self {
        Gazetteer { inner: Arc::new(gazetteer) }
    }
}

#[pymethods]
impl Gazetteer {
    /// Reads a TSV gazetteer: `pattern<TAB>label[<TAB>id[<TAB>priority[<TAB>case]]]`.
    #[staticmethod]
    fn from_tsv(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        detached(py, || {
            let mut builder = GazetteerBuilder::new();
            builder.add_tsv_path(&path).map_err(Failure::gazetteer)?;
            builder.into_gazetteer().map(Gazetteer::wrap).map_err(Failure::gazetteer)
        })
    }

    /// Builds a gazetteer from spaCy EntityRuler pattern dicts
    /// (`{"label": ..., "pattern": ..., "id": ...}`); errors name `<patterns>:N`,
    /// N the 1-based position in the list.
    #[staticmethod]
    fn from_patterns(py: Python<'_>, patterns: &Bound<'_, PyAny>) -> PyResult<Self> {
        let json = py.import("json")?;
        let mut lines = String::new();
        for pattern in patterns.try_iter()? {
            let line: String = json.call_method1("dumps", (pattern?,))?.extract()?;
            lines.push_str(&line);
            lines.push('\n');
        }
        detached(py, || {
            let mut builder = GazetteerBuilder::new();
            builder
                .add_patterns_reader("<patterns>", lines.as_bytes())
                .map_err(Failure::gazetteer)?;
            builder.into_gazetteer().map(Gazetteer::wrap).map_err(Failure::gazetteer)
        })
    }

    /// Reads a gazetteer file, choosing the reader by extension: compiled
    /// (`.rgz`), TSV (`.tsv`) or spaCy patterns (`.jsonl`).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        detached(py, || {
            rubric_annotate::load_gazetteer(&path).map(Gazetteer::wrap).map_err(Failure::gazetteer)
        })
    }

    /// The default gazetteer built into rubric.
    #[staticmethod]
    fn default(py: Python<'_>) -> PyResult<Self> {
        detached(py, || {
            rubric_gazetteer::Gazetteer::embedded_default()
                .map(Gazetteer::wrap)
                .map_err(Failure::gazetteer)
        })
    }

    /// Writes the gazetteer in compiled form (load it back with `load`).
    fn compile(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let gazetteer = Arc::clone(&self.inner);
        detached(py, move || {
            let write_error = |err: std::io::Error| {
                Failure::named("GazetteerError", "write", format!("{}: {err}", path.display()))
                    .at(Some(path.display().to_string()))
            };
            let mut out = BufWriter::new(File::create(&path).map_err(write_error)?);
            gazetteer.write_compiled(&mut out).map_err(Failure::gazetteer)?;
            out.flush().map_err(write_error)
        })
    }

    /// Counts: entries, distinct patterns and ids, entries per label, whether
    /// diacritics are folded, and the automaton's size in bytes.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let gazetteer = Arc::clone(&self.inner);
        let json = detached(py, move || {
            serde_json::to_vec(&gazetteer.stats())
                .map_err(|err| Failure::named("RubricError", "internal", err))
        })?;
        json_loads(py, &json)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!("Gazetteer(entries={})", self.inner.len())
    }
}

/// Tokenizes and matches documents, and writes the exporter's records: a
/// `rubric_annotate::Annotator`, built by its builder from the arguments (the
/// builder the command line uses too).
#[pyclass(frozen, subclass, module = "rubric", name = "Annotator")]
#[derive(Debug)]
struct Annotator {
    pub(crate) inner: rubric_annotate::Annotator,
}

impl Annotator {
    fn record(&self, id: &str, text: &str, with_explain: bool) -> Result<Record, Failure> {
        let annotator = self.inner.explaining(with_explain);
        annotator.record(id, text).map_err(Failure::annotate)
    }
}

/// Gazetteers from what Python gave: `Gazetteer`s or paths, one or a list.
fn gazetteer_sources(given: &Bound<'_, PyAny>) -> PyResult<Vec<GazetteerSource>> {
    if let Ok(gazetteer) = given.cast::<Gazetteer>() {
        return Ok(vec![GazetteerSource::Value(Arc::clone(&gazetteer.get().inner))]);
    }
    if let Ok(path) = given.extract::<PathBuf>() {
        return Ok(vec![GazetteerSource::Path(path)]);
    }
    let mut all = Vec::new();
    for item in given.try_iter()? {
        all.extend(gazetteer_sources(&item?)?);
    }
    Ok(all)
}

/// The rule selection of `rules=` and `no_rules=`: `rules=None` every rule,
/// `rules="none"` none, `rules=[...]` only those; `no_rules=[...]` all but those.
fn rule_selection(
    rules: Option<&Bound<'_, PyAny>>,
    no_rules: Option<Vec<String>>,
) -> Result<RuleSelection, Failure> {
    let rules =
        match rules {
            None => None,
            Some(given) => match given.extract::<String>() {
                Ok(word) if word == "none" => Some(RuleSelection::none()),
                Ok(word) if word == "all" => Some(RuleSelection::All),
                Ok(word) => {
                    return Err(Failure::usage(format!(
                    "rules={word:?}: use None or \"all\" (every rule), \"none\" (no rule) or a \
                     list of rule names and prefixes such as [\"person:\"]"
                )))
                }
                Err(_) => match given.extract::<Vec<String>>() {
                    Ok(list) => Some(RuleSelection::Only(list)),
                    Err(_) => return Err(Failure::usage(
                        "rules: use None, \"all\", \"none\" or a list of rule names and prefixes",
                    )),
                },
            },
        };
    match (rules, no_rules) {
        (Some(_), Some(_)) => Err(Failure::usage(
            "rules= and no_rules= cannot be used together: give the rules to run, or those not to",
        )),
        (Some(rules), None) => Ok(rules),
        (None, Some(except)) => Ok(RuleSelection::Except(except)),
        (None, None) => Ok(RuleSelection::All),
    }
}

#[pymethods]
impl Annotator {
    #[new]
    #[pyo3(signature = (gazetteer=None, overlaps="longest", aliases=true, labels=None, tokenizer="news", rules=None, no_rules=None, tokens=true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        gazetteer: Option<&Bound<'_, PyAny>>,
        overlaps: &str,
        aliases: bool,
        labels: Option<Vec<String>>,
        tokenizer: &str,
        rules: Option<&Bound<'_, PyAny>>,
        no_rules: Option<Vec<String>>,
        tokens: bool,
    ) -> PyResult<Self> {
        let raise = |failure: Failure| failure.into_pyerr(py);
        let policy: OverlapPolicy =
            overlaps.parse().map_err(|message: String| raise(Failure::usage(message)))?;
        let mode = TokenizerMode::from_name(tokenizer).ok_or_else(|| {
            raise(Failure::usage(format!("tokenizer={tokenizer:?}: use \"news\" or \"spacy\"")))
        })?;
        let mut builder = AnnotatorBuilder::new();
        builder
            .default_gazetteer(gazetteer.is_none())
            .overlaps(policy)
            .aliases(aliases)
            .labels(labels)
            .rules(rule_selection(rules, no_rules).map_err(raise)?)
            .tokenizer(mode)
            .tokens(tokens);
        if let Some(given) = gazetteer {
            for source in gazetteer_sources(given)? {
                builder.source(source);
            }
        }
        let inner = detached(py, || builder.build().map_err(Failure::build))?;
        Ok(Annotator { inner })
    }

    /// The record of one text: a `Record`, the mapping with exactly the keys
    /// and values of the JSON line `rubric annotate` writes (offsets in code
    /// points). With `explain`, `meta.explain` lists every dropped candidate,
    /// its reason and its winner.
    #[pyo3(signature = (text, id=None, explain=false))]
    fn annotate(
        &self,
        py: Python<'_>,
        text: String,
        id: Option<String>,
        explain: bool,
    ) -> PyResult<PyRecord> {
        let id = id.unwrap_or_else(|| "0".to_string());
        detached(py, || self.record(&id, &text, explain)).map(PyRecord::new)
    }

    /// Records of a batch of `(text, id)` pairs, in order, made on `threads`
    /// threads without the GIL. `Annotator.pipe` feeds it.
    #[pyo3(signature = (documents, threads, explain=false))]
    fn _annotate_batch<'py>(
        &self,
        py: Python<'py>,
        documents: Vec<(String, String)>,
        threads: usize,
        explain: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let threads = threads.max(1);
        let records = detached(py, || {
            let chunk = documents.len().div_ceil(threads).max(1);
            // Contiguous chunks, joined in order: the output keeps the input's order.
            std::thread::scope(|scope| {
                let workers: Vec<_> = documents
                    .chunks(chunk)
                    .map(|part| {
                        scope.spawn(move || {
                            guarded(|| {
                                part.iter()
                                    .map(|(text, id)| self.record(id, text, explain))
                                    .collect::<Result<Vec<_>, _>>()
                            })
                        })
                    })
                    .collect();
                let mut records = Vec::with_capacity(documents.len());
                for worker in workers {
                    let part = worker.join().map_err(|_| {
                        Failure::named("RubricError", "internal", "a worker thread died")
                    })??;
                    records.extend(part);
                }
                Ok(records)
            })
        })?;
        let records = records
            .into_iter()
            .map(|record| Bound::new(py, PyRecord::new(record)))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, records)
    }
}

/// Compares two lists of records (dicts in the JSONL record shape) as
/// `rubric diff --format json` compares two files.
#[pyfunction]
#[pyo3(signature = (gold_jsonl, pred_jsonl, gold_name, pred_name, allow_missing=false, min_overlap=1.0))]
fn _diff<'py>(
    py: Python<'py>,
    gold_jsonl: String,
    pred_jsonl: String,
    gold_name: String,
    pred_name: String,
    allow_missing: bool,
    min_overlap: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let report = detached(py, || {
        let read = |name: &str, jsonl: &str| -> Result<Annotations, Failure> {
            let records = RecordReader::new(name, jsonl.as_bytes())
                .collect::<Result<Vec<Record>, _>>()
                .map_err(Failure::record)?;
            Ok(Annotations::new(name, records.iter().map(Document::from).collect()))
        };
        let gold = read(&gold_name, &gold_jsonl)?;
        let pred = read(&pred_name, &pred_jsonl)?;
        let differ = DifferBuilder::new()
            .allow_missing(allow_missing)
            .min_overlap_percentage(min_overlap)
            .build()
            .map_err(Failure::diff)?;
        let comparison = differ.compare(&gold, &pred).map_err(Failure::diff)?;
        serde_json::to_vec(&json_report(&comparison))
            .map_err(|err| Failure::named("RubricError", "internal", err))
    })?;
    json_loads(py, &report)
}

/// Writes records (JSON Lines) in the format `to` names, by any name the
/// exporter's registry gives a format (`rubric convert --to`'s names), with the
/// writer `rubric convert` uses: every file it would write, by name (`""` for the
/// output itself). A format added to the registry is here with no change.
#[pyfunction]
#[pyo3(signature = (records_jsonl, to, name, misaligned, offsets, doccano_layout))]
fn _convert<'py>(
    py: Python<'py>,
    records_jsonl: String,
    to: String,
    name: String,
    misaligned: String,
    offsets: String,
    doccano_layout: String,
) -> PyResult<Bound<'py, PyDict>> {
    let written = detached(py, || {
        let (format, format_name) = Format::by_write_name(&to).ok_or_else(|| {
            let names: Vec<&str> = Format::write_names().collect();
            Failure::usage(format!("to={to:?}: use one of {}", names.join(", ")))
        })?;
        let options = WriteOptions {
            unit: offsets
                .parse::<OffsetUnit>()
                .map_err(|err| Failure::usage(format!("offsets={offsets:?}: {err}")))?,
            misaligned: misaligned
                .parse::<Misaligned>()
                .map_err(|err| Failure::usage(format!("misaligned={misaligned:?}: {err}")))?,
            doccano_layout: doccano_layout.parse::<DoccanoLayout>().map_err(|err| {
                Failure::usage(format!("doccano_layout={doccano_layout:?}: {err}"))
            })?,
            scheme: format_name.scheme.unwrap_or_default(),
            label_studio_annotations: format_name.annotations,
            model_version: None,
        };
        let mut writer = format.writer(InMemory::default(), &options).map_err(Failure::record)?;
        for record in RecordReader::new(name, records_jsonl.as_bytes()) {
            writer.write(&record.map_err(Failure::record)?).map_err(Failure::record)?;
        }
        writer.finish().map_err(Failure::record)
    })?;
    let files = PyDict::new(py);
    files.set_item("", PyBytes::new(py, &written.stream))?;
    for (file, contents) in &written.files {
        files.set_item(file, PyBytes::new(py, contents))?;
    }
    Ok(files)
}

/// The `rubric._rubric` extension module.
#[pymodule]
fn _rubric(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(tokenize, module)?)?;
    module.add_function(wrap_pyfunction!(_diff, module)?)?;
    module.add_function(wrap_pyfunction!(_convert, module)?)?;
    module.add_class::<Token>()?;
    module.add_class::<Gazetteer>()?;
    module.add_class::<Annotator>()?;
    module.add_class::<PyRecord>()?;
    module.add_class::<ruler::RubricRuler>()?;
    module.add_function(wrap_pyfunction!(record::_record_from_json, module)?)?;
    Ok(())
}
