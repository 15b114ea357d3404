//! `conform serve`: the reference implementation runs until stopped and answers like the
//! embedded one.

use serde_json::{Value, json};

#[tokio::test]
async fn serve_answers_issue_card_requests_until_killed() {
    let served = crate::util::serve(&[crate::util::ISSUE_CARD]).await;
    let url = &served.url;
    assert_eq!(
        served.banner,
        [
            "conform reference implementation of 1 operation:",
            "  POST /v2/pds/memberships/issueCard  (issueCard)",
            "faults: none",
            "signing: off (requests are not checked, answers are not signed)",
            "limits: bodies up to 1 MiB, heads up to 16 KiB and 100 fields, 10s to send each, 1024 connections",
            "idempotency memory: the last 100000 keys per operation, each for 24h",
        ]
    );

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let contract: Value =
        serde_json::from_str(include_str!("../../contracts/platform/issue-card.json")).unwrap();
    let mut body = contract["examples"][0]["request"].clone();
    body["requestId"] = json!("serve-test-1");
    let endpoint = format!("{url}/v2/pds/memberships/issueCard");
    let send = |body: Value| {
        let request = client.post(&endpoint).body(body.to_string());
        async move {
            let bytes = request.send().await.unwrap().bytes().await.unwrap();
            serde_json::from_slice::<Value>(&bytes).unwrap()
        }
    };
    let answer = send(body.clone()).await;
    assert_eq!(answer["result"]["resultStatus"], "S");
    let again = send(body.clone()).await;
    assert_eq!(again, answer, "same key, same answer");
    body["appId"] = json!("has@sign");
    body["requestId"] = json!("serve-test-2");
    let rejected = send(body).await;
    assert_eq!(rejected["result"]["resultCode"], "PARAM_ILLEGAL");
    assert_eq!(
        rejected["result"]["resultMessage"],
        "appId forbidden-char: expected none of `@` `#` `?`"
    );
}

#[tokio::test]
async fn serve_reports_a_port_already_in_use() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = crate::util::conform(&["serve", "--port", &port]).await;
    // Not invalid input but conform unable to start its server: exit 4.
    assert_eq!(run.code, 4);
    assert!(
        run.stderr.contains("cannot listen on 127.0.0.1:"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn refuses_a_key_capacity_past_what_its_memory_can_index() {
    let run = crate::util::conform(&["serve", "--key-capacity", "4294967295"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--key-capacity") && run.stderr.contains("1..=4294967294"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn banner_shows_the_faults_signing_and_bounds_it_runs_with() {
    use crate::signing_support::key;
    let served = crate::util::serve(&[
        "--fault",
        "latency=5ms",
        "--fault",
        "unknown-first=0.5",
        "--public-key",
        &key("test_rsa2048_pub_spki.pem"),
        "--key-capacity",
        "500",
        "--key-ttl",
        "90m",
        "--max-body-size",
        "64KiB",
    ])
    .await;
    let banner = served.banner.join("\n");
    for expected in [
        "faults: unknown-first=0.5, latency=5ms",
        "signing: requests must carry a Signature that verifies with the client's public key",
        "limits: bodies up to 64 KiB,",
        "idempotency memory: the last 500 keys per operation, each for 1h 30m",
    ] {
        assert!(banner.contains(expected), "{expected}\n{banner}");
    }
}

/// The shipped contract with another media type, written to a folder of its own.
fn vendor_media_type_contract(dir: &std::path::Path) -> String {
    let mut contract: Value =
        serde_json::from_str(include_str!("../../contracts/platform/issue-card.json")).unwrap();
    contract["response"]["contentType"] = json!("application/vnd.example+json");
    contract.as_object_mut().unwrap().remove("$schema");
    let path = dir.join("vendor.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&contract).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test]
async fn reference_sends_the_contracts_content_type_and_passes_its_own_self_test() {
    let dir = tempfile::tempdir().unwrap();
    let contract = vendor_media_type_contract(dir.path());
    let run = crate::util::conform(&["verify", &contract]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("0 failed"), "{}", run.stdout);

    let served = crate::util::serve(&[&contract]).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let answer = reqwest::Client::new()
        .post(format!("{}/v2/pds/memberships/issueCard", served.url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.headers()["content-type"],
        "application/vnd.example+json; charset=UTF-8"
    );
}

#[tokio::test]
async fn logs_each_request_rejected_for_its_signature_with_the_string_to_sign_it_expected() {
    use crate::signing_support::{key, secret_lines};
    let served = crate::util::serve(&["--public-key", &key("test_rsa2048_pub_spki.pem")]).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let endpoint = format!("{}/api/open/v2/pds/memberships/issueCard", served.url);
    let bogus = "algorithm=RSA256,keyVersion=1,signature=bm90LWEtc2lnbmF0dXJl";
    let answer = reqwest::Client::new()
        .post(&endpoint)
        .header("Client-Id", "client-7")
        .header("Request-Time", "2024-01-01T12:00:00+08:00")
        .header("Signature", bogus)
        .body(r#"{"requestId":"sig-log-1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let logged = served.stderr_with("expected string to sign").await;
    let expected = "signature rejected: POST /api/open/v2/pds/memberships/issueCard: request signature rejected: ";
    assert!(logged.contains(expected), "{logged}");
    assert!(
        logged.contains(
            "  expected string to sign:\n    POST /api/open/v2/pds/memberships/issueCard\n    client-7.2024-01-01T12:00:00+08:00.{\"requestId\":\"sig-log-1\"}\n"
        ),
        "{logged}"
    );
    assert!(
        !logged.contains("bm90LWEtc2lnbmF0dXJl"),
        "the signature is never logged"
    );
    for line in secret_lines("test_rsa2048_pub_spki.pem") {
        assert!(!logged.contains(&line), "no key material is logged");
    }

    reqwest::Client::new()
        .post(&endpoint)
        .body("{}")
        .send()
        .await
        .unwrap();
    let logged = served.stderr_with("Signature header is missing").await;
    assert!(
        logged.contains("Signature header is missing\n  no string to sign: the request lacks Client-Id or Request-Time"),
        "{logged}"
    );
}
