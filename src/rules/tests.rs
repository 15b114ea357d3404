//! One test per constraint kind, each checked through a compiled contract.

use serde_json::{Value, json};

use super::{Rule, validate};
use crate::contract::tests::contract_with_request;

/// Validates `request` against a contract whose request has the single field `f` defined by
/// `def`; returns the rules broken.
fn broken(def: Value, request: Value) -> Vec<(String, Rule)> {
    let contract = contract_with_request(json!({ "f": def })).expect("valid contract");
    validate(&contract.types, contract.request(), &request, None)
        .into_iter()
        .map(|v| (v.pointer, v.rule))
        .collect()
}

fn one(pointer: &str, rule: Rule) -> Vec<(String, Rule)> {
    vec![(pointer.to_string(), rule)]
}

#[test]
fn required_fields_must_be_present_and_optional_ones_may_be_absent() {
    assert_eq!(
        broken(json!({"type": "string", "required": true}), json!({})),
        one("/f", Rule::Required)
    );
    assert!(broken(json!({"type": "string"}), json!({})).is_empty());
}

#[test]
fn null_is_a_type_violation_unless_the_type_allows_it() {
    assert_eq!(
        broken(json!({"type": "string"}), json!({"f": null})),
        one("/f", Rule::Type)
    );
    assert!(broken(json!({"type": ["string", "null"]}), json!({"f": null})).is_empty());
}

#[test]
fn lengths_count_characters_not_bytes() {
    let def = json!({"type": "string", "minLength": 2, "maxLength": 3});
    assert!(broken(def.clone(), json!({"f": "ééé"})).is_empty());
    assert_eq!(
        broken(def.clone(), json!({"f": "éééé"})),
        one("/f", Rule::MaxLength)
    );
    assert_eq!(broken(def, json!({"f": "é"})), one("/f", Rule::MinLength));
}

#[test]
fn forbidden_characters_are_found_anywhere() {
    let def = json!({"type": "string", "forbiddenChars": "@#?"});
    assert_eq!(
        broken(def.clone(), json!({"f": "ab#c"})),
        one("/f", Rule::ForbiddenChar)
    );
    assert!(broken(def, json!({"f": "ab*c"})).is_empty());
}

#[test]
fn enums_are_case_sensitive() {
    let def = json!({"type": "string", "enum": ["TNG", "DANA"]});
    assert!(broken(def.clone(), json!({"f": "TNG"})).is_empty());
    assert_eq!(broken(def, json!({"f": "tng"})), one("/f", Rule::Enum));
}

#[test]
fn patterns_and_date_times_are_checked() {
    assert_eq!(
        broken(
            json!({"type": "string", "pattern": "^[A-Z]{3}$"}),
            json!({"f": "sgd"})
        ),
        one("/f", Rule::Pattern)
    );
    let date = json!({"type": "string", "format": "date-time"});
    assert!(broken(date.clone(), json!({"f": "2022-02-17T00:00:00.00+08:00"})).is_empty());
    assert_eq!(
        broken(date, json!({"f": "2022-02-17"})),
        one("/f", Rule::DateTime)
    );
}

#[test]
fn integer_ranges_and_fractions_are_checked() {
    let def = json!({"type": "integer", "minimum": 0, "maximum": 2147483647});
    assert!(broken(def.clone(), json!({"f": 2147483647})).is_empty());
    assert_eq!(
        broken(def.clone(), json!({"f": 2147483648u64})),
        one("/f", Rule::Maximum)
    );
    assert_eq!(
        broken(def.clone(), json!({"f": -1})),
        one("/f", Rule::Minimum)
    );
    assert_eq!(broken(def, json!({"f": 100.5})), one("/f", Rule::Type));
}

#[test]
fn array_sizes_and_items_are_checked() {
    let def = json!({"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}});
    assert_eq!(
        broken(def.clone(), json!({"f": []})),
        one("/f", Rule::MinItems)
    );
    assert_eq!(
        broken(def.clone(), json!({"f": ["a", "b", "c"]})),
        one("/f", Rule::MaxItems)
    );
    assert_eq!(broken(def, json!({"f": ["a", 1]})), one("/f/1", Rule::Type));
}

#[test]
fn nested_objects_and_named_types_report_full_pointers() {
    let def = json!({"type": "array", "items": {"type": "Amount"}});
    let got = broken(
        def,
        json!({"f": [{"value": 1, "currency": "SGD"}, {"currency": "sgd"}]}),
    );
    assert_eq!(
        got,
        vec![
            ("/f/1/value".into(), Rule::Required),
            ("/f/1/currency".into(), Rule::Pattern)
        ]
    );
}

#[test]
fn unions_accept_any_branch_and_report_the_closest_one() {
    let def = json!({"type": ["string", "Amount"]});
    assert!(broken(def.clone(), json!({"f": "123"})).is_empty());
    assert!(broken(def.clone(), json!({"f": {"value": 100, "currency": "SGD"}})).is_empty());
    assert_eq!(
        broken(def.clone(), json!({"f": {"value": 1.5, "currency": "SGD"}})),
        one("/f/value", Rule::Type)
    );
    assert_eq!(broken(def, json!({"f": 12})), one("/f", Rule::Type));
}

#[test]
fn unknown_fields_are_rejected_only_when_the_contract_says_so() {
    let strict =
        json!({"type": "object", "unknownFields": "reject", "fields": {"a": {"type": "string"}}});
    assert_eq!(
        broken(strict, json!({"f": {"a": "x", "b": 1}})),
        one("/f/b", Rule::UnknownField)
    );
    let lenient = json!({"type": "object", "fields": {"a": {"type": "string"}}});
    assert!(broken(lenient, json!({"f": {"a": "x", "b": 1}})).is_empty());
}

#[test]
fn messages_name_pointer_rule_expected_and_actual() {
    let contract = contract_with_request(json!({"f": {"type": "string", "maxLength": 3}})).unwrap();
    let found = validate(
        &contract.types,
        contract.request(),
        &json!({"f": "abcd"}),
        None,
    );
    assert_eq!(
        found[0].to_string(),
        "/f: max-length: expected at most 3 characters, got 4 characters: \"abcd\""
    );
}

#[test]
fn long_lists_of_a_contract_are_named_in_part_and_searched_in_full() {
    let values: Vec<String> = (0..300).map(|i| format!("V{i}")).collect();
    let contract = contract_with_request(json!({"f": {"type": "string", "enum": values}})).unwrap();
    let found = validate(
        &contract.types,
        contract.request(),
        &json!({"f": "X"}),
        None,
    );
    assert!(
        found[0].expected.ends_with("V18, V19, … (280 more)"),
        "{}",
        found[0].expected
    );
    let forbidden: String = (0..1000u32)
        .filter_map(|i| char::from_u32(0x4e00 + i))
        .collect();
    let contract =
        contract_with_request(json!({"f": {"type": "string", "forbiddenChars": forbidden}}))
            .unwrap();
    let text = format!("{}\u{4e07}x", "a".repeat(100_000));
    let found = validate(
        &contract.types,
        contract.request(),
        &json!({"f": text}),
        None,
    );
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .actual
            .starts_with("`\u{4e07}` at character 100001 of"),
        "{}",
        found[0].actual
    );
    assert!(found[0].expected.ends_with("… (980 more)"));
}

/// Validates `request` against a contract whose request has `fields`.
fn broken_by(fields: Value, request: Value) -> Vec<super::Violation> {
    let contract = contract_with_request(fields).expect("valid contract");
    validate(&contract.types, contract.request(), &request, None)
}

#[test]
fn a_field_is_required_when_another_has_one_of_the_values() {
    let fields = json!({
        "grantType": {"type": "string", "required": true, "enum": ["CODE", "REFRESH"]},
        "code": {"type": "string", "requiredWhen": {"field": "/grantType", "in": ["CODE"]}}
    });
    let found = broken_by(fields.clone(), json!({"grantType": "CODE"}));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].to_string(),
        "/code: required-when: expected present when grantType is CODE, got absent"
    );
    assert!(broken_by(fields.clone(), json!({"grantType": "REFRESH"})).is_empty());
    assert!(broken_by(fields, json!({"grantType": "CODE", "code": "c"})).is_empty());
}

#[test]
fn a_field_is_forbidden_when_another_is_present_or_absent() {
    let fields = json!({
        "cardNo": {"type": "string", "requiredWhen": {"field": "/login", "present": false}},
        "login": {"type": "string"},
        "pin": {"type": "string", "forbiddenWhen": [
            {"field": "/login", "present": true},
            {"field": "/cardNo", "in": ["0000"]}]}
    });
    let rules = |request| -> Vec<(String, Rule)> {
        broken_by(fields.clone(), request)
            .into_iter()
            .map(|v| (v.pointer, v.rule))
            .collect()
    };
    assert_eq!(rules(json!({})), one("/cardNo", Rule::RequiredWhen));
    assert!(rules(json!({"login": "jane"})).is_empty());
    assert_eq!(
        rules(json!({"login": "jane", "pin": "1"})),
        one("/pin", Rule::ForbiddenWhen)
    );
    assert_eq!(
        rules(json!({"cardNo": "0000", "pin": "1"})),
        one("/pin", Rule::ForbiddenWhen)
    );
    assert!(rules(json!({"cardNo": "1234", "pin": "1"})).is_empty());
}

#[test]
fn conditions_in_nested_objects_look_at_their_own_object() {
    let fields = json!({
        "fields": {"type": "array", "items": {"type": "object", "fields": {
            "code": {"type": "string", "required": true},
            "amount": {"type": "integer", "requiredWhen": {"field": "/code", "in": ["BALANCE"]}}}}}
    });
    let found = broken_by(
        fields,
        json!({"fields": [{"code": "POINT"}, {"code": "BALANCE"}, {"code": "BALANCE", "amount": 1}]}),
    );
    let places: Vec<(&str, Rule)> = found.iter().map(|v| (v.pointer.as_str(), v.rule)).collect();
    assert_eq!(places, [("/fields/1/amount", Rule::RequiredWhen)]);
}

#[test]
fn the_planner_is_told_the_same_rules_without_their_messages() {
    let contract = contract_with_request(json!({
        "a": {"type": "string", "maxLength": 2, "forbiddenChars": "@"},
        "n": {"type": "integer", "minimum": 1},
        "e": {"type": "string", "enum": ["X", "Y"]},
        "list": {"type": "array", "maxItems": 1, "items": {"type": "Amount"}},
        "strict": {"type": "object", "unknownFields": "reject", "fields": {"k": {"type": "string"}}},
        "g": {"type": "string", "enum": ["P", "Q"]},
        "code": {"type": "string", "requiredWhen": {"field": "/g", "in": ["P"]}}
    }))
    .expect("valid contract");
    let request = json!({
        "a": "a@bc", "n": 0, "e": "Z", "g": "P",
        "list": [{"currency": "sgd"}, {"value": 1, "currency": "SGD"}],
        "strict": {"k": "v", "x/y": 1}
    });
    let explained = validate(&contract.types, contract.request(), &request, None);
    let places: Vec<(&str, Rule)> = explained
        .iter()
        .map(|v| (v.pointer.as_str(), v.rule))
        .collect();
    assert_eq!(
        places,
        [
            ("/a", Rule::MaxLength),
            ("/a", Rule::ForbiddenChar),
            ("/n", Rule::Minimum),
            ("/e", Rule::Enum),
            ("/list", Rule::MaxItems),
            ("/list/0/value", Rule::Required),
            ("/list/0/currency", Rule::Pattern),
            ("/strict/x~1y", Rule::UnknownField),
            ("/code", Rule::RequiredWhen),
        ]
    );
    let rules: Vec<Rule> = explained.iter().map(|v| v.rule).collect();
    assert_eq!(
        super::broken(&contract.types, contract.request(), &request),
        rules
    );
}
