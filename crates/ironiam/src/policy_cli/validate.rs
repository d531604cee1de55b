//! `ironiam policy validate FILE [--kind …]`.
//!
//! Every finding of [`ironiam_policy::findings`] (errors in the order AWS
//! checks them, so the first is the one AWS reports, then warnings), preceded
//! by the size quota AWS checks before the grammar for that kind of policy.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use ironiam_core::entities::policy_size;
use ironiam_core::quotas::Quotas;
use ironiam_policy::{findings, PolicyKind, Severity};
use serde_json::{json, Value};

use super::{count, read_document, statement_label, Failure, Report};

/// Exit status: no errors (warnings allowed).
const STATUS_VALID: u8 = 0;
/// Exit status: AWS would reject the document.
const STATUS_INVALID: u8 = 1;

/// Options of `validate`.
#[derive(Debug, Args)]
pub(super) struct ValidateArgs {
    /// The policy document (`-` reads standard input).
    file: PathBuf,
    /// What the policy is for, which decides the rules it must follow and
    /// some of AWS's wording.
    #[arg(long, value_enum, default_value_t = Kind::Identity)]
    kind: Kind,
}

/// The kinds of policy, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Kind {
    /// An inline policy of a user, group or role (PutRolePolicy…).
    Identity,
    /// A role's trust policy (CreateRole, UpdateAssumeRolePolicy).
    Trust,
    /// A managed policy used as a permissions boundary.
    Boundary,
    /// A customer managed policy (CreatePolicy): needs Version 2012-10-17.
    Managed,
    /// A session policy passed to AssumeRole or GetFederationToken.
    Session,
    /// A resource-based policy of another service (an S3 bucket policy…).
    Resource,
}

impl Kind {
    pub(super) fn policy_kind(self) -> PolicyKind {
        match self {
            Kind::Identity => PolicyKind::Identity,
            Kind::Trust => PolicyKind::Trust,
            Kind::Boundary => PolicyKind::PermissionsBoundary,
            Kind::Managed => PolicyKind::Managed,
            Kind::Session => PolicyKind::Session,
            Kind::Resource => PolicyKind::ResourceBased,
        }
    }

    /// The command-line name, as in `--kind trust`.
    fn name(self) -> &'static str {
        match self {
            Kind::Identity => "identity",
            Kind::Trust => "trust",
            Kind::Boundary => "boundary",
            Kind::Managed => "managed",
            Kind::Session => "session",
            Kind::Resource => "resource",
        }
    }

    /// For sentences: "a valid trust policy".
    pub(super) fn describe(self) -> &'static str {
        match self {
            Kind::Identity => "identity policy",
            Kind::Trust => "trust policy",
            Kind::Boundary => "permissions boundary",
            Kind::Managed => "managed policy",
            Kind::Session => "session policy",
            Kind::Resource => "resource-based policy",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    severity: Severity,
    /// The error code AWS answers with (`MalformedPolicyDocument`,
    /// `LimitExceeded`); `None` for warnings, which AWS never reports.
    aws_code: Option<&'static str>,
    /// AWS's message for an error, a description for a warning.
    message: String,
    statement: Option<usize>,
    /// The precise problem, when it says more than `message` (AWS's
    /// "Syntax errors in policy." covers many).
    detail: Option<String>,
}

pub(super) fn run(args: &ValidateArgs) -> Result<Report, Failure> {
    let document = read_document(&args.file)?;
    Ok(report(
        &args.file.display().to_string(),
        &document,
        args.kind,
    ))
}

/// Validates `document` as a policy of `kind` and renders the result.
fn report(file: &str, document: &str, kind: Kind) -> Report {
    let mut items = size_items(document, kind);
    items.extend(
        findings(document, kind.policy_kind())
            .into_iter()
            .map(|finding| {
                let detail = finding.problem.to_string();
                Item {
                    severity: finding.severity,
                    aws_code: (finding.severity == Severity::Error)
                        .then_some("MalformedPolicyDocument"),
                    detail: (detail != finding.message).then_some(detail),
                    message: finding.message,
                    statement: finding.statement,
                }
            }),
    );
    let errors = items
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let warnings = items.len() - errors;
    // AWS checks the size first, then the grammar: the first error is the
    // one it answers with.
    let aws_error = items.iter().find(|i| i.severity == Severity::Error);

    let mut human = String::new();
    let verdict = if errors == 0 { "valid" } else { "invalid" };
    human.push_str(&format!("{file}: {verdict} {}", kind.describe()));
    match (errors, warnings) {
        (0, 0) => {}
        (0, w) => human.push_str(&format!(", {}", count(w, "warning"))),
        (e, w) => human.push_str(&format!(
            " ({}, {})",
            count(e, "error"),
            count(w, "warning")
        )),
    }
    human.push('\n');
    for item in &items {
        let severity = match item.severity {
            Severity::Error => "error  ",
            Severity::Warning => "warning",
        };
        let place = item
            .statement
            .map(|i| format!("{}: ", statement_label(i)))
            .unwrap_or_default();
        human.push_str(&format!("  {severity} {place}{}\n", item.message));
        if let Some(detail) = &item.detail {
            human.push_str(&format!("          {detail}\n"));
        }
    }
    if let Some(first) = aws_error {
        human.push_str(&format!(
            "AWS rejects it with {}: {}\n",
            first.aws_code.unwrap_or("MalformedPolicyDocument"),
            first.message
        ));
    }

    let json = json!({
        "file": file,
        "kind": kind.name(),
        "valid": errors == 0,
        "errors": errors,
        "warnings": warnings,
        "aws_error": aws_error.map(|i| json!({"code": i.aws_code, "message": i.message})),
        "findings": items.iter().map(item_json).collect::<Vec<_>>(),
    });
    Report {
        human,
        json,
        status: if errors == 0 {
            STATUS_VALID
        } else {
            STATUS_INVALID
        },
    }
}

fn item_json(item: &Item) -> Value {
    json!({
        "severity": match item.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        "code": item.aws_code,
        "message": item.message,
        "statement": item.statement,
        "detail": item.detail,
    })
}

/// The size quotas AWS checks before it parses, with its messages. AWS counts
/// characters without whitespace. An inline identity policy counts towards
/// its owner's total: 2,048 characters for a user, 10,240 for a role, so one
/// beyond 10,240 is an error and one beyond 2,048 a warning. Resource-based
/// quotas belong to each service, and session policies are limited after
/// STS packs them, so neither is checked here.
fn size_items(document: &str, kind: Kind) -> Vec<Item> {
    let quotas = Quotas::default();
    let size = policy_size(document);
    let limit_exceeded = |message: String| Item {
        severity: Severity::Error,
        aws_code: Some("LimitExceeded"),
        message,
        statement: None,
        detail: Some(format!(
            "the document has {size} characters without whitespace"
        )),
    };
    match kind {
        Kind::Trust if size > quotas.trust_policy_size => vec![limit_exceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {}",
            quotas.trust_policy_size
        ))],
        Kind::Managed | Kind::Boundary if size > quotas.managed_policy_size => vec![limit_exceeded(format!(
            "Cannot exceed quota for PolicySize: {}",
            quotas.managed_policy_size
        ))],
        Kind::Identity if size > quotas.role_inline_policy_size => vec![limit_exceeded(format!(
            "Maximum policy size of {} bytes exceeded",
            quotas.role_inline_policy_size
        ))],
        Kind::Identity if size > quotas.user_inline_policy_size => vec![Item {
            severity: Severity::Warning,
            aws_code: None,
            message: format!(
                "{size} characters: too large for a user's inline policies ({} in all), fits a role's ({})",
                quotas.user_inline_policy_size, quotas.role_inline_policy_size
            ),
            statement: None,
            detail: None,
        }],
        Kind::Trust | Kind::Managed | Kind::Boundary | Kind::Identity | Kind::Session | Kind::Resource => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST_FORM: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;

    #[test]
    fn a_trust_policy_is_valid_as_trust_and_not_as_identity() {
        let trust = report("t.json", LIST_FORM, Kind::Trust);
        assert_eq!(trust.status, STATUS_VALID);
        assert_eq!(trust.json["valid"], true);

        let identity = report("t.json", LIST_FORM, Kind::Identity);
        assert_eq!(identity.status, STATUS_INVALID);
        assert_eq!(
            identity.json["aws_error"]["message"],
            "Policy document should not specify a principal."
        );
        assert_eq!(identity.json["findings"][0]["statement"], 0);
        assert!(identity
            .human
            .contains("Statement[0]: Policy document should not specify a principal."));
    }

    #[test]
    fn invalid_json_keeps_the_parser_detail() {
        let out = report("x.json", "{nope", Kind::Trust);
        assert_eq!(out.status, STATUS_INVALID);
        assert_eq!(
            out.json["aws_error"]["message"],
            "This policy contains invalid Json"
        );
        assert!(out.json["findings"][0]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("not valid JSON"));
    }

    #[test]
    fn size_quota_comes_first_with_its_own_code() {
        let actions: Vec<String> = (0..400).map(|i| format!("\"s3:GetObject{i}\"")).collect();
        let document = format!(
            r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Principal": {{"Service": "ssm.amazonaws.com"}}, "Action": [{}]}}}}"#,
            actions.join(",")
        );
        let out = report("big.json", &document, Kind::Trust);
        assert_eq!(out.status, STATUS_INVALID);
        assert_eq!(out.json["aws_error"]["code"], "LimitExceeded");
        assert_eq!(
            out.json["aws_error"]["message"],
            "Cannot exceed quota for ACLSizePerRole: 2048"
        );
    }
}
