//! Parameters (path, query, header) to `request.path`, `request.query` and `request.headers`:
//! path-level and operation-level lists merged, each schema expanded in place (parameters
//! travel as text), serializations conform does not send listed and the parameter left out.

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::document::At;
use super::operation::Op;
use super::report::ItemKind;
use super::schema::{Ctx, Schemas, Side, ordered};

/// Header parameters OpenAPI says are ignored (they are set by the client and the target).
const IGNORED_HEADERS: &[&str] = &["accept", "content-type", "authorization"];

/// Keys a Parameter Object may have.
const PARAMETER_KEYS: &[&str] = &[
    "name",
    "in",
    "description",
    "required",
    "schema",
    "content",
    "style",
    "explode",
    "example",
    "examples",
    "deprecated",
    "allowEmptyValue",
    "allowReserved",
];

/// The parameters of one operation, by location: `path`, `query`, `headers`.
#[derive(Debug, Default)]
pub(super) struct Parameters {
    pub path: Map<String, Value>,
    pub query: Map<String, Value>,
    pub headers: Map<String, Value>,
}

/// Maps the parameters of the operation (and of its path item).
pub(super) fn map(op: &mut Op<'_>, schemas: &mut Schemas<'_>) -> Parameters {
    let mut out = Parameters::default();
    for (location, name, at) in merged(op) {
        let Some(def) = parameter(op, schemas, &location, &name, &at) else {
            continue;
        };
        let target = match location.as_str() {
            "path" => &mut out.path,
            "query" => &mut out.query,
            _ => &mut out.headers,
        };
        target.insert(name, Value::Object(def));
    }
    template_params(op, &mut out.path);
    out
}

/// Path-item parameters, replaced by operation parameters of the same name and location.
fn merged(op: &mut Op<'_>) -> Vec<(String, String, At)> {
    let mut by_key: IndexMap<(String, String), At> = IndexMap::new();
    for list in [op.item.child("parameters"), op.at.child("parameters")] {
        let count = op
            .docs
            .get(&list)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for i in 0..count {
            let at = list.index(i);
            let (at, value) = match op.docs.deref(&at) {
                Ok((target, value)) => (target, value),
                Err(why) => {
                    op.note(
                        ItemKind::NotMapped,
                        &at,
                        format!("parameter not mapped: {why}"),
                    );
                    continue;
                }
            };
            let location = value.get("in").and_then(Value::as_str);
            let name = value.get("name").and_then(Value::as_str);
            match (location, name) {
                (Some(location), Some(name)) => {
                    by_key.insert((location.to_string(), name.to_string()), at);
                }
                _ => op.note(
                    ItemKind::NotMapped,
                    &at,
                    "a parameter without `in` and `name` is not mapped".into(),
                ),
            }
        }
    }
    by_key.into_iter().map(|((l, n), at)| (l, n, at)).collect()
}

/// One parameter's definition, or `None` (noted) when it cannot be sent as conform sends.
fn parameter(
    op: &mut Op<'_>,
    schemas: &mut Schemas<'_>,
    location: &str,
    name: &str,
    at: &At,
) -> Option<Map<String, Value>> {
    let value = op.docs.get(at)?.clone();
    check_keys(op, &value, at);
    match location {
        "path" | "query" => {}
        "header" if IGNORED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) => {
            op.note(ItemKind::Ignored, at, format!("header parameter `{name}` is ignored, as OpenAPI says (set by the client; give credentials with `--header`)"));
            return None;
        }
        "header" => {}
        "cookie" => {
            op.note(
                ItemKind::NotMapped,
                at,
                format!("cookie parameter `{name}` is not mapped: requests are sent without it"),
            );
            return None;
        }
        other => {
            op.note(
                ItemKind::NotMapped,
                at,
                format!("parameter location `{other}` is not mapped"),
            );
            return None;
        }
    }
    if value.get("schema").is_none() {
        let why = if value.get("content").is_some() {
            "a parameter serialized as a media type (`content`) is not mapped"
        } else {
            "a parameter without `schema` is not mapped"
        };
        return fallback(op, location, name, at, why);
    }
    if let Some(why) = unsupported_style(&value, location) {
        return fallback(op, location, name, at, &why);
    }
    let mut cx = Ctx {
        side: Side::Request,
        notes: &mut op.notes,
        refs: &mut op.refs,
        inline: true,
        path: format!("{}.{location}.{name}", op.name),
        depth: 0,
    };
    let mut def = schemas.field(&at.child("schema"), &mut cx);
    if !travels_as_text(&mut def, location == "query") {
        return fallback(
            op,
            location,
            name,
            at,
            "an object parameter (or one that may be an object or array) is not mapped: conform sends parameters as text",
        );
    }
    if let Some(text) = value.get("description").and_then(Value::as_str) {
        def.entry("description")
            .or_insert_with(|| Value::String(text.into()));
    }
    if let Some(example) = parameter_example(&value) {
        def.insert("example".into(), example);
    }
    if location != "path" && value.get("required") == Some(&Value::Bool(true)) {
        def.insert("required".into(), Value::Bool(true));
    }
    Some(ordered(def))
}

/// A path parameter cannot be left out (its `{name}` is in the path): it becomes a plain
/// string. Others are left out.
fn fallback(
    op: &mut Op<'_>,
    location: &str,
    name: &str,
    at: &At,
    why: &str,
) -> Option<Map<String, Value>> {
    if location == "path" {
        op.note(
            ItemKind::NotMapped,
            at,
            format!("{why}: path parameter `{name}` is sent as any string"),
        );
        let mut def = Map::new();
        def.insert("type".into(), json!("string"));
        return Some(def);
    }
    op.note(
        ItemKind::NotMapped,
        at,
        format!("{why}: parameter `{name}` is left out of requests"),
    );
    None
}

fn check_keys(op: &mut Op<'_>, value: &Value, at: &At) {
    let Some(map) = value.as_object() else { return };
    for (key, member) in map {
        let here = at.child(key);
        if key.starts_with("x-") {
            op.note(
                ItemKind::Ignored,
                &here,
                format!("extension `{key}` is documentation to conform"),
            );
        } else if key == "deprecated" {
            op.note(
                ItemKind::Ignored,
                &here,
                "`deprecated` is documentation".into(),
            );
        } else if (key == "allowEmptyValue" || key == "allowReserved")
            && member == &Value::Bool(true)
        {
            op.note(ItemKind::NotMapped, &here, format!("`{key}` is not mapped"));
        } else if !PARAMETER_KEYS.contains(&key.as_str()) {
            op.note(
                ItemKind::NotMapped,
                &here,
                format!("keyword `{key}` is not mapped"),
            );
        }
    }
}

/// Serializations other than the ones conform sends (simple path and header values, query
/// values as `name=value`, arrays as repeated keys).
fn unsupported_style(value: &Value, location: &str) -> Option<String> {
    let style = value.get("style").and_then(Value::as_str);
    let explode = value.get("explode").and_then(Value::as_bool);
    let expected = match location {
        "query" => "form",
        _ => "simple",
    };
    if let Some(style) = style.filter(|s| *s != expected) {
        return Some(format!(
            "style `{style}` is not mapped (conform sends the `{expected}` style)"
        ));
    }
    let schema_type = value.pointer("/schema/type").and_then(Value::as_str);
    if location == "query" && explode == Some(false) && schema_type == Some("array") {
        return Some("a query array with `explode: false` (comma-separated) is not mapped: conform repeats the key".into());
    }
    None
}

/// Keeps scalar types (and, in the query, arrays of scalars); `null` cannot travel as text and
/// is dropped. `false` when nothing that travels is left.
fn travels_as_text(def: &mut Map<String, Value>, arrays: bool) -> bool {
    let scalar = |t: &str| matches!(t, "string" | "integer" | "number" | "boolean");
    let kinds: Vec<String> = match def.get("type") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => return false,
    };
    let kept: Vec<String> = kinds.into_iter().filter(|k| k != "null").collect();
    let ok = !kept.is_empty()
        && kept.iter().all(|k| {
            scalar(k)
                || (arrays
                    && k == "array"
                    && def
                        .get("items")
                        .and_then(|i| i.get("type"))
                        .and_then(Value::as_str)
                        .is_some_and(scalar))
        });
    if !ok {
        return false;
    }
    def.insert(
        "type".into(),
        if kept.len() == 1 {
            json!(kept[0])
        } else {
            json!(kept)
        },
    );
    if let Some(Value::Array(values)) = def.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    true
}

fn parameter_example(value: &Value) -> Option<Value> {
    if let Some(example) = value.get("example") {
        return Some(example.clone());
    }
    value
        .get("examples")?
        .as_object()?
        .values()
        .find_map(|e| e.get("value").cloned())
}

/// Every `{name}` of the path needs a definition: one the document forgot is guessed as a
/// string; a defined one the path does not use is left out.
fn template_params(op: &mut Op<'_>, path: &mut Map<String, Value>) {
    let names: Vec<String> = match crate::contract::PathTemplate::parse(&op.path) {
        Ok(template) => template.params().map(str::to_string).collect(),
        Err(_) => return,
    };
    let unused: Vec<String> = path
        .keys()
        .filter(|k| !names.contains(k))
        .cloned()
        .collect();
    for name in unused {
        path.remove(&name);
        let at = op.at.child("parameters");
        op.note(
            ItemKind::NotMapped,
            &at,
            format!(
                "path parameter `{name}` is not in the path `{}`: left out",
                op.path
            ),
        );
    }
    for name in names {
        if !path.contains_key(&name) {
            path.insert(name.clone(), json!({"type": "string"}));
            let at = op.item.clone();
            op.note(
                ItemKind::Guess,
                &at,
                format!("path parameter `{name}` is not defined: taken as any string"),
            );
        }
    }
    // Keep the template's order, so the contract reads like its path.
    let order: Vec<String> = crate::contract::PathTemplate::parse(&op.path)
        .map(|t| t.params().map(str::to_string).collect())
        .unwrap_or_default();
    let mut sorted = Map::new();
    for name in order {
        if let Some(def) = path.remove(&name) {
            sorted.insert(name, def);
        }
    }
    *path = sorted;
}
