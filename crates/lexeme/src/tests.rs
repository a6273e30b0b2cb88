//! One line per case. Every expectation is what spaCy 3.8 (`spacy.blank("en")`) says
//! for the text; `tests/interop/test_lexeme_spacy.py` checks them all against spaCy
//! (it reads this file's `case!` lines), so a wrong line here fails there.

use std::borrow::Cow;

use crate::*;

/// `strings!(function: "text" => "expected", ...)` for the string attributes.
macro_rules! strings {
    ($name:ident, $function:ident: $($text:literal => $expected:literal),* $(,)?) => {
        #[test]
        fn $name() {
            $(
                assert_eq!($function($text), $expected, "{}({:?})", stringify!($function), $text);
            )*
        }
    };
}

/// `flags!(function: "text" => bool, ...)` for the boolean attributes.
macro_rules! flags {
    ($name:ident, $function:ident: $($text:literal => $expected:literal),* $(,)?) => {
        #[test]
        fn $name() {
            $(
                assert_eq!($function($text), $expected, "{}({:?})", stringify!($function), $text);
            )*
        }
    };
}

strings!(lower_cases, lower:
    "Iran" => "iran",
    "iran" => "iran",
    "" => "",
    "ÉCOLE" => "école",
    "STRASSE" => "strasse",
    "Straße" => "straße",
    "İstanbul" => "i\u{307}stanbul",
    "ΟΔΟΣ" => "οδος",
    "ΟΔΟΣ." => "οδος.",
    "ΣΑ" => "σα",
    "Σ" => "σ",
    "AΣ'" => "aς'",
    "AΣB" => "aσb",
    "ǅ" => "ǆ",
    "ＡＢＣ" => "ａｂｃ",
    "\u{212a}" => "k",
);

strings!(norm_cases, norm:
    "Iran" => "iran",
    "’" => "'",
    "‘" => "'",
    "“" => "\"",
    "€" => "$",
    "£" => "$",
    "’s" => "'s",
    "n’t" => "n’t",
    "n't" => "n't",
    "nt" => "nt",
    "Colour" => "colour",
    "'cause" => "'cause",
);

strings!(shape_cases, shape:
    "Iran" => "Xxxx",
    "Tehran" => "Xxxxx",
    "F-16" => "X-dd",
    "2024" => "dddd",
    "12345678" => "dddd",
    "1,000,000" => "d,ddd,ddd",
    "iPhone" => "xXxxxx",
    "NASA" => "XXXX",
    "NATO-led" => "XXXX-xxx",
    "...." => "....",
    "....." => "....",
    "²" => "d",
    "٣٤" => "dd",
    "ǅ" => "x",
    "ª" => "x",
    "日本" => "xx",
    "é" => "x",
    "e\u{301}" => "x\u{301}",
    "" => "",
);

#[test]
fn shape_long() {
    assert_eq!(shape(&"a".repeat(99)), "xxxx");
    assert_eq!(shape(&"a".repeat(100)), "LONG");
    assert_eq!(shape(&"é".repeat(99)), "xxxx", "counts code points, not bytes");
}

strings!(prefix_cases, prefix:
    "Iran" => "I",
    "É" => "É",
    "e\u{301}x" => "e",
    "" => "",
);

strings!(suffix_cases, suffix:
    "Tehran" => "ran",
    "ab" => "ab",
    "" => "",
    "Zürich" => "ich",
    "e\u{301}té" => "\u{301}té",
);

#[test]
fn length_counts_code_points() {
    assert_eq!(length(""), 0);
    assert_eq!(length("Iran"), 4);
    assert_eq!(length("é"), 1);
    assert_eq!(length("e\u{301}"), 2);
    assert_eq!(length("🇮🇷"), 2);
}

flags!(alpha_cases, is_alpha:
    "Iran" => true,
    "é" => true,
    "e\u{301}" => false,
    "F-16" => false,
    "日本" => true,
    "ª" => true,
    "Ⓐ" => false,
    "" => false,
);

flags!(ascii_cases, is_ascii:
    "Iran" => true,
    "\u{7f}" => true,
    "é" => false,
    "" => false,
);

flags!(digit_cases, is_digit:
    "2024" => true,
    "²" => true,
    "①" => true,
    "٣" => true,
    "½" => false,
    "Ⅻ" => false,
    "1.5" => false,
    "" => false,
);

flags!(lower_flag_cases, is_lower:
    "iran" => true,
    "3d" => true,
    "3" => false,
    "Iran" => false,
    "ª" => true,
    "ǆ" => true,
    "ǅ" => false,
    "" => false,
);

flags!(upper_cases, is_upper:
    "NASA" => true,
    "F-16" => true,
    "Ⓐ" => true,
    "NASAǅ" => false,
    "16" => false,
    "" => false,
);

flags!(title_cases, is_title:
    "Iran" => true,
    "I" => true,
    "ǅ" => true,
    "ǅx" => true,
    "O'Neil" => true,
    "O'neil" => false,
    "Al-Assad" => true,
    "McDonald" => false,
    "USA" => false,
    "They'Re" => true,
    "They're" => false,
    "1St" => true,
    "1st" => false,
    "iran" => false,
    "" => false,
);

flags!(punct_cases, is_punct:
    "..." => true,
    "—" => true,
    "«" => true,
    "'" => true,
    "$" => false,
    "+" => false,
    "`" => false,
    "" => false,
);

flags!(space_cases, is_space:
    " " => true,
    "\n\n" => true,
    "\u{a0}" => true,
    "\u{1c}" => true,
    "\u{200b}" => false,
    "" => false,
);

flags!(stop_cases, is_stop:
    "the" => true,
    "The" => true,
    "THE" => true,
    "n't" => true,
    "n’t" => true,
    "N‘T" => true,
    "’s" => true,
    "Iran" => false,
    "" => false,
);

flags!(bracket_cases, is_bracket:
    "(" => true,
    "<" => true,
    "((" => false,
    "«" => false,
);

flags!(quote_cases, is_quote:
    "\"" => true,
    "``" => true,
    "''" => true,
    "„" => true,
    "‘‘" => false,
    "(" => false,
);

flags!(left_punct_cases, is_left_punct:
    "(" => true,
    "“" => true,
    "'" => true,
    "”" => false,
    "»" => false,
);

flags!(right_punct_cases, is_right_punct:
    ")" => true,
    "”" => true,
    "'" => true,
    "“" => false,
    "``" => false,
);

flags!(currency_cases, is_currency:
    "$" => true,
    "€" => true,
    "$€" => true,
    "US$" => false,
    "¤" => true,
    "" => false,
);

flags!(like_num_cases, like_num:
    "2024" => true,
    "1,500" => true,
    "3.14" => true,
    "-5" => true,
    "+5" => true,
    "±5" => true,
    "~5" => true,
    "--5" => false,
    "1/2" => true,
    "1/2/3" => false,
    "/2" => false,
    "½" => false,
    "²" => true,
    "٣" => true,
    "twelve" => true,
    "Twelve" => true,
    "TWELFTH" => true,
    "twelfths" => false,
    "21st" => true,
    "11nd" => true,
    "st" => false,
    "1,000th" => true,
    "2.5m" => false,
    "," => false,
    "" => false,
    "-" => false,
);

flags!(like_url_cases, like_url:
    "http://x" => true,
    "https://" => true,
    "www.a" => true,
    "www." => false,
    "bbc.co.uk" => true,
    "example.com:8080" => true,
    "bit.ly/" => true,
    "a.b/c" => false,
    "example.org/path" => true,
    "example.museum" => true,
    "example.xyz" => true,
    "example.tech" => true,
    "example.tech/path?q=1" => true,
    "example.tech:80/x" => true,
    "example.tech:8" => false,
    "ftp://example.tech" => true,
    "8.8.8.8" => true,
    "10.0.0.1" => false,
    "192.168.1.1" => false,
    "172.16.0.1" => false,
    "172.15.0.1" => true,
    "224.0.0.1" => false,
    "U.S." => false,
    ".com" => false,
    "example." => false,
    "a@b.com" => false,
    "3.14" => false,
    "Mr.Smith" => false,
    "lower.Upper" => false,
    "" => false,
);

flags!(like_email_cases, like_email:
    "press@un.org" => true,
    "a.b+c@d-e.f" => true,
    "a@b.c" => true,
    "a@b." => false,
    "@b.c" => false,
    "a@.c" => false,
    "a@b.c!!" => true,
    "é@b.c" => false,
    "" => false,
);

#[test]
fn tokenizer_exceptions_give_piece_norms() {
    let pieces = |text| {
        tokenizer_exception(text)
            .map(|pieces| pieces.iter().map(|p| (p.orth, p.token_norm())).collect::<Vec<_>>())
    };
    assert_eq!(pieces("don't"), Some(vec![("do", "do".into()), ("n't", "not".into())]));
    assert_eq!(pieces("Apr."), Some(vec![("Apr.", "April".into())]));
    assert_eq!(pieces(":)"), Some(vec![(":)", ":)".into())]));
    assert_eq!(pieces("’cause"), Some(vec![("’cause", "because".into())]));
    assert_eq!(pieces("Iran"), None);
    for &(key, pieces) in crate::tables::EXCEPTIONS {
        assert_eq!(pieces.iter().map(|p| p.orth).collect::<String>(), key);
    }
}

#[test]
fn flags_by_name() {
    for flag in Flag::ALL {
        assert_eq!(Flag::from_name(flag.name()), Some(flag));
    }
    assert_eq!(Flag::from_name("is_alpha"), None, "names are spaCy's, upper case");
    assert_eq!(Flag::IsLeftPunct.to_string(), "IS_LEFT_PUNCT");
    let set = FlagSet::of("“");
    assert_eq!(set.iter().collect::<Vec<_>>(), [Flag::IsPunct, Flag::IsQuote, Flag::IsLeftPunct]);
    assert_eq!(format!("{set:?}"), "{IsPunct, IsQuote, IsLeftPunct}");
}

#[test]
fn tables_are_sorted_for_binary_search() {
    use crate::tables::*;
    fn sorted<T: Ord>(items: impl Iterator<Item = T>) -> bool {
        let items: Vec<T> = items.collect();
        items.windows(2).all(|pair| pair[0] < pair[1])
    }
    assert!(sorted(FLAG_RUNS.iter().map(|&(start, _)| start)));
    assert_eq!(FLAG_RUNS.first().map(|&(start, _)| start), Some(0));
    assert!(sorted(LOWER_MAP.iter().map(|&(from, _)| from)));
    assert!(sorted(STOP_WORDS.iter()));
    assert!(sorted(NUM_WORDS.iter()));
    assert!(sorted(ORDINAL_WORDS.iter()));
    assert!(sorted(TLDS.iter()));
    assert!(sorted(BASE_NORMS.iter().map(|&(orth, _)| orth)));
    assert!(sorted(EXCEPTIONS.iter().map(|&(key, _)| key)));
}

#[test]
fn every_word_fits_the_stack_buffer() {
    use crate::words::{NUMBER, STOP, WORD_BUFFER};
    assert!(STOP.longest() <= WORD_BUFFER && NUMBER.longest() <= WORD_BUFFER);
    assert!(STOP.longest() >= 10 && NUMBER.longest() >= 10, "the sets are not empty");
}

proptest::proptest! {
    /// Every function takes any text (they run on user input): no panic, and the
    /// invariants that hold whatever spaCy says: `prefix` and `suffix` are the text's
    /// own ends, `lower` borrows exactly when nothing changes.
    #[test]
    fn any_text_is_fine(text in r"(\PC|[Σσ.:/@0-9١²½İK\u{301}\u{345}ǅ\n ])*") {
        let flags = FlagSet::of(&text);
        for flag in Flag::ALL {
            proptest::prop_assert_eq!(flags.contains(flag), flag.test(&text), "{}", flag);
        }
        let _ = (norm(&text), shape(&text), tokenizer_exception(&text));
        proptest::prop_assert!(text.starts_with(prefix(&text)) && text.ends_with(suffix(&text)));
        proptest::prop_assert!(prefix(&text).chars().count() == usize::from(!text.is_empty()));
        proptest::prop_assert_eq!(suffix(&text).chars().count(), length(&text).min(3));
        let lowered = lower(&text);
        proptest::prop_assert_eq!(matches!(lowered, Cow::Borrowed(_)), lowered == text.as_str());
    }
}
