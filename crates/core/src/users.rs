//! IAM users and their access keys: every check AWS makes beyond the API
//! model's shape constraints, then one atomic store operation.

use std::sync::Arc;

use crate::clock::iso8601;
use crate::crypto::{Purpose, SecretKey};
use crate::entities::{AccessKey, AccessKeyStatus, AccessKeyUse, Group, Page, Role, Tag, User};
use crate::error::{IamError, IamResult};
use crate::holders::{PolicyHolder, PrincipalKind};
use crate::ids::{access_key_id, secret_access_key, unique_id};
use crate::service::{
    paginate_indexed, paginate_slice, Caller, IamService, Identity, Paging, UsageFilter,
};
use crate::store::{ListRange, UserChange};

/// Input of CreateUser.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// UserName.
    pub name: String,
    /// Path (default `/`).
    pub path: Option<String>,
    /// PermissionsBoundary ARN.
    pub permissions_boundary: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// What GetUser answers: a user, or, for the root user's own credentials
/// without a UserName, the account's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserView {
    /// An IAM user.
    User(Arc<User>),
    /// The root user: AWS answers its ARN and the account id as UserId.
    Root {
        /// The account.
        account_id: String,
        /// CreateDate (the server's start: ironiam does not track account creation).
        create_date: i64,
    },
}

/// A key's metadata as ListAccessKeys reports it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyInfo {
    /// UserName.
    pub user_name: String,
    /// AccessKeyId.
    pub access_key_id: String,
    /// Status.
    pub status: AccessKeyStatus,
    /// CreateDate, ISO-8601.
    pub create_date: String,
}

/// CreateAccessKey's answer: the only time the secret is shown.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    /// The key's metadata.
    pub info: AccessKeyInfo,
    /// SecretAccessKey.
    pub secret: SecretKey,
}

/// One entity a managed policy is attached to (ListEntitiesForPolicy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyEntity {
    /// A group (`PolicyGroups`).
    Group(Arc<Group>),
    /// A user (`PolicyUsers`).
    User(Arc<User>),
    /// A role (`PolicyRoles`).
    Role(Arc<Role>),
}

/// `EntityFilter` of ListEntitiesForPolicy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityFilter {
    /// Users only.
    User,
    /// Roles only.
    Role,
    /// Groups only.
    Group,
}

/// Whose keys an access-key operation concerns.
enum KeyOwner {
    User(String),
    Root,
}

const MAX_ITEMS_DEFAULT: i64 = 100;

fn max_items(max_items: Option<i64>) -> usize {
    max_items.unwrap_or(MAX_ITEMS_DEFAULT).clamp(1, 1000) as usize
}

impl IamService {
    /// The user an operation names, or the caller when it names none, as
    /// AWS resolves an absent UserName.
    fn key_owner(&self, caller: &Caller, name: Option<&str>) -> IamResult<KeyOwner> {
        match (name, &caller.identity) {
            (Some(name), _) => Ok(KeyOwner::User(name.to_string())),
            (None, Identity::User { name }) => Ok(KeyOwner::User(name.clone())),
            (None, Identity::Root) => Ok(KeyOwner::Root),
            (None, Identity::AssumedRole { .. } | Identity::Anonymous) => {
                Err(IamError::Validation(
                    "Must specify userName when calling with non-User credentials".to_string(),
                ))
            }
        }
    }

    fn check_user_tags(&self, tags: &[Tag]) -> IamResult<()> {
        crate::tags::check_new(
            tags,
            self.quotas().tags_per_resource,
            &PrincipalKind::User.tag_quota(),
        )
    }

    /// CreateUser.
    pub fn create_user(&self, caller: &Caller, input: NewUser) -> IamResult<Arc<User>> {
        self.check_user_tags(&input.tags)?;
        if let Some(b) = &input.permissions_boundary {
            self.check_boundary(caller, b)?;
        }
        let user = User {
            account_id: caller.account_id.clone(),
            user_id: unique_id("AIDA"),
            name: input.name,
            path: input.path.unwrap_or_else(|| "/".to_string()),
            create_date: self.clock.now(),
            permissions_boundary: input.permissions_boundary,
            tags: input.tags,
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
            access_keys: Vec::new(),
            login_profile: None,
        };
        self.store
            .create_user(user, self.quotas().users_per_account)
    }

    /// GetUser: the named user, or the caller's own identity when no name is given.
    pub fn get_user(&self, caller: &Caller, name: Option<&str>) -> IamResult<UserView> {
        match self.key_owner(caller, name)? {
            KeyOwner::User(name) => self
                .store
                .get_user(&caller.account_id, &name)
                .map(UserView::User),
            KeyOwner::Root => Ok(UserView::Root {
                account_id: caller.account_id.clone(),
                create_date: self.started_at(),
            }),
        }
    }

    /// A user by name.
    pub fn user(&self, caller: &Caller, name: &str) -> IamResult<Arc<User>> {
        self.store.get_user(&caller.account_id, name)
    }

    /// ListUsers.
    pub fn list_users(&self, caller: &Caller, paging: Paging<'_>) -> IamResult<Page<Arc<User>>> {
        self.store.list_users(&caller.account_id, paging.range())
    }

    /// UpdateUser: a new name and/or path.
    pub fn update_user(
        &self,
        caller: &Caller,
        name: &str,
        new_name: Option<String>,
        new_path: Option<String>,
    ) -> IamResult<Arc<User>> {
        self.store.update_user(
            &caller.account_id,
            name,
            UserChange::Rename { new_name, new_path },
        )
    }

    /// DeleteUser.
    pub fn delete_user(&self, caller: &Caller, name: &str) -> IamResult<()> {
        self.store.delete_user(&caller.account_id, name)
    }

    // ----- access keys -----

    fn root_keys_are_configured(&self) -> IamError {
        IamError::InvalidInput(
            "The root user's access keys are configured when ironiam starts (--root-access-key); they cannot be created, changed or deleted through the API.".to_string(),
        )
    }

    /// CreateAccessKey: a new `AKIA…` key whose secret is returned this once
    /// and stored only sealed under the server key.
    pub fn create_access_key(
        &self,
        caller: &Caller,
        user: Option<&str>,
    ) -> IamResult<NewAccessKey> {
        let KeyOwner::User(user) = self.key_owner(caller, user)? else {
            return Err(self.root_keys_are_configured());
        };
        let id = access_key_id("AKIA", &caller.account_id);
        let secret = SecretKey::new(secret_access_key());
        let sealed_secret = self.settings().server_key.seal(
            Purpose::AccessKeySecret,
            id.as_bytes(),
            secret.expose().as_bytes(),
        );
        let key = AccessKey {
            access_key_id: id,
            sealed_secret,
            status: AccessKeyStatus::Active,
            create_date: self.clock.now(),
        };
        let info = AccessKeyInfo {
            user_name: String::new(),
            access_key_id: key.access_key_id.clone(),
            status: key.status,
            create_date: iso8601(key.create_date),
        };
        let max_keys = self.quotas().access_keys_per_user;
        let updated = self.store.update_user(
            &caller.account_id,
            &user,
            UserChange::AddAccessKey { key, max_keys },
        )?;
        Ok(NewAccessKey {
            info: AccessKeyInfo {
                user_name: updated.name.clone(),
                ..info
            },
            secret,
        })
    }

    /// ListAccessKeys: a user's keys (the caller's own when no user is named;
    /// for the root user, the root keys ironiam was started with).
    pub fn list_access_keys(
        &self,
        caller: &Caller,
        user: Option<&str>,
        marker: Option<&str>,
        max: Option<i64>,
    ) -> IamResult<Page<AccessKeyInfo>> {
        let keys: Vec<AccessKeyInfo> = match self.key_owner(caller, user)? {
            KeyOwner::User(user) => {
                let u = self.user(caller, &user)?;
                u.access_keys
                    .iter()
                    .map(|k| AccessKeyInfo {
                        user_name: u.name.clone(),
                        access_key_id: k.access_key_id.clone(),
                        status: k.status,
                        create_date: iso8601(k.create_date),
                    })
                    .collect()
            }
            KeyOwner::Root => self
                .root_access_key_ids(&caller.account_id)
                .into_iter()
                .map(|id| AccessKeyInfo {
                    user_name: String::new(),
                    access_key_id: id,
                    status: AccessKeyStatus::Active,
                    create_date: iso8601(self.started_at()),
                })
                .collect(),
        };
        paginate_indexed(&keys, marker, max)
    }

    /// UpdateAccessKey.
    pub fn update_access_key(
        &self,
        caller: &Caller,
        user: Option<&str>,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> IamResult<()> {
        let KeyOwner::User(user) = self.key_owner(caller, user)? else {
            return Err(self.root_keys_are_configured());
        };
        self.store
            .update_user(
                &caller.account_id,
                &user,
                UserChange::SetAccessKeyStatus {
                    access_key_id: access_key_id.to_string(),
                    status,
                },
            )
            .map(|_| ())
    }

    /// DeleteAccessKey.
    pub fn delete_access_key(
        &self,
        caller: &Caller,
        user: Option<&str>,
        access_key_id: &str,
    ) -> IamResult<()> {
        let KeyOwner::User(user) = self.key_owner(caller, user)? else {
            return Err(self.root_keys_are_configured());
        };
        self.store
            .update_user(
                &caller.account_id,
                &user,
                UserChange::DeleteAccessKey(access_key_id.to_string()),
            )
            .map(|_| ())
    }

    /// GetAccessKeyLastUsed: the owner's name and the last recorded use.
    pub fn get_access_key_last_used(
        &self,
        caller: &Caller,
        access_key_id: &str,
    ) -> IamResult<(String, Option<AccessKeyUse>)> {
        let missing = || {
            IamError::NoSuchEntity(format!(
                "The Access Key with id {access_key_id} cannot be found."
            ))
        };
        let owner = self
            .store
            .find_access_key(access_key_id)?
            .ok_or_else(missing)?;
        if owner.account_id != caller.account_id {
            return Err(missing());
        }
        Ok((
            owner.name.clone(),
            self.store.access_key_last_used(access_key_id)?,
        ))
    }

    /// Opens the sealed secret of one of a user's access keys.
    pub fn access_key_secret(&self, key: &AccessKey) -> IamResult<SecretKey> {
        let plain = self
            .settings()
            .server_key
            .open(Purpose::AccessKeySecret, key.access_key_id.as_bytes(), &key.sealed_secret)
            .ok_or_else(|| {
                IamError::Internal(format!(
                    "the secret of access key {} does not open with this server key (was the key file replaced?)",
                    key.access_key_id
                ))
            })?;
        String::from_utf8(plain)
            .map(SecretKey::new)
            .map_err(|_| IamError::Internal("a sealed secret is not UTF-8".to_string()))
    }

    /// ListEntitiesForPolicy: groups, then users, then roles, each by name
    /// ignoring case, paginated together. Groups have no permissions
    /// boundary, so a boundary usage lists none.
    pub fn policy_entities(
        &self,
        caller: &Caller,
        arn: &str,
        entity_filter: Option<EntityFilter>,
        usage_filter: Option<UsageFilter>,
        marker: Option<&str>,
        max: Option<i64>,
    ) -> IamResult<Page<PolicyEntity>> {
        // Existence check with AWS's error for an unknown policy.
        self.get_policy(caller, arn)?;
        let account = &caller.account_id;
        let everything = ListRange {
            path_prefix: "/",
            marker: None,
            max_items: usize::MAX,
        };
        let boundary = usage_filter == Some(UsageFilter::PermissionsBoundary);
        let uses = |holder: &dyn PolicyHolder| {
            if boundary {
                holder.permissions_boundary() == Some(arn)
            } else {
                holder.attached_policies().iter().any(|a| a == arn)
            }
        };
        let wants = |kind: EntityFilter| entity_filter.is_none() || entity_filter == Some(kind);
        // The sort key: the kind's rank, then the name ignoring case.
        let key = |rank: char, holder: &dyn PolicyHolder| {
            format!("{rank}\u{0}{}", holder.name().to_lowercase())
        };
        let mut entities: Vec<(String, PolicyEntity)> = Vec::new();
        if wants(EntityFilter::Group) {
            for g in self.store.list_groups(account, everything)?.items {
                if uses(&*g) {
                    entities.push((key('0', &*g), PolicyEntity::Group(g)));
                }
            }
        }
        if wants(EntityFilter::User) {
            for u in self.store.list_users(account, everything)?.items {
                if uses(&*u) {
                    entities.push((key('1', &*u), PolicyEntity::User(u)));
                }
            }
        }
        if wants(EntityFilter::Role) {
            for r in self.store.list_roles(account, everything)?.items {
                if uses(&*r) {
                    entities.push((key('2', &*r), PolicyEntity::Role(r)));
                }
            }
        }
        entities.sort_by(|a, b| a.0.cmp(&b.0));
        let page = paginate_slice(&entities, |(k, _)| k.clone(), marker, max_items(max))?;
        Ok(Page {
            items: page.items.into_iter().map(|(_, e)| e).collect(),
            marker: page.marker,
        })
    }
}
