//! What every test module needs to run the `rubric` binary as a user runs it and to
//! read what it wrote.

// Helpers outside `#[test]` functions are test code too (clippy's
// allow-unwrap-in-tests only sees the test functions themselves).
#![allow(clippy::unwrap_used, dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The article every stage is tested against.
pub const ARTICLE: &str = include_str!("../corpus/article.txt");

pub fn rubric(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rubric"));
    command.current_dir(dir).args(args);
    command
}

/// Runs `rubric args...` in `dir` with `stdin` as standard input.
pub fn run(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = rubric(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rubric binary runs");
    let mut child_stdin = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    // Written from another thread: rubric writes output while it reads, and a full
    // stdout pipe would otherwise block it while we block on its full stdin pipe.
    let writer = std::thread::spawn(move || {
        // A failing command may exit before reading its input; not our concern.
        let _ = child_stdin.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("rubric finishes");
    writer.join().expect("the stdin writer finishes");
    output
}

/// Runs a command that must succeed and returns its output lines as JSON.
pub fn run_ok(dir: &Path, args: &[&str], stdin: &[u8]) -> Vec<Value> {
    let output = run(dir, args, stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "rubric {args:?} failed: {}\n{stderr}", output.status);
    assert_eq!(
        stderr.lines().filter(|line| !line.starts_with("rubric: ")).collect::<Vec<_>>(),
        Vec::<&str>::new(),
        "rubric {args:?} wrote to stderr more than its summary line"
    );
    records(&output)
}

pub fn records(output: &Output) -> Vec<Value> {
    let stdout = std::str::from_utf8(&output.stdout).expect("stdout is UTF-8");
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("each stdout line is JSON"))
        .collect()
}

pub fn ids(records: &[Value]) -> Vec<&str> {
    records.iter().map(|record| record["id"].as_str().expect("id is a string")).collect()
}

pub fn token_texts(record: &Value) -> Vec<&str> {
    tokens(record).iter().map(|token| token["text"].as_str().expect("text")).collect()
}

pub fn tokens(record: &Value) -> &Vec<Value> {
    record["tokens"].as_array().expect("tokens is an array")
}

pub fn offset(token: &Value, field: &str) -> usize {
    token[field].as_u64().expect("offsets are numbers") as usize
}

pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), contents).expect("the test can write its input");
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// A failing run, as the user sees it: exit code, the ids of the documents written
/// before the failure, and the message.
pub fn failure(output: &Output) -> String {
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
pub type Files<'a> = &'a [(&'a str, &'a [u8])];

/// Checks every line of `jsonl` against schemas/record.schema.json.
pub fn assert_records_match_the_schema(jsonl: &str) {
    let schema: Value =
        serde_json::from_str(include_str!("../schemas/record.schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    for (n, line) in jsonl.lines().enumerate() {
        let value: Value = serde_json::from_str(line).unwrap();
        let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "line {}: {errors:?}", n + 1);
    }
}
