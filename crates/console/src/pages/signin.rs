//! Signing in and out, and changing one's own password.
//!
//! An IAM user signs in with its account, user name and password (its login
//! profile); an account's root user with one of its root access keys, since
//! ironiam knows no root e-mail address. Every failure answers the same
//! message, as AWS's sign-in page does, so the page does not tell which
//! users exist.

use std::fmt::Write as _;

use hyper::StatusCode;
use ironiam_core::service::Identity;

use super::Ctx;
use crate::html::{alert, csrf_field, esc, Alert, Nav, Page};
use crate::validate::ApiError;
use crate::{csrf, session, throttle, Out};

/// AWS's sign-in page's answer to any wrong account, name, password or key.
pub(crate) const INCORRECT: &str =
    "Your authentication information is incorrect. Please try again.";

/// Where to go after signing in: a console path from `next`, never another
/// site (`//host`, `\`) nor the sign-in pages themselves.
fn destination(next: &str) -> String {
    let safe = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/signin")
        && !next.starts_with("/signout")
        && next.bytes().all(|b| b.is_ascii_graphic());
    if safe {
        format!("{}{next}", crate::PREFIX)
    } else {
        crate::PREFIX.to_string()
    }
}

fn sign_in_page(ctx: &Ctx, status: StatusCode, problem: Option<&str>, kind: &str) -> Out {
    let req = ctx.req;
    let next = req.q("next").or_else(|| req.f("next")).unwrap_or("");
    let account = req
        .f("account")
        .map(str::to_string)
        .unwrap_or_else(|| ctx.service.default_caller().account_id);
    let mut body = String::with_capacity(4096);
    body.push_str("<div class=\"signin\"><h1>Sign in</h1>");
    if let Some(p) = problem {
        body.push_str(&alert(Alert::Error, "Sign-in failed", &esc(p)));
    } else if req.q("done") == Some("signedout") {
        body.push_str(&alert(
            Alert::Info,
            "Signed out",
            "You have signed out of the console.",
        ));
    }
    let csrf = csrf_field(req);
    let user_name = if kind == "user" {
        req.f_or_empty("username")
    } else {
        ""
    };
    let akid = if kind == "root" {
        req.f_or_empty("access_key_id")
    } else {
        ""
    };
    let _ = write!(
        body,
        "<div class=\"signin-grid\">\
<section class=\"card\" id=\"signin-user\"><div class=\"card-head\"><h2>IAM user</h2></div>\
<p class=\"muted\">Sign in with the password of your IAM user (its login profile).</p>\
<form method=\"post\" action=\"{p}/signin\" class=\"form\">{csrf}\
<input type=\"hidden\" name=\"kind\" value=\"user\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
<label>Account ID<input name=\"account\" id=\"user-account\" value=\"{account}\" inputmode=\"numeric\" autocomplete=\"organization\" required></label>\
<label>IAM user name<input name=\"username\" id=\"user-name\" value=\"{user_name}\" autocomplete=\"username\" required></label>\
<label>Password<input name=\"password\" id=\"user-password\" type=\"password\" autocomplete=\"current-password\" required></label>\
<button type=\"submit\" class=\"button primary\" id=\"user-sign-in\">Sign in</button></form></section>\
<section class=\"card\" id=\"signin-root\"><div class=\"card-head\"><h2>Root user</h2></div>\
<p class=\"muted\">ironiam's root users have no e-mail address: sign in with one of the account's root access keys.</p>\
<form method=\"post\" action=\"{p}/signin\" class=\"form\">{csrf}\
<input type=\"hidden\" name=\"kind\" value=\"root\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
<label>Account ID<input name=\"account\" id=\"root-account\" value=\"{account}\" inputmode=\"numeric\" required></label>\
<label>Access key ID<input name=\"access_key_id\" id=\"root-key\" value=\"{akid}\" autocomplete=\"username\" required></label>\
<label>Secret access key<input name=\"secret_access_key\" id=\"root-secret\" type=\"password\" autocomplete=\"current-password\" required></label>\
<button type=\"submit\" class=\"button primary\" id=\"root-sign-in\">Sign in</button></form></section></div></div>",
        p = crate::PREFIX,
        next = esc(next),
        account = esc(&account),
        user_name = esc(user_name),
        akid = esc(akid),
    );
    ctx.page(
        status,
        Page {
            title: "Sign in",
            nav: Nav::Dashboard,
            crumbs: vec![("Sign in".into(), None)],
            body,
        },
    )
}

/// `GET /console/signin`.
pub(crate) fn form(ctx: &Ctx) -> Out {
    if ctx.session.is_some() {
        return Out::Redirect(destination(ctx.req.q("next").unwrap_or("")));
    }
    sign_in_page(ctx, StatusCode::OK, None, "")
}

/// `POST /console/signin`.
pub(crate) fn submit(ctx: &Ctx, cookies: &mut Vec<String>) -> Out {
    let req = ctx.req;
    let account = req.f_or_empty("account").trim();
    let kind = req.f_or_empty("kind");
    let name = match kind {
        "user" => req.f_or_empty("username").trim(),
        "root" => req.f_or_empty("access_key_id").trim(),
        _ => {
            return sign_in_page(
                ctx,
                StatusCode::BAD_REQUEST,
                Some("Choose how to sign in."),
                "",
            )
        }
    };
    let shared = &*ctx.console.shared;
    // The brake is read before the password is checked; a store that
    // cannot say answers 503 rather than skipping the brake.
    let braked = match throttle::is_braked(shared, account, name) {
        Ok(braked) => braked,
        Err(e) => return super::unavailable(ctx, &e),
    };
    let signed_in = if braked {
        Err(ironiam_core::IamError::AccessDenied(
            "too many failed sign-ins".into(),
        ))
    } else if kind == "user" {
        ctx.service
            .sign_in_user(account, name, req.f_or_empty("password"))
            .map(|s| (s.caller, s.password_reset_required))
    } else {
        ctx.service
            .sign_in_root(account, name, req.f_or_empty("secret_access_key"))
            .map(|caller| (caller, false))
    };
    match signed_in {
        Ok((caller, reset)) => {
            // Signed in only once the session is stored everywhere it must
            // be; any failure on the way is a 503, never a session that
            // other replicas would not know.
            let token = throttle::succeeded(shared, account, name)
                .and_then(|()| session::end(shared, req))
                .and_then(|()| session::start(shared, &caller, reset));
            let token = match token {
                Ok(token) => token,
                Err(e) => return super::unavailable(ctx, &e),
            };
            tracing::info!(target: "ironiam::audit", principal = %caller.arn, "console sign-in");
            cookies.push(session::cookie(req, &token));
            // A fresh CSRF nonce for the new session: tokens minted before
            // sign-in stop working.
            cookies.push(csrf::cookie(&csrf::new_nonce()));
            if reset {
                return Out::Redirect(format!("{}/change-password?required=1", crate::PREFIX));
            }
            Out::Redirect(destination(req.f_or_empty("next")))
        }
        Err(e) => {
            // A failure that cannot be counted would let guesses past the
            // brake: 503 rather than the usual answer.
            if let Err(store) = throttle::failed(shared, account, name) {
                return super::unavailable(ctx, &store);
            }
            // The reason stays in the log (never the password or secret);
            // the page says only what AWS's says.
            tracing::warn!(target: "ironiam::audit", account = %account, kind = %kind, reason = %e.message(), "console sign-in refused");
            sign_in_page(ctx, StatusCode::UNAUTHORIZED, Some(INCORRECT), kind)
        }
    }
}

/// `POST /console/signout`.
pub(crate) fn sign_out(ctx: &Ctx, cookies: &mut Vec<String>) -> Out {
    // The browser keeps its cookie until the session is ended where every
    // replica looks, so that signing out again is possible.
    if let Err(e) = session::end(&*ctx.console.shared, ctx.req) {
        return super::unavailable(ctx, &e);
    }
    cookies.push(session::clear_cookie(ctx.req));
    Out::Redirect(format!("{}/signin?done=signedout", crate::PREFIX))
}

fn change_password_page(ctx: &Ctx, status: StatusCode, problem: Option<ApiError>) -> Out {
    let mut body = String::from("<div class=\"signin\"><h1>Change password</h1>");
    if let Some(e) = problem {
        body.push_str(&crate::html::error_alert(&e.code, &e.message));
        // AWS's PasswordPolicyViolation names no rule; the console lists
        // the ones the new password breaks, as AWS's console does.
        if e.code == "PasswordPolicyViolation" {
            let unmet = ctx
                .service
                .unmet_password_requirements(&ctx.caller.account_id, ctx.req.f_or_empty("new"))
                .unwrap_or_default();
            if !unmet.is_empty() {
                body.push_str(
                    "<p>The new password needs:</p><ul class=\"plain\" id=\"unmet-requirements\">",
                );
                for rule in unmet {
                    let _ = write!(body, "<li>{}</li>", esc(&rule.to_string()));
                }
                body.push_str("</ul>");
            }
        }
    } else if ctx.req.q("required").is_some() {
        body.push_str(&alert(
            Alert::Info,
            "New password required",
            "Your administrator requires you to choose a new password before you continue.",
        ));
    }
    let _ = write!(
        body,
        "<section class=\"card\"><form method=\"post\" action=\"{p}/change-password\" class=\"form\">{csrf}\
<label>Old password<input name=\"old\" id=\"old-password\" type=\"password\" autocomplete=\"current-password\" required></label>\
<label>New password<input name=\"new\" id=\"new-password\" type=\"password\" autocomplete=\"new-password\" required></label>\
<label>Retype new password<input name=\"confirm\" id=\"confirm-password\" type=\"password\" autocomplete=\"new-password\" required></label>\
<button type=\"submit\" class=\"button primary\" id=\"change-password\">Change password</button></form></section></div>",
        p = crate::PREFIX,
        csrf = csrf_field(ctx.req),
    );
    ctx.page(
        status,
        Page {
            title: "Change password",
            nav: Nav::Dashboard,
            crumbs: vec![("Change password".into(), None)],
            body,
        },
    )
}

/// `GET|POST /console/change-password`: only an IAM user has a password to
/// change (AWS answers `InvalidUserType` to anyone else).
pub(crate) fn change_password(ctx: &Ctx) -> Out {
    if !matches!(ctx.caller.identity, Identity::User { .. }) {
        let e = ApiError {
            code: "InvalidUserType".into(),
            message: "Only IAM users can change their own password.".into(),
        };
        return ctx.error_page(Nav::Dashboard, &e);
    }
    if ctx.req.method != hyper::Method::POST {
        return change_password_page(ctx, StatusCode::OK, None);
    }
    let (old, new) = (ctx.req.f_or_empty("old"), ctx.req.f_or_empty("new"));
    if new != ctx.req.f_or_empty("confirm") {
        let e = ApiError {
            code: "ValidationError".into(),
            message: "The new passwords do not match.".into(),
        };
        return change_password_page(ctx, StatusCode::BAD_REQUEST, Some(e));
    }
    match ctx.call(
        "ChangePassword",
        &[("OldPassword", old), ("NewPassword", new)],
        |s, c| s.change_password(c, old, new),
    ) {
        Ok(()) => match session::password_changed(&*ctx.console.shared, ctx.req) {
            Ok(()) => Out::Redirect(format!("{}?done=password", crate::PREFIX)),
            Err(e) => super::unavailable(ctx, &e),
        },
        Err(e) => change_password_page(ctx, StatusCode::BAD_REQUEST, Some(e)),
    }
}
