//! Authorizing a caller's request with the policy engine, as AWS's
//! enforcement code does: the caller's identity-based policies, its
//! permissions boundary and its session policies, and AWS's AccessDenied
//! wording when they do not allow.
//!
//! Compiled policies are cached (AWS managed policies by ARN, customer
//! managed policies by id and version, inline and session policies by
//! text), so a request compiles nothing once the policies it needs have been
//! seen: authorization costs one evaluation, not a parse.

use std::collections::HashMap;
use std::sync::Arc;

use ironiam_catalog::catalog;
use ironiam_policy::budget::{self, BudgetExhausted};
use ironiam_policy::{
    decide, evaluate, CompiledPolicy, Context, Decision, EvalDecision, PolicyId, PolicySet,
    PolicyType, Principal, Request, Verdict,
};
use parking_lot::RwLock;

use crate::entities::{Group, Tag, User};
use crate::error::{Found, IamError, IamResult};
use crate::service::{Caller, IamService, Identity};
use crate::store::ListRange;

/// Compiled policies, shared by every request. A request looks its
/// policies up without allocating: inline, trust and session documents by
/// their text, managed policies by ARN (with the default version the entry
/// was compiled from, so a new default version recompiles). Bounded: a map
/// starts afresh past [`PolicyCache::CAPACITY`] entries.
#[derive(Default)]
pub struct PolicyCache {
    by_text: RwLock<HashMap<Box<str>, Arc<CompiledPolicy>>>,
    by_arn: RwLock<HashMap<Box<str>, ManagedEntry>>,
}

/// How every AWS managed policy's ARN starts (no customer policy's can).
const AWS_MANAGED_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// A managed policy compiled from one of its versions.
#[derive(Clone)]
struct ManagedEntry {
    /// The PolicyId of the customer policy compiled: a policy deleted and
    /// created again under the same ARN is another policy, whose versions
    /// restart at v1 (`""` for AWS managed policies, which never change here).
    policy_id: Box<str>,
    /// The version compiled (`""` for AWS managed policies).
    version: Box<str>,
    /// The policy's id in decisions: its ARN, made once.
    id: PolicyId,
    compiled: Arc<CompiledPolicy>,
}

/// A policy that allows nothing and denies nothing. (Not an empty
/// `Statement` list: the parser refuses one, as AWS does, which once made
/// every request of a session naming a missing managed policy a 500.)
const GRANTS_NOTHING: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"*","Resource":"*"}}"#;

/// Compiles a stored document. A stored document always parsed when it was
/// written; one that no longer does (a stricter parser) grants nothing
/// rather than failing every request.
fn compile_stored(what: &str, text: &str) -> IamResult<Arc<CompiledPolicy>> {
    Ok(Arc::new(match ironiam_policy::parse(text) {
        Ok(policy) => policy.compile(),
        Err(e) => {
            tracing::warn!(policy = %what, error = %e.message(), "a stored policy no longer parses; it grants nothing");
            ironiam_policy::parse(GRANTS_NOTHING)
                .map(|p| p.compile())
                .map_err(|_| {
                    IamError::Internal("the policy granting nothing does not parse".into())
                })?
        }
    }))
}

fn insert_bounded<V>(map: &mut HashMap<Box<str>, V>, key: &str, value: V) {
    if map.len() >= PolicyCache::CAPACITY {
        map.clear();
    }
    map.insert(key.into(), value);
}

impl PolicyCache {
    /// Entries kept per map before it starts afresh.
    pub const CAPACITY: usize = 8192;

    /// The document `text` (inline, trust or session policy) compiled.
    fn by_text(&self, text: &str) -> IamResult<Arc<CompiledPolicy>> {
        if let Some(hit) = self.by_text.read().get(text) {
            return Ok(hit.clone());
        }
        let compiled = compile_stored("inline", text)?;
        insert_bounded(&mut self.by_text.write(), text, compiled.clone());
        Ok(compiled)
    }

    /// The managed policy `arn` (PolicyId `policy_id`) compiled from
    /// `version`, whose text `document` gives on a miss.
    fn by_arn(
        &self,
        arn: &str,
        policy_id: &str,
        version: &str,
        document: impl FnOnce() -> IamResult<String>,
    ) -> IamResult<ManagedEntry> {
        let current = |e: &&ManagedEntry| &*e.policy_id == policy_id && &*e.version == version;
        if let Some(hit) = self.by_arn.read().get(arn).filter(current) {
            return Ok(hit.clone());
        }
        let entry = ManagedEntry {
            policy_id: policy_id.into(),
            version: version.into(),
            id: PolicyId::new(arn),
            compiled: compile_stored(arn, &document()?)?,
        };
        insert_bounded(&mut self.by_arn.write(), arn, entry.clone());
        Ok(entry)
    }
}

/// The policies that apply to one caller.
pub(crate) struct CallerPolicies {
    identity: Vec<(PolicyId, Arc<CompiledPolicy>)>,
    boundary: Option<(PolicyId, Arc<CompiledPolicy>)>,
    session: Vec<(PolicyId, Arc<CompiledPolicy>)>,
    /// Tags of the principal (the user's, or the role's and the session's).
    pub(crate) tags: Vec<Tag>,
    /// Whether the caller's user or role is still the principal it was when
    /// its credentials were issued (the same unique id). One deleted, or
    /// deleted and created again under the same name, is gone: it has no
    /// policies, and no trust policy admits it.
    pub(crate) principal_exists: bool,
}

impl CallerPolicies {
    /// The caller's identity-based, boundary and session policies as a set.
    pub(crate) fn policy_set(&self) -> PolicySet<'_> {
        let mut set = PolicySet::new();
        for (id, policy) in &self.identity {
            set = set.identity(id.clone(), policy);
        }
        if let Some((id, policy)) = &self.boundary {
            set = set.boundary(id.clone(), policy);
        }
        for (id, policy) in &self.session {
            set = set.session(id.clone(), policy);
        }
        set
    }
}

/// What to decide: an action on a resource, with the request's own
/// condition keys (the principal's keys are added here).
#[derive(Debug, Clone)]
pub struct AuthzRequest {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The account owning the resource, when it is not the caller's.
    pub resource_account: Option<String>,
    /// Request condition keys (`aws:RequestTag/…`, `iam:PolicyARN`, …).
    pub context: Context,
}

impl IamService {
    /// A managed policy (AWS or customer) compiled, with its id, from the cache.
    fn managed_entry(&self, account: &str, arn: &str) -> IamResult<ManagedEntry> {
        // AWS managed policies never change while ironiam runs: a cached
        // one needs no look-up in the catalog.
        if arn.starts_with(AWS_MANAGED_PREFIX) {
            if let Some(hit) = self.policy_cache.by_arn.read().get(arn) {
                return Ok(hit.clone());
            }
        }
        if let Some(p) = catalog().get(arn) {
            return self
                .policy_cache
                .by_arn(arn, "", "", || Ok(catalog().document(p)));
        }
        let p = self.store.get_policy(account, arn)?;
        let version = p
            .default_version()
            .ok_or_else(|| IamError::Internal(format!("{arn} has no default version")))?;
        self.policy_cache
            .by_arn(arn, &p.policy_id, &version.version_id, || {
                Ok(version.document.clone())
            })
    }

    /// A role's trust policy compiled, from the cache.
    pub(crate) fn compiled_trust(&self, document: &str) -> IamResult<Arc<CompiledPolicy>> {
        self.compiled_inline(document)
    }

    pub(crate) fn compiled_inline(&self, document: &str) -> IamResult<Arc<CompiledPolicy>> {
        self.policy_cache.by_text(document)
    }

    /// The groups `user` is in, by name ignoring case.
    pub(crate) fn groups_of(&self, user: &User) -> IamResult<Vec<Arc<Group>>> {
        let everything = ListRange {
            path_prefix: "/",
            marker: None,
            max_items: usize::MAX,
        };
        Ok(self
            .store
            .groups_for_user(&user.account_id, &user.name, everything)?
            .items)
    }

    pub(crate) fn caller_policies(&self, caller: &Caller) -> IamResult<CallerPolicies> {
        let account = &caller.account_id;
        let mut identity = Vec::new();
        let mut boundary = None;
        // The policies of the user or role, borrowed from the stored entity.
        let mut add = |inline: &crate::entities::InlinePolicies,
                       attached: &[String],
                       bound: Option<&str>|
         -> IamResult<()> {
            identity.reserve(inline.len() + attached.len());
            for (name, document) in inline {
                identity.push((
                    PolicyId::new(name.as_str()),
                    self.compiled_inline(document)?,
                ));
            }
            for arn in attached {
                // Only a policy that is not there is left out. A customer
                // policy cannot be deleted while attached (the store refuses),
                // so this is an AWS managed policy this build's catalog does
                // not know (attached under another build): AWS keeps a
                // deprecated policy attached, and one that is not there has
                // nothing to allow or deny. A policy that could not be *read*
                // is another thing: it may hold a Deny, so the request fails
                // (`ServiceFailure`), never goes on without it.
                if let Some(e) = self.managed_entry(account, arn).found()? {
                    identity.push((e.id, e.compiled));
                }
            }
            if let Some(arn) = bound {
                boundary = Some(match self.managed_entry(account, arn).found()? {
                    Some(e) => (e.id, e.compiled),
                    // A boundary naming a policy that is not there (as
                    // above) allows nothing: a boundary only ever narrows.
                    None => (PolicyId::new(arn), self.compiled_inline(GRANTS_NOTHING)?),
                });
            }
            Ok(())
        };
        // Policies belong to a principal's unique id, not its name, as in
        // AWS: a user or role deleted while its credentials live on has no
        // policies any more (everything it asks is implicitly denied), and
        // it does not gain those of a principal created under its name.
        let principal_id = match &caller.session {
            Some(claims) => claims.principal_id.as_str(),
            None => caller.user_id.as_str(),
        };
        let (mut tags, principal_exists) = match &caller.identity {
            Identity::Root | Identity::Anonymous => {
                return Ok(CallerPolicies {
                    identity: Vec::new(),
                    boundary: None,
                    session: Vec::new(),
                    tags: Vec::new(),
                    principal_exists: true,
                })
            }
            Identity::User { name } => match self.user_with_id(account, name, principal_id)? {
                Some(u) => {
                    add(
                        &u.inline_policies,
                        &u.attached_policies,
                        u.permissions_boundary.as_deref(),
                    )?;
                    // A user's groups' policies are the user's too (groups
                    // have no boundary).
                    for g in self.groups_of(&u)? {
                        add(&g.inline_policies, &g.attached_policies, None)?;
                    }
                    (u.tags.clone(), true)
                }
                None => (Vec::new(), false),
            },
            Identity::AssumedRole { role_name, .. } => {
                match self.role_with_id(account, role_name, principal_id)? {
                    Some(r) => {
                        add(
                            &r.inline_policies,
                            &r.attached_policies,
                            r.permissions_boundary.as_deref(),
                        )?;
                        (r.tags.clone(), true)
                    }
                    None => (Vec::new(), false),
                }
            }
        };
        let mut session = Vec::new();
        if let Some(claims) = &caller.session {
            if let Some(document) = &claims.policy {
                session.push((
                    PolicyId::new("session-policy"),
                    self.compiled_inline(document)?,
                ));
            }
            for arn in &claims.policy_arns {
                match self.managed_entry(account, arn).found()? {
                    Some(e) => session.push((e.id, e.compiled)),
                    // A managed session policy deleted since: AWS would no
                    // longer find it, and a session policy that is missing
                    // allows nothing. (One that could not be read fails the
                    // request instead.)
                    None => session.push((
                        PolicyId::new(arn.as_str()),
                        self.compiled_inline(GRANTS_NOTHING)?,
                    )),
                }
            }
            // Session tags override the role's tags of the same key.
            for t in &claims.tags {
                tags.retain(|existing| !existing.key.eq_ignore_ascii_case(&t.key));
                tags.push(t.clone());
            }
        }
        Ok(CallerPolicies {
            identity,
            boundary,
            session,
            tags,
            principal_exists,
        })
    }

    /// The condition keys AWS derives from the caller and the clock.
    pub fn principal_context(
        &self,
        caller: &Caller,
        mut context: Context,
        principal_tags: &[Tag],
    ) -> Context {
        let principal = evaluation_principal(caller);
        context = context
            .with_principal(&principal)
            .with_time(self.clock.now())
            .with("aws:userid", caller.user_id.clone());
        for t in principal_tags {
            context = context.with(&format!("aws:PrincipalTag/{}", t.key), t.value.clone());
        }
        if let Some(claims) = &caller.session {
            context = context.with("aws:TokenIssueTime", crate::clock::iso8601(claims.issued));
            if let Some(source) = &claims.source_identity {
                context = context.with("aws:SourceIdentity", source.clone());
            }
            if claims.kind == crate::session::SessionKind::AssumedRole {
                context = context.with("aws:RoleSessionName", claims.session_name.clone());
            }
        }
        context
    }

    /// Decides `request` for `caller`, with the statements that made the
    /// decision (for simulation, and for the message of a denial). The root
    /// user is allowed without evaluation (IAM policies do not limit it);
    /// every other principal needs its policies to allow.
    ///
    /// Fails closed: an evaluation that needs more work than
    /// [`budget::DEFAULT_LIMIT`] is an implicit denial (see [`budget_denial`]),
    /// and a policy, group or boundary of the caller that the store cannot
    /// read is the store's error (`ServiceFailure`), never a decision made
    /// without it (issue 12 item 3).
    pub fn authorize(&self, caller: &Caller, request: &AuthzRequest) -> IamResult<Decision> {
        let verdict = budget_denial();
        self.decide_with(caller, request, evaluate, || Decision {
            decision: verdict.decision,
            denied_by: verdict.denied_by,
            matched: Default::default(),
            missing_context_keys: Vec::new(),
        })
    }

    /// The verdict of [`IamService::authorize`] without its explanation:
    /// what enforcing a request needs (see [`ironiam_policy::decide`]).
    /// Fails closed as [`IamService::authorize`] does.
    pub fn verdict(&self, caller: &Caller, request: &AuthzRequest) -> IamResult<Verdict> {
        self.decide_with(caller, request, decide, budget_denial)
    }

    /// Gathers `caller`'s policies and context and hands them to `judge`,
    /// within the request's evaluation budget; `exhausted` is the answer
    /// when the budget runs out.
    fn decide_with<T>(
        &self,
        caller: &Caller,
        request: &AuthzRequest,
        judge: fn(&PolicySet<'_>, &Request<'_>) -> T,
        exhausted: impl FnOnce() -> T,
    ) -> IamResult<T> {
        let policies = self.caller_policies(caller)?;
        let context = self.principal_context(caller, request.context.clone(), &policies.tags);
        let principal = evaluation_principal(caller);
        let set = policies.policy_set();
        let judged = budget::run(budget::DEFAULT_LIMIT, || {
            judge(
                &set,
                &Request {
                    principal,
                    action: &request.action,
                    resource: &request.resource,
                    resource_account: request.resource_account.as_deref(),
                    context: &context,
                },
            )
        });
        Ok(judged.unwrap_or_else(|e| {
            log_exhausted(&caller.arn, &request.action, &e);
            exhausted()
        }))
    }
}

/// What enforcement answers when a request's evaluation runs out of budget:
/// an implicit denial by the identity-based policies (AccessDenied "because
/// no identity-based policy allows the … action"), whatever the policies
/// would have said. Never an allow: an exhausted evaluation's matches
/// stopped answering truthfully, so even a `Deny` it did not find may apply.
pub fn budget_denial() -> Verdict {
    Verdict {
        decision: EvalDecision::ImplicitDeny,
        denied_by: Some(PolicyType::Identity),
    }
}

/// Logs an evaluation that ran out of budget, naming who and what, never a
/// policy's text (which may be large, and is the caller's own).
pub(crate) fn log_exhausted(principal: &str, action: &str, exhausted: &BudgetExhausted) {
    tracing::warn!(
        principal = %principal,
        action = %action,
        limit = exhausted.limit,
        "the evaluation needed more work than a request may use; denied"
    );
}

/// The InvalidInput message of a simulation (`what`: "simulation") or a
/// test decision ("decision") that ran out of budget.
pub fn budget_message(what: &str, exhausted: &BudgetExhausted) -> String {
    format!(
        "The {what} needs more evaluation work than ironiam allows per request ({} units of pattern matching, about 5 ms); simulate fewer actions, resources or policies, or use policies with fewer wildcard patterns.",
        exhausted.limit
    )
}

impl IamService {
    /// The caller a principal ARN stands for, if it exists.
    pub fn caller_for_arn(&self, arn: &str) -> IamResult<Caller> {
        let missing = || IamError::NoSuchEntity(format!("The principal {arn} cannot be found."));
        let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(missing)?;
        let (account, resource) = rest.split_once(':').ok_or_else(missing)?;
        if resource == "root" {
            return Ok(Caller::root(account));
        }
        let name = resource.rsplit('/').next().ok_or_else(missing)?;
        // Not found is the caller's answer; a store failure is the store's.
        if resource.starts_with("user/") {
            let user = self
                .store
                .get_user(account, name)
                .found()?
                .ok_or_else(missing)?;
            return if user.arn() == arn {
                Ok(Caller::user(&user))
            } else {
                Err(missing())
            };
        }
        if resource.starts_with("role/") {
            let role = self
                .store
                .get_role(account, name)
                .found()?
                .ok_or_else(missing)?;
            if role.arn() != arn {
                return Err(missing());
            }
            return Ok(Caller {
                account_id: role.account_id.clone(),
                arn: role.arn(),
                user_id: role.role_id.clone(),
                identity: Identity::AssumedRole {
                    role_name: role.name.clone(),
                    role_arn: role.arn(),
                },
                session: None,
            });
        }
        Err(missing())
    }

    /// Decides `request` for `caller`, with an optional resource-based
    /// policy of the resource (for services that have their own). This
    /// answers a question rather than enforcing: an evaluation that runs out
    /// of budget is `InvalidInput` ([`budget_message`]), not a decision.
    pub fn authorize_with_resource_policy(
        &self,
        caller: &Caller,
        request: &AuthzRequest,
        resource_policy: Option<&str>,
    ) -> IamResult<Decision> {
        let resource = match resource_policy {
            Some(document) => Some(
                ironiam_policy::validate(document, ironiam_policy::PolicyKind::ResourceBased)
                    .map_err(|e| IamError::MalformedPolicyDocument(e.message().to_string()))?
                    .compile(),
            ),
            None => None,
        };
        let policies = self.caller_policies(caller)?;
        let context = self.principal_context(caller, request.context.clone(), &policies.tags);
        let mut set = policies.policy_set();
        if let Some(resource) = &resource {
            set = set.resource(PolicyId::new("ResourcePolicy"), resource);
        }
        budget::run(budget::DEFAULT_LIMIT, || {
            evaluate(
                &set,
                &Request {
                    principal: evaluation_principal(caller),
                    action: &request.action,
                    resource: &request.resource,
                    resource_account: request.resource_account.as_deref(),
                    context: &context,
                },
            )
        })
        .map_err(|e| IamError::InvalidInput(budget_message("decision", &e)))
    }
}

/// The engine's view of a caller.
pub fn evaluation_principal(caller: &Caller) -> Principal<'_> {
    match &caller.identity {
        Identity::Root => Principal::root(&caller.account_id),
        Identity::Anonymous => Principal::anonymous(),
        Identity::User { .. } => Principal::user(&caller.arn),
        Identity::AssumedRole { role_arn, .. } => Principal::assumed_role(&caller.arn, role_arn),
    }
}

/// AWS's AccessDenied message: "User: ARN is not authorized to perform:
/// ACTION on resource: RESOURCE because no identity-based policy allows the
/// ACTION action".
pub fn access_denied_message(
    caller_arn: &str,
    action: &str,
    resource: &str,
    decision: &Decision,
) -> String {
    let mut message = format!(
        "User: {caller_arn} is not authorized to perform: {action} on resource: {resource}"
    );
    if let Some(reason) = decision.reason(action) {
        message.push(' ');
        message.push_str(&reason);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::holders::PrincipalKind;
    use crate::memory::MemoryStore;
    use crate::service::Settings;
    use crate::users::NewUser;

    fn service() -> IamService {
        IamService::new(
            Arc::new(MemoryStore::new()),
            Arc::new(FixedClock::new(1_800_000_000)),
            Settings::default(),
        )
    }

    fn request(action: &str, resource: &str) -> AuthzRequest {
        AuthzRequest {
            action: action.into(),
            resource: resource.into(),
            resource_account: None,
            context: Context::new(),
        }
    }

    /// The compiled-policy cache never answers with a document that is no
    /// longer the policy's: a new default version, or a policy deleted and
    /// created again under the same ARN (whose versions restart at v1).
    #[test]
    fn customer_policies_are_recompiled_when_their_document_changes() {
        use crate::service::NewPolicy;
        let s = service();
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
        let allow = |action: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
            )
        };
        let new_policy = |document: String| NewPolicy {
            name: "p".into(),
            path: None,
            document,
            description: None,
            tags: vec![],
        };
        let get_role = request("iam:GetRole", "arn:aws:iam::123456789012:role/x");
        let arn = s
            .create_policy(&root, new_policy(allow("iam:GetRole")))
            .unwrap()
            .arn;
        s.attach_policy(&root, PrincipalKind::User, "alice", &arn)
            .unwrap();
        assert!(s.authorize(&alice, &get_role).unwrap().is_allowed());
        s.create_policy_version(&root, &arn, allow("iam:ListRoles"), true)
            .unwrap();
        assert!(
            !s.authorize(&alice, &get_role).unwrap().is_allowed(),
            "v2 is the default now"
        );
        s.set_default_policy_version(&root, &arn, "v1").unwrap();
        assert!(
            s.authorize(&alice, &get_role).unwrap().is_allowed(),
            "back to v1"
        );
        s.detach_policy(&root, PrincipalKind::User, "alice", &arn)
            .unwrap();
        s.delete_policy_version(&root, &arn, "v2").unwrap();
        s.delete_policy(&root, &arn).unwrap();
        let again = s
            .create_policy(&root, new_policy(allow("iam:ListRoles")))
            .unwrap()
            .arn;
        assert_eq!(again, arn);
        s.attach_policy(&root, PrincipalKind::User, "alice", &arn)
            .unwrap();
        assert!(
            !s.authorize(&alice, &get_role).unwrap().is_allowed(),
            "the new policy's v1 is not the old one's"
        );
    }

    #[test]
    fn a_user_needs_a_policy_and_a_boundary_narrows_it() {
        let s = service();
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
        let create_role = request("iam:CreateRole", "arn:aws:iam::123456789012:role/x");
        let d = s.authorize(&alice, &create_role).unwrap();
        assert!(!d.is_allowed());
        assert_eq!(
            access_denied_message(&alice.arn, "iam:CreateRole", &create_role.resource, &d),
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/x because no identity-based policy allows the iam:CreateRole action"
        );
        s.attach_policy(
            &root,
            PrincipalKind::User,
            "alice",
            "arn:aws:iam::aws:policy/IAMFullAccess",
        )
        .unwrap();
        assert!(s.authorize(&alice, &create_role).unwrap().is_allowed());
        s.put_permissions_boundary(
            &root,
            PrincipalKind::User,
            "alice",
            "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
        )
        .unwrap();
        let d = s.authorize(&alice, &create_role).unwrap();
        assert_eq!(
            d.reason("iam:CreateRole").unwrap(),
            "because no permissions boundary allows the iam:CreateRole action"
        );
        assert_eq!(
            s.verdict(&alice, &create_role).unwrap(),
            d.verdict(),
            "enforcement's verdict is the explained one"
        );
        let get_role = request("iam:GetRole", "arn:aws:iam::123456789012:role/x");
        assert!(s.authorize(&alice, &get_role).unwrap().is_allowed());
        assert!(s.verdict(&alice, &get_role).unwrap().is_allowed());
    }

    #[test]
    fn principal_keys_reach_conditions() {
        let s = service();
        let root = s.default_caller();
        let user = s
            .create_user(
                &root,
                NewUser {
                    name: "bob".into(),
                    tags: vec![Tag {
                        key: "team".into(),
                        value: "blue".into(),
                    }],
                    ..Default::default()
                },
            )
            .unwrap();
        s.put_inline_policy(
            &root, PrincipalKind::User,
            "bob",
            "p".into(),
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/${aws:username}","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}}"#.into(),
        )
        .unwrap();
        let bob = Caller::user(&user);
        assert!(s
            .authorize(
                &bob,
                &request("iam:GetUser", "arn:aws:iam::123456789012:user/bob")
            )
            .unwrap()
            .is_allowed());
        assert!(!s
            .authorize(
                &bob,
                &request("iam:GetUser", "arn:aws:iam::123456789012:user/eve")
            )
            .unwrap()
            .is_allowed());
    }
    // ---- Issue 13 item 3: an evaluation budget per request, failing closed ----

    /// A policy of `Deny *` on a condition of `count` `*a?b*` patterns (each
    /// must read a whole long context value), after an unconditional
    /// `Allow *`: without a budget the `Deny` does not apply (no pattern
    /// matches) and the request is allowed, after seconds of matching.
    fn expensive_deny(count: usize) -> String {
        let patterns = vec!["\"*a?b*\""; count].join(",");
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*"}},{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{{"ForAnyValue:StringLike":{{"aws:RequestTag/k":[{patterns}]}}}}}}]}}"#
        )
    }

    /// A user holding the most IAM allows (10 managed policies of at most
    /// 6,144 characters) of such documents, asked with a 4,096-character
    /// value: the budget runs out, and enforcement denies (implicitly, as
    /// identity-based policies that do not allow), both in `verdict` and in
    /// `authorize`, promptly.
    #[test]
    fn an_exhausted_budget_is_a_denial_even_past_an_expensive_deny() {
        use crate::service::NewPolicy;
        let s = service();
        let root = s.default_caller();
        let user = s
            .create_user(
                &root,
                NewUser {
                    name: "mallory".into(),
                    ..Default::default()
                },
            )
            .unwrap();
        let mallory = Caller::user(&user);
        for index in 0..10 {
            let document = expensive_deny(740);
            assert!(document.len() <= 6_144, "{}", document.len());
            let arn = s
                .create_policy(
                    &root,
                    NewPolicy {
                        name: format!("p{index}"),
                        path: None,
                        document,
                        description: None,
                        tags: vec![],
                    },
                )
                .unwrap()
                .arn;
            s.attach_policy(&root, PrincipalKind::User, "mallory", &arn)
                .unwrap();
        }
        let mut get_role = request("iam:GetRole", "arn:aws:iam::123456789012:role/x");
        get_role.context = Context::new().with("aws:RequestTag/k", "a".repeat(4_096));
        let started = std::time::Instant::now();
        let verdict = s.verdict(&mallory, &get_role).unwrap();
        assert_eq!(
            verdict,
            budget_denial(),
            "an exhausted budget denies, whatever the policies say"
        );
        let decision = s.authorize(&mallory, &get_role).unwrap();
        assert_eq!(decision.verdict(), budget_denial());
        assert_eq!(
            access_denied_message(&mallory.arn, "iam:GetRole", &get_role.resource, &decision),
            "User: arn:aws:iam::123456789012:user/mallory is not authorized to perform: iam:GetRole on resource: arn:aws:iam::123456789012:role/x because no identity-based policy allows the iam:GetRole action"
        );
        // Both decisions, in a debug build: well under a second.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // A short value costs little: the same policies decide as written
        // (the `Deny` does not apply, so the `Allow` allows).
        get_role.context = Context::new().with("aws:RequestTag/k", "aaaa");
        assert!(s.verdict(&mallory, &get_role).unwrap().is_allowed());
        // The test endpoint's decision answers InvalidInput instead.
        get_role.context = Context::new().with("aws:RequestTag/k", "a".repeat(4_096));
        let answer = s.authorize_with_resource_policy(&mallory, &get_role, None);
        assert!(
            matches!(answer, Err(IamError::InvalidInput(m)) if m.contains("more evaluation work"))
        );
    }
}
