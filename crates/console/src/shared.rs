//! What every replica of one deployment must see alike: sign-in sessions,
//! the sign-in brake's failure counts and the CSRF secret.
//!
//! The console keeps the rules (token minting and hashing, lifetimes, the
//! brake's limit and window) and hands only storage to a [`SharedState`].
//! One process alone (`--in-memory`, SQLite) uses [`InProcess`]; with
//! `--database` the binary hands in a PostgreSQL-backed one, so that a
//! session signed in on one replica is accepted by every other, a sign-out
//! anywhere ends it everywhere, and guesses spread over replicas meet one
//! brake. The console cannot depend on a store crate, hence the trait.

use std::collections::HashMap;
use std::fmt;

use parking_lot::Mutex;
use rand::RngCore;

pub use ironiam_core::console_session::StoredSession;

/// Storage failed. The detail is for the log only; the browser gets a
/// generic 503 page and never a sign-in that silently succeeded.
#[derive(Debug, Clone)]
pub struct SharedError(pub String);

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the console keeps what every replica must share. Keys of sessions
/// are the SHA-256 of the session token: an implementation never sees a
/// token. Brake keys are `account/folded-name` (not secrets).
pub trait SharedState: Send + Sync + fmt::Debug {
    /// The secret CSRF tokens are made with: the same on every replica, so a
    /// form rendered by one is accepted when posted to another.
    fn csrf_secret(&self) -> [u8; 32];
    /// Stores a new session under the hash of its token (sessions expired
    /// by `now` may be dropped on the way).
    fn put_session(
        &self,
        key: &[u8; 32],
        session: &StoredSession,
        now: i64,
    ) -> Result<(), SharedError>;
    /// The session stored under `key`, unless it expired by `now`.
    fn session(&self, key: &[u8; 32], now: i64) -> Result<Option<StoredSession>, SharedError>;
    /// Ends the session stored under `key` (nothing if there is none).
    fn end_session(&self, key: &[u8; 32]) -> Result<(), SharedError>;
    /// Marks the session as no longer needing a new password.
    fn clear_password_reset(&self, key: &[u8; 32]) -> Result<(), SharedError>;
    /// Failed sign-ins for `name` counted in the window that started at
    /// most `window` seconds before `now` (0 when none, or when it ended).
    fn failures(&self, name: &str, now: i64, window: i64) -> Result<u32, SharedError>;
    /// Counts one failure for `name`, starting a new window when the last
    /// one ended.
    fn add_failure(&self, name: &str, now: i64, window: i64) -> Result<(), SharedError>;
    /// Forgets the failures of `name`.
    fn clear_failures(&self, name: &str) -> Result<(), SharedError>;
}

/// Sessions kept at most in one process; past it, expired ones are dropped
/// and then the one ending soonest, so a flood of sign-ins cannot grow
/// memory without bound.
const SESSION_CAPACITY: usize = 10_000;

/// Names whose failures are remembered at most; past it, expired entries
/// are dropped and then the map starts afresh, so a flood of made-up names
/// cannot grow memory.
const FAILURE_CAPACITY: usize = 10_000;

/// Everything in this process: a restart signs everyone out and forgets
/// failures, and CSRF tokens die with the process (`--in-memory`, SQLite).
pub struct InProcess {
    csrf: [u8; 32],
    sessions: Mutex<HashMap<[u8; 32], StoredSession>>,
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl fmt::Debug for InProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcess").finish_non_exhaustive()
    }
}

/// Drawn once per process, as before there was a [`SharedState`]: every
/// console of the process accepts the others' forms.
fn process_secret() -> [u8; 32] {
    static SECRET: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    *SECRET.get_or_init(|| {
        let mut s = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut s);
        s
    })
}

impl Default for InProcess {
    fn default() -> Self {
        InProcess {
            csrf: process_secret(),
            sessions: Mutex::default(),
            failures: Mutex::default(),
        }
    }
}

impl InProcess {
    /// How many sessions are stored (tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.sessions.lock().len()
    }
}

impl SharedState for InProcess {
    fn csrf_secret(&self) -> [u8; 32] {
        self.csrf
    }

    fn put_session(
        &self,
        key: &[u8; 32],
        session: &StoredSession,
        now: i64,
    ) -> Result<(), SharedError> {
        let mut live = self.sessions.lock();
        if live.len() >= SESSION_CAPACITY {
            live.retain(|_, s| s.expires > now);
        }
        if live.len() >= SESSION_CAPACITY {
            if let Some(oldest) = live.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k) {
                live.remove(&oldest);
            }
        }
        live.insert(*key, session.clone());
        Ok(())
    }

    fn session(&self, key: &[u8; 32], now: i64) -> Result<Option<StoredSession>, SharedError> {
        let mut live = self.sessions.lock();
        match live.get(key) {
            Some(s) if s.expires > now => Ok(Some(s.clone())),
            Some(_) => {
                live.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    fn end_session(&self, key: &[u8; 32]) -> Result<(), SharedError> {
        self.sessions.lock().remove(key);
        Ok(())
    }

    fn clear_password_reset(&self, key: &[u8; 32]) -> Result<(), SharedError> {
        if let Some(s) = self.sessions.lock().get_mut(key) {
            s.password_reset_required = false;
        }
        Ok(())
    }

    fn failures(&self, name: &str, now: i64, window: i64) -> Result<u32, SharedError> {
        Ok(match self.failures.lock().get(name) {
            Some((n, first)) if now - first < window => *n,
            _ => 0,
        })
    }

    fn add_failure(&self, name: &str, now: i64, window: i64) -> Result<(), SharedError> {
        let mut map = self.failures.lock();
        if map.len() >= FAILURE_CAPACITY {
            map.retain(|_, (_, first)| now - *first < window);
            if map.len() >= FAILURE_CAPACITY {
                map.clear();
            }
        }
        let entry = map.entry(name.to_string()).or_insert((0, now));
        if now - entry.1 >= window {
            *entry = (0, now);
        }
        entry.0 += 1;
        Ok(())
    }

    fn clear_failures(&self, name: &str) -> Result<(), SharedError> {
        self.failures.lock().remove(name);
        Ok(())
    }
}

/// The CSRF secret of replicas that share a server key: HMAC-SHA-256 of the
/// key's text under a label of its own, so the secret is the same wherever
/// the key is and reveals nothing about it. `server_key` is the key's text
/// (`ServerKey::to_text`).
pub fn csrf_secret_from_server_key(server_key: &str) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    match <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(server_key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(b"ironiam-console-csrf-secret");
            mac.finalize().into_bytes().into()
        }
        // HMAC accepts keys of any length, so this cannot happen; were it
        // to, a random secret only makes tokens per process (never a
        // secret anyone could guess).
        Err(_) => process_secret(),
    }
}
