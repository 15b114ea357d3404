//! `response-schema`: the body is JSON, has no duplicate object keys, and fits the response
//! fields, with `requiredOn` fields decided by the body's own result status.

use serde_json::Value;

use crate::contract::{Contract, ResponseSpec};
use crate::json::abbreviate;
use crate::json::text::abbreviate_str;
use crate::observe::Response;
use crate::results::{Check, CheckResult, Finding};
use crate::rules;

/// Passes when the body parses and has no violations; skipped for a status whose definition
/// does not describe a body.
pub(super) fn check(contract: &Contract, spec: &ResponseSpec, response: &Response) -> CheckResult {
    let Some(schema) = &spec.body else {
        let why = format!("the contract describes no body for HTTP {}", spec.status);
        return CheckResult::skip(Check::ResponseSchema, why);
    };
    let body = match response.json() {
        Ok(body) => body,
        Err(err) => {
            let text = String::from_utf8_lossy(&response.body).into_owned();
            let actual = format!("{} ({err})", abbreviate(&Value::String(text), 60));
            return CheckResult::fail(
                Check::ResponseSchema,
                vec![Finding::mismatch(None, "a JSON body", actual)],
            );
        }
    };
    let mut findings = duplicates(response);
    let status = response.business(contract).and_then(|b| b.status.clone());
    let violations = rules::validate(&contract.types, schema, body, status.as_deref());
    findings.extend(violations.iter().map(Finding::from));
    CheckResult::from_findings(Check::ResponseSchema, findings)
}

/// A finding per duplicated member: the body means different things to different parsers.
fn duplicates(response: &Response) -> Vec<Finding> {
    let (pointers, count) = response.duplicate_keys();
    let mut findings: Vec<Finding> = pointers
        .iter()
        .map(|pointer| {
            Finding::mismatch(
                Some(abbreviate_str(pointer, 120)),
                "each key at most once per object",
                "a duplicate key (parsers disagree on which value counts; conform judged the last)",
            )
        })
        .collect();
    if count > pointers.len() {
        let more = count - pointers.len();
        findings.push(Finding::message(format!("{more} more duplicate keys")));
    }
    findings
}
