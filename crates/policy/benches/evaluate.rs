//! Decisions per second: the guide's role (AmazonSSMManagedInstanceCore and
//! AmazonEC2ContainerServiceforEC2Role attached) and a 100-statement policy
//! with conditions and policy variables; and (group `adversarial_verdict`)
//! the wildcard patterns of issue 13 that used to cost seconds.
//! `benches/moto_compare.py` times the
//! same decisions with moto's evaluator and prints the ratio; figures and
//! commands are in BENCHMARKS.md.
//!
//! ```sh
//! cargo bench -p ironiam-policy --bench evaluate
//! python3 crates/policy/benches/moto_compare.py
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ironiam_policy::budget;
use ironiam_policy::{
    decide, evaluate, parse, CompiledPolicy, Context, EvalDecision, PolicyId, PolicySet, Principal,
    Request,
};

const SSM: &str = include_str!("data/AmazonSSMManagedInstanceCore.json");
const ECS: &str = include_str!("data/AmazonEC2ContainerServiceforEC2Role.json");
const HUNDRED: &str = include_str!("data/hundred_statements.json");

const ROLE: &str = "arn:aws:iam::111122223333:role/ecsAnywhereRole";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/ecsAnywhereRole/mi-0abc";

fn compile(document: &str) -> CompiledPolicy {
    parse(document).expect("benchmark policies parse").compile()
}

/// The fixtures moto reads must be the catalog's documents.
fn check_fixtures() {
    let catalog = ironiam_catalog::catalog();
    for (name, fixture) in [
        ("AmazonSSMManagedInstanceCore", SSM),
        ("AmazonEC2ContainerServiceforEC2Role", ECS),
    ] {
        let policy = catalog.get_by_name(name).expect("in the catalog");
        assert_eq!(
            catalog.document(policy),
            fixture.trim_end(),
            "{name} fixture"
        );
    }
}

fn guide_role(c: &mut Criterion) {
    check_fixtures();
    let ssm = compile(SSM);
    let ecs = compile(ECS);
    let set = PolicySet::new()
        .identity(PolicyId::new("AmazonSSMManagedInstanceCore"), &ssm)
        .identity(PolicyId::new("AmazonEC2ContainerServiceforEC2Role"), &ecs);
    let empty = Context::new();
    let tagging = Context::new().with("ecs:CreateAction", "CreateCluster");
    let cases = [
        (
            "ecs:RegisterContainerInstance",
            &empty,
            EvalDecision::Allowed,
        ),
        (
            "ssm:UpdateInstanceInformation",
            &empty,
            EvalDecision::Allowed,
        ),
        ("iam:CreateRole", &empty, EvalDecision::ImplicitDeny),
        ("ecs:TagResource", &tagging, EvalDecision::Allowed),
    ];
    let requests = cases.map(|(action, context, expected)| {
        let request = Request {
            principal: Principal::assumed_role(SESSION, ROLE),
            action,
            resource: "*",
            resource_account: None,
            context,
        };
        assert_eq!(evaluate(&set, &request).decision, expected, "{action}");
        assert_eq!(decide(&set, &request).decision, expected, "{action}");
        request
    });
    let named = requests.map(|request| (request.action, request));
    bench_both(c, "guide_role", &set, &named);
}

/// Times `evaluate` in group `name` and `decide` in `name_verdict`, each
/// request under its name.
fn bench_both(
    c: &mut Criterion,
    name: &str,
    set: &PolicySet<'_>,
    requests: &[(&str, Request<'_>)],
) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    for (name, request) in requests {
        group.bench_function(*name, |b| {
            b.iter(|| evaluate(black_box(set), black_box(request)))
        });
    }
    group.finish();
    let mut group = c.benchmark_group(format!("{name}_verdict"));
    group.throughput(Throughput::Elements(1));
    for (name, request) in requests {
        group.bench_function(*name, |b| {
            b.iter(|| decide(black_box(set), black_box(request)))
        });
    }
    group.finish();
}

fn hundred_statements(c: &mut Criterion) {
    let policy = compile(HUNDRED);
    let set = PolicySet::new().identity(PolicyId::new("hundred"), &policy);
    let context = Context::new()
        .with_time(1_700_000_000)
        .with("aws:username", "alice")
        .with("aws:userid", "AIDAEXAMPLE")
        .with("aws:PrincipalTag/team", "ops")
        .with("aws:SourceIp", "192.0.2.10");
    let cases = [
        // Matched by the last statement: every statement is looked at.
        (
            "ecs:Get99Thing",
            "arn:aws:ecs:us-east-1:111122223333:res99/alice/x",
            EvalDecision::Allowed,
        ),
        // Matched by none.
        (
            "ecs:Get99Thing",
            "arn:aws:ecs:us-east-1:111122223333:res99/bob/x",
            EvalDecision::ImplicitDeny,
        ),
    ];
    let requests = cases.map(|(action, resource, expected)| {
        let request = Request {
            principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
            action,
            resource,
            resource_account: None,
            context: &context,
        };
        assert_eq!(evaluate(&set, &request).decision, expected, "{resource}");
        assert_eq!(decide(&set, &request).decision, expected, "{resource}");
        let name = if expected == EvalDecision::Allowed {
            "allowed"
        } else {
            "implicit_deny"
        };
        (name, request)
    });
    bench_both(c, "hundred_statements", &set, &requests);

    c.bench_function("compile/hundred_statements", |b| {
        let parsed = parse(HUNDRED).expect("parses");
        b.iter(|| black_box(&parsed).compile())
    });
}

/// A policy whose one statement allows `s3:GetObject` when `key` is
/// `StringLike` any of `patterns`.
fn string_like_policy(patterns: &[String]) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalTag/k": patterns}}
        }]
    })
    .to_string()
}

/// Issue 13, item 3: a `StringLike` that used to cost seconds. Each case is
/// one `decide` of a policy whose patterns all fail on the context value
/// (so every one is searched to the end):
///
/// * the review's size, a 60,000-character pattern against a
///   120,000-character value (beyond what the simulator and the authorize
///   endpoint accept, timed on the matcher alone): a long literal chunk,
///   60,000 `*a`, and a `?` chunk of 60,000 characters;
/// * the largest the API lets through: a 131,072-character document (the
///   model's bound on a policy in SimulateCustomPolicy) against one value
///   of 4,096 characters (ironiam's bound on a context value): one `?` chunk
///   as long as the value, and as many short `?` patterns as fit.
fn adversarial(c: &mut Criterion) {
    let review_value = "a".repeat(120_000);
    let limit_value = "a".repeat(4_096);
    let fill = |pattern: &str| {
        // As many copies as fit in 131,072 characters of document.
        let copies = (131_072 - 200) / (pattern.len() + 3);
        vec![pattern.to_string(); copies]
    };
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "literal_60k_vs_120k",
            vec![format!("*{}b*", "a".repeat(59_998))],
            &review_value,
        ),
        (
            "stars_60k_vs_120k",
            vec![format!("{}*b", "*a".repeat(29_999))],
            &review_value,
        ),
        (
            "wild_chunk_60k_vs_120k",
            vec![format!("*{}b*", "a?".repeat(29_999))],
            &review_value,
        ),
        (
            "limits_wild_chunk_4k_vs_4k",
            vec![format!("*{}b*", "a?".repeat(2_047))],
            &limit_value,
        ),
        ("limits_16k_short_wild_vs_4k", fill("*a?b*"), &limit_value),
        ("limits_16k_literal_vs_4k", fill("*ab*"), &limit_value),
    ];
    let mut group = c.benchmark_group("adversarial_verdict");
    group.sample_size(10);
    for (name, patterns, value) in &cases {
        let document = string_like_policy(patterns);
        let policy = compile(&document);
        let set = PolicySet::new().identity(PolicyId::new("adversarial"), &policy);
        let context = Context::new().with("aws:PrincipalTag/k", *value);
        let request = Request {
            principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
            action: "s3:GetObject",
            resource: "*",
            resource_account: None,
            context: &context,
        };
        assert_eq!(
            decide(&set, &request).decision,
            EvalDecision::ImplicitDeny,
            "{name}"
        );
        group.bench_function(*name, |b| {
            b.iter(|| decide(black_box(&set), black_box(&request)))
        });
    }
    group.finish();
}

/// Issue 13, item 3: the worst requests within the API's bounds, each inside
/// one evaluation budget ([`budget::DEFAULT_LIMIT`]) as the server runs
/// them, timed to their answer (all run out of budget, so this is the time
/// a request can cost):
///
/// * a simulation (1,000 evaluations sharing one budget, stopping once it
///   is spent, as `ironiam_core::simulate` does) of a 131,072-character
///   document against a 4,096-character context value: 16,000 short `?`
///   patterns, 16,000 literal ones, one `?` chunk as long as the value, and
///   65,000 stars;
/// * an enforcement decision for a role holding the most IAM allows (ten
///   managed policies of 6,144 characters and 10,240 characters of inline
///   policy), every statement denying resources like 750 `*a?b*` patterns,
///   against a 2,048-character ARN.
fn budgeted(c: &mut Criterion) {
    let value = "a".repeat(4_096);
    let fill = |pattern: &str| {
        let copies = (131_072 - 200) / (pattern.len() + 3);
        vec![pattern.to_string(); copies]
    };
    let simulations: Vec<(&str, Vec<String>)> = vec![
        ("simulation_16k_short_wild_vs_4k", fill("*a?b*")),
        ("simulation_16k_literal_vs_4k", fill("*ab*")),
        (
            "simulation_wild_chunk_4k_vs_4k",
            vec![format!("*{}b*", "a?".repeat(2_047))],
        ),
        (
            "simulation_stars_131k_vs_4k",
            vec![format!("{}b*", "*a".repeat(65_000))],
        ),
    ];
    let actions: Vec<String> = (0..1_000).map(|i| format!("s3:GetObject{i}")).collect();
    let mut group = c.benchmark_group("budgeted");
    group.sample_size(10);
    for (name, patterns) in &simulations {
        let document = string_like_policy(patterns).replace("s3:GetObject", "s3:*");
        let policy = compile(&document);
        let set = PolicySet::new().identity(PolicyId::new("adversarial"), &policy);
        let context = Context::new().with("aws:PrincipalTag/k", value.as_str());
        let simulate = || {
            budget::run(budget::DEFAULT_LIMIT, || {
                let mut denied = 0;
                for action in &actions {
                    if budget::is_exhausted() {
                        break;
                    }
                    let request = Request {
                        principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
                        action,
                        resource: "*",
                        resource_account: None,
                        context: &context,
                    };
                    denied += usize::from(!evaluate(&set, &request).is_allowed());
                }
                denied
            })
        };
        assert!(simulate().is_err(), "{name} runs out of budget");
        group.bench_function(*name, |b| b.iter(|| black_box(simulate())));
    }
    // The role: 10 managed policies and the inline ones, as many `*a?b*`
    // resources as fit in each.
    let deny = |size: usize| {
        let copies = (size - 120) / 8;
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": vec!["*a?b*"; copies]},
            ]
        })
        .to_string()
    };
    let managed: Vec<CompiledPolicy> = (0..10).map(|_| compile(&deny(6_144))).collect();
    let inline = compile(&deny(10_240));
    let mut set = PolicySet::new().identity(PolicyId::new("inline"), &inline);
    for (index, policy) in managed.iter().enumerate() {
        set = set.identity(PolicyId::new(format!("managed{index}")), policy);
    }
    let arn = format!("arn:aws:s3:::{}", "a".repeat(2_048 - 13));
    let context = Context::new();
    let request = Request {
        principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
        action: "s3:GetObject",
        resource: &arn,
        resource_account: None,
        context: &context,
    };
    let enforce = || budget::run(budget::DEFAULT_LIMIT, || decide(&set, &request));
    assert!(enforce().is_err(), "the role's decision runs out of budget");
    group.bench_function("enforce_role_limits_vs_2k_arn", |b| {
        b.iter(|| black_box(enforce()))
    });
    group.finish();
}

criterion_group!(benches, guide_role, hundred_statements);
criterion_group! {
    name = issue13;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3));
    targets = adversarial, budgeted
}
criterion_main!(benches, issue13);
