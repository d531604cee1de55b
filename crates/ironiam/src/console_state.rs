//! The console's shared state on a database every replica shares: the
//! console's [`SharedState`] over `ironiam_store_postgres::PgShared` (the
//! console cannot depend on a store crate, nor the store on the console).

use ironiam_console::{SharedError, SharedState, StoredSession};
use ironiam_core::IamError;
use ironiam_store_postgres::PgShared;

/// Sessions and the sign-in brake in the database; the CSRF secret derived
/// from the server key every replica shares.
#[derive(Debug)]
pub(crate) struct Database {
    pub db: PgShared,
    pub csrf_secret: [u8; 32],
}

/// The detail goes to the log only (the console answers a generic 503).
fn failed(e: IamError) -> SharedError {
    SharedError(e.message().to_string())
}

impl SharedState for Database {
    fn csrf_secret(&self) -> [u8; 32] {
        self.csrf_secret
    }

    fn put_session(&self, key: &[u8; 32], s: &StoredSession, now: i64) -> Result<(), SharedError> {
        self.db.put_session(key, s, now).map_err(failed)
    }

    fn session(&self, key: &[u8; 32], now: i64) -> Result<Option<StoredSession>, SharedError> {
        self.db.session(key, now).map_err(failed)
    }

    fn end_session(&self, key: &[u8; 32]) -> Result<(), SharedError> {
        self.db.end_session(key).map_err(failed)
    }

    fn clear_password_reset(&self, key: &[u8; 32]) -> Result<(), SharedError> {
        self.db.clear_password_reset(key).map_err(failed)
    }

    fn failures(&self, name: &str, now: i64, window: i64) -> Result<u32, SharedError> {
        self.db.failures(name, now, window).map_err(failed)
    }

    fn add_failure(&self, name: &str, now: i64, window: i64) -> Result<(), SharedError> {
        self.db.add_failure(name, now, window).map_err(failed)
    }

    fn clear_failures(&self, name: &str) -> Result<(), SharedError> {
        self.db.clear_failures(name).map_err(failed)
    }
}
