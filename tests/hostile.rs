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

/// A compiled gazetteer whose index bytes were edited and whose checksum was
/// recomputed, as a hand-edited or crafted `.rgz` would be. With daachorse's
/// automaton (format 2) some such edits loaded and then panicked in matching; the
/// double-array trie (format 3, issue 22) is checked where that costs nothing on
/// load (whole blocks, the root) and every unit is bounds-checked as the walk
/// reads it, so every edit either is an error when the file loads or matches
/// without a panic.
/// Through the binary, an edit the check refuses is one error line naming the
/// file, exit 2, and no partial output file.
#[test]
fn an_edited_compiled_gazetteer_is_an_error_or_matches_never_a_panic() {
    use std::sync::Arc;

    use rubric_gazetteer::{Gazetteer, MatcherBuilder};
    use rubric_tokenizer::Tokenizer;

    let dir = tempdir();
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
    // The trie's double array is the payload's tail, a multiple of 1,024 bytes
    // (blocks of 256 four-byte units): the last 1,024 bytes are all trie.
    let mut refused = None;
    for position in bytes.len() - 1024..bytes.len() {
        for value in [0x00u8, 0x01, 0x7f, 0x80, 0xff] {
            let mut edited = bytes.clone();
            edited[position] = value;
            let edited = with_checksum(edited);
            match Gazetteer::from_compiled_bytes(&edited) {
                Ok(gazetteer) => {
                    let matcher = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]);
                    let matched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        matcher.find(text, &tokens)
                    }));
                    assert!(matched.is_ok(), "byte {position} set to {value:#x} panics");
                }
                Err(err) => {
                    assert_eq!(err.kind().name(), "corrupt", "byte {position}: {err}");
                    refused.get_or_insert(edited);
                }
            }
        }
    }
    let refused = refused.expect("some edit of the trie is refused by the structural check");
    write(dir.path(), "edited.rgz", refused);
    write(dir.path(), "docs.jsonl", format!("{}\n", serde_json::json!({"id": "a", "text": text})));
    write(dir.path(), "out.jsonl", "previous contents\n");

    let args =
        ["annotate", "--no-default-gazetteer", "-g", "edited.rgz", "docs.jsonl", "-o", "out.jsonl"];
    let output = run(dir.path(), &args, b"");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(FAILED), "{stderr}");
    assert!(!stderr.contains("thread '"), "no panic message, one error line: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("edited.rgz") && stderr.contains("double-array trie"), "{stderr}");
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

/// A damaged compiled gazetteer opened the way `annotate -g` opens it (mapped
/// into memory, `Gazetteer::load_compiled`): cut short anywhere, any bit of the
/// header flipped, a bit flipped in the tables (sampled through the whole
/// payload: strings, entries, keys, trie), or another format version, each is an
/// error that names the file, says what is wrong and says to recompile; never a
/// panic, never a gazetteer.
#[test]
fn a_damaged_compiled_gazetteer_opened_by_mmap_is_a_located_error() {
    use rubric_gazetteer::Gazetteer;

    let dir = tempdir();
    let tsv: String =
        (0..300).map(|i| format!("Place {i}\tGPE\tQ{i}\nPerson {i}\tPERSON\n")).collect();
    write(dir.path(), "places.tsv", tsv);
    let output = run(dir.path(), &["gazetteer", "compile", "places.tsv", "-o", "places.rgz"], b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let bytes = std::fs::read(dir.path().join("places.rgz")).expect("compiled");
    let path = dir.path().join("damaged.rgz");
    // Returns the error's kind after checking that it is located and says what
    // to do.
    let load = |damaged: &[u8], what: &str| -> &'static str {
        std::fs::write(&path, damaged).expect("write");
        match Gazetteer::load_compiled(&path) {
            Ok(_) => panic!("{what}: loaded"),
            Err(err) => {
                assert_eq!(err.file(), Some(path.display().to_string().as_str()), "{what}");
                let message = err.to_string();
                assert!(message.contains("compile"), "{what}: {message}");
                err.kind().name()
            }
        }
    };
    // The header is magic (8), version (4), CRC-32 (4), payload length (8).
    let header = 24;
    let cuts =
        [0, 1, 7, 8, 11, 12, 16, 23, 24, 25, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1];
    for cut in cuts {
        let kind = load(&bytes[..cut], &format!("cut at {cut}"));
        let expected = if cut < 8 { "not_compiled" } else { "truncated" };
        assert_eq!(kind, expected, "cut at {cut} of {}", bytes.len());
    }
    for bit in 0..header * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let kind = load(&flipped, &format!("header bit {bit}"));
        let expected: &[&str] = match bit / 8 {
            0..=7 => &["not_compiled"],
            8..=11 => &["unsupported_version"],
            12..=15 => &["checksum_mismatch"],
            // A longer length is a cut file; a shorter one leaves bytes after it.
            _ => &["truncated", "corrupt"],
        };
        assert!(expected.contains(&kind), "header bit {bit}: {kind}");
    }
    let payload = bytes.len() - header;
    for (sample, position) in (header..bytes.len()).step_by(payload / 97 + 1).enumerate() {
        let mut flipped = bytes.clone();
        flipped[position] ^= 1 << (sample % 8);
        assert_eq!(load(&flipped, &format!("byte {position}")), "checksum_mismatch");
    }
    for version in [1u32, 2, 4, 99] {
        let mut other = bytes.clone();
        other[8..12].copy_from_slice(&version.to_le_bytes());
        assert_eq!(load(&other, &format!("version {version}")), "unsupported_version");
        let message = Gazetteer::load_compiled(&path).expect_err("refused").to_string();
        assert!(message.contains(&format!("version {version}")), "{message}");
    }
    // And the undamaged file loads through the same path.
    std::fs::write(&path, &bytes).expect("write");
    let loaded = Gazetteer::load_compiled(&path).expect("the undamaged file loads");
    assert_eq!(loaded.len(), 600);
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

/// Issue 17, "nothing lost, second pass": one case (or a few) for each class of
/// bug the adversarial pass found. Each runs the binary as a user would, checks
/// the exit code, the message and its location, and hashes every file of the
/// test's directory before and after: nothing but the expected outputs may change,
/// and no stray file may appear.
///
/// Cases that differ between root and an unprivileged user run as both when the
/// suite runs as root (CI does): the unprivileged run goes through `setpriv` as
/// uid/gid 65534. Device nodes are made with `mknod` inside the test's own
/// temporary directory, never the system's.
mod nothing_lost {
    use std::collections::BTreeMap;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;
    use std::process::{Command, Output, Stdio};
    use std::time::Duration;

    use sha2::Digest;

    use super::{data_dir, FAILED, SKIPPED};
    use crate::support::{records, tempdir, write};

    const DONE: i32 = 0;
    const BIN: &str = env!("CARGO_BIN_EXE_rubric");
    /// Linux's O_NONBLOCK, to open a FIFO for writing without waiting for a reader.
    const O_NONBLOCK: i32 = 0o4000;

    /// Who runs rubric.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum User {
        /// Whoever runs the suite.
        Current,
        /// uid and gid 65534, through `setpriv`, when the suite runs as root.
        Nobody,
    }

    fn is_root() -> bool {
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }

    fn has_setpriv() -> bool {
        Command::new("setpriv").arg("--version").output().is_ok_and(|o| o.status.success())
    }

    /// The users to run a case as: root and nobody when root (and `setpriv` is
    /// there), else the current user alone.
    fn users() -> Vec<User> {
        if is_root() {
            if has_setpriv() {
                return vec![User::Current, User::Nobody];
            }
            eprintln!("skipping the unprivileged runs: `setpriv` (util-linux) is not installed");
        }
        vec![User::Current]
    }

    /// A temporary directory any user may write into (the unprivileged runs write
    /// their outputs there), with the fixture gazetteer in it.
    fn workdir() -> tempfile::TempDir {
        let dir = tempdir();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod the test directory");
        std::fs::copy(data_dir().join("places.tsv"), dir.path().join("places.tsv"))
            .expect("copy places.tsv");
        write(dir.path(), "a.txt", "Paris and Berlin.");
        write(dir.path(), "docs.jsonl", "{\"id\":\"d1\",\"text\":\"Paris\"}\n");
        dir
    }

    fn command(dir: &Path, user: User, args: &[&str]) -> Command {
        let mut command = match user {
            User::Current => Command::new(BIN),
            User::Nobody => {
                let mut command = Command::new("setpriv");
                command.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
                command
            }
        };
        command.current_dir(dir).args(args).stdin(Stdio::null());
        command
    }

    fn run_as(dir: &Path, user: User, args: &[&str]) -> Output {
        command(dir, user, args).output().expect("rubric runs")
    }

    /// Every entry under `dir`, by relative path: a file's SHA-256, a device's
    /// number, a link's target, or its kind.
    fn tree(dir: &Path) -> BTreeMap<String, String> {
        let mut entries = BTreeMap::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(current) = pending.pop() {
            let Ok(listing) = std::fs::read_dir(&current) else { continue };
            for entry in listing {
                let path = entry.expect("a directory entry").path();
                let name = path.strip_prefix(dir).expect("under dir").display().to_string();
                let metadata = std::fs::symlink_metadata(&path).expect("metadata");
                let kind = metadata.file_type();
                let what = if kind.is_symlink() {
                    format!("link to {}", std::fs::read_link(&path).expect("link").display())
                } else if kind.is_dir() {
                    pending.push(path.clone());
                    "directory".to_string()
                } else if kind.is_char_device() {
                    format!("character device {:#x}", metadata.rdev())
                } else if kind.is_fifo() {
                    "fifo".to_string()
                } else {
                    let bytes = std::fs::read(&path).unwrap_or_default();
                    format!("file {:x}", sha2::Sha256::digest(&bytes))
                };
                entries.insert(name, what);
            }
        }
        entries
    }

    /// Nothing in `before` changed or went away, and nothing appeared, but the
    /// entries named in `outputs`.
    fn assert_only_changed(before: &BTreeMap<String, String>, dir: &Path, outputs: &[&str]) {
        let after = tree(dir);
        for (name, what) in before {
            if outputs.contains(&name.as_str()) {
                continue;
            }
            assert_eq!(after.get(name), Some(what), "{name} changed or went away");
        }
        for name in after.keys() {
            assert!(
                before.contains_key(name) || outputs.contains(&name.as_str()),
                "{name} appeared: {after:#?}"
            );
        }
    }

    fn stderr(output: &Output) -> String {
        String::from_utf8_lossy(&output.stderr).to_string()
    }

    /// A failure: exit code 2, one `error:` line holding each of `parts` (the
    /// location first), and no summary claiming anything was written.
    fn assert_error(output: &Output, parts: &[&str]) {
        let stderr = stderr(output);
        assert_eq!(output.status.code(), Some(FAILED), "{stderr}");
        let line = stderr.lines().find(|line| line.starts_with("error: ")).unwrap_or_else(|| {
            panic!("no error line in:\n{stderr}");
        });
        for part in parts {
            assert!(line.contains(part), "{part:?} not in {line:?}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.contains(" written,"), "a failed run claims a summary: {stderr}");
    }

    const ANNOTATE: &[&str] = &["annotate", "--no-default-gazetteer", "-g", "places.tsv"];

    fn annotate_args<'a>(rest: &[&'a str]) -> Vec<&'a str> {
        ANNOTATE.iter().copied().chain(rest.iter().copied()).collect()
    }

    // Class 1: output targets that are not regular files.

    #[test]
    fn an_output_that_is_a_device_is_written_in_place_never_replaced() {
        if !is_root() {
            eprintln!("skipping: making a device node (mknod) needs root");
            return;
        }
        for user in users() {
            let dir = workdir();
            // The null device's number (1, 3), made here, not /dev/null itself.
            let status = Command::new("mknod")
                .args(["-m", "666"])
                .arg(dir.path().join("null"))
                .args(["c", "1", "3"])
                .status()
                .expect("mknod runs");
            assert!(status.success());
            let before = tree(dir.path());
            for args in [
                annotate_args(&["a.txt", "-o", "null"]),
                annotate_args(&["a.txt", "-o", "null", "--keep-going", "--errors", "null"]),
                vec!["gazetteer", "compile", "places.tsv", "-o", "null"],
                vec!["tokenize", "a.txt", "-o", "null"],
            ] {
                let output = run_as(dir.path(), user, &args);
                assert_eq!(
                    output.status.code(),
                    Some(DONE),
                    "{user:?} {args:?}: {}",
                    stderr(&output)
                );
                // Still the device, and no temporary file left beside it.
                assert_only_changed(&before, dir.path(), &[]);
            }
        }
    }

    #[test]
    fn an_output_that_is_a_fifo_streams_to_its_reader_and_stays_a_fifo() {
        for user in users() {
            let dir = workdir();
            let fifo = dir.path().join("fifo");
            let status = Command::new("mkfifo").args(["-m", "666"]).arg(&fifo).status();
            assert!(status.expect("mkfifo runs").success());
            let before = tree(dir.path());
            let (sender, receiver) = std::sync::mpsc::channel();
            let reader_path = fifo.clone();
            // Blocks until rubric opens the FIFO; with the bug it never does.
            std::thread::spawn(move || {
                let _ = sender.send(std::fs::read(&reader_path).unwrap_or_default());
            });
            let output = run_as(dir.path(), user, &annotate_args(&["a.txt", "-o", "fifo"]));
            // A reader still waiting (rubric never opened the FIFO) is released.
            let _ = std::fs::OpenOptions::new().write(true).custom_flags(O_NONBLOCK).open(&fifo);
            let read = receiver.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
            assert_eq!(output.status.code(), Some(DONE), "{user:?}: {}", stderr(&output));
            let text = String::from_utf8_lossy(&read);
            assert!(text.contains("\"id\":\"a\"") && text.contains("Berlin"), "{user:?}: {text:?}");
            assert_only_changed(&before, dir.path(), &[]);
        }
    }

    #[test]
    fn an_output_through_a_descriptor_link_goes_to_that_descriptor_and_keeps_the_link() {
        for user in users() {
            let dir = workdir();
            // What /dev/stdout is, made here so that the system's is never at risk.
            std::os::unix::fs::symlink("/proc/self/fd/1", dir.path().join("stdout"))
                .expect("symlink");
            let before = tree(dir.path());
            let output = run_as(dir.path(), user, &annotate_args(&["a.txt", "-o", "stdout"]));
            assert_eq!(output.status.code(), Some(DONE), "{user:?}: {}", stderr(&output));
            let written = records(&output);
            assert_eq!(written.len(), 1, "{user:?}: the record reached standard output");
            assert_only_changed(&before, dir.path(), &[]);
        }
    }

    // Class 2: every path checked against every input and every other output.

    #[test]
    fn converting_to_a_format_that_keeps_less_says_what_it_left_out() {
        let dir = workdir();
        write(
            dir.path(),
            "r.jsonl",
            concat!(
                "{\"id\":\"a\",\"text\":\"Paris\",\"meta\":{\"lang\":\"fr\"},\"spans\":[",
                "{\"start\":0,\"end\":5,\"label\":\"GPE\",\"kb_id\":\"Q90\",\"source\":\"me\",",
                "\"score\":0.5}]}\n",
            ),
        );
        let cases: [(&str, Option<&str>); 3] = [
            (
                "conll",
                Some(
                    "left out 1 document(s)' meta, 1 span(s)' kb_id, 1 span(s)' source, 1 \
                     span(s)' other fields: conll does not keep them",
                ),
            ),
            (
                "label-studio",
                Some(
                    "left out 1 span(s)' kb_id, 1 span(s)' source, 1 span(s)' other fields: \
                     label-studio does not keep them",
                ),
            ),
            ("jsonl", None),
        ];
        let cases = cases.into_iter().map(|(to, said)| (to, said, "r.jsonl"));
        // doccano's own ids and relations go back (the entities layout), its
        // other fields are said to be left out.
        write(
            dir.path(),
            "d.jsonl",
            concat!(
                "{\"id\":1,\"text\":\"Paris\",\"Comments\":[],\"entities\":[{\"id\":7,",
                "\"label\":\"GPE\",\"start_offset\":0,\"end_offset\":5}],\"relations\":[]}\n",
            ),
        );
        let doccano = [(
            "doccano",
            Some("left out 1 document(s)' meta, 1 span(s)' source: doccano does not keep them"),
            "d.jsonl",
        )];
        // brat names a document by its files: an id they cannot hold is said
        // to be renamed.
        write(dir.path(), "slash.jsonl", "{\"id\":\"a/b\",\"text\":\"Paris\",\"spans\":[]}\n");
        let renamed = run_as(
            dir.path(),
            User::Current,
            &["convert", "slash.jsonl", "--to", "brat", "-o", "out"],
        );
        let said = stderr(&renamed);
        assert_eq!(renamed.status.code(), Some(0), "{said}");
        assert!(
            said.contains("renamed 1 document id(s) to name their brat files (\"a/b\" is \"a_b\")"),
            "{said}"
        );
        for (to, said, input) in cases.chain(doccano) {
            let args = ["convert", input, "--from", "jsonl", "--to", to];
            let args = if input == "d.jsonl" {
                vec![
                    "convert",
                    input,
                    "--from",
                    "doccano",
                    "--to",
                    to,
                    "--doccano-layout",
                    "entities",
                ]
            } else {
                args.to_vec()
            };
            let output = run_as(dir.path(), User::Current, &args);
            let stderr = stderr(&output);
            assert_eq!(output.status.code(), Some(0), "{to}: {stderr}");
            match said {
                Some(said) => assert!(stderr.contains(said), "{to}: {stderr}"),
                None => assert!(!stderr.contains("left out"), "{to}: {stderr}"),
            }
        }
    }

    #[test]
    fn an_input_field_named_explain_is_never_overwritten_by_the_trace() {
        let dir = workdir();
        write(
            dir.path(),
            "in.jsonl",
            concat!(
                "{\"id\":\"top\",\"text\":\"Paris\",\"explain\":\"MINE\"}\n",
                "{\"id\":\"inner\",\"text\":\"Paris\",\"meta\":{\"explain\":[1]}}\n",
                "{\"id\":\"exact\",\"text\":\"Paris\",\"explain\":18446744073709551616}\n",
                "{\"id\":\"fine\",\"text\":\"Paris\"}\n",
            ),
        );
        // Without the trace the field is the input's, kept as it was.
        let plain = run_as(dir.path(), User::Current, &annotate_args(&["in.jsonl"]));
        assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
        assert_eq!(records(&plain)[0]["meta"]["explain"], "MINE");
        // With it, each such document is an error at its line, never overwritten.
        let args = annotate_args(&["in.jsonl", "--explain", "--keep-going"]);
        let traced = run_as(dir.path(), User::Current, &args);
        let stderr = stderr(&traced);
        assert_eq!(traced.status.code(), Some(SKIPPED), "{stderr}");
        let written = records(&traced);
        assert_eq!(written.len(), 1, "{stderr}");
        assert_eq!(written[0]["id"], "fine");
        assert!(written[0]["meta"]["explain"].is_array(), "{:?}", written[0]);
        for line in ["\"line\":1", "\"line\":2", "\"line\":3"] {
            let error = stderr.lines().find(|l| l.contains(line)).unwrap_or_default();
            assert!(error.contains("has a field \\\"explain\\\" of its own"), "{stderr}");
        }
    }

    #[test]
    fn outputs_naming_an_input_or_each_other_are_refused_before_anything_is_written() {
        let dir = workdir();
        write(dir.path(), "src.tsv", "Paris\tGPE\n");
        write(dir.path(), "out.jsonl", "previous\n");
        std::fs::hard_link(dir.path().join("a.txt"), dir.path().join("hard.jsonl")).expect("link");
        std::os::unix::fs::symlink("a.txt", dir.path().join("soft.jsonl")).expect("symlink");
        std::fs::create_dir(dir.path().join("brat")).expect("mkdir");
        write(dir.path(), "brat/in.jsonl", "{\"id\":\"b\",\"text\":\"Paris\"}\n");
        write(dir.path(), "x.labels.json", "{\"id\":\"x\",\"text\":\"Paris\"}\n");
        write(
            dir.path(),
            "lx.jsonl",
            concat!(
                "{\"lexicon\":\"cities\",\"path\":\"words.txt\"}\n",
                "{\"label\":\"GPE\",\"pattern\":[{\"TEXT\":{\"IN_LEXICON\":\"cities\"}}]}\n",
            ),
        );
        write(dir.path(), "words.txt", "Paris\n");
        let before = tree(dir.path());
        let cases: &[(Vec<&str>, &[&str])] = &[
            // --errors naming an input truncated it.
            (annotate_args(&["a.txt", "--keep-going", "--errors", "a.txt"]), &["a.txt: ", "input"]),
            // -o and --errors naming one file lost the error report.
            (
                annotate_args(&[
                    "a.txt",
                    "-o",
                    "out.jsonl",
                    "--keep-going",
                    "--errors",
                    "out.jsonl",
                ]),
                &["out.jsonl: ", "same file as the output"],
            ),
            // Through links: the same file by device and inode.
            (annotate_args(&["a.txt", "-o", "hard.jsonl"]), &["hard.jsonl: ", "\"a.txt\""]),
            (annotate_args(&["a.txt", "-o", "soft.jsonl"]), &["soft.jsonl: ", "\"a.txt\""]),
            (
                annotate_args(&["a.txt", "--keep-going", "--errors", "soft.jsonl"]),
                &["soft.jsonl: ", "input"],
            ),
            // A gazetteer is an input too.
            (annotate_args(&["a.txt", "-o", "places.tsv"]), &["places.tsv: ", "is the input"]),
            // A compiled gazetteer over its own source.
            (vec!["gazetteer", "compile", "src.tsv", "-o", "src.tsv"], &["src.tsv: ", "input"]),
            // A lexicon's word list, read by a pattern file, is an input too.
            (
                annotate_args(&["a.txt", "-g", "lx.jsonl", "-o", "words.txt"]),
                &["words.txt: ", "input"],
            ),
            (
                vec!["gazetteer", "compile", "lx.jsonl", "-o", "words.txt"],
                &["words.txt: ", "input"],
            ),
            // A brat directory holding an input.
            (
                vec!["convert", "brat/in.jsonl", "--to", "brat", "-o", "brat"],
                &["brat: ", "brat/in.jsonl"],
            ),
            // HF's label file over an input.
            (vec!["convert", "x.labels.json", "--to", "hf", "-o", "x.jsonl"], &["x.labels.json: "]),
        ];
        for (args, parts) in cases {
            let output = run_as(dir.path(), User::Current, args);
            assert_error(&output, parts);
            assert!(output.stdout.is_empty(), "{args:?}");
            assert_only_changed(&before, dir.path(), &[]);
        }
    }

    // Class 3: a directory walk that loses nothing.

    #[test]
    fn standard_output_appended_to_an_input_is_refused_before_anything_is_read() {
        let dir = workdir();
        std::fs::create_dir(dir.path().join("corpus")).expect("mkdir");
        write(dir.path(), "corpus/in.jsonl", "{\"id\":\"c1\",\"text\":\"Berlin\"}\n");
        let records = run_as(dir.path(), User::Current, &annotate_args(&["docs.jsonl", "-q"]));
        write(dir.path(), "records.jsonl", &records.stdout);
        std::fs::hard_link(dir.path().join("docs.jsonl"), dir.path().join("linked.jsonl"))
            .expect("link");
        write(dir.path(), "corpus/out.jsonl", "");
        let before = tree(dir.path());
        // `rubric ... docs.jsonl >> docs.jsonl` read its own records back as
        // documents: 20,000 lines became 60,000 before an unrelated error stopped it.
        let cases: [(&[&str], &str, &str); 7] = [
            (
                &["annotate", "--no-default-gazetteer", "-g", "places.tsv", "docs.jsonl"],
                "docs.jsonl",
                "is the input \"docs.jsonl\"",
            ),
            (
                &["annotate", "--no-default-gazetteer", "-g", "places.tsv", "docs.jsonl"],
                "linked.jsonl",
                "is the input \"docs.jsonl\"",
            ),
            (&["tokenize", "docs.jsonl"], "docs.jsonl", "is the input"),
            (&["convert", "records.jsonl", "--to", "jsonl"], "records.jsonl", "is the input"),
            (&["diff", "records.jsonl", "records.jsonl"], "records.jsonl", "is the input"),
            (&["validate", "--format", "json", "records.jsonl"], "records.jsonl", "is the input"),
            (
                &["tokenize", "corpus"],
                "corpus/out.jsonl",
                "is inside the input directory \"corpus\"",
            ),
        ];
        for (args, stdout, says) in cases {
            let file = std::fs::OpenOptions::new()
                .append(true)
                .open(dir.path().join(stdout))
                .expect("open for appending");
            let output = command(dir.path(), User::Current, args)
                .stdout(Stdio::from(file))
                .output()
                .expect("rubric runs");
            assert_error(&output, &["<stdout>: ", says, "write it elsewhere"]);
        }
        assert_only_changed(&before, dir.path(), &[]);
    }

    #[test]
    fn an_unreadable_subdirectory_is_reported_and_its_siblings_are_still_read() {
        let (user, why) = match (is_root(), has_setpriv()) {
            (false, _) => (User::Current, ""),
            (true, true) => (User::Nobody, ""),
            (true, false) => (User::Current, "root reads every directory and setpriv is missing"),
        };
        if !why.is_empty() {
            eprintln!("skipping: {why}");
            return;
        }
        let dir = workdir();
        let corpus = dir.path().join("corpus");
        std::fs::create_dir_all(corpus.join("b-locked")).expect("mkdir");
        write(&corpus, "a.txt", "Paris");
        write(&corpus, "b-locked/inside.txt", "Berlin");
        write(&corpus, "c.txt", "Berlin");
        // Named like a document, a FIFO would block the walk for ever.
        let status = Command::new("mkfifo").arg(corpus.join("d-fifo.txt")).status();
        assert!(status.expect("mkfifo runs").success());
        std::fs::set_permissions(corpus.join("b-locked"), std::fs::Permissions::from_mode(0o000))
            .expect("chmod");
        let before = tree(dir.path());

        let output = run_as(dir.path(), user, &annotate_args(&["corpus", "--keep-going"]));
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(SKIPPED), "{stderr}");
        let ids: Vec<String> =
            records(&output).iter().map(|r| r["id"].as_str().unwrap_or("?").to_string()).collect();
        assert_eq!(ids, ["a", "c"], "{stderr}");
        assert!(stderr.contains("corpus/b-locked"), "the entry is named: {stderr}");
        assert!(stderr.contains("permission denied"), "{stderr}");
        assert!(stderr.contains("3 documents read, 2 written, 1 skipped"), "{stderr}");
        assert!(stderr.contains("corpus/d-fifo.txt: skipped — not a regular file"), "{stderr}");

        let output = run_as(dir.path(), user, &annotate_args(&["corpus"]));
        assert_error(&output, &["corpus/b-locked: ", "permission denied"]);
        std::fs::set_permissions(corpus.join("b-locked"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod back");
        assert_only_changed(&before, dir.path(), &[]);
    }

    // Class 4: every write checked.

    #[test]
    fn a_closed_standard_output_is_an_error_not_a_claim_of_records_written() {
        let dir = workdir();
        let records_out = run_as(dir.path(), User::Current, &annotate_args(&["a.txt", "-q"]));
        write(dir.path(), "records.jsonl", &records_out.stdout);
        let before = tree(dir.path());
        for args in [
            annotate_args(&["a.txt"]),
            vec!["tokenize", "a.txt"],
            vec!["convert", "records.jsonl", "--to", "conll"],
            vec!["diff", "records.jsonl", "records.jsonl"],
            vec!["gazetteer", "stats", "places.tsv"],
        ] {
            // `>&-`: standard output closed, as a shell does it.
            let output = Command::new("sh")
                .current_dir(dir.path())
                .arg("-c")
                .arg("exec \"$@\" >&-")
                .arg("sh")
                .arg(BIN)
                .args(&args)
                .stdin(Stdio::null())
                .output()
                .expect("sh runs");
            assert_error(&output, &["<stdout>: ", "standard output is closed"]);
            assert_only_changed(&before, dir.path(), &[]);
        }
    }

    // Class 5: compiled settings survive recompiling and merging.

    #[test]
    fn diacritics_folding_survives_recompiling_and_merging_and_stats_reports_it() {
        let dir = workdir();
        write(dir.path(), "names.tsv", "Müller\tPERSON\n");
        write(dir.path(), "plain.tsv", "Schmidt\tPERSON\n");
        write(dir.path(), "doc.txt", "Muller met Schmidt.");
        let compile = |args: &[&str]| {
            let output = run_as(dir.path(), User::Current, args);
            assert_eq!(output.status.code(), Some(DONE), "{args:?}: {}", stderr(&output));
        };
        compile(&["gazetteer", "compile", "--diacritics", "names.tsv", "-o", "folded.rgz"]);
        compile(&["gazetteer", "compile", "plain.tsv", "-o", "plain.rgz"]);
        compile(&["gazetteer", "compile", "folded.rgz", "-o", "again.rgz"]);
        compile(&["gazetteer", "compile", "folded.rgz", "plain.tsv", "-o", "merged.rgz"]);
        for compiled in ["again.rgz", "merged.rgz"] {
            let stats = run_as(dir.path(), User::Current, &["gazetteer", "stats", compiled]);
            let stats = String::from_utf8_lossy(&stats.stdout).to_string();
            assert!(stats.contains("\"diacritics\":true"), "{compiled}: {stats}");
            let args = ["annotate", "--no-default-gazetteer", "-g", compiled, "doc.txt"];
            let output = run_as(dir.path(), User::Current, &args);
            let spans = records(&output)[0]["spans"].to_string();
            assert!(spans.contains("\"text\":\"Muller\""), "{compiled} folds: {spans}");
        }
        let before = tree(dir.path());
        let args = ["gazetteer", "compile", "folded.rgz", "plain.rgz", "-o", "mixed.rgz"];
        let output = run_as(dir.path(), User::Current, &args);
        assert_error(&output, &["plain.rgz: ", "\"folded.rgz\" folds diacritics", "--diacritics"]);
        assert_only_changed(&before, dir.path(), &[]);
    }

    // Class 6: values exact; a byte-order mark never breaks a first entry.

    #[test]
    fn meta_is_never_dropped_or_overwritten_and_errors_name_the_line() {
        let dir = workdir();
        write(
            dir.path(),
            "in.jsonl",
            concat!(
                "{\"id\":\"ok\",\"text\":\"Paris\",\"meta\":{\"k\":1},\"extra\":2}\n",
                "{\"id\":\"not-object\",\"text\":\"Paris\",\"meta\":5}\n",
                "{\"id\":\"clash\",\"text\":\"Paris\",\"k\":1,\"meta\":{\"k\":2}}\n",
                "{\"id\":\"big\",\"text\":\"Paris\",\"n\":18446744073709551616}\n",
                "{\"id\":\"pi\",\"text\":\"Paris\",\"meta\":{\"m\":{\"inner\":[3.14159265358979323846]}}}\n",
            ),
        );
        let before = tree(dir.path());
        let output =
            run_as(dir.path(), User::Current, &annotate_args(&["in.jsonl", "--keep-going"]));
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(SKIPPED), "{stderr}");
        let written = records(&output);
        assert_eq!(written.len(), 3, "{stderr}");
        assert_eq!(written[0]["meta"]["k"], 1);
        assert_eq!(written[0]["meta"]["extra"], 2);
        // Numbers a JSON value would round are written back as they were written
        // (they became 1.8446744073709552e19 and 3.141592653589793).
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("\"n\":18446744073709551616,"), "{stdout}");
        assert!(stdout.contains("{\"inner\":[3.14159265358979323846]}"), "{stdout}");
        // And `convert` reads and writes them back the same.
        write(dir.path(), "records.jsonl", output.stdout.as_slice());
        let converted =
            run_as(dir.path(), User::Current, &["convert", "records.jsonl", "--to", "jsonl"]);
        assert_eq!(
            converted.stdout,
            output.stdout,
            "{}",
            String::from_utf8_lossy(&converted.stderr)
        );
        assert!(stderr.contains("\"line\":2") && stderr.contains("expected an object"), "{stderr}");
        assert!(stderr.contains("\"line\":3") && stderr.contains("\\\"k\\\""), "{stderr}");
        assert_only_changed(&before, dir.path(), &["records.jsonl"]);
    }

    #[test]
    fn a_key_repeated_in_one_object_is_an_error_at_its_line_never_a_lost_value() {
        let dir = workdir();
        // serde_json keeps the last of a repeated key: "Paris" and the first "k"
        // were lost without a word. Escapes are decoded first: "t\u0065xt" is "text".
        write(
            dir.path(),
            "in.jsonl",
            concat!(
                "{\"id\":\"a\",\"text\":\"Paris\",\"t\\u0065xt\":\"Berlin\"}\n",
                "{\"id\":\"ok\",\"text\":\"Paris\"}\n",
                "{\"id\":\"m\",\"text\":\"x\",\"meta\":{\"k\":1,\"k\":2}}\n",
            ),
        );
        write(
            dir.path(),
            "twice.jsonl",
            "{\"label\":\"ORG\",\"label\":\"GPE\",\"pattern\":\"Paris\"}\n",
        );
        let good = run_as(dir.path(), User::Current, &annotate_args(&["docs.jsonl", "-q"]));
        let record = String::from_utf8_lossy(&good.stdout).to_string();
        // A record whose first "spans" (one span) the last (none) would replace.
        let repeated = record.replacen("\"spans\":[", "\"spans\":[],\"spans\":[", 1);
        write(dir.path(), "records.jsonl", repeated);
        let before = tree(dir.path());

        let output =
            run_as(dir.path(), User::Current, &annotate_args(&["in.jsonl", "--keep-going"]));
        let reported = stderr(&output);
        assert_eq!(output.status.code(), Some(SKIPPED), "{reported}");
        let written = records(&output);
        assert_eq!(written.len(), 1, "{reported}");
        assert_eq!(written[0]["id"], "ok");
        assert!(
            reported.contains("\"line\":1,\"column\":46,\"kind\":\"repeated_key\""),
            "{reported}"
        );
        assert!(reported.contains("\"line\":3,\"column\":"), "{reported}");
        assert!(reported.contains("the key \\\"k\\\" appears twice"), "{reported}");
        let output = run_as(dir.path(), User::Current, &annotate_args(&["in.jsonl"]));
        assert_error(&output, &["in.jsonl:1:46: ", "the key \"text\" appears twice"]);
        let output = run_as(dir.path(), User::Current, &["tokenize", "in.jsonl"]);
        assert_error(&output, &["in.jsonl:1:46: ", "\"text\""]);

        for args in [
            &["convert", "records.jsonl", "--to", "conll"][..],
            &["diff", "records.jsonl", "records.jsonl"],
        ] {
            let output = run_as(dir.path(), User::Current, args);
            assert_error(&output, &["records.jsonl:1:", "the key \"spans\" appears twice"]);
        }
        let output = run_as(dir.path(), User::Current, &["validate", "records.jsonl"]);
        assert_eq!(output.status.code(), Some(SKIPPED), "{}", stderr(&output));
        assert!(stderr_has(&output, "records.jsonl:1:"), "{}", stderr(&output));
        assert!(stderr_has(&output, "the key \"spans\" appears twice"));
        for verb in ["check", "stats", "compile"] {
            let mut args = vec!["gazetteer", verb, "twice.jsonl"];
            if verb == "compile" {
                args.extend(["-o", "twice.rgz"]);
            }
            let output = run_as(dir.path(), User::Current, &args);
            assert_error(&output, &["twice.jsonl:1: ", "the key \"label\" appears twice"]);
        }
        assert_only_changed(&before, dir.path(), &[]);
    }

    fn stderr_has(output: &Output, part: &str) -> bool {
        stderr(output).contains(part)
    }

    #[test]
    fn a_byte_order_mark_is_skipped_in_gazetteer_sources_and_brat_annotations() {
        let dir = workdir();
        write(dir.path(), "bom.tsv", "\u{feff}Paris\tGPE\nBerlin\tGPE\n");
        write(
            dir.path(),
            "bom-patterns.jsonl",
            "\u{feff}{\"label\":\"GPE\",\"pattern\":\"Paris\"}\n",
        );
        std::fs::create_dir(dir.path().join("brat")).expect("mkdir");
        write(dir.path(), "brat/doc.txt", "Paris");
        write(dir.path(), "brat/doc.ann", "\u{feff}T1\tGPE 0 5\tParis\n");
        let before = tree(dir.path());
        for gazetteer in ["bom.tsv", "bom-patterns.jsonl"] {
            let args = ["annotate", "--no-default-gazetteer", "-g", gazetteer, "a.txt"];
            let output = run_as(dir.path(), User::Current, &args);
            assert_eq!(output.status.code(), Some(DONE), "{}", stderr(&output));
            let spans = records(&output)[0]["spans"].to_string();
            assert!(spans.contains("\"text\":\"Paris\""), "{gazetteer}'s first entry: {spans}");
        }
        let args = ["convert", "--from", "brat", "brat", "--to", "jsonl"];
        let output = run_as(dir.path(), User::Current, &args);
        assert_eq!(output.status.code(), Some(DONE), "{}", stderr(&output));
        assert_eq!(records(&output)[0]["spans"].as_array().map(Vec::len), Some(1));
        assert!(!stderr(&output).contains("left out"), "{}", stderr(&output));
        assert_only_changed(&before, dir.path(), &[]);
    }

    // Class 7: no silent empties.

    #[test]
    fn labels_that_would_keep_nothing_are_an_error_listing_the_known_labels() {
        let dir = workdir();
        let before = tree(dir.path());
        for labels in ["", "gpe", "GPE,,", "NOPE"] {
            let output =
                run_as(dir.path(), User::Current, &annotate_args(&["a.txt", "--labels", labels]));
            assert_error(&output, &["--labels", "the gazetteers have \"GPE\""]);
            assert!(output.stdout.is_empty());
        }
        let output =
            run_as(dir.path(), User::Current, &annotate_args(&["a.txt", "--labels", "gpe"]));
        assert_error(&output, &["did you mean \"GPE\""]);
        assert_only_changed(&before, dir.path(), &[]);
    }

    #[test]
    fn a_gazetteer_that_names_nothing_is_an_error_not_an_annotation_without_spans() {
        let dir = workdir();
        write(dir.path(), "empty.tsv", "");
        write(dir.path(), "comments.tsv", "# names to come\n\n");
        write(dir.path(), "blank.jsonl", "\n");
        // Made before the check existed, or by a library user: loaded as it is.
        let empty_rgz = rubric_gazetteer::GazetteerBuilder::new().build().expect("empty");
        let mut bytes = Vec::new();
        empty_rgz.write_compiled(&mut bytes).expect("compile");
        write(dir.path(), "empty.rgz", bytes);
        // A file of lexicons alone is not empty: other sources use them.
        write(dir.path(), "lexicons.jsonl", "{\"lexicon\":\"first\",\"words\":[\"john\"]}\n");
        let before = tree(dir.path());
        for name in ["empty.tsv", "comments.tsv", "blank.jsonl", "empty.rgz"] {
            for args in [
                vec!["annotate", "-g", name, "a.txt"],
                vec!["annotate", "--no-default-gazetteer", "-g", name, "a.txt"],
                vec!["gazetteer", "check", name],
                vec!["gazetteer", "compile", "places.tsv", name, "-o", "out.rgz"],
            ] {
                let output = run_as(dir.path(), User::Current, &args);
                assert_error(
                    &output,
                    &[&format!("{name}: "), "holds no entry", "the file you meant"],
                );
                assert!(output.stdout.is_empty() || args[0] == "gazetteer", "{args:?}");
            }
        }
        let output = run_as(dir.path(), User::Current, &["gazetteer", "check", "lexicons.jsonl"]);
        assert_eq!(output.status.code(), Some(DONE), "{}", stderr(&output));
        assert_only_changed(&before, dir.path(), &[]);
    }

    #[test]
    fn token_pattern_values_no_token_has_are_an_error_not_a_rule_that_never_fires() {
        let dir = workdir();
        // spaCy accepts these and the rule silently never matches: a token's LOWER
        // has no capitals, and SHAPE keeps at most four of a run.
        let rules = [
            ("lower.jsonl", "[{\"LOWER\": \"Paris\"}, {\"IS_TITLE\": true}]", "\"paris\""),
            (
                "lower-in.jsonl",
                "[{\"LOWER\": {\"IN\": [\"paris\", \"Berlin\"]}, \"OP\": \"+\"}]",
                "\"berlin\"",
            ),
            ("shape.jsonl", "[{\"SHAPE\": \"Xxxxxx\"}]", "\"Xxxxx\""),
        ];
        for (name, pattern, _) in rules {
            write(dir.path(), name, format!("{{\"label\":\"GPE\",\"pattern\":{pattern}}}\n"));
        }
        let before = tree(dir.path());
        for (name, _, hint) in rules {
            for args in [
                vec!["gazetteer", "check", name],
                vec!["gazetteer", "compile", name, "-o", "out.rgz"],
                vec!["annotate", "--no-default-gazetteer", "-g", name, "a.txt"],
            ] {
                let output = run_as(dir.path(), User::Current, &args);
                assert_error(&output, &[&format!("{name}:1: token 1, "), "can never match", hint]);
                assert!(output.stdout.is_empty() || args[0] == "gazetteer");
            }
        }
        // What can match still does: the lower-case value, a shape of four.
        write(dir.path(), "ok.jsonl", "{\"label\":\"GPE\",\"pattern\":[{\"LOWER\":\"paris\"},{\"LOWER\":\"and\"}]}\n{\"label\":\"GPE\",\"pattern\":[{\"SHAPE\":\"Xxxxx\"}]}\n");
        let output = run_as(
            dir.path(),
            User::Current,
            &["annotate", "--no-default-gazetteer", "-g", "ok.jsonl", "a.txt"],
        );
        assert_eq!(output.status.code(), Some(DONE), "{}", stderr(&output));
        let spans: Vec<String> = records(&output)[0]["spans"]
            .as_array()
            .expect("spans")
            .iter()
            .map(|span| span["text"].as_str().expect("text").to_string())
            .collect();
        assert_eq!(spans, ["Paris and", "Berlin"]);
        assert_only_changed(&before, dir.path(), &["ok.jsonl"]);
    }

    #[test]
    fn brat_texts_without_annotations_and_duplicate_ids_are_said_with_their_place() {
        let dir = workdir();
        std::fs::create_dir(dir.path().join("brat")).expect("mkdir");
        write(dir.path(), "brat/a.txt", "Paris");
        write(dir.path(), "brat/a.ann", "T1\tGPE 0 5\tParis\n");
        write(dir.path(), "brat/lonely.txt", "Berlin");
        write(
            dir.path(),
            "twice.jsonl",
            "{\"id\":\"x\",\"text\":\"a\"}\n{\"id\":\"x\",\"text\":\"b\"}\n",
        );
        let records_out = run_as(dir.path(), User::Current, &annotate_args(&["twice.jsonl", "-q"]));
        write(dir.path(), "records.jsonl", &records_out.stdout);
        let before = tree(dir.path());

        let args = ["convert", "--from", "brat", "brat", "--to", "jsonl"];
        let output = run_as(dir.path(), User::Current, &args);
        assert_eq!(output.status.code(), Some(DONE), "{}", stderr(&output));
        assert!(stderr(&output).contains("warning: brat/lonely.txt: no annotation file"));
        let strict: Vec<&str> = args.iter().copied().chain(["--strict"]).collect();
        assert_error(&run_as(dir.path(), User::Current, &strict), &["brat/lonely.txt: "]);

        // The same document given twice, and an id repeated in a file.
        let args = ["convert", "--from", "brat", "brat", "brat/a.ann", "--to", "jsonl"];
        let output = run_as(dir.path(), User::Current, &args);
        assert!(stderr(&output).contains("warning: brat/a.ann: the document id \"a\" was used"));
        let args = ["convert", "records.jsonl", "--to", "jsonl"];
        let output = run_as(dir.path(), User::Current, &args);
        assert_eq!(output.status.code(), Some(DONE), "{}", stderr(&output));
        assert!(stderr(&output).contains("warning: records.jsonl:2: the document id \"x\""));
        let strict = ["convert", "records.jsonl", "--to", "jsonl", "--strict"];
        assert_error(&run_as(dir.path(), User::Current, &strict), &["records.jsonl:2: ", "\"x\""]);
        let output = run_as(dir.path(), User::Current, &["diff", "records.jsonl", "records.jsonl"]);
        assert_error(&output, &["records.jsonl:2: ", "\"x\""]);
        assert_only_changed(&before, dir.path(), &[]);
    }

    // Class 8: bounded resources.

    #[test]
    fn too_many_threads_is_a_clear_error_and_a_failed_thread_start_is_not_an_abort() {
        let dir = workdir();
        let before = tree(dir.path());
        for threads in ["100000", "0"] {
            let output =
                run_as(dir.path(), User::Current, &annotate_args(&["a.txt", "-j", threads]));
            assert_error(&output, &["--threads"]);
        }
        if is_root() && has_setpriv() {
            // A process limit the worker threads cannot fit under.
            let output = Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .args(["prlimit", "--nproc=2", BIN])
                .args(annotate_args(&["a.txt", "-j", "16"]))
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .output()
                .expect("prlimit runs");
            assert_error(&output, &["--threads 16: cannot start", "pass a smaller --threads"]);
        } else {
            eprintln!("skipping the thread-limit case: it needs root and setpriv");
        }
        assert_only_changed(&before, dir.path(), &[]);
    }

    // Class 9: terminal-safe reports.

    #[test]
    fn control_characters_from_documents_never_reach_the_terminal_raw() {
        let dir = workdir();
        let line = "{\"id\":\"t\\u001b]0;owned\\u0007\",\"text\":\"Paris \\u001b[2J Berlin\"}\n";
        write(dir.path(), "doc.jsonl", line);
        let gold = run_as(dir.path(), User::Current, &annotate_args(&["doc.jsonl", "-q"]));
        write(dir.path(), "gold.jsonl", &gold.stdout);
        // The same record with its last span (Berlin) gone: a disagreement to show.
        let mut record = records(&gold).remove(0);
        record["spans"].as_array_mut().expect("spans").truncate(1);
        write(dir.path(), "pred.jsonl", format!("{record}\n"));
        let before = tree(dir.path());
        let output = run_as(
            dir.path(),
            User::Current,
            &["diff", "gold.jsonl", "pred.jsonl", "--color", "never"],
        );
        let report = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(DONE), "{}", stderr(&output));
        assert!(
            !report.contains('\u{1b}') && !report.contains('\u{7}'),
            "raw controls: {report:?}"
        );
        assert!(report.contains("t\\u{1b}]0;owned\\u{7} (1 disagreement"), "{report}");
        assert!(report.contains("Paris \\u{1b}[2J ⟦Berlin⟧"), "{report}");
        assert_only_changed(&before, dir.path(), &[]);
    }

    #[test]
    fn control_characters_in_file_names_and_labels_never_reach_the_terminal_raw() {
        let dir = workdir();
        // Names a user does not choose: files unpacked from an archive.
        let bad_source = "b\u{1b}[1m.tsv";
        write(dir.path(), bad_source, "Paris\n");
        let conflicting = "c\u{1b}]0;owned\u{7}.tsv";
        write(dir.path(), conflicting, "Paris\tGPE\nParis\tORG\n");
        let records = "r\u{1b}[2J.jsonl";
        write(dir.path(), records, "{\"id\":1}\n");
        write(dir.path(), "label.tsv", "Paris\tG\u{1b}[31mPE\n");
        let before = tree(dir.path());
        let runs: [(Vec<&str>, i32, &str); 5] = [
            (vec!["annotate", "-g", bad_source, "a.txt"], FAILED, "error: b\\u{1b}[1m.tsv:1: "),
            (vec!["gazetteer", "check", bad_source], FAILED, "error: b\\u{1b}[1m.tsv:1: "),
            (
                vec!["annotate", "-g", conflicting, "a.txt"],
                DONE,
                "warning: c\\u{1b}]0;owned\\u{7}.tsv: 1 duplicate or conflicting",
            ),
            (vec!["validate", records], SKIPPED, "r\\u{1b}[2J.jsonl:1: schema: "),
            (vec!["gazetteer", "check", "label.tsv"], FAILED, "bad label \"G\\u{1b}[31mPE\""),
        ];
        for (args, exit, shown) in runs {
            let output = run_as(dir.path(), User::Current, &args);
            let stderr = stderr(&output);
            assert_eq!(output.status.code(), Some(exit), "{args:?}: {stderr}");
            assert!(!stderr.contains(['\u{1b}', '\u{7}']), "raw controls: {stderr:?}");
            assert!(stderr.contains(shown), "{shown:?} not in {stderr:?}");
        }
        assert_only_changed(&before, dir.path(), &[]);
    }

    #[test]
    fn a_brat_directory_holding_other_documents_says_so_and_keeps_them() {
        let dir = workdir();
        std::fs::create_dir(dir.path().join("brat")).expect("mkdir");
        // An earlier run's documents, and a file that is not brat's.
        write(dir.path(), "brat/old.txt", "Berlin");
        write(dir.path(), "brat/old.ann", "T1\tGPE 0 6\tBerlin\n");
        write(dir.path(), "brat/annotation.conf", "[entities]\nGPE\n");
        let records = run_as(dir.path(), User::Current, &annotate_args(&["docs.jsonl", "-q"]));
        write(dir.path(), "records.jsonl", &records.stdout);
        let before = tree(dir.path());
        for args in [
            annotate_args(&["docs.jsonl", "--format", "brat", "-o", "brat"]),
            vec!["convert", "records.jsonl", "--to", "brat", "-o", "brat"],
        ] {
            let output = run_as(dir.path(), User::Current, &args);
            let stderr = stderr(&output);
            assert_eq!(output.status.code(), Some(DONE), "{stderr}");
            assert!(
                stderr.contains("warning: brat: 2 brat file(s) not written by this run are there too (old.ann, old.txt)"),
                "{stderr}"
            );
            assert_eq!(
                std::fs::read_to_string(dir.path().join("brat/d1.txt")).expect("d1"),
                "Paris"
            );
            let kept = std::fs::read_to_string(dir.path().join("brat/old.txt")).expect("kept");
            assert_eq!(kept, "Berlin", "the other documents are named, never deleted");
        }
        // Written again over its own files alone: nothing to say.
        std::fs::remove_file(dir.path().join("brat/old.txt")).expect("rm");
        std::fs::remove_file(dir.path().join("brat/old.ann")).expect("rm");
        let output = run_as(
            dir.path(),
            User::Current,
            &["convert", "records.jsonl", "--to", "brat", "-o", "brat"],
        );
        assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
        assert_only_changed(
            &before,
            dir.path(),
            &["brat/d1.txt", "brat/d1.ann", "brat/old.txt", "brat/old.ann"],
        );
    }

    #[test]
    fn gzipped_records_are_read_by_convert_and_diff_not_called_invalid_utf8() {
        let dir = workdir();
        let records = run_as(dir.path(), User::Current, &annotate_args(&["docs.jsonl", "-q"]));
        write(dir.path(), "records.jsonl", &records.stdout);
        let gzip = |name: &str, bytes: &[u8]| {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut encoder, bytes).expect("compress");
            write(dir.path(), name, encoder.finish().expect("compress"));
        };
        gzip("records.jsonl.gz", &records.stdout);
        let mut truncated = std::fs::read(dir.path().join("records.jsonl.gz")).expect("read");
        truncated.truncate(truncated.len() / 2);
        write(dir.path(), "truncated.jsonl.gz", truncated);
        let before = tree(dir.path());
        // They were read as raw bytes: "invalid UTF-8 at byte offset 1", with iconv
        // as the advice.
        let output =
            run_as(dir.path(), User::Current, &["convert", "records.jsonl.gz", "--to", "jsonl"]);
        assert_eq!(output.status.code(), Some(DONE), "{}", stderr(&output));
        assert_eq!(output.stdout, records.stdout);
        let output = run_as(
            dir.path(),
            User::Current,
            &["diff", "records.jsonl.gz", "records.jsonl", "--format", "json"],
        );
        assert_eq!(output.status.code(), Some(DONE), "{}", stderr(&output));
        let output =
            run_as(dir.path(), User::Current, &["convert", "truncated.jsonl.gz", "--to", "jsonl"]);
        assert_error(&output, &["truncated.jsonl.gz:1: "]);
        assert!(!stderr(&output).contains("UTF-8"), "{}", stderr(&output));
        assert_only_changed(&before, dir.path(), &[]);
    }

    // Class 10: every error located.

    #[test]
    fn offsets_out_of_range_negative_or_fractional_say_so_in_every_reader() {
        let dir = workdir();
        let good = run_as(dir.path(), User::Current, &annotate_args(&["docs.jsonl", "-q"]));
        let record = String::from_utf8_lossy(&good.stdout).to_string();
        let with_end = |end: &str| {
            record.replacen(
                "\"end\":5,\"token_start\"",
                &format!("\"end\":{end},\"token_start\""),
                1,
            )
        };
        write(dir.path(), "huge.jsonl", with_end("18446744073709551616"));
        write(dir.path(), "negative.jsonl", with_end("-1"));
        write(dir.path(), "fraction.jsonl", with_end("4.5"));
        write(
            dir.path(),
            "doccano.jsonl",
            "{\"id\":\"a\",\"text\":\"Paris\",\"label\":[[0,99999999999999999999,\"GPE\"]]}\n",
        );
        write(dir.path(), "entities.jsonl", "{\"id\":\"a\",\"text\":\"Paris\",\"entities\":[{\"label\":\"GPE\",\"start_offset\":-2,\"end_offset\":5}]}\n");
        std::fs::create_dir(dir.path().join("brat")).expect("mkdir");
        write(dir.path(), "brat/x.txt", "Paris");
        write(dir.path(), "brat/x.ann", "T1\tGPE 0 99999999999999999999\tParis\n");
        let before = tree(dir.path());
        let cases: [(&[&str], &[&str]); 6] = [
            (
                &["convert", "huge.jsonl", "--to", "jsonl"],
                &["huge.jsonl:1:", "\"end\" of the span 0 is a number out of range"],
            ),
            (
                &["diff", "negative.jsonl", "negative.jsonl"],
                &["negative.jsonl:1:", "is a negative number"],
            ),
            (
                &["convert", "fraction.jsonl", "--to", "conll"],
                &["fraction.jsonl:1:", "is a number with a fraction"],
            ),
            (
                &["convert", "--from", "doccano", "doccano.jsonl", "--to", "jsonl"],
                &["doccano.jsonl:1:", "is out of range"],
            ),
            (
                &["convert", "--from", "doccano", "entities.jsonl", "--to", "jsonl"],
                &["entities.jsonl:1:", "the offset -2 is negative"],
            ),
            (
                &["convert", "--from", "brat", "brat", "--to", "jsonl"],
                &["brat/x.ann:1: ", "offset 99999999999999999999", "is out of range"],
            ),
        ];
        for (args, parts) in cases {
            assert_error(&run_as(dir.path(), User::Current, args), parts);
        }
        let output = run_as(dir.path(), User::Current, &["validate", "huge.jsonl"]);
        assert_eq!(output.status.code(), Some(SKIPPED));
        assert!(stderr(&output).contains("is a number out of range"), "{}", stderr(&output));
        assert_only_changed(&before, dir.path(), &[]);
    }

    #[test]
    fn errors_name_their_file_and_line_and_say_out_of_range() {
        let dir = workdir();
        write(dir.path(), "pr.tsv", "Paris\tGPE\nBerlin\tGPE\t\t99999999999\n");
        write(
            dir.path(),
            "pr.jsonl",
            "{\"label\":\"GPE\",\"pattern\":\"Paris\",\"priority\":4294967296}\n",
        );
        write(
            dir.path(),
            "ids.jsonl",
            "{\"id\":\"a/b\",\"text\":\"Paris\"}\n{\"id\":\"a_b\",\"text\":\"Paris\"}\n",
        );
        let long = format!("{{\"id\":\"{}\",\"text\":\"Paris\"}}\n", "x".repeat(300));
        write(dir.path(), "long.jsonl", long);
        let before = tree(dir.path());
        let output = run_as(dir.path(), User::Current, &["gazetteer", "stats", "pr.tsv"]);
        assert_error(&output, &["pr.tsv:2: ", "priority 99999999999 is out of range"]);
        let output = run_as(dir.path(), User::Current, &["gazetteer", "stats", "pr.jsonl"]);
        assert_error(&output, &["pr.jsonl:1: ", "out of range"]);
        let output = run_as(
            dir.path(),
            User::Current,
            &annotate_args(&["ids.jsonl", "--format", "brat", "-o", "brat-out"]),
        );
        assert_error(&output, &["ids.jsonl:2: ", "same file name"]);
        let output = run_as(
            dir.path(),
            User::Current,
            &annotate_args(&["long.jsonl", "--format", "brat", "-o", "brat-out"]),
        );
        assert_error(&output, &["long.jsonl:1: ", "brat-out/xxx"]);
        // The brat directory is made before the first document; nothing is in it.
        assert_only_changed(&before, dir.path(), &["brat-out"]);
    }
}
