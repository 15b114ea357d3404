//! Boundary mutations: requests at the edges of what each rule allows. The implementation must
//! accept every one of them (status `S` for issueCard).

use serde_json::Value;

use super::limits::{self, MAX_LISTED};
use super::negative::{base_string, cycle};
use super::variants::{self, DateTimeParts, MULTIBYTE};
use super::{Mutation, Scope, Site, flatten};
use crate::contract::schema::StringRules;
use crate::contract::{Contract, Kind, Presence, Schema};
use crate::generate::{self, Options};
use crate::json::{Pointer, abbreviate};
use crate::plan::{KeySpec, Patch, StringEdit};

/// Every boundary mutation of one site.
pub(super) fn mutations(contract: &Contract, site: &Site) -> Vec<Mutation> {
    let mut out = Vec::new();
    if site.is_body() {
        out.extend(whole_body(contract, site));
    }
    if site.member && !site.required && site.in_original {
        let body = site.patched(Patch::Remove);
        let detail = format!(
            "no `{}` (optional)",
            site.pointer.last().unwrap_or_default()
        );
        let omitted = site.mutation("omitted", body, KeySpec::Fresh, None, detail);
        out.push(omitted.scoped(Scope::Document));
    }
    if site.schema.is_union() {
        out.extend(branches(contract, site));
    }
    for (kind, rules) in flatten(contract, site.schema) {
        match kind {
            Kind::String => strings(site, &rules.strings, &mut out),
            Kind::Integer | Kind::Number => numbers(site, rules, &mut out),
            Kind::Array => arrays(contract, site, rules, &mut out),
            _ => {}
        }
        enums(site, rules, &mut out);
    }
    out
}

/// The request with only required fields, and with every optional field present.
fn whole_body(contract: &Contract, site: &Site<'_>) -> Vec<Mutation> {
    let body = site.value().cloned().unwrap_or_default();
    let mut minimal = body.clone();
    let mut full = body;
    for field in &contract.request().objects.fields {
        let pointer = Pointer::root().child(&field.name);
        if field.presence == Presence::Optional {
            pointer.remove(&mut minimal);
            if pointer.get(&full).is_none() {
                let all = Options {
                    include_optional: true,
                    ..Options::default()
                };
                if let Some(value) = generate::value(&contract.types, &field.schema, &all) {
                    pointer.set(&mut full, value);
                }
            }
        }
    }
    keep_conditional(contract, &body_of(site), &mut minimal);
    if let Value::Object(map) = &mut full {
        generate::settle(
            &contract.types,
            contract.request(),
            map,
            &Options::default(),
        );
    }
    let mut out = vec![
        site.mutation(
            "minimal",
            site.patched(Patch::Set(minimal)),
            KeySpec::Fresh,
            None,
            "only the required fields".into(),
        ),
        site.mutation(
            "all-optional-present",
            site.patched(Patch::Set(full)),
            KeySpec::Fresh,
            None,
            "every optional field present".into(),
        ),
    ];
    out.iter_mut().for_each(|m| m.field = "body".into());
    out.into_iter().map(|m| m.scoped(Scope::Document)).collect()
}

fn body_of(site: &Site<'_>) -> Value {
    site.value().cloned().unwrap_or_default()
}

/// Puts back into `minimal` the optional fields of `body` that a condition still requires
/// (`authCode` while `grantType` is `AUTHORIZATION_CODE`), with the base's values: "only the
/// required fields" counts those too.
fn keep_conditional(contract: &Contract, body: &Value, minimal: &mut Value) {
    let (Value::Object(body), Value::Object(minimal)) = (body, minimal) else {
        return;
    };
    let fields = &contract.request().objects.fields;
    for _ in 0..=fields.len() {
        let wanted = fields.iter().find(|f| {
            !minimal.contains_key(&f.name)
                && body.contains_key(&f.name)
                && f.conditions
                    .iter()
                    .any(|c| c.effect == crate::contract::Effect::Required && c.holds(minimal))
        });
        let Some(field) = wanted else { return };
        minimal.insert(field.name.clone(), body[&field.name].clone());
    }
}

/// One case per branch of a union, each with a value of that branch only.
fn branches(contract: &Contract, site: &Site) -> Vec<Mutation> {
    site.schema
        .kinds
        .iter()
        .filter_map(|kind| {
            let only = Schema {
                kinds: vec![*kind],
                ..site.schema.clone()
            };
            let fits_now = site
                .value()
                .filter(|v| crate::rules::broken(&contract.types, &only, v).is_empty());
            let value = fits_now
                .cloned()
                .or_else(|| generate::value(&contract.types, &only, &Options::default()))?;
            let name = kind.name(&contract.types);
            let detail = format!("the {name} branch: {}", abbreviate(&value, 48));
            Some(site.replaced(&format!("branch-{}", name_part(name)), value, None, detail))
        })
        .collect()
}

fn strings(site: &Site, rules: &StringRules, out: &mut Vec<Mutation>) {
    let base = base_string(site, rules);
    if let Some(max) = rules.max_length.filter(|max| limits::length_probed(*max)) {
        let fill = variants::ascii_filler(rules, &base, max);
        out.push(site.edited(
            "max-length",
            &base,
            StringEdit::Length { len: max, fill },
            None,
            &format!("{max} characters (max {max})"),
        ));
        let edit = StringEdit::Length {
            len: max,
            fill: MULTIBYTE,
        };
        let what = format!(
            "{max} characters, {} bytes in UTF-8 (max {max} characters)",
            edit.apply(&base).len()
        );
        out.push(site.edited("max-length-multibyte", &base, edit, None, &what));
    }
    if let Some(min) = rules
        .min_length
        .filter(|min| *min > 0 && limits::length_probed(*min))
    {
        let fill = variants::ascii_filler(rules, &base, min);
        out.push(site.edited(
            "min-length",
            &base,
            StringEdit::Length { len: min, fill },
            None,
            &format!("{min} characters (min {min})"),
        ));
    }
    if rules.format.is_some() {
        for (rule, value) in DateTimeParts::of(&base).edges() {
            let detail = abbreviate(&Value::String(value.clone()), 40);
            out.push(site.replaced(rule, Value::String(value), None, detail));
        }
    }
}

fn numbers(site: &Site, rules: &Schema, out: &mut Vec<Mutation>) {
    if let Some(min) = &rules.numbers.minimum {
        out.push(site.replaced(
            "minimum",
            Value::Number(min.clone()),
            None,
            format!("{min} (the minimum)"),
        ));
    }
    if let Some(max) = &rules.numbers.maximum {
        out.push(site.replaced(
            "maximum",
            Value::Number(max.clone()),
            None,
            format!("{max} (the maximum)"),
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
        out.push(site.replaced(
            "max-items",
            cycle(&items, max),
            None,
            format!("{max} items (max {max})"),
        ));
    }
    let min = rules.arrays.min_items.unwrap_or(0);
    if !limits::items_probed(min) {
        return;
    }
    let Some(items) = limits::array_probe(contract, site, rules, min) else {
        return;
    };
    out.push(site.replaced(
        "min-items",
        cycle(&items, min),
        None,
        format!("{min} items (the minimum)"),
    ));
}

fn enums(site: &Site, rules: &Schema, out: &mut Vec<Mutation>) {
    for value in rules.enum_values.iter().flatten().take(MAX_LISTED) {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let rule = format!("enum-{}", name_part(&text));
        out.push(site.replaced(
            &rule,
            value.clone(),
            None,
            format!("{value}, an allowed value"),
        ));
    }
}

/// A value as the last part of a case name; an empty value is called `empty`.
pub(super) fn name_part(text: &str) -> String {
    match crate::plan::slug(text) {
        slug if slug.is_empty() => "empty".to_string(),
        slug => slug,
    }
}
