//! What each JSON Schema keyword becomes: a part of a [`Flat`], documentation, or a note saying
//! why it is not mapped. The one place that knows the keyword list, so an unknown keyword can
//! never slip through: [`apply`] returning `false` makes the caller list it.

use serde_json::Value;

use super::flat::{Bound, Flat, Reader};
use crate::openapi::document::At;

/// Keywords that only document a schema: they change no check.
const DOCUMENTATION: &[&str] = &[
    "title",
    "default",
    "deprecated",
    "externalDocs",
    "xml",
    "$comment",
    "$schema",
    "$id",
    "$defs",
    "definitions",
    "contentMediaType",
    "contentEncoding",
];

/// Keywords that constrain values in ways contracts cannot say yet, with what follows.
const UNMAPPED: &[(&str, &str)] = &[
    (
        "not",
        "`not` is not mapped: values it excludes are accepted",
    ),
    (
        "dependentSchemas",
        "`dependentSchemas` is not mapped: what it asks when a member is present is not checked",
    ),
    (
        "discriminator",
        "`discriminator` is not mapped: the union accepts a value fitting any branch, whatever its discriminating property says",
    ),
    (
        "multipleOf",
        "`multipleOf` is not mapped: any multiple is accepted",
    ),
    (
        "uniqueItems",
        "`uniqueItems` is not mapped: repeated elements are accepted",
    ),
    ("minProperties", "`minProperties` is not mapped"),
    ("maxProperties", "`maxProperties` is not mapped"),
    (
        "patternProperties",
        "`patternProperties` is not mapped: members matching it are not checked",
    ),
    (
        "propertyNames",
        "`propertyNames` is not mapped: member names are not checked",
    ),
    ("contains", "`contains` is not mapped"),
    ("minContains", "`minContains` is not mapped"),
    ("maxContains", "`maxContains` is not mapped"),
    (
        "prefixItems",
        "`prefixItems` (tuples) is not mapped: elements are checked by `items` only",
    ),
    ("unevaluatedItems", "`unevaluatedItems` is not mapped"),
    (
        "contentSchema",
        "`contentSchema` is not mapped: encoded content is not decoded",
    ),
    (
        "$dynamicRef",
        "`$dynamicRef` is not followed: any value is accepted",
    ),
    (
        "$recursiveRef",
        "`$recursiveRef` is not followed: any value is accepted",
    ),
    (
        "$anchor",
        "`$anchor` is not mapped: references to it are not followed",
    ),
    ("$dynamicAnchor", "`$dynamicAnchor` is not mapped"),
];

/// Formats that describe how a number is stored, not which values are valid.
const STORAGE_FORMATS: &[&str] = &["int32", "int64", "float", "double"];

/// Records keyword `key` of the schema into `flat`; `false` when the keyword is unknown.
pub(super) fn apply(
    r: &mut Reader<'_, '_>,
    flat: &mut Flat,
    key: &str,
    value: &Value,
    at: &At,
) -> bool {
    if DOCUMENTATION.contains(&key) {
        r.ignored(at, format!("`{key}` is documentation"));
        return true;
    }
    if let Some((_, why)) = UNMAPPED.iter().find(|(k, _)| *k == key) {
        r.not_mapped(at, (*why).to_string());
        return true;
    }
    if let Some(name) = key.strip_prefix("x-") {
        extension(r, flat, name, value, at);
        return true;
    }
    match key {
        "allOf" | "$ref" => true,
        "if" => {
            super::conditions::if_then(r, flat, value, at);
            true
        }
        "then" | "else" => {
            super::conditions::branch(r, key, at);
            true
        }
        "dependentRequired" | "dependencies" => {
            super::conditions::dependent(r, flat, key, value, at);
            true
        }
        "type" => types(r, flat, value, at),
        "nullable" => {
            flat.nullable |= value == &Value::Bool(true);
            true
        }
        "enum" => enum_values(r, flat, value, at),
        "const" => {
            flat.enum_values = Some(vec![value.clone()]);
            true
        }
        "description" => {
            flat.description = value.as_str().map(str::to_string);
            true
        }
        "format" => format(r, flat, value, at),
        "pattern" => {
            flat.pattern = string(r, value, at);
            true
        }
        "minLength" => count(r, &mut flat.min_length, value, at),
        "maxLength" => count(r, &mut flat.max_length, value, at),
        "minItems" => count(r, &mut flat.min_items, value, at),
        "maxItems" => count(r, &mut flat.max_items, value, at),
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
            bound(r, flat, key, value, at)
        }
        "items" => items(r, flat, value, at),
        "properties" => properties(r, flat, value, at),
        "required" => required(r, flat, value, at),
        "additionalProperties" | "unevaluatedProperties" => additional(r, flat, key, value, at),
        "oneOf" | "anyOf" => union(r, flat, key, value, at),
        "example" => {
            flat.example.get_or_insert_with(|| value.clone());
            true
        }
        "examples" => {
            match value.as_array().and_then(|a| a.first()) {
                Some(first) => flat.example = Some(first.clone()),
                None => r.ignored(at, "`examples` that is not a list is documentation".into()),
            }
            true
        }
        "readOnly" => {
            flat.read_only = value == &Value::Bool(true);
            true
        }
        "writeOnly" => {
            flat.write_only = value == &Value::Bool(true);
            true
        }
        _ => false,
    }
}

fn extension(r: &mut Reader<'_, '_>, flat: &mut Flat, name: &str, value: &Value, at: &At) {
    match name {
        "conform-requiredOn" => flat.required_on = Some(value.clone()),
        "conform-forbiddenChars" => flat.forbidden_chars = value.as_str().map(str::to_string),
        // Read with the field's presence (see `Emitter::presence`).
        "conform-requiredWhen" | "conform-forbiddenWhen" | "conform-singleUse" => {}
        _ => r.ignored(
            at,
            format!("extension `x-{name}` is documentation to conform"),
        ),
    }
}

fn types(r: &mut Reader<'_, '_>, flat: &mut Flat, value: &Value, at: &At) -> bool {
    let names: Vec<&str> = match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let known = [
        "string", "integer", "number", "boolean", "object", "array", "null",
    ];
    let mut kinds = Vec::new();
    for name in names {
        if name == "null" {
            flat.nullable = true;
        } else if known.contains(&name) {
            kinds.push(name.to_string());
        } else {
            r.not_mapped(
                at,
                format!("type `{name}` is not a JSON Schema type: ignored"),
            );
        }
    }
    if kinds.is_empty() && !flat.nullable {
        return true;
    }
    // `type: null` alone: only null is valid.
    flat.kinds = Some(kinds);
    true
}

fn enum_values(r: &mut Reader<'_, '_>, flat: &mut Flat, value: &Value, at: &At) -> bool {
    match value {
        Value::Array(values) if !values.is_empty() => flat.enum_values = Some(values.clone()),
        _ => r.not_mapped(at, "`enum` is not a non-empty list: ignored".into()),
    }
    true
}

fn format(r: &mut Reader<'_, '_>, flat: &mut Flat, value: &Value, at: &At) -> bool {
    let Some(name) = value.as_str() else {
        r.not_mapped(at, "`format` is not a string: ignored".into());
        return true;
    };
    if STORAGE_FORMATS.contains(&name) {
        r.ignored(
            at,
            format!("format `{name}` says how the number is stored: its range is not checked"),
        );
    } else {
        flat.format = Some((at.clone(), name.to_string()));
    }
    true
}

fn string(r: &mut Reader<'_, '_>, value: &Value, at: &At) -> Option<String> {
    let text = value.as_str().map(str::to_string);
    if text.is_none() {
        r.not_mapped(at, "expected a string: ignored".into());
    }
    text
}

fn count(r: &mut Reader<'_, '_>, slot: &mut Option<u64>, value: &Value, at: &At) -> bool {
    match value.as_u64() {
        Some(n) => *slot = Some(n),
        None => match value.as_f64() {
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64 => {
                *slot = Some(f as u64)
            }
            _ => r.not_mapped(at, "expected a whole number of 0 or more: ignored".into()),
        },
    }
    true
}

fn bound(r: &mut Reader<'_, '_>, flat: &mut Flat, key: &str, value: &Value, at: &At) -> bool {
    let exclusive = key.starts_with("exclusive");
    let slot = if key.ends_with("inimum") {
        &mut flat.minimum
    } else {
        &mut flat.maximum
    };
    match value {
        // 3.0's `exclusiveMinimum: true` qualifies `minimum` (applied once every keyword is read).
        Value::Bool(_) if exclusive => {}
        Value::Number(n) => {
            let new = Bound {
                value: n.clone(),
                exclusive,
                at: at.clone(),
            };
            // 3.1 may give `minimum` and `exclusiveMinimum` together: the stricter wins.
            let keep_old = slot.as_ref().is_some_and(|old| {
                let order = crate::rules::compare(&old.value, n);
                if key.ends_with("inimum") {
                    order.is_gt()
                } else {
                    order.is_lt()
                }
            });
            if !keep_old {
                *slot = Some(new);
            }
        }
        _ => r.not_mapped(at, format!("`{key}` is not a number: ignored")),
    }
    true
}

fn items(r: &mut Reader<'_, '_>, flat: &mut Flat, value: &Value, at: &At) -> bool {
    match value {
        Value::Object(_) | Value::Bool(true) => flat.items.push(at.clone()),
        Value::Array(_) => r.not_mapped(
            at,
            "tuple `items` (a list of schemas) is not mapped: elements are not checked".into(),
        ),
        _ => r.not_mapped(at, "`items: false` is not mapped".into()),
    }
    true
}

fn properties(r: &mut Reader<'_, '_>, flat: &mut Flat, value: &Value, at: &At) -> bool {
    let Some(members) = value.as_object() else {
        r.not_mapped(at, "`properties` is not an object: ignored".into());
        return true;
    };
    for name in members.keys() {
        flat.properties
            .entry(name.clone())
            .or_default()
            .push(at.child(name));
    }
    true
}

fn required(r: &mut Reader<'_, '_>, flat: &mut Flat, value: &Value, at: &At) -> bool {
    match value.as_array() {
        Some(names) => {
            for name in names.iter().filter_map(Value::as_str) {
                if !flat.required.iter().any(|n| n == name) {
                    flat.required.push(name.to_string());
                }
            }
        }
        // 3.0 documents sometimes write Swagger 2's `required: true` on a property.
        None => r.not_mapped(at, "`required` here is not a list of member names: ignored (in OpenAPI 3 the object lists its required members)".into()),
    }
    true
}

fn additional(r: &mut Reader<'_, '_>, flat: &mut Flat, key: &str, value: &Value, at: &At) -> bool {
    match value {
        Value::Bool(false) => flat.closed = true,
        Value::Bool(true) => {}
        Value::Object(map) if map.is_empty() => {}
        _ => r.not_mapped(
            at,
            format!("`{key}` with a schema is not mapped: members other than the named ones are accepted unchecked"),
        ),
    }
    true
}

fn union(r: &mut Reader<'_, '_>, flat: &mut Flat, key: &str, value: &Value, at: &At) -> bool {
    match value.as_array() {
        Some(branches) if !branches.is_empty() => {
            if flat.union.is_some() {
                r.not_mapped(
                    at,
                    format!("`{key}` beside another `oneOf`/`anyOf`: only the first is mapped"),
                );
            } else {
                flat.union = Some((0..branches.len()).map(|i| at.index(i)).collect());
            }
        }
        _ => r.not_mapped(at, format!("`{key}` is not a non-empty list: ignored")),
    }
    true
}
