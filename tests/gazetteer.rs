//! The gazetteer against the article and real news, and `rubric gazetteer` as a
//! user runs it.
//!
//! The article test uses a small hand-written news gazetteer
//! (`tests/data/gazetteer-news.tsv`), built here, not the default gazetteer, so the
//! snapshots pin the matcher's behaviour rather than the default data.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use rubric_gazetteer::{
    Gazetteer, GazetteerBuilder, Match, MatchRule, Matcher, MatcherBuilder, OverlapPolicy,
};
use rubric_tokenizer::Tokenizer;
use serde_json::Value;

const ARTICLE: &str = include_str!("../corpus/article.txt");
const NEWS_TSV: &str = "tests/data/gazetteer-news.tsv";

fn news_gazetteer() -> Gazetteer {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(NEWS_TSV);
    let source = std::fs::read_to_string(path).expect("the fixture gazetteer is readable");
    GazetteerBuilder::new()
        .add_tsv_reader(NEWS_TSV, source.as_bytes())
        .expect("the fixture gazetteer parses")
        .build()
        .expect("the fixture gazetteer builds")
}

fn matcher(policy: OverlapPolicy) -> Matcher {
    MatcherBuilder::new().overlaps(policy).build(vec![Arc::new(news_gazetteer())])
}

/// One line per match: byte range, label, id, source, rule, and the text.
fn describe(text: &str, m: &Match) -> String {
    let alias = m
        .alias_of
        .map_or(String::new(), |[start, end]| format!(" (alias of {:?})", &text[start..end]));
    format!(
        "{:>4}..{:<4} {:<7} {:<10} {:<36} {:?}{alias}",
        m.start,
        m.end,
        m.label,
        m.id.as_deref().unwrap_or("-"),
        m.source,
        &text[m.start..m.end],
    )
}

#[test]
fn article_matches() {
    let tokens = Tokenizer::new().tokenize(ARTICLE);
    let matches = matcher(OverlapPolicy::Longest).find(ARTICLE, &tokens);
    let listing: Vec<String> = matches.spans.iter().map(|m| describe(ARTICLE, m)).collect();
    insta::assert_snapshot!(listing.join("\n"));
}

#[test]
fn article_explain_trace() {
    let tokens = Tokenizer::new().tokenize(ARTICLE);
    let matches = matcher(OverlapPolicy::Longest).find(ARTICLE, &tokens);
    let listing: Vec<String> = matches
        .dropped
        .iter()
        .map(|dropped| {
            let winner =
                dropped.winner.as_ref().map_or("-".to_string(), |winner| describe(ARTICLE, winner));
            format!(
                "{}\n      {:?} by {}",
                describe(ARTICLE, &dropped.candidate),
                dropped.reason,
                winner.trim_start()
            )
        })
        .collect();
    insta::assert_snapshot!(listing.join("\n"));
}

#[test]
fn article_explain_trace_serializes() {
    let tokens = Tokenizer::new().tokenize(ARTICLE);
    let matches = matcher(OverlapPolicy::Longest).find(ARTICLE, &tokens);
    let json = serde_json::to_value(&matches.dropped).expect("the trace serializes");
    let first = &json[0];
    assert!(first["candidate"]["start"].is_u64(), "{first}");
    assert!(first["reason"].is_string(), "{first}");
    assert!(first["winner"]["label"].is_string(), "{first}");
}

/// Invariants on real news the matcher was not written for: every span is on
/// token boundaries, in the text, and a dictionary span is its entry's pattern
/// up to case and normalization.
#[test]
fn news_paragraphs_invariants() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/news-paragraphs.jsonl");
    let paragraphs = std::fs::read_to_string(path).expect("news paragraphs are readable");
    let tokenizer = Tokenizer::new();
    let gazetteer = Arc::new(news_gazetteer());
    let patterns: std::collections::HashMap<String, String> = gazetteer
        .entries()
        .map(|entry| (format!("{}:{}", entry.file, entry.line), entry.pattern.to_string()))
        .collect();
    let fold = |text: &str| {
        rubric_gazetteer::normalize::normalize_str(
            text,
            rubric_gazetteer::normalize::Folding { case: true, diacritics: false },
        )
    };
    for policy in [OverlapPolicy::Longest, OverlapPolicy::Priority, OverlapPolicy::All] {
        let matcher = MatcherBuilder::new().overlaps(policy).build(vec![Arc::clone(&gazetteer)]);
        for line in paragraphs.lines() {
            let record: Value = serde_json::from_str(line).expect("each line is JSON");
            let text = record["text"].as_str().expect("text is a string");
            let tokens = tokenizer.tokenize(text);
            let matches = matcher.find(text, &tokens);
            for m in &matches.spans {
                assert!(tokens.iter().any(|t| t.start == m.start), "{m:?} starts a token");
                assert!(tokens.iter().any(|t| t.end == m.end), "{m:?} ends a token");
                if m.rule == MatchRule::Entry {
                    assert_eq!(
                        fold(&text[m.start..m.end]),
                        fold(&patterns[m.source.as_str()]),
                        "{m:?}"
                    );
                }
            }
            if policy != OverlapPolicy::All {
                for pair in matches.spans.windows(2) {
                    assert!(pair[0].end <= pair[1].start, "{pair:?} overlap under {policy}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The command.

fn rubric(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rubric"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the rubric binary runs")
}

fn stdout_records(output: &Output) -> Vec<Value> {
    let stdout = std::str::from_utf8(&output.stdout).expect("stdout is UTF-8");
    stdout.lines().map(|line| serde_json::from_str(line).expect("stdout lines are JSON")).collect()
}

fn ok(dir: &Path, args: &[&str]) -> Vec<Value> {
    let output = rubric(dir, args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "rubric {args:?} failed: {stderr}");
    assert_eq!(stderr, "", "rubric {args:?} wrote to stderr");
    stdout_records(&output)
}

/// Exit code, stdout and stderr of a failing command, for snapshots.
fn failure(output: &Output) -> String {
    format!(
        "exit code: {:?}\nstdout: {:?}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn tempdir_with_sources() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let write = |name: &str, contents: &str| {
        std::fs::write(dir.path().join(name), contents).expect("the test writes its input")
    };
    write(
        "places.tsv",
        "# places\nIran\tGPE\tQ794\nTehran\tGPE\tQ3616\nIran\tGPE\tQ794\nWashington\tGPE\n",
    );
    write(
        "people.jsonl",
        concat!(
            "{\"label\": \"PERSON\", \"pattern\": \"Washington\"}\n",
            "{\"label\": \"PERSON\", \"pattern\": [{\"LOWER\": \"joe\"}, {\"LOWER\": \"biden\"}], \"id\": \"Q6279\"}\n",
        ),
    );
    dir
}

#[test]
fn compile_then_stats_and_match_the_compiled_file() {
    let dir = tempdir_with_sources();
    let compiled =
        ok(dir.path(), &["gazetteer", "compile", "places.tsv", "people.jsonl", "-o", "g.rgz"]);
    assert_eq!(compiled.len(), 1);
    assert_eq!(compiled[0]["entries"], 6);
    assert_eq!(compiled[0]["patterns"], 4);
    assert_eq!(compiled[0]["diagnostics"], 2);

    let stats = ok(dir.path(), &["gazetteer", "stats", "g.rgz"]);
    assert_eq!(stats[0]["entries"], 6);
    assert_eq!(stats[0]["labels"], serde_json::json!({"GPE": 4, "PERSON": 2}));
    assert_eq!(stats[0]["sources"], serde_json::json!(["g.rgz"]));

    // Nothing else is left in the directory: the temporary file was renamed.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("the directory lists")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["g.rgz", "people.jsonl", "places.tsv"]);

    let loaded = Gazetteer::load_compiled(&dir.path().join("g.rgz")).expect("it loads");
    let text = "JOE BIDEN flew to Tehran.";
    let tokens = Tokenizer::new().tokenize(text);
    let found: Vec<&str> = MatcherBuilder::new()
        .build(vec![Arc::new(loaded)])
        .find(text, &tokens)
        .spans
        .iter()
        .map(|m| &text[m.start..m.end])
        .collect();
    assert_eq!(found, ["JOE BIDEN", "Tehran"]);
}

#[test]
fn stats_counts_per_label() {
    let dir = tempdir_with_sources();
    let stats = ok(dir.path(), &["gazetteer", "stats", "places.tsv", "people.jsonl"]);
    insta::assert_snapshot!(serde_json::to_string_pretty(&stats).expect("JSON"));
}

#[test]
fn check_reports_duplicates_and_conflicts() {
    let dir = tempdir_with_sources();
    let records = ok(dir.path(), &["gazetteer", "check", "places.tsv", "people.jsonl"]);
    let messages: Vec<&str> =
        records.iter().map(|r| r["message"].as_str().expect("a message")).collect();
    insta::assert_snapshot!(messages.join("\n"));
}

#[test]
fn stats_of_the_default_gazetteer() {
    let dir = tempdir_with_sources();
    let stats = ok(dir.path(), &["gazetteer", "stats", "--default"]);
    let expected = Gazetteer::embedded_default().expect("the default loads").len();
    assert_eq!(stats[0]["entries"], expected);
    assert_eq!(stats[0]["sources"], serde_json::json!(["corpus/gazetteer/default.tsv"]));
}

#[test]
fn check_of_a_clean_gazetteer_prints_nothing() {
    let dir = tempdir_with_sources();
    std::fs::write(dir.path().join("clean.tsv"), "Iran\tGPE\nIraq\tGPE\n").expect("write");
    assert_eq!(ok(dir.path(), &["gazetteer", "check", "clean.tsv"]), Vec::<Value>::new());
}

#[test]
fn failed_compile_keeps_the_old_file() {
    let dir = tempdir_with_sources();
    ok(dir.path(), &["gazetteer", "compile", "places.tsv", "-o", "g.rgz"]);
    let before = std::fs::read(dir.path().join("g.rgz")).expect("compiled");
    std::fs::write(dir.path().join("bad.tsv"), "Iran\n").expect("write");
    let output = rubric(dir.path(), &["gazetteer", "compile", "bad.tsv", "-o", "g.rgz"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read(dir.path().join("g.rgz")).expect("still there"), before);
}

/// Each case writes `file` with `contents` (or edits a compiled file) and runs
/// `rubric gazetteer stats file`; the message is a snapshot.
#[test]
fn errors() {
    let dir = tempdir_with_sources();
    ok(dir.path(), &["gazetteer", "compile", "places.tsv", "-o", "good.rgz"]);
    let good = std::fs::read(dir.path().join("good.rgz")).expect("compiled");
    let flipped = {
        let mut bytes = good.clone();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        bytes
    };
    let future = {
        let mut bytes = good.clone();
        bytes[8..12].copy_from_slice(&99u32.to_le_bytes());
        bytes
    };
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("compiled_truncated", "cut.rgz", good[..good.len() / 2].to_vec()),
        ("compiled_corrupt", "flipped.rgz", flipped),
        ("compiled_wrong_version", "future.rgz", future),
        ("compiled_not_compiled", "text.rgz", b"Iran\tGPE\n".to_vec()),
        ("tsv_missing_label", "a.tsv", b"Iran\tGPE\nTehran\n".to_vec()),
        ("tsv_bad_priority", "a.tsv", b"Iran\tGPE\tQ794\thigh\n".to_vec()),
        ("tsv_punctuation_pattern", "a.tsv", "Iran\tGPE\n—\tORG\n".as_bytes().to_vec()),
        ("tsv_invalid_utf8", "a.tsv", b"Iran\tGPE\nT\xe9h\xe9ran\tGPE\n".to_vec()),
        (
            "jsonl_unsupported_attribute",
            "p.jsonl",
            b"{\"label\": \"ORG\", \"pattern\": [{\"LOWER\": \"hamas\"}, {\"POS\": \"PROPN\"}]}\n"
                .to_vec(),
        ),
        ("jsonl_malformed", "p.jsonl", b"{\"label\": \"ORG\", \"pattern\": \n".to_vec()),
        ("unknown_extension", "g.csv", b"Iran,GPE\n".to_vec()),
    ];
    for (name, file, contents) in cases {
        std::fs::write(dir.path().join(file), contents).expect("write");
        let output = rubric(dir.path(), &["gazetteer", "stats", file]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        insta::assert_snapshot!(format!("gazetteer_error_{name}"), failure(&output));
    }
    let output =
        rubric(dir.path(), &["gazetteer", "stats", "--labels", "ORG,PERSON", "places.tsv"]);
    insta::assert_snapshot!("gazetteer_error_unknown_label", failure(&output));
    let output = rubric(dir.path(), &["gazetteer", "stats", "missing.tsv"]);
    insta::assert_snapshot!("gazetteer_error_missing_file", failure(&output));
}

/// A real EntityRuler file mixing phrase and token patterns (issue 19) runs as
/// written with `rubric annotate -g`, each span naming its pattern; a lexicon
/// file next to it is found relative to the patterns file.
#[test]
fn entity_ruler_file_with_token_patterns_runs_unchanged() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let write = |name: &str, contents: &str| {
        std::fs::write(dir.path().join(name), contents).expect("the test writes its input")
    };
    std::fs::create_dir(dir.path().join("rules")).expect("a directory");
    write("rules/titles.txt", "# titles, lower case\nmr\nmr.\nmrs\n");
    write(
        "rules/ruler.jsonl",
        concat!(
            "{\"label\": \"GPE\", \"pattern\": \"Tehran\", \"id\": \"Q3616\"}\n",
            "{\"label\": \"ORG\", \"pattern\": [{\"LOWER\": \"islamic\"}, {\"LOWER\": \"state\"}]}\n",
            "{\"label\": \"PERSON\", \"pattern\": [{\"LOWER\": \"president\"}, {\"IS_TITLE\": true, \"OP\": \"+\"}]}\n",
            "{\"label\": \"QUANTITY\", \"pattern\": [{\"LIKE_NUM\": true}, {\"LOWER\": {\"IN\": [\"km\", \"miles\"]}}]}\n",
            "{\"label\": \"ORG\", \"id\": \"acronym\", \"pattern\": [{\"TEXT\": {\"REGEX\": \"^[A-Z]{2,5}$\"}, \"LENGTH\": {\">=\": 3}}]}\n",
            "{\"lexicon\": \"titles\", \"path\": \"titles.txt\"}\n",
            "{\"label\": \"PERSON\", \"name\": \"titled\", \"pattern\": [{\"LOWER\": {\"IN_LEXICON\": \"titles\"}, \"IN_SPAN\": false}, {\"IS_TITLE\": true, \"OP\": \"+\"}]}\n",
        ),
    );
    write(
        "docs.jsonl",
        "{\"id\": \"d1\", \"text\": \"President Pezeshkian met Mr. Ali Larijani 12 km from Tehran; the IRGC and Islamic State denied it.\"}\n",
    );
    let records = ok(
        dir.path(),
        &[
            "annotate",
            "-q",
            "--no-default-gazetteer",
            "--no-aliases",
            "-g",
            "rules/ruler.jsonl",
            "docs.jsonl",
        ],
    );
    let spans: Vec<String> = records[0]["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .map(|s| {
            format!("{} {} {}", s["text"].as_str().unwrap_or_default(), s["label"], s["source"])
        })
        .collect();
    let rules = "rules/ruler.jsonl";
    assert_eq!(
        spans,
        [
            format!("President Pezeshkian \"PERSON\" \"{rules}:3\""),
            format!("Ali Larijani \"PERSON\" \"{rules}:7#titled\""),
            format!("12 km \"QUANTITY\" \"{rules}:4\""),
            format!("Tehran \"GPE\" \"{rules}:1\""),
            format!("IRGC \"ORG\" \"{rules}:5\""),
            format!("Islamic State \"ORG\" \"{rules}:2\""),
        ]
    );
    // Compiled, the same file gives the same spans.
    ok(dir.path(), &["gazetteer", "compile", "rules/ruler.jsonl", "-o", "ruler.rgz"]);
    let compiled = ok(
        dir.path(),
        &[
            "annotate",
            "-q",
            "--no-default-gazetteer",
            "--no-aliases",
            "-g",
            "ruler.rgz",
            "docs.jsonl",
        ],
    );
    assert_eq!(compiled[0]["spans"], records[0]["spans"]);
    let stats = ok(dir.path(), &["gazetteer", "stats", "ruler.rgz"]);
    assert_eq!(
        (stats[0]["entries"].as_u64(), stats[0]["token_patterns"].as_u64()),
        (Some(2), Some(4))
    );
    assert_eq!(stats[0]["lexicons"], 1);
}

/// `rubric gazetteer check` reports a pattern naming a lexicon nobody loaded,
/// at the pattern's line.
#[test]
fn check_reports_an_unknown_lexicon() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        dir.path().join("p.jsonl"),
        "{\"label\": \"PERSON\", \"pattern\": [{\"ORTH\": {\"IN_LEXICON\": \"first_names\"}}, {\"IS_TITLE\": true}]}\n",
    )
    .expect("write");
    let output = rubric(dir.path(), &["gazetteer", "check", "p.jsonl"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "p.jsonl:1: the pattern names lexicon \"first_names\", which no source declares"
        ),
        "{stderr}"
    );
}
