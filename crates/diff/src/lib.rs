//! Compare span annotations: a model against gold, two annotators against each
//! other, yesterday's gazetteer against today's.
//!
//! [`Differ::compare`] pairs the documents of two [`Annotations`] by id and
//! scores them under the four schemas of SemEval-2013 task 9.1, counted exactly as
//! nervaluate 1.x counts them ([`Schema`], rules in [`evaluate`]): overall (micro),
//! per label, per document, and the macro average over labels. Each document's
//! [`Disagreement`]s (missed, spurious, wrong label, wrong boundary) come in
//! reading order; [`Comparison::by_source`] says which `source` (gazetteer entry)
//! produced the most errors. [`agreement`] compares more than two inputs pairwise,
//! with Cohen's kappa on token-level IOB labels.
//!
//! Reports: [`text_report`] (a table and the disagreements in context),
//! [`json_report`] (specified by `schemas/diff.schema.json`) and
//! [`html_report`] (one self-contained page).
//!
//! ```
//! use rubric_diff::{Annotations, Differ, Document, Schema, Span};
//!
//! let text = "Iraqi militia groups attacked Erbil.";
//! let gold = Annotations::new("gold", vec![Document::new("d1", text, vec![
//!     Span::new(0, 5, "NORP"), Span::new(30, 35, "GPE"),
//! ])]);
//! let pred = Annotations::new("pred", vec![Document::new("d1", text, vec![
//!     Span::new(0, 5, "NORP").with_source("demonyms.tsv:4"),
//!     Span::new(6, 13, "ORG").with_source("orgs.tsv:9"),
//! ])]);
//! let comparison = Differ::new().compare(&gold, &pred)?;
//! let strict = &comparison.overall.strict;
//! assert_eq!((strict.correct, strict.missed, strict.spurious), (1, 1, 1));
//! assert_eq!(comparison.f1(Schema::Strict), 0.5);
//! assert_eq!(comparison.by_source()[0].source, "orgs.tsv:9");
//! # Ok::<(), rubric_diff::Error>(())
//! ```
#![deny(missing_docs)]

mod agreement;
mod compare;
mod counts;
mod error;
mod evaluate;
mod html;
mod input;
mod json;
mod schema;
mod text;

pub use agreement::{agreement, iob_labels, Agreement};
pub use compare::{
    Comparison, Differ, DifferBuilder, Disagreement, DisagreementKind, DocumentComparison, Pairing,
    SourceTally,
};
pub use counts::{Counts, Figures, MacroScores, PerSchema, Scores, Tally};
pub use error::{Error, ErrorKind};
pub use evaluate::{
    evaluate, evaluate_with, Entity, Evaluation, Outcome, DEFAULT_MIN_OVERLAP_PERCENTAGE,
};
pub use html::html_report;
pub use input::{pair_documents, Annotations, Document, PairedBy, Span};
pub use json::{
    agreement_json, json_report, AgreementReport, ComparisonReport, DisagreementReport,
    DocumentReport, SpanReport,
};
pub use schema::Schema;
pub use text::{agreement_text, text_report, TextOptions};

/// The crate README's examples, run as doctests so they never rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
