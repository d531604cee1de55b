//! CSRF protection for every console form and JSON request.
//!
//! The browser keeps a random 128-bit nonce in the `ironiam_console` cookie
//! (`HttpOnly; SameSite=Strict; Path=/console`). Pages embed
//! `HMAC-SHA-256(secret, nonce)` as the token: in a hidden `_csrf` field of
//! every form and in `<meta name="csrf-token">` for the script, which sends it
//! as `X-CSRF-Token`. The secret comes from the console's `SharedState`:
//! drawn once per process alone (tokens die with the process), or with
//! `--database` derived from the server key every replica shares, so a form
//! rendered by one replica is accepted when posted to another. A token is
//! worthless without the cookie it was made for. A `POST` is accepted only when the cookie came with it, the token
//! matches in constant time, and the browser did not report another site as
//! its origin (`Origin`, `Sec-Fetch-Site`).
//!
//! When sign-in lands, the nonce becomes part of the session and the same
//! check stays.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::request::Req;

/// The cookie holding the browser's nonce.
pub(crate) const COOKIE: &str = "ironiam_console";

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// A new random nonce, 32 lowercase hex digits.
pub(crate) fn new_nonce() -> String {
    let mut n = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut n);
    hex(&n)
}

/// Whether `value` has the shape of a nonce this console mints.
pub(crate) fn is_nonce(value: &str) -> bool {
    value.len() == 32
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn mac(secret: &[u8; 32], nonce: &str) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).ok()?;
    mac.update(b"ironiam-console-csrf\0");
    mac.update(nonce.as_bytes());
    Some(mac)
}

/// The token forms of the browser holding `nonce` must carry.
pub(crate) fn token(secret: &[u8; 32], nonce: &str) -> String {
    mac(secret, nonce)
        .map(|m| hex(&m.finalize().into_bytes()))
        .unwrap_or_default()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// The `Set-Cookie` value that hands `nonce` to the browser.
pub(crate) fn cookie(nonce: &str) -> String {
    format!("{COOKIE}={nonce}; Path=/console; HttpOnly; SameSite=Strict")
}

/// Why a state-changing request was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No cookie came with the request (first visit, or cookies blocked).
    NoCookie,
    /// The token is missing or was not made for this cookie.
    BadToken,
    /// The browser says the request comes from another site.
    CrossSite,
}

/// Checks a state-changing request.
pub(crate) fn check(req: &Req) -> Result<(), Refusal> {
    if req.fetch_site.as_deref() == Some("cross-site") {
        return Err(Refusal::CrossSite);
    }
    if let (Some(origin), Some(host)) = (&req.origin, &req.host) {
        let same = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            == Some(host.as_str());
        if !same {
            return Err(Refusal::CrossSite);
        }
    }
    if req.fresh_nonce {
        return Err(Refusal::NoCookie);
    }
    let sent = req
        .f("_csrf")
        .map(str::to_string)
        .or_else(|| req.header_token.clone());
    let Some(sent) = sent.and_then(|s| unhex(&s)) else {
        return Err(Refusal::BadToken);
    };
    let Some(m) = mac(&req.csrf_secret, &req.nonce) else {
        return Err(Refusal::BadToken);
    };
    // `verify_slice` compares in constant time.
    m.verify_slice(&sent).map_err(|_| Refusal::BadToken)
}
