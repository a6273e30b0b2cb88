//! Cost of the lexical attributes per token, on the tokens of the article in `corpus/`
//! (rubric's tokenizer), against Rust's own `char`/`str` methods measured in the same
//! run: what exactness (Python's definitions, from tables) costs over the closest
//! std approximation.
//!
//! Run: `cargo bench -p rubric-lexeme --bench attributes`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rubric_lexeme as lexeme;
use rubric_tokenizer::Tokenizer;

const ARTICLE: &str = include_str!("../../../corpus/article.txt");

/// Every boolean attribute, as a Matcher token pattern testing them all would.
fn all_flags(text: &str) -> u32 {
    lexeme::Flag::ALL.iter().map(|flag| u32::from(flag.test(text))).sum()
}

/// The baseline: std's nearest answers to the character-class flags (not spaCy's).
fn std_flags(text: &str) -> u32 {
    let flags = [
        text.chars().all(char::is_alphabetic),
        text.is_ascii(),
        text.chars().all(char::is_numeric),
        text.chars().all(|c| !c.is_uppercase()),
        text.chars().all(|c| !c.is_lowercase()),
        text.chars().next().is_some_and(char::is_uppercase),
        text.chars().all(|c| c.is_ascii_punctuation()),
        text.chars().all(char::is_whitespace),
    ];
    flags.iter().map(|&f| u32::from(f)).sum()
}

fn attributes(c: &mut Criterion) {
    let tokens = Tokenizer::new().tokenize(ARTICLE);
    let texts: Vec<&str> = tokens.iter().map(|t| t.text(ARTICLE)).collect();
    println!(
        "machine: {} cores; input: {} tokens of corpus/article.txt ({} bytes)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        texts.len(),
        ARTICLE.len()
    );
    let mut group = c.benchmark_group("lexeme");
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function("std-8-flags (baseline)", |b| {
        b.iter(|| texts.iter().map(|t| std_flags(black_box(t))).sum::<u32>())
    });
    group.bench_function("all-17-flags", |b| {
        b.iter(|| texts.iter().map(|t| all_flags(black_box(t))).sum::<u32>())
    });
    group.bench_function("std-to_lowercase (baseline)", |b| {
        b.iter(|| texts.iter().map(|t| black_box(t).to_lowercase().len()).sum::<usize>())
    });
    group.bench_function("lower", |b| {
        b.iter(|| texts.iter().map(|t| lexeme::lower(black_box(t)).len()).sum::<usize>())
    });
    group.bench_function("norm", |b| {
        b.iter(|| texts.iter().map(|t| lexeme::norm(black_box(t)).len()).sum::<usize>())
    });
    group.bench_function("shape", |b| {
        b.iter(|| texts.iter().map(|t| lexeme::shape(black_box(t)).len()).sum::<usize>())
    });
    group.finish();

    // Each flag alone, to see where the time of all-17-flags goes.
    let mut group = c.benchmark_group("lexeme-flag");
    group.throughput(Throughput::Elements(texts.len() as u64));
    for flag in lexeme::Flag::ALL {
        group.bench_function(flag.name(), |b| {
            b.iter(|| texts.iter().filter(|t| flag.test(black_box(t))).count())
        });
    }
    group.finish();
}

criterion_group!(benches, attributes);
criterion_main!(benches);
