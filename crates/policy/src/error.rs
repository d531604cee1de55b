//! Problems found in a policy document, and the exact messages AWS answers
//! them with.
//!
//! Every problem is a typed [`Problem`]; its `Display` is a developer-facing
//! description (lowercase, user input in backticks). The text a client sees in
//! a `MalformedPolicyDocument` error is rendered separately by
//! [`Problem::aws_message`], because AWS words some problems differently for
//! different kinds of policy. Where the wording was confirmed, the comment on
//! the arm names the evidence.

use crate::ast::{PrincipalType, Version};
use crate::PolicyKind;

/// The statement-ID pattern AWS quotes in its error message.
const SID_PATTERN: &str = "[0-9A-Za-z]*";

/// The prefixes AWS lists for IAM resource paths, in the order its message lists them.
pub(crate) const IAM_RESOURCE_PREFIXES: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

/// How serious a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// AWS rejects the document with `MalformedPolicyDocument`.
    Error,
    /// AWS accepts the document, but it probably does not do what was meant.
    Warning,
}

/// Something wrong (or suspicious) in a policy document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The document is not JSON (or nests deeper than the parser allows).
    #[error("document is not valid JSON: {reason}")]
    InvalidJson {
        /// The JSON parser's explanation.
        reason: String,
    },
    /// The document is JSON but not an object.
    #[error("document is JSON but not an object")]
    NotAnObject,
    /// The document breaks the policy grammar: an unknown field, a value of
    /// the wrong type, an unknown `Version` or `Effect`, an unknown condition
    /// operator with keys, both `Action` and `NotAction`, and so on.
    #[error("syntax error: {detail}")]
    Syntax {
        /// What exactly is wrong, for logs and findings.
        detail: String,
    },
    /// A managed policy without `"Version": "2012-10-17"`.
    #[error("managed policies need version `2012-10-17`, found {}", found.map_or("none", Version::as_str))]
    VersionTooOld {
        /// The version the document has, if any.
        found: Option<Version>,
    },
    /// A `Principal`/`NotPrincipal` in a policy that is attached to a principal.
    #[error("`{field}` is not allowed in this kind of policy")]
    PrincipalNotAllowed {
        /// `Principal` or `NotPrincipal`.
        field: &'static str,
    },
    /// A field this kind of policy prohibits (`Resource` in a trust policy).
    #[error("`{field}` is not allowed in this kind of policy")]
    ProhibitedField {
        /// The field name as written.
        field: &'static str,
    },
    /// A statement without `Principal`/`NotPrincipal` in a policy that needs one.
    #[error("statement has neither `Principal` nor `NotPrincipal`")]
    MissingPrincipal,
    /// A `Sid` with characters other than ASCII letters and digits.
    #[error("sid `{sid}` is not alphanumeric")]
    SidNotAlphanumeric {
        /// The offending `Sid`.
        sid: String,
    },
    /// Two statements share a (non-empty) `Sid`.
    #[error("sid `{sid}` is used by more than one statement")]
    DuplicateSid {
        /// The repeated `Sid`.
        sid: String,
    },
    /// AWS's second, older parser rejects the document.
    #[error("legacy parser rejects the policy: {detail}")]
    LegacyParsing {
        /// What exactly is wrong.
        detail: String,
    },
    /// A statement without actions (no `Action`/`NotAction`, or an empty list).
    #[error("statement has no actions")]
    MissingActions,
    /// A statement without resources (no `Resource`/`NotResource`, or an empty list).
    #[error("statement has no resources")]
    MissingResources,
    /// A resource that is neither `*` nor shaped like an ARN AWS accepts.
    #[error("resource `{resource}` is malformed: {issue:?}")]
    MalformedResource {
        /// The resource as written.
        resource: String,
        /// Which rule it breaks.
        issue: ResourceIssue,
    },
    /// An action without a `vendor:` prefix (and not `*`).
    #[error("action `{action}` has no service prefix")]
    ActionWithoutVendor {
        /// The action as written.
        action: String,
    },
    /// An action with more than one colon.
    #[error("action `{action}` has more than one colon")]
    ActionWithManyColons {
        /// The action as written.
        action: String,
    },
    /// An action whose service prefix contains a wildcard (`*:Get*`).
    #[error("action `{action}` has a wildcard in its service prefix")]
    ActionVendorWildcard {
        /// The action as written.
        action: String,
    },
    /// An action whose service prefix has characters other than letters, digits, `-` and `.`.
    #[error("service prefix `{vendor}` is not valid")]
    InvalidVendor {
        /// The service prefix as written.
        vendor: String,
    },
    /// A principal value AWS does not accept.
    #[error("principal `{value}` is not a valid `{principal_type}` principal")]
    InvalidPrincipal {
        /// The key it was listed under.
        principal_type: PrincipalType,
        /// The value as written.
        value: String,
    },
    /// A trust policy action that is not one of the STS role-assumption actions.
    #[error("action `{action}` is not allowed in a trust policy")]
    TrustActionNotAllowed {
        /// The action (or `NotAction` element) as written.
        action: String,
    },
    /// Warning: the document has no `Version`, so AWS evaluates it as `2008-10-17`.
    #[error(
        "the policy has no `Version`; AWS evaluates it as 2008-10-17, without policy variables"
    )]
    VersionMissing,
    /// Warning: a `${...}` in a policy whose version has no policy variables.
    #[error("`{value}` is matched literally: policy variables need version 2012-10-17")]
    PolicyVariableIsLiteral {
        /// The value containing `${`.
        value: String,
    },
    /// Warning: an unknown condition operator with an empty block, which tests nothing.
    #[error("condition operator `{operator}` is unknown; its empty block tests nothing")]
    UnknownOperatorIgnored {
        /// The operator as written.
        operator: String,
    },
    /// Warning: `NotPrincipal` with `Allow`, which grants to nearly everyone.
    #[error("`NotPrincipal` with `Allow` grants access to every principal not listed")]
    NotPrincipalWithAllow,
    /// Warning: an action's service prefix is not in AWS's service
    /// authorization reference.
    #[error("service `{service}` is not a known AWS service prefix")]
    UnknownService {
        /// The service prefix as written.
        service: String,
    },
    /// Warning: the service is known but has no action of that name.
    #[error("action `{action}` does not exist")]
    UnknownAction {
        /// The action as written.
        action: String,
    },
    /// Warning: a wildcard action pattern that matches no action of its service.
    #[error("action pattern `{action}` matches no action")]
    ActionMatchesNothing {
        /// The pattern as written.
        action: String,
    },
    /// Warning: a service condition key that none of the statement's actions supports.
    #[error("condition key `{key}` is not supported by any action the statement names")]
    UnsupportedConditionKey {
        /// The key as written.
        key: String,
    },
    /// Warning: a trust policy lets a service principal assume the role
    /// without `aws:SourceAccount`/`aws:SourceArn` (the confused deputy problem).
    #[error(
        "trust for service principal `{service}` has no `aws:SourceAccount` or `aws:SourceArn` condition (confused deputy)"
    )]
    MissingConfusedDeputyCondition {
        /// The service principal.
        service: String,
    },
}

/// The ways a resource can fail AWS's resource-format rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceIssue {
    /// No colon at all.
    NotArn,
    /// The second `:`-separated field is not a known partition. Carries AWS's
    /// rendering of the resource, which pads missing fields with `*`.
    InvalidPartition {
        /// The field in the partition position.
        partition: String,
        /// The resource as AWS echoes it in the message.
        rendered: String,
    },
    /// Nothing after the partition.
    VendorNotQualified,
    /// An `arn:…:iam:REGION:…` resource.
    IamRegion,
    /// An `arn:…:s3:REGION:…` resource that is not an access point or job.
    S3Region,
    /// An IAM resource whose path does not start with a known resource type.
    IamPath,
}

impl Problem {
    /// Whether AWS rejects a document with this problem.
    pub fn severity(&self) -> Severity {
        match self {
            Problem::VersionMissing
            | Problem::PolicyVariableIsLiteral { .. }
            | Problem::UnknownOperatorIgnored { .. }
            | Problem::NotPrincipalWithAllow
            | Problem::UnknownService { .. }
            | Problem::UnknownAction { .. }
            | Problem::ActionMatchesNothing { .. }
            | Problem::UnsupportedConditionKey { .. }
            | Problem::MissingConfusedDeputyCondition { .. } => Severity::Warning,
            Problem::InvalidJson { .. }
            | Problem::NotAnObject
            | Problem::Syntax { .. }
            | Problem::VersionTooOld { .. }
            | Problem::PrincipalNotAllowed { .. }
            | Problem::ProhibitedField { .. }
            | Problem::MissingPrincipal
            | Problem::SidNotAlphanumeric { .. }
            | Problem::DuplicateSid { .. }
            | Problem::LegacyParsing { .. }
            | Problem::MissingActions
            | Problem::MissingResources
            | Problem::MalformedResource { .. }
            | Problem::ActionWithoutVendor { .. }
            | Problem::ActionWithManyColons { .. }
            | Problem::ActionVendorWildcard { .. }
            | Problem::InvalidVendor { .. }
            | Problem::InvalidPrincipal { .. }
            | Problem::TrustActionNotAllowed { .. } => Severity::Error,
        }
    }

    /// The message AWS IAM puts in its `MalformedPolicyDocument` error for
    /// this problem. `kind` is `None` for a bare [`crate::parse`], which words
    /// JSON problems the way `CreateRole` does.
    ///
    /// For warnings (which AWS does not report) this is the developer-facing
    /// description.
    pub fn aws_message(&self, kind: Option<PolicyKind>) -> String {
        match self {
            // AWS words unparseable JSON differently per API. CreateRole and
            // UpdateAssumeRolePolicy answer "This policy contains invalid Json"
            // (recorded against AWS in localstack's
            // tests/aws/services/iam/test_iam_roles.snapshot.json, 2026-02, and
            // seen in aws-samples/aws-microservices-deploy-options#118). The
            // identity-policy APIs answer "Syntax errors in policy." for the same
            // input: CreatePolicy with "This is not a json document" (localstack
            // test_iam_policies.snapshot.json, invalid-0), CreatePolicy with
            // `null` (99designs/iamy#74), PutUserPolicy with a file name instead
            // of JSON (aws/aws-cli#3501, vmware-tanzu/velero#6609).
            // A JSON value that is not an object is grouped with invalid JSON.
            // STS echoes a raw Jackson parser message (with a JVM object address)
            // for session policies (ansible-collections/amazon.aws#2778); that
            // cannot be reproduced, so session policies use the identity wording.
            Problem::InvalidJson { .. } | Problem::NotAnObject => match kind {
                None | Some(PolicyKind::Trust) | Some(PolicyKind::ResourceBased) => {
                    "This policy contains invalid Json".to_owned()
                }
                Some(PolicyKind::Identity)
                | Some(PolicyKind::Managed)
                | Some(PolicyKind::PermissionsBoundary)
                | Some(PolicyKind::Session) => "Syntax errors in policy.".to_owned(),
            },
            // Unknown top-level or statement fields, wrong types, an unknown
            // Version string, Effect "invalid", an unknown operator with keys,
            // an empty Statement list: all "Syntax errors in policy." in
            // localstack's AWS-recorded snapshot (invalid-3..10, 26, 31, 39..54,
            // 57, 58, 61, 62). AWS never names the unknown field ("Unknown field
            // X" is not something IAM says).
            Problem::Syntax { .. } => "Syntax errors in policy.".to_owned(),
            // CreatePolicy without Version or with 2008-10-17 (snapshot invalid-1, 2, 60, 65, 66).
            Problem::VersionTooOld { .. } => {
                "Policy document must be version 2012-10-17 or greater.".to_owned()
            }
            // PutUserPolicy/PutGroupPolicy/PutRolePolicy with a Principal
            // (hashicorp/terraform#13449, hashicorp/terraform-provider-aws#10419).
            // The console's JSON editor says "Has prohibited field Principal"
            // instead; that is not an API message.
            Problem::PrincipalNotAllowed { .. } => {
                "Policy document should not specify a principal.".to_owned()
            }
            // UpdateAssumeRolePolicy with Resource (localstack roles snapshot,
            // "resource-field-error", no trailing period).
            Problem::ProhibitedField { field } => format!("Has prohibited field {field}"),
            // S3 and IAM resource policies say "Missing required field
            // Principal". For a trust policy IAM once answered "Invalid principal
            // in policy: com.amazon.balsa.error.InvalidPolicyException: The
            // passed in policy has a statement with no principals!"
            // (terraform-aws-modules/terraform-aws-iam#47, 2020); we use the
            // grammar-level wording for both, as the project brief specifies.
            Problem::MissingPrincipal => "Missing required field Principal".to_owned(),
            // A CloudTrail record of CreatePolicy (errorMessage column).
            Problem::SidNotAlphanumeric { .. } => format!(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression {SID_PATTERN}"
            ),
            // Snapshot invalid-59.
            Problem::DuplicateSid { .. } => {
                "Statement IDs (SID) in a single policy must be unique.".to_owned()
            }
            // Snapshot invalid-36, 37, 63, 64, 67..77.
            Problem::LegacyParsing { .. } => "The policy failed legacy parsing".to_owned(),
            // Snapshot invalid-30, 32..34; aws/aws-cdk#7615.
            Problem::MissingActions => "Policy statement must contain actions.".to_owned(),
            // Snapshot invalid-27..29; many terraform issues.
            Problem::MissingResources => "Policy statement must contain resources.".to_owned(),
            Problem::MalformedResource { resource, issue } => issue.aws_message(resource),
            // Snapshot invalid-11, 12.
            Problem::ActionWithoutVendor { .. } => {
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".to_owned()
            }
            // Snapshot invalid-14, 15 (AWS's own singular "Condition").
            Problem::ActionWithManyColons { .. } => {
                "Actions/Condition can contain only one colon.".to_owned()
            }
            // Quoted from AWS by boogy/iam-policy-validator#172 (2026), for `*:Untag*`.
            Problem::ActionVendorWildcard { .. } => {
                "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards".to_owned()
            }
            // Snapshot invalid-13.
            Problem::InvalidVendor { vendor } => format!("Vendor {vendor} is not valid"),
            // `Invalid principal in policy: "AWS":"arn:..."` (many issues, e.g.
            // databrickslabs/ucx#2269) and `"SERVICE":"amazonaws.com"`
            // (aws-samples/aws-cdk-examples#801): the key is upper-cased.
            Problem::InvalidPrincipal { principal_type, value } => format!(
                "Invalid principal in policy: \"{}\":\"{}\"",
                principal_type.as_str().to_ascii_uppercase(),
                value
            ),
            // UpdateAssumeRolePolicy with sts:InvalidAction (localstack roles
            // snapshot, "invalid-action-error", 2026-02).
            Problem::TrustActionNotAllowed { .. } => {
                "AssumeRole policy may only specify STS AssumeRole actions.".to_owned()
            }
            Problem::VersionMissing
            | Problem::PolicyVariableIsLiteral { .. }
            | Problem::UnknownOperatorIgnored { .. }
            | Problem::NotPrincipalWithAllow
            | Problem::UnknownService { .. }
            | Problem::UnknownAction { .. }
            | Problem::ActionMatchesNothing { .. }
            | Problem::UnsupportedConditionKey { .. }
            | Problem::MissingConfusedDeputyCondition { .. } => self.to_string(),
        }
    }
}

impl ResourceIssue {
    /// AWS's message for this issue with `resource`. All wordings are from
    /// localstack's AWS-recorded snapshot (invalid-16..25, 35, 38, 55, 56).
    fn aws_message(&self, resource: &str) -> String {
        match self {
            ResourceIssue::NotArn => format!("Resource {resource} must be in ARN format or \"*\"."),
            ResourceIssue::InvalidPartition {
                partition,
                rendered,
            } => {
                format!("Partition \"{partition}\" is not valid for resource \"{rendered}\".")
            }
            ResourceIssue::VendorNotQualified => {
                "Resource vendor must be fully qualified and cannot contain regexes.".to_owned()
            }
            ResourceIssue::IamRegion => {
                format!("IAM resource {resource} cannot contain region information.")
            }
            // Sic: "can not", unlike the IAM wording.
            ResourceIssue::S3Region => {
                format!("Resource {resource} can not contain region information.")
            }
            ResourceIssue::IamPath => format!(
                "IAM resource path must either be \"*\", root, or start with {}.",
                IAM_RESOURCE_PREFIXES.join(", ")
            ),
        }
    }
}

/// One problem found in a document, as reported by [`crate::findings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Whether AWS rejects the document for it.
    pub severity: Severity,
    /// AWS's message for an error; a description for a warning.
    pub message: String,
    /// The 0-based index of the statement concerned, when there is one.
    pub statement: Option<usize>,
    /// The typed problem.
    pub problem: Problem,
}

/// The error [`crate::parse`] and [`crate::validate`] return: the first
/// problem AWS would report, with its exact `MalformedPolicyDocument` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    message: String,
    statement: Option<usize>,
    problem: Problem,
}

impl PolicyError {
    pub(crate) fn from_finding(finding: Finding) -> PolicyError {
        PolicyError {
            message: finding.message,
            statement: finding.statement,
            problem: finding.problem,
        }
    }

    /// The exact message AWS IAM returns with `MalformedPolicyDocument`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 0-based index of the statement concerned, when there is one.
    pub fn statement(&self) -> Option<usize> {
        self.statement
    }

    /// The typed problem, for callers that map errors exhaustively.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}
