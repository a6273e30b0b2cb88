//! brat standoff: a `.txt` file holding the text and a `.ann` file holding one
//! `T` line per span, with code point offsets.

use rubric_offsets::{OffsetMap, OffsetUnit};
use rubric_tokenizer::Tokenizer;

use crate::error::{Error, ErrorKind, Location, SpanRef};
use crate::record::{Record, SpanInput};

/// One document in brat standoff: the two files' contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BratDocument {
    /// The `.txt` file: the record's text, byte for byte.
    pub txt: String,
    /// The `.ann` file: `T1<TAB>LABEL START END<TAB>TEXT` per span, offsets in code
    /// points, spans in the record's order.
    pub ann: String,
}

/// A record as brat standoff.
///
/// brat keeps labels and exact offsets, overlapping spans included; `kb_id` and
/// `source` are not written. A span that crosses a line break is refused: brat's
/// `.ann` holds one line per annotation and would need fragments for it.
///
/// ```
/// use rubric_exporter::{to_brat, Record, SpanInput};
/// use rubric_tokenizer::Tokenizer;
///
/// let record = Record::tokenize("d1", "Iran’s IRGC", &Tokenizer::new(), vec![SpanInput::new(9, 13, "ORG")])?;
/// assert_eq!(to_brat(&record)?.ann, "T1\tORG 7 11\tIRGC\n");
/// # Ok::<(), rubric_exporter::Error>(())
/// ```
pub fn to_brat(record: &Record) -> Result<BratDocument, Error> {
    let chars = OffsetMap::new(record.text(), OffsetUnit::Char);
    let mut ann = String::new();
    for (n, span) in record.spans().iter().enumerate() {
        let span_text = record.span_text(span);
        if span_text.contains(['\n', '\r']) {
            return Err(Error::new(ErrorKind::Unrepresentable {
                span: record.span_ref(span),
                reason: "the span crosses a line break, which a brat T line cannot hold — \
                         convert to doccano or JSONL instead, or split the span"
                    .to_string(),
            }));
        }
        let convert = |byte| {
            chars.to_unit(byte).map_err(|error| {
                Error::new(ErrorKind::SpanOffset { span: record.span_ref(span), error })
            })
        };
        let (start, end) = (convert(span.start)?, convert(span.end)?);
        ann.push_str(&format!("T{}\t{} {start} {end}\t{span_text}\n", n + 1, span.label));
    }
    Ok(BratDocument { txt: record.text().to_string(), ann })
}

/// The file stem brat files of a document are named after: its id, with every
/// character other than ASCII letters, digits, `.`, `_` and `-` replaced by `_`.
///
/// An empty id, or one that is only dots, is an error: it names no file.
pub fn brat_file_stem(id: &str) -> Result<String, Error> {
    let stem: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .collect();
    if stem.chars().all(|c| c == '.') {
        return Err(Error::new(ErrorKind::BadId {
            id: id.to_string(),
            problem: "it cannot name a file — give the document a non-empty id".to_string(),
        }));
    }
    Ok(stem)
}

/// What reading a `.ann` file left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BratSkipped {
    /// Annotations other than text-bound ones (relations `R`, events `E`,
    /// attributes `A`/`M`, normalizations `N`, notes `#`, equivalences `*`), which
    /// rubric's records have no place for.
    pub non_entity: usize,
}

/// Reads one brat document: the `.txt` contents and the `.ann` contents.
///
/// Each `T` line becomes a span (offsets in code points, checked against the
/// text the line quotes); a discontinuous one (`T1<TAB>ORG 0 4;5 9<TAB>...`) is an
/// error. Other annotation lines are counted in [`BratSkipped`]. The text is
/// tokenized with `tokenizer`. `ann_source` names the `.ann` file in errors and in
/// each span's `source` (`<file>:<line>`).
pub fn from_brat(
    id: impl Into<String>,
    txt: String,
    ann: &str,
    ann_source: &str,
    tokenizer: &Tokenizer,
) -> Result<(Record, BratSkipped), Error> {
    let id = id.into();
    let chars = OffsetMap::new(&txt, OffsetUnit::Char);
    let mut spans = Vec::new();
    let mut lines = Vec::new();
    let mut skipped = BratSkipped::default();
    // A byte-order mark before the first `T1` would hide that entity among the
    // skipped non-entity lines; it is no part of the annotations. (One in the .txt
    // is kept: brat counts it as a character, so offsets count it too.)
    let ann = ann.strip_prefix('\u{feff}').unwrap_or(ann);
    for (index, line) in ann.lines().enumerate() {
        let number = index as u64 + 1;
        let at = || Location::line(ann_source, number);
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with('T') {
            skipped.non_entity += 1;
            continue;
        }
        let mut fields = line.splitn(3, '\t');
        let (_, Some(annotation), Some(quoted)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(Error::syntax(
                at(),
                "a T line needs three tab-separated fields: `T1<TAB>LABEL START END<TAB>TEXT`",
            ));
        };
        let (label, fragments) = annotation.split_once(' ').unwrap_or((annotation, ""));
        if fragments.contains(';') {
            return Err(Error::at(
                at(),
                ErrorKind::Discontinuous { fragments: fragments.to_string() },
            ));
        }
        let offsets: Option<Vec<usize>> =
            fragments.split(' ').map(|offset| offset.parse().ok()).collect();
        let Some([start, end]) = offsets.as_deref().and_then(|o| <[usize; 2]>::try_from(o).ok())
        else {
            // Digits too many for any offset: say that, not that the shape is wrong.
            let too_big = fragments.split(' ').find(|offset| {
                !offset.is_empty()
                    && offset.bytes().all(|b| b.is_ascii_digit())
                    && offset.parse::<usize>().is_err()
            });
            if let Some(offset) = too_big {
                return Err(Error::syntax(
                    at(),
                    format!(
                        "offset {offset} in {annotation:?} is out of range (at most {}) — \
                         offsets are code point indices into the .txt file",
                        usize::MAX
                    ),
                ));
            }
            return Err(Error::syntax(
                at(),
                format!("{annotation:?} is not `LABEL START END` with offsets in code points"),
            ));
        };
        let span_ref = |text: Option<&str>| {
            Box::new(SpanRef {
                document: id.clone(),
                index: Some(spans.len()),
                start,
                end,
                label: label.to_string(),
                text: text.map(str::to_string),
            })
        };
        let to_byte = |offset| {
            chars.to_byte(offset).map_err(|error| {
                Error::at(at(), ErrorKind::SpanOffset { span: span_ref(Some(quoted)), error })
            })
        };
        let (byte_start, byte_end) = (to_byte(start)?, to_byte(end)?);
        let cut = txt.get(byte_start..byte_end).unwrap_or("");
        if byte_start < byte_end && cut != quoted {
            return Err(Error::at(
                at(),
                ErrorKind::SpanTextMismatch {
                    span: span_ref(None),
                    found: quoted.to_string(),
                    expected: cut.to_string(),
                },
            ));
        }
        spans.push(
            SpanInput::new(byte_start, byte_end, label).source(format!("{ann_source}:{number}")),
        );
        lines.push(number);
    }
    let tokens = tokenizer.tokenize(&txt);
    let record = Record::new(id, txt, &tokens, spans).map_err(|mut err| {
        // The .ann file's offsets are the record's, in code points: nothing to put back.
        let index = err.restate_span(|_| None);
        if let Some(&line) = index.and_then(|i| lines.get(i)) {
            err.location = Some(Box::new(Location::line(ann_source, line)));
        }
        err.or_at(|| Location::source(ann_source))
    })?;
    Ok((record, skipped))
}
