//! Semantic comparison: the normal form, containment, differences, and the
//! property tests that tie them to evaluation (normalising never changes a
//! decision; adding a Deny statement never turns a deny into an allow).

use ironiam_policy::{
    diff, evaluate, grants_at_least, normalize, parse, uncovered_grants, Context, Decision, Policy,
    PolicyId, PolicySet, Principal, PrincipalType, Request, Scope,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn policy(value: Value) -> Policy {
    parse(&value.to_string()).unwrap()
}

/// The trust policy of the guide's role, as the console prints it.
const CONSOLE_FORM: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "ssm.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}"#;

/// The same trust policy as the CLI prints it.
const CLI_FORM: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Principal": {"Service": [
      "ssm.amazonaws.com"
    ]},
    "Action": "sts:AssumeRole"
  }
}"#;

#[test]
fn the_guide_forms_normalise_equal() {
    let console = parse(CONSOLE_FORM).unwrap();
    let cli = parse(CLI_FORM).unwrap();
    assert_ne!(console, cli, "the ASTs remember the form");
    assert_eq!(normalize(&console), normalize(&cli));
    assert!(diff(&console, &cli).is_empty());
    assert!(grants_at_least(&console, &cli, &Scope::default()));
    assert!(grants_at_least(&cli, &console, &Scope::default()));
}

#[test]
fn equivalent_spellings_normalise_equal() {
    let a = policy(json!({"Statement": [
        {"Sid": "One", "Effect": "Allow", "Action": ["S3:GetObject", "s3:getobject", "ec2:Describe*"], "Resource": "arn:aws:s3:::b/*",
         "Condition": {"StringEquals": {"AWS:SourceAccount": 111122223333u64, "aws:PrincipalTag/Team": ["b", "a"]}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"}
    ]}));
    let b = policy(json!({"Version": "2008-10-17", "Id": "x", "Statement": [
        {"Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": ["s3:DeleteObject"], "Resource": ["*"]},
        {"Sid": "Two", "Effect": "Allow", "Action": ["ec2:Describe*", "s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"],
         "Condition": {"StringEquals": {"aws:principaltag/team": ["a", "b"], "aws:sourceaccount": "111122223333"}}}
    ]}));
    assert_eq!(normalize(&a), normalize(&b));
    let account = policy(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}}),
    );
    let root = policy(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}}),
    );
    assert_eq!(normalize(&account), normalize(&root));
}

#[test]
fn meaningful_differences_stay() {
    let base = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}});
    let mut resource_case = base.clone();
    resource_case["Statement"]["Resource"] = json!("arn:aws:s3:::B/*");
    let mut not_action = base.clone();
    not_action["Statement"] =
        json!({"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
    let mut version = base.clone();
    version["Version"] = json!("2008-10-17");
    for other in [resource_case, not_action, version] {
        assert_ne!(normalize(&policy(base.clone())), normalize(&policy(other)));
    }
}

#[test]
fn diff_shows_the_lines_that_carry_a_change() {
    let before = parse(CONSOLE_FORM).unwrap();
    let after = policy(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": ["ec2.amazonaws.com", "ssm.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}),
    );
    let difference = diff(&before, &after);
    assert!(!difference.is_empty());
    assert_eq!(
        difference.added().map(str::trim).collect::<Vec<_>>(),
        vec!["\"ec2.amazonaws.com\","]
    );
    assert_eq!(difference.removed().count(), 0);
    let text = difference.to_string();
    assert!(
        text.contains("+           \"ec2.amazonaws.com\","),
        "{text}"
    );
    assert!(text.contains("      \"Effect\": \"Allow\","), "{text}");
}

#[test]
fn containment() {
    let wanted = parse(CONSOLE_FORM).unwrap();
    let contains = |document: Value| grants_at_least(&policy(document), &wanted, &Scope::default());
    // More principals, more actions, a wildcard: still contains.
    assert!(contains(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Other", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"},
        {"Sid": "Ssm", "Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "ssm.amazonaws.com"]}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]})));
    assert!(contains(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:*"}})
    ));
    assert!(contains(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:assumerole"}})
    ));
    // Another service, a condition that narrows, or a deny: does not.
    assert!(!contains(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}})
    ));
    assert!(!contains(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}})
    ));
    assert!(!contains(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})));

    // A wider condition contains a narrower one.
    let narrow = policy(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/x/*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}, "Bool": {"aws:SecureTransport": "true"}}}}),
    );
    let wide = policy(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["blue", "red"]}}}}),
    );
    assert!(grants_at_least(&wide, &narrow, &Scope::default()));
    assert!(!grants_at_least(&narrow, &wide, &Scope::default()));
    let missing = uncovered_grants(&narrow, &wide, &Scope::default());
    assert_eq!(
        missing,
        vec!["not granted: action `s3:*`, resource `arn:aws:s3:::b/*`".to_owned()]
    );

    // A scope restricts the check to some actions or principals.
    let two_services = policy(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Principal": {"Service": ["ssm.amazonaws.com", "ecs-tasks.amazonaws.com"]}, "Action": "sts:AssumeRole"}}),
    );
    let scope = Scope {
        principals: Some(vec![(
            PrincipalType::Service,
            "ssm.amazonaws.com".to_owned(),
        )]),
        ..Scope::default()
    };
    assert!(!grants_at_least(&wanted, &two_services, &Scope::default()));
    assert!(grants_at_least(&wanted, &two_services, &scope));
    let actions = Scope {
        actions: Some(vec!["s3:GetObject".to_owned()]),
        ..Scope::default()
    };
    let get_only = policy(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}),
    );
    let many = policy(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}}),
    );
    assert!(grants_at_least(&get_only, &many, &actions));
    assert!(!grants_at_least(&get_only, &many, &Scope::default()));
}

/// A block that spells one key twice in different case tests it twice (AND),
/// which is not the same as one test with both values (OR).
#[test]
fn a_key_spelled_twice_is_two_tests() {
    let twice = policy(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": "ec2:RunInstances", "Resource": "*",
        "Condition": {"Null": {"AWS:principaltag/TEAM": true, "aws:PrincipalTag/team": "blue"}}}}),
    );
    let once = policy(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": "ec2:RunInstances", "Resource": "*",
        "Condition": {"Null": {"aws:PrincipalTag/team": [true, "blue"]}}}}),
    );
    assert_ne!(normalize(&twice), normalize(&once));
    let reparsed = parse(&normalize(&twice).to_json().to_string()).unwrap();
    assert_eq!(normalize(&reparsed), normalize(&twice));
    let spec = RequestSpec {
        action: "s3:GetObject",
        resource: "*",
        context: vec![],
    };
    assert!(!decide(&[&twice], &spec).is_allowed());
    assert!(!decide(&[&reparsed], &spec).is_allowed());
    assert!(decide(&[&once], &spec).is_allowed());
}

#[test]
fn normal_form_round_trips() {
    let original = parse(CLI_FORM).unwrap();
    let normal = normalize(&original);
    let reparsed = parse(&normal.to_json().to_string()).unwrap();
    assert_eq!(normalize(&reparsed), normal);
}

// ---------------------------------------------------------------------------
// Property tests

fn one_or_many(values: Vec<String>, single: bool) -> Value {
    if single && values.len() == 1 {
        Value::from(values[0].clone())
    } else {
        Value::from(values)
    }
}

fn mixed_case(text: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(text.to_owned()),
        Just(text.to_ascii_uppercase()),
        Just(text.to_ascii_lowercase()),
    ]
}

fn action_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        mixed_case("s3:GetObject"),
        mixed_case("s3:Get*"),
        mixed_case("s3:PutObject"),
        mixed_case("s3:*"),
        mixed_case("ec2:RunInstances"),
        mixed_case("ec2:*Instances"),
        mixed_case("iam:?etUser"),
        Just("*".to_owned()),
    ]
}

fn resource_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_owned()),
        Just("arn:aws:s3:::b/*".to_owned()),
        Just("arn:aws:s3:::b/${aws:username}/*".to_owned()),
        Just("arn:aws:s3:::B/x".to_owned()),
        Just("arn:aws:s3:::b/x".to_owned()),
        Just("arn:aws:ec2:*:*:instance/*".to_owned()),
        Just("arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*".to_owned()),
    ]
}

/// A condition: one operator block with one or two keys.
fn condition() -> impl Strategy<Value = Value> {
    let operator = prop_oneof![
        Just("StringEquals"),
        Just("StringNotEquals"),
        Just("StringLike"),
        Just("StringEqualsIgnoreCase"),
        Just("ForAnyValue:StringEquals"),
        Just("ForAllValues:StringLike"),
        Just("StringEqualsIfExists"),
        Just("NumericLessThan"),
        Just("DateGreaterThan"),
        Just("Bool"),
        Just("IpAddress"),
        Just("NotIpAddress"),
        Just("ArnLike"),
        Just("Null"),
    ];
    let key = prop_oneof![
        Just("aws:PrincipalTag/team"),
        Just("AWS:principaltag/TEAM"),
        Just("aws:SourceIp"),
        Just("aws:CurrentTime"),
        Just("aws:TagKeys"),
        Just("aws:SecureTransport"),
        Just("aws:SourceArn"),
        Just("s3:max-keys"),
    ];
    let value = prop_oneof![
        Just(json!("blue")),
        Just(json!("bl*")),
        Just(json!("${aws:username}")),
        Just(json!("10.0.0.0/8")),
        Just(json!("2020-01-01T00:00:00Z")),
        Just(json!(true)),
        Just(json!("false")),
        Just(json!(10)),
        Just(json!("arn:aws:s3:::b*")),
    ];
    (
        operator,
        prop::collection::vec(
            (key, prop::collection::vec(value, 1..3), any::<bool>()),
            1..3,
        ),
    )
        .prop_map(|(operator, entries)| {
            let mut keys = serde_json::Map::new();
            for (key, values, single) in entries {
                let value = if single && values.len() == 1 {
                    values[0].clone()
                } else {
                    Value::from(values)
                };
                keys.insert(key.to_owned(), value);
            }
            json!({ operator: keys })
        })
}

fn statement(effect: Option<&'static str>) -> impl Strategy<Value = Value> {
    let effect = match effect {
        Some(effect) => Just(effect).boxed(),
        None => prop_oneof![Just("Allow"), Just("Allow"), Just("Deny")].boxed(),
    };
    (
        effect,
        prop::collection::vec(action_pattern(), 1..4),
        any::<bool>(),
        prop::collection::vec(resource_pattern(), 1..3),
        any::<bool>(),
        prop::option::of(condition()),
        any::<bool>(),
        prop::option::of("[A-Za-z0-9]{1,6}"),
    )
        .prop_map(
            |(effect, actions, not_action, resources, not_resource, condition, single, sid)| {
                let mut statement = serde_json::Map::new();
                if let Some(sid) = sid {
                    statement.insert("Sid".into(), Value::from(sid));
                }
                statement.insert("Effect".into(), Value::from(effect));
                let action_key = if not_action { "NotAction" } else { "Action" };
                statement.insert(action_key.into(), one_or_many(actions, single));
                let resource_key = if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                };
                statement.insert(resource_key.into(), one_or_many(resources, single));
                if let Some(condition) = condition {
                    statement.insert("Condition".into(), condition);
                }
                Value::Object(statement)
            },
        )
}

fn policy_document() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just(Some("2012-10-17")),
            Just(Some("2008-10-17")),
            Just(None)
        ],
        prop::collection::vec(statement(None), 1..5),
        any::<bool>(),
    )
        .prop_map(|(version, statements, as_object)| {
            let statement = if as_object && statements.len() == 1 {
                statements[0].clone()
            } else {
                Value::from(statements)
            };
            match version {
                Some(version) => json!({"Version": version, "Statement": statement}),
                None => json!({"Statement": statement}),
            }
        })
}

#[derive(Debug, Clone)]
struct RequestSpec {
    action: &'static str,
    resource: &'static str,
    context: Vec<(&'static str, Vec<&'static str>)>,
}

fn request_spec() -> impl Strategy<Value = RequestSpec> {
    let action = prop_oneof![
        Just("s3:GetObject"),
        Just("s3:PutObject"),
        Just("s3:ListBucket"),
        Just("ec2:RunInstances"),
        Just("ec2:StopInstances"),
        Just("iam:GetUser"),
        Just("sqs:SendMessage"),
    ];
    let resource = prop_oneof![
        Just("arn:aws:s3:::b/x"),
        Just("arn:aws:s3:::b/alice/x"),
        Just("arn:aws:s3:::b/shared/x"),
        Just("arn:aws:s3:::B/x"),
        Just("arn:aws:ec2:us-east-1:111122223333:instance/i-1"),
        Just("*"),
    ];
    let entry = prop_oneof![
        Just(("aws:PrincipalTag/team", vec!["blue"])),
        Just(("aws:PrincipalTag/team", vec!["red"])),
        Just(("aws:username", vec!["alice"])),
        Just(("aws:SourceIp", vec!["10.1.2.3"])),
        Just(("aws:SourceIp", vec!["192.0.2.1"])),
        Just(("aws:CurrentTime", vec!["2021-06-01T00:00:00Z"])),
        Just(("aws:TagKeys", vec!["blue", "green"])),
        Just(("aws:TagKeys", vec![])),
        Just(("aws:SecureTransport", vec!["true"])),
        Just(("aws:SourceArn", vec!["arn:aws:s3:::bucket"])),
        Just(("s3:max-keys", vec!["5"])),
    ];
    (action, resource, prop::collection::vec(entry, 0..5)).prop_map(
        |(action, resource, context)| RequestSpec {
            action,
            resource,
            context,
        },
    )
}

fn decide(policies: &[&Policy], spec: &RequestSpec) -> Decision {
    let compiled: Vec<_> = policies.iter().map(|policy| policy.compile()).collect();
    let mut set = PolicySet::new();
    for (index, policy) in compiled.iter().enumerate() {
        set = set.identity(PolicyId::new(index.to_string()), policy);
    }
    let mut context = Context::new();
    for (key, values) in &spec.context {
        context = context.with_values(key, values.iter().copied());
    }
    let request = Request {
        principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
        action: spec.action,
        resource: spec.resource,
        resource_account: None,
        context: &context,
    };
    let decision = evaluate(&set, &request);
    // Every property below also checks the verdict-only path.
    assert_eq!(ironiam_policy::decide(&set, &request), decision.verdict());
    decision
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Evaluating the normal form decides every request exactly as the
    /// original does, and the normal form is a fixed point.
    #[test]
    fn normalising_never_changes_a_decision(document in policy_document(), requests in prop::collection::vec(request_spec(), 1..6)) {
        let original = policy(document);
        let normal = normalize(&original);
        let reparsed = parse(&normal.to_json().to_string()).unwrap();
        prop_assert_eq!(&normalize(&reparsed), &normal);
        for spec in &requests {
            let before = decide(&[&original], spec);
            let after = decide(&[&reparsed], spec);
            prop_assert_eq!(before.decision, after.decision, "{:?}", spec);
            prop_assert_eq!(before.denied_by, after.denied_by);
            let lower = |keys: &[String]| {
                let mut keys: Vec<String> = keys.iter().map(|k| k.to_ascii_lowercase()).collect();
                keys.sort();
                keys.dedup();
                keys
            };
            prop_assert_eq!(lower(&before.missing_context_keys), lower(&after.missing_context_keys));
        }
    }

    /// A Deny statement can only take permissions away.
    #[test]
    fn adding_a_deny_never_allows(document in policy_document(), deny in statement(Some("Deny")), spec in request_spec()) {
        let original = policy(document.clone());
        let before = decide(&[&original], &spec);
        let mut with_deny = document;
        let statements = match with_deny["Statement"].take() {
            Value::Array(items) => items,
            single => vec![single],
        };
        let mut statements = statements;
        statements.push(deny);
        with_deny["Statement"] = Value::from(statements);
        let after = decide(&[&policy(with_deny)], &spec);
        if !before.is_allowed() {
            prop_assert!(!after.is_allowed());
        }
        if before.decision == ironiam_policy::EvalDecision::ExplicitDeny {
            prop_assert_eq!(after.decision, ironiam_policy::EvalDecision::ExplicitDeny);
        }
    }

    /// Containment agrees with evaluation: when `a` grants at least what `b`
    /// grants, every request `b` allows, `a` allows.
    #[test]
    fn containment_is_sound(a in policy_document(), b in policy_document(), spec in request_spec()) {
        let (a, b) = (policy(a), policy(b));
        if grants_at_least(&a, &b, &Scope::default()) && decide(&[&b], &spec).is_allowed() {
            prop_assert!(decide(&[&a], &spec).is_allowed());
        }
        prop_assert!(grants_at_least(&b, &b, &Scope::default()), "containment is reflexive");
    }
}

proptest! {
    // More cases than the others: a deny hidden behind an unconditional
    // allow of the same action, which `decide` must still see, is rare.
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// `decide` reaches `evaluate`'s verdict with policies of every type,
    /// several identity policies, and sessions as well as users.
    #[test]
    fn a_verdict_is_the_explained_decisions_verdict(
        documents in prop::collection::vec(policy_document(), 5),
        spec in request_spec(),
        session in any::<bool>(),
        cross_account in any::<bool>(),
    ) {
        let compiled: Vec<_> = documents.into_iter().map(|document| policy(document).compile()).collect();
        let set = PolicySet::new()
            .identity(PolicyId::new("first"), &compiled[0])
            .identity(PolicyId::new("second"), &compiled[1])
            .resource(PolicyId::new("resource"), &compiled[2])
            .boundary(PolicyId::new("boundary"), &compiled[3])
            .session(PolicyId::new("session"), &compiled[4]);
        let mut context = Context::new();
        for (key, values) in &spec.context {
            context = context.with_values(key, values.iter().copied());
        }
        let principal = if session {
            Principal::assumed_role(
                "arn:aws:sts::111122223333:assumed-role/ops/alice",
                "arn:aws:iam::111122223333:role/ops",
            )
        } else {
            Principal::user("arn:aws:iam::111122223333:user/alice")
        };
        let request = Request {
            principal,
            action: spec.action,
            resource: spec.resource,
            resource_account: cross_account.then_some("444455556666"),
            context: &context,
        };
        prop_assert_eq!(ironiam_policy::decide(&set, &request), evaluate(&set, &request).verdict());
    }
}
