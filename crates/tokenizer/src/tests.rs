//! Table-driven tests: one line per case, `name: text => [tokens]`. A token is
//! written as its text; the trailing-space flag is checked separately by the
//! invariant tests below.

use proptest::prelude::*;

use unicode_segmentation::UnicodeSegmentation;

use crate::{Token, TokenKind, Tokenizer, TokenizerBuilder};

fn texts(text: &str) -> Vec<&str> {
    Tokenizer::new().tokenize(text).iter().map(|t| t.text(text)).collect()
}

/// One spaCy-mode tokenizer for all tests: building one computes the matcher's
/// patterns for spaCy's 1,343 special cases.
fn spacy() -> &'static Tokenizer {
    static SPACY: std::sync::OnceLock<Tokenizer> = std::sync::OnceLock::new();
    SPACY.get_or_init(|| TokenizerBuilder::spacy().build())
}

fn spacy_texts(text: &str) -> Vec<&str> {
    spacy().tokenize(text).iter().map(|t| t.text(text)).collect()
}

/// Like `cases!`, for spaCy mode. Every expected line is what `spacy.blank("en")`
/// 3.8.18 gives for the text (checked by running it), except where a comment says
/// that rubric's grapheme guarantee wins.
macro_rules! spacy_cases {
    ($($name:ident: $text:expr => [$($token:expr),* $(,)?];)*) => {
        $(
            #[test]
            fn $name() {
                let expected: Vec<&str> = vec![$($token),*];
                assert_eq!(spacy_texts($text), expected, "tokenizing {:?} in spaCy mode", $text);
            }
        )*
    };
}

macro_rules! cases {
    ($($name:ident: $text:expr => [$($token:expr),* $(,)?];)*) => {
        $(
            #[test]
            fn $name() {
                let expected: Vec<&str> = vec![$($token),*];
                assert_eq!(texts($text), expected, "tokenizing {:?}", $text);
            }
        )*
    };
}

cases! {
    // Whitespace, exactly as spaCy: one space is `ws`, anything else is a token.
    single_spaces_are_not_tokens: "a b c" => ["a", "b", "c"];
    double_space_leaves_a_space_token: "a  b" => ["a", " ", "b"];
    newline_is_a_token: "a\nb" => ["a", "\n", "b"];
    space_then_newline: "a \n b" => ["a", "\n ", "b"];
    leading_whitespace_is_one_token: "  a" => ["  ", "a"];
    no_break_space_is_a_token: "a\u{a0}b" => ["a", "\u{a0}", "b"];
    tab_is_a_token: "a\tb" => ["a", "\t", "b"];
    byte_order_mark_comes_off_the_word: "\u{feff}Paris and \u{feff}Rome" => ["\u{feff}", "Paris", "and", "\u{feff}", "Rome"];
    // Quotes and brackets split off.
    curly_quotes: "“hostile action”" => ["“", "hostile", "action", "”"];
    straight_quotes: "\"Hello,\" she said" => ["\"", "Hello", ",", "\"", "she", "said"];
    brackets: "(IRGC)" => ["(", "IRGC", ")"];
    nested_punctuation: "ensue.”" => ["ensue", ".", "”"];
    // Ellipses.
    unicode_ellipsis: "respond… a" => ["respond", "…", "a"];
    three_periods: "wait...what" => ["wait", "...", "what"];
    trailing_periods: "wait..." => ["wait", "..."];
    // Clitics.
    curly_possessive: "Iran’s" => ["Iran", "’s"];
    straight_possessive: "Iran's" => ["Iran", "'s"];
    negation: "don't" => ["do", "n't"];
    curly_negation: "doesn’t" => ["does", "n’t"];
    cant_as_spacy: "can't" => ["ca", "n't"];
    wont_as_spacy: "won't" => ["wo", "n't"];
    pronoun_are: "we’re" => ["we", "’re"];
    pronoun_will: "They'll" => ["They", "'ll"];
    pronoun_would: "I'd" => ["I", "'d"];
    pronoun_have: "you've" => ["you", "'ve"];
    i_am: "I'm" => ["I", "'m"];
    name_with_apostrophe_stays: "O'Brien" => ["O'Brien"];
    arabic_name_with_apostrophe_stays: "Sa'd" => ["Sa'd"];
    trailing_apostrophe: "Shia’ al-Sudani" => ["Shia", "’", "al", "-", "Sudani"];
    plural_possessive: "players'" => ["players", "'"];
    cannot: "cannot" => ["can", "not"];
    // The contractions of issue 18, as spaCy 3.8 splits them.
    modal_have: "would've could’ve should've must've Might've" =>
        ["would", "'ve", "could", "’ve", "should", "'ve", "must", "'ve", "Might", "'ve"];
    dropped_first_syllable: "'cause ’cuz 'Cos" => ["'cause", "’cuz", "'Cos"];
    dropped_final_g: "nothin' somethin’ ol' Ol’" => ["nothin'", "somethin’", "ol'", "Ol’"];
    dropped_g_before_punctuation: "(nothin')." => ["(", "nothin'", ")", "."];
    lone_would: "'d ’d" => ["'d", "’d"];
    y_all_lower_case_splits: "y'all y’all" => ["y'", "all", "y’", "all"];
    y_all_title_case_stays: "Y'all Y’all" => ["Y'all", "Y’all"];
    two_apostrophes_are_one_quote: "''yes'' ok''" => ["''", "yes", "''", "ok", "''"];
    three_apostrophes: "'''" => ["'", "''"];
    // Hyphens and dashes.
    hyphen_between_letters: "al-Sudani" => ["al", "-", "Sudani"];
    hyphen_before_capital: "Pro-Tehran" => ["Pro", "-", "Tehran"];
    hyphen_before_digit_stays: "COVID-19" => ["COVID-19"];
    hyphen_in_model_name_stays: "F-16" => ["F-16"];
    decade_compound_stays: "mid-1990s" => ["mid-1990s"];
    number_range_splits: "2-3" => ["2", "-", "3"];
    em_dash_between_words: "Zionist—regime" => ["Zionist", "—", "regime"];
    double_hyphen: "a--b" => ["a", "--", "b"];
    lone_hyphen_is_a_token: "regime - which" => ["regime", "-", "which"];
    // Numbers stay whole.
    thousands: "2,500" => ["2,500"];
    decimal: "3.5" => ["3.5"];
    clock: "12:20 am" => ["12:20", "am"];
    fraction: "1/2" => ["1/2"];
    big_number: "1,000.50" => ["1,000.50"];
    percent_splits: "10.5%" => ["10.5", "%"];
    currency_splits: "$2.5bn" => ["$", "2.5bn"];
    us_dollars: "US$5" => ["US$", "5"];
    unit_splits: "10km" => ["10", "km"];
    hour_meridiem: "5pm" => ["5", "pm"];
    number_then_period: "in 2020." => ["in", "2020", "."];
    // Abbreviations stay whole; other final periods split.
    us: "U.S. troops" => ["U.S.", "troops"];
    mister: "Mr. Biden" => ["Mr.", "Biden"];
    month: "Jan. 5" => ["Jan.", "5"];
    initial: "J. Smith" => ["J.", "Smith"];
    latin: "e.g. this" => ["e.g.", "this"];
    abbreviation_then_comma: "U.S., Iraq" => ["U.S.", ",", "Iraq"];
    acronym_at_sentence_end: "the IRGC." => ["the", "IRGC", "."];
    word_at_sentence_end: "Iraq." => ["Iraq", "."];
    missing_space_after_period: "Iraq.The" => ["Iraq", ".", "The"];
    hyphenated_abbreviation: "U.S.-led" => ["U.S.-led"];
    // Web forms stay whole.
    url: "see https://example.com/a-b?c=1." => ["see", "https://example.com/a-b?c=1", "."];
    bare_domain: "bit.ly/x-y" => ["bit.ly/x-y"];
    www: "(www.bbc.co.uk)" => ["(", "www.bbc.co.uk", ")"];
    email: "<news@example.org>" => ["<", "news@example.org", ">"];
    handle: "@nytimes:" => ["@nytimes", ":"];
    hashtag: "#Iran2024," => ["#Iran2024", ","];
    number_sign_is_not_a_hashtag: "#1" => ["#", "1"];
    // Other punctuation inside words.
    comma_between_letters: "a,b" => ["a", ",", "b"];
    slash_between_words: "km/h" => ["km", "/", "h"];
    and_or: "and/or" => ["and/or"];
    ampersand_stays: "AT&T" => ["AT&T"];
    colon_between_letters: "Note:this" => ["Note", ":", "this"];
    repeated_bang: "Hello!!" => ["Hello", "!", "!"];
    // Unicode.
    accented_words: "Müller naïve Côte" => ["Müller", "naïve", "Côte"];
    emoji_splits_off: "great😀." => ["great", "😀", "."];
    degree: "5°C" => ["5", "°", "C"];
    combining_accent_is_never_cut: "e\u{301}." => ["e\u{301}."];
    flag_is_one_grapheme: "🇺🇸!" => ["🇺🇸", "!"];
    skin_tone_stays_with_emoji: "👍🏽ok" => ["👍🏽", "ok"];
    soft_hyphen_inside_word: "Ro\u{ad}manowski" => ["Ro\u{ad}manowski"];
    cyrillic_period: "Москва." => ["Москва", "."];
}

spacy_cases! {
    spacy_abbreviation_after_infix: "Tuesday.Mr. Smith" => ["Tuesday", ".", "Mr.", "Smith"];
    spacy_emoticons: ":) (: >:o :/ :-P <3" => [":)", "(:", ">:o", ":/", ":-P", "<3"];
    spacy_emoticon_number: "Win 8) clients" => ["Win", "8)", "clients"];
    spacy_titles_split: "Lt. Dan and Col. Sanders" =>
        ["Lt", ".", "Dan", "and", "Col", ".", "Sanders"];
    spacy_hashtags_split: "#Iran2024 #1" => ["#", "Iran2024", "#", "1"];
    spacy_handle: "@nytimes: hi" => ["@nytimes", ":", "hi"];
    spacy_emails: "jane.doe@example.com first-last@news.co.uk" =>
        ["jane.doe@example.com", "first-last@news.co.uk"];
    spacy_url: "see https://example.com/a-b?c=1." => ["see", "https://example.com/a-b?c=1", "."];
    spacy_url_in_brackets: "(www.bbc.co.uk)" => ["(", "www.bbc.co.uk", ")"];
    spacy_private_ip_is_no_url: "http://192.168.0.1/admin http://8.8.8.8" =>
        ["http://192.168.0.1", "/", "admin", "http://8.8.8.8"];
    spacy_contractions: "would've Could've 'cause nothin' Y'all y'all" =>
        ["would", "'ve", "Could", "'ve", "'cause", "nothin'", "Y'all", "y'", "all"];
    spacy_two_apostrophes: "''yes'' he said" => ["''", "yes", "''", "he", "said"];
    spacy_hours: "10am 5p.m. 3pm." => ["10", "am", "5", "p.m.", "3", "pm", "."];
    spacy_case_of_contractions: "don't DON'T Don't dont" =>
        ["do", "n't", "DON'T", "Do", "n't", "do", "nt"];
    spacy_abbreviations: "U.S. e.g. a. etc." => ["U.S.", "e.g.", "a.", "etc", "."];
    spacy_units_and_currency: "5°C 10km US$5 $2.5bn 1,000km/h" =>
        ["5", "°", "C", "10", "km", "US$", "5", "$", "2.5bn", "1,000", "km/h"];
    spacy_hyphens: "Pakistan-based al-Sudani" => ["Pakistan", "-", "based", "al", "-", "Sudani"];
    spacy_byte_order_mark_stays_on_the_word: "\u{feff}Paris" => ["\u{feff}Paris"];
    // A match across a space is not applied, but blocks: spaCy finds `)` `:` (an
    // emoticon's pieces) before `:` `(`.
    spacy_blocked_emoticon: "(country) :(~" => ["(", "country", ")", ":", "(", "~"];
    spacy_emoticon_unblocked: "(country) :(" => ["(", "country", ")", ":("];
    // spaCy cuts these grapheme clusters (`🇺` `🇸`, `👍` `🏽ok`); rubric never does.
    spacy_grapheme_clusters_stay_whole: "great😀. 🇺🇸! 👍🏽ok" =>
        ["great", "😀", ".", "🇺🇸", "!", "👍🏽ok"];
}

fn kinds(text: &str) -> Vec<TokenKind> {
    Tokenizer::new().tokenize(text).iter().map(|t| t.kind).collect()
}

#[test]
fn kinds_are_assigned() {
    use TokenKind::*;
    assert_eq!(
        kinds("Iran’s 2,500 “troops” $ 😀 https://x.com a@b.co @h #t \n"),
        [
            Word,
            Word,
            Number,
            Punctuation,
            Word,
            Punctuation,
            Symbol,
            Symbol,
            Url,
            Email,
            Handle,
            Hashtag,
            Space
        ]
    );
    assert_eq!(kinds("12:20 -5 U.S. F-16 ..."), [Number, Number, Word, Word, Punctuation]);
}

#[test]
fn trailing_space_flags_follow_spacy() {
    let text = "a  b \nc ";
    let flags: Vec<(&str, bool)> =
        Tokenizer::new().tokenize(text).iter().map(|t| (t.text(text), t.ws)).collect();
    assert_eq!(flags, [("a", true), (" ", false), ("b", true), ("\n", false), ("c", true)]);
}

#[test]
fn builder_switches_rules_off() {
    let text = "al-Sudani don't #tag https://a.com/b-c";
    let plain =
        Tokenizer::builder().hyphens(false).clitics(false).hashtags(false).web(false).build();
    let tokens: Vec<&str> = plain.tokenize(text).iter().map(|t| t.text(text)).collect();
    // Without the web rule a URL is cut like any text: `/` between letters splits.
    assert_eq!(tokens, ["al-Sudani", "don't", "#", "tag", "https://a.com", "/", "b-c"]);
}

#[test]
#[should_panic(expected = "must concatenate")]
fn special_case_that_changes_the_text_is_refused() {
    Tokenizer::builder().special_case("gimme", &["give", "me"]);
}

#[test]
fn special_case_splits_as_told() {
    let text = "gimme";
    let tokenizer = Tokenizer::builder().special_case("gimme", &["gim", "me"]).build();
    assert_eq!(
        tokenizer.tokenize(text).iter().map(|t| t.text(text)).collect::<Vec<_>>(),
        ["gim", "me"]
    );
    let long = "a".repeat(70) + ".";
    let tokenizer = Tokenizer::builder().abbreviation(&long).build();
    assert_eq!(tokenizer.tokenize(&long).len(), 1, "keys of 64 bytes and more are found too");
}

#[test]
fn empty_text_has_no_tokens() {
    assert!(Tokenizer::new().tokenize("").is_empty());
}

fn sentence_texts(text: &str) -> Vec<String> {
    let tokenizer = Tokenizer::new();
    let tokens = tokenizer.tokenize(text);
    tokenizer
        .sentences(text, &tokens)
        .iter()
        .map(|s| {
            let start = tokens[s.token_start].start;
            let end = tokens[s.token_end - 1].end;
            text[start..end].to_string()
        })
        .collect()
}

macro_rules! sentence_cases {
    ($($name:ident: $text:expr => [$($sentence:expr),* $(,)?];)*) => {
        $(
            #[test]
            fn $name() {
                let expected: Vec<String> = vec![$($sentence.to_string()),*];
                assert_eq!(sentence_texts($text), expected, "splitting {:?}", $text);
            }
        )*
    };
}

sentence_cases! {
    two_sentences: "It rained. We left." => ["It rained.", "We left."];
    abbreviation_does_not_end: "The U.S. President spoke. Mr. Biden left." =>
        ["The U.S. President spoke.", "Mr. Biden left."];
    closing_quote_stays_with_sentence: "He said “no.” Then he left." =>
        ["He said “no.”", "Then he left."];
    lower_case_continues: "It cost 5 p.m. rates... and more." => ["It cost 5 p.m. rates... and more."];
    line_break_ends_sentence: "Headline without period\nBody text." =>
        ["Headline without period\n", "Body text."];
    question_and_exclamation: "Why? Because! Fine." => ["Why?", "Because!", "Fine."];
    opening_quote_starts_next: "It ended. “Now,” she said." => ["It ended.", "“Now,” she said."];
    trailing_whitespace_joins_last: "Done.\n\n" => ["Done.\n\n"];
    leading_whitespace_joins_first: "\n\nStart here." => ["\n\nStart here."];
}

/// Characters chosen to exercise every rule: letters in several scripts, digits,
/// separators, quotes, dashes, apostrophes, combining marks, emoji, whitespace.
fn tricky_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a", "Z", "é", "e\u{301}", "ß", "İ", "Ж", "中", "ٱ", "1", "9", ".", ",", ":", "/", "-",
        "–", "—", "'", "’", "“", "”", "\"", "(", ")", "#", "@", "$", "%", "…", "😀", "🇺🇸", "👍🏽",
        " ", "  ", "\n", "\t", "\u{a0}", "\r\n", "n't", "'s", "U.S.", "Mr.", "http://", "www.",
        ".com", "\u{ad}", "\u{200d}", ":)", "(:", "8)", "''", "'cause", "nothin'", "would've",
        "Lt.", "<3", "^_^",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn check_invariants(text: &str, tokens: &[Token]) -> Result<(), TestCaseError> {
    // Rules never cut a grapheme cluster; white space is cut first, as in spaCy, so
    // a combining mark after a space (" \u{301}") leaves the space's cluster.
    let clusters: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).collect();
    for token in tokens {
        let at_space = text[..token.start].chars().next_back().is_some_and(crate::chars::is_space)
            || text[token.start..].chars().next().is_some_and(crate::chars::is_space);
        prop_assert!(
            at_space || clusters.binary_search(&token.start).is_ok(),
            "token at {} starts inside a grapheme cluster of {:?}",
            token.start,
            text
        );
    }
    let mut rebuilt = String::new();
    let mut at = 0;
    for token in tokens {
        prop_assert_eq!(token.start, at, "tokens must be contiguous in {:?}", text);
        prop_assert!(token.end > token.start, "empty token in {:?}", text);
        prop_assert!(text.is_char_boundary(token.start) && text.is_char_boundary(token.end));
        rebuilt.push_str(token.text(text));
        if token.ws {
            prop_assert_eq!(text.as_bytes().get(token.end), Some(&b' '));
            rebuilt.push(' ');
        }
        prop_assert_eq!(
            token.kind == TokenKind::Space,
            token.text(text).chars().all(char::is_whitespace)
                || token
                    .text(text)
                    .chars()
                    .all(|c| char::is_whitespace(c) || ('\u{1c}'..='\u{1f}').contains(&c))
        );
        at = token.end_with_ws();
    }
    prop_assert_eq!(rebuilt, text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn tokens_rebuild_any_text(text in "\\PC{0,60}") {
        let tokens = Tokenizer::new().tokenize(&text);
        check_invariants(&text, &tokens)?;
    }

    #[test]
    fn tokens_rebuild_tricky_text(text in tricky_text()) {
        let tokens = Tokenizer::new().tokenize(&text);
        check_invariants(&text, &tokens)?;
    }

    #[test]
    fn spacy_mode_tokens_rebuild_any_text(text in "\\PC{0,60}") {
        let tokens = spacy().tokenize(&text);
        check_invariants(&text, &tokens)?;
    }

    #[test]
    fn spacy_mode_tokens_rebuild_tricky_text(text in tricky_text()) {
        let tokens = spacy().tokenize(&text);
        check_invariants(&text, &tokens)?;
    }

    /// The thread's cache of chunk cuts changes nothing: a text cut after the
    /// cache has seen other texts (by this tokenizer and by another one with other
    /// settings, which takes the cache over) is cut as a fresh thread cuts it.
    #[test]
    fn cached_chunk_cuts_are_the_cuts(
        warm in prop::collection::vec(tricky_text(), 0..4),
        text in tricky_text(),
    ) {
        let news = Tokenizer::new();
        let other = Tokenizer::builder().hyphens(false).clitics(false).build();
        let fresh = |text: String, spacy_mode: bool| {
            std::thread::spawn(move || {
                if spacy_mode { spacy().tokenize(&text) } else { Tokenizer::new().tokenize(&text) }
            })
            .join()
        };
        for warm in &warm {
            news.tokenize(warm);
            spacy().tokenize(warm);
            other.tokenize(warm);
            news.tokenize(warm);
        }
        let Ok(expected) = fresh(text.clone(), false) else {
            return Err(TestCaseError::fail("the thread panicked"));
        };
        prop_assert_eq!(news.tokenize(&text), expected.clone());
        // Twice: the second time every chunk of it is cached.
        prop_assert_eq!(news.tokenize(&text), expected);
        let Ok(expected) = fresh(text.clone(), true) else {
            return Err(TestCaseError::fail("the thread panicked"));
        };
        prop_assert_eq!(spacy().tokenize(&text), expected);
        other.tokenize(&text);
        prop_assert_eq!(spacy().tokenize(&text), spacy().tokenize(&text));
    }

    #[test]
    fn sentences_partition_the_tokens(text in tricky_text()) {
        let tokenizer = Tokenizer::new();
        let tokens = tokenizer.tokenize(&text);
        let sentences = tokenizer.sentences(&text, &tokens);
        let mut next = 0;
        for sentence in &sentences {
            prop_assert_eq!(sentence.token_start, next);
            prop_assert!(sentence.token_end > sentence.token_start);
            next = sentence.token_end;
        }
        prop_assert_eq!(next, tokens.len());
    }
}
