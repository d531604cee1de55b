//! Instance profile operations (issue 11 item 5): typed input in, one
//! `IamService` operation (`core::instance_profiles`), typed output out.

use ironiam_core::instance_profiles::{InstanceProfileView, NewInstanceProfile};
use ironiam_core::IamResult;
use ironiam_protocol::dto::iam;

use super::roles::listed_roles;
use super::{date, domain_tags, is_truncated, tag, tags_if_any, Ctx};

/// Which members of a profile a response carries. AWS's listings
/// (ListInstanceProfiles, ListInstanceProfilesForRole) leave tags out:
/// "IAM resource-listing operations return a subset of the available
/// attributes for the resource … this operation does not return tags".
#[derive(Clone, Copy, PartialEq, Eq)]
enum ProfileView {
    Full,
    Listing,
}

/// AWS's `InstanceProfile` for `view`. Its roles are shown as ListRoles
/// shows them: AWS's example response of GetInstanceProfile has no
/// `RoleLastUsed` (nor tags) in its roles.
fn instance_profile(
    ctx: &Ctx,
    view: &InstanceProfileView,
    shape: ProfileView,
) -> IamResult<iam::InstanceProfile> {
    let p = &view.profile;
    Ok(iam::InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.instance_profile_id.clone(),
        arn: p.arn(),
        create_date: date(p.create_date),
        roles: listed_roles(ctx, &view.roles)?,
        tags: if shape == ProfileView::Full {
            tags_if_any(&p.tags)
        } else {
            None
        },
    })
}

fn listed(ctx: &Ctx, views: &[InstanceProfileView]) -> IamResult<Vec<iam::InstanceProfile>> {
    views
        .iter()
        .map(|view| instance_profile(ctx, view, ProfileView::Listing))
        .collect()
}

/// CreateInstanceProfile.
pub(crate) fn create_instance_profile(
    ctx: &Ctx,
    input: iam::CreateInstanceProfileInput,
) -> IamResult<iam::CreateInstanceProfileOutput> {
    let new = NewInstanceProfile {
        name: input.instance_profile_name,
        path: input.path,
        tags: domain_tags(input.tags),
    };
    let view = ctx.service.create_instance_profile(ctx.caller, new)?;
    Ok(iam::CreateInstanceProfileResponse {
        instance_profile: instance_profile(ctx, &view, ProfileView::Full)?,
    })
}

/// GetInstanceProfile.
pub(crate) fn get_instance_profile(
    ctx: &Ctx,
    input: iam::GetInstanceProfileInput,
) -> IamResult<iam::GetInstanceProfileOutput> {
    let view = ctx
        .service
        .get_instance_profile(ctx.caller, &input.instance_profile_name)?;
    Ok(iam::GetInstanceProfileResponse {
        instance_profile: instance_profile(ctx, &view, ProfileView::Full)?,
    })
}

/// ListInstanceProfiles.
pub(crate) fn list_instance_profiles(
    ctx: &Ctx,
    input: iam::ListInstanceProfilesInput,
) -> IamResult<iam::ListInstanceProfilesOutput> {
    let page = ctx
        .service
        .list_instance_profiles(ctx.caller, paging!(input))?;
    Ok(iam::ListInstanceProfilesResponse {
        instance_profiles: listed(ctx, &page.items)?,
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// ListInstanceProfilesForRole.
pub(crate) fn list_instance_profiles_for_role(
    ctx: &Ctx,
    input: iam::ListInstanceProfilesForRoleInput,
) -> IamResult<iam::ListInstanceProfilesForRoleOutput> {
    let paging = paging!(input, no_path);
    let page = ctx
        .service
        .list_instance_profiles_for_role(ctx.caller, &input.role_name, paging)?;
    Ok(iam::ListInstanceProfilesForRoleResponse {
        instance_profiles: listed(ctx, &page.items)?,
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// DeleteInstanceProfile.
pub(crate) fn delete_instance_profile(
    ctx: &Ctx,
    input: iam::DeleteInstanceProfileInput,
) -> IamResult<()> {
    ctx.service
        .delete_instance_profile(ctx.caller, &input.instance_profile_name)
}

/// AddRoleToInstanceProfile (authorization also asked for iam:PassRole on the role).
pub(crate) fn add_role_to_instance_profile(
    ctx: &Ctx,
    input: iam::AddRoleToInstanceProfileInput,
) -> IamResult<()> {
    ctx.service.add_role_to_instance_profile(
        ctx.caller,
        &input.instance_profile_name,
        &input.role_name,
    )
}

/// RemoveRoleFromInstanceProfile.
pub(crate) fn remove_role_from_instance_profile(
    ctx: &Ctx,
    input: iam::RemoveRoleFromInstanceProfileInput,
) -> IamResult<()> {
    ctx.service.remove_role_from_instance_profile(
        ctx.caller,
        &input.instance_profile_name,
        &input.role_name,
    )
}

/// TagInstanceProfile.
pub(crate) fn tag_instance_profile(
    ctx: &Ctx,
    input: iam::TagInstanceProfileInput,
) -> IamResult<()> {
    ctx.service.tag_instance_profile(
        ctx.caller,
        &input.instance_profile_name,
        domain_tags(Some(input.tags)),
    )
}

/// UntagInstanceProfile.
pub(crate) fn untag_instance_profile(
    ctx: &Ctx,
    input: iam::UntagInstanceProfileInput,
) -> IamResult<()> {
    ctx.service
        .untag_instance_profile(ctx.caller, &input.instance_profile_name, input.tag_keys)
}

/// ListInstanceProfileTags.
pub(crate) fn list_instance_profile_tags(
    ctx: &Ctx,
    input: iam::ListInstanceProfileTagsInput,
) -> IamResult<iam::ListInstanceProfileTagsOutput> {
    let page = ctx.service.list_instance_profile_tags(
        ctx.caller,
        &input.instance_profile_name,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(iam::ListInstanceProfileTagsResponse {
        tags: page.items.iter().map(tag).collect(),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}
