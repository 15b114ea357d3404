//! One OpenAPI operation to one contract: the operations of `paths` listed in document order,
//! named (from `operationId`, else method and path) so names are safe and unique, and each
//! mapped: parameters, body, responses, then the semantics OpenAPI leaves unsaid.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value, json};

use super::body::{self, RequestBody};
use super::document::{At, Documents};
use super::report::ItemKind;
use super::schema::{Note, Schemas};
use super::{examples, params, semantics};

/// HTTP methods a Path Item may hold.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Keys of a Path Item besides its methods.
const PATH_ITEM_KEYS: &[&str] = &["$ref", "summary", "description", "servers", "parameters"];

/// The `x-conform-*` blocks of an exported contract, copied back as they are.
const CARRIED: &[&str] = &[
    "idempotency",
    "credentials",
    "generated",
    "signing",
    "snapshot",
    "resource",
    "examples",
    "skip",
    "unique",
];

/// An operation being mapped, with the notes and named types it has collected.
pub(super) struct Op<'d> {
    pub docs: &'d Documents,
    pub name: String,
    pub method: String,
    pub path: String,
    pub at: At,
    pub item: At,
    pub notes: Vec<Note>,
    pub refs: BTreeSet<String>,
}

impl Op<'_> {
    pub(super) fn note(&mut self, kind: ItemKind, at: &At, message: String) {
        self.notes.push(Note {
            kind,
            at: at.clone(),
            message,
        });
    }
}

/// One operation found in `paths`.
pub(super) struct Found {
    pub path: String,
    pub method: String,
    pub at: At,
    pub item: At,
}

/// A mapped operation: the contract (without `types`), its notes, types used and hints.
pub(super) struct Mapped {
    pub name: String,
    pub at: At,
    pub contract: Map<String, Value>,
    pub notes: Vec<Note>,
    pub refs: BTreeSet<String>,
    pub hints: Vec<String>,
}

/// The operations of the document, in document order; path items' other keys noted.
pub(super) fn list(docs: &Documents, notes: &mut Vec<Note>) -> Vec<Found> {
    let paths = docs.main().child("paths");
    let keys: Vec<String> = docs
        .get(&paths)
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for path in keys {
        let written = paths.child(&path);
        if path.starts_with("x-") {
            notes.push(note(
                ItemKind::Ignored,
                &written,
                format!("extension `{path}` is documentation to conform"),
            ));
            continue;
        }
        let (item, value) = match docs.deref(&written) {
            Ok((at, value)) => (at, value),
            Err(why) => {
                notes.push(note(
                    ItemKind::Skipped,
                    &written,
                    format!("path not imported: {why}"),
                ));
                continue;
            }
        };
        for key in value.as_object().into_iter().flat_map(|m| m.keys()) {
            if METHODS.contains(&key.as_str()) {
                out.push(Found {
                    path: path.clone(),
                    method: key.to_ascii_uppercase(),
                    at: item.child(key),
                    item: item.clone(),
                });
            } else if key.starts_with("x-") {
                notes.push(note(
                    ItemKind::Ignored,
                    &item.child(key),
                    format!("extension `{key}` is documentation to conform"),
                ));
            } else if !PATH_ITEM_KEYS.contains(&key.as_str()) {
                notes.push(note(
                    ItemKind::NotMapped,
                    &item.child(key),
                    format!("`{key}` in a path item is not mapped"),
                ));
            } else if key == "servers" {
                notes.push(note(
                    ItemKind::Ignored,
                    &item.child(key),
                    "`servers`: the target is given with --target".into(),
                ));
            }
        }
    }
    out
}

fn note(kind: ItemKind, at: &At, message: String) -> Note {
    Note {
        kind,
        at: at.clone(),
        message,
    }
}

/// Contract names for the operations: `operationId` made safe, else method and path; unique,
/// also without regard to case (they become file names).
pub(super) fn names(docs: &Documents, found: &[Found], notes: &mut Vec<Note>) -> Vec<String> {
    let mut taken = HashSet::new();
    let mut out = Vec::new();
    for op in found {
        let id_at = op.at.child("operationId");
        let id = docs.get(&id_at).and_then(Value::as_str);
        let wanted = match id {
            Some(id) if !id.trim().is_empty() => examples::safe_name(id.trim()),
            _ => from_path(&op.method, &op.path),
        };
        let mut name = wanted.clone();
        let mut n = 2;
        while !taken.insert(name.to_ascii_lowercase()) {
            name = format!("{wanted}-{n}");
            n += 1;
        }
        match id {
            Some(id) if id != name && name != wanted => notes.push(note(ItemKind::Guess, &id_at, format!("operationId `{id}` is used by another operation (or differs from one only in case): this contract is named `{name}`"))),
            Some(id) if id != name => notes.push(note(ItemKind::Ignored, &id_at, format!("operationId `{id}` is not a safe case name: the contract is named `{name}`"))),
            _ => {}
        }
        out.push(name);
    }
    out
}

/// `get-pets-petId` for `GET /pets/{petId}`.
fn from_path(method: &str, path: &str) -> String {
    let words: Vec<&str> = path
        .split(['/', '{', '}'])
        .filter(|w| !w.is_empty())
        .collect();
    let text = format!("{}-{}", method.to_ascii_lowercase(), words.join("-"));
    examples::safe_name(text.trim_end_matches('-'))
}

/// Maps one operation; `Err` says why it is not imported.
pub(super) fn map(
    docs: &Documents,
    schemas: &mut Schemas<'_>,
    found: &Found,
    name: String,
) -> Result<Mapped, (Vec<Note>, String)> {
    let mut op = Op {
        docs,
        name,
        method: found.method.clone(),
        path: found.path.clone(),
        at: found.at.clone(),
        item: found.item.clone(),
        notes: Vec::new(),
        refs: BTreeSet::new(),
    };
    if let Err(why) = check_path(&op.path) {
        return Err((op.notes, why));
    }
    operation_keys(&mut op);
    let parameters = params::map(&mut op, schemas);
    let request_body = body::request(&mut op, schemas);
    let mut request = Map::new();
    for (key, members) in [
        ("path", &parameters.path),
        ("query", &parameters.query),
        ("headers", &parameters.headers),
    ] {
        if !members.is_empty() {
            request.insert(key.into(), Value::Object(members.clone()));
        }
    }
    let mut media = None;
    match request_body {
        RequestBody::Impossible(why) => return Err((op.notes, why)),
        RequestBody::Fields(parts) => {
            request.extend(parts);
            media = media_at(&op);
        }
        RequestBody::None => {}
    }
    let mut responses = body::responses(&mut op, schemas);
    schemas.drain();
    let mut hints = Vec::new();
    let mut contract = Map::new();
    contract.insert("name".into(), Value::String(op.name.clone()));
    if let Some(text) = description(&op) {
        contract.insert("description".into(), Value::String(text));
    }
    contract.insert(
        "operation".into(),
        json!({"method": op.method, "path": op.path}),
    );
    contract.insert("request".into(), Value::Object(request));
    let carried = |key: &str| {
        docs.get(&found.at.child(&format!("x-conform-{key}")))
            .cloned()
    };
    // An exported contract says everything itself: nothing is guessed.
    let exported = carried("result");
    let guessed = exported.is_none();
    let result = match exported {
        Some(result) => body_result(&mut contract, &mut responses, result),
        None => {
            semantics::ensure_success(&mut op, &mut responses);
            let negative = semantics::negative(&mut op, &mut responses);
            let result = semantics::result(&mut op, schemas, &responses);
            contract.insert("generated".into(), json!({ "negative": negative }));
            result
        }
    };
    if !responses.is_empty() {
        contract.insert("responses".into(), Value::Object(responses.clone()));
    }
    contract.insert("result".into(), result);
    if guessed {
        guesses(
            &mut op,
            &mut contract,
            &parameters,
            &responses,
            media.as_ref(),
            &mut hints,
        );
    }
    for key in CARRIED {
        if let Some(block) = carried(key) {
            contract.insert((*key).into(), block);
        }
    }
    Ok(Mapped {
        name: op.name,
        at: op.at,
        contract: ordered(contract),
        notes: op.notes,
        refs: op.refs,
        hints,
    })
}

/// Idempotency, credentials and examples, as the document suggests them.
fn guesses(
    op: &mut Op<'_>,
    contract: &mut Map<String, Value>,
    parameters: &params::Parameters,
    responses: &Map<String, Value>,
    media: Option<&At>,
    hints: &mut Vec<String>,
) {
    if let Some(block) = semantics::idempotency(op, &parameters.headers, responses) {
        contract.insert("idempotency".into(), block);
    }
    if let Some(block) = semantics::credentials(op, responses, hints) {
        contract.insert("credentials".into(), block);
    }
    let expect = success_status(responses);
    let mapped = examples::map(op, media, parameters, &expect);
    if !mapped.is_empty() {
        contract.insert("examples".into(), Value::Array(mapped));
    }
}

/// A result carried over from an exported contract; a result in the body takes its business
/// statuses' response as `response`.
fn body_result(
    contract: &mut Map<String, Value>,
    responses: &mut Map<String, Value>,
    result: Value,
) -> Value {
    let statuses: Vec<String> = result
        .get("httpStatus")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    if result.get("in").and_then(Value::as_str) != Some("http-status") {
        let mut business = None;
        for status in statuses {
            if let Some(Value::Object(def)) = responses.shift_remove(&status) {
                business.get_or_insert(def);
            }
        }
        let mut body = Map::new();
        if let Some(def) = business {
            for key in ["fields", "unknownFields", "contentType"] {
                if let Some(value) = def.get(key) {
                    body.insert(key.into(), value.clone());
                }
            }
        }
        body.entry("fields").or_insert_with(|| json!({}));
        contract.insert("response".into(), Value::Object(body));
    }
    result
}

/// What an example expecting success expects: the one documented success status, or `2XX`.
fn success_status(responses: &Map<String, Value>) -> String {
    let exact: Vec<&String> = responses
        .keys()
        .filter(|s| s.starts_with('2') && s.len() == 3 && !s.ends_with("XX"))
        .collect();
    match exact.as_slice() {
        [one] => (*one).clone(),
        _ => "2XX".into(),
    }
}

/// The media type object the request body was mapped from.
fn media_at(op: &Op<'_>) -> Option<At> {
    let (at, value) = op.docs.deref(&op.at.child("requestBody")).ok()?;
    let content = value.get("content")?.as_object()?;
    let media = body::json_media(content)?;
    Some(at.child("content").child(&media))
}

fn description(op: &Op<'_>) -> Option<String> {
    let text = |key: &str| {
        op.docs
            .get(&op.at.child(key))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
    };
    match (text("summary"), text("description")) {
        (Some(summary), Some(more)) => Some(format!("{summary}\n\n{more}")),
        (one, other) => one.or(other).map(str::to_string),
    }
}

/// Paths conform can send: starting with `/`, no query or fragment, braces balanced.
fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') || path.contains(['?', '#', ' ']) {
        return Err(format!(
            "path `{path}` must start with `/` and hold no query, fragment or space"
        ));
    }
    crate::contract::PathTemplate::parse(path)
        .map(|_| ())
        .map_err(|why| format!("path `{path}`: {why}"))
}

/// Notes for operation keys that change no check, and for unknown ones.
fn operation_keys(op: &mut Op<'_>) {
    let Some(map) = op.docs.get(&op.at).and_then(Value::as_object).cloned() else {
        return;
    };
    for key in map.keys() {
        let here = op.at.child(key);
        let (kind, message) = match key.as_str() {
            "operationId" | "summary" | "description" | "parameters" | "requestBody"
            | "responses" | "security" => continue,
            "tags" | "externalDocs" | "deprecated" => {
                (ItemKind::Ignored, format!("`{key}` is documentation"))
            }
            "servers" => (
                ItemKind::Ignored,
                "`servers`: the target is given with --target".into(),
            ),
            "callbacks" => (
                ItemKind::NotMapped,
                "`callbacks` are requests the API sends: not checked".into(),
            ),
            k if k.starts_with("x-conform-") => continue,
            k if k.starts_with("x-") => (
                ItemKind::Ignored,
                format!("extension `{k}` is documentation to conform"),
            ),
            k => (ItemKind::NotMapped, format!("keyword `{k}` is not mapped")),
        };
        op.note(kind, &here, message);
    }
}

/// The contract's keys in the order contracts are written.
pub(super) fn ordered(contract: Map<String, Value>) -> Map<String, Value> {
    let order = [
        "name",
        "description",
        "operation",
        "types",
        "resource",
        "request",
        "response",
        "responses",
        "result",
        "idempotency",
        "credentials",
        "generated",
        "signing",
        "snapshot",
        "examples",
        "skip",
    ];
    let mut entries: Vec<(String, Value)> = contract.into_iter().collect();
    entries.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(order.len()));
    entries.into_iter().collect()
}
