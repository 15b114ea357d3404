//! Judging a security probe: every answer through the per-response checks (labelled by the
//! request it answers), and the `security` check: the spoiled request got the contract's
//! rejection, and the valid request sent right afterwards (same idempotency key) succeeded, once:
//! the refused request was not processed, did not consume the key and left no record.

use super::answers;
use super::compare::{changed_fields, diff, same};
use super::steps::Rows;
use crate::contract::{Contract, StatusRole};
use crate::observe::{Exchange, Observations, Response, SecurityRecord, Settled};
use crate::plan::security::SecurityCase;
use crate::results::{Check, CheckResult, Finding};

/// How reports name the spoiled request's answer.
const SPOILED: &str = "spoiled request";
/// How reports name the answer to the valid request sent right afterwards.
const SENT_RIGHT: &str = "valid request sent right";

/// Every check of one probe, in report order: the per-response rows, the signature row when
/// answers are signed, then `security`.
pub(crate) fn judge(
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
    let Some(follow_up) = &record.follow_up else {
        return CheckResult::pass(Check::Security);
    };
    let same = match &contract.idempotency {
        Some(idempotency) => idempotency.key_in.name().to_string(),
        None => single_use_sent(contract, &case.request),
    };
    let varied = case.varied.as_ref().map(|v| v.field.as_str());
    not_processed(contract, (&same, varied), follow_up, record.again.as_ref())
}

/// The single-use fields `request` carries, for messages: `authCode`.
fn single_use_sent(contract: &Contract, request: &serde_json::Value) -> String {
    let names: Vec<&str> = (contract.single_use.iter())
        .filter(|s| s.pointer.get(request).is_some())
        .filter_map(|s| s.pointer.segments().last().map(String::as_str))
        .collect();
    names.join(" and ")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;
    use crate::observe::testing::{failure_body, json_exchange, success_body};
    use crate::plan::security::{Auth, cases};
    use crate::plan::{Action, Case};
    use crate::results::Outcome;

    /// issueCard's `unsigned` probe, or the probe named `name`.
    fn probe(name: &str) -> SecurityCase {
        let auth = Auth {
            signed: true,
            ..Auth::default()
        };
        let case: Case = cases(0, &issue_card(), &auth)
            .into_iter()
            .find(|c| c.name.ends_with(name))
            .unwrap();
        match case.action {
            Action::Security(security) => security,
            _ => panic!("a security case"),
        }
    }

    fn denied() -> crate::observe::Exchange {
        json_exchange(failure_body("ACCESS_DENIED", "Signature header is missing"))
    }

    fn record(
        probe: Exchange,
        follow_up: Option<Exchange>,
        again: Option<Exchange>,
    ) -> SecurityRecord {
        SecurityRecord {
            probe,
            follow_up: follow_up.map(Settled::new),
            again,
        }
    }

    fn security_row(case: &SecurityCase, record: &SecurityRecord) -> CheckResult {
        let results = judge(&issue_card(), case, record);
        results
            .into_iter()
            .find(|r| r.check == Check::Security)
            .unwrap()
    }

    #[test]
    fn a_refusal_then_one_result_for_the_key_passes() {
        let ok = json_exchange(success_body("0111"));
        let record = record(denied(), Some(ok.clone()), Some(ok));
        assert_eq!(
            security_row(&probe("unsigned"), &record).outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn an_accepted_probe_names_what_was_accepted() {
        let record = record(json_exchange(success_body("0111")), None, None);
        let row = security_row(&probe("other-key"), &record);
        assert_eq!(row.outcome, Outcome::Fail);
        assert_eq!(
            row.findings[0].message,
            "accepted a signature made with another key (generated for this run): expected F/ACCESS_DENIED, got HTTP 200, S/SUCCESS \"Success\""
        );
    }

    #[test]
    fn another_refusal_than_the_contracts_fails() {
        let refused = json_exchange(failure_body("PARAM_ILLEGAL", "appId is too long"));
        let row = security_row(&probe("unsigned"), &record(refused, None, None));
        assert_eq!(row.outcome, Outcome::Fail);
        assert!(
            row.findings[0]
                .message
                .contains("not the contract's rejection F/ACCESS_DENIED"),
            "{}",
            row.findings[0].message
        );
    }

    #[test]
    fn a_refused_request_that_spent_its_auth_code_fails_without_a_key() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("contracts/platform/apply-token.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let apply_token = crate::contract::load_str(&path, text).unwrap();
        assert!(apply_token.idempotency.is_none());
        let auth = Auth {
            signed: true,
            ..Auth::default()
        };
        let Some(Action::Security(case)) = cases(0, &apply_token, &auth)
            .into_iter()
            .find(|c| c.name.ends_with("unsigned"))
            .map(|c| c.action)
        else {
            panic!("applyToken has an unsigned probe")
        };
        let spent = json_exchange(failure_body("EXPIRED_CODE", "it was used already"));
        let judged = judge(&apply_token, &case, &record(denied(), Some(spent), None));
        let row = judged.iter().find(|r| r.check == Check::Security).unwrap();
        assert_eq!(row.outcome, Outcome::Fail);
        assert!(
            row.findings[0].message.starts_with(
                "the refused request was processed or kept: the valid request sent right afterwards (same authCode) got HTTP 200, F/EXPIRED_CODE"
            ),
            "{}",
            row.findings[0].message
        );
        let fresh = json_exchange(success_body("0111"));
        let judged = judge(&apply_token, &case, &record(denied(), Some(fresh), None));
        let row = judged.iter().find(|r| r.check == Check::Security).unwrap();
        assert_eq!(row.outcome, Outcome::Pass);
    }

    #[test]
    fn a_refusal_kept_under_the_key_fails() {
        let record = record(denied(), Some(denied()), None);
        let row = security_row(&probe("unsigned"), &record);
        assert_eq!(row.outcome, Outcome::Fail);
        let message = &row.findings[0].message;
        assert!(
            message.starts_with("the refused request was processed or kept: the valid request sent right afterwards (same requestId, `externalCardNo` as it was before the refused request changed it) got HTTP 200, F/ACCESS_DENIED"),
            "{message}"
        );
    }

    #[test]
    fn two_results_for_one_key_fail_with_a_diff() {
        let first = json_exchange(success_body("0111"));
        let second = json_exchange(success_body("0222"));
        let row = security_row(
            &probe("unsigned"),
            &record(denied(), Some(first), Some(second)),
        );
        assert_eq!(row.outcome, Outcome::Fail);
        assert!(
            row.findings[0]
                .message
                .contains("answered differently when sent again")
        );
        assert!(row.diff.as_deref().unwrap_or_default().contains("0222"));
    }

    #[test]
    fn the_answers_are_judged_and_labelled_by_request() {
        let broken = json_exchange(serde_json::json!({"result": {"resultStatus": "F"}}));
        let results = judge(
            &issue_card(),
            &probe("unsigned"),
            &record(denied(), Some(broken), None),
        );
        let status = results
            .iter()
            .find(|r| r.check == Check::ResultStatus)
            .unwrap();
        assert_eq!(status.outcome, Outcome::Fail);
        assert!(
            status.findings[0]
                .message
                .starts_with("valid request sent right: "),
            "{}",
            status.findings[0].message
        );
    }
}
