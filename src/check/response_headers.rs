//! `response-headers`: the headers the contract declares for the answer's status are there and
//! fit their definitions (`Location` on `201`, `Retry-After` on `503`). Header values travel as
//! text; each is read by its definition as a receiver would (`Retry-After: 30` is the integer
//! 30) before it is checked.

use serde_json::{Map, Value};

use crate::contract::schema::{ObjectRules, UnknownFields};
use crate::contract::{Contract, Field, Kind, ResponseSpec, Schema};
use crate::observe::Response;
use crate::results::{Check, CheckResult, Finding};
use crate::rules;

/// Passes when every declared header is present (when required) and fits; skipped for a status
/// that declares none.
pub(super) fn check(contract: &Contract, spec: &ResponseSpec, response: &Response) -> CheckResult {
    if spec.headers.is_empty() {
        let why = format!("the contract declares no headers for HTTP {}", spec.status);
        return CheckResult::skip(Check::ResponseHeaders, why);
    }
    let received = read(contract, &spec.headers, response);
    let schema = headers_schema(&spec.headers);
    let violations = rules::validate(&contract.types, &schema, &Value::Object(received), None);
    let findings = violations
        .iter()
        .map(|v| {
            let name = v.pointer.trim_start_matches('/');
            let mut finding = Finding::from(v);
            finding.pointer = Some(format!("header {name}"));
            finding.message = format!(
                "header `{name}` {}: expected {}, got {}",
                v.rule, v.expected, v.actual
            );
            finding
        })
        .collect();
    CheckResult::from_findings(Check::ResponseHeaders, findings)
}

/// The declared headers present in `response`, read by their definitions.
fn read(contract: &Contract, declared: &[Field], response: &Response) -> Map<String, Value> {
    declared
        .iter()
        .filter_map(|field| {
            let values: Vec<&str> = response
                .headers
                .get_all(field.name.as_str())
                .iter()
                .map(|v| v.to_str().unwrap_or("\u{fffd}"))
                .collect();
            (!values.is_empty()).then(|| {
                let value = crate::wire::coerce(&contract.types, &field.schema, &values);
                (field.name.clone(), value)
            })
        })
        .collect()
}

fn headers_schema(fields: &[Field]) -> Schema {
    let mut schema = Schema::of(vec![Kind::Object]);
    schema.objects = ObjectRules {
        fields: fields.to_vec(),
        unknown: UnknownFields::Allow,
    };
    schema
}
