//! Request documents on the wire and back, with the example Cards API contracts.

use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::contract::{Contract, load_str};

fn example(name: &str) -> Contract {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/cards-api")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    load_str(&path, text).unwrap_or_else(|e| panic!("{}", crate::contract::ContractErrors(e)))
}

#[test]
fn path_parameters_are_percent_encoded_as_one_segment() {
    let contract = example("get-card.json");
    let document = json!({"path": {"cardId": "card/1 é?"}, "query": {}, "headers": {}});
    let encoded = encode(&contract, &document);
    assert_eq!(encoded.path_and_query, "/v1/cards/card%2F1%20%C3%A9%3F");
}

#[test]
fn arrays_become_repeated_query_keys_and_spaces_stay_unambiguous() {
    let contract = example("get-card.json");
    let document = json!({
        "path": {"cardId": "card_0123456789"},
        "query": {"include": ["assets", "a b+c"], "debug": true, "gone": null},
        "headers": {}
    });
    let encoded = encode(&contract, &document);
    assert_eq!(
        encoded.path_and_query,
        "/v1/cards/card_0123456789?include=assets&include=a%20b%2Bc&debug=true"
    );
}

#[test]
fn decoding_reads_declared_parameters_into_their_types() {
    let contract = example("get-card.json");
    let matched = match_path(&contract.template, "/v1/cards/card%5F0123456789").unwrap();
    let received = Received {
        path: matched.params,
        query: Some("include=assets&include=history&limit=10"),
        headers: vec![("X-Other", "1")],
    };
    let document = decode(&contract, &received, None);
    assert_eq!(
        document,
        json!({
            "path": {"cardId": "card_0123456789"},
            "query": {"include": ["assets", "history"], "limit": "10"},
            "headers": {}
        })
    );
}

#[test]
fn encoding_then_decoding_gives_the_document_back() {
    let contract = example("create-card.json");
    let document = json!({
        "path": {}, "query": {},
        "headers": {"Idempotency-Key": "key-0000000001"},
        "body": {"customerId": "cus_0123456789", "tier": "gold"}
    });
    let encoded = encode(&contract, &document);
    let headers: Vec<(&str, &str)> = encoded
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let lowercase: Vec<(String, &str)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), *v))
        .collect();
    let received = Received {
        path: Vec::new(),
        query: None,
        headers: lowercase.iter().map(|(n, v)| (n.as_str(), *v)).collect(),
    };
    let body = document["body"].clone();
    assert_eq!(decode(&contract, &received, Some(body)), document);
}

#[test]
fn text_that_fits_no_declared_type_stays_text_for_the_validator_to_name() {
    let types = crate::contract::Types::default();
    let integer = crate::contract::Schema::of(vec![crate::contract::Kind::Integer]);
    assert_eq!(coerce(&types, &integer, &["42"]), json!(42));
    assert_eq!(coerce(&types, &integer, &["-7"]), json!(-7));
    for text in ["4.5", "+4", " 4", "1e3", "", "four"] {
        assert_eq!(
            coerce(&types, &integer, &[text]),
            Value::String(text.into()),
            "{text}"
        );
    }
    let number = crate::contract::Schema::of(vec![crate::contract::Kind::Number]);
    assert_eq!(coerce(&types, &number, &["4.5"]), json!(4.5));
    assert_eq!(coerce(&types, &number, &["NaN"]), json!("NaN"));
    let boolean = crate::contract::Schema::of(vec![crate::contract::Kind::Boolean]);
    assert_eq!(coerce(&types, &boolean, &["true"]), json!(true));
    assert_eq!(coerce(&types, &boolean, &["True"]), json!("True"));
    assert_eq!(coerce(&types, &integer, &["1", "2"]), json!(["1", "2"]));
}

#[test]
fn templates_match_behind_a_gateway_prefix_and_around_literal_suffixes() {
    let template = crate::contract::PathTemplate::parse("/v1/files/{name}.json").unwrap();
    let found = match_path(&template, "/api/open/v1/files/a.b.json").unwrap();
    assert_eq!(found.params, [("name".to_string(), "a.b".to_string())]);
    assert_eq!(found.prefix, "/api/open".len());
    assert!(match_path(&template, "/v1/files/a/b.json").is_none());
    let empty = crate::contract::PathTemplate::parse("/v1/cards/{id}").unwrap();
    assert_eq!(
        match_path(&empty, "/v1/cards/").unwrap().params,
        [("id".to_string(), String::new())]
    );
}
