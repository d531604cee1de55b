//! HTTP plumbing: body limits, routing of the `/_ironiam/*` endpoints, and
//! turning the pipeline's answer into a response.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

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
use ironiam_core::service::{Caller, Identity};
use ironiam_protocol::{write_error, write_success, Service, SuccessBody};
use ironiam_sigv4::{AuthError, HttpRequest};
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::admin;
use crate::audit::AuditLog;
use crate::auth::{AuthMode, Authenticated, Authenticator};
use crate::dispatch::{dispatch, Answer, Outcome, RequestFacts};
use crate::head_watch::{self, Progress};
use crate::metrics::Metrics;
use crate::render_cache::RoleXmlCache;
use crate::writer::Writer;

/// Largest request body accepted. AWS's own limit for Query requests is not
/// documented; the largest legitimate IAM body (a 131,072-character policy,
/// percent-encoded) fits well within 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings of the HTTP front.
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    /// Serve the test-suite endpoints ([`TEST_ENDPOINTS`]). `ironiam serve`
    /// turns them on by default with `--auth off` (what suites written for
    /// moto expect) and only with `--test-endpoints` otherwise; with `--auth`
    /// on they answer only the default account's root user.
    pub test_endpoints: bool,
    /// How requests are authenticated and authorized.
    pub auth: AuthMode,
    /// Serve the web console without sign-in even though authentication is
    /// on (it then acts as the default account's root, as with `--auth off`).
    pub console_without_sign_in: bool,
    /// The service's clock, when it may be moved through
    /// `POST /_ironiam/clock?offset=SECONDS` (with `test_endpoints`).
    pub test_clock: Option<Arc<OffsetClock>>,
    /// End AccessDenied messages with an encoded authorization failure
    /// message (as EC2 does), which DecodeAuthorizationMessage decodes.
    pub encode_denials: bool,
    /// Where requests, decisions and storage commits are counted
    /// (`GET /_ironiam/metrics`).
    pub metrics: Arc<Metrics>,
    /// The CloudTrail-format audit log (`--audit-log`), if any.
    pub audit: Option<Arc<AuditLog>>,
    /// Where the console keeps sessions, the sign-in brake and its CSRF
    /// secret when they must be shared with other replicas (`--database`);
    /// `None` keeps them in this process.
    pub console_state: Option<Arc<dyn ironiam_console::SharedState>>,
}

/// Everything a request needs.
pub struct App {
    pub(crate) service: Arc<IamService>,
    roles_xml: RoleXmlCache,
    authenticator: Authenticator,
    console: ironiam_console::Console,
    config: AppConfig,
    /// Runs the requests that may write (see [`crate::writer`]).
    writer: Writer,
    /// How current the store's view is, for a replica of a shared database
    /// (`None`: the store is its own source of truth).
    freshness: Option<Arc<ironiam_core::freshness::Freshness>>,
}

type Reply = Response<Full<Bytes>>;

fn xml_response(status: u16, request_id: &str, body: Bytes) -> Reply {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", v);
    }
    response
}

/// The endpoints beside the AWS API that exist for test suites: they wipe
/// state, move the clock, issue credentials as a service and answer
/// authorization questions — closed unless the operator opens them.
pub const TEST_ENDPOINTS: &[&str] = &[
    "/_ironiam/reset",
    "/moto-api/reset",
    "/_ironiam/clock",
    "/_ironiam/assume-role-as-service",
    "/_ironiam/authorize",
];

/// How long a request body may take to arrive once its headers have.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// An error of ironiam's JSON endpoints: `{"error": {"code", "message"}}`.
fn json_error(status: StatusCode, code: &str, message: &str) -> Reply {
    let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// What a cross-site browser request is told.
const CROSS_SITE_MESSAGE: &str =
    "Cross-site requests are refused: this request came from a web page of another origin (its Origin or Sec-Fetch-Site header says so).";

fn cross_site_refusal_json() -> Reply {
    json_error(StatusCode::FORBIDDEN, "AccessDenied", CROSS_SITE_MESSAGE)
}

/// Whether a browser sent this request on behalf of a page of another
/// origin. AWS's SDKs and CLI send neither `Origin` nor `Sec-Fetch-Site`;
/// browsers send `Origin` on cross-origin POSTs and `Sec-Fetch-Site` on
/// every request. Such a request is refused wherever it could change state
/// without a signature (`--auth off`, the test-suite endpoints): an HTML
/// form or `fetch` with `Content-Type: text/plain` needs no CORS preflight.
/// (DNS rebinding makes a hostile page same-origin; it is not caught here.)
fn is_cross_site(headers: &hyper::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return true;
        }
    }
    let Some(origin) = headers.get(hyper::header::ORIGIN) else {
        return false;
    };
    let host = headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok());
    // `Origin: scheme://host[:port]`; "null" (sandboxed frames, files) never matches.
    let authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, a)| a);
    match (authority, host) {
        (Some(authority), Some(host)) => !authority.eq_ignore_ascii_case(host),
        _ => true,
    }
}

/// AWS's message for `ServiceUnavailable` (its common errors: "The request
/// has failed due to a temporary failure of the server.").
const SERVICE_UNAVAILABLE_MESSAGE: &str =
    "The request has failed due to a temporary failure of the server.";

/// What every request but the health check gets from a replica whose view
/// is past its bound: AWS's `503 ServiceUnavailable`, generic (the lag is
/// in the log), in the envelope of the service the credential scope names
/// (IAM's otherwise) — console pages included, which answer from the same
/// view.
fn unavailable<B>(req: &Request<B>) -> Reply {
    let service = credential_scope_service(req.headers(), req.uri().query())
        .as_deref()
        .and_then(scoped_service)
        .unwrap_or(Service::Iam);
    let request_id = request_id();
    let body = write_error(
        service,
        false,
        "ServiceUnavailable",
        SERVICE_UNAVAILABLE_MESSAGE,
        &request_id,
    );
    xml_response(503, &request_id, body.into())
}

fn json_response(status: StatusCode, body: &'static str) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The service named by a SigV4 credential scope (`AKID/DATE/REGION/SERVICE/aws4_request`),
/// from the Authorization header or a presigned URL's `X-Amz-Credential`, as written.
fn credential_scope_service<'a>(
    req_headers: &'a hyper::HeaderMap,
    query: Option<&'a str>,
) -> Option<std::borrow::Cow<'a, str>> {
    if let Some(auth) = req_headers.get(hyper::header::AUTHORIZATION) {
        // Every request carries this header: searched as bytes (no UTF-8
        // or visible-ASCII pass over the whole header first).
        let auth = auth.as_bytes();
        let start = memchr::memmem::find(auth, b"Credential=")? + "Credential=".len();
        let credential = &auth[start..];
        let end = memchr::memchr2(b',', b' ', credential).unwrap_or(credential.len());
        let service = credential[..end].split(|&b| b == b'/').nth(3)?;
        return std::str::from_utf8(service)
            .ok()
            .map(std::borrow::Cow::Borrowed);
    }
    let encoded = query?
        .split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Credential="))?;
    let decoded = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .ok()?;
    decoded
        .split('/')
        .nth(3)
        .map(|s| std::borrow::Cow::Owned(s.to_string()))
}

/// The service a credential scope names, if it is one ironiam serves.
fn scoped_service(name: &str) -> Option<Service> {
    match name {
        "iam" => Some(Service::Iam),
        "sts" => Some(Service::Sts),
        _ => None,
    }
}

/// AWS's answer to a request signed for another service (a credential
/// scoped to `s3`, or to `IAM`: the name is compared exactly). Query
/// services answer `SignatureDoesNotMatch` with this message, its trailing
/// space included, naming the service the request was for.
fn wrong_scope(params: &[u8]) -> Answer {
    let service = ironiam_protocol::parse_form(params)
        .ok()
        .and_then(|pairs| ironiam_protocol::resolve_operation(None, &pairs).ok())
        .map_or(Service::Iam, |op| op.service);
    let name = match service {
        Service::Iam => "iam",
        Service::Sts => "sts",
    };
    Answer::Err {
        service: Some(service),
        status: 403,
        sender_fault: true,
        code: "SignatureDoesNotMatch",
        message: format!("Credential should be scoped to correct service: '{name}'. "),
    }
}

impl App {
    /// An app over `service`.
    pub fn new(service: Arc<IamService>, config: AppConfig) -> Arc<Self> {
        // With authentication on, the console signs in and authorizes each
        // action as the API would; otherwise it acts as the default root.
        let console = if config.auth.verifies() && !config.console_without_sign_in {
            ironiam_console::Console::with_sign_in(Box::new(crate::authz::ConsoleAuthorizer {
                mode: config.auth,
            }))
        } else {
            ironiam_console::Console::local()
        };
        let console = match &config.console_state {
            Some(state) => console.with_shared_state(state.clone()),
            None => console,
        };
        let freshness = service.store().freshness();
        let writer =
            Writer::start(service.store().clone()).expect("the writer thread could not be started");
        Arc::new(App {
            freshness,
            service,
            roles_xml: RoleXmlCache::new(),
            authenticator: Authenticator::default(),
            console,
            config,
            writer,
        })
    }

    /// `POST /_ironiam/clock?offset=SECONDS`: shifts the service clock from
    /// the system clock (test suites: see credentials expire).
    fn move_clock(&self, query: &str) -> Reply {
        let Some(clock) = &self.config.test_clock else {
            return json_error(
                StatusCode::FORBIDDEN,
                "NotAvailable",
                "this server's clock cannot be moved",
            );
        };
        let offset = query
            .split('&')
            .find_map(|p| p.strip_prefix("offset="))
            .and_then(|v| v.parse::<i64>().ok());
        match offset {
            Some(offset) => {
                clock.set_offset(offset);
                json_response(StatusCode::OK, "{\"status\":\"ok\"}")
            }
            None => json_error(
                StatusCode::BAD_REQUEST,
                "InvalidInput",
                "expected ?offset=SECONDS",
            ),
        }
    }

    /// The test-suite endpoints (see [`TEST_ENDPOINTS`]): served only when
    /// [`AppConfig::test_endpoints`] is on, never to a cross-site browser
    /// request, and — with `--auth` on — only to a SigV4-signed request of
    /// the default account's root user.
    async fn test_endpoint<B>(&self, req: Request<B>) -> Reply
    where
        B: hyper::body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if !self.config.test_endpoints {
            let how = if self.config.auth.verifies() {
                "start ironiam with --test-endpoints"
            } else {
                "start ironiam without --no-reset"
            };
            return json_error(
                StatusCode::FORBIDDEN,
                "NotAvailable",
                &format!("the test-suite endpoints are off ({how})"),
            );
        }
        if is_cross_site(req.headers()) {
            return cross_site_refusal_json();
        }
        let (parts, body) = req.into_parts();
        let body = match tokio::time::timeout(
            BODY_READ_TIMEOUT,
            Limited::new(body, MAX_BODY_BYTES).collect(),
        )
        .await
        {
            Ok(Ok(collected)) => collected.to_bytes(),
            _ => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidInput",
                    "the body could not be read",
                )
            }
        };
        let query = parts.uri.query().unwrap_or("");
        if self.config.auth.verifies() {
            let headers: Vec<(&str, &str)> = parts
                .headers
                .iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
                .collect();
            let http = HttpRequest {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                query,
                headers: &headers,
                body: &body,
            };
            // Judged without the offset these endpoints set: the operator
            // signs with real time, and a clock moved ahead can be moved back.
            let offset = self.config.test_clock.as_ref().map_or(0, |c| c.offset());
            let now = self.service.clock().now().saturating_sub(offset);
            match self.authenticator.authenticate_at(&self.service, self.config.auth, &http, now) {
                Err(e) => return json_error(StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::FORBIDDEN), e.code(), &e.message()),
                // Reset and the clock act on every account, so only the
                // operator — the default account's root — may use them.
                Ok(a) if a.caller.identity == Identity::Root && a.caller.account_id == self.service.settings().default_account => {}
                Ok(a) => {
                    return json_error(
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        &format!("{} is not authorized to use ironiam's test-suite endpoints: only the root user of account {} is", a.caller.arn, self.service.settings().default_account),
                    )
                }
            }
        }
        let (status, text) = match parts.uri.path() {
            "/_ironiam/reset" | "/moto-api/reset" => match self.service.store().reset() {
                Ok(()) => (StatusCode::OK, "{\"status\":\"ok\"}".to_string()),
                Err(e) => {
                    tracing::error!(error = %e, "reset failed");
                    return json_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "InternalFailure",
                        "reset failed",
                    );
                }
            },
            "/_ironiam/clock" => return self.move_clock(query),
            "/_ironiam/authorize" => admin::authorize(&self.service, &self.authenticator, &body),
            _ => admin::assume_role_as_service(&self.service, &body),
        };
        let mut response = Response::new(Full::new(Bytes::from(text)));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }

    /// `GET /_ironiam/health`: 200, or — for a replica whose view of the
    /// database is past its bound — 503 with the lag, so that a load
    /// balancer takes it out until it follows the database again.
    fn health(&self) -> Reply {
        let Some(freshness) = &self.freshness else {
            return json_response(StatusCode::OK, "{\"status\":\"ok\"}");
        };
        let stale = freshness.is_stale();
        let body = serde_json::json!({
            "status": if stale { "stale" } else { "ok" },
            "lag_ms": u64::try_from(freshness.age().as_millis()).unwrap_or(u64::MAX),
            "max_staleness_ms": u64::try_from(freshness.bound().as_millis()).unwrap_or(u64::MAX),
        });
        let status = if stale {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        };
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }

    /// Answers one HTTP request that came without a socket (tests): peer
    /// unknown, plain HTTP.
    pub async fn handle<B>(self: &Arc<Self>, req: Request<B>) -> Reply
    where
        B: hyper::body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.handle_from(req, None).await
    }

    /// Answers one HTTP request that arrived on the connection `conn`.
    /// (Handed in, not put in the request's extensions: that would cost an
    /// allocation per request.)
    pub async fn handle_from<B>(self: &Arc<Self>, req: Request<B>, conn: Option<ConnInfo>) -> Reply
    where
        B: hyper::body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if req.method() == Method::GET && req.uri().path() == "/_ironiam/health" {
            return self.health();
        }
        // A replica whose view is past its bound fails closed: no request
        // is answered or authorized from a view that may miss a revocation
        // made on another replica (one atomic load; the flag is flipped by
        // the store's watcher, which also logs the lag once).
        if self.freshness.as_ref().is_some_and(|f| f.is_stale()) {
            return unavailable(&req);
        }
        if req.method() == Method::GET && req.uri().path() == "/_ironiam/metrics" {
            if !self.config.metrics.enabled() {
                return json_error(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "metrics are off (--no-metrics)",
                );
            }
            return crate::metrics::endpoint(
                &self.service,
                &self.authenticator,
                self.config.auth,
                &self.config.metrics,
                &req,
            );
        }
        if req.method() == Method::POST && TEST_ENDPOINTS.contains(&req.uri().path()) {
            return self.test_endpoint(req).await;
        }
        let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD);
        if ironiam_console::is_console_path(req.uri().path()) {
            // The console's forms carry CSRF tokens too; this is the outer wall.
            if changes_state && is_cross_site(req.headers()) {
                return cross_site_refusal_json();
            }
            // A console form may hash a password (Argon2: tens of
            // milliseconds) and commits to storage: off the worker thread.
            // Its body is read first: this task is also the connection's,
            // which feeds the body, so it cannot arrive while it blocks.
            if changes_state && multi_threaded() {
                let (parts, body) = req.into_parts();
                let body = match tokio::time::timeout(
                    BODY_READ_TIMEOUT,
                    Limited::new(body, MAX_BODY_BYTES).collect(),
                )
                .await
                {
                    Ok(Ok(collected)) => collected.to_bytes(),
                    _ => {
                        return json_error(
                            StatusCode::BAD_REQUEST,
                            "InvalidInput",
                            "the body could not be read",
                        )
                    }
                };
                let req = Request::from_parts(parts, Full::new(body));
                let runtime = tokio::runtime::Handle::current();
                return tokio::task::block_in_place(|| {
                    runtime.block_on(self.console.handle(&self.service, req))
                });
            }
            return self.console.handle(&self.service, req).await;
        }
        let started = std::time::Instant::now();
        let request_id = request_id();
        // Unsigned requests act with `--auth off`, so a web page could make
        // a visitor's browser call the API (a GET through an image, a POST
        // through a form); with `--auth` on, a signature is needed anyway.
        if !self.config.auth.verifies() && is_cross_site(req.headers()) {
            let body = write_error(
                Service::Iam,
                true,
                "AccessDenied",
                CROSS_SITE_MESSAGE,
                &request_id,
            );
            return xml_response(403, &request_id, body.into());
        }
        let (parts, body) = req.into_parts();
        let scope_name = credential_scope_service(&parts.headers, parts.uri.query());
        let scope = scope_name.as_deref().and_then(scoped_service);
        // A signature for another service must not authenticate an IAM or
        // STS request (it would, for one, let GetSessionToken credentials
        // call IAM under an `s3` scope).
        let wrongly_scoped = self.config.auth.verifies() && scope_name.is_some() && scope.is_none();
        let query = parts.uri.query().unwrap_or("");
        let body: Result<Bytes, Answer> = match parts.method {
            Method::GET => Ok(Bytes::new()),
            Method::POST => match read_body(body).await {
                Err(_) => Err(Answer::error(
                    400,
                    true,
                    "RequestTimeout",
                    "Your socket connection to the server was not read from or written to within the timeout period.",
                )),
                Ok(Ok(bytes)) => Ok(bytes),
                Ok(Err(e)) => {
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
        let mut outcome: Outcome = match body {
            Err(answer) => answer.into(),
            Ok(body) => {
                // Header values that are not text cannot have been signed by
                // an AWS client; they take no part in the signature.
                let headers: Vec<(&str, &str)> = parts
                    .headers
                    .iter()
                    .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
                    .collect();
                let http = HttpRequest {
                    method: parts.method.as_str(),
                    path: parts.uri.path(),
                    query,
                    headers: &headers,
                    body: &body,
                };
                // GET and presigned POST requests carry their parameters in the query string.
                let params: &[u8] = if body.is_empty() {
                    query.as_bytes()
                } else {
                    &body
                };
                let authenticated =
                    match self
                        .authenticator
                        .authenticate(&self.service, self.config.auth, &http)
                    {
                        // The web identity token is the credential: AWS takes this one call unsigned.
                        Err(AuthError::MissingAuthenticationToken)
                            if is_unsigned_operation(params) =>
                        {
                            Ok(Authenticated {
                                caller: Caller::anonymous(),
                                region: None,
                                secure: false,
                            })
                        }
                        other => other,
                    };
                match authenticated {
                    _ if wrongly_scoped => Outcome::refused(wrong_scope(params), scope, params),
                    Err(e) => Outcome::refused(
                        Answer::Err {
                            service: scope,
                            status: e.http_status(),
                            sender_fault: e.is_sender_fault(),
                            code: e.code(),
                            message: e.message(),
                        },
                        scope,
                        params,
                    ),
                    Ok(mut authenticated) => {
                        authenticated.secure = conn.is_some_and(|c| c.secure);
                        let app = self.clone();
                        let run = move |params: &[u8]| {
                            dispatch(
                                &app.service,
                                &app.roles_xml,
                                app.config.auth,
                                app.config.encode_denials,
                                authenticated,
                                scope,
                                params,
                            )
                        };
                        match blocks_on(params) {
                            Blocks::No => run(params),
                            Blocks::OnHashing => blocking(|| run(params)),
                            Blocks::OnStorage => {
                                let owned = if body.is_empty() {
                                    Bytes::copy_from_slice(params)
                                } else {
                                    body.clone()
                                };
                                self.writer
                                    .run(move || run(&owned))
                                    .await
                                    .unwrap_or_else(|| {
                                        Answer::error(
                                            500,
                                            false,
                                            "ServiceFailure",
                                            ironiam_core::error::SERVICE_FAILURE_MESSAGE,
                                        )
                                        .into()
                                    })
                            }
                        }
                    }
                }
            }
        };
        let reply = match &mut outcome.answer {
            Answer::Ok {
                service,
                operation,
                result,
            } => {
                let body = match result.take() {
                    // Wrapped where it lies: a result is never copied.
                    Some(xml) => {
                        let SuccessBody {
                            buf,
                            start,
                            result: range,
                        } = xml.into_success(*service, operation, &request_id);
                        let whole = Bytes::from(buf);
                        outcome.result_xml = Some(whole.slice(range));
                        whole.slice(start..)
                    }
                    None => Bytes::from(write_success(*service, operation, &request_id, None)),
                };
                xml_response(200, &request_id, body)
            }
            Answer::Err {
                service,
                status,
                sender_fault,
                code,
                message,
            } => {
                let body = write_error(
                    service.or(scope).unwrap_or(Service::Iam),
                    *sender_fault,
                    code,
                    message,
                    &request_id,
                );
                xml_response(*status, &request_id, body.into())
            }
        };
        let facts = RequestFacts {
            request_id: &request_id,
            elapsed: started.elapsed(),
            peer: conn.and_then(|c| c.peer),
            headers: &parts.headers,
            query: parts.uri.query(),
        };
        outcome.observe(
            &self.service,
            &self.config.metrics,
            self.config.audit.as_deref(),
            facts,
        );
        reply
    }
}

/// Why a body could not be read (too large, or the connection failed).
type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// Reads a request body of at most [`MAX_BODY_BYTES`], for at most
/// [`BODY_READ_TIMEOUT`]. A body that has already arrived with its headers
/// (an SDK's usual request) is taken without arming a timer: a timer per
/// request cost GetRole's throughput measurably on two cores.
async fn read_body<B>(body: B) -> Result<Result<Bytes, BodyError>, tokio::time::error::Elapsed>
where
    B: hyper::body::Body,
    B::Error: Into<BodyError>,
{
    let collect = Limited::new(body, MAX_BODY_BYTES).collect();
    tokio::pin!(collect);
    let first = std::future::poll_fn(|cx| Poll::Ready(collect.as_mut().poll(cx))).await;
    let collected = match first {
        Poll::Ready(collected) => collected,
        Poll::Pending => tokio::time::timeout(BODY_READ_TIMEOUT, collect).await?,
    };
    Ok(collected.map(http_body_util::Collected::to_bytes))
}

/// Whether this thread runs on a multi-threaded Tokio runtime (where a
/// task may block its worker with `block_in_place`).
fn multi_threaded() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

/// Runs `f`, which may block its thread (an Argon2 hash),
/// without stalling the other connections of this runtime worker: the
/// worker's queue moves to another thread meanwhile. Inline where that is
/// impossible (a single-threaded runtime, as in unit tests).
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    if multi_threaded() {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

/// What a request's operation may block on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blocks {
    /// Nothing: reads (Get…, List…, Simulate…, GetCallerIdentity…) never
    /// touch the disk, and handing them elsewhere costs more than they do.
    /// (Authenticating may record a key's or role's last use, journaled at
    /// most once a minute: left inline.)
    No,
    /// A password hash (Argon2id, tens of milliseconds): on a thread of its
    /// own, so that it holds up neither the workers nor other writes.
    OnHashing,
    /// A durable commit: on the writer thread ([`crate::writer`]).
    OnStorage,
}

/// What the request's operation may block on, from its `Action`.
fn blocks_on(params: &[u8]) -> Blocks {
    let action = params
        .split(|&b| b == b'&')
        .find_map(|pair| pair.strip_prefix(b"Action="))
        .unwrap_or_default();
    const READS: [&[u8]; 5] = [
        b"Get",
        b"List",
        b"Simulate",
        b"AssumeRole",
        b"DecodeAuthorizationMessage",
    ];
    const HASHING: [&[u8]; 3] = [
        b"CreateLoginProfile",
        b"UpdateLoginProfile",
        b"ChangePassword",
    ];
    if READS.iter().any(|prefix| action.starts_with(prefix)) {
        Blocks::No
    } else if HASHING.contains(&action) {
        Blocks::OnHashing
    } else {
        Blocks::OnStorage
    }
}

/// Whether the request is `AssumeRoleWithWebIdentity`, which AWS accepts unsigned.
fn is_unsigned_operation(params: &[u8]) -> bool {
    ironiam_protocol::parse_form(params)
        .map(|pairs| {
            pairs
                .iter()
                .any(|(k, v)| k == "Action" && v == "AssumeRoleWithWebIdentity")
        })
        .unwrap_or(false)
}

/// What the connection a request arrived on says about it; [`serve`] hands
/// one with every request to [`App::handle_from`] ([`App::handle`], without
/// a socket as in unit tests, has none: peer unknown, plain HTTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnInfo {
    /// The TCP peer (`sourceIPAddress` in the audit log).
    pub peer: Option<SocketAddr>,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure: bool,
}

/// How [`serve`] treats connections.
#[derive(Clone)]
pub struct ServeOptions {
    /// Serve HTTPS with this configuration instead of plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Connections open at once; past it, new ones wait in the listen
    /// backlog until one closes.
    pub max_connections: usize,
    /// A connection whose request headers (or TLS handshake) are not
    /// complete this long after it starts waiting for them is closed
    /// (slowloris).
    pub header_read_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            tls: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        }
    }
}

/// Default of [`ServeOptions::max_connections`]: well above what a test
/// suite or an SDK's connection pool opens, well below common file-descriptor
/// limits.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// Default of [`ServeOptions::header_read_timeout`]. AWS clients send a
/// request's headers in one write; ten seconds is generous for any network.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Loads a PEM certificate chain and private key into a TLS configuration
/// (HTTP/1.1 only, as the rest of the server).
pub fn tls_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<rustls::ServerConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate file is not PEM: {e}"))?;
    if certs.is_empty() {
        return Err("the certificate file holds no certificate".into());
    }
    // The key's own error would quote nothing secret, but say no more than needed.
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|_| "the key file holds no PEM private key".to_string())?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("the certificate and key do not make a TLS identity: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let acceptor = options.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    loop {
        // A free slot first, then accept: past the limit, connections wait
        // in the kernel's backlog instead of costing memory here.
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                Err(e) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let acceptor = acceptor.clone();
        let timeout = options.header_read_timeout;
        let progress = Progress::new();
        let watched = progress.clone();
        let connection = tokio::spawn(async move {
            let _slot = slot;
            let info = ConnInfo {
                peer: Some(peer),
                secure: acceptor.is_some(),
            };
            match acceptor {
                None => serve_connection(stream, app, info, progress).await,
                Some(acceptor) => {
                    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => serve_connection(tls, app, info, progress).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
        // The slow-client guard: its own task, so that serving a request
        // never polls its timer (see head_watch).
        tokio::spawn(head_watch::watchdog(
            watched,
            connection.abort_handle(),
            timeout,
        ));
    }
}

/// Answers the requests of one connection, telling `progress` where each
/// request head ends and each answer goes out.
async fn serve_connection<I>(io: I, app: Arc<App>, info: ConnInfo, progress: Arc<Progress>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.handle_from(req, Some(info)).await) }
    });
    // No hyper timer: its header_read_timeout arms one per request.
    let io = TokioIo::new(head_watch::Watched::new(io, progress));
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await
    {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_of(authorization: Option<&str>, query: Option<&str>) -> Option<String> {
        let mut headers = hyper::HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(
                hyper::header::AUTHORIZATION,
                hyper::header::HeaderValue::from_str(value).unwrap(),
            );
        }
        credential_scope_service(&headers, query).map(|s| s.into_owned())
    }

    #[test]
    fn the_credential_scope_names_the_service() {
        let signed = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261206/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(scope_of(Some(signed), None).as_deref(), Some("iam"));
        let s3 = signed.replace("/iam/", "/s3/");
        assert_eq!(scope_of(Some(&s3), None).as_deref(), Some("s3"));
        // Scope ended by a space rather than a comma; too few parts; none.
        assert_eq!(
            scope_of(
                Some("AWS4-HMAC-SHA256 Credential=K/D/R/sts/aws4_request SignedHeaders=host"),
                None
            )
            .as_deref(),
            Some("sts")
        );
        assert_eq!(
            scope_of(Some("AWS4-HMAC-SHA256 Credential=K/D/R, Signature=x"), None),
            None
        );
        assert_eq!(scope_of(Some("Bearer token"), None), None);
        assert_eq!(
            scope_of(
                None,
                Some("Action=GetRole&X-Amz-Credential=K%2FD%2FR%2Fiam%2Faws4_request")
            )
            .as_deref(),
            Some("iam")
        );
        assert_eq!(scope_of(None, Some("Action=GetRole")), None);
    }
}
