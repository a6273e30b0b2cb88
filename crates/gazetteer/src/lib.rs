//! A dictionary matcher for names, organizations and places that reports offsets
//! in the original text.
//!
//! - [`GazetteerBuilder`] reads entries (`pattern`, `label`, optional `id`,
//!   `priority` and [`CasePolicy`], and their `file:line` origin) from TSV files
//!   and spaCy EntityRuler pattern files, checks them, and builds a [`Gazetteer`]:
//!   the entries plus an Aho-Corasick automaton over their normalized forms.
//!   [`Gazetteer::write_compiled`] and [`Gazetteer::load_compiled`] store and load
//!   it in a versioned, checksummed file.
//! - [`MatcherBuilder`] builds a [`Matcher`]; [`Matcher::find`] takes a text and
//!   its `rubric-tokenizer` tokens and returns [`Matches`]: spans on token
//!   boundaries, in byte offsets of the original text, each with its label, id and
//!   source, plus every dropped candidate with the reason and the winner.
//!
//! Matching happens on a normalized copy of the text (full Unicode case folding,
//! one apostrophe, one double quote, one hyphen, one space for any whitespace run,
//! optionally no diacritics) that keeps a map back to the original, so a fold that
//! changes length (`ß` → `ss`) never moves a reported offset. The crate README
//! explains the rules and the choices.
//!
//! ```
//! use std::sync::Arc;
//! use rubric_gazetteer::{GazetteerBuilder, MatcherBuilder, MatchRule};
//! use rubric_tokenizer::Tokenizer;
//!
//! let tsv = "Islamic Revolutionary Guard Corps\tORG\tQ271110\nTehran\tGPE\tQ3616\nIran\tGPE\tQ794\n";
//! let gazetteer = GazetteerBuilder::new().add_tsv_reader("g.tsv", tsv.as_bytes())?.build()?;
//! let matcher = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]);
//!
//! let text = "Pro-Tehran groups. Iran’s Islamic Revolutionary Guard Corps (IRGC) said.";
//! let tokens = Tokenizer::new().tokenize(text);
//! let matches = matcher.find(text, &tokens);
//! let found: Vec<(&str, &str, &str)> = matches
//!     .spans
//!     .iter()
//!     .map(|m| (&text[m.start..m.end], m.label.as_str(), m.source.as_str()))
//!     .collect();
//! assert_eq!(found, [
//!     ("Tehran", "GPE", "g.tsv:2"),
//!     ("Iran", "GPE", "g.tsv:3"),
//!     ("Islamic Revolutionary Guard Corps", "ORG", "g.tsv:1"),
//!     ("IRGC", "ORG", "alias:acronym"),
//! ]);
//! assert_eq!(matches.spans[3].rule, MatchRule::AcronymAlias);
//! # Ok::<(), rubric_gazetteer::Error>(())
//! ```
#![deny(missing_docs)]

mod alias;
mod candidate;
mod check;
mod compiled;
mod engine;
mod entry;
mod error;
mod gazetteer;
mod matcher;
mod matches;
pub mod normalize;
mod pattern;
mod token_match;

pub use compiled::{FORMAT_VERSION, MAGIC};
pub use engine::EngineKind;
pub use entry::{CasePolicy, Entry, Origin};
pub use error::{Error, ErrorKind};
pub use gazetteer::{
    is_compiled_file, lexicon_files, Diagnostic, DiagnosticKind, EntryRef, Gazetteer,
    GazetteerBuilder, Stats, COMPILED_EXTENSION,
};
pub use matcher::{Matcher, MatcherBuilder, OverlapPolicy, RuleSelection};
pub use matches::{DropReason, Dropped, Match, MatchRule, Matches};
/// The string type of a [`Match`]'s label, id and source: short ones (most
/// labels, ids and sources) held inline, longer ones shared, so a kept span
/// costs no allocation.
pub use smol_str::SmolStr;

/// The default gazetteer's source, embedded in the binary.
pub const DEFAULT_TSV: &str = include_str!("../../../corpus/gazetteer/default.tsv");

/// The name the default gazetteer's entries give as their file.
pub const DEFAULT_NAME: &str = "corpus/gazetteer/default.tsv";

/// The default gazetteer in compiled form, made from [`DEFAULT_TSV`] by the build
/// script.
pub const DEFAULT_COMPILED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/default.rgz"));

impl Gazetteer {
    /// The default gazetteer embedded in the binary (`corpus/gazetteer/default.tsv`,
    /// compiled at build time), loaded on each call: load it once and share it
    /// behind an `Arc`.
    pub fn embedded_default() -> Result<Gazetteer, Error> {
        Gazetteer::from_static_compiled_bytes(DEFAULT_COMPILED)
    }
}

/// [`Gazetteer::embedded_default`], as a function.
pub fn default_gazetteer() -> Result<Gazetteer, Error> {
    Gazetteer::embedded_default()
}

#[cfg(test)]
mod pattern_tests;
#[cfg(test)]
mod tests;

/// The crate README's examples, run as doctests so they never rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
