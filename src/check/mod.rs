//! Checks: pure judges of what a case observed. Each file judges one aspect and returns a
//! [`CheckResult`]; [`judge`] puts a case's results together in report order, every answer of
//! the case going through the per-response checks (`answers`). Nothing here
//! sends a request or decides what to send next: the runner does, and hands over
//! [`Observations`].
//!
//! The run-wide checks, [`unique`] and [`late_replay`], judge what the whole run observed
//! rather than one case's answers.
//!
//! A failed check is data, not an error: the target breaking the contract is conform working.
//! A check whose input is missing (no response, no JSON) is recorded as skipped with the reason.

pub(crate) mod answers;
pub(crate) mod compare;
mod content_type;
mod expectation;
pub(crate) mod flow;
pub(crate) mod http_status;
mod idempotency;
pub(crate) mod late_replay;
mod response_headers;
mod response_schema;
mod result_status;
pub(crate) mod scenario;
pub(crate) mod security;
mod signature;
pub(crate) mod steps;
pub(crate) mod unique;

use crate::contract::{Contract, Expect};
use crate::observe::Observations;
use crate::plan::Probe;
use crate::results::{Check, CheckResult};

#[cfg(test)]
pub(crate) use result_status::semantics as result_semantics;

/// The per-response checks of one exchange of real traffic (`conform proxy`), in report order,
/// and the signature row when its answer is checked for a signature: what [`judge`] gives every
/// answer of a case.
pub(crate) fn per_response(
    contract: &Contract,
    observed: &Observations,
) -> (Vec<CheckResult>, Option<CheckResult>) {
    let judged = answers::judge(contract, observed);
    (judged.rows, judged.signature)
}

/// Every check of one case, in report order: the per-response checks over every answer,
/// `expectation` on the main request's settled answer, the signature check over every answer,
/// then the idempotency checks the observations call for.
pub(crate) fn judge(
    contract: &Contract,
    expect: &Expect,
    probe: Option<&Probe>,
    observed: &Observations,
) -> Vec<CheckResult> {
    let per_response = answers::judge(contract, observed);
    let mut results = per_response.rows;
    let judged = match observed {
        Observations::Concurrent { answers } => &answers[idempotency::processed(contract, answers)],
        other => other.main(),
    };
    results.push(match &judged.answer().answer {
        Ok(response) => expectation::check(contract, expect, probe, response),
        Err(_) => CheckResult::skip(Check::Expectation, "no response"),
    });
    results.extend(per_response.signature);
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

#[cfg(test)]
mod tests;
