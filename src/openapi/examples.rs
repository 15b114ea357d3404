//! Request examples of the document (`example`/`examples` of the JSON request body) as contract
//! examples, with the path, query and header values the parameters document. An example the
//! contract compiler refuses (one that does not fit its own schema, as real documents have) is
//! left out later, and listed.

use serde_json::{Map, Value, json};

use super::document::At;
use super::operation::Op;
use super::params::Parameters;
use super::report::ItemKind;

/// Contract examples for the operation: one per documented request body example; for an
/// operation without a body whose required parameters all have examples, one `documented`.
pub(super) fn map(
    op: &mut Op<'_>,
    media: Option<&At>,
    parameters: &Parameters,
    expect: &str,
) -> Vec<Value> {
    let values = parameter_values(parameters);
    let mut out = Vec::new();
    match media {
        Some(media) => {
            for (name, body) in body_examples(op, media) {
                let mut example = base(&name, &values, expect);
                example.insert("request".into(), body);
                out.push(Value::Object(reorder(example)));
            }
        }
        None if values.is_some() => {
            out.push(Value::Object(reorder(base("documented", &values, expect))));
        }
        None => {}
    }
    out
}

/// Path, query and header values: every required parameter's example (and the optional ones
/// that have one); `None` when a required parameter has none, as no request could be written.
fn parameter_values(parameters: &Parameters) -> Option<[Map<String, Value>; 3]> {
    let mut out: [Map<String, Value>; 3] = Default::default();
    let groups = [
        (&parameters.path, true),
        (&parameters.query, false),
        (&parameters.headers, false),
    ];
    for (i, (defs, all_required)) in groups.into_iter().enumerate() {
        for (name, def) in defs {
            let required = all_required || def.get("required") == Some(&Value::Bool(true));
            // A value the import made up for a format is not the document's example: a
            // request built from it would name a resource (a uuid) no one made.
            let documented = def
                .get("example")
                .filter(|e| !super::schema::formats::made_up(e))
                .cloned();
            match documented.or_else(|| key_placeholder(name, def)) {
                Some(example) => {
                    out[i].insert(name.clone(), example);
                }
                None if required => return None,
                None => {}
            }
        }
    }
    Some(out)
}

/// An idempotency key header needs a value in an example, and any will do: each run sends a
/// fresh key in its place.
fn key_placeholder(name: &str, def: &Value) -> Option<Value> {
    if !super::semantics::is_key_header(name) {
        return None;
    }
    let value = "0000000001";
    let fits_length = def
        .get("maxLength")
        .and_then(Value::as_u64)
        .is_none_or(|m| m >= 10)
        && def
            .get("minLength")
            .and_then(Value::as_u64)
            .is_none_or(|m| m <= 10);
    let fits_pattern = def
        .get("pattern")
        .and_then(Value::as_str)
        .is_none_or(|p| regex::Regex::new(p).is_ok_and(|r| r.is_match(value)));
    (fits_length && fits_pattern).then(|| Value::String(value.into()))
}

fn base(name: &str, values: &Option<[Map<String, Value>; 3]>, expect: &str) -> Map<String, Value> {
    let mut example = Map::new();
    example.insert("name".into(), Value::String(name.to_string()));
    if let Some([path, query, headers]) = values {
        for (key, members) in [("path", path), ("query", query), ("headers", headers)] {
            if !members.is_empty() {
                example.insert(key.into(), Value::Object(members.clone()));
            }
        }
    }
    example.insert("expect".into(), json!({ "status": expect }));
    example
}

fn reorder(example: Map<String, Value>) -> Map<String, Value> {
    let order = ["name", "path", "query", "headers", "request", "expect"];
    let mut entries: Vec<(String, Value)> = example.into_iter().collect();
    entries.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(order.len()));
    entries.into_iter().collect()
}

/// `(name, value)` of each example of a media type object.
fn body_examples(op: &mut Op<'_>, media: &At) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Some(value) = op.docs.get(&media.child("example")) {
        out.push(("example".to_string(), value.clone()));
    }
    let list = media.child("examples");
    let names: Vec<String> = op
        .docs
        .get(&list)
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for name in names {
        let here = list.child(&name);
        let Ok((at, example)) = op.docs.deref(&here).map(|(a, v)| (a, v.clone())) else {
            op.note(
                ItemKind::NotMapped,
                &here,
                "example not mapped: its `$ref` cannot be followed".into(),
            );
            continue;
        };
        match example.get("value") {
            Some(value) => out.push((safe_name(&name), value.clone())),
            None if example.get("externalValue").is_some() => {
                op.note(
                    ItemKind::NotMapped,
                    &at,
                    "an example given by `externalValue` is not read".into(),
                );
            }
            None => op.note(
                ItemKind::NotMapped,
                &at,
                "an example without `value` is not mapped".into(),
            ),
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|(name, _)| seen.insert(name.clone()));
    out
}

/// Letters, digits, `.`, `_`, `-`, as case names need.
pub(super) fn safe_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() {
        "example".into()
    } else {
        name
    }
}
