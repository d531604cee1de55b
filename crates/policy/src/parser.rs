//! JSON text → [`Policy`], collecting every grammar problem on the way.
//!
//! The grammar here is the one AWS's first parser enforces (everything it
//! answers with "Syntax errors in policy."). It is the same for every kind of
//! policy: whether a `Principal` or `Resource` is *allowed* is decided later, in
//! [`crate::checks`], because AWS reports those with other messages.

use serde_json::{Map, Value};

use crate::ast::{
    ActionElement, Condition, ConditionBlock, ConditionEntry, ConditionOperator, ConditionValue,
    Effect, OneOrMany, Polarity, Policy, PrincipalElement, PrincipalType, PrincipalValue,
    ResourceElement, Statement, StatementForm, Version,
};
use crate::checks::{Issue, Stage};
use crate::error::Problem;

/// The result of parsing: a policy made of the statements that parsed cleanly,
/// plus every grammar problem found.
pub(crate) struct Parsed {
    /// `None` when the document is not a JSON object at all.
    pub policy: Option<Policy>,
    /// For each statement in `policy`, its index in the document.
    pub statement_indices: Vec<usize>,
    /// Grammar problems, in document order.
    pub issues: Vec<Issue>,
}

const TOP_LEVEL_FIELDS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Parses `document`, never panicking and never recursing on its nesting depth
/// beyond serde_json's own limit (128 levels, reported as invalid JSON).
pub(crate) fn parse_document(document: &str) -> Parsed {
    let value: Value = match serde_json::from_str(document) {
        Ok(value) => value,
        Err(error) => {
            return Parsed {
                policy: None,
                statement_indices: Vec::new(),
                issues: vec![Issue::new(
                    Stage::Json,
                    None,
                    Problem::InvalidJson {
                        reason: error.to_string(),
                    },
                )],
            }
        }
    };
    let Value::Object(top) = value else {
        return Parsed {
            policy: None,
            statement_indices: Vec::new(),
            issues: vec![Issue::new(Stage::Json, None, Problem::NotAnObject)],
        };
    };

    let mut issues = Vec::new();
    let mut syntax = |statement: Option<usize>, detail: String| {
        issues.push(Issue::new(
            Stage::Syntax,
            statement,
            Problem::Syntax { detail },
        ));
    };

    for key in top.keys() {
        if !TOP_LEVEL_FIELDS.contains(&key.as_str()) {
            syntax(None, format!("unknown top-level field `{key}`"));
        }
    }

    let version = match top.get("Version") {
        None => None,
        Some(Value::String(text)) => match Version::from_document(text) {
            Some(version) => Some(version),
            None => {
                syntax(None, format!("unknown version `{text}`"));
                None
            }
        },
        Some(other) => {
            syntax(
                None,
                format!("`Version` must be a string, found {}", type_name(other)),
            );
            None
        }
    };

    let id = match top.get("Id") {
        None => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(other) => {
            syntax(
                None,
                format!("`Id` must be a string, found {}", type_name(other)),
            );
            None
        }
    };

    let (statement_form, raw_statements): (StatementForm, Vec<&Value>) = match top.get("Statement")
    {
        None => {
            syntax(None, "`Statement` is missing".to_owned());
            (StatementForm::List, Vec::new())
        }
        Some(single @ Value::Object(_)) => (StatementForm::Object, vec![single]),
        Some(Value::Array(items)) => {
            if items.is_empty() {
                syntax(None, "`Statement` is an empty list".to_owned());
            }
            (StatementForm::List, items.iter().collect())
        }
        Some(other) => {
            syntax(
                None,
                format!(
                    "`Statement` must be an object or a list, found {}",
                    type_name(other)
                ),
            );
            (StatementForm::List, Vec::new())
        }
    };

    let mut statements = Vec::new();
    let mut statement_indices = Vec::new();
    for (index, raw) in raw_statements.into_iter().enumerate() {
        let mut statement_problems = Vec::new();
        let parsed = parse_statement(raw, &mut statement_problems);
        let clean = statement_problems.is_empty();
        for detail in statement_problems {
            syntax(Some(index), detail);
        }
        if let (true, Some(statement)) = (clean, parsed) {
            statements.push(statement);
            statement_indices.push(index);
        }
    }

    Parsed {
        policy: Some(Policy {
            version,
            id,
            statement_form,
            statements,
        }),
        statement_indices,
        issues,
    }
}

fn parse_statement(raw: &Value, problems: &mut Vec<String>) -> Option<Statement> {
    let Value::Object(fields) = raw else {
        problems.push(format!(
            "a statement must be an object, found {}",
            type_name(raw)
        ));
        return None;
    };
    for key in fields.keys() {
        if !STATEMENT_FIELDS.contains(&key.as_str()) {
            problems.push(format!("unknown statement field `{key}`"));
        }
    }

    let sid = match fields.get("Sid") {
        None => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(other) => {
            problems.push(format!(
                "`Sid` must be a string, found {}",
                type_name(other)
            ));
            None
        }
    };

    let effect = match fields.get("Effect") {
        None => {
            problems.push("`Effect` is missing".to_owned());
            None
        }
        // The grammar accepts any case; the legacy parser then insists on the
        // exact spelling (checks.rs), so keep what was written.
        Some(Value::String(text)) => match text.to_ascii_lowercase().as_str() {
            "allow" => Some((Effect::Allow, text.clone())),
            "deny" => Some((Effect::Deny, text.clone())),
            _ => {
                problems.push(format!("unknown effect `{text}`"));
                None
            }
        },
        Some(other) => {
            problems.push(format!(
                "`Effect` must be a string, found {}",
                type_name(other)
            ));
            None
        }
    };

    let principal =
        paired(fields, "Principal", "NotPrincipal", problems).and_then(|(polarity, value)| {
            parse_principal(value, problems).map(|value| PrincipalElement { polarity, value })
        });
    let action = paired(fields, "Action", "NotAction", problems).and_then(|(polarity, value)| {
        string_or_list(value, polarity_name(polarity, "Action"), problems)
            .map(|values| ActionElement { polarity, values })
    });
    let resource =
        paired(fields, "Resource", "NotResource", problems).and_then(|(polarity, value)| {
            string_or_list(value, polarity_name(polarity, "Resource"), problems)
                .map(|values| ResourceElement { polarity, values })
        });
    let condition = fields
        .get("Condition")
        .and_then(|value| parse_condition(value, problems));

    let (effect, effect_spelling) = effect?;
    Some(Statement {
        sid,
        effect,
        effect_spelling,
        principal,
        action,
        resource,
        condition,
    })
}

/// Looks up a field that has a `Not…` twin; both at once is a syntax error.
fn paired<'a>(
    fields: &'a Map<String, Value>,
    positive: &str,
    negated: &str,
    problems: &mut Vec<String>,
) -> Option<(Polarity, &'a Value)> {
    match (fields.get(positive), fields.get(negated)) {
        (Some(_), Some(_)) => {
            problems.push(format!(
                "a statement cannot have both `{positive}` and `{negated}`"
            ));
            None
        }
        (Some(value), None) => Some((Polarity::Positive, value)),
        (None, Some(value)) => Some((Polarity::Negated, value)),
        (None, None) => None,
    }
}

fn polarity_name(polarity: Polarity, positive: &'static str) -> &'static str {
    match (polarity, positive) {
        (Polarity::Positive, name) => name,
        (Polarity::Negated, "Action") => "NotAction",
        (Polarity::Negated, "Resource") => "NotResource",
        (Polarity::Negated, _) => "NotPrincipal",
    }
}

fn string_or_list(
    value: &Value,
    field: &str,
    problems: &mut Vec<String>,
) -> Option<OneOrMany<String>> {
    match value {
        Value::String(text) => Some(OneOrMany::One(text.clone())),
        Value::Array(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(text) => values.push(text.clone()),
                    other => {
                        problems.push(format!(
                            "`{field}` must hold strings, found {}",
                            type_name(other)
                        ));
                        return None;
                    }
                }
            }
            Some(OneOrMany::Many(values))
        }
        other => {
            problems.push(format!(
                "`{field}` must be a string or a list of strings, found {}",
                type_name(other)
            ));
            None
        }
    }
}

fn parse_principal(value: &Value, problems: &mut Vec<String>) -> Option<PrincipalValue> {
    match value {
        // Only the wildcard may be written as a bare string.
        Value::String(text) if text == "*" => Some(PrincipalValue::Wildcard),
        Value::String(text) => {
            problems.push(format!(
                "a bare principal string must be `*`, found `{text}`; name the principal type"
            ));
            None
        }
        Value::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            let mut ok = true;
            for (key, item) in map {
                let Some(principal_type) = PrincipalType::from_key(key) else {
                    problems.push(format!("unknown principal type `{key}`"));
                    ok = false;
                    continue;
                };
                match string_or_list(item, key, problems) {
                    Some(values) => entries.push((principal_type, values)),
                    None => ok = false,
                }
            }
            ok.then_some(PrincipalValue::Map(entries))
        }
        other => {
            problems.push(format!(
                "a principal must be `*` or an object, found {}",
                type_name(other)
            ));
            None
        }
    }
}

fn parse_condition(value: &Value, problems: &mut Vec<String>) -> Option<Condition> {
    let Value::Object(operators) = value else {
        problems.push(format!(
            "`Condition` must be an object, found {}",
            type_name(value)
        ));
        return None;
    };
    let mut condition = Condition::default();
    let mut ok = true;
    for (raw_operator, block) in operators {
        let Value::Object(keys) = block else {
            problems.push(format!(
                "condition operator `{raw_operator}` must map to an object, found {}",
                type_name(block)
            ));
            ok = false;
            continue;
        };
        let operator = ConditionOperator::parse(raw_operator);
        let mut entries = Vec::with_capacity(keys.len());
        for (key, raw_values) in keys {
            match condition_values(raw_values) {
                Some(values) => entries.push(ConditionEntry {
                    key: key.clone(),
                    values,
                }),
                None => {
                    problems.push(format!(
                        "condition key `{key}` must map to a scalar or a list of scalars"
                    ));
                    ok = false;
                }
            }
        }
        // AWS accepts an unknown operator only when its block is empty.
        if operator.base.is_none() && !keys.is_empty() {
            problems.push(format!("unknown condition operator `{raw_operator}`"));
            ok = false;
        }
        condition.blocks.push(ConditionBlock { operator, entries });
    }
    ok.then_some(condition)
}

fn condition_values(value: &Value) -> Option<OneOrMany<ConditionValue>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(condition_scalar)
            .collect::<Option<Vec<_>>>()
            .map(OneOrMany::Many),
        scalar => condition_scalar(scalar).map(OneOrMany::One),
    }
}

fn condition_scalar(value: &Value) -> Option<ConditionValue> {
    match value {
        Value::String(text) => Some(ConditionValue::String(text.clone())),
        Value::Number(number) => Some(ConditionValue::Number(number.to_string())),
        Value::Bool(flag) => Some(ConditionValue::Bool(*flag)),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
