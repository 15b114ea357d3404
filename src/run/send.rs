//! Sending, in one place: a request and its settling, replays, the conflict scenario and the
//! concurrency scenario. Each returns what it observed; judging is the checks' business.

use std::time::Duration;

use bytes::Bytes;
use futures::future::join_all;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use super::context::{Context, Settings};
use crate::contract::{Contract, StatusRole};
use crate::observe::{AfterConflict, Exchange, JSON_CONTENT_TYPE, Observations, Request, Settled};
use crate::plan::{self, Concurrent, Conflict, Document, KeySpec, Materialized, keyed};

/// The media type conform sends as `application/json; charset=UTF-8`.
const JSON_MEDIA_TYPE: &str = "application/json";

/// One exchange case: its request, settled, then its replays when it expects success. The
/// request comes back too, for the late replays.
pub(crate) async fn single(
    context: &Context,
    contract: &Contract,
    exchange: plan::Exchange,
) -> (Observations, Request) {
    let settings = context.settings(contract);
    let planned = exchange
        .request
        .materialize(&exchange.key, contract, &context.mint);
    // A request sent without its key (the key is optional, and the case leaves it out) has
    // no idempotency promise to replay: each such request is a new one.
    let keyed = planned.key.is_some();
    let request = request(contract, planned);
    let main = settled(context, contract, &settings, &request).await;
    let expects_success =
        contract.result.role(&exchange.expect.status) == Some(StatusRole::Success);
    let replays = (expects_success && keyed && settings.replays > 0).then_some(settings.replays);
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
    (Observations::Single { main, replays }, request)
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
    let [request] = keyed_requests(context, contract, [&scenario.request]);
    let sends = (0..settings.concurrency).map(|_| context.target.send(&request));
    let firsts = join_all(sends).await;
    let settling = firsts
        .into_iter()
        .map(|first| settle(context, contract, &settings, &request, first));
    Observations::Concurrent {
        answers: join_all(settling).await,
    }
}

/// Requests for `documents`, all under one fresh key (or as planned without a key).
fn keyed_requests<const N: usize>(
    context: &Context,
    contract: &Contract,
    documents: [&serde_json::Value; N],
) -> [Request; N] {
    let pointer = contract
        .idempotency
        .as_ref()
        .map(|i| i.key_in.document_pointer());
    let key = pointer.as_ref().map(|_| context.mint.key_for(contract));
    documents.map(|document| {
        let document = match (&pointer, &key) {
            (Some(pointer), Some(key)) => keyed(document, pointer, key),
            _ => document.clone(),
        };
        let planned =
            Document::Whole(document).materialize(&KeySpec::Keep, contract, &context.mint);
        request(contract, planned).with_key(key.clone())
    })
}

/// The request to send for a materialized case: the operation's method, the path and query,
/// the request's own headers, and the body with its media type.
pub(crate) fn request(contract: &Contract, planned: Materialized) -> Request {
    let mut headers = HeaderMap::new();
    if planned.body.is_some()
        && let Some(media) = &contract.request_media
    {
        let value = if media.eq_ignore_ascii_case(JSON_MEDIA_TYPE) {
            HeaderValue::from_static(JSON_CONTENT_TYPE)
        } else {
            HeaderValue::from_str(media).unwrap_or(HeaderValue::from_static(JSON_CONTENT_TYPE))
        };
        headers.insert(CONTENT_TYPE, value);
    }
    for (name, value) in &planned.headers {
        // Generated cases put any text in a header, multibyte characters included: they go as
        // UTF-8 bytes. Only a name or value HTTP cannot carry at all is left out.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.insert(name, value);
        }
    }
    Request {
        // Contracts only compile with an upper-case method.
        method: Method::from_bytes(contract.method.as_bytes()).unwrap_or(Method::POST),
        path: planned.path_and_query,
        headers,
        body: planned.body.map(Bytes::from),
        key: planned.key,
    }
}

/// Sends `request`, then settles its answer.
pub(crate) async fn settled(
    context: &Context,
    contract: &Contract,
    settings: &Settings,
    request: &Request,
) -> Settled {
    let first = context.target.send(request).await;
    settle(context, contract, settings, request, first).await
}

/// Sends `request` again while the latest answer has the unknown status, waiting a doubling
/// backoff in between (or the answer's `Retry-After`, when longer), never longer than the
/// contract's `settle.maxWait`, up to the run's number of tries; every try is kept.
async fn settle(
    context: &Context,
    contract: &Contract,
    settings: &Settings,
    request: &Request,
    first: Exchange,
) -> Settled {
    let mut settled = Settled::new(first);
    let mut backoff = settings.settle_backoff.min(settings.settle_max_wait);
    while settled.still_unknown(contract) && settled.tries().len() < settings.settle_tries as usize
    {
        let asked = settled.answer().response().and_then(retry_after);
        let wait = asked
            .map_or(backoff, |a| a.max(backoff))
            .min(settings.settle_max_wait);
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(settings.settle_max_wait);
        settled.push(context.target.send(request).await);
    }
    settled
}

/// The wait an answer's `Retry-After` asks for, in seconds (an HTTP date is not honoured: a
/// clock difference would make it meaningless here).
fn retry_after(response: &crate::observe::Response) -> Option<Duration> {
    let seconds: u64 = response.header("retry-after")?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}
