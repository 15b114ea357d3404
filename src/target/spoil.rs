//! Requests spoiled on purpose, for the security probes: signed wrongly, or sent without their
//! credentials. The target signs every request it sends, so this is where a signature can be
//! made over something other than what goes on the wire; the runner only says how to spoil.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::signer::Signing;
use crate::plan::security::changed_last;
use crate::signing::{self, PrivateKey, SignatureHeader, headers};

/// How to spoil a request.
#[derive(Debug, Clone)]
pub(crate) enum Spoil {
    /// `Client-Id` and `Request-Time` as usual, no `Signature`.
    Unsigned,
    /// Signed over the request's body, then sent with this body instead.
    BodyAfterSigning(Bytes),
    /// Signed with this key instead of the run's.
    OtherKey(Arc<PrivateKey>),
    /// Signed over the run's Client-Id, sent with another (its last letter or digit changed).
    OtherClientId,
    /// The `Signature` header replaced by this text.
    SignatureHeader(&'static str),
    /// A `Signature` header announcing this algorithm, its signature random bytes of the right
    /// length: only an implementation that lets the header decide how (or whether) to verify
    /// accepts it; one that ignores the name and verifies RSA256 refuses it all the same.
    Algorithm(&'static str),
    /// Signed over another path than the one sent: its last letter or digit changed (another
    /// operation's name, another resource's id).
    OtherPath,
    /// These target headers left out.
    WithoutHeaders(Vec<String>),
    /// These target headers sent with these values (secret: never shown).
    HeaderValues(Vec<(String, String)>),
}

/// What a spoiled request carries: its signing headers, the body sent when it is not the one
/// signed, and the Client-Id sent (an answer is signed with it).
pub(super) struct Spoiled {
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    pub client_id: String,
}

impl Spoil {
    /// The target's own headers, as this spoil sends them.
    pub(super) fn target_headers(&self, headers: &mut HeaderMap) {
        match self {
            Spoil::WithoutHeaders(names) => {
                for name in names {
                    headers.remove(name.as_str());
                }
            }
            Spoil::HeaderValues(values) => {
                for (name, value) in values {
                    if let (Ok(name), Ok(mut value)) = (
                        HeaderName::from_bytes(name.as_bytes()),
                        HeaderValue::from_str(value),
                    ) {
                        value.set_sensitive(true);
                        headers.insert(name, value);
                    }
                }
            }
            _ => {}
        }
    }

    /// The signing headers of `method path` with `body`, spoiled. Without a private key there
    /// is no signature to spoil: the request goes as it would.
    pub(super) fn signing_headers(
        &self,
        signing: &Signing,
        method: &str,
        path: &str,
        body: &Bytes,
    ) -> Spoiled {
        let mut spoiled = Spoiled {
            headers: signing.request_headers(method, path, body),
            body: None,
            client_id: signing.client_id().to_string(),
        };
        let Some(key) = signing.private_key() else {
            return spoiled;
        };
        let signed_by = |key: &PrivateKey, path: &str| {
            signing.signed_by(key, method, path, signing.client_id(), body)
        };
        match self {
            Spoil::Unsigned => {
                spoiled.headers.remove(headers::SIGNATURE);
            }
            Spoil::BodyAfterSigning(sent) => spoiled.body = Some(sent.clone()),
            Spoil::OtherKey(other) => spoiled.headers.extend(signed_by(other, path)),
            Spoil::OtherClientId => {
                let id = signing.client_id();
                let other = changed_last(id).unwrap_or_else(|| format!("{id}0"));
                // Printable ASCII like the Client-Id it changes.
                if let Ok(value) = HeaderValue::from_str(&other) {
                    spoiled.headers.insert(headers::CLIENT_ID, value);
                    spoiled.client_id = other;
                }
            }
            Spoil::SignatureHeader(text) => {
                spoiled
                    .headers
                    .insert(headers::SIGNATURE, HeaderValue::from_static(text));
            }
            Spoil::Algorithm(algorithm) => {
                let mut noise = vec![0u8; key.bits().div_ceil(8)];
                fastrand::fill(&mut noise);
                let header = SignatureHeader {
                    algorithm: algorithm.to_string(),
                    key_version: signing.key_version().to_string(),
                    signature: signing::encode_signature(&noise),
                };
                // Base64 and URL escapes: ASCII by construction.
                if let Ok(mut value) = HeaderValue::from_str(&header.render()) {
                    value.set_sensitive(true);
                    spoiled.headers.insert(headers::SIGNATURE, value);
                }
            }
            Spoil::OtherPath => {
                let (path_only, query) = match path.split_once('?') {
                    Some((p, q)) => (p, Some(q)),
                    None => (path, None),
                };
                let other = changed_last(path_only).unwrap_or_else(|| format!("{path_only}x"));
                let other = match query {
                    Some(query) => format!("{other}?{query}"),
                    None => other,
                };
                spoiled.headers.extend(signed_by(key, &other));
            }
            Spoil::WithoutHeaders(_) | Spoil::HeaderValues(_) => {}
        }
        spoiled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::test_support::fixture;
    use crate::signing::{content_to_sign, verify};

    fn signing() -> Signing {
        let key = PrivateKey::from_text(&fixture("test_rsa2048_pkcs8.pem")).unwrap();
        Signing::new("TEST_5X0").unwrap().signing_with(key, 1)
    }

    const PATH: &str = "/api/v1/cards/card_0123456789";

    /// Whether the spoiled request's signature verifies over `path`, `client_id` and `body`
    /// with the run's key.
    fn verifies(spoiled: &Spoiled, path: &str, client_id: &str, body: &[u8]) -> bool {
        let text = |h: &str| {
            spoiled
                .headers
                .get(h)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let (Some(time), Some(signature)) = (text("request-time"), text("signature")) else {
            return false;
        };
        let content = content_to_sign("POST", path, client_id, &time, body);
        let public = signing().private_key().unwrap().public_key();
        verify(&public, &content, &signature).is_ok()
    }

    fn spoiled(spoil: Spoil) -> Spoiled {
        spoil.signing_headers(&signing(), "POST", PATH, &Bytes::from_static(b"{\"a\":1}"))
    }

    #[test]
    fn each_spoil_breaks_only_what_it_names() {
        let body = b"{\"a\":1}";
        let other_path = spoiled(Spoil::OtherPath);
        assert!(!verifies(&other_path, PATH, "TEST_5X0", body));
        assert!(verifies(
            &other_path,
            "/api/v1/cards/card_0123456780",
            "TEST_5X0",
            body
        ));
        let other_client = spoiled(Spoil::OtherClientId);
        assert_eq!(other_client.client_id, "TEST_5X1");
        assert_eq!(other_client.headers["client-id"], "TEST_5X1");
        assert!(verifies(&other_client, PATH, "TEST_5X0", body));
        let tampered = spoiled(Spoil::BodyAfterSigning(Bytes::from_static(b"{\"a\":2}")));
        assert!(verifies(&tampered, PATH, "TEST_5X0", body));
        assert_eq!(tampered.body.as_deref(), Some(&b"{\"a\":2}"[..]));
        assert!(spoiled(Spoil::Unsigned).headers.get("signature").is_none());
        assert!(verifies(
            &spoiled(Spoil::WithoutHeaders(Vec::new())),
            PATH,
            "TEST_5X0",
            body
        ));
    }

    #[test]
    fn another_algorithm_comes_with_no_valid_signature() {
        let spoiled = spoiled(Spoil::Algorithm("none"));
        let header = spoiled.headers["signature"].to_str().unwrap().to_string();
        let parsed = SignatureHeader::parse(&header).unwrap();
        assert_eq!(parsed.algorithm, "none");
        let renamed = header.replace("algorithm=none", "algorithm=RSA256");
        let time = spoiled.headers["request-time"].to_str().unwrap();
        let content = content_to_sign("POST", PATH, "TEST_5X0", time, b"{\"a\":1}");
        let public = signing().private_key().unwrap().public_key();
        assert!(verify(&public, &content, &renamed).is_err());
        assert!(spoiled.headers["signature"].is_sensitive());
    }

    #[test]
    fn credentials_are_left_out_or_replaced_and_never_shown() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer real-1234"),
        );
        Spoil::HeaderValues(vec![("Authorization".into(), "Bearer fake-9876".into())])
            .target_headers(&mut headers);
        assert_eq!(headers["authorization"], "Bearer fake-9876");
        assert!(headers["authorization"].is_sensitive());
        Spoil::WithoutHeaders(vec!["Authorization".into()]).target_headers(&mut headers);
        assert!(headers.get("authorization").is_none());
    }
}
