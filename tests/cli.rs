//! The `rubric` binary, run as a user runs it: inputs in, JSON Lines and exit codes out.
//!
//! Token boundaries are the tokenizer's business and are tested in `tokenizer.rs`;
//! here the texts are chosen so that any sensible tokenizer splits them the same way
//! ("Hello world"), or the tests check invariants that hold for every tokenizer
//! (offsets slice out each token's text, tokens and their spaces rebuild the text).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn rubric(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rubric"));
    command.current_dir(dir).args(args);
    command
}

/// Runs `rubric args...` in `dir` with `stdin` as standard input.
fn run(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = rubric(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rubric binary runs");
    let mut child_stdin = child.stdin.take().expect("stdin is piped");
    // A failing command may exit before reading its input; that is not our concern.
    let _ = child_stdin.write_all(stdin);
    drop(child_stdin);
    child.wait_with_output().expect("rubric finishes")
}

/// Runs a command that must succeed and returns its output lines as JSON.
fn run_ok(dir: &Path, args: &[&str], stdin: &[u8]) -> Vec<Value> {
    let output = run(dir, args, stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "rubric {args:?} failed: {}\n{stderr}", output.status);
    assert_eq!(stderr, "", "rubric {args:?} wrote to stderr");
    records(&output)
}

fn records(output: &Output) -> Vec<Value> {
    let stdout = std::str::from_utf8(&output.stdout).expect("stdout is UTF-8");
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("each stdout line is JSON"))
        .collect()
}

fn ids(records: &[Value]) -> Vec<&str> {
    records.iter().map(|record| record["id"].as_str().expect("id is a string")).collect()
}

fn token_texts(record: &Value) -> Vec<&str> {
    tokens(record).iter().map(|token| token["text"].as_str().expect("text")).collect()
}

fn tokens(record: &Value) -> &Vec<Value> {
    record["tokens"].as_array().expect("tokens is an array")
}

fn offset(token: &Value, field: &str) -> usize {
    token[field].as_u64().expect("offsets are numbers") as usize
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), contents).expect("the test can write its input");
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// `text[start..end]` in `unit`, or `None` if the offsets do not fit the text.
fn slice_in_unit(text: &str, unit: &str, start: usize, end: usize) -> Option<String> {
    match unit {
        "byte" => text.get(start..end).map(str::to_string),
        "char" => {
            let chars: Vec<char> = text.chars().collect();
            chars.get(start..end).map(|chars| chars.iter().collect())
        }
        "utf16" => {
            let units: Vec<u16> = text.encode_utf16().collect();
            units.get(start..end).and_then(|units| String::from_utf16(units).ok())
        }
        other => panic!("unknown unit {other}"),
    }
}

/// The tokens, each followed by its space when `ws` is set: the text again.
fn rebuild(record: &Value) -> String {
    tokens(record)
        .iter()
        .map(|token| {
            let text = token["text"].as_str().expect("text");
            if token["ws"].as_bool().expect("ws is a boolean") {
                format!("{text} ")
            } else {
                text.to_string()
            }
        })
        .collect()
}

#[test]
fn tokenize_txt_file_is_one_document_named_after_its_stem() {
    let dir = tempdir();
    write(dir.path(), "article.txt", "Iraqi militia groups threaten");
    let output = run(dir.path(), &["tokenize", "article.txt"], b"");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        concat!(
            r#"{"id":"article","offsets":"char","tokens":["#,
            r#"{"text":"Iraqi","start":0,"end":5,"ws":true,"kind":"word"},"#,
            r#"{"text":"militia","start":6,"end":13,"ws":true,"kind":"word"},"#,
            r#"{"text":"groups","start":14,"end":20,"ws":true,"kind":"word"},"#,
            r#"{"text":"threaten","start":21,"end":29,"ws":false,"kind":"word"}]}"#,
            "\n"
        )
    );
}

#[test]
fn tokenize_txt_keeps_the_text_verbatim_bom_and_line_breaks_included() {
    let dir = tempdir();
    let text = "\u{feff}ERBIL, Kurdistan Region\r\n\nIraq’s militias warned.\n";
    write(dir.path(), "verbatim.txt", text);
    let records = run_ok(dir.path(), &["tokenize", "verbatim.txt"], b"");
    assert_eq!(records.len(), 1);
    assert_eq!(rebuild(&records[0]), text);
    let last = tokens(&records[0]).last().expect("some tokens");
    assert_eq!(offset(last, "end"), text.chars().count(), "the BOM counts as a character");
}

#[test]
fn tokenize_jsonl_uses_given_ids_defaults_to_file_and_line_and_skips_blank_lines() {
    let dir = tempdir();
    write(
        dir.path(),
        "docs.jsonl",
        "{\"id\": \"first\", \"text\": \"Hello world\"}\n\
         \n\
         {\"text\": \"Good night\", \"lang\": \"en\"}\n\
         \t \r\n\
         {\"text\": \"Bye now\", \"id\": \"last\"}",
    );
    let records = run_ok(dir.path(), &["tokenize", "docs.jsonl"], b"");
    assert_eq!(ids(&records), ["first", "docs.jsonl:3", "last"]);
    assert_eq!(token_texts(&records[0]), ["Hello", "world"]);
    assert_eq!(token_texts(&records[1]), ["Good", "night"]);
    assert_eq!(token_texts(&records[2]), ["Bye", "now"]);
}

#[test]
fn tokenize_jsonl_skips_a_byte_order_mark_at_the_start_of_the_file() {
    let dir = tempdir();
    write(dir.path(), "bom.jsonl", "\u{feff}{\"text\": \"Hello world\"}\n");
    let records = run_ok(dir.path(), &["tokenize", "bom.jsonl"], b"");
    assert_eq!(ids(&records), ["bom.jsonl:1"]);
    assert_eq!(token_texts(&records[0]), ["Hello", "world"]);
}

#[test]
fn tokenize_reads_jsonl_from_stdin_without_inputs_or_with_dash() {
    let dir = tempdir();
    let stdin = b"{\"text\": \"Hello world\"}\n{\"id\": \"b\", \"text\": \"Good night\"}\n";
    let without = run_ok(dir.path(), &["tokenize"], stdin);
    let with_dash = run_ok(dir.path(), &["tokenize", "-"], stdin);
    assert_eq!(ids(&without), ["<stdin>:1", "b"]);
    assert_eq!(token_texts(&without[0]), ["Hello", "world"]);
    assert_eq!(without, with_dash);
}

#[test]
fn tokenize_reads_inputs_in_the_order_given() {
    let dir = tempdir();
    write(dir.path(), "b.txt", "Good night");
    write(dir.path(), "a.jsonl", "{\"text\": \"Hello world\"}\n");
    let stdin = b"{\"text\": \"Bye now\"}\n";
    let records = run_ok(dir.path(), &["tokenize", "b.txt", "-", "a.jsonl"], stdin);
    assert_eq!(ids(&records), ["b", "<stdin>:1", "a.jsonl:1"]);
}

#[test]
fn tokenize_offsets_slice_each_token_out_of_the_text_in_every_unit() {
    // The crab is 4 bytes, 1 char and 2 UTF-16 units; é and ë are 2 bytes, 1 char and
    // 1 UTF-16 unit. With the crab first, every later offset differs between units.
    let text = "🦀 Zoë's café, naïve.";
    let dir = tempdir();
    let line = serde_json::json!({ "id": "crab", "text": text }).to_string();
    write(dir.path(), "crab.jsonl", format!("{line}\n"));

    let cafe_byte = text.find("café").expect("café is in the text");
    for (unit, cafe_start) in [
        ("byte", cafe_byte),
        ("char", text[..cafe_byte].chars().count()),
        ("utf16", text[..cafe_byte].encode_utf16().count()),
    ] {
        let records = run_ok(dir.path(), &["tokenize", "--offsets", unit, "crab.jsonl"], b"");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0]["offsets"], unit);
        for token in tokens(&records[0]) {
            let (start, end) = (offset(token, "start"), offset(token, "end"));
            assert_eq!(
                slice_in_unit(text, unit, start, end).as_deref(),
                token["text"].as_str(),
                "{unit} offsets {start}..{end} of {token}"
            );
        }
        let cafe = tokens(&records[0])
            .iter()
            .find(|token| token["text"] == "café")
            .expect("café is a token");
        assert_eq!(offset(cafe, "start"), cafe_start, "{unit} start of café");
        assert_eq!(rebuild(&records[0]), text);
    }

    let default = run_ok(dir.path(), &["tokenize", "crab.jsonl"], b"");
    assert_eq!(default[0]["offsets"], "char");
}

/// A failing run, as the user sees it: exit code, the ids of the documents written
/// before the failure, and the message.
fn failure(output: &Output) -> String {
    let ids: Vec<String> = records(output)
        .iter()
        .map(|record| record["id"].as_str().unwrap_or("?").to_string())
        .collect();
    format!(
        "exit code: {:?}\nwritten before the error: {ids:?}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Files to create: name and contents.
type Files<'a> = &'a [(&'a str, &'a [u8])];

/// One line per error case: name, files to create, arguments, standard input. Each
/// case's result is a snapshot in `tests/snapshots/`.
#[test]
fn tokenize_errors_say_where_what_and_what_to_do_and_exit_2() {
    let pretty = "{\n  \"text\": \"Hello world\"\n}\n";
    let cases: &[(&str, Files, &[&str], &[u8])] = &[
        ("missing_file", &[], &["tokenize", "missing.txt"], b""),
        ("directory", &[], &["tokenize", "."], b""),
        ("unknown_format", &[("notes.csv", b"a,b\n")], &["tokenize", "notes.csv"], b""),
        (
            "invalid_utf8_txt",
            &[("latin1.txt", b"First line\nCaf\xe9 au lait\n")],
            &["tokenize", "latin1.txt"],
            b"",
        ),
        (
            "invalid_utf8_jsonl",
            &[("latin1.jsonl", b"{\"text\": \"ok\"}\n{\"text\": \"Caf\xe9\"}\n")],
            &["tokenize", "latin1.jsonl"],
            b"",
        ),
        ("invalid_utf8_stdin", &[], &["tokenize"], b"\n\n{\"text\": \"\xff\"}\n"),
        (
            "malformed_json",
            &[("docs.jsonl", b"{\"text\": \"ok\"}\n{\"text\": \"a\",}\n")],
            &["tokenize", "docs.jsonl"],
            b"",
        ),
        (
            "malformed_json_after_bom",
            &[("bom.jsonl", b"\xef\xbb\xbf{\"text\" \"a\"}\n")],
            &["tokenize", "bom.jsonl"],
            b"",
        ),
        ("incomplete_json", &[], &["tokenize", "-"], pretty.as_bytes()),
        ("missing_text", &[], &["tokenize"], b"{\"id\": \"x\", \"body\": \"Hello\"}\n"),
        ("text_not_string", &[], &["tokenize"], b"{\"text\": 42}\n"),
        ("text_null", &[], &["tokenize"], b"{\"text\": null}\n"),
        ("id_not_string", &[], &["tokenize"], b"{\"id\": 17, \"text\": \"Hello\"}\n"),
        ("not_an_object", &[], &["tokenize"], b"[\"Hello world\"]\n"),
        ("bad_offsets_unit", &[], &["tokenize", "--offsets", "bytes2"], b""),
    ];
    for &(name, files, args, stdin) in cases {
        let dir = tempdir();
        for &(file, contents) in files {
            write(dir.path(), file, contents);
        }
        let output = run(dir.path(), args, stdin);
        assert_eq!(output.status.code(), Some(2), "{name}: exit code");
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("panicked"),
            "{name}: rubric panicked"
        );
        insta::assert_snapshot!(format!("tokenize_error_{name}"), failure(&output));
    }
}

#[test]
fn tokenize_stops_quietly_when_the_reader_closes_the_pipe() {
    let dir = tempdir();
    // Far more output than a pipe buffers (64 KiB on Linux), so rubric is still
    // writing when the reader goes away, as with `rubric tokenize big.jsonl | head -1`.
    let line = format!("{}\n", serde_json::json!({ "text": "Hello world. ".repeat(50) }));
    write(dir.path(), "big.jsonl", line.repeat(5_000));
    let mut child = rubric(dir.path(), &["tokenize", "big.jsonl"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rubric binary runs");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("the first line arrives");
    assert!(first.starts_with(r#"{"id":"big.jsonl:1","#), "{first}");
    drop(stdout);
    let output = child.wait_with_output().expect("rubric finishes");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn tokenize_help_shows_an_example() {
    let dir = tempdir();
    let output = rubric(dir.path(), &["tokenize", "--help"])
        .env("COLUMNS", "100")
        .output()
        .expect("the rubric binary runs");
    assert!(output.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}
