//! Keep-alive HTTP/1.1 connections to one plain-HTTP target, handed out one request at a time.
//!
//! hyper's pooled client (`hyper_util`'s legacy client, which reqwest is built on) serves any
//! number of hosts: every request hashes its scheme and authority to find its host's idle
//! connections, races a new connection against a connection coming back, and hands a finished
//! connection back through a task of its own: about 6,000 instructions per request on a
//! loopback target, 6% of a whole `verify` run's (a tenth with the `Host` header and the URI it
//! also worked out for every request, which `plain` now works out once). A target is one host,
//! and conform reads every answer to its end before the next request on the connection, so its
//! connections are a list: the most recently used idle one is taken, a new one is made when
//! none is idle, and a connection goes back once its answer is read. What reqwest's pool promises holds: at most
//! [`IDLE_PER_HOST`] idle connections, none reused after [`IDLE`] without use, and a request
//! that found its reused connection closed before a byte of it went out is sent again on a new
//! one. A connection idle too long is closed when the pool is next used (taken, or another
//! connection put back) rather than by a timer of its own: a run is over long before 90
//! seconds matter, and `proxy`, which lives longer, uses its pool with every exchange.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::http::uri::{Authority, PathAndQuery};
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use tower_service::Service;

/// How long an idle connection may be reused, as reqwest keeps one.
pub(super) const IDLE: Duration = Duration::from_secs(90);
/// Idle connections kept, as conform's reqwest client keeps them per host.
pub(super) const IDLE_PER_HOST: usize = 64;

type Sender = SendRequest<Full<Bytes>>;

/// The connections to one target.
#[derive(Debug)]
pub(super) struct Pool {
    connector: HttpConnector,
    /// The target's authority: only connections to it are kept.
    authority: Option<Authority>,
    /// How long a connection may idle and still be reused ([`IDLE`]).
    idle_for: Duration,
    /// Idle connections, the longest idle first.
    idle: Mutex<Vec<Idle>>,
}

#[derive(Debug)]
struct Idle {
    sender: Sender,
    since: Instant,
}

/// Why a request got no answer.
#[derive(Debug)]
pub(super) enum Failure {
    /// No connection could be made.
    Connect(Box<dyn std::error::Error + Send + Sync>),
    /// The connection failed while the request went out or its answer came in.
    Exchange(hyper::Error),
}

/// A connection whose answer is being read; [`Pool::put_back`] returns it once read.
pub(super) struct Lease {
    sender: Sender,
    keep: bool,
}

impl Pool {
    /// Connections made by `connector`, to `authority`'s host.
    pub(super) fn new(
        connector: HttpConnector,
        authority: Option<Authority>,
        idle_for: Duration,
    ) -> Self {
        Pool {
            connector,
            authority,
            idle_for,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends `request` (its URI absolute, as the connection's address) on an idle connection or a
    /// new one, and returns the answer's head with the connection it came on.
    pub(super) async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, Lease), Failure> {
        let keep = (self.authority.as_ref())
            .is_some_and(|authority| super::plain::same_authority(request.uri(), authority));
        let address = request.uri().clone();
        to_origin_form(&mut request);
        loop {
            let (mut sender, reused) = match keep.then(|| self.take_idle()).flatten() {
                Some(sender) => (sender, true),
                None => (self.connect(&address).await?, false),
            };
            match sender.try_send_request(request).await {
                Ok(response) => return Ok((response, Lease { sender, keep })),
                Err(mut err) => match err.take_message() {
                    // The connection closed while idle and nothing of the request was written.
                    Some(unsent) if reused => request = unsent,
                    _ => return Err(Failure::Exchange(err.into_error())),
                },
            }
        }
    }

    /// Keeps `lease`'s connection for the next request once it is ready for one, which is
    /// almost always at once: its answer has been read to the end. One that is not yet (still
    /// sending a body the server answered early) is waited for by a task of its own, as hyper's
    /// client waits for every one; a closed connection, or one past the limit, is let go.
    pub(super) fn put_back(self: &Arc<Self>, lease: Lease) {
        let Lease { mut sender, keep } = lease;
        if !keep || sender.is_closed() {
            return;
        }
        if sender.is_ready() {
            self.keep(sender);
            return;
        }
        let pool = Arc::clone(self);
        tokio::spawn(async move {
            if let Ok(Ok(())) = tokio::time::timeout(pool.idle_for, sender.ready()).await {
                pool.keep(sender);
            }
        });
    }

    fn keep(&self, sender: Sender) {
        let since = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        // The longest idle are first: those idle too long are let go, which closes them.
        let stale = (idle.iter())
            .take_while(|old| since.duration_since(old.since) >= self.idle_for)
            .count();
        idle.drain(..stale);
        if idle.len() < IDLE_PER_HOST {
            idle.push(Idle { sender, since });
        }
    }

    /// The most recently used idle connection still open, ready and not idle too long.
    fn take_idle(&self) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(Idle { sender, since }) = idle.pop() {
            if sender.is_ready() && since.elapsed() < self.idle_for {
                return Some(sender);
            }
        }
        None
    }

    /// A new connection to `address`, its HTTP/1.1 side driven by a task of its own.
    async fn connect(&self, address: &Uri) -> Result<Sender, Failure> {
        let mut connector = self.connector.clone();
        let io = connector
            .call(address.clone())
            .await
            .map_err(|err| Failure::Connect(Box::new(err)))?;
        let (sender, connection) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(Failure::Exchange)?;
        tokio::spawn(async move {
            // How the connection ended reaches its request as that request's error.
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// The request's target as an HTTP/1.1 request line carries it to a server: the path and
/// query, or the authority alone for `CONNECT`. Made from the parts the URI already holds
/// (shared, not copied) rather than by parsing the path again: `verify` of the shipped family
/// 50.62 M → 50.51 M instructions.
fn to_origin_form(request: &mut Request<Full<Bytes>>) {
    let uri = request.uri();
    let mut parts = hyper::http::uri::Parts::default();
    if request.method() == hyper::Method::CONNECT {
        parts.authority = uri.authority().cloned();
    } else {
        let path = uri.path_and_query().cloned();
        parts.path_and_query = Some(path.unwrap_or_else(|| PathAndQuery::from_static("/")));
    }
    if let Ok(form) = Uri::from_parts(parts) {
        *request.uri_mut() = form;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn pool(address: &str) -> Arc<Pool> {
        pool_idling(address, IDLE)
    }

    fn pool_idling(address: &str, idle_for: Duration) -> Arc<Pool> {
        let authority = address.parse::<Uri>().unwrap().authority().cloned();
        Arc::new(Pool::new(HttpConnector::new(), authority, idle_for))
    }

    fn request(address: &str, path: &str) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(Bytes::from_static(b"{}")));
        *request.uri_mut() = format!("{address}{path}").parse().unwrap();
        *request.method_mut() = hyper::Method::POST;
        request
    }

    /// A server closing each connection after `answers_per_connection` answers, the last saying
    /// so (`Connection: close`) when `announced`; it reports each request line heard, numbered
    /// by connection.
    async fn server(
        answers_per_connection: usize,
        announced: bool,
    ) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let (heard, lines) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut connection = 0;
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                connection += 1;
                let heard = heard.clone();
                tokio::spawn(async move {
                    for answered in 1..=answers_per_connection {
                        let mut head = Vec::new();
                        let mut byte = [0u8; 1];
                        while !head.ends_with(b"\r\n\r\n") {
                            if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                                return;
                            }
                            head.push(byte[0]);
                        }
                        let mut body = [0u8; 2];
                        stream.read_exact(&mut body).await.unwrap();
                        let text = String::from_utf8_lossy(&head);
                        let line = text.lines().next().unwrap_or_default().to_string();
                        let host = text
                            .lines()
                            .find(|l| l.starts_with("host:"))
                            .map(str::to_string);
                        let _ = heard.send(format!("{connection} {line} {host:?}"));
                        let last = answered == answers_per_connection;
                        let close = if last && announced {
                            "connection: close\r\n"
                        } else {
                            ""
                        };
                        let answer =
                            format!("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n{close}\r\n{{}}");
                        stream.write_all(answer.as_bytes()).await.unwrap();
                    }
                });
            }
        });
        (address, lines)
    }

    async fn exchange(pool: &Arc<Pool>, address: &str, path: &str) -> u16 {
        let mut request = request(address, path);
        let host = address.trim_start_matches("http://").parse().unwrap();
        request.headers_mut().insert(hyper::header::HOST, host);
        let (response, lease) = pool.send(request).await.expect("an answer");
        let status = response.status().as_u16();
        http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap();
        pool.put_back(lease);
        status
    }

    #[tokio::test]
    async fn reuses_a_connection_and_sends_the_path_alone() {
        let (address, mut heard) = server(10, true).await;
        let pool = pool(&address);
        for path in ["/a?x=1", "/b"] {
            assert_eq!(exchange(&pool, &address, path).await, 200);
        }
        let host = address.trim_start_matches("http://");
        let first = format!("1 POST /a?x=1 HTTP/1.1 Some(\"host: {host}\")");
        assert_eq!(heard.recv().await.unwrap(), first);
        let second = format!("1 POST /b HTTP/1.1 Some(\"host: {host}\")");
        assert_eq!(heard.recv().await.unwrap(), second, "the same connection");
    }

    /// Which connection each of the next `n` requests the server heard came on.
    async fn connections(
        heard: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
        n: usize,
    ) -> Vec<String> {
        let mut numbers = Vec::new();
        for _ in 0..n {
            let line = heard.recv().await.unwrap();
            numbers.push(line.split(' ').next().unwrap().to_string());
        }
        numbers
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_not_reused() {
        // Said in the answer, or done silently after it and noticed while the connection idles.
        for announced in [true, false] {
            let (address, mut heard) = server(1, announced).await;
            let pool = pool(&address);
            for _ in 0..3 {
                assert_eq!(exchange(&pool, &address, "/").await, 200, "{announced}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let numbers = connections(&mut heard, 3).await;
            assert_eq!(
                numbers,
                ["1", "2", "3"],
                "a new connection for each request"
            );
        }
    }

    #[tokio::test]
    async fn a_connection_idle_too_long_is_not_reused() {
        let (address, mut heard) = server(10, true).await;
        let pool = pool_idling(&address, Duration::from_millis(50));
        assert_eq!(exchange(&pool, &address, "/").await, 200);
        assert_eq!(exchange(&pool, &address, "/").await, 200);
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(exchange(&pool, &address, "/").await, 200);
        let numbers = connections(&mut heard, 3).await;
        assert_eq!(
            numbers,
            ["1", "1", "2"],
            "a new connection after the idle time"
        );
    }

    #[test]
    fn the_request_line_carries_the_path_or_for_connect_the_authority() {
        let form = |method: hyper::Method, uri: &str| {
            let mut request = request("http://h:8", "/");
            *request.method_mut() = method;
            *request.uri_mut() = uri.parse().unwrap();
            to_origin_form(&mut request);
            request.uri().to_string()
        };
        assert_eq!(form(hyper::Method::POST, "http://h:8/a/b?x=1"), "/a/b?x=1");
        assert_eq!(form(hyper::Method::GET, "http://h:8"), "/");
        assert_eq!(form(hyper::Method::CONNECT, "http://h:8/a"), "h:8");
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let pool = pool(&address);
        let failure = pool.send(request(&address, "/")).await.err();
        assert!(matches!(failure, Some(Failure::Connect(_))), "{failure:?}");
    }
}
