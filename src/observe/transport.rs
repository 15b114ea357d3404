//! Why no response came back: a failed `transport` check, not a harness error.

use std::time::Duration;

/// Why no response came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The time-out passed first.
    #[error("no response within {}", crate::units::format_duration(*.0))]
    Timeout(Duration),
    /// The connection could not be made.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// Where.
        url: String,
        /// Why, from the OS or TLS layer.
        reason: String,
    },
    /// Anything else on the way (reset connection, bad framing, ...).
    #[error("request to {url} failed: {reason}")]
    Other {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
}
