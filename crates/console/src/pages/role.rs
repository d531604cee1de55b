//! A role's page (summary, picture, Permissions / Trust relationships / Tags)
//! and every action on it.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use hyper::StatusCode;
use ironiam_core::entities::{Role, RoleLastUsed, Tag};
use ironiam_core::holders::PrincipalKind;

use super::picker::{self, Picker};
use super::{now, Ctx};
use crate::access;
use crate::html::{
    alert, code_block, count, csrf_field, date, enc, error_alert, esc, policy_url, role_url, tabs,
    Alert, Nav, Page,
};
use crate::validate::{shape, ApiError};
use crate::Out;

/// "1 hour", "12 hours", "1 hour 30 minutes".
pub(crate) fn duration(seconds: i64) -> String {
    let (h, m) = (seconds / 3600, (seconds % 3600) / 60);
    let hours = match h {
        0 => String::new(),
        1 => "1 hour".to_string(),
        n => format!("{n} hours"),
    };
    match (hours.is_empty(), m) {
        (_, 0) => hours,
        (true, m) => format!("{m} minutes"),
        (false, m) => format!("{hours} {m} minutes"),
    }
}

/// "Last activity" as the AWS console words it: "3 minutes ago (us-east-1)",
/// or "None" for a role not used (AWS's roles list shows "None"). `now` is the
/// service's clock, which recorded the use.
pub(crate) fn last_activity(used: Option<&RoleLastUsed>, now: i64) -> String {
    match used {
        Some(u) => {
            let iso = ironiam_core::clock::iso8601(u.date);
            format!(
                "<time datetime=\"{iso}\" title=\"{iso}\">{ago}</time> ({region})",
                iso = esc(&iso),
                ago = esc(&crate::html::ago(now - u.date)),
                region = esc(&u.region),
            )
        }
        None => "<span class=\"muted\">None</span>".to_string(),
    }
}

/// The default version's document of the managed policy `arn`.
pub(crate) fn managed_document(ctx: &Ctx, arn: &str) -> Option<String> {
    let info = ctx
        .call("GetPolicy", &[("PolicyArn", arn)], |s, c| {
            s.get_policy(c, arn)
        })
        .ok()?;
    let version = info.default_version_id.as_str();
    ctx.call(
        "GetPolicyVersion",
        &[("PolicyArn", arn), ("VersionId", version)],
        |s, c| s.get_policy_version(c, arn, version),
    )
    .ok()?
    .document
}

fn redirect_role(name: &str, tab: &str, done: &str) -> Out {
    Out::Redirect(format!("{}?tab={tab}&done={done}", role_url(name)))
}

fn policy_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// `GET /console/roles/{name}`.
pub(crate) fn page(ctx: &Ctx, name: &str) -> Out {
    match ctx.role(name) {
        Ok(role) => render(
            ctx,
            &role,
            ctx.req.q("tab").unwrap_or("permissions"),
            None,
            StatusCode::OK,
        ),
        Err(out) => out,
    }
}

fn done_notice(ctx: &Ctx) -> Option<String> {
    let n = ctx
        .req
        .q("n")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1);
    let (title, text) = match ctx.req.q("done")? {
        "attached" if n == 1 => (
            "Policy attached",
            "1 policy attached to this role.".to_string(),
        ),
        "attached" => (
            "Policies attached",
            format!("{n} policies attached to this role."),
        ),
        "detached" => (
            "Policy detached",
            "The policy was detached from this role.".to_string(),
        ),
        "trust" => (
            "Trust policy updated",
            "The trust relationship of this role was updated.".to_string(),
        ),
        "updated" => (
            "Role updated",
            "The role's summary was updated.".to_string(),
        ),
        "tagged" => ("Tag added", "The tag was saved.".to_string()),
        "untagged" => ("Tag removed", "The tag was removed.".to_string()),
        "inline" => (
            "Inline policy saved",
            "The inline policy was saved.".to_string(),
        ),
        "inline-deleted" => (
            "Inline policy removed",
            "The inline policy was removed.".to_string(),
        ),
        "boundary" => (
            "Permissions boundary set",
            "The role's permissions boundary was set.".to_string(),
        ),
        "boundary-removed" => (
            "Permissions boundary removed",
            "The role no longer has a permissions boundary.".to_string(),
        ),
        _ => return None,
    };
    Some(alert(Alert::Success, title, &esc(&text)))
}

/// The role page with tab `tab`, and an alert above it when an action failed.
fn render(ctx: &Ctx, role: &Role, tab: &str, problem: Option<String>, status: StatusCode) -> Out {
    // The trust policy as in force: a deleted principal shows as its id.
    let shown = ctx.service.role_as_shown(role);
    let role: &Role = &shown;
    let tab = match tab {
        "trust" | "tags" => tab,
        _ => "permissions",
    };
    let url = role_url(&role.name);
    let mut body = String::with_capacity(32 * 1024);
    if let Some(p) = problem {
        body.push_str(&p);
    } else if let Some(n) = done_notice(ctx) {
        body.push_str(&n);
    }
    let _ = write!(
        body,
        "<div class=\"page-head\"><h1 id=\"role-name\">{name}</h1><div class=\"actions\">\
<a class=\"button danger-outline\" href=\"{url}/delete\">Delete</a></div></div>",
        name = esc(&role.name),
        url = esc(&url),
    );

    // Summary.
    let arn = role.arn();
    let boundary = role
        .permissions_boundary
        .as_deref()
        .map(|b| {
            format!(
                "<a id=\"role-boundary\" href=\"{}\">{}</a>",
                esc(&policy_url(b)),
                esc(policy_name(b))
            )
        })
        .unwrap_or_else(|| "<span class=\"muted\" id=\"role-boundary\">Not set</span>".into());
    let boundary_action = if role.permissions_boundary.is_some() {
        "Change"
    } else {
        "Set boundary"
    };
    let created = ironiam_core::clock::iso8601(role.create_date);
    let _ = write!(
        body,
        "<section class=\"card\" id=\"summary\"><div class=\"card-head\"><h2>Summary</h2>\
<div class=\"actions\"><a class=\"button\" id=\"edit-summary\" href=\"{url}/edit\">Edit</a></div></div>\
<dl class=\"summary\">\
<div><dt>Creation date</dt><dd>{created}</dd></div>\
<div><dt>ARN</dt><dd><code id=\"role-arn\">{arn}</code> <button type=\"button\" class=\"link copy\" data-copy=\"{arn}\">Copy</button></dd></div>\
<div><dt>Last activity</dt><dd id=\"role-last-activity\">{last_activity}</dd></div>\
<div><dt>Role ID</dt><dd><code id=\"role-id\">{id}</code></dd></div>\
<div><dt>Maximum session duration</dt><dd id=\"role-max-session\">{max}</dd></div>\
<div><dt>Path</dt><dd><code>{path}</code></dd></div>\
<div class=\"wide\"><dt>Description</dt><dd id=\"role-description\">{description}</dd></div>\
<div class=\"wide\"><dt>Permissions boundary</dt><dd>{boundary} <a class=\"button small\" id=\"edit-boundary\" href=\"{url}/boundary\">{boundary_action}</a></dd></div>\
</dl></section>",
        url = esc(&url),
        created = date(&created, now(), Some(role.create_date)),
        // GetRole's RoleLastUsed: the role itself came from GetRole.
        last_activity = last_activity(ctx.service.role_last_used(role).ok().flatten().as_ref(), ctx.service.clock().now()),
        arn = esc(&arn),
        id = esc(&role.role_id),
        max = esc(&duration(role.max_session_duration)),
        path = esc(&role.path),
        description = role.description.as_deref().filter(|d| !d.is_empty()).map(esc).unwrap_or_else(|| "<span class=\"muted\">—</span>".into()),

    );

    // Documents of every policy, for the picture and the Permissions tab.
    let managed: Vec<(String, Option<String>)> = role
        .attached_policies
        .iter()
        .map(|arn| (arn.clone(), managed_document(ctx, arn)))
        .collect();
    let documents: Vec<&str> = managed
        .iter()
        .filter_map(|(_, d)| d.as_deref())
        .chain(role.inline_policies.values().map(String::as_str))
        .collect();
    let summary = access::summarise(documents.iter().copied());
    let trusted = crate::trust::trusted(&role.assume_role_policy_document);
    let _ = write!(
        body,
        "<section class=\"card\" id=\"picture\"><div class=\"card-head\"><h2>Access at a glance</h2></div>\
<p class=\"muted\">Who can assume this role (from its trust policy) and what it can do (services and access levels from its policies).</p>\
<div class=\"picture-wrap\">{}</div></section>",
        crate::svg::role_picture(&role.name, &trusted, &summary)
    );

    let items = [
        (
            "permissions",
            "Permissions".to_string(),
            format!("{url}?tab=permissions"),
        ),
        (
            "trust",
            "Trust relationships".to_string(),
            format!("{url}?tab=trust"),
        ),
        (
            "tags",
            format!("Tags ({})", role.tags.len()),
            format!("{url}?tab=tags"),
        ),
    ];
    body.push_str(&tabs(&items, tab));
    body.push_str("<div class=\"tab-panel\" role=\"tabpanel\">");
    match tab {
        "trust" => trust_tab(&mut body, role, &trusted),
        "tags" => tags_tab(&mut body, ctx, role),
        _ => permissions_tab(&mut body, ctx, role, &managed, &summary),
    }
    body.push_str("</div>");
    ctx.page(
        status,
        Page {
            title: &role.name,
            nav: Nav::Roles,
            crumbs: vec![
                ("Roles".into(), Some(format!("{}/roles", crate::PREFIX))),
                (role.name.clone(), None),
            ],
            body,
        },
    )
}

fn permissions_tab(
    body: &mut String,
    ctx: &Ctx,
    role: &Role,
    managed: &[(String, Option<String>)],
    summary: &access::Summary,
) {
    let url = esc(&role_url(&role.name));
    let total = managed.len() + role.inline_policies.len();
    let _ = write!(
        body,
        "<section class=\"card\"><div class=\"card-head\"><h2>Permissions policies <span class=\"count\">({total})</span></h2>\
<div class=\"actions\"><a class=\"button\" href=\"{url}/inline\">Create inline policy</a>\
<a class=\"button primary\" id=\"attach-policies\" href=\"{url}/attach\">Attach policies</a></div></div>\
<p class=\"muted\">You can attach up to {max} managed policies.</p>\
<table class=\"table\" id=\"permissions-table\" data-sortable><thead><tr><th scope=\"col\">Policy name</th><th scope=\"col\">Type</th><th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>",
        max = ctx.service.settings().quotas.managed_policies_per_role,
    );
    if total == 0 {
        body.push_str("<tr><td colspan=\"3\" class=\"empty\">No policies are attached to this role.</td></tr>");
    }
    let csrf = csrf_field(ctx.req);
    for (arn, document) in managed {
        let name = policy_name(arn);
        let kind = picker::kind_label(picker::kind_of(
            arn,
            ironiam_core::service::policy_path_of(arn),
        ));
        let _ = write!(
            body,
            "<tr data-policy=\"{name_attr}\"><td><a href=\"{purl}\">{name}</a>\
<details class=\"json\"><summary>JSON</summary>{doc}</details></td><td>{kind}</td>\
<td><div class=\"row-actions\"><form method=\"post\" action=\"{url}/detach\">{csrf}<input type=\"hidden\" name=\"arn\" value=\"{arn}\">\
<button type=\"submit\" class=\"button small\" aria-label=\"Detach {name_attr}\">Detach</button></form></div></td></tr>",
            name_attr = esc(name),
            purl = esc(&policy_url(arn)),
            name = esc(name),
            doc = document.as_deref().map(|d| code_block(d, name)).unwrap_or_else(|| "<p class=\"muted\">Document unavailable.</p>".into()),
            arn = esc(arn),
        );
    }
    for (name, document) in &role.inline_policies {
        let _ = write!(
            body,
            "<tr data-policy=\"{n}\"><td>{n}<details class=\"json\"><summary>JSON</summary>{doc}</details></td><td>Customer inline</td>\
<td><div class=\"row-actions\"><a class=\"button small\" href=\"{url}/inline?name={enc_name}\">Edit</a>\
<form method=\"post\" action=\"{url}/inline-delete\">{csrf}<input type=\"hidden\" name=\"name\" value=\"{n}\">\
<button type=\"submit\" class=\"button small\" aria-label=\"Remove {n}\">Remove</button></form></div></td></tr>",
            n = esc(name),
            doc = code_block(document, name),
            enc_name = esc(&enc(name)),
        );
    }
    body.push_str("</tbody></table></section>");

    // What the policies allow, per service.
    body.push_str(
        "<section class=\"card\"><div class=\"card-head\"><h2>Permissions summary</h2></div>\
<table class=\"table\" id=\"summary-table\" data-sortable><thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Access level</th><th scope=\"col\">Notes</th></tr></thead><tbody>",
    );
    if summary.allowed.is_empty() {
        body.push_str(
            "<tr><td colspan=\"3\" class=\"empty\">This role grants nothing yet.</td></tr>",
        );
    }
    for s in &summary.allowed {
        let mut notes = Vec::new();
        if s.limited {
            notes.push("limited to some resources");
        }
        if s.conditional {
            notes.push("with conditions");
        }
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td class=\"muted\">{}</td></tr>",
            esc(&s.name),
            esc(&s.levels_label()),
            esc(&notes.join(", "))
        );
    }
    body.push_str("</tbody></table><p class=\"muted small\">Access levels are read from each action's verb (List, Get/Describe, Tag…), which matches AWS's classification for the common verbs.</p></section>");
}

fn trust_tab(body: &mut String, role: &Role, trusted: &[crate::trust::Trusted]) {
    let url = esc(&role_url(&role.name));
    let _ = write!(
        body,
        "<section class=\"card\"><div class=\"card-head\"><h2>Trusted entities</h2>\
<div class=\"actions\"><a class=\"button primary\" id=\"edit-trust\" href=\"{url}/trust\">Edit trust relationship</a></div></div>\
<p class=\"muted\">Entities that can assume this role under specified conditions.</p>\
<table class=\"table\" id=\"trusted-table\"><thead><tr><th scope=\"col\">Kind</th><th scope=\"col\">Principal</th><th scope=\"col\">Conditions</th></tr></thead><tbody>"
    );
    if trusted.is_empty() {
        body.push_str(
            "<tr><td colspan=\"3\" class=\"empty\">The trust policy allows no principal.</td></tr>",
        );
    }
    for t in trusted {
        let _ = write!(
            body,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(t.kind_label()),
            esc(&t.value),
            if t.conditional { "Yes" } else { "None" }
        );
    }
    let _ = write!(
        body,
        "</tbody></table><h3>Trust policy</h3><div id=\"trust-document\">{}</div></section>",
        code_block(&role.assume_role_policy_document, "Trust policy")
    );
}

fn tags_tab(body: &mut String, ctx: &Ctx, role: &Role) {
    let url = esc(&role_url(&role.name));
    let csrf = csrf_field(ctx.req);
    let _ = write!(
        body,
        "<section class=\"card\"><div class=\"card-head\"><h2>Tags <span class=\"count\">({})</span></h2></div>\
<p class=\"muted\">Tags are key–value pairs that help you identify, organise and control access to the role. Up to {} tags.</p>\
<table class=\"table\" id=\"tags-table\" data-sortable><thead><tr><th scope=\"col\">Key</th><th scope=\"col\">Value</th><th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>",
        role.tags.len(),
        ctx.service.settings().quotas.tags_per_resource,
    );
    if role.tags.is_empty() {
        body.push_str("<tr><td colspan=\"3\" class=\"empty\">No tags.</td></tr>");
    }
    for Tag { key, value } in &role.tags {
        let _ = write!(
            body,
            "<tr><td class=\"tag-key\">{k}</td><td class=\"tag-value\">{v}</td><td><div class=\"row-actions\">\
<form method=\"post\" action=\"{url}/untag\">{csrf}<input type=\"hidden\" name=\"key\" value=\"{k}\">\
<button type=\"submit\" class=\"button small\" aria-label=\"Remove tag {k}\">Remove</button></form></div></td></tr>",
            k = esc(key),
            v = esc(value),
        );
    }
    let _ = write!(
        body,
        "</tbody></table><form class=\"form-row\" method=\"post\" action=\"{url}/tags\">{csrf}\
<label>Key <input name=\"key\" id=\"tag-key\" required maxlength=\"128\"></label>\
<label><span>Value <span class=\"muted\">– optional</span></span><input name=\"value\" id=\"tag-value\" maxlength=\"256\"></label>\
<button type=\"submit\" class=\"button primary\" id=\"add-tag\">Add tag</button></form></section>"
    );
}

// ----- actions -----

fn fail(ctx: &Ctx, role: &Role, tab: &str, e: ApiError) -> Out {
    render(
        ctx,
        role,
        tab,
        Some(error_alert(&e.code, &e.message)),
        StatusCode::BAD_REQUEST,
    )
}

fn with_role(ctx: &Ctx, name: &str, f: impl FnOnce(Arc<Role>) -> Out) -> Out {
    match ctx.role(name) {
        Ok(role) => f(role),
        Err(out) => out,
    }
}

/// `POST /console/roles/{name}/detach`.
pub(crate) fn detach(ctx: &Ctx, name: &str) -> Out {
    with_role(ctx, name, |role| {
        let arn = ctx.req.f_or_empty("arn");
        let result = ctx.call(
            "DetachRolePolicy",
            &[("RoleName", &role.name), ("PolicyArn", arn)],
            |s, c| s.detach_policy(c, PrincipalKind::Role, &role.name, arn),
        );
        match result {
            Ok(()) => redirect_role(&role.name, "permissions", "detached"),
            Err(e) => fail(ctx, &role, "permissions", e),
        }
    })
}

/// `POST /console/roles/{name}/tags`.
pub(crate) fn add_tag(ctx: &Ctx, name: &str) -> Out {
    with_role(ctx, name, |role| {
        let key = ctx.req.f_or_empty("key").trim();
        let value = ctx.req.f_or_empty("value");
        let params = [
            ("RoleName", role.name.as_str()),
            ("Tags.member.1.Key", key),
            ("Tags.member.1.Value", value),
        ];
        let result = ctx.call("TagRole", &params, |s, c| {
            s.tag(
                c,
                PrincipalKind::Role,
                &role.name,
                vec![Tag {
                    key: key.to_string(),
                    value: value.to_string(),
                }],
            )
        });
        match result {
            Ok(()) => redirect_role(&role.name, "tags", "tagged"),
            Err(e) => fail(ctx, &role, "tags", e),
        }
    })
}

/// `POST /console/roles/{name}/untag`.
pub(crate) fn remove_tag(ctx: &Ctx, name: &str) -> Out {
    with_role(ctx, name, |role| {
        let key = ctx.req.f_or_empty("key");
        let result = ctx.call(
            "UntagRole",
            &[("RoleName", &role.name), ("TagKeys.member.1", key)],
            |s, c| s.untag(c, PrincipalKind::Role, &role.name, vec![key.to_string()]),
        );
        match result {
            Ok(()) => redirect_role(&role.name, "tags", "untagged"),
            Err(e) => fail(ctx, &role, "tags", e),
        }
    })
}

/// `POST /console/roles/{name}/inline-delete`.
pub(crate) fn inline_delete(ctx: &Ctx, name: &str) -> Out {
    with_role(ctx, name, |role| {
        let policy = ctx.req.f_or_empty("name");
        match ctx.call(
            "DeleteRolePolicy",
            &[("RoleName", &role.name), ("PolicyName", policy)],
            |s, c| s.delete_inline_policy(c, PrincipalKind::Role, &role.name, policy),
        ) {
            Ok(()) => redirect_role(&role.name, "permissions", "inline-deleted"),
            Err(e) => fail(ctx, &role, "permissions", e),
        }
    })
}

/// A page under a role (`Roles › role › crumb`), with the failed submit's
/// error above it.
fn role_form_page(
    ctx: &Ctx,
    role: &Role,
    title: &str,
    crumb: &str,
    problem: Option<&ApiError>,
    body: String,
) -> Out {
    let crumbs = vec![
        ("Roles".into(), Some(format!("{}/roles", crate::PREFIX))),
        (role.name.clone(), Some(role_url(&role.name))),
        (crumb.into(), None),
    ];
    ctx.form_page(title, Nav::Roles, crumbs, problem, body)
}

/// `GET /console/roles/{name}/attach`.
pub(crate) fn attach_form(ctx: &Ctx, name: &str) -> Out {
    with_role(ctx, name, |role| {
        attach_page(ctx, &role, &BTreeSet::new(), None)
    })
}

fn attach_page(
    ctx: &Ctx,
    role: &Role,
    selected: &BTreeSet<String>,
    problem: Option<ApiError>,
) -> Out {
    let rows = match picker::all_policies(ctx) {
        Ok(r) => r,
        Err(e) => return ctx.error_page(Nav::Roles, &e),
    };
    let url = role_url(&role.name);
    let exclude: BTreeSet<String> = role.attached_policies.iter().cloned().collect();
    let mut body = String::with_capacity(64 * 1024);
    let _ = write!(
        body,
        "<div class=\"page-head\"><h1>Attach policy to {name}</h1></div>\
<section class=\"card\"><details><summary>Current permissions policies ({n})</summary><ul class=\"plain\">",
        name = esc(&role.name),
        n = role.attached_policies.len()
    );
    for arn in &role.attached_policies {
        let _ = write!(
            body,
            "<li><a href=\"{}\">{}</a></li>",
            esc(&policy_url(arn)),
            esc(policy_name(arn))
        );
    }
    let _ = write!(
        body,
        "</ul></details></section>\
<form id=\"picker-filter\" method=\"get\" action=\"{url}/attach\"></form>\
<form method=\"post\" action=\"{url}/attach\" id=\"attach-form\" class=\"card\">{csrf}{picker}\
<div class=\"form-actions\"><a class=\"button\" href=\"{url}\">Cancel</a>\
<button type=\"submit\" class=\"button primary\" id=\"attach-submit\">Attach policy</button></div></form>",
        url = esc(&url),
        csrf = csrf_field(ctx.req),
        picker = picker::render(&Picker {
            rows: &rows,
            selected,
            exclude: &exclude,
            filter: ctx.req.q_or_empty("filter"),
            kind: ctx.req.q_or_empty("type"),
            filter_form: "picker-filter",
            heading: "Other permissions policies",
            single: false,
        }),
    );
    role_form_page(
        ctx,
        role,
        "Attach policies",
        "Attach policies",
        problem.as_ref(),
        body,
    )
}

/// `POST /console/roles/{name}/attach`: attaches every selected policy, in
/// name order, stopping at the first error.
pub(crate) fn attach(ctx: &Ctx, name: &str) -> Out {
    with_role(ctx, name, |role| {
        let selected: BTreeSet<String> = ctx
            .req
            .f_all("arn")
            .into_iter()
            .map(str::to_string)
            .collect();
        if selected.is_empty() {
            let e = ApiError {
                code: "ValidationError".into(),
                message: "Select at least one policy to attach.".into(),
            };
            return attach_page(ctx, &role, &selected, Some(e));
        }
        let mut done = 0;
        for arn in &selected {
            let result = ctx.call(
                "AttachRolePolicy",
                &[("RoleName", &role.name), ("PolicyArn", arn)],
                |s, c| s.attach_policy(c, PrincipalKind::Role, &role.name, arn),
            );
            if let Err(e) = result {
                let role = ctx
                    .service
                    .get_role(&ctx.caller, &role.name)
                    .unwrap_or(role.clone());
                let rest: BTreeSet<String> = selected.iter().skip(done).cloned().collect();
                return attach_page(ctx, &role, &rest, Some(e));
            }
            done += 1;
        }
        Out::Redirect(format!(
            "{}?tab=permissions&done=attached&n={done}",
            role_url(&role.name)
        ))
    })
}

/// `GET|POST /console/roles/{name}/boundary`: set (`op=set`, one `arn`) or
/// remove (`op=remove`) the role's permissions boundary.
pub(crate) fn boundary(ctx: &Ctx, name: &str) -> Out {
    with_role(ctx, name, |role| {
        let mut problem = None;
        let mut selected: BTreeSet<String> = role.permissions_boundary.iter().cloned().collect();
        if ctx.req.method == hyper::Method::POST {
            let r = role.name.as_str();
            let result = if ctx.req.f("op") == Some("remove") {
                ctx.call(
                    "DeleteRolePermissionsBoundary",
                    &[("RoleName", r)],
                    |s, c| s.delete_permissions_boundary(c, PrincipalKind::Role, r),
                )
                .map(|()| "boundary-removed")
            } else {
                selected = ctx
                    .req
                    .f_all("arn")
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                match selected.iter().next() {
                    Some(arn) if selected.len() == 1 => ctx
                        .call(
                            "PutRolePermissionsBoundary",
                            &[("RoleName", r), ("PermissionsBoundary", arn)],
                            |s, c| s.put_permissions_boundary(c, PrincipalKind::Role, r, arn),
                        )
                        .map(|()| "boundary"),
                    _ => Err(ApiError {
                        code: "ValidationError".into(),
                        message: "Choose exactly one policy as the permissions boundary.".into(),
                    }),
                }
            };
            match result {
                Ok(done) => return redirect_role(&role.name, "permissions", done),
                Err(e) => problem = Some(e),
            }
        }
        let rows = match picker::all_policies(ctx) {
            Ok(r) => r,
            Err(e) => return ctx.error_page(Nav::Roles, &e),
        };
        let url = role_url(&role.name);
        let mut body = String::with_capacity(64 * 1024);
        let current = match role.permissions_boundary.as_deref() {
            Some(b) => format!(
                "<p>Current boundary: <a href=\"{}\">{}</a></p>\
<form method=\"post\" action=\"{}/boundary\">{}<input type=\"hidden\" name=\"op\" value=\"remove\">\
<button type=\"submit\" class=\"button danger-outline\" id=\"remove-boundary\">Remove boundary</button></form>",
                esc(&policy_url(b)),
                esc(policy_name(b)),
                esc(&url),
                csrf_field(ctx.req)
            ),
            None => "<p class=\"muted\">This role has no permissions boundary.</p>".to_string(),
        };
        let _ = write!(
            body,
            "<div class=\"page-head\"><h1>Permissions boundary of {name}</h1></div>\
<section class=\"card\"><p>A permissions boundary is a managed policy that sets the most this role's identity-based policies can grant: \
an action is allowed only when both allow it.</p>{current}</section>\
<form id=\"picker-filter\" method=\"get\" action=\"{url}/boundary\"></form>\
<form method=\"post\" action=\"{url}/boundary\" id=\"boundary-form\" class=\"card\">{csrf}<input type=\"hidden\" name=\"op\" value=\"set\">{picker}\
<div class=\"form-actions\"><a class=\"button\" href=\"{url}\">Cancel</a>\
<button type=\"submit\" class=\"button primary\" id=\"set-boundary\">Set boundary</button></div></form>",
            name = esc(&role.name),
            url = esc(&url),
            csrf = csrf_field(ctx.req),
            picker = picker::render(&Picker {
                rows: &rows,
                selected: &selected,
                exclude: &BTreeSet::new(),
                filter: ctx.req.q_or_empty("filter"),
                kind: ctx.req.q_or_empty("type"),
                filter_form: "picker-filter",
                heading: "Choose a permissions boundary",
                single: true,
            }),
        );
        role_form_page(
            ctx,
            &role,
            "Permissions boundary",
            "Permissions boundary",
            problem.as_ref(),
            body,
        )
    })
}

/// Session durations offered, as AWS's console offers them.
const SESSIONS: [(i64, &str); 5] = [
    (3600, "1 hour"),
    (7200, "2 hours"),
    (14400, "4 hours"),
    (28800, "8 hours"),
    (43200, "12 hours"),
];

/// `GET|POST /console/roles/{name}/edit`: description and maximum session duration.
pub(crate) fn edit(ctx: &Ctx, name: &str) -> Out {
    with_role(ctx, name, |role| {
        let mut problem = None;
        let mut description = role.description.clone().unwrap_or_default();
        let mut max = role.max_session_duration.to_string();
        if ctx.req.method == hyper::Method::POST {
            description = ctx.req.f_or_empty("description").to_string();
            max = match ctx.req.f_or_empty("max_session") {
                "custom" => ctx.req.f_or_empty("max_session_custom").trim().to_string(),
                v => v.to_string(),
            };
            let params = [
                ("RoleName", role.name.as_str()),
                ("Description", &description),
                ("MaxSessionDuration", &max),
            ];
            let result = shape("UpdateRole", &params).and_then(|()| {
                let seconds = max.parse::<i64>().map_err(|_| ApiError {
                    code: "ValidationError".into(),
                    message: "Maximum session duration must be a number of seconds.".into(),
                })?;
                ctx.call("UpdateRole", &params, |s, c| {
                    s.update_role(c, &role.name, Some(description.clone()), Some(seconds))
                })
            });
            match result {
                Ok(_) => return redirect_role(&role.name, "permissions", "updated"),
                Err(e) => problem = Some(e),
            }
        }
        let url = role_url(&role.name);
        let mut body = String::new();
        let custom = !SESSIONS.iter().any(|(s, _)| s.to_string() == max);
        let _ = write!(
            body,
            "<div class=\"page-head\"><h1>Edit {name}</h1></div>\
<form method=\"post\" action=\"{url}/edit\" class=\"card form\">{csrf}\
<label for=\"description\">Description</label>\
<p class=\"help\">Up to 1,000 characters: letters, digits and printable symbols.</p>\
<textarea id=\"description\" name=\"description\" rows=\"3\" maxlength=\"1000\">{description}</textarea>\
<label for=\"max-session\">Maximum session duration</label>\
<p class=\"help\">How long the credentials of a session of this role last, from 1 to 12 hours.</p>\
<select id=\"max-session\" name=\"max_session\">",
            name = esc(&role.name),
            url = esc(&url),
            csrf = csrf_field(ctx.req),
            description = esc(&description),
        );
        for (seconds, label) in SESSIONS {
            let selected = if seconds.to_string() == max {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                body,
                "<option value=\"{seconds}\"{selected}>{label}</option>"
            );
        }
        let _ = write!(
            body,
            "<option value=\"custom\"{sel}>Custom duration (seconds)</option></select>\
<input type=\"number\" name=\"max_session_custom\" min=\"3600\" max=\"43200\" value=\"{custom_value}\" aria-label=\"Custom duration in seconds\">\
<div class=\"form-actions\"><a class=\"button\" href=\"{url}\">Cancel</a><button type=\"submit\" class=\"button primary\" id=\"save-summary\">Save changes</button></div></form>",
            sel = if custom { " selected" } else { "" },
            custom_value = if custom { esc(&max) } else { String::new() },
            url = esc(&url),
        );
        role_form_page(ctx, &role, "Edit role", "Edit", problem.as_ref(), body)
    })
}

/// The document a new inline policy starts from.
const INLINE_TEMPLATE: &str = "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Sid\": \"Statement1\",\n            \"Effect\": \"Allow\",\n            \"Action\": [],\n            \"Resource\": []\n        }\n    ]\n}";

/// `GET|POST /console/roles/{name}/inline`: create or edit an inline policy.
pub(crate) fn inline(ctx: &Ctx, name: &str) -> Out {
    with_role(ctx, name, |role| {
        let mut problem = None;
        let (mut policy_name, mut document) = match ctx.req.q("name") {
            Some(n) => (
                n.to_string(),
                role.inline_policies
                    .get(n)
                    .map(|d| crate::html::pretty_json(d))
                    .unwrap_or_else(|| INLINE_TEMPLATE.to_string()),
            ),
            None => (String::new(), INLINE_TEMPLATE.to_string()),
        };
        if ctx.req.method == hyper::Method::POST {
            policy_name = ctx.req.f_or_empty("name").trim().to_string();
            document = ctx.req.f_or_empty("document").to_string();
            let params = [
                ("RoleName", role.name.as_str()),
                ("PolicyName", &policy_name),
                ("PolicyDocument", &document),
            ];
            let result = ctx.call("PutRolePolicy", &params, |s, c| {
                s.put_inline_policy(
                    c,
                    PrincipalKind::Role,
                    &role.name,
                    policy_name.clone(),
                    document.clone(),
                )
            });
            match result {
                Ok(()) => return redirect_role(&role.name, "permissions", "inline"),
                Err(e) => problem = Some(e),
            }
        }
        let url = role_url(&role.name);
        let mut body = String::new();
        let _ = write!(
            body,
            "<div class=\"page-head\"><h1>Inline policy for {name}</h1></div>\
<form method=\"post\" action=\"{url}/inline\" class=\"card form\">{csrf}\
<label for=\"inline-name\">Policy name</label><p class=\"help\">Letters, digits and +=,.@-_ — up to 128 characters.</p>\
<input id=\"inline-name\" name=\"name\" value=\"{policy_name}\" required maxlength=\"128\">\
<label for=\"policy-document\">Policy document</label>\
<textarea id=\"policy-document\" name=\"document\" rows=\"18\" spellcheck=\"false\" class=\"code-input\" data-policy-editor=\"identity\">{document}</textarea>\
<div id=\"policy-status\" class=\"validation\" aria-live=\"polite\"></div>\
<div class=\"form-actions\"><a class=\"button\" href=\"{url}\">Cancel</a><button type=\"submit\" class=\"button primary\" id=\"save-inline\">Save policy</button></div></form>",
            name = esc(&role.name),
            url = esc(&url),
            csrf = csrf_field(ctx.req),
            policy_name = esc(&policy_name),
            document = esc(&document),
        );
        role_form_page(
            ctx,
            &role,
            "Inline policy",
            "Inline policy",
            problem.as_ref(),
            body,
        )
    })
}

/// As AWS's console does when it deletes a role ("Unlike the AWS Management
/// Console, when you delete a role programmatically, you must" remove it from
/// its instance profiles): takes the role out of every instance profile, and
/// deletes the one the console made with it (of the role's name, left empty).
fn remove_from_instance_profiles(ctx: &Ctx, r: &str) -> Result<(), ApiError> {
    let mut marker: Option<String> = None;
    // Bounded: each page holds up to 1,000 of the account's profiles.
    for _ in 0..1000 {
        let m = marker.clone();
        let params: Vec<(&str, &str)> = match &m {
            Some(m) => vec![("RoleName", r), ("Marker", m.as_str())],
            None => vec![("RoleName", r)],
        };
        let page = ctx.call("ListInstanceProfilesForRole", &params, |s, c| {
            let paging = ironiam_core::service::Paging {
                marker: m.as_deref(),
                max_items: Some(1000),
                ..Default::default()
            };
            s.list_instance_profiles_for_role(c, r, paging)
        })?;
        for view in &page.items {
            let p = view.profile.name.as_str();
            let both = [("InstanceProfileName", p), ("RoleName", r)];
            ctx.call("RemoveRoleFromInstanceProfile", &both, |s, c| {
                s.remove_role_from_instance_profile(c, p, r)
            })?;
            if p.eq_ignore_ascii_case(r) && view.roles.len() == 1 {
                ctx.call(
                    "DeleteInstanceProfile",
                    &[("InstanceProfileName", p)],
                    |s, c| s.delete_instance_profile(c, p),
                )?;
            }
        }
        match page.marker {
            Some(next) => marker = Some(next),
            None => return Ok(()),
        }
    }
    Ok(())
}

/// `GET|POST /console/roles/{name}/delete`: as AWS's console does, deleting
/// detaches the managed policies, removes the inline ones and takes the role
/// out of its instance profiles first.
pub(crate) fn delete(ctx: &Ctx, name: &str) -> Out {
    with_role(ctx, name, |role| {
        let mut problem = None;
        if ctx.req.method == hyper::Method::POST {
            if ctx.req.f_or_empty("confirm").trim() != role.name {
                problem = Some(ApiError {
                    code: "ValidationError".into(),
                    message: "Type the role name exactly to confirm.".into(),
                });
            } else {
                let result: Result<(), ApiError> = (|| {
                    let r = role.name.as_str();
                    for arn in &role.attached_policies {
                        ctx.call(
                            "DetachRolePolicy",
                            &[("RoleName", r), ("PolicyArn", arn)],
                            |s, c| s.detach_policy(c, PrincipalKind::Role, r, arn),
                        )?;
                    }
                    for policy in role.inline_policies.keys() {
                        ctx.call(
                            "DeleteRolePolicy",
                            &[("RoleName", r), ("PolicyName", policy)],
                            |s, c| s.delete_inline_policy(c, PrincipalKind::Role, r, policy),
                        )?;
                    }
                    remove_from_instance_profiles(ctx, r)?;
                    ctx.call("DeleteRole", &[("RoleName", r)], |s, c| s.delete_role(c, r))
                })();
                match result {
                    Ok(()) => {
                        return Out::Redirect(format!(
                            "{}/roles?done=deleted&role={}",
                            crate::PREFIX,
                            enc(&role.name)
                        ))
                    }
                    Err(e) => problem = Some(e),
                }
            }
        }
        let url = role_url(&role.name);
        let mut body = String::new();
        let _ = write!(
            body,
            "<div class=\"page-head\"><h1>Delete {name}?</h1></div>\
<form method=\"post\" action=\"{url}/delete\" class=\"card form\">{csrf}\
<p>Deleting the role detaches its {managed} managed {mp} and removes its {inline} inline {ip}. Anything using the role loses access. This cannot be undone.</p>\
<label for=\"confirm\">To confirm, type the role name</label><input id=\"confirm\" name=\"confirm\" autocomplete=\"off\" required>\
<div class=\"form-actions\"><a class=\"button\" href=\"{url}\">Cancel</a><button type=\"submit\" class=\"button danger\" id=\"confirm-delete\">Delete</button></div></form>",
            name = esc(&role.name),
            url = esc(&url),
            csrf = csrf_field(ctx.req),
            managed = count(role.attached_policies.len()),
            mp = if role.attached_policies.len() == 1 { "policy" } else { "policies" },
            inline = count(role.inline_policies.len()),
            ip = if role.inline_policies.len() == 1 { "policy" } else { "policies" },
        );
        role_form_page(ctx, &role, "Delete role", "Delete", problem.as_ref(), body)
    })
}

/// Request-level: the role page and the roles list show GetRole's last use.
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::Request;
    use ironiam_core::clock::FixedClock;
    use ironiam_core::memory::MemoryStore;
    use ironiam_core::service::{IamService, NewRole, Settings};
    use ironiam_core::sts::ServiceAssumeRole;

    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    async fn get(service: &IamService, uri: &str) -> String {
        let req = Request::get(uri)
            .header("host", "127.0.0.1:1")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = crate::Console::local().handle(service, req).await;
        assert_eq!(response.status(), hyper::StatusCode::OK, "{uri}");
        String::from_utf8(
            response
                .into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn role_page_and_list_show_last_activity() {
        let clock = Arc::new(FixedClock::new(1_795_998_080));
        let s = IamService::new(
            Arc::new(MemoryStore::new()),
            clock.clone(),
            Settings::default(),
        );
        for name in ["idle", "worker"] {
            let role = NewRole {
                name: name.into(),
                trust_policy: TRUST.into(),
                ..NewRole::default()
            };
            s.create_role(&s.default_caller(), role).unwrap();
        }
        let page = get(&s, "/console/roles/worker").await;
        assert!(
            page.contains("<dd id=\"role-last-activity\"><span class=\"muted\">None</span></dd>"),
            "{page}"
        );

        let arn = s.get_role(&s.default_caller(), "worker").unwrap().arn();
        let request = ServiceAssumeRole {
            service: "ec2.amazonaws.com".into(),
            role_arn: arn,
            session_name: "i-0abc".into(),
            source_account: None,
            source_arn: None,
            duration_seconds: None,
        };
        let issued = s.assume_role_as_service(&request).unwrap();
        s.note_role_session_use(&issued.claims, Some("eu-west-1"))
            .unwrap();
        clock.advance(180);
        let page = get(&s, "/console/roles/worker").await;
        assert!(
            page.contains("<dd id=\"role-last-activity\"><time datetime=\"2026-11-30T00:21:20Z\" title=\"2026-11-30T00:21:20Z\">3 minutes ago</time> (eu-west-1)</dd>"),
            "{page}"
        );

        // The list shows it too, and sorts by it: never used first, then by date.
        let list = get(&s, "/console/roles?sort=activity").await;
        let idle = list.find(">idle</a>").unwrap();
        let worker = list.find(">worker</a>").unwrap();
        assert!(idle < worker, "{list}");
        assert!(list.contains("3 minutes ago</time> (eu-west-1)"), "{list}");
        assert!(
            list.contains("<td class=\"last-activity\"><span class=\"muted\">None</span></td>"),
            "{list}"
        );
        let list = get(&s, "/console/roles?sort=activity&order=desc").await;
        assert!(
            list.find(">worker</a>").unwrap() < list.find(">idle</a>").unwrap(),
            "{list}"
        );
    }
}
