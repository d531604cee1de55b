//! What a role can do, summarised from its policies the way the AWS console's
//! policy summary does: per service, the access levels its actions fall in.
//!
//! AWS classifies each of its ~17,000 actions by hand (the Service
//! Authorization Reference). ironiam does not ship that table yet, so an
//! action's level is read from its verb, which agrees with AWS for the common
//! verbs: `List*` is List; `Get*`, `Describe*`, `BatchGet*`… are Read;
//! `Tag*`/`Untag*` are Tagging; verbs that change policies, permissions,
//! grants or ACLs are Permissions management; the rest is Write.
//! [`classify`] is the one place to swap for the real table.

use std::collections::{BTreeMap, BTreeSet};

use ironiam_policy::Effect;

/// An access level, in the order the AWS console lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// List.
    List,
    /// Read.
    Read,
    /// Write.
    Write,
    /// Permissions management.
    Permissions,
    /// Tagging.
    Tagging,
}

impl Level {
    /// The label the console shows.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Level::List => "List",
            Level::Read => "Read",
            Level::Write => "Write",
            Level::Permissions => "Permissions management",
            Level::Tagging => "Tagging",
        }
    }

    const ALL: [Level; 5] = [Level::List, Level::Read, Level::Write, Level::Permissions, Level::Tagging];
}

/// The access level of `action` (the part after `service:`), wildcards allowed.
pub(crate) fn classify(action: &str) -> Level {
    let a = action.trim_start_matches('*').to_ascii_lowercase();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| a.starts_with(p));
    if starts(&["tag", "untag"]) {
        return Level::Tagging;
    }
    if starts(&["list"]) {
        return Level::List;
    }
    let changes = starts(&["put", "attach", "detach", "delete", "create", "set", "update", "replace", "add", "remove", "revoke", "retire", "grant"]);
    if changes && (a.contains("policy") || a.contains("permission") || a.contains("grant") || a.contains("acl")) {
        return Level::Permissions;
    }
    if starts(&[
        "get", "describe", "batchget", "head", "query", "scan", "select", "search", "lookup", "read", "view", "download",
        "preview", "estimate", "detect", "filter",
    ]) {
        return Level::Read;
    }
    Level::Write
}

/// What one service grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceAccess {
    /// The action prefix (`ecs`), or `*` for every service.
    pub prefix: String,
    /// Its name as people say it.
    pub name: String,
    /// Every action of the service (`ecs:*`, `*`).
    pub full: bool,
    /// The levels granted (all five when `full`).
    pub levels: BTreeSet<Level>,
    /// Whether some grant carries a `Condition`.
    pub conditional: bool,
    /// Whether some grant is limited to particular resources.
    pub limited: bool,
}

impl ServiceAccess {
    /// "Full access" or "List, Read, Write".
    pub(crate) fn levels_label(&self) -> String {
        if self.full {
            return "Full access".to_string();
        }
        self.levels.iter().map(|l| l.label()).collect::<Vec<_>>().join(", ")
    }

    /// The levels, short, for the picture's chips.
    pub(crate) fn chips(&self) -> Vec<&'static str> {
        if self.full {
            return vec!["Full access"];
        }
        self.levels
            .iter()
            .map(|l| match l {
                Level::Permissions => "Permissions",
                other => other.label(),
            })
            .collect()
    }
}

/// A summary of some policies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Services granted, by name.
    pub allowed: Vec<ServiceAccess>,
    /// Services some statement explicitly denies.
    pub denied: BTreeSet<String>,
}

/// A service prefix's name, for the prefixes IAM roles most often meet.
pub(crate) fn service_name(prefix: &str) -> String {
    let known = match prefix {
        "*" => "All services",
        "acm" => "Certificate Manager",
        "application-autoscaling" => "Application Auto Scaling",
        "autoscaling" => "EC2 Auto Scaling",
        "cloudformation" => "CloudFormation",
        "cloudwatch" => "CloudWatch",
        "dynamodb" => "DynamoDB",
        "ec2" => "EC2",
        "ec2messages" => "Message Delivery Service",
        "ecr" => "Elastic Container Registry",
        "ecs" => "Elastic Container Service",
        "eks" => "Elastic Kubernetes Service",
        "elasticloadbalancing" => "Elastic Load Balancing",
        "events" => "EventBridge",
        "iam" => "IAM",
        "kms" => "Key Management Service",
        "lambda" => "Lambda",
        "logs" => "CloudWatch Logs",
        "s3" => "S3",
        "secretsmanager" => "Secrets Manager",
        "sns" => "SNS",
        "sqs" => "SQS",
        "ssm" => "Systems Manager",
        "ssmmessages" => "Session Manager Messages",
        "sts" => "STS",
        "tag" => "Resource Group Tagging",
        "xray" => "X-Ray",
        _ => return prefix.to_string(),
    };
    known.to_string()
}

/// Summarises the `Allow` statements of `documents` (unparseable documents
/// are skipped: the console shows them as they are elsewhere).
pub(crate) fn summarise<'a>(documents: impl IntoIterator<Item = &'a str>) -> Summary {
    struct Acc {
        full: bool,
        levels: BTreeSet<Level>,
        conditional: bool,
        limited: bool,
    }
    let mut by_prefix: BTreeMap<String, Acc> = BTreeMap::new();
    let mut denied = BTreeSet::new();
    for document in documents {
        let Ok(policy) = ironiam_policy::parse(document) else { continue };
        for statement in policy.statements() {
            let Some(actions) = statement.action() else { continue };
            if statement.effect() == Effect::Deny {
                if !actions.polarity.is_negated() {
                    for action in actions.values.iter() {
                        denied.insert(service_name(action.split(':').next().unwrap_or(action)));
                    }
                }
                continue;
            }
            let conditional = statement.condition().is_some();
            let limited = statement
                .resource()
                .is_some_and(|r| r.polarity.is_negated() || r.values.iter().all(|v| v != "*"));
            let mut grant = |prefix: &str, level: Option<Level>| {
                let acc = by_prefix.entry(prefix.to_ascii_lowercase()).or_insert(Acc {
                    full: false,
                    levels: BTreeSet::new(),
                    conditional: false,
                    limited: false,
                });
                match level {
                    Some(l) => {
                        acc.levels.insert(l);
                    }
                    None => {
                        acc.full = true;
                        acc.levels.extend(Level::ALL);
                    }
                }
                acc.conditional |= conditional;
                acc.limited |= limited;
            };
            if actions.polarity.is_negated() {
                // NotAction with Allow grants everything but a few actions.
                grant("*", None);
                continue;
            }
            for action in actions.values.iter() {
                match action.split_once(':') {
                    None => grant("*", None),
                    Some((prefix, name)) if name.chars().all(|c| c == '*') => grant(prefix, None),
                    Some((prefix, name)) => grant(prefix, Some(classify(name))),
                }
            }
        }
    }
    let mut allowed: Vec<ServiceAccess> = by_prefix
        .into_iter()
        .map(|(prefix, acc)| ServiceAccess {
            name: service_name(&prefix),
            prefix,
            full: acc.full,
            levels: acc.levels,
            conditional: acc.conditional,
            limited: acc.limited,
        })
        .collect();
    allowed.sort_by_key(|a| (a.prefix != "*", a.name.to_lowercase()));
    Summary { allowed, denied }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs() {
        assert_eq!(classify("ListRoles"), Level::List);
        assert_eq!(classify("DescribeTags"), Level::Read);
        assert_eq!(classify("Get*"), Level::Read);
        assert_eq!(classify("PutRolePolicy"), Level::Permissions);
        assert_eq!(classify("TagResource"), Level::Tagging);
        assert_eq!(classify("RegisterContainerInstance"), Level::Write);
        assert_eq!(classify("Submit*"), Level::Write);
    }

    #[test]
    fn ecs_instance_role_policy() {
        let arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";
        let c = ironiam_catalog::catalog();
        let doc = c.document(c.get(arn).unwrap());
        let s = summarise([doc.as_str()]);
        let ecs = s.allowed.iter().find(|a| a.prefix == "ecs").unwrap();
        assert!(ecs.levels.contains(&Level::Write), "{ecs:?}");
        assert!(s.allowed.iter().any(|a| a.prefix == "ecr"));
        assert!(s.allowed.iter().any(|a| a.prefix == "logs"));
    }

    #[test]
    fn wildcards_and_denies() {
        let doc = r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
          {"Effect":"Allow","Action":"*","Resource":"*"},
          {"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#;
        let s = summarise([doc]);
        assert_eq!(s.allowed[0].prefix, "*");
        let s3 = s.allowed.iter().find(|a| a.prefix == "s3").unwrap();
        assert!(s3.full && s3.limited);
        assert_eq!(s3.levels_label(), "Full access");
        assert!(s.denied.contains("IAM"));
    }
}
