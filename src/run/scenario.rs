//! Running a scenario: each step's request built from its contract's valid base (or the example
//! it names) with fresh keys and single-use values, then the step's own values with the values
//! captured so far filled in; sent and settled; then its captures taken. A step whose request
//! needs a value no earlier step captured is not sent, and the scenario stops there.

use serde_json::Value;

use super::context::Context;
use super::ledger::Answered;
use super::send;
use crate::contract::Contract;
use crate::observe::{Captured, Exchange, FlowRecord, StepRecord};
use crate::plan::{self, Document, KeySpec};
use crate::scenario::{CaptureFrom, Scenario, Step, template};

/// Runs the steps of `scenario` in order; successful answers go into the run's ledger under
/// `case`.
pub(crate) async fn run(context: &Context, scenario: &Scenario, case: &str) -> FlowRecord {
    let mut record = FlowRecord::default();
    for (index, step) in scenario.steps.iter().enumerate() {
        let contract = &context.contracts[step.contract];
        let document = match request_document(context, contract, scenario, step, &record.captured) {
            Ok(document) => document,
            Err(why) => {
                record.stopped = Some(format!(
                    "step {} ({}) was not sent: {why}",
                    index + 1,
                    step.name
                ));
                break;
            }
        };
        let key = contract
            .idempotency
            .as_ref()
            .and_then(|rules| rules.key_in.document_pointer().get(&document).cloned())
            .and_then(|key| key.as_str().map(str::to_string));
        let planned =
            Document::Whole(document.clone()).materialize(&KeySpec::Keep, contract, &context.mint);
        let request = send::request(contract, planned).with_key(key);
        let settings = context.settings(contract);
        let settled = send::settled(context, contract, &settings, &request).await;
        let answered = Answered {
            case,
            exchange: settled.answer(),
            request: None,
            sent: context.target.sent(),
        };
        context.ledger.enter(step.contract, contract, answered);
        for capture in &step.captures {
            if let Some(value) = captured(capture, &document, settled.answer()) {
                record.captured.push(Captured {
                    name: capture.name.clone(),
                    value,
                    step: index,
                    secret: capture.secret,
                });
            }
        }
        record.steps.push(StepRecord {
            index,
            label: step.name.clone(),
            contract: step.contract,
            settled,
            created_id: None,
            sent_id: None,
        });
    }
    record
}

/// The step's request document: its base with fresh values, then what the step leaves out and
/// sets, captured values filled in; `Err` says which value is missing.
fn request_document(
    context: &Context,
    contract: &Contract,
    scenario: &Scenario,
    step: &Step,
    captured: &[Captured],
) -> Result<Value, String> {
    let base = match step.example {
        Some(i) => Some(contract.examples[i].document.clone()),
        None => plan::base_document(contract),
    }
    .ok_or_else(|| format!("`{}` has no valid request to start from", contract.name))?;
    let mut document = Document::Whole(base).document(&KeySpec::Fresh, contract, &context.mint);
    for pointer in &step.omit {
        pointer.remove(&mut document);
    }
    let lookup = |name: &str| {
        (captured.iter().rev())
            .find(|c| c.name == name)
            .map(|c| c.value.clone())
    };
    for (pointer, value) in &step.set {
        let filled = template::fill(value, &lookup).map_err(|name| missing(scenario, &name))?;
        pointer.insert(&mut document, filled);
    }
    Ok(document)
}

/// Why a captured value is missing: the step meant to capture it did not.
fn missing(scenario: &Scenario, name: &str) -> String {
    let by = scenario
        .steps
        .iter()
        .enumerate()
        .find(|(_, s)| s.captures.iter().any(|c| c.name == name));
    match by {
        Some((i, step)) => format!(
            "it needs `{name}`, which step {} ({}) did not capture",
            i + 1,
            step.name
        ),
        None => format!("it needs `{name}`, which no step captures"),
    }
}

/// The value `capture` takes from the step: from the answer (or what was sent), then what its
/// pattern keeps; `None` when there is nothing there (or the pattern does not match).
fn captured(
    capture: &crate::scenario::Capture,
    sent: &Value,
    exchange: &Exchange,
) -> Option<Value> {
    let value = match &capture.from {
        CaptureFrom::Answer(at) => exchange.response()?.document_value(at)?,
        CaptureFrom::Sent(at) => at.get(sent)?.clone(),
    };
    let Some(pattern) = &capture.pattern else {
        return Some(value);
    };
    let text = template::text_of(&value);
    let found = pattern.captures(&text)?;
    let kept = found.get(1).or_else(|| found.get(0))?;
    Some(Value::String(kept.as_str().to_string()))
}
