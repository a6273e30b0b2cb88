//! [`AnnotatorBuilder`]: every option of annotation, in one place.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rubric_gazetteer::{
    is_compiled_file, Gazetteer, GazetteerBuilder, MatcherBuilder, Matches, OverlapPolicy,
    RuleSelection, COMPILED_EXTENSION,
};
use rubric_offsets::OffsetUnit;
use rubric_tokenizer::{Token, TokenizerBuilder, TokenizerMode};

use crate::error::{Error, ErrorKind};
use crate::{Annotator, Shared};

/// A gazetteer to match: a file to load, or one already loaded (shared, never
/// copied).
#[derive(Clone, Debug)]
pub enum GazetteerSource {
    /// A file: compiled (`.rgz`, or any name with a compiled file's magic bytes),
    /// TSV or spaCy patterns (`.jsonl`); see [`load_gazetteer`].
    Path(PathBuf),
    /// A gazetteer already built.
    Value(Arc<Gazetteer>),
}

/// Something worth telling the user about a gazetteer that loaded: its
/// duplicate or conflicting entries (`rubric gazetteer check` lists them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The gazetteer's file.
    pub path: PathBuf,
    /// How many duplicate or conflicting entries it has.
    pub diagnostics: usize,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        write!(
            f,
            "{path}: {} duplicate or conflicting entries — `rubric gazetteer check {path}` lists \
             them",
            self.diagnostics
        )
    }
}

/// Reads a gazetteer file: compiled (named `.rgz`, or starting with a compiled
/// file's magic bytes whatever its name), or a source the [`GazetteerBuilder`]
/// reads by its extension (TSV, spaCy EntityRuler patterns).
pub fn load_gazetteer(path: &Path) -> Result<Gazetteer, rubric_gazetteer::Error> {
    let is_compiled = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case(COMPILED_EXTENSION))
        || is_compiled_file(path);
    let gazetteer = if is_compiled {
        Gazetteer::load_compiled(path)?
    } else {
        let mut builder = GazetteerBuilder::new();
        builder.add_path(path)?;
        builder.into_gazetteer()?
    };
    // A compiled file is loaded as it is; one that names nothing is refused like
    // an empty source (`GazetteerBuilder::add_path`).
    if gazetteer.is_empty() && gazetteer.rule_names().is_empty() {
        return Err(rubric_gazetteer::Error::in_file(
            rubric_gazetteer::ErrorKind::EmptySource,
            path.display().to_string(),
        ));
    }
    Ok(gazetteer)
}

/// Configures and builds an [`Annotator`]. Defaults: the built-in gazetteer,
/// `longest` overlaps, aliases on, every label, every rule, no explain trace
/// (offsets of the trace in code points), rubric's news tokenizer, records with
/// their tokens.
#[derive(Clone, Debug)]
pub struct AnnotatorBuilder {
    sources: Vec<GazetteerSource>,
    default_gazetteer: bool,
    overlaps: OverlapPolicy,
    aliases: bool,
    labels: Option<Vec<String>>,
    rules: RuleSelection,
    explain: bool,
    offsets: OffsetUnit,
    tokenizer: TokenizerMode,
    tokens: bool,
}

impl Default for AnnotatorBuilder {
    fn default() -> Self {
        AnnotatorBuilder {
            sources: Vec::new(),
            default_gazetteer: true,
            overlaps: OverlapPolicy::Longest,
            aliases: true,
            labels: None,
            rules: RuleSelection::All,
            explain: false,
            offsets: OffsetUnit::Char,
            tokenizer: TokenizerMode::News,
            tokens: true,
        }
    }
}

impl AnnotatorBuilder {
    /// The defaults listed on the type.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a gazetteer file to match (after the default one, in call order).
    pub fn gazetteer_path(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.sources.push(GazetteerSource::Path(path.into()));
        self
    }

    /// Adds a gazetteer already built.
    pub fn gazetteer(&mut self, gazetteer: Arc<Gazetteer>) -> &mut Self {
        self.sources.push(GazetteerSource::Value(gazetteer));
        self
    }

    /// Adds a gazetteer by path or by value.
    pub fn source(&mut self, source: GazetteerSource) -> &mut Self {
        self.sources.push(source);
        self
    }

    /// Whether the built-in default gazetteer is matched too (default `true`).
    pub fn default_gazetteer(&mut self, yes: bool) -> &mut Self {
        self.default_gazetteer = yes;
        self
    }

    /// How overlapping candidates are resolved (default `longest`).
    pub fn overlaps(&mut self, policy: OverlapPolicy) -> &mut Self {
        self.overlaps = policy;
        self
    }

    /// Whether document aliases (last names, acronyms) are found (default `true`).
    pub fn aliases(&mut self, yes: bool) -> &mut Self {
        self.aliases = yes;
        self
    }

    /// Keeps only spans with these labels (`None`, the default: every label).
    /// Overlaps are resolved first, so a name read as another label is left out,
    /// not relabelled. A label no gazetteer has is an error at
    /// [`AnnotatorBuilder::build`].
    pub fn labels(&mut self, labels: Option<Vec<String>>) -> &mut Self {
        self.labels = labels;
        self
    }

    /// Which named token patterns (rules) run (default all). A selector that
    /// names no rule of the gazetteers is an error at [`AnnotatorBuilder::build`].
    pub fn rules(&mut self, rules: RuleSelection) -> &mut Self {
        self.rules = rules;
        self
    }

    /// Whether each record's `meta.explain` lists the dropped candidates, why
    /// and what beat them (default `false`).
    pub fn explain(&mut self, yes: bool) -> &mut Self {
        self.explain = yes;
        self
    }

    /// The unit of the offsets in the explain trace (default code points). The
    /// record itself holds bytes; its writer converts them.
    pub fn offsets(&mut self, unit: OffsetUnit) -> &mut Self {
        self.offsets = unit;
        self
    }

    /// Which rules cut the text into tokens (default rubric's news rules).
    pub fn tokenizer(&mut self, mode: TokenizerMode) -> &mut Self {
        self.tokenizer = mode;
        self
    }

    /// Whether records carry their tokens (default `true`). Without them a record
    /// is span-only (`text`, `spans` with their offsets, `meta`): the spans and
    /// their offsets are the same, the text is still tokenized to match it, and
    /// the JSON is a fraction of the size. Converters that need tokens tokenize
    /// such records again with rubric's tokenizer.
    pub fn tokens(&mut self, yes: bool) -> &mut Self {
        self.tokens = yes;
        self
    }

    /// Loads the gazetteers (the default one first, then the others in order),
    /// checks the labels and rules against them and builds the annotator.
    pub fn build(&self) -> Result<Annotator, Error> {
        let mut gazetteers = Vec::with_capacity(self.sources.len() + 1);
        let mut warnings = Vec::new();
        if self.default_gazetteer {
            gazetteers.push(Arc::new(Gazetteer::embedded_default()?));
        }
        for source in &self.sources {
            match source {
                GazetteerSource::Value(gazetteer) => gazetteers.push(Arc::clone(gazetteer)),
                GazetteerSource::Path(path) => {
                    let gazetteer = load_gazetteer(path)?;
                    let diagnostics = gazetteer.diagnostics().len();
                    if diagnostics > 0 {
                        warnings.push(Warning { path: path.clone(), diagnostics });
                    }
                    gazetteers.push(Arc::new(gazetteer));
                }
            }
        }
        if gazetteers.is_empty() {
            return Err(Error::new(ErrorKind::NoGazetteer));
        }
        if let Some(wanted) = &self.labels {
            check_labels(wanted, &gazetteers)?;
        }
        check_rules(&self.rules, &gazetteers)?;
        let matcher = MatcherBuilder::new()
            .overlaps(self.overlaps)
            .aliases(self.aliases)
            .rules(self.rules.clone())
            .build(gazetteers);
        let shared = Shared {
            tokenizer: TokenizerBuilder::for_mode(self.tokenizer).build(),
            matcher,
            labels: self.labels.clone(),
            warnings,
        };
        Ok(Annotator {
            shared: Arc::new(shared),
            explain: self.explain,
            offsets: self.offsets,
            tokens: self.tokens,
        })
    }
}

// Kept here, beside the options it honours, rather than in `lib.rs` with
// `annotate`: it is the façade's one way in for tokens cut elsewhere, and needs
// no record.
impl Annotator {
    /// The matches of `text` on `tokens` that another tokenizer cut (a spaCy
    /// `Doc`'s), instead of the builder's tokenizer: the kept spans (one per
    /// offsets and label, only the asked-for labels), sorted by `(start, end,
    /// label)`, and, when the annotator explains, every dropped candidate (the
    /// trace costs a match each; without it `dropped` holds only the candidates
    /// that lost to another label on the same offsets). Every match starts at one of
    /// `tokens`' starts and ends at one of their ends; offsets are bytes of
    /// `text`. Tokens must be sorted, non-overlapping and on `text`'s character
    /// boundaries, whitespace other than a token's single trailing space being a
    /// [`rubric_tokenizer::TokenKind::Space`] token; one that does not fit `text`
    /// is a `token_outside_text` error naming it.
    ///
    /// No record is built: a caller with tokens of its own (the `rubric_ruler`
    /// spaCy component) puts the spans on them itself.
    pub fn find_on_tokens(&self, text: &str, tokens: &[Token]) -> Result<Matches, Error> {
        let mut matches = if self.explain {
            self.shared.matcher.try_find(text, tokens)?
        } else {
            self.shared.matcher.try_find_untraced(text, tokens)?
        };
        crate::one_span_per_label(&mut matches);
        matches.spans.retain(|span| self.keeps(span));
        Ok(matches)
    }
}

/// Refuses a label list that would silently keep nothing of what it names: an
/// empty label or one no gazetteer has (a typo, the wrong case).
fn check_labels(wanted: &[String], gazetteers: &[Arc<Gazetteer>]) -> Result<(), Error> {
    let known: BTreeSet<String> =
        gazetteers.iter().flat_map(|gazetteer| gazetteer.stats().labels.into_keys()).collect();
    let listed = || known.iter().cloned().collect::<Vec<_>>();
    for label in wanted {
        if label.trim().is_empty() {
            let label = label.clone();
            return Err(Error::new(ErrorKind::EmptyLabel { label, known: listed() }));
        }
        if !known.contains(label) {
            let same_but_case =
                known.iter().find(|known| known.eq_ignore_ascii_case(label)).cloned();
            return Err(Error::new(ErrorKind::UnknownLabel {
                label: label.clone(),
                same_but_case,
                known: listed(),
            }));
        }
    }
    Ok(())
}

/// Refuses rule selectors that name no rule of the gazetteers.
fn check_rules(rules: &RuleSelection, gazetteers: &[Arc<Gazetteer>]) -> Result<(), Error> {
    let mut known: Vec<&str> = Vec::new();
    for name in gazetteers.iter().flat_map(|gazetteer| gazetteer.rule_names()) {
        if !known.contains(&name) {
            known.push(name);
        }
    }
    let unknown = rules.unknown(&known);
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Error::new(ErrorKind::UnknownRule {
        selectors: unknown.into_iter().map(str::to_string).collect(),
        known: known.into_iter().map(str::to_string).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATTERNS: &str = r#"{"name": "person:title", "label": "PERSON", "pattern": [{"LOWER": "president", "IN_SPAN": false}, {"IS_TITLE": true}]}
{"label": "GPE", "pattern": [{"LOWER": "erbil"}]}
"#;

    fn gazetteer() -> Arc<Gazetteer> {
        let built = GazetteerBuilder::new()
            .add_patterns_reader("p.jsonl", PATTERNS.as_bytes())
            .and_then(|builder| builder.build());
        Arc::new(built.expect("the test patterns build"))
    }

    /// An annotator over the test patterns only, configured by `configure`.
    fn build(configure: impl FnOnce(&mut AnnotatorBuilder)) -> Result<Annotator, Error> {
        let mut builder = AnnotatorBuilder::new();
        builder.default_gazetteer(false).gazetteer(gazetteer());
        configure(&mut builder);
        builder.build()
    }

    fn spans(annotator: &Annotator) -> Vec<String> {
        spans_of(annotator, "President Obama flew to Erbil.")
    }

    fn spans_of(annotator: &Annotator, text: &str) -> Vec<String> {
        let annotated = annotator.annotate("d", text).expect("annotates");
        annotated.record.spans().iter().map(|span| text[span.start..span.end].to_string()).collect()
    }

    /// A change to the builder, for a table of cases.
    type Configure = fn(&mut AnnotatorBuilder);

    fn kind_name(result: Result<Annotator, Error>) -> &'static str {
        match result {
            Ok(_) => "built",
            Err(err) => err.kind.name(),
        }
    }

    #[test]
    fn options_reach_the_matcher() {
        assert_eq!(spans(&build(|_| {}).expect("builds")), ["Obama", "Erbil"]);
        let none = build(|b| {
            b.rules(RuleSelection::none());
        });
        assert_eq!(spans(&none.expect("builds")), ["Erbil"]);
        let gpe = build(|b| {
            b.labels(Some(vec!["GPE".into()]));
        });
        assert_eq!(spans(&gpe.expect("builds")), ["Erbil"]);
    }

    #[test]
    fn what_would_select_nothing_is_refused() {
        let cases: [(&str, Configure); 5] = [
            ("no_gazetteer", |b| {
                b.sources.clear();
            }),
            ("empty_label", |b| {
                b.labels(Some(vec![" ".into()]));
            }),
            ("unknown_label", |b| {
                b.labels(Some(vec!["gpe".into()]));
            }),
            ("unknown_rule", |b| {
                b.rules(RuleSelection::Only(vec!["persn:".into()]));
            }),
            ("unknown_rule", |b| {
                b.rules(RuleSelection::Except(vec!["person:".into(), "org:".into()]));
            }),
        ];
        for (want, configure) in cases {
            assert_eq!(kind_name(build(configure)), want);
        }
        let err = build(|b| {
            b.labels(Some(vec!["gpe".into()]));
        })
        .err()
        .map(|err| err.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "no gazetteer has the label \"gpe\", so it would keep no span — labels are \
                 case-sensitive: did you mean \"GPE\"? the gazetteers have \"GPE\", \"PERSON\""
            )
        );
    }

    /// Tokens of `text` cut at the byte offsets `edges` (each token up to the
    /// next edge, a single trailing space its `ws`).
    fn cut(text: &str, edges: &[(usize, usize)]) -> Vec<Token> {
        edges
            .iter()
            .map(|&(start, end)| Token {
                start,
                end,
                kind: rubric_tokenizer::TokenKind::of(&text[start..end]),
                ws: text[end..].starts_with(' '),
            })
            .collect()
    }

    #[test]
    fn given_tokens_decide_where_matches_can_start_and_end() {
        let annotator = build(|_| {}).expect("builds");
        let found = |text: &str, edges: &[(usize, usize)]| -> Vec<String> {
            let matches = annotator.find_on_tokens(text, &cut(text, edges)).expect("fits");
            matches.spans.iter().map(|m| text[m.start..m.end].to_string()).collect()
        };
        // rubric's news tokenizer keeps a hashtag whole, so `Erbil` is no token
        // of its own there; cut as spaCy cuts it, it is.
        let text = "Rally in #Erbil";
        assert!(spans_of(&annotator, text).is_empty());
        assert_eq!(found(text, &[(0, 5), (6, 8), (9, 10), (10, 15)]), ["Erbil"]);
        // A token that runs on past the name's end hides it.
        assert!(found("Erbil is", &[(0, 8)]).is_empty());
        // The label filter and the rules apply as they do in `annotate`.
        let text = "President Obama flew to Erbil.";
        let edges = [(0, 9), (10, 15), (16, 20), (21, 23), (24, 29), (29, 30)];
        assert_eq!(found(text, &edges), ["Obama", "Erbil"]);
        let gpe = build(|b| {
            b.labels(Some(vec!["GPE".into()]));
        })
        .expect("builds");
        let matches = gpe.find_on_tokens(text, &cut(text, &edges)).expect("fits");
        assert_eq!(matches.spans.iter().map(|m| m.label.as_str()).collect::<Vec<_>>(), ["GPE"]);
    }

    #[test]
    fn a_given_token_outside_the_text_is_an_error() {
        let annotator = build(|_| {}).expect("builds");
        let tokens =
            [Token { start: 0, end: 9, kind: rubric_tokenizer::TokenKind::Word, ws: false }];
        let err = annotator.find_on_tokens("Erbil", &tokens).err().map(|err| err.kind);
        let inner = match err {
            Some(ErrorKind::Gazetteer(err)) => err.kind().name(),
            other => panic!("expected a gazetteer error, got {other:?}"),
        };
        assert_eq!(inner, "token_outside_text");
    }

    #[test]
    fn explain_puts_the_trace_in_meta_in_the_unit_asked() {
        let text = "Erbil";
        let annotator = build(|b| {
            b.explain(true).offsets(OffsetUnit::Utf16);
        })
        .expect("builds");
        let record = annotator.annotate("d", text).expect("annotates").record;
        assert_eq!(record.meta().get("explain"), Some(&serde_json::json!([])));
        let quiet = annotator.explaining(false).annotate("d", text).expect("annotates").record;
        assert_eq!(quiet.meta().get("explain"), None);
    }

    #[test]
    fn the_record_alone_is_the_record_beside_the_matches() {
        // Spans with ids and sources, some dropped (the trace), in both modes.
        let text = "Bashar al-Assad met Assad in Iraq and Georgia; Erbil, Kurdistan Region.";
        for explain in [false, true] {
            for tokens in [false, true] {
                let annotator = build(|b| {
                    b.explain(explain).tokens(tokens).offsets(OffsetUnit::Utf16);
                })
                .expect("builds");
                let annotated = annotator.annotate("d", text).expect("annotates");
                assert!(!annotated.record.spans().is_empty());
                assert!(annotated.record.spans().iter().all(|span| span.source.is_some()));
                let record = annotator.record("d", text).expect("annotates");
                assert_eq!(record, annotated.record, "explain {explain}, tokens {tokens}");
            }
        }
    }
}
