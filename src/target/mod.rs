//! Sending requests to a target over HTTP and capturing what came back.
//!
//! The embedded reference implementation is reached the same way as a live target (over
//! loopback), so every run exercises the real transport path. One client per run: connections
//! are pooled and reused across cases. With a [`Signing`] set-up every request is signed here,
//! so the runner never has to know. TLS is set up by [`tls`], which also puts a failed
//! handshake into words.

pub mod profile;
mod signer;
pub mod tls;

pub use signer::{InvalidClientId, Signing, shown_header_value};

use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use reqwest::Url;

use crate::observe::{Exchange, Request, Response, Sent, TransportError};

/// A target reached over HTTP.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    client: reqwest::Client,
    base: String,
    base_url: Url,
    timeout: Duration,
    signing: Option<Arc<Signing>>,
    tls: Option<Arc<tls::Explainer>>,
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
    /// A target at `base` (scheme, host, port and any gateway prefix such as `/api/open`),
    /// reached over TLS as `tls` says when `base` is `https://`.
    pub fn new(base: &str, timeout: Duration, tls: &tls::ClientTls) -> Result<Self, TargetError> {
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
        let mut explainer = None;
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(64);
        if url.scheme() == "http" {
            // Loading the system's root certificates costs a few milliseconds, a large share
            // of a short run; a plain-HTTP target never uses them.
            builder = builder.tls_certs_only(Vec::new());
        } else {
            let config = tls.client_config().map_err(|e| invalid(e.to_string()))?;
            explainer = Some(Arc::new(tls::Explainer::new(&config, tls.hints())));
            builder = builder.tls_backend_preconfigured(config);
        }
        let client = builder.build().map_err(|e| invalid(e.to_string()))?;
        Ok(HttpTarget {
            client,
            base: base.trim_end_matches('/').to_string(),
            base_url: url,
            timeout,
            signing: None,
            tls: explainer,
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

    /// The URL a request for `path` (path and query, relative to the base) goes to.
    fn url_for(&self, path: &str) -> Result<Url, TransportError> {
        let text = format!("{}{path}", self.base);
        Url::parse(&text).map_err(|e| TransportError::Other {
            url: text,
            reason: e.to_string(),
        })
    }

    /// Sends `request` (signed, when signing is set up) and records what went on the wire and
    /// what came back.
    pub async fn send(&self, request: &Request) -> Exchange {
        let url = match self.url_for(&request.path) {
            Ok(url) => url,
            Err(err) => return self.unsent(request, err),
        };
        let body = request.body.clone().unwrap_or_default();
        let mut headers = request.headers.clone();
        let mut signature_context = None;
        if let Some(signing) = &self.signing {
            let method = request.method.as_str();
            headers.extend(signing.request_headers(method, url.path(), &body));
            signature_context = signing.context(method, url.path());
        }
        let sent = Sent {
            method: request.method.clone(),
            url,
            headers,
            body,
            key: request.key.clone(),
        };
        let answer = self.exchange(&sent).await;
        let answer = answer.map(|r| r.with_signature_context(signature_context));
        Exchange { sent, answer }
    }

    async fn exchange(&self, sent: &Sent) -> Result<Response, TransportError> {
        let started = Instant::now();
        let result = self
            .client
            .request(sent.method.clone(), sent.url.clone())
            .headers(sent.headers.clone())
            .body(sent.body.clone())
            .send()
            .await;
        let url = sent.url.as_str();
        let response = match result {
            Ok(response) => response,
            // Boxed: the probe's state would otherwise enlarge every request's future.
            Err(e) => return Err(Box::pin(self.unanswered(&sent.url, &e)).await),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(url, &e))?;
        Ok(Response::new(
            status,
            headers,
            body.to_vec(),
            started.elapsed(),
        ))
    }

    /// A request that could not even be addressed.
    fn unsent(&self, request: &Request, err: TransportError) -> Exchange {
        let sent = Sent {
            method: request.method.clone(),
            url: self.base_url.clone(),
            headers: request.headers.clone(),
            body: request.body.clone().unwrap_or_default(),
            key: request.key.clone(),
        };
        Exchange {
            sent,
            answer: Err(err),
        }
    }

    /// Why a request got no answer. A TLS reason the HTTP layer lost (an HTTP/2 connection
    /// reports a rejected client certificate only to its background task) is looked for by
    /// probing the connection.
    async fn unanswered(&self, url: &Url, err: &reqwest::Error) -> TransportError {
        if let Some(tls) = &self.tls
            && !err.is_timeout()
        {
            let reason = match tls.explain(err) {
                Some(reason) => Some(reason),
                None => tls.probe(url, self.timeout).await,
            };
            if let Some(reason) = reason {
                return TransportError::Connect {
                    url: url.to_string(),
                    reason,
                };
            }
        }
        self.transport_error(url.as_str(), err)
    }

    fn transport_error(&self, url: &str, err: &reqwest::Error) -> TransportError {
        if err.is_timeout() {
            return TransportError::Timeout(self.timeout);
        }
        if let Some(reason) = self.tls.as_ref().and_then(|tls| tls.explain(err)) {
            // A connection that cannot be secured is one that could not be made.
            return TransportError::Connect {
                url: url.to_string(),
                reason,
            };
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
