//! Builds one large account for the scale measurements (issue 12, item 4):
//! N roles and M users, each with tags, an inline policy and managed-policy
//! attachments, some users with access keys and some in groups.
//!
//! ```text
//! seed --data-dir DIR [--roles 100000] [--users 100000]
//! seed --database postgres://… [--roles 100000] [--users 100000]
//! ```
//!
//! Every entity is made by `IamService` (CreateRole, PutRolePolicy,
//! AttachRolePolicy, CreateAccessKey, AddUserToGroup…), so AWS's rules and
//! the row codec are the server's, on an in-memory store; the result is
//! then written with the backend's bulk import (`ironiam_store_sqlite::import`,
//! `ironiam_store_postgres::import`) in one transaction. Through the journal
//! (one commit per change, about 600,000 changes here) it would take
//! minutes on SQLite and far longer on PostgreSQL. The target must hold no
//! entity yet, and no server may be running on a `--data-dir` (its lock).
//!
//! The quotas for roles, users and customer policies per account are
//! raised to fit (AWS raises them on request); every other quota is AWS's.
//!
//! Names: role `i` is `{prefix}-role-{i:06}`, user `i` is
//! `{prefix}-user-{i:06}`, with `prefix` = `PREFIXES[i % 7]` (mixed case,
//! so that listing order is AWS's case-insensitive one, not byte order).
//! `tests/e2e/test_scale.py` makes the same names.
//!
//! Prints one line of JSON: what was made and how long each step took.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use ironiam_core::clock::SystemClock;
use ironiam_core::crypto::ServerKey;
use ironiam_core::entities::Tag;
use ironiam_core::holders::PrincipalKind;
use ironiam_core::memory::MemoryStore;
use ironiam_core::quotas::Quotas;
use ironiam_core::service::{Caller, IamService, NewPolicy, NewRole, Settings};
use ironiam_core::store::Store;
use ironiam_core::users::NewUser;

/// Name prefixes, mixed case on purpose.
const PREFIXES: [&str; 7] = ["app", "Batch", "ci", "Data", "etl", "Lambda", "svc"];
/// Customer managed policies the holders attach.
const CUSTOMER_POLICIES: usize = 20;
/// Groups users are put in (AWS's GroupsPerAccount is 300).
const GROUPS: usize = 50;
/// AWS managed policies attached to every other holder.
const AWS_POLICY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

#[derive(Parser)]
#[command(about = "Seed one large account into an ironiam data directory or database")]
struct Args {
    /// The SQLite data directory (`ironiam serve --data-dir`); its server
    /// key (`server.key`) is made if missing, as `ironiam serve` does.
    #[arg(
        long,
        conflicts_with = "database",
        required_unless_present = "database"
    )]
    data_dir: Option<PathBuf>,
    /// A PostgreSQL URL (`ironiam serve --database`); the server key is the
    /// one the database keeps, unless --server-key-file names another.
    #[arg(long)]
    database: Option<String>,
    /// Seal access keys under this server key instead (made if missing).
    #[arg(long)]
    server_key_file: Option<PathBuf>,
    /// The account.
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// How many roles.
    #[arg(long, default_value_t = 100_000)]
    roles: usize,
    /// How many users.
    #[arg(long, default_value_t = 100_000)]
    users: usize,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("seed: {e}");
        std::process::exit(1);
    }
}

fn server_key(args: &Args) -> Result<ServerKey, String> {
    if let Some(path) = &args.server_key_file {
        return ironiam_store_sqlite::load_or_create_server_key(path);
    }
    if let Some(dir) = &args.data_dir {
        return ironiam_store_sqlite::load_or_create_server_key(&dir.join("server.key"));
    }
    // The key the replicas share: the first to start stores it, so open
    // the database as a replica would, ask, and close it again.
    let url = args.database.as_deref().unwrap_or_default();
    let config: postgres::Config = url
        .parse()
        .map_err(|e| format!("invalid database URL: {e}"))?;
    let store = ironiam_store_postgres::open_with(config, ironiam_store_postgres::POLL_INTERVAL)
        .map_err(|e| e.to_string())?;
    let text = store
        .shared_server_key(&ServerKey::generate().to_text())
        .map_err(|e| e.to_string())?;
    ServerKey::parse(&text).map_err(|e| format!("the database's server key: {e}"))
}

fn tag(key: &str, value: String) -> Tag {
    Tag {
        key: key.to_string(),
        value,
    }
}

/// 2 or 3 tags.
fn tags(i: usize) -> Vec<Tag> {
    let mut tags = vec![
        tag("team", format!("team-{}", i % 40)),
        tag("env", ["prod", "staging", "dev"][i % 3].to_string()),
    ];
    if i % 2 == 0 {
        tags.push(tag("cost-center", format!("cc-{}", i % 97)));
    }
    tags
}

fn inline_document(kind: &str, i: usize) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::{kind}-bucket-{i}/*"}}]}}"#
    )
}

/// Role `i`'s name.
fn role_name(i: usize) -> String {
    format!("{}-role-{i:06}", PREFIXES[i % PREFIXES.len()])
}

/// User `i`'s name.
fn user_name(i: usize) -> String {
    format!("{}-user-{i:06}", PREFIXES[i % PREFIXES.len()])
}

fn run(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    let key = server_key(args)?;
    let store = Arc::new(MemoryStore::new());
    let quotas = Quotas {
        roles_per_account: args.roles.max(Quotas::default().roles_per_account),
        users_per_account: args.users.max(Quotas::default().users_per_account),
        ..Quotas::default()
    };
    let service = IamService::new(
        store.clone() as Arc<dyn Store>,
        Arc::new(SystemClock),
        Settings {
            default_account: args.account.clone(),
            quotas,
            server_key: Arc::new(key),
            ..Settings::default()
        },
    );
    let caller = Caller::root(&args.account);
    let failed = |what: String| move |e: ironiam_core::IamError| format!("{what}: {e}");
    let mut policy_arns = Vec::new();
    for p in 0..CUSTOMER_POLICIES {
        let info = service
            .create_policy(
                &caller,
                NewPolicy {
                    name: format!("scale-policy-{p:02}"),
                    document: inline_document("policy", p),
                    description: Some("Attached by the scale seeder".into()),
                    ..NewPolicy::default()
                },
            )
            .map_err(failed(format!("CreatePolicy {p}")))?;
        policy_arns.push(info.arn);
    }
    // 1 or 2 attachments: a customer policy, and AWS's for every other one.
    let attachments = |i: usize| {
        let mut arns = vec![policy_arns[i % CUSTOMER_POLICIES].as_str()];
        if i % 2 == 1 {
            arns.push(AWS_POLICY);
        }
        arns
    };
    let group_names: Vec<String> = (0..GROUPS).map(|g| format!("scale-group-{g:02}")).collect();
    for (g, name) in group_names.iter().enumerate() {
        service
            .create_group(&caller, name.clone(), None)
            .map_err(failed(format!("CreateGroup {name}")))?;
        service
            .put_inline_policy(
                &caller,
                PrincipalKind::Group,
                name,
                "group-inline".into(),
                inline_document("group", g),
            )
            .map_err(failed(format!("PutGroupPolicy {name}")))?;
        service
            .attach_policy(&caller, PrincipalKind::Group, name, attachments(g)[0])
            .map_err(failed(format!("AttachGroupPolicy {name}")))?;
    }
    for i in 0..args.roles {
        let name = role_name(i);
        let kind = PrincipalKind::Role;
        service
            .create_role(
                &caller,
                NewRole {
                    name: name.clone(),
                    path: Some(if i % 4 == 0 { "/scale/" } else { "/" }.into()),
                    trust_policy: TRUST.into(),
                    description: (i % 3 == 0).then(|| format!("Scale role {i}")),
                    max_session_duration: None,
                    permissions_boundary: None,
                    tags: tags(i),
                },
            )
            .map_err(failed(format!("CreateRole {name}")))?;
        let document = inline_document("role", i);
        service
            .put_inline_policy(&caller, kind, &name, "inline".into(), document)
            .map_err(failed(format!("PutRolePolicy {name}")))?;
        for arn in attachments(i) {
            service
                .attach_policy(&caller, kind, &name, arn)
                .map_err(failed(format!("AttachRolePolicy {name}")))?;
        }
    }
    let mut keys = 0;
    for i in 0..args.users {
        let name = user_name(i);
        let kind = PrincipalKind::User;
        service
            .create_user(
                &caller,
                NewUser {
                    name: name.clone(),
                    path: Some(if i % 4 == 0 { "/scale/" } else { "/" }.into()),
                    permissions_boundary: None,
                    tags: tags(i),
                },
            )
            .map_err(failed(format!("CreateUser {name}")))?;
        let document = inline_document("user", i);
        service
            .put_inline_policy(&caller, kind, &name, "inline".into(), document)
            .map_err(failed(format!("PutUserPolicy {name}")))?;
        for arn in attachments(i) {
            service
                .attach_policy(&caller, kind, &name, arn)
                .map_err(failed(format!("AttachUserPolicy {name}")))?;
        }
        // One user in ten has an access key; one in five is in a group.
        if i % 10 == 0 {
            service
                .create_access_key(&caller, Some(&name))
                .map_err(failed(format!("CreateAccessKey {name}")))?;
            keys += 1;
        }
        if i % 5 == 0 {
            let group = &group_names[(i / 5) % GROUPS];
            service
                .add_user_to_group(&caller, group, &name)
                .map_err(failed(format!("AddUserToGroup {name}")))?;
        }
    }
    let built = started.elapsed();
    let snapshot = store.snapshot();
    drop(service);
    drop(store);
    let written = Instant::now();
    let entities = match (&args.data_dir, &args.database) {
        (Some(dir), _) => ironiam_store_sqlite::import(dir, &snapshot),
        (None, Some(url)) => ironiam_store_postgres::import(url, &snapshot),
        (None, None) => unreachable!("clap requires one of them"),
    }
    .map_err(|e| e.to_string())?;
    println!(
        r#"{{"account":"{}","roles":{},"users":{},"groups":{GROUPS},"customer_policies":{CUSTOMER_POLICIES},"access_keys":{keys},"entities":{entities},"build_s":{:.3},"write_s":{:.3}}}"#,
        args.account,
        args.roles,
        args.users,
        built.as_secs_f64(),
        written.elapsed().as_secs_f64()
    );
    Ok(())
}
