//! Conditional presence from JSON Schema: the shapes that say "this member is required when
//! that one has one of some values, or is present" become a field's `requiredWhen`.
//!
//! Mapped: `if` naming one property by `const` or `enum`, with a `then` that only lists
//! `required` members (`if: {properties: {grantType: {const: AUTHORIZATION_CODE}}}, then:
//! {required: [authCode]}`); `dependentRequired` (and 3.0's `dependencies` with member lists).
//! Anything else in these keywords (an `else`, an `if` on two properties, a `then` with other
//! rules, `dependentSchemas`) is listed as not mapped, never dropped.

use serde_json::{Value, json};

use super::flat::{Flat, Reader};
use crate::openapi::document::At;

/// `if` (with its `then` and `else`, read from the same schema object).
pub(super) fn if_then(r: &mut Reader<'_, '_>, flat: &mut Flat, condition: &Value, at: &At) {
    let parent = parent(at);
    let holder = r.docs.get(&parent).cloned().unwrap_or(Value::Null);
    let Some((name, values)) = tested(condition) else {
        r.not_mapped(
            at,
            "`if`/`then` is mapped only when `if` tests one property by `const` or `enum`: neither branch is checked".into(),
        );
        return;
    };
    match holder.get("then").and_then(only_required) {
        Some(members) => {
            let when = json!({ "field": format!("/{}", escape(&name)), "in": values });
            for member in members {
                flat.conditions.push((member, when.clone()));
            }
        }
        None if holder.get("then").is_some() => r.not_mapped(
            &parent.child("then"),
            "`then` is mapped only when it lists `required` members alone: it is not checked"
                .into(),
        ),
        None => {}
    }
    if holder.get("else").is_some() {
        r.not_mapped(
            &parent.child("else"),
            "`else` is not mapped: what it requires is not checked".into(),
        );
    }
}

/// `then` and `else` without an `if` beside them mean nothing; with one they were read there.
pub(super) fn branch(r: &mut Reader<'_, '_>, key: &str, at: &At) {
    let parent = parent(at);
    let has_if = r
        .docs
        .get(&parent)
        .is_some_and(|holder| holder.get("if").is_some());
    if !has_if {
        r.ignored(at, format!("`{key}` without `if` has no effect"));
    }
}

/// `dependentRequired` (or `dependencies` whose members are lists): each listed member is
/// required when the member naming it is present.
pub(super) fn dependent(
    r: &mut Reader<'_, '_>,
    flat: &mut Flat,
    key: &str,
    value: &Value,
    at: &At,
) {
    let Some(map) = value.as_object() else {
        r.not_mapped(at, format!("`{key}` is not an object: ignored"));
        return;
    };
    for (trigger, needs) in map {
        let Some(members) = needs.as_array() else {
            r.not_mapped(
                &at.child(trigger),
                format!("`{key}` with a schema is not mapped: what it asks when `{trigger}` is present is not checked"),
            );
            continue;
        };
        let when = json!({ "field": format!("/{}", escape(trigger)), "present": true });
        for member in members.iter().filter_map(Value::as_str) {
            flat.conditions.push((member.to_string(), when.clone()));
        }
    }
}

/// The one property an `if` tests, with the values that make it hold.
fn tested(condition: &Value) -> Option<(String, Vec<Value>)> {
    let map = condition.as_object()?;
    if map.keys().any(|k| k != "properties" && k != "required") {
        return None;
    }
    let properties = map.get("properties")?.as_object()?;
    let [(name, test)] = properties.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let test = test.as_object()?;
    if test
        .keys()
        .any(|k| k != "const" && k != "enum" && k != "type")
    {
        return None;
    }
    let values = match (test.get("const"), test.get("enum")) {
        (Some(one), None) => vec![one.clone()],
        (None, Some(Value::Array(many))) if !many.is_empty() => many.clone(),
        _ => return None,
    };
    Some((name.clone(), values))
}

/// The members of a schema that only lists `required` ones.
fn only_required(schema: &Value) -> Option<Vec<String>> {
    let map = schema.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let names = map.get("required")?.as_array()?;
    names
        .iter()
        .map(|n| n.as_str().map(str::to_string))
        .collect()
}

fn parent(at: &At) -> At {
    let pointer = at
        .pointer
        .rsplit_once('/')
        .map_or(String::new(), |(head, _)| head.to_string());
    At {
        file: at.file,
        pointer,
    }
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}
