//! The signing protocol as the reference implementation speaks it: requests must carry a
//! `Signature` that verifies with the client's public key, and answers are signed with the
//! server's private key over their exact bytes.

use std::sync::Arc;

use super::Incoming;
use crate::signing::{self, PrivateKey, PublicKey, headers};

/// The keys the reference implementation uses; both optional and independent.
#[derive(Debug, Clone)]
pub(crate) struct ServerSigning {
    /// Signs answers (`Client-Id`, `Response-Time`, `Signature`).
    pub private_key: Option<Arc<PrivateKey>>,
    /// Checks requests; one without a valid signature gets the contract's signature rejection.
    pub client_public_key: Option<Arc<PublicKey>>,
    /// The `keyVersion` announced on answers.
    pub key_version: u32,
}

impl Default for ServerSigning {
    /// Neither checks nor signs; `keyVersion` 1 once a key is added.
    fn default() -> Self {
        ServerSigning {
            private_key: None,
            client_public_key: None,
            key_version: 1,
        }
    }
}

impl ServerSigning {
    /// Neither checks nor signs.
    pub(crate) fn none() -> Self {
        ServerSigning::default()
    }

    /// Whether requests must be signed.
    pub(crate) fn checks_requests(&self) -> bool {
        self.client_public_key.is_some()
    }

    /// `Ok` when requests need no signature or this one's verifies; otherwise why not, in a
    /// sentence short enough for a result message, with the string to sign it expected.
    pub(crate) fn check_request(&self, request: &Incoming) -> Result<(), SignatureRejection> {
        let Some(key) = &self.client_public_key else {
            return Ok(());
        };
        let client_id = header(request, headers::CLIENT_ID);
        let time = header(request, headers::REQUEST_TIME);
        let content = match (client_id, time) {
            (Some(client_id), Some(time)) => Some(signing::content_to_sign(
                request.method.as_str(),
                &request.path,
                client_id,
                time,
                &request.body,
            )),
            _ => None,
        };
        let reject = |reason: String| SignatureRejection {
            method: request.method.to_string(),
            path: request.path.clone(),
            reason,
            content_to_sign: content.clone(),
        };
        let signature = header(request, headers::SIGNATURE)
            .ok_or_else(|| reject("Signature header is missing".into()))?;
        client_id.ok_or_else(|| reject("Client-Id header is missing".into()))?;
        time.ok_or_else(|| reject("Request-Time header is missing".into()))?;
        let content = content.as_deref().unwrap_or_default();
        signing::verify(key, content, signature)
            .map_err(|e| reject(format!("request signature rejected: {e}")))
    }

    /// The headers that sign `body` as the answer to `request`: the request's `Client-Id`,
    /// `Response-Time` and `Signature`; none without a private key.
    pub(crate) fn answer_headers(
        &self,
        request: &Incoming,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        let Some(key) = &self.private_key else {
            return Vec::new();
        };
        let client_id = header(request, headers::CLIENT_ID).unwrap_or_default();
        let time = signing::timestamp_now();
        let content = signing::content_to_sign(
            request.method.as_str(),
            &request.path,
            client_id,
            &time,
            body,
        );
        let signature = signing::signature_header(key, &self.key_version.to_string(), &content);
        let mut out = vec![
            (headers::RESPONSE_TIME, time),
            (headers::SIGNATURE, signature),
        ];
        if !client_id.is_empty() {
            out.push((headers::CLIENT_ID, client_id.to_string()));
        }
        out
    }
}

/// A request refused for its signature: what was asked, why it was refused, and the string to
/// sign the server expected (when the request had the headers to build one). Never holds the
/// signature or a key, so it can be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignatureRejection {
    /// The request's method.
    pub method: String,
    /// The path as sent.
    pub path: String,
    /// Why, as answered in the result message.
    pub reason: String,
    /// The string to sign built from the request, as the server verified it.
    pub content_to_sign: Option<Vec<u8>>,
}

impl std::fmt::Display for SignatureRejection {
    /// `signature rejected: POST /path: why`, then the expected string to sign, indented.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "signature rejected: {} {}: {}",
            self.method, self.path, self.reason
        )?;
        match &self.content_to_sign {
            Some(content) => {
                writeln!(f, "\n  expected string to sign:")?;
                let shown = signing::abbreviate_content(content, SHOWN_BODY_CHARS);
                for line in shown.lines() {
                    writeln!(f, "    {line}")?;
                }
                Ok(())
            }
            None => writeln!(
                f,
                "\n  no string to sign: the request lacks Client-Id or Request-Time"
            ),
        }
    }
}

/// Body characters shown in a logged string to sign (the head is always shown whole).
const SHOWN_BODY_CHARS: usize = 2048;

fn header<'r>(request: &'r Incoming, name: &str) -> Option<&'r str> {
    let value = request.headers.get(name)?.to_str().ok()?;
    Some(value).filter(|v| !v.is_empty())
}
