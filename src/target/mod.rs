//! Sending requests to a target over HTTP and capturing what came back.
//!
//! The embedded reference implementation is reached the same way as a live target (over
//! loopback), so every run exercises the real transport path. One client per run: connections
//! are pooled and reused across cases. With a [`Signing`] set-up every request is signed here,
//! so the runner never has to know.

pub mod headers;
pub mod profile;
mod signer;

pub use headers::{Secrets, TargetHeader};
pub use signer::{InvalidClientId, SignatureContext, Signing, shown_header_value};

use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

/// What conform sends as `Content-Type`.
pub const REQUEST_CONTENT_TYPE: &str = "application/json; charset=UTF-8";

/// A target reached over HTTP.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    client: reqwest::Client,
    base: String,
    timeout: Duration,
    signing: Option<Arc<Signing>>,
}

/// A response as received.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Vec<u8>,
    /// Time from sending to the end of the body.
    pub elapsed: Duration,
    /// What the answer's signature must verify against, when the target checks signatures.
    pub signature_context: Option<SignatureContext>,
}

/// Why no response came back; a failed `transport` check, not a harness error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The time-out passed first.
    #[error("no response within {}", crate::units::format_duration(*.0))]
    Timeout(Duration),
    /// The connection could not be made.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// Where.
        url: String,
        /// Why, from the OS or TLS layer.
        reason: String,
    },
    /// Anything else on the way (reset connection, bad framing, ...).
    #[error("request to {url} failed: {reason}")]
    Other {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
}

/// A target URL or client that cannot be used at all (a harness error, exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid target `{url}`: {reason}")]
pub struct TargetError {
    /// The URL given.
    pub url: String,
    /// Why it cannot be used.
    pub reason: String,
}

impl HttpTarget {
    /// A target at `base` (scheme, host, port and any gateway prefix such as `/api/open`).
    pub fn new(base: &str, timeout: Duration) -> Result<Self, TargetError> {
        let invalid = |reason: String| TargetError {
            url: base.to_string(),
            reason,
        };
        let url = reqwest::Url::parse(base).map_err(|e| invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(invalid(
                "expected an http:// or https:// URL with a host".into(),
            ));
        }
        if url.query().is_some() {
            return Err(invalid("a base URL cannot carry a query".into()));
        }
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(64);
        if url.scheme() == "http" {
            // Loading the system's root certificates costs a few milliseconds, a large share
            // of a short run; a plain-HTTP target never uses them.
            builder = builder.tls_certs_only(Vec::new());
        }
        let client = builder.build().map_err(|e| invalid(e.to_string()))?;
        Ok(HttpTarget {
            client,
            base: base.trim_end_matches('/').to_string(),
            timeout,
            signing: None,
        })
    }

    /// Signs every request and checks every answer as `signing` says.
    pub fn with_signing(mut self, signing: Signing) -> Self {
        self.signing = Some(Arc::new(signing));
        self
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The path as sent: the base URL's own path prefix followed by the operation's path,
    /// exactly as it goes on the wire (the URL parser's escaping included), because that is
    /// what a signature covers.
    pub fn path_as_sent(&self, path: &str) -> String {
        match reqwest::Url::parse(&format!("{}{path}", self.base)) {
            Ok(url) => url.path().to_string(),
            Err(_) => path.to_string(),
        }
    }

    /// Sends one request with a JSON body and extra headers.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        headers: HeaderMap,
    ) -> Result<Response, TransportError> {
        let url = format!("{}{path}", self.base);
        let method =
            reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let (signed, signature_context) = match &self.signing {
            Some(signing) => {
                let sent_path = self.path_as_sent(path);
                (
                    signing.request_headers(method.as_str(), &sent_path, &body),
                    signing.context(method.as_str(), &sent_path),
                )
            }
            None => (HeaderMap::new(), None),
        };
        let started = Instant::now();
        let result = self
            .client
            .request(method, &url)
            .header(CONTENT_TYPE, HeaderValue::from_static(REQUEST_CONTENT_TYPE))
            .headers(headers)
            .headers(signed)
            .body(body)
            .send()
            .await;
        let response = result.map_err(|e| self.transport_error(&url, &e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(&url, &e))?;
        Ok(Response {
            status,
            headers,
            body: body.to_vec(),
            elapsed: started.elapsed(),
            signature_context,
        })
    }

    fn transport_error(&self, url: &str, err: &reqwest::Error) -> TransportError {
        if err.is_timeout() {
            return TransportError::Timeout(self.timeout);
        }
        let reason = root_cause(err);
        if err.is_connect() {
            TransportError::Connect {
                url: url.to_string(),
                reason,
            }
        } else {
            TransportError::Other {
                url: url.to_string(),
                reason,
            }
        }
    }
}

/// The innermost cause: "Connection refused (os error 111)" says more than "error sending
/// request".
fn root_cause(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// reqwest is built without a default TLS crypto provider (ring is lighter to build than
/// aws-lc); install ring once per process.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Response {
    /// The value of a header, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
