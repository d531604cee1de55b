//! Fuzz target: request bytes through the whole decoding pipeline.
//!
//! The first byte picks the operation (IAM then STS, modulo their count); the rest is the
//! form body. Run with `cargo +nightly fuzz run decode_request` from `crates/protocol`.
#![no_main]

use ironiam_protocol::{decode_input, parse_form, resolve_operation, write_error, Service};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let iam = Service::Iam.operations();
    let sts = Service::Sts.operations();
    let index = usize::from(selector) % (iam.len() + sts.len());
    let op = iam.get(index).unwrap_or_else(|| &sts[index - iam.len()]);

    let Ok(params) = parse_form(body) else {
        return;
    };
    let _ = resolve_operation(None, &params);
    if let Err(e) = decode_input(op, &params) {
        // The error document must be writable for anything the decoder says.
        let xml = write_error(op.service, e.is_sender_fault(), e.code(), &e.message(), "fuzz");
        assert!(xml.starts_with("<ErrorResponse"));
    }
});
