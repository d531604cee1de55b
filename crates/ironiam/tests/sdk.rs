//! The AWS SDK for Rust against the real binary on a free loopback port:
//! the founding guide's flow, paginators included. Every flow runs on a
//! SQLite-backed server and again on a `--database` one (`on_postgres::`)
//! when `IRONIAM_TEST_DATABASE_URL` names a PostgreSQL server.

mod common;

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use common::Server;

fn credentials() -> Credentials {
    Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "test",
    )
}

fn iam(endpoint: &str) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

fn sts(endpoint: &str) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

const TRUST: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Principal": {"Service": [
      "ssm.amazonaws.com"
    ]},
    "Action": "sts:AssumeRole"
  }
}"#;
/// Each flow as two tests: on a fresh data directory (SQLite), and in
/// `on_postgres` on a fresh PostgreSQL database (skipped without
/// `IRONIAM_TEST_DATABASE_URL`; a failure under `IRONIAM_REQUIRE_POSTGRES=1`,
/// as `scripts/test` sets).
macro_rules! on_both_backends {
    ($($flow:ident),* $(,)?) => {
        mod on_sqlite {
            use super::*;
            $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $flow() {
                super::$flow(Server::on_disk()).await
            }
            )*
        }
        mod on_postgres {
            use super::*;
            $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $flow() {
                if let Some(server) = Server::on_postgres() {
                    super::$flow(server).await
                }
            }
            )*
        }
    };
}

on_both_backends!(
    guide_flow_with_the_rust_sdk,
    sdk_paginators_walk_every_page,
    instance_profile_round_trip_with_the_rust_sdk,
    policy_and_oidc_provider_tags_with_the_rust_sdk,
    group_round_trip_with_the_rust_sdk,
);

const SSM_CORE: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
const ECS_EC2: &str = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";

async fn guide_flow_with_the_rust_sdk(server: Server) {
    let iam = iam(&server.endpoint);

    let created = iam
        .create_role()
        .role_name("ecsAnywhereRole")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let role = created.role().unwrap();
    assert_eq!(role.role_name(), "ecsAnywhereRole");
    assert!(role.role_id().starts_with("AROA") && role.role_id().len() == 21);
    assert_eq!(role.arn(), "arn:aws:iam::123456789012:role/ecsAnywhereRole");

    for arn in [SSM_CORE, ECS_EC2] {
        iam.attach_role_policy()
            .role_name("ecsAnywhereRole")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    let got = iam
        .get_role()
        .role_name("ecsAnywhereRole")
        .send()
        .await
        .unwrap();
    let got = got.role().unwrap();
    // The SDK leaves the document URL-encoded, as AWS sends it.
    let decoded = percent_decode(got.assume_role_policy_document().unwrap());
    assert_eq!(decoded, TRUST);
    assert_eq!(got.max_session_duration(), Some(3600));

    let attached = iam
        .list_attached_role_policies()
        .role_name("ecsAnywhereRole")
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(arns, [SSM_CORE, ECS_EC2]);

    let err = iam
        .get_role()
        .role_name("missing")
        .send()
        .await
        .unwrap_err();
    let service_err = err.into_service_error();
    assert!(service_err.is_no_such_entity_exception());
    assert_eq!(
        service_err.meta().message(),
        Some("The role with name missing cannot be found.")
    );

    let who = sts(&server.endpoint)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(who.account(), Some("123456789012"));
    assert_eq!(who.arn(), Some("arn:aws:iam::123456789012:root"));
}

async fn sdk_paginators_walk_every_page(server: Server) {
    let iam = iam(&server.endpoint);
    for i in 0..37 {
        iam.create_role()
            .role_name(format!("paged-{i:03}"))
            .assume_role_policy_document(TRUST)
            .send()
            .await
            .unwrap();
    }
    let mut pages = iam.list_roles().max_items(10).into_paginator().send();
    let mut names = Vec::new();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        page_count += 1;
        names.extend(page.roles().iter().map(|r| r.role_name().to_string()));
    }
    assert_eq!(page_count, 4);
    let expected: Vec<String> = (0..37).map(|i| format!("paged-{i:03}")).collect();
    assert_eq!(names, expected);

    let policies: Vec<_> = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Aws)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert!(policies.len() > 1500, "{}", policies.len());
    assert!(policies
        .iter()
        .any(|p| p.arn() == Some(ECS_EC2) && p.path() == Some("/service-role/")));
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Issue 11 item 5: one instance profile round trip through the Rust SDK
/// (create with tags, add the role, get, list for the role, remove, delete).
async fn instance_profile_round_trip_with_the_rust_sdk(server: Server) {
    let iam = iam(&server.endpoint);
    iam.create_role()
        .role_name("Ec2Role")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let tag = aws_sdk_iam::types::Tag::builder()
        .key("team")
        .value("web")
        .build()
        .unwrap();
    let created = iam
        .create_instance_profile()
        .instance_profile_name("Web")
        .path("/app/")
        .tags(tag)
        .send()
        .await
        .unwrap();
    let profile = created.instance_profile().unwrap();
    assert!(
        profile.instance_profile_id().starts_with("AIPA")
            && profile.instance_profile_id().len() == 21
    );
    assert_eq!(
        profile.arn(),
        "arn:aws:iam::123456789012:instance-profile/app/Web"
    );
    assert!(profile.roles().is_empty());

    iam.add_role_to_instance_profile()
        .instance_profile_name("Web")
        .role_name("Ec2Role")
        .send()
        .await
        .unwrap();
    let got = iam
        .get_instance_profile()
        .instance_profile_name("web")
        .send()
        .await
        .unwrap();
    let profile = got.instance_profile().unwrap();
    assert_eq!(
        profile
            .roles()
            .iter()
            .map(|r| r.role_name())
            .collect::<Vec<_>>(),
        ["Ec2Role"]
    );
    assert_eq!(profile.tags().len(), 1);
    let listed = iam
        .list_instance_profiles_for_role()
        .role_name("Ec2Role")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed
            .instance_profiles()
            .iter()
            .map(|p| p.instance_profile_name())
            .collect::<Vec<_>>(),
        ["Web"]
    );

    let conflict = iam
        .delete_role()
        .role_name("Ec2Role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        conflict.into_service_error().meta().code(),
        Some("DeleteConflict")
    );
    iam.remove_role_from_instance_profile()
        .instance_profile_name("Web")
        .role_name("Ec2Role")
        .send()
        .await
        .unwrap();
    iam.delete_instance_profile()
        .instance_profile_name("Web")
        .send()
        .await
        .unwrap();
    let gone = iam
        .get_instance_profile()
        .instance_profile_name("Web")
        .send()
        .await
        .unwrap_err();
    assert!(gone.into_service_error().is_no_such_entity_exception());
    iam.delete_role().role_name("Ec2Role").send().await.unwrap();
}

/// Issue 11 item 6: tags of a customer managed policy and of an OIDC
/// provider through the Rust SDK (given on create, added, listed by page,
/// removed, and the SDK's typed NoSuchEntity for a missing provider).
async fn policy_and_oidc_provider_tags_with_the_rust_sdk(server: Server) {
    use aws_sdk_iam::types::Tag;
    let iam = iam(&server.endpoint);
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
    let keys = |tags: &[Tag]| tags.iter().map(|t| t.key().to_string()).collect::<Vec<_>>();

    let policy = iam
        .create_policy()
        .policy_name("Tagged")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#,
        )
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    let arn = policy.policy().unwrap().arn().unwrap().to_string();
    iam.tag_policy()
        .policy_arn(&arn)
        .tags(tag("env", "dev"))
        .tags(tag("cost", "1"))
        .send()
        .await
        .unwrap();
    let first = iam
        .list_policy_tags()
        .policy_arn(&arn)
        .max_items(2)
        .send()
        .await
        .unwrap();
    assert!(first.is_truncated());
    assert_eq!(keys(first.tags()), ["team", "env"]);
    let rest = iam
        .list_policy_tags()
        .policy_arn(&arn)
        .marker(first.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!rest.is_truncated());
    assert_eq!(keys(rest.tags()), ["cost"]);
    iam.untag_policy()
        .policy_arn(&arn)
        .tag_keys("ENV")
        .send()
        .await
        .unwrap();
    let got = iam.get_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(keys(got.policy().unwrap().tags()), ["team", "cost"]);

    let provider = iam
        .create_open_id_connect_provider()
        .url("https://token.example.com")
        .thumbprint_list("0123456789abcdef0123456789abcdef01234567")
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    let provider_arn = provider.open_id_connect_provider_arn().unwrap().to_string();
    assert_eq!(keys(provider.tags()), ["team"]);
    iam.tag_open_id_connect_provider()
        .open_id_connect_provider_arn(&provider_arn)
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    iam.untag_open_id_connect_provider()
        .open_id_connect_provider_arn(&provider_arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let listed = iam
        .list_open_id_connect_provider_tags()
        .open_id_connect_provider_arn(&provider_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(keys(listed.tags()), ["env"]);
    let missing = iam
        .list_open_id_connect_provider_tags()
        .open_id_connect_provider_arn("arn:aws:iam::123456789012:oidc-provider/missing.example.com")
        .send()
        .await
        .unwrap_err();
    assert!(missing.into_service_error().is_no_such_entity_exception());
}

/// Issue 11 item 4: a group through the Rust SDK — created with a path,
/// members listed by page with the SDK's paginator, its policies, the
/// user's groups, DeleteConflict while it has users, and the typed
/// NoSuchEntity once deleted.
async fn group_round_trip_with_the_rust_sdk(server: Server) {
    let iam = iam(&server.endpoint);
    let created = iam
        .create_group()
        .group_name("Admins")
        .path("/ops/")
        .send()
        .await
        .unwrap();
    let group = created.group().unwrap();
    assert!(group.group_id().starts_with("AGPA") && group.group_id().len() == 21);
    assert_eq!(group.arn(), "arn:aws:iam::123456789012:group/ops/Admins");
    for name in ["dan", "cat", "bob", "amy"] {
        iam.create_user().user_name(name).send().await.unwrap();
        iam.add_user_to_group()
            .group_name("admins")
            .user_name(name)
            .send()
            .await
            .unwrap();
    }
    let members: Vec<String> = iam
        .get_group()
        .group_name("Admins")
        .max_items(3)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .flat_map(|page| page.users().iter().map(|u| u.user_name().to_string()))
        .collect();
    assert_eq!(members, ["amy", "bob", "cat", "dan"]);
    iam.put_group_policy()
        .group_name("Admins")
        .policy_name("all")
        .policy_document(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#)
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("Admins")
        .policy_arn(SSM_CORE)
        .send()
        .await
        .unwrap();
    let got = iam
        .get_group_policy()
        .group_name("admins")
        .policy_name("all")
        .send()
        .await
        .unwrap();
    assert_eq!(got.group_name(), "Admins");
    assert!(percent_decode(got.policy_document()).contains(r#""Action":"*""#));
    let groups = iam
        .list_groups_for_user()
        .user_name("amy")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.groups()[0].group_name(), "Admins");
    let entities = iam
        .list_entities_for_policy()
        .policy_arn(SSM_CORE)
        .send()
        .await
        .unwrap();
    assert_eq!(entities.policy_groups()[0].group_name(), Some("Admins"));

    let conflict = iam
        .delete_group()
        .group_name("Admins")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(conflict.meta().code(), Some("DeleteConflict"));
    assert_eq!(
        conflict.meta().message(),
        Some("Cannot delete entity, must remove users from group first.")
    );
    for name in ["amy", "bob", "cat", "dan"] {
        iam.remove_user_from_group()
            .group_name("Admins")
            .user_name(name)
            .send()
            .await
            .unwrap();
    }
    iam.detach_group_policy()
        .group_name("Admins")
        .policy_arn(SSM_CORE)
        .send()
        .await
        .unwrap();
    iam.delete_group_policy()
        .group_name("Admins")
        .policy_name("all")
        .send()
        .await
        .unwrap();
    iam.delete_group()
        .group_name("Admins")
        .send()
        .await
        .unwrap();
    let gone = iam
        .get_group()
        .group_name("Admins")
        .send()
        .await
        .unwrap_err();
    assert!(gone.into_service_error().is_no_such_entity_exception());
}
