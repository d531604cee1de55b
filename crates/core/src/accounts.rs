//! Accounts and their root users' access keys, as configured at start: from
//! `--root-access-key` flags, the `IRONIAM_ROOT_CREDENTIALS` environment
//! variable, or an accounts file. Parsing only; the binary reads the sources.
//!
//! A credential spec is `AKID:SECRET` (the default account's root) or
//! `ACCOUNT=AKID:SECRET`. The accounts file is JSON:
//!
//! ```
//! let keys = ironiam_core::accounts::parse_accounts_file(r#"{"accounts": [
//!   {"id": "111122223333", "root_access_keys": [
//!     {"access_key_id": "AKIAROOT111122223333", "secret_access_key": "s3cr3t"}]}]}"#).unwrap();
//! assert_eq!(keys[0].account_id, "111122223333");
//! ```

use std::collections::HashSet;

use serde_json::Value;

use crate::crypto::SecretKey;
use crate::service::RootKey;

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// AWS access key ids are 16 to 128 characters, upper-case letters and digits.
fn check_access_key_id(id: &str) -> Result<(), String> {
    if (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(format!(
            "access key id `{id}` must be 16 to 128 upper-case letters and digits"
        ))
    }
}

fn root_key(account_id: &str, access_key_id: &str, secret: &str) -> Result<RootKey, String> {
    if !is_account_id(account_id) {
        return Err(format!(
            "account `{account_id}` is not a 12-digit account id"
        ));
    }
    check_access_key_id(access_key_id)?;
    if secret.is_empty() {
        return Err(format!(
            "the secret of access key `{access_key_id}` is empty"
        ));
    }
    Ok(RootKey {
        account_id: account_id.to_string(),
        access_key_id: access_key_id.to_string(),
        secret: SecretKey::new(secret),
    })
}

/// Parses one credential spec: `AKID:SECRET` for `default_account`, or
/// `ACCOUNT=AKID:SECRET`. Error messages never contain the secret.
pub fn parse_spec(spec: &str, default_account: &str) -> Result<RootKey, String> {
    let (account, credentials) = match spec.split_once('=') {
        Some((account, rest)) if is_account_id(account) => (account, rest),
        _ => (default_account, spec),
    };
    let (id, secret) = credentials.split_once(':').ok_or_else(|| {
        "a root credential must be AKID:SECRET or ACCOUNT=AKID:SECRET".to_string()
    })?;
    root_key(account, id, secret)
}

/// Parses `IRONIAM_ROOT_CREDENTIALS`: specs separated by commas or whitespace.
pub fn parse_specs(list: &str, default_account: &str) -> Result<Vec<RootKey>, String> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| parse_spec(s, default_account))
        .collect()
}

/// Parses an accounts file (see the module documentation).
pub fn parse_accounts_file(text: &str) -> Result<Vec<RootKey>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let accounts = doc
        .get("accounts")
        .and_then(Value::as_array)
        .ok_or_else(|| "expected {\"accounts\": [...]}".to_string())?;
    let mut keys = Vec::new();
    for account in accounts {
        let id = account
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| "every account needs an \"id\"".to_string())?;
        let list = account
            .get("root_access_keys")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if list.is_empty() && !is_account_id(id) {
            return Err(format!("account `{id}` is not a 12-digit account id"));
        }
        for key in list {
            let field = |name: &str| {
                key.get(name)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("account {id}: every root access key needs \"{name}\""))
            };
            keys.push(root_key(
                id,
                field("access_key_id")?,
                field("secret_access_key")?,
            )?);
        }
    }
    Ok(keys)
}

/// Refuses an access key id configured twice.
pub fn check_unique(keys: &[RootKey]) -> Result<(), String> {
    let mut seen = HashSet::new();
    for k in keys {
        if !seen.insert(k.access_key_id.as_str()) {
            return Err(format!(
                "access key id `{}` is configured more than once",
                k.access_key_id
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let k = parse_spec("AKIAROOT000000000001:wJalr/x+y:z", "123456789012").unwrap();
        assert_eq!(
            (
                k.account_id.as_str(),
                k.access_key_id.as_str(),
                k.secret.expose()
            ),
            ("123456789012", "AKIAROOT000000000001", "wJalr/x+y:z")
        );
        let k = parse_spec("111122223333=AKIAROOT000000000002:s=e", "123456789012").unwrap();
        assert_eq!(
            (k.account_id.as_str(), k.secret.expose()),
            ("111122223333", "s=e")
        );
        assert!(parse_spec("AKIAROOT000000000001", "123456789012").is_err());
        assert!(parse_spec("akia:secret", "123456789012").is_err());
        let err = parse_spec("AKIAROOT000000000001:", "123456789012").unwrap_err();
        assert!(err.contains("empty"));
        let err = parse_spec("lower-case-key-id-x:hunter2", "123456789012").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        let list = parse_specs(
            "AKIAROOT000000000001:a, 111122223333=AKIAROOT000000000002:b\nAKIAROOT000000000003:c",
            "123456789012",
        )
        .unwrap();
        assert_eq!(list.len(), 3);
        assert!(check_unique(&list).is_ok());
        let twice = parse_specs(
            "AKIAROOT000000000001:a AKIAROOT000000000001:b",
            "123456789012",
        )
        .unwrap();
        assert!(check_unique(&twice).is_err());
    }

    #[test]
    fn accounts_file() {
        let keys = parse_accounts_file(
            r#"{"accounts": [{"id": "111122223333", "root_access_keys": [
                {"access_key_id": "AKIAROOT000000000001", "secret_access_key": "a"},
                {"access_key_id": "AKIAROOT000000000002", "secret_access_key": "b"}]},
              {"id": "444455556666"}]}"#,
        )
        .unwrap();
        assert_eq!(keys.len(), 2);
        assert!(parse_accounts_file("[]").is_err());
        assert!(parse_accounts_file(r#"{"accounts": [{"id": "1"}]}"#).is_err());
        assert!(parse_accounts_file(r#"{"accounts": [{"id": "111122223333", "root_access_keys": [{"access_key_id": "AKIAROOT000000000001"}]}]}"#).is_err());
    }
}
