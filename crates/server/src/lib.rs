//! The HTTP front of ironiam: one pipeline for every AWS Query request —
//! decode → authenticate → handle → encode — plus the test-suite endpoints.
//!
//! [`serve`] runs on any listener until `shutdown` resolves; [`App::handle`]
//! answers one request without a socket, for tests.

mod dispatch;
mod handlers;
mod http;
mod render_cache;

pub use http::{serve, App, AppConfig, MAX_BODY_BYTES};
