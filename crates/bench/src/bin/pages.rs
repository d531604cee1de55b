//! ListRoles (or ListUsers) deep in a large account: the latency of a page
//! that starts at a marker taken at random across the account.
//!
//! ```text
//! pages --target 127.0.0.1:PORT [--action ListRoles] [--page-size 100]
//!       [--concurrency 1] [--requests 5000]
//! ```
//!
//! First it walks the whole listing once, page by page, keeping every
//! marker the server answered (markers are opaque: only the server's own
//! are used) and counting the entities; then it sends `--requests` signed
//! requests over `--concurrency` keep-alive connections, each starting at
//! one of those markers (or at the start) chosen at random, and reports the
//! latency percentiles. Each request is signed before its clock starts, so
//! only the exchange is timed. Bounded by count; loopback only. Prints one
//! line of JSON.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use clap::Parser;
use ironiam_bench::client::Conn;
use ironiam_bench::scenario::form;
use ironiam_bench::sign::{Service, Signer};
use ironiam_bench::stats::latency;
use rand::Rng;

#[derive(Parser)]
#[command(about = "Latency of ListRoles/ListUsers pages at random markers across a large account")]
struct Args {
    /// The server, `127.0.0.1:PORT` (loopback only).
    #[arg(long)]
    target: SocketAddr,
    /// `ListRoles` or `ListUsers`.
    #[arg(long, default_value = "ListRoles", value_parser = ["ListRoles", "ListUsers"])]
    action: String,
    /// MaxItems of every request.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
    page_size: u32,
    /// Keep-alive connections, each a closed loop.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    concurrency: u32,
    /// Requests timed, over all connections.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    requests: u32,
    /// The walk stops after this many pages (an account larger than this is not walked whole).
    #[arg(long, default_value_t = 100_000)]
    max_pages: u32,
}

fn main() {
    let args = Args::parse();
    if !args.target.ip().is_loopback() {
        eprintln!("pages: only loopback targets are accepted");
        std::process::exit(2);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pages: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(args)) {
        eprintln!("pages: {e}");
        std::process::exit(1);
    }
}

fn body(action: &str, page_size: u32, marker: Option<&str>) -> String {
    let size = page_size.to_string();
    let mut pairs = vec![
        ("Action", action),
        ("Version", "2010-05-08"),
        ("MaxItems", size.as_str()),
    ];
    if let Some(m) = marker {
        pairs.push(("Marker", m));
    }
    form(&pairs)
}

/// The text of the first `<tag>…</tag>` in `xml`.
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))?;
    Some(&xml[start..start + end])
}

async fn run(args: Args) -> Result<(), String> {
    let signer = Arc::new(Signer::new(&args.target.to_string()));
    let sign = |b: &str| {
        signer
            .signed_post(Service::Iam, b, SystemTime::now())
            .map_err(|e| e.to_string())
    };
    let name_tag = if args.action == "ListRoles" {
        "<RoleName>"
    } else {
        "<UserName>"
    };

    // The walk: every marker, and how many entities the listing holds.
    let mut conn = Conn::new(args.target);
    let mut markers: Vec<String> = Vec::new();
    let mut items = 0usize;
    let walk_started = Instant::now();
    for _ in 0..args.max_pages {
        let request = sign(&body(
            &args.action,
            args.page_size,
            markers.last().map(String::as_str),
        ))?;
        let status = conn.send(&request).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(conn.body()).into_owned();
        if status != 200 {
            return Err(format!(
                "walk: HTTP {status}: {}",
                &text[..text.len().min(300)]
            ));
        }
        items += text.matches(name_tag).count();
        match element(&text, "Marker") {
            Some(m) if element(&text, "IsTruncated") == Some("true") => markers.push(m.to_string()),
            _ => break,
        }
    }
    let walk_seconds = walk_started.elapsed().as_secs_f64();
    let pages = markers.len() + 1;

    // The timed requests: each connection takes its share.
    let markers = Arc::new(markers);
    let mut tasks = Vec::new();
    for c in 0..args.concurrency {
        let share =
            args.requests / args.concurrency + u32::from(c < args.requests % args.concurrency);
        let (markers, signer, action) = (markers.clone(), signer.clone(), args.action.clone());
        let (target, page_size) = (args.target, args.page_size);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(target);
            let mut samples = Vec::with_capacity(share as usize);
            let mut errors = 0u64;
            for _ in 0..share {
                // Index `markers.len()` stands for the first page (no marker).
                let pick = rand::thread_rng().gen_range(0..=markers.len());
                let request = signer
                    .signed_post(
                        Service::Iam,
                        &body(&action, page_size, markers.get(pick).map(String::as_str)),
                        SystemTime::now(),
                    )
                    .map_err(|e| e.to_string())?;
                let started = Instant::now();
                let status = conn.send(&request).await;
                let elapsed = started.elapsed().as_nanos() as u64;
                match status {
                    Ok(200) => samples.push(elapsed),
                    _ => errors += 1,
                }
            }
            Ok::<_, String>((samples, errors))
        }));
    }
    let mut samples = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (s, e) = task.await.map_err(|e| e.to_string())??;
        samples.extend(s);
        errors += e;
    }
    let timed = samples.len();
    let lat = latency(&mut samples);
    println!(
        r#"{{"action":"{}","page_size":{},"concurrency":{},"walk":{{"pages":{pages},"items":{items},"seconds":{walk_seconds:.3}}},"requests":{timed},"errors":{errors},"latency":{}}}"#,
        args.action,
        args.page_size,
        args.concurrency,
        serde_json::to_string(&lat).map_err(|e| e.to_string())?
    );
    if errors > 0 {
        return Err(format!("{errors} requests failed"));
    }
    Ok(())
}
