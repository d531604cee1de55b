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
