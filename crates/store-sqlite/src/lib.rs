//! Embedded durable storage: SQLite in WAL mode under `--data-dir`.
//!
//! The state is held in memory ([`MemoryStore`]) for reads; every change is
//! written to SQLite and committed *before* it becomes visible or is
//! acknowledged, so an acknowledged write survives `kill -9`. With
//! `synchronous=NORMAL` (the default) a commit survives a process crash; with
//! [`Durability::Full`] it also survives power loss, at the cost of an fsync
//! per write.
//!
//! One process owns a data directory: a lock file refuses a second server,
//! whose cached state would otherwise go stale.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ironiam_core::crypto::ServerKey;
use ironiam_core::entities::{
    AccessKeyUse, CustomerPolicy, Group, InstanceProfile, OidcProvider, PrincipalBinding, Role,
    RoleLastUsed, Tag, User,
};
use ironiam_core::memory::{this_thread, Change, GroupCommit, Journal, MemoryStore, Snapshot};
use ironiam_core::password::PasswordPolicy;
use ironiam_core::rows::{
    self, access_keys_json, login_profile_json, password_policy_json, principals_json, tags_json,
};
use ironiam_core::{IamError, IamResult};
use parking_lot::Mutex;
use rusqlite::{params, Connection, OpenFlags};
use serde_json::json;

/// How hard each commit tries to reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Survives a process crash (`kill -9`): SQLite WAL with `synchronous=NORMAL`.
    #[default]
    Process,
    /// Also survives power loss: `synchronous=FULL`.
    Full,
}

/// The SQLite-backed store.
pub type SqliteStore = MemoryStore<SqliteJournal>;

/// Told how long each journal write took (its statements and commit):
/// how the server's metrics see storage latency without this crate
/// knowing about them.
pub type CommitObserver = Box<dyn Fn(Duration) + Send + Sync>;

/// Writes changes to SQLite.
pub struct SqliteJournal {
    conn: Mutex<Connection>,
    /// The group commit under way, if any. Locked only while `conn` is.
    group: Mutex<OpenGroup>,
    _checkpointer: Option<Checkpointer>,
    _lock: File,
    /// Set once at start; read without a lock on every commit.
    on_commit: OnceLock<CommitObserver>,
}

impl SqliteJournal {
    /// Calls `observer` after every commit (of one change, or of a group's
    /// changes together), with the time its writes and commit took. One
    /// observer per journal; `false` if one was already set.
    pub fn observe_commits(&self, observer: CommitObserver) -> bool {
        self.on_commit.set(observer).is_ok()
    }
}

/// WAL size past which the checkpointer makes it start over.
const WAL_RESTART_BYTES: u64 = 16 * 1024 * 1024;

/// Moves WAL frames into the database on a background thread, so that no
/// request pays for a checkpoint (and its fsync) inline.
struct Checkpointer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> Option<Checkpointer> {
        let conn = Connection::open(path).ok()?;
        conn.busy_timeout(Duration::from_secs(5)).ok()?;
        let wal = path.with_extension("sqlite3-wal");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("ironiam-checkpoint".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(250));
                    // PASSIVE never blocks the writer, but under a steady stream of
                    // writes it never catches up, and the WAL only grows. Past a
                    // size, RESTART waits for the writer, briefly holds new writes
                    // back, and makes the next write start the WAL over (its file
                    // is reused, and cut to `journal_size_limit`). Measured here:
                    // RESTART costs about half what TRUNCATE does under load.
                    let big = std::fs::metadata(&wal)
                        .map(|m| m.len() > WAL_RESTART_BYTES)
                        .unwrap_or(false);
                    let mode = if big { "RESTART" } else { "PASSIVE" };
                    if let Err(e) =
                        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                    }
                }
            })
            .ok()?;
        Some(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for SqliteJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteJournal").finish_non_exhaustive()
    }
}

/// Errors opening a data directory: one type for every backend.
pub use ironiam_core::store::OpenError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS roles (
    role_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    create_date INTEGER NOT NULL,
    trust_policy TEXT NOT NULL,
    description TEXT,
    max_session_duration INTEGER NOT NULL,
    permissions_boundary TEXT,
    tags TEXT NOT NULL,
    inline_policies TEXT NOT NULL,
    attached_policies TEXT NOT NULL,
    -- JSON list of [ARN as the trust policy names it, unique id it was bound to on save]
    trust_principals TEXT NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX IF NOT EXISTS roles_by_name ON roles (account_id, lower(name));
CREATE TABLE IF NOT EXISTS policies (
    policy_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    description TEXT,
    create_date INTEGER NOT NULL,
    update_date INTEGER NOT NULL,
    default_version_id TEXT NOT NULL,
    next_version INTEGER NOT NULL,
    versions TEXT NOT NULL,
    tags TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS policies_by_name ON policies (account_id, lower(name));
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    create_date INTEGER NOT NULL,
    permissions_boundary TEXT,
    tags TEXT NOT NULL,
    inline_policies TEXT NOT NULL,
    attached_policies TEXT NOT NULL,
    -- JSON list of {id, secret (sealed under the server key, base64), status, created}
    access_keys TEXT NOT NULL,
    -- JSON {hash (Argon2id PHC string, never the password), created, reset_required}, or NULL
    login_profile TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS users_by_name ON users (account_id, lower(name));
CREATE TABLE IF NOT EXISTS access_key_uses (
    access_key_id TEXT PRIMARY KEY,
    date INTEGER NOT NULL,
    service TEXT NOT NULL,
    region TEXT NOT NULL
);
-- keyed by role id, not name: a role re-created under the same name starts with no history
CREATE TABLE IF NOT EXISTS role_uses (
    role_id TEXT PRIMARY KEY,
    date INTEGER NOT NULL,
    region TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oidc_providers (
    arn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    url TEXT NOT NULL,
    client_ids TEXT NOT NULL,
    thumbprints TEXT NOT NULL,
    tags TEXT NOT NULL,
    create_date INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS password_policies (
    account_id TEXT PRIMARY KEY,
    -- JSON of the policy's members
    policy TEXT NOT NULL
);
-- schema 7: a new table, so an older database gains it (empty) with every row kept
CREATE TABLE IF NOT EXISTS instance_profiles (
    instance_profile_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    create_date INTEGER NOT NULL,
    -- JSON list of the names of its roles, as the roles spell them
    roles TEXT NOT NULL,
    tags TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS instance_profiles_by_name ON instance_profiles (account_id, lower(name));
-- schema 8: groups, a new table, so an older database gains it (empty) with every row kept
CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    create_date INTEGER NOT NULL,
    inline_policies TEXT NOT NULL,
    attached_policies TEXT NOT NULL,
    -- JSON list of the unique ids (AIDA...) of its users, in the order they were added
    members TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS groups_by_name ON groups (account_id, lower(name));
PRAGMA user_version = 8;
";

/// Brings a database made by an older ironiam up to [`SCHEMA`]: `CREATE …
/// IF NOT EXISTS` adds new tables, but columns added to existing tables need
/// an `ALTER TABLE`. Runs after `SCHEMA`, so every table exists.
///
/// Answers whether the roles' trust principals must still be bound (a
/// database from before schema 6): see [`bind_legacy_trusts`].
fn migrate(conn: &Connection) -> rusqlite::Result<bool> {
    let has_column = |table: &str, column: &str| -> rusqlite::Result<bool> {
        conn.query_row(
            "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
            params![table, column],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)
    };
    if !has_column("users", "login_profile")? {
        conn.execute_batch("ALTER TABLE users ADD COLUMN login_profile TEXT;")?;
    }
    let bind_trusts = !has_column("roles", "trust_principals")?;
    if bind_trusts {
        conn.execute_batch(
            "ALTER TABLE roles ADD COLUMN trust_principals TEXT NOT NULL DEFAULT '[]';",
        )?;
    }
    Ok(bind_trusts)
}

/// Schema 6 binds the users and roles a trust policy names to their unique
/// ids (see `ironiam_core::trust`). Roles saved before it are bound once, on
/// the first start that migrates them, to the principals that hold those
/// ARNs then. A named principal that does not exist then (older ironiam
/// accepted such a trust; AWS does not) is bound to a fresh id that no
/// principal has: the trust shows that id, as AWS shows a deleted
/// principal's, and admits no one later created under the name — the safe
/// reading of a trust that, in AWS, could only have named a principal since
/// deleted.
fn bind_legacy_trusts(
    conn: &Connection,
    roles: &mut [Role],
    users: &[User],
) -> rusqlite::Result<()> {
    let ids: std::collections::HashMap<String, String> = users
        .iter()
        .map(|u| (u.arn(), u.user_id.clone()))
        .chain(roles.iter().map(|r| (r.arn(), r.role_id.clone())))
        .collect();
    let tx = conn.unchecked_transaction()?;
    for role in roles.iter_mut() {
        let bound: Vec<PrincipalBinding> =
            ironiam_core::trust::named_principals(&role.assume_role_policy_document)
                .into_iter()
                .map(|arn| {
                    let id = ids.get(&arn).cloned().unwrap_or_else(|| {
                        ironiam_core::ids::unique_id(if arn.contains(":role/") {
                            "AROA"
                        } else {
                            "AIDA"
                        })
                    });
                    PrincipalBinding { arn, id }
                })
                .collect();
        if bound.is_empty() {
            continue;
        }
        tx.prepare_cached("UPDATE roles SET trust_principals = ?1 WHERE role_id = ?2")?
            .execute(params![principals_json(&bound), role.role_id])?;
        role.trust_principals = bound;
    }
    tx.commit()
}

fn sql_err(e: rusqlite::Error) -> IamError {
    IamError::Internal(format!("sqlite: {e}"))
}

/// Creates `dir` (and any missing parents) readable by the owner only
/// (0700): it holds the database, whose rows include sealed secrets and
/// password hashes, and `server.key`. An existing directory is left as the
/// operator made it (it may be `.`).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `path` if missing, and makes it and its `-wal` and `-shm`
/// companions (if they exist) readable and writable by the owner only (0600).
fn make_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    drop(options.open(path)?);
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::set_permissions(&name, std::os::unix::fs::PermissionsExt::from_mode(0o600)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// Reads the server key from `path` (`<data-dir>/server.key`, or
/// `--server-key-file`), creating it (readable by the owner only) if it
/// does not exist: what `ironiam serve` and the `seed` tool both use.
pub fn load_or_create_server_key(path: &Path) -> Result<ServerKey, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => ServerKey::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = ServerKey::generate();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            std::io::Write::write_all(&mut file, key.to_text().as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Opens (creating if needed) the store in `dir`.
pub fn open(dir: &Path, durability: Durability) -> Result<SqliteStore, OpenError> {
    create_private_dir(dir).map_err(|e| {
        OpenError(format!(
            "cannot create data directory {}: {e}",
            dir.display()
        ))
    })?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("ironiam.lock"))
        .map_err(|e| OpenError(format!("cannot open lock file: {e}")))?;
    lock.try_lock().map_err(|_| {
        OpenError(format!(
            "data directory {} is in use by another ironiam process",
            dir.display()
        ))
    })?;
    let db_path = dir.join("ironiam.sqlite3");
    // SQLite gives the WAL and shared-memory files the database file's
    // permissions, so creating it owner-only covers all three.
    make_private_file(&db_path)
        .map_err(|e| OpenError(format!("cannot create database {}: {e}", db_path.display())))?;
    let conn =
        Connection::open(&db_path).map_err(|e| OpenError(format!("cannot open database: {e}")))?;
    let sync = match durability {
        Durability::Process => "NORMAL",
        Durability::Full => "FULL",
    };
    // Checkpoints run on the background thread, not inside a request's commit.
    let bind_trusts = conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=0; \
         PRAGMA journal_size_limit=67108864;"
    ))
        .and_then(|_| conn.execute_batch(SCHEMA))
        .and_then(|_| migrate(&conn))
        .map_err(|e| OpenError(format!("cannot prepare database: {e}")))?;
    // Roles and users are most of a large account: read side by side, the
    // roles on a second (read-only) connection (WAL lets it read while
    // this one does). Start-up of 100,000 of each: see bench/RESULTS.md.
    let (roles, users) = std::thread::scope(|s| {
        let roles = s.spawn(|| {
            // No mutex: this connection is one thread's (SQLite otherwise
            // locks one around every column read, 8 % of a load's CPU).
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            Connection::open_with_flags(&db_path, flags).and_then(|c| load_roles(&c))
        });
        let users = load_users(&conn);
        (roles.join(), users)
    });
    let mut roles = roles
        .map_err(|_| OpenError("reading roles panicked".into()))?
        .map_err(|e| OpenError(format!("cannot read roles: {e}")))?;
    let users = users.map_err(|e| OpenError(format!("cannot read users: {e}")))?;
    let policies =
        load_policies(&conn).map_err(|e| OpenError(format!("cannot read policies: {e}")))?;
    if bind_trusts {
        bind_legacy_trusts(&conn, &mut roles, &users)
            .map_err(|e| OpenError(format!("cannot bind trust policies' principals: {e}")))?;
    }
    let key_uses =
        load_key_uses(&conn).map_err(|e| OpenError(format!("cannot read access key uses: {e}")))?;
    let role_uses =
        load_role_uses(&conn).map_err(|e| OpenError(format!("cannot read role uses: {e}")))?;
    let oidc_providers = load_oidc_providers(&conn)
        .map_err(|e| OpenError(format!("cannot read OpenID Connect providers: {e}")))?;
    let password_policies = load_password_policies(&conn)
        .map_err(|e| OpenError(format!("cannot read password policies: {e}")))?;
    let instance_profiles = load_instance_profiles(&conn)
        .map_err(|e| OpenError(format!("cannot read instance profiles: {e}")))?;
    let groups = load_groups(&conn).map_err(|e| OpenError(format!("cannot read groups: {e}")))?;
    // The writer waits (rather than fails) while a TRUNCATE checkpoint holds the lock.
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| OpenError(format!("cannot prepare database: {e}")))?;
    let checkpointer = Checkpointer::start(&db_path);
    if checkpointer.is_none() {
        // No background thread: let SQLite checkpoint inline rather than grow the WAL forever.
        conn.execute_batch("PRAGMA wal_autocheckpoint=1000;")
            .map_err(|e| OpenError(format!("cannot prepare database: {e}")))?;
    }
    Ok(MemoryStore::with_journal(
        SqliteJournal {
            conn: Mutex::new(conn),
            group: Mutex::new(OpenGroup::default()),
            _checkpointer: checkpointer,
            _lock: lock,
            on_commit: OnceLock::new(),
        },
        Snapshot {
            roles,
            policies,
            users,
            key_uses,
            role_uses,
            oidc_providers,
            password_policies,
            instance_profiles,
            groups,
        },
    ))
}

/// Writes `snapshot` into the data directory `dir` in one transaction, for
/// an offline bulk load (`crates/bench`'s `seed`: 100,000 roles through
/// the journal's one commit per change would take minutes). `snapshot` was
/// built by the core rules (an `IamService` over a `MemoryStore`); each
/// entity is written by the journal's own row writer, so its row is what
/// the journal would have written. Refused unless the directory holds no
/// entity yet (an import never merges), and while a server holds it (the
/// lock file). Answers how many entities were written.
pub fn import(dir: &Path, snapshot: &Snapshot) -> Result<usize, OpenError> {
    let store = open(dir, Durability::Process)?;
    let journal = store.journal();
    let failed = |e: rusqlite::Error| OpenError(format!("cannot import: {e}"));
    let empty: bool = journal
        .conn
        .lock()
        .query_row(
            "SELECT NOT (EXISTS (SELECT 1 FROM roles) OR EXISTS (SELECT 1 FROM users)
             OR EXISTS (SELECT 1 FROM policies) OR EXISTS (SELECT 1 FROM groups)
             OR EXISTS (SELECT 1 FROM instance_profiles) OR EXISTS (SELECT 1 FROM oidc_providers)
             OR EXISTS (SELECT 1 FROM password_policies))",
            [],
            |row| row.get(0),
        )
        .map_err(failed)?;
    if !empty {
        return Err(OpenError(format!(
            "cannot import into {}: it already holds entities",
            dir.display()
        )));
    }
    // The journal's own statements for each change, all in one transaction.
    let conn = journal.conn.lock();
    conn.execute_batch("BEGIN").map_err(failed)?;
    let written = snapshot
        .changes()
        .try_for_each(|change| statements(&conn, change));
    match written {
        Ok(()) => end(&conn, "COMMIT").map_err(|e| OpenError(format!("cannot import: {e}")))?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(failed(e));
        }
    }
    Ok(snapshot.entities())
}

/// A text column borrowed from the row: the JSON columns are parsed
/// straight from SQLite's buffer, not from a copy made for the purpose.
fn text<'r>(row: &'r rusqlite::Row<'_>, column: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(column)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A column decoded by the shared row codec ([`rows`]): a stored JSON
/// column that does not parse is corruption, so refuse to start rather
/// than silently drop data.
fn decoded<T>(column: usize, parsed: Result<T, rows::Corrupt>) -> rusqlite::Result<T> {
    parsed.map_err(|what| corrupt(column, &what))
}

fn parse_tags(column: usize, text: &str) -> rusqlite::Result<Vec<Tag>> {
    decoded(column, rows::parse_tags(text))
}

fn load_roles(conn: &Connection) -> rusqlite::Result<Vec<Role>> {
    let mut stmt = conn.prepare(
        "SELECT account_id, role_id, name, path, create_date, trust_policy, description, max_session_duration,
                permissions_boundary, tags, inline_policies, attached_policies, trust_principals FROM roles",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(Role {
            account_id: row.get(0)?,
            role_id: row.get(1)?,
            name: row.get(2)?,
            path: row.get(3)?,
            create_date: row.get(4)?,
            assume_role_policy_document: row.get(5)?,
            trust_principals: decoded(12, rows::parse_principals(text(row, 12)?))?,
            description: row.get(6)?,
            max_session_duration: row.get(7)?,
            permissions_boundary: row.get(8)?,
            tags: parse_tags(9, text(row, 9)?)?,
            inline_policies: decoded(10, rows::parse_inline_policies(text(row, 10)?))?,
            attached_policies: decoded(11, rows::parse_strings(text(row, 11)?))?,
        })
    })?;
    rows.collect()
}

fn load_policies(conn: &Connection) -> rusqlite::Result<Vec<CustomerPolicy>> {
    let mut stmt = conn.prepare(
        "SELECT account_id, policy_id, name, path, description, create_date, update_date, default_version_id,
                next_version, versions, tags FROM policies",
    )?;
    let rows = stmt.query_map([], |row| {
        let versions = decoded(9, rows::parse_versions(text(row, 9)?))?;
        Ok(CustomerPolicy {
            account_id: row.get(0)?,
            policy_id: row.get(1)?,
            name: row.get(2)?,
            path: row.get(3)?,
            description: row.get(4)?,
            create_date: row.get(5)?,
            update_date: row.get(6)?,
            default_version_id: row.get(7)?,
            next_version: row.get(8)?,
            versions,
            tags: parse_tags(10, text(row, 10)?)?,
        })
    })?;
    rows.collect()
}

fn load_password_policies(conn: &Connection) -> rusqlite::Result<Vec<(String, PasswordPolicy)>> {
    let mut stmt = conn.prepare("SELECT account_id, policy FROM password_policies")?;
    let rows = stmt.query_map([], |row| {
        let policy = decoded(1, rows::parse_password_policy(text(row, 1)?))?;
        Ok((row.get(0)?, policy))
    })?;
    rows.collect()
}

fn corrupt(column: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        what.to_string().into(),
    )
}

fn load_users(conn: &Connection) -> rusqlite::Result<Vec<User>> {
    let mut stmt = conn.prepare(
        "SELECT account_id, user_id, name, path, create_date, permissions_boundary, tags, inline_policies,
                attached_policies, access_keys, login_profile FROM users",
    )?;
    let rows = stmt.query_map([], |row| {
        let access_keys = decoded(9, rows::parse_access_keys(text(row, 9)?))?;
        let login_profile = row
            .get::<_, Option<String>>(10)?
            .map(|text| decoded(10, rows::parse_login_profile(&text)))
            .transpose()?;
        Ok(User {
            account_id: row.get(0)?,
            user_id: row.get(1)?,
            name: row.get(2)?,
            path: row.get(3)?,
            create_date: row.get(4)?,
            permissions_boundary: row.get(5)?,
            tags: parse_tags(6, text(row, 6)?)?,
            inline_policies: decoded(7, rows::parse_inline_policies(text(row, 7)?))?,
            attached_policies: decoded(8, rows::parse_strings(text(row, 8)?))?,
            access_keys,
            login_profile,
        })
    })?;
    rows.collect()
}

fn load_key_uses(conn: &Connection) -> rusqlite::Result<Vec<(String, AccessKeyUse)>> {
    let mut stmt =
        conn.prepare("SELECT access_key_id, date, service, region FROM access_key_uses")?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get(0)?,
            AccessKeyUse {
                date: row.get(1)?,
                service: row.get(2)?,
                region: row.get(3)?,
            },
        ))
    })?;
    rows.collect()
}

fn load_role_uses(conn: &Connection) -> rusqlite::Result<Vec<(String, RoleLastUsed)>> {
    let mut stmt = conn.prepare("SELECT role_id, date, region FROM role_uses")?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get(0)?,
            RoleLastUsed {
                date: row.get(1)?,
                region: row.get(2)?,
            },
        ))
    })?;
    rows.collect()
}

fn load_instance_profiles(conn: &Connection) -> rusqlite::Result<Vec<InstanceProfile>> {
    let mut stmt = conn.prepare("SELECT account_id, instance_profile_id, name, path, create_date, roles, tags FROM instance_profiles")?;
    let rows = stmt.query_map([], |row| {
        Ok(InstanceProfile {
            account_id: row.get(0)?,
            instance_profile_id: row.get(1)?,
            name: row.get(2)?,
            path: row.get(3)?,
            create_date: row.get(4)?,
            roles: decoded(5, rows::parse_strings(text(row, 5)?))?,
            tags: parse_tags(6, text(row, 6)?)?,
        })
    })?;
    rows.collect()
}

fn load_groups(conn: &Connection) -> rusqlite::Result<Vec<Group>> {
    let mut stmt = conn.prepare(
        "SELECT account_id, group_id, name, path, create_date, inline_policies, attached_policies, members FROM groups",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(Group {
            account_id: row.get(0)?,
            group_id: row.get(1)?,
            name: row.get(2)?,
            path: row.get(3)?,
            create_date: row.get(4)?,
            inline_policies: decoded(5, rows::parse_inline_policies(text(row, 5)?))?,
            attached_policies: decoded(6, rows::parse_strings(text(row, 6)?))?,
            members: decoded(7, rows::parse_strings(text(row, 7)?))?,
        })
    })?;
    rows.collect()
}

fn load_oidc_providers(conn: &Connection) -> rusqlite::Result<Vec<OidcProvider>> {
    let mut stmt = conn.prepare(
        "SELECT account_id, url, client_ids, thumbprints, tags, create_date FROM oidc_providers",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(OidcProvider {
            account_id: row.get(0)?,
            url: row.get(1)?,
            client_ids: decoded(2, rows::parse_strings(text(row, 2)?))?,
            thumbprints: decoded(3, rows::parse_strings(text(row, 3)?))?,
            tags: parse_tags(4, text(row, 4)?)?,
            create_date: row.get(5)?,
        })
    })?;
    rows.collect()
}

impl Journal for SqliteJournal {
    fn record(&self, change: Change<'_>) -> IamResult<()> {
        self.write(change)
    }

    fn group_commit(&self) -> Option<&dyn GroupCommit> {
        Some(self)
    }
}

/// A group commit under way ([`GroupCommit`]).
#[derive(Debug, Default)]
struct OpenGroup {
    /// The thread whose changes join the group (`this_thread`), 0 when none.
    owner: usize,
    /// A transaction is open on the connection for the group's changes.
    open: bool,
    /// A change or an early commit failed: the group must not commit.
    failed: bool,
    /// Time spent writing the group's changes so far: with its `COMMIT`,
    /// what the commit observer is told (once per group, as one commit).
    spent: Duration,
}

impl GroupCommit for SqliteJournal {
    fn begin(&self) {
        let _conn = self.conn.lock();
        *self.group.lock() = OpenGroup {
            owner: this_thread(),
            ..OpenGroup::default()
        };
    }

    fn commit(&self) -> IamResult<()> {
        let started = Instant::now();
        let conn = self.conn.lock();
        let group = std::mem::take(&mut *self.group.lock());
        if group.failed {
            return Err(IamError::Internal(
                "a change of this group could not be written".into(),
            ));
        }
        if !group.open {
            return Ok(());
        }
        let committed = end(&conn, "COMMIT");
        self.observe(group.spent + started.elapsed());
        committed
    }

    fn reload(&self) -> IamResult<Snapshot> {
        load_snapshot(&self.conn.lock()).map_err(sql_err)
    }
}

/// Ends the open transaction with `COMMIT` (or `ROLLBACK`); a failed
/// commit is rolled back, so the connection is never left inside one.
fn end(conn: &Connection, how: &str) -> IamResult<()> {
    conn.execute_batch(how).map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        sql_err(e)
    })
}

/// Everything the database holds, as [`open`] loads it (after a failed
/// group commit, memory starts over from it).
fn load_snapshot(conn: &Connection) -> rusqlite::Result<Snapshot> {
    Ok(Snapshot {
        roles: load_roles(conn)?,
        policies: load_policies(conn)?,
        users: load_users(conn)?,
        key_uses: load_key_uses(conn)?,
        role_uses: load_role_uses(conn)?,
        oidc_providers: load_oidc_providers(conn)?,
        password_policies: load_password_policies(conn)?,
        instance_profiles: load_instance_profiles(conn)?,
        groups: load_groups(conn)?,
    })
}

impl SqliteJournal {
    /// Writes one change. In the group under way, if the change is its
    /// owner's: inside the group's transaction (a failure there rolls the
    /// whole group back). Otherwise in a transaction of its own, after
    /// committing what another thread's group wrote so far, so that this
    /// change is durable when `record` returns, as always.
    fn write(&self, change: Change<'_>) -> IamResult<()> {
        let started = Instant::now();
        let conn = self.conn.lock();
        let mut group = self.group.lock();
        if group.owner != 0 && group.owner == this_thread() {
            if group.failed {
                return Err(IamError::Internal(
                    "an earlier change of this group could not be written".into(),
                ));
            }
            let written = if group.open {
                Ok(())
            } else {
                conn.execute_batch("BEGIN")
            }
            .and_then(|_| {
                group.open = true;
                statements(&conn, change)
            });
            group.spent += started.elapsed();
            return written.map_err(|e| {
                if group.open {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                group.open = false;
                group.failed = true;
                sql_err(e)
            });
        }
        if group.open {
            // Committing a group early is safe: none of its changes has
            // been answered yet, and its owner commits the rest later.
            group.open = false;
            if end(&conn, "COMMIT").is_err() {
                group.failed = true;
            }
        }
        drop(group);
        let written = if matches!(
            change,
            Change::DeleteRole(_) | Change::DeleteUser(_) | Change::Reset
        ) {
            // Several statements: one transaction, so that none is half done
            // (and no last use outlives its role or key).
            conn.execute_batch("BEGIN").map_err(sql_err).and_then(|_| {
                match statements(&conn, change) {
                    Ok(()) => end(&conn, "COMMIT"),
                    Err(e) => {
                        let _ = conn.execute_batch("ROLLBACK");
                        Err(sql_err(e))
                    }
                }
            })
        } else {
            // One statement: SQLite's autocommit is its transaction.
            statements(&conn, change).map_err(sql_err)
        };
        self.observe(started.elapsed());
        written
    }

    /// Tells the commit observer, if any, how long one commit took.
    fn observe(&self, took: Duration) {
        if let Some(observer) = self.on_commit.get() {
            observer(took);
        }
    }
}

/// The statements of one change, inside whatever transaction is open.
fn statements(conn: &Connection, change: Change<'_>) -> rusqlite::Result<()> {
    match change {
            Change::PutRole(r) => conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO roles (role_id, account_id, name, path, create_date, trust_policy, description,
                     max_session_duration, permissions_boundary, tags, inline_policies, attached_policies, trust_principals)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        r.role_id,
                        r.account_id,
                        r.name,
                        r.path,
                        r.create_date,
                        r.assume_role_policy_document,
                        r.description,
                        r.max_session_duration,
                        r.permissions_boundary,
                        tags_json(&r.tags),
                        json!(r.inline_policies).to_string(),
                        json!(r.attached_policies).to_string(),
                        principals_json(&r.trust_principals),
                    ])
                }),
            Change::DeleteRole(r) => conn.prepare_cached("DELETE FROM roles WHERE role_id = ?1").and_then(|mut s| {
                let n = s.execute(params![r.role_id])?;
                conn.prepare_cached("DELETE FROM role_uses WHERE role_id = ?1")?.execute(params![r.role_id])?;
                Ok(n)
            }),
            Change::PutPolicy(p) => conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO policies (policy_id, account_id, name, path, description, create_date,
                     update_date, default_version_id, next_version, versions, tags)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        p.policy_id,
                        p.account_id,
                        p.name,
                        p.path,
                        p.description,
                        p.create_date,
                        p.update_date,
                        p.default_version_id,
                        p.next_version,
                        rows::versions_json(&p.versions),
                        tags_json(&p.tags),
                    ])
                }),
            Change::DeletePolicy(p) => conn
                .prepare_cached("DELETE FROM policies WHERE policy_id = ?1")
                .and_then(|mut s| s.execute(params![p.policy_id])),
            Change::PutUser(u) => conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO users (user_id, account_id, name, path, create_date, permissions_boundary,
                     tags, inline_policies, attached_policies, access_keys, login_profile)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        u.user_id,
                        u.account_id,
                        u.name,
                        u.path,
                        u.create_date,
                        u.permissions_boundary,
                        tags_json(&u.tags),
                        json!(u.inline_policies).to_string(),
                        json!(u.attached_policies).to_string(),
                        access_keys_json(&u.access_keys),
                        login_profile_json(u.login_profile.as_ref()),
                    ])
                }),
            Change::DeleteUser(u) => conn.prepare_cached("DELETE FROM users WHERE user_id = ?1").and_then(|mut s| {
                let n = s.execute(params![u.user_id])?;
                let mut uses = conn.prepare_cached("DELETE FROM access_key_uses WHERE access_key_id = ?1")?;
                for k in &u.access_keys {
                    uses.execute(params![k.access_key_id])?;
                }
                Ok(n)
            }),
            Change::PutOidcProvider(p) => conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO oidc_providers (arn, account_id, url, client_ids, thumbprints, tags, create_date)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        p.arn(),
                        p.account_id,
                        p.url,
                        json!(p.client_ids).to_string(),
                        json!(p.thumbprints).to_string(),
                        tags_json(&p.tags),
                        p.create_date,
                    ])
                }),
            Change::DeleteOidcProvider(p) => conn
                .prepare_cached("DELETE FROM oidc_providers WHERE arn = ?1")
                .and_then(|mut s| s.execute(params![p.arn()])),
            Change::PutInstanceProfile(p) => conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO instance_profiles (instance_profile_id, account_id, name, path, create_date, roles, tags)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        p.instance_profile_id,
                        p.account_id,
                        p.name,
                        p.path,
                        p.create_date,
                        json!(p.roles).to_string(),
                        tags_json(&p.tags),
                    ])
                }),
            Change::DeleteInstanceProfile(p) => conn
                .prepare_cached("DELETE FROM instance_profiles WHERE instance_profile_id = ?1")
                .and_then(|mut s| s.execute(params![p.instance_profile_id])),
            Change::PutGroup(g) => conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO groups (group_id, account_id, name, path, create_date, inline_policies,
                     attached_policies, members) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        g.group_id,
                        g.account_id,
                        g.name,
                        g.path,
                        g.create_date,
                        json!(g.inline_policies).to_string(),
                        json!(g.attached_policies).to_string(),
                        json!(g.members).to_string(),
                    ])
                }),
            Change::DeleteGroup(g) => conn
                .prepare_cached("DELETE FROM groups WHERE group_id = ?1")
                .and_then(|mut s| s.execute(params![g.group_id])),
            Change::PutPasswordPolicy { account_id, policy } => conn
                .prepare_cached("INSERT OR REPLACE INTO password_policies (account_id, policy) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute(params![account_id, password_policy_json(policy)])),
            Change::DeletePasswordPolicy { account_id } => conn
                .prepare_cached("DELETE FROM password_policies WHERE account_id = ?1")
                .and_then(|mut s| s.execute(params![account_id])),
            Change::AccessKeyUsed { access_key_id, used } => conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO access_key_uses (access_key_id, date, service, region) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut s| s.execute(params![access_key_id, used.date, used.service, used.region])),
            Change::RoleUsed { role_id, used } => conn
                .prepare_cached("INSERT OR REPLACE INTO role_uses (role_id, date, region) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![role_id, used.date, used.region])),
            Change::Reset => conn
                .execute_batch("DELETE FROM roles; DELETE FROM role_uses; DELETE FROM policies; DELETE FROM users; DELETE FROM access_key_uses; DELETE FROM oidc_providers; DELETE FROM password_policies; DELETE FROM instance_profiles; DELETE FROM groups;")
                .map(|_| 0),
    }
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironiam_core::holders::{HolderChange, PrincipalKind};
    use ironiam_core::store::Store;
    use std::sync::Arc;

    fn fresh() -> Arc<dyn Store> {
        // Each store gets its own directory, kept alive for the process's life.
        let dir = tempfile::tempdir().unwrap().keep();
        Arc::new(open(&dir, Durability::Process).unwrap())
    }
    ironiam_core::store_conformance_tests!(fresh());

    /// Issue 13: the data directory, the database and its WAL are the
    /// owner's alone, whatever the umask.
    #[cfg(unix)]
    #[test]
    fn data_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        let store = open(&dir, Durability::Process).unwrap();
        store
            .create_role(ironiam_core::conformance::role("Private"), 1000)
            .unwrap();
        assert_eq!(mode(&dir), 0o700);
        for name in [
            "ironiam.sqlite3",
            "ironiam.sqlite3-wal",
            "ironiam.sqlite3-shm",
        ] {
            assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
        }
        drop(store);
        // A database left readable by an older ironiam is narrowed on open.
        std::fs::set_permissions(
            dir.join("ironiam.sqlite3"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let _store = open(&dir, Durability::Process).unwrap();
        assert_eq!(mode(&dir.join("ironiam.sqlite3")), 0o600);
    }

    #[test]
    fn state_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut role = ironiam_core::conformance::role("Durable");
        role.tags.push(Tag {
            key: "k".into(),
            value: "v \"quoted\"".into(),
        });
        role.inline_policies
            .insert("inline".into(), "{ \"Version\": \"2012-10-17\" }".into());
        {
            let store = open(dir.path(), Durability::Full).unwrap();
            store.create_role(role.clone(), 1000).unwrap();
            store
                .update_holder(
                    "123456789012",
                    PrincipalKind::Role,
                    "durable",
                    HolderChange::AttachPolicy {
                        arn: "arn:aws:iam::aws:policy/X".into(),
                        max_attached: 10,
                    },
                )
                .unwrap();
            let mut p = ironiam_core::conformance::policy("Pol");
            p.tags.push(Tag {
                key: "a".into(),
                value: "".into(),
            });
            store.create_policy(p, 10).unwrap();
            // A second process may not open the same directory while this one holds it.
            assert!(open(dir.path(), Durability::Process).is_err());
        }
        let store = open(dir.path(), Durability::Process).unwrap();
        let back = store.get_role("123456789012", "DURABLE").unwrap();
        role.attached_policies
            .push("arn:aws:iam::aws:policy/X".into());
        assert_eq!(*back, role);
        let policies = store.list_policies("123456789012").unwrap();
        assert_eq!(policies.len(), 1);
        assert_eq!(policies[0].tags[0].key, "a");
        assert_eq!(policies[0].versions[0].document, "{}");
    }

    const ACCOUNT: &str = "123456789012";

    /// The role names on disk: what a second connection sees committed.
    fn on_disk(dir: &Path) -> Vec<String> {
        let conn = Connection::open_with_flags(
            dir.join("ironiam.sqlite3"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut names: Vec<String> = conn
            .prepare("SELECT name FROM roles")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        names.sort();
        names
    }

    fn create(store: &SqliteStore, name: &str) -> IamResult<()> {
        store
            .create_role(ironiam_core::conformance::role(name), 1000)
            .map(|_| ())
    }

    /// Issue 12 (group commit): a group's changes reach the disk together,
    /// at its commit, and survive a reopen.
    #[test]
    fn a_group_commits_its_changes_together() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(dir.path(), Durability::Process).unwrap();
            store
                .in_one_commit(&mut || {
                    create(&store, "a").unwrap();
                    create(&store, "b").unwrap();
                    // Inside the group its own changes are visible to it.
                    store.delete_role(ACCOUNT, "a").unwrap();
                    create(&store, "c").unwrap();
                    assert!(
                        on_disk(dir.path()).is_empty(),
                        "nothing is durable before the commit"
                    );
                })
                .unwrap();
            assert_eq!(on_disk(dir.path()), ["b", "c"]);
        }
        let store = open(dir.path(), Durability::Process).unwrap();
        let names: Vec<String> = store
            .list_roles(
                ACCOUNT,
                ironiam_core::store::ListRange {
                    path_prefix: "/",
                    marker: None,
                    max_items: 100,
                },
            )
            .unwrap()
            .items
            .iter()
            .map(|r| r.name.clone())
            .collect();
        assert_eq!(names, ["b", "c"]);
    }

    /// The commit observer (the storage latency metric) is told once per
    /// commit: once for a whole group, once for a lone change.
    #[test]
    fn a_group_is_observed_as_one_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), Durability::Process).unwrap();
        let commits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = commits.clone();
        assert!(store.journal().observe_commits(Box::new(move |_| {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })));
        store
            .in_one_commit(&mut || {
                for name in ["g1", "g2", "g3"] {
                    create(&store, name).unwrap();
                }
            })
            .unwrap();
        assert_eq!(commits.load(std::sync::atomic::Ordering::Relaxed), 1);
        create(&store, "alone").unwrap();
        assert_eq!(commits.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    /// A reader on another thread never sees a change of a group before
    /// the group's commit made it durable: it waits for the group.
    #[test]
    fn a_reader_elsewhere_sees_a_groups_change_only_once_durable() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(dir.path(), Durability::Process).unwrap());
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let mut reader = None;
        store
            .in_one_commit(&mut || {
                create(&store, "seen").unwrap();
                let (elsewhere, path, done_tx) =
                    (store.clone(), dir.path().to_owned(), done_tx.clone());
                reader = Some(std::thread::spawn(move || {
                    let found = elsewhere.get_role(ACCOUNT, "seen").is_ok();
                    // Whatever it saw must already be on disk.
                    let durable = on_disk(&path).contains(&"seen".to_string());
                    let _ = done_tx.send(());
                    (found, durable)
                }));
                // With the group's lock held the reader cannot finish; were
                // it not held, it would within this bound and fail above.
                let finished = done_rx.recv_timeout(Duration::from_millis(300)).is_ok();
                assert!(!finished, "a reader finished while the group was open");
            })
            .unwrap();
        let (found, durable) = reader.unwrap().join().unwrap();
        assert!(found && durable);
    }

    /// A change another thread records while a group is open (a key's last
    /// use) is durable when its `record` returns: it commits the group's
    /// changes so far with it, which is safe, since none was answered yet.
    #[test]
    fn another_threads_change_during_a_group_is_durable_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(dir.path(), Durability::Process).unwrap());
        store
            .in_one_commit(&mut || {
                create(&store, "early").unwrap();
                let (elsewhere, path) = (store.clone(), dir.path().to_owned());
                std::thread::spawn(move || {
                    let other = ironiam_core::conformance::role("other");
                    elsewhere.journal().record(Change::PutRole(&other)).unwrap();
                    assert_eq!(on_disk(&path), ["early", "other"]);
                })
                .join()
                .unwrap();
                create(&store, "late").unwrap();
            })
            .unwrap();
        assert_eq!(on_disk(dir.path()), ["early", "late", "other"]);
    }

    /// A group that fails (here a statement: a trigger refuses one row,
    /// as a full disk or an I/O error would) is rolled back whole, reports
    /// the failure, and memory starts over from the disk: nothing of it
    /// stays visible, and the store goes on.
    #[test]
    fn a_failed_group_is_rolled_back_and_memory_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), Durability::Process).unwrap();
        create(&store, "before").unwrap();
        Connection::open(dir.path().join("ironiam.sqlite3"))
            .unwrap()
            .execute_batch(
                "CREATE TRIGGER refuse BEFORE INSERT ON roles WHEN NEW.name = 'doomed'
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
            )
            .unwrap();
        let mut results = Vec::new();
        let committed = store.in_one_commit(&mut || {
            results.push(create(&store, "kept-in-memory-only"));
            results.push(create(&store, "doomed"));
            results.push(create(&store, "after"));
        });
        assert!(committed.is_err());
        assert!(results[0].is_ok());
        assert!(matches!(results[1], Err(IamError::Internal(_))));
        assert!(
            matches!(results[2], Err(IamError::Internal(_))),
            "a failed group takes no more changes"
        );
        assert_eq!(on_disk(dir.path()), ["before"]);
        assert!(store.get_role(ACCOUNT, "kept-in-memory-only").is_err());
        assert!(store.get_role(ACCOUNT, "before").is_ok());
        create(&store, "later").unwrap();
        assert_eq!(on_disk(dir.path()), ["before", "later"]);
    }

    #[test]
    fn users_and_key_uses_survive_reopen() {
        use ironiam_core::store::UserChange;
        let dir = tempfile::tempdir().unwrap();
        let mut user = ironiam_core::conformance::user("Durable");
        user.tags.push(Tag {
            key: "k".into(),
            value: "v".into(),
        });
        let used = AccessKeyUse {
            date: 1_800_000_000,
            service: "sts".into(),
            region: "eu-west-1".into(),
        };
        {
            let store = open(dir.path(), Durability::Full).unwrap();
            store.create_user(user.clone(), 10).unwrap();
            let key = ironiam_core::conformance::access_key("AKIAAAAAAAAAAAAAAAA1");
            user.access_keys.push(key.clone());
            store
                .update_user(
                    "123456789012",
                    "durable",
                    UserChange::AddAccessKey { key, max_keys: 2 },
                )
                .unwrap();
            store
                .record_access_key_use("AKIAAAAAAAAAAAAAAAA1", used.clone())
                .unwrap();
        }
        let store = open(dir.path(), Durability::Process).unwrap();
        assert_eq!(*store.get_user("123456789012", "DURABLE").unwrap(), user);
        assert_eq!(
            store
                .find_access_key("AKIAAAAAAAAAAAAAAAA1")
                .unwrap()
                .unwrap()
                .name,
            "Durable"
        );
        assert_eq!(
            store.access_key_last_used("AKIAAAAAAAAAAAAAAAA1").unwrap(),
            Some(used)
        );
    }

    /// A clean shutdown (`flush_uses`) journals the uses that the journal
    /// interval kept in memory only.
    #[test]
    fn flushed_uses_survive_reopen() {
        use ironiam_core::store::UserChange;
        let dir = tempfile::tempdir().unwrap();
        let role = ironiam_core::conformance::role("Busy");
        let id = role.role_id.clone();
        let key_use = |date| AccessKeyUse {
            date,
            service: "iam".into(),
            region: "eu-west-1".into(),
        };
        let role_use = |date| RoleLastUsed {
            date,
            region: "eu-west-1".into(),
        };
        {
            let store = open(dir.path(), Durability::Process).unwrap();
            store.create_role(role, 10).unwrap();
            store
                .create_user(ironiam_core::conformance::user("u"), 10)
                .unwrap();
            let key = ironiam_core::conformance::access_key("AKIAAAAAAAAAAAAAAAA1");
            store
                .update_user(
                    "123456789012",
                    "u",
                    UserChange::AddAccessKey { key, max_keys: 2 },
                )
                .unwrap();
            for date in [1_800_000_000, 1_800_000_010] {
                store
                    .record_access_key_use("AKIAAAAAAAAAAAAAAAA1", key_use(date))
                    .unwrap();
                store
                    .record_role_use("123456789012", "Busy", &id, role_use(date))
                    .unwrap();
            }
            store.flush_uses().unwrap();
        }
        let store = open(dir.path(), Durability::Process).unwrap();
        assert_eq!(
            store.access_key_last_used("AKIAAAAAAAAAAAAAAAA1").unwrap(),
            Some(key_use(1_800_000_010))
        );
        assert_eq!(
            store.role_last_used(&id).unwrap(),
            Some(role_use(1_800_000_010))
        );
    }

    /// Role last use survives a restart as last journaled (uses within the
    /// journal interval are coalesced in memory), and goes with its role.
    #[test]
    fn role_uses_survive_reopen_and_go_with_their_role() {
        let dir = tempfile::tempdir().unwrap();
        let at = |date, region: &str| RoleLastUsed {
            date,
            region: region.to_string(),
        };
        let role = ironiam_core::conformance::role("Busy");
        let id = role.role_id.clone();
        {
            let store = open(dir.path(), Durability::Process).unwrap();
            store.create_role(role.clone(), 10).unwrap();
            store
                .record_role_use("123456789012", "Busy", &id, at(1_800_000_000, "eu-west-1"))
                .unwrap();
            // Coalesced: memory only.
            store
                .record_role_use("123456789012", "Busy", &id, at(1_800_000_010, "us-west-2"))
                .unwrap();
            assert_eq!(
                store.role_last_used(&id).unwrap(),
                Some(at(1_800_000_010, "us-west-2"))
            );
        }
        {
            let store = open(dir.path(), Durability::Process).unwrap();
            assert_eq!(
                store.role_last_used(&id).unwrap(),
                Some(at(1_800_000_000, "eu-west-1"))
            );
            store
                .record_role_use("123456789012", "Busy", &id, at(1_800_000_090, "us-west-2"))
                .unwrap();
        }
        let store = open(dir.path(), Durability::Process).unwrap();
        assert_eq!(
            store.role_last_used(&id).unwrap(),
            Some(at(1_800_000_090, "us-west-2"))
        );
        store.delete_role("123456789012", "Busy").unwrap();
        let count = |store: &SqliteStore| -> i64 {
            store
                .journal()
                .conn
                .lock()
                .query_row("SELECT COUNT(*) FROM role_uses", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(count(&store), 0);
        // A row left behind for a role that is gone (written by hand here) is not loaded.
        store
            .journal()
            .conn
            .lock()
            .execute(
                "INSERT INTO role_uses (role_id, date, region) VALUES (?1, 1, 'us-east-1')",
                params![id],
            )
            .unwrap();
        let recreated = store
            .create_role(ironiam_core::conformance::role("Busy"), 10)
            .unwrap();
        drop(store);
        let store = open(dir.path(), Durability::Process).unwrap();
        assert_eq!(store.role_last_used(&id).unwrap(), None);
        assert_eq!(store.role_last_used(&recreated.role_id).unwrap(), None);
    }

    #[test]
    fn login_profiles_and_password_policies_survive_reopen() {
        use ironiam_core::store::UserChange;
        let dir = tempfile::tempdir().unwrap();
        let mut user = ironiam_core::conformance::user("Console");
        let profile = ironiam_core::conformance::login_profile(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        );
        let policy = PasswordPolicy {
            minimum_password_length: 12,
            require_symbols: true,
            allow_users_to_change_password: true,
            max_password_age: Some(90),
            hard_expiry: Some(false),
            ..PasswordPolicy::default()
        };
        {
            let store = open(dir.path(), Durability::Full).unwrap();
            store.create_user(user.clone(), 10).unwrap();
            store
                .update_user(
                    "123456789012",
                    "console",
                    UserChange::CreateLoginProfile(profile.clone()),
                )
                .unwrap();
            store
                .put_password_policy("123456789012", policy.clone())
                .unwrap();
            store
                .put_password_policy("210987654321", PasswordPolicy::default())
                .unwrap();
            store.delete_password_policy("210987654321").unwrap();
        }
        let store = open(dir.path(), Durability::Process).unwrap();
        user.login_profile = Some(profile);
        assert_eq!(*store.get_user("123456789012", "console").unwrap(), user);
        assert_eq!(
            store.get_password_policy("123456789012").unwrap(),
            Some(policy)
        );
        assert_eq!(store.get_password_policy("210987654321").unwrap(), None);
        // Deleting the profile is durable too.
        store
            .update_user("123456789012", "console", UserChange::DeleteLoginProfile)
            .unwrap();
        drop(store);
        let store = open(dir.path(), Durability::Process).unwrap();
        assert!(store
            .get_user("123456789012", "console")
            .unwrap()
            .login_profile
            .is_none());
    }

    /// A data directory written before login profiles existed (schema 3, no
    /// `login_profile` column) opens, keeps its users, and takes profiles.
    #[test]
    fn a_schema_3_database_is_migrated() {
        use ironiam_core::store::UserChange;
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join("ironiam.sqlite3")).unwrap();
            let old_schema = SCHEMA
                .replace(",\n    -- JSON {hash (Argon2id PHC string, never the password), created, reset_required}, or NULL\n    login_profile TEXT", "")
                .replace("PRAGMA user_version = 7;", "PRAGMA user_version = 3;");
            assert!(!old_schema.contains("login_profile"));
            conn.execute_batch(&old_schema).unwrap();
            conn.execute(
                "INSERT INTO users (user_id, account_id, name, path, create_date, tags, inline_policies, attached_policies, access_keys)
                 VALUES ('AIDAOLD', '123456789012', 'old', '/', 1, '[]', '{}', '[]', '[]')",
                [],
            )
            .unwrap();
        }
        let store = open(dir.path(), Durability::Process).unwrap();
        assert!(store
            .get_user("123456789012", "old")
            .unwrap()
            .login_profile
            .is_none());
        let profile = ironiam_core::conformance::login_profile("$phc");
        store
            .update_user(
                "123456789012",
                "old",
                UserChange::CreateLoginProfile(profile.clone()),
            )
            .unwrap();
        drop(store);
        let store = open(dir.path(), Durability::Process).unwrap();
        assert_eq!(
            store.get_user("123456789012", "old").unwrap().login_profile,
            Some(profile)
        );
    }

    /// A data directory written before trust principals were bound (schema
    /// 5, no `trust_principals` column) opens with every role kept, and its
    /// trusts bound to the principals holding the ARNs they name then; a
    /// name no principal holds is bound to an id no one has. Reopening
    /// keeps the bindings.
    #[test]
    fn a_schema_5_database_is_migrated_and_its_trusts_bound() {
        let dir = tempfile::tempdir().unwrap();
        let trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/bob","arn:aws:iam::123456789012:user/gone","arn:aws:iam::123456789012:root"]},"Action":"sts:AssumeRole"}}"#;
        {
            let conn = Connection::open(dir.path().join("ironiam.sqlite3")).unwrap();
            let old_schema = SCHEMA
                .replace(",\n    -- JSON list of [ARN as the trust policy names it, unique id it was bound to on save]\n    trust_principals TEXT NOT NULL DEFAULT '[]'", "")
                .replace("PRAGMA user_version = 8;", "PRAGMA user_version = 5;");
            assert!(!old_schema.contains("trust_principals"));
            conn.execute_batch(&old_schema).unwrap();
            conn.execute(
                "INSERT INTO users (user_id, account_id, name, path, create_date, tags, inline_policies, attached_policies, access_keys)
                 VALUES ('AIDABOB', '123456789012', 'bob', '/', 1, '[]', '{}', '[]', '[]')",
                [],
            )
            .unwrap();
            for (id, name, document) in [
                ("AROAOLD", "old", trust),
                ("AROASVC", "svc", r#"{"Statement":[]}"#),
            ] {
                conn.execute(
                    "INSERT INTO roles (role_id, account_id, name, path, create_date, trust_policy, max_session_duration, tags,
                     inline_policies, attached_policies) VALUES (?1, '123456789012', ?2, '/', 1, ?3, 3600, '[]', '{}', '[]')",
                    params![id, name, document],
                )
                .unwrap();
            }
        }
        let bound = {
            let store = open(dir.path(), Durability::Process).unwrap();
            let role = store.get_role("123456789012", "old").unwrap();
            assert_eq!(role.assume_role_policy_document, trust);
            assert_eq!(role.trust_principals.len(), 2);
            assert_eq!(
                role.trust_principals[0],
                PrincipalBinding {
                    arn: "arn:aws:iam::123456789012:user/bob".into(),
                    id: "AIDABOB".into()
                }
            );
            assert_eq!(
                role.trust_principals[1].arn,
                "arn:aws:iam::123456789012:user/gone"
            );
            assert!(
                role.trust_principals[1].id.starts_with("AIDA")
                    && role.trust_principals[1].id != "AIDABOB"
            );
            assert!(store
                .get_role("123456789012", "svc")
                .unwrap()
                .trust_principals
                .is_empty());
            role.trust_principals.clone()
        };
        let store = open(dir.path(), Durability::Process).unwrap();
        assert_eq!(
            store
                .get_role("123456789012", "old")
                .unwrap()
                .trust_principals,
            bound
        );
    }

    /// A data directory written before instance profiles (schema 6, no
    /// `instance_profiles` table) opens with its roles kept, and then holds
    /// profiles with their roles and tags across a reopen.
    #[test]
    fn a_schema_6_database_gains_instance_profiles() {
        use ironiam_core::store::InstanceProfileChange;
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join("ironiam.sqlite3")).unwrap();
            let start = SCHEMA.find("-- schema 7").unwrap();
            let end = SCHEMA.find("PRAGMA user_version").unwrap();
            let old_schema = format!("{}PRAGMA user_version = 6;", &SCHEMA[..start]);
            assert!(
                !old_schema.contains("instance_profiles")
                    && SCHEMA[start..end].contains("instance_profiles")
            );
            conn.execute_batch(&old_schema).unwrap();
            conn.execute(
                "INSERT INTO roles (role_id, account_id, name, path, create_date, trust_policy, max_session_duration, tags,
                 inline_policies, attached_policies) VALUES ('AROAOLD', '123456789012', 'Old', '/', 1, '{}', 3600, '[]', '{}', '[]')",
                [],
            )
            .unwrap();
        }
        let mut profile = ironiam_core::conformance::instance_profile("Web");
        profile.tags = vec![Tag {
            key: "env".into(),
            value: "prod".into(),
        }];
        {
            let store = open(dir.path(), Durability::Process).unwrap();
            assert_eq!(
                store.get_role("123456789012", "old").unwrap().role_id,
                "AROAOLD"
            );
            store.create_instance_profile(profile.clone(), 10).unwrap();
            store
                .update_instance_profile(
                    "123456789012",
                    "web",
                    InstanceProfileChange::AddRole {
                        role_name: "OLD".into(),
                        max_roles: 1,
                    },
                )
                .unwrap();
            let version: i64 = store
                .journal()
                .conn
                .lock()
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, 8);
        }
        let store = open(dir.path(), Durability::Process).unwrap();
        profile.roles = vec!["Old".into()];
        assert_eq!(
            *store.get_instance_profile("123456789012", "WEB").unwrap(),
            profile
        );
        assert!(matches!(
            store.delete_role("123456789012", "Old"),
            Err(IamError::DeleteConflict(_))
        ));
        store
            .update_instance_profile(
                "123456789012",
                "Web",
                InstanceProfileChange::RemoveRole("Old".into()),
            )
            .unwrap();
        store
            .delete_instance_profile("123456789012", "Web")
            .unwrap();
        drop(store);
        let store = open(dir.path(), Durability::Process).unwrap();
        assert!(store.get_instance_profile("123456789012", "Web").is_err());
    }

    #[test]
    fn oidc_providers_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let provider = ironiam_core::conformance::oidc_provider("https://token.example.com");
        open(dir.path(), Durability::Full)
            .unwrap()
            .create_oidc_provider(provider.clone())
            .unwrap();
        let store = open(dir.path(), Durability::Process).unwrap();
        assert_eq!(
            *store
                .get_oidc_provider("123456789012", &provider.arn())
                .unwrap(),
            provider
        );
    }

    /// A data directory written before groups (schema 7, no `groups`
    /// table) opens with its users kept; then groups, their policies and
    /// their memberships survive a reopen, a user renamed keeps its groups,
    /// and a group deleted stays deleted.
    #[test]
    fn a_schema_7_database_gains_groups_that_survive_reopen() {
        use ironiam_core::store::{GroupChange, UserChange};
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join("ironiam.sqlite3")).unwrap();
            let start = SCHEMA.find("-- schema 8").unwrap();
            let old_schema = format!("{}PRAGMA user_version = 7;", &SCHEMA[..start]);
            assert!(!old_schema.contains("groups"));
            conn.execute_batch(&old_schema).unwrap();
            conn.execute(
                "INSERT INTO users (user_id, account_id, name, path, create_date, tags, inline_policies, attached_policies, access_keys)
                 VALUES ('AIDABOB', '123456789012', 'bob', '/', 1, '[]', '{}', '[]', '[]')",
                [],
            )
            .unwrap();
        }
        let account = "123456789012";
        let mut group = ironiam_core::conformance::group("Admins");
        {
            let store = open(dir.path(), Durability::Process).unwrap();
            store.create_group(group.clone(), 10).unwrap();
            let add = GroupChange::AddUser {
                user_name: "BOB".into(),
                max_groups_per_user: 10,
            };
            store.update_group(account, "admins", add).unwrap();
            let change = |c| store.update_holder(account, PrincipalKind::Group, "admins", c);
            change(HolderChange::PutInlinePolicy {
                name: "p".into(),
                document: "{\"Statement\":[]}".into(),
                max_total_size: 5120,
            })
            .unwrap();
            change(HolderChange::AttachPolicy {
                arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
                max_attached: 10,
            })
            .unwrap();
        }
        group.members = vec!["AIDABOB".into()];
        group
            .inline_policies
            .insert("p".into(), "{\"Statement\":[]}".into());
        group.attached_policies = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()];
        {
            let store = open(dir.path(), Durability::Process).unwrap();
            assert_eq!(*store.get_group(account, "Admins").unwrap(), group);
            let rename = UserChange::Rename {
                new_name: Some("robert".into()),
                new_path: None,
            };
            store.update_user(account, "bob", rename).unwrap();
        }
        let store = open(dir.path(), Durability::Process).unwrap();
        let everything = ironiam_core::store::ListRange {
            path_prefix: "/",
            marker: None,
            max_items: 100,
        };
        let (_, users) = store.group_users(account, "admins", everything).unwrap();
        assert_eq!(users.items[0].name, "robert");
        store
            .update_group(account, "admins", GroupChange::RemoveUser("robert".into()))
            .unwrap();
        let change = |c| store.update_holder(account, PrincipalKind::Group, "admins", c);
        change(HolderChange::DeleteInlinePolicy("p".into())).unwrap();
        change(HolderChange::DetachPolicy(
            "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
        ))
        .unwrap();
        store.delete_group(account, "admins").unwrap();
        drop(store);
        let store = open(dir.path(), Durability::Process).unwrap();
        assert!(store.get_group(account, "admins").is_err());
        assert!(store.delete_user(account, "robert").is_ok());
    }

    /// TagPolicy / UntagPolicy and their OIDC provider counterparts are
    /// journaled: the tags a policy and a provider hold survive a reopen.
    #[test]
    fn policy_and_oidc_provider_tags_survive_reopen() {
        use ironiam_core::conformance::{oidc_provider, policy};
        use ironiam_core::store::{OidcChange, PolicyChange};
        let tag = |k: &str, v: &str| Tag {
            key: k.into(),
            value: v.into(),
        };
        let dir = tempfile::tempdir().unwrap();
        let (policy_arn, provider_arn) = {
            let store = open(dir.path(), Durability::Full).unwrap();
            let p = store.create_policy(policy("Tagged"), 10).unwrap().arn();
            let o = store
                .create_oidc_provider(oidc_provider("https://tags.example.com"))
                .unwrap()
                .arn();
            let tags = vec![tag("env", "prod"), tag("team", "blue")];
            let max_tags = 50;
            store
                .update_policy(
                    "123456789012",
                    &p,
                    PolicyChange::Tag {
                        tags: tags.clone(),
                        max_tags,
                    },
                )
                .unwrap();
            store
                .update_policy("123456789012", &p, PolicyChange::Untag(vec!["ENV".into()]))
                .unwrap();
            store
                .update_oidc_provider("123456789012", &o, OidcChange::Tag { tags, max_tags })
                .unwrap();
            store
                .update_oidc_provider("123456789012", &o, OidcChange::Untag(vec!["k".into()]))
                .unwrap();
            (p, o)
        };
        let store = open(dir.path(), Durability::Process).unwrap();
        assert_eq!(
            store.get_policy("123456789012", &policy_arn).unwrap().tags,
            vec![tag("team", "blue")]
        );
        assert_eq!(
            store
                .get_oidc_provider("123456789012", &provider_arn)
                .unwrap()
                .tags,
            vec![tag("env", "prod"), tag("team", "blue")]
        );
    }

    /// The seeder's bulk path: what `import` writes is what `open` loads,
    /// and a directory that already holds entities is refused.
    #[test]
    fn an_imported_snapshot_is_what_opens() {
        let snapshot = ironiam_core::conformance::small_account();
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(import(dir.path(), &snapshot).unwrap(), 4);
        let again = import(dir.path(), &snapshot).unwrap_err();
        assert!(again.0.contains("already holds entities"), "{again:?}");
        let loaded = open(dir.path(), Durability::Process).unwrap().snapshot();
        assert_eq!(loaded.roles, snapshot.roles);
        assert_eq!(loaded.users, snapshot.users);
        assert_eq!(loaded.policies, snapshot.policies);
        assert_eq!(loaded.groups, snapshot.groups);
    }
}
