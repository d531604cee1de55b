//! The row codec every SQL backend shares: the nested parts of an entity
//! (tags, inline policies, policy versions, access keys, a login profile, a
//! password policy, a trust policy's bound principals) as the JSON text one
//! column holds. SQLite (`ironiam-store-sqlite`) and PostgreSQL
//! (`ironiam-store-postgres`) store one row per entity and call these, so a
//! row written by one reads the same in the other.
//!
//! Encoders cannot fail. Decoders answer `Err` with what is wrong: a stored
//! column that does not parse is corruption, and a backend refuses to start
//! rather than silently drop data.

use serde_json::{json, Value};

use crate::crypto::{base64_decode, base64_encode};
use crate::entities::{
    AccessKey, AccessKeyStatus, InlinePolicies, LoginProfile, PolicyVersion, PrincipalBinding, Tag,
};
use crate::password::{PasswordHash, PasswordPolicy};

/// What is wrong with a stored column.
pub type Corrupt = String;

fn parse(text: &str) -> Result<Value, Corrupt> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

fn field<'a>(value: &'a Value, name: &str) -> Result<&'a Value, Corrupt> {
    value
        .get(name)
        .ok_or_else(|| format!("missing field `{name}`"))
}

fn string(value: &Value, name: &str) -> Result<String, Corrupt> {
    field(value, name)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("field `{name}` is not a string"))
}

fn integer(value: &Value, name: &str) -> Result<i64, Corrupt> {
    field(value, name)?
        .as_i64()
        .ok_or_else(|| format!("field `{name}` is not an integer"))
}

fn boolean(value: &Value, name: &str) -> Result<bool, Corrupt> {
    field(value, name)?
        .as_bool()
        .ok_or_else(|| format!("field `{name}` is not a boolean"))
}

fn array(value: &Value) -> Result<&Vec<Value>, Corrupt> {
    value
        .as_array()
        .ok_or_else(|| "not a JSON array".to_string())
}

/// A list of pairs, `[[a, b], …]`.
fn pairs_json<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    Value::Array(pairs.map(|(a, b)| json!([a, b])).collect()).to_string()
}

fn parse_pairs(text: &str) -> Result<Vec<(String, String)>, Corrupt> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// `list` without spare room. A list parsed from JSON grows by doubling
/// (serde cannot know its length), so 3 tags held room for 4; a loaded
/// entity keeps its lists for the process's life (about 12 MB each for
/// tags and attachments at 100,000 roles and 100,000 users).
fn exact<T>(mut list: Vec<T>) -> Vec<T> {
    list.shrink_to_fit();
    list
}

/// Tags: `[[key, value], …]`.
pub fn tags_json(tags: &[Tag]) -> String {
    pairs_json(tags.iter().map(|t| (t.key.as_str(), t.value.as_str())))
}

/// The inverse of [`tags_json`].
pub fn parse_tags(text: &str) -> Result<Vec<Tag>, Corrupt> {
    Ok(exact(
        parse_pairs(text)?
            .into_iter()
            .map(|(key, value)| Tag { key, value })
            .collect(),
    ))
}

/// A trust policy's bound principals: `[[ARN as the policy names it, unique
/// id it was bound to on save], …]`.
pub fn principals_json(principals: &[PrincipalBinding]) -> String {
    pairs_json(principals.iter().map(|p| (p.arn.as_str(), p.id.as_str())))
}

/// The inverse of [`principals_json`].
pub fn parse_principals(text: &str) -> Result<Vec<PrincipalBinding>, Corrupt> {
    Ok(exact(
        parse_pairs(text)?
            .into_iter()
            .map(|(arn, id)| PrincipalBinding { arn, id })
            .collect(),
    ))
}

/// Inline policies: `{name: document, …}`.
pub fn inline_policies_json(policies: &InlinePolicies) -> String {
    json!(policies).to_string()
}

/// The inverse of [`inline_policies_json`].
pub fn parse_inline_policies(text: &str) -> Result<InlinePolicies, Corrupt> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// A list of strings (attached policies' ARNs, an instance profile's role
/// names, a group's members' ids, an OIDC provider's client ids).
pub fn strings_json(items: &[String]) -> String {
    json!(items).to_string()
}

/// The inverse of [`strings_json`].
pub fn parse_strings(text: &str) -> Result<Vec<String>, Corrupt> {
    serde_json::from_str(text)
        .map(exact)
        .map_err(|e| e.to_string())
}

/// A managed policy's versions: `[{id, document, created}, …]`.
pub fn versions_json(versions: &[PolicyVersion]) -> String {
    Value::Array(
        versions
            .iter()
            .map(|v| json!({"id": v.version_id, "document": v.document, "created": v.create_date}))
            .collect(),
    )
    .to_string()
}

/// The inverse of [`versions_json`].
pub fn parse_versions(text: &str) -> Result<Vec<PolicyVersion>, Corrupt> {
    array(&parse(text)?)?
        .iter()
        .map(|v| {
            Ok(PolicyVersion {
                version_id: string(v, "id")?,
                document: string(v, "document")?,
                create_date: integer(v, "created")?,
            })
        })
        .collect()
}

/// A user's access keys: `[{id, secret, status, created}, …]`, the secret
/// sealed under the server key and base64-encoded.
pub fn access_keys_json(keys: &[AccessKey]) -> String {
    Value::Array(
        keys.iter()
            .map(|k| {
                json!({
                    "id": k.access_key_id,
                    "secret": base64_encode(&k.sealed_secret),
                    "status": k.status.as_str(),
                    "created": k.create_date,
                })
            })
            .collect(),
    )
    .to_string()
}

/// The inverse of [`access_keys_json`].
pub fn parse_access_keys(text: &str) -> Result<Vec<AccessKey>, Corrupt> {
    array(&parse(text)?)?
        .iter()
        .map(|k| {
            Ok(AccessKey {
                access_key_id: string(k, "id")?,
                sealed_secret: base64_decode(&string(k, "secret")?)
                    .ok_or("sealed secret is not base64")?,
                status: AccessKeyStatus::parse(&string(k, "status")?)
                    .ok_or("unknown access key status")?,
                create_date: integer(k, "created")?,
            })
        })
        .collect()
}

/// A login profile: `{hash (the Argon2id PHC string, never the password),
/// created, reset_required}`; `None` for a user without one.
pub fn login_profile_json(profile: Option<&LoginProfile>) -> Option<String> {
    profile.map(|p| {
        json!({"hash": p.password_hash.phc(), "created": p.create_date, "reset_required": p.password_reset_required}).to_string()
    })
}

/// The inverse of [`login_profile_json`].
pub fn parse_login_profile(text: &str) -> Result<LoginProfile, Corrupt> {
    let p = parse(text)?;
    Ok(LoginProfile {
        password_hash: PasswordHash::from_phc(string(&p, "hash")?),
        create_date: integer(&p, "created")?,
        password_reset_required: boolean(&p, "reset_required")?,
    })
}

/// An account's password policy: an object of its members in snake case.
pub fn password_policy_json(p: &PasswordPolicy) -> String {
    json!({
        "minimum_password_length": p.minimum_password_length,
        "require_symbols": p.require_symbols,
        "require_numbers": p.require_numbers,
        "require_uppercase_characters": p.require_uppercase_characters,
        "require_lowercase_characters": p.require_lowercase_characters,
        "allow_users_to_change_password": p.allow_users_to_change_password,
        "max_password_age": p.max_password_age,
        "password_reuse_prevention": p.password_reuse_prevention,
        "hard_expiry": p.hard_expiry,
    })
    .to_string()
}

/// The inverse of [`password_policy_json`]. The optional members may be
/// `null` or absent.
pub fn parse_password_policy(text: &str) -> Result<PasswordPolicy, Corrupt> {
    let p = parse(text)?;
    let optional = |name: &str| p.get(name).filter(|v| !v.is_null());
    let optional_int = |name: &str| {
        optional(name)
            .map(|v| {
                v.as_i64()
                    .ok_or_else(|| format!("field `{name}` is not an integer"))
            })
            .transpose()
    };
    Ok(PasswordPolicy {
        minimum_password_length: integer(&p, "minimum_password_length")?,
        require_symbols: boolean(&p, "require_symbols")?,
        require_numbers: boolean(&p, "require_numbers")?,
        require_uppercase_characters: boolean(&p, "require_uppercase_characters")?,
        require_lowercase_characters: boolean(&p, "require_lowercase_characters")?,
        allow_users_to_change_password: boolean(&p, "allow_users_to_change_password")?,
        max_password_age: optional_int("max_password_age")?,
        password_reuse_prevention: optional_int("password_reuse_prevention")?,
        hard_expiry: optional("hard_expiry")
            .map(|v| v.as_bool().ok_or("field `hard_expiry` is not a boolean"))
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each part reads back as written, and the text is what schema 8 of
    /// the SQLite backend has always stored (older rows must still parse).
    #[test]
    fn parts_round_trip_in_the_stored_format() {
        let tags = vec![Tag {
            key: "k".into(),
            value: "v \"q\"".into(),
        }];
        assert_eq!(tags_json(&tags), r#"[["k","v \"q\""]]"#);
        assert_eq!(parse_tags(&tags_json(&tags)).unwrap(), tags);
        let key = AccessKey {
            access_key_id: "AKIA1".into(),
            sealed_secret: vec![1, 2, 3],
            status: AccessKeyStatus::Active,
            create_date: 7,
        };
        let text = access_keys_json(std::slice::from_ref(&key));
        assert_eq!(
            text,
            r#"[{"id":"AKIA1","secret":"AQID","status":"Active","created":7}]"#
        );
        assert_eq!(parse_access_keys(&text).unwrap(), vec![key]);
        let versions = vec![PolicyVersion {
            version_id: "v1".into(),
            document: "{}".into(),
            create_date: 3,
        }];
        assert_eq!(
            versions_json(&versions),
            r#"[{"id":"v1","document":"{}","created":3}]"#
        );
        assert_eq!(parse_versions(&versions_json(&versions)).unwrap(), versions);
        let policy = PasswordPolicy {
            minimum_password_length: 9,
            require_symbols: true,
            require_numbers: false,
            require_uppercase_characters: true,
            require_lowercase_characters: false,
            allow_users_to_change_password: true,
            max_password_age: Some(30),
            password_reuse_prevention: None,
            hard_expiry: Some(false),
        };
        assert_eq!(
            parse_password_policy(&password_policy_json(&policy)).unwrap(),
            policy
        );
        assert!(
            parse_access_keys(r#"[{"id":"A","secret":"!","status":"Active","created":1}]"#)
                .is_err()
        );
        assert!(parse_tags("{").is_err());
    }
}
