//! Sending requests to a target over HTTP and recording what went out and what came back.
//!
//! The embedded reference implementation is reached the same way as a live target (over
//! loopback), so every run exercises the real transport path. One client per run: connections
//! are pooled and reused across cases. With a [`Signing`] set-up every request is signed here,
//! so the runner never has to know. TLS is set up by [`tls`], which also puts a failed
//! handshake into words.
//!
//! A target is a stranger: redirects are never followed (a 3xx is the answer, judged like any
//! status, so a request and its signature never reach another host), bodies are read
//! incrementally up to [`Limits::max_response_size`] and no compression is negotiated, so memory
//! stays bounded whatever is sent, and a target that answers none of the run's first requests
//! is given up on (`liveness`) instead of costing a time-out per case.

pub(crate) mod headers;
mod liveness;
mod parsed;
mod plain;
mod pool;
pub(crate) mod profile;
mod read;
mod signer;
mod spoil;
pub(crate) mod tls;

pub(crate) use headers::{Secrets, TargetHeader};
pub(crate) use read::send_error;
pub(crate) use signer::Signing;
pub(crate) use spoil::Spoil;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use self::liveness::Liveness;
use crate::observe::{
    Exchange, Request, Response, Sent, SignatureContext, TransportError, shown_url,
};

/// How long to wait, how much to read, and when to give up on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Per request, from sending to the end of the body.
    pub timeout: Duration,
    /// The largest body read; a longer one is cut off and fails `transport`.
    pub max_response_size: u64,
    /// Stop sending when this many requests got no answer (time-outs, refused connections) and
    /// none ever did; 0 never stops.
    pub give_up_after: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            max_response_size: 4 << 20,
            give_up_after: 5,
        }
    }
}

/// A target reached over HTTP.
#[derive(Debug, Clone)]
pub(crate) struct HttpTarget {
    client: reqwest::Client,
    /// Plain-HTTP targets' own transport (see [`plain`]); `None` sends through `client`.
    plain: Option<plain::Plain>,
    base: String,
    base_url: Url,
    limits: Limits,
    liveness: Arc<Liveness>,
    signing: Option<Arc<Signing>>,
    tls: Option<Arc<tls::Explainer>>,
    /// Parsed URLs by request path.
    urls: Arc<parsed::Parsed<Url>>,
    /// Headers every request carries (`--header`, the profile's `headers`); secret values are
    /// marked sensitive so no record shows them.
    headers: HeaderMap,
    /// Requests sent so far, so a late replay can say how many came in between.
    sent: Arc<AtomicU64>,
}

/// A target URL or client that cannot be used at all (a harness error, exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid target `{url}`: {reason}")]
pub(crate) struct TargetError {
    /// The URL given, as [`shown_base`] shows it.
    pub url: String,
    /// Why it cannot be used.
    pub reason: String,
}

/// A target URL as messages show it, valid or not: a user name and password become `***`, and
/// so does every query value (`?api_key=***`). A URL given in CI often comes from a secret.
pub(crate) fn shown_base(base: &str) -> String {
    let (scheme, rest) = match base.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), base),
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let masked: Vec<String> = (query.split('&'))
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) => format!("{name}=***"),
                    None => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", masked.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}{authority}{tail}")
}

impl HttpTarget {
    /// A target at `base` (scheme, host, port and any gateway prefix such as `/api/open`),
    /// reached over TLS as `tls` says when `base` is `https://`.
    pub(crate) fn new(
        base: &str,
        limits: Limits,
        tls: &tls::ClientTls,
    ) -> Result<Self, TargetError> {
        let invalid = |reason: String| TargetError {
            url: shown_base(base),
            reason,
        };
        // `127.0.0.1:8080` and `localhost:8080` are the usual slips: the URL parser would
        // call them relative or give them the scheme `localhost`.
        if !base.contains("://") {
            return Err(invalid(format!(
                "a target URL starts with its scheme: write `http://{base}` (or `https://{base}` for TLS)"
            )));
        }
        let url = Url::parse(base).map_err(|e| invalid(e.to_string()))?;
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
            .timeout(limits.timeout)
            .redirect(reqwest::redirect::Policy::none())
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
        let plain = plain::Plain::for_target(&url, |name| std::env::var(name).ok());
        Ok(HttpTarget {
            client,
            plain,
            base: base.trim_end_matches('/').to_string(),
            base_url: url,
            limits,
            liveness: Arc::new(Liveness::new(limits.give_up_after)),
            signing: None,
            tls: explainer,
            urls: Arc::default(),
            headers: HeaderMap::new(),
            sent: Arc::default(),
        })
    }

    /// Sends `headers` with every request; a request's own header of the same name wins (a
    /// security probe sending a wrong credential, say).
    pub(crate) fn with_headers(mut self, headers: &[TargetHeader]) -> Result<Self, TargetError> {
        for header in headers {
            let invalid = |reason: String| TargetError {
                url: shown_base(&self.base),
                reason: format!("header `{}`: {reason}", header.name),
            };
            let name = HeaderName::from_bytes(header.name.as_bytes())
                .map_err(|e| invalid(e.to_string()))?;
            let mut value =
                HeaderValue::from_str(&header.value).map_err(|e| invalid(e.to_string()))?;
            value.set_sensitive(header.secret);
            self.headers.append(name, value);
        }
        Ok(self)
    }

    /// Signs every request and checks every answer as `signing` says.
    pub(crate) fn with_signing(mut self, signing: Signing) -> Self {
        self.signing = Some(Arc::new(signing));
        self
    }

    /// The HTTP client every request goes through: pooled, never following a redirect, TLS as
    /// configured (the traffic proxy forwards requests with it).
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The base URL, without a trailing slash.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Whether the run has stopped sending: the target answered none of its first requests.
    pub(crate) fn given_up(&self) -> bool {
        self.liveness.given_up()
    }

    /// How many unanswered requests made the run give up.
    pub(crate) fn give_up_after(&self) -> u32 {
        self.limits.give_up_after
    }

    /// Requests sent so far (each settle try and replay counts).
    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Sends `request` (signed, when signing is set up) and records what went on the wire and
    /// what came back.
    pub(crate) async fn send(&self, request: &Request) -> Exchange {
        self.send_as(request, None).await
    }

    /// Sends `request` spoiled as `spoil` says (signed wrongly, without its credentials), for a
    /// security probe, and records what went on the wire.
    pub(crate) async fn send_spoiled(&self, request: &Request, spoil: &Spoil) -> Exchange {
        self.send_as(request, Some(spoil)).await
    }

    async fn send_as(&self, request: &Request, spoil: Option<&Spoil>) -> Exchange {
        let (url, unaddressable) = match self.url_for(&request.path) {
            Ok(url) => (url, None),
            Err(err) => (self.base_url.clone(), Some(err)),
        };
        let (sent, signature_context) = self.prepare(request, url, spoil);
        let answer = match unaddressable {
            Some(err) => Err(err),
            None if self.liveness.given_up() => Err(TransportError::NotSent {
                url: sent.shown_url(),
                after: self.limits.give_up_after,
            }),
            None => {
                self.sent.fetch_add(1, Ordering::Relaxed);
                let answer = self.exchange(&sent).await;
                self.liveness.record(&answer);
                answer
            }
        };
        let answer = answer.map(|r| r.with_signature_context(signature_context));
        Exchange { sent, answer }
    }

    /// The URL a request for `path` (path and query, relative to the base) goes to.
    fn url_for(&self, path: &str) -> Result<Url, TransportError> {
        self.urls.get_or(path, |path| {
            let text = format!("{}{path}", self.base);
            Url::parse(&text).map_err(|err| TransportError::Other {
                reason: format!("not a valid URL: {err}"),
                url: text,
            })
        })
    }

    /// The request as it will go on the wire, and what its answer's signature must cover.
    fn prepare(
        &self,
        request: &Request,
        url: Url,
        spoil: Option<&Spoil>,
    ) -> (Sent, Option<SignatureContext>) {
        let mut body = request.body.clone().unwrap_or_default();
        let mut headers = self.headers.clone();
        if let Some(spoil) = spoil {
            spoil.target_headers(&mut headers);
        }
        for (name, value) in &request.headers {
            headers.insert(name, value.clone());
        }
        let mut signature_context = None;
        if let Some(signing) = &self.signing {
            let method = request.method.as_str();
            // The path as sent, query included, is what a signature covers.
            let path = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            };
            match spoil {
                None => {
                    headers.extend(signing.request_headers(method, &path, &body));
                    signature_context = signing.context(method, &path);
                }
                Some(spoil) => {
                    let spoiled = spoil.signing_headers(signing, method, &path, &body);
                    headers.extend(spoiled.headers);
                    body = spoiled.body.unwrap_or(body);
                    signature_context = signing.context_for(method, &path, &spoiled.client_id);
                }
            }
        }
        let sent = Sent {
            method: request.method.clone(),
            url,
            headers,
            body,
            key: request.key.clone(),
        };
        (sent, signature_context)
    }

    async fn exchange(&self, sent: &Sent) -> Result<Response, TransportError> {
        if let Some(plain) = &self.plain {
            return plain.exchange(sent, &self.limits).await;
        }
        let started = Instant::now();
        let url = || shown_url(&sent.url);
        let result = self
            .client
            .request(sent.method.clone(), sent.url.clone())
            .headers(sent.headers.clone())
            .body(sent.body.clone())
            .send()
            .await;
        let response = match result {
            Ok(response) => response,
            // Boxed: the probe's state would otherwise enlarge every request's future.
            Err(e) => return Err(Box::pin(self.unanswered(&sent.url, &e)).await),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let explain = |err: &reqwest::Error| self.tls.as_ref().and_then(|tls| tls.explain(err));
        let body = read::body(response, &self.limits, url, explain).await?;
        Ok(Response::new(status, headers, body, started.elapsed()))
    }

    /// Why a request got no answer. A TLS reason the HTTP layer lost (an HTTP/2 connection
    /// reports a rejected client certificate only to its background task) is looked for by
    /// probing the connection; a connection that cannot be secured is one that could not be
    /// made.
    async fn unanswered(&self, url: &Url, err: &reqwest::Error) -> TransportError {
        if let Some(tls) = &self.tls
            && !err.is_timeout()
        {
            let reason = match tls.explain(err) {
                Some(reason) => Some(reason),
                None => tls.probe(url, self.limits.timeout).await,
            };
            if let Some(reason) = reason {
                let url = shown_url(url);
                return TransportError::Connect { url, reason };
            }
        }
        read::send_error(err, shown_url(url), self.limits.timeout)
    }
}

/// reqwest is built without a default TLS crypto provider (ring is lighter to build than
/// aws-lc); install ring once per process.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
