//! What a security probe observed: the spoiled request with its answer, then the same request
//! sent right (same idempotency key), settled, and once more.

use super::{Exchange, Settled};

/// One security probe as it ran.
#[derive(Debug, Clone)]
pub(crate) struct SecurityRecord {
    /// The spoiled request and its answer. Not settled: a refusal is final, and an unknown
    /// answer to a request that must be refused is itself a finding.
    pub probe: Exchange,
    /// The valid request sent right afterwards with the same idempotency key, when the contract
    /// has one and the spoiled request was not accepted.
    pub follow_up: Option<Settled>,
    /// The request sent right, sent once more when it succeeded: one key, one result.
    pub again: Option<Exchange>,
}
