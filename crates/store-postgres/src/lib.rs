//! PostgreSQL as the source of truth, with any number of ironiam replicas
//! on one database.
//!
//! Each replica keeps the state in memory ([`MemoryStore`]), as the SQLite
//! backend does: reads and authorization never touch the database. A write
//! is computed on a copy by the pure core rules, then [`PgJournal`] commits
//! it in one transaction that also moves the account's version from the one
//! the replica's view is at to the next:
//!
//! ```sql
//! UPDATE accounts SET version = version + 1 WHERE id = $1 AND version = $2
//! ```
//!
//! If that touches no row, another replica wrote to the account first: the
//! transaction is rolled back, the view is brought up to date from
//! `change_log`, and the write is computed again on the fresh view with the
//! same core code ([`PostgresStore`], a bounded number of times). So AWS's
//! rules (names unique ignoring case, quotas, delete conflicts) are always
//! checked against a view proven current inside the committing transaction,
//! never under a process-local lock alone. The schema also declares what
//! the database can hold itself: primary keys and unique names per account.
//!
//! Other replicas follow the change log: a background thread compares the
//! `accounts` versions with its own every [`POLL_INTERVAL`] and applies what
//! it missed. No advisory locks, `LISTEN/NOTIFY`, PL/pgSQL or sequences: the
//! SQL is the subset CockroachDB and YugabyteDB also speak.
//!
//! Connections are made without TLS (`NoTls`): run the database on loopback
//! or a network you trust.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ironiam_core::entities::{
    AccessKeyUse, CustomerPolicy, Group, InstanceProfile, OidcProvider, Page, Role, RoleLastUsed,
    User,
};
use ironiam_core::freshness::{Flip, Freshness};
use ironiam_core::holders::{HolderChange, PrincipalKind};
use ironiam_core::memory::{Change, Journal, MemoryStore, Snapshot, Synced};
use ironiam_core::password::PasswordPolicy;
use ironiam_core::rows;
use ironiam_core::store::{
    GroupChange, InstanceProfileChange, ListRange, OidcChange, PolicyChange, PolicyUsage,
    RoleChange, Store, UserChange,
};
use ironiam_core::{IamError, IamResult};
use parking_lot::Mutex;
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, Config, GenericClient, IsolationLevel, NoTls, Row, Statement, Transaction};

mod shared;
pub use shared::{PgShared, StoredSession, USES_POLL_INTERVAL};

/// How often a replica looks for other replicas' writes. A write acknowledged
/// by one replica is seen by the others within this plus the time to read
/// and apply it (see ARCHITECTURE.md, "Storage").
pub const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// How old a replica's proof that its view is current may grow before it
/// refuses every request (`--max-staleness`). The follower proves the view
/// current every [`POLL_INTERVAL`] (a write propagates in 25–33 ms), so 2 s
/// is some 60 polls missed in a row: no scheduling stall or slow poll of a
/// loaded machine gets there, only a database that cannot be read. And 2 s
/// stays within what AWS clients already live with: IAM documents that its
/// changes take time to become visible everywhere (eventual consistency),
/// so a revocation made on another replica is ignored at most this long.
pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(2);

/// How long change-log entries are kept. A replica following the others
/// needs the entries after its view's version: normally those of the last
/// poll (25 ms); after a lost connection, those of the outage. Ten minutes
/// covers any outage a replica is expected to ride out; one cut off longer
/// (or down: a starting replica reads everything anyway) reads the account
/// whole instead of its missed entries. Without pruning the table grew by
/// one row per write forever.
pub const CHANGE_LOG_RETENTION: Duration = Duration::from_secs(600);

/// How often the watcher compares the age of the view's last proof with
/// the bound: a replica is refused at most this long after the bound.
const WATCH_INTERVAL: Duration = Duration::from_millis(25);

/// How long any connection (the follower's, the writer's, the reader's,
/// the last uses') waits for the database to accept it, or to acknowledge
/// what it sent, before it gives the connection up: a database that stopped
/// answering (a network cut without a reset) must not hold a thread until
/// the operating system's own timeout (about 15 minutes). A commit stuck so
/// holds the view's versions, which the follower needs too: it would keep
/// the replica refusing requests long after the database came back. A
/// query the database is slow to answer is not cut: what was sent was
/// acknowledged.
const FOLLOWER_NETWORK_TIMEOUT: Duration = Duration::from_secs(5);

/// How a replica follows the database.
#[derive(Debug, Clone, Copy)]
pub struct Follow {
    /// How often it looks for other replicas' writes.
    pub poll_interval: Duration,
    /// How old its view's last proof of being current may be before every
    /// request is refused ([`Store::freshness`]).
    pub max_staleness: Duration,
    /// How long change-log entries are kept ([`CHANGE_LOG_RETENTION`]).
    pub change_log_retention: Duration,
}

impl Default for Follow {
    fn default() -> Self {
        Follow {
            poll_interval: POLL_INTERVAL,
            max_staleness: DEFAULT_MAX_STALENESS,
            change_log_retention: CHANGE_LOG_RETENTION,
        }
    }
}

/// How many times a write is computed again on a refreshed view after
/// another replica wrote first, before the caller is told to retry.
const MAX_ATTEMPTS: usize = 16;

/// AWS's message for `ConcurrentModification`: what a write answers when
/// other replicas kept writing to its account through every attempt. The
/// journal also answers it, internally, for "the view is stale".
const CONCURRENT_MODIFICATION: &str =
    "The request was rejected because multiple requests to change this object were submitted simultaneously. Wait a few minutes and submit your request again.";

fn stale() -> IamError {
    IamError::ConcurrentModification(CONCURRENT_MODIFICATION.to_string())
}

fn is_stale(e: &IamError) -> bool {
    matches!(e, IamError::ConcurrentModification(m) if m == CONCURRENT_MODIFICATION)
}

/// An error with its causes ("error connecting to server: Connection
/// refused"): the client's own message alone leaves out why.
fn detail(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A database error as the domain sees it. A unique index refusing a row,
/// a serialization failure or a deadlock means another writer got there
/// first: the write is recomputed on a fresh view. Anything else (the
/// database unreachable, above all) is a `ServiceFailure`, logged in full
/// where it surfaces and answered with a generic message.
fn db_err(e: postgres::Error) -> IamError {
    let retry = e.code().is_some_and(|c| {
        *c == SqlState::UNIQUE_VIOLATION
            || *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
    });
    if retry {
        return stale();
    }
    // Logged where it surfaces (the server logs a ServiceFailure's detail;
    // the follower logs the first failure of a run).
    IamError::Internal(format!("postgres: {}", detail(&e)))
}

/// Runs `f` where the synchronous client may block: inline on a plain
/// thread, or on a thread of its own when called from one that runs an
/// async runtime. The client drives a runtime of its own, which cannot
/// start on a thread that already drives one (the server's test-suite
/// reset calls the store on an async worker), and a store must not care
/// who calls it. The extra thread costs tens of microseconds, against a
/// commit's round trips to the database.
fn off_runtime<R: Send>(f: impl FnOnce() -> IamResult<R> + Send) -> IamResult<R> {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| s.spawn(f).join()).unwrap_or_else(|_| {
        Err(IamError::Internal(
            "postgres: a database call panicked".into(),
        ))
    })
}

/// Errors opening the database: one type for every backend.
pub use ironiam_core::store::OpenError;

/// The schema, one migration per version; `schema_migrations` records
/// which have run. A migration only ever adds: a database of an older
/// ironiam opens with every row kept.
///
/// Portable to CockroachDB and YugabyteDB: text and bigint columns, JSON
/// kept as text (the same documents SQLite stores, [`rows`]), expression
/// indexes for names unique ignoring case, no sequences.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    -- moves by one with every change of the account's entities (optimistic concurrency)
    version BIGINT NOT NULL
);
-- what each version changed, for other replicas to follow
CREATE TABLE IF NOT EXISTS change_log (
    account TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- role, policy, user, group, instance_profile, oidc_provider, password_policy or reset
    kind TEXT NOT NULL,
    -- the entity's id (an OIDC provider's ARN; the account for its password policy)
    entity_id TEXT NOT NULL,
    PRIMARY KEY (account, version)
);
CREATE TABLE IF NOT EXISTS roles (
    role_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    create_date BIGINT NOT NULL,
    trust_policy TEXT NOT NULL,
    description TEXT,
    max_session_duration BIGINT NOT NULL,
    permissions_boundary TEXT,
    tags TEXT NOT NULL,
    inline_policies TEXT NOT NULL,
    attached_policies TEXT NOT NULL,
    trust_principals TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS roles_by_name ON roles (account_id, lower(name));
CREATE TABLE IF NOT EXISTS policies (
    policy_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    description TEXT,
    create_date BIGINT NOT NULL,
    update_date BIGINT NOT NULL,
    default_version_id TEXT NOT NULL,
    next_version BIGINT NOT NULL,
    versions TEXT NOT NULL,
    tags TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS policies_by_name ON policies (account_id, lower(name));
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    create_date BIGINT NOT NULL,
    permissions_boundary TEXT,
    tags TEXT NOT NULL,
    inline_policies TEXT NOT NULL,
    attached_policies TEXT NOT NULL,
    -- secrets sealed under the server key
    access_keys TEXT NOT NULL,
    -- an Argon2id PHC string, never the password
    login_profile TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS users_by_name ON users (account_id, lower(name));
CREATE TABLE IF NOT EXISTS access_key_uses (
    access_key_id TEXT PRIMARY KEY,
    date BIGINT NOT NULL,
    service TEXT NOT NULL,
    region TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS role_uses (
    role_id TEXT PRIMARY KEY,
    date BIGINT NOT NULL,
    region TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oidc_providers (
    arn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    url TEXT NOT NULL,
    client_ids TEXT NOT NULL,
    thumbprints TEXT NOT NULL,
    tags TEXT NOT NULL,
    create_date BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS password_policies (
    account_id TEXT PRIMARY KEY,
    policy TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS instance_profiles (
    instance_profile_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    create_date BIGINT NOT NULL,
    roles TEXT NOT NULL,
    tags TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS instance_profiles_by_name ON instance_profiles (account_id, lower(name));
CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    create_date BIGINT NOT NULL,
    inline_policies TEXT NOT NULL,
    attached_policies TEXT NOT NULL,
    members TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS groups_by_name ON groups (account_id, lower(name));
",
    ),
    (
        2,
        "
-- the server key every replica shares when none is given (--server-key-file);
-- one row, written by the first replica to start
CREATE TABLE IF NOT EXISTS server_key (
    id BIGINT PRIMARY KEY,
    key TEXT NOT NULL
);
",
    ),
    // The console's sessions and sign-in brake, and indexes of last uses
    // by date (what replicas share beside the entities: `shared`).
    (3, shared::SCHEMA),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 3;

/// Runs the migrations the database has not seen. Replicas starting at the
/// same moment may race here; each migration is idempotent (`IF NOT
/// EXISTS`, `ON CONFLICT DO NOTHING`), and a loser of a race retries.
fn migrate(client: &mut Client) -> Result<(), postgres::Error> {
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)",
    )?;
    for (version, sql) in MIGRATIONS {
        let done = client
            .query_opt(
                "SELECT version FROM schema_migrations WHERE version = $1",
                &[version],
            )?
            .is_some();
        if done {
            continue;
        }
        let mut tx = client.transaction()?;
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1) ON CONFLICT (version) DO NOTHING",
            &[version],
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// The newest schema version the database has seen (0 for a new one).
fn newest_schema(client: &mut Client) -> Result<i64, postgres::Error> {
    client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .map(|row| row.get(0))
}

/// A row's column, decoded by the shared row codec; what does not parse is
/// corruption, and start-up refuses rather than drop data.
fn decoded<T>(
    row: &Row,
    column: &str,
    decode: impl FnOnce(&str) -> Result<T, rows::Corrupt>,
) -> Result<T, String> {
    let text: String = row.try_get(column).map_err(|e| e.to_string())?;
    decode(&text).map_err(|e| format!("column {column}: {e}"))
}

fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, column: &str) -> Result<T, String> {
    row.try_get(column)
        .map_err(|e| format!("column {column}: {e}"))
}

fn role_of(row: &Row) -> Result<Role, String> {
    Ok(Role {
        account_id: get(row, "account_id")?,
        role_id: get(row, "role_id")?,
        name: get(row, "name")?,
        path: get(row, "path")?,
        create_date: get(row, "create_date")?,
        assume_role_policy_document: get(row, "trust_policy")?,
        trust_principals: decoded(row, "trust_principals", rows::parse_principals)?,
        description: get(row, "description")?,
        max_session_duration: get(row, "max_session_duration")?,
        permissions_boundary: get(row, "permissions_boundary")?,
        tags: decoded(row, "tags", rows::parse_tags)?,
        inline_policies: decoded(row, "inline_policies", rows::parse_inline_policies)?,
        attached_policies: decoded(row, "attached_policies", rows::parse_strings)?,
    })
}

fn policy_of(row: &Row) -> Result<CustomerPolicy, String> {
    let next_version: i64 = get(row, "next_version")?;
    Ok(CustomerPolicy {
        account_id: get(row, "account_id")?,
        policy_id: get(row, "policy_id")?,
        name: get(row, "name")?,
        path: get(row, "path")?,
        description: get(row, "description")?,
        create_date: get(row, "create_date")?,
        update_date: get(row, "update_date")?,
        default_version_id: get(row, "default_version_id")?,
        next_version: u32::try_from(next_version).map_err(|e| e.to_string())?,
        versions: decoded(row, "versions", rows::parse_versions)?,
        tags: decoded(row, "tags", rows::parse_tags)?,
    })
}

fn user_of(row: &Row) -> Result<User, String> {
    let login_profile: Option<String> = get(row, "login_profile")?;
    Ok(User {
        account_id: get(row, "account_id")?,
        user_id: get(row, "user_id")?,
        name: get(row, "name")?,
        path: get(row, "path")?,
        create_date: get(row, "create_date")?,
        permissions_boundary: get(row, "permissions_boundary")?,
        tags: decoded(row, "tags", rows::parse_tags)?,
        inline_policies: decoded(row, "inline_policies", rows::parse_inline_policies)?,
        attached_policies: decoded(row, "attached_policies", rows::parse_strings)?,
        access_keys: decoded(row, "access_keys", rows::parse_access_keys)?,
        login_profile: login_profile
            .map(|text| rows::parse_login_profile(&text))
            .transpose()
            .map_err(|e| format!("column login_profile: {e}"))?,
    })
}

fn group_of(row: &Row) -> Result<Group, String> {
    Ok(Group {
        account_id: get(row, "account_id")?,
        group_id: get(row, "group_id")?,
        name: get(row, "name")?,
        path: get(row, "path")?,
        create_date: get(row, "create_date")?,
        inline_policies: decoded(row, "inline_policies", rows::parse_inline_policies)?,
        attached_policies: decoded(row, "attached_policies", rows::parse_strings)?,
        members: decoded(row, "members", rows::parse_strings)?,
    })
}

fn instance_profile_of(row: &Row) -> Result<InstanceProfile, String> {
    Ok(InstanceProfile {
        account_id: get(row, "account_id")?,
        instance_profile_id: get(row, "instance_profile_id")?,
        name: get(row, "name")?,
        path: get(row, "path")?,
        create_date: get(row, "create_date")?,
        roles: decoded(row, "roles", rows::parse_strings)?,
        tags: decoded(row, "tags", rows::parse_tags)?,
    })
}

fn oidc_provider_of(row: &Row) -> Result<OidcProvider, String> {
    Ok(OidcProvider {
        account_id: get(row, "account_id")?,
        url: get(row, "url")?,
        client_ids: decoded(row, "client_ids", rows::parse_strings)?,
        thumbprints: decoded(row, "thumbprints", rows::parse_strings)?,
        tags: decoded(row, "tags", rows::parse_tags)?,
        create_date: get(row, "create_date")?,
    })
}

/// The entity families, as `change_log.kind` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Role,
    Policy,
    User,
    Group,
    InstanceProfile,
    OidcProvider,
    PasswordPolicy,
    Reset,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::Role,
        Kind::Policy,
        Kind::User,
        Kind::Group,
        Kind::InstanceProfile,
        Kind::OidcProvider,
        Kind::PasswordPolicy,
        Kind::Reset,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::Policy => "policy",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::InstanceProfile => "instance_profile",
            Kind::OidcProvider => "oidc_provider",
            Kind::PasswordPolicy => "password_policy",
            Kind::Reset => "reset",
        }
    }

    fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The table and its id column; `None` for a reset.
    fn table(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Kind::Role => ("roles", "role_id"),
            Kind::Policy => ("policies", "policy_id"),
            Kind::User => ("users", "user_id"),
            Kind::Group => ("groups", "group_id"),
            Kind::InstanceProfile => ("instance_profiles", "instance_profile_id"),
            Kind::OidcProvider => ("oidc_providers", "arn"),
            Kind::PasswordPolicy => ("password_policies", "account_id"),
            Kind::Reset => return None,
        })
    }
}

/// Reads every row of `kind` (of one account, with these ids, when
/// `only` says so) and decodes each with `decode`.
fn load<T>(
    tx: &mut Transaction<'_>,
    kind: Kind,
    only: Option<(&str, &[String])>,
    decode: impl Fn(&Row) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let Some((table, id)) = kind.table() else {
        return Ok(Vec::new());
    };
    let read = |e: postgres::Error| format!("cannot read {table}: {e}");
    // Decoded as they arrive, not after all of them: at start-up 100,000
    // rows held whole beside their entities cost about 25 MiB of peak
    // memory (VmHWM, `bench/run --only scale`).
    let mut rows = match only {
        None => tx.query_raw(&format!("SELECT * FROM {table}"), no_params()),
        Some((account, ids)) => {
            let params: [&(dyn ToSql + Sync); 2] = [&account, &ids];
            tx.query_raw(
                &format!("SELECT * FROM {table} WHERE account_id = $1 AND {id} = ANY($2)"),
                params,
            )
        }
    }
    .map_err(read)?;
    let mut out = Vec::with_capacity(rows.size_hint().0);
    while let Some(row) = rows.next().map_err(read)? {
        out.push(decode(&row).map_err(|e| format!("corrupt row in {table}: {e}"))?);
    }
    Ok(out)
}

/// No parameters, for `query_raw`.
fn no_params() -> [&'static (dyn ToSql + Sync); 0] {
    []
}

/// A connection, made again when the last one broke.
struct Connection {
    config: Config,
    client: Option<Client>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        // The client's own drop closes the connection by blocking on the
        // client's runtime, which panics on a thread that drives one
        // ("Cannot start a runtime from within a runtime"): a server drops
        // its store and the console's state at the end of its async main,
        // so a SIGTERM exited 101. Closed on a plain thread there, whoever
        // holds the connection (writer, reader, console, last uses).
        if let Some(client) = self.client.take() {
            close(client);
        }
    }
}

/// Drops `client` where its drop may block (see [`off_runtime`]).
fn close(client: Client) {
    let _ = off_runtime(move || {
        drop(client);
        Ok(())
    });
}

impl Connection {
    fn client(&mut self) -> IamResult<&mut Client> {
        if let Some(broken) = self.client.take_if(|c| c.is_closed()) {
            close(broken);
        }
        if self.client.is_none() {
            self.client = Some(self.config.connect(NoTls).map_err(db_err)?);
        }
        self.client
            .as_mut()
            .ok_or_else(|| IamError::Internal("postgres: no connection".into()))
    }
}

/// The journal's statements prepared on the writer's connection, by their
/// SQL, so a write runs each with one round trip and no parse or plan.
/// Preparing each anew (what `execute(&str, …)` does) cost a round trip and
/// a parse and plan a statement: pgbench's CreateRole+DeleteRole pair, one
/// client, fsync off, 2,288 pairs/s prepared once against 774 parsed every
/// time (`bench/pgbench-write-pair.sql`, `-M prepared` against `-M extended`).
#[derive(Default)]
struct Statements(HashMap<&'static str, Statement>);

impl Statements {
    /// `sql` prepared on `client`, which must be the connection every
    /// earlier call was given (a statement belongs to one connection).
    fn get(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
    ) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.0.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        self.0.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// The writer's connection, made again if it broke; what was prepared on a
/// broken one is forgotten.
fn writer_client<'a>(
    writer: &'a mut Connection,
    statements: &mut Statements,
) -> IamResult<&'a mut Client> {
    if writer.client.as_ref().is_none_or(Client::is_closed) {
        *statements = Statements::default();
    }
    writer.client()
}

/// A last use to write, or a request to say when all before it are written.
enum UseWrite {
    Key(String, AccessKeyUse),
    Role(String, RoleLastUsed),
    Flushed(mpsc::Sender<()>),
}

/// Commits changes to PostgreSQL under the account's version.
pub struct PgJournal {
    writer: Mutex<Connection>,
    /// The version of each account this replica's view holds. Changed only
    /// with the store's write lock held (by a commit, or by
    /// [`MemoryStore::sync`]), so it always matches the view.
    versions: Mutex<HashMap<String, i64>>,
    /// Last uses go to a thread of their own: authentication records them,
    /// possibly on an async worker that must not block on the database.
    uses: Mutex<mpsc::Sender<UseWrite>>,
    /// How many changes this replica committed: a write that moved it
    /// committed (or raced one that did).
    commits: AtomicU64,
    /// Told how long each commit took; set once at start.
    on_commit: OnceLock<CommitObserver>,
    /// Whether the writer connection has a transaction open that holds an
    /// account's version row ([`PgJournal::hold`]).
    held: AtomicBool,
    /// The account of the last commit that lost a race.
    last_stale: Mutex<Option<String>>,
    /// What commits prepared on `writer`'s connection; used and changed
    /// only with `writer` locked.
    statements: Mutex<Statements>,
    /// When the view was last proven current: by every catch-up that read
    /// all accounts' versions.
    freshness: Arc<Freshness>,
}

/// Told how long each commit took (its statements and round trips): how the
/// server's metrics see storage latency without this crate knowing them.
pub type CommitObserver = Box<dyn Fn(Duration) + Send + Sync>;

impl std::fmt::Debug for PgJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgJournal").finish_non_exhaustive()
    }
}

/// The account a change belongs to.
fn account_of<'a>(change: &Change<'a>) -> Option<&'a str> {
    Some(match change {
        Change::PutRole(r) | Change::DeleteRole(r) => &r.account_id,
        Change::PutPolicy(p) | Change::DeletePolicy(p) => &p.account_id,
        Change::PutUser(u) | Change::DeleteUser(u) => &u.account_id,
        Change::PutOidcProvider(p) | Change::DeleteOidcProvider(p) => &p.account_id,
        Change::PutInstanceProfile(p) | Change::DeleteInstanceProfile(p) => &p.account_id,
        Change::PutGroup(g) | Change::DeleteGroup(g) => &g.account_id,
        Change::PutPasswordPolicy { account_id, .. }
        | Change::DeletePasswordPolicy { account_id } => account_id,
        Change::AccessKeyUsed { .. } | Change::RoleUsed { .. } | Change::Reset => return None,
    })
}

/// Moves `account` from version `expected` to the next, inside `tx`;
/// `Err(stale)` if another writer moved it first.
fn claim_version(tx: &mut impl GenericClient, account: &str, expected: i64) -> IamResult<i64> {
    claim_version_prepared(tx, &mut Statements::default(), account, expected)
}

/// [`claim_version`] with the statements prepared on `tx`'s connection.
fn claim_version_prepared(
    tx: &mut impl GenericClient,
    statements: &mut Statements,
    account: &str,
    expected: i64,
) -> IamResult<i64> {
    let mut exec = |sql, params: &[&(dyn ToSql + Sync)]| {
        let statement = statements.get(tx, sql)?;
        tx.execute(&statement, params)
    };
    let moved = exec(
        "UPDATE accounts SET version = version + 1 WHERE id = $1 AND version = $2",
        &[&account, &expected],
    )
    .map_err(db_err)?;
    if moved == 0 {
        let created = expected == 0
            && exec(
                "INSERT INTO accounts (id, version) VALUES ($1, 1) ON CONFLICT (id) DO NOTHING",
                &[&account],
            )
            .map_err(db_err)?
                == 1;
        if !created {
            return Err(stale());
        }
    }
    let version = expected + 1;
    Ok(version)
}

/// Writes the entity rows of one change; answers its kind and id for the
/// change log.
fn write_rows<C: GenericClient>(tx: &mut C, change: &Change<'_>) -> IamResult<(Kind, String)> {
    write_rows_prepared(tx, &mut Statements::default(), change)
}

/// [`write_rows`] with the statements prepared on `tx`'s connection.
fn write_rows_prepared<C: GenericClient>(
    tx: &mut C,
    statements: &mut Statements,
    change: &Change<'_>,
) -> IamResult<(Kind, String)> {
    let mut exec = |tx: &mut C, sql: &'static str, params: &[&(dyn ToSql + Sync)]| {
        let statement = statements.get(tx, sql).map_err(db_err)?;
        tx.execute(&statement, params).map_err(db_err)
    };
    Ok(match change {
        Change::PutRole(r) => {
            exec(
                tx,
                "INSERT INTO roles (role_id, account_id, name, path, create_date, trust_policy, description,
                 max_session_duration, permissions_boundary, tags, inline_policies, attached_policies, trust_principals)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (role_id) DO UPDATE SET name = excluded.name, path = excluded.path,
                 trust_policy = excluded.trust_policy, description = excluded.description,
                 max_session_duration = excluded.max_session_duration,
                 permissions_boundary = excluded.permissions_boundary, tags = excluded.tags,
                 inline_policies = excluded.inline_policies, attached_policies = excluded.attached_policies,
                 trust_principals = excluded.trust_principals",
                &[
                    &r.role_id,
                    &r.account_id,
                    &r.name,
                    &r.path,
                    &r.create_date,
                    &r.assume_role_policy_document,
                    &r.description,
                    &r.max_session_duration,
                    &r.permissions_boundary,
                    &rows::tags_json(&r.tags),
                    &rows::inline_policies_json(&r.inline_policies),
                    &rows::strings_json(&r.attached_policies),
                    &rows::principals_json(&r.trust_principals),
                ],
            )?;
            (Kind::Role, r.role_id.clone())
        }
        Change::DeleteRole(r) => {
            exec(tx, "DELETE FROM roles WHERE role_id = $1", &[&r.role_id])?;
            exec(
                tx,
                "DELETE FROM role_uses WHERE role_id = $1",
                &[&r.role_id],
            )?;
            (Kind::Role, r.role_id.clone())
        }
        Change::PutPolicy(p) => {
            exec(
                tx,
                "INSERT INTO policies (policy_id, account_id, name, path, description, create_date,
                 update_date, default_version_id, next_version, versions, tags)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (policy_id) DO UPDATE SET description = excluded.description,
                 update_date = excluded.update_date, default_version_id = excluded.default_version_id,
                 next_version = excluded.next_version, versions = excluded.versions, tags = excluded.tags",
                &[
                    &p.policy_id,
                    &p.account_id,
                    &p.name,
                    &p.path,
                    &p.description,
                    &p.create_date,
                    &p.update_date,
                    &p.default_version_id,
                    &i64::from(p.next_version),
                    &rows::versions_json(&p.versions),
                    &rows::tags_json(&p.tags),
                ],
            )?;
            (Kind::Policy, p.policy_id.clone())
        }
        Change::DeletePolicy(p) => {
            exec(
                tx,
                "DELETE FROM policies WHERE policy_id = $1",
                &[&p.policy_id],
            )?;
            (Kind::Policy, p.policy_id.clone())
        }
        Change::PutUser(u) => {
            exec(
                tx,
                "INSERT INTO users (user_id, account_id, name, path, create_date, permissions_boundary,
                 tags, inline_policies, attached_policies, access_keys, login_profile)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, path = excluded.path,
                 permissions_boundary = excluded.permissions_boundary, tags = excluded.tags,
                 inline_policies = excluded.inline_policies, attached_policies = excluded.attached_policies,
                 access_keys = excluded.access_keys, login_profile = excluded.login_profile",
                &[
                    &u.user_id,
                    &u.account_id,
                    &u.name,
                    &u.path,
                    &u.create_date,
                    &u.permissions_boundary,
                    &rows::tags_json(&u.tags),
                    &rows::inline_policies_json(&u.inline_policies),
                    &rows::strings_json(&u.attached_policies),
                    &rows::access_keys_json(&u.access_keys),
                    &rows::login_profile_json(u.login_profile.as_ref()),
                ],
            )?;
            (Kind::User, u.user_id.clone())
        }
        Change::DeleteUser(u) => {
            exec(tx, "DELETE FROM users WHERE user_id = $1", &[&u.user_id])?;
            let ids: Vec<&str> = u
                .access_keys
                .iter()
                .map(|k| k.access_key_id.as_str())
                .collect();
            exec(
                tx,
                "DELETE FROM access_key_uses WHERE access_key_id = ANY($1)",
                &[&ids],
            )?;
            (Kind::User, u.user_id.clone())
        }
        Change::PutOidcProvider(p) => {
            let arn = p.arn();
            exec(
                tx,
                "INSERT INTO oidc_providers (arn, account_id, url, client_ids, thumbprints, tags, create_date)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (arn) DO UPDATE SET client_ids = excluded.client_ids,
                 thumbprints = excluded.thumbprints, tags = excluded.tags",
                &[
                    &arn,
                    &p.account_id,
                    &p.url,
                    &rows::strings_json(&p.client_ids),
                    &rows::strings_json(&p.thumbprints),
                    &rows::tags_json(&p.tags),
                    &p.create_date,
                ],
            )?;
            (Kind::OidcProvider, arn)
        }
        Change::DeleteOidcProvider(p) => {
            let arn = p.arn();
            exec(tx, "DELETE FROM oidc_providers WHERE arn = $1", &[&arn])?;
            (Kind::OidcProvider, arn)
        }
        Change::PutInstanceProfile(p) => {
            exec(
                tx,
                "INSERT INTO instance_profiles (instance_profile_id, account_id, name, path, create_date, roles, tags)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (instance_profile_id) DO UPDATE SET roles = excluded.roles, tags = excluded.tags",
                &[
                    &p.instance_profile_id,
                    &p.account_id,
                    &p.name,
                    &p.path,
                    &p.create_date,
                    &rows::strings_json(&p.roles),
                    &rows::tags_json(&p.tags),
                ],
            )?;
            (Kind::InstanceProfile, p.instance_profile_id.clone())
        }
        Change::DeleteInstanceProfile(p) => {
            exec(
                tx,
                "DELETE FROM instance_profiles WHERE instance_profile_id = $1",
                &[&p.instance_profile_id],
            )?;
            (Kind::InstanceProfile, p.instance_profile_id.clone())
        }
        Change::PutGroup(g) => {
            exec(
                tx,
                "INSERT INTO groups (group_id, account_id, name, path, create_date, inline_policies,
                 attached_policies, members) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (group_id) DO UPDATE SET name = excluded.name, path = excluded.path,
                 inline_policies = excluded.inline_policies, attached_policies = excluded.attached_policies,
                 members = excluded.members",
                &[
                    &g.group_id,
                    &g.account_id,
                    &g.name,
                    &g.path,
                    &g.create_date,
                    &rows::inline_policies_json(&g.inline_policies),
                    &rows::strings_json(&g.attached_policies),
                    &rows::strings_json(&g.members),
                ],
            )?;
            (Kind::Group, g.group_id.clone())
        }
        Change::DeleteGroup(g) => {
            exec(tx, "DELETE FROM groups WHERE group_id = $1", &[&g.group_id])?;
            (Kind::Group, g.group_id.clone())
        }
        Change::PutPasswordPolicy { account_id, policy } => {
            exec(
                tx,
                "INSERT INTO password_policies (account_id, policy) VALUES ($1, $2)
                 ON CONFLICT (account_id) DO UPDATE SET policy = excluded.policy",
                &[account_id, &rows::password_policy_json(policy)],
            )?;
            (Kind::PasswordPolicy, account_id.to_string())
        }
        Change::DeletePasswordPolicy { account_id } => {
            exec(
                tx,
                "DELETE FROM password_policies WHERE account_id = $1",
                &[account_id],
            )?;
            (Kind::PasswordPolicy, account_id.to_string())
        }
        Change::AccessKeyUsed { .. } | Change::RoleUsed { .. } | Change::Reset => {
            return Err(IamError::Internal(
                "postgres: not an entity change".to_string(),
            ))
        }
    })
}

impl Journal for PgJournal {
    fn record(&self, change: Change<'_>) -> IamResult<()> {
        match change {
            // A use another replica recorded, read back from the database.
            Change::AccessKeyUsed { .. } | Change::RoleUsed { .. }
                if shared::applying_read_uses() =>
            {
                Ok(())
            }
            Change::AccessKeyUsed {
                access_key_id,
                used,
            } => self.send_use(UseWrite::Key(access_key_id.to_string(), used.clone())),
            Change::RoleUsed { role_id, used } => {
                self.send_use(UseWrite::Role(role_id.to_string(), used.clone()))
            }
            Change::Reset => off_runtime(|| self.reset()),
            change => {
                let started = std::time::Instant::now();
                let committed = off_runtime(|| self.commit(&change));
                if let Some(observer) = self.on_commit.get() {
                    observer(started.elapsed());
                }
                committed
            }
        }
    }
}

impl PgJournal {
    fn send_use(&self, write: UseWrite) -> IamResult<()> {
        self.uses
            .lock()
            .send(write)
            .map_err(|_| IamError::Internal("postgres: the last-use writer stopped".into()))
    }

    /// Commits one entity change under its account's version: in the
    /// transaction [`PgJournal::hold`] opened, if one is open, else in a
    /// new one.
    fn commit(&self, change: &Change<'_>) -> IamResult<()> {
        let account = account_of(change)
            .ok_or_else(|| IamError::Internal("postgres: a change of no account".into()))?;
        let mut versions = self.versions.lock();
        let expected = versions.get(account).copied().unwrap_or(0);
        let mut writer = self.writer.lock();
        let mut statements = self.statements.lock();
        let statements = &mut *statements;
        let held = self.held.swap(false, Ordering::SeqCst);
        let client = if held {
            // Never a new connection here: statements outside the held
            // transaction would each commit on their own.
            writer
                .client
                .as_mut()
                .filter(|c| !c.is_closed())
                .ok_or_else(|| IamError::Internal("postgres: the connection closed".into()))?
        } else {
            let client = writer_client(&mut writer, statements)?;
            client.batch_execute("BEGIN").map_err(db_err)?;
            client
        };
        let written = (|| {
            // The version first: it is the row every writer of this account
            // waits on, so the entity rows below are never raced.
            let version = claim_version_prepared(client, statements, account, expected)?;
            let (kind, id) = write_rows_prepared(client, statements, change)?;
            let log = statements
                .get(
                    client,
                    "INSERT INTO change_log (account, version, kind, entity_id) VALUES ($1, $2, $3, $4)",
                )
                .map_err(db_err)?;
            client
                .execute(&log, &[&account, &version, &kind.as_str(), &id])
                .map_err(db_err)?;
            Ok(version)
        })();
        let version = match written {
            Ok(version) => version,
            Err(e) => {
                let _ = client.batch_execute("ROLLBACK");
                if is_stale(&e) {
                    *self.last_stale.lock() = Some(account.to_string());
                }
                return Err(e);
            }
        };
        client.batch_execute("COMMIT").map_err(db_err)?;
        versions.insert(account.to_string(), version);
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Opens a transaction that holds `account`'s version row (`SELECT …
    /// FOR UPDATE`): until the next commit (or [`PgJournal::release`]), no
    /// other replica can change the account, so a view brought up to date
    /// meanwhile stays current. Taken after a lost race, so that a replica
    /// another one keeps writing to the same account is not starved.
    fn hold(&self, account: &str) -> IamResult<()> {
        let mut writer = self.writer.lock();
        let client = writer_client(&mut writer, &mut self.statements.lock())?;
        client.batch_execute("BEGIN").map_err(db_err)?;
        let locked = client.query(
            "SELECT version FROM accounts WHERE id = $1 FOR UPDATE",
            &[&account],
        );
        if let Err(e) = locked {
            let _ = client.batch_execute("ROLLBACK");
            return Err(db_err(e));
        }
        self.held.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Ends a held transaction no commit used (the write was refused, or
    /// changed nothing); answers whether one was held.
    fn release(&self) -> IamResult<bool> {
        if !self.held.swap(false, Ordering::SeqCst) {
            return Ok(false);
        }
        let mut writer = self.writer.lock();
        if let Some(client) = writer.client.as_mut().filter(|c| !c.is_closed()) {
            client.batch_execute("ROLLBACK").map_err(db_err)?;
        }
        Ok(true)
    }

    /// Empties every account: each account's rows go, and its change log
    /// says so (`reset`) under its next version, so other replicas empty
    /// their view of it too. A stale view of any account refuses.
    fn reset(&self) -> IamResult<()> {
        // A reset that lost a race retries without holding a row.
        *self.last_stale.lock() = None;
        self.release()?;
        let mut versions = self.versions.lock();
        let mut writer = self.writer.lock();
        let mut tx = writer_client(&mut writer, &mut self.statements.lock())?
            .transaction()
            .map_err(db_err)?;
        let accounts = tx
            .query("SELECT id, version FROM accounts", &[])
            .map_err(db_err)?;
        let mut moved = Vec::new();
        for row in &accounts {
            let id: String = row.get(0);
            let version = claim_version(&mut tx, &id, versions.get(&id).copied().unwrap_or(0))?;
            tx.execute(
                "INSERT INTO change_log (account, version, kind, entity_id) VALUES ($1, $2, $3, $1)",
                &[&id, &version, &Kind::Reset.as_str()],
            )
            .map_err(db_err)?;
            moved.push((id, version));
        }
        tx.batch_execute(
            "DELETE FROM roles; DELETE FROM role_uses; DELETE FROM policies; DELETE FROM users;
             DELETE FROM access_key_uses; DELETE FROM oidc_providers; DELETE FROM password_policies;
             DELETE FROM instance_profiles; DELETE FROM groups;",
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        versions.extend(moved);
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// What one account's change log says happened after a version, with the
/// rows as they are at the last of those versions.
struct Missed {
    account: String,
    /// The view's version the states were read after.
    after: i64,
    /// The version they bring the view to.
    to: i64,
    states: Vec<Synced>,
}

/// Reads what `account` changed after version `after`, in one snapshot:
/// the change log's entries and the rows they name, as of the same moment.
fn read_missed(
    view: &MemoryStore<PgJournal>,
    client: &mut Client,
    account: &str,
    after: i64,
) -> IamResult<Option<Missed>> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(db_err)?;
    let to: Option<i64> = tx
        .query_opt("SELECT version FROM accounts WHERE id = $1", &[&account])
        .map_err(db_err)?
        .map(|row| row.get(0));
    let Some(to) = to.filter(|&to| to > after) else {
        return Ok(None);
    };
    let entries = tx
        .query(
            "SELECT version, kind, entity_id FROM change_log WHERE account = $1 AND version > $2 ORDER BY version",
            &[&account, &after],
        )
        .map_err(db_err)?;
    // Entries this view needs were pruned (it was cut off for longer than
    // the change log is kept): the account is read whole instead, as a
    // replica that starts reads it.
    let first: Option<i64> = entries.first().map(|row| row.get(0));
    if first != Some(after + 1) || to - after != entries.len() as i64 {
        let states = read_account(&mut tx, view, account)?;
        tx.commit().map_err(db_err)?;
        tracing::info!(
            account,
            after,
            to,
            "change log pruned past this view: the account was read whole"
        );
        return Ok(Some(Missed {
            account: account.to_string(),
            after,
            to,
            states,
        }));
    }
    // Only what changed after the last reset matters: the reset empties the rest.
    let mut emptied = false;
    let mut touched: BTreeMap<Kind, Vec<String>> = BTreeMap::new();
    for row in &entries {
        let kind: String = row.get(1);
        let kind = Kind::parse(&kind).ok_or_else(|| {
            IamError::Internal(format!("postgres: unknown change log kind {kind}"))
        })?;
        if kind == Kind::Reset {
            emptied = true;
            touched.clear();
            continue;
        }
        let ids = touched.entry(kind).or_default();
        let id: String = row.get(2);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut states = Vec::new();
    if emptied {
        states.push(Synced::Emptied);
    }
    let internal = IamError::Internal;
    for (kind, ids) in touched {
        let only = Some((account, ids.as_slice()));
        macro_rules! synced {
            ($variant:ident, $decode:expr, $id:expr) => {{
                let mut found: HashMap<String, _> = load(&mut tx, kind, only, $decode)
                    .map_err(internal)?
                    .into_iter()
                    .map(|e| ($id(&e), e))
                    .collect();
                states.extend(
                    ids.iter()
                        .map(|id| Synced::$variant(id.clone(), found.remove(id))),
                );
            }};
        }
        match kind {
            Kind::Role => synced!(Role, role_of, |r: &Role| r.role_id.clone()),
            Kind::Policy => synced!(Policy, policy_of, |p: &CustomerPolicy| p.policy_id.clone()),
            Kind::User => synced!(User, user_of, |u: &User| u.user_id.clone()),
            Kind::Group => synced!(Group, group_of, |g: &Group| g.group_id.clone()),
            Kind::InstanceProfile => synced!(
                InstanceProfile,
                instance_profile_of,
                |p: &InstanceProfile| p.instance_profile_id.clone()
            ),
            Kind::OidcProvider => {
                synced!(OidcProvider, oidc_provider_of, |p: &OidcProvider| p.arn())
            }
            Kind::PasswordPolicy => {
                let policy = tx
                    .query_opt(
                        "SELECT policy FROM password_policies WHERE account_id = $1",
                        &[&account],
                    )
                    .map_err(db_err)?
                    .map(|row| decoded(&row, "policy", rows::parse_password_policy))
                    .transpose()
                    .map_err(internal)?;
                states.push(Synced::PasswordPolicy(policy));
            }
            Kind::Reset => {}
        }
    }
    tx.commit().map_err(db_err)?;
    Ok(Some(Missed {
        account: account.to_string(),
        after,
        to,
        states,
    }))
}

/// Every entity of `account` as it is in `tx`'s snapshot, and the end of
/// every one the view holds that is no longer there: what a view too far
/// behind the change log syncs. Not "empty the account, then every row",
/// which would rebuild every table of the account under the view's write
/// lock: synced in place (`MemoryStore::sync` finds each by id), an
/// unchanged entity is only put back where it was.
fn read_account(
    tx: &mut Transaction<'_>,
    view: &MemoryStore<PgJournal>,
    account: &str,
) -> IamResult<Vec<Synced>> {
    fn all<T>(
        tx: &mut Transaction<'_>,
        kind: Kind,
        account: &str,
        decode: impl Fn(&Row) -> Result<T, String>,
    ) -> IamResult<Vec<T>> {
        let Some((table, _)) = kind.table() else {
            return Ok(Vec::new());
        };
        tx.query(
            &format!("SELECT * FROM {table} WHERE account_id = $1"),
            &[&account],
        )
        .map_err(db_err)?
        .iter()
        .map(|row| {
            decode(row)
                .map_err(|e| IamError::Internal(format!("postgres: corrupt row in {table}: {e}")))
        })
        .collect()
    }
    /// The database's entities as states, then the view's others as gone.
    fn states<T>(
        found: Vec<T>,
        held: impl Iterator<Item = String>,
        id: impl Fn(&T) -> String,
        synced: impl Fn(String, Option<T>) -> Synced,
    ) -> Vec<Synced> {
        let ids: std::collections::HashSet<String> = found.iter().map(&id).collect();
        let gone: Vec<Synced> = held
            .filter(|held| !ids.contains(held))
            .map(|held| synced(held, None))
            .collect();
        found
            .into_iter()
            .map(|e| synced(id(&e), Some(e)))
            .chain(gone)
            .collect()
    }
    let every = ListRange {
        path_prefix: "/",
        marker: None,
        max_items: usize::MAX,
    };
    let mut synced = Vec::new();
    synced.extend(states(
        all(tx, Kind::Role, account, role_of)?,
        view.list_roles(account, every)?
            .items
            .iter()
            .map(|r| r.role_id.clone()),
        |r| r.role_id.clone(),
        Synced::Role,
    ));
    synced.extend(states(
        all(tx, Kind::Policy, account, policy_of)?,
        view.list_policies(account)?
            .iter()
            .map(|p| p.policy_id.clone()),
        |p| p.policy_id.clone(),
        Synced::Policy,
    ));
    synced.extend(states(
        all(tx, Kind::User, account, user_of)?,
        view.list_users(account, every)?
            .items
            .iter()
            .map(|u| u.user_id.clone()),
        |u| u.user_id.clone(),
        Synced::User,
    ));
    synced.extend(states(
        all(tx, Kind::Group, account, group_of)?,
        view.list_groups(account, every)?
            .items
            .iter()
            .map(|g| g.group_id.clone()),
        |g| g.group_id.clone(),
        Synced::Group,
    ));
    synced.extend(states(
        all(tx, Kind::InstanceProfile, account, instance_profile_of)?,
        view.list_instance_profiles(account, every)?
            .items
            .iter()
            .map(|p| p.instance_profile_id.clone()),
        |p| p.instance_profile_id.clone(),
        Synced::InstanceProfile,
    ));
    synced.extend(states(
        all(tx, Kind::OidcProvider, account, oidc_provider_of)?,
        view.list_oidc_providers(account)?.iter().map(|p| p.arn()),
        |p| p.arn(),
        Synced::OidcProvider,
    ));
    let policy = tx
        .query_opt(
            "SELECT policy FROM password_policies WHERE account_id = $1",
            &[&account],
        )
        .map_err(db_err)?
        .map(|row| decoded(&row, "policy", rows::parse_password_policy))
        .transpose()
        .map_err(IamError::Internal)?;
    synced.push(Synced::PasswordPolicy(policy));
    Ok(synced)
}

/// Deletes the change-log entries no replica can still need, at a low
/// rate, from the follower thread. Every `retention / 10` it notes the
/// versions its view is at (each committed before that moment); once such
/// a note is `retention` old, the entries up to those versions are
/// deleted — a prefix of each account's log, committed at least
/// `retention` ago. Every replica prunes (the deletes are idempotent), so
/// it needs no coordination, and it uses only this process's monotonic
/// clock: replicas' clocks may disagree. A replica whose view falls behind
/// a pruned entry reads the account whole ([`read_missed`]), so pruning
/// never costs a change, only, for a replica cut off that long, a bigger
/// read.
struct Pruner {
    retention: Duration,
    notes: std::collections::VecDeque<(Instant, HashMap<String, i64>)>,
}

impl Pruner {
    fn new(retention: Duration) -> Self {
        Pruner {
            retention,
            notes: std::collections::VecDeque::new(),
        }
    }

    /// Notes the view's versions when due, and prunes what a note `retention`
    /// old allows; answers how many entries it deleted.
    fn tick(&mut self, store: &MemoryStore<PgJournal>, conn: &mut Connection) -> IamResult<u64> {
        let now = Instant::now();
        let due = self
            .notes
            .back()
            .is_none_or(|(at, _)| now.duration_since(*at) >= self.retention / 10);
        if due {
            let versions = store.journal().versions.lock().clone();
            self.notes.push_back((now, versions));
        }
        let mut deleted = 0;
        while self
            .notes
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) >= self.retention)
        {
            let Some((_, versions)) = self.notes.pop_front() else {
                break;
            };
            let client = conn.client()?;
            for (account, version) in &versions {
                deleted += client
                    .execute(
                        "DELETE FROM change_log WHERE account = $1 AND version <= $2",
                        &[account, version],
                    )
                    .map_err(db_err)?;
            }
        }
        Ok(deleted)
    }
}

/// The PostgreSQL-backed store: a [`MemoryStore`] view of the database that
/// commits under the account's version, refreshes and recomputes a write
/// another replica raced, and follows other replicas' writes.
pub struct PostgresStore {
    inner: Arc<MemoryStore<PgJournal>>,
    /// Reads the change log, for a refresh before a retry.
    reader: Mutex<Connection>,
    /// One write at a time, refresh and retries included: a transaction
    /// held open for a retry belongs to that write alone.
    gate: Mutex<()>,
    stop: Arc<AtomicBool>,
    /// The follower and the watcher of its freshness.
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Brings `store`'s view of every account up to the database: the accounts
/// whose version moved past the view's are read and applied. Answers how
/// many accounts it brought up to date.
fn catch_up(store: &MemoryStore<PgJournal>, conn: &mut Connection) -> IamResult<usize> {
    // Taken before the database is asked: the view is proven current as of
    // this moment, not of the answer's.
    let asked = Instant::now();
    let client = conn.client()?;
    let accounts = client
        .query("SELECT id, version FROM accounts", &[])
        .map_err(db_err)?;
    let mut applied = 0;
    for row in &accounts {
        let (id, version): (String, i64) = (row.get(0), row.get(1));
        let after = store
            .journal()
            .versions
            .lock()
            .get(&id)
            .copied()
            .unwrap_or(0);
        if version <= after {
            continue;
        }
        let Some(missed) = read_missed(store, client, &id, after)? else {
            continue;
        };
        let Missed {
            account,
            after,
            to,
            states,
        } = missed;
        // Applied only if no local write moved the view meanwhile (it would
        // then be newer than these rows); the next round reads again.
        let done = store.sync(&account, states, |journal| {
            let mut versions = journal.versions.lock();
            let current = versions.get(&account).copied().unwrap_or(0);
            if current != after {
                return false;
            }
            versions.insert(account.clone(), to);
            true
        });
        applied += usize::from(done);
    }
    log_flip(
        &store.journal().freshness,
        store.journal().freshness.proven(asked),
    );
    Ok(applied)
}

/// One log line when the view crosses its bound, and one when it is
/// current again: not one per poll or per refused request.
fn log_flip(freshness: &Freshness, flip: Flip) {
    let lag_ms = freshness.age().as_millis();
    let bound_ms = freshness.bound().as_millis();
    match flip {
        Flip::BecameStale => tracing::error!(
            lag_ms,
            bound_ms,
            "this replica's view of the database is older than --max-staleness: \
             every request is refused (503 ServiceUnavailable) until it follows the database again"
        ),
        Flip::Recovered => tracing::info!(
            lag_ms,
            "this replica's view of the database is current again: serving requests"
        ),
        Flip::None => {}
    }
}

/// Whether no account in the database is past `store`'s view of it.
fn view_is_current(store: &MemoryStore<PgJournal>, conn: &mut Connection) -> IamResult<bool> {
    let accounts = conn
        .client()?
        .query("SELECT id, version FROM accounts", &[])
        .map_err(db_err)?;
    let versions = store.journal().versions.lock();
    Ok(accounts.iter().all(|row| {
        let (id, version): (String, i64) = (row.get(0), row.get(1));
        versions.get(&id).copied().unwrap_or(0) >= version
    }))
}

/// Writes last uses in order, on their own connection. A date never moves
/// back: replicas write the uses of one key in no particular order.
fn write_uses(config: Config, uses: mpsc::Receiver<UseWrite>) {
    let mut conn = Connection {
        config,
        client: None,
    };
    for write in uses {
        let written = match &write {
            UseWrite::Key(id, used) => conn.client().and_then(|c| {
                c.execute(
                    "INSERT INTO access_key_uses (access_key_id, date, service, region) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (access_key_id) DO UPDATE SET date = excluded.date,
                     service = excluded.service, region = excluded.region
                     WHERE access_key_uses.date <= excluded.date",
                    &[id, &used.date, &used.service, &used.region],
                )
                .map_err(db_err)
            }),
            UseWrite::Role(id, used) => conn.client().and_then(|c| {
                c.execute(
                    "INSERT INTO role_uses (role_id, date, region) VALUES ($1, $2, $3)
                     ON CONFLICT (role_id) DO UPDATE SET date = excluded.date, region = excluded.region
                     WHERE role_uses.date <= excluded.date",
                    &[id, &used.date, &used.region],
                )
                .map_err(db_err)
            }),
            UseWrite::Flushed(done) => {
                let _ = done.send(());
                Ok(0)
            }
        };
        if let Err(e) = written {
            // Last use is approximate (AWS reports it so); losing one to
            // an outage is logged, not failed.
            tracing::warn!(error = %e, "cannot record a last use");
        }
    }
}

/// Opens the database at `url` (`postgres://user@host:port/db`), runs the
/// migrations it has not seen, loads every account, and starts following
/// other replicas' writes.
///
/// Requests are refused once the view's last proof of being current is
/// older than `max_staleness` ([`DEFAULT_MAX_STALENESS`]).
pub fn open(url: &str, max_staleness: Duration) -> Result<PostgresStore, OpenError> {
    let config: Config = url
        .parse()
        .map_err(|e| OpenError(format!("invalid database URL: {e}")))?;
    open_following(
        config,
        Follow {
            max_staleness,
            ..Follow::default()
        },
    )
}

/// [`open`] with a parsed configuration, looking for other replicas'
/// writes every `poll_interval` (tests make it long, to race on purpose).
pub fn open_with(config: Config, poll_interval: Duration) -> Result<PostgresStore, OpenError> {
    open_following(
        config,
        Follow {
            poll_interval,
            ..Follow::default()
        },
    )
}

/// [`open`] with a parsed configuration and how to follow the database.
pub fn open_following(config: Config, follow: Follow) -> Result<PostgresStore, OpenError> {
    // The synchronous client runs its own runtime; a thread of its own keeps
    // it clear of any runtime the caller is in.
    std::thread::scope(|s| {
        s.spawn(|| open_here(config, follow))
            .join()
            .unwrap_or_else(|_| Err(OpenError("opening the database panicked".into())))
    })
}

fn open_here(mut config: Config, follow: Follow) -> Result<PostgresStore, OpenError> {
    let Follow {
        poll_interval,
        max_staleness,
        change_log_retention,
    } = follow;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(FOLLOWER_NETWORK_TIMEOUT);
    }
    config.tcp_user_timeout(FOLLOWER_NETWORK_TIMEOUT);
    let connect = || {
        config
            .connect(NoTls)
            .map_err(|e| OpenError(format!("cannot connect to the database: {}", detail(&e))))
    };
    let mut client = connect()?;
    // Replicas starting together race to migrate; the loser tries again.
    if let Err(first) = migrate(&mut client) {
        tracing::info!(error = %first, "migration raced; retrying");
        std::thread::sleep(Duration::from_millis(200));
        migrate(&mut client)
            .map_err(|e| OpenError(format!("cannot migrate the database: {}", detail(&e))))?;
    }
    // A newer ironiam may store what this one would misread or drop.
    let newest = newest_schema(&mut client)
        .map_err(|e| OpenError(format!("cannot read the schema version: {}", detail(&e))))?;
    if newest > SCHEMA_VERSION {
        return Err(OpenError(format!(
            "the database's schema is version {newest}, newer than this ironiam's ({SCHEMA_VERSION}): run a newer ironiam"
        )));
    }
    let (snapshot, versions) =
        load_all(&mut client).map_err(|e| OpenError(format!("cannot load the database: {e}")))?;
    let (uses, pending) = mpsc::channel();
    let use_config = config.clone();
    std::thread::Builder::new()
        .name("ironiam-pg-uses".into())
        .spawn(move || write_uses(use_config, pending))
        .map_err(|e| OpenError(format!("cannot start a thread: {e}")))?;
    let inner = Arc::new(MemoryStore::with_journal(
        PgJournal {
            writer: Mutex::new(Connection {
                config: config.clone(),
                client: Some(client),
            }),
            versions: Mutex::new(versions),
            uses: Mutex::new(uses),
            commits: AtomicU64::new(0),
            on_commit: OnceLock::new(),
            held: AtomicBool::new(false),
            last_stale: Mutex::new(None),
            statements: Mutex::new(Statements::default()),
            // Loaded just now, in one snapshot: current.
            freshness: Arc::new(Freshness::new(max_staleness)),
        },
        snapshot,
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (freshness, stop) = (inner.journal().freshness.clone(), stop.clone());
        std::thread::Builder::new()
            .name("ironiam-pg-watch".into())
            .spawn(move || {
                // Apart from the follower, which may be blocked on the
                // database this watches for.
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(WATCH_INTERVAL);
                    log_flip(&freshness, freshness.check());
                }
            })
            .map_err(|e| OpenError(format!("cannot start a thread: {e}")))?
    };
    let watcher_stop = stop.clone();
    let poller = {
        let (inner, stop) = (inner.clone(), stop.clone());
        let mut conn = Connection {
            config: config.clone(),
            client: None,
        };
        std::thread::Builder::new()
            .name("ironiam-pg-follow".into())
            .spawn(move || {
                let mut failing = false;
                let mut pruner = Pruner::new(change_log_retention);
                let mut last = std::time::Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(poll_interval.min(Duration::from_millis(100)));
                    if last.elapsed() < poll_interval {
                        continue;
                    }
                    last = std::time::Instant::now();
                    match catch_up(&inner, &mut conn) {
                        Ok(_) if failing => {
                            tracing::info!("following the database again");
                            failing = false;
                        }
                        Ok(_) => {}
                        Err(e) if !failing => {
                            tracing::error!(error = %e, "cannot follow the database");
                            failing = true;
                        }
                        Err(_) => {}
                    }
                    if !failing {
                        // Not a failure of following: the next note prunes.
                        if let Err(e) = pruner.tick(&inner, &mut conn) {
                            tracing::warn!(error = %e, "cannot prune the change log");
                        }
                    }
                }
            })
            .map_err(|e| {
                // The watcher stops too.
                watcher_stop.store(true, Ordering::Relaxed);
                OpenError(format!("cannot start a thread: {e}"))
            })?
    };
    Ok(PostgresStore {
        inner,
        gate: Mutex::new(()),
        reader: Mutex::new(Connection {
            config,
            client: None,
        }),
        stop,
        threads: vec![poller, watcher],
    })
}

/// Writes `snapshot` into the database at `url` in one transaction, for an
/// offline bulk load (`crates/bench`'s `seed`: 100,000 roles through one
/// transaction per change would take many minutes). `snapshot` was built
/// by the core rules (an `IamService` over a `MemoryStore`); each entity is
/// written by the journal's own row writer and logged in `change_log`
/// under its own version, as the journal would have, so a replica that is
/// already running follows the import like any other writes. Refused for
/// an account the database has seen (an import never merges); a replica
/// writing to the same account meanwhile makes the import fail (the
/// `accounts` row is inserted, not upserted). Last uses are not imported
/// (a seeded account has none). Answers how many entities were written.
pub fn import(url: &str, snapshot: &Snapshot) -> Result<usize, OpenError> {
    let config: Config = url
        .parse()
        .map_err(|e| OpenError(format!("invalid database URL: {e}")))?;
    import_with(config, snapshot)
}

/// [`import`] with a parsed configuration.
pub fn import_with(config: Config, snapshot: &Snapshot) -> Result<usize, OpenError> {
    if !snapshot.key_uses.is_empty() || !snapshot.role_uses.is_empty() {
        return Err(OpenError("cannot import last uses".into()));
    }
    std::thread::scope(|s| {
        s.spawn(|| import_here(config, snapshot))
            .join()
            .unwrap_or_else(|_| Err(OpenError("importing panicked".into())))
    })
}

fn import_here(config: Config, snapshot: &Snapshot) -> Result<usize, OpenError> {
    let failed = |e: postgres::Error| OpenError(format!("cannot import: {}", detail(&e)));
    let mut client = config
        .connect(NoTls)
        .map_err(|e| OpenError(format!("cannot connect to the database: {}", detail(&e))))?;
    migrate(&mut client)
        .map_err(|e| OpenError(format!("cannot migrate the database: {}", detail(&e))))?;
    let newest = newest_schema(&mut client).map_err(failed)?;
    if newest > SCHEMA_VERSION {
        return Err(OpenError(format!(
            "the database's schema is version {newest}, newer than this ironiam's ({SCHEMA_VERSION})"
        )));
    }
    let mut tx = client.transaction().map_err(failed)?;
    // Per account: its change-log entries (version, kind, entity id).
    let mut logs: BTreeMap<String, Vec<(i64, &'static str, String)>> = BTreeMap::new();
    for change in snapshot.changes() {
        let account = account_of(&change)
            .ok_or_else(|| OpenError("cannot import: a change of no account".into()))?;
        let (kind, id) =
            write_rows(&mut tx, &change).map_err(|e| OpenError(format!("cannot import: {e}")))?;
        let log = logs.entry(account.to_string()).or_default();
        log.push((log.len() as i64 + 1, kind.as_str(), id));
    }
    for (account, log) in &logs {
        tx.execute(
            "INSERT INTO accounts (id, version) VALUES ($1, $2)",
            &[account, &(log.len() as i64)],
        )
        .map_err(|e| match e.code() {
            Some(&SqlState::UNIQUE_VIOLATION) => OpenError(format!(
                "cannot import: the database already has account {account}"
            )),
            _ => failed(e),
        })?;
        // Many rows a statement (arrays, which CockroachDB and YugabyteDB
        // also take): one round trip per entry would be most of the import.
        for chunk in log.chunks(10_000) {
            let versions: Vec<i64> = chunk.iter().map(|e| e.0).collect();
            let kinds: Vec<&str> = chunk.iter().map(|e| e.1).collect();
            let ids: Vec<&str> = chunk.iter().map(|e| e.2.as_str()).collect();
            tx.execute(
                "INSERT INTO change_log (account, version, kind, entity_id)
                 SELECT $1, v, k, i FROM unnest($2::BIGINT[], $3::TEXT[], $4::TEXT[]) AS t (v, k, i)",
                &[account, &versions, &kinds, &ids],
            )
            .map_err(failed)?;
        }
    }
    tx.commit().map_err(failed)?;
    Ok(snapshot.entities())
}

/// Every row, and each account's version, in one snapshot.
fn load_all(client: &mut Client) -> Result<(Snapshot, HashMap<String, i64>), String> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|e| e.to_string())?;
    let versions = tx
        .query("SELECT id, version FROM accounts", &[])
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let key_uses = tx
        .query(
            "SELECT access_key_id, date, service, region FROM access_key_uses",
            &[],
        )
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| {
            (
                r.get(0),
                AccessKeyUse {
                    date: r.get(1),
                    service: r.get(2),
                    region: r.get(3),
                },
            )
        })
        .collect();
    let role_uses = tx
        .query("SELECT role_id, date, region FROM role_uses", &[])
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| {
            (
                r.get(0),
                RoleLastUsed {
                    date: r.get(1),
                    region: r.get(2),
                },
            )
        })
        .collect();
    let password_policies = tx
        .query("SELECT account_id, policy FROM password_policies", &[])
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| {
            Ok((
                get(r, "account_id")?,
                decoded(r, "policy", rows::parse_password_policy)?,
            ))
        })
        .collect::<Result<_, String>>()?;
    let snapshot = Snapshot {
        roles: load(&mut tx, Kind::Role, None, role_of)?,
        policies: load(&mut tx, Kind::Policy, None, policy_of)?,
        users: load(&mut tx, Kind::User, None, user_of)?,
        key_uses,
        role_uses,
        oidc_providers: load(&mut tx, Kind::OidcProvider, None, oidc_provider_of)?,
        password_policies,
        instance_profiles: load(&mut tx, Kind::InstanceProfile, None, instance_profile_of)?,
        groups: load(&mut tx, Kind::Group, None, group_of)?,
    };
    tx.commit().map_err(|e| e.to_string())?;
    Ok((snapshot, versions))
}

impl PostgresStore {
    /// Runs `write` on the view; where another replica wrote to the account
    /// first, brings the view up to date and runs it again, so that the
    /// core rules decide on a current view.
    ///
    /// A write that commits was checked against a current view by its
    /// transaction. One that does not commit — refused by a rule
    /// (`EntityAlreadyExists`, `NoSuchEntity`…) or changing nothing — is
    /// answered only once the database confirms that no account moved past
    /// the view; otherwise it too runs again on a refreshed view. So a name
    /// freed on another replica a moment ago can be taken at once, and a tag
    /// another replica just removed is put back, not found already there.
    ///
    /// After a lost race the account's version row is held (see
    /// [`PgJournal::hold`]) while the view is refreshed and the write runs
    /// again, so the retry cannot lose: without it, a replica that keeps
    /// writing to an account starved another's writes to it (seen in the
    /// `kill -9` end-to-end test: ConcurrentModification after 16 tries).
    fn retrying<T>(&self, mut write: impl FnMut() -> IamResult<T>) -> IamResult<T> {
        let _gate = self.gate.lock();
        let journal = self.inner.journal();
        for _ in 0..MAX_ATTEMPTS {
            let commits = journal.commits.load(Ordering::Relaxed);
            let result = write();
            // A held row the write did not commit under: the view was
            // current while it was held, so the answer stands.
            let was_held = off_runtime(|| journal.release())?;
            let confirmed = match &result {
                Err(e) if is_stale(e) => false,
                Err(IamError::Internal(_)) => true,
                _ if was_held => true,
                _ if journal.commits.load(Ordering::Relaxed) != commits => true,
                _ => off_runtime(|| view_is_current(&self.inner, &mut self.reader.lock()))?,
            };
            if confirmed {
                return result;
            }
            let account = journal.last_stale.lock().take();
            let refreshed = off_runtime(|| {
                if let Some(account) = &account {
                    journal.hold(account)?;
                }
                catch_up(&self.inner, &mut self.reader.lock())
            });
            if let Err(e) = refreshed {
                off_runtime(|| journal.release())?;
                return Err(e);
            }
        }
        tracing::warn!("a write lost every race for its account's version");
        Err(stale())
    }

    /// The server key every replica on this database shares: the one a
    /// replica stored first, or `candidate` (in the key file's text form)
    /// if none has yet. It is kept in the database in the clear, so that
    /// anyone who can read the database can unseal what it seals: give
    /// every replica the same `--server-key-file` instead where that
    /// matters.
    pub fn shared_server_key(&self, candidate: &str) -> IamResult<String> {
        off_runtime(|| {
            let mut reader = self.reader.lock();
            let client = reader.client()?;
            client
                .execute(
                    "INSERT INTO server_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                    &[&candidate],
                )
                .map_err(db_err)?;
            client
                .query_one("SELECT key FROM server_key WHERE id = 1", &[])
                .map(|row| row.get(0))
                .map_err(db_err)
        })
    }

    /// Calls `observer` after every commit (or failed attempt) with the
    /// time it took. One observer per store; `false` if one was already set.
    pub fn observe_commits(&self, observer: CommitObserver) -> bool {
        self.inner.journal().on_commit.set(observer).is_ok()
    }

    /// Brings the view up to date now, rather than at the next poll.
    pub fn refresh(&self) -> IamResult<()> {
        off_runtime(|| catch_up(&self.inner, &mut self.reader.lock())).map(|_| ())
    }
}

/// Store methods that only read the view.
macro_rules! read {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        $(fn $name(&self $(, $arg: $ty)*) -> $ret {
            self.inner.$name($($arg),*)
        })*
    };
}

/// Store methods that write: computed again on a refreshed view if another
/// replica wrote to the account first.
macro_rules! write {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        $(
        // The arguments are cloned for each attempt, Copy ones included.
        #[allow(clippy::clone_on_copy)]
        fn $name(&self $(, $arg: $ty)*) -> $ret {
            self.retrying(|| self.inner.$name($($arg.clone()),*))
        })*
    };
}

impl Store for PostgresStore {
    read! {
        fn get_role(&self, account: &str, name: &str) -> IamResult<Arc<Role>>;
        fn list_roles(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<Role>>>;
        fn role_last_used(&self, role_id: &str) -> IamResult<Option<RoleLastUsed>>;
        fn get_policy(&self, account: &str, arn: &str) -> IamResult<Arc<CustomerPolicy>>;
        fn list_policies(&self, account: &str) -> IamResult<Vec<Arc<CustomerPolicy>>>;
        fn get_user(&self, account: &str, name: &str) -> IamResult<Arc<User>>;
        fn user_by_id(&self, account: &str, user_id: &str) -> IamResult<Option<Arc<User>>>;
        fn list_users(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<User>>>;
        fn find_access_key(&self, access_key_id: &str) -> IamResult<Option<Arc<User>>>;
        fn access_key_last_used(&self, access_key_id: &str) -> IamResult<Option<AccessKeyUse>>;
        fn get_oidc_provider(&self, account: &str, arn: &str) -> IamResult<Arc<OidcProvider>>;
        fn list_oidc_providers(&self, account: &str) -> IamResult<Vec<Arc<OidcProvider>>>;
        fn get_instance_profile(&self, account: &str, name: &str) -> IamResult<Arc<InstanceProfile>>;
        fn list_instance_profiles(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<InstanceProfile>>>;
        fn list_instance_profiles_for_role(&self, account: &str, role_name: &str, range: ListRange<'_>) -> IamResult<Page<Arc<InstanceProfile>>>;
        fn get_group(&self, account: &str, name: &str) -> IamResult<Arc<Group>>;
        fn list_groups(&self, account: &str, range: ListRange<'_>) -> IamResult<Page<Arc<Group>>>;
        fn group_users(&self, account: &str, name: &str, range: ListRange<'_>) -> IamResult<(Arc<Group>, Page<Arc<User>>)>;
        fn groups_for_user(&self, account: &str, user_name: &str, range: ListRange<'_>) -> IamResult<Page<Arc<Group>>>;
        fn get_password_policy(&self, account: &str) -> IamResult<Option<PasswordPolicy>>;
        fn policy_usage(&self, account: &str) -> IamResult<HashMap<String, PolicyUsage>>;
        // Last uses are not versioned: they go to their own writer.
        fn record_role_use(&self, account: &str, role_name: &str, role_id: &str, used: RoleLastUsed) -> IamResult<()>;
        fn record_access_key_use(&self, access_key_id: &str, used: AccessKeyUse) -> IamResult<()>;
    }

    write! {
        fn create_role(&self, role: Role, max_roles: usize) -> IamResult<Arc<Role>>;
        fn update_role(&self, account: &str, name: &str, change: RoleChange) -> IamResult<Arc<Role>>;
        fn update_holder(&self, account: &str, kind: PrincipalKind, name: &str, change: HolderChange) -> IamResult<()>;
        fn delete_role(&self, account: &str, name: &str) -> IamResult<()>;
        fn create_policy(&self, policy: CustomerPolicy, max_policies: usize) -> IamResult<Arc<CustomerPolicy>>;
        fn update_policy(&self, account: &str, arn: &str, change: PolicyChange) -> IamResult<Arc<CustomerPolicy>>;
        fn delete_policy(&self, account: &str, arn: &str) -> IamResult<()>;
        fn create_user(&self, user: User, max_users: usize) -> IamResult<Arc<User>>;
        fn update_user(&self, account: &str, name: &str, change: UserChange) -> IamResult<Arc<User>>;
        fn delete_user(&self, account: &str, name: &str) -> IamResult<()>;
        fn create_oidc_provider(&self, provider: OidcProvider) -> IamResult<Arc<OidcProvider>>;
        fn update_oidc_provider(&self, account: &str, arn: &str, change: OidcChange) -> IamResult<Arc<OidcProvider>>;
        fn delete_oidc_provider(&self, account: &str, arn: &str) -> IamResult<()>;
        fn create_instance_profile(&self, profile: InstanceProfile, max_profiles: usize) -> IamResult<Arc<InstanceProfile>>;
        fn update_instance_profile(&self, account: &str, name: &str, change: InstanceProfileChange) -> IamResult<Arc<InstanceProfile>>;
        fn delete_instance_profile(&self, account: &str, name: &str) -> IamResult<()>;
        fn create_group(&self, group: Group, max_groups: usize) -> IamResult<Arc<Group>>;
        fn update_group(&self, account: &str, name: &str, change: GroupChange) -> IamResult<Arc<Group>>;
        fn delete_group(&self, account: &str, name: &str) -> IamResult<()>;
        fn put_password_policy(&self, account: &str, policy: PasswordPolicy) -> IamResult<()>;
        fn delete_password_policy(&self, account: &str) -> IamResult<()>;
        fn reset(&self) -> IamResult<()>;
    }

    fn freshness(&self) -> Option<Arc<Freshness>> {
        Some(self.inner.journal().freshness.clone())
    }

    fn flush_uses(&self) -> IamResult<()> {
        self.inner.flush_uses()?;
        // Wait (briefly) for the last-use writer to write what it was given.
        let (done, written) = mpsc::channel();
        self.inner.journal().send_use(UseWrite::Flushed(done))?;
        written
            .recv_timeout(Duration::from_secs(5))
            .map_err(|_| IamError::Internal("postgres: last uses not written in time".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironiam_core::conformance::role;

    const ACCOUNT: &str = "123456789012";
    use std::sync::atomic::AtomicUsize;
    use std::sync::Barrier;
    use std::time::Instant;

    /// The test server, from `IRONIAM_TEST_DATABASE_URL`. Unset, the tests
    /// skip in a plain `cargo test`, and fail under `scripts/test` (which
    /// sets `IRONIAM_REQUIRE_POSTGRES=1` and starts a throwaway cluster).
    fn database_url() -> Option<String> {
        match std::env::var("IRONIAM_TEST_DATABASE_URL") {
            Ok(url) => Some(url),
            Err(_) if std::env::var_os("IRONIAM_REQUIRE_POSTGRES").is_some() => panic!(
                "IRONIAM_REQUIRE_POSTGRES is set but IRONIAM_TEST_DATABASE_URL is not: \
                 the PostgreSQL tests need a server (scripts/test starts one)"
            ),
            Err(_) => {
                eprintln!("skipped: IRONIAM_TEST_DATABASE_URL is not set");
                None
            }
        }
    }

    /// A configuration for a schema of its own on the test server: each
    /// test (and each pair of replicas) starts from an empty database.
    pub(crate) fn fresh_config() -> Option<Config> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let url = database_url()?;
        let config: Config = url.parse().expect("IRONIAM_TEST_DATABASE_URL parses");
        let schema = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = config.connect(NoTls).expect("the test server answers");
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("a fresh schema");
        let mut config = config;
        config.options(&format!("-c search_path={schema}"));
        Some(config)
    }

    fn fresh() -> Option<Arc<dyn Store>> {
        Some(Arc::new(open_with(fresh_config()?, POLL_INTERVAL).unwrap()))
    }

    ironiam_core::store_conformance_tests!(match fresh() {
        Some(store) => store,
        None => return,
    });

    /// The seeder's bulk path: what `import` writes is what a replica
    /// loads, a replica already running follows it through the change
    /// log, and an account the database has seen is refused.
    #[test]
    fn an_imported_snapshot_is_what_replicas_load() {
        let Some(config) = fresh_config() else { return };
        let running = open_with(config.clone(), Duration::from_secs(3600)).unwrap();
        let snapshot = ironiam_core::conformance::small_account();
        assert_eq!(import_with(config.clone(), &snapshot).unwrap(), 4);
        let again = import_with(config.clone(), &snapshot).unwrap_err();
        assert!(again.0.contains("already has account"), "{again:?}");
        let loaded = open_with(config, POLL_INTERVAL).unwrap().inner.snapshot();
        assert_eq!(loaded.roles, snapshot.roles);
        assert_eq!(loaded.users, snapshot.users);
        assert_eq!(loaded.policies, snapshot.policies);
        assert_eq!(loaded.groups, snapshot.groups);
        running.refresh().unwrap();
        let followed = running.get_role("123456789012", "imported").unwrap();
        assert_eq!(*followed, snapshot.roles[0]);
    }

    /// Two replicas on one database; `b` never polls, so that it writes on
    /// a stale view unless a test refreshes it.
    fn pair() -> Option<(PostgresStore, PostgresStore)> {
        let config = fresh_config()?;
        let a = open_with(config.clone(), POLL_INTERVAL).unwrap();
        let b = open_with(config, Duration::from_secs(3600)).unwrap();
        Some((a, b))
    }

    /// A role created on A is refused on B, whose view had not seen it: B's
    /// commit finds the account's version moved, refreshes, and the core
    /// rule answers on the fresh view, with AWS's message.
    #[test]
    fn a_name_taken_on_another_replica_is_refused() {
        let Some((a, b)) = pair() else { return };
        a.create_role(role("Racer"), 1000).unwrap();
        assert!(
            b.get_role(ACCOUNT, "Racer").is_err(),
            "b has not looked yet"
        );
        assert_eq!(
            b.create_role(role("RACER"), 1000).unwrap_err(),
            IamError::EntityAlreadyExists("Role with name RACER already exists.".into())
        );
        assert_eq!(b.get_role(ACCOUNT, "racer").unwrap().name, "Racer");
    }

    /// Two replicas creating one name at the same moment: exactly one wins,
    /// round after round, and the other gets AWS's EntityAlreadyExists.
    #[test]
    fn concurrent_create_of_one_name_on_two_replicas() {
        let Some((a, b)) = pair() else { return };
        let (a, b) = (Arc::new(a), Arc::new(b));
        for round in 0..20 {
            let name = format!("Same{round}");
            let barrier = Arc::new(Barrier::new(2));
            let racers: Vec<_> = [a.clone(), b.clone()]
                .into_iter()
                .map(|store| {
                    let (barrier, name) = (barrier.clone(), name.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        store.create_role(role(&name), 1000)
                    })
                })
                .collect();
            let results: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
            let won = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(won, 1, "round {round}: {results:?}");
            let lost = results.into_iter().find_map(Result::err).unwrap();
            assert_eq!(
                lost,
                IamError::EntityAlreadyExists(format!("Role with name {name} already exists."))
            );
        }
        b.refresh().unwrap();
        for store in [&a, &b] {
            let roles = store
                .list_roles(
                    ACCOUNT,
                    ListRange {
                        path_prefix: "/",
                        marker: None,
                        max_items: 1000,
                    },
                )
                .unwrap();
            assert_eq!(roles.items.len(), 20);
        }
    }

    fn attach(store: &PostgresStore, n: usize) -> IamResult<()> {
        store.update_holder(
            ACCOUNT,
            PrincipalKind::Role,
            "Quota",
            HolderChange::AttachPolicy {
                arn: format!("arn:aws:iam::aws:policy/P{n}"),
                max_attached: 10,
            },
        )
    }

    /// The quota race: a role holds 9 managed policies, and two replicas
    /// attach the 10th and the 11th at the same moment. Exactly one
    /// succeeds; the other is told AWS's LimitExceeded. Run both ways: on
    /// purpose (B's view stale) and at the same moment from two threads.
    #[test]
    fn the_quota_holds_across_replicas() {
        let Some((a, b)) = pair() else { return };
        a.create_role(role("Quota"), 1000).unwrap();
        for n in 1..=9 {
            attach(&a, n).unwrap();
        }
        b.refresh().unwrap();
        attach(&a, 10).unwrap();
        assert_eq!(
            attach(&b, 11).unwrap_err(),
            IamError::LimitExceeded("Cannot exceed quota for PoliciesPerRole: 10".into())
        );
        let detach = |store: &PostgresStore, n: usize| {
            store.update_holder(
                ACCOUNT,
                PrincipalKind::Role,
                "Quota",
                HolderChange::DetachPolicy(format!("arn:aws:iam::aws:policy/P{n}")),
            )
        };
        // Back to 9 (a's view is stale: its write is recomputed).
        detach(&a, 10).unwrap();
        let (a, b) = (Arc::new(a), Arc::new(b));
        for round in 0..10 {
            b.refresh().unwrap();
            a.refresh().unwrap();
            let barrier = Arc::new(Barrier::new(2));
            let racers: Vec<_> = [(a.clone(), 100 + round), (b.clone(), 200 + round)]
                .into_iter()
                .map(|(store, n)| {
                    let barrier = barrier.clone();
                    std::thread::spawn(move || {
                        barrier.wait();
                        (n, attach(&store, n))
                    })
                })
                .collect();
            let results: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
            let winners: Vec<usize> = results
                .iter()
                .filter(|(_, r)| r.is_ok())
                .map(|(n, _)| *n)
                .collect();
            assert_eq!(winners.len(), 1, "round {round}: {results:?}");
            let lost = results.into_iter().find_map(|(_, r)| r.err()).unwrap();
            assert_eq!(
                lost,
                IamError::LimitExceeded("Cannot exceed quota for PoliciesPerRole: 10".into())
            );
            a.refresh().unwrap();
            assert_eq!(
                a.get_role(ACCOUNT, "Quota")
                    .unwrap()
                    .attached_policies
                    .len(),
                10
            );
            detach(&a, winners[0]).unwrap();
        }
    }

    /// A write on A is seen by B, which polls, within the propagation bound.
    #[test]
    fn a_write_on_one_replica_is_seen_on_another() {
        let Some(config) = fresh_config() else { return };
        let a = open_with(config.clone(), POLL_INTERVAL).unwrap();
        let b = open_with(config, POLL_INTERVAL).unwrap();
        let mut user = ironiam_core::conformance::user("Seen");
        user.access_keys
            .push(ironiam_core::conformance::access_key("AKIASEEN0000000001"));
        a.create_user(user, 100).unwrap();
        a.create_role(role("Seen"), 100).unwrap();
        let started = Instant::now();
        while b.get_role(ACCOUNT, "Seen").is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "B did not see A's role within 2 s"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        // The access key index follows too: B authenticates A's key.
        assert_eq!(
            b.find_access_key("AKIASEEN0000000001")
                .unwrap()
                .unwrap()
                .name,
            "Seen"
        );
        // A rename and a delete travel as well.
        a.update_user(
            ACCOUNT,
            "Seen",
            UserChange::Rename {
                new_name: Some("Renamed".into()),
                new_path: None,
            },
        )
        .unwrap();
        a.delete_role(ACCOUNT, "Seen").unwrap();
        b.refresh().unwrap();
        assert!(b.get_role(ACCOUNT, "Seen").is_err());
        assert!(b.get_user(ACCOUNT, "Seen").is_err());
        assert_eq!(
            b.find_access_key("AKIASEEN0000000001")
                .unwrap()
                .unwrap()
                .name,
            "Renamed"
        );
    }

    /// A replica started later loads what the others wrote, and a reset
    /// on one empties the others' views.
    #[test]
    fn a_new_replica_loads_and_a_reset_travels() {
        let Some(config) = fresh_config() else { return };
        let a = open_with(config.clone(), POLL_INTERVAL).unwrap();
        a.create_role(role("Kept"), 100).unwrap();
        let b = open_with(config, Duration::from_secs(3600)).unwrap();
        assert_eq!(b.get_role(ACCOUNT, "kept").unwrap().name, "Kept");
        a.reset().unwrap();
        b.refresh().unwrap();
        assert!(b.get_role(ACCOUNT, "Kept").is_err());
        // B writes after the reset on a view that caught up with it.
        b.create_role(role("Kept"), 100).unwrap();
        a.refresh().unwrap();
        assert!(a.get_role(ACCOUNT, "Kept").is_ok());
    }

    /// Every replica gets the server key the first one stored.
    #[test]
    fn replicas_share_the_first_server_key_stored() {
        let Some(config) = fresh_config() else { return };
        let a = open_with(config.clone(), POLL_INTERVAL).unwrap();
        let b = open_with(config, POLL_INTERVAL).unwrap();
        assert_eq!(a.shared_server_key("first").unwrap(), "first");
        assert_eq!(b.shared_server_key("second").unwrap(), "first");
    }

    /// A write made on a thread that drives an async runtime (the server
    /// calls its test-suite reset so) works: the client's own runtime runs
    /// elsewhere.
    #[test]
    fn writes_from_inside_an_async_runtime() {
        let Some(config) = fresh_config() else { return };
        let store = open_with(config, POLL_INTERVAL).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            store.create_role(role("Async"), 10).unwrap();
            store.reset().unwrap();
        });
        assert!(store.get_role(ACCOUNT, "Async").is_err());
    }

    /// A write that a stale view would refuse, or find already done, is
    /// checked against the database before it is answered: B takes a name
    /// A has just freed, and puts back a tag A has just removed.
    #[test]
    fn a_refusal_or_a_no_op_is_confirmed_against_the_database() {
        let Some((a, b)) = pair() else { return };
        a.create_role(role("Freed"), 100).unwrap();
        let tag = |store: &PostgresStore, change| {
            store.update_holder(
                ACCOUNT,
                PrincipalKind::Role,
                "Freed",
                HolderChange::Tags(change),
            )
        };
        let k = ironiam_core::entities::Tag {
            key: "k".into(),
            value: "v".into(),
        };
        tag(
            &a,
            ironiam_core::tags::TagChange::Tag {
                tags: vec![k.clone()],
                max_tags: 50,
            },
        )
        .unwrap();
        b.refresh().unwrap();
        tag(&a, ironiam_core::tags::TagChange::Untag(vec!["k".into()])).unwrap();
        // In B's view the tag is still there: without the check, B would
        // answer success and leave the role untagged.
        tag(
            &b,
            ironiam_core::tags::TagChange::Tag {
                tags: vec![k.clone()],
                max_tags: 50,
            },
        )
        .unwrap();
        a.refresh().unwrap();
        assert_eq!(a.get_role(ACCOUNT, "Freed").unwrap().tags, vec![k]);
        a.delete_role(ACCOUNT, "Freed").unwrap();
        // B's view still holds the role; the name is free in the database.
        assert!(b.get_role(ACCOUNT, "Freed").is_ok());
        assert_eq!(b.create_role(role("Freed"), 100).unwrap().name, "Freed");
        // A refusal on a current view stays a refusal, with AWS's message.
        assert_eq!(
            b.create_role(role("FREED"), 100).unwrap_err(),
            IamError::EntityAlreadyExists("Role with name FREED already exists.".into())
        );
    }

    /// Migrations are versioned: a database left at schema 1 gains schema
    /// 2 at start with every row kept, and one from a newer ironiam is
    /// refused rather than misread.
    #[test]
    fn migrations_run_once_and_a_newer_schema_is_refused() {
        let Some(config) = fresh_config() else { return };
        let store = open_with(config.clone(), POLL_INTERVAL).unwrap();
        store.create_role(role("Kept"), 10).unwrap();
        drop(store);
        let mut admin = config.connect(NoTls).unwrap();
        admin
            .batch_execute("DROP TABLE server_key; DELETE FROM schema_migrations WHERE version = 2")
            .unwrap();
        let store = open_with(config.clone(), POLL_INTERVAL).unwrap();
        assert_eq!(store.get_role(ACCOUNT, "kept").unwrap().name, "Kept");
        assert_eq!(store.shared_server_key("k").unwrap(), "k");
        let versions: Vec<i64> = admin
            .query(
                "SELECT version FROM schema_migrations ORDER BY version",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(versions, vec![1, 2, 3]);
        drop(store);
        admin
            .batch_execute("INSERT INTO schema_migrations (version) VALUES (99)")
            .unwrap();
        let refused = open_with(config, POLL_INTERVAL).unwrap_err();
        assert_eq!(
            refused.0,
            format!("the database's schema is version 99, newer than this ironiam's ({SCHEMA_VERSION}): run a newer ironiam")
        );
    }

    /// Waits (boundedly) until `done` holds.
    fn eventually(what: &str, mut done: impl FnMut() -> bool) {
        let started = Instant::now();
        while !done() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{what}: not within 20 s"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A replica whose database cannot be reached says it is stale once its
    /// view's last proof of being current is older than the bound (the
    /// server then refuses requests), and fresh again once it follows the
    /// database again. The database is cut off for real: the replica's role
    /// may no longer log in and its connections are ended.
    #[test]
    fn a_replica_cut_off_from_the_database_goes_stale_and_recovers() {
        let Some(config) = fresh_config() else { return };
        let login = format!("cut_{}", std::process::id());
        let mut admin = config.connect(NoTls).unwrap();
        admin
            .batch_execute(&format!("CREATE ROLE {login} SUPERUSER LOGIN"))
            .unwrap();
        let mut as_role = config.clone();
        as_role.user(&login);
        let bound = Duration::from_millis(300);
        let store = open_following(
            as_role,
            Follow {
                max_staleness: bound,
                ..Follow::default()
            },
        )
        .unwrap();
        let freshness = store.freshness().unwrap();
        store.create_role(role("Before"), 100).unwrap();
        assert!(!freshness.is_stale());

        admin
            .batch_execute(&format!("ALTER ROLE {login} NOLOGIN"))
            .unwrap();
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                &[&login],
            )
            .unwrap();
        eventually("stale once cut off", || freshness.is_stale());
        assert!(freshness.age() > bound, "{:?}", freshness.age());
        // A write cannot commit either: a ServiceFailure, not an answer.
        assert!(matches!(
            store.create_role(role("During"), 100),
            Err(IamError::Internal(_))
        ));

        admin
            .batch_execute(&format!("ALTER ROLE {login} LOGIN"))
            .unwrap();
        eventually("fresh once the database answers again", || {
            !freshness.is_stale()
        });
        assert!(freshness.age() <= bound, "{:?}", freshness.age());
        store.create_role(role("After"), 100).unwrap();
        drop(store);
        admin
            .batch_execute(&format!("DROP OWNED BY {login}; DROP ROLE {login}"))
            .unwrap();
    }

    /// The change log is pruned once its entries are older than the
    /// retention, and a replica whose view is older than the oldest kept
    /// entry reads the account whole rather than miss a change: a delete, a
    /// new role and a rename it never saw as entries all reach it.
    #[test]
    fn the_change_log_is_pruned_and_a_replica_behind_it_reads_the_account_whole() {
        let Some(config) = fresh_config() else { return };
        let a = open_following(
            config.clone(),
            Follow {
                change_log_retention: Duration::from_millis(100),
                ..Follow::default()
            },
        )
        .unwrap();
        // B never polls (so never prunes): it falls behind on purpose.
        let b = open_with(config.clone(), Duration::from_secs(3600)).unwrap();
        let mut user = ironiam_core::conformance::user("Kept");
        user.access_keys.push(ironiam_core::conformance::access_key(
            "AKIAPRUNE00000000001",
        ));
        a.create_user(user, 100).unwrap();
        a.create_role(role("Gone"), 100).unwrap();
        a.create_role(role("Stays"), 100).unwrap();
        a.put_password_policy(ACCOUNT, PasswordPolicy::default())
            .unwrap();
        b.refresh().unwrap();
        assert!(b.get_role(ACCOUNT, "Gone").is_ok());
        let stays = b.get_role(ACCOUNT, "Stays").unwrap();

        a.delete_role(ACCOUNT, "Gone").unwrap();
        a.create_role(role("New"), 100).unwrap();
        a.update_user(
            ACCOUNT,
            "Kept",
            UserChange::Rename {
                new_name: Some("Moved".into()),
                new_path: None,
            },
        )
        .unwrap();
        a.delete_password_policy(ACCOUNT).unwrap();
        let mut admin = config.connect(NoTls).unwrap();
        eventually("A prunes every entry", || {
            admin
                .query_one("SELECT count(*) FROM change_log", &[])
                .unwrap()
                .get::<_, i64>(0)
                == 0
        });

        b.refresh().unwrap();
        assert!(b.get_role(ACCOUNT, "Gone").is_err());
        assert_eq!(b.get_role(ACCOUNT, "new").unwrap().name, "New");
        assert_eq!(*b.get_role(ACCOUNT, "Stays").unwrap(), *stays);
        assert!(b.get_user(ACCOUNT, "Kept").is_err());
        assert_eq!(
            b.find_access_key("AKIAPRUNE00000000001")
                .unwrap()
                .unwrap()
                .name,
            "Moved"
        );
        assert_eq!(b.get_password_policy(ACCOUNT).unwrap(), None);
        // B's view is current: it writes on, and A follows.
        b.create_role(role("FromB"), 100).unwrap();
        a.refresh().unwrap();
        assert!(a.get_role(ACCOUNT, "FromB").is_ok());
    }

    /// SQLite and memory stores are their own source of truth: never stale.
    #[test]
    fn a_store_of_its_own_is_never_stale() {
        assert!(MemoryStore::new().freshness().is_none());
    }

    /// A replica that keeps writing to an account does not starve another
    /// writing to it: a retry after a lost race holds the account's version
    /// row, so it cannot lose again.
    #[test]
    fn a_busy_replica_does_not_starve_another() {
        let Some((a, b)) = pair() else { return };
        let (a, b) = (Arc::new(a), Arc::new(b));
        let stop = Arc::new(AtomicBool::new(false));
        let busy: Vec<_> = (0..4)
            .map(|t| {
                let (a, stop) = (a.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        a.create_role(role(&format!("busy{t}-{i}")), 100_000)
                            .unwrap();
                        i += 1;
                    }
                    i
                })
            })
            .collect();
        for i in 0..100 {
            b.create_role(role(&format!("patient{i}")), 100_000)
                .unwrap_or_else(|e| panic!("write {i} on B: {e:?}"));
        }
        stop.store(true, Ordering::Relaxed);
        let busy_writes: usize = busy.into_iter().map(|t| t.join().unwrap()).sum();
        assert!(busy_writes > 0);
    }
}
