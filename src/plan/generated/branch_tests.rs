//! Planning from conditional rules and single-use fields: a valid request per branch, a case per
//! conditional field, fields probed in the branch that needs them, and every planned case of the
//! shipped family breaking exactly what it claims.

use serde_json::{Value, json};

use super::cases;
use crate::contract::{Contract, load_str};
use crate::plan::{Action, Case, CaseKind, KeyMint, KeySpec};
use crate::rules::{self, Rule};

fn shipped(path: &str) -> Contract {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    load_str(&path, std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn find<'c>(all: &'c [Case], name: &str) -> &'c Case {
    all.iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

/// The request document a case sends, fresh values filled in by a mint with a fixed nonce.
fn sent(contract: &Contract, case: &Case) -> Value {
    let Action::Exchange(exchange) = &case.action else {
        panic!("{} is not an exchange", case.name)
    };
    let mint = KeyMint::with_nonce("7".repeat(22));
    exchange.request.document(&exchange.key, contract, &mint)
}

#[test]
fn every_branch_gets_a_valid_request_and_each_conditional_field_its_missing_case() {
    let contract = shipped("contracts/platform/apply-token.json");
    let all = cases(0, &contract);
    let body = |name: &str| sent(&contract, find(&all, name))["body"].clone();
    let refresh = body("applyToken/boundary/grantType/branch-REFRESH_TOKEN");
    assert_eq!(refresh["grantType"], "REFRESH_TOKEN");
    assert!(refresh["refreshToken"].is_string(), "{refresh}");
    let code = body("applyToken/boundary/grantType/branch-AUTHORIZATION_CODE");
    assert!(code["authCode"].is_string(), "{code}");
    let missing = body("applyToken/negative/authCode/missing-when-grantType-AUTHORIZATION_CODE");
    assert_eq!(missing["grantType"], "AUTHORIZATION_CODE");
    assert!(missing.get("authCode").is_none(), "{missing}");
    let missing = body("applyToken/negative/refreshToken/missing-when-grantType-REFRESH_TOKEN");
    assert_eq!(missing["grantType"], "REFRESH_TOKEN");
    assert!(missing.get("refreshToken").is_none(), "{missing}");
    let long = body("applyToken/negative/refreshToken/too-long");
    assert_eq!(
        long["grantType"], "REFRESH_TOKEN",
        "probed in the branch that needs it"
    );
    let minimal = body("applyToken/boundary/body/minimal");
    assert!(
        minimal["authCode"].is_string(),
        "the condition still needs it: {minimal}"
    );
    let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
    for dropped in [
        "applyToken/boundary/grantType/enum-REFRESH_TOKEN",
        "applyToken/boundary/authCode/omitted",
    ] {
        assert!(
            !names.contains(&dropped),
            "{dropped} would send an invalid request"
        );
    }
}

#[test]
fn made_up_branches_settle_and_forbidden_fields_get_a_present_case() {
    let mut contract = crate::contract::tests::contract_with_request(json!({
        "kind": {"type": "string", "required": true, "enum": ["card", "wallet"]},
        "cardNo": {"type": "string", "maxLength": 8,
                   "requiredWhen": {"field": "/kind", "in": ["card"]},
                   "forbiddenWhen": {"field": "/kind", "in": ["wallet"]}},
        "walletId": {"type": "string", "requiredWhen": {"field": "/kind", "in": ["wallet"]}}
    }))
    .unwrap();
    contract.examples.push(crate::contract::Example {
        name: "card".into(),
        document: json!({"path": {}, "query": {}, "headers": {}, "body": {"kind": "card", "cardNo": "c1"}}),
        expect: crate::contract::Expect { status: "S".into(), code: None },
        response: None,
    });
    let all = cases(0, &contract);
    let wallet = sent(&contract, find(&all, "op/boundary/kind/branch-wallet"))["body"].clone();
    assert_eq!(
        wallet,
        json!({"kind": "wallet", "walletId": "sample"}),
        "cardNo removed, walletId made up"
    );
    let present = find(&all, "op/negative/cardNo/present-when-kind-wallet");
    let present_body = sent(&contract, present)["body"].clone();
    assert_eq!(present_body["cardNo"], "c1");
    assert_eq!(present.kind, CaseKind::Negative);
    let Action::Exchange(exchange) = &present.action else {
        panic!()
    };
    assert_eq!(
        exchange.probe.as_ref().unwrap().detail,
        "`cardNo` with kind \"wallet\""
    );
}

#[test]
fn conditions_among_query_parameters_are_named_with_their_location() {
    let text = json!({
        "name": "listCards",
        "operation": {"method": "GET", "path": "/v1/cards"},
        "request": {"query": {
            "by": {"type": "string", "required": true, "enum": ["owner", "all"]},
            "owner": {"type": "string", "requiredWhen": {"field": "/by", "in": ["owner"]}}}},
        "responses": {"200": {}, "400": {}},
        "result": {"in": "http-status"},
        "examples": [{"name": "all", "query": {"by": "all"}, "expect": {"status": "200"}}]
    });
    let contract = load_str(std::path::Path::new("list.json"), text.to_string()).unwrap();
    let all = cases(0, &contract);
    let owner = sent(
        &contract,
        find(&all, "listCards/boundary/query.by/branch-owner"),
    );
    assert_eq!(owner["query"]["by"], "owner");
    assert!(owner["query"]["owner"].is_string(), "{owner}");
    let missing = sent(
        &contract,
        find(
            &all,
            "listCards/negative/query.owner/missing-when-query.by-owner",
        ),
    );
    assert_eq!(missing["query"], json!({"by": "owner"}));
}

#[test]
fn single_use_fields_get_a_fresh_value_where_present_and_edits_apply_to_it() {
    let contract = shipped("contracts/platform/apply-token.json");
    let all = cases(0, &contract);
    let example = sent(
        &contract,
        find(&all, "applyToken/boundary/appId/max-length"),
    );
    let code = example["body"]["authCode"].as_str().unwrap();
    assert!(
        code.starts_with("7777") && code.chars().all(|c| c.is_ascii_digit()),
        "{code}"
    );
    let long = find(&all, "applyToken/negative/authCode/too-long");
    let Action::Exchange(exchange) = &long.action else {
        panic!()
    };
    assert!(matches!(&exchange.key, KeySpec::Edited(at, _) if at.as_str() == "/body/authCode"));
    let long = sent(&contract, long)["body"]["authCode"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(long.chars().count(), 65);
    assert!(long.starts_with("7777"), "a fresh value, edited: {long}");
    let missing = sent(
        &contract,
        find(
            &all,
            "applyToken/negative/authCode/missing-when-grantType-AUTHORIZATION_CODE",
        ),
    );
    assert!(
        missing["body"].get("authCode").is_none(),
        "a fresh value is not put back"
    );
}

#[test]
fn every_generated_case_of_the_family_breaks_exactly_what_it_claims() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts");
    let contracts = crate::contract::load_paths(&[folder]).unwrap();
    assert_eq!(contracts.len(), 7);
    for contract in &contracts {
        for case in cases(0, contract) {
            let document = sent(contract, &case);
            let found = rules::validate(&contract.types, &contract.document, &document, None);
            match case.kind {
                CaseKind::Boundary => assert!(found.is_empty(), "{}: {found:?}", case.name),
                _ => {
                    assert!(!found.is_empty(), "{} breaks nothing", case.name);
                    let first = found[0].rule;
                    assert!(
                        found.iter().all(|v| v.rule == first),
                        "{}: {found:?}",
                        case.name
                    );
                    if case.name.contains("-when-") {
                        assert!(
                            matches!(first, Rule::RequiredWhen | Rule::ForbiddenWhen),
                            "{}",
                            case.name
                        );
                    }
                }
            }
        }
    }
}
