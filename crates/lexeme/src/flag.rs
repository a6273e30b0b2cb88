//! The boolean attributes by name, and all of them for a text at once.

use std::fmt;

/// A boolean lexical attribute, named as in spaCy's Matcher patterns (`"IS_TITLE"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// `IS_ALPHA`: [`crate::is_alpha`].
    IsAlpha,
    /// `IS_ASCII`: [`crate::is_ascii`].
    IsAscii,
    /// `IS_DIGIT`: [`crate::is_digit`].
    IsDigit,
    /// `IS_LOWER`: [`crate::is_lower`].
    IsLower,
    /// `IS_PUNCT`: [`crate::is_punct`].
    IsPunct,
    /// `IS_SPACE`: [`crate::is_space`].
    IsSpace,
    /// `IS_TITLE`: [`crate::is_title`].
    IsTitle,
    /// `IS_UPPER`: [`crate::is_upper`].
    IsUpper,
    /// `LIKE_URL`: [`crate::like_url`].
    LikeUrl,
    /// `LIKE_NUM`: [`crate::like_num`].
    LikeNum,
    /// `LIKE_EMAIL`: [`crate::like_email`].
    LikeEmail,
    /// `IS_STOP`: [`crate::is_stop`].
    IsStop,
    /// `IS_BRACKET`: [`crate::is_bracket`].
    IsBracket,
    /// `IS_QUOTE`: [`crate::is_quote`].
    IsQuote,
    /// `IS_LEFT_PUNCT`: [`crate::is_left_punct`].
    IsLeftPunct,
    /// `IS_RIGHT_PUNCT`: [`crate::is_right_punct`].
    IsRightPunct,
    /// `IS_CURRENCY`: [`crate::is_currency`].
    IsCurrency,
}

impl Flag {
    /// Every flag, in the order of spaCy's attribute IDs.
    pub const ALL: [Flag; 17] = [
        Flag::IsAlpha,
        Flag::IsAscii,
        Flag::IsDigit,
        Flag::IsLower,
        Flag::IsPunct,
        Flag::IsSpace,
        Flag::IsTitle,
        Flag::IsUpper,
        Flag::LikeUrl,
        Flag::LikeNum,
        Flag::LikeEmail,
        Flag::IsStop,
        Flag::IsBracket,
        Flag::IsQuote,
        Flag::IsLeftPunct,
        Flag::IsRightPunct,
        Flag::IsCurrency,
    ];

    /// spaCy's name: `"IS_ALPHA"`, `"LIKE_NUM"`, ...
    pub fn name(self) -> &'static str {
        match self {
            Flag::IsAlpha => "IS_ALPHA",
            Flag::IsAscii => "IS_ASCII",
            Flag::IsDigit => "IS_DIGIT",
            Flag::IsLower => "IS_LOWER",
            Flag::IsPunct => "IS_PUNCT",
            Flag::IsSpace => "IS_SPACE",
            Flag::IsTitle => "IS_TITLE",
            Flag::IsUpper => "IS_UPPER",
            Flag::LikeUrl => "LIKE_URL",
            Flag::LikeNum => "LIKE_NUM",
            Flag::LikeEmail => "LIKE_EMAIL",
            Flag::IsStop => "IS_STOP",
            Flag::IsBracket => "IS_BRACKET",
            Flag::IsQuote => "IS_QUOTE",
            Flag::IsLeftPunct => "IS_LEFT_PUNCT",
            Flag::IsRightPunct => "IS_RIGHT_PUNCT",
            Flag::IsCurrency => "IS_CURRENCY",
        }
    }

    /// The flag spaCy calls `name` (upper case, as in patterns), if any.
    ///
    /// ```
    /// use rubric_lexeme::Flag;
    ///
    /// assert_eq!(Flag::from_name("IS_TITLE"), Some(Flag::IsTitle));
    /// assert_eq!(Flag::from_name("POS"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|flag| flag.name() == name)
    }

    /// Whether `text` has the flag.
    pub fn test(self, text: &str) -> bool {
        match self {
            Flag::IsAlpha => crate::is_alpha(text),
            Flag::IsAscii => crate::is_ascii(text),
            Flag::IsDigit => crate::is_digit(text),
            Flag::IsLower => crate::is_lower(text),
            Flag::IsPunct => crate::is_punct(text),
            Flag::IsSpace => crate::is_space(text),
            Flag::IsTitle => crate::is_title(text),
            Flag::IsUpper => crate::is_upper(text),
            Flag::LikeUrl => crate::like_url(text),
            Flag::LikeNum => crate::like_num(text),
            Flag::LikeEmail => crate::like_email(text),
            Flag::IsStop => crate::is_stop(text),
            Flag::IsBracket => crate::is_bracket(text),
            Flag::IsQuote => crate::is_quote(text),
            Flag::IsLeftPunct => crate::is_left_punct(text),
            Flag::IsRightPunct => crate::is_right_punct(text),
            Flag::IsCurrency => crate::is_currency(text),
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every flag of one text, computed once: what spaCy stores in a lexeme. A matcher
/// that tests many patterns against a token computes this once per token (or per
/// distinct text) and then tests bits.
///
/// ```
/// use rubric_lexeme::{Flag, FlagSet};
///
/// let flags = FlagSet::of("Tehran");
/// assert!(flags.contains(Flag::IsTitle) && flags.contains(Flag::IsAlpha));
/// assert!(!flags.contains(Flag::IsStop));
/// assert_eq!(FlagSet::of(""), FlagSet::default());
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FlagSet(u32);

impl FlagSet {
    /// The flags of `text` (17 attribute calls; no allocation for ASCII text).
    pub fn of(text: &str) -> FlagSet {
        let mut bits = 0;
        for flag in Flag::ALL {
            if flag.test(text) {
                bits |= 1 << flag as u32;
            }
        }
        FlagSet(bits)
    }

    /// Whether the text has `flag`.
    pub fn contains(self, flag: Flag) -> bool {
        self.0 & (1 << flag as u32) != 0
    }

    /// The flags the text has, in [`Flag::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |&flag| self.contains(flag))
    }
}

impl fmt::Debug for FlagSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
