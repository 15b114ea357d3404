//! Reading parameter text into the JSON type a definition accepts.

use serde_json::{Number, Value};

use crate::contract::{Kind, Schema, Types};

/// The value `texts` stand for under `schema`: an array when the definition accepts arrays
/// (one element per repeated key), else the first scalar kind the text parses as (integer,
/// number, boolean), else the text itself. Text that fits no accepted kind stays text, so the
/// validator reports the type it should have had. Several texts for a scalar stay a list.
pub(crate) fn coerce(types: &Types, schema: &Schema, texts: &[&str]) -> Value {
    let kinds = resolved(types, schema, 0);
    if let Some((_, array)) = kinds.iter().find(|(k, _)| *k == Kind::Array) {
        let items = array.arrays.items.as_deref();
        let values = texts
            .iter()
            .map(|t| match items {
                Some(items) => scalar(&resolved(types, items, 0), t),
                None => Value::String(t.to_string()),
            })
            .collect();
        return Value::Array(values);
    }
    match texts {
        [one] => scalar(&kinds, one),
        many => Value::Array(many.iter().map(|t| Value::String(t.to_string())).collect()),
    }
}

fn scalar(kinds: &[(Kind, &Schema)], text: &str) -> Value {
    let parsed = kinds.iter().find_map(|(kind, _)| match kind {
        Kind::Integer => integer(text),
        Kind::Number => number(text),
        Kind::Boolean => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    });
    parsed.unwrap_or_else(|| Value::String(text.to_string()))
}

/// Digits with an optional minus sign, as JSON writes integers (no `+`, no spaces, no `1e3`).
fn integer(text: &str) -> Option<Value> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    serde_json::from_str::<Number>(text).ok().map(Value::Number)
}

/// A JSON number literal (`1`, `1.5`, `-2e3`); `NaN`, `inf` and friends are text.
fn number(text: &str) -> Option<Value> {
    if text.starts_with('+') || text.trim() != text {
        return None;
    }
    serde_json::from_str::<Number>(text).ok().map(Value::Number)
}

/// The built-in kinds of `schema` with the schema holding their rules, named types resolved.
fn resolved<'a>(types: &'a Types, schema: &'a Schema, depth: usize) -> Vec<(Kind, &'a Schema)> {
    let mut out = Vec::new();
    for kind in &schema.kinds {
        match kind {
            Kind::Named(id) if depth < 16 => {
                out.extend(resolved(types, &types.get(*id).schema, depth + 1));
            }
            Kind::Named(_) => {}
            builtin => out.push((*builtin, schema)),
        }
    }
    out
}
