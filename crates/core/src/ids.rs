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

/// A request id in AWS's UUID form (`8-4-4-4-12` lowercase hex). Runs on
/// every request, so it is written into one buffer without formatting machinery.
pub fn request_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes: [u8; 16] = rand::thread_rng().gen();
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
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
        let r = request_id();
        assert_eq!(r.len(), 36);
        assert_eq!(r.matches('-').count(), 4);
    }
}
