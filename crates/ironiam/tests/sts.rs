//! The AWS SDK for Rust with credentials ironiam issued, against the real
//! binary in `--auth enforce` mode: a user's access key, then the
//! assumed-role credentials it obtains — allowed, denied in AWS's words, and
//! refused once expired.

mod common;

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iam::error::ProvideErrorMetadata;
use common::Server;

const ACCOUNT: &str = "123456789012";
const ROOT_ID: &str = "AKIAROOTRUSTSDK00001";
const ROOT_SECRET: &str = "root/Secret+RustSdk";

fn credentials(id: &str, secret: &str, token: Option<String>) -> Credentials {
    Credentials::new(id, secret, token, None, "ironiam-test")
}

fn iam(endpoint: &str, creds: Credentials) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(creds)
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

fn sts(endpoint: &str, creds: Credentials) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

const TRUST_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}"#;
const ASSUME_ANY: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#;
const READ_ROLES: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles"],"Resource":"*"}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assumed_role_credentials_with_the_rust_sdk() {
    let server = Server::in_memory(&[
        "--auth",
        "enforce",
        "--root-access-key",
        &format!("{ROOT_ID}:{ROOT_SECRET}"),
    ]);
    let root = iam(&server.endpoint, credentials(ROOT_ID, ROOT_SECRET, None));
    root.create_role()
        .role_name("reader")
        .assume_role_policy_document(TRUST_ACCOUNT)
        .send()
        .await
        .unwrap();
    root.put_role_policy()
        .role_name("reader")
        .policy_name("read")
        .policy_document(READ_ROLES)
        .send()
        .await
        .unwrap();
    root.create_user().user_name("alice").send().await.unwrap();
    root.put_user_policy()
        .user_name("alice")
        .policy_name("assume")
        .policy_document(ASSUME_ANY)
        .send()
        .await
        .unwrap();
    let key = root
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();

    let alice = sts(
        &server.endpoint,
        credentials(&key.access_key_id, &key.secret_access_key, None),
    );
    let out = alice
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/reader"))
        .role_session_name("rust-sdk")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let c = out.credentials.unwrap();
    assert!(c.access_key_id.starts_with("ASIA"));
    assert_eq!(
        out.assumed_role_user.unwrap().arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/rust-sdk")
    );
    let session = credentials(
        &c.access_key_id,
        &c.secret_access_key,
        Some(c.session_token.clone()),
    );

    let who = sts(&server.endpoint, session.clone())
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        who.arn.as_deref(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/rust-sdk").as_str())
    );
    assert!(who.user_id.unwrap().ends_with(":rust-sdk"));

    let as_role = iam(&server.endpoint, session.clone());
    let role = as_role
        .get_role()
        .role_name("reader")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(role.arn, format!("arn:aws:iam::{ACCOUNT}:role/reader"));
    let denied = as_role
        .create_user()
        .user_name("mallory")
        .send()
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some("AccessDenied"));
    assert_eq!(
        denied.message(),
        Some(format!(
            "User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/rust-sdk is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/mallory because no identity-based policy allows the iam:CreateUser action"
        ).as_str())
    );

    // The session lasts 900 seconds: move the server's clock past it.
    server.set_clock(901);
    let expired = as_role
        .get_role()
        .role_name("reader")
        .send()
        .await
        .unwrap_err();
    assert_eq!(expired.code(), Some("ExpiredToken"));
    assert_eq!(
        expired.message(),
        Some("The security token included in the request is expired")
    );
    server.set_clock(0);
}
