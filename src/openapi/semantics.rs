//! What OpenAPI leaves unsaid and a contract needs: which statuses carry success, what invalid
//! requests get back, where an error body keeps its code and message, the idempotency key, and
//! which headers carry credentials. Each is a guess, listed with what it was based on.

use serde_json::{Map, Value, json};

use super::document::At;
use super::operation::Op;
use super::report::ItemKind;
use super::schema::Schemas;

/// Pointers tried, in order, for the error code: common REST error shapes and problem details
/// (RFC 9457), whose `type` identifies the problem.
const CODE_POINTERS: &[&[&str]] = &[
    &["code"],
    &["error", "code"],
    &["errorCode"],
    &["error_code"],
    &["error", "type"],
    &["type"],
    &["error"],
];

/// Pointers tried, in order, for the error message.
const MESSAGE_POINTERS: &[&[&str]] = &[
    &["message"],
    &["error", "message"],
    &["detail"],
    &["error_description"],
    &["errorMessage"],
    &["error", "detail"],
    &["title"],
];

/// Header names taken as idempotency keys (IETF httpapi draft, Stripe, and common variants).
const KEY_HEADERS: &[&str] = &["idempotency-key", "x-idempotency-key", "idempotencykey"];

/// A success status when the document declares none: any 2XX, body unchecked.
pub(super) fn ensure_success(op: &mut Op<'_>, responses: &mut Map<String, Value>) {
    let success = responses
        .iter()
        .any(|(status, def)| role(status, def) == "success");
    if !success {
        responses.insert("2XX".into(), json!({"description": "Success (not documented: any 2XX is accepted, its body unchecked)."}));
        let at = op.at.child("responses");
        op.note(
            ItemKind::Guess,
            &at,
            "no success status is documented: any 2XX is taken as success, its body unchecked"
                .into(),
        );
    }
}

/// What generated invalid requests expect: the documented 400 or 422, else any client error.
/// A document without any client error gets a `4XX` entry (a guess) so the expectation holds.
pub(super) fn negative(op: &mut Op<'_>, responses: &mut Map<String, Value>) -> Value {
    let at = op.at.child("responses");
    let has = |s: &str| responses.contains_key(s);
    let status = match (has("400"), has("422")) {
        (true, false) => "400",
        (false, true) => "422",
        (true, true) => {
            op.note(
                ItemKind::Guess,
                &at,
                "both 400 and 422 are documented: generated invalid requests accept either (`4XX`)"
                    .into(),
            );
            "4XX"
        }
        (false, false) => {
            // Declared, so that any client error passes `http-status` (a 404 documented alone
            // would leave a 400 undeclared); with the `default` answer's body, when there is
            // one, or the class entry would take the place of `default` and check no body.
            if !has("4XX") {
                let entry = match responses.get("default") {
                    Some(default) => {
                        let mut entry = default.clone();
                        entry["description"] = json!(
                            "Client error (not documented: the `default` answer, which generated invalid requests expect)."
                        );
                        entry
                    }
                    None => {
                        json!({"description": "Client error (not documented: generated invalid requests expect one)."})
                    }
                };
                responses.insert("4XX".into(), entry);
            }
            op.note(ItemKind::Guess, &at, "neither 400 nor 422 is documented: generated invalid requests expect any client error (`4XX`)".into());
            "4XX"
        }
    };
    json!({ "status": status })
}

/// The role a response entry has: its own, else by class (`2XX` success, `5XX` unknown).
fn role(status: &str, def: &Value) -> String {
    if let Some(role) = def.get("role").and_then(Value::as_str) {
        return role.to_string();
    }
    match status.as_bytes().first() {
        Some(b'2') => "success",
        Some(b'5') => "unknown",
        _ => "failure",
    }
    .to_string()
}

/// `result` for results in the HTTP status, with the error code and message pointers guessed
/// from the error bodies.
pub(super) fn result(
    op: &mut Op<'_>,
    schemas: &Schemas<'_>,
    responses: &Map<String, Value>,
) -> Value {
    let mut result = Map::new();
    result.insert("in".into(), json!("http-status"));
    body_result_hint(op, schemas, responses);
    let failures: Vec<(&String, &Value)> = responses
        .iter()
        .filter(|(s, d)| role(s, d) != "success")
        .collect();
    let at = op.at.child("responses");
    for (key, candidates) in [("code", CODE_POINTERS), ("message", MESSAGE_POINTERS)] {
        let found = candidates.iter().find_map(|segments| {
            failures
                .iter()
                .find(|(_, def)| string_at(schemas, def.get("fields"), segments))
                .map(|(status, _)| (segments, *status))
        });
        if let Some((segments, status)) = found {
            let pointer: String = segments.iter().map(|s| format!("/{s}")).collect();
            op.note(
                ItemKind::Guess,
                &at,
                format!(
                    "the error {key} is read from `{pointer}` (a string field of the {status} body)"
                ),
            );
            result.insert(key.into(), Value::String(pointer));
        }
    }
    Value::Object(result)
}

/// OpenAPI describes results by HTTP status, so that is where the contract reads them; a success
/// body with a field named like a business result status (`/result/resultStatus`) may carry
/// the result instead, which the contract author then says by hand.
fn body_result_hint(op: &mut Op<'_>, schemas: &Schemas<'_>, responses: &Map<String, Value>) {
    let success = responses.iter().find(|(s, d)| role(s, d) == "success");
    let Some((status, def)) = success else { return };
    let candidates: [&[&str]; 4] = [
        &["resultStatus"],
        &["result", "resultStatus"],
        &["result_status"],
        &["result", "status"],
    ];
    if let Some(segments) = candidates
        .iter()
        .find(|c| string_at(schemas, def.get("fields"), c))
    {
        let pointer: String = segments.iter().map(|s| format!("/{s}")).collect();
        let at = op.at.child("responses");
        op.note(ItemKind::Guess, &at, format!("the result is taken from the HTTP status, but the {status} body has `{pointer}`: if it carries the business result, set `result.in` to `body` by hand"));
    }
}

/// Whether `segments` lead through object fields (named types resolved) to a string field.
fn string_at(schemas: &Schemas<'_>, fields: Option<&Value>, segments: &[&str]) -> bool {
    let mut fields = fields.and_then(Value::as_object);
    for (i, segment) in segments.iter().enumerate() {
        let Some(def) = fields.and_then(|f| f.get(*segment)) else {
            return false;
        };
        let def = resolve(schemas, def);
        if i + 1 == segments.len() {
            return def.get("type") == Some(&json!("string"));
        }
        // The contract compiler follows pointers through plain objects only, not unions.
        if def.get("type") != Some(&json!("object")) {
            return false;
        }
        fields = def.get("fields").and_then(Value::as_object);
    }
    false
}

/// A definition, or the definition of the named type it is (renames followed a few times).
fn resolve<'v>(schemas: &'v Schemas<'_>, def: &'v Value) -> &'v Value {
    let mut current = def;
    for _ in 0..8 {
        match current
            .get("type")
            .and_then(Value::as_str)
            .and_then(|name| schemas.get(name))
        {
            Some(entry) => current = &entry.def,
            None => break,
        }
    }
    current
}

/// Whether a request header is named like an idempotency key.
pub(super) fn is_key_header(name: &str) -> bool {
    KEY_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}

/// An `idempotency` block when the request defines a key header.
pub(super) fn idempotency(
    op: &mut Op<'_>,
    headers: &Map<String, Value>,
    responses: &Map<String, Value>,
) -> Option<Value> {
    if matches!(op.method.as_str(), "GET" | "HEAD" | "OPTIONS" | "TRACE") {
        return None;
    }
    let (name, def) = headers.iter().find(|(n, _)| is_key_header(n))?;
    if def.get("type") != Some(&json!("string")) {
        return None;
    }
    let conflict = ["422", "409"]
        .into_iter()
        .find(|s| responses.contains_key(*s));
    let mut block = Map::new();
    block.insert("key".into(), json!({ "header": name }));
    let at = op.at.child("parameters");
    match conflict {
        Some(status) => {
            block.insert(
                "conflict".into(),
                json!({"policy": "reject", "status": status}),
            );
            op.note(ItemKind::Guess, &at, format!("`{name}` is the idempotency key; a reused key with another body is expected to get the documented {status}"));
        }
        None => {
            block.insert(
                "conflict".into(),
                json!({"policy": "either", "status": "4XX"}),
            );
            op.note(ItemKind::Guess, &at, format!("`{name}` is the idempotency key; a reused key with another body may get the first answer or any client error"));
        }
    }
    if conflict == Some("422") && responses.contains_key("409") {
        block.insert("inProgress".into(), json!({"status": "409"}));
    }
    Some(Value::Object(block))
}

/// Credential headers from the operation's security requirement (or the document's), with the
/// answer a request without them gets; and hints for the headers a run must be given.
pub(super) fn credentials(
    op: &mut Op<'_>,
    responses: &Map<String, Value>,
    hints: &mut Vec<String>,
) -> Option<Value> {
    let root = op.docs.main();
    let own = op.at.child("security");
    let requirement_at = if op.docs.get(&own).is_some() {
        own
    } else {
        root.child("security")
    };
    let requirements = op.docs.get(&requirement_at)?.as_array()?.clone();
    if requirements.is_empty()
        || requirements
            .iter()
            .any(|r| r.as_object().is_some_and(Map::is_empty))
    {
        return None;
    }
    let first = requirements[0].as_object()?.clone();
    let mut headers = Vec::new();
    for name in first.keys() {
        let scheme_at = root
            .child("components")
            .child("securitySchemes")
            .child(name);
        match scheme_header(op, &scheme_at, name, hints) {
            Some(header) if !headers.contains(&header) => headers.push(header),
            _ => {}
        }
    }
    if requirements.len() > 1 {
        op.note(ItemKind::Guess, &requirement_at, "several security requirements are alternatives: the first one's headers are the credentials".into());
    }
    if headers.is_empty() {
        return None;
    }
    let status = ["401", "403"]
        .into_iter()
        .find(|s| responses.contains_key(*s))
        .unwrap_or("4XX");
    op.note(
        ItemKind::Guess,
        &requirement_at,
        format!(
            "a request without credentials ({}) is expected to get {status}",
            headers.join(", ")
        ),
    );
    Some(json!({ "headers": headers, "reject": { "status": status } }))
}

/// The header a security scheme travels in, with a hint for `--header`.
fn scheme_header(op: &mut Op<'_>, at: &At, name: &str, hints: &mut Vec<String>) -> Option<String> {
    let Ok((at, scheme)) = op.docs.deref(at).map(|(a, v)| (a, v.clone())) else {
        op.note(
            ItemKind::NotMapped,
            at,
            format!("security scheme `{name}` is not defined"),
        );
        return None;
    };
    let kind = scheme.get("type").and_then(Value::as_str).unwrap_or("");
    let (header, hint) = match kind {
        "apiKey" if scheme.get("in").and_then(Value::as_str) == Some("header") => {
            let header = scheme.get("name").and_then(Value::as_str)?.to_string();
            let hint = format!("--header \"{header}: $API_KEY\"  (security scheme `{name}`)");
            (header, hint)
        }
        "http" => {
            let which = scheme
                .get("scheme")
                .and_then(Value::as_str)
                .unwrap_or("bearer");
            let value = if which.eq_ignore_ascii_case("basic") {
                "Basic $CREDENTIALS"
            } else {
                "Bearer $TOKEN"
            };
            (
                "Authorization".to_string(),
                format!("--header \"Authorization: {value}\"  (security scheme `{name}`)"),
            )
        }
        "oauth2" | "openIdConnect" => (
            "Authorization".to_string(),
            format!(
                "--header \"Authorization: Bearer $TOKEN\"  (security scheme `{name}`: {kind}; obtain the token outside conform)"
            ),
        ),
        _ => {
            let place = scheme.get("in").and_then(Value::as_str).unwrap_or(kind);
            op.note(ItemKind::NotMapped, &at, format!("security scheme `{name}` ({kind} in {place}) is not mapped: conform sends credentials in headers only"));
            return None;
        }
    };
    if !hints.contains(&hint) {
        hints.push(hint);
    }
    Some(header)
}
