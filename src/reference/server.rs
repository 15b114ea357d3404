//! Serving reference implementations over HTTP/1.1: one route per contract operation, each
//! answered by its stateful [`Reference`]. An operation also answers under any path prefix, so
//! clients can rehearse a gateway prefix (`/api/open/v2/...`) against it. With a TLS
//! configuration ([`crate::target::tls::server_config`]) every connection is HTTPS, speaking
//! HTTP/2 when the client offers it by ALPN and HTTP/1.1 otherwise, as gateways in front of real
//! implementations do.
//!
//! This is a small hyper server rather than wiremock: wiremock keeps every request a mock has
//! matched (for its verification API) with no way to turn that off, so a long-running `serve`
//! or a run over a thousand contracts would grow without bound, and it matches routes one mock
//! at a time. Here routing is a map lookup and nothing is kept per request but the reference's
//! own idempotency memory.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming as IncomingBody;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::{Faults, Incoming, Reference, ServerSigning};
use crate::contract::Contract;

/// A running reference server; stops accepting connections when dropped.
pub struct ReferenceServer {
    address: SocketAddr,
    tls: bool,
    stop: watch::Sender<bool>,
    app: Arc<App>,
}

/// The reference server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// Requests must be signed, but a contract has no code to reject a bad signature with.
    #[error(
        "contract `{0}` has no code for rejected signatures: add `ACCESS_DENIED` (status of the failure role) to `result.codes` or set `signing.rejectCode`"
    )]
    NoSignatureRejection(String),
}

/// Everything a connection needs: the routes, the keys and the injected latency.
struct App {
    routes: HashMap<(Method, String), Arc<Reference>>,
    signing: ServerSigning,
    latency: Option<Duration>,
    served: AtomicU64,
}

impl ReferenceServer {
    /// Starts serving `contracts` on `address` (`host:port`), or on a free loopback port when
    /// `address` is `None`.
    pub async fn start(
        contracts: &[Contract],
        address: Option<&str>,
        faults: &Faults,
    ) -> Result<Self, ServeError> {
        Self::start_signed(contracts, address, faults, ServerSigning::none()).await
    }

    /// Like [`ReferenceServer::start`], speaking the signing protocol with `signing`'s keys.
    pub async fn start_signed(
        contracts: &[Contract],
        address: Option<&str>,
        faults: &Faults,
        signing: ServerSigning,
    ) -> Result<Self, ServeError> {
        Self::start_tls(contracts, address, faults, signing, None).await
    }

    /// Like [`ReferenceServer::start_signed`], over HTTPS when `tls` is given.
    pub async fn start_tls(
        contracts: &[Contract],
        address: Option<&str>,
        faults: &Faults,
        signing: ServerSigning,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<Self, ServeError> {
        if signing.checks_requests()
            && let Some(contract) = contracts.iter().find(|c| c.signature_rejection.is_none())
        {
            return Err(ServeError::NoSignatureRejection(contract.name.clone()));
        }
        let address = address.unwrap_or("127.0.0.1:0");
        let bind_error = |source| ServeError::Bind {
            address: address.to_string(),
            source,
        };
        let listener = TcpListener::bind(address).await.map_err(bind_error)?;
        let local = listener.local_addr().map_err(bind_error)?;
        let app = Arc::new(App {
            routes: routes(contracts, faults),
            signing,
            latency: faults.latency,
            served: AtomicU64::new(0),
        });
        let (stop, stopped) = watch::channel(false);
        let acceptor = tls.map(TlsAcceptor::from);
        let tls = acceptor.is_some();
        tokio::spawn(accept(listener, Arc::clone(&app), stopped, acceptor));
        Ok(ReferenceServer {
            address: local,
            tls,
            stop,
            app,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (`https://` over TLS).
    pub fn uri(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many requests it has answered so far (benchmarks use it to check that two clients
    /// sent the same requests).
    pub fn served(&self) -> u64 {
        self.app.served.load(Ordering::Relaxed)
    }
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn routes(contracts: &[Contract], faults: &Faults) -> HashMap<(Method, String), Arc<Reference>> {
    contracts
        .iter()
        .map(|contract| {
            let method = Method::from_bytes(contract.method.as_bytes()).unwrap_or(Method::POST);
            let reference = Reference::new(contract.clone(), faults.clone());
            ((method, contract.path.clone()), Arc::new(reference))
        })
        .collect()
}

async fn accept(
    listener: TcpListener,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
    tls: Option<TlsAcceptor>,
) {
    loop {
        let stream = tokio::select! {
            biased;
            _ = stopped.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: keep serving the open connections.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = Arc::clone(&app);
        let stopped = stopped.clone();
        match &tls {
            None => tokio::spawn(serve_connection(TokioIo::new(stream), app, stopped)),
            Some(tls) => tokio::spawn(serve_tls(tls.clone(), stream, app, stopped)),
        };
    }
}

/// How long a client may take to finish the TLS handshake before its connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

async fn serve_tls(
    tls: TlsAcceptor,
    stream: tokio::net::TcpStream,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
) {
    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream));
    // A failed handshake (no client certificate, an untrusted one, not TLS at all) has
    // already been answered with a TLS alert; there is nothing more to say to that client.
    let Ok(Ok(stream)) = handshake.await else {
        return;
    };
    if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
        return serve_connection(TokioIo::new(stream), app, stopped).await;
    }
    let service = service_fn(move |request| handle(Arc::clone(&app), request));
    let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

async fn serve_connection<I>(io: I, app: Arc<App>, mut stopped: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |request| handle(Arc::clone(&app), request));
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

async fn handle(
    app: Arc<App>,
    request: Request<IncomingBody>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    app.served.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(plain(
                StatusCode::BAD_REQUEST,
                "cannot read the request body",
            ));
        }
    };
    let incoming = Incoming {
        method: parts.method,
        path: parts.uri.path().to_string(),
        headers: parts.headers,
        body,
    };
    let Some(reference) = find(&app.routes, &incoming.method, &incoming.path) else {
        let message = format!("no operation {} {}", incoming.method, incoming.path);
        return Ok(plain(StatusCode::NOT_FOUND, &message));
    };
    let answer = match app.signing.check_request(&incoming) {
        Ok(()) => reference.answer(&incoming.body),
        Err(reason) => reference.reject_signature(&reason),
    };
    let signed = app.signing.answer_headers(&incoming, &answer.body);
    let mut response = answered(answer.status, answer.body);
    for (name, value) in signed {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    if let Some(delay) = app.latency {
        tokio::time::sleep(delay).await;
    }
    Ok(response)
}

/// The route for a path, exactly or behind a gateway prefix (the longest operation path that
/// ends the request path at a segment boundary wins).
fn find<'a>(
    routes: &'a HashMap<(Method, String), Arc<Reference>>,
    method: &Method,
    path: &str,
) -> Option<&'a Arc<Reference>> {
    let key = |p: &str| (method.clone(), p.to_string());
    if let Some(exact) = routes.get(&key(path)) {
        return Some(exact);
    }
    path.match_indices('/')
        .skip(1)
        .find_map(|(i, _)| routes.get(&key(&path[i..])))
}

fn answered(status: u16, body: Vec<u8>) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let media = if status == StatusCode::OK {
        "application/json; charset=UTF-8"
    } else {
        "text/plain; charset=UTF-8"
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(media));
    response
}

fn plain(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response = answered(status.as_u16(), message.as_bytes().to_vec());
    *response.status_mut() = status;
    response
}
