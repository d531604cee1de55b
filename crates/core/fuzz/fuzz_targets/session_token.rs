//! Fuzz target: the session-token decoder.
//!
//! The input is tried three ways, none of which may panic:
//! * as the claims' binary form: `SessionClaims::decode` either refuses it
//!   or accepts exactly what `encode` writes back (one canonical form);
//! * as a token string: `SessionClaims::open` under a fixed server key
//!   refuses anything it did not seal;
//! * decoded claims, sealed and opened again, come back unchanged, and a
//!   token sealed under another key does not open.
//!
//! Seeds: `corpus/session_token/` (claims in binary form and token text).
#![no_main]

use ironiam_core::crypto::ServerKey;
use ironiam_core::session::SessionClaims;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = ServerKey::from_bytes([7; 32]);
    if let Some(claims) = SessionClaims::decode(data) {
        assert_eq!(claims.encode(), data, "decode accepted a non-canonical encoding");
        let token = claims.seal(&key);
        assert_eq!(SessionClaims::open(&key, &token).as_ref(), Some(&claims));
        assert!(SessionClaims::open(&ServerKey::from_bytes([8; 32]), &token).is_none());
        let _ = claims.caller_arn();
        let _ = claims.caller_user_id();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        // Only tokens this key sealed open; the fuzzer cannot forge one.
        assert!(SessionClaims::open(&key, text).is_none());
    }
});
