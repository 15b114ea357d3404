//! Contract field definitions as JSON Schema 2020-12 (the dialect of OpenAPI 3.1): named types
//! become `$ref`s to `components/schemas`, unions `anyOf` (or a type list when every branch is
//! built in), and what JSON Schema cannot say (`forbiddenChars`, `requiredOn`) an `x-conform-*`
//! keyword that `conform import openapi` reads back.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

const BUILTIN: [&str; 7] = [
    "string", "integer", "number", "boolean", "object", "array", "null",
];

/// Constraint keys copied as they are.
const SAME: &[&str] = &[
    "description",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "enum",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
];

/// Type names as they are in `components/schemas` (renamed where two contracts disagree).
pub(super) type Names = HashMap<String, String>;

/// The JSON Schema of one field definition.
pub(super) fn schema(def: &Value, names: &Names) -> Value {
    let mut out = Map::new();
    let types: Vec<&str> = match def.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let reference = |name: &str| json!({ "$ref": format!("#/components/schemas/{}", crate::json::pointer::escape(names.get(name).map_or(name, String::as_str))) });
    match types.as_slice() {
        [one] if BUILTIN.contains(one) => {
            out.insert("type".into(), json!(one));
        }
        [one] => {
            if let Value::Object(r) = reference(one) {
                out.extend(r);
            }
        }
        many if many.iter().all(|t| BUILTIN.contains(t)) => {
            out.insert("type".into(), json!(many));
        }
        many => {
            let branches: Vec<Value> = many
                .iter()
                .map(|t| {
                    if BUILTIN.contains(t) {
                        json!({ "type": t })
                    } else {
                        reference(t)
                    }
                })
                .collect();
            out.insert("anyOf".into(), Value::Array(branches));
        }
    }
    for key in SAME {
        if let Some(value) = def.get(*key) {
            out.insert((*key).into(), value.clone());
        }
    }
    if let Some(chars) = def.get("forbiddenChars") {
        out.insert("x-conform-forbiddenChars".into(), chars.clone());
    }
    if let Some(items) = def.get("items") {
        out.insert("items".into(), schema(items, names));
    }
    if let Some(fields) = def.get("fields").and_then(Value::as_object) {
        object(&mut out, fields, def.get("unknownFields"), names);
    } else if def.get("unknownFields") == Some(&json!("reject")) {
        out.insert("additionalProperties".into(), json!(false));
    }
    if let Some(example) = def.get("example") {
        out.insert("examples".into(), json!([example]));
    }
    Value::Object(out)
}

/// A field's rules JSON Schema has no keyword for (presence on some statuses or depending on
/// another field, a value that works once), carried as `x-conform-<key>` on its property.
pub(crate) const FIELD_EXTENSIONS: &[&str] =
    &["requiredOn", "requiredWhen", "forbiddenWhen", "singleUse"];

/// `properties`, `required` and `additionalProperties` of an object's fields.
pub(super) fn object(
    out: &mut Map<String, Value>,
    fields: &Map<String, Value>,
    unknown: Option<&Value>,
    names: &Names,
) {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, def) in fields {
        let mut property = schema(def, names);
        if def.get("required") == Some(&json!(true)) {
            required.push(json!(name));
        }
        if let Value::Object(p) = &mut property {
            for key in FIELD_EXTENSIONS {
                if let Some(value) = def.get(*key) {
                    p.insert(format!("x-conform-{key}"), value.clone());
                }
            }
        }
        properties.insert(name.clone(), property);
    }
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    if unknown == Some(&json!("reject")) {
        out.insert("additionalProperties".into(), json!(false));
    }
}

/// The schema of a body: an object of `fields`.
pub(super) fn body(fields: &Map<String, Value>, unknown: Option<&Value>, names: &Names) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    object(&mut out, fields, unknown, names);
    Value::Object(out)
}
