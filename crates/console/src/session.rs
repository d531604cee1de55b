//! Console sign-in sessions.
//!
//! A session is a random 256-bit token in the `ironiam_session` cookie
//! (`HttpOnly; SameSite=Strict; Path=/console`, and `Secure` unless the
//! console is reached over plain HTTP on a loopback address). Only the
//! SHA-256 of each token is stored, so neither a memory dump, a database
//! dump nor a `Debug` print reveals a usable session. Where sessions are
//! stored is the console's [`SharedState`]: in this process alone (a
//! restart signs everyone out, as rotating the server's key would), or in
//! the database every replica shares (`--database`), which every console
//! request reads — so a sign-out on one replica ends the session on every
//! other at once, with no cache to wait out.
//!
//! A session lasts 12 hours, as an AWS console session of an IAM user does
//! by default, and ends earlier when its owner signs out.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ironiam_core::service::{Caller, Identity};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::request::Req;
use crate::shared::{SharedError, SharedState, StoredSession};

/// The cookie holding the session token.
pub(crate) const COOKIE: &str = "ironiam_session";

/// How long a session lasts.
pub(crate) const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Now, in epoch seconds (the wall clock: sessions and the brake must
/// agree across replicas, which share no monotonic clock).
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A signed-in principal.
#[derive(Clone)]
pub(crate) struct Session {
    /// Who acts.
    pub caller: Caller,
    /// An IAM user whose password must be changed before anything else.
    pub password_reset_required: bool,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("caller", &self.caller.arn)
            .field("password_reset_required", &self.password_reset_required)
            .finish()
    }
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

/// The request's token, if it has the shape of one.
fn token_of(req: &Req) -> Option<&str> {
    req.cookie(COOKIE).filter(|t| is_token(t))
}

/// Starts a session for `caller` (the root user or an IAM user: the only
/// principals the console signs in); returns its token.
pub(crate) fn start(
    shared: &dyn SharedState,
    caller: &Caller,
    password_reset_required: bool,
) -> Result<String, SharedError> {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let user_name = match &caller.identity {
        Identity::Root => None,
        Identity::User { name } => Some(name.clone()),
        // Sign-in yields nothing else; refuse rather than store a session
        // that would come back as someone else.
        _ => {
            return Err(SharedError(
                "a console session is for a root or IAM user".into(),
            ))
        }
    };
    let lifetime = i64::try_from(LIFETIME.as_secs()).unwrap_or(i64::MAX);
    let now = now();
    shared.put_session(
        &key(&token),
        &StoredSession {
            account_id: caller.account_id.clone(),
            arn: caller.arn.clone(),
            user_id: caller.user_id.clone(),
            user_name,
            password_reset_required,
            expires: now.saturating_add(lifetime),
        },
        now,
    )?;
    Ok(token)
}

/// The live session of the request's cookie, if any.
pub(crate) fn of(shared: &dyn SharedState, req: &Req) -> Result<Option<Session>, SharedError> {
    let Some(token) = token_of(req) else {
        return Ok(None);
    };
    let Some(stored) = shared.session(&key(token), now())? else {
        return Ok(None);
    };
    let identity = match stored.user_name {
        Some(name) => Identity::User { name },
        None => Identity::Root,
    };
    Ok(Some(Session {
        caller: Caller {
            account_id: stored.account_id,
            arn: stored.arn,
            user_id: stored.user_id,
            identity,
            session: None,
        },
        password_reset_required: stored.password_reset_required,
    }))
}

/// Ends the request's session.
pub(crate) fn end(shared: &dyn SharedState, req: &Req) -> Result<(), SharedError> {
    match token_of(req) {
        Some(token) => shared.end_session(&key(token)),
        None => Ok(()),
    }
}

/// Marks the request's session as no longer needing a new password.
pub(crate) fn password_changed(shared: &dyn SharedState, req: &Req) -> Result<(), SharedError> {
    match token_of(req) {
        Some(token) => shared.clear_password_reset(&key(token)),
        None => Ok(()),
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
