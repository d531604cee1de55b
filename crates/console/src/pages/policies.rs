//! Managed policies: the list (filter by name and type, pages) and a policy's
//! page (summary, permissions, versions with their documents, where attached).

use std::fmt::Write as _;

use hyper::StatusCode;
use ironiam_core::service::{PolicyFilter, PolicyScope, UsageFilter};

use super::picker::{kind_label, kind_of};
use super::{now, policy_edit, Ctx};
use crate::access;
use crate::html::{
    alert, code_block, count, csrf_field, date, enc, esc, pagination, policy_url, role_url, tabs,
    Alert, Nav, Page,
};
use crate::validate::ApiError;
use crate::Out;

const PAGE_SIZE: usize = 50;

/// `GET /console/policies?q=&type=&used=&page=`.
pub(crate) fn list(ctx: &Ctx) -> Out {
    let q = ctx.req.q_or_empty("q");
    let kind = ctx.req.q_or_empty("type");
    let used = ctx.req.q("used") == Some("1");
    let scope = match kind {
        "aws" | "job" => PolicyScope::Aws,
        "customer" => PolicyScope::Local,
        _ => PolicyScope::All,
    };
    let filter = PolicyFilter {
        scope,
        only_attached: used,
        path_prefix: if kind == "job" {
            "/job-function/".into()
        } else {
            "/".into()
        },
        usage: None,
    };
    if let Err(e) = ctx.allow("ListPolicies", &[]) {
        return ctx.error_page(Nav::Policies, &e);
    }
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        match ctx
            .service
            .list_policies(&ctx.caller, &filter, marker.as_deref(), Some(1000))
        {
            Ok(page) => {
                all.extend(page.items);
                match page.marker {
                    Some(m) => marker = Some(m),
                    None => break,
                }
            }
            Err(e) => return ctx.error_page(Nav::Policies, &ApiError::from(e)),
        }
    }
    let needle = q.to_lowercase();
    let matching: Vec<_> = all
        .iter()
        .filter(|p| {
            needle.is_empty()
                || p.name.to_lowercase().contains(&needle)
                || p.description
                    .as_deref()
                    .is_some_and(|d| d.to_lowercase().contains(&needle))
        })
        .collect();
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = ctx
        .req
        .q("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let href = |n: usize| {
        let mut params = Vec::new();
        if !q.is_empty() {
            params.push(format!("q={}", enc(q)));
        }
        if !kind.is_empty() {
            params.push(format!("type={}", enc(kind)));
        }
        if used {
            params.push("used=1".to_string());
        }
        if n > 1 {
            params.push(format!("page={n}"));
        }
        format!("{}/policies?{}", crate::PREFIX, params.join("&"))
    };

    let mut results = String::with_capacity(PAGE_SIZE * 400);
    results.push_str(
        "<table class=\"table\" id=\"policies-table\" data-sortable><thead><tr><th scope=\"col\">Policy name</th><th scope=\"col\">Type</th>\
<th scope=\"col\">Used as</th><th scope=\"col\">Description</th></tr></thead><tbody>",
    );
    if matching.is_empty() {
        results.push_str("<tr><td colspan=\"4\" class=\"empty\">No policies match.</td></tr>");
    }
    for p in matching.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE) {
        let used_as = match (p.attachment_count, p.boundary_usage_count) {
            (0, 0) => "<span class=\"muted\">None</span>".to_string(),
            (a, 0) => format!("Permissions policy ({a})"),
            (0, b) => format!("Permissions boundary ({b})"),
            (a, b) => format!("Permissions policy ({a}), boundary ({b})"),
        };
        let _ = write!(
            results,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"desc\">{}</td></tr>",
            esc(&policy_url(&p.arn)),
            esc(&p.name),
            kind_label(kind_of(&p.arn, &p.path)),
            used_as,
            esc(p.description.as_deref().unwrap_or(""))
        );
    }
    results.push_str("</tbody></table>");
    results.push_str(&pagination(matching.len(), PAGE_SIZE, page, href));
    if ctx.req.q("fragment").is_some() {
        return Out::Html(StatusCode::OK, results);
    }

    let mut body = format!(
        "{}<div class=\"page-head\"><h1>Policies <span class=\"count\">({})</span></h1>\
<div class=\"actions\"><a class=\"button primary\" id=\"create-policy\" href=\"{}/policies/create\">Create policy</a></div></div>\
<p class=\"lead\">A policy is an object that defines permissions. AWS managed policies are maintained by AWS; customer managed policies are yours.</p>\
<section class=\"card\"><form class=\"toolbar\" method=\"get\" action=\"{}/policies\" data-live-search=\"results\" role=\"search\">\
<label class=\"search\"><span class=\"visually-hidden\">Filter policies</span><input type=\"search\" id=\"policy-search\" name=\"q\" value=\"{}\" placeholder=\"Filter policies by name or description\" autocomplete=\"off\"></label>\
<label class=\"inline-field\">Type <select name=\"type\" id=\"policy-type-filter\">",
        if ctx.req.q("done") == Some("deleted") {
            alert(Alert::Success, "Policy deleted", "The policy was deleted.")
        } else {
            String::new()
        },
        count(all.len()),
        crate::PREFIX,
        crate::PREFIX,
        esc(q)
    );
    for (value, label) in [
        ("", "All types"),
        ("aws", "AWS managed"),
        ("job", "AWS managed – job function"),
        ("customer", "Customer managed"),
    ] {
        let selected = if value == kind { " selected" } else { "" };
        let _ = write!(body, "<option value=\"{value}\"{selected}>{label}</option>");
    }
    let _ = write!(
        body,
        "</select></label><label class=\"option\"><input type=\"checkbox\" name=\"used\" value=\"1\"{}> Attached only</label>\
<button type=\"submit\" class=\"button\">Filter</button></form><div id=\"results\" aria-live=\"polite\">{results}</div></section>",
        if used { " checked" } else { "" }
    );
    ctx.page(
        StatusCode::OK,
        Page {
            title: "Policies",
            nav: Nav::Policies,
            crumbs: vec![("Policies".into(), None)],
            body,
        },
    )
}

/// `GET /console/policies/view?arn=…&tab=permissions|entities|versions&version=v1`.
pub(crate) fn view(ctx: &Ctx) -> Out {
    render(
        ctx,
        ctx.req.q_or_empty("arn"),
        ctx.req.q_or_empty("tab"),
        None,
    )
}

fn done_notice(ctx: &Ctx) -> Option<String> {
    let (title, text) = match ctx.req.q("done")? {
        "created" => ("Policy created", "The policy was created."),
        "version" => (
            "Policy updated",
            "A new version was saved and made the default.",
        ),
        "default" => (
            "Default version changed",
            "The chosen version is now the default.",
        ),
        "version-deleted" => ("Version deleted", "The version was deleted."),
        _ => return None,
    };
    Some(alert(Alert::Success, title, &esc(text)))
}

/// The page of policy `arn` on tab `tab`, with `problem` above it when an
/// action failed.
pub(crate) fn render(ctx: &Ctx, arn: &str, tab: &str, problem: Option<ApiError>) -> Out {
    let info = match ctx.call("GetPolicy", &[("PolicyArn", arn)], |s, c| {
        s.get_policy(c, arn)
    }) {
        Ok(i) => i,
        Err(e) => return ctx.error_page(Nav::Policies, &e),
    };
    let tab = match tab {
        "entities" | "versions" => tab,
        _ => "permissions",
    };
    let url = policy_url(&info.arn);
    let kind = kind_of(&info.arn, &info.path);
    let now = now();
    let notice = match &problem {
        Some(e) => crate::html::error_alert(&e.code, &e.message),
        None => done_notice(ctx).unwrap_or_default(),
    };
    let actions = if policy_edit::is_customer(&info.arn) {
        format!(
            "<div class=\"actions\"><a class=\"button danger-outline\" id=\"delete-policy\" href=\"{p}/policies/delete?arn={a}\">Delete</a>\
<a class=\"button primary\" id=\"edit-policy\" href=\"{p}/policies/edit?arn={a}\">Edit</a></div>",
            p = crate::PREFIX,
            a = esc(&enc(&info.arn)),
        )
    } else {
        String::new()
    };
    let mut body = format!(
        "{notice}<div class=\"page-head\"><h1 id=\"policy-name\">{name}</h1>{actions}</div>\
<section class=\"card\"><div class=\"card-head\"><h2>Policy details</h2></div><dl class=\"summary\">\
<div><dt>Type</dt><dd>{kind}</dd></div>\
<div><dt>Creation time</dt><dd>{created}</dd></div>\
<div><dt>Edited time</dt><dd>{updated}</dd></div>\
<div><dt>ARN</dt><dd><code id=\"policy-arn\">{arn}</code> <button type=\"button\" class=\"link copy\" data-copy=\"{arn}\">Copy</button></dd></div>\
<div><dt>Policy ID</dt><dd><code>{id}</code></dd></div>\
<div><dt>Default version</dt><dd>{default}</dd></div>\
<div><dt>Attached entities</dt><dd>{attached}</dd></div>\
<div><dt>Attachable</dt><dd>{attachable}</dd></div>\
<div class=\"wide\"><dt>Description</dt><dd id=\"policy-description\">{description}</dd></div></dl></section>",
        name = esc(&info.name),
        kind = kind_label(kind),
        created = date(&info.create_date, now, None),
        updated = date(&info.update_date, now, None),
        arn = esc(&info.arn),
        id = esc(&info.policy_id),
        default = esc(&info.default_version_id),
        attached = info.attachment_count,
        attachable = if info.is_attachable { "Yes" } else { "No (service-linked role policy)" },
        description = info.description.as_deref().filter(|d| !d.is_empty()).map(esc).unwrap_or_else(|| "<span class=\"muted\">—</span>".into()),
    );
    let items = [
        (
            "permissions",
            "Permissions".to_string(),
            format!("{url}&tab=permissions"),
        ),
        (
            "entities",
            format!("Entities attached ({})", info.attachment_count),
            format!("{url}&tab=entities"),
        ),
        (
            "versions",
            "Policy versions".to_string(),
            format!("{url}&tab=versions"),
        ),
    ];
    body.push_str(&tabs(&items, tab));
    body.push_str("<div class=\"tab-panel\" role=\"tabpanel\">");
    match tab {
        "entities" => entities_tab(ctx, &mut body, &info.arn),
        "versions" => versions_tab(ctx, &mut body, &info.arn, &url),
        _ => permissions_tab(ctx, &mut body, &info.arn, &info.default_version_id),
    }
    body.push_str("</div>");
    ctx.page(
        if problem.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
        Page {
            title: &info.name,
            nav: Nav::Policies,
            crumbs: vec![
                (
                    "Policies".into(),
                    Some(format!("{}/policies", crate::PREFIX)),
                ),
                (info.name.clone(), None),
            ],
            body,
        },
    )
}

/// The document of version `version` of policy `arn`, as GetPolicyVersion.
fn version_document(ctx: &Ctx, arn: &str, version: &str) -> Result<String, ApiError> {
    let v = ctx.call(
        "GetPolicyVersion",
        &[("PolicyArn", arn), ("VersionId", version)],
        |s, c| s.get_policy_version(c, arn, version),
    )?;
    v.document.ok_or_else(|| ApiError {
        code: "NoSuchEntity".into(),
        message: format!("Policy {arn} version {version} has no document."),
    })
}

fn permissions_tab(ctx: &Ctx, body: &mut String, arn: &str, version: &str) {
    let document = match version_document(ctx, arn, version) {
        Ok(d) => d,
        Err(e) => {
            body.push_str(&crate::html::error_alert(&e.code, &e.message));
            return;
        }
    };
    let summary = access::summarise([document.as_str()]);
    body.push_str(
        "<section class=\"card\"><div class=\"card-head\"><h2>Permissions defined in this policy</h2></div>\
<table class=\"table\" data-sortable><thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Access level</th></tr></thead><tbody>",
    );
    for s in &summary.allowed {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(&s.name),
            esc(&s.levels_label())
        );
    }
    if summary.allowed.is_empty() {
        body.push_str(
            "<tr><td colspan=\"2\" class=\"empty\">This policy allows nothing.</td></tr>",
        );
    }
    let _ = write!(
        body,
        "</tbody></table><h3>JSON ({})</h3><div id=\"policy-document\">{}</div></section>",
        esc(version),
        code_block(&document, "Policy document")
    );
}

fn entities_tab(ctx: &Ctx, body: &mut String, arn: &str) {
    body.push_str(
        "<section class=\"card\"><div class=\"card-head\"><h2>Entities attached</h2></div>\
<table class=\"table\" id=\"entities-table\" data-sortable><thead><tr><th scope=\"col\">Entity name</th><th scope=\"col\">Entity type</th><th scope=\"col\">Attached as</th></tr></thead><tbody>",
    );
    if let Err(e) = ctx.allow("ListEntitiesForPolicy", &[("PolicyArn", arn)]) {
        body.push_str("</tbody></table>");
        body.push_str(&crate::html::error_alert(&e.code, &e.message));
        body.push_str("</section>");
        return;
    }
    let mut n = 0;
    for (filter, label) in [
        (UsageFilter::PermissionsPolicy, "Permissions policy"),
        (UsageFilter::PermissionsBoundary, "Permissions boundary"),
    ] {
        let mut marker: Option<String> = None;
        while let Ok(page) = ctx.service.list_entities_for_policy(
            &ctx.caller,
            arn,
            Some(filter),
            marker.as_deref(),
            Some(1000),
        ) {
            for role in &page.items {
                n += 1;
                let _ = write!(
                    body,
                    "<tr><td><a href=\"{}\">{}</a></td><td>Role</td><td>{label}</td></tr>",
                    esc(&role_url(&role.name)),
                    esc(&role.name)
                );
            }
            match page.marker {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
    }
    if n == 0 {
        body.push_str("<tr><td colspan=\"3\" class=\"empty\">This policy is not attached to any entity.</td></tr>");
    }
    body.push_str("</tbody></table></section>");
}

fn versions_tab(ctx: &Ctx, body: &mut String, arn: &str, url: &str) {
    let versions = match ctx.call("ListPolicyVersions", &[("PolicyArn", arn)], |s, c| {
        s.list_policy_versions(c, arn, None, Some(1000))
    }) {
        Ok(p) => p.items,
        Err(e) => {
            body.push_str(&crate::html::error_alert(&e.code, &e.message));
            return;
        }
    };
    let chosen = ctx
        .req
        .q("version")
        .map(str::to_string)
        .or_else(|| {
            versions
                .iter()
                .find(|v| v.is_default)
                .map(|v| v.version_id.clone())
        })
        .unwrap_or_default();
    let now = now();
    body.push_str(
        "<section class=\"card\"><div class=\"card-head\"><h2>Policy versions</h2></div>\
<table class=\"table\" id=\"versions-table\"><thead><tr><th scope=\"col\">Version</th><th scope=\"col\">Creation time</th><th scope=\"col\"></th><th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>",
    );
    let customer = policy_edit::is_customer(arn);
    for v in &versions {
        let current = v.version_id == chosen;
        let actions = if customer && !v.is_default {
            let form = |op: &str, label: &str, class: &str| {
                format!(
                    "<form method=\"post\" action=\"{p}/policies/version\">{csrf}<input type=\"hidden\" name=\"arn\" value=\"{a}\">\
<input type=\"hidden\" name=\"version\" value=\"{v}\"><input type=\"hidden\" name=\"op\" value=\"{op}\">\
<button type=\"submit\" class=\"button small {class}\" aria-label=\"{label} {v}\">{label}</button></form>",
                    p = crate::PREFIX,
                    csrf = csrf_field(ctx.req),
                    a = esc(arn),
                    v = esc(&v.version_id),
                )
            };
            format!(
                "<div class=\"row-actions\">{}{}</div>",
                form("default", "Set as default", ""),
                form("delete", "Delete", "danger-outline")
            )
        } else {
            String::new()
        };
        let _ = write!(
            body,
            "<tr{}><td><a href=\"{}\">{}</a>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if current { " class=\"selected\"" } else { "" },
            esc(&format!(
                "{url}&tab=versions&version={}",
                enc(&v.version_id)
            )),
            esc(&v.version_id),
            if v.is_default {
                " <span class=\"badge\">Default</span>"
            } else {
                ""
            },
            date(&v.create_date, now, None),
            if current { "Shown below" } else { "" },
            actions
        );
    }
    body.push_str("</tbody></table>");
    match version_document(ctx, arn, &chosen).ok() {
        Some(doc) => {
            let _ = write!(
                body,
                "<h3>Version {}</h3><div id=\"version-document\">{}</div>",
                esc(&chosen),
                code_block(&doc, "Version document")
            );
        }
        None => body.push_str("<p class=\"muted\">Choose a version to see its document.</p>"),
    }
    body.push_str("</section>");
}
