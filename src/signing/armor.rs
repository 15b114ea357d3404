//! Removes the outer shape of pasted key text (PEM armor or bare base64) by hand rather than
//! with a PEM library, because pasted keys often have CRLF endings, indentation, odd wrapping
//! or leading notes that strict RFC 7468 parsers reject.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::keys::KeyError;

/// Key text with its outer shape removed.
pub(super) enum Armored {
    /// A PEM block: its label and the decoded body.
    Pem { label: String, der: Vec<u8> },
    /// Bare base64, decoded.
    Bare(Vec<u8>),
}

/// Splits PEM armor from the body, or decodes bare base64; the DER is interpreted by the caller.
pub(super) fn unarmor(text: &str) -> Result<Armored, KeyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(KeyError::Empty);
    }
    // Text before the block (e.g. `openssl pkcs12` "Bag Attributes") is ignored.
    let Some((_, after_begin)) = text.split_once("-----BEGIN ") else {
        let der = decode_base64(text).ok_or(KeyError::NotPemOrBase64)?;
        return Ok(Armored::Bare(der));
    };
    let (label, rest) = after_begin
        .split_once("-----")
        .ok_or(KeyError::UnterminatedPem)?;
    let end_line = format!("-----END {label}-----");
    let (body, _) = rest
        .split_once(&end_line)
        .ok_or(KeyError::UnterminatedPem)?;
    // Legacy OpenSSL encryption adds `Proc-Type:`/`DEK-Info:` headers inside the block.
    if label.contains("ENCRYPTED") || body.contains(':') {
        return Err(KeyError::Encrypted);
    }
    let der = decode_base64(body).ok_or(KeyError::PemBodyNotBase64)?;
    let label = label.to_owned();
    Ok(Armored::Pem { label, der })
}

/// Decodes standard base64, ignoring all whitespace (line wrapping, CRLF, indentation).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "AAECAw==";

    #[test]
    fn decodes_bare_base64_with_crlf_and_indentation() {
        let Ok(Armored::Bare(der)) = unarmor("  AAEC\r\n  Aw==\r\n") else {
            panic!("not bare base64");
        };
        assert_eq!(der, [0, 1, 2, 3]);
    }

    #[test]
    fn reads_label_and_body_ignoring_text_before_the_block() {
        let text = format!(
            "Bag Attributes\r\n-----BEGIN RSA PRIVATE KEY-----\r\n  {BODY}\r\n-----END RSA PRIVATE KEY-----\r\n"
        );
        let Ok(Armored::Pem { label, der }) = unarmor(&text) else {
            panic!("not pem");
        };
        assert_eq!(
            (label.as_str(), der.as_slice()),
            ("RSA PRIVATE KEY", &[0, 1, 2, 3][..])
        );
    }

    #[test]
    fn reports_each_way_the_shape_can_be_wrong() {
        let legacy = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\n{BODY}\n-----END RSA PRIVATE KEY-----"
        );
        let cases = [
            ("  \n", "key text is empty"),
            ("not base64!", "key is neither pem"),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA",
                "pem block has no matching",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nAA*A\n-----END PRIVATE KEY-----",
                "pem body is not valid",
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
                "encrypted keys",
            ),
            (legacy.as_str(), "encrypted keys"),
        ];
        for (text, start) in cases {
            let message = unarmor(text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(message.starts_with(start), "{text:?} gave {message:?}");
        }
    }
}
