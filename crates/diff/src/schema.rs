//! The four evaluation schemas of SemEval-2013 task 9.1, as nervaluate names them.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How a predicted span is judged against the gold spans.
///
/// The four are those of SemEval-2013 task 9.1 as nervaluate 1.x implements them;
/// `Type` is nervaluate's `ent_type`. A prediction that overlaps a gold span
/// "enough" overlaps it by at least the minimum overlap percentage (1% by default)
/// of the **gold** span's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Schema {
    /// Correct when boundaries and label are the same; an enough-overlapping
    /// prediction that is not is incorrect.
    Strict,
    /// Correct when the boundaries are the same, whatever the label; an
    /// enough-overlapping prediction with other boundaries is incorrect.
    Exact,
    /// Correct when the boundaries are the same, whatever the label; an
    /// enough-overlapping prediction with other boundaries is partial, and counts
    /// half in precision and recall. Nothing is ever incorrect.
    Partial,
    /// Correct when it overlaps enough and has the same label (the gold span with
    /// the closest boundaries wins); an enough-overlapping prediction with another
    /// label is incorrect. nervaluate's `ent_type`.
    Type,
}

impl Schema {
    /// All four, in report order.
    pub const ALL: [Schema; 4] = [Schema::Strict, Schema::Exact, Schema::Partial, Schema::Type];

    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Schema::Strict => "strict",
            Schema::Exact => "exact",
            Schema::Partial => "partial",
            Schema::Type => "type",
        }
    }

    /// nervaluate's name for the schema (`ent_type` for [`Schema::Type`]).
    pub fn nervaluate_name(self) -> &'static str {
        match self {
            Schema::Type => "ent_type",
            other => other.as_str(),
        }
    }

    /// Whether partial matches count half in precision and recall (nervaluate's
    /// `partial_or_type`). Only [`Schema::Partial`] ever has partial matches, so
    /// for the other three this changes no figure.
    pub fn counts_partial_half(self) -> bool {
        matches!(self, Schema::Partial | Schema::Type)
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Schema {
    type Err = String;

    /// Accepts each schema's name and nervaluate's (`ent_type`).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Schema::ALL
            .into_iter()
            .find(|schema| schema.as_str() == name || schema.nervaluate_name() == name)
            .ok_or_else(|| {
                format!("unknown schema {name:?}: expected strict, exact, partial or type")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_unknown_names_are_errors() {
        for (name, schema) in [
            ("strict", Schema::Strict),
            ("exact", Schema::Exact),
            ("partial", Schema::Partial),
            ("type", Schema::Type),
            ("ent_type", Schema::Type),
        ] {
            assert_eq!(name.parse::<Schema>(), Ok(schema), "{name}");
        }
        for schema in Schema::ALL {
            assert_eq!(schema.to_string().parse::<Schema>(), Ok(schema));
        }
        for name in ["Strict", "", "types", "partial "] {
            let error = name.parse::<Schema>().unwrap_err();
            assert!(error.contains(&format!("{name:?}")), "{error}");
            assert!(error.contains("expected strict, exact, partial or type"), "{error}");
        }
    }
}
