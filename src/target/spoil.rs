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
pub enum Spoil {
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
