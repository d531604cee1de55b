//! Routing and what every page handler shares.

mod api;
mod home;
mod picker;
mod policies;
mod policy_edit;
mod role;
mod roles;
mod signin;

/// AWS's sign-in failure message (tests).
#[cfg(test)]
pub(crate) fn signin_incorrect() -> &'static str {
    signin::INCORRECT
}
mod trust_edit;
mod wizard;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::{Method, StatusCode};
use ironiam_core::entities::Role;
use ironiam_core::service::{Caller, IamService, Paging};
use ironiam_core::IamResult;
use percent_encoding::percent_decode_str;

use crate::csrf::{self, Refusal};
use crate::html::{alert, esc, Alert, Nav, Page, Who};
use crate::request::Req;
use crate::session::Session;
use crate::validate::ApiError;
use crate::{Console, Out};

/// What a handler gets.
pub(crate) struct Ctx<'a> {
    /// The domain.
    pub service: &'a IamService,
    /// Who acts: the signed-in principal, or without sign-in the default
    /// account's root.
    pub caller: Caller,
    /// The request.
    pub req: &'a Req,
    /// The console (sessions, authorizer).
    pub console: &'a Console,
    /// The sign-in session, when there is one.
    pub session: Option<Session>,
}

impl Ctx<'_> {
    /// A whole page.
    pub(crate) fn page(&self, status: StatusCode, page: Page<'_>) -> Out {
        let who = match (&self.session, self.console.sign_in) {
            (Some(s), _) => Who::SignedIn(&s.caller.arn),
            (None, true) => Who::SignedOut,
            (None, false) => Who::Local,
        };
        Out::Html(status, page.render(self.req, &self.caller.account_id, who))
    }

    /// A form page: when the last submit failed, AWS's error above `body`
    /// and 400; otherwise 200.
    pub(crate) fn form_page(
        &self,
        title: &str,
        nav: Nav,
        crumbs: Vec<(String, Option<String>)>,
        problem: Option<&ApiError>,
        body: String,
    ) -> Out {
        let (status, body) = match problem {
            Some(e) => (
                StatusCode::BAD_REQUEST,
                format!("{}{body}", crate::html::error_alert(&e.code, &e.message)),
            ),
            None => (StatusCode::OK, body),
        };
        self.page(
            status,
            Page {
                title,
                nav,
                crumbs,
                body,
            },
        )
    }

    /// Whether the caller may call IAM operation `op` with `params`: the
    /// server's own authorization of the same API call.
    pub(crate) fn allow(&self, op: &str, params: &[(&str, &str)]) -> Result<(), ApiError> {
        self.console
            .authorizer
            .authorize(self.service, &self.caller, op, params)
            .map_err(ApiError::from)
    }

    /// Performs `f` as the caller once the API operation it stands for
    /// (`op` with `params`) passes the model's shape checks and is authorized.
    pub(crate) fn call<T>(
        &self,
        op: &str,
        params: &[(&str, &str)],
        f: impl FnOnce(&IamService, &Caller) -> IamResult<T>,
    ) -> Result<T, ApiError> {
        crate::validate::shape(op, params)?;
        self.allow(op, params)?;
        f(self.service, &self.caller).map_err(ApiError::from)
    }

    /// A page whose body is only an error, with the HTTP status the API
    /// would answer that error with.
    pub(crate) fn error_page(&self, nav: Nav, error: &ApiError) -> Out {
        self.page(
            error.status(),
            Page {
                title: &error.code,
                nav,
                crumbs: vec![(error.code.clone(), None)],
                body: format!(
                    "<h1>Something went wrong</h1>{}",
                    crate::html::error_alert(&error.code, &error.message)
                ),
            },
        )
    }

    /// The role `name`, or the error page AWS's NoSuchEntity makes.
    pub(crate) fn role(&self, name: &str) -> Result<Arc<Role>, Out> {
        self.call("GetRole", &[("RoleName", name)], |s, c| s.get_role(c, name))
            .map_err(|e| self.error_page(Nav::Roles, &e))
    }

    /// Every role of the account, in name order.
    pub(crate) fn all_roles(&self) -> Result<Vec<Arc<Role>>, ApiError> {
        self.allow("ListRoles", &[])?;
        let mut roles = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let paging = Paging {
                marker: marker.as_deref(),
                max_items: Some(1000),
                ..Paging::default()
            };
            let page = self.service.list_roles(&self.caller, paging)?;
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
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
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
        return Out::Json(
            StatusCode::FORBIDDEN,
            serde_json::json!({"error": "InvalidCsrfToken", "message": reason}).to_string(),
        );
    }
    ctx.page(
        StatusCode::FORBIDDEN,
        Page {
            title: "Request refused",
            nav: Nav::Dashboard,
            crumbs: vec![("Request refused".into(), None)],
            body: format!(
                "<h1>Request refused</h1>{}",
                alert(Alert::Error, "InvalidCsrfToken", &esc(reason))
            ),
        },
    )
}

/// What a console request answers when the sessions or the sign-in brake
/// cannot be read or written (the shared database unreachable): 503 with a
/// generic message, the detail in the log. Never a sign-in that silently
/// succeeded, nor a sign-out that silently did not happen.
pub(crate) fn unavailable(ctx: &Ctx, e: &crate::shared::SharedError) -> Out {
    tracing::error!(error = %e, "console: the shared session store failed");
    const MESSAGE: &str =
        "The console cannot reach its session store right now. Try again in a moment.";
    if ctx.req.path.starts_with("/api/") {
        return Out::Json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"error": "ServiceUnavailable", "message": MESSAGE}).to_string(),
        );
    }
    ctx.page(
        StatusCode::SERVICE_UNAVAILABLE,
        Page {
            title: "Service unavailable",
            nav: Nav::Dashboard,
            crumbs: vec![("Service unavailable".into(), None)],
            body: format!(
                "<h1>Service unavailable</h1>{}",
                alert(Alert::Error, "ServiceUnavailable", MESSAGE)
            ),
        },
    )
}

/// Where an unauthenticated browser is sent: the sign-in page, coming back
/// to `path` (and its query) afterwards.
fn to_sign_in(req: &Req) -> Out {
    let mut back = req.path.clone();
    if !req.query.is_empty() {
        back.push('?');
        back.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&req.query)
                .finish(),
        );
    }
    if back.is_empty() || back == "/signout" {
        return Out::Redirect(format!("{}/signin", crate::PREFIX));
    }
    Out::Redirect(format!(
        "{}/signin?next={}",
        crate::PREFIX,
        crate::html::enc(&back)
    ))
}

/// Answers one request. `cookies` collects the `Set-Cookie` values.
pub(crate) fn route(
    console: &Console,
    service: &IamService,
    req: &Req,
    cookies: &mut Vec<String>,
) -> Out {
    let post = req.method == Method::POST;
    if req.method != Method::GET && !post {
        return Out::Json(
            StatusCode::METHOD_NOT_ALLOWED,
            "{\"error\":\"MethodNotAllowed\"}".into(),
        );
    }
    let segments: Vec<String> = req
        .path
        .trim_start_matches('/')
        .split('/')
        .map(decode_segment)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (post, segs.as_slice()) {
        (false, ["static", "app.css"]) => {
            return Out::Asset(
                "text/css; charset=utf-8",
                include_str!("../../assets/app.css"),
            )
        }
        (false, ["static", "app.js"]) => {
            return Out::Asset(
                "text/javascript; charset=utf-8",
                include_str!("../../assets/app.js"),
            )
        }
        _ => {}
    }
    let session = if console.sign_in {
        crate::session::of(&*console.shared, req)
    } else {
        Ok(None)
    };
    let session = match session {
        Ok(session) => session,
        Err(e) => {
            // Never treated as signed out either: the page says the console
            // is unavailable and the browser keeps its cookie.
            let ctx = Ctx {
                service,
                caller: service.default_caller(),
                req,
                console,
                session: None,
            };
            return unavailable(&ctx, &e);
        }
    };
    let caller = session
        .as_ref()
        .map_or_else(|| service.default_caller(), |s| s.caller.clone());
    let ctx = Ctx {
        service,
        caller,
        req,
        console,
        session,
    };
    if post {
        if let Err(why) = csrf::check(req) {
            return refused(&ctx, why);
        }
    }
    if console.sign_in {
        match (post, segs.as_slice()) {
            (false, ["signin"]) => return signin::form(&ctx),
            (true, ["signin"]) => return signin::submit(&ctx, cookies),
            (true, ["signout"]) => return signin::sign_out(&ctx, cookies),
            _ => {}
        }
        let Some(session) = &ctx.session else {
            if segs.first() == Some(&"api") {
                return Out::Json(
                    StatusCode::UNAUTHORIZED,
                    serde_json::json!({"error": "NotSignedIn", "message": "Sign in to the console first."}).to_string(),
                );
            }
            return to_sign_in(req);
        };
        match (post, segs.as_slice()) {
            (_, ["change-password"]) => return signin::change_password(&ctx),
            _ if session.password_reset_required => {
                return Out::Redirect(format!("{}/change-password?required=1", crate::PREFIX))
            }
            _ => {}
        }
    }
    match (post, segs.as_slice()) {
        (false, [""]) => home::page(&ctx),
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
        (_, ["policies", "create"]) => policy_edit::create(&ctx),
        (_, ["policies", "edit"]) => policy_edit::edit(&ctx),
        (true, ["policies", "version"]) => policy_edit::version(&ctx),
        (_, ["policies", "delete"]) => policy_edit::delete(&ctx),
        (_, ["roles", name, "boundary"]) => role::boundary(&ctx, name),
        (true, ["api", "validate"]) => api::validate(&ctx),
        (false, ["api", "policy"]) => api::policy_document(&ctx),
        _ => not_found(&ctx),
    }
}
