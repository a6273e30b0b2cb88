use crate::token::{Token, TokenKind};

/// A sentence: a range of token indices, `tokens[token_start..token_end]`.
///
/// Sentences partition the tokens: every token belongs to exactly one, in order.
/// Whitespace between two sentences belongs to the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sentence {
    /// Index of the sentence's first token.
    pub token_start: usize,
    /// Index one past the sentence's last token.
    pub token_end: usize,
}

/// Splits tokens into sentences. The rules, in order:
///
/// - a line break ends a sentence (news puts one paragraph per line);
/// - `.`, `!`, `?`, `...` or `…` ends one, together with the closing quotes and
///   brackets glued to it, when what follows starts like a sentence (a capital
///   letter, a digit, an opening quote or bracket) or the text ends;
/// - abbreviations (`Mr.`, `U.S.`) never end one: the tokenizer keeps their period,
///   so they are words, not the punctuation above.
pub(crate) fn split(text: &str, tokens: &[Token]) -> Vec<Sentence> {
    let mut sentences = Vec::new();
    let mut start = 0;
    let mut has_content = false;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        let token_text = token.text(text);
        let mut end = None;
        if token.kind == TokenKind::Space {
            if has_content && token_text.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
                end = Some(i + 1);
            }
        } else {
            has_content = true;
            if is_terminal(token_text) {
                let mut j = i + 1;
                let mut glued = !token.ws;
                while glued && j < tokens.len() && is_closing(tokens[j].text(text)) {
                    glued = !tokens[j].ws;
                    j += 1;
                }
                let next = tokens[j..].iter().find(|t| t.kind != TokenKind::Space);
                if next.is_none_or(|t| starts_sentence(t.text(text))) {
                    end = Some(j);
                }
            }
        }
        if let Some(mut end) = end {
            while end < tokens.len() && tokens[end].kind == TokenKind::Space {
                end += 1;
            }
            sentences.push(Sentence { token_start: start, token_end: end });
            start = end;
            has_content = false;
            i = end;
        } else {
            i += 1;
        }
    }
    if start < tokens.len() {
        match sentences.last_mut() {
            // Only whitespace is left: it belongs to the last sentence.
            Some(last) if !has_content => last.token_end = tokens.len(),
            _ => sentences.push(Sentence { token_start: start, token_end: tokens.len() }),
        }
    }
    sentences
}

fn is_terminal(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| matches!(c, '.' | '!' | '?' | '…'))
}

fn is_closing(s: &str) -> bool {
    matches!(s, "”" | "’" | "\"" | "'" | ")" | "]" | "»" | "''")
}

fn starts_sentence(s: &str) -> bool {
    s.chars().next().is_some_and(|c| {
        c.is_uppercase() || c.is_numeric() || matches!(c, '“' | '"' | '‘' | '\'' | '(' | '[' | '«')
    })
}
