//! The CoNLL reader on any bytes: errors, never panics; a document that reads
//! without error has spans on its tokens, writes as IOB2, and that IOB2 reads
//! back to the same words and the same spans (text and label). Not the same text
//! or white-space tokens: the writer re-derives sentence breaks with the sentence
//! splitter instead of keeping the reader's, so a sentence break may come back as
//! a space or a space as a sentence break (found by this target; see README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rubric_exporter::{ConllReader, ConllWriter, Misaligned, Scheme};

fuzz_target!(|data: &[u8]| {
    for record in ConllReader::new("fuzz.conll", data).flatten() {
        for span in record.spans() {
            assert!(record.is_aligned(span), "{span:?}");
        }
        let mut writer = ConllWriter::new(Vec::new(), Scheme::Iob2, Misaligned::Error);
        writer.write(&record).expect("a record read from CoNLL writes as CoNLL");
        let written = writer.finish().expect("finish");
        let again: Vec<_> = ConllReader::new("fuzz.conll", &written[..]).collect();
        assert_eq!(again.len(), 1, "{}", String::from_utf8_lossy(&written));
        let again = again.into_iter().next().and_then(Result::ok).expect("reads back");
        // Sentence breaks are white-space tokens; compare the words.
        let words = |r: &rubric_exporter::Record| -> Vec<String> {
            let text = r.text();
            r.tokens()
                .iter()
                .filter(|t| !t.is_space(text))
                .map(|t| t.text(text).to_string())
                .collect()
        };
        assert_eq!(words(&again), words(&record));
        let spans = |r: &rubric_exporter::Record| -> Vec<(String, String)> {
            r.spans().iter().map(|s| (r.span_text(s).to_string(), s.label.to_string())).collect()
        };
        assert_eq!(spans(&again), spans(&record), "{}", String::from_utf8_lossy(&written));
    }
});
