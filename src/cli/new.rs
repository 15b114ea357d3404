//! `conform new NAME`: a starting contract a new user edits rather than writes from nothing.
//!
//! The skeleton is a complete contract (it lints, and `conform verify` passes it against the
//! embedded reference implementation), so the first run works before the first edit; its
//! `description` texts say what to change. A copy of the contract JSON Schema is written beside
//! it and named by `$schema`, for completion and checking in editors.

use std::path::Path;

use serde_json::{Value, json};

use super::CliError;
use super::args::{NewArgs, NewStyle};
use crate::exit;

/// The schema file written beside new contracts (`*.schema.json` files are not contracts).
const SCHEMA_FILE: &str = "contract.schema.json";

pub(super) fn new(args: NewArgs) -> Result<u8, CliError> {
    let name = args.name.trim();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !valid {
        return Err(CliError::usage(format!(
            "`{name}` cannot name a contract: use letters, digits, `.`, `_` or `-` (it starts every case name)"
        )));
    }
    let method = args.method.to_ascii_uppercase();
    let path = args
        .path
        .clone()
        .unwrap_or_else(|| format!("/v1/{}", kebab(name)));
    if !path.starts_with('/') {
        return Err(CliError::usage(format!(
            "--path `{path}` must start with `/` (the path is appended to the target URL)"
        )));
    }
    let file = args.out.join(format!("{}.json", kebab(name)));
    if file.exists() {
        return Err(CliError::usage(format!(
            "{} already exists: choose another NAME or --out folder",
            file.display()
        )));
    }
    let contract = match args.style {
        NewStyle::Rest => rest(name, &method, &path),
        NewStyle::Body => body(name, &method, &path),
    };
    write(&args.out, &file, &contract)?;
    println!("wrote {}", file.display());
    println!(
        "next: edit it (your editor completes and checks keys through `$schema`), then\n  conform lint {dir}\n  conform verify {dir}                          # against the embedded reference implementation\n  conform verify {dir} --target http://localhost:8080   # against your implementation",
        dir = args.out.display()
    );
    Ok(exit::SUCCESS)
}

fn write(dir: &Path, file: &Path, contract: &Value) -> Result<(), CliError> {
    std::fs::create_dir_all(dir)
        .map_err(CliError::io(format!("cannot create {}", dir.display())))?;
    let schema = dir.join(SCHEMA_FILE);
    if !schema.exists() {
        let text = format!("{}\n", crate::contract::json_schema());
        std::fs::write(&schema, text)
            .map_err(CliError::io(format!("cannot write {}", schema.display())))?;
    }
    let mut text = serde_json::to_string_pretty(contract).unwrap_or_default();
    text.push('\n');
    crate::atomic::write(file, text.as_bytes())
        .map_err(CliError::io(format!("cannot write {}", file.display())))
}

/// `IssueCard` and `issue_card` both give `issue-card`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !out.ends_with('-') {
            out.push('-');
        }
        match c {
            '_' | '.' | ' ' => out.push('-'),
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

fn has_body(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH")
}

/// A REST operation: parameters or a JSON body, the result in the HTTP status, errors as
/// `{"error": {"code", "message"}}`.
fn rest(name: &str, method: &str, path: &str) -> Value {
    let mut request = serde_json::Map::new();
    let mut example = serde_json::Map::new();
    example.insert("name".into(), json!("minimal"));
    let parameters = path_parameters(path);
    if !parameters.is_empty() {
        let defined: serde_json::Map<String, Value> = parameters
            .iter()
            .map(|p| (p.clone(), json!({ "type": "string", "maxLength": 64 })))
            .collect();
        let values: serde_json::Map<String, Value> = parameters
            .iter()
            .map(|p| (p.clone(), json!("abc123")))
            .collect();
        request.insert("path".into(), Value::Object(defined));
        example.insert("path".into(), Value::Object(values));
    }
    if has_body(method) {
        request.insert(
            "fields".into(),
            json!({
                "name": { "type": "string", "required": true, "maxLength": 64, "description": "TODO: replace with the body fields your API takes (type, required, limits, pattern, enum...)." },
                "note": { "type": "string", "maxLength": 256 }
            }),
        );
        request.insert("unknownFields".into(), json!("reject"));
        example.insert("request".into(), json!({ "name": "Ada" }));
    } else {
        request.insert(
            "query".into(),
            json!({ "limit": { "type": "integer", "minimum": 1, "maximum": 100, "description": "TODO: replace with the query parameters your API takes." } }),
        );
        example.insert("query".into(), json!({ "limit": 10 }));
    }
    example.insert("expect".into(), json!({ "status": "200" }));
    json!({
        "$schema": format!("./{SCHEMA_FILE}"),
        "name": name,
        "description": format!("TODO: what {name} does, who implements it, and any choice the API's docs leave open."),
        "operation": { "method": method, "path": path },
        "types": {
            "Error": {
                "type": "object",
                "fields": {
                    "code": { "type": "string", "required": true },
                    "message": { "type": "string", "maxLength": 512 }
                }
            }
        },
        "request": request,
        "responses": {
            "200": {
                "description": "TODO: the success answer's fields.",
                "fields": { "id": { "type": "string", "required": true, "maxLength": 64 } }
            },
            "400": {
                "description": "The request breaks a rule.",
                "fields": { "error": { "type": "Error", "required": true } }
            }
        },
        "result": {
            "in": "http-status",
            "code": "/error/code",
            "message": "/error/message",
            "codes": [ { "code": "invalid_request", "status": "400" } ]
        },
        "generated": { "negative": { "status": "400", "code": "invalid_request" } },
        "examples": [ Value::Object(example) ],
        "snapshot": { "redact": ["/id"] }
    })
}

/// An operation whose business result sits in the JSON body (`S`/`F`/`U` with a code and a
/// message), idempotent by a request field, as the Mini Program Platform's APIs are.
fn body(name: &str, method: &str, path: &str) -> Value {
    json!({
        "$schema": format!("./{SCHEMA_FILE}"),
        "name": name,
        "description": format!("TODO: what {name} does, who implements it, and any choice the API's docs leave open."),
        "operation": { "method": method, "path": path },
        "types": {
            "Result": {
                "type": "object",
                "fields": {
                    "resultStatus": { "type": "string", "required": true, "enum": ["S", "F", "U"] },
                    "resultCode": { "type": "string", "required": true, "maxLength": 64 },
                    "resultMessage": { "type": "string", "maxLength": 256 }
                }
            }
        },
        "request": {
            "fields": {
                "requestId": { "type": "string", "required": true, "maxLength": 64, "description": "The idempotency key: the same requestId gets the same result." },
                "name": { "type": "string", "required": true, "maxLength": 64, "description": "TODO: replace with the fields your API takes." }
            }
        },
        "response": {
            "fields": {
                "result": { "type": "Result", "required": true },
                "id": { "type": "string", "requiredOn": ["S"], "maxLength": 64, "description": "TODO: the fields of a successful answer." }
            }
        },
        "result": {
            "httpStatus": [200],
            "status": "/result/resultStatus",
            "code": "/result/resultCode",
            "message": "/result/resultMessage",
            "statuses": { "S": "success", "F": "failure", "U": "unknown" },
            "codes": [
                { "code": "SUCCESS", "status": "S", "message": "Success" },
                { "code": "PARAM_ILLEGAL", "status": "F", "description": "The request breaks a rule." },
                { "code": "REPEAT_REQ_INCONSISTENT", "status": "F", "description": "The requestId was used before with another request." },
                { "code": "UNKNOWN_EXCEPTION", "status": "U", "description": "Unknown; retry with the same requestId." }
            ]
        },
        "idempotency": {
            "key": "/requestId",
            "conflict": { "policy": "reject", "code": "REPEAT_REQ_INCONSISTENT" }
        },
        "examples": [
            { "name": "minimal", "request": { "requestId": "req-0001", "name": "Ada" }, "expect": { "status": "S" } }
        ],
        "snapshot": { "redact": ["/id"] }
    })
}

/// The `{name}` parameters of a path template.
fn path_parameters(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_kebab_file_names() {
        assert_eq!(kebab("IssueCard"), "issue-card");
        assert_eq!(kebab("create_order"), "create-order");
        assert_eq!(kebab("getCard"), "get-card");
    }

    #[test]
    fn every_skeleton_is_a_valid_contract() {
        for (style, method, path) in [
            (NewStyle::Rest, "POST", "/v1/orders"),
            (NewStyle::Rest, "GET", "/v1/orders/{orderId}"),
            (NewStyle::Body, "POST", "/v2/things/create"),
        ] {
            let contract = match style {
                NewStyle::Rest => rest("thing", method, path),
                NewStyle::Body => body("thing", method, path),
            };
            let text = serde_json::to_string_pretty(&contract).unwrap();
            let loaded = crate::contract::load_str(std::path::Path::new("thing.json"), text);
            assert!(loaded.is_ok(), "{method} {path}: {:?}", loaded.err());
        }
    }
}
