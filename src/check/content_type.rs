//! `content-type`: the response declares the contract's media type (parameters such as
//! `charset` are not compared).

use crate::contract::Contract;
use crate::observe::Response;
use crate::results::{Check, CheckResult, Finding};

/// Passes when the media type of `Content-Type` equals the contract's, ignoring case.
pub fn check(contract: &Contract, response: &Response) -> CheckResult {
    let header = response.header("content-type");
    let media_type = header.map(|h| {
        h.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    if media_type.as_deref() == Some(contract.content_type.to_ascii_lowercase().as_str()) {
        return CheckResult::pass(Check::ContentType);
    }
    let actual = match header {
        Some(h) => format!("`{h}`"),
        None => "no Content-Type header".to_string(),
    };
    let expected = format!("`{}`", contract.content_type);
    CheckResult::fail(
        Check::ContentType,
        vec![Finding::mismatch(None, expected, actual)],
    )
}
