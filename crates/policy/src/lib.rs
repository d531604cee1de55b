//! The IAM JSON policy language: a faithful parser, a typed AST, validators
//! that reject documents the way AWS IAM does, word for word, AWS's evaluation
//! logic, and semantic comparison.
//!
//! This crate is pure: no I/O, no clock, no mutable global state (the
//! embedded service reference is read-only and built on first use). Time and
//! the request context are inputs. Size quotas and existence checks (does the
//! role named in a trust policy exist?) belong to the caller, which has the
//! account store.
//!
//! * [`parse`], [`validate`], [`findings`]: documents in, a [`Policy`] or
//!   AWS's `MalformedPolicyDocument` message out; `findings` adds Access
//!   Analyzer-style warnings from AWS's service authorization reference.
//! * [`Policy::compile`] and [`evaluate`]: decide a [`Request`] against a
//!   [`PolicySet`] (identity, resource or trust, boundary, session, SCP and
//!   RCP policies) as AWS documents it, returning a [`Decision`] with the
//!   statements that made it and the context keys that were missing;
//!   [`decide`] returns the same [`Verdict`] alone, for enforcement;
//!   [`context_keys`] lists the keys a policy uses.
//! * [`normalize`], [`grants_at_least`], [`diff`]: compare policies by
//!   meaning rather than spelling.
//!
//! ```
//! use ironiam_policy::{validate, PolicyKind};
//!
//! let trust = r#"{
//!   "Version": "2012-10-17",
//!   "Statement": {"Effect": "Allow",
//!                 "Principal": {"Service": ["ssm.amazonaws.com"]},
//!                 "Action": "sts:AssumeRole"}
//! }"#;
//! let policy = validate(trust, PolicyKind::Trust).unwrap();
//! assert_eq!(policy.statements().len(), 1);
//!
//! // The same document is not a valid identity policy, and AWS says why:
//! let error = validate(trust, PolicyKind::Identity).unwrap_err();
//! assert_eq!(error.message(), "Policy document should not specify a principal.");
//! ```
//!
//! ## Messages
//!
//! AWS reports only the first problem of a document, and which one is "first"
//! follows the order of its internal checks, not the order of the document.
//! [`validate`] reproduces that order (see the `checks` module for the evidence
//! behind it) and returns AWS's exact `MalformedPolicyDocument` message;
//! [`findings`] returns every problem, including warnings AWS never reports.

#![warn(missing_docs)]

mod ast;
pub mod budget;
mod checks;
mod compare;
mod compile;
mod error;
mod eval;
mod normalize;
mod parser;
mod pattern;
mod principal;
mod reference;
mod values;

pub use ast::{
    ActionElement, BaseOperator, Condition, ConditionBlock, ConditionEntry, ConditionOperator,
    ConditionValue, Effect, OneOrMany, Polarity, Policy, PrincipalElement, PrincipalType,
    PrincipalValue, ResourceElement, SetQualifier, Statement, StatementForm, Version,
};
pub use compare::{
    diff, grants_at_least, normalize, uncovered_grants, Conditions, DiffLine, NormalizedOperator,
    NormalizedPolicy, NormalizedStatement, PolicyDiff, Scope,
};
pub use compile::CompiledPolicy;
pub use error::{Finding, PolicyError, Problem, ResourceIssue, Severity};
pub use eval::{
    context_keys, decide, evaluate, Context, Decision, EvalDecision, MatchedStatement,
    MatchedStatements, PolicyId, PolicySet, PolicyType, Principal, PrincipalKind, Request, Verdict,
};
pub use normalize::{PrincipalSet, ValueSet};
pub use reference::{access_level, access_levels_matching, AccessLevel, SERVICE_REFERENCE_SOURCE};
pub use values::{format_iso8601, iso8601_ascii};

use checks::Issue;

/// What a policy document is for, which decides the rules it must follow and
/// some of the words AWS uses to reject it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// An inline policy embedded in a user, group or role (`PutUserPolicy`,
    /// `PutGroupPolicy`, `PutRolePolicy`). No `Principal`; resources required;
    /// `Version` optional (absent means `2008-10-17`).
    Identity,
    /// A customer managed policy (`CreatePolicy`, `CreatePolicyVersion`): an
    /// identity policy that must also say `"Version": "2012-10-17"`. AWS
    /// answers "Policy document must be version 2012-10-17 or greater." for a
    /// missing or `2008-10-17` version here but accepts both inline.
    Managed,
    /// A role trust policy (`CreateRole`, `UpdateAssumeRolePolicy`).
    /// `Principal` required, `Resource` prohibited, only STS role-assumption
    /// actions.
    Trust,
    /// A managed policy used as a permissions boundary; same rules as [`PolicyKind::Managed`].
    PermissionsBoundary,
    /// A resource-based policy of another service (an S3 bucket policy, an SQS
    /// queue policy…). `Principal` and resources required; any `Sid`.
    ResourceBased,
    /// A session policy passed to `AssumeRole*` or `GetFederationToken`. Same
    /// rules as [`PolicyKind::Identity`].
    Session,
}

/// Parses `document` against the policy grammar only, whatever kind of policy
/// it is. Succeeds for any grammatical document, including ones that
/// [`validate`] rejects for a given kind (a trust policy's `Principal` parses
/// fine here).
///
/// JSON problems are worded "This policy contains invalid Json", grammar
/// problems "Syntax errors in policy.".
pub fn parse(document: &str) -> Result<Policy, PolicyError> {
    let parsed = parser::parse_document(document);
    if let Some(issue) = parsed.issues.into_iter().next() {
        return Err(PolicyError::from_finding(render(issue, None)));
    }
    parsed.policy.ok_or_else(|| {
        // INVARIANT: the parser reports an issue whenever it returns no policy;
        // this arm only keeps the function total.
        PolicyError::from_finding(render(
            Issue::new(checks::Stage::Json, None, Problem::NotAnObject),
            None,
        ))
    })
}

/// Validates `document` as a policy of `kind`, returning the parsed policy or
/// the first problem AWS would report, with AWS's exact message.
pub fn validate(document: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    // Warnings are never reported here: skip the service-reference checks.
    let (policy, issues) = analyse(document, kind, checks::Advice::Without);
    if let Some(first_error) = issues
        .into_iter()
        .find(|issue| issue.problem.severity() == Severity::Error)
    {
        return Err(PolicyError::from_finding(render(first_error, Some(kind))));
    }
    policy.ok_or_else(|| {
        // INVARIANT: `analyse` reports an error whenever it returns no policy.
        PolicyError::from_finding(render(
            Issue::new(checks::Stage::Json, None, Problem::NotAnObject),
            Some(kind),
        ))
    })
}

/// Every problem in `document` as a policy of `kind`: errors in the order AWS
/// would report them (the first is what [`validate`] returns), then warnings.
///
/// After a grammar error the later checks still run on the statements that
/// parsed, so one call shows as much as can be found.
pub fn findings(document: &str, kind: PolicyKind) -> Vec<Finding> {
    analyse(document, kind, checks::Advice::With)
        .1
        .into_iter()
        .map(|issue| render(issue, Some(kind)))
        .collect()
}

/// Parses and checks, returning the (possibly partial) policy and all issues
/// sorted by stage.
fn analyse(
    document: &str,
    kind: PolicyKind,
    advice: checks::Advice,
) -> (Option<Policy>, Vec<Issue>) {
    let parsed = parser::parse_document(document);
    let mut issues = parsed.issues;
    if let Some(policy) = &parsed.policy {
        checks::check(policy, &parsed.statement_indices, kind, advice, &mut issues);
    }
    // Stable: document order is kept within a stage.
    issues.sort_by_key(|issue| issue.stage);
    (parsed.policy, issues)
}

fn render(issue: Issue, kind: Option<PolicyKind>) -> Finding {
    Finding {
        severity: issue.problem.severity(),
        message: issue.problem.aws_message(kind),
        statement: issue.statement,
        problem: issue.problem,
    }
}
