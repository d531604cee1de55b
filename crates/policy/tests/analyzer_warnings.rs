//! Access Analyzer-style warnings from the embedded service authorization
//! reference: they never make `validate` fail, and `findings` reports them
//! after AWS's errors.

use ironiam_policy::{findings, validate, PolicyKind, Problem, Severity};
use serde_json::json;

fn warnings(document: serde_json::Value, kind: PolicyKind) -> Vec<Problem> {
    let text = document.to_string();
    assert!(
        validate(&text, kind).is_ok(),
        "warnings never reject: {text}"
    );
    findings(&text, kind)
        .into_iter()
        .filter(|finding| finding.severity == Severity::Warning)
        .map(|finding| finding.problem)
        .collect()
}

fn identity(statement: serde_json::Value) -> Vec<Problem> {
    warnings(
        json!({"Version": "2012-10-17", "Statement": statement}),
        PolicyKind::Identity,
    )
}

#[test]
fn unknown_services_and_actions() {
    assert_eq!(
        identity(
            json!({"Effect": "Allow", "Action": ["foo:Bar", "FOO:Baz", "s3:GetObjekt", "s3:GetObject"], "Resource": "*"})
        ),
        vec![
            Problem::UnknownService {
                service: "foo".into()
            },
            Problem::UnknownAction {
                action: "s3:GetObjekt".into()
            },
        ]
    );
    assert_eq!(
        identity(
            json!({"Effect": "Allow", "Action": ["s3:Nothing*", "s3:Get*", "ec2:?escribeInstances"], "Resource": "*"})
        ),
        vec![Problem::ActionMatchesNothing {
            action: "s3:Nothing*".into()
        }]
    );
    assert!(identity(json!({"Effect": "Allow", "Action": "*", "Resource": "*"})).is_empty());
}

#[test]
fn unsupported_condition_keys() {
    assert_eq!(
        identity(
            json!({"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
            "Condition": {"StringLike": {"s3:prefix": "home/*"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
        ),
        vec![Problem::UnsupportedConditionKey {
            key: "s3:prefix".into()
        }]
    );
    // Supported: by the action, by one of several actions, through a placeholder.
    assert!(identity(json!({"Effect": "Allow", "Action": "ecs:TagResource", "Resource": "*",
        "Condition": {"StringEquals": {"ECS:createaction": "CreateCluster", "aws:ResourceTag/team": "blue"}}})).is_empty());
    assert!(identity(
        json!({"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*",
        "Condition": {"StringLike": {"s3:prefix": "home/*"}}})
    )
    .is_empty());
    assert!(
        identity(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringEquals": {"s3:ExistingObjectTag/team": "blue"}}}))
        .is_empty()
    );
    // Not judged: NotAction, provider keys, unknown prefixes.
    assert!(identity(
        json!({"Effect": "Deny", "NotAction": "s3:*", "Resource": "*",
        "Condition": {"StringLike": {"ec2:InstanceType": "t2.*"}}})
    )
    .is_empty());
}

const ECS_ANYWHERE_TRUST: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;

#[test]
fn confused_deputy() {
    let found = findings(ECS_ANYWHERE_TRUST, PolicyKind::Trust);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Severity::Warning);
    assert_eq!(found[0].statement, Some(0));
    assert_eq!(
        found[0].problem,
        Problem::MissingConfusedDeputyCondition {
            service: "ssm.amazonaws.com".into()
        }
    );
    assert!(found[0].message.contains("confused deputy"));
    let protected = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}, "ArnLike": {"aws:SourceArn": "arn:aws:ssm:*:111122223333:*"}}}]});
    assert!(warnings(protected, PolicyKind::Trust).is_empty());
    let account = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]});
    assert!(warnings(account, PolicyKind::Trust).is_empty());
}

#[test]
fn the_guide_policies_name_only_real_actions() {
    let catalog = ironiam_catalog::catalog();
    for name in [
        "AmazonSSMManagedInstanceCore",
        "AmazonEC2ContainerServiceforEC2Role",
    ] {
        let document = catalog.document(catalog.get_by_name(name).unwrap());
        let found = findings(&document, PolicyKind::Managed);
        assert!(found.is_empty(), "{name}: {found:?}");
    }
}
