//! A request's parameters as the reference implementation reads them: path values from the
//! route, the query string and the headers, each read by its definition (the wire binding,
//! [`crate::wire`]) and checked by the one validator, location by location.

use std::borrow::Cow;

use serde_json::Value;

use crate::contract::{Contract, Location};
use crate::rules;
use crate::wire::{self, Received};

/// The parameters of a request as a document without its body: `{"path", "query",
/// "headers"}`, or why they break the contract (`query.include.0 enum: expected one of ...`).
pub(super) fn read(
    contract: &Contract,
    path: &[(String, String)],
    query: Option<&str>,
    headers: &hyper::HeaderMap,
) -> Result<Value, String> {
    let texts: Vec<(&str, Cow<'_, str>)> = headers
        .iter()
        .map(|(name, value)| (name.as_str(), String::from_utf8_lossy(value.as_bytes())))
        .collect();
    let received = Received {
        path: path.to_vec(),
        query,
        headers: texts.iter().map(|(n, v)| (*n, v.as_ref())).collect(),
    };
    let document = wire::decode(contract, &received, None);
    for container in &contract.document.objects.fields {
        if Location::of(&container.name) == Some(Location::Body) {
            continue;
        }
        let value = document.get(&container.name).unwrap_or(&Value::Null);
        let violations = rules::validate(&contract.types, &container.schema, value, None);
        if let Some(v) = violations.first() {
            let place = format!("{}{}", container.name, v.place().replace('/', "."));
            return Err(format!("{place} {}: expected {}", v.rule, v.expected));
        }
    }
    Ok(document)
}

/// A digest of the parameters, combined with the body's so a replayed key with other
/// parameters is told apart from a replay.
pub(super) fn digest(document: &Value) -> u64 {
    use std::hash::BuildHasher;
    let state = foldhash::fast::FixedState::with_seed(0x7061_7261_6d73);
    state.hash_one(document.to_string())
}
