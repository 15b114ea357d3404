//! Request bodies and responses: the JSON media type chosen, its schema written as the body's
//! `fields`, response headers, and every other media type, link or body shape the contract
//! format cannot hold listed.

use serde_json::{Map, Value, json};

use super::document::At;
use super::operation::Op;
use super::report::ItemKind;
use super::schema::{Ctx, Schemas, Side, ordered};

/// What a request body maps to.
pub(super) enum RequestBody {
    /// No body (none documented, or none that can be described and it is optional).
    None,
    /// `fields`, `unknownFields` and `contentType` of `request`.
    Fields(Map<String, Value>),
    /// A required body the contract cannot describe: the operation is not imported.
    Impossible(String),
}

/// The media type of a JSON body: `application/json` first, then any `+json` type, then a
/// wildcard (a guess).
pub(super) fn json_media(content: &Map<String, Value>) -> Option<String> {
    let lower = |k: &String| k.to_ascii_lowercase();
    let json = content
        .keys()
        .find(|k| lower(k).split(';').next() == Some("application/json"));
    let suffixed = content.keys().find(|k| {
        let base = lower(k);
        let base = base.split(';').next().unwrap_or("");
        base.ends_with("+json") || (base.starts_with("application/") && base.contains("json"))
    });
    let wildcard = content
        .keys()
        .find(|k| matches!(lower(k).as_str(), "*/*" | "application/*"));
    json.or(suffixed).or(wildcard).cloned()
}

/// Maps `requestBody`.
pub(super) fn request(op: &mut Op<'_>, schemas: &mut Schemas<'_>) -> RequestBody {
    let at = op.at.child("requestBody");
    if op.docs.get(&at).is_none() {
        return RequestBody::None;
    }
    let (at, value) = match op.docs.deref(&at) {
        Ok((target, value)) => (target, value.clone()),
        Err(why) => return optional(op, &at, false, format!("request body not mapped: {why}")),
    };
    let required = value.get("required") == Some(&Value::Bool(true));
    if matches!(op.method.as_str(), "GET" | "HEAD") {
        op.note(
            ItemKind::NotMapped,
            &at,
            format!(
                "a body on {} is not mapped: requests are sent without it",
                op.method
            ),
        );
        return RequestBody::None;
    }
    let content = value
        .get("content")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let Some(media) = json_media(&content) else {
        let types: Vec<&str> = content.keys().map(String::as_str).collect();
        let why = format!(
            "request body `{}` is not JSON: contracts describe JSON bodies",
            types.join("`, `")
        );
        return optional(op, &at, required, why);
    };
    other_media(op, &at.child("content"), &content, &media);
    let media_at = at.child("content").child(&media);
    media_keys(op, &media_at);
    if op.docs.get(&media_at.child("schema")).is_none() {
        return optional(
            op,
            &media_at,
            required,
            "the request body has no schema".into(),
        );
    }
    let path = format!("{}.body", op.name);
    let (def, union_note) = top_level(op, schemas, &media_at.child("schema"), Side::Request, path);
    if let Some(message) = union_note {
        op.note(ItemKind::Guess, &media_at.child("schema"), message);
    }
    let Some(mut fields) = object_parts(&def) else {
        let why = format!(
            "the request body is {}, not an object: contracts describe object bodies",
            shape(&def)
        );
        return optional(op, &media_at.child("schema"), required, why);
    };
    match media.to_ascii_lowercase().as_str() {
        "application/json" => {}
        "*/*" | "application/*" => op.note(
            ItemKind::Guess,
            &media_at,
            format!("media type `{media}`: the body is sent as `application/json`"),
        ),
        _ => {
            fields.insert("contentType".into(), Value::String(media.clone()));
        }
    }
    RequestBody::Fields(fields)
}

/// A body that cannot be described: fatal to the operation when required, a note otherwise.
fn optional(op: &mut Op<'_>, at: &At, required: bool, why: String) -> RequestBody {
    if required {
        return RequestBody::Impossible(format!(
            "{why}; the body is required, so no request could be described"
        ));
    }
    op.note(
        ItemKind::NotMapped,
        at,
        format!("{why}; the body is optional and requests are sent without it"),
    );
    RequestBody::None
}

/// The definition of a body schema with its top-level `$ref` expanded (a body is fields, not a
/// named type); a union takes its first branch (a guess, returned as a note).
fn top_level(
    op: &mut Op<'_>,
    schemas: &mut Schemas<'_>,
    at: &At,
    side: Side,
    path: String,
) -> (Map<String, Value>, Option<String>) {
    let mut cx = Ctx {
        side,
        notes: &mut op.notes,
        refs: &mut op.refs,
        inline: false,
        path,
        depth: 0,
    };
    schemas.body(at, &mut cx)
}

/// `fields` and `unknownFields` of an object definition; `None` for any other shape.
fn object_parts(def: &Map<String, Value>) -> Option<Map<String, Value>> {
    let is_object = match def.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(kinds)) => {
            kinds.iter().any(|k| k == "object")
                && kinds.iter().all(|k| k == "object" || k == "null")
        }
        _ => false,
    };
    if !is_object {
        return None;
    }
    let mut out = Map::new();
    out.insert(
        "fields".into(),
        def.get("fields").cloned().unwrap_or_else(|| json!({})),
    );
    if let Some(unknown) = def.get("unknownFields") {
        out.insert("unknownFields".into(), unknown.clone());
    }
    Some(out)
}

fn shape(def: &Map<String, Value>) -> String {
    match def.get("type") {
        Some(Value::String(t)) if t == "array" => "an array".into(),
        Some(Value::String(t)) => format!("of type `{t}`"),
        Some(Value::Array(kinds)) => format!(
            "one of {}",
            kinds
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "of no known type".into(),
    }
}

fn other_media(op: &mut Op<'_>, at: &At, content: &Map<String, Value>, chosen: &str) {
    for media in content.keys().filter(|m| *m != chosen) {
        op.note(
            ItemKind::NotMapped,
            &at.child(media),
            format!("media type `{media}` is not mapped: only `{chosen}` is described"),
        );
    }
}

fn media_keys(op: &mut Op<'_>, at: &At) {
    let Some(map) = op.docs.get(at).and_then(Value::as_object).cloned() else {
        return;
    };
    for key in map.keys() {
        match key.as_str() {
            "schema" | "example" | "examples" => {}
            "encoding" => op.note(
                ItemKind::NotMapped,
                &at.child(key),
                "`encoding` is not mapped".into(),
            ),
            k if k.starts_with("x-") => op.note(
                ItemKind::Ignored,
                &at.child(key),
                format!("extension `{k}` is documentation to conform"),
            ),
            k => op.note(
                ItemKind::NotMapped,
                &at.child(key),
                format!("keyword `{k}` is not mapped"),
            ),
        }
    }
}

/// Maps `responses`: each status (or class, or `default`) with its headers and JSON body.
pub(super) fn responses(op: &mut Op<'_>, schemas: &mut Schemas<'_>) -> Map<String, Value> {
    let at = op.at.child("responses");
    let keys: Vec<String> = op
        .docs
        .get(&at)
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut out = Map::new();
    for key in keys {
        let here = at.child(&key);
        if key.starts_with("x-") {
            op.note(
                ItemKind::Ignored,
                &here,
                format!("extension `{key}` is documentation to conform"),
            );
            continue;
        }
        let Some(status) = status_key(&key) else {
            op.note(
                ItemKind::NotMapped,
                &here,
                format!("`{key}` is not an HTTP status, class or `default`: not mapped"),
            );
            continue;
        };
        if let Some(def) = response(op, schemas, &here, &status) {
            out.insert(status, Value::Object(def));
        }
    }
    out
}

/// `200`, `4XX` (from `4xx` too) or `default`.
fn status_key(key: &str) -> Option<String> {
    let upper = key.to_ascii_uppercase();
    match crate::contract::StatusMatch::parse(key) {
        Some(crate::contract::StatusMatch::Default) => Some("default".into()),
        Some(crate::contract::StatusMatch::Exact(code)) if (100..=599).contains(&code) => {
            Some(code.to_string())
        }
        Some(crate::contract::StatusMatch::Class(_)) => Some(upper),
        _ => None,
    }
}

fn response(
    op: &mut Op<'_>,
    schemas: &mut Schemas<'_>,
    at: &At,
    status: &str,
) -> Option<Map<String, Value>> {
    let (at, value) = match op.docs.deref(at) {
        Ok((target, value)) => (target, value.clone()),
        Err(why) => {
            op.note(
                ItemKind::NotMapped,
                at,
                format!("response not mapped: {why}"),
            );
            return None;
        }
    };
    let mut def = Map::new();
    if let Some(text) = value.get("description").and_then(Value::as_str)
        && !text.is_empty()
    {
        def.insert("description".into(), Value::String(text.into()));
    }
    if let Some(role) = value.get("x-conform-role") {
        def.insert("role".into(), role.clone());
    }
    let headers = response_headers(op, schemas, &at, status);
    if !headers.is_empty() {
        def.insert("headers".into(), Value::Object(headers));
    }
    if let Some(body) = response_body(op, schemas, &at, status) {
        def.extend(body);
    }
    for (key, _) in value.as_object().into_iter().flatten() {
        match key.as_str() {
            "description" | "headers" | "content" | "x-conform-role" => {}
            "links" => op.note(
                ItemKind::NotMapped,
                &at.child(key),
                "`links` are not followed: no flow is derived from them".into(),
            ),
            k if k.starts_with("x-") => op.note(
                ItemKind::Ignored,
                &at.child(key),
                format!("extension `{k}` is documentation to conform"),
            ),
            k => op.note(
                ItemKind::NotMapped,
                &at.child(key),
                format!("keyword `{k}` is not mapped"),
            ),
        }
    }
    Some(def)
}

fn response_headers(
    op: &mut Op<'_>,
    schemas: &mut Schemas<'_>,
    at: &At,
    status: &str,
) -> Map<String, Value> {
    let list = at.child("headers");
    let names: Vec<String> = op
        .docs
        .get(&list)
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut out = Map::new();
    for name in names {
        let here = list.child(&name);
        if name.eq_ignore_ascii_case("content-type") {
            op.note(ItemKind::Ignored, &here, "a `Content-Type` header definition is ignored, as OpenAPI says (the media type is checked)".into());
            continue;
        }
        let Ok((header_at, header)) = op.docs.deref(&here).map(|(a, v)| (a, v.clone())) else {
            op.note(
                ItemKind::NotMapped,
                &here,
                "header not mapped: its `$ref` cannot be followed".into(),
            );
            continue;
        };
        if header.get("schema").is_none() {
            op.note(
                ItemKind::NotMapped,
                &here,
                format!("header `{name}` has no `schema`: not checked"),
            );
            continue;
        }
        let mut cx = Ctx {
            side: Side::Response,
            notes: &mut op.notes,
            refs: &mut op.refs,
            inline: true,
            path: format!("{}.{status}.{name}", op.name),
            depth: 0,
        };
        let mut def = schemas.field(&header_at.child("schema"), &mut cx);
        let scalar = matches!(
            def.get("type").and_then(Value::as_str),
            Some("string" | "integer" | "number" | "boolean")
        );
        if !scalar {
            op.note(
                ItemKind::NotMapped,
                &here,
                format!("header `{name}` is not a single string, number or boolean: not checked"),
            );
            continue;
        }
        if header.get("required") == Some(&Value::Bool(true)) {
            def.insert("required".into(), Value::Bool(true));
        }
        if let Some(text) = header.get("description").and_then(Value::as_str) {
            def.entry("description")
                .or_insert_with(|| Value::String(text.into()));
        }
        out.insert(name, Value::Object(ordered(def)));
    }
    out
}

/// `fields`, `unknownFields` and `contentType` of a response, when its body is a JSON object.
fn response_body(
    op: &mut Op<'_>,
    schemas: &mut Schemas<'_>,
    at: &At,
    status: &str,
) -> Option<Map<String, Value>> {
    let content = op
        .docs
        .get(&at.child("content"))
        .and_then(Value::as_object)
        .cloned()?;
    if content.is_empty() {
        return None;
    }
    let Some(media) = json_media(&content) else {
        let types: Vec<&str> = content.keys().map(String::as_str).collect();
        op.note(
            ItemKind::NotMapped,
            &at.child("content"),
            format!(
                "response body `{}` is not JSON: not checked",
                types.join("`, `")
            ),
        );
        return None;
    };
    other_media(op, &at.child("content"), &content, &media);
    let media_at = at.child("content").child(&media);
    media_keys(op, &media_at);
    op.docs.get(&media_at.child("schema"))?;
    let path = format!("{}.{status}", op.name);
    let (def, union_note) = top_level(op, schemas, &media_at.child("schema"), Side::Response, path);
    if union_note.is_some() {
        op.note(
            ItemKind::NotMapped,
            &media_at.child("schema"),
            "a response body that is one of several schemas is not described: not checked".into(),
        );
        return None;
    }
    let Some(mut parts) = object_parts(&def) else {
        op.note(ItemKind::NotMapped, &media_at.child("schema"), format!("the response body is {}, not an object: contracts describe object bodies, so it is not checked", shape(&def)));
        return None;
    };
    match media.to_ascii_lowercase().as_str() {
        "application/json" => {}
        "*/*" | "application/*" => op.note(
            ItemKind::Guess,
            &media_at,
            format!("media type `{media}`: the body is expected as `application/json`"),
        ),
        _ => {
            parts.insert("contentType".into(), Value::String(media.clone()));
        }
    }
    Some(parts)
}
