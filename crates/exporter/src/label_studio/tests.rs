//! The Label Studio writer and reader: offsets in code points, the shapes Label
//! Studio imports and exports, annotators kept apart, and nothing dropped without
//! being counted.

use proptest::prelude::*;
use rubric_tokenizer::Tokenizer;
use serde_json::{json, Value};

use crate::*;

/// The export in Label Studio's documented shape, checked by hand (offsets counted
/// in code points: "’" and "🦀" are one each).
const EXPORT: &str = include_str!("../../../../tests/data/label_studio_export.json");

fn read(json: &str) -> Result<LabelStudioExport, Error> {
    read_label_studio("ls.json", json.as_bytes(), &LabelStudioReadOptions::new())
}

fn write(records: &[Record], options: LabelStudioOptions) -> String {
    let mut writer = LabelStudioWriter::new(Vec::new(), options);
    for record in records {
        writer.write(record).unwrap();
    }
    String::from_utf8(writer.finish().unwrap()).unwrap()
}

/// (start, end, label, text) of each span, offsets in bytes.
fn spans(record: &Record) -> Vec<(usize, usize, String, String)> {
    record
        .spans()
        .iter()
        .map(|s| (s.start, s.end, s.label.to_string(), record.span_text(s).to_string()))
        .collect()
}

fn texts(record: &Record) -> Vec<(String, String)> {
    record.spans().iter().map(|s| (record.span_text(s).to_string(), s.label.to_string())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn crab_record() -> Record {
    // "🦀" is 4 bytes, 1 code point, 2 UTF-16 units: "Iraq" starts at code point 2
    // (UTF-16 would say 3, bytes 5).
    Record::tokenize("d1", "🦀 Iraq", &Tokenizer::new(), vec![SpanInput::new(5, 9, "GPE")]).unwrap()
}

#[test]
fn offsets_are_code_points() {
    let json = write(&[crab_record()], LabelStudioOptions::new());
    let tasks: Value = serde_json::from_str(&json).unwrap();
    let value = &tasks[0]["predictions"][0]["result"][0]["value"];
    assert_eq!(value, &json!({"start": 2, "end": 6, "text": "Iraq", "labels": ["GPE"]}));
}

#[test]
fn predictions_carry_the_model_version_and_data_keeps_id_and_meta() {
    let record = crab_record().with_meta_field("lang", "en").with_meta_field("offsets", "char");
    let json = write(&[record], LabelStudioOptions::new().predictions("rubric 9 news@abc"));
    let tasks: Value = serde_json::from_str(&json).unwrap();
    // No task id: Label Studio numbers imported tasks itself. `offsets` names a JSON
    // Lines unit and is not data.
    assert_eq!(
        tasks[0]["data"],
        json!({"text": "🦀 Iraq", "doc_id": "d1", "meta": {"lang": "en"}})
    );
    assert_eq!(tasks[0].get("id"), None);
    assert_eq!(tasks[0]["predictions"][0]["model_version"], "rubric 9 news@abc");
    let result = &tasks[0]["predictions"][0]["result"][0];
    assert_eq!(
        (&result["from_name"], &result["to_name"], &result["type"]),
        (&json!("label"), &json!("text"), &json!("labels"))
    );
}

#[test]
fn annotations_take_the_shape_of_an_export() {
    let records =
        [crab_record(), Record::tokenize("d2", "Nothing.", &Tokenizer::new(), vec![]).unwrap()];
    let json = write(
        &records,
        LabelStudioOptions::new().annotations().from_name("ner").to_name("body").text_field("body"),
    );
    let tasks: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(tasks[1]["id"], 2);
    assert_eq!(tasks[1]["data"], json!({"body": "Nothing.", "doc_id": "d2"}));
    assert_eq!(
        tasks[1]["annotations"],
        json!([{"id": 2, "result": [], "was_cancelled": false, "ground_truth": false}])
    );
    let result = &tasks[0]["annotations"][0]["result"][0];
    assert_eq!((&result["from_name"], &result["to_name"]), (&json!("ner"), &json!("body")));
    assert_eq!(tasks[0].get("predictions"), None);
}

#[test]
fn an_empty_list_is_an_empty_array() {
    assert_eq!(write(&[], LabelStudioOptions::new()), "[]\n");
    let export = read("[]").unwrap();
    assert!(export.streams.is_empty());
    assert!(export
        .select(None)
        .unwrap_err()
        .to_string()
        .contains("no annotations and no predictions"));
}

#[test]
fn the_label_config_lists_the_labels_written_and_escapes_them() {
    let record = Record::tokenize(
        "d",
        "AT&T in Iraq",
        &Tokenizer::new(),
        vec![SpanInput::new(0, 4, "ORG&CO"), SpanInput::new(8, 12, "GPE")],
    )
    .unwrap();
    let mut writer = LabelStudioWriter::new(Vec::new(), LabelStudioOptions::new());
    writer.write(&record).unwrap();
    assert_eq!(
        writer.label_config(),
        "<View>\n  <Labels name=\"label\" toName=\"text\">\n    <Label value=\"GPE\"/>\n    \
         <Label value=\"ORG&amp;CO\"/>\n  </Labels>\n  <Text name=\"text\" value=\"$text\"/>\n</View>\n"
    );
}

#[test]
fn a_text_field_named_like_rubrics_own_is_refused() {
    let mut writer =
        LabelStudioWriter::new(Vec::new(), LabelStudioOptions::new().text_field("doc_id"));
    let err = writer.write(&crab_record()).unwrap_err();
    assert!(err.to_string().contains("cannot be named \"doc_id\""), "{err}");
}

#[test]
fn the_documented_export_is_read_annotator_by_annotator() {
    let export = read(EXPORT).unwrap();
    let names: Vec<_> = export.streams.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    assert_eq!(
        names,
        [
            ("1", StreamKind::Annotator),
            ("bea@example.com", StreamKind::Annotator),
            ("rubric 0.1.0", StreamKind::Prediction),
        ]
    );
    let first = &export.streams[0].records;
    assert_eq!(first.iter().map(|(r, _)| r.id()).collect::<Vec<_>>(), ["1", "2"]);
    assert_eq!(texts(&first[0].0), pairs(&[("Iran", "GPE"), ("IRGC", "ORG"), ("Baghdad", "GPE")]));
    assert_eq!(
        texts(&first[1].0),
        pairs(&[("Mr. Smith", "PERSON"), ("United Nations", "ORG"), ("Kyiv", "GPE")])
    );
    let bea = &export.streams[1].records;
    assert_eq!(texts(&bea[0].0), pairs(&[("Iran", "GPE"), ("IRGC", "ORG"), ("Baghdad", "LOC")]));
    assert_eq!(
        texts(&bea[1].0),
        pairs(&[("Smith", "PERSON"), ("United Nations", "ORG"), ("Kyiv", "GPE")])
    );
    let predicted = &export.streams[2].records;
    assert_eq!(predicted.len(), 1);
    assert_eq!(texts(&predicted[0].0), texts(&first[0].0));
    // Other data fields are the user's: kept in meta.
    assert_eq!(first[0].0.meta().get("source_url"), Some(&json!("https://example.com/a")));
    // Each annotation is located where it starts in the file; each span's source
    // is the line its region starts on.
    assert_eq!(first[0].1, Location::column("ls.json", 5, 7));
    assert_eq!(first[0].0.spans()[0].source.as_deref(), Some("ls.json:9"));
    let report = &export.report;
    assert_eq!(
        (
            report.tasks,
            report.annotations,
            report.predictions,
            report.cancelled,
            report.unannotated_tasks
        ),
        (3, 4, 1, 1, 1)
    );
    assert_eq!(
        report.skipped_results.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(),
        [("choices", 1), ("relation", 1)]
    );
    assert_eq!(
        report.to_string(),
        "3 task(s): 4 annotation(s), 1 prediction(s); 1 task(s) without annotations; 1 \
         cancelled annotation(s) skipped; 1 choices result(s) not read (records hold labelled \
         spans only); 1 relation result(s) not read (records hold labelled spans only)"
    );
}

#[test]
fn one_stream_is_selected_by_name_or_because_it_is_the_only_one() {
    let export = read(EXPORT).unwrap();
    assert_eq!(export.select(Some("bea@example.com")).unwrap().records.len(), 2);
    assert_eq!(export.select(Some("rubric 0.1.0")).unwrap().kind, StreamKind::Prediction);
    let err = export.select(None).unwrap_err().to_string();
    assert_eq!(
        err,
        "the file holds more than one annotator's annotations — annotators: \"1\", \
         \"bea@example.com\"; predictions: \"rubric 0.1.0\"; name the one to read"
    );
    assert!(export
        .select(Some("zoe"))
        .unwrap_err()
        .to_string()
        .starts_with("no annotator or model is named \"zoe\""));
    // Predictions alone: the model is the only stream.
    let json = write(&[crab_record()], LabelStudioOptions::new().predictions("m1"));
    assert_eq!(read(&json).unwrap().select(None).unwrap().name, "m1");
    let taken = read(EXPORT).unwrap().into_selected(Some("bea@example.com")).unwrap();
    assert_eq!((taken.name.as_str(), taken.records.len()), ("bea@example.com", 2));
    assert!(read(EXPORT).unwrap().into_selected(None).is_err());
}

#[test]
fn a_second_annotation_by_the_same_annotator_is_a_stream_of_its_own() {
    let json = r#"[{"id": 1, "data": {"text": "Hi Iraq"}, "annotations": [
        {"completed_by": 5, "result": [{"type": "labels", "from_name": "label", "to_name": "text", "value": {"start": 3, "end": 7, "labels": ["GPE"]}}]},
        {"completed_by": 5, "result": []}]}]"#;
    let export = read(json).unwrap();
    let names: Vec<_> = export.streams.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["5", "5 #2"]);
    assert_eq!(export.streams[1].records[0].0.spans().len(), 0);
}

#[test]
fn regions_of_another_control_and_unlabelled_regions_are_counted() {
    let region = |from: &str, labels: Value| json!({"type": "labels", "from_name": from, "to_name": "text", "value": {"start": 0, "end": 2, "labels": labels}});
    let task = |results: Vec<Value>| {
        json!([{"data": {"text": "Hi"}, "annotations": [{"result": results}]}]).to_string()
    };
    // Two controls: the reader cannot guess which one is wanted.
    let two = task(vec![region("ner", json!(["X"])), region("pos", json!(["Y"]))]);
    let err = read(&two).unwrap_err().to_string();
    assert!(err.contains("more than one <Labels> control (\"ner\", \"pos\")"), "{err}");
    let options = LabelStudioReadOptions::new().from_name("pos");
    let export = read_label_studio("ls.json", two.as_bytes(), &options).unwrap();
    assert_eq!(texts(&export.streams[0].records[0].0), pairs(&[("Hi", "Y")]));
    assert_eq!(export.report.skipped_results.get("labels from \"ner\""), Some(&1));
    let err = read_label_studio(
        "ls.json",
        two.as_bytes(),
        &LabelStudioReadOptions::new().from_name("nope"),
    )
    .unwrap_err();
    assert!(err
        .to_string()
        .contains("no region of the file is from a <Labels> control named \"nope\""));
    // A region with no label is counted, not read; two labels make two spans.
    let export =
        read(&task(vec![region("ner", json!([])), region("ner", json!(["A", "B"]))])).unwrap();
    assert_eq!(texts(&export.streams[0].records[0].0), pairs(&[("Hi", "A"), ("Hi", "B")]));
    assert_eq!(export.report.skipped_results.get("labels without a label"), Some(&1));
    assert_eq!(export.streams[0].name, "anonymous");
}

#[test]
fn the_text_is_found_by_to_name_or_as_the_only_string_field() {
    let region = json!({"type": "labels", "from_name": "label", "to_name": "body", "value": {"start": 0, "end": 2, "labels": ["X"]}});
    let json = json!([{"data": {"title": "T", "body": "Hi there", "n": 3}, "annotations": [{"result": [region]}]}]).to_string();
    let record = &read(&json).unwrap().streams[0].records[0].0;
    assert_eq!(record.text(), "Hi there");
    assert_eq!(record.meta(), json!({"title": "T", "n": 3}).as_object().unwrap());
    let json = json!([{"data": {"story": "Hi there", "n": 3}, "annotations": []}]).to_string();
    assert_eq!(read(&json).unwrap().report.unannotated_tasks, 1);
    let json = json!([{"data": {"a": "Hi", "b": "there"}, "annotations": []}]).to_string();
    let err = read(&json).unwrap_err().to_string();
    assert!(
        err.contains("cannot tell which data field holds the text (string fields: a, b)"),
        "{err}"
    );
    let options = LabelStudioReadOptions::new().text_field("b");
    let export = read_label_studio("ls.json", json.as_bytes(), &options).unwrap();
    assert_eq!(export.report.tasks, 1);
}

#[test]
fn json_min_items_are_read_as_one_annotation_each() {
    // The shape label-studio-sdk's JSON-MIN converter writes: the data fields, the
    // task id, the control's regions under its name, and the annotation's own.
    let json = r#"[
  {
    "text": "Hi Iraq 🦀 Iran",
    "doc_id": "d7",
    "id": 4,
    "label": [
      {"start": 3, "end": 7, "text": "Iraq", "labels": ["GPE"]},
      {"start": 10, "end": 14, "text": "Iran", "labels": ["GPE"]}
    ],
    "annotator": "ann@example.com",
    "annotation_id": 9,
    "created_at": "2026-11-30T09:12:44.512301Z",
    "updated_at": "2026-11-30T09:12:44.512330Z",
    "lead_time": 3.1
  },
  {
    "text": "Nothing",
    "id": 5,
    "annotator": 2,
    "annotation_id": 10,
    "created_at": "2026-11-30T09:12:44.512301Z",
    "updated_at": "2026-11-30T09:12:44.512330Z",
    "lead_time": 1.0
  }
]"#;
    let export = read(json).unwrap();
    let streams: Vec<_> =
        export.streams.iter().map(|s| (s.name.as_str(), s.records.len())).collect();
    assert_eq!(streams, [("ann@example.com", 1), ("2", 1)]);
    let record = &export.streams[0].records[0].0;
    assert_eq!(record.id(), "d7");
    assert_eq!(texts(record), pairs(&[("Iraq", "GPE"), ("Iran", "GPE")]));
    assert!(record.meta().is_empty(), "{:?}", record.meta());
    let sources: Vec<_> = record.spans().iter().map(|s| s.source.as_deref()).collect();
    assert_eq!(sources, [Some("ls.json:7"), Some("ls.json:8")]);
    assert_eq!(export.streams[1].records[0].0.id(), "5");
}

#[test]
fn a_region_quoting_a_line_break_as_label_studio_writes_it_is_read() {
    // Label Studio writes a region's line breaks as the two characters `\n`.
    let json = json!([{"data": {"text": "New\nYork"}, "annotations": [{"result": [
        {"type": "labels", "from_name": "label", "to_name": "text",
         "value": {"start": 0, "end": 8, "text": "New\\nYork", "labels": ["GPE"]}}]}]}])
    .to_string();
    assert_eq!(
        texts(&read(&json).unwrap().streams[0].records[0].0),
        pairs(&[("New\nYork", "GPE")])
    );
}

#[test]
fn bad_regions_are_errors_that_say_where() {
    let export = |value: &str| {
        format!(
            "[\n  {{\"id\": 1, \"data\": {{\"text\": \"Hi Iraq\"}},\n   \"annotations\": [{{\"result\": [\n     \
             {{\"type\": \"labels\", \"from_name\": \"label\", \"to_name\": \"text\", \"value\": {value}}}]}}]}}\n]"
        )
    };
    let error = |value: &str| read(&export(value)).unwrap_err();
    // Past the end of the text (7 code points).
    let err = error(r#"{"start": 3, "end": 8, "labels": ["GPE"]}"#);
    assert!(matches!(err.kind, ErrorKind::SpanOffset { .. }), "{err}");
    assert_eq!(err.location.as_deref(), Some(&Location::column("ls.json", 4, 75)));
    let err = error(r#"{"start": 3, "end": 7, "text": "Iran", "labels": ["GPE"]}"#);
    assert!(err.to_string().starts_with(
        "ls.json:4:75: document \"1\", span 0 [3, 7) GPE: \"text\" is \"Iran\" but the offsets cut out \"Iraq\""
    ), "{err}");
    let err = error(r#"{"start": -1, "end": 7, "labels": ["GPE"]}"#);
    assert!(err.to_string().starts_with("ls.json:4:85: \"start\" of the Label Studio region [0].annotations[0].result[0].value is -1, which is negative"), "{err}");
    let err = error(r#"{"start": "3", "end": 7, "labels": ["GPE"]}"#);
    assert!(err.to_string().starts_with("ls.json:4:85: \"start\" of the Label Studio task [0].annotations[0].result[0].value is a string, expected a code point offset"), "{err}");
    let err = error(r#"{"start": 3, "labels": ["GPE"]}"#);
    assert!(
        err.to_string().starts_with(
            "ls.json:4:75: the Label Studio region [0].annotations[0].result[0].value has no \"end\" field — "
        ),
        "{err}"
    );
    let err = error(r#"{"start": 3, "end": 3, "labels": ["GPE"]}"#);
    assert!(matches!(err.kind, ErrorKind::SpanReversed { .. }), "{err}");
    assert_eq!(err.location.as_deref(), Some(&Location::column("ls.json", 4, 75)));
    let err = error(r#"{"start": 3, "end": 7, "labels": ["GPE", "GPE"]}"#);
    assert!(matches!(err.kind, ErrorKind::DuplicateSpan { .. }), "{err}");
}

#[test]
fn malformed_files_are_errors_that_say_where() {
    let err = read("[\n  {\"data\": {\"text\": \"Hi\"},\n}]").unwrap_err();
    assert!(
        err.to_string().starts_with("ls.json:3:1: malformed JSON: key must be a string"),
        "{err}"
    );
    let err = read("{\"a\": 1} 2").unwrap_err();
    assert!(
        err.to_string().starts_with("ls.json:1:10: malformed JSON: trailing characters"),
        "{err}"
    );
    let err = read("\"text\"").unwrap_err();
    assert!(err.to_string().contains("is a string, expected an array of tasks"), "{err}");
    let err = read("[{\"data\": {\"text\": \"a\", \"text\": \"b\"}}]").unwrap_err();
    assert!(matches!(err.kind, ErrorKind::RepeatedKey { .. }), "{err}");
    let err = read("[{\"data\": {\"text\": \"a\"}}, {\"text\": \"b\"}]").unwrap_err();
    assert!(err.to_string().contains("task 1 is in Label Studio's JSON-MIN shape"), "{err}");
    let err = read("[{\"data\": \"a\", \"annotations\": []}]").unwrap_err();
    assert!(
        err.to_string().contains(
            "ls.json:1:11: \"data\" of the Label Studio task [0] is a string, expected an object"
        ),
        "{err}"
    );
    let err = read_label_studio("ls.json", &b"[\"\xff\"]"[..], &LabelStudioReadOptions::new())
        .unwrap_err();
    assert_eq!(
        err.to_string().split(" —").next(),
        Some("ls.json:1:3: invalid UTF-8 at byte offset 2")
    );
    let err = read("[{\"annotations\": []}]").unwrap_err();
    assert!(
        err.to_string().starts_with("ls.json:1:2: Label Studio task 0 has no \"data\" field"),
        "{err}"
    );
    // A byte-order mark is no part of the JSON.
    assert_eq!(read("\u{feff}[]").unwrap().report.tasks, 0);
}

/// Records written in either shape and read back: same ids, texts, meta and spans
/// (exact offsets: Label Studio keeps the text).
fn round_trip(records: &[Record], options: LabelStudioOptions) -> Vec<Record> {
    let json = write(records, options);
    let export = read(&json).unwrap();
    export.select(None).unwrap().records.iter().map(|(r, _)| r.clone()).collect()
}

fn same(a: &[Record], b: &[Record]) {
    let view = |records: &[Record]| -> Vec<_> {
        records
            .iter()
            .map(|r| (r.id().to_string(), r.text().to_string(), spans(r), r.meta().clone()))
            .collect()
    };
    assert_eq!(view(a), view(b));
}

#[test]
fn records_round_trip_in_both_shapes() {
    let text = "Iran’s IRGC met 🦀 officials in Baghdad.\nMr. Smith of the United Nations spoke.";
    let at = |needle: &str| text.find(needle).unwrap();
    let record = Record::tokenize(
        "news-1",
        text,
        &Tokenizer::new(),
        vec![
            SpanInput::new(0, 4, "GPE"),
            SpanInput::new(at("IRGC"), at("IRGC") + 4, "ORG"),
            SpanInput::new(at("Baghdad"), at("Baghdad") + 7, "GPE"),
            SpanInput::new(at("Mr."), at("Smith") + 5, "PERSON"),
            SpanInput::new(at("Smith"), at("Smith") + 5, "PERSON"),
            SpanInput::new(at("United"), at("Nations") + 7, "ORG"),
        ],
    )
    .unwrap()
    .with_meta_field("lang", "en");
    let records = [record, Record::tokenize("empty", "", &Tokenizer::new(), vec![]).unwrap()];
    same(&round_trip(&records, LabelStudioOptions::new()), &records);
    same(&round_trip(&records, LabelStudioOptions::new().annotations()), &records);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any text, any spans on token boundaries (nested and overlapping ones too):
    /// what is written is read back exactly.
    #[test]
    fn every_record_round_trips(
        words in proptest::collection::vec(
            prop_oneof!["[a-zé]{1,6}", "🦀", "東京", "नमस्ते", "[ \n\t]{1,2}", "[.,’]"], 1..25),
        picks in proptest::collection::vec((0usize..40, 0usize..4, 0usize..3), 0..8),
        annotations in any::<bool>(),
    ) {
        let text: String = words.concat();
        let tokenizer = Tokenizer::new();
        let tokens: Vec<_> = tokenizer
            .tokenize(&text)
            .into_iter()
            .filter(|t| !text[t.start..t.end].trim().is_empty())
            .collect();
        let mut inputs = Vec::new();
        let mut seen = std::collections::HashSet::new();
        if !tokens.is_empty() {
            for (first, length, label) in picks {
                let first = first % tokens.len();
                let last = (first + length).min(tokens.len() - 1);
                let label = ["GPE", "ORG", "PERSON"][label];
                if seen.insert((first, last, label)) {
                    inputs.push(SpanInput::new(tokens[first].start, tokens[last].end, label));
                }
            }
        }
        let record = Record::tokenize("doc", text.as_str(), &tokenizer, inputs).unwrap();
        let options = if annotations { LabelStudioOptions::new().annotations() } else { LabelStudioOptions::new() };
        let back = round_trip(std::slice::from_ref(&record), options);
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(spans(&back[0]), spans(&record));
        prop_assert_eq!(back[0].text(), record.text());
    }
}
