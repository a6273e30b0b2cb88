//! The Rust half of the `rubric_ruler` spaCy component: match a `Doc` on its
//! own tokens, resolve the spans into entities (with an earlier component's
//! entities) and count everything, so that Python is left with setting them.
//!
//! spaCy's tokens arrive as `Doc.to_array([ORTH, SPACY, ENT_KB_ID, ENT_ID])`'s
//! bytes: the string id and trailing space of each token, and its entity ids.
//! The text is rebuilt from the tokens' strings, as `Doc.text` builds it (each
//! token's text, and a space where it has one): `Doc.text` makes a Python
//! `Token` object per token and took a quarter of the component's time. The
//! strings come from the `StringStore` once, by id (a MurmurHash of the string,
//! the same in every vocab), and are kept in [`RubricRuler`]'s own table.
//! Writing the text token by token gives each token's byte range as it is
//! written, so the tokens reach the matcher in the unit it speaks without
//! converting any offset (spaCy's `IDX`, in code points, is not needed).
//!
//! The matcher runs on those tokens (`Annotator::find_on_tokens`), not on
//! rubric's tokenization of the text, so every span starts and ends on spaCy's
//! tokens and becomes token indices by a lookup: where rubric's tokenizer and
//! spaCy's disagree, spaCy's tokens win. Resolving follows
//! `spacy.util.filter_spans`, and the entities come back as the `[ENT_IOB,
//! ENT_TYPE, ENT_KB_ID, ENT_ID]` columns `Doc.set_ents` would write (for
//! `Doc.from_array`, which costs no `Span` object per entity), so the component
//! sets what a pure-Python implementation over those spaCy calls would.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use rubric_exporter::spacy_string_id;
use rubric_gazetteer::Match;
use rubric_tokenizer::{Token, TokenKind};

use crate::{detached, guarded, Annotator, Failure};

/// One spaCy token: string id, whether one space follows it, its entity ids.
#[derive(Clone, Copy, Debug)]
struct SpacyToken {
    orth: u64,
    space: bool,
    kb_id: u64,
    ent_id: u64,
}

/// A span on spaCy's tokens: `start..end` token indices, `end` exclusive (as
/// spaCy's `Span`). Ordered as the matcher orders its matches (offsets, then
/// label), then by kb_id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TokenSpan {
    start: usize,
    end: usize,
    label: String,
    kb_id: Option<String>,
}

/// An entity the `Doc` already had: tokens, label, kb_id and span id.
type Existing = (usize, usize, String, String, u64);

/// The counts the component leaves in `doc.user_data["rubric"]`, in its order.
/// Matching on spaCy's own tokens, every span is aligned: `expanded`,
/// `contracted` and `skipped` stay 0, kept for the configs and code that read
/// them from the versions that re-tokenized the text.
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

/// What the component sets on one `Doc`.
#[derive(Debug)]
struct Outcome {
    /// `[ENT_IOB, ENT_TYPE]`, then `ENT_KB_ID` and `ENT_ID` as `which` says,
    /// per token, native-endian `uint64`: what `Doc.set_ents` with the
    /// entities would write.
    columns: Vec<u8>,
    /// [`WITH_KB_ID`] and [`WITH_ENT_ID`]: which columns follow the first two.
    which: u8,
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

/// A `Doc` as the matcher sees it: its text, and its tokens in bytes of that
/// text (an empty spaCy token, which can hold no match, left out), each with
/// the index of the spaCy token it is.
#[derive(Debug, Default)]
struct Rebuilt {
    text: String,
    tokens: Vec<Token>,
    spacy_index: Vec<usize>,
}

impl Rebuilt {
    /// The spaCy tokens a match covers. The matcher only returns matches that
    /// start at a token's start and end at a token's end, so both are found;
    /// anything else is a bug, reported rather than guessed around.
    fn span(&self, found: &Match) -> Result<TokenSpan, Failure> {
        let first = self.tokens.partition_point(|token| token.start < found.start);
        let last = self.tokens.partition_point(|token| token.end < found.end);
        let starts = self.tokens.get(first).is_some_and(|token| token.start == found.start);
        let ends = self.tokens.get(last).is_some_and(|token| token.end == found.end);
        if !(starts && ends && first <= last) {
            return Err(Failure::named(
                "RubricError",
                "internal",
                format!(
                    "the match {:?} at bytes {}..{} is not on the Doc's tokens — this is a bug \
                     in rubric, please report it",
                    self.text.get(found.start..found.end).unwrap_or_default(),
                    found.start,
                    found.end
                ),
            ));
        }
        Ok(TokenSpan {
            start: self.spacy_index[first],
            end: self.spacy_index[last] + 1,
            label: found.label.to_string(),
            kb_id: found.id.as_deref().map(str::to_string),
        })
    }
}

/// Matches documents on spaCy's tokens for the spaCy component.
#[pyclass(frozen, module = "rubric", name = "_Ruler")]
#[derive(Debug)]
pub(crate) struct RubricRuler {
    annotator: rubric_annotate::Annotator,
    overwrite_ents: bool,
    with_candidates: bool,
    strings: RwLock<Strings>,
}

impl RubricRuler {
    /// The `Doc`'s text, as `Doc.text` makes it, and its tokens in bytes.
    fn rebuild(&self, strings: &Strings, tokens: &[SpacyToken]) -> Result<Rebuilt, Failure> {
        let mut rebuilt = Rebuilt {
            text: String::with_capacity(tokens.len() * 8),
            tokens: Vec::with_capacity(tokens.len()),
            spacy_index: Vec::with_capacity(tokens.len()),
        };
        for (index, token) in tokens.iter().enumerate() {
            let string = strings.get(&token.orth).ok_or_else(|| {
                Failure::named(
                    "RubricError",
                    "internal",
                    format!("string {} was not learnt before matching", token.orth),
                )
            })?;
            let start = rebuilt.text.len();
            rebuilt.text.push_str(string);
            if !string.is_empty() {
                rebuilt.tokens.push(Token {
                    start,
                    end: rebuilt.text.len(),
                    kind: TokenKind::of(string),
                    ws: token.space,
                });
                rebuilt.spacy_index.push(index);
            }
            if token.space {
                rebuilt.text.push(' ');
            }
        }
        Ok(rebuilt)
    }

    fn process(
        &self,
        strings: &Strings,
        array: &[u8],
        existing: &[Existing],
    ) -> Result<Outcome, Failure> {
        let tokens = spacy_tokens(array)?;
        let doc = self.rebuild(strings, &tokens)?;
        let matches =
            self.annotator.find_on_tokens(&doc.text, &doc.tokens).map_err(Failure::annotate)?;
        let kept =
            matches.spans.iter().map(|found| doc.span(found)).collect::<Result<Vec<_>, _>>()?;
        let mut counts = Counts { spans: kept.len(), aligned: kept.len(), ..Counts::default() };
        let resolved = filter_spans(&kept);
        // The kept spans may overlap (overlaps="all" keeps them all), and an
        // earlier component's entities may hold their tokens: doc.ents cannot
        // hold both, so each of ours left out is counted.
        counts.overlapping = kept.len() - resolved.len();
        let candidates = if self.with_candidates {
            let mut all = kept.clone();
            for dropped in &matches.dropped {
                all.push(doc.span(&dropped.candidate)?);
            }
            // A candidate beaten by two winners is dropped twice; it is listed once.
            all.sort();
            all.dedup();
            Some(all)
        } else {
            None
        };
        let (ents, kept_existing) =
            merge(resolved, existing, self.overwrite_ents, &mut counts.overlapping);
        let (columns, which, strings) = entity_columns(&tokens, &ents, &kept_existing, existing);
        Ok(Outcome { columns, which, strings, candidates, counts })
    }
}

/// Which columns after `ENT_IOB` and `ENT_TYPE` an [`Outcome`] holds: bit 0
/// `ENT_KB_ID`, bit 1 `ENT_ID`.
const WITH_KB_ID: u8 = 1;
const WITH_ENT_ID: u8 = 2;

/// `Doc.set_ents(entities)` as columns for `Doc.from_array`: an entity's tokens
/// get `B` then `I`, its label and kb_id (and its span id, if it has one); every
/// other token is `O` with no type, its kb_id and id left as they were. Also
/// which columns they are ([`WITH_KB_ID`], [`WITH_ENT_ID`]) and the strings the
/// labels and kb_ids are made of.
///
/// `ENT_KB_ID` and `ENT_ID` are only written where some token's value changes:
/// `Doc.from_array` costs about as much per column as all of the component's
/// other Python, and most documents get no span id, and no kb_id from a
/// gazetteer without ids.
fn entity_columns(
    tokens: &[SpacyToken],
    ours: &[TokenSpan],
    kept_existing: &[usize],
    existing: &[Existing],
) -> (Vec<u8>, u8, Vec<String>) {
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
    let changes = |column: usize, old: fn(&SpacyToken) -> u64| {
        rows.iter().zip(tokens).any(|(row, token)| row[column] != old(token))
    };
    let mut which = 0;
    if changes(2, |token| token.kb_id) {
        which |= WITH_KB_ID;
    }
    if changes(3, |token| token.ent_id) {
        which |= WITH_ENT_ID;
    }
    let width = 2 + usize::from(which & WITH_KB_ID != 0) + usize::from(which & WITH_ENT_ID != 0);
    let mut columns = Vec::with_capacity(rows.len() * width * 8);
    for row in &rows {
        for (column, value) in row.iter().enumerate() {
            let wanted = match column {
                2 => which & WITH_KB_ID != 0,
                3 => which & WITH_ENT_ID != 0,
                _ => true,
            };
            if wanted {
                columns.extend_from_slice(&value.to_ne_bytes());
            }
        }
    }
    (columns, which, strings)
}

/// spaCy's tokens from `Doc.to_array([ORTH, SPACY, ENT_KB_ID, ENT_ID]).tobytes()`:
/// four native-endian `uint64` per token.
fn spacy_tokens(bytes: &[u8]) -> Result<Vec<SpacyToken>, Failure> {
    const ROW: usize = 4 * 8;
    if bytes.len() % ROW != 0 {
        return Err(Failure::usage(format!(
            "tokens must be Doc.to_array([ORTH, SPACY, ENT_KB_ID, ENT_ID]) as bytes (4 uint64 \
             per token), not {} bytes",
            bytes.len()
        )));
    }
    let field = |row: &[u8], i: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&row[i * 8..i * 8 + 8]);
        u64::from_ne_bytes(word)
    };
    Ok(bytes
        .chunks_exact(ROW)
        .map(|row| SpacyToken {
            orth: field(row, 0),
            space: field(row, 1) != 0,
            kb_id: field(row, 2),
            ent_id: field(row, 3),
        })
        .collect())
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

/// An outcome as Python gets it: `(entity columns, which columns, strings,
/// candidates or None, counts)`.
type OutcomeRow<'py> =
    (Bound<'py, PyBytes>, u8, Vec<String>, Option<Vec<SpanRow>>, Bound<'py, PyDict>);

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
    Ok((columns, outcome.which, outcome.strings, outcome.candidates.map(rows), counts))
}

#[pymethods]
impl RubricRuler {
    #[new]
    #[pyo3(signature = (annotator, overwrite_ents, with_candidates))]
    fn new(annotator: &Bound<'_, Annotator>, overwrite_ents: bool, with_candidates: bool) -> Self {
        RubricRuler {
            // Explaining only for the candidates: `find_on_tokens` then traces the
            // dropped ones, which the component reads itself (no record is built).
            annotator: annotator.get().inner.explaining(with_candidates),
            overwrite_ents,
            with_candidates,
            strings: RwLock::new(Strings::default()),
        }
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
    /// `Doc.to_array([ORTH, SPACY, ENT_KB_ID, ENT_ID]).tobytes()`
    /// (every string learnt first, see `_unknown`), `existing` the `Doc`'s
    /// entities as `(start, end, label_, kb_id_, id)`. For each, in order, all
    /// matched without the GIL: the `[ENT_IOB, ENT_TYPE]` columns for
    /// `Doc.from_array` followed by `ENT_KB_ID` and `ENT_ID` where they change
    /// (`which`: 1 for `ENT_KB_ID`, 2 for `ENT_ID`, 3 for both), `which`, the strings they use, the candidates
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
            .map(|(tokens, existing)| (tokens.as_bytes(), existing.as_slice()))
            .collect();
        let outcomes = py
            .detach(|| {
                guarded(|| {
                    let strings = self.strings.read().map_err(|_| poisoned())?;
                    documents
                        .iter()
                        .map(|&(tokens, existing)| self.process(&strings, tokens, existing))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .map_err(|failure: Failure| failure.into_pyerr(py))?;
        outcomes.into_iter().map(|outcome| to_python(py, outcome)).collect()
    }
}

fn poisoned() -> Failure {
    Failure::named("RubricError", "internal", "the string table was poisoned by a panic")
}
