//! A body passed through unchanged while its first bytes are kept: the proxy streams every body
//! both ways (nothing waits for a whole body before forwarding it) and judges what it kept once
//! the body has gone by. What is kept is bounded; a longer body is still forwarded whole, and
//! said to be over the bound.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::oneshot;

/// What went by.
#[derive(Debug)]
pub(super) struct Captured {
    /// The body's first bytes, up to the bound; the whole body unless `over`.
    pub bytes: Bytes,
    /// Whether the body was longer than the bound.
    pub over: bool,
    /// How the body ended.
    pub ending: Ending,
    /// When it ended.
    pub at: Instant,
}

/// How a body ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ending {
    /// Its last byte went by.
    Whole,
    /// Reading it failed, for this reason.
    Broken(String),
    /// It was dropped before its end (the other side went away).
    Cut,
}

/// `inner`, keeping its first `limit` bytes for whoever holds the receiver.
pub(super) struct Tee<B> {
    inner: B,
    kept: BytesMut,
    limit: usize,
    over: bool,
    done: Option<oneshot::Sender<Captured>>,
}

impl<B> Tee<B> {
    /// The body, and where what went by is told once it has.
    pub(super) fn new(inner: B, limit: usize) -> (Self, oneshot::Receiver<Captured>) {
        let (done, captured) = oneshot::channel();
        let tee = Tee {
            inner,
            kept: BytesMut::new(),
            limit,
            over: false,
            done: Some(done),
        };
        (tee, captured)
    }

    fn keep(&mut self, data: &Bytes) {
        if self.over {
            return;
        }
        if self.kept.len() + data.len() > self.limit {
            self.over = true;
            // What is kept of a body over the bound is never judged: free it now.
            self.kept = BytesMut::new();
        } else {
            self.kept.extend_from_slice(data);
        }
    }

    fn finish(&mut self, ending: Ending) {
        if let Some(done) = self.done.take() {
            let captured = Captured {
                bytes: std::mem::take(&mut self.kept).freeze(),
                over: self.over,
                ending,
                at: Instant::now(),
            };
            let _ = done.send(captured);
        }
    }
}

impl<B> Body for Tee<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        let polled = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &polled {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.keep(data);
                }
                // A body that knows it is over may never be polled again.
                if this.inner.is_end_stream() {
                    this.finish(Ending::Whole);
                }
            }
            Some(Err(error)) => this.finish(Ending::Broken(error.to_string())),
            None => this.finish(Ending::Whole),
        }
        Poll::Ready(polled)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for Tee<B> {
    fn drop(&mut self) {
        if self.done.is_some() {
            self.finish(Ending::Cut);
        }
    }
}

/// Waits for what went by; a tee dropped without telling (never polled, its task gone) counts
/// as cut.
pub(super) async fn captured(receiver: oneshot::Receiver<Captured>) -> Captured {
    receiver.await.unwrap_or_else(|_| Captured {
        bytes: Bytes::new(),
        over: false,
        ending: Ending::Cut,
        at: Instant::now(),
    })
}

/// A body that never had any bytes (a request without a body is never polled).
pub(super) fn is_empty<B: Body>(body: &B) -> bool {
    body.is_end_stream() || body.size_hint().exact() == Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use http_body_util::{BodyExt, Full, StreamBody};

    #[tokio::test]
    async fn passes_every_byte_through_and_keeps_them_within_the_bound() {
        let (tee, captured_rx) = Tee::new(Full::new(Bytes::from_static(b"{\"a\":1}")), 64);
        let out = tee.collect().await.unwrap().to_bytes();
        assert_eq!(&out[..], b"{\"a\":1}");
        let captured = captured(captured_rx).await;
        assert_eq!(&captured.bytes[..], b"{\"a\":1}");
        assert_eq!((captured.over, captured.ending), (false, Ending::Whole));
    }

    #[tokio::test]
    async fn a_body_over_the_bound_is_still_passed_whole_and_said_to_be_over() {
        let chunks: Vec<Result<Frame<Bytes>, std::io::Error>> = (0..4)
            .map(|_| Ok(Frame::data(Bytes::from(vec![b'x'; 10]))))
            .collect();
        let body = StreamBody::new(futures::stream::iter(chunks));
        let (tee, captured_rx) = Tee::new(body, 25);
        let out = tee.collect().await.unwrap().to_bytes();
        assert_eq!(out.len(), 40);
        let captured = captured(captured_rx).await;
        assert!(captured.over);
        assert!(captured.bytes.is_empty());
        assert_eq!(captured.ending, Ending::Whole);
    }

    #[tokio::test]
    async fn a_body_dropped_before_its_end_is_cut() {
        let chunks: Vec<Result<Frame<Bytes>, std::io::Error>> =
            vec![Ok(Frame::data(Bytes::from_static(b"ab")))];
        let pending = futures::stream::iter(chunks).chain(futures::stream::pending());
        let (mut tee, captured_rx) = Tee::new(StreamBody::new(pending), 25);
        let first = tee.frame().await.unwrap().unwrap();
        assert_eq!(first.data_ref().unwrap().as_ref(), b"ab");
        drop(tee);
        assert_eq!(captured(captured_rx).await.ending, Ending::Cut);
    }
}
