//! The two JSON endpoints the script uses.

use hyper::StatusCode;
use ironiam_policy::PolicyKind;
use serde_json::{json, Value};

use super::role::managed_document;
use super::trust_edit::check_policy;
use super::Ctx;
use crate::diff::semantic_diff;
use crate::html::pretty_json;
use crate::Out;

fn bad(message: &str) -> Out {
    Out::Json(
        StatusCode::BAD_REQUEST,
        json!({"error": "ValidationError", "message": message}).to_string(),
    )
}

/// `POST /console/api/validate` with `{"kind": "trust"|"identity"|"managed",
/// "document": "…", "role": "…"?}`: AWS's verdict on the document and, for a
/// trust policy of an existing role, the semantic difference from its current
/// trust policy.
pub(crate) fn validate(ctx: &Ctx) -> Out {
    let Ok(input) = serde_json::from_slice::<Value>(&ctx.req.body) else {
        return bad("The body must be JSON.");
    };
    let Some(document) = input.get("document").and_then(Value::as_str) else {
        return bad("`document` is required.");
    };
    let kind = match input.get("kind").and_then(Value::as_str) {
        Some("trust") => PolicyKind::Trust,
        Some("managed") => PolicyKind::Managed,
        Some("identity") | None => PolicyKind::Identity,
        Some(_) => return bad("`kind` must be trust, identity or managed."),
    };
    let check = check_policy(ctx, kind, document);
    let diff = input
        .get("role")
        .and_then(Value::as_str)
        .filter(|_| kind == PolicyKind::Trust)
        .and_then(|role| {
            ctx.call("GetRole", &[("RoleName", role)], |s, c| s.get_role(c, role))
                .ok()
        })
        .and_then(|role| semantic_diff(&role.assume_role_policy_document, document))
        .map(|d| d.to_json());
    let body = json!({
        "valid": check.error.is_none(),
        "code": check.error.as_ref().map(|e| e.code.clone()),
        "message": check.error.as_ref().map(|e| e.message.clone()),
        "warnings": check.warnings,
        "diff": diff,
    });
    Out::Json(StatusCode::OK, body.to_string())
}

/// `GET /console/api/policy?arn=…`: a managed policy's default document.
pub(crate) fn policy_document(ctx: &Ctx) -> Out {
    let arn = ctx.req.q_or_empty("arn");
    match managed_document(ctx, arn) {
        Some(document) => Out::Json(
            StatusCode::OK,
            json!({"arn": arn, "document": pretty_json(&document)}).to_string(),
        ),
        None => Out::Json(
            StatusCode::NOT_FOUND,
            json!({"error": "NoSuchEntity", "message": format!("Policy {arn} was not found.")})
                .to_string(),
        ),
    }
}
