//! A news-grade English tokenizer that never loses a byte.
//!
//! [`Tokenizer::tokenize`] turns a `&str` into [`Token`]s: byte ranges with a
//! [`TokenKind`] and a trailing-space flag. The boundaries follow spaCy's English
//! tokenizer (`spacy.blank("en")`), which most NER training pipelines use, so spans
//! made on our tokens align with theirs; where we differ on purpose (hashtags stay
//! whole, titles such as `Lt.` keep their period, a grapheme cluster is never cut),
//! the crate README lists it.
//!
//! ```
//! use rubric_tokenizer::{Tokenizer, TokenKind};
//!
//! let text = "About 2,500 US troops are in Iraq.\nThe U.S. said so.";
//! let tokenizer = Tokenizer::new();
//! let tokens = tokenizer.tokenize(text);
//! let words: Vec<&str> = tokens.iter().map(|t| t.text(text)).collect();
//! assert_eq!(
//!     words,
//!     ["About", "2,500", "US", "troops", "are", "in", "Iraq", ".", "\n", "The", "U.S.", "said", "so", "."]
//! );
//! assert_eq!(tokens[1].kind, TokenKind::Number);
//! assert_eq!(tokens[8].kind, TokenKind::Space);
//!
//! // Nothing is lost: the tokens and their trailing spaces give back the text.
//! let rebuilt: String = tokens.iter().map(|t| &text[t.start..t.end_with_ws()]).collect();
//! assert_eq!(rebuilt, text);
//!
//! let sentences = tokenizer.sentences(text, &tokens);
//! assert_eq!(sentences.len(), 2);
//! assert_eq!(sentences[1].token_start, 9);
//! ```
#![deny(missing_docs)]

mod chars;
mod rules;
mod sentence;
mod spacy_tables;
mod token;
mod tokenizer;

pub use sentence::Sentence;
pub use spacy_tables::SPACY_VERSION;
pub use token::{Token, TokenKind};
pub use tokenizer::{Tokenizer, TokenizerBuilder, TokenizerMode};

impl Tokenizer {
    /// Splits tokenized text into sentences; every token belongs to exactly one.
    /// `tokens` must be this text's tokens. See [`Sentence`] for the rules.
    pub fn sentences(&self, text: &str, tokens: &[Token]) -> Vec<Sentence> {
        sentence::split(text, tokens)
    }
}

#[cfg(test)]
mod tests;

/// The crate README's examples, run as doctests so they never rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
