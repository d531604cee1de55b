//! Does a trust policy let Systems Manager assume the role? (pure, no I/O)
//!
//! ECS Anywhere registers a server through an SSM hybrid activation; SSM then
//! calls `sts:AssumeRole` on the role as the service principal
//! `ssm.amazonaws.com`. The guide shows one trust policy in two JSON forms,
//! but any document that grants that call is right, and a document can look
//! right and still block it (a `Deny`, a condition SSM does not meet).
//!
//! [`assess`] is the one place that decides; it works on the normalised views
//! of `ironiam-policy` (sets of principals and lowercased actions), so a
//! string and a one-element list, `sts:*` and `sts:AssumeRole`, one statement
//! or three, all compare as AWS would evaluate them. When the policy engine
//! grows a general "grants at least" comparison, [`assess`] is what swaps to it.
//!
//! The rewriting half ([`rewrite`]) works on the JSON itself, so the
//! statements a user keeps (`--keep-extra`) come back exactly as written.

use ironiam_policy::{
    BaseOperator, Condition, Effect, Policy, PrincipalSet, PrincipalType, Statement,
};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The service principal SSM uses to assume the role.
pub const SSM_SERVICE: &str = "ssm.amazonaws.com";

/// The action SSM calls.
const ASSUME_ROLE: &str = "sts:assumerole";

/// What a trust policy means for SSM, and what else it trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustAssessment {
    /// SSM (from this account) can assume the role.
    pub allows_ssm: bool,
    /// Every statement that lets SSM in limits it to this account with
    /// `aws:SourceAccount` or `aws:SourceArn` (AWS's confused-deputy guard).
    pub hardened: bool,
    /// Why SSM cannot assume the role, one line each; empty when it can.
    pub problems: Vec<String>,
    /// Whom else the policy trusts, e.g. `Service ec2.amazonaws.com`.
    pub other_principals: Vec<String>,
    /// Statements about SSM that do not decide the outcome but are worth a
    /// look (a second, conditional grant next to a working one).
    pub notes: Vec<String>,
}

/// How one statement bears on SSM assuming the role.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SsmEffect {
    /// It does not mention SSM (or not `sts:AssumeRole`).
    None,
    /// It allows SSM, with no condition (`hardened: false`) or only with the
    /// recommended conditions naming this account (`hardened: true`).
    Allows { hardened: bool },
    /// It would allow SSM, but under a condition SSM does not (or may not) meet.
    AllowsOnlyIf(String),
    /// It denies SSM (`conditional` when a condition decides).
    Denies { conditional: bool },
}

/// Assesses a trust policy for the role of `account` (the 12 digits of the
/// role's ARN; `None` skips the account comparison of hardening conditions).
pub fn assess(policy: &Policy, account: Option<&str>) -> TrustAssessment {
    let mut allows = Vec::new();
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut conditional_grants = Vec::new();
    for (index, statement) in policy.statements().iter().enumerate() {
        let name = statement_name(index, statement);
        match ssm_effect(statement, account) {
            SsmEffect::None => {}
            SsmEffect::Allows { hardened } => allows.push(hardened),
            SsmEffect::AllowsOnlyIf(reason) => conditional_grants.push(format!("{name} allows {SSM_SERVICE} only if {reason}")),
            SsmEffect::Denies { conditional: false } => {
                problems.push(format!("{name} denies {SSM_SERVICE} sts:AssumeRole"));
            }
            SsmEffect::Denies { conditional: true } => problems.push(format!(
                "{name} denies {SSM_SERVICE} sts:AssumeRole under a condition, which may well hold for SSM"
            )),
        }
    }
    if allows.is_empty() {
        problems.insert(
            0,
            format!("no statement allows {SSM_SERVICE} to call sts:AssumeRole"),
        );
        problems.extend(conditional_grants);
    } else {
        notes.extend(conditional_grants);
    }
    let allows_ssm = problems.is_empty();
    TrustAssessment {
        allows_ssm,
        hardened: allows_ssm && allows.iter().all(|hardened| *hardened),
        problems,
        other_principals: other_principals(policy),
        notes,
    }
}

/// `statement 2 ("Sid")`, for messages.
fn statement_name(index: usize, statement: &Statement) -> String {
    match statement.sid() {
        Some(sid) if !sid.is_empty() => format!("statement {} (`{sid}`)", index + 1),
        _ => format!("statement {}", index + 1),
    }
}

fn ssm_effect(statement: &Statement, account: Option<&str>) -> SsmEffect {
    if !covers_assume_role(statement) {
        return SsmEffect::None;
    }
    let Some(principals) = statement.principal_set() else {
        return SsmEffect::None;
    };
    match statement.effect() {
        Effect::Allow => {
            // `NotPrincipal` with `Allow` trusts everyone but the listed ones;
            // AWS advises against it and it is no way to trust SSM, so it is
            // reported as an extra principal and not counted as a grant.
            if principals.polarity.is_negated() || !names_ssm(&principals) {
                return SsmEffect::None;
            }
            match statement.condition() {
                None => SsmEffect::Allows { hardened: false },
                Some(condition) => condition_for_ssm(condition, account),
            }
        }
        Effect::Deny => {
            let hits_ssm = if principals.polarity.is_negated() {
                !names_ssm(&principals)
            } else {
                names_ssm(&principals) || principals.is_everyone()
            };
            if hits_ssm {
                SsmEffect::Denies {
                    conditional: statement.condition().is_some_and(|c| !c.blocks.is_empty()),
                }
            } else {
                SsmEffect::None
            }
        }
    }
}

fn names_ssm(principals: &PrincipalSet) -> bool {
    principals
        .values(PrincipalType::Service)
        .any(|service| service.eq_ignore_ascii_case(SSM_SERVICE))
}

/// Whether the statement's `Action`/`NotAction` covers `sts:AssumeRole`.
fn covers_assume_role(statement: &Statement) -> bool {
    let Some(actions) = statement.action_set() else {
        return false;
    };
    let matched = actions
        .values
        .iter()
        .any(|pattern| glob_matches(pattern, ASSUME_ROLE));
    matched != actions.polarity.is_negated()
}

/// IAM's wildcard match: `*` any run of characters, `?` any one character.
/// Both sides must already be in the same case.
pub(crate) fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Classic iterative matcher with backtracking to the last `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// An `Allow` for SSM with a condition: only the confused-deputy keys that
/// SSM sets, compared with this account, leave the grant working.
fn condition_for_ssm(condition: &Condition, account: Option<&str>) -> SsmEffect {
    let mut hardened = false;
    for block in &condition.blocks {
        for entry in &block.entries {
            let operator = &block.operator;
            let key = entry.key.to_ascii_lowercase();
            let values: Vec<String> = entry
                .values
                .iter()
                .map(|v| v.as_text().into_owned())
                .collect();
            let plain = operator.qualifier.is_none();
            let verdict = match (key.as_str(), operator.base) {
                (
                    "aws:sourceaccount",
                    Some(
                        BaseOperator::StringEquals
                        | BaseOperator::StringLike
                        | BaseOperator::StringEqualsIgnoreCase,
                    ),
                ) if plain => {
                    let glob = operator.base == Some(BaseOperator::StringLike);
                    Some(values.iter().any(|v| account_matches(v, account, glob)))
                }
                (
                    "aws:sourcearn",
                    Some(
                        BaseOperator::ArnEquals
                        | BaseOperator::ArnLike
                        | BaseOperator::StringEquals
                        | BaseOperator::StringLike,
                    ),
                ) if plain => Some(values.iter().any(|v| ssm_arn_matches(v, account))),
                _ => None,
            };
            match verdict {
                Some(true) => hardened = true,
                Some(false) => {
                    return SsmEffect::AllowsOnlyIf(format!(
                        "`{}` is {} (the role's account is {})",
                        entry.key,
                        values.join(" or "),
                        account.unwrap_or("unknown")
                    ))
                }
                None => {
                    // An empty block of an unknown operator tests nothing.
                    return SsmEffect::AllowsOnlyIf(format!(
                        "the condition `{}` on `{}` holds, which cannot be shown for SSM",
                        operator.raw, entry.key
                    ));
                }
            }
        }
    }
    SsmEffect::Allows { hardened }
}

fn account_matches(value: &str, account: Option<&str>, glob: bool) -> bool {
    match account {
        None => true,
        Some(account) if glob => glob_matches(value, account),
        Some(account) => value == account,
    }
}

/// Whether an `aws:SourceArn` pattern can match SSM resources of `account`:
/// `arn:PARTITION:ssm:REGION:ACCOUNT:…`, wildcards allowed per field.
fn ssm_arn_matches(pattern: &str, account: Option<&str>) -> bool {
    let fields: Vec<&str> = pattern.splitn(6, ':').collect();
    if fields.len() != 6 || !glob_matches(fields[0], "arn") {
        return glob_matches(pattern, "arn:aws:ssm:*") && account.is_none();
    }
    glob_matches(fields[2], "ssm") && account.is_none_or(|account| glob_matches(fields[4], account))
}

/// Principals other than SSM that `Allow` statements trust.
fn other_principals(policy: &Policy) -> Vec<String> {
    let mut others = Vec::new();
    for statement in policy.statements() {
        if statement.effect() != Effect::Allow {
            continue;
        }
        let Some(principals) = statement.principal_set() else {
            continue;
        };
        let negated = principals.polarity.is_negated();
        for (principal_type, values) in &principals.by_type {
            for value in values {
                if *principal_type == PrincipalType::Service
                    && value.eq_ignore_ascii_case(SSM_SERVICE)
                    && !negated
                {
                    continue;
                }
                let text = match (
                    negated,
                    *principal_type == PrincipalType::Aws && value == "*",
                ) {
                    (false, true) => "everyone (\"*\")".to_owned(),
                    (false, false) => format!("{principal_type} {value}"),
                    (true, _) => format!("everyone except {principal_type} {value} (NotPrincipal)"),
                };
                if !others.contains(&text) {
                    others.push(text);
                }
            }
        }
    }
    others
}

/// The guide's statement, with the `aws:SourceAccount` condition when
/// `harden_account` is given.
pub fn ssm_statement(harden_account: Option<&str>) -> Value {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"Service": SSM_SERVICE},
        "Action": "sts:AssumeRole",
    });
    if let (Some(account), Some(map)) = (harden_account, statement.as_object_mut()) {
        map.insert(
            "Condition".into(),
            json!({"StringEquals": {"aws:SourceAccount": account}}),
        );
    }
    statement
}

/// The guide's trust policy (first form), optionally hardened.
pub fn guide_trust(harden_account: Option<&str>) -> Value {
    json!({"Version": "2012-10-17", "Statement": [ssm_statement(harden_account)]})
}

/// A new trust policy: the guide's statement first, then — when `keep_others`
/// — the statements of `document` that are not about SSM, exactly as written.
///
/// Statements that name SSM among other principals keep the others; statements
/// that deny SSM are dropped (keeping them would keep SSM out). Returns the new
/// document and one line per statement dropped or changed.
pub fn rewrite(
    document: &Value,
    policy: Option<&Policy>,
    keep_others: bool,
    harden_account: Option<&str>,
    account: Option<&str>,
) -> (Value, Vec<String>) {
    let mut dropped = Vec::new();
    let mut statements = vec![ssm_statement(harden_account)];
    let raw: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => Vec::new(),
    };
    let parsed = policy.map(|p| p.statements()).unwrap_or_default();
    if !keep_others {
        if !raw.is_empty() {
            dropped.push(format!(
                "replaced all {} statement(s) of the old trust policy",
                raw.len()
            ));
        }
    } else if parsed.len() != raw.len() {
        // INVARIANT: a document that parsed has as many statements as its JSON;
        // one that did not parse cannot be kept safely.
        dropped.push("the old trust policy could not be read, so none of it was kept".to_owned());
    } else {
        for (index, (raw, statement)) in raw.into_iter().zip(parsed).enumerate() {
            let name = statement_name(index, statement);
            match ssm_effect(statement, account) {
                SsmEffect::Denies { .. } => {
                    dropped.push(format!("dropped {name}: it denies {SSM_SERVICE}"))
                }
                _ => match without_ssm(raw) {
                    Some(kept) if kept == *raw => statements.push(kept),
                    Some(kept) => {
                        dropped.push(format!(
                            "{name}: removed {SSM_SERVICE}, kept its other principals"
                        ));
                        statements.push(kept);
                    }
                    None => dropped.push(format!(
                        "replaced {name}, which was about {SSM_SERVICE} only"
                    )),
                },
            }
        }
    }
    let mut out = Map::new();
    match document.get("Version") {
        Some(version) if keep_others => out.insert("Version".into(), version.clone()),
        _ => out.insert("Version".into(), Value::from("2012-10-17")),
    };
    out.insert("Statement".into(), Value::Array(statements));
    (Value::Object(out), dropped)
}

/// The statement with `ssm.amazonaws.com` taken out of its `Principal`;
/// `None` when nothing else was left in it.
fn without_ssm(statement: &Value) -> Option<Value> {
    let mut statement = statement.clone();
    let Some(Value::Object(principal)) = statement.get_mut("Principal") else {
        return Some(statement);
    };
    let is_ssm = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(SSM_SERVICE))
    };
    match principal.get_mut("Service") {
        Some(Value::Array(services)) => {
            services.retain(|v| !is_ssm(v));
            if services.is_empty() {
                principal.remove("Service");
            }
        }
        Some(service) if is_ssm(service) => {
            principal.remove("Service");
        }
        _ => {}
    }
    let empty = principal
        .values()
        .all(|v| v.as_array().is_some_and(|a| a.is_empty()));
    if empty {
        None
    } else {
        Some(statement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(document: &str) -> TrustAssessment {
        let policy = ironiam_policy::parse(document).expect("test documents parse");
        assess(&policy, Some("123456789012"))
    }

    const GUIDE_CONSOLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    const GUIDE_CLI: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":["ssm.amazonaws.com"]},"Action":"sts:AssumeRole"}}"#;
    const EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    #[test]
    fn both_forms_of_the_guide_allow_ssm_unhardened() {
        for doc in [GUIDE_CONSOLE, GUIDE_CLI] {
            let a = check(doc);
            assert!(a.allows_ssm, "{doc}: {a:?}");
            assert!(!a.hardened);
            assert!(a.other_principals.is_empty());
        }
    }

    #[test]
    fn equivalent_forms_allow_ssm() {
        for doc in [
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":["ssm.amazonaws.com","ssm.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"STS:assumerole"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:Assume*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRol?"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"NotAction":"sts:TagSession"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":["sts:TagSession","sts:AssumeRole"]}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{}}]}"#,
        ] {
            assert!(check(doc).allows_ssm, "{doc}");
        }
    }

    #[test]
    fn the_console_wizard_ec2_trust_does_not_allow_ssm() {
        let a = check(EC2);
        assert!(!a.allows_ssm);
        assert_eq!(
            a.problems,
            vec!["no statement allows ssm.amazonaws.com to call sts:AssumeRole".to_owned()]
        );
        assert_eq!(
            a.other_principals,
            vec!["Service ec2.amazonaws.com".to_owned()]
        );
    }

    #[test]
    fn wrong_action_or_negated_forms_do_not_allow_ssm() {
        for doc in [
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRoleWithSAML"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"NotAction":"sts:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","NotPrincipal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com.evil"},"Action":"sts:AssumeRole"}]}"#,
        ] {
            assert!(!check(doc).allows_ssm, "{doc}");
        }
    }

    #[test]
    fn a_deny_blocks_ssm() {
        let unconditional = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"},
                             {"Effect":"Deny","Principal":"*","Action":"sts:*"}]}"#,
        );
        assert!(!unconditional.allows_ssm);
        assert_eq!(
            unconditional.problems,
            vec!["statement 2 denies ssm.amazonaws.com sts:AssumeRole".to_owned()]
        );
        let conditional = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"},
                             {"Sid":"OrgOnly","Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
                              "Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}]}"#,
        );
        assert!(!conditional.allows_ssm);
        assert!(
            conditional.problems[0].starts_with("statement 2 (`OrgOnly`) denies"),
            "{conditional:?}"
        );
        let not_principal = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"},
                             {"Effect":"Deny","NotPrincipal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        );
        assert!(not_principal.allows_ssm, "{not_principal:?}");
    }

    #[test]
    fn hardening_conditions_are_recognised_and_checked_against_the_account() {
        let account = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole",
                "Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#,
        );
        assert!(account.allows_ssm && account.hardened, "{account:?}");
        let arn = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole",
                "Condition":{"StringEquals":{"aws:SourceAccount":["123456789012"]},"ArnLike":{"aws:SourceArn":"arn:aws:ssm:us-east-1:123456789012:*"}}}]}"#,
        );
        assert!(arn.allows_ssm && arn.hardened, "{arn:?}");
        let other_account = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole",
                "Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}}]}"#,
        );
        assert!(!other_account.allows_ssm);
        assert!(
            other_account.problems[1].contains("`aws:SourceAccount` is 999999999999"),
            "{other_account:?}"
        );
        let other_service = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole",
                "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ec2:*:123456789012:*"}}}]}"#,
        );
        assert!(!other_service.allows_ssm);
        let unknown = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole",
                "Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}"#,
        );
        assert!(!unknown.allows_ssm);
        assert!(
            unknown.problems[1].contains("`StringEquals` on `sts:ExternalId`"),
            "{unknown:?}"
        );
    }

    #[test]
    fn one_unconditional_grant_makes_the_trust_unhardened() {
        let a = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole",
                "Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}},
                {"Effect":"Allow","Principal":{"Service":["ssm.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#,
        );
        assert!(a.allows_ssm && !a.hardened);
        assert_eq!(
            a.other_principals,
            vec!["Service ec2.amazonaws.com".to_owned()]
        );
    }

    #[test]
    fn other_principals_are_listed() {
        let a = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"},
                {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
                {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root","Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#,
        );
        assert_eq!(
            a.other_principals,
            vec![
                "everyone (\"*\")".to_owned(),
                "AWS arn:aws:iam::111122223333:root".to_owned(),
                "Federated cognito-identity.amazonaws.com".to_owned()
            ]
        );
    }

    #[test]
    fn glob() {
        assert!(glob_matches("*", ""));
        assert!(glob_matches("sts:*", "sts:assumerole"));
        assert!(glob_matches("*role", "sts:assumerole"));
        assert!(glob_matches("s?s:*r*e", "sts:assumerole"));
        assert!(!glob_matches("sts:assume", "sts:assumerole"));
        assert!(!glob_matches("iam:*", "sts:assumerole"));
    }

    fn doc(text: &str) -> (Value, Policy) {
        (
            serde_json::from_str(text).unwrap(),
            ironiam_policy::parse(text).unwrap(),
        )
    }

    #[test]
    fn rewrite_without_keep_is_the_guide_trust() {
        let (value, policy) = doc(EC2);
        let (new, dropped) = rewrite(&value, Some(&policy), false, None, Some("123456789012"));
        assert_eq!(new, guide_trust(None));
        assert_eq!(
            dropped,
            vec!["replaced all 1 statement(s) of the old trust policy".to_owned()]
        );
    }

    #[test]
    fn rewrite_keeping_others_keeps_them_verbatim_and_drops_denies() {
        let text = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Ec2","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":{"Service":["ssm.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}},
            {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
        let (value, policy) = doc(text);
        let (new, dropped) = rewrite(
            &value,
            Some(&policy),
            true,
            Some("123456789012"),
            Some("123456789012"),
        );
        let statements = new["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3);
        assert_eq!(statements[0], ssm_statement(Some("123456789012")));
        assert_eq!(statements[1], value["Statement"][0]);
        assert_eq!(
            statements[2]["Principal"],
            json!({"Service": ["ecs-tasks.amazonaws.com"]})
        );
        assert_eq!(dropped.len(), 2, "{dropped:?}");
        let reparsed = ironiam_policy::parse(&new.to_string()).unwrap();
        let a = assess(&reparsed, Some("123456789012"));
        assert!(a.allows_ssm && a.hardened, "{a:?}");
    }

    #[test]
    fn hardened_guide_trust_is_hardened() {
        let text = guide_trust(Some("123456789012")).to_string();
        let a = check(&text);
        assert!(a.allows_ssm && a.hardened);
    }
}
