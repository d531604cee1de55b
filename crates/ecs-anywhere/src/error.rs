//! Why a check or repair could not be done. Every variant means exit status 2.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

/// A failure to talk to IAM/STS, with a message that says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The standard credential chain found nothing usable.
    #[error("no AWS credentials found: {detail}")]
    NoCredentials {
        /// What the credential chain reported.
        detail: String,
    },
    /// Nothing answered at the endpoint.
    #[error("cannot reach {target}: {detail}")]
    Unreachable {
        /// The endpoint, as configured.
        target: String,
        /// The connection error.
        detail: String,
    },
    /// The endpoint did not answer in time.
    #[error("{target} did not answer in time calling {operation}")]
    Timeout {
        /// The endpoint.
        target: String,
        /// The API action, e.g. `iam:GetRole`.
        operation: String,
    },
    /// The caller may not call an API action.
    #[error("access denied calling {operation}: {message}")]
    AccessDenied {
        /// The API action, e.g. `iam:GetRole`.
        operation: String,
        /// The service's message (names the caller and action on AWS).
        message: String,
    },
    /// The endpoint does not accept these credentials.
    #[error("{target} rejected the credentials ({code}) calling {operation}: {message}")]
    CredentialsRejected {
        /// The endpoint.
        target: String,
        /// The API action.
        operation: String,
        /// AWS's error code, e.g. `InvalidClientTokenId`.
        code: String,
        /// The service's message.
        message: String,
    },
    /// Any other error answer.
    #[error("{operation} failed: {code}: {message}")]
    Service {
        /// The API action.
        operation: String,
        /// AWS's error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// An answer that is not an IAM/STS response.
    #[error("{target} sent an answer to {operation} that is not an AWS response: {detail}")]
    BadResponse {
        /// The endpoint.
        target: String,
        /// The API action.
        operation: String,
        /// What went wrong reading it.
        detail: String,
    },
}

impl Failure {
    /// A stable name for `--output json`.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::NoCredentials { .. } => "no-credentials",
            Failure::Unreachable { .. } => "unreachable",
            Failure::Timeout { .. } => "timeout",
            Failure::AccessDenied { .. } => "access-denied",
            Failure::CredentialsRejected { .. } => "credentials-rejected",
            Failure::Service { .. } => "service-error",
            Failure::BadResponse { .. } => "bad-response",
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Failure::NoCredentials { .. } => {
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or choose a profile with --profile or AWS_PROFILE"
            }
            Failure::Unreachable { .. } | Failure::Timeout { .. } => {
                "check --endpoint-url / AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_IAM, and that the server is running"
            }
            Failure::AccessDenied { .. } => {
                "the check needs iam:GetRole, iam:ListAttachedRolePolicies and iam:ListRolePolicies; ensure also needs iam:CreateRole, iam:UpdateAssumeRolePolicy, iam:UpdateRole and iam:AttachRolePolicy (and sts:GetCallerIdentity for --harden)"
            }
            Failure::CredentialsRejected { .. } => "the access key is unknown, expired or its secret is wrong for this endpoint",
            Failure::Service { .. } | Failure::BadResponse { .. } => "this is the endpoint's own error; see its message",
        }
    }
}

/// Error codes that mean "you may not", across AWS services.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
];

/// Error codes that mean "who are you?".
const REJECTED_CREDENTIAL_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "AuthFailure",
];

/// Maps an error answer from IAM/STS to a [`Failure`].
pub fn classify_service_error(
    operation: &str,
    target: &str,
    code: Option<&str>,
    message: Option<&str>,
) -> Failure {
    let code = code.unwrap_or("Unknown").to_owned();
    let message = message.unwrap_or("(no message)").to_owned();
    let operation = operation.to_owned();
    if ACCESS_DENIED_CODES.contains(&code.as_str()) {
        Failure::AccessDenied { operation, message }
    } else if REJECTED_CREDENTIAL_CODES.contains(&code.as_str()) {
        Failure::CredentialsRejected {
            target: target.to_owned(),
            operation,
            code,
            message,
        }
    } else {
        Failure::Service {
            operation,
            code,
            message,
        }
    }
}

/// Maps an SDK error to a [`Failure`].
pub fn from_sdk<E, R>(operation: &str, target: &str, error: SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = innermost(&error);
    match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            classify_service_error(operation, target, e.code(), e.message())
        }
        SdkError::DispatchFailure(dispatch) if dispatch.is_timeout() => Failure::Timeout {
            target: target.to_owned(),
            operation: operation.to_owned(),
        },
        SdkError::TimeoutError(_) => Failure::Timeout {
            target: target.to_owned(),
            operation: operation.to_owned(),
        },
        SdkError::DispatchFailure(_) => Failure::Unreachable {
            target: target.to_owned(),
            detail,
        },
        SdkError::ResponseError(_) => Failure::BadResponse {
            target: target.to_owned(),
            operation: operation.to_owned(),
            detail,
        },
        // Construction failures include credentials that could not be loaded
        // at signing time.
        _ if detail.contains("credentials") => Failure::NoCredentials { detail },
        _ => Failure::BadResponse {
            target: target.to_owned(),
            operation: operation.to_owned(),
            detail,
        },
    }
}

/// An error and its sources, joined with `: ` (without the `Debug` dump that
/// `DisplayErrorContext` appends), for messages people read.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut current = error.source();
    while let Some(source) = current {
        let text = source.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = source.source();
    }
    parts.join(": ")
}

/// The most specific message of an error chain ("Connection refused (os error
/// 111)"), falling back to the whole chain.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    let text = current.to_string();
    if text.is_empty() || std::ptr::eq(current, error) {
        chain(error)
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_from_any_service_is_access_denied() {
        for code in [
            "AccessDenied",
            "AccessDeniedException",
            "UnauthorizedOperation",
        ] {
            let f = classify_service_error(
                "iam:GetRole",
                "https://iam.amazonaws.com",
                Some(code),
                Some("User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:GetRole"),
            );
            assert_eq!(f.kind(), "access-denied", "{code}");
            assert_eq!(
                f.to_string(),
                "access denied calling iam:GetRole: User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:GetRole"
            );
            assert!(f.hint().contains("iam:GetRole"));
        }
    }

    #[test]
    fn rejected_credentials_name_the_code() {
        let f = classify_service_error(
            "sts:GetCallerIdentity",
            "http://x",
            Some("InvalidClientTokenId"),
            Some("bad"),
        );
        assert_eq!(f.kind(), "credentials-rejected");
        assert_eq!(f.to_string(), "http://x rejected the credentials (InvalidClientTokenId) calling sts:GetCallerIdentity: bad");
    }

    #[test]
    fn other_codes_are_service_errors() {
        let f = classify_service_error(
            "iam:AttachRolePolicy",
            "http://x",
            Some("LimitExceeded"),
            None,
        );
        assert_eq!(f.kind(), "service-error");
        assert_eq!(
            f.to_string(),
            "iam:AttachRolePolicy failed: LimitExceeded: (no message)"
        );
    }
}
