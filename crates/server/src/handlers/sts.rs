//! STS operations.

use ironiam_core::oidc::WebIdentityInput;
use ironiam_core::sts::{AssumeCheck, AssumeRoleInput, IssuedCredentials};
use ironiam_core::IamResult;
use ironiam_protocol::dto::sts;

use super::{domain_sts_tags, Ctx};
use crate::auth::AuthMode;

/// GetCallerIdentity: who signed the request (never denied, as in AWS).
pub(crate) fn get_caller_identity(
    ctx: &Ctx,
    _input: sts::GetCallerIdentityInput,
) -> IamResult<sts::GetCallerIdentityOutput> {
    Ok(sts::GetCallerIdentityOutput {
        user_id: Some(ctx.caller.user_id.clone()),
        account: Some(ctx.caller.account_id.clone()),
        arn: Some(ctx.caller.arn.clone()),
    })
}

fn credentials(issued: &IssuedCredentials) -> sts::Credentials {
    sts::Credentials {
        access_key_id: issued.claims.access_key_id.clone(),
        secret_access_key: issued.claims.secret.expose().to_string(),
        session_token: issued.session_token.clone(),
        expiration: issued.expiration(),
    }
}

fn assumed_role_user(issued: &IssuedCredentials) -> sts::AssumedRoleUser {
    sts::AssumedRoleUser {
        assumed_role_id: issued.claims.caller_user_id(),
        arn: issued.claims.caller_arn(),
    }
}

/// Issuing a role session is a use of the role, in the region of the STS
/// request (see `IamService::note_role_session_use`). The credentials are
/// issued either way: failing to record a use fails nothing.
fn note_assumed(ctx: &Ctx, issued: &IssuedCredentials) {
    if let Err(e) = ctx
        .service
        .note_role_session_use(&issued.claims, ctx.region)
    {
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
fn policy_arns(arns: Option<Vec<sts::PolicyDescriptorType>>) -> Vec<String> {
    arns.unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.arn)
        .collect()
}

/// AssumeRole.
pub(crate) fn assume_role(
    ctx: &Ctx,
    input: sts::AssumeRoleInput,
) -> IamResult<sts::AssumeRoleOutput> {
    let request = AssumeRoleInput {
        role_arn: input.role_arn,
        session_name: input.role_session_name,
        duration_seconds: input.duration_seconds,
        policy: input.policy,
        policy_arns: policy_arns(input.policy_arns),
        tags: domain_sts_tags(input.tags),
        transitive_tag_keys: input.transitive_tag_keys.unwrap_or_default(),
        external_id: input.external_id,
        source_identity: input.source_identity,
    };
    let (issued, soft_denial) =
        ctx.service
            .assume_role(ctx.caller, request, assume_check(ctx.mode))?;
    note_assumed(ctx, &issued);
    if let Some(denial) = soft_denial {
        tracing::warn!(target: "ironiam::audit", caller = %ctx.caller.arn, action = "sts:AssumeRole", "soft mode: allowed a request enforce mode denies: {}", denial.message);
    }
    Ok(sts::AssumeRoleOutput {
        credentials: Some(credentials(&issued)),
        assumed_role_user: Some(assumed_role_user(&issued)),
        packed_policy_size: issued.packed_policy_size.map(i64::from),
        source_identity: issued.claims.source_identity.clone(),
    })
}

/// AssumeRoleWithWebIdentity: no signature needed; the token is the credential.
pub(crate) fn assume_role_with_web_identity(
    ctx: &Ctx,
    input: sts::AssumeRoleWithWebIdentityInput,
) -> IamResult<sts::AssumeRoleWithWebIdentityOutput> {
    let request = WebIdentityInput {
        role_arn: input.role_arn,
        session_name: input.role_session_name,
        token: input.web_identity_token,
        duration_seconds: input.duration_seconds,
        policy: input.policy,
        policy_arns: policy_arns(input.policy_arns),
    };
    let out = ctx
        .service
        .assume_role_with_web_identity(request, assume_check(ctx.mode))?;
    note_assumed(ctx, &out.issued);
    Ok(sts::AssumeRoleWithWebIdentityOutput {
        credentials: Some(credentials(&out.issued)),
        subject_from_web_identity_token: Some(out.subject),
        assumed_role_user: Some(assumed_role_user(&out.issued)),
        // AWS reports the packed size of session policies for AssumeRole only.
        packed_policy_size: None,
        provider: Some(out.provider),
        audience: Some(out.audience),
        source_identity: None,
    })
}

/// GetSessionToken.
pub(crate) fn get_session_token(
    ctx: &Ctx,
    input: sts::GetSessionTokenInput,
) -> IamResult<sts::GetSessionTokenOutput> {
    let issued = ctx
        .service
        .get_session_token(ctx.caller, input.duration_seconds)?;
    Ok(sts::GetSessionTokenOutput {
        credentials: Some(credentials(&issued)),
    })
}

/// GetAccessKeyInfo.
pub(crate) fn get_access_key_info(
    ctx: &Ctx,
    input: sts::GetAccessKeyInfoInput,
) -> IamResult<sts::GetAccessKeyInfoOutput> {
    Ok(sts::GetAccessKeyInfoOutput {
        account: Some(ctx.service.get_access_key_info(&input.access_key_id)?),
    })
}

/// DecodeAuthorizationMessage.
pub(crate) fn decode_authorization_message(
    ctx: &Ctx,
    input: sts::DecodeAuthorizationMessageInput,
) -> IamResult<sts::DecodeAuthorizationMessageOutput> {
    Ok(sts::DecodeAuthorizationMessageOutput {
        decoded_message: Some(
            ctx.service
                .decode_authorization_message(&input.encoded_message)?,
        ),
    })
}
