//! What replicas on one database share beside the entities: the console's
//! sign-in sessions and sign-in brake ([`PgShared`]), and the last uses of
//! access keys and roles that other replicas record
//! ([`PostgresStore::follow_last_uses`]).
//!
//! Sessions are stored by the SHA-256 of their token (the console hashes;
//! this module never sees a token) and read on every console request: one
//! primary-key read, so a sign-out on one replica ends the session on every
//! other at once. The brake's counts are one row per name, counted with one
//! upsert, so guesses spread over replicas meet one brake.
//!
//! The tables are schema version 3 of the versioned migrations
//! ([`SCHEMA`], run by `crate::migrate` at start-up like the entities').
//! Portable SQL only (text, bigint and boolean columns, `ON CONFLICT … DO
//! UPDATE`): what CockroachDB and YugabyteDB also accept.

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ironiam_core::entities::{AccessKeyUse, RoleLastUsed};
use ironiam_core::memory::MemoryStore;
use ironiam_core::store::Store;
use ironiam_core::IamResult;
use parking_lot::Mutex;
use postgres::Config;

use crate::{db_err, detail, off_runtime, Connection, OpenError, PgJournal, PostgresStore};

/// The console's tables, and the indexes that let a replica read only the
/// last uses recorded lately: migration 3.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS console_sessions (
    -- SHA-256 of the session token, hex; never the token
    token_sha256 TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    arn TEXT NOT NULL,
    user_id TEXT NOT NULL,
    -- NULL for an account's root user
    user_name TEXT,
    password_reset_required BOOLEAN NOT NULL,
    expires BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS console_sessions_by_expiry ON console_sessions (expires);
CREATE TABLE IF NOT EXISTS console_signin_failures (
    -- account/folded name (a user name or a root access key id)
    name TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    first_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS console_signin_failures_by_start ON console_signin_failures (first_at);
CREATE INDEX IF NOT EXISTS access_key_uses_by_date ON access_key_uses (date);
CREATE INDEX IF NOT EXISTS role_uses_by_date ON role_uses (date);
";

/// `config` giving up on a database that stops answering, as the
/// follower's does: a console request waits at most this long (then 503)
/// on a silent network, and the connection is made again afterwards.
fn bounded(mut config: Config) -> Config {
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(crate::FOLLOWER_NETWORK_TIMEOUT);
    }
    config.tcp_user_timeout(crate::FOLLOWER_NETWORK_TIMEOUT);
    config
}

pub use ironiam_core::console_session::StoredSession;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The console's sessions and sign-in brake in the database every replica
/// shares. One connection, made again when it breaks; a console request
/// holds it for one statement.
pub struct PgShared {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for PgShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgShared").finish_non_exhaustive()
    }
}

impl PgShared {
    /// Connects to the database at `url` and creates the tables if they are
    /// missing (after [`crate::open`], which creates the entity tables).
    pub fn open(url: &str) -> Result<PgShared, OpenError> {
        let config: Config = url
            .parse()
            .map_err(|e| OpenError(format!("invalid database URL: {e}")))?;
        PgShared::open_with(config)
    }

    /// [`PgShared::open`] with a parsed configuration.
    pub fn open_with(config: Config) -> Result<PgShared, OpenError> {
        let config = bounded(config);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut client = config.connect(postgres::NoTls).map_err(|e| {
                    OpenError(format!("cannot connect to the database: {}", detail(&e)))
                })?;
                // The store's open has run the migrations already; run on
                // its own (tests), this brings the schema up to date too.
                // Replicas starting together may race on `IF NOT EXISTS`
                // (PostgreSQL can then report a duplicate); once more is
                // enough, as for the store's open.
                if let Err(first) = crate::migrate(&mut client) {
                    tracing::info!(error = %first, "creating the console's tables raced; retrying");
                    std::thread::sleep(Duration::from_millis(200));
                    crate::migrate(&mut client).map_err(|e| {
                        OpenError(format!(
                            "cannot create the console's tables: {}",
                            detail(&e)
                        ))
                    })?;
                }
                Ok(PgShared {
                    conn: Mutex::new(Connection {
                        config: config.clone(),
                        client: Some(client),
                    }),
                })
            })
            .join()
            .unwrap_or_else(|_| Err(OpenError("opening the database panicked".into())))
        })
    }

    /// Runs `f` on the connection, off any async runtime. Console requests
    /// take turns on it: each holds it for one statement.
    fn with<R: Send>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<R, postgres::Error> + Send,
    ) -> IamResult<R> {
        off_runtime(|| {
            let mut conn = self.conn.lock();
            f(conn.client()?).map_err(db_err)
        })
    }

    /// Stores a new session under `key` (the token's SHA-256), dropping the
    /// expired ones on the way (an indexed delete).
    pub fn put_session(&self, key: &[u8; 32], row: &StoredSession, now: i64) -> IamResult<()> {
        let key = hex(key);
        self.with(|c| {
            c.execute("DELETE FROM console_sessions WHERE expires <= $1", &[&now])?;
            c.execute(
                "INSERT INTO console_sessions (token_sha256, account_id, arn, user_id, user_name,
                 password_reset_required, expires) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &key,
                    &row.account_id,
                    &row.arn,
                    &row.user_id,
                    &row.user_name,
                    &row.password_reset_required,
                    &row.expires,
                ],
            )
            .map(drop)
        })
    }

    /// The session stored under `key`, unless it has expired by `now`: one
    /// primary-key read.
    pub fn session(&self, key: &[u8; 32], now: i64) -> IamResult<Option<StoredSession>> {
        let key = hex(key);
        self.with(|c| {
            let row = c.query_opt(
                "SELECT account_id, arn, user_id, user_name, password_reset_required, expires
                 FROM console_sessions WHERE token_sha256 = $1 AND expires > $2",
                &[&key, &now],
            )?;
            Ok(row.map(|r| StoredSession {
                account_id: r.get(0),
                arn: r.get(1),
                user_id: r.get(2),
                user_name: r.get(3),
                password_reset_required: r.get(4),
                expires: r.get(5),
            }))
        })
    }

    /// Ends the session stored under `key`.
    pub fn end_session(&self, key: &[u8; 32]) -> IamResult<()> {
        let key = hex(key);
        self.with(|c| {
            c.execute(
                "DELETE FROM console_sessions WHERE token_sha256 = $1",
                &[&key],
            )
            .map(drop)
        })
    }

    /// Marks the session under `key` as no longer needing a new password.
    pub fn clear_password_reset(&self, key: &[u8; 32]) -> IamResult<()> {
        let key = hex(key);
        self.with(|c| {
            c.execute(
                "UPDATE console_sessions SET password_reset_required = FALSE WHERE token_sha256 = $1",
                &[&key],
            )
            .map(drop)
        })
    }

    /// Failed sign-ins of `name` in the window that started less than
    /// `window` seconds before `now`.
    pub fn failures(&self, name: &str, now: i64, window: i64) -> IamResult<u32> {
        let since = now.saturating_sub(window);
        let count: Option<i64> = self.with(|c| {
            Ok(c.query_opt(
                "SELECT failures FROM console_signin_failures WHERE name = $1 AND first_at > $2",
                &[&name, &since],
            )?
            .map(|r| r.get(0)))
        })?;
        Ok(count.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// Counts one failure of `name` in one statement, so that replicas
    /// counting at the same moment both count: a window that ended starts
    /// again at one. Windows that ended are dropped on the way.
    pub fn add_failure(&self, name: &str, now: i64, window: i64) -> IamResult<()> {
        let since = now.saturating_sub(window);
        self.with(|c| {
            c.execute(
                "DELETE FROM console_signin_failures WHERE first_at <= $1 AND name <> $2",
                &[&since, &name],
            )?;
            c.execute(
                "INSERT INTO console_signin_failures (name, failures, first_at) VALUES ($1, 1, $2)
                 ON CONFLICT (name) DO UPDATE SET
                   failures = CASE WHEN console_signin_failures.first_at <= $3
                                   THEN 1 ELSE console_signin_failures.failures + 1 END,
                   first_at = CASE WHEN console_signin_failures.first_at <= $3
                                   THEN excluded.first_at ELSE console_signin_failures.first_at END",
                &[&name, &now, &since],
            )
            .map(drop)
        })
    }

    /// Forgets the failures of `name`.
    pub fn clear_failures(&self, name: &str) -> IamResult<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM console_signin_failures WHERE name = $1",
                &[&name],
            )
            .map(drop)
        })
    }
}

/// How often a replica reads the last uses other replicas recorded: far less
/// often than the entities' [`crate::POLL_INTERVAL`], since last use is
/// approximate (AWS reports it with a delay of hours) and a use is
/// journaled at most once a minute per key or role anyway.
pub const USES_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How far back of the newest use seen each read looks again: a use is
/// written by its replica's own thread a moment after its date (and the
/// replicas' clocks may differ a little), so a read must not step past uses
/// dated earlier that reach the database later.
const USES_LOOKBACK: i64 = 10;

thread_local! {
    /// Set while this thread applies uses read from the database: the
    /// journal must not write them back.
    static APPLYING_READ_USES: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is applying uses read from the database.
pub(crate) fn applying_read_uses() -> bool {
    APPLYING_READ_USES.with(Cell::get)
}

/// Where the last-use reader has got to: the newest date seen.
#[derive(Debug, Default, Clone, Copy)]
struct UsesCursor {
    keys: i64,
    roles: i64,
}

/// Now, epoch seconds.
fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Reads the uses dated from a little before the newest seen, and applies
/// those newer than the view's. Answers how many it applied. The cursor
/// never passes the wall clock: a use dated ahead of it (a service clock
/// moved forward through the test endpoint) must not hide the uses dated
/// now that come after it.
fn catch_up_uses(
    store: &MemoryStore<PgJournal>,
    conn: &mut Connection,
    cursor: &mut UsesCursor,
) -> IamResult<usize> {
    let client = conn.client()?;
    let keys = client
        .query(
            "SELECT access_key_id, date, service, region FROM access_key_uses WHERE date >= $1",
            &[&cursor.keys.saturating_sub(USES_LOOKBACK)],
        )
        .map_err(db_err)?;
    // A role's use names its role by id; the role's row says where to find
    // it in the view (roles are never renamed).
    let roles = client
        .query(
            "SELECT u.role_id, u.date, u.region, r.account_id, r.name
             FROM role_uses u JOIN roles r ON r.role_id = u.role_id WHERE u.date >= $1",
            &[&cursor.roles.saturating_sub(USES_LOOKBACK)],
        )
        .map_err(db_err)?;
    let mut applied = 0;
    APPLYING_READ_USES.with(|a| a.set(true));
    let result = (|| {
        for row in &keys {
            let (id, used): (String, AccessKeyUse) = (
                row.get(0),
                AccessKeyUse {
                    date: row.get(1),
                    service: row.get(2),
                    region: row.get(3),
                },
            );
            cursor.keys = cursor.keys.max(used.date);
            let newer = store
                .access_key_last_used(&id)?
                .is_none_or(|mine| mine.date < used.date);
            if newer {
                store.record_access_key_use(&id, used)?;
                applied += 1;
            }
        }
        for row in &roles {
            let (id, used, account, name): (String, RoleLastUsed, String, String) = (
                row.get(0),
                RoleLastUsed {
                    date: row.get(1),
                    region: row.get(2),
                },
                row.get(3),
                row.get(4),
            );
            cursor.roles = cursor.roles.max(used.date);
            let newer = store
                .role_last_used(&id)?
                .is_none_or(|mine| mine.date < used.date);
            if newer {
                store.record_role_use(&account, &name, &id, used)?;
                applied += 1;
            }
        }
        Ok(applied)
    })();
    APPLYING_READ_USES.with(|a| a.set(false));
    let now = wall_clock();
    cursor.keys = cursor.keys.min(now);
    cursor.roles = cursor.roles.min(now);
    result
}

impl PostgresStore {
    /// Starts a thread that reads, every `interval` ([`USES_POLL_INTERVAL`]
    /// in service), the last uses of keys and roles recorded by any replica
    /// and shows the newer ones in this replica's view: GetAccessKeyLastUsed
    /// and GetRole's `RoleLastUsed` on one replica see a use made on another
    /// within `interval` plus the moment its replica takes to write it. A
    /// use read here is not written back. The thread stops when the store
    /// is dropped.
    pub fn follow_last_uses(&self, interval: Duration) -> Result<(), OpenError> {
        let (inner, stop) = (self.inner.clone(), self.stop.clone());
        let config = bounded(self.reader.lock().config.clone());
        std::thread::Builder::new()
            .name("ironiam-pg-uses-follow".into())
            .spawn(move || {
                let mut conn = Connection {
                    config,
                    client: None,
                };
                // Uses loaded at start are in the view already.
                let mut cursor = UsesCursor::default();
                if let Ok(c) = conn.client() {
                    let mut newest = |sql: &str| {
                        c.query_one(sql, &[]).map(|r| r.get::<_, i64>(0)).unwrap_or(0)
                    };
                    let now = wall_clock();
                    cursor = UsesCursor {
                        keys: newest("SELECT COALESCE(MAX(date), 0) FROM access_key_uses").min(now),
                        roles: newest("SELECT COALESCE(MAX(date), 0) FROM role_uses").min(now),
                    };
                }
                let mut failing = false;
                let mut last = std::time::Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(interval.min(Duration::from_millis(100)));
                    if last.elapsed() < interval {
                        continue;
                    }
                    last = std::time::Instant::now();
                    match catch_up_uses(&inner, &mut conn, &mut cursor) {
                        Ok(_) => failing = false,
                        // Last use is approximate: an outage is logged once,
                        // and the next read catches up.
                        Err(e) if !failing => {
                            tracing::warn!(error = %e.message(), "cannot read other replicas' last uses");
                            failing = true;
                        }
                        Err(_) => {}
                    }
                }
            })
            .map(drop)
            .map_err(|e| OpenError(format!("cannot start a thread: {e}")))
    }
}

#[cfg(test)]
mod tests {

    use ironiam_core::IamError;
    use postgres::NoTls;

    use super::*;

    /// A schema of its own on the test server, as the store's own tests
    /// have; `None` skips where there is no server.
    use crate::tests::fresh_config;

    fn session(user: Option<&str>, expires: i64) -> StoredSession {
        StoredSession {
            account_id: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            user_id: "AIDAEXAMPLE".into(),
            user_name: user.map(str::to_string),
            password_reset_required: true,
            expires,
        }
    }

    /// Two replicas' states on one database: a session put by one is read
    /// by the other, its password flag cleared by one is clear for the
    /// other, and ended by one it is gone for both; expiry holds.
    #[test]
    fn sessions_are_shared_and_end_everywhere() {
        let Some(config) = fresh_config() else { return };
        // The entity tables first, as in service (`open` before this).
        let _store = crate::open_with(config.clone(), crate::POLL_INTERVAL).unwrap();
        let (a, b) = (
            PgShared::open_with(config.clone()).unwrap(),
            PgShared::open_with(config).unwrap(),
        );
        let key = [7u8; 32];
        a.put_session(&key, &session(Some("alice"), 2_000), 1_000)
            .unwrap();
        assert_eq!(
            b.session(&key, 1_500).unwrap(),
            Some(session(Some("alice"), 2_000))
        );
        assert_eq!(b.session(&key, 2_000).unwrap(), None, "expired");
        assert_eq!(b.session(&[8u8; 32], 1_500).unwrap(), None, "another token");
        b.clear_password_reset(&key).unwrap();
        assert!(
            !a.session(&key, 1_500)
                .unwrap()
                .unwrap()
                .password_reset_required
        );
        a.end_session(&key).unwrap();
        assert_eq!(
            b.session(&key, 1_500).unwrap(),
            None,
            "signed out everywhere"
        );
        // A root session has no user name; an expired one is dropped by the
        // next sign-in.
        let root = [9u8; 32];
        b.put_session(&root, &session(None, 1_100), 1_000).unwrap();
        assert_eq!(a.session(&root, 1_050).unwrap().unwrap().user_name, None);
        a.put_session(&key, &session(Some("alice"), 9_000), 1_200)
            .unwrap();
        let left: i64 = a
            .with(|c| {
                c.query_one("SELECT COUNT(*) FROM console_sessions", &[])
                    .map(|r| r.get(0))
            })
            .unwrap();
        assert_eq!(left, 1, "the expired session was dropped");
    }

    /// A connection the database dropped is an error for the call that
    /// finds it (the console answers 503), never an empty answer; the next
    /// call connects again.
    #[test]
    fn a_dropped_connection_fails_the_call_then_reconnects() {
        let Some(config) = fresh_config() else { return };
        let _store = crate::open_with(config.clone(), crate::POLL_INTERVAL).unwrap();
        let shared = PgShared::open_with(config.clone()).unwrap();
        let key = [3u8; 32];
        shared
            .put_session(&key, &session(None, 2_000), 1_000)
            .unwrap();
        let pid: i32 = shared
            .with(|c| {
                c.query_one("SELECT pg_backend_pid()", &[])
                    .map(|r| r.get(0))
            })
            .unwrap();
        let mut admin = config.connect(NoTls).unwrap();
        admin
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .unwrap();
        let first = shared.session(&key, 1_500);
        assert!(matches!(first, Err(IamError::Internal(_))), "{first:?}");
        assert!(shared.session(&key, 1_500).unwrap().is_some());
    }

    /// Failures counted on two replicas add up; the window restarts the
    /// count; clearing on one clears for both.
    #[test]
    fn the_brake_counts_across_replicas() {
        let Some(config) = fresh_config() else { return };
        let _store = crate::open_with(config.clone(), crate::POLL_INTERVAL).unwrap();
        let (a, b) = (
            PgShared::open_with(config.clone()).unwrap(),
            PgShared::open_with(config).unwrap(),
        );
        for i in 0..6 {
            let replica = if i % 2 == 0 { &a } else { &b };
            replica
                .add_failure("123456789012/alice", 1_000 + i, 900)
                .unwrap();
        }
        assert_eq!(a.failures("123456789012/alice", 1_010, 900).unwrap(), 6);
        assert_eq!(b.failures("123456789012/alice", 1_010, 900).unwrap(), 6);
        assert_eq!(b.failures("123456789012/bob", 1_010, 900).unwrap(), 0);
        assert_eq!(
            a.failures("123456789012/alice", 1_900, 900).unwrap(),
            0,
            "window over"
        );
        b.add_failure("123456789012/alice", 1_900, 900).unwrap();
        assert_eq!(
            a.failures("123456789012/alice", 1_900, 900).unwrap(),
            1,
            "a new window"
        );
        a.clear_failures("123456789012/alice").unwrap();
        assert_eq!(b.failures("123456789012/alice", 1_900, 900).unwrap(), 0);
    }

    /// Counting from many threads on two replicas at once loses no failure:
    /// each is one upsert.
    #[test]
    fn concurrent_failures_all_count() {
        let Some(config) = fresh_config() else { return };
        let _store = crate::open_with(config.clone(), crate::POLL_INTERVAL).unwrap();
        let replicas: Vec<PgShared> = (0..4)
            .map(|_| PgShared::open_with(config.clone()).unwrap())
            .collect();
        std::thread::scope(|s| {
            for r in &replicas {
                s.spawn(move || {
                    for _ in 0..5 {
                        r.add_failure("123456789012/alice", 1_000, 900).unwrap();
                    }
                });
            }
        });
        assert_eq!(
            replicas[0]
                .failures("123456789012/alice", 1_001, 900)
                .unwrap(),
            20
        );
    }

    /// A use recorded on one replica is seen on another after one read of
    /// the uses (not only after a restart), a use older than the view's is
    /// not applied, and nothing read is written back.
    #[test]
    fn last_uses_travel_between_replicas() {
        let Some(config) = fresh_config() else { return };
        let a = crate::open_with(config.clone(), crate::POLL_INTERVAL).unwrap();
        let b = crate::open_with(config.clone(), crate::POLL_INTERVAL).unwrap();
        let role = ironiam_core::conformance::role("r");
        let (account, role_id) = (role.account_id.clone(), role.role_id.clone());
        a.create_role(role, 1000).unwrap();
        // The role reaches b through the entity follower.
        for _ in 0..200 {
            if b.get_role(&account, "r").is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut conn = Connection {
            config,
            client: None,
        };
        let mut cursor = UsesCursor::default();
        let key_use = |date| AccessKeyUse {
            date,
            service: "iam".into(),
            region: "us-east-1".into(),
        };
        a.record_access_key_use("AKIAEXAMPLE", key_use(5_000))
            .unwrap();
        a.record_role_use(
            &account,
            "r",
            &role_id,
            RoleLastUsed {
                date: 5_000,
                region: "eu-west-1".into(),
            },
        )
        .unwrap();
        a.flush_uses().unwrap();
        assert_eq!(b.access_key_last_used("AKIAEXAMPLE").unwrap(), None);
        let applied = catch_up_uses(&b.inner, &mut conn, &mut cursor).unwrap();
        assert_eq!(applied, 2);
        assert_eq!(
            b.access_key_last_used("AKIAEXAMPLE").unwrap(),
            Some(key_use(5_000))
        );
        assert_eq!(
            b.role_last_used(&role_id).unwrap().map(|u| u.region),
            Some("eu-west-1".into())
        );
        // b's own newer use stays; reading again applies nothing older.
        b.record_access_key_use("AKIAEXAMPLE", key_use(6_000))
            .unwrap();
        assert_eq!(catch_up_uses(&b.inner, &mut conn, &mut cursor).unwrap(), 0);
        assert_eq!(
            b.access_key_last_used("AKIAEXAMPLE").unwrap(),
            Some(key_use(6_000))
        );
        // Applying wrote nothing back: only b's own use is newer in the
        // database once its writer has caught up.
        b.flush_uses().unwrap();
        let date: i64 = conn
            .client()
            .unwrap()
            .query_one(
                "SELECT date FROM access_key_uses WHERE access_key_id = 'AKIAEXAMPLE'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(date, 6_000);
    }
}
