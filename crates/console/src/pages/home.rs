//! The dashboard: what the account holds, and where to go.

use hyper::StatusCode;
use ironiam_core::service::{PolicyFilter, PolicyScope};

use super::Ctx;
use crate::html::{alert, count, Alert, Nav, Page};
use crate::validate::ApiError;
use crate::Out;

fn customer_policy_count(ctx: &Ctx) -> Result<usize, ApiError> {
    ctx.allow("ListPolicies", &[("Scope", "Local")])?;
    let filter = PolicyFilter {
        scope: PolicyScope::Local,
        only_attached: false,
        path_prefix: "/".into(),
        usage: None,
    };
    let mut n = 0;
    let mut marker: Option<String> = None;
    loop {
        let page =
            ctx.service
                .list_policies(&ctx.caller, &filter, marker.as_deref(), Some(1000))?;
        n += page.items.len();
        match page.marker {
            Some(m) => marker = Some(m),
            None => return Ok(n),
        }
    }
}

/// `GET /console`.
pub(crate) fn page(ctx: &Ctx) -> Out {
    let roles = match ctx.all_roles() {
        Ok(r) => r.len(),
        Err(e) => return ctx.error_page(Nav::Dashboard, &e),
    };
    let customer = match customer_policy_count(ctx) {
        Ok(n) => n,
        Err(e) => return ctx.error_page(Nav::Dashboard, &e),
    };
    let aws = ironiam_catalog::catalog().len();
    let p = crate::PREFIX;
    let body = format!(
        "<div class=\"page-head\"><h1>IAM dashboard</h1></div>\
{notice}\
<section class=\"card\"><h2>IAM resources</h2><div class=\"stats\">\
<a class=\"stat\" href=\"{p}/roles\"><span class=\"stat-label\">Roles</span><span class=\"stat-value\" id=\"stat-roles\">{roles}</span></a>\
<a class=\"stat\" href=\"{p}/policies?type=customer\"><span class=\"stat-label\">Customer managed policies</span><span class=\"stat-value\">{customer}</span></a>\
<a class=\"stat\" href=\"{p}/policies?type=aws\"><span class=\"stat-label\">AWS managed policies</span><span class=\"stat-value\">{aws}</span></a>\
</div></section>\
<section class=\"card\"><h2>Quick links</h2><ul class=\"links\">\
<li><a href=\"{p}/create-role\">Create a role</a> — for an AWS service, another account, or a web identity</li>\
<li><a href=\"{p}/roles\">Find a role</a> and check its permissions and trust relationships</li>\
<li><a href=\"{p}/policies\">Browse the {aws} AWS managed policies</a> and your own</li></ul></section>",
        notice = if ctx.req.q("done") == Some("password") {
            alert(Alert::Success, "Password changed", "Your new password is in effect.")
        } else if ctx.session.is_none() {
            alert(
                Alert::Info,
                "This console is for local use",
                "Authentication is off, so every action runs as this account's root user, exactly as unsigned API calls do. Run it on your own machine; do not expose it on a shared network (start the server with --auth enforce for a console that signs in).",
            )
        } else {
            String::new()
        },
        roles = count(roles),
        customer = count(customer),
        aws = count(aws),
    );
    ctx.page(
        StatusCode::OK,
        Page {
            title: "Dashboard",
            nav: Nav::Dashboard,
            crumbs: vec![("Dashboard".into(), None)],
            body,
        },
    )
}
