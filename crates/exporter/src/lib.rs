//! rubric's span-annotated record and the formats people train with.
//!
//! A [`Record`] is one document: its text, its tokens and its spans, with byte
//! offsets inside. [`RecordWriter`] writes records as JSON Lines (the format is
//! specified on [`Record`] and in `schemas/record.schema.json`), converting offsets
//! to code points, bytes or UTF-16 once, at the output edge, with
//! [`rubric_offsets::OffsetMap`]; [`RecordReader`] reads them back and verifies
//! every offset and every quoted text.
//!
//! Converters, each with a writer and a reader:
//!
//! | format | write | read | offsets / tokens |
//! | --- | --- | --- | --- |
//! | CoNLL (IOB2, IOB1, BIOES, BILOU) | [`ConllWriter`] | [`ConllReader`] | tokens |
//! | brat standoff | [`to_brat`] | [`from_brat`] | code points |
//! | doccano JSONL (both layouts) | [`DoccanoWriter`] | [`DoccanoReader`] | code points |
//! | Hugging Face token classification | [`HfWriter`] | [`HfReader`] | tokens |
//! | spaCy `DocBin` (`.spacy`) | [`DocBinWriter`] | [`read_docbin`] | tokens |
//!
//! [`Format`] is the registry of them all (`format.rs`): each format's names,
//! help, extensions and layout ([`FormatInfo`]), and one way to make its writer
//! ([`RecordWrite`], to a [`Destination`]) and its reader ([`RecordRead`]), so a
//! front end offers every format without naming any. The line reader every JSON
//! Lines input goes through is [`LineReader`] (`lines.rs`).
//!
//! Token-based formats cannot hold a span that does not start and end on token
//! boundaries; their writers follow a [`Misaligned`] policy and count what it did
//! in an [`AlignmentReport`]. Nothing is dropped silently.
//!
//! ```
//! use rubric_exporter::{ConllWriter, Misaligned, Record, RecordReader, RecordWriter, Scheme, SpanInput};
//! use rubric_tokenizer::Tokenizer;
//!
//! let text = "US President Joe Biden spoke.";
//! let record = Record::tokenize("d1", text, &Tokenizer::new(), vec![
//!     SpanInput::new(0, 2, "GPE"),
//!     SpanInput::new(13, 22, "PERSON").kb_id("Q6279"),
//! ])?;
//!
//! let mut jsonl = RecordWriter::new(Vec::new());
//! jsonl.write(&record)?;
//! let jsonl = jsonl.finish()?;
//! let back: Vec<Record> = RecordReader::new("<memory>", jsonl.as_slice()).collect::<Result<_, _>>()?;
//! assert_eq!(back, [record.clone()]);
//!
//! let mut conll = ConllWriter::new(Vec::new(), Scheme::Iob2, Misaligned::Error);
//! conll.write(&record)?;
//! let conll = String::from_utf8(conll.finish()?).unwrap();
//! assert!(conll.starts_with("-DOCSTART- O\n\nUS B-GPE\nPresident O\nJoe B-PERSON\nBiden I-PERSON\n"));
//! # Ok::<(), rubric_exporter::Error>(())
//! ```
#![deny(missing_docs)]

mod align;
mod brat;
mod conll;
mod doccano;
mod error;
mod fast;
mod format;
mod hf;
mod jsonl;
mod label_studio;
mod lines;
mod record;
mod spacy;
mod spacy_symbols;

pub use align::{AlignmentReport, Misaligned};
pub use brat::{brat_file_stem, from_brat, to_brat, BratDocument, BratSkipped};
pub use conll::{ConllReader, ConllWriter, Scheme};
pub use doccano::{DoccanoLayout, DoccanoReader, DoccanoWriter};
pub use error::{
    escape_controls, escape_markup, is_terminal_control, json_type_name, Error, ErrorKind,
    Location, SpanRef,
};
pub use format::{
    Destination, Format, FormatInfo, FormatSpec, Ids, InMemory, Input, Keeps, Layout, Name,
    ReadOptions, ReadRecords, Reader, RecordRead, RecordWrite, Stream, WriteOptions, Writer,
};
pub use hf::{HfReader, HfWriter};
pub use jsonl::{RecordReader, RecordWriter};
pub use label_studio::{
    read_label_studio, LabelStudio, LabelStudioExport, LabelStudioOptions, LabelStudioReadOptions,
    LabelStudioReport, LabelStudioStream, LabelStudioTarget, LabelStudioWriter, StreamKind,
};
pub use lines::{json_error_message, LineReader, RawLine};
pub use record::{inexact_number, ExactFields, KeptFields, Record, RecordToken, Span, SpanInput};
pub use rubric_json::repeated_key;
/// The string type of a span's label, `kb_id` and source: short ones held
/// inline, longer ones shared, so that a span costs no allocation for them.
pub use smol_str::SmolStr;
pub use spacy::{read_docbin, spacy_string_id, DocBinWriter};

#[cfg(test)]
mod tests;

/// The crate README's examples, run as doctests so they never rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
