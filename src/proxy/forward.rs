//! Forwarding one request: to the target's base URL with its path and query, headers as sent
//! (hop-by-hop headers aside), body streamed; the answer back the same way, status, headers and
//! body unchanged. Redirects are answers like any other: the client gets them, the proxy never
//! follows them. A target that cannot be reached gets the client a `502 Bad Gateway` (`504` when
//! it did not answer in time) saying why, and is a failed `transport` check of the exchange.
//!
//! A request for a contract's operation has its body kept (up to `--max-body-size`) and its
//! answer's (up to `--max-response-size`) as they go by, and once both are over the exchange is
//! handed to the judge. Such a request is sent without `Accept-Encoding`, so the answer comes
//! uncompressed and can be read: its bytes are exactly what the client gets.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming as IncomingBody;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use reqwest::Url;
use tokio::sync::{OwnedSemaphorePermit, oneshot};

use super::App;
use super::tee::{self, Captured, Ending, Tee};
use crate::observe::{TransportError, shown_url};
use crate::reference::Incoming;
use crate::reference::routes::Route;
use crate::traffic::Seen;
use crate::units::format_size;

/// The body of whatever the proxy answers.
pub(super) type ProxyBody = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Headers that belong to one connection, not to the message: never forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
];

/// The request as the judge will see it, waiting for its body and its answer's.
struct Pending {
    number: u64,
    operation: Option<(usize, Vec<(String, String)>)>,
    method: hyper::Method,
    path: String,
    headers: HeaderMap,
    url: Url,
    started: Instant,
    request_body: Option<oneshot::Receiver<Captured>>,
    permit: OwnedSemaphorePermit,
}

/// Answers one request by forwarding it.
pub(super) async fn handle(
    app: Arc<App>,
    request: Request<IncomingBody>,
) -> Result<Response<ProxyBody>, Infallible> {
    let number = app.next.fetch_add(1, Ordering::Relaxed) + 1;
    if let Some(max) = app.max_exchanges.filter(|&m| number > m) {
        let message = format!(
            "conform proxy: this run stops after {max} exchanges (--max-exchanges); not forwarded\n"
        );
        return Ok(text(StatusCode::SERVICE_UNAVAILABLE, message));
    }
    // Waits while too many exchanges wait to be judged: memory stays bounded.
    let Ok(permit) = Arc::clone(&app.waiting).acquire_owned().await else {
        return Ok(text(
            StatusCode::SERVICE_UNAVAILABLE,
            "conform proxy: stopping\n".into(),
        ));
    };
    Ok(forward(app, number, permit, request).await)
}

/// Forwards request `number` and answers with what came back.
async fn forward(
    app: Arc<App>,
    number: u64,
    permit: OwnedSemaphorePermit,
    request: Request<IncomingBody>,
) -> Response<ProxyBody> {
    let (parts, body) = request.into_parts();
    let operation = match app.routes.find(&parts.method, parts.uri.path()) {
        Route::Found(index, params) => Some((**index, params)),
        _ => None,
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let Ok(url) = Url::parse(&format!("{}{path}", app.base)) else {
        let message = format!("conform proxy: `{path}` cannot be forwarded to the target\n");
        return text(StatusCode::BAD_REQUEST, message);
    };
    let matched = operation.is_some();
    let headers = forwarded(&parts.headers, matched);
    let (body, request_body) = if matched && !tee::is_empty(&body) {
        let (tee, captured) = Tee::new(body, app.limits.max_body);
        (reqwest::Body::wrap(tee), Some(captured))
    } else {
        (reqwest::Body::wrap(body), None)
    };
    let pending = Underway::new(
        &app,
        Pending {
            number,
            operation,
            method: parts.method.clone(),
            path,
            headers: parts.headers,
            url: url.clone(),
            started: Instant::now(),
            request_body,
            permit,
        },
    );
    let sent = app
        .client
        .request(parts.method, url)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let pending = pending.arrived();
    match sent {
        Ok(answer) => answered(&app, pending, answer),
        Err(error) => unanswered(&app, pending, &error),
    }
}

/// An exchange waiting for the target's answer. The handler is dropped when its client goes
/// away; the exchange then still reaches the judge, as one whose answer never came back.
struct Underway {
    app: Arc<App>,
    pending: Option<Pending>,
}

impl Underway {
    fn new(app: &Arc<App>, pending: Pending) -> Self {
        Underway {
            app: Arc::clone(app),
            pending: Some(pending),
        }
    }

    /// The answer came (or why not): the exchange goes on to be answered and judged.
    fn arrived(mut self) -> Pending {
        self.pending.take().expect("taken once")
    }
}

impl Drop for Underway {
    fn drop(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let app = Arc::clone(&self.app);
        let answer = Err(TransportError::Other {
            url: shown_url(&pending.url),
            reason: "the client went away before the answer came back".into(),
        });
        runtime.spawn(async move { judge(&app, pending, answer).await });
    }
}

/// The target's answer, passed on as it streams; the exchange goes to the judge once the
/// answer's body has gone by.
fn answered(app: &Arc<App>, pending: Pending, answer: reqwest::Response) -> Response<ProxyBody> {
    let answer: hyper::Response<reqwest::Body> = answer.into();
    let (mut parts, body) = answer.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    let status = parts.status.as_u16();
    let headers = parts.headers.clone();
    let boxed = |body: ProxyBody| Response::from_parts(parts, body);
    let app = Arc::clone(app);
    // An answer that has no body (no content, not modified, to a HEAD) is complete with its
    // head: the server never reads a body for it.
    let bodiless = matches!(status, 100..=199 | 204 | 304) || pending.method == hyper::Method::HEAD;
    if bodiless {
        let elapsed = pending.started.elapsed();
        let answer = crate::observe::Response::new(status, headers, Vec::new(), elapsed);
        tokio::spawn(async move { judge(&app, pending, Ok(answer)).await });
        return boxed(BodyExt::boxed(body.map_err(boxed_error)));
    }
    // Nothing of an unmatched exchange's answer is judged but its status: none of it is kept.
    // It too goes to the judge once its body has gone by, so the judge never competes with an
    // answer still on its way.
    let limit = if pending.operation.is_some() {
        app.max_response
    } else {
        0
    };
    let (body, captured) = Tee::new(body, limit);
    tokio::spawn(async move {
        let captured = tee::captured(captured).await;
        let answer = match pending.operation {
            Some(_) => response_of(&pending, status, headers, captured, app.max_response),
            None => {
                let elapsed = captured.at.duration_since(pending.started);
                Ok(crate::observe::Response::new(
                    status,
                    headers,
                    Vec::new(),
                    elapsed,
                ))
            }
        };
        judge(&app, pending, answer).await;
    });
    boxed(BodyExt::boxed(body.map_err(boxed_error)))
}

fn boxed_error(error: reqwest::Error) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(error)
}

/// No answer: the client gets a 502 (or 504) saying why, the judge a failed `transport`.
fn unanswered(app: &Arc<App>, pending: Pending, error: &reqwest::Error) -> Response<ProxyBody> {
    let transport = crate::target::send_error(error, shown_url(&pending.url), app.timeout);
    let status = if matches!(transport, TransportError::Timeout { .. }) {
        StatusCode::GATEWAY_TIMEOUT
    } else {
        StatusCode::BAD_GATEWAY
    };
    let message = format!("conform proxy: {transport}\n");
    let app = Arc::clone(app);
    tokio::spawn(async move { judge(&app, pending, Err(transport)).await });
    text(status, message)
}

/// The answer as judged: its bytes when they were all kept, or why they cannot be judged.
fn response_of(
    pending: &Pending,
    status: u16,
    headers: HeaderMap,
    captured: Captured,
    limit: usize,
) -> Result<crate::observe::Response, TransportError> {
    let url = shown_url(&pending.url);
    let elapsed = captured.at.duration_since(pending.started);
    match captured.ending {
        Ending::Whole if captured.over => Err(TransportError::Other {
            url,
            reason: format!(
                "the answer (HTTP {status}) is larger than {} (--max-response-size): forwarded whole, not checked",
                format_size(limit as u64)
            ),
        }),
        Ending::Whole => Ok(crate::observe::Response::new(
            status,
            headers,
            captured.bytes.to_vec(),
            elapsed,
        )),
        Ending::Broken(reason) => Err(TransportError::Other {
            url,
            reason: format!("the answer (HTTP {status}) broke off: {reason}"),
        }),
        Ending::Cut => Err(TransportError::Other {
            url,
            reason: format!(
                "the answer (HTTP {status}) was not passed on whole: the client went away first"
            ),
        }),
    }
}

/// Hands the exchange to the judge once the request's body has gone by too.
async fn judge(
    app: &App,
    pending: Pending,
    answer: Result<crate::observe::Response, TransportError>,
) {
    let (body, whole) = match pending.request_body {
        Some(receiver) => {
            let captured = tee::captured(receiver).await;
            let whole = captured.ending == Ending::Whole && !captured.over;
            (captured.bytes, whole)
        }
        None => (Bytes::new(), true),
    };
    let seen = Seen {
        number: pending.number,
        operation: pending.operation,
        request: Incoming {
            method: pending.method,
            path: pending.path,
            headers: pending.headers,
            body,
        },
        request_whole: whole,
        url: pending.url,
        answer,
    };
    let _ = app.judged.send(seen).await;
    drop(pending.permit);
}

/// The request's headers as forwarded: hop-by-hop ones and `Host` left out (the target's own
/// is set from its URL); for a contract's operation, `Accept-Encoding` too.
fn forwarded(headers: &HeaderMap, matched: bool) -> HeaderMap {
    let mut out = headers.clone();
    strip_hop_by_hop(&mut out);
    out.remove(header::HOST);
    if matched {
        out.remove(header::ACCEPT_ENCODING);
    }
    out
}

/// Removes the headers of one connection, and those its `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// A plain-text answer of the proxy's own.
pub(super) fn text(status: StatusCode, message: String) -> Response<ProxyBody> {
    let body = Full::new(Bytes::from(message)).map_err(|never| match never {});
    let mut response = Response::new(BodyExt::boxed(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    response
}
