//! Prints every lexical attribute of each input string, for the interop test
//! (`tests/interop/test_lexeme_spacy.py`) to compare with spaCy.
//!
//! Input: one JSON string per line on stdin (so a text may hold a line break).
//! Output: one JSON object per line, keyed by spaCy's attribute names (`lower_`,
//! `is_alpha`, ...), in the input's order.
//!
//! With `--exceptions`, prints the English tokenizer exceptions instead, one JSON
//! object per line: `{"text": "don't", "pieces": [["do", "do"], ["n't", "not"]]}`
//! (each piece's text and its token's NORM).
//!
//! ```sh
//! printf '"Iran"\n"²"\n' | cargo run -q -p rubric-lexeme --example lexeme_json
//! ```

use std::io::{self, BufRead, BufWriter, Write};

use rubric_lexeme as lexeme;
use serde_json::{json, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = BufWriter::new(io::stdout().lock());
    if std::env::args().nth(1).as_deref() == Some("--exceptions") {
        for (text, pieces) in lexeme::tokenizer_exceptions() {
            let pieces: Vec<Value> =
                pieces.iter().map(|p| json!([p.orth, p.token_norm()])).collect();
            serde_json::to_writer(&mut out, &json!({"text": text, "pieces": pieces}))?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        return Ok(());
    }
    let stdin = io::stdin().lock();
    for (number, line) in stdin.lines().enumerate() {
        let line = line?;
        let text: String = serde_json::from_str(&line).map_err(|e| {
            format!("stdin:{}: not a JSON string ({e}); give one per line", number + 1)
        })?;
        let mut attributes = json!({
            "lower_": lexeme::lower(&text),
            "norm_": lexeme::norm(&text),
            "shape_": lexeme::shape(&text),
            "prefix_": lexeme::prefix(&text),
            "suffix_": lexeme::suffix(&text),
            "length": lexeme::length(&text),
        });
        let flags = lexeme::FlagSet::of(&text);
        for flag in lexeme::Flag::ALL {
            // Both ways, so the interop test checks FlagSet and each function.
            let (alone, in_set) = (flag.test(&text), flags.contains(flag));
            if alone != in_set {
                return Err(
                    format!("{flag} of {text:?}: {alone} alone, {in_set} in FlagSet::of").into()
                );
            }
            attributes[flag.name().to_ascii_lowercase()] = Value::Bool(alone);
        }
        serde_json::to_writer(&mut out, &attributes)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
