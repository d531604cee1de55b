//! Signing requests, for tests and for ironiam's own clients.

use crate::canonical::{canonical_request, sha256_hex, string_to_sign, uri_encode, ALGORITHM};
use crate::date::{format_amz_date, parse_amz_date};
use crate::error::AuthError;
use crate::request::{HttpRequest, MAX_PRESIGNED_EXPIRES_SECONDS};
use crate::secret::Secret;
use crate::verify::{signature_hex, signing_key};

/// Who signs, and for which region and service.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// Its secret.
    pub secret_access_key: &'a Secret,
    /// The region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The service, e.g. `sts`.
    pub service: &'a str,
}

/// Headers no signer includes: they are set or changed by proxies and HTTP libraries after
/// signing (botocore's list, plus `authorization` itself).
const UNSIGNED_HEADERS: [&str; 4] = ["authorization", "user-agent", "expect", "x-amzn-trace-id"];

/// The sorted, de-duplicated, lower-case names of the headers to sign.
fn headers_to_sign(req: &HttpRequest<'_>, also_skip: &[&str]) -> String {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| !UNSIGNED_HEADERS.contains(&n.as_str()) && !also_skip.contains(&n.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(";")
}

/// The `YYYYMMDD` of an `X-Amz-Date`.
fn day(amz_date: &str) -> &str {
    amz_date.get(..8).unwrap_or_default()
}

/// The signature of string-to-sign `sts` under `params`' secret, for the
/// day of `amz_date`.
fn signature_of(
    params: &SigningParams<'_>,
    amz_date: &str,
    sts: &str,
) -> Result<String, AuthError> {
    signing_key(
        params.secret_access_key,
        day(amz_date),
        params.region,
        params.service,
    )
    .and_then(|key| signature_hex(&key, sts))
    .ok_or(AuthError::SignatureDoesNotMatch)
}

/// Formats Unix seconds as an `X-Amz-Date` value (`20150830T123600Z`).
pub fn amz_date(epoch_seconds: i64) -> String {
    format_amz_date(epoch_seconds)
}

/// The `Authorization` header value for `req`.
///
/// Signs every header of `req` except `Authorization`, `User-Agent`, `Expect` and
/// `X-Amzn-Trace-Id`, with the date of its `X-Amz-Date` header: set `Host`, `X-Amz-Date`
/// (see [`amz_date`]) and, for temporary credentials, `X-Amz-Security-Token` first. The
/// payload hash is `X-Amz-Content-Sha256` if present, else the body's SHA-256.
pub fn sign(req: &HttpRequest<'_>, params: &SigningParams<'_>) -> Result<String, AuthError> {
    let date = req.header("x-amz-date").unwrap_or_default().trim();
    let Some(timestamp) = parse_amz_date(date) else {
        return Err(AuthError::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    let amz_date = format_amz_date(timestamp);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        day(&amz_date),
        params.region,
        params.service
    );
    let signed_headers = headers_to_sign(req, &[]);
    let payload = match req.header("x-amz-content-sha256") {
        Some(declared) => declared.trim().to_owned(),
        None => sha256_hex(req.body),
    };
    let creq = canonical_request(req, &signed_headers, &payload, false);
    let sts = string_to_sign(&amz_date, &scope, &creq);
    let signature = signature_of(params, &amz_date, &sts)?;
    Ok(format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        params.access_key_id
    ))
}

/// The query string of a presigned URL for `req`: its own query followed by the `X-Amz-*`
/// parameters and, last, `X-Amz-Signature`.
///
/// Signs the headers of `req` as [`sign`] does, except `X-Amz-Date` (the date travels in
/// the query), with the body's SHA-256 as payload hash. `expires_seconds` is at most 604800.
pub fn presign(
    req: &HttpRequest<'_>,
    params: &SigningParams<'_>,
    now_epoch_seconds: i64,
    expires_seconds: u32,
    security_token: Option<&str>,
) -> Result<String, AuthError> {
    if expires_seconds > MAX_PRESIGNED_EXPIRES_SECONDS {
        return Err(AuthError::IncompleteSignature(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800".to_owned(),
        ));
    }
    let amz_date = format_amz_date(now_epoch_seconds);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        day(&amz_date),
        params.region,
        params.service
    );
    let signed_headers = headers_to_sign(req, &["x-amz-date"]);
    let mut query = req.query.to_owned();
    let mut add = |name: &str, value: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&uri_encode(value.as_bytes()));
    };
    add("X-Amz-Algorithm", ALGORITHM);
    add(
        "X-Amz-Credential",
        &format!("{}/{scope}", params.access_key_id),
    );
    add("X-Amz-Date", &amz_date);
    add("X-Amz-Expires", &expires_seconds.to_string());
    if let Some(token) = security_token {
        add("X-Amz-Security-Token", token);
    }
    add("X-Amz-SignedHeaders", &signed_headers);
    let presigned = HttpRequest {
        query: &query,
        ..*req
    };
    let creq = canonical_request(&presigned, &signed_headers, &sha256_hex(req.body), true);
    let sts = string_to_sign(&amz_date, &scope, &creq);
    let signature = signature_of(params, &amz_date, &sts)?;
    query.push_str("&X-Amz-Signature=");
    query.push_str(&signature);
    Ok(query)
}
