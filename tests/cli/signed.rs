//! Signed runs: a signed `verify` against a signed `serve` (gateway prefix included), `serve`
//! rejecting unsigned and badly signed requests while accepting SDK-signed ones, the
//! `signature` check judging a live target's answers, and what a signed `verify` sends.

use std::sync::{Arc, Mutex};

use conform::signing::{self, PrivateKey, PublicKey};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::signing_support::{key, key_text, openssl_vector, sdk_vector, signed_serve};
use crate::util::{ISSUE_CARD, conform};

const PATH: &str = "/v2/pds/memberships/issueCard";
const CLIENT: &str = "TEST_5X00000000000000";

fn private_key() -> PrivateKey {
    PrivateKey::from_text(&key_text("test_rsa2048_pkcs8.pem")).unwrap()
}

fn public_key() -> PublicKey {
    PublicKey::from_text(&key_text("test_rsa2048_pub_spki.pem")).unwrap()
}

/// `verify` flags that sign with the fixture key and check answers with its public half.
fn signing_flags() -> Vec<String> {
    [
        "--client-id",
        CLIENT,
        "--private-key",
        &key("test_rsa2048_pkcs8.pem"),
        "--public-key",
        &key("test_rsa2048_pub_spki.pem"),
    ]
    .map(str::to_string)
    .to_vec()
}

async fn verify(extra: &[&str]) -> crate::util::Run {
    let flags = signing_flags();
    let mut args: Vec<&str> = vec!["verify", ISSUE_CARD];
    args.extend(extra);
    args.extend(flags.iter().map(String::as_str));
    conform(&args).await
}

/// The `signature` row of the console table: (passed, failed, skipped).
fn signature_row(stdout: &str) -> (usize, usize, usize) {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("signature "))
        .unwrap_or_else(|| panic!("no signature row in\n{stdout}"));
    let n: Vec<usize> = line
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    (n[0], n[1], n[2])
}

fn sample_body(request_id: &str) -> Vec<u8> {
    let contract: Value =
        serde_json::from_str(include_str!("../../contracts/platform/issue-card.json")).unwrap();
    let mut body = contract["examples"][0]["request"].clone();
    body["requestId"] = json!(request_id);
    serde_json::to_vec(&body).unwrap()
}

/// POSTs `body` to `url` with `headers`; returns the answer's headers and JSON.
async fn post(url: &str, headers: &[(&str, String)], body: Vec<u8>) -> (HeaderMap, Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut request = reqwest::Client::new().post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let headers = response.headers().clone();
    (
        headers,
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
    )
}

/// Request headers signed by the fixture key over `path` and `body`.
fn signed_headers(path: &str, time: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let content = signing::content_to_sign("POST", path, CLIENT, time, body);
    vec![
        ("Client-Id", CLIENT.to_string()),
        ("Request-Time", time.to_string()),
        (
            "Signature",
            signing::signature_header(&private_key(), "1", &content),
        ),
    ]
}

fn code(answer: &Value) -> &str {
    answer["result"]["resultCode"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn signed_verify_passes_against_signed_serve_behind_a_gateway_prefix() {
    let served = signed_serve().await;
    for base in [served.url.clone(), format!("{}/api/open", served.url)] {
        let run = verify(&["--target", &base]).await;
        assert_eq!(run.code, 0, "{base}\n{}", run.stdout);
        let (passed, failed, _) = signature_row(&run.stdout);
        assert!(passed > 100 && failed == 0, "{}", run.stdout);
    }
    let unsigned = conform(&[
        "verify",
        ISSUE_CARD,
        "--target",
        &served.url,
        "--filter",
        "*/example/*",
    ])
    .await;
    assert_eq!(unsigned.code, 1, "an unsigned client is rejected");
    assert!(
        unsigned
            .stdout
            .contains("F/ACCESS_DENIED \"Signature header is missing\""),
        "{}",
        unsigned.stdout
    );
}

#[tokio::test]
async fn signed_serve_rejects_missing_and_bad_signatures_then_accepts_a_good_one() {
    let served = signed_serve().await;
    let url = format!("{}{PATH}", served.url);
    let body = sample_body("401-1");
    let (_, unsigned) = post(&url, &[], body.clone()).await;
    assert_eq!(
        (code(&unsigned), unsigned["result"]["resultStatus"].as_str()),
        ("ACCESS_DENIED", Some("F"))
    );
    assert_eq!(
        unsigned["result"]["resultMessage"],
        "Signature header is missing"
    );
    let time = "2024-01-01T12:00:00.123+08:00";
    let mut tampered = signed_headers(PATH, time, &body);
    tampered[1].1 = "2024-01-01T12:00:00.124+08:00".into();
    let (_, bad) = post(&url, &tampered, body.clone()).await;
    assert_eq!(code(&bad), "ACCESS_DENIED");
    assert_eq!(
        bad["result"]["resultMessage"],
        "request signature rejected: signature does not match the string to sign"
    );
    let (headers, good) = post(&url, &signed_headers(PATH, time, &body), body.clone()).await;
    assert_eq!(
        code(&good),
        "SUCCESS",
        "the rejected attempts did not use the key: {good}"
    );
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_string();
    assert_eq!(header("client-id"), CLIENT);
    let raw = serde_json::to_vec(&good).unwrap();
    let content = signing::content_to_sign("POST", PATH, CLIENT, &header("response-time"), &raw);
    assert!(signing::verify(&public_key(), &content, &header("signature")).is_ok());
}

#[tokio::test]
async fn signed_serve_accepts_requests_signed_by_the_sdk_and_openssl() {
    let served = signed_serve().await;
    let sdk = sdk_vector();
    let prefixed = openssl_vector("request-non-ascii-gateway-prefix-fractional-time");
    for v in [sdk, prefixed] {
        let headers = [
            ("client-id", v.client_id.clone()),
            ("Request-Time", v.time.clone()),
            ("Signature", v.header.clone()),
        ];
        let url = format!("{}{}", served.url, v.path);
        let (_, answer) = post(&url, &headers, v.body.clone().into_bytes()).await;
        // Neither body is a complete issueCard request: past the signature, it is invalid.
        assert_eq!(code(&answer), "PARAM_ILLEGAL", "{}: {answer}", v.path);
        let mut altered = headers.clone();
        altered[2].1 = v.header.replace("signature=", "signature=A");
        let (_, answer) = post(&url, &altered, v.body.clone().into_bytes()).await;
        assert_eq!(code(&answer), "ACCESS_DENIED", "{}", v.path);
    }
}

#[tokio::test]
async fn verify_without_target_signs_and_checks_with_the_embedded_target() {
    let run = verify(&["--filter", "*/example/*"]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(signature_row(&run.stdout), (1, 0, 0));
    let mismatched = conform(&[
        "verify",
        ISSUE_CARD,
        "--client-id",
        CLIENT,
        "--private-key",
        &key("test_rsa2048_pkcs1.pem"),
        "--public-key",
        &key("other_rsa2048_pub_spki.pem"),
    ])
    .await;
    assert_eq!(mismatched.code, 2);
    assert!(
        mismatched.stderr.contains("must be its public half"),
        "{}",
        mismatched.stderr
    );
}

/// A live target recording every request and answering `status` signed over `signed_path`
/// (unsigned when `None`), with `quirk`'s defect.
struct Answering {
    status: &'static str,
    signed_path: Option<&'static str>,
    quirk: Quirk,
    seen: Arc<Mutex<Vec<Request>>>,
}

/// A defect of the live target beside its answers' status and signed path.
#[derive(Clone, Copy, PartialEq)]
enum Quirk {
    None,
    /// Sends its signature as raw base64, not URL-encoded.
    RawBase64,
    /// Quotes the request's `Signature` header back in `extendInfo`, as debug output.
    EchoesSignature,
}

impl Respond for Answering {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.seen.lock().unwrap().push(request.clone());
        let code = if self.status == "S" {
            "SUCCESS"
        } else {
            "PROCESS_FAIL"
        };
        let message = if self.status == "S" {
            "Success"
        } else {
            "failed"
        };
        let mut body = json!({"cardNo": "0111645086", "result": {"resultStatus": self.status, "resultCode": code, "resultMessage": message}});
        if self.quirk == Quirk::EchoesSignature {
            let received = request
                .headers
                .get("signature")
                .map(|v| v.to_str().unwrap());
            body["extendInfo"] = json!(format!("received: {}", received.unwrap_or("none")));
        }
        let body = serde_json::to_vec(&body).unwrap();
        let mut template = ResponseTemplate::new(200);
        if let Some(path) = self.signed_path {
            let time = "2024-01-01T12:00:01.5+08:00";
            let content = signing::content_to_sign("POST", path, CLIENT, time, &body);
            let mut signature = signing::signature_header(&private_key(), "1", &content);
            if self.quirk == Quirk::RawBase64 {
                signature = signature
                    .replace("%2B", "+")
                    .replace("%2F", "/")
                    .replace("%3D", "=");
            }
            template = template
                .insert_header("Response-Time", time)
                .insert_header("Signature", signature.as_str());
        }
        template.set_body_raw(body, "application/json; charset=UTF-8")
    }
}

async fn live(
    status: &'static str,
    signed_path: Option<&'static str>,
) -> (MockServer, Arc<Mutex<Vec<Request>>>) {
    live_with(status, signed_path, Quirk::None).await
}

async fn live_with(
    status: &'static str,
    signed_path: Option<&'static str>,
    quirk: Quirk,
) -> (MockServer, Arc<Mutex<Vec<Request>>>) {
    let server = MockServer::start().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let responder = Answering {
        status,
        signed_path,
        quirk,
        seen: Arc::clone(&seen),
    };
    Mock::given(method("POST"))
        .respond_with(responder)
        .mount(&server)
        .await;
    (server, seen)
}

#[tokio::test]
async fn signature_check_judges_a_live_targets_answers() {
    let prefixed = "/api/open/v2/pds/memberships/issueCard";
    let cases = [
        ("S", Some(prefixed), 0, "PARTIAL 1 case (0 failed)"),
        (
            "S",
            None,
            1,
            "unsigned S answer: no Signature header; only failure and unknown results may come unsigned",
        ),
        (
            "S",
            Some(PATH),
            1,
            "signature does not match the string to sign; the string to sign is: POST /api/open/v2/pds/memberships/issueCard\\nTEST_5X00000000000000.2024-01-01T12:00:01.5+08:00.{\"cardNo\"",
        ),
        ("F", None, 1, "expected S, got HTTP 200, F/PROCESS_FAIL"),
    ];
    for (status, signed_path, exit, shown) in cases {
        let (server, _) = live(status, signed_path).await;
        let base = format!("{}/api/open", server.uri());
        let run = verify(&[
            "--target",
            &base,
            "--filter",
            "*/example/*",
            "--replays",
            "0",
        ])
        .await;
        assert_eq!(run.code, exit, "{status} {signed_path:?}\n{}", run.stdout);
        assert!(
            run.stdout.contains(shown),
            "{status} {signed_path:?}\n{}",
            run.stdout
        );
        if status == "F" {
            assert_eq!(
                signature_row(&run.stdout),
                (0, 0, 1),
                "an unsigned F is tolerated"
            );
        }
    }
}

#[tokio::test]
async fn an_answer_signature_sent_as_raw_base64_fails_the_signature_check() {
    let prefixed = "/api/open/v2/pds/memberships/issueCard";
    let (server, _) = live_with("S", Some(prefixed), Quirk::RawBase64).await;
    let base = format!("{}/api/open", server.uri());
    let run = verify(&["--target", &base, "--filter", "*/example/*"]).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("the signature verifies but is not URL-encoded"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_signature_the_target_quotes_back_is_kept_out_of_snapshots_reports_and_evidence() {
    let prefixed = "/api/open/v2/pds/memberships/issueCard";
    let (server, seen) = live_with("S", Some(prefixed), Quirk::EchoesSignature).await;
    let base = format!("{}/api/open", server.uri());
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let report = format!("json={}", at("report.json"));
    let (snapshots, evidence) = (at("snapshots"), at("evidence"));
    let certifier = key("test_rsa2048_pkcs8.pem");
    // The late replay's first answer quotes the first request's signature, sent by another
    // case; its late answer quotes another, so the late-replay diff shows both answers.
    let run = verify(&[
        "--target",
        &base,
        "--filter",
        "*/example/*",
        "--filter",
        "*/run/late-replay",
        "--snapshots",
        "new",
        "--snapshot-dir",
        &snapshots,
        "--report",
        &report,
        "--certify",
        &evidence,
        "--certifier-key",
        &certifier,
        "--implementation",
        "echoing-cards",
    ])
    .await;
    let signatures: Vec<String> = (seen.lock().unwrap().iter())
        .map(|r| r.headers["signature"].to_str().unwrap().to_string())
        .map(|h| h.rsplit_once("signature=").unwrap().1.to_string())
        .collect();
    assert!(!signatures.is_empty());
    let mut written = vec![run.stdout.clone(), run.stderr.clone()];
    for file in walkdir(dir.path()) {
        written.push(std::fs::read_to_string(&file).unwrap_or_default());
    }
    assert!(
        written.iter().any(|text| text.contains("received: ***")),
        "the echo is kept, masked"
    );
    assert!(
        run.stdout.contains("FAIL issueCard/run/late-replay")
            && run.stdout.contains("returned a different answer"),
        "the late replay's diff shows both answers: {}",
        run.stdout
    );
    for signature in &signatures {
        let decoded = signature
            .replace("%2B", "+")
            .replace("%2F", "/")
            .replace("%3D", "=");
        for text in &written {
            assert!(!text.contains(signature.as_str()), "{text}");
            assert!(!text.contains(decoded.as_str()), "{text}");
        }
    }
}

/// Every file under `dir`.
fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walkdir(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn every_request_of_a_signed_run_carries_a_signature_over_the_path_as_sent() {
    let prefixed = "/api/open/v2/pds/memberships/issueCard";
    let (server, seen) = live("S", Some(prefixed)).await;
    let base = format!("{}/api/open", server.uri());
    let run = verify(&[
        "--target",
        &base,
        "--filter",
        "*/boundary/*",
        "--key-version",
        "3",
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let requests = seen.lock().unwrap().clone();
    assert!(requests.len() > 30, "boundary cases and their replays");
    let time_format = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$").unwrap();
    for request in requests {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(request.url.path(), prefixed);
        assert_eq!(header("client-id"), CLIENT);
        let time = header("request-time");
        assert!(time_format.is_match(&time), "{time}");
        let signature = header("signature");
        assert!(
            signature.starts_with("algorithm=RSA256,keyVersion=3,signature="),
            "{signature}"
        );
        let content = signing::content_to_sign("POST", prefixed, CLIENT, &time, &request.body);
        assert!(signing::verify(&public_key(), &content, &signature).is_ok());
    }
}

#[tokio::test]
async fn checking_signatures_needs_a_rejection_code_in_the_contract() {
    let spki = key("test_rsa2048_pub_spki.pem");
    let minimal = "tests/fixtures/valid/minimal.json";
    let run = conform(&["serve", minimal, "--port", "0", "--public-key", &spki]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("contract `createOrder` has no code for rejected signatures"),
        "{}",
        run.stderr
    );
}
