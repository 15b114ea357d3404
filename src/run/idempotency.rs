//! Running the multi-request idempotency scenarios: a conflicting replay and identical
//! concurrent requests.

use futures::future::join_all;

use super::Context;
use super::exchange::{send, send_settled, settle};
use crate::check::idempotency::{self, ConflictRun};
use crate::check::{self};
use crate::contract::{Contract, Expect, StatusRole};
use crate::plan::{Concurrent, Conflict, keyed, to_bytes};
use crate::results::{Check, CheckResult};

/// Original request, then the changed one under the same key, then the original again.
pub async fn conflict(
    context: &Context,
    contract: &Contract,
    scenario: &Conflict,
) -> Vec<CheckResult> {
    let Some(rules) = &contract.idempotency else {
        return Vec::new();
    };
    let key = context.mint.key_for(contract);
    let original_bytes = to_bytes(&keyed(&scenario.original, &rules.key, &key));
    let changed_bytes = to_bytes(&keyed(&scenario.changed, &rules.key, &key));
    let first = send_settled(context, contract, &original_bytes).await;
    let mut checks = check::exchange_checks(contract, &success(contract), None, &first.answer);
    checks.extend(idempotency::settle(contract, &first));
    let original = match &first.answer {
        Ok(observed) if idempotency::role(contract, &first.answer) == Some(StatusRole::Success) => {
            observed
        }
        _ => {
            checks.push(CheckResult::skip(
                Check::IdempotencyConflict,
                "the original request did not succeed",
            ));
            return checks;
        }
    };
    let conflicting = send_settled(context, contract, &changed_bytes).await;
    let again = send_settled(context, contract, &original_bytes).await;
    let run = ConflictRun {
        original,
        conflict: &conflicting.answer,
        again: &again.answer,
        field: &scenario.field,
    };
    checks.push(idempotency::conflict(contract, &run));
    checks
}

/// The same request sent `count` times at once with one fresh key; unknown answers are
/// settled before the answers are compared.
pub async fn concurrent(
    context: &Context,
    contract: &Contract,
    scenario: &Concurrent,
) -> Vec<CheckResult> {
    let Some(rules) = &contract.idempotency else {
        return Vec::new();
    };
    let bytes = to_bytes(&keyed(
        &scenario.body,
        &rules.key,
        &context.mint.key_for(contract),
    ));
    let count = context.concurrency(contract);
    let answers = join_all((0..count).map(|_| send(context, contract, &bytes))).await;
    let settled = join_all(
        answers
            .into_iter()
            .map(|a| settle(context, contract, &bytes, a)),
    )
    .await;
    let mut checks = check::exchange_checks(contract, &success(contract), None, &settled[0].answer);
    checks.push(idempotency::concurrency(contract, &settled));
    checks
}

fn success(contract: &Contract) -> Expect {
    let status = contract
        .result
        .status_for(StatusRole::Success)
        .unwrap_or_default();
    Expect {
        status: status.to_string(),
        code: None,
    }
}
