//! Console sign-in sessions.
//!
//! A session is a random 256-bit token in the `ironiam_session` cookie
//! (`HttpOnly; SameSite=Strict; Path=/console`, and `Secure` unless the
//! console is reached over plain HTTP on a loopback address). The server
//! keeps only the SHA-256 of each token, so neither a memory dump nor a
//! `Debug` print reveals a usable session. Sessions live in memory: a
//! restart signs everyone out, as rotating the server's key would.
//!
//! A session lasts 12 hours, as an AWS console session of an IAM user does
//! by default, and ends earlier when its owner signs out.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use ironiam_core::service::Caller;
use parking_lot::Mutex;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::request::Req;

/// The cookie holding the session token.
pub(crate) const COOKIE: &str = "ironiam_session";

/// How long a session lasts.
pub(crate) const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Sessions kept at most; past it, expired ones are dropped and then the
/// oldest, so a flood of sign-ins cannot grow memory without bound.
const CAPACITY: usize = 10_000;

/// A signed-in principal.
#[derive(Clone)]
pub(crate) struct Session {
    /// Who acts.
    pub caller: Caller,
    /// An IAM user whose password must be changed before anything else.
    pub password_reset_required: bool,
    /// When the session was created.
    pub created: Instant,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("caller", &self.caller.arn)
            .field("password_reset_required", &self.password_reset_required)
            .finish()
    }
}

/// Every live session, keyed by the SHA-256 of its token.
#[derive(Default)]
pub(crate) struct Sessions {
    live: Mutex<HashMap<[u8; 32], Session>>,
}

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `value` has the shape of a token this console mints.
fn is_token(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Sessions {
    /// Starts a session for `caller`; returns its token.
    pub(crate) fn start(&self, caller: Caller, password_reset_required: bool) -> String {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let mut live = self.live.lock();
        if live.len() >= CAPACITY {
            live.retain(|_, s| s.created.elapsed() < LIFETIME);
        }
        if live.len() >= CAPACITY {
            if let Some(oldest) = live.iter().min_by_key(|(_, s)| s.created).map(|(k, _)| *k) {
                live.remove(&oldest);
            }
        }
        live.insert(
            key(&token),
            Session {
                caller,
                password_reset_required,
                created: Instant::now(),
            },
        );
        token
    }

    /// The live session of the request's cookie, if any.
    pub(crate) fn of(&self, req: &Req) -> Option<Session> {
        let token = req.cookie(COOKIE).filter(|t| is_token(t))?;
        let k = key(token);
        let mut live = self.live.lock();
        match live.get(&k) {
            Some(s) if s.created.elapsed() < LIFETIME => Some(s.clone()),
            Some(_) => {
                live.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Ends the request's session.
    pub(crate) fn end(&self, req: &Req) {
        if let Some(token) = req.cookie(COOKIE) {
            self.live.lock().remove(&key(token));
        }
    }

    /// Marks the request's session as no longer needing a new password.
    pub(crate) fn password_changed(&self, req: &Req) {
        if let Some(token) = req.cookie(COOKIE) {
            if let Some(s) = self.live.lock().get_mut(&key(token)) {
                s.password_reset_required = false;
            }
        }
    }

    /// How many sessions are live (tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live.lock().len()
    }
}

/// Whether the request reached the console over HTTPS, or at least not over
/// plain HTTP on a loopback address (where browsers drop `Secure` cookies
/// over `http://` on other hosts — which is right: a password should not
/// cross a network in clear).
fn secure(req: &Req) -> bool {
    if req
        .forwarded_proto
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
    {
        return true;
    }
    !is_loopback_host(req.host.as_deref().unwrap_or(""))
}

/// Whether a `Host` header names this machine's loopback: `localhost`, an
/// IPv4 address in 127.0.0.0/8 or `[::1]`, with or without a port. The
/// address is parsed: `127.attacker.example` is a name, not loopback.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') => {
            name
        }
        _ => host,
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
        || name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .and_then(|n| n.parse::<std::net::Ipv6Addr>().ok())
            .is_some_and(|ip| ip.is_loopback())
}

/// The `Set-Cookie` value that hands `token` to the browser.
pub(crate) fn cookie(req: &Req, token: &str) -> String {
    let secure = if secure(req) { "; Secure" } else { "" };
    format!(
        "{COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        LIFETIME.as_secs()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn clear_cookie(req: &Req) -> String {
    let secure = if secure(req) { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

#[cfg(test)]
mod loopback_tests {
    use super::is_loopback_host;

    #[test]
    fn only_loopback_addresses_and_localhost_are_loopback() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:4566",
            "127.1.2.3:80",
            "localhost",
            "LOCALHOST:8080",
            "[::1]",
            "[::1]:4566",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        // Names that merely start like a loopback address are names.
        for host in [
            "127.attacker.example",
            "127.attacker.example:4566",
            "127.0.0.1.nip.io",
            "localhost.example",
            "[::2]:1",
            "10.0.0.1",
            "",
            "::1",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
