//! `conform proxy`: a client (this test, sending with its own HTTP client) talks to an
//! independent issueCard implementation through the proxy. Each planted defect must be reported
//! on the implementation's side, each mistake of the client on the client's side, the coverage
//! must count what was sent, and the traffic must arrive unchanged.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::issue_card::{self, Defects, PATH};
use crate::util::{self, Listening};

/// A valid issueCard request with idempotency key `key`.
fn valid(key: &str) -> Value {
    let contract: Value =
        serde_json::from_str(include_str!("../../contracts/platform/issue-card.json")).unwrap();
    let mut body = contract["examples"][0]["request"].clone();
    body["requestId"] = json!(key);
    body
}

/// The client's script: what it sends, in order, and what it does wrong on purpose.
fn script() -> Vec<String> {
    let retried = valid("proxy-k1");
    let mut too_long = valid("proxy-k3");
    too_long["appId"] = json!("a".repeat(33));
    let mut longest = valid("proxy-k4");
    longest["appId"] = json!("b".repeat(32));
    let mut reused = valid("proxy-k1");
    reused["externalCardNo"] = json!("another-card");
    vec![
        retried.to_string(),   // #1
        retried.to_string(),   // #2: a retry, as it should be
        too_long.to_string(),  // #3: breaks appId's max-length
        longest.to_string(),   // #4: valid, at the edge
        reused.to_string(),    // #5: the key of #1 for another request
        "{\"appId\": ".into(), // #6: not JSON
    ]
}

/// What the client gets wrong, whatever the implementation: (exchange, check).
const CLIENT_FINDINGS: [(u64, &str); 3] = [
    (3, "client-request"),
    (5, "client-idempotency-key"),
    (6, "client-request"),
];

/// Starts the proxy in front of `target` with `extra` flags, ending after `exchanges`.
async fn proxy(target: &str, exchanges: usize, extra: &[&str]) -> Listening {
    let max = exchanges.to_string();
    let mut args = vec![
        "proxy",
        "--port",
        "0",
        "--target",
        target,
        util::ISSUE_CARD,
        "--max-exchanges",
        &max,
    ];
    args.extend_from_slice(extra);
    util::listening(&args).await
}

/// Sends each body to issueCard through `proxy`, one after another; the answers' bytes.
async fn send_all(proxy: &Listening, bodies: &[String]) -> Vec<Vec<u8>> {
    let answers = send_with(&util::client(), proxy, bodies).await;
    answers.into_iter().map(|(_, bytes)| bytes).collect()
}

/// Sends each body with `client`; each answer's HTTP version and bytes.
async fn send_with(
    client: &reqwest::Client,
    proxy: &Listening,
    bodies: &[String],
) -> Vec<(reqwest::Version, Vec<u8>)> {
    let mut answers = Vec::new();
    for body in bodies {
        let answer = client
            .post(format!("{}{PATH}", proxy.url))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("the proxy answers");
        let version = answer.version();
        answers.push((version, answer.bytes().await.unwrap().to_vec()));
    }
    answers
}

/// The JSON report's failed checks, as (exchange number, check).
fn failures(report: &Value) -> BTreeSet<(u64, String)> {
    let results = report["results"].as_array().expect("results");
    results
        .iter()
        .filter(|r| r["outcome"] == "fail")
        .map(|r| {
            let case = r["case"].as_str().unwrap();
            let number = case.rsplit('/').next().unwrap().parse().unwrap();
            (number, r["check"].as_str().unwrap().to_string())
        })
        .collect()
}

fn expected(extra: &[(u64, &str)]) -> BTreeSet<(u64, String)> {
    (CLIENT_FINDINGS.iter().chain(extra))
        .map(|(n, c)| (*n, c.to_string()))
        .collect()
}

/// Runs the client's script through the proxy in front of the implementation with `defects`;
/// the JSON report and the run.
async fn scripted(defects: Defects) -> (Value, util::Run) {
    let target = issue_card::serve(defects).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("traffic.json");
    let spec = format!("json={}", report.display());
    let proxy = proxy(&target.uri(), script().len(), &["--report", &spec]).await;
    send_all(&proxy, &script()).await;
    let run = proxy.finish().await;
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    (report, run)
}

#[tokio::test]
async fn a_correct_implementation_leaves_only_the_clients_mistakes() {
    let (report, run) = scripted(Defects::default()).await;
    assert_eq!(
        crate::reports::schema_errors(&report),
        "",
        "the report fits its schema"
    );
    assert_eq!(failures(&report), expected(&[]), "{}", run.stdout);
    assert_eq!(run.code, 1, "client findings fail the run\n{}", run.stdout);
    let traffic = &report["summary"]["traffic"];
    assert_eq!(traffic["client"], json!({"findings": 3, "exchanges": 3}));
    assert_eq!(
        traffic["implementation"],
        json!({"findings": 0, "exchanges": 0})
    );
    assert!(
        run.stdout
            .contains("#3 POST /v2/pds/memberships/issueCard → 200 F/PARAM_ILLEGAL")
    );
    assert!(
        run.stdout
            .contains("· issueCard · client: client-request\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(
        "findings     client side: 3 failed checks in 3 exchanges; implementation side: no finding"
    ));
}

#[tokio::test]
async fn coverage_counts_what_the_traffic_exercised_and_names_what_it_never_did() {
    let (report, _) = scripted(Defects::default()).await;
    let coverage = &report["summary"]["traffic"]["coverage"][0];
    let count = |list: &str, name: &str| {
        let entries = coverage[list].as_array().unwrap();
        let entry = entries.iter().find(|e| e["name"] == name);
        entry.map(|e| e["count"].as_u64().unwrap())
    };
    assert_eq!(coverage["exchanges"], 6);
    assert_eq!(count("statuses", "S"), Some(3), "#1, #2, #4");
    assert_eq!(count("statuses", "F"), Some(3), "#3, #5, #6");
    assert_eq!(count("statuses", "U"), Some(0));
    assert_eq!(count("codes", "SUCCESS (S)"), Some(3));
    assert_eq!(count("codes", "PARAM_ILLEGAL (F)"), Some(2));
    assert_eq!(count("codes", "REPEAT_REQ_INCONSISTENT (F)"), Some(1));
    assert_eq!(count("codes", "UNKNOWN_EXCEPTION (U)"), Some(0));
    assert_eq!(count("request_fields", "appId"), Some(5), "#6 is not JSON");
    assert_eq!(
        count("request_fields", "cardFields[].fieldValue.currency"),
        Some(5)
    );
    assert_eq!(count("request_fields", "extendInfo"), Some(0));
    assert_eq!(count("response_fields", "cardNo"), Some(3));
    assert_eq!(count("response_fields", "result.resultCode"), Some(6));
}

/// Each planted defect is reported on the implementation's side, at the exchange that shows it.
async fn defect_is_found(defects: Defects, found: &[(u64, &str)]) {
    let (report, run) = scripted(defects).await;
    assert_eq!(failures(&report), expected(found), "{}", run.stdout);
    let implementation = &report["summary"]["traffic"]["implementation"];
    assert!(implementation["findings"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn accepting_an_invalid_request_is_the_implementations_finding() {
    let defects = Defects {
        accept_long_app_id: true,
        ..Defects::default()
    };
    defect_is_found(defects, &[(3, "expectation")]).await;
}

#[tokio::test]
async fn rejecting_a_valid_request_is_the_implementations_finding() {
    let defects = Defects {
        reject_app_id_of_32: true,
        ..Defects::default()
    };
    defect_is_found(defects, &[(4, "expectation")]).await;
}

#[tokio::test]
async fn a_retry_answered_with_a_new_card_is_found() {
    let defects = Defects {
        new_card_on_replay: true,
        ..Defects::default()
    };
    defect_is_found(defects, &[(2, "idempotency-replay")]).await;
}

#[tokio::test]
async fn two_different_successes_for_one_key_are_found() {
    let defects = Defects {
        new_card_on_conflict: true,
        ..Defects::default()
    };
    defect_is_found(defects, &[(5, "idempotency-conflict")]).await;
}

#[tokio::test]
async fn a_code_outside_the_catalogue_is_found() {
    let defects = Defects {
        unknown_code_on_invalid: true,
        ..Defects::default()
    };
    let found = [
        (3, "result-status"),
        (3, "expectation"),
        (6, "result-status"),
        (6, "expectation"),
    ];
    defect_is_found(defects, &found).await;
}

#[tokio::test]
async fn a_server_error_for_invalid_input_is_found() {
    let defects = Defects {
        http_500_on_invalid: true,
        ..Defects::default()
    };
    let found = [
        (3, "http-status"),
        (3, "expectation"),
        (6, "http-status"),
        (6, "expectation"),
    ];
    defect_is_found(defects, &found).await;
}

#[tokio::test]
async fn a_good_client_of_a_correct_implementation_passes() {
    let target = issue_card::serve(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let certificate = dir.path().join("certificate.md");
    let spec = format!("markdown={}", certificate.display());
    let bodies = [valid("good-1"), valid("good-1"), valid("good-2")].map(|b| b.to_string());
    let proxy = proxy(&target.uri(), bodies.len(), &["--report", &spec]).await;
    send_all(&proxy, &bodies).await;
    let run = proxy.finish().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let text = std::fs::read_to_string(&certificate).unwrap();
    assert!(
        text.starts_with("# conform compatibility certificate: COMPATIBLE\n"),
        "{text}"
    );
    assert!(
        text.contains("| idempotency-replay | 1 | 0 | 0 | 0 |"),
        "{text}"
    );
}

/// A client trusting the test CA, offering HTTP/2 (by ALPN) or HTTP/1.1 only.
fn https_client(http2: bool) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = std::fs::read(util::root().join("tests/fixtures/tls/ca.pem")).unwrap();
    let builder = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap());
    let builder = if http2 { builder } else { builder.http1_only() };
    builder.build().unwrap()
}

#[tokio::test]
async fn over_https_the_proxy_finds_what_it_finds_over_plain_http_with_either_http_version() {
    let defects = Defects {
        new_card_on_replay: true,
        ..Defects::default()
    };
    let (plain, _) = scripted(defects).await;
    for http2 in [false, true] {
        let target = issue_card::serve(defects).await;
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("traffic.json");
        let spec = format!("json={}", report.display());
        let tls = [
            "--tls-cert",
            "tests/fixtures/tls/server.pem",
            "--tls-key",
            "tests/fixtures/tls/server.key",
        ];
        let mut extra = vec!["--report", spec.as_str()];
        extra.extend(tls);
        let proxy = proxy(&target.uri(), script().len(), &extra).await;
        assert!(proxy.url.starts_with("https://127.0.0.1:"), "{}", proxy.url);
        let answers = send_with(&https_client(http2), &proxy, &script()).await;
        let versions: Vec<_> = answers.iter().map(|(version, _)| *version).collect();
        let want = if http2 {
            reqwest::Version::HTTP_2
        } else {
            reqwest::Version::HTTP_11
        };
        assert!(versions.iter().all(|v| *v == want), "{versions:?}");
        let run = proxy.finish().await;
        assert!(
            run.stdout.contains("tls: HTTPS (HTTP/2 when offered)\n"),
            "{}",
            run.stdout
        );
        let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        assert_eq!(failures(&report), failures(&plain), "HTTP/2: {http2}");
        assert_eq!(failures(&report), expected(&[(2, "idempotency-replay")]));
        assert_eq!(run.code, 1, "{}", run.stdout);
    }
}

#[tokio::test]
async fn a_client_that_speaks_plain_http_to_an_https_proxy_gets_nothing_forwarded() {
    let target = issue_card::serve(Defects::default()).await;
    let tls = [
        "--tls-cert",
        "tests/fixtures/tls/server.pem",
        "--tls-key",
        "tests/fixtures/tls/server.key",
        "--duration",
        "2s",
    ];
    let proxy = proxy(&target.uri(), 1, &tls).await;
    let plain = proxy.url.replacen("https://", "http://", 1);
    let sent = util::client()
        .post(format!("{plain}{PATH}"))
        .body(valid("plain-k1").to_string())
        .send()
        .await;
    assert!(
        sent.is_err(),
        "a TLS server does not answer plain HTTP: {sent:?}"
    );
    let run = proxy.finish().await;
    assert_eq!(
        target.received_requests().await.unwrap_or_default().len(),
        0
    );
    assert!(
        run.stdout
            .contains("stopped (--duration 2s) after 0 exchanges"),
        "{}",
        run.stdout
    );
}
