//! Judging a security probe: every answer through the per-response checks (labelled by the
//! request it answers), and the `security` check: the spoiled request got the contract's
//! rejection, and the same request sent right afterwards (same idempotency key) succeeded, once:
//! the refused request was not processed, did not consume the key and left no record.

use super::answers;
use super::compare::{changed_fields, diff, same};
use super::flow::Rows;
use crate::contract::{Contract, StatusRole};
use crate::observe::{Exchange, Observations, Response, SecurityRecord, Settled};
use crate::plan::security::SecurityCase;
use crate::results::{Check, CheckResult, Finding};

/// How reports name the spoiled request's answer.
const SPOILED: &str = "spoiled request";
/// How reports name the answer to the same request sent right.
const SENT_RIGHT: &str = "same request sent right";

/// Every check of one probe, in report order: the per-response rows, the signature row when
/// answers are signed, then `security`.
pub fn judge(
    contract: &Contract,
    case: &SecurityCase,
    record: &SecurityRecord,
) -> Vec<CheckResult> {
    let mut rows = Rows::default();
    let mut signature = Rows::default();
    let spoiled = Observations::Single {
        main: Settled::new(record.probe.clone()),
        replays: None,
    };
    let mut observed = vec![(SPOILED, spoiled)];
    if let Some(follow_up) = &record.follow_up {
        let again = record.again.clone().map(|a| vec![a]);
        observed.push((
            SENT_RIGHT,
            Observations::Single {
                main: follow_up.clone(),
                replays: again,
            },
        ));
    }
    for (label, observations) in &observed {
        let judged = answers::judge(contract, observations);
        for row in judged.rows {
            rows.add(label, row);
        }
        if let Some(row) = judged.signature {
            signature.add(label, row);
        }
    }
    let mut results = rows.finish();
    results.extend(signature.finish());
    results.push(security(contract, case, record));
    results
}

/// The `security` check.
fn security(contract: &Contract, case: &SecurityCase, record: &SecurityRecord) -> CheckResult {
    let Ok(response) = &record.probe.answer else {
        return CheckResult::skip(Check::Security, "no answer to the spoiled request");
    };
    if let Some(finding) = refusal(contract, case, response) {
        return CheckResult::fail(Check::Security, vec![finding]);
    }
    match (&record.follow_up, contract.idempotency.as_ref()) {
        (Some(follow_up), Some(idempotency)) => {
            let key = idempotency.key_in.name();
            let varied = case.varied.as_ref().map(|v| v.field.as_str());
            not_processed(contract, (key, varied), follow_up, record.again.as_ref())
        }
        _ => CheckResult::pass(Check::Security),
    }
}

/// A finding when the spoiled request did not get the contract's rejection: accepted, or
/// refused some other way.
fn refusal(contract: &Contract, case: &SecurityCase, response: &Response) -> Option<Finding> {
    let business = response.business(contract);
    let reject = &case.reject;
    if business.is_some_and(|b| reject.matches(b.status.as_deref(), b.code.as_deref())) {
        return None;
    }
    let (expected, actual) = (reject.describe(), response.describe(contract));
    let what = case.probe.describe();
    let mut finding = Finding::mismatch(None, expected.clone(), actual.clone());
    finding.message = if response.role(contract) == Some(StatusRole::Success) {
        format!("accepted {what}: expected {expected}, got {actual}")
    } else {
        format!("answered {what} with {actual}, not the contract's rejection {expected}")
    };
    Some(finding)
}

/// After the refusal, the request sent right with the same key must succeed, and sent once more
/// give the same answer: the refused request left nothing behind under the key. `key` names the
/// key, with the field the refused request had changed.
fn not_processed(
    contract: &Contract,
    (key, varied): (&str, Option<&str>),
    follow_up: &Settled,
    again: Option<&Exchange>,
) -> CheckResult {
    let answer = follow_up.answer();
    let Ok(first) = &answer.answer else {
        return CheckResult::skip(
            Check::Security,
            format!("the request sent right (same {key}) got no answer"),
        );
    };
    if first.role(contract) != Some(StatusRole::Success) {
        let expected = contract.success_expect().describe();
        let actual = first.describe(contract);
        let mut finding = Finding::mismatch(None, expected.clone(), actual.clone());
        let changed = varied
            .map(|f| format!(", `{f}` as it was before the refused request changed it"))
            .unwrap_or_default();
        finding.message = format!(
            "the refused request was processed or kept: the valid request sent right afterwards (same {key}{changed}) got {actual} instead of {expected}"
        );
        return CheckResult::fail(Check::Security, vec![finding]);
    }
    let Some(Ok(second)) = again.map(|a| &a.answer) else {
        return CheckResult::pass(Check::Security);
    };
    if same(first, second) {
        return CheckResult::pass(Check::Security);
    }
    let finding = Finding::message(format!(
        "the request sent right (same {key}) answered differently when sent again, so one key made more than one result: {}",
        changed_fields(first, second)
    ));
    CheckResult::fail(Check::Security, vec![finding]).with_diff(diff(
        first,
        second,
        SENT_RIGHT,
        "sent again",
    ))
}
