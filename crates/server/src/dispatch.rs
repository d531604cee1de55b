//! The pipeline every AWS Query request goes through: decode, authenticate
//! (done by the HTTP layer, which has the headers), authorize, handle, encode. Adding an operation means adding a handler arm here and
//! nothing else; an operation of the model without a handler answers
//! `NotImplemented`, never a crash.

use ironiam_core::service::IamService;
use ironiam_core::IamError;
use ironiam_protocol::{decode_input, parse_form, resolve_operation, Service, XmlWriter};

use crate::auth::{AuthMode, Authenticated};
use crate::authz::authorize;
use crate::handlers::{oidc, policies, roles, simulate, sts, users, Ctx};
use crate::render_cache::RoleXmlCache;

/// What the pipeline decided; the HTTP layer renders it.
pub(crate) enum Answer {
    /// Success: the XML inside `<{Op}Result>`, if the operation has a result.
    Ok { service: Service, operation: &'static str, result: Option<XmlWriter> },
    /// An AWS-shaped error.
    Err { service: Option<Service>, status: u16, sender_fault: bool, code: &'static str, message: String },
}

impl Answer {
    pub(crate) fn error(status: u16, sender_fault: bool, code: &'static str, message: &str) -> Self {
        Answer::Err { service: None, status, sender_fault, code, message: message.to_string() }
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
    authenticated: &Authenticated,
    scope: Option<Service>,
    raw_params: &[u8],
) -> Answer {
    let query_error = |service: Option<Service>, e: ironiam_protocol::QueryError| Answer::Err {
        service,
        status: e.status(),
        sender_fault: e.is_sender_fault(),
        code: e.code(),
        message: e.message(),
    };
    let params = match parse_form(raw_params) {
        Ok(p) => p,
        Err(e) => return query_error(scope, e),
    };
    let op = match resolve_operation(scope, &params) {
        Ok(op) => op,
        Err(e) => return query_error(scope, e),
    };
    let input = match decode_input(op, &params) {
        Ok(i) => i,
        Err(e) => return query_error(Some(op.service), e),
    };
    let caller = &authenticated.caller;
    let region = authenticated.region.as_deref();
    if let Err(denied) = authorize(service, mode, encode_denials, caller, op, &input, region) {
        return Answer::from_domain(op.service, denied);
    }
    let ctx = Ctx { service, roles_xml, caller, input: &input, mode, region };
    let result = match (op.service, op.name) {
        (Service::Sts, "GetCallerIdentity") => sts::get_caller_identity(&ctx),
        (Service::Sts, "AssumeRole") => sts::assume_role(&ctx),
        (Service::Sts, "GetSessionToken") => sts::get_session_token(&ctx),
        (Service::Sts, "AssumeRoleWithWebIdentity") => sts::assume_role_with_web_identity(&ctx),
        (Service::Iam, "CreateOpenIDConnectProvider") => oidc::create_oidc_provider(&ctx),
        (Service::Iam, "GetOpenIDConnectProvider") => oidc::get_oidc_provider(&ctx),
        (Service::Iam, "ListOpenIDConnectProviders") => oidc::list_oidc_providers(&ctx),
        (Service::Iam, "DeleteOpenIDConnectProvider") => oidc::delete_oidc_provider(&ctx),
        (Service::Iam, "AddClientIDToOpenIDConnectProvider") => oidc::add_client_id(&ctx),
        (Service::Iam, "RemoveClientIDFromOpenIDConnectProvider") => oidc::remove_client_id(&ctx),
        (Service::Iam, "UpdateOpenIDConnectProviderThumbprint") => oidc::update_thumbprint(&ctx),
        (Service::Sts, "GetAccessKeyInfo") => sts::get_access_key_info(&ctx),
        (Service::Sts, "DecodeAuthorizationMessage") => sts::decode_authorization_message(&ctx),
        (Service::Iam, "CreateRole") => roles::create_role(&ctx),
        (Service::Iam, "GetRole") => roles::get_role(&ctx),
        (Service::Iam, "ListRoles") => roles::list_roles(&ctx),
        (Service::Iam, "UpdateRole") => roles::update_role(&ctx),
        (Service::Iam, "UpdateRoleDescription") => roles::update_role_description(&ctx),
        (Service::Iam, "UpdateAssumeRolePolicy") => roles::update_assume_role_policy(&ctx),
        (Service::Iam, "DeleteRole") => roles::delete_role(&ctx),
        (Service::Iam, "TagRole") => roles::tag_role(&ctx),
        (Service::Iam, "UntagRole") => roles::untag_role(&ctx),
        (Service::Iam, "ListRoleTags") => roles::list_role_tags(&ctx),
        (Service::Iam, "PutRolePolicy") => roles::put_role_policy(&ctx),
        (Service::Iam, "GetRolePolicy") => roles::get_role_policy(&ctx),
        (Service::Iam, "DeleteRolePolicy") => roles::delete_role_policy(&ctx),
        (Service::Iam, "ListRolePolicies") => roles::list_role_policies(&ctx),
        (Service::Iam, "AttachRolePolicy") => roles::attach_role_policy(&ctx),
        (Service::Iam, "DetachRolePolicy") => roles::detach_role_policy(&ctx),
        (Service::Iam, "ListAttachedRolePolicies") => roles::list_attached_role_policies(&ctx),
        (Service::Iam, "PutRolePermissionsBoundary") => roles::put_role_permissions_boundary(&ctx),
        (Service::Iam, "DeleteRolePermissionsBoundary") => roles::delete_role_permissions_boundary(&ctx),
        (Service::Iam, "CreatePolicy") => policies::create_policy(&ctx),
        (Service::Iam, "GetPolicy") => policies::get_policy(&ctx),
        (Service::Iam, "DeletePolicy") => policies::delete_policy(&ctx),
        (Service::Iam, "GetPolicyVersion") => policies::get_policy_version(&ctx),
        (Service::Iam, "ListPolicies") => policies::list_policies(&ctx),
        (Service::Iam, "ListPolicyVersions") => policies::list_policy_versions(&ctx),
        (Service::Iam, "CreatePolicyVersion") => policies::create_policy_version(&ctx),
        (Service::Iam, "DeletePolicyVersion") => policies::delete_policy_version(&ctx),
        (Service::Iam, "SetDefaultPolicyVersion") => policies::set_default_policy_version(&ctx),
        (Service::Iam, "ListEntitiesForPolicy") => policies::list_entities_for_policy(&ctx),
        (Service::Iam, "CreateUser") => users::create_user(&ctx),
        (Service::Iam, "GetUser") => users::get_user(&ctx),
        (Service::Iam, "ListUsers") => users::list_users(&ctx),
        (Service::Iam, "UpdateUser") => users::update_user(&ctx),
        (Service::Iam, "DeleteUser") => users::delete_user(&ctx),
        (Service::Iam, "TagUser") => users::tag_user(&ctx),
        (Service::Iam, "UntagUser") => users::untag_user(&ctx),
        (Service::Iam, "ListUserTags") => users::list_user_tags(&ctx),
        (Service::Iam, "PutUserPolicy") => users::put_user_policy(&ctx),
        (Service::Iam, "GetUserPolicy") => users::get_user_policy(&ctx),
        (Service::Iam, "DeleteUserPolicy") => users::delete_user_policy(&ctx),
        (Service::Iam, "ListUserPolicies") => users::list_user_policies(&ctx),
        (Service::Iam, "AttachUserPolicy") => users::attach_user_policy(&ctx),
        (Service::Iam, "DetachUserPolicy") => users::detach_user_policy(&ctx),
        (Service::Iam, "ListAttachedUserPolicies") => users::list_attached_user_policies(&ctx),
        (Service::Iam, "PutUserPermissionsBoundary") => users::put_user_permissions_boundary(&ctx),
        (Service::Iam, "DeleteUserPermissionsBoundary") => users::delete_user_permissions_boundary(&ctx),
        (Service::Iam, "CreateAccessKey") => users::create_access_key(&ctx),
        (Service::Iam, "ListAccessKeys") => users::list_access_keys(&ctx),
        (Service::Iam, "UpdateAccessKey") => users::update_access_key(&ctx),
        (Service::Iam, "DeleteAccessKey") => users::delete_access_key(&ctx),
        (Service::Iam, "GetAccessKeyLastUsed") => users::get_access_key_last_used(&ctx),
        (Service::Iam, "CreateLoginProfile") => users::create_login_profile(&ctx),
        (Service::Iam, "GetLoginProfile") => users::get_login_profile(&ctx),
        (Service::Iam, "UpdateLoginProfile") => users::update_login_profile(&ctx),
        (Service::Iam, "DeleteLoginProfile") => users::delete_login_profile(&ctx),
        (Service::Iam, "ChangePassword") => users::change_password(&ctx),
        (Service::Iam, "GetAccountPasswordPolicy") => users::get_account_password_policy(&ctx),
        (Service::Iam, "UpdateAccountPasswordPolicy") => users::update_account_password_policy(&ctx),
        (Service::Iam, "DeleteAccountPasswordPolicy") => users::delete_account_password_policy(&ctx),
        (Service::Iam, "SimulateCustomPolicy") => simulate::simulate_custom_policy(&ctx),
        (Service::Iam, "SimulatePrincipalPolicy") => simulate::simulate_principal_policy(&ctx),
        (Service::Iam, "GetContextKeysForCustomPolicy") => simulate::get_context_keys_for_custom_policy(&ctx),
        (Service::Iam, "GetContextKeysForPrincipalPolicy") => simulate::get_context_keys_for_principal_policy(&ctx),
        (_, name) => Err(IamError::NotImplemented(format!("ironiam does not implement {name} yet."))),
    };
    match result {
        Ok(result) => Answer::Ok { service: op.service, operation: op.name, result },
        Err(e) => Answer::from_domain(op.service, e),
    }
}
