//! `expectation`: the business result is the one the case expects (an example's status, or the
//! rejection a generated invalid request must get).

use crate::contract::{Contract, Expect};
use crate::observe::Response;
use crate::plan::Probe;
use crate::results::{Check, CheckResult, Finding};

/// Passes when the status (and the code, when one is expected) match.
pub(super) fn check(
    contract: &Contract,
    expect: &Expect,
    probe: Option<&Probe>,
    response: &Response,
) -> CheckResult {
    let business = response.business(contract);
    let matches = business.is_some_and(|b| expect.matches(b.status.as_deref(), b.code.as_deref()));
    if matches {
        return CheckResult::pass(Check::Expectation);
    }
    let expected = expect.describe();
    let actual = response.describe(contract);
    let mut finding = Finding::mismatch(None, expected.clone(), actual.clone());
    if let Some(probe) = probe {
        finding.pointer = Some(probe.field.clone());
        finding.message = format!(
            "{} {}: sent {}; expected {expected}, got {actual}",
            probe.field, probe.rule, probe.detail
        );
    }
    CheckResult::fail(Check::Expectation, vec![finding])
}
