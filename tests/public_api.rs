//! conform as a library inside `cargo test`, through its public API only: what the README's
//! "Using conform from Rust tests" shows.

use conform::reference::{Faults, ReferenceServer};
use conform::results::{Check, Outcome};
use conform::verify::Verify;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const ISSUE_CARD: &str = "contracts/platform/issue-card.json";

#[tokio::test]
async fn the_embedded_reference_passes_its_own_contract() {
    let verified = Verify::load(&[ISSUE_CARD])
        .unwrap()
        .filter(&["issueCard/example/*", "issueCard/negative/appId/*"])
        .unwrap()
        .run()
        .await
        .unwrap();
    verified.assert_passed();
    assert!(verified.case("issueCard/example/seed-sample").is_some());
    assert_eq!(verified.summary.cases, verified.cases.len());
}

#[tokio::test]
async fn an_implementation_that_accepts_everything_fails_the_negative_cases_by_name() {
    let accepts_everything = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "result": { "resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "Success" },
            "cardNo": "0000001"
        })))
        .mount(&accepts_everything)
        .await;
    let verified = Verify::load(&[ISSUE_CARD])
        .unwrap()
        .target(accepts_everything.uri())
        .filter(&["issueCard/negative/appId/too-long"])
        .unwrap()
        .options(|o| o.jobs = 1)
        .run()
        .await
        .unwrap();
    assert!(!verified.passed());
    let case = verified
        .case("issueCard/negative/appId/too-long")
        .expect("the case ran");
    let expectation = case
        .checks
        .iter()
        .find(|c| c.check == Check::Expectation)
        .expect("judged");
    assert_eq!(expectation.outcome, Outcome::Fail);
    assert!(
        expectation
            .message()
            .contains("expected F/PARAM_ILLEGAL, got HTTP 200, S/SUCCESS"),
        "{}",
        expectation.message()
    );
    let failed = std::panic::catch_unwind(|| verified.assert_passed()).unwrap_err();
    let message = failed.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("issueCard/negative/appId/too-long expectation:"),
        "{message}"
    );
}

#[tokio::test]
async fn a_client_test_gets_the_reference_implementation_on_a_free_port() {
    let contracts = conform::contract::load_paths(&[ISSUE_CARD.into()]).unwrap();
    let server = ReferenceServer::start(&contracts, None, &Faults::default())
        .await
        .unwrap();
    // conform builds its HTTP stack on rustls with ring; a client of the test does the same.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sent = reqwest::Client::new()
        .post(format!("{}/v2/pds/memberships/issueCard", server.uri()))
        .header("content-type", "application/json")
        .body(r#"{"requestId": "r-1"}"#)
        .send()
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&sent.bytes().await.unwrap()).unwrap();
    assert_eq!(answer["result"]["resultCode"], "PARAM_ILLEGAL", "{answer}");
}
