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

/// A request id in AWS's UUID form.
pub fn request_id() -> String {
    let v: u128 = rand::thread_rng().gen();
    let b = v.to_be_bytes();
    let hex = |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!("{}-{}-{}-{}-{}", hex(0..4), hex(4..6), hex(6..8), hex(8..10), hex(10..16))
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
