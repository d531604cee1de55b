//! What the web console stores of a sign-in session, shared by the console
//! (which keeps the rules) and every backend that stores it for several
//! replicas (which keeps only rows): one type, so the two never drift.

use std::fmt;

/// A sign-in session as it is stored: who it is for, never its token.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// The account signed in to.
    pub account_id: String,
    /// The principal's ARN.
    pub arn: String,
    /// The principal's unique id (the account id for root, `AIDA…` for a user).
    pub user_id: String,
    /// The IAM user's name; `None` for the account's root user (the only two
    /// kinds of principal the console signs in).
    pub user_name: Option<String>,
    /// An IAM user whose password must be changed before anything else.
    pub password_reset_required: bool,
    /// When the session ends, epoch seconds.
    pub expires: i64,
}

impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession")
            .field("arn", &self.arn)
            .field("password_reset_required", &self.password_reset_required)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}
