use std::path::Path;

use serde_json::json;

use super::describe::suggest;
use super::*;

fn shape_of(text: &str) -> Shape {
    check(&SourceText::new(Path::new("c.json"), text.to_string())).expect("valid JSON")
}

fn messages(shape: &Shape) -> Vec<String> {
    shape.errors.iter().map(|e| e.kind.to_string()).collect()
}

/// A valid contract as a JSON value, to break one piece at a time.
fn valid() -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/minimal.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_valid_contract_has_no_shape_problems() {
    let shape = shape_of(&serde_json::to_string_pretty(&valid()).unwrap());
    assert!(shape.errors.is_empty(), "{:?}", messages(&shape));
}

#[test]
fn every_unknown_key_is_reported_with_the_close_name() {
    let mut contract = valid();
    contract["request"]["fields"]["orderId"]["requried"] = json!(true);
    contract["request"]["fields"]["amount"]["maxLenght"] = json!(3);
    let shape = shape_of(&serde_json::to_string_pretty(&contract).unwrap());
    assert_eq!(
        messages(&shape),
        ["unknown key `requried`", "unknown key `maxLenght`"]
    );
    let helps: Vec<_> = shape.errors.iter().map(|e| e.kind.help()).collect();
    assert_eq!(
        helps,
        [
            Some("did you mean `required`?".to_string()),
            Some("did you mean `maxLength`?".to_string())
        ]
    );
    assert!(shape.recoverable);
    assert_eq!(
        shape.unknown_keys,
        [
            "/request/fields/orderId/requried",
            "/request/fields/amount/maxLenght"
        ]
    );
}

#[test]
fn wrong_types_missing_keys_and_unknown_keywords_are_all_reported() {
    let mut contract = valid();
    contract["request"]["fields"]["orderId"]["maxLength"] = json!("32");
    contract["idempotency"]["conflict"]["policy"] = json!("rejct");
    contract["operation"]
        .as_object_mut()
        .unwrap()
        .remove("path");
    let shape = shape_of(&serde_json::to_string_pretty(&contract).unwrap());
    assert_eq!(
        messages(&shape),
        [
            "missing key `path`",
            "expected a whole number of 0 or more, found the string \"32\"",
            "unknown value `rejct`",
        ]
    );
    assert!(!shape.recoverable);
    assert_eq!(
        shape.errors[2].kind.help().as_deref(),
        Some("did you mean `reject`?")
    );
}

#[test]
fn duplicate_keys_anywhere_are_located_at_the_second_one() {
    let text =
        "{\"name\": \"a\",\n \"name\": \"b\", \"examples\": [{\"request\": {\"x\": 1, \"x\": 2}}]}";
    let shape = shape_of(text);
    let duplicates: Vec<_> = shape
        .errors
        .iter()
        .filter(|e| matches!(e.kind, K::DuplicateKey { .. }))
        .map(|e| (e.kind.to_string(), e.location.as_ref().unwrap().line))
        .collect();
    assert_eq!(
        duplicates,
        [
            ("duplicate key `name`".to_string(), 2),
            ("duplicate key `x`".to_string(), 2)
        ]
    );
}

#[test]
fn integers_out_of_their_range_and_infinite_numbers_are_wrong_types() {
    let mut contract = valid();
    contract["result"]["httpStatus"] = json!([200, 70000]);
    let text = serde_json::to_string(&contract)
        .unwrap()
        .replace("\"minimum\":1", "\"minimum\":1e400");
    let shape = shape_of(&text);
    assert_eq!(
        messages(&shape),
        [
            "expected a number between -1.8e308 and 1.8e308, found the number 1e400",
            "expected a whole number between 0 and 65535, found the number 70000",
        ]
    );
}

#[test]
fn nesting_deeper_than_serde_reads_is_one_located_error() {
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let text = format!("{{\"examples\": [{{\"request\": {deep}}}]}}");
    let shape = shape_of(&text);
    let deep: Vec<_> = messages(&shape)
        .into_iter()
        .filter(|m| m.contains("nest"))
        .collect();
    assert_eq!(deep, ["values nest more than 128 levels deep"]);
}

#[test]
fn a_syntax_error_is_reported_before_any_shape_problem() {
    let source = SourceText::new(
        Path::new("c.json"),
        "{\"name\": 12,\n \"x\": [1,, 2]}".into(),
    );
    let error = check(&source).expect_err("not JSON");
    assert_eq!(error.kind.to_string(), "invalid JSON: unexpected comma");
    let location = error.location.unwrap();
    assert_eq!((location.line, location.column), (2, 10));
}

#[test]
fn suggestions_need_a_close_name() {
    let known = ["required", "maxLength", "minLength", "type"];
    assert_eq!(suggest("requried", &known).as_deref(), Some("required"));
    assert_eq!(suggest("max_length", &known).as_deref(), Some("maxLength"));
    assert_eq!(suggest("MINLENGTH", &known).as_deref(), Some("minLength"));
    assert_eq!(suggest("tpye", &known).as_deref(), Some("type"));
    assert_eq!(suggest("colour", &known), None);
}
