//! The policy simulator operations.

use ironiam_core::service::paginate_indexed;
use ironiam_core::simulate::{context_keys_of, simulate, EvaluationResult, Position, Simulation, SourcePolicy};
use ironiam_protocol::{Value, XmlWriter};

use super::{render, write_page_end, Ctx, HandlerResult};

fn inputs(ctx: &Ctx, member: &str) -> Vec<SourcePolicy> {
    ctx.strings(member)
        .into_iter()
        .enumerate()
        .map(|(i, document)| SourcePolicy { id: format!("{member}.{}", i + 1), source_type: None, document })
        .collect()
}

fn context_entries(ctx: &Ctx) -> Vec<(String, Vec<String>)> {
    ctx.input
        .list("ContextEntries")
        .iter()
        .filter_map(|entry| match entry {
            Value::Structure(e) => Some((
                e.str("ContextKeyName")?.to_string(),
                e.list("ContextKeyValues")
                    .iter()
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

fn simulation(ctx: &Ctx, policies: Vec<SourcePolicy>, boundaries: Vec<SourcePolicy>) -> Simulation {
    Simulation {
        policies,
        boundaries,
        actions: ctx.strings("ActionNames"),
        resources: ctx.strings("ResourceArns"),
        resource_policy: ctx.opt("ResourcePolicy").map(str::to_string),
        resource_owner: ctx.opt("ResourceOwner").map(str::to_string),
        caller_arn: ctx.opt("CallerArn").map(str::to_string),
        context: context_entries(ctx),
    }
}

fn write_position(w: &mut XmlWriter, tag: &str, p: Position) {
    w.start(tag);
    w.element("Line", &p.line.to_string());
    w.element("Column", &p.column.to_string());
    w.end(tag);
}

fn write_results(ctx: &Ctx, results: Vec<EvaluationResult>) -> HandlerResult {
    let page = paginate_indexed(&results, ctx.opt("Marker"), ctx.input.int("MaxItems"))?;
    render(|w| {
        w.start("EvaluationResults");
        for r in &page.items {
            w.start("member");
            w.element("EvalActionName", &r.action);
            w.element("EvalResourceName", &r.resource);
            w.element("EvalDecision", r.decision);
            w.start("MatchedStatements");
            for m in &r.matched {
                w.start("member");
                w.element("SourcePolicyId", &m.source_policy_id);
                if let Some(t) = m.source_policy_type {
                    w.element("SourcePolicyType", t);
                }
                if let Some(p) = m.start {
                    write_position(w, "StartPosition", p);
                }
                if let Some(p) = m.end {
                    write_position(w, "EndPosition", p);
                }
                w.end("member");
            }
            w.end("MatchedStatements");
            w.start("MissingContextValues");
            for key in &r.missing_context_values {
                w.element("member", key);
            }
            w.end("MissingContextValues");
            if let Some(allowed) = r.allowed_by_boundary {
                w.start("PermissionsBoundaryDecisionDetail");
                w.element("AllowedByPermissionsBoundary", if allowed { "true" } else { "false" });
                w.end("PermissionsBoundaryDecisionDetail");
            }
            w.end("member");
        }
        w.end("EvaluationResults");
        write_page_end(w, &page);
    })
}

/// SimulateCustomPolicy.
pub(crate) fn simulate_custom_policy(ctx: &Ctx) -> HandlerResult {
    let sim = simulation(ctx, inputs(ctx, "PolicyInputList"), inputs(ctx, "PermissionsBoundaryPolicyInputList"));
    write_results(ctx, simulate(ctx.caller, &sim)?)
}

/// SimulatePrincipalPolicy: the principal's own policies, plus any given.
pub(crate) fn simulate_principal_policy(ctx: &Ctx) -> HandlerResult {
    let source = ctx.required("PolicySourceArn")?;
    let (mut policies, mut boundaries) = ctx.service.principal_policies(ctx.caller, source)?;
    policies.extend(inputs(ctx, "PolicyInputList"));
    let extra_boundaries = inputs(ctx, "PermissionsBoundaryPolicyInputList");
    if !extra_boundaries.is_empty() {
        // AWS: a boundary given here replaces the principal's own for the simulation.
        boundaries = extra_boundaries;
    }
    let mut sim = simulation(ctx, policies, boundaries);
    // The principal simulated is the policy source unless a caller is named.
    sim.caller_arn.get_or_insert_with(|| source.to_string());
    write_results(ctx, simulate(ctx.caller, &sim)?)
}

fn write_keys(keys: Vec<String>) -> HandlerResult {
    render(|w| {
        w.start("ContextKeyNames");
        for k in &keys {
            w.element("member", k);
        }
        w.end("ContextKeyNames");
    })
}

/// GetContextKeysForCustomPolicy.
pub(crate) fn get_context_keys_for_custom_policy(ctx: &Ctx) -> HandlerResult {
    write_keys(context_keys_of(&inputs(ctx, "PolicyInputList"))?)
}

/// GetContextKeysForPrincipalPolicy.
pub(crate) fn get_context_keys_for_principal_policy(ctx: &Ctx) -> HandlerResult {
    let (mut policies, _) = ctx.service.principal_policies(ctx.caller, ctx.required("PolicySourceArn")?)?;
    policies.extend(inputs(ctx, "PolicyInputList"));
    write_keys(context_keys_of(&policies)?)
}
