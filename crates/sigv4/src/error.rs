//! Why a request failed authentication, in AWS's codes, statuses and words.
//!
//! The wording follows what IAM and STS (the "coral" front end every AWS Query and JSON
//! service shares) answer; `crates/sigv4/README.md` lists the public evidence for each
//! message. A message never contains a secret: at most the access key id, the credential
//! scope, dates and the `Authorization` header, all of which the client sent.

use std::fmt;

/// AWS's wording for a signature that does not verify.
const MSG_SIGNATURE_DOES_NOT_MATCH: &str =
    "The request signature we calculated does not match the \
    signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
    service documentation for details.";

/// Why a request failed SigV4 authentication.
///
/// Each variant maps to exactly one AWS error code and HTTP status (see [`AuthError::code`]
/// and [`AuthError::http_status`]); the mapping has no catch-all arm.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No credentials at all: no `Authorization` header and no `X-Amz-Algorithm` query
    /// parameter, or an `Authorization` header of another scheme (`Basic …`, `Bearer …`).
    MissingAuthenticationToken,
    /// The signature's parts are missing or malformed; the message says which, in AWS's
    /// words (e.g. "Authorization header requires 'Credential' parameter. …").
    IncompleteSignature(String),
    /// The signature was computed but is not the one the client sent.
    SignatureDoesNotMatch,
    /// The signature cannot be right for another stated reason (credential scope, `host`
    /// not signed, both header and query authentication, payload hash mismatch). AWS
    /// answers these with the code `SignatureDoesNotMatch` and this message.
    InvalidSignature(String),
    /// The request's date is outside the accepted window: more than 15 minutes from now
    /// (header authentication), or past `X-Amz-Expires` (presigned). AWS's IAM and STS answer
    /// the code `SignatureDoesNotMatch` with "Signature expired: … is now earlier than …" or
    /// "Signature not yet current: … is still later than …".
    SignatureExpired(String),
    /// The access key id is unknown (raised by the caller's credential lookup).
    InvalidClientTokenId,
    /// The `X-Amz-Security-Token` does not decode or does not belong to the access key id
    /// (raised by the caller's session-token check). Same code as [`Self::InvalidClientTokenId`];
    /// AWS's message for a bad token has no final full stop.
    InvalidSecurityToken,
    /// The temporary credentials' session token has expired (raised by the caller).
    ExpiredToken,
}

impl AuthError {
    /// The AWS error code, as in `<Code>` of the error document.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::IncompleteSignature(_) => "IncompleteSignature",
            Self::SignatureDoesNotMatch | Self::InvalidSignature(_) | Self::SignatureExpired(_) => {
                "SignatureDoesNotMatch"
            }
            Self::InvalidClientTokenId | Self::InvalidSecurityToken => "InvalidClientTokenId",
            Self::ExpiredToken => "ExpiredToken",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::IncompleteSignature(_) => 400,
            Self::MissingAuthenticationToken
            | Self::SignatureDoesNotMatch
            | Self::InvalidSignature(_)
            | Self::SignatureExpired(_)
            | Self::InvalidClientTokenId
            | Self::InvalidSecurityToken
            | Self::ExpiredToken => 403,
        }
    }

    /// AWS's message, as in `<Message>` of the error document.
    pub fn message(&self) -> String {
        match self {
            Self::MissingAuthenticationToken => {
                "Request is missing Authentication Token".to_owned()
            }
            Self::IncompleteSignature(m)
            | Self::InvalidSignature(m)
            | Self::SignatureExpired(m) => m.clone(),
            Self::SignatureDoesNotMatch => MSG_SIGNATURE_DOES_NOT_MATCH.to_owned(),
            Self::InvalidClientTokenId => {
                "The security token included in the request is invalid.".to_owned()
            }
            Self::InvalidSecurityToken => {
                "The security token included in the request is invalid".to_owned()
            }
            Self::ExpiredToken => {
                "The security token included in the request is expired".to_owned()
            }
        }
    }

    /// Whether the client is at fault (`<Type>Sender</Type>`); every authentication failure is.
    pub fn is_sender_fault(&self) -> bool {
        true
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_code_status_and_message() {
        let all = [
            AuthError::MissingAuthenticationToken,
            AuthError::IncompleteSignature("x".into()),
            AuthError::SignatureDoesNotMatch,
            AuthError::InvalidSignature("y".into()),
            AuthError::SignatureExpired("z".into()),
            AuthError::InvalidClientTokenId,
            AuthError::InvalidSecurityToken,
            AuthError::ExpiredToken,
        ];
        for e in all {
            assert!(!e.code().is_empty());
            assert!(matches!(e.http_status(), 400 | 403));
            assert!(!e.message().is_empty());
            assert!(e.to_string().starts_with(e.code()));
        }
    }
}
