//! `http-status`: business results travel only on the HTTP statuses the contract names.

use crate::contract::Contract;
use crate::json::abbreviate;
use crate::observe::Response;
use crate::results::{Check, CheckResult, Finding};

/// Passes when the status is one of `result.httpStatus`.
pub fn check(contract: &Contract, response: &Response) -> CheckResult {
    let status = response.status;
    let allowed = &contract.result.http_status;
    if allowed.contains(&status) {
        return CheckResult::pass(Check::HttpStatus);
    }
    let expected: Vec<String> = allowed.iter().map(u16::to_string).collect();
    let body = String::from_utf8_lossy(&response.body);
    let actual = format!(
        "{status} (body {})",
        abbreviate(&serde_json::Value::String(body.into_owned()), 60)
    );
    CheckResult::fail(
        Check::HttpStatus,
        vec![Finding::mismatch(
            None,
            format!("HTTP {}", expected.join(" or ")),
            actual,
        )],
    )
}
