//! The storage interface: domain operations, each atomic, so that every
//! backend (in-memory, SQLite, PostgreSQL) enforces the same invariants
//! (unique names, quotas, no dangling attachments) under concurrency.
//!
//! Every backend runs the one conformance suite in [`crate::conformance`].
//!
//! # Errors: "not there" versus "could not tell"
//!
//! A backend answers `NoSuchEntity` only for what is not there. Anything
//! that keeps it from answering (a database that is unreachable, a
//! serialization failure or deadlock it could not retry, a row it cannot
//! decode) is [`IamError::Internal`](crate::IamError::Internal), with the
//! detail for the log. The code above the store relies on the difference
//! (issue 12 item 3): `NoSuchEntity` is a domain fact it may act on (an
//! attached policy that is not there is left out, a missing role is denied
//! like a forbidden one), through [`Found::found`](crate::Found::found);
//! every other error fails the request with `500 ServiceFailure`, so an
//! authorization never goes on without a policy, group, boundary or
//! resource it could not read. A backend that answered `NoSuchEntity` for
//! a failure would make authorization fail open. [`crate::faulty`] injects
//! such failures in tests.

use std::collections::HashMap;
use std::sync::Arc;

use crate::entities::{
    AccessKey, AccessKeyStatus, AccessKeyUse, CustomerPolicy, Group, InstanceProfile, LoginProfile,
    OidcProvider, Page, PrincipalBinding, Role, RoleLastUsed, Tag, User,
};
use crate::error::IamResult;
use crate::holders::{HolderChange, PrincipalKind};
use crate::password::{PasswordHash, PasswordPolicy};

/// A change to one role, applied atomically by the store. Its policies and
/// tags change through [`HolderChange`], as every holder's do.
#[derive(Debug, Clone)]
pub enum RoleChange {
    /// UpdateRole / UpdateRoleDescription.
    Update {
        /// New description, if given.
        description: Option<String>,
        /// New maximum session duration, if given.
        max_session_duration: Option<i64>,
    },
    /// UpdateAssumeRolePolicy (already validated), with the principals it
    /// names bound to their unique ids.
    TrustPolicy {
        /// The document as sent.
        document: String,
        /// The users and roles it names.
        principals: Vec<PrincipalBinding>,
    },
}

/// A change to one customer managed policy, applied atomically by the
/// store through the rules of [`crate::policies`].
#[derive(Debug, Clone)]
pub enum PolicyChange {
    /// CreatePolicyVersion.
    AddVersion {
        /// Document as sent.
        document: String,
        /// Make it the default.
        set_as_default: bool,
        /// Creation time.
        now: i64,
        /// Versions allowed.
        max_versions: usize,
    },
    /// SetDefaultPolicyVersion.
    SetDefault {
        /// Version id.
        version_id: String,
        /// Update time.
        now: i64,
    },
    /// DeletePolicyVersion.
    DeleteVersion(String),
    /// TagPolicy: adds or overwrites, failing past `max_tags`.
    Tag {
        /// Tags to add or overwrite.
        tags: Vec<Tag>,
        /// Quota of tags per policy.
        max_tags: usize,
    },
    /// UntagPolicy: removes keys; absent keys are ignored as AWS does.
    Untag(Vec<String>),
}

/// A change to one user, applied atomically by the store. Its policies and
/// tags change through [`HolderChange`], as every holder's do.
#[derive(Debug, Clone)]
pub enum UserChange {
    /// UpdateUser: a new name and/or path. A new name must be free
    /// (ignoring case) in the account.
    Rename {
        /// NewUserName.
        new_name: Option<String>,
        /// NewPath.
        new_path: Option<String>,
    },
    /// CreateAccessKey, failing past `max_keys`.
    AddAccessKey {
        /// The new key (secret sealed).
        key: AccessKey,
        /// `AccessKeysPerUser`.
        max_keys: usize,
    },
    /// UpdateAccessKey.
    SetAccessKeyStatus {
        /// AccessKeyId.
        access_key_id: String,
        /// Status.
        status: AccessKeyStatus,
    },
    /// DeleteAccessKey.
    DeleteAccessKey(String),
    /// CreateLoginProfile: `EntityAlreadyExists` if the user has one.
    CreateLoginProfile(LoginProfile),
    /// UpdateLoginProfile: `NoSuchEntity` if the user has no login profile.
    UpdateLoginProfile {
        /// A new password's hash, if given.
        password_hash: Option<PasswordHash>,
        /// A new PasswordResetRequired, if given.
        password_reset_required: Option<bool>,
    },
    /// DeleteLoginProfile: `NoSuchEntity` if the user has no login profile.
    DeleteLoginProfile,
    /// ChangePassword, after the caller verified the old password against
    /// `verified` (outside the store's lock: hashing is slow). Applies only
    /// if the stored hash is still `verified`; otherwise the password changed
    /// meanwhile and the old one is no longer right. Clears
    /// PasswordResetRequired.
    ChangePassword {
        /// The hash the old password was verified against.
        verified: PasswordHash,
        /// The new password's hash.
        new_hash: PasswordHash,
    },
}

/// A change to one OpenID Connect provider, applied atomically by the
/// store through [`crate::oidc::apply_change`].
#[derive(Debug, Clone)]
pub enum OidcChange {
    /// AddClientIDToOpenIDConnectProvider (adding a present id changes nothing).
    AddClientId(String),
    /// RemoveClientIDFromOpenIDConnectProvider (removing an absent id changes nothing).
    RemoveClientId(String),
    /// UpdateOpenIDConnectProviderThumbprint.
    Thumbprints(Vec<String>),
    /// TagOpenIDConnectProvider: adds or overwrites, failing past `max_tags`.
    Tag {
        /// Tags to add or overwrite.
        tags: Vec<Tag>,
        /// Quota of tags per provider.
        max_tags: usize,
    },
    /// UntagOpenIDConnectProvider: removes keys; absent keys are ignored.
    Untag(Vec<String>),
}

/// A change to one instance profile, applied atomically by the store
/// through the rules of [`crate::instance_profiles`].
#[derive(Debug, Clone)]
pub enum InstanceProfileChange {
    /// AddRoleToInstanceProfile: the role must exist; `LimitExceeded` past
    /// `max_roles`.
    AddRole {
        /// RoleName.
        role_name: String,
        /// Roles allowed per profile (AWS: 1, not raisable).
        max_roles: usize,
    },
    /// RemoveRoleFromInstanceProfile.
    RemoveRole(String),
    /// TagInstanceProfile: adds or overwrites, failing past `max_tags`.
    Tag {
        /// Tags to add or overwrite.
        tags: Vec<Tag>,
        /// Quota of tags per instance profile.
        max_tags: usize,
    },
    /// UntagInstanceProfile: removes keys; absent keys are ignored.
    Untag(Vec<String>),
}

/// A change to one group, applied atomically by the store through the
/// rules of [`crate::groups`]. Its policies change through [`HolderChange`].
#[derive(Debug, Clone)]
pub enum GroupChange {
    /// UpdateGroup: a new name and/or path. A new name must be free
    /// (ignoring case) in the account; members and policies stay.
    Rename {
        /// NewGroupName.
        new_name: Option<String>,
        /// NewPath.
        new_path: Option<String>,
    },
    /// AddUserToGroup: the user must exist; `LimitExceeded` once the user
    /// is in `max_groups_per_user` groups.
    AddUser {
        /// UserName.
        user_name: String,
        /// `GroupsPerUser`.
        max_groups_per_user: usize,
    },
    /// RemoveUserFromGroup.
    RemoveUser(String),
}

/// How much a policy is used in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyUsage {
    /// Roles it is attached to.
    pub attached_roles: Vec<Arc<Role>>,
    /// Users it is attached to.
    pub attached_users: Vec<Arc<User>>,
    /// Groups it is attached to.
    pub attached_groups: Vec<Arc<Group>>,
    /// Entities (roles and users) using it as permissions boundary.
    pub boundary_count: usize,
}

impl PolicyUsage {
    /// `AttachmentCount`: users, groups and roles it is attached to.
    pub fn attachment_count(&self) -> usize {
        self.attached_roles.len() + self.attached_users.len() + self.attached_groups.len()
    }
}

/// Where a role listing starts and how long it is.
#[derive(Debug, Clone, Copy)]
pub struct ListRange<'a> {
    /// Only entities whose path starts with this.
    pub path_prefix: &'a str,
    /// The `Marker` of a previous page.
    pub marker: Option<&'a str>,
    /// `MaxItems`.
    pub max_items: usize,
}

/// Why a storage backend could not open (a data directory, a database):
/// said to the operator at start-up, before anything is served.
#[derive(Debug)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OpenError {}

/// The domain storage interface.
pub trait Store: Send + Sync + 'static {
    /// Inserts a new role; `EntityAlreadyExists` if the name is taken ignoring case,
    /// `LimitExceeded` past `max_roles`.
    fn create_role(&self, role: Role, max_roles: usize) -> IamResult<Arc<Role>>;
    /// A role by name, ignoring case.
    fn get_role(&self, account: &str, name: &str) -> IamResult<Arc<Role>>;
    /// Roles ordered by name ignoring case.
    fn list_roles(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<Role>>>;
    /// Applies one change atomically and returns the new role.
    fn update_role(&self, account: &str, name: &str, change: RoleChange) -> IamResult<Arc<Role>>;
    /// Applies one change to the policies or tags of the user, role or
    /// group `name` (ignoring case), atomically, through
    /// [`crate::holders::apply_change`].
    fn update_holder(
        &self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
        change: HolderChange,
    ) -> IamResult<()>;
    /// Deletes a role with no policies attached or embedded and in no
    /// instance profile (`DeleteConflict` otherwise), and its recorded last use.
    fn delete_role(&self, account: &str, name: &str) -> IamResult<()>;
    /// Notes that a session of the role `role_id` (named `role_name` in
    /// `account`) was used. Nothing is recorded unless that very role exists:
    /// a session outlives its role, and a role re-created under the same
    /// name is a new role (a new id) with no history, as in AWS. Best
    /// effort, like [`Store::record_access_key_use`]: a backend may
    /// coalesce frequent uses.
    fn record_role_use(
        &self,
        account: &str,
        role_name: &str,
        role_id: &str,
        used: RoleLastUsed,
    ) -> IamResult<()>;
    /// The last recorded use of the role with id `role_id`.
    fn role_last_used(&self, role_id: &str) -> IamResult<Option<RoleLastUsed>>;

    /// Inserts a customer managed policy.
    fn create_policy(
        &self,
        policy: CustomerPolicy,
        max_policies: usize,
    ) -> IamResult<Arc<CustomerPolicy>>;
    /// A customer managed policy by ARN.
    fn get_policy(&self, account: &str, arn: &str) -> IamResult<Arc<CustomerPolicy>>;
    /// All customer managed policies of an account, ordered by name ignoring case.
    fn list_policies(&self, account: &str) -> IamResult<Vec<Arc<CustomerPolicy>>>;
    /// Applies one change to a customer managed policy.
    fn update_policy(
        &self,
        account: &str,
        arn: &str,
        change: PolicyChange,
    ) -> IamResult<Arc<CustomerPolicy>>;
    /// Deletes a policy attached nowhere (`DeleteConflict` otherwise).
    fn delete_policy(&self, account: &str, arn: &str) -> IamResult<()>;

    /// Inserts a new user; `EntityAlreadyExists` if the name is taken ignoring case,
    /// `LimitExceeded` past `max_users`.
    fn create_user(&self, user: User, max_users: usize) -> IamResult<Arc<User>>;
    /// A user by name, ignoring case.
    fn get_user(&self, account: &str, name: &str) -> IamResult<Arc<User>>;
    /// The user of `account` whose unique id is `user_id`, whatever its
    /// name now (a user can be renamed; its id never changes). `None` once
    /// it is deleted: a user created again under the same name has another id.
    fn user_by_id(&self, account: &str, user_id: &str) -> IamResult<Option<Arc<User>>>;
    /// Users ordered by name ignoring case.
    fn list_users(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<User>>>;
    /// Applies one change atomically and returns the new user.
    fn update_user(&self, account: &str, name: &str, change: UserChange) -> IamResult<Arc<User>>;
    /// Deletes a user with no login profile, no access keys, no policies
    /// and in no group (`DeleteConflict` otherwise).
    fn delete_user(&self, account: &str, name: &str) -> IamResult<()>;
    /// The user owning access key `access_key_id`, in any account.
    fn find_access_key(&self, access_key_id: &str) -> IamResult<Option<Arc<User>>>;
    /// Notes that an access key was used. Best effort: AWS itself reports
    /// last use approximately, so a backend may coalesce frequent uses.
    fn record_access_key_use(&self, access_key_id: &str, used: AccessKeyUse) -> IamResult<()>;
    /// The last recorded use of an access key.
    fn access_key_last_used(&self, access_key_id: &str) -> IamResult<Option<AccessKeyUse>>;

    /// Inserts an OpenID Connect provider; `EntityAlreadyExists` if one
    /// with the same URL exists in the account.
    fn create_oidc_provider(&self, provider: OidcProvider) -> IamResult<Arc<OidcProvider>>;
    /// A provider by ARN.
    fn get_oidc_provider(&self, account: &str, arn: &str) -> IamResult<Arc<OidcProvider>>;
    /// Every provider of an account, by ARN.
    fn list_oidc_providers(&self, account: &str) -> IamResult<Vec<Arc<OidcProvider>>>;
    /// Applies one change to a provider.
    fn update_oidc_provider(
        &self,
        account: &str,
        arn: &str,
        change: OidcChange,
    ) -> IamResult<Arc<OidcProvider>>;
    /// Deletes a provider.
    fn delete_oidc_provider(&self, account: &str, arn: &str) -> IamResult<()>;

    /// Inserts an instance profile; `EntityAlreadyExists` if the name is
    /// taken ignoring case, `LimitExceeded` past `max_profiles`.
    fn create_instance_profile(
        &self,
        profile: InstanceProfile,
        max_profiles: usize,
    ) -> IamResult<Arc<InstanceProfile>>;
    /// An instance profile by name, ignoring case.
    fn get_instance_profile(&self, account: &str, name: &str) -> IamResult<Arc<InstanceProfile>>;
    /// Instance profiles ordered by name ignoring case.
    fn list_instance_profiles(
        &self,
        account: &str,
        range: ListRange<'_>,
    ) -> IamResult<Page<Arc<InstanceProfile>>>;
    /// The instance profiles holding the role `role_name` (which must
    /// exist), ordered by name ignoring case.
    fn list_instance_profiles_for_role(
        &self,
        account: &str,
        role_name: &str,
        range: ListRange<'_>,
    ) -> IamResult<Page<Arc<InstanceProfile>>>;
    /// Applies one change atomically and returns the new profile.
    fn update_instance_profile(
        &self,
        account: &str,
        name: &str,
        change: InstanceProfileChange,
    ) -> IamResult<Arc<InstanceProfile>>;
    /// Deletes an instance profile without roles (`DeleteConflict` otherwise).
    fn delete_instance_profile(&self, account: &str, name: &str) -> IamResult<()>;

    /// Inserts a new group; `EntityAlreadyExists` if the name is taken
    /// ignoring case, `LimitExceeded` past `max_groups`.
    fn create_group(&self, group: Group, max_groups: usize) -> IamResult<Arc<Group>>;
    /// A group by name, ignoring case.
    fn get_group(&self, account: &str, name: &str) -> IamResult<Arc<Group>>;
    /// Groups ordered by name ignoring case.
    fn list_groups(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<Group>>>;
    /// Applies one change atomically and returns the new group.
    fn update_group(&self, account: &str, name: &str, change: GroupChange)
        -> IamResult<Arc<Group>>;
    /// Deletes a group without users and policies (`DeleteConflict` otherwise).
    fn delete_group(&self, account: &str, name: &str) -> IamResult<()>;
    /// The group `name` and one page of its users, ordered by name ignoring
    /// case (`range.path_prefix` filters the users' paths).
    fn group_users(
        &self,
        account: &str,
        name: &str,
        range: ListRange<'_>,
    ) -> IamResult<(Arc<Group>, Page<Arc<User>>)>;
    /// The groups the user `user_name` (which must exist) is in, ordered by
    /// name ignoring case.
    fn groups_for_user(
        &self,
        account: &str,
        user_name: &str,
        range: ListRange<'_>,
    ) -> IamResult<Page<Arc<Group>>>;

    /// The account's password policy, if one is set.
    fn get_password_policy(&self, account: &str) -> IamResult<Option<PasswordPolicy>>;
    /// Sets (replaces) the account's password policy.
    fn put_password_policy(&self, account: &str, policy: PasswordPolicy) -> IamResult<()>;
    /// Removes the account's password policy (`NoSuchEntity` if none is set).
    fn delete_password_policy(&self, account: &str) -> IamResult<()>;

    /// Usage of every policy (managed or AWS) that is attached or used as a boundary.
    fn policy_usage(&self, account: &str) -> IamResult<HashMap<String, PolicyUsage>>;

    /// Forgets everything (the test-suite reset endpoint).
    fn reset(&self) -> IamResult<()>;

    /// Runs `writes` (calls of this store on this thread) so that their
    /// changes become durable in one commit where the backend can (SQLite's
    /// group commit, [`crate::memory::MemoryStore::in_one_commit`]); none
    /// is visible elsewhere before that commit. `Err` if that commit failed:
    /// then none of the writes may be acknowledged. By default each write
    /// commits on its own.
    fn in_one_commit(&self, writes: &mut dyn FnMut()) -> IamResult<()> {
        writes();
        Ok(())
    }

    /// Journals the last uses of access keys and roles that are known in
    /// memory but not journaled yet (their journal writes are throttled), so
    /// that a clean shutdown loses none of them.
    fn flush_uses(&self) -> IamResult<()> {
        Ok(())
    }

    /// How current this store's view is proven to be, for a store that
    /// follows a database other processes write to (PostgreSQL); `None` for
    /// one that is its own source of truth (memory, SQLite), which is never
    /// stale. Past its bound the server refuses every request rather than
    /// answer or authorize from the view.
    fn freshness(&self) -> Option<Arc<crate::freshness::Freshness>> {
        None
    }
}
