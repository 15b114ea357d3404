//! What the run observed of the promises that span it: values a contract declares unique,
//! compared across every successful answer of the run, and keys replayed late, after the rest
//! of the run's traffic. The runner keeps these bounded (see `run::ledger`); the `unique` and
//! `late-replay` checks judge them.

use std::sync::Arc;
use std::time::Duration;

use super::{Response, Settled};

/// A request that got an answer recorded in the ledger: the case that sent it and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    /// The case that sent the request (`issueCard/example/seed-sample`).
    pub case: Arc<str>,
    /// Its idempotency key; `None` for an operation without keys (every request is distinct).
    pub key: Option<Arc<str>>,
}

/// Two distinct requests answered with the same value at one unique place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clash {
    /// The place, as the contract writes it (`/body/cardNo`).
    pub place: String,
    /// The shared value, as text.
    pub value: String,
    /// The request that got the value first.
    pub first: Holder,
    /// A later, distinct request that got it too.
    pub again: Holder,
}

/// Every clash of one contract's unique values over the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UniqueRecord {
    /// The places compared, as the contract writes them.
    pub places: Vec<String>,
    /// Values compared (one per place per successful answer that had one).
    pub compared: usize,
    /// The clashes found, the first ones only (see `more`).
    pub clashes: Vec<Clash>,
    /// Clashes found beyond those kept.
    pub more: usize,
    /// Values compared with those kept but not kept themselves, the run's cap being reached:
    /// a clash among them alone goes unseen.
    pub not_kept: usize,
}

/// One key replayed after the rest of the run's traffic.
#[derive(Debug, Clone)]
pub(crate) struct LateReplay {
    /// The case that first sent the key.
    pub case: Arc<str>,
    /// The key.
    pub key: Arc<str>,
    /// The settled answer the key first got.
    pub first: Response,
    /// The late replay (same key, same body), settled.
    pub late: Settled,
    /// Time from the key's first answer to the late replay.
    pub age: Duration,
    /// Requests the run sent in between, to any operation.
    pub requests_between: u64,
    /// Successful requests of the same operation with other keys in between.
    pub keys_between: u64,
}

/// Why the requests sent to put more keys between the replayed ones and their replay stopped.
#[derive(Debug, Clone)]
pub(crate) struct FillStopped {
    /// Successful requests with other keys that came between the oldest replayed key and now.
    pub reached: u64,
    /// What was asked for (`--late-replay-gap`).
    pub asked: u64,
    /// The answer that stopped them, in a few words.
    pub answer: String,
}

/// Everything the late replays of one contract observed.
#[derive(Debug, Clone, Default)]
pub(crate) struct LateReplays {
    /// The keys replayed, oldest first; empty when no keyed request succeeded.
    pub replays: Vec<LateReplay>,
    /// Set when fewer successful requests with other keys came in between than asked.
    pub fill_stopped: Option<FillStopped>,
    /// The idempotency key's name for messages (`requestId`, `Idempotency-Key`).
    pub key_name: String,
}
