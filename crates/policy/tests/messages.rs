//! One test per AWS message, per kind of policy where the wording differs.

use ironiam_policy::{findings, parse, validate, PolicyKind, Problem, Severity};

fn message(document: &str, kind: PolicyKind) -> String {
    match validate(document, kind) {
        Ok(_) => panic!("expected {kind:?} to reject {document}"),
        Err(error) => error.message().to_owned(),
    }
}

fn trust(statement: &str) -> String {
    format!(r#"{{"Version": "2012-10-17", "Statement": [{statement}]}}"#)
}

fn identity(statement: &str) -> String {
    format!(r#"{{"Version": "2012-10-17", "Statement": {statement}}}"#)
}

const INVALID_JSON: &str = "This policy contains invalid Json";
const SYNTAX: &str = "Syntax errors in policy.";

#[test]
fn invalid_json_wording_depends_on_the_api() {
    for document in [
        "not json",
        "{",
        "[]",
        "null",
        "\"text\"",
        "42",
        "",
        "{\"Version\": }",
    ] {
        assert_eq!(
            message(document, PolicyKind::Trust),
            INVALID_JSON,
            "{document:?}"
        );
        assert_eq!(
            message(document, PolicyKind::ResourceBased),
            INVALID_JSON,
            "{document:?}"
        );
        for kind in [
            PolicyKind::Identity,
            PolicyKind::Managed,
            PolicyKind::PermissionsBoundary,
            PolicyKind::Session,
        ] {
            assert_eq!(message(document, kind), SYNTAX, "{kind:?} {document:?}");
        }
        let error = parse(document).unwrap_err();
        assert_eq!(error.message(), INVALID_JSON);
        assert!(matches!(
            error.problem(),
            Problem::InvalidJson { .. } | Problem::NotAnObject
        ));
    }
}

#[test]
fn deep_nesting_is_invalid_json_without_overflowing_the_stack() {
    for depth in [129, 10_000, 1_000_000] {
        let brackets = "[".repeat(depth);
        assert_eq!(parse(&brackets).unwrap_err().message(), INVALID_JSON);
        assert_eq!(message(&brackets, PolicyKind::Trust), INVALID_JSON);
        let balanced = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(message(&balanced, PolicyKind::Trust), INVALID_JSON);
        let objects = format!(
            r#"{{"Version": "2012-10-17", "Statement": {}"#,
            r#"{"a": "#.repeat(depth)
        );
        assert_eq!(message(&objects, PolicyKind::Trust), INVALID_JSON);
    }
}

#[test]
fn trust_policy_with_resource_is_prohibited() {
    let with_resource = trust(
        r#"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}"#,
    );
    assert_eq!(
        message(&with_resource, PolicyKind::Trust),
        "Has prohibited field Resource"
    );
    let with_not_resource = trust(
        r#"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "NotResource": "*"}"#,
    );
    assert_eq!(
        message(&with_not_resource, PolicyKind::Trust),
        "Has prohibited field NotResource"
    );
}

#[test]
fn trust_policy_without_principal() {
    for statement in [
        r#"{"Effect": "Allow", "Action": "sts:AssumeRole"}"#,
        r#"{"Effect": "Allow", "Principal": {}, "Action": "sts:AssumeRole"}"#,
        r#"{"Effect": "Allow", "Principal": {"AWS": []}, "Action": "sts:AssumeRole"}"#,
    ] {
        assert_eq!(
            message(&trust(statement), PolicyKind::Trust),
            "Missing required field Principal"
        );
    }
    let not_principal = trust(
        r#"{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}"#,
    );
    assert!(validate(&not_principal, PolicyKind::Trust).is_ok());
}

#[test]
fn invalid_service_principals() {
    for service in [
        "foo",
        "ssm.amazonaws.con",
        "amazonaws.com",
        "SSM.amazonaws.com",
        "*",
    ] {
        let document = trust(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"Service": "{service}"}}, "Action": "sts:AssumeRole"}}"#
        ));
        assert_eq!(
            message(&document, PolicyKind::Trust),
            format!(r#"Invalid principal in policy: "SERVICE":"{service}""#)
        );
    }
    // The first bad value in document order is the one reported.
    let document = trust(
        r#"{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "bad", "worse"]}, "Action": "sts:AssumeRole"}"#,
    );
    assert_eq!(
        message(&document, PolicyKind::Trust),
        r#"Invalid principal in policy: "SERVICE":"bad""#
    );
}

#[test]
fn valid_service_principals() {
    for service in [
        "ssm.amazonaws.com",
        "ec2.amazonaws.com",
        "ecs-tasks.amazonaws.com",
        "lambda.amazonaws.com",
        "ec2.amazonaws.com.cn",
    ] {
        let document = trust(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"Service": "{service}"}}, "Action": "sts:AssumeRole"}}"#
        ));
        assert!(validate(&document, PolicyKind::Trust).is_ok(), "{service}");
    }
}

#[test]
fn aws_principals() {
    for valid in [
        "*",
        "123456789012",
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::123456789012:role/path/to/role",
        "arn:aws:sts::123456789012:assumed-role/role-name/session-name",
    ] {
        let document = trust(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": "{valid}"}}, "Action": "sts:AssumeRole"}}"#
        ));
        assert!(validate(&document, PolicyKind::Trust).is_ok(), "{valid}");
    }
    for invalid in ["not-an-arn", "arn:aws:iam::123456789012:role/*", "12345"] {
        let document = trust(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": ["{invalid}"]}}, "Action": "sts:AssumeRole"}}"#
        ));
        assert_eq!(
            message(&document, PolicyKind::Trust),
            format!(r#"Invalid principal in policy: "AWS":"{invalid}""#)
        );
    }
    let wildcard = trust(r#"{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}"#);
    assert!(validate(&wildcard, PolicyKind::Trust).is_ok());
}

#[test]
fn federated_and_canonical_principals() {
    let bad_federated = trust(
        r#"{"Effect": "Allow", "Principal": {"Federated": "nope"}, "Action": "sts:AssumeRoleWithWebIdentity"}"#,
    );
    assert_eq!(
        message(&bad_federated, PolicyKind::Trust),
        r#"Invalid principal in policy: "FEDERATED":"nope""#
    );
    let bucket_policy = identity(
        r#"{"Effect": "Allow", "Principal": {"CanonicalUser": "xyz"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}"#,
    );
    assert_eq!(
        message(&bucket_policy, PolicyKind::ResourceBased),
        r#"Invalid principal in policy: "CANONICALUSER":"xyz""#
    );
}

#[test]
fn identity_policies_reject_principals() {
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Managed,
        PolicyKind::PermissionsBoundary,
        PolicyKind::Session,
    ] {
        for field in ["Principal", "NotPrincipal"] {
            let document = identity(&format!(
                r#"{{"Effect": "Allow", "{field}": {{"AWS": "*"}}, "Action": "s3:GetObject", "Resource": "*"}}"#
            ));
            assert_eq!(
                message(&document, kind),
                "Policy document should not specify a principal.",
                "{kind:?} {field}"
            );
        }
    }
    // A principal is reported before missing resources (hashicorp/terraform#13449).
    let both = identity(
        r#"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}"#,
    );
    assert_eq!(
        message(&both, PolicyKind::Identity),
        "Policy document should not specify a principal."
    );
}

#[test]
fn missing_resources_and_actions() {
    let no_resource = identity(r#"{"Effect": "Allow", "Action": "s3:GetObject"}"#);
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Managed,
        PolicyKind::Session,
    ] {
        assert_eq!(
            message(&no_resource, kind),
            "Policy statement must contain resources."
        );
    }
    let bucket_policy =
        identity(r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}"#);
    assert_eq!(
        message(&bucket_policy, PolicyKind::ResourceBased),
        "Policy statement must contain resources."
    );

    let no_action = identity(r#"{"Effect": "Allow", "Resource": "*"}"#);
    assert_eq!(
        message(&no_action, PolicyKind::Identity),
        "Policy statement must contain actions."
    );
    let trust_without_action =
        trust(r#"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}"#);
    assert_eq!(
        message(&trust_without_action, PolicyKind::Trust),
        "Policy statement must contain actions."
    );
}

#[test]
fn syntax_errors() {
    let cases = [
        // Bad Effect.
        identity(r#"{"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"}"#),
        identity(r#"{"Effect": true, "Action": "s3:GetObject", "Resource": "*"}"#),
        // Unknown fields, top level and statement (AWS never names them).
        r#"{"Version": "2012-10-17", "Statment": []}"#.to_owned(),
        r#"{"Version": "2012-10-17", "Foo": 1, "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#.to_owned(),
        identity(r#"{"Effect": "Allow", "Actions": "s3:GetObject", "Resource": "*"}"#),
        // Bad Version.
        r#"{"Version": "2012-10-18", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#.to_owned(),
        r#"{"Version": 2012, "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#.to_owned(),
        // Unknown condition operator with keys.
        identity(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEqualz": {"aws:username": "bob"}}}"#),
        identity(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}}}"#),
        // Condition values must be scalars.
        identity(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:username": null}}}"#),
        // A bare principal string other than "*".
        trust(r#"{"Effect": "Allow", "Principal": "ec2.amazonaws.com", "Action": "sts:AssumeRole"}"#),
        // An unknown principal type.
        trust(r#"{"Effect": "Allow", "Principal": {"Services": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}"#),
    ];
    for document in &cases {
        assert_eq!(
            message(document, PolicyKind::Identity),
            SYNTAX,
            "{document}"
        );
        assert_eq!(message(document, PolicyKind::Trust), SYNTAX, "{document}");
        assert_eq!(parse(document).unwrap_err().message(), SYNTAX, "{document}");
    }
}

#[test]
fn action_format() {
    let with_action = |action: &str| {
        identity(&format!(
            r#"{{"Effect": "Allow", "Action": "{action}", "Resource": "*"}}"#
        ))
    };
    assert_eq!(
        message(&with_action("sts AssumeRole"), PolicyKind::Identity),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    );
    assert_eq!(
        message(&with_action("s3:Get:Object"), PolicyKind::Identity),
        "Actions/Condition can contain only one colon."
    );
    assert_eq!(
        message(&with_action("*:Untag*"), PolicyKind::Identity),
        "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards"
    );
    assert_eq!(
        message(&with_action("s_3:Get"), PolicyKind::Identity),
        "Vendor s_3 is not valid"
    );
    assert!(validate(&with_action("*"), PolicyKind::Identity).is_ok());
    assert!(validate(&with_action("s3:*"), PolicyKind::Identity).is_ok());
    // Action format errors apply to trust policies too, before the STS-only rule.
    let document = trust(
        r#"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts AssumeRole"}"#,
    );
    assert_eq!(
        message(&document, PolicyKind::Trust),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    );
}

#[test]
fn trust_policies_only_allow_role_assumption() {
    for action in ["sts:GetCallerIdentity", "s3:GetObject", "sts:InvalidAction"] {
        let document = trust(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"Service": "ec2.amazonaws.com"}}, "Action": "{action}"}}"#
        ));
        assert_eq!(
            message(&document, PolicyKind::Trust),
            "AssumeRole policy may only specify STS AssumeRole actions.",
            "{action}"
        );
    }
    let allowed = trust(
        r#"{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity", "STS:assumerole", "sts:*"]}"#,
    );
    assert!(validate(&allowed, PolicyKind::Trust).is_ok());
}

#[test]
fn versions() {
    let statement = r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#;
    let no_version = format!(r#"{{"Statement": {statement}}}"#);
    let old = format!(r#"{{"Version": "2008-10-17", "Statement": {statement}}}"#);
    for document in [&no_version, &old] {
        // Inline policies may use the old version; managed ones may not.
        assert!(validate(document, PolicyKind::Identity).is_ok());
        assert!(validate(document, PolicyKind::Session).is_ok());
        for kind in [PolicyKind::Managed, PolicyKind::PermissionsBoundary] {
            assert_eq!(
                message(document, kind),
                "Policy document must be version 2012-10-17 or greater."
            );
        }
    }
    let policy = parse(&old).unwrap();
    assert!(!policy.policy_variables_enabled());
    assert_eq!(parse(&no_version).unwrap().version(), None);
    assert!(parse(&identity(statement))
        .unwrap()
        .policy_variables_enabled());
}

#[test]
fn policy_variables_in_an_old_policy_are_literal() {
    let document = r#"{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/${aws:username}/*"}}"#;
    let policy = validate(document, PolicyKind::Identity).unwrap();
    assert!(!policy.policy_variables_enabled());
    let found = findings(document, PolicyKind::Identity);
    assert!(found.iter().any(|finding| finding.severity == Severity::Warning
        && matches!(&finding.problem, Problem::PolicyVariableIsLiteral { value } if value.contains("${aws:username}"))));
}

#[test]
fn sids() {
    let document = identity(
        r#"{"Sid": "my-sid", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#,
    );
    assert_eq!(
        message(&document, PolicyKind::Identity),
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    );
    // Other services' resource policies allow any Sid.
    let bucket = identity(
        r#"{"Sid": "my-sid", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
    );
    assert!(validate(&bucket, PolicyKind::ResourceBased).is_ok());
}

#[test]
fn findings_list_everything_first_error_first() {
    let document = r#"{
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "nope"}, "Action": "s3:GetObject", "Resource": "*"},
            {"Sid": "a", "Effect": "Allow", "Action": "sts:AssumeRole"},
            {"Sid": "a", "Effect": "Maybe"}
        ]
    }"#;
    let found = findings(document, PolicyKind::Trust);
    let errors: Vec<_> = found
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert_eq!(errors[0].message, SYNTAX);
    assert_eq!(errors[0].statement, Some(2));
    let messages: Vec<&str> = errors.iter().map(|f| f.message.as_str()).collect();
    assert!(messages.contains(&"Has prohibited field Resource"));
    assert!(messages.contains(&"Missing required field Principal"));
    assert!(messages.contains(&r#"Invalid principal in policy: "SERVICE":"nope""#));
    assert!(messages.contains(&"AssumeRole policy may only specify STS AssumeRole actions."));
    assert_eq!(
        validate(document, PolicyKind::Trust).unwrap_err().message(),
        errors[0].message
    );

    // Warnings come after errors and never make validate fail.
    let warned = r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"Whatever": {}}}}"#;
    let found = findings(warned, PolicyKind::Identity);
    assert!(!found.is_empty());
    assert!(found.iter().all(|f| f.severity == Severity::Warning));
    assert!(validate(warned, PolicyKind::Identity).is_ok());
}

#[test]
fn errors_display_the_aws_message() {
    let error = validate("nope", PolicyKind::Trust).unwrap_err();
    assert_eq!(error.to_string(), INVALID_JSON);
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    assert_eq!(boxed.to_string(), INVALID_JSON);
}
