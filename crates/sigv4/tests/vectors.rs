//! AWS's published SigV4 test suite (see `tests/vectors/README.md`): for every request, the
//! canonical request, the string to sign, the `Authorization` header `sign` produces, and
//! `verify` accepting it; then the signed requests of the newer suite, header and presigned.

use std::fs;
use std::path::{Path, PathBuf};

use ironiam_sigv4::{
    canonical_request, parse, sign, string_to_sign, verify, AuthError, AuthLocation, HttpRequest,
    Secret, SigningParams,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z, the suite's signing time.
const NOW: i64 = 1_440_938_160;
const SCOPE: &str = "20150830/us-east-1/service/aws4_request";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// A request parsed from the suite's HTTP/1.1 text.
struct Raw {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    /// Reads `METHOD target HTTP/1.1`, `Name:value` lines and the body after an empty line.
    /// A line starting with whitespace continues the previous header; it is taken as another
    /// value of that header, which is how the suite's canonical request treats it
    /// (`get-header-value-multiline`).
    fn parse(text: &str) -> Self {
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let request_line = lines.next().unwrap();
        let (method, rest) = request_line.split_once(' ').unwrap();
        let target = rest.strip_suffix(" HTTP/1.1").unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let name = headers.last().unwrap().0.clone();
                headers.push((name, line.to_owned()));
            } else {
                let (name, value) = line.split_once(':').unwrap();
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn check<T>(&self, f: impl FnOnce(&HttpRequest<'_>) -> T) -> T {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let req = HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        f(&req)
    }
}

fn verify_at(req: &HttpRequest<'_>, now: i64) -> Result<AuthLocation, AuthError> {
    let signed = parse(req)?.ok_or(AuthError::MissingAuthenticationToken)?;
    signed.check_scope(Some("us-east-1"), Some("service"))?;
    verify(req, &signed, &Secret::new(SECRET), now)?;
    Ok(signed.location())
}

/// Flips the last hex digit of the signature in `text`.
fn tamper(text: &str) -> String {
    let at = text.rfind("Signature=").unwrap() + "Signature=".len() + 63;
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    String::from_utf8(bytes).unwrap()
}

/// Every test of the legacy suite: `<dir>/<name>/<name>.{req,creq,sts,authz}`.
fn legacy_cases() -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_str().unwrap().to_owned();
                if path.join(format!("{name}.req")).exists() {
                    out.push((name, path.clone()));
                }
                walk(&path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&vectors().join("aws-sig-v4-test-suite"), &mut out);
    out.sort();
    out
}

#[test]
fn legacy_suite_canonical_request_string_to_sign_signature_and_verify() {
    let cases = legacy_cases();
    assert_eq!(cases.len(), 31, "every vendored vector is found");
    let secret = Secret::new(SECRET);
    let params = SigningParams {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: &secret,
        region: "us-east-1",
        service: "service",
    };
    for (name, dir) in cases {
        let read = |ext: &str| fs::read_to_string(dir.join(format!("{name}.{ext}"))).unwrap();
        let (req_text, creq, sts, authz) = (read("req"), read("creq"), read("sts"), read("authz"));
        let raw = Raw::parse(&req_text);
        let signed_headers = creq.lines().nth_back(1).unwrap();
        let payload = creq.lines().last().unwrap();

        raw.check(|req| {
            let got = canonical_request(req, signed_headers, payload, false);
            assert_eq!(got, creq, "{name}: canonical request");
            assert_eq!(
                string_to_sign("20150830T123600Z", SCOPE, &got),
                sts,
                "{name}: string to sign"
            );
            assert_eq!(
                sign(req, &params).unwrap(),
                authz,
                "{name}: Authorization header"
            );
        });
        raw.check(|req| {
            assert_eq!(
                verify_at(req, NOW),
                Err(AuthError::MissingAuthenticationToken),
                "{name}: unsigned"
            )
        });

        let signed = Raw::parse(&req_text).with_header("Authorization", &authz);
        signed.check(|req| {
            assert_eq!(
                verify_at(req, NOW),
                Ok(AuthLocation::Header),
                "{name}: verify"
            )
        });
        // Within the 15-minute skew, either way.
        signed.check(|req| {
            assert!(
                verify_at(req, NOW + 900).is_ok() && verify_at(req, NOW - 900).is_ok(),
                "{name}: skew"
            )
        });

        let forged = Raw::parse(&req_text).with_header("Authorization", &tamper(&authz));
        forged.check(|req| {
            assert_eq!(
                verify_at(req, NOW),
                Err(AuthError::SignatureDoesNotMatch),
                "{name}: tampered"
            )
        });
    }
}

#[test]
fn legacy_suite_token_added_after_signing_verifies() {
    // post-sts-header-after: X-Amz-Security-Token is sent but was not signed, which AWS allows.
    let dir = vectors().join("aws-sig-v4-test-suite/post-sts-token/post-sts-header-after");
    let raw = Raw::parse(&fs::read_to_string(dir.join("post-sts-header-after.sreq")).unwrap());
    raw.check(|req| {
        assert_eq!(verify_at(req, NOW), Ok(AuthLocation::Header));
        let signed = parse(req).unwrap().unwrap();
        assert!(signed
            .security_token()
            .unwrap()
            .starts_with("AQoDYXdzEPT//////////wEXAMPLE"));
        assert_eq!(signed.signed_headers(), "host;x-amz-date");
    });
}

#[test]
fn legacy_suite_body_is_signed() {
    // post-x-www-form-urlencoded with another body: the signature no longer matches.
    let dir = vectors().join("aws-sig-v4-test-suite/post-x-www-form-urlencoded");
    let text = fs::read_to_string(dir.join("post-x-www-form-urlencoded.req")).unwrap();
    let authz = fs::read_to_string(dir.join("post-x-www-form-urlencoded.authz")).unwrap();
    let raw = Raw::parse(&text.replace("Param1=value1", "Param1=value2"))
        .with_header("Authorization", &authz);
    raw.check(|req| assert_eq!(verify_at(req, NOW), Err(AuthError::SignatureDoesNotMatch)));
}

/// The newer suite's signed requests: `<name>/{header,query}-signed-request.txt`.
#[test]
fn signing_suite_signed_requests_verify() {
    let root = vectors().join("aws-signing-test-suite/v4");
    let mut checked = 0;
    let mut names: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for dir in names {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        for (file, location) in [
            ("header-signed-request.txt", AuthLocation::Header),
            ("query-signed-request.txt", AuthLocation::Query),
        ] {
            let Ok(text) = fs::read_to_string(dir.join(file)) else {
                continue;
            };
            let raw = Raw::parse(&text);
            raw.check(|req| assert_eq!(verify_at(req, NOW), Ok(location), "{name}/{file}"));
            Raw::parse(&tamper(&text)).check(|req| {
                assert_eq!(
                    verify_at(req, NOW),
                    Err(AuthError::SignatureDoesNotMatch),
                    "{name}/{file}: tampered"
                )
            });
            if location == AuthLocation::Query {
                // X-Amz-Expires=3600: good for an hour, not a second more.
                raw.check(|req| assert!(verify_at(req, NOW + 3600).is_ok(), "{name}: last second"));
                raw.check(|req| {
                    let err = verify_at(req, NOW + 3601).unwrap_err();
                    assert_eq!(err.code(), "SignatureDoesNotMatch");
                    assert_eq!(
                        err.message(),
                        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T133601Z - 60 min.)"
                    );
                });
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 19);
}

#[test]
fn signing_suite_query_plus_is_a_literal_plus() {
    let dir = vectors().join("aws-signing-test-suite/v4/get-query-plus");
    let creq = fs::read_to_string(dir.join("header-canonical-request.txt")).unwrap();
    let raw = Raw::parse(&fs::read_to_string(dir.join("header-signed-request.txt")).unwrap());
    raw.check(|req| {
        assert_eq!(
            canonical_request(req, "host;x-amz-date", EMPTY_SHA256, false),
            creq.trim_end()
        );
    });
}
