//! Rendering: a checklist for people, or one JSON document on stdout.
//!
//! Human output goes to stdout except failures, which go to stderr. The
//! `--dry-run` listing is a valid shell script: commands, and `#` comments.

use serde_json::{json, Value};

use crate::checklist::{Report, Status};
use crate::error::Failure;
use crate::plan::{Change, Plan};
use crate::Format;

/// Prints the result of `check`.
pub fn print_report(report: &Report, format: Format) {
    match format {
        Format::Json => print_json(&json!(report)),
        Format::Human => print!("{}", human_report(report)),
    }
}

/// The human checklist.
pub fn human_report(report: &Report) -> String {
    let mut out = String::new();
    match &report.role_arn {
        Some(arn) => out.push_str(&format!(
            "ECS Anywhere role `{}` ({arn})\n",
            report.role_name
        )),
        None => out.push_str(&format!("ECS Anywhere role `{}`\n", report.role_name)),
    }
    for check in &report.checks {
        let mark = match check.status {
            Status::Pass => "[ok]  ",
            Status::Fail => "[FAIL]",
            Status::Skipped => "[--]  ",
        };
        out.push_str(&format!("  {mark} {}\n", check.summary));
        for detail in &check.details {
            out.push_str(&format!("         - {detail}\n"));
        }
    }
    if !report.extras.is_empty() {
        out.push_str("Also on the role:\n");
        for extra in &report.extras {
            let mark = if extra.warning { "[warn]" } else { "[info]" };
            out.push_str(&format!("  {mark} {}\n", extra.message));
        }
    }
    if !report.recommendations.is_empty() {
        out.push_str("Recommended:\n");
        for recommendation in &report.recommendations {
            out.push_str(&format!(
                "  - {}\n      {}\n",
                recommendation.message, recommendation.command
            ));
        }
    }
    if report.ready {
        out.push_str(&format!(
            "Ready: `{}` is set up for ECS Anywhere.\n",
            report.role_name
        ));
    } else {
        let failed = report
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .count();
        out.push_str(&format!(
            "Needs changes: {failed} check(s) failed. `ironiam ecs-anywhere ensure` fixes them (add --dry-run to see the commands first).\n"
        ));
    }
    out
}

fn change_json(change: &Change, global: &[String]) -> Value {
    let mut value = json!(change);
    if let Some(map) = value.as_object_mut() {
        map.insert("description".into(), Value::from(change.describe()));
        map.insert("command".into(), Value::from(change.aws_cli(global)));
    }
    value
}

/// Prints what `ensure --dry-run` would do.
pub fn print_dry_run(role_name: &str, plan: &Plan, global: &[String], format: Format) {
    match format {
        Format::Json => print_json(&json!({
            "status": if plan.changes.is_empty() { "unchanged" } else { "would-change" },
            "role_name": role_name,
            "dry_run": true,
            "changes": plan.changes.iter().map(|c| change_json(c, global)).collect::<Vec<_>>(),
            "notes": plan.notes,
        })),
        Format::Human => print!("{}", human_dry_run(role_name, plan, global)),
    }
}

/// The dry-run listing: a shell script of `aws iam` commands with comments.
pub fn human_dry_run(role_name: &str, plan: &Plan, global: &[String]) -> String {
    let mut out = String::new();
    if plan.changes.is_empty() {
        out.push_str(&format!(
            "# `{role_name}` is already set up for ECS Anywhere; nothing to change.\n"
        ));
    } else {
        out.push_str(&format!(
            "# Dry run: {} change(s) would make `{role_name}` ready for ECS Anywhere.\n",
            plan.changes.len()
        ));
    }
    for note in &plan.notes {
        out.push_str(&format!("# note: {note}\n"));
    }
    for (index, change) in plan.changes.iter().enumerate() {
        out.push_str(&format!(
            "# {}. {}\n{}\n",
            index + 1,
            change.describe(),
            change.aws_cli(global)
        ));
    }
    out
}

/// Prints what `ensure` did.
pub fn print_applied(role_name: &str, plan: &Plan, global: &[String], format: Format) {
    match format {
        Format::Json => print_json(&json!({
            "status": if plan.changes.is_empty() { "unchanged" } else { "changed" },
            "role_name": role_name,
            "dry_run": false,
            "changes": plan.changes.iter().map(|c| change_json(c, global)).collect::<Vec<_>>(),
            "notes": plan.notes,
        })),
        Format::Human => {
            let mut out = String::new();
            for change in &plan.changes {
                out.push_str(&format!("changed: {}\n", change.describe()));
            }
            for note in &plan.notes {
                out.push_str(&format!("note: {note}\n"));
            }
            if plan.changes.is_empty() {
                out.push_str(&format!(
                    "`{role_name}` was already set up for ECS Anywhere; nothing changed.\n"
                ));
            } else {
                out.push_str(&format!(
                    "`{role_name}` is set up for ECS Anywhere ({} change(s)).\n",
                    plan.changes.len()
                ));
            }
            print!("{out}");
        }
    }
}

/// Prints why the command could not finish (stderr for people; the JSON
/// document on stdout with `--output json`), and what `ensure` had changed.
pub fn print_failure(failure: &Failure, done: &[Change], global: &[String], format: Format) {
    eprintln!("ironiam ecs-anywhere: {failure}");
    eprintln!("  hint: {}", failure.hint());
    if !done.is_empty() {
        eprintln!("  changed before the failure:");
        for change in done {
            eprintln!("    - {}", change.describe());
        }
    }
    if format == Format::Json {
        print_json(&json!({
            "status": "error",
            "error": {"kind": failure.kind(), "message": failure.to_string(), "hint": failure.hint()},
            "changes_made": done.iter().map(|c| change_json(c, global)).collect::<Vec<_>>(),
        }));
    }
}

fn print_json(value: &Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        // INVARIANT: a `Value` always serialises; this arm keeps output total.
        Err(e) => eprintln!("ironiam ecs-anywhere: cannot render JSON: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::check;

    #[test]
    fn a_missing_role_reads_like_a_checklist() {
        let text = human_report(&check("ecsAnywhereRole", None));
        assert_eq!(
            text,
            "ECS Anywhere role `ecsAnywhereRole`\n  [FAIL] role `ecsAnywhereRole` does not exist\n  [--]   AmazonSSMManagedInstanceCore is attached (no role to check)\n  [--]   AmazonEC2ContainerServiceforEC2Role is attached (no role to check)\n  [--]   the trust relationship allows ssm.amazonaws.com to call sts:AssumeRole (no role to check)\nNeeds changes: 1 check(s) failed. `ironiam ecs-anywhere ensure` fixes them (add --dry-run to see the commands first).\n"
        );
    }

    #[test]
    fn a_dry_run_listing_is_a_shell_script() {
        let plan = Plan {
            changes: vec![Change::AttachRolePolicy {
                role_name: "r".into(),
                policy_arn: "arn:aws:iam::aws:policy/X".into(),
            }],
            notes: vec!["n".into()],
        };
        assert_eq!(
            human_dry_run("r", &plan, &[]),
            "# Dry run: 1 change(s) would make `r` ready for ECS Anywhere.\n# note: n\n# 1. attach `arn:aws:iam::aws:policy/X` to `r`\naws iam attach-role-policy --role-name r --policy-arn arn:aws:iam::aws:policy/X\n"
        );
    }
}
