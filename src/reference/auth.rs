//! The signing protocol as the reference implementation speaks it: requests must carry a
//! `Signature` that verifies with the client's public key, and answers are signed with the
//! server's private key over their exact bytes.

use std::sync::Arc;

use super::Incoming;
use crate::signing::{self, PrivateKey, PublicKey, headers};

/// The keys the reference implementation uses; both optional and independent.
#[derive(Debug, Clone)]
pub struct ServerSigning {
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
    pub fn none() -> Self {
        ServerSigning::default()
    }

    /// Whether requests must be signed.
    pub fn checks_requests(&self) -> bool {
        self.client_public_key.is_some()
    }

    /// `Ok` when requests need no signature or this one's verifies; otherwise why not, in a
    /// sentence short enough for a result message.
    pub fn check_request(&self, request: &Incoming) -> Result<(), String> {
        let Some(key) = &self.client_public_key else {
            return Ok(());
        };
        let signature = header(request, headers::SIGNATURE).ok_or("Signature header is missing")?;
        let client_id = header(request, headers::CLIENT_ID).ok_or("Client-Id header is missing")?;
        let time =
            header(request, headers::REQUEST_TIME).ok_or("Request-Time header is missing")?;
        let content = signing::content_to_sign(
            request.method.as_str(),
            &request.path,
            client_id,
            time,
            &request.body,
        );
        signing::verify(key, &content, signature)
            .map_err(|e| format!("request signature rejected: {e}"))
    }

    /// The headers that sign `body` as the answer to `request`: the request's `Client-Id`,
    /// `Response-Time` and `Signature`; none without a private key.
    pub fn answer_headers(&self, request: &Incoming, body: &[u8]) -> Vec<(&'static str, String)> {
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

fn header<'r>(request: &'r Incoming, name: &str) -> Option<&'r str> {
    let value = request.headers.get(name)?.to_str().ok()?;
    Some(value).filter(|v| !v.is_empty())
}
