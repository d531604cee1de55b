//! Role operations.

use std::borrow::Cow;
use std::sync::Arc;

use ironiam_core::entities::{Role, RoleLastUsed};
use ironiam_core::service::NewRole;
use ironiam_protocol::{url_encode_policy, XmlWriter};

use super::{write_attached_policies, write_policy_names, date, render, write_page_end, write_tags, Ctx, HandlerResult};

/// Which members of a role a response carries: ListRoles omits tags,
/// boundary and last use, as AWS's does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RoleView {
    Full = 0,
    Listing = 1,
}

/// Writes the members of `role`, from the render cache when this version of
/// the role was rendered before. `trust` is its trust policy as in force
/// (`IamService::trust_policy_document`): the stored document, borrowed,
/// unless a principal it names was deleted (or renamed) since it was saved.
/// That depends on other entities than the role, so such a role is rendered
/// afresh each time and never cached; the cache keeps holding only what
/// depends on the role's version alone.
fn write_role_xml(ctx: &Ctx, w: &mut XmlWriter, role: &Arc<Role>, view: RoleView, trust: &Cow<'_, str>) {
    match trust {
        Cow::Borrowed(document) => {
            let xml = ctx.roles_xml.get_or_render(role, view as u8, |w| write_role_members(w, role, view, document));
            w.append(&xml);
        }
        Cow::Owned(document) => write_role_members(w, role, view, document),
    }
}

/// A response whose result is one whole role: the cached XML of this version
/// of the role, then `RoleLastUsed` (AWS's last member of `Role`), which
/// changes on every use without making a new version and so is never cached.
fn render_full_role(ctx: &Ctx, role: &Arc<Role>) -> HandlerResult {
    let last_used = ctx.service.role_last_used(role)?;
    let trust = ctx.service.trust_policy_document(role)?;
    render(|w| {
        w.start("Role");
        write_role_xml(ctx, w, role, RoleView::Full, &trust);
        write_role_last_used(w, last_used.as_ref());
        w.end("Role");
    })
}

/// `RoleLastUsed`: empty for a role not used (as AWS answers for a role not
/// used within its tracking period), else `LastUsedDate` and `Region`.
fn write_role_last_used(w: &mut XmlWriter, last_used: Option<&RoleLastUsed>) {
    w.start("RoleLastUsed");
    if let Some(used) = last_used {
        w.element("LastUsedDate", &date(used.date));
        w.element("Region", &used.region);
    }
    w.end("RoleLastUsed");
}

fn write_role_members(w: &mut XmlWriter, role: &Role, view: RoleView, trust: &str) {
    w.element("Path", &role.path);
    w.element("RoleName", &role.name);
    w.element("RoleId", &role.role_id);
    w.element("Arn", &role.arn());
    w.element("CreateDate", &date(role.create_date));
    w.element("AssumeRolePolicyDocument", &url_encode_policy(trust));
    if let Some(d) = &role.description {
        w.element("Description", d);
    }
    w.element("MaxSessionDuration", &role.max_session_duration.to_string());
    if view == RoleView::Full {
        if let Some(b) = &role.permissions_boundary {
            w.start("PermissionsBoundary");
            w.element("PermissionsBoundaryType", "Policy");
            w.element("PermissionsBoundaryArn", b);
            w.end("PermissionsBoundary");
        }
        if !role.tags.is_empty() {
            write_tags(w, &role.tags);
        }
    }
}

fn max_items(ctx: &Ctx) -> Option<i64> {
    ctx.input.int("MaxItems")
}

/// CreateRole.
pub(crate) fn create_role(ctx: &Ctx) -> HandlerResult {
    let role = ctx.service.create_role(
        ctx.caller,
        NewRole {
            name: ctx.required("RoleName")?.to_string(),
            path: ctx.opt("Path").map(str::to_string),
            trust_policy: ctx.required("AssumeRolePolicyDocument")?.to_string(),
            description: ctx.opt("Description").map(str::to_string),
            max_session_duration: ctx.input.int("MaxSessionDuration"),
            permissions_boundary: ctx.opt("PermissionsBoundary").map(str::to_string),
            tags: ctx.tags("Tags"),
        },
    )?;
    render_full_role(ctx, &role)
}

/// GetRole.
pub(crate) fn get_role(ctx: &Ctx) -> HandlerResult {
    let role = ctx.service.get_role(ctx.caller, ctx.required("RoleName")?)?;
    render_full_role(ctx, &role)
}

/// ListRoles.
pub(crate) fn list_roles(ctx: &Ctx) -> HandlerResult {
    let page = ctx.service.list_roles(ctx.caller, ctx.opt("PathPrefix"), ctx.opt("Marker"), max_items(ctx))?;
    let trusts = page.items.iter().map(|role| ctx.service.trust_policy_document(role)).collect::<Result<Vec<_>, _>>()?;
    render(|w| {
        w.start("Roles");
        for (role, trust) in page.items.iter().zip(&trusts) {
            w.start("member");
            write_role_xml(ctx, w, role, RoleView::Listing, trust);
            w.end("member");
        }
        w.end("Roles");
        write_page_end(w, &page);
    })
}

/// UpdateRole.
pub(crate) fn update_role(ctx: &Ctx) -> HandlerResult {
    ctx.service.update_role(
        ctx.caller,
        ctx.required("RoleName")?,
        ctx.opt("Description").map(str::to_string),
        ctx.input.int("MaxSessionDuration"),
    )?;
    render(|_| {})
}

/// UpdateRoleDescription: answers the updated role.
pub(crate) fn update_role_description(ctx: &Ctx) -> HandlerResult {
    let role = ctx.service.update_role(ctx.caller, ctx.required("RoleName")?, Some(ctx.required("Description")?.to_string()), None)?;
    render_full_role(ctx, &role)
}

/// UpdateAssumeRolePolicy.
pub(crate) fn update_assume_role_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.update_assume_role_policy(ctx.caller, ctx.required("RoleName")?, ctx.required("PolicyDocument")?.to_string())?;
    Ok(None)
}

/// DeleteRole.
pub(crate) fn delete_role(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_role(ctx.caller, ctx.required("RoleName")?)?;
    Ok(None)
}

/// TagRole.
pub(crate) fn tag_role(ctx: &Ctx) -> HandlerResult {
    ctx.service.tag_role(ctx.caller, ctx.required("RoleName")?, ctx.tags("Tags"))?;
    Ok(None)
}

/// UntagRole.
pub(crate) fn untag_role(ctx: &Ctx) -> HandlerResult {
    ctx.service.untag_role(ctx.caller, ctx.required("RoleName")?, ctx.strings("TagKeys"))?;
    Ok(None)
}

/// ListRoleTags.
pub(crate) fn list_role_tags(ctx: &Ctx) -> HandlerResult {
    let page = ctx.service.list_role_tags(ctx.caller, ctx.required("RoleName")?, ctx.opt("Marker"), max_items(ctx))?;
    render(|w| {
        write_tags(w, &page.items);
        write_page_end(w, &page);
    })
}

/// PutRolePolicy.
pub(crate) fn put_role_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.put_role_policy(
        ctx.caller,
        ctx.required("RoleName")?,
        ctx.required("PolicyName")?.to_string(),
        ctx.required("PolicyDocument")?.to_string(),
    )?;
    Ok(None)
}

/// GetRolePolicy.
pub(crate) fn get_role_policy(ctx: &Ctx) -> HandlerResult {
    let policy_name = ctx.required("PolicyName")?;
    let (role, document) = ctx.service.get_role_policy(ctx.caller, ctx.required("RoleName")?, policy_name)?;
    render(|w| {
        w.element("RoleName", &role.name);
        w.element("PolicyName", policy_name);
        w.element("PolicyDocument", &url_encode_policy(&document));
    })
}

/// DeleteRolePolicy.
pub(crate) fn delete_role_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_role_policy(ctx.caller, ctx.required("RoleName")?, ctx.required("PolicyName")?)?;
    Ok(None)
}

/// ListRolePolicies.
pub(crate) fn list_role_policies(ctx: &Ctx) -> HandlerResult {
    let page = ctx.service.list_role_policies(ctx.caller, ctx.required("RoleName")?, ctx.opt("Marker"), max_items(ctx))?;
    render(|w| write_policy_names(w, &page))
}

/// AttachRolePolicy.
pub(crate) fn attach_role_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.attach_role_policy(ctx.caller, ctx.required("RoleName")?, ctx.required("PolicyArn")?)?;
    Ok(None)
}

/// DetachRolePolicy.
pub(crate) fn detach_role_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.detach_role_policy(ctx.caller, ctx.required("RoleName")?, ctx.required("PolicyArn")?)?;
    Ok(None)
}

/// ListAttachedRolePolicies.
pub(crate) fn list_attached_role_policies(ctx: &Ctx) -> HandlerResult {
    let page = ctx.service.list_attached_role_policies(
        ctx.caller,
        ctx.required("RoleName")?,
        ctx.opt("PathPrefix"),
        ctx.opt("Marker"),
        max_items(ctx),
    )?;
    render(|w| write_attached_policies(w, &page))
}

/// PutRolePermissionsBoundary.
pub(crate) fn put_role_permissions_boundary(ctx: &Ctx) -> HandlerResult {
    ctx.service.put_role_permissions_boundary(ctx.caller, ctx.required("RoleName")?, ctx.required("PermissionsBoundary")?)?;
    Ok(None)
}

/// DeleteRolePermissionsBoundary.
pub(crate) fn delete_role_permissions_boundary(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_role_permissions_boundary(ctx.caller, ctx.required("RoleName")?)?;
    Ok(None)
}
