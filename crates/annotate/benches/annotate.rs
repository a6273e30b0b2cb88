//! `rubric annotate`'s work on one document, stage by stage, without I/O: the
//! article with the embedded default gazetteer (52k entries), each stage
//! including the ones before it, so the differences are what each stage costs.
//!
//! - `tokenize`: the tokenizer alone;
//! - `match`: tokenize and find (normalization, the automaton scan, case
//!   policies, overlaps, aliases);
//! - `record`: and build the exporter's checked record;
//! - `jsonl`: and write it as a JSON Lines line with code point offsets, which
//!   is what the command does per document before the bytes reach the file.
//!
//! Throughput is bytes of text. Run: `cargo bench -p rubric-annotate --bench annotate`.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rubric_annotate::annotate;
use rubric_gazetteer::{Gazetteer, MatcherBuilder};
use rubric_offsets::OffsetUnit;
use rubric_tokenizer::Tokenizer;

const ARTICLE: &str = include_str!("../../../corpus/article.txt");

fn stages(c: &mut Criterion) {
    let gazetteer = Gazetteer::embedded_default().expect("the embedded gazetteer loads");
    let matcher = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]);
    let tokenizer = Tokenizer::new();
    let mut group = c.benchmark_group("annotate/article");
    group.throughput(Throughput::Bytes(ARTICLE.len() as u64));
    group.bench_function("tokenize", |b| b.iter(|| tokenizer.tokenize(ARTICLE)));
    group.bench_function("match", |b| {
        b.iter(|| matcher.find(ARTICLE, &tokenizer.tokenize(ARTICLE)))
    });
    group.bench_function("record", |b| {
        b.iter(|| annotate("article", ARTICLE, &tokenizer, &matcher, None).expect("annotates"))
    });
    let mut line = Vec::new();
    group.bench_function("jsonl", |b| {
        b.iter(|| {
            let annotated =
                annotate("article", ARTICLE, &tokenizer, &matcher, None).expect("annotates");
            line.clear();
            annotated.record.write_json_line(OffsetUnit::Char, &mut line).expect("writes");
            line.len()
        })
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
