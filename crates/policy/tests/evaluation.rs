//! Evaluation against the guide's role: AmazonSSMManagedInstanceCore and
//! AmazonEC2ContainerServiceforEC2Role attached to one role, as the ECS
//! Anywhere guide sets it up. The documents come from the embedded catalog of
//! AWS managed policies, exactly as AWS publishes them.

use ironiam_policy::{
    context_keys, evaluate, parse, CompiledPolicy, Context, EvalDecision, PolicyId, PolicySet,
    PolicyType, Principal, Request,
};

fn managed(name: &str) -> CompiledPolicy {
    let catalog = ironiam_catalog::catalog();
    let policy = catalog
        .get_by_name(name)
        .unwrap_or_else(|| panic!("{name} is in the catalog"));
    parse(&catalog.document(policy)).unwrap().compile()
}

const ROLE: &str = "arn:aws:iam::111122223333:role/ecsAnywhereRole";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/ecsAnywhereRole/mi-0123456789abcdef0";

fn decide(set: &PolicySet<'_>, action: &str, context: &Context) -> ironiam_policy::Decision {
    evaluate(
        set,
        &Request {
            principal: Principal::assumed_role(SESSION, ROLE),
            action,
            resource: "*",
            resource_account: None,
            context,
        },
    )
}

#[test]
fn the_guide_role() {
    let ssm = managed("AmazonSSMManagedInstanceCore");
    let ecs = managed("AmazonEC2ContainerServiceforEC2Role");
    let set = PolicySet::new()
        .identity(
            PolicyId::new("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
            &ssm,
        )
        .identity(
            PolicyId::new(
                "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
            ),
            &ecs,
        );
    let empty = Context::new();
    for action in [
        "ecs:RegisterContainerInstance",
        "ecs:SubmitTaskStateChange",
        "ssm:UpdateInstanceInformation",
        "ECS:registercontainerinstance",
    ] {
        let decision = decide(&set, action, &empty);
        assert_eq!(decision.decision, EvalDecision::Allowed, "{action}");
        assert_eq!(decision.matched.len(), 1, "{action}");
        assert_eq!(decision.matched[0].statement_index, 0);
    }
    for action in ["iam:CreateRole", "ecs:DeleteCluster"] {
        let decision = decide(&set, action, &empty);
        assert_eq!(decision.decision, EvalDecision::ImplicitDeny, "{action}");
        assert_eq!(decision.denied_by, Some(PolicyType::Identity));
        assert_eq!(
            decision.reason(action).unwrap(),
            format!("because no identity-based policy allows the {action} action")
        );
    }

    let tag = decide(&set, "ecs:TagResource", &empty);
    assert_eq!(tag.decision, EvalDecision::ImplicitDeny);
    assert_eq!(
        tag.missing_context_keys,
        vec!["ecs:CreateAction".to_owned()]
    );
    for (create_action, expected) in [
        ("CreateCluster", EvalDecision::Allowed),
        ("RegisterContainerInstance", EvalDecision::Allowed),
        ("createcluster", EvalDecision::ImplicitDeny),
        ("RunTask", EvalDecision::ImplicitDeny),
    ] {
        let context = Context::new().with("ECS:CreateAction", create_action);
        let decision = decide(&set, "ecs:TagResource", &context);
        assert_eq!(decision.decision, expected, "{create_action}");
        assert!(decision.missing_context_keys.is_empty());
    }

    let ecs_policy = parse(
        &ironiam_catalog::catalog().document(
            ironiam_catalog::catalog()
                .get_by_name("AmazonEC2ContainerServiceforEC2Role")
                .unwrap(),
        ),
    )
    .unwrap();
    assert_eq!(
        context_keys(&ecs_policy),
        vec!["ecs:CreateAction".to_owned()]
    );
}

#[test]
fn keys_derived_from_the_principal() {
    let session = Principal::assumed_role(SESSION, ROLE);
    let context = Context::new()
        .with_principal(&session)
        .with_time(1_577_836_800);
    assert_eq!(context.get("AWS:PrincipalArn").unwrap(), [ROLE.to_owned()]);
    assert_eq!(
        context.get("aws:principalaccount").unwrap(),
        ["111122223333".to_owned()]
    );
    assert_eq!(
        context.get("aws:PrincipalType").unwrap(),
        ["AssumedRole".to_owned()]
    );
    assert_eq!(
        context.get("aws:CurrentTime").unwrap(),
        ["2020-01-01T00:00:00Z".to_owned()]
    );
    assert_eq!(
        context.get("aws:EpochTime").unwrap(),
        ["1577836800".to_owned()]
    );
    assert!(context.get("aws:username").is_none());

    let user = Principal::user("arn:aws:iam::111122223333:user/division/alice");
    let context = Context::new().with_principal(&user);
    assert_eq!(context.get("aws:username").unwrap(), ["alice".to_owned()]);
    assert_eq!(user.account(), Some("111122223333"));
}

#[test]
fn access_denied_wording() {
    let allow_all = parse(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#)
        .unwrap()
        .compile();
    let deny_iam = parse(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}}"#)
        .unwrap()
        .compile();
    let only_s3 = parse(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#)
        .unwrap()
        .compile();
    let context = Context::new();
    let request = |action| Request {
        principal: Principal::assumed_role(SESSION, ROLE),
        action,
        resource: "*",
        resource_account: None,
        context: &context,
    };
    let cases = [
        (
            PolicySet::new()
                .identity("id".into(), &allow_all)
                .scp_level(vec![("scp".into(), &deny_iam)]),
            "with an explicit deny in a service control policy",
        ),
        (
            PolicySet::new()
                .identity("id".into(), &allow_all)
                .scp_level(vec![("scp".into(), &only_s3)]),
            "because no service control policy allows the iam:CreateRole action",
        ),
        (
            PolicySet::new()
                .identity("id".into(), &allow_all)
                .boundary("b".into(), &only_s3),
            "because no permissions boundary allows the iam:CreateRole action",
        ),
        (
            PolicySet::new()
                .identity("id".into(), &allow_all)
                .session("s".into(), &only_s3),
            "because no session policy allows the iam:CreateRole action",
        ),
        (
            PolicySet::new()
                .identity("id".into(), &allow_all)
                .session("s".into(), &deny_iam),
            "with an explicit deny in a session policy",
        ),
        (
            PolicySet::new().identity("id".into(), &deny_iam),
            "with an explicit deny in an identity-based policy",
        ),
    ];
    for (set, expected) in cases {
        let decision = evaluate(&set, &request("iam:CreateRole"));
        assert_eq!(decision.reason("iam:CreateRole").as_deref(), Some(expected));
    }
    let allowed = evaluate(
        &PolicySet::new().identity("id".into(), &allow_all),
        &request("iam:CreateRole"),
    );
    assert!(allowed.is_allowed());
    assert_eq!(allowed.reason("iam:CreateRole"), None);
    assert_eq!(EvalDecision::ImplicitDeny.as_str(), "implicitDeny");
}
