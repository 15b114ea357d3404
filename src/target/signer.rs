//! Signing what a target is sent, and remembering what its answers must be signed over, inside
//! the target: every send (cases, replays, settle retries, conflict and concurrency scenarios)
//! is signed without the runner knowing.

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::observe::SignatureContext;
use crate::signing::{self, PrivateKey, PublicKey, headers};

/// How a target's requests are signed and its answers checked.
///
/// `Debug` never shows key material (the key types print only their size).
#[derive(Debug, Clone)]
pub(crate) struct Signing {
    client_id: HeaderValue,
    key_version: u32,
    private_key: Option<Arc<PrivateKey>>,
    public_key: Option<Arc<PublicKey>>,
}

/// A Client-Id that cannot be sent as an HTTP header value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client id `{0}` must be printable ASCII without spaces")]
pub(crate) struct InvalidClientId(pub String);

impl Signing {
    /// Sends `client_id` as `Client-Id`; nothing is signed or checked until keys are added.
    pub(crate) fn new(client_id: &str) -> Result<Self, InvalidClientId> {
        let printable = !client_id.is_empty() && client_id.bytes().all(|b| b.is_ascii_graphic());
        let value = HeaderValue::from_str(client_id).ok().filter(|_| printable);
        let client_id = value.ok_or_else(|| InvalidClientId(client_id.to_string()))?;
        Ok(Signing {
            client_id,
            key_version: 1,
            private_key: None,
            public_key: None,
        })
    }

    /// Signs every request with `key`, announcing `key_version` in the `Signature` header.
    pub(crate) fn signing_with(mut self, key: PrivateKey, key_version: u32) -> Self {
        self.private_key = Some(Arc::new(key));
        self.key_version = key_version;
        self
    }

    /// Checks every answer's signature with the counterpart's public `key`.
    pub(crate) fn checking_with(mut self, key: PublicKey) -> Self {
        self.public_key = Some(Arc::new(key));
        self
    }

    /// The Client-Id sent.
    pub(crate) fn client_id(&self) -> &str {
        // Checked to be ASCII when built.
        self.client_id.to_str().unwrap_or_default()
    }

    /// The `keyVersion` announced.
    pub(crate) fn key_version(&self) -> u32 {
        self.key_version
    }

    /// The key requests are signed with, if any.
    pub(crate) fn private_key(&self) -> Option<&PrivateKey> {
        self.private_key.as_deref()
    }

    /// The key answers are checked with, if any.
    pub(crate) fn public_key(&self) -> Option<&PublicKey> {
        self.public_key.as_deref()
    }

    /// The headers for one request: `Client-Id`, and with a private key `Request-Time` and a
    /// `Signature` over exactly `method`, `path` (as sent) and `body` (the bytes sent).
    pub(crate) fn request_headers(&self, method: &str, path: &str, body: &[u8]) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name(headers::CLIENT_ID), self.client_id.clone());
        if let Some(key) = &self.private_key {
            map.extend(self.signed_by(key, method, path, self.client_id(), body));
        }
        map
    }

    /// `Request-Time` and a `Signature` by `key` over exactly `method`, `path`, `client_id` and
    /// `body`, whatever is then sent: the one place a request signature is made, for the
    /// requests as they go and for the ones a security probe spoils.
    pub(super) fn signed_by(
        &self,
        key: &PrivateKey,
        method: &str,
        path: &str,
        client_id: &str,
        body: &[u8],
    ) -> HeaderMap {
        let mut map = HeaderMap::new();
        let time = signing::timestamp_now();
        let content = signing::content_to_sign(method, path, client_id, &time, body);
        let version = self.key_version.to_string();
        let signature = signing::signature_header(key, &version, &content);
        // Both are ASCII by construction (a formatted time, base64 and URL escapes).
        if let (Ok(time), Ok(mut signature)) = (time.parse(), signature.parse::<HeaderValue>()) {
            signature.set_sensitive(true);
            map.insert(name(headers::REQUEST_TIME), time);
            map.insert(name(headers::SIGNATURE), signature);
        }
        map
    }

    /// What an answer to `method path` must be signed over, when answers are checked.
    pub(crate) fn context(&self, method: &str, path: &str) -> Option<SignatureContext> {
        self.context_for(method, path, self.client_id())
    }

    /// What an answer to `method path` sent with `client_id` must be signed over: an answer is
    /// signed with the Client-Id its request carried.
    pub(super) fn context_for(
        &self,
        method: &str,
        path: &str,
        client_id: &str,
    ) -> Option<SignatureContext> {
        let public_key = self.public_key.clone()?;
        Some(SignatureContext {
            public_key,
            method: method.to_string(),
            path: path.to_string(),
            client_id: client_id.to_string(),
        })
    }
}

fn name(text: &'static str) -> HeaderName {
    HeaderName::from_static(text)
}

/// A header value as conform shows it: `Signature` values are replaced by
/// [`signing::REDACTED`], so reports and snapshots never carry signatures.
#[cfg(test)]
pub(crate) fn shown_header_value<'a>(name: &str, value: &'a str) -> &'a str {
    if name.eq_ignore_ascii_case(headers::SIGNATURE) {
        signing::REDACTED
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::test_support::fixture;

    fn keys() -> (PrivateKey, PublicKey) {
        let private = PrivateKey::from_text(&fixture("test_rsa2048_pkcs8.pem")).unwrap();
        let public = PublicKey::from_text(&fixture("test_rsa2048_pub_spki.pem")).unwrap();
        (private, public)
    }

    #[test]
    fn rejects_client_ids_that_are_not_printable_ascii() {
        for bad in ["", "has space", "tab\there", "张三"] {
            assert_eq!(Signing::new(bad).unwrap_err(), InvalidClientId(bad.into()));
        }
        assert_eq!(Signing::new("TEST_5X0").unwrap().client_id(), "TEST_5X0");
    }

    #[test]
    fn signs_the_exact_bytes_and_path_given() {
        let (private, public) = keys();
        let signing = Signing::new("C1").unwrap().signing_with(private, 3);
        let body = r#"{"name":"张三"}"#.as_bytes();
        let map = signing.request_headers("POST", "/api/open/v2/x", body);
        let text = |h: &str| map.get(h).unwrap().to_str().unwrap().to_string();
        assert_eq!(text("client-id"), "C1");
        let signature = text("signature");
        assert!(signature.starts_with("algorithm=RSA256,keyVersion=3,signature="));
        let content =
            signing::content_to_sign("POST", "/api/open/v2/x", "C1", &text("request-time"), body);
        assert!(signing::verify(&public, &content, &signature).is_ok());
        let without_prefix =
            signing::content_to_sign("POST", "/v2/x", "C1", &text("request-time"), body);
        assert!(signing::verify(&public, &without_prefix, &signature).is_err());
    }

    #[test]
    fn sends_only_the_client_id_without_a_private_key() {
        let map = Signing::new("C1")
            .unwrap()
            .request_headers("POST", "/p", b"{}");
        assert_eq!(map.len(), 1);
        assert!(Signing::new("C1").unwrap().context("POST", "/p").is_none());
    }

    #[test]
    fn redacts_signature_values_whatever_the_case() {
        assert_eq!(
            shown_header_value("Signature", "algorithm=RSA256,signature=abc"),
            "[redacted]"
        );
        assert_eq!(shown_header_value("SIGNATURE", "x"), "[redacted]");
        assert_eq!(shown_header_value("response-time", "2024"), "2024");
    }
}
