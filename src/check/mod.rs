//! Checks: pure judges of what a case observed. Each file judges one aspect and returns a
//! [`CheckResult`]; [`judge`] puts a case's results together in report order. Nothing here
//! sends a request or decides what to send next: the runner does, and hands over
//! [`Observations`].
//!
//! A failed check is data, not an error: the target breaking the contract is conform working.
//! A check whose input is missing (no response, no JSON) is recorded as skipped with the reason.

mod compare;
mod content_type;
mod expectation;
mod http_status;
mod idempotency;
mod response_schema;
mod result_status;
mod signature;

use crate::contract::{Contract, Expect};
use crate::observe::{Exchange, Observations, TransportError};
use crate::plan::Probe;
use crate::results::{Check, CheckResult};

pub use result_status::semantics as result_semantics;

/// Every check of one case, in report order: the per-response checks, `expectation` on the main
/// request's settled answer, then the idempotency checks the observations call for.
pub fn judge(
    contract: &Contract,
    expect: &Expect,
    probe: Option<&Probe>,
    observed: &Observations,
) -> Vec<CheckResult> {
    let mut results = answer_checks(contract, expect, probe, observed.main().answer());
    match observed {
        Observations::Single { main, replays } => {
            results.extend(idempotency::settle(contract, main));
            if let Some(replays) = replays {
                results.push(idempotency::replay(contract, main.answer(), replays));
            }
        }
        Observations::Conflict {
            original,
            field,
            after,
        } => {
            results.extend(idempotency::settle(contract, original));
            results.push(idempotency::conflict(
                contract,
                original,
                field,
                after.as_ref(),
            ));
        }
        Observations::Concurrent { answers } => {
            results.push(idempotency::concurrency(contract, answers));
        }
    }
    results
}

/// The per-response checks of one answer, with `expectation`, in report order.
fn answer_checks(
    contract: &Contract,
    expect: &Expect,
    probe: Option<&Probe>,
    exchange: &Exchange,
) -> Vec<CheckResult> {
    let response = match &exchange.answer {
        Ok(response) => response,
        Err(err) => return unreachable_target(err),
    };
    let status = response.status;
    let mut results = vec![
        CheckResult::pass(Check::Transport),
        http_status::check(contract, response),
    ];
    if contract.result.http_status.contains(&status) {
        results.push(content_type::check(contract, response));
        results.push(response_schema::check(contract, response));
        results.push(result_status::check(contract, response));
    } else {
        // A non-business status is a transport-level failure: its body and headers are not
        // the API's, so judging them would only add noise.
        let why = format!("HTTP {status} carries no business result");
        for check in [
            Check::ContentType,
            Check::ResponseSchema,
            Check::ResultStatus,
        ] {
            results.push(CheckResult::skip(check, why.clone()));
        }
    }
    results.push(expectation::check(contract, expect, probe, response));
    if let Some(context) = &response.signature_context {
        results.push(signature::check(contract, response, context));
    }
    results
}

fn unreachable_target(err: &TransportError) -> Vec<CheckResult> {
    let mut results = vec![CheckResult::fail_with(Check::Transport, err.to_string())];
    for check in [
        Check::HttpStatus,
        Check::ContentType,
        Check::ResponseSchema,
        Check::ResultStatus,
        Check::Expectation,
    ] {
        results.push(CheckResult::skip(check, "no response"));
    }
    results
}

#[cfg(test)]
mod tests;
