//! Checking real traffic: the requests a client sent and the answers it got, seen by
//! `conform proxy` (in front of an implementation, see [`crate::proxy`]) or by `serve --report`
//! (the reference implementation answering), each judged against the contract whose operation
//! it matches.
//!
//! A traffic run is a run whose cases are the exchanges seen, grouped by operation, so the same
//! reporters render it. Every exchange has its client's side judged ([`request`]: the request
//! rules, the signature when the client's key is given; [`keys`]: an idempotency key used again
//! only for a retry) and, when the answer is the implementation's under test, its
//! implementation's side: every per-response check of [`crate::check`], whether an invalid
//! request was rejected as the contract says, and idempotency across the traffic (two different
//! successes for one key are a finding whenever they happen). [`coverage`] counts what the
//! traffic exercised, [`log`] writes the live line per exchange, [`secrets`] keeps credentials
//! out of both, and [`session`] drives it all from a channel of [`Seen`] exchanges.

mod coverage;
mod judge;
mod keys;
mod log;
mod request;
mod secrets;
mod session;

use std::collections::HashMap;

use reqwest::Url;
use tokio::sync::mpsc;

pub(crate) use judge::JudgeOptions;
pub(crate) use session::{Session, SessionOptions};

use crate::contract::Contract;
use crate::observe::{Response, TransportError};
use crate::reference::{Incoming, ServedRequest};
use crate::results::{ContractInfo, Implementation, RunInfo, Scope};

/// Exchanges waiting to be judged at most; a server with this many waiting holds the next
/// request back until the judge catches up, so memory stays bounded.
pub(crate) const WAITING: usize = 1024;

/// One exchange as seen.
#[derive(Debug)]
pub(crate) struct Seen {
    /// Its number in the run, in the order requests arrived, from 1.
    pub number: u64,
    /// The contract whose operation it matched (its index among the session's contracts) and
    /// the path parameters its route read; `None` when it matched none.
    pub operation: Option<(usize, Vec<(String, String)>)>,
    /// The request as received: method, path and query as sent, headers, body.
    pub request: Incoming,
    /// Whether `request.body` is the whole body (it is only its start when the body was larger
    /// than the bound on what is checked).
    pub request_whole: bool,
    /// Where the request went (the URL it was forwarded to).
    pub url: Url,
    /// What came back, or why nothing did.
    pub answer: Result<Response, TransportError>,
}

/// What a traffic run is about, for the reporters: the contracts, the target (or `serve`'s own
/// URL) and how the run watches.
pub(crate) fn run_info(
    contracts: &[Contract],
    target: &str,
    embedded: bool,
    implementation: Implementation,
    scope: Scope,
) -> RunInfo {
    RunInfo {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        target: target.to_string(),
        embedded,
        implementation,
        contracts: contracts
            .iter()
            .map(|c| ContractInfo {
                name: c.name.clone(),
                path: c.source.path.display().to_string(),
                sha256: c.source.sha256.clone(),
            })
            .collect(),
        started: jiff::Timestamp::now().to_string(),
        scope,
    }
}

/// The requests `serve` answered (see [`crate::reference::RequestLog`]) as exchanges to judge,
/// numbered as they come; `base` is `serve`'s URL.
pub(crate) fn served(
    contracts: &[Contract],
    base: &str,
    mut requests: mpsc::Receiver<ServedRequest>,
) -> mpsc::Receiver<Seen> {
    let index: HashMap<String, usize> = (contracts.iter().enumerate())
        .map(|(i, c)| (c.name.clone(), i))
        .collect();
    let base = base.trim_end_matches('/').to_string();
    let (sender, seen) = mpsc::channel(WAITING);
    tokio::spawn(async move {
        let mut number = 0;
        while let Some(served) = requests.recv().await {
            number += 1;
            let exchange = from_served(&index, &base, number, served);
            if sender.send(exchange).await.is_err() {
                return;
            }
        }
    });
    seen
}

fn from_served(
    index: &HashMap<String, usize>,
    base: &str,
    number: u64,
    served: ServedRequest,
) -> Seen {
    let operation = (served.operation.as_ref())
        .and_then(|name| index.get(name))
        .map(|&i| (i, served.path_params.clone()));
    let text = format!("{base}{}", served.request.path);
    let url = Url::parse(&text).unwrap_or_else(|_| Url::parse(base).expect("serve's own URL"));
    let answer = &served.answer;
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(media) = &answer.content_type {
        headers.insert(reqwest::header::CONTENT_TYPE, media.clone());
    }
    let response = Response::new(
        answer.status,
        headers,
        answer.body.to_vec(),
        Default::default(),
    );
    Seen {
        number,
        operation,
        request_whole: served.body_read,
        request: served.request,
        url,
        answer: Ok(response),
    }
}
