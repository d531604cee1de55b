//! `ironiam`: AWS IAM and STS as one program.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use ironiam_core::clock::SystemClock;
use ironiam_core::memory::MemoryStore;
use ironiam_core::quotas::Quotas;
use ironiam_core::service::{IamService, Settings};
use ironiam_core::store::Store;
use ironiam_server::{serve, App, AppConfig};
use ironiam_store_sqlite::Durability;

#[derive(Parser)]
#[command(name = "ironiam", version, about = "AWS IAM and STS, as one fast program")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the IAM/STS server (AWS Query protocol on one port).
    Serve(ServeArgs),
    /// Check or set up the ECS Anywhere IAM role against any IAM endpoint.
    EcsAnywhere(ironiam_ecs_anywhere::EcsAnywhereArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on start).
    #[arg(long, default_value = "127.0.0.1:4566", env = "IRONIAM_LISTEN")]
    listen: SocketAddr,
    /// Directory of the embedded SQLite database.
    #[arg(long, default_value = ".ironiam", env = "IRONIAM_DATA_DIR", conflicts_with = "in_memory")]
    data_dir: PathBuf,
    /// Keep everything in memory; nothing is written to disk.
    #[arg(long, env = "IRONIAM_IN_MEMORY")]
    in_memory: bool,
    /// `process` survives kill -9; `full` also survives power loss (fsync per write).
    #[arg(long, default_value = "process", value_parser = ["process", "full"], env = "IRONIAM_DURABILITY")]
    durability: String,
    /// The account that requests act in.
    #[arg(long, default_value = "123456789012", env = "IRONIAM_ACCOUNT_ID")]
    account_id: String,
    /// Disable the reset endpoints (`POST /_ironiam/reset`, `POST /moto-api/reset`).
    #[arg(long)]
    no_reset: bool,
    /// Override a quota: NAME=VALUE, e.g. `trust-policy-size=4096`. Names:
    /// trust-policy-size, managed-policies-per-role, role-inline-policy-size,
    /// tags-per-resource, roles-per-account, customer-policies-per-account,
    /// managed-policy-size, versions-per-policy.
    #[arg(long = "quota", value_name = "NAME=VALUE")]
    quotas: Vec<String>,
}

fn parse_quotas(overrides: &[String]) -> Result<Quotas, String> {
    let mut q = Quotas::default();
    for o in overrides {
        let (name, value) = o.split_once('=').ok_or_else(|| format!("--quota {o}: expected NAME=VALUE"))?;
        let value: usize = value.parse().map_err(|_| format!("--quota {o}: {value} is not a number"))?;
        let slot = match name {
            "trust-policy-size" => &mut q.trust_policy_size,
            "managed-policies-per-role" => &mut q.managed_policies_per_role,
            "role-inline-policy-size" => &mut q.role_inline_policy_size,
            "tags-per-resource" => &mut q.tags_per_resource,
            "roles-per-account" => &mut q.roles_per_account,
            "customer-policies-per-account" => &mut q.customer_policies_per_account,
            "managed-policy-size" => &mut q.managed_policy_size,
            "versions-per-policy" => &mut q.versions_per_policy,
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
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "ironiam=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve(args) => run_server(args),
        Command::EcsAnywhere(args) => ironiam_ecs_anywhere::run(args),
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
    let store: Arc<dyn Store> = if args.in_memory {
        Arc::new(MemoryStore::new())
    } else {
        let durability = if args.durability == "full" { Durability::Full } else { Durability::Process };
        match ironiam_store_sqlite::open(&args.data_dir, durability) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                eprintln!("ironiam: {e}");
                return ExitCode::from(1);
            }
        }
    };
    let settings = Settings { default_account: args.account_id, quotas };
    let service = Arc::new(IamService::new(store, Arc::new(SystemClock), settings));
    let app = App::new(service, AppConfig { enable_reset: !args.no_reset });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
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
        println!("ironiam listening on http://{addr}");
        tracing::info!(%addr, "listening");
        // Build the managed-policy index off the request path.
        tokio::task::spawn_blocking(|| ironiam_catalog::catalog().len());
        serve(listener, app, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        ExitCode::SUCCESS
    })
}
