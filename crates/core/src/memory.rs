//! The in-memory store: the authoritative state for `--in-memory`, and the
//! read cache of the SQLite backend, which passes a [`Journal`] that makes
//! each change durable before it becomes visible.
//!
//! All writers take one lock; a change is computed on a copy, journaled, and
//! only then swapped in, so a failed write to disk leaves memory unchanged.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::entities::{CustomerPolicy, Page, PolicyVersion, Role};
use crate::error::{IamError, IamResult};
use crate::store::{ListRange, PolicyChange, PolicyUsage, RoleChange, Store};

/// One change to make durable.
#[derive(Debug)]
pub enum Change<'a> {
    /// Insert or replace a role (keyed by role id).
    PutRole(&'a Role),
    /// Delete a role.
    DeleteRole(&'a Role),
    /// Insert or replace a customer managed policy (keyed by policy id).
    PutPolicy(&'a CustomerPolicy),
    /// Delete a customer managed policy.
    DeletePolicy(&'a CustomerPolicy),
    /// Delete everything.
    Reset,
}

/// Makes changes durable. Called with the write lock held; returns only once
/// the change would survive the process being killed.
pub trait Journal: Send + Sync + 'static {
    /// Persists one change atomically.
    fn record(&self, change: Change<'_>) -> IamResult<()>;
}

/// No durability: `--in-memory`.
#[derive(Debug, Default)]
pub struct NoJournal;

impl Journal for NoJournal {
    fn record(&self, _: Change<'_>) -> IamResult<()> {
        Ok(())
    }
}

#[derive(Debug, Default)]
struct AccountState {
    /// Keyed by lowercased name: AWS names are unique ignoring case.
    roles: BTreeMap<String, Arc<Role>>,
    /// Keyed by lowercased name.
    policies: BTreeMap<String, Arc<CustomerPolicy>>,
}

/// The in-memory store.
pub struct MemoryStore<J: Journal = NoJournal> {
    accounts: RwLock<HashMap<String, AccountState>>,
    journal: J,
}

impl MemoryStore<NoJournal> {
    /// An empty, non-durable store.
    pub fn new() -> Self {
        Self::with_journal(NoJournal, Vec::new(), Vec::new())
    }
}

impl Default for MemoryStore<NoJournal> {
    fn default() -> Self {
        Self::new()
    }
}

impl<J: Journal> MemoryStore<J> {
    /// A store holding `roles` and `policies` (loaded from disk) that
    /// journals every later change.
    pub fn with_journal(journal: J, roles: Vec<Role>, policies: Vec<CustomerPolicy>) -> Self {
        let mut accounts: HashMap<String, AccountState> = HashMap::new();
        for role in roles {
            accounts
                .entry(role.account_id.clone())
                .or_default()
                .roles
                .insert(role.name.to_lowercase(), Arc::new(role));
        }
        for policy in policies {
            accounts
                .entry(policy.account_id.clone())
                .or_default()
                .policies
                .insert(policy.name.to_lowercase(), Arc::new(policy));
        }
        MemoryStore { accounts: RwLock::new(accounts), journal }
    }

    /// The journal, for backends that need to reach it.
    pub fn journal(&self) -> &J {
        &self.journal
    }
}

fn no_such_role(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

/// The name part of a policy ARN (`…:policy/path/NAME`).
fn policy_name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn find_policy<'a>(state: Option<&'a AccountState>, arn: &str) -> Option<&'a Arc<CustomerPolicy>> {
    state?
        .policies
        .get(&policy_name_of(arn).to_lowercase())
        .filter(|p| p.arn() == arn)
}

fn not_attachable(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

/// Markers are opaque to clients; ours carry the sort key of the last item
/// returned, hex-encoded, so a listing resumes correctly even after deletes.
pub fn encode_marker(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The inverse of [`encode_marker`]; `InvalidInput` for anything else.
pub fn decode_marker(marker: &str) -> IamResult<String> {
    let invalid = || IamError::InvalidInput("Invalid Marker.".to_string());
    if !marker.len().is_multiple_of(2) || marker.len() > 2048 {
        return Err(invalid());
    }
    let bytes = (0..marker.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(marker.get(i..i + 2).ok_or_else(invalid)?, 16).map_err(|_| invalid()))
        .collect::<IamResult<Vec<u8>>>()?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

/// Returns one page of `(key, value)` pairs that pass `keep`, after `marker`.
pub fn paginate<'a, T: Clone + 'a>(
    entries: impl Iterator<Item = (&'a String, &'a T)>,
    keep: impl Fn(&T) -> bool,
    marker: Option<&str>,
    max_items: usize,
) -> IamResult<Page<T>> {
    let after = marker.map(decode_marker).transpose()?;
    let mut items = Vec::new();
    let mut last_key: Option<&String> = None;
    let mut more = false;
    for (key, value) in entries {
        if after.as_ref().is_some_and(|a| key.as_str() <= a.as_str()) || !keep(value) {
            continue;
        }
        if items.len() == max_items {
            more = true;
            break;
        }
        items.push(value.clone());
        last_key = Some(key);
    }
    let marker = if more { last_key.map(|k| encode_marker(k)) } else { None };
    Ok(Page { items, marker })
}

impl<J: Journal> Store for MemoryStore<J> {
    fn create_role(&self, role: Role, max_roles: usize) -> IamResult<Arc<Role>> {
        let mut accounts = self.accounts.write();
        let state = accounts.entry(role.account_id.clone()).or_default();
        let key = role.name.to_lowercase();
        if state.roles.contains_key(&key) {
            return Err(IamError::EntityAlreadyExists(format!(
                "Role with name {} already exists.",
                role.name
            )));
        }
        if state.roles.len() >= max_roles {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for RolesPerAccount: {max_roles}"
            )));
        }
        self.journal.record(Change::PutRole(&role))?;
        let role = Arc::new(role);
        state.roles.insert(key, role.clone());
        Ok(role)
    }

    fn get_role(&self, account: &str, name: &str) -> IamResult<Arc<Role>> {
        self.accounts
            .read()
            .get(account)
            .and_then(|s| s.roles.get(&name.to_lowercase()).cloned())
            .ok_or_else(|| no_such_role(name))
    }

    fn list_roles(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<Role>>> {
        let accounts = self.accounts.read();
        let Some(state) = accounts.get(account) else {
            return paginate(std::iter::empty(), |_| true, range.marker, range.max_items);
        };
        paginate(
            state.roles.iter(),
            |r: &Arc<Role>| r.path.starts_with(range.path_prefix),
            range.marker,
            range.max_items,
        )
    }

    fn update_role(&self, account: &str, name: &str, change: RoleChange) -> IamResult<Arc<Role>> {
        let mut accounts = self.accounts.write();
        let key = name.to_lowercase();
        let state = accounts.get_mut(account).ok_or_else(|| no_such_role(name))?;
        let current = state.roles.get(&key).ok_or_else(|| no_such_role(name))?;
        let mut role = Role::clone(current);
        match change {
            RoleChange::Update { description, max_session_duration } => {
                if let Some(d) = description {
                    role.description = Some(d);
                }
                if let Some(m) = max_session_duration {
                    role.max_session_duration = m;
                }
            }
            RoleChange::TrustPolicy(doc) => role.assume_role_policy_document = doc,
            RoleChange::Tag { tags, max_tags } => {
                for tag in tags {
                    // AWS treats tag keys case-insensitively when matching an existing tag.
                    match role.tags.iter_mut().find(|t| t.key.eq_ignore_ascii_case(&tag.key)) {
                        Some(existing) => *existing = tag,
                        None => role.tags.push(tag),
                    }
                }
                if role.tags.len() > max_tags {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for TagsPerRole: {max_tags}"
                    )));
                }
            }
            RoleChange::Untag(keys) => {
                role.tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)))
            }
            RoleChange::PutInlinePolicy { name: policy_name, document, max_total_size } => {
                role.inline_policies.insert(policy_name, document);
                if role.inline_policy_size() > max_total_size {
                    return Err(IamError::LimitExceeded(format!(
                        "Maximum policy size of {max_total_size} bytes exceeded for role {}",
                        role.name
                    )));
                }
            }
            RoleChange::DeleteInlinePolicy(policy_name) => {
                if role.inline_policies.remove(&policy_name).is_none() {
                    return Err(IamError::NoSuchEntity(format!(
                        "The role policy with name {policy_name} cannot be found."
                    )));
                }
            }
            RoleChange::AttachPolicy { arn, max_attached } => {
                let is_aws = arn.starts_with("arn:aws:iam::aws:policy/");
                if !is_aws && find_policy(Some(state), &arn).is_none() {
                    return Err(not_attachable(&arn));
                }
                if role.attached_policies.contains(&arn) {
                    // Attaching twice is a no-op in AWS.
                    return Ok(current.clone());
                }
                if role.attached_policies.len() >= max_attached {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for PoliciesPerRole: {max_attached}"
                    )));
                }
                role.attached_policies.push(arn);
            }
            RoleChange::DetachPolicy(arn) => {
                let before = role.attached_policies.len();
                role.attached_policies.retain(|a| *a != arn);
                if role.attached_policies.len() == before {
                    return Err(IamError::NoSuchEntity(format!("Policy {arn} was not found.")));
                }
            }
            RoleChange::Boundary(arn) => {
                if let Some(arn) = &arn {
                    let is_aws = arn.starts_with("arn:aws:iam::aws:policy/");
                    if !is_aws && find_policy(Some(state), arn).is_none() {
                        return Err(IamError::NoSuchEntity(format!(
                            "Scope ARN: {arn} does not exist or is not attachable."
                        )));
                    }
                }
                role.permissions_boundary = arn;
            }
        }
        self.journal.record(Change::PutRole(&role))?;
        let role = Arc::new(role);
        state.roles.insert(key, role.clone());
        Ok(role)
    }

    fn delete_role(&self, account: &str, name: &str) -> IamResult<()> {
        let mut accounts = self.accounts.write();
        let key = name.to_lowercase();
        let state = accounts.get_mut(account).ok_or_else(|| no_such_role(name))?;
        let role = state.roles.get(&key).ok_or_else(|| no_such_role(name))?;
        if !role.attached_policies.is_empty() {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must detach all policies first.".to_string(),
            ));
        }
        if !role.inline_policies.is_empty() {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must delete policies first.".to_string(),
            ));
        }
        self.journal.record(Change::DeleteRole(role))?;
        state.roles.remove(&key);
        Ok(())
    }

    fn create_policy(&self, policy: CustomerPolicy, max_policies: usize) -> IamResult<Arc<CustomerPolicy>> {
        let mut accounts = self.accounts.write();
        let state = accounts.entry(policy.account_id.clone()).or_default();
        let key = policy.name.to_lowercase();
        if state.policies.contains_key(&key) {
            return Err(IamError::EntityAlreadyExists(format!(
                "A policy called {} already exists. Duplicate names are not allowed.",
                policy.name
            )));
        }
        if state.policies.len() >= max_policies {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for PoliciesPerAccount: {max_policies}"
            )));
        }
        self.journal.record(Change::PutPolicy(&policy))?;
        let policy = Arc::new(policy);
        state.policies.insert(key, policy.clone());
        Ok(policy)
    }

    fn get_policy(&self, account: &str, arn: &str) -> IamResult<Arc<CustomerPolicy>> {
        find_policy(self.accounts.read().get(account), arn)
            .cloned()
            .ok_or_else(|| IamError::NoSuchEntity(format!("Policy {arn} was not found.")))
    }

    fn list_policies(&self, account: &str) -> IamResult<Vec<Arc<CustomerPolicy>>> {
        Ok(self
            .accounts
            .read()
            .get(account)
            .map(|s| s.policies.values().cloned().collect())
            .unwrap_or_default())
    }

    fn update_policy(&self, account: &str, arn: &str, change: PolicyChange) -> IamResult<Arc<CustomerPolicy>> {
        let mut accounts = self.accounts.write();
        let state = accounts.get_mut(account);
        let current = find_policy(state.as_deref(), arn)
            .cloned()
            .ok_or_else(|| IamError::NoSuchEntity(format!("Policy {arn} was not found.")))?;
        let mut policy = CustomerPolicy::clone(&current);
        match change {
            PolicyChange::AddVersion { document, set_as_default, now, max_versions } => {
                if policy.versions.len() >= max_versions {
                    return Err(IamError::LimitExceeded(format!(
                        "A managed policy can have up to {max_versions} versions. Before you create a new version, you must delete an existing version."
                    )));
                }
                let version_id = format!("v{}", policy.next_version);
                policy.next_version += 1;
                policy.versions.push(PolicyVersion { version_id: version_id.clone(), document, create_date: now });
                if set_as_default {
                    policy.default_version_id = version_id;
                }
                policy.update_date = now;
            }
            PolicyChange::SetDefault { version_id, now } => {
                if !policy.versions.iter().any(|v| v.version_id == version_id) {
                    return Err(IamError::NoSuchEntity(format!(
                        "Policy {arn} version {version_id} does not exist or is not attachable."
                    )));
                }
                policy.default_version_id = version_id;
                policy.update_date = now;
            }
            PolicyChange::DeleteVersion(version_id) => {
                if policy.default_version_id == version_id {
                    return Err(IamError::DeleteConflict(
                        "Cannot delete the default version of a policy.".to_string(),
                    ));
                }
                let before = policy.versions.len();
                policy.versions.retain(|v| v.version_id != version_id);
                if policy.versions.len() == before {
                    return Err(IamError::NoSuchEntity(format!(
                        "Policy {arn} version {version_id} does not exist or is not deletable."
                    )));
                }
            }
        }
        self.journal.record(Change::PutPolicy(&policy))?;
        let policy = Arc::new(policy);
        if let Some(state) = accounts.get_mut(account) {
            state.policies.insert(policy.name.to_lowercase(), policy.clone());
        }
        Ok(policy)
    }

    fn delete_policy(&self, account: &str, arn: &str) -> IamResult<()> {
        let mut accounts = self.accounts.write();
        let state = accounts.get_mut(account);
        let policy = find_policy(state.as_deref(), arn)
            .cloned()
            .ok_or_else(|| IamError::NoSuchEntity(format!("Policy {arn} was not found.")))?;
        let state = accounts.get_mut(account).ok_or_else(|| IamError::Internal("account vanished".into()))?;
        if state.roles.values().any(|r| r.attached_policies.iter().any(|a| a == arn)) {
            return Err(IamError::DeleteConflict(
                "Cannot delete a policy attached to entities.".to_string(),
            ));
        }
        self.journal.record(Change::DeletePolicy(&policy))?;
        state.policies.remove(&policy.name.to_lowercase());
        Ok(())
    }

    fn policy_usage(&self, account: &str) -> IamResult<HashMap<String, PolicyUsage>> {
        let accounts = self.accounts.read();
        let mut usage: HashMap<String, PolicyUsage> = HashMap::new();
        if let Some(state) = accounts.get(account) {
            for role in state.roles.values() {
                for arn in &role.attached_policies {
                    usage.entry(arn.clone()).or_default().attached_roles.push(role.clone());
                }
                if let Some(arn) = &role.permissions_boundary {
                    usage.entry(arn.clone()).or_default().boundary_count += 1;
                }
            }
        }
        Ok(usage)
    }

    fn reset(&self) -> IamResult<()> {
        let mut accounts = self.accounts.write();
        self.journal.record(Change::Reset)?;
        accounts.clear();
        Ok(())
    }
}
