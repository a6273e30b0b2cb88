//! Table-driven tests for every rule (one line per case), and a property test
//! against a brute-force reference matcher.

use std::sync::Arc;

use proptest::prelude::*;
use rubric_tokenizer::{Token, TokenKind, Tokenizer};

use crate::normalize::{normalize_pattern, normalize_str, smart_case_matches, Folding};
use crate::*;

fn gazetteer(tsv: &str, diacritics: bool, engine: EngineKind) -> Gazetteer {
    GazetteerBuilder::new()
        .diacritics(diacritics)
        .engine(engine)
        .add_tsv_reader("t.tsv", tsv.as_bytes())
        .unwrap()
        .build()
        .unwrap()
}

/// The matches of `tsv` (lines separated by `|`, columns by `;`) in `text`, as
/// `surface/LABEL`.
fn find_with(tsv: &str, text: &str, configure: impl Fn(&mut MatcherBuilder)) -> Vec<String> {
    find_full(tsv, text, false, configure)
        .spans
        .iter()
        .map(|m| format!("{}/{}", &text[m.start..m.end], m.label))
        .collect()
}

fn tsv_of(table: &str) -> String {
    table.split('|').map(|line| line.replace(';', "\t") + "\n").collect()
}

fn find_full(
    tsv: &str,
    text: &str,
    diacritics: bool,
    configure: impl Fn(&mut MatcherBuilder),
) -> Matches {
    let gazetteer = gazetteer(&tsv_of(tsv), diacritics, EngineKind::default());
    let mut builder = MatcherBuilder::new();
    configure(&mut builder);
    let matcher = builder.build(vec![Arc::new(gazetteer)]);
    let tokens = Tokenizer::new().tokenize(text);
    matcher.find(text, &tokens)
}

macro_rules! finds {
    ($($name:ident: $tsv:expr, $text:expr, $configure:expr => [$($expected:expr),*];)*) => {$(
        #[test]
        fn $name() {
            let expected: Vec<&str> = vec![$($expected),*];
            assert_eq!(find_with($tsv, $text, $configure), expected);
        }
    )*};
}

fn defaults(_: &mut MatcherBuilder) {}
fn no_aliases(builder: &mut MatcherBuilder) {
    builder.aliases(false);
}
fn all(builder: &mut MatcherBuilder) {
    builder.overlaps(OverlapPolicy::All);
}
fn by_priority(builder: &mut MatcherBuilder) {
    builder.overlaps(OverlapPolicy::Priority);
}
fn only_gpe(builder: &mut MatcherBuilder) {
    builder.labels(Some(vec!["GPE".to_string()]));
}

finds! {
    // Token boundaries.
    boundary_not_inside_word: "Iran;GPE", "an Iranian commander", defaults => [];
    boundary_not_inside_acronym: "US;GPE", "a USB stick", defaults => [];
    boundary_after_hyphen: "Tehran;GPE", "Pro-Tehran groups", defaults => ["Tehran/GPE"];
    boundary_before_possessive: "Iran;GPE", "Iran’s missile attack", defaults => ["Iran/GPE"];
    boundary_inside_quotes: "Iran;GPE", "“Iran”", defaults => ["Iran/GPE"];
    boundary_unicode_letter_continues: "Erbil;GPE", "Erbilé", defaults => [];
    boundary_unicode_word: "Müller;PERSON", "Herr Müller.", defaults => ["Müller/PERSON"];
    boundary_not_suffix: "ran;GPE", "Iran ran", defaults => ["ran/GPE"];

    // Normalization.
    apostrophe_variants: "Shia' al-Sudani;PERSON", "Shia’ al-Sudani", no_aliases => ["Shia’ al-Sudani/PERSON"];
    modifier_apostrophe: "Shia’;PERSON", "Shiaʼ", defaults => ["Shiaʼ/PERSON"];
    dash_variants: "al-Sudani;PERSON", "al–Sudani", defaults => ["al–Sudani/PERSON"];
    minus_as_hyphen: "al-Sudani;PERSON", "al−Sudani", defaults => ["al−Sudani/PERSON"];
    line_break_in_name: "Hassan Nasrallah;PERSON", "leader Hassan\nNasrallah", defaults => ["Hassan\nNasrallah/PERSON"];
    whitespace_run_in_name: "Hassan Nasrallah;PERSON", "Hassan \t Nasrallah", defaults => ["Hassan \t Nasrallah/PERSON"];
    paragraph_break_not_crossed: "Hassan Nasrallah;PERSON", "Hassan\n\nNasrallah", defaults => [];
    diacritics_significant_by_default: "Müller;PERSON", "Muller", defaults => [];
    full_case_folding_sharp_s: "Straße;FAC", "STRASSE", defaults => ["STRASSE/FAC"];
    full_case_folding_ligature: "Fifa;ORG;;;insensitive", "ﬁfa", defaults => ["ﬁfa/ORG"];
    full_case_folding_dotted_i: "İzmir;GPE", "İZMIR", defaults => ["İZMIR/GPE"];

    // Case policy.
    smart_exact: "Erbil;GPE", "in Erbil", defaults => ["Erbil/GPE"];
    smart_all_caps_dateline: "Erbil;GPE", "ERBIL, Kurdistan Region", defaults => ["ERBIL/GPE"];
    smart_title_case: "al-Qaeda;ORG", "Al-Qaeda said", defaults => ["Al-Qaeda/ORG"];
    smart_never_lowered: "Iran;GPE", "iran", defaults => [];
    smart_all_caps_entry_exact_only: "US;GPE", "let us go. Us too. US troops", defaults => ["US/GPE"];
    sensitive_refuses_caps: "Erbil;GPE;;;sensitive", "ERBIL Erbil", defaults => ["Erbil/GPE"];
    insensitive_takes_any: "Erbil;GPE;;;insensitive", "erbil", defaults => ["erbil/GPE"];

    // Overlaps.
    longest_wins: "Islamic State;ORG|Islamic State of Iraq;ORG|Iraq;GPE", "the Islamic State of Iraq", defaults => ["Islamic State of Iraq/ORG"];
    leftmost_wins: "New York;GPE|York Times;ORG", "New York Times", defaults => ["New York/GPE"];
    all_keeps_every_candidate: "Islamic State;ORG|Islamic State of Iraq;ORG|Iraq;GPE", "Islamic State of Iraq", all => ["Islamic State/ORG", "Islamic State of Iraq/ORG", "Iraq/GPE"];
    priority_first: "Islamic State;ORG|Islamic State of Iraq;ORG|Iraq;GPE;;5", "Islamic State of Iraq", by_priority => ["Islamic State/ORG", "Iraq/GPE"];
    same_surface_priority_decides: "Washington;PERSON;;0|Washington;GPE;;1", "Washington said", defaults => ["Washington/GPE"];
    same_surface_priority_decides_reversed: "Washington;GPE;;1|Washington;PERSON;;0", "Washington said", defaults => ["Washington/GPE"];
    same_surface_tie_by_label_not_load_order: "Washington;PERSON|Washington;GPE", "Washington said", defaults => ["Washington/GPE"];
    label_filter: "Iran;GPE|Hamas;ORG", "Hamas and Iran", only_gpe => ["Iran/GPE"];

    // Aliases.
    last_name_alias: "Hassan Nasrallah;PERSON;Q1", "Hassan Nasrallah spoke. Later Nasrallah left.", defaults => ["Hassan Nasrallah/PERSON", "Nasrallah/PERSON"];
    last_name_alias_all_caps: "Joe Biden;PERSON", "Joe Biden. BIDEN SAID", defaults => ["Joe Biden/PERSON", "BIDEN/PERSON"];
    last_name_alias_not_before_definition: "Hassan Nasrallah;PERSON", "Nasrallah spoke. Hassan Nasrallah left.", defaults => ["Hassan Nasrallah/PERSON"];
    last_name_alias_off: "Hassan Nasrallah;PERSON", "Hassan Nasrallah spoke. Nasrallah left.", no_aliases => ["Hassan Nasrallah/PERSON"];
    last_name_alias_not_lowercase: "Tom Baker;PERSON", "Tom Baker met the baker", defaults => ["Tom Baker/PERSON"];
    last_name_alias_not_inside_word: "Joe Biden;PERSON", "Joe Biden and Bidenomics", defaults => ["Joe Biden/PERSON"];
    last_name_alias_not_before_capitalized: "Joe Biden;PERSON", "Joe Biden. The Biden Administration", defaults => ["Joe Biden/PERSON"];
    last_name_alias_not_inside_longer_entry: "Hassan Nasrallah;PERSON|Camp Nasrallah;FAC", "Hassan Nasrallah. In Camp Nasrallah", defaults => ["Hassan Nasrallah/PERSON", "Camp Nasrallah/FAC"];
    last_name_alias_skips_suffix: "Martin Luther King Jr.;PERSON", "Martin Luther King Jr. said. King wrote", defaults => ["Martin Luther King Jr./PERSON", "King/PERSON"];
    last_name_alias_with_particle: "Mohammed Shia' al-Sudani;PERSON", "Mohammed Shia’ al-Sudani. Al-Sudani said", defaults => ["Mohammed Shia’ al-Sudani/PERSON", "Al-Sudani/PERSON"];
    last_name_alias_only_person: "Hezbollah Party;ORG", "Hezbollah Party. Party time", defaults => ["Hezbollah Party/ORG"];
    first_name_alias: "Marta Novak;PERSON", "Marta Novak fell ill. Later Marta died.", defaults => ["Marta Novak/PERSON", "Marta/PERSON"];
    first_name_alias_not_next_to_a_capitalized_word: "Bill Hayden;PERSON", "Bill Hayden spoke. The Clean Air Bill passed. Bill Gates too.", defaults => ["Bill Hayden/PERSON"];
    first_name_alias_after_a_capitalized_stop_word: "Marta Novak;PERSON", "Marta Novak fell ill. As Marta died", defaults => ["Marta Novak/PERSON", "Marta/PERSON"];
    first_name_alias_not_an_initial: "J. Smith;PERSON", "J. Smith spoke. J. left.", defaults => ["J. Smith/PERSON"];
    first_name_alias_not_before_definition: "Marta Novak;PERSON", "Marta said. Marta Novak left.", defaults => ["Marta Novak/PERSON"];
    short_name_alias: "Globex Communications;ORG", "Globex Communications said. Globex will", defaults => ["Globex Communications/ORG", "Globex/ORG"];
    short_name_alias_comma_and_period: "Acme, Inc.;ORG", "Acme, Inc. grew. Acme hired.", defaults => ["Acme, Inc./ORG", "Acme/ORG"];
    short_name_alias_only_legal_forms: "Food Safety Agency;ORG", "Food Safety Agency. Food Safety said", defaults => ["Food Safety Agency/ORG"];
    short_name_alias_not_before_capitalized: "Globex Communications;ORG", "Globex Communications. Globex Wireless", defaults => ["Globex Communications/ORG"];
    alias_beats_a_place_on_its_span: "Jordan Peele;PERSON;;5|Jordan;GPE;;30", "Jordan Peele directed it. Jordan said", defaults => ["Jordan Peele/PERSON", "Jordan/PERSON"];
    acronym_alias: "Islamic Revolutionary Guard Corps;ORG;Q2", "Islamic Revolutionary Guard Corps (IRGC) said. An IRGC commander", defaults => ["Islamic Revolutionary Guard Corps/ORG", "IRGC/ORG", "IRGC/ORG"];
    acronym_alias_possessive: "Guard Corps;ORG", "Guard Corps (GC). The GC’s", defaults => ["Guard Corps/ORG", "GC/ORG", "GC/ORG"];
    acronym_alias_token_boundary: "Guard Corps;ORG", "Guard Corps (GC). GCX GCs", defaults => ["Guard Corps/ORG", "GC/ORG"];
    acronym_alias_exact_case: "Guard Corps;ORG", "Guard Corps (GC). Gc gc", defaults => ["Guard Corps/ORG", "GC/ORG"];
    acronym_alias_not_lowercase: "Guard Corps;ORG", "Guard Corps (corps)", defaults => ["Guard Corps/ORG"];
    acronym_alias_needs_parentheses: "Guard Corps;ORG", "Guard Corps, GC. GC", defaults => ["Guard Corps/ORG"];
    acronym_alias_only_org: "Islamic Republic of Iran;GPE", "Islamic Republic of Iran (IRI). IRI", defaults => ["Islamic Republic of Iran/GPE"];
    acronym_alias_off: "Guard Corps;ORG", "Guard Corps (GC). GC", no_aliases => ["Guard Corps/ORG"];
    acronym_alias_loses_to_longer_entry: "Guard Corps;ORG|GC Tower;FAC", "Guard Corps (GC). GC Tower", defaults => ["Guard Corps/ORG", "GC/ORG", "GC Tower/FAC"];
}

#[test]
fn length_changing_folds_never_shift_offsets() {
    let tsv = "Iran;GPE|ﬁnance;ORG;;;insensitive|Straße;FAC|İzmir;GPE";
    let text = "İİ ßß ﬁﬁ: Iran, FINANCE, STRASSE and İzmir İran";
    let matches = find_full(tsv, text, false, defaults);
    let found: Vec<(usize, usize, &str)> =
        matches.spans.iter().map(|m| (m.start, m.end, &text[m.start..m.end])).collect();
    let at = |needle: &'static str| {
        let start = text.find(needle).unwrap();
        (start, start + needle.len(), needle)
    };
    assert_eq!(found, [at("Iran"), at("FINANCE"), at("STRASSE"), at("İzmir")]);
}

#[test]
fn paragraph_break_in_a_pattern_is_a_space() {
    let jsonl = r#"{"label": "PERSON", "pattern": "Hassan\n\nNasrallah"}"#;
    let gazetteer = GazetteerBuilder::new()
        .add_patterns_reader("p.jsonl", jsonl.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let matcher = MatcherBuilder::new().aliases(false).build(vec![Arc::new(gazetteer)]);
    let text = "Hassan Nasrallah. Hassan\n\nNasrallah";
    let found: Vec<&str> = matcher
        .find(text, &Tokenizer::new().tokenize(text))
        .spans
        .iter()
        .map(|m| &text[m.start..m.end])
        .collect();
    assert_eq!(found, ["Hassan Nasrallah"]);
}

#[test]
fn diacritics_folded_when_asked() {
    let text = "Herr Muller and Herr Müller";
    let matches = find_full("Müller;PERSON", text, true, defaults);
    let found: Vec<&str> = matches.spans.iter().map(|m| &text[m.start..m.end]).collect();
    assert_eq!(found, ["Muller", "Müller"]);
}

/// `(candidate surface, reason, winner surface)` for each dropped candidate.
fn dropped(tsv: &str, text: &str, configure: impl Fn(&mut MatcherBuilder)) -> Vec<String> {
    find_full(tsv, text, false, configure)
        .dropped
        .iter()
        .map(|d| {
            let winner = d
                .winner
                .as_ref()
                .map_or(String::new(), |w| format!("{}/{}", &text[w.start..w.end], w.label));
            format!(
                "{}/{} {:?} by {winner}",
                &text[d.candidate.start..d.candidate.end],
                d.candidate.label,
                d.reason
            )
        })
        .collect()
}

macro_rules! drops {
    ($($name:ident: $tsv:expr, $text:expr, $configure:expr => [$($expected:expr),*];)*) => {$(
        #[test]
        fn $name() {
            let expected: Vec<&str> = vec![$($expected),*];
            assert_eq!(dropped($tsv, $text, $configure), expected);
        }
    )*};
}

drops! {
    explain_shorter: "Islamic State;ORG|Islamic State of Iraq;ORG", "Islamic State of Iraq", defaults => ["Islamic State/ORG Shorter by Islamic State of Iraq/ORG"];
    explain_overlapping: "New York;GPE|York Times;ORG", "New York Times", defaults => ["York Times/ORG Overlapping by New York/GPE"];
    explain_ambiguous: "Washington;PERSON|Washington;GPE", "Washington", defaults => ["Washington/PERSON Ambiguous by Washington/GPE"];
    explain_lower_priority: "Washington;PERSON;;0|Washington;GPE;;1", "Washington", defaults => ["Washington/PERSON LowerPriority by Washington/GPE"];
    explain_longest_ignores_priority_of_other_spans: "Islamic State of Iraq;ORG;;5|Iraq;GPE;;0|Islamic State;ORG;;9", "Islamic State of Iraq", defaults => ["Islamic State/ORG Shorter by Islamic State of Iraq/ORG", "Iraq/GPE Shorter by Islamic State of Iraq/ORG"];
    explain_priority_policy: "Islamic State of Iraq;ORG|Iraq;GPE;;5", "Islamic State of Iraq", by_priority => ["Islamic State of Iraq/ORG LowerPriority by Iraq/GPE"];
    explain_duplicate: "Iran;GPE|Iran;GPE", "Iran", defaults => ["Iran/GPE Duplicate by Iran/GPE"];
    explain_all_drops_only_duplicates: "Iran;GPE|Iran;GPE|Iran;NORP", "Iran", all => ["Iran/GPE Duplicate by Iran/GPE"];
    explain_alias_inside_longer: "Hassan Nasrallah;PERSON|Camp Nasrallah;FAC", "Hassan Nasrallah. Camp Nasrallah", defaults => ["Nasrallah/PERSON InsideLongerMatch by Camp Nasrallah/FAC"];
}

#[test]
fn aliases_record_their_rule_id_and_definition() {
    let text = "Islamic Revolutionary Guard Corps (IRGC) and Hassan Nasrallah. Nasrallah, IRGC.";
    let tsv = "Islamic Revolutionary Guard Corps;ORG;Q2|Hassan Nasrallah;PERSON;Q1";
    let matches = find_full(tsv, text, false, defaults);
    type Row<'a> = (&'a str, MatchRule, Option<&'a str>, &'a str, Option<&'a str>);
    let summary: Vec<Row<'_>> = matches
        .spans
        .iter()
        .map(|m| {
            let defined = m.alias_of.map(|[start, end]| &text[start..end]);
            (&text[m.start..m.end], m.rule, m.id.as_deref(), m.source.as_str(), defined)
        })
        .collect();
    let corps = "Islamic Revolutionary Guard Corps";
    let irgc = Some(corps);
    assert_eq!(
        summary,
        [
            (corps, MatchRule::Entry, Some("Q2"), "t.tsv:1", None),
            ("IRGC", MatchRule::AcronymAlias, Some("Q2"), "alias:acronym", irgc),
            ("Hassan Nasrallah", MatchRule::Entry, Some("Q1"), "t.tsv:2", None),
            (
                "Nasrallah",
                MatchRule::LastNameAlias,
                Some("Q1"),
                "alias:last-name",
                Some("Hassan Nasrallah")
            ),
            ("IRGC", MatchRule::AcronymAlias, Some("Q2"), "alias:acronym", irgc),
        ]
    );
}

#[test]
fn tokens_of_another_text_do_not_panic() {
    let gazetteer = gazetteer("Iran\tGPE\n", false, EngineKind::default());
    let matcher = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]);
    let other = "Ünïcödé text that is much longer than the one matched";
    let tokens = Tokenizer::new().tokenize(other);
    let text = "Iran é";
    let spans: Vec<&str> =
        matcher.find(text, &tokens).spans.iter().map(|m| &text[m.start..m.end]).collect();
    assert!(spans.iter().all(|span| *span == "Iran"), "{spans:?}");
}

#[test]
fn debug_output_is_counts_not_entries() {
    let debug = format!("{:?}", sample());
    assert!(debug.contains("entries: 3"), "{debug}");
    assert!(!debug.contains("Revolutionary"), "{debug}");
}

#[test]
fn matcher_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Matcher>();
    assert_send_sync::<Gazetteer>();
}

#[test]
fn several_gazetteers_are_one_dictionary() {
    let people = gazetteer("Joe Biden\tPERSON\n", false, EngineKind::DoubleArray);
    let places = gazetteer("Muller\tGPE\n", true, EngineKind::AhoCorasick);
    let matcher = MatcherBuilder::new().build(vec![Arc::new(people), Arc::new(places)]);
    let text = "Joe Biden visited Müller.";
    let found: Vec<&str> = matcher
        .find(text, &Tokenizer::new().tokenize(text))
        .spans
        .iter()
        .map(|m| &text[m.start..m.end])
        .collect();
    assert_eq!(found, ["Joe Biden", "Müller"]);
}

// ---------------------------------------------------------------------------
// Sources: one line per case.

fn tsv_error(tsv: &str, labels: Option<&[&str]>) -> String {
    let mut builder = GazetteerBuilder::new();
    builder.labels(labels.map(|l| l.iter().map(|s| s.to_string()).collect()));
    match builder.add_tsv_reader("bad.tsv", tsv.as_bytes()).and_then(|b| b.build()) {
        Ok(_) => "ok".to_string(),
        Err(err) => {
            format!("{}:{} {:?}", err.file().unwrap_or("-"), err.line().unwrap_or(0), err.kind())
        }
    }
}

macro_rules! tsv_errors {
    ($($name:ident: $tsv:expr, $labels:expr => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(tsv_error($tsv, $labels), $expected);
        }
    )*};
}

tsv_errors! {
    tsv_ok: "# comment\n\nIran\tGPE\tQ794\t3\tsensitive\n", None => "ok";
    tsv_crlf_ok: "Iran\tGPE\r\n", None => "ok";
    tsv_bom_ok: "\u{feff}Iran\tGPE\n", None => "ok";
    tsv_second_bom: "\u{feff}\u{feff}Iran\tGPE\n", None => "bad.tsv:1 ByteOrderMark";
    tsv_joined_bom: "Iran\tGPE\n\u{feff}Iraq\tGPE\n", None => "bad.tsv:2 ByteOrderMark";
    tsv_missing_label: "Iran\tGPE\nTehran\n", None => "bad.tsv:2 MissingLabel";
    tsv_too_many_columns: "Iran\tGPE\tQ\t1\tsmart\textra\n", None => "bad.tsv:1 TooManyColumns { found: 6 }";
    tsv_bad_priority: "Iran\tGPE\tQ\thigh\n", None => "bad.tsv:1 BadPriority { value: \"high\" }";
    tsv_bad_case: "Iran\tGPE\t\t\tloud\n", None => "bad.tsv:1 BadCasePolicy { value: \"loud\" }";
    tsv_empty_pattern: "\tGPE\n", None => "bad.tsv:1 EmptyPattern { pattern: \"\" }";
    tsv_whitespace_pattern: "   \tGPE\n", None => "bad.tsv:1 EmptyPattern { pattern: \"   \" }";
    tsv_punctuation_pattern: "Iran\tGPE\n“—”\tORG\n", None => "bad.tsv:2 EmptyPattern { pattern: \"“—”\" }";
    tsv_empty_label: "Iran\t\n", None => "bad.tsv:1 BadLabel { label: \"\" }";
    tsv_label_with_space: "Iran\tG PE\n", None => "bad.tsv:1 BadLabel { label: \"G PE\" }";
    tsv_label_with_escape: "Iran\tG\u{1b}[1mPE\n", None => "bad.tsv:1 BadLabel { label: \"G\\u{1b}[1mPE\" }";
    tsv_unknown_label: "Iran\tGPE\nHamas\tORGG\n", Some(&["GPE", "ORG"]) => "bad.tsv:2 UnknownLabel { label: \"ORGG\", known: [\"GPE\", \"ORG\"] }";
    tsv_known_label: "Iran\tGPE\n", Some(&["GPE"]) => "ok";
    tsv_priority_out_of_range: "Iran\tGPE\t\t2147483648\n", None => "bad.tsv:1 PriorityOutOfRange { value: \"2147483648\" }";
    tsv_negative_priority_out_of_range: "Iran\tGPE\t\t-99999999999\n", None => "bad.tsv:1 PriorityOutOfRange { value: \"-99999999999\" }";
    tsv_priority_at_the_limit: "Iran\tGPE\t\t-2147483648\n", None => "ok";
}

#[test]
fn a_byte_order_mark_does_not_become_part_of_the_first_pattern() {
    let tsv = "\u{feff}Iran\tGPE\n";
    let gazetteer = gazetteer(tsv, false, EngineKind::DoubleArray);
    let patterns: Vec<&str> = gazetteer.entries().map(|entry| entry.pattern).collect();
    assert_eq!(patterns, ["Iran"]);
    let mut builder = GazetteerBuilder::new();
    let jsonl = "\u{feff}{\"label\": \"GPE\", \"pattern\": \"Iran\"}\n";
    let built = builder.add_patterns_reader("p.jsonl", jsonl.as_bytes()).unwrap().build().unwrap();
    assert_eq!(built.entries().map(|entry| entry.pattern).collect::<Vec<_>>(), ["Iran"]);
}

/// A compiled file, written to a temporary directory for `add_path`.
fn compiled_file(
    dir: &std::path::Path,
    name: &str,
    tsv: &str,
    diacritics: bool,
) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, compiled(&gazetteer(tsv, diacritics, EngineKind::DoubleArray))).unwrap();
    path
}

#[test]
fn a_compiled_source_keeps_its_folding_when_recompiled_or_merged() {
    let dir = tempfile::tempdir().unwrap();
    let folded = compiled_file(dir.path(), "folded.rgz", "Müller\tPERSON\n", true);
    let plain = compiled_file(dir.path(), "plain.rgz", "Schmidt\tPERSON\n", false);
    let build = |configure: &dyn Fn(&mut GazetteerBuilder)| {
        let mut builder = GazetteerBuilder::new();
        configure(&mut builder);
        builder.build()
    };
    // Recompiled alone, and merged with a text source: still folding.
    let again = build(&|b| {
        b.add_path(&folded).unwrap();
    });
    assert!(again.unwrap().folds_diacritics());
    let merged = build(&|b| {
        b.add_path(&folded).unwrap().add_tsv_reader("t.tsv", "Weiß\tPERSON\n".as_bytes()).unwrap();
    });
    assert!(merged.unwrap().stats().diacritics);
    // Two compiled files that disagree: an error naming both, unless told.
    let mixed = build(&|b| {
        b.add_path(&folded).unwrap().add_path(&plain).unwrap();
    });
    let err = mixed.err().unwrap();
    assert!(matches!(err.kind(), ErrorKind::IncompatibleSettings { .. }), "{err}");
    assert!(err.to_string().contains("folded.rgz") && err.to_string().contains("plain.rgz"));
    let told = build(&|b| {
        b.add_path(&folded).unwrap().add_path(&plain).unwrap().diacritics(true);
    });
    assert!(told.unwrap().folds_diacritics());
    // Nothing compiled, nothing asked: no folding, as before.
    assert!(!build(&|_| {}).unwrap().folds_diacritics());
}

#[test]
fn tsv_invalid_utf8_names_the_line() {
    let bytes = b"Iran\tGPE\nT\xe9h\tGPE\n";
    let err = GazetteerBuilder::new().add_tsv_reader("bad.tsv", &bytes[..]).err().unwrap();
    assert_eq!((err.line(), matches!(err.kind(), ErrorKind::InvalidUtf8)), (Some(2), true));
}

fn pattern_result(jsonl: &str) -> String {
    let mut builder = GazetteerBuilder::new();
    match builder.add_patterns_reader("p.jsonl", jsonl.as_bytes()).and_then(|b| b.build()) {
        Ok(gazetteer) => gazetteer
            .entries()
            .map(|e| format!("{:?} {} {:?} {}", e.pattern, e.label, e.id, e.case))
            .collect::<Vec<_>>()
            .join("; "),
        Err(err) => {
            format!("{}:{} {:?}", err.file().unwrap_or("-"), err.line().unwrap_or(0), err.kind())
        }
    }
}

macro_rules! patterns {
    ($($name:ident: $jsonl:expr => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(pattern_result($jsonl), $expected);
        }
    )*};
}

patterns! {
    jsonl_string: r#"{"label": "ORG", "pattern": "Hamas", "id": "Q38799"}"# => r#""Hamas" ORG Some("Q38799") smart"#;
    jsonl_lower_tokens: r#"{"label": "ORG", "pattern": [{"LOWER": "islamic"}, {"LOWER": "state"}]}"# => r#""islamic state" ORG None insensitive"#;
    jsonl_orth_tokens_glue_hyphens: r#"{"label": "PERSON", "pattern": [{"ORTH": "al"}, {"ORTH": "-"}, {"ORTH": "Sudani"}]}"# => r#""al-Sudani" PERSON None sensitive"#;
    jsonl_text_possessive: r#"{"label": "GPE", "pattern": [{"TEXT": "Iran"}, {"TEXT": "'s"}]}"# => r#""Iran's" GPE None sensitive"#;
    jsonl_extensions: r#"{"label": "GPE", "pattern": "Iran", "priority": 4, "case": "insensitive"}"# => r#""Iran" GPE None insensitive"#;
    jsonl_blank_lines: "\n{\"label\": \"GPE\", \"pattern\": \"Iran\"}\n\n" => r#""Iran" GPE None smart"#;
    jsonl_unsupported_attribute: "{\"label\": \"GPE\", \"pattern\": \"Iran\"}\n{\"label\": \"ORG\", \"pattern\": [{\"LOWER\": \"hamas\"}, {\"POS\": \"PROPN\"}]}" => r#"p.jsonl:2 UnsupportedTokenAttribute { attribute: "POS" }"#;
    jsonl_bad_operator: r#"{"label": "ORG", "pattern": [{"LOWER": "hamas", "OP": "??"}]}"# => r#"p.jsonl:1 BadOperator { token: 1, op: "??" }"#;
    jsonl_malformed: r#"{"label": "ORG", "pattern": "#  => "p.jsonl:1 MalformedJson { message: \"EOF while parsing a value\" }";
    jsonl_not_object: r#"["ORG", "Hamas"]"# => "p.jsonl:1 BadPatternRecord { problem: \"the line is not a JSON object\" }";
    jsonl_missing_label: r#"{"pattern": "Hamas"}"# => "p.jsonl:1 BadPatternRecord { problem: \"the record has no \\\"label\\\"\" }";
    jsonl_unknown_key: r#"{"label": "ORG", "pattern": "Hamas", "weight": 2}"# => "p.jsonl:1 BadPatternRecord { problem: \"unknown key \\\"weight\\\"\" }";
    jsonl_empty_pattern: r#"{"label": "ORG", "pattern": "  "}"# => "p.jsonl:1 EmptyPattern { pattern: \"  \" }";
    jsonl_priority_out_of_range: r#"{"label": "ORG", "pattern": "Hamas", "priority": 4294967296}"# => "p.jsonl:1 PriorityOutOfRange { value: \"4294967296\" }";
    jsonl_priority_beyond_64_bits: r#"{"label": "ORG", "pattern": "Hamas", "priority": 18446744073709551616}"# => "p.jsonl:1 PriorityOutOfRange { value: \"1.8446744073709552e+19\" }";
    jsonl_priority_not_an_integer: r#"{"label": "ORG", "pattern": "Hamas", "priority": 1.5}"# => "p.jsonl:1 BadPriority { value: \"1.5\" }";
}

// ---------------------------------------------------------------------------
// Diagnostics.

fn diagnostics(tsv: &str) -> Vec<String> {
    let gazetteer = gazetteer(&tsv_of(tsv), false, EngineKind::default());
    let mut all: Vec<Diagnostic> = gazetteer.diagnostics().to_vec();
    all.extend(gazetteer.boundary_diagnostics(&Tokenizer::new()));
    all.iter().map(|d| format!("{}: {:?}", d.origin, d.kind)).collect()
}

macro_rules! diagnoses {
    ($($name:ident: $tsv:expr => [$($expected:expr),*];)*) => {$(
        #[test]
        fn $name() {
            let expected: Vec<&str> = vec![$($expected),*];
            assert_eq!(diagnostics($tsv), expected);
        }
    )*};
}

diagnoses! {
    no_diagnostics: "Iran;GPE|Iraq;GPE" => [];
    duplicate: "Iran;GPE|Iraq;GPE|Iran;GPE" => [r#"t.tsv:3: Duplicate { first: Origin { file: "t.tsv", line: 1 } }"#];
    duplicate_up_to_quotes: "Shia’;PERSON|Shia';PERSON" => [r#"t.tsv:2: Duplicate { first: Origin { file: "t.tsv", line: 1 } }"#];
    different_case_is_not_duplicate: "US;GPE|Us;GPE" => [];
    label_conflict: "Washington;PERSON|Washington;GPE" => [r#"t.tsv:2: LabelConflict { other: Origin { file: "t.tsv", line: 1 }, other_label: "PERSON" }"#];
    priorities_resolve_conflict: "Washington;PERSON;;0|Washington;GPE;;1" => [];
    id_conflict: "Georgia;GPE;Q230|Georgia;GPE;Q1428" => [r#"t.tsv:2: IdConflict { other: Origin { file: "t.tsv", line: 1 }, other_id: Some("Q230") }"#];
    starting_with_a_combining_mark_can_match: "\u{301}Iran;GPE" => [];
}

#[test]
fn never_matches_when_an_edge_normalizes_to_nothing() {
    let tsv = "Iran \u{301}\tGPE\nIran\tGPE\n";
    let gazetteer = gazetteer(tsv, true, EngineKind::default());
    let found: Vec<String> = gazetteer
        .boundary_diagnostics(&Tokenizer::new())
        .iter()
        .map(|d| format!("{}: {:?}", d.origin, d.kind))
        .collect();
    assert_eq!(found, [r#"t.tsv:1: NeverMatches { reason: "no token ends where it ends" }"#]);
}

// ---------------------------------------------------------------------------
// Compiled form.

fn compiled(gazetteer: &Gazetteer) -> Vec<u8> {
    let mut bytes = Vec::new();
    gazetteer.write_compiled(&mut bytes).unwrap();
    bytes
}

fn sample() -> Gazetteer {
    let tsv = "Iran\tGPE\tQ794\t2\nIslamic Revolutionary Guard Corps\tORG\tQ271110\nMüller\tPERSON\t\t-1\tsensitive\n";
    gazetteer(tsv, true, EngineKind::DoubleArray)
}

#[test]
fn compiled_round_trip_keeps_entries_and_matches() {
    for engine in [EngineKind::DoubleArray, EngineKind::AhoCorasick] {
        let tsv = "Iran\tGPE\tQ794\t2\nIslamic Revolutionary Guard Corps\tORG\nMüller\tPERSON\t\t-1\tsensitive\n";
        let original = gazetteer(tsv, true, engine);
        let loaded = Gazetteer::from_compiled_bytes(&compiled(&original)).unwrap();
        let entries = |g: &Gazetteer| g.entries().map(|e| e.to_entry()).collect::<Vec<_>>();
        assert_eq!(entries(&loaded), entries(&original));
        assert_eq!(loaded.stats(), original.stats());
        assert_eq!(loaded.engine(), Some(engine));
        let text = "Iran’s Islamic Revolutionary Guard Corps (IRGC) and Muller";
        let tokens = Tokenizer::new().tokenize(text);
        let find =
            |g: Gazetteer| MatcherBuilder::new().build(vec![Arc::new(g)]).find(text, &tokens);
        let loaded_matches = find(loaded);
        assert_eq!(loaded_matches.spans.len(), 4, "{loaded_matches:?}");
        assert_eq!(loaded_matches, find(original));
    }
}

#[test]
fn compiled_empty_gazetteer_round_trips() {
    let empty = GazetteerBuilder::new().build().unwrap();
    let loaded = Gazetteer::from_compiled_bytes(&compiled(&empty)).unwrap();
    assert_eq!((loaded.len(), loaded.engine()), (0, None));
}

#[test]
fn compiled_is_deterministic() {
    assert_eq!(compiled(&sample()), compiled(&sample()));
}

fn load_error(bytes: &[u8]) -> String {
    match Gazetteer::from_compiled_bytes(bytes) {
        Ok(_) => "ok".to_string(),
        Err(err) => format!("{:?}", err.kind()),
    }
}

#[test]
fn compiled_truncated_anywhere_is_an_error() {
    let bytes = compiled(&sample());
    for len in 0..bytes.len() {
        let error = load_error(&bytes[..len]);
        let expected = if len < MAGIC.len() { "NotCompiled" } else { "Truncated" };
        assert_eq!(error, expected, "cut at {len} of {}", bytes.len());
    }
}

#[test]
fn compiled_flipped_byte_anywhere_is_an_error() {
    let bytes = compiled(&sample());
    for position in 0..bytes.len() {
        let mut corrupt = bytes.clone();
        corrupt[position] ^= 0x40;
        let error = load_error(&corrupt);
        assert_ne!(error, "ok", "flipped byte {position}");
    }
}

macro_rules! compiled_errors {
    ($($name:ident: $edit:expr => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            let mut bytes = compiled(&sample());
            let edit: fn(&mut Vec<u8>) = $edit;
            edit(&mut bytes);
            assert_eq!(load_error(&bytes), $expected);
        }
    )*};
}

compiled_errors! {
    compiled_ok: |_| {} => "ok";
    compiled_bad_magic: |b| b[0] = b'X' => "NotCompiled";
    compiled_tsv_is_not_compiled: |b| *b = b"Iran\tGPE\n".to_vec() => "NotCompiled";
    compiled_future_version: |b| b[8..12].copy_from_slice(&4u32.to_le_bytes()) => "UnsupportedVersion { found: 4, supported: 3 }";
    compiled_version_1: |b| b[8..12].copy_from_slice(&1u32.to_le_bytes()) => "UnsupportedVersion { found: 1, supported: 3 }";
    compiled_version_2_daachorse: |b| b[8..12].copy_from_slice(&2u32.to_le_bytes()) => "UnsupportedVersion { found: 2, supported: 3 }";
    compiled_trie_root_is_a_leaf: |b| edit_trie(b, |trie| trie[7] |= 0x80) => "Corrupt { what: \"double-array trie: the root is a leaf\" }";
    compiled_payload_flip: |b| { let last = b.len() - 1; b[last] ^= 1 } => "ChecksumMismatch";
    compiled_checksum_flip: |b| b[12] ^= 1 => "ChecksumMismatch";
    compiled_trailing_bytes: |b| b.push(0) => "Corrupt { what: \"bytes after the end\" }";
}

/// Edits the trie of a compiled file (the end of the payload: no key holds a NUL
/// byte, so the trie is a count of 0 and the array) and recomputes the length and
/// checksum, so that only the trie's own checks can catch it.
fn edit_trie(bytes: &mut Vec<u8>, edit: impl Fn(&mut Vec<u8>)) {
    let automaton_len = sample().engine.serialized().unwrap_or_default().len();
    let mut trie = bytes.split_off(bytes.len() - automaton_len);
    assert_eq!(trie[..4], [0, 0, 0, 0], "no key aside");
    edit(&mut trie);
    let mut payload = bytes.split_off(24);
    let len_at = payload.len() - 8;
    payload[len_at..].copy_from_slice(&(trie.len() as u64).to_le_bytes());
    payload.extend_from_slice(&trie);
    *bytes = with_header(&payload);
}

#[test]
fn a_trie_cut_or_with_a_transition_outside_is_corrupt_even_with_a_valid_checksum() {
    let cut_mid_unit: fn(&mut Vec<u8>) = |trie| {
        trie.pop();
    };
    let cut_a_unit: fn(&mut Vec<u8>) = |trie| trie.truncate(trie.len() - 4);
    // The root's offset pointing past the array (bits 10.. of the unit).
    let root_outside: fn(&mut Vec<u8>) =
        |trie| trie[4..8].copy_from_slice(&(0x7FFF_FC00u32).to_le_bytes());
    for (name, edit) in [("mid unit", cut_mid_unit), ("a unit", cut_a_unit), ("root", root_outside)]
    {
        let mut bytes = compiled(&sample());
        edit_trie(&mut bytes, edit);
        let error = load_error(&bytes);
        assert!(error.starts_with("Corrupt { what: \"double-array trie"), "{name}: {error}");
    }
}

#[test]
fn a_compiled_file_of_the_previous_format_is_a_located_error_that_says_to_recompile() {
    let dir = tempfile::tempdir().unwrap();
    let path = compiled_file(dir.path(), "old.rgz", "Iran\tGPE\n", false);
    let mut bytes = std::fs::read(&path).unwrap();
    // Version 2 held daachorse's automaton where version 3 holds the trie.
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let err = Gazetteer::load_compiled(&path).unwrap_err();
    assert_eq!(err.kind().name(), "unsupported_version");
    assert_eq!(err.file(), Some(path.display().to_string().as_str()));
    let message = err.to_string();
    assert!(message.contains("version 2") && message.contains("recompile"), "{message}");
}

#[test]
fn embedded_default_loads() {
    let embedded = Gazetteer::embedded_default().unwrap();
    let from_source = GazetteerBuilder::new()
        .add_tsv_reader(DEFAULT_NAME, DEFAULT_TSV.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let entries = |g: &Gazetteer| g.entries().map(|e| e.to_entry()).collect::<Vec<_>>();
    assert!(!embedded.is_empty());
    assert_eq!(entries(&embedded), entries(&from_source));
}

// ---------------------------------------------------------------------------
// The brute-force reference: every entry tried at every pair of token
// boundaries, and overlap policies applied by their definitions.

fn reference_candidates(
    entries: &[Entry],
    diacritics: bool,
    text: &str,
    tokens: &[Token],
) -> Vec<Match> {
    let words: Vec<&Token> = tokens.iter().filter(|t| t.kind != TokenKind::Space).collect();
    let folded = Folding { case: true, diacritics };
    let kept = Folding { case: false, diacritics };
    let mut found = Vec::new();
    for entry in entries {
        let pattern = normalize_pattern(&entry.pattern, folded);
        for first in &words {
            for last in words.iter().filter(|t| t.end > first.start) {
                let written = &text[first.start..last.end];
                if normalize_str(written, folded) != pattern {
                    continue;
                }
                let (pattern_kept, written_kept) =
                    (normalize_pattern(&entry.pattern, kept), normalize_str(written, kept));
                let case_ok = match entry.case {
                    CasePolicy::Insensitive => true,
                    CasePolicy::Sensitive => pattern_kept == written_kept,
                    CasePolicy::Smart => smart_case_matches(&pattern_kept, &written_kept),
                };
                if case_ok {
                    found.push(Match {
                        start: first.start,
                        end: last.end,
                        label: entry.label.as_str().into(),
                        id: entry.id.as_deref().map(Into::into),
                        source: entry.origin.to_string().into(),
                        rule: MatchRule::Entry,
                        priority: entry.priority,
                        alias_of: None,
                    });
                }
            }
        }
    }
    found
}

type Key = (usize, usize, String, Option<String>);

fn key(m: &Match) -> Key {
    (m.start, m.end, m.label.to_string(), m.id.as_deref().map(str::to_string))
}

/// Overlap policies by definition: repeatedly take the best remaining candidate
/// and remove everything that overlaps it.
fn reference_resolve(candidates: &[Match], policy: OverlapPolicy) -> Vec<Key> {
    let mut remaining: Vec<Key> = candidates.iter().map(key).collect();
    remaining.sort();
    remaining.dedup();
    if policy == OverlapPolicy::All {
        return remaining;
    }
    let priority =
        |k: &Key| candidates.iter().filter(|m| key(m) == *k).map(|m| m.priority).max().unwrap_or(0);
    let mut kept = Vec::new();
    while !remaining.is_empty() {
        let best = remaining
            .iter()
            .min_by_key(|k| match policy {
                OverlapPolicy::Longest => {
                    (k.0 as i64, -(k.1 as i64), -(priority(k) as i64), k.2.clone(), k.3.clone())
                }
                _ => (
                    -(priority(k) as i64),
                    -((k.1 - k.0) as i64),
                    k.0 as i64,
                    k.2.clone(),
                    k.3.clone(),
                ),
            })
            .cloned()
            .unwrap();
        remaining.retain(|k| !(k.0 < best.1 && best.0 < k.1));
        kept.push(best);
    }
    kept.sort();
    kept
}

const PIECES: &[&str] = &[
    "Iran",
    "IRAN",
    "iran",
    "Iranian",
    "Tehran",
    "al",
    "Sudani",
    "Straße",
    "STRASSE",
    "strasse",
    "İzmir",
    "izmir",
    "ﬁre",
    "Fire",
    "Müller",
    "Muller",
    "Mu\u{308}ller",
    "O’Brien",
    "O'Brien",
    "US",
    "Us",
    "us",
    "USB",
    "New",
    "York",
    "e\u{301}",
    "Ελλάδα",
    "ΕΛΛΆΔΑ",
    "42",
];
const SEPARATORS: &[&str] =
    &[" ", " ", " ", "  ", "\n", "\n\n", "-", "‐", "—", "’s ", ", ", "“", "” ", "", "'"];

fn joined(pieces: Vec<(usize, usize)>) -> String {
    let mut text = String::new();
    for (index, (piece, separator)) in pieces.iter().enumerate() {
        if index > 0 {
            text.push_str(SEPARATORS[*separator]);
        }
        text.push_str(PIECES[*piece]);
    }
    text
}

fn arbitrary_entry() -> impl Strategy<Value = (String, usize, i32, usize)> {
    (
        prop::collection::vec((0..PIECES.len(), 0..SEPARATORS.len()), 1..4).prop_map(joined),
        0..3usize,
        0..3i32,
        0..3usize,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn matcher_agrees_with_brute_force(
        raw_entries in prop::collection::vec(arbitrary_entry(), 1..8),
        text_pieces in prop::collection::vec((0..PIECES.len(), 0..SEPARATORS.len()), 0..14),
        diacritics in any::<bool>(),
        double_array in any::<bool>(),
    ) {
        let text = joined(text_pieces);
        let entries: Vec<Entry> = raw_entries
            .into_iter()
            .enumerate()
            .filter(|(_, (pattern, ..))| pattern.chars().any(char::is_alphanumeric))
            .map(|(line, (pattern, label, priority, case))| Entry {
                pattern,
                label: ["GPE", "ORG", "PERSON"][label].to_string(),
                id: (label == 1).then(|| format!("Q{line}")),
                priority,
                case: [CasePolicy::Smart, CasePolicy::Sensitive, CasePolicy::Insensitive][case],
                origin: Origin { file: "p.tsv".to_string(), line: line as u64 + 1 },
            })
            .collect();
        let engine = if double_array { EngineKind::DoubleArray } else { EngineKind::AhoCorasick };
        let mut builder = GazetteerBuilder::new();
        builder.diacritics(diacritics).engine(engine);
        for entry in &entries {
            builder.add_entry(entry.clone());
        }
        let gazetteer = Arc::new(builder.build().unwrap());
        let tokens = Tokenizer::new().tokenize(&text);

        let mut expected = reference_candidates(&entries, diacritics, &text, &tokens);
        let matcher = MatcherBuilder::new().aliases(false).build(vec![Arc::clone(&gazetteer)]);
        let mut actual = matcher.candidates(&text, &tokens);
        let order = |a: &Match, b: &Match| (key(a), &a.source).cmp(&(key(b), &b.source));
        expected.sort_by(order);
        actual.sort_by(order);
        prop_assert_eq!(&actual, &expected, "text {:?}", text);

        for policy in [OverlapPolicy::Longest, OverlapPolicy::Priority, OverlapPolicy::All] {
            let matcher = MatcherBuilder::new()
                .aliases(false)
                .overlaps(policy)
                .build(vec![Arc::clone(&gazetteer)]);
            let matches = matcher.find(&text, &tokens);
            let spans: Vec<Key> = matches.spans.iter().map(key).collect();
            prop_assert_eq!(&spans, &reference_resolve(&expected, policy), "{:?} on {:?}", policy, text);
            // Nothing is lost: every candidate is kept or dropped with a winner.
            prop_assert_eq!(matches.spans.len() + matches.dropped.len(), expected.len());
            prop_assert!(matches.dropped.iter().all(|d| d.winner.is_some()));

            // With aliases: still on token boundaries, still disjoint unless
            // `all`, and an alias only after the match that defined it (the texts have no
            // parentheses, so these are last-name aliases).
            let matcher = MatcherBuilder::new().overlaps(policy).build(vec![Arc::clone(&gazetteer)]);
            let matches = matcher.find(&text, &tokens);
            // Without the trace: the same spans, nothing dropped listed.
            let untraced = matcher.find_untraced(&text, &tokens);
            prop_assert_eq!(&untraced.spans, &matches.spans);
            prop_assert!(untraced.dropped.is_empty());
            for m in &matches.spans {
                prop_assert!(tokens.iter().any(|t| t.start == m.start && t.kind != TokenKind::Space));
                prop_assert!(tokens.iter().any(|t| t.end == m.end && t.kind != TokenKind::Space));
                if let Some([_, defined_end]) = m.alias_of {
                    prop_assert!(defined_end <= m.start);
                    prop_assert!(m.rule != MatchRule::Entry);
                }
            }
            if policy != OverlapPolicy::All {
                for pair in matches.spans.windows(2) {
                    prop_assert!(pair[0].end <= pair[1].start, "{:?}", pair);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Garbage in: an error or a gazetteer, never a panic.

fn with_header(payload: &[u8]) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

proptest! {
    #[test]
    fn sources_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = GazetteerBuilder::new().add_tsv_reader("f.tsv", &bytes[..]).and_then(|b| b.build());
        let _ = GazetteerBuilder::new().add_patterns_reader("f.jsonl", &bytes[..]).and_then(|b| b.build());
    }

    #[test]
    fn compiled_payload_with_a_valid_checksum_never_panics(
        payload in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let _ = Gazetteer::from_compiled_bytes(&with_header(&payload));
    }

    /// A real payload with bytes changed and the checksum recomputed: the checks
    /// past the checksum must hold on their own, the trie's included (its root
    /// and length on load, `engine::checked_array`; every unit as the walk reads
    /// it, `engine::walk`). Half the edits land in the trie, which is most of the
    /// payload's end.
    #[test]
    fn edited_payload_with_a_valid_checksum_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<bool>()), 1..4),
    ) {
        let gazetteer = sample();
        let automaton_len = gazetteer.engine.serialized().unwrap_or_default().len();
        let bytes = compiled(&gazetteer);
        let mut payload = bytes[24..].to_vec();
        let tables = payload.len() - automaton_len;
        for (index, value, in_trie) in edits {
            let position =
                if in_trie { tables + index.index(automaton_len) } else { index.index(tables) };
            payload[position] = value;
        }
        if let Ok(gazetteer) = Gazetteer::from_compiled_bytes(&with_header(&payload)) {
            let text = "Iran’s Islamic Revolutionary Guard Corps and Müller";
            let tokens = Tokenizer::new().tokenize(text);
            let _ = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]).find(text, &tokens);
        }
    }
}

#[test]
fn try_find_uses_every_token_or_names_the_first_that_does_not_fit() {
    let gazetteer = Arc::new(gazetteer("Iran\tGPE\n", false, EngineKind::default()));
    let matcher = MatcherBuilder::new().build(vec![gazetteer]);
    let text = "Iran, Iran";
    let tokens = Tokenizer::new().tokenize(text);
    let found = matcher.try_find(text, &tokens).map(|matches| matches.spans.len());
    assert_eq!(found.ok(), Some(2));
    // Tokens of a longer text: the last one ends past this one's end.
    let longer = Tokenizer::new().tokenize("Iran, Iran and Iraq");
    match matcher.try_find(text, &longer) {
        Err(err) => {
            assert_eq!(err.kind().name(), "token_outside_text");
            assert!(err.to_string().starts_with("token 3 at bytes 11..14"), "{err}");
        }
        Ok(matches) => panic!("tokens of another text were used: {matches:?}"),
    }
    // `find` leaves the tokens out and still finds what the fitting ones hold.
    assert_eq!(matcher.find(text, &longer).spans.len(), 2);
}

#[test]
fn trie_walk_finds_keys_with_nul_bytes_in_order_of_end() {
    use crate::engine::Engine;
    // Sorted by bytes, as the builder hands them over; key 1 holds a NUL byte,
    // which yada's array cannot, so it is kept aside and merged in by end.
    let keys = ["a", "a\0b", "ab", "b"];
    let haystack = "a\0b ab b";
    let starts = [0, 4, 7];
    let expected = vec![(0, 0, 1), (1, 0, 3), (0, 4, 5), (2, 4, 6), (3, 7, 8)];
    let trie = Engine::build(EngineKind::DoubleArray, keys.iter().copied()).unwrap();
    let stored =
        Engine::deserialize(crate::compiled::Bytes::owned(trie.serialized().unwrap())).unwrap();
    let scan = Engine::build(EngineKind::AhoCorasick, keys.iter().copied()).unwrap();
    for engine in [&trie, &stored] {
        let mut found = Vec::new();
        engine.for_each_from(haystack, &starts, |key, start, end| found.push((key, start, end)));
        assert_eq!(found, expected, "{engine:?}");
    }
    // The scan reports by end across starts; the same set.
    let mut found = Vec::new();
    scan.for_each_from(haystack, &starts, |key, start, end| found.push((key, start, end)));
    found.sort_by_key(|&(_, start, end)| (start, end));
    assert_eq!(found, expected);
}

#[test]
fn a_key_longer_than_the_trie_holds_is_found_by_comparison() {
    // 36 bytes × 40: past the trie's 1,024-byte limit, so kept aside.
    let long = "Wolfeschlegelsteinhausenbergerdorff ".repeat(40) + "Jr";
    let tsv = format!("{long}\tPERSON\nParis\tGPE\n");
    let text = format!("Dear {long}, welcome to Paris");
    let built = gazetteer(&tsv, false, EngineKind::DoubleArray);
    let stored = Gazetteer::from_compiled_bytes(&compiled(&built)).unwrap();
    let tokens = Tokenizer::new().tokenize(&text);
    for gazetteer in [built, stored] {
        let matches = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]).find(&text, &tokens);
        let found: Vec<(&str, &str)> =
            matches.spans.iter().map(|m| (&text[m.start..m.end], m.label.as_str())).collect();
        assert_eq!(found, [(long.as_str(), "PERSON"), ("Paris", "GPE")]);
    }
}

#[test]
fn lexicon_files_names_each_declared_word_list_however_its_key_is_spelled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.jsonl");
    std::fs::write(
        &path,
        concat!(
            "{\"lexicon\":\"cities\",\"path\":\"cities.txt\"}\n",
            "{\"label\":\"GPE\",\"pattern\":[{\"TEXT\":{\"IN_LEXICON\":\"cities\"}}]}\n",
            // The key written with an escape is the same key to a JSON reader.
            "{\"\\u006cexicon\":\"towns\",\"path\":\"towns.txt\"}\n",
            "{\"lexicon\":\"names\",\"words\":[\"ada\"]}\n",
            "{\"label\":\"ORG\",\"pattern\":\"lexicon\"}\n",
        ),
    )
    .unwrap();
    assert_eq!(
        crate::lexicon_files(&path),
        [dir.path().join("cities.txt"), dir.path().join("towns.txt")]
    );
}
