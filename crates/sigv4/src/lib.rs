//! AWS Signature Version 4 as pure functions: read a request's signature, verify it, sign.
//!
//! No clock, no I/O, no credential store: the caller passes the request as it saw it, the
//! current time and the secret of the access key the request names. That keeps the crate
//! fuzzable and lets tests pin time.
//!
//! # Verifying a request
//!
//! ```
//! use ironiam_sigv4::{parse, verify, HttpRequest, Secret, AuthError};
//!
//! let headers = [
//!     ("Host", "example.amazonaws.com"),
//!     ("X-Amz-Date", "20150830T123600Z"),
//!     ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
//!       SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
//! ];
//! let req = HttpRequest { method: "GET", path: "/", query: "", headers: &headers, body: b"" };
//! let now = 1_440_938_160; // 2015-08-30T12:36:00Z
//!
//! let signed = parse(&req)?.ok_or(AuthError::MissingAuthenticationToken)?; // None: anonymous
//! signed.check_time(now)?;                                 // optional: AWS's error order
//! signed.check_scope(Some("us-east-1"), Some("service"))?; // pin region and service
//! assert_eq!(signed.access_key_id(), "AKIDEXAMPLE");       // look the secret up by this
//! let secret = Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! verify(&req, &signed, &secret, now)?;
//! # Ok::<(), AuthError>(())
//! ```
//!
//! Errors carry AWS's code, HTTP status and message ([`AuthError::code`],
//! [`AuthError::http_status`], [`AuthError::message`]). Called in the order above, the checks
//! run in the order AWS reports them, so the first error is the one AWS would answer, with one
//! exception: AWS rejects a stale date before an unsigned `host`, an unknown algorithm or a
//! malformed credential, which [`parse`] reports without knowing the time.
//!
//! # Canonicalisation
//!
//! The rules are those of every AWS service but S3 (IAM and STS among them): the path is
//! normalised (`.`, `..` and empty segments) and URI-encoded a second time; the query is
//! decoded, re-encoded per RFC 3986 and sorted, without `X-Amz-Signature` when presigned;
//! header values are trimmed with inner runs of spaces collapsed, repeats joined by commas.
//! The tests run AWS's published SigV4 test suite and requests signed by botocore.
//!
//! # Security notes
//!
//! - The signature is compared in constant time ([`subtle`]).
//! - A [`Secret`] is wiped on drop, prints as `Secret(***)` and has no `Display`; no error
//!   message contains a secret or a signing key, only what the client itself sent.
//! - The body is always covered by the signature. `X-Amz-Content-Sha256` must match the body
//!   received; `UNSIGNED-PAYLOAD` is accepted only with an empty body, because IAM and STS
//!   read the operation from the body and an unsigned body could be swapped for another.
//! - `host` must be signed. Other headers, `X-Amz-Security-Token` included, need not be (AWS
//!   accepts a token added after signing); the token is bound to its access key id by the
//!   caller's token check, not by the signature.
//! - Header authentication allows 15 minutes of clock skew either way. A presigned URL is
//!   good from 15 minutes before `X-Amz-Date` until `X-Amz-Expires` (at most 604800 s)
//!   after it; without `X-Amz-Expires` it gets the 15-minute window. (AWS's STS applies the
//!   15-minute window to presigned URLs whatever their `X-Amz-Expires`; ironiam honours it.)
//! - Replay within the window is not prevented: like AWS, the crate has no nonce store.
//! - [`SigningKeyCache`] keys entries by access key, day, region and service and reuses a
//!   key only for the same secret, so rotating or deleting a key takes effect at once.

mod canonical;
mod date;
mod error;
mod request;
mod secret;
mod sign;
mod verify;

pub use canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri, string_to_sign,
};
pub use error::AuthError;
pub use request::{
    parse, AuthLocation, HttpRequest, SignedRequest, MAX_CLOCK_SKEW_SECONDS,
    MAX_PRESIGNED_EXPIRES_SECONDS,
};
pub use secret::Secret;
pub use sign::{amz_date, presign, sign, SigningParams};
pub use verify::{explain, verify, SigningKeyCache, UNSIGNED_PAYLOAD};
