//! The checks that need the tokenizer, kept apart so that the build script that
//! compiles the embedded default gazetteer does not depend on it.

use crate::gazetteer::{Diagnostic, DiagnosticKind, Gazetteer};

impl Gazetteer {
    /// Entries that can never match because the tokenizer would not put a token
    /// boundary at their start or end, even with spaces around them (a pattern
    /// that starts with a combining mark, for instance). This tokenizes every
    /// pattern, so it is not part of [`crate::GazetteerBuilder::build`];
    /// `rubric gazetteer check` runs it.
    pub fn boundary_diagnostics(&self, tokenizer: &rubric_tokenizer::Tokenizer) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        for entry in self.entries() {
            let pattern = entry.pattern.trim();
            let text = format!("x {pattern} x");
            let (start, end) = (2, 2 + pattern.len());
            let tokens = tokenizer.tokenize(&text);
            let starts = tokens.iter().any(|t| t.start == start);
            let ends = tokens.iter().any(|t| t.end == end);
            let reason = match (starts, ends) {
                (true, true) => continue,
                (false, true) => "no token starts where it starts",
                (true, false) => "no token ends where it ends",
                (false, false) => "no token starts or ends where it does",
            };
            diagnostics.push(Diagnostic {
                kind: DiagnosticKind::NeverMatches { reason: reason.to_string() },
                origin: entry.origin(),
                pattern: entry.pattern.to_string(),
                label: entry.label.to_string(),
            });
        }
        diagnostics.sort_by(|a, b| a.origin.cmp(&b.origin));
        diagnostics
    }
}
