//! `conform serve`: the reference implementation runs until stopped and answers like the
//! embedded one.

use serde_json::{Value, json};

#[tokio::test]
async fn serve_answers_issue_card_requests_until_killed() {
    let served = crate::util::serve(&[]).await;
    let url = &served.url;
    assert_eq!(
        served.banner,
        ["  POST /v2/pds/memberships/issueCard  (issueCard)"]
    );

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let contract: Value =
        serde_json::from_str(include_str!("../../contracts/issue-card.json")).unwrap();
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
