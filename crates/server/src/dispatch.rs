//! The pipeline every AWS Query request goes through: decode, authenticate
//! (done by the HTTP layer, which has the headers), authorize, handle, encode. The
//! handle step is the generated dispatch (`crate::api`): adding an operation never
//! touches this file (see docs/ARCHITECTURE.md, "Adding an operation"); an operation
//! of the model without a handler answers `NotImplemented`, never a crash.

use std::net::SocketAddr;
use std::time::Duration;

use ironiam_core::service::IamService;
use ironiam_core::IamError;
use ironiam_protocol::{
    decode_input, parse_form, resolve_operation, Input, OperationDef, Service, XmlWriter,
};

use crate::audit::{AuditLog, AuditRecord};
use crate::auth::{AuthMode, Authenticated};
use crate::authz::authorize;
use crate::handlers::Ctx;
use crate::metrics::{AuthzOutcome, Metrics};
use crate::render_cache::RoleXmlCache;

/// What the pipeline decided; the HTTP layer renders it.
pub(crate) enum Answer {
    /// Success: the XML inside `<{Op}Result>`, if the operation has a result.
    Ok {
        service: Service,
        operation: &'static str,
        result: Option<XmlWriter>,
    },
    /// An AWS-shaped error.
    Err {
        service: Option<Service>,
        status: u16,
        sender_fault: bool,
        code: &'static str,
        message: String,
    },
}

/// What the pipeline did with a request: the answer, and what the metrics
/// and the audit log need to know of it (see [`Outcome::observe`]).
pub(crate) struct Outcome {
    /// What to answer.
    pub answer: Answer,
    /// The operation, once known.
    pub op: Option<&'static OperationDef>,
    /// The decoded input, once decoded.
    pub input: Option<Input>,
    /// Who, once authenticated.
    pub authenticated: Option<Authenticated>,
    /// What the authorize step decided, if it ran.
    pub decision: Option<AuthzOutcome>,
    /// The result XML once the HTTP layer has taken it out of `answer` to
    /// wrap it: a slice of the response (no copy), for the audit log.
    pub result_xml: Option<bytes::Bytes>,
}

impl From<Answer> for Outcome {
    /// A request answered before the pipeline knew its operation.
    fn from(answer: Answer) -> Self {
        Outcome {
            answer,
            op: None,
            input: None,
            authenticated: None,
            decision: None,
            result_xml: None,
        }
    }
}

impl Outcome {
    /// A request refused before dispatch (its signature failed): the
    /// operation it asked for is still read, for the metrics and the log.
    pub(crate) fn refused(answer: Answer, scope: Option<Service>, raw_params: &[u8]) -> Self {
        let op = parse_form(raw_params)
            .ok()
            .and_then(|params| resolve_operation(scope, &params).ok());
        Outcome {
            answer,
            op,
            input: None,
            authenticated: None,
            decision: None,
            result_xml: None,
        }
    }

    /// The HTTP status the answer is sent with.
    pub(crate) fn status(&self) -> u16 {
        match &self.answer {
            Answer::Ok { .. } => 200,
            Answer::Err { status, .. } => *status,
        }
    }

    /// Counts the request in `metrics` and, with `--audit-log`, queues its
    /// record: the one place every API request passes after its answer.
    pub(crate) fn observe(
        self,
        service: &IamService,
        metrics: &Metrics,
        audit: Option<&AuditLog>,
        facts: RequestFacts<'_>,
    ) {
        let status = self.status();
        metrics.record_request(self.op, status, facts.elapsed);
        if let Some(decision) = self.decision {
            metrics.record_decision(decision);
        }
        // Requests whose operation is unknown (unreadable, or not IAM or
        // STS) have no event name: CloudTrail has no record for them either.
        let (Some(audit), Some(op)) = (audit, self.op) else {
            return;
        };
        let (result_xml, error) = match &self.answer {
            Answer::Ok { result, .. } => (
                crate::audit::has_response_elements(op)
                    .then(|| match (&self.result_xml, result) {
                        // Taken out of the answer and wrapped: read it in the
                        // response (it is the handler's UTF-8 XML).
                        (Some(bytes), _) => std::str::from_utf8(bytes).ok(),
                        (None, Some(xml)) => Some(xml.as_str()),
                        (None, None) => None,
                    })
                    .flatten(),
                None,
            ),
            Answer::Err { code, message, .. } => (None, Some((*code, message.as_str()))),
        };
        let caller = self.authenticated.as_ref().map(|a| &a.caller);
        let account_id = match caller {
            Some(c) if !c.account_id.is_empty() => c.account_id.as_str(),
            _ => service.settings().default_account.as_str(),
        };
        audit.submit(&AuditRecord {
            time: service.clock().now(),
            op,
            region: self
                .authenticated
                .as_ref()
                .and_then(|a| a.region.as_deref()),
            source_ip: facts.peer.map(|p| p.ip()),
            user_agent: facts
                .headers
                .get(hyper::header::USER_AGENT)
                .and_then(|v| v.to_str().ok()),
            caller,
            access_key_id: access_key_id(facts.headers, facts.query),
            input: self.input.as_ref(),
            result_xml,
            error,
            request_id: facts.request_id,
            account_id,
        });
    }
}

/// What the HTTP layer knows of a request beside the pipeline's outcome.
pub(crate) struct RequestFacts<'a> {
    pub request_id: &'a str,
    /// From the request's headers to its answer.
    pub elapsed: Duration,
    /// The TCP peer, when served from a socket.
    pub peer: Option<SocketAddr>,
    pub headers: &'a hyper::HeaderMap,
    pub query: Option<&'a str>,
}

/// The access key id a request is signed with (Authorization header or
/// presigned `X-Amz-Credential`); an id, never a secret.
fn access_key_id<'a>(headers: &'a hyper::HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
    if let Some(auth) = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        // Every SDK writes the credential first: no search for it then.
        let credential = match auth.strip_prefix("AWS4-HMAC-SHA256 Credential=") {
            Some(rest) => rest,
            None => auth.split("Credential=").nth(1)?,
        };
        return credential.split('/').next();
    }
    let credential = query?
        .split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Credential="))?;
    let id = credential.split(['/', '%']).next()?;
    (!id.is_empty()).then_some(id)
}

impl Answer {
    pub(crate) fn error(
        status: u16,
        sender_fault: bool,
        code: &'static str,
        message: &str,
    ) -> Self {
        Answer::Err {
            service: None,
            status,
            sender_fault,
            code,
            message: message.to_string(),
        }
    }

    fn from_domain(service: Service, error: IamError) -> Self {
        if let IamError::Internal(detail) = &error {
            // The detail may name files or SQL; it is logged, never sent.
            tracing::error!(%detail, "internal error");
        }
        Answer::Err {
            service: Some(service),
            status: error.http_status(),
            sender_fault: error.is_sender_fault(),
            code: error.code(),
            message: error.message().to_string(),
        }
    }
}

/// Runs the pipeline on an authenticated request's parameters (form body
/// or query string).
pub(crate) fn dispatch(
    service: &IamService,
    roles_xml: &RoleXmlCache,
    mode: AuthMode,
    encode_denials: bool,
    authenticated: Authenticated,
    scope: Option<Service>,
    raw_params: &[u8],
) -> Outcome {
    let query_error = |service: Option<Service>, e: ironiam_protocol::QueryError| Answer::Err {
        service,
        status: e.status(),
        sender_fault: e.is_sender_fault(),
        code: e.code(),
        message: e.message(),
    };
    let early =
        |answer: Answer, op: Option<&'static OperationDef>, authenticated: Authenticated| Outcome {
            answer,
            op,
            input: None,
            authenticated: Some(authenticated),
            decision: None,
            result_xml: None,
        };
    let params = match parse_form(raw_params) {
        Ok(p) => p,
        Err(e) => return early(query_error(scope, e), None, authenticated),
    };
    let op = match resolve_operation(scope, &params) {
        Ok(op) => op,
        Err(e) => return early(query_error(scope, e), None, authenticated),
    };
    let input = match decode_input(op, &params) {
        Ok(i) => i,
        Err(e) => return early(query_error(Some(op.service), e), Some(op), authenticated),
    };
    let mut decision = None;
    let answer = answer(
        service,
        roles_xml,
        mode,
        encode_denials,
        &authenticated,
        op,
        &input,
        &mut decision,
    );
    Outcome {
        answer,
        op: Some(op),
        input: Some(input),
        authenticated: Some(authenticated),
        decision,
        result_xml: None,
    }
}

/// Authorizes and handles a decoded request.
#[allow(clippy::too_many_arguments)]
fn answer(
    service: &IamService,
    roles_xml: &RoleXmlCache,
    mode: AuthMode,
    encode_denials: bool,
    authenticated: &Authenticated,
    op: &'static OperationDef,
    input: &Input,
    decision: &mut Option<AuthzOutcome>,
) -> Answer {
    let caller = &authenticated.caller;
    let region = authenticated.region.as_deref();
    let (decided, authorized) = authorize(
        service,
        mode,
        encode_denials,
        caller,
        op,
        input,
        region,
        authenticated.secure,
    );
    *decision = decided;
    if let Err(denied) = authorized {
        return Answer::from_domain(op.service, denied);
    }
    let ctx = Ctx {
        service,
        roles_xml,
        caller,
        mode,
        region,
    };
    let result = crate::api::call(&ctx, op, input);
    match result {
        Ok(result) => Answer::Ok {
            service: op.service,
            operation: op.name,
            result,
        },
        Err(e) => Answer::from_domain(op.service, e),
    }
}
