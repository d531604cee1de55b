//! Property tests: the parser and validators are total (they never panic), and
//! their answers are consistent with each other.

use ironiam_policy::{findings, parse, validate, PolicyKind, Severity};
use proptest::prelude::*;
use serde_json::Value;

const KINDS: [PolicyKind; 6] = [
    PolicyKind::Identity,
    PolicyKind::Managed,
    PolicyKind::Trust,
    PolicyKind::PermissionsBoundary,
    PolicyKind::ResourceBased,
    PolicyKind::Session,
];

/// Arbitrary JSON, biased towards the policy grammar's own words so that
/// deep, nearly-valid documents are generated, not just noise.
fn json_value() -> impl Strategy<Value = Value> {
    let word = prop_oneof![
        Just("Version".to_owned()),
        Just("Statement".to_owned()),
        Just("Effect".to_owned()),
        Just("Allow".to_owned()),
        Just("Deny".to_owned()),
        Just("Principal".to_owned()),
        Just("NotPrincipal".to_owned()),
        Just("AWS".to_owned()),
        Just("Service".to_owned()),
        Just("Action".to_owned()),
        Just("NotAction".to_owned()),
        Just("Resource".to_owned()),
        Just("NotResource".to_owned()),
        Just("Condition".to_owned()),
        Just("StringEquals".to_owned()),
        Just("ForAnyValue:DateLessThanIfExists".to_owned()),
        Just("2012-10-17".to_owned()),
        Just("2008-10-17".to_owned()),
        Just("*".to_owned()),
        Just("sts:AssumeRole".to_owned()),
        Just("arn:aws:s3:::bucket".to_owned()),
        Just("ec2.amazonaws.com".to_owned()),
        ".{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        word.clone().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((word.clone(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn check_consistency(document: &str) {
    let _ = parse(document);
    for kind in KINDS {
        let validated = validate(document, kind);
        let found = findings(document, kind);
        let first_error = found
            .iter()
            .find(|finding| finding.severity == Severity::Error);
        match (&validated, first_error) {
            (Ok(_), None) => {}
            (Err(error), Some(finding)) => assert_eq!(error.message(), finding.message),
            (Ok(_), Some(finding)) => panic!("{kind:?} accepted but found {finding:?}"),
            (Err(error), None) => panic!("{kind:?} rejected with {error} but found nothing"),
        }
        // Whatever validates also parses.
        if validated.is_ok() {
            assert!(parse(document).is_ok());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_strings(document in ".{0,256}") {
        check_consistency(&document);
    }

    #[test]
    fn never_panics_on_arbitrary_json(value in json_value()) {
        check_consistency(&value.to_string());
    }

    #[test]
    fn never_panics_on_arbitrary_statements(statement in json_value(), list in any::<bool>()) {
        let statement = if list { Value::Array(vec![statement]) } else { statement };
        let document = serde_json::json!({"Version": "2012-10-17", "Statement": statement});
        check_consistency(&document.to_string());
    }
}
