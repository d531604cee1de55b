//! Role operations.

use std::borrow::Cow;
use std::sync::Arc;

use ironiam_core::entities::{Role, RoleLastUsed};
use ironiam_core::service::NewRole;
use ironiam_core::IamResult;
use ironiam_protocol::dto::iam;
use ironiam_protocol::url_encode_policy;

use super::{boundary, date, domain_tags, is_truncated, tags_if_any, Ctx};

/// Which members of a role a response carries: ListRoles omits tags,
/// boundary and last use, as AWS's does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoleView {
    Full = 0,
    Listing = 1,
}

/// The model's `Role` for `role`, without `RoleLastUsed` (never cached: see
/// [`cached_role`]). `trust` is its trust policy as in force.
fn role_members(role: &Role, view: RoleView, trust: &str) -> iam::Role {
    let full = view == RoleView::Full;
    iam::Role {
        path: role.path.clone(),
        role_name: role.name.clone(),
        role_id: role.role_id.clone(),
        arn: role.arn(),
        create_date: date(role.create_date),
        assume_role_policy_document: Some(url_encode_policy(trust)),
        description: role.description.clone(),
        max_session_duration: Some(role.max_session_duration),
        permissions_boundary: if full {
            boundary(&role.permissions_boundary)
        } else {
            None
        },
        tags: if full { tags_if_any(&role.tags) } else { None },
        role_last_used: None,
    }
}

/// `role` as a response carries it, from the render cache when this version of
/// the role was rendered before, then `role_last_used` (AWS's last member of
/// `Role`), which changes on every use without making a new version and so is
/// never cached.
///
/// `trust` is its trust policy as in force (`IamService::trust_policy_document`):
/// the stored document, borrowed, unless a principal it names was deleted (or
/// renamed) since it was saved. That depends on other entities than the role,
/// so such a role is built afresh each time and never cached; the cache keeps
/// holding only what depends on the role's version alone.
pub(crate) fn cached_role(
    ctx: &Ctx,
    role: &Arc<Role>,
    view: RoleView,
    trust: Cow<'_, str>,
    role_last_used: Option<iam::RoleLastUsed>,
) -> iam::CachedRole {
    match trust {
        Cow::Borrowed(document) => {
            let members = ctx.roles_xml.get_or_render(role, view as u8, |w| {
                role_members(role, view, document).write_cacheable_members(w)
            });
            iam::CachedRole::Fragment {
                members,
                role_last_used,
            }
        }
        Cow::Owned(document) => iam::CachedRole::Typed(Box::new(iam::Role {
            role_last_used,
            ..role_members(role, view, &document)
        })),
    }
}

/// Roles as a listing shows them (ListRoles': no tags, boundary or last use).
pub(crate) fn listed_roles(ctx: &Ctx, roles: &[Arc<Role>]) -> IamResult<Vec<iam::CachedRole>> {
    roles
        .iter()
        .map(|role| {
            Ok(cached_role(
                ctx,
                role,
                RoleView::Listing,
                ctx.service.trust_policy_document(role)?,
                None,
            ))
        })
        .collect()
}

/// `RoleLastUsed`: empty for a role not used (as AWS answers for a role not
/// used within its tracking period), else `LastUsedDate` and `Region`.
fn role_last_used(used: Option<&RoleLastUsed>) -> iam::RoleLastUsed {
    iam::RoleLastUsed {
        last_used_date: used.map(|u| date(u.date)),
        region: used.map(|u| u.region.clone()),
    }
}

/// A whole role; with its last use for GetRole (and UpdateRoleDescription),
/// without for CreateRole, whose response in AWS's API Reference has none.
fn full_role(ctx: &Ctx, role: &Arc<Role>, with_last_used: bool) -> IamResult<iam::CachedRole> {
    let last_used = if with_last_used {
        Some(role_last_used(ctx.service.role_last_used(role)?.as_ref()))
    } else {
        None
    };
    let trust = ctx.service.trust_policy_document(role)?;
    Ok(cached_role(ctx, role, RoleView::Full, trust, last_used))
}

/// CreateRole.
pub(crate) fn create_role(
    ctx: &Ctx,
    input: iam::CreateRoleInput,
) -> IamResult<iam::CreateRoleOutput> {
    let role = ctx.service.create_role(
        ctx.caller,
        NewRole {
            name: input.role_name,
            path: input.path,
            trust_policy: input.assume_role_policy_document,
            description: input.description,
            max_session_duration: input.max_session_duration,
            permissions_boundary: input.permissions_boundary,
            tags: domain_tags(input.tags),
        },
    )?;
    Ok(iam::CreateRoleOutput {
        role: full_role(ctx, &role, false)?,
    })
}

/// GetRole.
pub(crate) fn get_role(ctx: &Ctx, input: iam::GetRoleInput) -> IamResult<iam::GetRoleOutput> {
    let role = ctx.service.get_role(ctx.caller, &input.role_name)?;
    Ok(iam::GetRoleOutput {
        role: full_role(ctx, &role, true)?,
    })
}

/// ListRoles.
pub(crate) fn list_roles(ctx: &Ctx, input: iam::ListRolesInput) -> IamResult<iam::ListRolesOutput> {
    let page = ctx.service.list_roles(ctx.caller, paging!(input))?;
    Ok(iam::ListRolesOutput {
        roles: listed_roles(ctx, &page.items)?,
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// UpdateRole.
pub(crate) fn update_role(
    ctx: &Ctx,
    input: iam::UpdateRoleInput,
) -> IamResult<iam::UpdateRoleOutput> {
    ctx.service.update_role(
        ctx.caller,
        &input.role_name,
        input.description,
        input.max_session_duration,
    )?;
    Ok(iam::UpdateRoleResponse {})
}

/// UpdateRoleDescription: answers the updated role.
pub(crate) fn update_role_description(
    ctx: &Ctx,
    input: iam::UpdateRoleDescriptionInput,
) -> IamResult<iam::UpdateRoleDescriptionOutput> {
    let role =
        ctx.service
            .update_role(ctx.caller, &input.role_name, Some(input.description), None)?;
    Ok(iam::UpdateRoleDescriptionOutput {
        role: Some(full_role(ctx, &role, true)?),
    })
}

/// UpdateAssumeRolePolicy.
pub(crate) fn update_assume_role_policy(
    ctx: &Ctx,
    input: iam::UpdateAssumeRolePolicyInput,
) -> IamResult<()> {
    ctx.service
        .update_assume_role_policy(ctx.caller, &input.role_name, input.policy_document)
}

/// DeleteRole.
pub(crate) fn delete_role(ctx: &Ctx, input: iam::DeleteRoleInput) -> IamResult<()> {
    ctx.service.delete_role(ctx.caller, &input.role_name)
}
