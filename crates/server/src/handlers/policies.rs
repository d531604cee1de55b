//! Managed policy operations, over the AWS catalog and customer policies alike.

use ironiam_core::service::{NewPolicy, PolicyFilter, PolicyInfo, PolicyScope, UsageFilter, VersionInfo};
use ironiam_core::users::{EntityFilter, PolicyEntity};
use ironiam_core::IamError;
use ironiam_protocol::{url_encode_policy, XmlWriter};

use super::{render, write_page_end, write_tags, Ctx, HandlerResult};

fn write_policy(w: &mut XmlWriter, tag: &str, p: &PolicyInfo, with_tags: bool) {
    w.start(tag);
    w.element("PolicyName", &p.name);
    w.element("PolicyId", &p.policy_id);
    w.element("Arn", &p.arn);
    w.element("Path", &p.path);
    w.element("DefaultVersionId", &p.default_version_id);
    w.element("AttachmentCount", &p.attachment_count.to_string());
    w.element("PermissionsBoundaryUsageCount", &p.boundary_usage_count.to_string());
    w.element("IsAttachable", if p.is_attachable { "true" } else { "false" });
    if let Some(d) = &p.description {
        w.element("Description", d);
    }
    w.element("CreateDate", &p.create_date);
    w.element("UpdateDate", &p.update_date);
    if with_tags && !p.tags.is_empty() {
        write_tags(w, &p.tags);
    }
    w.end(tag);
}

fn write_version(w: &mut XmlWriter, tag: &str, v: &VersionInfo) {
    w.start(tag);
    if let Some(doc) = &v.document {
        w.element("Document", &url_encode_policy(doc));
    }
    w.element("VersionId", &v.version_id);
    w.element("IsDefaultVersion", if v.is_default { "true" } else { "false" });
    w.element("CreateDate", &v.create_date);
    w.end(tag);
}

fn usage_filter(ctx: &Ctx) -> Option<UsageFilter> {
    match ctx.opt("PolicyUsageFilter") {
        Some("PermissionsBoundary") => Some(UsageFilter::PermissionsBoundary),
        Some("PermissionsPolicy") => Some(UsageFilter::PermissionsPolicy),
        _ => None,
    }
}

/// CreatePolicy.
pub(crate) fn create_policy(ctx: &Ctx) -> HandlerResult {
    let p = ctx.service.create_policy(
        ctx.caller,
        NewPolicy {
            name: ctx.required("PolicyName")?.to_string(),
            path: ctx.opt("Path").map(str::to_string),
            document: ctx.required("PolicyDocument")?.to_string(),
            description: ctx.opt("Description").map(str::to_string),
            tags: ctx.tags("Tags"),
        },
    )?;
    render(|w| write_policy(w, "Policy", &p, true))
}

/// GetPolicy.
pub(crate) fn get_policy(ctx: &Ctx) -> HandlerResult {
    let p = ctx.service.get_policy(ctx.caller, ctx.required("PolicyArn")?)?;
    render(|w| write_policy(w, "Policy", &p, true))
}

/// DeletePolicy.
pub(crate) fn delete_policy(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_policy(ctx.caller, ctx.required("PolicyArn")?)?;
    Ok(None)
}

/// GetPolicyVersion.
pub(crate) fn get_policy_version(ctx: &Ctx) -> HandlerResult {
    let v = ctx.service.get_policy_version(ctx.caller, ctx.required("PolicyArn")?, ctx.required("VersionId")?)?;
    render(|w| write_version(w, "PolicyVersion", &v))
}

/// ListPolicies.
pub(crate) fn list_policies(ctx: &Ctx) -> HandlerResult {
    let scope = match ctx.opt("Scope") {
        None | Some("All") => PolicyScope::All,
        Some("AWS") => PolicyScope::Aws,
        Some("Local") => PolicyScope::Local,
        Some(other) => return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{other}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
        ))),
    };
    let filter = PolicyFilter {
        scope,
        only_attached: ctx.input.bool("OnlyAttached").unwrap_or(false),
        path_prefix: ctx.opt("PathPrefix").unwrap_or("/").to_string(),
        usage: usage_filter(ctx),
    };
    let page = ctx.service.list_policies(ctx.caller, &filter, ctx.opt("Marker"), ctx.input.int("MaxItems"))?;
    render(|w| {
        w.start("Policies");
        for p in &page.items {
            write_policy(w, "member", p, false);
        }
        w.end("Policies");
        write_page_end(w, &page);
    })
}

/// ListPolicyVersions.
pub(crate) fn list_policy_versions(ctx: &Ctx) -> HandlerResult {
    let page = ctx.service.list_policy_versions(ctx.caller, ctx.required("PolicyArn")?, ctx.opt("Marker"), ctx.input.int("MaxItems"))?;
    render(|w| {
        w.start("Versions");
        for v in &page.items {
            write_version(w, "member", v);
        }
        w.end("Versions");
        write_page_end(w, &page);
    })
}

/// CreatePolicyVersion.
pub(crate) fn create_policy_version(ctx: &Ctx) -> HandlerResult {
    let v = ctx.service.create_policy_version(
        ctx.caller,
        ctx.required("PolicyArn")?,
        ctx.required("PolicyDocument")?.to_string(),
        ctx.input.bool("SetAsDefault").unwrap_or(false),
    )?;
    render(|w| write_version(w, "PolicyVersion", &v))
}

/// DeletePolicyVersion.
pub(crate) fn delete_policy_version(ctx: &Ctx) -> HandlerResult {
    ctx.service.delete_policy_version(ctx.caller, ctx.required("PolicyArn")?, ctx.required("VersionId")?)?;
    Ok(None)
}

/// SetDefaultPolicyVersion.
pub(crate) fn set_default_policy_version(ctx: &Ctx) -> HandlerResult {
    ctx.service.set_default_policy_version(ctx.caller, ctx.required("PolicyArn")?, ctx.required("VersionId")?)?;
    Ok(None)
}

/// ListEntitiesForPolicy: users and roles (ironiam has no groups yet).
pub(crate) fn list_entities_for_policy(ctx: &Ctx) -> HandlerResult {
    let entity_filter = match ctx.opt("EntityFilter") {
        Some("User") => Some(EntityFilter::User),
        Some("Role") => Some(EntityFilter::Role),
        Some("Group") => Some(EntityFilter::Group),
        // LocalManagedPolicy and AWSManagedPolicy filter policies, not entities.
        _ => None,
    };
    let page = ctx.service.policy_entities(
        ctx.caller,
        ctx.required("PolicyArn")?,
        entity_filter,
        usage_filter(ctx),
        ctx.opt("Marker"),
        ctx.input.int("MaxItems"),
    )?;
    render(|w| {
        w.start("PolicyGroups");
        w.end("PolicyGroups");
        w.start("PolicyUsers");
        for e in &page.items {
            if let PolicyEntity::User(u) = e {
                w.start("member");
                w.element("UserName", &u.name);
                w.element("UserId", &u.user_id);
                w.end("member");
            }
        }
        w.end("PolicyUsers");
        w.start("PolicyRoles");
        for e in &page.items {
            if let PolicyEntity::Role(r) = e {
                w.start("member");
                w.element("RoleName", &r.name);
                w.element("RoleId", &r.role_id);
                w.end("member");
            }
        }
        w.end("PolicyRoles");
        write_page_end(w, &page);
    })
}
