//! The tokenizer on any text: tokens are non-empty, contiguous, on character
//! boundaries and, with their spaces, rebuild the text exactly; every token
//! boundary converts byte -> char -> byte and byte -> UTF-16 -> byte unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rubric_offsets::{OffsetMap, OffsetUnit};
use rubric_tokenizer::Tokenizer;

fuzz_target!(|text: &str| {
    let tokens = Tokenizer::new().tokenize(text);
    let chars = OffsetMap::new(text, OffsetUnit::Char);
    let utf16 = OffsetMap::new(text, OffsetUnit::Utf16);
    let mut at = 0;
    let mut rebuilt = String::new();
    for token in &tokens {
        assert_eq!(token.start, at, "tokens are contiguous");
        assert!(token.end > token.start, "no empty token");
        assert!(text.is_char_boundary(token.start) && text.is_char_boundary(token.end));
        rebuilt.push_str(&text[token.start..token.end]);
        at = token.end;
        if token.ws {
            assert_eq!(text.as_bytes().get(at), Some(&b' '), "ws is one space");
            rebuilt.push(' ');
            at += 1;
        }
        for byte in [token.start, token.end] {
            for map in [&chars, &utf16] {
                let unit = map.to_unit(byte).expect("a token boundary converts");
                assert_eq!(map.to_byte(unit).expect("and back"), byte);
            }
        }
    }
    assert_eq!(at, text.len(), "tokens cover the text");
    assert_eq!(rebuilt, text);
});
