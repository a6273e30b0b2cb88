//! The article's tokens and sentences, as snapshots reviewed by eye.

use rubric_tokenizer::Tokenizer;

const ARTICLE: &str = include_str!("../corpus/article.txt");

/// One line per token: byte range, kind, `+ws` when a space follows, and the text
/// (escaped, so whitespace tokens are visible).
fn token_listing(text: &str) -> String {
    Tokenizer::new()
        .tokenize(text)
        .iter()
        .map(|t| {
            let ws = if t.ws { "+ws" } else { "" };
            format!(
                "{:>4}..{:<4} {:<11} {:<3} {:?}\n",
                t.start,
                t.end,
                t.kind.as_str(),
                ws,
                t.text(text)
            )
        })
        .collect()
}

#[test]
fn article_tokens() {
    insta::assert_snapshot!(token_listing(ARTICLE));
}

#[test]
fn article_sentences() {
    let tokenizer = Tokenizer::new();
    let tokens = tokenizer.tokenize(ARTICLE);
    let listing: String = tokenizer
        .sentences(ARTICLE, &tokens)
        .iter()
        .map(|s| {
            let start = tokens[s.token_start].start;
            let end = tokens[s.token_end - 1].end;
            format!("{:?}\n", &ARTICLE[start..end])
        })
        .collect();
    insta::assert_snapshot!(listing);
}

#[test]
fn article_tokens_rebuild_the_article() {
    let tokens = Tokenizer::new().tokenize(ARTICLE);
    let rebuilt: String = tokens.iter().map(|t| &ARTICLE[t.start..t.end_with_ws()]).collect();
    assert_eq!(rebuilt, ARTICLE);
}

#[test]
fn corpus_article_is_the_unedited_copy() {
    // The snapshots pin byte offsets into this file; an edit would silently move them.
    use sha2::Digest;
    use std::fmt::Write;
    let digest = sha2::Sha256::digest(ARTICLE.as_bytes());
    let hex = digest.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    assert_eq!(hex, "254ed9ed3dce8777d85638effe26eb543243eb04fdf2ce5f4896e27a95a02c58");
}
