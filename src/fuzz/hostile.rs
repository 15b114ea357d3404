//! Hand-made hostile contracts, each the shape of a problem the fuzz found (or could find only
//! by luck), kept as regular cases with the same bounds as the mutations.

use serde_json::{Map, Value, json};

/// A small valid contract whose request holds `fields` and whose types include `types`.
fn contract(types: Value, fields: Value) -> Value {
    json!({
        "name": "hostile", "operation": {"method": "POST", "path": "/hostile"},
        "types": types,
        "request": {"fields": fields},
        "response": {"fields": {"result": {"type": "object", "required": true, "fields": {
            "status": {"type": "string", "required": true},
            "code": {"type": "string", "required": true}}}}},
        "result": {"httpStatus": [200], "status": "/result/status", "code": "/result/code",
            "statuses": {"S": "success", "F": "failure"},
            "codes": [{"code": "OK", "status": "S"}, {"code": "PARAM_ILLEGAL", "status": "F"}]}
    })
}

/// Each hostile contract with what it is, as file bytes.
pub(super) fn contracts() -> Vec<(&'static str, Vec<u8>)> {
    let long_key = "k".repeat(4000);
    let values: Vec<String> = (0..3000).map(|i| format!("V{i}")).collect();
    let many: Map<String, Value> = (0..3000)
        .map(|i| (format!("f{i}"), json!({"type": "string", "maxLength": 4})))
        .collect();
    let renames: Map<String, Value> = (0..5000)
        .map(|i| (format!("T{i}"), json!({"type": format!("T{}", i + 1)})))
        .chain([("T5000".to_string(), json!({"type": "string"}))])
        .collect();
    let all = [
        (
            "an enum of 3000 values under a 4000-character key (seed 1333784)",
            contract(
                json!({}),
                json!({ &long_key: {"type": "string", "enum": values} }),
            ),
        ),
        (
            "3000 fields under a 4000-character key",
            contract(
                json!({}),
                json!({ &long_key: {"type": "object", "required": true, "fields": many} }),
            ),
        ),
        (
            "an array of 65536 objects with missing fields (seeds 1186680, 1296176)",
            contract(
                json!({"A": {"type": "object", "fields": {
                    "kids": {"type": "array", "minItems": 65536, "items": {"type": "B"}}}},
                       "B": {"type": "object", "fields": {"l": {"type": "A"}, "r": {"type": "A"}}}}),
                json!({"a": {"type": "A", "required": true}}),
            ),
        ),
        (
            "a chain of 5000 renames",
            contract(
                Value::Object(renames),
                json!({"a": {"type": "T0", "required": true}}),
            ),
        ),
        (
            "every limit at its largest",
            contract(
                json!({}),
                json!({
                    "s": {"type": "string", "required": true, "maxLength": u64::MAX},
                    "m": {"type": "string", "minLength": 2147483647u64},
                    "a": {"type": "array", "maxItems": u64::MAX, "minItems": 4000000000u64,
                          "items": {"type": "string"}},
                    "n": {"type": "integer", "minimum": i64::MIN, "maximum": u64::MAX},
                    "f": {"type": "number", "minimum": -1.7976931348623157e308,
                          "maximum": 1.7976931348623157e308}
                }),
            ),
        ),
    ];
    all.into_iter()
        .map(|(what, value)| (what, serde_json::to_vec(&value).unwrap()))
        .collect()
}
