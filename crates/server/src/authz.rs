//! The authorize step of the pipeline: what a request asks to do, in the
//! policy engine's terms — the action (`iam:CreateRole`), the resource ARN
//! the operation acts on, and the request's condition keys — and AWS's
//! AccessDenied answer when the caller's policies do not allow it.
//!
//! What each operation authorizes comes from a table generated from AWS's
//! Service Authorization Reference ([`crate::authz_table`]); some operations
//! need more than one check (AddRoleToInstanceProfile also passes its role,
//! `iam:PassRole`), and every one must allow the request.

use ironiam_core::authorize::{access_denied_message, AuthzRequest};
use ironiam_core::service::{Caller, IamService, Identity};
use ironiam_core::IamError;
use ironiam_policy::EvalDecision;
use ironiam_protocol::{Input, OperationDef, Service};

use crate::auth::AuthMode;
use crate::authz_table::{requests_of, RequestFacts};
use crate::metrics::AuthzOutcome;

/// The console's [`ironiam_console::Authorizer`]: each console action is
/// the IAM API call it stands for, decoded and authorized by the same code
/// as a signed API request, so the console and the API always agree.
pub(crate) struct ConsoleAuthorizer {
    pub(crate) mode: AuthMode,
}

impl ironiam_console::Authorizer for ConsoleAuthorizer {
    fn authorize(
        &self,
        service: &IamService,
        caller: &Caller,
        operation: &str,
        params: &[(&str, &str)],
    ) -> Result<(), IamError> {
        if !self.mode.authorizes() || caller.identity == Identity::Root {
            return Ok(());
        }
        let Some(def) = ironiam_protocol::operation(Some(Service::Iam), operation) else {
            return Err(IamError::Internal(format!(
                "the console asked about unknown operation {operation}"
            )));
        };
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let input = ironiam_protocol::decode_input(def, &owned)
            .map_err(|e| IamError::Validation(e.message()))?;
        // The console is told nothing of its connection; it runs on the
        // operator's machine or behind their proxy, so no TLS is claimed.
        authorize(service, self.mode, false, caller, def, &input, None, false).1
    }
}

/// Authorizes a request for `mode`: `Ok` to go on, `Err(AccessDenied)` to
/// refuse it, with what was decided (for the metrics: `None` when the mode
/// does not authorize, or evaluation failed). The root user is never
/// denied; in soft mode a denial is logged and the request goes on.
/// A policy, group or resource the store cannot read fails the request with
/// the store's error (`Err(Internal)`, answered `500 ServiceFailure`), in
/// soft mode too: it is never a decision made without what it could not read.
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
) -> (Option<AuthzOutcome>, Result<(), IamError>) {
    if !mode.authorizes() {
        return (None, Ok(()));
    }
    if caller.identity == Identity::Root {
        return (Some(AuthzOutcome::Allowed), Ok(()));
    }
    let requests = match requests_of(service, caller, op, input, RequestFacts { region, secure }) {
        Ok(Some(requests)) => requests,
        Ok(None) => return (Some(AuthzOutcome::Allowed), Ok(())),
        // A resource the store could not read: the request fails
        // (ServiceFailure), in every mode; it is no denial to log and let by.
        Err(e @ IamError::Internal(_)) => return (None, Err(e)),
        // An operation the table lacks: refused, never allowed (soft mode
        // logs it and lets it through, as it does every denial).
        Err(e) if mode == AuthMode::Soft => {
            tracing::warn!(target: "ironiam::audit", caller = %caller.arn, operation = op.name, "soft mode: allowed a request enforce mode denies: {e}");
            return (Some(AuthzOutcome::SoftWouldDeny), Ok(()));
        }
        Err(e) => return (Some(AuthzOutcome::ImplicitDeny), Err(e)),
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
    let mut outcome = AuthzOutcome::Allowed;
    for request in &requests {
        match decide(service, mode, encode, caller, request) {
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

/// One authorization request decided for `mode`, as [`authorize`] answers.
fn decide(
    service: &IamService,
    mode: AuthMode,
    encode: bool,
    caller: &Caller,
    request: &AuthzRequest,
) -> (Option<AuthzOutcome>, Result<(), IamError>) {
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
        let message =
            access_denied_message(&caller.arn, &request.action, &request.resource, &decision);
        tracing::warn!(target: "ironiam::audit", caller = %caller.arn, action = %request.action, resource = %request.resource, "soft mode: allowed a request enforce mode denies: {message}");
        return (Some(AuthzOutcome::SoftWouldDeny), Ok(()));
    }
    let outcome = if decision.decision == EvalDecision::ExplicitDeny {
        AuthzOutcome::ExplicitDeny
    } else {
        AuthzOutcome::ImplicitDeny
    };
    (
        Some(outcome),
        Err(service.access_denied(caller, request, &decision, encode)),
    )
}
