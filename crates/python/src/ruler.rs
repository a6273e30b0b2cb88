//! The Rust half of the `rubric_ruler` spaCy component: match a `Doc`'s text,
//! put the spans on spaCy's tokens under the `misaligned` policy, resolve them
//! into entities (with an earlier component's entities) and count everything,
//! so that Python is left with making `Span`s and setting them.
//!
//! spaCy's tokens arrive as `Doc.to_array([ORTH, IDX, LENGTH, SPACY, ENT_KB_ID,
//! ENT_ID])`'s bytes: the string id, character offset, length and trailing space
//! of each token, and its entity ids. Placing a span on them follows
//! `Doc.char_span` exactly, resolving follows `spacy.util.filter_spans`, and the
//! entities come back as the `[ENT_IOB, ENT_TYPE, ENT_KB_ID, ENT_ID]` columns
//! `Doc.set_ents` would write (for `Doc.from_array`, which costs no `Span`
//! object per entity), so the component sets what a pure-Python implementation
//! over those spaCy calls would.
//!
//! The text is rebuilt here from the tokens' strings, as `Doc.text` builds it
//! (each token's text, and a space where it has one): `Doc.text` makes a Python
//! `Token` object per token and took a quarter of the component's time. The
//! strings come from the `StringStore` once, by id (a MurmurHash of the string,
//! the same in every vocab), and are kept in [`RubricRuler`]'s own table.
//!
//! The exporter's own alignment (`rubric_exporter`'s `Misaligned` policies) puts
//! spans on a record's own tokens and is not public; this one puts them on
//! another tokenizer's, with spaCy's rules for what `expand` and `contract` mean.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use rubric_exporter::spacy_string_id;
use rubric_offsets::{OffsetMap, OffsetUnit};

use crate::{detached, guarded, Annotator, Failure};

/// What happens to a span that does not start and end on spaCy token boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Policy {
    Expand,
    Contract,
    Drop,
    Error,
}

impl Policy {
    fn parse(name: &str) -> Option<Policy> {
        match name {
            "expand" => Some(Policy::Expand),
            "contract" => Some(Policy::Contract),
            // `drop` is the CLI's and the exporter's word; `skip` was this
            // component's before they were one spelling, and configs may name it.
            "drop" | "skip" => Some(Policy::Drop),
            "error" => Some(Policy::Error),
            _ => None,
        }
    }
}

/// One spaCy token: string id, character offset, length, and whether one space
/// follows it.
#[derive(Clone, Copy, Debug)]
struct SpacyToken {
    orth: u64,
    idx: usize,
    len: usize,
    space: bool,
    kb_id: u64,
    ent_id: u64,
}

/// A span in code points, as the matcher found it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CharSpan {
    start: usize,
    end: usize,
    label: String,
    kb_id: Option<String>,
}

/// A span on spaCy's tokens: `start..end` token indices, `end` exclusive (as
/// spaCy's `Span`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct TokenSpan {
    start: usize,
    end: usize,
    label: String,
    kb_id: Option<String>,
}

/// An entity the `Doc` already had: tokens, label, kb_id and span id.
type Existing = (usize, usize, String, String, u64);

/// The counts the component leaves in `doc.user_data["rubric"]`, in its order.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    spans: usize,
    aligned: usize,
    expanded: usize,
    contracted: usize,
    skipped: usize,
    overlapping: usize,
}

/// `Token.ent_iob` values.
const IOB_INSIDE: u64 = 1;
const IOB_OUTSIDE: u64 = 2;
const IOB_BEGIN: u64 = 3;

/// A span that does not align while the policy is `error`, or bad input.
#[derive(Debug)]
enum RulerFailure {
    Misaligned { start: usize, end: usize, label: String, text: String },
    Other(Failure),
}

impl From<Failure> for RulerFailure {
    fn from(failure: Failure) -> Self {
        RulerFailure::Other(failure)
    }
}

impl RulerFailure {
    fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            RulerFailure::Other(failure) => failure.into_pyerr(py),
            RulerFailure::Misaligned { start, end, label, text } => {
                // The text as Python shows it, as the message quotes a Python str.
                let shown = PyString::new(py, &text)
                    .repr()
                    .map(|repr| repr.to_string())
                    .unwrap_or_else(|_| format!("{text:?}"));
                Failure::named(
                    "AlignmentError",
                    "misaligned",
                    format!(
                        "span {shown} ({label}) at {start}..{end} does not start and end on \
                         spaCy token boundaries — use misaligned='expand', 'contract' or 'drop'"
                    ),
                )
                .at(Some(format!("{start}..{end}")))
                .into_pyerr(py)
            }
        }
    }
}

/// What the component sets on one `Doc`.
#[derive(Debug)]
struct Outcome {
    /// `[ENT_IOB, ENT_TYPE, ENT_KB_ID, ENT_ID]` per token, native-endian
    /// `uint64`: what `Doc.set_ents` with the entities would write.
    columns: Vec<u8>,
    /// The entities' labels and kb_ids, which the vocab's `StringStore` must hold.
    strings: Vec<String>,
    /// Every candidate on spaCy's tokens, when a spans key is set.
    candidates: Option<Vec<TokenSpan>>,
    counts: Counts,
}

/// One document for [`RubricRuler::_process_batch`]: token bytes, the `Doc`'s
/// entities.
type DocInput<'py> = (Bound<'py, PyBytes>, Vec<Existing>);

/// spaCy's string ids are already MurmurHash values: the table uses them as
/// they are instead of hashing them again.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed here; anything else is folded in, FNV-style.
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Token strings by spaCy string id. The table only grows, as the vocab's
/// `StringStore` it copies from does: a string learnt stays learnt, so that one
/// thread's batch cannot lose the strings another's has just learnt.
type Strings = HashMap<u64, Box<str>, BuildHasherDefault<IdHasher>>;

/// An output row for Python: start, end, label, kb_id ("" for none, as spaCy).
type SpanRow = (usize, usize, String, String);

/// Matches documents for the spaCy component and places the spans on spaCy's
/// tokens.
#[pyclass(frozen, module = "rubric", name = "_Ruler")]
#[derive(Debug)]
pub(crate) struct RubricRuler {
    annotator: rubric_annotate::Annotator,
    policy: Policy,
    overwrite_ents: bool,
    with_candidates: bool,
    strings: RwLock<Strings>,
}

impl RubricRuler {
    /// The `Doc`'s text, as `Doc.text` makes it.
    fn text(&self, strings: &Strings, tokens: &[SpacyToken]) -> Result<String, Failure> {
        let mut text = String::with_capacity(tokens.iter().map(|t| t.len + 1).sum());
        for token in tokens {
            let string = strings.get(&token.orth).ok_or_else(|| {
                Failure::named(
                    "RubricError",
                    "internal",
                    format!("string {} was not learnt before matching", token.orth),
                )
            })?;
            text.push_str(string);
            if token.space {
                text.push(' ');
            }
        }
        Ok(text)
    }

    fn process(
        &self,
        strings: &Strings,
        offsets: &[u8],
        existing: &[Existing],
    ) -> Result<Outcome, RulerFailure> {
        let tokens = spacy_tokens(offsets)?;
        let text = &self.text(strings, &tokens)?;
        let annotated = self.annotator.annotate("0", text).map_err(Failure::annotate)?;
        let map = OffsetMap::new(text, OffsetUnit::Char);
        let to_char = |start: usize, end: usize, label: &str, kb_id: &Option<String>| {
            let internal = |err| Failure::named("RubricError", "internal", err);
            Ok::<_, Failure>(CharSpan {
                start: map.to_unit(start).map_err(internal)?,
                end: map.to_unit(end).map_err(internal)?,
                label: label.to_string(),
                kb_id: kb_id.clone(),
            })
        };
        let kept = annotated
            .record
            .spans()
            .iter()
            .map(|span| to_char(span.start, span.end, &span.label, &span.kb_id))
            .collect::<Result<Vec<_>, _>>()?;
        let mut counts = Counts::default();
        let placed = self.place(text, &map, &tokens, &kept, &mut counts)?;
        let resolved = filter_spans(&placed);
        // Expanding two neighbouring spans to spaCy's tokens can make them
        // overlap, and an earlier component's entities may hold the tokens:
        // doc.ents cannot hold both, so each of ours left out is counted.
        counts.overlapping = placed.len() - resolved.len();
        let (ents, kept_existing) =
            merge(resolved, existing, self.overwrite_ents, &mut counts.overlapping);
        let candidates = if self.with_candidates {
            let mut all = kept;
            for dropped in &annotated.matches.dropped {
                let found = &dropped.candidate;
                all.push(to_char(found.start, found.end, &found.label, &found.id)?);
            }
            // A candidate beaten by two winners is dropped twice; it is listed once.
            all.sort();
            all.dedup();
            Some(self.place(text, &map, &tokens, &all, &mut Counts::default())?)
        } else {
            None
        };
        let (columns, strings) = entity_columns(&tokens, &ents, &kept_existing, existing);
        Ok(Outcome { columns, strings, candidates, counts })
    }

    /// `spans` on spaCy's tokens, under the policy, each counted.
    fn place(
        &self,
        text: &str,
        map: &OffsetMap<'_>,
        tokens: &[SpacyToken],
        spans: &[CharSpan],
        counts: &mut Counts,
    ) -> Result<Vec<TokenSpan>, RulerFailure> {
        let mut out = Vec::with_capacity(spans.len());
        for span in spans {
            counts.spans += 1;
            let on_tokens = |mode| char_span(tokens, span.start, span.end, mode);
            let range = if let Some(range) = on_tokens(Mode::Strict) {
                counts.aligned += 1;
                range
            } else {
                match self.policy {
                    Policy::Error => {
                        let bytes = map.to_byte(span.start).and_then(|start| {
                            map.to_byte(span.end).map(|end| text.get(start..end))
                        });
                        return Err(RulerFailure::Misaligned {
                            start: span.start,
                            end: span.end,
                            label: span.label.clone(),
                            text: bytes.ok().flatten().unwrap_or_default().to_string(),
                        });
                    }
                    Policy::Drop => {
                        counts.skipped += 1;
                        continue;
                    }
                    Policy::Expand | Policy::Contract => {
                        let mode = if self.policy == Policy::Expand {
                            Mode::Expand
                        } else {
                            Mode::Contract
                        };
                        match on_tokens(mode) {
                            // Contracting a span inside one spaCy token leaves nothing.
                            Some((start, end)) if start < end => {
                                if mode == Mode::Expand {
                                    counts.expanded += 1;
                                } else {
                                    counts.contracted += 1;
                                }
                                (start, end)
                            }
                            _ => {
                                counts.skipped += 1;
                                continue;
                            }
                        }
                    }
                }
            };
            out.push(TokenSpan {
                start: range.0,
                end: range.1,
                label: span.label.clone(),
                kb_id: span.kb_id.clone(),
            });
        }
        Ok(out)
    }
}

/// `Doc.set_ents(entities)` as columns for `Doc.from_array([ENT_IOB,
/// ENT_TYPE, ENT_KB_ID, ENT_ID])`: an entity's tokens get `B` then `I`, its
/// label and kb_id (and its span id, if it has one); every other token is `O`
/// with no type, its kb_id and id left as they were. Also the strings the
/// labels and kb_ids are made of.
fn entity_columns(
    tokens: &[SpacyToken],
    ours: &[TokenSpan],
    kept_existing: &[usize],
    existing: &[Existing],
) -> (Vec<u8>, Vec<String>) {
    let mut rows: Vec<[u64; 4]> =
        tokens.iter().map(|token| [IOB_OUTSIDE, 0, token.kb_id, token.ent_id]).collect();
    let mut strings: Vec<String> = Vec::new();
    let mut mark = |start: usize, end: usize, label: &str, kb_id: &str, span_id: u64| {
        let (label_id, kb) = (spacy_string_id(label), spacy_string_id(kb_id));
        for (offset, row) in rows[start..end].iter_mut().enumerate() {
            let iob = if offset == 0 { IOB_BEGIN } else { IOB_INSIDE };
            let id = if span_id != 0 { span_id } else { row[3] };
            *row = [iob, label_id, kb, id];
        }
        strings.push(label.to_string());
        strings.push(kb_id.to_string());
    };
    for span in ours {
        mark(span.start, span.end, &span.label, span.kb_id.as_deref().unwrap_or(""), 0);
    }
    for &index in kept_existing {
        let (start, end, label, kb_id, id) = &existing[index];
        mark(*start, *end, label, kb_id, *id);
    }
    strings.sort_unstable();
    strings.dedup();
    let mut columns = Vec::with_capacity(rows.len() * 4 * 8);
    for value in rows.iter().flatten() {
        columns.extend_from_slice(&value.to_ne_bytes());
    }
    (columns, strings)
}

/// spaCy's tokens from `Doc.to_array([ORTH, IDX, LENGTH, SPACY, ENT_KB_ID,
/// ENT_ID]).tobytes()`: six native-endian `uint64` per token.
fn spacy_tokens(bytes: &[u8]) -> Result<Vec<SpacyToken>, Failure> {
    const ROW: usize = 6 * 8;
    if bytes.len() % ROW != 0 {
        return Err(Failure::usage(format!(
            "tokens must be Doc.to_array([ORTH, IDX, LENGTH, SPACY, ENT_KB_ID, ENT_ID]) as \
             bytes (6 uint64 per token), not {} bytes",
            bytes.len()
        )));
    }
    let field = |row: &[u8], i: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&row[i * 8..i * 8 + 8]);
        u64::from_ne_bytes(word)
    };
    let size = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    Ok(bytes
        .chunks_exact(ROW)
        .map(|row| SpacyToken {
            orth: field(row, 0),
            idx: size(field(row, 1)),
            len: size(field(row, 2)),
            space: field(row, 3) != 0,
            kb_id: field(row, 4),
            ent_id: field(row, 5),
        })
        .collect())
}

/// How `char_span` treats offsets inside a token (spaCy's `alignment_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Strict,
    Expand,
    Contract,
}

/// The token holding character `at`, its trailing space included (spaCy's
/// `token_by_char`).
fn token_by_char(tokens: &[SpacyToken], at: usize) -> Option<usize> {
    let i = tokens.partition_point(|token| token.idx <= at).checked_sub(1)?;
    let token = tokens[i];
    (at < token.idx + token.len + usize::from(token.space)).then_some(i)
}

/// The tokens `start..end` (characters) covers, as `Doc.char_span` finds them:
/// `(first, end)` token indices, `end` exclusive; `None` where spaCy returns
/// `None`. `Expand` may give an empty range (`first == end`), as spaCy does.
fn char_span(
    tokens: &[SpacyToken],
    start: usize,
    end: usize,
    mode: Mode,
) -> Option<(usize, usize)> {
    let mut first = token_by_char(tokens, start)?;
    if mode == Mode::Strict && start != tokens[first].idx {
        return None;
    }
    let mut last = token_by_char(tokens, end.checked_sub(1)?)?;
    let last_end = tokens[last].idx + tokens[last].len;
    if mode == Mode::Strict && end != last_end {
        return None;
    }
    match mode {
        Mode::Strict => {}
        Mode::Contract => {
            if tokens[first].idx < start {
                first += 1;
            }
            if end < last_end {
                last = last.checked_sub(1)?;
            }
            if last < first {
                return None;
            }
        }
        Mode::Expand => {
            // The trailing space is not part of the token before it.
            if start == tokens[first].idx + tokens[first].len {
                first += 1;
            }
        }
    }
    Some((first, last + 1))
}

/// `spacy.util.filter_spans`: the longest spans first (the earlier one among
/// equals), each kept if neither its first nor its last token is taken; in
/// token order.
fn filter_spans(spans: &[TokenSpan]) -> Vec<TokenSpan> {
    let mut order: Vec<&TokenSpan> = spans.iter().collect();
    // Stable, so spans with the same key keep their order, as in Python.
    order.sort_by(|a, b| {
        let key = |span: &TokenSpan| (span.end - span.start, std::cmp::Reverse(span.start));
        key(b).cmp(&key(a))
    });
    let mut taken = Vec::<(usize, usize)>::new();
    let mut kept = Vec::new();
    let is_taken = |taken: &[(usize, usize)], token: usize| {
        taken.iter().any(|&(start, end)| start <= token && token < end)
    };
    for span in order {
        if !is_taken(&taken, span.start) && !is_taken(&taken, span.end - 1) {
            taken.push((span.start, span.end));
            kept.push(span.clone());
        }
    }
    kept.sort_by_key(|span| span.start);
    kept
}

/// rubric's resolved entities with the `Doc`'s earlier ones: the earlier ones
/// win where they overlap, unless `overwrite`. Returns rubric's entities that
/// stay and the indices of the earlier ones that stay; each of rubric's left out
/// (unless it equals an earlier one) adds to `overlapping`.
fn merge(
    ours: Vec<TokenSpan>,
    existing: &[Existing],
    overwrite: bool,
    overlapping: &mut usize,
) -> (Vec<TokenSpan>, Vec<usize>) {
    if existing.is_empty() {
        return (ours, Vec::new());
    }
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let free = |taken: &[(usize, usize)], start: usize, end: usize| {
        taken.iter().all(|&(s, e)| end <= s || e <= start)
    };
    let mut kept_existing = Vec::new();
    let mut take_existing = |taken: &mut Vec<(usize, usize)>| {
        for (index, &(start, end, ..)) in existing.iter().enumerate() {
            if free(taken, start, end) {
                taken.push((start, end));
                kept_existing.push(index);
            }
        }
    };
    if !overwrite {
        take_existing(&mut taken);
    }
    let mut kept = Vec::with_capacity(ours.len());
    for span in ours {
        if free(&taken, span.start, span.end) {
            taken.push((span.start, span.end));
            kept.push(span);
        } else {
            // One identical to an earlier entity (span id 0, as ours) is no loss.
            let same = existing.iter().any(|(start, end, label, kb_id, id)| {
                (*start, *end, label.as_str(), kb_id.as_str(), *id)
                    == (
                        span.start,
                        span.end,
                        span.label.as_str(),
                        span.kb_id.as_deref().unwrap_or(""),
                        0,
                    )
            });
            if !same {
                *overlapping += 1;
            }
        }
    }
    if overwrite {
        take_existing(&mut taken);
    }
    (kept, kept_existing)
}

fn rows(spans: Vec<TokenSpan>) -> Vec<SpanRow> {
    spans
        .into_iter()
        .map(|span| (span.start, span.end, span.label, span.kb_id.unwrap_or_default()))
        .collect()
}

/// An outcome as Python gets it: `(entity columns, strings, candidates or None,
/// counts)`.
type OutcomeRow<'py> = (Bound<'py, PyBytes>, Vec<String>, Option<Vec<SpanRow>>, Bound<'py, PyDict>);

fn to_python(py: Python<'_>, outcome: Outcome) -> PyResult<OutcomeRow<'_>> {
    let counts = PyDict::new(py);
    let c = outcome.counts;
    for (key, value) in [
        ("spans", c.spans),
        ("aligned", c.aligned),
        ("expanded", c.expanded),
        ("contracted", c.contracted),
        ("skipped", c.skipped),
        ("overlapping", c.overlapping),
    ] {
        counts.set_item(key, value)?;
    }
    let columns = PyBytes::new(py, &outcome.columns);
    Ok((columns, outcome.strings, outcome.candidates.map(rows), counts))
}

#[pymethods]
impl RubricRuler {
    #[new]
    #[pyo3(signature = (annotator, misaligned, overwrite_ents, with_candidates))]
    fn new(
        py: Python<'_>,
        annotator: &Bound<'_, Annotator>,
        misaligned: &str,
        overwrite_ents: bool,
        with_candidates: bool,
    ) -> PyResult<Self> {
        let policy = Policy::parse(misaligned).ok_or_else(|| {
            Failure::usage(format!(
                "misaligned={misaligned:?}: use one of expand, contract, drop, error (skip is \
                 the old name of drop)"
            ))
            .into_pyerr(py)
        })?;
        Ok(RubricRuler {
            // Never explaining: the component reads the dropped candidates itself.
            annotator: annotator.get().inner.explaining(false),
            policy,
            overwrite_ents,
            with_candidates,
            strings: RwLock::new(Strings::default()),
        })
    }

    /// The string ids in these documents' tokens (`_process_batch`'s `tokens`
    /// each) that the
    /// table does not hold yet, each once.
    fn _unknown(&self, py: Python<'_>, documents: Vec<Bound<'_, PyBytes>>) -> PyResult<Vec<u64>> {
        let documents: Vec<&[u8]> = documents.iter().map(|bytes| bytes.as_bytes()).collect();
        // Every wait for the table happens without the GIL: a thread that held
        // it while waiting would block the one that holds the table.
        detached(py, || {
            let strings = self.strings.read().map_err(|_| poisoned())?;
            let mut unknown = Vec::new();
            let mut seen = HashSet::new();
            for document in &documents {
                for token in spacy_tokens(document)? {
                    if !strings.contains_key(&token.orth) && seen.insert(token.orth) {
                        unknown.push(token.orth);
                    }
                }
            }
            Ok(unknown)
        })
    }

    /// Adds `(id, string)` pairs from the vocab's `StringStore` to the table;
    /// an id that is not the string's is refused.
    fn _learn(&self, py: Python<'_>, pairs: Vec<(u64, String)>) -> PyResult<()> {
        for (id, string) in &pairs {
            if spacy_string_id(string) != *id {
                return Err(Failure::usage(format!(
                    "{string:?} does not have the string id {id}: pass the vocab's strings"
                ))
                .into_pyerr(py));
            }
        }
        detached(py, || {
            let mut strings = self.strings.write().map_err(|_| poisoned())?;
            strings.extend(pairs.into_iter().map(|(id, string)| (id, string.into_boxed_str())));
            Ok(())
        })
    }

    /// Documents as `(tokens, existing)`: `tokens` is
    /// `Doc.to_array([ORTH, IDX, LENGTH, SPACY, ENT_KB_ID, ENT_ID]).tobytes()`
    /// (every string learnt first, see `_unknown`), `existing` the `Doc`'s
    /// entities as `(start, end, label_, kb_id_, id)`. For each, in order, all
    /// matched without the GIL: the `[ENT_IOB, ENT_TYPE, ENT_KB_ID, ENT_ID]`
    /// columns for `Doc.from_array`, the strings they use, the candidates
    /// `(start, end, label, kb_id)` in tokens (with a spans key, else `None`)
    /// and the counts.
    fn _process_batch<'py>(
        &self,
        py: Python<'py>,
        documents: Vec<DocInput<'py>>,
    ) -> PyResult<Vec<OutcomeRow<'py>>> {
        // Borrowed: bytes objects cannot change, and `documents` keeps them alive.
        let documents: Vec<(&[u8], &[Existing])> = documents
            .iter()
            .map(|(offsets, existing)| (offsets.as_bytes(), existing.as_slice()))
            .collect();
        let outcomes = py
            .detach(|| {
                guarded(|| {
                    let strings = self.strings.read().map_err(|_| poisoned())?;
                    documents
                        .iter()
                        .map(|&(offsets, existing)| self.process(&strings, offsets, existing))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .map_err(|failure| failure.into_pyerr(py))?;
        outcomes.into_iter().map(|outcome| to_python(py, outcome)).collect()
    }
}

fn poisoned() -> Failure {
    Failure::named("RubricError", "internal", "the string table was poisoned by a panic")
}
