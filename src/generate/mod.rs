//! Making up values that fit a schema: the reference implementation's responses, and request
//! fields a generated case needs that the base example lacks.
//!
//! Every candidate is re-checked with [`crate::rules::validate`]; when nothing fits, the caller
//! gets `None` rather than a value that would break the contract it claims to honour.

mod pattern;

use serde_json::{Map, Number, Value};

use crate::contract::schema::{Kind, Schema, StringRules, Types};
use crate::rules;

pub use pattern::sample as sample_pattern;

/// Value used for `date-time` strings that have no example.
pub const SAMPLE_DATE_TIME: &str = "2024-01-01T00:00:00+08:00";

/// Deepest nesting followed; deeper required fields mean a recursive type with no way out.
const MAX_DEPTH: usize = 16;

/// What to make.
#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    /// Include optional fields too (for "all optional fields present" cases).
    pub include_optional: bool,
    /// The result status the document will carry, deciding `requiredOn` fields.
    pub status: Option<&'a str>,
    /// A token strings should contain to be unique (card numbers, ids); ignored where a pattern
    /// or enum decides the value.
    pub unique: Option<&'a str>,
}

/// A value fitting `schema`, or `None` when none could be made.
pub fn value(types: &Types, schema: &Schema, options: &Options<'_>) -> Option<Value> {
    make(types, schema, options, 0)
}

fn make(types: &Types, schema: &Schema, options: &Options<'_>, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let unique_wanted = options.unique.is_some() && schema.kinds.contains(&Kind::String);
    let mut candidates = Vec::new();
    if let Some(example) = &schema.example
        && !unique_wanted
    {
        candidates.push(example.clone());
    }
    if let Some(first) = schema.enum_values.as_ref().and_then(|v| v.first()) {
        candidates.push(first.clone());
    }
    for kind in &schema.kinds {
        if let Some(made) = make_kind(types, schema, *kind, options, depth) {
            candidates.push(made);
        }
    }
    candidates
        .into_iter()
        .find(|candidate| rules::validate(types, schema, candidate, options.status).is_empty())
}

fn make_kind(
    types: &Types,
    schema: &Schema,
    kind: Kind,
    options: &Options<'_>,
    depth: usize,
) -> Option<Value> {
    match kind {
        Kind::Named(id) => make(types, &types.get(id).schema, options, depth + 1),
        Kind::String => Some(Value::String(string(&schema.strings, options.unique)?)),
        Kind::Integer | Kind::Number => Some(Value::Number(number(schema))),
        Kind::Boolean => Some(Value::Bool(true)),
        Kind::Null => Some(Value::Null),
        Kind::Object => object(types, schema, options, depth),
        Kind::Array => array(types, schema, options, depth),
    }
}

/// A string of a fitting length, from the pattern when there is one.
pub fn string(rules: &StringRules, unique: Option<&str>) -> Option<String> {
    let min = rules.min_length.unwrap_or(0);
    let max = rules.max_length.unwrap_or(usize::MAX);
    if let Some(pattern) = &rules.pattern {
        return sample_pattern(&pattern.source, min);
    }
    if rules.format.is_some() {
        return Some(SAMPLE_DATE_TIME.to_string());
    }
    let mut text: String = unique
        .unwrap_or("sample")
        .chars()
        .filter(|c| !rules.forbidden.contains(c))
        .collect();
    let filler = ['0', 'x', 'a']
        .into_iter()
        .find(|c| !rules.forbidden.contains(c))?;
    while text.chars().count() < min.max(1) {
        text.push(filler);
    }
    let keep = text.chars().count().saturating_sub(max);
    // Keep the end when cutting: unique tokens end in their sequence number.
    Some(text.chars().skip(keep).collect())
}

fn number(schema: &Schema) -> Number {
    let rules = &schema.numbers;
    let zero = Number::from(0);
    match (&rules.minimum, &rules.maximum) {
        (Some(min), _) if rules::compare(min, &zero).is_gt() => min.clone(),
        (_, Some(max)) if rules::compare(max, &zero).is_lt() => max.clone(),
        _ => zero,
    }
}

fn object(types: &Types, schema: &Schema, options: &Options<'_>, depth: usize) -> Option<Value> {
    let mut map = Map::new();
    for field in &schema.objects.fields {
        let wanted = field.presence.is_required(options.status) || options.include_optional;
        if !wanted {
            continue;
        }
        match make(types, &field.schema, options, depth + 1) {
            Some(value) => {
                map.insert(field.name.clone(), value);
            }
            None if field.presence.is_required(options.status) => return None,
            None => {}
        }
    }
    Some(Value::Object(map))
}

fn array(types: &Types, schema: &Schema, options: &Options<'_>, depth: usize) -> Option<Value> {
    let rules = &schema.arrays;
    let count = rules
        .min_items
        .unwrap_or(0)
        .max(usize::from(options.include_optional));
    let count = count.min(rules.max_items.unwrap_or(usize::MAX));
    let item = match &rules.items {
        Some(items) => make(types, items, options, depth + 1)?,
        None => Value::Null,
    };
    Some(Value::Array(vec![item; count]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::contract_with_request;
    use serde_json::json;

    #[test]
    fn made_up_values_fit_every_rule_of_the_field() {
        let contract = contract_with_request(json!({
            "id": {"type": "string", "required": true, "maxLength": 8, "forbiddenChars": "@#?"},
            "amount": {"type": "Amount", "required": true},
            "when": {"type": "string", "format": "date-time", "required": true},
            "tags": {"type": "array", "minItems": 2, "items": {"type": "string", "enum": ["A", "B"]}, "required": true},
            "note": {"type": "string"}
        }))
        .unwrap();
        let made = value(&contract.types, &contract.request, &Options::default()).unwrap();
        assert_eq!(
            made,
            json!({"id": "sample", "amount": {"value": 0, "currency": "AAA"},
            "when": SAMPLE_DATE_TIME, "tags": ["A", "A"]})
        );
        let all = Options {
            include_optional: true,
            ..Options::default()
        };
        let made = value(&contract.types, &contract.request, &all).unwrap();
        assert!(made.get("note").is_some());
    }

    #[test]
    fn unique_tokens_are_cut_from_the_front_to_fit() {
        let contract = contract_with_request(
            json!({"id": {"type": "string", "required": true, "maxLength": 6}}),
        )
        .unwrap();
        let options = Options {
            unique: Some("C2026000123"),
            ..Options::default()
        };
        let made = value(&contract.types, &contract.request, &options).unwrap();
        assert_eq!(made, json!({"id": "000123"}));
    }
}
