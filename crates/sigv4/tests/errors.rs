//! Every `AuthError` from a crafted request, with AWS's code, status and exact message. The
//! quoted messages are AWS's own, from the responses cited in `crates/sigv4/README.md`.

use ironiam_sigv4::{
    amz_date, parse, presign, sign, verify, AuthError, HttpRequest, Secret, SignedRequest,
    SigningKeyCache, SigningParams,
};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// 2022-01-27T01:59:28Z, the server time of the aws-cli report quoted below.
const NOW: i64 = 1_643_248_768;
const BODY: &[u8] = b"Action=GetCallerIdentity&Version=2011-06-15";

/// An STS request as botocore sends it, signed at `signed_at`.
struct Sts {
    headers: Vec<(String, String)>,
    query: String,
    body: Vec<u8>,
}

impl Sts {
    fn signed_at(signed_at: i64) -> Self {
        let mut s = Self {
            headers: vec![
                ("Host".into(), "sts.amazonaws.com".into()),
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded; charset=utf-8".into(),
                ),
                ("X-Amz-Date".into(), amz_date(signed_at)),
            ],
            query: String::new(),
            body: BODY.to_vec(),
        };
        let secret = Secret::new(SECRET);
        let params = SigningParams {
            access_key_id: AKID,
            secret_access_key: &secret,
            region: "us-east-1",
            service: "sts",
        };
        let authorization = s.with(|req| sign(req, &params)).unwrap();
        s.headers.push(("Authorization".into(), authorization));
        s
    }

    fn unsigned() -> Self {
        Self {
            headers: vec![("Host".into(), "sts.amazonaws.com".into())],
            query: String::new(),
            body: BODY.to_vec(),
        }
    }

    /// The `Authorization` header it carries.
    fn authorization(&self) -> String {
        self.headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .unwrap()
            .1
            .clone()
    }

    fn set(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    fn query(mut self, query: &str) -> Self {
        self.query = query.into();
        self
    }

    fn body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }

    fn with<T>(&self, f: impl FnOnce(&HttpRequest<'_>) -> T) -> T {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        f(&HttpRequest {
            method: "POST",
            path: "/",
            query: &self.query,
            headers: &headers,
            body: &self.body,
        })
    }

    /// The whole check, in the order a server runs it.
    fn authenticate(&self, now: i64) -> Result<(), AuthError> {
        self.with(|req| {
            let signed = parse(req)?.ok_or(AuthError::MissingAuthenticationToken)?;
            signed.check_time(now)?;
            signed.check_scope(Some("us-east-1"), Some("sts"))?;
            if signed.access_key_id() != AKID {
                return Err(AuthError::InvalidClientTokenId);
            }
            verify(req, &signed, &Secret::new(SECRET), now)
        })
    }

    fn parse_err(&self) -> AuthError {
        self.with(|req| parse(req).map(|_| ())).unwrap_err()
    }
}

fn assert_error(err: AuthError, code: &str, status: u16, message: &str) {
    assert_eq!(
        (err.code(), err.http_status(), err.message().as_str()),
        (code, status, message)
    );
}

#[test]
fn a_signed_request_verifies() {
    assert_eq!(Sts::signed_at(NOW).authenticate(NOW), Ok(()));
}

#[test]
fn missing_authentication_token() {
    // No credentials: anonymous, which the caller refuses with AWS's words.
    assert!(Sts::unsigned()
        .with(|req| parse(req).map(|s| s.is_none()))
        .unwrap());
    assert_error(
        Sts::unsigned().authenticate(NOW).unwrap_err(),
        "MissingAuthenticationToken",
        403,
        "Request is missing Authentication Token",
    );
    // Another scheme is not a SigV4 signature either.
    for scheme in [
        "Bearer eyJhbGciOi",
        "Basic ZWxhc3RpYw==",
        "AWS AKIAI2HBJEUM7LRSTWOQ:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=",
    ] {
        let err = Sts::unsigned().set("Authorization", scheme).parse_err();
        assert_eq!(err, AuthError::MissingAuthenticationToken, "{scheme}");
    }
}

#[test]
fn incomplete_signature_missing_parameters() {
    // SES's answer to exactly this header.
    let err = Sts::unsigned()
        .set("X-Amz-Date", "20160920T150442Z")
        .set("Authorization", "AWS4-HMAC-SHA256 Credential=ABCDEF")
        .parse_err();
    assert_error(
        err,
        "IncompleteSignature",
        400,
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=ABCDEF",
    );
    // Nothing at all, and no date.
    let err = Sts::unsigned()
        .set("Authorization", "AWS4-HMAC-SHA256")
        .parse_err();
    assert_error(
        err,
        "IncompleteSignature",
        400,
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. \
         Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a \
         'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256",
    );
}

#[test]
fn incomplete_signature_missing_equal_sign() {
    // A space after "Credential=", as in boto3 issue 2280.
    let header =
        "AWS4-HMAC-SHA256 Credential= AKIA3E3TXYEALSHHLVWT/20200122/us-east-1/sts/aws4_request, \
                  SignedHeaders=content-type;host;x-amz-date, \
                  Signature=cbeed485aed23c03ded6f1ffdefda822d8e22f92ced62d2854947378da569a8e";
    let err = Sts::signed_at(NOW).set("Authorization", header).parse_err();
    assert_error(
        err,
        "IncompleteSignature",
        400,
        &format!("'AKIA3E3TXYEALSHHLVWT/20200122/us-east-1/sts/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."),
    );
}

#[test]
fn incomplete_signature_bad_date_algorithm_and_credential() {
    let err = Sts::signed_at(NOW)
        .set("X-Amz-Date", "zzzzzzzzz")
        .parse_err();
    assert_error(
        err,
        "IncompleteSignature",
        400,
        "Date must be in ISO-8601 'basic format'. Got 'zzzzzzzzz'. See http://en.wikipedia.org/wiki/ISO_8601",
    );

    let header = Sts::signed_at(NOW).authorization();
    let err = Sts::signed_at(NOW)
        .set(
            "Authorization",
            &header.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
        )
        .parse_err();
    assert_error(
        err,
        "IncompleteSignature",
        400,
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
    );

    // An access key id with a slash, as in aws-iam-authenticator issue 374.
    let err = Sts::signed_at(NOW)
        .set("Authorization", &header.replace(AKID, "foo/bar"))
        .parse_err();
    let got = format!("foo/bar/{}/us-east-1/sts/aws4_request", &amz_date(NOW)[..8]);
    assert_error(
        err,
        "IncompleteSignature",
        400,
        &format!("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{got}'"),
    );
}

#[test]
fn incomplete_signature_presigned() {
    let err = Sts::unsigned()
        .query(
            "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z",
        )
        .parse_err();
    assert_error(
        err,
        "IncompleteSignature",
        400,
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include \
         'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
    );
    let presigned = |expires: &str| {
        Sts::unsigned()
            .query(&format!(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AKID}%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
                 &X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires={expires}&X-Amz-Signature=00"
            ))
            .parse_err()
            .message()
    };
    assert_eq!(
        presigned("604801"),
        "X-Amz-Expires must be less than a week (in seconds) that is 604800"
    );
    assert_eq!(presigned("-1"), "X-Amz-Expires must be non-negative");
    assert_eq!(presigned("soon"), "X-Amz-Expires should be a number");
}

#[test]
fn invalid_signature_messages() {
    // Header and query authentication at once.
    let err = Sts::signed_at(NOW)
        .query("X-Amz-Algorithm=AWS4-HMAC-SHA256")
        .parse_err();
    assert_error(
        err,
        "SignatureDoesNotMatch",
        403,
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    );

    // `host` not signed.
    let header = Sts::signed_at(NOW).authorization();
    let err = Sts::signed_at(NOW)
        .set(
            "Authorization",
            &header.replace("content-type;host;x-amz-date", "content-type;x-amz-date"),
        )
        .parse_err();
    assert_error(
        err,
        "SignatureDoesNotMatch",
        403,
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    );

    // Signed for another region, as in AWS.jl issue 565, and for another service.
    let day = &amz_date(NOW)[..8];
    let elsewhere = header.replace("/us-east-1/sts/", "/us-east-2/iam/");
    let err = Sts::signed_at(NOW)
        .set("Authorization", &elsewhere)
        .authenticate(NOW)
        .unwrap_err();
    assert_error(
        err,
        "SignatureDoesNotMatch",
        403,
        "Credential should be scoped to a valid region, not 'us-east-2'. Credential should be scoped to correct service: 'sts'. ",
    );

    // A scope date that is not the request's date, and a wrong terminator.
    let skewed = header
        .replace(&format!("/{day}/"), "/20220126/")
        .replace("aws4_request", "aws5_request");
    let err = Sts::signed_at(NOW)
        .set("Authorization", &skewed)
        .authenticate(NOW)
        .unwrap_err();
    assert_error(
        err,
        "SignatureDoesNotMatch",
        403,
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential \
         scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20220126' != '20220127', from '20220127T015928Z'.",
    );
    // `verify` checks date and terminator even when the caller skips `check_scope`.
    let req = Sts::signed_at(NOW).set("Authorization", &skewed);
    let err = req
        .with(|r| verify(r, &parse(r).unwrap().unwrap(), &Secret::new(SECRET), NOW))
        .unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert!(err
        .message()
        .starts_with("Credential should be scoped with a valid terminator"));
}

#[test]
fn payload_hash_must_match_the_body() {
    let mismatch = "The provided 'x-amz-content-sha256' header does not match what was computed.";
    let other = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let err = Sts::signed_at(NOW)
        .set("X-Amz-Content-Sha256", other)
        .authenticate(NOW)
        .unwrap_err();
    assert_error(err, "SignatureDoesNotMatch", 403, mismatch);
    // UNSIGNED-PAYLOAD would leave the operation in the body unsigned.
    let err = Sts::signed_at(NOW)
        .set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
        .authenticate(NOW)
        .unwrap_err();
    assert_error(err, "SignatureDoesNotMatch", 403, mismatch);
    // A body swapped under a valid signature.
    let err = Sts::signed_at(NOW)
        .body(b"Action=AssumeRole&Version=2011-06-15")
        .authenticate(NOW)
        .unwrap_err();
    assert_eq!(err, AuthError::SignatureDoesNotMatch);
}

#[test]
fn signature_expired_and_not_yet_current() {
    // aws-cli issue 6676, against STS: the same instants, the same words.
    let signed_at = NOW - 6301; // 20220127T001427Z
    assert_eq!(amz_date(signed_at), "20220127T001427Z");
    let err = Sts::signed_at(signed_at).authenticate(NOW).unwrap_err();
    assert_error(
        err,
        "SignatureDoesNotMatch",
        403,
        "Signature expired: 20220127T001427Z is now earlier than 20220127T014428Z (20220127T015928Z - 15 min.)",
    );
    let err = Sts::signed_at(NOW + 15 * 60 + 14)
        .authenticate(NOW)
        .unwrap_err();
    assert_error(
        err,
        "SignatureDoesNotMatch",
        403,
        "Signature not yet current: 20220127T021442Z is still later than 20220127T021428Z (20220127T015928Z + 15 min.)",
    );
    // The edges of the window are inside it.
    assert_eq!(Sts::signed_at(NOW - 900).authenticate(NOW), Ok(()));
    assert_eq!(Sts::signed_at(NOW + 900).authenticate(NOW), Ok(()));
}

#[test]
fn signature_does_not_match() {
    let req = Sts::signed_at(NOW);
    let err = req
        .with(|r| {
            verify(
                r,
                &parse(r).unwrap().unwrap(),
                &Secret::new("not-the-secret"),
                NOW,
            )
        })
        .unwrap_err();
    assert_error(
        err,
        "SignatureDoesNotMatch",
        403,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access \
         Key and signing method. Consult the service documentation for details.",
    );
    // A signed header changed after signing.
    let err = Sts::signed_at(NOW)
        .set("Content-Type", "application/json")
        .authenticate(NOW)
        .unwrap_err();
    assert_eq!(err, AuthError::SignatureDoesNotMatch);
    // Too short, too long, upper-case: compared as sent, never a panic.
    for bad in ["", "00", &"A".repeat(64), &"0".repeat(65)] {
        let header = Sts::signed_at(NOW).authorization();
        let sig_at = header.find("Signature=").unwrap() + "Signature=".len();
        let forged = format!("{}{bad}", &header[..sig_at]);
        let result = Sts::signed_at(NOW)
            .set("Authorization", &forged)
            .authenticate(NOW);
        assert!(result.is_err(), "{bad}");
    }
}

#[test]
fn caller_raised_token_errors() {
    assert_error(
        AuthError::InvalidClientTokenId,
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
    );
    assert_error(
        AuthError::InvalidSecurityToken,
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid",
    );
    assert_error(
        AuthError::ExpiredToken,
        "ExpiredToken",
        403,
        "The security token included in the request is expired",
    );
    // The access key id a server looks up.
    let signed = Sts::signed_at(NOW).set("X-Amz-Security-Token", "FwoGZXIvYXdzEBYaDH");
    signed.with(|req| {
        let s: SignedRequest<'_> = parse(req).unwrap().unwrap();
        assert_eq!(
            (s.access_key_id(), s.region(), s.service()),
            (AKID, "us-east-1", "sts")
        );
        assert_eq!(s.security_token(), Some("FwoGZXIvYXdzEBYaDH"));
    });
    let err = Sts::signed_at(NOW).set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20220127/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00").authenticate(NOW).unwrap_err();
    assert_eq!(err, AuthError::InvalidClientTokenId);
}

#[test]
fn date_header_instead_of_x_amz_date() {
    // AWS accepts the HTTP Date header when X-Amz-Date is absent; the string to sign then
    // holds the ISO 8601 form of that date.
    let day = &amz_date(NOW)[..8];
    let req = Sts::unsigned()
        .set(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .set("Date", "Thu, 27 Jan 2022 01:59:28 GMT");
    let signed_headers = "content-type;date;host";
    let sts = req.with(|r| {
        let creq = ironiam_sigv4::canonical_request(r, signed_headers, &hex_sha256(BODY), false);
        ironiam_sigv4::string_to_sign(
            &amz_date(NOW),
            &format!("{day}/us-east-1/sts/aws4_request"),
            &creq,
        )
    });
    let signature = hmac_chain(SECRET, day, "us-east-1", "sts", &sts);
    let req = req.set(
        "Authorization",
        &format!("AWS4-HMAC-SHA256 Credential={AKID}/{day}/us-east-1/sts/aws4_request, SignedHeaders={signed_headers}, Signature={signature}"),
    );
    assert_eq!(req.authenticate(NOW), Ok(()));
    assert_eq!(
        req.authenticate(NOW + 901).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn presigned_requests_verify_and_expire() {
    let secret = Secret::new(SECRET);
    let params = SigningParams {
        access_key_id: AKID,
        secret_access_key: &secret,
        region: "us-east-1",
        service: "sts",
    };
    let headers = [("Host", "sts.amazonaws.com")];
    let base = HttpRequest {
        method: "GET",
        path: "/",
        query: "Action=GetCallerIdentity&Version=2011-06-15",
        headers: &headers,
        body: b"",
    };
    let query = presign(&base, &params, NOW, 60, Some("FwoGZXIvYXdzEBYaDH")).unwrap();
    let req = HttpRequest {
        query: &query,
        ..base
    };
    let signed = parse(&req).unwrap().unwrap();
    assert_eq!(signed.expires(), Some(60));
    assert_eq!(signed.security_token(), Some("FwoGZXIvYXdzEBYaDH"));
    assert_eq!(verify(&req, &signed, &secret, NOW + 60), Ok(()));
    let err = verify(&req, &signed, &secret, NOW + 61).unwrap_err();
    assert_error(
        err,
        "SignatureDoesNotMatch",
        403,
        "Signature expired: 20220127T015928Z is now earlier than 20220127T015929Z (20220127T020029Z - 1 min.)",
    );
    // Any parameter changed breaks the signature.
    let tampered = query.replace("GetCallerIdentity", "GetSessionToken");
    let req = HttpRequest {
        query: &tampered,
        ..base
    };
    assert_eq!(
        verify(&req, &parse(&req).unwrap().unwrap(), &secret, NOW),
        Err(AuthError::SignatureDoesNotMatch)
    );
    assert!(presign(&base, &params, NOW, 604_801, None).is_err());
}

#[test]
fn signing_key_cache_never_outlives_a_secret() {
    let cache = SigningKeyCache::new(2);
    let req = Sts::signed_at(NOW);
    req.with(|r| {
        let signed = parse(r).unwrap().unwrap();
        assert_eq!(cache.verify(r, &signed, &Secret::new(SECRET), NOW), Ok(()));
        assert_eq!(cache.verify(r, &signed, &Secret::new(SECRET), NOW), Ok(()));
        assert_eq!(cache.len(), 1);
        // The key was rotated: the cached key must not verify with the new secret.
        assert_eq!(
            cache.verify(r, &signed, &Secret::new("rotated"), NOW),
            Err(AuthError::SignatureDoesNotMatch)
        );
        assert_eq!(cache.verify(r, &signed, &Secret::new(SECRET), NOW), Ok(()));
    });
    // Bounded.
    for day in 0..5 {
        Sts::signed_at(NOW + day * 86_400).with(|r| {
            let signed = parse(r).unwrap().unwrap();
            assert_eq!(
                cache.verify(r, &signed, &Secret::new(SECRET), NOW + day * 86_400),
                Ok(())
            );
        });
    }
    assert!(cache.len() <= 2);
}

fn hex_sha256(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

fn hmac_chain(secret: &str, date: &str, region: &str, service: &str, sts: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let h = |key: &[u8], data: &str| -> Vec<u8> {
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    let k = h(
        &h(
            &h(&h(format!("AWS4{secret}").as_bytes(), date), region),
            service,
        ),
        "aws4_request",
    );
    hex::encode(h(&k, sts))
}
