//! The semantic difference between two policy documents, shown before a
//! trust policy is saved.
//!
//! Both documents are put in a normal form that drops what IAM treats as
//! meaningless — a string is a one-element list, order and duplicates in lists
//! and among statements do not matter, `"Principal": "*"` is
//! `{"AWS": ["*"]}`, action names ignore case, a missing `Version` is
//! `2008-10-17` — then the normal forms are compared line by line. So the
//! guide's two spellings of the ECS Anywhere trust policy (a `Service` string
//! in the console procedure, a one-element list in the CLI one, a statement
//! object rather than a list) show no difference.
//!
//! [`semantic_diff`] is the one entry point, to be swapped for
//! `ironiam_policy::diff` when the policy crate offers it.

use serde_json::{Map, Value};

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
}

impl PolicyDiff {
    /// Counts of added and removed lines.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let added = self.lines.iter().filter(|l| matches!(l, Line::Added(_))).count();
        let removed = self.lines.iter().filter(|l| matches!(l, Line::Removed(_))).count();
        (added, removed)
    }

    /// As JSON for the script: `{"equal", "added", "removed", "lines": [[" ", text], ["+", text]…]}`.
    pub(crate) fn to_json(&self) -> Value {
        let (added, removed) = self.counts();
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|l| match l {
                Line::Same(t) => serde_json::json!([" ", t]),
                Line::Removed(t) => serde_json::json!(["-", t]),
                Line::Added(t) => serde_json::json!(["+", t]),
            })
            .collect();
        serde_json::json!({"equal": self.equal, "added": added, "removed": removed, "lines": lines})
    }
}

/// The semantic difference from `current` to `proposed`; `None` when either
/// is not JSON (the caller reports the validation error instead).
pub(crate) fn semantic_diff(current: &str, proposed: &str) -> Option<PolicyDiff> {
    let a = normal_form(current)?;
    let b = normal_form(proposed)?;
    let lines = line_diff(&a, &b);
    Some(PolicyDiff { equal: a == b, lines })
}

/// The normal form of `document`, pretty-printed.
pub(crate) fn normal_form(document: &str) -> Option<String> {
    let value: Value = serde_json::from_str(document).ok()?;
    let normal = normalize_policy(&value);
    Some(crate::html::pretty_json(&normal.to_string()))
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The actions a trust policy may name, spelled as AWS documents them; other
/// actions are compared (and shown) in lowercase.
const STS_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:SetContext",
    "sts:SetSourceIdentity",
    "sts:TagSession",
];

/// An action in one spelling per meaning (actions ignore case).
fn canonical_action(action: &str) -> String {
    STS_ACTIONS
        .iter()
        .find(|a| a.eq_ignore_ascii_case(action))
        .map(|a| a.to_string())
        .unwrap_or_else(|| action.to_ascii_lowercase())
}

/// A sorted, de-duplicated list of strings; `actions` puts each in its
/// canonical spelling.
fn string_set(v: &Value, actions: bool) -> Value {
    let mut items: Vec<String> = as_list(v).iter().map(text).map(|s| if actions { canonical_action(&s) } else { s }).collect();
    items.sort();
    items.dedup();
    Value::Array(items.into_iter().map(Value::String).collect())
}

fn normalize_principal(v: &Value) -> Value {
    let mut out = Map::new();
    match v {
        Value::String(s) if s == "*" => {
            out.insert("AWS".into(), Value::Array(vec![Value::String("*".into())]));
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for k in keys {
                let set = string_set(&map[k], false);
                if set.as_array().is_some_and(|a| !a.is_empty()) {
                    out.insert(k.clone(), set);
                }
            }
        }
        other => return other.clone(),
    }
    Value::Object(out)
}

fn normalize_condition(v: &Value) -> Value {
    let Value::Object(operators) = v else { return v.clone() };
    let mut out = Map::new();
    let mut ops: Vec<&String> = operators.keys().collect();
    ops.sort();
    for op in ops {
        let Value::Object(keys) = &operators[op] else {
            out.insert(op.clone(), operators[op].clone());
            continue;
        };
        // Condition keys are case-insensitive; values keep their case.
        let mut entries: Vec<(String, Value)> =
            keys.iter().map(|(k, v)| (k.to_ascii_lowercase(), string_set(v, false))).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        out.insert(op.clone(), Value::Object(entries.into_iter().collect()));
    }
    Value::Object(out)
}

/// The elements of a statement in the order the normal form writes them.
const STATEMENT_ORDER: &[&str] =
    &["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

fn normalize_statement(v: &Value) -> Value {
    let Value::Object(map) = v else { return v.clone() };
    let mut out = Map::new();
    for key in STATEMENT_ORDER {
        let Some(value) = map.get(*key) else { continue };
        let normal = match *key {
            "Principal" | "NotPrincipal" => normalize_principal(value),
            "Action" | "NotAction" => string_set(value, true),
            "Resource" | "NotResource" => string_set(value, false),
            "Condition" => normalize_condition(value),
            _ => value.clone(),
        };
        out.insert((*key).to_string(), normal);
    }
    // Anything else (which validation rejects) is kept so it still shows.
    for (k, value) in map {
        if !STATEMENT_ORDER.contains(&k.as_str()) {
            out.insert(k.clone(), value.clone());
        }
    }
    Value::Object(out)
}

fn normalize_policy(v: &Value) -> Value {
    let Value::Object(map) = v else { return v.clone() };
    let mut out = Map::new();
    out.insert("Version".into(), map.get("Version").cloned().unwrap_or_else(|| Value::String("2008-10-17".into())));
    if let Some(id) = map.get("Id") {
        out.insert("Id".into(), id.clone());
    }
    if let Some(statements) = map.get("Statement") {
        let mut normal: Vec<Value> = as_list(statements).iter().map(normalize_statement).collect();
        normal.sort_by_key(|s| s.to_string());
        normal.dedup();
        out.insert("Statement".into(), Value::Array(normal));
    }
    for (k, value) in map {
        if !matches!(k.as_str(), "Version" | "Id" | "Statement") {
            out.insert(k.clone(), value.clone());
        }
    }
    Value::Object(out)
}

/// A longest-common-subsequence line diff. Policies are small (a trust
/// policy is at most 4,096 characters), so the quadratic table is cheap; past
/// a bound the whole documents are shown as removed and added.
fn line_diff(a: &str, b: &str) -> Vec<Line> {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        let mut out: Vec<Line> = a.iter().map(|l| Line::Removed(l.to_string())).collect();
        out.extend(b.iter().map(|l| Line::Added(l.to_string())));
        return out;
    }
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n.max(m));
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(Line::Same(a[i].to_string()));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(Line::Removed(a[i].to_string()));
            i += 1;
        } else {
            out.push(Line::Added(b[j].to_string()));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| Line::Removed(l.to_string())));
    out.extend(b[j..].iter().map(|l| Line::Added(l.to_string())));
    out
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
    }

    #[test]
    fn a_changed_principal_shows_one_line_each_way() {
        let ec2 = CONSOLE_FORM.replace("ssm.amazonaws.com", "ec2.amazonaws.com");
        let d = semantic_diff(&ec2, CLI_FORM).unwrap();
        assert!(!d.equal);
        assert_eq!(d.counts(), (1, 1));
        assert!(d.lines.contains(&Line::Removed("                    \"ec2.amazonaws.com\"".into())), "{:?}", d.lines);
        assert!(d.lines.contains(&Line::Added("                    \"ssm.amazonaws.com\"".into())));
    }

    #[test]
    fn order_case_and_duplicates_do_not_matter() {
        let a = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":"*","Action":["sts:AssumeRole","sts:TagSession"]},
            {"Effect":"Allow","Principal":{"Service":["b","a","a"]},"Action":"sts:AssumeRole"}]}"#;
        let b = r#"{"Statement":[
            {"Action":"STS:ASSUMEROLE","Principal":{"Service":["a","b"]},"Effect":"Allow"},
            {"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["sts:TagSession","sts:AssumeRole"]}],"Version":"2012-10-17"}"#;
        assert!(semantic_diff(a, b).unwrap().equal);
        assert!(semantic_diff(a, "{").is_none());
    }
}
