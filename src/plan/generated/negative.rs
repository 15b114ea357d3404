//! Negative mutations: each breaks exactly one rule of one field. The implementation must
//! reject them (by default HTTP 200, `F`, `PARAM_ILLEGAL`), never accept them, never crash.

use serde_json::{Value, json};

use super::limits::{self, MAX_LISTED};
use super::variants::{self, DateTimeParts, MULTIBYTE};
use super::{Mutation, Scope, Site, flatten};
use crate::contract::Location;
use crate::contract::schema::StringRules;
use crate::contract::{Contract, Kind, Schema};
use crate::json::abbreviate;
use crate::plan::{KeySpec, Patch, StringEdit};
use crate::rules::Rule;

/// The member conform adds when a definition rejects unknown fields.
pub(super) const UNKNOWN_FIELD: &str = "conformUnknownField";

/// Every negative mutation of one site.
pub(super) fn mutations(contract: &Contract, site: &Site) -> Vec<Mutation> {
    let mut out = Vec::new();
    if site.is_body() {
        out.push(not_an_object(site));
    }
    // A path parameter cannot be left out (its segment would go), and a parameter cannot be
    // `null` (it has no text form).
    if site.member && site.required && site.location != Location::Path {
        out.push(missing(site));
    }
    if site.member
        && site.required
        && !site.is_parameter()
        && !site.schema.kinds.contains(&Kind::Null)
    {
        out.push(site.replaced("null", Value::Null, Some(Rule::Type), "null".into()));
    }
    let wrong = if site.is_parameter() {
        variants::wrong_type_as_text(contract, site.schema)
    } else {
        variants::wrong_type(contract, site.schema)
    };
    if site.member
        && let Some(value) = wrong
    {
        let detail = format!(
            "{} instead of {}",
            abbreviate(&value, 20),
            type_names(contract, site.schema)
        );
        out.push(site.replaced("wrong-type", value, Some(Rule::Type), detail));
    }
    let kinds = flatten(contract, site.schema);
    if variants::integer_only(&kinds) {
        let value = variants::fractional(site.value());
        out.push(site.replaced(
            "not-integer",
            value.clone(),
            Some(Rule::Type),
            format!("{value}, not an integer"),
        ));
    }
    for (kind, rules) in &kinds {
        match kind {
            Kind::String => strings(site, &rules.strings, &mut out),
            Kind::Integer | Kind::Number => numbers(site, rules, &mut out),
            Kind::Array => arrays(contract, site, rules, &mut out),
            Kind::Object => unknown_field(site, rules, &mut out),
            _ => {}
        }
        enums(site, rules, &mut out);
    }
    if site.is_key {
        // The mutation replaced the key (or single-use value) itself: a fresh one there would
        // undo it.
        out.iter_mut()
            .filter(|m| m.key == KeySpec::Fresh)
            .for_each(|m| m.key = KeySpec::Except(site.pointer.clone()));
    }
    out
}

fn not_an_object(site: &Site) -> Mutation {
    let detail = "a JSON array instead of an object".to_string();
    let mut m = site.mutation(
        "not-an-object",
        site.patched(Patch::Set(json!([]))),
        KeySpec::Keep,
        Some(Rule::Type),
        detail,
    );
    m.field = "body".into();
    m
}

fn missing(site: &Site) -> Mutation {
    let detail = format!("no `{}`", site.pointer.last().unwrap_or_default());
    site.mutation(
        "missing",
        site.patched(Patch::Remove),
        KeySpec::Fresh,
        Some(Rule::Required),
        detail,
    )
    .scoped(Scope::Missing)
}

fn strings(site: &Site, rules: &StringRules, out: &mut Vec<Mutation>) {
    let base = base_string(site, rules);
    if let Some(max) = rules.max_length.filter(|max| limits::length_probed(*max)) {
        let len = max + 1;
        let filler = variants::ascii_filler(rules, &base, max);
        let what = format!("{len} characters (max {max})");
        out.push(site.edited(
            "too-long",
            &base,
            StringEdit::Length { len, fill: filler },
            Some(Rule::MaxLength),
            &what,
        ));
        let edit = StringEdit::Length {
            len,
            fill: MULTIBYTE,
        };
        let bytes = edit.apply(&base).len();
        let what = format!("{len} characters, {bytes} bytes in UTF-8 (max {max} characters)");
        out.push(site.edited(
            "too-long-multibyte",
            &base,
            edit,
            Some(Rule::MaxLength),
            &what,
        ));
    }
    if let Some(min) = rules
        .min_length
        .filter(|min| *min > 0 && limits::length_probed(*min))
    {
        let len = min - 1;
        let filler = variants::ascii_filler(rules, &base, len);
        let what = format!("{len} characters (min {min})");
        out.push(site.edited(
            "too-short",
            &base,
            StringEdit::Length { len, fill: filler },
            Some(Rule::MinLength),
            &what,
        ));
    }
    for c in rules.forbidden.iter().take(MAX_LISTED) {
        let rule = format!("forbidden-char-{}", variants::char_name(*c));
        let what = format!("`{c}` in the value");
        out.push(site.edited(
            &rule,
            &base,
            StringEdit::Inject(*c),
            Some(Rule::ForbiddenChar),
            &what,
        ));
    }
    if let Some(pattern) = &rules.pattern {
        let candidates = [
            format!("{base}!"),
            "!".to_string(),
            base.to_lowercase(),
            base.to_uppercase(),
            String::new(),
        ];
        if let Some(value) = candidates.into_iter().find(|c| !pattern.regex.is_match(c)) {
            let detail = format!(
                "{} (pattern `{}`)",
                abbreviate(&Value::String(value.clone()), 40),
                pattern.source
            );
            out.push(site.replaced(
                "pattern-mismatch",
                Value::String(value),
                Some(Rule::Pattern),
                detail,
            ));
        }
    }
    if rules.format.is_some() {
        for (rule, value) in DateTimeParts::of(&base).malformed() {
            let detail = abbreviate(&Value::String(value.clone()), 40);
            out.push(site.replaced(rule, Value::String(value), Some(Rule::DateTime), detail));
        }
    }
}

fn numbers(site: &Site, rules: &Schema, out: &mut Vec<Mutation>) {
    if let Some(min) = &rules.numbers.minimum
        && let Some(below) = variants::shifted(min, -1)
    {
        let detail = format!("{below} (minimum {min})");
        out.push(site.replaced(
            "below-minimum",
            Value::Number(below),
            Some(Rule::Minimum),
            detail,
        ));
    }
    if let Some(max) = &rules.numbers.maximum
        && let Some(above) = variants::shifted(max, 1)
    {
        let detail = format!("{above} (maximum {max})");
        out.push(site.replaced(
            "above-maximum",
            Value::Number(above),
            Some(Rule::Maximum),
            detail,
        ));
    }
}

fn arrays(contract: &Contract, site: &Site, rules: &Schema, out: &mut Vec<Mutation>) {
    if let Some(max) = rules
        .arrays
        .max_items
        .filter(|max| limits::items_probed(*max))
        && let Some(items) = limits::array_probe(contract, site, rules, max + 1)
    {
        let detail = format!("{} items (max {max})", max + 1);
        out.push(site.replaced(
            "too-many-items",
            cycle(&items, max + 1),
            Some(Rule::MaxItems),
            detail,
        ));
    }
    if let Some(min) = rules
        .arrays
        .min_items
        .filter(|min| *min > 0 && limits::items_probed(*min))
        && let Some(items) = limits::array_probe(contract, site, rules, min)
    {
        let detail = format!("{} items (min {min})", min - 1);
        out.push(site.replaced(
            "too-few-items",
            cycle(&items, min - 1),
            Some(Rule::MinItems),
            detail,
        ));
    }
}

fn unknown_field(site: &Site, rules: &Schema, out: &mut Vec<Mutation>) {
    if rules.objects.unknown != crate::contract::schema::UnknownFields::Reject {
        return;
    }
    let Some(Value::Object(map)) = site.value() else {
        return;
    };
    let mut map = map.clone();
    map.insert(UNKNOWN_FIELD.into(), json!("x"));
    let detail = format!("an extra field `{UNKNOWN_FIELD}`");
    out.push(site.replaced(
        "unknown-field",
        Value::Object(map),
        Some(Rule::UnknownField),
        detail,
    ));
}

fn enums(site: &Site, rules: &Schema, out: &mut Vec<Mutation>) {
    let Some(allowed) = &rules.enum_values else {
        return;
    };
    let outside = if allowed.iter().all(Value::is_string) {
        json!("NOT_IN_ENUM")
    } else {
        json!(-999_999)
    };
    let detail = format!("{outside}, not one of the allowed values");
    out.push(site.replaced("not-in-enum", outside, Some(Rule::Enum), detail));
    if let Some(Value::String(current)) = site.value() {
        let changed = if current.to_lowercase() != *current {
            current.to_lowercase()
        } else {
            current.to_uppercase()
        };
        let value = Value::String(changed.clone());
        if changed != *current && !allowed.contains(&value) {
            let detail = format!("\"{changed}\" (case changed from \"{current}\")");
            out.push(site.replaced("case-changed", value, Some(Rule::Enum), detail));
        }
    }
}

/// The site's string value, or a made-up one when the base holds another branch of a union.
pub(super) fn base_string(site: &Site, rules: &StringRules) -> String {
    match site.value() {
        Some(Value::String(s)) => s.clone(),
        _ => crate::generate::string(rules, None).unwrap_or_default(),
    }
}

/// `n` elements taken from `items` in turn.
pub(super) fn cycle(items: &[Value], n: usize) -> Value {
    Value::Array(items.iter().cycle().take(n).cloned().collect())
}

fn type_names(contract: &Contract, schema: &Schema) -> String {
    let names: Vec<&str> = schema
        .kinds
        .iter()
        .map(|k| k.name(&contract.types))
        .collect();
    names.join(" or ")
}
