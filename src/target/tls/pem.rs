//! Reading certificates and private keys from PEM files or environment variables, with errors
//! that name the file (or variable) and the problem in words. A key's text never appears in an
//! error: PEM parser messages can quote the offending line, so they are replaced, not passed on.

use std::path::PathBuf;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::results::CertificateScope;
use crate::target::profile::KeySource;

/// A TLS file or setting that cannot be used (a usage error: nothing is sent). Messages never
/// contain key material.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsError {
    /// A file cannot be read.
    #[error("cannot read {what} file `{}`: {source}", path.display())]
    Read {
        /// `client key`, `CA certificate`, ...
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The environment variable meant to hold the text is not set.
    #[error("{what}: environment variable `{name}` is not set (or not UTF-8)")]
    Env {
        /// `client key`, `CA certificate`, ...
        what: &'static str,
        /// The variable.
        name: String,
    },
    /// The text is not what it should be.
    #[error("{what} from {origin}: {problem}")]
    Unusable {
        /// `client key`, `CA certificate`, ...
        what: &'static str,
        /// `file `...`` or `environment variable `...``.
        origin: String,
        /// Why, in words (never the text itself).
        problem: String,
    },
    /// Two settings that only work together, given apart.
    #[error("{0}")]
    Incomplete(&'static str),
    /// rustls refused the set-up as a whole.
    #[error("TLS set-up: {0}")]
    Setup(String),
}

/// Text read from a file or a variable, with where it came from.
pub(super) struct Text {
    pub bytes: Vec<u8>,
    pub origin: String,
}

/// Reads `source`.
pub(super) fn read(what: &'static str, source: &KeySource) -> Result<Text, TlsError> {
    let bytes = match source {
        KeySource::File(path) => std::fs::read(path).map_err(|source| TlsError::Read {
            what,
            path: path.clone(),
            source,
        })?,
        KeySource::Env(name) => std::env::var(name)
            .map_err(|_| TlsError::Env {
                what,
                name: name.clone(),
            })?
            .into_bytes(),
    };
    Ok(Text {
        bytes,
        origin: origin(source),
    })
}

/// How reports and errors name a source: `file `ca.pem`` or `environment variable `NAME``.
pub(super) fn origin(source: &KeySource) -> String {
    match source {
        KeySource::File(path) => format!("file `{}`", path.display()),
        KeySource::Env(name) => format!("environment variable `{name}`"),
    }
}

/// Every certificate in `text` (a PEM bundle), in order; at least one.
pub(super) fn certificates(
    what: &'static str,
    text: &Text,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let unusable = |problem: String| TlsError::Unusable {
        what,
        origin: text.origin.clone(),
        problem,
    };
    let certificates = CertificateDer::pem_slice_iter(&text.bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unusable(pem_problem(&e)))?;
    if certificates.is_empty() {
        return Err(unusable(if looks_like_der(&text.bytes) {
            "this is DER, not PEM: convert it with `openssl x509 -inform DER -in FILE -out FILE.pem`".into()
        } else {
            "no certificate found (expected a PEM block `-----BEGIN CERTIFICATE-----`)".into()
        }));
    }
    Ok(certificates)
}

/// The private key in `text`: PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1 (`BEGIN RSA PRIVATE KEY`) or
/// SEC1 (`BEGIN EC PRIVATE KEY`).
pub(super) fn private_key(
    what: &'static str,
    text: &Text,
) -> Result<PrivateKeyDer<'static>, TlsError> {
    let unusable = |problem: String| TlsError::Unusable {
        what,
        origin: text.origin.clone(),
        problem,
    };
    let encrypted = [
        &b"ENCRYPTED PRIVATE KEY-----"[..],
        b"Proc-Type: 4,ENCRYPTED",
    ];
    if encrypted.iter().any(|marker| contains(&text.bytes, marker)) {
        return Err(unusable(
            "the key is encrypted with a passphrase, which conform does not ask for: decrypt it with `openssl pkey -in KEY -out KEY.plain`".into(),
        ));
    }
    PrivateKeyDer::from_pem_slice(&text.bytes).map_err(|e| {
        unusable(match e {
            pem::Error::NoItemsFound => "no private key found (expected a PEM block `-----BEGIN PRIVATE KEY-----`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`)".into(),
            other => pem_problem(&other),
        })
    })
}

/// What is wrong with a PEM text, without quoting it.
fn pem_problem(error: &pem::Error) -> String {
    let what = match error {
        pem::Error::MissingSectionEnd { .. } => "a block has no `-----END ...-----` line",
        pem::Error::IllegalSectionStart { .. } => "a `-----BEGIN` line is malformed",
        pem::Error::Base64Decode(_) => "a block's base64 content is damaged",
        pem::Error::SectionTooLarge => "a block is larger than 256 MB",
        _ => "it cannot be read",
    };
    format!("not valid PEM: {what}")
}

fn looks_like_der(bytes: &[u8]) -> bool {
    bytes.first() == Some(&0x30)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A certificate as reports name it.
pub(super) fn shown(certificate: &CertificateDer<'_>, origin: &str) -> CertificateScope {
    CertificateScope {
        source: origin.replace('`', ""),
        sha256: sha256_hex(certificate.as_ref()),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> Text {
        Text {
            bytes: bytes.to_vec(),
            origin: "file `k.pem`".into(),
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tls")
            .join(name);
        std::fs::read(path).unwrap()
    }

    #[test]
    fn reads_pkcs8_pkcs1_and_sec1_keys() {
        let kinds = [
            ("client.pkcs8.key", "Pkcs8"),
            ("client.pkcs1.key", "Pkcs1"),
            ("client-ec.sec1.key", "Sec1"),
        ];
        for (file, kind) in kinds {
            let key = private_key("client key", &text(&fixture(file))).unwrap();
            assert!(format!("{key:?}").starts_with(kind), "{file}");
        }
    }

    #[test]
    fn a_damaged_key_is_named_without_quoting_it() {
        let mut damaged = fixture("client.pkcs8.key");
        let middle = damaged.len() / 2;
        damaged[middle] = b'!';
        let message = private_key("client key", &text(&damaged))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "client key from file `k.pem`: not valid PEM: a block's base64 content is damaged"
        );
        let cert_as_key = private_key("client key", &text(&fixture("client.pem")));
        let message = cert_as_key.unwrap_err().to_string();
        assert!(message.contains("no private key found"), "{message}");
    }

    #[test]
    fn an_encrypted_key_asks_to_be_decrypted() {
        let encrypted =
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let message = private_key("client key", &text(encrypted))
            .unwrap_err()
            .to_string();
        assert!(message.contains("encrypted with a passphrase"), "{message}");
    }

    #[test]
    fn a_bundle_gives_every_certificate_and_der_is_recognised() {
        let mut bundle = fixture("ca.pem");
        bundle.extend(fixture("other-ca.pem"));
        assert_eq!(certificates("CA", &text(&bundle)).unwrap().len(), 2);
        let der = certificates("CA", &text(&fixture("ca.pem"))).unwrap()[0].to_vec();
        let message = certificates("CA", &text(&der)).unwrap_err().to_string();
        assert!(message.contains("this is DER, not PEM"), "{message}");
        let message = certificates("CA", &text(b"")).unwrap_err().to_string();
        assert!(message.contains("no certificate found"), "{message}");
    }

    #[test]
    fn a_certificate_is_shown_by_its_der_sha256() {
        let certificate = certificates("CA", &text(&fixture("ca.pem"))).unwrap();
        let shown = shown(&certificate[0], "file `ca.pem`");
        assert_eq!(shown.source, "file ca.pem");
        // openssl x509 -in tests/fixtures/tls/ca.pem -outform DER | sha256sum
        assert_eq!(
            shown.sha256,
            "6b1c9e462f30cfc3e3c9f3ae3395464399e8e955977ae9048a71e211a610b989"
        );
    }
}
