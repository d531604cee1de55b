//! What `ensure` must change, decided from what was read (pure, no I/O).
//!
//! The plan follows the guide's steps — create the role with the SSM trust,
//! fix the trust, attach the two managed policies — and contains only the
//! steps still needed, so running it twice changes nothing the second time.
//! It never detaches a policy or deletes anything: extras are reported, and
//! only a trust policy that keeps SSM out is replaced.

use serde::Serialize;
use serde_json::Value;

use crate::checklist::{RoleFacts, REQUIRED_POLICIES};
use crate::shell;
use crate::trust;

/// What the user asked `ensure` for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnsureOptions {
    /// The role to create or repair.
    pub role_name: String,
    /// The description to create the role with (and to set if it differs).
    pub description: Option<String>,
    /// When the trust must be replaced, keep its statements that are not about SSM.
    pub keep_extra: bool,
    /// Add the `aws:SourceAccount` condition for this account (the caller's).
    pub harden_account: Option<String>,
    /// The partition of the policy ARNs when the role does not exist yet.
    pub default_partition: String,
    /// Options appended to the `aws iam` commands a note suggests.
    pub global: Vec<String>,
}

/// One change, the equivalent of one `aws iam` command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Change {
    /// `CreateRole` with the SSM trust policy.
    CreateRole {
        /// The role name.
        role_name: String,
        /// The trust policy document.
        trust_policy: Value,
        /// The description, if asked for.
        description: Option<String>,
    },
    /// `UpdateAssumeRolePolicy`.
    UpdateAssumeRolePolicy {
        /// The role name.
        role_name: String,
        /// The new trust policy document.
        trust_policy: Value,
    },
    /// `UpdateRole` to set the description.
    UpdateRoleDescription {
        /// The role name.
        role_name: String,
        /// The new description.
        description: String,
    },
    /// `AttachRolePolicy`.
    AttachRolePolicy {
        /// The role name.
        role_name: String,
        /// The managed policy ARN.
        policy_arn: String,
    },
}

impl Change {
    /// The `aws iam …` command that makes this change, complete and quoted for
    /// a POSIX shell; `global` are extra options appended to every command
    /// (`--endpoint-url URL`, `--region R`, `--profile P`).
    pub fn aws_cli(&self, global: &[String]) -> String {
        let mut words: Vec<String> = vec!["aws".into(), "iam".into()];
        let mut add = |items: &[&str]| words.extend(items.iter().map(|s| (*s).to_owned()));
        match self {
            Change::CreateRole {
                role_name,
                trust_policy,
                description,
            } => {
                add(&[
                    "create-role",
                    "--role-name",
                    role_name,
                    "--assume-role-policy-document",
                    &trust_policy.to_string(),
                ]);
                if let Some(description) = description {
                    add(&["--description", description]);
                }
            }
            Change::UpdateAssumeRolePolicy {
                role_name,
                trust_policy,
            } => {
                add(&[
                    "update-assume-role-policy",
                    "--role-name",
                    role_name,
                    "--policy-document",
                    &trust_policy.to_string(),
                ]);
            }
            Change::UpdateRoleDescription {
                role_name,
                description,
            } => {
                add(&[
                    "update-role",
                    "--role-name",
                    role_name,
                    "--description",
                    description,
                ]);
            }
            Change::AttachRolePolicy {
                role_name,
                policy_arn,
            } => {
                add(&[
                    "attach-role-policy",
                    "--role-name",
                    role_name,
                    "--policy-arn",
                    policy_arn,
                ]);
            }
        }
        words.extend(global.iter().cloned());
        shell::join(&words)
    }

    /// One line saying what the change does.
    pub fn describe(&self) -> String {
        match self {
            Change::CreateRole {
                role_name,
                description,
                ..
            } => match description {
                Some(_) => format!(
                    "create role `{role_name}` trusting {} (with a description)",
                    trust::SSM_SERVICE
                ),
                None => format!("create role `{role_name}` trusting {}", trust::SSM_SERVICE),
            },
            Change::UpdateAssumeRolePolicy { role_name, .. } => {
                format!("replace the trust policy of `{role_name}`")
            }
            Change::UpdateRoleDescription { role_name, .. } => {
                format!("set the description of `{role_name}`")
            }
            Change::AttachRolePolicy {
                role_name,
                policy_arn,
            } => format!("attach `{policy_arn}` to `{role_name}`"),
        }
    }
}

/// The changes, and what a person should know about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// In order.
    pub changes: Vec<Change>,
    /// What the trust rewrite drops or changes, and what is left as it is.
    pub notes: Vec<String>,
}

/// Plans the changes that make `role` (`None`: no such role) ready.
pub fn plan(role: Option<&RoleFacts>, options: &EnsureOptions) -> Plan {
    let harden = options.harden_account.as_deref();
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    let Some(role) = role else {
        changes.push(Change::CreateRole {
            role_name: options.role_name.clone(),
            trust_policy: trust::guide_trust(harden),
            description: options.description.clone(),
        });
        for required in REQUIRED_POLICIES {
            changes.push(Change::AttachRolePolicy {
                role_name: options.role_name.clone(),
                policy_arn: required.arn(&options.default_partition),
            });
        }
        return Plan { changes, notes };
    };

    // Use IAM's spelling of the name from here on (names are case-insensitive).
    let role_name = role.name.clone();
    let parsed = role.trust();
    let assessment = parsed
        .policy
        .as_ref()
        .ok()
        .map(|p| trust::assess(p, &role.subject()));
    let allows_ssm = assessment.as_ref().is_some_and(|a| a.allows_ssm);
    let hardened = assessment.as_ref().is_some_and(|a| a.hardened);
    let rewrite = if !allows_ssm {
        // The guide: "If the trust relationship does not match, copy the policy
        // into the Policy Document window" — a wrong trust is replaced.
        Some(options.keep_extra)
    } else if harden.is_some() && !hardened {
        // A working trust is only being hardened: keep everything else in it.
        Some(true)
    } else {
        None
    };
    if let Some(keep_others) = rewrite {
        let (document, mut changed) =
            trust::rewrite(&parsed.json, keep_others, harden, &role.subject());
        if !allows_ssm
            && !options.keep_extra
            && assessment
                .as_ref()
                .is_some_and(|a| !a.other_principals.is_empty())
        {
            changed.push(format!(
                "the old trust also trusted {}; use --keep-extra to keep statements not about SSM",
                assessment
                    .as_ref()
                    .map(|a| a.other_principals.join(", "))
                    .unwrap_or_default()
            ));
        }
        notes.extend(changed);
        changes.push(Change::UpdateAssumeRolePolicy {
            role_name: role_name.clone(),
            trust_policy: document,
        });
    }
    if let Some(description) = &options.description {
        if role.description.as_deref() != Some(description.as_str()) {
            changes.push(Change::UpdateRoleDescription {
                role_name: role_name.clone(),
                description: description.clone(),
            });
        }
    }
    let partition = role.partition();
    for required in REQUIRED_POLICIES {
        let arn = required.arn(partition);
        if !role.has_attached(&arn) {
            changes.push(Change::AttachRolePolicy {
                role_name: role_name.clone(),
                policy_arn: arn,
            });
        }
    }
    let required_arns: Vec<String> = REQUIRED_POLICIES.iter().map(|r| r.arn(partition)).collect();
    for policy in &role.attached {
        if !required_arns.contains(&policy.arn)
            && REQUIRED_POLICIES
                .iter()
                .any(|r| r.name.eq_ignore_ascii_case(&policy.name))
        {
            notes.push(format!(
                "look-alike `{}` stays attached (ensure never detaches); detach it unless it is needed: {}",
                policy.arn,
                shell::detach_command(&role_name, &policy.arn, &options.global)
            ));
        }
    }
    Plan { changes, notes }
}

/// The partition for a region name, for ARNs of a role not created yet.
pub fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::{check, AttachedPolicy};
    use serde_json::json;

    const SSM: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    const ECS: &str = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";
    const GUIDE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    const EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    fn options() -> EnsureOptions {
        EnsureOptions {
            role_name: "ecsAnywhereRole".into(),
            description: None,
            keep_extra: false,
            harden_account: None,
            default_partition: "aws".into(),
            global: vec![],
        }
    }

    fn role(trust: &str, attached: &[&str]) -> RoleFacts {
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

    /// Applies a plan to facts the way IAM would, for idempotence checks.
    fn apply(mut facts: Option<RoleFacts>, plan: &Plan) -> RoleFacts {
        for change in &plan.changes {
            match change {
                Change::CreateRole {
                    trust_policy,
                    description,
                    ..
                } => {
                    let mut created = role(&trust_policy.to_string(), &[]);
                    created.description = description.clone();
                    facts = Some(created);
                }
                Change::UpdateAssumeRolePolicy { trust_policy, .. } => {
                    if let Some(f) = facts.as_mut() {
                        f.trust_document = trust_policy.to_string();
                    }
                }
                Change::UpdateRoleDescription { description, .. } => {
                    if let Some(f) = facts.as_mut() {
                        f.description = Some(description.clone());
                    }
                }
                Change::AttachRolePolicy { policy_arn, .. } => {
                    if let Some(f) = facts.as_mut() {
                        f.attached.push(AttachedPolicy {
                            name: policy_arn.rsplit('/').next().unwrap_or_default().into(),
                            arn: policy_arn.clone(),
                        });
                    }
                }
            }
        }
        facts.expect("a plan for a missing role creates it")
    }

    fn converges(start: Option<RoleFacts>, options: &EnsureOptions) -> (Plan, RoleFacts) {
        let first = plan(start.as_ref(), options);
        let end = apply(start, &first);
        assert!(check("ecsAnywhereRole", Some(&end)).ready, "{end:?}");
        assert_eq!(
            plan(Some(&end), options).changes,
            vec![],
            "second ensure must change nothing"
        );
        (first, end)
    }

    #[test]
    fn every_starting_state_converges_in_one_run() {
        let look_alike = "arn:aws:iam::123456789012:policy/AmazonEC2ContainerServiceforEC2Role";
        let starts = [
            None,
            Some(role(EC2, &[ECS])),
            Some(role(GUIDE, &[SSM])),
            Some(role(GUIDE, &[ECS])),
            Some(role(GUIDE, &[])),
            Some(role(GUIDE, &[SSM, look_alike])),
            Some(role(
                GUIDE,
                &[SSM, ECS, "arn:aws:iam::aws:policy/ReadOnlyAccess"],
            )),
        ];
        for start in starts {
            for keep_extra in [false, true] {
                for harden in [None, Some("123456789012".to_owned())] {
                    let options = EnsureOptions {
                        keep_extra,
                        harden_account: harden.clone(),
                        ..options()
                    };
                    let (_, end) = converges(start.clone(), &options);
                    if harden.is_some() {
                        assert!(end.trust_assessment().unwrap().hardened);
                    }
                }
            }
        }
    }

    #[test]
    fn a_missing_role_is_created_as_the_guide_does() {
        let options = EnsureOptions {
            description: Some("Allows on-premises servers".into()),
            ..options()
        };
        let plan = plan(None, &options);
        let commands: Vec<String> = plan.changes.iter().map(|c| c.aws_cli(&[])).collect();
        assert_eq!(
            commands,
            vec![
                r#"aws iam create-role --role-name ecsAnywhereRole --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}' --description 'Allows on-premises servers'"#.to_owned(),
                "aws iam attach-role-policy --role-name ecsAnywhereRole --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore".to_owned(),
                "aws iam attach-role-policy --role-name ecsAnywhereRole --policy-arn arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role".to_owned(),
            ]
        );
    }

    #[test]
    fn the_console_role_gets_its_trust_replaced_and_ssm_attached() {
        let plan = plan(Some(&role(EC2, &[ECS])), &options());
        assert_eq!(
            plan.changes,
            vec![
                Change::UpdateAssumeRolePolicy {
                    role_name: "ecsAnywhereRole".into(),
                    trust_policy: trust::guide_trust(None)
                },
                Change::AttachRolePolicy {
                    role_name: "ecsAnywhereRole".into(),
                    policy_arn: SSM.into()
                },
            ]
        );
        assert!(
            plan.notes.iter().any(|n| n.contains("--keep-extra")),
            "{plan:?}"
        );
    }

    #[test]
    fn keep_extra_keeps_the_ec2_statement() {
        let options = EnsureOptions {
            keep_extra: true,
            ..options()
        };
        let plan = plan(Some(&role(EC2, &[SSM, ECS])), &options);
        let Change::UpdateAssumeRolePolicy { trust_policy, .. } = &plan.changes[0] else {
            panic!("{plan:?}");
        };
        assert_eq!(
            trust_policy["Statement"],
            json!([trust::ssm_statement(None), {"Sid":"","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}])
        );
    }

    #[test]
    fn a_working_trust_with_extras_is_left_alone_unless_hardening() {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ssm.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(
            plan(Some(&role(trust, &[SSM, ECS])), &options()).changes,
            vec![]
        );
        let hardening = EnsureOptions {
            harden_account: Some("123456789012".into()),
            ..options()
        };
        let plan = plan(Some(&role(trust, &[SSM, ECS])), &hardening);
        let Change::UpdateAssumeRolePolicy { trust_policy, .. } = &plan.changes[0] else {
            panic!("{plan:?}");
        };
        assert_eq!(
            trust_policy["Statement"],
            json!([trust::ssm_statement(Some("123456789012")),
                   {"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}])
        );
    }

    #[test]
    fn a_hardened_trust_is_not_unhardened() {
        let trust = trust::guide_trust(Some("123456789012")).to_string();
        assert_eq!(
            plan(Some(&role(&trust, &[SSM, ECS])), &options()).changes,
            vec![]
        );
    }

    #[test]
    fn a_description_is_set_only_when_it_differs() {
        let options = EnsureOptions {
            description: Some("d".into()),
            ..options()
        };
        let mut facts = role(GUIDE, &[SSM, ECS]);
        assert_eq!(plan(Some(&facts), &options).changes.len(), 1);
        facts.description = Some("d".into());
        assert_eq!(plan(Some(&facts), &options).changes, vec![]);
    }

    #[test]
    fn look_alikes_are_never_detached_but_named() {
        let look_alike = "arn:aws:iam::123456789012:policy/AmazonEC2ContainerServiceforEC2Role";
        let plan = plan(Some(&role(GUIDE, &[SSM, look_alike])), &options());
        assert_eq!(
            plan.changes,
            vec![Change::AttachRolePolicy {
                role_name: "ecsAnywhereRole".into(),
                policy_arn: ECS.into()
            }]
        );
        assert!(plan.notes[0].contains(look_alike));
    }

    #[test]
    fn global_options_are_appended_and_quoted() {
        let change = Change::AttachRolePolicy {
            role_name: "r".into(),
            policy_arn: SSM.into(),
        };
        assert_eq!(
            change.aws_cli(&["--endpoint-url".into(), "http://127.0.0.1:4566".into(), "--profile".into(), "my profile".into()]),
            "aws iam attach-role-policy --role-name r --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore --endpoint-url http://127.0.0.1:4566 --profile 'my profile'"
        );
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_for_region("us-east-1"), "aws");
        assert_eq!(partition_for_region("cn-north-1"), "aws-cn");
        assert_eq!(partition_for_region("us-gov-west-1"), "aws-us-gov");
    }
}
