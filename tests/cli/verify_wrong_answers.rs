//! `conform verify --target` against servers that answer issueCard wrongly, each in one way that
//! is visible in a response: every one must fail the run (exit 1) with a message naming the
//! field, and a correct server must pass. These servers answer every request the same way, so
//! only the example case is run (`--filter`); generated cases have their own tests.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::util::{ISSUE_CARD, conform};

const PATH: &str = "/v2/pds/memberships/issueCard";
const EXAMPLE: &str = "issueCard/example/*";

async fn serving(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn success() -> Value {
    json!({"cardNo": "011164508621375700010170", "result": {"resultCode": "SUCCESS", "resultMessage": "Success", "resultStatus": "S"}})
}

fn json_body(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        serde_json::to_vec(&body).unwrap(),
        "application/json; charset=UTF-8",
    )
}

fn with(pointer: &str, value: Value) -> Value {
    let mut body = success();
    *body.pointer_mut(pointer).unwrap() = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = success();
    body.as_object_mut().unwrap().remove(field);
    body
}

#[tokio::test]
async fn correct_server_passes_with_no_false_alarm() {
    let server = serving(json_body(success())).await;
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--target",
        &server.uri(),
        "--filter",
        EXAMPLE,
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[tokio::test]
async fn gateway_prefix_in_the_base_url_is_kept() {
    let server = MockServer::start().await;
    let prefixed = format!("/api/open{PATH}");
    Mock::given(method("POST"))
        .and(path(prefixed.as_str()))
        .respond_with(json_body(success()))
        .mount(&server)
        .await;
    let target = format!("{}/api/open", server.uri());
    let run = conform(&[
        "verify", ISSUE_CARD, "--target", &target, "--filter", EXAMPLE,
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
}

/// Each wrong server, the check that must fail and a fragment its message must hold.
fn wrong_answers() -> Vec<(&'static str, ResponseTemplate, &'static str, &'static str)> {
    let long_extend = "x".repeat(2049);
    vec![
        (
            "success-with-wrong-code",
            json_body(with("/result/resultCode", json!("OK"))),
            "result-status",
            "/result/resultCode: expected `SUCCESS`",
        ),
        (
            "wrong-success-message",
            json_body(with("/result/resultMessage", json!("success"))),
            "result-status",
            "/result/resultMessage: expected `Success`",
        ),
        (
            "lower-case-status",
            json_body(with("/result/resultStatus", json!("s"))),
            "result-status",
            "/result/resultStatus: expected one of S, F, U, got `s`",
        ),
        (
            "card-no-missing",
            json_body(without("cardNo")),
            "response-schema",
            "/cardNo: required-on-status",
        ),
        (
            "card-no-too-long",
            json_body(with("/cardNo", json!("9".repeat(65)))),
            "response-schema",
            "/cardNo: max-length",
        ),
        (
            "card-no-forbidden-char",
            json_body(with("/cardNo", json!("0111#22"))),
            "response-schema",
            "/cardNo: forbidden-char",
        ),
        (
            "card-no-not-a-string",
            json_body(with("/cardNo", json!(111))),
            "response-schema",
            "/cardNo: type: expected string, got integer 111",
        ),
        (
            "extend-info-too-long",
            json_body({
                let mut b = success();
                b["extendInfo"] = json!(long_extend);
                b
            }),
            "response-schema",
            "/extendInfo: max-length",
        ),
        (
            "result-missing",
            json_body(without("result")),
            "response-schema",
            "/result: required",
        ),
        (
            "renamed-card-no",
            json_body({
                let mut b = without("cardNo");
                b["cardNumber"] = json!("0111");
                b
            }),
            "response-schema",
            "/cardNo: required-on-status",
        ),
        (
            "body-not-json",
            ResponseTemplate::new(200).set_body_raw("<html>busy</html>", "text/html"),
            "response-schema",
            "expected a JSON body",
        ),
        (
            "http-500",
            ResponseTemplate::new(500).set_body_string("internal error"),
            "http-status",
            "expected HTTP 200, got 500",
        ),
        (
            "hang",
            json_body(success()).set_delay(Duration::from_secs(5)),
            "transport",
            "no response within 300ms",
        ),
    ]
}

#[tokio::test]
async fn every_visible_defect_fails_the_run_naming_the_field() {
    for (name, template, check, fragment) in wrong_answers() {
        let server = serving(template).await;
        let run = conform(&[
            "verify",
            ISSUE_CARD,
            "--target",
            &server.uri(),
            "--timeout",
            "300ms",
            "--filter",
            EXAMPLE,
        ])
        .await;
        assert_eq!(run.code, 1, "{name}: {}", run.stdout);
        let line = run
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(check) && l.contains(fragment));
        assert!(
            line.is_some(),
            "{name}: no `{check}` failure with `{fragment}` in\n{}",
            run.stdout
        );
        insta::assert_snapshot!(name, run.transcript());
    }
}
