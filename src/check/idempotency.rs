//! Idempotency checks: settling an `unknown` status, replays with the same key and body,
//! conflicting replays, and identical concurrent requests, judged from what the runner observed
//! (see [`super::compare`] for how two answers are compared).

use super::compare::{changed_fields, diff, same};
use crate::contract::{ConflictPolicy, Contract, Expect, Idempotency, StatusRole};
use crate::observe::{AfterConflict, Exchange, Response, Settled};
use crate::results::{Check, CheckResult, Finding};

/// `idempotency-settle`, only for requests that met the unknown status.
pub(super) fn settle(contract: &Contract, settled: &Settled) -> Option<CheckResult> {
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
pub(super) fn replay(
    contract: &Contract,
    original: &Exchange,
    replays: &[Exchange],
) -> CheckResult {
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
pub(super) fn conflict(
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
            let allowed = judge_conflict(contract, idempotency, original, answer);
            if let Err(expected) = allowed {
                let got = answer.describe(contract);
                let mut message =
                    format!("the conflicting request ({what}): expected {expected}, got {got}");
                if answer.role(contract) == Some(StatusRole::Success) {
                    message.push_str(&format!(" ({})", changed_fields(original, answer)));
                    let right = "conflicting request's answer";
                    shown_diff = Some((0, diff(original, answer, "original answer", right)));
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
                (
                    findings.len() - 1,
                    diff(original, again, "original answer", right),
                )
            });
        }
        Ok(_) => {}
    }
    // One diff is shown, after all the findings: with two, the one it belongs to says so.
    if let Some((owner, _)) = shown_diff
        && findings.len() > 1
    {
        findings[owner].message.push_str(" (diff below)");
    }
    with_diff(
        CheckResult::from_findings(Check::IdempotencyConflict, findings),
        shown_diff.map(|(_, diff)| diff),
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
    rules: &Idempotency,
    original: &Response,
    answer: &Response,
) -> Result<(), String> {
    let rejection = Expect {
        status: rules.conflict_status.clone().unwrap_or_default(),
        code: rules.conflict_code.clone(),
    };
    let business = answer.business(contract);
    let rejected = business.is_some_and(|b| {
        answer.role(contract) == Some(StatusRole::Failure)
            && rejection.matches(b.status.as_deref(), b.code.as_deref())
    });
    let original_back = same(original, answer);
    let rejection = rejection.describe();
    match rules.policy {
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

/// `idempotency-concurrency`: identical requests sent at once all got the same answer, except
/// those told an identical request was still in flight (the contract's `inProgress` answer),
/// which at least one request must not have been.
pub(super) fn concurrency(contract: &Contract, answers: &[Settled]) -> CheckResult {
    let total = answers.len();
    let in_progress = contract
        .idempotency
        .as_ref()
        .and_then(|i| i.in_progress.as_ref());
    let is_in_progress = |response: &Response| {
        in_progress.is_some_and(|expect| {
            response
                .business(contract)
                .is_some_and(|b| expect.matches(b.status.as_deref(), b.code.as_deref()))
        })
    };
    let mut findings = Vec::new();
    let mut distinct: Vec<(&Response, usize)> = Vec::new();
    let mut waited = 0;
    for (i, settled) in answers.iter().enumerate() {
        match &settled.answer().answer {
            Err(err) => findings.push(Finding::message(format!(
                "request {} of {total}: {err}",
                i + 1
            ))),
            Ok(response) if is_in_progress(response) => waited += 1,
            Ok(response) => match distinct.iter_mut().find(|(seen, _)| same(seen, response)) {
                Some((_, count)) => *count += 1,
                None => distinct.push((response, 1)),
            },
        }
    }
    let mut shown_diff = None;
    if let [(first, _), (second, _), ..] = distinct.as_slice() {
        findings.push(Finding::message(different_answers(
            contract, total, &distinct,
        )));
        shown_diff = Some(diff(first, second, "answer A", "answer B"));
    }
    if waited == total {
        let expect = in_progress.map(Expect::describe).unwrap_or_default();
        findings.push(Finding::message(format!(
            "all {total} identical concurrent requests were told one was in flight ({expect}): none was processed"
        )));
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

/// Whether `response` is the contract's answer to a request whose key is still in flight.
pub(super) fn is_in_progress(contract: &Contract, response: &Response) -> bool {
    let in_progress = contract
        .idempotency
        .as_ref()
        .and_then(|i| i.in_progress.as_ref());
    in_progress.is_some_and(|expect| {
        response
            .business(contract)
            .is_some_and(|b| expect.matches(b.status.as_deref(), b.code.as_deref()))
    })
}

/// The concurrent request whose answer stands for the scenario: the first one processed (not
/// told an identical request was in flight), else the first.
pub(super) fn processed(contract: &Contract, answers: &[Settled]) -> usize {
    answers
        .iter()
        .position(|s| {
            s.answer()
                .response()
                .is_some_and(|r| !is_in_progress(contract, r))
        })
        .unwrap_or(0)
}

/// `8 identical concurrent requests (same requestId) got 3 different answers: 6 × A, 1 × B,
/// 1 × C; A and B differ in /cardNo "1" → "2"`.
fn different_answers(contract: &Contract, total: usize, distinct: &[(&Response, usize)]) -> String {
    let letters = ('A'..='Z').map(String::from);
    let counts: Vec<String> = distinct
        .iter()
        .zip(letters)
        .map(|((_, n), letter)| format!("{n} × {letter}"))
        .collect();
    let (first, second) = (distinct[0].0, distinct[1].0);
    format!(
        "{total} identical concurrent requests (same {}) got {} different answers: {}; A and B differ in {}",
        key_name(contract),
        distinct.len(),
        counts.join(", "),
        changed_fields(first, second)
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

/// The key's name, for messages: `requestId`, `Idempotency-Key`.
fn key_name(contract: &Contract) -> String {
    let key = contract
        .idempotency
        .as_ref()
        .map(|i| i.key_in.name().to_string());
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
    fn with_two_findings_the_one_the_diff_shows_says_so() {
        let contract = issue_card();
        let after = AfterConflict {
            conflicting: Settled::new(card("2")),
            again: Settled::new(card("3")),
        };
        let original = Settled::new(card("1"));
        let result = conflict(&contract, &original, "externalCardNo", Some(&after));
        let messages: Vec<&str> = result.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].ends_with("\"1\" → \"2\") (diff below)"),
            "{messages:?}"
        );
        assert!(!messages[1].contains("diff below"), "{messages:?}");
        assert!(
            result
                .diff
                .unwrap()
                .contains("+++ conflicting request's answer")
        );
        // Alone, a finding needs no pointer to its diff.
        assert!(
            !conflict_outcome(&contract, card("2"))
                .message()
                .contains("diff below")
        );
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
            result.message().contains(
                "got 2 different answers: 7 × A, 1 × B; A and B differ in /cardNo \"1\" → \"2\""
            ),
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
