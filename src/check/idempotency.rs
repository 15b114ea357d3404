//! Idempotency checks: settling an `unknown` status, replays with the same key and body,
//! conflicting replays, and identical concurrent requests. Answers are compared as HTTP status
//! plus JSON body (key order and whitespace aside); transport-volatile headers such as
//! `Response-Time` and `Signature` are never compared. A difference is shown as a unified diff
//! of the canonical bodies.

use serde_json::Value;
use similar::TextDiff;

use super::{Observed, business_of, describe_answer};
use crate::contract::{ConflictPolicy, Contract, StatusRole};
use crate::json::{abbreviate, canonical_pretty};
use crate::results::{Check, CheckResult, Finding};
use crate::target::TransportError;

/// One request's outcome: a response, or why none came back.
pub type Answer = Result<Observed, TransportError>;

/// A request sent, then retried with the same key and body while its status was unknown.
#[derive(Debug, Clone)]
pub struct Settled {
    /// The last answer.
    pub answer: Answer,
    /// Requests sent in all.
    pub tries: u32,
    /// Whether any answer had the unknown status.
    pub saw_unknown: bool,
}

/// The role of an answer's status, when it carries a business result.
pub fn role(contract: &Contract, answer: &Answer) -> Option<StatusRole> {
    let observed = answer.as_ref().ok()?;
    let status = business_of(contract, observed)?.status.as_deref()?;
    contract.result.role(status)
}

/// `idempotency-settle`, only for exchanges that met the unknown status.
pub fn settle(contract: &Contract, settled: &Settled) -> Option<CheckResult> {
    if !settled.saw_unknown {
        return None;
    }
    if role(contract, &settled.answer) == Some(StatusRole::Unknown) {
        let status = contract
            .result
            .status_for(StatusRole::Unknown)
            .unwrap_or("U");
        let tries = settled.tries;
        let message = format!(
            "status {status} did not settle after {tries} {}",
            if tries == 1 { "try" } else { "tries" }
        );

        return Some(CheckResult::fail_with(Check::IdempotencySettle, message));
    }
    Some(CheckResult::pass(Check::IdempotencySettle))
}

/// Whether two answers are the same business response: same HTTP status, same JSON body
/// (or the same bytes when the body is not JSON).
pub fn same(a: &Observed, b: &Observed) -> bool {
    a.response.status == b.response.status
        && (a.response.body == b.response.body
            || match (a.json(), b.json()) {
                (Ok(x), Ok(y)) => x == y,
                _ => false,
            })
}

/// A unified diff of two answers' canonical bodies, labelled.
pub fn diff(a: &Observed, b: &Observed, left: &str, right: &str) -> String {
    let render = |o: &Observed| {
        let body = match o.json() {
            Ok(value) => canonical_pretty(value),
            Err(_) => String::from_utf8_lossy(&o.response.body).into_owned(),
        };
        format!("HTTP {}\n{body}\n", o.response.status)
    };
    let (a, b) = (render(a), render(b));
    TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(left, right)
        .to_string()
}

/// The fields whose values differ, as `/cardNo "1" → "2"`, for one-line messages.
pub fn changed_fields(a: &Observed, b: &Observed) -> String {
    let (Ok(x), Ok(y)) = (a.json(), b.json()) else {
        return "the body".into();
    };
    let mut found = Vec::new();
    differences(x, y, &mut String::new(), &mut found);
    if found.is_empty() {
        return format!("HTTP {} → {}", a.response.status, b.response.status);
    }
    found.truncate(3);
    found.join(", ")
}

fn differences(a: &Value, b: &Value, at: &mut String, found: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys = x.keys().chain(y.keys().filter(|k| !x.contains_key(*k)));
            for key in keys {
                let len = at.len();
                at.push('/');
                at.push_str(key);
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => differences(p, q, at, found),
                    (p, q) => found.push(format!("{at} {} → {}", shown(p), shown(q))),
                }
                at.truncate(len);
            }
        }
        _ if a != b => found.push(format!(
            "{} {} → {}",
            if at.is_empty() { "(body)" } else { at },
            shown(Some(a)),
            shown(Some(b))
        )),
        _ => {}
    }
}

fn shown(value: Option<&Value>) -> String {
    value.map_or("(absent)".into(), |v| abbreviate(v, 40))
}

/// `idempotency-replay`: every replay returned exactly the original answer.
pub fn replay(contract: &Contract, original: &Observed, replays: &[Answer]) -> CheckResult {
    let key = key_name(contract);
    let total = replays.len();
    let mut findings = Vec::new();
    let mut first_diff = None;
    for (i, answer) in replays.iter().enumerate() {
        let which = format!("replay {} of {total} (same {key}, same body)", i + 1);
        match answer {
            Err(err) => findings.push(Finding::message(format!("{which}: {err}"))),
            Ok(observed) if !same(original, observed) => {
                let changes = changed_fields(original, observed);
                findings.push(Finding::message(format!(
                    "{which} returned a different answer: {changes}"
                )));
                first_diff.get_or_insert_with(|| {
                    diff(
                        original,
                        observed,
                        "first answer",
                        &format!("replay {}", i + 1),
                    )
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

/// What the runner observed in a conflict scenario.
pub struct ConflictRun<'a> {
    /// The original request's settled answer (a success).
    pub original: &'a Observed,
    /// The answer to the same key with one field changed.
    pub conflict: &'a Answer,
    /// The original request replayed afterwards.
    pub again: &'a Answer,
    /// The field that was changed.
    pub field: &'a str,
}

/// `idempotency-conflict`: the conflicting request got what the policy allows, a second
/// success never differs from the first, and the original still replays unchanged.
pub fn conflict(contract: &Contract, run: &ConflictRun<'_>) -> CheckResult {
    let Some(idempotency) = &contract.idempotency else {
        return CheckResult::skip(
            Check::IdempotencyConflict,
            "the contract has no idempotency key",
        );
    };
    let mut findings = Vec::new();
    let mut shown_diff = None;
    let what = format!(
        "with `{}` changed under the same {}",
        run.field,
        key_name(contract)
    );
    match run.conflict {
        Err(err) => findings.push(Finding::message(format!(
            "the conflicting request ({what}) got no answer: {err}"
        ))),
        Ok(answer) => {
            let verdict = judge_conflict(
                contract,
                idempotency.policy,
                idempotency.conflict_code.as_deref(),
                run.original,
                answer,
            );
            if let Err(expected) = verdict {
                let got = describe_answer(contract, answer);
                let mut message =
                    format!("the conflicting request ({what}): expected {expected}, got {got}");
                if role(contract, run.conflict) == Some(StatusRole::Success) {
                    message.push_str(&format!(" ({})", changed_fields(run.original, answer)));
                    shown_diff = Some(diff(
                        run.original,
                        answer,
                        "original answer",
                        "conflicting request's answer",
                    ));
                }
                findings.push(Finding::message(message));
            }
        }
    }
    match run.again {
        Err(err) => findings.push(Finding::message(format!(
            "replaying the original afterwards got no answer: {err}"
        ))),
        Ok(again) if !same(run.original, again) => {
            let changes = changed_fields(run.original, again);
            findings.push(Finding::message(format!(
                "replaying the original afterwards returned a different answer: {changes}"
            )));
            shown_diff.get_or_insert_with(|| {
                diff(
                    run.original,
                    again,
                    "original answer",
                    "original replayed after the conflict",
                )
            });
        }
        Ok(_) => {}
    }
    with_diff(
        CheckResult::from_findings(Check::IdempotencyConflict, findings),
        shown_diff,
    )
}

/// `Ok` when the answer is allowed by the policy, otherwise what was expected.
fn judge_conflict(
    contract: &Contract,
    policy: ConflictPolicy,
    code: Option<&str>,
    original: &Observed,
    answer: &Observed,
) -> Result<(), String> {
    let failure = contract
        .result
        .status_for(StatusRole::Failure)
        .unwrap_or("F");
    let rejected = business_of(contract, answer)
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
    let mut distinct: Vec<(&Observed, usize)> = Vec::new();
    for (i, settled) in answers.iter().enumerate() {
        match &settled.answer {
            Err(err) => findings.push(Finding::message(format!(
                "request {} of {total}: {err}",
                i + 1
            ))),
            Ok(observed) => match distinct.iter_mut().find(|(seen, _)| same(seen, observed)) {
                Some((_, count)) => *count += 1,
                None => distinct.push((observed, 1)),
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
    if role_of_all(contract, answers) {
        let status = contract
            .result
            .status_for(StatusRole::Unknown)
            .unwrap_or("U");
        findings.push(Finding::message(format!(
            "some answers stayed {status} after settling"
        )));
    }
    with_diff(
        CheckResult::from_findings(Check::IdempotencyConcurrency, findings),
        shown_diff,
    )
}

fn role_of_all(contract: &Contract, answers: &[Settled]) -> bool {
    answers
        .iter()
        .any(|s| role(contract, &s.answer) == Some(StatusRole::Unknown))
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
    use crate::contract::tests::issue_card;
    use reqwest::header::HeaderMap;
    use serde_json::json;

    use super::*;
    use crate::results::Outcome;
    use crate::target::Response;

    fn answer(body: Value) -> Observed {
        let body = serde_json::to_vec(&body).unwrap();
        Observed::new(Response {
            status: 200,
            headers: HeaderMap::new(),
            body,
            elapsed: Default::default(),
            signature_context: None,
        })
    }

    fn card(no: &str) -> Observed {
        answer(
            json!({"cardNo": no, "result": {"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "Success"}}),
        )
    }

    fn rejected(code: &str) -> Observed {
        answer(json!({"result": {"resultStatus": "F", "resultCode": code, "resultMessage": "no"}}))
    }

    fn conflict_outcome(contract: &Contract, conflicting: Observed) -> CheckResult {
        let original = card("1");
        let run = ConflictRun {
            original: &original,
            conflict: &Ok(conflicting),
            again: &Ok(card("1")),
            field: "externalCardNo",
        };
        conflict(contract, &run)
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
    fn concurrency_counts_distinct_answers() {
        let contract = issue_card();
        let settled = |o: Observed| Settled {
            answer: Ok(o),
            tries: 1,
            saw_unknown: false,
        };
        let all_same: Vec<Settled> = (0..8).map(|_| settled(card("1"))).collect();
        assert_eq!(concurrency(&contract, &all_same).outcome, Outcome::Pass);
        let mut split = all_same.clone();
        split[3] = settled(card("2"));
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
        let reordered = answer(
            json!({"result": {"resultMessage": "Success", "resultCode": "SUCCESS", "resultStatus": "S"}, "cardNo": "1"}),
        );
        assert_eq!(
            replay(&contract, &card("1"), &[Ok(reordered)]).outcome,
            Outcome::Pass
        );
    }
}
