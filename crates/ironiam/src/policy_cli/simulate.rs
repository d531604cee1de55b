//! `ironiam policy simulate`: requests decided against policies as AWS
//! evaluates them, each decision with the statements that made it and the
//! context keys that were missing.
//!
//! Like IAM's policy simulator, the context holds only what `--context` (and
//! `--time`) give: nothing is filled in from the principal or the clock, so a
//! condition on an absent key shows up in `missing context keys`.

use std::path::{Path, PathBuf};

use clap::Args;
use ironiam_catalog::ManagedPolicy;
use ironiam_policy::{
    evaluate, validate, CompiledPolicy, Context, Decision, EvalDecision, MatchedStatement,
    PolicyId, PolicySet, PolicyType, Principal, Request,
};
use serde_json::{json, Value};

use super::validate::Kind;
use super::{count, read_document, statement_label, Failure, Report};

/// Exit status: every request is allowed.
const STATUS_ALLOWED: u8 = 0;
/// Exit status: at least one request is denied.
const STATUS_DENIED: u8 = 1;

/// The principal when `--principal` is not given: an IAM user, as AWS's
/// SimulateCustomPolicy assumes without a CallerArn.
const DEFAULT_PRINCIPAL: &str = "arn:aws:iam::123456789012:user/SimulatedUser";

/// Options of `simulate`.
#[derive(Debug, Args)]
pub(super) struct SimulateArgs {
    /// An identity policy document (`-` reads standard input). Repeatable.
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// An AWS managed policy from the embedded catalog, as an identity
    /// policy: a name (`AmazonSSMManagedInstanceCore`), a path and name
    /// (`service-role/AmazonEC2ContainerServiceforEC2Role`) or an ARN.
    /// Repeatable.
    #[arg(long = "managed-policy", value_name = "NAME|ARN")]
    managed_policies: Vec<String>,
    /// The principal's permissions boundary.
    #[arg(long, value_name = "FILE")]
    boundary: Option<PathBuf>,
    /// A session policy. Repeatable.
    #[arg(long = "session-policy", value_name = "FILE")]
    session_policies: Vec<PathBuf>,
    /// The resource's resource-based policy.
    #[arg(long = "resource-policy", value_name = "FILE")]
    resource_policy: Option<PathBuf>,
    /// A role's trust policy, as the resource-based policy of an
    /// `sts:AssumeRole*` request; unlike other resource policies it must
    /// allow even within one account.
    #[arg(
        long = "trust-policy",
        value_name = "FILE",
        conflicts_with = "resource_policy"
    )]
    trust_policy: Option<PathBuf>,
    /// An action to decide, `service:Name`. Repeatable.
    #[arg(long = "action", value_name = "ACTION", required = true)]
    actions: Vec<String>,
    /// A resource ARN to decide each action on. Repeatable. Default `*`.
    #[arg(long = "resource", value_name = "ARN")]
    resources: Vec<String>,
    /// Who makes the request: a user, role, assumed-role or federated-user
    /// ARN, an account id or `…:root`, a service (`ssm.amazonaws.com`), a
    /// web identity or SAML provider, or `*` for an anonymous caller.
    #[arg(long, value_name = "ARN", default_value = DEFAULT_PRINCIPAL)]
    principal: String,
    /// The account that owns the resource, when it is not the principal's
    /// (a cross-account request needs both sides to allow).
    #[arg(long = "resource-account", value_name = "ACCOUNT")]
    resource_account: Option<String>,
    /// A condition key and one of its values. Repeatable; repeating a key
    /// gives it several values (`aws:TagKeys`).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Sets `aws:CurrentTime` and `aws:EpochTime`: Unix seconds, or `now`.
    #[arg(long, value_name = "SECONDS|now")]
    time: Option<String>,
}

/// Where a policy came from, for the report.
#[derive(Debug, Clone)]
enum Origin {
    File(PathBuf),
    AwsManaged { arn: &'static str },
}

/// A policy ready for evaluation.
struct Loaded {
    id: PolicyId,
    origin: Origin,
    compiled: CompiledPolicy,
}

/// Every policy of the simulation, by the role it plays.
struct Policies {
    identity: Vec<Loaded>,
    boundary: Option<Loaded>,
    session: Vec<Loaded>,
    resource: Option<Loaded>,
    /// Whether `resource` is a trust policy.
    resource_is_trust: bool,
}

impl Policies {
    fn set(&self) -> PolicySet<'_> {
        let mut set = PolicySet::new();
        for p in &self.identity {
            set = set.identity(p.id.clone(), &p.compiled);
        }
        if let Some(p) = &self.boundary {
            set = set.boundary(p.id.clone(), &p.compiled);
        }
        for p in &self.session {
            set = set.session(p.id.clone(), &p.compiled);
        }
        if let Some(p) = &self.resource {
            set = if self.resource_is_trust {
                set.trust(p.id.clone(), &p.compiled)
            } else {
                set.resource(p.id.clone(), &p.compiled)
            };
        }
        set
    }

    fn all(&self) -> impl Iterator<Item = &Loaded> {
        self.identity
            .iter()
            .chain(&self.boundary)
            .chain(&self.session)
            .chain(&self.resource)
    }

    /// The origin of the policy a matched statement is in.
    fn origin(&self, id: &PolicyId) -> Option<&Origin> {
        self.all().find(|p| &p.id == id).map(|p| &p.origin)
    }
}

pub(super) fn run(args: &SimulateArgs) -> Result<Report, Failure> {
    let principal = PrincipalSpec::parse(&args.principal)?;
    let context = build_context(&args.context, args.time.as_deref())?;
    let policies = load_policies(args)?;
    let star = ["*".to_owned()];
    let resources: &[String] = if args.resources.is_empty() {
        &star
    } else {
        &args.resources
    };
    let set = policies.set();
    let mut results = Vec::with_capacity(args.actions.len() * resources.len());
    for action in &args.actions {
        for resource in resources {
            let request = Request {
                principal: principal.principal(),
                action,
                resource,
                resource_account: args.resource_account.as_deref(),
                context: &context,
            };
            results.push((action.as_str(), resource.as_str(), evaluate(&set, &request)));
        }
    }
    Ok(report(&args.principal, &policies, &results))
}

fn load_policies(args: &SimulateArgs) -> Result<Policies, Failure> {
    let mut identity = Vec::new();
    for path in &args.policies {
        identity.push(load_file(path, Kind::Identity)?);
    }
    for spec in &args.managed_policies {
        identity.push(load_managed(spec)?);
    }
    let boundary = args
        .boundary
        .as_deref()
        .map(|p| load_file(p, Kind::Boundary))
        .transpose()?;
    let session = args
        .session_policies
        .iter()
        .map(|p| load_file(p, Kind::Session))
        .collect::<Result<_, _>>()?;
    let (resource, resource_is_trust) = match (&args.resource_policy, &args.trust_policy) {
        (_, Some(trust)) => (Some(load_file(trust, Kind::Trust)?), true),
        (Some(resource), None) => (Some(load_file(resource, Kind::Resource)?), false),
        (None, None) => (None, false),
    };
    Ok(Policies {
        identity,
        boundary,
        session,
        resource,
        resource_is_trust,
    })
}

/// Reads and validates a policy file as AWS would for its role: a document
/// AWS would refuse to attach cannot be simulated.
fn load_file(path: &Path, kind: Kind) -> Result<Loaded, Failure> {
    let document = read_document(path)?;
    let policy = validate(&document, kind.policy_kind()).map_err(|e| {
        let place = e
            .statement()
            .map(|i| format!(" ({})", statement_label(i)))
            .unwrap_or_default();
        Failure(format!(
            "`{}` is not a valid {}: {}{place}",
            path.display(),
            kind.describe(),
            e.message()
        ))
    })?;
    Ok(Loaded {
        id: PolicyId::new(path.display().to_string()),
        origin: Origin::File(path.to_owned()),
        compiled: policy.compile(),
    })
}

/// An AWS managed policy's default version, from the embedded catalog.
fn load_managed(spec: &str) -> Result<Loaded, Failure> {
    let catalog = ironiam_catalog::catalog();
    let managed = find_managed(spec)?;
    let document = catalog.document(managed);
    // The catalog's documents are AWS's own; they are parsed, not held to
    // the rules for new customer policies.
    let policy = ironiam_policy::parse(&document).map_err(|e| {
        Failure(format!(
            "AWS managed policy `{}` does not parse: {e}",
            managed.arn
        ))
    })?;
    Ok(Loaded {
        id: PolicyId::new(managed.name),
        origin: Origin::AwsManaged { arn: managed.arn },
        compiled: policy.compile(),
    })
}

/// Finds `spec` (name, path/name or ARN) in the catalog, or says what was
/// probably meant.
fn find_managed(spec: &str) -> Result<&'static ManagedPolicy, Failure> {
    let catalog = ironiam_catalog::catalog();
    let found = if spec.starts_with("arn:") {
        catalog.get(spec)
    } else if spec.contains('/') {
        catalog.get(&format!(
            "{}/{}",
            ironiam_catalog::ARN_PREFIX,
            spec.trim_start_matches('/')
        ))
    } else {
        catalog.get_by_name(spec)
    };
    if let Some(policy) = found {
        return Ok(policy);
    }
    let name = spec.rsplit('/').next().unwrap_or(spec);
    let suggestion = catalog
        .get_by_name(name)
        .or_else(|| catalog.iter().find(|p| p.name.eq_ignore_ascii_case(name)))
        .map(|p| format!("; did you mean `{}`?", p.arn))
        .unwrap_or_default();
    Err(Failure(format!(
        "no AWS managed policy `{spec}` in the embedded catalog{suggestion}"
    )))
}

/// Builds the request context from `KEY=VALUE` arguments; a repeated key
/// (in any case, as keys are case-insensitive) collects its values in order.
fn build_context(pairs: &[String], time: Option<&str>) -> Result<Context, Failure> {
    let mut context = Context::new();
    if let Some(time) = time {
        let seconds = if time == "now" {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|_| Failure("the system clock is before 1970".to_owned()))?
                .as_secs() as i64
        } else {
            time.parse::<i64>()
                .map_err(|_| Failure(format!("--time `{time}`: expected Unix seconds or `now`")))?
        };
        context = context.with_time(seconds);
    }
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .filter(|(key, _)| !key.is_empty())
            .ok_or_else(|| Failure(format!("--context `{pair}`: expected KEY=VALUE")))?;
        match keys
            .iter_mut()
            .find(|(known, _)| known.eq_ignore_ascii_case(key))
        {
            Some((_, values)) => values.push(value.to_owned()),
            None => keys.push((key.to_owned(), vec![value.to_owned()])),
        }
    }
    for (key, values) in keys {
        context.insert(&key, values);
    }
    Ok(context)
}

/// Who makes the request, owning its ARNs; [`PrincipalSpec::principal`]
/// borrows them for the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PrincipalSpec {
    Root(String),
    User(String),
    Role(String),
    AssumedRole { session: String, role: String },
    FederatedUser { session: String, user: String },
    Service(String),
    Federated(String),
    Anonymous,
}

/// Web identity providers named by their domain, as trust policies spell them.
const WEB_IDENTITY_PROVIDERS: &[&str] = &[
    "cognito-identity.amazonaws.com",
    "www.amazon.com",
    "graph.facebook.com",
    "accounts.google.com",
    "appleid.apple.com",
];

impl PrincipalSpec {
    fn parse(text: &str) -> Result<PrincipalSpec, Failure> {
        if text == "*" {
            return Ok(PrincipalSpec::Anonymous);
        }
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(PrincipalSpec::Root(text.to_owned()));
        }
        if WEB_IDENTITY_PROVIDERS.contains(&text) {
            return Ok(PrincipalSpec::Federated(text.to_owned()));
        }
        if !text.starts_with("arn:") {
            if text.ends_with(".amazonaws.com") || text.ends_with(".amazonaws.com.cn") {
                return Ok(PrincipalSpec::Service(text.to_owned()));
            }
            return Err(Failure(format!(
                "--principal `{text}`: expected an IAM or STS ARN, an account id, a service principal or `*`"
            )));
        }
        // arn:PARTITION:SERVICE::ACCOUNT:RESOURCE
        let fields: Vec<&str> = text.splitn(6, ':').collect();
        let unknown = || {
            Failure(format!(
                "--principal `{text}`: not a principal ARN this simulator knows"
            ))
        };
        let [_, partition, service, _, account, resource] = fields.as_slice() else {
            return Err(unknown());
        };
        let (resource_type, rest) = resource.split_once('/').unwrap_or((resource, ""));
        match (*service, resource_type) {
            ("iam", "root") => Ok(PrincipalSpec::Root((*account).to_owned())),
            ("iam", "user") if !rest.is_empty() => Ok(PrincipalSpec::User(text.to_owned())),
            ("iam", "role") if !rest.is_empty() => Ok(PrincipalSpec::Role(text.to_owned())),
            ("iam", "saml-provider" | "oidc-provider") => {
                Ok(PrincipalSpec::Federated(text.to_owned()))
            }
            ("sts", "assumed-role") => {
                // The session ARN carries the role's name but not its path.
                let (role, _session) = rest.split_once('/').ok_or_else(unknown)?;
                Ok(PrincipalSpec::AssumedRole {
                    session: text.to_owned(),
                    role: format!("arn:{partition}:iam::{account}:role/{role}"),
                })
            }
            ("sts", "federated-user") if !rest.is_empty() => Ok(PrincipalSpec::FederatedUser {
                session: text.to_owned(),
                user: format!("arn:{partition}:iam::{account}:user/{rest}"),
            }),
            _ => Err(unknown()),
        }
    }

    fn principal(&self) -> Principal<'_> {
        match self {
            PrincipalSpec::Root(account) => Principal::root(account),
            PrincipalSpec::User(arn) => Principal::user(arn),
            PrincipalSpec::Role(arn) => Principal::role(arn),
            PrincipalSpec::AssumedRole { session, role } => Principal::assumed_role(session, role),
            PrincipalSpec::FederatedUser { session, user } => {
                Principal::federated_user(session, user)
            }
            PrincipalSpec::Service(name) => Principal::service(name),
            PrincipalSpec::Federated(provider) => Principal::federated(provider),
            PrincipalSpec::Anonymous => Principal::anonymous(),
        }
    }
}

/// A short token for a policy type, for JSON.
fn policy_type_token(policy_type: PolicyType) -> &'static str {
    match policy_type {
        PolicyType::Identity => "identity",
        PolicyType::ResourceBased => "resource",
        PolicyType::PermissionsBoundary => "boundary",
        PolicyType::Session => "session",
        PolicyType::ServiceControl => "scp",
        PolicyType::ResourceControl => "rcp",
    }
}

fn report(principal: &str, policies: &Policies, results: &[(&str, &str, Decision)]) -> Report {
    let denied = results.iter().filter(|(_, _, d)| !d.is_allowed()).count();
    let mut human = String::new();
    for (action, resource, decision) in results {
        human.push_str(&format!(
            "{:<13} {action} on {resource}\n",
            decision.decision.as_str()
        ));
        if let Some(reason) = decision.reason(action) {
            human.push_str(&format!("    {reason}\n"));
        }
        let label = match decision.decision {
            EvalDecision::Allowed => "allowed by",
            EvalDecision::ExplicitDeny => "denied by",
            // The allows that were not enough (say, a boundary did not allow).
            EvalDecision::ImplicitDeny => "allowed only by",
        };
        for matched in &decision.matched {
            human.push_str(&format!("    {label} {}\n", describe_match(matched)));
        }
        if !decision.missing_context_keys.is_empty() {
            human.push_str(&format!(
                "    missing context keys: {}\n",
                decision.missing_context_keys.join(", ")
            ));
        }
    }
    human.push_str(&format!(
        "{}, {} (principal {principal})\n",
        count(results.len() - denied, "request") + " allowed",
        count(denied, "request") + " denied"
    ));

    let json_results: Vec<Value> = results
        .iter()
        .map(|(action, resource, decision)| {
            json!({
                "action": action,
                "resource": resource,
                "decision": decision.decision.as_str(),
                "allowed": decision.is_allowed(),
                "reason": decision.reason(action),
                "denied_by": decision.denied_by.map(policy_type_token),
                "matched_statements": decision.matched.iter().map(|m| match_json(m, policies)).collect::<Vec<_>>(),
                "missing_context_keys": decision.missing_context_keys,
            })
        })
        .collect();
    let json = json!({
        "principal": principal,
        "all_allowed": denied == 0,
        "results": json_results,
    });
    Report {
        human,
        json,
        status: if denied == 0 {
            STATUS_ALLOWED
        } else {
            STATUS_DENIED
        },
    }
}

/// `AmazonSSMManagedInstanceCore Statement[0] (Allow, identity-based policy)`.
fn describe_match(matched: &MatchedStatement) -> String {
    let sid = matched
        .sid
        .as_deref()
        .map(|s| format!(" Sid `{s}`"))
        .unwrap_or_default();
    format!(
        "{} {}{sid} ({}, {})",
        matched.policy,
        statement_label(matched.statement_index),
        matched.effect,
        matched.policy_type.aws_name()
    )
}

fn match_json(matched: &MatchedStatement, policies: &Policies) -> Value {
    let (source, file, arn) = match policies.origin(&matched.policy) {
        Some(Origin::File(path)) => ("file", Some(path.display().to_string()), None),
        Some(Origin::AwsManaged { arn }) => ("aws-managed", None, Some(*arn)),
        None => ("unknown", None, None),
    };
    json!({
        "policy": matched.policy.as_str(),
        "policy_type": policy_type_token(matched.policy_type),
        "source": source,
        "file": file,
        "arn": arn,
        "statement_index": matched.statement_index,
        "sid": matched.sid.as_deref(),
        "effect": matched.effect.as_str(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_by_arn_shape() {
        let parse = |s: &str| PrincipalSpec::parse(s).map_err(|e| e.0);
        assert_eq!(
            parse(DEFAULT_PRINCIPAL),
            Ok(PrincipalSpec::User(DEFAULT_PRINCIPAL.into()))
        );
        assert_eq!(
            parse("111122223333"),
            Ok(PrincipalSpec::Root("111122223333".into()))
        );
        assert_eq!(
            parse("arn:aws:iam::111122223333:root"),
            Ok(PrincipalSpec::Root("111122223333".into()))
        );
        assert_eq!(
            parse("ssm.amazonaws.com"),
            Ok(PrincipalSpec::Service("ssm.amazonaws.com".into()))
        );
        assert_eq!(parse("*"), Ok(PrincipalSpec::Anonymous));
        assert_eq!(
            parse("arn:aws:sts::111122223333:assumed-role/ecsAnywhereRole/i-1"),
            Ok(PrincipalSpec::AssumedRole {
                session: "arn:aws:sts::111122223333:assumed-role/ecsAnywhereRole/i-1".into(),
                role: "arn:aws:iam::111122223333:role/ecsAnywhereRole".into(),
            })
        );
        assert!(parse("alice").is_err());
        assert!(parse("arn:aws:s3:::bucket").is_err());
    }

    #[test]
    fn repeated_context_keys_collect_values_in_any_case() {
        let pairs = [
            "aws:TagKeys=a".to_owned(),
            "AWS:tagkeys=b".to_owned(),
            "ecs:CreateAction=x=y".to_owned(),
        ];
        let context = build_context(&pairs, None).map_err(|e| e.0);
        let context = context.as_ref().ok();
        assert_eq!(
            context.and_then(|c| c.get("aws:TagKeys")),
            Some(&["a".to_owned(), "b".to_owned()][..])
        );
        assert_eq!(
            context.and_then(|c| c.get("ecs:CreateAction")),
            Some(&["x=y".to_owned()][..])
        );
        assert!(build_context(&["=v".to_owned()], None).is_err());
        assert!(build_context(&["novalue".to_owned()], None).is_err());
    }

    #[test]
    fn managed_policies_by_name_path_or_arn() {
        let arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";
        for spec in [
            "AmazonEC2ContainerServiceforEC2Role",
            "service-role/AmazonEC2ContainerServiceforEC2Role",
            arn,
        ] {
            assert_eq!(find_managed(spec).map(|p| p.arn).map_err(|e| e.0), Ok(arn));
        }
        let wrong_path = find_managed("aws-service-role/AmazonEC2ContainerServiceforEC2Role")
            .err()
            .map(|e| e.0);
        assert!(wrong_path
            .unwrap_or_default()
            .contains(&format!("did you mean `{arn}`")));
        let miscased = find_managed("amazonssmmanagedinstancecore")
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(
            miscased
                .contains("did you mean `arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore`"),
            "{miscased}"
        );
    }
}
