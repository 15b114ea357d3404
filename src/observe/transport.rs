//! Why no response came back: a failed `transport` check, not a harness error. Every variant
//! names the URL actually contacted (credentials hidden), which, redirects never being
//! followed, is the one conform sent the request to.

use std::time::Duration;

use crate::units::{format_duration, format_size};

/// Why no complete response came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TransportError {
    /// The time-out passed before the answer's status line.
    #[error("no response from {url} within {}", format_duration(*after))]
    Timeout {
        /// Where.
        url: String,
        /// The time-out.
        after: Duration,
    },
    /// The answer started but its body did not finish within the time-out (a slow drip or an
    /// endless body).
    #[error(
        "the answer from {url} (HTTP {status}) did not finish within {}",
        format_duration(*after)
    )]
    Unfinished {
        /// Where.
        url: String,
        /// The status the answer started with.
        status: u16,
        /// The time-out.
        after: Duration,
    },
    /// The connection could not be made.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// Where.
        url: String,
        /// Why, from the OS or TLS layer.
        reason: String,
    },
    /// The body is larger than the run's response size limit; reading stopped there.
    #[error(
        "the answer from {url} (HTTP {status}) is larger than the response size limit of {}; reading stopped there",
        format_size(*limit)
    )]
    TooLarge {
        /// Where.
        url: String,
        /// The status the answer started with.
        status: u16,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Anything else on the way (reset connection, bad framing, ...).
    #[error("request to {url} failed: {reason}")]
    Other {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
    /// The run stopped sending: the target answered none of its first requests.
    #[error(
        "not sent to {url}: target not answering (no answer to the run's first {after} requests)"
    )]
    NotSent {
        /// Where it would have gone.
        url: String,
        /// How many requests went unanswered.
        after: u32,
    },
}

impl TransportError {
    /// Whether the target gave no sign of life: a time-out before any response, or a refused
    /// connection.
    pub(crate) fn is_no_answer(&self) -> bool {
        matches!(
            self,
            TransportError::Timeout { .. } | TransportError::Connect { .. }
        )
    }
}
