//! HTTP plumbing: body limits, routing of the `/_ironiam/*` endpoints, and
//! turning the pipeline's answer into a response.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use ironiam_core::clock::OffsetClock;
use ironiam_core::ids::request_id;
use ironiam_core::service::IamService;
use ironiam_protocol::{write_error, write_success, Service, XmlWriter};
use ironiam_core::service::Caller;
use ironiam_sigv4::{AuthError, HttpRequest};
use tokio::net::TcpListener;

use crate::admin;
use crate::auth::{AuthMode, Authenticated, Authenticator};
use crate::dispatch::{dispatch, Answer};
use crate::render_cache::RoleXmlCache;

/// Largest request body accepted. AWS's own limit for Query requests is not
/// documented; the largest legitimate IAM body (a 131,072-character policy,
/// percent-encoded) fits well within 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings of the HTTP front.
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    /// Allow `POST /_ironiam/reset` and `POST /moto-api/reset` (and the
    /// other test-suite endpoints under `/_ironiam/`).
    pub enable_reset: bool,
    /// How requests are authenticated and authorized.
    pub auth: AuthMode,
    /// Serve the web console without sign-in even though authentication is
    /// on (it then acts as the default account's root, as with `--auth off`).
    pub console_without_sign_in: bool,
    /// The service's clock, when it may be moved through
    /// `POST /_ironiam/clock?offset=SECONDS` (with `enable_reset`).
    pub test_clock: Option<Arc<OffsetClock>>,
    /// End AccessDenied messages with an encoded authorization failure
    /// message (as EC2 does), which DecodeAuthorizationMessage decodes.
    pub encode_denials: bool,
}

/// Everything a request needs.
pub struct App {
    pub(crate) service: Arc<IamService>,
    roles_xml: RoleXmlCache,
    authenticator: Authenticator,
    console: ironiam_console::Console,
    config: AppConfig,
}

type Reply = Response<Full<Bytes>>;

fn xml_response(status: u16, request_id: &str, body: String) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", v);
    }
    response
}

fn json_response(status: StatusCode, body: &'static str) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The service named by a SigV4 credential scope (`AKID/DATE/REGION/SERVICE/aws4_request`),
/// from the Authorization header or a presigned URL's `X-Amz-Credential`.
fn service_from_scope(req_headers: &hyper::HeaderMap, query: Option<&str>) -> Option<Service> {
    let scope_service = |credential: &str| -> Option<Service> {
        let mut parts = credential.split('/');
        match parts.nth(3)? {
            "iam" => Some(Service::Iam),
            "sts" => Some(Service::Sts),
            _ => None,
        }
    };
    if let Some(auth) = req_headers.get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let credential = auth.split("Credential=").nth(1)?.split([',', ' ']).next()?;
        return scope_service(credential);
    }
    let query = query?;
    let encoded = query.split('&').find_map(|p| p.strip_prefix("X-Amz-Credential="))?;
    scope_service(&encoded.replace("%2F", "/").replace("%2f", "/"))
}

impl App {
    /// An app over `service`.
    pub fn new(service: Arc<IamService>, config: AppConfig) -> Arc<Self> {
        // With authentication on, the console signs in and authorizes each
        // action as the API would; otherwise it acts as the default root.
        let console = if config.auth.verifies() && !config.console_without_sign_in {
            ironiam_console::Console::with_sign_in(Box::new(crate::authz::ConsoleAuthorizer { mode: config.auth }))
        } else {
            ironiam_console::Console::local()
        };
        Arc::new(App { service, roles_xml: RoleXmlCache::new(), authenticator: Authenticator::default(), console, config })
    }

    /// `POST /_ironiam/clock?offset=SECONDS`: shifts the service clock from
    /// the system clock (test suites: see credentials expire).
    fn move_clock(&self, query: &str) -> Reply {
        let (Some(clock), true) = (&self.config.test_clock, self.config.enable_reset) else {
            return json_response(StatusCode::FORBIDDEN, "{\"error\":\"the clock endpoint is disabled\"}");
        };
        let offset = query.split('&').find_map(|p| p.strip_prefix("offset=")).and_then(|v| v.parse::<i64>().ok());
        match offset {
            Some(offset) => {
                clock.set_offset(offset);
                json_response(StatusCode::OK, "{\"status\":\"ok\"}")
            }
            None => json_response(StatusCode::BAD_REQUEST, "{\"error\":\"expected ?offset=SECONDS\"}"),
        }
    }

    /// ironiam's JSON endpoints (see [`crate::admin`]), enabled with the reset endpoints.
    async fn admin<B>(&self, path: &str, body: B) -> Reply
    where
        B: hyper::body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if !self.config.enable_reset {
            return json_response(StatusCode::FORBIDDEN, "{\"error\":\"ironiam's own endpoints are disabled (--no-reset)\"}");
        }
        let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return json_response(StatusCode::PAYLOAD_TOO_LARGE, "{\"error\":\"the body could not be read\"}"),
        };
        let (status, text) = if path == "/_ironiam/authorize" {
            admin::authorize(&self.service, &self.authenticator, &body)
        } else {
            admin::assume_role_as_service(&self.service, &body)
        };
        let mut response = Response::new(Full::new(Bytes::from(text)));
        *response.status_mut() = status;
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }

    /// Answers one HTTP request.
    pub async fn handle<B>(&self, req: Request<B>) -> Reply
    where
        B: hyper::body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        match (req.method(), req.uri().path()) {
            (&Method::GET, "/_ironiam/health") => return json_response(StatusCode::OK, "{\"status\":\"ok\"}"),
            (&Method::POST, "/_ironiam/reset") | (&Method::POST, "/moto-api/reset") => {
                if !self.config.enable_reset {
                    return json_response(StatusCode::FORBIDDEN, "{\"error\":\"reset is disabled\"}");
                }
                return match self.service.store().reset() {
                    Ok(()) => json_response(StatusCode::OK, "{\"status\":\"ok\"}"),
                    Err(e) => {
                        tracing::error!(error = %e, "reset failed");
                        json_response(StatusCode::INTERNAL_SERVER_ERROR, "{\"error\":\"reset failed\"}")
                    }
                };
            }
            (&Method::POST, "/_ironiam/clock") => return self.move_clock(req.uri().query().unwrap_or("")),
            (&Method::POST, path @ ("/_ironiam/assume-role-as-service" | "/_ironiam/authorize")) => {
                let path = path.to_string();
                return self.admin(&path, req.into_body()).await;
            }
            _ => {}
        }
        if ironiam_console::is_console_path(req.uri().path()) {
            return self.console.handle(&self.service, req).await;
        }
        let request_id = request_id();
        let (parts, body) = req.into_parts();
        let scope = service_from_scope(&parts.headers, parts.uri.query());
        let query = parts.uri.query().unwrap_or("");
        let body: Result<Bytes, Answer> = match parts.method {
            Method::GET => Ok(Bytes::new()),
            Method::POST => match Limited::new(body, MAX_BODY_BYTES).collect().await {
                Ok(collected) => Ok(collected.to_bytes()),
                Err(e) => {
                    let too_large = e.downcast_ref::<http_body_util::LengthLimitError>().is_some();
                    Err(if too_large {
                        Answer::error(413, true, "RequestEntityTooLarge", &format!("Request body must be at most {MAX_BODY_BYTES} bytes."))
                    } else {
                        Answer::error(400, true, "MalformedQueryString", "The request body could not be read.")
                    })
                }
            },
            _ => Err(Answer::error(405, true, "MethodNotAllowed", "Only GET and POST requests are supported.")),
        };
        let answer = match body {
            Err(answer) => answer,
            Ok(body) => {
                // Header values that are not text cannot have been signed by
                // an AWS client; they take no part in the signature.
                let headers: Vec<(&str, &str)> =
                    parts.headers.iter().filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))).collect();
                let http = HttpRequest { method: parts.method.as_str(), path: parts.uri.path(), query, headers: &headers, body: &body };
                // GET and presigned POST requests carry their parameters in the query string.
                let params: &[u8] = if body.is_empty() { query.as_bytes() } else { &body };
                let authenticated = match self.authenticator.authenticate(&self.service, self.config.auth, &http) {
                    // The web identity token is the credential: AWS takes this one call unsigned.
                    Err(AuthError::MissingAuthenticationToken) if is_unsigned_operation(params) => {
                        Ok(Authenticated { caller: Caller::anonymous(), region: None })
                    }
                    other => other,
                };
                match authenticated {
                    Err(e) => Answer::Err { service: scope, status: e.http_status(), sender_fault: e.is_sender_fault(), code: e.code(), message: e.message() },
                    Ok(authenticated) => {
                        dispatch(&self.service, &self.roles_xml, self.config.auth, self.config.encode_denials, &authenticated, scope, params)
                    }
                }
            }
        };
        match answer {
            Answer::Ok { service, operation, result } => {
                let body = match &result {
                    Some(xml) => write_success(service, operation, &request_id, Some(&|w: &mut XmlWriter| w.append(xml.as_str()))),
                    None => write_success(service, operation, &request_id, None),
                };
                xml_response(200, &request_id, body)
            }
            Answer::Err { service, status, sender_fault, code, message } => {
                let body = write_error(service.or(scope).unwrap_or(Service::Iam), sender_fault, code, &message, &request_id);
                xml_response(status, &request_id, body)
            }
        }
    }
}

/// Whether the request is `AssumeRoleWithWebIdentity`, which AWS accepts unsigned.
fn is_unsigned_operation(params: &[u8]) -> bool {
    ironiam_protocol::parse_form(params)
        .map(|pairs| pairs.iter().any(|(k, v)| k == "Action" && v == "AssumeRoleWithWebIdentity"))
        .unwrap_or(false)
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let app = app.clone();
                        async move { Ok::<_, Infallible>(app.handle(req).await) }
                    });
                    let builder = hyper::server::conn::http1::Builder::new();
                    if let Err(e) = builder.serve_connection(TokioIo::new(stream), service).await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
        }
    }
}
