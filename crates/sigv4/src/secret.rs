//! The secret access key, kept opaque.

use std::fmt;
use zeroize::Zeroizing;

/// A secret access key. Its bytes are wiped when it is dropped; `Debug` prints
/// `Secret(***)` and there is deliberately no `Display`, so it cannot reach a log line or an
/// error message by accident.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret access key.
    pub fn new(secret_access_key: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret_access_key.into()))
    }

    /// The secret itself, for signing and for storing it encrypted. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}
