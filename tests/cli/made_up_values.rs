//! What the reference implementation makes up for a response: the contract's examples where it
//! gives them, fresh values where an answer must differ from every other.

use serde_json::{Value, json};

/// The shipped contract with examples on two response strings: `extendInfo` (plain data, here
/// required on success) and `cardNo` (listed in `snapshot.redact`, so it changes on every
/// answer).
fn contract_with_response_examples(dir: &std::path::Path) -> std::path::PathBuf {
    let mut contract: Value =
        serde_json::from_str(include_str!("../../contracts/platform/issue-card.json")).unwrap();
    let fields = &mut contract["response"]["fields"];
    fields["extendInfo"]["example"] = json!("{\"tier\":\"gold\"}");
    fields["extendInfo"]["requiredOn"] = json!(["S"]);
    fields["cardNo"]["example"] = json!("011164508621375700010170");
    contract["examples"][0]["response"]["extendInfo"] = json!("{}");
    let path = dir.join("issue-card.json");
    std::fs::write(&path, serde_json::to_string_pretty(&contract).unwrap()).unwrap();
    path
}

#[tokio::test]
async fn served_answers_use_string_examples_and_keep_card_numbers_unique() {
    let dir = tempfile::tempdir().unwrap();
    let path = contract_with_response_examples(dir.path());
    let served = crate::util::serve(&[path.to_str().unwrap()]).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let endpoint = format!("{}/v2/pds/memberships/issueCard", served.url);
    let contract: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut answers = Vec::new();
    for key in ["made-up-1", "made-up-2"] {
        let mut body = contract["examples"][0]["request"].clone();
        body["requestId"] = json!(key);
        let response = client.post(&endpoint).body(body.to_string()).send();
        let bytes = response.await.unwrap().bytes().await.unwrap();
        answers.push(serde_json::from_slice::<Value>(&bytes).unwrap());
    }
    for answer in &answers {
        assert_eq!(answer["result"]["resultStatus"], "S", "{answer}");
        assert_eq!(answer["extendInfo"], "{\"tier\":\"gold\"}", "{answer}");
    }
    assert_ne!(answers[0]["cardNo"], answers[1]["cardNo"], "{answers:?}");
    assert_ne!(answers[0]["cardNo"], answers[0]["extendInfo"]);
}
