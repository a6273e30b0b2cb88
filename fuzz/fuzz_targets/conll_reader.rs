//! The CoNLL reader on any bytes: errors, never panics; a document that reads
//! without error has spans on its tokens, writes as IOB2, and that IOB2 reads
//! back to the same text, tokens and spans.
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
        assert_eq!(again.text(), record.text());
        assert_eq!(again.tokens(), record.tokens());
        let spans = |r: &rubric_exporter::Record| -> Vec<(usize, usize, String)> {
            r.spans().iter().map(|s| (s.start, s.end, s.label.clone())).collect()
        };
        assert_eq!(spans(&again), spans(&record), "{}", String::from_utf8_lossy(&written));
    }
});
