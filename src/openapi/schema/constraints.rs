//! String, number and enum constraints of a [`Flat`] schema, written only where they apply and
//! only in a form the contract compiler accepts: an exclusive bound becomes an inclusive one on
//! integers (and is noted elsewhere), a pattern Rust's `regex` cannot compile is noted, enum
//! values of another type than the schema's are left out.

use serde_json::{Map, Number, Value};

use super::emit::{json_kind, not_applicable, put_count};
use super::flat::{Bound, Flat};
use super::{Ctx, Note};
use crate::openapi::document::At;
use crate::openapi::report::ItemKind;

pub(super) fn strings(
    flat: &Flat,
    applies: bool,
    def: &mut Map<String, Value>,
    cx: &mut Ctx<'_>,
    at: &At,
    note: impl Fn(&mut Ctx<'_>, &At, String),
) {
    let given = flat.min_length.is_some()
        || flat.max_length.is_some()
        || flat.pattern.is_some()
        || flat.format.is_some()
        || flat.forbidden_chars.is_some();
    if !applies {
        if given {
            not_applicable(
                cx,
                at,
                "string constraints (`minLength`, `maxLength`, `pattern`, `format`)",
            );
        }
        return;
    }
    match (flat.min_length, flat.max_length) {
        (Some(min), Some(max)) if min > max => {
            not_applicable(cx, at, "`minLength` above `maxLength`")
        }
        (min, max) => {
            put_count(def, "minLength", min);
            put_count(def, "maxLength", max);
        }
    }
    if let Some(chars) = &flat.forbidden_chars {
        def.insert("forbiddenChars".into(), Value::String(chars.clone()));
    }
    if let Some(pattern) = &flat.pattern {
        match regex::Regex::new(pattern) {
            Ok(_) => {
                def.insert("pattern".into(), Value::String(pattern.clone()));
            }
            Err(err) => {
                let why = err
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                note(
                    cx,
                    &at.child("pattern"),
                    format!(
                        "pattern `{pattern}` is not mapped: conform's regular expressions do not support it ({why})"
                    ),
                );
            }
        }
    }
    if let Some((format_at, name)) = &flat.format {
        super::formats::apply(name, format_at, flat, def, cx);
    }
}

pub(super) fn numbers(
    flat: &Flat,
    (integer, number): (bool, bool),
    def: &mut Map<String, Value>,
    cx: &mut Ctx<'_>,
    at: &At,
) {
    if !(integer || number) {
        if flat.minimum.is_some() || flat.maximum.is_some() {
            not_applicable(cx, at, "numeric bounds (`minimum`, `maximum`)");
        }
        return;
    }
    let only_integers = integer && !number;
    let min = flat
        .minimum
        .as_ref()
        .and_then(|b| inclusive(b, only_integers, true, cx));
    let max = flat
        .maximum
        .as_ref()
        .and_then(|b| inclusive(b, only_integers, false, cx));
    if let (Some(lo), Some(hi)) = (&min, &max)
        && crate::rules::compare(lo, hi).is_gt()
    {
        not_applicable(cx, at, "`minimum` above `maximum`");
        return;
    }
    if let Some(lo) = min {
        def.insert("minimum".into(), Value::Number(lo));
    }
    if let Some(hi) = max {
        def.insert("maximum".into(), Value::Number(hi));
    }
}

/// An inclusive bound: an exclusive one on integers moves by one; on numbers it cannot be said.
fn inclusive(bound: &Bound, only_integers: bool, lower: bool, cx: &mut Ctx<'_>) -> Option<Number> {
    if !bound.exclusive {
        return Some(bound.value.clone());
    }
    let as_integer = bound.value.as_i64().filter(|_| only_integers);
    match as_integer {
        Some(n) => Some(Number::from(if lower {
            n.saturating_add(1)
        } else {
            n.saturating_sub(1)
        })),
        None => {
            cx.notes.push(Note {
                kind: ItemKind::NotMapped,
                at: bound.at.clone(),
                message: "an exclusive bound on a non-integer is not mapped (contract bounds are inclusive): the bound is not checked".into(),
            });
            None
        }
    }
}

pub(super) fn enum_values(
    flat: &Flat,
    kinds: &[String],
    def: &mut Map<String, Value>,
    cx: &mut Ctx<'_>,
    at: &At,
) {
    let Some(values) = &flat.enum_values else {
        return;
    };
    let fits = |v: &Value| {
        json_kind(v).is_some_and(|k| {
            kinds
                .iter()
                .any(|kind| kind == k || (kind == "number" && k == "integer"))
        })
    };
    let mut kept: Vec<Value> = values.iter().filter(|v| fits(v)).cloned().collect();
    if kept.len() < values.len() {
        cx.notes.push(Note {
            kind: ItemKind::NotMapped,
            at: at.child("enum"),
            message: format!(
                "{} `enum` value(s) of another type than the schema's are left out",
                values.len() - kept.len()
            ),
        });
    }
    // A nullable enum (3.0's `nullable: true` beside `enum`) accepts null, as its authors mean.
    if flat.nullable && !kept.contains(&Value::Null) && !kept.is_empty() {
        kept.push(Value::Null);
    }
    if !kept.is_empty() {
        def.insert("enum".into(), Value::Array(kept));
    }
}
