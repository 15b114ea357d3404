//! `conform proxy`: a checking proxy in front of an implementation. Clients (an end-to-end
//! suite, an app under exploratory test) send their requests to it; it forwards each to the
//! target and the answer back unchanged, and every exchange for a contract's operation is judged
//! by [`crate::traffic`] on the side, after its bytes have gone by, so judging adds nothing to
//! what the client waits for.
//!
//! Connections are taken within `serve`'s bounds, over HTTPS too, as `serve` takes them
//! ([`crate::reference::listen`]); [`forward`] sends each request on and
//! streams the answer back, and [`tee`] keeps the bytes to judge as they stream past. Requests
//! are routed to their contract as `serve` routes them ([`crate::reference::routes`]); those
//! that match none are forwarded all the same, and counted and listed in the report. The
//! target is reached with the live target's client ([`crate::target`]): redirects never
//! followed, TLS as configured.

mod forward;
mod tee;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::contract::Contract;
use crate::reference::Limits;
use crate::reference::deadlines::Deadlines;
use crate::reference::listen::Listening;
use crate::reference::routes::Routes;
use crate::report::Reporter;
use crate::results::{RunInfo, Summary};
use crate::target::tls::ClientTls;
use crate::target::{HttpTarget, TargetError};
use crate::traffic::{Seen, Session, WAITING};

/// How the proxy listens and forwards.
#[derive(Debug, Clone)]
pub(crate) struct ProxyOptions {
    /// `host:port` to listen on; a free loopback port when `None`.
    pub address: Option<String>,
    /// The implementation's base URL: a request for `/path?query` goes to `{target}/path?query`.
    pub target: String,
    /// Bounds on clients (connections, heads, the time to send them); `max_body` is the most of
    /// a request body kept to be judged.
    pub limits: Limits,
    /// How long the target has to answer a request, body included.
    pub timeout: Duration,
    /// The most of an answer's body kept to be judged.
    pub max_response_size: u64,
    /// Trust roots and client certificate for an `https://` target.
    pub tls: ClientTls,
    /// Forward this many requests at most; later ones get `503` until the run ends.
    pub max_exchanges: Option<u64>,
    /// Listen over HTTPS with this configuration (`--tls-cert`); plain HTTP when `None`.
    pub listen_tls: Option<Arc<rustls::ServerConfig>>,
}

/// The proxy could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProxyError {
    /// The target URL (or its TLS set-up) cannot be used.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: String,
        /// Why.
        source: io::Error,
    },
}

/// What every connection shares.
struct App {
    routes: Routes<usize>,
    client: reqwest::Client,
    base: String,
    limits: Limits,
    max_response: usize,
    timeout: Duration,
    deadlines: Arc<Deadlines>,
    /// The number of the last request taken.
    next: AtomicU64,
    max_exchanges: Option<u64>,
    /// Where finished exchanges go to be judged.
    judged: mpsc::Sender<Seen>,
    /// Exchanges under way or waiting to be judged.
    waiting: Arc<Semaphore>,
}

/// A running proxy, taking requests until its run ends.
pub(crate) struct Proxy {
    address: SocketAddr,
    https: bool,
    target: String,
    stop: watch::Sender<bool>,
    app: Arc<App>,
    seen: mpsc::Receiver<Seen>,
}

impl Proxy {
    /// Starts listening, forwarding to `options.target` and routing to `contracts`.
    pub(crate) async fn start(
        contracts: &[Contract],
        options: ProxyOptions,
    ) -> Result<Self, ProxyError> {
        let limits = crate::target::Limits {
            timeout: options.timeout,
            max_response_size: options.max_response_size,
            give_up_after: 0,
        };
        let target = HttpTarget::new(&options.target, limits, &options.tls)?;
        let mut index = 0;
        let routes = Routes::build(contracts, |_| {
            index += 1;
            index - 1
        });
        let address = options.address.as_deref().unwrap_or("127.0.0.1:0");
        let bind_error = |source| ProxyError::Bind {
            address: address.to_string(),
            source,
        };
        let listener = TcpListener::bind(address).await.map_err(bind_error)?;
        let local = listener.local_addr().map_err(bind_error)?;
        let (judged, seen) = mpsc::channel(WAITING);
        let app = Arc::new(App {
            routes,
            client: target.client().clone(),
            base: target.base().to_string(),
            limits: options.limits,
            max_response: usize::try_from(options.max_response_size).unwrap_or(usize::MAX),
            timeout: options.timeout,
            deadlines: Deadlines::new(options.limits.read_timeout),
            next: AtomicU64::new(0),
            max_exchanges: options.max_exchanges,
            judged,
            waiting: Arc::new(Semaphore::new(WAITING)),
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(Arc::clone(&app.deadlines).sweep(stopped.clone()));
        let https = options.listen_tls.is_some();
        let forwarding = Arc::clone(&app);
        let listening = Arc::new(Listening {
            limits: app.limits,
            deadlines: Arc::clone(&app.deadlines),
            tls: options.listen_tls.map(tokio_rustls::TlsAcceptor::from),
            handle: move |request| forward::handle(Arc::clone(&forwarding), request),
            threads: None,
        });
        tokio::spawn(listening.accept(listener, stopped));
        Ok(Proxy {
            address: local,
            https,
            target: target.base().to_string(),
            stop,
            app,
            seen,
        })
    }

    /// The URL clients send to, e.g. `http://127.0.0.1:41234` (`https://` with TLS).
    pub(crate) fn uri(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }

    /// The target's base URL, without a trailing slash.
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// Judges the traffic with `session` until `stop` resolves (with why the run ends) or the
    /// exchange limit is reached; then takes no more requests, judges those under way and
    /// gives `reporter` the summary.
    pub(crate) async fn run(
        self,
        session: Session,
        info: &RunInfo,
        reporter: &mut dyn Reporter,
        stop: impl Future<Output = String>,
    ) -> io::Result<Summary> {
        let Proxy {
            stop: stopper,
            app,
            seen,
            ..
        } = self;
        let stop_taking = move || {
            let _ = stopper.send(true);
            // New requests are refused from here; the channel closes once those under way
            // have been handed over.
            app.waiting.close();
            drop(app);
        };
        session.run(info, seen, reporter, stop, stop_taking).await
    }
}
