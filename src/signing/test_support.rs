//! Test-only access to the signing fixtures copied under `tests/fixtures/signing/`, so unit
//! tests never depend on the shared vectors folder at run time.

use std::path::PathBuf;

use super::{PrivateKey, PublicKey};

/// Absolute path of a file in `tests/fixtures/signing/`.
fn fixture_path(name: &str) -> PathBuf {
    [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "signing",
        name,
    ]
    .iter()
    .collect()
}

/// A fixture file as text; panics with the path so a missing copy is obvious.
pub(crate) fn fixture(name: &str) -> String {
    let path = fixture_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture file as raw bytes.
pub(crate) fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The SDK-produced vector in `vector_issueCard.json`.
pub(crate) struct Vector {
    pub method: String,
    pub path: String,
    pub client_id: String,
    pub request_time: String,
    pub body: String,
    pub content_to_sign: String,
    pub signature_urlencoded: String,
    pub signature_base64: String,
    pub header: String,
}

/// Reads the vector, failing loudly if a field is missing rather than testing against "".
pub(crate) fn vector() -> Vector {
    let json: serde_json::Value = serde_json::from_str(&fixture("vector_issueCard.json")).unwrap();
    let field = |name: &str| match json[name].as_str() {
        Some(value) => value.to_owned(),
        None => panic!("vector_issueCard.json has no string field {name:?}"),
    };
    Vector {
        method: field("method"),
        path: field("path"),
        client_id: field("client_id"),
        request_time: field("request_time"),
        body: field("body"),
        content_to_sign: field("content_to_sign"),
        signature_urlencoded: field("signature_urlencoded"),
        signature_base64: field("signature_base64"),
        header: field("header"),
    }
}

/// The vector's private key, loaded from its PKCS#8 PEM.
pub(crate) fn vector_private_key() -> PrivateKey {
    PrivateKey::from_text(&fixture("test_rsa2048_pkcs8.pem")).unwrap()
}

/// The vector's public key, loaded from its SPKI PEM.
pub(crate) fn vector_public_key() -> PublicKey {
    PublicKey::from_text(&fixture("test_rsa2048_pub_spki.pem")).unwrap()
}
