//! The HTTP front of ironiam: one pipeline for every AWS Query request —
//! decode → authenticate → authorize → handle → encode — plus the test-suite
//! endpoints.
//!
//! [`serve`] runs on any listener until `shutdown` resolves; [`App::handle`]
//! answers one request without a socket, for tests.

mod admin;
mod api;
mod auth;
mod authz;
mod dispatch;
mod handlers;
mod http;
mod render_cache;

pub use auth::AuthMode;
pub use http::{serve, App, AppConfig, MAX_BODY_BYTES};
