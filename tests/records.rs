//! Records as users have them: Prodigy's `ner_manual` exports (as Prodigy 1.x writes
//! them, hand-written from its documented format in `tests/data/prodigy/`) and
//! span-only lines (`tests/data/span-only.jsonl`), read, validated, converted and
//! diffed without losing anything; and `annotate --no-tokens`.

// The helpers below unwrap what the test itself wrote (clippy's
// allow-unwrap-in-tests only sees the test functions themselves).
#![allow(clippy::unwrap_used)]

use serde_json::{json, Map, Value};

use crate::support::{assert_records_match_the_schema, records, run, tempdir, write, ARTICLE};

const PRODIGY: &str = include_str!("data/prodigy/ner_manual.jsonl");
const SPAN_ONLY: &str = include_str!("data/span-only.jsonl");

fn lines(jsonl: &str) -> Vec<Value> {
    jsonl.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn object(value: &Value) -> &Map<String, Value> {
    value.as_object().unwrap()
}

/// `text[start..end]` in code points.
fn slice(text: &str, start: &Value, end: &Value) -> String {
    let (start, end) = (start.as_u64().unwrap() as usize, end.as_u64().unwrap() as usize);
    text.chars().skip(start).take(end - start).collect()
}

#[test]
fn prodigy_export_validates_and_round_trips_through_convert_with_every_field() {
    let dir = tempdir();
    write(dir.path(), "prodigy.jsonl", PRODIGY);
    let validated = run(dir.path(), &["validate", "prodigy.jsonl"], b"");
    assert_eq!(
        String::from_utf8_lossy(&validated.stderr),
        "rubric: 5 records in 1 file checked: all valid\n"
    );
    let output = run(dir.path(), &["convert", "--to", "jsonl", "prodigy.jsonl"], b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let written = String::from_utf8(output.stdout.clone()).unwrap();
    assert_records_match_the_schema(&written);
    let inputs = lines(PRODIGY);
    let outputs = records(&output);
    assert_eq!(inputs.len(), outputs.len());
    for (number, (input, output)) in inputs.iter().zip(&outputs).enumerate() {
        let (input, output) = (object(input), object(output));
        let text = input["text"].as_str().unwrap();
        // Every field in is out, at the same place; the only additions are the id
        // the reader made up, meta.offsets and each span's text.
        let mut expected_keys: Vec<String> = input.keys().cloned().collect();
        expected_keys.extend(["id".to_string(), "meta".to_string()]);
        expected_keys.sort();
        expected_keys.dedup();
        let mut output_keys: Vec<String> = output.keys().cloned().collect();
        output_keys.sort();
        assert_eq!(output_keys, expected_keys, "line {}", number + 1);
        assert_eq!(output["id"], json!(format!("prodigy.jsonl:{}", number + 1)));
        for (key, value) in input {
            match key.as_str() {
                "spans" => {
                    let spans_in = value.as_array().unwrap();
                    let spans_out = output["spans"].as_array().unwrap();
                    assert_eq!(spans_in.len(), spans_out.len());
                    for (span_in, span_out) in spans_in.iter().zip(spans_out) {
                        let mut expected = object(span_in).clone();
                        let cut = slice(text, &span_in["start"], &span_in["end"]);
                        expected.insert("text".into(), json!(cut));
                        assert_eq!(object(span_out), &expected, "line {}", number + 1);
                    }
                }
                "meta" => {
                    let mut expected = object(value).clone();
                    expected.insert("offsets".into(), json!("char"));
                    assert_eq!(object(&output["meta"]), &expected);
                }
                // Tokens with Prodigy's `disabled`, and every top-level field.
                _ => assert_eq!(&output[key], value, "line {}: {key}", number + 1),
            }
        }
        if !input.contains_key("meta") {
            assert_eq!(output["meta"], json!({"offsets": "char"}));
        }
    }
    // What rubric wrote reads back to the same bytes.
    write(dir.path(), "again.jsonl", &written);
    let again = run(dir.path(), &["convert", "--to", "jsonl", "again.jsonl"], b"");
    assert_eq!(String::from_utf8(again.stdout).unwrap(), written);
}

#[test]
fn a_prodigy_span_that_contradicts_the_text_is_an_error_at_its_column() {
    let dir = tempdir();
    let first = PRODIGY.lines().next().unwrap();
    // Berlin's span (its token has the same offsets, earlier in the line).
    let spans_at = first.find(r#""spans""#).unwrap();
    let (before, spans) = first.split_at(spans_at);
    let broken = format!(
        "{before}{}",
        spans.replacen(r#""start": 37, "end": 43"#, r#""start": 37, "end": 90"#, 1)
    );
    assert_ne!(broken, first);
    write(dir.path(), "prodigy.jsonl", format!("{broken}\n"));
    let output = run(dir.path(), &["convert", "--to", "jsonl", "prodigy.jsonl"], b"");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let column = broken.find(r#"{"start": 37"#).unwrap() + 1;
    assert!(stderr.contains(&format!("prodigy.jsonl:1:{column}: ")), "{stderr}");
    assert!(stderr.contains("past the end"), "{stderr}");
}

#[test]
fn span_only_lines_convert_to_conll_on_rubrics_tokens_and_say_so() {
    let dir = tempdir();
    write(dir.path(), "spans.jsonl", SPAN_ONLY);
    let validated = run(dir.path(), &["validate", "spans.jsonl"], b"");
    assert_eq!(validated.status.code(), Some(0), "{}", String::from_utf8_lossy(&validated.stderr));
    let output = run(dir.path(), &["convert", "--to", "conll", "spans.jsonl"], b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let conll = String::from_utf8(output.stdout).unwrap();
    assert!(
        conll.starts_with(
            "-DOCSTART- O\n\nZürich B-GPE\nand O\nGenève B-GPE\nare O\ncities O\nin O\n\
             Switzerland B-GPE\n. O\n\n-DOCSTART- O\n\nJoe B-PERSON\nBiden I-PERSON\n"
        ),
        "{conll}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "7 span(s): 7 aligned, 0 expanded, 0 contracted, 0 dropped; 3 document(s) without \
             tokens tokenized by rubric's tokenizer"
        ),
        "{stderr}"
    );
    // Records with tokens are not tokenized again, and the count says nothing.
    let records = run(dir.path(), &["annotate", "-q", "spans.jsonl", "-o", "annotated.jsonl"], b"");
    assert!(records.status.success());
    let output = run(dir.path(), &["convert", "--to", "conll", "annotated.jsonl"], b"");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("tokenized"));
}

#[test]
fn annotate_no_tokens_writes_the_same_spans_without_tokens_and_validates() {
    let dir = tempdir();
    write(dir.path(), "article.txt", ARTICLE);
    let with = run(dir.path(), &["annotate", "-q", "article.txt"], b"");
    let without = run(dir.path(), &["annotate", "-q", "--no-tokens", "article.txt"], b"");
    assert!(with.status.success() && without.status.success());
    let written = String::from_utf8(without.stdout.clone()).unwrap();
    assert_records_match_the_schema(&written);
    let (with, without) = (&records(&with)[0], &records(&without)[0]);
    assert!(without.get("tokens").is_none());
    for key in ["id", "text", "meta"] {
        assert_eq!(with[key], without[key], "{key}");
    }
    let spans_with = with["spans"].as_array().unwrap();
    let spans_without = without["spans"].as_array().unwrap();
    assert!(spans_with.len() > 50);
    assert_eq!(spans_with.len(), spans_without.len());
    for (a, b) in spans_with.iter().zip(spans_without) {
        let mut a = object(a).clone();
        a.remove("token_start");
        a.remove("token_end");
        assert_eq!(&a, object(b));
    }
    write(dir.path(), "no-tokens.jsonl", &written);
    let validated = run(dir.path(), &["validate", "no-tokens.jsonl"], b"");
    assert_eq!(
        String::from_utf8_lossy(&validated.stderr),
        "rubric: 1 record in 1 file checked: all valid\n"
    );
    let refused =
        run(dir.path(), &["annotate", "--no-tokens", "--format", "conll", "article.txt"], b"");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--no-tokens"));
}

fn diff_json(dir: &std::path::Path, gold: &str, prediction: &str) -> Value {
    let output = run(dir, &["diff", "--format", "json", gold, prediction], b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn diff_pairs_a_prodigy_export_by_input_hash_and_leaves_out_reject_and_ignore() {
    let dir = tempdir();
    write(dir.path(), "prodigy.jsonl", PRODIGY);
    // Another side with ids of its own and Prodigy's hashes, in another order.
    let prediction = [
        r#"{"id":"un","text":"The United Nations met in New York.","_input_hash":712399260,"spans":[{"start":4,"end":18,"label":"ORG"},{"start":26,"end":34,"label":"GPE"}]}"#,
        r#"{"id":"merkel","text":"Angela Merkel met Emmanuel Macron in Berlin on Tuesday.","_input_hash":1085472011,"spans":[{"start":0,"end":13,"label":"PERSON"},{"start":27,"end":33,"label":"PERSON"}]}"#,
        r#"{"id":"apple","text":"Apple opened a store in Paris last week.","_input_hash":-1630245114,"spans":[{"start":0,"end":5,"label":"GPE"},{"start":15,"end":20,"label":"ORG"},{"start":24,"end":29,"label":"GPE"}]}"#,
    ];
    write(dir.path(), "pred.jsonl", prediction.join("\n") + "\n");
    let report = diff_json(dir.path(), "prodigy.jsonl", "pred.jsonl");
    assert_eq!(report["paired_by"], "_input_hash");
    assert_eq!(
        report["skipped"],
        json!({"prodigy.jsonl": {"ignore": 1, "reject": 1}, "pred.jsonl": {}})
    );
    let ids: Vec<&str> =
        report["documents"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["_input_hash 1085472011", "_input_hash -1630245114", "_input_hash 712399260"]);
    // By hand: UN, New York, Merkel, Paris correct; Macron's boundary and Apple's
    // label incorrect; Berlin missed; "store" spurious.
    let strict = &report["overall"]["strict"];
    let counts: Vec<u64> = ["correct", "incorrect", "partial", "missed", "spurious"]
        .iter()
        .map(|field| strict[field].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [4, 2, 0, 1, 1]);
    let text = run(dir.path(), &["diff", "--color", "never", "prodigy.jsonl", "pred.jsonl"], b"");
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.starts_with(
            "documents paired by _input_hash (prodigy.jsonl has documents without an id)\n\
             prodigy.jsonl: left out 2 line(s) whose answer is not accept (1 ignore, 1 reject)\n\n\
             gold: prodigy.jsonl  prediction: pred.jsonl  documents: 3"
        ),
        "{text}"
    );
}

#[test]
fn diff_pairs_span_only_lines_without_ids_by_line() {
    let dir = tempdir();
    write(dir.path(), "gold.jsonl", SPAN_ONLY);
    // The same texts, one span changed, in the same order and without ids.
    let prediction = SPAN_ONLY.replacen(
        r#""start": 32, "end": 42, "label": "ORG""#,
        r#""start": 32, "end": 42, "label": "GPE""#,
        1,
    );
    assert_ne!(prediction, SPAN_ONLY);
    write(dir.path(), "pred.jsonl", prediction);
    let report = diff_json(dir.path(), "gold.jsonl", "pred.jsonl");
    assert_eq!(report["paired_by"], "line");
    assert!(report.get("skipped").is_none());
    let ids: Vec<&str> =
        report["documents"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["line 1", "line 2", "line 3"]);
    assert_eq!(report["overall"]["strict"]["correct"], 6);
    assert_eq!(report["overall"]["strict"]["incorrect"], 1);
    assert_eq!(report["overall"]["exact"]["correct"], 7);
}

#[test]
fn diff_of_records_with_ids_says_nothing_about_pairing() {
    let dir = tempdir();
    write(dir.path(), "article.txt", ARTICLE);
    let annotated = run(dir.path(), &["annotate", "-q", "article.txt", "-o", "a.jsonl"], b"");
    assert!(annotated.status.success());
    let report = diff_json(dir.path(), "a.jsonl", "a.jsonl");
    assert!(report.get("paired_by").is_none() && report.get("skipped").is_none());
}
