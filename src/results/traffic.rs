//! What a traffic run saw: `conform proxy` in front of an implementation, or `serve --report`
//! answering a client. Its cases are the exchanges seen, grouped by operation; this adds what a
//! planned run has no place for: how the run watched ([`TrafficScope`]), which requests matched
//! no contract, how the findings split between the client and the implementation, and what the
//! traffic exercised of each contract and what it never did ([`OperationCoverage`]).

use serde::{Deserialize, Serialize};

/// How a traffic run watched, known before the first exchange.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrafficScope {
    /// `proxy` (requests forwarded to the target, answers judged too) or `serve` (the reference
    /// implementation answered: only the client is judged).
    pub mode: String,
    /// The URL clients sent their requests to.
    pub listening: String,
    /// The client that sent the traffic, as the user named it (`--client`).
    pub client: Option<String>,
    /// What ends the run besides Ctrl-C and SIGTERM: `--duration 10m`, `--max-exchanges 500`.
    pub until: Vec<String>,
}

/// What a traffic run saw, known when it ends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrafficSummary {
    /// Requests seen, whether or not they matched a contract.
    pub exchanges: usize,
    /// Requests that matched no contract's operation: forwarded (or answered 404 or 405 by
    /// `serve`), counted and listed, not checked.
    pub unmatched: usize,
    /// The distinct method and path (query left out) of the unmatched requests, the first
    /// [`UNMATCHED_LISTED`] of them.
    pub unmatched_requests: Vec<UnmatchedRequest>,
    /// Failed checks of the client's side (`client-*`).
    pub client: SideCount,
    /// Failed checks of the implementation's side (every other check).
    pub implementation: SideCount,
    /// Why the run ended: `Ctrl-C`, `SIGTERM`, `--duration 10m`, `--max-exchanges 500`.
    pub ended_by: String,
    /// Per contract, in the order given: what the traffic exercised and what it never did.
    pub coverage: Vec<OperationCoverage>,
}

/// Distinct unmatched requests listed at most; the rest are counted.
pub(crate) const UNMATCHED_LISTED: usize = 100;

/// Requests with one method and path that matched no contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnmatchedRequest {
    /// The method.
    pub method: String,
    /// The path as sent, without its query.
    pub path: String,
    /// How many such requests were seen.
    pub count: usize,
    /// The HTTP statuses they got, distinct, in the order first seen (the first few).
    pub statuses: Vec<u16>,
}

/// Failed checks of one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SideCount {
    /// Failed checks.
    pub findings: usize,
    /// Exchanges with at least one of them.
    pub exchanges: usize,
}

/// What the traffic exercised of one contract. Each list holds everything the contract
/// declares (a count of 0 is never exercised), then what the traffic showed that it does not
/// declare (`declared: false`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperationCoverage {
    /// The contract's name.
    pub contract: String,
    /// Exchanges judged against it.
    pub exchanges: usize,
    /// Result statuses (`S`, `F`, `U`; for results in the HTTP status, the declared statuses
    /// and classes such as `201` and `4XX`) answered.
    pub statuses: Vec<Exercised>,
    /// Catalogue codes answered, as `CODE (status)`.
    pub codes: Vec<Exercised>,
    /// Request fields and parameters sent (`appId`, `cardFields[].fieldCode`, `query.limit`).
    pub request_fields: Vec<Exercised>,
    /// Response fields answered.
    pub response_fields: Vec<Exercised>,
}

/// One thing a contract declares (or the traffic showed), and in how many exchanges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exercised {
    /// What, as reports name it.
    pub name: String,
    /// In how many exchanges.
    pub count: usize,
    /// Whether the contract declares it (an undeclared status or code the traffic showed is
    /// listed too, and is a finding of its own).
    pub declared: bool,
}

impl OperationCoverage {
    /// Every list with what it covers, as reports title them.
    pub(crate) fn lists(&self) -> [(&'static str, &[Exercised]); 4] {
        [
            ("statuses", &self.statuses),
            ("codes", &self.codes),
            ("request fields", &self.request_fields),
            ("response fields", &self.response_fields),
        ]
    }
}
