//! The AWS Query request bodies the benchmark sends.

use crate::sign::Service;

/// The role the `get-role` scenario reads; the harness creates it before the run.
pub const BENCH_ROLE: &str = "bench-role";
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
    /// `CreateRole` of a unique name then `DeleteRole` of it: one pair; every request signed.
    CreateDeleteRole,
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

/// `GetPolicy` of the AWS managed policy [`PROBE_POLICY_ARN`].
pub fn get_probe_policy() -> String {
    form(&[
        ("Action", "GetPolicy"),
        ("Version", IAM_VERSION),
        ("PolicyArn", PROBE_POLICY_ARN),
    ])
}
