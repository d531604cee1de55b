//! The server key and what it protects: access-key secrets at rest, the
//! self-contained session tokens of temporary credentials, and the encoded
//! authorization messages of AccessDenied answers.
//!
//! One 256-bit server key is configured (a file, or random per process for
//! `--in-memory`); a separate AES-256-GCM key is derived from it for each
//! purpose with HMAC-SHA256, so a token can never be replayed as a sealed
//! secret or the other way round. Every sealed value is
//! `nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)` with a fresh random nonce,
//! and is bound to its context by the associated data (an access key's id,
//! say), so a sealed secret copied onto another key does not open.
//!
//! # Security notes
//!
//! * Key material never appears in `Debug` output or logs.
//! * A random 96-bit nonce per message keeps the collision probability
//!   negligible far beyond the number of keys and sessions a server issues.
//! * Opening fails closed: any change to a sealed value, its associated data
//!   or the key gives `None`, never a partial plaintext.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::prelude::{Engine, BASE64_STANDARD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// What a sealed value is for; each purpose has its own derived key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An IAM user's secret access key, stored in the database.
    AccessKeySecret,
    /// A session token of temporary credentials.
    SessionToken,
    /// An encoded authorization failure message.
    AuthorizationMessage,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::AccessKeySecret => b"ironiam/v1/access-key-secret",
            Purpose::SessionToken => b"ironiam/v1/session-token",
            Purpose::AuthorizationMessage => b"ironiam/v1/authorization-message",
        }
    }
}

/// The server key, with one cipher per [`Purpose`] derived from it.
#[derive(Clone)]
pub struct ServerKey {
    master: [u8; 32],
    secrets: Aes256Gcm,
    tokens: Aes256Gcm,
    messages: Aes256Gcm,
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

/// HMAC-SHA256(master, label): a purpose key.
fn derive(master: &[u8; 32], label: &[u8]) -> Aes256Gcm {
    // INVARIANT: HMAC accepts keys of any length, and its output is exactly
    // the 32 bytes AES-256 needs, so neither step can fail.
    let mut mac =
        <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(master).unwrap_or_else(|_| unreachable!());
    mac.update(label);
    let okm = mac.finalize().into_bytes();
    Aes256Gcm::new_from_slice(&okm).unwrap_or_else(|_| unreachable!())
}

impl ServerKey {
    /// A key from 32 bytes.
    pub fn from_bytes(master: [u8; 32]) -> ServerKey {
        ServerKey {
            secrets: derive(&master, Purpose::AccessKeySecret.label()),
            tokens: derive(&master, Purpose::SessionToken.label()),
            messages: derive(&master, Purpose::AuthorizationMessage.label()),
            master,
        }
    }

    /// A fresh random key (the `--in-memory` default: nothing sealed
    /// outlives the process anyway).
    pub fn generate() -> ServerKey {
        let mut master = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut master);
        ServerKey::from_bytes(master)
    }

    /// Reads a key file's text: 32 bytes as 64 hexadecimal digits or as
    /// base64, surrounding whitespace ignored.
    pub fn parse(text: &str) -> Result<ServerKey, String> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| "the server key is not valid hexadecimal".to_string())?
        } else {
            BASE64_STANDARD.decode(text).map_err(|_| {
                "the server key must be 32 bytes in base64 or 64 hexadecimal digits".to_string()
            })?
        };
        let master: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the server key must be exactly 32 bytes (256 bits)".to_string())?;
        Ok(ServerKey::from_bytes(master))
    }

    /// The text [`ServerKey::parse`] reads: base64 and a newline.
    pub fn to_text(&self) -> String {
        format!("{}\n", BASE64_STANDARD.encode(self.master))
    }

    fn cipher(&self, purpose: Purpose) -> &Aes256Gcm {
        match purpose {
            Purpose::AccessKeySecret => &self.secrets,
            Purpose::SessionToken => &self.tokens,
            Purpose::AuthorizationMessage => &self.messages,
        }
    }

    /// Encrypts and authenticates `plaintext`, bound to `aad`.
    pub fn seal(&self, purpose: Purpose, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce_bytes = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce_bytes);
        let nonce = Nonce::from(nonce_bytes);
        // INVARIANT: AES-GCM encryption only fails past 64 GiB of plaintext.
        let ciphertext = self
            .cipher(purpose)
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Decrypts a value [`ServerKey::seal`] produced with the same purpose
    /// and `aad`; `None` if anything differs.
    pub fn open(&self, purpose: Purpose, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce_bytes, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce_array: [u8; NONCE_LEN] = nonce_bytes.try_into().ok()?;
        let nonce = Nonce::from(nonce_array);
        self.cipher(purpose)
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .ok()
    }
}

/// A secret access key. Its `Debug` never shows it; compare it only through
/// a constant-time check.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> SecretKey {
        SecretKey(secret.into())
    }

    /// The secret itself, for signing and for the one response that shows it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// Base64 (standard alphabet, padded), as session tokens and encoded
/// messages travel.
pub fn base64_encode(bytes: &[u8]) -> String {
    BASE64_STANDARD.encode(bytes)
}

/// The inverse of [`base64_encode`].
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    BASE64_STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let key = ServerKey::generate();
        let sealed = key.seal(Purpose::AccessKeySecret, b"AKIA1", b"secret");
        assert_eq!(
            key.open(Purpose::AccessKeySecret, b"AKIA1", &sealed)
                .as_deref(),
            Some(&b"secret"[..])
        );
        // Another context, another purpose, another key, a flipped bit: nothing opens.
        assert!(key
            .open(Purpose::AccessKeySecret, b"AKIA2", &sealed)
            .is_none());
        assert!(key.open(Purpose::SessionToken, b"AKIA1", &sealed).is_none());
        assert!(ServerKey::generate()
            .open(Purpose::AccessKeySecret, b"AKIA1", &sealed)
            .is_none());
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert!(key
            .open(Purpose::AccessKeySecret, b"AKIA1", &tampered)
            .is_none());
        assert!(key
            .open(Purpose::AccessKeySecret, b"AKIA1", &sealed[..10])
            .is_none());
        // Fresh nonces: sealing twice never gives the same bytes.
        assert_ne!(
            sealed,
            key.seal(Purpose::AccessKeySecret, b"AKIA1", b"secret")
        );
    }

    #[test]
    fn key_text_round_trips_and_rejects_garbage() {
        let key = ServerKey::generate();
        let again = ServerKey::parse(&key.to_text()).unwrap();
        let sealed = key.seal(Purpose::SessionToken, b"", b"x");
        assert!(again.open(Purpose::SessionToken, b"", &sealed).is_some());
        let hex = "00".repeat(32);
        assert!(ServerKey::parse(&hex).is_ok());
        assert!(ServerKey::parse("short").is_err());
        assert!(ServerKey::parse(&BASE64_STANDARD.encode([0u8; 16])).is_err());
        assert_eq!(format!("{key:?}"), "ServerKey(..)");
        assert_eq!(format!("{:?}", SecretKey::new("wJalr")), "SecretKey(***)");
    }
}
