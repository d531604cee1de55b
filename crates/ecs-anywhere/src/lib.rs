//! `ironiam ecs-anywhere check | ensure`: AWS's guide *ECS Anywhere IAM role*
//! as one command, against ironiam or a real AWS account alike.
//!
//! `check` follows the guide's "To check" procedure, more precisely: the role
//! exists; `AmazonSSMManagedInstanceCore` and
//! `service-role/AmazonEC2ContainerServiceforEC2Role` are attached (and not a
//! same-named look-alike); the trust relationship lets `ssm.amazonaws.com`
//! call `sts:AssumeRole`, in whatever JSON form; plus what is extra and the
//! confused-deputy hardening AWS recommends. Exit status 0 ready, 1 needs
//! changes, 2 could not check.
//!
//! `ensure` makes the role so, idempotently; `--dry-run` prints the exact
//! `aws iam …` commands instead. Exit status 0 done, 2 could not.
//!
//! Layout: [`trust`], [`checklist`] and [`plan`] are pure (documents and facts
//! in, decisions out) and carry the unit tests; [`aws`] is the only I/O, the
//! AWS SDK for Rust with the standard configuration chain; [`output`] renders.

#![warn(missing_docs)]

pub mod aws;
pub mod checklist;
pub mod error;
pub mod output;
pub mod plan;
pub mod shell;
pub mod trust;

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::aws::{Aws, Connection};
use crate::error::Failure;
use crate::plan::EnsureOptions;

/// The guide's role name.
pub const DEFAULT_ROLE_NAME: &str = "ecsAnywhereRole";

/// `ironiam ecs-anywhere …`
#[derive(Debug, Args)]
pub struct EcsAnywhereArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
    /// Endpoint for IAM and STS, overriding AWS_ENDPOINT_URL(_IAM) and profiles.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Region to sign for (IAM is global; defaults to the configured region, else us-east-1).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Named profile from the AWS config and credentials files.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub output: Format,
}

/// `check` or `ensure`.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Report whether the role is ready for ECS Anywhere (exit 0 ready, 1 needs changes, 2 could not check).
    Check(CheckArgs),
    /// Create or repair the role so that it is ready (exit 0 done, 2 could not).
    Ensure(EnsureArgs),
}

/// Options of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The role to check.
    #[arg(long, default_value = DEFAULT_ROLE_NAME)]
    pub role_name: String,
}

/// Options of `ensure`.
#[derive(Debug, Args)]
pub struct EnsureArgs {
    /// The role to create or repair.
    #[arg(long, default_value = DEFAULT_ROLE_NAME)]
    pub role_name: String,
    /// Description for the role (set on an existing role if it differs).
    #[arg(long)]
    pub description: Option<String>,
    /// When the trust policy must be replaced, keep its statements that are not about SSM.
    #[arg(long)]
    pub keep_extra: bool,
    /// Limit ssm.amazonaws.com to your account with an aws:SourceAccount condition.
    #[arg(long)]
    pub harden: bool,
    /// Print the `aws iam` commands that would make the changes; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A checklist for people.
    Human,
    /// One JSON document on stdout.
    Json,
}

/// Runs the command and returns its exit status.
pub fn run(args: EcsAnywhereArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ironiam ecs-anywhere: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let connection = Connection {
        endpoint_url: args.endpoint_url.clone(),
        region: args.region.clone(),
        profile: args.profile.clone(),
    };
    let result = runtime.block_on(async {
        match &args.action {
            Action::Check(check) => run_check(&connection, check, args.output).await,
            Action::Ensure(ensure) => run_ensure(&connection, ensure, args.output).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(stopped) => {
            let global = cli_globals(&connection, None);
            output::print_failure(&stopped.failure, &stopped.done, &global, args.output);
            ExitCode::from(2)
        }
    }
}

/// Why a run stopped, and what `ensure` had changed by then.
struct Stopped {
    failure: Failure,
    done: Vec<plan::Change>,
}

impl From<Failure> for Stopped {
    fn from(failure: Failure) -> Stopped {
        Stopped {
            failure,
            done: Vec::new(),
        }
    }
}

async fn run_check(
    connection: &Connection,
    args: &CheckArgs,
    format: Format,
) -> Result<u8, Stopped> {
    let aws = Aws::connect(connection).await?;
    let role = aws.observe(&args.role_name).await?;
    let report = checklist::check_with(
        &args.role_name,
        role.as_ref(),
        &cli_globals(connection, Some(&aws.region)),
    );
    output::print_report(&report, format);
    Ok(if report.ready { 0 } else { 1 })
}

async fn run_ensure(
    connection: &Connection,
    args: &EnsureArgs,
    format: Format,
) -> Result<u8, Stopped> {
    let aws = Aws::connect(connection).await?;
    let harden_account = if args.harden {
        Some(aws.caller_account().await?)
    } else {
        None
    };
    let role = aws.observe(&args.role_name).await?;
    // The region is always spelled out: the AWS CLI v1 will not run without one
    // and ignores AWS_REGION, while this command falls back to us-east-1.
    let global = cli_globals(connection, Some(&aws.region));
    let options = EnsureOptions {
        role_name: args.role_name.clone(),
        description: args.description.clone(),
        keep_extra: args.keep_extra,
        harden_account,
        default_partition: plan::partition_for_region(&aws.region).to_owned(),
        global: global.clone(),
    };
    let plan = plan::plan(role.as_ref(), &options);
    if args.dry_run {
        output::print_dry_run(&args.role_name, &plan, &global, format);
        return Ok(0);
    }
    let mut done = Vec::new();
    for change in &plan.changes {
        if let Err(failure) = aws.apply(change).await {
            return Err(Stopped { failure, done });
        }
        done.push(change.clone());
    }
    output::print_applied(&args.role_name, &plan, &global, format);
    Ok(0)
}

/// The connection flags given on the command line (and `region`, the region
/// in use, when known), repeated on every printed `aws iam` command so that
/// it reaches the same account the same way.
fn cli_globals(connection: &Connection, region: Option<&str>) -> Vec<String> {
    let mut global = Vec::new();
    let region = connection
        .region
        .clone()
        .or_else(|| region.map(str::to_owned));
    for (flag, value) in [
        ("--endpoint-url", &connection.endpoint_url),
        ("--region", &region),
        ("--profile", &connection.profile),
    ] {
        if let Some(value) = value {
            global.push(flag.to_owned());
            global.push(value.clone());
        }
    }
    global
}
