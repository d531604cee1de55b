//! The IAM and STS domain: every check AWS makes beyond the API model's
//! shape constraints (which the protocol layer enforces), then one atomic
//! store operation.

use std::collections::HashMap;
use std::sync::Arc;

use ironiam_catalog::{catalog, ManagedPolicy};
use ironiam_policy::PolicyKind;

use crate::clock::{iso8601, Clock};
use crate::crypto::{SecretKey, ServerKey};
use crate::entities::{policy_size, CustomerPolicy, Page, PolicyVersion, Role, Tag};
use crate::error::{Found, IamError, IamResult};
use crate::holders::PrincipalKind;
use crate::ids::unique_id;
use crate::memory::{decode_marker, encode_marker};
use crate::quotas::Quotas;
use crate::session::{SessionClaims, SessionKind};
use crate::store::{ListRange, PolicyChange, PolicyUsage, RoleChange, Store};

/// Who is calling: the principal that authentication established (with
/// `--auth off`, the default account's root for unknown credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account acted in.
    pub account_id: String,
    /// The caller's ARN, as GetCallerIdentity reports it.
    pub arn: String,
    /// The caller's unique id, as GetCallerIdentity reports it (the account
    /// id for root, `AIDA…` for a user, `AROA…:SESSION` for a role session).
    pub user_id: String,
    /// What kind of principal it is.
    pub identity: Identity,
    /// The temporary credentials' claims, when the caller signed with them.
    pub session: Option<Arc<SessionClaims>>,
}

/// The kinds of principal that call ironiam.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An account's root user.
    Root,
    /// An IAM user.
    User {
        /// UserName (as stored when the credentials were resolved).
        name: String,
    },
    /// An unsigned request (only AssumeRoleWithWebIdentity accepts one).
    Anonymous,
    /// A role session (AssumeRole); the claims are in [`Caller::session`].
    AssumedRole {
        /// The role's name.
        role_name: String,
        /// The role's ARN, path included.
        role_arn: String,
    },
}

impl Caller {
    /// The root user of `account_id`.
    pub fn root(account_id: &str) -> Self {
        Caller {
            account_id: account_id.to_string(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id.to_string(),
            identity: Identity::Root,
            session: None,
        }
    }

    /// The caller of an unsigned request.
    pub fn anonymous() -> Self {
        Caller {
            account_id: String::new(),
            arn: String::new(),
            user_id: String::new(),
            identity: Identity::Anonymous,
            session: None,
        }
    }

    /// An IAM user.
    pub fn user(user: &crate::entities::User) -> Self {
        Caller {
            account_id: user.account_id.clone(),
            arn: user.arn(),
            user_id: user.user_id.clone(),
            identity: Identity::User {
                name: user.name.clone(),
            },
            session: None,
        }
    }

    /// The bearer of temporary credentials.
    pub fn from_session(claims: Arc<SessionClaims>) -> Self {
        let identity = match claims.kind {
            SessionKind::AssumedRole => Identity::AssumedRole {
                role_name: claims
                    .principal_arn
                    .rsplit('/')
                    .next()
                    .unwrap_or(&claims.principal_arn)
                    .to_string(),
                role_arn: claims.principal_arn.clone(),
            },
            SessionKind::SessionToken if claims.session_name.is_empty() => Identity::Root,
            SessionKind::SessionToken => Identity::User {
                name: claims.session_name.clone(),
            },
        };
        Caller {
            account_id: claims.account_id.clone(),
            arn: claims.caller_arn(),
            user_id: claims.caller_user_id(),
            identity,
            session: Some(claims),
        }
    }
}

/// Input of CreateRole.
#[derive(Debug, Clone, Default)]
pub struct NewRole {
    /// RoleName.
    pub name: String,
    /// Path (default `/`).
    pub path: Option<String>,
    /// AssumeRolePolicyDocument.
    pub trust_policy: String,
    /// Description.
    pub description: Option<String>,
    /// MaxSessionDuration (default 3600).
    pub max_session_duration: Option<i64>,
    /// PermissionsBoundary ARN.
    pub permissions_boundary: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// Input of CreatePolicy.
#[derive(Debug, Clone, Default)]
pub struct NewPolicy {
    /// PolicyName.
    pub name: String,
    /// Path (default `/`).
    pub path: Option<String>,
    /// PolicyDocument.
    pub document: String,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// `Scope` of ListPolicies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope {
    /// AWS managed and customer managed.
    All,
    /// AWS managed only.
    Aws,
    /// Customer managed only.
    Local,
}

/// `PolicyUsageFilter` of ListPolicies / ListEntitiesForPolicy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageFilter {
    /// Attached as a permissions policy.
    PermissionsPolicy,
    /// Used as a permissions boundary.
    PermissionsBoundary,
}

/// Filters of ListPolicies.
#[derive(Debug, Clone)]
pub struct PolicyFilter {
    /// Scope.
    pub scope: PolicyScope,
    /// OnlyAttached.
    pub only_attached: bool,
    /// PathPrefix.
    pub path_prefix: String,
    /// PolicyUsageFilter.
    pub usage: Option<UsageFilter>,
}

/// A managed policy as GetPolicy / ListPolicies report it, AWS managed or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// PolicyName.
    pub name: String,
    /// PolicyId.
    pub policy_id: String,
    /// Arn.
    pub arn: String,
    /// Path.
    pub path: String,
    /// DefaultVersionId.
    pub default_version_id: String,
    /// AttachmentCount.
    pub attachment_count: usize,
    /// PermissionsBoundaryUsageCount.
    pub boundary_usage_count: usize,
    /// IsAttachable.
    pub is_attachable: bool,
    /// Description.
    pub description: Option<String>,
    /// CreateDate, ISO-8601.
    pub create_date: String,
    /// UpdateDate, ISO-8601.
    pub update_date: String,
    /// Tags (customer managed only).
    pub tags: Vec<Tag>,
}

/// A policy version as GetPolicyVersion / ListPolicyVersions report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// VersionId.
    pub version_id: String,
    /// IsDefaultVersion.
    pub is_default: bool,
    /// CreateDate, ISO-8601.
    pub create_date: String,
    /// Document (None in listings).
    pub document: Option<String>,
}

/// An attached policy: name and ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// PolicyName.
    pub name: String,
    /// PolicyArn.
    pub arn: String,
}

/// Where a listing starts and how long it is, as a request gives it:
/// `PathPrefix` (default `/`), `Marker`, `MaxItems` (default 100, at most 1000).
#[derive(Debug, Clone, Copy, Default)]
pub struct Paging<'a> {
    /// PathPrefix, for the listings that take one.
    pub path_prefix: Option<&'a str>,
    /// Marker.
    pub marker: Option<&'a str>,
    /// MaxItems.
    pub max_items: Option<i64>,
}

impl<'a> Paging<'a> {
    /// The store's range for this paging.
    pub fn range(self) -> ListRange<'a> {
        ListRange {
            path_prefix: self.path_prefix.unwrap_or("/"),
            marker: self.marker,
            max_items: self.max_items.unwrap_or(100).clamp(1, 1000) as usize,
        }
    }
}

/// Settings of the service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The account that unauthenticated callers act in.
    pub default_account: String,
    /// Quotas.
    pub quotas: Quotas,
    /// Seals access-key secrets at rest and session tokens.
    pub server_key: Arc<ServerKey>,
    /// The root users' access keys, configured at start.
    pub root_keys: Vec<RootKey>,
    /// OpenID Connect issuers' signing keys, configured at start.
    pub oidc_keys: Vec<crate::oidc::IssuerKeys>,
}

/// One access key of an account's root user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootKey {
    /// The account (12 digits).
    pub account_id: String,
    /// AccessKeyId.
    pub access_key_id: String,
    /// SecretAccessKey.
    pub secret: SecretKey,
}

impl Default for Settings {
    /// The default account, AWS's quotas and a random server key.
    fn default() -> Self {
        Settings {
            default_account: "123456789012".to_string(),
            quotas: Quotas::default(),
            server_key: Arc::new(ServerKey::generate()),
            root_keys: Vec::new(),
            oidc_keys: Vec::new(),
        }
    }
}

/// The IAM service.
pub struct IamService {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    settings: Settings,
    started_at: i64,
    pub(crate) policy_cache: crate::authorize::PolicyCache,
}

const AWS_POLICY_PREFIX: &str = "arn:aws:iam::aws:policy/";

pub(crate) fn paginate_slice<T: Clone>(
    items: &[T],
    key: impl Fn(&T) -> String,
    marker: Option<&str>,
    max: usize,
) -> IamResult<Page<T>> {
    let after = marker.map(decode_marker).transpose()?;
    let start = match &after {
        Some(a) => items
            .iter()
            .position(|i| key(i).as_str() > a.as_str())
            .unwrap_or(items.len()),
        None => 0,
    };
    let end = (start + max).min(items.len());
    let page = items[start..end].to_vec();
    let marker = (end < items.len() && end > start).then(|| encode_marker(&key(&items[end - 1])));
    Ok(Page {
        items: page,
        marker,
    })
}

pub(crate) fn validate_policy(document: &str, kind: PolicyKind) -> IamResult<()> {
    ironiam_policy::validate(document, kind)
        .map(|_| ())
        .map_err(|e| IamError::MalformedPolicyDocument(e.message().to_string()))
}

fn aws_policy_info(p: &ManagedPolicy, usage: Option<&PolicyUsage>) -> PolicyInfo {
    PolicyInfo {
        name: p.name.to_string(),
        policy_id: p.policy_id.to_string(),
        arn: p.arn.to_string(),
        path: p.path.to_string(),
        default_version_id: p.default_version_id.to_string(),
        attachment_count: usage.map_or(0, PolicyUsage::attachment_count),
        boundary_usage_count: usage.map_or(0, |u| u.boundary_count),
        is_attachable: p.is_attachable,
        description: p.description.map(|d| d.to_string()),
        create_date: p.create_date.to_string(),
        update_date: p.update_date.to_string(),
        tags: Vec::new(),
    }
}

fn customer_policy_info(p: &CustomerPolicy, usage: Option<&PolicyUsage>) -> PolicyInfo {
    PolicyInfo {
        name: p.name.clone(),
        policy_id: p.policy_id.clone(),
        arn: p.arn(),
        path: p.path.clone(),
        default_version_id: p.default_version_id.clone(),
        attachment_count: usage.map_or(0, PolicyUsage::attachment_count),
        boundary_usage_count: usage.map_or(0, |u| u.boundary_count),
        is_attachable: true,
        description: p.description.clone(),
        create_date: iso8601(p.create_date),
        update_date: iso8601(p.update_date),
        tags: p.tags.clone(),
    }
}

/// `arn:aws:iam::(aws|ACCOUNT):policy/…` — anything else is "not valid" as AWS says.
pub(crate) fn check_policy_arn(arn: &str) -> IamResult<()> {
    let invalid = || IamError::InvalidInput(format!("ARN {arn} is not valid."));
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let account_ok =
        account == "aws" || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    let name = resource.strip_prefix("policy/").ok_or_else(invalid)?;
    if !account_ok || name.is_empty() || name.ends_with('/') {
        return Err(invalid());
    }
    Ok(())
}

/// A customer managed policy's ARN: [`check_policy_arn`], and not one of
/// AWS's, which cannot be modified.
fn check_customer_policy_arn(arn: &str) -> IamResult<()> {
    check_policy_arn(arn)?;
    if arn.starts_with(AWS_POLICY_PREFIX) {
        return Err(IamError::UnmodifiableEntity(format!(
            "Policy {arn} is an AWS managed policy and cannot be modified."
        )));
    }
    Ok(())
}

impl IamService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        let started_at = clock.now();
        IamService {
            store,
            clock,
            settings,
            started_at,
            policy_cache: Default::default(),
        }
    }

    /// When the service started, epoch seconds (the root user's CreateDate:
    /// ironiam does not track when an account was created).
    pub fn started_at(&self) -> i64 {
        self.started_at
    }

    /// The clock in use.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The root access key ids of `account`, as configured.
    pub fn root_access_key_ids(&self, account: &str) -> Vec<String> {
        self.settings
            .root_keys
            .iter()
            .filter(|k| k.account_id == account)
            .map(|k| k.access_key_id.clone())
            .collect()
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The caller for requests without authentication.
    pub fn default_caller(&self) -> Caller {
        Caller::root(&self.settings.default_account)
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn quotas(&self) -> &Quotas {
        &self.settings.quotas
    }

    fn check_trust_policy(&self, document: &str) -> IamResult<()> {
        let limit = self.quotas().trust_policy_size;
        if policy_size(document) > limit {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for ACLSizePerRole: {limit}"
            )));
        }
        validate_policy(document, PolicyKind::Trust)
    }

    /// Checks that `arn` names an attachable policy visible to `account`.
    pub(crate) fn check_attachable(&self, account: &str, arn: &str) -> IamResult<()> {
        check_policy_arn(arn)?;
        let not_attachable =
            || IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."));
        if arn.starts_with(AWS_POLICY_PREFIX) {
            match catalog().get(arn) {
                Some(p) if p.is_attachable => Ok(()),
                _ => Err(not_attachable()),
            }
        } else {
            // A policy that cannot be read is the store's failure, not
            // the caller's NoSuchEntity.
            self.store
                .get_policy(account, arn)
                .found()?
                .map(|_| ())
                .ok_or_else(not_attachable)
        }
    }

    // ----- roles -----

    /// CreateRole.
    pub fn create_role(&self, caller: &Caller, input: NewRole) -> IamResult<Arc<Role>> {
        self.check_trust_policy(&input.trust_policy)?;
        let trust_principals = self.bind_trust_principals(&input.trust_policy)?;
        crate::tags::check_new(
            &input.tags,
            self.quotas().tags_per_resource,
            &PrincipalKind::Role.tag_quota(),
        )?;
        if let Some(b) = &input.permissions_boundary {
            self.check_boundary(caller, b)?;
        }
        let role = Role {
            account_id: caller.account_id.clone(),
            role_id: unique_id("AROA"),
            name: input.name,
            path: input.path.unwrap_or_else(|| "/".to_string()),
            create_date: self.clock.now(),
            assume_role_policy_document: input.trust_policy,
            trust_principals,
            description: input.description,
            max_session_duration: input.max_session_duration.unwrap_or(3600),
            permissions_boundary: input.permissions_boundary,
            tags: input.tags,
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
        };
        self.store
            .create_role(role, self.quotas().roles_per_account)
    }

    /// GetRole.
    pub fn get_role(&self, caller: &Caller, name: &str) -> IamResult<Arc<Role>> {
        self.store.get_role(&caller.account_id, name)
    }

    /// ListRoles.
    pub fn list_roles(&self, caller: &Caller, paging: Paging<'_>) -> IamResult<Page<Arc<Role>>> {
        self.store.list_roles(&caller.account_id, paging.range())
    }

    /// UpdateRole / UpdateRoleDescription.
    pub fn update_role(
        &self,
        caller: &Caller,
        name: &str,
        description: Option<String>,
        max_session_duration: Option<i64>,
    ) -> IamResult<Arc<Role>> {
        self.store.update_role(
            &caller.account_id,
            name,
            RoleChange::Update {
                description,
                max_session_duration,
            },
        )
    }

    /// UpdateAssumeRolePolicy.
    pub fn update_assume_role_policy(
        &self,
        caller: &Caller,
        name: &str,
        document: String,
    ) -> IamResult<()> {
        self.check_trust_policy(&document)?;
        let principals = self.bind_trust_principals(&document)?;
        self.store
            .update_role(
                &caller.account_id,
                name,
                RoleChange::TrustPolicy {
                    document,
                    principals,
                },
            )
            .map(|_| ())
    }

    /// DeleteRole.
    pub fn delete_role(&self, caller: &Caller, name: &str) -> IamResult<()> {
        self.store.delete_role(&caller.account_id, name)
    }

    // ----- managed policies -----

    /// CreatePolicy.
    pub fn create_policy(&self, caller: &Caller, input: NewPolicy) -> IamResult<PolicyInfo> {
        let limit = self.quotas().managed_policy_size;
        if policy_size(&input.document) > limit {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for PolicySize: {limit}"
            )));
        }
        validate_policy(&input.document, PolicyKind::Managed)?;
        crate::tags::check_new(
            &input.tags,
            self.quotas().tags_per_resource,
            crate::policies::TAG_QUOTA,
        )?;
        let now = self.clock.now();
        let policy = CustomerPolicy {
            account_id: caller.account_id.clone(),
            policy_id: unique_id("ANPA"),
            name: input.name,
            path: input.path.unwrap_or_else(|| "/".to_string()),
            description: input.description,
            create_date: now,
            update_date: now,
            default_version_id: "v1".to_string(),
            versions: vec![PolicyVersion {
                version_id: "v1".to_string(),
                document: input.document,
                create_date: now,
            }],
            next_version: 2,
            tags: input.tags,
        };
        let p = self
            .store
            .create_policy(policy, self.quotas().customer_policies_per_account)?;
        Ok(customer_policy_info(&p, None))
    }

    /// GetPolicy.
    pub fn get_policy(&self, caller: &Caller, arn: &str) -> IamResult<PolicyInfo> {
        check_policy_arn(arn)?;
        let usage = self.store.policy_usage(&caller.account_id)?;
        if arn.starts_with(AWS_POLICY_PREFIX) {
            let p = catalog()
                .get(arn)
                .ok_or_else(|| IamError::NoSuchEntity(format!("Policy {arn} was not found.")))?;
            return Ok(aws_policy_info(p, usage.get(arn)));
        }
        let p = self.store.get_policy(&caller.account_id, arn)?;
        Ok(customer_policy_info(&p, usage.get(arn)))
    }

    /// GetPolicyVersion.
    pub fn get_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        version_id: &str,
    ) -> IamResult<VersionInfo> {
        check_policy_arn(arn)?;
        let missing =
            || IamError::NoSuchEntity(format!("Policy {arn} version {version_id} does not exist."));
        if arn.starts_with(AWS_POLICY_PREFIX) {
            let c = catalog();
            let p = c
                .get(arn)
                .ok_or_else(|| IamError::NoSuchEntity(format!("Policy {arn} was not found.")))?;
            let info = c
                .versions(p)
                .into_iter()
                .find(|v| v.version_id == version_id)
                .ok_or_else(missing)?;
            let document = c.version_document(p, version_id).ok_or_else(missing)?;
            return Ok(VersionInfo {
                version_id: info.version_id.to_string(),
                is_default: info.is_default,
                create_date: info.create_date.to_string(),
                document: Some(document),
            });
        }
        let p = self.store.get_policy(&caller.account_id, arn)?;
        let v = p
            .versions
            .iter()
            .find(|v| v.version_id == version_id)
            .ok_or_else(missing)?;
        Ok(VersionInfo {
            version_id: v.version_id.clone(),
            is_default: v.version_id == p.default_version_id,
            create_date: iso8601(v.create_date),
            document: Some(v.document.clone()),
        })
    }

    /// ListPolicyVersions.
    pub fn list_policy_versions(
        &self,
        caller: &Caller,
        arn: &str,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> IamResult<Page<VersionInfo>> {
        check_policy_arn(arn)?;
        let versions: Vec<VersionInfo> = if arn.starts_with(AWS_POLICY_PREFIX) {
            let c = catalog();
            let p = c
                .get(arn)
                .ok_or_else(|| IamError::NoSuchEntity(format!("Policy {arn} was not found.")))?;
            c.versions(p)
                .into_iter()
                .map(|v| VersionInfo {
                    version_id: v.version_id.to_string(),
                    is_default: v.is_default,
                    create_date: v.create_date.to_string(),
                    document: None,
                })
                .collect()
        } else {
            let p = self.store.get_policy(&caller.account_id, arn)?;
            // AWS lists the newest version first.
            p.versions
                .iter()
                .rev()
                .map(|v| VersionInfo {
                    version_id: v.version_id.clone(),
                    is_default: v.version_id == p.default_version_id,
                    create_date: iso8601(v.create_date),
                    document: None,
                })
                .collect()
        };
        paginate_indexed(&versions, marker, max_items)
    }

    /// ListPolicies: AWS managed and customer managed policies, ordered by
    /// name ignoring case (then ARN), filtered as AWS filters.
    pub fn list_policies(
        &self,
        caller: &Caller,
        filter: &PolicyFilter,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> IamResult<Page<PolicyInfo>> {
        let usage = self.store.policy_usage(&caller.account_id)?;
        // AWS: OnlyAttached keeps policies attached to a user, group or role
        // (a boundary is not an attachment); PolicyUsageFilter keeps "only
        // permissions policies" or "only the policies used to set permissions
        // boundaries" — read here as policies currently used that way.
        let keep = |arn: &str, path: &str| -> bool {
            let u = usage.get(arn);
            let attached = u.is_some_and(|u| u.attachment_count() > 0);
            let boundary = u.is_some_and(|u| u.boundary_count > 0);
            path.starts_with(filter.path_prefix.as_str())
                && (!filter.only_attached || attached)
                && match filter.usage {
                    Some(UsageFilter::PermissionsPolicy) => attached,
                    Some(UsageFilter::PermissionsBoundary) => boundary,
                    None => true,
                }
        };
        let mut all: Vec<(String, PolicyInfo)> = Vec::new();
        if filter.scope != PolicyScope::Local {
            for p in catalog().iter() {
                if keep(p.arn, p.path) {
                    all.push((
                        format!("{}\u{0}{}", p.name.to_lowercase(), p.arn),
                        aws_policy_info(p, usage.get(p.arn)),
                    ));
                }
            }
        }
        if filter.scope != PolicyScope::Aws {
            for p in self.store.list_policies(&caller.account_id)? {
                let arn = p.arn();
                if keep(&arn, &p.path) {
                    all.push((
                        format!("{}\u{0}{}", p.name.to_lowercase(), arn),
                        customer_policy_info(&p, usage.get(&arn)),
                    ));
                }
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let page = paginate_slice(
            &all,
            |(k, _)| k.clone(),
            marker,
            max_items.unwrap_or(100).clamp(1, 1000) as usize,
        )?;
        Ok(Page {
            items: page.items.into_iter().map(|(_, p)| p).collect(),
            marker: page.marker,
        })
    }

    /// ListEntitiesForPolicy: the roles a policy is attached to (users and groups come later).
    pub fn list_entities_for_policy(
        &self,
        caller: &Caller,
        arn: &str,
        usage_filter: Option<UsageFilter>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> IamResult<Page<Arc<Role>>> {
        // Existence check with AWS's error for an unknown policy.
        self.get_policy(caller, arn)?;
        let usage = self.store.policy_usage(&caller.account_id)?;
        let mut roles: Vec<Arc<Role>> = match usage_filter {
            Some(UsageFilter::PermissionsBoundary) => Vec::new(),
            _ => usage
                .get(arn)
                .map(|u| u.attached_roles.clone())
                .unwrap_or_default(),
        };
        if usage_filter == Some(UsageFilter::PermissionsBoundary) {
            let all = self.store.list_roles(
                &caller.account_id,
                ListRange {
                    path_prefix: "/",
                    marker: None,
                    max_items: usize::MAX,
                },
            )?;
            roles = all
                .items
                .into_iter()
                .filter(|r| r.permissions_boundary.as_deref() == Some(arn))
                .collect();
        }
        paginate_slice(
            &roles,
            |r| r.name.to_lowercase(),
            marker,
            max_items.unwrap_or(100).clamp(1, 1000) as usize,
        )
    }

    /// DeletePolicy.
    pub fn delete_policy(&self, caller: &Caller, arn: &str) -> IamResult<()> {
        check_policy_arn(arn)?;
        if arn.starts_with(AWS_POLICY_PREFIX) {
            return Err(IamError::UnmodifiableEntity(format!(
                "Policy {arn} cannot be deleted."
            )));
        }
        self.store.delete_policy(&caller.account_id, arn)
    }

    /// CreatePolicyVersion.
    pub fn create_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        document: String,
        set_as_default: bool,
    ) -> IamResult<VersionInfo> {
        check_policy_arn(arn)?;
        if arn.starts_with(AWS_POLICY_PREFIX) {
            return Err(IamError::UnmodifiableEntity(format!(
                "Policy {arn} is an AWS managed policy and cannot be modified."
            )));
        }
        let limit = self.quotas().managed_policy_size;
        if policy_size(&document) > limit {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for PolicySize: {limit}"
            )));
        }
        validate_policy(&document, PolicyKind::Managed)?;
        let now = self.clock.now();
        let max_versions = self.quotas().versions_per_policy;
        let p = self.store.update_policy(
            &caller.account_id,
            arn,
            PolicyChange::AddVersion {
                document,
                set_as_default,
                now,
                max_versions,
            },
        )?;
        let v = p
            .versions
            .last()
            .ok_or_else(|| IamError::Internal("policy without versions".into()))?;
        Ok(VersionInfo {
            version_id: v.version_id.clone(),
            is_default: v.version_id == p.default_version_id,
            create_date: iso8601(v.create_date),
            document: None,
        })
    }

    /// SetDefaultPolicyVersion.
    pub fn set_default_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        version_id: &str,
    ) -> IamResult<()> {
        check_policy_arn(arn)?;
        if arn.starts_with(AWS_POLICY_PREFIX) {
            return Err(IamError::UnmodifiableEntity(format!(
                "Policy {arn} is an AWS managed policy and cannot be modified."
            )));
        }
        let now = self.clock.now();
        self.store
            .update_policy(
                &caller.account_id,
                arn,
                PolicyChange::SetDefault {
                    version_id: version_id.to_string(),
                    now,
                },
            )
            .map(|_| ())
    }

    /// DeletePolicyVersion.
    pub fn delete_policy_version(
        &self,
        caller: &Caller,
        arn: &str,
        version_id: &str,
    ) -> IamResult<()> {
        check_policy_arn(arn)?;
        if arn.starts_with(AWS_POLICY_PREFIX) {
            return Err(IamError::UnmodifiableEntity(format!(
                "Policy {arn} is an AWS managed policy and cannot be modified."
            )));
        }
        self.store
            .update_policy(
                &caller.account_id,
                arn,
                PolicyChange::DeleteVersion(version_id.to_string()),
            )
            .map(|_| ())
    }

    /// TagPolicy. AWS managed policies carry no tags of the account's:
    /// tagging one is refused as modifying it (AWS's answer unverified).
    pub fn tag_policy(&self, caller: &Caller, arn: &str, tags: Vec<Tag>) -> IamResult<()> {
        check_customer_policy_arn(arn)?;
        crate::tags::check_no_duplicate_keys(&tags)?;
        let max_tags = self.quotas().tags_per_resource;
        self.store
            .update_policy(
                &caller.account_id,
                arn,
                PolicyChange::Tag { tags, max_tags },
            )
            .map(|_| ())
    }

    /// UntagPolicy.
    pub fn untag_policy(&self, caller: &Caller, arn: &str, keys: Vec<String>) -> IamResult<()> {
        check_customer_policy_arn(arn)?;
        self.store
            .update_policy(&caller.account_id, arn, PolicyChange::Untag(keys))
            .map(|_| ())
    }

    /// ListPolicyTags, in the order the tags were added. An AWS managed
    /// policy has none (AWS's answer for one is unverified).
    pub fn list_policy_tags(
        &self,
        caller: &Caller,
        arn: &str,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> IamResult<Page<Tag>> {
        check_policy_arn(arn)?;
        if arn.starts_with(AWS_POLICY_PREFIX) {
            catalog()
                .get(arn)
                .ok_or_else(|| IamError::NoSuchEntity(format!("Policy {arn} was not found.")))?;
            return paginate_indexed(&[], marker, max_items);
        }
        let p = self.store.get_policy(&caller.account_id, arn)?;
        paginate_indexed(&p.tags, marker, max_items)
    }

    /// Usage counts, for callers that present them (e.g. the console).
    pub fn policy_usage(&self, caller: &Caller) -> IamResult<HashMap<String, PolicyUsage>> {
        self.store.policy_usage(&caller.account_id)
    }
}

/// The path part of a policy ARN: `/service-role/` for
/// `arn:aws:iam::aws:policy/service-role/Name`.
pub fn policy_path_of(arn: &str) -> &str {
    let Some(start) = arn.find(":policy/") else {
        return "/";
    };
    let path_and_name = &arn[start + ":policy".len()..];
    match path_and_name.rfind('/') {
        Some(end) => &path_and_name[..=end],
        None => "/",
    }
}

/// Pages over a list kept in a meaningful order (tags, attachments,
/// versions): the marker is the index of the next item.
pub fn paginate_indexed<T: Clone>(
    items: &[T],
    marker: Option<&str>,
    max_items: Option<i64>,
) -> IamResult<Page<T>> {
    let start = match marker {
        Some(m) => decode_marker(m)?
            .strip_prefix('#')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| IamError::InvalidInput("Invalid Marker.".to_string()))?,
        None => 0,
    };
    let max = max_items.unwrap_or(100).clamp(1, 1000) as usize;
    let end = (start + max).min(items.len());
    Ok(Page {
        items: items[start..end].to_vec(),
        marker: (end < items.len()).then(|| encode_marker(&format!("#{end}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_paths() {
        assert_eq!(
            policy_path_of(
                "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
            ),
            "/service-role/"
        );
        assert_eq!(
            policy_path_of("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
            "/"
        );
        assert_eq!(
            policy_path_of("arn:aws:iam::123456789012:policy/a/b/P"),
            "/a/b/"
        );
    }

    #[test]
    fn policy_arns() {
        assert!(check_policy_arn("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore").is_ok());
        assert!(check_policy_arn("arn:aws:iam::123456789012:policy/x/P").is_ok());
        for bad in [
            "",
            "arn:aws:iam::aws:policy",
            "arn:aws:iam::12345:policy/P",
            "arn:aws:iam::aws:role/R",
            "AmazonSSMManagedInstanceCore",
        ] {
            let e = check_policy_arn(bad).unwrap_err();
            assert_eq!(
                e,
                IamError::InvalidInput(format!("ARN {bad} is not valid."))
            );
        }
    }

    #[test]
    fn indexed_pages_walk_everything_once() {
        let items: Vec<u32> = (0..7).collect();
        let mut seen = Vec::new();
        let mut marker = None;
        loop {
            let page = paginate_indexed(&items, marker.as_deref(), Some(3)).unwrap();
            seen.extend(page.items);
            match page.marker {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        assert_eq!(seen, items);
        assert!(paginate_indexed(&items, Some("zz"), None).is_err());
    }
}
