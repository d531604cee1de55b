//! Editing a role's trust policy: the document in an editor, validated with
//! the policy engine's messages (as you type through `/console/api/validate`,
//! and on submit), and the semantic difference from the current trust policy
//! before it is saved.

use std::fmt::Write as _;

use hyper::StatusCode;
use ironiam_core::entities::{policy_size, Role};
use ironiam_policy::{PolicyKind, Severity};

use super::Ctx;
use crate::diff::{semantic_diff, Line, PolicyDiff};
use crate::html::{code_block, csrf_field, error_alert, esc, pretty_json, role_url, Nav, Page};
use crate::validate::{shape, ApiError};
use crate::Out;

/// The outcome of checking a policy document.
pub(crate) struct Check {
    /// The first error AWS would answer, if any.
    pub error: Option<ApiError>,
    /// Problems AWS accepts but that are probably mistakes.
    pub warnings: Vec<String>,
}

/// Checks `document` as the API would for `kind`: the model's constraints,
/// the size quota, then the policy grammar and rules (AWS's messages).
pub(crate) fn check_policy(ctx: &Ctx, kind: PolicyKind, document: &str) -> Check {
    let quotas = &ctx.service.settings().quotas;
    let shaped = match kind {
        PolicyKind::Trust => shape(
            "UpdateAssumeRolePolicy",
            &[("RoleName", "r"), ("PolicyDocument", document)],
        ),
        PolicyKind::Managed => shape(
            "CreatePolicy",
            &[("PolicyName", "p"), ("PolicyDocument", document)],
        ),
        _ => shape(
            "PutRolePolicy",
            &[
                ("RoleName", "r"),
                ("PolicyName", "p"),
                ("PolicyDocument", document),
            ],
        ),
    };
    if let Err(e) = shaped {
        return Check {
            error: Some(e),
            warnings: Vec::new(),
        };
    }
    let size = policy_size(document);
    let limit = match kind {
        PolicyKind::Trust => Some((quotas.trust_policy_size, "ACLSizePerRole")),
        PolicyKind::Managed => Some((quotas.managed_policy_size, "PolicySize")),
        _ => Some((quotas.role_inline_policy_size, "RolePolicySize")),
    };
    if let Some((limit, name)) = limit {
        if size > limit {
            return Check {
                error: Some(ApiError {
                    code: "LimitExceeded".into(),
                    message: format!("Cannot exceed quota for {name}: {limit}"),
                }),
                warnings: Vec::new(),
            };
        }
    }
    let error = ironiam_policy::validate(document, kind)
        .err()
        .map(|e| ApiError {
            code: "MalformedPolicyDocument".into(),
            message: e.message().to_string(),
        });
    let warnings = ironiam_policy::findings(document, kind)
        .into_iter()
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| f.message)
        .collect();
    Check { error, warnings }
}

/// The status line under an editor.
pub(crate) fn status_html(check: &Check) -> String {
    let mut out = match &check.error {
        None => "<p class=\"valid\">✓ The policy is valid.</p>".to_string(),
        Some(e) => format!(
            "<p class=\"invalid\"><b>{}</b>: {}</p>",
            esc(&e.code),
            esc(&e.message)
        ),
    };
    if !check.warnings.is_empty() {
        out.push_str("<ul class=\"warnings\">");
        for w in &check.warnings {
            let _ = write!(out, "<li>{}</li>", esc(w));
        }
        out.push_str("</ul>");
    }
    out
}

/// The difference as HTML (the script draws the same from JSON).
pub(crate) fn diff_html(diff: &PolicyDiff) -> String {
    let (added, removed) = diff.counts();
    let mut out = if diff.equal {
        "<p class=\"diff-head same\">No semantic difference: this document grants the same trust as the current one.</p>".to_string()
    } else {
        format!("<p class=\"diff-head changed\">{added} line(s) added, {removed} removed (normalised: order, case of actions and one-element lists ignored).</p>")
    };
    for (class, title, grants) in [
        ("granted", "Newly allowed", &diff.granted),
        ("revoked", "No longer allowed", &diff.revoked),
    ] {
        if grants.is_empty() {
            continue;
        }
        let _ = write!(out, "<div class=\"grants {class}\"><b>{title}</b><ul>");
        for g in grants {
            let _ = write!(out, "<li>{}</li>", esc(g));
        }
        out.push_str("</ul></div>");
    }
    out.push_str("<pre class=\"diff\"><code>");
    for line in &diff.lines {
        let (class, sign, text) = match line {
            Line::Same(t) => ("same", ' ', t),
            Line::Removed(t) => ("del", '-', t),
            Line::Added(t) => ("add", '+', t),
        };
        let _ = write!(out, "<span class=\"{class}\">{sign} {}</span>", esc(text));
    }
    out.push_str("</code></pre>");
    out
}

/// `GET /console/roles/{name}/trust`.
pub(crate) fn form(ctx: &Ctx, name: &str) -> Out {
    match ctx.role(name) {
        Ok(role) => {
            let document =
                pretty_json(&ctx.service.role_as_shown(&role).assume_role_policy_document);
            editor(ctx, &role, &document, None, false, StatusCode::OK)
        }
        Err(out) => out,
    }
}

/// `POST /console/roles/{name}/trust`: `action=preview` shows the check and
/// the difference; `action=save` (the default) saves when the document is
/// valid.
pub(crate) fn submit(ctx: &Ctx, name: &str) -> Out {
    let role = match ctx.role(name) {
        Ok(r) => r,
        Err(out) => return out,
    };
    let document = ctx.req.f_or_empty("document");
    if ctx.req.f("action") == Some("preview") {
        return editor(ctx, &role, document, None, true, StatusCode::OK);
    }
    let result = ctx.call(
        "UpdateAssumeRolePolicy",
        &[("RoleName", &role.name), ("PolicyDocument", document)],
        |s, c| s.update_assume_role_policy(c, &role.name, document.to_string()),
    );
    match result {
        Ok(()) => Out::Redirect(format!("{}?tab=trust&done=trust", role_url(&role.name))),
        Err(e) => editor(ctx, &role, document, Some(e), true, StatusCode::BAD_REQUEST),
    }
}

fn editor(
    ctx: &Ctx,
    role: &Role,
    document: &str,
    problem: Option<ApiError>,
    show_check: bool,
    status: StatusCode,
) -> Out {
    // The trust policy as in force: a deleted principal shows as its id.
    let shown = ctx.service.role_as_shown(role);
    let role: &Role = &shown;
    let url = role_url(&role.name);
    let check = check_policy(ctx, PolicyKind::Trust, document);
    let diff = semantic_diff(&role.assume_role_policy_document, document);
    let mut body = String::with_capacity(16 * 1024);
    if let Some(e) = &problem {
        body.push_str(&error_alert(&e.code, &e.message));
    }
    let _ = write!(
        body,
        "<div class=\"page-head\"><h1>Edit trust policy</h1><p class=\"sub\">{name}</p></div>\
<form method=\"post\" action=\"{url}/trust\" class=\"card form\" id=\"trust-form\">{csrf}\
<div class=\"editor-grid\"><div class=\"editor-col\">\
<label for=\"policy-document\">Policy Document</label>\
<p class=\"help\">The trust policy says who can assume this role. It is checked as you type with the same rules and messages as the IAM API.</p>\
<textarea id=\"policy-document\" name=\"document\" rows=\"22\" spellcheck=\"false\" class=\"code-input\" data-policy-editor=\"trust\" data-role=\"{name}\">{document}</textarea>\
<div id=\"policy-status\" class=\"validation\" aria-live=\"polite\">{status}</div></div>\
<div class=\"editor-col\"><h3>Changes compared with the current trust policy</h3>\
<div id=\"policy-diff\" aria-live=\"polite\">{diff}</div>\
<details><summary>Current trust policy</summary>{current}</details></div></div>\
<div class=\"form-actions\"><a class=\"button\" id=\"cancel-trust\" href=\"{url}?tab=trust\">Cancel</a>\
<button type=\"submit\" name=\"action\" value=\"preview\" class=\"button\" id=\"preview-trust\">Preview changes</button>\
<button type=\"submit\" name=\"action\" value=\"save\" class=\"button primary\" id=\"update-trust\">Update Trust Policy</button></div></form>",
        name = esc(&role.name),
        url = esc(&url),
        csrf = csrf_field(ctx.req),
        document = esc(document),
        status = if show_check || check.error.is_none() { status_html(&check) } else { String::new() },
        diff = match &diff {
            Some(d) => diff_html(d),
            None => "<p class=\"muted\">The difference appears once the document is valid JSON.</p>".to_string(),
        },
        current = code_block(&role.assume_role_policy_document, "Current trust policy"),
    );
    ctx.page(
        status,
        Page {
            title: "Edit trust policy",
            nav: Nav::Roles,
            crumbs: vec![
                ("Roles".into(), Some(format!("{}/roles", crate::PREFIX))),
                (role.name.clone(), Some(format!("{url}?tab=trust"))),
                ("Edit trust policy".into(), None),
            ],
            body,
        },
    )
}
