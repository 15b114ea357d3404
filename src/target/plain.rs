//! Plain-HTTP targets, reached through hyper's HTTP/1.1 connections directly.
//!
//! reqwest, which carries every TLS target, costs about 60,000 instructions per request on a
//! loopback target, more than conform's own planning and checking of a case: its redirect
//! layer parses each request's URL again even with redirects off, and its response parses it
//! once more. A plain-HTTP target needs none of what that buys (TLS set-up, the handshake put
//! into words, HTTP/2 by ALPN), so its requests go straight to hyper's connections, made by the
//! connector reqwest itself uses and kept in conform's own pool ([`super::pool`]), with
//! reqwest's settings: keep-alive connections (64 idle, not reused after 90 s idle),
//! `TCP_NODELAY`, TCP keep-alive probes and user time-out, `Accept: */*` unless the request
//! says otherwise, `Host` as hyper's pooled client writes it, one time-out from sending to the
//! end of the body. What goes on the wire is the same.
//!
//! A target whose URL carries credentials (reqwest turns them into a `Basic` authorization) or
//! that an HTTP proxy in the environment may apply to (reqwest honours `HTTP_PROXY` and
//! `ALL_PROXY`) stays with reqwest, so neither changes meaning.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Body as _;
use hyper::http::uri::Authority;
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::Url;
use reqwest::header::{ACCEPT, HOST, HeaderValue};

use super::Limits;
use super::parsed::Parsed;
use super::pool::{Failure, IDLE, Pool};
use super::read::{Limited, root_cause};
use crate::observe::{Response, Sent, TransportError, shown_url};

/// TCP keep-alive probing, as reqwest sets it: first probe, interval, probes before giving up.
const KEEPALIVE: (Duration, Duration, u32) = (Duration::from_secs(15), Duration::from_secs(15), 3);
/// How long sent data may go unacknowledged before the connection is dropped (Linux), as reqwest
/// sets it.
#[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
const USER_TIMEOUT: Duration = Duration::from_secs(30);
/// A deadline this far off is never reached (tokio's own "far future" is 30 years).
const NEVER: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// The pooled client for one plain-HTTP target.
#[derive(Debug, Clone)]
pub(super) struct Plain {
    pool: Arc<Pool>,
    /// The target's authority and the `Host` header hyper's client would give a request to it,
    /// worked out once: the client formats it anew for every request (2.2k instructions).
    host: Option<(Authority, HeaderValue)>,
    /// Request URIs by URL.
    uris: Arc<Parsed<hyper::Uri>>,
}

impl Plain {
    /// A client for `base`, or `None` when the target must stay with reqwest (not plain HTTP,
    /// credentials in the URL, or a proxy set in `env`).
    pub(super) fn for_target(base: &Url, env: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let proxied = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
            .iter()
            .any(|name| env(name).is_some_and(|value| !value.trim().is_empty()));
        let credentials = !base.username().is_empty() || base.password().is_some();
        if base.scheme() != "http" || proxied || credentials {
            return None;
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let (first, interval, probes) = KEEPALIVE;
        connector.set_keepalive(Some(first));
        connector.set_keepalive_interval(Some(interval));
        connector.set_keepalive_retries(Some(probes));
        #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
        connector.set_tcp_user_timeout(Some(USER_TIMEOUT));
        let host = host_header(base);
        let authority = host.as_ref().map(|(authority, _)| authority.clone());
        Some(Plain {
            pool: Arc::new(Pool::new(connector, authority, IDLE)),
            host,
            uris: Arc::default(),
        })
    }

    /// Sends `sent` and reads the whole answer within `limits`.
    pub(super) async fn exchange(
        &self,
        sent: &Sent,
        limits: &Limits,
    ) -> Result<Response, TransportError> {
        let started = Instant::now();
        // A time-out too long for a clock to hold (`--timeout` takes years) is no time-out.
        let wait = limits.timeout.min(NEVER);
        let deadline = tokio::time::Instant::from_std(started) + wait;
        let url = || shown_url(&sent.url);
        let uri = self
            .uri(sent)
            .map_err(|reason| TransportError::Other { url: url(), reason })?;
        let request = self.request(sent, uri);
        let head = tokio::time::timeout_at(deadline, self.pool.send(request)).await;
        let (response, lease) = match head {
            Err(_elapsed) => {
                return Err(TransportError::Timeout {
                    url: url(),
                    after: limits.timeout,
                });
            }
            Ok(Err(Failure::Connect(err))) => {
                let reason = root_cause(&*err);
                return Err(TransportError::Connect { url: url(), reason });
            }
            Ok(Err(Failure::Exchange(err))) => {
                let reason = root_cause(&err);
                return Err(TransportError::Other { url: url(), reason });
            }
            Ok(Ok(answered)) => answered,
        };
        let (head, body) = response.into_parts();
        let status = head.status.as_u16();
        let body = read_body(body, status, limits, deadline, url).await?;
        // Only a connection whose answer was read to the end can carry another request.
        self.pool.put_back(lease);
        Ok(Response::new(status, head.headers, body, started.elapsed()))
    }

    /// The URI `sent` goes to; the reason when its URL is not one an HTTP request can carry.
    fn uri(&self, sent: &Sent) -> Result<hyper::Uri, String> {
        self.uris.get_or(sent.url.as_str(), |text| {
            text.parse()
                .map_err(|err| format!("not a valid URL: {err}"))
        })
    }

    /// The request as hyper takes it.
    fn request(&self, sent: &Sent, uri: hyper::Uri) -> hyper::Request<Full<Bytes>> {
        let host = match &self.host {
            Some((authority, value)) if same_authority(&uri, authority) => Some(value.clone()),
            _ => host_value(&uri),
        };
        let mut request = hyper::Request::new(Full::new(sent.body.clone()));
        *request.method_mut() = sent.method.clone();
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.clone_from(&sent.headers);
        headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        // Where hyper's pooled client adds it: a request's own `Host` stays.
        if let Some(value) = host {
            headers.entry(HOST).or_insert(value);
        }
        request
    }
}

/// Whether `uri` goes to `authority`, spelled the same way: a byte comparison, where
/// `Authority`'s own equality ignores case byte by byte (280 instructions a request). A spelling
/// that differs only in case is told apart, and gets its `Host` worked out anew.
pub(super) fn same_authority(uri: &hyper::Uri, authority: &Authority) -> bool {
    uri.authority().map(Authority::as_str) == Some(authority.as_str())
}

/// The authority of `base` and the `Host` header of a request to it.
fn host_header(base: &Url) -> Option<(Authority, HeaderValue)> {
    let uri: hyper::Uri = base.as_str().parse().ok()?;
    Some((uri.authority()?.clone(), host_value(&uri)?))
}

/// The `Host` header of a request to `uri`, as hyper's pooled client writes it: the host, and
/// the port unless it is the scheme's default.
fn host_value(uri: &hyper::Uri) -> Option<HeaderValue> {
    let host = uri.host()?;
    let default = if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    };
    let value = match uri.port_u16().filter(|&port| port != default) {
        Some(port) => HeaderValue::from_str(&format!("{host}:{port}")),
        None => HeaderValue::from_str(host),
    };
    value.ok()
}

/// The whole body, frame by frame, cut off as soon as it is over the limit or the time-out.
async fn read_body(
    mut body: hyper::body::Incoming,
    status: u16,
    limits: &Limits,
    deadline: tokio::time::Instant,
    url: impl Fn() -> String,
) -> Result<Vec<u8>, TransportError> {
    let mut bytes = Limited::new(body.size_hint().exact(), status, limits, &url)?;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_elapsed) => {
                return Err(TransportError::Unfinished {
                    url: url(),
                    status,
                    after: limits.timeout,
                });
            }
            Ok(None) => return Ok(bytes.into_bytes()),
            Ok(Some(Err(err))) => {
                let reason = root_cause(&err);
                return Err(TransportError::Other { url: url(), reason });
            }
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers carry nothing the checks read.
        if let Ok(data) = frame.into_data() {
            bytes.push(&data)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::Request;
    use crate::target::{HttpTarget, TargetHeader};
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

    #[tokio::test]
    async fn puts_on_the_wire_what_reqwest_puts_there() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(201).set_body_string(r#"{"ok":true}"#))
            .mount(&server)
            .await;
        let header = TargetHeader {
            name: "Authorization".into(),
            value: "Bearer t".into(),
            secret: true,
            credential: false,
        };
        let target = HttpTarget::new(&server.uri(), Limits::default(), &Default::default())
            .unwrap()
            .with_headers(&[header])
            .unwrap();
        assert!(
            target.plain.is_some(),
            "a plain-HTTP target is carried by hyper"
        );
        let request = Request::json("POST", "/v2/cards?x=1", r#"{"a":"é"}"#);
        let exchange = target.send(&request).await;
        let answer = exchange.answer.as_ref().expect("an answer");
        assert_eq!(
            (answer.status, answer.body.as_slice()),
            (201, &br#"{"ok":true}"#[..])
        );
        // The same request as conform sent every request before: through reqwest.
        let sent = &exchange.sent;
        let client = target.client();
        let by_reqwest = client.request(sent.method.clone(), sent.url.clone());
        let by_reqwest = by_reqwest
            .headers(sent.headers.clone())
            .body(sent.body.clone());
        by_reqwest.send().await.unwrap().bytes().await.unwrap();
        let received = server.received_requests().await.unwrap();
        let [ours, theirs] = received.as_slice() else {
            panic!("two requests, not {}", received.len());
        };
        assert_eq!(ours.method, theirs.method);
        assert_eq!(ours.url, theirs.url);
        assert_eq!(ours.headers, theirs.headers);
        assert_eq!(ours.body, theirs.body);
        assert_eq!(ours.headers["accept"], "*/*");
        assert_eq!(ours.headers["authorization"], "Bearer t");
    }

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[tokio::test]
    async fn answers_under_a_time_out_no_clock_can_hold() {
        let server = MockServer::start().await;
        let answer = ResponseTemplate::new(200).set_body_string("{}");
        Mock::given(any()).respond_with(answer).mount(&server).await;
        let limits = Limits {
            timeout: Duration::MAX,
            ..Limits::default()
        };
        let target = HttpTarget::new(&server.uri(), limits, &Default::default()).unwrap();
        let exchange = target.send(&Request::json("POST", "/x", "{}")).await;
        assert_eq!(exchange.answer.expect("an answer").status, 200);
    }

    #[test]
    fn host_leaves_out_only_the_default_port() {
        let host = |text: &str| host_value(&text.parse().unwrap()).unwrap();
        assert_eq!(host("http://example.com:80/x"), "example.com");
        assert_eq!(host("http://example.com:8080/x"), "example.com:8080");
        assert_eq!(host("http://[::1]:8080/x"), "[::1]:8080");
        let (authority, value) = host_header(&url("http://127.0.0.1:9/api")).unwrap();
        assert_eq!(
            (authority.as_str(), value.to_str().unwrap()),
            ("127.0.0.1:9", "127.0.0.1:9")
        );
        let upper: hyper::Uri = "http://LOCALHOST:9/x".parse().unwrap();
        let lower = host_header(&url("http://localhost:9")).unwrap().0;
        assert!(
            !same_authority(&upper, &lower),
            "told apart, its Host worked out anew"
        );
    }

    #[test]
    fn carries_a_plain_http_target_itself() {
        assert!(Plain::for_target(&url("http://127.0.0.1:8080/api"), env(&[])).is_some());
        let blank = env(&[("HTTP_PROXY", " ")]);
        assert!(Plain::for_target(&url("http://example.com"), blank).is_some());
    }

    #[test]
    fn leaves_tls_credentials_and_proxies_to_reqwest() {
        let none = env(&[]);
        assert!(Plain::for_target(&url("https://example.com"), &none).is_none());
        assert!(Plain::for_target(&url("http://user:pw@example.com"), &none).is_none());
        assert!(Plain::for_target(&url("http://user@example.com"), &none).is_none());
        const PROXIES: [&[(&str, &str)]; 4] = [
            &[("HTTP_PROXY", "http://proxy:3128")],
            &[("http_proxy", "http://proxy:3128")],
            &[("ALL_PROXY", "socks5://proxy:1080")],
            &[("all_proxy", "http://proxy:3128")],
        ];
        for vars in PROXIES {
            let target = Plain::for_target(&url("http://example.com"), env(vars));
            assert!(target.is_none(), "{vars:?}: the target stays with reqwest");
        }
    }
}
