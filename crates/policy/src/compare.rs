//! Semantic comparison: a normal form in which equivalent documents are
//! equal, "does policy A grant at least what policy B grants", and a
//! readable difference.
//!
//! The guide's central check is "verify that the trust relationship contains
//! the following policy", and the guide prints that policy in two spellings
//! (`Statement` as a list or an object; `Service` as a string or a
//! one-element list). Both normalise to the same [`NormalizedPolicy`]:
//!
//! ```
//! use ironiam_policy::{grants_at_least, normalize, parse, Scope};
//!
//! let console = parse(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
//!     "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#).unwrap();
//! let cli = parse(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
//!     "Principal": {"Service": ["ssm.amazonaws.com"]}, "Action": "sts:AssumeRole"}}"#).unwrap();
//! assert_eq!(normalize(&console), normalize(&cli));
//!
//! let wider = parse(r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Ssm", "Effect": "Allow",
//!     "Principal": {"Service": ["ssm.amazonaws.com", "ec2.amazonaws.com"]}, "Action": "sts:*"}]}"#).unwrap();
//! assert!(grants_at_least(&wider, &console, &Scope::default()));
//! assert!(!grants_at_least(&console, &wider, &Scope::default()));
//! ```
//!
//! What normalising forgets, because AWS gives it no meaning: the form of
//! `Statement` and of every list, the order and duplicates of statements and
//! values, `Sid` and `Id`, the case of actions, condition keys and condition
//! operators' keys, `"Principal": "*"` versus `{"AWS": "*"}`, an account id
//! versus its `:root` ARN, the JSON type of condition values (`10` is `"10"`),
//! and a missing `Version` versus `2008-10-17`. Resource ARNs and condition
//! values keep their case.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{json, Map, Value};

use crate::ast::{
    BaseOperator, Effect, Polarity, Policy, PrincipalType, SetQualifier, Statement, Version,
};
use crate::normalize::{PrincipalSet, ValueSet};
use crate::pattern::Pattern;

/// A policy in normal form. Two documents that AWS evaluates identically in
/// every request normalise equal whenever they differ only in the ways the
/// module documentation lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NormalizedPolicy {
    /// The effective version (`2008-10-17` when the document has none).
    pub version: Version,
    /// The distinct statements, sorted.
    pub statements: Vec<NormalizedStatement>,
}

/// A statement in normal form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NormalizedStatement {
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// Principals per type; an account id is spelled as its `:root` ARN.
    pub principal: Option<PrincipalSet>,
    /// Lowercase action patterns.
    pub action: Option<ValueSet>,
    /// Resource patterns, case kept.
    pub resource: Option<ValueSet>,
    /// Operator → lowercase key → the value sets tested on that key. Each
    /// set is one test (its values OR'ed); the tests are AND'ed. A key has
    /// more than one set only when a block spells it twice in different case
    /// (`"aws:SourceIp"` and `"AWS:SOURCEIP"`), which AWS evaluates as two
    /// conditions.
    pub condition: Conditions,
}

/// A statement's conditions in normal form; see [`NormalizedStatement::condition`].
pub type Conditions = BTreeMap<NormalizedOperator, BTreeMap<String, BTreeSet<BTreeSet<String>>>>;

/// A known condition operator split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NormalizedOperator {
    /// `ForAllValues:`/`ForAnyValue:`, if any.
    pub qualifier: Option<SetQualifier>,
    /// The base operator.
    pub base: BaseOperator,
    /// The `IfExists` suffix.
    pub if_exists: bool,
}

impl fmt::Display for NormalizedOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            None => {}
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// Normalises `policy`; see the module documentation for what is forgotten.
pub fn normalize(policy: &Policy) -> NormalizedPolicy {
    let mut statements: Vec<NormalizedStatement> = policy
        .statements()
        .iter()
        .map(normalize_statement)
        .collect();
    statements.sort();
    statements.dedup();
    NormalizedPolicy {
        version: policy.effective_version(),
        statements,
    }
}

fn normalize_statement(statement: &Statement) -> NormalizedStatement {
    let principal = statement.principal_set().map(|mut set| {
        if let Some(aws) = set.by_type.get_mut(&PrincipalType::Aws) {
            *aws = aws
                .iter()
                .map(|value| {
                    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
                        format!("arn:aws:iam::{value}:root")
                    } else {
                        value.clone()
                    }
                })
                .collect();
        }
        set
    });
    let mut condition: Conditions = BTreeMap::new();
    for block in statement
        .condition()
        .map(|c| c.blocks.as_slice())
        .unwrap_or_default()
    {
        // An unknown operator parses only with an empty block, which tests nothing.
        let Some(base) = block.operator.base else {
            continue;
        };
        let operator = NormalizedOperator {
            qualifier: block.operator.qualifier,
            base,
            if_exists: block.operator.if_exists,
        };
        let keys = condition.entry(operator).or_default();
        for entry in &block.entries {
            keys.entry(entry.key.to_ascii_lowercase())
                .or_default()
                .insert(
                    entry
                        .values
                        .iter()
                        .map(|value| value.as_text().into_owned())
                        .collect(),
                );
        }
    }
    condition.retain(|_, keys| !keys.is_empty());
    NormalizedStatement {
        effect: statement.effect(),
        principal,
        action: statement.action_set(),
        resource: statement.resource_set(),
        condition,
    }
}

impl NormalizedPolicy {
    /// The normal form as a policy document: `Version` always present,
    /// `Statement` always a list, every value a sorted list of strings.
    /// Parsing this document and normalising again gives back `self`.
    pub fn to_json(&self) -> Value {
        json!({
            "Version": self.version.as_str(),
            "Statement": self.statements.iter().map(NormalizedStatement::to_json).collect::<Vec<_>>(),
        })
    }

    /// [`NormalizedPolicy::to_json`] as indented text, one value per line.
    pub fn to_pretty_string(&self) -> String {
        // INVARIANT: a `Value` built from strings always serialises.
        serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
    }
}

impl NormalizedStatement {
    fn to_json(&self) -> Value {
        let mut statement = Map::new();
        statement.insert("Effect".into(), Value::from(self.effect.as_str()));
        if let Some(principal) = &self.principal {
            let name = match principal.polarity {
                Polarity::Positive => "Principal",
                Polarity::Negated => "NotPrincipal",
            };
            let map: Map<String, Value> = principal
                .by_type
                .iter()
                .map(|(principal_type, values)| {
                    (principal_type.as_str().to_owned(), strings(values))
                })
                .collect();
            statement.insert(name.into(), Value::Object(map));
        }
        for (set, positive, negated) in [
            (&self.action, "Action", "NotAction"),
            (&self.resource, "Resource", "NotResource"),
        ] {
            if let Some(set) = set {
                let name = if set.polarity.is_negated() {
                    negated
                } else {
                    positive
                };
                statement.insert(name.into(), strings(&set.values));
            }
        }
        if !self.condition.is_empty() {
            let condition: Map<String, Value> = self
                .condition
                .iter()
                .map(|(operator, keys)| {
                    // A second test on the same key is written with the key in
                    // another case, which is how a document can say it.
                    let keys: Map<String, Value> = keys
                        .iter()
                        .flat_map(|(key, tests)| {
                            tests.iter().enumerate().map(move |(index, values)| {
                                (case_variant(key, index), strings(values))
                            })
                        })
                        .collect();
                    (operator.to_string(), Value::Object(keys))
                })
                .collect();
            statement.insert("Condition".into(), Value::Object(condition));
        }
        Value::Object(statement)
    }
}

/// `key` with its ASCII letters uppercased where the bits of `index` say,
/// so that distinct indexes give distinct spellings of one key.
fn case_variant(key: &str, index: usize) -> String {
    let mut letter = 0;
    key.chars()
        .map(|c| {
            if !c.is_ascii_alphabetic() {
                return c;
            }
            let upper = letter < usize::BITS && index >> letter & 1 == 1;
            letter += 1;
            if upper {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn strings(values: &BTreeSet<String>) -> Value {
    Value::Array(
        values
            .iter()
            .map(|value| Value::from(value.as_str()))
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// Differences

/// One line of a [`PolicyDiff`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// In both normal forms.
    Same(String),
    /// Only in the first.
    Removed(String),
    /// Only in the second.
    Added(String),
}

/// The line-by-line difference between two normal forms (see [`diff`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDiff {
    /// Every line of both forms, in order.
    pub lines: Vec<DiffLine>,
}

impl PolicyDiff {
    /// Whether the policies are equivalent (no line added or removed).
    pub fn is_empty(&self) -> bool {
        self.lines
            .iter()
            .all(|line| matches!(line, DiffLine::Same(_)))
    }

    /// Lines only in the second policy.
    pub fn added(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().filter_map(|line| match line {
            DiffLine::Added(text) => Some(text.as_str()),
            _ => None,
        })
    }

    /// Lines only in the first policy.
    pub fn removed(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().filter_map(|line| match line {
            DiffLine::Removed(text) => Some(text.as_str()),
            _ => None,
        })
    }
}

/// Prints like `diff -u` without headers: `-` removed, `+` added, two spaces
/// for context.
impl fmt::Display for PolicyDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            match line {
                DiffLine::Same(text) => writeln!(f, "  {text}")?,
                DiffLine::Removed(text) => writeln!(f, "- {text}")?,
                DiffLine::Added(text) => writeln!(f, "+ {text}")?,
            }
        }
        Ok(())
    }
}

/// The difference between `a` and `b` in normal form, line by line (a
/// longest-common-subsequence diff of their indented normal forms), so a
/// change of spelling shows no difference and a change of meaning shows as
/// the lines that carry it.
pub fn diff(a: &Policy, b: &Policy) -> PolicyDiff {
    let left = normalize(a).to_pretty_string();
    let right = normalize(b).to_pretty_string();
    let left: Vec<&str> = left.lines().collect();
    let right: Vec<&str> = right.lines().collect();
    // lcs[i][j]: length of the LCS of left[i..] and right[j..].
    let mut lcs = vec![vec![0u32; right.len() + 1]; left.len() + 1];
    for i in (0..left.len()).rev() {
        for j in (0..right.len()).rev() {
            lcs[i][j] = if left[i] == right[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut lines = Vec::new();
    while i < left.len() || j < right.len() {
        if i < left.len() && j < right.len() && left[i] == right[j] {
            lines.push(DiffLine::Same(left[i].to_owned()));
            i += 1;
            j += 1;
        } else if j < right.len() && (i == left.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            lines.push(DiffLine::Added(right[j].to_owned()));
            j += 1;
        } else {
            lines.push(DiffLine::Removed(left[i].to_owned()));
            i += 1;
        }
    }
    PolicyDiff { lines }
}

// ---------------------------------------------------------------------------
// Containment

/// Which of the second policy's grants [`grants_at_least`] checks. The
/// default checks everything it allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Only grants of these actions (case-insensitive, no wildcards), if set.
    pub actions: Option<Vec<String>>,
    /// Only grants to these principals (`(type, value)`), if set.
    pub principals: Option<Vec<(PrincipalType, String)>>,
}

/// Whether `a` allows at least what `b` allows, for the principals and
/// actions `b` names (restricted by `scope`): the guide's "the trust
/// relationship contains this policy".
///
/// The answer is sound, not complete: `true` means every request `b` allows
/// (within the scope) `a` allows too, in every context. It can say `false`
/// for a pair that is in fact contained when proving it would need
/// reasoning about overlapping wildcards, `Not…` elements or numeric ranges.
/// In particular a `Deny` in `a` that `b` does not also have makes the answer
/// `false`.
pub fn grants_at_least(a: &Policy, b: &Policy, scope: &Scope) -> bool {
    uncovered_grants(a, b, scope).is_empty()
}

/// The grants of `b` (within `scope`) that `a` is not shown to allow, one
/// readable line each; empty exactly when [`grants_at_least`] is `true`.
pub fn uncovered_grants(a: &Policy, b: &Policy, scope: &Scope) -> Vec<String> {
    let a = normalize(a);
    let b = normalize(b);
    let mut uncovered = Vec::new();
    if a.version != b.version && b.statements.iter().any(uses_variables) {
        uncovered.push(format!(
            "policy variables: version {} against {}",
            a.version, b.version
        ));
    }
    for deny in a.statements.iter().filter(|s| s.effect == Effect::Deny) {
        if !b.statements.contains(deny) {
            uncovered.push(format!(
                "a Deny statement only in the first policy: {}",
                deny.to_json()
            ));
        }
    }
    for grant in b.statements.iter().filter(|s| s.effect == Effect::Allow) {
        for atom in atoms(grant, scope) {
            let covered = a
                .statements
                .iter()
                .filter(|s| s.effect == Effect::Allow)
                .any(|candidate| covers(candidate, grant, &atom));
            if !covered {
                uncovered.push(atom.describe());
            }
        }
    }
    uncovered
}

fn uses_variables(statement: &NormalizedStatement) -> bool {
    let resources = statement.resource.iter().flat_map(|set| set.values.iter());
    let values = statement
        .condition
        .values()
        .flat_map(|keys| keys.values().flatten().flatten());
    resources.chain(values).any(|value| value.contains("${"))
}

/// One (principal, action, resource) grant of a statement.
struct Atom<'s> {
    principal: Option<(PrincipalType, &'s str)>,
    action: Option<&'s str>,
    resource: Option<&'s str>,
}

impl Atom<'_> {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((principal_type, value)) = self.principal {
            parts.push(format!("principal {principal_type} `{value}`"));
        }
        if let Some(action) = self.action {
            parts.push(format!("action `{action}`"));
        }
        if let Some(resource) = self.resource {
            parts.push(format!("resource `{resource}`"));
        }
        format!("not granted: {}", parts.join(", "))
    }
}

/// The grants of `statement` within `scope`. A `Not…` element is one atom
/// (`None`), compared as a whole.
fn atoms<'s>(statement: &'s NormalizedStatement, scope: &Scope) -> Vec<Atom<'s>> {
    let principals: Vec<Option<(PrincipalType, &str)>> = match &statement.principal {
        Some(set) if !set.polarity.is_negated() => set
            .by_type
            .iter()
            .flat_map(|(t, values)| values.iter().map(move |v| Some((*t, v.as_str()))))
            .filter(|principal| match (&scope.principals, principal) {
                (Some(wanted), Some((t, v))) => {
                    wanted.iter().any(|(wt, wv)| wt == t && wv == v) || *v == "*"
                }
                _ => true,
            })
            .collect(),
        _ => vec![None],
    };
    let actions: Vec<Option<&str>> = match &statement.action {
        Some(set) if !set.polarity.is_negated() => set
            .values
            .iter()
            .map(String::as_str)
            .filter(|pattern| match &scope.actions {
                Some(wanted) => wanted
                    .iter()
                    .any(|action| Pattern::compile(pattern, true).matches(action, true)),
                None => true,
            })
            .map(Some)
            .collect(),
        _ => vec![None],
    };
    let resources: Vec<Option<&str>> = match &statement.resource {
        Some(set) if !set.polarity.is_negated() => {
            set.values.iter().map(|r| Some(r.as_str())).collect()
        }
        _ => vec![None],
    };
    let mut atoms = Vec::new();
    for principal in &principals {
        for action in &actions {
            for resource in &resources {
                atoms.push(Atom {
                    principal: *principal,
                    action: *action,
                    resource: *resource,
                });
            }
        }
    }
    atoms
}

/// Whether `candidate` (from the first policy) grants `atom` of `grant` in
/// every context where `grant` does.
fn covers(candidate: &NormalizedStatement, grant: &NormalizedStatement, atom: &Atom<'_>) -> bool {
    let principal_ok = match (&candidate.principal, atom.principal) {
        (None, _) => grant.principal.is_none() || candidate.principal == grant.principal,
        (Some(set), Some((principal_type, value))) if !set.polarity.is_negated() => {
            set.is_everyone() || set.contains(principal_type, value)
        }
        (Some(_), _) => candidate.principal == grant.principal,
    };
    let action_ok = match (&candidate.action, atom.action) {
        (Some(set), Some(action)) if !set.polarity.is_negated() => set
            .values
            .iter()
            .any(|pattern| pattern_covers(pattern, action, true)),
        (candidate_set, _) => candidate_set.is_some() && *candidate_set == grant.action,
    };
    let resource_ok = match (&candidate.resource, atom.resource) {
        // No `Resource` (a trust policy): the resource the policy is on.
        (None, _) => true,
        (Some(set), Some(resource)) if !set.polarity.is_negated() => set
            .values
            .iter()
            .any(|pattern| pattern_covers(pattern, resource, false)),
        (Some(set), None) if !set.polarity.is_negated() && set.contains("*") => true,
        (candidate_set, _) => *candidate_set == grant.resource,
    };
    principal_ok
        && action_ok
        && resource_ok
        && condition_weaker(&candidate.condition, &grant.condition)
}

/// Whether every string `covered` matches is matched by `pattern` (sound:
/// exact equality, a literal that the pattern matches, or a `prefix*`
/// pattern whose prefix the covered pattern starts with).
fn pattern_covers(pattern: &str, covered: &str, lowercase: bool) -> bool {
    if pattern == covered || pattern == "*" {
        return true;
    }
    // A policy variable stands for a value known only at evaluation time.
    if pattern.contains("${") || covered.contains("${") {
        return false;
    }
    let covered_is_literal = !covered.contains(['*', '?']);
    if covered_is_literal {
        return Pattern::compile(pattern, lowercase).matches(covered, lowercase);
    }
    match pattern.strip_suffix('*') {
        Some(prefix) if !prefix.contains(['*', '?']) => covered.starts_with(prefix),
        _ => false,
    }
}

/// Whether the conditions `weaker` hold whenever `stronger` hold: every
/// block of `weaker` must be implied by a block of `stronger` on the same key.
fn condition_weaker(weaker: &Conditions, stronger: &Conditions) -> bool {
    weaker.iter().all(|(operator, keys)| {
        keys.iter().all(|(key, weak_tests)| {
            weak_tests.iter().all(|weak_values| {
                stronger.iter().any(|(strong_operator, strong_keys)| {
                    let same_test = strong_operator.base == operator.base
                        && strong_operator.qualifier == operator.qualifier
                        && (operator.if_exists || !strong_operator.if_exists);
                    same_test
                        && strong_keys.get(key).is_some_and(|strong_tests| {
                            strong_tests.iter().any(|strong_values| {
                                implies(operator.base, strong_values, weak_values)
                            })
                        })
                })
            })
        })
    })
}

/// Whether a test of `strong_values` passing means one of `weak_values`
/// (same operator, same key) passes too.
fn implies(
    base: BaseOperator,
    strong_values: &BTreeSet<String>,
    weak_values: &BTreeSet<String>,
) -> bool {
    use BaseOperator::*;
    match base {
        // Membership tests: more values accept more requests.
        StringEquals
        | StringEqualsIgnoreCase
        | StringLike
        | NumericEquals
        | DateEquals
        | BinaryEquals
        | IpAddress
        | ArnEquals
        | ArnLike => strong_values.is_subset(weak_values),
        // Negated membership: more values accept fewer.
        StringNotEquals
        | StringNotEqualsIgnoreCase
        | StringNotLike
        | NumericNotEquals
        | DateNotEquals
        | NotIpAddress
        | ArnNotEquals
        | ArnNotLike => weak_values.is_subset(strong_values),
        NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals
        | Bool
        | Null => strong_values == weak_values,
    }
}
