//! Checks: each file judges one aspect of an observed response and returns a [`CheckResult`].
//!
//! A failed check is data, not an error: the target breaking the contract is conform working.
//! [`exchange_checks`] runs the per-response checks in order; a check whose input is missing
//! (no response, no JSON) is recorded as skipped with the reason.

mod content_type;
pub mod idempotency;

mod expectation;
mod http_status;
mod response_schema;
mod result_status;
mod signature;

use std::sync::OnceLock;

use serde_json::Value;

use crate::contract::{Contract, Expect};
use crate::json::abbreviate;
use crate::plan::Probe;
use crate::results::{Check, CheckResult};
use crate::target::{Response, TransportError};

/// A response with its body parsed once for every check.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The response as received.
    pub response: Response,
    json: OnceLock<Result<Value, String>>,
    business: OnceLock<Option<Business>>,
}

impl Observed {
    /// A response to be judged; its body is parsed when a check first needs it (a replay that
    /// is byte-identical to the first answer never is).
    pub fn new(response: Response) -> Self {
        Observed {
            response,
            json: OnceLock::new(),
            business: OnceLock::new(),
        }
    }

    /// The body as JSON, or why it is not JSON.
    pub fn json(&self) -> &Result<Value, String> {
        self.json
            .get_or_init(|| serde_json::from_slice(&self.response.body).map_err(|e| e.to_string()))
    }
}

/// The business result read from a response body through the contract's pointers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Business {
    /// The result status, when present and a string.
    pub status: Option<String>,
    /// The result code.
    pub code: Option<String>,
    /// The result message.
    pub message: Option<String>,
}

impl Business {
    /// Reads the result of `body`.
    pub fn read(contract: &Contract, body: &Value) -> Self {
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
        let rules = &contract.result;
        Business {
            status: text(rules.status.get(body)),
            code: text(rules.code.get(body)),
            message: rules.message.as_ref().and_then(|m| text(m.get(body))),
        }
    }

    /// `S/SUCCESS "Success"`, for messages.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{}/{}",
            self.status.as_deref().unwrap_or("(no status)"),
            self.code.as_deref().unwrap_or("(no code)")
        );
        if let Some(message) = &self.message {
            out.push(' ');
            out.push_str(&abbreviate(&Value::String(message.clone()), 80));
        }
        out
    }
}

/// The business result of an observation, if it carries one (right HTTP status, JSON body).
pub fn business_of<'o>(contract: &Contract, observed: &'o Observed) -> Option<&'o Business> {
    // An observation always belongs to one contract's exchange, so reading it once is enough.
    let business = observed.business.get_or_init(|| {
        if !contract
            .result
            .http_status
            .contains(&observed.response.status)
        {
            return None;
        }
        observed
            .json()
            .as_ref()
            .ok()
            .map(|body| Business::read(contract, body))
    });
    business.as_ref()
}

/// What came back, in a few words: `HTTP 200, S/SUCCESS "Success"` or `HTTP 500, body "<html>…"`.
pub fn describe_answer(contract: &Contract, observed: &Observed) -> String {
    let status = observed.response.status;
    match business_of(contract, observed) {
        Some(business) => format!("HTTP {status}, {}", business.describe()),
        None => {
            let body = String::from_utf8_lossy(&observed.response.body);
            format!(
                "HTTP {status}, body {}",
                abbreviate(&Value::String(body.into_owned()), 60)
            )
        }
    }
}

/// The per-response checks of one exchange, in report order.
pub fn exchange_checks(
    contract: &Contract,
    expect: &Expect,
    probe: Option<&Probe>,
    observed: &Result<Observed, TransportError>,
) -> Vec<CheckResult> {
    let observed = match observed {
        Ok(observed) => observed,
        Err(err) => return unreachable_target(err),
    };
    let status = observed.response.status;
    let mut results = vec![
        CheckResult::pass(Check::Transport),
        http_status::check(contract, observed),
    ];
    if contract.result.http_status.contains(&status) {
        results.push(content_type::check(contract, observed));
        results.push(response_schema::check(contract, observed));
        results.push(result_status::check(contract, observed));
    } else {
        // A non-business status is a transport-level failure: its body and headers are not
        // the API's, so judging them would only add noise.
        let why = format!("HTTP {status} carries no business result");
        for check in [
            Check::ContentType,
            Check::ResponseSchema,
            Check::ResultStatus,
        ] {
            results.push(CheckResult::skip(check, why.clone()));
        }
    }
    results.push(expectation::check(contract, expect, probe, observed));
    if let Some(context) = &observed.response.signature_context {
        results.push(signature::check(contract, observed, context));
    }
    results
}

fn unreachable_target(err: &TransportError) -> Vec<CheckResult> {
    let mut results = vec![CheckResult::fail_with(Check::Transport, err.to_string())];
    for check in [
        Check::HttpStatus,
        Check::ContentType,
        Check::ResponseSchema,
        Check::ResultStatus,
        Check::Expectation,
    ] {
        results.push(CheckResult::skip(check, "no response"));
    }
    results
}

pub use result_status::semantics as result_semantics;

#[cfg(test)]
mod tests;
