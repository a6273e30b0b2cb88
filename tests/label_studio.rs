//! Label Studio through the CLI: `convert --to label-studio` (predictions) and
//! `--to label-studio-annotations`, `--from label-studio` with `--annotator`, and
//! `diff` of a Label Studio export. The converter itself (offsets, the export's
//! shapes, its errors) is tested in the exporter; here, what a user runs.
//!
//! The export is tests/data/label_studio_export.json (see tests/data/README.md):
//! three tasks, annotator 1 and bea@example.com on the first two (they disagree
//! on Baghdad's label and on "Mr. Smith" against "Smith"), a cancelled annotation
//! by user 3, a relation and a choices result, and predictions of `rubric 0.1.0`.

use std::path::Path;

use serde_json::Value;

use crate::support::{failure, ids, records, run, tempdir, write};

/// A text with astral characters (code points and UTF-16 units differ) and one
/// without; the offsets count code points, checked by eye: "Joe Biden" is code
/// points 10..19 of the first (🦀 is one), "Köln" 23..27.
const RECORDS: &str = concat!(
    r#"{"id":"d1","text":"🦀 Zoë met Joe Biden in Köln.","spans":[{"start":10,"end":19,"label":"PERSON"},{"start":23,"end":27,"label":"GPE"}],"batch":3}"#,
    "\n",
    r#"{"id":"d2","text":"Iraqi militias warned the United Nations.","spans":[{"start":26,"end":40,"label":"ORG"}]}"#,
    "\n",
);

const EXPORT: &str = "label_studio_export.json";

fn export_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(EXPORT)
}

/// Each record's spans as `(start, end, label, text)`.
fn spans(record: &Value) -> Vec<(u64, u64, String, String)> {
    let text: Vec<char> = record["text"].as_str().unwrap_or_default().chars().collect();
    record["spans"]
        .as_array()
        .map(|spans| {
            spans
                .iter()
                .map(|span| {
                    let (start, end) = (span["start"].as_u64(), span["end"].as_u64());
                    let (start, end) = (start.unwrap_or(0), end.unwrap_or(0));
                    let sliced: String = text[start as usize..end as usize].iter().collect();
                    assert_eq!(span["text"], sliced.as_str(), "{record}");
                    (start, end, span["label"].as_str().unwrap_or_default().to_string(), sliced)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|err| panic!("not JSON ({err})"))
}

#[test]
fn records_round_trip_through_label_studio_annotations_with_every_span() {
    let dir = tempdir();
    write(dir.path(), "records.jsonl", RECORDS);
    let to = run(
        dir.path(),
        &["convert", "records.jsonl", "--to", "label-studio-annotations", "-o", "tasks.json"],
        b"",
    );
    assert!(to.status.success(), "{}", failure(&to));
    let tasks = json(&std::fs::read(dir.path().join("tasks.json")).unwrap_or_default());
    // The shape of an export: numbered tasks, one annotation each, no predictions.
    let first = &tasks[0];
    assert_eq!(first["id"], 1);
    assert_eq!(first["data"]["doc_id"], "d1");
    assert_eq!(first["data"]["text"], "🦀 Zoë met Joe Biden in Köln.");
    assert!(first.get("predictions").is_none(), "{first}");
    let value = &first["annotations"][0]["result"][0]["value"];
    assert_eq!((value["start"].as_u64(), value["end"].as_u64()), (Some(10), Some(19)));
    assert_eq!(value["labels"][0], "PERSON");

    let back = run(dir.path(), &["convert", "--from", "label-studio", "tasks.json"], b"");
    assert!(back.status.success(), "{}", failure(&back));
    let (before, after) = (
        records(&run(dir.path(), &["convert", "--from", "jsonl", "records.jsonl"], b"")),
        records(&back),
    );
    assert_eq!(ids(&after), ["d1", "d2"]);
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(after["text"], before["text"]);
        assert_eq!(spans(after), spans(before));
    }
    assert_eq!(spans(&after[0]).len() + spans(&after[1]).len(), 3);
    // A field of the record goes into the task's data and comes back.
    assert_eq!(after[0]["meta"]["batch"], 3, "{}", after[0]);
    // What was read is said on standard error.
    let stderr = String::from_utf8_lossy(&back.stderr);
    assert!(stderr.contains("2 task(s): 2 annotation(s)"), "{stderr}");
}

#[test]
fn label_studio_writes_predictions_of_rubric_which_read_back_as_the_models() {
    let dir = tempdir();
    write(dir.path(), "records.jsonl", RECORDS);
    let to = run(dir.path(), &["convert", "records.jsonl", "--to", "label-studio"], b"");
    assert!(to.status.success(), "{}", failure(&to));
    let tasks = json(&to.stdout);
    let version = concat!("rubric ", env!("CARGO_PKG_VERSION"));
    for task in tasks.as_array().into_iter().flatten() {
        // Tasks to import: no id (Label Studio gives one), no annotations.
        assert!(task.get("id").is_none() && task.get("annotations").is_none(), "{task}");
        assert_eq!(task["predictions"][0]["model_version"], version);
    }
    assert_eq!(tasks[1]["predictions"][0]["result"][0]["value"]["text"], "United Nations");
    write(dir.path(), "tasks.json", &to.stdout);
    let back = run(dir.path(), &["convert", "--from", "label-studio", "tasks.json"], b"");
    assert!(back.status.success(), "{}", failure(&back));
    let before = records(&run(dir.path(), &["convert", "--from", "jsonl", "records.jsonl"], b""));
    let after = records(&back);
    assert_eq!(
        after.iter().map(spans).collect::<Vec<_>>(),
        before.iter().map(spans).collect::<Vec<_>>()
    );
    let stderr = String::from_utf8_lossy(&back.stderr);
    assert!(stderr.contains(&format!("predictions of model {version:?}")), "{stderr}");
}

#[test]
fn annotator_chooses_whose_annotations_are_read() {
    let dir = tempdir();
    let export = export_path();
    let export = export.to_str().unwrap_or_default();
    let read = |annotator: &str| {
        let args = ["convert", "--from", "label-studio", export, "--annotator", annotator];
        let output = run(dir.path(), &args, b"");
        assert!(output.status.success(), "{}", failure(&output));
        output
    };
    let bea = read("bea@example.com");
    let bea_records = records(&bea);
    // Task 3 has no annotations: it is no document of anybody's.
    assert_eq!(ids(&bea_records), ["1", "2"]);
    let s = |start, end, label: &str, text: &str| (start, end, label.to_string(), text.to_string());
    assert_eq!(
        spans(&bea_records[0]),
        [s(0, 4, "GPE", "Iran"), s(7, 11, "ORG", "IRGC"), s(31, 38, "LOC", "Baghdad")]
    );
    assert_eq!(spans(&bea_records[1])[0], s(4, 9, "PERSON", "Smith"));
    let one = records(&read("1"));
    assert_eq!(spans(&one[0])[2], s(31, 38, "GPE", "Baghdad"));
    assert_eq!(spans(&one[1])[0], s(0, 9, "PERSON", "Mr. Smith"));
    // The task's other data fields are kept.
    assert_eq!(one[0]["meta"]["source_url"], "https://example.com/a");
    // What was not read is counted on standard error.
    let stderr = String::from_utf8_lossy(&bea.stderr);
    for said in ["1 cancelled annotation(s) skipped", "1 relation result(s) not read", "1 choices"]
    {
        assert!(stderr.contains(said), "{said}: {stderr}");
    }
    // The model's predictions are a stream too.
    let model = records(&read("rubric 0.1.0"));
    assert_eq!(spans(&model[0])[2], s(31, 38, "GPE", "Baghdad"));
}

#[test]
fn an_export_of_several_annotators_read_without_annotator_is_an_error_naming_them() {
    let dir = tempdir();
    let export = export_path();
    let export = export.to_str().unwrap_or_default();
    for extra in [&[][..], &["--annotator", "carol@example.com"][..]] {
        let mut args = vec!["convert", "--from", "label-studio", export];
        args.extend_from_slice(extra);
        let output = run(dir.path(), &args, b"");
        assert_eq!(output.status.code(), Some(2), "{}", failure(&output));
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(r#"annotators: "1", "bea@example.com"; predictions: "rubric 0.1.0""#),
            "{stderr}"
        );
    }
    // `diff` reads an export the same way.
    let diff = run(dir.path(), &["diff", export, export], b"");
    assert_eq!(diff.status.code(), Some(2), "{}", failure(&diff));
    assert!(String::from_utf8_lossy(&diff.stderr).contains(r#""1", "bea@example.com""#));
}

#[test]
fn annotator_with_another_format_is_a_usage_error() {
    let dir = tempdir();
    write(dir.path(), "records.jsonl", RECORDS);
    let convert =
        run(dir.path(), &["convert", "records.jsonl", "--to", "conll", "--annotator", "1"], b"");
    assert_eq!(convert.status.code(), Some(2), "{}", failure(&convert));
    assert!(String::from_utf8_lossy(&convert.stderr).contains("--annotator applies to"));
    let diff =
        run(dir.path(), &["diff", "records.jsonl", "records.jsonl", "--annotator", "1"], b"");
    assert_eq!(diff.status.code(), Some(2), "{}", failure(&diff));
    assert!(String::from_utf8_lossy(&diff.stderr).contains("--annotator applies to"));
}

#[test]
fn diff_scores_one_annotator_of_an_export_against_another() {
    let dir = tempdir();
    let export = export_path();
    let export = export.to_str().unwrap_or_default();
    // No --from: a .json file holding one array is a Label Studio export.
    let args = [
        "diff",
        export,
        export,
        "--annotator",
        "1",
        "--annotator",
        "bea@example.com",
        "--format",
        "json",
    ];
    let output = run(dir.path(), &args, b"");
    assert!(output.status.success(), "{}", failure(&output));
    let report = json(&output.stdout);
    // Counted by hand from the file: both annotators have 6 spans; they agree on
    // Iran, IRGC, United Nations and Kyiv, and differ on Baghdad's label and on
    // "Mr. Smith" against "Smith" (same label, other boundaries).
    let strict = &report["overall"]["strict"];
    assert_eq!((strict["correct"].as_u64(), strict["incorrect"].as_u64()), (Some(4), Some(2)));
    let exact = &report["overall"]["exact"];
    assert_eq!((exact["correct"].as_u64(), exact["incorrect"].as_u64()), (Some(5), Some(1)));
    assert_eq!(report["overall"]["strict"]["possible"], 6);
}

#[test]
fn show_marks_one_annotators_spans_of_an_export() {
    let dir = tempdir();
    let export = export_path();
    let export = export.to_str().unwrap_or_default();
    let args = ["show", "--from", "label-studio", export, "--annotator", "bea@example.com"];
    let output = run(dir.path(), &[&args[..], &["--color", "never"]].concat(), b"");
    assert!(output.status.success(), "{}", failure(&output));
    let shown = String::from_utf8_lossy(&output.stdout);
    // Bea's Baghdad is a LOC and her Smith has no "Mr.".
    assert!(shown.contains("met 🦀 officials in [Baghdad](LOC)."), "{shown}");
    assert!(shown.contains("Mr. [Smith](PERSON) of the [United Nations](ORG)"), "{shown}");
    let refused = run(dir.path(), &["show", export, "--annotator", "1"], b"");
    assert_eq!(refused.status.code(), Some(2), "{}", failure(&refused));
}

#[test]
fn annotate_names_its_gazetteers_in_the_model_version() {
    // Pre-annotating with two dictionaries must give predictions Label Studio
    // tells apart: the model version names rubric's version and the gazetteers.
    let dir = tempdir();
    write(dir.path(), "people.tsv", "Zoë Lund\tPERSON\n");
    write(dir.path(), "news.txt", "Zoë Lund met the United Nations.");
    let version = |args: &[&str]| {
        let args: Vec<&str> = args.iter().copied().chain(["news.txt"]).collect();
        let out = run(dir.path(), &args, b"");
        assert!(out.status.success(), "{}", failure(&out));
        let tasks = json(&out.stdout);
        tasks[0]["predictions"][0]["model_version"].as_str().unwrap_or_default().to_string()
    };
    let rubric = concat!("rubric ", env!("CARGO_PKG_VERSION"));
    assert_eq!(version(&["annotate", "--format", "label-studio"]), format!("{rubric} (default)"));
    assert_eq!(
        version(&["annotate", "--format", "label-studio", "-g", "people.tsv"]),
        format!("{rubric} (default, people.tsv)")
    );
    assert_eq!(
        version(&[
            "annotate",
            "--format",
            "label-studio",
            "--no-default-gazetteer",
            "-g",
            "people.tsv"
        ]),
        format!("{rubric} (people.tsv)")
    );
}
