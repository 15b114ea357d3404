//! Contracts to one OpenAPI 3.1 document, for documentation portals and code generators.
//!
//! Everything OpenAPI can say is said in OpenAPI (paths, parameters, bodies, responses with
//! their headers, security schemes for credential headers); what only conform says (where the
//! result lives and its catalogue, idempotency, generated-case expectations, examples with
//! their expected status, snapshots, signing, resources, roles) travels in `x-conform-*`
//! extensions, verbatim, so `conform import openapi` of the export gives back equivalent
//! contracts. The contracts' named types become `components/schemas`; two contracts giving one
//! name different definitions get `Name_2`.

mod schema;

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::contract::Contract;
use schema::Names;

/// Blocks carried as `x-conform-<key>` on the operation, verbatim.
const CARRIED: &[&str] = &[
    "result",
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

/// Methods an OpenAPI 3.1 path item can hold.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Why the contracts could not be exported.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    /// A contract file could not be read again.
    #[error("cannot read {file}: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// A contract's method is not one OpenAPI 3.1 has.
    #[error("{contract}: method {method} cannot be written in OpenAPI 3.1 (it knows {})", METHODS.join(", "))]
    Method {
        /// The contract.
        contract: String,
        /// Its method.
        method: String,
    },
}

/// The OpenAPI 3.1 document of `contracts` (already loaded and valid).
pub(crate) fn export(contracts: &[Contract]) -> Result<Value, ExportError> {
    let files = contracts
        .iter()
        .map(read)
        .collect::<Result<Vec<Value>, _>>()?;
    let mut components = Map::new();
    let mut schemes = Map::new();
    let mut paths = Map::new();
    for (contract, file) in contracts.iter().zip(&files) {
        let names = add_types(&mut components, file);
        let method = contract.method.to_ascii_lowercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(ExportError::Method {
                contract: contract.name.clone(),
                method: contract.method.clone(),
            });
        }
        let operation = operation(file, &names, &mut schemes);
        let item = paths
            .entry(contract.path.clone())
            .or_insert_with(|| json!({}));
        if let Value::Object(item) = item {
            item.insert(method, operation);
        }
    }
    let mut document = Map::new();
    document.insert("openapi".into(), json!("3.1.0"));
    document.insert(
        "info".into(),
        json!({
            "title": "API described by conform contracts",
            "version": "unversioned",
            "description": format!("Exported by conform from {} contract{}. Rules OpenAPI cannot express are in `x-conform-*` extensions.", contracts.len(), if contracts.len() == 1 { "" } else { "s" })
        }),
    );
    document.insert("paths".into(), Value::Object(paths));
    let mut parts = Map::new();
    if !components.is_empty() {
        parts.insert("schemas".into(), Value::Object(components));
    }
    if !schemes.is_empty() {
        parts.insert("securitySchemes".into(), Value::Object(schemes));
    }
    if !parts.is_empty() {
        document.insert("components".into(), Value::Object(parts));
    }
    let mut document = Value::Object(document);
    finish(&mut document);
    Ok(document)
}

fn read(contract: &Contract) -> Result<Value, ExportError> {
    let path = &contract.source.path;
    let fail = |reason: String| ExportError::Read {
        file: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| fail(e.to_string()))
}

/// Adds the contract's named types to `components`; how each name is written there.
fn add_types(components: &mut Map<String, Value>, file: &Value) -> Names {
    let types = file
        .get("types")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut names = HashMap::new();
    for (name, def) in &types {
        let mut chosen = name.clone();
        let mut n = 2;
        while components
            .get(&chosen)
            .is_some_and(|existing| existing.get("x-conform-source") != Some(def))
        {
            chosen = format!("{name}_{n}");
            n += 1;
        }
        names.insert(name.clone(), chosen);
    }
    for (name, def) in &types {
        let chosen = &names[name];
        if components.contains_key(chosen) {
            continue;
        }
        let mut schema = schema::schema(def, &names);
        if let Value::Object(map) = &mut schema {
            // Kept only while exporting, to tell one definition from another of the same name.
            map.insert("x-conform-source".into(), def.clone());
        }
        components.insert(chosen.clone(), schema);
    }
    names
}

fn operation(file: &Value, names: &Names, schemes: &mut Map<String, Value>) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), file["name"].clone());
    if let Some(text) = file.get("description") {
        op.insert("description".into(), text.clone());
    }
    let parameters = parameters(&file["request"], names);
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = request_body(file, names) {
        op.insert("requestBody".into(), body);
    }
    op.insert("responses".into(), responses(file, names));
    if let Some(headers) = file
        .pointer("/credentials/headers")
        .and_then(Value::as_array)
    {
        let mut requirement = Map::new();
        for header in headers.iter().filter_map(Value::as_str) {
            let scheme = crate::openapi::examples::safe_name(header);
            schemes.insert(scheme.clone(), json!({"type": "apiKey", "in": "header", "name": header, "description": "A header carrying credentials (the contract's `credentials`)."}));
            requirement.insert(scheme, json!([]));
        }
        op.insert("security".into(), json!([requirement]));
    }
    for key in CARRIED {
        if let Some(block) = file.get(*key) {
            op.insert(format!("x-conform-{key}"), block.clone());
        }
    }
    Value::Object(op)
}

fn parameters(request: &Value, names: &Names) -> Vec<Value> {
    let mut out = Vec::new();
    for (location, place) in [("path", "path"), ("query", "query"), ("headers", "header")] {
        let Some(defs) = request.get(location).and_then(Value::as_object) else {
            continue;
        };
        for (name, def) in defs {
            let required = place == "path" || def.get("required") == Some(&json!(true));
            let mut parameter = json!({ "name": name, "in": place, "required": required, "schema": schema::schema(def, names) });
            if let (Some(text), Value::Object(p)) = (def.get("description"), &mut parameter) {
                p.insert("description".into(), text.clone());
            }
            out.push(parameter);
        }
    }
    out
}

fn request_body(file: &Value, names: &Names) -> Option<Value> {
    let request = &file["request"];
    let fields = request.get("fields")?.as_object()?;
    let media = request
        .get("contentType")
        .and_then(Value::as_str)
        .unwrap_or("application/json");
    let mut content = Map::new();
    content.insert(
        "schema".into(),
        schema::body(fields, request.get("unknownFields"), names),
    );
    let examples: Map<String, Value> = file
        .get("examples")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e.get("name")?.as_str()?.to_string(),
                json!({ "value": e.get("request")? }),
            ))
        })
        .collect();
    if !examples.is_empty() {
        content.insert("examples".into(), Value::Object(examples));
    }
    Some(json!({ "required": true, "content": { media: content } }))
}

fn responses(file: &Value, names: &Names) -> Value {
    let mut out = Map::new();
    if let Some(business) = file.get("response") {
        let statuses = file
            .pointer("/result/httpStatus")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for status in statuses {
            let description = "The business result (see `x-conform-result`).";
            out.insert(
                status.to_string(),
                response(
                    &json!({ "description": description }),
                    Some(business),
                    names,
                ),
            );
        }
    }
    for (status, def) in file
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        out.insert(
            status.to_ascii_uppercase().replace("DEFAULT", "default"),
            response(def, Some(def), names),
        );
    }
    Value::Object(out)
}

/// A Response Object: description (required by OpenAPI), headers, the body's media type, and
/// the contract's `role` when it gives one.
fn response(def: &Value, body: Option<&Value>, names: &Names) -> Value {
    let mut out = Map::new();
    // OpenAPI requires a description; an empty one is read back as none.
    let description = def.get("description").and_then(Value::as_str).unwrap_or("");
    out.insert("description".into(), json!(description));
    if let Some(headers) = def.get("headers").and_then(Value::as_object) {
        let headers: Map<String, Value> = headers
            .iter()
            .map(|(name, h)| {
                let required = h.get("required") == Some(&json!(true));
                (
                    name.clone(),
                    json!({ "required": required, "schema": schema::schema(h, names) }),
                )
            })
            .collect();
        out.insert("headers".into(), Value::Object(headers));
    }
    if let Some(body) = body {
        let media = body.get("contentType").and_then(Value::as_str);
        match body.get("fields").and_then(Value::as_object) {
            Some(fields) => {
                let schema = schema::body(fields, body.get("unknownFields"), names);
                out.insert(
                    "content".into(),
                    json!({ media.unwrap_or("application/json"): { "schema": schema } }),
                );
            }
            None if media.is_some() => {
                out.insert("content".into(), json!({ media.unwrap_or_default(): {} }));
            }
            None => {}
        }
    }
    if let Some(role) = def.get("role") {
        out.insert("x-conform-role".into(), role.clone());
    }
    Value::Object(out)
}

/// Removes the bookkeeping `x-conform-source` from every component schema.
fn finish(document: &mut Value) {
    if let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") {
        for schema in schemas.values_mut() {
            if let Value::Object(map) = schema {
                map.remove("x-conform-source");
            }
        }
    }
}
