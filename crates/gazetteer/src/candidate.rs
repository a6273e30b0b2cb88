//! A candidate span before overlaps are resolved, as the matcher handles it
//! internally: its strings borrowed from the gazetteer (or from the alias list)
//! and its `source` kept as parts, so that the thousands of candidates a
//! document can have cost no allocation. Only the spans kept (and, when a trace
//! is asked for, the dropped ones) become [`Match`]es, whose strings are owned
//! [`SmolStr`]s: a short one (most labels, ids and sources) is held inline, a
//! token pattern's source is shared with the pattern, so that a kept span
//! usually costs no allocation either (three per span were a tenth of a
//! thousand token patterns' cost).
//!
//! A thousand token patterns that start at every capitalized word make tens of
//! candidates per sentence, nearly all of them dropped by the overlap policy;
//! building three strings for each was most of the matcher's time.

use std::cmp::Ordering;

use smol_str::SmolStr;

use crate::matches::{Match, MatchRule};

/// A candidate span; see the module documentation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate<'a> {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) label: &'a str,
    pub(crate) id: Option<&'a str>,
    pub(crate) source: Source<'a>,
    pub(crate) rule: MatchRule,
    pub(crate) priority: i32,
    pub(crate) alias_of: Option<[usize; 2]>,
    /// For a token pattern's match that stands for its twins (same atoms, same
    /// matches; `Wanted::LongestPerStart`), the highest priority among the twins
    /// left out that have another label: the alias pass ranks an alias on this
    /// span above them.
    pub(crate) other_label_twin: Option<i32>,
}

/// A candidate's `source`, as the parts it is written from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source<'a> {
    /// `file:line`, then `#name` when there is a name (a named token pattern).
    Origin { file: &'a str, line: u64, name: Option<&'a str> },
    /// Already written out (an alias's `alias:last-name`, or a `Match`'s source).
    Text(&'a str),
    /// Written out once and shared (a token pattern's `file:line#name`).
    Shared(&'a SmolStr),
}

impl Source<'_> {
    /// The written source, in up to five pieces (`file`, `:`, the line, `#`,
    /// the name); `digits` holds the line number's. The one place the format is
    /// spelt out: comparing and writing both read it.
    fn pieces<'s>(&'s self, digits: &'s mut itoa::Buffer) -> [&'s str; 5] {
        match *self {
            Source::Origin { file, line, name } => [
                file,
                ":",
                digits.format(line),
                if name.is_some() { "#" } else { "" },
                name.unwrap_or(""),
            ],
            Source::Text(text) => [text, "", "", "", ""],
            Source::Shared(text) => [text.as_str(), "", "", "", ""],
        }
    }

    /// The order of the written sources (byte order of the strings), without
    /// writing them.
    pub(crate) fn cmp_written(&self, other: &Source<'_>) -> Ordering {
        let (mut mine, mut theirs) = (itoa::Buffer::new(), itoa::Buffer::new());
        let mine = self.pieces(&mut mine);
        let theirs = other.pieces(&mut theirs);
        mine.iter()
            .flat_map(|piece| piece.bytes())
            .cmp(theirs.iter().flat_map(|piece| piece.bytes()))
    }

    /// The source written out (every kept span's is): a shared one cloned, any
    /// other written inline when short, else with one allocation.
    pub(crate) fn written(&self) -> SmolStr {
        match *self {
            Source::Shared(text) => text.clone(),
            Source::Text(text) => SmolStr::new(text),
            Source::Origin { .. } => {
                let mut digits = itoa::Buffer::new();
                let pieces = self.pieces(&mut digits);
                // Written on the stack first: `SmolStr` then keeps it inline or
                // copies it into one allocation (collecting the pieces into it
                // would allocate a `String` on the way).
                let mut stack = [0u8; 256];
                let mut len = 0;
                for piece in pieces {
                    let Some(slot) = stack.get_mut(len..len + piece.len()) else {
                        return SmolStr::from(pieces.concat());
                    };
                    slot.copy_from_slice(piece.as_bytes());
                    len += piece.len();
                }
                match std::str::from_utf8(&stack[..len]) {
                    Ok(text) => SmolStr::new(text),
                    Err(_) => SmolStr::from(pieces.concat()),
                }
            }
        }
    }
}

impl<'a> Candidate<'a> {
    /// The match it becomes, with its strings owned.
    pub(crate) fn to_match(self) -> Match {
        Match {
            start: self.start,
            end: self.end,
            label: SmolStr::new(self.label),
            id: self.id.map(SmolStr::new),
            source: self.source.written(),
            rule: self.rule,
            priority: self.priority,
            alias_of: self.alias_of,
        }
    }

    pub(crate) fn same_span(&self, other: &Candidate<'_>) -> bool {
        self.start == other.start && self.end == other.end
    }

    pub(crate) fn contains(&self, other: &Candidate<'_>) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub(crate) fn overlaps(&self, other: &Candidate<'_>) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(file: &'static str, line: u64, name: Option<&'static str>) -> Source<'static> {
        Source::Origin { file, line, name }
    }

    #[test]
    fn written_sources_are_file_line_and_name() {
        assert_eq!(origin("a.tsv", 12, None).written(), "a.tsv:12");
        assert_eq!(origin("rules.jsonl", 3, Some("title")).written(), "rules.jsonl:3#title");
        assert_eq!(Source::Text("alias:acronym").written(), "alias:acronym");
        // A token pattern's source is written once, by its origin: the same text.
        for (file, line, name) in
            [("a.tsv", 12, None), ("r.jsonl", 3, Some("title")), ("é", 0, Some(""))]
        {
            let read_at = crate::entry::Origin { file: file.to_string(), line };
            assert_eq!(read_at.source_of(name), origin(file, line, name).written());
        }
    }

    /// The order must be the written strings' byte order (`a.tsv:10` before
    /// `a.tsv:9`), which the trace's order and the duplicate winner depend on.
    #[test]
    fn sources_compare_as_their_written_strings() {
        let sources = [
            origin("a.tsv", 9, None),
            origin("a.tsv", 10, None),
            origin("a.tsv", 1, Some("x")),
            origin("a.tsv", 1, None),
            origin("a.ts", 1, None),
            origin("b", 0, Some("")),
            origin("é.tsv", 7, None),
            Source::Text("a.tsv:10"),
            Source::Text("alias:last-name"),
            Source::Text(""),
        ];
        for a in &sources {
            for b in &sources {
                assert_eq!(
                    a.cmp_written(b),
                    a.written().cmp(&b.written()),
                    "{} vs {}",
                    a.written(),
                    b.written()
                );
            }
        }
    }
}
