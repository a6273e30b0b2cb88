//! Agreement between more than two annotators: pairwise F1, and Cohen's kappa on
//! token-level IOB labels.

use std::collections::BTreeMap;
use std::ops::Range;

use rubric_tokenizer::{TokenKind, Tokenizer};

use crate::compare::Pair;
use crate::error::{Error, ErrorKind};
use crate::{Annotations, Differ, Document, Schema, Span};

/// Pairwise agreement between inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    /// The inputs' names, in the order given.
    pub inputs: Vec<String>,
    /// The schema `f1` is computed under.
    pub schema: Schema,
    /// `f1[i][j]`: micro F1 of input `j` scored against input `i` as gold.
    pub f1: Vec<Vec<f64>>,
    /// `kappa[i][j]`: Cohen's kappa between inputs `i` and `j` on token-level IOB2
    /// labels; `None` where it is undefined (no tokens, or both annotators used
    /// one single label for every token). Only when asked for.
    pub kappa: Option<Vec<Vec<Option<f64>>>>,
}

/// Compares every input with every other (and with itself, as a check) under
/// `schema`, and with `kappa` also computes Cohen's kappa for each pair.
///
/// Pairing follows `differ`: a document missing from one input is an error unless
/// the differ allows missing documents; then, for kappa, its tokens count as `O` on
/// the side that lacks it, and a document whose texts differ is left out of kappa
/// (its tokens cannot be lined up).
pub fn agreement(
    inputs: &[Annotations],
    differ: &Differ,
    schema: Schema,
    kappa: bool,
) -> Result<Agreement, Error> {
    if inputs.len() < 2 {
        return Err(ErrorKind::TooFewInputs { count: inputs.len() }.into());
    }
    let n = inputs.len();
    let mut f1 = vec![vec![0.0; n]; n];
    let mut kappas = kappa.then(|| vec![vec![None; n]; n]);
    let tokenizer = Tokenizer::new();
    for i in 0..n {
        for j in 0..n {
            f1[i][j] = differ.compare(&inputs[i], &inputs[j])?.f1(schema);
            if let Some(kappas) = &mut kappas {
                if j >= i {
                    let pairs = differ.pair(&inputs[i], &inputs[j])?;
                    let value = cohen_kappa(&pairs, &tokenizer);
                    kappas[i][j] = value;
                    kappas[j][i] = value;
                }
            }
        }
    }
    Ok(Agreement {
        inputs: inputs.iter().map(|a| a.name.clone()).collect(),
        schema,
        f1,
        kappa: kappas,
    })
}

/// Cohen's kappa over the tokens of all paired documents.
fn cohen_kappa(pairs: &[Pair<'_>], tokenizer: &Tokenizer) -> Option<f64> {
    let mut agree = 0u64;
    let mut total = 0u64;
    // Ordered maps: the expected agreement is a floating-point sum over labels,
    // and a fixed order of terms makes the same kappa on every run.
    let mut first: BTreeMap<String, u64> = BTreeMap::new();
    let mut second: BTreeMap<String, u64> = BTreeMap::new();
    for pair in pairs {
        let tokens = match (pair.gold, pair.prediction) {
            (Some(a), Some(b)) if a.text != b.text => continue,
            (Some(document), _) | (None, Some(document)) => tokens_of(document, tokenizer),
            (None, None) => continue,
        };
        let labels = |side: Option<&Document>| match side {
            Some(document) => iob_labels(&tokens, &document.spans),
            None => vec!["O".to_string(); tokens.len()],
        };
        let (a, b) = (labels(pair.gold), labels(pair.prediction));
        for (x, y) in a.into_iter().zip(b) {
            total += 1;
            agree += u64::from(x == y);
            *first.entry(x).or_default() += 1;
            *second.entry(y).or_default() += 1;
        }
    }
    if total == 0 {
        return None;
    }
    let n = total as f64;
    let observed = agree as f64 / n;
    let expected: f64 = first
        .iter()
        .map(|(label, &count)| {
            count as f64 / n * (second.get(label).copied().unwrap_or(0) as f64 / n)
        })
        .sum();
    if expected >= 1.0 {
        return None;
    }
    Some((observed - expected) / (1.0 - expected))
}

/// The document's tokens (byte ranges, white space excluded): the input's own
/// when it has them, else rubric's tokenizer's.
fn tokens_of(document: &Document, tokenizer: &Tokenizer) -> Vec<Range<usize>> {
    match &document.tokens {
        Some(tokens) => tokens.clone(),
        None => tokenizer
            .tokenize(&document.text)
            .into_iter()
            .filter(|token| token.kind != TokenKind::Space)
            .map(|token| token.start..token.end)
            .collect(),
    }
}

/// IOB2 labels (`O`, `B-LABEL`, `I-LABEL`) of `tokens` (byte ranges of the text,
/// in order) under `spans`.
///
/// A token gets a span's label when it overlaps the span. IOB cannot hold nested or
/// crossing spans, so the longest span is placed first (then the earliest, then
/// by label), and a span that overlaps a token already labelled is left out, as
/// spaCy's `filter_spans` does.
///
/// ```
/// use rubric_diff::{iob_labels, Span};
///
/// // "New York City Council"
/// let tokens = [0..3, 4..8, 9..13, 14..21];
/// let spans = [Span::new(0, 8, "GPE"), Span::new(0, 21, "ORG")];
/// assert_eq!(iob_labels(&tokens, &spans), ["B-ORG", "I-ORG", "I-ORG", "I-ORG"]);
/// ```
pub fn iob_labels(tokens: &[Range<usize>], spans: &[Span]) -> Vec<String> {
    let mut order: Vec<&Span> = spans.iter().collect();
    order.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(a.start.cmp(&b.start))
            .then(a.label.cmp(&b.label))
    });
    let mut labels = vec!["O".to_string(); tokens.len()];
    let mut taken = vec![false; tokens.len()];
    for span in order {
        let first = tokens.partition_point(|t| t.end <= span.start);
        let last = tokens.partition_point(|t| t.start < span.end);
        if first >= last || taken[first..last].iter().any(|&t| t) {
            continue;
        }
        for (k, index) in (first..last).enumerate() {
            taken[index] = true;
            labels[index] = format!("{}-{}", if k == 0 { "B" } else { "I" }, span.label);
        }
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(name: &str, spans: Vec<Span>) -> Annotations {
        Annotations::new(name, vec![Document::new("d", "a b c d", spans)])
    }

    #[test]
    fn kappa_is_one_for_identical_and_zero_when_chance() {
        let a = annotations("a", vec![Span::new(0, 1, "X"), Span::new(4, 5, "Y")]);
        let result = agreement(&[a.clone(), a], &Differ::new(), Schema::Strict, true).unwrap();
        let kappa = result.kappa.unwrap();
        assert_eq!(kappa[0][1], Some(1.0));
        assert_eq!(result.f1[0][1], 1.0);
        // a: B-X O O O; b: O O O O. observed 3/4, expected (3/4)(4/4) = 3/4.
        let a = annotations("a", vec![Span::new(0, 1, "X")]);
        let b = annotations("b", vec![]);
        let kappa =
            agreement(&[a, b], &Differ::new(), Schema::Strict, true).unwrap().kappa.unwrap();
        assert_eq!(kappa[0][1], Some(0.0));
    }

    #[test]
    fn kappa_is_undefined_when_everything_is_o() {
        let a = annotations("a", vec![]);
        let kappa = agreement(&[a.clone(), a], &Differ::new(), Schema::Strict, true)
            .unwrap()
            .kappa
            .unwrap();
        assert_eq!(kappa[0][1], None);
    }

    #[test]
    fn kappa_is_the_same_on_every_run() {
        // Regression: the label counts were summed in a HashMap's order, which
        // changes from map to map, so the last digits of kappa changed from run
        // to run (0.9089300176366814, ...812, ...815 on the development news).
        let text: String = (0..60).map(|i| format!("w{i:02} ")).collect();
        let spans = |shift: usize| -> Vec<Span> {
            (0..60)
                .step_by(3)
                .map(|i| Span::new(i * 4, i * 4 + 3, format!("L{}", (i + shift) % 17)))
                .collect()
        };
        let a = Annotations::new("a", vec![Document::new("d", text.as_str(), spans(0))]);
        let b = Annotations::new("b", vec![Document::new("d", text.as_str(), spans(5))]);
        let kappa = |a: &Annotations, b: &Annotations| {
            let result = agreement(&[a.clone(), b.clone()], &Differ::new(), Schema::Strict, true);
            result.unwrap().kappa.unwrap()[0][1].unwrap().to_bits()
        };
        let first = kappa(&a, &b);
        for _ in 0..50 {
            assert_eq!(kappa(&a, &b), first);
        }
    }

    #[test]
    fn one_input_is_an_error() {
        let a = annotations("a", vec![]);
        let error = agreement(&[a], &Differ::new(), Schema::Strict, false).unwrap_err();
        assert!(matches!(error.kind, ErrorKind::TooFewInputs { count: 1 }));
    }

    #[test]
    fn iob_labels_of_misaligned_and_adjacent_spans() {
        let tokens = [0..1, 2..3, 4..5, 6..7];
        let spans = [Span::new(0, 3, "X"), Span::new(4, 5, "X"), Span::new(6, 7, "Y")];
        assert_eq!(iob_labels(&tokens, &spans), ["B-X", "I-X", "B-X", "B-Y"]);
        // A span inside a token labels the whole token.
        let whole_token = vec![Range { start: 0, end: 2 }];
        assert_eq!(iob_labels(&whole_token, &[Span::new(1, 2, "X")]), ["B-X"]);
    }
}
