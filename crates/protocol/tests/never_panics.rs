//! Property: no byte string makes the decoder panic, for any operation of either service.

use ironiam_protocol::{decode_input, parse_form, resolve_operation, Service};
use proptest::prelude::*;

/// Every operation of both services, IAM first.
fn all_operations() -> Vec<&'static ironiam_protocol::OperationDef> {
    Service::Iam
        .operations()
        .iter()
        .chain(Service::Sts.operations())
        .collect()
}

/// Parameter names that reach deep into the shapes: real member paths with random
/// indices and suffixes, so the generator does not only produce unknown names.
fn name_strategy() -> impl Strategy<Value = String> {
    let roots = prop::sample::select(vec![
        "Tags",
        "RoleName",
        "PolicyArns",
        "ContextEntries",
        "ClientIDList",
        "MaxItems",
        "DurationSeconds",
        "ProvidedContexts",
        "PolicyInputList",
        "Action",
        "Version",
        "X-Amz-Date",
        "Scope",
        "Delegation",
    ]);
    let tails = prop::sample::select(vec![
        "",
        ".member.1",
        ".member.1.Key",
        ".member.2.Value",
        ".member.0.Key",
        ".member.4294967295.Key",
        ".member.99999999999",
        ".member.1.arn",
        ".member.1.ContextKeyValues.member.1",
        ".entry.1.key",
        ".",
        ".member.1.Parameters.member.1.Values.member.3",
    ]);
    (roots, tails).prop_map(|(r, t)| format!("{r}{t}"))
}

fn value_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9+=,.@_/-]{0,12}",
        "-?[0-9]{1,12}",
        Just("true".to_string()),
        any::<String>(),
    ]
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(op_index in any::<prop::sample::Index>(), bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let ops = all_operations();
        let op = ops[op_index.index(ops.len())];
        if let Ok(params) = parse_form(&bytes) {
            let _ = decode_input(op, &params);
            let _ = resolve_operation(None, &params);
        }
    }

    #[test]
    fn structured_requests_never_panic(
        op_index in any::<prop::sample::Index>(),
        pairs in prop::collection::vec((name_strategy(), value_strategy()), 0..12),
    ) {
        let ops = all_operations();
        let op = ops[op_index.index(ops.len())];
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let params = parse_form(body.join("&").as_bytes()).expect("encoded bodies parse");
        prop_assert_eq!(params.len(), pairs.len());
        if let Err(e) = decode_input(op, &params) {
            // Every error is a well-formed 400 Sender error.
            prop_assert_eq!(e.status(), 400);
            prop_assert!(e.is_sender_fault());
            prop_assert!(!e.message().is_empty());
        }
    }
}

/// Every operation, with no parameters: either accepted or answered with the required
/// members it misses, each as Coral's "Member must not be null".
#[test]
fn every_operation_without_parameters() {
    for op in all_operations() {
        let required: Vec<_> = op
            .input
            .map(|s| s.members().iter().filter(|m| m.required).collect())
            .unwrap_or_default();
        match decode_input(op, &[]) {
            Ok(input) => assert!(required.is_empty() && input.is_empty(), "{}", op.name),
            Err(e) => {
                let msg = e.message();
                assert_eq!(e.code(), "ValidationError", "{}", op.name);
                assert_eq!(
                    msg.matches("failed to satisfy constraint: Member must not be null")
                        .count(),
                    required.len(),
                    "{msg}"
                );
            }
        }
    }
}
