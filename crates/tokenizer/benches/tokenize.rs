//! Tokenizer throughput on news text: the article in `corpus/` repeated to ~10 MB
//! (the size the foundation issue names), in both modes (news, the default, and
//! spaCy's rules), and the same for sentence splitting.
//!
//! Run: `cargo bench -p rubric-tokenizer --bench tokenize`. For the ratio to spaCy
//! measured in the same run, use `scripts/bench-tokenizer`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rubric_tokenizer::{Tokenizer, TokenizerBuilder};

const ARTICLE: &str = include_str!("../../../corpus/article.txt");

/// The article repeated, one copy per line, to at least `bytes` bytes.
fn news_text(bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + ARTICLE.len() + 1);
    while text.len() < bytes {
        text.push_str(ARTICLE);
        text.push('\n');
    }
    text
}

fn tokenize(c: &mut Criterion) {
    let text = news_text(10 * 1024 * 1024);
    let tokenizer = Tokenizer::new();
    let mut group = c.benchmark_group("tokenizer");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("tokenize/article-x-10MB", |b| b.iter(|| tokenizer.tokenize(&text)));
    let spacy = TokenizerBuilder::spacy().build();
    group.bench_function("tokenize-spacy/article-x-10MB", |b| b.iter(|| spacy.tokenize(&text)));
    let tokens = tokenizer.tokenize(&text);
    group.bench_function("sentences/article-x-10MB", |b| {
        b.iter(|| tokenizer.sentences(&text, &tokens))
    });
    group.finish();
}

criterion_group!(benches, tokenize);
criterion_main!(benches);
