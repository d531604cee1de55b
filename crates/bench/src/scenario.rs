//! The AWS Query request bodies the benchmark sends.

use crate::sign::Service;

/// The role the `get-role` scenario reads; the harness creates it before the run.
pub const BENCH_ROLE: &str = "bench-role";
/// The ARN of [`BENCH_ROLE`] in the default account (what the `assume-role` scenario assumes).
pub const BENCH_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/bench-role";
/// The group the `get-group` scenario reads; `loadgen setup --bench-group-members N` creates it
/// with N members.
pub const BENCH_GROUP: &str = "bench-group";
/// The session name the `assume-role` scenario asks for.
pub const BENCH_SESSION_NAME: &str = "bench-session";
/// The managed policy whose availability marks "ready" in the start-up measurement.
pub const PROBE_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
/// The trust policy every created role carries: EC2 may assume it.
pub const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

const IAM_VERSION: &str = "2010-05-08";
const STS_VERSION: &str = "2011-06-15";

/// A load scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// `GetRole` of `bench-role`, one identical pre-signed request replayed per connection.
    GetRole,
    /// `ListRoles` (default page of 100), pre-signed once per connection.
    ListRoles,
    /// STS `GetCallerIdentity`, pre-signed once per connection.
    GetCallerIdentity,
    /// STS `AssumeRole` of `bench-role` (session `bench-session`), pre-signed once per connection
    /// (the body is constant); the caller must be allowed by the role's trust policy.
    AssumeRole,
    /// `CreateRole` of a unique name then `DeleteRole` of it: one pair; every request signed.
    CreateDeleteRole,
    /// `GetGroup` of `bench-group` (its members listed, default page of 100), pre-signed once per
    /// connection.
    GetGroup,
}

impl Scenario {
    /// The pre-signable request of a read scenario; `None` for write scenarios.
    pub fn read_request(self) -> Option<(Service, String)> {
        match self {
            Scenario::GetRole => Some((Service::Iam, get_role(BENCH_ROLE))),
            Scenario::ListRoles => Some((
                Service::Iam,
                form(&[("Action", "ListRoles"), ("Version", IAM_VERSION)]),
            )),
            Scenario::GetCallerIdentity => Some((
                Service::Sts,
                form(&[("Action", "GetCallerIdentity"), ("Version", STS_VERSION)]),
            )),
            Scenario::AssumeRole => Some((
                Service::Sts,
                assume_role(BENCH_ROLE_ARN, BENCH_SESSION_NAME),
            )),
            Scenario::GetGroup => Some((
                Service::Iam,
                form(&[
                    ("Action", "GetGroup"),
                    ("Version", IAM_VERSION),
                    ("GroupName", BENCH_GROUP),
                ]),
            )),
            Scenario::CreateDeleteRole => None,
        }
    }
}

/// Form-encode `pairs` as an AWS Query body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// `GetRole` of `name`.
pub fn get_role(name: &str) -> String {
    form(&[
        ("Action", "GetRole"),
        ("Version", IAM_VERSION),
        ("RoleName", name),
    ])
}

/// STS `AssumeRole` of `role_arn` with session name `session`.
pub fn assume_role(role_arn: &str, session: &str) -> String {
    form(&[
        ("Action", "AssumeRole"),
        ("Version", STS_VERSION),
        ("RoleArn", role_arn),
        ("RoleSessionName", session),
    ])
}

/// `CreateRole` of `name` with [`TRUST_POLICY`].
pub fn create_role(name: &str) -> String {
    form(&[
        ("Action", "CreateRole"),
        ("Version", IAM_VERSION),
        ("RoleName", name),
        ("AssumeRolePolicyDocument", TRUST_POLICY),
    ])
}

/// `DeleteRole` of `name`.
pub fn delete_role(name: &str) -> String {
    form(&[
        ("Action", "DeleteRole"),
        ("Version", IAM_VERSION),
        ("RoleName", name),
    ])
}

/// An IAM request naming one entity: `Action` plus `(member, value)` pairs.
pub fn iam_request(action: &str, members: &[(&str, &str)]) -> String {
    let mut pairs = vec![("Action", action), ("Version", IAM_VERSION)];
    pairs.extend_from_slice(members);
    form(&pairs)
}

/// `GetPolicy` of the AWS managed policy [`PROBE_POLICY_ARN`].
pub fn get_probe_policy() -> String {
    form(&[
        ("Action", "GetPolicy"),
        ("Version", IAM_VERSION),
        ("PolicyArn", PROBE_POLICY_ARN),
    ])
}
