//! The only module that talks to AWS: the SDK for Rust with the standard
//! configuration chain, reading the role and applying [`Change`]s.

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::BehaviorVersion;
use aws_sdk_iam::config::{ProvideCredentials, Region};

use crate::checklist::{AttachedPolicy, RoleFacts};
use crate::error::{chain, from_sdk, Failure};
use crate::plan::Change;

/// Where and as whom to connect: the command-line part of the configuration;
/// everything else comes from the environment and profiles as the AWS CLI
/// reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// Overrides every other endpoint setting, for IAM and STS alike.
    pub endpoint_url: Option<String>,
    /// Overrides `AWS_REGION`/the profile's region.
    pub region: Option<String>,
    /// Overrides `AWS_PROFILE`.
    pub profile: Option<String>,
}

/// IAM is a global service; with no region configured anywhere the command
/// still works, signing for the region IAM's global endpoint lives in.
const FALLBACK_REGION: &str = "us-east-1";

/// Connected IAM and STS clients.
pub struct Aws {
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    /// The IAM endpoint, for messages.
    pub target: String,
    /// The region signed for.
    pub region: String,
}

impl Aws {
    /// Loads the standard configuration and makes sure there are credentials,
    /// so that "no credentials" is reported as such, before any request.
    pub async fn connect(connection: &Connection) -> Result<Aws, Failure> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &connection.profile {
            loader = loader.profile_name(profile);
        }
        // IAM is global, so the region only names where to sign: look in the
        // environment and the profile but not at the EC2 instance metadata
        // service, which off EC2 costs seconds of timeouts and warnings.
        let region = match &connection.region {
            Some(region) => RegionProviderChain::first_try(Region::new(region.clone())),
            None => {
                let mut profile = ProfileFileRegionProvider::builder();
                if let Some(name) = &connection.profile {
                    profile = profile.profile_name(name);
                }
                RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
                    .or_else(profile.build())
                    .or_else(Region::new(FALLBACK_REGION))
            }
        };
        loader = loader.region(region);
        if let Some(url) = &connection.endpoint_url {
            // Set on the loader it counts as code configuration, which beats
            // AWS_ENDPOINT_URL_IAM and the profile's `services` section.
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        let region = sdk
            .region()
            .cloned()
            .unwrap_or_else(|| Region::new(FALLBACK_REGION));
        let provider = sdk
            .credentials_provider()
            .ok_or_else(|| Failure::NoCredentials {
                detail: "no credentials provider is configured".into(),
            })?;
        if let Err(e) = provider.provide_credentials().await {
            return Err(Failure::NoCredentials { detail: chain(&e) });
        }
        let iam = aws_sdk_iam::config::Builder::from(&sdk)
            .region(region.clone())
            .build();
        let sts = aws_sdk_sts::config::Builder::from(&sdk)
            .region(region.clone())
            .build();
        Ok(Aws {
            iam: aws_sdk_iam::Client::from_conf(iam),
            sts: aws_sdk_sts::Client::from_conf(sts),
            target: describe_target(connection, sdk.endpoint_url()),
            region: region.to_string(),
        })
    }

    /// The caller's account, from `sts:GetCallerIdentity`.
    pub async fn caller_account(&self) -> Result<String, Failure> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| from_sdk("sts:GetCallerIdentity", &self.target, e))?;
        out.account.ok_or_else(|| Failure::BadResponse {
            target: self.target.clone(),
            operation: "sts:GetCallerIdentity".into(),
            detail: "no Account in the answer".into(),
        })
    }

    /// Reads the role, its managed and inline policies; `None` if it does not exist.
    pub async fn observe(&self, role_name: &str) -> Result<Option<RoleFacts>, Failure> {
        let role = match self.iam.get_role().role_name(role_name).send().await {
            Ok(out) => out.role,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(from_sdk("iam:GetRole", &self.target, e)),
        };
        let Some(role) = role else {
            return Err(self.bad_response("iam:GetRole", "no Role in the answer"));
        };

        let mut attached = Vec::new();
        let mut pages = self
            .iam
            .list_attached_role_policies()
            .role_name(&role.role_name)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let policy =
                item.map_err(|e| from_sdk("iam:ListAttachedRolePolicies", &self.target, e))?;
            attached.push(AttachedPolicy {
                name: policy.policy_name.unwrap_or_default(),
                arn: policy.policy_arn.unwrap_or_default(),
            });
        }

        let mut inline_policies = Vec::new();
        let mut pages = self
            .iam
            .list_role_policies()
            .role_name(&role.role_name)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            inline_policies
                .push(item.map_err(|e| from_sdk("iam:ListRolePolicies", &self.target, e))?);
        }

        Ok(Some(RoleFacts {
            trust_document: decode_policy_document(
                role.assume_role_policy_document
                    .as_deref()
                    .unwrap_or_default(),
            ),
            name: role.role_name,
            arn: role.arn,
            description: role.description,
            attached,
            inline_policies,
            permissions_boundary: role
                .permissions_boundary
                .and_then(|b| b.permissions_boundary_arn),
            region: self.region.clone(),
        }))
    }

    /// Makes one change.
    pub async fn apply(&self, change: &Change) -> Result<(), Failure> {
        match change {
            Change::CreateRole {
                role_name,
                trust_policy,
                description,
            } => {
                self.iam
                    .create_role()
                    .role_name(role_name)
                    .assume_role_policy_document(trust_policy.to_string())
                    .set_description(description.clone())
                    .send()
                    .await
                    .map_err(|e| from_sdk("iam:CreateRole", &self.target, e))?;
            }
            Change::UpdateAssumeRolePolicy {
                role_name,
                trust_policy,
            } => {
                self.iam
                    .update_assume_role_policy()
                    .role_name(role_name)
                    .policy_document(trust_policy.to_string())
                    .send()
                    .await
                    .map_err(|e| from_sdk("iam:UpdateAssumeRolePolicy", &self.target, e))?;
            }
            Change::UpdateRoleDescription {
                role_name,
                description,
            } => {
                self.iam
                    .update_role()
                    .role_name(role_name)
                    .description(description)
                    .send()
                    .await
                    .map_err(|e| from_sdk("iam:UpdateRole", &self.target, e))?;
            }
            Change::AttachRolePolicy {
                role_name,
                policy_arn,
            } => {
                self.iam
                    .attach_role_policy()
                    .role_name(role_name)
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .map_err(|e| from_sdk("iam:AttachRolePolicy", &self.target, e))?;
            }
        }
        Ok(())
    }

    fn bad_response(&self, operation: &str, detail: &str) -> Failure {
        Failure::BadResponse {
            target: self.target.clone(),
            operation: operation.into(),
            detail: detail.into(),
        }
    }
}

/// The IAM endpoint as configured, for messages: the flag, then the
/// environment, then the profile, then AWS's own.
fn describe_target(connection: &Connection, configured: Option<&str>) -> String {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    connection
        .endpoint_url
        .clone()
        .or_else(|| from_env("AWS_ENDPOINT_URL_IAM"))
        .or_else(|| configured.map(str::to_owned))
        .map(|url| format!("the IAM endpoint {url}"))
        .unwrap_or_else(|| "the AWS IAM endpoint (iam.amazonaws.com)".to_owned())
}

/// IAM returns policy documents URL-encoded (RFC 3986) inside the XML — an
/// AWS quirk the SDKs pass through — so `%7B%22Version%22…` is decoded here.
/// A document that already starts with `{` is taken as is: an endpoint that
/// does not encode must not have a literal `%` in a value mangled.
pub fn decode_policy_document(raw: &str) -> String {
    if raw.trim_start().starts_with('{') {
        return raw.to_owned();
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_url_decoded_once() {
        assert_eq!(
            decode_policy_document("%7B%22Version%22%3A%20%222012-10-17%22%7D"),
            r#"{"Version": "2012-10-17"}"#
        );
        assert_eq!(
            decode_policy_document(r#"{"Sid":"100%25"}"#),
            r#"{"Sid":"100%25"}"#
        );
    }

    #[test]
    fn the_flag_names_the_target() {
        let connection = Connection {
            endpoint_url: Some("http://127.0.0.1:1".into()),
            ..Connection::default()
        };
        assert_eq!(
            describe_target(&connection, None),
            "the IAM endpoint http://127.0.0.1:1"
        );
    }
}
