use crate::chars::{is_punctuation, is_quote, is_space};

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenKind {
    /// Contains a letter (or mixes letters and digits): `Iran`, `’s`, `U.S.`, `F-16`.
    Word,
    /// Digits, possibly signed or with separators: `2,500`, `3.5`, `12:20`, `-5`.
    Number,
    /// Only punctuation and quotes: `“`, `,`, `...`, `-`.
    Punctuation,
    /// Anything else: currency signs, math signs, emoji, `°`.
    Symbol,
    /// A web address: `https://example.com/a`, `www.bbc.co.uk`, `bit.ly/xyz`.
    Url,
    /// An e-mail address.
    Email,
    /// A social-media handle: `@nytimes`.
    Handle,
    /// A hashtag: `#Elections2024`.
    Hashtag,
    /// Whitespace that is not a token's single trailing space: runs of spaces, tabs,
    /// line breaks, no-break spaces. Never empty.
    Space,
}

impl TokenKind {
    /// The lower-case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Word => "word",
            TokenKind::Number => "number",
            TokenKind::Punctuation => "punctuation",
            TokenKind::Symbol => "symbol",
            TokenKind::Url => "url",
            TokenKind::Email => "email",
            TokenKind::Handle => "handle",
            TokenKind::Hashtag => "hashtag",
            TokenKind::Space => "space",
        }
    }

    /// Classifies a token's text by its characters (web forms are recognized by the
    /// tokenizer when it keeps them whole, not here). Public for tokens another
    /// tokenizer cut (a spaCy `Doc`'s), which the matcher needs to tell
    /// whitespace from words.
    pub fn of(text: &str) -> TokenKind {
        let mut chars = text.chars();
        let first = chars.next().unwrap_or(' ');
        if is_space(first) {
            return TokenKind::Space;
        }
        let numeric_start = first.is_ascii_digit()
            || (matches!(first, '-' | '+' | '.')
                && chars.next().is_some_and(|c| c.is_ascii_digit()));
        if numeric_start
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ':' | '/' | '-' | '+'))
        {
            return TokenKind::Number;
        }
        if text.chars().any(char::is_alphanumeric) {
            return TokenKind::Word;
        }
        if text.chars().all(|c| is_punctuation(c) || is_quote(c)) {
            return TokenKind::Punctuation;
        }
        TokenKind::Symbol
    }
}

/// A token: a non-empty byte range of the text it came from.
///
/// Offsets are bytes, so `&text[token.start..token.end]` is the token; convert them
/// to code points or UTF-16 only at the output edge (`rubric-offsets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token {
    /// Byte offset of the token's first byte.
    pub start: usize,
    /// Byte offset one past the token's last byte.
    pub end: usize,
    /// What the token is.
    pub kind: TokenKind,
    /// Whether a single space (U+0020) follows the token and belongs to it, as
    /// spaCy's `Token.whitespace_`. Any other whitespace is a [`TokenKind::Space`]
    /// token of its own.
    pub ws: bool,
}

impl Token {
    /// The token's text within `text`, the string it was made from.
    ///
    /// # Panics
    ///
    /// If `text` is not the string the token came from and the offsets do not fall
    /// on its character boundaries.
    #[inline] // one slice, called per token by every pass over the tokens
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }

    /// The byte offset just past the token's trailing space, if it has one.
    pub fn end_with_ws(&self) -> usize {
        self.end + usize::from(self.ws)
    }
}
