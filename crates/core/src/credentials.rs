//! From an access key id (and a session token) to a caller and the secret
//! its requests must be signed with: root keys from the configuration,
//! users' keys from the store, temporary credentials from the token itself.

use std::sync::Arc;

use crate::crypto::SecretKey;
use crate::entities::{AccessKeyStatus, AccessKeyUse};
use crate::error::IamResult;
use crate::service::{Caller, IamService};
use crate::session::SessionClaims;

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
    pub fn resolve_credentials(&self, access_key_id: &str, session_token: Option<&str>) -> IamResult<Result<Credentials, CredentialError>> {
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
            let secret = claims.secret.clone();
            return Ok(Ok(Credentials { caller: Caller::from_session(Arc::new(claims)), secret, is_user_key: false }));
        }
        if let Some(root) = self.settings().root_keys.iter().find(|k| k.access_key_id == access_key_id) {
            return Ok(Ok(Credentials { caller: Caller::root(&root.account_id), secret: root.secret.clone(), is_user_key: false }));
        }
        let Some(user) = self.store.find_access_key(access_key_id)? else {
            return Ok(Err(CredentialError::UnknownAccessKey));
        };
        let Some(key) = user.access_keys.iter().find(|k| k.access_key_id == access_key_id) else {
            return Ok(Err(CredentialError::UnknownAccessKey));
        };
        if key.status != AccessKeyStatus::Active {
            return Ok(Err(CredentialError::UnknownAccessKey));
        }
        let secret = self.access_key_secret(key)?;
        Ok(Ok(Credentials { caller: Caller::user(&user), secret, is_user_key: true }))
    }

    /// Records that a user's access key signed a request to `service` in `region`.
    pub fn note_access_key_use(&self, access_key_id: &str, service: &str, region: &str) -> IamResult<()> {
        self.store.record_access_key_use(
            access_key_id,
            AccessKeyUse { date: self.clock.now(), service: service.to_string(), region: region.to_string() },
        )
    }
}
