use std::sync::Arc;

use ironiam_core::clock::FixedClock;
use ironiam_core::entities::Tag;
use ironiam_core::instance_profiles::NewInstanceProfile;
use ironiam_core::memory::MemoryStore;
use ironiam_core::service::{Caller, IamService, NewPolicy, NewRole, Settings};
use ironiam_core::users::NewUser;
use ironiam_protocol::{decode_input, operation, Service};

use super::*;

const ACCOUNT: &str = "123456789012";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const DOCUMENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_string(),
        value: value.to_string(),
    }
}

/// A service with a role, a user (with a key), an instance profile, a
/// customer policy and an OIDC provider, each with a path and a tag.
struct World {
    service: IamService,
    root: Caller,
    alice: Caller,
    key_id: String,
    policy_arn: String,
    oidc_arn: String,
}

fn world() -> World {
    let service = IamService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(FixedClock::new(1_700_000_000)),
        Settings::default(),
    );
    let root = Caller::root(ACCOUNT);
    let ok = |r: Result<(), IamError>| assert!(r.is_ok(), "{r:?}");
    ok(service
        .create_role(
            &root,
            NewRole {
                name: "App".into(),
                path: Some("/team/".into()),
                trust_policy: TRUST.into(),
                permissions_boundary: Some("arn:aws:iam::aws:policy/PowerUserAccess".into()),
                tags: vec![tag("env", "prod")],
                ..NewRole::default()
            },
        )
        .map(drop));
    let alice = service.create_user(
        &root,
        NewUser {
            name: "alice".into(),
            path: Some("/people/".into()),
            permissions_boundary: None,
            tags: vec![tag("team", "blue")],
        },
    );
    let alice = match alice {
        Ok(user) => Caller::user(&user),
        Err(e) => panic!("{e:?}"),
    };
    let key_id = match service.create_access_key(&root, Some("alice")) {
        Ok(key) => key.info.access_key_id.clone(),
        Err(e) => panic!("{e:?}"),
    };
    ok(service
        .create_instance_profile(
            &root,
            NewInstanceProfile {
                name: "web".into(),
                path: Some("/ec2/".into()),
                tags: vec![tag("tier", "web")],
            },
        )
        .map(drop));
    let policy_arn = match service.create_policy(
        &root,
        NewPolicy {
            name: "Read".into(),
            path: Some("/p/".into()),
            document: DOCUMENT.into(),
            description: None,
            tags: vec![tag("owner", "ops")],
        },
    ) {
        Ok(p) => p.arn,
        Err(e) => panic!("{e:?}"),
    };
    let oidc_arn = match service.create_oidc_provider(
        &root,
        "https://token.example.com/id/",
        vec!["sts.amazonaws.com".into()],
        vec![],
        vec![tag("idp", "ci")],
    ) {
        Ok(p) => p.arn(),
        Err(e) => panic!("{e:?}"),
    };
    World {
        service,
        root,
        alice,
        key_id,
        policy_arn,
        oidc_arn,
    }
}

/// The requests `name` with `params` needs, as (action, resource, context).
fn requests(w: &World, caller: &Caller, name: &str, params: &[(&str, &str)]) -> Vec<AuthzRequest> {
    let Some(op) = operation(None, name) else {
        panic!("no operation {name}")
    };
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let input = match decode_input(op, &owned) {
        Ok(input) => input,
        Err(e) => panic!("{name}: {e:?}"),
    };
    match requests_of(
        &w.service,
        caller,
        op,
        &input,
        RequestFacts {
            region: Some("eu-west-1"),
            secure: true,
        },
    ) {
        Ok(Some(requests)) => requests,
        other => panic!("{name}: {other:?}"),
    }
}

fn values(request: &AuthzRequest, key: &str) -> Vec<String> {
    request
        .context
        .get(key)
        .map(<[String]>::to_vec)
        .unwrap_or_default()
}

#[test]
fn every_operation_of_the_model_has_an_entry() {
    let mut count = 0;
    for service in [Service::Iam, Service::Sts] {
        for op in service.operations() {
            assert!(
                lookup(service, op.name).is_some(),
                "{service:?} {} has no authorization entry",
                op.name
            );
            count += 1;
        }
    }
    assert_eq!(count, 187);
    assert_eq!(generated::OPERATIONS.len(), 187);
    // Sorted, or the binary search misses entries.
    assert!(
        generated::OPERATIONS
            .windows(2)
            .all(|w| (service_rank(w[0].service), w[0].name)
                < (service_rank(w[1].service), w[1].name))
    );
}

#[test]
fn an_operation_missing_from_the_table_is_denied() {
    let w = world();
    let Some(real) = operation(None, "GetRole") else {
        panic!()
    };
    let unknown = OperationDef {
        name: "GetRoleSecretly",
        ..*real
    };
    let input = match decode_input(real, &[("RoleName".to_string(), "App".to_string())]) {
        Ok(input) => input,
        Err(e) => panic!("{e:?}"),
    };
    let answer = requests_of(
        &w.service,
        &w.alice,
        &unknown,
        &input,
        RequestFacts {
            region: None,
            secure: false,
        },
    );
    assert!(
        matches!(answer, Err(IamError::AccessDenied(_))),
        "{answer:?}"
    );
}

#[test]
fn sts_authentication_operations_are_not_authorized_against_policies() {
    for name in [
        "GetCallerIdentity",
        "GetSessionToken",
        "AssumeRole",
        "AssumeRoleWithWebIdentity",
        "AssumeRoleWithSAML",
    ] {
        assert!(
            matches!(
                lookup(Service::Sts, name).map(|e| &e.authorization),
                Some(Authorization::NotAuthorized)
            ),
            "{name}"
        );
    }
}

#[test]
fn role_operations_name_the_existing_role_with_its_path_tags_and_boundary() {
    let w = world();
    // The name as sent, case folded by IAM: the ARN spells it as stored.
    let r = requests(&w, &w.alice, "GetRole", &[("RoleName", "app")]);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].action, "iam:GetRole");
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:role/team/App");
    assert_eq!(values(&r[0], "aws:ResourceTag/env"), ["prod"]);
    assert_eq!(values(&r[0], "iam:ResourceTag/env"), ["prod"]);
    assert_eq!(
        values(&r[0], "iam:PermissionsBoundary"),
        ["arn:aws:iam::aws:policy/PowerUserAccess"]
    );
    assert_eq!(values(&r[0], "aws:SecureTransport"), ["true"]);
    assert_eq!(values(&r[0], "aws:RequestedRegion"), ["eu-west-1"]);

    let r = requests(
        &w,
        &w.alice,
        "AttachRolePolicy",
        &[("RoleName", "App"), ("PolicyArn", &w.policy_arn)],
    );
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:role/team/App");
    assert_eq!(values(&r[0], "iam:PolicyARN"), [w.policy_arn.as_str()]);

    // A missing role: the path is unknown, so `/`.
    let r = requests(&w, &w.alice, "DeleteRole", &[("RoleName", "Gone")]);
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:role/Gone");
    assert!(values(&r[0], "aws:ResourceTag/env").is_empty());
}

#[test]
fn create_operations_name_the_resource_from_the_request() {
    let w = world();
    // Even when a role of that name exists, CreateRole asks about the path sent.
    let r = requests(
        &w,
        &w.alice,
        "CreateRole",
        &[
            ("RoleName", "App"),
            ("AssumeRolePolicyDocument", TRUST),
            ("Path", "/other/"),
            (
                "PermissionsBoundary",
                "arn:aws:iam::123456789012:policy/Boundary",
            ),
            ("Tags.member.1.Key", "env"),
            ("Tags.member.1.Value", "dev"),
        ],
    );
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:role/other/App");
    assert_eq!(values(&r[0], "aws:RequestTag/env"), ["dev"]);
    assert_eq!(values(&r[0], "aws:TagKeys"), ["env"]);
    assert_eq!(
        values(&r[0], "iam:PermissionsBoundary"),
        ["arn:aws:iam::123456789012:policy/Boundary"]
    );
    assert!(values(&r[0], "aws:ResourceTag/env").is_empty());

    let r = requests(&w, &w.alice, "CreateUser", &[("UserName", "bob")]);
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:user/bob");

    let r = requests(
        &w,
        &w.alice,
        "CreatePolicy",
        &[
            ("PolicyName", "P"),
            ("PolicyDocument", DOCUMENT),
            ("Path", "/x/"),
        ],
    );
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:policy/x/P");

    let r = requests(
        &w,
        &w.alice,
        "CreateOpenIDConnectProvider",
        &[("Url", "https://issuer.example.com/path/")],
    );
    assert_eq!(
        r[0].resource,
        "arn:aws:iam::123456789012:oidc-provider/issuer.example.com/path"
    );

    let r = requests(
        &w,
        &w.alice,
        "CreateInstanceProfile",
        &[("InstanceProfileName", "db")],
    );
    assert_eq!(
        r[0].resource,
        "arn:aws:iam::123456789012:instance-profile/db"
    );
}

#[test]
fn user_operations_default_to_the_calling_user() {
    let w = world();
    for name in [
        "GetUser",
        "ListAccessKeys",
        "CreateAccessKey",
        "GetLoginProfile",
        "DeleteLoginProfile",
        "ListMFADevices",
    ] {
        let r = requests(&w, &w.alice, name, &[]);
        assert_eq!(
            r[0].resource, "arn:aws:iam::123456789012:user/people/alice",
            "{name}"
        );
    }
    // ChangePassword has no UserName at all.
    let r = requests(
        &w,
        &w.alice,
        "ChangePassword",
        &[("OldPassword", "a"), ("NewPassword", "b")],
    );
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:user/people/alice");
    // Root has no user to default to.
    let r = requests(&w, &w.root, "GetUser", &[]);
    assert_eq!(r[0].resource, "*");
    // Named: the user, with path and tags.
    let r = requests(&w, &w.root, "GetLoginProfile", &[("UserName", "ALICE")]);
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:user/people/alice");
    assert_eq!(values(&r[0], "aws:ResourceTag/team"), ["blue"]);
}

#[test]
fn access_keys_are_authorized_on_their_user() {
    let w = world();
    let r = requests(
        &w,
        &w.root,
        "GetAccessKeyLastUsed",
        &[("AccessKeyId", &w.key_id)],
    );
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:user/people/alice");
    assert_eq!(values(&r[0], "iam:ResourceTag/team"), ["blue"]);
    let r = requests(
        &w,
        &w.root,
        "GetAccessKeyLastUsed",
        &[("AccessKeyId", "AKIAIOSFODNN7EXAMPLE")],
    );
    assert_eq!(r[0].resource, "*");
    let r = requests(
        &w,
        &w.root,
        "UpdateAccessKey",
        &[
            ("UserName", "alice"),
            ("AccessKeyId", &w.key_id),
            ("Status", "Inactive"),
        ],
    );
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:user/people/alice");
}

#[test]
fn policies_and_oidc_providers_are_named_by_their_arn_with_their_tags() {
    let w = world();
    let r = requests(&w, &w.alice, "GetPolicy", &[("PolicyArn", &w.policy_arn)]);
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:policy/p/Read");
    assert_eq!(values(&r[0], "aws:ResourceTag/owner"), ["ops"]);
    let r = requests(
        &w,
        &w.alice,
        "UntagPolicy",
        &[("PolicyArn", &w.policy_arn), ("TagKeys.member.1", "owner")],
    );
    assert_eq!(values(&r[0], "aws:TagKeys"), ["owner"]);
    let r = requests(
        &w,
        &w.alice,
        "GetOpenIDConnectProvider",
        &[("OpenIDConnectProviderArn", &w.oidc_arn)],
    );
    assert_eq!(
        r[0].resource,
        "arn:aws:iam::123456789012:oidc-provider/token.example.com/id"
    );
    assert_eq!(values(&r[0], "aws:ResourceTag/idp"), ["ci"]);
    let r = requests(
        &w,
        &w.alice,
        "SimulatePrincipalPolicy",
        &[
            (
                "PolicySourceArn",
                "arn:aws:iam::123456789012:user/people/alice",
            ),
            ("ActionNames.member.1", "s3:GetObject"),
        ],
    );
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:user/people/alice");
}

#[test]
fn add_role_to_instance_profile_also_passes_the_role() {
    let w = world();
    let r = requests(
        &w,
        &w.alice,
        "AddRoleToInstanceProfile",
        &[("InstanceProfileName", "web"), ("RoleName", "App")],
    );
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].action, "iam:AddRoleToInstanceProfile");
    assert_eq!(
        r[0].resource,
        "arn:aws:iam::123456789012:instance-profile/ec2/web"
    );
    assert_eq!(values(&r[0], "aws:ResourceTag/tier"), ["web"]);
    assert_eq!(r[1].action, "iam:PassRole");
    assert_eq!(r[1].resource, "arn:aws:iam::123456789012:role/team/App");
    assert_eq!(values(&r[1], "iam:PassedToService"), ["ec2.amazonaws.com"]);
    assert_eq!(
        values(&r[1], "iam:AssociatedResourceArn"),
        ["arn:aws:ec2:*:123456789012:instance/*"]
    );
    assert_eq!(values(&r[1], "aws:ResourceTag/env"), ["prod"]);
    assert_eq!(values(&r[1], "aws:SecureTransport"), ["true"]);
    // Removing a role passes nothing.
    let r = requests(
        &w,
        &w.alice,
        "RemoveRoleFromInstanceProfile",
        &[("InstanceProfileName", "web"), ("RoleName", "App")],
    );
    assert_eq!(r.len(), 1);
}

#[test]
fn login_profiles_act_on_their_user() {
    let w = world();
    let r = requests(
        &w,
        &w.root,
        "CreateLoginProfile",
        &[("UserName", "alice"), ("Password", "correct horse battery")],
    );
    assert_eq!(
        (r[0].action.as_str(), r[0].resource.as_str()),
        (
            "iam:CreateLoginProfile",
            "arn:aws:iam::123456789012:user/people/alice"
        )
    );
    let r = requests(&w, &w.root, "UpdateLoginProfile", &[("UserName", "alice")]);
    assert_eq!(r[0].resource, "arn:aws:iam::123456789012:user/people/alice");
}

#[test]
fn list_and_account_operations_are_on_star() {
    let w = world();
    for (name, params) in [
        ("ListRoles", &[("PathPrefix", "/team/")][..]),
        ("ListUsers", &[][..]),
        ("ListPolicies", &[][..]),
        ("ListInstanceProfiles", &[][..]),
        ("GetAccountSummary", &[][..]),
        ("GetAccountPasswordPolicy", &[][..]),
    ] {
        let r = requests(&w, &w.alice, name, params);
        assert_eq!((r.len(), r[0].resource.as_str()), (1, "*"), "{name}");
        assert_eq!(r[0].action, format!("iam:{name}"));
    }
    let r = requests(
        &w,
        &w.alice,
        "DecodeAuthorizationMessage",
        &[("EncodedMessage", "x")],
    );
    assert_eq!(
        (r[0].action.as_str(), r[0].resource.as_str()),
        ("sts:DecodeAuthorizationMessage", "*")
    );
}

#[test]
fn name_with_path_drops_the_leading_slash() {
    assert_eq!(name_with_path("/", "app"), "app");
    assert_eq!(name_with_path("/a/b/", "app"), "a/b/app");
}

#[test]
fn condition_keys_take_string_integer_and_list_members() {
    let w = world();
    let r = requests(
        &w,
        &w.alice,
        "GetWebIdentityToken",
        &[
            ("Audience.member.1", "https://a.example"),
            ("Audience.member.2", "https://b.example"),
            ("SigningAlgorithm", "RS256"),
            ("DurationSeconds", "300"),
        ],
    );
    assert_eq!(r[0].action, "sts:GetWebIdentityToken");
    assert_eq!(
        values(&r[0], "sts:IdentityTokenAudience"),
        ["https://a.example", "https://b.example"]
    );
    assert_eq!(values(&r[0], "sts:DurationSeconds"), ["300"]);
    assert_eq!(values(&r[0], "sts:SigningAlgorithm"), ["RS256"]);
}
