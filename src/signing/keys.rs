//! RSA key loading for message signing: accepts the PEM and bare-base64 DER shapes that
//! integrators paste into configuration, and keeps key material out of `Debug` and error text.

use std::fmt;

use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

use super::armor::{Armored, unarmor};

/// An RSA private key ready to produce RSA256 (PKCS#1 v1.5 over SHA-256) signatures.
///
/// `Debug` shows only the algorithm and size, e.g. `PrivateKey(RSA, 2048 bits)`.
#[derive(Clone)]
pub struct PrivateKey(SigningKey<Sha256>);

/// An RSA public key ready to check RSA256 signatures.
///
/// `Debug` shows only the algorithm and size, e.g. `PublicKey(RSA, 2048 bits)`.
#[derive(Clone)]
pub struct PublicKey(VerifyingKey<Sha256>);

/// Why key text could not be loaded. Messages never repeat the key text.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text was empty or only whitespace.
    #[error("key text is empty")]
    Empty,
    /// The text is neither a PEM block nor base64.
    #[error("key is neither pem (-----BEGIN ...-----) nor bare base64 der")]
    NotPemOrBase64,
    /// A `-----BEGIN` line has no matching `-----END` line.
    #[error("pem block has no matching -----END line")]
    UnterminatedPem,
    /// The PEM body between the armor lines is not base64.
    #[error("pem body is not valid base64")]
    PemBodyNotBase64,
    /// The key is password-protected; this harness does not take passwords.
    #[error("encrypted keys are not supported; decrypt it first (e.g. `openssl pkey`)")]
    Encrypted,
    /// The PEM label names something other than an RSA key of the wanted kind.
    #[error("pem label {label:?} is not supported; expected {expected}")]
    UnsupportedLabel {
        /// The label, or `?` when it does not look like a label.
        label: String,
        /// The labels that would have been accepted.
        expected: &'static str,
    },
    /// A public key was given where a private key is needed, or the other way round.
    #[error("found a {found} key where a {wanted} key is needed")]
    WrongKind {
        /// What the text contains.
        found: &'static str,
        /// What the caller asked for.
        wanted: &'static str,
    },
    /// The DER inside a labelled PEM block did not decode as the format its label promises.
    #[error("not a valid {format} rsa key: {reason}")]
    InvalidDer {
        /// The format implied by the PEM label.
        format: &'static str,
        /// The decoder's explanation (structural; it never contains key bytes).
        reason: String,
    },
    /// A key could not be generated (the system's random source failed).
    #[error("cannot generate a key: {reason}")]
    Generate {
        /// Why.
        reason: String,
    },
    /// Bare base64 DER matched none of the formats tried.
    #[error("base64 der did not decode as any of: {tried}")]
    NoFormatMatched {
        /// The formats tried, in order.
        tried: &'static str,
    },
}

/// Accepted labels, named in `UnsupportedLabel` so the fix is obvious.
const PRIVATE_LABELS: &str = "PRIVATE KEY (pkcs#8) or RSA PRIVATE KEY (pkcs#1)";
const PUBLIC_LABELS: &str = "PUBLIC KEY (spki) or RSA PUBLIC KEY (pkcs#1)";

impl PrivateKey {
    /// Loads a private key from PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`) or from
    /// bare base64 DER (wrapped or not; PKCS#8 is tried first, then PKCS#1).
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let key = match unarmor(text)? {
            Armored::Pem { label, der } => match label.as_str() {
                "PRIVATE KEY" => {
                    rsa::PrivateKey::from_pkcs8_der(&der).map_err(|e| invalid("pkcs#8", e))?
                }
                "RSA PRIVATE KEY" => {
                    rsa::PrivateKey::from_pkcs1_der(&der).map_err(|e| invalid("pkcs#1", e))?
                }
                "PUBLIC KEY" | "RSA PUBLIC KEY" => return Err(wrong_kind("public", "private")),
                _ => return Err(unsupported(&label, PRIVATE_LABELS)),
            },
            Armored::Bare(der) => private_from_der(&der).ok_or_else(|| {
                if public_from_der(&der).is_some() {
                    wrong_kind("public", "private")
                } else {
                    KeyError::NoFormatMatched {
                        tried: "pkcs#8, pkcs#1",
                    }
                }
            })?,
        };
        Ok(Self(SigningKey::new(key)))
    }

    /// A fresh key of `bits` bits (public exponent 65537) from the operating system's random
    /// source: a key nobody holds, for a signature that must not verify. A prime search (tens of
    /// milliseconds for 2048 bits, with outliers), so done once per run and off the async threads.
    pub(crate) fn generate(bits: usize) -> Result<Self, KeyError> {
        let mut rng = getrandom::SysRng;
        let key = rsa::PrivateKey::new(&mut rng, bits).map_err(|e| KeyError::Generate {
            reason: e.to_string(),
        })?;
        Ok(Self(SigningKey::new(key)))
    }

    /// The matching public key, e.g. to check our own signatures.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(VerifyingKey::new(self.0.as_ref().to_public_key()))
    }

    /// The modulus size in bits (2048 for the usual keys).
    pub(crate) fn bits(&self) -> usize {
        modulus_bits(self.0.as_ref().as_public_key())
    }

    /// The signing key for `mod.rs`; kept crate-private so callers cannot reach key material.
    pub(super) fn signer(&self) -> &SigningKey<Sha256> {
        &self.0
    }
}

impl PublicKey {
    /// Loads a public key from PEM (SubjectPublicKeyInfo `PUBLIC KEY`, or PKCS#1
    /// `RSA PUBLIC KEY` as a courtesy) or from bare base64 SubjectPublicKeyInfo DER.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let key = match unarmor(text)? {
            Armored::Pem { label, der } => match label.as_str() {
                "PUBLIC KEY" => {
                    rsa::PublicKey::from_public_key_der(&der).map_err(|e| invalid("spki", e))?
                }
                "RSA PUBLIC KEY" => {
                    rsa::PublicKey::from_pkcs1_der(&der).map_err(|e| invalid("pkcs#1", e))?
                }
                "PRIVATE KEY" | "RSA PRIVATE KEY" => return Err(wrong_kind("private", "public")),
                _ => return Err(unsupported(&label, PUBLIC_LABELS)),
            },
            Armored::Bare(der) => public_from_der(&der).ok_or_else(|| {
                // A pasted private key is the classic mistake here; say so rather than "invalid".
                if private_from_der(&der).is_some() {
                    wrong_kind("private", "public")
                } else {
                    KeyError::NoFormatMatched {
                        tried: "spki, pkcs#1",
                    }
                }
            })?,
        };
        Ok(Self(VerifyingKey::new(key)))
    }

    /// The modulus size in bits; also the signature length in bits.
    pub(crate) fn bits(&self) -> usize {
        modulus_bits(self.0.as_ref())
    }

    /// SHA-256 of the key as DER SubjectPublicKeyInfo, lowercase hex: names a key in reports
    /// without showing it (`openssl pkey -pubin -outform DER | sha256sum` gives the same).
    pub fn fingerprint(&self) -> String {
        let der = self.0.as_ref().to_public_key_der().map(|d| d.into_vec());
        // Encoding a loaded RSA key cannot fail; an empty digest input would only blur the name.
        let digest = Sha256::digest(der.unwrap_or_default());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The signature length in bytes that this key accepts.
    pub(super) fn signature_len(&self) -> usize {
        self.0.as_ref().size()
    }

    /// The verifying key for `mod.rs`.
    pub(super) fn verifier(&self) -> &VerifyingKey<Sha256> {
        &self.0
    }
}

/// Two public keys are equal when they check the same signatures (same modulus and exponent).
impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(RSA, {} bits)", self.bits())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(RSA, {} bits)", self.bits())
    }
}

/// `text` with every PEM block in it (`-----BEGIN ...` to its `-----END ...-----`, or to the
/// end of the text when cut short) replaced by `[key text not shown]`: an error quoting what a
/// user gave where a path or a variable's name was expected (a key pasted into a target
/// profile, or onto the command line) must not print the key.
pub(crate) fn hide_key_text(text: &str) -> std::borrow::Cow<'_, str> {
    const BEGIN: &str = "-----BEGIN";
    const SHOWN: &str = "[key text not shown]";
    if !text.contains(BEGIN) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        out.push_str(&rest[..start]);
        let block = &rest[start..];
        let header = block[BEGIN.len()..]
            .find("-----")
            .map_or(0, |at| BEGIN.len() + at + 5);
        // A label alone (a message naming the block it expected) holds no key.
        let material = block[header..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "+/=\r\n \t".contains(*c))
            .filter(char::is_ascii_alphanumeric)
            .count();
        if header == 0 || material < 8 {
            let skip = header.max(BEGIN.len());
            out.push_str(&block[..skip]);
            rest = &block[skip..];
            continue;
        }
        out.push_str(SHOWN);
        // The END line's own closing dashes end the block; a block cut short (a message may
        // quote a value only in part) ends where its base64 lines do.
        let end = block.find("-----END").and_then(|at| {
            let after = &block[at + "-----END".len()..];
            after
                .find("-----")
                .map(|close| at + "-----END".len() + close + "-----".len())
        });
        let cut = || {
            let pem = |c: char| c.is_ascii_alphanumeric() || "+/=\r\n \t".contains(c);
            let body = block[header..]
                .find(|c: char| !pem(c))
                .unwrap_or(block.len() - header);
            header + body
        };
        rest = &block[end.unwrap_or_else(cut)..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn modulus_bits(key: &rsa::PublicKey) -> usize {
    key.n().bit_width() as usize
}

fn private_from_der(der: &[u8]) -> Option<rsa::PrivateKey> {
    let pkcs8 = rsa::PrivateKey::from_pkcs8_der(der).ok();
    pkcs8.or_else(|| rsa::PrivateKey::from_pkcs1_der(der).ok())
}

fn public_from_der(der: &[u8]) -> Option<rsa::PublicKey> {
    let spki = rsa::PublicKey::from_public_key_der(der).ok();
    spki.or_else(|| rsa::PublicKey::from_pkcs1_der(der).ok())
}

fn invalid(format: &'static str, error: impl fmt::Display) -> KeyError {
    let reason = error.to_string();
    KeyError::InvalidDer { format, reason }
}

fn wrong_kind(found: &'static str, wanted: &'static str) -> KeyError {
    KeyError::WrongKind { found, wanted }
}

/// Echoes the label only when it looks like one (short, upper-case words), so that a
/// mangled paste can never leak key text into the message.
fn unsupported(label: &str, expected: &'static str) -> KeyError {
    let looks_like_label = label.len() <= 40
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ');
    let label = if looks_like_label { label } else { "?" }.to_owned();
    KeyError::UnsupportedLabel { label, expected }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_text_in_a_message_is_hidden_whole_or_cut_short() {
        let key =
            "-----BEGIN PRIVATE KEY-----\nMIIEvAIBADAN\n+TkZwf3U==\n-----END PRIVATE KEY-----";
        let whole = format!("unknown variant `{key}`, expected `file`");
        assert_eq!(
            hide_key_text(&whole),
            "unknown variant `[key text not shown]`, expected `file`"
        );
        let cut = "unexpected argument '-----BEGIN PRIVATE KEY-----\nMIIEvAIBADAN\n+Tk' found";
        assert_eq!(
            hide_key_text(cut),
            "unexpected argument '[key text not shown]' found"
        );
        assert!(matches!(
            hide_key_text("no key here"),
            std::borrow::Cow::Borrowed(_)
        ));
        let label = "no certificate found (expected a PEM block `-----BEGIN CERTIFICATE-----`)";
        assert_eq!(hide_key_text(label), label);
    }
    use crate::signing::test_support::fixture;

    const PKCS8: &str = "test_rsa2048_pkcs8.pem";
    const PKCS1: &str = "test_rsa2048_pkcs1.pem";
    const SPKI: &str = "test_rsa2048_pub_spki.pem";

    /// The PEM body alone, i.e. the bare base64 DER shape some integrators paste.
    fn strip_armor(pem: &str) -> String {
        pem.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    #[test]
    fn a_generated_key_has_the_size_asked_for_and_is_nobody_elses() {
        let generated = PrivateKey::generate(2048).unwrap();
        assert_eq!(generated.bits(), 2048);
        let fixture_key = PublicKey::from_text(&fixture(SPKI)).unwrap();
        assert_ne!(generated.public_key(), fixture_key);
    }

    #[test]
    fn fingerprint_is_openssls_sha256_of_the_der_public_key() {
        // openssl pkey -pubin -in test_rsa2048_pub_spki.pem -outform DER | sha256sum
        let expected = "2ca5d946e6a7fb6dc50f1d57856c560eca1f2e4b2c903e52ef7944d7358f3cdb";
        let public = PublicKey::from_text(&fixture(SPKI)).unwrap();
        assert_eq!(public.fingerprint(), expected);
        let private = PrivateKey::from_text(&fixture(PKCS1)).unwrap();
        assert_eq!(private.public_key().fingerprint(), expected);
    }

    #[test]
    fn loads_private_keys_as_pem_and_bare_base64_in_either_encoding() {
        for name in [PKCS8, PKCS1] {
            let pem = fixture(name);
            assert_eq!(PrivateKey::from_text(&pem).expect(name).bits(), 2048);
            let bare = strip_armor(&pem);
            assert_eq!(PrivateKey::from_text(&bare).expect(name).bits(), 2048);
        }
    }

    #[test]
    fn loads_spki_public_key_as_pem_and_bare_base64() {
        let pem = fixture(SPKI);
        assert_eq!(PublicKey::from_text(&pem).unwrap().bits(), 2048);
        let bare = strip_armor(&pem);
        assert_eq!(PublicKey::from_text(&bare).unwrap().bits(), 2048);
    }

    #[test]
    fn loads_pkcs1_public_pem_as_a_courtesy() {
        use rsa::pkcs1::{EncodeRsaPublicKey, LineEnding};
        let spki = PublicKey::from_text(&fixture(SPKI)).unwrap();
        let pem = spki.verifier().as_ref().to_pkcs1_pem(LineEnding::LF);
        let pem = pem.unwrap();
        assert!(pem.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
        assert!(PublicKey::from_text(&pem).unwrap().verifier() == spki.verifier());
    }

    #[test]
    fn derives_the_same_public_key_as_the_spki_file() {
        let private = PrivateKey::from_text(&fixture(PKCS1)).unwrap();
        let public = PublicKey::from_text(&fixture(SPKI)).unwrap();
        assert!(private.public_key().verifier() == public.verifier());
        assert_eq!(private.public_key(), public);
        let other = PublicKey::from_text(&fixture("other_rsa2048_pub_spki.pem")).unwrap();
        assert_ne!(other, public);
    }

    #[test]
    fn rejects_garbage_without_echoing_it() {
        let inputs = [
            "not a key at all",
            "TUlJQmdhcmJhZ2VnYXJiYWdl",
            "-----BEGIN PRIVATE KEY-----\nTUlJQmdhcmJhZ2U=\n-----END PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----\nTUlJQmdhcmJhZ2U=\n-----END PUBLIC KEY-----",
            "-----BEGIN TUlJQmdh-----\nTUlJQmdhcmJhZ2U=\n-----END TUlJQmdh-----",
        ];
        for input in inputs {
            let errors = [
                PrivateKey::from_text(input).unwrap_err(),
                PublicKey::from_text(input).unwrap_err(),
            ];
            for message in errors.map(|e| e.to_string()) {
                assert!(!message.contains("TUlJQ"), "{message}");
                assert!(!message.contains("not a key"), "{message}");
            }
        }
    }

    #[test]
    fn names_the_formats_tried_for_unrecognised_der() {
        let private = PrivateKey::from_text("TUlJQmdhcmJhZ2U=").unwrap_err();
        let expected = "base64 der did not decode as any of: pkcs#8, pkcs#1";
        assert_eq!(private.to_string(), expected);
        let public = PublicKey::from_text("TUlJQmdhcmJhZ2U=").unwrap_err();
        let expected = "base64 der did not decode as any of: spki, pkcs#1";
        assert_eq!(public.to_string(), expected);
    }

    #[test]
    fn says_when_public_and_private_keys_are_swapped() {
        let bare_public = strip_armor(&fixture(SPKI));
        let message = PrivateKey::from_text(&bare_public).unwrap_err().to_string();
        assert_eq!(message, "found a public key where a private key is needed");
        let message = PublicKey::from_text(&fixture(PKCS8))
            .unwrap_err()
            .to_string();
        assert_eq!(message, "found a private key where a public key is needed");
    }

    #[test]
    fn names_a_foreign_pem_label_and_the_accepted_ones() {
        let ec = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----";
        let message = PrivateKey::from_text(ec).unwrap_err().to_string();
        let expected = "pem label \"EC PRIVATE KEY\" is not supported; \
                        expected PRIVATE KEY (pkcs#8) or RSA PRIVATE KEY (pkcs#1)";
        assert_eq!(message, expected);
    }

    #[test]
    fn debug_output_shows_size_but_no_key_material() {
        let private = PrivateKey::from_text(&fixture(PKCS8)).unwrap();
        assert_eq!(format!("{private:?}"), "PrivateKey(RSA, 2048 bits)");
        assert_eq!(format!("{private:#?}"), "PrivateKey(RSA, 2048 bits)");
        let public = format!("{:?}", private.public_key());
        assert_eq!(public, "PublicKey(RSA, 2048 bits)");
    }
}
