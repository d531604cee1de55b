//! Customer managed policies: create one, edit it (a new default version, as
//! AWS's console does), make an older version the default, delete a
//! version, delete the policy.

use std::fmt::Write as _;

use ironiam_core::holders::PrincipalKind;
use ironiam_core::service::{NewPolicy, UsageFilter};

use super::Ctx;
use crate::html::{csrf_field, esc, policy_url, Nav};
use crate::validate::ApiError;
use crate::Out;

/// The document a new policy starts from.
const TEMPLATE: &str = "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Sid\": \"Statement1\",\n            \"Effect\": \"Allow\",\n            \"Action\": [],\n            \"Resource\": []\n        }\n    ]\n}";

/// Whether `arn` names a customer managed policy (AWS managed ones cannot be
/// changed: AWS answers that they are not modifiable).
pub(crate) fn is_customer(arn: &str) -> bool {
    !arn.starts_with("arn:aws:iam::aws:")
}

fn view_url(arn: &str, tab: &str, done: &str) -> String {
    format!("{}&tab={tab}&done={done}", policy_url(arn))
}

/// `GET|POST /console/policies/create`.
pub(crate) fn create(ctx: &Ctx) -> Out {
    let req = ctx.req;
    let (mut name, mut path, mut description, mut document) = (
        String::new(),
        "/".to_string(),
        String::new(),
        TEMPLATE.to_string(),
    );
    let mut problem = None;
    if req.method == hyper::Method::POST {
        name = req.f_or_empty("name").trim().to_string();
        path = req.f_or_empty("path").trim().to_string();
        description = req.f_or_empty("description").to_string();
        document = req.f_or_empty("document").to_string();
        let mut params = vec![
            ("PolicyName", name.as_str()),
            ("PolicyDocument", document.as_str()),
            ("Path", path.as_str()),
        ];
        if !description.is_empty() {
            params.push(("Description", description.as_str()));
        }
        let input = NewPolicy {
            name: name.clone(),
            path: Some(path.clone()),
            document: document.clone(),
            description: (!description.is_empty()).then(|| description.clone()),
            tags: Vec::new(),
        };
        match ctx.call("CreatePolicy", &params, |s, c| s.create_policy(c, input)) {
            Ok(info) => return Out::Redirect(view_url(&info.arn, "permissions", "created")),
            Err(e) => problem = Some(e),
        }
    }
    let mut body = String::new();
    let _ = write!(
        body,
        "<div class=\"page-head\"><h1>Create policy</h1></div>\
<form method=\"post\" action=\"{p}/policies/create\" class=\"card form\">{csrf}\
<label for=\"policy-name\">Policy name</label><p class=\"help\">Letters, digits and +=,.@-_ — up to 128 characters, unique in the account (ignoring case).</p>\
<input id=\"policy-name\" name=\"name\" value=\"{name}\" required maxlength=\"128\">\
<label for=\"policy-path\">Path</label><p class=\"help\">Optional: <code>/</code>, or a path such as <code>/division/</code>.</p>\
<input id=\"policy-path\" name=\"path\" value=\"{path}\" maxlength=\"512\">\
<label for=\"policy-description\">Description <span class=\"muted\">– optional</span></label>\
<textarea id=\"policy-description\" name=\"description\" rows=\"2\" maxlength=\"1000\">{description}</textarea>\
<label for=\"policy-document\">Policy document</label>\
<textarea id=\"policy-document\" name=\"document\" rows=\"18\" spellcheck=\"false\" class=\"code-input\" data-policy-editor=\"managed\">{document}</textarea>\
<div id=\"policy-status\" class=\"validation\" aria-live=\"polite\"></div>\
<div class=\"form-actions\"><a class=\"button\" href=\"{p}/policies\">Cancel</a><button type=\"submit\" class=\"button primary\" id=\"create-policy\">Create policy</button></div></form>",
        p = crate::PREFIX,
        csrf = csrf_field(req),
        name = esc(&name),
        path = esc(&path),
        description = esc(&description),
        document = esc(&document),
    );
    let crumbs = vec![
        (
            "Policies".into(),
            Some(format!("{}/policies", crate::PREFIX)),
        ),
        ("Create policy".into(), None),
    ];
    ctx.form_page(
        "Create policy",
        Nav::Policies,
        crumbs,
        problem.as_ref(),
        body,
    )
}

/// `GET|POST /console/policies/edit?arn=…`: saves the document as a new
/// version and makes it the default, as AWS's console does. A policy already
/// holding five versions answers AWS's LimitExceeded; the page then says to
/// delete a version first.
pub(crate) fn edit(ctx: &Ctx) -> Out {
    let req = ctx.req;
    let arn = req
        .q("arn")
        .or_else(|| req.f("arn"))
        .unwrap_or("")
        .to_string();
    let info = match ctx.call("GetPolicy", &[("PolicyArn", &arn)], |s, c| {
        s.get_policy(c, &arn)
    }) {
        Ok(i) => i,
        Err(e) => return ctx.error_page(Nav::Policies, &e),
    };
    let default = info.default_version_id.as_str();
    let mut document = ctx
        .call(
            "GetPolicyVersion",
            &[("PolicyArn", &arn), ("VersionId", default)],
            |s, c| s.get_policy_version(c, &arn, default),
        )
        .ok()
        .and_then(|v| v.document)
        .map(|d| crate::html::pretty_json(&d))
        .unwrap_or_default();
    let mut problem = None;
    if req.method == hyper::Method::POST {
        document = req.f_or_empty("document").to_string();
        let params = [
            ("PolicyArn", arn.as_str()),
            ("PolicyDocument", document.as_str()),
            ("SetAsDefault", "true"),
        ];
        match ctx.call("CreatePolicyVersion", &params, |s, c| {
            s.create_policy_version(c, &arn, document.clone(), true)
        }) {
            Ok(_) => return Out::Redirect(view_url(&arn, "versions", "version")),
            Err(e) => problem = Some(e),
        }
    }
    let url = policy_url(&arn);
    let mut body = String::new();
    if let Some(e) = &problem {
        if e.code == "LimitExceeded" {
            let _ = write!(
                body,
                "<p>A managed policy keeps at most five versions. <a href=\"{}\">Delete a version</a> that is not the default, then save again.</p>",
                esc(&format!("{url}&tab=versions"))
            );
        }
    }
    let _ = write!(
        body,
        "<div class=\"page-head\"><h1>Edit {name}</h1></div>\
<form method=\"post\" action=\"{p}/policies/edit\" class=\"card form\">{csrf}<input type=\"hidden\" name=\"arn\" value=\"{arn}\">\
<p class=\"help\">Saving creates a new version of the policy and makes it the default version; the current default stays as an older version.</p>\
<label for=\"policy-document\">Policy document</label>\
<textarea id=\"policy-document\" name=\"document\" rows=\"18\" spellcheck=\"false\" class=\"code-input\" data-policy-editor=\"managed\">{document}</textarea>\
<div id=\"policy-status\" class=\"validation\" aria-live=\"polite\"></div>\
<div class=\"form-actions\"><a class=\"button\" href=\"{url}\">Cancel</a><button type=\"submit\" class=\"button primary\" id=\"save-policy\">Save changes</button></div></form>",
        name = esc(&info.name),
        p = crate::PREFIX,
        csrf = csrf_field(req),
        arn = esc(&arn),
        document = esc(&document),
        url = esc(&url),
    );
    let crumbs = vec![
        (
            "Policies".into(),
            Some(format!("{}/policies", crate::PREFIX)),
        ),
        (info.name.clone(), Some(url.clone())),
        ("Edit".into(), None),
    ];
    ctx.form_page("Edit policy", Nav::Policies, crumbs, problem.as_ref(), body)
}

/// `POST /console/policies/version` with `arn`, `version` and `op=default|delete`.
pub(crate) fn version(ctx: &Ctx) -> Out {
    let req = ctx.req;
    let (arn, version) = (req.f_or_empty("arn"), req.f_or_empty("version"));
    let params = [("PolicyArn", arn), ("VersionId", version)];
    let result = match req.f_or_empty("op") {
        "default" => ctx
            .call("SetDefaultPolicyVersion", &params, |s, c| {
                s.set_default_policy_version(c, arn, version)
            })
            .map(|()| "default"),
        "delete" => ctx
            .call("DeletePolicyVersion", &params, |s, c| {
                s.delete_policy_version(c, arn, version)
            })
            .map(|()| "version-deleted"),
        _ => Err(ApiError {
            code: "ValidationError".into(),
            message: "op must be default or delete.".into(),
        }),
    };
    match result {
        Ok(done) => Out::Redirect(view_url(arn, "versions", done)),
        Err(e) => super::policies::render(ctx, arn, "versions", Some(e)),
    }
}

/// `GET|POST /console/policies/delete?arn=…`: as AWS's console does,
/// detaches the policy from every role that uses it as a permissions policy
/// and deletes its other versions first. A policy in use as a permissions
/// boundary is not detached: AWS refuses to delete it (DeleteConflict).
pub(crate) fn delete(ctx: &Ctx) -> Out {
    let req = ctx.req;
    let arn = req
        .q("arn")
        .or_else(|| req.f("arn"))
        .unwrap_or("")
        .to_string();
    let info = match ctx.call("GetPolicy", &[("PolicyArn", &arn)], |s, c| {
        s.get_policy(c, &arn)
    }) {
        Ok(i) => i,
        Err(e) => return ctx.error_page(Nav::Policies, &e),
    };
    let mut problem = None;
    if req.method == hyper::Method::POST {
        if req.f_or_empty("confirm").trim() != info.name {
            problem = Some(ApiError {
                code: "ValidationError".into(),
                message: "Type the policy name exactly to confirm.".into(),
            });
        } else {
            let result: Result<(), ApiError> = (|| {
                let roles = ctx.call("ListEntitiesForPolicy", &[("PolicyArn", &arn)], |s, c| {
                    s.list_entities_for_policy(
                        c,
                        &arn,
                        Some(UsageFilter::PermissionsPolicy),
                        None,
                        Some(1000),
                    )
                })?;
                for role in &roles.items {
                    let r = role.name.as_str();
                    ctx.call(
                        "DetachRolePolicy",
                        &[("RoleName", r), ("PolicyArn", &arn)],
                        |s, c| s.detach_policy(c, PrincipalKind::Role, r, &arn),
                    )?;
                }
                let versions = ctx.call("ListPolicyVersions", &[("PolicyArn", &arn)], |s, c| {
                    s.list_policy_versions(c, &arn, None, Some(1000))
                })?;
                for v in versions.items.iter().filter(|v| !v.is_default) {
                    let id = v.version_id.as_str();
                    ctx.call(
                        "DeletePolicyVersion",
                        &[("PolicyArn", &arn), ("VersionId", id)],
                        |s, c| s.delete_policy_version(c, &arn, id),
                    )?;
                }
                ctx.call("DeletePolicy", &[("PolicyArn", &arn)], |s, c| {
                    s.delete_policy(c, &arn)
                })
            })();
            match result {
                Ok(()) => {
                    return Out::Redirect(format!(
                        "{}/policies?type=customer&done=deleted",
                        crate::PREFIX
                    ))
                }
                Err(e) => problem = Some(e),
            }
        }
    }
    let url = policy_url(&arn);
    let mut body = String::new();
    let _ = write!(
        body,
        "<div class=\"page-head\"><h1>Delete {name}?</h1></div>\
<form method=\"post\" action=\"{p}/policies/delete\" class=\"card form\">{csrf}<input type=\"hidden\" name=\"arn\" value=\"{arn}\">\
<p>Deleting the policy detaches it from the {n} {entities} that use it as a permissions policy and deletes all its versions. This cannot be undone.</p>\
<label for=\"confirm\">To confirm, type the policy name</label><input id=\"confirm\" name=\"confirm\" autocomplete=\"off\" required>\
<div class=\"form-actions\"><a class=\"button\" href=\"{url}\">Cancel</a><button type=\"submit\" class=\"button danger\" id=\"confirm-delete\">Delete</button></div></form>",
        name = esc(&info.name),
        p = crate::PREFIX,
        csrf = csrf_field(req),
        arn = esc(&arn),
        n = info.attachment_count,
        entities = if info.attachment_count == 1 { "entity" } else { "entities" },
        url = esc(&url),
    );
    let crumbs = vec![
        (
            "Policies".into(),
            Some(format!("{}/policies", crate::PREFIX)),
        ),
        (info.name.clone(), Some(url.clone())),
        ("Delete".into(), None),
    ];
    ctx.form_page(
        "Delete policy",
        Nav::Policies,
        crumbs,
        problem.as_ref(),
        body,
    )
}
