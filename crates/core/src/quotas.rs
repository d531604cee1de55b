//! AWS's IAM quotas, each configurable. Defaults are AWS's documented
//! defaults ("IAM and AWS STS quotas" in the IAM User Guide).

/// Limits enforced on writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    /// `ACLSizePerRole`: characters of a role trust policy (AWS default 2,048, raisable to 4,096).
    pub trust_policy_size: usize,
    /// `PoliciesPerRole`: managed policies attached to one role.
    pub managed_policies_per_role: usize,
    /// `RolePolicySizeQuota`: all inline policies of one role together.
    pub role_inline_policy_size: usize,
    /// Tags per resource.
    pub tags_per_resource: usize,
    /// `RolesPerAccount`.
    pub roles_per_account: usize,
    /// `PoliciesPerAccount`: customer managed policies.
    pub customer_policies_per_account: usize,
    /// Characters of one managed policy document.
    pub managed_policy_size: usize,
    /// Versions kept per managed policy.
    pub versions_per_policy: usize,
    /// `UsersPerAccount`.
    pub users_per_account: usize,
    /// `PoliciesPerUser`: managed policies attached to one user.
    pub managed_policies_per_user: usize,
    /// `UserPolicySizeQuota`: all inline policies of one user together.
    pub user_inline_policy_size: usize,
    /// `AccessKeysPerUser`.
    pub access_keys_per_user: usize,
    /// `InstanceProfilesPerAccount`.
    pub instance_profiles_per_account: usize,
    /// `GroupsPerAccount`.
    pub groups_per_account: usize,
    /// `GroupsPerUser`: groups one user may belong to.
    pub groups_per_user: usize,
    /// `PoliciesPerGroup`: managed policies attached to one group.
    pub managed_policies_per_group: usize,
    /// `GroupPolicySizeQuota`: all inline policies of one group together.
    pub group_inline_policy_size: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            trust_policy_size: 2048,
            managed_policies_per_role: 10,
            role_inline_policy_size: 10_240,
            tags_per_resource: 50,
            roles_per_account: 1000,
            customer_policies_per_account: 1500,
            managed_policy_size: 6144,
            versions_per_policy: 5,
            users_per_account: 5000,
            managed_policies_per_user: 10,
            user_inline_policy_size: 2048,
            access_keys_per_user: 2,
            instance_profiles_per_account: 1000,
            groups_per_account: 300,
            groups_per_user: 10,
            managed_policies_per_group: 10,
            group_inline_policy_size: 5120,
        }
    }
}
