//! String `format`s: `date-time` is a contract format; `date` and `uuid` become patterns (a
//! guess, listed); others are listed as not checked. A typical value is added as the field's
//! `example` where the schema gives none, so values conform makes up look like what the API
//! expects (a made-up `email` that is not an e-mail address would be refused by a real API).

use serde_json::{Map, Value};

use super::flat::Flat;
use super::{Ctx, Note};
use crate::openapi::document::At;
use crate::openapi::report::ItemKind;

/// Formats written as a pattern, with a typical value.
const AS_PATTERN: &[(&str, &str, &str)] = &[
    ("date", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "2024-01-31"),
    (
        "uuid",
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    ),
];

/// Formats not checked, with a typical value for made-up requests.
const TYPICAL: &[(&str, &str)] = &[
    ("email", "user@example.com"),
    ("idn-email", "user@example.com"),
    ("uri", "https://example.com/"),
    ("url", "https://example.com/"),
    ("iri", "https://example.com/"),
    ("uri-reference", "/example"),
    ("hostname", "example.com"),
    ("ipv4", "192.0.2.1"),
    ("ipv6", "2001:db8::1"),
    ("time", "12:00:00Z"),
    ("duration", "P1D"),
    ("byte", "AAAA"),
];

/// Whether `value` is a typical value this import made up for a format (not the document's):
/// an example built from it would be conform's invention, not the API's.
pub(in crate::openapi) fn made_up(value: &Value) -> bool {
    let typical = AS_PATTERN.iter().map(|(_, _, v)| *v);
    let typical = typical.chain(TYPICAL.iter().map(|(_, v)| *v));
    value
        .as_str()
        .is_some_and(|text| typical.into_iter().any(|t| t == text))
}

/// Writes what `format: name` becomes into `def`, noting what is not checked.
pub(super) fn apply(
    name: &str,
    at: &At,
    flat: &Flat,
    def: &mut Map<String, Value>,
    cx: &mut Ctx<'_>,
) {
    let mut note = |kind: ItemKind, message: String| {
        cx.notes.push(Note {
            kind,
            at: at.clone(),
            message,
        })
    };
    if name == "date-time" {
        def.insert("format".into(), Value::String("date-time".into()));
        return;
    }
    if let Some((_, pattern, typical)) = AS_PATTERN.iter().find(|(n, _, _)| *n == name) {
        if flat.pattern.is_some() {
            note(
                ItemKind::NotMapped,
                format!("format `{name}` is not checked beyond the schema's own pattern"),
            );
            return;
        }
        def.insert("pattern".into(), Value::String((*pattern).into()));
        add_example(def, flat, typical);
        note(
            ItemKind::Guess,
            format!("format `{name}` is checked as the pattern `{pattern}`"),
        );
        return;
    }
    let typical = TYPICAL.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    let mut message = format!("format `{name}` is not checked");
    if let Some(value) = typical
        && flat.pattern.is_none()
        && add_example(def, flat, value)
    {
        message.push_str(&format!(" (values conform makes up use `{value}`)"));
    }
    note(ItemKind::NotMapped, message);
}

/// Adds `value` as the example when the schema has none and it fits the length limits.
fn add_example(def: &mut Map<String, Value>, flat: &Flat, value: &str) -> bool {
    let length = value.chars().count() as u64;
    let fits = flat.min_length.is_none_or(|m| length >= m)
        && flat.max_length.is_none_or(|m| length <= m)
        && flat.enum_values.is_none();
    if flat.example.is_some() || !fits {
        return false;
    }
    def.insert("example".into(), Value::String(value.into()));
    true
}
