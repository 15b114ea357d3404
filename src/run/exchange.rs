//! Running one exchange: materialize the body with a fresh key, send it (retrying while the
//! status is unknown), check the answer, then replay it when it succeeded.

use std::time::Duration;

use reqwest::header::HeaderMap;

use super::Context;
use crate::check::idempotency::{self, Answer, Settled};
use crate::check::{self, Observed};
use crate::contract::{Contract, StatusRole};
use crate::plan::Exchange;
use crate::results::{Check, CheckResult};

/// Longest wait between two settle tries, whatever the backoff doubling says.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// What an exchange produced: its check results, and the settled answer with the key it was
/// sent under, for the snapshot check.
pub struct Outcome {
    pub checks: Vec<CheckResult>,
    pub answer: Answer,
    pub key: Option<String>,
}

/// Sends the exchange's request and runs the per-response and idempotency checks.
pub async fn run(context: &Context, contract: &Contract, exchange: Exchange) -> Outcome {
    let sent = exchange
        .body
        .into_sent(&exchange.key, contract, &context.mint);
    let settled = send_settled(context, contract, &sent.bytes).await;
    let mut checks = check::exchange_checks(
        contract,
        &exchange.expect,
        exchange.probe.as_ref(),
        &settled.answer,
    );
    checks.extend(idempotency::settle(contract, &settled));
    let expects_success =
        contract.result.role(&exchange.expect.status) == Some(StatusRole::Success);
    let replays = context.replays(contract);
    if expects_success && replays > 0 {
        checks.push(replay(context, contract, &settled.answer, &sent.bytes, replays).await);
    }
    Outcome {
        checks,
        answer: settled.answer,
        key: sent.key,
    }
}

async fn replay(
    context: &Context,
    contract: &Contract,
    answer: &Answer,
    bytes: &[u8],
    count: u32,
) -> CheckResult {
    let original = match answer {
        Ok(observed) if idempotency::role(contract, answer) == Some(StatusRole::Success) => {
            observed
        }
        _ => {
            return CheckResult::skip(
                Check::IdempotencyReplay,
                "the case did not succeed, so there is nothing to replay",
            );
        }
    };
    let mut replays = Vec::new();
    for _ in 0..count {
        replays.push(send(context, contract, bytes).await);
    }
    idempotency::replay(contract, original, &replays)
}

/// Sends `bytes` once.
pub async fn send(context: &Context, contract: &Contract, bytes: &[u8]) -> Answer {
    context
        .target
        .send(
            &contract.method,
            &contract.path,
            bytes.to_vec(),
            HeaderMap::new(),
        )
        .await
        .map(Observed::new)
}

/// Sends `bytes`, then again with the same key and body while the answer has the unknown
/// status, waiting a doubling backoff in between, up to the contract's number of tries.
pub async fn send_settled(context: &Context, contract: &Contract, bytes: &[u8]) -> Settled {
    let first = send(context, contract, bytes).await;
    settle(context, contract, bytes, first).await
}

/// Settles an answer already received.
pub async fn settle(
    context: &Context,
    contract: &Contract,
    bytes: &[u8],
    first: Answer,
) -> Settled {
    let (max_tries, mut backoff) = match &contract.idempotency {
        Some(i) => (context.settle_tries(contract), i.settle_backoff),
        None => (1, Duration::ZERO),
    };
    let mut settled = Settled {
        answer: first,
        tries: 1,
        saw_unknown: false,
    };
    while idempotency::role(contract, &settled.answer) == Some(StatusRole::Unknown) {
        settled.saw_unknown = true;
        if settled.tries >= max_tries {
            break;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        settled.answer = send(context, contract, bytes).await;
        settled.tries += 1;
    }
    settled
}
