//! Taking connections within `serve`'s bounds ([`crate::reference::limits`]): at most
//! `--max-connections` at once (one more is answered 503), request heads within
//! `--max-header-size` and `--max-headers` (431 beyond), sent within `--read-timeout` (408
//! beyond, kept by `serve`'s own sweeper). The proxy's requests stream through instead of
//! being answered whole, so it has this loop of its own rather than `serve`'s.

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use super::App;
use super::forward;
use crate::reference::limits::{self, Watched};

/// Takes connections until told to stop.
pub(super) async fn accept(
    listener: TcpListener,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
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
                let (app, stopped) = (Arc::clone(&app), stopped.clone());
                tokio::spawn(async move {
                    serve_connection(stream, app, stopped).await;
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

async fn serve_connection(stream: TcpStream, app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let Ok((stream, spare)) = limits::spare_handle(stream) else {
        return;
    };
    let registration = Arc::new(app.deadlines.register(spare, true));
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
