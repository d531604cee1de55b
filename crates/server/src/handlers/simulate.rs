//! The policy simulator operations.

use ironiam_core::service::paginate_indexed;
use ironiam_core::simulate::{
    context_keys_of, simulate, EvaluationResult, Position, Simulation, SourcePolicy,
};
use ironiam_core::IamResult;
use ironiam_protocol::dto::iam;

use super::{is_truncated, Ctx};

/// Policy documents given in `member` (`PolicyInputList`), with the ids AWS
/// gives them in results (`PolicyInputList.1`).
fn inputs(member: &str, documents: Option<Vec<String>>) -> Vec<SourcePolicy> {
    documents
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, document)| SourcePolicy {
            id: format!("{member}.{}", i + 1),
            source_type: None,
            document,
        })
        .collect()
}

fn context_entries(entries: Option<Vec<iam::ContextEntry>>) -> Vec<(String, Vec<String>)> {
    entries
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| {
            Some((
                e.context_key_name?,
                e.context_key_values.unwrap_or_default(),
            ))
        })
        .collect()
}

/// What both simulations are asked besides their policies.
struct Question {
    actions: Vec<String>,
    resources: Option<Vec<String>>,
    resource_policy: Option<String>,
    resource_owner: Option<String>,
    caller_arn: Option<String>,
    context: Option<Vec<iam::ContextEntry>>,
}

fn simulation(
    q: Question,
    policies: Vec<SourcePolicy>,
    boundaries: Vec<SourcePolicy>,
) -> Simulation {
    Simulation {
        policies,
        boundaries,
        actions: q.actions,
        resources: q.resources.unwrap_or_default(),
        resource_policy: q.resource_policy,
        resource_owner: q.resource_owner,
        caller_arn: q.caller_arn,
        context: context_entries(q.context),
    }
}

fn position(p: Position) -> iam::Position {
    iam::Position {
        line: i64::try_from(p.line).ok(),
        column: i64::try_from(p.column).ok(),
    }
}

fn evaluation_result(r: &EvaluationResult) -> iam::EvaluationResult {
    iam::EvaluationResult {
        eval_action_name: r.action.clone(),
        eval_resource_name: Some(r.resource.clone()),
        eval_decision: r.decision.to_string(),
        matched_statements: Some(
            r.matched
                .iter()
                .map(|m| iam::Statement {
                    source_policy_id: Some(m.source_policy_id.clone()),
                    source_policy_type: m.source_policy_type.map(str::to_string),
                    start_position: m.start.map(position),
                    end_position: m.end.map(position),
                })
                .collect(),
        ),
        missing_context_values: Some(r.missing_context_values.clone()),
        permissions_boundary_decision_detail: r.allowed_by_boundary.map(|allowed| {
            iam::PermissionsBoundaryDecisionDetail {
                allowed_by_permissions_boundary: Some(allowed),
            }
        }),
        ..Default::default()
    }
}

fn results(
    results: Vec<EvaluationResult>,
    marker: Option<String>,
    max_items: Option<i64>,
) -> IamResult<iam::SimulatePolicyResponse> {
    let page = paginate_indexed(&results, marker.as_deref(), max_items)?;
    Ok(iam::SimulatePolicyResponse {
        evaluation_results: Some(page.items.iter().map(evaluation_result).collect()),
        is_truncated: is_truncated(&page),
        marker: page.marker,
    })
}

/// SimulateCustomPolicy.
pub(crate) fn simulate_custom_policy(
    ctx: &Ctx,
    input: iam::SimulateCustomPolicyInput,
) -> IamResult<iam::SimulateCustomPolicyOutput> {
    let policies = inputs("PolicyInputList", Some(input.policy_input_list));
    let boundaries = inputs(
        "PermissionsBoundaryPolicyInputList",
        input.permissions_boundary_policy_input_list,
    );
    let question = Question {
        actions: input.action_names,
        resources: input.resource_arns,
        resource_policy: input.resource_policy,
        resource_owner: input.resource_owner,
        caller_arn: input.caller_arn,
        context: input.context_entries,
    };
    results(
        simulate(ctx.caller, &simulation(question, policies, boundaries))?,
        input.marker,
        input.max_items,
    )
}

/// SimulatePrincipalPolicy: the principal's own policies, plus any given.
pub(crate) fn simulate_principal_policy(
    ctx: &Ctx,
    input: iam::SimulatePrincipalPolicyInput,
) -> IamResult<iam::SimulatePrincipalPolicyOutput> {
    let source = input.policy_source_arn;
    let (mut policies, mut boundaries) = ctx.service.principal_policies(ctx.caller, &source)?;
    policies.extend(inputs("PolicyInputList", input.policy_input_list));
    let extra_boundaries = inputs(
        "PermissionsBoundaryPolicyInputList",
        input.permissions_boundary_policy_input_list,
    );
    if !extra_boundaries.is_empty() {
        // AWS: a boundary given here replaces the principal's own for the simulation.
        boundaries = extra_boundaries;
    }
    let question = Question {
        actions: input.action_names,
        resources: input.resource_arns,
        resource_policy: input.resource_policy,
        resource_owner: input.resource_owner,
        // The principal simulated is the policy source unless a caller is named.
        caller_arn: Some(input.caller_arn.unwrap_or(source)),
        context: input.context_entries,
    };
    results(
        simulate(ctx.caller, &simulation(question, policies, boundaries))?,
        input.marker,
        input.max_items,
    )
}

/// GetContextKeysForCustomPolicy.
pub(crate) fn get_context_keys_for_custom_policy(
    _ctx: &Ctx,
    input: iam::GetContextKeysForCustomPolicyInput,
) -> IamResult<iam::GetContextKeysForCustomPolicyOutput> {
    let keys = context_keys_of(&inputs("PolicyInputList", Some(input.policy_input_list)))?;
    Ok(iam::GetContextKeysForPolicyResponse {
        context_key_names: Some(keys),
    })
}

/// GetContextKeysForPrincipalPolicy.
pub(crate) fn get_context_keys_for_principal_policy(
    ctx: &Ctx,
    input: iam::GetContextKeysForPrincipalPolicyInput,
) -> IamResult<iam::GetContextKeysForPrincipalPolicyOutput> {
    let (mut policies, _) = ctx
        .service
        .principal_policies(ctx.caller, &input.policy_source_arn)?;
    policies.extend(inputs("PolicyInputList", input.policy_input_list));
    Ok(iam::GetContextKeysForPolicyResponse {
        context_key_names: Some(context_keys_of(&policies)?),
    })
}
