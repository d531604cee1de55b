//! The authorize step of the pipeline: what a request asks to do, in the
//! policy engine's terms — the action (`iam:CreateRole`), the resource ARN
//! the operation acts on, and the request's condition keys — and AWS's
//! AccessDenied answer when the caller's policies do not allow it.

use ironiam_core::authorize::{access_denied_message, AuthzRequest};
use ironiam_core::service::{Caller, IamService, Identity};
use ironiam_core::IamError;
use ironiam_policy::{Context, EvalDecision};
use ironiam_protocol::{Input, OperationDef, Service, Value};

use crate::auth::AuthMode;
use crate::metrics::AuthzOutcome;

/// Operations whose `UserName` may be left out, meaning the caller itself.
const USER_DEFAULTS_TO_CALLER: &[&str] = &[
    "GetUser",
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "ListMFADevices",
    "ListSigningCertificates",
    "UploadSigningCertificate",
    "UpdateSigningCertificate",
    "DeleteSigningCertificate",
    "CreateLoginProfile",
    "GetLoginProfile",
    "DeleteLoginProfile",
    // ChangePassword has no UserName: it always acts on the caller
    // (policies grant it on `arn:aws:iam::*:user/${aws:username}`).
    "ChangePassword",
];

/// Whether the operation's input has `member` at all (asking `Input` for a
/// member its shape lacks is a programming error).
fn has(input: &Input, member: &str) -> bool {
    input.shape().is_some_and(|s| s.member(member).is_some())
}

fn str_of<'a>(input: &'a Input, member: &str) -> Option<&'a str> {
    if has(input, member) {
        input.str(member)
    } else {
        None
    }
}

fn tags_of(input: &Input, member: &str) -> Vec<(String, String)> {
    if !has(input, member) {
        return Vec::new();
    }
    input
        .list(member)
        .iter()
        .filter_map(|v| match v {
            Value::Structure(t) => Some((t.str("Key")?.to_string(), t.str("Value").unwrap_or_default().to_string())),
            _ => None,
        })
        .collect()
}

/// The request's resource and condition keys, or `None` for operations
/// that are never denied (GetCallerIdentity, GetSessionToken) or that decide
/// access themselves (AssumeRole: the trust policy and the caller's
/// policies together, see the STS handlers).
pub(crate) fn request_of(
    service: &IamService,
    caller: &Caller,
    op: &OperationDef,
    input: &Input,
    region: Option<&str>,
    secure: bool,
) -> Option<AuthzRequest> {
    let prefix = match op.service {
        Service::Iam => "iam",
        Service::Sts => "sts",
    };
    // AWS: GetCallerIdentity and GetSessionToken need no permission ("you
    // cannot use policies to control authentication operations").
    if op.service == Service::Sts
        && matches!(op.name, "GetCallerIdentity" | "GetSessionToken" | "AssumeRole" | "AssumeRoleWithWebIdentity")
    {
        return None;
    }
    let path = str_of(input, "Path");
    let mut context = Context::new().with("aws:SecureTransport", if secure { "true" } else { "false" });
    if let Some(region) = region {
        context = context.with("aws:RequestedRegion", region);
    }
    let mut resource_tags = Vec::new();
    let resource = if op.name == "CreateOpenIDConnectProvider" {
        let url = str_of(input, "Url").unwrap_or_default();
        format!("arn:aws:iam::{}:oidc-provider/{}", caller.account_id, ironiam_core::entities::oidc_host_path(url))
    } else if op.name == "CreatePolicy" {
        format!("arn:aws:iam::{}:policy{}{}", caller.account_id, path.unwrap_or("/"), str_of(input, "PolicyName").unwrap_or_default())
    } else if let Some(name) = str_of(input, "InstanceProfileName") {
        // Before RoleName: AddRoleToInstanceProfile and
        // RemoveRoleFromInstanceProfile act on the profile (the role is
        // authorized apart, see `pass_role_request`).
        match service.store().get_instance_profile(&caller.account_id, name) {
            Ok(profile) if op.name != "CreateInstanceProfile" => {
                resource_tags = profile.tags.clone();
                profile.arn()
            }
            _ => format!("arn:aws:iam::{}:instance-profile{}{}", caller.account_id, path.unwrap_or("/"), name),
        }
    } else if let Some(name) = str_of(input, "RoleName") {
        match service.get_role(caller, name) {
            // An existing role: its ARN (path included) and its tags.
            Ok(role) if op.name != "CreateRole" => {
                resource_tags = role.tags.clone();
                role.arn()
            }
            _ => format!("arn:aws:iam::{}:role{}{}", caller.account_id, path.unwrap_or("/"), name),
        }
    } else if let Some(name) = str_of(input, "UserName") {
        match service.user(caller, name) {
            Ok(user) if op.name != "CreateUser" => {
                resource_tags = user.tags.clone();
                user.arn()
            }
            _ => format!("arn:aws:iam::{}:user{}{}", caller.account_id, path.unwrap_or("/"), name),
        }
    } else if USER_DEFAULTS_TO_CALLER.contains(&op.name) && matches!(caller.identity, Identity::User { .. }) {
        caller.arn.clone()
    } else if let Some(arn) = str_of(input, "PolicyArn")
        .or_else(|| str_of(input, "PolicySourceArn"))
        .or_else(|| str_of(input, "OpenIDConnectProviderArn"))
    {
        arn.to_string()
    } else if op.name == "GetAccessKeyLastUsed" {
        // AWS authorizes against the user who owns the key.
        input
            .str("AccessKeyId")
            .and_then(|id| service.store().find_access_key(id).ok().flatten())
            .filter(|owner| owner.account_id == caller.account_id)
            .map_or_else(|| "*".to_string(), |owner| owner.arn())
    } else {
        "*".to_string()
    };
    for t in &resource_tags {
        context = context
            .with(&format!("aws:ResourceTag/{}", t.key), t.value.clone())
            .with(&format!("iam:ResourceTag/{}", t.key), t.value.clone());
    }
    let request_tags = tags_of(input, "Tags");
    if !request_tags.is_empty() {
        for (k, v) in &request_tags {
            context = context.with(&format!("aws:RequestTag/{k}"), v.clone());
        }
        context = context.with_values("aws:TagKeys", request_tags.iter().map(|(k, _)| k.clone()));
    }
    let removed: Vec<&str> = if has(input, "TagKeys") { input.strings("TagKeys").collect() } else { Vec::new() };
    if !removed.is_empty() {
        context = context.with_values("aws:TagKeys", removed);
    }
    if op.name.starts_with("Attach") || op.name.starts_with("Detach") {
        if let Some(arn) = str_of(input, "PolicyArn") {
            context = context.with("iam:PolicyARN", arn);
        }
    }
    if let Some(boundary) = str_of(input, "PermissionsBoundary") {
        context = context.with("iam:PermissionsBoundary", boundary);
    }
    Some(AuthzRequest { action: format!("{prefix}:{}", op.name), resource, resource_account: None, context })
}

/// The second authorization some operations need: AWS requires
/// `iam:PassRole` on the role for AddRoleToInstanceProfile ("The caller of
/// this operation must be granted the PassRole permission on the IAM role").
/// The role is passed to EC2: `iam:PassedToService` is `ec2.amazonaws.com`
/// (unverified), and `iam:AssociatedResourceArn` is
/// `arn:aws:ec2:*:ACCOUNT:instance/*`, the value AWS's API Reference says a
/// policy must use for this operation. The request-wide keys are `first`'s.
fn pass_role_request(service: &IamService, caller: &Caller, op: &OperationDef, input: &Input, first: &AuthzRequest) -> Option<AuthzRequest> {
    if op.name != "AddRoleToInstanceProfile" {
        return None;
    }
    let name = str_of(input, "RoleName")?;
    let mut context = Context::new();
    for key in ["aws:SecureTransport", "aws:RequestedRegion"] {
        if let Some(values) = first.context.get(key) {
            context.insert(key, values.to_vec());
        }
    }
    context = context
        .with("iam:PassedToService", "ec2.amazonaws.com")
        .with("iam:AssociatedResourceArn", format!("arn:aws:ec2:*:{}:instance/*", caller.account_id));
    let resource = match service.get_role(caller, name) {
        Ok(role) => {
            for t in &role.tags {
                context = context
                    .with(&format!("aws:ResourceTag/{}", t.key), t.value.clone())
                    .with(&format!("iam:ResourceTag/{}", t.key), t.value.clone());
            }
            role.arn()
        }
        // A missing role: the handler answers NoSuchEntity once allowed.
        Err(_) => format!("arn:aws:iam::{}:role/{}", caller.account_id, name),
    };
    Some(AuthzRequest { action: "iam:PassRole".to_string(), resource, resource_account: None, context })
}

/// The console's [`ironiam_console::Authorizer`]: each console action is
/// the IAM API call it stands for, decoded and authorized by the same code
/// as a signed API request, so the console and the API always agree.
pub(crate) struct ConsoleAuthorizer {
    pub(crate) mode: AuthMode,
}

impl ironiam_console::Authorizer for ConsoleAuthorizer {
    fn authorize(&self, service: &IamService, caller: &Caller, operation: &str, params: &[(&str, &str)]) -> Result<(), IamError> {
        if !self.mode.authorizes() || caller.identity == Identity::Root {
            return Ok(());
        }
        let Some(def) = ironiam_protocol::operation(Some(Service::Iam), operation) else {
            return Err(IamError::Internal(format!("the console asked about unknown operation {operation}")));
        };
        let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let input = ironiam_protocol::decode_input(def, &owned).map_err(|e| IamError::Validation(e.message()))?;
        // The console is told nothing of its connection; it runs on the
        // operator's machine or behind their proxy, so no TLS is claimed.
        authorize(service, self.mode, false, caller, def, &input, None, false)
    }
}

/// Authorizes a request for `mode`: `Ok` to go on, `Err(AccessDenied)` to
/// refuse it. The root user is never denied; in soft mode a denial is
/// logged and the request goes on.
/// With `encode`, a denial's message ends with an encoded authorization
/// failure message that DecodeAuthorizationMessage explains.
#[allow(clippy::too_many_arguments)]
pub(crate) fn authorize(
    service: &IamService,
    mode: AuthMode,
    encode: bool,
    caller: &Caller,
    op: &OperationDef,
    input: &Input,
    region: Option<&str>,
    secure: bool,
) -> Result<(), IamError> {
    authorize_counted(service, mode, encode, caller, op, input, region, secure).1
}

/// [`authorize`], also saying what was decided (for the metrics): `None`
/// when the mode does not authorize, or evaluation failed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn authorize_counted(
    service: &IamService,
    mode: AuthMode,
    encode: bool,
    caller: &Caller,
    op: &OperationDef,
    input: &Input,
    region: Option<&str>,
    secure: bool,
) -> (Option<AuthzOutcome>, Result<(), IamError>) {
    if !mode.authorizes() {
        return (None, Ok(()));
    }
    if caller.identity == Identity::Root {
        return (Some(AuthzOutcome::Allowed), Ok(()));
    }
    let Some(request) = request_of(service, caller, op, input, region, secure) else {
        return (Some(AuthzOutcome::Allowed), Ok(()));
    };
    // AWS: the password policy's AllowUsersToChangePassword lets every IAM
    // user in the account change their own password, without a policy
    // granting iam:ChangePassword.
    if op.name == "ChangePassword" && matches!(caller.identity, Identity::User { .. }) {
        match service.users_may_change_own_password(&caller.account_id) {
            Ok(true) => return (Some(AuthzOutcome::Allowed), Ok(())),
            Ok(false) => {}
            Err(e) => return (None, Err(e)),
        }
    }
    // Every request the operation needs must be allowed; the first denial
    // (or failure) answers.
    let pass_role = pass_role_request(service, caller, op, input, &request);
    let mut outcome = AuthzOutcome::Allowed;
    for request in std::iter::once(request).chain(pass_role) {
        match decide(service, mode, encode, caller, &request) {
            (Some(decided), Ok(())) => {
                if decided == AuthzOutcome::SoftWouldDeny {
                    outcome = decided;
                }
            }
            denied_or_failed => return denied_or_failed,
        }
    }
    (Some(outcome), Ok(()))
}

/// One authorization request decided for `mode`, as [`authorize_counted`] answers.
fn decide(service: &IamService, mode: AuthMode, encode: bool, caller: &Caller, request: &AuthzRequest) -> (Option<AuthzOutcome>, Result<(), IamError>) {
    // The verdict alone on every request; the statements behind a denial
    // (for its message) only when there is one. Evaluated again, a denial
    // may meanwhile have become an allow: the request then goes on, as if
    // it had come an instant later.
    match service.verdict(caller, request) {
        Ok(verdict) if verdict.is_allowed() => return (Some(AuthzOutcome::Allowed), Ok(())),
        Ok(_) => {}
        Err(e) => return (None, Err(e)),
    }
    let decision = match service.authorize(caller, request) {
        Ok(decision) => decision,
        Err(e) => return (None, Err(e)),
    };
    if decision.is_allowed() {
        return (Some(AuthzOutcome::Allowed), Ok(()));
    }
    if mode == AuthMode::Soft {
        let message = access_denied_message(&caller.arn, &request.action, &request.resource, &decision);
        tracing::warn!(target: "ironiam::audit", caller = %caller.arn, action = %request.action, resource = %request.resource, "soft mode: allowed a request enforce mode denies: {message}");
        return (Some(AuthzOutcome::SoftWouldDeny), Ok(()));
    }
    let outcome = if decision.decision == EvalDecision::ExplicitDeny { AuthzOutcome::ExplicitDeny } else { AuthzOutcome::ImplicitDeny };
    (Some(outcome), Err(service.access_denied(caller, request, &decision, encode)))
}
