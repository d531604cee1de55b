//! The two spellings of the ECS Anywhere trust policy in the ECS developer
//! guide ("ECS Anywhere IAM role"): the console one (`Statement` as a list,
//! `Service` as a string) and the CLI one (`Statement` as an object, `Service`
//! as a one-element list). Both are valid trust policies, neither is a valid
//! identity policy, and they mean the same thing.

use ironiam_policy::{
    parse, validate, OneOrMany, PolicyKind, PrincipalType, PrincipalValue, StatementForm,
};

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
fn both_forms_are_valid_trust_policies() {
    for document in [CONSOLE_FORM, CLI_FORM] {
        let policy = validate(document, PolicyKind::Trust).unwrap();
        assert_eq!(policy.statements().len(), 1);
    }
}

#[test]
fn both_forms_are_invalid_identity_policies() {
    for document in [CONSOLE_FORM, CLI_FORM] {
        for kind in [PolicyKind::Identity, PolicyKind::Managed] {
            let error = validate(document, kind).unwrap_err();
            assert_eq!(
                error.message(),
                "Policy document should not specify a principal."
            );
            assert_eq!(error.statement(), Some(0));
        }
    }
}

#[test]
fn the_ast_remembers_the_form() {
    let console = parse(CONSOLE_FORM).unwrap();
    let cli = parse(CLI_FORM).unwrap();
    assert_eq!(console.statement_form(), StatementForm::List);
    assert_eq!(cli.statement_form(), StatementForm::Object);

    let service_values = |policy: &ironiam_policy::Policy| -> OneOrMany<String> {
        let principal = policy.statements()[0].principal().unwrap();
        match &principal.value {
            PrincipalValue::Map(entries) => {
                assert_eq!(entries.len(), 1);
                assert_eq!(entries[0].0, PrincipalType::Service);
                entries[0].1.clone()
            }
            PrincipalValue::Wildcard => panic!("not a wildcard"),
        }
    };
    assert_eq!(
        service_values(&console),
        OneOrMany::One("ssm.amazonaws.com".to_owned())
    );
    assert_eq!(
        service_values(&cli),
        OneOrMany::Many(vec!["ssm.amazonaws.com".to_owned()])
    );
    // Literally different documents...
    assert_ne!(console, cli);
}

#[test]
fn the_normalised_view_is_the_same() {
    let console = parse(CONSOLE_FORM).unwrap();
    let cli = parse(CLI_FORM).unwrap();
    let (a, b) = (&console.statements()[0], &cli.statements()[0]);
    assert_eq!(a.principal_set(), b.principal_set());
    assert_eq!(a.action_set(), b.action_set());
    assert_eq!(a.resource_set(), b.resource_set());
    assert_eq!(a.effect(), b.effect());
    let principals = a.principal_set().unwrap();
    assert!(principals.contains(PrincipalType::Service, "ssm.amazonaws.com"));
    assert!(!principals.is_everyone());
}
