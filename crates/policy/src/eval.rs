//! AWS's policy evaluation logic, as the IAM User Guide documents it
//! ("Policy evaluation logic" and its pages on single-account and
//! cross-account requests).
//!
//! Evaluation is pure: the request's principal, action, resource and context
//! (including `aws:CurrentTime`, see [`Context::with_time`]) are inputs, and
//! the policies are [`CompiledPolicy`]s grouped by type in a [`PolicySet`].
//!
//! ```
//! use ironiam_policy::{evaluate, parse, Context, EvalDecision, PolicyId, PolicySet, Principal, Request};
//!
//! let identity = parse(r#"{"Version": "2012-10-17", "Statement": [
//!     {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::reports/${aws:username}/*"},
//!     {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}"#).unwrap().compile();
//! let set = PolicySet::new().identity(PolicyId::new("reports"), &identity);
//! let context = Context::new().with("aws:username", "alice");
//! let request = |action, resource| Request {
//!     principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
//!     action,
//!     resource,
//!     resource_account: None,
//!     context: &context,
//! };
//!
//! let get = evaluate(&set, &request("s3:GetObject", "arn:aws:s3:::reports/alice/q1.csv"));
//! assert_eq!(get.decision, EvalDecision::Allowed);
//! assert_eq!(get.matched[0].statement_index, 0);
//!
//! let other = evaluate(&set, &request("s3:GetObject", "arn:aws:s3:::reports/bob/q1.csv"));
//! assert_eq!(other.decision, EvalDecision::ImplicitDeny);
//! assert_eq!(other.reason("s3:GetObject").unwrap(),
//!            "because no identity-based policy allows the s3:GetObject action");
//!
//! let delete = evaluate(&set, &request("s3:DeleteObject", "arn:aws:s3:::reports/alice/q1.csv"));
//! assert_eq!(delete.decision, EvalDecision::ExplicitDeny);
//! ```

use std::fmt;

use smallvec::SmallVec;
use std::sync::Arc;

use crate::ast::{ConditionValue, Effect, Policy};
use crate::compile::{CompiledPolicy, CompiledStatement, Identity, PrincipalMatch};
use crate::pattern::{self, Part};
use crate::values;

/// A caller-chosen name for a policy, reported in [`MatchedStatement`]s (for
/// example a managed policy ARN or `role/inline-name`). Cloning is cheap.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyId(Arc<str>);

impl PolicyId {
    /// Wraps a name.
    pub fn new(id: impl Into<Arc<str>>) -> PolicyId {
        PolicyId(id.into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for PolicyId {
    fn from(id: &str) -> PolicyId {
        PolicyId::new(id)
    }
}

/// What kind of principal makes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// An account's root user: no identity-based policies, full access to its
    /// own account unless denied or limited by SCPs/RCPs.
    Root,
    /// An IAM user.
    User,
    /// An IAM role itself (as in SimulatePrincipalPolicy for a role).
    Role,
    /// An assumed-role session (`arn:aws:sts::…:assumed-role/ROLE/SESSION`).
    AssumedRole,
    /// A federated user session from `GetFederationToken`.
    FederatedUser,
    /// An AWS service principal (`ec2.amazonaws.com`).
    Service,
    /// A web identity or SAML provider, as in `AssumeRoleWithWebIdentity`.
    Federated,
    /// An S3 canonical user.
    CanonicalUser,
    /// An unauthenticated caller.
    Anonymous,
}

/// Who makes a request. Build one with the constructor for its kind.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    kind: PrincipalKind,
    arn: &'a str,
    account: Option<&'a str>,
    issuer: Option<&'a str>,
    pub(crate) identities: [Identity<'a>; 3],
    pub(crate) identity_count: usize,
}

impl<'a> Principal<'a> {
    fn build(
        kind: PrincipalKind,
        arn: &'a str,
        account: Option<&'a str>,
        issuer: Option<&'a str>,
    ) -> Principal<'a> {
        let (identities, identity_count) = Principal::build_identities(kind, arn, account, issuer);
        Principal {
            kind,
            arn,
            account,
            issuer,
            identities,
            identity_count,
        }
    }

    /// The root user of `account` (a 12-digit id).
    pub fn root(account: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::Root, account, Some(account), None)
    }

    /// An IAM user, by ARN (`arn:aws:iam::111122223333:user/path/name`).
    pub fn user(arn: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::User, arn, account_of_arn(arn), None)
    }

    /// An IAM role, by ARN.
    pub fn role(arn: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::Role, arn, account_of_arn(arn), None)
    }

    /// A session of `role_arn` (the role's ARN, path included), by its
    /// `assumed-role` ARN. A `Principal` naming the role matches its sessions.
    pub fn assumed_role(session_arn: &'a str, role_arn: &'a str) -> Principal<'a> {
        Principal::build(
            PrincipalKind::AssumedRole,
            session_arn,
            account_of_arn(session_arn),
            Some(role_arn),
        )
    }

    /// A `GetFederationToken` session of the IAM user `user_arn`.
    pub fn federated_user(federated_user_arn: &'a str, user_arn: &'a str) -> Principal<'a> {
        Principal::build(
            PrincipalKind::FederatedUser,
            federated_user_arn,
            account_of_arn(federated_user_arn),
            Some(user_arn),
        )
    }

    /// An AWS service principal (`ecs-tasks.amazonaws.com`).
    pub fn service(name: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::Service, name, None, None)
    }

    /// A web identity or SAML provider (`accounts.google.com`, or a provider ARN).
    pub fn federated(provider: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::Federated, provider, None, None)
    }

    /// An S3 canonical user id.
    pub fn canonical_user(id: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::CanonicalUser, id, None, None)
    }

    /// An unauthenticated caller; only `"Principal": "*"` names it.
    pub fn anonymous() -> Principal<'a> {
        Principal::build(PrincipalKind::Anonymous, "", None, None)
    }

    /// What kind of principal this is.
    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// The principal's ARN (the account id for [`Principal::root`], the name
    /// for services and providers, empty for anonymous callers).
    pub fn arn(&self) -> &'a str {
        self.arn
    }

    /// The principal's account, for IAM principals.
    pub fn account(&self) -> Option<&'a str> {
        self.account
    }

    /// The role of an assumed-role session, or the user behind a federated user.
    pub fn issuer(&self) -> Option<&'a str> {
        self.issuer
    }

    /// Whether identity-based policies, boundaries and session policies can
    /// apply to this principal at all.
    fn has_identity_policies(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::User
                | PrincipalKind::Role
                | PrincipalKind::AssumedRole
                | PrincipalKind::FederatedUser
        )
    }
}

/// The account field of an ARN, if it is a 12-digit id.
fn account_of_arn(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|account| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
}

/// The request context: condition keys and their values.
///
/// Keys are case-insensitive (IAM User Guide, "Condition element": "Condition
/// key names are not case-sensitive"). Every value is text, as AWS passes
/// it; each operator reads the text as its type (a number, a date, an IP
/// address…). A key may have several values (`aws:TagKeys`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// (lowercase key, key as written, values), sorted by the lowercase key:
    /// a binary search finds a key without hashing or allocating.
    entries: Vec<(Box<str>, Box<str>, Vec<String>)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets `key` to one value (replacing any earlier values).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Context {
        self.insert(key, vec![value.into()]);
        self
    }

    /// Sets `key` to several values (a multivalued key).
    pub fn with_values<V: Into<String>>(
        mut self,
        key: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Context {
        self.insert(key, values.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `aws:CurrentTime` (ISO 8601) and `aws:EpochTime` from Unix
    /// seconds; the evaluator never reads a clock.
    pub fn with_time(self, epoch_seconds: i64) -> Context {
        self.with("aws:CurrentTime", values::format_iso8601(epoch_seconds))
            .with("aws:EpochTime", epoch_seconds.to_string())
    }

    /// Sets the keys AWS derives from the principal: `aws:PrincipalArn`,
    /// `aws:PrincipalAccount`, `aws:PrincipalType`, and `aws:username` for
    /// IAM users. For an assumed-role session `aws:PrincipalArn` is the
    /// role's ARN, as AWS documents.
    pub fn with_principal(mut self, principal: &Principal<'_>) -> Context {
        let (principal_type, principal_arn) = match principal.kind() {
            PrincipalKind::Root => ("Account", None),
            PrincipalKind::User => ("User", Some(principal.arn())),
            PrincipalKind::Role | PrincipalKind::AssumedRole => (
                "AssumedRole",
                Some(principal.issuer().unwrap_or(principal.arn())),
            ),
            PrincipalKind::FederatedUser => ("FederatedUser", Some(principal.arn())),
            PrincipalKind::Anonymous => ("Anonymous", None),
            PrincipalKind::Service | PrincipalKind::Federated | PrincipalKind::CanonicalUser => {
                return self
            }
        };
        self = self.with("aws:PrincipalType", principal_type);
        if let Some(account) = principal.account() {
            self = self.with("aws:PrincipalAccount", account);
            if principal.kind() == PrincipalKind::Root {
                self = self.with("aws:PrincipalArn", format!("arn:aws:iam::{account}:root"));
            }
        }
        if let Some(arn) = principal_arn {
            self = self.with("aws:PrincipalArn", arn);
        }
        if principal.kind() == PrincipalKind::User {
            if let Some(name) = principal.arn().rsplit('/').next() {
                self = self.with("aws:username", name);
            }
        }
        self
    }

    /// Sets `key` to `values`.
    pub fn insert(&mut self, key: &str, values: Vec<String>) {
        let lower: Box<str> = key.to_ascii_lowercase().into();
        match self
            .entries
            .binary_search_by(|(known, _, _)| (**known).cmp(&*lower))
        {
            Ok(found) => self.entries[found] = (lower, key.into(), values),
            Err(position) => self.entries.insert(position, (lower, key.into(), values)),
        }
    }

    /// The values of `key` (any case), if it is present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values_lowercase(&key.to_ascii_lowercase())
    }

    /// Whether `key` (any case) is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The keys as last written, in order of their lowercase form.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(_, written, _)| &**written)
    }

    /// The values of an already-lowercase key.
    pub(crate) fn values_lowercase(&self, key: &str) -> Option<&[String]> {
        self.entries
            .binary_search_by(|(known, _, _)| (**known).cmp(key))
            .ok()
            .map(|found| self.entries[found].2.as_slice())
    }
}

/// One request to decide.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who asks.
    pub principal: Principal<'a>,
    /// The action, `service:Name` (compared case-insensitively).
    pub action: &'a str,
    /// The resource ARN, or `*` (compared case-sensitively).
    pub resource: &'a str,
    /// The account that owns the resource. `None`, or the principal's own
    /// account, makes the request same-account; another account makes it
    /// cross-account, where both the identity side and the resource side must
    /// allow.
    pub resource_account: Option<&'a str>,
    /// The condition keys.
    pub context: &'a Context,
}

/// The types of policy AWS evaluates, which decide how an allow combines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyType {
    /// Policies attached to the user, its groups, or the role.
    Identity,
    /// The resource's own policy; a role's trust policy for `sts:AssumeRole`.
    ResourceBased,
    /// The principal's permissions boundary.
    PermissionsBoundary,
    /// Session policies passed when the session was created.
    Session,
    /// AWS Organizations service control policies.
    ServiceControl,
    /// AWS Organizations resource control policies.
    ResourceControl,
}

impl PolicyType {
    /// The name AWS uses in AccessDenied messages ("identity-based policy").
    pub fn aws_name(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::ResourceBased => "resource-based policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::ServiceControl => "service control policy",
            PolicyType::ResourceControl => "resource control policy",
        }
    }

    fn article(self) -> &'static str {
        match self {
            PolicyType::Identity => "an",
            _ => "a",
        }
    }
}

/// The policies that apply to one request, by type.
///
/// A type left empty does not take part: no boundary means no limit, no SCP
/// levels means the account is not in an organisation (or is its management
/// account). Each SCP or RCP *level* (organisation root, each OU, the
/// account) must allow on its own, as AWS evaluates them.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'p> {
    identity: Vec<(PolicyId, &'p CompiledPolicy)>,
    resource: Vec<(PolicyId, &'p CompiledPolicy)>,
    resource_required: bool,
    boundary: Option<(PolicyId, &'p CompiledPolicy)>,
    session: Vec<(PolicyId, &'p CompiledPolicy)>,
    scps: Vec<Vec<(PolicyId, &'p CompiledPolicy)>>,
    rcps: Vec<Vec<(PolicyId, &'p CompiledPolicy)>>,
}

impl<'p> PolicySet<'p> {
    /// An empty set: every request is implicitly denied.
    pub fn new() -> PolicySet<'p> {
        PolicySet::default()
    }

    /// Adds an identity-based policy (attached, inline or from a group).
    pub fn identity(mut self, id: PolicyId, policy: &'p CompiledPolicy) -> PolicySet<'p> {
        self.identity.push((id, policy));
        self
    }

    /// Adds the resource's resource-based policy.
    pub fn resource(mut self, id: PolicyId, policy: &'p CompiledPolicy) -> PolicySet<'p> {
        self.resource.push((id, policy));
        self
    }

    /// Adds a role's trust policy as the resource-based policy for a
    /// role-assumption action. Unlike other resource-based policies it must
    /// allow, even in the same account: "IAM role trust policies and KMS key
    /// policies are exceptions to this logic, because they must explicitly
    /// allow access for principals" (IAM User Guide).
    pub fn trust(mut self, id: PolicyId, policy: &'p CompiledPolicy) -> PolicySet<'p> {
        self.resource.push((id, policy));
        self.resource_required = true;
        self
    }

    /// Sets the principal's permissions boundary.
    pub fn boundary(mut self, id: PolicyId, policy: &'p CompiledPolicy) -> PolicySet<'p> {
        self.boundary = Some((id, policy));
        self
    }

    /// Adds a session policy (inline or managed, as passed to `AssumeRole`).
    pub fn session(mut self, id: PolicyId, policy: &'p CompiledPolicy) -> PolicySet<'p> {
        self.session.push((id, policy));
        self
    }

    /// Adds one level of SCPs (all the SCPs attached at one node).
    pub fn scp_level(mut self, level: Vec<(PolicyId, &'p CompiledPolicy)>) -> PolicySet<'p> {
        self.scps.push(level);
        self
    }

    /// Adds one level of RCPs.
    pub fn rcp_level(mut self, level: Vec<(PolicyId, &'p CompiledPolicy)>) -> PolicySet<'p> {
        self.rcps.push(level);
        self
    }
}

/// The outcome, named as IAM's simulation APIs name it (`EvalDecision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvalDecision {
    /// Allowed.
    Allowed,
    /// Denied by a `Deny` statement.
    ExplicitDeny,
    /// Denied because nothing (or not everything needed) allows.
    ImplicitDeny,
}

impl EvalDecision {
    /// `allowed`, `explicitDeny` or `implicitDeny`, as in the IAM API.
    pub fn as_str(self) -> &'static str {
        match self {
            EvalDecision::Allowed => "allowed",
            EvalDecision::ExplicitDeny => "explicitDeny",
            EvalDecision::ImplicitDeny => "implicitDeny",
        }
    }
}

impl fmt::Display for EvalDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement that applied to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    /// The type of the policy it is in.
    pub policy_type: PolicyType,
    /// The policy it is in.
    pub policy: PolicyId,
    /// Its 0-based position in the policy's statements.
    pub statement_index: usize,
    /// Its `Sid`, if any.
    pub sid: Option<Arc<str>>,
    /// Its effect.
    pub effect: Effect,
}

/// The statements a [`Decision`] reports, in evaluation order. Derefs to a
/// slice. The first two are stored inline: most decisions name one or two
/// statements, and this keeps a decision free of heap allocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchedStatements(SmallVec<[MatchedStatement; 2]>);

impl MatchedStatements {
    /// The statements as a `Vec`.
    pub fn into_vec(self) -> Vec<MatchedStatement> {
        self.0.into_vec()
    }

    fn push(&mut self, statement: MatchedStatement) {
        self.0.push(statement);
    }
}

impl std::ops::Deref for MatchedStatements {
    type Target = [MatchedStatement];

    fn deref(&self) -> &[MatchedStatement] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a MatchedStatements {
    type Item = &'a MatchedStatement;
    type IntoIter = std::slice::Iter<'a, MatchedStatement>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for MatchedStatements {
    type Item = MatchedStatement;
    type IntoIter = smallvec::IntoIter<[MatchedStatement; 2]>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A decision and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Allowed, explicitly denied or implicitly denied.
    pub decision: EvalDecision,
    /// For a deny, the type of policy that denied: the one with the first
    /// applicable `Deny` statement, or the one that failed to allow.
    pub denied_by: Option<PolicyType>,
    /// For an explicit deny, every applicable `Deny` statement; otherwise
    /// every applicable `Allow` statement (for an implicit deny, the allows
    /// that were not enough), in evaluation order.
    pub matched: MatchedStatements,
    /// Condition keys (and policy-variable keys) used by statements whose
    /// action matched but absent from the context, as first written.
    pub missing_context_keys: Vec<String>,
}

impl Decision {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision == EvalDecision::Allowed
    }

    /// The end of AWS's AccessDenied message for a deny: "with an explicit
    /// deny in an identity-based policy" or "because no permissions boundary
    /// allows the iam:CreateRole action". `None` when allowed.
    pub fn reason(&self, action: &str) -> Option<String> {
        let policy_type = self.denied_by?;
        match self.decision {
            EvalDecision::Allowed => None,
            EvalDecision::ExplicitDeny => Some(format!(
                "with an explicit deny in {} {}",
                policy_type.article(),
                policy_type.aws_name()
            )),
            EvalDecision::ImplicitDeny => Some(format!(
                "because no {} allows the {action} action",
                policy_type.aws_name()
            )),
        }
    }
}

/// Statements found applicable while scanning the policies.
#[derive(Default)]
struct Scan<'r> {
    /// The request action's service prefix.
    service: &'r str,
    allows: MatchedStatements,
    denies: MatchedStatements,
    first_deny: Option<PolicyType>,
    missing: Vec<String>,
}

impl Scan<'_> {
    /// Scans `policies`, returning the strongest principal match among the
    /// applicable `Allow` statements (`None` when none applies).
    fn policies(
        &mut self,
        policy_type: PolicyType,
        policies: &[(PolicyId, &CompiledPolicy)],
        request: &Request<'_>,
    ) -> Option<PrincipalMatch> {
        let mut best = None;
        for (id, policy) in policies {
            for statement in policy.candidates(self.service) {
                let Some(how) = self.applies(statement, request) else {
                    continue;
                };
                let matched = MatchedStatement {
                    policy_type,
                    policy: id.clone(),
                    statement_index: statement.index,
                    sid: statement.sid.clone(),
                    effect: statement.effect,
                };
                match statement.effect {
                    Effect::Allow => {
                        best = best.max(Some(how));
                        self.allows.push(matched);
                    }
                    Effect::Deny => {
                        self.first_deny.get_or_insert(policy_type);
                        self.denies.push(matched);
                    }
                }
            }
        }
        best
    }

    /// Whether `statement` applies to the request: action, resource,
    /// principal and every condition block (blocks are AND'ed).
    fn applies(
        &mut self,
        statement: &CompiledStatement,
        request: &Request<'_>,
    ) -> Option<PrincipalMatch> {
        let context = request.context;
        if !statement
            .actions
            .as_ref()?
            .matches(request.action, true, context)
        {
            return None;
        }
        self.note_missing_keys(statement, context);
        if let Some(resources) = &statement.resources {
            if !resources.matches(request.resource, false, context) {
                return None;
            }
        }
        let how = match &statement.principal {
            Some(principal) => principal.covers(&request.principal)?,
            None => PrincipalMatch::Direct,
        };
        statement
            .conditions
            .iter()
            .all(|block| block.holds(context))
            .then_some(how)
    }

    fn note_missing_keys(&mut self, statement: &CompiledStatement, context: &Context) {
        let condition_keys = statement.conditions.iter().flat_map(|block| {
            block.entries.iter().flat_map(|entry| {
                std::iter::once((&*entry.key, &*entry.written, false)).chain(entry.variable_keys())
            })
        });
        let resource_keys = statement
            .resources
            .iter()
            .flat_map(|resources| resources.variable_keys());
        for (key, written, has_default) in condition_keys.chain(resource_keys) {
            if !has_default
                && context.values_lowercase(key).is_none()
                && !self
                    .missing
                    .iter()
                    .any(|seen| seen.eq_ignore_ascii_case(written))
            {
                self.missing.push(written.to_owned());
            }
        }
    }
}

/// Whether every level has an applicable `Allow` (true when there are no levels).
fn every_level_allows(
    scan: &mut Scan<'_>,
    policy_type: PolicyType,
    levels: &[Vec<(PolicyId, &CompiledPolicy)>],
    request: &Request<'_>,
) -> bool {
    let mut all = true;
    for level in levels {
        // Scan every level, even after one fails, so explicit denies anywhere are seen.
        all &= scan.policies(policy_type, level, request).is_some();
    }
    all
}

/// Decides `request` against `set` the way AWS's enforcement code does
/// (IAM User Guide, "How AWS enforcement code logic evaluates requests to
/// allow or deny access"):
///
/// 1. An applicable `Deny` in any policy is an explicit deny.
/// 2. Every RCP level, then every SCP level, must allow.
/// 3. Same account: a resource-based policy that names the principal itself
///    (or `*`) allows on its own; one that names an assumed-role session's
///    role (or a federated user's IAM user) still needs the boundary and the
///    session policies; one that names only the account delegates to the
///    identity-based policies. Otherwise identity-based policies must allow,
///    and then the boundary and the session policies, where present.
/// 4. Cross-account: the identity side (identity, boundary, session) and the
///    resource-based policy must both allow.
///
/// A role's trust policy ([`PolicySet::trust`]) must allow in every case.
/// Service principals, federated providers and anonymous callers have no
/// identity side: only the resource-based policy can allow them. The root
/// user of the resource's account is allowed unless denied or limited by an
/// SCP or RCP.
pub fn evaluate(set: &PolicySet<'_>, request: &Request<'_>) -> Decision {
    let action = request.action.as_bytes();
    let service = match action.iter().position(|&byte| byte == b':') {
        Some(colon) => &request.action[..colon],
        None => request.action,
    };
    let mut scan = Scan {
        service,
        ..Scan::default()
    };
    let principal = &request.principal;
    let identity_side = principal.has_identity_policies();

    let identity_allows = identity_side
        && scan
            .policies(PolicyType::Identity, &set.identity, request)
            .is_some();
    let resource_allow = scan.policies(PolicyType::ResourceBased, &set.resource, request);
    let boundary_allows = match &set.boundary {
        Some(boundary) if identity_side => scan
            .policies(
                PolicyType::PermissionsBoundary,
                std::slice::from_ref(boundary),
                request,
            )
            .is_some(),
        _ => true,
    };
    let session_allows = !identity_side
        || set.session.is_empty()
        || scan
            .policies(PolicyType::Session, &set.session, request)
            .is_some();
    let rcps_allow = every_level_allows(&mut scan, PolicyType::ResourceControl, &set.rcps, request);
    let scps_allow = every_level_allows(&mut scan, PolicyType::ServiceControl, &set.scps, request);

    let verdict: Result<(), PolicyType> = if let Some(policy_type) = scan.first_deny {
        Err(policy_type)
    } else if !rcps_allow {
        Err(PolicyType::ResourceControl)
    } else if !scps_allow {
        Err(PolicyType::ServiceControl)
    } else {
        let same_account = match (request.resource_account, principal.account()) {
            (Some(resource_account), Some(account)) => resource_account == account,
            _ => true,
        };
        let identity_path = || {
            if !identity_allows {
                Err(PolicyType::Identity)
            } else if !boundary_allows {
                Err(PolicyType::PermissionsBoundary)
            } else if !session_allows {
                Err(PolicyType::Session)
            } else {
                Ok(())
            }
        };
        let resource_required = || {
            if set.resource_required && resource_allow.is_none() {
                Err(PolicyType::ResourceBased)
            } else {
                Ok(())
            }
        };
        if principal.kind() == PrincipalKind::Root {
            if same_account {
                resource_required()
            } else {
                resource_allow.map(|_| ()).ok_or(PolicyType::ResourceBased)
            }
        } else if !identity_side {
            resource_allow.map(|_| ()).ok_or(PolicyType::ResourceBased)
        } else if !same_account {
            identity_path()
                .and_then(|()| resource_allow.map(|_| ()).ok_or(PolicyType::ResourceBased))
        } else {
            match resource_allow {
                Some(PrincipalMatch::Direct) => Ok(()),
                Some(PrincipalMatch::Issuer) if boundary_allows && session_allows => Ok(()),
                // The resource-based policy granted to the session's role: what
                // denies is the boundary or session policy that limits it.
                Some(PrincipalMatch::Issuer) => Err(if boundary_allows {
                    PolicyType::Session
                } else {
                    PolicyType::PermissionsBoundary
                }),
                _ => resource_required().and_then(|()| identity_path()),
            }
        }
    };

    let (decision, denied_by, matched) = match verdict {
        Ok(()) => (EvalDecision::Allowed, None, scan.allows),
        Err(policy_type) if scan.first_deny.is_some() => {
            (EvalDecision::ExplicitDeny, Some(policy_type), scan.denies)
        }
        Err(policy_type) => (EvalDecision::ImplicitDeny, Some(policy_type), scan.allows),
    };
    Decision {
        decision,
        denied_by,
        matched,
        missing_context_keys: scan.missing,
    }
}

/// Every context key `policy` uses, for `GetContextKeysForCustomPolicy`:
/// condition keys and the keys of policy variables (in `Resource` and
/// condition values of `2012-10-17` policies), once each (compared
/// case-insensitively, first spelling kept), sorted case-insensitively.
pub fn context_keys(policy: &Policy) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut add = |key: &str| {
        if !keys.iter().any(|seen| seen.eq_ignore_ascii_case(key)) {
            keys.push(key.to_owned());
        }
    };
    let variables = policy.policy_variables_enabled();
    let add_variables = |text: &str, add: &mut dyn FnMut(&str)| {
        if !variables {
            return;
        }
        for part in pattern::parse_variables(text).unwrap_or_default() {
            if let Part::Variable { written, .. } = part {
                add(&written);
            }
        }
    };
    for statement in policy.statements() {
        if let Some(resource) = statement.resource() {
            for value in resource.values.iter() {
                add_variables(value, &mut add);
            }
        }
        if let Some(condition) = statement.condition() {
            for block in &condition.blocks {
                for entry in &block.entries {
                    add(&entry.key);
                    for value in entry.values.iter() {
                        if let ConditionValue::String(text) = value {
                            add_variables(text, &mut add);
                        }
                    }
                }
            }
        }
    }
    keys.sort_by_key(|key| key.to_ascii_lowercase());
    keys
}
