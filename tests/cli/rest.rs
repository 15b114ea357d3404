//! The Cards API example contracts against an independent REST implementation
//! (`cards_api.rs`): parameters, headers, results in the HTTP status, header idempotency keys,
//! credentials from `--header`, and resources created before they are read.

use crate::cards_api::{self, Defects, TOKEN};
use crate::util::{Run, conform};

const CONTRACTS: &str = "examples/cards-api";

async fn verify(defects: Defects, extra: &[&str]) -> Run {
    let server = cards_api::serve(defects).await;
    let (uri, auth) = (server.uri(), format!("Authorization: {TOKEN}"));
    let mut args = vec!["verify", CONTRACTS, "--target", &uri, "--header", &auth];
    args.extend_from_slice(extra);
    conform(&args).await
}

#[tokio::test]
async fn correct_implementation_passes_with_no_false_alarm() {
    let run = verify(Defects::default(), &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

#[tokio::test]
async fn snapshots_record_status_declared_headers_and_body_with_ids_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let snapshots = dir.path().to_str().unwrap();
    let args = [
        "--snapshots",
        "new",
        "--snapshot-dir",
        snapshots,
        "--filter",
        "createCard/example/*",
    ];
    let run = verify(Defects::default(), &args).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let file = dir.path().join("createCard/example/gold-card.snap");
    let text = std::fs::read_to_string(&file).expect("the snapshot is written");
    assert!(text.contains("HTTP 201\n"), "{text}");
    assert!(text.contains("location: /v1/cards/[id]\n"), "{text}");
    assert!(text.contains("\"id\": \"[id]\""), "{text}");
    assert!(!text.contains("test-token"), "{text}");
}

#[tokio::test]
async fn a_second_run_matches_the_first_runs_snapshots_though_ids_and_times_differ() {
    let server = cards_api::serve(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (uri, auth) = (server.uri(), format!("Authorization: {TOKEN}"));
    let snapshots = dir.path().to_str().unwrap();
    let args = [
        "verify",
        CONTRACTS,
        "--target",
        &uri,
        "--header",
        &auth,
        "--snapshots",
        "new",
        "--snapshot-dir",
        snapshots,
    ];
    let first = conform(&args).await;
    assert_eq!(first.code, 0, "{}", first.stdout);
    // Each read is of a card created for it, with a new id and, a second later, a new time.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = conform(&args).await;
    assert_eq!(second.code, 0, "{}", second.stdout);
    let read = dir.path().join("getCard/example/with-assets.snap");
    let text = std::fs::read_to_string(&read).expect("the read's snapshot is written");
    assert!(text.contains("\"id\": \"[id]\""), "{text}");
    assert!(!text.contains("\"createdAt\": \"20"), "{text}");
}

#[tokio::test]
async fn the_embedded_reference_passes_the_example_contracts_flows_included() {
    let run = conform(&["verify", CONTRACTS]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("card/flow/") || run.stdout.contains("PASS 82 cases"),
        "{}",
        run.stdout
    );
    let last = run
        .stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("PASS"))
        .unwrap_or_default();
    assert!(
        last.starts_with("PASS 82 cases (0 failed)"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn serve_is_a_stateful_fake_of_the_whole_api() {
    use serde_json::{Value, json};
    let served = crate::util::serve(&[CONTRACTS]).await;
    let client = crate::util::client();
    let send = |request: reqwest::RequestBuilder, body: Option<Value>| async move {
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).unwrap()),
            None => request,
        };
        let answer = request.send().await.unwrap();
        let (status, location) = (
            answer.status().as_u16(),
            answer.headers().get("location").cloned(),
        );
        let bytes = answer.bytes().await.unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, location, body)
    };
    let card = json!({"customerId": "cus_0123456789", "tier": "silver", "nickname": "Mine"});
    let create = client
        .post(format!("{}/v1/cards", served.url))
        .header("Idempotency-Key", "key-serve-0001");
    let (status, location, created) = send(create, Some(card)).await;
    assert_eq!(status, 201);
    assert_eq!(created["card"]["tier"], "silver", "{created}");
    assert_eq!(created["card"]["nickname"], "Mine", "{created}");
    let id = created["card"]["id"].as_str().unwrap().to_string();
    let location = location.unwrap();
    assert_eq!(
        location.to_str().unwrap(),
        format!("/v1/cards/{id}"),
        "the Location names the card created"
    );
    let card_url = format!("{}/v1/cards/{id}", served.url);
    let (_, _, read) = send(client.get(&card_url), None).await;
    assert_eq!(read["card"], created["card"]);
    let (status, _, _) = send(client.patch(&card_url), Some(json!({"tier": "gold"}))).await;
    assert_eq!(status, 200);
    let (_, _, read) = send(client.get(&card_url), None).await;
    assert_eq!(read["card"]["tier"], "gold", "{read}");
    let (status, _, _) = send(client.delete(&card_url), None).await;
    assert_eq!(status, 204);
    let (status, _, gone) = send(client.get(&card_url), None).await;
    assert_eq!(
        (status, &gone["error"]["code"]),
        (404, &json!("card_not_found"))
    );
    let malformed = client.get(format!("{}/v1/cards/nope", served.url));
    let (status, _, malformed) = send(malformed, None).await;
    assert_eq!(status, 400);
    assert_eq!(malformed["error"]["code"], "invalid_request");
    let message = malformed["error"]["message"].as_str().unwrap();
    assert!(message.contains("path.cardId pattern"), "{message}");
}

/// Runs the example contracts against the implementation with `defects` and returns the failed
/// checks of the JSON report as (case, check, message).
async fn failures(defects: Defects) -> (Run, Vec<(String, String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let spec = format!("json={}", report.display());
    let run = verify(defects, &["--report", &spec]).await;
    let text = std::fs::read_to_string(&report).expect("the JSON report is written");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let failed = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "fail")
        .map(|r| {
            let text = |key: &str| r[key].as_str().unwrap_or_default().to_string();
            (text("case"), text("check"), text("message"))
        })
        .collect();
    (run, failed)
}

/// The defect fails the run, and `check` fails for `case` with a message holding `fragment`.
async fn assert_caught(defects: Defects, case: &str, check: &str, fragment: &str) {
    let (run, failed) = failures(defects).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let found = failed
        .iter()
        .find(|(c, k, _)| c == case && k == check)
        .unwrap_or_else(|| panic!("no failed {check} for {case}; failures: {failed:#?}"));
    assert!(found.2.contains(fragment), "{}", found.2);
}

macro_rules! caught {
    ($($name:ident: $defect:ident => $case:literal, $check:literal, $fragment:literal;)*) => {
        mod caught {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let defects = Defects { $defect: true, ..Defects::default() };
                    assert_caught(defects, $case, $check, $fragment).await;
                }
            )*
        }
    };
}

caught! {
    created_answered_with_200: created_answers_200
        => "createCard/example/gold-card", "http-status", "expected HTTP 201, 400, 401, 409, 422 or 503, got 200";
    created_without_location: no_location
        => "createCard/example/gold-card", "response-headers", "header `Location` required: expected present, got absent";
    error_body_of_the_wrong_shape: flat_error_body
        => "createCard/negative/tier/not-in-enum", "response-schema", "/error: required";
    error_without_its_code: flat_error_body
        => "getCard/negative/path.cardId/pattern-mismatch", "result-status", "a result code for status `400`";
    query_rule_not_enforced: include_not_checked
        => "getCard/negative/query.include.item/not-in-enum", "expectation", "expected 400/invalid_request, got HTTP 200";
    path_rule_not_enforced: card_id_not_checked
        => "getCard/negative/path.cardId/pattern-mismatch", "expectation", "expected 400/invalid_request, got HTTP 404";
    body_rule_not_enforced: nickname_not_checked
        => "createCard/negative/nickname/too-long", "expectation", "nickname too-long: sent 33 characters (max 32)";
    idempotency_header_ignored: key_ignored
        => "createCard/example/gold-card", "idempotency-replay", "returned a different answer";
    reused_key_accepted: reused_key_accepted
        => "createCard/idempotency/conflict", "idempotency-conflict", "expected 422/idempotency_key_reused (policy reject)";
    check_then_insert_race: racy_insert
        => "createCard/idempotency/concurrent", "idempotency-concurrency", "different answers";
    server_error_on_an_unknown_id: server_error_on_unknown_card
        => "card/flow/read-unknown", "http-status", "step 1 (read an unknown id): expected HTTP 200, 400, 401 or 404, got 500";
    read_returns_another_card: read_returns_first_card
        => "card/flow/create-then-read", "flow", "expected \"card_";
    update_not_visible: update_not_stored
        => "card/flow/update-then-read", "flow", "\"Weekend card\" as step 2 (update) sent";
    deleted_card_still_readable: delete_not_effective
        => "card/flow/delete-then-read", "expectation", "step 3 (read): expected 404/card_not_found, got HTTP 200";
    unknown_card_updated_into_being: update_creates_unknown
        => "card/flow/update-unknown", "expectation", "step 1 (update an unknown id): expected 404/card_not_found, got HTTP 200";
    unknown_card_deleted: delete_of_unknown_succeeds
        => "card/flow/delete-unknown", "expectation", "step 1 (delete an unknown id): expected 404/card_not_found, got HTTP 204";
}
