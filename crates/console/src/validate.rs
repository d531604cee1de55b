//! The console's inputs are checked exactly as the API checks them: first the
//! model's shape constraints (lengths, patterns, ranges) through
//! `ironiam_protocol::decode_input`, then the domain's rules in
//! `IamService`. Errors keep AWS's code and message.

use ironiam_core::IamError;
use ironiam_protocol::{decode_input, operation, Service};

/// An error as AWS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// AWS's error code (`ValidationError`, `MalformedPolicyDocument`…).
    pub code: String,
    /// AWS's message.
    pub message: String,
}

impl From<IamError> for ApiError {
    fn from(e: IamError) -> Self {
        if let IamError::Internal(detail) = &e {
            tracing::error!(%detail, "internal error in the console");
        }
        ApiError {
            code: e.code().to_string(),
            message: e.message().to_string(),
        }
    }
}

impl ApiError {
    /// The HTTP status of a page that shows this error, as the API would
    /// answer it: a refusal is 403 (never a 500), a missing entity 404.
    pub(crate) fn status(&self) -> hyper::StatusCode {
        use hyper::StatusCode;
        match self.code.as_str() {
            "AccessDenied" => StatusCode::FORBIDDEN,
            "NoSuchEntity" => StatusCode::NOT_FOUND,
            "ServiceFailure" | "InternalFailure" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// Checks `params` against the input shape of the IAM operation `op`.
pub(crate) fn shape(op: &str, params: &[(&str, &str)]) -> Result<(), ApiError> {
    let Some(def) = operation(Some(Service::Iam), op) else {
        return Err(ApiError {
            code: "InternalFailure".into(),
            message: format!("unknown operation {op}"),
        });
    };
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    decode_input(def, &owned).map(|_| ()).map_err(|e| ApiError {
        code: e.code().to_string(),
        message: e.message(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_follow_the_model() {
        assert!(shape("GetRole", &[("RoleName", "ecsAnywhereRole")]).is_ok());
        let e = shape("GetRole", &[("RoleName", "my role")]).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(e.message.contains("roleName"), "{}", e.message);
    }
}
