//! The IAM entities ironiam stores, as plain data.

use std::collections::BTreeMap;

/// The key an IAM name (of a user, role or policy) is stored and looked up
/// under: AWS names are unique ignoring case. Everything that keys on a name
/// as a look-up resolves it (the store's maps, the console's sign-in brake)
/// must use this one function, or a name that folds to an existing one in
/// one place but not the other (the Kelvin sign `\u{212A}` lowercases to
/// `k`) would get around whatever keys on the other.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Tag key (unique per resource, case-sensitive as AWS treats it on write).
    pub key: String,
    /// Tag value; may be empty.
    pub value: String,
}

/// An IAM role: one aggregate with its tags, inline policies and attachments,
/// stored and replaced as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Owning account.
    pub account_id: String,
    /// `AROA…`.
    pub role_id: String,
    /// Name as created; unique per account ignoring case.
    pub name: String,
    /// Path such as `/` or `/service-role/`.
    pub path: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// The trust policy exactly as the caller sent it.
    pub assume_role_policy_document: String,
    /// The IAM users and roles the trust policy names, each bound to the
    /// unique id it had when the policy was saved (see [`PrincipalBinding`]).
    pub trust_principals: Vec<PrincipalBinding>,
    /// Optional description.
    pub description: Option<String>,
    /// Seconds, 3600–43200.
    pub max_session_duration: i64,
    /// ARN of the permissions boundary policy.
    pub permissions_boundary: Option<String>,
    /// Tags in the order they were added.
    pub tags: Vec<Tag>,
    /// Inline policies by name, documents exactly as sent.
    pub inline_policies: InlinePolicies,
    /// ARNs of attached managed policies, in attachment order.
    pub attached_policies: Vec<String>,
}

impl Role {
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account_id, self.path, self.name
        )
    }
}

/// An IAM user or role that a stored policy's `Principal` names by ARN,
/// bound to the principal's unique id when the policy was saved.
///
/// AWS does the same (IAM User Guide, "AWS JSON policy elements:
/// Principal", IAM role and user principals): it turns such an ARN into the
/// principal's unique id on save, so a principal deleted and created again
/// under the same name is not admitted, and once the principal is gone the
/// policy shows the bare id instead of the ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalBinding {
    /// The ARN exactly as the policy names it.
    pub arn: String,
    /// The `AIDA…` or `AROA…` id of the principal it named when saved.
    pub id: String,
}

/// AWS counts policy size in characters without whitespace
/// ("IAM doesn't count white space when calculating the size of a policy").
pub fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// One version of a customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub version_id: String,
    /// The document exactly as sent.
    pub document: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerPolicy {
    /// Owning account.
    pub account_id: String,
    /// `ANPA…`.
    pub policy_id: String,
    /// Name; unique per account ignoring case.
    pub name: String,
    /// Path.
    pub path: String,
    /// Optional description (immutable after creation, as in AWS).
    pub description: Option<String>,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Last update time (a version created or the default changed).
    pub update_date: i64,
    /// Which version is the default.
    pub default_version_id: String,
    /// Versions, oldest first (at most 5).
    pub versions: Vec<PolicyVersion>,
    /// Number of the next version to create.
    pub next_version: u32,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl CustomerPolicy {
    /// `arn:aws:iam::ACCOUNT:policy/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy{}{}",
            self.account_id, self.path, self.name
        )
    }

    /// The default version.
    pub fn default_version(&self) -> Option<&PolicyVersion> {
        self.versions
            .iter()
            .find(|v| v.version_id == self.default_version_id)
    }
}

/// One page of a listing and how to get the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Present when more items follow: pass it back as `Marker`.
    pub marker: Option<String>,
}

/// An IAM user: one aggregate with its tags, policies and access keys,
/// stored and replaced as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Owning account.
    pub account_id: String,
    /// `AIDA…`.
    pub user_id: String,
    /// Name as created (or renamed); unique per account ignoring case.
    pub name: String,
    /// Path such as `/` or `/division_abc/`.
    pub path: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// ARN of the permissions boundary policy.
    pub permissions_boundary: Option<String>,
    /// Tags in the order they were added.
    pub tags: Vec<Tag>,
    /// Inline policies by name, documents exactly as sent.
    pub inline_policies: InlinePolicies,
    /// ARNs of attached managed policies, in attachment order.
    pub attached_policies: Vec<String>,
    /// Access keys, oldest first (at most `AccessKeysPerUser`).
    pub access_keys: Vec<AccessKey>,
    /// The console password, if the user has one (CreateLoginProfile).
    pub login_profile: Option<LoginProfile>,
}

/// A user's console password (a "login profile"). Only its Argon2id hash is
/// held; `Debug` redacts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProfile {
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// The password's PHC string.
    pub password_hash: crate::password::PasswordHash,
    /// PasswordResetRequired: the user must choose a new password at next sign-in.
    pub password_reset_required: bool,
}

impl User {
    /// `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            self.account_id, self.path, self.name
        )
    }
}

/// An IAM group: a name for a set of users that share its policies. One
/// aggregate with its policies and its members, stored and replaced as a
/// whole. AWS's groups have no tags and no permissions boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Owning account.
    pub account_id: String,
    /// `AGPA…`.
    pub group_id: String,
    /// Name as created (or renamed); unique per account ignoring case.
    pub name: String,
    /// Path such as `/` or `/admins/`.
    pub path: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Inline policies by name, documents exactly as sent.
    pub inline_policies: InlinePolicies,
    /// ARNs of attached managed policies, in attachment order.
    pub attached_policies: Vec<String>,
    /// The unique ids (`AIDA…`) of its users, in the order they were added.
    // INVARIANT: each is the id of an existing user of the account: a user
    // in a group cannot be deleted (DeleteConflict). Ids, not names, so
    // that renaming a user (UpdateUser) keeps its memberships.
    pub members: Vec<String>,
}

impl Group {
    /// `arn:aws:iam::ACCOUNT:group/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:group{}{}",
            self.account_id, self.path, self.name
        )
    }

    /// Whether the user with unique id `user_id` is a member.
    pub fn has_member(&self, user_id: &str) -> bool {
        self.members.iter().any(|m| m == user_id)
    }
}

/// Whether an access key can sign requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessKeyStatus {
    /// `Active`.
    Active,
    /// `Inactive`: kept, but requests signed with it are refused.
    Inactive,
}

impl AccessKeyStatus {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }

    /// Parses AWS's spelling.
    pub fn parse(text: &str) -> Option<AccessKeyStatus> {
        match text {
            "Active" => Some(AccessKeyStatus::Active),
            "Inactive" => Some(AccessKeyStatus::Inactive),
            _ => None,
        }
    }
}

/// A user's long-term access key. The secret is only ever held sealed
/// (AES-GCM under the server key, bound to the key id): see [`crate::crypto`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// `AKIA…`.
    pub access_key_id: String,
    /// The secret access key, sealed.
    pub sealed_secret: Vec<u8>,
    /// Active or inactive.
    pub status: AccessKeyStatus,
    /// Creation time, epoch seconds.
    pub create_date: i64,
}

/// When and where an access key was last used (GetAccessKeyLastUsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyUse {
    /// Epoch seconds.
    pub date: i64,
    /// The service called, `iam` or `sts`.
    pub service: String,
    /// The region of the request's signature.
    pub region: String,
}

/// When and in which region a role was last used (`RoleLastUsed` of GetRole).
///
/// Kept apart from [`Role`]: it changes on nearly every use, and a role's
/// version (and its cached XML) must not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLastUsed {
    /// Epoch seconds.
    pub date: i64,
    /// The region of the request that used the role.
    pub region: String,
}

/// An IAM OpenID Connect identity provider (CreateOpenIDConnectProvider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// Owning account.
    pub account_id: String,
    /// `Url` as created, e.g. `https://token.actions.githubusercontent.com`.
    pub url: String,
    /// `ClientIDList`: the audiences a web identity token may name.
    pub client_ids: Vec<String>,
    /// `ThumbprintList`.
    pub thumbprints: Vec<String>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Creation time, epoch seconds.
    pub create_date: i64,
}

impl OidcProvider {
    /// The URL without its scheme: `token.actions.githubusercontent.com`,
    /// as ARNs and condition keys (`HOST/PATH:aud`) spell it.
    pub fn host_path(&self) -> &str {
        oidc_host_path(&self.url)
    }

    /// `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:oidc-provider/{}",
            self.account_id,
            self.host_path()
        )
    }
}

/// An issuer URL without `https://` and without a trailing `/`.
pub fn oidc_host_path(url: &str) -> &str {
    url.strip_prefix("https://")
        .unwrap_or(url)
        .trim_end_matches('/')
}

/// An instance profile (CreateInstanceProfile): what an EC2 instance is
/// launched with to carry a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfile {
    /// Owning account.
    pub account_id: String,
    /// `AIPA…`.
    pub instance_profile_id: String,
    /// Name as created; unique per account ignoring case.
    pub name: String,
    /// Path such as `/` or `/webservers/`.
    pub path: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// The names of its roles, as the roles spell them (AWS allows one).
    // INVARIANT: each names an existing role of the account. A role in a
    // profile cannot be deleted (DeleteConflict) and IAM roles cannot be
    // renamed, so a name keeps naming the same role while it is here.
    pub roles: Vec<String>,
    /// Tags in the order they were added.
    pub tags: Vec<Tag>,
}

impl InstanceProfile {
    /// `arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:instance-profile{}{}",
            self.account_id, self.path, self.name
        )
    }

    /// Whether the role named `role_name` (ignoring case) is in it.
    pub fn has_role(&self, role_name: &str) -> bool {
        let key = name_key(role_name);
        self.roles.iter().any(|r| name_key(r) == key)
    }
}

/// A holder's inline policies: name → document, ordered by name (byte
/// order, as ListRolePolicies answers them), documents exactly as sent.
///
/// A sorted `Vec`, not a `BTreeMap`: a holder has a handful (AWS bounds
/// them by total size), and a `BTreeMap` of one entry allocates a node for
/// eleven — 560 bytes per role or user, about 110 MB of an account of
/// 100,000 roles and 100,000 users (bench/RESULTS.md, "One account of
/// 100,000 roles and users"). Lookups are a binary search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InlinePolicies(Vec<(String, String)>);

impl InlinePolicies {
    /// No policies.
    pub fn new() -> Self {
        Self::default()
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(n, _)| n.as_str().cmp(name))
    }

    /// The document of the policy `name` (exact case, as AWS matches it).
    pub fn get(&self, name: &str) -> Option<&String> {
        self.find(name).ok().map(|i| &self.0[i].1)
    }

    /// Whether there is a policy `name`.
    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Puts `document` under `name`; answers the document it replaced.
    pub fn insert(&mut self, name: String, document: String) -> Option<String> {
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, document)),
            Err(i) => {
                self.0.insert(i, (name, document));
                None
            }
        }
    }

    /// Removes the policy `name`; answers its document.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.find(name).ok().map(|i| self.0.remove(i).1)
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// (name, document) pairs, ordered by name.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &String)> + ExactSizeIterator {
        self.0.iter().map(|(n, d)| (n, d))
    }

    /// The names, ordered.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(n, _)| n)
    }

    /// The documents, in the order of their names.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(_, d)| d)
    }
}

impl<'a> IntoIterator for &'a InlinePolicies {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(n, d)| (n, d))
    }
}

impl FromIterator<(String, String)> for InlinePolicies {
    /// A repeated name keeps the last document, as `insert` would.
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let map: BTreeMap<String, String> = iter.into_iter().collect();
        InlinePolicies(map.into_iter().collect())
    }
}

impl<const N: usize> From<[(String, String); N]> for InlinePolicies {
    fn from(pairs: [(String, String); N]) -> Self {
        pairs.into_iter().collect()
    }
}

/// A JSON object, `{name: document, …}`: what a `BTreeMap` wrote, so stored
/// rows read the same.
impl serde::Serialize for InlinePolicies {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for InlinePolicies {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = InlinePolicies;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of policy names to documents")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                // Straight into the list (no map built on the way: this runs
                // once per role and user at start-up).
                let mut pairs: Vec<(String, String)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(1));
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                // Written in order, but a repeated name keeps the last, as a map would.
                pairs.reverse();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                pairs.dedup_by(|later, earlier| later.0 == earlier.0);
                pairs.shrink_to_fit();
                Ok(InlinePolicies(pairs))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::InlinePolicies;

    #[test]
    fn inline_policies_keep_name_order_and_the_last_document() {
        let mut p = InlinePolicies::new();
        assert_eq!(p.insert("b".into(), "1".into()), None);
        assert_eq!(p.insert("a".into(), "2".into()), None);
        assert_eq!(p.insert("B".into(), "3".into()), None);
        assert_eq!(p.insert("b".into(), "4".into()).as_deref(), Some("1"));
        assert_eq!(p.keys().collect::<Vec<_>>(), ["B", "a", "b"]);
        assert_eq!(p.get("b").map(String::as_str), Some("4"));
        assert!(p.contains_key("a") && !p.contains_key("A"));
        assert_eq!(p.remove("a").as_deref(), Some("2"));
        assert_eq!(p.remove("a"), None);
        assert_eq!(p.len(), 2);
        // The stored form is a JSON object, as a BTreeMap wrote it.
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"B":"3","b":"4"}"#);
        assert_eq!(serde_json::from_str::<InlinePolicies>(&json).unwrap(), p);
        let repeated: InlinePolicies =
            serde_json::from_str(r#"{"z":"1","a":"2","z":"3"}"#).unwrap();
        assert_eq!(
            repeated.iter().collect::<Vec<_>>(),
            [
                (&"a".to_string(), &"2".to_string()),
                (&"z".to_string(), &"3".to_string())
            ]
        );
        assert!(serde_json::from_str::<InlinePolicies>("[]").is_err());
    }
}
