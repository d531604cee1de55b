//! Fuzz target: the SigV4 header and presigned-query parser, and verification behind it.
//!
//! The input is read as a request: the first line is the query string, the second the path,
//! then `Name: value` header lines up to an empty line, then the body. Whatever it is,
//! `parse`, `check_time`, `check_scope` and `verify` must not panic, and every error must
//! carry a code, a 400/403 status and a message without the secret. Seeds: `corpus/sigv4_parse/`.
#![no_main]

use ironiam_sigv4::{parse, verify, AuthError, HttpRequest, Secret};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn check(err: AuthError) {
    assert!(!err.code().is_empty());
    assert!(matches!(err.http_status(), 400 | 403));
    let message = err.message();
    assert!(!message.is_empty());
    assert!(!message.contains(SECRET));
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.split('\n');
    let query = lines.next().unwrap_or("");
    let path = lines.next().unwrap_or("/");
    let headers: Vec<(&str, &str)> =
        lines.map(|l| l.split_once(':').map_or((l, ""), |(n, v)| (n, v.trim_start()))).collect();
    let req = HttpRequest { method: "POST", path, query, headers: &headers, body: body.as_bytes() };

    match parse(&req) {
        Err(e) => check(e),
        Ok(None) => {}
        Ok(Some(signed)) => {
            // The suite's clock, and a clock far from any date the input may carry.
            for now in [1_440_938_160, i64::MAX, i64::MIN] {
                if let Err(e) = signed.check_time(now) {
                    check(e);
                }
                if let Err(e) = signed.check_scope(Some("us-east-1"), Some("sts")) {
                    check(e);
                }
                if let Err(e) = verify(&req, &signed, &Secret::new(SECRET), now) {
                    check(e);
                }
            }
        }
    }
});
