//! Random gazetteer entries (TSV, before the first NUL byte) matched against a
//! random text (after it): building may fail with an error, never a panic, and
//! every match lies inside the text, on token boundaries, and covers at least one
//! token; both automata find the same spans.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rubric_gazetteer::{EngineKind, GazetteerBuilder, MatcherBuilder};
use rubric_tokenizer::Tokenizer;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (tsv, rest) = data.split_at(split);
    let Ok(text) = std::str::from_utf8(rest.get(1..).unwrap_or_default()) else { return };
    let tokens = Tokenizer::new().tokenize(text);
    let mut found = Vec::new();
    for engine in [EngineKind::DoubleArray, EngineKind::AhoCorasick] {
        let mut builder = GazetteerBuilder::new();
        builder.engine(engine);
        let Ok(builder) = builder.add_tsv_reader("fuzz.tsv", tsv) else { return };
        let Ok(gazetteer) = builder.build() else { return };
        let matches = MatcherBuilder::new().build(vec![Arc::new(gazetteer)]).find(text, &tokens);
        for span in &matches.spans {
            assert!(span.start < span.end && span.end <= text.len(), "{span:?} in {text:?}");
            assert!(tokens.iter().any(|t| t.start == span.start), "{span:?} starts a token");
            assert!(tokens.iter().any(|t| t.end == span.end), "{span:?} ends a token");
        }
        let spans: Vec<(usize, usize, String)> =
            matches.spans.iter().map(|s| (s.start, s.end, s.label.to_string())).collect();
        found.push(spans);
    }
    if let [double_array, aho_corasick] = &found[..] {
        assert_eq!(double_array, aho_corasick, "both automata agree on {text:?}");
    }
});
