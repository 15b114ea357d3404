//! Taking connections within `serve`'s bounds ([`crate::reference::limits`]): at most
//! `--max-connections` at once (one more is answered 503), request heads within
//! `--max-header-size` and `--max-headers` (431 beyond), sent within `--read-timeout` (408
//! beyond, kept by `serve`'s own sweeper). The proxy's requests stream through instead of
//! being answered whole, so it has this loop of its own rather than `serve`'s. With a TLS
//! configuration (`--tls-cert`) it speaks HTTPS as `serve` does: HTTP/2 when the client offers
//! it, HTTP/1.1 otherwise, the handshake within [`HANDSHAKE_TIMEOUT`].

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use super::App;
use super::forward;
use crate::reference::deadlines::Registration;
use crate::reference::limits::{self, Watched};

/// How long a client may take to finish the TLS handshake before its connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Takes connections until told to stop.
pub(super) async fn accept(
    listener: TcpListener,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
    tls: Option<TlsAcceptor>,
) {
    let connections = Arc::new(Semaphore::new(app.limits.max_connections));
    // Refusals answered at once; past this a connection over the cap is closed unanswered, so
    // a flood cannot pile up refusal tasks either.
    let refusals = Arc::new(Semaphore::new(64));
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
        match Arc::clone(&connections).try_acquire_owned() {
            Ok(permit) => {
                let (app, stopped, tls) = (Arc::clone(&app), stopped.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => serve_connection(stream, app, stopped).await,
                        Some(tls) => serve_tls(tls, stream, app, stopped).await,
                    }
                    drop(permit);
                });
            }
            Err(_) => {
                if let Ok(permit) = Arc::clone(&refusals).try_acquire_owned() {
                    let max = app.limits.max_connections;
                    tokio::spawn(async move {
                        limits::refuse_busy(stream, max).await;
                        drop(permit);
                    });
                }
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, app: Arc<App>, stopped: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let Ok((stream, spare)) = limits::spare_handle(stream) else {
        return;
    };
    let registration = Arc::new(app.deadlines.register(spare, true));
    serve_http1(stream, registration, app, stopped).await;
}

async fn serve_tls(
    tls: TlsAcceptor,
    stream: TcpStream,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let Ok((stream, spare)) = limits::spare_handle(stream) else {
        return;
    };
    // A failed handshake (no client certificate, an untrusted one, not TLS at all) has
    // already been answered with a TLS alert; there is nothing more to say to that client.
    let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await else {
        return;
    };
    if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
        // A plain-text 408 cannot be written into a TLS session: a slow head is only closed.
        let registration = Arc::new(app.deadlines.register(spare, false));
        return serve_http1(stream, registration, app, stopped).await;
    }
    let max_header_size = u32::try_from(app.limits.max_header_size).unwrap_or(u32::MAX);
    let service = service_fn(move |request| forward::handle(Arc::clone(&app), request));
    let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .max_header_list_size(max_header_size)
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

async fn serve_http1<S>(
    stream: S,
    registration: Arc<Registration>,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let watched = Watched::new(stream, Arc::clone(&registration));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(true);
    app.limits.configure(&mut builder);
    let service = service_fn(move |request| {
        registration.handling();
        forward::handle(Arc::clone(&app), request)
    });
    let connection = builder.serve_connection(TokioIo::new(watched), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
