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
    let limit = limits.max_response_size;
    let too_large = || TransportError::TooLarge {
        url: url(),
        status,
        limit,
    };
    let declared = response.content_length().unwrap_or(0);
    if declared > limit {
        return Err(too_large());
    }
    // What the answer declares is only a hint, but bounded by the limit.
    let mut body = Vec::with_capacity(declared as usize);
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
        let Some(chunk) = chunk else {
            return Ok(body);
        };
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
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
