//! The canonical request and the string to sign, exactly as AWS's SigV4 specification and
//! published test suite define them for every service except S3.

use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::request::HttpRequest;

/// Characters SigV4 leaves unencoded: RFC 3986's unreserved set. Everything else, `/` inside a
/// query value and `%` itself included, becomes `%XX` with upper-case hex.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The only algorithm SigV4 has.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// URI-encodes bytes the SigV4 way.
pub(crate) fn uri_encode(bytes: &[u8]) -> String {
    percent_encode(bytes, UNRESERVED).to_string()
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The canonical URI of a path as sent on the wire, for services other than S3.
///
/// AWS quirk, on purpose: the path is normalised (empty and `.` segments dropped, `..`
/// removes the previous segment, RFC 3986 §5.2.4) and then every segment is URI-encoded
/// *again*, so a `%20` on the wire is `%2520` in the canonical request. SDKs sign the path
/// this way for every service but S3 ("double encoding"); the test suite's `.req` files hold
/// the path before its first encoding, which is why `get-space` expects `%20`.
pub fn canonical_uri(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    // A path that ends in a directory (`/`, `/.`, `/..`) keeps its final slash.
    let directory =
        raw_path.ends_with('/') || raw_path.ends_with("/.") || raw_path.ends_with("/..");
    let mut uri = String::with_capacity(raw_path.len() + 8);
    for segment in &segments {
        uri.push('/');
        uri.push_str(&uri_encode(segment.as_bytes()));
    }
    if uri.is_empty() || directory {
        uri.push('/');
    }
    uri
}

/// Splits a raw query string into percent-decoded `(name, value)` byte pairs, in order.
/// A `+` is a literal plus sign, as SDKs sign it (the `get-query-plus` vector), not a space.
pub(crate) fn query_pairs(raw_query: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    raw_query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (
            percent_decode_str(name).collect(),
            percent_decode_str(value).collect(),
        )
    })
}

/// The canonical query string: every parameter decoded and re-encoded, sorted by name and
/// then value. `exclude_signature` drops `X-Amz-Signature`, which a presigned URL carries
/// but cannot sign.
pub fn canonical_query(raw_query: &str, exclude_signature: bool) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(raw_query)
        .filter(|(name, _)| !(exclude_signature && name == b"X-Amz-Signature"))
        .map(|(name, value)| (uri_encode(&name), uri_encode(&value)))
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Trims a header value and collapses each run of spaces or tabs into one space.
fn push_trimmed(out: &mut String, value: &str) {
    let mut pending_space = false;
    for c in value
        .trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n')
        .chars()
    {
        if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
            pending_space = true;
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
}

/// The canonical headers block: one `name:value\n` line per signed header, in the order the
/// client listed them, values of repeated headers joined by commas in the order received.
/// A signed header the request lacks contributes `name:` (the signature will then not match
/// unless the client signed it empty).
pub fn canonical_headers(headers: &[(&str, &str)], signed_headers: &str) -> String {
    let mut out = String::with_capacity(256);
    for name in signed_headers.split(';') {
        out.extend(name.chars().map(|c| c.to_ascii_lowercase()));
        out.push(':');
        let mut first = true;
        for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
            if !first {
                out.push(',');
            }
            first = false;
            push_trimmed(&mut out, value);
        }
        out.push('\n');
    }
    out
}

/// The canonical request: method, canonical URI, canonical query, canonical headers, signed
/// headers and payload hash, one per line.
pub fn canonical_request(
    req: &HttpRequest<'_>,
    signed_headers: &str,
    payload_hash: &str,
    presigned: bool,
) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        canonical_uri(req.path),
        canonical_query(req.query, presigned),
        canonical_headers(req.headers, signed_headers),
        signed_headers,
        payload_hash
    )
}

/// The string to sign: algorithm, request date, credential scope and the canonical
/// request's hash.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_normalisation() {
        for (raw, want) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/a/b/../c", "/a/c"),
            ("/a/b/..", "/a/"),
            ("/../../a", "/a"),
            ("/example space/", "/example%20space/"),
            ("/ሴ", "/%E1%88%B4"),
            ("/example%20space", "/example%2520space"),
            (
                "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            ),
        ] {
            assert_eq!(canonical_uri(raw), want, "{raw}");
        }
    }

    #[test]
    fn query_canonicalisation() {
        assert_eq!(
            canonical_query("Param2=value2&Param1=value1", false),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(
            canonical_query("Param1=value2&Param1=Value1", false),
            "Param1=Value1&Param1=value2"
        );
        assert_eq!(canonical_query("ሴ=bar", false), "%E1%88%B4=bar");
        assert_eq!(canonical_query("%e1%88%b4=bar", false), "%E1%88%B4=bar");
        assert_eq!(canonical_query("c+d", false), "c%2Bd=");
        assert_eq!(canonical_query("a=b%20c&&x", false), "a=b%20c&x=");
        assert_eq!(canonical_query("X-Amz-Signature=abc&a=1", true), "a=1");
        assert_eq!(
            canonical_query("X-Amz-Signature=abc&a=1", false),
            "X-Amz-Signature=abc&a=1"
        );
        assert_eq!(canonical_query("", false), "");
    }

    #[test]
    fn header_canonicalisation() {
        let headers = [
            ("Host", "example.amazonaws.com"),
            ("My-Header1", "  a   b \t c "),
            ("my-header1", "d"),
        ];
        assert_eq!(
            canonical_headers(&headers, "host;my-header1;x-missing"),
            "host:example.amazonaws.com\nmy-header1:a b c,d\nx-missing:\n"
        );
    }
}
