//! Does a trust policy let Systems Manager assume the role? (pure, no I/O)
//!
//! ECS Anywhere registers a server through an SSM hybrid activation; SSM then
//! calls `sts:AssumeRole` on the role as the service principal
//! `ssm.amazonaws.com`. The guide shows one trust policy in two JSON forms,
//! but any document that grants that call is right, and a document can look
//! right and still block it (a `Deny`, a condition SSM does not meet).
//!
//! The verdict comes from `ironiam-policy`'s evaluator — the same logic
//! ironiam uses to decide `AssumeRole` — asked two questions about the request
//! SSM makes ([`Subject`] describes it):
//!
//! * SSM acting for the role's own account: is it allowed? (the guide's check)
//! * SSM acting for *another* account: is it refused? (the confused-deputy
//!   hardening AWS recommends, whatever form the condition takes)
//!
//! A statement-by-statement reading ([`assess`]'s `problems`) explains a
//! refusal in the document's own terms, and lists the other principals.
//!
//! The rewriting half ([`rewrite`]) works on the JSON itself, so the
//! statements a user keeps (`--keep-extra`) come back exactly as written.

use ironiam_policy::{
    evaluate, BaseOperator, CompiledPolicy, Condition, Context, Effect, Policy, PolicyId,
    PolicySet, Principal, PrincipalSet, PrincipalType, Request, Statement,
};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The service principal SSM uses to assume the role.
pub const SSM_SERVICE: &str = "ssm.amazonaws.com";

/// The action SSM calls.
const ASSUME_ROLE: &str = "sts:assumerole";

/// The role whose trust is assessed, and where SSM calls from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    /// The role's ARN (the resource of the `sts:AssumeRole` request).
    pub role_arn: &'a str,
    /// The role's account: SSM acts for it (`aws:SourceAccount`).
    pub account: &'a str,
    /// The partition, for the `aws:SourceArn` SSM sends.
    pub partition: &'a str,
    /// The region the command runs for; activations are regional, so this
    /// is the region of the `aws:SourceArn` SSM sends (regions named in the
    /// policy's own `aws:SourceArn` conditions are tried too).
    pub region: &'a str,
}

/// What a trust policy means for SSM, and what else it trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustAssessment {
    /// SSM acting for the role's account can assume the role.
    pub allows_ssm: bool,
    /// SSM acting for any other account cannot (AWS's confused-deputy guard,
    /// usually an `aws:SourceAccount` or `aws:SourceArn` condition).
    pub hardened: bool,
    /// Why SSM cannot assume the role, one line each; empty when it can.
    pub problems: Vec<String>,
    /// Whom else the policy trusts, e.g. `Service ec2.amazonaws.com`.
    pub other_principals: Vec<String>,
}

/// How one statement bears on SSM assuming the role, read from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SsmEffect {
    /// It does not mention SSM (or not `sts:AssumeRole`).
    None,
    /// It allows SSM, with no condition or only with hardening conditions
    /// naming this account.
    Allows,
    /// It would allow SSM, but under a condition SSM does not (or may not) meet.
    AllowsOnlyIf(String),
    /// It denies SSM (`conditional` when a condition decides).
    Denies {
        /// A condition decides.
        conditional: bool,
    },
}

/// Assesses a trust policy for `subject`.
pub fn assess(policy: &Policy, subject: &Subject<'_>) -> TrustAssessment {
    let compiled = policy.compile();
    let regions = candidate_regions(policy, subject.region);
    let allowed_for = |account: &str| {
        regions
            .iter()
            .any(|region| ssm_may_assume(&compiled, subject, account, region))
    };
    let allows_ssm = allowed_for(subject.account);
    let hardened = allows_ssm && !allowed_for(other_account(subject.account));
    let problems = if allows_ssm {
        Vec::new()
    } else {
        explain_refusal(policy, &compiled, subject)
    };
    TrustAssessment {
        allows_ssm,
        hardened,
        problems,
        other_principals: other_principals(policy),
    }
}

/// Whether SSM, acting for `source_account` from `region`, may assume the role.
///
/// The context is what AWS documents a service principal's request to carry:
/// `aws:SourceAccount` and `aws:SourceArn` (the resource SSM acts for, here a
/// managed instance of the activation), `aws:PrincipalServiceName` and
/// `aws:PrincipalIsAWSService`.
fn ssm_may_assume(
    compiled: &CompiledPolicy,
    subject: &Subject<'_>,
    source_account: &str,
    region: &str,
) -> bool {
    ssm_decision(compiled, subject, source_account, region).is_allowed()
}

fn ssm_decision(
    compiled: &CompiledPolicy,
    subject: &Subject<'_>,
    source_account: &str,
    region: &str,
) -> ironiam_policy::Decision {
    let set = PolicySet::new().trust(PolicyId::new("trust policy"), compiled);
    let context = Context::new()
        .with("aws:SourceAccount", source_account)
        .with(
            "aws:SourceArn",
            format!(
                "arn:{}:ssm:{region}:{source_account}:managed-instance/mi-0123456789abcdef0",
                subject.partition
            ),
        )
        .with("aws:PrincipalServiceName", SSM_SERVICE)
        .with("aws:PrincipalIsAWSService", "true");
    evaluate(
        &set,
        &Request {
            principal: Principal::service(SSM_SERVICE),
            action: "sts:AssumeRole",
            resource: subject.role_arn,
            resource_account: Some(subject.account),
            context: &context,
        },
    )
}

/// An account that is not `account`, to play the confused deputy's victim.
fn other_account(account: &str) -> &'static str {
    if account == "999999999999" {
        "111111111111"
    } else {
        "999999999999"
    }
}

/// The configured region, then every region literally named in an
/// `aws:SourceArn` condition value (`arn:aws:ssm:eu-west-1:…`).
fn candidate_regions(policy: &Policy, configured: &str) -> Vec<String> {
    let mut regions = vec![configured.to_owned()];
    for statement in policy.statements() {
        let Some(condition) = statement.condition() else {
            continue;
        };
        for block in &condition.blocks {
            for entry in block
                .entries
                .iter()
                .filter(|e| e.key.eq_ignore_ascii_case("aws:SourceArn"))
            {
                for value in entry.values.iter() {
                    let text = value.as_text();
                    let region = text.split(':').nth(3).unwrap_or_default();
                    if !region.is_empty()
                        && !region.contains(['*', '?'])
                        && !regions.iter().any(|r| r == region)
                    {
                        regions.push(region.to_owned());
                    }
                }
            }
        }
    }
    regions
}

/// Why SSM is refused, statement by statement; the evaluator's own reason
/// when no single statement explains it.
fn explain_refusal(
    policy: &Policy,
    compiled: &CompiledPolicy,
    subject: &Subject<'_>,
) -> Vec<String> {
    let mut allows = false;
    let mut problems = Vec::new();
    let mut conditional_grants = Vec::new();
    for (index, statement) in policy.statements().iter().enumerate() {
        let name = statement_name(index, statement);
        match ssm_effect(statement, Some(subject.account)) {
            SsmEffect::None => {}
            SsmEffect::Allows => allows = true,
            SsmEffect::AllowsOnlyIf(reason) => {
                conditional_grants.push(format!("{name} allows {SSM_SERVICE} only if {reason}"))
            }
            SsmEffect::Denies { conditional: false } => {
                problems.push(format!("{name} denies {SSM_SERVICE} sts:AssumeRole"));
            }
            SsmEffect::Denies { conditional: true } => problems.push(format!(
                "{name} denies {SSM_SERVICE} sts:AssumeRole under a condition that holds for SSM"
            )),
        }
    }
    if !allows {
        problems.insert(
            0,
            format!("no statement allows {SSM_SERVICE} to call sts:AssumeRole"),
        );
        problems.extend(conditional_grants);
    }
    if problems.is_empty() {
        let decision = ssm_decision(compiled, subject, subject.account, subject.region);
        let reason = decision
            .reason("sts:AssumeRole")
            .unwrap_or_else(|| "the policy does not allow it".to_owned());
        problems.push(format!("{SSM_SERVICE} is refused sts:AssumeRole {reason}"));
    }
    problems
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
                None => SsmEffect::Allows,
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
                Some(true) => {}
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
    SsmEffect::Allows
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
/// `ssm.amazonaws.com` is taken out of the statements that name it among
/// other principals. A statement is dropped when, next to the guide's, it
/// would still keep SSM out (a `Deny`), or — with `harden_account` — when it
/// alone would let SSM in for any account (`"Principal": "*"`), which would
/// defeat the hardening. Returns the new document and one line per statement
/// dropped or changed.
pub fn rewrite(
    document: &Value,
    keep_others: bool,
    harden_account: Option<&str>,
    subject: &Subject<'_>,
) -> (Value, Vec<String>) {
    let mut changed = Vec::new();
    let ssm = ssm_statement(harden_account);
    let mut statements = vec![ssm.clone()];
    let mut raw: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => Vec::new(),
    };
    let version = match document.get("Version") {
        Some(version) if keep_others => version.clone(),
        _ => Value::from("2012-10-17"),
    };
    let assess_statements = |statements: &[&Value]| -> Option<TrustAssessment> {
        let text = json!({"Version": version, "Statement": statements}).to_string();
        ironiam_policy::parse(&text)
            .ok()
            .map(|policy| assess(&policy, subject))
    };
    if !keep_others {
        if !raw.is_empty() {
            changed.push(format!(
                "replaced all {} statement(s) of the old trust policy",
                raw.len()
            ));
        }
        raw.clear();
    }
    for (index, raw) in raw.into_iter().enumerate() {
        let name = match raw.get("Sid").and_then(Value::as_str) {
            Some(sid) if !sid.is_empty() => format!("statement {} (`{sid}`)", index + 1),
            _ => format!("statement {}", index + 1),
        };
        let Some(kept) = without_ssm(raw) else {
            changed.push(format!(
                "replaced {name}, which was about {SSM_SERVICE} only"
            ));
            continue;
        };
        match assess_statements(&[&ssm, &kept]) {
            None => {
                changed.push(format!("dropped {name}: it could not be read"));
                continue;
            }
            Some(together) if !together.allows_ssm => {
                changed.push(format!("dropped {name}: it keeps {SSM_SERVICE} out"));
                continue;
            }
            Some(_) => {}
        }
        if harden_account.is_some()
            && assess_statements(&[&kept]).is_some_and(|alone| alone.allows_ssm && !alone.hardened)
        {
            changed.push(format!(
                "dropped {name}: it lets {SSM_SERVICE} in for any account, which --harden rules out"
            ));
            continue;
        }
        if kept != *raw {
            changed.push(format!(
                "{name}: removed {SSM_SERVICE}, kept its other principals"
            ));
        }
        statements.push(kept);
    }
    let mut out = Map::new();
    out.insert("Version".into(), version);
    out.insert("Statement".into(), Value::Array(statements));
    (Value::Object(out), changed)
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

    const SUBJECT: Subject<'static> = Subject {
        role_arn: "arn:aws:iam::123456789012:role/ecsAnywhereRole",
        account: "123456789012",
        partition: "aws",
        region: "us-east-1",
    };

    fn check(document: &str) -> TrustAssessment {
        let policy = ironiam_policy::parse(document).expect("test documents parse");
        assess(&policy, &SUBJECT)
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
    fn the_evaluator_decides_what_a_reading_cannot() {
        // SSM's requests carry aws:PrincipalIsAWSService; the evaluator knows.
        let service_only = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole",
                "Condition":{"Bool":{"aws:PrincipalIsAWSService":"true"}}}]}"#,
        );
        assert!(
            service_only.allows_ssm && !service_only.hardened,
            "{service_only:?}"
        );
        // "*" lets SSM in too, from any account.
        let everyone = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#,
        );
        assert!(everyone.allows_ssm && !everyone.hardened, "{everyone:?}");
        assert_eq!(
            everyone.other_principals,
            vec!["everyone (\"*\")".to_owned()]
        );
        // A SourceArn for another region than the configured one is tried in its region.
        let regional = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole",
                "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:ssm:eu-west-1:123456789012:*"}}}]}"#,
        );
        assert!(regional.allows_ssm && regional.hardened, "{regional:?}");
        // A wildcard SourceAccount is no hardening at all.
        let any_account = check(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole",
                "Condition":{"StringLike":{"aws:SourceAccount":"*"}}}]}"#,
        );
        assert!(
            any_account.allows_ssm && !any_account.hardened,
            "{any_account:?}"
        );
    }

    #[test]
    fn hardening_drops_a_statement_that_trusts_everyone() {
        let text = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#;
        let (value, _) = doc(text);
        let (new, changed) = rewrite(&value, true, Some("123456789012"), &SUBJECT);
        assert_eq!(
            new["Statement"],
            json!([ssm_statement(Some("123456789012"))])
        );
        assert!(changed[1].contains("--harden"), "{changed:?}");
        let (kept, _) = rewrite(&value, true, None, &SUBJECT);
        assert_eq!(kept["Statement"].as_array().map(Vec::len), Some(2));
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
        let (value, _) = doc(EC2);
        let (new, dropped) = rewrite(&value, false, None, &SUBJECT);
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
        let (value, _) = doc(text);
        let (new, dropped) = rewrite(&value, true, Some("123456789012"), &SUBJECT);
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
        let a = assess(&reparsed, &SUBJECT);
        assert!(a.allows_ssm && a.hardened, "{a:?}");
    }

    #[test]
    fn hardened_guide_trust_is_hardened() {
        let text = guide_trust(Some("123456789012")).to_string();
        let a = check(&text);
        assert!(a.allows_ssm && a.hardened);
    }
}
