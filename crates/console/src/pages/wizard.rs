//! The Create role wizard: (1) select trusted entity, (2) add permissions,
//! (3) name, review and create — the steps of AWS's console.
//!
//! The wizard keeps no server state: every step posts the whole draft, and
//! the fields a step does not show travel as hidden inputs.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use hyper::{Method, StatusCode};
use ironiam_core::entities::Tag;
use ironiam_core::holders::PrincipalKind;
use ironiam_core::instance_profiles::NewInstanceProfile;
use ironiam_core::service::NewRole;
use ironiam_policy::PolicyKind;
use serde_json::json;

use super::picker::{self, Picker};
use super::trust_edit::check_policy;
use super::Ctx;
use crate::html::{
    code_block, csrf_field, enc, error_alert, esc, policy_url, pretty_json, Nav, Page,
};
use crate::usecases::{self, SERVICES};
use crate::validate::{shape, ApiError};
use crate::Out;

/// Every field of the draft.
const STATE: &[&str] = &[
    "entity",
    "service",
    "usecase",
    "account_scope",
    "account_id",
    "external_id",
    "require_mfa",
    "provider",
    "audience",
    "custom_trust",
    "arn",
    "picked",
    "name",
    "description",
    "described",
    "tag_key",
    "tag_value",
];

/// Web identity providers offered: (provider, label, audience condition key suffix).
const PROVIDERS: &[(&str, &str, &str)] = &[
    ("cognito-identity.amazonaws.com", "Amazon Cognito", "aud"),
    ("www.amazon.com", "Login with Amazon", "app_id"),
    ("graph.facebook.com", "Facebook", "app_id"),
    ("accounts.google.com", "Google", "aud"),
];

/// The custom trust policy the editor starts from.
const CUSTOM_TEMPLATE: &str = "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Sid\": \"Statement1\",\n            \"Effect\": \"Allow\",\n            \"Principal\": {},\n            \"Action\": \"sts:AssumeRole\"\n        }\n    ]\n}";

struct Draft<'a> {
    ctx: &'a Ctx<'a>,
}

impl Draft<'_> {
    fn get(&self, k: &str) -> &str {
        self.ctx.req.f_or_empty(k)
    }

    fn entity(&self) -> &str {
        match self.get("entity") {
            "account" | "web" | "custom" => self.get("entity"),
            _ => "service",
        }
    }

    /// Hidden inputs for every draft field except `shown`.
    fn hidden(&self, shown: &[&str]) -> String {
        let mut out = String::new();
        for (k, v) in &self.ctx.req.form {
            if STATE.contains(&k.as_str()) && !shown.contains(&k.as_str()) {
                let _ = write!(
                    out,
                    "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                    esc(k),
                    esc(v)
                );
            }
        }
        out
    }

    /// The trust policy the draft describes.
    fn trust(&self, account: &str) -> Result<String, ApiError> {
        let invalid = |m: &str| ApiError {
            code: "ValidationError".into(),
            message: m.to_string(),
        };
        match self.entity() {
            "service" => {
                let u = usecases::find(self.get("usecase"))
                    .ok_or_else(|| invalid("Choose a service and a use case."))?;
                Ok(usecases::service_trust(u.principal))
            }
            "account" => {
                let id = if self.get("account_scope") == "other" {
                    self.get("account_id").trim()
                } else {
                    account
                };
                if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid("Enter a 12-digit AWS account ID."));
                }
                let mut statement = json!({
                    "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{id}:root")},
                    "Action": "sts:AssumeRole",
                });
                let mut condition = serde_json::Map::new();
                let external = self.get("external_id").trim();
                if !external.is_empty() {
                    condition.insert("StringEquals".into(), json!({"sts:ExternalId": external}));
                }
                if self.get("require_mfa") == "on" {
                    condition.insert("Bool".into(), json!({"aws:MultiFactorAuthPresent": "true"}));
                }
                if !condition.is_empty() {
                    statement["Condition"] = serde_json::Value::Object(condition);
                }
                Ok(pretty_json(
                    &json!({"Version": "2012-10-17", "Statement": [statement]}).to_string(),
                ))
            }
            "web" => {
                let (provider, _, key) = PROVIDERS
                    .iter()
                    .find(|(p, _, _)| *p == self.get("provider"))
                    .ok_or_else(|| invalid("Choose an identity provider."))?;
                let audience = self.get("audience").trim();
                if audience.is_empty() {
                    return Err(invalid(
                        "Enter the audience (application or identity pool ID).",
                    ));
                }
                let doc = json!({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Federated": provider},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {format!("{provider}:{key}"): audience}},
                }]});
                Ok(pretty_json(&doc.to_string()))
            }
            _ => Ok(self.get("custom_trust").to_string()),
        }
    }

    fn selected(&self) -> BTreeSet<String> {
        let mut set: BTreeSet<String> = self
            .ctx
            .req
            .f_all("arn")
            .into_iter()
            .map(str::to_string)
            .collect();
        if self.get("picked").is_empty() && self.entity() == "service" {
            if let Some(u) = usecases::find(self.get("usecase")) {
                set.extend(u.policies.iter().map(|p| p.to_string()));
            }
        }
        set
    }

    fn tags(&self) -> Vec<(String, String)> {
        let keys = self.ctx.req.f_all("tag_key");
        let values = self.ctx.req.f_all("tag_value");
        keys.iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), values.get(i).unwrap_or(&"").to_string()))
            .collect()
    }
}

/// `GET|POST /console/create-role`.
pub(crate) fn handle(ctx: &Ctx) -> Out {
    let draft = Draft { ctx };
    if ctx.req.method == Method::GET {
        return entity_step(&draft, None);
    }
    let account = ctx.caller.account_id.clone();
    match ctx.req.f_or_empty("go") {
        "entity" => entity_step(&draft, None),
        "permissions" | "review" | "review-addtag" | "create" => {
            let trust = match draft.trust(&account) {
                Ok(t) => t,
                Err(e) => return entity_step(&draft, Some(e)),
            };
            if let Some(e) = check_policy(ctx, PolicyKind::Trust, &trust).error {
                return entity_step(&draft, Some(e));
            }
            match ctx.req.f_or_empty("go") {
                "permissions" => permissions_step(&draft, None),
                "create" => create(&draft, &trust),
                go => review_step(&draft, &trust, go == "review-addtag", None),
            }
        }
        _ => entity_step(&draft, None),
    }
}

fn steps(current: usize) -> String {
    let mut out = String::from("<ol class=\"steps\">");
    for (i, label) in [
        "Select trusted entity",
        "Add permissions",
        "Name, review, and create",
    ]
    .iter()
    .enumerate()
    {
        let class = match (i + 1).cmp(&current) {
            std::cmp::Ordering::Less => "done",
            std::cmp::Ordering::Equal => "current",
            std::cmp::Ordering::Greater => "",
        };
        let aria = if i + 1 == current {
            " aria-current=\"step\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<li class=\"{class}\"{aria}><span class=\"step-n\">Step {}</span>{label}</li>",
            i + 1
        );
    }
    out.push_str("</ol>");
    out
}

fn wizard_page(ctx: &Ctx, title: &str, body: String, status: StatusCode) -> Out {
    ctx.page(
        status,
        Page {
            title,
            nav: Nav::Roles,
            crumbs: vec![
                ("Roles".into(), Some(format!("{}/roles", crate::PREFIX))),
                ("Create role".into(), None),
            ],
            body,
        },
    )
}

fn entity_step(d: &Draft, problem: Option<ApiError>) -> Out {
    let ctx = d.ctx;
    let entity = d.entity();
    let mut body = steps(1);
    if let Some(e) = &problem {
        body.push_str(&error_alert(&e.code, &e.message));
    }
    let _ = write!(
        body,
        "<div class=\"page-head\"><h1>Select trusted entity</h1></div>\
<form method=\"post\" action=\"{p}/create-role\" id=\"wizard\" class=\"card form\" data-wizard>{csrf}{hidden}\
<fieldset class=\"tiles\"><legend>Trusted entity type</legend>",
        p = crate::PREFIX,
        csrf = csrf_field(ctx.req),
        hidden = d.hidden(&[
            "entity", "service", "usecase", "account_scope", "account_id", "external_id", "require_mfa", "provider", "audience",
            "custom_trust",
        ]),
    );
    for (value, title, text) in [
        ("service", "AWS service", "Allow AWS services like EC2, Lambda, or others to perform actions in this account."),
        ("account", "AWS account", "Allow entities in other AWS accounts belonging to you or a third party to perform actions in this account."),
        ("web", "Web identity", "Allow users federated by an external web identity provider to assume this role."),
        ("custom", "Custom trust policy", "Write a trust policy to let others perform actions in this account."),
    ] {
        let checked = if value == entity { " checked" } else { "" };
        let _ = write!(
            body,
            "<label class=\"tile\"><input type=\"radio\" name=\"entity\" value=\"{value}\"{checked}><span class=\"tile-title\">{title}</span><span class=\"tile-text\">{text}</span></label>"
        );
    }
    body.push_str("</fieldset>");

    // AWS service.
    let chosen_case = usecases::find(d.get("usecase"));
    let chosen_service = match d.get("service") {
        "" => chosen_case
            .and_then(|u| u.id.split('/').next())
            .unwrap_or(""),
        s => s,
    };
    body.push_str(
        "<section class=\"entity-panel\" data-entity-panel=\"service\"><h2>Use case</h2>\
<p class=\"help\">Allow an AWS service like EC2, Lambda, or others to perform actions in this account.</p>\
<label for=\"service-select\">Service or use case</label><select id=\"service-select\" name=\"service\" data-service-select><option value=\"\">Choose a service</option>",
    );
    for s in SERVICES {
        let selected = if s.id == chosen_service {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            body,
            "<option value=\"{}\"{selected}>{}</option>",
            s.id,
            esc(s.name)
        );
    }
    body.push_str("</select>");
    for s in SERVICES {
        let _ = write!(
            body,
            "<fieldset class=\"usecases\" data-service-panel=\"{}\"><legend>Choose a use case for {}</legend>",
            s.id,
            esc(s.name)
        );
        for u in s.use_cases {
            let checked = if chosen_case.is_some_and(|c| c.id == u.id) {
                " checked"
            } else {
                ""
            };
            let _ = write!(
                body,
                "<label class=\"option\"><input type=\"radio\" name=\"usecase\" value=\"{}\"{checked}><span><b>{}</b> <span class=\"muted block\">{}</span></span></label>",
                u.id,
                esc(u.title),
                esc(u.description)
            );
        }
        body.push_str("</fieldset>");
    }
    body.push_str("</section>");

    // AWS account.
    let other = d.get("account_scope") == "other";
    let _ = write!(
        body,
        "<section class=\"entity-panel\" data-entity-panel=\"account\"><h2>An AWS account</h2>\
<label class=\"option\"><input type=\"radio\" name=\"account_scope\" value=\"this\"{this_checked}> This account ({account})</label>\
<label class=\"option\"><input type=\"radio\" name=\"account_scope\" value=\"other\"{other_checked}> Another AWS account</label>\
<label for=\"account-id\">Account ID</label><input id=\"account-id\" name=\"account_id\" value=\"{account_id}\" inputmode=\"numeric\" maxlength=\"12\" placeholder=\"111122223333\">\
<label class=\"option\"><input type=\"checkbox\" name=\"require_mfa\"{mfa}> Require MFA</label>\
<label for=\"external-id\">External ID <span class=\"muted\">– optional</span></label><input id=\"external-id\" name=\"external_id\" value=\"{external}\" maxlength=\"1224\"></section>",
        this_checked = if other { "" } else { " checked" },
        other_checked = if other { " checked" } else { "" },
        account = esc(&ctx.caller.account_id),
        account_id = esc(d.get("account_id")),
        mfa = if d.get("require_mfa") == "on" { " checked" } else { "" },
        external = esc(d.get("external_id")),
    );

    // Web identity.
    body.push_str(
        "<section class=\"entity-panel\" data-entity-panel=\"web\"><h2>Web identity</h2>\
<label for=\"provider\">Identity provider</label><select id=\"provider\" name=\"provider\"><option value=\"\">Choose a provider</option>",
    );
    for (value, label, _) in PROVIDERS {
        let selected = if *value == d.get("provider") {
            " selected"
        } else {
            ""
        };
        let _ = write!(body, "<option value=\"{value}\"{selected}>{label}</option>");
    }
    let _ = write!(
        body,
        "</select><label for=\"audience\">Audience</label><p class=\"help\">The application ID or identity pool ID the provider issues tokens for.</p>\
<input id=\"audience\" name=\"audience\" value=\"{}\"></section>",
        esc(d.get("audience"))
    );

    // Custom trust policy.
    let custom = match d.get("custom_trust") {
        "" => CUSTOM_TEMPLATE,
        c => c,
    };
    let _ = write!(
        body,
        "<section class=\"entity-panel\" data-entity-panel=\"custom\"><h2>Custom trust policy</h2>\
<label for=\"custom-trust\">Policy Document</label>\
<textarea id=\"custom-trust\" name=\"custom_trust\" rows=\"16\" spellcheck=\"false\" class=\"code-input\" data-policy-editor=\"trust\">{}</textarea>\
<div id=\"policy-status\" class=\"validation\" aria-live=\"polite\"></div></section>\
<div class=\"form-actions\"><a class=\"button\" href=\"{}/roles\">Cancel</a>\
<button type=\"submit\" name=\"go\" value=\"permissions\" class=\"button primary\" id=\"wizard-next\">Next</button></div></form>",
        esc(custom),
        crate::PREFIX
    );
    wizard_page(
        ctx,
        "Create role",
        body,
        if problem.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
    )
}

fn permissions_step(d: &Draft, problem: Option<ApiError>) -> Out {
    let ctx = d.ctx;
    let rows = match picker::all_policies(ctx) {
        Ok(r) => r,
        Err(e) => return ctx.error_page(Nav::Roles, &e),
    };
    let selected = d.selected();
    let mut body = steps(2);
    if let Some(e) = &problem {
        body.push_str(&error_alert(&e.code, &e.message));
    }
    let _ = write!(
        body,
        "<div class=\"page-head\"><h1>Add permissions</h1></div>\
<form method=\"post\" action=\"{p}/create-role\" id=\"wizard\" class=\"card\">{csrf}{hidden}<input type=\"hidden\" name=\"picked\" value=\"1\">{picker}\
<div class=\"form-actions\"><a class=\"button\" href=\"{p}/roles\">Cancel</a>\
<button type=\"submit\" name=\"go\" value=\"entity\" class=\"button\" formnovalidate>Previous</button>\
<button type=\"submit\" name=\"go\" value=\"review\" class=\"button primary\" id=\"wizard-next\">Next</button></div></form>",
        p = crate::PREFIX,
        csrf = csrf_field(ctx.req),
        hidden = d.hidden(&["arn", "picked"]),
        picker = picker::render(&Picker {
            single: false,
            rows: &rows,
            selected: &selected,
            exclude: &BTreeSet::new(),
            filter: d.get("filter"),
            kind: d.get("type"),
            // Without script the filter re-posts the whole draft to this step.
            filter_form: "wizard",
            heading: "Permissions policies",
        }),
    );
    // The picker's Filter button must re-show this step.
    let body = body.replace(
        "data-picker-apply>",
        "data-picker-apply name=\"go\" value=\"permissions\">",
    );
    wizard_page(
        ctx,
        "Add permissions",
        body,
        if problem.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
    )
}

fn review_step(d: &Draft, trust: &str, add_tag_row: bool, problem: Option<ApiError>) -> Out {
    let ctx = d.ctx;
    let selected = d.selected();
    let description = if d.get("described").is_empty() && d.entity() == "service" {
        usecases::find(d.get("usecase"))
            .map(|u| u.description)
            .unwrap_or("")
    } else {
        d.get("description")
    };
    let mut body = steps(3);
    if let Some(e) = &problem {
        body.push_str(&error_alert(&e.code, &e.message));
    }
    let _ = write!(
        body,
        "<div class=\"page-head\"><h1>Name, review, and create</h1></div>\
<form method=\"post\" action=\"{p}/create-role\" id=\"wizard\" class=\"form\">{csrf}{hidden}<input type=\"hidden\" name=\"described\" value=\"1\">\
<section class=\"card\"><h2>Role details</h2>\
<label for=\"role-name\">Role name</label><p class=\"help\">Enter a meaningful name to identify this role. Up to 64 characters: letters, digits and <code>+=,.@-_</code>.</p>\
<input id=\"role-name\" name=\"name\" value=\"{name}\" required maxlength=\"64\" pattern=\"[\\w+=,.@\\-]+\" autocomplete=\"off\">\
<label for=\"role-description\">Description</label><p class=\"help\">Up to 1,000 characters.</p>\
<textarea id=\"role-description\" name=\"description\" rows=\"2\" maxlength=\"1000\">{description}</textarea></section>\
<section class=\"card\"><div class=\"card-head\"><h2>Step 1: Select trusted entities</h2>\
<div class=\"actions\"><button type=\"submit\" name=\"go\" value=\"entity\" class=\"button\" formnovalidate>Edit</button></div></div>\
<h3>Trust policy</h3>{trust}</section>\
<section class=\"card\"><div class=\"card-head\"><h2>Step 2: Add permissions</h2>\
<div class=\"actions\"><button type=\"submit\" name=\"go\" value=\"permissions\" class=\"button\" formnovalidate>Edit</button></div></div>\
<table class=\"table\" id=\"review-policies\"><thead><tr><th scope=\"col\">Policy name</th><th scope=\"col\">Type</th></tr></thead><tbody>",
        p = crate::PREFIX,
        csrf = csrf_field(ctx.req),
        hidden = d.hidden(&["name", "description", "described", "tag_key", "tag_value"]),
        name = esc(d.get("name")),
        description = esc(description),
        trust = code_block(trust, "Trust policy"),
    );
    if selected.is_empty() {
        body.push_str("<tr><td colspan=\"2\" class=\"empty\">No policies: the role will have no permissions until you attach some.</td></tr>");
    }
    for arn in &selected {
        let _ = write!(
            body,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td></tr>",
            esc(&policy_url(arn)),
            esc(arn.rsplit('/').next().unwrap_or(arn)),
            picker::kind_label(picker::kind_of(
                arn,
                ironiam_core::service::policy_path_of(arn)
            ))
        );
    }
    body.push_str(
        "</tbody></table></section><section class=\"card\"><h2>Step 3: Add tags <span class=\"muted\">– optional</span></h2>\
<p class=\"help\">Tags are key–value pairs you can add to AWS resources to help identify, organise, or search for resources.</p><div class=\"tag-rows\">",
    );
    let mut tags = d.tags();
    if tags.is_empty() || add_tag_row {
        tags.push((String::new(), String::new()));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        let _ = write!(
            body,
            "<div class=\"form-row\"><label>Key <input name=\"tag_key\" value=\"{}\" maxlength=\"128\" id=\"tag-key-{i}\"></label>\
<label>Value <input name=\"tag_value\" value=\"{}\" maxlength=\"256\" id=\"tag-value-{i}\"></label></div>",
            esc(k),
            esc(v)
        );
    }
    let _ = write!(
        body,
        "</div><button type=\"submit\" name=\"go\" value=\"review-addtag\" class=\"button\" formnovalidate>Add new tag</button></section>\
<div class=\"form-actions\"><a class=\"button\" href=\"{p}/roles\">Cancel</a>\
<button type=\"submit\" name=\"go\" value=\"permissions\" class=\"button\" formnovalidate>Previous</button>\
<button type=\"submit\" name=\"go\" value=\"create\" class=\"button primary\" id=\"create-role-submit\">Create role</button></div></form>",
        p = crate::PREFIX
    );
    wizard_page(
        ctx,
        "Name, review, and create",
        body,
        if problem.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
    )
}

fn create(d: &Draft, trust: &str) -> Out {
    let ctx = d.ctx;
    let name = d.get("name").trim().to_string();
    let description = d.get("description").to_string();
    let tags: Vec<Tag> = d
        .tags()
        .into_iter()
        .filter(|(k, v)| !k.trim().is_empty() || !v.is_empty())
        .map(|(k, v)| Tag {
            key: k.trim().to_string(),
            value: v,
        })
        .collect();
    let selected = d.selected();
    // AWS's console: "If you use the AWS Management Console to create a role
    // for Amazon EC2, the console automatically creates an instance profile
    // and gives it the same name as the role." A role for EC2 is one whose
    // use case trusts ec2.amazonaws.com (not Spot Fleet's).
    let for_ec2 = d.entity() == "service"
        && usecases::find(d.get("usecase")).is_some_and(|u| u.principal == "ec2.amazonaws.com");
    let profile_params = [("InstanceProfileName", name.as_str())];
    let add_params = [
        ("InstanceProfileName", name.as_str()),
        ("RoleName", name.as_str()),
    ];

    let mut params: Vec<(String, String)> = vec![
        ("RoleName".into(), name.clone()),
        ("AssumeRolePolicyDocument".into(), trust.to_string()),
    ];
    if !description.is_empty() {
        params.push(("Description".into(), description.clone()));
    }
    for (i, t) in tags.iter().enumerate() {
        params.push((format!("Tags.member.{}.Key", i + 1), t.key.clone()));
        params.push((format!("Tags.member.{}.Value", i + 1), t.value.clone()));
    }
    let borrowed: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let checked: Result<(), ApiError> = (|| {
        shape("CreateRole", &borrowed)?;
        ctx.allow("CreateRole", &borrowed)?;
        let max = ctx.service.settings().quotas.managed_policies_per_role;
        if selected.len() > max {
            return Err(ApiError {
                code: "LimitExceeded".into(),
                message: format!("Cannot exceed quota for PoliciesPerRole: {max}"),
            });
        }
        for arn in &selected {
            shape(
                "AttachRolePolicy",
                &[("RoleName", &name), ("PolicyArn", arn)],
            )?;
            ctx.allow(
                "AttachRolePolicy",
                &[("RoleName", &name), ("PolicyArn", arn)],
            )?;
            let info = ctx.call("GetPolicy", &[("PolicyArn", arn)], |s, c| {
                s.get_policy(c, arn)
            })?;
            if !info.is_attachable {
                return Err(ApiError {
                    code: "NoSuchEntity".into(),
                    message: format!("Policy {arn} does not exist or is not attachable."),
                });
            }
        }
        if for_ec2 {
            // Checked before the role is created, so that a refusal leaves
            // neither behind (the profile's name must be free, too).
            shape("CreateInstanceProfile", &profile_params)?;
            ctx.allow("CreateInstanceProfile", &profile_params)?;
            ctx.allow("AddRoleToInstanceProfile", &add_params)?;
            if ctx.service.get_instance_profile(&ctx.caller, &name).is_ok() {
                return Err(ApiError {
                    code: "EntityAlreadyExists".into(),
                    message: format!("Instance Profile {name} already exists."),
                });
            }
        }
        ctx.service.create_role(
            &ctx.caller,
            NewRole {
                name: name.clone(),
                trust_policy: trust.to_string(),
                description: (!description.is_empty()).then(|| description.clone()),
                tags,
                ..NewRole::default()
            },
        )?;
        Ok(())
    })();
    if let Err(e) = checked {
        return review_step(d, trust, false, Some(e));
    }
    if for_ec2 {
        let added = ctx
            .service
            .create_instance_profile(
                &ctx.caller,
                NewInstanceProfile {
                    name: name.clone(),
                    ..NewInstanceProfile::default()
                },
            )
            .and_then(|_| {
                ctx.service
                    .add_role_to_instance_profile(&ctx.caller, &name, &name)
            });
        if let Err(e) = added {
            // The role exists now (a profile of its name may have been made meanwhile).
            let e = ApiError::from(e);
            tracing::warn!(role = %name, code = %e.code, "creating the role's instance profile after CreateRole failed");
            return Out::Redirect(format!("{}/roles/{}", crate::PREFIX, enc(&name)));
        }
    }
    for arn in &selected {
        if let Err(e) = ctx
            .service
            .attach_policy(&ctx.caller, PrincipalKind::Role, &name, arn)
        {
            // The role exists now; show it with what could not be attached.
            let e = ApiError::from(e);
            tracing::warn!(role = %name, %arn, code = %e.code, "attaching a policy after CreateRole failed");
            return Out::Redirect(format!(
                "{}/roles/{}?tab=permissions",
                crate::PREFIX,
                enc(&name)
            ));
        }
    }
    Out::Redirect(format!(
        "{}/roles?done=created&role={}",
        crate::PREFIX,
        enc(&name)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_make_valid_trust_policies() {
        for (provider, _, key) in PROVIDERS {
            let doc = json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {format!("{provider}:{key}"): "app"}}}]});
            ironiam_policy::validate(&doc.to_string(), PolicyKind::Trust).unwrap();
        }
    }
}
