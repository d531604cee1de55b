//! Reading a request's SigV4 authentication: the `Authorization` header or a presigned query.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::percent_decode_str;

use crate::canonical::ALGORITHM;
use crate::date::{format_amz_date, parse_amz_date, parse_http_date};
use crate::error::AuthError;

/// How far a header-authenticated request's date may be from the server's clock, either way.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 15 * 60;

/// The longest `X-Amz-Expires` a presigned request may carry: seven days.
pub const MAX_PRESIGNED_EXPIRES_SECONDS: u32 = 604_800;

/// What the server saw, borrowed: method, path (raw, as sent), raw query string, headers
/// (name, value) as received, body bytes.
///
/// `path` and `query` are the request target split at the first `?`, still percent-encoded.
/// `headers` must include `Host` (an HTTP/2 server passes `:authority` as `host`), and repeated
/// headers appear once per occurrence, in the order received.
///
/// `Debug` shows the method, path and header names only: the query, header values and body
/// may hold a session token or a password.
#[derive(Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path as sent, e.g. `/` or `/a%20b`.
    pub path: &'a str,
    /// The query string as sent, without the `?`; empty if there is none.
    pub query: &'a str,
    /// Every header as received.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

impl fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query_len", &self.query.len())
            .field(
                "header_names",
                &self.headers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl<'a> HttpRequest<'a> {
    /// The values of every header named `name` (case-insensitive), in order.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.header_values(name).next()
    }
}

/// Where a request carried its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLocation {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
    Header,
    /// A presigned URL: `X-Amz-Algorithm`, `X-Amz-Credential`, … in the query string.
    Query,
}

/// A request's SigV4 authentication, parsed (by [`parse`]) but not yet verified: access key
/// id, credential scope (date, region, service), signed headers, signature, request date,
/// session token and, for a presigned URL, its lifetime.
///
/// Only [`parse`] makes one, so the credential always has its five parts and the date its
/// valid form. `Debug` does not show the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest<'a> {
    location: AuthLocation,
    /// `AKID/20150830/us-east-1/service/aws4_request`, trailing slashes removed.
    // INVARIANT: exactly five '/'-separated parts (checked by `parse`).
    credential: Cow<'a, str>,
    /// Where the credential's four slashes are: its parts are read on
    /// every request, several times, without splitting it again.
    slashes: [usize; 4],
    signed_headers: Cow<'a, str>,
    signature: Cow<'a, str>,
    /// The request date in Unix seconds, from `X-Amz-Date` (or the `Date` header).
    timestamp: i64,
    security_token: Option<Cow<'a, str>>,
    expires: Option<u32>,
    content_sha256: Option<Cow<'a, str>>,
}

impl fmt::Debug for SignedRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("location", &self.location)
            .field("credential", &self.credential)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .field("amz_date", &self.amz_date())
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "***"),
            )
            .field("expires", &self.expires)
            .field("content_sha256", &self.content_sha256)
            .finish()
    }
}

impl<'a> SignedRequest<'a> {
    /// Where the signature was carried.
    pub fn location(&self) -> AuthLocation {
        self.location
    }

    fn credential_part(&self, index: usize) -> &str {
        let start = match index {
            0 => 0,
            i => self.slashes[i - 1] + 1,
        };
        let end = self
            .slashes
            .get(index)
            .copied()
            .unwrap_or(self.credential.len());
        self.credential.get(start..end).unwrap_or("")
    }

    /// The access key id (`AKIA…` or `ASIA…`), to look the secret up with.
    pub fn access_key_id(&self) -> &str {
        self.credential_part(0)
    }

    /// The credential scope's date, `YYYYMMDD`.
    pub fn scope_date(&self) -> &str {
        self.credential_part(1)
    }

    /// The region the client signed for, e.g. `us-east-1`.
    pub fn region(&self) -> &str {
        self.credential_part(2)
    }

    /// The service the client signed for, e.g. `iam` or `sts`.
    pub fn service(&self) -> &str {
        self.credential_part(3)
    }

    /// The credential scope: `date/region/service/aws4_request`.
    pub fn scope(&self) -> &str {
        self.credential
            .split_once('/')
            .map_or("", |(_, scope)| scope)
    }

    /// The signed header names as the client listed them, `;`-separated.
    pub fn signed_headers(&self) -> &str {
        &self.signed_headers
    }

    /// The signature the client sent, in hex.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The request date, `YYYYMMDDTHHMMSSZ` (what the string to sign holds).
    pub fn amz_date(&self) -> String {
        format_amz_date(self.timestamp)
    }

    /// The request date in Unix seconds.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// `X-Amz-Security-Token`, present for temporary (`ASIA`) credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// A presigned URL's `X-Amz-Expires`, in seconds.
    pub fn expires(&self) -> Option<u32> {
        self.expires
    }

    /// `X-Amz-Content-Sha256`, if the client declared the payload hash.
    pub fn content_sha256(&self) -> Option<&str> {
        self.content_sha256.as_deref()
    }

    /// Checks the request date against `now`: within 15 minutes either way for header
    /// authentication and for a presigned URL without `X-Amz-Expires`; a presigned URL
    /// with `X-Amz-Expires` is good from 15 minutes before its date until that many seconds
    /// after it.
    ///
    /// AWS quirk, kept: IAM and STS report a stale date as `SignatureDoesNotMatch` with
    /// "Signature expired: …", not as `RequestExpired`.
    pub fn check_time(&self, now_epoch_seconds: i64) -> Result<(), AuthError> {
        let signed = self.timestamp;
        let window = match self.expires {
            Some(expires) if self.location == AuthLocation::Query => i64::from(expires),
            _ => MAX_CLOCK_SKEW_SECONDS,
        };
        if signed < now_epoch_seconds.saturating_sub(window) {
            return Err(AuthError::SignatureExpired(format!(
                "Signature expired: {} is now earlier than {} ({} - {}.)",
                format_amz_date(signed),
                format_amz_date(now_epoch_seconds.saturating_sub(window)),
                format_amz_date(now_epoch_seconds),
                duration_words(window)
            )));
        }
        if signed > now_epoch_seconds.saturating_add(MAX_CLOCK_SKEW_SECONDS) {
            return Err(AuthError::SignatureExpired(format!(
                "Signature not yet current: {} is still later than {} ({} + {}.)",
                format_amz_date(signed),
                format_amz_date(now_epoch_seconds.saturating_add(MAX_CLOCK_SKEW_SECONDS)),
                format_amz_date(now_epoch_seconds),
                duration_words(MAX_CLOCK_SKEW_SECONDS)
            )));
        }
        Ok(())
    }

    /// Checks the credential scope, in AWS's order and words: the region and service the
    /// server expects (`None` skips that check), the `aws4_request` terminator, and the
    /// scope date against the request date. [`verify`](crate::verify) always checks the
    /// last two; call this first to also pin region and service and to get AWS's combined
    /// message when several parts are wrong.
    pub fn check_scope(
        &self,
        region: Option<&str>,
        service: Option<&str>,
    ) -> Result<(), AuthError> {
        let mut message = String::new();
        if let Some(region) = region {
            if self.region() != region {
                message.push_str(&format!(
                    "Credential should be scoped to a valid region, not '{}'. ",
                    self.region()
                ));
            }
        }
        if let Some(service) = service {
            if self.service() != service {
                message.push_str(&format!(
                    "Credential should be scoped to correct service: '{service}'. "
                ));
            }
        }
        let terminator = self.credential_part(4);
        if terminator != "aws4_request" {
            message.push_str(&format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
            ));
        }
        let amz_date = self.amz_date();
        let date = amz_date.get(..8).unwrap_or("");
        if self.scope_date() != date {
            message.push_str(&format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{date}', from '{amz_date}'.",
                self.scope_date()
            ));
        }
        if message.is_empty() {
            Ok(())
        } else {
            Err(AuthError::InvalidSignature(message))
        }
    }
}

/// "15 min" or "3601 sec", as AWS words the window in its expiry messages.
fn duration_words(seconds: i64) -> String {
    if seconds % 60 == 0 {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} sec")
    }
}

/// A query parameter's decoded value: borrowed when it needed no decoding.
fn decode(value: &str) -> Cow<'_, str> {
    percent_decode_str(value).decode_utf8_lossy()
}

/// The SigV4 query parameters of a request, decoded.
#[derive(Default)]
struct QueryAuth<'a> {
    algorithm: Option<Cow<'a, str>>,
    credential: Option<Cow<'a, str>>,
    signature: Option<Cow<'a, str>>,
    signed_headers: Option<Cow<'a, str>>,
    date: Option<Cow<'a, str>>,
    expires: Option<Cow<'a, str>>,
    tokens: Vec<Cow<'a, str>>,
    content_sha256: Option<Cow<'a, str>>,
}

impl<'a> QueryAuth<'a> {
    fn read(raw_query: &'a str) -> Self {
        let mut q = Self::default();
        for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name);
            // Names are matched exactly, as AWS does: `x-amz-credential` is an ordinary
            // parameter.
            let slot = match name.as_ref() {
                "X-Amz-Algorithm" => &mut q.algorithm,
                "X-Amz-Credential" => &mut q.credential,
                "X-Amz-Signature" => &mut q.signature,
                "X-Amz-SignedHeaders" => &mut q.signed_headers,
                "X-Amz-Date" => &mut q.date,
                "X-Amz-Expires" => &mut q.expires,
                "X-Amz-Content-Sha256" => &mut q.content_sha256,
                "X-Amz-Security-Token" => {
                    q.tokens.push(decode(value));
                    continue;
                }
                _ => continue,
            };
            // The first occurrence wins; a repeated parameter is part of the canonical query
            // anyway, so the signature covers it.
            if slot.is_none() {
                *slot = Some(decode(value));
            }
        }
        q
    }
}

/// Reads the `Authorization` header or the presigned query of `req`.
///
/// `Ok(None)` means the request is unsigned (anonymous): no `Authorization` header and no
/// `X-Amz-Algorithm` query parameter. The checks follow the order in which AWS reports them:
/// header and query both present; another `Authorization` scheme; missing parts; the date's
/// form; (AWS checks the date's age here;) `host` signed; the algorithm; the credential's five
/// parts. Nothing here needs the
/// clock or the secret: see [`SignedRequest::check_time`], [`SignedRequest::check_scope`] and
/// [`verify`](crate::verify).
pub fn parse<'a>(req: &HttpRequest<'a>) -> Result<Option<SignedRequest<'a>>, AuthError> {
    let mut authorizations = req.header_values("authorization");
    let authorization = authorizations.next();
    if authorizations.next().is_some() {
        // ironiam's own wording: AWS's front end never sees two, as its proxies join them.
        return Err(AuthError::IncompleteSignature(
            "Found more than one 'Authorization' header.".to_owned(),
        ));
    }
    let query = QueryAuth::read(req.query);
    match (authorization, query.algorithm.is_some()) {
        (Some(_), true) => Err(AuthError::InvalidSignature(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
                .to_owned(),
        )),
        (None, false) => Ok(None),
        (Some(header), false) => parse_header(req, header).map(Some),
        (None, true) => parse_query(query).map(Some),
    }
}

fn parse_header<'a>(
    req: &HttpRequest<'a>,
    header: &'a str,
) -> Result<SignedRequest<'a>, AuthError> {
    let trimmed = header.trim();
    if !trimmed.starts_with("AWS4-") {
        return Err(AuthError::MissingAuthenticationToken);
    }
    let (algorithm, rest) = trimmed.split_once([' ', '\t']).unwrap_or((trimmed, ""));

    // AWS splits the parameters on commas and spaces alike, so "Credential= AKID/…" is
    // reported as "'AKID/…' not a valid key=value pair".
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for token in parameters(rest) {
        let Some((key, value)) = token.split_once('=') else {
            return Err(AuthError::IncompleteSignature(format!(
                "'{token}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let amz_date = req.header("x-amz-date");
    let http_date = req.header("date");

    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_none_or(str::is_empty) {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if amz_date.is_none() && http_date.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    if !missing.is_empty() {
        missing.push_str("Authorization=");
        missing.push_str(header);
        return Err(AuthError::IncompleteSignature(missing));
    }

    let timestamp = match (amz_date, http_date) {
        (Some(d), _) => parse_amz_date(d.trim()).ok_or_else(|| bad_date(d))?,
        (None, Some(d)) => parse_http_date(d).ok_or_else(|| bad_date(d))?,
        (None, None) => return Err(bad_date("")),
    };
    let signed_headers = signed_headers.unwrap_or_default();
    check_host_signed(signed_headers)?;
    check_algorithm(algorithm)?;
    let (credential, slashes) = credential_parts(credential.unwrap_or_default())?;

    let mut tokens = req.header_values("x-amz-security-token");
    let security_token = tokens.next();
    if tokens.any(|t| Some(t) != security_token) {
        return Err(conflicting_tokens());
    }
    Ok(SignedRequest {
        location: AuthLocation::Header,
        credential: Cow::Borrowed(credential),
        slashes,
        signed_headers: Cow::Borrowed(signed_headers),
        signature: Cow::Borrowed(signature.unwrap_or_default()),
        timestamp,
        security_token: security_token.map(|t| Cow::Borrowed(t.trim())),
        expires: None,
        content_sha256: req
            .header("x-amz-content-sha256")
            .map(|h| Cow::Borrowed(h.trim())),
    })
}

/// The Authorization header's parameters: what lies between commas, spaces
/// and tabs, empty pieces skipped. The separators are looked for eight
/// bytes at a time (splitting on a set of chars decoded the header char by
/// char: a tenth of a request's instructions).
fn parameters(rest: &str) -> impl Iterator<Item = &str> {
    let bytes = rest.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || loop {
        if at >= bytes.len() {
            return None;
        }
        let end = next_separator(bytes, at);
        // The separators are ASCII, so both ends are char boundaries.
        let token = rest.get(at..end).unwrap_or_default();
        at = end + 1;
        if !token.is_empty() {
            return Some(token);
        }
    })
}

/// Where the first `,`, space or tab at or after `from` is (`bytes.len()` if none).
fn next_separator(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Whether any byte of `word` is `byte` (the classic zero-byte test).
    let has = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGHS != 0
    };
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let word = u64::from_ne_bytes(chunk.try_into().unwrap_or_default());
        if has(word, b',') || has(word, b' ') || has(word, b'\t') {
            break;
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|&b| matches!(b, b',' | b' ' | b'\t'))
        .map_or(bytes.len(), |p| i + p)
}

fn parse_query<'a>(mut q: QueryAuth<'a>) -> Result<SignedRequest<'a>, AuthError> {
    let mut missing = String::new();
    for (name, value) in [
        ("X-Amz-Algorithm", &q.algorithm),
        ("X-Amz-Credential", &q.credential),
        ("X-Amz-Signature", &q.signature),
        ("X-Amz-SignedHeaders", &q.signed_headers),
        ("X-Amz-Date", &q.date),
    ] {
        if value.as_deref().is_none_or(str::is_empty) {
            missing.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    if !missing.is_empty() {
        missing.push_str("Re-examine the query-string parameters.");
        return Err(AuthError::IncompleteSignature(missing));
    }
    let date = q.date.unwrap_or_default();
    let timestamp = parse_amz_date(&date).ok_or_else(|| bad_date(&date))?;
    let signed_headers = q.signed_headers.unwrap_or_default();
    check_host_signed(&signed_headers)?;
    check_algorithm(q.algorithm.as_deref().unwrap_or_default())?;
    let expires = match q.expires.as_deref() {
        None => None,
        Some(e) => Some(parse_expires(e)?),
    };
    let (credential, slashes) = match q.credential.unwrap_or_default() {
        Cow::Borrowed(c) => {
            let (c, slashes) = credential_parts(c)?;
            (Cow::Borrowed(c), slashes)
        }
        Cow::Owned(c) => {
            let (c, slashes) = credential_parts(&c)?;
            (Cow::Owned(c.to_owned()), slashes)
        }
    };
    let security_token = if q.tokens.is_empty() {
        None
    } else {
        Some(q.tokens.swap_remove(0))
    };
    if q.tokens.iter().any(|t| Some(t) != security_token.as_ref()) {
        return Err(conflicting_tokens());
    }
    Ok(SignedRequest {
        location: AuthLocation::Query,
        credential,
        slashes,
        signed_headers,
        signature: q.signature.unwrap_or_default(),
        timestamp,
        security_token,
        expires,
        content_sha256: q.content_sha256,
    })
}

fn bad_date(got: &str) -> AuthError {
    AuthError::IncompleteSignature(format!(
        "Date must be in ISO-8601 'basic format'. Got '{got}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

fn check_host_signed(signed_headers: &str) -> Result<(), AuthError> {
    if signed_headers
        .split(';')
        .any(|h| h.eq_ignore_ascii_case("host"))
    {
        Ok(())
    } else {
        Err(AuthError::InvalidSignature(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ))
    }
}

fn check_algorithm(algorithm: &str) -> Result<(), AuthError> {
    if algorithm == ALGORITHM {
        Ok(())
    } else {
        Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
        )))
    }
}

/// The credential without trailing slashes (AWS ignores them), and where
/// its four slashes are, if it has exactly five parts.
fn credential_parts(credential: &str) -> Result<(&str, [usize; 4]), AuthError> {
    let trimmed = credential.trim_end_matches('/');
    let mut slashes = [0; 4];
    let mut found = 0;
    for (i, _) in trimmed.match_indices('/') {
        if found == slashes.len() {
            found += 1;
            break;
        }
        slashes[found] = i;
        found += 1;
    }
    if found == slashes.len() {
        Ok((trimmed, slashes))
    } else {
        Err(AuthError::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )))
    }
}

/// `X-Amz-Expires`, in S3's words when it is not a number of seconds up to a week.
fn parse_expires(value: &str) -> Result<u32, AuthError> {
    if value.starts_with('-') && value.len() > 1 && value[1..].bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::IncompleteSignature(
            "X-Amz-Expires must be non-negative".to_owned(),
        ));
    }
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::IncompleteSignature(
            "X-Amz-Expires should be a number".to_owned(),
        ));
    }
    match value.parse::<u32>() {
        Ok(n) if n <= MAX_PRESIGNED_EXPIRES_SECONDS => Ok(n),
        _ => Err(AuthError::IncompleteSignature(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800".to_owned(),
        )),
    }
}

fn conflicting_tokens() -> AuthError {
    // ironiam's own wording: which of two different tokens the client meant is unknowable.
    AuthError::IncompleteSignature(
        "Found more than one different 'X-Amz-Security-Token'.".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::parameters;
    use proptest::prelude::*;

    proptest! {
        /// The word-at-a-time split finds what a plain split on the same
        /// separators finds, wherever they fall against word boundaries.
        #[test]
        fn parameters_split_as_str_split_does(rest in "[a-zA-Z0-9=/;,\\t é-]{0,80}") {
            let plain: Vec<&str> = rest.split([',', ' ', '\t']).filter(|t| !t.is_empty()).collect();
            prop_assert_eq!(parameters(&rest).collect::<Vec<_>>(), plain);
        }
    }

    #[test]
    fn parameters_of_an_sdk_header() {
        let rest = "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date,\tSignature=abc";
        assert_eq!(
            parameters(rest).collect::<Vec<_>>(),
            [
                "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
                "SignedHeaders=host;x-amz-date",
                "Signature=abc"
            ]
        );
    }
}
