//! Running one case: send what its action calls for, judge the observations, add the snapshot
//! check, and make every finding safe to print.

use std::any::Any;
use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::FutureExt;

use super::context::Context;
use super::ledger::Answered;
use super::{flow, late, resources, scenario, security, send, steps};
use crate::check;
use crate::contract::{Contract, Expect, StatusRole};
use crate::json;
use crate::observe::Observations;
use crate::plan::{Action, Case};
use crate::results::{CaseResult, Check, CheckResult, Outcome};
use crate::snapshot::{Taken, Volatile};
use crate::target::Secrets;

/// Runs `case` so that a panic in it costs that case only: it comes back as `Err`, a failed case
/// under its own name, and the run goes on. The case already runs on a task of its own (see
/// [`super::dispatch`]); the panic is caught here rather than by spawning it again.
pub(crate) async fn run_guarded(
    context: Arc<Context>,
    case: Case,
) -> Result<CaseResult, CaseResult> {
    let contract = context.contracts[case.contract].name.clone();
    let name = case.name.clone();
    // A case's future holds every exchange it may make, a few kilobytes: boxed, it is built in
    // place once instead of being copied each time the future that holds it moves.
    let ran = Box::pin(async move { run(&context, case).await });
    // Asserting unwind safety is what spawning the case on a task of its own did: tokio catches
    // a task's panic the same way, and the case's own state is dropped with it.
    match AssertUnwindSafe(ran).catch_unwind().await {
        Ok(result) => Ok(result),
        Err(panic) => Err(crashed(contract, name, &panic_message(panic.as_ref()))),
    }
}

/// A case conform itself failed to run: reported under its name, as a failed check.
pub(crate) fn crashed(contract: String, case: String, message: &str) -> CaseResult {
    CaseResult {
        contract,
        case,
        checks: vec![CheckResult::fail_with(
            Check::Transport,
            format!("conform itself failed while running this case: {message}"),
        )],
        duration: Duration::ZERO,
        steps: Vec::new(),
    }
}

/// What a panic said.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    match (
        payload.downcast_ref::<&str>(),
        payload.downcast_ref::<String>(),
    ) {
        (Some(text), _) => text.to_string(),
        (_, Some(text)) => text.clone(),
        _ => "a panic without a message".into(),
    }
}

/// Sends, judges and records one case.
async fn run(context: &Context, case: Case) -> CaseResult {
    failpoint(&case);
    let started = Instant::now();
    let contract = &context.contracts[case.contract];
    let kind = case.kind;
    if context.target.given_up() {
        return not_sent(context, contract, case);
    }
    // A scenario's results go under its file, as its clauses do.
    let (owner, file) = match &case.action {
        Action::Scenario(scenario) => (scenario.set.clone(), scenario.file.clone()),
        _ => (contract.name.clone(), contract.source.path.clone()),
    };
    let mut steps = Vec::new();
    // The run's secrets with those the case's exchanges add, when they add any.
    let mut issued = None;
    let checks = match case.action {
        Action::Exchange(mut exchange) => {
            let (expect, probe) = (exchange.expect.clone(), exchange.probe.clone());
            let probed = probe.as_ref().map(|p| p.field.as_str());
            let setup =
                resources::prepare(context, contract, &mut exchange.request, probed, &case.name)
                    .await;
            match setup {
                Some(failed) if failed.outcome == Outcome::Fail => vec![failed],
                setup => {
                    let created = setup
                        .as_ref()
                        .and_then(|_| resources::created_id(contract, &exchange.request));
                    let (observed, request) = send::single(context, contract, exchange).await;
                    issued = context.observed(case.contract, &case.name, &observed);
                    let replayable =
                        contract.result.role(&expect.status) == Some(StatusRole::Success);
                    let request = replayable.then_some(&request);
                    enter(
                        context,
                        (case.contract, &case.name),
                        observed.main().answer(),
                        request,
                    );
                    let checks = check::judge(contract, &expect, probe.as_ref(), &observed);
                    let answered = (&case.name[..], &observed, created.as_deref());
                    let secrets = issued.as_ref().unwrap_or(&context.secrets);
                    let checks = with_snapshot(context, contract, answered, secrets, checks);
                    setup.into_iter().chain(checks).collect()
                }
            }
        }
        Action::Conflict(scenario) => {
            let observed = send::conflict(context, contract, &scenario).await;
            issued = context.observed(case.contract, &case.name, &observed);
            enter(
                context,
                (case.contract, &case.name),
                observed.main().answer(),
                None,
            );
            check::judge(contract, &success(contract), None, &observed)
        }
        Action::Flow(flow) => {
            let record = flow::run(context, &flow, &case.name).await;
            context.flowed(case.contract, &case.name, &record);
            let checks = check::flow::judge(&context.contracts, &flow, &record);
            let (checks, traces) = steps::finish(context, &case.name, &record, checks);
            steps = traces;
            checks
        }
        Action::Scenario(scenario) => {
            let record = scenario::run(context, &scenario, &case.name).await;
            context.flowed(case.contract, &case.name, &record);
            let checks = check::scenario::judge(&context.contracts, &scenario, &record);
            let (checks, traces) = steps::finish(context, &case.name, &record, checks);
            steps = traces;
            checks
        }
        Action::Concurrent(scenario) => {
            let observed = send::concurrent(context, contract, &scenario).await;
            issued = context.observed(case.contract, &case.name, &observed);
            if let Observations::Concurrent { answers } = &observed {
                for settled in answers {
                    enter(context, (case.contract, &case.name), settled.answer(), None);
                }
            }
            check::judge(contract, &success(contract), None, &observed)
        }
        Action::Security(probe) => {
            let (checks, secrets) = security::run(context, case.contract, &probe, &case.name).await;
            issued = secrets;
            checks
        }
        Action::LateReplay if context.late.keys == 0 => vec![CheckResult::skip(
            Check::LateReplay,
            "late replays turned off (--late-replays 0)",
        )],
        Action::LateReplay => {
            let (checks, secrets) = late::run(context, case.contract, &case.name).await;
            issued = secrets;
            checks
        }
        Action::Unique => {
            let record = context.ledger.unique(case.contract, contract);
            let key = contract.idempotency.as_ref().map(|i| i.key_in.name());
            let secret: Vec<&str> = contract.issues.iter().map(|i| i.pointer.as_str()).collect();
            vec![check::unique::check(&record, key, &secret)]
        }
    };
    let secrets = issued.as_ref().unwrap_or(&context.secrets);
    let mut checks = printable(checks, secrets);
    for check in &mut checks {
        if context.clauses.locates(check.outcome) {
            check.clause = context.clauses.clause(&file, kind, &case.name, check.check);
        }
    }
    CaseResult {
        contract: owner,
        case: case.name,
        checks,
        duration: started.elapsed(),
        steps,
    }
}

/// Enters a settled answer of `case` in the run's ledger (it keeps successes only);
/// `request` when the case's request may be replayed late.
fn enter(
    context: &Context,
    (index, case): (usize, &str),
    exchange: &crate::observe::Exchange,
    request: Option<&crate::observe::Request>,
) {
    let answered = Answered {
        case,
        exchange,
        request,
        sent: context.target.sent(),
    };
    context
        .ledger
        .enter(index, &context.contracts[index], answered);
}

/// Debug builds panic in the case named by `CONFORM_PANIC_IN_CASE`, so the tests can show that
/// a crash is reported under the case's name with exit code 4; release builds have no such
/// hook.
fn failpoint(case: &Case) {
    #[cfg(debug_assertions)]
    if std::env::var_os("CONFORM_PANIC_IN_CASE").is_some_and(|name| name == case.name.as_str()) {
        panic!("CONFORM_PANIC_IN_CASE is set to this case");
    }
    #[cfg(not(debug_assertions))]
    let _ = case;
}

/// A case the run did not send because the target answered none of its first requests.
fn not_sent(context: &Context, contract: &Contract, case: Case) -> CaseResult {
    context.not_sent.fetch_add(1, Ordering::Relaxed);
    let after = context.target.give_up_after();
    let reason =
        format!("not sent: target not answering (no answer to the run's first {after} requests)");
    CaseResult {
        contract: contract.name.clone(),
        case: case.name,
        checks: vec![CheckResult::skip(Check::Transport, reason)],
        duration: Duration::ZERO,
        steps: Vec::new(),
    }
}

/// Findings quote the target (codes, messages, bodies, headers) in many places; they are made
/// safe to print here, once, before any reporter sees them: no control characters, and no
/// secret value (a token the target echoes in an error message, say).
pub(super) fn printable(mut checks: Vec<CheckResult>, secrets: &Secrets) -> Vec<CheckResult> {
    let clean = |text: &mut String, how: fn(&str) -> Cow<'_, str>| {
        if let Cow::Owned(shown) = how(text) {
            *text = shown;
        }
        if let Cow::Owned(scrubbed) = secrets.scrub(text) {
            *text = scrubbed;
        }
    };
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
/// back: `answered` is the case, what it observed and the id of the resource created for it,
/// shown as `[id]` as in a flow's snapshots.
fn with_snapshot(
    context: &Context,
    contract: &Contract,
    (case, observed, created): (&str, &Observations, Option<&str>),
    secrets: &Secrets,
    mut checks: Vec<CheckResult>,
) -> Vec<CheckResult> {
    let settled = observed.main().answer();
    let (Some(snapshots), Ok(response)) = (&context.snapshots, &settled.answer) else {
        return checks;
    };
    let key = settled.sent.key.as_deref();
    let mut volatile =
        Volatile::new(contract, key, context.mint.nonce()).with_secrets(secrets.values());
    if let Some(id) = created {
        volatile = volatile.with_value(id, "[id]".into());
    }
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
