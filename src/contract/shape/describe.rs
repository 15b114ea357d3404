//! Words for the shape check's messages: what the format expects at a place, what the file
//! holds there, and the valid name closest to a misspelt one.

use jsonc_parser::ast::Value as Node;
use serde_json::{Map, Value};

use super::{Walker, any_of, type_names};

/// Longest rendering of a found value in a message.
const SHOWN: usize = 40;

/// What `schema` expects, in words: `a whole number of 0 or more`, `a string or an array of
/// strings`, `one of `allow`, `reject``.
pub(super) fn expected(walker: &Walker<'_>, schema: &'static Map<String, Value>) -> String {
    if let Some(branches) = any_of(schema) {
        return alternatives(walker, branches);
    }
    if let Some(value) = schema.get("const") {
        return format!("`{}`", keyword(value));
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        return one_of(values);
    }
    let types = type_names(schema);
    let shown: Vec<&str> = match types.iter().filter(|t| **t != "null").count() {
        0 => types,
        _ => types.into_iter().filter(|t| *t != "null").collect(),
    };
    if shown.is_empty() {
        return "a value".into();
    }
    let phrases: Vec<String> = shown.iter().map(|t| phrase(walker, t, schema)).collect();
    phrases.join(" or ")
}

/// What a list of alternatives expects (a `null` alternative is left unsaid unless alone).
pub(super) fn alternatives(walker: &Walker<'_>, branches: &'static [Value]) -> String {
    if let Some(values) = walker.keywords(branches) {
        let values: Vec<Value> = values.into_iter().map(Value::String).collect();
        return one_of(&values);
    }
    let mut phrases: Vec<String> = Vec::new();
    for branch in branches {
        let text = match walker.resolve(branch) {
            Some(resolved) => expected(walker, resolved),
            None => "any value".into(),
        };
        if !phrases.contains(&text) {
            phrases.push(text);
        }
    }
    if phrases.len() > 1 {
        phrases.retain(|p| p != "`null`");
    }
    phrases.join(" or ")
}

fn phrase(walker: &Walker<'_>, ty: &str, schema: &'static Map<String, Value>) -> String {
    match ty {
        "string" => "a string".into(),
        "integer" => whole_number(integer_bounds(schema)),
        "number" => "a number".into(),
        "boolean" => "`true` or `false`".into(),
        "object" => "an object".into(),
        "null" => "`null`".into(),
        "array" => {
            let items = schema.get("items").and_then(|i| walker.resolve(i));
            match items.map(type_names).as_deref() {
                Some(["string"]) => "an array of strings".into(),
                _ => "an array".into(),
            }
        }
        other => format!("a value of type {other}"),
    }
}

fn whole_number((min, max): (i128, i128)) -> String {
    if min == 0 && max >= i128::from(u32::MAX) {
        "a whole number of 0 or more".into()
    } else if min <= i128::from(i64::MIN) {
        "a whole number".into()
    } else {
        format!("a whole number between {min} and {max}")
    }
}

/// The inclusive range of an integer schema, from its `format` and `minimum`/`maximum`.
pub(super) fn integer_bounds(schema: &Map<String, Value>) -> (i128, i128) {
    let (mut min, mut max) = match schema.get("format").and_then(Value::as_str) {
        Some("uint8") => (0, i128::from(u8::MAX)),
        Some("uint16") => (0, i128::from(u16::MAX)),
        Some("uint32") => (0, i128::from(u32::MAX)),
        Some("uint64" | "uint") => (0, i128::from(u64::MAX)),
        Some("int8") => (i128::from(i8::MIN), i128::from(i8::MAX)),
        Some("int16") => (i128::from(i16::MIN), i128::from(i16::MAX)),
        Some("int32") => (i128::from(i32::MIN), i128::from(i32::MAX)),
        _ => (i128::from(i64::MIN), i128::from(u64::MAX)),
    };
    if let Some(low) = schema.get("minimum").and_then(whole) {
        min = min.max(low);
    }
    if let Some(high) = schema.get("maximum").and_then(whole) {
        max = max.min(high);
    }
    (min, max)
}

fn whole(value: &Value) -> Option<i128> {
    value
        .as_i64()
        .map(i128::from)
        .or_else(|| value.as_u64().map(i128::from))
        .or_else(|| value.as_f64().map(|f| f as i128))
}

/// What the file holds, in words: `the string "32"`, `an object`.
pub(super) fn found(node: &Node<'_>) -> String {
    match node {
        Node::StringLit(text) => {
            let shown = abbreviate(&text.value);
            format!(
                "the string {}",
                serde_json::to_string(&shown).unwrap_or_default()
            )
        }
        Node::NumberLit(number) => format!("the number {}", abbreviate(number.value)),
        Node::BooleanLit(b) => format!("`{}`", b.value),
        Node::NullKeyword(_) => "`null`".into(),
        Node::Object(_) => "an object".into(),
        Node::Array(_) => "an array".into(),
    }
}

/// The fix for a number or boolean written as a string, when that is what is expected.
pub(super) fn quoted_hint(node: &Node<'_>, expected: &str) -> Option<String> {
    let Node::StringLit(text) = node else {
        return None;
    };
    let text = text.value.trim();
    let number = serde_json::from_str::<serde_json::Number>(text).is_ok();
    let boolean = text == "true" || text == "false";
    let wants_number = expected.contains("number");
    let wants_boolean = expected.contains("`true`");
    ((number && wants_number) || (boolean && wants_boolean))
        .then(|| format!("write it without quotes: {text}"))
}

/// The name in `known` a contract author most likely meant by `name`: the same letters up to
/// case and separators (`max_length`), or a few edits away (`requried`, `maxLenght`).
pub(crate) fn suggest(name: &str, known: &[&str]) -> Option<String> {
    let folded = fold(name);
    if let Some(same) = known.iter().find(|k| fold(k) == folded) {
        return Some(same.to_string());
    }
    let limit = (name.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| {
            (
                strsim::osa_distance(&name.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k.to_string())
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

fn one_of(values: &[Value]) -> String {
    let listed: Vec<String> = values.iter().map(|v| format!("`{}`", keyword(v))).collect();
    format!("one of {}", listed.join(", "))
}

fn keyword(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn abbreviate(text: &str) -> String {
    if text.chars().count() <= SHOWN {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(SHOWN).collect();
    cut.push('…');
    cut
}
