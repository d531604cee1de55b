//! Authentication and authorization through the pipeline, without a socket:
//! requests signed with `ironiam_sigv4::sign`, as an AWS SDK signs them.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use ironiam_core::clock::FixedClock;
use ironiam_core::crypto::SecretKey;
use ironiam_core::error::SERVICE_FAILURE_MESSAGE;
use ironiam_core::faulty::{FaultyStore, FAULT_DETAIL};
use ironiam_core::memory::MemoryStore;
use ironiam_core::service::{IamService, RootKey, Settings};
use ironiam_core::store::Store;
use ironiam_server::{App, AppConfig, AuthMode};
use ironiam_sigv4::{amz_date, sign, HttpRequest, Secret, SigningParams};

const NOW: i64 = 1_795_998_080;
const ROOT_ID: &str = "AKIAROOTROOTROOTROOT";
const ROOT_SECRET: &str = "root/secret+key";

fn app(mode: AuthMode) -> (Arc<App>, Arc<FixedClock>) {
    app_on(Arc::new(MemoryStore::new()), mode)
}

/// [`app`] on `store`.
fn app_on(store: Arc<dyn Store>, mode: AuthMode) -> (Arc<App>, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(NOW));
    let settings = Settings {
        root_keys: vec![RootKey {
            account_id: "123456789012".into(),
            access_key_id: ROOT_ID.into(),
            secret: SecretKey::new(ROOT_SECRET),
        }],
        ..Settings::default()
    };
    let service = IamService::new(store, clock.clone(), settings);
    (
        App::new(
            Arc::new(service),
            AppConfig {
                test_endpoints: true,
                auth: mode,
                ..Default::default()
            },
        ),
        clock,
    )
}

struct Signer<'a> {
    id: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
    at: i64,
}

/// A signer with long-term credentials, signing at `NOW`.
fn signer<'a>(id: &'a str, secret: &'a str) -> Signer<'a> {
    Signer {
        id,
        secret,
        token: None,
        at: NOW,
    }
}

fn root() -> Signer<'static> {
    signer(ROOT_ID, ROOT_SECRET)
}

async fn call(
    app: &Arc<App>,
    signer: Option<&Signer<'_>>,
    service: &str,
    body: &str,
) -> (u16, String) {
    call_in(app, signer, service, "us-east-1", body).await
}

/// [`call`], signed for `region`.
async fn call_in(
    app: &Arc<App>,
    signer: Option<&Signer<'_>>,
    service: &str,
    region: &str,
    body: &str,
) -> (u16, String) {
    let date = amz_date(signer.map_or(NOW, |s| s.at));
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), "localhost".into()),
        (
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        ),
        ("x-amz-date".into(), date),
    ];
    if let Some(token) = signer.and_then(|s| s.token) {
        headers.push(("x-amz-security-token".into(), token.into()));
    }
    if let Some(s) = signer {
        let borrowed: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let req = HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &borrowed,
            body: body.as_bytes(),
        };
        let secret = Secret::new(s.secret);
        let params = SigningParams {
            access_key_id: s.id,
            secret_access_key: &secret,
            region,
            service,
        };
        let authorization = sign(&req, &params).unwrap();
        headers.push(("authorization".into(), authorization));
    }
    let mut builder = Request::post("/");
    for (n, v) in &headers {
        builder = builder.header(n, v);
    }
    let resp = app
        .handle(
            builder
                .body(Full::new(Bytes::from(body.to_string())))
                .unwrap(),
        )
        .await;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn between<'a>(xml: &'a str, tag: &str) -> &'a str {
    let start = xml
        .find(&format!("<{tag}>"))
        .map(|i| i + tag.len() + 2)
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"));
    let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
    &xml[start..end]
}

fn error_of(body: &str) -> (&str, &str) {
    (between(body, "Code"), between(body, "Message"))
}

const WHO: &str = "Action=GetCallerIdentity&Version=2011-06-15";

/// Creates user `name` with an access key, as root; returns (id, secret).
async fn user_with_key(app: &Arc<App>, name: &str) -> (String, String) {
    let (status, body) = call(
        app,
        Some(&root()),
        "iam",
        &format!("Action=CreateUser&Version=2010-05-08&UserName={name}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        app,
        Some(&root()),
        "iam",
        &format!("Action=CreateAccessKey&Version=2010-05-08&UserName={name}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        between(&body, "AccessKeyId").to_string(),
        between(&body, "SecretAccessKey").to_string(),
    )
}

#[tokio::test]
async fn verify_mode_rejects_each_bad_signature_with_aws_error() {
    let (app, _) = app(AuthMode::Verify);
    let (status, body) = call(&app, None, "sts", WHO).await;
    assert_eq!(
        (status, error_of(&body)),
        (
            403,
            (
                "MissingAuthenticationToken",
                "Request is missing Authentication Token"
            )
        )
    );

    let unknown = signer("AKIAUNKNOWNUNKNOWN00", "x");
    let (status, body) = call(&app, Some(&unknown), "sts", WHO).await;
    assert_eq!(
        (status, error_of(&body)),
        (
            403,
            (
                "InvalidClientTokenId",
                "The security token included in the request is invalid."
            )
        )
    );

    let wrong = Signer {
        secret: "not the secret",
        ..root()
    };
    let (status, body) = call(&app, Some(&wrong), "sts", WHO).await;
    assert_eq!(status, 403);
    assert_eq!(error_of(&body).0, "SignatureDoesNotMatch");
    assert!(
        error_of(&body)
            .1
            .starts_with("The request signature we calculated does not match"),
        "{body}"
    );

    let stale = Signer {
        at: NOW - 16 * 60,
        ..root()
    };
    let (status, body) = call(&app, Some(&stale), "sts", WHO).await;
    assert_eq!(status, 403);
    assert_eq!(error_of(&body), ("SignatureDoesNotMatch", "Signature expired: 20261130T000520Z is now earlier than 20261130T000620Z (20261130T002120Z - 15 min.)"));

    let (status, body) = call(&app, Some(&root()), "sts", WHO).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(between(&body, "Arn"), "arn:aws:iam::123456789012:root");

    // A user's key verifies; an inactive one no longer does.
    let (id, secret) = user_with_key(&app, "alice").await;
    let alice = signer(&id, &secret);
    let (status, body) = call(&app, Some(&alice), "sts", WHO).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        between(&body, "Arn"),
        "arn:aws:iam::123456789012:user/alice"
    );
    assert!(between(&body, "UserId").starts_with("AIDA"));
    // Verify mode authorizes nothing: alice may create a role.
    let (status, body) = call(
        &app,
        Some(&alice),
        "iam",
        "Action=ListRoles&Version=2010-05-08",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        &app,
        Some(&root()),
        "iam",
        &format!("Action=GetAccessKeyLastUsed&Version=2010-05-08&AccessKeyId={id}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(between(&body, "ServiceName"), "iam");
    assert_eq!(between(&body, "Region"), "us-east-1");
    assert_eq!(between(&body, "LastUsedDate"), "2026-11-30T00:21:20Z");
    let (status, _) = call(&app, Some(&root()), "iam", &format!("Action=UpdateAccessKey&Version=2010-05-08&UserName=alice&AccessKeyId={id}&Status=Inactive")).await;
    assert_eq!(status, 200);
    let (status, body) = call(&app, Some(&alice), "sts", WHO).await;
    assert_eq!((status, error_of(&body).0), (403, "InvalidClientTokenId"));
}

#[tokio::test]
async fn enforce_mode_denies_until_a_policy_allows_and_a_boundary_narrows() {
    let (app, _) = app(AuthMode::Enforce);
    let (id, secret) = user_with_key(&app, "alice").await;
    let alice = signer(&id, &secret);
    let create = "Action=CreateRole&Version=2010-05-08&RoleName=x&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ssm.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%7D";
    let (status, body) = call(&app, Some(&alice), "iam", create).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        error_of(&body),
        (
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/x because no identity-based policy allows the iam:CreateRole action"
        )
    );
    assert!(body.contains("<Type>Sender</Type>"));
    // GetCallerIdentity is never denied.
    let (status, _) = call(&app, Some(&alice), "sts", WHO).await;
    assert_eq!(status, 200);

    let attach = "Action=AttachUserPolicy&Version=2010-05-08&UserName=alice&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FIAMFullAccess";
    let (status, body) = call(&app, Some(&root()), "iam", attach).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&app, Some(&alice), "iam", create).await;
    assert_eq!(status, 200, "{body}");

    let boundary = "Action=PutUserPermissionsBoundary&Version=2010-05-08&UserName=alice&PermissionsBoundary=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FIAMReadOnlyAccess";
    let (status, body) = call(&app, Some(&root()), "iam", boundary).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        &app,
        Some(&alice),
        "iam",
        "Action=DeleteRole&Version=2010-05-08&RoleName=x",
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        error_of(&body).1,
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:DeleteRole on resource: arn:aws:iam::123456789012:role/x because no permissions boundary allows the iam:DeleteRole action"
    );
    let (status, body) = call(
        &app,
        Some(&alice),
        "iam",
        "Action=GetRole&Version=2010-05-08&RoleName=x",
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn enforce_mode_reads_request_and_resource_tags() {
    let (app, _) = app(AuthMode::Enforce);
    let (id, secret) = user_with_key(&app, "tagger").await;
    let tagger = signer(&id, &secret);
    // May create users only when tagging them team=blue.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}},{"Effect":"Allow","Action":"iam:DeleteUser","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}"#;
    let put = format!(
        "Action=PutUserPolicy&Version=2010-05-08&UserName=tagger&PolicyName=p&PolicyDocument={}",
        urlencode(policy)
    );
    let (status, body) = call(&app, Some(&root()), "iam", &put).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = call(&app, Some(&tagger), "iam", "Action=CreateUser&Version=2010-05-08&UserName=red&Tags.member.1.Key=team&Tags.member.1.Value=red").await;
    assert_eq!(status, 403);
    let (status, body) = call(&app, Some(&tagger), "iam", "Action=CreateUser&Version=2010-05-08&UserName=blue&Tags.member.1.Key=team&Tags.member.1.Value=blue").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = call(
        &app,
        Some(&root()),
        "iam",
        "Action=CreateUser&Version=2010-05-08&UserName=untagged",
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &app,
        Some(&tagger),
        "iam",
        "Action=DeleteUser&Version=2010-05-08&UserName=untagged",
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = call(
        &app,
        Some(&tagger),
        "iam",
        "Action=DeleteUser&Version=2010-05-08&UserName=blue",
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn soft_mode_allows_what_enforce_denies() {
    let (app, _) = app(AuthMode::Soft);
    let (id, secret) = user_with_key(&app, "alice").await;
    let alice = signer(&id, &secret);
    let (status, body) = call(
        &app,
        Some(&alice),
        "iam",
        "Action=CreateUser&Version=2010-05-08&UserName=bob",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Signatures are still verified.
    let wrong = Signer {
        secret: "wrong",
        ..signer(&id, &secret)
    };
    let (status, _) = call(
        &app,
        Some(&wrong),
        "iam",
        "Action=ListUsers&Version=2010-05-08",
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn off_mode_identifies_known_keys_without_verifying() {
    let (app, _) = app(AuthMode::Off);
    let (id, _) = user_with_key(&app, "alice").await;
    let forged = Signer {
        id: &id,
        secret: "anything",
        token: None,
        at: NOW - 100_000,
    };
    let (status, body) = call(&app, Some(&forged), "sts", WHO).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        between(&body, "Arn"),
        "arn:aws:iam::123456789012:user/alice"
    );
    let stranger = signer("AKIAIOSFODNN7EXAMPLE", "x");
    let (_, body) = call(&app, Some(&stranger), "sts", WHO).await;
    assert_eq!(between(&body, "Arn"), "arn:aws:iam::123456789012:root");
    let (_, body) = call(&app, None, "sts", WHO).await;
    assert_eq!(between(&body, "Arn"), "arn:aws:iam::123456789012:root");
}

/// RoleLastUsed: nothing for a fresh role; AssumeRole counts, in the STS
/// request's region; a request signed with the session's credentials moves
/// it forward, past the render cache; a role re-created under the same name
/// starts with nothing, even when the old role's session is used again.
#[tokio::test]
async fn role_last_used_follows_assume_role_and_session_requests() {
    let (app, clock) = app(AuthMode::Verify);
    let (id, secret) = user_with_key(&app, "alice").await;
    let alice = signer(&id, &secret);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    let create = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName=worker&AssumeRolePolicyDocument={}",
        urlencode(trust)
    );
    let get = "Action=GetRole&Version=2010-05-08&RoleName=worker";
    let (status, body) = call(&app, Some(&root()), "iam", &create).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = call(&app, Some(&root()), "iam", get).await;
    assert!(
        !body.contains("LastUsedDate") && body.contains("RoleLastUsed"),
        "{body}"
    );

    let assume = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fworker&RoleSessionName=build";
    let (status, body) = call_in(&app, Some(&alice), "sts", "eu-west-1", assume).await;
    assert_eq!(status, 200, "{body}");
    let (key, key_secret, token) = (
        between(&body, "AccessKeyId").to_string(),
        between(&body, "SecretAccessKey").to_string(),
        between(&body, "SessionToken").to_string(),
    );
    let (_, body) = call(&app, Some(&root()), "iam", get).await;
    assert_eq!(
        between(&body, "RoleLastUsed"),
        "<LastUsedDate>2026-11-30T00:21:20Z</LastUsedDate><Region>eu-west-1</Region>"
    );

    clock.advance(125);
    let session = Signer {
        id: &key,
        secret: &key_secret,
        token: Some(&token),
        at: NOW + 125,
    };
    let (status, body) = call_in(&app, Some(&session), "sts", "ap-southeast-2", WHO).await;
    assert_eq!(status, 200, "{body}");
    let now = Signer {
        at: NOW + 125,
        ..root()
    };
    let (_, body) = call(&app, Some(&now), "iam", get).await;
    assert_eq!(
        between(&body, "RoleLastUsed"),
        "<LastUsedDate>2026-11-30T00:23:25Z</LastUsedDate><Region>ap-southeast-2</Region>"
    );
    // ListRoles never carries it, as in AWS.
    let (_, body) = call(
        &app,
        Some(&now),
        "iam",
        "Action=ListRoles&Version=2010-05-08",
    )
    .await;
    assert!(
        body.contains("<RoleName>worker</RoleName>") && !body.contains("RoleLastUsed"),
        "{body}"
    );

    let (status, _) = call(
        &app,
        Some(&now),
        "iam",
        "Action=DeleteRole&Version=2010-05-08&RoleName=worker",
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(&app, Some(&now), "iam", &create).await;
    assert_eq!(status, 200);
    let (status, _) = call_in(&app, Some(&session), "sts", "ap-southeast-2", WHO).await;
    assert_eq!(status, 200);
    let (_, body) = call(&app, Some(&now), "iam", get).await;
    assert!(!body.contains("LastUsedDate"), "{body}");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Operations with more than one check (issue 11 item 2): AddRoleToInstanceProfile
/// is its own action on the profile and `iam:PassRole` on the role, and both
/// must allow it, whatever the handler then answers.
#[tokio::test]
async fn enforce_mode_needs_every_check_of_an_operation() {
    let (app, _) = app(AuthMode::Enforce);
    let (id, secret) = user_with_key(&app, "ops").await;
    let ops = signer(&id, &secret);
    let profiles = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*InstanceProfile*","iam:AddRoleToInstanceProfile"],"Resource":"*"}]}"#;
    let put = format!("Action=PutUserPolicy&Version=2010-05-08&UserName=ops&PolicyName=profiles&PolicyDocument={}", urlencode(profiles));
    let (status, body) = call(&app, Some(&root()), "iam", &put).await;
    assert_eq!(status, 200, "{body}");
    let add =
        "Action=AddRoleToInstanceProfile&Version=2010-05-08&InstanceProfileName=web&RoleName=app";
    let (status, body) = call(&app, Some(&ops), "iam", add).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        error_of(&body).1,
        "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/app because no identity-based policy allows the iam:PassRole action"
    );
    // PassRole for another service does not count: the role goes to EC2.
    let pass_to_lambda = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}"#;
    let put = format!(
        "Action=PutUserPolicy&Version=2010-05-08&UserName=ops&PolicyName=pass&PolicyDocument={}",
        urlencode(pass_to_lambda)
    );
    let (status, body) = call(&app, Some(&root()), "iam", &put).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&app, Some(&ops), "iam", add).await;
    assert_eq!(status, 403, "{body}");
    assert!(error_of(&body).1.contains("iam:PassRole"), "{body}");
    let pass_to_ec2 = pass_to_lambda.replace("lambda.amazonaws.com", "ec2.amazonaws.com");
    let put = format!(
        "Action=PutUserPolicy&Version=2010-05-08&UserName=ops&PolicyName=pass&PolicyDocument={}",
        urlencode(&pass_to_ec2)
    );
    let (status, body) = call(&app, Some(&root()), "iam", &put).await;
    assert_eq!(status, 200, "{body}");
    // Both allowed: past authorization (the profile does not exist).
    let (status, body) = call(&app, Some(&ops), "iam", add).await;
    assert_ne!(status, 403, "{body}");
    // Without the profile action, PassRole alone is not enough.
    let (status, body) = call(
        &app,
        Some(&root()),
        "iam",
        "Action=DeleteUserPolicy&Version=2010-05-08&UserName=ops&PolicyName=profiles",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&app, Some(&ops), "iam", add).await;
    assert_eq!(status, 403, "{body}");
    assert!(error_of(&body).1.contains("iam:AddRoleToInstanceProfile on resource: arn:aws:iam::123456789012:instance-profile/web"), "{body}");
}

/// Issue 12 item 3: a policy or a resource the store cannot read fails the
/// request with AWS's `500 ServiceFailure` and a generic message (the detail
/// is logged, never sent), in enforce and soft mode alike; it is never
/// decided without what could not be read. Before, the unreadable Deny was
/// skipped (GetRole allowed) and the unreadable role's tags were taken as
/// none (TagRole allowed past a Deny on them).
#[tokio::test]
async fn a_store_failure_answers_service_failure_and_never_allows() {
    for mode in [AuthMode::Enforce, AuthMode::Soft] {
        let store = Arc::new(FaultyStore::new());
        let (app, _) = app_on(store.clone(), mode);
        let (id, secret) = user_with_key(&app, "alice").await;
        let alice = signer(&id, &secret);
        let as_root = |body: String| {
            let app = app.clone();
            async move {
                let (status, answer) = call(&app, Some(&root()), "iam", &body).await;
                assert_eq!(status, 200, "{body}: {answer}");
            }
        };
        // alice may do anything but GetRole, and may not tag a protected role.
        let allow_all = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:GetRole","Resource":"*"},{"Effect":"Deny","Action":"iam:TagRole","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/protected":"yes"}}}]}"#;
        as_root(format!("Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=all&PolicyDocument={}", urlencode(allow_all))).await;
        as_root(format!(
            "Action=CreatePolicy&Version=2010-05-08&PolicyName=deny&PolicyDocument={}",
            urlencode(deny)
        ))
        .await;
        let deny_arn = "arn:aws:iam::123456789012:policy/deny";
        as_root(format!(
            "Action=AttachUserPolicy&Version=2010-05-08&UserName=alice&PolicyArn={}",
            urlencode(deny_arn)
        ))
        .await;
        as_root("Action=CreateRole&Version=2010-05-08&RoleName=x&Tags.member.1.Key=protected&Tags.member.1.Value=yes&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ssm.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%7D".to_string()).await;
        let get_role = "Action=GetRole&Version=2010-05-08&RoleName=x";
        let tag_role = "Action=TagRole&Version=2010-05-08&RoleName=x&Tags.member.1.Key=k&Tags.member.1.Value=v";
        if mode == AuthMode::Enforce {
            for denied in [get_role, tag_role] {
                let (status, body) = call(&app, Some(&alice), "iam", denied).await;
                assert_eq!(status, 403, "{denied}: {body}");
            }
        }
        let root_signer = root();
        let unreadable = [
            // The policy holding the Deny.
            ("get_policy", deny_arn, &alice, get_role),
            // The role whose tags the Deny reads (TagRole itself writes
            // through another call, which still works).
            ("get_role", "x", &alice, tag_role),
            // A listing's entities, for root (never authorized) too.
            (
                "list_users",
                "123456789012",
                &root_signer,
                "Action=ListUsers&Version=2010-05-08",
            ),
        ];
        for (store_call, key, signer, request) in unreadable {
            store.fail(store_call, key);
            let (status, body) = call(&app, Some(signer), "iam", request).await;
            assert_eq!(status, 500, "{mode:?} {request}: {body}");
            assert!(
                body.contains(&format!("<Type>Receiver</Type><Code>ServiceFailure</Code><Message>{SERVICE_FAILURE_MESSAGE}</Message>")),
                "{mode:?} {request}: {body}"
            );
            assert!(
                !body.contains(FAULT_DETAIL) && !body.contains("/var/lib"),
                "{body}"
            );
            store.heal();
        }
        if mode == AuthMode::Enforce {
            let (status, _) = call(&app, Some(&alice), "iam", get_role).await;
            assert_eq!(status, 403, "denied again once the store answers");
        }
    }
}
