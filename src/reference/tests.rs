//! The reference implementation of the shipped issueCard contract.

use serde_json::{Value, json};

use super::{Faults, Reference};
use crate::check::result_semantics;
use crate::contract::Contract;
use crate::contract::tests::issue_card;
use crate::observe::Business;
use crate::rules;

fn sample(request_id: &str) -> Value {
    let mut body = issue_card().examples[0].request().clone();
    body["requestId"] = json!(request_id);
    body
}

fn ask(reference: &Reference, body: &Value) -> Value {
    let answer = reference.answer(&serde_json::to_vec(body).unwrap());
    assert_eq!(answer.status, 200);
    serde_json::from_slice(&answer.body).unwrap()
}

/// Every answer must itself honour the contract: schema and catalogue.
fn assert_honours_contract(contract: &Contract, answer: &Value) {
    let business = Business::read(contract, answer);
    let violations = rules::validate(
        &contract.types,
        &contract.response,
        answer,
        business.status.as_deref(),
    );
    assert!(violations.is_empty(), "{violations:?} in {answer}");
    assert!(result_semantics(contract, &business).is_empty(), "{answer}");
}

#[test]
fn valid_request_gets_success_with_a_card_number_that_fits() {
    let contract = issue_card();
    let reference = Reference::new(contract.clone(), Faults::default());
    let answer = ask(&reference, &sample("1001"));
    assert_eq!(
        answer["result"],
        json!({"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "Success"})
    );
    let card_no = answer["cardNo"].as_str().unwrap();
    assert!(!card_no.is_empty() && card_no.chars().count() <= 64);
    assert_honours_contract(&contract, &answer);
}

#[test]
fn invalid_request_is_rejected_naming_field_and_rule() {
    let contract = issue_card();
    let reference = Reference::new(contract.clone(), Faults::default());
    let mut body = sample("1002");
    body["appId"] = json!("a".repeat(33));
    let answer = ask(&reference, &body);
    assert_eq!(answer["result"]["resultStatus"], "F");
    assert_eq!(answer["result"]["resultCode"], "PARAM_ILLEGAL");
    assert_eq!(
        answer["result"]["resultMessage"],
        "appId max-length: expected at most 32 characters"
    );
    assert!(answer.get("cardNo").is_none());
    assert_honours_contract(&contract, &answer);
}

#[test]
fn bodies_that_are_not_json_objects_are_rejected() {
    let reference = Reference::new(issue_card(), Faults::default());
    for body in [&b"not json"[..], b"[1, 2]"] {
        let answer: Value = serde_json::from_slice(&reference.answer(body).body).unwrap();
        assert_eq!(answer["result"]["resultCode"], "PARAM_ILLEGAL", "{answer}");
    }
}

#[test]
fn replay_with_the_same_key_returns_identical_bytes() {
    let reference = Reference::new(issue_card(), Faults::default());
    let body = serde_json::to_vec(&sample("1003")).unwrap();
    let first = reference.answer(&body);
    assert_eq!(reference.answer(&body), first);
    let other = reference.answer(&serde_json::to_vec(&sample("1004")).unwrap());
    assert_ne!(other.body, first.body, "a new key issues a new card");
}

#[test]
fn conflicting_replay_is_rejected_and_the_original_still_replays() {
    let reference = Reference::new(issue_card(), Faults::default());
    let original = sample("1005");
    let first = ask(&reference, &original);
    let mut changed = original.clone();
    changed["externalCustomerId"] = json!("someone-else");
    let conflict = ask(&reference, &changed);
    assert_eq!(conflict["result"]["resultCode"], "REPEAT_REQ_INCONSISTENT");
    assert_eq!(ask(&reference, &original), first);
}

#[test]
fn unknown_first_fault_answers_unknown_then_settles_to_the_same_card() {
    let faults = Faults {
        unknown_first: 1.0,
        ..Faults::default()
    };
    let contract = issue_card();
    let reference = Reference::new(contract.clone(), faults);
    let body = sample("1006");
    let first = ask(&reference, &body);
    assert_eq!(first["result"]["resultStatus"], "U");
    assert_eq!(first["result"]["resultCode"], "UNKNOWN_EXCEPTION");
    assert_honours_contract(&contract, &first);
    let settled = ask(&reference, &body);
    assert_eq!(settled["result"]["resultStatus"], "S");
    assert_eq!(ask(&reference, &body), settled);
}

#[test]
fn http_503_fault_answers_before_processing() {
    let reference = Reference::new(
        issue_card(),
        Faults {
            http_503: 1.0,
            ..Faults::default()
        },
    );
    assert_eq!(reference.answer(b"{}").status, 503);
}

#[test]
fn rejected_signature_answer_is_access_denied_and_fits_the_contract() {
    let contract = issue_card();
    let reference = Reference::new(contract.clone(), Faults::default());
    let answer = reference.reject_signature("Signature header is missing");
    assert_eq!(answer.status, 200);
    let body: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body["result"]["resultStatus"], "F");
    assert_eq!(body["result"]["resultCode"], "ACCESS_DENIED");
    assert_eq!(
        body["result"]["resultMessage"],
        "Signature header is missing"
    );
    assert_honours_contract(&contract, &body);
}

#[test]
fn a_field_declared_unique_is_fresh_in_every_answer_even_with_an_example() {
    let mut file: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("contracts/platform/issue-card.json"),
        )
        .unwrap(),
    )
    .unwrap();
    // An example, and no redaction: only `unique` asks for a fresh value.
    file["response"]["fields"]["cardNo"]["example"] = json!("011164508621375700010170");
    file["snapshot"]["redact"] = json!([]);
    let text = serde_json::to_string(&file).unwrap();
    let contract =
        crate::contract::load_str(std::path::Path::new("issue-card.json"), text).unwrap();
    let reference = Reference::new(contract, Faults::default());
    let first = ask(&reference, &sample("2001"));
    let second = ask(&reference, &sample("2002"));
    assert_ne!(first["cardNo"], second["cardNo"], "{first} {second}");
    assert_eq!(
        ask(&reference, &sample("2001")),
        first,
        "a replay keeps its number"
    );
}

#[test]
fn a_full_memory_replays_each_kept_answer_byte_for_byte() {
    // Two keys' room: every new key writes its answer over the oldest one's.
    let bound = super::Bound {
        capacity: std::num::NonZeroUsize::new(2).unwrap(),
        ..super::Bound::DEFAULT
    };
    let reference = Reference::bounded(issue_card(), Faults::default(), bound);
    let first: Vec<Value> = (0..6)
        .map(|i| ask(&reference, &sample(&format!("key-{i}"))))
        .collect();
    for (i, answer) in first.iter().enumerate().skip(4) {
        assert_eq!(&ask(&reference, &sample(&format!("key-{i}"))), answer);
    }
    let forgotten = ask(&reference, &sample("key-0"));
    assert_ne!(
        forgotten["cardNo"], first[0]["cardNo"],
        "key-0 was forgotten"
    );
}
