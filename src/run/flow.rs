//! Running a flow: each step's request built from its contract's valid base, the created id
//! carried from the create step to the steps that act on it, replays under the create's key.

use serde_json::Value;

use super::context::Context;
use super::ledger::Answered;
use super::resources::id_in;
use super::send;
use crate::contract::{Contract, StatusRole};
use crate::observe::{FlowRecord, StepRecord};
use crate::plan::flows::{Flow, Step, StepId, StepKey};
use crate::plan::{self, Document, KeySpec};

/// Runs the steps of `flow` in order, stopping at a step whose request cannot be built (its
/// create failed) or whose answer a later step needs and did not get. Successful answers go
/// into the run's ledger under `case`.
pub(crate) async fn run(context: &Context, flow: &Flow, case: &str) -> FlowRecord {
    let mut record = FlowRecord::default();
    let mut created: Option<String> = None;
    let mut keys: Vec<Option<String>> = Vec::new();
    let mut documents: Vec<Value> = Vec::new();
    for (index, step) in flow.steps.iter().enumerate() {
        let contract = &context.contracts[step.contract];
        let document = match request_document(context, contract, step, created.as_deref()) {
            Ok(document) => document,
            Err(why) => {
                record.stopped = Some(format!(
                    "step {} ({}) was not sent: {why}",
                    index + 1,
                    step.label
                ));
                break;
            }
        };
        let (document, key) = match step.key {
            StepKey::Fresh => (document, None),
            StepKey::SameAs(earlier) => (documents[earlier].clone(), keys[earlier].clone()),
        };
        let spec = if key.is_some() {
            KeySpec::Keep
        } else {
            KeySpec::Fresh
        };
        let keyed = match (&key, &contract.idempotency) {
            (Some(key), Some(rules)) => {
                plan::keyed(&document, &rules.key_in.document_pointer(), key)
            }
            _ => document.clone(),
        };
        let planned = Document::Whole(keyed).materialize(&spec, contract, &context.mint);
        let mut request = send::request(contract, planned);
        if key.is_some() {
            request.key = key;
        }
        let key = request.key.clone();
        let settings = context.settings(contract);
        let settled = send::settled(context, contract, &settings, &request).await;
        let answered = Answered {
            case,
            exchange: settled.answer(),
            request: None,
            sent: context.target.sent(),
        };
        context.ledger.enter(step.contract, contract, answered);
        let created_id = created_id(contract, &settled);
        if step.id == StepId::Base && created.is_none() {
            created = created_id.clone();
        }
        keys.push(key);
        documents.push(document);
        record.steps.push(StepRecord {
            index,
            label: step.label.clone(),
            contract: step.contract,
            settled,
            created_id,
        });
    }
    record
}

/// The step's request document: its contract's valid base, with the flow's id where the
/// contract's resource says the id goes.
fn request_document(
    context: &Context,
    contract: &Contract,
    step: &Step,
    created: Option<&str>,
) -> Result<Value, String> {
    let mut document = plan::base_document(contract)
        .ok_or_else(|| format!("`{}` has no valid request to send", contract.name))?;
    let id_at = contract.resource.as_ref().and_then(|r| r.id.as_ref());
    let id = match step.id {
        StepId::Base => return Ok(document),
        StepId::Created => created
            .map(str::to_string)
            .ok_or("the create step gave no id")?,
        StepId::Unknown => unknown_id(context, contract),
    };
    if let Some(at) = id_at {
        at.set(&mut document, Value::String(id));
    }
    Ok(document)
}

/// The id a successful create answered with, when the step's contract creates.
fn created_id(contract: &Contract, settled: &crate::observe::Settled) -> Option<String> {
    let response = settled.answer().response()?;
    let at = contract.resource.as_ref()?.id.as_ref()?;
    let creates = contract.resource.as_ref()?.action == crate::contract::ResourceAction::Create;
    (creates && response.role(contract) == Some(StatusRole::Success))
        .then(|| id_in(response, at))
        .flatten()
}

/// An id no one created: the id's made-up value with its end replaced by digits unique to the
/// run, kept only when it still fits the id's definition.
fn unknown_id(context: &Context, contract: &Contract) -> String {
    let schema = contract
        .resource
        .as_ref()
        .and_then(|r| r.id.as_ref())
        .and_then(|at| {
            crate::contract::schema_at(&contract.types, &contract.document, at.segments())
        });
    let made = schema
        .and_then(|s| crate::generate::value(&contract.types, s, &Default::default()))
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    let digits = context.mint.fresh();
    let tail: String = digits
        .chars()
        .rev()
        .take(10)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let cut = made
        .char_indices()
        .rev()
        .nth(tail.len().saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let candidate = format!("{}{tail}", &made[..cut]);
    let fits = schema.is_some_and(|s| {
        crate::rules::validate(&contract.types, s, &Value::String(candidate.clone()), None)
            .is_empty()
    });
    if fits { candidate } else { made }
}
