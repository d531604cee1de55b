//! Property: `parse`, `check_time`, `check_scope` and `verify` never panic, whatever the
//! headers, query, path and body; and an untouched signed request always verifies.

use ironiam_sigv4::{
    amz_date, parse, sign, verify, HttpRequest, Secret, SigningKeyCache, SigningParams,
};
use proptest::prelude::*;

/// Header names that steer the parser, mixed with arbitrary ones.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Authorization".to_owned()),
        Just("authorization".to_owned()),
        Just("X-Amz-Date".to_owned()),
        Just("Date".to_owned()),
        Just("X-Amz-Security-Token".to_owned()),
        Just("X-Amz-Content-Sha256".to_owned()),
        Just("Host".to_owned()),
        "[A-Za-z0-9-]{0,12}",
    ]
}

/// Values near the grammar (fragments of an Authorization header), and arbitrary text.
fn header_value() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("AWS4-HMAC-SHA256".to_owned()),
        Just("AWS4-".to_owned()),
        Just(" Credential=".to_owned()),
        Just("AKID/20150830/us-east-1/iam/aws4_request".to_owned()),
        Just(", SignedHeaders=".to_owned()),
        Just("host;x-amz-date".to_owned()),
        Just(", Signature=".to_owned()),
        Just("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31".to_owned()),
        Just("20150830T123600Z".to_owned()),
        Just("Sun, 30 Aug 2015 12:36:00 GMT".to_owned()),
        Just("UNSIGNED-PAYLOAD".to_owned()),
        Just("=".to_owned()),
        Just(",".to_owned()),
        Just("/".to_owned()),
        any::<String>(),
    ];
    prop::collection::vec(fragment, 0..8).prop_map(|parts| parts.concat())
}

fn query() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("X-Amz-Algorithm=AWS4-HMAC-SHA256".to_owned()),
        Just("X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request".to_owned()),
        Just("X-Amz-Date=20150830T123600Z".to_owned()),
        Just("X-Amz-SignedHeaders=host".to_owned()),
        Just("X-Amz-Signature=00".to_owned()),
        Just("X-Amz-Expires=".to_owned()),
        Just("X-Amz-Security-Token=%ZZ%".to_owned()),
        "[0-9-]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|parts| parts.join("&"))
}

fn exercise(req: &HttpRequest<'_>, now: i64) {
    let secret = Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let cache = SigningKeyCache::new(4);
    if let Ok(Some(signed)) = parse(req) {
        let _ = signed.check_time(now);
        let _ = signed.check_scope(Some("us-east-1"), Some("sts"));
        let _ = (
            signed.access_key_id(),
            signed.region(),
            signed.service(),
            signed.scope(),
            signed.amz_date(),
        );
        let _ = verify(req, &signed, &secret, now);
        let _ = cache.verify(req, &signed, &secret, now);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_and_verify_never_panic(
        headers in prop::collection::vec((header_name(), header_value()), 0..6),
        query in query(),
        path in any::<String>(),
        body in prop::collection::vec(any::<u8>(), 0..32),
        now in any::<i64>(),
    ) {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let req = HttpRequest { method: "POST", path: &path, query: &query, headers: &headers, body: &body };
        exercise(&req, now);
        exercise(&req, 1_440_938_160);
    }

    #[test]
    fn signed_requests_verify(
        path in "(/[a-zA-Z0-9 ._~%+-]{0,8}){0,4}",
        query in "([a-zA-Z0-9._~-]{1,6}=[a-zA-Z0-9._~ -]{0,6}&){0,3}",
        value in "[ -~]{0,20}",
        body in prop::collection::vec(any::<u8>(), 0..64),
        now in 0i64..4_102_444_800,
    ) {
        let secret = Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let params = SigningParams { access_key_id: "AKIDEXAMPLE", secret_access_key: &secret, region: "us-east-1", service: "iam" };
        let query = query.trim_end_matches('&').replace(' ', "%20");
        let date = amz_date(now);
        let mut headers = vec![("Host", "iam.amazonaws.com"), ("X-Amz-Date", date.as_str()), ("X-Custom", value.as_str())];
        let unsigned = HttpRequest { method: "POST", path: &path, query: &query, headers: &headers, body: &body };
        let authorization = sign(&unsigned, &params).unwrap();
        headers.push(("Authorization", &authorization));
        let req = HttpRequest { method: "POST", path: &path, query: &query, headers: &headers, body: &body };
        let signed = parse(&req).unwrap().unwrap();
        prop_assert_eq!(verify(&req, &signed, &secret, now), Ok(()));
    }
}
