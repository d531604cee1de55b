//! `ironiam policy diff A B`: two policies compared by meaning.
//!
//! Both documents are brought to normal form ([`ironiam_policy::normalize`]:
//! `Statement` always a list, every value a sorted list, actions lowercase,
//! duplicates gone…) and diffed line by line, so a change of spelling shows
//! no difference. Containment both ways ([`ironiam_policy::uncovered_grants`])
//! answers the guide's question, "does the trust relationship contain this
//! policy?", even when the two are not equivalent.

use std::path::{Path, PathBuf};

use clap::Args;
use ironiam_policy::{diff, normalize, parse, uncovered_grants, DiffLine, Policy, Scope};
use serde_json::{json, Value};

use super::{read_document, statement_label, Failure, Report};

/// Exit status: the policies mean the same.
const STATUS_EQUIVALENT: u8 = 0;
/// Exit status: they do not.
const STATUS_DIFFERENT: u8 = 1;

/// Options of `diff`.
#[derive(Debug, Args)]
pub(super) struct DiffArgs {
    /// The first policy document (`-` reads standard input).
    a: PathBuf,
    /// The second policy document.
    b: PathBuf,
}

pub(super) fn run(args: &DiffArgs) -> Result<Report, Failure> {
    let a = load(&args.a)?;
    let b = load(&args.b)?;
    Ok(report(
        &args.a.display().to_string(),
        &a,
        &args.b.display().to_string(),
        &b,
    ))
}

/// Parses a document against the grammar only: any kind of policy can be
/// compared, and one AWS would reject for its kind still has a meaning.
fn load(path: &Path) -> Result<Policy, Failure> {
    let document = read_document(path)?;
    parse(&document).map_err(|e| {
        let place = e
            .statement()
            .map(|i| format!(" in {}", statement_label(i)))
            .unwrap_or_default();
        Failure(format!(
            "`{}` is not a policy document{place}: {} ({})",
            path.display(),
            e.message(),
            e.problem()
        ))
    })
}

fn report(a_name: &str, a: &Policy, b_name: &str, b: &Policy) -> Report {
    let difference = diff(a, b);
    let equivalent = difference.is_empty();
    // Grants of one that the other is not shown to allow.
    let only_in_b = uncovered_grants(a, b, &Scope::default());
    let only_in_a = uncovered_grants(b, a, &Scope::default());

    let mut human = String::new();
    if equivalent {
        human.push_str(&format!(
            "equivalent: `{a_name}` and `{b_name}` mean the same policy\n"
        ));
    } else {
        human.push_str(&format!(
            "different: `{a_name}` and `{b_name}` do not mean the same policy\n"
        ));
        human.push_str(&format!(
            "--- {a_name} (normal form)\n+++ {b_name} (normal form)\n"
        ));
        human.push_str(&difference.to_string());
        human.push_str(&containment(a_name, b_name, &only_in_b));
        human.push_str(&containment(b_name, a_name, &only_in_a));
    }

    let lines: Vec<Value> = difference
        .lines
        .iter()
        .map(|line| match line {
            DiffLine::Same(text) => json!({"op": "same", "line": text}),
            DiffLine::Removed(text) => json!({"op": "removed", "line": text}),
            DiffLine::Added(text) => json!({"op": "added", "line": text}),
        })
        .collect();
    let json = json!({
        "a": a_name,
        "b": b_name,
        "equivalent": equivalent,
        "a_grants_at_least_b": only_in_b.is_empty(),
        "b_grants_at_least_a": only_in_a.is_empty(),
        "only_in_a": only_in_a,
        "only_in_b": only_in_b,
        "diff": lines,
        "normalized": {"a": normalize(a).to_json(), "b": normalize(b).to_json()},
    });
    Report {
        human,
        json,
        status: if equivalent {
            STATUS_EQUIVALENT
        } else {
            STATUS_DIFFERENT
        },
    }
}

/// "`A` grants everything `B` grants" or the grants it is not shown to.
fn containment(container: &str, contained: &str, uncovered: &[String]) -> String {
    if uncovered.is_empty() {
        return format!("`{container}` grants everything `{contained}` grants\n");
    }
    let mut text = format!("`{container}` does not grant everything `{contained}` grants:\n");
    for grant in uncovered {
        text.push_str(&format!("  - {grant}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Policy {
        match parse(text) {
            Ok(p) => p,
            Err(e) => panic!("test document does not parse: {e}"),
        }
    }

    #[test]
    fn the_guides_two_forms_are_equivalent() {
        let list = policy(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#,
        );
        let object = policy(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"Service": ["ssm.amazonaws.com"]}, "Action": "sts:AssumeRole"}}"#,
        );
        let out = report("a", &list, "b", &object);
        assert_eq!(out.status, STATUS_EQUIVALENT);
        assert_eq!(out.json["equivalent"], true);
    }

    #[test]
    fn another_service_is_a_difference_both_ways() {
        let ssm = policy(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}}"#,
        );
        let ec2 = policy(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}}"#,
        );
        let out = report("ssm", &ssm, "ec2", &ec2);
        assert_eq!(out.status, STATUS_DIFFERENT);
        assert!(
            out.human.contains("- ") && out.human.contains("+ "),
            "{}",
            out.human
        );
        assert!(out.human.contains("ec2.amazonaws.com"));
        assert_eq!(out.json["a_grants_at_least_b"], false);
    }
}
