//! Running one case: send what its action calls for, judge the observations, add the snapshot
//! check, and make every finding safe to print.

use std::borrow::Cow;
use std::time::Instant;

use super::context::Context;
use super::send;
use crate::check;
use crate::contract::{Contract, Expect, StatusRole};
use crate::json;
use crate::observe::Observations;
use crate::plan::{Action, Case};
use crate::results::{CaseResult, CheckResult, Outcome};
use crate::snapshot::{Taken, Volatile};

/// Sends, judges and records one case.
pub(crate) async fn run(context: &Context, case: Case) -> CaseResult {
    let started = Instant::now();
    let contract = &context.contracts[case.contract];
    let checks = match case.action {
        Action::Exchange(exchange) => {
            let (expect, probe) = (exchange.expect.clone(), exchange.probe.clone());
            let observed = send::single(context, contract, exchange).await;
            let checks = check::judge(contract, &expect, probe.as_ref(), &observed);
            with_snapshot(context, contract, &case.name, &observed, checks)
        }
        Action::Conflict(scenario) => {
            let observed = send::conflict(context, contract, &scenario).await;
            check::judge(contract, &success(contract), None, &observed)
        }
        Action::Concurrent(scenario) => {
            let observed = send::concurrent(context, contract, &scenario).await;
            check::judge(contract, &success(contract), None, &observed)
        }
    };
    CaseResult {
        contract: contract.name.clone(),
        case: case.name,
        checks: printable(checks),
        duration: started.elapsed(),
    }
}

/// Findings quote the target (codes, messages, bodies, headers) in many places; they are made
/// safe to print here, once, before any reporter sees them.
fn printable(mut checks: Vec<CheckResult>) -> Vec<CheckResult> {
    fn clean(text: &mut String, how: fn(&str) -> Cow<'_, str>) {
        if let Cow::Owned(shown) = how(text) {
            *text = shown;
        }
    }
    for check in &mut checks {
        for finding in &mut check.findings {
            clean(&mut finding.message, json::printable_line);
            let parts = [
                &mut finding.pointer,
                &mut finding.expected,
                &mut finding.actual,
            ];
            for text in parts.into_iter().flatten() {
                clean(text, json::printable_line);
            }
        }
        if let Some(diff) = &mut check.diff {
            clean(diff, json::printable);
        }
    }
    checks
}

/// Adds the `snapshot` check of the settled answer when snapshots are on and a response came
/// back.
fn with_snapshot(
    context: &Context,
    contract: &Contract,
    case: &str,
    observed: &Observations,
    mut checks: Vec<CheckResult>,
) -> Vec<CheckResult> {
    let settled = observed.main().answer();
    let (Some(snapshots), Ok(response)) = (&context.snapshots, &settled.answer) else {
        return checks;
    };
    let key = settled.sent.key.as_deref();
    let volatile = Volatile::new(contract, key, context.mint.nonce());
    let taken = Taken {
        contract,
        case,
        observed: response,
        volatile: &volatile,
        case_failed: checks.iter().any(|c| c.outcome == Outcome::Fail),
    };
    checks.push(snapshots.check(&taken));
    checks
}

/// What the idempotency scenarios expect of their main request: success.
fn success(contract: &Contract) -> Expect {
    let status = contract
        .result
        .status_for(StatusRole::Success)
        .unwrap_or_default();
    Expect {
        status: status.to_string(),
        code: None,
    }
}
