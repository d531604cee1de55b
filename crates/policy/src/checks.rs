//! The checks AWS runs after the grammar, per kind of policy, in AWS's order.
//!
//! AWS reports only the *first* problem, so the order of the checks decides
//! which message a client sees. Each problem is tagged with the [`Stage`] that
//! finds it; [`crate::findings`] sorts by stage (stably, so document order is
//! kept within a stage) and [`crate::validate`] reports the first error.
//!
//! The order of the stages up to [`Stage::ActionFormat`] was established from
//! AWS's answers to `CreatePolicy` recorded in localstack's
//! `tests/aws/services/iam/test_iam_policies.snapshot.json` (2026-02), e.g.:
//! an unknown Version beats everything but JSON (invalid-3); a missing Version
//! beats a badly cased Effect (invalid-66) and a duplicate Sid (invalid-60);
//! legacy parsing beats missing actions (invalid-37, 67); a duplicate Sid beats
//! missing actions (invalid-59); missing resources beat a malformed action
//! (invalid-29); a malformed resource beats a malformed action (invalid-18).
//! Where the kind-specific stages fall relative to those is not recorded
//! anywhere we could find; the placement below is our best guess and says so.

use std::collections::HashSet;

use crate::ast::{ConditionValue, OneOrMany, Policy, PrincipalValue, Statement, Version};
use crate::error::{Problem, ResourceIssue, IAM_RESOURCE_PREFIXES};
use crate::principal::{self, PARTITIONS};
use crate::PolicyKind;

/// When, in AWS's order of checks, a problem is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    /// The text is not a JSON object.
    Json,
    /// The grammar ("Syntax errors in policy.").
    Syntax,
    /// Managed policies must be `2012-10-17`.
    Version,
    /// Fields a kind forbids. Placement relative to the version check is a
    /// guess; a Principal in an identity policy does beat missing resources
    /// (hashicorp/terraform#13449).
    ProhibitedFields,
    /// Fields a kind requires. A prohibited field is reported first: an
    /// identity policy sent to CreateRole gets "Has prohibited field Resource",
    /// not a complaint about its missing Principal (kubernetes-sigs/external-dns#3085).
    RequiredFields,
    /// AWS's older second parser.
    Legacy,
    /// `Sid` characters. Placement is a guess.
    SidFormat,
    /// `Sid` uniqueness.
    SidUnique,
    /// Statements without actions.
    Actions,
    /// Statements without resources.
    Resources,
    /// Resource format errors, found during legacy parsing but reported here.
    ResourceFormat,
    /// Action format errors.
    ActionFormat,
    /// Principal values (trust and resource policies). Placement is a guess.
    Principals,
    /// Trust policy actions. Placement is a guess.
    TrustActions,
    /// Warnings, which AWS never reports.
    Advice,
}

/// A problem with its stage and statement, before it is rendered for a kind.
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub stage: Stage,
    pub statement: Option<usize>,
    pub problem: Problem,
}

impl Issue {
    pub(crate) fn new(stage: Stage, statement: Option<usize>, problem: Problem) -> Issue {
        Issue {
            stage,
            statement,
            problem,
        }
    }
}

/// What a kind of policy requires of `Principal`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PrincipalRule {
    Forbidden,
    Required,
}

/// What a kind of policy requires of `Resource`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResourceRule {
    Required,
    Prohibited,
}

struct Rules {
    principal: PrincipalRule,
    resource: ResourceRule,
    requires_current_version: bool,
    alphanumeric_sids: bool,
    trust_actions_only: bool,
}

fn rules(kind: PolicyKind) -> Rules {
    match kind {
        PolicyKind::Identity | PolicyKind::Session => Rules {
            principal: PrincipalRule::Forbidden,
            resource: ResourceRule::Required,
            requires_current_version: false,
            alphanumeric_sids: true,
            trust_actions_only: false,
        },
        PolicyKind::Managed | PolicyKind::PermissionsBoundary => Rules {
            principal: PrincipalRule::Forbidden,
            resource: ResourceRule::Required,
            requires_current_version: true,
            alphanumeric_sids: true,
            trust_actions_only: false,
        },
        PolicyKind::Trust => Rules {
            principal: PrincipalRule::Required,
            resource: ResourceRule::Prohibited,
            requires_current_version: false,
            alphanumeric_sids: true,
            trust_actions_only: true,
        },
        // Resource policies of other services (S3, SQS, KMS…) allow any Sid.
        PolicyKind::ResourceBased => Rules {
            principal: PrincipalRule::Required,
            resource: ResourceRule::Required,
            requires_current_version: false,
            alphanumeric_sids: false,
            trust_actions_only: false,
        },
    }
}

/// Runs every post-grammar check on `policy` for `kind`. `indices[i]` is the
/// document index of `policy.statements()[i]`.
/// Whether [`check`] runs the warnings that need AWS's service reference
/// (loading it costs a few milliseconds once; `validate` never reports them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Advice {
    With,
    Without,
}

pub(crate) fn check(
    policy: &Policy,
    indices: &[usize],
    kind: PolicyKind,
    advice: Advice,
    issues: &mut Vec<Issue>,
) {
    let rules = rules(kind);
    let statements: Vec<(usize, &Statement)> =
        indices.iter().copied().zip(policy.statements()).collect();

    // Version.
    if rules.requires_current_version && policy.version() != Some(Version::V2012_10_17) {
        issues.push(Issue::new(
            Stage::Version,
            None,
            Problem::VersionTooOld {
                found: policy.version(),
            },
        ));
    } else if policy.version().is_none() {
        issues.push(Issue::new(Stage::Advice, None, Problem::VersionMissing));
    }

    for &(index, statement) in &statements {
        check_kind_fields(&rules, index, statement, issues);
        check_legacy_statement(index, statement, issues);
    }
    check_resources_legacy_and_format(&statements, issues);

    let mut seen_sids = HashSet::new();
    for &(index, statement) in &statements {
        if let Some(sid) = statement.sid() {
            if rules.alphanumeric_sids && !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
                issues.push(Issue::new(
                    Stage::SidFormat,
                    Some(index),
                    Problem::SidNotAlphanumeric {
                        sid: sid.to_owned(),
                    },
                ));
            }
            // Empty Sids may repeat (localstack snapshot, valid-49).
            if !sid.is_empty() && !seen_sids.insert(sid) {
                issues.push(Issue::new(
                    Stage::SidUnique,
                    Some(index),
                    Problem::DuplicateSid {
                        sid: sid.to_owned(),
                    },
                ));
            }
        }

        if none_or(statement.action(), |action| action.values.is_empty()) {
            issues.push(Issue::new(
                Stage::Actions,
                Some(index),
                Problem::MissingActions,
            ));
        }
        if rules.resource == ResourceRule::Required
            && none_or(statement.resource(), |resource| resource.values.is_empty())
        {
            issues.push(Issue::new(
                Stage::Resources,
                Some(index),
                Problem::MissingResources,
            ));
        }

        if let Some(action) = statement.action() {
            for value in action.values.iter() {
                if let Some(problem) = action_format_problem(value) {
                    issues.push(Issue::new(Stage::ActionFormat, Some(index), problem));
                }
            }
        }

        if rules.principal == PrincipalRule::Required {
            check_principal_values(index, statement, issues);
        }
        if rules.trust_actions_only {
            check_trust_actions(index, statement, issues);
        }
        advise(policy, index, statement, issues);
        if advice == Advice::With {
            advise_from_reference(kind, index, statement, issues);
        }
    }
}

fn check_kind_fields(rules: &Rules, index: usize, statement: &Statement, issues: &mut Vec<Issue>) {
    match (rules.principal, statement.principal()) {
        (PrincipalRule::Forbidden, Some(principal)) => issues.push(Issue::new(
            Stage::ProhibitedFields,
            Some(index),
            Problem::PrincipalNotAllowed {
                field: principal.field_name(),
            },
        )),
        (PrincipalRule::Required, None) => issues.push(Issue::new(
            Stage::RequiredFields,
            Some(index),
            Problem::MissingPrincipal,
        )),
        // `{}` or `{"AWS": []}` names nobody: treated as missing.
        (PrincipalRule::Required, Some(principal)) => {
            if let PrincipalValue::Map(entries) = &principal.value {
                if entries.iter().all(|(_, values)| values.is_empty()) {
                    issues.push(Issue::new(
                        Stage::RequiredFields,
                        Some(index),
                        Problem::MissingPrincipal,
                    ));
                }
            }
        }
        (PrincipalRule::Forbidden, None) => {}
    }
    if rules.resource == ResourceRule::Prohibited {
        if let Some(resource) = statement.resource() {
            issues.push(Issue::new(
                Stage::ProhibitedFields,
                Some(index),
                Problem::ProhibitedField {
                    field: resource.field_name(),
                },
            ));
        }
    }
}

/// The legacy parser's checks of `Effect` and of `Date…` condition values.
fn check_legacy_statement(index: usize, statement: &Statement, issues: &mut Vec<Issue>) {
    // The grammar matched Effect case-insensitively; the legacy parser does not
    // (snapshot invalid-63 "denY", invalid-69 "allow").
    if statement.effect_spelling() != statement.effect().as_str() {
        issues.push(Issue::new(
            Stage::Legacy,
            Some(index),
            Problem::LegacyParsing {
                detail: format!(
                    "effect `{}` must be spelled `{}`",
                    statement.effect_spelling(),
                    statement.effect()
                ),
            },
        ));
    }
    let Some(condition) = statement.condition() else {
        return;
    };
    for block in &condition.blocks {
        if !block.operator.base.is_some_and(|base| base.is_date()) {
            continue;
        }
        for entry in &block.entries {
            for value in entry.values.iter() {
                if !legacy_date_ok(value) {
                    issues.push(Issue::new(
                        Stage::Legacy,
                        Some(index),
                        Problem::LegacyParsing {
                            detail: format!(
                                "`{}` is not a date for `{}`",
                                value.as_text(),
                                block.operator.raw
                            ),
                        },
                    ));
                }
            }
        }
    }
}

/// Resource format and legacy checks, in AWS's peculiar arrangement: format
/// errors are found during legacy parsing but reported only after the action
/// and resource presence checks, and once one is found the legacy check of
/// resources is skipped for the rest of the document (snapshot invalid-25: an
/// invalid partition is reported even though the second resource would fail
/// legacy parsing).
fn check_resources_legacy_and_format(statements: &[(usize, &Statement)], issues: &mut Vec<Issue>) {
    let mut format_error_seen = false;
    for &(index, statement) in statements {
        let Some(resource) = statement.resource() else {
            continue;
        };
        for value in resource.values.iter() {
            if let Some(issue) = resource_format_issue(value) {
                format_error_seen = true;
                issues.push(Issue::new(
                    Stage::ResourceFormat,
                    Some(index),
                    Problem::MalformedResource {
                        resource: value.clone(),
                        issue,
                    },
                ));
            }
        }
        if format_error_seen {
            continue;
        }
        for value in resource.values.iter() {
            if !legacy_resource_ok(value) {
                issues.push(Issue::new(
                    Stage::Legacy,
                    Some(index),
                    Problem::LegacyParsing {
                        detail: format!("resource `{value}` is not a well-formed ARN"),
                    },
                ));
            }
        }
    }
}

/// Splits at the first `:` like Python's `str.partition`.
fn partition(text: &str) -> (&str, Option<&str>) {
    match text.split_once(':') {
        Some((head, tail)) => (head, Some(tail)),
        None => (text, None),
    }
}

/// AWS's resource format rules, as recorded in localstack's snapshot.
fn resource_format_issue(resource: &str) -> Option<ResourceIssue> {
    if resource == "*" {
        return None;
    }
    // The first field is not checked to be "arn" (snapshot invalid-24:
    // "aws:s3:::example_bucket" is reported as partition "s3").
    let (_, Some(after_prefix)) = partition(resource) else {
        return Some(ResourceIssue::NotArn);
    };
    let (partition_name, rest) = partition(after_prefix);
    if partition_name != "*" && !PARTITIONS.contains(&partition_name) {
        let rendered = render_for_partition_error(partition_name, rest.unwrap_or(""));
        return Some(ResourceIssue::InvalidPartition {
            partition: partition_name.to_owned(),
            rendered,
        });
    }
    let Some(rest) = rest else {
        return Some(ResourceIssue::VendorNotQualified);
    };
    let (service, after_service) = partition(rest);
    let after_service = after_service.unwrap_or("");
    let (_region, after_region) = partition(after_service);
    let (_account, resource_id) = partition(after_region.unwrap_or(""));
    let resource_id = resource_id.unwrap_or("");

    // `after_service` starts with ':' exactly when the region field is empty.
    if service == "iam" && !after_service.starts_with(':') {
        return Some(ResourceIssue::IamRegion);
    }
    // S3 resources that are regional by nature may carry a region (snapshot
    // valid-50 for access points; the others are documented S3 resource types).
    const REGIONAL_S3_PREFIXES: &[&str] = &[
        "accesspoint/",
        "job/",
        "storage-lens/",
        "storage-lens-group/",
        "async-request/",
        "access-grants/",
        "outpost/",
    ];
    if service == "s3"
        && !after_service.starts_with(':')
        && !REGIONAL_S3_PREFIXES
            .iter()
            .any(|prefix| resource_id.starts_with(prefix))
    {
        return Some(ResourceIssue::S3Region);
    }
    if service == "iam"
        && resource_id != "*"
        && resource_id != "root"
        && !IAM_RESOURCE_PREFIXES
            .iter()
            .any(|prefix| resource_id.starts_with(prefix))
    {
        return Some(ResourceIssue::IamPath);
    }
    None
}

/// How AWS echoes a resource with a bad partition: `arn:P:a:b:c:d`, each
/// missing field shown as `*` (snapshot invalid-21..25).
fn render_for_partition_error(partition_name: &str, rest: &str) -> String {
    let parts: Vec<&str> = rest.split(':').collect();
    let first = if parts[0].is_empty() && parts.len() == 1 {
        "*"
    } else {
        parts[0]
    };
    let second = parts.get(1).copied().unwrap_or("*");
    let third = parts.get(2).copied().unwrap_or("*");
    let rest_joined;
    let fourth = if parts.len() > 3 {
        rest_joined = parts[3..].join(":");
        rest_joined.as_str()
    } else {
        "*"
    };
    format!("arn:{partition_name}:{first}:{second}:{third}:{fourth}")
}

/// The legacy parser's view of an ARN: a `::` needs all six fields, and the
/// service field must not be empty (snapshot invalid-36, 68, 71, 77).
fn legacy_resource_ok(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let colons = resource.matches(':').count();
    (colons >= 5 || !resource.contains("::"))
        && resource
            .split(':')
            .nth(2)
            .is_some_and(|service| !service.is_empty())
}

/// The legacy parser's check of a `Date…` condition value: an ISO 8601 date
/// (time) when it contains `t` or `-`, else epoch seconds in `0..=i64::MAX`.
/// The bounds are Java's `Instant` limits (snapshot invalid-64, 72..75 and
/// valid-30, 34..37).
fn legacy_date_ok(value: &ConditionValue) -> bool {
    let text = match value {
        ConditionValue::String(text) | ConditionValue::Number(text) => text.as_str(),
        ConditionValue::Bool(_) => return false,
    };
    let lower = text.to_ascii_lowercase();
    if lower.contains('t') || lower.contains('-') {
        legacy_iso8601_ok(&lower)
    } else {
        python_int(&lower).is_some_and(|seconds| (0..=i128::from(i64::MAX)).contains(&seconds))
    }
}

fn legacy_iso8601_ok(datetime: &str) -> bool {
    let (date, time) = match datetime.split_once('t') {
        Some((date, time)) => (date, time),
        None => (datetime, ""),
    };
    let (negative, unsigned_date) = match date.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, date),
    };
    let date_parts: Vec<&str> = unsigned_date.split('-').collect();
    let Some(year) = python_int(date_parts[0]) else {
        return false;
    };
    let year = if negative { -year } else { year };
    if !(-292_275_054..=292_278_993).contains(&year) || date_parts.len() > 3 {
        return false;
    }
    if !none_or(date_parts.get(1), |month| in_range(month, 1, 12)) {
        return false;
    }
    if !none_or(date_parts.get(2), |day| in_range(day, 1, 31)) {
        return false;
    }

    let time_parts: Vec<&str> = time.split(':').collect();
    if !time_parts[0].is_empty() && !in_range(time_parts[0], 0, 23) {
        return false;
    }
    if !none_or(time_parts.get(1), |minutes| in_range(minutes, 0, 59)) {
        return false;
    }
    let Some(seconds_part) = time_parts.get(2) else {
        return true;
    };
    let seconds_with_fraction = if let Some((seconds, after_z)) = seconds_part.split_once('z') {
        if !after_z.is_empty() {
            return false;
        }
        seconds
    } else if let Some((seconds, zone)) = seconds_part.split_once('+') {
        let (zone_hours, zone_minutes) = partition(zone);
        if zone_hours.len() != 2 || !in_range(zone_hours, 0, 23) {
            return false;
        }
        if let Some(zone_minutes) = zone_minutes {
            if zone_minutes.len() != 2 || !in_range(zone_minutes, 0, 59) {
                return false;
            }
        }
        seconds
    } else {
        seconds_part
    };
    let (seconds, fraction) = match seconds_with_fraction.split_once('.') {
        Some((seconds, fraction)) => (seconds, Some(fraction)),
        None => (seconds_with_fraction, None),
    };
    in_range(seconds, 0, 59) && none_or(fraction, |fraction| in_range(fraction, 0, 999_999_999))
}

/// `option.is_none_or(predicate)`, which needs a newer Rust than our MSRV.
fn none_or<T>(option: Option<T>, predicate: impl FnOnce(T) -> bool) -> bool {
    match option {
        None => true,
        Some(value) => predicate(value),
    }
}

fn in_range(text: &str, low: i128, high: i128) -> bool {
    python_int(text).is_some_and(|value| (low..=high).contains(&value))
}

/// An integer the way the legacy parser reads one: optional sign, then ASCII
/// digits. Saturates instead of overflowing so huge values stay out of range.
fn python_int(text: &str) -> Option<i128> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.bytes().fold(0i128, |total, digit| {
        total
            .saturating_mul(10)
            .saturating_add(i128::from(digit - b'0'))
    });
    Some(if negative { -magnitude } else { magnitude })
}

/// AWS's action format rules (snapshot invalid-11..15, valid-1, 25..27).
fn action_format_problem(action: &str) -> Option<Problem> {
    let mut parts = action.split(':');
    let vendor = parts.next().unwrap_or("");
    let colons = action.matches(':').count();
    if colons == 0 {
        return (action != "*").then(|| Problem::ActionWithoutVendor {
            action: action.to_owned(),
        });
    }
    if colons > 1 {
        return Some(Problem::ActionWithManyColons {
            action: action.to_owned(),
        });
    }
    if vendor.contains(['*', '?']) {
        return Some(Problem::ActionVendorWildcard {
            action: action.to_owned(),
        });
    }
    if !vendor
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Some(Problem::InvalidVendor {
            vendor: vendor.to_owned(),
        });
    }
    None
}

fn check_principal_values(index: usize, statement: &Statement, issues: &mut Vec<Issue>) {
    let Some(principal) = statement.principal() else {
        return;
    };
    let PrincipalValue::Map(entries) = &principal.value else {
        return;
    };
    for (principal_type, values) in entries {
        for value in values.iter() {
            if !principal::is_valid(*principal_type, value) {
                issues.push(Issue::new(
                    Stage::Principals,
                    Some(index),
                    Problem::InvalidPrincipal {
                        principal_type: *principal_type,
                        value: value.clone(),
                    },
                ));
            }
        }
    }
}

/// The STS actions a trust policy may name (IAM User Guide, "Role trust
/// policies"), lowercase for case-insensitive matching.
const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
];

/// A trust policy may only name role-assumption actions. A wildcard pattern
/// (`sts:*`, `sts:AssumeRole*`, `*`) is accepted when it covers one of them;
/// `NotAction` is rejected. AWS's exact treatment of wildcards and `NotAction`
/// here is not recorded; this is the permissive reading.
fn check_trust_actions(index: usize, statement: &Statement, issues: &mut Vec<Issue>) {
    let Some(action) = statement.action() else {
        return;
    };
    if action.polarity.is_negated() {
        issues.push(Issue::new(
            Stage::TrustActions,
            Some(index),
            Problem::TrustActionNotAllowed {
                action: action.field_name().to_owned(),
            },
        ));
        return;
    }
    for value in action.values.iter() {
        let lower = value.to_ascii_lowercase();
        if !TRUST_ACTIONS
            .iter()
            .any(|allowed| wildcard_match(&lower, allowed))
        {
            issues.push(Issue::new(
                Stage::TrustActions,
                Some(index),
                Problem::TrustActionNotAllowed {
                    action: value.clone(),
                },
            ));
        }
    }
}

/// Warnings: things AWS accepts that probably do not do what was meant.
fn advise(policy: &Policy, index: usize, statement: &Statement, issues: &mut Vec<Issue>) {
    if let Some(principal) = statement.principal() {
        if principal.polarity.is_negated() && statement.effect() == crate::Effect::Allow {
            issues.push(Issue::new(
                Stage::Advice,
                Some(index),
                Problem::NotPrincipalWithAllow,
            ));
        }
    }
    if let Some(condition) = statement.condition() {
        for block in &condition.blocks {
            if block.operator.base.is_none() {
                issues.push(Issue::new(
                    Stage::Advice,
                    Some(index),
                    Problem::UnknownOperatorIgnored {
                        operator: block.operator.raw.clone(),
                    },
                ));
            }
        }
    }
    if policy.policy_variables_enabled() {
        return;
    }
    let resource_values = statement
        .resource()
        .map(|resource| resource.values.as_slice());
    let condition_values = statement.condition().into_iter().flat_map(|condition| {
        condition.blocks.iter().flat_map(|block| {
            block.entries.iter().flat_map(|entry| match &entry.values {
                OneOrMany::One(value) => std::slice::from_ref(value).iter(),
                OneOrMany::Many(values) => values.iter(),
            })
        })
    });
    let literal_variables = resource_values
        .into_iter()
        .flatten()
        .map(|value| value.as_str())
        .chain(condition_values.filter_map(|value| match value {
            ConditionValue::String(text) => Some(text.as_str()),
            ConditionValue::Number(_) | ConditionValue::Bool(_) => None,
        }))
        .filter(|value| value.contains("${"));
    for value in literal_variables {
        issues.push(Issue::new(
            Stage::Advice,
            Some(index),
            Problem::PolicyVariableIsLiteral {
                value: value.to_owned(),
            },
        ));
    }
}

/// The keys that protect a service's use of a role from the confused deputy
/// problem (IAM User Guide, "The confused deputy problem"), lowercase.
const CONFUSED_DEPUTY_KEYS: &[&str] = &[
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
];

/// Warnings in the style of IAM Access Analyzer's policy validation, from
/// AWS's service authorization reference: unknown services and actions,
/// wildcards that match nothing, condition keys no named action supports,
/// and service trust without a confused-deputy condition.
fn advise_from_reference(
    kind: PolicyKind,
    index: usize,
    statement: &Statement,
    issues: &mut Vec<Issue>,
) {
    let Some(reference) = crate::reference::reference() else {
        return;
    };
    let mut warn = |problem| issues.push(Issue::new(Stage::Advice, Some(index), problem));

    // The actions the statement names; `None` once it names every action
    // (`*`, `NotAction`, or a service we do not know), when no condition key
    // can be judged.
    let mut named: Option<Vec<(&crate::reference::Service, &crate::reference::Action)>> =
        Some(Vec::new());
    if let Some(action) = statement.action() {
        if action.polarity.is_negated() {
            named = None;
        }
        let mut unknown_services: Vec<String> = Vec::new();
        for value in action.values.iter() {
            let Some((prefix, name)) = value.split_once(':') else {
                named = None;
                continue;
            };
            if prefix.contains(['*', '?']) || name.contains(':') {
                named = None;
                continue;
            }
            let Some(service) = reference.service(prefix) else {
                if !unknown_services
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(prefix))
                {
                    unknown_services.push(prefix.to_owned());
                    warn(Problem::UnknownService {
                        service: prefix.to_owned(),
                    });
                }
                named = None;
                continue;
            };
            if name.contains(['*', '?']) {
                let mut matched = service.matching(name).peekable();
                if matched.peek().is_none() {
                    warn(Problem::ActionMatchesNothing {
                        action: value.clone(),
                    });
                }
                if let Some(named) = named.as_mut() {
                    named.extend(matched.map(|action| (service, action)));
                }
            } else {
                match service.action(name) {
                    Some(found) => {
                        if let Some(named) = named.as_mut() {
                            named.push((service, found));
                        }
                    }
                    None => warn(Problem::UnknownAction {
                        action: value.clone(),
                    }),
                }
            }
        }
    }

    let condition_keys = statement.condition().into_iter().flat_map(|condition| {
        condition
            .blocks
            .iter()
            .filter(|block| block.operator.base.is_some())
            .flat_map(|block| block.entries.iter().map(|entry| entry.key.as_str()))
    });
    if let Some(named) = &named {
        let mut reported: Vec<String> = Vec::new();
        for key in condition_keys.clone() {
            let lower = key.to_ascii_lowercase();
            let Some((prefix, _)) = lower.split_once(':') else {
                continue;
            };
            // Global keys apply to every action; keys of providers and other
            // non-service prefixes (OIDC, SAML) are not judged.
            if prefix == "aws" || reference.service(prefix).is_none() || reported.contains(&lower) {
                continue;
            }
            if !named.is_empty()
                && !named
                    .iter()
                    .any(|(service, action)| service.supports(action, &lower))
            {
                reported.push(lower);
                warn(Problem::UnsupportedConditionKey {
                    key: key.to_owned(),
                });
            }
        }
    }

    if kind == PolicyKind::Trust && statement.effect() == crate::Effect::Allow {
        let protected = condition_keys
            .clone()
            .any(|key| CONFUSED_DEPUTY_KEYS.contains(&key.to_ascii_lowercase().as_str()));
        if let (false, Some(principal)) = (protected, statement.principal()) {
            if let (false, PrincipalValue::Map(entries)) =
                (principal.polarity.is_negated(), &principal.value)
            {
                for (principal_type, values) in entries {
                    if *principal_type == crate::PrincipalType::Service {
                        for service in values.iter() {
                            warn(Problem::MissingConfusedDeputyCondition {
                                service: service.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
}

/// IAM wildcard matching: `*` matches any run of characters (including none),
/// `?` matches exactly one. Iterative, linear in practice, never recursive.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, matched)) => {
                    p = star + 1;
                    t = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("sts:*", "sts:assumerole"));
        assert!(wildcard_match("*", "sts:assumerole"));
        assert!(wildcard_match("sts:assumerole*", "sts:assumerolewithsaml"));
        assert!(wildcard_match("sts:assume?ole", "sts:assumerole"));
        assert!(!wildcard_match("sts:get*", "sts:assumerole"));
        assert!(!wildcard_match("s3:*", "sts:assumerole"));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
    }

    #[test]
    fn partition_error_rendering() {
        assert_eq!(
            render_for_partition_error("bsdfdsafsad", ""),
            "arn:bsdfdsafsad:*:*:*:*"
        );
        assert_eq!(
            render_for_partition_error("b", "cadfsdf"),
            "arn:b:cadfsdf:*:*:*"
        );
        assert_eq!(
            render_for_partition_error("b", "c:d:e:f:g:h"),
            "arn:b:c:d:e:f:g:h"
        );
        assert_eq!(
            render_for_partition_error("s3", "::example_bucket"),
            "arn:s3:::example_bucket:*"
        );
    }

    #[test]
    fn legacy_dates() {
        let ok = |text: &str| legacy_date_ok(&ConditionValue::String(text.to_owned()));
        for valid in [
            "2017-07-01T00:00:00Z",
            "01T",
            "2019-07-01T13:20:15Z",
            "2016-12-13T21:20:37.593194+00:00",
            "2016-12-13t2:00:00.593194+23",
            "-292275054",
            "1500000000",
        ] {
            assert!(ok(valid), "{valid} should pass");
        }
        for invalid in [
            "sdfdsf",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "2016-12-13t2:00:00.1999999999+10:59",
            "9223372036854775808",
        ] {
            assert!(!ok(invalid), "{invalid} should fail");
        }
    }
}
