//! The guide's "To check" procedure as data: what was read about the role in,
//! a checklist out (pure, no I/O).

use ironiam_policy::Policy;
use serde::Serialize;
use serde_json::Value;

use crate::trust::{self, Subject, TrustAssessment, SSM_SERVICE};

/// One AWS managed policy the role needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequiredPolicy {
    /// The policy name, which look-alikes share.
    pub name: &'static str,
    /// The policy path; `AmazonEC2ContainerServiceforEC2Role` lives under
    /// `/service-role/`, the part of its ARN people leave out (the guide's own
    /// CLI step is cut off just before it).
    pub path: &'static str,
}

impl RequiredPolicy {
    /// The policy's ARN in `partition` (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn arn(&self, partition: &str) -> String {
        format!("arn:{partition}:iam::aws:policy{}{}", self.path, self.name)
    }
}

/// The two policies the guide attaches, in the guide's order.
pub const REQUIRED_POLICIES: [RequiredPolicy; 2] = [
    RequiredPolicy {
        name: "AmazonSSMManagedInstanceCore",
        path: "/",
    },
    RequiredPolicy {
        name: "AmazonEC2ContainerServiceforEC2Role",
        path: "/service-role/",
    },
];

/// A managed policy attached to the role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachedPolicy {
    /// The policy name.
    pub name: String,
    /// The policy ARN.
    pub arn: String,
}

/// Everything the check reads about an existing role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFacts {
    /// The role name as IAM spells it.
    pub name: String,
    /// The role ARN (gives the account and partition).
    pub arn: String,
    /// The role description, if any.
    pub description: Option<String>,
    /// The trust policy, already URL-decoded.
    pub trust_document: String,
    /// Attached managed policies.
    pub attached: Vec<AttachedPolicy>,
    /// Names of inline policies.
    pub inline_policies: Vec<String>,
    /// The permissions boundary ARN, if any.
    pub permissions_boundary: Option<String>,
    /// The region the command runs for (not a property of the role, which is
    /// global): the region SSM is assumed to call from, see [`Subject`].
    pub region: String,
}

impl RoleFacts {
    /// The partition field of the role ARN (`aws` when unreadable).
    pub fn partition(&self) -> &str {
        self.arn
            .split(':')
            .nth(1)
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
    }

    /// The account field of the role ARN.
    pub fn account(&self) -> &str {
        self.arn.split(':').nth(4).unwrap_or_default()
    }

    /// The role as the trust assessment sees it.
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            role_arn: &self.arn,
            account: self.account(),
            partition: self.partition(),
            region: &self.region,
        }
    }

    /// Whether `arn` is attached.
    pub fn has_attached(&self, arn: &str) -> bool {
        self.attached.iter().any(|p| p.arn == arn)
    }

    /// The trust policy as JSON and as a parsed policy.
    pub fn trust(&self) -> ParsedTrust {
        ParsedTrust {
            json: serde_json::from_str(&self.trust_document).unwrap_or(Value::Null),
            policy: ironiam_policy::parse(&self.trust_document).map_err(|e| e.message().to_owned()),
        }
    }

    /// The trust policy's assessment, or why it could not be read.
    pub fn trust_assessment(&self) -> Result<TrustAssessment, String> {
        self.trust()
            .policy
            .map(|policy| trust::assess(&policy, &self.subject()))
    }
}

/// A trust policy read two ways: JSON to rewrite, a policy to reason about.
#[derive(Debug, Clone)]
pub struct ParsedTrust {
    /// The document as JSON (`Null` if it is not JSON).
    pub json: Value,
    /// The parsed policy, or the parser's message.
    pub policy: Result<Policy, String>,
}

/// The outcome of one checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The item holds.
    Pass,
    /// The item does not hold; `ensure` fixes it.
    Fail,
    /// Not checked because the role does not exist.
    Skipped,
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable identifier for scripts: `role-exists`, `policy:NAME`, `trust-allows-ssm`.
    pub id: String,
    /// Pass, fail or skipped.
    pub status: Status,
    /// One line a person reads.
    pub summary: String,
    /// Why, when it failed.
    pub details: Vec<String>,
}

/// Something beyond what the guide sets up. Not a failure; `warning` marks
/// the ones that are probably a mistake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extra {
    /// `policy`, `look-alike-policy`, `inline-policy`, `trust-principal`,
    /// `permissions-boundary`.
    pub kind: &'static str,
    /// The ARN, name or principal concerned.
    pub value: String,
    /// One line a person reads.
    pub message: String,
    /// Probably a mistake.
    pub warning: bool,
}

/// Advice that goes beyond the guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    /// Stable identifier: `harden-trust`.
    pub id: &'static str,
    /// One line a person reads.
    pub message: String,
    /// The command that applies it.
    pub command: String,
}

/// The whole checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// `ready` or `needs-changes`.
    pub status: &'static str,
    /// The role asked about.
    pub role_name: String,
    /// Its ARN, when it exists.
    pub role_arn: Option<String>,
    /// Every check passed.
    pub ready: bool,
    /// The checklist, in the guide's order.
    pub checks: Vec<Check>,
    /// Anything extra.
    pub extras: Vec<Extra>,
    /// Recommended hardening.
    pub recommendations: Vec<Recommendation>,
}

/// Runs the checklist for `role_name`, given what was read (`None`: no such role).
pub fn check(role_name: &str, role: Option<&RoleFacts>) -> Report {
    check_with(role_name, role, &[])
}

/// [`check`], with `global` options (`--endpoint-url URL`…) appended to the
/// commands it suggests.
pub fn check_with(role_name: &str, role: Option<&RoleFacts>, global: &[String]) -> Report {
    let mut checks = Vec::new();
    let mut extras = Vec::new();
    let mut recommendations = Vec::new();
    let Some(role) = role else {
        checks.push(Check {
            id: "role-exists".into(),
            status: Status::Fail,
            summary: format!("role `{role_name}` does not exist"),
            details: vec![],
        });
        for required in REQUIRED_POLICIES {
            checks.push(Check {
                id: format!("policy:{}", required.name),
                status: Status::Skipped,
                summary: format!("{} is attached (no role to check)", required.name),
                details: vec![],
            });
        }
        checks.push(Check {
            id: "trust-allows-ssm".into(),
            status: Status::Skipped,
            summary: format!("the trust relationship allows {SSM_SERVICE} to call sts:AssumeRole (no role to check)"),
            details: vec![],
        });
        return finish(role_name, None, checks, extras, recommendations);
    };

    checks.push(Check {
        id: "role-exists".into(),
        status: Status::Pass,
        summary: format!("role `{}` exists", role.name),
        details: vec![],
    });

    let partition = role.partition();
    for required in REQUIRED_POLICIES {
        let arn = required.arn(partition);
        let look_alikes: Vec<&AttachedPolicy> = role
            .attached
            .iter()
            .filter(|p| p.name.eq_ignore_ascii_case(required.name) && p.arn != arn)
            .collect();
        let (status, summary) = if role.has_attached(&arn) {
            (
                Status::Pass,
                format!("{} is attached ({arn})", required.name),
            )
        } else {
            (
                Status::Fail,
                format!("{} is not attached ({arn})", required.name),
            )
        };
        let details = if status == Status::Fail {
            look_alikes
                .iter()
                .map(|p| {
                    format!(
                        "`{}` is attached instead: a policy with the same name at another ARN, not the AWS managed policy",
                        p.arn
                    )
                })
                .collect()
        } else {
            vec![]
        };
        checks.push(Check {
            id: format!("policy:{}", required.name),
            status,
            summary,
            details,
        });
    }

    let required_arns: Vec<String> = REQUIRED_POLICIES.iter().map(|r| r.arn(partition)).collect();
    for policy in role
        .attached
        .iter()
        .filter(|p| !required_arns.contains(&p.arn))
    {
        let look_alike = REQUIRED_POLICIES
            .iter()
            .find(|r| policy.name.eq_ignore_ascii_case(r.name));
        extras.push(match look_alike {
            Some(required) => Extra {
                kind: "look-alike-policy",
                value: policy.arn.clone(),
                message: format!(
                    "`{}` has the name of the AWS managed policy `{}` but is not it; detach it unless it is needed for something else: {}",
                    policy.arn,
                    required.arn(partition),
                    crate::shell::detach_command(&role.name, &policy.arn, global)
                ),
                warning: true,
            },
            None => Extra {
                kind: "policy",
                value: policy.arn.clone(),
                message: format!("`{}` is also attached", policy.arn),
                warning: false,
            },
        });
    }
    for name in &role.inline_policies {
        extras.push(Extra {
            kind: "inline-policy",
            value: name.clone(),
            message: format!("inline policy `{name}` is also embedded in the role"),
            warning: false,
        });
    }
    if let Some(boundary) = &role.permissions_boundary {
        extras.push(Extra {
            kind: "permissions-boundary",
            value: boundary.clone(),
            message: format!(
                "permissions boundary `{boundary}` caps what the managed policies grant; make sure it allows what ECS and SSM need"
            ),
            warning: true,
        });
    }

    match role.trust_assessment() {
        Ok(assessment) => {
            checks.push(Check {
                id: "trust-allows-ssm".into(),
                status: if assessment.allows_ssm {
                    Status::Pass
                } else {
                    Status::Fail
                },
                summary: if assessment.allows_ssm {
                    format!("the trust relationship allows {SSM_SERVICE} to call sts:AssumeRole")
                } else {
                    format!("the trust relationship does not let {SSM_SERVICE} call sts:AssumeRole")
                },
                details: assessment.problems.clone(),
            });
            for principal in &assessment.other_principals {
                let everyone = principal.starts_with("everyone");
                extras.push(Extra {
                    kind: "trust-principal",
                    value: principal.clone(),
                    message: if everyone {
                        format!("the trust relationship also trusts {principal}: anyone may be able to assume this role")
                    } else {
                        format!("the trust relationship also trusts {principal}")
                    },
                    warning: everyone,
                });
            }
            if assessment.allows_ssm && !assessment.hardened {
                recommendations.push(Recommendation {
                    id: "harden-trust",
                    message: format!(
                        "AWS recommends limiting {SSM_SERVICE} to your own account with an `aws:SourceAccount` (or `aws:SourceArn`) condition, against the confused-deputy problem"
                    ),
                    command: crate::shell::join(
                        ["ironiam", "ecs-anywhere", "ensure", "--role-name", &role.name, "--harden"]
                            .into_iter()
                            .chain(global.iter().map(String::as_str)),
                    ),
                });
            }
        }
        Err(message) => checks.push(Check {
            id: "trust-allows-ssm".into(),
            status: Status::Fail,
            summary: "the trust relationship could not be read".into(),
            details: vec![message],
        }),
    }
    finish(
        role_name,
        Some(role.arn.clone()),
        checks,
        extras,
        recommendations,
    )
}

fn finish(
    role_name: &str,
    role_arn: Option<String>,
    checks: Vec<Check>,
    extras: Vec<Extra>,
    recommendations: Vec<Recommendation>,
) -> Report {
    let ready = checks.iter().all(|c| c.status == Status::Pass);
    Report {
        status: if ready { "ready" } else { "needs-changes" },
        role_name: role_name.to_owned(),
        role_arn,
        ready,
        checks,
        extras,
        recommendations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const GUIDE_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    pub(crate) fn role(trust: &str, attached: &[&str]) -> RoleFacts {
        RoleFacts {
            name: "ecsAnywhereRole".into(),
            arn: "arn:aws:iam::123456789012:role/ecsAnywhereRole".into(),
            description: None,
            trust_document: trust.into(),
            attached: attached
                .iter()
                .map(|arn| AttachedPolicy {
                    name: arn.rsplit('/').next().unwrap_or_default().into(),
                    arn: (*arn).into(),
                })
                .collect(),
            inline_policies: vec![],
            permissions_boundary: None,
            region: "us-east-1".into(),
        }
    }

    const SSM: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    const ECS: &str = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";

    fn statuses(report: &Report) -> Vec<(String, Status)> {
        report
            .checks
            .iter()
            .map(|c| (c.id.clone(), c.status))
            .collect()
    }

    #[test]
    fn a_missing_role_fails_and_skips_the_rest() {
        let report = check("ecsAnywhereRole", None);
        assert!(!report.ready);
        assert_eq!(report.status, "needs-changes");
        assert_eq!(
            statuses(&report),
            vec![
                ("role-exists".into(), Status::Fail),
                (
                    "policy:AmazonSSMManagedInstanceCore".into(),
                    Status::Skipped
                ),
                (
                    "policy:AmazonEC2ContainerServiceforEC2Role".into(),
                    Status::Skipped
                ),
                ("trust-allows-ssm".into(), Status::Skipped),
            ]
        );
    }

    #[test]
    fn the_guide_role_is_ready_with_a_hardening_recommendation() {
        let report = check("ecsAnywhereRole", Some(&role(GUIDE_TRUST, &[SSM, ECS])));
        assert!(report.ready, "{report:?}");
        assert!(report.extras.is_empty());
        assert_eq!(report.recommendations.len(), 1);
        assert_eq!(report.recommendations[0].id, "harden-trust");
    }

    #[test]
    fn a_look_alike_is_named_and_fails_the_check() {
        let look_alike = "arn:aws:iam::123456789012:policy/AmazonEC2ContainerServiceforEC2Role";
        let report = check(
            "ecsAnywhereRole",
            Some(&role(GUIDE_TRUST, &[SSM, look_alike])),
        );
        assert!(!report.ready);
        let ecs = &report.checks[2];
        assert_eq!(ecs.status, Status::Fail);
        assert!(ecs.details[0].contains(look_alike), "{ecs:?}");
        assert_eq!(report.extras[0].kind, "look-alike-policy");
        assert!(report.extras[0].warning);
    }

    #[test]
    fn other_policies_and_principals_are_extras_not_failures() {
        let mut facts = role(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ssm.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#,
            &[SSM, ECS, "arn:aws:iam::aws:policy/ReadOnlyAccess"],
        );
        facts.inline_policies.push("extra".into());
        let report = check("ecsAnywhereRole", Some(&facts));
        assert!(report.ready, "{report:?}");
        let kinds: Vec<&str> = report.extras.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec!["policy", "inline-policy", "trust-principal"]);
    }

    #[test]
    fn the_partition_comes_from_the_role() {
        let mut facts = role(GUIDE_TRUST, &[]);
        facts.arn = "arn:aws-cn:iam::123456789012:role/ecsAnywhereRole".into();
        let report = check("ecsAnywhereRole", Some(&facts));
        assert!(report.checks[1]
            .summary
            .contains("arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore"));
    }

    #[test]
    fn an_unreadable_trust_fails() {
        let report = check("ecsAnywhereRole", Some(&role("not json", &[SSM, ECS])));
        assert_eq!(report.checks[3].status, Status::Fail);
        assert_eq!(
            report.checks[3].summary,
            "the trust relationship could not be read"
        );
    }
}
