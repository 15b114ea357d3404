//! Idempotency checks: settling an `unknown` status, replays with the same key and body,
//! conflicting replays, and identical concurrent requests, judged from what the runner observed
//! (see [`super::compare`] for how two answers are compared).

use super::compare::{changed_fields, diff, same};
use crate::contract::{ConflictPolicy, Contract, StatusRole};
use crate::observe::{AfterConflict, Exchange, Response, Settled};
use crate::results::{Check, CheckResult, Finding};

/// `idempotency-settle`, only for requests that met the unknown status.
pub fn settle(contract: &Contract, settled: &Settled) -> Option<CheckResult> {
    if !settled.saw_unknown(contract) {
        return None;
    }
    if settled.still_unknown(contract) {
        let status = unknown_status(contract);
        let tries = settled.tries().len();
        let message = format!(
            "status {status} did not settle after {tries} {}",
            if tries == 1 { "try" } else { "tries" }
        );
        return Some(CheckResult::fail_with(Check::IdempotencySettle, message));
    }
    Some(CheckResult::pass(Check::IdempotencySettle))
}

/// `idempotency-replay`: every replay returned exactly the original answer.
pub fn replay(contract: &Contract, original: &Exchange, replays: &[Exchange]) -> CheckResult {
    let original = match &original.answer {
        Ok(response) if response.role(contract) == Some(StatusRole::Success) => response,
        _ => {
            return CheckResult::skip(
                Check::IdempotencyReplay,
                "the case did not succeed, so there is nothing to replay",
            );
        }
    };
    let key = key_name(contract);
    let total = replays.len();
    let mut findings = Vec::new();
    let mut first_diff = None;
    for (i, replay) in replays.iter().enumerate() {
        let which = format!("replay {} of {total} (same {key}, same body)", i + 1);
        match &replay.answer {
            Err(err) => findings.push(Finding::message(format!("{which}: {err}"))),
            Ok(response) if !same(original, response) => {
                let changes = changed_fields(original, response);
                findings.push(Finding::message(format!(
                    "{which} returned a different answer: {changes}"
                )));
                first_diff.get_or_insert_with(|| {
                    let right = format!("replay {}", i + 1);
                    diff(original, response, "first answer", &right)
                });
            }
            Ok(_) => {}
        }
    }
    with_diff(
        CheckResult::from_findings(Check::IdempotencyReplay, findings),
        first_diff,
    )
}

/// `idempotency-conflict`: the conflicting request got what the policy allows, a second
/// success never differs from the first, and the original still replays unchanged.
pub fn conflict(
    contract: &Contract,
    original: &Settled,
    field: &str,
    after: Option<&AfterConflict>,
) -> CheckResult {
    let Some(idempotency) = &contract.idempotency else {
        return CheckResult::skip(
            Check::IdempotencyConflict,
            "the contract has no idempotency key",
        );
    };
    let (Some(original), Some(after)) = (success(contract, original.answer()), after) else {
        return CheckResult::skip(
            Check::IdempotencyConflict,
            "the original request did not succeed",
        );
    };
    let mut findings = Vec::new();
    let what = format!(
        "with `{field}` changed under the same {}",
        key_name(contract)
    );
    let mut shown_diff = None;
    match &after.conflicting.answer().answer {
        Err(err) => findings.push(Finding::message(format!(
            "the conflicting request ({what}) got no answer: {err}"
        ))),
        Ok(answer) => {
            let allowed = judge_conflict(
                contract,
                idempotency.policy,
                idempotency.conflict_code.as_deref(),
                original,
                answer,
            );
            if let Err(expected) = allowed {
                let got = answer.describe(contract);
                let mut message =
                    format!("the conflicting request ({what}): expected {expected}, got {got}");
                if answer.role(contract) == Some(StatusRole::Success) {
                    message.push_str(&format!(" ({})", changed_fields(original, answer)));
                    let right = "conflicting request's answer";
                    shown_diff = Some(diff(original, answer, "original answer", right));
                }
                findings.push(Finding::message(message));
            }
        }
    }
    match &after.again.answer().answer {
        Err(err) => findings.push(Finding::message(format!(
            "replaying the original afterwards got no answer: {err}"
        ))),
        Ok(again) if !same(original, again) => {
            let changes = changed_fields(original, again);
            findings.push(Finding::message(format!(
                "replaying the original afterwards returned a different answer: {changes}"
            )));
            shown_diff.get_or_insert_with(|| {
                let right = "original replayed after the conflict";
                diff(original, again, "original answer", right)
            });
        }
        Ok(_) => {}
    }
    with_diff(
        CheckResult::from_findings(Check::IdempotencyConflict, findings),
        shown_diff,
    )
}

/// The response of `exchange` when it is a success.
fn success<'a>(contract: &Contract, exchange: &'a Exchange) -> Option<&'a Response> {
    exchange
        .response()
        .filter(|r| r.role(contract) == Some(StatusRole::Success))
}

/// `Ok` when the answer is allowed by the policy, otherwise what was expected.
fn judge_conflict(
    contract: &Contract,
    policy: ConflictPolicy,
    code: Option<&str>,
    original: &Response,
    answer: &Response,
) -> Result<(), String> {
    let failure = contract
        .result
        .status_for(StatusRole::Failure)
        .unwrap_or("F");
    let rejected = answer
        .business(contract)
        .is_some_and(|b| b.status.as_deref() == Some(failure) && b.code.as_deref() == code);
    let original_back = same(original, answer);
    let rejection = format!("{failure}/{}", code.unwrap_or_default());
    match policy {
        ConflictPolicy::SameResult if original_back => Ok(()),
        ConflictPolicy::SameResult => Err("the original answer (policy same-result)".into()),
        ConflictPolicy::Reject if rejected => Ok(()),
        ConflictPolicy::Reject => Err(format!("{rejection} (policy reject)")),
        ConflictPolicy::Either if original_back || rejected => Ok(()),
        ConflictPolicy::Either => Err(format!(
            "the original answer or {rejection} (policy either)"
        )),
    }
}

/// `idempotency-concurrency`: identical requests sent at once all got the same answer.
pub fn concurrency(contract: &Contract, answers: &[Settled]) -> CheckResult {
    let total = answers.len();
    let mut findings = Vec::new();
    let mut distinct: Vec<(&Response, usize)> = Vec::new();
    for (i, settled) in answers.iter().enumerate() {
        match &settled.answer().answer {
            Err(err) => findings.push(Finding::message(format!(
                "request {} of {total}: {err}",
                i + 1
            ))),
            Ok(response) => match distinct.iter_mut().find(|(seen, _)| same(seen, response)) {
                Some((_, count)) => *count += 1,
                None => distinct.push((response, 1)),
            },
        }
    }
    let mut shown_diff = None;
    if let [(first, n), (second, m), ..] = distinct.as_slice() {
        let changes = changed_fields(first, second);
        let message = format!(
            "{total} identical concurrent requests (same {}) got {} different answers: {n} × one, {m} × another ({changes})",
            key_name(contract),
            distinct.len()
        );
        findings.push(Finding::message(message));
        shown_diff = Some(diff(first, second, "answer A", "answer B"));
    }
    if answers.iter().any(|s| s.still_unknown(contract)) {
        let status = unknown_status(contract);
        findings.push(Finding::message(format!(
            "some answers stayed {status} after settling"
        )));
    }
    with_diff(
        CheckResult::from_findings(Check::IdempotencyConcurrency, findings),
        shown_diff,
    )
}

fn unknown_status(contract: &Contract) -> &str {
    contract
        .result
        .status_for(StatusRole::Unknown)
        .unwrap_or("U")
}

fn with_diff(result: CheckResult, diff: Option<String>) -> CheckResult {
    match diff {
        Some(diff) if !result.findings.is_empty() => result.with_diff(diff),
        _ => result,
    }
}

/// The key field's name, for messages: `requestId`.
fn key_name(contract: &Contract) -> String {
    let key = contract
        .idempotency
        .as_ref()
        .and_then(|i| i.key.last().map(str::to_string));
    key.unwrap_or_else(|| "key".into())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::contract::tests::issue_card;
    use crate::observe::testing::{failure_body, json_exchange, success_body};
    use crate::results::Outcome;

    fn card(no: &str) -> Exchange {
        json_exchange(success_body(no))
    }

    fn rejected(code: &str) -> Exchange {
        json_exchange(failure_body(code, "no"))
    }

    fn conflict_outcome(contract: &Contract, conflicting: Exchange) -> CheckResult {
        let after = AfterConflict {
            conflicting: Settled::new(conflicting),
            again: Settled::new(card("1")),
        };
        let original = Settled::new(card("1"));
        conflict(contract, &original, "externalCardNo", Some(&after))
    }

    #[test]
    fn either_policy_accepts_the_original_or_the_named_rejection_only() {
        let contract = issue_card();
        assert_eq!(
            conflict_outcome(&contract, card("1")).outcome,
            Outcome::Pass
        );
        assert_eq!(
            conflict_outcome(&contract, rejected("REPEAT_REQ_INCONSISTENT")).outcome,
            Outcome::Pass
        );
        let other = conflict_outcome(&contract, rejected("PARAM_ILLEGAL"));
        assert_eq!(other.outcome, Outcome::Fail);
        assert!(
            other.message().contains(
                "expected the original answer or F/REPEAT_REQ_INCONSISTENT (policy either)"
            )
        );
        let second_card = conflict_outcome(&contract, card("2"));
        assert!(
            second_card.message().contains("/cardNo \"1\" → \"2\""),
            "{}",
            second_card.message()
        );
        assert!(second_card.diff.is_some());
    }

    #[test]
    fn same_result_and_reject_policies_are_strict() {
        let mut contract = issue_card();
        let rules = contract.idempotency.as_mut().unwrap();
        rules.policy = ConflictPolicy::SameResult;
        assert_eq!(
            conflict_outcome(&contract, rejected("REPEAT_REQ_INCONSISTENT")).outcome,
            Outcome::Fail
        );
        contract.idempotency.as_mut().unwrap().policy = ConflictPolicy::Reject;
        assert_eq!(
            conflict_outcome(&contract, card("1")).outcome,
            Outcome::Fail
        );
    }

    #[test]
    fn conflict_is_skipped_when_the_original_did_not_succeed() {
        let original = Settled::new(rejected("PARAM_ILLEGAL"));
        let result = conflict(&issue_card(), &original, "externalCardNo", None);
        assert_eq!(result.outcome, Outcome::Skip);
        assert_eq!(result.message(), "the original request did not succeed");
    }

    #[test]
    fn concurrency_counts_distinct_answers() {
        let contract = issue_card();
        let all_same: Vec<Settled> = (0..8).map(|_| Settled::new(card("1"))).collect();
        assert_eq!(concurrency(&contract, &all_same).outcome, Outcome::Pass);
        let mut split = all_same.clone();
        split[3] = Settled::new(card("2"));
        let result = concurrency(&contract, &split);
        assert!(
            result
                .message()
                .contains("got 2 different answers: 7 × one, 1 × another (/cardNo \"1\" → \"2\")"),
            "{}",
            result.message()
        );
    }

    #[test]
    fn replays_compare_bodies_not_key_order() {
        let contract = issue_card();
        let reordered = json_exchange(
            json!({"result": {"resultMessage": "Success", "resultCode": "SUCCESS", "resultStatus": "S"}, "cardNo": "1"}),
        );
        assert_eq!(
            replay(&contract, &card("1"), &[reordered]).outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn replays_of_a_failed_case_are_skipped() {
        let result = replay(&issue_card(), &rejected("PARAM_ILLEGAL"), &[]);
        assert_eq!(result.outcome, Outcome::Skip);
    }
}
