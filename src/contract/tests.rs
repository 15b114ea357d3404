//! Compilation of the shipped contract and of small contracts built around one rule.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::*;

/// A minimal valid contract whose request fields are `fields`.
pub(crate) fn contract_with_request(fields: Value) -> Result<Contract, Vec<ContractError>> {
    let text = json!({
        "name": "op",
        "operation": {"method": "POST", "path": "/op"},
        "types": {"Amount": {"type": "object", "fields": {
            "value": {"type": "integer", "required": true, "minimum": 0},
            "currency": {"type": "string", "required": true, "pattern": "^[A-Z]{3}$"}}}},
        "request": {"fields": fields},
        "response": {"fields": {
            "result": {"type": "object", "required": true, "fields": {
                "status": {"type": "string", "required": true},
                "code": {"type": "string", "required": true}}},
            "id": {"type": "string", "requiredOn": ["S"], "maxLength": 8}}},
        "result": {"httpStatus": [200], "status": "/result/status", "code": "/result/code",
            "statuses": {"S": "success", "F": "failure"},
            "codes": [{"code": "OK", "status": "S"}, {"code": "PARAM_ILLEGAL", "status": "F"}]}
    });
    load_str(
        Path::new("op.json"),
        serde_json::to_string_pretty(&text).unwrap(),
    )
}

/// The shipped issueCard contract, for tests across the crate.
pub(crate) fn issue_card() -> Contract {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/platform/issue-card.json");
    let text = std::fs::read_to_string(&path).unwrap();
    load_str(&path, text).unwrap_or_else(|errors| {
        panic!("{}", ContractErrors(errors).render());
    })
}

fn first_error(fields: Value) -> String {
    let errors = contract_with_request(fields).expect_err("contract must be rejected");
    errors[0].render()
}

#[test]
fn shipped_issue_card_contract_compiles_with_every_seed_rule() {
    let contract = issue_card();
    assert_eq!(contract.name, "issueCard");
    assert_eq!(contract.request().objects.fields.len(), 10);
    assert_eq!(contract.response.objects.fields.len(), 3);
    let app_id = contract
        .request_field(&crate::json::Pointer::parse("/appId").unwrap())
        .unwrap();
    assert_eq!(app_id.strings.max_length, Some(32));
    assert_eq!(app_id.strings.forbidden, vec!['@', '#', '?']);
    let belongs = contract
        .request_field(&crate::json::Pointer::parse("/customerBelongsTo").unwrap())
        .unwrap();
    assert_eq!(belongs.enum_values.as_ref().map(Vec::len), Some(10));
    let card_fields = contract
        .request_field(&crate::json::Pointer::parse("/cardFields").unwrap())
        .unwrap();
    assert_eq!(card_fields.arrays.max_items, Some(10));
    let idem = contract.idempotency.as_ref().unwrap();
    assert_eq!(idem.policy, ConflictPolicy::Either);
    assert_eq!(
        idem.conflict_code.as_deref(),
        Some("REPEAT_REQ_INCONSISTENT")
    );
    assert_eq!(contract.examples[0].expect.status, "S");
    assert_eq!(contract.source.sha256.len(), 64);
}

#[test]
fn seed_sample_response_fits_the_contract_and_a_broken_one_does_not() {
    let contract = issue_card();
    let sample = json!({"cardNo": "011164508621375700010170***",
        "result": {"resultCode": "SUCCESS", "resultMessage": "Success", "resultStatus": "S"}});
    let status = Some("S");
    assert!(
        crate::rules::validate(&contract.types, &contract.response, &sample, status).is_empty()
    );
    let mut broken = sample.clone();
    broken.as_object_mut().unwrap().remove("cardNo");
    let violations = crate::rules::validate(&contract.types, &contract.response, &broken, status);
    assert_eq!(violations.len(), 1);
    assert_eq!(
        violations[0].to_string(),
        "/cardNo: required-on-status: expected present, got absent"
    );
}

#[test]
fn unknown_type_names_the_known_ones() {
    let rendered = first_error(json!({"a": {"type": "strng"}}));
    assert!(
        rendered.starts_with("error: unknown type `strng`\n"),
        "{rendered}"
    );
    assert!(
        rendered.contains("= help: expected one of `string`"),
        "{rendered}"
    );
    assert!(rendered.contains("`Amount`"), "{rendered}");
}

#[test]
fn constraint_on_the_wrong_type_is_rejected() {
    let rendered = first_error(json!({"a": {"type": "integer", "maxLength": 3}}));
    assert!(
        rendered.contains("`maxLength` applies to strings, but the type here is `integer`"),
        "{rendered}"
    );
}

#[test]
fn min_above_max_and_bad_patterns_are_all_reported() {
    let errors = contract_with_request(json!({
        "a": {"type": "string", "minLength": 5, "maxLength": 2},
        "b": {"type": "string", "pattern": "(["}
    }))
    .expect_err("two problems");
    assert_eq!(errors.len(), 2);
    assert!(
        errors[0]
            .render()
            .contains("`minLength` (5) is greater than `maxLength` (2)")
    );
    assert!(errors[1].render().contains("invalid pattern"));
}

#[test]
fn required_on_is_a_response_only_key() {
    let rendered = first_error(json!({"a": {"type": "string", "requiredOn": ["S"]}}));
    assert!(
        rendered.contains("`requiredOn` is not allowed on request fields"),
        "{rendered}"
    );
}

#[test]
fn enum_values_must_fit_their_field() {
    let rendered =
        first_error(json!({"a": {"type": "string", "maxLength": 2, "enum": ["OK", "TOO_LONG"]}}));
    assert!(
        rendered.contains("value does not fit its own field"),
        "{rendered}"
    );
    assert!(rendered.contains("max-length"), "{rendered}");
}

#[test]
fn unknown_keys_point_at_the_key_itself() {
    let errors =
        contract_with_request(json!({"a": {"type": "string", "maxLenght": 3}})).expect_err("typo");
    let rendered = errors[0].render();
    assert!(
        rendered.starts_with("error: unknown key `maxLenght`"),
        "{rendered}"
    );
    let location = errors[0].location.as_ref().unwrap();
    assert!(location.line_text.contains("\"maxLenght\""));
    assert_eq!(location.width, "\"maxLenght\"".len());
    assert!(
        rendered.contains("= help: did you mean `maxLength`?"),
        "{rendered}"
    );
}

/// The minimal contract of [`contract_with_request`] with `signing` and extra catalogue codes.
fn contract_with_signing(signing: Value, codes: Value) -> Result<Contract, Vec<ContractError>> {
    let mut text: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/minimal.json"),
        )
        .unwrap(),
    )
    .unwrap();
    text["signing"] = signing;
    let catalogue = text["result"]["codes"].as_array_mut().unwrap();
    catalogue.extend(codes.as_array().unwrap().iter().cloned());
    load_str(
        Path::new("op.json"),
        serde_json::to_string_pretty(&text).unwrap(),
    )
}

#[test]
fn signature_rejection_defaults_to_access_denied_when_the_catalogue_has_it() {
    let denied = json!([{"code": "ACCESS_DENIED", "status": "F"}]);
    let contract = contract_with_signing(json!({}), denied).unwrap();
    let expected = Expect {
        status: "F".into(),
        code: Some("ACCESS_DENIED".into()),
    };
    assert_eq!(contract.signature_rejection, Some(expected));
    let without = contract_with_signing(json!({}), json!([])).unwrap();
    assert_eq!(without.signature_rejection, None);
    assert_eq!(
        issue_card()
            .signature_rejection
            .and_then(|e| e.code)
            .as_deref(),
        Some("ACCESS_DENIED")
    );
}

#[test]
fn signature_reject_code_must_be_a_failure_code_of_the_catalogue() {
    let custom = json!([{"code": "INVALID_SIGNATURE", "status": "F"}]);
    let contract =
        contract_with_signing(json!({"rejectCode": "INVALID_SIGNATURE"}), custom).unwrap();
    let code = contract.signature_rejection.and_then(|e| e.code);
    assert_eq!(code.as_deref(), Some("INVALID_SIGNATURE"));
    let errors = contract_with_signing(json!({"rejectCode": "NOT_LISTED"}), json!([]))
        .expect_err("an unknown reject code is a contract error");
    let rendered = errors[0].render();
    assert!(
        rendered.contains("code `NOT_LISTED` is not in `result.codes` with status `F`"),
        "{rendered}"
    );
}

#[test]
fn a_conflict_answered_with_a_success_status_is_a_located_error() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/platform/issue-card.json");
    let mut text: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    text["idempotency"]["conflict"]["status"] = json!("S");
    let errors = load_str(
        Path::new("conflict.json"),
        serde_json::to_string_pretty(&text).unwrap(),
    )
    .expect_err("a success status for a conflict");
    let rendered = ContractErrors(errors).render();
    assert!(
        rendered.contains(
            "error: `S` is a success status: a key reused with another payload must be refused"
        ),
        "{rendered}"
    );
    assert!(rendered.contains("--> conflict.json:"), "{rendered}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cards-api/create-card.json");
    let mut text: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    text["idempotency"]["conflict"]["status"] = json!("2XX");
    let errors = load_str(
        Path::new("rest.json"),
        serde_json::to_string_pretty(&text).unwrap(),
    )
    .expect_err("the success class for a conflict");
    let rendered = ContractErrors(errors).render();
    assert!(rendered.contains("`2XX` is a success status"), "{rendered}");
}

#[test]
fn text_that_is_not_utf8_is_located_at_the_first_bad_byte() {
    let mut bytes = b"{\n  \"name\": \"caf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b"\"\n}");
    let errors = load_bytes(Path::new("latin1.json"), bytes).expect_err("not UTF-8");
    let rendered = errors[0].render();
    assert!(
        rendered.starts_with("error: the file is not UTF-8 text\n --> latin1.json:2:15\n"),
        "{rendered}"
    );
}

#[test]
fn a_minified_contract_shows_a_window_of_its_long_line() {
    let padding = format!("\"description\": \"{}\", ", "x".repeat(5000));
    let text = format!("{{{padding}\"name\": 12}}");
    let errors = load_str(Path::new("min.json"), text).expect_err("name is a number");
    let wrong = errors
        .iter()
        .find(|e| matches!(e.kind, ContractErrorKind::WrongType { .. }));
    let rendered = wrong.expect("a wrong type").render();
    let snippet = rendered.lines().nth(3).unwrap();
    assert!(snippet.chars().count() < 140, "{snippet}");
    assert!(snippet.starts_with("1 | …xxx"), "{snippet}");
    assert!(snippet.ends_with("\"name\": 12}"), "{snippet}");
    let carets = rendered.lines().nth(4).unwrap();
    let caret_at = carets.chars().position(|c| c == '^').unwrap();
    let under: String = snippet.chars().skip(caret_at).take(2).collect();
    assert_eq!(under, "12", "{rendered}");
}

#[test]
fn control_characters_from_a_contract_never_reach_the_terminal() {
    let text = "{\"name\": \"op\", \"\\u001b[31mkey\": 1}".to_string();
    let errors = load_str(Path::new("esc.json"), text).expect_err("unknown key");
    let rendered = ContractErrors(errors).render();
    assert!(!rendered.contains('\u{1b}'), "{rendered:?}");
    assert!(
        rendered.contains("unknown key `\u{fffd}[31mkey`"),
        "{rendered}"
    );
}

#[test]
fn a_long_chain_of_renames_is_an_error_not_a_stack_overflow() {
    let mut types = serde_json::Map::new();
    for i in 0..20_000 {
        types.insert(format!("T{i}"), json!({"type": format!("T{}", i + 1)}));
    }
    types.insert("T20000".into(), json!({"type": "string"}));
    let contract = json!({
        "name": "op", "operation": {"method": "POST", "path": "/op"},
        "types": types,
        "request": {"fields": {"a": {"type": "T0"}}},
        "response": {"fields": {"status": {"type": "string", "required": true}}},
        "result": {"httpStatus": [200], "status": "/status", "code": "/status",
            "statuses": {"S": "success", "F": "failure"},
            "codes": [{"code": "S", "status": "S"}, {"code": "PARAM_ILLEGAL", "status": "F"}]}
    });
    let text = serde_json::to_string(&contract).unwrap();
    let errors = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || load_str(Path::new("renames.json"), text).expect_err("too deep"))
        .unwrap()
        .join()
        .unwrap();
    assert!(
        errors[0]
            .kind
            .to_string()
            .ends_with("is a rename of a rename 17 levels deep: at most 16 are followed"),
        "{}",
        errors[0].render()
    );
}

#[test]
fn a_pointer_deep_into_a_recursive_type_is_followed_without_recursion() {
    let next = "/next".repeat(100_000);
    let contract = json!({
        "name": "op", "operation": {"method": "POST", "path": "/op"},
        "types": {"Node": {"type": "object", "fields": {
            "next": {"type": "Node"}, "status": {"type": "string"}}}},
        "request": {"fields": {"a": {"type": "string"}}},
        "response": {"fields": {"result": {"type": "Node", "required": true}}},
        "result": {"httpStatus": [200], "status": format!("/result{next}/status"),
            "code": "/result/status",
            "statuses": {"S": "success", "F": "failure"},
            "codes": [{"code": "S", "status": "S"}, {"code": "PARAM_ILLEGAL", "status": "F"}]}
    });
    let text = serde_json::to_string(&contract).unwrap();
    let compiled = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || load_str(Path::new("deep.json"), text))
        .unwrap()
        .join()
        .unwrap();
    let contract = compiled.unwrap_or_else(|e| panic!("{}", ContractErrors(e).render()));
    assert_eq!(contract.result.status.segments().len(), 100_002);
}

#[test]
fn rejects_concurrency_below_two_and_settle_tries_below_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/platform/issue-card.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    doc["idempotency"]["concurrency"] = json!(1);
    doc["idempotency"]["settle"] = json!({"tries": 0});
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let errors = load_str(Path::new("card.json"), text).expect_err("below the minimums");
    let rendered = ContractErrors(errors).render();
    assert!(
        rendered.contains("expected at least 2, got 1"),
        "{rendered}"
    );
    assert!(
        rendered.contains("expected at least 1, got 0"),
        "{rendered}"
    );
}

#[test]
fn condition_values_are_checked_against_named_types_declared_anywhere() {
    let fields = json!({
        "payer": {"type": "Payer", "required": true},
        "iban": {"type": "string", "requiredWhen": {"field": "/payer/kind", "in": ["BANK", "CARD"]}}
    });
    let mut text = json!({
        "name": "op", "operation": {"method": "POST", "path": "/op"},
        "types": {"Payer": {"type": "object", "fields": {
            "kind": {"type": "PayerKind", "required": true}}},
            "PayerKind": {"type": "string", "enum": ["BANK", "WALLET"]}},
        "request": {"fields": fields},
        "response": {"fields": {"result": {"type": "object", "required": true, "fields": {
            "status": {"type": "string", "required": true},
            "code": {"type": "string", "required": true}}}}},
        "result": {"httpStatus": [200], "status": "/result/status", "code": "/result/code",
            "statuses": {"S": "success", "F": "failure"},
            "codes": [{"code": "OK", "status": "S"}, {"code": "PARAM_ILLEGAL", "status": "F"}]}
    });
    let errors = load_str(
        Path::new("op.json"),
        serde_json::to_string_pretty(&text).unwrap(),
    )
    .expect_err("CARD is not a PayerKind");
    assert_eq!(
        errors.len(),
        1,
        "{}",
        ContractErrors(errors.clone()).render()
    );
    assert!(
        errors[0].render().starts_with("error: the condition can never hold: \"CARD\" is not a value the other field can have (enum: expected one of BANK, WALLET)"),
        "{}",
        errors[0].render()
    );
    text["request"]["fields"]["iban"]["requiredWhen"]["in"] = json!(["BANK"]);
    let contract = load_str(Path::new("op.json"), text.to_string()).unwrap();
    let iban = &contract.request().objects.fields[1];
    assert_eq!(iban.conditions.len(), 1);
    assert_eq!(iban.conditions[0].describe(), "payer.kind is BANK");
}

#[test]
fn single_use_fields_are_listed_with_their_place_and_length() {
    let contract = contract_with_request(json!({
        "authCode": {"type": "string", "maxLength": 32, "singleUse": true},
        "scope": {"type": "string"}
    }))
    .unwrap();
    assert_eq!(
        contract.single_use,
        [crate::contract::SingleUse {
            pointer: crate::json::Pointer::parse("/body/authCode").unwrap(),
            max_len: Some(32),
            reused: None,
        }]
    );
    let nested = first_error(json!({"auth": {"type": "object", "fields": {
        "code": {"type": "string", "singleUse": true}}}}));
    assert!(
        nested.starts_with(
            "error: `singleUse` is not allowed except on the request's own fields and parameters"
        ),
        "{nested}"
    );
}

#[test]
fn credentials_are_listed_with_their_places_and_answers_checked_against_the_catalogue() {
    let contract = contract_with_request(json!({
        "token": {"type": "string", "accepts": {"issued": "session",
            "otherwise": {"status": "F", "code": "PARAM_ILLEGAL"}}},
        "code": {"type": "string", "singleUse": {"reused": {"status": "F"}}}
    }))
    .unwrap();
    let accept = &contract.accepts[0];
    assert_eq!(
        (accept.pointer.as_str(), accept.credential.as_str()),
        ("/body/token", "session")
    );
    assert_eq!(accept.otherwise.describe(), "F/PARAM_ILLEGAL");
    assert_eq!(
        contract.single_use[0].reused.as_ref().unwrap().describe(),
        "F"
    );
    let unknown = first_error(json!({"token": {"type": "string",
        "accepts": {"issued": "session", "otherwise": {"status": "F", "code": "NOPE"}}}}));
    assert!(
        unknown.starts_with("error: code `NOPE` is not in `result.codes` with status `F`"),
        "{unknown}"
    );
    let misplaced = first_error(json!({"token": {"type": "string", "issues": "session"}}));
    assert!(
        misplaced.starts_with("error: `issues` is not allowed except on a response body's own fields and response headers"),
        "{misplaced}"
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/platform/apply-token.json");
    let apply = load_str(&path, std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        apply.issues,
        [Issue {
            pointer: crate::json::Pointer::parse("/body/accessToken").unwrap(),
            credential: "accessToken".into()
        }]
    );
}

/// Files are compiled on several threads at once: what comes back must not depend on which
/// thread finished first.
#[test]
fn contracts_compiled_side_by_side_come_back_in_file_order_with_every_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = [
        "contracts/merchant/inquire-card-detail.json",
        "contracts/merchant/inquire-member-assets.json",
        "contracts/merchant/notify-card-registration.json",
        "contracts/merchant/update-card-detail.json",
        "contracts/platform/apply-token.json",
        "contracts/platform/inquiry-user-info.json",
        "contracts/platform/issue-card.json",
    ]
    .map(|file| root.join(file));
    let expected: Vec<String> = shipped
        .iter()
        .map(|file| load_bytes(file, std::fs::read(file).unwrap()).unwrap().name)
        .collect();
    for _ in 0..5 {
        let loaded = load::load_files(shipped.to_vec(), Vec::new()).expect("valid contracts");
        let names: Vec<&str> = loaded.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, expected);
    }
    // A broken file after each valid one, the last one missing: one error each, in file order.
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut broken = Vec::new();
    for (i, file) in shipped.iter().enumerate() {
        files.push(file.clone());
        let bad = dir.path().join(format!("broken-{i}.json"));
        if i < shipped.len() - 1 {
            std::fs::write(&bad, format!("{{\"name\": \"broken{i}\"")).unwrap();
        }
        files.push(bad.clone());
        broken.push(bad);
    }
    let errors = load::load_files(files, Vec::new()).expect_err("broken files");
    let erred: Vec<&Path> = errors.0.iter().map(|e| e.file.as_path()).collect();
    let broken: Vec<&Path> = broken.iter().map(PathBuf::as_path).collect();
    assert_eq!(erred, broken);
    assert!(
        errors.to_string().contains("broken-6.json"),
        "the missing file is named: {errors}"
    );
}
