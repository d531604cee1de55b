//! From an access key id (and a session token) to a caller and the secret
//! its requests must be signed with: root keys from the configuration,
//! users' keys from the store, temporary credentials from the token itself.

use std::sync::Arc;

use crate::crypto::SecretKey;
use crate::entities::{AccessKeyStatus, AccessKeyUse, Role, RoleLastUsed};
use crate::error::IamResult;
use crate::service::{Caller, IamService};
use crate::session::{SessionClaims, SessionKind};

/// The region recorded for a use when the request names none (an unsigned
/// request): the region of STS's global endpoint, and of IAM.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Whose credentials a request carries, and the secret to verify it with.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The principal.
    pub caller: Caller,
    /// The secret access key.
    pub secret: SecretKey,
    /// Whether this is an IAM user's long-term key (whose use is recorded).
    pub is_user_key: bool,
}

/// Why credentials were refused, in the terms of AWS's errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialError {
    /// `InvalidClientTokenId`: no such access key, or an inactive one.
    UnknownAccessKey,
    /// `InvalidClientTokenId` ("…is invalid", no full stop): the session
    /// token does not open, or belongs to another access key id.
    InvalidToken,
    /// `ExpiredToken`: the session has ended.
    Expired,
}

impl IamService {
    /// Resolves an access key id (and, for temporary credentials, the
    /// `X-Amz-Security-Token`) at the service clock's now.
    pub fn resolve_credentials(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
    ) -> IamResult<Result<Credentials, CredentialError>> {
        if let Some(token) = session_token {
            let Some(claims) = SessionClaims::open(&self.settings().server_key, token) else {
                return Ok(Err(CredentialError::InvalidToken));
            };
            if claims.access_key_id != access_key_id {
                return Ok(Err(CredentialError::InvalidToken));
            }
            if self.clock.now() >= claims.expires {
                return Ok(Err(CredentialError::Expired));
            }
            // GetSessionToken credentials are the user's own: once the user
            // is deleted they are as unknown as its deleted access keys
            // (AWS answers both InvalidClientTokenId), and a user created
            // again under the name is another user (another id).
            if claims.kind == SessionKind::SessionToken
                && !claims.session_name.is_empty()
                && self
                    .user_with_id(
                        &claims.account_id,
                        &claims.session_name,
                        &claims.principal_id,
                    )?
                    .is_none()
            {
                return Ok(Err(CredentialError::UnknownAccessKey));
            }
            let secret = claims.secret.clone();
            return Ok(Ok(Credentials {
                caller: Caller::from_session(Arc::new(claims)),
                secret,
                is_user_key: false,
            }));
        }
        if let Some(root) = self
            .settings()
            .root_keys
            .iter()
            .find(|k| k.access_key_id == access_key_id)
        {
            return Ok(Ok(Credentials {
                caller: Caller::root(&root.account_id),
                secret: root.secret.clone(),
                is_user_key: false,
            }));
        }
        let Some(user) = self.store.find_access_key(access_key_id)? else {
            return Ok(Err(CredentialError::UnknownAccessKey));
        };
        let Some(key) = user
            .access_keys
            .iter()
            .find(|k| k.access_key_id == access_key_id)
        else {
            return Ok(Err(CredentialError::UnknownAccessKey));
        };
        if key.status != AccessKeyStatus::Active {
            return Ok(Err(CredentialError::UnknownAccessKey));
        }
        let secret = self.access_key_secret(key)?;
        Ok(Ok(Credentials {
            caller: Caller::user(&user),
            secret,
            is_user_key: true,
        }))
    }

    /// Records that a user's access key signed a request to `service` in `region`.
    pub fn note_access_key_use(
        &self,
        access_key_id: &str,
        service: &str,
        region: &str,
    ) -> IamResult<()> {
        self.store.record_access_key_use(
            access_key_id,
            AccessKeyUse {
                date: self.clock.now(),
                service: service.to_string(),
                region: region.to_string(),
            },
        )
    }

    /// Records a use of the role behind `session` (nothing for a
    /// GetSessionToken session) in `region` (the request's signing region;
    /// [`DEFAULT_REGION`] when it carries none), for GetRole's `RoleLastUsed`.
    ///
    /// What counts as use is ironiam's choice: AWS documents `RoleLastUsed`
    /// only as "the date and time … and the Region in which the role was
    /// last used", not what triggers it. ironiam counts two things:
    /// * issuing a session of the role (AssumeRole,
    ///   AssumeRoleWithWebIdentity, assume-role-as-service), in the region of
    ///   that STS request — the server calls this once the credentials are issued;
    /// * every request signed with the session's credentials that ironiam
    ///   authenticates (`--auth verify|soft|enforce`; like access key use,
    ///   nothing is recorded for the unverified signatures of `--auth off`),
    ///   whether or not it is then authorized.
    ///
    /// A session outlives its role; uses after the role is deleted (or
    /// re-created under the same name, with a new id) are not recorded.
    pub fn note_role_session_use(
        &self,
        session: &SessionClaims,
        region: Option<&str>,
    ) -> IamResult<()> {
        if session.kind != SessionKind::AssumedRole {
            return Ok(());
        }
        let role_name = session
            .principal_arn
            .rsplit('/')
            .next()
            .unwrap_or(&session.principal_arn);
        self.store.record_role_use(
            &session.account_id,
            role_name,
            &session.principal_id,
            RoleLastUsed {
                date: self.clock.now(),
                region: region.unwrap_or(DEFAULT_REGION).to_string(),
            },
        )
    }

    /// The last recorded use of `role` (a role the caller was allowed to get).
    pub fn role_last_used(&self, role: &Role) -> IamResult<Option<RoleLastUsed>> {
        self.store.role_last_used(&role.role_id)
    }
}
