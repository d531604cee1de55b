//! The audit trail: one JSON object per line for every IAM and STS API
//! request, in the format of CloudTrail's records (`--audit-log PATH|-`).
//!
//! Fields follow "CloudTrail record contents" (eventVersion 1.08) and the
//! IAM User Guide's "Logging IAM and AWS STS API calls with AWS CloudTrail":
//! `requestParameters` holds the request's members with lower-camel-case
//! names, `responseElements` the result of write operations (`null` for
//! read-only Get/List calls, as CloudTrail writes them), dates inside
//! `responseElements` as CloudTrail prints them (`Jul 30, 2024 9:53:13 PM`,
//! UTC), `eventTime` in ISO 8601.
//!
//! Both are derived from the model, so an operation added later is covered
//! without new code: `requestParameters` by walking the decoded
//! [`Input`], `responseElements` by reading the handler's result XML back
//! with the operation's output shape (lists, numbers, booleans and dates
//! then come out typed).
//!
//! **Secrets are never written.** A member whose shape the model marks
//! `sensitive` (passwords, secret access keys, private keys, SAML
//! assertions, web identity tokens, …) is left out, wherever it appears;
//! so is every member in [`ALSO_SECRET`].
//!
//! **Cost.** A record is serialized on the request path, straight from
//! values the pipeline holds (nothing is copied or allocated for it), into
//! a buffer of the request's thread: one of [`SHARDS`] buffers, each behind
//! its own lock, so two workers never wait on each other. A writer thread
//! takes each buffer whole every [`HAND_OVER_EVERY`] (swapping in an empty
//! one, so buffers are reused and nothing is freed across threads) and
//! writes it to the file with one system call. An earlier design queued
//! one boxed record per request to the writer: the allocations freed on
//! another thread and the queue cost 22 % of GetRole's throughput on two
//! cores (`bench/run --only audit` at 2a54827, in that commit's RESULTS.md).
//!
//! **Order.** Records of one worker thread are in order; those of different
//! threads interleave by buffer. CloudTrail does not order its log files
//! either ("CloudTrail log files aren't an ordered stack trace of the public
//! API calls"); readers sort by `eventTime`.
//!
//! **What a crash loses.** A buffer that is full (the writer is behind, e.g.
//! the disk stalls) drops new records, counted in
//! `ironiam_audit_events_dropped_total`; a request never waits for the log.
//! `kill -9` or a crash loses the records not yet handed to the operating
//! system: at most those of the last [`HAND_OVER_EVERY`]. A clean stop
//! (SIGTERM, Ctrl-C) writes everything. The file is not fsynced: a machine
//! crash also loses what the OS had not written back.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use ironiam_core::service::{Caller, Identity};
use ironiam_core::session::SessionKind;
use ironiam_protocol::model::{Shape, ShapeKind};
use ironiam_protocol::{Input, OperationDef, Service, Value as InputValue};
use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::metrics::Metrics;
use crate::thread_shard::{self, Padded};

/// Members never written although the model does not mark them sensitive.
///
/// CloudTrail itself writes `sessionToken` in the `credentials` of
/// AssumeRole's `responseElements`; ironiam does not (issue 13: a session
/// token is a bearer credential and must never reach a log).
pub const ALSO_SECRET: &[&str] = &["SessionToken"];

/// Buffers, one per thread that serves requests (threads beyond this share).
/// Tokio's workers plus the threads `block_in_place` hands work to.
pub const SHARDS: usize = 16;

/// How often the writer takes the buffers and writes them out, at the
/// most: a record reaches the operating system within this.
pub const HAND_OVER_EVERY: Duration = Duration::from_millis(20);

/// How often it does while records keep coming. Small buffers are still in
/// the cache when the writer copies them out: handed over every 20 ms under
/// full load, each buffer grew past a megabyte, and the audit log cost
/// GetRole about 2 µs of CPU a request (`bench/run --only audit`, 0.90× of
/// neither with `--rev 95b1541`); every 2 ms, 1.02× (`--rev a91496a`), the
/// figure in bench/RESULTS.md, "Audit log and metrics cost".
const HAND_OVER_WHILE_BUSY: Duration = Duration::from_millis(2);

/// Bytes one buffer may hold before new records are dropped: about a
/// second of GetRole records at full speed on two cores.
const SHARD_LIMIT: usize = 8 << 20;

/// A buffer the writer keeps past a burst is shrunk back to this.
const KEEP_CAPACITY: usize = 256 << 10;

/// One thread's pending records (see [`crate::thread_shard`]).
type Shard = Padded<Mutex<Pending>>;

#[derive(Default)]
struct Pending {
    /// Whole lines of JSON.
    bytes: Vec<u8>,
    /// How many lines `bytes` holds.
    records: u64,
}

/// The audit log: the buffers and the thread that writes them.
pub struct AuditLog {
    shards: Arc<[Shard]>,
    stopped: Arc<AtomicBool>,
    writer: Mutex<Option<JoinHandle<()>>>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Appends to `path` (created if needed, mode 0600 on Unix: the log
    /// names principals and resources), or writes to standard output for `-`.
    pub fn open(path: &Path, metrics: Arc<Metrics>) -> std::io::Result<AuditLog> {
        let out: Box<dyn Write + Send> = if path.as_os_str() == "-" {
            Box::new(std::io::stdout())
        } else {
            let mut options = OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            Box::new(options.open(path)?)
        };
        let shards: Arc<[Shard]> = (0..SHARDS).map(|_| Shard::default()).collect();
        let stopped = Arc::new(AtomicBool::new(false));
        let writer = {
            let (shards, stopped, metrics) = (shards.clone(), stopped.clone(), metrics.clone());
            std::thread::Builder::new()
                .name("ironiam-audit".into())
                .spawn(move || write_records(&shards, &stopped, out, &metrics))?
        };
        Ok(AuditLog {
            shards,
            stopped,
            writer: Mutex::new(Some(writer)),
            metrics,
        })
    }

    /// Writes the record into this thread's buffer; never waits for the
    /// writer. A full buffer, or a log already stopped, drops it (counted).
    pub(crate) fn submit(&self, record: &AuditRecord<'_>) {
        let mut pending = self.shards[thread_shard::of_current_thread(SHARDS)]
            .0
            .lock();
        if pending.bytes.len() >= SHARD_LIMIT || self.stopped.load(Ordering::Relaxed) {
            drop(pending);
            let before = self.metrics.audit_dropped();
            // One warning per thousand drops: the log must not flood too.
            if before.is_multiple_of(1000) {
                tracing::warn!(
                    dropped = before + 1,
                    "the audit log writer is behind: records dropped"
                );
            }
            return;
        }
        record.write_json(&mut pending.bytes);
        pending.bytes.push(b'\n');
        pending.records += 1;
    }

    /// Writes everything buffered, then stops the writer (a clean stop;
    /// records submitted afterwards are dropped).
    pub fn shutdown(&self) {
        let Some(writer) = self.writer.lock().take() else {
            return;
        };
        self.stopped.store(true, Ordering::Relaxed);
        writer.thread().unpark();
        if writer.join().is_err() {
            tracing::error!("the audit log writer failed");
        }
    }
}

/// The writer: every [`HAND_OVER_EVERY`], takes each buffer whole (an
/// empty one of its own in exchange) and writes it. It sleeps rather than
/// waits to be woken so that a request never pays for waking it.
fn write_records(
    shards: &[Shard],
    stopped: &AtomicBool,
    mut out: Box<dyn Write + Send>,
    metrics: &Metrics,
) {
    let mut spare = Vec::with_capacity(KEEP_CAPACITY);
    let mut failures: u64 = 0;
    loop {
        // Read before the pass: a stop seen here means this pass drains
        // every record submitted before the stop.
        let stop = stopped.load(Ordering::Relaxed);
        let mut written = 0;
        for shard in shards {
            let records = {
                let mut pending = shard.0.lock();
                if pending.records == 0 {
                    continue;
                }
                std::mem::swap(&mut pending.bytes, &mut spare);
                std::mem::take(&mut pending.records)
            };
            match out.write_all(&spare) {
                Ok(()) => written += records,
                Err(e) => {
                    failures += 1;
                    if failures % 1000 == 1 {
                        tracing::error!(error = %e, "cannot write the audit log");
                    }
                }
            }
            spare.clear();
            if spare.capacity() > KEEP_CAPACITY {
                spare.shrink_to(KEEP_CAPACITY);
            }
        }
        if written > 0 {
            metrics.audit_written(written);
            if let Err(e) = out.flush() {
                tracing::error!(error = %e, "cannot flush the audit log");
            }
        }
        if stop {
            break;
        }
        std::thread::park_timeout(if written > 0 {
            HAND_OVER_WHILE_BUSY
        } else {
            HAND_OVER_EVERY
        });
    }
}

/// What one request leaves in the audit log: borrowed from what the
/// pipeline holds, serialized at once into the thread's buffer.
pub(crate) struct AuditRecord<'a> {
    /// When the request was answered, epoch seconds (the service clock).
    pub time: i64,
    pub op: &'static OperationDef,
    /// The signature's region; AWS's global endpoint region otherwise.
    pub region: Option<&'a str>,
    pub source_ip: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
    /// `None` when authentication failed.
    pub caller: Option<&'a Caller>,
    /// The access key the request was signed with.
    pub access_key_id: Option<&'a str>,
    /// The decoded input, when decoding got that far.
    pub input: Option<&'a Input>,
    /// The handler's result XML, given only for operations whose
    /// `responseElements` are written.
    pub result_xml: Option<&'a str>,
    /// An error's code and message.
    pub error: Option<(&'a str, &'a str)>,
    pub request_id: &'a str,
    /// The account the request acted in (`recipientAccountId`).
    pub account_id: &'a str,
}

/// Whether CloudTrail marks the operation read-only: IAM's and STS's Get,
/// List, Simulate and Decode calls, and STS's AssumeRole calls (they change
/// no resource).
pub(crate) fn is_read_only(op: &OperationDef) -> bool {
    ["Get", "List", "Simulate", "Decode"]
        .iter()
        .any(|p| op.name.starts_with(p))
        || (op.service == Service::Sts && op.name.starts_with("AssumeRole"))
}

/// Whether `responseElements` is written: for write operations, and for
/// STS's calls that issue credentials (CloudTrail writes theirs although
/// they are read-only); `null` otherwise, as CloudTrail does.
pub(crate) fn has_response_elements(op: &OperationDef) -> bool {
    !is_read_only(op)
        || (op.service == Service::Sts
            && (op.name.starts_with("AssumeRole")
                || matches!(op.name, "GetSessionToken" | "GetFederationToken")))
}

impl Drop for AuditLog {
    /// Dropped without [`AuditLog::shutdown`], it still writes what it holds.
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl AuditRecord<'_> {
    /// Appends the CloudTrail record, as one line of JSON without its
    /// newline. Written field by field, without allocating (no
    /// intermediate document): it runs on the request path.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        let fixed = fixed_runs(self.op);
        out.extend_from_slice(b"{\"eventVersion\":\"1.08\",\"userIdentity\":");
        self.write_user_identity_memoized(out);
        write_event_time(out, self.time);
        out.extend_from_slice(&fixed.source_and_name);
        // IAM is global: CloudTrail records its calls in us-east-1.
        field(out, "awsRegion", self.region.unwrap_or("us-east-1"));
        match self.source_ip {
            Some(ip) => {
                out.extend_from_slice(b",\"sourceIPAddress\":\"");
                write_ip(out, ip);
                out.push(b'"');
            }
            None => out.extend_from_slice(b",\"sourceIPAddress\":null"),
        }
        match self.user_agent {
            Some(agent) => field(out, "userAgent", agent),
            None => out.extend_from_slice(b",\"userAgent\":null"),
        }
        if let Some((code, message)) = self.error {
            field(out, "errorCode", code);
            field(out, "errorMessage", message);
        }
        out.extend_from_slice(b",\"requestParameters\":");
        match self.input {
            Some(input) => write_request_parameters(out, input),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"responseElements\":");
        let response = match (self.error, self.result_xml) {
            (None, Some(xml)) => response_elements(self.op, xml),
            _ => Value::Null,
        };
        json_into(out, &response);
        // Our own: hex digits and dashes.
        raw_field(out, "requestID", self.request_id.as_bytes());
        raw_field(out, "eventID", &ironiam_core::ids::uuid_v4());
        out.extend_from_slice(&fixed.read_only_to_recipient);
        string_into(out, self.account_id);
        out.extend_from_slice(b",\"eventCategory\":\"Management\"}");
    }

    /// The record as a JSON document (tests).
    #[cfg(test)]
    pub(crate) fn to_json(&self) -> Value {
        let mut line = Vec::new();
        self.write_json(&mut line);
        serde_json::from_slice(&line).unwrap_or(Value::Null)
    }

    /// `userIdentity`, copied from the last one this thread wrote when
    /// it is the same caller with the same key (a client usually sends
    /// request after request as one caller; writing it anew was a fifth of
    /// the record's cost).
    fn write_user_identity_memoized(&self, out: &mut Vec<u8>) {
        LAST_IDENTITY.with(|memo| {
            let mut memo = memo.borrow_mut();
            let same = memo.as_ref().is_some_and(|m| {
                m.access_key_id.as_deref() == self.access_key_id && m.caller.as_ref() == self.caller
            });
            if !same {
                let mut json = Vec::with_capacity(256);
                self.write_user_identity(&mut json);
                *memo = Some(IdentityMemo {
                    caller: self.caller.cloned(),
                    access_key_id: self.access_key_id.map(str::to_owned),
                    json,
                });
            }
            if let Some(m) = memo.as_ref() {
                out.extend_from_slice(&m.json);
            }
        });
    }

    /// `userIdentity`, as "CloudTrail userIdentity element" describes it,
    /// written straight into `out` (the writer thread shares two cores with
    /// the server: no intermediate document).
    fn write_user_identity(&self, out: &mut Vec<u8>) {
        let Some(caller) = self.caller else {
            // The signature did not check out: who it claimed to be is unknown.
            out.extend_from_slice(b"{\"type\":\"Unknown\"");
            if let Some(key) = self.access_key_id {
                field(out, "accessKeyId", key);
            }
            out.push(b'}');
            return;
        };
        let kind = match &caller.identity {
            Identity::Root => "Root",
            Identity::User { .. } => "IAMUser",
            Identity::AssumedRole { .. } => "AssumedRole",
            // Only AssumeRoleWithWebIdentity is taken unsigned: its caller
            // is whoever the identity provider vouched for.
            Identity::Anonymous => "WebIdentityUser",
        };
        out.extend_from_slice(b"{\"type\":");
        raw_string(out, kind.as_bytes());
        if caller.identity == Identity::Anonymous {
            out.push(b'}');
            return;
        }
        field(out, "principalId", &caller.user_id);
        field(out, "arn", &caller.arn);
        field(out, "accountId", &caller.account_id);
        if let Some(key) = self
            .access_key_id
            .or(caller.session.as_ref().map(|s| s.access_key_id.as_str()))
        {
            field(out, "accessKeyId", key);
        }
        if let Identity::User { name } = &caller.identity {
            field(out, "userName", name);
        }
        if let Some(session) = &caller.session {
            out.extend_from_slice(b",\"sessionContext\":{");
            if let (
                SessionKind::AssumedRole,
                Identity::AssumedRole {
                    role_name,
                    role_arn,
                },
            ) = (&session.kind, &caller.identity)
            {
                out.extend_from_slice(b"\"sessionIssuer\":{\"type\":\"Role\"");
                field(out, "principalId", &session.principal_id);
                field(out, "arn", role_arn);
                field(out, "accountId", &session.account_id);
                field(out, "userName", role_name);
                out.extend_from_slice(b"},");
            }
            out.extend_from_slice(b"\"attributes\":{\"creationDate\":");
            match ironiam_policy::iso8601_ascii(session.issued) {
                Ok(text) => raw_string(out, &text),
                Err(text) => string_into(out, &text),
            }
            field(out, "mfaAuthenticated", "false");
            out.push(b'}');
            if let Some(source) = &session.source_identity {
                field(out, "sourceIdentity", source);
            }
            out.push(b'}');
        }
        out.push(b'}');
    }
}

/// The runs of a record that depend only on its operation, made once.
struct FixedRuns {
    /// `,"eventSource":"…","eventName":"…"`: the source and the model's
    /// operation name are letters and dots, nothing to escape.
    source_and_name: Box<[u8]>,
    /// `,"readOnly":…,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":`.
    read_only_to_recipient: Box<[u8]>,
}

fn fixed_runs(op: &OperationDef) -> &'static FixedRuns {
    static RUNS: std::sync::OnceLock<Vec<FixedRuns>> = std::sync::OnceLock::new();
    let runs = RUNS.get_or_init(|| {
        let ops = Service::Iam.operations().iter().chain(Service::Sts.operations());
        // Metrics' slots: IAM's operations, then STS's, then one unknown.
        ops.map(Some)
            .chain([None])
            .map(|op| {
                let (source, name, read_only) = match op {
                    Some(op) => (
                        match op.service {
                            Service::Iam => "iam.amazonaws.com",
                            Service::Sts => "sts.amazonaws.com",
                        },
                        op.name,
                        is_read_only(op),
                    ),
                    None => ("iam.amazonaws.com", "", false),
                };
                FixedRuns {
                    source_and_name: format!(
                        ",\"eventSource\":\"{source}\",\"eventName\":\"{name}\""
                    )
                    .into_bytes()
                    .into(),
                    read_only_to_recipient: format!(
                        ",\"readOnly\":{read_only},\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":"
                    )
                    .into_bytes()
                    .into(),
                }
            })
            .collect()
    });
    &runs[crate::metrics::slot_of(Some(op)).min(runs.len() - 1)]
}

/// The `userIdentity` a thread wrote last, and whom for.
struct IdentityMemo {
    caller: Option<Caller>,
    access_key_id: Option<String>,
    json: Vec<u8>,
}

thread_local! {
    static LAST_IDENTITY: std::cell::RefCell<Option<IdentityMemo>> =
        const { std::cell::RefCell::new(None) };
    /// The last second this thread wrote as `eventTime`, and its text.
    static LAST_TIME: std::cell::Cell<(i64, [u8; 20])> = const { std::cell::Cell::new((i64::MIN, [0; 20])) };
}

/// Appends `,"eventTime":"…"`; the text is made once a second per thread.
fn write_event_time(out: &mut Vec<u8>, time: i64) {
    let (last, text) = LAST_TIME.get();
    if last == time {
        return raw_field(out, "eventTime", &text);
    }
    match ironiam_policy::iso8601_ascii(time) {
        // ASCII digits and punctuation: nothing to escape.
        Ok(text) => {
            LAST_TIME.set((time, text));
            raw_field(out, "eventTime", &text)
        }
        Err(text) => field(out, "eventTime", &text),
    }
}

/// Appends `,"name":"value"` (the value JSON-escaped; names are plain).
fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    string_into(out, value);
}

/// Appends `,"name":"text"` for text known to need no escaping.
fn raw_field(out: &mut Vec<u8>, name: &str, text: &[u8]) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    raw_string(out, text);
}

fn raw_string(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(text);
    out.push(b'"');
}

/// Appends `value` as a JSON string: `"` and `\` escaped, control
/// characters as `\n`, `\t`, … or `\u00XX`; everything else (UTF-8
/// included) copied as it is, in runs. Eight bytes are checked at a time
/// ([`ironiam_protocol::scan`]): most text has nothing to escape.
fn string_into(out: &mut Vec<u8>, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = value.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = ironiam_protocol::scan::word_at(bytes, i) {
            if !needs_escape(word) {
                i += 8;
                continue;
            }
        }
        let byte = bytes[i];
        let short: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[run_start..i]);
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0x0f)]);
        } else {
            out.extend_from_slice(short);
        }
        i += 1;
        run_start = i;
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

/// Whether a word of eight bytes holds a control character, `"` or `\`.
fn needs_escape(word: u64) -> bool {
    use ironiam_protocol::scan::{has_byte, has_byte_below};
    has_byte_below(word, 0x20) || has_byte(word, b'"') || has_byte(word, b'\\')
}

/// An address as its usual text (`127.0.0.1`), digits written in place
/// for IPv4 (every record has one); IPv6 through the formatter.
fn write_ip(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                if octet >= 100 {
                    out.push(b'0' + octet / 100);
                }
                if octet >= 10 {
                    out.push(b'0' + octet / 10 % 10);
                }
                out.push(b'0' + octet % 10);
            }
        }
        // Writing into a Vec cannot fail.
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

fn json_into(out: &mut Vec<u8>, value: &Value) {
    // Writing into a Vec cannot fail, and a Value always serializes.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// `RoleName` → `roleName`, as CloudTrail names members (only the first
/// letter changes: `OpenIDConnectProviderArn` → `openIDConnectProviderArn`).
fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether a member of `shape` must never be written.
fn is_secret(name: &str, shape: &Shape) -> bool {
    shape.sensitive
        || ALSO_SECRET.contains(&name)
        || matches!(shape.kind, ShapeKind::List { member, .. } if member.sensitive)
        || matches!(shape.kind, ShapeKind::Map { value, .. } if value.sensitive)
}

/// `requestParameters`: the sent members, lower-camel-cased, secrets left
/// out; `null` when there are none (GetCallerIdentity). Written straight
/// into `out`, member by member.
fn write_request_parameters(out: &mut Vec<u8>, input: &Input) {
    let start = out.len();
    if !write_structure(out, input) {
        out.truncate(start);
        out.extend_from_slice(b"null");
    }
}

/// The parameters as a JSON value (tests).
#[cfg(test)]
pub(crate) fn request_parameters(input: &Input) -> Value {
    let mut out = Vec::new();
    write_request_parameters(&mut out, input);
    serde_json::from_slice(&out).unwrap_or(Value::Null)
}

/// Appends the structure's members as a JSON object; whether it had any.
fn write_structure(out: &mut Vec<u8>, input: &Input) -> bool {
    let shape = input.shape();
    out.push(b'{');
    let mut any = false;
    for (name, value) in input.iter() {
        let member_shape = shape.and_then(|s| s.member(name)).map(|m| m.shape);
        // A member the model does not know cannot be judged: leave it out.
        let Some(member_shape) = member_shape else {
            continue;
        };
        if is_secret(name, member_shape) {
            continue;
        }
        if any {
            out.push(b',');
        }
        any = true;
        // Model member names are ASCII identifiers: nothing to escape.
        out.push(b'"');
        if let Some((first, rest)) = name.as_bytes().split_first() {
            out.push(first.to_ascii_lowercase());
            out.extend_from_slice(rest);
        }
        out.extend_from_slice(b"\":");
        write_input_value(out, value);
    }
    out.push(b'}');
    any
}

fn write_input_value(out: &mut Vec<u8>, value: &InputValue) {
    match value {
        InputValue::String(s) | InputValue::Timestamp(s) => string_into(out, s),
        InputValue::Integer(n) => {
            // Writing into a Vec cannot fail.
            let _ = write!(out, "{n}");
        }
        InputValue::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        InputValue::Blob(bytes) => string_into(out, &ironiam_core::crypto::base64_encode(bytes)),
        InputValue::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_input_value(out, item);
            }
            out.push(b']');
        }
        InputValue::Map(entries) => {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string_into(out, k);
                out.push(b':');
                write_input_value(out, v);
            }
            out.push(b'}');
        }
        InputValue::Structure(inner) => {
            write_structure(out, inner);
        }
    }
}

/// `responseElements`: the result XML read back with the operation's
/// output shape; `null` when the operation has no output or it is empty.
pub(crate) fn response_elements(op: &OperationDef, xml: &str) -> Value {
    let (Some(shape), Some(nodes)) = (op.output, parse_xml(xml)) else {
        return Value::Null;
    };
    let map = structure_of_xml(shape, &nodes);
    if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map)
    }
}

fn structure_of_xml(shape: &Shape, children: &[Node]) -> Map<String, Value> {
    let mut map = Map::new();
    for member in shape.members() {
        if is_secret(member.name, member.shape) {
            continue;
        }
        if let Some(node) = children.iter().find(|n| n.name == member.wire_name) {
            map.insert(lower_camel(member.name), xml_value(member.shape, node));
        }
    }
    map
}

fn xml_value(shape: &Shape, node: &Node) -> Value {
    match shape.kind {
        ShapeKind::Structure { .. } => Value::Object(structure_of_xml(shape, &node.children)),
        ShapeKind::List {
            member,
            member_name,
        } => Value::Array(
            node.children
                .iter()
                .filter(|n| n.name == member_name)
                .map(|n| xml_value(member, n))
                .collect(),
        ),
        ShapeKind::Map {
            key,
            value,
            key_name,
            value_name,
        } => {
            let mut map = Map::new();
            for entry in node.children.iter().filter(|n| n.name == "entry") {
                let k = entry.children.iter().find(|n| n.name == key_name);
                let v = entry.children.iter().find(|n| n.name == value_name);
                if let (Some(k), Some(v)) = (k, v) {
                    let key_text = match xml_value(key, k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    map.insert(key_text, xml_value(value, v));
                }
            }
            Value::Object(map)
        }
        ShapeKind::Boolean => match node.text.as_str() {
            "true" => true.into(),
            "false" => false.into(),
            other => other.into(),
        },
        ShapeKind::Integer | ShapeKind::Long => node
            .text
            .parse::<i64>()
            .map_or_else(|_| node.text.as_str().into(), Value::from),
        ShapeKind::Timestamp => {
            cloudtrail_date(&node.text).map_or_else(|| node.text.as_str().into(), Value::from)
        }
        ShapeKind::String | ShapeKind::Blob => node.text.as_str().into(),
    }
}

/// `2024-07-30T21:53:13Z` → `Jul 30, 2024 9:53:13 PM`: how CloudTrail
/// prints dates inside IAM and STS `responseElements` (e.g. CreateAccessKey's
/// `accessKey.createDate`, AssumeRole's `credentials.expiration`), in UTC.
/// `None` for text that is not such a date.
pub(crate) fn cloudtrail_date(iso: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = iso.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> { iso.get(range)?.parse().ok() };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let month = MONTHS.get(usize::try_from(month.checked_sub(1)?).ok()?)?;
    if hour > 23 {
        return None;
    }
    let (hour12, half) = match hour {
        0 => (12, "AM"),
        1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        _ => (hour - 12, "PM"),
    };
    Some(format!(
        "{month} {day}, {year} {hour12}:{minute:02}:{second:02} {half}"
    ))
}

/// An element of the result XML.
struct Node<'a> {
    name: &'a str,
    children: Vec<Node<'a>>,
    text: String,
}

/// Nesting deeper than any IAM or STS output; past it the XML is refused.
const MAX_DEPTH: usize = 32;

/// Reads the XML ironiam's handlers write (elements and escaped text; no
/// attributes, comments or CDATA inside a result) into elements. `None`
/// for anything else.
fn parse_xml(xml: &str) -> Option<Vec<Node<'_>>> {
    let mut stack: Vec<Node<'_>> = vec![Node {
        name: "",
        children: Vec::new(),
        text: String::new(),
    }];
    let mut rest = xml;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            unescape_into(&mut stack.last_mut()?.text, rest);
            break;
        };
        if open > 0 {
            unescape_into(&mut stack.last_mut()?.text, &rest[..open]);
        }
        let close = rest[open..].find('>')? + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let node = stack.pop()?;
            if node.name != name.trim() || stack.is_empty() {
                return None;
            }
            stack.last_mut()?.children.push(node);
        } else if let Some(name) = tag.strip_suffix('/') {
            let name = name.split_whitespace().next()?;
            stack.last_mut()?.children.push(Node {
                name,
                children: Vec::new(),
                text: String::new(),
            });
        } else if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        } else {
            if stack.len() > MAX_DEPTH {
                return None;
            }
            let name = tag.split_whitespace().next()?;
            stack.push(Node {
                name,
                children: Vec::new(),
                text: String::new(),
            });
        }
    }
    if stack.len() != 1 {
        return None;
    }
    stack.pop().map(|root| root.children)
}

/// Appends `text` with XML's entities and character references decoded.
fn unescape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let entity = &after[..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironiam_protocol::{decode_input, operation};

    fn input(
        service: Service,
        action: &str,
        params: &[(&str, &str)],
    ) -> (&'static OperationDef, Input) {
        let op = operation(Some(service), action).unwrap();
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        (op, decode_input(op, &owned).unwrap())
    }

    #[test]
    fn request_parameters_are_the_members_in_lower_camel_case() {
        let (_, create_role) = input(
            Service::Iam,
            "CreateRole",
            &[
                ("RoleName", "ecsAnywhereRole"),
                ("AssumeRolePolicyDocument", "{\"Version\":\"2012-10-17\"}"),
                ("MaxSessionDuration", "7200"),
                ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", "infra"),
            ],
        );
        assert_eq!(
            request_parameters(&create_role),
            serde_json::json!({
                "roleName": "ecsAnywhereRole",
                "assumeRolePolicyDocument": "{\"Version\":\"2012-10-17\"}",
                "maxSessionDuration": 7200,
                "tags": [{"key": "team", "value": "infra"}],
            })
        );
        let (_, oidc) = input(
            Service::Iam,
            "GetOpenIDConnectProvider",
            &[(
                "OpenIDConnectProviderArn",
                "arn:aws:iam::123456789012:oidc-provider/example.com",
            )],
        );
        assert_eq!(
            request_parameters(&oidc),
            serde_json::json!({"openIDConnectProviderArn": "arn:aws:iam::123456789012:oidc-provider/example.com"})
        );
        let (_, nothing) = input(Service::Sts, "GetCallerIdentity", &[]);
        assert_eq!(request_parameters(&nothing), Value::Null);
    }

    #[test]
    fn passwords_and_tokens_never_reach_request_parameters() {
        let (_, login) = input(
            Service::Iam,
            "CreateLoginProfile",
            &[("UserName", "alice"), ("Password", "pa55-W0rd!x")],
        );
        assert_eq!(
            request_parameters(&login),
            serde_json::json!({"userName": "alice"})
        );
        let (_, change) = input(
            Service::Iam,
            "ChangePassword",
            &[
                ("OldPassword", "old-Secret1"),
                ("NewPassword", "new-Secret2"),
            ],
        );
        assert_eq!(request_parameters(&change), Value::Null);
        let (_, update) = input(
            Service::Iam,
            "UpdateLoginProfile",
            &[("UserName", "bob"), ("Password", "upd-Secret3")],
        );
        assert_eq!(
            request_parameters(&update),
            serde_json::json!({"userName": "bob"})
        );
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";
        let (_, web) = input(
            Service::Sts,
            "AssumeRoleWithWebIdentity",
            &[
                ("RoleArn", "arn:aws:iam::123456789012:role/web"),
                ("RoleSessionName", "web-session"),
                ("WebIdentityToken", token),
            ],
        );
        let text = request_parameters(&web).to_string();
        assert!(
            !text.contains(token) && !text.contains("webIdentityToken"),
            "{text}"
        );
        assert!(text.contains("\"roleSessionName\":\"web-session\""));
        let (_, saml) = input(
            Service::Sts,
            "AssumeRoleWithSAML",
            &[
                ("RoleArn", "arn:aws:iam::123456789012:role/saml"),
                (
                    "PrincipalArn",
                    "arn:aws:iam::123456789012:saml-provider/idp",
                ),
                ("SAMLAssertion", "PHNhbWw+c2VjcmV0PC9zYW1sPg=="),
            ],
        );
        assert!(!request_parameters(&saml).to_string().contains("PHNhbWw"));
        let (_, cert) = input(
            Service::Iam,
            "UploadServerCertificate",
            &[
                ("ServerCertificateName", "c"),
                ("CertificateBody", "-----BEGIN CERTIFICATE-----x"),
                ("PrivateKey", "-----BEGIN PRIVATE KEY-----SECRET"),
            ],
        );
        assert!(!request_parameters(&cert).to_string().contains("SECRET"));
    }

    #[test]
    fn the_model_marks_every_secret_member_sensitive() {
        // The deny-list is the model's `sensitive` flag: check it covers the
        // secrets ironiam handles, so a model change cannot silently drop one.
        let member = |service,
                      action: &str,
                      shape_of: &dyn Fn(&'static OperationDef) -> Option<&'static Shape>,
                      name: &str| {
            let op = operation(Some(service), action).unwrap();
            shape_of(op)
                .and_then(|s| s.member(name))
                .map(|m| m.shape.sensitive)
        };
        let input_of = |op: &'static OperationDef| op.input;
        assert_eq!(
            member(Service::Iam, "CreateLoginProfile", &input_of, "Password"),
            Some(true)
        );
        assert_eq!(
            member(Service::Iam, "ChangePassword", &input_of, "NewPassword"),
            Some(true)
        );
        assert_eq!(
            member(Service::Iam, "ChangePassword", &input_of, "OldPassword"),
            Some(true)
        );
        assert_eq!(
            member(
                Service::Iam,
                "UploadServerCertificate",
                &input_of,
                "PrivateKey"
            ),
            Some(true)
        );
        assert_eq!(
            member(
                Service::Sts,
                "AssumeRoleWithWebIdentity",
                &input_of,
                "WebIdentityToken"
            ),
            Some(true)
        );
        assert_eq!(
            member(
                Service::Sts,
                "AssumeRoleWithSAML",
                &input_of,
                "SAMLAssertion"
            ),
            Some(true)
        );
        let access_key = operation(Some(Service::Iam), "CreateAccessKey")
            .and_then(|o| o.output)
            .and_then(|s| s.member("AccessKey"))
            .unwrap();
        assert!(
            access_key
                .shape
                .member("SecretAccessKey")
                .unwrap()
                .shape
                .sensitive
        );
        let credentials = operation(Some(Service::Sts), "AssumeRole")
            .and_then(|o| o.output)
            .and_then(|s| s.member("Credentials"))
            .unwrap();
        assert!(
            credentials
                .shape
                .member("SecretAccessKey")
                .unwrap()
                .shape
                .sensitive
        );
        // The session token is not marked: the explicit list covers it.
        assert!(
            !credentials
                .shape
                .member("SessionToken")
                .unwrap()
                .shape
                .sensitive
        );
        assert!(ALSO_SECRET.contains(&"SessionToken"));
    }

    #[test]
    fn response_elements_follow_the_output_shape() {
        let create_role = operation(Some(Service::Iam), "CreateRole").unwrap();
        let xml = "<Role><Path>/</Path><RoleName>ecsAnywhereRole</RoleName><RoleId>AROAEXAMPLE</RoleId>\
                   <Arn>arn:aws:iam::123456789012:role/ecsAnywhereRole</Arn><CreateDate>2026-11-26T01:02:03Z</CreateDate>\
                   <AssumeRolePolicyDocument>%7B%22Version%22%7D</AssumeRolePolicyDocument>\
                   <Description>a &amp; b &lt;c&gt;</Description><MaxSessionDuration>3600</MaxSessionDuration>\
                   <Tags><member><Key>team</Key><Value>infra</Value></member></Tags><RoleLastUsed/></Role>";
        assert_eq!(
            response_elements(create_role, xml),
            serde_json::json!({"role": {
                "path": "/",
                "roleName": "ecsAnywhereRole",
                "roleId": "AROAEXAMPLE",
                "arn": "arn:aws:iam::123456789012:role/ecsAnywhereRole",
                "createDate": "Nov 26, 2026 1:02:03 AM",
                "assumeRolePolicyDocument": "%7B%22Version%22%7D",
                "description": "a & b <c>",
                "maxSessionDuration": 3600,
                "tags": [{"key": "team", "value": "infra"}],
                "roleLastUsed": {},
            }})
        );
        let list = operation(Some(Service::Iam), "ListRoles").unwrap();
        let xml = "<Roles/><IsTruncated>false</IsTruncated>";
        assert_eq!(
            response_elements(list, xml),
            serde_json::json!({"roles": [], "isTruncated": false})
        );
        assert_eq!(
            response_elements(list, "<Roles><member>"),
            Value::Null,
            "broken XML is not guessed at"
        );
    }

    #[test]
    fn secret_keys_and_session_tokens_never_reach_response_elements() {
        let create_key = operation(Some(Service::Iam), "CreateAccessKey").unwrap();
        let xml = "<AccessKey><UserName>alice</UserName><AccessKeyId>AKIAEXAMPLE</AccessKeyId><Status>Active</Status>\
                   <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/SECRET</SecretAccessKey><CreateDate>2026-01-02T13:04:05Z</CreateDate></AccessKey>";
        assert_eq!(
            response_elements(create_key, xml),
            serde_json::json!({"accessKey": {
                "userName": "alice", "accessKeyId": "AKIAEXAMPLE", "status": "Active", "createDate": "Jan 2, 2026 1:04:05 PM"
            }})
        );
        let assume = operation(Some(Service::Sts), "AssumeRole").unwrap();
        let xml = "<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>SECRETKEY</SecretAccessKey>\
                   <SessionToken>TOKENTOKEN</SessionToken><Expiration>2026-01-02T00:30:00Z</Expiration></Credentials>\
                   <AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>\
                   <PackedPolicySize>6</PackedPolicySize>";
        let elements = response_elements(assume, xml);
        let text = elements.to_string();
        assert!(
            !text.contains("SECRETKEY") && !text.contains("TOKENTOKEN"),
            "{text}"
        );
        assert_eq!(
            elements["credentials"],
            serde_json::json!({"accessKeyId": "ASIAEXAMPLE", "expiration": "Jan 2, 2026 12:30:00 AM"})
        );
        assert_eq!(
            elements["assumedRoleUser"]["assumedRoleId"],
            "AROAEXAMPLE:s"
        );
        assert_eq!(elements["packedPolicySize"], 6);
    }

    #[test]
    fn read_only_calls_and_their_response_elements() {
        let op = |s, n| operation(Some(s), n).unwrap();
        assert!(
            is_read_only(op(Service::Iam, "GetRole"))
                && !has_response_elements(op(Service::Iam, "GetRole"))
        );
        assert!(is_read_only(op(Service::Iam, "ListAttachedRolePolicies")));
        assert!(
            !is_read_only(op(Service::Iam, "AttachRolePolicy"))
                && has_response_elements(op(Service::Iam, "CreateRole"))
        );
        assert!(
            is_read_only(op(Service::Sts, "AssumeRole"))
                && has_response_elements(op(Service::Sts, "AssumeRole"))
        );
        assert!(!has_response_elements(op(
            Service::Sts,
            "GetCallerIdentity"
        )));
    }

    #[test]
    fn dates_as_cloudtrail_prints_them() {
        assert_eq!(
            cloudtrail_date("2024-07-30T21:53:13Z").as_deref(),
            Some("Jul 30, 2024 9:53:13 PM")
        );
        assert_eq!(
            cloudtrail_date("2026-11-26T00:00:09Z").as_deref(),
            Some("Nov 26, 2026 12:00:09 AM")
        );
        assert_eq!(
            cloudtrail_date("2026-11-26T12:10:00.123Z").as_deref(),
            Some("Nov 26, 2026 12:10:00 PM")
        );
        assert_eq!(cloudtrail_date("yesterday"), None);
    }

    #[test]
    fn a_record_is_one_line_of_json_with_cloudtrail_fields() {
        let (op, create) = input(
            Service::Iam,
            "CreateLoginProfile",
            &[("UserName", "alice"), ("Password", "pa55-W0rd!x")],
        );
        let root = Caller::root("123456789012");
        let event = AuditRecord {
            time: 1_795_998_080,
            op,
            region: None,
            source_ip: Some(IpAddr::from([127, 0, 0, 1])),
            user_agent: Some("agent \"quoted\"\n"),
            caller: Some(&root),
            access_key_id: Some("AKIAROOT"),
            input: Some(&create),
            result_xml: Some("<LoginProfile><UserName>alice</UserName><CreateDate>2026-11-30T00:21:20Z</CreateDate></LoginProfile>"),
            error: None,
            request_id: "req-1",
            account_id: "123456789012",
        };
        let mut line = Vec::new();
        event.write_json(&mut line);
        assert!(!line.contains(&b'\n'));
        let record = event.to_json();
        assert_eq!(record["eventTime"], "2026-11-30T00:21:20Z");
        assert_eq!(record["eventSource"], "iam.amazonaws.com");
        assert_eq!(record["awsRegion"], "us-east-1");
        assert_eq!(record["userAgent"], "agent \"quoted\"\n");
        assert_eq!(record["userIdentity"]["type"], "Root");
        assert_eq!(record["userIdentity"]["accessKeyId"], "AKIAROOT");
        assert_eq!(
            record["requestParameters"],
            serde_json::json!({"userName": "alice"})
        );
        assert_eq!(
            record["responseElements"]["loginProfile"]["createDate"],
            "Nov 30, 2026 12:21:20 AM"
        );
        assert_eq!(record["readOnly"], false);
        assert!(record.get("errorCode").is_none());
        assert!(!String::from_utf8_lossy(&line).contains("pa55"));
    }

    #[test]
    fn event_ids_are_version_4_uuids() {
        let root = Caller::root("123456789012");
        let (op, get) = input(Service::Sts, "GetCallerIdentity", &[]);
        let record = AuditRecord {
            time: 0,
            op,
            region: Some("eu-west-1"),
            source_ip: None,
            user_agent: None,
            caller: Some(&root),
            access_key_id: None,
            input: Some(&get),
            result_xml: None,
            error: None,
            request_id: "r",
            account_id: "123456789012",
        };
        let (a, b) = (record.to_json(), record.to_json());
        let id = a["eventID"].as_str().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(a["eventID"], b["eventID"]);
        assert_eq!(a["eventTime"], "1970-01-01T00:00:00Z");
        assert_eq!(a["awsRegion"], "eu-west-1");
        assert_eq!(a["sourceIPAddress"], Value::Null);
    }

    proptest::proptest! {
        /// Whatever a client sends (a user agent, a name, a policy), its
        /// JSON string reads back as exactly the text.
        #[test]
        fn strings_read_back_as_written(text in "\\PC*|[\\x00-\\x7f]*") {
            let mut out = Vec::new();
            string_into(&mut out, &text);
            let back: String = serde_json::from_slice(&out).unwrap();
            proptest::prop_assert_eq!(back, text);
        }
    }

    /// A record of `op` with only a request id and, if given, an input.
    fn bare<'a>(
        op: &'static OperationDef,
        input: Option<&'a Input>,
        request_id: &'a str,
    ) -> AuditRecord<'a> {
        AuditRecord {
            time: 0,
            op,
            region: None,
            source_ip: None,
            user_agent: None,
            caller: None,
            access_key_id: None,
            input,
            result_xml: None,
            error: None,
            request_id,
            account_id: "123456789012",
        }
    }

    fn read_lines(path: &Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// Records from many threads all reach the file, whole, by a clean stop.
    #[test]
    fn every_thread_s_records_are_written_by_a_clean_stop() {
        let dir = std::env::temp_dir().join(format!("ironiam-audit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.log");
        let _ = std::fs::remove_file(&path);
        let metrics = Arc::new(Metrics::new());
        let log = Arc::new(AuditLog::open(&path, metrics.clone()).unwrap());
        let (op, get) = input(Service::Iam, "GetRole", &[("RoleName", "r")]);
        let threads: Vec<_> = (0..SHARDS + 4)
            .map(|t| {
                let (log, get) = (log.clone(), get.clone());
                std::thread::spawn(move || {
                    for i in 0..500 {
                        let id = format!("{t}-{i}");
                        log.submit(&bare(op, Some(&get), &id));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        log.shutdown();
        let lines = read_lines(&path);
        assert_eq!(lines.len(), (SHARDS + 4) * 500);
        let ids: std::collections::HashSet<&str> = lines
            .iter()
            .map(|l| l["requestID"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), lines.len());
        // Each thread's records are in the order it submitted them.
        let of_thread_3: Vec<&str> = lines
            .iter()
            .map(|l| l["requestID"].as_str().unwrap())
            .filter(|id| id.starts_with("3-"))
            .collect();
        let expected: Vec<String> = (0..500).map(|i| format!("3-{i}")).collect();
        assert_eq!(of_thread_3, expected);
        // After the stop, records are dropped and counted, never half-written.
        log.submit(&bare(op, None, "late"));
        assert_eq!(read_lines(&path).len(), lines.len());
        let text = metrics.render();
        assert!(
            text.contains(&format!(
                "ironiam_audit_events_written_total {}",
                lines.len()
            )),
            "{text}"
        );
        assert!(
            text.contains("ironiam_audit_events_dropped_total 1"),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Records reach the file while the server runs, not only at a stop:
    /// a crash loses at most the last hand-over period.
    #[test]
    fn records_are_handed_to_the_os_within_the_period() {
        let dir = std::env::temp_dir().join(format!("ironiam-audit-live-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.log");
        let _ = std::fs::remove_file(&path);
        let log = AuditLog::open(&path, Arc::new(Metrics::new())).unwrap();
        let (op, get) = input(Service::Iam, "GetRole", &[("RoleName", "r")]);
        log.submit(&bare(op, Some(&get), "live"));
        // Bounded wait: 100 hand-over periods.
        let mut lines = Vec::new();
        for _ in 0..100 {
            std::thread::sleep(HAND_OVER_EVERY);
            lines = read_lines(&path);
            if !lines.is_empty() {
                break;
            }
        }
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["requestID"], "live");
        drop(log);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
