//! Sending, in one place: a request and its settling, replays, the conflict scenario and the
//! concurrency scenario. Each returns what it observed; judging is the checks' business.

use std::time::Duration;

use futures::future::join_all;

use super::context::{Context, Settings};
use crate::contract::{Contract, StatusRole};
use crate::observe::{AfterConflict, Exchange, Observations, Request, Settled};
use crate::plan::{self, Concurrent, Conflict, keyed, to_bytes};

/// Longest wait between two settle tries, whatever the backoff doubling says.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// One exchange case: its request, settled, then its replays when it expects success.
pub(crate) async fn single(
    context: &Context,
    contract: &Contract,
    exchange: plan::Exchange,
) -> Observations {
    let settings = context.settings(contract);
    let body = exchange
        .body
        .materialize(&exchange.key, contract, &context.mint);
    let request = Request::json(&contract.method, &contract.path, body.bytes).with_key(body.key);
    let main = settled(context, contract, &settings, &request).await;
    let expects_success =
        contract.result.role(&exchange.expect.status) == Some(StatusRole::Success);
    let replays = (expects_success && settings.replays > 0).then_some(settings.replays);
    let replays = match replays {
        None => None,
        Some(_) if main.answer().role(contract) != Some(StatusRole::Success) => Some(Vec::new()),
        Some(count) => {
            let mut sent = Vec::new();
            for _ in 0..count {
                sent.push(context.target.send(&request).await);
            }
            Some(sent)
        }
    };
    Observations::Single { main, replays }
}

/// The original request, then the changed one under the same key, then the original again.
pub(crate) async fn conflict(
    context: &Context,
    contract: &Contract,
    scenario: &Conflict,
) -> Observations {
    let settings = context.settings(contract);
    let [original, changed] =
        keyed_requests(context, contract, [&scenario.original, &scenario.changed]);
    let first = settled(context, contract, &settings, &original).await;
    let after = if first.answer().role(contract) == Some(StatusRole::Success) {
        let conflicting = settled(context, contract, &settings, &changed).await;
        let again = settled(context, contract, &settings, &original).await;
        Some(AfterConflict { conflicting, again })
    } else {
        None
    };
    Observations::Conflict {
        original: first,
        field: scenario.field.clone(),
        after,
    }
}

/// The same request sent `concurrency` times at once with one fresh key; unknown answers are
/// settled before the answers are compared.
pub(crate) async fn concurrent(
    context: &Context,
    contract: &Contract,
    scenario: &Concurrent,
) -> Observations {
    let settings = context.settings(contract);
    let [request] = keyed_requests(context, contract, [&scenario.body]);
    let sends = (0..settings.concurrency).map(|_| context.target.send(&request));
    let firsts = join_all(sends).await;
    let settling = firsts
        .into_iter()
        .map(|first| settle(context, contract, &settings, &request, first));
    Observations::Concurrent {
        answers: join_all(settling).await,
    }
}

/// Requests for `bodies`, all under one fresh key (or as planned without a key field).
fn keyed_requests<const N: usize>(
    context: &Context,
    contract: &Contract,
    bodies: [&serde_json::Value; N],
) -> [Request; N] {
    let pointer = contract.idempotency.as_ref().map(|i| &i.key);
    let key = pointer.map(|_| context.mint.key_for(contract));
    bodies.map(|body| {
        let bytes = match (pointer, &key) {
            (Some(pointer), Some(key)) => to_bytes(&keyed(body, pointer, key)),
            _ => to_bytes(body),
        };
        Request::json(&contract.method, &contract.path, bytes).with_key(key.clone())
    })
}

/// Sends `request`, then settles its answer.
async fn settled(
    context: &Context,
    contract: &Contract,
    settings: &Settings,
    request: &Request,
) -> Settled {
    let first = context.target.send(request).await;
    settle(context, contract, settings, request, first).await
}

/// Sends `request` again while the latest answer has the unknown status, waiting a doubling
/// backoff in between, up to the run's number of tries; every try is kept.
async fn settle(
    context: &Context,
    contract: &Contract,
    settings: &Settings,
    request: &Request,
    first: Exchange,
) -> Settled {
    let mut settled = Settled::new(first);
    let mut backoff = settings.settle_backoff;
    while settled.still_unknown(contract) && settled.tries().len() < settings.settle_tries as usize
    {
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        settled.push(context.target.send(request).await);
    }
    settled
}
