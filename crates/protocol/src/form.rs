//! `application/x-www-form-urlencoded` parsing, strict where AWS is.
//!
//! AWS SDKs POST the parameters as a form body (`Action=CreateRole&RoleName=r&...`);
//! presigned requests (STS `GetCallerIdentity` for Vault-style login) put the same
//! parameters in the query string. Both go through [`parse_form`].
//!
//! The `form_urlencoded` crate is lenient: it keeps a `%` that is not followed by two hex
//! digits and replaces bytes that are not UTF-8 with U+FFFD. A request signed over those
//! bytes would then be read as something else than what was signed, so ironiam refuses
//! both with `MalformedQueryString` instead.

use crate::error::QueryError;

/// Splits a form body or query string into `(name, value)` pairs, percent-decoded, in the
/// order sent.
///
/// `+` decodes to a space, as in every form body an SDK sends. Empty segments (`a=1&&b=2`)
/// are skipped; a segment without `=` is a name with an empty value (AWS clients send
/// `Tags=` for an empty list).
///
/// # Errors
///
/// [`QueryError::MalformedQueryString`] when a `%` is not followed by two hex digits, or a
/// name or value is not UTF-8 once decoded.
pub fn parse_form(bytes: &[u8]) -> Result<Vec<(String, String)>, QueryError> {
    let mut pairs = Vec::with_capacity(bytes.iter().filter(|&&b| b == b'&').count() + 1);
    let mut offset = 0;
    for segment in bytes.split(|&b| b == b'&') {
        let start = offset;
        offset += segment.len() + 1;
        if segment.is_empty() {
            continue;
        }
        let (name, value, value_start) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..], start + eq + 1),
            None => (segment, &segment[segment.len()..], start + segment.len()),
        };
        pairs.push((decode(name, start)?, decode(value, value_start)?));
    }
    Ok(pairs)
}

/// Percent-decodes one name or value; `at` is its offset in the whole input, for messages.
fn decode(raw: &[u8], at: usize) -> Result<String, QueryError> {
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return match std::str::from_utf8(raw) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(not_utf8()),
        };
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' => {
                let hex = |j: usize| raw.get(j).and_then(|&b| (b as char).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(hi), Some(lo)) => {
                        // INVARIANT: hi and lo are hex digits, so the byte fits.
                        out.push((hi * 16 + lo) as u8);
                        i += 3;
                    }
                    _ => {
                        return Err(QueryError::MalformedQueryString {
                            reason: format!(
                                "The query string has an invalid percent-encoding at byte {}",
                                at + i
                            ),
                        })
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| not_utf8())
}

fn not_utf8() -> QueryError {
    QueryError::MalformedQueryString {
        reason: "The query string is not valid UTF-8 once percent-decoded".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn decodes_sdk_bodies() {
        let got = parse_form(
            b"Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%22a%22%3A+1%7D&Tags=",
        )
        .unwrap();
        assert_eq!(
            got,
            pairs(&[
                ("Action", "CreateRole"),
                ("Version", "2010-05-08"),
                ("RoleName", "r"),
                ("AssumeRolePolicyDocument", "{\"a\": 1}"),
                ("Tags", ""),
            ])
        );
    }

    #[test]
    fn edge_cases() {
        assert_eq!(parse_form(b"").unwrap(), vec![]);
        assert_eq!(
            parse_form(b"&&a&b=&=c").unwrap(),
            pairs(&[("a", ""), ("b", ""), ("", "c")])
        );
        assert_eq!(parse_form(b"a=b=c").unwrap(), pairs(&[("a", "b=c")]));
        assert_eq!(
            parse_form("n=é%C3%A9".as_bytes()).unwrap(),
            pairs(&[("n", "éé")])
        );
        assert_eq!(parse_form(b"n=%2b%2B+").unwrap(), pairs(&[("n", "++ ")]));
    }

    #[test]
    fn bad_percent_encoding() {
        for bad in [&b"a=%zz"[..], b"a=%", b"a=%4", b"a%=b", b"a=1&b=%g1"] {
            let err = parse_form(bad).unwrap_err();
            assert_eq!(err.code(), "MalformedQueryString", "{:?}", bad);
            assert_eq!(err.status(), 400);
        }
        assert_eq!(
            parse_form(b"a=1&b=%zz").unwrap_err().message(),
            "The query string has an invalid percent-encoding at byte 6"
        );
    }

    #[test]
    fn invalid_utf8() {
        for bad in [&b"a=%FF"[..], b"a=\xff", b"%C3=1", b"a=%C3%28"] {
            let err = parse_form(bad).unwrap_err();
            assert_eq!(err.code(), "MalformedQueryString", "{:?}", bad);
        }
    }
}
