//! The `rubric` binary, run as a user runs it: inputs in, JSON Lines and exit codes out.
//!
//! Token boundaries are the tokenizer's business and are tested in `tokenizer.rs`;
//! here the texts are chosen so that any sensible tokenizer splits them the same way
//! ("Hello world"), or the tests check invariants that hold for every tokenizer
//! (offsets slice out each token's text, tokens and their spaces rebuild the text).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{
    failure, ids, offset, records, rubric, run, run_ok, tempdir, token_texts, tokens, write, Files,
};

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
            r#"{"text":"Iraqi","start":0,"end":5,"id":0,"ws":true,"kind":"word"},"#,
            r#"{"text":"militia","start":6,"end":13,"id":1,"ws":true,"kind":"word"},"#,
            r#"{"text":"groups","start":14,"end":20,"id":2,"ws":true,"kind":"word"},"#,
            r#"{"text":"threaten","start":21,"end":29,"id":3,"ws":false,"kind":"word"}]}"#,
            "\n"
        )
    );
}

#[test]
fn tokenize_tokens_placed_in_a_record_make_a_valid_record_in_every_unit() {
    // The issue: tokenize wrote tokens (with `kind`, without `id`) that a record
    // refused. Now they are a record's `tokens` as they are.
    let dir = tempdir();
    let text = "🦀 Zoë met @nytimes at https://example.com/a — 2,500 people.\n\nThen  left.";
    write(dir.path(), "doc.txt", text);
    for unit in ["char", "byte", "utf16"] {
        let tokenized = run_ok(dir.path(), &["tokenize", "--offsets", unit, "doc.txt"], b"");
        let record = serde_json::json!({
            "id": tokenized[0]["id"],
            "text": text,
            "tokens": tokenized[0]["tokens"],
            "spans": [],
            "meta": {"offsets": tokenized[0]["offsets"]},
        });
        let kinds: Vec<&str> =
            tokens(&record).iter().map(|t| t["kind"].as_str().expect("a kind")).collect();
        for kind in ["word", "number", "punctuation", "handle", "url", "space"] {
            assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
        }
        let line = format!("{record}\n");
        crate::support::assert_records_match_the_schema(&line);
        write(dir.path(), "record.jsonl", &line);
        let validated = run(dir.path(), &["validate", "record.jsonl"], b"");
        assert!(validated.status.success(), "{unit}: {}", failure(&validated));
        // And the record reader (convert) reads it back with the same tokens.
        let back = run_ok(
            dir.path(),
            &["convert", "record.jsonl", "--to", "jsonl", "--offsets", unit],
            b"",
        );
        let offsets = |r: &Value| -> Vec<(Value, Value, Value)> {
            tokens(r)
                .iter()
                .map(|t| (t["start"].clone(), t["end"].clone(), t["id"].clone()))
                .collect()
        };
        assert_eq!(offsets(&back[0]), offsets(&record), "{unit}");
    }
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

/// One line per error case: name, files to create, arguments, standard input. Each
/// case's result is a snapshot in `tests/snapshots/`.
#[test]
fn tokenize_errors_say_where_what_and_what_to_do_and_exit_2() {
    let pretty = "{\n  \"text\": \"Hello world\"\n}\n";
    let cases: &[(&str, Files, &[&str], &[u8])] = &[
        ("missing_file", &[], &["tokenize", "missing.txt"], b""),
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

#[test]
fn a_directory_is_walked_in_sorted_order_gzip_is_read_and_other_files_are_named() {
    use flate2::write::GzEncoder;
    let dir = tempdir();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(corpus.join("b-sub")).expect("mkdir");
    std::fs::create_dir_all(corpus.join(".hidden")).expect("mkdir");
    write(&corpus, "c.txt", "Good night");
    write(&corpus, "a.jsonl", "{\"id\": \"a1\", \"text\": \"Hello world\"}\n");
    write(&corpus.join("b-sub"), "inner.txt", "Bye now");
    write(&corpus.join(".hidden"), "secret.txt", "never read");
    write(&corpus, "notes.md", "not a document");
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"{\"text\": \"Zipped text\"}\n").expect("gzip");
    write(&corpus, "d.jsonl.gz", gz.finish().expect("gzip"));
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all("Zipped plain".as_bytes()).expect("gzip");
    write(&corpus, "e.txt.gz", gz.finish().expect("gzip"));

    let output = run(dir.path(), &["tokenize", "--quiet", "corpus"], b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let records = records(&output);
    assert_eq!(ids(&records), ["a1", "inner", "c", "corpus/d.jsonl.gz:1", "e"]);
    assert_eq!(token_texts(&records[4]), ["Zipped", "plain"]);
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "warning: corpus/notes.md: skipped — not a .txt, .jsonl or .json file (or .gz of one)\n"
    );
}

#[test]
fn output_file_is_written_whole_or_not_at_all() {
    let dir = tempdir();
    write(dir.path(), "good.jsonl", "{\"text\": \"Hello world\"}\n");
    write(dir.path(), "bad.jsonl", "{\"text\": \"Hello world\"}\n{\"text\": 1}\n");
    write(dir.path(), "out.jsonl", "previous contents\n");

    let failed = run(dir.path(), &["tokenize", "bad.jsonl", "-o", "out.jsonl"], b"");
    assert_eq!(failed.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap(),
        "previous contents\n"
    );

    let ok = run(dir.path(), &["tokenize", "-q", "good.jsonl", "-o", "out.jsonl"], b"");
    assert!(ok.status.success());
    assert_eq!(ok.stdout, b"", "with -o nothing goes to stdout");
    let written = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert!(written.starts_with(r#"{"id":"good.jsonl:1","#), "{written}");
    assert_eq!(file_names(dir.path()), ["bad.jsonl", "good.jsonl", "out.jsonl"]);
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn output_refuses_to_overwrite_an_input() {
    let dir = tempdir();
    write(dir.path(), "docs.jsonl", "{\"text\": \"Hello world\"}\n");
    std::fs::create_dir(dir.path().join("corpus")).expect("mkdir");
    for (name, args) in [
        ("same_file", &["tokenize", "docs.jsonl", "-o", "./docs.jsonl"][..]),
        ("inside_input_directory", &["tokenize", "corpus", "-o", "corpus/out.jsonl"][..]),
    ] {
        let output = run(dir.path(), args, b"");
        insta::assert_snapshot!(format!("output_refuses_input_{name}"), failure(&output));
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("docs.jsonl")).unwrap(),
        "{\"text\": \"Hello world\"}\n"
    );
}

#[test]
fn a_killed_run_leaves_no_output_file_behind() {
    let dir = tempdir();
    write(dir.path(), "out.jsonl", "previous contents\n");
    for signal in ["INT", "TERM"] {
        let mut child = rubric(dir.path(), &["tokenize", "-o", "out.jsonl"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the rubric binary runs");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let line = format!("{}\n", serde_json::json!({ "text": "Hello world. ".repeat(100) }));
        for _ in 0..2_000 {
            stdin.write_all(line.as_bytes()).expect("rubric reads its input");
        }
        // The run is now midway: a temporary file exists beside the output.
        wait_until(|| file_names(dir.path()).len() == 2, "the temporary output file");
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let output = child.wait_with_output().expect("rubric ends");
        assert_eq!(output.status.code(), Some(130), "{signal}: exit code");
        drop(stdin);
        assert_eq!(file_names(dir.path()), ["out.jsonl"], "{signal}: files left");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap(),
            "previous contents\n",
            "{signal}: the previous output is untouched"
        );
    }
}

fn wait_until(condition: impl Fn() -> bool, what: &str) {
    for _ in 0..500 {
        if condition() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn keep_going_skips_bad_documents_reports_each_and_exits_1() {
    let dir = tempdir();
    write(
        dir.path(),
        "mixed.jsonl",
        b"{\"id\": \"a\", \"text\": \"Hello world\"}\n\
          {\"id\": \"b\", \"text\": 7}\n\
          {\"id\": \"c\", \"text\": \"Caf\xe9\"}\n\
          {\"id\": \"d\", \"text\" \"x\"}\n\
          {\"id\": \"e\", \"text\": \"Good night\"}\n" as &[u8],
    );
    let output = run(
        dir.path(),
        &["tokenize", "--keep-going", "--errors", "errors.jsonl", "mixed.jsonl", "missing.txt"],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(ids(&records(&output)), ["a", "e"]);
    let errors = std::fs::read_to_string(dir.path().join("errors.jsonl")).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The timing at the end of the summary varies; the counts must add up.
    let summary = stderr.split("; ").take(2).collect::<Vec<_>>().join("; ");
    insta::assert_snapshot!(format!("errors.jsonl:\n{errors}\nsummary:\n{summary}"));
}

#[test]
fn duplicate_ids_warn_and_are_errors_with_strict() {
    let dir = tempdir();
    let stdin = b"{\"id\": \"x\", \"text\": \"Hello\"}\n{\"id\": \"x\", \"text\": \"Bye\"}\n";
    let warned = run(dir.path(), &["tokenize", "-q"], stdin);
    assert!(warned.status.success());
    assert_eq!(ids(&records(&warned)), ["x", "x"]);
    let strict = run(dir.path(), &["tokenize", "-q", "--strict"], stdin);
    insta::assert_snapshot!(format!(
        "without --strict:\n{}\nwith --strict:\n{}",
        String::from_utf8_lossy(&warned.stderr),
        failure(&strict)
    ));
}

#[test]
fn a_hundred_thousand_documents_on_stdin_come_out_once_each_in_order() {
    let dir = tempdir();
    let stdin: String = (0..100_000)
        .map(|i| {
            format!(
                "{}\n",
                serde_json::json!({ "id": format!("doc-{i}"), "text": format!("Report {i} from Baghdad.") })
            )
        })
        .collect();
    let records = run_ok(dir.path(), &["annotate", "--threads", "2"], stdin.as_bytes());
    let expected: Vec<String> = (0..100_000).map(|i| format!("doc-{i}")).collect();
    assert_eq!(ids(&records), expected);
    // Each record is its own document's, not a neighbour's.
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record["text"], format!("Report {i} from Baghdad."));
        assert_eq!(record["spans"][0]["text"], "Baghdad");
    }
}

#[test]
fn convert_from_another_format_writes_records_when_to_is_not_given() {
    // Issue 20: `--from conll` required `--to` although records are the natural
    // target. Without --from, --to stays required (records to records says nothing).
    let dir = tempdir();
    write(dir.path(), "train.conll", "Joe\tB-PER\nBiden\tI-PER\nspoke\tO\n");
    let defaulted = run(dir.path(), &["convert", "--from", "conll", "train.conll"], b"");
    let explicit =
        run(dir.path(), &["convert", "--from", "conll", "--to", "jsonl", "train.conll"], b"");
    assert!(defaulted.status.success(), "{}", failure(&defaulted));
    assert_eq!(defaulted.stdout, explicit.stdout);
    let records = records(&defaulted);
    assert_eq!(records[0]["text"], "Joe Biden spoke");
    assert_eq!(records[0]["spans"][0]["text"], "Joe Biden");
    assert_eq!(records[0]["spans"][0]["label"], "PER");
    let without_from = run(dir.path(), &["convert", "train.conll"], b"");
    assert_eq!(without_from.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&without_from.stderr).contains("--to <FORMAT>"));
}

#[test]
fn a_compiled_gazetteer_is_known_by_its_magic_bytes_whatever_its_name() {
    // Issue 20: a compiled gazetteer renamed (or written over a .tsv by
    // `gazetteer compile -o`) was read as its extension says. `.rgz` stays the
    // convention: a `.rgz` that is not compiled is still refused as such.
    let dir = tempdir();
    write(dir.path(), "people.tsv", "Zorblax Quun\tPERSON\n");
    write(dir.path(), "doc.txt", "Zorblax Quun spoke.");
    let compiled =
        run(dir.path(), &["gazetteer", "compile", "people.tsv", "-o", "people.rgz"], b"");
    assert!(compiled.status.success(), "{}", failure(&compiled));
    let bytes = std::fs::read(dir.path().join("people.rgz")).unwrap();
    for name in ["people.bin", "people", "renamed.tsv", "renamed.jsonl"] {
        write(dir.path(), name, &bytes);
        let records = run_ok(
            dir.path(),
            &["annotate", "-q", "--no-default-gazetteer", "-g", name, "doc.txt"],
            b"",
        );
        assert_eq!(records[0]["spans"][0]["text"], "Zorblax Quun", "{name}");
        assert_eq!(records[0]["spans"][0]["label"], "PERSON", "{name}");
        let stats = run_ok(dir.path(), &["gazetteer", "stats", name], b"");
        assert_eq!(stats[0]["entries"], 1, "{name}");
    }
    write(dir.path(), "not-compiled.rgz", "Zorblax Quun\tPERSON\n");
    let refused = run(dir.path(), &["gazetteer", "stats", "not-compiled.rgz"], b"");
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("not-compiled.rgz: not a compiled gazetteer"), "{message}");
    // A source with no magic bytes is still read by its extension.
    let tsv = run_ok(dir.path(), &["gazetteer", "stats", "people.tsv"], b"");
    assert_eq!(tsv[0]["entries"], 1);
}
