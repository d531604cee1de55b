//! Users, roles and groups as holders of policies: AWS's rules for their
//! inline policies, attached managed policies, permissions boundaries and
//! tags, written once and parameterised by the [`PrincipalKind`].
//!
//! [`apply_change`] is a pure function over the entity a [`HolderChange`]
//! touches; every store backend calls it inside whatever transaction it has
//! (the memory store under its lock, before the SQLite journal records the
//! result), so the quotas and messages are the same everywhere. The service
//! operations (`put_inline_policy(caller, kind, name, …)`, …) are here too:
//! PutRolePolicy, PutUserPolicy and PutGroupPolicy are one function.
//!
//! AWS's messages were seen in AWS's answers for roles and users; the
//! group ones follow the same pattern and are unverified where a comment
//! says so.

use std::sync::Arc;

use ironiam_policy::PolicyKind;

use crate::entities::{policy_size, Group, InlinePolicies, Page, Role, Tag, User};
use crate::error::{IamError, IamResult};
use crate::quotas::Quotas;
use crate::service::{
    check_policy_arn, paginate_indexed, paginate_slice, policy_path_of, validate_policy,
    AttachedPolicy, Caller, IamService,
};
use crate::tags::{self, TagChange};

/// The kinds of IAM entity that hold policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// An IAM user.
    User,
    /// An IAM role.
    Role,
    /// An IAM group (not a principal itself: its users are).
    Group,
}

impl PrincipalKind {
    /// The word AWS's messages use: `user`, `role`, `group`.
    pub fn noun(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
            PrincipalKind::Group => "group",
        }
    }

    /// The capitalised word of quota names: `User`, `Role`, `Group`.
    fn title(self) -> &'static str {
        match self {
            PrincipalKind::User => "User",
            PrincipalKind::Role => "Role",
            PrincipalKind::Group => "Group",
        }
    }

    /// `NoSuchEntity` for an entity of this kind named `name`.
    pub fn no_such(self, name: &str) -> IamError {
        IamError::NoSuchEntity(format!(
            "The {} with name {name} cannot be found.",
            self.noun()
        ))
    }

    /// Whether the kind takes a permissions boundary (AWS: users and roles).
    pub fn has_boundary(self) -> bool {
        self != PrincipalKind::Group
    }

    /// Whether the kind takes tags (AWS: users and roles, not groups).
    pub fn has_tags(self) -> bool {
        self != PrincipalKind::Group
    }

    /// `{Kind}PolicySizeQuota`: the characters of all inline policies of one entity.
    pub fn inline_policy_size(self, quotas: &Quotas) -> usize {
        match self {
            PrincipalKind::User => quotas.user_inline_policy_size,
            PrincipalKind::Role => quotas.role_inline_policy_size,
            PrincipalKind::Group => quotas.group_inline_policy_size,
        }
    }

    /// `PoliciesPer{Kind}`: the managed policies attached to one entity.
    pub fn managed_policies(self, quotas: &Quotas) -> usize {
        match self {
            PrincipalKind::User => quotas.managed_policies_per_user,
            PrincipalKind::Role => quotas.managed_policies_per_role,
            PrincipalKind::Group => quotas.managed_policies_per_group,
        }
    }

    /// AWS's name of the tag quota, `TagsPerUser` / `TagsPerRole`.
    pub fn tag_quota(self) -> String {
        format!("TagsPer{}", self.title())
    }

    /// CreateUser/CreateRole/CreateGroup's checks: the name is free
    /// ignoring case (`taken`) and the account holds fewer than `max` of
    /// the kind (`{Kind}sPerAccount`).
    pub fn check_create(self, name: &str, taken: bool, count: usize, max: usize) -> IamResult<()> {
        if taken {
            return Err(self.already_exists(name));
        }
        if count >= max {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for {}sPerAccount: {max}",
                self.title()
            )));
        }
        Ok(())
    }

    /// `EntityAlreadyExists` for a name taken by an entity of this kind.
    pub fn already_exists(self, name: &str) -> IamError {
        IamError::EntityAlreadyExists(format!("{} with name {name} already exists.", self.title()))
    }
}

/// A change to the policies or tags of one user, role or group, applied
/// atomically by the store through [`apply_change`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolderChange {
    /// Tag{Kind} / Untag{Kind} (users and roles).
    Tags(TagChange),
    /// Put{Kind}Policy: creates or replaces, failing past `max_total_size`.
    PutInlinePolicy {
        /// Policy name.
        name: String,
        /// Document as sent.
        document: String,
        /// `{Kind}PolicySizeQuota`.
        max_total_size: usize,
    },
    /// Delete{Kind}Policy.
    DeleteInlinePolicy(String),
    /// Attach{Kind}Policy; a customer policy must exist in the same store.
    AttachPolicy {
        /// Policy ARN.
        arn: String,
        /// `PoliciesPer{Kind}`.
        max_attached: usize,
    },
    /// Detach{Kind}Policy.
    DetachPolicy(String),
    /// Put/Delete{Kind}PermissionsBoundary (users and roles).
    Boundary(Option<String>),
}

/// What of an entity a [`HolderChange`] may change, borrowed from it.
#[derive(Debug)]
pub struct HolderParts<'a> {
    /// The entity's name, for messages.
    pub name: &'a str,
    /// Its inline policies.
    pub inline_policies: &'a mut InlinePolicies,
    /// Its attached managed policies.
    pub attached_policies: &'a mut Vec<String>,
    /// Its permissions boundary; `None` for a kind without one.
    pub permissions_boundary: Option<&'a mut Option<String>>,
    /// Its tags; `None` for a kind without them.
    pub tags: Option<&'a mut Vec<Tag>>,
}

/// An entity that holds policies, read.
pub trait PolicyHolder {
    /// Its name.
    fn name(&self) -> &str;
    /// Its path.
    fn path(&self) -> &str;
    /// Its ARN.
    fn arn(&self) -> String;
    /// Inline policies by name.
    fn inline_policies(&self) -> &InlinePolicies;
    /// ARNs of attached managed policies, in attachment order.
    fn attached_policies(&self) -> &[String];
    /// The permissions boundary's ARN.
    fn permissions_boundary(&self) -> Option<&str>;
    /// Tags (none for a group).
    fn tags(&self) -> &[Tag];
}

/// An entity that holds policies, changed by [`apply_change`].
pub trait PolicyHolderMut: PolicyHolder + Clone {
    /// Which kind it is.
    const KIND: PrincipalKind;
    /// What a change may touch.
    fn parts(&mut self) -> HolderParts<'_>;
}

/// Users and roles hold everything, so their impls are alike.
macro_rules! full_policy_holder {
    ($entity:ty, $kind:expr) => {
        impl PolicyHolder for $entity {
            fn name(&self) -> &str {
                &self.name
            }
            fn path(&self) -> &str {
                &self.path
            }
            fn arn(&self) -> String {
                <$entity>::arn(self)
            }
            fn inline_policies(&self) -> &InlinePolicies {
                &self.inline_policies
            }
            fn attached_policies(&self) -> &[String] {
                &self.attached_policies
            }
            fn permissions_boundary(&self) -> Option<&str> {
                self.permissions_boundary.as_deref()
            }
            fn tags(&self) -> &[Tag] {
                &self.tags
            }
        }
        impl PolicyHolderMut for $entity {
            const KIND: PrincipalKind = $kind;
            fn parts(&mut self) -> HolderParts<'_> {
                HolderParts {
                    name: &self.name,
                    inline_policies: &mut self.inline_policies,
                    attached_policies: &mut self.attached_policies,
                    permissions_boundary: Some(&mut self.permissions_boundary),
                    tags: Some(&mut self.tags),
                }
            }
        }
    };
}

full_policy_holder!(User, PrincipalKind::User);
full_policy_holder!(Role, PrincipalKind::Role);

impl PolicyHolder for Group {
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn arn(&self) -> String {
        Group::arn(self)
    }
    fn inline_policies(&self) -> &InlinePolicies {
        &self.inline_policies
    }
    fn attached_policies(&self) -> &[String] {
        &self.attached_policies
    }
    fn permissions_boundary(&self) -> Option<&str> {
        None
    }
    fn tags(&self) -> &[Tag] {
        &[]
    }
}

impl PolicyHolderMut for Group {
    const KIND: PrincipalKind = PrincipalKind::Group;
    fn parts(&mut self) -> HolderParts<'_> {
        HolderParts {
            name: &self.name,
            inline_policies: &mut self.inline_policies,
            attached_policies: &mut self.attached_policies,
            permissions_boundary: None,
            tags: None,
        }
    }
}

/// Whether [`apply_change`] changed the entity (attaching an attached
/// policy does not: AWS answers success and nothing changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The entity changed; the store keeps (and journals) it.
    Changed,
    /// Nothing to keep.
    Unchanged,
}

/// How every AWS managed policy's ARN starts.
const AWS_POLICY_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// Applies `change` to the entity of `kind` whose parts are `holder`.
/// `customer_policy_exists` says whether a customer managed policy ARN names
/// one of the entity's account (looked up inside the store's transaction,
/// so a policy deleted meanwhile is not attached). On an error the entity
/// may be half changed: a store applies the change to a copy and keeps it
/// only on success.
pub fn apply_change(
    kind: PrincipalKind,
    holder: HolderParts<'_>,
    change: HolderChange,
    customer_policy_exists: impl Fn(&str) -> bool,
) -> IamResult<Applied> {
    let exists = |arn: &str| arn.starts_with(AWS_POLICY_PREFIX) || customer_policy_exists(arn);
    match change {
        HolderChange::Tags(change) => {
            let tags = holder.tags.ok_or_else(|| not_for(kind, "tags"))?;
            tags::apply(tags, change, &kind.tag_quota())?;
        }
        HolderChange::PutInlinePolicy {
            name,
            document,
            max_total_size,
        } => {
            holder.inline_policies.insert(name, document);
            let size: usize = holder
                .inline_policies
                .values()
                .map(|d| policy_size(d))
                .sum();
            if size > max_total_size {
                return Err(IamError::LimitExceeded(format!(
                    "Maximum policy size of {max_total_size} bytes exceeded for {} {}",
                    kind.noun(),
                    holder.name
                )));
            }
        }
        HolderChange::DeleteInlinePolicy(name) => {
            if holder.inline_policies.remove(&name).is_none() {
                return Err(no_such_inline_policy(kind, &name));
            }
        }
        HolderChange::AttachPolicy { arn, max_attached } => {
            if !exists(&arn) {
                return Err(IamError::NoSuchEntity(format!(
                    "Policy {arn} does not exist or is not attachable."
                )));
            }
            if holder.attached_policies.contains(&arn) {
                // Attaching twice is a no-op in AWS, even at the quota.
                return Ok(Applied::Unchanged);
            }
            if holder.attached_policies.len() >= max_attached {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for PoliciesPer{}: {max_attached}",
                    kind.title()
                )));
            }
            holder.attached_policies.push(arn);
        }
        HolderChange::DetachPolicy(arn) => {
            let before = holder.attached_policies.len();
            holder.attached_policies.retain(|a| *a != arn);
            if holder.attached_policies.len() == before {
                return Err(IamError::NoSuchEntity(format!(
                    "Policy {arn} was not found."
                )));
            }
        }
        HolderChange::Boundary(arn) => {
            let boundary = holder
                .permissions_boundary
                .ok_or_else(|| not_for(kind, "a permissions boundary"))?;
            if let Some(arn) = &arn {
                if !exists(arn) {
                    return Err(no_such_boundary(arn));
                }
            }
            *boundary = arn;
        }
    }
    Ok(Applied::Changed)
}

/// A change the kind does not take: the API has no operation for it, so
/// only a programming error reaches this.
fn not_for(kind: PrincipalKind, what: &str) -> IamError {
    IamError::Internal(format!("a {} has no {what}", kind.noun()))
}

/// `NoSuchEntity` for a boundary ARN naming no attachable policy.
fn no_such_boundary(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "Scope ARN: {arn} does not exist or is not attachable."
    ))
}

/// `NoSuchEntity` for an inline policy the entity does not have.
pub fn no_such_inline_policy(kind: PrincipalKind, policy_name: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "The {} policy with name {policy_name} cannot be found.",
        kind.noun()
    ))
}

/// DeleteUser/DeleteRole/DeleteGroup's checks on the entity's policies:
/// none attached, then none inline, each with AWS's message.
pub fn check_no_policies(holder: &dyn PolicyHolder) -> IamResult<()> {
    if !holder.attached_policies().is_empty() {
        return Err(IamError::DeleteConflict(
            "Cannot delete entity, must detach all policies first.".to_string(),
        ));
    }
    if !holder.inline_policies().is_empty() {
        return Err(IamError::DeleteConflict(
            "Cannot delete entity, must delete policies first.".to_string(),
        ));
    }
    Ok(())
}

/// One user, role or group, as read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A user.
    User(Arc<User>),
    /// A role.
    Role(Arc<Role>),
    /// A group.
    Group(Arc<Group>),
}

impl Holder {
    /// The entity, read through what every holder has.
    pub fn get(&self) -> &dyn PolicyHolder {
        match self {
            Holder::User(u) => &**u,
            Holder::Role(r) => &**r,
            Holder::Group(g) => &**g,
        }
    }
}

/// An inline policy as Get{Kind}Policy answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePolicy {
    /// The holder's name as stored.
    pub holder_name: String,
    /// PolicyName.
    pub policy_name: String,
    /// The document as sent.
    pub document: String,
}

fn max_items(max: Option<i64>) -> usize {
    max.unwrap_or(100).clamp(1, 1000) as usize
}

impl IamService {
    /// The user, role or group of `kind` named `name` in the caller's account.
    pub fn holder(&self, caller: &Caller, kind: PrincipalKind, name: &str) -> IamResult<Holder> {
        let account = &caller.account_id;
        Ok(match kind {
            PrincipalKind::User => Holder::User(self.store.get_user(account, name)?),
            PrincipalKind::Role => Holder::Role(self.store.get_role(account, name)?),
            PrincipalKind::Group => Holder::Group(self.store.get_group(account, name)?),
        })
    }

    fn change_holder(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        change: HolderChange,
    ) -> IamResult<()> {
        self.store
            .update_holder(&caller.account_id, kind, name, change)
    }

    /// Checks a permissions boundary's ARN names an attachable policy.
    pub(crate) fn check_boundary(&self, caller: &Caller, arn: &str) -> IamResult<()> {
        check_policy_arn(arn)?;
        self.check_attachable(&caller.account_id, arn)
            .map_err(|e| match e {
                IamError::NoSuchEntity(_) => no_such_boundary(arn),
                // A store failure stays one.
                other => other,
            })
    }

    /// Tag{Kind}.
    pub fn tag(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        tags: Vec<Tag>,
    ) -> IamResult<()> {
        tags::check_no_duplicate_keys(&tags)?;
        let max_tags = self.quotas().tags_per_resource;
        let change = HolderChange::Tags(TagChange::Tag { tags, max_tags });
        self.change_holder(caller, kind, name, change)
    }

    /// Untag{Kind}.
    pub fn untag(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        keys: Vec<String>,
    ) -> IamResult<()> {
        let change = HolderChange::Tags(TagChange::Untag(keys));
        self.change_holder(caller, kind, name, change)
    }

    /// List{Kind}Tags: in the order they were added.
    pub fn list_tags(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        marker: Option<&str>,
        max: Option<i64>,
    ) -> IamResult<Page<Tag>> {
        let holder = self.holder(caller, kind, name)?;
        paginate_indexed(holder.get().tags(), marker, max)
    }

    /// Put{Kind}Policy.
    pub fn put_inline_policy(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        policy_name: String,
        document: String,
    ) -> IamResult<()> {
        validate_policy(&document, PolicyKind::Identity)?;
        let change = HolderChange::PutInlinePolicy {
            name: policy_name,
            document,
            max_total_size: kind.inline_policy_size(self.quotas()),
        };
        self.change_holder(caller, kind, name, change)
    }

    /// Get{Kind}Policy: the document as stored.
    pub fn get_inline_policy(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        policy_name: &str,
    ) -> IamResult<InlinePolicy> {
        let holder = self.holder(caller, kind, name)?;
        let holder = holder.get();
        let document = holder
            .inline_policies()
            .get(policy_name)
            .cloned()
            .ok_or_else(|| no_such_inline_policy(kind, policy_name))?;
        Ok(InlinePolicy {
            holder_name: holder.name().to_string(),
            policy_name: policy_name.to_string(),
            document,
        })
    }

    /// Delete{Kind}Policy.
    pub fn delete_inline_policy(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        policy_name: &str,
    ) -> IamResult<()> {
        let change = HolderChange::DeleteInlinePolicy(policy_name.to_string());
        self.change_holder(caller, kind, name, change)
    }

    /// List{Kind}Policies: inline policy names, sorted.
    pub fn list_inline_policies(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        marker: Option<&str>,
        max: Option<i64>,
    ) -> IamResult<Page<String>> {
        let holder = self.holder(caller, kind, name)?;
        let names: Vec<String> = holder.get().inline_policies().keys().cloned().collect();
        paginate_slice(&names, |n| n.clone(), marker, max_items(max))
    }

    /// Attach{Kind}Policy.
    pub fn attach_policy(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        arn: &str,
    ) -> IamResult<()> {
        self.check_attachable(&caller.account_id, arn)?;
        let change = HolderChange::AttachPolicy {
            arn: arn.to_string(),
            max_attached: kind.managed_policies(self.quotas()),
        };
        self.change_holder(caller, kind, name, change)
    }

    /// Detach{Kind}Policy.
    pub fn detach_policy(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        arn: &str,
    ) -> IamResult<()> {
        check_policy_arn(arn)?;
        let change = HolderChange::DetachPolicy(arn.to_string());
        self.change_holder(caller, kind, name, change)
    }

    /// ListAttached{Kind}Policies: in attachment order, filtered by the
    /// policies' path.
    pub fn list_attached_policies(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max: Option<i64>,
    ) -> IamResult<Page<AttachedPolicy>> {
        let holder = self.holder(caller, kind, name)?;
        let prefix = path_prefix.unwrap_or("/");
        let attached: Vec<AttachedPolicy> = holder
            .get()
            .attached_policies()
            .iter()
            .filter(|arn| policy_path_of(arn).starts_with(prefix))
            .map(|arn| AttachedPolicy {
                name: arn.rsplit('/').next().unwrap_or(arn).to_string(),
                arn: arn.clone(),
            })
            .collect();
        paginate_indexed(&attached, marker, max)
    }

    /// Put{Kind}PermissionsBoundary.
    pub fn put_permissions_boundary(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
        arn: &str,
    ) -> IamResult<()> {
        self.check_boundary(caller, arn)?;
        let change = HolderChange::Boundary(Some(arn.to_string()));
        self.change_holder(caller, kind, name, change)
    }

    /// Delete{Kind}PermissionsBoundary.
    pub fn delete_permissions_boundary(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        name: &str,
    ) -> IamResult<()> {
        self.change_holder(caller, kind, name, HolderChange::Boundary(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> Group {
        crate::conformance::group("Admins")
    }

    fn apply(g: &mut Group, change: HolderChange) -> IamResult<Applied> {
        apply_change(PrincipalKind::Group, g.parts(), change, |arn| {
            arn.ends_with(":policy/Mine")
        })
    }

    #[test]
    fn inline_policy_size_counts_every_policy_without_whitespace() {
        let mut g = group();
        let put = |name: &str, document: &str| HolderChange::PutInlinePolicy {
            name: name.into(),
            document: document.into(),
            max_total_size: 10,
        };
        apply(&mut g, put("a", "01234 56789")).unwrap();
        // Replacing a policy counts its new size, not both.
        apply(&mut g, put("a", "0123")).unwrap();
        assert_eq!(
            apply(&mut g, put("b", "0123456")).unwrap_err(),
            IamError::LimitExceeded(
                "Maximum policy size of 10 bytes exceeded for group Admins".into()
            )
        );
        assert_eq!(
            apply(&mut group(), HolderChange::DeleteInlinePolicy("x".into())).unwrap_err(),
            IamError::NoSuchEntity("The group policy with name x cannot be found.".into())
        );
    }

    #[test]
    fn attaching_needs_the_policy_and_respects_the_quota() {
        let mut g = group();
        let attach = |arn: &str| HolderChange::AttachPolicy {
            arn: arn.into(),
            max_attached: 1,
        };
        let mine = "arn:aws:iam::123456789012:policy/Mine";
        assert_eq!(
            apply(&mut g, attach("arn:aws:iam::123456789012:policy/Gone")).unwrap_err(),
            IamError::NoSuchEntity(
                "Policy arn:aws:iam::123456789012:policy/Gone does not exist or is not attachable."
                    .into()
            )
        );
        assert_eq!(apply(&mut g, attach(mine)).unwrap(), Applied::Changed);
        assert_eq!(apply(&mut g, attach(mine)).unwrap(), Applied::Unchanged);
        assert_eq!(
            apply(&mut g, attach("arn:aws:iam::aws:policy/ReadOnlyAccess")).unwrap_err(),
            IamError::LimitExceeded("Cannot exceed quota for PoliciesPerGroup: 1".into())
        );
        apply(&mut g, HolderChange::DetachPolicy(mine.into())).unwrap();
        assert!(matches!(
            apply(&mut g, HolderChange::DetachPolicy(mine.into())),
            Err(IamError::NoSuchEntity(_))
        ));
    }

    #[test]
    fn groups_have_no_tags_or_boundary() {
        let mut g = group();
        assert!(matches!(
            apply(&mut g, HolderChange::Boundary(None)),
            Err(IamError::Internal(_))
        ));
        assert!(matches!(
            apply(&mut g, HolderChange::Tags(TagChange::Untag(vec![]))),
            Err(IamError::Internal(_))
        ));
        assert!(!PrincipalKind::Group.has_tags() && !PrincipalKind::Group.has_boundary());
    }

    #[test]
    fn quotas_and_messages_follow_the_kind() {
        let q = Quotas::default();
        assert_eq!(PrincipalKind::User.inline_policy_size(&q), 2048);
        assert_eq!(PrincipalKind::Role.inline_policy_size(&q), 10_240);
        assert_eq!(PrincipalKind::Group.inline_policy_size(&q), 5120);
        for kind in [
            PrincipalKind::User,
            PrincipalKind::Role,
            PrincipalKind::Group,
        ] {
            assert_eq!(kind.managed_policies(&q), 10);
        }
        assert_eq!(
            PrincipalKind::Group.check_create("Ops", false, 300, 300),
            Err(IamError::LimitExceeded(
                "Cannot exceed quota for GroupsPerAccount: 300".into()
            ))
        );
        assert_eq!(
            PrincipalKind::Role.check_create("r", true, 0, 1),
            Err(IamError::EntityAlreadyExists(
                "Role with name r already exists.".into()
            ))
        );
        assert_eq!(
            PrincipalKind::User.no_such("bob"),
            IamError::NoSuchEntity("The user with name bob cannot be found.".into())
        );
    }
}
