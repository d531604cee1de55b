//! AWS's policy evaluation logic, as the IAM User Guide documents it
//! ("Policy evaluation logic" and its pages on single-account and
//! cross-account requests).
//!
//! Evaluation is pure: the request's principal, action, resource and context
//! (including `aws:CurrentTime`, see [`Context::with_time`]) are inputs, and
//! the policies are [`CompiledPolicy`]s grouped by type in a [`PolicySet`].
//!
//! ```
//! use ironiam_policy::{evaluate, parse, Context, EvalDecision, PolicyId, PolicySet, Principal, Request};
//!
//! let identity = parse(r#"{"Version": "2012-10-17", "Statement": [
//!     {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::reports/${aws:username}/*"},
//!     {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}"#).unwrap().compile();
//! let set = PolicySet::new().identity(PolicyId::new("reports"), &identity);
//! let context = Context::new().with("aws:username", "alice");
//! let request = |action, resource| Request {
//!     principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
//!     action,
//!     resource,
//!     resource_account: None,
//!     context: &context,
//! };
//!
//! let get = evaluate(&set, &request("s3:GetObject", "arn:aws:s3:::reports/alice/q1.csv"));
//! assert_eq!(get.decision, EvalDecision::Allowed);
//! assert_eq!(get.matched[0].statement_index, 0);
//!
//! let other = evaluate(&set, &request("s3:GetObject", "arn:aws:s3:::reports/bob/q1.csv"));
//! assert_eq!(other.decision, EvalDecision::ImplicitDeny);
//! assert_eq!(other.reason("s3:GetObject").unwrap(),
//!            "because no identity-based policy allows the s3:GetObject action");
//!
//! let delete = evaluate(&set, &request("s3:DeleteObject", "arn:aws:s3:::reports/alice/q1.csv"));
//! assert_eq!(delete.decision, EvalDecision::ExplicitDeny);
//! ```

use std::fmt;

use smallvec::SmallVec;
use std::sync::Arc;

use crate::ast::{ConditionValue, Effect, Policy};
use crate::compile::{
    Candidates, CompiledPolicy, CompiledStatement, ExactAnswer, Identity, PrincipalMatch,
};
use crate::pattern::{self, Part};
use crate::values;

/// A caller-chosen name for a policy, reported in [`MatchedStatement`]s (for
/// example a managed policy ARN or `role/inline-name`). Cloning is cheap.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyId(Arc<str>);

impl PolicyId {
    /// Wraps a name.
    pub fn new(id: impl Into<Arc<str>>) -> PolicyId {
        PolicyId(id.into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for PolicyId {
    fn from(id: &str) -> PolicyId {
        PolicyId::new(id)
    }
}

/// What kind of principal makes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// An account's root user: no identity-based policies, full access to its
    /// own account unless denied or limited by SCPs/RCPs.
    Root,
    /// An IAM user.
    User,
    /// An IAM role itself (as in SimulatePrincipalPolicy for a role).
    Role,
    /// An assumed-role session (`arn:aws:sts::…:assumed-role/ROLE/SESSION`).
    AssumedRole,
    /// A federated user session from `GetFederationToken`.
    FederatedUser,
    /// An AWS service principal (`ec2.amazonaws.com`).
    Service,
    /// A web identity or SAML provider, as in `AssumeRoleWithWebIdentity`.
    Federated,
    /// An S3 canonical user.
    CanonicalUser,
    /// An unauthenticated caller.
    Anonymous,
}

/// Who makes a request. Build one with the constructor for its kind.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    kind: PrincipalKind,
    arn: &'a str,
    account: Option<&'a str>,
    issuer: Option<&'a str>,
    pub(crate) identities: [Identity<'a>; 3],
    pub(crate) identity_count: usize,
}

impl<'a> Principal<'a> {
    fn build(
        kind: PrincipalKind,
        arn: &'a str,
        account: Option<&'a str>,
        issuer: Option<&'a str>,
    ) -> Principal<'a> {
        let (identities, identity_count) = Principal::build_identities(kind, arn, account, issuer);
        Principal {
            kind,
            arn,
            account,
            issuer,
            identities,
            identity_count,
        }
    }

    /// The root user of `account` (a 12-digit id).
    pub fn root(account: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::Root, account, Some(account), None)
    }

    /// An IAM user, by ARN (`arn:aws:iam::111122223333:user/path/name`).
    pub fn user(arn: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::User, arn, account_of_arn(arn), None)
    }

    /// An IAM role, by ARN.
    pub fn role(arn: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::Role, arn, account_of_arn(arn), None)
    }

    /// A session of `role_arn` (the role's ARN, path included), by its
    /// `assumed-role` ARN. A `Principal` naming the role matches its sessions.
    pub fn assumed_role(session_arn: &'a str, role_arn: &'a str) -> Principal<'a> {
        Principal::build(
            PrincipalKind::AssumedRole,
            session_arn,
            account_of_arn(session_arn),
            Some(role_arn),
        )
    }

    /// A `GetFederationToken` session of the IAM user `user_arn`.
    pub fn federated_user(federated_user_arn: &'a str, user_arn: &'a str) -> Principal<'a> {
        Principal::build(
            PrincipalKind::FederatedUser,
            federated_user_arn,
            account_of_arn(federated_user_arn),
            Some(user_arn),
        )
    }

    /// An AWS service principal (`ecs-tasks.amazonaws.com`).
    pub fn service(name: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::Service, name, None, None)
    }

    /// A web identity or SAML provider (`accounts.google.com`, or a provider ARN).
    pub fn federated(provider: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::Federated, provider, None, None)
    }

    /// An S3 canonical user id.
    pub fn canonical_user(id: &'a str) -> Principal<'a> {
        Principal::build(PrincipalKind::CanonicalUser, id, None, None)
    }

    /// An unauthenticated caller; only `"Principal": "*"` names it.
    pub fn anonymous() -> Principal<'a> {
        Principal::build(PrincipalKind::Anonymous, "", None, None)
    }

    /// What kind of principal this is.
    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// The principal's ARN (the account id for [`Principal::root`], the name
    /// for services and providers, empty for anonymous callers).
    pub fn arn(&self) -> &'a str {
        self.arn
    }

    /// The principal's account, for IAM principals.
    pub fn account(&self) -> Option<&'a str> {
        self.account
    }

    /// The role of an assumed-role session, or the user behind a federated user.
    pub fn issuer(&self) -> Option<&'a str> {
        self.issuer
    }

    /// Whether identity-based policies, boundaries and session policies can
    /// apply to this principal at all.
    fn has_identity_policies(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::User
                | PrincipalKind::Role
                | PrincipalKind::AssumedRole
                | PrincipalKind::FederatedUser
        )
    }
}

/// The account field of an ARN, if it is a 12-digit id.
fn account_of_arn(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|account| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
}

/// The request context: condition keys and their values.
///
/// Keys are case-insensitive (IAM User Guide, "Condition element": "Condition
/// key names are not case-sensitive"). Every value is text, as AWS passes
/// it; each operator reads the text as its type (a number, a date, an IP
/// address…). A key may have several values (`aws:TagKeys`).
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// In the order first set: every look-up scans `hashes`, and a context
    /// holds a dozen keys or so, so keeping them sorted would only cost
    /// comparisons and moves on every insert.
    entries: Vec<ContextEntry>,
    /// [`hash_key`] of each entry's key, in the same order (the hash folds
    /// case): the evaluator finds a key it hashed at compile time by
    /// scanning these.
    hashes: Vec<u64>,
}

/// Contexts are equal when they hold the same keys (as written) and values,
/// in whatever order they were set.
impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .all(|entry| other.entries.contains(entry))
    }
}

impl Eq for Context {}

/// One key of a [`Context`]. A context is built for every request, so each
/// key costs one allocation for its text, not three: the key and its
/// lowercase form share one, and a single value (most keys have one) is
/// kept inline.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ContextEntry {
    /// The key as last written, then the same key lowercase: one allocation.
    keys: Box<str>,
    values: SmallVec<[String; 1]>,
}

impl ContextEntry {
    fn new(key: &str, values: SmallVec<[String; 1]>) -> ContextEntry {
        let mut keys = String::with_capacity(2 * key.len());
        keys.push_str(key);
        keys.push_str(key);
        if let Some(lower) = keys.get_mut(key.len()..) {
            lower.make_ascii_lowercase();
        }
        ContextEntry {
            keys: keys.into_boxed_str(),
            values,
        }
    }

    /// The key as last written.
    fn key(&self) -> &str {
        self.keys.get(..self.keys.len() / 2).unwrap_or_default()
    }

    /// The key, lowercase.
    fn lower(&self) -> &str {
        self.keys.get(self.keys.len() / 2..).unwrap_or_default()
    }
}

/// A hash of a context key in any case (it folds case), computed once at
/// compile time for the policy's side and once per context entry for the
/// request's side. Not for untrusted-input hash tables: a collision only
/// costs a string comparison.
pub(crate) fn hash_key(bytes: &[u8]) -> u64 {
    let mut hash = KeyHasher::new();
    for word in bytes.chunks(8) {
        hash.word(load_word(word));
    }
    hash.finish(bytes.len())
}

/// Reads up to 8 bytes as a little-endian word, zero-padded, without a
/// round trip through memory (which would stall store forwarding).
pub(crate) fn load_word(bytes: &[u8]) -> u64 {
    if let Ok(word) = <[u8; 8]>::try_from(bytes) {
        return u64::from_le_bytes(word);
    }
    bytes
        .iter()
        .take(8)
        .rev()
        .fold(0u64, |word, &byte| (word << 8) | u64::from(byte))
}

/// The last `text.len() % 8` bytes of `text` as [`load_word`] reads them,
/// with one 8-byte load when `text` is at least that long.
fn load_tail(text: &[u8]) -> u64 {
    let tail = text.len() % 8;
    match text
        .len()
        .checked_sub(8)
        .and_then(|start| text.get(start..))
    {
        Some(last) if tail > 0 => load_word(last) >> (8 * (8 - tail)),
        _ => load_word(text.get(text.len() - tail..).unwrap_or_default()),
    }
}

/// The position of the first `:` among the eight bytes of `word`, if any.
fn colon_in(word: u64) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_where_colon = word ^ (ONES * u64::from(b':'));
    // Flags every zero byte; a false flag can only sit above a true one, so
    // the lowest flag is exact.
    let flags = zero_where_colon.wrapping_sub(ONES) & !zero_where_colon & HIGH;
    (flags != 0).then(|| flags.trailing_zeros() as usize / 8)
}

/// ASCII-lowercases the eight bytes of a word at once (as
/// `u8::to_ascii_lowercase` does each: only `A`–`Z` change).
fn lowercase_word(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = word & !HIGH;
    let at_least_a = low7 + ONES * u64::from(0x80 - b'A');
    let above_z = low7 + ONES * u64::from(0x7f - b'Z');
    let upper = at_least_a & !above_z & !word & HIGH;
    word | (upper >> 2)
}

/// Hashes the words of a key, then its length. Each word is mixed on its
/// own (a folded 64×64→128-bit multiply) and the results are summed, so the
/// multiplies of a long key run side by side instead of one after another.
struct KeyHasher {
    sum: u64,
    index: u64,
}

impl KeyHasher {
    const MULTIPLIER: u64 = 0x517c_c1b7_2722_0a95;
    /// Makes the same word at another position mix differently.
    const POSITION: u64 = 0x9e37_79b9_7f4a_7c15;

    fn new() -> KeyHasher {
        KeyHasher { sum: 0, index: 0 }
    }

    /// Adds a word of the key. Any case: the word is folded first.
    fn word(&mut self, word: u64) {
        let word = fold_case(word);
        self.index += 1;
        let seed = self.index.wrapping_mul(KeyHasher::POSITION);
        self.sum = self
            .sum
            .wrapping_add(folded_multiply(word ^ seed, KeyHasher::MULTIPLIER));
    }

    fn finish(&self, len: usize) -> u64 {
        folded_multiply(self.sum ^ len as u64, KeyHasher::POSITION)
    }
}

/// Sets bit 5 of every byte: maps ASCII capitals to their lowercase
/// letters and leaves lowercase letters, digits and `:` alone. Cheaper than
/// [`lowercase_word`], and enough for a hash, which needs only that keys
/// equal ignoring case fold alike; lookups still compare exactly.
fn fold_case(word: u64) -> u64 {
    word | 0x2020_2020_2020_2020
}

/// The high and low halves of a 128-bit product, XORed: every input bit
/// reaches every output bit.
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// A context key a policy reads, lowercased and hashed at compile time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContextKey {
    /// The key, lowercase.
    pub(crate) lower: Box<str>,
    /// The key as first written, for reports.
    pub(crate) written: Box<str>,
    hash: u64,
}

impl ContextKey {
    /// `lower` must be `written` lowercased (ASCII).
    pub(crate) fn new(lower: &str, written: &str) -> ContextKey {
        ContextKey {
            lower: lower.into(),
            written: written.into(),
            hash: hash_key(lower.as_bytes()),
        }
    }
}

/// The request's action as the policies' action indexes look it up: hashed
/// ignoring case, once per decision. The action itself is not copied:
/// lookups compare it with the policy's spelling, then with the lowercase
/// key ignoring ASCII case, and only a wildcard pattern, which needs the
/// lowercase text, asks for it.
pub(crate) struct RequestAction<'r> {
    /// As written in the request.
    text: &'r [u8],
    /// [`action_hash`] of the action.
    pub(crate) hash: u64,
    service_len: usize,
    /// [`service_hash`] of the service prefix.
    pub(crate) service_hash: u64,
    /// The lowercase action, once [`RequestAction::lowercase`] has been asked.
    lowercase: SmallVec<[u8; 96]>,
}

impl<'r> RequestAction<'r> {
    // Inlined so the value is built where the scan keeps it: returned
    // through memory, it was copied with wider loads than the stores that
    // wrote it, which stalls store forwarding (a third of a denied decision).
    #[inline(always)]
    fn new(action: &'r str) -> RequestAction<'r> {
        let text = action.as_bytes();
        // The service ends at the first `:`, almost always in the first word.
        let mut service_len = text.len();
        let mut words = text.chunks(8);
        let first_word = words.next().map_or(0, load_word);
        match colon_in(first_word) {
            Some(at) if at < text.len() => service_len = at,
            _ => {
                for (index, word) in (1..).zip(words) {
                    if let Some(at) = colon_in(load_word(word)).filter(|at| *at < word.len()) {
                        service_len = index * 8 + at;
                        break;
                    }
                }
            }
        }
        RequestAction {
            text,
            hash: action_hash(text),
            service_len,
            service_hash: service_hash_of(first_word, service_len),
            lowercase: SmallVec::new(),
        }
    }

    /// The service prefix as written: the text before `:`, or all of it.
    pub(crate) fn service(&self) -> &'r [u8] {
        self.text.get(..self.service_len).unwrap_or_default()
    }

    /// The first 8 bytes after `service:`, lowercase and zero-padded, for
    /// [`crate::compile::PrefixFilter`]. Only wildcard patterns need it.
    pub(crate) fn after_service(&self) -> u64 {
        lowercase_word(word_at(self.text, self.service_len + 1))
    }

    /// The action as written.
    pub(crate) fn text(&self) -> &'r [u8] {
        self.text
    }

    /// The action, lowercase (ASCII letters only, so still UTF-8).
    pub(crate) fn lowercase(&mut self) -> &[u8] {
        if self.lowercase.len() != self.text.len() {
            self.lowercase.clear();
            for chunk in self.text.chunks(8) {
                let word = lowercase_word(load_word(chunk)).to_le_bytes();
                self.lowercase
                    .extend_from_slice(word.get(..chunk.len()).unwrap_or_default());
            }
        }
        &self.lowercase
    }
}

/// A hash of an action (`ecs:RegisterContainerInstance`), in any case, that
/// reads only its first and last 8 bytes and its length: two loads and one
/// multiply, whatever the length, where [`hash_key`] needs one multiply per
/// word. Actions one policy names rarely share all three, and a collision
/// only costs a comparison.
pub(crate) fn action_hash(action: &[u8]) -> u64 {
    let len = action.len();
    let first = load_word(action.get(..8).unwrap_or(action));
    let last = match len.checked_sub(8) {
        Some(start) => load_word(action.get(start..).unwrap_or_default()),
        None => first,
    };
    folded_multiply(
        fold_case(first) ^ (len as u64).wrapping_mul(KeyHasher::POSITION),
        fold_case(last) ^ KeyHasher::MULTIPLIER,
    )
}

/// A hash of a service prefix (`ecs`, `ec2messages`), in any case, that reads
/// only its first 8 bytes and its length: enough to tell apart the services
/// one policy names (a collision costs a comparison), and one multiply
/// where [`hash_key`] needs one per word.
pub(crate) fn service_hash(service: &[u8]) -> u64 {
    let first = service.get(..8).unwrap_or(service);
    service_hash_of(load_word(first), service.len())
}

/// [`service_hash`] from the first word of the text, which may run on past
/// the service's end.
fn service_hash_of(first_word: u64, len: usize) -> u64 {
    let first_word = match len {
        0 => 0,
        1..=7 => fold_case(first_word) & (u64::MAX >> (64 - 8 * len)),
        _ => fold_case(first_word),
    };
    folded_multiply(
        first_word ^ (len as u64).wrapping_mul(KeyHasher::POSITION),
        KeyHasher::MULTIPLIER,
    )
}

/// Whether `text` is `lower` (lowercase) ignoring ASCII case, a word at a time.
#[inline]
pub(crate) fn eq_ignoring_case(lower: &[u8], text: &[u8]) -> bool {
    if lower.len() != text.len() {
        return false;
    }
    let mut lower_words = lower.chunks_exact(8);
    let mut text_words = text.chunks_exact(8);
    for (known, word) in (&mut lower_words).zip(&mut text_words) {
        if load_word(known) != lowercase_word(load_word(word)) {
            return false;
        }
    }
    lower.len() % 8 == 0 || load_tail(lower) == lowercase_word(load_tail(text))
}

/// The 8 bytes of `text` from `start`, zero-padded past its end, as
/// [`load_word`] reads them.
fn word_at(text: &[u8], start: usize) -> u64 {
    match text.get(start..start + 8) {
        Some(word) => load_word(word),
        None if start >= text.len() => 0,
        // Fewer than 8 bytes left: one load of the last 8 when there are
        // that many, shifted down.
        None => match text.len().checked_sub(8).and_then(|last| text.get(last..)) {
            Some(last) => load_word(last) >> (8 * (start + 8 - text.len())),
            None => load_word(text.get(start..).unwrap_or_default()),
        },
    }
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets `key` to one value (replacing any earlier values).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Context {
        self.set(key, smallvec::smallvec![value.into()]);
        self
    }

    /// Sets `key` to several values (a multivalued key).
    pub fn with_values<V: Into<String>>(
        mut self,
        key: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Context {
        self.set(key, values.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `aws:CurrentTime` (ISO 8601) and `aws:EpochTime` from Unix
    /// seconds; the evaluator never reads a clock.
    pub fn with_time(self, epoch_seconds: i64) -> Context {
        self.with("aws:CurrentTime", values::format_iso8601(epoch_seconds))
            .with("aws:EpochTime", epoch_seconds.to_string())
    }

    /// Sets the keys AWS derives from the principal: `aws:PrincipalArn`,
    /// `aws:PrincipalAccount`, `aws:PrincipalType`, and `aws:username` for
    /// IAM users. For an assumed-role session `aws:PrincipalArn` is the
    /// role's ARN, as AWS documents.
    pub fn with_principal(mut self, principal: &Principal<'_>) -> Context {
        let (principal_type, principal_arn) = match principal.kind() {
            PrincipalKind::Root => ("Account", None),
            PrincipalKind::User => ("User", Some(principal.arn())),
            PrincipalKind::Role | PrincipalKind::AssumedRole => (
                "AssumedRole",
                Some(principal.issuer().unwrap_or(principal.arn())),
            ),
            PrincipalKind::FederatedUser => ("FederatedUser", Some(principal.arn())),
            PrincipalKind::Anonymous => ("Anonymous", None),
            PrincipalKind::Service | PrincipalKind::Federated | PrincipalKind::CanonicalUser => {
                return self
            }
        };
        self = self.with("aws:PrincipalType", principal_type);
        if let Some(account) = principal.account() {
            self = self.with("aws:PrincipalAccount", account);
            if principal.kind() == PrincipalKind::Root {
                self = self.with("aws:PrincipalArn", format!("arn:aws:iam::{account}:root"));
            }
        }
        if let Some(arn) = principal_arn {
            self = self.with("aws:PrincipalArn", arn);
        }
        if principal.kind() == PrincipalKind::User {
            if let Some(name) = principal.arn().rsplit('/').next() {
                self = self.with("aws:username", name);
            }
        }
        self
    }

    /// Sets `key` to `values`.
    pub fn insert(&mut self, key: &str, values: Vec<String>) {
        self.set(key, SmallVec::from_vec(values));
    }

    fn set(&mut self, key: &str, values: SmallVec<[String; 1]>) {
        let entry = ContextEntry::new(key, values);
        let hash = hash_key(key.as_bytes());
        let known = self
            .hashes
            .iter()
            .zip(&mut self.entries)
            .find(|(&known_hash, known)| known_hash == hash && known.lower() == entry.lower());
        match known {
            Some((_, known)) => *known = entry,
            None => {
                self.entries.push(entry);
                self.hashes.push(hash);
            }
        }
    }

    /// The values of `key` (any case), if it is present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        // A scan of the hashes beats a binary search that compares keys
        // ignoring case at every step: contexts hold a dozen keys or so.
        let hash = hash_key(key.as_bytes());
        self.hashes
            .iter()
            .zip(&self.entries)
            .find(|(&known_hash, entry)| {
                known_hash == hash && entry.lower().eq_ignore_ascii_case(key)
            })
            .map(|(_, entry)| entry.values.as_slice())
    }

    /// Whether `key` (any case) is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The keys as last written, in order of their lowercase form.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        let mut entries: Vec<&ContextEntry> = self.entries.iter().collect();
        entries.sort_unstable_by(|a, b| a.lower().cmp(b.lower()));
        entries.into_iter().map(ContextEntry::key)
    }

    /// The values of a key a policy reads, if it is present.
    pub(crate) fn lookup(&self, key: &ContextKey) -> Option<&[String]> {
        self.lookup_hashed(&key.lower, key.hash)
    }

    /// The values of a lowercase key whose [`hash_key`] is `hash`.
    pub(crate) fn lookup_hashed(&self, lower: &str, hash: u64) -> Option<&[String]> {
        self.hashes
            .iter()
            .zip(&self.entries)
            .find(|(&known_hash, entry)| {
                known_hash == hash
                    && crate::compile::bytes_eq(lower.as_bytes(), entry.lower().as_bytes())
            })
            .map(|(_, entry)| entry.values.as_slice())
    }
}

/// One request to decide.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who asks.
    pub principal: Principal<'a>,
    /// The action, `service:Name` (compared case-insensitively).
    pub action: &'a str,
    /// The resource ARN, or `*` (compared case-sensitively).
    pub resource: &'a str,
    /// The account that owns the resource. `None`, or the principal's own
    /// account, makes the request same-account; another account makes it
    /// cross-account, where both the identity side and the resource side must
    /// allow.
    pub resource_account: Option<&'a str>,
    /// The condition keys.
    pub context: &'a Context,
}

/// The types of policy AWS evaluates, which decide how an allow combines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyType {
    /// Policies attached to the user, its groups, or the role.
    Identity,
    /// The resource's own policy; a role's trust policy for `sts:AssumeRole`.
    ResourceBased,
    /// The principal's permissions boundary.
    PermissionsBoundary,
    /// Session policies passed when the session was created.
    Session,
    /// AWS Organizations service control policies.
    ServiceControl,
    /// AWS Organizations resource control policies.
    ResourceControl,
}

impl PolicyType {
    /// The name AWS uses in AccessDenied messages ("identity-based policy").
    pub fn aws_name(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::ResourceBased => "resource-based policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::ServiceControl => "service control policy",
            PolicyType::ResourceControl => "resource control policy",
        }
    }

    fn article(self) -> &'static str {
        match self {
            PolicyType::Identity => "an",
            _ => "a",
        }
    }
}

/// The policies that apply to one request, by type.
///
/// A type left empty does not take part: no boundary means no limit, no SCP
/// levels means the account is not in an organisation (or is its management
/// account). Each SCP or RCP *level* (organisation root, each OU, the
/// account) must allow on its own, as AWS evaluates them.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'p> {
    identity: Vec<(PolicyId, &'p CompiledPolicy)>,
    resource: Vec<(PolicyId, &'p CompiledPolicy)>,
    resource_required: bool,
    boundary: Option<(PolicyId, &'p CompiledPolicy)>,
    session: Vec<(PolicyId, &'p CompiledPolicy)>,
    scps: Vec<Vec<(PolicyId, &'p CompiledPolicy)>>,
    rcps: Vec<Vec<(PolicyId, &'p CompiledPolicy)>>,
}

impl<'p> PolicySet<'p> {
    /// An empty set: every request is implicitly denied.
    pub fn new() -> PolicySet<'p> {
        PolicySet::default()
    }

    /// Adds an identity-based policy (attached, inline or from a group).
    pub fn identity(mut self, id: PolicyId, policy: &'p CompiledPolicy) -> PolicySet<'p> {
        self.identity.push((id, policy));
        self
    }

    /// Adds the resource's resource-based policy.
    pub fn resource(mut self, id: PolicyId, policy: &'p CompiledPolicy) -> PolicySet<'p> {
        self.resource.push((id, policy));
        self
    }

    /// Adds a role's trust policy as the resource-based policy for a
    /// role-assumption action. Unlike other resource-based policies it must
    /// allow, even in the same account: "IAM role trust policies and KMS key
    /// policies are exceptions to this logic, because they must explicitly
    /// allow access for principals" (IAM User Guide).
    pub fn trust(mut self, id: PolicyId, policy: &'p CompiledPolicy) -> PolicySet<'p> {
        self.resource.push((id, policy));
        self.resource_required = true;
        self
    }

    /// Sets the principal's permissions boundary.
    pub fn boundary(mut self, id: PolicyId, policy: &'p CompiledPolicy) -> PolicySet<'p> {
        self.boundary = Some((id, policy));
        self
    }

    /// Adds a session policy (inline or managed, as passed to `AssumeRole`).
    pub fn session(mut self, id: PolicyId, policy: &'p CompiledPolicy) -> PolicySet<'p> {
        self.session.push((id, policy));
        self
    }

    /// Adds one level of SCPs (all the SCPs attached at one node).
    pub fn scp_level(mut self, level: Vec<(PolicyId, &'p CompiledPolicy)>) -> PolicySet<'p> {
        self.scps.push(level);
        self
    }

    /// Adds one level of RCPs.
    pub fn rcp_level(mut self, level: Vec<(PolicyId, &'p CompiledPolicy)>) -> PolicySet<'p> {
        self.rcps.push(level);
        self
    }
}

/// The outcome, named as IAM's simulation APIs name it (`EvalDecision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvalDecision {
    /// Allowed.
    Allowed,
    /// Denied by a `Deny` statement.
    ExplicitDeny,
    /// Denied because nothing (or not everything needed) allows.
    ImplicitDeny,
}

impl EvalDecision {
    /// `allowed`, `explicitDeny` or `implicitDeny`, as in the IAM API.
    pub fn as_str(self) -> &'static str {
        match self {
            EvalDecision::Allowed => "allowed",
            EvalDecision::ExplicitDeny => "explicitDeny",
            EvalDecision::ImplicitDeny => "implicitDeny",
        }
    }
}

impl fmt::Display for EvalDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement that applied to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    /// The type of the policy it is in.
    pub policy_type: PolicyType,
    /// The policy it is in.
    pub policy: PolicyId,
    /// Its 0-based position in the policy's statements.
    pub statement_index: usize,
    /// Its `Sid`, if any.
    pub sid: Option<Arc<str>>,
    /// Its effect.
    pub effect: Effect,
}

/// The statements a [`Decision`] reports, in evaluation order. Derefs to a
/// slice. The first two are stored inline: most decisions name one or two
/// statements, and this keeps a decision free of heap allocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchedStatements(SmallVec<[MatchedStatement; 2]>);

impl MatchedStatements {
    /// The statements as a `Vec`.
    pub fn into_vec(self) -> Vec<MatchedStatement> {
        self.0.into_vec()
    }
}

impl std::ops::Deref for MatchedStatements {
    type Target = [MatchedStatement];

    fn deref(&self) -> &[MatchedStatement] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a MatchedStatements {
    type Item = &'a MatchedStatement;
    type IntoIter = std::slice::Iter<'a, MatchedStatement>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for MatchedStatements {
    type Item = MatchedStatement;
    type IntoIter = smallvec::IntoIter<[MatchedStatement; 2]>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A decision and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Allowed, explicitly denied or implicitly denied.
    pub decision: EvalDecision,
    /// For a deny, the type of policy that denied: the one with the first
    /// applicable `Deny` statement, or the one that failed to allow.
    pub denied_by: Option<PolicyType>,
    /// For an explicit deny, every applicable `Deny` statement; otherwise
    /// every applicable `Allow` statement (for an implicit deny, the allows
    /// that were not enough), in evaluation order.
    pub matched: MatchedStatements,
    /// Condition keys (and policy-variable keys) used by statements whose
    /// action matched but absent from the context, as first written.
    pub missing_context_keys: Vec<String>,
}

impl Decision {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision == EvalDecision::Allowed
    }

    /// The decision without its explanation: what [`decide`] returns for
    /// the same request.
    pub fn verdict(&self) -> Verdict {
        Verdict {
            decision: self.decision,
            denied_by: self.denied_by,
        }
    }

    /// The end of AWS's AccessDenied message for a deny; see [`Verdict::reason`].
    pub fn reason(&self, action: &str) -> Option<String> {
        self.verdict().reason(action)
    }
}

/// A decision without the statements that made it: what enforcing a request
/// needs, and all that [`decide`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Verdict {
    /// Allowed, explicitly denied or implicitly denied.
    pub decision: EvalDecision,
    /// For a deny, the type of policy that denied, as in [`Decision::denied_by`].
    pub denied_by: Option<PolicyType>,
}

impl Verdict {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision == EvalDecision::Allowed
    }

    /// The end of AWS's AccessDenied message for a deny: "with an explicit
    /// deny in an identity-based policy" or "because no permissions boundary
    /// allows the iam:CreateRole action". `None` when allowed.
    pub fn reason(&self, action: &str) -> Option<String> {
        let policy_type = self.denied_by?;
        match self.decision {
            EvalDecision::Allowed => None,
            EvalDecision::ExplicitDeny => Some(format!(
                "with an explicit deny in {} {}",
                policy_type.article(),
                policy_type.aws_name()
            )),
            EvalDecision::ImplicitDeny => Some(format!(
                "because no {} allows the {action} action",
                policy_type.aws_name()
            )),
        }
    }
}

/// What a scan keeps of the applicable statements it finds. One scan serves
/// both [`evaluate`] and [`decide`]; this is the only difference.
trait Record: Default {
    /// Whether to scan on after an applicable `Deny`. Explicit deny wins
    /// whatever else applies, so only an explanation needs the rest.
    const SCANS_PAST_DENY: bool;

    /// Called for every statement whose action matches, before it is checked.
    fn action_matched(&mut self, statement: &CompiledStatement, context: &Context);

    /// Called for every statement that applies.
    fn applies(&mut self, policy_type: PolicyType, id: &PolicyId, statement: &CompiledStatement);
}

/// Everything, for a [`Decision`].
#[derive(Default)]
struct Explanation {
    /// The applicable `Allow` statements until a `Deny` applies, then the
    /// applicable `Deny` statements: any one makes the decision an explicit
    /// deny, which reports only those.
    matched: MatchedStatements,
    /// Whether `matched` holds `Deny`s now. Derivable from it, but kept:
    /// reading the first matched statement for every applicable one measured
    /// about 5 % slower.
    denying: bool,
    missing: Vec<String>,
}

impl Record for Explanation {
    const SCANS_PAST_DENY: bool = true;

    fn action_matched(&mut self, statement: &CompiledStatement, context: &Context) {
        for key in statement.missing_keys.iter() {
            if context.lookup(key).is_none()
                && !self
                    .missing
                    .iter()
                    .any(|seen| seen.eq_ignore_ascii_case(&key.written))
            {
                self.missing.push(key.written.to_string());
            }
        }
    }

    fn applies(&mut self, policy_type: PolicyType, id: &PolicyId, statement: &CompiledStatement) {
        // Reported as found: the lists are then written well before they
        // are moved into the decision (moving memory written an instant
        // earlier stalls store forwarding).
        let matched = MatchedStatement {
            policy_type,
            policy: id.clone(),
            statement_index: statement.index,
            sid: statement.sid.clone(),
            effect: statement.effect,
        };
        match statement.effect {
            Effect::Allow if self.denying => {}
            Effect::Allow => self.matched.0.push(matched),
            Effect::Deny => {
                if !self.denying {
                    self.denying = true;
                    self.matched.0.clear();
                }
                self.matched.0.push(matched);
            }
        }
    }
}

/// Nothing, for a [`Verdict`].
impl Record for () {
    const SCANS_PAST_DENY: bool = false;

    fn action_matched(&mut self, _: &CompiledStatement, _: &Context) {}

    fn applies(&mut self, _: PolicyType, _: &PolicyId, _: &CompiledStatement) {}
}

/// Statements found applicable while scanning the policies.
struct Scan<'r, R> {
    request: &'r Request<'r>,
    action: RequestAction<'r>,
    first_deny: Option<PolicyType>,
    record: R,
}

impl<R: Record> Scan<'_, R> {
    /// Scans `policies`, returning the strongest principal match among the
    /// applicable `Allow` statements (`None` when none applies).
    fn policies<'s>(
        &mut self,
        policy_type: PolicyType,
        policies: &'s [(PolicyId, &'s CompiledPolicy)],
    ) -> Option<PrincipalMatch> {
        let mut best = None;
        if !R::SCANS_PAST_DENY && self.first_deny.is_some() {
            return best;
        }
        for (id, policy) in policies {
            let candidates = policy.candidates(&self.action);
            if candidates.statements.is_empty() {
                continue;
            }
            if !R::SCANS_PAST_DENY {
                // Nothing here can deny: only whether it allows is asked.
                match candidates.answer {
                    ExactAnswer::Scan => {}
                    ExactAnswer::Allowed => {
                        best = Some(PrincipalMatch::Direct);
                        continue;
                    }
                    ExactAnswer::AllowedIf(index) => {
                        let context = self.request.context;
                        if policy
                            .statements
                            .get(index as usize)
                            .is_some_and(|statement| {
                                statement
                                    .conditions
                                    .iter()
                                    .all(|block| block.holds(context))
                            })
                        {
                            best = Some(PrincipalMatch::Direct);
                        }
                        continue;
                    }
                }
            }
            if self.statements(policy_type, id, policy, &candidates, &mut best) {
                return best;
            }
        }
        best
    }

    /// Scans the `candidates` of one policy, raising `best` for each
    /// applicable `Allow`. True when the scan must stop (an applicable
    /// `Deny`, for a verdict). Kept out of line: the loop over policies,
    /// which most requests only pass through, stays small.
    #[inline(never)]
    fn statements(
        &mut self,
        policy_type: PolicyType,
        id: &PolicyId,
        policy: &CompiledPolicy,
        candidates: &Candidates<'_>,
        best: &mut Option<PrincipalMatch>,
    ) -> bool {
        let after_service = match candidates.filters {
            Some(_) => self.action.after_service(),
            None => 0,
        };
        for (position, &index) in candidates.statements.iter().enumerate() {
            if let Some(filters) = candidates.filters {
                if filters
                    .get(position)
                    .is_some_and(|filter| !filter.may_match(after_service))
                {
                    continue;
                }
            }
            let Some(statement) = policy.statements.get(index as usize) else {
                continue;
            };
            if !R::SCANS_PAST_DENY
                && statement.effect == Effect::Allow
                && *best == Some(PrincipalMatch::Direct)
            {
                // Another allow cannot change a verdict; only a deny can.
                continue;
            }
            if candidates.filters.is_some()
                && !statement.wild_actions.as_ref().is_some_and(|actions| {
                    actions.matches(self.action.lowercase(), self.request.context)
                })
            {
                continue;
            }
            self.record.action_matched(statement, self.request.context);
            let Some(how) = self.applies(statement) else {
                continue;
            };
            self.record.applies(policy_type, id, statement);
            match statement.effect {
                Effect::Allow => *best = (*best).max(Some(how)),
                Effect::Deny => {
                    self.first_deny.get_or_insert(policy_type);
                    if !R::SCANS_PAST_DENY {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Whether `statement`, whose action matches, applies to the request:
    /// resource, principal and every condition block (blocks are AND'ed).
    fn applies(&self, statement: &CompiledStatement) -> Option<PrincipalMatch> {
        let request = self.request;
        let context = request.context;
        if let Some(resources) = &statement.resources {
            if !resources.matches(request.resource.as_bytes(), context) {
                return None;
            }
        }
        let how = match &statement.principal {
            Some(principal) => principal.covers(&request.principal)?,
            None => PrincipalMatch::Direct,
        };
        statement
            .conditions
            .iter()
            .all(|block| block.holds(context))
            .then_some(how)
    }

    /// Whether every level has an applicable `Allow` (true when there are no levels).
    fn every_level_allows<'s>(
        &mut self,
        policy_type: PolicyType,
        levels: &'s [Vec<(PolicyId, &'s CompiledPolicy)>],
    ) -> bool {
        let mut all = true;
        for level in levels {
            // Scan every level, even after one fails, so explicit denies anywhere are seen.
            all &= self.policies(policy_type, level).is_some();
        }
        all
    }
}

/// Decides `request` against `set` the way AWS's enforcement code does
/// (IAM User Guide, "How AWS enforcement code logic evaluates requests to
/// allow or deny access"):
///
/// 1. An applicable `Deny` in any policy is an explicit deny.
/// 2. Every RCP level, then every SCP level, must allow.
/// 3. Same account: a resource-based policy that names the principal itself
///    (or `*`) allows on its own; one that names an assumed-role session's
///    role (or a federated user's IAM user) still needs the boundary and the
///    session policies; one that names only the account delegates to the
///    identity-based policies. Otherwise identity-based policies must allow,
///    and then the boundary and the session policies, where present.
/// 4. Cross-account: the identity side (identity, boundary, session) and the
///    resource-based policy must both allow.
///
/// A role's trust policy ([`PolicySet::trust`]) must allow in every case.
/// Service principals, federated providers and anonymous callers have no
/// identity side: only the resource-based policy can allow them. The root
/// user of the resource's account is allowed unless denied or limited by an
/// SCP or RCP.
///
/// The [`Decision`] names the statements that made it and the context keys
/// that were missing; [`decide`] reaches the same verdict without them.
pub fn evaluate(set: &PolicySet<'_>, request: &Request<'_>) -> Decision {
    let (verdict, explanation) = scan_and_judge::<Explanation>(set, request);
    Decision {
        decision: verdict.decision,
        denied_by: verdict.denied_by,
        matched: explanation.matched,
        missing_context_keys: explanation.missing,
    }
}

/// The verdict of [`evaluate`], without the statements and missing keys
/// that explain it: what enforcement needs on every request. It stops at
/// the first applicable `Deny` and allocates nothing.
///
/// ```
/// use ironiam_policy::{decide, evaluate, parse, Context, EvalDecision, PolicyId, PolicySet, Principal, Request};
///
/// let policy = parse(r#"{"Version": "2012-10-17", "Statement":
///     {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}}"#).unwrap().compile();
/// let set = PolicySet::new().identity(PolicyId::new("ecs"), &policy);
/// let context = Context::new();
/// let request = Request {
///     principal: Principal::user("arn:aws:iam::111122223333:user/alice"),
///     action: "iam:CreateRole",
///     resource: "*",
///     resource_account: None,
///     context: &context,
/// };
/// let verdict = decide(&set, &request);
/// assert_eq!(verdict.decision, EvalDecision::ImplicitDeny);
/// assert_eq!(verdict, evaluate(&set, &request).verdict());
/// ```
pub fn decide(set: &PolicySet<'_>, request: &Request<'_>) -> Verdict {
    scan_and_judge::<()>(set, request).0
}

// Inlined into both callers so the record is built in place, not copied out.
#[inline(always)]
fn scan_and_judge<R: Record>(set: &PolicySet<'_>, request: &Request<'_>) -> (Verdict, R) {
    let mut scan = Scan {
        request,
        action: RequestAction::new(request.action),
        first_deny: None,
        record: R::default(),
    };
    let principal = &request.principal;
    let identity_side = principal.has_identity_policies();

    let identity_allows =
        identity_side && scan.policies(PolicyType::Identity, &set.identity).is_some();
    let resource_allow = match set.resource.is_empty() {
        true => None,
        false => scan.policies(PolicyType::ResourceBased, &set.resource),
    };
    let boundary_allows = match &set.boundary {
        Some(boundary) if identity_side => scan
            .policies(
                PolicyType::PermissionsBoundary,
                std::slice::from_ref(boundary),
            )
            .is_some(),
        _ => true,
    };
    let session_allows = !identity_side
        || set.session.is_empty()
        || scan.policies(PolicyType::Session, &set.session).is_some();
    let rcps_allow =
        set.rcps.is_empty() || scan.every_level_allows(PolicyType::ResourceControl, &set.rcps);
    let scps_allow =
        set.scps.is_empty() || scan.every_level_allows(PolicyType::ServiceControl, &set.scps);

    let verdict: Result<(), PolicyType> = if let Some(policy_type) = scan.first_deny {
        Err(policy_type)
    } else if !rcps_allow {
        Err(PolicyType::ResourceControl)
    } else if !scps_allow {
        Err(PolicyType::ServiceControl)
    } else {
        let same_account = match (request.resource_account, principal.account()) {
            (Some(resource_account), Some(account)) => resource_account == account,
            _ => true,
        };
        let identity_path = || {
            if !identity_allows {
                Err(PolicyType::Identity)
            } else if !boundary_allows {
                Err(PolicyType::PermissionsBoundary)
            } else if !session_allows {
                Err(PolicyType::Session)
            } else {
                Ok(())
            }
        };
        let resource_required = || {
            if set.resource_required && resource_allow.is_none() {
                Err(PolicyType::ResourceBased)
            } else {
                Ok(())
            }
        };
        if principal.kind() == PrincipalKind::Root {
            if same_account {
                resource_required()
            } else {
                resource_allow.map(|_| ()).ok_or(PolicyType::ResourceBased)
            }
        } else if !identity_side {
            resource_allow.map(|_| ()).ok_or(PolicyType::ResourceBased)
        } else if !same_account {
            identity_path()
                .and_then(|()| resource_allow.map(|_| ()).ok_or(PolicyType::ResourceBased))
        } else {
            match resource_allow {
                Some(PrincipalMatch::Direct) => Ok(()),
                Some(PrincipalMatch::Issuer) if boundary_allows && session_allows => Ok(()),
                // The resource-based policy granted to the session's role: what
                // denies is the boundary or session policy that limits it.
                Some(PrincipalMatch::Issuer) => Err(if boundary_allows {
                    PolicyType::Session
                } else {
                    PolicyType::PermissionsBoundary
                }),
                _ => resource_required().and_then(|()| identity_path()),
            }
        }
    };

    let verdict = match verdict {
        Ok(()) => Verdict {
            decision: EvalDecision::Allowed,
            denied_by: None,
        },
        Err(policy_type) => Verdict {
            decision: if scan.first_deny.is_some() {
                EvalDecision::ExplicitDeny
            } else {
                EvalDecision::ImplicitDeny
            },
            denied_by: Some(policy_type),
        },
    };
    (verdict, scan.record)
}

/// Every context key `policy` uses, for `GetContextKeysForCustomPolicy`:
/// condition keys and the keys of policy variables (in `Resource` and
/// condition values of `2012-10-17` policies), once each (compared
/// case-insensitively, first spelling kept), sorted case-insensitively.
pub fn context_keys(policy: &Policy) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut add = |key: &str| {
        if !keys.iter().any(|seen| seen.eq_ignore_ascii_case(key)) {
            keys.push(key.to_owned());
        }
    };
    let variables = policy.policy_variables_enabled();
    let add_variables = |text: &str, add: &mut dyn FnMut(&str)| {
        if !variables {
            return;
        }
        for part in pattern::parse_variables(text).unwrap_or_default() {
            if let Part::Variable { written, .. } = part {
                add(&written);
            }
        }
    };
    for statement in policy.statements() {
        if let Some(resource) = statement.resource() {
            for value in resource.values.iter() {
                add_variables(value, &mut add);
            }
        }
        if let Some(condition) = statement.condition() {
            for block in &condition.blocks {
                for entry in &block.entries {
                    add(&entry.key);
                    for value in entry.values.iter() {
                        if let ConditionValue::String(text) = value {
                            add_variables(text, &mut add);
                        }
                    }
                }
            }
        }
    }
    keys.sort_by_key(|key| key.to_ascii_lowercase());
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass hashes agree with hashing the lowercased text, wherever
    /// the colon falls, whatever the case and length.
    fn assert_same_as_plain(action: &str) {
        let mut request = RequestAction::new(action);
        let expected = action.to_ascii_lowercase();
        let service = expected.split(':').next().unwrap_or_default();
        let after = expected
            .get(service.len() + 1..)
            .unwrap_or_default()
            .as_bytes();
        assert_eq!(request.hash, action_hash(expected.as_bytes()), "{action:?}");
        assert_eq!(
            request.service().to_ascii_lowercase(),
            service.as_bytes(),
            "{action:?}"
        );
        assert_eq!(
            request.service_hash,
            service_hash(service.as_bytes()),
            "{action:?}"
        );
        assert_eq!(
            request.after_service(),
            load_word(after.get(..8).unwrap_or(after)),
            "{action:?}"
        );
        assert_eq!(request.lowercase(), expected.as_bytes(), "{action:?}");
        assert!(
            eq_ignoring_case(expected.as_bytes(), action.as_bytes()),
            "{action:?}"
        );
        let mut other = expected.clone().into_bytes();
        if let Some(last) = other.last_mut() {
            *last ^= 1;
            assert!(!eq_ignoring_case(&other, action.as_bytes()), "{action:?}");
        }
    }

    #[test]
    fn context_keys_ignore_case_and_the_order_they_were_set() {
        let context = Context::new()
            .with("aws:SourceIp", "192.0.2.1")
            .with("aws:CurrentTime", "2020-01-01T00:00:00Z")
            .with_values("aws:TagKeys", ["a", "b"])
            .with("AWS:sourceIP", "198.51.100.7");
        assert_eq!(
            context.get("aws:sourceip"),
            Some(&["198.51.100.7".to_owned()][..])
        );
        assert_eq!(context.get("AWS:TAGKEYS").map(<[String]>::len), Some(2));
        assert_eq!(context.get("aws:SourceVpc"), None);
        let key = ContextKey::new("aws:sourceip", "aws:SourceIp");
        assert_eq!(context.lookup(&key), context.get("aws:SourceIp"));
        // One entry per key, listed as last written, in lowercase order.
        assert_eq!(
            context.keys().collect::<Vec<_>>(),
            ["aws:CurrentTime", "AWS:sourceIP", "aws:TagKeys"]
        );
        let reordered = Context::new()
            .with_values("aws:TagKeys", ["a", "b"])
            .with("AWS:sourceIP", "198.51.100.7")
            .with("aws:CurrentTime", "2020-01-01T00:00:00Z");
        assert_eq!(context, reordered);
        assert_ne!(
            context,
            reordered.with("aws:CurrentTime", "2021-01-01T00:00:00Z")
        );
    }

    #[test]
    fn lowercasing_words_is_ascii_lowercasing() {
        let samples: [&[u8]; 5] = [
            b"ABCXYZ@[`{",
            b"ecs:RegisterContainerInstance",
            "S3:GÉTé\u{80}\u{ff}Z".as_bytes(),
            &[0x41, 0x5a, 0x40, 0x5b, 0xc1, 0xda, 0x80, 0xff],
            b"",
        ];
        for sample in samples {
            assert_same_as_plain(&String::from_utf8_lossy(sample));
        }
        for byte in 0..=255u8 {
            let word = u64::from_le_bytes([byte; 8]);
            assert_eq!(
                lowercase_word(word),
                u64::from_le_bytes([byte.to_ascii_lowercase(); 8])
            );
        }
        assert_same_as_plain(&"A".repeat(300));
    }

    #[test]
    fn every_colon_position_and_length_agrees_with_the_plain_path() {
        let letters = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789".repeat(4);
        for len in 0..=letters.len() {
            let text = &letters[..len];
            assert_same_as_plain(text);
            for colon in 0..text.len() {
                let mut action = text.to_owned();
                action.replace_range(colon..=colon, ":");
                assert_same_as_plain(&action);
                // A second colon does not end the service again.
                if colon + 3 < action.len() {
                    action.replace_range(colon + 2..=colon + 2, ":");
                    assert_same_as_plain(&action);
                }
            }
        }
    }
}
