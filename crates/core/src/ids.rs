//! Identifiers in AWS's shapes.

use rand::Rng;

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A unique id: `prefix` followed by 17 characters, as AWS's role ids
/// (`AROA…`), policy ids (`ANPA…`) and user ids (`AIDA…`) are.
pub fn unique_id(prefix: &str) -> String {
    let mut rng = rand::thread_rng();
    let mut id = String::with_capacity(prefix.len() + 17);
    id.push_str(prefix);
    for _ in 0..17 {
        id.push(ID_ALPHABET[rng.gen_range(0..ID_ALPHABET.len())] as char);
    }
    id
}

/// An access key id: `prefix` (`AKIA` for long-term keys, `ASIA` for
/// temporary credentials) and 16 base32 characters that encode the owning
/// account as AWS's do, so GetAccessKeyInfo can answer for any key id.
///
/// AWS's layout (observed, and relied on by tools that decode key ids): the
/// 10 bytes behind the prefix, read big-endian, carry the account id in bits
/// 46..7 of their first 6 bytes; the rest is random.
pub fn access_key_id(prefix: &str, account_id: &str) -> String {
    let mut rng = rand::thread_rng();
    let mut bytes: [u8; 10] = rng.gen();
    let account: u64 = account_id.parse().unwrap_or(0) & ((1 << 40) - 1);
    let head = (account << 7) | u64::from(bytes[5] & 0x7f);
    bytes[..6].copy_from_slice(&head.to_be_bytes()[2..]);
    let mut id = String::with_capacity(prefix.len() + 16);
    id.push_str(prefix);
    // 80 bits are exactly 16 base32 characters.
    let mut acc: u128 = 0;
    for b in bytes {
        acc = (acc << 8) | u128::from(b);
    }
    for i in (0..16).rev() {
        id.push(ID_ALPHABET[((acc >> (i * 5)) & 31) as usize] as char);
    }
    id
}

/// The account an access key id encodes (see [`access_key_id`]); `None`
/// unless it is a 4-character prefix and 16 base32 characters.
pub fn account_of_access_key(id: &str) -> Option<String> {
    let body = id.get(4..).filter(|b| b.len() == 16)?;
    let mut acc: u128 = 0;
    for c in body.bytes() {
        let v = ID_ALPHABET.iter().position(|a| *a == c)? as u128;
        acc = (acc << 5) | v;
    }
    let head = (acc >> 32) as u64;
    Some(format!("{:012}", (head & 0x7fff_ffff_ff80) >> 7))
}

/// A secret access key: 40 characters of base64's alphabet, as AWS's.
pub fn secret_access_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rngs::OsRng;
    (0..40)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A request id in AWS's UUID form (`8-4-4-4-12` lowercase hex). Runs on
/// every request, so it is written into one buffer without formatting machinery.
pub fn request_id() -> String {
    let text = uuid_text(rand::thread_rng().gen());
    // Hex digits and dashes: always UTF-8.
    String::from_utf8(text.to_vec()).unwrap_or_default()
}

/// A random (version 4, RFC 4122 variant) UUID as 36 ASCII bytes, without
/// allocating: CloudTrail's `eventID`, written once per audit record.
///
/// Unique rather than secret: each thread draws a random seed and counter
/// start from the operating system's generator once, then steps the counter
/// through SplitMix64's bijection (62 of its 64 bits survive the variant
/// bits: a thread repeats an id with odds of 2^-62 per pair). A ChaCha draw
/// per record cost about as much as writing the record.
pub fn uuid_v4() -> [u8; 36] {
    thread_local! {
        static STATE: std::cell::Cell<Option<(u64, u64)>> = const { std::cell::Cell::new(None) };
    }
    let (high_seed, counter) = STATE.with(|state| {
        let (seed, counter) = state
            .get()
            .unwrap_or_else(|| (rand::random(), rand::random()));
        let next = counter.wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(Some((seed, next)));
        (seed, next)
    });
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high_seed.to_le_bytes());
    bytes[8..].copy_from_slice(&splitmix64(counter).to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid_text(bytes)
}

/// SplitMix64's output function: a bijection on 64-bit values that mixes
/// every input bit into every output bit.
fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// 16 bytes in UUID layout: `8-4-4-4-12` lowercase hex digits.
fn uuid_text(bytes: [u8; 16]) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Where each byte's two digits go: 8-4-4-4-12, dashes between.
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let mut out = [b'-'; 36];
    for (b, at) in bytes.iter().zip(AT) {
        out[at] = HEX[usize::from(b >> 4)];
        out[at + 1] = HEX[usize::from(b & 0x0f)];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_aws_shape() {
        let id = unique_id("AROA");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AROA"));
        assert!(id[4..].bytes().all(|c| ID_ALPHABET.contains(&c)));
        let key = access_key_id("AKIA", "123456789012");
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("AKIA"));
        assert_eq!(account_of_access_key(&key).as_deref(), Some("123456789012"));
        assert_eq!(
            account_of_access_key(&access_key_id("ASIA", "000000000001")).as_deref(),
            Some("000000000001")
        );
        // AWS's documentation example key decodes as the published tools decode it.
        assert_eq!(
            account_of_access_key("ASIAQNZGKIQY56JQ7WML").as_deref(),
            Some("029608264753")
        );
        assert_eq!(account_of_access_key("AKIA"), None);
        let secret = secret_access_key();
        assert_eq!(secret.len(), 40);
        let r = request_id();
        assert_eq!(r.len(), 36);
        assert_eq!(r.matches('-').count(), 4);
    }

    #[test]
    fn uuids_have_the_version_4_layout() {
        assert_eq!(
            &uuid_text(*b"\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef"),
            b"01234567-89ab-cdef-0123-456789abcdef"
        );
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = uuid_v4();
            assert!(seen.insert(id), "a repeated id");
            let text = std::str::from_utf8(&id).unwrap();
            let dashes: Vec<usize> = text.match_indices('-').map(|(i, _)| i).collect();
            assert_eq!(dashes, [8, 13, 18, 23]);
            assert_eq!(&text[14..15], "4");
            assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"), "{text}");
        }
    }
}
