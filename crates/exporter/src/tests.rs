//! The crate's invariants: records survive writing and reading in every unit, every
//! converter gives back the spans it was given, and every bad input is an error that
//! says where.

use proptest::prelude::*;
use rubric_offsets::OffsetUnit;
use rubric_tokenizer::Tokenizer;

use crate::*;

/// A record of `text` with a span on each `(needle, label)`: the needle's first
/// occurrence at or after the previous needle's start.
fn record(text: &str, spans: &[(&str, &str)]) -> Record {
    let mut from = 0;
    let inputs = spans
        .iter()
        .map(|(needle, label)| {
            let start = from + text[from..].find(needle).expect("needle in text");
            from = start;
            SpanInput::new(start, start + needle.len(), *label)
        })
        .collect();
    Record::tokenize("doc", text, &Tokenizer::new(), inputs).unwrap()
}

/// What every format keeps of a span: the texts of the non-space tokens it covers,
/// and its label.
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

/// schemas/record.schema.json, compiled once for the whole run.
fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../schemas/record.schema.json")).unwrap();
        jsonschema::draft202012::new(&schema).unwrap()
    })
}

/// The records as JSON Lines; every line written is checked against the schema.
fn jsonl(records: &[Record], unit: OffsetUnit) -> String {
    let mut writer = RecordWriter::with_unit(Vec::new(), unit);
    for record in records {
        writer.write(record).unwrap();
    }
    let out = String::from_utf8(writer.finish().unwrap()).unwrap();
    for line in out.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let errors: Vec<String> = schema().iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{line}");
    }
    out
}

#[test]
fn the_format_example_on_record_is_valid_and_written_back_the_same() {
    // The doc comment of `Record` is the specification; its example must be a
    // record the schema accepts, the reader reads, and the writer writes back as is.
    let source = include_str!("record.rs");
    let example = source
        .lines()
        .find_map(|line| line.strip_prefix("/// {\"id\""))
        .map(|rest| format!("{{\"id\"{rest}"))
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&example).unwrap();
    assert!(schema().is_valid(&value));
    let records = read_jsonl(&example).unwrap();
    assert_eq!(jsonl(&records, OffsetUnit::Char), format!("{example}\n"));
}

fn read_jsonl(input: &str) -> Result<Vec<Record>, Error> {
    RecordReader::new("t.jsonl", input.as_bytes()).collect()
}

fn conll(records: &[Record], scheme: Scheme, policy: Misaligned) -> Result<String, Error> {
    let mut writer = ConllWriter::new(Vec::new(), scheme, policy);
    for record in records {
        writer.write(record)?;
    }
    Ok(String::from_utf8(writer.finish()?).unwrap())
}

fn via_conll(records: &[Record], scheme: Scheme) -> Vec<Record> {
    let out = conll(records, scheme, Misaligned::Error).unwrap();
    ConllReader::new("t.conll", out.as_bytes()).collect::<Result<_, _>>().unwrap()
}

fn via_hf(records: &[Record]) -> Vec<Record> {
    let mut writer = HfWriter::new(Misaligned::Error);
    for record in records {
        writer.write(record).unwrap();
    }
    let labels = writer.label_list();
    let (mut data, mut list) = (Vec::new(), Vec::new());
    writer.finish(&mut data, &mut list).unwrap();
    let parsed: Vec<String> = serde_json::from_slice(&list).unwrap();
    assert_eq!(parsed, labels);
    HfReader::new("t.jsonl", data.as_slice(), parsed).collect::<Result<_, _>>().unwrap()
}

fn via_docbin(records: &[Record]) -> Vec<Record> {
    let mut writer = DocBinWriter::new(Misaligned::Error);
    for record in records {
        writer.write(record).unwrap();
    }
    let mut bytes = Vec::new();
    writer.finish(&mut bytes).unwrap();
    read_docbin("t.spacy", &bytes).unwrap()
}

fn via_doccano(records: &[Record], layout: DoccanoLayout) -> Vec<Record> {
    let mut writer = DoccanoWriter::new(Vec::new(), layout);
    for record in records {
        writer.write(record).unwrap();
    }
    let out = writer.finish().unwrap();
    DoccanoReader::new("t.jsonl", out.as_slice()).collect::<Result<_, _>>().unwrap()
}

fn via_brat(records: &[Record]) -> Vec<Record> {
    records
        .iter()
        .map(|record| {
            let doc = to_brat(record).unwrap();
            from_brat(record.id(), doc.txt, &doc.ann, "t.ann", &Tokenizer::new()).unwrap().0
        })
        .collect()
}

/// Spans as offsets and labels, which formats that keep the text must give back.
fn exact(record: &Record) -> Vec<(usize, usize, String)> {
    record.spans().iter().map(|s| (s.start, s.end, s.label.to_string())).collect()
}

const NEWS: &str = "US President Joe Biden met Iran’s IRGC in Baghdad.\n\
                    Mr. Smith of the United Nations spoke 🦀 twice.";

fn news() -> Record {
    record(
        NEWS,
        &[
            ("US", "GPE"),
            ("Joe Biden", "PERSON"),
            ("Iran", "GPE"),
            ("IRGC", "ORG"),
            ("Baghdad", "GPE"),
            ("Mr. Smith", "PERSON"),
            ("United Nations", "ORG"),
        ],
    )
}

#[test]
fn every_format_gives_back_the_spans_of_a_news_record() {
    let records = [news(), record("Nothing here.", &[])];
    let views: Vec<_> = records.iter().map(token_view).collect();
    assert_eq!(read_jsonl(&jsonl(&records, OffsetUnit::Char)).unwrap(), records);
    for scheme in [Scheme::Iob2, Scheme::Iob1, Scheme::Bioes, Scheme::Bilou] {
        let back: Vec<_> = via_conll(&records, scheme).iter().map(token_view).collect();
        assert_eq!(back, views, "{scheme}");
    }
    assert_eq!(via_hf(&records).iter().map(token_view).collect::<Vec<_>>(), views);
    for back in [
        via_docbin(&records),
        via_brat(&records),
        via_doccano(&records, DoccanoLayout::Label),
        via_doccano(&records, DoccanoLayout::Entities),
    ] {
        assert_eq!(
            back.iter().map(exact).collect::<Vec<_>>(),
            records.iter().map(exact).collect::<Vec<_>>()
        );
        assert_eq!(back.iter().map(Record::text).collect::<Vec<_>>(), [NEWS, "Nothing here."]);
    }
}

#[test]
fn docbin_keeps_ids_tokens_spaces_and_kb_ids() {
    let text = "Joe Biden\n\nvisited  Kyiv.";
    let at = |needle: &str| text.find(needle).unwrap();
    let record = Record::tokenize(
        "doc-7",
        text,
        &Tokenizer::new(),
        vec![
            SpanInput::new(0, 9, "PERSON").kb_id("Q6279"),
            SpanInput::new(at("Kyiv"), at("Kyiv") + 4, "GPE"),
        ],
    )
    .unwrap();
    let back = via_docbin(std::slice::from_ref(&record));
    assert_eq!(back[0].id(), "doc-7");
    assert_eq!(back[0].tokens(), record.tokens());
    assert_eq!(back[0].spans()[0].kb_id.as_deref(), Some("Q6279"));
    assert_eq!(exact(&back[0]), exact(&record));
}

#[test]
fn spacy_string_ids_use_symbols_and_murmurhash() {
    // Symbols are small fixed ids (spacy/symbols.pyx); other strings are hashed.
    assert_eq!(spacy_string_id(""), 0);
    assert_eq!(spacy_string_id("PERSON"), 380);
    assert_eq!(spacy_string_id("ORTH"), 65);
    assert!(spacy_string_id("IRGC") > 10_000);
    assert_ne!(spacy_string_id("IRGC"), spacy_string_id("IRGc"));
}

#[test]
fn spacy_string_id_matches_spacys_documented_hash() {
    // spaCy's documentation ("Vocab, hashes and lexemes") gives this hash.
    assert_eq!(spacy_string_id("coffee"), 3197928453018144401);
}

macro_rules! scheme_cases {
    ($($name:ident: $scheme:expr, $text:expr, $spans:expr => $tags:expr;)*) => {$(
        #[test]
        fn $name() {
            let out = conll(&[record($text, &$spans)], $scheme, Misaligned::Error).unwrap();
            let tags: Vec<&str> = out
                .lines()
                .skip(2)
                .filter(|line| !line.is_empty())
                .map(|line| line.rsplit(' ').next().unwrap())
                .collect();
            assert_eq!(tags.join(" "), $tags);
        }
    )*};
}

scheme_cases! {
    iob2_begins_every_entity: Scheme::Iob2, "Joe Biden met Xi", [("Joe Biden", "PER"), ("Xi", "PER")] => "B-PER I-PER O B-PER";
    iob1_begins_only_glued_entities: Scheme::Iob1, "Joe Biden Xi met", [("Joe Biden", "PER"), ("Xi", "PER")] => "I-PER I-PER B-PER O";
    iob1_other_label_is_not_glued: Scheme::Iob1, "Joe Iran met", [("Joe", "PER"), ("Iran", "GPE")] => "I-PER I-GPE O";
    bioes_marks_ends_and_singles: Scheme::Bioes, "Joe R. Biden met Xi", [("Joe R. Biden", "PER"), ("Xi", "PER")] => "B-PER I-PER E-PER O S-PER";
    bilou_marks_last_and_units: Scheme::Bilou, "Joe Biden met Xi", [("Joe Biden", "PER"), ("Xi", "PER")] => "B-PER L-PER O U-PER";
}

#[test]
fn conll_writes_docstart_and_one_blank_line_per_sentence() {
    let out = conll(
        &[record("Hi Joe. Bye.\n\nNew line", &[("Joe", "PER")])],
        Scheme::Iob2,
        Misaligned::Error,
    )
    .unwrap();
    assert_eq!(out, "-DOCSTART- O\n\nHi O\nJoe B-PER\n. O\n\nBye O\n. O\n\nNew O\nline O\n\n");
}

#[test]
fn conll_never_splits_a_sentence_inside_a_span() {
    // The splitter ends a sentence after "Dr."; the span holds the two together.
    let text = "Ask Dr. Who now.";
    let out =
        conll(&[record(text, &[("Dr. Who", "PER")])], Scheme::Iob2, Misaligned::Error).unwrap();
    assert!(out.contains("Dr. B-PER\nWho I-PER\n"), "{out}");
}

macro_rules! misaligned_cases {
    ($($name:ident: $policy:expr, $text:expr, $needle:expr => $expect:expr, $report:expr;)*) => {$(
        #[test]
        fn $name() {
            let result = conll(&[record($text, &[($needle, "X")])], Scheme::Iob2, $policy);
            let mut writer = ConllWriter::new(Vec::new(), Scheme::Iob2, $policy);
            let _ = writer.write(&record($text, &[($needle, "X")]));
            match result {
                Ok(out) => {
                    let tagged: Vec<&str> = out
                        .lines()
                        .filter(|l| l.ends_with("-X"))
                        .map(|l| l.split(' ').next().unwrap())
                        .collect();
                    assert_eq!(tagged.join(" "), $expect);
                }
                Err(err) => assert!(err.to_string().contains($expect), "{err}"),
            }
            let r = writer.report();
            assert_eq!((r.aligned, r.expanded, r.contracted, r.dropped), $report);
        }
    )*};
}

misaligned_cases! {
    misaligned_error_names_document_span_and_text: Misaligned::Error, "Joe Bidens", "Joe Biden" => "document \"doc\", span 0 [0, 9) X \"Joe Biden\": the span does not start and end on token boundaries", (0, 0, 0, 0);
    misaligned_expand_grows_to_tokens: Misaligned::Expand, "Joe Bidens came", "Joe Biden" => "Joe Bidens", (0, 1, 0, 0);
    misaligned_contract_shrinks_to_tokens: Misaligned::Contract, "Joe Bidens came", "Joe Biden" => "Joe", (0, 0, 1, 0);
    misaligned_contract_drops_what_holds_no_token: Misaligned::Contract, "Bidens came", "Biden" => "", (0, 0, 0, 1);
    misaligned_drop_leaves_it_out: Misaligned::Drop, "Joe Bidens came", "Joe Biden" => "", (0, 0, 0, 1);
    aligned_spans_are_counted_as_aligned: Misaligned::Error, "Joe Biden came", "Joe Biden" => "Joe Biden", (1, 0, 0, 0);
}

#[test]
fn token_formats_refuse_overlapping_spans_and_text_formats_keep_them() {
    let both =
        record("the United Nations agency", &[("United Nations", "ORG"), ("Nations", "ORG")]);
    let err = conll(std::slice::from_ref(&both), Scheme::Iob2, Misaligned::Error).unwrap_err();
    assert!(err.to_string().contains("overlaps"), "{err}");
    assert!(matches!(err.kind, ErrorKind::Overlapping { .. }));
    assert!(DocBinWriter::new(Misaligned::Error).write(&both).is_err());
    assert_eq!(exact(&via_brat(std::slice::from_ref(&both))[0]), exact(&both));
    assert_eq!(via_doccano(std::slice::from_ref(&both), DoccanoLayout::Label)[0].spans().len(), 2);
}

macro_rules! offset_cases {
    ($($name:ident: $unit:expr, $text:expr, $needle:expr => $start:expr, $end:expr;)*) => {$(
        #[test]
        fn $name() {
            let record = record($text, &[($needle, "X")]);
            let line = jsonl(std::slice::from_ref(&record), $unit);
            let json: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(json["meta"]["offsets"], $unit.as_str());
            assert_eq!((json["spans"][0]["start"].as_u64(), json["spans"][0]["end"].as_u64()), (Some($start), Some($end)));
            assert_eq!(read_jsonl(&line).unwrap(), [record]);
        }
    )*};
}

offset_cases! {
    offsets_char_count_an_emoji_once: OffsetUnit::Char, "🦀 Iraq", "Iraq" => 2, 6;
    offsets_utf16_count_an_emoji_twice: OffsetUnit::Utf16, "🦀 Iraq", "Iraq" => 3, 7;
    offsets_byte_count_an_emoji_four_times: OffsetUnit::Byte, "🦀 Iraq", "Iraq" => 5, 9;
    offsets_char_count_accents_once: OffsetUnit::Char, "Zoë in Köln", "Köln" => 7, 11;
}

const TEXT: &str = r#""text":"Hi Iraq","tokens":[{"text":"Hi","start":0,"end":2,"id":0,"ws":true},{"text":"Iraq","start":3,"end":7,"id":1,"ws":false}]"#;

macro_rules! reader_error_cases {
    ($($name:ident: $line:expr => $location:expr, $message:expr;)*) => {$(
        #[test]
        fn $name() {
            let line: String = $line.replace("TEXT", TEXT);
            let err = read_jsonl(&format!("\n{line}\n")).unwrap_err();
            let shown = err.to_string();
            assert!(shown.starts_with($location), "{shown}");
            assert!(shown.contains($message), "{shown}");
        }
    )*};
}

reader_error_cases! {
    reader_malformed_json: r#"{"id":"a", TEXT"# => "t.jsonl:2:", "malformed JSON";
    reader_not_an_object: "[1]" => "t.jsonl:2", "expected an object";
    reader_missing_text: r#"{"id":"a","tokens":[],"spans":[]}"# => "t.jsonl:2:1", "has no \"text\" field";
    reader_missing_spans: r#"{"id":"a",TEXT}"# => "t.jsonl:2:1", "has no \"spans\" field";
    reader_wrong_type: r#"{"id":7,TEXT,"spans":[]}"# => "t.jsonl:2:7", "\"id\" of the record is a number, expected a string";
    reader_span_text_mismatch: r#"{"id":"a",TEXT,"spans":[{"start":3,"end":7,"token_start":1,"token_end":1,"label":"GPE","text":"Iran"}]}"# => "t.jsonl:2:", "\"text\" is \"Iran\" but the offsets cut out \"Iraq\"";
    reader_span_reversed: r#"{"id":"a",TEXT,"spans":[{"start":7,"end":3,"token_start":1,"token_end":1,"label":"GPE","text":""}]}"# => "t.jsonl:2:", "span 0 [7, 3) GPE";
    reader_span_out_of_range: r#"{"id":"a",TEXT,"spans":[{"start":3,"end":9,"token_start":1,"token_end":1,"label":"GPE","text":"Iraq"}]}"# => "t.jsonl:2:", "past the end of the text";
    reader_token_mismatch: r#"{"id":"a",TEXT,"spans":[{"start":3,"end":7,"token_start":0,"token_end":1,"label":"GPE","text":"Iraq"}]}"# => "t.jsonl:2:", "(token_start, token_end) is (0, 1) but the span's offsets cover tokens (1, 1)";
    reader_duplicate_span: r#"{"id":"a",TEXT,"spans":[{"start":3,"end":7,"token_start":1,"token_end":1,"label":"GPE","text":"Iraq"},{"start":3,"end":7,"token_start":1,"token_end":1,"label":"GPE","text":"Iraq"}]}"# => "t.jsonl:2:", "occurs twice";
    reader_bad_label: r#"{"id":"a",TEXT,"spans":[{"start":3,"end":7,"token_start":1,"token_end":1,"label":"A B","text":"Iraq"}]}"# => "t.jsonl:2:", "no spaces";
    reader_token_index_without_tokens: r#"{"id":"a","text":"Hi Iraq","spans":[{"start":3,"end":7,"token_end":1,"label":"GPE"}]}"# => "t.jsonl:2:68", "span 0 has \"token_end\" but the record has no \"tokens\"";
    reader_span_without_text_out_of_range: r#"{"text":"Hi Iraq","spans":[{"start":3,"end":8,"label":"GPE"}]}"# => "t.jsonl:2:28", "past the end";
    reader_unknown_unit: r#"{"id":"a",TEXT,"spans":[],"meta":{"offsets":"words"}}"# => "t.jsonl:2:", "meta.offsets is \"words\"";
    reader_token_text_mismatch: r#"{"id":"a","text":"Hi Iraq","tokens":[{"text":"Ho","start":0,"end":2,"id":0,"ws":true},{"text":"Iraq","start":3,"end":7,"id":1,"ws":false}],"spans":[]}"# => "t.jsonl:2:", "its \"text\" is \"Ho\"";
    reader_tokens_leave_a_gap: r#"{"id":"a","text":"Hi Iraq","tokens":[{"text":"Hi","start":0,"end":2,"id":0,"ws":false},{"text":"Iraq","start":3,"end":7,"id":1,"ws":false}],"spans":[]}"# => "t.jsonl:2", "without gaps or overlaps";
    reader_meta_collision: r#"{"id":"a",TEXT,"spans":[],"lang":"en","meta":{"lang":"de"}}"# => "t.jsonl:2:", "top-level field \"lang\"";
    reader_top_level_offsets_collide: r#"{"id":"a",TEXT,"spans":[],"offsets":"x"}"# => "t.jsonl:2:", "top-level field \"offsets\"";
    reader_null_kb_id: r#"{"id":"a",TEXT,"spans":[{"start":3,"end":7,"token_start":1,"token_end":1,"label":"GPE","text":"Iraq","kb_id":null}]}"# => "t.jsonl:2:", "\"kb_id\" of the span 0 is null, expected a string";
    reader_null_meta: r#"{"id":"a",TEXT,"spans":[],"meta":null}"# => "t.jsonl:2:", "\"meta\" of the record is null, expected an object";
    // serde_json would keep the last "spans" and lose the first without a word.
    reader_duplicate_key_is_an_error: r#"{"id":"a",TEXT,"spans":[],"spans":7}"# => "t.jsonl:2:", "the key \"spans\" appears twice in one object";
    reader_duplicate_key_inside_a_span: r#"{"id":"a",TEXT,"spans":[{"start":3,"end":7,"token_start":1,"token_end":1,"label":"GPE","label":"ORG","text":"Iraq"}]}"# => "t.jsonl:2:", "the key \"label\" appears twice";
    reader_float_offset: r#"{"id":"a",TEXT,"spans":[{"start":3.0,"end":7,"token_start":1,"token_end":1,"label":"GPE","text":"Iraq"}]}"# => "t.jsonl:2:", "expected a non-negative integer";
    reader_unknown_token_kind: r#"{"id":"a","text":"Hi","tokens":[{"text":"Hi","start":0,"end":2,"id":0,"ws":false,"kind":"verb"}],"spans":[]}"# => "t.jsonl:2:", "its \"kind\" is not a token kind: unknown variant `verb`";
}

#[test]
fn reader_accepts_the_token_kind_rubric_tokenize_writes() {
    // `rubric tokenize`'s tokens are a record's tokens; `kind` is optional, and
    // kept with its token like any other field a token carries (nothing lost).
    let with_kind = r#"{"id":"a","text":"Hi Iraq","tokens":[{"text":"Hi","start":0,"end":2,"id":0,"ws":true,"kind":"word"},{"text":"Iraq","start":3,"end":7,"id":1,"ws":false,"kind":"word"}],"spans":[],"meta":{"offsets":"char"}}"#;
    let without = format!(r#"{{"id":"a",{TEXT},"spans":[],"meta":{{"offsets":"char"}}}}"#);
    assert!(schema().is_valid(&serde_json::from_str(with_kind).unwrap()));
    let read = read_jsonl(with_kind).unwrap();
    let plain = read_jsonl(&without).unwrap();
    assert_eq!(
        (read[0].text(), read[0].tokens(), read[0].spans()),
        (plain[0].text(), plain[0].tokens(), plain[0].spans())
    );
    let mut written = Vec::new();
    read[0].write_json_line(OffsetUnit::Char, &mut written).unwrap();
    assert_eq!(String::from_utf8(written).unwrap(), format!("{with_kind}\n"));
}

#[test]
fn reader_reports_invalid_utf8_with_its_offset() {
    let err =
        RecordReader::new("t.jsonl", &b"\n{\"id\":\"\xff\"}\n"[..]).next().unwrap().unwrap_err();
    assert_eq!(
        err.to_string().split(" — ").next().unwrap(),
        "t.jsonl:2:8: invalid UTF-8 at byte offset 8"
    );
}

#[test]
fn from_json_line_reads_each_line_as_the_reader_does() {
    let valid = format!(r#"{{"id":"a",{TEXT},"spans":[]}}"#);
    let mismatch = format!(
        r#"{{"id":"b",{TEXT},"spans":[{{"start":3,"end":7,"token_start":1,"token_end":1,"label":"GPE","text":"Iran"}}]}}"#
    );
    // A byte-order mark (counted in columns on line 1 only), a blank line, CRLF, and
    // bad lines the reader reads past.
    let input = format!("\u{feff}{{\"id\":7}}\n\n{valid}\r\n{{\"id\"\n{mismatch}\n{valid}\n");
    let show = |result: Result<Record, Error>| result.map_err(|err| err.to_string());
    let by_reader: Vec<_> = RecordReader::new("t.jsonl", input.as_bytes()).map(show).collect();
    let by_line: Vec<_> = input
        .split_inclusive('\n')
        .enumerate()
        .filter(|(_, line)| !line.trim().trim_start_matches('\u{feff}').is_empty())
        .map(|(n, line)| show(Record::from_json_line("t.jsonl", n as u64 + 1, line)))
        .collect();
    assert_eq!(by_line.len(), 5);
    assert_eq!(by_line, by_reader);
    assert!(by_line[0].as_ref().unwrap_err().starts_with("t.jsonl:1:10: "), "{by_line:?}");
    assert!(by_line[3].as_ref().unwrap_err().starts_with("t.jsonl:5:"), "{by_line:?}");
}

#[test]
fn reader_keeps_unknown_fields_where_they_were() {
    // Top-level fields are in `meta` for the API (diff reads `answer` there) and
    // are written back at the top level; token and span fields stay on theirs.
    let line = r#"{"text":"Hi Iraq","tokens":[{"text":"Hi","start":0,"end":2,"id":0,"ws":true,"disabled":true},{"text":"Iraq","start":3,"end":7,"id":1,"ws":false}],"spans":[{"start":3,"end":7,"token_start":1,"token_end":1,"label":"GPE","score":0.5,"big":18446744073709551616}],"_input_hash":12,"answer":"accept","meta":{"lang":"en"}}"#;
    let records = read_jsonl(line).unwrap();
    let record = &records[0];
    assert!(record.id_is_made_up());
    assert_eq!(record.id(), "t.jsonl:1");
    let meta = record.meta();
    assert_eq!(meta["_input_hash"], 12);
    assert_eq!(meta["answer"], "accept");
    assert_eq!(meta["lang"], "en");
    assert!(!meta.contains_key("offsets"));
    assert_eq!(record.token_extra(0).and_then(|kept| kept.get("disabled")), Some("true"));
    assert_eq!(record.token_extra(1), None);
    assert_eq!(record.spans()[0].extra.get("score"), Some("0.5"));
    let again = jsonl(&records, OffsetUnit::Char);
    assert_eq!(
        again,
        r#"{"id":"t.jsonl:1","text":"Hi Iraq","tokens":[{"text":"Hi","start":0,"end":2,"id":0,"ws":true,"disabled":true},{"text":"Iraq","start":3,"end":7,"id":1,"ws":false}],"spans":[{"start":3,"end":7,"token_start":1,"token_end":1,"label":"GPE","text":"Iraq","big":18446744073709551616,"score":0.5}],"meta":{"lang":"en","offsets":"char"},"_input_hash":12,"answer":"accept"}"#
            .to_string()
            + "\n"
    );
    // Read again, written again: the same line.
    assert_eq!(jsonl(&read_jsonl(&again).unwrap(), OffsetUnit::Char), again);
}

#[test]
fn reader_takes_span_only_lines() {
    let line = r#"{"text":"Hi Iraq and Iran","spans":[{"start":12,"end":16,"label":"GPE"},{"start":3,"end":7,"label":"GPE","text":"Iraq"}]}"#;
    let records = read_jsonl(line).unwrap();
    let record = &records[0];
    assert!(!record.has_tokens());
    assert!(record.tokens().is_empty());
    let texts: Vec<&str> = record.spans().iter().map(|s| record.span_text(s)).collect();
    assert_eq!(texts, ["Iraq", "Iran"]);
    let again = jsonl(&records, OffsetUnit::Char);
    assert_eq!(
        again,
        r#"{"id":"t.jsonl:1","text":"Hi Iraq and Iran","spans":[{"start":3,"end":7,"label":"GPE","text":"Iraq"},{"start":12,"end":16,"label":"GPE","text":"Iran"}],"meta":{"offsets":"char"}}"#
            .to_string()
            + "\n"
    );
    // A converter that needs tokens gets rubric's, and the span its token indices.
    let tokenized = record.with_tokens(&Tokenizer::new()).unwrap().unwrap();
    assert_eq!(tokenized.tokens().len(), 4);
    assert_eq!((tokenized.spans()[1].token_start, tokenized.spans()[1].token_end), (3, 3));
    assert!(record
        .with_tokens(&Tokenizer::new())
        .unwrap()
        .unwrap()
        .with_tokens(&Tokenizer::new())
        .is_none());
}

macro_rules! record_error_cases {
    ($($name:ident: $text:expr, $start:expr, $end:expr, $label:expr => $message:expr;)*) => {$(
        #[test]
        fn $name() {
            let err = Record::tokenize("d", $text, &Tokenizer::new(), vec![SpanInput::new($start, $end, $label)]).unwrap_err();
            assert!(err.to_string().contains($message), "{err}");
        }
    )*};
}

record_error_cases! {
    record_refuses_empty_span: "Hi Iraq", 3, 3, "GPE" => "empty or ends before it starts";
    record_refuses_reversed_span: "Hi Iraq", 5, 3, "GPE" => "empty or ends before it starts";
    record_refuses_span_past_end: "Hi Iraq", 3, 8, "GPE" => "past the end";
    record_refuses_span_inside_a_character: "Köln", 0, 2, "GPE" => "inside a character";
    record_refuses_empty_label: "Hi Iraq", 3, 7, "" => "empty or contains white space";
    record_refuses_span_on_a_trailing_space: "Hi Iraq", 2, 3, "GPE" => "covers no token";
}

#[test]
fn brat_refuses_discontinuous_spans_and_wrong_quotes() {
    let tokenizer = Tokenizer::new();
    let cases = [
        ("T1\tORG 0 2;3 7\tHi Iraq\n", "x.ann:1: discontinuous span \"0 2;3 7\""),
        ("T1\tORG 3 7\tIran\n", "x.ann:1: document \"x\", span 0 [3, 7) ORG: \"text\" is \"Iran\""),
        ("T1\tORG 3 x\tIraq\n", "x.ann:1: \"ORG 3 x\" is not `LABEL START END`"),
        ("T1\tORG 3 7\n", "x.ann:1: a T line needs three tab-separated fields"),
        ("T1\tGPE 3 7\tIraq\nT1\tGPE 3 7\tIraq\n", "x.ann:2: document \"x\", span 1"),
    ];
    for (ann, expected) in cases {
        let err = from_brat("x", "Hi Iraq".to_string(), ann, "x.ann", &tokenizer).unwrap_err();
        assert!(err.to_string().starts_with(expected), "{err}");
    }
    let ann = "T1\tGPE 3 7\tIraq\nR1\tIn Arg1:T1 Arg2:T1\n#1\tNote T1\tx\n";
    let (record, skipped) =
        from_brat("x", "Hi Iraq".to_string(), ann, "x.ann", &tokenizer).unwrap();
    assert_eq!(skipped.non_entity, 2);
    assert_eq!(record.spans()[0].source.as_deref(), Some("x.ann:1"));
}

#[test]
fn brat_offsets_are_code_points() {
    let doc = to_brat(&record("🦀 Zoë met Iraq", &[("Iraq", "GPE")])).unwrap();
    assert_eq!(doc.ann, "T1\tGPE 10 14\tIraq\n");
}

#[test]
fn doccano_reads_both_layouts_and_numeric_ids() {
    let input = "{\"id\":3,\"text\":\"Hi Iraq\",\"label\":[[3,7,\"GPE\"]],\"Comments\":[]}\n\
                 {\"text\":\"Hi Iraq\",\"entities\":[{\"id\":9,\"label\":\"GPE\",\"start_offset\":3,\"end_offset\":7}],\"relations\":[]}\n";
    let records: Vec<Record> =
        DoccanoReader::new("d.jsonl", input.as_bytes()).collect::<Result<_, _>>().unwrap();
    assert_eq!(records[0].id(), "3");
    assert_eq!(records[1].id(), "d.jsonl:2");
    for record in &records {
        assert_eq!(exact(record), [(3, 7, "GPE".to_string())]);
    }
    assert!(records[0].meta().contains_key("Comments"));
    assert!(records[1].meta().contains_key("relations"));
}

#[test]
fn doccano_errors_name_the_span() {
    let cases = [
        (
            r#"{"text":"Hi","label":[[0,9,"X"]]}"#,
            "d.jsonl:1:23: document \"d.jsonl:1\", span 0 [0, 9) X: char offset 9 is past the end",
        ),
        (r#"{"text":"Hi","label":["X"]}"#, "d.jsonl:1:23: each element of \"label\""),
        (r#"{"label":[]}"#, "d.jsonl:1:1: the doccano line has no \"text\" field"),
        (r#"{"text":"Hi","label":[],"entities":[]}"#, "d.jsonl:1:1: the line has both"),
    ];
    for (line, expected) in cases {
        let err = DoccanoReader::new("d.jsonl", line.as_bytes()).next().unwrap().unwrap_err();
        assert!(err.to_string().starts_with(expected), "{err}");
    }
}

/// Found by `fuzz/` (conll_reader): an indented `-DOCSTART-` line was read as a
/// token, which the writer wrote back unindented, where it starts a document: the
/// token and its span were lost on the round trip.
#[test]
fn conll_indented_docstart_starts_a_document_as_it_does_unindented() {
    let input = "Joe B-PER
  -DOCSTART- O

Kyiv B-GPE
";
    let records: Vec<Record> =
        ConllReader::new("c.conll", input.as_bytes()).collect::<Result<_, _>>().unwrap();
    let texts: Vec<&str> = records.iter().map(Record::text).collect();
    assert_eq!(texts, ["Joe", "Kyiv"]);
    let written = conll(&records, Scheme::Iob2, Misaligned::Error).unwrap();
    let again: Vec<Record> =
        ConllReader::new("c.conll", written.as_bytes()).collect::<Result<_, _>>().unwrap();
    assert_eq!(again.iter().map(Record::text).collect::<Vec<_>>(), texts);
}

#[test]
fn conll_reader_decodes_any_scheme_and_reports_bad_tags() {
    let input = "-DOCSTART- -X- O\n\nJoe I-PER\nBiden I-PER\nXi B-PER\n\nin O\nKyiv U-GPE\n";
    let records: Vec<Record> =
        ConllReader::new("c.conll", input.as_bytes()).collect::<Result<_, _>>().unwrap();
    assert_eq!(records[0].text(), "Joe Biden Xi\nin Kyiv");
    let spans: Vec<(&str, &str)> =
        records[0].spans().iter().map(|s| (records[0].span_text(s), s.label.as_str())).collect();
    assert_eq!(spans, [("Joe Biden", "PER"), ("Xi", "PER"), ("Kyiv", "GPE")]);
    assert_eq!(records[0].spans()[0].source.as_deref(), Some("c.conll:3"));
    let err = ConllReader::new("c.conll", "Joe X-PER\n".as_bytes()).next().unwrap().unwrap_err();
    assert!(err.to_string().starts_with("c.conll:1: \"X-PER\" is not a tag"), "{err}");
    let err = ConllReader::new("c.conll", "Joe\n".as_bytes()).next().unwrap().unwrap_err();
    assert!(err.to_string().starts_with("c.conll:1: \"Joe\" has one column"), "{err}");
}

#[test]
fn hf_reader_reports_unknown_tags() {
    let labels = vec!["O".to_string(), "B-PER".to_string()];
    let input = r#"{"id":"a","tokens":["Joe","x"],"ner_tags":[1,5]}"#;
    let err = HfReader::new("h.jsonl", input.as_bytes(), labels).next().unwrap().unwrap_err();
    assert!(err.to_string().starts_with("h.jsonl:1:46: tag 5 is not in the label list"), "{err}");
}

#[test]
fn hf_reader_keeps_a_rows_other_fields_and_refuses_an_id_of_another_type() {
    let labels = vec!["O".to_string(), "B-LOC".to_string()];
    let input = r#"{"id":"a","tokens":["Paris"],"ner_tags":[1],"pos_tags":[5],"lang":"fr"}"#;
    let record = HfReader::new("h.jsonl", input.as_bytes(), labels.clone()).next().unwrap();
    let record = record.unwrap();
    assert_eq!(record.meta()["pos_tags"], serde_json::json!([5]));
    assert_eq!(record.meta()["lang"], "fr");
    assert!(!record.meta().contains_key("tokens"));
    for id in ["null", "true", "[1]"] {
        let input = format!(r#"{{"id":{id},"tokens":["Paris"],"ner_tags":[1]}}"#);
        let err = HfReader::new("h.jsonl", input.as_bytes(), labels.clone()).next().unwrap();
        let err = err.unwrap_err().to_string();
        assert!(err.starts_with("h.jsonl:1:") && err.contains("\"id\" must be"), "{err}");
    }
}

#[test]
fn doccano_entities_keep_their_ids_and_the_relations_that_name_them() {
    let line = concat!(
        r#"{"id":1,"text":"Joe visited Paris","entities":["#,
        r#"{"id":7,"label":"PER","start_offset":0,"end_offset":3},"#,
        r#"{"id":9,"label":"GPE","start_offset":12,"end_offset":17}],"#,
        r#""relations":[{"id":1,"from_id":7,"to_id":9,"type":"visited"}]}"#,
        "\n"
    );
    let read = crate::DoccanoReader::new("d.jsonl", line.as_bytes()).next().unwrap().unwrap();
    assert_eq!(read.spans()[0].extra.get("id"), Some("7"));
    let mut writer = crate::DoccanoWriter::new(Vec::new(), DoccanoLayout::Entities);
    writer.write(&read).unwrap();
    let written = String::from_utf8(writer.finish().unwrap()).unwrap();
    let again: serde_json::Value = serde_json::from_str(&written).unwrap();
    let original: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(again["entities"], original["entities"], "{written}");
    assert_eq!(again["relations"], original["relations"], "{written}");
    // Without ids of their own (a record from elsewhere): 1, 2, ... and no
    // relations.
    let mut writer = crate::DoccanoWriter::new(Vec::new(), DoccanoLayout::Entities);
    writer.write(&record("Joe visited Paris", &[("Joe", "PER")])).unwrap();
    let written = String::from_utf8(writer.finish().unwrap()).unwrap();
    assert!(written.contains(r#""entities":[{"id":1,"label":"PER""#), "{written}");
    assert!(written.contains(r#""relations":[]"#), "{written}");
}

#[test]
fn conll_refuses_tokens_it_would_read_back_as_something_else() {
    for (text, part) in
        [("Paris -DOCSTART- Berlin", "-DOCSTART-"), ("Paris \u{feff}x Rome", "byte-order mark")]
    {
        let records = [record(text, &[("Paris", "GPE")])];
        let err = conll(&records, Scheme::Iob2, Misaligned::Error).unwrap_err().to_string();
        assert!(err.contains(part) && err.contains("CoNLL file cannot hold"), "{err}");
    }
    // A token that only holds the text elsewhere is written as before.
    let records = [record("Paris x-DOCSTART- Rome", &[("Paris", "GPE")])];
    assert_eq!(via_conll(&records, Scheme::Iob2).len(), 1);
}

#[test]
fn conll_lines_ending_in_cr_alone_are_an_error_at_the_first_cr() {
    let input = "Barack B-PER\rObama I-PER\r\rParis B-LOC\r";
    let err = ConllReader::new("c.conll", input.as_bytes()).next().unwrap().unwrap_err();
    let err = err.to_string();
    assert!(err.starts_with("c.conll:1:13: a carriage return inside the line"), "{err}");
    // CRLF line ends read as before.
    let input = "Barack B-PER\r\nObama I-PER\r\n\r\nParis B-LOC\r\n";
    let records: Vec<Record> =
        ConllReader::new("c.conll", input.as_bytes()).collect::<Result<_, _>>().unwrap();
    assert_eq!(records[0].text(), "Barack Obama\nParis");
}

#[test]
fn write_json_line_is_what_the_writer_writes() {
    let record = news().with_meta_field("lang", "en");
    let mut line = Vec::new();
    record.write_json_line(OffsetUnit::Utf16, &mut line).unwrap();
    assert_eq!(
        String::from_utf8(line).unwrap(),
        jsonl(std::slice::from_ref(&record), OffsetUnit::Utf16)
    );
}

#[test]
fn exact_meta_fields_are_written_as_read_in_key_order_with_the_others() {
    let mut exact = crate::ExactFields::new();
    let raw = |json: &str| serde_json::value::RawValue::from_string(json.to_string()).unwrap();
    exact.insert("big".to_string(), raw("18446744073709551616"));
    exact.insert("nested".to_string(), raw("{\"x\": [1, 3.14159265358979323846]}"));
    exact.insert("lang".to_string(), raw("1.00000000000000000001"));
    let record =
        news().with_meta_field("lang", "en").with_meta_field("zz", 1).with_exact_meta(exact);
    let mut line = Vec::new();
    record.write_json_line(OffsetUnit::Char, &mut line).unwrap();
    let line = String::from_utf8(line).unwrap();
    // `with_exact_meta` replaced the value field `lang`; every number as written.
    assert!(
        line.ends_with(
            "\"meta\":{\"big\":18446744073709551616,\"lang\":1.00000000000000000001,\
             \"nested\":{\"x\": [1, 3.14159265358979323846]},\"offsets\":\"char\",\"zz\":1}}\n"
        ),
        "{line}"
    );
    assert_eq!(line, jsonl(std::slice::from_ref(&record), OffsetUnit::Char));
}

/// Text from a mix of scripts, punctuation, emoji and white space, so that byte,
/// code point and UTF-16 offsets all differ and the tokenizer splits at many kinds
/// of boundaries.
fn unicode_text() -> impl Strategy<Value = String> {
    let word = prop::sample::select(vec![
        "Iraq",
        "Zoë",
        "Köln",
        "北京",
        "🦀",
        "👍🏽",
        "U.S.",
        "don't",
        "IRGC",
        "e-mail",
        "(",
        ")",
        ",",
        ".",
        "“",
        "”",
        "—",
        "42",
        "Ωμέγα",
        "नमस्ते",
        "a",
        "Mr.",
        "x",
    ]);
    let gap = prop::sample::select(vec![" ", " ", " ", "  ", "\n", "\n\n", "", "\t"]);
    prop::collection::vec((word, gap), 1..30)
        .prop_map(|parts| parts.into_iter().map(|(w, g)| format!("{w}{g}")).collect())
}

/// A record of random text with random non-overlapping spans on whole non-space
/// tokens.
fn aligned_record() -> impl Strategy<Value = Record> {
    (
        unicode_text(),
        prop::collection::vec((0usize..1000, 0usize..4, 0usize..5, any::<bool>()), 0..8),
    )
        .prop_map(|(text, picks)| {
            let tokenizer = Tokenizer::new();
            let tokens = tokenizer.tokenize(&text);
            let words: Vec<usize> = (0..tokens.len())
                .filter(|&i| !text[tokens[i].start..tokens[i].end].trim().is_empty())
                .collect();
            let labels = ["PERSON", "GPE", "ORG", "NORP", "MISC_X"];
            let mut spans = Vec::new();
            let mut free_from = 0;
            let mut picks = picks;
            picks.sort();
            for (at, len, label, kb) in picks {
                if words.is_empty() {
                    break;
                }
                let first = (at % words.len()).max(free_from);
                let last = first + len;
                if last >= words.len() {
                    continue;
                }
                free_from = last + 1;
                let mut span = SpanInput::new(
                    tokens[words[first]].start,
                    tokens[words[last]].end,
                    labels[label],
                );
                if kb {
                    span = span.kb_id(format!("Q{at}"));
                }
                spans.push(span);
            }
            Record::new("p", text, &tokens, spans).unwrap()
        })
}

/// Text with everything JSON must escape (quotes, backslashes, control
/// characters) among ordinary and non-ASCII words.
fn text_to_escape() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "Iraq",
        "Zoë",
        "🦀",
        "\"",
        "\\",
        "\\\"",
        "\u{1}",
        "\u{1f}",
        "\u{7f}",
        "\t",
        "\r\n",
        "“",
        "a\"b",
        "c:\\d",
        "/",
        "</script>",
        " ",
        "\u{2028}",
        "\u{0}",
    ]);
    prop::collection::vec(piece, 1..20).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn hand_written_json_lines_are_serde_jsons_bytes(
        text in prop_oneof![text_to_escape(), unicode_text()],
        id in text_to_escape(),
        kb in prop::option::of(text_to_escape()),
        source in prop::option::of(text_to_escape()),
        kept in prop::option::of(text_to_escape()),
        spans_wanted in 0..3usize,
        with_tokens in any::<bool>(),
    ) {
        let tokens = Tokenizer::new().tokenize(&text);
        let spans = tokens
            .iter()
            .filter(|token| !text[token.start..token.end].trim().is_empty())
            .take(spans_wanted)
            .map(|token| {
                let mut span = SpanInput::new(token.start, token.end, "L\"1");
                if let Some(kb) = &kb {
                    span = span.kb_id(kb.clone());
                }
                if let Some(source) = &source {
                    span = span.source(source.clone());
                }
                if let Some(kept) = &kept {
                    span.extra.insert("z\"note", serde_json::to_string(kept).unwrap());
                    span.extra.insert("a", "[1, {\"b\": null}]");
                }
                span
            })
            .collect();
        let record = if with_tokens {
            Record::new(id, text.clone(), &tokens, spans).unwrap()
        } else {
            Record::without_tokens(id, text.clone(), spans, serde_json::Map::new()).unwrap()
        }
        .with_meta_field("note", text.clone());
        for unit in [OffsetUnit::Char, OffsetUnit::Byte, OffsetUnit::Utf16] {
            let mut line = Vec::new();
            record.write_json_line(unit, &mut line).unwrap();
            let mut expected =
                serde_json::to_vec(&crate::jsonl::RecordJson::new(&record, unit).unwrap()).unwrap();
            expected.push(b'\n');
            prop_assert_eq!(String::from_utf8(line).unwrap(), String::from_utf8(expected).unwrap());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn jsonl_round_trips_in_every_unit(record in aligned_record()) {
        for unit in [OffsetUnit::Char, OffsetUnit::Byte, OffsetUnit::Utf16] {
            let line = jsonl(std::slice::from_ref(&record), unit);
            let back = read_jsonl(&line).unwrap();
            prop_assert_eq!(&back[..], std::slice::from_ref(&record));
            // The fast path and the checked path read the same record.
            let checked: Vec<Record> = crate::jsonl::read_checked("t.jsonl", &line)
                .into_iter()
                .collect::<Result<_, _>>()
                .unwrap();
            prop_assert_eq!(checked, back);
        }
    }

    #[test]
    fn fast_and_checked_paths_agree_on_misaligned_records(record in unaligned_record()) {
        let line = jsonl(std::slice::from_ref(&record), OffsetUnit::Utf16)
            .replace(r#""meta":{"#, r#""_input_hash":7,"meta":{"answer":"accept","#);
        let fast = read_jsonl(&line).unwrap();
        let checked: Vec<Record> = crate::jsonl::read_checked("t.jsonl", &line)
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(&fast, &checked);
        prop_assert_eq!(fast[0].spans(), record.spans());
        prop_assert_eq!(&fast[0].meta()["_input_hash"], &serde_json::json!(7));
    }

    #[test]
    fn token_formats_give_back_the_spans(record in aligned_record()) {
        let records = [record];
        let view = token_view(&records[0]);
        for scheme in [Scheme::Iob2, Scheme::Iob1, Scheme::Bioes, Scheme::Bilou] {
            prop_assert_eq!(token_view(&via_conll(&records, scheme)[0]), view.clone());
        }
        prop_assert_eq!(token_view(&via_hf(&records)[0]), view.clone());
        let spacy = via_docbin(&records);
        prop_assert_eq!(spacy[0].text(), records[0].text());
        prop_assert_eq!(spacy[0].tokens(), records[0].tokens());
        prop_assert_eq!(spacy[0].spans().iter().map(|s| (s.start, s.end, s.label.clone(), s.kb_id.clone())).collect::<Vec<_>>(),
            records[0].spans().iter().map(|s| (s.start, s.end, s.label.clone(), s.kb_id.clone())).collect::<Vec<_>>());
    }

    #[test]
    fn text_formats_give_back_the_spans(record in aligned_record()) {
        let records = [record];
        let spans = exact(&records[0]);
        let brat_ok = records[0].spans().iter().all(|s| !records[0].span_text(s).contains('\n'));
        if brat_ok {
            prop_assert_eq!(exact(&via_brat(&records)[0]), spans.clone());
        }
        prop_assert_eq!(exact(&via_doccano(&records, DoccanoLayout::Label)[0]), spans.clone());
        prop_assert_eq!(exact(&via_doccano(&records, DoccanoLayout::Entities)[0]), spans);
    }
}

#[test]
fn readers_say_where_the_last_record_came_from() {
    let records = [news(), record("Nothing here.", &[])];
    let input = format!("\n{}", jsonl(&records, OffsetUnit::Char).replace('\n', "\n\n"));
    let mut reader = RecordReader::new("r.jsonl", input.as_bytes());
    let lines: Vec<String> = std::iter::from_fn(|| {
        reader.next().map(|r| r.unwrap()).map(|_| reader.location().to_string())
    })
    .collect();
    assert_eq!(lines, ["r.jsonl:2", "r.jsonl:4"]);

    let out = conll(&records, Scheme::Iob2, Misaligned::Error).unwrap();
    let mut reader = ConllReader::new("c.conll", out.as_bytes());
    let lines: Vec<String> = std::iter::from_fn(|| {
        reader.next().map(|r| r.unwrap()).map(|_| reader.location().to_string())
    })
    .collect();
    let second = out.lines().skip(1).position(|l| l.starts_with("-DOCSTART-")).unwrap() + 2;
    assert_eq!(lines, ["c.conll:1".to_string(), format!("c.conll:{second}")]);
}

/// A record of random text with random non-overlapping spans at any character
/// boundaries: most of them misaligned.
fn unaligned_record() -> impl Strategy<Value = Record> {
    (unicode_text(), prop::collection::vec(0usize..10_000, 0..12)).prop_map(|(text, cuts)| {
        let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| bounds[c % bounds.len()]).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let tokens = Tokenizer::new().tokenize(&text);
        let spans = cuts
            .chunks_exact(2)
            .map(|pair| SpanInput::new(pair[0], pair[1], "X"))
            // A span on nothing but white space between tokens covers no token.
            .filter(|span| !text[span.start..span.end].trim().is_empty())
            .filter(|span| tokens.iter().any(|t| t.start < span.end && span.start < t.end))
            .collect();
        Record::new("u", text, &tokens, spans).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Nothing silent: under every policy but `error`, each span is counted exactly
    /// once, and the spans written are the ones counted as kept.
    #[test]
    fn misaligned_policies_account_for_every_span(record in unaligned_record()) {
        for policy in [Misaligned::Expand, Misaligned::Contract, Misaligned::Drop] {
            let mut writer = ConllWriter::new(Vec::new(), Scheme::Iob2, policy);
            match writer.write(&record) {
                // Expanding can make neighbours share a token: refused, never merged.
                Err(err) => prop_assert!(matches!(err.kind, ErrorKind::Overlapping { .. }), "{err}"),
                Ok(()) => {
                    let report = writer.report();
                    let out = String::from_utf8(writer.finish().unwrap()).unwrap();
                    let written = out.lines().filter(|l| l.ends_with(" B-X")).count();
                    prop_assert_eq!(report.spans, record.spans().len());
                    prop_assert_eq!(report.aligned + report.touched(), report.spans);
                    prop_assert_eq!(written, report.aligned + report.expanded + report.contracted);
                }
            }
        }
        let mut strict = ConllWriter::new(Vec::new(), Scheme::Iob2, Misaligned::Error);
        // (A span aligned on the record's tokens may still start on a white-space
        // token, which CoNLL does not write: strict refuses that too.)
        if record.spans().iter().any(|s| !record.is_aligned(s)) {
            prop_assert!(strict.write(&record).is_err());
        }
    }
}

#[test]
fn valid_records_take_the_fast_path() {
    for unit in [OffsetUnit::Char, OffsetUnit::Byte, OffsetUnit::Utf16] {
        let line = jsonl(&[news().with_meta_field("lang", "en")], unit);
        let raw = crate::lines::RawLine {
            source: "t.jsonl",
            text: line.trim_end(),
            number: 1,
            skipped: 0,
            bytes: line.len() as u64,
        };
        assert_eq!(crate::fast::parse(&raw), Some(news().with_meta_field("lang", "en")), "{unit}");
    }
    // And anything that needs a message does not.
    let bad = format!(r#"{{"id":"a",{TEXT},"spans":[],"meta":null}}"#);
    let raw =
        crate::lines::RawLine { source: "t.jsonl", text: &bad, number: 1, skipped: 0, bytes: 0 };
    assert_eq!(crate::fast::parse(&raw), None);
}

#[test]
fn read_docbin_refuses_what_is_not_a_docbin() {
    use std::io::Write;
    let zlib = |bytes: &[u8]| {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    };
    let mut good = Vec::new();
    let mut writer = DocBinWriter::new(Misaligned::Error);
    writer.write(&news()).unwrap();
    writer.finish(&mut good).unwrap();
    let truncated = &good[..good.len() / 2];
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("gzip is not zlib", b"\x1f\x8b\x08\x00".to_vec(), "not a zlib stream"),
        ("zlib of text", zlib(b"hello"), "not a msgpack map"),
        ("msgpack without attrs", zlib(&[0x80]), "no attrs"),
        ("truncated", truncated.to_vec(), "not a zlib stream"),
    ];
    for (name, bytes, expected) in cases {
        let err = read_docbin("x.spacy", &bytes).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("x.spacy: not a spaCy DocBin ({expected})")),
            "{name}: {err}"
        );
    }
}
