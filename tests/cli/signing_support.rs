//! Signing fixtures for the CLI tests: the throw-away key pair, the vector signed by the
//! official Python SDK, vectors signed independently with `openssl`, and a signed `serve`.

use serde_json::Value;

pub(crate) use crate::util::{Served, serve};

/// A key fixture's path relative to the project folder (where the CLI runs).
pub(crate) fn key(name: &str) -> String {
    format!("tests/fixtures/signing/{name}")
}

/// A key fixture's text.
pub(crate) fn key_text(name: &str) -> String {
    std::fs::read_to_string(crate::util::root().join(key(name))).unwrap()
}

/// The base64 lines of a PEM fixture: what must never be printed.
pub(crate) fn secret_lines(name: &str) -> Vec<String> {
    let text = key_text(name);
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_string)
        .collect();
    assert!(lines.len() >= 5, "{name} has its key material");
    lines
}

/// One message and its expected signature.
#[derive(Debug, Clone)]
pub(crate) struct Vector {
    pub method: String,
    pub path: String,
    pub client_id: String,
    pub time: String,
    pub body: String,
    pub content_to_sign: String,
    pub signature_urlencoded: String,
    pub signature_base64: String,
    pub header: String,
}

impl Vector {
    fn from_json(json: &Value, time_key: &str) -> Vector {
        let field = |name: &str| {
            json[name]
                .as_str()
                .unwrap_or_else(|| panic!("{name}"))
                .to_string()
        };
        Vector {
            method: field("method"),
            path: field("path"),
            client_id: field("client_id"),
            time: field(time_key),
            body: field("body"),
            content_to_sign: field("content_to_sign"),
            signature_urlencoded: field("signature_urlencoded"),
            signature_base64: field("signature_base64"),
            header: field("header"),
        }
    }

    /// `conform sign` arguments for this message, the body given literally.
    pub(crate) fn sign_args(&self) -> Vec<String> {
        [
            "sign",
            "--method",
            &self.method,
            "--path",
            &self.path,
            "--client-id",
            &self.client_id,
            "--time",
            &self.time,
            "--body",
            &self.body,
        ]
        .map(str::to_string)
        .to_vec()
    }
}

/// The vector signed by the official Python SDK.
pub(crate) fn sdk_vector() -> Vector {
    let text = key_text("vector_issueCard.json");
    Vector::from_json(&serde_json::from_str(&text).unwrap(), "request_time")
}

/// Vectors signed with `openssl dgst -sha256 -sign`, by name.
pub(crate) fn openssl_vector(name: &str) -> Vector {
    let doc: Value = serde_json::from_str(&key_text("openssl_vectors.json")).unwrap();
    let found = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name);
    Vector::from_json(found.unwrap_or_else(|| panic!("no vector {name}")), "time")
}

/// Runs `conform` with owned arguments.
pub(crate) async fn conform_owned(args: &[String]) -> crate::util::Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::util::conform(&args).await
}

/// `conform serve` checking requests with the client's public key and signing its answers
/// (one key pair plays both sides: the fixtures have only one private key).
pub(crate) async fn signed_serve() -> Served {
    serve(&[
        crate::util::ISSUE_CARD,
        "--private-key",
        &key("test_rsa2048_pkcs1.pem"),
        "--public-key",
        &key("test_rsa2048_pub_spki.pem"),
    ])
    .await
}
