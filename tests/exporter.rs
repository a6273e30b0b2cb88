//! The exporter against the article: the record in every unit and every format, as
//! snapshots reviewed by eye; round trips back to the same spans; the schema against
//! every record written here; and `rubric convert` as a user runs it.
//!
//! No gazetteer exists yet, so the article's spans are test data: the entity strings
//! below, found in the text (longest first, on token boundaries, never overlapping).

// Helpers outside `#[test]` functions are test code too (clippy's
// allow-unwrap-in-tests only sees the test functions themselves).
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use rubric_exporter::{
    from_brat, read_docbin, to_brat, ConllReader, ConllWriter, DocBinWriter, DoccanoLayout,
    DoccanoReader, DoccanoWriter, HfReader, HfWriter, Misaligned, Record, RecordReader,
    RecordWriter, Scheme, SpanInput,
};
use rubric_offsets::OffsetUnit;
use rubric_tokenizer::Tokenizer;
use serde_json::Value;

const ARTICLE: &str = include_str!("../corpus/article.txt");

/// The article's entities by label: persons, organizations, places, nationalities.
const GOLD: &[(&str, &[&str])] = &[
    (
        "PERSON",
        &[
            "Joe Biden",
            "Hassan Nasrallah",
            "Nasrallah",
            "Ismail Haniyeh",
            "Daniel Hagari",
            "Mohammed Shia’ al-Sudani",
            "Alina Romanowski",
        ],
    ),
    (
        "ORG",
        &[
            "Coordination Committee of the Iraqi Resistance",
            "Islamic Revolutionary Guard Corps",
            "IRGC",
            "Hezbollah",
            "Hamas",
            "UN",
            "Islamic State",
            "ISIS",
        ],
    ),
    (
        "GPE",
        &[
            "Islamic Republic of Iran",
            "Kurdistan Region",
            "ERBIL",
            "Iran",
            "Iraq",
            "US",
            "Israel",
            "Tehran",
            "Washington",
            "Baghdad",
        ],
    ),
    ("NORP", &["Iraqi", "Iranian", "American", "Israeli", "Zionist"]),
    ("FAC", &["Baghdad International Airport"]),
];

/// Wikidata ids for a few entities, so `kb_id` shows up in the formats that keep it.
const KB_IDS: &[(&str, &str)] =
    &[("Joe Biden", "Q6279"), ("Hezbollah", "Q41053"), ("Iran", "Q794")];

/// The article's record: every occurrence of every gold string that starts and ends
/// on token boundaries, longest strings first, none overlapping another.
fn article_record() -> Record {
    let tokens = Tokenizer::new().tokenize(ARTICLE);
    let starts: std::collections::HashSet<usize> = tokens.iter().map(|t| t.start).collect();
    let ends: std::collections::HashSet<usize> = tokens.iter().map(|t| t.end).collect();
    let mut needles: Vec<(&str, &str)> = GOLD
        .iter()
        .flat_map(|(label, names)| names.iter().map(move |name| (*name, *label)))
        .collect();
    needles.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut spans = Vec::new();
    for (name, label) in needles {
        for (start, _) in ARTICLE.match_indices(name) {
            let end = start + name.len();
            let aligned = starts.contains(&start) && ends.contains(&end);
            if !aligned || taken.iter().any(|&(s, e)| start < e && s < end) {
                continue;
            }
            taken.push((start, end));
            let mut span = SpanInput::new(start, end, label).source("tests/exporter.rs:GOLD");
            if let Some((_, qid)) = KB_IDS.iter().find(|(n, _)| *n == name) {
                span = span.kb_id(*qid);
            }
            spans.push(span);
        }
    }
    Record::new("article", ARTICLE, &tokens, spans).unwrap()
}

fn jsonl(record: &Record, unit: OffsetUnit) -> String {
    let mut writer = RecordWriter::with_unit(Vec::new(), unit);
    writer.write(record).unwrap();
    String::from_utf8(writer.finish().unwrap()).unwrap()
}

/// What every format keeps of a span: its non-space tokens' texts and its label.
fn token_view(record: &Record) -> Vec<(Vec<String>, String)> {
    let text = record.text();
    record
        .spans()
        .iter()
        .map(|span| {
            let tokens = record.tokens()[span.token_start..=span.token_end]
                .iter()
                .filter(|t| !t.is_space(text))
                .map(|t| t.text(text).to_string())
                .collect();
            (tokens, span.label.to_string())
        })
        .collect()
}

fn exact(record: &Record) -> Vec<(usize, usize, String, Option<String>)> {
    record
        .spans()
        .iter()
        .map(|s| (s.start, s.end, s.label.to_string(), s.kb_id.as_deref().map(str::to_string)))
        .collect()
}

/// A JSONL record for review: its id, meta and token count, then one span per line.
fn record_listing(line: &str) -> String {
    let json: Value = serde_json::from_str(line).unwrap();
    let mut out = format!(
        "id: {}\nmeta: {}\ntokens: {}\n",
        json["id"],
        json["meta"],
        json["tokens"].as_array().unwrap().len()
    );
    for span in json["spans"].as_array().unwrap() {
        out.push_str(&format!("{span}\n"));
    }
    out
}

fn schema_validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("../schemas/record.schema.json")).unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
}

/// Checks every line of `jsonl` against schemas/record.schema.json.
fn assert_schema_valid(jsonl: &str) {
    let validator = schema_validator();
    for (n, line) in jsonl.lines().enumerate() {
        let value: Value = serde_json::from_str(line).unwrap();
        let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "line {}: {errors:?}", n + 1);
    }
}

#[test]
fn article_gold_spans_are_what_the_test_means() {
    let record = article_record();
    // Every gold string is found at least once; the nested ones lose to the longer.
    let texts: Vec<&str> = record.spans().iter().map(|s| record.span_text(s)).collect();
    for (_, names) in GOLD {
        for name in *names {
            if *name != "Nasrallah" {
                assert!(texts.contains(name), "{name} not found");
            }
        }
    }
    assert!(!texts.contains(&"Baghdad International"));
    assert!(record.spans().iter().all(|s| record.is_aligned(s)));
}

#[test]
fn article_jsonl_char() {
    let line = jsonl(&article_record(), OffsetUnit::Char);
    assert_schema_valid(&line);
    insta::assert_snapshot!(record_listing(&line));
}

#[test]
fn article_jsonl_offsets_in_every_unit_cut_the_same_text() {
    let record = article_record();
    for unit in [OffsetUnit::Char, OffsetUnit::Byte, OffsetUnit::Utf16] {
        let line = jsonl(&record, unit);
        assert_schema_valid(&line);
        let back: Vec<Record> =
            RecordReader::new("article.jsonl", line.as_bytes()).collect::<Result<_, _>>().unwrap();
        assert_eq!(back, std::slice::from_ref(&record), "{unit}");
        // Independent check of the units: slice the text as each unit counts it.
        let json: Value = serde_json::from_str(&line).unwrap();
        let units: Vec<(usize, usize)> = match unit {
            OffsetUnit::Byte => ARTICLE.char_indices().map(|(i, c)| (i, c.len_utf8())).collect(),
            OffsetUnit::Char => ARTICLE.char_indices().map(|(i, _)| (i, 1)).collect(),
            _ => ARTICLE.char_indices().map(|(i, c)| (i, c.len_utf16())).collect(),
        };
        let byte_at = |offset: u64| {
            let mut count = 0;
            for &(byte, len) in &units {
                if count == offset as usize {
                    return byte;
                }
                count += len;
            }
            ARTICLE.len()
        };
        for span in json["spans"].as_array().unwrap() {
            let (start, end) = (span["start"].as_u64().unwrap(), span["end"].as_u64().unwrap());
            assert_eq!(&ARTICLE[byte_at(start)..byte_at(end)], span["text"].as_str().unwrap());
        }
    }
}

fn conll(record: &Record, scheme: Scheme) -> String {
    let mut writer = ConllWriter::new(Vec::new(), scheme, Misaligned::Error);
    writer.write(record).unwrap();
    String::from_utf8(writer.finish().unwrap()).unwrap()
}

#[test]
fn article_conll_iob2() {
    insta::assert_snapshot!(conll(&article_record(), Scheme::Iob2));
}

#[test]
fn article_conll_iob1() {
    insta::assert_snapshot!(conll(&article_record(), Scheme::Iob1));
}

#[test]
fn article_conll_bioes() {
    insta::assert_snapshot!(conll(&article_record(), Scheme::Bioes));
}

#[test]
fn article_conll_bilou() {
    insta::assert_snapshot!(conll(&article_record(), Scheme::Bilou));
}

#[test]
fn article_brat() {
    let doc = to_brat(&article_record()).unwrap();
    assert_eq!(doc.txt, ARTICLE);
    insta::assert_snapshot!(doc.ann);
}

fn doccano(record: &Record, layout: DoccanoLayout) -> String {
    let mut writer = DoccanoWriter::new(Vec::new(), layout);
    writer.write(record).unwrap();
    String::from_utf8(writer.finish().unwrap()).unwrap()
}

#[test]
fn article_doccano_label() {
    insta::assert_snapshot!(doccano(&article_record(), DoccanoLayout::Label));
}

#[test]
fn article_doccano_entities() {
    insta::assert_snapshot!(doccano(&article_record(), DoccanoLayout::Entities));
}

fn hf(record: &Record) -> (String, String) {
    let mut writer = HfWriter::new(Misaligned::Error);
    writer.write(record).unwrap();
    let (mut data, mut labels) = (Vec::new(), Vec::new());
    writer.finish(&mut data, &mut labels).unwrap();
    (String::from_utf8(data).unwrap(), String::from_utf8(labels).unwrap())
}

#[test]
fn article_hf() {
    let (data, labels) = hf(&article_record());
    insta::assert_snapshot!(format!("{labels}{data}"));
}

fn docbin(record: &Record) -> Vec<u8> {
    let mut writer = DocBinWriter::new(Misaligned::Error);
    writer.write(record).unwrap();
    let mut bytes = Vec::new();
    writer.finish(&mut bytes).unwrap();
    bytes
}

#[test]
fn article_spacy_read_back() {
    // The DocBin is binary; the interop suite loads it with spaCy. Here: what
    // rubric reads back from it, which must be the record itself.
    let record = article_record();
    let back = read_docbin("article.spacy", &docbin(&record)).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].id(), "article");
    assert_eq!(back[0].text(), ARTICLE);
    assert_eq!(back[0].tokens(), record.tokens());
    assert_eq!(exact(&back[0]), exact(&record));
    insta::assert_snapshot!(record_listing(&jsonl(&back[0], OffsetUnit::Char)));
}

#[test]
fn article_round_trips_through_every_format() {
    let record = article_record();
    let view = token_view(&record);
    for scheme in [Scheme::Iob2, Scheme::Iob1, Scheme::Bioes, Scheme::Bilou] {
        let out = conll(&record, scheme);
        let back: Vec<Record> =
            ConllReader::new("a.conll", out.as_bytes()).collect::<Result<_, _>>().unwrap();
        assert_eq!(token_view(&back[0]), view, "{scheme}");
        assert_schema_valid(&jsonl(&back[0], OffsetUnit::Char));
    }
    let (data, labels) = hf(&record);
    let labels: Vec<String> = serde_json::from_str(&labels).unwrap();
    let back: Vec<Record> =
        HfReader::new("a.jsonl", data.as_bytes(), labels).collect::<Result<_, _>>().unwrap();
    assert_eq!(token_view(&back[0]), view);
    for layout in [DoccanoLayout::Label, DoccanoLayout::Entities] {
        let out = doccano(&record, layout);
        let back: Vec<Record> =
            DoccanoReader::new("a.jsonl", out.as_bytes()).collect::<Result<_, _>>().unwrap();
        let spans: Vec<_> = back[0].spans().iter().map(|s| (s.start, s.end, &s.label)).collect();
        let want: Vec<_> = record.spans().iter().map(|s| (s.start, s.end, &s.label)).collect();
        assert_eq!(spans, want, "{layout}");
        assert_schema_valid(&jsonl(&back[0], OffsetUnit::Char));
    }
    let doc = to_brat(&record).unwrap();
    let (back, _) =
        from_brat("article", doc.txt, &doc.ann, "article.ann", &Tokenizer::new()).unwrap();
    assert_eq!(back.tokens(), record.tokens());
    let spans: Vec<_> = back.spans().iter().map(|s| (s.start, s.end, &s.label)).collect();
    let want: Vec<_> = record.spans().iter().map(|s| (s.start, s.end, &s.label)).collect();
    assert_eq!(spans, want);
}

#[test]
fn schema_refuses_what_the_format_forbids() {
    let validator = schema_validator();
    let line = jsonl(&article_record(), OffsetUnit::Char);
    let good: Value = serde_json::from_str(&line).unwrap();
    type Breaking = fn(&mut Value);
    let broken: &[(&str, Breaking)] = &[
        ("no text", |v| {
            v.as_object_mut().unwrap().remove("text");
        }),
        ("no spans", |v| {
            v.as_object_mut().unwrap().remove("spans");
        }),
        ("offsets unit", |v| v["meta"]["offsets"] = Value::from("words")),
        ("negative start", |v| v["spans"][0]["start"] = Value::from(-1)),
        ("label with a space", |v| v["spans"][0]["label"] = Value::from("A B")),
        ("span without label", |v| {
            v["spans"][0].as_object_mut().unwrap().remove("label");
        }),
        ("token without ws", |v| {
            v["tokens"][0].as_object_mut().unwrap().remove("ws");
        }),
        ("kb_id not a string", |v| v["spans"][0]["kb_id"] = Value::from(6279)),
    ];
    // What users' files have (Prodigy's exports, span-only lines) is a record too;
    // the reader keeps every field it does not know where it was.
    let accepted: &[(&str, Breaking)] = &[
        ("no id", |v| {
            v.as_object_mut().unwrap().remove("id");
        }),
        ("unknown top-level field", |v| v["_input_hash"] = Value::from(-1630245114)),
        ("no offsets", |v| {
            v["meta"].as_object_mut().unwrap().remove("offsets");
        }),
        ("unknown span field", |v| v["spans"][0]["score"] = Value::from(0.5)),
        ("unknown token field", |v| v["tokens"][0]["disabled"] = Value::from(true)),
        ("span without text", |v| {
            v["spans"][0].as_object_mut().unwrap().remove("text");
        }),
        ("no tokens", |v| {
            v.as_object_mut().unwrap().remove("tokens");
            for span in v["spans"].as_array_mut().unwrap() {
                span.as_object_mut().unwrap().remove("token_start");
                span.as_object_mut().unwrap().remove("token_end");
            }
        }),
    ];
    assert!(validator.is_valid(&good));
    for (name, breaking) in broken {
        let mut value = good.clone();
        breaking(&mut value);
        assert!(!validator.is_valid(&value), "the schema accepts a record with {name}");
    }
    for (name, changing) in accepted {
        let mut value = good.clone();
        changing(&mut value);
        assert!(validator.is_valid(&value), "the schema refuses a record with {name}");
        // And the reader takes it.
        let line = serde_json::to_string(&value).unwrap();
        let read: Result<Vec<Record>, _> = RecordReader::new("t.jsonl", line.as_bytes()).collect();
        assert!(read.is_ok(), "the reader refuses a record with {name}: {read:?}");
    }
}

#[test]
fn schema_describes_every_field() {
    // Every property in the schema carries a description.
    fn walk(value: &Value, path: &str, missing: &mut Vec<String>) {
        if let Some(properties) = value.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                if property.get("description").is_none() {
                    missing.push(format!("{path}.{name}"));
                }
                walk(property, &format!("{path}.{name}"), missing);
            }
        }
        if let Some(defs) = value.get("$defs").and_then(Value::as_object) {
            for (name, def) in defs {
                walk(def, &format!("{path}.$defs.{name}"), missing);
            }
        }
    }
    let schema: Value =
        serde_json::from_str(include_str!("../schemas/record.schema.json")).unwrap();
    let mut missing = Vec::new();
    walk(&schema, "", &mut missing);
    assert_eq!(missing, Vec::<String>::new());
}

// `rubric convert`, as a user runs it.

fn rubric(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child_stdin = child.stdin.take().unwrap();
    let _ = child_stdin.write_all(stdin);
    drop(child_stdin);
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn article_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("article.jsonl"), jsonl(&article_record(), OffsetUnit::Char))
        .unwrap();
    dir
}

#[test]
fn convert_to_every_text_format_matches_the_library() {
    let dir = article_dir();
    let record = article_record();
    let run = |args: &[&str]| stdout(&rubric(dir.path(), args, b""));
    assert_eq!(run(&["convert", "article.jsonl", "--to", "conll"]), conll(&record, Scheme::Iob2));
    assert_eq!(run(&["convert", "article.jsonl", "--to", "iob1"]), conll(&record, Scheme::Iob1));
    assert_eq!(run(&["convert", "article.jsonl", "--to", "bioes"]), conll(&record, Scheme::Bioes));
    assert_eq!(run(&["convert", "article.jsonl", "--to", "bilou"]), conll(&record, Scheme::Bilou));
    assert_eq!(
        run(&["convert", "article.jsonl", "--to", "doccano"]),
        doccano(&record, DoccanoLayout::Label)
    );
    assert_eq!(
        run(&["convert", "article.jsonl", "--to", "doccano", "--doccano-layout", "entities"]),
        doccano(&record, DoccanoLayout::Entities)
    );
    let utf16 = run(&["convert", "article.jsonl", "--to", "jsonl", "--offsets", "utf16"]);
    assert_eq!(utf16, jsonl(&record, OffsetUnit::Utf16));
    assert_schema_valid(&utf16);
}

#[test]
fn convert_reports_alignment_counts_on_stderr() {
    let dir = article_dir();
    let output = rubric(dir.path(), &["convert", "article.jsonl", "--to", "conll"], b"");
    let record = article_record();
    let spans = record.spans().len();
    let kb_ids = record.spans().iter().filter(|span| span.kb_id.is_some()).count();
    let sources = record.spans().iter().filter(|span| span.source.is_some()).count();
    // And what CoNLL does not keep of the annotated article's spans, said too.
    assert_eq!(
        stderr(&output),
        format!(
            "rubric convert: {spans} span(s): {spans} aligned, 0 expanded, 0 contracted, 0 \
             dropped (--misaligned error)\nrubric convert: left out {kb_ids} span(s)' kb_id, \
             {sources} span(s)' source: conll does not keep them (--to jsonl keeps \
             everything)\n"
        )
    );
}

#[test]
fn convert_reads_stdin_and_every_input_format_back_to_records() {
    let dir = article_dir();
    let record = article_record();
    let run = |args: &[&str], stdin: &[u8]| stdout(&rubric(dir.path(), args, stdin));
    let records = |jsonl: &str| -> Vec<Record> {
        assert_schema_valid(jsonl);
        RecordReader::new("out", jsonl.as_bytes()).collect::<Result<_, _>>().unwrap()
    };
    let input = std::fs::read(dir.path().join("article.jsonl")).unwrap();
    let conll_out = run(&["convert", "--to", "bioes"], &input);
    let back =
        records(&run(&["convert", "--from", "conll", "--to", "jsonl"], conll_out.as_bytes()));
    assert_eq!(token_view(&back[0]), token_view(&record));
    let doccano_out = run(&["convert", "-", "--to", "doccano"], &input);
    let back =
        records(&run(&["convert", "--from", "doccano", "--to", "jsonl"], doccano_out.as_bytes()));
    assert_eq!(back[0].tokens(), record.tokens());
    assert_eq!(token_view(&back[0]), token_view(&record));

    // Files: brat into a directory, spaCy and Hugging Face into files, and back.
    for (to, out) in [("brat", "brat"), ("spacy", "a.spacy"), ("hf", "a.jsonl")] {
        let output = rubric(dir.path(), &["convert", "article.jsonl", "--to", to, "-o", out], b"");
        assert!(output.status.success(), "{to}: {}", stderr(&output));
        assert_eq!(output.stdout, b"");
    }
    let mut listing: Vec<String> = std::fs::read_dir(dir.path().join("brat"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listing.sort();
    assert_eq!(listing, ["article.ann", "article.txt"]);
    assert!(dir.path().join("a.labels.json").is_file());
    for (from, path) in [("brat", "brat"), ("spacy", "a.spacy"), ("hf", "a.jsonl")] {
        let back = records(&run(&["convert", "--from", from, path, "--to", "jsonl"], b""));
        assert_eq!(token_view(&back[0]), token_view(&record), "{from}");
        if from != "hf" {
            assert_eq!(back[0].text(), ARTICLE, "{from}");
            assert_eq!(back[0].id(), "article", "{from}");
        }
    }
}

const MISALIGNED: &str = r#"{"id":"d1","text":"Bidens came","tokens":[{"text":"Bidens","start":0,"end":6,"id":0,"ws":true},{"text":"came","start":7,"end":11,"id":1,"ws":false}],"spans":[{"start":0,"end":5,"token_start":0,"token_end":0,"label":"PERSON","text":"Biden"}],"meta":{"offsets":"char"}}
"#;

#[test]
fn convert_misaligned_policies() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "expand",
            "Bidens B-PERSON\ncame O\n",
            "1 span(s): 0 aligned, 1 expanded, 0 contracted, 0 dropped (--misaligned expand)",
        ),
        (
            "contract",
            "Bidens O\ncame O\n",
            "1 span(s): 0 aligned, 0 expanded, 0 contracted, 1 dropped (--misaligned contract)",
        ),
        (
            "drop",
            "Bidens O\ncame O\n",
            "1 span(s): 0 aligned, 0 expanded, 0 contracted, 1 dropped (--misaligned drop)",
        ),
    ];
    for (policy, tags, report) in cases {
        let output = rubric(
            dir.path(),
            &["convert", "--to", "conll", "--misaligned", policy],
            MISALIGNED.as_bytes(),
        );
        assert_eq!(stdout(&output), format!("-DOCSTART- O\n\n{tags}\n"), "{policy}");
        assert_eq!(stderr(&output), format!("rubric convert: {report}\n"), "{policy}");
    }
}

/// Runs a convert that must fail: exit code 2, nothing on stdout, and the message.
fn convert_error(dir: &Path, args: &[&str], stdin: &[u8]) -> String {
    let output = rubric(dir, args, stdin);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
    stderr(&output)
}

#[test]
fn convert_error_misaligned_names_document_span_and_text() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(convert_error(
        dir.path(),
        &["convert", "--to", "conll"],
        MISALIGNED.as_bytes()
    ));
}

#[test]
fn convert_error_span_text_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let line = MISALIGNED.replace(r#""text":"Biden"}"#, r#""text":"Bided"}"#);
    insta::assert_snapshot!(convert_error(
        dir.path(),
        &["convert", "--to", "jsonl"],
        line.as_bytes()
    ));
}

#[test]
fn convert_error_malformed_json_on_line_two() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!("{MISALIGNED}{{\"id\": \"d2\", \"text\": }}\n");
    let dir_path = dir.path();
    std::fs::write(dir_path.join("in.jsonl"), input).unwrap();
    insta::assert_snapshot!(convert_error(
        dir_path,
        &["convert", "in.jsonl", "--to", "doccano"],
        b""
    ));
}

#[test]
fn convert_error_brat_discontinuous() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.txt"), "Joe Biden spoke").unwrap();
    std::fs::write(dir.path().join("d.ann"), "T1\tPERSON 0 3;4 9\tJoe Biden\n").unwrap();
    insta::assert_snapshot!(convert_error(
        dir.path(),
        &["convert", "--from", "brat", "d.ann", "--to", "jsonl"],
        b""
    ));
}

#[test]
fn convert_error_spacy_needs_an_output_file() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(convert_error(
        dir.path(),
        &["convert", "--to", "spacy"],
        MISALIGNED.as_bytes()
    ));
}

#[test]
fn convert_error_offsets_only_for_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(convert_error(
        dir.path(),
        &["convert", "--to", "conll", "--offsets", "utf16"],
        b""
    ));
}

#[test]
fn convert_failure_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = jsonl(&article_record(), OffsetUnit::Char);
    // A good document, then a bad one: the output file must not appear at all.
    std::fs::write(dir.path().join("in.jsonl"), format!("{good}{MISALIGNED}")).unwrap();
    for (to, out) in [
        ("conll", "out.conll"),
        ("spacy", "out.spacy"),
        ("hf", "out.jsonl"),
        ("jsonl", "out.jsonl"),
    ] {
        let mut args = vec!["convert", "in.jsonl", "--to", to, "-o", out];
        if to == "jsonl" {
            // jsonl keeps misaligned spans; make the second line fail another way.
            std::fs::write(dir.path().join("in2.jsonl"), format!("{good}{{oops\n")).unwrap();
            args[1] = "in2.jsonl";
        }
        let message = convert_error(dir.path(), &args, b"");
        assert!(message.starts_with("error: "), "{message}");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with("in"))
            .collect();
        left.sort();
        assert_eq!(left, Vec::<String>::new(), "{to}");
    }
    // brat keeps misaligned spans; two documents with one id make one file name.
    std::fs::write(dir.path().join("in3.jsonl"), format!("{good}{good}")).unwrap();
    let message =
        convert_error(dir.path(), &["convert", "in3.jsonl", "--to", "brat", "-o", "brat"], b"");
    assert!(message.contains("it makes the same file name (article.txt)"), "{message}");
    assert_eq!(std::fs::read_dir(dir.path().join("brat")).unwrap().count(), 0);
}

#[test]
fn convert_help_has_examples() {
    let dir = tempfile::tempdir().unwrap();
    let help = stdout(&rubric(dir.path(), &["convert", "--help"], b""));
    assert!(help.contains("Examples:\n  rubric convert records.jsonl --to conll > train.conll"));
    assert!(help.contains("--misaligned <POLICY>"));
}
