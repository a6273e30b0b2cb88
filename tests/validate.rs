//! `rubric validate` as a user runs it: what `rubric annotate` writes is valid in
//! every offset unit, and every kind of broken record is reported, with its line,
//! in one run that goes on past each bad line.

use serde_json::Value;

use crate::support::{run, tempdir, write, ARTICLE};

/// A valid record in byte offsets (so that an offset can fall inside `ö`), with
/// `ID` for the id each line gets.
const BASE: &str = r#"{"id":"ID","text":"Joe saw Köln.","tokens":[{"text":"Joe","start":0,"end":3,"id":0,"ws":true},{"text":"saw","start":4,"end":7,"id":1,"ws":true},{"text":"Köln","start":8,"end":13,"id":2,"ws":false},{"text":".","start":13,"end":14,"id":3,"ws":false}],"spans":[{"start":0,"end":3,"token_start":0,"token_end":0,"label":"PERSON","text":"Joe"},{"start":8,"end":13,"token_start":2,"token_end":2,"label":"GPE","text":"Köln"}],"meta":{"offsets":"byte"}}"#;

/// A broken record: its name (also its id), the edits that break [`BASE`], and
/// what the report must say about its line: each problem's kind and a piece of
/// its message.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
);

const CASES: &[Case] = &[
    ("span_text_mismatch", &[(r#""label":"GPE","text":"Köln""#, r#""label":"GPE","text":"Kiln""#)], &[("span_text_mismatch", r#""text" is "Kiln" but the offsets cut out "Köln""#)]),
    ("offset_past_the_end", &[(r#""start":8,"end":13,"token_start""#, r#""start":8,"end":20,"token_start""#)], &[("span_offset", "byte offset 20 is past the end of the text (length 14)")]),
    ("offset_inside_a_character", &[(r#""start":8,"end":13,"token_start""#, r#""start":8,"end":10,"token_start""#)], &[("span_offset", "byte offset 10 falls inside a character")]),
    ("reversed_span", &[(r#""start":0,"end":3,"token_start""#, r#""start":3,"end":0,"token_start""#)], &[("span_reversed", "span 0 [3, 0) PERSON \"Joe\": the span is empty or ends before it starts")]),
    ("wrong_token_end", &[(r#""token_start":2,"token_end":2"#, r#""token_start":2,"token_end":3"#)], &[("span_token_mismatch", "(token_start, token_end) is (2, 3) but the span's offsets cover tokens (2, 2)")]),
    ("tokens_do_not_cover_the_text", &[(r#""end":3,"id":0,"ws":true"#, r#""end":3,"id":0,"ws":false"#)], &[("bad_token", "token 1: it starts at byte 4 but the token before it (with its trailing space) ends at byte 3")]),
    ("wrong_token_id", &[(r#""end":7,"id":1"#, r#""end":7,"id":2"#)], &[("bad_token", "token 1: its \"id\" is 2, but ids count tokens from 0")]),
    ("duplicate_span", &[(r#""spans":["#, concat!(r#""spans":["#, r#"{"start":0,"end":3,"token_start":0,"token_end":0,"label":"PERSON","text":"Joe"}"#, ","))], &[("duplicate_span", "span 1 [0, 3) PERSON \"Joe\": the same span (offsets and label) occurs twice")]),
    ("missing_field", &[(r#","label":"PERSON""#, "")], &[("schema", "schema: /spans/0: \"label\" is a required property")]),
    ("wrong_type", &[(r#""id":"ID""#, r#""id":7"#)], &[("schema", "schema: /id: 7 is not of type \"string\"")]),
    ("malformed_json", &[(r#""meta":{"offsets":"byte"}}"#, r#""meta":{"offsets":"byte"}"#)], &[("malformed_json", "malformed JSON: EOF while parsing an object")]),
    ("wrong_offset_unit", &[(r#""offsets":"byte""#, r#""offsets":"bytes""#)], &[("schema", "schema: /meta/offsets: \"bytes\" is not one of \"char\", \"byte\" or \"utf16\"")]),
    ("duplicate_id", &[(r#""id":"ID""#, r#""id":"valid""#)], &[("duplicate_id", "the id \"valid\" was used on line 1 already")]),
    // Prodigy's shape (no id, other top-level fields, a token's `disabled`) is no
    // problem; a span that contradicts the text still is.
    ("prodigy_shape_with_a_wrong_text", &[(r#""id":"ID","#, ""), (r#""meta":{"#, r#""answer":"accept","meta":{"#), (r#""end":3,"id":0,"ws":true"#, r#""end":3,"id":0,"ws":true,"disabled":true"#), (r#""label":"GPE","text":"Köln""#, r#""label":"GPE","text":"Kiln""#)], &[("span_text_mismatch", "\"text\" is \"Kiln\" but the offsets cut out \"Köln\"")]),
];

/// The file of the broken records: a valid record, a blank line (skipped), one
/// line per case, and a line that is not UTF-8. Returns it and the line of each
/// case.
fn broken_file() -> (Vec<u8>, Vec<u64>) {
    let mut file = format!("{}\n\n", BASE.replace(r#""id":"ID""#, r#""id":"valid""#));
    let mut lines = Vec::new();
    for (index, (name, edits, _)) in CASES.iter().enumerate() {
        let mut line = BASE.to_string();
        for (from, to) in *edits {
            assert_eq!(line.matches(from).count(), 1, "{name}: {from} must occur once");
            line = line.replacen(from, to, 1);
        }
        line = line.replace(r#""id":"ID""#, &format!(r#""id":"{name}""#));
        file.push_str(&line);
        file.push('\n');
        lines.push(index as u64 + 3);
    }
    let mut bytes = file.into_bytes();
    bytes.extend_from_slice(b"{\"id\":\"latin-1\",\"text\":\"K\xf6ln\"}\n");
    (bytes, lines)
}

#[test]
fn the_article_annotated_in_every_unit_is_valid() {
    let dir = tempdir();
    write(dir.path(), "article.txt", ARTICLE);
    for unit in ["char", "byte", "utf16"] {
        let records = format!("article-{unit}.jsonl");
        let annotated = run(
            dir.path(),
            &["annotate", "-q", "--offsets", unit, "article.txt", "-o", &records],
            b"",
        );
        assert!(annotated.status.success(), "{}", String::from_utf8_lossy(&annotated.stderr));
        let output = run(dir.path(), &["validate", &records], b"");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "rubric: 1 record in 1 file checked: all valid\n"
        );
        assert_eq!(output.status.code(), Some(0), "{unit}");
        assert!(output.stdout.is_empty());
        // The same bytes on standard input.
        let bytes = std::fs::read(dir.path().join(&records)).unwrap();
        let output = run(dir.path(), &["validate", "-q", "-"], &bytes);
        assert_eq!((output.status.code(), output.stderr.len()), (Some(0), 0), "{unit} on stdin");
    }
}

#[test]
fn every_broken_record_is_reported_with_its_line_in_one_run() {
    let dir = tempdir();
    let (file, lines) = broken_file();
    write(dir.path(), "bad.jsonl", &file);
    let output = run(dir.path(), &["validate", "bad.jsonl"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let reported: Vec<&str> = stderr.lines().collect();
    for ((name, _, expected), line) in CASES.iter().zip(&lines) {
        let prefix = format!("bad.jsonl:{line}:");
        let on_line: Vec<&&str> = reported.iter().filter(|r| r.starts_with(&prefix)).collect();
        assert_eq!(on_line.len(), expected.len(), "{name}: {on_line:#?}");
        for (_, message) in *expected {
            assert!(
                on_line.iter().any(|r| r.contains(message)),
                "{name}: {message} in {on_line:#?}"
            );
        }
    }
    assert!(!stderr.contains("bad.jsonl:1:"), "the valid line is not reported");
    let last = lines.last().unwrap() + 1;
    assert!(
        reported.iter().any(|r| r.starts_with(&format!("bad.jsonl:{last}:26: invalid UTF-8"))),
        "{stderr}"
    );
    let problems: usize = CASES.iter().map(|(_, _, expected)| expected.len()).sum::<usize>() + 1;
    assert_eq!(
        reported.last().copied(),
        Some(
            format!(
                "rubric: {} records in 1 file checked: {} invalid, {problems} problems",
                CASES.len() + 2,
                CASES.len() + 1
            )
            .as_str()
        )
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn json_format_reports_each_problem_as_one_json_line() {
    let dir = tempdir();
    let (file, lines) = broken_file();
    write(dir.path(), "bad.jsonl", &file);
    let output = run(dir.path(), &["validate", "--format", "json", "bad.jsonl"], b"");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let problems: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for ((name, _, expected), line) in CASES.iter().zip(&lines) {
        let mut kinds: Vec<&str> = problems
            .iter()
            .filter(|p| p["line"] == *line)
            .map(|p| p["kind"].as_str().unwrap())
            .collect();
        let mut want: Vec<&str> = expected.iter().map(|(kind, _)| *kind).collect();
        kinds.sort_unstable();
        want.sort_unstable();
        assert_eq!(kinds, want, "{name}");
    }
    for problem in &problems {
        assert_eq!(problem["source"], "bad.jsonl");
        assert_eq!(problem["pointer"].is_string(), problem["kind"] == "schema", "{problem}");
    }
    let span_text = problems.iter().find(|p| p["line"] == lines[0]).unwrap();
    assert_eq!(span_text["column"], 428, "the column of the span's \"text\"");
    // The summary stays on standard error, out of the JSON.
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("rubric: ") && stderr.lines().count() == 1, "{stderr}");
}

#[test]
fn a_missing_file_is_a_read_error_with_exit_2() {
    let dir = tempdir();
    write(dir.path(), "ok.jsonl", BASE);
    let output = run(dir.path(), &["validate", "ok.jsonl", "missing.jsonl"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: missing.jsonl: cannot read: no such file — check the path, or pass `-` to read \
         JSON Lines from standard input\n"
    );
}

#[test]
fn standard_input_is_named_in_reports() {
    let dir = tempdir();
    let output = run(dir.path(), &["validate", "-q"], b"\n[1]\n");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "<stdin>:2: schema: (record): [1] is not of type \"object\" — see \
         schemas/record.schema.json\n"
    );
}

#[test]
fn help_gives_examples_and_the_exit_status() {
    let output = run(std::path::Path::new("."), &["validate", "--help"], b"");
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("rubric validate train.jsonl"), "{help}");
    assert!(
        help.contains(
            "Exit status: 0 when every record is valid, 1 when any problem was found, 2 when a \
             file\ncannot be read or the arguments are wrong."
        ),
        "{help}"
    );
}

#[test]
fn gzipped_and_several_files_are_checked_each_with_its_own_lines_and_ids() {
    use std::io::Write;

    let dir = tempdir();
    let valid = BASE.replace(r#""id":"ID""#, r#""id":"a""#);
    let mismatch =
        valid.replace(r#""label":"GPE","text":"Köln""#, r#""label":"GPE","text":"Kiln""#);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!("{valid}\n{mismatch}\n").as_bytes()).unwrap();
    write(dir.path(), "one.jsonl.gz", gz.finish().unwrap());
    // The same id in another file is no repeat.
    write(dir.path(), "two.jsonl", format!("{valid}\n"));
    let output = run(dir.path(), &["validate", "one.jsonl.gz", "two.jsonl"], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(lines[0].starts_with("one.jsonl.gz:2:411: document \"a\", span 1"), "{stderr}");
    assert!(lines[1].starts_with("one.jsonl.gz:2: the id \"a\" was used on line 1"), "{stderr}");
    assert_eq!(lines[2], "rubric: 3 records in 2 files checked: 1 invalid, 2 problems");
}

#[test]
fn long_values_are_left_out_of_schema_messages() {
    let dir = tempdir();
    let long = "Iraq ".repeat(40);
    let line = format!(
        r#"{{"id":"x","text":[{long:?}],"tokens":[],"spans":[],"meta":{{"offsets":"char"}}}}"#
    );
    let output = run(dir.path(), &["validate", "-q", "-"], line.as_bytes());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "<stdin>:1: schema: /text: the value is not of type \"string\" — see \
         schemas/record.schema.json\n"
    );
}
