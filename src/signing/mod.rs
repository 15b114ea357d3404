//! RSA256 message signing for the Mini Program Platform OpenAPI V2: signs outgoing requests and
//! checks counterpart signatures, so contract tests can prove both sides agree on every byte.
//!
//! Requests carry `Client-Id`, `Request-Time` and `Signature`; responses carry `Response-Time`
//! and `Signature`. Both directions sign [`content_to_sign`] built from the request's method and
//! path, with the request's or the response's time respectively.

mod armor;
mod header;
mod keys;
mod message;
#[cfg(test)]
pub(crate) mod test_support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use rsa::pkcs1v15::Signature;
use rsa::signature::{SignatureEncoding as _, Signer as _, Verifier as _};

pub(crate) use header::{ALGORITHM, HeaderError, SignatureHeader};
pub(crate) use keys::hide_key_text;
pub use keys::{KeyError, PrivateKey, PublicKey};
pub(crate) use message::abbreviate_content;
pub use message::content_to_sign;

/// Header names of the protocol, lower-case as HTTP/2 spells them (HTTP header names are
/// case-insensitive).
pub mod headers {
    /// The caller's identity; part of every string to sign, in both directions.
    pub const CLIENT_ID: &str = "client-id";
    /// When a request was signed; part of the request's string to sign.
    pub const REQUEST_TIME: &str = "request-time";
    /// When an answer was signed; part of the answer's string to sign.
    pub const RESPONSE_TIME: &str = "response-time";
    /// `algorithm=RSA256,keyVersion=1,signature=...`.
    pub const SIGNATURE: &str = "signature";
}

/// What conform shows instead of a `Signature` header value wherever it shows headers.
pub(crate) const REDACTED: &str = "[redacted]";

/// The current time as `Request-Time` and `Response-Time` carry it: ISO 8601 to the second
/// with the local offset, e.g. `2024-01-01T12:00:00+08:00`.
pub fn timestamp_now() -> String {
    jiff::ZonedDateTime::now()
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Escapes everything but RFC 3986 unreserved characters; of the base64 alphabet that means
/// `+`, `/` and `=` become `%2B`, `%2F` and `%3D`, as the official SDKs do.
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a `Signature` header did not verify.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The header value could not be split into its parts.
    #[error("malformed signature header: {0}")]
    MalformedHeader(#[from] HeaderError),
    /// The header names an algorithm other than `RSA256`.
    #[error("unsupported signature algorithm {0:?}; only RSA256 is defined")]
    UnsupportedAlgorithm(String),
    /// The signature value is not base64 once percent-escapes are decoded.
    #[error("signature is not standard base64 after url-decoding: {0}")]
    BadEncoding(String),
    /// The signature has the wrong size for the key, e.g. it was made with a different key size.
    #[error("signature is {actual} bytes but this key makes {expected}-byte signatures")]
    WrongLength {
        /// The key's signature size in bytes.
        expected: usize,
        /// The decoded signature's size in bytes.
        actual: usize,
    },
    /// Well-formed, but not a signature of this content under this key. Pair it with
    /// `abbreviate_content` so integrators can compare what each side signed.
    #[error("signature does not match the string to sign")]
    Mismatch,
}

/// Signs `content` (see [`content_to_sign`]) with RSA PKCS#1 v1.5 over SHA-256 and returns
/// the URL-encoded base64 signature. Deterministic: the same key and content give the same text.
///
/// # Panics
/// Only if the operating system's random source fails (it blinds the RSA operation; it does
/// not change the result) or the RSA self-check detects a fault. Key sizes that could not sign
/// are already refused when the key is loaded.
pub fn sign(key: &PrivateKey, content: &[u8]) -> String {
    let signature: Signature = key
        .signer()
        .try_sign(content)
        .unwrap_or_else(|e| panic!("rsa signing failed with a loaded key: {e}"));
    encode_signature(&signature.to_bytes())
}

/// Signature bytes as the header carries them: standard base64, then URL-encoded.
pub(crate) fn encode_signature(bytes: &[u8]) -> String {
    utf8_percent_encode(&STANDARD.encode(bytes), URL_ENCODE).to_string()
}

/// Signs `content` and returns the whole `Signature` header value,
/// `algorithm=RSA256,keyVersion=<key_version>,signature=<url-encoded base64>`.
///
/// # Panics
/// As [`sign`].
pub fn signature_header(key: &PrivateKey, key_version: &str, content: &[u8]) -> String {
    SignatureHeader {
        algorithm: ALGORITHM.to_owned(),
        key_version: key_version.to_owned(),
        signature: sign(key, content),
    }
    .render()
}

/// Checks a `Signature` header value against `content` with the counterpart's public key.
///
/// The signature may be URL-encoded (as specified) or raw base64; `keyVersion` is not
/// checked here, since which versions are acceptable is the caller's policy.
pub fn verify(key: &PublicKey, content: &[u8], header_value: &str) -> Result<(), VerifyError> {
    let header = SignatureHeader::parse(header_value)?;
    if header.algorithm != ALGORITHM {
        return Err(VerifyError::UnsupportedAlgorithm(header.algorithm));
    }
    let bytes = decode_signature(&header.signature)?;
    let expected = key.signature_len();
    if bytes.len() != expected {
        return Err(VerifyError::WrongLength {
            expected,
            actual: bytes.len(),
        });
    }
    let signature = Signature::try_from(bytes.as_slice()).map_err(|_| VerifyError::Mismatch)?;
    key.verifier()
        .verify(content, &signature)
        .map_err(|_| VerifyError::Mismatch)
}

/// The forms in which a `Signature` header value conform sent may come back quoted by a
/// target (in an error message, say): whole, its signature as sent (and with lower-case
/// escapes), decoded, and in URL-safe base64. Nothing conform prints or keeps may show any.
pub(crate) fn echoed_forms(header_value: &str) -> Vec<String> {
    let mut forms = vec![header_value.to_string()];
    if let Ok(header) = SignatureHeader::parse(header_value) {
        let decoded = percent_decode_str(&header.signature).decode_utf8_lossy();
        if decoded != header.signature {
            // The other spellings of the same bytes: lower-case escapes, URL-safe base64.
            forms.push(
                header
                    .signature
                    .replace("%2B", "%2b")
                    .replace("%2F", "%2f")
                    .replace("%3D", "%3d"),
            );
            forms.push(
                decoded
                    .replace('+', "-")
                    .replace('/', "_")
                    .trim_end_matches('=')
                    .to_string(),
            );
            forms.push(decoded.into_owned());
        }
        forms.push(header.signature);
    }
    forms.dedup();
    forms
}

/// Whether a signature value is URL-encoded as the protocol says: none of base64's `+`, `/`
/// and `=` left as they are. A client that URL-decodes (`URLDecoder` in Java does) turns a
/// raw `+` into a space and fails to verify an otherwise good signature.
pub(crate) fn is_url_encoded(signature: &str) -> bool {
    !signature.contains(['+', '/', '='])
}

/// Percent-decodes, then base64-decodes. Raw base64 has no `%`, so decoding it is a no-op,
/// which is what lets one path accept both forms.
fn decode_signature(value: &str) -> Result<Vec<u8>, VerifyError> {
    let unescaped: Vec<u8> = percent_decode_str(value).collect();
    STANDARD
        .decode(unescaped)
        .map_err(|e| VerifyError::BadEncoding(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::test_support::{fixture, vector, vector_private_key, vector_public_key};
    use super::*;

    fn vector_content() -> Vec<u8> {
        vector().content_to_sign.into_bytes()
    }

    #[test]
    fn reproduces_sdk_vector_byte_for_byte_from_pkcs8_key() {
        assert_eq!(
            sign(&vector_private_key(), &vector_content()),
            vector().signature_urlencoded
        );
    }

    #[test]
    fn reproduces_sdk_vector_byte_for_byte_from_pkcs1_key() {
        let key = PrivateKey::from_text(&fixture("test_rsa2048_pkcs1.pem")).unwrap();
        assert_eq!(sign(&key, &vector_content()), vector().signature_urlencoded);
    }

    #[test]
    fn builds_the_sdk_vector_header_value() {
        let header = signature_header(&vector_private_key(), "1", &vector_content());
        assert_eq!(header, vector().header);
    }

    #[test]
    fn url_encodes_exactly_the_base64_punctuation() {
        let v = vector();
        let decoded = v
            .signature_urlencoded
            .replace("%2B", "+")
            .replace("%2F", "/")
            .replace("%3D", "=");
        assert_eq!(decoded, v.signature_base64);
    }

    #[test]
    fn accepts_the_vector_signature_in_every_documented_header_shape() {
        let v = vector();
        let (encoded, raw) = (&v.signature_urlencoded, &v.signature_base64);
        let headers = [
            v.header.clone(),
            format!("algorithm=RSA256,keyVersion=1,signature={raw}"),
            format!("algorithm=RSA256, keyVersion=1, signature={encoded}"),
            format!("signature={encoded}, algorithm=RSA256"),
            format!("keyVersion=2,signature={raw},algorithm=RSA256"),
        ];
        for header in headers {
            assert!(
                verify(&vector_public_key(), &vector_content(), &header).is_ok(),
                "{header}"
            );
        }
    }

    #[test]
    fn rejects_tampered_body_time_and_path() {
        let v = vector();
        let tampered = [
            content_to_sign(&v.method, &v.path, &v.client_id, &v.request_time, b"{}"),
            content_to_sign(
                &v.method,
                &v.path,
                &v.client_id,
                "2019-11-27T19:07:42+08:00",
                v.body.as_bytes(),
            ),
            content_to_sign(
                &v.method,
                "/api/open/v2/pds/memberships/issueCard",
                &v.client_id,
                &v.request_time,
                v.body.as_bytes(),
            ),
        ];
        for content in tampered {
            let result = verify(&vector_public_key(), &content, &v.header);
            assert!(matches!(result, Err(VerifyError::Mismatch)), "{result:?}");
        }
    }

    #[test]
    fn rejects_the_signature_under_a_different_key() {
        let other = PublicKey::from_text(&fixture("other_rsa2048_pub_spki.pem")).unwrap();
        let result = verify(&other, &vector_content(), &vector().header);
        assert!(matches!(result, Err(VerifyError::Mismatch)), "{result:?}");
    }

    #[test]
    fn rejects_a_signature_with_one_flipped_byte() {
        let mut bytes = STANDARD.decode(vector().signature_base64).unwrap();
        bytes[100] ^= 0x01;
        let header = format!("algorithm=RSA256,signature={}", STANDARD.encode(&bytes));
        let result = verify(&vector_public_key(), &vector_content(), &header);
        assert!(matches!(result, Err(VerifyError::Mismatch)), "{result:?}");
    }

    #[test]
    fn rejects_unsupported_algorithm_malformed_header_and_bad_encoding() {
        let (key, content, raw) = (
            vector_public_key(),
            vector_content(),
            vector().signature_base64,
        );
        let result = verify(
            &key,
            &content,
            &format!("algorithm=RSA2048,signature={raw}"),
        );
        assert!(matches!(result, Err(VerifyError::UnsupportedAlgorithm(a)) if a == "RSA2048"));
        let result = verify(&key, &content, "RSA256 signature");
        assert!(matches!(
            result,
            Err(VerifyError::MalformedHeader(HeaderError::NotNameValue(1)))
        ));
        // A bare signature where the header belongs: its padding `=` makes it look like a part.
        let result = verify(&key, &content, &raw);
        assert!(matches!(
            result,
            Err(VerifyError::MalformedHeader(HeaderError::UnknownPart(_)))
        ));
        let result = verify(&key, &content, "algorithm=RSA256,signature=not*base64");
        assert!(
            matches!(result, Err(VerifyError::BadEncoding(_))),
            "{result:?}"
        );
        let result = verify(&key, &content, "algorithm=RSA256,signature=AAAA");
        assert!(matches!(
            result,
            Err(VerifyError::WrongLength {
                expected: 256,
                actual: 3
            })
        ));
    }

    #[test]
    fn round_trips_non_ascii_body_gateway_path_and_fractional_time() {
        let key = vector_private_key();
        let body = r#"{"name":"张三"}"#.as_bytes();
        let path = "/api/open/v2/pds/memberships/issueCard";
        let content = content_to_sign(
            "POST",
            path,
            "TEST_5X00000000000000",
            "2024-03-01T08:15:30.123-03:30",
            body,
        );
        let header = signature_header(&key, "1", &content);
        assert_eq!(verify(&key.public_key(), &content, &header).ok(), Some(()));
        let with_ascii_only = content_to_sign(
            "POST",
            path,
            "TEST_5X00000000000000",
            "2024-03-01T08:15:30.123-03:30",
            b"{\"name\":\"??\"}",
        );
        assert!(verify(&key.public_key(), &with_ascii_only, &header).is_err());
    }

    #[test]
    fn timestamps_are_iso_8601_seconds_with_an_offset() {
        let now = timestamp_now();
        let parsed = jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%:z", &now);
        assert!(parsed.is_ok(), "{now}");
        assert_eq!(now.len(), "2024-01-01T12:00:00+08:00".len(), "{now}");
    }

    #[test]
    fn mismatch_message_reads_as_documented() {
        let message = VerifyError::Mismatch.to_string();
        assert_eq!(message, "signature does not match the string to sign");
    }
}
