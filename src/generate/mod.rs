//! Making up values that fit a schema: the reference implementation's responses, and request
//! fields a generated case needs that the base example lacks.
//!
//! Every candidate is re-checked with [`crate::rules::validate`]; when nothing fits, the caller
//! gets `None` rather than a value that would break the contract it claims to honour.
//!
//! A contract's own words come first: a field's `example`, then its first `enum` value, then a
//! value made from its type. The one exception is a string slot that must differ between
//! answers (a card number): the caller's unique token goes there, in fields without an example
//! and in the fields it names as volatile (the contract's `snapshot.redact`).
//!
//! Making a value always ends, whatever the contract says: a recursive type is entered again
//! only in its smallest form (optional fields left out, non-recursive union branches first),
//! nesting is capped, and one value costs at most [`MAX_MADE_BYTES`] and a fixed number of
//! steps. When a rule asks for more than that (`minLength: 2147483647`), no value is made.

mod pattern;

use serde_json::{Map, Number, Value};

use crate::contract::schema::{Effect, Field, Kind, Schema, StringRules, TypeId, Types};
use crate::json::Pointer;
use crate::rules;

pub(crate) use pattern::sample as sample_pattern;

/// Value used for `date-time` strings that have no example.
pub(crate) const SAMPLE_DATE_TIME: &str = "2024-01-01T00:00:00+08:00";

/// Most bytes (as [`approx_size`] counts them) of one made-up value.
pub(crate) const MAX_MADE_BYTES: usize = 1 << 20;

/// Deepest nesting made up: a guard, since recursion is already cut at the second visit of a
/// type.
const MAX_DEPTH: usize = 32;

/// Most named types entered at once: a guard (renames are capped when compiling, so a compiled
/// contract never comes near it).
const MAX_ACTIVE: usize = 512;

/// Most definitions visited while making one value: bounds the time of a search through
/// unions whatever their shape.
const MAX_STEPS: usize = 100_000;

/// What to make.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options<'a> {
    /// Include optional fields too (for "all optional fields present" cases).
    pub include_optional: bool,
    /// The result status the document will carry, deciding `requiredOn` fields.
    pub status: Option<&'a str>,
    /// A token strings should contain to be unique (card numbers, ids); used in string fields
    /// without an `example` and in the `volatile` ones, ignored where a pattern or enum decides
    /// the value.
    pub unique: Option<&'a str>,
    /// Fields whose values change on every answer (patterns, `*` matching any segment): they
    /// get the unique token even where the contract gives an example.
    pub volatile: &'a [Pointer],
}

/// A value fitting `schema`, or `None` when none could be made.
pub(crate) fn value(types: &Types, schema: &Schema, options: &Options<'_>) -> Option<Value> {
    let mut maker = Maker {
        types,
        options,
        active: Vec::new(),
        path: Vec::new(),
        steps: MAX_STEPS,
        bytes: MAX_MADE_BYTES,
    };
    maker.make(schema, options.include_optional)
}

struct Maker<'a> {
    types: &'a Types,
    options: &'a Options<'a>,
    /// Named types being made, outermost first.
    active: Vec<TypeId>,
    /// Member names (and `0` for array elements) from the root to the value being made.
    path: Vec<String>,
    steps: usize,
    bytes: usize,
}

impl<'a> Maker<'a> {
    fn make(&mut self, schema: &Schema, optional: bool) -> Option<Value> {
        if self.steps == 0 || self.path.len() > MAX_DEPTH || self.active.len() > MAX_ACTIVE {
            return None;
        }
        self.steps -= 1;
        let unique = self.unique_here(schema);
        if let Some(example) = schema.example.as_ref().filter(|_| unique.is_none())
            && self.charge(approx_size(example))
            && self.fits(schema, example)
        {
            return Some(example.clone());
        }
        if let Some(first) = schema.enum_values.as_ref().and_then(|v| v.first())
            && self.fits(schema, first)
        {
            return Some(first.clone());
        }
        for kind in self.ordered(&schema.kinds) {
            if let Some(made) = self.make_kind(schema, kind, optional, unique)
                && self.fits(schema, &made)
            {
                return Some(made);
            }
        }
        None
    }

    /// The unique token, when this string slot takes one.
    fn unique_here(&self, schema: &Schema) -> Option<&'a str> {
        let token = self.options.unique?;
        let string = schema.kinds.contains(&Kind::String);
        let volatile = || self.options.volatile.iter().any(|p| p.matches(&self.path));
        (string && (schema.example.is_none() || volatile())).then_some(token)
    }

    /// Kinds in contract order, except that a type already being made comes last: its other
    /// branches end the recursion sooner.
    fn ordered(&self, kinds: &[Kind]) -> Vec<Kind> {
        let recursive = |k: &Kind| matches!(k, Kind::Named(id) if self.active.contains(id));
        let (again, first): (Vec<Kind>, Vec<Kind>) = kinds.iter().partition(|k| recursive(k));
        first.into_iter().chain(again).collect()
    }

    fn make_kind(
        &mut self,
        schema: &Schema,
        kind: Kind,
        optional: bool,
        unique: Option<&'a str>,
    ) -> Option<Value> {
        match kind {
            Kind::Named(id) => {
                // A type met again inside itself is made in its smallest form.
                let again = self.active.contains(&id);
                self.active.push(id);
                let made = self.make(&self.types.get(id).schema, optional && !again);
                self.active.pop();
                made
            }
            Kind::String => {
                let text = string(&schema.strings, unique)?;
                self.charge(text.len()).then_some(Value::String(text))
            }
            Kind::Integer | Kind::Number => Some(Value::Number(number(schema))),
            Kind::Boolean => Some(Value::Bool(true)),
            Kind::Null => Some(Value::Null),
            Kind::Object => self.object(schema, optional),
            Kind::Array => self.array(schema, optional),
        }
    }

    fn object(&mut self, schema: &Schema, optional: bool) -> Option<Value> {
        let mut map = Map::new();
        for field in &schema.objects.fields {
            let required = field.presence.is_required(self.options.status);
            if !required && !optional {
                continue;
            }
            self.path.push(field.name.clone());
            let made = self.make(&field.schema, optional);
            self.path.pop();
            match made {
                Some(value) => {
                    map.insert(field.name.clone(), value);
                }
                None if required => return None,
                None => {}
            }
        }
        self.settle(&schema.objects.fields, &mut map)
            .then_some(Value::Object(map))
    }

    /// Makes `map` keep the conditional rules of `fields`: a field a condition requires is made
    /// up and added, one a condition forbids is removed. Adding or removing a field can change
    /// what holds, so this goes round until nothing changes (at most once per field, plus one);
    /// false when a rule still does not hold.
    fn settle(&mut self, fields: &[Field], map: &mut Map<String, Value>) -> bool {
        if fields.iter().all(|f| f.conditions.is_empty()) {
            return true;
        }
        for _ in 0..=fields.len() {
            let mut changed = false;
            for field in fields {
                let present = map.contains_key(&field.name);
                let effect = if present {
                    Effect::Forbidden
                } else {
                    Effect::Required
                };
                if !field
                    .conditions
                    .iter()
                    .any(|c| c.effect == effect && c.holds(map))
                {
                    continue;
                }
                changed = true;
                if present {
                    map.remove(&field.name);
                    continue;
                }
                self.path.push(field.name.clone());
                let made = self.make(&field.schema, false);
                self.path.pop();
                match made {
                    Some(value) => {
                        map.insert(field.name.clone(), value);
                    }
                    None => return false,
                }
            }
            if !changed {
                return true;
            }
        }
        false
    }

    fn array(&mut self, schema: &Schema, optional: bool) -> Option<Value> {
        let rules = &schema.arrays;
        let count = rules.min_items.unwrap_or(0).max(usize::from(optional));
        let count = count.min(rules.max_items.unwrap_or(usize::MAX));
        if count == 0 {
            return Some(Value::Array(Vec::new()));
        }
        self.path.push("0".into());
        let item = match &rules.items {
            Some(items) => self.make(items, optional),
            None => Some(Value::Null),
        };
        self.path.pop();
        let item = item?;
        let copies = approx_size(&item).saturating_mul(count - 1);
        self.charge(copies).then(|| Value::Array(vec![item; count]))
    }

    /// Takes `bytes` from the budget; false when it is spent.
    fn charge(&mut self, bytes: usize) -> bool {
        match self.bytes.checked_sub(bytes) {
            Some(left) => {
                self.bytes = left;
                true
            }
            None => false,
        }
    }

    fn fits(&self, schema: &Schema, value: &Value) -> bool {
        rules::validate(self.types, schema, value, self.options.status).is_empty()
    }
}

/// Makes `map`, an object of `schema`, keep its fields' conditional rules (see
/// [`Options`] for how values are made); false when it cannot.
pub(crate) fn settle(
    types: &Types,
    schema: &Schema,
    map: &mut Map<String, Value>,
    options: &Options<'_>,
) -> bool {
    let mut maker = Maker {
        types,
        options,
        active: Vec::new(),
        path: Vec::new(),
        steps: MAX_STEPS,
        bytes: MAX_MADE_BYTES,
    };
    maker.settle(&schema.objects.fields, map)
}

/// A string of a fitting length, from the pattern when there is one; `None` when the rules
/// exclude every candidate or ask for more than [`MAX_MADE_BYTES`].
pub(crate) fn string(rules: &StringRules, unique: Option<&str>) -> Option<String> {
    let min = rules.min_length.unwrap_or(0);
    let max = rules.max_length.unwrap_or(usize::MAX);
    if min > MAX_MADE_BYTES {
        return None;
    }
    if let Some(pattern) = &rules.pattern {
        let sample = sample_pattern(&pattern.source, min)?;
        return Some(match unique {
            Some(token) => unique_within(&sample, token, rules).unwrap_or(sample),
            None => sample,
        });
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
    let count = text.chars().count();
    text.extend(std::iter::repeat_n(
        filler,
        min.max(1).saturating_sub(count),
    ));
    let keep = text.chars().count().saturating_sub(max);
    // Keep the end when cutting: unique tokens end in their sequence number.
    Some(text.chars().skip(keep).collect())
}

/// `sample` (which fits the pattern) with as much of the unique token as still fits put at its
/// end, so ids made up for a pattern (`card_[A-Za-z0-9]{8,32}`) are unique too; `None` when no
/// part of the token fits.
fn unique_within(sample: &str, token: &str, rules: &StringRules) -> Option<String> {
    let pattern = rules.pattern.as_ref()?;
    let fits = |text: &str| {
        let count = text.chars().count();
        pattern.regex.is_match(text)
            && rules.min_length.is_none_or(|min| count >= min)
            && rules.max_length.is_none_or(|max| count <= max)
    };
    let chars: Vec<char> = sample.chars().collect();
    let token: Vec<char> = token.chars().collect();
    (1..=token.len()).rev().find_map(|take| {
        let tail: String = token[token.len() - take..].iter().collect();
        let kept = chars.len().saturating_sub(take);
        let replaced: String = chars[..kept].iter().collect::<String>() + &tail;
        let appended = format!("{sample}{tail}");
        [replaced, appended]
            .into_iter()
            .find(|candidate| fits(candidate))
    })
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

/// Roughly how many bytes `value` takes in memory (never less than as JSON text), without
/// walking more than the value: what the size caps of made-up values and probes count.
pub(crate) fn approx_size(value: &Value) -> usize {
    // A JSON value is 32 bytes wherever it sits; an object member adds its key and about as
    // much again for the map's bookkeeping.
    const NODE: usize = 32;
    match value {
        Value::String(text) => NODE + text.len(),
        Value::Array(items) => NODE + items.iter().map(approx_size).sum::<usize>(),
        Value::Object(map) => {
            let members = map.iter().map(|(k, v)| k.len() + NODE + approx_size(v));
            NODE + members.sum::<usize>()
        }
        _ => NODE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
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

    /// A contract with `response` fields (and the request of [`contract_with_request`]).
    fn contract_with(types: serde_json::Value, fields: serde_json::Value) -> Contract {
        let mut text: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/valid/minimal.json")).unwrap();
        text["examples"] = json!([]);
        text["types"]
            .as_object_mut()
            .unwrap()
            .extend(types.as_object().unwrap().clone());
        text["request"]["fields"]
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        let text = serde_json::to_string_pretty(&text).unwrap();
        crate::contract::load_str(std::path::Path::new("t.json"), text)
            .unwrap_or_else(|e| panic!("{}", crate::contract::ContractErrors(e).render()))
    }

    #[test]
    fn string_examples_are_used_and_the_unique_token_goes_where_there_is_none() {
        let contract = contract_with(
            json!({}),
            json!({
                "cardNo": {"type": "string", "required": true},
                "extendInfo": {"type": "string", "required": true, "example": "{\"tier\":\"gold\"}"},
                "ref": {"type": "string", "required": true, "example": "R-1"}
            }),
        );
        let volatile = [Pointer::parse("/ref").unwrap()];
        let options = Options {
            unique: Some("999"),
            volatile: &volatile,
            ..Options::default()
        };
        let made = value(&contract.types, &contract.request, &options).unwrap();
        assert_eq!(made["cardNo"], "999");
        assert_eq!(made["extendInfo"], "{\"tier\":\"gold\"}");
        assert_eq!(
            made["ref"], "999",
            "a volatile field is unique despite its example"
        );
    }

    #[test]
    fn recursive_types_are_made_in_their_smallest_form_inside_themselves() {
        let contract = contract_with(
            json!({"Tree": {"type": "object", "fields": {
                "value": {"type": "string", "required": true},
                "left": {"type": "Tree"}, "right": {"type": "Tree"},
                "children": {"type": "array", "items": {"type": "Tree"}},
                "parent": {"type": ["Tree", "null"], "required": true}}}}),
            json!({"tree": {"type": "Tree", "required": true}}),
        );
        let all = Options {
            include_optional: true,
            ..Options::default()
        };
        let made = value(&contract.types, &contract.request, &all).unwrap();
        let tree = &made["tree"];
        assert_eq!(tree["parent"], serde_json::Value::Null);
        assert_eq!(
            tree["left"],
            json!({"value": "sample", "parent": null}),
            "the second Tree is the smallest one"
        );
        assert_eq!(
            tree["children"],
            json!([{"value": "sample", "parent": null}])
        );
    }

    #[test]
    fn rules_asking_for_more_than_the_budget_make_no_value_quickly() {
        let contract = contract_with(
            json!({}),
            json!({
                "huge": {"type": "string", "required": true, "minLength": 2147483647u64},
                "many": {"type": "array", "required": true, "minItems": 4000000000u64,
                         "items": {"type": "string", "minLength": 1000}}
            }),
        );
        let started = std::time::Instant::now();
        for field in &contract.request.objects.fields[2..] {
            assert_eq!(
                value(&contract.types, &field.schema, &Options::default()),
                None,
                "{}",
                field.name
            );
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
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
