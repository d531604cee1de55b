//! Raw deflate decoding with an optional preset dictionary.
//!
//! miniz_oxide has no preset-dictionary call for raw deflate, but its core decoder
//! resolves back-references against everything already in a non-wrapping output
//! buffer. Putting the dictionary at the start of that buffer and decoding after it
//! is exactly what zlib's `deflateSetDictionary` on the encoding side expects.

use miniz_oxide::inflate::core::inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

/// Why a stored document could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// The deflate stream is malformed or truncated.
    #[error("deflate stream is corrupt ({0:?})")]
    Corrupt(TINFLStatus),
    /// The stream decoded to a different length than the index records.
    #[error("decoded {actual} bytes where the index records {expected}")]
    Length {
        /// Length recorded in the index.
        expected: usize,
        /// Length actually decoded.
        actual: usize,
    },
}

/// Decodes the raw deflate stream `compressed`, whose encoder was primed with
/// `dictionary`, into exactly `text_len` bytes.
pub fn inflate(
    compressed: &[u8],
    dictionary: &[u8],
    text_len: usize,
) -> Result<Vec<u8>, InflateError> {
    // One spare byte: a stream longer than recorded then shows up as a length
    // mismatch instead of a full buffer that hides the rest.
    let mut out = Vec::with_capacity(dictionary.len() + text_len + 1);
    out.extend_from_slice(dictionary);
    out.resize(dictionary.len() + text_len + 1, 0);
    let mut state = Box::<DecompressorOxide>::default();
    let (status, _read, written) = decompress(
        &mut state,
        compressed,
        &mut out,
        dictionary.len(),
        TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
    );
    if status != TINFLStatus::Done {
        return Err(InflateError::Corrupt(status));
    }
    if written != text_len {
        return Err(InflateError::Length {
            expected: text_len,
            actual: written,
        });
    }
    out.truncate(dictionary.len() + text_len);
    out.drain(..dictionary.len());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A fixed-Huffman raw deflate stream of "hello", as zlib writes it.
    const HELLO: &[u8] = &[0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

    #[test]
    fn decodes_a_plain_stream() {
        assert_eq!(inflate(HELLO, b"", 5).as_deref(), Ok(&b"hello"[..]));
    }

    #[test]
    fn resolves_back_references_into_the_dictionary() {
        // `{"Action":"s3:GetObject"}` deflated with `{"Action":"s3:PutObject"}` as
        // zlib's preset dictionary: 9 bytes, most of them matches into the dictionary.
        let compressed = [171, 70, 145, 112, 79, 133, 75, 0, 0];
        let text = br#"{"Action":"s3:GetObject"}"#;
        let dictionary = br#"{"Action":"s3:PutObject"}"#;
        assert_eq!(
            inflate(&compressed, dictionary, text.len()).as_deref(),
            Ok(&text[..])
        );
        assert!(inflate(&compressed, b"", text.len()).is_err());
    }

    #[test]
    fn rejects_a_wrong_length() {
        assert_eq!(
            inflate(HELLO, b"", 4),
            Err(InflateError::Length {
                expected: 4,
                actual: 5
            })
        );
        assert_eq!(
            inflate(HELLO, b"", 6),
            Err(InflateError::Length {
                expected: 6,
                actual: 5
            })
        );
    }

    #[test]
    fn rejects_a_truncated_stream() {
        assert!(matches!(
            inflate(&HELLO[..3], b"", 5),
            Err(InflateError::Corrupt(_))
        ));
    }
}
