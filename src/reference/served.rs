//! What `serve` tells of each request it answers when a report of the client's traffic is
//! asked for (`serve --report`): the request as received and the answer given, for
//! [`crate::traffic`] to judge. Nothing here runs unless a [`RequestLog`] is given.

use bytes::Bytes;
use hyper::StatusCode;

use super::{Answer, Incoming};

/// A request the server answered, with its answer, for a report of a client's traffic
/// (`serve --report`).
#[derive(Debug)]
pub(crate) struct ServedRequest {
    /// The name of the operation's contract; `None` when the path or method matched none.
    pub operation: Option<String>,
    /// The path parameters its route matched.
    pub path_params: Vec<(String, String)>,
    /// The request as received; its body is empty when it was not read (refused for its
    /// size or slowness, or matching no operation).
    pub request: Incoming,
    /// Whether the body was read whole.
    pub body_read: bool,
    /// The answer given.
    pub answer: Answer,
}

/// Where the server sends every request it answers, when asked to (`serve --report`). A full
/// channel holds the next answer back: nothing is dropped.
pub(crate) type RequestLog = tokio::sync::mpsc::Sender<ServedRequest>;

/// Tells the request log of a request answered without reading its body (it matched no
/// operation, or its body was refused).
pub(super) async fn tell(
    log: Option<&RequestLog>,
    operation: Option<String>,
    path_params: Vec<(String, String)>,
    parts: &hyper::http::request::Parts,
    status: StatusCode,
) {
    let Some(log) = log else {
        return;
    };
    let served = ServedRequest {
        operation,
        path_params,
        request: Incoming {
            method: parts.method.clone(),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string()),
            headers: parts.headers.clone(),
            body: Bytes::new(),
        },
        body_read: false,
        answer: Answer::text(status.as_u16(), ""),
    };
    let _ = log.send(served).await;
}
