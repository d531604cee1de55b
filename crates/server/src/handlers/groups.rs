//! Group operations: the group itself and its users. A group's policies
//! are served as every holder's are (`handlers::holders`).

use ironiam_core::entities::Group;
use ironiam_core::IamResult;
use ironiam_protocol::dto::iam;

use super::{date, is_truncated, users, Ctx};

/// The model's `Group`.
fn group(g: &Group) -> iam::Group {
    iam::Group {
        path: g.path.clone(),
        group_name: g.name.clone(),
        group_id: g.group_id.clone(),
        arn: g.arn(),
        create_date: date(g.create_date),
    }
}

/// CreateGroup.
pub(crate) fn create_group(
    ctx: &Ctx,
    input: iam::CreateGroupInput,
) -> IamResult<iam::CreateGroupOutput> {
    let created = ctx
        .service
        .create_group(ctx.caller, input.group_name, input.path)?;
    Ok(iam::CreateGroupOutput {
        group: group(&created),
    })
}

/// GetGroup: the group and a page of its users, shown as ListUsers shows
/// them (AWS's example response has no tags or boundary on them).
pub(crate) fn get_group(ctx: &Ctx, input: iam::GetGroupInput) -> IamResult<iam::GetGroupOutput> {
    let (found, page) = ctx.service.get_group(
        ctx.caller,
        &input.group_name,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(iam::GetGroupOutput {
        group: group(&found),
        users: page.items.iter().map(|u| users::user(u, true)).collect(),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// ListGroups.
pub(crate) fn list_groups(
    ctx: &Ctx,
    input: iam::ListGroupsInput,
) -> IamResult<iam::ListGroupsOutput> {
    let page = ctx.service.list_groups(
        ctx.caller,
        input.path_prefix.as_deref(),
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(iam::ListGroupsOutput {
        groups: page.items.iter().map(|g| group(g)).collect(),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// ListGroupsForUser.
pub(crate) fn list_groups_for_user(
    ctx: &Ctx,
    input: iam::ListGroupsForUserInput,
) -> IamResult<iam::ListGroupsForUserOutput> {
    let page = ctx.service.list_groups_for_user(
        ctx.caller,
        &input.user_name,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(iam::ListGroupsForUserOutput {
        groups: page.items.iter().map(|g| group(g)).collect(),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// UpdateGroup.
pub(crate) fn update_group(ctx: &Ctx, input: iam::UpdateGroupInput) -> IamResult<()> {
    ctx.service.update_group(
        ctx.caller,
        &input.group_name,
        input.new_group_name,
        input.new_path,
    )
}

/// DeleteGroup.
pub(crate) fn delete_group(ctx: &Ctx, input: iam::DeleteGroupInput) -> IamResult<()> {
    ctx.service.delete_group(ctx.caller, &input.group_name)
}

/// AddUserToGroup.
pub(crate) fn add_user_to_group(ctx: &Ctx, input: iam::AddUserToGroupInput) -> IamResult<()> {
    ctx.service
        .add_user_to_group(ctx.caller, &input.group_name, &input.user_name)
}

/// RemoveUserFromGroup.
pub(crate) fn remove_user_from_group(
    ctx: &Ctx,
    input: iam::RemoveUserFromGroupInput,
) -> IamResult<()> {
    ctx.service
        .remove_user_from_group(ctx.caller, &input.group_name, &input.user_name)
}
