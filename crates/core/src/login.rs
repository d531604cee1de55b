//! Console passwords: IAM users' login profiles, ChangePassword, the account
//! password policy, and the console's sign-in.
//!
//! Passwords arrive in clear and leave this module only as Argon2id hashes
//! ([`crate::password`]); no error message repeats one.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::entities::LoginProfile;
use crate::error::{Found, IamError, IamResult};
use crate::memory::no_such_login_profile;
use crate::password::{self, PasswordHash, PasswordPolicy, PasswordRequirement};
use crate::service::{Caller, IamService, Identity};
use crate::store::UserChange;

/// ChangePassword with a wrong OldPassword. AWS's API reference lists
/// `InvalidUserType` among ChangePassword's errors but does not say which
/// error a wrong old password gets; this code and message are not confirmed
/// against AWS.
pub const WRONG_OLD_PASSWORD: &str = "The old password is incorrect.";

/// ChangePassword called with credentials that are not an IAM user's: AWS
/// answers `InvalidUserType` (AWS CLI reference, change-password). The
/// message is not confirmed against AWS.
pub const NOT_AN_IAM_USER: &str = "Only IAM users can change their password with ChangePassword.";

/// Every failed console sign-in, whatever failed: the AWS console's words.
pub const SIGN_IN_FAILED: &str = "Your authentication information is incorrect. Please try again.";

/// A login profile as CreateLoginProfile / GetLoginProfile report it (never
/// the password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProfileInfo {
    /// UserName.
    pub user_name: String,
    /// CreateDate, epoch seconds.
    pub create_date: i64,
    /// PasswordResetRequired.
    pub password_reset_required: bool,
}

/// Result of a successful console sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The signed-in IAM user, as if it had signed with one of its access keys.
    pub caller: Caller,
    /// The user must choose a new password (ChangePassword) before going on.
    pub password_reset_required: bool,
}

fn sign_in_failed() -> IamError {
    IamError::AccessDenied(SIGN_IN_FAILED.to_string())
}

impl IamService {
    /// The user a login-profile operation names, or the calling IAM user
    /// when it names none (AWS: "defaults to the principal making the request").
    /// ironiam manages no root password, so the root user must name a user.
    fn profile_owner(&self, caller: &Caller, name: Option<&str>) -> IamResult<String> {
        match (name, &caller.identity) {
            (Some(name), _) => Ok(name.to_string()),
            (None, Identity::User { name }) => Ok(name.clone()),
            (None, _) => Err(IamError::Validation(
                "Must specify userName when calling with non-User credentials".to_string(),
            )),
        }
    }

    fn password_policy_of(&self, account: &str) -> IamResult<Option<PasswordPolicy>> {
        self.store.get_password_policy(account)
    }

    /// The rules `password` would break in `account` (its password policy,
    /// or AWS's default one): what the console shows, since AWS's
    /// `PasswordPolicyViolation` message names none.
    pub fn unmet_password_requirements(
        &self,
        account_id: &str,
        password: &str,
    ) -> IamResult<Vec<PasswordRequirement>> {
        Ok(password::unmet_requirements(
            self.password_policy_of(account_id)?.as_ref(),
            password,
        ))
    }

    fn check_password(&self, account: &str, password: &str) -> IamResult<()> {
        password::check(self.password_policy_of(account)?.as_ref(), password)
    }

    /// CreateLoginProfile: a console password for a user.
    pub fn create_login_profile(
        &self,
        caller: &Caller,
        user: Option<&str>,
        password: &str,
        password_reset_required: bool,
    ) -> IamResult<LoginProfileInfo> {
        let name = self.profile_owner(caller, user)?;
        let existing = self.store.get_user(&caller.account_id, &name)?;
        if existing.login_profile.is_some() {
            // Refuse before hashing; the store checks again atomically.
            return Err(IamError::EntityAlreadyExists(format!(
                "Login Profile for user {name} already exists."
            )));
        }
        self.check_password(&caller.account_id, password)?;
        let create_date = self.clock.now();
        let profile = LoginProfile {
            create_date,
            password_hash: PasswordHash::new(password)?,
            password_reset_required,
        };
        let updated = self.store.update_user(
            &caller.account_id,
            &name,
            UserChange::CreateLoginProfile(profile),
        )?;
        Ok(LoginProfileInfo {
            user_name: updated.name.clone(),
            create_date,
            password_reset_required,
        })
    }

    /// GetLoginProfile: whether a user has a password, never the password.
    pub fn get_login_profile(
        &self,
        caller: &Caller,
        user: Option<&str>,
    ) -> IamResult<LoginProfileInfo> {
        let name = self.profile_owner(caller, user)?;
        let u = self.store.get_user(&caller.account_id, &name)?;
        let profile = u
            .login_profile
            .as_ref()
            .ok_or_else(|| no_such_login_profile(&name))?;
        Ok(LoginProfileInfo {
            user_name: u.name.clone(),
            create_date: profile.create_date,
            password_reset_required: profile.password_reset_required,
        })
    }

    /// UpdateLoginProfile: a new password and/or PasswordResetRequired.
    pub fn update_login_profile(
        &self,
        caller: &Caller,
        user: Option<&str>,
        password: Option<&str>,
        password_reset_required: Option<bool>,
    ) -> IamResult<()> {
        let name = self.profile_owner(caller, user)?;
        let u = self.store.get_user(&caller.account_id, &name)?;
        if u.login_profile.is_none() {
            return Err(no_such_login_profile(&name));
        }
        let password_hash = match password {
            Some(p) => {
                self.check_password(&caller.account_id, p)?;
                Some(PasswordHash::new(p)?)
            }
            None => None,
        };
        self.store
            .update_user(
                &caller.account_id,
                &name,
                UserChange::UpdateLoginProfile {
                    password_hash,
                    password_reset_required,
                },
            )
            .map(|_| ())
    }

    /// DeleteLoginProfile.
    pub fn delete_login_profile(&self, caller: &Caller, user: Option<&str>) -> IamResult<()> {
        let name = self.profile_owner(caller, user)?;
        self.store
            .update_user(&caller.account_id, &name, UserChange::DeleteLoginProfile)
            .map(|_| ())
    }

    /// ChangePassword for a signed-in user (the same code the API handler
    /// uses): the calling IAM user's own password, given the current one.
    /// Clears PasswordResetRequired. Authorization (`iam:ChangePassword`,
    /// or the policy's AllowUsersToChangePassword) is the caller's business.
    pub fn change_password(
        &self,
        caller: &Caller,
        old_password: &str,
        new_password: &str,
    ) -> IamResult<()> {
        let Identity::User { name } = &caller.identity else {
            return Err(IamError::InvalidUserType(NOT_AN_IAM_USER.to_string()));
        };
        let user = self.store.get_user(&caller.account_id, name)?;
        let profile = user
            .login_profile
            .as_ref()
            .ok_or_else(|| no_such_login_profile(name))?;
        if !profile.password_hash.verify(old_password) {
            return Err(IamError::InvalidUserType(WRONG_OLD_PASSWORD.to_string()));
        }
        self.check_password(&caller.account_id, new_password)?;
        let change = UserChange::ChangePassword {
            verified: profile.password_hash.clone(),
            new_hash: PasswordHash::new(new_password)?,
        };
        self.store
            .update_user(&caller.account_id, name, change)
            .map(|_| ())
    }

    /// GetAccountPasswordPolicy.
    pub fn get_account_password_policy(&self, caller: &Caller) -> IamResult<PasswordPolicy> {
        self.password_policy_of(&caller.account_id)?.ok_or_else(|| {
            // moto's wording; not confirmed against AWS.
            IamError::NoSuchEntity(format!(
                "The Password Policy with domain name {} cannot be found.",
                caller.account_id
            ))
        })
    }

    /// UpdateAccountPasswordPolicy: replaces the whole policy (members left
    /// out take their defaults).
    pub fn update_account_password_policy(
        &self,
        caller: &Caller,
        policy: PasswordPolicy,
    ) -> IamResult<()> {
        self.store.put_password_policy(&caller.account_id, policy)
    }

    /// DeleteAccountPasswordPolicy.
    pub fn delete_account_password_policy(&self, caller: &Caller) -> IamResult<()> {
        self.store.delete_password_policy(&caller.account_id)
    }

    /// Whether the account's password policy lets every IAM user change
    /// their own password (AllowUsersToChangePassword), without an
    /// `iam:ChangePassword` permission of their own.
    pub fn users_may_change_own_password(&self, account_id: &str) -> IamResult<bool> {
        Ok(self
            .password_policy_of(account_id)?
            .is_some_and(|p| p.allow_users_to_change_password))
    }

    /// Console sign-in of IAM user `user_name` in `account_id`: the caller
    /// (as if it had signed with one of the user's access keys) when the user
    /// exists, has a login profile and `password` matches. Every failure is
    /// the same `IamError` (AccessDenied, [`SIGN_IN_FAILED`]), which does not
    /// reveal whether the user exists; and it takes about the same time
    /// either way (an unknown user's password is checked against a dummy hash).
    pub fn sign_in_user(
        &self,
        account_id: &str,
        user_name: &str,
        password: &str,
    ) -> IamResult<SignedIn> {
        // An unknown user fails like a wrong password; a store failure is
        // the store's error, not a failed sign-in.
        let user = self.store.get_user(account_id, user_name).found()?;
        let profile = user.as_ref().and_then(|u| u.login_profile.as_ref());
        let hash: &PasswordHash = match profile {
            Some(p) => &p.password_hash,
            None => PasswordHash::dummy(),
        };
        let matches = hash.verify(password);
        match (user.as_ref(), profile) {
            (Some(user), Some(profile)) if matches => Ok(SignedIn {
                caller: Caller::user(user),
                password_reset_required: profile.password_reset_required,
            }),
            _ => Err(sign_in_failed()),
        }
    }

    /// Console sign-in of an account's root user with one of its root access
    /// keys (ironiam has no root e-mail/password): the root Caller when the
    /// key exists for that account and the secret matches (constant-time
    /// comparison of digests, so neither content nor length leaks).
    pub fn sign_in_root(
        &self,
        account_id: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> IamResult<Caller> {
        let key = self
            .settings()
            .root_keys
            .iter()
            .find(|k| k.access_key_id == access_key_id && k.account_id == account_id);
        let expected = Sha256::digest(key.map_or("", |k| k.secret.expose()).as_bytes());
        let given = Sha256::digest(secret_access_key.as_bytes());
        let matches: bool = expected.as_slice().ct_eq(given.as_slice()).into();
        match key {
            Some(_) if matches => Ok(Caller::root(account_id)),
            _ => Err(sign_in_failed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::FixedClock;
    use crate::crypto::SecretKey;
    use crate::memory::MemoryStore;
    use crate::service::{RootKey, Settings};
    use crate::users::NewUser;

    const ACCOUNT: &str = "123456789012";
    const OTHER: &str = "210987654321";
    const GOOD: &str = "Correct-Horse-1";

    fn service() -> IamService {
        let settings = Settings {
            root_keys: vec![RootKey {
                account_id: ACCOUNT.into(),
                access_key_id: "AKIAROOT000000000001".into(),
                secret: SecretKey::new("root-secret"),
            }],
            ..Settings::default()
        };
        IamService::new(
            Arc::new(MemoryStore::new()),
            Arc::new(FixedClock::new(1_800_000_000)),
            settings,
        )
    }

    fn with_user(s: &IamService, name: &str) -> Caller {
        let root = Caller::root(ACCOUNT);
        let user = s
            .create_user(
                &root,
                NewUser {
                    name: name.into(),
                    ..Default::default()
                },
            )
            .unwrap();
        Caller::user(&user)
    }

    #[test]
    fn login_profile_lifecycle() {
        let s = service();
        let root = Caller::root(ACCOUNT);
        with_user(&s, "alice");
        let err = s.get_login_profile(&root, Some("alice")).unwrap_err();
        assert_eq!(
            err,
            IamError::NoSuchEntity("Login Profile for User alice cannot be found.".into())
        );
        let created = s
            .create_login_profile(&root, Some("alice"), GOOD, true)
            .unwrap();
        assert_eq!(
            created,
            LoginProfileInfo {
                user_name: "alice".into(),
                create_date: 1_800_000_000,
                password_reset_required: true
            }
        );
        assert_eq!(s.get_login_profile(&root, Some("ALICE")).unwrap(), created);
        let again = s
            .create_login_profile(&root, Some("alice"), GOOD, false)
            .unwrap_err();
        assert_eq!(
            again,
            IamError::EntityAlreadyExists("Login Profile for user alice already exists.".into())
        );
        // Weak passwords are refused against AWS's default policy.
        let weak = s
            .update_login_profile(&root, Some("alice"), Some("password"), None)
            .unwrap_err();
        assert_eq!(
            weak,
            IamError::PasswordPolicyViolation(password::POLICY_VIOLATION.into())
        );
        s.update_login_profile(&root, Some("alice"), None, Some(false))
            .unwrap();
        assert!(
            !s.get_login_profile(&root, Some("alice"))
                .unwrap()
                .password_reset_required
        );
        // The stored hash is not the password, and Debug hides it.
        let user = s.user(&root, "alice").unwrap();
        let debug = format!("{user:?}");
        assert!(
            !debug.contains(GOOD) && !debug.contains("$argon2id"),
            "{debug}"
        );
        // DeleteUser refuses while the profile exists.
        let conflict = s.delete_user(&root, "alice").unwrap_err();
        assert_eq!(
            conflict,
            IamError::DeleteConflict(
                "Cannot delete entity, must delete login profile first.".into()
            )
        );
        s.delete_login_profile(&root, Some("alice")).unwrap();
        assert_eq!(
            s.delete_login_profile(&root, Some("alice"))
                .unwrap_err()
                .code(),
            "NoSuchEntity"
        );
        s.delete_user(&root, "alice").unwrap();
        assert_eq!(
            s.create_login_profile(&root, Some("alice"), GOOD, false)
                .unwrap_err()
                .code(),
            "NoSuchEntity"
        );
        // Without a UserName, the root user must name one; a user means itself.
        assert_eq!(
            s.get_login_profile(&root, None).unwrap_err().code(),
            "ValidationError"
        );
        let bob = with_user(&s, "bob");
        s.create_login_profile(&root, Some("bob"), GOOD, false)
            .unwrap();
        assert_eq!(s.get_login_profile(&bob, None).unwrap().user_name, "bob");
    }

    #[test]
    fn account_password_policy() {
        let s = service();
        let root = Caller::root(ACCOUNT);
        let missing = s.get_account_password_policy(&root).unwrap_err();
        assert_eq!(
            missing,
            IamError::NoSuchEntity(format!(
                "The Password Policy with domain name {ACCOUNT} cannot be found."
            ))
        );
        assert_eq!(
            s.delete_account_password_policy(&root).unwrap_err().code(),
            "NoSuchEntity"
        );
        let policy = PasswordPolicy {
            minimum_password_length: 6,
            require_symbols: false,
            ..PasswordPolicy::default()
        };
        s.update_account_password_policy(&root, policy.clone())
            .unwrap();
        assert_eq!(s.get_account_password_policy(&root).unwrap(), policy);
        // A laxer policy than AWS's default lets a simple password through.
        with_user(&s, "carol");
        s.create_login_profile(&root, Some("carol"), "simple", false)
            .unwrap();
        let strict = PasswordPolicy {
            minimum_password_length: 14,
            require_numbers: true,
            ..PasswordPolicy::default()
        };
        s.update_account_password_policy(&root, strict).unwrap();
        assert_eq!(
            s.unmet_password_requirements(ACCOUNT, "short").unwrap(),
            vec![
                PasswordRequirement::MinimumLength(14),
                PasswordRequirement::Number
            ]
        );
        assert_eq!(
            s.update_login_profile(&root, Some("carol"), Some("simple"), None)
                .unwrap_err()
                .code(),
            "PasswordPolicyViolation"
        );
        // Other accounts are unaffected.
        assert!(s.get_account_password_policy(&Caller::root(OTHER)).is_err());
        s.delete_account_password_policy(&root).unwrap();
        assert!(s.get_account_password_policy(&root).is_err());
    }

    #[test]
    fn change_password() {
        let s = service();
        let root = Caller::root(ACCOUNT);
        let dave = with_user(&s, "dave");
        assert_eq!(
            s.change_password(&dave, GOOD, "New-Password-2")
                .unwrap_err(),
            no_such_login_profile("dave")
        );
        s.create_login_profile(&root, Some("dave"), GOOD, true)
            .unwrap();
        let wrong = s
            .change_password(&dave, "not-it", "New-Password-2")
            .unwrap_err();
        assert_eq!(wrong, IamError::InvalidUserType(WRONG_OLD_PASSWORD.into()));
        assert_eq!(
            s.change_password(&dave, GOOD, "weak").unwrap_err().code(),
            "PasswordPolicyViolation"
        );
        assert_eq!(
            s.change_password(&root, GOOD, "New-Password-2")
                .unwrap_err(),
            IamError::InvalidUserType(NOT_AN_IAM_USER.into())
        );
        s.change_password(&dave, GOOD, "New-Password-2").unwrap();
        // The reset requirement is met; the old password no longer signs in.
        let signed = s.sign_in_user(ACCOUNT, "dave", "New-Password-2").unwrap();
        assert!(!signed.password_reset_required);
        assert!(s.sign_in_user(ACCOUNT, "dave", GOOD).is_err());
        // A change based on a stale hash (the password changed meanwhile) is refused.
        let stale = UserChange::ChangePassword {
            verified: PasswordHash::new(GOOD).unwrap(),
            new_hash: PasswordHash::new("x").unwrap(),
        };
        assert_eq!(
            s.store()
                .update_user(ACCOUNT, "dave", stale)
                .unwrap_err()
                .code(),
            "InvalidUserType"
        );
    }

    #[test]
    fn user_sign_in() {
        let s = service();
        let root = Caller::root(ACCOUNT);
        let erin = with_user(&s, "erin");
        with_user(&s, "frank");
        s.create_login_profile(&root, Some("erin"), GOOD, true)
            .unwrap();
        let signed = s.sign_in_user(ACCOUNT, "erin", GOOD).unwrap();
        assert_eq!(signed.caller, erin);
        assert!(signed.password_reset_required);
        let failed = sign_in_failed();
        // Wrong password, unknown user, user without a profile, wrong account: one answer.
        assert_eq!(
            s.sign_in_user(ACCOUNT, "erin", "Correct-Horse-2")
                .unwrap_err(),
            failed
        );
        assert_eq!(s.sign_in_user(ACCOUNT, "nobody", GOOD).unwrap_err(), failed);
        assert_eq!(s.sign_in_user(ACCOUNT, "frank", GOOD).unwrap_err(), failed);
        assert_eq!(s.sign_in_user(OTHER, "erin", GOOD).unwrap_err(), failed);
        assert_eq!(failed.code(), "AccessDenied");
    }

    #[test]
    fn root_sign_in() {
        let s = service();
        assert_eq!(
            s.sign_in_root(ACCOUNT, "AKIAROOT000000000001", "root-secret")
                .unwrap(),
            Caller::root(ACCOUNT)
        );
        let failed = sign_in_failed();
        assert_eq!(
            s.sign_in_root(ACCOUNT, "AKIAROOT000000000001", "root-secreT")
                .unwrap_err(),
            failed
        );
        assert_eq!(
            s.sign_in_root(ACCOUNT, "AKIAROOT000000000001", "")
                .unwrap_err(),
            failed
        );
        assert_eq!(
            s.sign_in_root(ACCOUNT, "AKIAROOT000000000009", "root-secret")
                .unwrap_err(),
            failed
        );
        assert_eq!(
            s.sign_in_root(OTHER, "AKIAROOT000000000001", "root-secret")
                .unwrap_err(),
            failed
        );
    }
}
