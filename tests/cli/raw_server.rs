//! Raw TCP servers for tests that need a target to misbehave below HTTP: each test starts its
//! own on a free loopback port, and it counts the connections it accepted (so a test can show
//! that nothing reached it).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP server started for one test; counts the connections it accepted.
pub(crate) struct Raw {
    pub url: String,
    pub connections: Arc<AtomicUsize>,
}

/// Starts a server on a free loopback port (of `host`) handing each connection to `handle`.
pub(crate) async fn raw_on<H, F>(host: &str, handle: H) -> Raw
where
    H: Fn(TcpStream) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind((host, 0)).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handle(stream));
        }
    });
    Raw { url, connections }
}

pub(crate) async fn raw<H, F>(handle: H) -> Raw
where
    H: Fn(TcpStream) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    raw_on("127.0.0.1", handle).await
}

/// A server that reads each request and answers with exactly `bytes`, then closes.
pub(crate) async fn answering(bytes: Vec<u8>) -> Raw {
    let bytes = Arc::new(bytes);
    raw(move |mut stream| {
        let bytes = Arc::clone(&bytes);
        async move {
            if read_request(&mut stream).await {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
            }
        }
    })
    .await
}

/// Reads one request through its body (by `Content-Length`), so an answer is not lost to a
/// reset caused by unread input. False when the client went away first.
pub(crate) async fn read_request(stream: &mut TcpStream) -> bool {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let Ok(n) = stream.read(&mut buffer).await else {
            return false;
        };
        if n == 0 {
            return false;
        }
        seen.extend_from_slice(&buffer[..n]);
        let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if seen.len() >= end + 4 + length {
            return true;
        }
    }
}

/// A whole HTTP/1.1 answer.
pub(crate) fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

pub(crate) fn json_answer(body: &[u8]) -> Vec<u8> {
    http(
        "200 OK",
        &[("Content-Type", "application/json; charset=UTF-8")],
        body,
    )
}

/// A server answering 200 with a body it writes `chunk` by `chunk` until the client leaves;
/// `declared` sets `Content-Length`, otherwise the body is chunked and endless.
pub(crate) async fn flooding(declared: Option<u64>) -> Raw {
    raw(move |mut stream| async move {
        if !read_request(&mut stream).await {
            return;
        }
        let framing = match declared {
            Some(length) => format!("Content-Length: {length}"),
            None => "Transfer-Encoding: chunked".into(),
        };
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\n\r\n");
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let data = vec![b' '; 64 << 10];
        let chunk = match declared {
            Some(_) => data,
            None => [format!("{:x}\r\n", data.len()).as_bytes(), &data, b"\r\n"].concat(),
        };
        let mut written = 0u64;
        while declared.is_none_or(|length| written < length) {
            if stream.write_all(&chunk).await.is_err() {
                return;
            }
            written += chunk.len() as u64;
        }
    })
    .await
}
