use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use regex::Regex;
use unicode_segmentation::UnicodeSegmentation;

use crate::chars::{is_alpha, is_lower, is_space, Classes, News, Spacy};
use crate::rules;
use crate::spacy_tables;
use crate::token::{Token, TokenKind};

/// Which rules a [`Tokenizer`] follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenizerMode {
    /// rubric's news rules (the default): spaCy's scheme, with the differences the
    /// crate README lists (hashtags, URLs, e-mail addresses and handles whole, titles
    /// keep their period, a byte-order mark comes off).
    #[default]
    News,
    /// spaCy 3.8's English tokenizer (`spacy.blank("en")`) exactly: its special
    /// cases (contractions, abbreviations, emoticons), prefixes, suffixes, infixes and
    /// URL pattern, so that every token boundary is one spaCy's `Doc` has. A
    /// grapheme cluster is still never cut (see the README for the rare conflict).
    Spacy,
}

impl TokenizerMode {
    /// The mode's name on the command line and in Python: `news` or `spacy`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenizerMode::News => "news",
            TokenizerMode::Spacy => "spacy",
        }
    }

    /// The mode named `name` (`news` or `spacy`), if there is one.
    pub fn from_name(name: &str) -> Option<TokenizerMode> {
        match name {
            "news" => Some(TokenizerMode::News),
            "spacy" => Some(TokenizerMode::Spacy),
            _ => None,
        }
    }
}

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
    /// The special cases the matcher also looks for across tokens the other rules
    /// cut (spaCy's `_special_matcher`): all of them in spaCy mode, the news
    /// contractions and the user's own in news mode.
    matched: Vec<String>,
    mode: TokenizerMode,
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
        for word in rules::WHOLE_WORDS.iter().chain(rules::NEWS_CONTRACTIONS) {
            specials.insert(word.to_string(), vec![word.len()]);
        }
        TokenizerBuilder {
            specials,
            matched: rules::NEWS_CONTRACTIONS.iter().map(|s| s.to_string()).collect(),
            mode: TokenizerMode::News,
            hashtags: true,
            web: true,
            hyphens: true,
            clitics: true,
        }
    }
}

impl TokenizerBuilder {
    /// A builder with the default news rules.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder for spaCy 3.8's English tokenizer, `spacy.blank("en")`, exactly:
    /// its special cases (generated from spaCy by
    /// `scripts/make_spacy_tokenizer_tables.py`), its prefix, suffix and infix
    /// rules on its own character classes, its URL pattern, and its special-case
    /// matcher, which puts emoticons and abbreviations back together where the other
    /// rules cut them (`Tuesday.Mr.` → `Tuesday` `.` `Mr.`). Hashtags split as spaCy
    /// splits them (`#` `Iran2024`) unless [`hashtags`](Self::hashtags) says
    /// otherwise; [`clitics`](Self::clitics) has no effect (spaCy's contractions are
    /// special cases).
    ///
    /// ```
    /// use rubric_tokenizer::TokenizerBuilder;
    ///
    /// let tokenizer = TokenizerBuilder::spacy().build();
    /// let text = "Lt. Dan :) would've left Tuesday.Mr. Smith";
    /// let words: Vec<&str> = tokenizer.tokenize(text).iter().map(|t| t.text(text)).collect();
    /// assert_eq!(
    ///     words,
    ///     ["Lt", ".", "Dan", ":)", "would", "'ve", "left", "Tuesday", ".", "Mr.", "Smith"]
    /// );
    /// ```
    pub fn spacy() -> Self {
        let specials = spacy_tables::EXCEPTIONS
            .iter()
            .map(|(key, pieces)| (key.to_string(), pieces.iter().map(|p| p.len()).collect()))
            .collect();
        TokenizerBuilder {
            specials,
            matched: spacy_tables::EXCEPTIONS.iter().map(|(key, _)| key.to_string()).collect(),
            mode: TokenizerMode::Spacy,
            hashtags: false,
            web: true,
            hyphens: true,
            clitics: true,
        }
    }

    /// A builder for `mode`'s rules: [`new`](Self::new) or [`spacy`](Self::spacy).
    pub fn for_mode(mode: TokenizerMode) -> Self {
        match mode {
            TokenizerMode::News => Self::new(),
            TokenizerMode::Spacy => Self::spacy(),
        }
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
        self.matched.push(text.to_string());
        self
    }

    /// Keep `#hashtags` whole (default `true` in news mode, `false` in spaCy mode);
    /// spaCy splits the `#`.
    pub fn hashtags(&mut self, yes: bool) -> &mut Self {
        self.hashtags = yes;
        self
    }

    /// Keep URLs, e-mail addresses and `@handles` whole (default `true`). In spaCy
    /// mode this switches spaCy's URL pattern (which takes e-mail addresses too).
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
    /// spaCy). The possessive `'s` is always split. News mode only: in spaCy mode
    /// contractions are special cases.
    pub fn clitics(&mut self, yes: bool) -> &mut Self {
        self.clitics = yes;
        self
    }

    /// Builds the tokenizer.
    pub fn build(&self) -> Tokenizer {
        let mut tokenizer = Tokenizer {
            specials: Arc::new(self.specials.clone()),
            special_filter: SpecialFilter::of(self.specials.keys()),
            matcher: Arc::new(SpecialMatcher::of(FxHashMap::default())),
            mode: self.mode,
            with_specials: false,
            hashtags: self.hashtags,
            web: self.web,
            hyphens: self.hyphens,
            clitics: self.clitics,
            patterns: Arc::clone(&WEB_PATTERNS),
            id: TOKENIZER_IDS.fetch_add(1, Ordering::Relaxed) + 1,
        };
        // The matcher looks for each special case as the tokens the rules cut it
        // into when no special case applies (spaCy: `_tokenize_affixes(string,
        // False)`), so those are computed with the special cases off.
        let mut patterns = FxHashMap::default();
        for key in &self.matched {
            let Some(pieces) = self.specials.get(key) else { continue };
            let cut: Vec<usize> = tokenizer.tokenize(key).iter().map(|t| t.end - t.start).collect();
            // A key the rules leave whole is found by the special-case lookup itself.
            if cut.len() >= 2 {
                patterns.insert(key.clone(), (cut, pieces.clone()));
            }
        }
        tokenizer.matcher = Arc::new(SpecialMatcher::of(patterns));
        tokenizer.with_specials = true;
        tokenizer
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
    matcher: Arc<SpecialMatcher>,
    mode: TokenizerMode,
    /// Off only while the builder computes the matcher's patterns.
    with_specials: bool,
    hashtags: bool,
    web: bool,
    hyphens: bool,
    clitics: bool,
    patterns: Arc<WebPatterns>,
    /// Which tokenizer this is, for the thread's cache of chunk cuts (see
    /// [`ChunkCache`]): clones share it, as they cut alike.
    id: u64,
}

/// The last id given to a tokenizer.
static TOKENIZER_IDS: AtomicU64 = AtomicU64::new(0);

/// A thread's cuts of recent chunks (runs of non-space text that are not a
/// plain word), as spaCy's tokenizer caches each chunk's tokens: news repeats
/// `said,`, `U.S.` and `(AP)` all the time, and peeling their prefixes and
/// suffixes again is most of the tokenizer's work. A chunk's cut depends on
/// nothing but its text and the tokenizer's settings, so a cached cut is the cut.
/// The cache belongs to one tokenizer at a time (`owner`) and is emptied when
/// another uses the thread or when it is full.
#[derive(Default)]
struct ChunkCache {
    owner: u64,
    cuts: FxHashMap<Box<str>, Box<[CachedToken]>>,
}

/// A token of a cached chunk: offsets from the chunk's start, and its kind.
#[derive(Clone, Copy)]
struct CachedToken {
    start: u32,
    end: u32,
    kind: TokenKind,
}

/// The most chunks a thread keeps, and the longest chunk it keeps (longer ones
/// are rarely repeated: URLs, long hyphenated runs).
const MAX_CACHED_CHUNKS: usize = 1 << 16;
const MAX_CACHED_CHUNK_LEN: usize = 48;

thread_local! {
    static CHUNK_CACHE: RefCell<ChunkCache> = RefCell::new(ChunkCache::default());
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer::new()
    }
}

/// A cheap test that rules out most strings before the special-case table is
/// hashed: for each first byte, the lengths of the keys that start with it (a bit
/// each below 63; bit 63 for any longer key), and the keys' last bytes. spaCy mode
/// has 1,343 keys, which start with nearly every letter and have nearly every
/// length; the pair of first byte and length, with the last byte, still rules out
/// most words.
#[derive(Clone, Debug)]
struct SpecialFilter {
    lengths_by_first_byte: Box<[u64; 256]>,
    last_bytes: Box<[bool; 256]>,
}

impl Default for SpecialFilter {
    fn default() -> Self {
        SpecialFilter {
            lengths_by_first_byte: Box::new([0; 256]),
            last_bytes: Box::new([false; 256]),
        }
    }
}

impl SpecialFilter {
    fn of<'a>(keys: impl Iterator<Item = &'a String>) -> SpecialFilter {
        let mut filter = SpecialFilter::default();
        for key in keys {
            let bytes = key.as_bytes();
            if let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) {
                filter.lengths_by_first_byte[usize::from(first)] |= 1 << key.len().min(63);
                filter.last_bytes[usize::from(last)] = true;
            }
        }
        filter
    }

    fn may_contain(&self, s: &str) -> bool {
        let bytes = s.as_bytes();
        match (bytes.first(), bytes.last()) {
            (Some(&first), Some(&last)) => {
                self.last_bytes[usize::from(last)] && self.may_contain_parts(first, s.len())
            }
            _ => false,
        }
    }

    /// Whether a key may start with `first_byte` and be `len` long.
    fn may_contain_parts(&self, first_byte: u8, len: usize) -> bool {
        self.lengths_by_first_byte[usize::from(first_byte)] & (1 << len.min(63)) != 0
    }
}

/// spaCy's special-case matcher (`Tokenizer._special_matcher`): after the rules have
/// cut a chunk, a run of tokens that spells a special case the way the rules cut it
/// (`Mr` `.`, `:` `)`, `'` `'`) is replaced by the special case's own pieces. That is
/// how spaCy gets `Tuesday.Mr.` → `Tuesday` `.` `Mr.`: the infix rule cuts `Mr.`
/// out, the suffix rule splits its period, and the matcher joins it again.
#[derive(Debug)]
struct SpecialMatcher {
    /// Special case → (the byte lengths of the tokens the rules cut it into, the
    /// byte lengths of its own pieces). Only keys the rules cut into two or more.
    patterns: FxHashMap<String, (Vec<usize>, Vec<usize>)>,
    filter: SpecialFilter,
    /// For each first byte, the byte lengths (below 64; 63 stands for longer) of
    /// the patterns' first tokens: most tokens start no pattern, and this rules them
    /// out before any run is looked up.
    first_tokens: Vec<u64>,
    /// The first bytes of the patterns' second tokens (mostly punctuation): a run
    /// whose second token starts otherwise cannot grow into a match.
    second_tokens: Vec<bool>,
    max_tokens: usize,
}

impl SpecialMatcher {
    fn of(patterns: FxHashMap<String, (Vec<usize>, Vec<usize>)>) -> SpecialMatcher {
        let mut first_tokens = vec![0u64; 256];
        let mut second_tokens = vec![false; 256];
        for (key, (cut, _)) in &patterns {
            if let (Some(&byte), Some(&len)) = (key.as_bytes().first(), cut.first()) {
                first_tokens[usize::from(byte)] |= 1 << len.min(63);
                if let Some(&second) = key.as_bytes().get(len) {
                    second_tokens[usize::from(second)] = true;
                }
            }
        }
        SpecialMatcher {
            filter: SpecialFilter::of(patterns.keys()),
            max_tokens: patterns.values().map(|(cut, _)| cut.len()).max().unwrap_or(0),
            first_tokens,
            second_tokens,
            patterns,
        }
    }

    /// Can a pattern start with a token that starts with `byte` and is `len` long?
    fn may_start(&self, byte: u8, len: usize) -> bool {
        self.first_tokens[usize::from(byte)] & (1 << len.min(63)) != 0
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
                match self.mode {
                    TokenizerMode::News => {
                        self.split_chunk::<News>(text, at, chunk_end, tokens, &mut scratch)
                    }
                    TokenizerMode::Spacy => {
                        self.split_chunk::<Spacy>(text, at, chunk_end, tokens, &mut scratch)
                    }
                }
                at = chunk_end;
            }
        }
        if self.matcher.max_tokens > 0 && tokens.len() - first >= 2 {
            self.apply_matcher(text, tokens, first, &mut scratch);
        }
    }

    /// Whether `s` is a key of the special-case table (what [`Tokenizer::special`]
    /// looks up first).
    fn in_special_table(&self, s: &str) -> bool {
        self.table_pieces(s).is_some()
    }

    /// The pieces the special-case table cuts `s` into, if it is a key (none
    /// while the builder cuts the special cases themselves).
    fn table_pieces(&self, s: &str) -> Option<&[usize]> {
        if !self.with_specials || !self.special_filter.may_contain(s) {
            return None;
        }
        self.specials.get(s).map(Vec::as_slice)
    }

    fn special(&self, s: &str) -> Option<Special<'_>> {
        if !self.with_specials {
            return None;
        }
        if let Some(pieces) = self.table_pieces(s) {
            return Some(Special::Pieces(pieces));
        }
        // spaCy has no special cases but its table.
        if self.mode == TokenizerMode::Spacy {
            return None;
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
        if self.mode == TokenizerMode::Spacy {
            return spacy_url_match(s).then_some(if s.contains('@') {
                TokenKind::Email
            } else {
                TokenKind::Url
            });
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
    fn split_chunk<C: Classes>(
        &self,
        text: &str,
        start: usize,
        end: usize,
        tokens: &mut Vec<Token>,
        scratch: &mut Scratch,
    ) {
        let chunk = &text[start..end];
        // A plain word, most chunks: of the special cases only the table can hold
        // it (the others need an apostrophe, a leading digit or a period).
        if chunk.bytes().all(|b| b.is_ascii_alphabetic()) && !self.in_special_table(chunk) {
            tokens.push(Token { start, end, kind: TokenKind::Word, ws: false });
            return;
        }
        // While the builder cuts the special cases themselves (`with_specials`
        // off), cuts differ from the finished tokenizer's: nothing is cached.
        if !self.with_specials || chunk.len() > MAX_CACHED_CHUNK_LEN {
            self.cut_chunk::<C>(text, start, end, tokens, scratch);
            return;
        }
        let cached = CHUNK_CACHE.with(|cache| {
            let cache = cache.borrow();
            if cache.owner != self.id {
                return false;
            }
            let Some(cut) = cache.cuts.get(chunk) else { return false };
            tokens.extend(cut.iter().map(|token| Token {
                start: start + token.start as usize,
                end: start + token.end as usize,
                kind: token.kind,
                ws: false,
            }));
            true
        });
        if cached {
            return;
        }
        let first = tokens.len();
        self.cut_chunk::<C>(text, start, end, tokens, scratch);
        let cut: Box<[CachedToken]> = tokens[first..]
            .iter()
            .map(|token| CachedToken {
                // Within a chunk of at most `MAX_CACHED_CHUNK_LEN` bytes.
                start: (token.start - start) as u32,
                end: (token.end - start) as u32,
                kind: token.kind,
            })
            .collect();
        CHUNK_CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.owner != self.id || cache.cuts.len() >= MAX_CACHED_CHUNKS {
                cache.cuts.clear();
                cache.owner = self.id;
            }
            cache.cuts.insert(chunk.into(), cut);
        });
    }

    /// [`Tokenizer::split_chunk`]'s work, without the cache.
    fn cut_chunk<C: Classes>(
        &self,
        text: &str,
        start: usize,
        end: usize,
        tokens: &mut Vec<Token>,
        scratch: &mut Scratch,
    ) {
        let chunk = &text[start..end];
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
            let pre = rules::prefix_len::<C>(core, self.hashtags);
            if pre > 0 && pre < core.len() && self.special(&core[pre..]).is_some() {
                push(text, tokens, s, s + pre);
                s += pre;
                break;
            }
            let suf = rules::suffix_len::<C>(&core[pre..]);
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
            self.split_core::<C>(text, s, e, tokens, scratch);
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

    fn split_core<C: Classes>(
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
        rules::infixes::<C>(core, self.hyphens, &mut scratch.infixes);
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

impl Tokenizer {
    /// Runs the special-case matcher over the tokens `tokens[first..]` of one text,
    /// as spaCy's `_apply_special_cases` runs it over a `Doc`: every run of tokens
    /// whose texts spell a special case as the rules cut it is a match (spaCy's
    /// phrase matcher compares token texts, so a run may straddle a single space);
    /// the longest win, then the leftmost, and a match is dropped if its first or
    /// last token was in any match looked at before it. A kept match is replaced by
    /// the special case's pieces only where its tokens touch (spaCy looks the
    /// match's text, spaces included, up again and finds nothing otherwise), but a
    /// straddling match still blocks the ones it overlaps: in `(country) :(` spaCy
    /// finds `)` `:` first, so `:(` stays `:` `(`.
    fn apply_matcher(
        &self,
        text: &str,
        tokens: &mut Vec<Token>,
        first: usize,
        scratch: &mut Scratch,
    ) {
        let count = tokens.len() - first;
        scratch.matches.clear();
        for i in 0..count {
            let head = tokens[first + i];
            if head.kind == TokenKind::Space {
                continue;
            }
            let first_byte = text.as_bytes()[head.start];
            let mut len = head.end - head.start;
            if !self.matcher.may_start(first_byte, len) {
                continue;
            }
            let mut touching = true;
            for j in i + 1..count.min(i + self.matcher.max_tokens) {
                let token = tokens[first + j];
                if token.kind == TokenKind::Space
                    || (j == i + 1
                        && !self.matcher.second_tokens[usize::from(text.as_bytes()[token.start])])
                {
                    break;
                }
                touching &= !tokens[first + j - 1].ws;
                len += token.end - token.start;
                let last_byte = text.as_bytes()[token.end - 1];
                if !self.matcher.filter.may_contain_parts(first_byte, len)
                    || !self.matcher.filter.last_bytes[usize::from(last_byte)]
                {
                    continue;
                }
                let key = if touching {
                    &text[head.start..token.end]
                } else {
                    scratch.key.clear();
                    for t in &tokens[first + i..=first + j] {
                        scratch.key.push_str(t.text(text));
                    }
                    scratch.key.as_str()
                };
                let Some((cut, _)) = self.matcher.patterns.get(key) else { continue };
                let same_cut = cut.len() == j - i + 1
                    && cut
                        .iter()
                        .zip(&tokens[first + i..=first + j])
                        .all(|(&len, token)| token.end - token.start == len);
                if same_cut {
                    scratch.matches.push((i, j + 1, touching));
                }
            }
        }
        if scratch.matches.is_empty() {
            return;
        }
        // Longest first; among equally long ones, leftmost first.
        scratch.matches.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
        let mut seen = vec![false; count];
        let mut kept = Vec::new();
        for &(i, j, touching) in &scratch.matches {
            if !seen[i] && !seen[j - 1] && touching {
                kept.push((i, j));
            }
            seen[i..j].iter_mut().for_each(|s| *s = true);
        }
        if kept.is_empty() {
            return;
        }
        kept.sort_unstable();
        let old: Vec<Token> = tokens.drain(first..).collect();
        let mut at = 0;
        for (i, j) in kept {
            tokens.extend_from_slice(&old[at..i]);
            let mut start = old[i].start;
            let key = &text[start..old[j - 1].end];
            if let Some((_, pieces)) = self.matcher.patterns.get(key) {
                for len in pieces {
                    push(text, tokens, start, start + len);
                    start += len;
                }
            }
            // The pieces take the space that followed the run, as in spaCy.
            if let Some(last) = tokens.last_mut() {
                last.ws = old[j - 1].ws;
            }
            at = j;
        }
        tokens.extend_from_slice(&old[at..]);
    }
}

/// Buffers reused across chunks so that splitting allocates only while they grow.
#[derive(Default)]
struct Scratch {
    suffixes: Vec<(usize, usize)>,
    infixes: Vec<(usize, usize)>,
    /// The matcher's matches: first token, end token, whether the tokens touch.
    matches: Vec<(usize, usize, bool)>,
    key: String,
}

/// spaCy's `URL_MATCH` (`spacy/lang/tokenizer_exceptions.py`), which spaCy tries on
/// what is left of a chunk once its prefixes and suffixes are off, before infixes.
/// The `regex` crate has no look-ahead, so the pattern's exclusion of private and
/// loop-back IPv4 addresses is checked on the captured address instead.
fn spacy_url_match(s: &str) -> bool {
    if !s.contains('.') {
        return false;
    }
    let patterns = &*SPACY_URL;
    if patterns.host.is_match(s) {
        return true;
    }
    let Some(ip) = patterns.ip.captures(s).and_then(|c| c.name("ip")) else { return false };
    let mut octets = ip.as_str().split('.').map(|o| o.parse::<u32>().unwrap_or(u32::MAX));
    let (a, b) = (octets.next().unwrap_or(0), octets.next().unwrap_or(0));
    let private = matches!(a, 10 | 127)
        || matches!((a, b), (169, 254) | (192, 168))
        || (a == 172 && (16..=31).contains(&b));
    !private
}

#[derive(Debug)]
struct SpacyUrl {
    host: Regex,
    ip: Regex,
}

static SPACY_URL: std::sync::LazyLock<SpacyUrl> = std::sync::LazyLock::new(|| {
    // spaCy's top-level domain is `[ALPHA_LOWER]{2,63}`, its lower-case class.
    let lower: String = spacy_tables::ALPHA_LOWER
        .iter()
        .map(|&(low, high)| format!("\\u{{{:x}}}-\\u{{{:x}}}", u32::from(low), u32::from(high)))
        .collect();
    let scheme_and_user = r"^(?:[\w+\-.]{2,}://)?(?:\S+(?::\S*)?@)?";
    let port_and_path = r"(?::\d{2,5})?(?:[/?#]\S*)?$";
    let label = r"[A-Za-z0-9\u{a1}-\u{ffff}]";
    let label_inner = r"[A-Za-z0-9\u{a1}-\u{ffff}_\-]";
    let host = format!(
        "{scheme_and_user}(?:(?:{label}{label_inner}{{0,62}})?{label}\\.)+[{lower}]{{2,63}}{port_and_path}"
    );
    let ip = format!(
        "{scheme_and_user}(?P<ip>(?:[1-9]\\d?|1\\d\\d|2[01]\\d|22[0-3])(?:\\.(?:1?\\d{{1,2}}|2[0-4]\\d|25[0-5])){{2}}\\.(?:[1-9]\\d?|1\\d\\d|2[0-4]\\d|25[0-4])){port_and_path}"
    );
    let build = |pattern: &str| {
        regex::RegexBuilder::new(pattern).size_limit(256 << 20).dfa_size_limit(64 << 20).build()
    };
    // Both patterns are constants checked by the unit tests; they always compile.
    #[allow(clippy::expect_used)]
    SpacyUrl {
        host: build(&host).expect("spaCy's URL pattern compiles"),
        ip: build(&ip).expect("spaCy's IP URL pattern compiles"),
    }
});

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
