//! Token patterns: table tests per attribute, predicate and operator, the
//! errors, the compiled form, and a property test against a brute-force
//! backtracking matcher.

use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::prelude::*;
use rubric_tokenizer::Tokenizer;

use crate::*;

fn build(jsonl: &str) -> Result<Gazetteer, Error> {
    GazetteerBuilder::new().add_patterns_reader("p.jsonl", jsonl.as_bytes())?.build()
}

/// Every candidate (`--overlaps all`, no aliases) of the patterns in `text`, as
/// `surface` (in text order).
fn all_matches(jsonl: &str, text: &str) -> Vec<String> {
    let gazetteer = match build(jsonl) {
        Ok(gazetteer) => gazetteer,
        Err(err) => panic!("{err}"),
    };
    let matcher = MatcherBuilder::new()
        .overlaps(OverlapPolicy::All)
        .aliases(false)
        .build(vec![Arc::new(gazetteer)]);
    let tokens = Tokenizer::new().tokenize(text);
    let mut found: Vec<(usize, usize, String)> = matcher
        .candidates(text, &tokens)
        .into_iter()
        .map(|m| (m.start, m.end, text[m.start..m.end].to_string()))
        .collect();
    found.sort();
    found.dedup();
    found.into_iter().map(|(_, _, surface)| surface).collect()
}

/// `pattern` is the JSON of a `pattern` list.
fn line(pattern: &str) -> String {
    format!("{{\"label\": \"X\", \"pattern\": {pattern}}}\n")
}

macro_rules! token_patterns {
    ($($name:ident: $pattern:expr, $text:expr => [$($expected:expr),*];)*) => {$(
        #[test]
        fn $name() {
            let expected: Vec<&str> = vec![$($expected),*];
            assert_eq!(all_matches(&line($pattern), $text), expected, "pattern {}", $pattern);
        }
    )*};
}

// Attributes whose values do not depend on spaCy's lexical tables.
token_patterns! {
    orth_exact: r#"[{"ORTH": "Iran"}, {"IS_DIGIT": true}]"#, "Iran 7 iran 8" => ["Iran 7"];
    text_is_orth: r#"[{"TEXT": "Iran"}, {"LENGTH": 1}]"#, "Iran 7 Iran 77" => ["Iran 7"];
    lower_any_case: r#"[{"LOWER": "iran"}, {"ORTH": "!"}]"#, "IRAN! Iran! iran" => ["IRAN!", "Iran!"];
    attribute_names_any_case: r#"[{"lower": "iran"}, {"orth": "!"}]"#, "IRAN!" => ["IRAN!"];
    mixed_orth_and_lower_is_a_token_pattern: r#"[{"ORTH": "Mr."}, {"LOWER": "smith"}]"#,
        "Mr. SMITH and mr. smith" => ["Mr. SMITH"];
    punctuation_only_list_is_a_token_pattern: r#"[{"ORTH": "("}, {"ORTH": ")"}]"#, "f() ( )" => ["()", "( )"];
    length_exact: r#"[{"LENGTH": 4}]"#, "a abcd abcde" => ["abcd"];
    length_in: r#"[{"LENGTH": {"IN": [1, 3]}}]"#, "a ab abc" => ["a", "abc"];
    length_not_in: r#"[{"LENGTH": {"NOT_IN": [1, 3]}}]"#, "a ab abc" => ["ab"];
    length_comparisons: r#"[{"LENGTH": {">=": 2, "<": 4}}]"#, "a ab abc abcd" => ["ab", "abc"];
    length_eq_ne: r#"[{"LENGTH": {"==": 2}}, {"LENGTH": {"!=": 2}}]"#, "ab cd efg hi jk" => ["cd efg"];
    length_gt_le: r#"[{"LENGTH": {">": 1, "<=": 2}}]"#, "a ab abc" => ["ab"];
    in_strings: r#"[{"LOWER": {"IN": ["km", "miles"]}}]"#, "5 KM or 3 miles" => ["KM", "miles"];
    not_in_strings: r#"[{"ORTH": "5"}, {"LOWER": {"NOT_IN": ["km"]}}]"#, "5 KM 5 m" => ["5 m"];
    regex_searches: r#"[{"TEXT": {"REGEX": "^[A-Z]{2,5}$"}}]"#, "The IRGC and NATO met USA-made" => ["IRGC", "NATO", "USA"];
    regex_is_search_not_match: r#"[{"LOWER": {"REGEX": "ra"}}]"#, "Iran Tehran Oslo" => ["Iran", "Tehran"];
    fuzzy_default_allowance: r#"[{"LOWER": {"FUZZY": "nasrallah"}}]"#, "Nasrallah Nasralah Nasrullah Nasr" => ["Nasrallah", "Nasralah", "Nasrullah"];
    fuzzy_one: r#"[{"ORTH": {"FUZZY1": "Tehran"}}]"#, "Tehran Teheran Tehrun Teherun" => ["Tehran", "Teheran", "Tehrun"];
    empty_dict_is_any_token: r#"[{"ORTH": "a"}, {}, {"ORTH": "c"}]"#, "a b c a , c" => ["a b c", "a , c"];
    several_predicates_all_hold: r#"[{"ORTH": {"REGEX": "^a", "NOT_IN": ["ab"]}}]"#, "ab ac b" => ["ac"];
    sent_start: r#"[{"IS_SENT_START": true}, {"LOWER": "b"}]"#, "b b! B b" => ["b b", "B b"];
    not_sent_start: r#"[{"IS_SENT_START": false, "LOWER": "b"}]"#, "b b! B b" => ["b", "b"];
}

// Attributes from rubric-lexeme (spaCy's lexical attributes for English).
token_patterns! {
    norm_base_norms: r#"[{"ORTH": "Iran"}, {"NORM": "'s"}]"#, "Iran’s Iran's" => ["Iran’s", "Iran's"];
    shape: r#"[{"SHAPE": "X-ddx"}]"#, "F-16s and F-35" => ["F-16s"];
    shape_four_repeats: r#"[{"SHAPE": "Xxxxx"}]"#, "Iran Tehran Nasrallah" => ["Tehran", "Nasrallah"];
    prefix: r#"[{"PREFIX": "T"}]"#, "Tehran and Iran" => ["Tehran"];
    suffix: r#"[{"SUFFIX": "ran"}]"#, "Tehran and Iran ran" => ["Tehran", "Iran", "ran"];
    is_alpha: r#"[{"IS_ALPHA": true}, {"IS_ALPHA": false}]"#, "a F-16s go 7" => ["a F-16s", "go 7"];
    is_ascii: r#"[{"IS_ASCII": false}]"#, "Müller and Muller" => ["Müller"];
    is_digit: r#"[{"IS_DIGIT": true}]"#, "² 12 1.5 a1" => ["²", "12"];
    is_lower_upper: r#"[{"IS_LOWER": true}, {"IS_UPPER": true}]"#, "the IRGC The UN" => ["the IRGC"];
    is_title: r#"[{"IS_TITLE": true, "OP": "+"}]"#, "Ayatollah Ali McDonald" => ["Ayatollah", "Ayatollah Ali", "Ali"];
    is_punct: r#"[{"IS_PUNCT": true}]"#, "a, word." => [",", "."];
    is_space: r#"[{"IS_SPACE": true}]"#, "a\n\nb" => ["\n\n"];
    is_stop: r#"[{"IS_STOP": true}]"#, "The leader of Iran" => ["The", "of"];
    is_bracket_quote: r#"[{"IS_BRACKET": true}, {"IS_QUOTE": true}]"#, "(\"a\")" => ["(\""];
    is_left_right_punct: r#"[{"IS_LEFT_PUNCT": true}, {}, {"IS_RIGHT_PUNCT": true}]"#, "(a) [b]" => ["(a)", "[b]"];
    is_currency: r#"[{"IS_CURRENCY": true}, {"LIKE_NUM": true}]"#, "$ 5 and € 7" => ["$ 5", "€ 7"];
    like_num: r#"[{"LIKE_NUM": true}]"#, "1,500 Twenty 3rd 2.5m" => ["1,500", "Twenty", "3rd", "2.5"];
    like_url: r#"[{"LIKE_URL": true}]"#, "see bbc.co.uk now" => ["bbc.co.uk"];
    like_email: r#"[{"LIKE_EMAIL": true}]"#, "write press@un.org now" => ["press@un.org"];
}

// Operators, as spaCy's Matcher returns every match (non-greedy).
token_patterns! {
    op_one_explicit: r#"[{"ORTH": "a", "OP": "1"}]"#, "a b a" => ["a", "a"];
    op_optional: r#"[{"ORTH": "a"}, {"ORTH": "b", "OP": "?"}]"#, "a b c" => ["a", "a b"];
    op_optional_first: r#"[{"ORTH": "a", "OP": "?"}, {"ORTH": "b"}]"#, "a b b" => ["a b", "b", "b"];
    op_plus: r#"[{"ORTH": "a", "OP": "+"}]"#, "a a b" => ["a", "a a", "a"];
    op_star_after: r#"[{"ORTH": "x"}, {"ORTH": "a", "OP": "*"}]"#, "x a a b" => ["x", "x a", "x a a"];
    op_star_between: r#"[{"ORTH": "x"}, {"ORTH": "a", "OP": "*"}, {"ORTH": "y"}]"#, "x y x a a y" => ["x y", "x a a y"];
    op_not: r#"[{"ORTH": "x"}, {"ORTH": "a", "OP": "!"}]"#, "x a x b x" => ["x b"];
    op_not_alone_consumes_a_token: r#"[{"ORTH": "a", "OP": "!"}, {"ORTH": "x"}]"#, "a x b x" => ["b x"];
    op_exactly_n: r#"[{"ORTH": "a", "OP": "{2}"}]"#, "a a a" => ["a a", "a a"];
    op_n_to_m: r#"[{"ORTH": "x"}, {"ORTH": "a", "OP": "{1,2}"}]"#, "x a a a" => ["x a", "x a a"];
    op_at_least_n: r#"[{"ORTH": "x"}, {"ORTH": "a", "OP": "{2,}"}]"#, "x a a a" => ["x a a", "x a a a"];
    op_at_most_m: r#"[{"ORTH": "x"}, {"ORTH": "a", "OP": "{,2}"}]"#, "x a a a" => ["x", "x a", "x a a"];
    op_nested_optional_star: r#"[{"ORTH": "a", "OP": "?"}, {"ORTH": "a", "OP": "*"}, {"ORTH": "b"}]"#,
        "a a b" => ["a a b", "a b", "b"];
    op_any_token_star: r#"[{"ORTH": "("}, {"OP": "*"}, {"ORTH": ")"}]"#, "( a ) )" => ["( a )", "( a ) )"];
}

// rubric's extensions: context tokens, lexicons, names.
token_patterns! {
    context_token_before: r#"[{"LOWER": {"IN": ["mr", "mr."]}, "IN_SPAN": false}, {"ORTH": {"REGEX": "^[A-Z]"}, "OP": "+"}]"#,
        "Mr. John Smith said" => ["John", "John Smith"];
    context_token_after: r#"[{"ORTH": {"REGEX": "^[A-Z]"}}, {"ORTH": "said", "IN_SPAN": false}]"#,
        "Then Smith said" => ["Smith"];
    context_optional: r#"[{"ORTH": "Dr.", "IN_SPAN": false, "OP": "?"}, {"ORTH": "Who"}]"#,
        "Dr. Who" => ["Who"];
}

/// What the matcher keeps per thread between documents (token texts numbered
/// once for every rule set, and per rule set what is known of each text) must
/// never carry one document's answers into another's: not across rule sets
/// that share the numbering, and not after a document so large that the
/// numbering starts afresh (past 65,536 texts), when each text gets a number
/// an earlier text had.
#[test]
fn per_thread_word_knowledge_survives_rule_sets_and_renumbering() {
    let matcher = |jsonl: &str| {
        let gazetteer = build(jsonl).unwrap_or_else(|err| panic!("{err}"));
        MatcherBuilder::new()
            .overlaps(OverlapPolicy::All)
            .aliases(false)
            .build(vec![Arc::new(gazetteer)])
    };
    let surfaces = |matcher: &Matcher, text: &str| -> Vec<String> {
        let tokens = Tokenizer::new().tokenize(text);
        let mut found: Vec<_> =
            matcher.candidates(text, &tokens).into_iter().map(|m| (m.start, m.end)).collect();
        found.sort();
        found.into_iter().map(|(start, end)| text[start..end].to_string()).collect()
    };
    let name = matcher(&line(r#"[{"LOWER": "acme"}, {"IS_TITLE": true, "OP": "+"}]"#));
    let other = matcher(&line(r#"[{"IS_TITLE": true}, {"LOWER": "acme"}]"#));
    let text = "acme Corp said Bank acme left acme";
    for _ in 0..2 {
        assert_eq!(surfaces(&name, text), ["acme Corp"]);
        assert_eq!(surfaces(&other, text), ["Bank acme"]);
    }
    // A document of more distinct texts than the numbering holds, then the
    // same rule sets on the texts in another order: every text is renumbered,
    // and what each rule set knew of the old numbers must be forgotten.
    let big: String = (0..70_000).map(|n| format!("Word{n} ")).collect();
    assert_eq!(surfaces(&name, &big), Vec::<String>::new());
    let reordered = "left Bank acme said acme Corp acme";
    for _ in 0..2 {
        assert_eq!(surfaces(&name, reordered), ["acme Corp"]);
        assert_eq!(surfaces(&other, reordered), ["Bank acme", "Corp acme"]);
    }
}

#[test]
fn lexicons_by_words_and_by_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let words = "\u{feff}# first names\nJohn\n\n  Mary  \n";
    std::fs::write(dir.path().join("first.txt"), words).unwrap_or_else(|err| panic!("{err}"));
    let patterns = "{\"lexicon\": \"first\", \"path\": \"first.txt\"}\n\
         {\"lexicon\": \"titles\", \"words\": [\"mr\", \"mrs\"]}\n\
         {\"label\": \"PERSON\", \"name\": \"titled\", \"pattern\": [{\"LOWER\": {\"IN_LEXICON\": \"titles\"}, \"IN_SPAN\": false}, {\"ORTH\": {\"IN_LEXICON\": \"first\"}}]}\n\
         {\"label\": \"PERSON\", \"pattern\": [{\"ORTH\": {\"NOT_IN_LEXICON\": \"first\"}, \"LENGTH\": 4}, {\"ORTH\": \"Jr\"}]}\n";
    let path = dir.path().join("rules.jsonl");
    std::fs::write(&path, patterns).unwrap_or_else(|err| panic!("{err}"));
    let gazetteer = GazetteerBuilder::new()
        .add_path(&path)
        .and_then(|b| b.build())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(gazetteer.lexicon_names().collect::<Vec<_>>(), ["first", "titles"]);
    let matcher = MatcherBuilder::new()
        .overlaps(OverlapPolicy::All)
        .aliases(false)
        .build(vec![Arc::new(gazetteer)]);
    let text = "MRS Mary and Mr John met Mr Bob. John Jr and Paul Jr";
    let tokens = Tokenizer::new().tokenize(text);
    let found: Vec<(&str, String, MatchRule)> = matcher
        .candidates(text, &tokens)
        .into_iter()
        .map(|m| (&text[m.start..m.end], m.source.to_string(), m.rule))
        .collect();
    let rules = path.display().to_string();
    assert_eq!(
        found,
        [
            ("Mary", format!("{rules}:3#titled"), MatchRule::TokenPattern),
            ("John", format!("{rules}:3#titled"), MatchRule::TokenPattern),
            ("Paul Jr", format!("{rules}:4"), MatchRule::TokenPattern),
        ]
    );
}

#[test]
fn priority_and_longest_resolve_token_patterns_with_phrases() {
    let patterns = "{\"label\": \"ORG\", \"pattern\": \"Acme\"}\n\
         {\"label\": \"ORG\", \"pattern\": [{\"ORTH\": \"Acme\"}, {\"IS_TITLE\": true, \"OP\": \"+\"}], \"id\": \"Q1\"}\n\
         {\"label\": \"PRODUCT\", \"priority\": 5, \"pattern\": [{\"ORTH\": \"Acme\"}, {\"LOWER\": \"phone\"}]}\n";
    let gazetteer = Arc::new(build(patterns).unwrap_or_else(|err| panic!("{err}")));
    let text = "Acme Phone";
    let tokens = Tokenizer::new().tokenize(text);
    let longest = MatcherBuilder::new().aliases(false).build(vec![gazetteer.clone()]);
    let matches = longest.find(text, &tokens);
    // Same span "Acme Phone" from two patterns: PRODUCT has the higher priority.
    let kept: Vec<(&str, &str)> =
        matches.spans.iter().map(|m| (&text[m.start..m.end], m.label.as_str())).collect();
    assert_eq!(kept, [("Acme Phone", "PRODUCT")]);
    let reasons: Vec<(&str, DropReason)> = matches
        .dropped
        .iter()
        .map(|d| (&text[d.candidate.start..d.candidate.end], d.reason))
        .collect();
    assert_eq!(reasons, [("Acme", DropReason::Shorter), ("Acme Phone", DropReason::LowerPriority)]);
    let priority = MatcherBuilder::new()
        .aliases(false)
        .overlaps(OverlapPolicy::Priority)
        .build(vec![gazetteer]);
    let kept: Vec<String> = priority
        .find(text, &tokens)
        .spans
        .iter()
        .map(|m| format!("{} {} {}", &text[m.start..m.end], m.label, m.source))
        .collect();
    assert_eq!(kept, ["Acme Phone PRODUCT p.jsonl:3"]);
}

#[test]
fn phrase_only_token_lists_stay_phrases() {
    // The phrase automaton's smart case and normalization apply, as before:
    // curly apostrophe folded, and the entry found inside a longer token run.
    let gazetteer = build(&line(r#"[{"ORTH": "O'Brien"}, {"ORTH": "Group"}]"#))
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(gazetteer.len(), 1);
    assert_eq!(gazetteer.token_pattern_count(), 0);
    assert_eq!(
        all_matches(&line(r#"[{"ORTH": "O'Brien"}, {"ORTH": "Group"}]"#), "O’Brien Group"),
        ["O’Brien Group"]
    );
}

#[test]
fn token_lists_of_values_no_token_has_are_no_phrases() {
    // spaCy compares `New York` with one token, which never holds a space; the
    // phrase automaton would have matched it across two.
    let gazetteer = build(&line(r#"[{"ORTH": "New York"}]"#)).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((gazetteer.len(), gazetteer.token_pattern_count()), (0, 1));
    assert!(all_matches(&line(r#"[{"ORTH": "New York"}]"#), "in New York today").is_empty());
    assert!(all_matches(&line(r#"[{"LOWER": " new"}, {"LOWER": "york"}]"#), "New York").is_empty());
}

/// The kind of the error that reading `pattern` gives, with its line.
fn error_of(jsonl: &str) -> (String, Option<u64>, String) {
    match build(jsonl) {
        Ok(_) => panic!("{jsonl} should not build"),
        Err(err) => {
            let kind = format!("{:?}", err.kind());
            let kind = kind.split([' ', '{', '(']).next().unwrap_or_default().to_string();
            (kind, err.line(), err.to_string())
        }
    }
}

macro_rules! token_errors {
    ($($name:ident: $jsonl:expr => $kind:expr, $line:expr, $says:expr;)*) => {$(
        #[test]
        fn $name() {
            let (kind, line, message) = error_of($jsonl);
            assert_eq!((kind.as_str(), line), ($kind, Some($line)), "{message}");
            assert!(message.starts_with(&format!("p.jsonl:{}: ", $line)), "{message}");
            assert!(message.contains($says), "{message}");
            assert!(message.contains(" — "), "no hint in {message}");
        }
    )*};
}

token_errors! {
    error_malformed_json: "{\"label\": \"X\", \"pattern\": \"a\"}\n{\"label\": [}\n" => "MalformedJson", 2, "malformed JSON";
    error_unknown_attribute: "{\"label\": \"X\", \"pattern\": [{\"ORTH\": \"a\"}, {\"COLOUR\": \"red\"}]}\n" => "UnknownTokenAttribute", 1, "token 2: unknown token attribute \"COLOUR\"";
    error_pipeline_attribute: "\n{\"label\": \"X\", \"pattern\": [{\"POS\": \"PROPN\"}]}\n" => "UnsupportedTokenAttribute", 2, "\"POS\" needs a trained pipeline";
    error_extension_attribute: "{\"label\": \"X\", \"pattern\": [{\"_\": {\"a\": 1}}]}\n" => "UnsupportedTokenAttribute", 1, "EntityRuler";
    error_entity_attribute: "{\"label\": \"X\", \"pattern\": [{\"ENT_TYPE\": \"ORG\"}]}\n" => "UnsupportedTokenAttribute", 1, "\"ENT_TYPE\"";
    error_bad_regex: "{\"label\": \"X\", \"pattern\": [{\"TEXT\": {\"REGEX\": \"(?<=a)b\"}}]}\n" => "BadRegex", 1, "token 1, TEXT: the REGEX does not compile";
    error_bad_operator: "{\"label\": \"X\", \"pattern\": [{\"ORTH\": \"a\", \"OP\": \"{3,1}\"}]}\n" => "BadOperator", 1, "unknown operator OP \"{3,1}\"";
    error_bad_operator_word: "{\"label\": \"X\", \"pattern\": [{\"ORTH\": \"a\", \"OP\": \"many\"}]}\n" => "BadOperator", 1, "\"many\"";
    error_empty_pattern: "{\"label\": \"X\", \"pattern\": []}\n" => "EmptyTokenPattern", 1, "has no token";
    error_negative_length: "{\"label\": \"X\", \"pattern\": [{\"LENGTH\": -5}]}\n" => "BadTokenValue", 1, "token 1, LENGTH: -5 is negative";
    error_negative_length_in: "{\"label\": \"X\", \"pattern\": [{\"LENGTH\": {\"IN\": [2, -1]}}]}\n" => "BadTokenValue", 1, "-1 is negative";
    error_negative_length_equal: "{\"label\": \"X\", \"pattern\": [{\"LENGTH\": {\"==\": -2}}]}\n" => "BadTokenValue", 1, "-2 is negative";
    error_matches_empty: "{\"label\": \"X\", \"pattern\": [{\"ORTH\": \"a\", \"OP\": \"?\"}, {\"OP\": \"*\"}]}\n" => "MatchesEmpty", 1, "can match no token";
    error_span_matches_empty: "{\"label\": \"X\", \"pattern\": [{\"ORTH\": \"a\", \"IN_SPAN\": false}, {\"ORTH\": \"b\", \"OP\": \"*\"}]}\n" => "MatchesEmpty", 1, "span";
    error_context_in_the_middle: "{\"label\": \"X\", \"pattern\": [{\"ORTH\": \"a\"}, {\"ORTH\": \"b\", \"IN_SPAN\": false}, {\"ORTH\": \"c\"}]}\n" => "BadTokenPattern", 1, "only on tokens at the start or the end";
    error_wrong_value_type: "{\"label\": \"X\", \"pattern\": [{\"IS_TITLE\": \"yes\"}]}\n" => "BadTokenValue", 1, "token 1, IS_TITLE";
    error_comparison_on_text: "{\"label\": \"X\", \"pattern\": [{\"LOWER\": {\">\": 3}}]}\n" => "BadTokenValue", 1, "use it on LENGTH";
    // Values no token has: spaCy accepts them and the pattern never matches.
    error_lower_with_capitals: "{\"label\": \"X\", \"pattern\": [{\"LOWER\": \"Paris\"}, {\"IS_TITLE\": true}]}\n" => "BadTokenValue", 1, "token 1, LOWER: \"Paris\" has upper-case letters";
    error_lower_list_with_capitals: "{\"label\": \"X\", \"pattern\": [{\"LOWER\": {\"IN\": [\"paris\", \"Berlin\"]}, \"OP\": \"+\"}]}\n" => "BadTokenValue", 1, "write \"berlin\"";
    error_shape_run_of_five: "{\"label\": \"X\", \"pattern\": [{\"SHAPE\": \"Xxxxxx\"}]}\n" => "BadTokenValue", 1, "the nearest shape is \"Xxxxx\"";
    error_shape_with_a_letter: "{\"label\": \"X\", \"pattern\": [{\"SHAPE\": {\"IN\": [\"Aa\"]}}]}\n" => "BadTokenValue", 1, "\"Aa\" is no token's SHAPE";
    error_unknown_predicate: "{\"label\": \"X\", \"pattern\": [{\"LOWER\": {\"LIKE\": \"a\"}}]}\n" => "BadTokenValue", 1, "unknown predicate";
    error_unknown_lexicon: "{\"label\": \"X\", \"pattern\": [{\"LOWER\": {\"IN_LEXICON\": \"first_names\"}}]}\n" => "UnknownLexicon", 1, "lexicon \"first_names\", which no source declares";
    error_lexicon_declared_twice: "{\"lexicon\": \"a\", \"words\": [\"x\"]}\n{\"lexicon\": \"a\", \"words\": [\"y\"]}\n" => "DuplicateLexicon", 2, "already declared at p.jsonl:1";
    error_lexicon_file_missing: "{\"lexicon\": \"a\", \"path\": \"no-such-file.txt\"}\n" => "LexiconRead", 1, "no-such-file.txt";
    error_lexicon_not_a_file: "{\"lexicon\": \"a\", \"path\": \"/dev/null\"}\n" => "BadLexicon", 1, "/dev/null is not a regular file";
    // A list of exact values is a phrase only when spaCy could match each one
    // to a token: a capitalized LOWER is the token values' error.
    error_phrase_like_lower_with_capitals: "{\"label\": \"X\", \"pattern\": [{\"LOWER\": \"Barack\"}, {\"LOWER\": \"Obama\"}]}\n" => "BadTokenValue", 1, "\"Barack\" has upper-case letters";
    error_case_on_token_pattern: "{\"label\": \"X\", \"case\": \"smart\", \"pattern\": [{\"ORTH\": \"a\", \"OP\": \"+\"}]}\n" => "BadPatternRecord", 1, "\"case\" applies to phrase patterns only";
}

#[test]
fn compiled_round_trip_keeps_token_patterns_and_lexicons() {
    let patterns = "{\"lexicon\": \"t\", \"words\": [\"mr\"]}\n\
         {\"label\": \"PERSON\", \"id\": \"r1\", \"name\": \"n\", \"priority\": 3, \"pattern\": [{\"LOWER\": {\"IN_LEXICON\": \"t\"}, \"IN_SPAN\": false}, {\"TEXT\": {\"REGEX\": \"^[A-Z]\"}, \"OP\": \"{1,2}\"}]}\n\
         {\"label\": \"GPE\", \"pattern\": \"Iran\"}\n";
    let built = build(patterns).unwrap_or_else(|err| panic!("{err}"));
    let mut bytes = Vec::new();
    built.write_compiled(&mut bytes).unwrap_or_else(|err| panic!("{err}"));
    let loaded = Gazetteer::from_compiled_bytes(&bytes).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(loaded.token_pattern_count(), 1);
    assert_eq!(loaded.lexicon_names().collect::<Vec<_>>(), ["t"]);
    let text = "Mr Ali Reza went to Iran";
    let tokens = Tokenizer::new().tokenize(text);
    let spans = |gazetteer: Gazetteer| -> Vec<Match> {
        MatcherBuilder::new()
            .overlaps(OverlapPolicy::All)
            .aliases(false)
            .build(vec![Arc::new(gazetteer)])
            .candidates(text, &tokens)
    };
    let before = spans(built);
    assert_eq!(before, spans(loaded));
    let surfaces: Vec<String> = before
        .iter()
        .map(|m| format!("{} {} {:?} {}", &text[m.start..m.end], m.source, m.id, m.priority))
        .collect();
    assert_eq!(
        surfaces,
        [
            "Iran p.jsonl:3 None 0",
            "Ali p.jsonl:2#n Some(\"r1\") 3",
            "Ali Reza p.jsonl:2#n Some(\"r1\") 3",
        ]
    );
    // A compiled file joins another builder with its token rules.
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("c.rgz");
    std::fs::write(&path, &bytes).unwrap_or_else(|err| panic!("{err}"));
    let rebuilt = GazetteerBuilder::new()
        .add_path(&path)
        .and_then(|b| b.build())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(spans(rebuilt), before);
}

#[test]
fn version_1_files_are_refused() {
    let built = build("{\"label\": \"GPE\", \"pattern\": \"Iran\"}\n")
        .unwrap_or_else(|err| panic!("{err}"));
    let mut bytes = Vec::new();
    built.write_compiled(&mut bytes).unwrap_or_else(|err| panic!("{err}"));
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    match Gazetteer::from_compiled_bytes(&bytes).map_err(Error::into_kind) {
        Err(ErrorKind::UnsupportedVersion { found: 1, supported: 3 }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn spacy_fuzzy_allowance() {
    use crate::token_match::{levenshtein, levenshtein_compare};
    assert_eq!(levenshtein("kitten", "sitting"), 3);
    assert_eq!(levenshtein("", "abc"), 3);
    assert_eq!(levenshtein("ü", "u"), 1);
    // max(2, round(0.3 * len)): 5 chars → round(1.5) = 2; 15 → round(4.5) = 4
    // (Python rounds halves to even); 12 → round(3.6) = 4.
    assert!(levenshtein_compare("abxxe", "abcde", None));
    assert!(!levenshtein_compare("axxxe", "abcde", None));
    assert!(levenshtein_compare("abcdefghijkxxxx", "abcdefghijklmno", None));
    assert!(!levenshtein_compare("abcdefghijxxxxx", "abcdefghijklmno", None));
    assert!(levenshtein_compare("abcdefghxxxx", "abcdefghijkl", None));
    assert!(levenshtein_compare("ab", "ax", Some(1)));
    assert!(!levenshtein_compare("ab", "xx", Some(1)));
}

proptest! {
    /// The bounded count (one row on the stack, stopped early) says what the
    /// whole table says: on ASCII and on other characters, on words longer
    /// than the stack's row, at every allowance.
    #[test]
    fn bounded_edit_count_agrees_with_the_table(
        a in "[abü😀]{0,70}",
        edits in proptest::collection::vec((0usize..80, 0usize..3, "[abü😀]"), 0..10),
        allowed in 0u32..8,
    ) {
        use crate::token_match::{levenshtein, levenshtein_compare};
        // `b` is `a` a few edits away, so that distances near the allowance
        // (where a count stopped too early or too late would show) are common.
        let mut b: Vec<char> = a.chars().collect();
        for (at, kind, item) in &edits {
            let item = item.chars().next().unwrap_or('a');
            let at = at % (b.len() + 1);
            match kind {
                0 => b.insert(at, item),
                1 if at < b.len() => { b.remove(at); }
                _ if at < b.len() => b[at] = item,
                _ => b.push(item),
            }
        }
        let b: String = b.into_iter().collect();
        let expected = levenshtein(&a, &b) <= allowed as usize;
        prop_assert_eq!(levenshtein_compare(&a, &b, Some(allowed)), expected);
        let (ascii_a, ascii_b) = (a.replace(['ü', '😀'], "c"), b.replace(['ü', '😀'], "d"));
        let expected = levenshtein(&ascii_a, &ascii_b) <= allowed as usize;
        prop_assert_eq!(levenshtein_compare(&ascii_a, &ascii_b, Some(allowed)), expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// Patterns of 64 atoms or more (`search_wide`, a set of atoms several
    /// words long) find what the reachable positions say, on texts longer
    /// than their counts; under `longest` without the trace, the same spans.
    #[test]
    fn long_patterns_agree_with_reachable_positions(
        patterns in prop::collection::vec(
            prop::collection::vec(long_spec(), 1..4),
            1..4,
        ),
        text in prop::collection::vec(prop::sample::select(vec![0usize, 0, 0, 1, 2]), 0..150),
    ) {
        let words: Vec<&str> = text.iter().map(|&w| WORDS[w]).collect();
        let text_string = words.join(" ");
        let mut builder = GazetteerBuilder::new();
        let mut expected = BTreeSet::new();
        for (number, specs) in patterns.iter().enumerate() {
            if specs.iter().all(|spec| bounds(spec.op).0 == 0) {
                continue;
            }
            let pattern: Vec<String> = specs.iter().map(spec_json).collect();
            let line = format!("{{\"label\": \"X\", \"id\": \"p{number}\", \"pattern\": [{}]}}\n", pattern.join(", "));
            builder.add_patterns_reader("long.jsonl", line.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for start in 0..text.len() {
                for end in reachable_ends(specs, &text, start).into_iter().filter(|&end| end > start) {
                    expected.insert((format!("p{number}"), start, end));
                }
            }
        }
        agrees_with_reachable_positions(builder, &text_string, text.len(), expected)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Patterns with context tokens, short (the general search) and of 64
    /// atoms or more (the wide search, one program per part), find what the
    /// reachable positions say: a span from where the leading context can
    /// end to where the span's tokens can end, followed by a match of the
    /// trailing context.
    #[test]
    fn context_patterns_agree_with_reachable_positions(
        patterns in prop::collection::vec(
            (
                prop::collection::vec(long_spec(), 0..3),
                prop::collection::vec(long_spec(), 1..3),
                prop::collection::vec(long_spec(), 0..3),
            ),
            1..4,
        ),
        text in prop::collection::vec(prop::sample::select(vec![0usize, 0, 0, 1, 2]), 0..90),
    ) {
        let words: Vec<&str> = text.iter().map(|&w| WORDS[w]).collect();
        let text_string = words.join(" ");
        let mut builder = GazetteerBuilder::new();
        let mut expected = BTreeSet::new();
        let mut long = 0;
        for (number, (lead, span, trail)) in patterns.iter().enumerate() {
            if lead.is_empty() && trail.is_empty() {
                continue;
            }
            let context = |spec: &Spec| spec_json(spec).replacen('{', "{\"IN_SPAN\": false, ", 1);
            let pattern: Vec<String> = lead
                .iter()
                .map(context)
                .chain(span.iter().map(spec_json))
                .chain(trail.iter().map(context))
                .collect();
            let line = format!("{{\"label\": \"X\", \"id\": \"p{number}\", \"pattern\": [{}]}}\n", pattern.join(", "));
            // A span that can be empty, or a pattern that can match nothing,
            // is refused when it is built: not a case here.
            if GazetteerBuilder::new().add_patterns_reader("c.jsonl", line.as_bytes()).is_err() {
                continue;
            }
            builder.add_patterns_reader("c.jsonl", line.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            // Written out, `+` is two atoms and `{n,m}` is `m` (or `n + 1`).
            let atoms: usize = lead
                .iter()
                .chain(span)
                .chain(trail)
                .map(|spec| match bounds(spec.op) {
                    (_, usize::MAX) => 2,
                    (_, most) => most.max(1),
                })
                .sum();
            long += usize::from(atoms >= 64);
            for start in 0..=text.len() {
                for span_start in reachable_ends(lead, &text, start) {
                    for end in reachable_ends(span, &text, span_start).into_iter().filter(|&end| end > span_start) {
                        if !reachable_ends(trail, &text, end).is_empty() {
                            expected.insert((format!("p{number}"), span_start, end));
                        }
                    }
                }
            }
        }
        agrees_with_reachable_positions(builder, &text_string, text.len(), expected)
            .map_err(|e| TestCaseError::fail(format!("{e} ({long} long patterns)")))?;
    }
}

/// Whether the candidates of the patterns of `builder` in `text` (`words`
/// words) are `expected` (id, first word, end word), and, under `longest`,
/// the spans are the same with the trace and without it.
fn agrees_with_reachable_positions(
    builder: GazetteerBuilder,
    text: &str,
    words: usize,
    expected: BTreeSet<(String, usize, usize)>,
) -> Result<(), TestCaseError> {
    let gazetteer = Arc::new(builder.build().map_err(|e| TestCaseError::fail(e.to_string()))?);
    let tokens = Tokenizer::new().tokenize(text);
    let actual = candidates_by_word(&gazetteer, text, &tokens, words)?;
    prop_assert_eq!(actual, expected, "on {:?}", text);
    let matcher = MatcherBuilder::new()
        .overlaps(OverlapPolicy::Longest)
        .aliases(false)
        .build(vec![gazetteer]);
    let traced = matcher.find(text, &tokens);
    let untraced = matcher.find_untraced(text, &tokens);
    prop_assert_eq!(&untraced.spans, &traced.spans);
    Ok(())
}

fn long_spec() -> impl Strategy<Value = Spec> {
    (prop::option::weighted(0.7, 0..WORDS.len()), 0..LONG_OPS.len())
        .prop_map(|(word, op)| Spec { word, op: LONG_OPS[op] })
}

/// A pattern longer than `MAX_ATOMS` once its counts are written out is a
/// located error before the copies are made, never gigabytes of them.
#[test]
fn a_pattern_too_long_once_written_out_is_refused_at_its_line() {
    let tokens = [r#"{"OP": "{1000}"}"#; 5].join(", ");
    let jsonl = format!("{{\"label\": \"X\", \"pattern\": [{{\"ORTH\": \"a\"}}]}}\n{{\"label\": \"X\", \"pattern\": [{tokens}]}}\n");
    let err = GazetteerBuilder::new()
        .add_patterns_reader("big.jsonl", jsonl.as_bytes())
        .map(|_| ())
        .unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("big.jsonl:2"), "{message}");
    assert!(message.contains("more than 4096") && message.contains("token 5"), "{message}");
    let fits = [r#"{"OP": "{1000}"}"#; 4].join(", ");
    let jsonl = format!("{{\"label\": \"X\", \"pattern\": [{fits}]}}\n");
    assert!(GazetteerBuilder::new().add_patterns_reader("ok.jsonl", jsonl.as_bytes()).is_ok());
}

// --- Property test: the matcher against a brute-force backtracking matcher. ---

/// A token spec of the generated patterns: which word it wants (`None`: any
/// token), whether negated by `!`, and its operator.
#[derive(Clone, Debug)]
struct Spec {
    word: Option<usize>,
    op: &'static str,
}

const WORDS: [&str; 3] = ["a", "b", "c"];
const OPS: [&str; 10] = ["", "!", "?", "*", "+", "{2}", "{1,2}", "{2,}", "{,2}", "{0,1}"];

/// How many tokens `op` lets a spec match: (at least, at most).
fn bounds(op: &str) -> (usize, usize) {
    match op {
        // `LONG_OPS`: patterns of 64 atoms or more (`search_wide`).
        "{0,70}" => (0, 70),
        "{65}" => (65, 65),
        "{2,66}" => (2, 66),
        "{,64}" => (0, 64),
        "" | "!" => (1, 1),
        "?" => (0, 1),
        "*" => (0, usize::MAX),
        "+" => (1, usize::MAX),
        "{2}" => (2, 2),
        "{1,2}" => (1, 2),
        "{2,}" => (2, usize::MAX),
        "{,2}" => (0, 2),
        _ => (0, 1),
    }
}

/// Every end `e` such that `tokens[start..e]` matches `specs`, by backtracking
/// over how many tokens each spec takes.
fn brute_ends(specs: &[Spec], tokens: &[usize], start: usize, ends: &mut BTreeSet<usize>) {
    let Some((spec, rest)) = specs.split_first() else {
        ends.insert(start);
        return;
    };
    let (least, most) = bounds(spec.op);
    let accepts = |token: usize| {
        let holds = spec.word.is_none_or(|word| word == token);
        if spec.op == "!" {
            !holds
        } else {
            holds
        }
    };
    let mut taken = 0;
    loop {
        if taken >= least {
            brute_ends(rest, tokens, start + taken, ends);
        }
        if taken == most || start + taken >= tokens.len() || !accepts(tokens[start + taken]) {
            break;
        }
        taken += 1;
    }
}

/// Every candidate (`--overlaps all`, no aliases) of `gazetteer` in `text` as
/// (id, first word, end word) over its `words` words, the oracles' terms.
fn candidates_by_word(
    gazetteer: &Arc<crate::Gazetteer>,
    text: &str,
    tokens: &[rubric_tokenizer::Token],
    words: usize,
) -> Result<BTreeSet<(String, usize, usize)>, TestCaseError> {
    let words_only: Vec<_> =
        tokens.iter().filter(|t| t.kind != rubric_tokenizer::TokenKind::Space).copied().collect();
    prop_assert_eq!(words_only.len(), words);
    let index_of_start = |offset: usize| words_only.iter().position(|t| t.start == offset);
    let index_of_end =
        |offset: usize| words_only.iter().position(|t| t.end == offset).map(|i| i + 1);
    let matcher = MatcherBuilder::new()
        .overlaps(OverlapPolicy::All)
        .aliases(false)
        .build(vec![Arc::clone(gazetteer)]);
    let mut found = BTreeSet::new();
    for m in matcher.candidates(text, tokens) {
        let (Some(start), Some(end)) = (index_of_start(m.start), index_of_end(m.end)) else {
            return Err(TestCaseError::fail("a match off the word tokens"));
        };
        found.insert((m.id.unwrap_or_default().to_string(), start, end));
    }
    Ok(found)
}

/// The ends [`brute_ends`] finds, by another way: the positions reachable
/// after each spec, as sets (backtracking over `{0,70}`s would take too long).
fn reachable_ends(specs: &[Spec], tokens: &[usize], start: usize) -> BTreeSet<usize> {
    let mut positions = BTreeSet::from([start]);
    for spec in specs {
        let (least, most) = bounds(spec.op);
        let accepts = |token: usize| spec.word.is_none_or(|word| word == token) != (spec.op == "!");
        let mut next = BTreeSet::new();
        for &at in &positions {
            let mut taken = 0;
            loop {
                if taken >= least {
                    next.insert(at + taken);
                }
                if taken == most || at + taken >= tokens.len() || !accepts(tokens[at + taken]) {
                    break;
                }
                taken += 1;
            }
        }
        positions = next;
    }
    positions
}

/// Operators that make patterns of 64 atoms or more, and short ones beside them.
const LONG_OPS: [&str; 9] = ["", "!", "?", "*", "+", "{0,70}", "{65}", "{2,66}", "{,64}"];

fn spec_json(spec: &Spec) -> String {
    let mut fields = Vec::new();
    if let Some(word) = spec.word {
        fields.push(format!("\"ORTH\": \"{}\"", WORDS[word]));
    }
    if !spec.op.is_empty() {
        fields.push(format!("\"OP\": \"{}\"", spec.op));
    }
    format!("{{{}}}", fields.join(", "))
}

fn arbitrary_spec() -> impl Strategy<Value = Spec> {
    (prop::option::weighted(0.8, 0..WORDS.len()), 0..OPS.len())
        .prop_map(|(word, op)| Spec { word, op: OPS[op] })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn token_matcher_agrees_with_brute_force(
        patterns in prop::collection::vec(prop::collection::vec(arbitrary_spec(), 1..5), 1..5),
        text in prop::collection::vec(0..WORDS.len(), 0..12),
        priorities in prop::collection::vec(0..2i32, 5),
        crowded in any::<bool>(),
    ) {
        let words: Vec<&str> = text.iter().map(|&w| WORDS[w]).collect();
        let text_string = words.join(" ");
        let mut jsonl = String::new();
        let mut expected = BTreeSet::new();
        for (number, specs) in patterns.iter().enumerate() {
            let all_optional = specs.iter().all(|spec| bounds(spec.op).0 == 0);
            let pattern: Vec<String> = specs.iter().map(spec_json).collect();
            // Lists of plain ORTH tokens go to the phrase automaton, which must
            // agree too.
            jsonl.push_str(&format!(
                "{{\"label\": \"X\", \"id\": \"p{number}\", \"priority\": {}, \"pattern\": [{}]}}\n",
                priorities[number],
                pattern.join(", ")
            ));
            if all_optional {
                continue;
            }
            for start in 0..text.len() {
                let mut ends = BTreeSet::new();
                brute_ends(specs, &text, start, &mut ends);
                for end in ends.into_iter().filter(|&end| end > start) {
                    expected.insert((format!("p{number}"), start, end));
                }
            }
        }
        // The first pattern again under another id and label: a twin, which the
        // matcher searches for once, must still have every match of its own.
        let first = patterns[0].iter().map(spec_json).collect::<Vec<_>>().join(", ");
        let twin_priority = priorities[4];
        jsonl.push_str(&format!("{{\"label\": \"Y\", \"id\": \"twin\", \"priority\": {twin_priority}, \"pattern\": [{first}]}}\n"));
        let twins: Vec<(String, usize, usize)> = expected
            .iter()
            .filter(|(id, _, _)| id == "p0")
            .map(|(_, start, end)| ("twin".to_string(), *start, *end))
            .collect();
        expected.extend(twins);
        // A pattern that can match nothing is refused; drop those lines.
        let mut builder = GazetteerBuilder::new();
        if crowded {
            // More specs than the matcher keeps bits for (`SPEC_BITS`), each
            // tested once and numbered first, so that the generated patterns'
            // specs tested once are kept in the per-word lists instead: both
            // ways of keeping a result are checked. These never match.
            let fillers: String = (0..crate::pattern::SPEC_BITS)
                .map(|n| format!("{{\"label\": \"Z\", \"pattern\": [{{\"ORTH\": \"zz{n}\"}}, {{\"LENGTH\": {n}}}]}}\n"))
                .collect();
            builder.add_patterns_reader("fill.jsonl", fillers.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        for (number, line) in jsonl.lines().enumerate() {
            let number = if number == patterns.len() { 0 } else { number };
            let mut one = GazetteerBuilder::new();
            if one.add_patterns_reader("g.jsonl", line.as_bytes()).and_then(|b| b.build()).is_ok() {
                prop_assert!(patterns[number].iter().any(|spec| bounds(spec.op).0 > 0));
                builder.add_patterns_reader("g.jsonl", line.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            } else {
                prop_assert!(patterns[number].iter().all(|spec| bounds(spec.op).0 == 0), "{line}");
            }
        }
        let gazetteer = Arc::new(builder.build().map_err(|e| TestCaseError::fail(e.to_string()))?);
        let tokens = Tokenizer::new().tokenize(&text_string);
        let actual = candidates_by_word(&gazetteer, &text_string, &tokens, text.len())?;
        prop_assert_eq!(actual, expected, "{} on {:?}", jsonl, text_string);

        // Without the trace the matcher takes shortcuts (under `longest`, only
        // each pattern's longest match per start, and no sort of every
        // candidate): the same spans as with it, aliases of the matches included.
        // Also with only the twin's label selected: the twin stands in for its
        // leader then.
        let only_twin = Some(vec!["Y".to_string()]);
        for policy in [OverlapPolicy::Longest, OverlapPolicy::Priority] {
            for (aliases, labels) in [(false, None), (true, None), (true, only_twin.clone())] {
                let matcher = MatcherBuilder::new()
                    .overlaps(policy)
                    .aliases(aliases)
                    .labels(labels)
                    .build(vec![Arc::clone(&gazetteer)]);
                let traced = matcher.find(&text_string, &tokens);
                let untraced = matcher.find_untraced(&text_string, &tokens);
                prop_assert_eq!(&untraced.spans, &traced.spans, "{:?} on {}", policy, jsonl);
            }
        }
        // The same with the first token of each pattern a context token (its
        // span starts after where its search starts, and several searches can
        // find one span): the patterns that accept it.
        let mut builder = GazetteerBuilder::new();
        for line in jsonl.lines() {
            let line = line.replacen("\"pattern\": [{", "\"pattern\": [{\"IN_SPAN\": false, ", 1);
            let mut one = GazetteerBuilder::new();
            if one.add_patterns_reader("c.jsonl", line.as_bytes()).and_then(|b| b.build()).is_ok() {
                builder.add_patterns_reader("c.jsonl", line.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
        }
        let context = Arc::new(builder.build().map_err(|e| TestCaseError::fail(e.to_string()))?);
        for policy in [OverlapPolicy::Longest, OverlapPolicy::Priority] {
            let matcher = MatcherBuilder::new().overlaps(policy).build(vec![Arc::clone(&context)]);
            let traced = matcher.find(&text_string, &tokens);
            let untraced = matcher.find_untraced(&text_string, &tokens);
            prop_assert_eq!(&untraced.spans, &traced.spans, "context, {:?} on {}", policy, jsonl);
        }
    }
}

/// The build script's hook: `corpus/gazetteer/rules.jsonl` and its lexicons
/// join `default.tsv` in the embedded default when present.
#[test]
fn default_sources_include_rules_when_present() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|err| panic!("{err}"))
    };
    write("default.tsv", "Tehran\tGPE\n");
    let without = GazetteerBuilder::new()
        .add_default_sources(dir.path(), "corpus/gazetteer")
        .and_then(|b| b.build())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((without.len(), without.token_pattern_count()), (1, 0));
    write("titles.txt", "mr\nmrs\n");
    write(
        "rules.jsonl",
        "{\"lexicon\": \"titles\", \"path\": \"titles.txt\"}\n\
         {\"label\": \"PERSON\", \"pattern\": [{\"LOWER\": {\"IN_LEXICON\": \"titles\"}, \"IN_SPAN\": false}, {\"IS_TITLE\": true}]}\n",
    );
    let with = GazetteerBuilder::new()
        .add_default_sources(dir.path(), "corpus/gazetteer")
        .and_then(|b| b.build())
        .unwrap_or_else(|err| panic!("{err}"));
    let mut bytes = Vec::new();
    with.write_compiled(&mut bytes).unwrap_or_else(|err| panic!("{err}"));
    let loaded = Gazetteer::from_compiled_bytes(&bytes).unwrap_or_else(|err| panic!("{err}"));
    let matcher = MatcherBuilder::new().aliases(false).build(vec![Arc::new(loaded)]);
    let text = "Mrs Ebadi left Tehran";
    let tokens = Tokenizer::new().tokenize(text);
    let found: Vec<(&str, String)> = matcher
        .find(text, &tokens)
        .spans
        .iter()
        .map(|m| (&text[m.start..m.end], m.source.to_string()))
        .collect();
    assert_eq!(
        found,
        [
            ("Ebadi", "corpus/gazetteer/rules.jsonl:2".to_string()),
            ("Tehran", "corpus/gazetteer/default.tsv:1".to_string())
        ]
    );
}

/// Final spans (`longest`, aliases on) of `jsonl` in `text`, as `surface/label/source`.
fn spans_with(jsonl: &str, text: &str, rules: RuleSelection) -> Vec<String> {
    let gazetteer = match build(jsonl) {
        Ok(gazetteer) => gazetteer,
        Err(err) => panic!("{err}"),
    };
    let matcher = MatcherBuilder::new().rules(rules).build(vec![Arc::new(gazetteer)]);
    let tokens = Tokenizer::new().tokenize(text);
    matcher
        .find(text, &tokens)
        .spans
        .iter()
        .map(|m| format!("{}/{}/{}", &text[m.start..m.end], m.label, m.source))
        .collect()
}

const TITLE_RULE: &str = r#"{"name": "person:title", "label": "PERSON", "pattern": [{"LOWER": "president", "IN_SPAN": false}, {"IS_TITLE": true}]}
{"name": "org:agency", "label": "ORG", "pattern": [{"IS_TITLE": true, "OP": "+"}, {"LOWER": "agency"}]}
{"label": "GPE", "pattern": [{"LOWER": "erbil"}]}
"#;

#[test]
fn same_name_alias_finds_a_rule_match_at_every_mention() {
    let text = "Obama spoke first. Later President Obama left; Obama waved.";
    assert_eq!(
        spans_with(TITLE_RULE, text, RuleSelection::All),
        [
            "Obama/PERSON/alias:same-name",
            "Obama/PERSON/p.jsonl:1#person:title",
            "Obama/PERSON/alias:same-name",
        ]
    );
}

#[test]
fn same_name_alias_of_a_multi_word_name_folds_whitespace() {
    let text = "the Food Standards Agency said. Food  Standards\nAgency staff";
    // The rule cannot match across the run of spaces (a whitespace token); the
    // alias compares the words with whitespace folded.
    assert_eq!(
        spans_with(TITLE_RULE, text, RuleSelection::All),
        [
            "Food Standards Agency/ORG/p.jsonl:2#org:agency",
            "Food  Standards\nAgency/ORG/alias:same-name",
        ]
    );
}

/// A rule that needs context, in lower case, in upper case and in a script
/// without case.
const CONTEXT_RULES: &str = r#"{"label": "ORG", "pattern": [{"LOWER": "about", "IN_SPAN": false}, {"LOWER": "the"}, {"LOWER": "ministry"}]}
{"label": "PERSON", "pattern": [{"ORTH": "总统", "IN_SPAN": false}, {"ORTH": "习近平"}]}
"#;

#[test]
fn a_span_written_in_lower_case_defines_no_same_name_alias() {
    // `the ministry` is no name: only where the rule's context holds.
    let text = "He spoke about the ministry. The ministry said the ministry agreed.";
    assert_eq!(spans_with(CONTEXT_RULES, text, RuleSelection::All), ["the ministry/ORG/p.jsonl:1"]);
    // The same rule on a name written with capitals: its other mentions are
    // that name.
    let text = "He spoke about The Ministry. The Ministry said the ministry agreed.";
    assert_eq!(
        spans_with(CONTEXT_RULES, text, RuleSelection::All),
        ["The Ministry/ORG/p.jsonl:1", "The Ministry/ORG/alias:same-name"]
    );
    // A name in a script without case is no lower-case text.
    let text = "总统 习近平 说。 习近平 走了。";
    assert_eq!(
        spans_with(CONTEXT_RULES, text, RuleSelection::All),
        ["习近平/PERSON/p.jsonl:2", "习近平/PERSON/alias:same-name"]
    );
}

#[test]
fn rule_selection_turns_rules_off_by_name_and_prefix() {
    let text = "President Obama met the Food Standards Agency in Erbil.";
    let all = spans_with(TITLE_RULE, text, RuleSelection::All);
    assert_eq!(all.len(), 3, "{all:?}");
    let no_rules = spans_with(TITLE_RULE, text, RuleSelection::none());
    // The unnamed pattern is not a rule: it always runs.
    assert_eq!(no_rules, ["Erbil/GPE/p.jsonl:3"]);
    let only_people = spans_with(TITLE_RULE, text, RuleSelection::Only(vec!["person:".into()]));
    assert_eq!(only_people, ["Obama/PERSON/p.jsonl:1#person:title", "Erbil/GPE/p.jsonl:3"]);
    let without_orgs = spans_with(TITLE_RULE, text, RuleSelection::Except(vec!["org:*".into()]));
    assert_eq!(without_orgs, only_people);
    let exact = spans_with(TITLE_RULE, text, RuleSelection::Except(vec!["person:title".into()]));
    assert_eq!(
        exact,
        ["The Food Standards Agency/ORG/p.jsonl:2#org:agency", "Erbil/GPE/p.jsonl:3"]
            .map(|s| s.replace("The ", ""))
    );
}

#[test]
fn rule_selection_reports_selectors_that_name_nothing() {
    let gazetteer = match build(TITLE_RULE) {
        Ok(gazetteer) => gazetteer,
        Err(err) => panic!("{err}"),
    };
    assert_eq!(gazetteer.rule_names(), ["person:title", "org:agency"]);
    let selection = RuleSelection::Except(vec!["person:".into(), "persn:title".into(), "*".into()]);
    assert_eq!(selection.unknown(&gazetteer.rule_names()), ["persn:title"]);
    assert!(RuleSelection::All.unknown(&[]).is_empty());
}

/// Two gazetteers with token patterns share the document's token attributes
/// (lower forms, flags, sentence starts): together they find exactly what each
/// finds alone.
#[test]
fn gazetteers_sharing_token_attributes_find_what_each_finds_alone() {
    let first = concat!(
        r#"{"label": "A", "pattern": [{"IS_SENT_START": true, "IS_TITLE": true}, {"LOWER": "said"}]}"#,
        "\n",
        r#"{"label": "A", "pattern": [{"LOWER": "the"}, {"IS_TITLE": true, "OP": "+"}]}"#,
        "\n"
    );
    let second = concat!(
        r#"{"label": "B", "pattern": [{"IS_SENT_START": false, "IS_TITLE": true}, {"IS_TITLE": true}]}"#,
        "\n",
        r#"{"label": "B", "pattern": [{"LOWER": {"IN": ["the", "a"]}}, {"SHAPE": "Xxxxx"}]}"#,
        "\n"
    );
    let text = "Smith said the Grand Hotel was full. Jones said a Hotel Royal is near.";
    let tokens = Tokenizer::new().tokenize(text);
    let candidates = |sources: &[&str]| -> BTreeSet<(usize, usize, String)> {
        let gazetteers = sources
            .iter()
            .map(|jsonl| match build(jsonl) {
                Ok(gazetteer) => Arc::new(gazetteer),
                Err(err) => panic!("{err}"),
            })
            .collect();
        let matcher =
            MatcherBuilder::new().overlaps(OverlapPolicy::All).aliases(false).build(gazetteers);
        matcher
            .candidates(text, &tokens)
            .into_iter()
            .map(|m| (m.start, m.end, m.label.to_string()))
            .collect()
    };
    let alone: BTreeSet<_> = candidates(&[first]).union(&candidates(&[second])).cloned().collect();
    let together = candidates(&[first, second]);
    assert_eq!(together, alone);
    // Each rule set found something, so the comparison says something.
    assert!(together.iter().any(|(_, _, label)| label == "A"));
    assert!(together.iter().any(|(_, _, label)| label == "B"));
    let surfaces: Vec<&str> = together.iter().map(|(s, e, _)| &text[*s..*e]).collect();
    assert!(surfaces.contains(&"Smith said"), "{surfaces:?}");
    assert!(surfaces.contains(&"Hotel Royal"), "{surfaces:?}");
}

#[test]
fn a_regex_repeated_in_a_source_is_compiled_once() {
    let mut regexes = crate::pattern::Regexes::default();
    let compile = |regexes: &mut crate::pattern::Regexes, source: &str| {
        regexes.compile(source).unwrap_or_else(|err| panic!("{err}"))
    };
    let first = compile(&mut regexes, "^[A-Z]{3,}$");
    let again = compile(&mut regexes, "^[A-Z]{3,}$");
    let other = compile(&mut regexes, "^[a-z]+$");
    assert!(first.shares_compiled(&again));
    assert!(!first.shares_compiled(&other));
    assert!(first.is_match("NATO") && !other.is_match("NATO"));
    // A bad regex is still an error, and does not poison the cache.
    assert!(regexes.compile("([A-Z]").is_err());
    assert!(regexes.compile("([A-Z]").is_err());
}

#[test]
fn atoms_testing_the_same_things_share_one_spec() {
    let patterns = [
        r#"[{"LOWER": {"IN": ["a", "b"]}}, {"LENGTH": {">=": 2}}]"#,
        // The same tests: an IN list in another order.
        r#"[{"LOWER": {"IN": ["b", "a"]}}, {"LENGTH": {">=": 2}}]"#,
        r#"[{"LOWER": {"NOT_IN": ["a", "b"]}}, {"LENGTH": {">": 2}}]"#,
        r#"[{"TEXT": {"REGEX": "^A"}}, {"LOWER": {"FUZZY": "abc"}}]"#,
        r#"[{"TEXT": {"REGEX": "^A"}}, {"LOWER": {"FUZZY1": "abc"}}]"#,
        r#"[{"LOWER": {"REGEX": "^A"}}, {"LOWER": "abc"}]"#,
        // TEXT is ORTH: the same spec.
        r#"[{"ORTH": {"REGEX": "^A"}}]"#,
    ];
    let jsonl: String = patterns.iter().map(|pattern| line(pattern)).collect();
    let gazetteer = build(&jsonl).unwrap_or_else(|err| panic!("{err}"));
    let specs: Vec<Vec<u32>> = gazetteer
        .rules
        .patterns
        .iter()
        .map(|pattern| pattern.atoms.iter().map(|atom| atom.spec).collect())
        .collect();
    // Numbered by first use.
    assert_eq!(specs[0], [0, 1]);
    assert_eq!(specs[1], specs[0]);
    // NOT_IN is not IN; `>` is not `>=`.
    assert_eq!(specs[2], [2, 3]);
    // One regex source, one spec; FUZZY1 is not FUZZY.
    assert_eq!(specs[3], [4, 5]);
    assert_eq!(specs[4], [4, 6]);
    // The same regex on another attribute, an exact value against a fuzzy one.
    assert_eq!(specs[5], [7, 8]);
    assert_eq!(specs[6], [4]);
    assert_eq!(gazetteer.rules.spec_count, 9);
}

#[test]
fn a_builder_consumed_builds_what_a_borrowed_one_builds() {
    let tsv = "Iran\tGPE\tQ794\nIran\tGPE\tQ794\nAcme Corp\tORG\n";
    let patterns = "{\"lexicon\": \"t\", \"words\": [\"mr\"]}\n\
         {\"label\": \"PERSON\", \"pattern\": [{\"LOWER\": {\"IN_LEXICON\": \"t\"}}, {\"IS_TITLE\": true}]}\n";
    let mut builder = GazetteerBuilder::new();
    builder.add_tsv_reader("g.tsv", tsv.as_bytes()).unwrap_or_else(|err| panic!("{err}"));
    builder
        .add_patterns_reader("p.jsonl", patterns.as_bytes())
        .unwrap_or_else(|err| panic!("{err}"));
    let compiled = |gazetteer: &Gazetteer| {
        let mut bytes = Vec::new();
        gazetteer.write_compiled(&mut bytes).unwrap_or_else(|err| panic!("{err}"));
        bytes
    };
    let borrowed = builder.build().unwrap_or_else(|err| panic!("{err}"));
    let consumed = builder.into_gazetteer().unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(compiled(&borrowed), compiled(&consumed));
    assert_eq!(borrowed.diagnostics(), consumed.diagnostics());
    assert!(!consumed.diagnostics().is_empty(), "the repeated entry is reported");
    // Errors are the same too: the first bad entry.
    let mut bad = GazetteerBuilder::new();
    bad.add_tsv_reader("b.tsv", "Iran\tgpe lower\n".as_bytes()).ok();
    let errors = (bad.build().map(|_| ()), bad.into_gazetteer().map(|_| ()));
    assert!(errors.0.is_err(), "{errors:?}");
    assert_eq!(format!("{:?}", errors.0), format!("{:?}", errors.1));
}
