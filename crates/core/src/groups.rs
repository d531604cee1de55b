//! IAM groups: AWS's rules for them and their memberships as pure
//! functions over the entities a change touches (every store backend calls
//! the same ones, inside whatever transaction it has), and the service
//! operations. A group's policies are those of any holder
//! ([`crate::holders`]); what is here is what only groups have: users.
//!
//! AWS's messages here were seen in AWS's answers (quoted in public bug
//! reports) unless a comment says they are unverified.

use std::sync::Arc;

use crate::entities::{Group, Page, User};
use crate::error::{IamError, IamResult};
use crate::holders::{self, PrincipalKind};
use crate::ids::unique_id;
use crate::service::{Caller, IamService, Paging};
use crate::store::GroupChange;

/// DeleteGroup of a group with users, and DeleteUser of a user in a group:
/// AWS answers both with this `DeleteConflict`.
pub const REMOVE_USERS_FIRST: &str = "Cannot delete entity, must remove users from group first.";

/// `NoSuchEntity` for a group.
pub fn no_such_group(name: &str) -> IamError {
    PrincipalKind::Group.no_such(name)
}

/// Applies `change` to `group`. `name_taken` says whether another group of
/// the account holds a name (ignoring case); `user` looks a user of the
/// account up by name (ignoring case); `groups_of` counts the groups a user
/// (by unique id) is in. On an error `group` may be half changed: a store
/// applies the change to a copy and keeps it only on success.
pub fn apply_change<'u>(
    group: &mut Group,
    change: GroupChange,
    name_taken: impl Fn(&str) -> bool,
    user: impl Fn(&str) -> Option<&'u User>,
    groups_of: impl Fn(&str) -> usize,
) -> IamResult<()> {
    match change {
        GroupChange::Rename { new_name, new_path } => {
            if let Some(taken) = new_name.as_deref().filter(|n| name_taken(n)) {
                return Err(PrincipalKind::Group.already_exists(taken));
            }
            group.name = new_name.unwrap_or_else(|| group.name.clone());
            group.path = new_path.unwrap_or_else(|| group.path.clone());
        }
        GroupChange::AddUser {
            user_name,
            max_groups_per_user,
        } => {
            let user = user(&user_name).ok_or_else(|| PrincipalKind::User.no_such(&user_name))?;
            if group.has_member(&user.user_id) {
                // AWS answers success for a user already in the group.
                return Ok(());
            }
            if groups_of(&user.user_id) >= max_groups_per_user {
                // The quota's name is AWS's (GroupsPerUser); the wording
                // follows its other quota messages, unverified.
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for GroupsPerUser: {max_groups_per_user}"
                )));
            }
            group.members.push(user.user_id.clone());
        }
        GroupChange::RemoveUser(user_name) => {
            let user = user(&user_name).ok_or_else(|| PrincipalKind::User.no_such(&user_name))?;
            let before = group.members.len();
            group.members.retain(|m| *m != user.user_id);
            if group.members.len() == before {
                // NoSuchEntity as AWS's code; the wording is moto's, unverified.
                return Err(IamError::NoSuchEntity(format!(
                    "User {user_name} not in group {}",
                    group.name
                )));
            }
        }
    }
    Ok(())
}

/// DeleteGroup's checks: no users (AWS names them first: DeleteGroup's
/// documentation asks to remove users, then policies; the order of the
/// checks is unverified), then no attached or inline policies.
pub fn check_delete(group: &Group) -> IamResult<()> {
    if !group.members.is_empty() {
        return Err(IamError::DeleteConflict(REMOVE_USERS_FIRST.to_string()));
    }
    holders::check_no_policies(group)
}

/// DeleteUser's check against groups: no group of the user's account holds it.
pub fn check_user_deletable<'g>(
    user: &User,
    mut groups: impl Iterator<Item = &'g Group>,
) -> IamResult<()> {
    if groups.any(|g| g.has_member(&user.user_id)) {
        Err(IamError::DeleteConflict(REMOVE_USERS_FIRST.to_string()))
    } else {
        Ok(())
    }
}

impl IamService {
    /// CreateGroup.
    pub fn create_group(
        &self,
        caller: &Caller,
        name: String,
        path: Option<String>,
    ) -> IamResult<Arc<Group>> {
        let group = Group {
            account_id: caller.account_id.clone(),
            group_id: unique_id("AGPA"),
            name,
            path: path.unwrap_or_else(|| "/".to_string()),
            create_date: self.clock.now(),
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
            members: Vec::new(),
        };
        self.store
            .create_group(group, self.quotas().groups_per_account)
    }

    /// GetGroup: the group and one page of its users, ordered by name
    /// ignoring case.
    pub fn get_group(
        &self,
        caller: &Caller,
        name: &str,
        paging: Paging<'_>,
    ) -> IamResult<(Arc<Group>, Page<Arc<User>>)> {
        self.store
            .group_users(&caller.account_id, name, paging.range())
    }

    /// ListGroups.
    pub fn list_groups(&self, caller: &Caller, paging: Paging<'_>) -> IamResult<Page<Arc<Group>>> {
        self.store.list_groups(&caller.account_id, paging.range())
    }

    /// UpdateGroup: a new name and/or path; members and policies stay.
    pub fn update_group(
        &self,
        caller: &Caller,
        name: &str,
        new_name: Option<String>,
        new_path: Option<String>,
    ) -> IamResult<()> {
        let change = GroupChange::Rename { new_name, new_path };
        self.store
            .update_group(&caller.account_id, name, change)
            .map(|_| ())
    }

    /// DeleteGroup.
    pub fn delete_group(&self, caller: &Caller, name: &str) -> IamResult<()> {
        self.store.delete_group(&caller.account_id, name)
    }

    /// AddUserToGroup.
    pub fn add_user_to_group(&self, caller: &Caller, group: &str, user: &str) -> IamResult<()> {
        let change = GroupChange::AddUser {
            user_name: user.to_string(),
            max_groups_per_user: self.quotas().groups_per_user,
        };
        self.store
            .update_group(&caller.account_id, group, change)
            .map(|_| ())
    }

    /// RemoveUserFromGroup.
    pub fn remove_user_from_group(
        &self,
        caller: &Caller,
        group: &str,
        user: &str,
    ) -> IamResult<()> {
        let change = GroupChange::RemoveUser(user.to_string());
        self.store
            .update_group(&caller.account_id, group, change)
            .map(|_| ())
    }

    /// ListGroupsForUser.
    pub fn list_groups_for_user(
        &self,
        caller: &Caller,
        user: &str,
        paging: Paging<'_>,
    ) -> IamResult<Page<Arc<Group>>> {
        self.store
            .groups_for_user(&caller.account_id, user, paging.range())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(members: &[&str]) -> Group {
        let mut g = crate::conformance::group("Admins");
        g.members = members.iter().map(|m| m.to_string()).collect();
        g
    }

    fn bob() -> User {
        let mut u = crate::conformance::user("bob");
        u.user_id = "AIDABOB".into();
        u
    }

    #[test]
    fn memberships_follow_users_and_the_quota() {
        let bob = bob();
        let find = |name: &str| (name.eq_ignore_ascii_case("bob")).then_some(&bob);
        let add = |max| GroupChange::AddUser {
            user_name: "BOB".into(),
            max_groups_per_user: max,
        };
        let mut g = group(&[]);
        assert_eq!(
            apply_change(&mut g, add(10), |_| false, find, |_| 10).unwrap_err(),
            IamError::LimitExceeded("Cannot exceed quota for GroupsPerUser: 10".into())
        );
        apply_change(&mut g, add(10), |_| false, find, |_| 9).unwrap();
        // Adding a member again changes nothing, even at the quota.
        apply_change(&mut g, add(10), |_| false, find, |_| 10).unwrap();
        assert_eq!(g.members, ["AIDABOB"]);
        let missing = GroupChange::AddUser {
            user_name: "carol".into(),
            max_groups_per_user: 10,
        };
        assert_eq!(
            apply_change(&mut g, missing, |_| false, find, |_| 0).unwrap_err(),
            IamError::NoSuchEntity("The user with name carol cannot be found.".into())
        );
        assert_eq!(
            check_delete(&g).unwrap_err(),
            IamError::DeleteConflict(REMOVE_USERS_FIRST.into())
        );
        assert!(check_user_deletable(&bob, [&g].into_iter()).is_err());
        let remove = || GroupChange::RemoveUser("bob".into());
        apply_change(&mut g, remove(), |_| false, find, |_| 1).unwrap();
        assert!(matches!(
            apply_change(&mut g, remove(), |_| false, find, |_| 0),
            Err(IamError::NoSuchEntity(_))
        ));
        check_delete(&g).unwrap();
        check_user_deletable(&bob, [&g].into_iter()).unwrap();
    }

    #[test]
    fn renaming_needs_a_free_name() {
        let mut g = group(&["AIDABOB"]);
        let rename = |name: &str| GroupChange::Rename {
            new_name: Some(name.into()),
            new_path: Some("/ops/".into()),
        };
        assert_eq!(
            apply_change(&mut g, rename("Taken"), |_| true, |_| None, |_| 0).unwrap_err(),
            IamError::EntityAlreadyExists("Group with name Taken already exists.".into())
        );
        apply_change(&mut g, rename("Ops"), |_| false, |_| None, |_| 0).unwrap();
        assert_eq!((g.name.as_str(), g.path.as_str()), ("Ops", "/ops/"));
        assert_eq!(g.members, ["AIDABOB"]);
        assert_eq!(g.arn(), "arn:aws:iam::123456789012:group/ops/Ops");
    }
}
