//! Taking and serving connections within `serve`'s bounds ([`super::limits`]), for `serve` and
//! `proxy` alike: at most `--max-connections` at once (one more is answered 503), request
//! heads within `--max-header-size` and `--max-headers` (431 beyond), sent within
//! `--read-timeout` (408 beyond, kept by [`super::deadlines`]). With a TLS configuration
//! (`--tls-cert`), HTTP/2 when the client offers it by ALPN and HTTP/1.1 otherwise, the
//! handshake within [`HANDSHAKE_TIMEOUT`]. What each request gets is the caller's: `handle`.
//! Connections run on the accepting runtime, or, for `serve`, on threads of their own
//! ([`super::workers`]).

use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures::task::AtomicWaker;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use super::deadlines::{Deadlines, Registration};
use super::limits::{self, Limits, Watched};
use super::workers::Workers;

/// How long a client may take to finish the TLS handshake before its connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections over the cap answered 503 at once; past this many such answers under way a
/// connection over the cap is closed unanswered, so a flood cannot pile up refusal tasks
/// either.
const REFUSALS_IN_FLIGHT: usize = 64;

/// What every connection is served with.
pub(crate) struct Listening<H> {
    /// The bounds on clients.
    pub limits: Limits,
    /// The time limits on request heads and bodies.
    pub deadlines: Arc<Deadlines>,
    /// HTTPS when given.
    pub tls: Option<TlsAcceptor>,
    /// What each request gets.
    pub handle: H,
    /// Serve connections on this many threads of their own ([`super::workers`]) rather than
    /// on the runtime that accepts them.
    pub threads: Option<NonZeroUsize>,
}

impl<H, F, B> Listening<H>
where
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Response<B>, Infallible>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    /// Takes connections on `listener` until `stopped` changes, serving each.
    pub(crate) async fn accept(
        self: Arc<Self>,
        listener: TcpListener,
        mut stopped: watch::Receiver<bool>,
    ) {
        let listening = self;
        let connections = Arc::new(Semaphore::new(listening.limits.max_connections));
        let refusals = Arc::new(Semaphore::new(REFUSALS_IN_FLIGHT));
        let mut workers = listening.threads.and_then(|threads| {
            let permits = u32::try_from(listening.limits.max_connections).unwrap_or(u32::MAX);
            Workers::start(threads, &stopped, &connections, permits)
        });
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
            if let Ok(permit) = Arc::clone(&connections).try_acquire_owned() {
                // Taken off this runtime's reactor: a worker's registers it with its own.
                let Ok(stream) = stream.into_std() else {
                    continue;
                };
                let (listening, stopped) = (Arc::clone(&listening), stopped.clone());
                let connection = async move {
                    listening.serve(stream, stopped).await;
                    drop(permit);
                };
                match &mut workers {
                    Some(workers) => workers.spawn(connection),
                    None => drop(tokio::spawn(connection)),
                }
            } else if let Ok(permit) = Arc::clone(&refusals).try_acquire_owned() {
                let max = listening.limits.max_connections;
                tokio::spawn(async move {
                    limits::refuse_busy(stream, max).await;
                    drop(permit);
                });
            }
        }
    }

    async fn serve(
        self: Arc<Self>,
        stream: std::net::TcpStream,
        mut stopped: watch::Receiver<bool>,
    ) {
        let listening = self;
        let _ = stream.set_nodelay(true);
        let Ok((stream, spare)) = limits::spare_handle(stream) else {
            return;
        };
        let Some(tls) = listening.tls.clone() else {
            let registration = Arc::new(listening.deadlines.register(spare, true));
            return listening.serve_http1(stream, registration, stopped).await;
        };
        // A failed handshake (no client certificate, an untrusted one, not TLS at all) has
        // already been answered with a TLS alert; there is nothing more to say to that client.
        let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await
        else {
            return;
        };
        if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
            // A plain-text 408 cannot be written into a TLS session: a slow head is only closed.
            let registration = Arc::new(listening.deadlines.register(spare, false));
            return listening.serve_http1(stream, registration, stopped).await;
        }
        let max_header_size = u32::try_from(listening.limits.max_header_size).unwrap_or(u32::MAX);
        let service = service_fn(move |request| (listening.handle)(request));
        let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .max_header_list_size(max_header_size)
            .serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        if let Outcome::Stopped = until_stopped(connection.as_mut(), &mut stopped).await {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }

    async fn serve_http1<S>(
        self: Arc<Self>,
        stream: S,
        registration: Arc<Registration>,
        mut stopped: watch::Receiver<bool>,
    ) where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let listening = self;
        let watched = Watched::new(stream, Arc::clone(&registration));
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.keep_alive(true);
        listening.limits.configure(&mut builder);
        let watch = Arc::clone(&registration);
        let service = service_fn(move |request| {
            watch.handling();
            (listening.handle)(request)
        });
        let connection = builder.serve_connection(TokioIo::new(watched), service);
        tokio::pin!(connection);
        match until_stopped(connection.as_mut(), &mut stopped).await {
            // hyper has answered a request it refused (431, 400) and stopped reading: the rest
            // of that request may still be arriving.
            Outcome::Ended(Err(_)) => {
                if let Some(socket) = registration.lingering() {
                    limits::drain(socket).await;
                }
            }
            Outcome::Ended(Ok(())) => {}
            Outcome::Stopped => {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
    }
}

/// How [`until_stopped`] ended.
enum Outcome<T> {
    /// The connection ended by itself, with this.
    Ended(T),
    /// The server is stopping; the connection is still open.
    Stopped,
}

/// Drives `connection` until it ends or `stopped` changes.
///
/// The stop signal is looked at only when it has woken the task. `tokio::select!` polled it
/// each time the connection was, that is for every read and write, and each such poll took
/// the signal's lock: 1.3% of `serve`'s time under load, for a signal that comes once.
async fn until_stopped<F: Future>(
    mut connection: Pin<&mut F>,
    stopped: &mut watch::Receiver<bool>,
) -> Outcome<F::Output> {
    // Set at first, so the first poll registers with the signal.
    let signal = Arc::new(StopSignal {
        woken: AtomicBool::new(true),
        task: AtomicWaker::new(),
    });
    let waker = Waker::from(Arc::clone(&signal));
    let mut stop = std::pin::pin!(stopped.changed());
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = connection.as_mut().poll(cx) {
            return Poll::Ready(Outcome::Ended(output));
        }
        // Registered before the flag is read, so a signal between the two still wakes us.
        signal.task.register(cx.waker());
        if signal.woken.swap(false, Ordering::AcqRel)
            && stop
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
        {
            return Poll::Ready(Outcome::Stopped);
        }
        Poll::Pending
    })
    .await
}

/// The waker the stop signal is polled with: it notes that the signal woke, then wakes the
/// connection's task.
struct StopSignal {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for StopSignal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}
