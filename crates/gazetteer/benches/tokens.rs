//! Token patterns at scale, against phrase matching in the same run.
//!
//! - `tokens/load-10k`: loading a compiled gazetteer of 10,000 token patterns
//!   (target: < 0.5 s); the patterns are parsed again on load, regexes compile
//!   on first use.
//! - `tokens/find`: the article repeated 10 times (~350 KB, tokens given) with
//!   the news fixture's phrases alone (the baseline), then with 1,000 and with
//!   10,000 mixed token patterns added: the scan must not slow down with the
//!   number of patterns that cannot start at a token.
//!
//! Run: `cargo bench -p rubric-gazetteer --bench tokens`.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rubric_gazetteer::{Gazetteer, GazetteerBuilder, MatcherBuilder};
use rubric_tokenizer::Tokenizer;

const ARTICLE: &str = include_str!("../../../corpus/article.txt");
const NEWS: &str = include_str!("../../../tests/data/gazetteer-news.tsv");

/// `count` mixed token patterns (seeded): a literal first token from the
/// article's words followed by attribute tests and operators, with one in ten
/// starting with an unindexable token (`IS_TITLE`, `LIKE_NUM`, `SHAPE` regex).
pub fn token_patterns(count: usize) -> String {
    let mut words: Vec<&str> =
        ARTICLE.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2).collect();
    words.sort_unstable();
    words.dedup();
    let mut state: u64 = 19;
    let mut next = |n: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    let mut out = String::new();
    for number in 0..count {
        let word = words[next(words.len())];
        let first = match next(10) {
            0 => match next(3) {
                0 => r#"{"IS_TITLE": true}"#.to_string(),
                1 => r#"{"LIKE_NUM": true}"#.to_string(),
                _ => r#"{"TEXT": {"REGEX": "^[A-Z]{3,}$"}, "LENGTH": {">": 3}}"#.to_string(),
            },
            1..=4 => format!(r#"{{"LOWER": "{}"}}"#, word.to_lowercase()),
            5..=7 => format!(r#"{{"ORTH": "{word}"}}"#),
            _ => format!(
                r#"{{"LOWER": {{"IN": ["{}", "{}"]}}}}"#,
                word.to_lowercase(),
                words[next(words.len())].to_lowercase()
            ),
        };
        let rest = match next(5) {
            0 => r#", {"IS_TITLE": true, "OP": "+"}"#.to_string(),
            1 => r#", {"IS_PUNCT": true, "OP": "?"}, {"LIKE_NUM": true}"#.to_string(),
            2 => format!(
                r#", {{"LOWER": {{"FUZZY": "{}"}}}}"#,
                words[next(words.len())].to_lowercase()
            ),
            3 => r#", {"IS_STOP": true, "OP": "*"}, {"SHAPE": "Xxxxx"}"#.to_string(),
            _ => r#", {"LENGTH": {">=": 2, "<=": 6}, "OP": "{1,3}"}"#.to_string(),
        };
        out.push_str(&format!(
            "{{\"label\": \"L{}\", \"id\": \"p{number}\", \"pattern\": [{first}{rest}]}}\n",
            number % 7
        ));
    }
    out
}

fn build(patterns: &str) -> Gazetteer {
    GazetteerBuilder::new()
        .add_tsv_reader("news.tsv", NEWS.as_bytes())
        .and_then(|b| b.add_patterns_reader("generated.jsonl", patterns.as_bytes()))
        .and_then(|b| b.build())
        .expect("the generated patterns build")
}

fn tokens(c: &mut Criterion) {
    println!("machine: {} cores", std::thread::available_parallelism().map_or(1, usize::from));
    let ten_thousand = build(&token_patterns(10_000));
    let mut compiled = Vec::new();
    ten_thousand.write_compiled(&mut compiled).expect("in memory");
    let mut group = c.benchmark_group("tokens/load-10k");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(compiled.len() as u64));
    group.bench_function("load compiled", |b| {
        b.iter(|| Gazetteer::from_compiled_bytes(&compiled).expect("loads"))
    });
    group.finish();

    let text = ARTICLE.repeat(10);
    let text_tokens = Tokenizer::new().tokenize(&text);
    let mut group = c.benchmark_group("tokens/find");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text.len() as u64));
    for (name, patterns) in
        [("phrases only", 0), ("+1,000 token patterns", 1_000), ("+10,000 token patterns", 10_000)]
    {
        let gazetteer = Arc::new(build(&token_patterns(patterns)));
        let matcher = MatcherBuilder::new().build(vec![gazetteer]);
        group.bench_function(name, |b| b.iter(|| matcher.find(&text, &text_tokens)));
    }
    group.finish();
}

criterion_group!(benches, tokens);
criterion_main!(benches);
