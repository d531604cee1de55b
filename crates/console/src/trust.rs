//! Who a trust policy lets assume the role, read from the parsed policy.

use ironiam_policy::{Effect, PrincipalType};

/// The kind of a trusted principal, as the console groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// An AWS service (`Service`).
    Service,
    /// An account or an IAM principal of one (`AWS`).
    Aws,
    /// A web identity or SAML provider (`Federated`).
    Federated,
    /// Everyone (`"*"`).
    Everyone,
    /// An S3 canonical user.
    CanonicalUser,
}

/// One principal a trust policy allows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Trusted {
    /// Its kind.
    pub kind: Kind,
    /// The value as written (`ec2.amazonaws.com`, `arn:aws:iam::111122223333:root`).
    pub value: String,
    /// Whether a `Condition` limits it.
    pub conditional: bool,
}

impl Trusted {
    /// How the roles list names it: `AWS Service: ec2`, `Account: 111122223333`.
    pub(crate) fn label(&self) -> String {
        match self.kind {
            Kind::Service => format!(
                "AWS Service: {}",
                self.value
                    .strip_suffix(".amazonaws.com")
                    .unwrap_or(&self.value)
            ),
            Kind::Aws => match account_of(&self.value) {
                Some(account) if is_root(&self.value) => format!("Account: {account}"),
                _ => format!("AWS: {}", self.value),
            },
            Kind::Federated => format!("Identity Provider: {}", self.value),
            Kind::Everyone => "Everyone (*)".to_string(),
            Kind::CanonicalUser => format!("Canonical user: {}", self.value),
        }
    }

    /// The heading of its kind in the picture.
    pub(crate) fn kind_label(&self) -> &'static str {
        match self.kind {
            Kind::Service => "AWS service",
            Kind::Aws => {
                if is_root(&self.value) {
                    "AWS account"
                } else {
                    "IAM principal"
                }
            }
            Kind::Federated => "Identity provider",
            Kind::Everyone => "Anyone",
            Kind::CanonicalUser => "Canonical user",
        }
    }
}

fn account_of(value: &str) -> Option<&str> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value);
    }
    let rest = value.strip_prefix("arn:aws:iam::")?;
    rest.split(':').next().filter(|a| a.len() == 12)
}

fn is_root(value: &str) -> bool {
    (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())) || value.ends_with(":root")
}

/// The principals `document` allows (statements with `Effect: Allow` and a
/// `Principal`), sorted and without duplicates. A document that does not
/// parse trusts no one as far as the console can tell.
pub(crate) fn trusted(document: &str) -> Vec<Trusted> {
    let Ok(policy) = ironiam_policy::parse(document) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for statement in policy.statements() {
        if statement.effect() != Effect::Allow {
            continue;
        }
        let Some(set) = statement.principal_set() else {
            continue;
        };
        if set.polarity.is_negated() {
            continue;
        }
        let conditional = statement.condition().is_some();
        for (principal_type, values) in &set.by_type {
            for value in values {
                let kind = match principal_type {
                    PrincipalType::Aws if value == "*" => Kind::Everyone,
                    PrincipalType::Aws => Kind::Aws,
                    PrincipalType::Service => Kind::Service,
                    PrincipalType::Federated => Kind::Federated,
                    PrincipalType::CanonicalUser => Kind::CanonicalUser,
                };
                out.push(Trusted {
                    kind,
                    value: value.clone(),
                    conditional,
                });
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.kind == b.kind && a.value == b.value);
    out
}

/// The roles list's "Trusted entities" text: every label, comma-separated.
pub(crate) fn summary(document: &str) -> String {
    let labels: Vec<String> = trusted(document).iter().map(Trusted::label).collect();
    if labels.is_empty() {
        "—".to_string()
    } else {
        labels.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_accounts_and_providers() {
        let doc = r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Principal":{"Service":["ssm.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"},
          {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}},
          {"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"},
          {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
        let t = trusted(doc);
        let labels: Vec<String> = t.iter().map(Trusted::label).collect();
        assert_eq!(
            labels,
            [
                "AWS Service: ec2",
                "AWS Service: ssm",
                "Account: 111122223333",
                "Identity Provider: accounts.google.com"
            ]
        );
        assert!(t[2].conditional);
        assert_eq!(summary("not json"), "—");
    }
}
