//! The brat reader on any `.txt` and `.ann` (split at the first NUL byte):
//! errors, never panics; a document that reads without error writes back as
//! brat that reads to the same spans.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rubric_exporter::{from_brat, to_brat};
use rubric_tokenizer::Tokenizer;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (txt, ann) = data.split_at(split);
    let (Ok(txt), Ok(ann)) =
        (std::str::from_utf8(txt), std::str::from_utf8(ann.get(1..).unwrap_or_default()))
    else {
        return;
    };
    let tokenizer = Tokenizer::new();
    let Ok((record, _)) = from_brat("doc", txt.to_string(), ann, "doc.ann", &tokenizer) else {
        return;
    };
    for span in record.spans() {
        assert!(span.start < span.end && span.end <= txt.len(), "{span:?}");
        assert!(txt.is_char_boundary(span.start) && txt.is_char_boundary(span.end));
    }
    let Ok(brat) = to_brat(&record) else { return };
    assert_eq!(brat.txt, txt, "the text is written byte for byte");
    let (again, skipped) = from_brat("doc", brat.txt.clone(), &brat.ann, "doc.ann", &tokenizer)
        .expect("brat we wrote reads back");
    let spans = |r: &rubric_exporter::Record| -> Vec<(usize, usize, String)> {
        r.spans().iter().map(|s| (s.start, s.end, s.label.to_string())).collect()
    };
    assert_eq!(spans(&again), spans(&record), "{}", brat.ann);
    assert_eq!(skipped, Default::default(), "nothing we wrote is skipped");
});
