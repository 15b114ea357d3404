//! Reading an answer's body within the run's limits, and naming what went wrong on the way.

use std::time::Duration;

use super::Limits;
use crate::observe::TransportError;

/// The whole body, read chunk by chunk so a body over the limit is cut off as soon as it is
/// over (an endless or huge body never sits in memory), or why it could not be read (in words,
/// by `explain_tls`, when TLS broke it).
pub(super) async fn body(
    mut response: reqwest::Response,
    limits: &Limits,
    url: impl Fn() -> String,
    explain_tls: impl Fn(&reqwest::Error) -> Option<String>,
) -> Result<Vec<u8>, TransportError> {
    let status = response.status().as_u16();
    let mut body = Limited::new(response.content_length(), status, limits, &url)?;
    loop {
        let chunk = response.chunk().await.map_err(|err| {
            if err.is_timeout() {
                TransportError::Unfinished {
                    url: url(),
                    status,
                    after: limits.timeout,
                }
            } else if let Some(reason) = explain_tls(&err) {
                TransportError::Connect { url: url(), reason }
            } else {
                TransportError::Other {
                    url: url(),
                    reason: root_cause(&err),
                }
            }
        })?;
        match chunk {
            Some(chunk) => body.push(&chunk)?,
            None => return Ok(body.into_bytes()),
        }
    }
}

/// A body being read within the run's response size limit, whichever client reads it.
pub(super) struct Limited<U> {
    bytes: Vec<u8>,
    limit: u64,
    status: u16,
    url: U,
}

impl<U: Fn() -> String> Limited<U> {
    /// An empty body, or `TooLarge` at once when the length the answer declares (only a hint,
    /// so it sizes the buffer only up to the limit) is over the limit.
    pub(super) fn new(
        declared: Option<u64>,
        status: u16,
        limits: &Limits,
        url: U,
    ) -> Result<Self, TransportError> {
        let limit = limits.max_response_size;
        let body = Limited {
            bytes: Vec::new(),
            limit,
            status,
            url,
        };
        let declared = declared.unwrap_or(0);
        if declared > limit {
            return Err(body.too_large());
        }
        Ok(Limited {
            bytes: Vec::with_capacity(declared as usize),
            ..body
        })
    }

    /// Adds `chunk`, or `TooLarge` if the body would then be over the limit.
    pub(super) fn push(&mut self, chunk: &[u8]) -> Result<(), TransportError> {
        if (self.bytes.len() + chunk.len()) as u64 > self.limit {
            return Err(self.too_large());
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole body.
    pub(super) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn too_large(&self) -> TransportError {
        TransportError::TooLarge {
            url: (self.url)(),
            status: self.status,
            limit: self.limit,
        }
    }
}

/// Why a request got no response at all.
pub(crate) fn send_error(err: &reqwest::Error, url: String, timeout: Duration) -> TransportError {
    if err.is_timeout() {
        return TransportError::Timeout {
            url,
            after: timeout,
        };
    }
    let reason = root_cause(err);
    if err.is_connect() {
        TransportError::Connect { url, reason }
    } else {
        TransportError::Other { url, reason }
    }
}

/// The innermost cause: "Connection refused (os error 111)" says more than "error sending
/// request".
pub(super) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
