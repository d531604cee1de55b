//! STS operations.

use ironiam_core::oidc::WebIdentityInput;
use ironiam_core::sts::{AssumeCheck, AssumeRoleInput, IssuedCredentials};
use ironiam_protocol::{Value, XmlWriter};

use super::{render, Ctx, HandlerResult};
use crate::auth::AuthMode;

/// GetCallerIdentity: who signed the request (never denied, as in AWS).
pub(crate) fn get_caller_identity(ctx: &Ctx) -> HandlerResult {
    render(|w| {
        w.element("UserId", &ctx.caller.user_id);
        w.element("Account", &ctx.caller.account_id);
        w.element("Arn", &ctx.caller.arn);
    })
}

fn write_credentials(w: &mut XmlWriter, issued: &IssuedCredentials) {
    w.start("Credentials");
    w.element("AccessKeyId", &issued.claims.access_key_id);
    w.element("SecretAccessKey", issued.claims.secret.expose());
    w.element("SessionToken", &issued.session_token);
    w.element("Expiration", &issued.expiration());
    w.end("Credentials");
}

/// Issuing a role session is a use of the role, in the region of the STS
/// request (see `IamService::note_role_session_use`). The credentials are
/// issued either way: failing to record a use fails nothing.
fn note_assumed(ctx: &Ctx, issued: &IssuedCredentials) {
    if let Err(e) = ctx.service.note_role_session_use(&issued.claims, ctx.region) {
        tracing::warn!(error = %e, "could not record a role's use");
    }
}

/// How much AssumeRole checks in each mode.
pub(crate) fn assume_check(mode: AuthMode) -> AssumeCheck {
    match mode {
        AuthMode::Off => AssumeCheck::None,
        AuthMode::Verify => AssumeCheck::Trust,
        AuthMode::Soft => AssumeCheck::TrustThenReport,
        AuthMode::Enforce => AssumeCheck::Full,
    }
}

/// `PolicyArns.member.N.arn`.
fn policy_arns(ctx: &Ctx) -> Vec<String> {
    ctx.input
        .list("PolicyArns")
        .iter()
        .filter_map(|v| match v {
            Value::Structure(p) => p.str("arn").map(str::to_string),
            _ => None,
        })
        .collect()
}

/// AssumeRole.
pub(crate) fn assume_role(ctx: &Ctx) -> HandlerResult {
    let input = AssumeRoleInput {
        role_arn: ctx.required("RoleArn")?.to_string(),
        session_name: ctx.required("RoleSessionName")?.to_string(),
        duration_seconds: ctx.input.int("DurationSeconds"),
        policy: ctx.opt("Policy").map(str::to_string),
        policy_arns: policy_arns(ctx),
        tags: ctx.tags("Tags"),
        transitive_tag_keys: ctx.strings("TransitiveTagKeys"),
        external_id: ctx.opt("ExternalId").map(str::to_string),
        source_identity: ctx.opt("SourceIdentity").map(str::to_string),
    };
    let (issued, soft_denial) = ctx.service.assume_role(ctx.caller, input, assume_check(ctx.mode))?;
    note_assumed(ctx, &issued);
    if let Some(denial) = soft_denial {
        tracing::warn!(target: "ironiam::audit", caller = %ctx.caller.arn, action = "sts:AssumeRole", "soft mode: allowed a request enforce mode denies: {}", denial.message);
    }
    render(|w| {
        write_credentials(w, &issued);
        w.start("AssumedRoleUser");
        w.element("AssumedRoleId", &issued.claims.caller_user_id());
        w.element("Arn", &issued.claims.caller_arn());
        w.end("AssumedRoleUser");
        if let Some(size) = issued.packed_policy_size {
            w.element("PackedPolicySize", &size.to_string());
        }
        if let Some(source) = &issued.claims.source_identity {
            w.element("SourceIdentity", source);
        }
    })
}

/// AssumeRoleWithWebIdentity: no signature needed; the token is the credential.
pub(crate) fn assume_role_with_web_identity(ctx: &Ctx) -> HandlerResult {
    let input = WebIdentityInput {
        role_arn: ctx.required("RoleArn")?.to_string(),
        session_name: ctx.required("RoleSessionName")?.to_string(),
        token: ctx.required("WebIdentityToken")?.to_string(),
        duration_seconds: ctx.input.int("DurationSeconds"),
        policy: ctx.opt("Policy").map(str::to_string),
        policy_arns: policy_arns(ctx),
    };
    let out = ctx.service.assume_role_with_web_identity(input, assume_check(ctx.mode))?;
    note_assumed(ctx, &out.issued);
    render(|w| {
        write_credentials(w, &out.issued);
        w.element("SubjectFromWebIdentityToken", &out.subject);
        w.start("AssumedRoleUser");
        w.element("AssumedRoleId", &out.issued.claims.caller_user_id());
        w.element("Arn", &out.issued.claims.caller_arn());
        w.end("AssumedRoleUser");
        w.element("Provider", &out.provider);
        w.element("Audience", &out.audience);
    })
}

/// GetSessionToken.
pub(crate) fn get_session_token(ctx: &Ctx) -> HandlerResult {
    let issued = ctx.service.get_session_token(ctx.caller, ctx.input.int("DurationSeconds"))?;
    render(|w| write_credentials(w, &issued))
}

/// GetAccessKeyInfo.
pub(crate) fn get_access_key_info(ctx: &Ctx) -> HandlerResult {
    let account = ctx.service.get_access_key_info(ctx.required("AccessKeyId")?)?;
    render(|w| w.element("Account", &account))
}

/// DecodeAuthorizationMessage.
pub(crate) fn decode_authorization_message(ctx: &Ctx) -> HandlerResult {
    let decoded = ctx.service.decode_authorization_message(ctx.required("EncodedMessage")?)?;
    render(|w| w.element("DecodedMessage", &decoded))
}
