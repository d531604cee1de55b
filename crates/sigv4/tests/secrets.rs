//! The secret access key never shows: not in `Debug`, not in an error, not in any message a
//! failed verification produces, and neither does the signing key derived from it.

use ironiam_sigv4::{
    amz_date, explain, parse, sign, verify, AuthError, HttpRequest, Secret, SigningKeyCache,
    SigningParams,
};

const SECRET: &str = "s3cr3t/EXAMPLE+KEY+that+must+never+leak";
const NOW: i64 = 1_700_000_000;

/// `kSigning` for the request below, in hex: it must not leak either.
fn signing_key_hex() -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let h = |key: &[u8], data: &str| -> Vec<u8> {
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    let day = &amz_date(NOW)[..8];
    hex::encode(h(
        &h(
            &h(&h(format!("AWS4{SECRET}").as_bytes(), day), "us-east-1"),
            "iam",
        ),
        "aws4_request",
    ))
}

fn assert_clean(text: &str) {
    assert!(!text.contains(SECRET), "secret leaked: {text}");
    assert!(
        !text.contains("s3cr3t"),
        "part of the secret leaked: {text}"
    );
    assert!(
        !text.contains(&signing_key_hex()),
        "signing key leaked: {text}"
    );
}

#[test]
fn secret_debug_is_opaque() {
    let secret = Secret::new(SECRET);
    assert_eq!(format!("{secret:?}"), "Secret(***)");
    assert_eq!(
        format!("{:#?}", Some(&secret)),
        "Some(\n    Secret(***),\n)"
    );
    assert_clean(&format!("{:?}", SigningKeyCache::new(8)));
    let params = SigningParams {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: &secret,
        region: "us-east-1",
        service: "iam",
    };
    assert_clean(&format!("{params:?}"));
}

#[test]
fn debug_hides_session_tokens_and_bodies() {
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", "20231114T221320Z"),
        ("X-Amz-Security-Token", "FwoGZXIvYXdzTOKEN"),
    ];
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: "X-Amz-Security-Token=FwoGZXIvYXdzQUERY",
        headers: &headers,
        body: b"Password=hunter2",
    };
    let shown = format!("{req:?}");
    assert!(
        !shown.contains("FwoGZXIvYXdz") && !shown.contains("hunter2"),
        "{shown}"
    );
    let with_auth = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Date", "20231114T221320Z"),
        ("X-Amz-Security-Token", "FwoGZXIvYXdzTOKEN"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20231114/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00"),
    ];
    let req = HttpRequest {
        headers: &with_auth,
        ..req
    };
    let shown = format!("{:?}", parse(&req).unwrap().unwrap());
    assert!(!shown.contains("FwoGZXIvYXdz"), "{shown}");
    assert!(shown.contains("ASIAEXAMPLE"), "{shown}");
}

#[test]
fn no_error_or_explanation_contains_the_secret() {
    let secret = Secret::new(SECRET);
    let params = SigningParams {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: &secret,
        region: "us-east-1",
        service: "iam",
    };
    let date = amz_date(NOW);
    let mut headers = vec![("Host", "iam.amazonaws.com"), ("X-Amz-Date", date.as_str())];
    let body = b"Action=ListUsers&Version=2010-05-08";
    let unsigned = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body,
    };
    let authorization = sign(&unsigned, &params).unwrap();
    assert_clean(&authorization);
    headers.push(("Authorization", authorization.as_str()));
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body,
    };
    let signed = parse(&req).unwrap().unwrap();
    assert_clean(&format!("{signed:?}"));
    assert_clean(&format!("{req:?}"));
    let (creq, sts) = explain(&req, &signed);
    assert_clean(&creq);
    assert_clean(&sts);

    let cache = SigningKeyCache::new(8);
    let wrong = Secret::new("another secret");
    let failures: Vec<AuthError> = vec![
        verify(&req, &signed, &wrong, NOW).unwrap_err(),
        verify(&req, &signed, &secret, NOW + 3600).unwrap_err(),
        verify(&req, &signed, &secret, NOW - 3600).unwrap_err(),
        cache.verify(&req, &signed, &wrong, NOW).unwrap_err(),
        verify(
            &HttpRequest {
                body: b"Action=CreateUser",
                ..req
            },
            &signed,
            &secret,
            NOW,
        )
        .unwrap_err(),
    ];
    for e in failures {
        assert_clean(&e.message());
        assert_clean(&e.to_string());
        assert_clean(&format!("{e:?}"));
    }
    assert_eq!(verify(&req, &signed, &secret, NOW), Ok(()));
    assert_eq!(cache.verify(&req, &signed, &secret, NOW), Ok(()));
    assert_clean(&format!("{cache:?}"));
}
