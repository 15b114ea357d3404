//! What a flow or scenario adds once its checks are judged: a snapshot of each step's answer
//! (`<case>/<step>`), the step-by-step account reports show, and the values it captured as
//! credentials scrubbed from everything printed.

use super::case::printable;
use super::context::Context;
use crate::check::steps::{label, traces};
use crate::json::printable_line;
use crate::observe::FlowRecord;
use crate::results::{CheckResult, Outcome, StepTrace};
use crate::scenario::template::text_of;
use crate::snapshot::{self, Taken, Volatile};
use crate::target::Secrets;

/// The checks with the steps' snapshot row, and the steps' account, both safe to print.
pub(super) fn finish(
    context: &Context,
    case: &str,
    record: &FlowRecord,
    mut checks: Vec<CheckResult>,
) -> (Vec<CheckResult>, Vec<StepTrace>) {
    let secrets = secrets(context, record);
    checks.extend(step_snapshots(context, case, record, &secrets, &checks));
    let clean = |text: &str| {
        let line = printable_line(text);
        secrets.scrub(&line).into_owned()
    };
    let steps = traces(&context.contracts, record)
        .into_iter()
        .map(|trace| StepTrace {
            step: clean(&trace.step),
            request: clean(&trace.request),
            answer: clean(&trace.answer),
            body: trace.body.as_deref().map(clean),
            captured: trace.captured.iter().map(|c| clean(c)).collect(),
        })
        .collect();
    (printable(checks, &secrets), steps)
}

/// The values nothing printed or kept may show for this flow or scenario: the run's secrets,
/// the credentials it captured, and what each step's exchanges add (the signatures sent, the
/// credentials its answers issue).
pub(super) fn secrets(context: &Context, record: &FlowRecord) -> Secrets {
    let mut secrets = context.secrets.clone();
    for captured in record.captured.iter().filter(|c| c.secret) {
        secrets.add(&text_of(&captured.value));
    }
    for step in &record.steps {
        let contract = &context.contracts[step.contract];
        let added = context.case_secrets(contract, step.settled.tries());
        for value in added.iter().flat_map(Secrets::values) {
            secrets.add(value);
        }
    }
    secrets
}

/// The credentials `response` carries where `contract` says it issues one (an access token).
pub(super) fn issued_by<'r>(
    contract: &'r crate::contract::Contract,
    response: &'r crate::observe::Response,
) -> impl Iterator<Item = String> + 'r {
    (contract.issues.iter())
        .filter_map(|issue| response.document_value(&issue.pointer))
        .map(|value| text_of(&value))
}

/// The `snapshot` row of the steps, when snapshots are on and any step got an answer. Values
/// that differ on every run by design are redacted: the ids a flow created or made up
/// (`[id]`), the values a scenario captured (`[name]`; a credential as `***`).
fn step_snapshots(
    context: &Context,
    case: &str,
    record: &FlowRecord,
    secrets: &Secrets,
    checks: &[CheckResult],
) -> Option<CheckResult> {
    let snapshots = context.snapshots.as_ref()?;
    let case_failed = checks.iter().any(|c| c.outcome == Outcome::Fail);
    let ids: Vec<&str> = (record.steps.iter())
        .flat_map(|s| [s.created_id.as_deref(), s.sent_id.as_deref()])
        .flatten()
        .collect();
    let mut results = Vec::new();
    for step in &record.steps {
        let contract = &context.contracts[step.contract];
        let exchange = step.settled.answer();
        let Ok(response) = &exchange.answer else {
            continue;
        };
        let mut volatile =
            Volatile::new(contract, exchange.sent.key.as_deref(), context.mint.nonce())
                .with_secrets(secrets.values());
        for id in &ids {
            volatile = volatile.with_value(id, "[id]".into());
        }
        // Short values and numbers (a status captured) would mangle ordinary text.
        let redacted = record
            .captured
            .iter()
            .filter(|c| c.value.as_str().is_some_and(|t| t.len() >= 4));
        for captured in redacted {
            let text = text_of(&captured.value);
            let placeholder = if captured.secret {
                "***".to_string()
            } else {
                format!("[{}]", captured.name)
            };
            volatile = volatile.with_value(&text, placeholder);
        }
        let name = format!("{case}/{}", crate::plan::slug(&step.label));
        let taken = Taken {
            contract,
            case: &name,
            observed: response,
            volatile: &volatile,
            case_failed,
        };
        results.push((label(step), snapshots.check(&taken)));
    }
    snapshot::of_steps(results)
}
