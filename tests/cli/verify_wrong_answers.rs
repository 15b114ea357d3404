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

/// Runs the example case against a server answering with `template`: the run must fail with
/// a `check` finding holding `fragment`, and its transcript must match the snapshot `name`.
async fn assert_caught(name: &str, template: ResponseTemplate, check: &str, fragment: &str) {
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

/// One test per wrong server, so they run in parallel and fail independently: the name (its
/// snapshot's name with `-` for `_`), the answer, the check that must fail and a fragment its
/// message must hold.
macro_rules! caught {
    ($($name:ident: $template:expr => $check:literal, $fragment:expr;)*) => {
        mod caught {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let name = stringify!($name).replace('_', "-");
                    assert_caught(&name, $template, $check, $fragment).await;
                }
            )*
        }
    };
}

caught! {
    success_with_wrong_code: json_body(with("/result/resultCode", json!("OK")))
        => "result-status", "/result/resultCode: expected `SUCCESS`";
    wrong_success_message: json_body(with("/result/resultMessage", json!("success")))
        => "result-status", "/result/resultMessage: expected `Success`";
    lower_case_status: json_body(with("/result/resultStatus", json!("s")))
        => "result-status", "/result/resultStatus: expected one of S, F, U, got `s`";
    card_no_missing: json_body(without("cardNo"))
        => "response-schema", "/cardNo: required-on-status";
    card_no_too_long: json_body(with("/cardNo", json!("9".repeat(65))))
        => "response-schema", "/cardNo: max-length";
    card_no_forbidden_char: json_body(with("/cardNo", json!("0111#22")))
        => "response-schema", "/cardNo: forbidden-char";
    card_no_not_a_string: json_body(with("/cardNo", json!(111)))
        => "response-schema", "/cardNo: type: expected string, got integer 111";
    extend_info_too_long: json_body({
            let mut b = success();
            b["extendInfo"] = json!("x".repeat(2049));
            b
        })
        => "response-schema", "/extendInfo: max-length";
    result_missing: json_body(without("result"))
        => "response-schema", "/result: required";
    renamed_card_no: json_body({
            let mut b = without("cardNo");
            b["cardNumber"] = json!("0111");
            b
        })
        => "response-schema", "/cardNo: required-on-status";
    body_not_json: ResponseTemplate::new(200).set_body_raw("<html>busy</html>", "text/html")
        => "response-schema", "expected a JSON body";
    http_500: ResponseTemplate::new(500).set_body_string("internal error")
        => "http-status", "expected HTTP 200, got 500";
    hang: json_body(success()).set_delay(Duration::from_secs(5))
        => "transport", "no response from http://127.0.0.1:";
}
