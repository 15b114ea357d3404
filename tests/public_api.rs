//! conform as a library inside `cargo test`, through its public API only: what the README's
//! "Using conform from Rust tests" shows (run against a URL and assert on a case's findings,
//! run the embedded reference, start the reference server for a client's own tests, read the
//! located errors of a bad contract, sign as a client).

use std::time::Duration;

use conform::contract::load_paths;
use conform::reference::ReferenceServer;
use conform::results::{Check, Outcome};
use conform::signing::{self, PrivateKey};
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
    assert_eq!(verified.summary.failed, 0);
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
        .jobs(1)
        .timeout(Duration::from_secs(5))
        .run()
        .await
        .unwrap();
    assert!(!verified.passed());
    let case = verified
        .case("issueCard/negative/appId/too-long")
        .expect("the case ran");
    assert!(case.failed());
    let expectation = case
        .checks
        .iter()
        .find(|c| c.check == Check::Expectation)
        .expect("judged");
    assert_eq!(expectation.outcome, Outcome::Fail);
    let finding = &expectation.findings[0];
    assert!(
        finding
            .message
            .contains("expected F/PARAM_ILLEGAL, got HTTP 200, S/SUCCESS"),
        "{}",
        finding.message
    );
    assert_eq!(verified.failures().count(), 1);
    let failed = std::panic::catch_unwind(|| verified.assert_passed()).unwrap_err();
    let message = failed.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("issueCard/negative/appId/too-long expectation:"),
        "{message}"
    );
}

#[tokio::test]
async fn a_header_given_to_the_run_reaches_the_target() {
    let wants_a_key = MockServer::start().await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::header("x-api-key", "k-123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "result": { "resultStatus": "F", "resultCode": "PARAM_ILLEGAL", "resultMessage": "Illegal parameters" }
        })))
        .mount(&wants_a_key)
        .await;
    let verified = Verify::load(&[ISSUE_CARD])
        .unwrap()
        .target(wants_a_key.uri())
        .header("X-Api-Key", "k-123")
        .unwrap()
        .filter(&["issueCard/negative/appId/too-long"])
        .unwrap()
        .run()
        .await
        .unwrap();
    // Without the header the mock answers 404, which fails the expectation.
    verified.assert_passed();
}

#[tokio::test]
async fn a_bad_glob_or_header_is_an_error_with_its_exit_code_not_a_failed_check() {
    let bad_glob = Verify::load(&[ISSUE_CARD])
        .unwrap()
        .filter(&["issueCard/[oops"]);
    let error = bad_glob.unwrap_err();
    assert!(error.to_string().contains("issueCard/[oops"), "{error}");
    assert_eq!(error.exit_code(), conform::exit::USAGE);
    let bad_header = Verify::load(&[ISSUE_CARD]).unwrap().header("X Bad", "v");
    assert_eq!(bad_header.unwrap_err().exit_code(), conform::exit::USAGE);
}

#[tokio::test]
async fn a_client_test_gets_the_reference_implementation_on_a_free_port() {
    let contracts = load_paths(&[ISSUE_CARD.into()]).unwrap();
    let server = ReferenceServer::start(&contracts).await.unwrap();
    let other = ReferenceServer::start(&contracts).await.unwrap();
    assert_ne!(server.uri(), other.uri(), "each on a port of its own");
    // conform builds its HTTP stack on rustls with ring; a client of the test does the same.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sent = reqwest::Client::new()
        .post(format!("{}{}", server.uri(), contracts[0].path()))
        .header("content-type", "application/json")
        .body(r#"{"requestId": "r-1"}"#)
        .send()
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&sent.bytes().await.unwrap()).unwrap();
    assert_eq!(answer["result"]["resultCode"], "PARAM_ILLEGAL", "{answer}");
    assert_eq!(server.served(), 1);
    let address = server.address();
    drop(server);
    // Dropped, it stops accepting connections.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
}

#[test]
fn a_bad_contract_is_refused_with_located_errors() {
    let errors = load_paths(&["tests/fixtures/invalid/min-above-max.json".into()]).unwrap_err();
    let first = &errors.errors()[0];
    assert!(first.file.ends_with("min-above-max.json"));
    assert_eq!((first.line(), first.column()), (Some(31), Some(22)));
    assert_eq!(
        first.message(),
        "`minLength` (40) is greater than `maxLength` (32)"
    );
    assert!(errors.to_string().contains("min-above-max.json:31:22"));
}

#[tokio::test]
async fn a_signed_run_against_the_embedded_reference_signs_and_checks_every_message() {
    let key_text =
        std::fs::read_to_string("tests/fixtures/signing/test_rsa2048_pkcs8.pem").unwrap();
    let key = PrivateKey::from_text(&key_text).unwrap();
    let verified = Verify::load(&[ISSUE_CARD])
        .unwrap()
        .filter(&["issueCard/example/seed-sample"])
        .unwrap()
        .signed("client-7", key, 1, None)
        .unwrap()
        .run()
        .await
        .unwrap();
    verified.assert_passed();
    let case = verified.case("issueCard/example/seed-sample").unwrap();
    let signature = case.checks.iter().find(|c| c.check == Check::Signature);
    assert_eq!(signature.map(|c| c.outcome), Some(Outcome::Pass));
}

#[test]
fn a_client_signs_a_request_as_the_reference_expects() {
    let key_text =
        std::fs::read_to_string("tests/fixtures/signing/test_rsa2048_pkcs8.pem").unwrap();
    let key = PrivateKey::from_text(&key_text).unwrap();
    let content = signing::content_to_sign(
        "POST",
        "/v2/pds/memberships/issueCard",
        "client-7",
        "2024-01-01T12:00:00+08:00",
        b"{}",
    );
    let header = signing::signature_header(&key, "1", &content);
    assert!(header.starts_with("algorithm=RSA256,keyVersion=1,signature="));
    assert!(signing::verify(&key.public_key(), &content, &header).is_ok());
    assert!(signing::verify(&key.public_key(), b"other content", &header).is_err());
}
