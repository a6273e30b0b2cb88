//! `rubric annotate`, the main job, as a user runs it: the article with the
//! embedded default gazetteer (snapshots reviewed by eye against the text), the
//! options, the record invariants on real news, and the error messages.

use std::path::Path;

use serde_json::Value;

use crate::support::{
    assert_records_match_the_schema, failure, ids, run, run_ok, tempdir, write, Files, ARTICLE,
};

/// The spans of a record, one per line: offsets, label, text, kb_id and source.
fn span_listing(record: &Value) -> String {
    record["spans"]
        .as_array()
        .expect("spans is an array")
        .iter()
        .map(|span| {
            format!(
                "{:>4}..{:<4} {:<7} {:<48} {:<48} {}\n",
                span["start"].as_u64().unwrap_or_default(),
                span["end"].as_u64().unwrap_or_default(),
                span["label"].as_str().unwrap_or("?"),
                span["text"].to_string(),
                span["kb_id"].as_str().unwrap_or("-"),
                span["source"].as_str().unwrap_or("-"),
            )
        })
        .collect()
}

/// Runs `rubric annotate args...` in the repository root (so the article's path is
/// the one users type) and returns the records.
fn annotate_article(args: &[&str]) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = vec!["annotate", "--quiet", "corpus/article.txt"];
    all.extend_from_slice(args);
    run_ok(root, &all, b"")
}

/// Every span's text is the document's text cut at its offsets (code points by
/// default), its token indices name the tokens whose offsets it starts and ends
/// on, and the spans are sorted.
fn assert_record_invariants(record: &Value) {
    let text: Vec<char> = record["text"].as_str().expect("text").chars().collect();
    let tokens = record["tokens"].as_array().expect("tokens");
    let spans = record["spans"].as_array().expect("spans");
    let number = |value: &Value| value.as_u64().expect("a number") as usize;
    let mut previous = None;
    for span in spans {
        let (start, end) = (number(&span["start"]), number(&span["end"]));
        let cut: String = text[start..end].iter().collect();
        assert_eq!(span["text"].as_str(), Some(cut.as_str()), "{span}");
        let first = &tokens[number(&span["token_start"])];
        let last = &tokens[number(&span["token_end"])];
        assert_eq!(number(&first["start"]), start, "{span} starts on its first token");
        assert_eq!(number(&last["end"]), end, "{span} ends on its last token");
        let key = (start, end, span["label"].as_str().unwrap_or_default().to_string());
        if let Some(previous) = previous.replace(key.clone()) {
            assert!(previous < key, "spans are sorted: {previous:?} before {key:?}");
        }
    }
}

#[test]
fn the_article_with_the_default_gazetteer() {
    let records = annotate_article(&[]);
    assert_eq!(ids(&records), ["article"]);
    let record = &records[0];
    assert_eq!(record["text"], ARTICLE);
    assert_eq!(record["meta"], serde_json::json!({ "offsets": "char" }));
    assert_record_invariants(record);
    assert_records_match_the_schema(&format!("{record}\n"));
    insta::assert_snapshot!(span_listing(record));
}

#[test]
fn the_article_explain_trace_names_every_dropped_candidate_and_its_winner() {
    let records = annotate_article(&["--explain"]);
    let trace = records[0]["meta"]["explain"].as_array().expect("meta.explain is a list");
    let listing: String = trace
        .iter()
        .map(|dropped| {
            let (candidate, winner) = (&dropped["candidate"], &dropped["winner"]);
            format!(
                "{}..{} {} {} ({}) — {} — beaten by {}..{} {} {}\n",
                candidate["start"],
                candidate["end"],
                candidate["label"].as_str().unwrap_or("?"),
                candidate["text"],
                candidate["source"].as_str().unwrap_or("?"),
                dropped["reason"].as_str().unwrap_or("?"),
                winner["start"],
                winner["end"],
                winner["label"].as_str().unwrap_or("?"),
                winner["text"],
            )
        })
        .collect();
    insta::assert_snapshot!(listing);
}

#[test]
fn offsets_in_every_unit_cut_the_same_spans() {
    let char_spans = &annotate_article(&[])[0]["spans"];
    for unit in ["byte", "utf16"] {
        let records = annotate_article(&["--offsets", unit]);
        let record = &records[0];
        assert_eq!(record["meta"]["offsets"], unit);
        let spans = record["spans"].as_array().expect("spans");
        assert_eq!(spans.len(), char_spans.as_array().expect("spans").len());
        for (span, char_span) in spans.iter().zip(char_spans.as_array().expect("spans")) {
            let (start, end) = (span["start"].as_u64().unwrap(), span["end"].as_u64().unwrap());
            let cut = match unit {
                "byte" => ARTICLE[start as usize..end as usize].to_string(),
                _ => {
                    let units: Vec<u16> = ARTICLE.encode_utf16().collect();
                    String::from_utf16(&units[start as usize..end as usize]).unwrap()
                }
            };
            assert_eq!(span["text"].as_str(), Some(cut.as_str()));
            assert_eq!(span["text"], char_span["text"]);
            assert_eq!(span["label"], char_span["label"]);
        }
    }
}

#[test]
fn options_choose_labels_overlaps_aliases_and_gazetteers() {
    let dir = tempdir();
    write(
        dir.path(),
        "news.tsv",
        "# pattern\tlabel\tid\tpriority\n\
         Hassan Nasrallah\tPERSON\tQ1\n\
         Washington\tPERSON\tgeorge\t0\n\
         Washington\tGPE\tdc\t5\n\
         New York\tGPE\tny\n\
         New York Times\tORG\tnyt\n",
    );
    let text = "Hassan Nasrallah spoke in Washington to the New York Times. Nasrallah left.";
    let stdin = format!(
        "{}\n",
        serde_json::json!({ "id": "d", "text": text, "lang": "en", "meta": { "source": "wire" } })
    );
    let spans = |args: &[&str]| -> Vec<(String, String, String)> {
        let mut all = vec!["annotate", "-q", "--no-default-gazetteer", "-g", "news.tsv"];
        all.extend_from_slice(args);
        let records = run_ok(dir.path(), &all, stdin.as_bytes());
        assert_eq!(records[0]["meta"]["lang"], "en", "other input fields are kept in meta");
        assert_eq!(records[0]["meta"]["source"], "wire", "an input meta is merged, not nested");
        records[0]["spans"]
            .as_array()
            .expect("spans")
            .iter()
            .map(|s| {
                let field = |name: &str| s[name].as_str().unwrap_or("-").to_string();
                (field("text"), field("label"), field("source"))
            })
            .collect()
    };
    let owned = |rows: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        rows.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect()
    };
    assert_eq!(
        spans(&[]),
        owned(&[
            ("Hassan Nasrallah", "PERSON", "news.tsv:2"),
            ("Washington", "GPE", "news.tsv:4"),
            ("New York Times", "ORG", "news.tsv:6"),
            ("Nasrallah", "PERSON", "alias:last-name"),
        ])
    );
    assert_eq!(
        spans(&["--no-aliases", "--labels", "PERSON,ORG"]),
        owned(&[
            ("Hassan Nasrallah", "PERSON", "news.tsv:2"),
            ("New York Times", "ORG", "news.tsv:6")
        ])
    );
    let all = spans(&["--overlaps", "all", "--no-aliases"]);
    assert!(all.contains(&("New York".into(), "GPE".into(), "news.tsv:5".into())), "{all:?}");
    assert!(all.contains(&("Washington".into(), "PERSON".into(), "news.tsv:3".into())), "{all:?}");
}

#[test]
fn records_of_real_news_keep_the_invariants_and_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let news = "tests/data/news-paragraphs.jsonl";
    for unit in ["char", "byte", "utf16"] {
        let output = run(root, &["annotate", "-q", news, "--offsets", unit], b"");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_records_match_the_schema(&String::from_utf8_lossy(&output.stdout));
    }
    let records = run_ok(root, &["annotate", "-q", news], b"");
    assert!(records.len() >= 10);
    let spans: usize = records.iter().map(|r| r["spans"].as_array().map_or(0, Vec::len)).sum();
    assert!(spans > 0, "the default gazetteer finds something in real news");
    for record in &records {
        assert_record_invariants(record);
    }
}

#[test]
fn the_article_as_conll_and_in_every_file_format() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = run(root, &["annotate", "-q", "corpus/article.txt", "--format", "conll"], b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let conll = String::from_utf8(output.stdout).expect("UTF-8");
    // Every span of the record is one B- tag here, in the same order.
    let records = annotate_article(&[]);
    let labels: Vec<String> = records[0]["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .map(|span| format!("B-{}", span["label"].as_str().unwrap_or("?")))
        .collect();
    let tags: Vec<String> = conll
        .lines()
        .filter_map(|line| line.rsplit(' ').next())
        .filter(|tag| tag.starts_with("B-"))
        .map(str::to_string)
        .collect();
    assert_eq!(tags, labels);
    insta::assert_snapshot!(conll);

    let dir = tempdir();
    let article = root.join("corpus/article.txt");
    let article = article.to_str().expect("a UTF-8 path");
    for (format, target) in [("spacy", "a.spacy"), ("hf", "a.jsonl"), ("brat", "brat")] {
        let output =
            run(dir.path(), &["annotate", "-q", article, "--format", format, "-o", target], b"");
        assert!(output.status.success(), "{format}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(dir.path().join(target).exists(), "{format}: {target} written");
    }
    assert!(dir.path().join("a.labels.json").exists(), "hf writes its label list beside");
    assert!(dir.path().join("brat/article.ann").exists());
    let output = run(dir.path(), &["annotate", article, "--format", "spacy"], b"");
    assert_eq!(output.status.code(), Some(2), "spacy without -o is refused");
}

#[test]
fn overlaps_all_keeps_one_span_per_offsets_and_label_and_traces_the_other_ids() {
    let dir = tempdir();
    // A name listed twice with one label and two ids: a country and a US state.
    write(
        dir.path(),
        "g.tsv",
        "Georgia\tGPE\tus-state\nGeorgia\tGPE\tcountry\t1\nGeorgia\tPERSON\tname\n",
    );
    let stdin = b"{\"id\": \"d\", \"text\": \"Georgia voted.\"}\n";
    let args = ["annotate", "-q", "--no-default-gazetteer", "-g", "g.tsv", "--overlaps", "all"];
    let output = run(dir.path(), &[&args[..], &["--explain"]].concat(), stdin);
    assert!(output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("1 duplicate or conflicting entries"),
        "the gazetteer's conflict is pointed out"
    );
    let records = crate::support::records(&output);
    let kept: Vec<(&str, &str)> = records[0]["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .map(|s| (s["label"].as_str().unwrap_or("?"), s["kb_id"].as_str().unwrap_or("?")))
        .collect();
    assert_eq!(kept, [("GPE", "country"), ("PERSON", "name")], "the higher priority id wins");
    let explain = &records[0]["meta"]["explain"];
    assert_eq!(explain[0]["candidate"]["kb_id"], "us-state");
    assert_eq!(explain[0]["reason"], "ambiguous");
    assert_eq!(explain[0]["winner"]["kb_id"], "country");
}

/// One line per error case: name, files to create, arguments, standard input.
#[test]
fn annotate_errors_say_where_what_and_what_to_do_and_exit_2() {
    let cases: &[(&str, Files, &[&str], &[u8])] = &[
        ("gazetteer_missing", &[], &["annotate", "-g", "missing.tsv", "-"], b""),
        (
            "gazetteer_bad_line",
            &[("bad.tsv", b"Iran\tGPE\n\tORG\n")],
            &["annotate", "-g", "bad.tsv", "-"],
            b"",
        ),
        (
            "gazetteer_corrupt_compiled",
            &[("broken.rgz", b"RUBRICGZ not really a gazetteer")],
            &["annotate", "-g", "broken.rgz", "-"],
            b"",
        ),
        (
            "gazetteer_unknown_format",
            &[("names.csv", b"Iran,GPE\n")],
            &["annotate", "-g", "names.csv", "-"],
            b"",
        ),
        ("no_gazetteer", &[], &["annotate", "--no-default-gazetteer", "-"], b""),
        ("bad_overlap_policy", &[], &["annotate", "--overlaps", "shortest"], b""),
        ("malformed_input", &[], &["annotate"], b"{\"text\": \"Iran\"}\n{\"text\": }\n"),
    ];
    let mut report = String::new();
    for &(name, files, args, stdin) in cases {
        let dir = tempdir();
        for &(file, contents) in files {
            write(dir.path(), file, contents);
        }
        let output = run(dir.path(), args, stdin);
        assert_eq!(output.status.code(), Some(2), "{name}: exit code");
        let shown = failure(&output);
        assert!(!shown.contains("panicked"), "{name}: rubric panicked");
        report.push_str(&format!("── {name}\n{shown}\n"));
    }
    insta::assert_snapshot!(report);
}

/// Named token patterns of a small gazetteer: two rules and one unnamed pattern,
/// which is not a rule and always runs.
const RULES: &str = r#"{"name": "person:title", "label": "PERSON", "pattern": [{"LOWER": "president", "IN_SPAN": false}, {"IS_TITLE": true}]}
{"name": "org:agency", "label": "ORG", "pattern": [{"IS_TITLE": true, "OP": "+"}, {"LOWER": "agency"}]}
{"label": "GPE", "pattern": [{"LOWER": "erbil"}]}
"#;

#[test]
fn rules_and_no_rules_choose_the_named_rules_that_run() {
    let dir = tempdir();
    write(dir.path(), "rules.jsonl", RULES);
    write(dir.path(), "doc.txt", "President Obama met the Food Standards Agency in Erbil.\n");
    let spans = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["annotate", "-q", "--no-default-gazetteer", "-g", "rules.jsonl"];
        all.extend_from_slice(args);
        if all.last() != Some(&"doc.txt") {
            all.push("doc.txt");
        }
        let records = run_ok(dir.path(), &all, b"");
        records[0]["spans"]
            .as_array()
            .expect("spans")
            .iter()
            .map(|s| format!("{}/{}", s["text"].as_str().unwrap_or("-"), s["label"]))
            .collect()
    };
    let (obama, agency, erbil) =
        ("Obama/\"PERSON\"", "Food Standards Agency/\"ORG\"", "Erbil/\"GPE\"");
    assert_eq!(spans(&[]), [obama, agency, erbil]);
    assert_eq!(spans(&["--no-rules"]), [erbil], "no named rule, the unnamed pattern still");
    assert_eq!(spans(&["--rules", "person:"]), [obama, erbil]);
    assert_eq!(spans(&["--rules", "person:title,org:*"]), [obama, agency, erbil]);
    assert_eq!(spans(&["--no-rules=person:title"]), [agency, erbil]);
    // Without `=`, the word after --no-rules is an input, not the list.
    assert_eq!(spans(&["--no-rules", "doc.txt"]), [erbil]);
}

#[test]
fn a_rule_selector_that_names_no_rule_is_an_error_listing_the_rules() {
    let dir = tempdir();
    write(dir.path(), "rules.jsonl", RULES);
    let base = ["annotate", "--no-default-gazetteer", "-g", "rules.jsonl"];
    for (option, selector) in [("--rules", "persn:"), ("--no-rules=x", "x")] {
        let mut args = base.to_vec();
        args.push(option);
        if option == "--rules" {
            args.push(selector);
        }
        let output = run(dir.path(), &args, b"{\"id\": \"d\", \"text\": \"President Obama\"}\n");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let option_name = option.split('=').next().unwrap_or(option);
        assert!(
            stderr.contains(&format!("{option_name}: \"{selector}\" names no rule")),
            "{stderr}"
        );
        assert!(
            stderr.contains(r#"the gazetteers' rules are "person:title", "org:agency""#),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "nothing is annotated");
    }
    let both = [&base[..], &["--rules", "person:", "--no-rules"]].concat();
    let output = run(dir.path(), &both, b"{\"id\": \"d\", \"text\": \"President Obama\"}\n");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot be used with"));
}
