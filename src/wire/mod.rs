//! The HTTP binding of a request document: how `{"path", "query", "headers", "body"}` travels
//! on the wire, and how a received request is read back into one.
//!
//! Parameters travel as text: encoding writes each value as text (percent-encoded in the path
//! and query, arrays as repeated query keys), and decoding reads each declared parameter back
//! into the JSON type its definition accepts (`"10"` becomes `10` for an integer). Both sides
//! use these two functions: the runner and the planner encode, the reference implementation
//! and the traffic proxy decode, and the planner confirms each generated case by encoding and
//! decoding it, so a case only claims what a receiver can actually see.

mod coerce;
mod path;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Map, Value};

pub(crate) use coerce::coerce;
pub(crate) use path::match_path;

use crate::contract::http::PathPiece;
use crate::contract::{Contract, Location, PathTemplate};

/// Characters escaped in a path segment: everything but RFC 3986's unreserved characters and
/// the sub-delimiters servers read literally.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The parameters of a request document as they go on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Encoded {
    /// The path with parameters substituted, then `?` and the query when there is one.
    pub path_and_query: String,
    /// Header names (as the contract writes them) and values, in document order.
    pub headers: Vec<(String, String)>,
}

/// Writes the path, query and headers of `document` for `contract`'s operation.
pub(crate) fn encode(contract: &Contract, document: &Value) -> Encoded {
    let members = |location: Location| {
        crate::json::member(document, location.name()).and_then(Value::as_object)
    };
    let mut path_and_query = fill_template(&contract.template, members(Location::Path));
    let query = encode_query(members(Location::Query));
    if !query.is_empty() {
        path_and_query.push('?');
        path_and_query.push_str(&query);
    }
    let headers = members(Location::Headers)
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| text(value).map(|v| (name.clone(), v)))
        .collect();
    Encoded {
        path_and_query,
        headers,
    }
}

/// The template with each parameter's value, as text, percent-encoded as one segment. A
/// parameter without a value leaves its segment empty (the request is then malformed on
/// purpose, or by the contract's own example).
pub(crate) fn fill_template(
    template: &PathTemplate,
    values: Option<&Map<String, Value>>,
) -> String {
    let mut out = String::with_capacity(template.text.len() + 16);
    for piece in &template.pieces {
        match piece {
            PathPiece::Literal(text) => out.push_str(text),
            PathPiece::Param(name) => {
                let value = values
                    .and_then(|v| crate::json::member_of(v, name))
                    .and_then(text);
                if let Some(value) = value {
                    out.extend(utf8_percent_encode(&value, SEGMENT));
                }
            }
        }
    }
    out
}

/// `a=1&tag=x&tag=y`: scalars as one key, arrays as repeated keys, `null` and objects left
/// out (they have no text form).
fn encode_query(values: Option<&Map<String, Value>>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in values.into_iter().flatten() {
        match value {
            Value::Array(items) => {
                for item in items.iter().filter_map(text) {
                    query.append_pair(name, &item);
                }
            }
            other => {
                if let Some(item) = text(other) {
                    query.append_pair(name, &item);
                }
            }
        }
    }
    query.finish().replace('+', "%20")
}

/// A scalar's text form: strings as they are, numbers and booleans as JSON writes them.
/// `null`, arrays and objects have none.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A received request's parameters, before they are read into a document.
#[derive(Debug, Clone, Default)]
pub(crate) struct Received<'a> {
    /// Path parameter values, already percent-decoded (from [`match_path`]).
    pub path: Vec<(String, String)>,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// Every header (name, value); names are compared case-insensitively.
    pub headers: Vec<(&'a str, &'a str)>,
}

/// Reads a received request into a request document: each declared parameter is read into the
/// JSON type its definition accepts; parameters the contract does not declare are kept as text
/// (query) or left out (headers, which real clients send many of). `body` is the parsed body,
/// when the operation has one.
pub(crate) fn decode(contract: &Contract, received: &Received<'_>, body: Option<Value>) -> Value {
    let mut document = Map::new();
    let path = received
        .path
        .iter()
        .map(|(name, raw)| (name.clone(), read(contract, Location::Path, name, &[raw])))
        .collect();
    document.insert(Location::Path.name().into(), Value::Object(path));
    document.insert(
        Location::Query.name().into(),
        Value::Object(decode_query(contract, received.query)),
    );
    document.insert(
        Location::Headers.name().into(),
        Value::Object(decode_headers(contract, &received.headers)),
    );
    if let Some(body) = body {
        document.insert(Location::Body.name().into(), body);
    }
    Value::Object(document)
}

fn decode_query(contract: &Contract, query: Option<&str>) -> Map<String, Value> {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match grouped.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value.into_owned()),
            None => grouped.push((name.into_owned(), vec![value.into_owned()])),
        }
    }
    grouped
        .into_iter()
        .map(|(name, values)| {
            let texts: Vec<&str> = values.iter().map(String::as_str).collect();
            let value = read(contract, Location::Query, &name, &texts);
            (name, value)
        })
        .collect()
}

fn decode_headers(contract: &Contract, headers: &[(&str, &str)]) -> Map<String, Value> {
    contract
        .parameters(Location::Headers)
        .iter()
        .filter_map(|field| {
            let values: Vec<&str> = headers
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case(&field.name))
                .map(|(_, value)| *value)
                .collect();
            (!values.is_empty()).then(|| {
                let value = read(contract, Location::Headers, &field.name, &values);
                (field.name.clone(), value)
            })
        })
        .collect()
}

/// One parameter's value: read by its definition when declared, else text.
fn read(contract: &Contract, location: Location, name: &str, texts: &[&str]) -> Value {
    match contract.parameter(location, name) {
        Some(field) => coerce(&contract.types, &field.schema, texts),
        None if texts.len() == 1 => Value::String(texts[0].to_string()),
        None => Value::Array(texts.iter().map(|t| Value::String(t.to_string())).collect()),
    }
}

#[cfg(test)]
mod tests;
