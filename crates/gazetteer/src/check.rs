//! The checks that need the tokenizer, kept apart so that the build script that
//! compiles the embedded default gazetteer does not depend on it.

use rubric_tokenizer::Tokenizer;

use crate::gazetteer::{Diagnostic, DiagnosticKind, EntryRef, Gazetteer};
use crate::matcher::{case_matches, Boundaries};
use crate::normalize::{is_space, normalize_pattern, normalize_str, Folding};

impl Gazetteer {
    /// Entries that can never match: written on their own between spaces, the
    /// pattern is not found where it stands, because the tokenizer puts no token
    /// boundary at its start or end, or because normalization leaves its edge on
    /// no token (a pattern that ends in a combining mark, with diacritics
    /// folded). This tokenizes every pattern, so it is not part of
    /// [`crate::GazetteerBuilder::build`]; `rubric gazetteer check` runs it.
    pub fn boundary_diagnostics(&self, tokenizer: &Tokenizer) -> Vec<Diagnostic> {
        let mut diagnostics: Vec<Diagnostic> = self
            .entries()
            .filter_map(|entry| {
                let reason = self.why_never_matches(entry, tokenizer)?;
                Some(Diagnostic {
                    kind: DiagnosticKind::NeverMatches { reason: reason.to_string() },
                    origin: entry.origin(),
                    pattern: entry.pattern.to_string(),
                    label: entry.label.to_string(),
                })
            })
            .collect();
        diagnostics.sort_by(|a, b| a.origin.cmp(&b.origin));
        diagnostics
    }

    fn why_never_matches(
        &self,
        entry: EntryRef<'_>,
        tokenizer: &Tokenizer,
    ) -> Option<&'static str> {
        // The pattern as it would be written in running text: one space for
        // each whitespace run (a pattern may hold a line break or a tab).
        let words: Vec<&str> = entry.pattern.split(is_space).filter(|w| !w.is_empty()).collect();
        let pattern = words.join(" ");
        let text = format!(" {pattern} ");
        let (start, end) = (1, 1 + pattern.len());
        let tokens = tokenizer.tokenize(&text);
        let folding = Folding { case: true, diacritics: self.diacritics };
        let (normalized, boundaries) = Boundaries::normalize(&text, &tokens, folding);
        let key = normalize_pattern(entry.pattern, folding);
        // The leading space normalizes to one byte.
        let normalized_start = 1;
        if !normalized.get(normalized_start..).is_some_and(|rest| rest.starts_with(&key)) {
            return Some("its normalized form differs from the text's");
        }
        let starts = boundaries.start_at(normalized_start) == Some(start);
        let ends = boundaries.end_at(normalized_start + key.len()) == Some(end);
        let written = normalize_str(&pattern, Folding { case: false, diacritics: self.diacritics });
        match (starts, ends) {
            (false, false) => Some("no token starts or ends where it does"),
            (false, true) => Some("no token starts where it starts"),
            (true, false) => Some("no token ends where it ends"),
            (true, true) if !case_matches(entry.pattern, entry.case, &written, self.diacritics) => {
                Some("its case policy refuses the pattern as written")
            }
            (true, true) => None,
        }
    }
}
