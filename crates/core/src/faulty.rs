//! A store that fails on purpose, for tests (issue 12 item 3, "failures
//! surface, never fail open").
//!
//! [`FaultyStore`] delegates every call to a [`MemoryStore`], except the
//! calls it is told to fail: those answer [`IamError::Internal`], which is
//! what a database that is unreachable, or a transaction that cannot be
//! retried, looks like to the domain. Tests use it to show that such a
//! failure surfaces (an error, an HTTP 500 `ServiceFailure`) and that an
//! authorization which cannot read a policy it needs denies instead of
//! skipping the policy.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::entities::{
    AccessKeyUse, CustomerPolicy, Group, InstanceProfile, OidcProvider, Page, Role, RoleLastUsed,
    User,
};
use crate::error::{IamError, IamResult};
use crate::holders::{HolderChange, PrincipalKind};
use crate::memory::MemoryStore;
use crate::password::PasswordPolicy;
use crate::store::{
    GroupChange, InstanceProfileChange, ListRange, OidcChange, PolicyChange, PolicyUsage,
    RoleChange, Store, UserChange,
};

/// The detail every injected failure carries: it names a file, as a real
/// backend's error might, so that a test can check that the detail is
/// logged and never sent to the caller.
pub const FAULT_DETAIL: &str = "injected store failure (/var/lib/ironiam/state.db)";

/// A [`MemoryStore`] whose chosen calls fail with [`IamError::Internal`].
///
/// A fault names a [`Store`] method (`"get_policy"`, `"groups_for_user"`,
/// `"list_users"`…) and the key it fails for: the ARN for calls that take
/// one, the name (ignoring case) for calls that take a name, the access key
/// or role id for those, and the account for the others; `"*"` fails every
/// call of that method.
#[derive(Default)]
pub struct FaultyStore {
    inner: MemoryStore,
    faults: RwLock<Vec<(&'static str, String)>>,
}

impl FaultyStore {
    /// A store that fails nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on, `call` fails for `key` (`"*"`: for every key).
    pub fn fail(&self, call: &'static str, key: &str) {
        self.faults.write().push((call, key.to_string()));
    }

    /// From now on, nothing fails.
    pub fn heal(&self) {
        self.faults.write().clear();
    }

    fn check(&self, call: &'static str, key: &str) -> IamResult<()> {
        let failing = self
            .faults
            .read()
            .iter()
            .any(|(c, k)| *c == call && (k == "*" || k.eq_ignore_ascii_case(key)));
        if failing {
            return Err(IamError::Internal(format!("{FAULT_DETAIL}: {call}({key})")));
        }
        Ok(())
    }
}

impl Store for FaultyStore {
    fn create_role(&self, role: Role, max_roles: usize) -> IamResult<Arc<Role>> {
        self.check("create_role", &role.name)?;
        self.inner.create_role(role, max_roles)
    }
    fn get_role(&self, account: &str, name: &str) -> IamResult<Arc<Role>> {
        self.check("get_role", name)?;
        self.inner.get_role(account, name)
    }
    fn list_roles(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<Role>>> {
        self.check("list_roles", account)?;
        self.inner.list_roles(account, range)
    }
    fn update_role(&self, account: &str, name: &str, change: RoleChange) -> IamResult<Arc<Role>> {
        self.check("update_role", name)?;
        self.inner.update_role(account, name, change)
    }
    fn update_holder(
        &self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
        change: HolderChange,
    ) -> IamResult<()> {
        self.check("update_holder", name)?;
        self.inner.update_holder(account, kind, name, change)
    }
    fn delete_role(&self, account: &str, name: &str) -> IamResult<()> {
        self.check("delete_role", name)?;
        self.inner.delete_role(account, name)
    }
    fn record_role_use(
        &self,
        account: &str,
        role_name: &str,
        role_id: &str,
        used: RoleLastUsed,
    ) -> IamResult<()> {
        self.check("record_role_use", role_id)?;
        self.inner
            .record_role_use(account, role_name, role_id, used)
    }
    fn role_last_used(&self, role_id: &str) -> IamResult<Option<RoleLastUsed>> {
        self.check("role_last_used", role_id)?;
        self.inner.role_last_used(role_id)
    }

    fn create_policy(
        &self,
        policy: CustomerPolicy,
        max_policies: usize,
    ) -> IamResult<Arc<CustomerPolicy>> {
        self.check("create_policy", &policy.name)?;
        self.inner.create_policy(policy, max_policies)
    }
    fn get_policy(&self, account: &str, arn: &str) -> IamResult<Arc<CustomerPolicy>> {
        self.check("get_policy", arn)?;
        self.inner.get_policy(account, arn)
    }
    fn list_policies(&self, account: &str) -> IamResult<Vec<Arc<CustomerPolicy>>> {
        self.check("list_policies", account)?;
        self.inner.list_policies(account)
    }
    fn update_policy(
        &self,
        account: &str,
        arn: &str,
        change: PolicyChange,
    ) -> IamResult<Arc<CustomerPolicy>> {
        self.check("update_policy", arn)?;
        self.inner.update_policy(account, arn, change)
    }
    fn delete_policy(&self, account: &str, arn: &str) -> IamResult<()> {
        self.check("delete_policy", arn)?;
        self.inner.delete_policy(account, arn)
    }

    fn create_user(&self, user: User, max_users: usize) -> IamResult<Arc<User>> {
        self.check("create_user", &user.name)?;
        self.inner.create_user(user, max_users)
    }
    fn get_user(&self, account: &str, name: &str) -> IamResult<Arc<User>> {
        self.check("get_user", name)?;
        self.inner.get_user(account, name)
    }
    fn user_by_id(&self, account: &str, user_id: &str) -> IamResult<Option<Arc<User>>> {
        self.check("user_by_id", user_id)?;
        self.inner.user_by_id(account, user_id)
    }
    fn list_users(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<User>>> {
        self.check("list_users", account)?;
        self.inner.list_users(account, range)
    }
    fn update_user(&self, account: &str, name: &str, change: UserChange) -> IamResult<Arc<User>> {
        self.check("update_user", name)?;
        self.inner.update_user(account, name, change)
    }
    fn delete_user(&self, account: &str, name: &str) -> IamResult<()> {
        self.check("delete_user", name)?;
        self.inner.delete_user(account, name)
    }
    fn find_access_key(&self, access_key_id: &str) -> IamResult<Option<Arc<User>>> {
        self.check("find_access_key", access_key_id)?;
        self.inner.find_access_key(access_key_id)
    }
    fn record_access_key_use(&self, access_key_id: &str, used: AccessKeyUse) -> IamResult<()> {
        self.check("record_access_key_use", access_key_id)?;
        self.inner.record_access_key_use(access_key_id, used)
    }
    fn access_key_last_used(&self, access_key_id: &str) -> IamResult<Option<AccessKeyUse>> {
        self.check("access_key_last_used", access_key_id)?;
        self.inner.access_key_last_used(access_key_id)
    }

    fn create_oidc_provider(&self, provider: OidcProvider) -> IamResult<Arc<OidcProvider>> {
        self.check("create_oidc_provider", &provider.account_id)?;
        self.inner.create_oidc_provider(provider)
    }
    fn get_oidc_provider(&self, account: &str, arn: &str) -> IamResult<Arc<OidcProvider>> {
        self.check("get_oidc_provider", arn)?;
        self.inner.get_oidc_provider(account, arn)
    }
    fn list_oidc_providers(&self, account: &str) -> IamResult<Vec<Arc<OidcProvider>>> {
        self.check("list_oidc_providers", account)?;
        self.inner.list_oidc_providers(account)
    }
    fn update_oidc_provider(
        &self,
        account: &str,
        arn: &str,
        change: OidcChange,
    ) -> IamResult<Arc<OidcProvider>> {
        self.check("update_oidc_provider", arn)?;
        self.inner.update_oidc_provider(account, arn, change)
    }
    fn delete_oidc_provider(&self, account: &str, arn: &str) -> IamResult<()> {
        self.check("delete_oidc_provider", arn)?;
        self.inner.delete_oidc_provider(account, arn)
    }

    fn create_instance_profile(
        &self,
        profile: InstanceProfile,
        max_profiles: usize,
    ) -> IamResult<Arc<InstanceProfile>> {
        self.check("create_instance_profile", &profile.name)?;
        self.inner.create_instance_profile(profile, max_profiles)
    }
    fn get_instance_profile(&self, account: &str, name: &str) -> IamResult<Arc<InstanceProfile>> {
        self.check("get_instance_profile", name)?;
        self.inner.get_instance_profile(account, name)
    }
    fn list_instance_profiles(
        &self,
        account: &str,
        range: ListRange<'_>,
    ) -> IamResult<Page<Arc<InstanceProfile>>> {
        self.check("list_instance_profiles", account)?;
        self.inner.list_instance_profiles(account, range)
    }
    fn list_instance_profiles_for_role(
        &self,
        account: &str,
        role_name: &str,
        range: ListRange<'_>,
    ) -> IamResult<Page<Arc<InstanceProfile>>> {
        self.check("list_instance_profiles_for_role", role_name)?;
        self.inner
            .list_instance_profiles_for_role(account, role_name, range)
    }
    fn update_instance_profile(
        &self,
        account: &str,
        name: &str,
        change: InstanceProfileChange,
    ) -> IamResult<Arc<InstanceProfile>> {
        self.check("update_instance_profile", name)?;
        self.inner.update_instance_profile(account, name, change)
    }
    fn delete_instance_profile(&self, account: &str, name: &str) -> IamResult<()> {
        self.check("delete_instance_profile", name)?;
        self.inner.delete_instance_profile(account, name)
    }

    fn create_group(&self, group: Group, max_groups: usize) -> IamResult<Arc<Group>> {
        self.check("create_group", &group.name)?;
        self.inner.create_group(group, max_groups)
    }
    fn get_group(&self, account: &str, name: &str) -> IamResult<Arc<Group>> {
        self.check("get_group", name)?;
        self.inner.get_group(account, name)
    }
    fn list_groups(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<Group>>> {
        self.check("list_groups", account)?;
        self.inner.list_groups(account, range)
    }
    fn update_group(
        &self,
        account: &str,
        name: &str,
        change: GroupChange,
    ) -> IamResult<Arc<Group>> {
        self.check("update_group", name)?;
        self.inner.update_group(account, name, change)
    }
    fn delete_group(&self, account: &str, name: &str) -> IamResult<()> {
        self.check("delete_group", name)?;
        self.inner.delete_group(account, name)
    }
    fn group_users(
        &self,
        account: &str,
        name: &str,
        range: ListRange<'_>,
    ) -> IamResult<(Arc<Group>, Page<Arc<User>>)> {
        self.check("group_users", name)?;
        self.inner.group_users(account, name, range)
    }
    fn groups_for_user(
        &self,
        account: &str,
        user_name: &str,
        range: ListRange<'_>,
    ) -> IamResult<Page<Arc<Group>>> {
        self.check("groups_for_user", user_name)?;
        self.inner.groups_for_user(account, user_name, range)
    }

    fn get_password_policy(&self, account: &str) -> IamResult<Option<PasswordPolicy>> {
        self.check("get_password_policy", account)?;
        self.inner.get_password_policy(account)
    }
    fn put_password_policy(&self, account: &str, policy: PasswordPolicy) -> IamResult<()> {
        self.check("put_password_policy", account)?;
        self.inner.put_password_policy(account, policy)
    }
    fn delete_password_policy(&self, account: &str) -> IamResult<()> {
        self.check("delete_password_policy", account)?;
        self.inner.delete_password_policy(account)
    }

    fn policy_usage(&self, account: &str) -> IamResult<HashMap<String, PolicyUsage>> {
        self.check("policy_usage", account)?;
        self.inner.policy_usage(account)
    }

    fn reset(&self) -> IamResult<()> {
        self.check("reset", "*")?;
        self.inner.reset()
    }

    fn flush_uses(&self) -> IamResult<()> {
        self.check("flush_uses", "*")?;
        self.inner.flush_uses()
    }

    /// The writes run; then the group's commit fails if told to (a
    /// group commit whose `COMMIT` failed).
    fn in_one_commit(&self, writes: &mut dyn FnMut()) -> IamResult<()> {
        self.inner.in_one_commit(writes)?;
        self.check("in_one_commit", "*")
    }
}

/// Issue 12 item 3: a store failure on the authorization and credential
/// paths is an error (`ServiceFailure`), never a decision made without what
/// could not be read, and never the caller's fault (`NoSuchEntity`,
/// `AccessDenied`, `MalformedPolicyDocument`).
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ironiam_policy::Context;

    use super::FaultyStore;
    use crate::authorize::AuthzRequest;
    use crate::clock::FixedClock;
    use crate::error::IamError;
    use crate::holders::{HolderChange, PrincipalKind};
    use crate::instance_profiles::NewInstanceProfile;
    use crate::service::{Caller, IamService, NewPolicy, NewRole, Paging, Settings};
    use crate::store::Store;
    use crate::sts::{AssumeCheck, AssumeRoleInput};
    use crate::users::NewUser;

    const ACCOUNT: &str = "123456789012";
    const ALLOW_ALL: &str =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    const DENY_GET_ROLE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:GetRole","Resource":"*"}}"#;
    const ALLOW_GET_ROLE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}}"#;

    fn service() -> (IamService, Arc<FaultyStore>) {
        let store = Arc::new(FaultyStore::new());
        let service = IamService::new(
            store.clone(),
            Arc::new(FixedClock::new(1_800_000_000)),
            Settings::default(),
        );
        (service, store)
    }

    fn user(s: &IamService, name: &str) -> Caller {
        let user = s
            .create_user(
                &s.default_caller(),
                NewUser {
                    name: name.into(),
                    ..Default::default()
                },
            )
            .unwrap();
        Caller::user(&user)
    }

    /// A customer managed policy named `name`, attached to the user,
    /// role or group `holder`; its ARN.
    fn attached(
        s: &IamService,
        kind: PrincipalKind,
        holder: &str,
        name: &str,
        doc: &str,
    ) -> String {
        let root = s.default_caller();
        let arn = s
            .create_policy(
                &root,
                NewPolicy {
                    name: name.into(),
                    path: None,
                    document: doc.into(),
                    description: None,
                    tags: vec![],
                },
            )
            .unwrap()
            .arn;
        s.attach_policy(&root, kind, holder, &arn).unwrap();
        arn
    }

    fn get_role() -> AuthzRequest {
        AuthzRequest {
            action: "iam:GetRole".into(),
            resource: format!("arn:aws:iam::{ACCOUNT}:role/x"),
            resource_account: None,
            context: Context::new(),
        }
    }

    fn is_store_failure<T: std::fmt::Debug>(answer: Result<T, IamError>) -> bool {
        matches!(answer, Err(IamError::Internal(ref detail)) if detail.starts_with(super::FAULT_DETAIL))
    }

    /// (a) The Deny lives in the policy that cannot be read: before issue 12
    /// item 3 the policy was skipped and the user's Allow allowed.
    #[test]
    fn a_deny_that_cannot_be_read_fails_the_request() {
        let (s, store) = service();
        let alice = user(&s, "alice");
        s.put_inline_policy(
            &s.default_caller(),
            PrincipalKind::User,
            "alice",
            "all".into(),
            ALLOW_ALL.into(),
        )
        .unwrap();
        let deny = attached(&s, PrincipalKind::User, "alice", "deny", DENY_GET_ROLE);
        assert!(!s.verdict(&alice, &get_role()).unwrap().is_allowed());
        store.fail("get_policy", &deny);
        assert!(is_store_failure(s.verdict(&alice, &get_role())));
        assert!(is_store_failure(s.authorize(&alice, &get_role())));
        // The same Deny through one of the user's groups.
        store.heal();
        let root = s.default_caller();
        s.detach_policy(&root, PrincipalKind::User, "alice", &deny)
            .unwrap();
        s.create_group(&root, "auditors".into(), None).unwrap();
        s.add_user_to_group(&root, "auditors", "alice").unwrap();
        s.attach_policy(&root, PrincipalKind::Group, "auditors", &deny)
            .unwrap();
        assert!(!s.verdict(&alice, &get_role()).unwrap().is_allowed());
        store.fail("get_policy", &deny);
        assert!(is_store_failure(s.verdict(&alice, &get_role())));
        // The user's groups themselves cannot be read.
        store.heal();
        store.fail("groups_for_user", "alice");
        assert!(is_store_failure(s.verdict(&alice, &get_role())));
        store.heal();
        assert!(!s.verdict(&alice, &get_role()).unwrap().is_allowed());
    }

    /// (b) The Allow lives in the policy that cannot be read: an error, not
    /// a decision (and so never an allow).
    #[test]
    fn an_allow_that_cannot_be_read_fails_the_request() {
        let (s, store) = service();
        let bob = user(&s, "bob");
        let allow = attached(&s, PrincipalKind::User, "bob", "allow", ALLOW_GET_ROLE);
        assert!(s.verdict(&bob, &get_role()).unwrap().is_allowed());
        store.fail("get_policy", &allow);
        assert!(is_store_failure(s.verdict(&bob, &get_role())));
        assert!(is_store_failure(s.authorize(&bob, &get_role())));
    }

    /// A permissions boundary that cannot be read fails the request; one
    /// naming a policy that is not there (a domain fact: an AWS managed
    /// policy this build's catalog lacks) allows nothing, and an attached
    /// one is left out, as AWS leaves a policy with nothing in it.
    #[test]
    fn a_boundary_that_cannot_be_read_fails_and_one_that_is_not_there_allows_nothing() {
        let (s, store) = service();
        let carol = user(&s, "carol");
        let root = s.default_caller();
        s.put_inline_policy(
            &root,
            PrincipalKind::User,
            "carol",
            "all".into(),
            ALLOW_ALL.into(),
        )
        .unwrap();
        let boundary = s
            .create_policy(
                &root,
                NewPolicy {
                    name: "boundary".into(),
                    path: None,
                    document: ALLOW_GET_ROLE.into(),
                    description: None,
                    tags: vec![],
                },
            )
            .unwrap()
            .arn;
        s.put_permissions_boundary(&root, PrincipalKind::User, "carol", &boundary)
            .unwrap();
        assert!(s.verdict(&carol, &get_role()).unwrap().is_allowed());
        store.fail("get_policy", &boundary);
        assert!(is_store_failure(s.verdict(&carol, &get_role())));
        store.heal();

        let unknown = "arn:aws:iam::aws:policy/NoLongerInTheCatalog";
        let change = |change| store.update_holder(ACCOUNT, PrincipalKind::User, "carol", change);
        change(HolderChange::AttachPolicy {
            arn: unknown.into(),
            max_attached: 10,
        })
        .unwrap();
        assert!(
            s.verdict(&carol, &get_role()).unwrap().is_allowed(),
            "an attached policy that is not there is left out"
        );
        change(HolderChange::Boundary(Some(unknown.into()))).unwrap();
        let decision = s.authorize(&carol, &get_role()).unwrap();
        assert_eq!(
            decision.reason("iam:GetRole").unwrap(),
            "because no permissions boundary allows the iam:GetRole action"
        );
    }

    /// (c) SimulatePrincipalPolicy's policies of a principal whose policy
    /// (or group) cannot be read: an error, not a simulation without it.
    #[test]
    fn simulating_a_principal_whose_policy_cannot_be_read_is_an_error() {
        let (s, store) = service();
        let dave = user(&s, "dave");
        let deny = attached(&s, PrincipalKind::User, "dave", "deny", DENY_GET_ROLE);
        let root = s.default_caller();
        assert_eq!(s.principal_policies(&root, &dave.arn).unwrap().0.len(), 1);
        store.fail("get_policy", &deny);
        assert!(is_store_failure(s.principal_policies(&root, &dave.arn)));
        store.heal();
        store.fail("groups_for_user", "dave");
        assert!(is_store_failure(s.principal_policies(&root, &dave.arn)));
        store.heal();
        store.fail("get_user", "dave");
        assert!(is_store_failure(s.caller_for_arn(&dave.arn)));
    }

    /// AssumeRole and the trust policies it reads: a role that cannot be
    /// read is no missing role (AccessDenied), a session policy that cannot
    /// be read no missing one (MalformedPolicyDocument), a principal that
    /// cannot be read no invalid one (MalformedPolicyDocument).
    #[test]
    fn assume_role_and_trust_policies_surface_store_failures() {
        let (s, store) = service();
        let erin = user(&s, "erin");
        s.put_inline_policy(
            &s.default_caller(),
            PrincipalKind::User,
            "erin",
            "all".into(),
            ALLOW_ALL.into(),
        )
        .unwrap();
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"sts:AssumeRole"}}}}"#,
            erin.arn
        );
        let new_role = |name: &str| NewRole {
            name: name.into(),
            trust_policy: trust.clone(),
            ..Default::default()
        };
        s.create_role(&s.default_caller(), new_role("worker"))
            .unwrap();
        let session = attached(&s, PrincipalKind::Role, "worker", "session", ALLOW_GET_ROLE);
        let assume = |policy_arns: Vec<String>| {
            let input = AssumeRoleInput {
                role_arn: format!("arn:aws:iam::{ACCOUNT}:role/worker"),
                session_name: "s".into(),
                policy_arns,
                ..Default::default()
            };
            s.assume_role(&erin, input, AssumeCheck::Full).map(|_| ())
        };
        assume(vec![session.clone()]).unwrap();
        store.fail("get_role", "worker");
        assert!(is_store_failure(assume(Vec::new())));
        store.heal();
        store.fail("get_policy", &session);
        assert!(is_store_failure(assume(vec![session.clone()])));
        store.heal();
        store.fail("get_user", "erin");
        assert!(is_store_failure(
            s.create_role(&s.default_caller(), new_role("other"))
        ));
    }

    /// Reads and listings answer the store's error, never a page with part
    /// of it missing; attaching answers it, never NoSuchEntity.
    #[test]
    fn reads_and_listings_surface_store_failures() {
        let (s, store) = service();
        let root = s.default_caller();
        user(&s, "frank");
        s.create_role(
            &root,
            NewRole {
                name: "web".into(),
                trust_policy: r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#.into(),
                ..Default::default()
            },
        )
        .unwrap();
        s.create_instance_profile(
            &root,
            NewInstanceProfile {
                name: "web".into(),
                ..Default::default()
            },
        )
        .unwrap();
        s.add_role_to_instance_profile(&root, "web", "web").unwrap();
        assert_eq!(s.get_instance_profile(&root, "web").unwrap().roles.len(), 1);
        store.fail("get_role", "web");
        assert!(is_store_failure(s.get_instance_profile(&root, "web")));
        assert!(is_store_failure(
            s.list_instance_profiles(&root, Paging::default())
        ));
        store.fail("list_users", ACCOUNT);
        assert!(is_store_failure(s.list_users(&root, Paging::default())));
        let policy = attached(&s, PrincipalKind::User, "frank", "p", ALLOW_GET_ROLE);
        store.fail("get_policy", &policy);
        assert!(is_store_failure(s.attach_policy(
            &root,
            PrincipalKind::Role,
            "web",
            &policy
        )));
        assert!(is_store_failure(s.put_permissions_boundary(
            &root,
            PrincipalKind::Role,
            "web",
            &policy
        )));
    }

    /// Console sign-in: a user that cannot be read is the store's failure,
    /// not a wrong password.
    #[test]
    fn sign_in_surfaces_a_store_failure() {
        let (s, store) = service();
        user(&s, "grace");
        store.fail("get_user", "grace");
        assert!(is_store_failure(s.sign_in_user(ACCOUNT, "grace", "pw")));
    }
}
