//! `response-schema`: the body is JSON and fits the response fields, with `requiredOn` fields
//! decided by the body's own result status.

use serde_json::Value;

use crate::contract::Contract;
use crate::json::abbreviate;
use crate::observe::Response;
use crate::results::{Check, CheckResult, Finding};
use crate::rules;

/// Passes when the body parses and has no violations.
pub fn check(contract: &Contract, response: &Response) -> CheckResult {
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
    let status = response.business(contract).and_then(|b| b.status.clone());
    let violations = rules::validate(&contract.types, &contract.response, body, status.as_deref());
    CheckResult::from_findings(
        Check::ResponseSchema,
        violations.iter().map(Finding::from).collect(),
    )
}
