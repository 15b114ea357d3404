//! Each per-response check against responses that break it in one way.

use serde_json::{Value, json};

use super::*;
use crate::contract::Expect;
use crate::contract::tests::issue_card;
use crate::observe::testing::{exchange, json_exchange, response, success_body};
use crate::observe::{Exchange, Settled, TransportError};
use crate::results::Outcome;

fn observed(status: u16, content_type: Option<&str>, body: &[u8]) -> Exchange {
    exchange(Ok(response(status, content_type, body)))
}

fn json_answer(body: Value) -> Exchange {
    json_exchange(body)
}

fn success(card_no: &str) -> Value {
    success_body(card_no)
}

fn expect_s() -> Expect {
    Expect {
        status: "S".into(),
        code: None,
    }
}

/// The failed checks as `(check, first message)`.
/// The checks of a case whose only request got `answer`.
fn answer_checks(
    contract: &Contract,
    expect: &Expect,
    probe: Option<&Probe>,
    answer: &Exchange,
) -> Vec<CheckResult> {
    let observed = Observations::Single {
        main: Settled::new(answer.clone()),
        replays: None,
    };
    judge(contract, expect, probe, &observed)
}

fn failures(answer: &Exchange, expect: &Expect) -> Vec<(String, String)> {
    answer_checks(&issue_card(), expect, None, answer)
        .into_iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .map(|c| (c.check.name().to_string(), c.message()))
        .collect()
}

#[test]
fn a_correct_success_passes_every_check() {
    assert_eq!(failures(&json_answer(success("0111")), &expect_s()), vec![]);
}

#[test]
fn success_with_a_wrong_code_fails_result_status_naming_the_code() {
    let mut body = success("0111");
    body["result"]["resultCode"] = json!("OK");
    let found = failures(&json_answer(body), &expect_s());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "result-status");
    assert_eq!(
        found[0].1,
        "/result/resultCode: expected `SUCCESS` for status `S`, got `OK` with status `S`"
    );
}

#[test]
fn wrong_success_message_is_caught() {
    let mut body = success("0111");
    body["result"]["resultMessage"] = json!("success");
    let found = failures(&json_answer(body), &expect_s());
    assert_eq!(
        found[0].1,
        "/result/resultMessage: expected `Success` (the message of SUCCESS), got `success`"
    );
}

#[test]
fn lower_case_status_fails_schema_status_and_expectation() {
    let mut body = success("0111");
    body["result"]["resultStatus"] = json!("s");
    let checks: Vec<String> = failures(&json_answer(body), &expect_s())
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(checks, ["response-schema", "result-status", "expectation"]);
}

#[test]
fn failure_carrying_success_code_is_caught() {
    let body = json!({"result": {"resultStatus": "F", "resultCode": "SUCCESS", "resultMessage": "Success"}});
    let found = failures(
        &json_answer(body),
        &Expect {
            status: "F".into(),
            code: None,
        },
    );
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .1
            .contains("a code of status `F` from the catalogue"),
        "{}",
        found[0].1
    );
}

#[test]
fn missing_or_overlong_card_number_names_the_field() {
    let mut missing = success("x");
    missing.as_object_mut().unwrap().remove("cardNo");
    let found = failures(&json_answer(missing), &expect_s());
    assert_eq!(
        found,
        vec![(
            "response-schema".into(),
            "/cardNo: required-on-status: expected present, got absent".into()
        )]
    );
    let found = failures(&json_answer(success(&"9".repeat(65))), &expect_s());
    assert!(
        found[0]
            .1
            .starts_with("/cardNo: max-length: expected at most 64 characters, got 65 characters")
    );
}

#[test]
fn body_that_is_not_json_fails_schema_and_expectation() {
    let found = failures(
        &observed(200, Some("application/json"), b"<html>oops</html>"),
        &expect_s(),
    );
    let checks: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(checks, ["response-schema", "expectation"]);
    assert!(
        found[0]
            .1
            .contains("expected a JSON body, got \"<html>oops</html>\""),
        "{}",
        found[0].1
    );
}

#[test]
fn http_500_fails_the_status_and_skips_body_checks() {
    let answer = observed(500, Some("text/plain"), b"boom");
    let results = answer_checks(&issue_card(), &expect_s(), None, &answer);
    let outcomes: Vec<(&str, Outcome)> = results
        .iter()
        .map(|c| (c.check.name(), c.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("transport", Outcome::Pass),
            ("http-status", Outcome::Fail),
            ("content-type", Outcome::Skip),
            ("response-schema", Outcome::Skip),
            ("result-status", Outcome::Skip),
            ("expectation", Outcome::Fail),
        ]
    );
    assert_eq!(
        results[1].message(),
        "expected HTTP 200, got 500 (body \"boom\")"
    );
}

#[test]
fn unreachable_target_fails_transport_and_skips_the_rest() {
    let err = exchange(Err(TransportError::Timeout {
        url: "http://127.0.0.1:9/v2".into(),
        after: std::time::Duration::from_secs(10),
    }));
    let results = answer_checks(&issue_card(), &expect_s(), None, &err);
    assert_eq!(
        results[0].message(),
        "no response from http://127.0.0.1:9/v2 within 10s"
    );
    assert!(results[1..].iter().all(|c| c.outcome == Outcome::Skip));
}

#[test]
fn missed_rejection_names_field_rule_and_what_was_sent() {
    let probe = Probe {
        field: "appId".into(),
        rule: "too-long".into(),
        detail: "33 characters (max 32)".into(),
    };
    let expect = Expect {
        status: "F".into(),
        code: Some("PARAM_ILLEGAL".into()),
    };
    let results = answer_checks(
        &issue_card(),
        &expect,
        Some(&probe),
        &json_answer(success("1")),
    );
    let expectation = results
        .iter()
        .find(|c| c.check == Check::Expectation)
        .unwrap();
    assert_eq!(
        expectation.message(),
        "appId too-long: sent 33 characters (max 32); expected F/PARAM_ILLEGAL, got HTTP 200, S/SUCCESS \"Success\""
    );
}

/// The findings of one row of a case's results.
fn row(results: &[CheckResult], check: Check) -> &CheckResult {
    results.iter().find(|c| c.check == check).unwrap()
}

fn busy() -> Value {
    json!({"result": {"resultStatus": "U", "resultCode": "SYSTEM_BUSY", "resultMessage": "busy"}})
}

#[test]
fn unknown_answer_outside_the_catalogue_before_settling_fails_result_status_naming_the_try() {
    let mut main = Settled::new(json_exchange(busy()));
    main.push(json_exchange(busy()));
    main.push(json_exchange(success("1")));
    let observed = Observations::Single {
        main,
        replays: None,
    };
    let results = judge(&issue_card(), &expect_s(), None, &observed);
    let result_status = row(&results, Check::ResultStatus);
    assert_eq!(result_status.outcome, Outcome::Fail);
    assert_eq!(
        result_status.message(),
        "settle try 1 of 3: /result/resultCode: expected `UNKNOWN_EXCEPTION` for status `U`, got `SYSTEM_BUSY` with status `U` (and 1 more answer)"
    );
    assert_eq!(row(&results, Check::Expectation).outcome, Outcome::Pass);
}

#[test]
fn a_broken_replay_fails_the_per_response_check_labelled_with_the_replay() {
    let mut long = success("1");
    long["cardNo"] = json!("9".repeat(65));
    let observed = Observations::Single {
        main: Settled::new(json_exchange(success("1"))),
        replays: Some(vec![json_exchange(success("1")), json_exchange(long)]),
    };
    let results = judge(&issue_card(), &expect_s(), None, &observed);
    let schema = row(&results, Check::ResponseSchema);
    assert!(
        schema
            .message()
            .starts_with("replay 2 of 2: /cardNo: max-length: expected at most 64 characters"),
        "{}",
        schema.message()
    );
    assert_eq!(schema.findings[0].pointer.as_deref(), Some("/cardNo"));
}

#[test]
fn a_problem_of_the_main_answer_is_not_repeated_for_identical_answers() {
    let mut wrong = success("1");
    wrong["result"]["resultCode"] = json!("OK");
    let observed = Observations::Concurrent {
        answers: (0..8)
            .map(|_| Settled::new(json_exchange(wrong.clone())))
            .collect(),
    };
    let results = judge(&issue_card(), &expect_s(), None, &observed);
    assert_eq!(
        row(&results, Check::ResultStatus).message(),
        "/result/resultCode: expected `SUCCESS` for status `S`, got `OK` with status `S`"
    );
}

#[test]
fn a_concurrent_answer_that_times_out_fails_transport_with_its_label() {
    let timeout = TransportError::Timeout {
        url: "http://127.0.0.1:9/v2".into(),
        after: std::time::Duration::from_secs(1),
    };
    let observed = Observations::Concurrent {
        answers: vec![
            Settled::new(json_exchange(success("1"))),
            Settled::new(exchange(Err(timeout))),
        ],
    };
    let results = judge(&issue_card(), &expect_s(), None, &observed);
    let transport = row(&results, Check::Transport);
    assert_eq!(transport.outcome, Outcome::Fail);
    assert!(
        transport
            .message()
            .starts_with("concurrent request 2 of 2: "),
        "{}",
        transport.message()
    );
    assert_eq!(row(&results, Check::HttpStatus).outcome, Outcome::Pass);
}

#[test]
fn duplicate_keys_are_a_response_schema_finding_with_their_pointer() {
    let body = br#"{"cardNo": "1", "result": {"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "Success"}, "result": {"resultStatus": "F", "resultCode": "PROCESS_FAIL", "resultMessage": "no"}}"#;
    let answer = observed(200, Some("application/json"), body);
    let results = answer_checks(&issue_card(), &expect_s(), None, &answer);
    let schema = row(&results, Check::ResponseSchema);
    assert_eq!(schema.outcome, Outcome::Fail);
    assert_eq!(schema.findings[0].pointer.as_deref(), Some("/result"));
    assert!(
        schema
            .message()
            .starts_with("/result: expected each key at most once per object, got a duplicate key"),
        "{}",
        schema.message()
    );
}

#[test]
fn a_redirect_fails_http_status_showing_where_it_pointed() {
    let mut answer = response(307, None, b"");
    answer.headers.insert(
        "location",
        reqwest::header::HeaderValue::from_static("http://elsewhere.example/steal"),
    );
    let results = answer_checks(&issue_card(), &expect_s(), None, &exchange(Ok(answer)));
    assert_eq!(
        row(&results, Check::HttpStatus).message(),
        "expected HTTP 200, got 307, a redirect to \"http://elsewhere.example/steal\" (not followed) (body \"\")"
    );
}
