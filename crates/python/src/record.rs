//! `rubric.Record`: the exporter's record behind Python's read-only mapping
//! protocol, with the JSONL shape's keys and values built on first access.
//!
//! A dict per token is what made `Annotator.pipe` slow: most callers read the
//! spans and never the tokens, so the tokens' dicts are built only when
//! `record["tokens"]` is first read, and then kept, so that the same list comes
//! back every time (and changes made to it are what the record then shows).

use pyo3::exceptions::PyKeyError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyList, PyString, PyTuple};
use rubric_exporter::{Record, RecordReader};
use rubric_offsets::{OffsetMap, OffsetUnit};
use serde_json::Value;

use crate::Failure;

/// The record's keys, in the order `rubric annotate` writes them.
const KEYS: [&str; 5] = ["id", "text", "tokens", "spans", "meta"];

/// The keys whose values are mutable Python objects: once one of them is built,
/// the record shows whatever it holds, and only Python can serialize it.
const NESTED: [usize; 3] = [2, 3, 4];

/// One annotated document, as a read-only mapping with exactly the keys and
/// values of the JSON object `rubric annotate` writes (offsets in code points).
#[pyclass(frozen, mapping, module = "rubric", name = "Record")]
pub(crate) struct PyRecord {
    record: Record,
    /// The Python value of each of `KEYS`, built on first access.
    values: [PyOnceLock<Py<PyAny>>; 5],
}

// By hand: the cache (`PyOnceLock`) has no `Debug`.
impl std::fmt::Debug for PyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyRecord").field("record", &self.record).finish_non_exhaustive()
    }
}

impl PyRecord {
    pub(crate) fn new(record: Record) -> Self {
        PyRecord { record, values: std::array::from_fn(|_| PyOnceLock::new()) }
    }

    fn index(&self, key: &Bound<'_, PyAny>) -> Option<usize> {
        let key = key.cast::<PyString>().ok()?;
        let key = key.to_cow().ok()?;
        KEYS.iter().position(|&known| known == key).filter(|&index| self.has(index))
    }

    /// Whether the record has `KEYS[index]`: a record without tokens (annotated
    /// with `tokens=False`) has no `tokens`, as its JSON line has none.
    fn has(&self, index: usize) -> bool {
        index != 2 || self.record.has_tokens()
    }

    /// The indices of the keys the record has, in order.
    fn present(&self) -> Vec<usize> {
        (0..KEYS.len()).filter(|&index| self.has(index)).collect()
    }

    /// The keys the record has, in order.
    fn present_keys(&self) -> Vec<&'static str> {
        self.present().into_iter().map(|index| KEYS[index]).collect()
    }

    /// The value of `KEYS[index]`, built the first time.
    fn value<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyAny>> {
        let value = self.values[index].get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(match index {
                0 => PyString::new(py, self.record.id()).into_any().unbind(),
                1 => PyString::new(py, self.record.text()).into_any().unbind(),
                2 => self.build_tokens(py)?.into_any().unbind(),
                3 => self.build_spans(py)?.into_any().unbind(),
                _ => {
                    // As the writer makes it: the record's meta, and the unit.
                    let mut meta = self.record.meta().clone();
                    meta.insert("offsets".into(), Value::from(OffsetUnit::Char.as_str()));
                    json_to_py(py, &Value::Object(meta))?.unbind()
                }
            })
        })?;
        Ok(value.bind(py).clone())
    }

    fn build_tokens<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let text = self.record.text();
        let map = OffsetMap::new(text, OffsetUnit::Char);
        let convert = |byte| map.to_unit(byte).map_err(|err| internal(py, err));
        let (k_text, k_start, k_end, k_id, k_ws) = (
            intern!(py, "text"),
            intern!(py, "start"),
            intern!(py, "end"),
            intern!(py, "id"),
            intern!(py, "ws"),
        );
        let mut tokens = Vec::with_capacity(self.record.tokens().len());
        for (id, token) in self.record.tokens().iter().enumerate() {
            let dict = PyDict::new(py);
            dict.set_item(k_text, PyString::new(py, token.text(text)))?;
            dict.set_item(k_start, convert(token.start)?)?;
            dict.set_item(k_end, convert(token.end)?)?;
            dict.set_item(k_id, id)?;
            dict.set_item(k_ws, PyBool::new(py, token.ws))?;
            tokens.push(dict);
        }
        PyList::new(py, tokens)
    }

    fn build_spans<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let text = self.record.text();
        let map = OffsetMap::new(text, OffsetUnit::Char);
        let convert = |byte| map.to_unit(byte).map_err(|err| internal(py, err));
        let mut spans = Vec::with_capacity(self.record.spans().len());
        for span in self.record.spans() {
            let dict = PyDict::new(py);
            dict.set_item(intern!(py, "start"), convert(span.start)?)?;
            dict.set_item(intern!(py, "end"), convert(span.end)?)?;
            if self.record.has_tokens() {
                dict.set_item(intern!(py, "token_start"), span.token_start)?;
                dict.set_item(intern!(py, "token_end"), span.token_end)?;
            }
            dict.set_item(intern!(py, "label"), span.label.as_str())?;
            dict.set_item(intern!(py, "text"), self.record.span_text(span))?;
            // Absent, not None, as in the JSON line.
            if let Some(kb_id) = &span.kb_id {
                dict.set_item(intern!(py, "kb_id"), kb_id.as_str())?;
            }
            if let Some(source) = &span.source {
                dict.set_item(intern!(py, "source"), source.as_str())?;
            }
            spans.push(dict);
        }
        PyList::new(py, spans)
    }

    /// Whether a mutable value has been handed out (and so may have changed).
    fn nested_built(&self, py: Python<'_>) -> bool {
        NESTED.iter().any(|&index| self.values[index].get(py).is_some())
    }

    fn dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for index in self.present() {
            dict.set_item(intern_key(py, index), self.value(py, index)?)?;
        }
        Ok(dict)
    }
}

fn intern_key(py: Python<'_>, index: usize) -> &Bound<'_, PyString> {
    match index {
        0 => intern!(py, "id"),
        1 => intern!(py, "text"),
        2 => intern!(py, "tokens"),
        3 => intern!(py, "spans"),
        _ => intern!(py, "meta"),
    }
}

fn internal(py: Python<'_>, err: impl std::fmt::Display) -> PyErr {
    Failure::named("RubricError", "internal", err).into_pyerr(py)
}

/// A JSON value as the Python object `json.loads` would make of it.
pub(crate) fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let items =
                items.iter().map(|item| json_to_py(py, item)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, value) in map {
                dict.set_item(key, json_to_py(py, value)?)?;
            }
            dict.into_any()
        }
    })
}

#[pymethods]
impl PyRecord {
    // A mapping that can change through its values cannot be hashed, as a dict.
    #[classattr]
    const __hash__: Option<Py<PyAny>> = None;

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.index(key) {
            Some(index) => self.value(py, index),
            None => Err(PyKeyError::new_err(key.clone().unbind())),
        }
    }

    /// The value of `key`, or `default` if the record has no such key.
    #[pyo3(signature = (key, default=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.index(key) {
            Some(index) => self.value(py, index),
            None => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        self.index(key).is_some()
    }

    fn __len__(&self) -> usize {
        self.present().len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyTuple::new(py, self.present_keys())?.try_iter()?.into_any())
    }

    /// The keys, in the JSON line's order: `id`, `text`, `tokens` (unless the
    /// record has none), `spans`, `meta`.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.present_keys())
    }

    /// The values, in the keys' order.
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let values = self
            .present()
            .into_iter()
            .map(|index| self.value(py, index))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, values)
    }

    /// `(key, value)` pairs, in the keys' order.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .present()
            .into_iter()
            .map(|index| Ok((intern_key(py, index).clone(), self.value(py, index)?)))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// A plain dict of the record: `dict(record)`, the same values.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.dict(py)
    }

    /// The record as one JSON line (without its newline), exactly as
    /// `rubric annotate` writes it.
    fn to_json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        if self.nested_built(py) {
            // What the record shows now, changes made through its values included.
            let kwargs = PyDict::new(py);
            kwargs.set_item("ensure_ascii", false)?;
            kwargs.set_item("separators", (",", ":"))?;
            let json = py.import("json")?;
            return Ok(json.call_method("dumps", (self.dict(py)?,), Some(&kwargs))?.cast_into()?);
        }
        let mut line = Vec::new();
        self.record
            .write_json_line(OffsetUnit::Char, &mut line)
            .map_err(|err| Failure::record(err).into_pyerr(py))?;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let line = String::from_utf8(line).map_err(|err| internal(py, err))?;
        Ok(PyString::new(py, &line))
    }

    fn __eq__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(other) = other.cast::<PyRecord>() {
            let other = other.get();
            if !self.nested_built(py) && !other.nested_built(py) {
                return Ok(PyBool::new(py, self.record == other.record)
                    .to_owned()
                    .into_any()
                    .unbind());
            }
            let equal = self.dict(py)?.eq(other.dict(py)?)?;
            return Ok(PyBool::new(py, equal).to_owned().into_any().unbind());
        }
        if other.cast::<PyDict>().is_ok() {
            let equal = self.dict(py)?.eq(other)?;
            return Ok(PyBool::new(py, equal).to_owned().into_any().unbind());
        }
        Ok(py.NotImplemented())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Record({})", self.dict(py)?.repr()?))
    }

    /// Pickles as its JSON line, read back by the exporter's reader.
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyString>,))> {
        let from_json = py.import("rubric._rubric")?.getattr("_record_from_json")?;
        Ok((from_json, (self.to_json(py)?,)))
    }
}

/// A record from one JSON line in the record format (how a pickled `Record`
/// comes back).
#[pyfunction]
pub(crate) fn _record_from_json(py: Python<'_>, line: &str) -> PyResult<PyRecord> {
    match RecordReader::new("<record>", line.as_bytes()).next() {
        Some(Ok(record)) => Ok(PyRecord::new(record)),
        Some(Err(err)) => Err(Failure::record(err).into_pyerr(py)),
        None => Err(Failure::usage("an empty line is not a record").into_pyerr(py)),
    }
}
