//! Exporter throughput on news: the article (with its ~80 entity spans) as 1,000
//! records, written as JSON Lines with code point offsets, read back with every
//! check, and written as CoNLL and as a spaCy DocBin.
//!
//! The baseline, measured in the same run: serde_json writing the same records with
//! byte offsets and no conversion (`baseline/serde-bytes`). Its ratio to
//! `jsonl/write-char` is the cost of converting offsets at the edge.
//!
//! Run: `cargo bench -p rubric-exporter --bench export`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rubric_exporter::{
    ConllWriter, DocBinWriter, Misaligned, Record, RecordReader, RecordWriter, Scheme, SpanInput,
};
use rubric_offsets::OffsetUnit;
use rubric_tokenizer::Tokenizer;
use serde::Serialize;

const ARTICLE: &str = include_str!("../../../corpus/article.txt");
const DOCUMENTS: usize = 1_000;
/// Capitalized words of the article as stand-in spans: roughly the density of a
/// gazetteer's matches on news.
fn article_record(tokenizer: &Tokenizer) -> Record {
    let tokens = tokenizer.tokenize(ARTICLE);
    let spans = tokens
        .iter()
        .filter(|t| t.text(ARTICLE).starts_with(char::is_uppercase))
        .map(|t| SpanInput::new(t.start, t.end, "ENT").source("bench"))
        .collect();
    Record::new("article", ARTICLE, &tokens, spans).expect("the article's record is valid")
}

#[derive(Serialize)]
struct PlainToken<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    id: usize,
    ws: bool,
}

#[derive(Serialize)]
struct PlainSpan<'a> {
    start: usize,
    end: usize,
    token_start: usize,
    token_end: usize,
    label: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct Plain<'a> {
    id: &'a str,
    text: &'a str,
    tokens: Vec<PlainToken<'a>>,
    spans: Vec<PlainSpan<'a>>,
}

fn plain(record: &Record) -> Plain<'_> {
    let text = record.text();
    Plain {
        id: record.id(),
        text,
        tokens: record
            .tokens()
            .iter()
            .enumerate()
            .map(|(id, t)| PlainToken {
                text: t.text(text),
                start: t.start,
                end: t.end,
                id,
                ws: t.ws,
            })
            .collect(),
        spans: record
            .spans()
            .iter()
            .map(|s| PlainSpan {
                start: s.start,
                end: s.end,
                token_start: s.token_start,
                token_end: s.token_end,
                label: &s.label,
                text: record.span_text(s),
            })
            .collect(),
    }
}

fn export(c: &mut Criterion) {
    let tokenizer = Tokenizer::new();
    let record = article_record(&tokenizer);
    let mut writer = RecordWriter::new(Vec::new());
    for _ in 0..DOCUMENTS {
        writer.write(&record).expect("writes");
    }
    let jsonl = writer.finish().expect("flushes");
    println!(
        "input: {DOCUMENTS} records of {} bytes of text, {} tokens, {} spans; {} bytes of JSONL",
        ARTICLE.len(),
        record.tokens().len(),
        record.spans().len(),
        jsonl.len()
    );

    let mut group = c.benchmark_group("exporter");
    group.sample_size(10);
    group.throughput(Throughput::Bytes((ARTICLE.len() * DOCUMENTS) as u64));
    group.bench_function("baseline/serde-bytes", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(jsonl.len());
            for _ in 0..DOCUMENTS {
                serde_json::to_writer(&mut out, &plain(&record)).expect("serializes");
                out.push(b'\n');
            }
            out
        })
    });
    group.bench_function("jsonl/write-char", |b| {
        b.iter(|| {
            let mut writer =
                RecordWriter::with_unit(Vec::with_capacity(jsonl.len()), OffsetUnit::Char);
            for _ in 0..DOCUMENTS {
                writer.write(&record).expect("writes");
            }
            writer.finish().expect("flushes")
        })
    });
    group.bench_function("jsonl/read-char", |b| {
        b.iter(|| RecordReader::new("bench", jsonl.as_slice()).count())
    });
    group.bench_function("conll/write-iob2", |b| {
        b.iter(|| {
            let mut writer = ConllWriter::new(Vec::new(), Scheme::Iob2, Misaligned::Error);
            for _ in 0..DOCUMENTS {
                writer.write(&record).expect("writes");
            }
            writer.finish().expect("flushes")
        })
    });
    group.bench_function("spacy/write-docbin", |b| {
        b.iter(|| {
            let mut writer = DocBinWriter::new(Misaligned::Error);
            for _ in 0..DOCUMENTS {
                writer.write(&record).expect("writes");
            }
            writer.to_bytes().expect("encodes")
        })
    });
    group.finish();
}

criterion_group!(benches, export);
criterion_main!(benches);
