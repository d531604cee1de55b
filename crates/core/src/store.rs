//! The storage interface: domain operations, each atomic, so that every
//! backend (in-memory, SQLite, PostgreSQL) enforces the same invariants
//! (unique names, quotas, no dangling attachments) under concurrency.
//!
//! Every backend runs the one conformance suite in [`crate::conformance`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::entities::{CustomerPolicy, Page, Role, Tag};
use crate::error::IamResult;

/// A change to one role, applied atomically by the store.
#[derive(Debug, Clone)]
pub enum RoleChange {
    /// UpdateRole / UpdateRoleDescription.
    Update {
        /// New description, if given.
        description: Option<String>,
        /// New maximum session duration, if given.
        max_session_duration: Option<i64>,
    },
    /// UpdateAssumeRolePolicy (already validated).
    TrustPolicy(String),
    /// TagRole: adds or overwrites, failing past `max_tags`.
    Tag {
        /// Tags to add or overwrite.
        tags: Vec<Tag>,
        /// Quota of tags per role.
        max_tags: usize,
    },
    /// UntagRole: removes keys; absent keys are ignored as AWS does.
    Untag(Vec<String>),
    /// PutRolePolicy: creates or replaces, failing past `max_total_size`.
    PutInlinePolicy {
        /// Policy name.
        name: String,
        /// Document as sent.
        document: String,
        /// `RolePolicySizeQuota`.
        max_total_size: usize,
    },
    /// DeleteRolePolicy.
    DeleteInlinePolicy(String),
    /// AttachRolePolicy; a customer policy must exist in the same store.
    AttachPolicy {
        /// Policy ARN.
        arn: String,
        /// `PoliciesPerRole`.
        max_attached: usize,
    },
    /// DetachRolePolicy.
    DetachPolicy(String),
    /// PutRolePermissionsBoundary / DeleteRolePermissionsBoundary.
    Boundary(Option<String>),
}

/// A change to one customer managed policy.
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
}

/// How much a policy is used in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyUsage {
    /// Roles (later users and groups) it is attached to.
    pub attached_roles: Vec<Arc<Role>>,
    /// Entities using it as permissions boundary.
    pub boundary_count: usize,
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
    /// Deletes a role with no policies attached or embedded (`DeleteConflict` otherwise).
    fn delete_role(&self, account: &str, name: &str) -> IamResult<()>;

    /// Inserts a customer managed policy.
    fn create_policy(&self, policy: CustomerPolicy, max_policies: usize) -> IamResult<Arc<CustomerPolicy>>;
    /// A customer managed policy by ARN.
    fn get_policy(&self, account: &str, arn: &str) -> IamResult<Arc<CustomerPolicy>>;
    /// All customer managed policies of an account, ordered by name ignoring case.
    fn list_policies(&self, account: &str) -> IamResult<Vec<Arc<CustomerPolicy>>>;
    /// Applies one change to a customer managed policy.
    fn update_policy(&self, account: &str, arn: &str, change: PolicyChange) -> IamResult<Arc<CustomerPolicy>>;
    /// Deletes a policy attached nowhere (`DeleteConflict` otherwise).
    fn delete_policy(&self, account: &str, arn: &str) -> IamResult<()>;

    /// Usage of every policy (managed or AWS) that is attached or used as a boundary.
    fn policy_usage(&self, account: &str) -> IamResult<HashMap<String, PolicyUsage>>;

    /// Forgets everything (the test-suite reset endpoint).
    fn reset(&self) -> IamResult<()>;
}
