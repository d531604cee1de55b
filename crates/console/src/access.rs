//! What a role can do, summarised from its policies the way the AWS console's
//! policy summary does: per service, the access levels its actions fall in.
//!
//! An action's level comes from AWS's Service Authorization Reference (the
//! snapshot `ironiam_policy` embeds): a wildcard grant such as `ssm:Get*`
//! counts the levels of every action it matches. Actions the reference does
//! not know are reported as unrecognised, as the AWS console does, rather
//! than guessed.

use std::collections::{BTreeMap, BTreeSet};

use ironiam_policy::{access_levels_matching, AccessLevel, Effect};

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

    const ALL: [Level; 5] = [
        Level::List,
        Level::Read,
        Level::Write,
        Level::Permissions,
        Level::Tagging,
    ];
}

impl From<AccessLevel> for Level {
    fn from(level: AccessLevel) -> Level {
        match level {
            AccessLevel::List => Level::List,
            AccessLevel::Read => Level::Read,
            AccessLevel::Write => Level::Write,
            AccessLevel::Tagging => Level::Tagging,
            AccessLevel::PermissionsManagement => Level::Permissions,
        }
    }
}

/// The levels of every action `action` (`service:Name`, wildcards allowed)
/// matches; empty for an action the reference does not know.
pub(crate) fn levels_of(action: &str) -> BTreeSet<Level> {
    access_levels_matching(action)
        .into_iter()
        .map(Level::from)
        .collect()
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
    /// Whether some granted action is not in the service reference.
    pub unrecognized: bool,
}

impl ServiceAccess {
    /// "Full access" or "List, Read, Write".
    pub(crate) fn levels_label(&self) -> String {
        if self.full {
            return "Full access".to_string();
        }
        let mut labels: Vec<&str> = self.levels.iter().map(|l| l.label()).collect();
        if self.unrecognized {
            labels.push("Unrecognized actions");
        }
        labels.join(", ")
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
        unrecognized: bool,
    }
    let mut by_prefix: BTreeMap<String, Acc> = BTreeMap::new();
    let mut denied = BTreeSet::new();
    for document in documents {
        let Ok(policy) = ironiam_policy::parse(document) else {
            continue;
        };
        for statement in policy.statements() {
            let Some(actions) = statement.action() else {
                continue;
            };
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
            // `levels`: `None` for every action of the service.
            let mut grant = |prefix: &str, levels: Option<BTreeSet<Level>>| {
                let acc = by_prefix.entry(prefix.to_ascii_lowercase()).or_insert(Acc {
                    full: false,
                    levels: BTreeSet::new(),
                    conditional: false,
                    limited: false,
                    unrecognized: false,
                });
                match levels {
                    Some(l) if l.is_empty() => acc.unrecognized = true,
                    Some(l) => acc.levels.extend(l),
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
                    Some((prefix, _)) => grant(prefix, Some(levels_of(action))),
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
            unrecognized: acc.unrecognized && !acc.full,
        })
        .collect();
    allowed.sort_by_key(|a| (a.prefix != "*", a.name.to_lowercase()));
    Summary { allowed, denied }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_come_from_the_service_reference() {
        assert_eq!(levels_of("iam:ListRoles"), BTreeSet::from([Level::List]));
        assert_eq!(
            levels_of("iam:PutRolePolicy"),
            BTreeSet::from([Level::Permissions])
        );
        assert_eq!(
            levels_of("ecs:TagResource"),
            BTreeSet::from([Level::Tagging])
        );
        assert_eq!(
            levels_of("ecs:RegisterContainerInstance"),
            BTreeSet::from([Level::Write])
        );
        assert_eq!(
            levels_of("ssm:GetParameters"),
            BTreeSet::from([Level::Read])
        );
        // Where a verb would mislead: CreateTags only tags, and a log
        // group's retention "policy" is not a permission.
        assert_eq!(
            levels_of("ec2:CreateTags"),
            BTreeSet::from([Level::Tagging])
        );
        assert_eq!(
            levels_of("logs:PutRetentionPolicy"),
            BTreeSet::from([Level::Write])
        );
        assert!(levels_of("ssm:Get*").contains(&Level::Read));
        assert!(levels_of("ecs:Submit*").iter().all(|l| *l == Level::Write));
        assert!(levels_of("ecs:NoSuchAction").is_empty());
    }

    #[test]
    fn unknown_actions_are_unrecognized_not_guessed() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:ListClusters","ecs:MadeUpThing"],"Resource":"*"}]}"#;
        let s = summarise([doc]);
        let ecs = s.allowed.iter().find(|a| a.prefix == "ecs").unwrap();
        assert_eq!(ecs.levels, BTreeSet::from([Level::List]));
        assert!(ecs.unrecognized);
        assert_eq!(ecs.levels_label(), "List, Unrecognized actions");
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
