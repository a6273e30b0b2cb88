//! rubric's record reader on any bytes: errors, never panics; a record that reads
//! without error writes back to a line that reads back to the same record and
//! writes identically again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rubric_exporter::{RecordReader, RecordWriter};

fuzz_target!(|data: &[u8]| {
    for record in RecordReader::new("fuzz.jsonl", data).flatten() {
        for span in record.spans() {
            assert!(span.start <= span.end && span.end <= record.text().len());
            assert!(record.text().is_char_boundary(span.start));
            assert!(record.text().is_char_boundary(span.end));
        }
        let mut writer = RecordWriter::new(Vec::new());
        writer.write(&record).expect("a record that was read can be written");
        let written = writer.finish().expect("finish");
        let again: Vec<_> = RecordReader::new("again.jsonl", &written[..]).collect();
        assert_eq!(again.len(), 1);
        let again = again.into_iter().next().and_then(Result::ok).expect("reads back");
        assert_eq!(again, record, "{}", String::from_utf8_lossy(&written));
        let mut writer = RecordWriter::new(Vec::new());
        writer.write(&again).expect("write again");
        assert_eq!(writer.finish().expect("finish"), written, "writes back identically");
    }
});
