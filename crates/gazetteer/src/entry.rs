//! Dictionary entries and the two source formats they are read from.

use std::fmt;
use std::io::BufRead;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::pattern::{
    is_phrase, parse_lexicon, parse_token_pattern, Lexicon, PatternMeta, TokenPattern,
};

/// How an entry's capitalization must agree with the text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CasePolicy {
    /// The exact form, the ALL CAPS form, or the form with word-initial letters
    /// raised (Title Case); never a lower-cased capital. An all-caps entry (`US`)
    /// matches only exactly.
    #[default]
    Smart,
    /// Exactly as written (after whitespace, quote and dash folding).
    Sensitive,
    /// Any case (full Unicode case folding).
    Insensitive,
}

impl CasePolicy {
    /// The name used in sources and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            CasePolicy::Smart => "smart",
            CasePolicy::Sensitive => "sensitive",
            CasePolicy::Insensitive => "insensitive",
        }
    }

    pub(crate) fn to_byte(self) -> u8 {
        match self {
            CasePolicy::Smart => 0,
            CasePolicy::Sensitive => 1,
            CasePolicy::Insensitive => 2,
        }
    }

    pub(crate) fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(CasePolicy::Smart),
            1 => Some(CasePolicy::Sensitive),
            2 => Some(CasePolicy::Insensitive),
            _ => None,
        }
    }
}

impl FromStr for CasePolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "smart" => Ok(CasePolicy::Smart),
            "sensitive" => Ok(CasePolicy::Sensitive),
            "insensitive" => Ok(CasePolicy::Insensitive),
            other => {
                Err(format!("unknown case policy {other:?}: use smart, sensitive or insensitive"))
            }
        }
    }
}

impl fmt::Display for CasePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an entry came from: a file and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Origin {
    /// The file as the user named it (or a name given to an in-memory source).
    pub file: String,
    /// The 1-based line.
    pub line: u64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl Origin {
    /// The `source` of a span made by what was read here: `file:line`, then
    /// `#name` for a named rule (as `Source::written` writes it).
    pub(crate) fn source_of(&self, name: Option<&str>) -> String {
        match name {
            Some(name) => format!("{self}#{name}"),
            None => self.to_string(),
        }
    }
}

/// One dictionary entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The surface form to find, e.g. `Islamic Revolutionary Guard Corps`.
    pub pattern: String,
    /// The entity label, e.g. `ORG` (OntoNotes names as spaCy uses them).
    pub label: String,
    /// A knowledge-base id; the entries for aliases of one entity share it.
    pub id: Option<String>,
    /// Higher wins when candidates conflict; default 0.
    pub priority: i32,
    /// How capitalization must agree.
    pub case: CasePolicy,
    /// Where the entry came from.
    pub origin: Origin,
}

impl Entry {
    /// An entry with no id, priority 0 and the smart case policy.
    pub fn new(pattern: impl Into<String>, label: impl Into<String>, origin: Origin) -> Self {
        Entry {
            pattern: pattern.into(),
            label: label.into(),
            id: None,
            priority: 0,
            case: CasePolicy::Smart,
            origin,
        }
    }
}

/// Reads a TSV source: `pattern<TAB>label[<TAB>id[<TAB>priority[<TAB>case]]]`, one
/// entry a line; lines starting with `#` and blank lines are skipped. Empty `id`,
/// `priority` and `case` columns take their defaults.
pub(crate) fn read_tsv(
    name: &str,
    reader: impl BufRead,
    mut add: impl FnMut(Entry) -> Result<(), Error>,
) -> Result<(), Error> {
    for (index, line) in split_lines(name, reader) {
        let line_number = index + 1;
        let line = line?;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |kind| Error::at(kind, name, line_number);
        let columns: Vec<&str> = line.split('\t').collect();
        if columns.len() > 5 {
            return Err(at(ErrorKind::TooManyColumns { found: columns.len() }));
        }
        let label = columns.get(1).ok_or_else(|| at(ErrorKind::MissingLabel))?;
        let mut entry = Entry::new(
            columns[0],
            label.trim(),
            Origin { file: name.to_string(), line: line_number },
        );
        if let Some(id) = columns.get(2).map(|id| id.trim()).filter(|id| !id.is_empty()) {
            entry.id = Some(id.to_string());
        }
        if let Some(value) = columns.get(3).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            entry.priority = value.parse().map_err(|_| {
                // Digits that do not fit are a different mistake from no number.
                let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    at(ErrorKind::PriorityOutOfRange { value: value.to_string() })
                } else {
                    at(ErrorKind::BadPriority { value: value.to_string() })
                }
            })?;
        }
        if let Some(value) = columns.get(4).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            entry.case = value
                .parse()
                .map_err(|_| at(ErrorKind::BadCasePolicy { value: value.to_string() }))?;
        }
        add(entry)?;
    }
    Ok(())
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Lines of a source with their 0-based numbers, `\r\n` endings stripped, a
/// leading UTF-8 byte-order mark skipped, invalid UTF-8 reported at its line.
fn split_lines<'a>(
    name: &'a str,
    mut reader: impl BufRead + 'a,
) -> impl Iterator<Item = (u64, Result<String, Error>)> + 'a {
    let mut number = 0u64;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut buffer = Vec::new();
        match reader.read_until(b'\n', &mut buffer) {
            Ok(0) => None,
            Ok(_) => {
                let index = number;
                number += 1;
                if buffer.ends_with(b"\n") {
                    buffer.pop();
                    if buffer.ends_with(b"\r") {
                        buffer.pop();
                    }
                }
                // A byte-order mark (Windows editors add one) is not part of the
                // first pattern: left in, it would silently break that entry. One
                // anywhere else (a second at the start, files joined with their
                // marks) is reported rather than dropped.
                if index == 0 && buffer.starts_with(UTF8_BOM) {
                    buffer.drain(..UTF8_BOM.len());
                }
                let line = if buffer.starts_with(UTF8_BOM) {
                    done = true;
                    Err(Error::at(ErrorKind::ByteOrderMark, name, index + 1))
                } else {
                    String::from_utf8(buffer).map_err(|_| {
                        done = true;
                        Error::at(ErrorKind::InvalidUtf8, name, index + 1)
                    })
                };
                Some((index, line))
            }
            Err(err) => {
                done = true;
                Some((number, Err(Error::in_file(ErrorKind::Read(err), name))))
            }
        }
    })
}

/// Token attributes a dictionary pattern can be made of.
const TOKEN_ATTRIBUTES: [&str; 3] = ["ORTH", "TEXT", "LOWER"];

/// One line of a patterns file.
#[derive(Debug)]
pub(crate) enum PatternRecord {
    /// A phrase: a string, or a token list of exact `ORTH`/`TEXT`/`LOWER` values.
    Phrase(Entry),
    /// Any other token list.
    Tokens(Box<TokenPattern>),
    /// A lexicon declaration.
    Lexicon(Lexicon),
}

/// Reads spaCy EntityRuler patterns (JSON Lines): `{"label": .., "pattern": ..,
/// "id": ..}`, where `pattern` is a string or a list of token objects. rubric
/// also reads `priority` (an integer), `case` (`smart`, `sensitive`,
/// `insensitive`; phrases only) and `name` (token patterns only), and lexicon
/// declarations (`{"lexicon": .., "path"|"words": ..}`). Any other key is an
/// error.
///
/// A token list of exact `ORTH`, `TEXT` or `LOWER` strings is a phrase: its
/// tokens are joined by a space, except before a token that starts with
/// punctuation (`'s`, `-`, `.`) and after a hyphen or an opening bracket; `LOWER`
/// tokens make the entry case-insensitive, `ORTH` and `TEXT` tokens
/// case-sensitive, as in spaCy. Any other token list is a token pattern
/// (`pattern.rs`).
///
/// Lexicon word lists (`"path"`) are read relative to `base`.
pub(crate) fn read_patterns(
    name: &str,
    base: Option<&std::path::Path>,
    reader: impl BufRead,
    mut add: impl FnMut(PatternRecord) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut regexes = crate::pattern::Regexes::default();
    for (index, line) in split_lines(name, reader) {
        let line_number = index + 1;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let at = |kind| Error::at(kind, name, line_number);
        let bad = |problem: String| at(ErrorKind::BadPatternRecord { problem });
        let value: Value = serde_json::from_str(&line)
            .map_err(|err| at(ErrorKind::MalformedJson { message: json_message(&err) }))?;
        if let Some((key, _)) = rubric_json::repeated_key(&line) {
            return Err(bad(format!(
                "the key {key:?} appears twice in one object (JSON readers keep only the \
                 last value, so the other would be lost; remove the one that is wrong)"
            )));
        }
        let Value::Object(record) = value else {
            return Err(bad("the line is not a JSON object".to_string()));
        };
        let origin = Origin { file: name.to_string(), line: line_number };
        if record.contains_key("lexicon") {
            add(PatternRecord::Lexicon(parse_lexicon(&record, origin, base)?))?;
            continue;
        }
        let mut entry = Entry::new(String::new(), String::new(), origin);
        let mut tokens: Option<&Vec<Value>> = None;
        let mut rule_name: Option<String> = None;
        let mut case_seen = false;
        let mut pattern_seen = false;
        let mut label_seen = false;
        for (key, value) in &record {
            match key.as_str() {
                "label" => {
                    let Value::String(label) = value else {
                        return Err(bad("\"label\" is not a string".to_string()));
                    };
                    entry.label = label.clone();
                    label_seen = true;
                }
                "id" => match value {
                    Value::String(id) => entry.id = Some(id.clone()),
                    Value::Null => {}
                    _ => return Err(bad("\"id\" is not a string".to_string())),
                },
                "name" => match value {
                    Value::String(text) => rule_name = Some(text.clone()),
                    _ => return Err(bad("\"name\" is not a string".to_string())),
                },
                // rubric's extension: what the pattern catches, for people reading
                // the file (JSON has no comments). Never used in matching.
                "comment" => {
                    if !value.is_string() {
                        return Err(bad("\"comment\" is not a string".to_string()));
                    }
                }
                "priority" => {
                    // Integers beyond 64 bits reach us as floats: whole and that
                    // large, they were written as integers.
                    let integer = value.is_i64()
                        || value.is_u64()
                        || value.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9.2e18);
                    entry.priority =
                        value.as_i64().and_then(|p| i32::try_from(p).ok()).ok_or_else(|| {
                            let value = value.to_string();
                            at(if integer {
                                ErrorKind::PriorityOutOfRange { value }
                            } else {
                                ErrorKind::BadPriority { value }
                            })
                        })?;
                }
                "case" => {
                    let text = value.as_str().unwrap_or_default();
                    entry.case = text
                        .parse()
                        .map_err(|_| at(ErrorKind::BadCasePolicy { value: value.to_string() }))?;
                    case_seen = true;
                }
                "pattern" => {
                    match value {
                        Value::String(text) => entry.pattern = text.clone(),
                        Value::Array(list) => tokens = Some(list),
                        _ => {
                            return Err(bad(
                                "\"pattern\" is neither a string nor a list of tokens".to_string()
                            ))
                        }
                    }
                    pattern_seen = true;
                }
                other => return Err(bad(format!("unknown key {other:?}"))),
            }
        }
        if !label_seen {
            return Err(bad("the record has no \"label\"".to_string()));
        }
        if !pattern_seen {
            return Err(bad("the record has no \"pattern\"".to_string()));
        }
        match tokens {
            Some(list) if list.is_empty() => return Err(at(ErrorKind::EmptyTokenPattern)),
            Some(list) if !is_phrase(list) => {
                if case_seen {
                    return Err(bad(
                        "\"case\" applies to phrase patterns only; in a token pattern, use \
                         LOWER for any case and ORTH for the exact case"
                            .to_string(),
                    ));
                }
                let meta = PatternMeta {
                    label: entry.label,
                    id: entry.id,
                    name: rule_name,
                    priority: entry.priority,
                    origin: entry.origin,
                };
                let pattern = parse_token_pattern(list, meta, &mut regexes)?;
                add(PatternRecord::Tokens(Box::new(pattern)))?;
            }
            _ => {
                if rule_name.is_some() {
                    return Err(bad(
                        "\"name\" applies to token patterns only; a phrase's spans name their \
                         file:line"
                            .to_string(),
                    ));
                }
                if let Some(list) = tokens {
                    let (pattern, case) = token_pattern(list, &at, &bad)?;
                    entry.pattern = pattern;
                    if let Some(case) = case {
                        entry.case = case;
                    }
                }
                add(PatternRecord::Phrase(entry))?;
            }
        }
    }
    Ok(())
}

fn token_pattern(
    tokens: &[Value],
    at: &dyn Fn(ErrorKind) -> Error,
    bad: &dyn Fn(String) -> Error,
) -> Result<(String, Option<CasePolicy>), Error> {
    let mut pattern = String::new();
    let mut case = None;
    let mut glue_next = true;
    for (position, token) in tokens.iter().enumerate() {
        let Value::Object(token) = token else {
            return Err(bad(format!("token {} of \"pattern\" is not an object", position + 1)));
        };
        let mut attributes = token.iter();
        let (Some((attribute, value)), None) = (attributes.next(), attributes.next()) else {
            if let Some(attribute) = token.keys().find(|k| !TOKEN_ATTRIBUTES.contains(&k.as_str()))
            {
                return Err(at(ErrorKind::UnsupportedTokenAttribute {
                    attribute: attribute.clone(),
                }));
            }
            return Err(bad(format!(
                "token {} of \"pattern\" must have exactly one attribute",
                position + 1
            )));
        };
        if !TOKEN_ATTRIBUTES.contains(&attribute.as_str()) {
            return Err(at(ErrorKind::UnsupportedTokenAttribute { attribute: attribute.clone() }));
        }
        let Value::String(text) = value else {
            return Err(bad(format!(
                "token {} of \"pattern\": {attribute} is not a string",
                position + 1
            )));
        };
        let token_case =
            if attribute == "LOWER" { CasePolicy::Insensitive } else { CasePolicy::Sensitive };
        if case.is_some_and(|case| case != token_case) {
            return Err(bad(
                "the token pattern mixes LOWER with ORTH/TEXT; an entry has one case policy, so \
                 use one attribute for every token"
                    .to_string(),
            ));
        }
        case = Some(token_case);
        let starts_with_punctuation = text.chars().next().is_some_and(|c| !c.is_alphanumeric());
        if !glue_next && !starts_with_punctuation {
            pattern.push(' ');
        }
        pattern.push_str(text);
        glue_next = text
            .chars()
            .last()
            .is_some_and(|c| crate::normalize::is_dash(c) || matches!(c, '(' | '[' | '{' | '/'));
    }
    Ok((pattern, case))
}

/// serde_json's message without its " at line 1 column N" suffix (we give the line).
fn json_message(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    }
}
