//! `ironiam`: AWS IAM and STS as one program.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use ironiam_core::accounts;
use ironiam_core::clock::OffsetClock;
use ironiam_core::crypto::ServerKey;
use ironiam_core::memory::MemoryStore;
use ironiam_core::quotas::Quotas;
use ironiam_core::service::{IamService, RootKey, Settings};
use ironiam_core::store::Store;
use ironiam_server::{serve, App, AppConfig, AuditLog, AuthMode, Metrics, ServeOptions};
use ironiam_store_sqlite::Durability;

mod console_state;
mod policy_cli;

#[derive(Parser)]
#[command(
    name = "ironiam",
    version,
    about = "AWS IAM and STS, as one fast program"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the IAM/STS server (AWS Query protocol on one port).
    Serve(Box<ServeArgs>),
    /// Check or set up the ECS Anywhere IAM role against any IAM endpoint.
    EcsAnywhere(ironiam_ecs_anywhere::EcsAnywhereArgs),
    /// Validate, compare and simulate IAM policies, offline.
    Policy(policy_cli::PolicyArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on start).
    #[arg(long, default_value = "127.0.0.1:4566", env = "IRONIAM_LISTEN")]
    listen: SocketAddr,
    /// Directory of the embedded SQLite database.
    #[arg(
        long,
        default_value = ".ironiam",
        env = "IRONIAM_DATA_DIR",
        conflicts_with = "in_memory"
    )]
    data_dir: PathBuf,
    /// Keep everything in memory; nothing is written to disk.
    #[arg(long, env = "IRONIAM_IN_MEMORY")]
    in_memory: bool,
    /// Keep everything in this PostgreSQL database
    /// (`postgres://USER[:PASSWORD]@HOST:PORT/DB`) instead of `--data-dir`.
    /// Any number of servers may share one database, each answering any
    /// request; a write on one is seen by the others within about 25 ms.
    /// Connections are made without TLS: loopback or a trusted network.
    #[arg(
        long,
        value_name = "URL",
        env = "IRONIAM_DATABASE_URL",
        conflicts_with_all = ["in_memory", "data_dir"]
    )]
    database: Option<String>,
    /// With `--database`: how old this server's view of the database may
    /// grow, when the database cannot be read, before it refuses every
    /// request (503 ServiceUnavailable, and `/_ironiam/health` answers 503)
    /// rather than answer or authorize from it: a key deleted or a `Deny`
    /// added through another server is ignored at most this long.
    /// `500ms`, `2s`…
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_staleness, env = "IRONIAM_MAX_STALENESS")]
    max_staleness: std::time::Duration,
    /// `process` survives kill -9; `full` also survives power loss (fsync per write).
    #[arg(long, default_value = "process", value_parser = ["process", "full"], env = "IRONIAM_DURABILITY")]
    durability: String,
    /// The account that requests act in.
    #[arg(long, default_value = "123456789012", env = "IRONIAM_ACCOUNT_ID")]
    account_id: String,
    /// Turn off the test-suite endpoints (`POST /_ironiam/reset`,
    /// `/moto-api/reset`, `/_ironiam/clock`, `/_ironiam/assume-role-as-service`,
    /// `/_ironiam/authorize`), which are on by default with `--auth off`.
    #[arg(long, conflicts_with = "test_endpoints")]
    no_reset: bool,
    /// With `--auth` other than `off`: serve the test-suite endpoints, to
    /// SigV4-signed requests of the `--account-id` account's root user only.
    /// (They are off by default then: reset wipes everything, the clock
    /// revives expired credentials, and assume-role-as-service issues them.)
    #[arg(long)]
    test_endpoints: bool,
    /// Serve HTTPS with this PEM certificate chain (with `--tls-key`).
    #[arg(
        long,
        value_name = "PATH",
        requires = "tls_key",
        env = "IRONIAM_TLS_CERT"
    )]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(
        long,
        value_name = "PATH",
        requires = "tls_cert",
        env = "IRONIAM_TLS_KEY"
    )]
    tls_key: Option<PathBuf>,
    /// Connections served at once; more wait until one closes.
    #[arg(long, default_value_t = ironiam_server::DEFAULT_MAX_CONNECTIONS, env = "IRONIAM_MAX_CONNECTIONS")]
    max_connections: usize,
    /// Keep no metrics: nothing is counted and `/_ironiam/metrics` answers
    /// 404 (to measure what metrics cost, or to serve no such page at all).
    #[arg(long, env = "IRONIAM_NO_METRICS")]
    no_metrics: bool,
    /// Close a connection whose request headers (or TLS handshake) take
    /// longer than this many seconds, idle keep-alive waits included.
    #[arg(long, default_value_t = ironiam_server::DEFAULT_HEADER_READ_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_read_timeout: u64,
    /// Override a quota: NAME=VALUE, e.g. `trust-policy-size=4096`. Names:
    /// trust-policy-size, managed-policies-per-role, role-inline-policy-size,
    /// tags-per-resource, roles-per-account, customer-policies-per-account,
    /// managed-policy-size, versions-per-policy, users-per-account,
    /// managed-policies-per-user, user-inline-policy-size, access-keys-per-user,
    /// instance-profiles-per-account, groups-per-account, groups-per-user,
    /// managed-policies-per-group, group-inline-policy-size.
    #[arg(long = "quota", value_name = "NAME=VALUE")]
    quotas: Vec<String>,
    /// The 256-bit key that seals access-key secrets at rest and session
    /// tokens (base64 or 64 hex digits). Default: `<data-dir>/server.key`,
    /// created (mode 0600) on first start; with `--in-memory`, a random key
    /// per process unless this is given; with `--database`, a key kept in
    /// the database (in the clear) that the first server stores and every
    /// other one reads. Servers that share this key accept each other's
    /// session tokens.
    #[arg(long, value_name = "PATH", env = "IRONIAM_SERVER_KEY_FILE")]
    server_key_file: Option<PathBuf>,
    /// A root user's access key: `AKID:SECRET` for the `--account-id`
    /// account, or `ACCOUNT=AKID:SECRET` for another account. Repeatable.
    /// Also read from `IRONIAM_ROOT_CREDENTIALS` (specs separated by commas
    /// or spaces), which keeps secrets out of the process list.
    #[arg(long = "root-access-key", value_name = "[ACCOUNT=]AKID:SECRET")]
    root_access_keys: Vec<String>,
    /// A JSON file of accounts and their root access keys:
    /// `{"accounts": [{"id": "111122223333", "root_access_keys":
    /// [{"access_key_id": "AKIA…", "secret_access_key": "…"}]}]}`.
    #[arg(long, value_name = "PATH", env = "IRONIAM_ACCOUNTS_FILE")]
    accounts_file: Option<PathBuf>,
    /// `off`: no checks (known credentials act as their principal, any
    /// others as the default account's root). `verify`: SigV4 signatures are
    /// verified. `enforce`: also every request is authorized with the
    /// caller's policies (AccessDenied as AWS words it). `soft`: as enforce,
    /// but denials are logged and allowed.
    #[arg(long, default_value = "off", value_parser = ["off", "verify", "soft", "enforce"], env = "IRONIAM_AUTH")]
    auth: String,
    /// Serve the web console without sign-in (every action as the default
    /// account's root) although `--auth` is not `off`. Without this flag the
    /// console signs in and authorizes each action as the API does.
    #[arg(long)]
    console_without_sign_in: bool,
    /// For tests: run the service clock this many seconds ahead of (or, if
    /// negative, behind) the system clock. With the reset endpoints on,
    /// `POST /_ironiam/clock?offset=SECONDS` changes it while running.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    clock_offset: i64,
    /// End each AccessDenied message of `--auth enforce` with an "Encoded
    /// authorization failure message" (as EC2 does), which
    /// `aws sts decode-authorization-message` explains: the caller, action,
    /// resource, matched statements and context keys.
    #[arg(long)]
    encode_denials: bool,
    /// The signing keys of an OpenID Connect issuer, for
    /// AssumeRoleWithWebIdentity: `ISSUER_URL=JWKS_FILE` (the issuer's
    /// `jwks_uri` document, saved locally: ironiam fetches nothing).
    /// Repeatable.
    #[arg(long = "oidc-jwks", value_name = "ISSUER_URL=JWKS_FILE")]
    oidc_jwks: Vec<String>,
    /// Append a CloudTrail-format record (one JSON object per line) of every
    /// IAM and STS API request to PATH, or write them to standard output
    /// with `-`. Secrets (secret keys, passwords, session tokens) are never
    /// written. Buffered: handed to the operating system every 20 ms and on
    /// a clean stop.
    #[arg(long, value_name = "PATH", env = "IRONIAM_AUDIT_LOG")]
    audit_log: Option<PathBuf>,
}

/// The configured issuers' signing keys.
fn oidc_keys(specs: &[String]) -> Result<Vec<ironiam_core::oidc::IssuerKeys>, String> {
    specs
        .iter()
        .map(|spec| {
            let (url, path) = spec
                .split_once('=')
                .ok_or_else(|| format!("--oidc-jwks {spec}: expected ISSUER_URL=JWKS_FILE"))?;
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--oidc-jwks: cannot read {path}: {e}"))?;
            ironiam_core::oidc::parse_jwks(url, &text)
                .map_err(|e| format!("--oidc-jwks {path}: {e}"))
        })
        .collect()
}

/// Every root access key from the flags, the environment and the accounts file.
fn root_keys(args: &ServeArgs) -> Result<Vec<RootKey>, String> {
    let mut keys = Vec::new();
    for spec in &args.root_access_keys {
        keys.push(
            accounts::parse_spec(spec, &args.account_id)
                .map_err(|e| format!("--root-access-key: {e}"))?,
        );
    }
    if let Ok(list) = std::env::var("IRONIAM_ROOT_CREDENTIALS") {
        keys.extend(
            accounts::parse_specs(&list, &args.account_id)
                .map_err(|e| format!("IRONIAM_ROOT_CREDENTIALS: {e}"))?,
        );
    }
    if let Some(path) = &args.accounts_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        keys.extend(
            accounts::parse_accounts_file(&text).map_err(|e| format!("{}: {e}", path.display()))?,
        );
    }
    accounts::check_unique(&keys)?;
    Ok(keys)
}

/// `--max-staleness`: milliseconds (`500ms`) or seconds (`2s`), from 100 ms
/// (a few polls: less would refuse requests on an ordinary slow poll) to an hour.
fn parse_staleness(text: &str) -> Result<std::time::Duration, String> {
    let (number, unit) = match text.strip_suffix("ms") {
        Some(n) => (n, 1),
        None => (
            text.strip_suffix('s')
                .ok_or("expected a duration such as 500ms or 2s")?,
            1000,
        ),
    };
    let ms = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or("expected a duration such as 500ms or 2s")?;
    if !(100..=3_600_000).contains(&ms) {
        return Err("must be between 100ms and 3600s".into());
    }
    Ok(std::time::Duration::from_millis(ms))
}

fn parse_quotas(overrides: &[String]) -> Result<Quotas, String> {
    let mut q = Quotas::default();
    for o in overrides {
        let (name, value) = o
            .split_once('=')
            .ok_or_else(|| format!("--quota {o}: expected NAME=VALUE"))?;
        let value: usize = value
            .parse()
            .map_err(|_| format!("--quota {o}: {value} is not a number"))?;
        let slot = match name {
            "trust-policy-size" => &mut q.trust_policy_size,
            "managed-policies-per-role" => &mut q.managed_policies_per_role,
            "role-inline-policy-size" => &mut q.role_inline_policy_size,
            "tags-per-resource" => &mut q.tags_per_resource,
            "roles-per-account" => &mut q.roles_per_account,
            "customer-policies-per-account" => &mut q.customer_policies_per_account,
            "managed-policy-size" => &mut q.managed_policy_size,
            "versions-per-policy" => &mut q.versions_per_policy,
            "users-per-account" => &mut q.users_per_account,
            "managed-policies-per-user" => &mut q.managed_policies_per_user,
            "user-inline-policy-size" => &mut q.user_inline_policy_size,
            "access-keys-per-user" => &mut q.access_keys_per_user,
            "instance-profiles-per-account" => &mut q.instance_profiles_per_account,
            "groups-per-account" => &mut q.groups_per_account,
            "groups-per-user" => &mut q.groups_per_user,
            "managed-policies-per-group" => &mut q.managed_policies_per_group,
            "group-inline-policy-size" => &mut q.group_inline_policy_size,
            other => return Err(format!("--quota: unknown quota {other}")),
        };
        *slot = value;
    }
    Ok(q)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            // ironiam's own lines from info up; libraries' (the AWS SDK's,
            // hyper's…) only when they are errors, unless RUST_LOG asks.
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error,ironiam=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve(args) => run_server(*args),
        Command::EcsAnywhere(args) => ironiam_ecs_anywhere::run(args),
        Command::Policy(args) => policy_cli::run(args),
    }
}

fn run_server(args: ServeArgs) -> ExitCode {
    let quotas = match parse_quotas(&args.quotas) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("ironiam: {e}");
            return ExitCode::from(2);
        }
    };
    let root_keys = match root_keys(&args) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("ironiam: {e}");
            return ExitCode::from(2);
        }
    };
    let oidc_keys = match oidc_keys(&args.oidc_jwks) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("ironiam: {e}");
            return ExitCode::from(2);
        }
    };
    let metrics = Arc::new(if args.no_metrics {
        Metrics::disabled()
    } else {
        Metrics::new()
    });
    let mut postgres = None;
    let store: Arc<dyn Store> = if let Some(url) = &args.database {
        match ironiam_store_postgres::open(url, args.max_staleness) {
            Ok(s) => {
                let observed = metrics.clone();
                s.observe_commits(Box::new(move |elapsed| observed.record_commit(elapsed)));
                let s = Arc::new(s);
                postgres = Some(s.clone());
                s
            }
            Err(e) => {
                eprintln!("ironiam: {e}");
                return ExitCode::from(1);
            }
        }
    } else if args.in_memory {
        Arc::new(MemoryStore::new())
    } else {
        let durability = if args.durability == "full" {
            Durability::Full
        } else {
            Durability::Process
        };
        match ironiam_store_sqlite::open(&args.data_dir, durability) {
            Ok(s) => {
                let observed = metrics.clone();
                s.journal()
                    .observe_commits(Box::new(move |elapsed| observed.record_commit(elapsed)));
                Arc::new(s)
            }
            Err(e) => {
                eprintln!("ironiam: {e}");
                return ExitCode::from(1);
            }
        }
    };
    let server_key = match (&args.server_key_file, &postgres, args.in_memory) {
        (Some(path), _, _) => ironiam_store_sqlite::load_or_create_server_key(path),
        (None, Some(db), _) => db
            .shared_server_key(&ServerKey::generate().to_text())
            .map_err(|e| e.to_string())
            .and_then(|text| {
                ServerKey::parse(&text).map_err(|e| format!("the database's server key: {e}"))
            }),
        (None, None, true) => Ok(ServerKey::generate()),
        (None, None, false) => {
            ironiam_store_sqlite::load_or_create_server_key(&args.data_dir.join("server.key"))
        }
    };
    let server_key = match server_key {
        Ok(k) => Arc::new(k),
        Err(e) => {
            eprintln!("ironiam: server key: {e}");
            return ExitCode::from(1);
        }
    };
    // Replicas on one database share the console's sessions, sign-in brake
    // and CSRF secret (derived from the server key they share), and see
    // each other's last uses of keys and roles.
    let console_state: Option<Arc<dyn ironiam_console::SharedState>> =
        match (&postgres, &args.database) {
            (Some(db), Some(url)) => {
                let shared = db
                    .follow_last_uses(ironiam_store_postgres::USES_POLL_INTERVAL)
                    .and_then(|()| ironiam_store_postgres::PgShared::open(url));
                match shared {
                    Ok(shared) => Some(Arc::new(console_state::Database {
                        db: shared,
                        csrf_secret: ironiam_console::csrf_secret_from_server_key(
                            &server_key.to_text(),
                        ),
                    })),
                    Err(e) => {
                        eprintln!("ironiam: {e}");
                        return ExitCode::from(1);
                    }
                }
            }
            _ => None,
        };
    let settings = Settings {
        default_account: args.account_id,
        quotas,
        server_key,
        root_keys,
        oidc_keys,
    };
    let clock = Arc::new(OffsetClock::new(args.clock_offset));
    let service = Arc::new(IamService::new(store, clock.clone(), settings));
    let auth: AuthMode = match args.auth.parse() {
        Ok(mode) => mode,
        Err(e) => {
            eprintln!("ironiam: --auth: {e}");
            return ExitCode::from(2);
        }
    };
    // The test-suite endpoints: open for test suites with `--auth off`
    // (unless `--no-reset`), closed otherwise unless asked for.
    let test_endpoints = if auth.verifies() {
        args.test_endpoints
    } else {
        !args.no_reset
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let read = |path: &PathBuf| {
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
            };
            match read(cert)
                .and_then(|c| Ok((c, read(key)?)))
                .and_then(|(c, k)| ironiam_server::tls_config(&c, &k))
            {
                Ok(config) => Some(Arc::new(config)),
                Err(e) => {
                    eprintln!("ironiam: --tls-cert/--tls-key: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let serve_options = ServeOptions {
        tls,
        max_connections: args.max_connections,
        header_read_timeout: std::time::Duration::from_secs(args.header_read_timeout),
    };
    let audit = match &args.audit_log {
        Some(path) => match AuditLog::open(path, metrics.clone()) {
            Ok(log) => Some(Arc::new(log)),
            Err(e) => {
                eprintln!("ironiam: --audit-log {}: {e}", path.display());
                return ExitCode::from(1);
            }
        },
        None => None,
    };
    let config = AppConfig {
        metrics,
        audit: audit.clone(),
        test_endpoints,
        auth,
        console_without_sign_in: args.console_without_sign_in,
        test_clock: Some(clock),
        encode_denials: args.encode_denials,
        console_state,
    };
    let app = App::new(service.clone(), config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ironiam: cannot start runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("ironiam: cannot listen on {}: {e}", args.listen);
                return ExitCode::from(1);
            }
        };
        let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        // Tests and scripts read this line to find the port.
        println!("ironiam listening on {scheme}://{addr}");
        tracing::info!(%addr, %auth, "listening");
        // Build the managed-policy index off the request path.
        tokio::task::spawn_blocking(|| ironiam_catalog::catalog().len());
        if auth.verifies() {
            // The console's sign-in compares failures for unknown users
            // against a dummy hash; make it now, not on the first failure.
            tokio::task::spawn_blocking(ironiam_core::password::PasswordHash::dummy);
        }
        serve(listener, app, serve_options, shutdown_signal()).await;
        // The audit records still buffered are written before exiting.
        if let Some(audit) = &audit {
            audit.shutdown();
        }
        // Last uses of keys and roles are journaled at most once a minute
        // while serving; a clean stop journals the rest.
        if let Err(e) = service.store().flush_uses() {
            tracing::error!(error = %e.message(), "could not record the last uses of keys and roles at shutdown");
            return ExitCode::from(1);
        }
        tracing::info!("stopped");
        ExitCode::SUCCESS
    })
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM (what service managers
/// and `docker stop` send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
