//! `rubric tokenize`: documents in, tokens with offsets out.

use rubric_offsets::{OffsetMap, OffsetUnit};
use rubric_tokenizer::{TokenKind, Tokenizer, TokenizerBuilder, TokenizerMode};
use serde::Serialize;

use crate::error::{Error, ErrorKind};
use crate::input::Document;
use crate::output::Output;
use crate::run::{self, offset_unit_parser, Processed, RunArgs, Status};

const EXAMPLES: &str = "\
Examples:
  rubric tokenize corpus/article.txt
  rubric tokenize --offsets utf16 docs.jsonl > tokens.jsonl
  rubric tokenize --tokenizer spacy docs.jsonl   # spaCy's tokens exactly
  echo '{\"id\": \"d1\", \"text\": \"Iraqi militia groups\"}' | rubric tokenize

Output, one line per document:
  {\"id\":\"d1\",\"offsets\":\"char\",\"tokens\":[{\"text\":\"Iraqi\",\"start\":0,\"end\":5,\"id\":0,\"ws\":true,\"kind\":\"word\"},...]}
The tokens are a record's tokens (schemas/record.schema.json, where `kind` is optional).

Inputs: a .txt file is one document (id = file stem, text exactly as stored); a .jsonl
file holds one JSON object per line with a string \"text\" and an optional string \"id\"
(default <file>:<line>); `-` or no input reads JSON Lines from standard input.";

/// Arguments of `rubric tokenize`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    pub run: RunArgs,

    /// The unit of `start` and `end`: UTF-8 bytes, Unicode code points (Python `str`
    /// indices) or UTF-16 code units (JavaScript, Java).
    #[arg(long, value_name = "UNIT", default_value = "char", value_parser = offset_unit_parser())]
    pub offsets: OffsetUnit,

    /// Which rules cut the text: rubric's news rules, or spaCy 3.8's English
    /// tokenizer exactly (`spacy.blank("en")`: emoticons, `Lt.` `Lt` `.`, `#` split
    /// off hashtags), for records whose tokens must be a spaCy `Doc`'s.
    #[arg(long = "tokenizer", value_enum, value_name = "RULES", default_value = "news")]
    pub tokenizer: TokenizerRules,
}

/// The `--tokenizer` option of every command that tokenizes (`tokenize`,
/// `annotate`, `convert --from brat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenizerRules {
    // Plain comments, not doc comments: clap would list documented values one per
    // line and lay out the whole help page that way.
    // rubric's news rules (hashtags, URLs and titles such as `Lt.` whole).
    #[default]
    News,
    // spaCy 3.8's English tokenizer, boundary for boundary.
    Spacy,
}

impl TokenizerRules {
    /// The tokenizer these rules make.
    pub fn build(self) -> Tokenizer {
        TokenizerBuilder::for_mode(self.mode()).build()
    }

    /// The tokenizer's mode these rules name.
    pub fn mode(self) -> TokenizerMode {
        match self {
            TokenizerRules::News => TokenizerMode::News,
            TokenizerRules::Spacy => TokenizerMode::Spacy,
        }
    }
}

/// One output line of `rubric tokenize`: a document's tokens.
///
/// ```json
/// {"id":"article","offsets":"char","tokens":[{"text":"Iraqi","start":0,"end":5,"id":0,"ws":true,"kind":"word"}]}
/// ```
///
/// - `id`: the document's id.
/// - `offsets`: the unit of every `start` and `end` in the line: `byte`, `char` or
///   `utf16`.
/// - `tokens`: in text order. `text` is the token's text, exactly
///   `text[start..end]` of the document in that unit; `id` is its index in
///   `tokens`, from 0; `ws` says whether one space
///   (U+0020) follows the token and belongs to it; `kind` is one of `word`,
///   `number`, `punctuation`, `symbol`, `url`, `email`, `handle`, `hashtag`,
///   `space`. Joining every token's `text`, plus a space where `ws` is true, gives
///   back the document's text.
///
/// Each token has exactly the shape of a record's token
/// (`schemas/record.schema.json`, where `kind` is the optional field), so the
/// list can be a record's `tokens` as it is.
#[derive(Debug, Serialize)]
pub struct TokenizedDocument<'a> {
    /// The document's id.
    pub id: &'a str,
    /// The unit of the offsets.
    pub offsets: OffsetUnit,
    /// The tokens.
    pub tokens: Vec<TokenRecord<'a>>,
}

/// One token of a [`TokenizedDocument`].
#[derive(Debug, Serialize)]
pub struct TokenRecord<'a> {
    /// The token's text.
    pub text: &'a str,
    /// Where it starts, in the document's offset unit.
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
    /// Its index in the document's tokens, from 0 (a record's token `id`).
    pub id: usize,
    /// Whether one space follows and belongs to the token.
    pub ws: bool,
    /// What the token is.
    pub kind: TokenKind,
}

/// Runs `rubric tokenize`.
pub fn run(args: &Args) -> Result<Status, Error> {
    let tokenizer = args.tokenizer.build();
    let output = Output::open(args.run.output.as_deref(), &args.run.inputs)?;
    run::run(&args.run, "tokens", output, |document: &Document| {
        let tokenized = tokenize(&tokenizer, document, args.offsets)?;
        let mut bytes = Vec::new();
        Output::serialize_into(&mut bytes, &tokenized)?;
        let tally = vec![("tokens".to_string(), tokenized.tokens.len() as u64)];
        Ok(Processed { item: bytes, tally })
    })
}

fn tokenize<'a>(
    tokenizer: &Tokenizer,
    document: &'a Document,
    unit: OffsetUnit,
) -> Result<TokenizedDocument<'a>, Error> {
    let text = document.text.as_str();
    // Conversion happens here, once, at the output edge: the tokenizer works and
    // reports in bytes.
    let map = OffsetMap::new(text, unit);
    let bad_token = |err| Error::at(document.location.clone(), ErrorKind::BadTokenOffset(err));
    let tokens = tokenizer
        .tokenize(text)
        .into_iter()
        .enumerate()
        .map(|(id, token)| {
            let start = map.to_unit(token.start).map_err(bad_token)?;
            let end = map.to_unit(token.end).map_err(bad_token)?;
            // Both offsets are char boundaries within the text now (`to_unit`
            // checked), so `get` only fails if start > end, which is a tokenizer bug
            // too; `Token::text` would panic on it.
            let token_text = text.get(token.start..token.end).ok_or_else(|| {
                Error::at(
                    document.location.clone(),
                    ErrorKind::BadTokenRange { start: token.start, end: token.end },
                )
            })?;
            Ok(TokenRecord { text: token_text, start, end, id, ws: token.ws, kind: token.kind })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(TokenizedDocument { id: &document.id, offsets: unit, tokens })
}
