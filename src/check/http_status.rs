//! `http-status`: business results travel only on the HTTP statuses the contract names. A
//! redirect is never followed, so it is judged here like any other status, its `Location`
//! shown.

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
    let body = abbreviate(&serde_json::Value::String(body.into_owned()), 60);
    let actual = match response.header("location") {
        Some(location) if (300..400).contains(&status) => {
            let location = abbreviate(&serde_json::Value::String(location.into()), 120);
            format!("{status}, a redirect to {location} (not followed) (body {body})")
        }
        _ => format!("{status} (body {body})"),
    };
    CheckResult::fail(
        Check::HttpStatus,
        vec![Finding::mismatch(
            None,
            format!("HTTP {}", expected.join(" or ")),
            actual,
        )],
    )
}
