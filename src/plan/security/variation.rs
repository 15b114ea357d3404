//! The one-byte change a spoiled request carries: the payload field the conflict scenario
//! changes, or, for the tampered-body probe, a string only the signature can tell apart.

use serde_json::Value;

use super::Variation;
use crate::contract::{Contract, KeyLocation, Kind, Presence};
use crate::json::Pointer;
use crate::rules;

/// The conflict scenario's payload field of `request`, changed by one byte, when that keeps the
/// request valid.
pub(super) fn payload(contract: &Contract, request: &Value) -> Option<Variation> {
    let at = crate::plan::idempotency::payload_field(contract, request)?;
    let sent = changed_last(at.get(request)?.as_str()?)?;
    let mut varied = request.clone();
    at.set(&mut varied, Value::String(sent.clone()));
    let valid = rules::broken(&contract.types, &contract.document, &varied).is_empty();
    valid.then(|| Variation {
        field: at.segments()[1..].join("."),
        at,
        sent,
    })
}

/// A variation of `request` for the tampered-body probe: the last top-level string of the body
/// (not the idempotency key, not a single-use value; optional free text first, which is the
/// least likely to name something to look up) whose last letter or digit can change with the
/// request staying valid, so that only the signature can tell the two apart.
pub(super) fn tampered(contract: &Contract, request: &Value) -> Option<Variation> {
    let body = request.get("body")?.as_object()?;
    let key = contract.idempotency.as_ref().and_then(|i| match &i.key_in {
        KeyLocation::Body(pointer) => Some(pointer.to_string()),
        KeyLocation::Header(_) => None,
    });
    let single_use: Vec<String> = contract
        .single_use
        .iter()
        .map(|s| s.pointer.to_string())
        .collect();
    // 0: optional free text, 1: required free text, 2: anything else.
    let rank = |name: &str| {
        let field = contract
            .request()
            .objects
            .fields
            .iter()
            .find(|f| f.name == name);
        let free = field.is_some_and(|f| {
            f.schema.kinds == [Kind::String]
                && f.schema.enum_values.is_none()
                && f.schema.strings.pattern.is_none()
                && f.schema.strings.format.is_none()
        });
        match field {
            Some(f) if free && f.presence == Presence::Optional => 0,
            Some(_) if free => 1,
            _ => 2,
        }
    };
    let mut candidates: Vec<(&String, &str)> = body
        .iter()
        .rev()
        .filter_map(|(name, value)| Some((name, value.as_str()?)))
        .filter(|(name, _)| key.as_deref() != Some(&format!("/{name}")))
        .filter(|(name, _)| !single_use.contains(&format!("/body/{name}")))
        .collect();
    candidates.sort_by_key(|(name, _)| rank(name));
    candidates.into_iter().find_map(|(name, value)| {
        let sent = changed_last(value)?;
        let at = Pointer::root().child("body").child(name);
        let mut tampered = request.clone();
        at.set(&mut tampered, Value::String(sent.clone()));
        rules::broken(&contract.types, &contract.document, &tampered)
            .is_empty()
            .then(|| Variation {
                at,
                field: name.clone(),
                sent,
            })
    })
}

/// `text` with its last ASCII letter or digit replaced by the next one of its kind (`9` → `0`,
/// `z` → `a`): one byte changed, the same length and the same character classes. `None` when
/// it has no ASCII letter or digit.
pub(crate) fn changed_last(text: &str) -> Option<String> {
    let (at, c) = text
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_ascii_alphanumeric())?;
    let next = match c {
        '9' => '0',
        'z' => 'a',
        'Z' => 'A',
        c => (c as u8 + 1) as char,
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..at]);
    out.push(next);
    out.push_str(&text[at + 1..]);
    Some(out)
}
