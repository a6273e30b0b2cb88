//! The doccano reader on any bytes: errors, never panics; a document that reads
//! without error writes back as doccano that reads to the same text and spans.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rubric_exporter::{DoccanoLayout, DoccanoReader, DoccanoWriter};

fuzz_target!(|data: &[u8]| {
    for record in DoccanoReader::new("fuzz.jsonl", data).flatten() {
        for span in record.spans() {
            assert!(span.start < span.end && span.end <= record.text().len(), "{span:?}");
            assert!(record.text().is_char_boundary(span.start));
            assert!(record.text().is_char_boundary(span.end));
        }
        let mut writer = DoccanoWriter::new(Vec::new(), DoccanoLayout::default());
        writer.write(&record).expect("a record read from doccano writes as doccano");
        let written = writer.finish().expect("finish");
        let again: Vec<_> = DoccanoReader::new("again.jsonl", &written[..]).collect();
        assert_eq!(again.len(), 1, "{}", String::from_utf8_lossy(&written));
        let again = again.into_iter().next().and_then(Result::ok).expect("reads back");
        assert_eq!(again.text(), record.text());
        let spans = |r: &rubric_exporter::Record| -> Vec<(usize, usize, String)> {
            r.spans().iter().map(|s| (s.start, s.end, s.label.to_string())).collect()
        };
        assert_eq!(spans(&again), spans(&record), "{}", String::from_utf8_lossy(&written));
    }
});
