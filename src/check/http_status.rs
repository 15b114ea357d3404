//! `http-status`: the answer's HTTP status is one the contract declares: a status carrying the
//! business result in the body (`result.httpStatus`), or one covered by `responses`. A redirect
//! is never followed, so it is judged here like any other status, its `Location` shown.

use crate::contract::{Contract, ResultCarrier};
use crate::json::abbreviate;
use crate::observe::{Response, Sent};
use crate::results::{Check, CheckResult, Finding};

/// Passes when a response definition covers the status; otherwise shows the body (and where a
/// redirect pointed) so the tester sees what came instead. A `404` or `405` the contract does not
/// declare names the request it answered (`sent`, method and path as sent, gateway prefix
/// included): most often the `--target` base URL is wrong, and the path shows how.
pub(super) fn check(contract: &Contract, response: &Response, sent: &Sent) -> CheckResult {
    let status = response.status;
    if contract.response_for(status).is_some() {
        return CheckResult::pass(Check::HttpStatus);
    }
    let body = String::from_utf8_lossy(&response.body);
    let body = abbreviate(&serde_json::Value::String(body.into_owned()), 60);
    let actual = match response.header("location") {
        Some(location) if (300..400).contains(&status) => {
            let location = abbreviate(&serde_json::Value::String(location.into()), 120);
            format!("{status}, a redirect to {location} (not followed) (body {body})")
        }
        _ => match unserved(contract, status, sent) {
            Some(request) => format!("{status} {request} (body {body}): {UNSERVED_HINT}"),
            None => format!("{status} (body {body})"),
        },
    };
    CheckResult::fail(
        Check::HttpStatus,
        vec![Finding::mismatch(None, expected(contract), actual)],
    )
}

/// What a tester is told about a request the target does not seem to serve.
pub(crate) const UNSERVED_HINT: &str =
    "does the target serve this path? check the --target base URL";

/// The request an undeclared `404` or `405` answered, as sent (`for POST /api/v1/cards`, the
/// gateway prefix included): most often the `--target` base URL is wrong, and the path shows
/// how. `None` for any other status, or one the contract declares.
pub(crate) fn unserved(contract: &Contract, status: u16, sent: &Sent) -> Option<String> {
    let undeclared = matches!(status, 404 | 405) && contract.response_for(status).is_none();
    undeclared.then(|| format!("for {} {}", sent.method, sent.path()))
}

/// The declared statuses, as a tester reads them: `HTTP 200`, or `HTTP 201, 400, 404 or 4XX`.
fn expected(contract: &Contract) -> String {
    let statuses: Vec<String> = match contract.result.carrier {
        ResultCarrier::Body => contract
            .result
            .http_status
            .iter()
            .map(u16::to_string)
            .chain(
                contract
                    .responses
                    .iter()
                    .filter(|r| r.role.is_some())
                    .map(|r| r.status.to_string()),
            )
            .collect(),
        ResultCarrier::HttpStatus => contract
            .responses
            .iter()
            .map(|r| r.status.to_string())
            .collect(),
    };
    match statuses.split_last() {
        Some((last, [])) => format!("HTTP {last}"),
        Some((last, rest)) => format!("HTTP {} or {last}", rest.join(", ")),
        None => "a declared status".into(),
    }
}
