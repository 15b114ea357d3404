//! `serve --report`: the reference implementation judges every request a client sends and,
//! when stopped, writes the client's certificate: every request valid, every signature right,
//! idempotency keys used again only for retries.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::issue_card::PATH;
use crate::signing_support::{key, key_text};
use crate::util;

fn valid(request_id: &str) -> Value {
    let contract: Value =
        serde_json::from_str(include_str!("../../contracts/platform/issue-card.json")).unwrap();
    let mut body = contract["examples"][0]["request"].clone();
    body["requestId"] = json!(request_id);
    body
}

/// The client under test: signs what it sends with the test key, unless told to spoil it.
struct Client {
    http: reqwest::Client,
    url: String,
    key: conform::signing::PrivateKey,
}

impl Client {
    fn new(url: &str) -> Self {
        let key = conform::signing::PrivateKey::from_text(&key_text("test_rsa2048_pkcs8.pem"));
        Client {
            http: util::client(),
            url: url.to_string(),
            key: key.unwrap(),
        }
    }

    async fn send(&self, body: &Value, signed: bool) -> Value {
        let (time, body) = ("2024-01-01T12:00:00+08:00", body.to_string());
        let content =
            conform::signing::content_to_sign("POST", PATH, "client-7", time, body.as_bytes());
        let signature = if signed {
            conform::signing::signature_header(&self.key, "1", &content)
        } else {
            "algorithm=RSA256,keyVersion=1,signature=bm90LWEtc2lnbmF0dXJl".into()
        };
        let answer = self
            .http
            .post(format!("{}{PATH}", self.url))
            .header("Client-Id", "client-7")
            .header("Request-Time", time)
            .header("Signature", signature)
            .header("content-type", "application/json; charset=UTF-8")
            .body(body)
            .send()
            .await
            .unwrap();
        serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap()
    }
}

/// `conform serve` with `--report`s into a fresh folder, checking signatures with the test key.
async fn serve(formats: &[&str]) -> (util::Listening, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = ["serve", "--port", "0", util::ISSUE_CARD, "--public-key"]
        .map(String::from)
        .to_vec();
    args.push(key("test_rsa2048_pub_spki.pem"));
    args.extend(["--client".into(), "acme-app 7.1".into()]);
    for format in formats {
        args.push("--report".into());
        args.push(format!("{format}={}", dir.path().join(format).display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (util::listening(&args).await, dir)
}

/// Stops `serve` as a CI job would, and waits for its reports.
async fn stop(served: util::Listening) -> util::Run {
    served.signal(libc::SIGTERM);
    served.finish().await
}

fn report(dir: &tempfile::TempDir) -> Value {
    serde_json::from_slice(&std::fs::read(dir.path().join("json")).unwrap()).unwrap()
}

#[tokio::test]
async fn a_client_that_keeps_every_rule_gets_a_compatible_certificate() {
    let (served, dir) = serve(&["json", "markdown"]).await;
    let client = Client::new(&served.url);
    let first = client.send(&valid("cert-good-1"), true).await;
    assert_eq!(first["result"]["resultStatus"], "S");
    let retry = client.send(&valid("cert-good-1"), true).await;
    assert_eq!(retry, first, "the retry gets the first answer");
    client.send(&valid("cert-good-2"), true).await;
    let run = stop(served).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let certificate = std::fs::read_to_string(dir.path().join("markdown")).unwrap();
    assert!(
        certificate.starts_with("# conform compatibility certificate: COMPATIBLE\n"),
        "{certificate}"
    );
    assert!(
        certificate.contains("| Client | acme-app 7.1 |"),
        "{certificate}"
    );
    assert!(certificate.contains("ended by SIGTERM"), "{certificate}");
    assert!(
        certificate.contains("| client-signature | 3 | 0 | 0 | 0 |"),
        "{certificate}"
    );
    assert!(
        certificate.contains("| client-idempotency-key | 3 | 0 | 0 | 0 |"),
        "{certificate}"
    );
    let summary = &report(&dir)["summary"];
    assert_eq!(
        (summary["cases"].as_u64(), summary["failed"].as_u64()),
        (Some(3), Some(0))
    );
}

#[tokio::test]
async fn each_mistake_of_a_client_is_on_its_certificate() {
    let (served, dir) = serve(&["json", "junit"]).await;
    let client = Client::new(&served.url);
    client.send(&valid("cert-bad-1"), true).await;
    let mut too_long = valid("cert-bad-2");
    too_long["appId"] = json!("a".repeat(33));
    client.send(&too_long, true).await;
    let unsigned = client.send(&valid("cert-bad-3"), false).await;
    assert_eq!(unsigned["result"]["resultCode"], "ACCESS_DENIED");
    let mut other = valid("cert-bad-1");
    other["customerId"] = json!("someone-else");
    client.send(&other, true).await;
    util::client()
        .get(format!("{}/v2/unknown", served.url))
        .send()
        .await
        .unwrap();
    let run = stop(served).await;
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = report(&dir);
    assert_eq!(
        crate::reports::schema_errors(&report),
        "",
        "the report fits its schema"
    );
    let failed: BTreeSet<(String, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "fail")
        .map(|r| {
            (
                r["case"].as_str().unwrap().into(),
                r["check"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("issueCard/exchange/2", "client-request"),
        ("issueCard/exchange/3", "client-signature"),
        ("issueCard/exchange/4", "client-idempotency-key"),
    ]
    .iter()
    .map(|(c, k)| (c.to_string(), k.to_string()))
    .collect();
    assert_eq!(failed, expected);
    let traffic = &report["summary"]["traffic"];
    assert_eq!(traffic["client"], json!({"findings": 3, "exchanges": 3}));
    assert_eq!(traffic["unmatched_requests"][0]["path"], "/v2/unknown");
    assert_eq!(traffic["unmatched_requests"][0]["statuses"], json!([404]));
    assert!(
        run.stdout
            .contains("FAIL issueCard/exchange/3\n  client-signature"),
        "{}",
        run.stdout
    );
    let junit = std::fs::read_to_string(dir.path().join("junit")).unwrap();
    assert!(
        junit.contains("classname=\"issueCard/exchange/4\""),
        "{junit}"
    );
}

#[tokio::test]
async fn a_request_under_way_when_serve_stops_is_answered_and_on_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let json = format!("json={}", dir.path().join("json").display());
    let args = [
        "serve",
        "--port",
        "0",
        util::ISSUE_CARD,
        "--fault",
        "latency=600ms",
        "--report",
        &json,
    ];
    let served = util::listening(&args).await;
    let client = util::client();
    let sending = client
        .post(format!("{}{PATH}", served.url))
        .header("content-type", "application/json; charset=UTF-8")
        .body(valid("under-way-1").to_string())
        .send();
    let answer = tokio::spawn(async move {
        let answer = sending.await.unwrap();
        serde_json::from_slice::<Value>(&answer.bytes().await.unwrap()).unwrap()
    });
    // Stopped while the answer is held back by the latency fault.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let run = stop(served).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let answer = answer.await.unwrap();
    assert_eq!(answer["result"]["resultStatus"], "S", "{answer}");
    let summary = &report(&dir)["summary"];
    assert_eq!(summary["traffic"]["exchanges"], 1, "{summary}");
    assert_eq!(summary["cases"], 1, "{summary}");
}
