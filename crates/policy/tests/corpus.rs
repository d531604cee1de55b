//! The evaluation corpus: every `tests/corpus/*.json` file holds cases of
//! (policies, requests, expected decisions and matched statements), each
//! citing the AWS documentation it comes from. This one runner checks them
//! all and reports every failure at once.
//!
//! ## File format
//!
//! ```text
//! { "description": "…",
//!   "cases": [
//!     { "name": "…", "source": "IAM User Guide, <page> (<url>)",
//!       "policies": {
//!         "identity": [ {"id": "p", "document": {…}} | {"id": "p", "managed": "PolicyName"} ],
//!         "resource": [ … ], "trust": [ … ], "boundary": { … }, "session": [ … ],
//!         "scps": [ [ … ], … ], "rcps": [ [ … ], … ] },
//!       "checks": [
//!         { "request": { "principal": {"kind": "User", "arn": "…", "issuer": "…"},
//!                        "action": "s3:GetObject", "resource": "…",
//!                        "resource_account": "…", "time": 1700000000,
//!                        "context": {"key": "value" | ["v1", "v2"] | 1 | true} },
//!           "expect": { "decision": "allowed" | "explicitDeny" | "implicitDeny",
//!                       "matched": ["p:0", …], "denied_by": "identity" | …,
//!                       "missing": ["key", …] } } ] } ] }
//! ```
//!
//! Defaults: the principal is the IAM user `alice` of account 111122223333,
//! the resource `*`. `matched` lists `policy-id:statement-index` in
//! evaluation order and is compared exactly when given; `denied_by` and
//! `missing` likewise.

use std::collections::BTreeSet;
use std::path::Path;

use ironiam_policy::{
    decide, evaluate, parse, BaseOperator, CompiledPolicy, Context, EvalDecision, PolicyId,
    PolicySet, PolicyType, Principal, Request,
};
use serde_json::Value;

const DEFAULT_USER: &str = "arn:aws:iam::111122223333:user/alice";

struct Loaded {
    id: PolicyId,
    policy: CompiledPolicy,
}

fn load_policy(spec: &Value, where_: &str) -> Loaded {
    let id = spec["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{where_}: a policy needs an id"));
    let text = if let Some(name) = spec["managed"].as_str() {
        let catalog = ironiam_catalog::catalog();
        let managed = catalog
            .get_by_name(name)
            .unwrap_or_else(|| panic!("{where_}: no managed policy {name}"));
        catalog.document(managed)
    } else {
        match &spec["document"] {
            Value::String(text) => text.clone(),
            Value::Object(_) => spec["document"].to_string(),
            _ => panic!("{where_}: policy {id} needs a document or a managed name"),
        }
    };
    let policy = parse(&text)
        .unwrap_or_else(|error| panic!("{where_}: policy {id} does not parse: {error}"));
    Loaded {
        id: PolicyId::new(id),
        policy: policy.compile(),
    }
}

fn load_list(value: &Value, where_: &str) -> Vec<Loaded> {
    value
        .as_array()
        .map(|items| items.iter().map(|item| load_policy(item, where_)).collect())
        .unwrap_or_default()
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn principal_of(spec: &Value) -> Principal<'_> {
    if spec.is_null() {
        return Principal::user(DEFAULT_USER);
    }
    let arn = spec["arn"].as_str().unwrap_or("");
    let issuer = spec["issuer"].as_str().unwrap_or("");
    match spec["kind"].as_str().unwrap_or("User") {
        "Root" => Principal::root(arn),
        "User" => Principal::user(arn),
        "Role" => Principal::role(arn),
        "AssumedRole" => Principal::assumed_role(arn, issuer),
        "FederatedUser" => Principal::federated_user(arn, issuer),
        "Service" => Principal::service(arn),
        "Federated" => Principal::federated(arn),
        "CanonicalUser" => Principal::canonical_user(arn),
        "Anonymous" => Principal::anonymous(),
        other => panic!("unknown principal kind {other}"),
    }
}

fn policy_type_name(policy_type: PolicyType) -> &'static str {
    match policy_type {
        PolicyType::Identity => "identity",
        PolicyType::ResourceBased => "resource",
        PolicyType::PermissionsBoundary => "boundary",
        PolicyType::Session => "session",
        PolicyType::ServiceControl => "scp",
        PolicyType::ResourceControl => "rcp",
    }
}

/// Runs one check, returning a description of what differs.
fn run_check(set: &PolicySet<'_>, check: &Value) -> Result<(), String> {
    let request = &check["request"];
    let mut context = Context::new();
    if let Some(time) = request["time"].as_i64() {
        context = context.with_time(time);
    }
    if let Some(entries) = request["context"].as_object() {
        for (key, value) in entries {
            context = match value {
                Value::Array(values) => context.with_values(key, values.iter().map(text_of)),
                scalar => context.with(key, text_of(scalar)),
            };
        }
    }
    let action = request["action"]
        .as_str()
        .ok_or("a request needs an action")?;
    let request = Request {
        principal: principal_of(&request["principal"]),
        action,
        resource: request["resource"].as_str().unwrap_or("*"),
        resource_account: request["resource_account"].as_str(),
        context: &context,
    };
    let decision = evaluate(set, &request);
    let expect = &check["expect"];
    let mut problems = Vec::new();
    let verdict = decide(set, &request);
    if verdict != decision.verdict() {
        problems.push(format!(
            "decide says {verdict:?}, evaluate {:?}",
            decision.verdict()
        ));
    }
    let expected_decision = expect["decision"]
        .as_str()
        .ok_or("expect.decision is required")?;
    if decision.decision.as_str() != expected_decision {
        problems.push(format!(
            "decision {} (expected {expected_decision})",
            decision.decision
        ));
    }
    if let Some(matched) = expect["matched"].as_array() {
        let expected: Vec<String> = matched.iter().map(text_of).collect();
        let actual: Vec<String> = decision
            .matched
            .iter()
            .map(|m| format!("{}:{}", m.policy, m.statement_index))
            .collect();
        if actual != expected {
            problems.push(format!("matched {actual:?} (expected {expected:?})"));
        }
    }
    if let Some(denied_by) = expect.get("denied_by") {
        let actual = decision.denied_by.map(policy_type_name);
        if actual != denied_by.as_str() {
            problems.push(format!("denied_by {actual:?} (expected {denied_by})"));
        }
    }
    if let Some(missing) = expect["missing"].as_array() {
        let expected: Vec<String> = missing.iter().map(text_of).collect();
        if decision.missing_context_keys != expected {
            problems.push(format!(
                "missing {:?} (expected {expected:?})",
                decision.missing_context_keys
            ));
        }
    }
    if decision.decision == EvalDecision::Allowed && decision.reason(action).is_some() {
        problems.push("an allowed decision has a deny reason".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn corpus() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .expect("tests/corpus exists")
        .map(|entry| entry.expect("readable directory").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files");

    let mut failures = Vec::new();
    let mut checks_run = 0;
    let mut operators_seen = BTreeSet::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let corpus: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        for operator in BaseOperator::ALL {
            if text.contains(&format!("\"{}", operator.name()))
                || text.contains(&format!(":{}", operator.name()))
            {
                operators_seen.insert(operator.name());
            }
        }
        for case in corpus["cases"].as_array().expect("a cases list") {
            let case_name = case["name"].as_str().expect("every case has a name");
            let where_ = format!("{name} / {case_name}");
            let source = case["source"].as_str().unwrap_or("");
            assert!(
                source.contains("docs.aws.amazon.com"),
                "{where_}: the source must cite AWS documentation"
            );
            let policies = &case["policies"];
            let identity = load_list(&policies["identity"], &where_);
            let resource = load_list(&policies["resource"], &where_);
            let trust = load_list(&policies["trust"], &where_);
            let session = load_list(&policies["session"], &where_);
            let boundary = (!policies["boundary"].is_null())
                .then(|| load_policy(&policies["boundary"], &where_));
            let levels = |key: &str| -> Vec<Vec<Loaded>> {
                policies[key]
                    .as_array()
                    .map(|levels| {
                        levels
                            .iter()
                            .map(|level| load_list(level, &where_))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let scps = levels("scps");
            let rcps = levels("rcps");

            let mut set = PolicySet::new();
            for loaded in &identity {
                set = set.identity(loaded.id.clone(), &loaded.policy);
            }
            for loaded in &resource {
                set = set.resource(loaded.id.clone(), &loaded.policy);
            }
            for loaded in &trust {
                set = set.trust(loaded.id.clone(), &loaded.policy);
            }
            if let Some(loaded) = &boundary {
                set = set.boundary(loaded.id.clone(), &loaded.policy);
            }
            for loaded in &session {
                set = set.session(loaded.id.clone(), &loaded.policy);
            }
            for level in &scps {
                set = set.scp_level(level.iter().map(|l| (l.id.clone(), &l.policy)).collect());
            }
            for level in &rcps {
                set = set.rcp_level(level.iter().map(|l| (l.id.clone(), &l.policy)).collect());
            }

            for (index, check) in case["checks"]
                .as_array()
                .expect("checks")
                .iter()
                .enumerate()
            {
                checks_run += 1;
                if let Err(problem) = run_check(&set, check) {
                    let request = &check["request"];
                    failures.push(format!(
                        "{where_} #{index} ({} on {}): {problem}",
                        request["action"],
                        request["resource"].as_str().unwrap_or("*")
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checks_run} corpus checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let unseen: Vec<&str> = BaseOperator::ALL
        .iter()
        .map(|operator| operator.name())
        .filter(|name| !operators_seen.contains(name))
        .collect();
    assert!(
        unseen.is_empty(),
        "operators the corpus never uses: {unseen:?}"
    );
    println!("{checks_run} corpus checks passed in {} files", files.len());
}
