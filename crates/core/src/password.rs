//! IAM users' console passwords: hashing (Argon2id), verification, and the
//! account password policy's rules.
//!
//! A password is never stored, logged or compared in clear: the store holds
//! only its PHC string (`$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH`), and
//! every type that holds one redacts it from `Debug`.

use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{IamError, IamResult};

/// Argon2id with OWASP's first recommended configuration (Password Storage
/// Cheat Sheet): 19 MiB of memory, 2 iterations, 1 degree of parallelism.
fn hasher() -> IamResult<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| IamError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string of a hashed password (algorithm, parameters, salt, hash).
/// Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Hashes `password` with Argon2id and a fresh random salt.
    pub fn new(password: &str) -> IamResult<PasswordHash> {
        let phc = hasher()?
            .hash_password(password.as_bytes())
            .map_err(|e| IamError::Internal(format!("argon2: {e}")))?;
        Ok(PasswordHash(phc.to_string()))
    }

    /// A stored PHC string, as loaded by a backend.
    pub fn from_phc(phc: impl Into<String>) -> PasswordHash {
        PasswordHash(phc.into())
    }

    /// The PHC string, for a backend to store.
    pub fn phc(&self) -> &str {
        &self.0
    }

    /// Whether `password` is the one this hash was made from. The parameters
    /// and salt come from the PHC string; the comparison is constant-time.
    /// A PHC string that does not parse matches nothing.
    pub fn verify(&self, password: &str) -> bool {
        match hasher() {
            Ok(h) => h
                .verify_password(password.as_bytes(), self.0.as_str())
                .is_ok(),
            Err(_) => false,
        }
    }

    /// A hash of a random password nobody knows, made once per process:
    /// sign-in verifies against it when the user or its profile does not
    /// exist, so that a failure takes as long either way.
    pub fn dummy() -> &'static PasswordHash {
        static DUMMY: OnceLock<PasswordHash> = OnceLock::new();
        DUMMY.get_or_init(|| {
            let random = crate::ids::secret_access_key();
            PasswordHash::new(&random).unwrap_or_else(|_| PasswordHash(String::new()))
        })
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// The account password policy (UpdateAccountPasswordPolicy). Members left
/// out of an update take their defaults, as AWS's "no partial updates" has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// MinimumPasswordLength (6–128; default 6).
    pub minimum_password_length: i64,
    /// RequireSymbols: one of `! @ # $ % ^ & * ( ) _ + - = [ ] { } | '`.
    pub require_symbols: bool,
    /// RequireNumbers.
    pub require_numbers: bool,
    /// RequireUppercaseCharacters (A–Z).
    pub require_uppercase_characters: bool,
    /// RequireLowercaseCharacters (a–z).
    pub require_lowercase_characters: bool,
    /// AllowUsersToChangePassword: every IAM user may change their own password.
    pub allow_users_to_change_password: bool,
    /// MaxPasswordAge in days (1–1095); none means passwords never expire.
    pub max_password_age: Option<i64>,
    /// PasswordReusePrevention (1–24). Stored and reported; ironiam keeps
    /// no password history, so it is not enforced.
    pub password_reuse_prevention: Option<i64>,
    /// HardExpiry. Stored and reported.
    pub hard_expiry: Option<bool>,
}

impl Default for PasswordPolicy {
    /// What UpdateAccountPasswordPolicy sets when given no parameters.
    fn default() -> Self {
        PasswordPolicy {
            minimum_password_length: 6,
            require_symbols: false,
            require_numbers: false,
            require_uppercase_characters: false,
            require_lowercase_characters: false,
            allow_users_to_change_password: false,
            max_password_age: None,
            password_reuse_prevention: None,
            hard_expiry: None,
        }
    }
}

impl PasswordPolicy {
    /// `ExpirePasswords`: whether passwords have a maximum age.
    pub fn expire_passwords(&self) -> bool {
        self.max_password_age.is_some_and(|days| days > 0)
    }
}

/// One rule a password can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRequirement {
    /// At least this many characters.
    MinimumLength(i64),
    /// At most 128 characters.
    MaximumLength,
    /// An upper-case letter (A–Z).
    Uppercase,
    /// A lower-case letter (a–z).
    Lowercase,
    /// A digit (0–9).
    Number,
    /// One of AWS's symbols.
    Symbol,
    /// Without an account policy: three of upper case, lower case, digits
    /// and symbols.
    ThreeCharacterTypes,
}

impl fmt::Display for PasswordRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordRequirement::MinimumLength(n) => write!(f, "at least {n} characters"),
            PasswordRequirement::MaximumLength => write!(f, "at most {MAXIMUM_LENGTH} characters"),
            PasswordRequirement::Uppercase => f.write_str("at least one uppercase letter (A-Z)"),
            PasswordRequirement::Lowercase => f.write_str("at least one lowercase letter (a-z)"),
            PasswordRequirement::Number => f.write_str("at least one number (0-9)"),
            PasswordRequirement::Symbol => write!(f, "at least one non-alphanumeric character ({SYMBOLS})"),
            PasswordRequirement::ThreeCharacterTypes => f.write_str(
                "at least three of: uppercase letters, lowercase letters, numbers, non-alphanumeric characters",
            ),
        }
    }
}

/// The non-alphanumeric characters AWS's password rules count (IAM API
/// Reference, UpdateAccountPasswordPolicy's RequireSymbols).
pub const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// The longest password IAM accepts (the API model's `passwordType`).
pub const MAXIMUM_LENGTH: usize = 128;

/// The minimum length of AWS's default password policy, which applies
/// while an account has none (IAM User Guide, "Set an account password
/// policy for IAM users": minimum 8, maximum 128 characters, at least three
/// of upper case, lower case, numbers and non-alphanumeric characters).
pub const DEFAULT_MINIMUM_LENGTH: i64 = 8;

/// AWS's answer to a password that breaks the rules, verbatim. AWS's message
/// does not say which rule failed (seen in CloudFormation events and the
/// CLI); [`unmet_requirements`] does, for the console.
pub const POLICY_VIOLATION: &str = "Password does not conform to the account password policy.";

/// The rules `password` breaks: the account's policy when it has one, AWS's
/// default policy otherwise. Empty when the password is acceptable.
pub fn unmet_requirements(
    policy: Option<&PasswordPolicy>,
    password: &str,
) -> Vec<PasswordRequirement> {
    let length = password.chars().count();
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let number = password.chars().any(|c| c.is_ascii_digit());
    let symbol = password.chars().any(|c| SYMBOLS.contains(c));
    let mut unmet = Vec::new();
    let minimum = policy.map_or(DEFAULT_MINIMUM_LENGTH, |p| p.minimum_password_length);
    if (length as i64) < minimum {
        unmet.push(PasswordRequirement::MinimumLength(minimum));
    }
    if length > MAXIMUM_LENGTH {
        unmet.push(PasswordRequirement::MaximumLength);
    }
    match policy {
        Some(p) => {
            let rules = [
                (
                    p.require_uppercase_characters,
                    upper,
                    PasswordRequirement::Uppercase,
                ),
                (
                    p.require_lowercase_characters,
                    lower,
                    PasswordRequirement::Lowercase,
                ),
                (p.require_numbers, number, PasswordRequirement::Number),
                (p.require_symbols, symbol, PasswordRequirement::Symbol),
            ];
            unmet.extend(
                rules
                    .into_iter()
                    .filter(|(required, has, _)| *required && !has)
                    .map(|(_, _, r)| r),
            );
        }
        None => {
            if [upper, lower, number, symbol]
                .into_iter()
                .filter(|has| *has)
                .count()
                < 3
            {
                unmet.push(PasswordRequirement::ThreeCharacterTypes);
            }
        }
    }
    unmet
}

/// `PasswordPolicyViolation` unless `password` meets the rules.
pub fn check(policy: Option<&PasswordPolicy>, password: &str) -> IamResult<()> {
    if unmet_requirements(policy, password).is_empty() {
        Ok(())
    } else {
        Err(IamError::PasswordPolicyViolation(
            POLICY_VIOLATION.to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_never_show() {
        let hash = PasswordHash::new("Correct-Horse-1").unwrap();
        assert!(
            hash.phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.phc()
        );
        assert!(!hash.phc().contains("Correct-Horse-1"));
        assert!(hash.verify("Correct-Horse-1"));
        assert!(!hash.verify("correct-horse-1"));
        assert!(!hash.verify(""));
        // A fresh salt each time.
        assert_ne!(PasswordHash::new("Correct-Horse-1").unwrap(), hash);
        assert_eq!(format!("{hash:?}"), "PasswordHash(***)");
        // Loaded back from storage, it still verifies; garbage matches nothing.
        assert!(PasswordHash::from_phc(hash.phc()).verify("Correct-Horse-1"));
        assert!(!PasswordHash::from_phc("not a PHC string").verify("Correct-Horse-1"));
        assert!(!PasswordHash::dummy().verify(""));
    }

    #[test]
    fn default_policy_needs_eight_characters_of_three_kinds() {
        assert!(check(None, "Abcdef1!").is_ok());
        assert!(check(None, "abcdefg1!").is_ok());
        assert!(check(None, "ABCDEFG1a").is_ok());
        assert_eq!(
            unmet_requirements(None, "Ab1!"),
            vec![PasswordRequirement::MinimumLength(8)]
        );
        assert_eq!(
            unmet_requirements(None, "abcdefgh1"),
            vec![PasswordRequirement::ThreeCharacterTypes]
        );
        assert_eq!(
            unmet_requirements(None, "password"),
            vec![PasswordRequirement::ThreeCharacterTypes]
        );
        let err = check(None, "password").unwrap_err();
        assert_eq!(
            (err.code(), err.message(), err.http_status()),
            ("PasswordPolicyViolation", POLICY_VIOLATION, 400)
        );
        assert!(!unmet_requirements(None, &"Aa1!".repeat(33)).is_empty());
    }

    #[test]
    fn account_policy_rules() {
        let policy = PasswordPolicy {
            minimum_password_length: 12,
            require_symbols: true,
            require_numbers: true,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            ..PasswordPolicy::default()
        };
        assert!(check(Some(&policy), "Abcdefghij1'").is_ok());
        assert_eq!(
            unmet_requirements(Some(&policy), "abc"),
            vec![
                PasswordRequirement::MinimumLength(12),
                PasswordRequirement::Uppercase,
                PasswordRequirement::Number,
                PasswordRequirement::Symbol,
            ]
        );
        // A '.' is not one of AWS's symbols.
        assert_eq!(
            unmet_requirements(Some(&policy), "Abcdefghij1."),
            vec![PasswordRequirement::Symbol]
        );
        // The default account policy (length 6, nothing required) is laxer than no policy.
        assert!(check(Some(&PasswordPolicy::default()), "simple").is_ok());
        assert_eq!(
            PasswordRequirement::MinimumLength(12).to_string(),
            "at least 12 characters"
        );
        assert!(!PasswordPolicy::default().expire_passwords());
        assert!(PasswordPolicy {
            max_password_age: Some(90),
            ..PasswordPolicy::default()
        }
        .expire_passwords());
    }
}
