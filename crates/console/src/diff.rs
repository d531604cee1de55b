//! The semantic difference between two policy documents, shown before a
//! trust policy is saved: the line difference of their normal forms
//! (`ironiam_policy::diff`, in which spelling does not matter: a string is a
//! one-element list, order, duplicates, `Sid` and the case of actions are
//! forgotten), and the grants each side has that the other does not
//! (`ironiam_policy::uncovered_grants`).
//!
//! So the guide's two spellings of the ECS Anywhere trust policy (a `Service`
//! string in the console procedure, a one-element list and a statement object
//! in the CLI one) show no difference.

use ironiam_policy::{DiffLine, Scope};
use serde_json::{json, Value};

/// One line of a difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// In both.
    Same(String),
    /// Only in the current document.
    Removed(String),
    /// Only in the proposed document.
    Added(String),
}

/// The difference between two documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicyDiff {
    /// Whether the documents mean the same.
    pub equal: bool,
    /// The normal form of the proposed document against the current one.
    pub lines: Vec<Line>,
    /// Grants only the proposed document makes, one readable line each.
    pub granted: Vec<String>,
    /// Grants only the current document makes.
    pub revoked: Vec<String>,
}

impl PolicyDiff {
    /// Counts of added and removed lines.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let added = self
            .lines
            .iter()
            .filter(|l| matches!(l, Line::Added(_)))
            .count();
        let removed = self
            .lines
            .iter()
            .filter(|l| matches!(l, Line::Removed(_)))
            .count();
        (added, removed)
    }

    /// As JSON for the script: `{"equal", "added", "removed", "granted",
    /// "revoked", "lines": [[" ", text], ["+", text]…]}`.
    pub(crate) fn to_json(&self) -> Value {
        let (added, removed) = self.counts();
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|l| match l {
                Line::Same(t) => json!([" ", t]),
                Line::Removed(t) => json!(["-", t]),
                Line::Added(t) => json!(["+", t]),
            })
            .collect();
        json!({
            "equal": self.equal, "added": added, "removed": removed,
            "granted": self.granted, "revoked": self.revoked, "lines": lines,
        })
    }
}

/// The semantic difference from `current` to `proposed`; `None` when either
/// does not parse as a policy (the caller reports the validation error).
pub(crate) fn semantic_diff(current: &str, proposed: &str) -> Option<PolicyDiff> {
    let a = ironiam_policy::parse(current).ok()?;
    let b = ironiam_policy::parse(proposed).ok()?;
    let d = ironiam_policy::diff(&a, &b);
    let lines = d
        .lines
        .into_iter()
        .map(|l| match l {
            DiffLine::Same(t) => Line::Same(t),
            DiffLine::Removed(t) => Line::Removed(t),
            DiffLine::Added(t) => Line::Added(t),
        })
        .collect::<Vec<_>>();
    let equal = lines.iter().all(|l| matches!(l, Line::Same(_)));
    let scope = Scope::default();
    // "not granted: principal Service `x`, action `y`" reads, in a list headed
    // "Newly allowed", as "principal Service x, action y".
    let readable = |grants: Vec<String>| -> Vec<String> {
        grants
            .into_iter()
            .map(|g| {
                g.strip_prefix("not granted: ")
                    .unwrap_or(&g)
                    .replace('`', "")
            })
            .collect()
    };
    Some(PolicyDiff {
        equal,
        lines,
        granted: readable(ironiam_policy::uncovered_grants(&a, &b, &scope)),
        revoked: readable(ironiam_policy::uncovered_grants(&b, &a, &scope)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONSOLE_FORM: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    const CLI_FORM: &str = r#"{
      "Version": "2012-10-17",
      "Statement": {
        "Effect": "Allow",
        "Principal": {"Service": [
          "ssm.amazonaws.com"
        ]},
        "Action": "sts:AssumeRole"
      }
    }"#;

    #[test]
    fn the_guides_two_spellings_mean_the_same() {
        let d = semantic_diff(CONSOLE_FORM, CLI_FORM).unwrap();
        assert!(d.equal);
        assert_eq!(d.counts(), (0, 0));
        assert!(d.granted.is_empty() && d.revoked.is_empty());
    }

    #[test]
    fn a_changed_principal_shows_one_line_each_way_and_the_grants() {
        let ec2 = CONSOLE_FORM.replace("ssm.amazonaws.com", "ec2.amazonaws.com");
        let d = semantic_diff(&ec2, CLI_FORM).unwrap();
        assert!(!d.equal);
        assert_eq!(d.counts(), (1, 1));
        assert!(
            d.lines
                .iter()
                .any(|l| matches!(l, Line::Removed(t) if t.trim() == "\"ec2.amazonaws.com\"")),
            "{:?}",
            d.lines
        );
        assert!(d
            .lines
            .iter()
            .any(|l| matches!(l, Line::Added(t) if t.trim() == "\"ssm.amazonaws.com\"")));
        assert_eq!(d.granted.len(), 1, "{:?}", d.granted);
        assert!(
            d.granted[0].contains("ssm.amazonaws.com"),
            "{:?}",
            d.granted
        );
        assert!(
            d.revoked[0].contains("ec2.amazonaws.com"),
            "{:?}",
            d.revoked
        );
        let j = d.to_json();
        assert_eq!(j["added"], 1);
        assert!(semantic_diff(&ec2, "{").is_none());
    }
}
