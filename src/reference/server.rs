//! Serving reference implementations over HTTP/1.1: [`routes`](super::routes) picks the
//! operation, its [`Reference`](super::Reference) answers, and [`limits`](super::limits) keeps
//! clients within bounds. With a TLS configuration ([`crate::target::tls::server_config`])
//! every connection is HTTPS, speaking HTTP/2 when the client offers it by ALPN and HTTP/1.1
//! otherwise, as gateways in front of real implementations do.
//!
//! This is a small hyper server rather than wiremock: wiremock keeps every request a mock has
//! matched (for its verification API) with no way to turn that off, so a long-running `serve`
//! or a run over a thousand contracts would grow without bound, and it matches routes one mock
//! at a time. Here routing is a map lookup and nothing is kept per request but the reference's
//! own bounded idempotency memory.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming as IncomingBody;
use hyper::header::{ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::auth::SignatureRejection;
use super::deadlines::Deadlines;
use super::limits::Limits;
use super::listen::Listening;
use super::routes::{BadContentType, Route, Routes};
use super::served::{self, RequestLog, ServedRequest};
use super::{Answer, Bound, Faults, Incoming, ServerCredentials, ServerSigning};
use crate::contract::Contract;

/// Called with each request refused for its signature (`serve` logs them on stderr).
pub(crate) type RejectionLog = Arc<dyn Fn(&SignatureRejection) + Send + Sync>;

/// How to serve: where, with which faults and keys, within which bounds.
#[derive(Clone, Default)]
pub(crate) struct ServeOptions {
    /// `host:port` to listen on; a free loopback port when `None`.
    pub address: Option<String>,
    /// Faults to inject.
    pub faults: Faults,
    /// Keys for the signing protocol.
    pub signing: ServerSigning,
    /// Credential headers requests must carry, where contracts declare credentials.
    pub credentials: ServerCredentials,
    /// Bounds on what clients send.
    pub limits: Limits,
    /// Bound of each operation's idempotency memory.
    pub memory: Bound,
    /// Told of each request refused for its signature.
    pub on_signature_rejected: Option<RejectionLog>,
    /// Serve HTTPS with this configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Told of every request answered, for a report of the client's traffic.
    pub requests: Option<RequestLog>,
    /// Serve connections on this many threads, each with a runtime of its own
    /// ([`super::workers`]), rather than on the caller's runtime: `serve` does, a reference
    /// implementation embedded in a run does not.
    pub threads: Option<std::num::NonZeroUsize>,
}

/// A running reference server; stops accepting connections when dropped.
pub struct ReferenceServer {
    address: SocketAddr,
    tls: bool,
    stop: watch::Sender<bool>,
    app: Arc<App>,
}

/// The reference server could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServeError {
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
    /// A contract's content type cannot be sent.
    #[error(transparent)]
    ContentType(#[from] BadContentType),
}

/// The reference server could not start (its contracts cannot be served, or the address
/// cannot be bound).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StartError(ServeError);

/// Everything a connection needs.
struct App {
    routes: Routes,
    signing: ServerSigning,
    credentials: ServerCredentials,
    latency: Option<Duration>,
    limits: Limits,
    deadlines: Arc<Deadlines>,
    on_signature_rejected: Option<RejectionLog>,
    served: AtomicU64,
    requests: Option<RequestLog>,
}

impl ReferenceServer {
    /// Starts serving `contracts` on a free loopback port, answering as the contracts say;
    /// it stops when dropped. Needs a Tokio runtime.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use conform::reference::ReferenceServer;
    ///
    /// let contracts = conform::contract::load_paths(&["contracts/platform/issue-card.json".into()])
    ///     .expect("valid contracts");
    /// let server = ReferenceServer::start(&contracts).await.expect("started");
    /// assert!(server.uri().starts_with("http://127.0.0.1:"));
    /// // Point the client under test at `server.uri()`; the server stops when dropped.
    /// # });
    /// ```
    pub async fn start(contracts: &[Contract]) -> Result<Self, StartError> {
        Self::start_at(contracts, None, &Faults::default())
            .await
            .map_err(StartError)
    }

    /// Starts serving `contracts` on `address` (`host:port`), or on a free loopback port when
    /// `address` is `None`.
    pub(crate) async fn start_at(
        contracts: &[Contract],
        address: Option<&str>,
        faults: &Faults,
    ) -> Result<Self, ServeError> {
        Self::start_signed(contracts, address, faults, ServerSigning::none()).await
    }

    /// Like [`ReferenceServer::start`], speaking the signing protocol with `signing`'s keys.
    pub(crate) async fn start_signed(
        contracts: &[Contract],
        address: Option<&str>,
        faults: &Faults,
        signing: ServerSigning,
    ) -> Result<Self, ServeError> {
        Self::start_tls(contracts, address, faults, signing, None).await
    }

    /// Like [`ReferenceServer::start_signed`], over HTTPS when `tls` is given.
    pub(crate) async fn start_tls(
        contracts: &[Contract],
        address: Option<&str>,
        faults: &Faults,
        signing: ServerSigning,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<Self, ServeError> {
        let options = ServeOptions {
            address: address.map(str::to_string),
            faults: faults.clone(),
            signing,
            tls,
            limits: Limits::EMBEDDED,
            ..ServeOptions::default()
        };
        Self::serve(contracts, options).await
    }

    /// Starts serving `contracts` as `options` say.
    pub(crate) async fn serve(
        contracts: &[Contract],
        options: ServeOptions,
    ) -> Result<Self, ServeError> {
        Self::serve_shared(Arc::from(contracts.to_vec()), options).await
    }

    /// [`ReferenceServer::serve`], reading the compiled contracts where they are: a run's
    /// embedded target and `serve` hold no second copy of a suite.
    pub(crate) async fn serve_shared(
        contracts: Arc<[Contract]>,
        options: ServeOptions,
    ) -> Result<Self, ServeError> {
        if options.signing.checks_requests()
            && let Some(contract) = contracts.iter().find(|c| c.signature_rejection.is_none())
        {
            return Err(ServeError::NoSignatureRejection(contract.name.clone()));
        }
        let routes = Routes::shared(&contracts, &options.faults, options.memory)?;
        drop(contracts);
        let address = options.address.as_deref().unwrap_or("127.0.0.1:0");
        let bind_error = |source| ServeError::Bind {
            address: address.to_string(),
            source,
        };
        let listener = TcpListener::bind(address).await.map_err(bind_error)?;
        let local = listener.local_addr().map_err(bind_error)?;
        let app = Arc::new(App {
            routes,
            signing: options.signing,
            credentials: options.credentials,
            latency: options.faults.latency,
            limits: options.limits,
            deadlines: Deadlines::new(options.limits.read_timeout),
            on_signature_rejected: options.on_signature_rejected,
            served: AtomicU64::new(0),
            requests: options.requests,
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(Arc::clone(&app.deadlines).sweep(stopped.clone()));
        let tls = options.tls.is_some();
        let answering = Arc::clone(&app);
        let listening = Arc::new(Listening {
            limits: app.limits,
            deadlines: Arc::clone(&app.deadlines),
            tls: options.tls.map(TlsAcceptor::from),
            handle: move |request| handle(Arc::clone(&answering), request),
            threads: options.threads,
        });
        tokio::spawn(listening.accept(listener, stopped));
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

async fn handle(
    app: Arc<App>,
    request: Request<IncomingBody>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    app.served.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();
    let (operation, path_params) = match app.routes.find(&parts.method, parts.uri.path()) {
        // Borrowed from `app`, which this future owns.
        Route::Found(operation, params) => (operation, params),
        Route::MethodNotAllowed { allow } => {
            let message = format!(
                "{} is not allowed on {}: allowed {}\n",
                parts.method,
                parts.uri.path(),
                allow.to_str().unwrap_or_default()
            );
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, message);
            response.headers_mut().insert(ALLOW, allow.clone());
            let log = app.requests.as_ref();
            served::tell(log, None, Vec::new(), &parts, response.status()).await;
            return Ok(response);
        }
        Route::NotFound => {
            let message = format!("no operation {} {}\n", parts.method, parts.uri.path());
            let response = plain(StatusCode::NOT_FOUND, message);
            let log = app.requests.as_ref();
            served::tell(log, None, Vec::new(), &parts, response.status()).await;
            return Ok(response);
        }
    };
    let body = match read_body(&app.limits, &parts.headers, body).await {
        Ok(body) => body,
        Err(refusal) => {
            let name = Some(operation.reference.contract().name.clone());
            let log = app.requests.as_ref();
            served::tell(log, name, path_params, &parts, refusal.status()).await;
            return Ok(refusal);
        }
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    let incoming = Incoming {
        method: parts.method,
        path,
        headers: parts.headers,
        body,
    };
    let reference = &operation.reference;
    let credentials = app
        .credentials
        .check(reference.contract(), &incoming.headers);
    let answer = match (credentials, app.signing.check_request(&incoming)) {
        (Err(reason), _) => reference.reject_credentials(&reason),
        (Ok(()), Ok(())) => reference.answer_request(
            &path_params,
            incoming.query(),
            &incoming.headers,
            &incoming.body,
        ),
        (Ok(()), Err(rejection)) => {
            if let Some(log) = &app.on_signature_rejected {
                log(&rejection);
            }
            reference.reject_signature(&rejection.reason)
        }
    };
    let signed = app.signing.answer_headers(&incoming, &answer.body);
    if let Some(log) = &app.requests {
        let served = ServedRequest {
            operation: Some(reference.contract().name.clone()),
            path_params,
            request: incoming.clone(),
            body_read: true,
            answer: answer.clone(),
        };
        let _ = log.send(served).await;
    }
    let mut response = answered(answer);
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

/// The request body, or the answer refusing it: 413 past the size bound (told by
/// `Content-Length` before reading, or by counting a chunked body), 408 when it does not
/// arrive in time.
async fn read_body(
    limits: &Limits,
    headers: &hyper::HeaderMap,
    body: IncomingBody,
) -> Result<Bytes, Response<Full<Bytes>>> {
    let too_large = || {
        let message = format!(
            "request body larger than {} bytes (--max-body-size)\n",
            limits.max_body
        );
        closing(plain(StatusCode::PAYLOAD_TOO_LARGE, message))
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return Err(too_large());
    }
    let mut reading = std::pin::pin!(Limited::new(body, limits.max_body).collect());
    // The clock is read only for a body still arriving: `arrived` tells within microseconds.
    let read = match arrived(reading.as_mut()).await {
        Some(read) => Ok(read),
        None => tokio::time::timeout(limits.read_timeout, reading).await,
    };
    match read {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(_)) => Err(closing(plain(
            StatusCode::BAD_REQUEST,
            "cannot read the request body\n".into(),
        ))),
        Err(_) => {
            let message = format!(
                "request body not received within {} (--read-timeout)\n",
                crate::units::format_duration(limits.read_timeout)
            );
            Err(closing(plain(StatusCode::REQUEST_TIMEOUT, message)))
        }
    }
}

/// What `reading` gives once hyper has read the bytes already received, or `None` when they
/// were not all of it. A body sent with its head (nearly every request) is then read without
/// arming a timer: arming and disarming one per request took a lock on the runtime's timer
/// wheel shared by every connection. hyper reads a body only once asked (the first poll asks),
/// so the first poll yields once, waking its own task, and the second tells.
async fn arrived<F: Future + Unpin>(mut reading: F) -> Option<F::Output> {
    let mut asked = false;
    std::future::poll_fn(|cx| match Pin::new(&mut reading).poll(cx) {
        Poll::Ready(read) => Poll::Ready(Some(read)),
        Poll::Pending if asked => Poll::Ready(None),
        Poll::Pending => {
            asked = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

fn answered(answer: Answer) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(answer.body));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Some(media) = answer.content_type {
        headers.insert(CONTENT_TYPE, media);
    }
    for (name, value) in answer.headers.iter().flat_map(|h| h.iter()) {
        headers.insert(name.clone(), value.clone());
    }
    response
}

fn plain(status: StatusCode, message: String) -> Response<Full<Bytes>> {
    answered(Answer::text(status.as_u16(), message))
}

/// Asks hyper to close the connection after this answer: the rest of the request was not read.
fn closing(mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    let close = HeaderValue::from_static("close");
    response.headers_mut().insert(CONNECTION, close);
    response
}
