//! Fuzz target: a policy and a request through the evaluator.
//!
//! The input is split at NUL bytes: a policy document, then the action, the
//! resource, and `key=value` context lines. The same policy is used as an
//! identity policy, a resource policy and a boundary, for a user and for an
//! assumed-role session. Nothing may panic, normalising the policy must
//! not change the decision, and `decide` must reach `evaluate`'s verdict.
#![no_main]

use ironiam_policy::{
    decide, evaluate, normalize, parse, Context, PolicyId, PolicySet, Principal, Request,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = text.split('\0');
    let document = fields.next().unwrap_or("");
    let action = fields.next().unwrap_or("s3:GetObject");
    let resource = fields.next().unwrap_or("*");
    let mut context = Context::new().with_time(1_700_000_000);
    for line in fields.next().unwrap_or("").lines() {
        if let Some((key, values)) = line.split_once('=') {
            context = context.with_values(key, values.split(','));
        }
    }
    let Ok(policy) = parse(document) else {
        return;
    };
    let compiled = policy.compile();
    let normal = parse(&normalize(&policy).to_json().to_string()).expect("normal form parses");
    let normal_compiled = normal.compile();
    let principals = [
        Principal::user("arn:aws:iam::111122223333:user/alice"),
        Principal::assumed_role(
            "arn:aws:sts::111122223333:assumed-role/app/s1",
            "arn:aws:iam::111122223333:role/app",
        ),
        Principal::service("ec2.amazonaws.com"),
    ];
    for principal in principals {
        for (resource_account, compiled, normal) in [
            (None, &compiled, &normal_compiled),
            (Some("444455556666"), &compiled, &normal_compiled),
        ] {
            let decide = |policy| {
                let set = PolicySet::new()
                    .identity(PolicyId::new("identity"), policy)
                    .resource(PolicyId::new("resource"), policy)
                    .boundary(PolicyId::new("boundary"), policy);
                let request = Request {
                    principal,
                    action,
                    resource,
                    resource_account,
                    context: &context,
                };
                let decision = evaluate(&set, &request);
                assert_eq!(decide(&set, &request), decision.verdict());
                decision
            };
            let original = decide(compiled);
            let normalised = decide(normal);
            assert_eq!(original.decision, normalised.decision);
            assert_eq!(original.denied_by, normalised.denied_by);
        }
    }
});
