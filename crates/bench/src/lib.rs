//! Benchmark tools for ironiam.
//!
//! Two programs live in this crate:
//!
//! * `loadgen`: a closed-loop HTTP/1.1 keep-alive load generator that sends SigV4-signed AWS Query
//!   requests (the same bytes the AWS SDKs send) and reports throughput and latency, plus helpers
//!   the harness needs: seeding roles, one-off requests, and start-up timing.
//! * `ceiling`: a minimal hyper server that answers every request with a fixed body; the
//!   throughput it reaches on a machine is the ceiling no HTTP server on hyper can beat there.
//!
//! The load generator speaks HTTP/1.1 over raw tokio TCP instead of a client library so that its
//! own CPU cost per request stays small: on a 2-core machine the client and the server under test
//! share the cores, and every microsecond the client spends is one the server cannot use.

pub mod client;
pub mod scenario;
pub mod sign;
pub mod stats;
