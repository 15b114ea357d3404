//! Late replays, after all other traffic of the run. Replays right after a first request only
//! show that a key is remembered for milliseconds; retries in production come minutes later,
//! after other traffic. So a sample of the run's earliest successful keys (and some spread over
//! the rest of it) is replayed once
//!
//! 1. at least `--late-replay-gap` successful requests with other keys of the same operation
//!    came after the oldest of them (valid requests with fresh keys are sent to make up the
//!    difference, so a memory of the last 50 keys is passed however small the run), and
//! 2. the youngest of them is `--late-replay-after` old (the run waits only as long as that
//!    takes),
//!
//! each with its key and body (all at once), settled like any request, and compared with its
//! first answer.

use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::join_all;

use super::context::{Context, settle_tries};
use super::ledger::{Answered, Kept};
use super::{resources, send};
use crate::check::{answers, late_replay};
use crate::contract::{Contract, StatusRole};
use crate::observe::{Exchange, FillStopped, LateReplay, LateReplays, Settled};
use crate::plan::{self, Document, KeySpec};
use crate::results::CheckResult;
use crate::target::Secrets;

/// How a run replays late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LateOptions {
    /// Keys replayed per contract (0: none).
    pub keys: u32,
    /// The least age of a key when replayed.
    pub after: Duration,
    /// The fewest successful requests with other keys between a key's first answer and its
    /// late replay.
    pub gap: u64,
    /// Requests sent at once while making up that gap.
    pub batch: usize,
}

/// Replays the sampled keys of the contract at `index` late; `case` names the requests sent
/// to make up the gap. Returns the case's checks: `late-replay`, and `signature` over every
/// answer when the run checks signatures (the replays' signatures are not part of what
/// `late-replay` compares); and the case's own secrets, when its exchanges add any.
pub(crate) async fn run(
    context: &Context,
    index: usize,
    case: &str,
) -> (Vec<CheckResult>, Option<Secrets>) {
    let contract = &context.contracts[index];
    let key_name = contract
        .idempotency
        .as_ref()
        .map_or("key", |i| i.key_in.name())
        .to_string();
    let picked = match context.ledger.sample(index) {
        Ok(picked) => picked,
        // The case's guard reports this as conform failing (exit 4), under the case's name.
        Err(err) => panic!("the keys kept for late replays could not be read back: {err}"),
    };
    let mut observed = LateReplays {
        replays: Vec::new(),
        fill_stopped: None,
        key_name,
    };
    let (Some(oldest), Some(youngest)) = (
        picked.iter().map(|k| k.successes).min(),
        picked.iter().map(|k| k.at).max(),
    ) else {
        return (vec![late_replay::check(&observed)], None);
    };
    let (fill_stopped, filled, mut signatures) = fill(context, index, case, oldest).await;
    observed.fill_stopped = fill_stopped;
    let ready = youngest + context.late.after;
    tokio::time::sleep(ready.saturating_duration_since(Instant::now())).await;
    // The first answers may quote their requests' signatures, sent by other cases.
    let echoed: Vec<String> = picked.iter().flat_map(|k| k.echoed.clone()).collect();
    let replays = picked
        .into_iter()
        .map(|kept| replay(context, index, contract, kept));
    observed.replays = join_all(replays).await;
    context.ledger.note(&observed.replays);
    let secrets = answered(context, (index, case), (&filled, &observed), &echoed);
    for replay in &observed.replays {
        let label = replayed(replay, &observed.key_name);
        signatures.extend(signatures_of(contract, &label, &replay.late));
    }
    let checks = std::iter::once(late_replay::check(&observed));
    let checks = checks.chain(answers::signature_row(&signatures)).collect();
    (checks, secrets)
}

/// How findings and evidence name a late replay's answer: `late replay of requestId 1001
/// (first sent by issueCard/example/seed-sample)`.
fn replayed(replay: &LateReplay, key_name: &str) -> String {
    format!(
        "late replay of {key_name} {} (first sent by {})",
        replay.key, replay.case
    )
}

/// The `signature` check of each answer of `settled` the run checked for signatures, labelled
/// `label` (its settle tries as `label, settle try 1 of 2`).
fn signatures_of(
    contract: &Contract,
    label: &str,
    settled: &Settled,
) -> Vec<(String, CheckResult)> {
    let signed = |exchange: &&Exchange| {
        exchange
            .response()
            .is_some_and(|r| r.signature_context.is_some())
    };
    settle_tries(label, settled)
        .into_iter()
        .filter(|(_, exchange)| signed(exchange))
        .map(|(label, exchange)| (label, answers::signature_of(contract, exchange)))
        .collect()
}

/// The case's exchanges, for coverage and evidence: the requests sent to make up the gap, then
/// each late replay (its first answer is in the evidence of the case that first sent the key).
/// Returns the case's own secrets, when its exchanges add any.
fn answered(
    context: &Context,
    (index, case): (usize, &str),
    (filled, observed): (&[Settled], &LateReplays),
    echoed: &[String],
) -> Option<Secrets> {
    let of = filled.len();
    let mut labelled = Vec::new();
    for (n, settled) in filled.iter().enumerate() {
        labelled.extend(settle_tries(
            &format!("gap request {} of {of}", n + 1),
            settled,
        ));
    }
    for replay in &observed.replays {
        labelled.extend(settle_tries(
            &replayed(replay, &observed.key_name),
            &replay.late,
        ));
    }
    context.answered_quoting(index, case, &labelled, echoed)
}

/// One key replayed: its age and the traffic since are taken just before it is sent.
async fn replay(context: &Context, index: usize, contract: &Contract, kept: Kept) -> LateReplay {
    let age = kept.at.elapsed();
    let requests_between = context.target.sent().saturating_sub(kept.sent);
    let keys_between = context
        .ledger
        .successes(index)
        .saturating_sub(kept.successes);
    let settings = context.settings(contract);
    let late = send::settled(context, contract, &settings, &kept.request).await;
    LateReplay {
        case: kept.case,
        key: kept.key,
        first: kept.first,
        late,
        age,
        requests_between,
        keys_between,
    }
}

/// Sends valid requests with fresh keys until `gap` successful requests of the contract came
/// after the one entered as number `oldest`: why it stopped short, if it did, what was sent
/// when the run keeps evidence, and the `signature` check of each answer (judged as it comes:
/// a gap can be hundreds of requests).
async fn fill(
    context: &Context,
    index: usize,
    case: &str,
    oldest: u64,
) -> (
    Option<FillStopped>,
    Vec<Settled>,
    Vec<(String, CheckResult)>,
) {
    let asked = context.late.gap;
    let reached = || context.ledger.successes(index).saturating_sub(oldest);
    let contract = &context.contracts[index];
    let stopped = |answer: String| FillStopped {
        reached: reached(),
        asked,
        answer,
    };
    let (mut sent, mut signatures) = (Vec::new(), Vec::new());
    if reached() >= asked {
        return (None, sent, signatures);
    }
    let Some(base) = plan::base_document(contract) else {
        let nothing = "nothing: the contract has no valid request to send";
        return (Some(stopped(nothing.into())), sent, signatures);
    };
    // Each request that succeeds counts once, so exactly the missing number is sent, `--jobs`
    // at a time; the first that does not succeed stops the rest.
    let missing = asked.saturating_sub(reached());
    let mut sends = futures::stream::iter(0..missing)
        .map(|_| fill_one(context, index, case, &base))
        .buffer_unordered(context.late.batch.max(1));
    let mut n = 0;
    while let Some((outcome, settled)) = sends.next().await {
        if let Some(settled) = &settled {
            n += 1;
            let label = format!("gap request {n}");
            signatures.extend(signatures_of(contract, &label, settled));
        }
        // Kept only for a record of the run: a gap can be hundreds of requests.
        if context.evidence.is_some() {
            sent.extend(settled);
        }
        if let Err(answer) = outcome {
            return (Some(stopped(answer)), sent, signatures);
        }
    }
    (None, sent, signatures)
}

/// One valid request with a fresh key, entered in the ledger: what came back when it did not
/// succeed, and the request as settled (none when the resource it needs could not be made).
async fn fill_one(
    context: &Context,
    index: usize,
    case: &str,
    base: &serde_json::Value,
) -> (Result<(), String>, Option<Settled>) {
    let contract = &context.contracts[index];
    let mut document = Document::Whole(base.clone());
    if let Some(setup) = resources::prepare(context, contract, &mut document, None, case).await
        && setup.outcome == crate::results::Outcome::Fail
    {
        return (Err(setup.message()), None);
    }
    let planned = document.materialize(&KeySpec::Fresh, contract, &context.mint);
    let request = send::request(contract, planned);
    let settings = context.settings(contract);
    let settled = send::settled(context, contract, &settings, &request).await;
    let exchange = settled.answer();
    context.ledger.enter(
        index,
        contract,
        Answered {
            case,
            exchange,
            request: None,
            sent: context.target.sent(),
        },
    );
    let outcome = match &exchange.answer {
        Ok(response) if response.role(contract) == Some(StatusRole::Success) => Ok(()),
        Ok(response) => Err(response.describe(contract)),
        Err(err) => Err(format!("no answer: {err}")),
    };
    (outcome, Some(settled))
}
