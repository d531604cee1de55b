//! Verifying a parsed request against the secret access key.

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::canonical::{canonical_request, sha256_hex, string_to_sign};
use crate::error::AuthError;
use crate::request::{AuthLocation, HttpRequest, SignedRequest};
use crate::secret::Secret;

/// The payload hash a client declares when it does not sign the body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// A derived signing key (`kSigning`): valid for one access key, day, region and service.
pub(crate) type SigningKey = Zeroizing<[u8; 32]>;

/// HMAC-SHA256. `None` cannot happen (HMAC takes keys of any length); callers fail closed.
fn hmac(key: &[u8], data: &[u8]) -> Option<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(data);
    Some(mac.finalize().into_bytes().into())
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub(crate) fn signing_key(
    secret: &Secret,
    date: &str,
    region: &str,
    service: &str,
) -> Option<SigningKey> {
    let k_secret = Zeroizing::new(format!("AWS4{}", secret.expose()));
    let k_date = Zeroizing::new(hmac(k_secret.as_bytes(), date.as_bytes())?);
    let k_region = Zeroizing::new(hmac(k_date.as_ref(), region.as_bytes())?);
    let k_service = Zeroizing::new(hmac(k_region.as_ref(), service.as_bytes())?);
    Some(Zeroizing::new(hmac(k_service.as_ref(), b"aws4_request")?))
}

/// The hex signature of a string to sign.
pub(crate) fn signature_hex(key: &SigningKey, string_to_sign: &str) -> Option<String> {
    hmac(key.as_ref(), string_to_sign.as_bytes()).map(hex::encode)
}

/// The payload hashes the client may have signed, most likely first.
///
/// The body is always covered: a declared `X-Amz-Content-Sha256` must equal the body's hash,
/// and `UNSIGNED-PAYLOAD` is accepted only for an empty body (IAM and STS carry the operation
/// in the body, so an unsigned body would let anyone replay the signature with another
/// operation). A presigned request with an empty body and no declared hash may have been
/// signed either way (SDKs use the empty body's hash, S3-style presigners
/// `UNSIGNED-PAYLOAD`), so both are tried.
fn payload_candidates(
    req: &HttpRequest<'_>,
    signed: &SignedRequest<'_>,
) -> Result<Vec<String>, AuthError> {
    let body_hash = sha256_hex(req.body);
    match signed.content_sha256() {
        Some(UNSIGNED_PAYLOAD) if req.body.is_empty() => Ok(vec![UNSIGNED_PAYLOAD.to_owned()]),
        Some(declared) if declared.eq_ignore_ascii_case(&body_hash) => {
            Ok(vec![declared.to_owned()])
        }
        Some(_) => Err(AuthError::InvalidSignature(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
                .to_owned(),
        )),
        None if signed.location() == AuthLocation::Query && req.body.is_empty() => {
            Ok(vec![body_hash, UNSIGNED_PAYLOAD.to_owned()])
        }
        None => Ok(vec![body_hash]),
    }
}

/// The canonical request and string to sign `verify` computes for `req`, for debugging a
/// mismatch (AWS appends both to some `SignatureDoesNotMatch` messages). Neither contains
/// a secret.
pub fn explain(req: &HttpRequest<'_>, signed: &SignedRequest<'_>) -> (String, String) {
    let payload = payload_candidates(req, signed)
        .ok()
        .and_then(|c| c.into_iter().next())
        .unwrap_or_else(|| sha256_hex(req.body));
    let creq = canonical_request(
        req,
        signed.signed_headers(),
        &payload,
        signed.location() == AuthLocation::Query,
    );
    let sts = string_to_sign(&signed.amz_date(), signed.scope(), &creq);
    (creq, sts)
}

fn verify_with_key(
    req: &HttpRequest<'_>,
    signed: &SignedRequest<'_>,
    key: &SigningKey,
    now_epoch_seconds: i64,
) -> Result<(), AuthError> {
    signed.check_time(now_epoch_seconds)?;
    signed.check_scope(None, None)?;
    let presigned = signed.location() == AuthLocation::Query;
    let amz_date = signed.amz_date();
    for payload in payload_candidates(req, signed)? {
        let creq = canonical_request(req, signed.signed_headers(), &payload, presigned);
        let sts = string_to_sign(&amz_date, signed.scope(), &creq);
        let expected = signature_hex(key, &sts).ok_or(AuthError::SignatureDoesNotMatch)?;
        // Constant time: the comparison must not reveal how many leading characters of a
        // forged signature are right.
        if bool::from(expected.as_bytes().ct_eq(signed.signature().as_bytes())) {
            return Ok(());
        }
    }
    Err(AuthError::SignatureDoesNotMatch)
}

/// Verifies `req`'s signature with the secret of the access key it names, at `now`.
///
/// Checks, in AWS's order: the request date against `now` ([`SignedRequest::check_time`]),
/// the credential scope's terminator and date ([`SignedRequest::check_scope`]), the payload
/// hash, then the signature, compared in constant time. Region and service are the caller's
/// to pin, with `check_scope`; the access key id, `X-Amz-Security-Token` and their expiry are
/// the caller's to check (its secret lookup answers [`AuthError::InvalidClientTokenId`],
/// [`AuthError::InvalidSecurityToken`] or [`AuthError::ExpiredToken`]).
pub fn verify(
    req: &HttpRequest<'_>,
    signed: &SignedRequest<'_>,
    secret_access_key: &Secret,
    now_epoch_seconds: i64,
) -> Result<(), AuthError> {
    let key = signing_key(
        secret_access_key,
        signed.scope_date(),
        signed.region(),
        signed.service(),
    )
    .ok_or(AuthError::SignatureDoesNotMatch)?;
    verify_with_key(req, signed, &key, now_epoch_seconds)
}

/// Remembers derived signing keys, saving the four HMACs of the derivation per request.
///
/// A key is found by access key id, date, region and service, and used only if the secret
/// given now is the one it was derived from (compared in constant time), so a rotated or
/// deleted secret never verifies through the cache. Bounded: it starts afresh when full.
pub struct SigningKeyCache {
    keys: Mutex<HashMap<CacheKey, CacheEntry>>,
    capacity: usize,
}

type CacheKey = (String, String, String, String);

struct CacheEntry {
    secret: Secret,
    key: SigningKey,
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Default for SigningKeyCache {
    /// Room for 4096 keys.
    fn default() -> Self {
        Self::new(4096)
    }
}

impl SigningKeyCache {
    /// A cache holding up to `capacity` keys (one per access key, day, region and service).
    pub fn new(capacity: usize) -> Self {
        Self {
            keys: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    fn key_for(&self, signed: &SignedRequest<'_>, secret: &Secret) -> Option<SigningKey> {
        let id: CacheKey = (
            signed.access_key_id().to_owned(),
            signed.scope_date().to_owned(),
            signed.region().to_owned(),
            signed.service().to_owned(),
        );
        // A poisoned lock only means another thread panicked mid-insert; the map is still a
        // valid map, so keep using it rather than fail every request.
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = keys.get(&id) {
            if bool::from(
                entry
                    .secret
                    .expose()
                    .as_bytes()
                    .ct_eq(secret.expose().as_bytes()),
            ) {
                return Some(entry.key.clone());
            }
        }
        let key = signing_key(
            secret,
            signed.scope_date(),
            signed.region(),
            signed.service(),
        )?;
        if keys.len() >= self.capacity.max(1) {
            keys.clear();
        }
        keys.insert(
            id,
            CacheEntry {
                secret: secret.clone(),
                key: key.clone(),
            },
        );
        Some(key)
    }

    /// [`verify`], with the signing key from the cache.
    pub fn verify(
        &self,
        req: &HttpRequest<'_>,
        signed: &SignedRequest<'_>,
        secret_access_key: &Secret,
        now_epoch_seconds: i64,
    ) -> Result<(), AuthError> {
        let key = self
            .key_for(signed, secret_access_key)
            .ok_or(AuthError::SignatureDoesNotMatch)?;
        verify_with_key(req, signed, &key, now_epoch_seconds)
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
