//! The HTTP front of ironiam: one pipeline for every AWS Query request —
//! decode → authenticate → authorize → handle → encode — plus the test-suite
//! endpoints.
//!
//! [`serve`] runs on any listener until `shutdown` resolves; [`App::handle`]
//! answers one request without a socket, for tests.

mod admin;
mod api;
mod audit;
mod auth;
mod authz;
mod authz_table;
mod dispatch;
mod handlers;
mod head_watch;
mod http;
mod metrics;
mod render_cache;
mod thread_shard;
mod writer;

pub use audit::AuditLog;
pub use auth::AuthMode;
pub use http::{
    serve, tls_config, App, AppConfig, ConnInfo, ServeOptions, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS, MAX_BODY_BYTES,
};
pub use metrics::{Metrics, GET_METRICS_ACTION};
