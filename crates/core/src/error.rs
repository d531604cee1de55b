//! Domain errors. Each variant is one AWS error code; the protocol layer maps
//! them exhaustively to HTTP statuses, so a new variant cannot silently become a 500.

use std::fmt;

/// An error the IAM/STS domain reports to a caller. The message is AWS's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamError {
    /// `NoSuchEntity` (404).
    NoSuchEntity(String),
    /// `EntityAlreadyExists` (409).
    EntityAlreadyExists(String),
    /// `LimitExceeded` (409).
    LimitExceeded(String),
    /// `DeleteConflict` (409).
    DeleteConflict(String),
    /// `MalformedPolicyDocument` (400).
    MalformedPolicyDocument(String),
    /// `InvalidInput` (400).
    InvalidInput(String),
    /// `ValidationError` (400), for constraints AWS checks beyond the model.
    Validation(String),
    /// `UnmodifiableEntity` (400): e.g. changing an AWS managed policy.
    UnmodifiableEntity(String),
    /// `PolicyNotAttachable` (400).
    PolicyNotAttachable(String),
    /// `ConcurrentModification` (409).
    ConcurrentModification(String),
    /// `NotImplemented` (501): an operation of the model ironiam does not serve yet.
    NotImplemented(String),
    /// `AccessDenied` (403): the caller's policies (or a role's trust policy) do not allow it.
    AccessDenied(String),
    /// STS `PackedPolicyTooLarge` (400): session policies and tags too large.
    PackedPolicyTooLarge(String),
    /// STS `InvalidAuthorizationMessageException` (400).
    InvalidAuthorizationMessage(String),
    /// STS `InvalidIdentityToken` (400): a web identity token that does not verify.
    InvalidIdentityToken(String),
    /// STS `ExpiredTokenException` (400): an expired web identity token.
    ExpiredIdentityToken(String),
    /// `PasswordPolicyViolation` (400): a password the account's password
    /// policy (or AWS's default one) refuses.
    PasswordPolicyViolation(String),
    /// `InvalidUserType` (400): ChangePassword by anything but an IAM user.
    InvalidUserType(String),
    /// `ServiceFailure` (500): ironiam failed, not the caller — above all a
    /// store that cannot be read or written (a database that is down). The
    /// detail is logged, never sent to the caller ([`SERVICE_FAILURE_MESSAGE`]).
    Internal(String),
}

/// What a caller is told of an internal failure (`500 ServiceFailure`):
/// AWS's description of IAM's `ServiceFailureException` in its API model.
/// AWS documents no message of its own for the error, so its description
/// serves; it names nothing of the failure (which is logged instead).
pub const SERVICE_FAILURE_MESSAGE: &str =
    "The request processing has failed because of an unknown error, exception or failure.";

/// Shorthand for domain results.
pub type IamResult<T> = Result<T, IamError>;

/// A look-up that may find nothing, told apart from one that failed.
///
/// `NoSuchEntity` is a domain fact a caller may act on (deny like a
/// forbidden role, leave out a policy that is not there); any other error,
/// above all a store failure ([`IamError::Internal`]), must surface as it
/// is. Mapping *every* error of a look-up to "not there" would turn a
/// database outage into a silently skipped policy, or a 400 or 403 that
/// blames the caller (issue 12 item 3).
pub trait Found<T> {
    /// `Ok(None)` where the look-up answered `NoSuchEntity`; other errors
    /// unchanged.
    fn found(self) -> IamResult<Option<T>>;
}

impl<T> Found<T> for IamResult<T> {
    fn found(self) -> IamResult<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(IamError::NoSuchEntity(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl IamError {
    /// AWS's error code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            IamError::NoSuchEntity(_) => "NoSuchEntity",
            IamError::EntityAlreadyExists(_) => "EntityAlreadyExists",
            IamError::LimitExceeded(_) => "LimitExceeded",
            IamError::DeleteConflict(_) => "DeleteConflict",
            IamError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            IamError::InvalidInput(_) => "InvalidInput",
            IamError::Validation(_) => "ValidationError",
            IamError::UnmodifiableEntity(_) => "UnmodifiableEntity",
            IamError::PolicyNotAttachable(_) => "PolicyNotAttachable",
            IamError::ConcurrentModification(_) => "ConcurrentModification",
            IamError::NotImplemented(_) => "NotImplemented",
            IamError::AccessDenied(_) => "AccessDenied",
            IamError::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            IamError::InvalidAuthorizationMessage(_) => "InvalidAuthorizationMessageException",
            IamError::InvalidIdentityToken(_) => "InvalidIdentityToken",
            IamError::ExpiredIdentityToken(_) => "ExpiredTokenException",
            IamError::PasswordPolicyViolation(_) => "PasswordPolicyViolation",
            IamError::InvalidUserType(_) => "InvalidUserType",
            IamError::Internal(_) => "ServiceFailure",
        }
    }

    /// The HTTP status AWS answers with for this code.
    pub fn http_status(&self) -> u16 {
        match self {
            IamError::NoSuchEntity(_) => 404,
            IamError::EntityAlreadyExists(_)
            | IamError::LimitExceeded(_)
            | IamError::DeleteConflict(_)
            | IamError::ConcurrentModification(_) => 409,
            IamError::MalformedPolicyDocument(_)
            | IamError::InvalidInput(_)
            | IamError::Validation(_)
            | IamError::UnmodifiableEntity(_)
            | IamError::PolicyNotAttachable(_)
            | IamError::PackedPolicyTooLarge(_)
            | IamError::InvalidAuthorizationMessage(_)
            | IamError::InvalidIdentityToken(_)
            | IamError::ExpiredIdentityToken(_)
            | IamError::PasswordPolicyViolation(_)
            | IamError::InvalidUserType(_) => 400,
            IamError::AccessDenied(_) => 403,
            IamError::NotImplemented(_) => 501,
            IamError::Internal(_) => 500,
        }
    }

    /// Whether AWS blames the caller (`Sender`) or itself (`Receiver`).
    pub fn is_sender_fault(&self) -> bool {
        !matches!(self, IamError::Internal(_) | IamError::NotImplemented(_))
    }

    /// The message sent to the caller. Internal details are never exposed:
    /// an internal failure (a store that cannot be read or written, above
    /// all) answers [`SERVICE_FAILURE_MESSAGE`], and its detail is logged.
    pub fn message(&self) -> &str {
        match self {
            IamError::Internal(_) => SERVICE_FAILURE_MESSAGE,
            IamError::NoSuchEntity(m)
            | IamError::EntityAlreadyExists(m)
            | IamError::LimitExceeded(m)
            | IamError::DeleteConflict(m)
            | IamError::MalformedPolicyDocument(m)
            | IamError::InvalidInput(m)
            | IamError::Validation(m)
            | IamError::UnmodifiableEntity(m)
            | IamError::PolicyNotAttachable(m)
            | IamError::ConcurrentModification(m)
            | IamError::NotImplemented(m)
            | IamError::AccessDenied(m)
            | IamError::PackedPolicyTooLarge(m)
            | IamError::InvalidAuthorizationMessage(m)
            | IamError::InvalidIdentityToken(m)
            | IamError::ExpiredIdentityToken(m)
            | IamError::PasswordPolicyViolation(m)
            | IamError::InvalidUserType(m) => m,
        }
    }
}

impl fmt::Display for IamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IamError::Internal(detail) => write!(f, "ServiceFailure: {detail}"),
            other => write!(f, "{}: {}", other.code(), other.message()),
        }
    }
}

impl std::error::Error for IamError {}
