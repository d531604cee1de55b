//! Instance profiles: AWS's rules for them as pure functions over the
//! entities a change touches (every store backend calls the same ones,
//! inside whatever transaction it has), and the service operations.
//!
//! AWS's messages here were seen in AWS's answers (quoted in public bug
//! reports) unless a comment says they are unverified.

use std::sync::Arc;

use crate::entities::{name_key, InstanceProfile, Page, Role, Tag};
use crate::error::{Found, IamError, IamResult};
use crate::ids::unique_id;
use crate::service::{paginate_indexed, Caller, IamService, Paging};
use crate::store::InstanceProfileChange;
use crate::tags::{self, TagChange};

/// Roles one instance profile may hold. AWS: "An instance profile can
/// contain only one role, and this quota cannot be increased", so it is
/// not among the configurable [`crate::quotas::Quotas`].
pub const ROLES_PER_INSTANCE_PROFILE: usize = 1;

/// DeleteInstanceProfile of a profile with a role, and DeleteRole of a role
/// in a profile: AWS answers both with this `DeleteConflict`.
pub const REMOVE_ROLES_FIRST: &str =
    "Cannot delete entity, must remove roles from instance profile first.";

/// `NoSuchEntity` for an instance profile.
pub fn no_such_instance_profile(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("Instance Profile {name} cannot be found."))
}

fn no_such_role(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

/// CreateInstanceProfile's checks: the name is free ignoring case
/// (`taken`), and the account holds fewer than `max_profiles`.
pub fn check_create(
    name: &str,
    taken: bool,
    profiles_in_account: usize,
    max_profiles: usize,
) -> IamResult<()> {
    if taken {
        return Err(IamError::EntityAlreadyExists(format!(
            "Instance Profile {name} already exists."
        )));
    }
    if profiles_in_account >= max_profiles {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for InstanceProfilesPerAccount: {max_profiles}"
        )));
    }
    Ok(())
}

/// Applies `change` to `profile`. `role` looks a role of the profile's
/// account up by name (ignoring case). On an error `profile` may be half
/// changed: a store applies the change to a copy and keeps it only on success.
pub fn apply_change<'r>(
    profile: &mut InstanceProfile,
    change: InstanceProfileChange,
    role: impl Fn(&str) -> Option<&'r Role>,
) -> IamResult<()> {
    match change {
        InstanceProfileChange::AddRole {
            role_name,
            max_roles,
        } => {
            let role = role(&role_name).ok_or_else(|| no_such_role(&role_name))?;
            // AWS checks the quota first: adding the role a profile already
            // holds answers LimitExceeded too (observed against AWS).
            if profile.roles.len() >= max_roles {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {max_roles}"
                )));
            }
            if profile.has_role(&role.name) {
                // Reachable only with a quota above AWS's; wording unverified.
                return Err(IamError::EntityAlreadyExists(format!(
                    "Role {} is already in instance profile {}.",
                    role.name, profile.name
                )));
            }
            profile.roles.push(role.name.clone());
        }
        InstanceProfileChange::RemoveRole(role_name) => {
            let key = name_key(&role_name);
            let before = profile.roles.len();
            profile.roles.retain(|r| name_key(r) != key);
            if profile.roles.len() == before {
                // AWS's code is NoSuchEntity; its message for a role that
                // exists but is not in the profile is unverified.
                return Err(no_such_role(&role_name));
            }
        }
        InstanceProfileChange::Tag { tags, max_tags } => tags::apply(
            &mut profile.tags,
            TagChange::Tag { tags, max_tags },
            TAG_QUOTA,
        )?,
        InstanceProfileChange::Untag(keys) => {
            tags::apply(&mut profile.tags, TagChange::Untag(keys), TAG_QUOTA)?
        }
    }
    Ok(())
}

/// AWS's quota name for an instance profile's tags, after `TagsPerRole` and
/// `TagsPerUser`; this name is unverified.
const TAG_QUOTA: &str = "TagsPerInstanceProfile";

/// DeleteInstanceProfile's check: the profile holds no role.
pub fn check_delete(profile: &InstanceProfile) -> IamResult<()> {
    if profile.roles.is_empty() {
        Ok(())
    } else {
        Err(IamError::DeleteConflict(REMOVE_ROLES_FIRST.to_string()))
    }
}

/// DeleteRole's check against instance profiles: no profile of the role's
/// account holds it.
pub fn check_role_deletable<'p>(
    role_name: &str,
    mut profiles: impl Iterator<Item = &'p InstanceProfile>,
) -> IamResult<()> {
    if profiles.any(|p| p.has_role(role_name)) {
        Err(IamError::DeleteConflict(REMOVE_ROLES_FIRST.to_string()))
    } else {
        Ok(())
    }
}

/// Input of CreateInstanceProfile.
#[derive(Debug, Clone, Default)]
pub struct NewInstanceProfile {
    /// InstanceProfileName.
    pub name: String,
    /// Path (default `/`).
    pub path: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// An instance profile with its roles, as AWS's `InstanceProfile` shape
/// reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfileView {
    /// The profile.
    pub profile: Arc<InstanceProfile>,
    /// Its roles, in the order they were added.
    pub roles: Vec<Arc<Role>>,
}

impl IamService {
    /// The profile with its roles resolved. A role the profile names is
    /// always there (see [`InstanceProfile::roles`]); one that is not is
    /// left out rather than failing the read. A role that cannot be read
    /// fails it: never an answer with part of the profile missing.
    fn instance_profile_view(
        &self,
        profile: Arc<InstanceProfile>,
    ) -> IamResult<InstanceProfileView> {
        let mut roles = Vec::with_capacity(profile.roles.len());
        for name in &profile.roles {
            roles.extend(self.store.get_role(&profile.account_id, name).found()?);
        }
        Ok(InstanceProfileView { profile, roles })
    }

    fn instance_profile_page(
        &self,
        page: Page<Arc<InstanceProfile>>,
    ) -> IamResult<Page<InstanceProfileView>> {
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|p| self.instance_profile_view(p))
                .collect::<IamResult<_>>()?,
            marker: page.marker,
        })
    }

    /// CreateInstanceProfile.
    pub fn create_instance_profile(
        &self,
        caller: &Caller,
        input: NewInstanceProfile,
    ) -> IamResult<InstanceProfileView> {
        tags::check_new(&input.tags, self.quotas().tags_per_resource, TAG_QUOTA)?;
        let profile = InstanceProfile {
            account_id: caller.account_id.clone(),
            instance_profile_id: unique_id("AIPA"),
            name: input.name,
            path: input.path.unwrap_or_else(|| "/".to_string()),
            create_date: self.clock.now(),
            roles: Vec::new(),
            tags: input.tags,
        };
        let profile = self
            .store
            .create_instance_profile(profile, self.quotas().instance_profiles_per_account)?;
        self.instance_profile_view(profile)
    }

    /// GetInstanceProfile.
    pub fn get_instance_profile(
        &self,
        caller: &Caller,
        name: &str,
    ) -> IamResult<InstanceProfileView> {
        let profile = self.store.get_instance_profile(&caller.account_id, name)?;
        self.instance_profile_view(profile)
    }

    /// ListInstanceProfiles.
    pub fn list_instance_profiles(
        &self,
        caller: &Caller,
        paging: Paging<'_>,
    ) -> IamResult<Page<InstanceProfileView>> {
        let page = self
            .store
            .list_instance_profiles(&caller.account_id, paging.range())?;
        self.instance_profile_page(page)
    }

    /// ListInstanceProfilesForRole.
    pub fn list_instance_profiles_for_role(
        &self,
        caller: &Caller,
        role_name: &str,
        paging: Paging<'_>,
    ) -> IamResult<Page<InstanceProfileView>> {
        let range = paging.range();
        let page =
            self.store
                .list_instance_profiles_for_role(&caller.account_id, role_name, range)?;
        self.instance_profile_page(page)
    }

    /// DeleteInstanceProfile.
    pub fn delete_instance_profile(&self, caller: &Caller, name: &str) -> IamResult<()> {
        self.store.delete_instance_profile(&caller.account_id, name)
    }

    /// AddRoleToInstanceProfile.
    pub fn add_role_to_instance_profile(
        &self,
        caller: &Caller,
        profile: &str,
        role_name: &str,
    ) -> IamResult<()> {
        let change = InstanceProfileChange::AddRole {
            role_name: role_name.to_string(),
            max_roles: ROLES_PER_INSTANCE_PROFILE,
        };
        self.store
            .update_instance_profile(&caller.account_id, profile, change)
            .map(|_| ())
    }

    /// RemoveRoleFromInstanceProfile.
    pub fn remove_role_from_instance_profile(
        &self,
        caller: &Caller,
        profile: &str,
        role_name: &str,
    ) -> IamResult<()> {
        self.store
            .update_instance_profile(
                &caller.account_id,
                profile,
                InstanceProfileChange::RemoveRole(role_name.to_string()),
            )
            .map(|_| ())
    }

    /// TagInstanceProfile.
    pub fn tag_instance_profile(
        &self,
        caller: &Caller,
        name: &str,
        tags: Vec<Tag>,
    ) -> IamResult<()> {
        tags::check_no_duplicate_keys(&tags)?;
        let max_tags = self.quotas().tags_per_resource;
        self.store
            .update_instance_profile(
                &caller.account_id,
                name,
                InstanceProfileChange::Tag { tags, max_tags },
            )
            .map(|_| ())
    }

    /// UntagInstanceProfile.
    pub fn untag_instance_profile(
        &self,
        caller: &Caller,
        name: &str,
        keys: Vec<String>,
    ) -> IamResult<()> {
        self.store
            .update_instance_profile(&caller.account_id, name, InstanceProfileChange::Untag(keys))
            .map(|_| ())
    }

    /// ListInstanceProfileTags.
    pub fn list_instance_profile_tags(
        &self,
        caller: &Caller,
        name: &str,
        marker: Option<&str>,
        max: Option<i64>,
    ) -> IamResult<Page<Tag>> {
        let profile = self.store.get_instance_profile(&caller.account_id, name)?;
        paginate_indexed(&profile.tags, marker, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{instance_profile, role};

    #[test]
    fn one_role_per_profile_and_the_same_role_twice_is_over_quota() {
        let web = role("Web");
        let other = role("Other");
        let find = |name: &str| {
            [&web, &other]
                .into_iter()
                .find(|r| name_key(&r.name) == name_key(name))
        };
        let mut p = instance_profile("P");
        let add = |name: &str| InstanceProfileChange::AddRole {
            role_name: name.into(),
            max_roles: ROLES_PER_INSTANCE_PROFILE,
        };
        apply_change(&mut p, add("WEB"), find).unwrap();
        assert_eq!(
            p.roles,
            vec!["Web".to_string()],
            "the role's own spelling is kept"
        );
        let quota = IamError::LimitExceeded(
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1".into(),
        );
        assert_eq!(apply_change(&mut p, add("Other"), find), Err(quota.clone()));
        assert_eq!(apply_change(&mut p, add("Web"), find), Err(quota));
        assert_eq!(
            apply_change(&mut p, add("Nope"), find),
            Err(no_such_role("Nope"))
        );
        assert_eq!(
            check_delete(&p),
            Err(IamError::DeleteConflict(REMOVE_ROLES_FIRST.into()))
        );
        assert!(check_role_deletable("web", std::iter::once(&p)).is_err());
        assert!(check_role_deletable("other", std::iter::once(&p)).is_ok());
        apply_change(
            &mut p,
            InstanceProfileChange::RemoveRole("web".into()),
            find,
        )
        .unwrap();
        assert!(p.roles.is_empty());
        assert_eq!(
            apply_change(
                &mut p,
                InstanceProfileChange::RemoveRole("Web".into()),
                find
            ),
            Err(no_such_role("Web"))
        );
        assert_eq!(check_delete(&p), Ok(()));
    }

    #[test]
    fn tags_merge_ignoring_case_up_to_the_quota() {
        let mut p = instance_profile("P");
        let none = |_: &str| None;
        let tag = |k: &str, v: &str| Tag {
            key: k.into(),
            value: v.into(),
        };
        apply_change(
            &mut p,
            InstanceProfileChange::Tag {
                tags: vec![tag("env", "a"), tag("team", "x")],
                max_tags: 2,
            },
            none,
        )
        .unwrap();
        apply_change(
            &mut p,
            InstanceProfileChange::Tag {
                tags: vec![tag("ENV", "b")],
                max_tags: 2,
            },
            none,
        )
        .unwrap();
        assert_eq!(p.tags, vec![tag("ENV", "b"), tag("team", "x")]);
        assert_eq!(
            // Stores apply a change to a copy, dropped when it fails.
            apply_change(
                &mut p.clone(),
                InstanceProfileChange::Tag {
                    tags: vec![tag("three", "")],
                    max_tags: 2
                },
                none
            ),
            Err(IamError::LimitExceeded(
                "Cannot exceed quota for TagsPerInstanceProfile: 2".into()
            ))
        );
        apply_change(
            &mut p,
            InstanceProfileChange::Untag(vec!["env".into(), "absent".into()]),
            none,
        )
        .unwrap();
        assert_eq!(p.tags, vec![tag("team", "x")]);
    }

    #[test]
    fn create_checks_name_then_quota() {
        let p = "P";
        assert_eq!(
            check_create(p, true, 0, 10),
            Err(IamError::EntityAlreadyExists(
                "Instance Profile P already exists.".into()
            ))
        );
        assert_eq!(
            check_create(p, false, 1000, 1000),
            Err(IamError::LimitExceeded(
                "Cannot exceed quota for InstanceProfilesPerAccount: 1000".into()
            ))
        );
        assert_eq!(check_create(p, false, 999, 1000), Ok(()));
    }
}
