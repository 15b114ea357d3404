//! Rendering a response as snapshot text: HTTP status, the headers the contract names or the
//! status's definition declares, and the body pretty-printed with sorted keys, after redacting
//! what legitimately changes between runs. A value redacted in the body is redacted in the
//! headers too (a created id is in the body and in `Location`).

use serde_json::Value;

use crate::contract::Contract;
use crate::json::{Pointer, canonical_pretty};
use crate::observe::Response;

/// Headers whose values change on every response; recorded as `[redacted]` when a contract
/// names them, so they never cause a diff.
const VOLATILE_HEADERS: [&str; 4] = ["date", "response-time", "signature", "request-time"];

/// Run-dependent values sent in the request (the idempotency key, the run nonce) that an
/// implementation may echo; replaced by a placeholder wherever they appear in the response.
#[derive(Debug, Clone, Default)]
pub(crate) struct Volatile {
    /// (value, placeholder) pairs, longest value first.
    pub values: Vec<(String, String)>,
}

impl Volatile {
    /// The key (as `[requestId]`) and the run nonce (as `[nonce]`).
    pub(crate) fn new(contract: &Contract, key: Option<&str>, nonce: &str) -> Self {
        let mut values = Vec::new();
        if let (Some(key), Some(rules)) = (key, &contract.idempotency) {
            let name = rules.key_in.name();
            values.push((key.to_string(), format!("[{name}]")));
        }
        if !nonce.is_empty() {
            values.push((nonce.to_string(), "[nonce]".to_string()));
        }
        values.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        Volatile { values }
    }

    /// Adds values that must never be written (secret header values a target may echo), each
    /// replaced by `***`.
    pub(crate) fn with_secrets<'v>(mut self, secrets: impl IntoIterator<Item = &'v str>) -> Self {
        self.values.extend(
            secrets
                .into_iter()
                .map(|v| (v.to_string(), "***".to_string())),
        );
        self.values
            .sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        self
    }

    /// Adds a run-dependent value (an id a flow created, a value a scenario captured), replaced
    /// by `placeholder` wherever it appears.
    pub(crate) fn with_value(mut self, value: &str, placeholder: String) -> Self {
        if !value.is_empty() && !self.values.iter().any(|(v, _)| v == value) {
            self.values.push((value.to_string(), placeholder));
            self.values
                .sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        }
        self
    }

    fn scrub(&self, text: &str) -> String {
        self.values
            .iter()
            .fold(text.to_string(), |acc, (value, placeholder)| {
                acc.replace(value.as_str(), placeholder)
            })
    }
}

/// The snapshot text of one response (without the file header).
pub(crate) fn render(contract: &Contract, observed: &Response, volatile: &Volatile) -> String {
    let mut found = Volatile::default();
    let body = match observed.json() {
        Ok(body) => {
            let redacted = redact_collecting(contract, body, volatile, &mut found.values);
            canonical_pretty(&redacted)
        }
        Err(_) => volatile.scrub(&String::from_utf8_lossy(&observed.body)),
    };
    found.values.extend(volatile.values.iter().cloned());
    found
        .values
        .sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    let mut out = format!("HTTP {}\n", observed.status);
    for name in recorded_headers(contract, observed.status) {
        for value in observed.headers.get_all(name.as_str()) {
            let value = if VOLATILE_HEADERS.contains(&name.as_str()) {
                "[redacted]".to_string()
            } else {
                found.scrub(&String::from_utf8_lossy(value.as_bytes()))
            };
            out.push_str(&format!("{name}: {value}\n"));
        }
    }
    out.push('\n');
    out.push_str(&body);
    out.push('\n');
    out
}

/// The headers a snapshot records, lower-case, in a stable order: the contract's
/// `snapshot.headers`, then those the status's response definition declares.
fn recorded_headers(contract: &Contract, status: u16) -> Vec<String> {
    let declared = contract
        .response_for(status)
        .into_iter()
        .flat_map(|spec| spec.headers.iter().map(|h| h.name.to_ascii_lowercase()));
    let mut names: Vec<String> = Vec::new();
    for name in contract.snapshot.headers.iter().cloned().chain(declared) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The body with the contract's redactions applied (`/cardNo` → `"[cardNo]"`) and volatile
/// request values replaced inside every string.
#[cfg(test)]
pub(crate) fn redact(contract: &Contract, body: &Value, volatile: &Volatile) -> Value {
    redact_collecting(contract, body, volatile, &mut Vec::new())
}

/// [`redact`], collecting each redacted string with its placeholder, so the same value can be
/// redacted wherever else it appears.
fn redact_collecting(
    contract: &Contract,
    body: &Value,
    volatile: &Volatile,
    found: &mut Vec<(String, String)>,
) -> Value {
    let mut body = body.clone();
    for pattern in &contract.snapshot.redact {
        redact_matching(&mut body, pattern, &mut Vec::new(), found);
    }
    scrub_strings(&mut body, volatile);
    body
}

fn redact_matching(
    value: &mut Value,
    pattern: &Pointer,
    at: &mut Vec<String>,
    found: &mut Vec<(String, String)>,
) {
    if pattern.matches(at) {
        if !value.is_null() {
            let name = at.last().cloned().unwrap_or_default();
            let placeholder = format!("[{name}]");
            if let Value::String(text) = value
                && !text.is_empty()
            {
                found.push((text.clone(), placeholder.clone()));
            }
            *value = Value::String(placeholder);
        }
        return;
    }
    if at.len() >= pattern.segments().len() {
        return;
    }
    let children: Vec<(String, &mut Value)> = match value {
        Value::Object(map) => map.iter_mut().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter_mut()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return,
    };
    for (segment, child) in children {
        let wanted = &pattern.segments()[at.len()];
        if wanted == "*" || *wanted == segment {
            at.push(segment);
            redact_matching(child, pattern, at, found);
            at.pop();
        }
    }
}

fn scrub_strings(value: &mut Value, volatile: &Volatile) {
    match value {
        Value::String(text) => *text = volatile.scrub(text),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_strings(v, volatile)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_strings(v, volatile)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;
    use serde_json::json;

    #[test]
    fn card_numbers_keys_and_nonces_are_redacted() {
        let contract = issue_card();
        let volatile = Volatile::new(
            &contract,
            Some("2611280000000001000007"),
            "2611280000000001",
        );
        let body = json!({"cardNo": "0111", "extendInfo": "echo 2611280000000001000007 and 2611280000000001xyz",
            "result": {"resultStatus": "S"}});
        let redacted = redact(&contract, &body, &volatile);
        assert_eq!(redacted["cardNo"], "[cardNo]");
        assert_eq!(redacted["extendInfo"], "echo [requestId] and [nonce]xyz");
    }

    #[test]
    fn wildcards_redact_every_match_and_absent_fields_stay_absent() {
        let mut contract = issue_card();
        contract.snapshot.redact = vec![Pointer::parse("/items/*/id").unwrap()];
        let body = json!({"items": [{"id": "a", "n": 1}, {"id": "b"}]});
        let redacted = redact(&contract, &body, &Volatile::default());
        assert_eq!(
            redacted,
            json!({"items": [{"id": "[id]", "n": 1}, {"id": "[id]"}]})
        );
        let failure = json!({"result": {"resultStatus": "F"}});
        assert_eq!(
            redact(&issue_card(), &failure, &Volatile::default()),
            failure
        );
    }
}
