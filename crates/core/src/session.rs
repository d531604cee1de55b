//! Temporary credentials: the claims a session token carries, and the token
//! itself — the claims in a compact binary form, sealed with AES-256-GCM
//! under the server key (see [`crate::crypto`]).
//!
//! A token is self-contained: any ironiam process holding the same server key
//! verifies it and knows who the caller is (account, role, session name,
//! session policies, tags, expiry, and the secret the request must be signed
//! with) without a database lookup. Tampering with any byte makes it fail to
//! open; nothing inside is readable without the key.
//!
//! The binary form (before sealing) is: a version byte, then the fields in a
//! fixed order — integers big-endian, strings and lists prefixed by a 16-bit
//! length. [`SessionClaims::decode`] is total: it answers `None` for any
//! input it does not understand, never panics, and is fuzzed
//! (`crates/core/fuzz`).

use crate::crypto::{base64_decode, base64_encode, Purpose, SecretKey, ServerKey};
use crate::entities::Tag;

const FORMAT_VERSION: u8 = 1;
/// Associated data of every sealed token: a token opens only as a token of
/// this format.
const TOKEN_AAD: &[u8] = b"ironiam session token v1";
/// No legitimate token comes near this; larger input is refused before
/// any decoding work.
pub const MAX_TOKEN_CHARS: usize = 16 * 1024;

/// Which STS operation issued the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// AssumeRole (or ironiam's assume-role-as-service): a role session.
    AssumedRole,
    /// GetSessionToken: the calling user or root, temporarily.
    SessionToken,
}

/// Everything a session token proves about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    /// Which operation issued it.
    pub kind: SessionKind,
    /// The account the session acts in.
    pub account_id: String,
    /// The `ASIA…` access key id the token belongs to.
    pub access_key_id: String,
    /// The secret access key requests must be signed with.
    pub secret: SecretKey,
    /// Issue time, epoch seconds.
    pub issued: i64,
    /// Expiry, epoch seconds.
    pub expires: i64,
    /// Role sessions: the role's ARN (path included). GetSessionToken: the
    /// user's ARN, or the account's root ARN.
    pub principal_arn: String,
    /// Role sessions: the role's `AROA…` id. GetSessionToken: the user's
    /// `AIDA…` id, or the account id for root.
    pub principal_id: String,
    /// Role sessions: RoleSessionName. GetSessionToken: the user's name
    /// (empty for root).
    pub session_name: String,
    /// Inline session policy (`Policy`), as sent.
    pub policy: Option<String>,
    /// Managed session policies (`PolicyArns`).
    pub policy_arns: Vec<String>,
    /// Session tags (including those inherited as transitive).
    pub tags: Vec<Tag>,
    /// Keys of the tags that pass on to a chained session.
    pub transitive_tag_keys: Vec<String>,
    /// SourceIdentity, once set in a chain.
    pub source_identity: Option<String>,
    /// Whether the session was made from another role session (role
    /// chaining, limited to one hour).
    pub chained: bool,
}

impl SessionClaims {
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` for a role session
    /// (the role's path is not part of it, as in AWS); the principal's own
    /// ARN otherwise.
    pub fn caller_arn(&self) -> String {
        match self.kind {
            SessionKind::AssumedRole => {
                let role_name = self
                    .principal_arn
                    .rsplit('/')
                    .next()
                    .unwrap_or(&self.principal_arn);
                format!(
                    "arn:aws:sts::{}:assumed-role/{role_name}/{}",
                    self.account_id, self.session_name
                )
            }
            SessionKind::SessionToken => self.principal_arn.clone(),
        }
    }

    /// `AROA…:SESSION` for a role session, the principal's id otherwise.
    pub fn caller_user_id(&self) -> String {
        match self.kind {
            SessionKind::AssumedRole => format!("{}:{}", self.principal_id, self.session_name),
            SessionKind::SessionToken => self.principal_id.clone(),
        }
    }

    /// The claims in binary form.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(256));
        w.u8(FORMAT_VERSION);
        w.u8(match self.kind {
            SessionKind::AssumedRole => 1,
            SessionKind::SessionToken => 2,
        });
        w.str(&self.account_id);
        w.str(&self.access_key_id);
        w.str(self.secret.expose());
        w.i64(self.issued);
        w.i64(self.expires);
        w.str(&self.principal_arn);
        w.str(&self.principal_id);
        w.str(&self.session_name);
        w.opt(self.policy.as_deref());
        w.list(&self.policy_arns);
        w.u16(self.tags.len());
        for t in &self.tags {
            w.str(&t.key);
            w.str(&t.value);
        }
        w.list(&self.transitive_tag_keys);
        w.opt(self.source_identity.as_deref());
        w.u8(u8::from(self.chained));
        w.0
    }

    /// Parses [`SessionClaims::encode`]'s output; `None` for anything else
    /// (including trailing bytes).
    pub fn decode(bytes: &[u8]) -> Option<SessionClaims> {
        let mut r = Reader(bytes);
        if r.u8()? != FORMAT_VERSION {
            return None;
        }
        let kind = match r.u8()? {
            1 => SessionKind::AssumedRole,
            2 => SessionKind::SessionToken,
            _ => return None,
        };
        let claims = SessionClaims {
            kind,
            account_id: r.str()?,
            access_key_id: r.str()?,
            secret: SecretKey::new(r.str()?),
            issued: r.i64()?,
            expires: r.i64()?,
            principal_arn: r.str()?,
            principal_id: r.str()?,
            session_name: r.str()?,
            policy: r.opt()?,
            policy_arns: r.list()?,
            tags: {
                let n = r.u16()?;
                let mut tags = Vec::with_capacity(n.min(64));
                for _ in 0..n {
                    tags.push(Tag {
                        key: r.str()?,
                        value: r.str()?,
                    });
                }
                tags
            },
            transitive_tag_keys: r.list()?,
            source_identity: r.opt()?,
            chained: match r.u8()? {
                0 => false,
                1 => true,
                _ => return None,
            },
        };
        r.0.is_empty().then_some(claims)
    }

    /// The session token: the claims sealed under `key`, in base64.
    pub fn seal(&self, key: &ServerKey) -> String {
        base64_encode(&key.seal(Purpose::SessionToken, TOKEN_AAD, &self.encode()))
    }

    /// Opens a session token. `None` if it is not one of ours, was changed,
    /// or was sealed under another key. Expiry is the caller's to check.
    pub fn open(key: &ServerKey, token: &str) -> Option<SessionClaims> {
        if token.len() > MAX_TOKEN_CHARS {
            return None;
        }
        let sealed = base64_decode(token)?;
        SessionClaims::decode(&key.open(Purpose::SessionToken, TOKEN_AAD, &sealed)?)
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: usize) {
        // INVARIANT: every length written is bounded far below 65,536 by the
        // API model (policies ≤ 2,048 characters, ≤ 50 tags, ARNs ≤ 2,048);
        // saturating keeps a violation from corrupting the framing.
        let v = u16::try_from(v).unwrap_or(u16::MAX);
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn str(&mut self, s: &str) {
        let bytes = &s.as_bytes()[..s.len().min(usize::from(u16::MAX))];
        self.u16(bytes.len());
        self.0.extend_from_slice(bytes);
    }
    fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
            None => self.u8(0),
        }
    }
    fn list(&mut self, items: &[String]) {
        self.u16(items.len());
        for i in items {
            self.str(i);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<usize> {
        let b = self.take(2)?;
        Some(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
    fn i64(&mut self) -> Option<i64> {
        let b: [u8; 8] = self.take(8)?.try_into().ok()?;
        Some(i64::from_be_bytes(b))
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u16()?;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn opt(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.str()?)),
            _ => None,
        }
    }
    fn list(&mut self) -> Option<Vec<String>> {
        let n = self.u16()?;
        let mut items = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            items.push(self.str()?);
        }
        Some(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> SessionClaims {
        SessionClaims {
            kind: SessionKind::AssumedRole,
            account_id: "123456789012".into(),
            access_key_id: "ASIAEXAMPLEEXAMPLE12".into(),
            secret: SecretKey::new("secret/+="),
            issued: 1_800_000_000,
            expires: 1_800_003_600,
            principal_arn: "arn:aws:iam::123456789012:role/ecs/ecsAnywhereRole".into(),
            principal_id: "AROAEXAMPLEEXAMPLE123".into(),
            session_name: "mi-0123".into(),
            policy: Some("{\"Version\":\"2012-10-17\"}".into()),
            policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            tags: vec![Tag {
                key: "team".into(),
                value: "é".into(),
            }],
            transitive_tag_keys: vec!["team".into()],
            source_identity: Some("alice".into()),
            chained: true,
        }
    }

    #[test]
    fn round_trips_and_names_the_caller() {
        let c = claims();
        assert_eq!(SessionClaims::decode(&c.encode()), Some(c.clone()));
        assert_eq!(
            c.caller_arn(),
            "arn:aws:sts::123456789012:assumed-role/ecsAnywhereRole/mi-0123"
        );
        assert_eq!(c.caller_user_id(), "AROAEXAMPLEEXAMPLE123:mi-0123");
        let key = ServerKey::generate();
        let token = c.seal(&key);
        assert_eq!(SessionClaims::open(&key, &token), Some(c));
        assert!(!token.contains("secret"));
    }

    #[test]
    fn anything_changed_does_not_open() {
        let key = ServerKey::generate();
        let token = claims().seal(&key);
        assert!(SessionClaims::open(&ServerKey::generate(), &token).is_none());
        let mut bytes = base64_decode(&token).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        assert!(SessionClaims::open(&key, &base64_encode(&bytes)).is_none());
        assert!(SessionClaims::open(&key, "not base64!").is_none());
        assert!(SessionClaims::open(&key, &"A".repeat(MAX_TOKEN_CHARS + 4)).is_none());
        // Every truncation and a trailing byte are refused by the decoder itself.
        let encoded = claims().encode();
        for n in 0..encoded.len() {
            assert!(SessionClaims::decode(&encoded[..n]).is_none(), "{n}");
        }
        let mut longer = encoded.clone();
        longer.push(0);
        assert!(SessionClaims::decode(&longer).is_none());
    }
}
