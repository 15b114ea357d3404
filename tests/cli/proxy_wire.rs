//! `conform proxy` on the wire: traffic arrives unchanged both ways (bodies byte for byte, large
//! ones streamed past the bounds on what is checked), requests for no contract are forwarded and
//! listed, secrets never reach the log or a report, and a signal ends the run with its reports.

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::issue_card::{self, Defects, PATH};
use crate::util;

/// A target that answers every request with its own body, byte for byte.
struct Echo;

impl Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_raw(request.body.clone(), "application/octet-stream")
    }
}

/// `n` bytes that are not text.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect()
}

#[tokio::test]
async fn bodies_arrive_byte_identical_both_ways_and_unmatched_requests_are_listed() {
    let target = MockServer::start().await;
    Mock::given(any()).respond_with(Echo).mount(&target).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let spec = format!("json={}", report.display());
    let sent: Vec<(&str, Vec<u8>)> = vec![
        (
            PATH,
            "{ \"appId\" :\t\"中文 é\",\n  \"requestId\":\"x1\" }  \n".into(),
        ),
        (PATH, vec![0xff, 0xfe, b'{', 0x00]),
        (PATH, noise(2 << 20, 7)),
        ("/files/upload?part=1", noise(3 << 20, 9)),
    ];
    let proxy = util::listening(&[
        "proxy",
        "--port",
        "0",
        "--target",
        &target.uri(),
        util::ISSUE_CARD,
        "--max-exchanges",
        "4",
        "--report",
        &spec,
    ])
    .await;
    let client = util::client();
    for (path, body) in &sent {
        let answer = client
            .post(format!("{}{path}", proxy.url))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let echoed = answer.bytes().await.unwrap();
        assert!(
            echoed[..] == body[..],
            "{path}: the answer came back changed"
        );
    }
    let run = proxy.finish().await;
    let received = target.received_requests().await.unwrap();
    assert_eq!(received.len(), sent.len());
    for ((path, body), request) in sent.iter().zip(&received) {
        assert!(request.body == *body, "{path}: the request arrived changed");
        assert_eq!(request.url.path(), path.split('?').next().unwrap());
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    let traffic = &report["summary"]["traffic"];
    assert_eq!(traffic["exchanges"], 4);
    assert_eq!(traffic["unmatched"], 1);
    assert_eq!(
        traffic["unmatched_requests"],
        serde_json::json!([{"method": "POST", "path": "/files/upload", "count": 1, "statuses": [200]}])
    );
    assert!(
        run.stdout.contains("#4 POST /files/upload?part=1 → 200 · "),
        "{}",
        run.stdout
    );
    let skipped = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["case"] == "issueCard/exchange/3" && r["check"] == "client-request");
    assert_eq!(
        skipped.unwrap()["outcome"],
        "skip",
        "a body over --max-body-size is not judged"
    );
    assert!(
        run.stdout
            .contains("1 request matched no contract's operation and was not checked")
    );
    // The verdict says so too: a request of a contract nothing judged leaves the run partial.
    assert_eq!(report["summary"]["requests_unchecked"], 1);
    let reasons: Vec<&str> = (report["verdict"]["reasons"].as_array().unwrap().iter())
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"requests-unchecked"), "{reasons:?}");
    assert!(
        run.stdout.contains(
            "1 request was not checked against its contract (a body larger than --max-body-size"
        ),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn secrets_stay_out_of_the_log_and_every_report_and_a_signal_writes_the_reports() {
    use crate::signing_support::key;
    let target = issue_card::serve(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = ["json", "junit", "markdown", "html"]
        .iter()
        .map(|format| (format, dir.path().join(format!("report.{format}"))))
        .collect();
    let mut args = vec![
        "proxy".to_string(),
        "--port".into(),
        "0".into(),
        "--target".into(),
        target.uri(),
        util::ISSUE_CARD.into(),
        "--client-public-key".into(),
        key("test_rsa2048_pub_spki.pem"),
    ];
    for (format, path) in &files {
        args.push("--report".into());
        args.push(format!("{format}={}", path.display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let proxy = util::listening(&args).await;
    let client = util::client();
    let contract: serde_json::Value =
        serde_json::from_str(include_str!("../../contracts/platform/issue-card.json")).unwrap();
    let answer = client
        .post(format!("{}{PATH}", proxy.url))
        .header("Authorization", "Bearer tok-SECRET-1")
        .header("X-Api-Key", "SECRET-2")
        .header("Client-Id", "client-7")
        .header("Request-Time", "2024-01-01T12:00:00+08:00")
        .header(
            "Signature",
            "algorithm=RSA256,keyVersion=1,signature=SECRET3sig",
        )
        .header("content-type", "application/json")
        // A credential in the body, early enough to be in the string to sign shown.
        .body(contract["examples"][0]["request"].to_string().replacen(
            '{',
            r#"{"accessToken":"tok-SECRET-5-quoted-in-the-string-to-sign","#,
            1,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    client
        .get(format!(
            "{}/v1/things?access_token=SECRET-4&page=2",
            proxy.url
        ))
        .send()
        .await
        .unwrap();
    wait_for(&proxy, "#2 GET").await;
    proxy.signal(libc::SIGINT);
    let run = proxy.finish().await;
    assert_eq!(
        run.code, 1,
        "a wrong signature is a finding\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("/v1/things?access_token=***&page=2"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("ended by Ctrl-C"), "{}", run.stdout);
    assert!(
        run.stdout.contains("client: client-signature"),
        "{}",
        run.stdout
    );
    let mut outputs = vec![run.stdout.clone(), run.stderr.clone()];
    for (format, path) in &files {
        let text = std::fs::read_to_string(path).unwrap_or_else(|_| panic!("{format} written"));
        outputs.push(text);
    }
    for text in outputs {
        assert!(!text.contains("SECRET"), "a secret was shown:\n{text}");
    }
    let html = std::fs::read_to_string(&files[3].1).unwrap();
    assert!(html.contains("<section id=\"traffic\">"), "{html}");
    assert!(
        html.contains("<h3>Coverage: issueCard (1 exchange)</h3>"),
        "{html}"
    );
}

/// Waits until the proxy has logged `line`.
async fn wait_for(proxy: &util::Listening, line: &str) {
    for _ in 0..200 {
        if proxy.stdout().contains(line) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("`{line}` never logged:\n{}", proxy.stdout());
}

#[tokio::test]
async fn a_run_with_a_duration_ends_by_itself_even_without_traffic() {
    let target = MockServer::start().await;
    let proxy = util::listening(&[
        "proxy",
        "--port",
        "0",
        "--target",
        &target.uri(),
        util::ISSUE_CARD,
        "--duration",
        "300ms",
    ])
    .await;
    let run = proxy.finish().await;
    assert_eq!(run.code, 0, "nothing failed: a partial run\n{}", run.stdout);
    assert!(
        run.stdout
            .contains("stopped (--duration 300ms) after 0 exchanges"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("not complete: no request for a contract's operation was seen"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn an_unreachable_target_is_a_bad_gateway_and_a_transport_finding() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let proxy = util::listening(&[
        "proxy",
        "--port",
        "0",
        "--target",
        &url,
        util::ISSUE_CARD,
        "--max-exchanges",
        "1",
    ])
    .await;
    let answer = util::client()
        .post(format!("{}{PATH}", proxy.url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 502);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .starts_with("conform proxy: cannot connect to")
    );
    let run = proxy.finish().await;
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("implementation: transport"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn bad_flags_check_nothing() {
    let bad_target =
        util::conform(&["proxy", "--target", "ftp://example.com", "--port", "0"]).await;
    assert_eq!(bad_target.code, 2, "{}", bad_target.stderr);
    assert!(
        bad_target
            .stderr
            .contains("error: invalid target `ftp://example.com`")
    );
    let bad_report = util::conform(&[
        "proxy",
        "--target",
        "http://127.0.0.1:9",
        "--port",
        "0",
        "--report",
        "pdf=out.pdf",
    ])
    .await;
    assert_eq!(bad_report.code, 2, "{}", bad_report.stderr);
    assert!(bad_report.stderr.contains("--report: unknown format `pdf`"));
}

#[tokio::test]
async fn a_rest_client_is_judged_by_templates_query_parameters_and_header_keys() {
    let served = util::serve(&["examples/cards-api"]).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let spec = format!("json={}", report.display());
    let proxy = util::listening(&[
        "proxy",
        "--port",
        "0",
        "--target",
        &served.url,
        "examples/cards-api",
        "--max-exchanges",
        "4",
        "--report",
        &spec,
    ])
    .await;
    let client = util::client();
    let create = |tier: &str| {
        client
            .post(format!("{}/v1/cards", proxy.url))
            .header("Idempotency-Key", "key-0000000042")
            .header("Authorization", "Bearer token")
            .header("content-type", "application/json")
            .body(format!(
                r#"{{"customerId":"cus_0123456789","tier":"{tier}"}}"#
            ))
            .send()
    };
    let created = create("gold").await.unwrap().bytes().await.unwrap();
    let created: serde_json::Value = serde_json::from_slice(&created).unwrap();
    let card = format!(
        "{}/v1/cards/{}",
        proxy.url,
        created["card"]["id"].as_str().unwrap()
    );
    let bad = client
        .get(format!("{card}?include=bogus"))
        .header("Authorization", "Bearer token");
    assert_eq!(bad.send().await.unwrap().status(), 400);
    assert_eq!(create("silver").await.unwrap().status(), 422);
    let deleted = client
        .delete(&card)
        .header("Authorization", "Bearer token")
        .send();
    assert_eq!(deleted.await.unwrap().status(), 204);
    let run = proxy.finish().await;
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    let failed: Vec<(String, String)> = report["results"]
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
    assert_eq!(
        failed,
        [
            (
                "getCard/exchange/2".to_string(),
                "client-request".to_string()
            ),
            (
                "createCard/exchange/3".to_string(),
                "client-idempotency-key".to_string()
            ),
        ],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("/query/include/0: enum: expected one of assets, history")
    );
}
