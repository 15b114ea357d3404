//! The last guard of "an imported contract always lints": each contract is compiled by conform's
//! own contract compiler; whatever it refuses (an example that does not fit its schema, an enum
//! value outside its pattern, a recursive type with no finite value) is located, left out,
//! and listed, and the contract compiled again. A contract that still does not compile after
//! [`MAX_PASSES`] is not written, and the operation is listed as skipped.

use std::path::Path;

use jsonc_parser::ast::{ObjectPropName, Value as Node};
use jsonc_parser::common::Ranged;
use serde_json::{Value, json};

use crate::contract::ContractError;
use crate::json::Pointer;

/// Most compile-and-repair passes per contract.
pub(crate) const MAX_PASSES: usize = 16;

/// Constraint keys of a field definition that can be left out on their own.
const REMOVABLE: &[&str] = &[
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "enum",
    "example",
    "format",
    "forbiddenChars",
    "unknownFields",
    "requiredOn",
    "description",
];

/// Top-level blocks that can be left out whole.
const OPTIONAL_BLOCKS: &[&str] = &[
    "resource",
    "idempotency",
    "credentials",
    "snapshot",
    "signing",
    "examples",
];

/// What was left out: the contract pointer and the compiler's reason.
#[derive(Debug, Clone)]
pub(crate) struct LeftOut {
    /// Where in the contract.
    pub pointer: String,
    /// The contract compiler's message.
    pub reason: String,
}

/// The contract's final text and what was left out to get there; `Err` holds the compiler's
/// rendered errors when no repair helped.
pub(crate) fn settle(
    file_name: &str,
    mut contract: Value,
) -> Result<(String, Vec<LeftOut>), String> {
    let mut left_out = Vec::new();
    for _ in 0..MAX_PASSES {
        let text = pretty(&contract);
        let errors = match crate::contract::load_str(Path::new(file_name), text.clone()) {
            Ok(_) => return Ok((text, left_out)),
            Err(errors) => errors,
        };
        let spans = spans(&text);
        let mut fixes: Vec<(Vec<String>, Fix, String)> = Vec::new();
        for error in &errors {
            let Some(pointer) = locate(&text, &spans, error) else {
                continue;
            };
            if let Some((at, fix)) = fix_for(&pointer)
                && !fixes.iter().any(|(p, _, _)| p == &at)
            {
                fixes.push((at, fix, error.kind.to_string()));
            }
        }
        if fixes.is_empty() {
            let rendered: Vec<String> = errors.iter().take(3).map(|e| e.kind.to_string()).collect();
            return Err(rendered.join("; "));
        }
        // Deepest and last first, so removing one element does not shift another's index.
        fixes.sort_by_key(|fix| std::cmp::Reverse(sort_key(&fix.0)));
        let mut covered: Vec<Vec<String>> = Vec::new();
        for (at, fix, reason) in fixes {
            if covered.iter().any(|c| at.starts_with(c)) {
                continue;
            }
            apply(&mut contract, &at, &fix);
            left_out.push(LeftOut {
                pointer: to_pointer(&at),
                reason,
            });
            covered.push(at);
        }
    }
    Err(format!(
        "the contract still did not compile after {MAX_PASSES} repairs"
    ))
}

/// The contract as written to disk: two-space indentation, a final newline.
pub(crate) fn pretty(contract: &Value) -> String {
    let mut text = serde_json::to_string_pretty(contract).unwrap_or_default();
    text.push('\n');
    text
}

#[derive(Debug, Clone)]
enum Fix {
    Remove,
    Replace(Value),
}

/// What to do about an error at `pointer`: leave out the smallest part that carries it.
fn fix_for(segments: &[String]) -> Option<(Vec<String>, Fix)> {
    let first = segments.first()?.as_str();
    if first == "examples" && segments.len() >= 2 {
        return Some((segments[..2].to_vec(), Fix::Remove));
    }
    if OPTIONAL_BLOCKS.contains(&first) {
        return Some((segments[..1].to_vec(), Fix::Remove));
    }
    if let Some((prefix, parameter)) = definition(segments) {
        let keyword = segments.get(prefix).map(String::as_str);
        if let Some(key) = keyword.filter(|k| REMOVABLE.contains(k)) {
            let mut at = segments[..prefix].to_vec();
            at.push(key.to_string());
            return Some((at, Fix::Remove));
        }
        let def = segments[..prefix].to_vec();
        return Some(
            match (def.first().map(String::as_str), def.len(), parameter) {
                (Some("types"), 2, _) => (
                    def,
                    Fix::Replace(
                        json!({"type": ["object", "array", "string", "number", "boolean", "null"]}),
                    ),
                ),
                (_, _, true) if def.get(1).map(String::as_str) == Some("path") => {
                    (def, Fix::Replace(json!({"type": "string"})))
                }
                _ if def.last().map(String::as_str) == Some("items") => (def, Fix::Remove),
                _ => (def, Fix::Remove),
            },
        );
    }
    match segments {
        [r, key, ..] if r == "result" && (key == "code" || key == "message") => {
            Some((segments[..2].to_vec(), Fix::Remove))
        }
        [r, f, ..] if r == "request" && f == "fields" => {
            Some((segments[..2].to_vec(), Fix::Remove))
        }
        [g, n, ..] if g == "generated" && n == "expect" => {
            Some((segments[..2].to_vec(), Fix::Remove))
        }
        _ => None,
    }
}

/// The length of the pointer prefix naming the innermost field definition the pointer is in,
/// and whether that definition is a parameter.
fn definition(segments: &[String]) -> Option<(usize, bool)> {
    let s = |i: usize| segments.get(i).map(String::as_str);
    let (start, parameter) = match (s(0)?, s(1), s(2)) {
        ("types", Some(_), _) => (2, false),
        ("request", Some("path" | "query" | "headers"), Some(_)) => (3, true),
        ("request", Some("fields"), Some(_)) => (3, false),
        ("response", Some("fields"), Some(_)) => (3, false),
        ("responses", Some(_), Some("fields" | "headers")) if segments.len() > 3 => (4, false),
        _ => return None,
    };
    let mut at = start;
    loop {
        match (s(at), s(at + 1)) {
            (Some("fields"), Some(_)) if segments.len() > at + 2 || at + 2 == segments.len() => {
                at += 2
            }
            (Some("items"), _) => at += 1,
            _ => return Some((at, parameter && at == start)),
        }
    }
}

fn apply(contract: &mut Value, at: &[String], fix: &Fix) {
    let pointer = to_pointer(at);
    match fix {
        Fix::Remove => {
            if let Ok(parsed) = Pointer::parse(&pointer) {
                parsed.remove(contract);
            }
            // An emptied list of examples says nothing.
            if at.first().map(String::as_str) == Some("examples")
                && contract
                    .get("examples")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty)
                && let Some(map) = contract.as_object_mut()
            {
                map.remove("examples");
            }
            // `request.fields` gone: the body's companions go too.
            if at == ["request", "fields"]
                && let Some(request) = contract.get_mut("request").and_then(Value::as_object_mut)
            {
                request.remove("unknownFields");
                request.remove("contentType");
            }
        }
        Fix::Replace(value) => {
            if let Some(slot) = contract.pointer_mut(&pointer) {
                *slot = value.clone();
            }
        }
    }
}

fn to_pointer(segments: &[String]) -> String {
    segments
        .iter()
        .map(|s| format!("/{}", crate::json::pointer::escape(s)))
        .collect()
}

/// Numbers compare as numbers, so `/examples/10` sorts after `/examples/9`.
fn sort_key(segments: &[String]) -> Vec<(u8, u64, String)> {
    segments
        .iter()
        .map(|s| match s.parse::<u64>() {
            Ok(n) => (0, n, String::new()),
            Err(_) => (1, 0, s.clone()),
        })
        .collect()
}

/// Every value and key of the text with its byte range and pointer.
fn spans(text: &str) -> Vec<(usize, usize, Vec<String>)> {
    let mut out = Vec::new();
    let options = jsonc_parser::ParseOptions::default();
    if let Ok(parsed) =
        jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &options)
        && let Some(root) = &parsed.value
    {
        walk(root, Vec::new(), &mut out);
    }
    out
}

fn walk(node: &Node<'_>, at: Vec<String>, out: &mut Vec<(usize, usize, Vec<String>)>) {
    match node {
        Node::Object(object) => {
            for prop in &object.properties {
                let name = match &prop.name {
                    ObjectPropName::String(lit) => lit.value.to_string(),
                    ObjectPropName::Word(lit) => lit.value.to_string(),
                };
                let mut child = at.clone();
                child.push(name);
                let range = prop.name.range();
                out.push((range.start, range.end, child.clone()));
                walk(&prop.value, child, out);
            }
        }
        Node::Array(array) => {
            for (i, element) in array.elements.iter().enumerate() {
                let mut child = at.clone();
                child.push(i.to_string());
                walk(element, child, out);
            }
        }
        _ => {}
    }
    let range = node.range();
    out.push((range.start, range.end, at));
}

/// The pointer of the innermost key or value at the error's line and column.
fn locate(
    text: &str,
    spans: &[(usize, usize, Vec<String>)],
    error: &ContractError,
) -> Option<Vec<String>> {
    let location = error.location.as_ref()?;
    let line_start: usize = text
        .split_inclusive('\n')
        .take(location.line.saturating_sub(1))
        .map(str::len)
        .sum();
    let line = text.get(line_start..)?.lines().next().unwrap_or("");
    let column = line
        .char_indices()
        .nth(location.column.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    let offset = line_start + column;
    spans
        .iter()
        .filter(|(start, end, _)| *start <= offset && offset < (*end).max(start + 1))
        .min_by_key(|(start, end, _)| end - start)
        .map(|(_, _, at)| at.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(example: Value) -> Value {
        json!({
            "name": "getPet",
            "operation": {"method": "GET", "path": "/pets/{id}"},
            "request": {"path": {"id": {"type": "string", "pattern": "^[a-z]+$", "example": example}}},
            "responses": {"200": {"fields": {"name": {"type": "string", "enum": ["a", 5]}}}, "400": {}},
            "result": {"in": "http-status"},
            "generated": {"negative": {"status": "4XX"}}
        })
    }

    #[test]
    fn an_example_that_breaks_its_own_pattern_is_left_out_and_listed() {
        let (text, left_out) =
            settle("getPet.json", contract(json!("NOT-LOWER"))).expect("repaired");
        assert!(!text.contains("NOT-LOWER"), "{text}");
        let pointers: Vec<&str> = left_out.iter().map(|l| l.pointer.as_str()).collect();
        assert!(
            pointers.contains(&"/request/path/id/example"),
            "{pointers:?}"
        );
        assert!(
            pointers.contains(&"/responses/200/fields/name/enum"),
            "{pointers:?}"
        );
        assert!(crate::contract::load_str(Path::new("t.json"), text).is_ok());
    }

    #[test]
    fn a_contract_no_repair_helps_is_refused_with_the_compiler_reason() {
        let broken = json!({"name": "x", "operation": {"method": "get", "path": "/x"}, "request": {}, "result": {"in": "http-status"}});
        let err = settle("x.json", broken).unwrap_err();
        assert!(err.contains("method"), "{err}");
    }
}
