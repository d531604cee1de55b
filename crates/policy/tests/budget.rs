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

/// Issue 13 item 3: compiling a document of many one-action statements is
/// not quadratic. 20,000 statements (about what a 1 MiB SimulateCustomPolicy
/// request holds) took minutes to compile in a debug build when every
/// statement was asked about every action; the exact actions are now looked
/// up. The decisions stay those of the statements: each action is allowed
/// by its own statement and denied by the wildcard Deny where it applies.
#[test]
fn many_one_action_statements_compile_in_linear_work() {
    let mut statements: Vec<String> = (0..20_000)
        .map(|i| format!(r#"{{"Effect":"Allow","Action":"s3:GetObject{i}","Resource":"*"}}"#))
        .collect();
    statements.push(
        r#"{"Effect":"Deny","NotAction":"s3:GetObject1*","Resource":"arn:aws:s3:::secret/*"}"#
            .to_string(),
    );
    let document = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    let compiled = parse(&document).unwrap().compile();
    let set = PolicySet::new().identity(PolicyId::new("many"), &compiled);
    let empty = Context::new();
    let ask = |action: &str, resource: &str| {
        let request = Request {
            principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
            action,
            resource,
            resource_account: None,
            context: &empty,
        };
        (
            decide(&set, &request).is_allowed(),
            evaluate(&set, &request).is_allowed(),
        )
    };
    assert_eq!(ask("s3:GetObject19999", "*"), (true, true));
    assert_eq!(ask("s3:getobject7", "*"), (true, true));
    assert_eq!(ask("s3:GetObject20000", "*"), (false, false));
    // The NotAction Deny applies to actions outside s3:GetObject1*.
    assert_eq!(
        ask("s3:GetObject7", "arn:aws:s3:::secret/x"),
        (false, false)
    );
    assert_eq!(ask("s3:GetObject17", "arn:aws:s3:::secret/x"), (true, true));
}
