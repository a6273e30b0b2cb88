//! Hostile input: every file in `tests/data/hostile/` (and a few generated here
//! because they are big or must be built by rubric itself) run through `rubric
//! annotate` as a user runs it, with and without `--keep-going`.
//!
//! For each: no panic, the documented exit code (0 done, 1 skipped with
//! `--keep-going`, 2 failed), a message that names the file, line and column and
//! says what to do, and every good document still written with `--keep-going`,
//! the summary's counts adding up (read = written + skipped). The snapshots hold
//! the exact messages and spans; they were reviewed by eye.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{records, run, tempdir, write};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile")
}

/// The documented exit codes.
const DONE: i32 = 0;
const SKIPPED: i32 = 1;
const FAILED: i32 = 2;

/// What a run shows the user: exit code, each written record's id and spans, and
/// standard error with the summary's timing (which varies) cut off.
fn shown(args: &[&str], output: &Output) -> String {
    let mut shown = format!("$ rubric {}\nexit code: {:?}\n", args.join(" "), output.status.code());
    for record in records(output) {
        let spans: Vec<String> = record["spans"]
            .as_array()
            .expect("spans is an array")
            .iter()
            .map(|span| {
                let label = span["label"].as_str().expect("label");
                let text = span["text"].as_str().expect("text");
                format!("{}..{} {label} {text:?}", span["start"], span["end"])
            })
            .collect();
        shown.push_str(
            &format!("written {}: {}\n", record["id"], spans.join(", ")).replace(": \n", ":\n"),
        );
    }
    shown.push_str("stderr:\n");
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        let line = match line.strip_prefix("rubric: ") {
            Some(summary) => {
                format!("rubric: {}", summary.rsplit_once("; ").map_or(summary, |(s, _)| s))
            }
            None => line.to_string(),
        };
        shown.push_str(&line);
        shown.push('\n');
    }
    shown
}

/// Runs `rubric annotate args...` in `dir` and checks what holds for every run.
fn annotate(dir: &Path, args: &[&str], expected_exit: i32) -> (Output, String) {
    let mut full = vec!["annotate"];
    full.extend_from_slice(args);
    let output = run(dir, &full, b"");
    let shown = shown(&full, &output);
    assert!(!shown.contains("panicked"), "rubric panicked:\n{shown}");
    assert_eq!(output.status.code(), Some(expected_exit), "exit code:\n{shown}");
    if expected_exit == FAILED {
        assert!(shown.contains("\nerror: "), "a failure says why:\n{shown}");
    }
    (output, shown)
}

/// The summary's counts: read, written, skipped.
fn counts(output: &Output) -> (u64, u64, u64) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = stderr
        .lines()
        .find_map(|line| line.strip_prefix("rubric: "))
        .unwrap_or_else(|| panic!("no summary line in:\n{stderr}"));
    let numbers: Vec<u64> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter(|word| !word.is_empty())
        .take(3)
        .map(|n| n.parse().expect("a count"))
        .collect();
    (numbers[0], numbers[1], numbers[2])
}

/// Runs `args` on its own and with `--keep-going`; with it, every good document
/// is written, every bad one reported once, and the counts add up.
fn hostile(dir: &Path, args: &[&str], exit: i32, keep_going_exit: i32, good: &[&str]) -> String {
    let (_, plain) = annotate(dir, args, exit);
    let mut with = vec!["--keep-going"];
    with.extend_from_slice(args);
    let (output, keep_going) = annotate(dir, &with, keep_going_exit);
    if keep_going_exit != FAILED {
        let written = records(&output);
        let ids: Vec<&str> = written.iter().map(|r| r["id"].as_str().expect("id")).collect();
        assert_eq!(ids, good, "the good documents, in order:\n{keep_going}");
        let reported = String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|line| line.starts_with('{'))
            .count() as u64;
        let (read, written_count, skipped) = counts(&output);
        assert_eq!(read, written_count + skipped, "read = written + skipped:\n{keep_going}");
        assert_eq!(written_count, written.len() as u64, "{keep_going}");
        assert_eq!(skipped, reported, "each skipped document is reported:\n{keep_going}");
        assert_eq!(keep_going_exit == SKIPPED, skipped > 0, "{keep_going}");
    }
    format!("{plain}\n{keep_going}")
}

const PLACES: &[&str] = &["--no-default-gazetteer", "-g", "places.tsv"];

/// name, file, extra arguments, exit code, exit code with --keep-going, the
/// documents written with --keep-going.
type DocumentCase<'a> = (&'a str, &'a str, &'a [&'a str], i32, i32, &'a [&'a str]);

#[test]
fn hostile_documents() {
    // name, file, extra arguments, exit code, exit code with --keep-going, the
    // documents written with --keep-going.
    #[rustfmt::skip]
    let cases: &[DocumentCase] = &[
        ("invalid_utf8_txt", "invalid-utf8.txt", &[], FAILED, SKIPPED, &[]),
        ("invalid_utf8_jsonl", "invalid-utf8.jsonl", &[], FAILED, SKIPPED, &["a", "c"]),
        // The mark stays in the text (offsets index the file, so Paris starts at 1),
        // and the tokenizer splits it off the word after it, so "Paris" matches.
        ("bom_txt_is_kept_as_text", "bom.txt", &[], DONE, DONE, &["bom"]),
        ("bom_jsonl_is_skipped", "bom.jsonl", &[], DONE, DONE, &["a", "b"]),
        ("bom_inside_jsonl", "bom-inside.jsonl", &[], FAILED, SKIPPED, &["a", "c"]),
        ("crlf_txt", "crlf.txt", &[], DONE, DONE, &["crlf"]),
        ("crlf_jsonl", "crlf.jsonl", &[], DONE, DONE, &["a", "b"]),
        // NUL is a character like any other; like spaCy, the tokenizer keeps it
        // inside "Paris\0Berlin", which therefore matches neither name.
        ("nul_txt", "nul.txt", &[], DONE, DONE, &["nul"]),
        ("nul_jsonl", "nul.jsonl", &[], FAILED, SKIPPED, &["a", "c"]),
        ("lone_surrogates", "lone-surrogates.jsonl", &[], FAILED, SKIPPED, &["a", "d"]),
        ("deeply_nested", "deeply-nested.jsonl", &[], FAILED, SKIPPED, &["a", "c"]),
        ("empty_txt", "empty.txt", &[], DONE, DONE, &["empty"]),
        ("empty_jsonl", "empty.jsonl", &[], DONE, DONE, &[]),
        ("empty_text", "empty-text.jsonl", &[], DONE, DONE, &["a", "b", "c"]),
        ("duplicate_ids", "duplicate-ids.jsonl", &[], DONE, DONE, &["a", "a", "b"]),
        ("duplicate_ids_strict", "duplicate-ids.jsonl", &["--strict"], FAILED, SKIPPED, &["a", "b"]),
        ("truncated_last_line", "truncated.jsonl", &[], FAILED, SKIPPED, &["a", "b"]),
    ];
    for &(name, file, extra, exit, keep_going_exit, good) in cases {
        let mut args = PLACES.to_vec();
        args.extend_from_slice(extra);
        args.push(file);
        let shown = hostile(&data_dir(), &args, exit, keep_going_exit, good);
        insta::assert_snapshot!(format!("hostile_{name}"), shown);
    }
}

#[test]
fn hostile_gazetteers() {
    let dir = tempdir();
    for name in ["gazetteer-empty-pattern.tsv", "gazetteer-conflicting-labels.tsv", "places.tsv"] {
        std::fs::copy(data_dir().join(name), dir.path().join(name)).expect("copy");
    }
    let long = "Wolfeschlegelsteinhausenbergerdorff ".repeat(278) + "Jr";
    assert_eq!(long.chars().count(), 10_010);
    write(dir.path(), "gazetteer-long-pattern.tsv", format!("{long}\tPERSON\nParis\tGPE\n"));
    write(
        dir.path(),
        "docs.jsonl",
        format!(
            "{}\n{}\n",
            serde_json::json!({"id": "long", "text": format!("Dear {long}, welcome to Paris")}),
            serde_json::json!({"id": "short", "text": "Paris"}),
        ),
    );
    let compiled = dir.path().join("places.rgz");
    let output = run(dir.path(), &["gazetteer", "compile", "places.tsv", "-o", "places.rgz"], b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let bytes = std::fs::read(&compiled).expect("compiled");
    write(dir.path(), "truncated.rgz", &bytes[..bytes.len() / 2]);
    let mut other_version = bytes.clone();
    // The version is the u32 after the 8-byte magic (crates/gazetteer/src/compiled.rs).
    other_version[8..12].copy_from_slice(&99u32.to_le_bytes());
    write(dir.path(), "other-version.rgz", other_version);

    // name, gazetteer, exit code, exit code with --keep-going, documents written.
    #[rustfmt::skip]
    let cases: &[(&str, &str, i32, i32, &[&str])] = &[
        ("empty_pattern", "gazetteer-empty-pattern.tsv", FAILED, FAILED, &[]),
        ("long_pattern", "gazetteer-long-pattern.tsv", DONE, DONE, &["long", "short"]),
        ("conflicting_labels", "gazetteer-conflicting-labels.tsv", DONE, DONE, &["long", "short"]),
        ("truncated_compiled", "truncated.rgz", FAILED, FAILED, &[]),
        ("compiled_other_version", "other-version.rgz", FAILED, FAILED, &[]),
    ];
    for &(name, gazetteer, exit, keep_going_exit, good) in cases {
        let args = ["--no-default-gazetteer", "-g", gazetteer, "docs.jsonl"];
        let shown = hostile(dir.path(), &args, exit, keep_going_exit, good);
        // The long name is 10,000 characters; the snapshot shows its span, not it.
        let shown = shown.replace(&format!("{long:?}"), "\"<the 10,010-character name>\"");
        insta::assert_snapshot!(format!("hostile_gazetteer_{name}"), shown);
    }
}

/// A compiled gazetteer whose automaton bytes were edited and whose checksum was
/// recomputed, as a hand-edited or crafted `.rgz` would be. The loader cannot
/// prove daachorse's transition table sound, and matching with a bad one panics
/// inside daachorse; rubric must report that as one error line, exit 2 and write
/// no partial output file.
#[test]
fn an_edited_compiled_gazetteer_is_an_error_not_a_panic() {
    use std::sync::Arc;

    use rubric_gazetteer::{Gazetteer, MatcherBuilder};
    use rubric_tokenizer::Tokenizer;

    let dir = tempdir();
    // Enough names for a automaton of a few hundred states.
    let places =
        ["Paris", "Berlin", "Baghdad", "Erbil", "Tehran", "Kurdistan Region", "Iraq", "Iran"];
    let tsv: String = places.iter().map(|place| format!("{place}\tGPE\n")).collect();
    write(dir.path(), "places.tsv", tsv);
    let output = run(dir.path(), &["gazetteer", "compile", "places.tsv", "-o", "places.rgz"], b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let bytes = std::fs::read(dir.path().join("places.rgz")).expect("compiled");
    let text =
        "Paris and Berlin, Baghdad and Erbil in the Kurdistan Region of Iraq, Tehran in Iran";
    let tokens = Tokenizer::new().tokenize(text);
    let with_checksum = |mut edited: Vec<u8>| {
        // Header: magic (8), version (4), CRC-32 of the payload (4), length (8).
        let checksum = crc32fast::hash(&edited[24..]);
        edited[12..16].copy_from_slice(&checksum.to_le_bytes());
        edited
    };
    // The automaton is the payload's tail; find an edit there that loads and then
    // panics in matching, as the lead's report said one would.
    let panics = |edited: &[u8]| {
        let Ok(gazetteer) = Gazetteer::from_compiled_bytes(edited) else { return false };
        let matcher = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| matcher.find(text, &tokens)))
            .is_err()
    };
    let edited = (24..bytes.len())
        .flat_map(|position| [0x00u8, 0x01, 0x7f, 0x80, 0xff].map(|value| (position, value)))
        .map(|(position, value)| {
            let mut edited = bytes.clone();
            edited[position] = value;
            with_checksum(edited)
        })
        .find(|edited| panics(edited))
        .expect("an edit of the automaton that makes daachorse panic (if none does any more, this test can go)");
    write(dir.path(), "edited.rgz", edited);
    write(dir.path(), "docs.jsonl", format!("{}\n", serde_json::json!({"id": "a", "text": text})));
    write(dir.path(), "out.jsonl", "previous contents\n");

    let args =
        ["annotate", "--no-default-gazetteer", "-g", "edited.rgz", "docs.jsonl", "-o", "out.jsonl"];
    let output = run(dir.path(), &args, b"");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(FAILED), "{stderr}");
    assert!(!stderr.contains("thread '"), "no panic message, one error line: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: internal error: rubric panicked at "), "{stderr}");
    assert!(stderr.contains("compile it again from its sources"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.jsonl")).expect("out"),
        "previous contents\n"
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["docs.jsonl", "edited.rgz", "out.jsonl", "places.rgz", "places.tsv"]);
}

/// One JSON Lines line holding one huge document: no line-length limit, offsets
/// right at the far end, and the summary still adds up.
///
/// 200 MB, as the issue asks. In a debug build (what `cargo test` runs) rubric
/// annotates about 4 MB/s of text, so this takes close to a minute of CPU;
/// `RUBRIC_HUGE_MB=32 cargo test huge` runs a smaller one while iterating. The text is
/// one long word between two names, which keeps the output (text and tokens) at
/// twice the input instead of the twenty times a realistic text of millions of
/// tokens would write, while the reader, JSON parser, tokenizer, matcher and
/// writer still walk every byte.
#[test]
fn a_huge_single_line_document_is_annotated_whole() {
    let megabytes: usize =
        std::env::var("RUBRIC_HUGE_MB").ok().and_then(|mb| mb.parse().ok()).unwrap_or(200);
    let filler = megabytes * 1_000_000;
    let dir = tempdir();
    std::fs::copy(data_dir().join("places.tsv"), dir.path().join("places.tsv")).expect("copy");
    let mut line = String::with_capacity(filler + 64);
    line.push_str(r#"{"id": "huge", "text": "Paris "#);
    line.extend(std::iter::repeat_n('x', filler));
    line.push_str(" Berlin\"}\n");
    write(dir.path(), "huge.jsonl", line);
    let args = ["--no-default-gazetteer", "-g", "places.tsv", "huge.jsonl", "-o", "out.jsonl"];
    let (output, shown) = annotate(dir.path(), &args, DONE);
    assert_eq!(counts(&output), (1, 1, 0), "{shown}");
    let written = std::fs::read(dir.path().join("out.jsonl")).expect("the output");
    assert_eq!(written.iter().filter(|&&b| b == b'\n').count(), 1, "one record");
    let tail = String::from_utf8_lossy(&written[written.len() - 400..]);
    let berlin = filler + 7;
    let expected = format!(
        r#""spans":[{{"start":0,"end":5,"token_start":0,"token_end":0,"label":"GPE","text":"Paris","source":"places.tsv:1"}},{{"start":{berlin},"end":{},"token_start":2,"token_end":2,"label":"GPE","text":"Berlin","source":"places.tsv:2"}}]"#,
        berlin + 6
    );
    assert!(tail.contains(&expected), "{expected}\nnot in the record's end:\n{tail}");
}

/// Enough records that rubric is still writing when the reader goes away or the
/// disk fills up: far more than a pipe (64 KiB) or a write buffer holds.
fn many_documents(dir: &Path) {
    let line = |i: usize| {
        serde_json::json!({"id": format!("d{i}"), "text": "Paris and Berlin. ".repeat(20)})
            .to_string()
    };
    let lines: Vec<String> = (0..5_000).map(line).collect();
    write(dir, "many.jsonl", lines.join("\n") + "\n");
    std::fs::copy(data_dir().join("places.tsv"), dir.join("places.tsv")).expect("copy");
}

/// Annotated records, as `rubric convert` reads them.
fn many_records(dir: &Path) {
    many_documents(dir);
    let args = ["annotate", "-q", "--no-default-gazetteer", "-g", "places.tsv", "many.jsonl"];
    let output = run(dir, &args, b"");
    assert!(output.status.success());
    write(dir, "records.jsonl", &output.stdout);
}

const ANNOTATE_MANY: &[&str] =
    &["annotate", "--no-default-gazetteer", "-g", "places.tsv", "many.jsonl"];
const CONVERT_MANY: &[&str] = &["convert", "--to", "conll", "records.jsonl"];

#[test]
fn a_closed_pipe_ends_annotate_and_convert_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempdir();
    many_records(dir.path());
    for args in [ANNOTATE_MANY, CONVERT_MANY] {
        // As `rubric ... | head -1`.
        let mut child = crate::support::rubric(dir.path(), args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the rubric binary runs");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("the first line arrives");
        assert!(!first.is_empty(), "{args:?}");
        drop(stdout);
        let output = child.wait_with_output().expect("rubric finishes");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{args:?}: no error spam");
        assert_eq!(output.status.code(), Some(DONE), "{args:?}");
    }
}

/// `rubric ... > /dev/full`: every write fails with "no space left".
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_on_standard_output_is_one_clear_error_and_exit_2() {
    let dir = tempdir();
    many_records(dir.path());
    for args in [ANNOTATE_MANY, CONVERT_MANY] {
        let full = std::fs::File::create("/dev/full").expect("/dev/full opens");
        let output = crate::support::rubric(dir.path(), args)
            .stdout(full)
            .output()
            .expect("the rubric binary runs");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "error: cannot write the output: no space left on the device — free some space, or \
             write somewhere else\n",
            "{args:?}"
        );
        assert_eq!(output.status.code(), Some(FAILED), "{args:?}");
    }
}

/// A disk that fills up while `-o` is written. `ulimit -f` makes the kernel
/// refuse writes past a size (EFBIG, once SIGXFSZ is ignored), as a full file
/// system refuses them (ENOSPC), without needing the privileges a tiny tmpfs
/// would; both reach the same error path. The target must keep its previous
/// contents and no temporary file may be left beside it.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_under_an_output_file_leaves_the_previous_file_and_nothing_else() {
    let dir = tempdir();
    many_records(dir.path());
    for (args, target) in [(ANNOTATE_MANY, "out.jsonl"), (CONVERT_MANY, "out.conll")] {
        write(dir.path(), target, "previous contents\n");
        let rubric = env!("CARGO_BIN_EXE_rubric");
        // 200 blocks of 512 bytes: far less than the output, far more than the
        // inputs' other writes need.
        let script =
            format!("ulimit -f 200; trap '' XFSZ; exec \"$0\" {} -o {target}", args.join(" "));
        let output = std::process::Command::new("sh")
            .current_dir(dir.path())
            .args(["-c", &script, rubric])
            .output()
            .expect("sh runs");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            format!(
                "error: {target}: cannot write the output: the file is larger than the file \
                 system or `ulimit -f` allows — free some space, or write somewhere else\n"
            ),
            "{args:?}"
        );
        assert_eq!(output.status.code(), Some(FAILED), "{args:?}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(target)).expect("the target"),
            "previous contents\n"
        );
        let leftovers: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().to_string())
            .filter(|name| name.starts_with('.'))
            .collect();
        assert_eq!(leftovers, Vec::<String>::new(), "{args:?}: temporary files left");
    }
}
