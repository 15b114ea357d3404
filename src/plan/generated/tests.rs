//! The generated-case planner on small contracts built around one rule, and on issueCard.

use serde_json::{Value, json};

use super::cases;
use crate::contract::Contract;
use crate::contract::tests::contract_with_request;
use crate::contract::tests::issue_card;
use crate::plan::{Action, Case, KeyMint, KeySpec, StringEdit};

/// A contract with request `fields` and the given example request.
fn contract(fields: Value, example: Value) -> Contract {
    let mut contract = contract_with_request(fields).expect("valid contract");
    contract.examples.push(crate::contract::Example {
        name: "base".into(),
        request: example,
        expect: crate::contract::Expect {
            status: "S".into(),
            code: None,
        },
    });
    contract
}

fn names(cases: &[Case]) -> Vec<String> {
    cases.iter().map(|c| c.name.clone()).collect()
}

/// The request body a case sends (key not filled in).
fn body_of(cases: &[Case], name: &str) -> Value {
    let case = cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"));
    match &case.action {
        Action::Exchange(exchange) => {
            let mint = KeyMint::with_nonce("1".into());
            let contract = issue_card();
            let planned = exchange.body.document(&KeySpec::Keep, &contract, &mint);
            planned.expect("a JSON body")
        }
        _ => panic!("not an exchange"),
    }
}

#[test]
fn names_are_stable_across_plans() {
    let contract = issue_card();
    assert_eq!(names(&cases(0, &contract)), names(&cases(0, &contract)));
}

#[test]
fn too_long_pads_to_max_plus_one_characters_and_multibyte_counts_characters() {
    let all = cases(0, &issue_card());
    let app_id = body_of(&all, "issueCard/negative/appId/too-long")["appId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app_id.chars().count(), 33);
    assert!(app_id.starts_with("2102010113769***"));
    let multibyte = body_of(&all, "issueCard/negative/appId/too-long-multibyte")["appId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(multibyte.chars().count(), 33);
    assert!(multibyte.len() > 33);
    let exact = body_of(&all, "issueCard/boundary/appId/max-length")["appId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(exact.chars().count(), 32);
}

#[test]
fn idempotency_key_mutations_edit_a_fresh_key() {
    let all = cases(0, &issue_card());
    let case = all
        .iter()
        .find(|c| c.name == "issueCard/negative/requestId/too-long")
        .unwrap();
    let Action::Exchange(exchange) = &case.action else {
        panic!()
    };
    assert_eq!(
        exchange.key,
        KeySpec::Edited(StringEdit::Length { len: 65, fill: '*' })
    );
    let missing = all
        .iter()
        .find(|c| c.name == "issueCard/negative/requestId/missing")
        .unwrap();
    let Action::Exchange(exchange) = &missing.action else {
        panic!()
    };
    assert_eq!(
        exchange.key,
        KeySpec::Keep,
        "a fresh key would put the field back"
    );
}

#[test]
fn every_issue_card_rule_named_in_the_seed_has_its_cases() {
    let all = names(&cases(0, &issue_card()));
    for expected in [
        "issueCard/negative/appId/forbidden-char-at",
        "issueCard/negative/customerBelongsTo/case-changed",
        "issueCard/negative/registerDate/missing",
        "issueCard/negative/registerDate/date-only",
        "issueCard/negative/cardFields/too-many-items",
        "issueCard/negative/cardFields.fieldCode/missing",
        "issueCard/negative/cardFields.fieldValue.value/not-integer",
        "issueCard/negative/extendInfo/too-long",
        "issueCard/negative/body/not-an-object",
        "issueCard/boundary/expireDate/omitted",
        "issueCard/boundary/customerBelongsTo/enum-TRUEMONEY",
        "issueCard/boundary/cardFields/max-items",
        "issueCard/boundary/cardFields.fieldValue/branch-Amount",
        "issueCard/boundary/registerDate/utc-z",
        "issueCard/boundary/body/all-optional-present",
    ] {
        assert!(all.iter().any(|n| n == expected), "missing {expected}");
    }
    let case_changed = body_of(
        &cases(0, &issue_card()),
        "issueCard/negative/customerBelongsTo/case-changed",
    )
    .clone();
    assert_eq!(case_changed["customerBelongsTo"], "tng");
}

#[test]
fn case_count_grows_linearly_with_constraints() {
    let counts: Vec<usize> = (1..=4)
        .map(|n| {
            let fields: serde_json::Map<String, Value> = (0..n)
                .map(|i| (format!("f{i}"), json!({"type": "string", "required": true, "maxLength": 8, "forbiddenChars": "@#"})))
                .collect();
            let example: serde_json::Map<String, Value> = (0..n).map(|i| (format!("f{i}"), json!("v"))).collect();
            cases(0, &contract(Value::Object(fields), Value::Object(example))).len()
        })
        .collect();
    let steps: Vec<usize> = counts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(steps.iter().all(|s| *s == steps[0]), "{counts:?}");
    assert_eq!(
        steps[0], 9,
        "missing, null, wrong-type, 2 too-long, 2 forbidden, 2 max-length"
    );
}

#[test]
fn padding_respects_a_pattern_so_digit_ids_keep_their_length_cases() {
    let c = contract(
        json!({"id": {"type": "string", "required": true, "maxLength": 6, "pattern": "^[0-9]+$"}}),
        json!({"id": "12"}),
    );
    let all = cases(0, &c);
    assert_eq!(body_of(&all, "op/negative/id/too-long")["id"], "1222222");
    assert_eq!(body_of(&all, "op/boundary/id/max-length")["id"], "122222");
    assert!(
        !names(&all)
            .iter()
            .any(|n| n.ends_with("max-length-multibyte")),
        "a multibyte pad cannot match ^[0-9]+$"
    );
}

#[test]
fn unknown_fields_are_probed_only_where_rejected() {
    let strict = contract(
        json!({"o": {"type": "object", "required": true, "unknownFields": "reject", "fields": {"a": {"type": "string"}}}}),
        json!({"o": {"a": "x"}}),
    );
    assert!(names(&cases(0, &strict)).contains(&"op/negative/o/unknown-field".to_string()));
    let lenient = contract(
        json!({"o": {"type": "object", "required": true, "fields": {"a": {"type": "string"}}}}),
        json!({"o": {"a": "x"}}),
    );
    assert!(
        !names(&cases(0, &lenient))
            .iter()
            .any(|n| n.ends_with("unknown-field"))
    );
}

#[test]
fn skip_globs_leave_cases_out() {
    let mut c = issue_card();
    let mut builder = globset::GlobSetBuilder::new();
    builder.add(globset::Glob::new("issueCard/negative/extendInfo/*").unwrap());
    c.skip = builder.build().unwrap();
    assert!(
        !names(&cases(0, &c))
            .iter()
            .any(|n| n.starts_with("issueCard/negative/extendInfo/"))
    );
}

#[test]
fn without_a_successful_example_a_made_up_base_is_used() {
    let c =
        contract_with_request(json!({"a": {"type": "string", "required": true, "maxLength": 4}}))
            .unwrap();
    let all = cases(0, &c);
    let too_long = body_of(&all, "op/negative/a/too-long")["a"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(too_long.chars().count(), 5);
    assert!(names(&all).contains(&"op/negative/a/missing".to_string()));
}

#[test]
fn bodies_are_sent_exactly_as_their_planned_documents() {
    let contract = issue_card();
    for case in cases(0, &contract) {
        let Action::Exchange(exchange) = case.action else {
            continue;
        };
        let (written, copied) = (
            KeyMint::with_nonce("42".into()),
            KeyMint::with_nonce("42".into()),
        );
        let expected = exchange
            .body
            .document(&exchange.key, &contract, &copied)
            .map(|d| serde_json::to_vec(&d).unwrap());
        let sent = exchange
            .body
            .materialize(&exchange.key, &contract, &written);
        assert_eq!(Some(sent.bytes), expected, "{}", case.name);
    }
}
