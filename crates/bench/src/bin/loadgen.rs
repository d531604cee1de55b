//! `loadgen`: closed-loop, keep-alive, SigV4-signed load against an IAM/STS endpoint on loopback.
//!
//! Subcommands:
//! * `run`: N connections each send one request, wait for the answer, send the next, for a fixed
//!   time; prints one JSON object with throughput, latency percentiles and errors.
//! * `setup`: create roles (the harness seeds `bench-role` and the roles ListRoles pages over).
//! * `request`: send one signed request and print the answer (sanity checks).
//! * `startup`: spawn a server repeatedly and time spawn → first successful answer to a real call.
//! * `propagation`: create a role on one replica, poll another until it reads it; the delay between
//!   the first's acknowledgement and the second's first answer, over many writes.
//!
//! Every loop is bounded in time and count, and only loopback targets are accepted.

use std::net::{SocketAddr, TcpListener};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use clap::{Args, Parser, Subcommand};
use ironiam_bench::client::Conn;
use ironiam_bench::scenario::{self, Scenario};
use ironiam_bench::sign::{Service, Signer};
use ironiam_bench::stats::{self, Latency};
use serde::Serialize;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "loadgen",
    about = "SigV4-signed closed-loop load generator for IAM/STS endpoints on loopback"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run one load scenario and print a JSON summary.
    Run(RunArgs),
    /// Create roles on the target (bench-role and/or numbered roles).
    Setup(SetupArgs),
    /// Send one signed request; print the body; exit 0 only on a 2xx answer.
    Request(RequestArgs),
    /// Time server start-up: spawn → first 2xx answer to a signed GetPolicy of an AWS managed policy.
    Startup(StartupArgs),
    /// Time how long a role created on one replica takes to be readable on another.
    Propagation(PropagationArgs),
}

#[derive(Args)]
struct Target {
    /// Base URL of the server, e.g. http://127.0.0.1:4566 (loopback only).
    #[arg(long)]
    target: String,
    /// Access key id the requests are signed with (default: a dummy key emulators accept).
    #[arg(long, default_value = ironiam_bench::sign::ACCESS_KEY_ID)]
    access_key_id: String,
    /// Secret access key the requests are signed with (default: the dummy key's secret).
    #[arg(long, default_value = ironiam_bench::sign::SECRET_ACCESS_KEY, hide_default_value = true)]
    secret_access_key: String,
}

impl Target {
    fn signer(&self, host: &str) -> Signer {
        Signer::with_credentials(host, &self.access_key_id, &self.secret_access_key)
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    target: Target,
    /// More servers to spread the connections over (connection i goes to the (i mod n)-th of
    /// `--target` and these): replicas sharing one database. Repeatable.
    #[arg(long = "also-target")]
    also_targets: Vec<String>,
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// Concurrent keep-alive connections (each runs a closed loop).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
    connections: u64,
    /// Measured seconds (at most 120).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Unmeasured seconds before the measurement starts (at most 30).
    #[arg(long, default_value_t = 0.5)]
    warmup: f64,
    /// Hard cap on requests sent in the whole run (warm-up included).
    #[arg(long, default_value_t = 20_000_000)]
    max_requests: u64,
    /// Client threads; 1 runs everything on one thread (least client CPU).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: u64,
}

#[derive(Args)]
struct SetupArgs {
    #[command(flatten)]
    target: Target,
    /// Create `bench-role` (the GetRole scenario's role).
    #[arg(long)]
    bench_role: bool,
    /// Create this many numbered roles named PREFIX0000, PREFIX0001, ... (at most 100,000).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    roles: u64,
    #[arg(long, default_value = "bench-list-")]
    prefix: String,
    /// Create group `bench-group` (the GetGroup scenario's) with this many members, users named
    /// bench-member-0000, bench-member-0001, ... (at most 1,000).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1000))]
    bench_group_members: u64,
    /// Connections used for creating.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    connections: u64,
}

#[derive(Args)]
struct RequestArgs {
    #[command(flatten)]
    target: Target,
    #[arg(long, value_enum, default_value = "iam")]
    service: ServiceArg,
    /// Form-encoded AWS Query body, e.g. Action=ListRoles&Version=2010-05-08
    #[arg(long)]
    body: String,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ServiceArg {
    Iam,
    Sts,
}

#[derive(Args)]
struct PropagationArgs {
    /// The replica the roles are created (and deleted) on.
    #[command(flatten)]
    target: Target,
    /// The replica polled with GetRole until it reads each role (loopback only).
    #[arg(long)]
    observer: String,
    /// Roles to create, one after another.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    writes: u64,
    /// Give up on one write after this many seconds (it counts as an error).
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Microseconds between two polls of the observer.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(100..=100_000))]
    poll_us: u64,
    /// Before each write, wait a uniformly random time below this many milliseconds, so writes do
    /// not fall at one phase of the observer's own polling of the database (the next write would
    /// otherwise start just after the observer's poll that found the last one).
    #[arg(long, default_value_t = 25.0)]
    jitter_ms: f64,
}

#[derive(Args)]
struct StartupArgs {
    /// Number of spawns (at most 100).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
    repeat: u64,
    /// Give up on one spawn after this many seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Append the server's stderr here (default: discarded).
    #[arg(long)]
    stderr_log: Option<std::path::PathBuf>,
    /// The server command; `{port}` becomes a free loopback port and `{i}` the spawn's index.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Run(args) => run(args),
        Cmd::Setup(args) => block_on(1, setup(args)),
        Cmd::Request(args) => block_on(1, request(args)),
        Cmd::Startup(args) => block_on(1, startup(args)),
        Cmd::Propagation(args) => block_on(1, propagation(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, String>;

fn block_on<F: std::future::Future<Output = Result<()>>>(threads: u64, fut: F) -> Result<()> {
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads as usize)
            .enable_all()
            .build()
    }
    .map_err(|e| format!("cannot start runtime: {e}"))?;
    runtime.block_on(fut)
}

/// `host:port` and the socket address of a loopback `http://` URL.
fn parse_target(url: &str) -> Result<(String, SocketAddr)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("target {url}: only http:// URLs"))?;
    let host = rest.split('/').next().unwrap_or_default().to_string();
    let addr: SocketAddr = host
        .parse()
        .map_err(|_| format!("target {url}: expected http://IP:PORT"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "target {url}: only loopback addresses may be load-tested"
        ));
    }
    Ok((host, addr))
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// What one connection measured.
#[derive(Default)]
struct ConnResult {
    requests: u64,
    pairs: u64,
    errors: u64,
    latencies_ns: Vec<u64>,
    error_samples: Vec<String>,
    reconnects: u64,
    signatures: u64,
}

impl ConnResult {
    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.error_samples.len() < 3 {
            self.error_samples.push(what);
        }
    }
}

fn describe_failure(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let snippet: String = text.chars().take(300).collect();
    format!("HTTP {status}: {snippet}")
}

/// One server a run sends to, and the signer for its `Host`.
struct Endpoint {
    signer: Signer,
    addr: SocketAddr,
}

struct RunPlan {
    scenario: Scenario,
    /// Connection `i` talks to `endpoints[i % len]`.
    endpoints: Vec<Endpoint>,
    measure_from: Instant,
    end: Instant,
    max_requests: u64,
    issued: AtomicU64,
    nonce: String,
}

impl RunPlan {
    fn may_send(&self) -> bool {
        Instant::now() < self.end && self.issued.fetch_add(1, Ordering::Relaxed) < self.max_requests
    }

    fn measured(&self, done: Instant) -> bool {
        done >= self.measure_from && done <= self.end
    }
}

async fn connection_loop(plan: Arc<RunPlan>, id: u64) -> ConnResult {
    let mut out = ConnResult::default();
    let endpoint = &plan.endpoints[id as usize % plan.endpoints.len()];
    let mut conn = Conn::new(endpoint.addr);
    let presigned = match plan.scenario.read_request() {
        Some((service, body)) => {
            match endpoint
                .signer
                .signed_post(service, &body, SystemTime::now())
            {
                Ok(r) => {
                    out.signatures += 1;
                    Some(r)
                }
                Err(e) => {
                    out.error(e.to_string());
                    return out;
                }
            }
        }
        None => None,
    };
    let mut seq: u64 = 0;
    while plan.may_send() {
        match &presigned {
            Some(request) => {
                let start = Instant::now();
                let result = conn.send(request).await;
                let done = Instant::now();
                // Errors count wherever they happen; successes only inside the measured window.
                match result {
                    Ok(status) if is_success(status) => {
                        if plan.measured(done) {
                            out.requests += 1;
                            out.latencies_ns.push((done - start).as_nanos() as u64);
                        }
                    }
                    Ok(status) => out.error(describe_failure(status, conn.body())),
                    Err(e) => {
                        out.error(format!("I/O: {e}"));
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
            None => {
                seq += 1;
                let name = format!("bench-cd-{}-{id}-{seq}", plan.nonce);
                let outcome =
                    create_delete_pair(&endpoint.signer, &mut conn, &name, &mut out.signatures)
                        .await;
                let done = Instant::now();
                match outcome {
                    Ok(elapsed) => {
                        if plan.measured(done) {
                            out.pairs += 1;
                            out.requests += 2;
                            out.latencies_ns.push(elapsed.as_nanos() as u64);
                        }
                    }
                    Err(e) => {
                        out.error(e);
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
        }
    }
    out.reconnects = conn.reconnects;
    out
}

/// CreateRole then DeleteRole of `name`, each freshly signed; the time spent on the wire (signing
/// excluded) on success.
async fn create_delete_pair(
    signer: &Signer,
    conn: &mut Conn,
    name: &str,
    signatures: &mut u64,
) -> std::result::Result<Duration, String> {
    let mut wire = Duration::ZERO;
    for body in [scenario::create_role(name), scenario::delete_role(name)] {
        let request = signer
            .signed_post(Service::Iam, &body, SystemTime::now())
            .map_err(|e| e.to_string())?;
        *signatures += 1;
        let start = Instant::now();
        let status = conn.send(&request).await.map_err(|e| format!("I/O: {e}"))?;
        wire += start.elapsed();
        if !is_success(status) {
            return Err(describe_failure(status, conn.body()));
        }
    }
    Ok(wire)
}

#[derive(Serialize)]
struct RunReport {
    scenario: Scenario,
    target: String,
    /// Every server the connections were spread over (`target` first).
    targets: Vec<String>,
    connections: u64,
    client_threads: u64,
    warmup_s: f64,
    measured_s: f64,
    requests: u64,
    pairs: Option<u64>,
    errors: u64,
    error_samples: Vec<String>,
    requests_per_s: f64,
    pairs_per_s: Option<f64>,
    /// Per request for read scenarios; per CreateRole+DeleteRole pair for create-delete-role.
    latency: Latency,
    reconnects: u64,
    signatures: u64,
    client_cpu_s: Option<f64>,
}

fn run(args: RunArgs) -> Result<()> {
    if !(args.duration > 0.0 && args.duration <= 120.0) {
        return Err("--duration must be in (0, 120]".into());
    }
    if !(0.0..=30.0).contains(&args.warmup) {
        return Err("--warmup must be in [0, 30]".into());
    }
    let targets: Vec<String> = std::iter::once(args.target.target.clone())
        .chain(args.also_targets.iter().cloned())
        .collect();
    let mut endpoints = Vec::with_capacity(targets.len());
    for url in &targets {
        let (host, addr) = parse_target(url)?;
        endpoints.push(Endpoint {
            signer: args.target.signer(&host),
            addr,
        });
    }
    let cpu_before = stats::process_cpu_seconds();
    let threads = args.threads;
    let connections = args.connections;
    let scenario = args.scenario;
    let nonce = format!("{:08x}", rand::random::<u32>());
    let results = {
        let runtime = if threads <= 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads as usize)
                .enable_all()
                .build()
        }
        .map_err(|e| format!("cannot start runtime: {e}"))?;
        runtime.block_on(async move {
            let now = Instant::now();
            let measure_from = now + Duration::from_secs_f64(args.warmup);
            let plan = Arc::new(RunPlan {
                scenario,
                endpoints,
                measure_from,
                end: measure_from + Duration::from_secs_f64(args.duration),
                max_requests: args.max_requests,
                issued: AtomicU64::new(0),
                nonce,
            });
            let tasks: Vec<_> = (0..connections)
                .map(|id| tokio::spawn(connection_loop(plan.clone(), id)))
                .collect();
            let mut results = Vec::with_capacity(tasks.len());
            for task in tasks {
                results.push(
                    task.await
                        .map_err(|e| format!("connection task failed: {e}"))?,
                );
            }
            Ok::<_, String>(results)
        })?
    };
    let cpu_after = stats::process_cpu_seconds();

    let mut latencies = Vec::new();
    let mut report = RunReport {
        scenario,
        target: args.target.target.clone(),
        targets,
        connections,
        client_threads: threads,
        warmup_s: args.warmup,
        measured_s: args.duration,
        requests: 0,
        pairs: None,
        errors: 0,
        error_samples: Vec::new(),
        requests_per_s: 0.0,
        pairs_per_s: None,
        latency: stats::latency(&mut []),
        reconnects: 0,
        signatures: 0,
        client_cpu_s: cpu_before.zip(cpu_after).map(|(b, a)| a - b),
    };
    let mut pairs = 0;
    for mut r in results {
        report.requests += r.requests;
        pairs += r.pairs;
        report.errors += r.errors;
        report.reconnects += r.reconnects;
        report.signatures += r.signatures;
        for s in r.error_samples.drain(..) {
            if report.error_samples.len() < 5 {
                report.error_samples.push(s);
            }
        }
        latencies.append(&mut r.latencies_ns);
    }
    report.latency = stats::latency(&mut latencies);
    report.requests_per_s = report.requests as f64 / args.duration;
    if scenario == Scenario::CreateDeleteRole {
        report.pairs = Some(pairs);
        report.pairs_per_s = Some(pairs as f64 / args.duration);
    }
    let text = serde_json::to_string(&report).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

async fn setup(args: SetupArgs) -> Result<()> {
    let (host, addr) = parse_target(&args.target.target)?;
    let mut roles: Vec<(String, String)> = Vec::new();
    if args.bench_role {
        let name = scenario::BENCH_ROLE.to_string();
        roles.push((name.clone(), scenario::create_role(&name)));
    }
    roles.extend((0..args.roles).map(|i| {
        let name = format!("{}{i:04}", args.prefix);
        let body = scenario::create_role(&name);
        (name, body)
    }));
    // The group, then each member: created then added (in that order: one connection).
    let mut group: Vec<(String, String)> = Vec::new();
    if args.bench_group_members > 0 {
        let name = scenario::BENCH_GROUP;
        group.push((
            name.into(),
            scenario::iam_request("CreateGroup", &[("GroupName", name)]),
        ));
        for i in 0..args.bench_group_members {
            let user = format!("bench-member-{i:04}");
            group.push((
                user.clone(),
                scenario::iam_request("CreateUser", &[("UserName", &user)]),
            ));
            group.push((
                format!("{user} in {name}"),
                scenario::iam_request(
                    "AddUserToGroup",
                    &[("GroupName", name), ("UserName", &user)],
                ),
            ));
        }
    }
    let signer = Arc::new(args.target.signer(&host));
    let started = Instant::now();
    let (mut created, mut failures) = send_all(addr, &signer, roles, args.connections).await?;
    let (group_created, group_failures) = send_all(addr, &signer, group, 1).await?;
    created += group_created;
    failures.extend(group_failures);
    let seconds = started.elapsed().as_secs_f64();
    let errors = failures.len();
    failures.truncate(5);
    println!(
        "{}",
        json!({ "created": created, "errors": errors, "error_samples": failures, "seconds": seconds })
    );
    if errors > 0 {
        return Err(format!("{errors} set-up requests failed"));
    }
    Ok(())
}

/// Sends each `(what, body)` IAM request, signed, spread over `connections`; how many succeeded,
/// and a description of each failure.
async fn send_all(
    addr: SocketAddr,
    signer: &Arc<Signer>,
    requests: Vec<(String, String)>,
    connections: u64,
) -> Result<(u64, Vec<String>)> {
    let requests = Arc::new(requests);
    let tasks: Vec<_> = (0..connections)
        .map(|w| {
            let requests = requests.clone();
            let signer = signer.clone();
            tokio::spawn(async move {
                let mut conn = Conn::new(addr);
                let mut done = 0u64;
                let mut failures = Vec::new();
                for (what, body) in requests
                    .iter()
                    .skip(w as usize)
                    .step_by(connections as usize)
                {
                    let request = match signer.signed_post(Service::Iam, body, SystemTime::now()) {
                        Ok(r) => r,
                        Err(e) => {
                            failures.push(e.to_string());
                            continue;
                        }
                    };
                    match conn.send(&request).await {
                        Ok(status) if is_success(status) => done += 1,
                        Ok(status) => failures
                            .push(format!("{what}: {}", describe_failure(status, conn.body()))),
                        Err(e) => failures.push(format!("{what}: I/O: {e}")),
                    }
                }
                (done, failures)
            })
        })
        .collect();
    let mut done = 0;
    let mut failures = Vec::new();
    for task in tasks {
        let (d, f) = task.await.map_err(|e| format!("set-up task failed: {e}"))?;
        done += d;
        failures.extend(f);
    }
    Ok((done, failures))
}

async fn request(args: RequestArgs) -> Result<()> {
    let (host, addr) = parse_target(&args.target.target)?;
    let service = match args.service {
        ServiceArg::Iam => Service::Iam,
        ServiceArg::Sts => Service::Sts,
    };
    let request = args
        .target
        .signer(&host)
        .signed_post(service, &args.body, SystemTime::now())
        .map_err(|e| e.to_string())?;
    let mut conn = Conn::new(addr);
    let status = conn.send(&request).await.map_err(|e| format!("I/O: {e}"))?;
    println!("{}", String::from_utf8_lossy(conn.body()));
    if !is_success(status) {
        return Err(format!("HTTP {status}"));
    }
    Ok(())
}

/// Sends one freshly signed IAM request on `conn`; its status.
async fn send_signed(conn: &mut Conn, signer: &Signer, body: &str) -> Result<u16> {
    let request = signer
        .signed_post(Service::Iam, body, SystemTime::now())
        .map_err(|e| e.to_string())?;
    conn.send(&request).await.map_err(|e| format!("I/O: {e}"))
}

async fn propagation(args: PropagationArgs) -> Result<()> {
    if !(args.timeout > 0.0 && args.timeout <= 60.0) {
        return Err("--timeout must be in (0, 60]".into());
    }
    if !(0.0..=1000.0).contains(&args.jitter_ms) {
        return Err("--jitter-ms must be in [0, 1000]".into());
    }
    let (writer_host, writer_addr) = parse_target(&args.target.target)?;
    let (observer_host, observer_addr) = parse_target(&args.observer)?;
    let writer_signer = args.target.signer(&writer_host);
    let observer_signer = args.target.signer(&observer_host);
    let mut writer = Conn::new(writer_addr);
    let mut observer = Conn::new(observer_addr);
    let timeout = Duration::from_secs_f64(args.timeout);
    let poll = Duration::from_micros(args.poll_us);
    let nonce = format!("{:08x}", rand::random::<u32>());
    let mut delays_ns = Vec::with_capacity(args.writes as usize);
    let mut result = ConnResult::default();
    let mut polls: u64 = 0;
    for i in 0..args.writes {
        std::thread::sleep(Duration::from_secs_f64(
            args.jitter_ms * 1e-3 * rand::random::<f64>(),
        ));
        let name = format!("bench-prop-{nonce}-{i}");
        match send_signed(&mut writer, &writer_signer, &scenario::create_role(&name)).await {
            Ok(status) if is_success(status) => {}
            Ok(status) => {
                result.error(format!(
                    "CreateRole on the writer: {}",
                    describe_failure(status, writer.body())
                ));
                continue;
            }
            Err(e) => {
                result.error(format!("CreateRole on the writer: {e}"));
                continue;
            }
        }
        // The clock starts at the writer's acknowledgement: what the bound is about.
        let acknowledged = Instant::now();
        // One signature per role, replayed: signing is not part of the delay.
        let get = observer_signer
            .signed_post(Service::Iam, &scenario::get_role(&name), SystemTime::now())
            .map_err(|e| e.to_string())?;
        // Bounded by `timeout`: each turn either ends the loop or sleeps `poll`.
        loop {
            polls += 1;
            match observer.send(&get).await {
                Ok(status) if is_success(status) => {
                    delays_ns.push(acknowledged.elapsed().as_nanos() as u64);
                    break;
                }
                // NoSuchEntity: not there yet.
                Ok(404) => {}
                Ok(status) => {
                    result.error(format!(
                        "GetRole on the observer: {}",
                        describe_failure(status, observer.body())
                    ));
                    break;
                }
                Err(e) => {
                    result.error(format!("GetRole on the observer: I/O: {e}"));
                    break;
                }
            }
            if acknowledged.elapsed() > timeout {
                result.error(format!(
                    "{name} not readable on the observer within {timeout:?}"
                ));
                break;
            }
            std::thread::sleep(poll);
        }
        match send_signed(&mut writer, &writer_signer, &scenario::delete_role(&name)).await {
            Ok(status) if is_success(status) => {}
            Ok(status) => result.error(format!(
                "DeleteRole on the writer: {}",
                describe_failure(status, writer.body())
            )),
            Err(e) => result.error(format!("DeleteRole on the writer: {e}")),
        }
    }
    let seen = delays_ns.len();
    let latency = stats::latency(&mut delays_ns);
    println!(
        "{}",
        json!({
            "writer": args.target.target,
            "observer": args.observer,
            "writes": args.writes,
            "seen": seen,
            "errors": result.errors,
            "error_samples": result.error_samples,
            "polls": polls,
            "poll_us": args.poll_us,
            "jitter_ms": args.jitter_ms,
            "delay": latency,
        })
    );
    if result.errors > 0 {
        return Err(format!(
            "{} of {} writes failed",
            result.errors, args.writes
        ));
    }
    Ok(())
}

fn free_loopback_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

async fn startup(args: StartupArgs) -> Result<()> {
    let mut samples_ms = Vec::new();
    let timeout = Duration::from_secs_f64(args.timeout.clamp(0.1, 300.0));
    for i in 0..args.repeat {
        let port = free_loopback_port()?;
        let argv: Vec<String> = args
            .command
            .iter()
            .map(|a| {
                a.replace("{port}", &port.to_string())
                    .replace("{i}", &i.to_string())
            })
            .collect();
        let host = format!("127.0.0.1:{port}");
        let addr: SocketAddr = host.parse().map_err(|_| "bad address".to_string())?;
        // Signed before the clock starts: signing is the client's cost, not the server's.
        let probe = Signer::new(&host)
            .signed_post(
                Service::Iam,
                &scenario::get_probe_policy(),
                SystemTime::now(),
            )
            .map_err(|e| e.to_string())?;
        let stderr = match &args.stderr_log {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?,
            ),
            None => Stdio::null(),
        };
        let (program, rest) = argv.split_first().ok_or("empty command")?;
        let started = Instant::now();
        let mut child = Command::new(program)
            .args(rest)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot spawn {program}: {e}"))?;
        let mut conn = Conn::new(addr);
        let mut last_failure = String::from("no answer");
        let outcome = loop {
            if started.elapsed() > timeout {
                break Err(format!(
                    "no 2xx answer within {timeout:?}; last: {last_failure}"
                ));
            }
            match conn.send(&probe).await {
                Ok(status) if is_success(status) => break Ok(started.elapsed()),
                Ok(status) => last_failure = describe_failure(status, conn.body()),
                Err(e) => last_failure = format!("I/O: {e}"),
            }
            if let Ok(Some(status)) = child.try_wait() {
                break Err(format!(
                    "server exited early ({status}); last: {last_failure}"
                ));
            }
            // Poll every 0.2 ms; tokio's timer has 1 ms resolution, so block the (otherwise idle)
            // current-thread runtime instead.
            std::thread::sleep(Duration::from_micros(200));
        };
        let _ = child.kill();
        let _ = child.wait();
        let elapsed = outcome.map_err(|e| format!("spawn {i}: {e}"))?;
        samples_ms.push(elapsed.as_secs_f64() * 1e3);
    }
    let median = stats::median(&samples_ms);
    let min = samples_ms.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples_ms.iter().copied().fold(0.0, f64::max);
    println!(
        "{}",
        json!({ "samples_ms": samples_ms, "median_ms": median, "min_ms": min, "max_ms": max })
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// The length of the first complete request in `buf` (head and `Content-Length` body), if any.
    fn complete_request(buf: &[u8]) -> Option<usize> {
        let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        (buf.len() >= head_end + length).then_some(head_end + length)
    }

    /// A loopback server that answers every request with 200 and counts them.
    async fn counting_server() -> (SocketAddr, Arc<AtomicU64>) {
        scripted_server(|_| true).await
    }

    /// A loopback server that counts requests and answers the `n`-th (from 0) with 200 if
    /// `found(n)`, else with a 404.
    async fn scripted_server(
        found: impl Fn(u64) -> bool + Send + Sync + 'static,
    ) -> (SocketAddr, Arc<AtomicU64>) {
        let found = Arc::new(found);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let count = Arc::new(AtomicU64::new(0));
        let counted = count.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counted = counted.clone();
                let found = found.clone();
                tokio::spawn(async move {
                    let mut pending = Vec::new();
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n @ 1..) = socket.read(&mut buf).await {
                        pending.extend_from_slice(&buf[..n]);
                        while let Some(end) = complete_request(&pending) {
                            pending.drain(..end);
                            let n = counted.fetch_add(1, Ordering::Relaxed);
                            let answer: &[u8] = if found(n) {
                                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                            } else {
                                b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"
                            };
                            if socket.write_all(answer).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (addr, count)
    }

    #[tokio::test]
    async fn connections_are_spread_over_every_endpoint() {
        let (a, at_a) = counting_server().await;
        let (b, at_b) = counting_server().await;
        let now = Instant::now();
        let plan = Arc::new(RunPlan {
            scenario: Scenario::GetRole,
            endpoints: [a, b]
                .into_iter()
                .map(|addr| Endpoint {
                    signer: Signer::new(&addr.to_string()),
                    addr,
                })
                .collect(),
            measure_from: now,
            end: now + Duration::from_secs(10),
            // The cap ends the run: 50 requests on each of 4 connections, at most.
            max_requests: 200,
            issued: AtomicU64::new(0),
            nonce: "test".into(),
        });
        let tasks: Vec<_> = (0..4)
            .map(|id| tokio::spawn(connection_loop(plan.clone(), id)))
            .collect();
        let mut by_connection = Vec::new();
        for task in tasks {
            let r = task.await.expect("connection task");
            assert_eq!(r.errors, 0, "{:?}", r.error_samples);
            by_connection.push(r.requests);
        }
        assert_eq!(by_connection.iter().sum::<u64>(), 200);
        // Connections 0 and 2 talk to A, 1 and 3 to B.
        let (at_a, at_b) = (at_a.load(Ordering::Relaxed), at_b.load(Ordering::Relaxed));
        assert_eq!(at_a, by_connection[0] + by_connection[2]);
        assert_eq!(at_b, by_connection[1] + by_connection[3]);
        assert!(at_a > 0 && at_b > 0, "A answered {at_a}, B {at_b}");
    }

    #[tokio::test]
    async fn propagation_polls_the_observer_until_it_reads_each_write() {
        let (writer, at_writer) = counting_server().await;
        // Each role is found by the third poll: two 404s, then a 200.
        let (observer, at_observer) = scripted_server(|n| n % 3 == 2).await;
        let args = PropagationArgs {
            target: Target {
                target: format!("http://{writer}"),
                access_key_id: ironiam_bench::sign::ACCESS_KEY_ID.into(),
                secret_access_key: ironiam_bench::sign::SECRET_ACCESS_KEY.into(),
            },
            observer: format!("http://{observer}"),
            writes: 5,
            timeout: 5.0,
            poll_us: 100,
            jitter_ms: 0.0,
        };
        propagation(args).await.expect("every write seen");
        // CreateRole and DeleteRole for each write; three GetRoles for each.
        assert_eq!(at_writer.load(Ordering::Relaxed), 10);
        assert_eq!(at_observer.load(Ordering::Relaxed), 15);
    }

    #[tokio::test]
    async fn propagation_refuses_an_observer_off_loopback() {
        let args = PropagationArgs {
            target: Target {
                target: "http://127.0.0.1:9".into(),
                access_key_id: ironiam_bench::sign::ACCESS_KEY_ID.into(),
                secret_access_key: ironiam_bench::sign::SECRET_ACCESS_KEY.into(),
            },
            observer: "http://192.0.2.1:80".into(),
            writes: 1,
            timeout: 1.0,
            poll_us: 1000,
            jitter_ms: 0.0,
        };
        let e = propagation(args).await.expect_err("not loopback");
        assert!(e.contains("only loopback"), "{e}");
    }
}
