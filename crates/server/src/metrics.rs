//! Metrics in Prometheus's text exposition format, served at
//! `GET /_ironiam/metrics`.
//!
//! A small hand-written registry rather than a crate: every series ironiam
//! exposes is known when the process starts (the model fixes the operations,
//! the statuses and outcomes are short lists), so each one is an atomic in a
//! table indexed by operation — no label hashing, no lock, no allocation on
//! the request path. `prometheus-client` would fit, but its label families
//! look series up in a hash map behind a lock on every increment; what it
//! would add here (a typed text encoder) is forty lines below.
//!
//! A replication-lag gauge belongs here once replicas exist (the change
//! log they follow will know how far each is behind); none is exposed now.
//!
//! With `--auth off` the endpoint is open; otherwise it needs a SigV4
//! signature, as the API does, of a root user or of a principal whose
//! policies allow `ironiam:GetMetrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response};
use ironiam_core::authorize::AuthzRequest;
use ironiam_core::service::{IamService, Identity};
use ironiam_policy::Context;
use ironiam_protocol::{write_error, OperationDef, Service};
use ironiam_sigv4::HttpRequest;

use crate::auth::{AuthMode, Authenticator};
use crate::thread_shard::{self, Padded};

/// The action a principal's policies must allow to read the metrics.
pub const GET_METRICS_ACTION: &str = "ironiam:GetMetrics";

/// Upper bounds of the latency histograms' buckets, in seconds; one more
/// bucket counts everything slower (`+Inf`).
const BUCKETS_SECONDS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// The HTTP statuses counted separately; any other one counts as `other`.
const STATUSES: [u16; 14] = [
    200, 400, 401, 403, 404, 405, 409, 410, 413, 429, 500, 501, 503, 0,
];

/// What the authorize step decided about a request (`--auth soft|enforce`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthzOutcome {
    /// Allowed: by the caller's policies, or without evaluation (the root
    /// user; operations that are never denied or decide access themselves).
    Allowed,
    /// Denied by a `Deny` statement.
    ExplicitDeny,
    /// Denied because nothing allows.
    ImplicitDeny,
    /// `--auth soft`: enforce mode would have denied it; it went on.
    SoftWouldDeny,
}

impl AuthzOutcome {
    const ALL: [AuthzOutcome; 4] = [
        AuthzOutcome::Allowed,
        AuthzOutcome::ExplicitDeny,
        AuthzOutcome::ImplicitDeny,
        AuthzOutcome::SoftWouldDeny,
    ];

    fn label(self) -> &'static str {
        match self {
            AuthzOutcome::Allowed => "allowed",
            AuthzOutcome::ExplicitDeny => "explicit_deny",
            AuthzOutcome::ImplicitDeny => "implicit_deny",
            AuthzOutcome::SoftWouldDeny => "soft_would_deny",
        }
    }
}

/// A latency histogram: a count per bucket (not cumulative; the exposition
/// adds them up) and the sum in nanoseconds.
struct Histogram {
    buckets: [AtomicU64; BUCKETS_SECONDS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let slot = BUCKETS_SECONDS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(BUCKETS_SECONDS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The counts so far, to add up across slots and render.
    fn snapshot(&self) -> HistogramSnapshot {
        let mut snapshot = HistogramSnapshot::default();
        snapshot.add(self);
        snapshot
    }
}

/// A histogram's counts read at one moment, summed over thread slots.
#[derive(Default, Clone, Copy)]
struct HistogramSnapshot {
    buckets: [u64; BUCKETS_SECONDS.len() + 1],
    sum_nanos: u64,
}

impl HistogramSnapshot {
    fn add(&mut self, histogram: &Histogram) {
        for (total, bucket) in self.buckets.iter_mut().zip(&histogram.buckets) {
            *total += bucket.load(Ordering::Relaxed);
        }
        self.sum_nanos += histogram.sum_nanos.load(Ordering::Relaxed);
    }

    fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket;
            let _ = match BUCKETS_SECONDS.get(i) {
                Some(bound) => {
                    writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {cumulative}")
                }
                None => writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {cumulative}"),
            };
        }
        let sum = self.sum_nanos as f64 / 1e9;
        let labels = labels.trim_end_matches(',');
        let set = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{set} {sum}");
        let _ = writeln!(out, "{name}_count{set} {cumulative}");
    }
}

/// Slots of the per-request counters: one per runtime worker on this
/// machine's two cores, and room for the threads `block_in_place` adds.
const COUNTER_SLOTS: usize = 4;

/// The counters every request updates, one set per thread slot (see
/// [`crate::thread_shard`]); the metrics page adds the slots up.
struct RequestCounters {
    /// `slot(op) * STATUSES.len() + status slot`.
    requests: Box<[AtomicU64]>,
    /// One histogram per operation slot.
    latency: Box<[Histogram]>,
    decisions: [AtomicU64; 4],
}

impl RequestCounters {
    fn new() -> Self {
        let n = slots();
        RequestCounters {
            requests: (0..n * STATUSES.len()).map(|_| AtomicU64::new(0)).collect(),
            latency: (0..n).map(|_| Histogram::new()).collect(),
            decisions: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// Every metric ironiam keeps. Recording is a few relaxed atomic additions.
pub struct Metrics {
    /// `false` with `--no-metrics`: nothing is counted, the page is 404.
    enabled: bool,
    per_thread: Box<[Padded<RequestCounters>]>,
    commits: Histogram,
    audit_written: AtomicU64,
    audit_dropped: AtomicU64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Operation slots: IAM's operations in model order, then STS's, then one
/// for requests whose operation is unknown (unreadable or unsigned ones).
pub(crate) fn slots() -> usize {
    Service::Iam.operations().len() + Service::Sts.operations().len() + 1
}

pub(crate) fn slot_of(op: Option<&OperationDef>) -> usize {
    let unknown = slots() - 1;
    let Some(op) = op else { return unknown };
    let ops = op.service.operations();
    let base = match op.service {
        Service::Iam => 0,
        Service::Sts => Service::Iam.operations().len(),
    };
    // The model's operations are one static table, so an operation's place
    // is its address's offset in it: no name comparisons per request.
    let offset = (op as *const OperationDef as usize).wrapping_sub(ops.as_ptr() as usize)
        / std::mem::size_of::<OperationDef>().max(1);
    match ops.get(offset) {
        Some(found) if std::ptr::eq(found, op) => base + offset,
        _ => ops
            .binary_search_by(|o| o.name.cmp(op.name))
            .map_or(unknown, |i| base + i),
    }
}

/// The operation of slot `slot`, `None` for the unknown slot.
fn op_at(slot: usize) -> Option<&'static OperationDef> {
    let iam = Service::Iam.operations();
    iam.get(slot)
        .or_else(|| Service::Sts.operations().get(slot.checked_sub(iam.len())?))
}

impl Metrics {
    /// Every counter at zero.
    pub fn new() -> Self {
        Metrics {
            enabled: true,
            per_thread: (0..COUNTER_SLOTS)
                .map(|_| Padded(RequestCounters::new()))
                .collect(),
            commits: Histogram::new(),
            audit_written: AtomicU64::new(0),
            audit_dropped: AtomicU64::new(0),
        }
    }

    /// Metrics that count nothing (`--no-metrics`): the audit log's own
    /// counters aside, which it keeps anyway.
    pub fn disabled() -> Self {
        Metrics {
            enabled: false,
            per_thread: Box::new([]),
            ..Metrics::new()
        }
    }

    /// Whether metrics are kept (and served).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The current thread's counters.
    fn mine(&self) -> &RequestCounters {
        &self.per_thread[thread_shard::of_current_thread(self.per_thread.len())].0
    }

    /// One answered API request: its operation (if known), HTTP status and
    /// time from the headers' arrival to the answer.
    pub(crate) fn record_request(&self, op: Option<&OperationDef>, status: u16, elapsed: Duration) {
        if !self.enabled {
            return;
        }
        let counters = self.mine();
        let slot = slot_of(op);
        let status_slot = STATUSES
            .iter()
            .position(|&s| s == status)
            .unwrap_or(STATUSES.len() - 1);
        if let Some(counter) = counters.requests.get(slot * STATUSES.len() + status_slot) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(histogram) = counters.latency.get(slot) {
            histogram.observe(elapsed);
        }
    }

    /// One decision of the authorize step.
    pub(crate) fn record_decision(&self, outcome: AuthzOutcome) {
        let i = AuthzOutcome::ALL
            .iter()
            .position(|&o| o == outcome)
            .unwrap_or(0);
        if self.enabled {
            self.mine().decisions[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One storage commit (the SQLite journal's write of a change, commit
    /// included) and how long it took.
    pub fn record_commit(&self, elapsed: Duration) {
        if self.enabled {
            self.commits.observe(elapsed);
        }
    }

    pub(crate) fn audit_written(&self, n: u64) {
        self.audit_written.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts an audit event dropped (the writer's queue was full) and
    /// returns how many were dropped before it.
    pub(crate) fn audit_dropped(&self) -> u64 {
        self.audit_dropped.fetch_add(1, Ordering::Relaxed)
    }

    /// The exposition text (format version 0.0.4). Series that never
    /// counted anything are left out, except the unlabelled ones.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP ironiam_requests_total IAM and STS API requests answered, by service, operation and HTTP status.\n");
        out.push_str("# TYPE ironiam_requests_total counter\n");
        for slot in 0..slots() {
            let (service, operation) = labels_of(slot);
            for (i, status) in STATUSES.iter().enumerate() {
                let n: u64 = self
                    .per_thread
                    .iter()
                    .filter_map(|c| c.0.requests.get(slot * STATUSES.len() + i))
                    .map(|c| c.load(Ordering::Relaxed))
                    .sum();
                if n == 0 {
                    continue;
                }
                let status = if *status == 0 {
                    "other".to_string()
                } else {
                    status.to_string()
                };
                let _ = writeln!(
                    out,
                    "ironiam_requests_total{{service=\"{service}\",operation=\"{operation}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP ironiam_request_duration_seconds Time from a request's headers to its answer, by operation.\n");
        out.push_str("# TYPE ironiam_request_duration_seconds histogram\n");
        for slot in 0..slots() {
            let mut histogram = HistogramSnapshot::default();
            for counters in self.per_thread.iter() {
                if let Some(h) = counters.0.latency.get(slot) {
                    histogram.add(h);
                }
            }
            if histogram.count() == 0 {
                continue;
            }
            let (service, operation) = labels_of(slot);
            histogram.render(
                &mut out,
                "ironiam_request_duration_seconds",
                &format!("service=\"{service}\",operation=\"{operation}\","),
            );
        }
        out.push_str("# HELP ironiam_authorization_decisions_total Decisions of the authorize step (--auth soft|enforce), by outcome.\n");
        out.push_str("# TYPE ironiam_authorization_decisions_total counter\n");
        for (i, outcome) in AuthzOutcome::ALL.iter().enumerate() {
            let n: u64 = self
                .per_thread
                .iter()
                .map(|c| c.0.decisions[i].load(Ordering::Relaxed))
                .sum();
            let _ = writeln!(
                out,
                "ironiam_authorization_decisions_total{{outcome=\"{}\"}} {n}",
                outcome.label(),
            );
        }
        out.push_str("# HELP ironiam_storage_commit_duration_seconds Time the durable journal takes per commit: writing one change, or a group of changes committed together, and committing it.\n");
        out.push_str("# TYPE ironiam_storage_commit_duration_seconds histogram\n");
        self.commits
            .snapshot()
            .render(&mut out, "ironiam_storage_commit_duration_seconds", "");
        out.push_str(
            "# HELP ironiam_audit_events_written_total Audit log records written (--audit-log).\n",
        );
        out.push_str("# TYPE ironiam_audit_events_written_total counter\n");
        let _ = writeln!(
            out,
            "ironiam_audit_events_written_total {}",
            self.audit_written.load(Ordering::Relaxed)
        );
        out.push_str("# HELP ironiam_audit_events_dropped_total Audit log records dropped because the writer fell behind.\n");
        out.push_str("# TYPE ironiam_audit_events_dropped_total counter\n");
        let _ = writeln!(
            out,
            "ironiam_audit_events_dropped_total {}",
            self.audit_dropped.load(Ordering::Relaxed)
        );
        out
    }
}

fn labels_of(slot: usize) -> (&'static str, &'static str) {
    match op_at(slot) {
        Some(op) => (
            match op.service {
                Service::Iam => "iam",
                Service::Sts => "sts",
            },
            op.name,
        ),
        None => ("unknown", "unknown"),
    }
}

fn text_response(status: u16, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::FORBIDDEN);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `GET /_ironiam/metrics`: the exposition, to whoever may read it (see the
/// module documentation). Refusals are AWS-shaped XML errors.
pub(crate) fn endpoint<B>(
    service: &IamService,
    authenticator: &Authenticator,
    mode: AuthMode,
    metrics: &Metrics,
    req: &Request<B>,
) -> Response<Full<Bytes>> {
    if mode.verifies() {
        let request_id = ironiam_core::ids::request_id();
        let refuse = |status: u16, code: &str, message: &str| {
            let body = write_error(Service::Iam, true, code, message, &request_id);
            text_response(status, "text/xml", body)
        };
        let headers: Vec<(&str, &str)> = req
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
            .collect();
        let http = HttpRequest {
            method: req.method().as_str(),
            path: req.uri().path(),
            query: req.uri().query().unwrap_or(""),
            headers: &headers,
            body: &[],
        };
        let caller = match authenticator.authenticate(service, mode, &http) {
            Ok(authenticated) => authenticated.caller,
            Err(e) => return refuse(e.http_status(), e.code(), &e.message()),
        };
        if caller.identity != Identity::Root {
            let request = AuthzRequest {
                action: GET_METRICS_ACTION.to_string(),
                resource: "*".to_string(),
                resource_account: None,
                context: Context::new(),
            };
            let allowed = match service.verdict(&caller, &request) {
                Ok(verdict) => verdict.is_allowed(),
                Err(e) => {
                    tracing::error!(error = %e, "could not authorize a metrics request");
                    false
                }
            };
            if !allowed {
                let message = match service.authorize(&caller, &request) {
                    Ok(decision) => ironiam_core::authorize::access_denied_message(
                        &caller.arn,
                        GET_METRICS_ACTION,
                        "*",
                        &decision,
                    ),
                    Err(_) => format!(
                        "User: {} is not authorized to perform: {GET_METRICS_ACTION}",
                        caller.arn
                    ),
                };
                return refuse(403, "AccessDenied", &message);
            }
        }
    }
    text_response(
        200,
        "text/plain; version=0.0.4; charset=utf-8",
        metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_own_slot() {
        let mut seen = std::collections::HashSet::new();
        for service in [Service::Iam, Service::Sts] {
            for op in service.operations() {
                let slot = slot_of(Some(op));
                assert!(seen.insert(slot), "{}", op.name);
                assert_eq!(op_at(slot).map(|o| o.name), Some(op.name));
            }
        }
        assert_eq!(slot_of(None), slots() - 1);
        assert!(op_at(slots() - 1).is_none());
    }

    #[test]
    fn exposition_counts_requests_decisions_and_commits() {
        let m = Metrics::new();
        let get_role = ironiam_protocol::operation(Some(Service::Iam), "GetRole");
        m.record_request(get_role, 200, Duration::from_micros(300));
        m.record_request(get_role, 200, Duration::from_millis(20));
        m.record_request(get_role, 404, Duration::from_micros(90));
        m.record_request(None, 418, Duration::from_micros(90));
        m.record_decision(AuthzOutcome::ImplicitDeny);
        m.record_commit(Duration::from_millis(2));
        let text = m.render();
        assert!(
            text.contains(
                "ironiam_requests_total{service=\"iam\",operation=\"GetRole\",status=\"200\"} 2\n"
            ),
            "{text}"
        );
        assert!(text.contains(
            "ironiam_requests_total{service=\"iam\",operation=\"GetRole\",status=\"404\"} 1\n"
        ));
        assert!(text.contains("ironiam_requests_total{service=\"unknown\",operation=\"unknown\",status=\"other\"} 1\n"));
        assert!(text.contains("ironiam_request_duration_seconds_bucket{service=\"iam\",operation=\"GetRole\",le=\"0.0001\"} 1\n"));
        assert!(text.contains("ironiam_request_duration_seconds_bucket{service=\"iam\",operation=\"GetRole\",le=\"0.0005\"} 2\n"));
        assert!(text.contains("ironiam_request_duration_seconds_bucket{service=\"iam\",operation=\"GetRole\",le=\"+Inf\"} 3\n"));
        assert!(text.contains(
            "ironiam_request_duration_seconds_count{service=\"iam\",operation=\"GetRole\"} 3\n"
        ));
        assert!(
            text.contains("ironiam_authorization_decisions_total{outcome=\"implicit_deny\"} 1\n")
        );
        assert!(text.contains("ironiam_authorization_decisions_total{outcome=\"allowed\"} 0\n"));
        assert!(text.contains("ironiam_storage_commit_duration_seconds_bucket{le=\"0.0025\"} 1\n"));
        assert!(text.contains("ironiam_storage_commit_duration_seconds_count 1\n"));
        assert!(
            !text.contains("ListRoles"),
            "series that never counted are left out"
        );
    }
}
