//! OpenID Connect identity providers and AssumeRoleWithWebIdentity.
//!
//! A provider is created with CreateOpenIDConnectProvider, as in AWS. Since
//! ironiam fetches nothing, the issuer's signing keys (its JWKS) are
//! configured locally at start (`--oidc-jwks URL=FILE`). A web identity
//! token is a JWT signed with RS256; its signature, issuer, audience and
//! expiry are checked, then the role's trust policy decides with the
//! provider as a federated principal and the token's claims as
//! `HOST/PATH:aud` and `HOST/PATH:sub`.

use std::sync::Arc;

use base64::prelude::{Engine, BASE64_URL_SAFE_NO_PAD};
use ironiam_policy::{evaluate, Context, PolicyId, PolicySet, Principal, Request};
use serde_json::Value;

use crate::entities::{oidc_host_path, OidcProvider, Page, Tag};
use crate::error::{Found, IamError, IamResult};
use crate::service::{paginate_indexed, Caller, IamService};
use crate::session::SessionClaims;
use crate::store::OidcChange;
use crate::sts::{AssumeCheck, IssuedCredentials};
use crate::tags::{self, TagChange};

/// AWS's quota name for an OIDC provider's tags, after `TagsPerRole` and
/// `TagsPerUser`; this name is unverified.
pub const TAG_QUOTA: &str = "TagsPerOpenIDConnectProvider";

/// Applies `change` to `provider`. On an error `provider` may be half
/// changed: a store applies the change to a copy and keeps it only on success.
pub fn apply_change(provider: &mut OidcProvider, change: OidcChange) -> IamResult<()> {
    match change {
        OidcChange::AddClientId(id) => {
            if !provider.client_ids.contains(&id) {
                provider.client_ids.push(id);
            }
        }
        OidcChange::RemoveClientId(id) => provider.client_ids.retain(|c| *c != id),
        OidcChange::Thumbprints(list) => provider.thumbprints = list,
        OidcChange::Tag { tags, max_tags } => tags::apply(
            &mut provider.tags,
            TagChange::Tag { tags, max_tags },
            TAG_QUOTA,
        )?,
        OidcChange::Untag(keys) => {
            tags::apply(&mut provider.tags, TagChange::Untag(keys), TAG_QUOTA)?
        }
    }
    Ok(())
}

/// `arn:aws:iam::ACCOUNT:oidc-provider/HOST[/PATH]`; anything else is
/// `InvalidInput`, worded as for a policy ARN (AWS's wording for a provider
/// ARN is unverified).
pub fn check_provider_arn(arn: &str) -> IamResult<()> {
    let valid = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(":oidc-provider/"))
        .is_some_and(|(account, host_path)| {
            account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && !host_path.is_empty()
        });
    if valid {
        Ok(())
    } else {
        Err(IamError::InvalidInput(format!("ARN {arn} is not valid.")))
    }
}

/// One RSA signing key of an issuer's JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksKey {
    /// `kid`, when the JWKS names its keys.
    pub kid: Option<String>,
    /// The modulus, big-endian.
    pub n: Vec<u8>,
    /// The public exponent, big-endian.
    pub e: Vec<u8>,
}

/// An issuer and its signing keys, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerKeys {
    /// The issuer URL without `https://` (`token.actions.githubusercontent.com`).
    pub issuer: String,
    /// Its RSA keys.
    pub keys: Vec<JwksKey>,
}

/// Parses a JWKS document (`{"keys": [{"kty": "RSA", "kid", "n", "e"}]}`);
/// keys of other types are skipped.
pub fn parse_jwks(issuer_url: &str, text: &str) -> Result<IssuerKeys, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let list = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| "expected {\"keys\": [...]}".to_string())?;
    let mut keys = Vec::new();
    for key in list {
        if key.get("kty").and_then(Value::as_str) != Some("RSA") {
            continue;
        }
        let part = |name: &str| {
            key.get(name)
                .and_then(Value::as_str)
                .and_then(|v| BASE64_URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')).ok())
                .ok_or_else(|| format!("an RSA key needs \"{name}\" in base64url"))
        };
        keys.push(JwksKey {
            kid: key.get("kid").and_then(Value::as_str).map(str::to_string),
            n: part("n")?,
            e: part("e")?,
        });
    }
    if keys.is_empty() {
        return Err("the JWKS has no RSA key".to_string());
    }
    Ok(IssuerKeys {
        issuer: oidc_host_path(issuer_url).to_string(),
        keys,
    })
}

/// Input of AssumeRoleWithWebIdentity.
#[derive(Debug, Clone, Default)]
pub struct WebIdentityInput {
    /// RoleArn.
    pub role_arn: String,
    /// RoleSessionName.
    pub session_name: String,
    /// WebIdentityToken: a JWT.
    pub token: String,
    /// DurationSeconds.
    pub duration_seconds: Option<i64>,
    /// Policy.
    pub policy: Option<String>,
    /// PolicyArns.
    pub policy_arns: Vec<String>,
}

/// What AssumeRoleWithWebIdentity answers besides the credentials.
#[derive(Debug, Clone)]
pub struct WebIdentityCredentials {
    /// The credentials.
    pub issued: IssuedCredentials,
    /// SubjectFromWebIdentityToken: the token's `sub`.
    pub subject: String,
    /// Audience: the token's `aud` that matched a client id.
    pub audience: String,
    /// Provider: the issuer (`HOST/PATH`).
    pub provider: String,
}

fn invalid_token(message: &str) -> IamError {
    IamError::InvalidIdentityToken(message.to_string())
}

const UNVERIFIABLE: &str =
    "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
const NOT_VALIDATED: &str = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.";

/// A JWT split and decoded, not yet verified.
struct Jwt {
    header: Value,
    claims: Value,
    signed: String,
    signature: Vec<u8>,
}

fn decode_jwt(token: &str) -> IamResult<Jwt> {
    let mut parts = token.trim().split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid_token(NOT_VALIDATED));
    };
    let json = |part: &str| -> IamResult<Value> {
        let bytes = BASE64_URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| invalid_token(NOT_VALIDATED))?;
        serde_json::from_slice(&bytes).map_err(|_| invalid_token(NOT_VALIDATED))
    };
    Ok(Jwt {
        header: json(h)?,
        claims: json(p)?,
        signed: format!("{h}.{p}"),
        signature: BASE64_URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| invalid_token(NOT_VALIDATED))?,
    })
}

/// Checks an RS256 signature against the issuer's configured keys.
fn verify_signature(jwt: &Jwt, keys: Option<&IssuerKeys>) -> IamResult<()> {
    let keys = keys.ok_or_else(|| invalid_token(UNVERIFIABLE))?;
    if jwt.header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(invalid_token(NOT_VALIDATED));
    }
    let kid = jwt.header.get("kid").and_then(Value::as_str);
    let candidates: Vec<&JwksKey> = keys
        .keys
        .iter()
        .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
        .collect();
    if candidates.is_empty() {
        return Err(invalid_token(UNVERIFIABLE));
    }
    let verified = candidates.iter().any(|k| {
        ring::signature::RsaPublicKeyComponents { n: &k.n, e: &k.e }
            .verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                jwt.signed.as_bytes(),
                &jwt.signature,
            )
            .is_ok()
    });
    if verified {
        Ok(())
    } else {
        Err(invalid_token(NOT_VALIDATED))
    }
}

fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

impl IamService {
    /// CreateOpenIDConnectProvider.
    pub fn create_oidc_provider(
        &self,
        caller: &Caller,
        url: &str,
        client_ids: Vec<String>,
        thumbprints: Vec<String>,
        tags: Vec<Tag>,
    ) -> IamResult<Arc<OidcProvider>> {
        let host_path = url.strip_prefix("https://").unwrap_or("");
        if host_path.is_empty() || host_path.contains(['?', '#']) {
            return Err(IamError::Validation(
                "Invalid Url. The URL must begin with https:// and have no query or fragment."
                    .to_string(),
            ));
        }
        tags::check_new(&tags, self.quotas().tags_per_resource, TAG_QUOTA)?;
        let mut unique_ids: Vec<String> = Vec::new();
        for id in client_ids {
            if !unique_ids.contains(&id) {
                unique_ids.push(id);
            }
        }
        self.store.create_oidc_provider(OidcProvider {
            account_id: caller.account_id.clone(),
            url: url.trim_end_matches('/').to_string(),
            client_ids: unique_ids,
            thumbprints,
            tags,
            create_date: self.clock.now(),
        })
    }

    /// GetOpenIDConnectProvider.
    pub fn get_oidc_provider(&self, caller: &Caller, arn: &str) -> IamResult<Arc<OidcProvider>> {
        self.store.get_oidc_provider(&caller.account_id, arn)
    }

    /// ListOpenIDConnectProviders.
    pub fn list_oidc_providers(&self, caller: &Caller) -> IamResult<Vec<Arc<OidcProvider>>> {
        self.store.list_oidc_providers(&caller.account_id)
    }

    /// DeleteOpenIDConnectProvider.
    pub fn delete_oidc_provider(&self, caller: &Caller, arn: &str) -> IamResult<()> {
        self.store.delete_oidc_provider(&caller.account_id, arn)
    }

    /// AddClientIDToOpenIDConnectProvider, RemoveClientIDFromOpenIDConnectProvider,
    /// UpdateOpenIDConnectProviderThumbprint.
    pub fn update_oidc_provider(
        &self,
        caller: &Caller,
        arn: &str,
        change: OidcChange,
    ) -> IamResult<()> {
        self.store
            .update_oidc_provider(&caller.account_id, arn, change)
            .map(|_| ())
    }

    /// TagOpenIDConnectProvider.
    pub fn tag_oidc_provider(&self, caller: &Caller, arn: &str, tags: Vec<Tag>) -> IamResult<()> {
        check_provider_arn(arn)?;
        tags::check_no_duplicate_keys(&tags)?;
        let max_tags = self.quotas().tags_per_resource;
        self.update_oidc_provider(caller, arn, OidcChange::Tag { tags, max_tags })
    }

    /// UntagOpenIDConnectProvider.
    pub fn untag_oidc_provider(
        &self,
        caller: &Caller,
        arn: &str,
        keys: Vec<String>,
    ) -> IamResult<()> {
        check_provider_arn(arn)?;
        self.update_oidc_provider(caller, arn, OidcChange::Untag(keys))
    }

    /// ListOpenIDConnectProviderTags, in the order the tags were added.
    pub fn list_oidc_provider_tags(
        &self,
        caller: &Caller,
        arn: &str,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> IamResult<Page<Tag>> {
        check_provider_arn(arn)?;
        let provider = self.store.get_oidc_provider(&caller.account_id, arn)?;
        paginate_indexed(&provider.tags, marker, max_items)
    }

    /// AssumeRoleWithWebIdentity. With [`AssumeCheck::None`] (`--auth off`)
    /// the token is read but not verified and the trust policy is not
    /// consulted, as moto does; otherwise AWS's checks, in AWS's words.
    pub fn assume_role_with_web_identity(
        &self,
        input: WebIdentityInput,
        check: AssumeCheck,
    ) -> IamResult<WebIdentityCredentials> {
        let verify = check != AssumeCheck::None;
        let jwt = match decode_jwt(&input.token) {
            Ok(jwt) => jwt,
            Err(e) if verify => return Err(e),
            Err(_) => Jwt {
                header: Value::Null,
                claims: Value::Null,
                signed: String::new(),
                signature: Vec::new(),
            },
        };
        let claim = |name: &str| {
            jwt.claims
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let issuer_url = claim("iss");
        let issuer = oidc_host_path(&issuer_url).to_string();
        let subject = claim("sub");
        let audiences: Vec<String> = match jwt.claims.get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        let role_account = arn_account(&input.role_arn)
            .unwrap_or(self.settings().default_account.as_str())
            .to_string();
        let provider_arn = format!("arn:aws:iam::{role_account}:oidc-provider/{issuer}");
        let mut audience = audiences.first().cloned().unwrap_or_default();
        if verify {
            let provider = self
                .store
                .get_oidc_provider(&role_account, &provider_arn)
                .map_err(|_| {
                    invalid_token(&format!(
                        "No OpenIDConnect provider found in your account for {issuer_url}"
                    ))
                })?;
            verify_signature(
                &jwt,
                self.settings()
                    .oidc_keys
                    .iter()
                    .find(|k| k.issuer == issuer),
            )?;
            audience = audiences
                .iter()
                .find(|a| provider.client_ids.contains(a))
                .cloned()
                .ok_or_else(|| invalid_token("Incorrect token audience"))?;
            let now = self.clock.now();
            let exp = jwt
                .claims
                .get("exp")
                .and_then(Value::as_i64)
                .ok_or_else(|| invalid_token(NOT_VALIDATED))?;
            if exp <= now {
                return Err(IamError::ExpiredIdentityToken(format!(
                    "Token expired: current date/time {now} must be before the expiration date/time {exp}"
                )));
            }
            let denied = || {
                IamError::AccessDenied(
                    "Not authorized to perform sts:AssumeRoleWithWebIdentity".to_string(),
                )
            };
            let role = self
                .store
                .get_role(
                    &role_account,
                    input.role_arn.rsplit('/').next().unwrap_or_default(),
                )
                // A missing role is denied like a forbidden one; a store
                // failure is the store's error.
                .found()?
                .filter(|r| r.arn() == input.role_arn)
                .ok_or_else(denied)?;
            let trust = self.compiled_trust(&self.trust_policy_document(&role)?)?;
            let context = Context::new()
                .with_time(now)
                .with(&format!("{issuer}:aud"), audience.clone())
                .with(&format!("{issuer}:sub"), subject.clone())
                .with("aws:FederatedProvider", provider_arn.clone());
            let decision = evaluate(
                &PolicySet::new().trust(PolicyId::new("TrustPolicy"), &trust),
                &Request {
                    principal: Principal::federated(&provider_arn),
                    action: "sts:AssumeRoleWithWebIdentity",
                    resource: &input.role_arn,
                    resource_account: Some(&role.account_id),
                    context: &context,
                },
            );
            if !decision.is_allowed() {
                return Err(denied());
            }
        }
        let role = self
            .store
            .get_role(
                &role_account,
                input.role_arn.rsplit('/').next().unwrap_or_default(),
            )
            .found()?
            .filter(|r| r.arn() == input.role_arn)
            .ok_or_else(|| {
                IamError::AccessDenied(
                    "Not authorized to perform sts:AssumeRoleWithWebIdentity".to_string(),
                )
            })?;
        let duration = input.duration_seconds.unwrap_or(3600);
        if duration > role.max_session_duration {
            return Err(IamError::Validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                    .to_string(),
            ));
        }
        if let Some(policy) = &input.policy {
            ironiam_policy::validate(policy, ironiam_policy::PolicyKind::Session)
                .map_err(|e| IamError::MalformedPolicyDocument(e.message().to_string()))?;
        }
        self.check_session_policy_arns(&role.account_id, &input.policy_arns)?;
        let claims = SessionClaims {
            policy: input.policy,
            policy_arns: input.policy_arns,
            ..self.role_session(&role, input.session_name, duration)
        };
        Ok(WebIdentityCredentials {
            issued: self.issue(claims, None),
            subject,
            audience,
            provider: issuer,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::FixedClock;
    use crate::memory::MemoryStore;
    use crate::service::Settings;

    fn tags(n: usize) -> Vec<Tag> {
        (0..n)
            .map(|i| Tag {
                key: format!("k{i}"),
                value: format!("v{i}"),
            })
            .collect()
    }

    fn service() -> IamService {
        IamService::new(
            Arc::new(MemoryStore::new()),
            Arc::new(FixedClock::new(1_800_000_000)),
            Settings::default(),
        )
    }

    #[test]
    fn create_checks_tags_like_tag() {
        let s = service();
        let root = Caller::root("123456789012");
        let create = |url: &str, tags| s.create_oidc_provider(&root, url, vec![], vec![], tags);
        assert_eq!(
            create("https://a.example.com", tags(51)).unwrap_err(),
            IamError::LimitExceeded(
                "Cannot exceed quota for TagsPerOpenIDConnectProvider: 50".into()
            )
        );
        let mut dup = tags(1);
        dup.push(Tag {
            key: "K0".into(),
            value: String::new(),
        });
        assert!(matches!(
            create("https://a.example.com", dup),
            Err(IamError::InvalidInput(m)) if m.starts_with("Duplicate tag keys")
        ));
        assert_eq!(
            create("https://a.example.com", tags(50))
                .unwrap()
                .tags
                .len(),
            50
        );
    }

    #[test]
    fn tag_untag_and_list_a_provider() {
        let s = service();
        let root = Caller::root("123456789012");
        let arn = s
            .create_oidc_provider(&root, "https://a.example.com/x", vec![], vec![], tags(2))
            .unwrap()
            .arn();
        assert_eq!(
            s.tag_oidc_provider(&root, &arn, tags(51)[2..].to_vec())
                .unwrap_err(),
            IamError::LimitExceeded(
                "Cannot exceed quota for TagsPerOpenIDConnectProvider: 50".into()
            )
        );
        assert_eq!(s.get_oidc_provider(&root, &arn).unwrap().tags, tags(2));
        s.tag_oidc_provider(&root, &arn, tags(50)).unwrap();
        let first = s
            .list_oidc_provider_tags(&root, &arn, None, Some(30))
            .unwrap();
        assert_eq!(first.items, tags(30));
        let rest = s
            .list_oidc_provider_tags(&root, &arn, first.marker.as_deref(), None)
            .unwrap();
        assert_eq!((rest.items.len(), rest.marker), (20, None));
        s.untag_oidc_provider(&root, &arn, vec!["K1".into()])
            .unwrap();
        assert_eq!(s.get_oidc_provider(&root, &arn).unwrap().tags.len(), 49);

        let missing = "arn:aws:iam::123456789012:oidc-provider/missing.example.com";
        let not_found = IamError::NoSuchEntity(format!(
            "OpenIDConnect Provider not found for arn {missing}"
        ));
        assert_eq!(
            s.tag_oidc_provider(&root, missing, tags(1)).unwrap_err(),
            not_found
        );
        assert_eq!(
            s.untag_oidc_provider(&root, missing, vec![]).unwrap_err(),
            not_found
        );
        assert_eq!(
            s.list_oidc_provider_tags(&root, missing, None, None)
                .unwrap_err(),
            not_found
        );
        for bad in [
            "arn:aws:iam::123456789012:role/R",
            "arn:aws:iam::1234:oidc-provider/a.example.com",
            "arn:aws:iam::123456789012:oidc-provider/",
        ] {
            let invalid = IamError::InvalidInput(format!("ARN {bad} is not valid."));
            assert_eq!(
                s.tag_oidc_provider(&root, bad, tags(1)).unwrap_err(),
                invalid
            );
            assert_eq!(
                s.untag_oidc_provider(&root, bad, vec![]).unwrap_err(),
                invalid
            );
            assert_eq!(
                s.list_oidc_provider_tags(&root, bad, None, None)
                    .unwrap_err(),
                invalid
            );
        }
    }
}
