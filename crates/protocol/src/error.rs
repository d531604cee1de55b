//! Errors of the protocol layer, each with the AWS code, HTTP status and fault side it
//! answers with.
//!
//! Wording, and where it comes from:
//!
//! * `ValidationError` messages are Coral's, as IAM and STS send them:
//!   `1 validation error detected: Value 'my role' at 'roleName' failed to satisfy
//!   constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`, several
//!   joined by `; ` after `N validation errors detected: `.
//! * `InvalidAction`: `Could not find operation Foo for version 2010-05-08`, as IAM (and
//!   every Coral query service) answers an unknown action.
//! * `MissingAction`: AWS documents the code but no IAM message could be found;
//!   `Missing Action` is what other Query-protocol emulators answer.
//! * `UnknownParameter`: IAM's behaviour for a parameter the operation does not have is not
//!   documented; ironiam rejects it (a typo such as `Tags.member.1.key` would otherwise be
//!   silently dropped) with the code and wording EC2's Query API uses for the same case,
//!   `The parameter Foo is not recognized`.
//! * An ill-typed value (`MaxItems=abc`) is reported as one more validation error in
//!   Coral's style, `Member must be an integer`; AWS's exact answer is not documented.

use thiserror::Error;

/// An error found while reading a request, before any handler runs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    /// The input breaks the model's constraints: one message per broken constraint, in
    /// model order. HTTP 400, `ValidationError`.
    #[error("{}", format_validation(.0))]
    Validation(Vec<String>),

    /// No `Action` parameter. HTTP 400, `MissingAction`.
    #[error("Missing Action")]
    MissingAction,

    /// The action is not an operation of the service (or of the `Version` asked for).
    /// HTTP 400, `InvalidAction`.
    #[error("Could not find operation {action} for version {version}")]
    InvalidAction {
        /// The `Action` as sent.
        action: String,
        /// The `Version` as sent, or the service's version when none was.
        version: String,
    },

    /// The body or query string is not valid `application/x-www-form-urlencoded`: a `%`
    /// not followed by two hex digits, or bytes that are not UTF-8 once decoded.
    /// HTTP 400, `MalformedQueryString`.
    ///
    /// AWS's common-errors page lists this code with HTTP 404; ironiam answers 400, the
    /// status of every other malformed-request error, so clients do not read it as "not
    /// found".
    #[error("{reason}")]
    MalformedQueryString {
        /// What is wrong, for the message.
        reason: String,
    },

    /// A parameter that is not a member of the operation's input (nor `Action`, `Version`
    /// or a signature parameter). HTTP 400, `UnknownParameter`.
    #[error("The parameter {name} is not recognized")]
    UnknownParameter {
        /// The parameter name as sent.
        name: String,
    },

    /// A parameter that names a member but cannot be read: given twice, or a value given
    /// to a list, map or structure. HTTP 400, `InvalidQueryParameter`.
    #[error("The parameter {name} {reason}")]
    InvalidQueryParameter {
        /// The parameter name as sent.
        name: String,
        /// What is wrong with it, completing "The parameter X …".
        reason: &'static str,
    },
}

fn format_validation(messages: &[String]) -> String {
    let n = messages.len();
    let mut out = String::with_capacity(40 + messages.iter().map(|m| m.len() + 2).sum::<usize>());
    out.push_str(&n.to_string());
    out.push_str(if n == 1 {
        " validation error detected: "
    } else {
        " validation errors detected: "
    });
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(m);
    }
    out
}

impl QueryError {
    /// The AWS error code, for `<Code>`.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::Validation(_) => "ValidationError",
            QueryError::MissingAction => "MissingAction",
            QueryError::InvalidAction { .. } => "InvalidAction",
            QueryError::MalformedQueryString { .. } => "MalformedQueryString",
            QueryError::UnknownParameter { .. } => "UnknownParameter",
            QueryError::InvalidQueryParameter { .. } => "InvalidQueryParameter",
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            QueryError::Validation(_)
            | QueryError::MissingAction
            | QueryError::InvalidAction { .. }
            | QueryError::MalformedQueryString { .. }
            | QueryError::UnknownParameter { .. }
            | QueryError::InvalidQueryParameter { .. } => 400,
        }
    }

    /// The message, for `<Message>`.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Whether the client is at fault (`<Type>Sender</Type>`); always, for these errors.
    pub fn is_sender_fault(&self) -> bool {
        match self {
            QueryError::Validation(_)
            | QueryError::MissingAction
            | QueryError::InvalidAction { .. }
            | QueryError::MalformedQueryString { .. }
            | QueryError::UnknownParameter { .. }
            | QueryError::InvalidQueryParameter { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_wording() {
        let one = QueryError::Validation(vec!["A".into()]);
        assert_eq!(one.message(), "1 validation error detected: A");
        let two = QueryError::Validation(vec!["A".into(), "B".into()]);
        assert_eq!(two.message(), "2 validation errors detected: A; B");
        assert_eq!(two.code(), "ValidationError");
        assert_eq!(two.status(), 400);
        assert!(two.is_sender_fault());
    }

    #[test]
    fn other_wording() {
        let e = QueryError::InvalidAction {
            action: "Foo".into(),
            version: "2010-05-08".into(),
        };
        assert_eq!(
            e.message(),
            "Could not find operation Foo for version 2010-05-08"
        );
        assert_eq!(e.code(), "InvalidAction");
        assert_eq!(QueryError::MissingAction.message(), "Missing Action");
        let u = QueryError::UnknownParameter { name: "Foo".into() };
        assert_eq!(u.message(), "The parameter Foo is not recognized");
        assert_eq!(u.code(), "UnknownParameter");
    }
}
