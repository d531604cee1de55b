//! The policy simulator: SimulateCustomPolicy / SimulatePrincipalPolicy and
//! GetContextKeysFor*Policy, over the pure engine in `ironiam-policy`.

use ironiam_catalog::catalog;
use ironiam_policy::budget;
use ironiam_policy::{
    context_keys, evaluate, CompiledPolicy, Context, EvalDecision, Policy, PolicyId, PolicySet,
    PolicyType, Principal, Request,
};

use crate::authorize::budget_message;
use crate::error::{IamError, IamResult};
use crate::holders::{Holder, PolicyHolder, PrincipalKind};
use crate::service::{Caller, IamService};

/// A policy taking part in a simulation, and how results name it.
#[derive(Debug, Clone)]
pub struct SourcePolicy {
    /// `SourcePolicyId`: `PolicyInputList.1`, an inline policy's name, a managed policy's name.
    pub id: String,
    /// `SourcePolicyType` (`role`, `aws-managed`, `user-managed`, `resource`, …); `None` for input lists.
    pub source_type: Option<&'static str>,
    /// The document as written (positions are reported in it).
    pub document: String,
}

/// A line and column (1-based) in a policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// `Line`.
    pub line: usize,
    /// `Column`.
    pub column: usize,
}

/// A statement that decided a simulation result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatementRef {
    /// `SourcePolicyId`.
    pub source_policy_id: String,
    /// `SourcePolicyType`.
    pub source_policy_type: Option<&'static str>,
    /// `StartPosition`.
    pub start: Option<Position>,
    /// `EndPosition`.
    pub end: Option<Position>,
}

/// One `EvaluationResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationResult {
    /// `EvalActionName`.
    pub action: String,
    /// `EvalResourceName`.
    pub resource: String,
    /// `EvalDecision`: `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: &'static str,
    /// `MatchedStatements`.
    pub matched: Vec<MatchedStatementRef>,
    /// `MissingContextValues`.
    pub missing_context_values: Vec<String>,
    /// `PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary`, when a boundary took part.
    pub allowed_by_boundary: Option<bool>,
}

/// What to simulate.
#[derive(Debug, Clone, Default)]
pub struct Simulation {
    /// Identity-based policies.
    pub policies: Vec<SourcePolicy>,
    /// Permissions boundaries.
    pub boundaries: Vec<SourcePolicy>,
    /// `ActionNames`.
    pub actions: Vec<String>,
    /// `ResourceArns` (`*` when empty).
    pub resources: Vec<String>,
    /// `ResourcePolicy`.
    pub resource_policy: Option<String>,
    /// `ResourceOwner`: the account owning the resources.
    pub resource_owner: Option<String>,
    /// `CallerArn`.
    pub caller_arn: Option<String>,
    /// `ContextEntries`: key and values.
    pub context: Vec<(String, Vec<String>)>,
}

fn parse_input(source: &SourcePolicy) -> IamResult<Policy> {
    ironiam_policy::parse(&source.document).map_err(|e| {
        IamError::InvalidInput(format!(
            "Invalid policy document {}: {}",
            source.id,
            e.message()
        ))
    })
}

/// The account of an ARN (`arn:aws:iam::ACCOUNT:…`), or the ARN if it is an account id.
fn account_of(arn: &str) -> Option<&str> {
    if arn.len() == 12 && arn.bytes().all(|b| b.is_ascii_digit()) {
        return Some(arn);
    }
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// The most characters in one context value.
///
/// AWS's model sets no bound on `ContextKeyValueType`, and AWS documents
/// none. The longest values a real request puts in its context are ARNs
/// (at most 2,048 characters in IAM's model) and S3 keys (1,024 bytes), so
/// ironiam accepts twice the longest ARN and refuses more: every value is
/// matched against the policies' patterns, and the cost of a wildcard match
/// grows with the value (issue 13, "no request can cost seconds").
pub const MAX_CONTEXT_VALUE_CHARS: usize = 4_096;

/// The most context values in one simulation, all entries together.
///
/// AWS documents no bound. Multi-valued keys in real requests are short
/// lists (`aws:TagKeys` holds at most 50 tags); a `ForAnyValue`/`ForAllValues`
/// condition compares every value with every pattern, so the list is bounded.
pub const MAX_CONTEXT_VALUES: usize = 1_000;

/// The most evaluations (`ActionNames` × `ResourceArns`) in one simulation.
///
/// AWS documents no bound, and answers the results in pages. Each evaluation
/// runs every policy given, so ironiam bounds the product: 1,000 is more
/// actions than any service has, against one resource.
pub const MAX_EVALUATIONS: usize = 1_000;

/// Refuses a simulation larger than the bounds above, with AWS's
/// `InvalidInput` and a message that names the bound. Policy documents,
/// action names and ARNs are already bounded by the model (131,072, 128 and
/// 2,048 characters), before a simulation starts.
fn check_bounds(sim: &Simulation) -> IamResult<()> {
    let values = sim
        .context
        .iter()
        .map(|(_, values)| values.len())
        .sum::<usize>();
    if values > MAX_CONTEXT_VALUES {
        return Err(IamError::InvalidInput(format!(
            "ContextEntries hold {values} values; at most {MAX_CONTEXT_VALUES} are allowed."
        )));
    }
    for (key, values) in &sim.context {
        if let Some(value) = values
            .iter()
            .find(|value| value.chars().count() > MAX_CONTEXT_VALUE_CHARS)
        {
            return Err(IamError::InvalidInput(format!(
                "A value of context key {key} is {} characters long; at most {MAX_CONTEXT_VALUE_CHARS} are allowed.",
                value.chars().count()
            )));
        }
    }
    let evaluations = sim.actions.len().saturating_mul(sim.resources.len().max(1));
    if evaluations > MAX_EVALUATIONS {
        return Err(IamError::InvalidInput(format!(
            "{} ActionNames and {} ResourceArns make {evaluations} simulations; at most {MAX_EVALUATIONS} are allowed.",
            sim.actions.len(),
            sim.resources.len()
        )));
    }
    Ok(())
}

/// Runs a simulation. Results come per action and resource, in input order.
///
/// Refuses, with `InvalidInput`, a simulation beyond [`MAX_CONTEXT_VALUE_CHARS`],
/// [`MAX_CONTEXT_VALUES`] or [`MAX_EVALUATIONS`].
pub fn simulate(caller: &Caller, sim: &Simulation) -> IamResult<Vec<EvaluationResult>> {
    check_bounds(sim)?;
    let parsed: Vec<Policy> = sim
        .policies
        .iter()
        .map(parse_input)
        .collect::<IamResult<_>>()?;
    let boundaries: Vec<Policy> = sim
        .boundaries
        .iter()
        .map(parse_input)
        .collect::<IamResult<_>>()?;
    let resource_source = sim.resource_policy.as_ref().map(|doc| SourcePolicy {
        id: "ResourcePolicy".to_string(),
        source_type: Some("resource"),
        document: doc.clone(),
    });
    let resource_policy = resource_source.as_ref().map(parse_input).transpose()?;
    if resource_policy.is_some() && sim.caller_arn.is_none() {
        return Err(IamError::InvalidInput(
            "A CallerArn is required when a ResourcePolicy is given.".to_string(),
        ));
    }
    // Compiling the request's documents is work the request brings too: it
    // runs in a budget of its own (the evaluations get another), so a
    // document of thousands of `?` patterns is refused, not compiled for
    // seconds.
    let (compiled, compiled_boundaries, compiled_resource) =
        budget::run(budget::DEFAULT_LIMIT, || {
            let compiled: Vec<CompiledPolicy> = parsed.iter().map(CompiledPolicy::new).collect();
            let compiled_boundaries: Vec<CompiledPolicy> =
                boundaries.iter().map(CompiledPolicy::new).collect();
            let compiled_resource = resource_policy.as_ref().map(CompiledPolicy::new);
            (compiled, compiled_boundaries, compiled_resource)
        })
        .map_err(|e| IamError::InvalidInput(budget_message("simulation", &e)))?;

    // Sources by the id the engine reports, to map matches back to documents.
    let mut sources: Vec<(&SourcePolicy, PolicyType)> = Vec::new();
    let mut set = PolicySet::new();
    for (source, policy) in sim.policies.iter().zip(&compiled) {
        set = set.identity(PolicyId::new(source.id.as_str()), policy);
        sources.push((source, PolicyType::Identity));
    }
    for (source, policy) in sim.boundaries.iter().zip(&compiled_boundaries) {
        set = set.boundary(PolicyId::new(source.id.as_str()), policy);
        sources.push((source, PolicyType::PermissionsBoundary));
    }
    if let (Some(source), Some(policy)) = (&resource_source, &compiled_resource) {
        set = set.resource(PolicyId::new(source.id.as_str()), policy);
        sources.push((source, PolicyType::ResourceBased));
    }

    // The policies are evaluated as a principal's own: never as the account's
    // root, which IAM policies do not limit. Without a CallerArn, AWS
    // simulates an IAM user of the caller's account.
    let caller_arn = sim
        .caller_arn
        .clone()
        .unwrap_or_else(|| format!("arn:aws:iam::{}:user/SimulatedUser", caller.account_id));
    let principal = if caller_arn.contains(":role/") {
        Principal::role(&caller_arn)
    } else {
        Principal::user(&caller_arn)
    };
    let mut context = Context::new();
    for (key, values) in &sim.context {
        context.insert(key, values.clone());
    }
    let star = ["*".to_string()];
    let resources: &[String] = if sim.resources.is_empty() {
        &star
    } else {
        &sim.resources
    };
    let resource_account = sim.resource_owner.as_deref().and_then(account_of);

    // One evaluation budget for the whole request, shared by all its
    // evaluations: a simulation answers within the time of one request, or
    // refuses with InvalidInput (its answers would be meaningless).
    budget::run(budget::DEFAULT_LIMIT, || {
        evaluate_all(
            sim,
            &set,
            &sources,
            principal,
            resources,
            resource_account,
            &context,
            !compiled_boundaries.is_empty(),
        )
    })
    .map_err(|e| IamError::InvalidInput(budget_message("simulation", &e)))
}

/// What a matched statement of a simulation's answer costs the request's
/// evaluation budget: its entry in the answer (ids copied, XML written) is
/// worth about as much as a wildcard match of a short ARN.
const MATCHED_STATEMENT_UNITS: u64 = 64;

/// Every (action, resource) evaluation of a simulation, in order.
#[allow(clippy::too_many_arguments)]
fn evaluate_all(
    sim: &Simulation,
    set: &PolicySet<'_>,
    sources: &[(&SourcePolicy, PolicyType)],
    principal: Principal<'_>,
    resources: &[String],
    resource_account: Option<&str>,
    context: &Context,
    has_boundaries: bool,
) -> Vec<EvaluationResult> {
    let mut results = Vec::with_capacity(sim.actions.len() * resources.len());
    // Each document's statement positions, worked out once it is first
    // needed (a document is up to 1 MiB; not once per matched statement).
    let mut spans: Vec<Option<Vec<(Position, Position)>>> = vec![None; sources.len()];
    for action in &sim.actions {
        for resource in resources {
            // Once the budget is spent the answer is InvalidInput: stop.
            if budget::is_exhausted() {
                return results;
            }
            let request = Request {
                principal,
                action,
                resource,
                resource_account,
                context,
            };
            let decision = evaluate(set, &request);
            // Every matched statement becomes a part of the answer: a policy
            // of 16,000 statements that all apply, times 1,000 evaluations,
            // would otherwise build an answer of gigabytes.
            if !budget::charge(
                MATCHED_STATEMENT_UNITS.saturating_mul(decision.matched.len() as u64),
            ) {
                return results;
            }
            let matched = decision
                .matched
                .iter()
                .filter_map(|m| {
                    let found = sources
                        .iter()
                        .position(|(s, t)| s.id == m.policy.as_str() && *t == m.policy_type)?;
                    let (source, _) = sources.get(found)?;
                    let span = spans
                        .get_mut(found)?
                        .get_or_insert_with(|| statement_spans(&source.document))
                        .get(m.statement_index)
                        .copied();
                    Some(MatchedStatementRef {
                        source_policy_id: source.id.clone(),
                        source_policy_type: source.source_type,
                        start: span.map(|s| s.0),
                        end: span.map(|s| s.1),
                    })
                })
                .collect();
            let allowed_by_boundary = has_boundaries.then(|| {
                !(decision.decision != EvalDecision::Allowed
                    && decision.denied_by == Some(PolicyType::PermissionsBoundary))
            });
            results.push(EvaluationResult {
                action: action.clone(),
                resource: resource.clone(),
                decision: decision.decision.as_str(),
                matched,
                missing_context_values: decision.missing_context_keys.clone(),
                allowed_by_boundary,
            });
        }
    }
    results
}

/// Every context key the documents use, each once (first spelling), for
/// GetContextKeysFor*Policy.
pub fn context_keys_of(documents: &[SourcePolicy]) -> IamResult<Vec<String>> {
    let mut keys: Vec<String> = Vec::new();
    for source in documents {
        for key in context_keys(&parse_input(source)?) {
            if !keys.iter().any(|k| k.eq_ignore_ascii_case(&key)) {
                keys.push(key);
            }
        }
    }
    Ok(keys)
}

impl IamService {
    /// The policies of a user, role or group (SimulatePrincipalPolicy's
    /// PolicySourceArn): inline, attached managed, and its permissions
    /// boundary; a user's also include those of its groups, as AWS's do.
    pub fn principal_policies(
        &self,
        caller: &Caller,
        policy_source_arn: &str,
    ) -> IamResult<(Vec<SourcePolicy>, Vec<SourcePolicy>)> {
        let (kind, name) = [
            (PrincipalKind::Role, ":role/"),
            (PrincipalKind::User, ":user/"),
            (PrincipalKind::Group, ":group/"),
        ]
        .into_iter()
        .find_map(|(kind, marker)| {
            let (_, rest) = policy_source_arn.split_once(marker)?;
            Some((kind, rest.rsplit('/').next().unwrap_or(rest)))
        })
        .ok_or_else(|| {
            IamError::NoSuchEntity(format!("The entity {policy_source_arn} cannot be found."))
        })?;
        let holder = self.holder(caller, kind, name)?;
        if holder.get().arn() != policy_source_arn {
            return Err(kind.no_such(name));
        }
        let mut identity = Vec::new();
        self.holder_sources(caller, kind, holder.get(), &mut identity)?;
        if let Holder::User(user) = &holder {
            for group in self.groups_of(user)? {
                self.holder_sources(caller, PrincipalKind::Group, &*group, &mut identity)?;
            }
        }
        let boundaries = match holder.get().permissions_boundary() {
            Some(arn) => vec![self.managed_source(caller, arn)?],
            None => Vec::new(),
        };
        Ok((identity, boundaries))
    }

    /// The inline and attached policies of one holder, as simulation sources.
    fn holder_sources(
        &self,
        caller: &Caller,
        kind: PrincipalKind,
        holder: &dyn PolicyHolder,
        sources: &mut Vec<SourcePolicy>,
    ) -> IamResult<()> {
        for (name, document) in holder.inline_policies() {
            sources.push(SourcePolicy {
                id: name.clone(),
                source_type: Some(kind.noun()),
                document: document.clone(),
            });
        }
        for arn in holder.attached_policies() {
            sources.push(self.managed_source(caller, arn)?);
        }
        Ok(())
    }

    fn managed_source(&self, caller: &Caller, arn: &str) -> IamResult<SourcePolicy> {
        let name = arn.rsplit('/').next().unwrap_or(arn).to_string();
        if let Some(p) = catalog().get(arn) {
            return Ok(SourcePolicy {
                id: name,
                source_type: Some("aws-managed"),
                document: catalog().document(p),
            });
        }
        let info = self.get_policy(caller, arn)?;
        let version = self.get_policy_version(caller, arn, &info.default_version_id)?;
        Ok(SourcePolicy {
            id: name,
            source_type: Some("user-managed"),
            document: version.document.unwrap_or_default(),
        })
    }
}

/// Where each statement of a document starts and ends (1-based line and
/// column of its `{` and `}`), by position in `Statement`. A small JSON
/// scanner: the document has already parsed, so it only needs to find
/// structure, not validate it.
pub fn statement_spans(document: &str) -> Vec<(Position, Position)> {
    let mut spans = Vec::new();
    let (mut line, mut column) = (1, 0);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let mut string = String::new();
    let mut last_top_key = String::new();
    // Inside the value of the top-level "Statement" member.
    let mut in_statement_value = false;
    // The depth a statement object opens at: 2 for `"Statement": {`, 3 inside `"Statement": [`.
    let mut statement_depth = 2;
    let mut start: Option<Position> = None;
    for c in document.chars() {
        if c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    in_string = false;
                    if depth == 1 {
                        last_top_key = std::mem::take(&mut string);
                    }
                }
                (false, c) => string.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                string.clear();
            }
            ':' if depth == 1 => in_statement_value = last_top_key == "Statement",
            ',' if depth == 1 => in_statement_value = false,
            '[' | '{' => {
                depth += 1;
                if in_statement_value && depth == 2 {
                    statement_depth = if c == '[' { 3 } else { 2 };
                }
                if in_statement_value && c == '{' && depth == statement_depth {
                    start = Some(Position { line, column });
                }
            }
            ']' | '}' => {
                if in_statement_value && c == '}' && depth == statement_depth {
                    if let Some(s) = start.take() {
                        spans.push((s, Position { line, column }));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulations_beyond_the_bounds_are_refused() {
        let base = Simulation {
            actions: vec!["s3:GetObject".to_string()],
            ..Simulation::default()
        };
        assert!(check_bounds(&base).is_ok());
        let long = Simulation {
            context: vec![(
                "aws:PrincipalTag/k".to_string(),
                vec!["a".repeat(MAX_CONTEXT_VALUE_CHARS + 1)],
            )],
            ..base.clone()
        };
        assert!(
            matches!(check_bounds(&long), Err(IamError::InvalidInput(m)) if m.contains("at most 4096"))
        );
        let at_bound = Simulation {
            context: vec![(
                "aws:PrincipalTag/k".to_string(),
                vec!["é".repeat(MAX_CONTEXT_VALUE_CHARS)],
            )],
            ..base.clone()
        };
        assert!(check_bounds(&at_bound).is_ok());
        let many = Simulation {
            context: vec![(
                "aws:TagKeys".to_string(),
                vec!["k".to_string(); MAX_CONTEXT_VALUES + 1],
            )],
            ..base.clone()
        };
        assert!(check_bounds(&many).is_err());
        let product = Simulation {
            actions: vec!["s3:GetObject".to_string(); 40],
            resources: vec!["arn:aws:s3:::b/k".to_string(); 26],
            ..base
        };
        assert!(check_bounds(&product).is_err());
    }

    #[test]
    fn spans_of_both_statement_forms() {
        let list = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\", \"Action\": \"s3:Delete*\", \"Resource\": \"*\"}\n  ]\n}";
        let spans = statement_spans(list);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].0, Position { line: 4, column: 5 });
        assert_eq!(spans[1].0, Position { line: 5, column: 5 });
        assert_eq!(spans[1].1.line, 5);
        let object = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Condition":{"Bool":{"aws:SecureTransport":"true"}},"Action":"s3:*","Resource":"*"}}"#;
        let spans = statement_spans(object);
        assert_eq!(spans.len(), 1);
        assert_eq!(
            spans[0].0,
            Position {
                line: 1,
                column: 37
            }
        );
        assert_eq!(
            spans[0].1,
            Position {
                line: 1,
                column: object.len() - 1
            }
        );
    }

    /// Issue 13 item 3: `*a?b*` patterns against a 4,096-character value
    /// cost about 8 µs each per evaluation, and a simulation may ask for
    /// 1,000: one budget for the request's evaluations, and InvalidInput
    /// once it is spent, within a fraction of a second. (500 patterns: few
    /// enough to compile within the compile budget, see below.)
    /// A simulation of `actions` S3 actions against one statement whose
    /// condition holds `patterns` `*a?b*` patterns, with `value` for the key.
    fn wild_simulation(patterns: usize, actions: usize, value: String) -> Simulation {
        let patterns = vec!["\"*a?b*\""; patterns].join(",");
        let document = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"ForAnyValue:StringLike":{{"aws:RequestTag/k":[{patterns}]}}}}}}]}}"#
        );
        Simulation {
            policies: vec![SourcePolicy {
                id: "PolicyInputList.1".to_string(),
                source_type: None,
                document,
            }],
            actions: (0..actions).map(|i| format!("s3:GetObject{i}")).collect(),
            context: vec![("aws:RequestTag/k".to_string(), vec![value])],
            ..Simulation::default()
        }
    }

    #[test]
    fn a_simulation_beyond_the_budget_is_refused_promptly() {
        let sim = wild_simulation(500, 1_000, "a".repeat(MAX_CONTEXT_VALUE_CHARS));
        let caller = Caller::root("123456789012");
        let answer = simulate(&caller, &sim);
        assert!(
            matches!(&answer, Err(IamError::InvalidInput(m)) if m.starts_with("The simulation needs more evaluation work than ironiam allows per request")),
            "{answer:?}"
        );
        // The same policy with a short value, for ten actions, is simulated
        // as usual (a thousand would be 16 million matches: refused too).
        let short = Simulation {
            context: vec![("aws:RequestTag/k".to_string(), vec!["ab".to_string()])],
            actions: sim.actions[..10].to_vec(),
            ..sim
        };
        let results = simulate(&caller, &short).unwrap();
        assert_eq!(results.len(), 10);
        assert!(results.iter().all(|r| r.decision == "implicitDeny"));
    }

    /// Compiling the request's documents has a budget too: 16,000 `*a?b*`
    /// patterns (a 131,072-character document) took 144 ms to compile, and a
    /// request may hold several such documents. Refused with InvalidInput.
    #[test]
    fn a_document_too_costly_to_compile_is_refused() {
        let sim = wild_simulation(16_000, 1, "ab".to_string());
        let answer = simulate(&Caller::root("123456789012"), &sim);
        assert!(
            matches!(&answer, Err(IamError::InvalidInput(m)) if m.starts_with("The simulation needs more evaluation work")),
            "{answer:?}"
        );
    }

    /// Every matched statement is part of the answer and charged: 2,000
    /// statements that all apply, times 1,000 evaluations, is refused rather
    /// than building an answer of two million statements.
    #[test]
    fn a_simulation_with_huge_answers_is_refused() {
        let statement = r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#;
        let document = format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            vec![statement; 2_000].join(",")
        );
        let sim = Simulation {
            policies: vec![SourcePolicy {
                id: "PolicyInputList.1".to_string(),
                source_type: None,
                document,
            }],
            actions: (0..1_000).map(|i| format!("s3:GetObject{i}")).collect(),
            ..Simulation::default()
        };
        let answer = simulate(&Caller::root("123456789012"), &sim);
        assert!(
            matches!(&answer, Err(IamError::InvalidInput(_))),
            "{:?}",
            answer.map(|r| r.len())
        );
    }
}
