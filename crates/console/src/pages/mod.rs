//! Routing and what every page handler shares.

mod api;
mod home;
mod picker;
mod policies;
mod role;
mod roles;
mod trust_edit;
mod wizard;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::{Method, StatusCode};
use ironiam_core::entities::Role;
use ironiam_core::service::{Caller, IamService};
use percent_encoding::percent_decode_str;

use crate::csrf::{self, Refusal};
use crate::html::{alert, esc, Alert, Nav, Page};
use crate::request::Req;
use crate::validate::ApiError;
use crate::Out;

/// What a handler gets.
pub(crate) struct Ctx<'a> {
    /// The domain.
    pub service: &'a IamService,
    /// Who acts: until sign-in lands, the default account's root.
    pub caller: Caller,
    /// The request.
    pub req: &'a Req,
}

impl Ctx<'_> {
    /// A whole page.
    pub(crate) fn page(&self, status: StatusCode, page: Page<'_>) -> Out {
        Out::Html(status, page.render(self.req, &self.caller.account_id))
    }

    /// A page whose body is only an error.
    pub(crate) fn error_page(&self, status: StatusCode, nav: Nav, error: &ApiError) -> Out {
        self.page(
            status,
            Page {
                title: &error.code,
                nav,
                crumbs: vec![(error.code.clone(), None)],
                body: format!("<h1>Something went wrong</h1>{}", crate::html::error_alert(&error.code, &error.message)),
            },
        )
    }

    /// The role `name`, or the error page AWS's NoSuchEntity makes.
    pub(crate) fn role(&self, name: &str) -> Result<Arc<Role>, Out> {
        self.service.get_role(&self.caller, name).map_err(|e| {
            let e = ApiError::from(e);
            let status = if e.code == "NoSuchEntity" { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST };
            self.error_page(status, Nav::Roles, &e)
        })
    }

    /// Every role of the account, in name order.
    pub(crate) fn all_roles(&self) -> Result<Vec<Arc<Role>>, ApiError> {
        let mut roles = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self.service.list_roles(&self.caller, None, marker.as_deref(), Some(1000))?;
            roles.extend(page.items);
            match page.marker {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        Ok(roles)
    }
}

/// Seconds since the epoch, for "3 minutes ago" only.
pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn decode_segment(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn not_found(ctx: &Ctx) -> Out {
    ctx.page(
        StatusCode::NOT_FOUND,
        Page {
            title: "Not found",
            nav: Nav::Dashboard,
            crumbs: vec![("Not found".into(), None)],
            body: format!(
                "<h1>Page not found</h1><p>There is no console page at this address. <a href=\"{}\">Go to the dashboard</a>.</p>",
                crate::PREFIX
            ),
        },
    )
}

fn refused(ctx: &Ctx, why: Refusal) -> Out {
    let reason = match why {
        Refusal::NoCookie => "Your browser sent no console cookie with this form (cookies blocked, or the server restarted). Reload the page and try again.",
        Refusal::BadToken => "This form's security token is missing or has expired (the server may have restarted). Reload the page and try again.",
        Refusal::CrossSite => "This request came from another site, so it was refused.",
    };
    if ctx.req.path.starts_with("/api/") {
        return Out::Json(StatusCode::FORBIDDEN, serde_json::json!({"error": "InvalidCsrfToken", "message": reason}).to_string());
    }
    ctx.page(
        StatusCode::FORBIDDEN,
        Page {
            title: "Request refused",
            nav: Nav::Dashboard,
            crumbs: vec![("Request refused".into(), None)],
            body: format!("<h1>Request refused</h1>{}", alert(Alert::Error, "InvalidCsrfToken", &esc(reason))),
        },
    )
}

/// Answers one request.
pub(crate) fn route(service: &IamService, req: &Req) -> Out {
    let ctx = Ctx { service, caller: service.default_caller(), req };
    let post = req.method == Method::POST;
    if req.method != Method::GET && !post {
        return Out::Json(StatusCode::METHOD_NOT_ALLOWED, "{\"error\":\"MethodNotAllowed\"}".into());
    }
    if post {
        if let Err(why) = csrf::check(req) {
            return refused(&ctx, why);
        }
    }
    let segments: Vec<String> = req.path.trim_start_matches('/').split('/').map(decode_segment).collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (post, segs.as_slice()) {
        (false, [""]) => home::page(&ctx),
        (false, ["static", "app.css"]) => Out::Asset("text/css; charset=utf-8", include_str!("../../assets/app.css")),
        (false, ["static", "app.js"]) => Out::Asset("text/javascript; charset=utf-8", include_str!("../../assets/app.js")),
        (false, ["roles"]) => roles::list(&ctx),
        (_, ["create-role"]) => wizard::handle(&ctx),
        (false, ["roles", name]) => role::page(&ctx, name),
        (false, ["roles", name, "attach"]) => role::attach_form(&ctx, name),
        (true, ["roles", name, "attach"]) => role::attach(&ctx, name),
        (true, ["roles", name, "detach"]) => role::detach(&ctx, name),
        (false, ["roles", name, "trust"]) => trust_edit::form(&ctx, name),
        (true, ["roles", name, "trust"]) => trust_edit::submit(&ctx, name),
        (_, ["roles", name, "edit"]) => role::edit(&ctx, name),
        (true, ["roles", name, "tags"]) => role::add_tag(&ctx, name),
        (true, ["roles", name, "untag"]) => role::remove_tag(&ctx, name),
        (_, ["roles", name, "inline"]) => role::inline(&ctx, name),
        (true, ["roles", name, "inline-delete"]) => role::inline_delete(&ctx, name),
        (_, ["roles", name, "delete"]) => role::delete(&ctx, name),
        (false, ["policies"]) => policies::list(&ctx),
        (false, ["policies", "view"]) => policies::view(&ctx),
        (true, ["api", "validate"]) => api::validate(&ctx),
        (false, ["api", "policy"]) => api::policy_document(&ctx),
        _ => not_found(&ctx),
    }
}
