//! Fuzz target: any text through the parser, every validator, and the normal form.
//!
//! Properties: nothing panics; `validate` and `findings` agree on the first
//! error; a document that parses has a normal form that is itself a policy
//! document, which normalises to the same normal form (a stable round trip).
#![no_main]

use ironiam_policy::{findings, normalize, parse, validate, PolicyKind, Severity};
use libfuzzer_sys::fuzz_target;

const KINDS: [PolicyKind; 6] = [
    PolicyKind::Identity,
    PolicyKind::Managed,
    PolicyKind::Trust,
    PolicyKind::PermissionsBoundary,
    PolicyKind::ResourceBased,
    PolicyKind::Session,
];

fuzz_target!(|data: &[u8]| {
    let Ok(document) = std::str::from_utf8(data) else {
        return;
    };
    for kind in KINDS {
        let first_error = findings(document, kind)
            .into_iter()
            .find(|finding| finding.severity == Severity::Error)
            .map(|finding| finding.message);
        assert_eq!(validate(document, kind).err().map(|e| e.message().to_owned()), first_error);
    }
    let Ok(policy) = parse(document) else {
        return;
    };
    let _ = ironiam_policy::context_keys(&policy);
    let normal = normalize(&policy);
    let text = normal.to_json().to_string();
    let reparsed = parse(&text).expect("the normal form is a policy document");
    assert_eq!(normalize(&reparsed), normal, "the normal form is stable");
    let _ = ironiam_policy::diff(&policy, &reparsed);
});
