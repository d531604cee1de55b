//! Normalised, comparison-friendly views of a statement.
//!
//! The AST keeps every detail of form; these views drop the ones AWS treats as
//! meaningless: a value written as a string is the same as a one-element list,
//! order and duplicates in a list do not matter, `"Principal": "*"` is
//! `{"AWS": "*"}`, and actions compare case-insensitively (`s3:GetObject` ≡
//! `S3:getobject`). Resources keep their case: ARNs are case-sensitive.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{Polarity, PrincipalType, PrincipalValue, Statement};

/// A `Not…`-able list element as a set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueSet {
    /// Whether the element was the `Not…` form.
    pub polarity: Polarity,
    /// The distinct values.
    pub values: BTreeSet<String>,
}

impl ValueSet {
    /// Whether `value` is one of the (normalised) values.
    pub fn contains(&self, value: &str) -> bool {
        self.values.contains(value)
    }
}

/// A `Principal`/`NotPrincipal` element as sets of values per principal type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrincipalSet {
    /// Whether the element was `NotPrincipal`.
    pub polarity: Polarity,
    /// The distinct values under each principal type. Types with no values
    /// are left out, so `{"AWS": []}` and `{}` compare equal.
    pub by_type: BTreeMap<PrincipalType, BTreeSet<String>>,
}

impl PrincipalSet {
    /// The values listed under `principal_type` (empty if none).
    pub fn values(&self, principal_type: PrincipalType) -> impl Iterator<Item = &str> {
        self.by_type
            .get(&principal_type)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// Whether `value` is listed under `principal_type`.
    pub fn contains(&self, principal_type: PrincipalType, value: &str) -> bool {
        self.by_type
            .get(&principal_type)
            .is_some_and(|values| values.contains(value))
    }

    /// Whether the element names everyone (`"*"` or `{"AWS": "*"}`).
    pub fn is_everyone(&self) -> bool {
        self.contains(PrincipalType::Aws, "*")
    }
}

impl Statement {
    /// The principal element as sets, with `"*"` spelled `{"AWS": ["*"]}`.
    pub fn principal_set(&self) -> Option<PrincipalSet> {
        let element = self.principal()?;
        let mut by_type: BTreeMap<PrincipalType, BTreeSet<String>> = BTreeMap::new();
        match &element.value {
            PrincipalValue::Wildcard => {
                by_type
                    .entry(PrincipalType::Aws)
                    .or_default()
                    .insert("*".to_owned());
            }
            PrincipalValue::Map(entries) => {
                for (principal_type, values) in entries {
                    for value in values {
                        by_type
                            .entry(*principal_type)
                            .or_default()
                            .insert(value.clone());
                    }
                }
            }
        }
        Some(PrincipalSet {
            polarity: element.polarity,
            by_type,
        })
    }

    /// The action element as a set of lowercase patterns.
    pub fn action_set(&self) -> Option<ValueSet> {
        let element = self.action()?;
        Some(ValueSet {
            polarity: element.polarity,
            values: element
                .values
                .iter()
                .map(|value| value.to_ascii_lowercase())
                .collect(),
        })
    }

    /// The resource element as a set of patterns, case kept.
    pub fn resource_set(&self) -> Option<ValueSet> {
        let element = self.resource()?;
        Some(ValueSet {
            polarity: element.polarity,
            values: element.values.iter().cloned().collect(),
        })
    }
}
