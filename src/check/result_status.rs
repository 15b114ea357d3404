//! `result-status`: the status, code and message inside the body agree with each other and with
//! the catalogue (`S` goes with `SUCCESS`/`Success`, `F` with a failure code, never `SUCCESS`).

use crate::contract::{Contract, ResultCarrier, ResultRules};
use crate::observe::{Business, Response};
use crate::results::{Check, CheckResult, Finding};

/// Passes when the (status, code) pair is in the catalogue and the message is the one it fixes.
pub(super) fn check(contract: &Contract, response: &Response) -> CheckResult {
    let Some(business) = response.business(contract) else {
        return CheckResult::skip(Check::ResultStatus, "the body is not JSON");
    };
    CheckResult::from_findings(Check::ResultStatus, semantics(contract, business))
}

/// The findings for one business result; also used by the idempotency checks.
///
/// The status must be declared. A status the catalogue lists codes for must carry one of them
/// (with results in the body, every status does), and an entry that fixes a message must get
/// exactly that message.
pub(crate) fn semantics(contract: &Contract, business: &Business) -> Vec<Finding> {
    let rules = &contract.result;
    let status_at = (rules.carrier == ResultCarrier::Body).then(|| rules.status.to_string());
    let Some(status) = &business.status else {
        return vec![Finding::mismatch(status_at, "a result status", "none")];
    };
    if rules.role(status).is_none() {
        let expected = format!("one of {}", rules.status_list());
        return vec![Finding::mismatch(
            status_at,
            expected,
            format!("`{status}`"),
        )];
    }
    if !rules.has_codes(status) {
        return Vec::new();
    }
    let code_at = Some(rules.code.to_string());
    let Some(code) = &business.code else {
        return vec![Finding::mismatch(
            code_at,
            format!(
                "a result code for status `{status}` ({})",
                listed(contract, status)
            ),
            "none",
        )];
    };
    let Some(entry) = rules.entry(status, code) else {
        return vec![Finding::mismatch(
            code_at,
            codes_of(contract, status),
            format!("`{code}` with status `{status}`"),
        )];
    };
    match (&entry.message, &business.message, &rules.message) {
        (Some(wanted), actual, Some(pointer)) if actual.as_deref() != Some(wanted.as_str()) => {
            let actual = actual
                .as_deref()
                .map_or("none".to_string(), |m| format!("`{m}`"));
            vec![Finding::mismatch(
                Some(pointer.to_string()),
                format!("`{wanted}` (the message of {code})"),
                actual,
            )]
        }
        _ => Vec::new(),
    }
}

/// The catalogue's codes for `status`, comma-separated.
fn listed(contract: &Contract, status: &str) -> String {
    let codes: Vec<&str> = contract
        .result
        .codes
        .iter()
        .filter(|e| ResultRules::status_matches(&e.status, status))
        .map(|e| e.code.as_str())
        .collect();
    codes.join(", ")
}

fn codes_of(contract: &Contract, status: &str) -> String {
    let codes = listed(contract, status);
    let codes: Vec<&str> = codes.split(", ").collect();
    match codes.as_slice() {
        [one] => format!("`{one}` for status `{status}`"),
        many => format!(
            "a code of status `{status}` from the catalogue ({})",
            many.join(", ")
        ),
    }
}
