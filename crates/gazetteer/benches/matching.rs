//! The matching stage against the bare Aho-Corasick scan, on the same text in the
//! same run (issue 22's target: the stage alone ≥ 1.5× the bare scan).
//!
//! Dictionary: 100,000 generated names plus the news fixture's entries; text: the
//! article repeated 100 times (~350 KB), tokens computed once beforehand.
//!
//! - `bare scan`: `aho-corasick` leftmost-longest, ASCII-case-insensitive, with a
//!   word-boundary check on each match, as `examples/bare_scan.rs` (the limit
//!   `bench/run.sh` measures rubric against); the baseline.
//! - `walk`: rubric's index walked from every token start of the normalized text
//!   (the normalized text and its token starts given): the stage alone.
//! - `daachorse scan`: the stage as it was before the walk (compiled format 2):
//!   daachorse's overlapping scan of the same normalized text over the same
//!   normalized keys, keeping what begins at a token start.
//! - `candidates`: `Matcher::candidates`, tokens given: normalizing the text,
//!   the walk, mapping back to the original and the case policy.
//! - `find`: `Matcher::find`, tokens given: the above, overlaps and aliases.
//!
//! Run: `cargo bench -p rubric-gazetteer --bench matching`.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use daachorse::DoubleArrayAhoCorasick;
use rubric_gazetteer::normalize::{normalize_pattern, Folding};
use rubric_gazetteer::{GazetteerBuilder, MatcherBuilder};
use rubric_tokenizer::Tokenizer;

#[path = "support/generated.rs"]
mod generated;

const ARTICLE: &str = include_str!("../../../corpus/article.txt");
const NEWS: &str = include_str!("../../../tests/data/gazetteer-news.tsv");
const ENTRIES: usize = 100_000;

fn matching(c: &mut Criterion) {
    let mut tsv = Vec::new();
    generated::generate(ENTRIES, &mut tsv).expect("writing to memory cannot fail");
    tsv.extend_from_slice(NEWS.as_bytes());
    let gazetteer = GazetteerBuilder::new()
        .add_tsv_reader("generated.tsv", &tsv[..])
        .expect("the generated TSV parses")
        .build()
        .expect("the generated TSV builds");
    let matcher = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]);
    let patterns: Vec<&str> = std::str::from_utf8(&tsv)
        .expect("generated as UTF-8")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split('\t').next())
        .collect();
    let bare = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .ascii_case_insensitive(true)
        .build(&patterns)
        .expect("the patterns build");

    let mut keys: Vec<String> = patterns
        .iter()
        .map(|pattern| normalize_pattern(pattern, Folding { case: true, diacritics: false }))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let before = DoubleArrayAhoCorasick::<u32>::new(&keys).expect("the keys build");

    let text = ARTICLE.repeat(100);
    let tokens = Tokenizer::new().tokenize(&text);
    let (normalized, starts) = matcher.normalized_for_bench(&text, &tokens);
    println!(
        "machine: {} cores; {} patterns; text {} bytes, {} tokens",
        std::thread::available_parallelism().map_or(1, usize::from),
        patterns.len(),
        text.len(),
        tokens.len()
    );

    let mut group = c.benchmark_group("matching/article-x-100");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("bare scan", |b| {
        b.iter(|| {
            bare.find_iter(&text)
                .filter(|found| on_word_boundaries(&text, found.start(), found.end()))
                .count()
        })
    });
    group.bench_function("walk", |b| b.iter(|| matcher.walk_for_bench(&normalized, &starts)));
    group.bench_function("daachorse scan", |b| {
        b.iter(|| {
            before
                .find_overlapping_iter(&normalized)
                .filter(|found| starts.binary_search(&found.start()).is_ok())
                .count()
        })
    });
    group.bench_function("candidates", |b| b.iter(|| matcher.candidates(&text, &tokens).len()));
    group.bench_function("find", |b| b.iter(|| matcher.find(&text, &tokens).spans.len()));
    group.finish();
}

/// No letter or digit right before `start` or right at `end` (as the bare scan).
fn on_word_boundaries(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

criterion_group!(benches, matching);
criterion_main!(benches);
