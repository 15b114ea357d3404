//! What `serve` accepts from a client, so that it can be exposed (`--host 0.0.0.0`) without a
//! client being able to exhaust it: bounded request bodies and headers, a time limit for
//! sending them, and a cap on connections open at once. Each refusal is an HTTP answer saying
//! why (413, 431, 408, 503), never a silent hang-up while a request is under way.
//!
//! hyper enforces the header bounds itself (answering 431); [`super::deadlines`] keeps the
//! time limit on heads; the rest is here: the answers for a body too large or too slow and for
//! a connection over the cap, and the socket wrapper that tells the deadlines when a request
//! starts arriving and when its answer is written.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::deadlines::Registration;

/// The bounds `serve` holds its clients to (the defaults are `serve`'s documented defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Largest request body accepted, in bytes (413 beyond).
    pub max_body: usize,
    /// Largest request head (request line and headers), in bytes (431 beyond).
    pub max_header_size: usize,
    /// Most header fields in a request (431 beyond).
    pub max_headers: usize,
    /// Time a client has to send a request's headers, and again its body (408 beyond); an
    /// idle keep-alive connection is closed after it too.
    pub read_timeout: Duration,
    /// Connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
}

impl Limits {
    /// 1 MiB bodies, 16 KiB heads of at most 100 fields, 10 s to send either, 1024
    /// connections.
    pub(crate) const DEFAULT: Limits = Limits {
        max_body: 1024 * 1024,
        max_header_size: 16 * 1024,
        max_headers: 100,
        read_timeout: Duration::from_secs(10),
        max_connections: 1024,
    };

    /// The embedded target `verify` starts for itself: request heads up to 1 MiB, since a
    /// contract's boundary cases may send a parameter at its longest (5,000 multibyte
    /// characters of a query value are 45 KB percent-encoded); the other bounds as `serve`'s.
    pub(crate) const EMBEDDED: Limits = Limits {
        max_header_size: 1024 * 1024,
        ..Limits::DEFAULT
    };

    /// Applies the header bounds to a connection builder.
    pub(crate) fn configure(&self, builder: &mut hyper::server::conn::http1::Builder) {
        builder
            .max_header_size(self.max_header_size)
            // The read buffer only needs to hold a head; bodies are streamed through it.
            .max_buf_size(self.max_header_size.max(8192) + 1024);
        // hyper keeps up to 100 header slots on the stack and allocates per request for
        // any other number, so the default is left to it.
        if self.max_headers != 100 {
            builder.max_headers(self.max_headers);
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// A connection's socket that tells its [`Registration`] when request bytes arrive and when
/// an answer is written, so the head deadline knows whether the connection is idle, waiting
/// for a head, or in the middle of one.
pub(crate) struct Watched<S> {
    stream: S,
    registration: Arc<Registration>,
}

impl<S> Watched<S> {
    /// Wraps `stream`, reporting to `registration`.
    pub(crate) fn new(stream: S, registration: Arc<Registration>) -> Self {
        Watched {
            stream,
            registration,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.registration.read_some();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.registration.wrote_some();
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.registration.wrote_some();
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The connection's socket on the current runtime, and a second handle on it for the head
/// deadline to answer and shut down on while hyper holds the first.
pub(crate) fn spare_handle(
    stream: std::net::TcpStream,
) -> std::io::Result<(TcpStream, std::net::TcpStream)> {
    let spare = stream.try_clone()?;
    Ok((TcpStream::from_std(stream)?, spare))
}

/// Answers `status` with a plain-text `message` on a raw socket and closes it, after reading
/// (and dropping) what the client still sends for a moment: closing with unread input would
/// reset the connection and could destroy the answer before the client reads it.
pub(super) async fn refuse(mut stream: TcpStream, status: &str, extra: &str, message: &str) {
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=UTF-8\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{message}",
        message.len()
    );
    let written = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    });
    if matches!(written.await, Ok(Ok(()))) {
        drain(stream).await;
    }
}

/// Reads (and drops) what a client still sends after its answer, for up to a second and
/// 64 KiB, before the socket is closed: closing with unread input resets the connection, and
/// a reset can destroy the answer before the client reads it.
pub(super) async fn drain(mut stream: TcpStream) {
    let mut sink = [0u8; 4096];
    let reading = async {
        let mut left = 64 * 1024;
        while left > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left -= n.min(left),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), reading).await;
}

/// The 503 for a connection over the cap.
pub(crate) async fn refuse_busy(stream: TcpStream, max: usize) {
    let message = format!(
        "too many connections: this server serves at most {max} at once (--max-connections); retry later\n"
    );
    refuse(
        stream,
        "503 Service Unavailable",
        "retry-after: 1\r\n",
        &message,
    )
    .await;
}
