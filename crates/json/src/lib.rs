//! Repeated keys in a JSON object. serde_json keeps the last value of a key named
//! twice in one object and drops the others without a word, so `{"text": "a",
//! "text": "b"}` would lose "a". Every JSON line rubric reads (records, documents,
//! EntityRuler patterns) goes through [`repeated_key`] first, so a repeated key is
//! an error at its line, never a lost value. A crate of its own so that the
//! exporter and the gazetteer, which never depend on each other, share one check.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The first key named twice in one object anywhere in `json` (after escapes are
/// decoded, so `"t\u0065xt"` repeats `"text"`), with the 1-based column just past
/// its second value; `None` when every object names each key once, or when `json`
/// is not JSON (the parser that reads it reports that).
pub fn repeated_key(json: &str) -> Option<(String, usize)> {
    match serde_json::from_str::<Checked>(json) {
        Err(err) if err.classify() == serde_json::error::Category::Data => {
            let key = err.to_string();
            let key = key.split_once(REPEATED).map_or(String::new(), |(_, rest)| {
                rest.rsplit_once(" at line ").map_or(rest, |(key, _)| key).to_string()
            });
            Some((key, err.column()))
        }
        _ => None,
    }
}

/// How many keys of an object are compared in a list before they go to a set.
const FEW_KEYS: usize = 16;

/// The custom error's prefix; the key follows it.
const REPEATED: &str = "repeated key: ";

/// Any JSON value, checked for repeated keys and otherwise ignored.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

/// A key, borrowed from the input unless it holds an escape.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        // Most objects have a handful of keys (a document's `id` and `text`, a
        // token's attributes): compared in a list, without hashing. A large
        // object moves to a set (SipHash: a hostile file cannot make it slow).
        let mut few: Vec<Cow<'de, str>> = Vec::new();
        let mut seen: HashSet<Cow<'de, str>> = HashSet::new();
        let repeated = |key: &str| de::Error::custom(format_args!("{REPEATED}{key}"));
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            map.next_value::<Checked>()?;
            if seen.is_empty() && few.len() < FEW_KEYS {
                if few.contains(&key) {
                    return Err(repeated(&key));
                }
                few.push(key);
            } else {
                seen.extend(few.drain(..));
                // One hash: the key goes in, and one already there comes back.
                if let Some(key) = seen.replace(key) {
                    return Err(repeated(&key));
                }
            }
        }
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::repeated_key;

    #[test]
    fn a_key_named_twice_in_any_object_is_found_with_its_column() {
        assert_eq!(repeated_key(r#"{"id":"a","text":"b"}"#), None);
        assert_eq!(repeated_key(r#"[{"k":1},{"k":2}]"#), None);
        assert_eq!(repeated_key(r#"{"text":"a","text":"b"}"#), Some(("text".into(), 23)));
        assert_eq!(repeated_key(r#"{"m":{"k":1,"k":2}}"#), Some(("k".into(), 18)));
        assert_eq!(repeated_key(r#"{"text":1,"t\u0065xt":2}"#).map(|r| r.0), Some("text".into()));
        assert_eq!(repeated_key(r#"{"a":[{"x":{"b":1,"b":{}}}]}"#).map(|r| r.0), Some("b".into()));
        // Not JSON: not this function's to report.
        assert_eq!(repeated_key(r#"{"text":"a","text""#), None);
    }

    /// Past `FEW_KEYS` keys an object's keys go to a set: a repeat is found on
    /// either side of that move, and keys named once are not taken for repeats.
    #[test]
    fn repeats_are_found_in_objects_of_any_size() {
        for size in [1, 2, super::FEW_KEYS - 1, super::FEW_KEYS, super::FEW_KEYS + 1, 100] {
            let keys: Vec<String> = (0..size).map(|k| format!("\"k{k}\":{k}")).collect();
            let object = format!("{{{}}}", keys.join(","));
            assert_eq!(repeated_key(&object), None, "{size} keys");
            for repeat in [0, size / 2, size - 1] {
                let again = format!("{{{},\"k{repeat}\":0}}", keys.join(","));
                assert_eq!(
                    repeated_key(&again).map(|r| r.0),
                    Some(format!("k{repeat}")),
                    "{size} keys"
                );
            }
        }
    }
}
