//! STS: temporary credentials. AssumeRole decides with the role's trust
//! policy (evaluated as the resource-based policy of `sts:AssumeRole`) and,
//! when requests are authorized, the caller's own policies; GetSessionToken
//! gives a user or root temporary credentials of its own. Either way the
//! credentials are an `ASIA…` key id, a secret, and a self-contained session
//! token ([`crate::session`]).

use std::sync::Arc;

use ironiam_policy::budget;
use ironiam_policy::{
    evaluate, Context, Decision, PolicyId, PolicyKind, PolicySet, Principal, Request,
};

use crate::authorize::{
    access_denied_message, evaluation_principal, log_exhausted, AuthzRequest, CallerPolicies,
};
use crate::clock::iso8601;
use crate::crypto::{Purpose, SecretKey};
use crate::entities::{policy_size, Role, Tag};
use crate::error::{Found, IamError, IamResult};
use crate::ids::{access_key_id, account_of_access_key, secret_access_key};
use crate::service::{check_policy_arn, Caller, IamService, Identity};
use crate::session::{SessionClaims, SessionKind};

/// How much AssumeRole checks, by authentication mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssumeCheck {
    /// `--auth off`: no checks (credentials for any caller, as moto issues them).
    None,
    /// `--auth verify`: the trust policy must allow the caller (a trust
    /// that names only the account counts as allowing its principals).
    Trust,
    /// `--auth soft`: as `Trust`, and the caller's own policies are
    /// evaluated too; their denial is reported, not enforced.
    TrustThenReport,
    /// `--auth enforce`: the trust policy and the caller's policies together,
    /// as AWS's evaluation logic combines them.
    Full,
}

/// Input of AssumeRole.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    /// RoleArn.
    pub role_arn: String,
    /// RoleSessionName.
    pub session_name: String,
    /// DurationSeconds.
    pub duration_seconds: Option<i64>,
    /// Policy: an inline session policy.
    pub policy: Option<String>,
    /// PolicyArns: managed session policies.
    pub policy_arns: Vec<String>,
    /// Tags: session tags.
    pub tags: Vec<Tag>,
    /// TransitiveTagKeys.
    pub transitive_tag_keys: Vec<String>,
    /// ExternalId (`sts:ExternalId`).
    pub external_id: Option<String>,
    /// SourceIdentity.
    pub source_identity: Option<String>,
}

/// Temporary credentials and who they make the bearer.
#[derive(Debug, Clone)]
pub struct IssuedCredentials {
    /// The session's claims (the secret included).
    pub claims: Arc<SessionClaims>,
    /// SessionToken.
    pub session_token: String,
    /// PackedPolicySize, when session policies or tags were passed.
    pub packed_policy_size: Option<u32>,
}

impl IssuedCredentials {
    /// Expiration, ISO-8601.
    pub fn expiration(&self) -> String {
        iso8601(self.claims.expires)
    }
}

/// ironiam's "assume a role as an AWS service" request.
#[derive(Debug, Clone)]
pub struct ServiceAssumeRole {
    /// The service principal, e.g. `ssm.amazonaws.com`.
    pub service: String,
    /// The role to assume.
    pub role_arn: String,
    /// The session name (SSM uses the managed instance id).
    pub session_name: String,
    /// `aws:SourceAccount`: the account the service acts for.
    pub source_account: Option<String>,
    /// `aws:SourceArn`: the resource the service acts for.
    pub source_arn: Option<String>,
    /// Seconds (default 3600, up to the role's MaxSessionDuration).
    pub duration_seconds: Option<i64>,
}

/// What AssumeRole decided, for soft mode's log.
#[derive(Debug, Clone)]
pub struct SoftDenial {
    /// AWS's AccessDenied message enforce mode would answer.
    pub message: String,
}

/// The packed size AWS reports, as a percentage of the space session
/// policies and tags share. AWS does not document its compression; ironiam
/// counts policy characters without whitespace, managed policy ARNs and tag
/// text against 2,048 characters, which puts AWS's own limits (a 2,048
/// character policy, 50 tags) at the edge.
fn packed_percent(policy: Option<&str>, policy_arns: &[String], tags: &[Tag]) -> u32 {
    let mut used = policy.map_or(0, policy_size);
    used += policy_arns.iter().map(|a| a.len()).sum::<usize>();
    used += tags
        .iter()
        .map(|t| t.key.len() + t.value.len())
        .sum::<usize>();
    (used * 100).div_ceil(2048) as u32
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` → (account, name).
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    let name = path_and_name.rsplit('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
        .then_some((account, name))
}

/// How every AWS managed policy's ARN starts.
const AWS_MANAGED_PREFIX: &str = "arn:aws:iam::aws:policy/";

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;

fn validation(message: &str) -> IamError {
    IamError::Validation(message.to_string())
}

impl IamService {
    pub(crate) fn issue(
        &self,
        claims: SessionClaims,
        packed_policy_size: Option<u32>,
    ) -> IssuedCredentials {
        let session_token = claims.seal(&self.settings().server_key);
        IssuedCredentials {
            claims: Arc::new(claims),
            session_token,
            packed_policy_size,
        }
    }

    pub(crate) fn new_key(&self, account: &str) -> (String, SecretKey) {
        (
            access_key_id("ASIA", account),
            SecretKey::new(secret_access_key()),
        )
    }

    /// The claims of a new session of `role`, starting now, with a fresh
    /// key and nothing else; callers add session policies, tags and so on.
    pub(crate) fn role_session(
        &self,
        role: &Role,
        session_name: String,
        duration: i64,
    ) -> SessionClaims {
        let now = self.clock.now();
        let (access_key_id, secret) = self.new_key(&role.account_id);
        SessionClaims {
            kind: SessionKind::AssumedRole,
            account_id: role.account_id.clone(),
            access_key_id,
            secret,
            issued: now,
            expires: now + duration,
            principal_arn: role.arn(),
            principal_id: role.role_id.clone(),
            session_name,
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            chained: false,
        }
    }

    /// Checks the managed session policies (`PolicyArns`) of a new session
    /// of a role in `account`: each must be an AWS managed policy or a
    /// customer managed policy of that account (AWS's AssumeRole reference:
    /// the policies must exist in the same account as the role). A missing
    /// one is answered now, with `MalformedPolicyDocument` (an error STS's
    /// model lists for AssumeRole and AssumeRoleWithWebIdentity) and IAM's
    /// wording for a missing policy; AWS's own code and wording for this
    /// case are not confirmed.
    pub(crate) fn check_session_policy_arns(
        &self,
        account: &str,
        arns: &[String],
    ) -> IamResult<()> {
        for arn in arns {
            check_policy_arn(arn)?;
            let exists = if arn.starts_with(AWS_MANAGED_PREFIX) {
                ironiam_catalog::catalog().get(arn).is_some()
            } else {
                arn.strip_prefix("arn:aws:iam::")
                    .is_some_and(|rest| rest.starts_with(account))
                    // A policy that cannot be read is the store's failure,
                    // not the caller's MalformedPolicyDocument.
                    && self.store().get_policy(account, arn).found()?.is_some()
            };
            if !exists {
                return Err(IamError::MalformedPolicyDocument(format!(
                    "Policy {arn} does not exist or is not attachable."
                )));
            }
        }
        Ok(())
    }

    /// The role an AssumeRole names, if it exists with exactly that ARN; a
    /// store failure is an error, never "no such role" (which is denied).
    fn role_to_assume(&self, arn: &str) -> IamResult<Option<Arc<Role>>> {
        let Some((account, name)) = parse_role_arn(arn) else {
            return Ok(None);
        };
        Ok(self
            .store()
            .get_role(account, name)
            .found()?
            .filter(|r| r.arn() == arn))
    }

    /// The condition keys of an AssumeRole request.
    fn assume_role_context(
        &self,
        caller: &Caller,
        input: &AssumeRoleInput,
        principal_tags: &[Tag],
    ) -> Context {
        let mut context = Context::new();
        context = context.with("sts:RoleSessionName", input.session_name.clone());
        if let Some(external_id) = &input.external_id {
            context = context.with("sts:ExternalId", external_id.clone());
        }
        if let Some(source) = &input.source_identity {
            context = context.with("sts:SourceIdentity", source.clone());
        }
        if !input.tags.is_empty() {
            for t in &input.tags {
                context = context.with(&format!("aws:RequestTag/{}", t.key), t.value.clone());
            }
            context = context.with_values("aws:TagKeys", input.tags.iter().map(|t| t.key.clone()));
        }
        if !input.transitive_tag_keys.is_empty() {
            context =
                context.with_values("sts:TransitiveTagKeys", input.transitive_tag_keys.clone());
        }
        self.principal_context(caller, context, principal_tags)
    }

    /// Decides AssumeRole for `caller` with `check`; `Ok(Some(_))` is a
    /// denial soft mode lets through.
    ///
    /// Both evaluations (the trust policy alone, then with the caller's
    /// policies) share one evaluation budget; running out of it is a denial,
    /// whatever `check` is: the trust policy's answer is unknown then.
    fn check_assume_role(
        &self,
        caller: &Caller,
        policies: &CallerPolicies,
        role_arn: &str,
        role: Option<&Role>,
        context: &Context,
        check: AssumeCheck,
    ) -> IamResult<Option<SoftDenial>> {
        budget::run(budget::DEFAULT_LIMIT, || {
            self.check_assume_role_within_budget(caller, policies, role_arn, role, context, check)
        })
        .unwrap_or_else(|e| {
            log_exhausted(&caller.arn, "sts:AssumeRole", &e);
            Err(IamError::AccessDenied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller.arn
            )))
        })
    }

    /// [`IamService::check_assume_role`] inside its budget.
    fn check_assume_role_within_budget(
        &self,
        caller: &Caller,
        policies: &CallerPolicies,
        role_arn: &str,
        role: Option<&Role>,
        context: &Context,
        check: AssumeCheck,
    ) -> IamResult<Option<SoftDenial>> {
        let denied = |decision: Option<&Decision>| {
            let mut message = format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller.arn
            );
            if let Some(reason) = decision.and_then(|d| d.reason("sts:AssumeRole")) {
                message.push(' ');
                message.push_str(&reason);
            }
            IamError::AccessDenied(message)
        };
        if check == AssumeCheck::None {
            return Ok(None);
        }
        if caller.identity == Identity::Root {
            return Err(IamError::AccessDenied(
                "Roles may not be assumed by root accounts.".to_string(),
            ));
        }
        // AWS does not say whether a role exists: a missing one is denied like a forbidden one.
        let Some(role) = role else {
            return Err(denied(None));
        };
        // A caller whose own user or role is gone (a session of a deleted
        // role) is no longer the principal any trust policy named: AWS
        // binds trust to unique ids. Its identity policies are gone too, so
        // even a trust delegating to the account would need what it no
        // longer has; deny it here, like a forbidden one.
        if !policies.principal_exists {
            return Err(denied(None));
        }
        let trust = self.compiled_trust(&self.trust_policy_document(role)?)?;
        let principal = evaluation_principal(caller);
        let request = |principal: Principal<'_>, set: &PolicySet<'_>| {
            evaluate(
                set,
                &Request {
                    principal,
                    action: "sts:AssumeRole",
                    resource: role_arn,
                    resource_account: Some(&role.account_id),
                    context,
                },
            )
        };
        // The trust policy alone: an allow-everything identity side stands in
        // for the caller's policies, so a trust that delegates to the account
        // counts as allowing.
        let allow_all = self.compiled_inline(ALLOW_ALL)?;
        let trust_only = PolicySet::new()
            .trust(PolicyId::new("TrustPolicy"), &trust)
            .identity(PolicyId::new("*"), &allow_all);
        let d = request(principal, &trust_only);
        if !d.is_allowed() {
            return Err(denied(Some(&d)));
        }
        if check == AssumeCheck::Trust {
            return Ok(None);
        }
        let full = policies
            .policy_set()
            .trust(PolicyId::new("TrustPolicy"), &trust);
        let d = request(principal, &full);
        if d.is_allowed() {
            return Ok(None);
        }
        let error = denied(Some(&d));
        if check == AssumeCheck::TrustThenReport {
            return Ok(Some(SoftDenial {
                message: error.message().to_string(),
            }));
        }
        Err(error)
    }

    /// AssumeRole.
    pub fn assume_role(
        &self,
        caller: &Caller,
        input: AssumeRoleInput,
        check: AssumeCheck,
    ) -> IamResult<(IssuedCredentials, Option<SoftDenial>)> {
        let role = self.role_to_assume(&input.role_arn)?;
        let policies = self.caller_policies(caller)?;
        let context = self.assume_role_context(caller, &input, &policies.tags);
        let soft = self.check_assume_role(
            caller,
            &policies,
            &input.role_arn,
            role.as_deref(),
            &context,
            check,
        )?;
        let Some(role) = role else {
            // Only reachable with `--auth off`: there is still no role to issue for.
            return Err(IamError::AccessDenied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
                caller.arn, input.role_arn
            )));
        };
        let parent = caller
            .session
            .as_deref()
            .filter(|s| s.kind == SessionKind::AssumedRole);
        let chained = parent.is_some();
        let duration = match input.duration_seconds {
            Some(d) if chained && d > 3600 => {
                return Err(validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."))
            }
            Some(d) if d > role.max_session_duration => {
                return Err(validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."))
            }
            Some(d) => d,
            None => 3600,
        };
        if let Some(policy) = &input.policy {
            ironiam_policy::validate(policy, PolicyKind::Session)
                .map_err(|e| IamError::MalformedPolicyDocument(e.message().to_string()))?;
        }
        self.check_session_policy_arns(&role.account_id, &input.policy_arns)?;
        // Session tags: the caller's transitive tags pass on and cannot be overridden.
        let mut tags: Vec<Tag> = Vec::new();
        let mut transitive: Vec<String> = Vec::new();
        if let Some(parent) = parent {
            for key in &parent.transitive_tag_keys {
                if let Some(t) = parent.tags.iter().find(|t| t.key.eq_ignore_ascii_case(key)) {
                    if input.tags.iter().any(|n| n.key.eq_ignore_ascii_case(key)) {
                        return Err(validation(&format!(
                            "One or more tags in the request cannot be changed because they are transitive tags from a previous session: {key}"
                        )));
                    }
                    tags.push(t.clone());
                    transitive.push(key.clone());
                }
            }
        }
        for (i, t) in input.tags.iter().enumerate() {
            if input.tags[..i]
                .iter()
                .any(|o| o.key.eq_ignore_ascii_case(&t.key))
            {
                return Err(validation(
                    "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
                ));
            }
        }
        for key in &input.transitive_tag_keys {
            if !input.tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
                return Err(validation(&format!(
                    "The transitive tag key {key} is not one of the session tags."
                )));
            }
            if !transitive.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                transitive.push(key.clone());
            }
        }
        tags.extend(input.tags.iter().cloned());
        let source_identity = match (parent.and_then(|p| p.source_identity.clone()), input.source_identity) {
            (Some(set), Some(asked)) if set != asked => {
                return Err(IamError::AccessDenied(format!(
                    "User: {} is not authorized to perform: sts:SetSourceIdentity on resource: {}: the source identity {set} of this session cannot be changed",
                    caller.arn, input.role_arn
                )))
            }
            (Some(set), _) => Some(set),
            (None, asked) => asked,
        };
        let has_session_extras =
            input.policy.is_some() || !input.policy_arns.is_empty() || !tags.is_empty();
        let packed = packed_percent(input.policy.as_deref(), &input.policy_arns, &tags);
        if packed > 100 {
            return Err(IamError::PackedPolicyTooLarge(format!(
                "Packed policy consumes {packed}% of allotted space, please use smaller policy for session."
            )));
        }
        let claims = SessionClaims {
            policy: input.policy,
            policy_arns: input.policy_arns,
            tags,
            transitive_tag_keys: transitive,
            source_identity,
            chained,
            ..self.role_session(&role, input.session_name, duration)
        };
        Ok((
            self.issue(claims, has_session_extras.then_some(packed)),
            soft,
        ))
    }

    /// ironiam only: assume a role *as an AWS service* — what SSM does for a
    /// registered on-premises server. The role's trust policy decides, with
    /// the service principal and `aws:SourceAccount`/`aws:SourceArn` as the
    /// service sets them (the confused-deputy guard), evaluated by the
    /// engine like any AssumeRole.
    pub fn assume_role_as_service(
        &self,
        request: &ServiceAssumeRole,
    ) -> IamResult<IssuedCredentials> {
        let denied = |reason: Option<String>| {
            let mut message = format!(
                "Service: {} is not authorized to perform: sts:AssumeRole on resource: {}",
                request.service, request.role_arn
            );
            if let Some(reason) = reason {
                message.push(' ');
                message.push_str(&reason);
            }
            IamError::AccessDenied(message)
        };
        let role = self
            .role_to_assume(&request.role_arn)?
            .ok_or_else(|| denied(None))?;
        let trust = self.compiled_trust(&self.trust_policy_document(&role)?)?;
        let mut context = Context::new()
            .with_time(self.clock.now())
            .with("aws:PrincipalServiceName", request.service.clone());
        if let Some(account) = &request.source_account {
            context = context.with("aws:SourceAccount", account.clone());
        }
        if let Some(arn) = &request.source_arn {
            context = context.with("aws:SourceArn", arn.clone());
        }
        let set = PolicySet::new().trust(PolicyId::new("TrustPolicy"), &trust);
        let decision = budget::run(budget::DEFAULT_LIMIT, || {
            evaluate(
                &set,
                &Request {
                    principal: Principal::service(&request.service),
                    action: "sts:AssumeRole",
                    resource: &request.role_arn,
                    resource_account: Some(&role.account_id),
                    context: &context,
                },
            )
        })
        .map_err(|e| {
            // Fails closed: a trust policy too costly to evaluate admits no one.
            log_exhausted(&request.service, "sts:AssumeRole", &e);
            denied(None)
        })?;
        if !decision.is_allowed() {
            return Err(denied(decision.reason("sts:AssumeRole")));
        }
        let duration = request.duration_seconds.unwrap_or(3600);
        if !(900..=role.max_session_duration).contains(&duration) {
            return Err(validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        let claims = self.role_session(&role, request.session_name.clone(), duration);
        Ok(self.issue(claims, None))
    }

    /// GetSessionToken: temporary credentials for the calling user or root.
    pub fn get_session_token(
        &self,
        caller: &Caller,
        duration_seconds: Option<i64>,
    ) -> IamResult<IssuedCredentials> {
        if caller.session.is_some() {
            return Err(IamError::AccessDenied(
                "Cannot call GetSessionToken with session credentials".to_string(),
            ));
        }
        let (principal_id, session_name) = match &caller.identity {
            Identity::Anonymous => {
                return Err(IamError::AccessDenied(
                    "Request is missing Authentication Token".to_string(),
                ))
            }
            // AWS: "sessions for AWS account owners are restricted to a maximum of 3,600 seconds".
            Identity::Root => (caller.account_id.clone(), String::new()),
            Identity::User { name } => (caller.user_id.clone(), name.clone()),
            Identity::AssumedRole { .. } => {
                return Err(IamError::AccessDenied(
                    "Cannot call GetSessionToken with session credentials".to_string(),
                ))
            }
        };
        let mut duration = duration_seconds.unwrap_or(43_200);
        if caller.identity == Identity::Root {
            duration = duration.min(3600);
        }
        let now = self.clock.now();
        let (id, secret) = self.new_key(&caller.account_id);
        let claims = SessionClaims {
            kind: SessionKind::SessionToken,
            account_id: caller.account_id.clone(),
            access_key_id: id,
            secret,
            issued: now,
            expires: now + duration,
            principal_arn: caller.arn.clone(),
            principal_id,
            session_name,
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            chained: false,
        };
        Ok(self.issue(claims, None))
    }

    /// GetAccessKeyInfo: the account an access key id belongs to, read from
    /// the id itself as AWS's are.
    pub fn get_access_key_info(&self, access_key_id: &str) -> IamResult<String> {
        account_of_access_key(access_key_id).ok_or_else(|| {
            validation(&format!("1 validation error detected: Value '{access_key_id}' at 'accessKeyId' failed to satisfy constraint: Member must be an access key id"))
        })
    }

    /// Seals an explanation of a denial into an "encoded authorization
    /// failure message" that only DecodeAuthorizationMessage opens.
    pub fn encode_authorization_message(&self, decoded_json: &str) -> String {
        crate::crypto::base64_encode(&self.settings().server_key.seal(
            Purpose::AuthorizationMessage,
            b"",
            decoded_json.as_bytes(),
        ))
    }

    /// DecodeAuthorizationMessage.
    pub fn decode_authorization_message(&self, encoded: &str) -> IamResult<String> {
        let invalid = || {
            IamError::InvalidAuthorizationMessage(
                "The message is not a valid encoded authorization message.".to_string(),
            )
        };
        let sealed = crate::crypto::base64_decode(encoded.trim()).ok_or_else(invalid)?;
        let plain = self
            .settings()
            .server_key
            .open(Purpose::AuthorizationMessage, b"", &sealed)
            .ok_or_else(invalid)?;
        String::from_utf8(plain).map_err(|_| invalid())
    }

    /// The JSON AWS's DecodeAuthorizationMessage returns for a decision.
    pub fn authorization_message_json(
        &self,
        caller: &Caller,
        request: &AuthzRequest,
        decision: &Decision,
    ) -> String {
        use serde_json::{json, Value};
        let context = self.principal_context(caller, request.context.clone(), &[]);
        let conditions: Vec<Value> = context
            .keys()
            .map(|k| {
                let values: Vec<Value> = context
                    .get(k)
                    .unwrap_or_default()
                    .iter()
                    .map(|v| json!({"value": v}))
                    .collect();
                json!({"key": k, "values": {"items": values}})
            })
            .collect();
        let statements: Vec<Value> = decision
            .matched
            .iter()
            .map(|m| {
                json!({
                    "statementId": m.sid.as_deref().unwrap_or(""),
                    "effect": if m.effect == ironiam_policy::Effect::Allow { "ALLOW" } else { "DENY" },
                    "policyType": m.policy_type.aws_name(),
                    "policyId": m.policy.as_str(),
                    "statementIndex": m.statement_index,
                })
            })
            .collect();
        let name = caller.arn.rsplit('/').next().unwrap_or(&caller.arn);
        json!({
            "allowed": decision.is_allowed(),
            "explicitDeny": decision.decision == ironiam_policy::EvalDecision::ExplicitDeny,
            "matchedStatements": {"items": statements},
            "failures": {"items": []},
            "context": {
                "principal": {"id": caller.user_id, "name": name, "arn": caller.arn},
                "action": request.action,
                "resource": request.resource,
                "conditions": {"items": conditions},
            },
        })
        .to_string()
    }

    /// AccessDenied for `request`, with the encoded explanation appended when asked.
    pub fn access_denied(
        &self,
        caller: &Caller,
        request: &AuthzRequest,
        decision: &Decision,
        encode: bool,
    ) -> IamError {
        let mut message =
            access_denied_message(&caller.arn, &request.action, &request.resource, decision);
        if encode {
            let json = self.authorization_message_json(caller, request, decision);
            message.push_str(" Encoded authorization failure message: ");
            message.push_str(&self.encode_authorization_message(&json));
        }
        IamError::AccessDenied(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/ecs/ecsAnywhereRole"),
            Some(("123456789012", "ecsAnywhereRole"))
        );
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:user/alice"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::1234:role/x"), None);
    }

    #[test]
    fn packed_sizes() {
        assert_eq!(packed_percent(None, &[], &[]), 0);
        assert_eq!(packed_percent(Some(&"x".repeat(1024)), &[], &[]), 50);
        assert!(packed_percent(Some(&"x".repeat(2049)), &[], &[]) > 100);
    }
    /// Issue 13 item 3: a trust policy whose evaluation runs out of budget
    /// admits no one. The trust below admits alice when her ExternalId is
    /// like none of 200 `*a?b*` patterns, which hers is not; with an
    /// ExternalId far longer than STS accepts (only the protocol layer
    /// bounds it) the evaluation runs out of budget, and AssumeRole is
    /// denied, never allowed, in every mode that checks.
    #[test]
    fn a_trust_policy_that_runs_out_of_budget_denies() {
        use crate::clock::FixedClock;
        use crate::memory::MemoryStore;
        use crate::service::{NewRole, Settings};
        use crate::users::NewUser;
        let s = IamService::new(
            Arc::new(MemoryStore::new()),
            Arc::new(FixedClock::new(1_800_000_000)),
            Settings::default(),
        );
        let root = s.default_caller();
        let user = s
            .create_user(
                &root,
                NewUser {
                    name: "alice".into(),
                    ..Default::default()
                },
            )
            .unwrap();
        let alice = Caller::user(&user);
        let patterns = vec!["\"*a?b*\""; 200].join(",");
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:user/alice"}},"Action":"sts:AssumeRole","Condition":{{"StringNotLike":{{"sts:ExternalId":[{patterns}]}}}}}}}}"#
        );
        assert!(trust.len() <= 2_048);
        let role = s
            .create_role(
                &root,
                NewRole {
                    name: "r".into(),
                    trust_policy: trust,
                    ..Default::default()
                },
            )
            .unwrap();
        let input = AssumeRoleInput {
            role_arn: role.arn(),
            session_name: "s".into(),
            duration_seconds: None,
            policy: None,
            policy_arns: vec![],
            tags: vec![],
            transitive_tag_keys: vec![],
            external_id: Some("a".repeat(10)),
            source_identity: None,
        };
        assert!(
            s.assume_role(&alice, input.clone(), AssumeCheck::Trust)
                .is_ok(),
            "the trust admits alice"
        );
        let long = AssumeRoleInput {
            external_id: Some("a".repeat(100_000)),
            ..input
        };
        let expected = format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
            alice.arn,
            role.arn()
        );
        for check in [
            AssumeCheck::Trust,
            AssumeCheck::TrustThenReport,
            AssumeCheck::Full,
        ] {
            match s.assume_role(&alice, long.clone(), check) {
                Err(IamError::AccessDenied(message)) => assert_eq!(message, expected),
                other => panic!(
                    "an exhausted trust evaluation must deny ({check:?}): {:?}",
                    other.map(|_| ())
                ),
            }
        }
    }
}
