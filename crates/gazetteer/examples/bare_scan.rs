//! The limit that `bench/run.sh` measures rubric against: a bare Aho-Corasick scan
//! with none of rubric's work (no tokenizer, no normalization, no case policy, no
//! records, no output), only a leftmost-longest ASCII-case-insensitive automaton of
//! the gazetteer's patterns and a word-boundary check on each match.
//!
//! ```sh
//! cargo build --release -p rubric-gazetteer --example bare_scan
//! target/release/examples/bare_scan [--daachorse] [--repeat N] GAZETTEER.tsv CORPUS.jsonl
//! ```
//!
//! The engine is the `aho-corasick` crate (`ascii_case_insensitive`, the kind it
//! picks itself) or, with `--daachorse`, daachorse's charwise double array over
//! ASCII-lower-cased patterns and text (lower-casing ASCII keeps byte offsets; the
//! copy of the text is part of the scan time). Prints one JSON object: the time to
//! build the automaton, to read the corpus and the fastest of `N` scans of it (so
//! the scan rate excludes reading and parsing), the bytes of text and the matches
//! kept.

use std::io::BufRead;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, MatchKind};
use daachorse::CharwiseDoubleArrayAhoCorasickBuilder;

#[derive(serde::Deserialize)]
struct Document {
    text: String,
}

const USAGE: &str = "usage: bare_scan [--daachorse] [--repeat N] GAZETTEER.tsv CORPUS.jsonl";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut daachorse = false;
    let mut repeat = 1usize;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--daachorse" => daachorse = true,
            "--repeat" => repeat = args.next().ok_or(USAGE)?.parse()?,
            _ => paths.push(arg),
        }
    }
    let [gazetteer, corpus] = paths.as_slice() else {
        return Err(USAGE.into());
    };

    let started = Instant::now();
    let patterns = read_patterns(gazetteer)?;
    let scanner: Box<dyn Fn(&str) -> usize> = if daachorse {
        let mut lowered: Vec<String> = patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
        lowered.sort_unstable();
        lowered.dedup();
        let automaton = CharwiseDoubleArrayAhoCorasickBuilder::new()
            .match_kind(daachorse::MatchKind::LeftmostLongest)
            .build::<_, _, u32>(lowered)
            .map_err(|error| error.to_string())?;
        Box::new(move |text: &str| {
            let lowered = text.to_ascii_lowercase();
            automaton
                .leftmost_find_iter(&lowered)
                .filter(|found| on_word_boundaries(&lowered, found.start(), found.end()))
                .count()
        })
    } else {
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(true)
            .build(&patterns)?;
        Box::new(move |text: &str| {
            automaton
                .find_iter(text)
                .filter(|found| on_word_boundaries(text, found.start(), found.end()))
                .count()
        })
    };
    let build = started.elapsed();

    let started = Instant::now();
    let texts = read_texts(corpus)?;
    let read = started.elapsed();

    let mut scan = Duration::MAX;
    let mut spans = 0usize;
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        spans = texts.iter().map(|text| scanner(text)).sum();
        scan = scan.min(started.elapsed());
    }

    let report = serde_json::json!({
        "engine": if daachorse { "daachorse" } else { "aho-corasick" },
        "patterns": patterns.len(),
        "documents": texts.len(),
        "text_bytes": texts.iter().map(String::len).sum::<usize>(),
        "build_s": build.as_secs_f64(),
        "read_s": read.as_secs_f64(),
        "scan_s": scan.as_secs_f64(),
        "spans": spans,
    });
    println!("{report}");
    Ok(())
}

/// The first column of every entry line of a rubric TSV gazetteer.
fn read_patterns(path: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut patterns = Vec::new();
    for line in file.lines() {
        let line = line?;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let pattern = line.split('\t').next().unwrap_or_default();
        patterns.push(pattern.to_owned());
    }
    Ok(patterns)
}

fn read_texts(path: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut texts = Vec::new();
    for (number, line) in file.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let document: Document = serde_json::from_str(&line)
            .map_err(|error| format!("{path}:{}: {error}", number + 1))?;
        texts.push(document.text);
    }
    Ok(texts)
}

/// A match counts when no letter or digit touches it on either side, so `Iran`
/// is not found in `Iranian`, but is in `Iran’s` and `Iran-backed`.
fn on_word_boundaries(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}
