//! Eight bytes at a time: whether a word holds a byte that text escaping
//! (XML here, JSON in the audit log) must handle. Most text — names, ARNs,
//! ids, dates, user agents — holds none, so escapers skip such words whole
//! and look at single bytes only around the few that matter.
//!
//! The tests are the classic "has a zero byte" ones: a byte's borrow can
//! only mark a byte after one that really matches, so the answer for the
//! word as a whole is exact.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether some byte of `word` is below `limit` (`limit` ≤ 128).
#[inline]
pub fn has_byte_below(word: u64, limit: u8) -> bool {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH != 0
}

/// Whether some byte of `word` equals `byte`.
#[inline]
pub fn has_byte(word: u64, byte: u8) -> bool {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGH != 0
}

/// The eight bytes of `bytes` from `at`, if there are eight.
#[inline]
pub fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_for_every_byte_in_every_position() {
        for position in 0..8 {
            for byte in 0..=255u8 {
                let mut bytes = *b"abcdefgh";
                bytes[position] = byte;
                let word = u64::from_le_bytes(bytes);
                let expect_below = bytes.iter().any(|&b| b < 0x20);
                assert_eq!(has_byte_below(word, 0x20), expect_below, "{bytes:?}");
                for probe in [b'"', b'&', b'<', 0xEF] {
                    assert_eq!(
                        has_byte(word, probe),
                        bytes.contains(&probe),
                        "{bytes:?} {probe}"
                    );
                }
            }
        }
        assert_eq!(word_at(b"1234567", 0), None);
        assert_eq!(
            word_at(b"12345678", 0),
            Some(u64::from_le_bytes(*b"12345678"))
        );
    }
}
