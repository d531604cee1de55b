//! Issue 13 item 3: realistic policy sets stay far below the evaluation
//! budget, so running out of it only ever stops adversarial requests.

use ironiam_policy::{
    budget, decide, evaluate, parse, Context, PolicyId, PolicySet, Principal, Request,
};

const SSM: &str = include_str!("../benches/data/AmazonSSMManagedInstanceCore.json");
const ECS: &str = include_str!("../benches/data/AmazonEC2ContainerServiceforEC2Role.json");
const HUNDRED: &str = include_str!("../benches/data/hundred_statements.json");

/// The units `f` spends inside a default budget.
fn units<T>(f: impl FnOnce() -> T) -> u64 {
    budget::run(budget::DEFAULT_LIMIT, || {
        f();
        budget::DEFAULT_LIMIT - budget::remaining()
    })
    .unwrap_or(u64::MAX)
}

#[test]
fn realistic_decisions_use_a_sliver_of_the_budget() {
    let ssm = parse(SSM).unwrap().compile();
    let ecs = parse(ECS).unwrap().compile();
    let guide = PolicySet::new()
        .identity(PolicyId::new("ssm"), &ssm)
        .identity(PolicyId::new("ecs"), &ecs);
    let empty = Context::new();
    for action in [
        "ecs:RegisterContainerInstance",
        "ssm:UpdateInstanceInformation",
        "iam:CreateRole",
    ] {
        let request = Request {
            principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
            action,
            resource: "*",
            resource_account: None,
            context: &empty,
        };
        assert_eq!(
            units(|| decide(&guide, &request)),
            0,
            "{action}: the guide's role uses no units"
        );
    }

    let hundred = parse(HUNDRED).unwrap().compile();
    let set = PolicySet::new().identity(PolicyId::new("hundred"), &hundred);
    let context = Context::new()
        .with_time(1_700_000_000)
        .with("aws:username", "alice")
        .with("aws:userid", "AIDAEXAMPLE")
        .with("aws:PrincipalTag/team", "ops")
        .with("aws:SourceIp", "192.0.2.10");
    for resource in [
        "arn:aws:ecs:us-east-1:111122223333:res99/alice/x",
        "arn:aws:ecs:us-east-1:111122223333:res99/bob/x",
    ] {
        let request = Request {
            principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
            action: "ecs:Get99Thing",
            resource,
            resource_account: None,
            context: &context,
        };
        let spent = units(|| evaluate(&set, &request));
        // Under 1/10,000 of the budget: a simulation of 1,000 such
        // evaluations would still use under a tenth of it.
        assert!(
            spent < budget::DEFAULT_LIMIT / 10_000,
            "{resource}: {spent} units"
        );
        assert!(units(|| decide(&set, &request)) <= spent);
    }
}
