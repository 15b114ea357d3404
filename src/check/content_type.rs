//! `content-type`: the response declares the media type its status's definition names
//! (parameters such as `charset` are not compared).

use crate::contract::ResponseSpec;
use crate::observe::Response;
use crate::results::{Check, CheckResult, Finding};

/// Passes when the media type of `Content-Type` equals the definition's, ignoring case; skipped
/// for a status whose definition names none (its body is not described).
pub(super) fn check(spec: &ResponseSpec, response: &Response) -> CheckResult {
    let Some(wanted) = &spec.content_type else {
        let why = format!("the contract describes no body for HTTP {}", spec.status);
        return CheckResult::skip(Check::ContentType, why);
    };
    let header = response.header("content-type");
    let media_type = header.map(|h| h.split(';').next().unwrap_or("").trim());
    if media_type.is_some_and(|media_type| media_type.eq_ignore_ascii_case(wanted)) {
        return CheckResult::pass(Check::ContentType);
    }
    let actual = match header {
        Some(h) => format!("`{h}`"),
        None => "no Content-Type header".to_string(),
    };
    CheckResult::fail(
        Check::ContentType,
        vec![Finding::mismatch(None, format!("`{wanted}`"), actual)],
    )
}
