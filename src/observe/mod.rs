//! Observations: what conform sent and what came back, the one record every later stage reads.
//!
//! An [`Exchange`] pairs the request as it went on the wire ([`Sent`]: method, URL, headers with
//! secret values marked, body bytes, idempotency key) with its answer: a [`Response`] (status,
//! headers, body, timing; its JSON and business result parsed once, when first needed) or the
//! [`TransportError`] that stopped it. A request retried while its status was unknown is a
//! [`Settled`] sequence with every try kept, and a case's whole record is an [`Observations`]
//! value in which every answer has the [`Label`] reports name it by.
//!
//! Promises that span a whole run (unique values, keys replayed late) are observed apart, in
//! [`UniqueRecord`] and [`LateReplays`].
//!
//! The runner ([`crate::run`]) fills these in; checks ([`crate::check`]) and snapshots only read
//! them, so evidence, snapshots and checks all see the same bytes.

mod case;
mod flow;
mod request;
mod response;
mod run_wide;
mod security;
#[cfg(test)]
pub(crate) mod testing;
mod transport;

pub(crate) use case::{AfterConflict, Observations, Settled};
pub(crate) use flow::{Captured, FlowRecord, StepRecord};
pub(crate) use request::{JSON_CONTENT_TYPE, Request, Sent, shown_url};
pub(crate) use response::{Business, Response, SignatureContext};
pub(crate) use run_wide::{Clash, FillStopped, Holder, LateReplay, LateReplays, UniqueRecord};
pub(crate) use security::SecurityRecord;
pub(crate) use transport::TransportError;

use crate::contract::{Contract, StatusRole};

/// One request as sent, and its answer.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    /// The request as it went on the wire.
    pub sent: Sent,
    /// What came back, or why nothing did.
    pub answer: Result<Response, TransportError>,
}

impl Exchange {
    /// The response, when one came back.
    pub(crate) fn response(&self) -> Option<&Response> {
        self.answer.as_ref().ok()
    }

    /// The role of the answer's business status, when it carries one.
    pub(crate) fn role(&self, contract: &Contract) -> Option<StatusRole> {
        self.response()?.role(contract)
    }
}
