//! `rubric show` and `rubric annotate` on a terminal: the view for people, run as a
//! user runs it, in a pipe and under a pseudo-terminal (`script`, from util-linux:
//! Debian's `bsdutils`, an Essential package, so on every Debian system).
//!
//! Snapshots show the colour view with every ESC written as `␛`, so that the
//! escape sequences can be read and reviewed.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{failure, run, tempdir, write};

/// A gazetteer with nested and crossing names, and a text with a terminal escape
/// sequence in it (which must reach the terminal escaped, never raw).
const TSV: &str = "Joe Biden\tPERSON\nBiden\tPERSON\nBiden administration\tORG\nBaghdad\tGPE\n\
                   New York City\tGPE\nCity Hall\tFAC\n";
const TEXT: &str = "The Biden administration said Joe Biden flew to Baghdad.\n\
                    New York City Hall was \u{1b}[31mred\u{1b}[0m\u{1b}]0;owned\u{7} today.\n";

/// A directory with `doc.txt`, `names.tsv` and `doc.jsonl`, the text annotated
/// with the names (every overlap kept).
fn fixture() -> tempfile::TempDir {
    let dir = tempdir();
    write(dir.path(), "doc.txt", TEXT);
    write(dir.path(), "names.tsv", TSV);
    let annotated = run(dir.path(), &annotate_args(&["-o", "doc.jsonl"]), b"");
    assert!(annotated.status.success(), "{}", failure(&annotated));
    dir
}

fn annotate_args<'a>(more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "annotate",
        "-q",
        "--no-default-gazetteer",
        "--no-aliases",
        "--no-rules",
        "--overlaps",
        "all",
        "-g",
        "names.tsv",
        "doc.txt",
    ];
    args.extend_from_slice(more);
    args
}

/// Runs `rubric args...` in `dir` with a pseudo-terminal as its standard output
/// and standard error (both come back here, in the order written), as a user at
/// a colour terminal runs it. Returns the exit code and what the terminal got,
/// with the terminal's `\r\n` line ends made `\n` again.
fn in_terminal(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_rubric"))
        .chain(args.iter().copied())
        .map(|arg| {
            assert!(!arg.contains('\''), "the test quotes arguments with ': {arg}");
            format!("'{arg}'")
        })
        .collect();
    let mut command = Command::new("script");
    // -q: no "Script started" lines; -e: rubric's exit code; -c: the command;
    // /dev/null: no typescript file.
    command.args(["-q", "-e", "-c", &quoted.join(" "), "/dev/null"]).current_dir(dir);
    for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "CI"] {
        command.env_remove(name);
    }
    command.env("TERM", "xterm-256color");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("`script` runs (util-linux; Debian: apt-get install bsdutils)");
    let shown = String::from_utf8(output.stdout).expect("the terminal got UTF-8");
    (output.status.code(), shown.replace("\r\n", "\n"))
}

/// The escape character made visible, for snapshots and messages.
fn visible(shown: &str) -> String {
    shown.replace('\u{1b}', "␛").replace('\u{7}', "␇")
}

/// Whether the terminal output holds an escape sequence that did not come from
/// rubric's own styling: rubric writes only SGR sequences (`ESC [ ... m`).
fn raw_escapes_other_than_sgr(shown: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in shown.match_indices('\u{1b}') {
        let rest = &shown[i + 1..];
        let sgr = rest.strip_prefix('[').and_then(|rest| {
            let end = rest.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
            rest[end..].starts_with('m').then_some(())
        });
        if sgr.is_none() {
            found.push(visible(&shown[i..(i + 12).min(shown.len())]));
        }
    }
    found
}

#[test]
fn show_writes_brackets_to_a_pipe() {
    let dir = fixture();
    let output = run(dir.path(), &["show", "doc.jsonl"], b"");
    assert!(output.status.success(), "{}", failure(&output));
    let shown = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(!shown.contains('\u{1b}'), "no raw ESC in a pipe: {}", visible(&shown));
    insta::assert_snapshot!("show_plain", shown);
}

#[test]
fn show_on_a_terminal_highlights_each_label_in_its_colour() {
    let dir = fixture();
    let (code, shown) = in_terminal(dir.path(), &["show", "doc.jsonl"], &[]);
    assert_eq!(code, Some(0), "{shown}");
    // The document's own escape sequences reach the terminal escaped: every ESC
    // left is rubric's colour.
    assert_eq!(raw_escapes_other_than_sgr(&shown), Vec::<String>::new());
    assert!(shown.contains("\\u{1b}[31mred\\u{1b}[0m\\u{1b}]0;owned\\u{7}"), "{shown}");
    // Colours go to the labels in alphabetical order: FAC, GPE, ORG, PERSON.
    assert!(shown.contains("\u{1b}[30m\u{1b}[103mCity Hall\u{1b}[1m\u{1b}[30m\u{1b}[103m FAC"));
    assert!(shown.contains("\u{1b}[30m\u{1b}[106mBaghdad\u{1b}[1m\u{1b}[30m\u{1b}[106m GPE"));
    insta::assert_snapshot!("show_terminal", visible(&shown));
}

#[test]
fn show_without_colour_on_a_terminal_is_the_pipe_view() {
    let dir = fixture();
    let piped = run(dir.path(), &["show", "doc.jsonl"], b"");
    let piped = String::from_utf8(piped.stdout).expect("UTF-8");
    let never = in_terminal(dir.path(), &["show", "--color", "never", "doc.jsonl"], &[]);
    assert_eq!(never, (Some(0), piped.clone()));
    // NO_COLOR (no-color.org) turns `auto` off, as in every tool that follows it.
    let no_color = in_terminal(dir.path(), &["show", "doc.jsonl"], &[("NO_COLOR", "1")]);
    assert_eq!(no_color, (Some(0), piped.clone()));
    // And --color always colours a pipe (for `less -R`).
    let always = run(dir.path(), &["show", "--color", "always", "doc.jsonl"], b"");
    let always = String::from_utf8(always.stdout).expect("UTF-8");
    let (_, terminal) = in_terminal(dir.path(), &["show", "doc.jsonl"], &[]);
    assert_eq!(always, terminal);
}

#[test]
fn show_labels_keeps_only_those_and_refuses_a_label_no_span_has() {
    let dir = fixture();
    let output = run(dir.path(), &["show", "--labels", "GPE,FAC", "doc.jsonl"], b"");
    assert!(output.status.success(), "{}", failure(&output));
    let shown = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(shown.contains("flew to [Baghdad](GPE)."), "{shown}");
    assert!(shown.contains("The Biden administration said Joe Biden flew"), "{shown}");
    assert!(!shown.contains("PERSON") && !shown.contains("ORG"), "{shown}");

    let wrong_case = run(dir.path(), &["show", "--labels", "gpe", "doc.jsonl"], b"");
    assert_eq!(wrong_case.status.code(), Some(2));
    let message = String::from_utf8_lossy(&wrong_case.stderr);
    assert!(
        message.contains(
            "--labels: no span has the label \"gpe\" — the input's labels are \"FAC\", \"GPE\", \
             \"ORG\", \"PERSON\""
        ),
        "{message}"
    );
    assert!(wrong_case.stdout.is_empty());
}

#[test]
fn show_reads_any_format_convert_reads() {
    let dir = tempdir();
    write(dir.path(), "train.conll", "Joe\tB-PER\nBiden\tI-PER\nspoke\tO\n\nIraq\tB-LOC\n");
    let output = run(dir.path(), &["show", "--from", "conll", "train.conll"], b"");
    assert!(output.status.success(), "{}", failure(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        // A blank line ends a sentence, not a document: the sentences of one
        // document are its lines.
        "# train.conll:1\n[Joe Biden](PER) spoke\n[Iraq](LOC)\n\n"
    );
    // Records from standard input, the default format.
    let records = run(dir.path(), &["convert", "--from", "conll", "train.conll"], b"");
    let from_stdin = run(dir.path(), &["show"], &records.stdout);
    assert_eq!(from_stdin.stdout, output.stdout);
}

#[test]
fn annotate_on_a_terminal_shows_the_view_with_a_hint() {
    let dir = fixture();
    let (code, shown) = in_terminal(dir.path(), &annotate_args(&[]), &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert_eq!(raw_escapes_other_than_sgr(&shown), Vec::<String>::new());
    let (hint, view) = shown.split_once('\n').expect("a hint line first");
    assert!(hint.contains("to a pipe or a file (-o FILE) annotate writes them as JSON Lines"));
    // The view is `rubric show`'s, but colours go to labels as they come.
    assert!(view.starts_with("\u{1b}[1m# doc\u{1b}[0m\n"), "{}", visible(view));
    insta::assert_snapshot!("annotate_terminal", visible(&shown));
}

#[test]
fn annotate_to_a_terminal_with_o_or_format_writes_what_a_pipe_gets() {
    // Piped and -o output stay what they were: only a terminal with neither -o
    // nor --format gets the view.
    let dir = fixture();
    let piped = run(dir.path(), &annotate_args(&[]), b"");
    assert!(piped.status.success(), "{}", failure(&piped));
    let piped_line = String::from_utf8(piped.stdout).expect("UTF-8");
    assert!(piped_line.starts_with("{\"id\":\"doc\""), "{piped_line}");
    let (code, shown) = in_terminal(dir.path(), &annotate_args(&["--format", "jsonl"]), &[]);
    assert_eq!((code, shown), (Some(0), piped_line.clone()));
    let (code, shown) = in_terminal(dir.path(), &annotate_args(&["-o", "out.jsonl"]), &[]);
    assert_eq!((code, shown.as_str()), (Some(0), ""));
    let written = std::fs::read_to_string(dir.path().join("out.jsonl")).expect("out.jsonl");
    assert_eq!(written, piped_line);
    // --explain asks for the trace, which only records carry.
    let (_, explained) = in_terminal(dir.path(), &annotate_args(&["--explain"]), &[]);
    assert!(explained.starts_with("{\"id\":\"doc\""), "{explained}");
}

#[test]
fn no_progress_bar_is_drawn_over_output_on_the_same_terminal() {
    // The bar's redraws clear the lines they think are the bar's; with the view
    // (or JSON Lines) on the same terminal they would clear the output.
    let dir = fixture();
    let args: Vec<&str> = annotate_args(&[]).into_iter().filter(|arg| *arg != "-q").collect();
    let (code, shown) = in_terminal(dir.path(), &args, &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(!shown.contains("\u{1b}[2K") && !shown.contains('░'), "{}", visible(&shown));
    let last = shown.lines().last().unwrap_or_default();
    assert!(last.starts_with("rubric: 1 document read, 1 written, 0 skipped; 7 spans"), "{last}");
}
