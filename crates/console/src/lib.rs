//! The IAM web console of ironiam, served by `ironiam serve` under `/console`.
//!
//! Server-rendered HTML over [`IamService`], with one small script
//! (`assets/app.js`) that only enhances pages that already work without it:
//! filtering as you type, the policy picker over the whole managed catalog,
//! trust-policy validation and the semantic difference as you type.
//!
//! # Security
//!
//! * **Sign-in.** With authentication on (`--auth verify|soft|enforce`) the
//!   console signs in — an IAM user with its password (its login profile),
//!   or an account's root user with one of its root access keys, since
//!   ironiam has no root e-mail address — and keeps the session in an
//!   `HttpOnly; SameSite=Strict` cookie (see [`session`]). Every action then
//!   runs as that principal and is authorized by the server's own API
//!   authorization step ([`Authorizer`]), so the console can do exactly what
//!   the same principal could do through the API. With `--auth off` there is
//!   no sign-in and every action runs as the default account's root, as
//!   unsigned API calls do: **that console is for local use**.
//! * Every state-changing request (every `POST`) carries a CSRF token: the
//!   browser holds a random nonce in an `HttpOnly; SameSite=Strict` cookie and
//!   forms carry `HMAC-SHA-256(secret, nonce)` (a per-process secret, or one
//!   derived from the shared server key with `--database`); a request whose
//!   `Origin` is another site is refused as well (see [`csrf`]). The sign-in
//!   form is protected the same way, and a new nonce is minted at sign-in.
//! * Every user-controlled value is escaped where it is written
//!   ([`html::esc`]); data for the script travels as JSON in
//!   `<script type="application/json">` with `<`, `>` and `&` escaped; the
//!   Content-Security-Policy allows scripts from this origin only, so an
//!   escaping mistake could not run injected script either.
//! * Input is validated with the same model constraints as the API
//!   (`ironiam_protocol::decode_input`) before the domain sees it, so the
//!   console cannot create what the API would refuse.

mod access;
mod csrf;
mod diff;
mod html;
mod pages;
mod request;
mod session;
mod shared;
mod svg;
mod throttle;
mod trust;
mod usecases;
mod validate;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use hyper::{Request, Response, StatusCode};
use ironiam_core::service::{Caller, IamService};
use ironiam_core::IamError;

use request::Req;
pub use shared::{csrf_secret_from_server_key, InProcess, SharedError, SharedState, StoredSession};

/// The path every console page lives under.
pub const PREFIX: &str = "/console";

/// Largest form body the console reads (a trust policy is at most a few
/// kilobytes; an inline policy at most 10,240 characters, percent-encoded).
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// Whether `path` belongs to the console.
pub fn is_console_path(path: &str) -> bool {
    path == PREFIX
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// What a page handler answers; [`finish`] turns it into a response with the
/// security headers every console response carries.
pub(crate) enum Out {
    /// An HTML page.
    Html(StatusCode, String),
    /// `303 See Other` to a console URL (post/redirect/get).
    Redirect(String),
    /// A JSON answer for the script.
    Json(StatusCode, String),
    /// An embedded static file.
    Asset(&'static str, &'static str),
}

/// Decides whether a signed-in principal may call an IAM operation. The
/// server implements it with the API's own authorization step, so the
/// console and the API can never disagree about what a principal may do.
pub trait Authorizer: Send + Sync {
    /// `Ok` when `caller` may call the IAM operation `operation` with
    /// `params` (API parameter names: `RoleName`, `PolicyArn`,
    /// `Tags.member.1.Key`…); AWS's `AccessDenied` otherwise.
    fn authorize(
        &self,
        service: &IamService,
        caller: &Caller,
        operation: &str,
        params: &[(&str, &str)],
    ) -> Result<(), IamError>;
}

/// An [`Authorizer`] that allows everything: the console of `--auth off`.
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(
        &self,
        _: &IamService,
        _: &Caller,
        _: &str,
        _: &[(&str, &str)],
    ) -> Result<(), IamError> {
        Ok(())
    }
}

/// The console: how it authorizes, and where its sessions, sign-in brake
/// and CSRF secret live ([`SharedState`]).
pub struct Console {
    sign_in: bool,
    authorizer: Box<dyn Authorizer>,
    shared: std::sync::Arc<dyn SharedState>,
}

impl Console {
    /// A console without sign-in: every action runs as the default
    /// account's root (`--auth off`, or `--console-without-sign-in`).
    pub fn local() -> Console {
        Console {
            sign_in: false,
            authorizer: Box::new(AllowAll),
            shared: std::sync::Arc::new(InProcess::default()),
        }
    }

    /// A console that requires sign-in and authorizes every action of the
    /// signed-in principal with `authorizer`.
    pub fn with_sign_in(authorizer: Box<dyn Authorizer>) -> Console {
        Console {
            sign_in: true,
            authorizer,
            shared: std::sync::Arc::new(InProcess::default()),
        }
    }

    /// The same console keeping its sessions, sign-in brake and CSRF secret
    /// in `shared` instead of this process alone (replicas on one database).
    pub fn with_shared_state(mut self, shared: std::sync::Arc<dyn SharedState>) -> Console {
        self.shared = shared;
        self
    }

    /// Answers one console request.
    pub async fn handle<B>(&self, service: &IamService, req: Request<B>) -> Response<Full<Bytes>>
    where
        B: hyper::body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = req.into_parts();
        let body = if parts.method == hyper::Method::POST {
            match Limited::new(body, MAX_FORM_BYTES).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => {
                    return finish(
                        Out::Html(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "Request body too large.".to_string(),
                        ),
                        Vec::new(),
                    )
                }
            }
        } else {
            Bytes::new()
        };
        let req = Req::from_parts(&parts, body, self.shared.csrf_secret());
        let mut cookies = Vec::new();
        if req.fresh_nonce {
            cookies.push(csrf::cookie(&req.nonce));
        }
        let out = pages::route(self, service, &req, &mut cookies);
        finish(out, cookies)
    }
}

/// The Content-Security-Policy of every page: scripts and styles from this
/// origin only, no plugins, no framing, forms posting back to this origin.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

fn finish(out: Out, cookies: Vec<String>) -> Response<Full<Bytes>> {
    let (status, ctype, body, location, cache) = match out {
        Out::Html(status, body) => (
            status,
            "text/html; charset=utf-8",
            Bytes::from(body),
            None,
            "no-store",
        ),
        Out::Redirect(to) => (
            StatusCode::SEE_OTHER,
            "text/plain; charset=utf-8",
            Bytes::new(),
            Some(to),
            "no-store",
        ),
        Out::Json(status, body) => (
            status,
            "application/json",
            Bytes::from(body),
            None,
            "no-store",
        ),
        Out::Asset(ctype, body) => (
            StatusCode::OK,
            ctype,
            Bytes::from_static(body.as_bytes()),
            None,
            "no-cache",
        ),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert("content-security-policy", HeaderValue::from_static(CSP));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if let Some(to) = location {
        // Locations are built from percent-encoded parts; a value that is
        // still not a valid header falls back to the console's home.
        let value = HeaderValue::from_str(&to).unwrap_or_else(|_| HeaderValue::from_static(PREFIX));
        headers.insert(LOCATION, value);
    }
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            headers.append(SET_COOKIE, v);
        }
    }
    response
}

#[cfg(test)]
mod tests;
