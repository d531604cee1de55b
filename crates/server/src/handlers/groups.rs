//! Group operations: the group itself and its users. A group's policies
//! are served as every holder's are (`handlers::holders`).

use ironiam_core::entities::Group;
use ironiam_core::IamResult;
use ironiam_protocol::dto::iam;

use super::{date, listed, users, Ctx};

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
    let iam::CreateGroupInput { group_name, path } = input;
    let created = ctx.service.create_group(ctx.caller, group_name, path)?;
    Ok(iam::CreateGroupOutput {
        group: group(&created),
    })
}

/// GetGroup: the group and a page of its users, shown as ListUsers shows
/// them (AWS's example response has no tags or boundary on them).
pub(crate) fn get_group(ctx: &Ctx, input: iam::GetGroupInput) -> IamResult<iam::GetGroupOutput> {
    let paging = paging!(input, no_path);
    let (found, page) = ctx
        .service
        .get_group(ctx.caller, &input.group_name, paging)?;
    let (users, is_truncated, marker) = listed(page, |u| users::user(u, true));
    Ok(iam::GetGroupOutput {
        group: group(&found),
        users,
        is_truncated,
        marker,
    })
}

/// ListGroups.
pub(crate) fn list_groups(
    ctx: &Ctx,
    input: iam::ListGroupsInput,
) -> IamResult<iam::ListGroupsOutput> {
    let page = ctx.service.list_groups(ctx.caller, paging!(input))?;
    let (groups, is_truncated, marker) = listed(page, |g| group(g));
    Ok(iam::ListGroupsOutput {
        groups,
        is_truncated,
        marker,
    })
}

/// ListGroupsForUser.
pub(crate) fn list_groups_for_user(
    ctx: &Ctx,
    input: iam::ListGroupsForUserInput,
) -> IamResult<iam::ListGroupsForUserOutput> {
    let paging = paging!(input, no_path);
    let page = ctx
        .service
        .list_groups_for_user(ctx.caller, &input.user_name, paging)?;
    let (groups, is_truncated, marker) = listed(page, |g| group(g));
    Ok(iam::ListGroupsForUserOutput {
        groups,
        is_truncated,
        marker,
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
