//! Seeded mutations of the fixture documents: whatever a document holds, the import answers
//! with contracts that compile or a clear error, never a panic.

use serde_json::{Value, json};

use super::*;

/// Values a mutation puts somewhere in a document.
fn replacement(rng: &mut fastrand::Rng) -> Value {
    let choices = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(1.5e300),
        json!(""),
        json!("x{y"),
        json!([]),
        json!({}),
        json!({"$ref": "#/"}),
        json!({"$ref": "#/paths"}),
        json!({"$ref": "#/components/schemas"}),
        json!({"$ref": "missing.yaml#/A"}),
        json!({"type": ["null"]}),
        json!({"allOf": [{"$ref": "#/components"}]}),
        json!({"oneOf": []}),
        json!({"type": "object", "required": ["a"], "properties": {"a": {"pattern": "(?=x)"}}}),
        json!({"enum": [1, "a", null], "minimum": "no"}),
        json!({"items": {"items": {"items": {}}}, "minItems": 5, "maxItems": 1}),
    ];
    choices[rng.usize(..choices.len())].clone()
}

/// Every place in `value`, as JSON pointers.
fn places(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                places(
                    member,
                    format!("{at}/{}", crate::json::pointer::escape(key)),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, member) in items.iter().enumerate() {
                places(member, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

#[test]
fn mutated_documents_import_into_contracts_that_compile_or_fail_cleanly() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi");
    let iterations: u64 = std::env::var("CONFORM_OPENAPI_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    for name in ["clinic-3.0.yaml", "store-3.1.json"] {
        let pristine = document::Documents::open(&root.join(name)).expect("the fixture reads");
        let mut all = Vec::new();
        places(&pristine.files[0].root, String::new(), &mut all);
        for seed in 0..iterations {
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut docs = document::Documents::open(&root.join(name)).unwrap();
            for _ in 0..rng.usize(1..4) {
                let at = &all[rng.usize(..all.len())];
                if let Some(slot) = docs.files[0].root.pointer_mut(at) {
                    *slot = replacement(&mut rng);
                }
            }
            let Ok(import) = import_documents(&docs) else {
                continue;
            };
            for contract in &import.contracts {
                let loaded = crate::contract::load_str(
                    std::path::Path::new("x.json"),
                    contract.text.clone(),
                );
                assert!(
                    loaded.is_ok(),
                    "{name} seed {seed}: {} does not compile:\n{}",
                    contract.name,
                    contract.text
                );
            }
        }
    }
}
