//! The gazetteer at scale, each engine against the other in the same run.
//!
//! - `build/100k`: building a 100,000-entry gazetteer from its TSV with each
//!   engine (what a start-up without the compiled form would cost); MB/s of TSV.
//! - `compile/100k`: writing the compiled form (`rubric gazetteer compile` after
//!   the build); MB/s of compiled file.
//! - `load/100k`: loading that compiled form (double-array, the automaton is
//!   stored, so nothing is rebuilt); MB/s of compiled file.
//! - `find/article-x-100`: matching the article repeated 100 times (~350 KB)
//!   against the 100k-entry dictionary plus the test fixture's news names, with
//!   each engine; aho-corasick is the baseline.
//!
//! Run: `cargo bench -p rubric-gazetteer --bench scale`. The 1M-entry figures in
//! the README come from `examples/scale.rs` under `/usr/bin/time -v`, since peak
//! memory is what matters there and criterion does not measure it.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rubric_gazetteer::{EngineKind, Gazetteer, GazetteerBuilder, MatcherBuilder};
use rubric_tokenizer::Tokenizer;

#[path = "support/generated.rs"]
mod generated;

const ARTICLE: &str = include_str!("../../../corpus/article.txt");
const NEWS: &str = include_str!("../../../tests/data/gazetteer-news.tsv");
const ENTRIES: usize = 100_000;

fn tsv() -> Vec<u8> {
    let mut tsv = Vec::new();
    generated::generate(ENTRIES, &mut tsv).expect("writing to memory cannot fail");
    tsv.extend_from_slice(NEWS.as_bytes());
    tsv
}

fn build(tsv: &[u8], engine: EngineKind) -> Gazetteer {
    GazetteerBuilder::new()
        .engine(engine)
        .add_tsv_reader("generated.tsv", tsv)
        .expect("the generated TSV parses")
        .build()
        .expect("the generated TSV builds")
}

fn scale(c: &mut Criterion) {
    println!(
        "machine: {} cores; dictionary: {ENTRIES} generated entries + the news fixture",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let tsv = tsv();
    let mut compiled = Vec::new();
    build(&tsv, EngineKind::DoubleArray).write_compiled(&mut compiled).expect("in memory");

    let mut group = c.benchmark_group("build/100k");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(tsv.len() as u64));
    group.bench_function("from TSV, double-array", |b| {
        b.iter(|| build(&tsv, EngineKind::DoubleArray))
    });
    group.bench_function("from TSV, aho-corasick", |b| {
        b.iter(|| build(&tsv, EngineKind::AhoCorasick))
    });
    group.finish();

    let built = build(&tsv, EngineKind::DoubleArray);
    let mut group = c.benchmark_group("compile/100k");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(compiled.len() as u64));
    group.bench_function("write double-array", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(compiled.len());
            built.write_compiled(&mut out).expect("in memory");
            out.len()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("load/100k");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(compiled.len() as u64));
    group.bench_function("compiled double-array", |b| {
        b.iter(|| Gazetteer::from_compiled_bytes(&compiled).expect("loads"))
    });
    group.finish();

    let text = format!("{ARTICLE}\n").repeat(100);
    let tokens = Tokenizer::new().tokenize(&text);
    let mut group = c.benchmark_group("find/article-x-100");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text.len() as u64));
    for (name, engine) in
        [("aho-corasick", EngineKind::AhoCorasick), ("double-array", EngineKind::DoubleArray)]
    {
        let matcher = MatcherBuilder::new().build(vec![Arc::new(build(&tsv, engine))]);
        group.bench_function(name, |b| b.iter(|| matcher.find(&text, &tokens)));
    }
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
