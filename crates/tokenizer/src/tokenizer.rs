use rustc_hash::FxHashMap;
use std::sync::Arc;

use regex::Regex;
use unicode_segmentation::UnicodeSegmentation;

use crate::chars::{is_alpha, is_lower, is_space};
use crate::rules;
use crate::token::{Token, TokenKind};

/// Configures and builds a [`Tokenizer`].
///
/// ```
/// use rubric_tokenizer::Tokenizer;
///
/// let tokenizer = Tokenizer::builder().abbreviation("Brig.").build();
/// let text = "Brig. Gen. Smith";
/// let words: Vec<&str> = tokenizer.tokenize(text).iter().map(|t| t.text(text)).collect();
/// assert_eq!(words, ["Brig.", "Gen.", "Smith"]);
/// ```
#[derive(Clone, Debug)]
pub struct TokenizerBuilder {
    specials: FxHashMap<String, Vec<usize>>,
    hashtags: bool,
    web: bool,
    hyphens: bool,
    clitics: bool,
}

impl Default for TokenizerBuilder {
    fn default() -> Self {
        let mut specials = FxHashMap::default();
        for abbreviation in rules::ABBREVIATIONS {
            specials.insert(abbreviation.to_string(), vec![abbreviation.len()]);
        }
        for (word, first) in rules::SPLIT_WORDS {
            specials.insert(word.to_string(), vec![*first, word.len() - first]);
        }
        for word in rules::WHOLE_WORDS {
            specials.insert(word.to_string(), vec![word.len()]);
        }
        TokenizerBuilder { specials, hashtags: true, web: true, hyphens: true, clitics: true }
    }
}

impl TokenizerBuilder {
    /// A builder with the default news rules.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `abbreviation` (which should end in `.`) as one token, e.g. `Brig.`.
    pub fn abbreviation(&mut self, abbreviation: &str) -> &mut Self {
        self.special_case(abbreviation, &[abbreviation])
    }

    /// Always tokenizes the exact string `text` as `pieces`. Empty pieces are
    /// dropped.
    ///
    /// # Panics
    ///
    /// If `text` is empty or the pieces do not concatenate to `text`: a special case
    /// may split the text, never change it.
    pub fn special_case(&mut self, text: &str, pieces: &[&str]) -> &mut Self {
        assert!(
            !text.is_empty() && pieces.concat() == text,
            "special case {pieces:?} must concatenate to {text:?}"
        );
        let lengths = pieces.iter().map(|p| p.len()).filter(|&n| n > 0).collect();
        self.specials.insert(text.to_string(), lengths);
        self
    }

    /// Keep `#hashtags` whole (default `true`); spaCy splits the `#`.
    pub fn hashtags(&mut self, yes: bool) -> &mut Self {
        self.hashtags = yes;
        self
    }

    /// Keep URLs, e-mail addresses and `@handles` whole (default `true`).
    pub fn web(&mut self, yes: bool) -> &mut Self {
        self.web = yes;
        self
    }

    /// Split hyphens and dashes between letters: `al-Sudani` → `al` `-` `Sudani`
    /// (default `true`, as spaCy).
    pub fn hyphens(&mut self, yes: bool) -> &mut Self {
        self.hyphens = yes;
        self
    }

    /// Split clitics: `don't` → `do` `n't`, `we're` → `we` `'re` (default `true`, as
    /// spaCy). The possessive `'s` is always split.
    pub fn clitics(&mut self, yes: bool) -> &mut Self {
        self.clitics = yes;
        self
    }

    /// Builds the tokenizer.
    pub fn build(&self) -> Tokenizer {
        let mut special_filter =
            SpecialFilter { first_bytes: [false; 256], lengths: 0, long_keys: false };
        for key in self.specials.keys() {
            if let Some(&first) = key.as_bytes().first() {
                special_filter.first_bytes[usize::from(first)] = true;
            }
            match key.len() {
                len @ 0..64 => special_filter.lengths |= 1 << len,
                _ => special_filter.long_keys = true,
            }
        }
        Tokenizer {
            specials: Arc::new(self.specials.clone()),
            special_filter,
            hashtags: self.hashtags,
            web: self.web,
            hyphens: self.hyphens,
            clitics: self.clitics,
            patterns: Arc::clone(&WEB_PATTERNS),
        }
    }
}

/// A news-grade English tokenizer whose tokens cover the input exactly.
///
/// Text is cut at whitespace first, exactly as spaCy does: a single space after a
/// token becomes its [`Token::ws`] flag, any other whitespace a
/// [`TokenKind::Space`] token. Each run of non-space text is then split by the news
/// rules: punctuation, quotes and brackets come off either end, clitics (`’s`,
/// `n’t`) come off the end, hyphens between letters split, while numbers (`2,500`,
/// `12:20`), abbreviations (`U.S.`, `Mr.`), URLs, e-mail addresses, handles and
/// hashtags stay whole. A token boundary never falls inside an extended grapheme
/// cluster (UAX #29), so an accent or an emoji sequence is never cut.
///
/// **Invariant:** the tokens' texts, each followed by a space where `ws` is set,
/// concatenate to the input; tokens are non-empty, in order, and on char
/// boundaries.
///
/// ```
/// use rubric_tokenizer::Tokenizer;
///
/// let text = "Iran’s al-Sudani said “no.”";
/// let tokens = Tokenizer::new().tokenize(text);
/// let words: Vec<&str> = tokens.iter().map(|t| t.text(text)).collect();
/// assert_eq!(words, ["Iran", "’s", "al", "-", "Sudani", "said", "“", "no", ".", "”"]);
/// ```
#[derive(Clone, Debug)]
pub struct Tokenizer {
    /// Looked up for almost every word. The table is fixed when the tokenizer is
    /// built (no input adds keys), so a fast hash is safe here: SipHash's
    /// protection is against inserted keys that collide.
    specials: Arc<FxHashMap<String, Vec<usize>>>,
    special_filter: SpecialFilter,
    hashtags: bool,
    web: bool,
    hyphens: bool,
    clitics: bool,
    patterns: Arc<WebPatterns>,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer::new()
    }
}

/// A cheap test that rules out most strings before the special-case table is
/// hashed: the first bytes and the lengths (below 64) of its keys.
#[derive(Clone, Debug)]
struct SpecialFilter {
    first_bytes: [bool; 256],
    lengths: u64,
    long_keys: bool,
}

impl SpecialFilter {
    fn may_contain(&self, s: &str) -> bool {
        let length_fits = match s.len() {
            len @ 0..64 => self.lengths & (1 << len) != 0,
            _ => self.long_keys,
        };
        length_fits && s.as_bytes().first().is_some_and(|&b| self.first_bytes[usize::from(b)])
    }
}

/// How a special case splits a string.
enum Special<'a> {
    Pieces(&'a [usize]),
    SplitAt(usize),
    Whole,
}

#[derive(Debug)]
struct WebPatterns {
    url: Regex,
    email: Regex,
}

static WEB_PATTERNS: std::sync::LazyLock<Arc<WebPatterns>> = std::sync::LazyLock::new(|| {
    // Top-level domains we accept without a scheme: the generic ones and the
    // country codes news most often links to. With a scheme or `www.`, any host goes.
    const TLDS: &str = "com|org|net|edu|gov|mil|int|info|biz|io|co|ai|app|dev|news|me|tv|ly|fm|\
        us|uk|ca|au|nz|ie|de|fr|it|es|nl|be|ch|at|se|no|dk|fi|pl|pt|ru|ua|cz|gr|tr|il|ir|iq|sy|lb|\
        jo|ps|eg|sa|ae|qa|kw|pk|in|bd|cn|jp|kr|tw|hk|sg|my|ph|id|th|vn|mx|br|ar|cl|za|ng|ke|eu";
    let url = format!(
        r"^(?:[A-Za-z][A-Za-z0-9+.\-]*://\S+|www\.\S+\.\S+|(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+(?:{TLDS})(?::\d{{2,5}})?(?:[/?#]\S*)?)$"
    );
    let email = r"^[\w.+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$";
    // Both patterns are constants checked by the unit tests; they always compile.
    #[allow(clippy::expect_used)]
    Arc::new(WebPatterns {
        url: Regex::new(&url).expect("URL pattern compiles"),
        email: Regex::new(email).expect("e-mail pattern compiles"),
    })
});

impl Tokenizer {
    /// A tokenizer with the default news rules.
    pub fn new() -> Self {
        TokenizerBuilder::default().build()
    }

    /// A builder to configure one.
    pub fn builder() -> TokenizerBuilder {
        TokenizerBuilder::default()
    }

    /// Tokenizes `text`. See the type's documentation for the rules.
    pub fn tokenize(&self, text: &str) -> Vec<Token> {
        let mut tokens = Vec::with_capacity(text.len() / 5 + 1);
        self.tokenize_into(text, &mut tokens);
        tokens
    }

    /// Tokenizes `text`, appending to `tokens` (which lets a caller reuse one buffer).
    pub fn tokenize_into(&self, text: &str, tokens: &mut Vec<Token>) {
        let first = tokens.len();
        let mut scratch = Scratch::default();
        let mut at = 0;
        while at < text.len() {
            let space_end = scan(text, at, true);
            if space_end > at {
                let mut start = at;
                // One space after a token is that token's `ws`; the rest is a token.
                if text.as_bytes()[at] == b' ' && tokens.len() > first {
                    if let Some(last) = tokens.last_mut() {
                        last.ws = true;
                        start += 1;
                    }
                }
                if space_end > start {
                    tokens.push(Token { start, end: space_end, kind: TokenKind::Space, ws: false });
                }
                at = space_end;
            } else {
                let chunk_end = scan(text, at, false);
                self.split_chunk(text, at, chunk_end, tokens, &mut scratch);
                at = chunk_end;
            }
        }
    }

    fn special(&self, s: &str) -> Option<Special<'_>> {
        if self.special_filter.may_contain(s) {
            if let Some(pieces) = self.specials.get(s) {
                return Some(Special::Pieces(pieces));
            }
        }
        if self.clitics && s.contains(['\'', '’']) {
            if let Some(at) = rules::contraction(s) {
                return Some(Special::SplitAt(at));
            }
        }
        if s.len() <= 6 && s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            if let Some(at) = rules::hour_with_meridiem(s) {
                return Some(Special::SplitAt(at));
            }
        }
        // A lower-case letter with a period (`a.`, as in lists and initials).
        let mut chars = s.chars();
        if let (Some(c), Some('.'), None) = (chars.next(), chars.next(), chars.next()) {
            if is_lower(c) && is_alpha(c) {
                return Some(Special::Whole);
            }
        }
        None
    }

    /// The kind of `s` if it is a form that stays whole (URL, e-mail, handle, hashtag).
    fn whole_form(&self, s: &str) -> Option<TokenKind> {
        let first = s.as_bytes().first()?;
        if self.hashtags && *first == b'#' && rules::is_tag_body(&s[1..]) {
            return Some(TokenKind::Hashtag);
        }
        if !self.web {
            return None;
        }
        if *first == b'@' && rules::is_tag_body(&s[1..]) {
            return Some(TokenKind::Handle);
        }
        if s.contains('@') {
            return self.patterns.email.is_match(s).then_some(TokenKind::Email);
        }
        if s.contains('.') && self.patterns.url.is_match(s) {
            return Some(TokenKind::Url);
        }
        None
    }

    /// Splits one run of non-space text, spaCy style: peel prefixes and suffixes
    /// until a special case or nothing more comes off, then split the core at
    /// infixes.
    fn split_chunk(
        &self,
        text: &str,
        start: usize,
        end: usize,
        tokens: &mut Vec<Token>,
        scratch: &mut Scratch,
    ) {
        let chunk = &text[start..end];
        if chunk.bytes().all(|b| b.is_ascii_alphabetic()) && self.special(chunk).is_none() {
            tokens.push(Token { start, end, kind: TokenKind::Word, ws: false });
            return;
        }
        let first = tokens.len();
        let suffixes_from = scratch.suffixes.len();
        let (mut s, mut e) = (start, end);
        loop {
            let core = &text[s..e];
            // URLs are recognized only once the punctuation around them is off, as in
            // spaCy: `(https://x.com/a).` keeps its brackets and period apart.
            if core.is_empty() || self.special(core).is_some() {
                break;
            }
            let pre = rules::prefix_len(core, self.hashtags);
            if pre > 0 && pre < core.len() && self.special(&core[pre..]).is_some() {
                push(text, tokens, s, s + pre);
                s += pre;
                break;
            }
            let suf = rules::suffix_len(&core[pre..]);
            if suf > 0 && suf < core.len() && self.special(&core[..core.len() - suf]).is_some() {
                scratch.suffixes.push((e - suf, e));
                e -= suf;
                break;
            }
            if pre > 0 && suf > 0 && pre + suf <= core.len() {
                push(text, tokens, s, s + pre);
                scratch.suffixes.push((e - suf, e));
                s += pre;
                e -= suf;
            } else if pre > 0 {
                push(text, tokens, s, s + pre);
                s += pre;
            } else if suf > 0 {
                scratch.suffixes.push((e - suf, e));
                e -= suf;
            } else {
                break;
            }
        }
        if s < e {
            self.split_core(text, s, e, tokens, scratch);
        }
        while scratch.suffixes.len() > suffixes_from {
            if let Some((a, b)) = scratch.suffixes.pop() {
                push(text, tokens, a, b);
            }
        }
        if !chunk.is_ascii() {
            merge_inside_graphemes(text, start, end, tokens, first);
        }
    }

    fn split_core(
        &self,
        text: &str,
        s: usize,
        e: usize,
        tokens: &mut Vec<Token>,
        scratch: &mut Scratch,
    ) {
        let core = &text[s..e];
        match self.special(core) {
            Some(Special::Pieces(pieces)) => {
                let mut at = s;
                for len in pieces {
                    push(text, tokens, at, at + len);
                    at += len;
                }
                return;
            }
            Some(Special::SplitAt(k)) => {
                push(text, tokens, s, s + k);
                push(text, tokens, s + k, e);
                return;
            }
            Some(Special::Whole) => {
                push(text, tokens, s, e);
                return;
            }
            None => {}
        }
        if let Some(kind) = self.whole_form(core) {
            tokens.push(Token { start: s, end: e, kind, ws: false });
            return;
        }
        if core.bytes().all(|b| b.is_ascii_alphanumeric()) {
            push(text, tokens, s, e);
            return;
        }
        rules::infixes(core, self.hyphens, &mut scratch.infixes);
        let mut at = s;
        for &(a, b) in &scratch.infixes {
            if s + a > at {
                push(text, tokens, at, s + a);
            }
            push(text, tokens, s + a, s + b);
            at = s + b;
        }
        if at < e {
            push(text, tokens, at, e);
        }
    }
}

/// Buffers reused across chunks so that splitting allocates only while they grow.
#[derive(Default)]
struct Scratch {
    suffixes: Vec<(usize, usize)>,
    infixes: Vec<(usize, usize)>,
}

fn push(text: &str, tokens: &mut Vec<Token>, start: usize, end: usize) {
    tokens.push(Token { start, end, kind: TokenKind::of(&text[start..end]), ws: false });
}

/// Which bytes are ASCII white space as the tokenizer counts it (the
/// information separators U+001C..U+001F included, as in `is_space`).
const ASCII_SPACE: [bool; 256] = ascii_table(true);
/// Which bytes are ASCII and not white space.
const ASCII_NON_SPACE: [bool; 256] = ascii_table(false);

const fn ascii_table(space: bool) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x80 {
        let is_space = matches!(b as u8, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f);
        table[b] = is_space == space;
        b += 1;
    }
    table
}

/// The end of the run of space (`space == true`) or non-space characters at `at`.
fn scan(text: &str, at: usize, space: bool) -> usize {
    let bytes = text.as_bytes();
    let mut i = at;
    while i < bytes.len() {
        // ASCII bytes of the kind asked for are skipped by table, most of a text.
        let ascii = if space { &ASCII_SPACE } else { &ASCII_NON_SPACE };
        while i < bytes.len() && ascii[usize::from(bytes[i])] {
            i += 1;
        }
        let Some(&b) = bytes.get(i) else { break };
        let (is_sp, len) = if b < 0x80 {
            (ASCII_SPACE[usize::from(b)], 1)
        } else {
            match text[i..].chars().next() {
                Some(c) => (is_space(c), c.len_utf8()),
                None => break,
            }
        };
        if is_sp != space {
            break;
        }
        i += len;
    }
    i
}

/// Joins tokens `tokens[first..]` (all within `text[start..end]`) wherever the
/// boundary between two of them is not an extended grapheme cluster boundary.
fn merge_inside_graphemes(
    text: &str,
    start: usize,
    end: usize,
    tokens: &mut Vec<Token>,
    first: usize,
) {
    if tokens.len() - first < 2 {
        return;
    }
    let chunk = &text[start..end];
    let boundaries: Vec<usize> = chunk.grapheme_indices(true).map(|(i, _)| start + i).collect();
    let mut write = first;
    for read in first + 1..tokens.len() {
        let next = tokens[read];
        if boundaries.binary_search(&next.start).is_ok() {
            write += 1;
            tokens[write] = next;
        } else {
            let merged = &mut tokens[write];
            merged.end = next.end;
            merged.kind = TokenKind::of(&text[merged.start..merged.end]);
        }
    }
    tokens.truncate(write + 1);
}
