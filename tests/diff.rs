//! `rubric diff` on the article: gold is the article annotated from a list of entity
//! strings (every whole-word occurrence), the prediction a deliberately perturbed
//! copy (one span dropped, one relabelled, one boundary shifted, one spurious span
//! added). The reports are snapshots, the JSON is validated against
//! `schemas/diff.schema.json`, and the exit codes are checked.

// Test inputs are the test's own: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use rubric_exporter::{Record, RecordWriter, SpanInput};
use rubric_tokenizer::Tokenizer;
use serde_json::Value;

const ARTICLE: &str = include_str!("../corpus/article.txt");

/// The test's gazetteer: entity strings and labels. Nested on purpose: "Iraqi"
/// inside "Coordination Committee of the Iraqi Resistance".
const ENTITIES: &[(&str, &str)] = &[
    ("Iraqi", "NORP"),
    ("Iranian", "NORP"),
    ("American", "NORP"),
    ("Iraq", "GPE"),
    ("Iran", "GPE"),
    ("US", "GPE"),
    ("Israel", "GPE"),
    ("Tehran", "GPE"),
    ("Washington", "GPE"),
    ("ERBIL", "GPE"),
    ("Kurdistan Region", "GPE"),
    ("Joe Biden", "PERSON"),
    ("Hassan Nasrallah", "PERSON"),
    ("Ismail Haniyeh", "PERSON"),
    ("Hezbollah", "ORG"),
    ("Hamas", "ORG"),
    ("Islamic Revolutionary Guard Corps", "ORG"),
    ("IRGC", "ORG"),
    ("Coordination Committee of the Iraqi Resistance", "ORG"),
];

/// Every whole-word occurrence of each entity string (not followed or preceded by a
/// letter or digit), with the entry's line in the list as its source.
fn gold_spans(text: &str) -> Vec<SpanInput> {
    let mut spans = Vec::new();
    for (line, (entity, label)) in ENTITIES.iter().enumerate() {
        for (start, _) in text.match_indices(entity) {
            let end = start + entity.len();
            let before = text[..start].chars().next_back();
            let after = text[end..].chars().next();
            if before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphanumeric)
            {
                continue;
            }
            spans.push(SpanInput::new(start, end, *label).source(format!("entities:{}", line + 1)));
        }
    }
    spans
}

fn span_input(record: &Record, index: usize) -> SpanInput {
    let span = &record.spans()[index];
    let mut input = SpanInput::new(span.start, span.end, span.label.clone());
    input.source = span.source.clone();
    input
}

/// The first span of `record` whose text is `text`.
fn find(record: &Record, text: &str) -> usize {
    record.spans().iter().position(|span| record.span_text(span) == text).unwrap()
}

/// Gold and the perturbed prediction.
fn article_records() -> (Record, Record) {
    let tokenizer = Tokenizer::new();
    let gold = Record::tokenize("article", ARTICLE, &tokenizer, gold_spans(ARTICLE)).unwrap();
    let dropped = find(&gold, "Joe Biden");
    let relabelled = find(&gold, "Hamas");
    let shifted = find(&gold, "Kurdistan Region");
    let mut spans = Vec::new();
    for index in 0..gold.spans().len() {
        let mut span = span_input(&gold, index);
        if index == dropped {
            continue;
        }
        if index == relabelled {
            span.label = "PERSON".into();
        }
        if index == shifted {
            span.end -= " Region".len();
        }
        spans.push(span);
    }
    // Away from every gold span: nervaluate's greedy matching would otherwise pair
    // it with an overlapping gold span and shift the blame down the line.
    let spurious = ARTICLE.find("Tuesday").unwrap();
    spans.push(
        SpanInput::new(spurious, spurious + "Tuesday".len(), "DATE").source("entities:spurious"),
    );
    let prediction = Record::tokenize("article", ARTICLE, &tokenizer, spans).unwrap();
    (gold, prediction)
}

fn write_records(path: &Path, records: &[&Record]) {
    let mut writer = RecordWriter::new(Vec::new());
    for record in records {
        writer.write(record).unwrap();
    }
    std::fs::write(path, writer.finish().unwrap()).unwrap();
}

/// A temporary directory with `gold.jsonl` and `pred.jsonl` for the article.
fn article_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (gold, prediction) = article_records();
    write_records(&dir.path().join("gold.jsonl"), &[&gold]);
    write_records(&dir.path().join("pred.jsonl"), &[&prediction]);
    dir
}

fn rubric(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rubric")).current_dir(dir).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn validate(instance: &Value) {
    let schema: Value = serde_json::from_str(include_str!("../schemas/diff.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "diff.schema.json rejects the report: {errors:#?}");
}

#[test]
fn the_perturbations_are_what_the_test_says() {
    let (gold, prediction) = article_records();
    // Dropped one, added one: as many spans on each side.
    assert_eq!(gold.spans().len(), prediction.spans().len());
    assert!(gold.spans().len() > 40, "the gazetteer finds the article's entities");
}

#[test]
fn article_text_report() {
    let dir = article_dir();
    let output = rubric(dir.path(), &["diff", "gold.jsonl", "pred.jsonl", "--by-source"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = stdout(&output);
    assert!(!report.contains('\x1b'), "no colour when stdout is not a terminal");
    insta::assert_snapshot!("article_text_report", report);
}

#[test]
fn article_text_report_in_colour() {
    let dir = article_dir();
    let output = rubric(dir.path(), &["diff", "gold.jsonl", "pred.jsonl", "--color", "always"]);
    assert!(stdout(&output).contains("\x1b[31m-\x1b[0m"), "missed is marked in red");
}

#[test]
fn article_json_report() {
    let dir = article_dir();
    let output = rubric(dir.path(), &["diff", "gold.jsonl", "pred.jsonl", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    validate(&report);
    // The four perturbations, one disagreement each, each of its own kind.
    let kinds: Vec<&str> = report["documents"][0]["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    let mut sorted = kinds.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["missed", "spurious", "wrong_boundary", "wrong_label"]);
    // The sources of the spurious and the relabelled span top the provenance list.
    let top: Vec<&str> = report["sources"].as_array().unwrap()[..2]
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(top, ["entities:16", "entities:spurious"]);
    assert_eq!(
        report["sources"][2]["wrong_label"].as_u64().unwrap()
            + report["sources"][2]["spurious"].as_u64().unwrap(),
        0
    );
    insta::assert_json_snapshot!("article_json_report", report);
}

#[test]
fn article_html_report_is_one_self_contained_file() {
    let dir = article_dir();
    let output = rubric(
        dir.path(),
        &["diff", "gold.jsonl", "pred.jsonl", "--format", "html", "-o", "report.html"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in ["http://", "https://", "src=", "@import"] {
        assert!(!html.contains(external), "the page loads nothing ({external})");
    }
    assert_eq!(html.matches("class=\"side gold\"").count(), 1);
    assert_eq!(html.matches("class=\"side prediction\"").count(), 1);
    assert!(html.contains("data-filter=\"label\" value=\"PERSON\""));
    assert!(html.contains("data-filter=\"kind\" value=\"wrong_boundary\""));
}

#[test]
fn a_diff_of_identical_inputs_is_perfect() {
    let dir = article_dir();
    let output = rubric(
        dir.path(),
        &["diff", "gold.jsonl", "gold.jsonl", "--format", "json", "--fail-under", "1", "--kappa"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    for schema in ["strict", "exact", "partial", "type"] {
        assert_eq!(report["overall"][schema]["f1"], 1.0, "{schema}");
    }
    assert_eq!(report["documents"][0]["disagreements"], Value::Array(vec![]));
    assert_eq!(report["kappa"], 1.0);
    validate(&report);
}

#[test]
fn fail_under_exits_1_below_the_threshold_and_0_at_or_above() {
    let dir = article_dir();
    let json = rubric(dir.path(), &["diff", "gold.jsonl", "pred.jsonl", "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout(&json)).unwrap();
    let f1 = report["overall"]["type"]["f1"].as_f64().unwrap();
    let above = format!("{}", f1 + 0.001);
    let at = format!("{f1}");
    let failing = rubric(
        dir.path(),
        &["diff", "gold.jsonl", "pred.jsonl", "--schema", "type", "--fail-under", &above],
    );
    assert_eq!(failing.status.code(), Some(1));
    assert!(stderr(&failing).contains("below --fail-under"), "{}", stderr(&failing));
    let passing = rubric(
        dir.path(),
        &["diff", "gold.jsonl", "pred.jsonl", "--schema", "type", "--fail-under", &at],
    );
    assert_eq!(passing.status.code(), Some(0), "{}", stderr(&passing));
}

/// Exit code 2 and the message for each input error.
#[test]
fn input_errors_exit_2_with_a_message() {
    let dir = article_dir();
    let (gold, _) = article_records();
    let other = Record::tokenize("other", "Joe Biden spoke.", &Tokenizer::new(), vec![]).unwrap();
    write_records(&dir.path().join("two.jsonl"), &[&gold, &other]);
    let edited =
        Record::tokenize("article", ARTICLE.replace("ERBIL", "IRBIL"), &Tokenizer::new(), vec![]);
    let edited = edited.unwrap();
    write_records(&dir.path().join("edited.jsonl"), &[&edited]);
    let cases: &[(&[&str], &str)] = &[
        (&["diff", "gold.jsonl", "nope.jsonl"], "nope.jsonl: cannot read"),
        (
            &["diff", "two.jsonl", "pred.jsonl"],
            "document \"other\" is in two.jsonl but not in pred.jsonl",
        ),
        (
            &["diff", "pred.jsonl", "two.jsonl"],
            "document \"other\" is in two.jsonl but not in pred.jsonl",
        ),
        (&["diff", "gold.jsonl", "edited.jsonl"], "differ, first at line 2, column 1 (byte 69)"),
        (&["diff", "gold.jsonl", "pred.jsonl", "--min-overlap", "0"], "between 1 and 100"),
        (&["diff", "gold.jsonl", "pred.jsonl", "--fail-under", "2"], "not between 0 and 1"),
        (
            &["diff", "gold.jsonl", "pred.jsonl", "gold.jsonl", "--format", "html"],
            "compares two inputs",
        ),
    ];
    for (args, message) in cases {
        let output = rubric(dir.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains(message), "{args:?}: {}", stderr(&output));
        assert_eq!(stdout(&output), "", "{args:?}: no partial report");
    }
}

#[test]
fn allow_missing_counts_a_lone_document_as_missed() {
    let dir = article_dir();
    let (gold, _) = article_records();
    let other = Record::tokenize(
        "other",
        "Joe Biden spoke.",
        &Tokenizer::new(),
        vec![SpanInput::new(0, 9, "PERSON")],
    )
    .unwrap();
    write_records(&dir.path().join("two.jsonl"), &[&gold, &other]);
    let output = rubric(
        dir.path(),
        &["diff", "two.jsonl", "gold.jsonl", "--allow-missing", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    validate(&report);
    assert_eq!(report["documents"][1]["pairing"], "gold_only");
    assert_eq!(report["overall"]["strict"]["missed"], 1);
    assert_eq!(report["documents"][1]["disagreements"][0]["kind"], "missed");
}

#[test]
fn three_inputs_give_the_f1_matrix_and_kappa() {
    let dir = article_dir();
    let output = rubric(
        dir.path(),
        &["diff", "gold.jsonl", "pred.jsonl", "gold.jsonl", "--kappa", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    validate(&report);
    let f1 = &report["f1"];
    assert_eq!(f1[0][2], 1.0);
    assert_eq!(f1[0][1], f1[2][1]);
    assert!(f1[0][1].as_f64().unwrap() < 1.0);
    let kappa = &report["kappa"];
    assert_eq!(kappa[0][2], 1.0);
    let k = kappa[0][1].as_f64().unwrap();
    assert!(k > 0.8 && k < 1.0, "four perturbations out of ~50 spans: kappa {k}");
    let text = rubric(dir.path(), &["diff", "gold.jsonl", "pred.jsonl", "gold.jsonl", "--kappa"]);
    insta::assert_snapshot!("three_inputs_text", stdout(&text));
}

/// Runs `rubric diff` with `args` (which ask for JSON), checks it succeeds, and
/// returns the validated report.
fn diff_json(dir: &Path, args: &[&str]) -> Value {
    let output = rubric(dir, args);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    validate(&report);
    report
}

fn strict(report: &Value) -> (u64, u64, u64, u64) {
    let s = &report["overall"]["strict"];
    let n = |field: &str| s[field].as_u64().unwrap();
    (n("correct"), n("incorrect"), n("missed"), n("spurious"))
}

#[test]
fn conll_documents_pair_by_position() {
    let dir = tempfile::tempdir().unwrap();
    let gold =
        "-DOCSTART- O\n\nJoe B-PER\nBiden I-PER\nspoke O\n\n-DOCSTART- O\n\nIn O\nTehran B-GPE\n";
    // The prediction file has an extra blank line, so its line numbers differ.
    let pred =
        "\n-DOCSTART- O\n\nJoe B-PER\nBiden I-PER\nspoke O\n\n-DOCSTART- O\n\nIn O\nTehran B-ORG\n";
    std::fs::write(dir.path().join("gold.conll"), gold).unwrap();
    std::fs::write(dir.path().join("pred.conll"), pred).unwrap();
    let report = diff_json(dir.path(), &["diff", "gold.conll", "pred.conll", "--format", "json"]);
    let ids: Vec<&str> =
        report["documents"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["#1", "#2"]);
    assert_eq!(strict(&report), (1, 1, 0, 0));
    // The same files through --from.
    std::fs::copy(dir.path().join("gold.conll"), dir.path().join("gold.txt")).unwrap();
    let report = diff_json(
        dir.path(),
        &["diff", "--from", "conll", "gold.txt", "pred.conll", "--format", "json"],
    );
    assert_eq!(strict(&report), (1, 1, 0, 0));
}

#[test]
fn brat_directories_pair_by_file_stem() {
    let dir = tempfile::tempdir().unwrap();
    for (side, label) in [("gold", "GPE"), ("pred", "ORG")] {
        let side = dir.path().join(side);
        std::fs::create_dir(&side).unwrap();
        std::fs::write(side.join("a.txt"), "Strikes on Erbil.").unwrap();
        std::fs::write(side.join("a.ann"), format!("T1\t{label} 11 16\tErbil\n")).unwrap();
        std::fs::write(side.join("b.txt"), "Nothing here.").unwrap();
        std::fs::write(side.join("b.ann"), "").unwrap();
    }
    let report = diff_json(dir.path(), &["diff", "gold", "pred", "--format", "json"]);
    assert_eq!(report["documents"][0]["id"], "a");
    assert_eq!(report["documents"][0]["disagreements"][0]["kind"], "wrong_label");
    assert_eq!(strict(&report), (0, 1, 0, 0));
}

#[test]
fn doccano_lines_without_ids_pair_by_position_and_stdin_reads_records() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gold.jsonl"),
        "{\"text\": \"Joe Biden spoke.\", \"label\": [[0, 9, \"PER\"]]}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pred.jsonl"),
        "{\"text\": \"Joe Biden spoke.\", \"label\": [[4, 9, \"PER\"]]}\n",
    )
    .unwrap();
    let report = diff_json(
        dir.path(),
        &["diff", "--from", "doccano", "gold.jsonl", "pred.jsonl", "--format", "json"],
    );
    assert_eq!(report["documents"][0]["id"], "#1");
    assert_eq!(report["documents"][0]["disagreements"][0]["kind"], "wrong_boundary");

    let (gold, _) = article_records();
    let mut records = RecordWriter::new(Vec::new());
    records.write(&gold).unwrap();
    let records = records.finish().unwrap();
    std::fs::write(dir.path().join("article.jsonl"), &records).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .current_dir(dir.path())
        .args(["diff", "-", "article.jsonl", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &records).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["gold"], "-");
    assert_eq!(report["overall"]["strict"]["f1"], 1.0);
}

#[test]
fn a_bad_record_is_reported_with_file_and_line() {
    let dir = article_dir();
    std::fs::write(dir.path().join("bad.jsonl"), "{\"id\": \"article\"}\n").unwrap();
    let output = rubric(dir.path(), &["diff", "gold.jsonl", "bad.jsonl"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: bad.jsonl:1"), "{}", stderr(&output));
}
