//! Managed policy operations, over the AWS catalog and customer policies alike.

use ironiam_core::service::{
    NewPolicy, PolicyFilter, PolicyInfo, PolicyScope, UsageFilter, VersionInfo,
};
use ironiam_core::users::{EntityFilter, PolicyEntity};
use ironiam_core::{IamError, IamResult};
use ironiam_protocol::dto::iam;
use ironiam_protocol::url_encode_policy;

use super::{domain_tags, is_truncated, tag, tags_if_any, Ctx};

/// The model's `Policy`; listings (ListPolicies) leave tags out, as AWS's do.
fn policy(p: &PolicyInfo, with_tags: bool) -> iam::Policy {
    iam::Policy {
        policy_name: Some(p.name.clone()),
        policy_id: Some(p.policy_id.clone()),
        arn: Some(p.arn.clone()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version_id.clone()),
        attachment_count: i64::try_from(p.attachment_count).ok(),
        permissions_boundary_usage_count: i64::try_from(p.boundary_usage_count).ok(),
        is_attachable: Some(p.is_attachable),
        description: p.description.clone(),
        create_date: Some(p.create_date.clone()),
        update_date: Some(p.update_date.clone()),
        tags: if with_tags {
            tags_if_any(&p.tags)
        } else {
            None
        },
    }
}

fn version(v: &VersionInfo) -> iam::PolicyVersion {
    iam::PolicyVersion {
        document: v.document.as_deref().map(url_encode_policy),
        version_id: Some(v.version_id.clone()),
        is_default_version: Some(v.is_default),
        create_date: Some(v.create_date.clone()),
    }
}

fn usage_filter(filter: Option<&str>) -> Option<UsageFilter> {
    match filter {
        Some("PermissionsBoundary") => Some(UsageFilter::PermissionsBoundary),
        Some("PermissionsPolicy") => Some(UsageFilter::PermissionsPolicy),
        _ => None,
    }
}

/// CreatePolicy.
pub(crate) fn create_policy(
    ctx: &Ctx,
    input: iam::CreatePolicyInput,
) -> IamResult<iam::CreatePolicyOutput> {
    let p = ctx.service.create_policy(
        ctx.caller,
        NewPolicy {
            name: input.policy_name,
            path: input.path,
            document: input.policy_document,
            description: input.description,
            tags: domain_tags(input.tags),
        },
    )?;
    Ok(iam::CreatePolicyOutput {
        policy: Some(policy(&p, true)),
    })
}

/// GetPolicy.
pub(crate) fn get_policy(ctx: &Ctx, input: iam::GetPolicyInput) -> IamResult<iam::GetPolicyOutput> {
    let p = ctx.service.get_policy(ctx.caller, &input.policy_arn)?;
    Ok(iam::GetPolicyOutput {
        policy: Some(policy(&p, true)),
    })
}

/// DeletePolicy.
pub(crate) fn delete_policy(ctx: &Ctx, input: iam::DeletePolicyInput) -> IamResult<()> {
    ctx.service.delete_policy(ctx.caller, &input.policy_arn)
}

/// TagPolicy.
pub(crate) fn tag_policy(ctx: &Ctx, input: iam::TagPolicyInput) -> IamResult<()> {
    ctx.service
        .tag_policy(ctx.caller, &input.policy_arn, domain_tags(Some(input.tags)))
}

/// UntagPolicy.
pub(crate) fn untag_policy(ctx: &Ctx, input: iam::UntagPolicyInput) -> IamResult<()> {
    ctx.service
        .untag_policy(ctx.caller, &input.policy_arn, input.tag_keys)
}

/// ListPolicyTags.
pub(crate) fn list_policy_tags(
    ctx: &Ctx,
    input: iam::ListPolicyTagsInput,
) -> IamResult<iam::ListPolicyTagsOutput> {
    let page = ctx.service.list_policy_tags(
        ctx.caller,
        &input.policy_arn,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(iam::ListPolicyTagsOutput {
        tags: page.items.iter().map(tag).collect(),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// GetPolicyVersion.
pub(crate) fn get_policy_version(
    ctx: &Ctx,
    input: iam::GetPolicyVersionInput,
) -> IamResult<iam::GetPolicyVersionOutput> {
    let v = ctx
        .service
        .get_policy_version(ctx.caller, &input.policy_arn, &input.version_id)?;
    Ok(iam::GetPolicyVersionOutput {
        policy_version: Some(version(&v)),
    })
}

/// ListPolicies.
pub(crate) fn list_policies(
    ctx: &Ctx,
    input: iam::ListPoliciesInput,
) -> IamResult<iam::ListPoliciesOutput> {
    let scope = match input.scope.as_deref() {
        None | Some("All") => PolicyScope::All,
        Some("AWS") => PolicyScope::Aws,
        Some("Local") => PolicyScope::Local,
        Some(other) => {
            return Err(IamError::Validation(format!(
                "1 validation error detected: Value '{other}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
            )))
        }
    };
    let filter = PolicyFilter {
        scope,
        only_attached: input.only_attached.unwrap_or(false),
        path_prefix: input.path_prefix.unwrap_or_else(|| "/".to_string()),
        usage: usage_filter(input.policy_usage_filter.as_deref()),
    };
    let page = ctx.service.list_policies(
        ctx.caller,
        &filter,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(iam::ListPoliciesOutput {
        policies: Some(page.items.iter().map(|p| policy(p, false)).collect()),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// ListPolicyVersions.
pub(crate) fn list_policy_versions(
    ctx: &Ctx,
    input: iam::ListPolicyVersionsInput,
) -> IamResult<iam::ListPolicyVersionsOutput> {
    let page = ctx.service.list_policy_versions(
        ctx.caller,
        &input.policy_arn,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(iam::ListPolicyVersionsOutput {
        versions: Some(page.items.iter().map(version).collect()),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// CreatePolicyVersion.
pub(crate) fn create_policy_version(
    ctx: &Ctx,
    input: iam::CreatePolicyVersionInput,
) -> IamResult<iam::CreatePolicyVersionOutput> {
    let v = ctx.service.create_policy_version(
        ctx.caller,
        &input.policy_arn,
        input.policy_document,
        input.set_as_default.unwrap_or(false),
    )?;
    Ok(iam::CreatePolicyVersionOutput {
        policy_version: Some(version(&v)),
    })
}

/// DeletePolicyVersion.
pub(crate) fn delete_policy_version(
    ctx: &Ctx,
    input: iam::DeletePolicyVersionInput,
) -> IamResult<()> {
    ctx.service
        .delete_policy_version(ctx.caller, &input.policy_arn, &input.version_id)
}

/// SetDefaultPolicyVersion.
pub(crate) fn set_default_policy_version(
    ctx: &Ctx,
    input: iam::SetDefaultPolicyVersionInput,
) -> IamResult<()> {
    ctx.service
        .set_default_policy_version(ctx.caller, &input.policy_arn, &input.version_id)
}

/// ListEntitiesForPolicy: groups, users and roles.
pub(crate) fn list_entities_for_policy(
    ctx: &Ctx,
    input: iam::ListEntitiesForPolicyInput,
) -> IamResult<iam::ListEntitiesForPolicyOutput> {
    let entity_filter = match input.entity_filter.as_deref() {
        Some("User") => Some(EntityFilter::User),
        Some("Role") => Some(EntityFilter::Role),
        Some("Group") => Some(EntityFilter::Group),
        // LocalManagedPolicy and AWSManagedPolicy filter policies, not entities.
        _ => None,
    };
    let page = ctx.service.policy_entities(
        ctx.caller,
        &input.policy_arn,
        entity_filter,
        usage_filter(input.policy_usage_filter.as_deref()),
        input.marker.as_deref(),
        input.max_items,
    )?;
    let mut groups = Vec::new();
    let mut users = Vec::new();
    let mut roles = Vec::new();
    for e in &page.items {
        match e {
            PolicyEntity::Group(g) => groups.push(iam::PolicyGroup {
                group_name: Some(g.name.clone()),
                group_id: Some(g.group_id.clone()),
            }),
            PolicyEntity::User(u) => users.push(iam::PolicyUser {
                user_name: Some(u.name.clone()),
                user_id: Some(u.user_id.clone()),
            }),
            PolicyEntity::Role(r) => roles.push(iam::PolicyRole {
                role_name: Some(r.name.clone()),
                role_id: Some(r.role_id.clone()),
            }),
        }
    }
    Ok(iam::ListEntitiesForPolicyOutput {
        policy_groups: Some(groups),
        policy_users: Some(users),
        policy_roles: Some(roles),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}
