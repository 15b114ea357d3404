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
        document: json!({"path": {}, "query": {}, "headers": {}, "body": example}),
        expect: crate::contract::Expect {
            status: "S".into(),
            code: None,
        },
        response: None,
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
            let planned = exchange.request.document(&KeySpec::Keep, &contract, &mint);
            planned["body"].clone()
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
        KeySpec::Edited(
            crate::json::Pointer::parse("/body/requestId").unwrap(),
            StringEdit::Length { len: 65, fill: '*' }
        )
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
        KeySpec::Except(crate::json::Pointer::parse("/body/requestId").unwrap()),
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
    c.skip.generated = builder.build().unwrap();
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
        let expected = exchange.request.document(&exchange.key, &contract, &copied);
        let expected = serde_json::to_vec(&expected["body"]).unwrap();
        let sent = exchange
            .request
            .materialize(&exchange.key, &contract, &written);
        assert_eq!(sent.body, Some(expected), "{}", case.name);
    }
}

/// A contract whose request holds `fields` and whose named types include `types`, with no
/// example (the base request is made up).
fn contract_with_types(types: Value, fields: Value) -> Contract {
    let mut text: Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/valid/minimal.json")).unwrap();
    text["examples"] = json!([]);
    let defined = text["types"].as_object_mut().unwrap();
    defined.extend(types.as_object().unwrap().clone());
    text["request"]["fields"] = fields;
    text.as_object_mut().unwrap().remove("idempotency");
    let text = serde_json::to_string_pretty(&text).unwrap();
    crate::contract::load_str(std::path::Path::new("t.json"), text)
        .unwrap_or_else(|e| panic!("{}", crate::contract::ContractErrors(e).render()))
}

#[test]
fn limits_above_the_probe_caps_are_left_out_and_noted() {
    let many: Vec<String> = (0..300).map(|i| format!("V{i}")).collect();
    let c = contract_with_types(
        json!({}),
        json!({
            "text": {"type": "string", "required": true, "maxLength": 2147483647u64},
            "blob": {"type": "string", "minLength": 100000},
            "list": {"type": "array", "required": true, "maxItems": 5000, "items": {"type": "string"}},
            "wide": {"type": "array", "required": true, "maxItems": 100,
                     "items": {"type": "string", "minLength": 20000}},
            "kind": {"type": "string", "required": true, "enum": many}
        }),
    );
    let planned = names(&cases(0, &c));
    for left_out in [
        "createOrder/negative/text/too-long",
        "createOrder/boundary/text/max-length",
        "createOrder/negative/blob/too-short",
        "createOrder/boundary/blob/min-length",
        "createOrder/negative/list/too-many-items",
        "createOrder/boundary/list/max-items",
        "createOrder/negative/wide/too-many-items",
        "createOrder/boundary/kind/enum-V256",
    ] {
        assert!(!planned.contains(&left_out.to_string()), "{left_out}");
    }
    for kept in [
        "createOrder/negative/text/wrong-type",
        "createOrder/boundary/list/min-items",
        "createOrder/boundary/kind/enum-V255",
        "createOrder/negative/blob/wrong-type",
    ] {
        assert!(planned.contains(&kept.to_string()), "{kept}");
    }
    assert_eq!(
        super::notes(&c),
        [
            "text: `maxLength` 2147483647 is above the probe limit of 65536 characters: its too-long and max-length cases are left out",
            "blob: `minLength` 100000 is above the probe limit of 65536 characters: its too-short and min-length cases are left out",
            "list: `maxItems` 5000 is above the probe limit of 1024 items: its too-many-items and max-items cases are left out",
            "wide: `maxItems` 100 would make an array larger than 1 MiB: its too-many-items and max-items cases are left out",
            "kind: `enum` lists 300 values: the first 256 get an enum case",
        ]
    );
}

#[test]
fn a_request_that_cannot_be_made_up_is_noted() {
    let c = contract_with_types(
        json!({}),
        json!({"huge": {"type": "string", "required": true, "minLength": 4000000}}),
    );
    assert!(cases(0, &c).is_empty());
    let notes = super::notes(&c);
    assert!(
        notes[0].starts_with("no valid request can be made up"),
        "{notes:?}"
    );
}

#[test]
fn a_recursive_request_type_is_walked_once() {
    let c = contract_with_types(
        json!({"Node": {"type": "object", "fields": {
            "value": {"type": "string", "required": true, "maxLength": 8},
            "next": {"type": "Node"},
            "children": {"type": "array", "items": {"type": "Node"}}}}}),
        json!({"tree": {"type": "Node", "required": true}}),
    );
    let planned = names(&cases(0, &c));
    assert!(planned.contains(&"createOrder/negative/tree.value/too-long".to_string()));
    assert!(planned.contains(&"createOrder/negative/tree.next/wrong-type".to_string()));
    assert!(
        !planned.iter().any(|n| n.contains("tree.next.")),
        "{planned:?}"
    );
    assert!(super::notes(&c).is_empty());
}

/// Found by the contract fuzz test (seeds 1186680 and 1296176): a type whose values hold
/// thousands of array elements.
fn contract_with_kids(min_items: u64) -> Contract {
    contract_with_types(
        json!({
            "FuzzA": {"type": "object", "fields": {
                "value": {"type": "string", "required": true, "maxLength": 8},
                "next": {"type": ["FuzzB", "null"], "required": true},
                "kids": {"type": "array", "items": {"type": "FuzzB"}, "minItems": min_items}}},
            "FuzzB": {"type": "object", "fields": {
                "left": {"type": "FuzzA"}, "right": {"type": "FuzzA"}}}
        }),
        json!({"fuzz": {"type": "FuzzA", "required": true}}),
    )
}

#[test]
fn an_array_of_thousands_of_elements_is_walked_in_part() {
    // Walking each of 20,000 elements, each filling its missing fields with a copy of the
    // request, took minutes. Measured in this thread's CPU time, so other tests and builds
    // sharing the machine do not count.
    let started = thread_cpu_time();
    let c = contract_with_kids(20_000);
    let planned = names(&cases(0, &c));
    assert!(planned.contains(&"createOrder/negative/fuzz.value/too-long".to_string()));
    assert!(planned.contains(&"createOrder/negative/fuzz.kids.left/wrong-type".to_string()));
    assert_eq!(
        super::notes(&c),
        [
            "fuzz.kids: `minItems` 20000 is above the probe limit of 1024 items: its too-few-items and min-items cases are left out",
            "the memory for finding every field to probe (request copies and field names) passed 16 MiB: fields from /fuzz/kids/12/right on are left out"
        ]
    );
    assert!(thread_cpu_time() - started < std::time::Duration::from_secs(20));
}

#[test]
fn a_field_too_large_to_make_up_is_noted_and_left_out() {
    let c = contract_with_kids(65_536);
    let planned = names(&cases(0, &c));
    assert!(planned.contains(&"createOrder/negative/fuzz.value/too-long".to_string()));
    assert!(
        !planned.iter().any(|n| n.contains("fuzz.kids")),
        "{planned:?}"
    );
    assert_eq!(
        super::notes(&c),
        [
            "fuzz.kids: no valid value can be made up (its rules contradict each other or need more than 1 MiB): its cases are left out"
        ]
    );
}

/// CPU time this thread has used so far.
fn thread_cpu_time() -> std::time::Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to fill in.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    std::time::Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}
