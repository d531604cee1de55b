//! ironiam's own JSON endpoints beside the AWS API, served with the
//! test-suite endpoints (on by default with `--auth off`, `--no-reset`
//! turns them off; with `--auth` on, only with `--test-endpoints` and only
//! to the default account's root user — see `crate::http`):
//!
//! * `POST /_ironiam/assume-role-as-service` — assume a role *as an AWS
//!   service*, as SSM does for a registered on-premises server: the role's
//!   trust policy decides, with `aws:SourceAccount`/`aws:SourceArn`.
//! * `POST /_ironiam/authorize` — an authorization decision with its
//!   reasons, for a team's own services: who (a principal ARN, or a SigV4
//!   signed request that ironiam verifies), which action, which resource,
//!   which context.

use bytes::Bytes;
use hyper::StatusCode;
use ironiam_core::authorize::{access_denied_message, AuthzRequest};
use ironiam_core::service::{Caller, IamService};
use ironiam_core::sts::ServiceAssumeRole;
use ironiam_core::IamError;
use ironiam_policy::{Context, Effect};
use ironiam_sigv4::HttpRequest;
use serde_json::{json, Value};

use crate::auth::{AuthMode, Authenticator};

/// A JSON answer: status and body.
pub(crate) type JsonAnswer = (StatusCode, String);

fn error(status: StatusCode, code: &str, message: &str) -> JsonAnswer {
    (
        status,
        json!({"error": {"code": code, "message": message}}).to_string(),
    )
}

fn domain_error(e: IamError) -> JsonAnswer {
    if let IamError::Internal(detail) = &e {
        tracing::error!(%detail, "internal error");
    }
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error(status, e.code(), e.message())
}

fn bad_request(message: &str) -> JsonAnswer {
    error(StatusCode::BAD_REQUEST, "InvalidInput", message)
}

fn parse(body: &[u8]) -> Result<Value, JsonAnswer> {
    serde_json::from_slice(body).map_err(|e| bad_request(&format!("the body is not JSON: {e}")))
}

fn string(doc: &Value, field: &str) -> Option<String> {
    doc.get(field).and_then(Value::as_str).map(str::to_string)
}

fn required(doc: &Value, field: &str) -> Result<String, JsonAnswer> {
    string(doc, field).ok_or_else(|| bad_request(&format!("\"{field}\" (a string) is required")))
}

/// `POST /_ironiam/assume-role-as-service`.
///
/// Body: `{"service": "ssm.amazonaws.com", "role_arn": "arn:aws:iam::…:role/…",
/// "session_name": "mi-…", "source_account": "…", "source_arn": "…",
/// "duration_seconds": 3600, "region": "eu-west-1"}` (only `service` and
/// `role_arn` required; `region`, where the service acts, is recorded as the
/// role's last use, `us-east-1` by default).
/// Answers what `aws sts assume-role --output json` prints: `Credentials`
/// and `AssumedRoleUser`.
pub(crate) fn assume_role_as_service(service: &IamService, body: &Bytes) -> JsonAnswer {
    let run = || -> Result<JsonAnswer, JsonAnswer> {
        let doc = parse(body)?;
        let request = ServiceAssumeRole {
            service: required(&doc, "service")?,
            role_arn: required(&doc, "role_arn")?,
            session_name: string(&doc, "session_name")
                .unwrap_or_else(|| "ironiam-service-session".to_string()),
            source_account: string(&doc, "source_account"),
            source_arn: string(&doc, "source_arn"),
            duration_seconds: doc.get("duration_seconds").and_then(Value::as_i64),
        };
        check_session_name(&request.session_name)?;
        let region = string(&doc, "region");
        let is_region = |r: &str| {
            (1..=32).contains(&r.len())
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if region.as_deref().is_some_and(|r| !is_region(r)) {
            return Err(bad_request(
                "\"region\" must be a region name such as us-east-1",
            ));
        }
        let issued = service
            .assume_role_as_service(&request)
            .map_err(domain_error)?;
        if let Err(e) = service.note_role_session_use(&issued.claims, region.as_deref()) {
            tracing::warn!(error = %e, "could not record a role's use");
        }
        Ok((
            StatusCode::OK,
            json!({
                "Credentials": {
                    "AccessKeyId": issued.claims.access_key_id,
                    "SecretAccessKey": issued.claims.secret.expose(),
                    "SessionToken": issued.session_token,
                    "Expiration": issued.expiration(),
                },
                "AssumedRoleUser": {"AssumedRoleId": issued.claims.caller_user_id(), "Arn": issued.claims.caller_arn()},
            })
            .to_string(),
        ))
    };
    run().unwrap_or_else(|e| e)
}

/// Checks a session name as AssumeRole checks RoleSessionName (length 2–64,
/// `[\w+=,.@-]*`), by decoding it through AssumeRole's own model: the same
/// rule and AWS's ValidationError message, written once.
fn check_session_name(name: &str) -> Result<(), JsonAnswer> {
    let Some(op) = ironiam_protocol::operation(Some(ironiam_protocol::Service::Sts), "AssumeRole")
    else {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "AssumeRole is missing from the model",
        ));
    };
    let params = [
        (
            "RoleArn".to_string(),
            "arn:aws:iam::123456789012:role/placeholder".to_string(),
        ),
        ("RoleSessionName".to_string(), name.to_string()),
    ];
    match ironiam_protocol::decode_input(op, &params) {
        Ok(_) => Ok(()),
        Err(e) => Err(error(StatusCode::BAD_REQUEST, e.code(), &e.message())),
    }
}

/// The context of an authorize request: `{"key": "value"}` or `{"key": ["v1", "v2"]}`.
///
/// Whoever can reach the endpoint chooses the context, so it has the
/// simulator's bounds (`ironiam_core::simulate`: at most 1,000 values, each at most 4,096
/// characters); beyond them it answers 400 `InvalidInput` before any
/// policy is evaluated (issue 13, "no request can cost seconds").
fn context_of(doc: &Value) -> Result<Context, JsonAnswer> {
    use ironiam_core::simulate::{MAX_CONTEXT_VALUES, MAX_CONTEXT_VALUE_CHARS};
    let mut context = Context::new();
    let Some(entries) = doc.get("context") else {
        return Ok(context);
    };
    let entries = entries
        .as_object()
        .ok_or_else(|| bad_request("\"context\" must be an object of key → value(s)"))?;
    let mut count = 0usize;
    for (key, value) in entries {
        let values = match value {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            Value::Bool(_) | Value::Number(_) => vec![value.to_string()],
            _ => {
                return Err(bad_request(&format!(
                    "context key {key}: expected a string or a list of strings"
                )))
            }
        };
        count = count.saturating_add(values.len());
        if count > MAX_CONTEXT_VALUES {
            return Err(bad_request(&format!(
                "\"context\" holds more than {MAX_CONTEXT_VALUES} values"
            )));
        }
        if let Some(long) = values
            .iter()
            .find(|v| v.chars().count() > MAX_CONTEXT_VALUE_CHARS)
        {
            return Err(bad_request(&format!(
                "context key {key}: a value of {} characters; at most {MAX_CONTEXT_VALUE_CHARS} are allowed",
                long.chars().count()
            )));
        }
        context.insert(key, values);
    }
    Ok(context)
}

/// The caller of a signed request given as JSON, verified with SigV4.
fn signed_caller(
    service: &IamService,
    authenticator: &Authenticator,
    doc: &Value,
) -> Result<Caller, JsonAnswer> {
    let method = string(doc, "method").unwrap_or_else(|| "POST".to_string());
    let path = string(doc, "path").unwrap_or_else(|| "/".to_string());
    let query = string(doc, "query").unwrap_or_default();
    let body = string(doc, "body").unwrap_or_default();
    let headers: Vec<(String, String)> = match doc.get("headers") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        Some(Value::Array(pairs)) => pairs
            .iter()
            .filter_map(|p| {
                Some((
                    p.get(0)?.as_str()?.to_string(),
                    p.get(1)?.as_str()?.to_string(),
                ))
            })
            .collect(),
        _ => {
            return Err(bad_request(
                "\"signed_request.headers\" must be an object or a list of [name, value] pairs",
            ))
        }
    };
    let borrowed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = HttpRequest {
        method: &method,
        path: &path,
        query: &query,
        headers: &borrowed,
        body: body.as_bytes(),
    };
    authenticator
        .authenticate(service, AuthMode::Verify, &req)
        .map(|a| a.caller)
        .map_err(|e| {
            error(
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::FORBIDDEN),
                e.code(),
                &e.message(),
            )
        })
}

/// The longest `resource` of `/_ironiam/authorize`: 2,048 characters, the
/// longest ARN IAM accepts (`arnType` in IAM's API model).
const MAX_RESOURCE_CHARS: usize = 2_048;

/// The longest `resource_policy` of `/_ironiam/authorize`: 20,480
/// characters, the largest resource-based policy AWS allows for the common
/// services (an S3 bucket policy is at most 20 KB; SQS queue and SNS topic
/// policies are smaller). KMS key policies, up to 32 KB, are the one common
/// exception, which this bound does not follow: one bound for every
/// service is what keeps a decision cheap.
const MAX_RESOURCE_POLICY_CHARS: usize = 20_480;

/// Refuses, with 400 `InvalidInput`, a resource or resource policy larger
/// than AWS would ever evaluate: whoever reaches the endpoint chooses them,
/// and their size is the work of a decision.
fn check_authorize_sizes(resource: &str, resource_policy: Option<&str>) -> Result<(), JsonAnswer> {
    let resource_chars = resource.chars().count();
    if resource_chars > MAX_RESOURCE_CHARS {
        return Err(bad_request(&format!(
            "\"resource\" has {resource_chars} characters; at most {MAX_RESOURCE_CHARS} are allowed (the longest ARN IAM accepts)"
        )));
    }
    if let Some(policy) = resource_policy {
        let policy_chars = policy.chars().count();
        if policy_chars > MAX_RESOURCE_POLICY_CHARS {
            return Err(bad_request(&format!(
                "\"resource_policy\" has {policy_chars} characters; at most {MAX_RESOURCE_POLICY_CHARS} are allowed (the largest resource-based policy, an S3 bucket policy)"
            )));
        }
    }
    Ok(())
}

/// `POST /_ironiam/authorize`.
///
/// Body: `{"principal": "arn:aws:iam::…:user/alice"` (or `"signed_request":
/// {"method", "path", "query", "headers", "body"}`), `"action": "s3:GetObject",
/// "resource": "arn:aws:s3:::bucket/key", "context": {"aws:SourceIp": "10.0.0.7"},
/// "resource_policy": "{…}"` (optional), `"resource_account": "…"}` (optional).
/// Answers the decision, AWS's AccessDenied message for a denial, the
/// statements that decided and the context keys that were missing; 400
/// `InvalidInput` for a resource or resource policy beyond AWS's sizes, or a
/// decision that needs more work than a request may use (the evaluation
/// budget of `ironiam_policy::budget`).
pub(crate) fn authorize(
    service: &IamService,
    authenticator: &Authenticator,
    body: &Bytes,
) -> JsonAnswer {
    let run = || -> Result<JsonAnswer, JsonAnswer> {
        let doc = parse(body)?;
        let caller = match (string(&doc, "principal"), doc.get("signed_request")) {
            (Some(arn), None) => service.caller_for_arn(&arn).map_err(domain_error)?,
            (None, Some(signed)) => signed_caller(service, authenticator, signed)?,
            _ => {
                return Err(bad_request(
                    "give exactly one of \"principal\" (an ARN) and \"signed_request\"",
                ))
            }
        };
        let request = AuthzRequest {
            action: required(&doc, "action")?,
            resource: string(&doc, "resource").unwrap_or_else(|| "*".to_string()),
            resource_account: string(&doc, "resource_account"),
            context: context_of(&doc)?,
        };
        let resource_policy = match doc.get("resource_policy") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => Some(other.to_string()),
        };
        check_authorize_sizes(&request.resource, resource_policy.as_deref())?;
        let decision = service
            .authorize_with_resource_policy(&caller, &request, resource_policy.as_deref())
            .map_err(domain_error)?;
        let matched: Vec<Value> = decision
            .matched
            .iter()
            .map(|m| {
                json!({
                    "policy_type": m.policy_type.aws_name(),
                    "policy_id": m.policy.as_str(),
                    "statement_index": m.statement_index,
                    "sid": m.sid.as_deref(),
                    "effect": if m.effect == Effect::Allow { "Allow" } else { "Deny" },
                })
            })
            .collect();
        let message = (!decision.is_allowed()).then(|| {
            access_denied_message(&caller.arn, &request.action, &request.resource, &decision)
        });
        Ok((
            StatusCode::OK,
            json!({
                "decision": decision.decision.as_str(),
                "allowed": decision.is_allowed(),
                "principal": {"arn": caller.arn, "account": caller.account_id, "id": caller.user_id},
                "action": request.action,
                "resource": request.resource,
                "denied_by": decision.denied_by.map(|t| t.aws_name()),
                "message": message,
                "matched_statements": matched,
                "missing_context_keys": decision.missing_context_keys,
            })
            .to_string(),
        ))
    };
    run().unwrap_or_else(|e| e)
}
