//! Judging a flow: every step's answer through the per-response checks of its own contract and
//! its own expectation, and the `flow` check for what spans the steps (a read shows what the
//! create sent; a replayed create gives the same answer).

use serde_json::Value;

use super::compare::{changed_fields, diff, same};
use super::steps::{self, label as step_label};
use crate::contract::{Contract, Location, StatusRole};
use crate::json::abbreviate;
use crate::observe::{FlowRecord, Response, StepRecord};
use crate::plan::flows::{Flow, Shows, StepId};
use crate::results::{Check, CheckResult, Finding, Outcome};

/// Every check of one flow, in report order: the per-response rows, `expectation`, the
/// signature row when answers are signed, then `flow`.
pub(crate) fn judge(contracts: &[Contract], flow: &Flow, record: &FlowRecord) -> Vec<CheckResult> {
    let expect = |index: usize| &flow.steps[index].expect;
    let mut results = steps::rows(contracts, record, expect, |_| None);
    results.push(spanning(contracts, flow, record));
    results
}

/// The `flow` check: the steps that had to run did, and each shows what it must of earlier
/// steps.
fn spanning(contracts: &[Contract], flow: &Flow, record: &FlowRecord) -> CheckResult {
    let mut findings = Vec::new();
    let mut shown_diff = None;
    if let Some(stopped) = &record.stopped {
        findings.push(Finding::message(stopped.clone()));
    }
    let created = record
        .steps
        .iter()
        .find_map(|s| s.created_id.as_deref().map(|id| (s, id)));
    for step in &record.steps {
        let contract = &contracts[step.contract];
        let Some(response) = success(contract, step) else {
            continue;
        };
        if flow.steps[step.index].id == StepId::Created
            && let Some((creator, id)) = created
        {
            findings.extend(same_id(contracts, creator, id, step, response));
        }
        match flow.steps[step.index].shows {
            Shows::Nothing => {}
            Shows::SentBy(earlier) => {
                let Some(earlier) = record.steps.get(earlier) else {
                    continue;
                };
                findings.extend(sent_comes_back(contract, step, response, earlier));
            }
            Shows::SameAnswerAs(earlier) => {
                let first = record
                    .steps
                    .get(earlier)
                    .and_then(|e| success(&contracts[e.contract], e));
                if let Some(first) = first
                    && !same(first, response)
                {
                    let label = step_label(step);
                    let earlier_label = step_label(&record.steps[earlier]);
                    findings.push(Finding::message(format!(
                        "{label} returned a different answer than {earlier_label}: {}",
                        changed_fields(first, response)
                    )));
                    shown_diff.get_or_insert_with(|| diff(first, response, &earlier_label, &label));
                }
            }
        }
    }
    let result = CheckResult::from_findings(Check::Flow, findings);
    match shown_diff {
        Some(diff) if result.outcome == Outcome::Fail => result.with_diff(diff),
        _ => result,
    }
}

/// A step acting on the created resource must answer about that resource: where the creating
/// contract's answer holds the id inside the resource (`/body/card/id` in `/body/card`), the
/// step's representation must hold the same id there.
fn same_id(
    contracts: &[Contract],
    creator: &StepRecord,
    id: &str,
    step: &StepRecord,
    response: &Response,
) -> Option<Finding> {
    let resource = contracts[creator.contract].resource.as_ref()?;
    let id_at = resource.id.as_ref()?;
    let within = id_at
        .segments()
        .strip_prefix(resource.representation.segments())?;
    let shown = representation(&contracts[step.contract], response)?;
    let got = within
        .iter()
        .try_fold(&shown, |value, segment| value.get(segment))?;
    (got.as_str() != Some(id)).then(|| {
        Finding::mismatch(
            Some(format!("/{}", within.join("/"))),
            format!("\"{id}\" (the id {} answered with)", step_label(creator)),
            format!("{} in {}", abbreviate(got, 40), step_label(step)),
        )
    })
}

/// The step's answer, when it succeeded.
fn success<'r>(contract: &Contract, step: &'r StepRecord) -> Option<&'r Response> {
    step.settled
        .answer()
        .response()
        .filter(|r| r.role(contract) == Some(StatusRole::Success))
}

/// Every top-level field `earlier` sent in its body that the representation in `response` also
/// has must have the value sent.
fn sent_comes_back(
    contract: &Contract,
    step: &StepRecord,
    response: &Response,
    earlier: &StepRecord,
) -> Vec<Finding> {
    let sent: Option<Value> = serde_json::from_slice(&earlier.settled.answer().sent.body).ok();
    let Some(Value::Object(sent)) = sent else {
        return Vec::new();
    };
    let Some(Value::Object(shown)) = representation(contract, response) else {
        let label = step_label(step);
        return vec![Finding::message(format!(
            "{label}: the answer has no resource to compare with what {} sent",
            step_label(earlier)
        ))];
    };
    sent.iter()
        .filter_map(|(name, value)| {
            let got = shown.get(name)?;
            (got != value).then(|| {
                Finding::mismatch(
                    Some(format!("/{name}")),
                    format!(
                        "{} as {} sent it",
                        abbreviate(value, 40),
                        step_label(earlier)
                    ),
                    format!("{} in {}", abbreviate(got, 40), step_label(step)),
                )
            })
        })
        .collect()
}

/// The resource's representation in an answer, where the contract's resource says it is.
fn representation(contract: &Contract, response: &Response) -> Option<Value> {
    let at = &contract.resource.as_ref()?.representation;
    match at.segments() {
        [first, rest @ ..] if first == Location::Body.name() => {
            let body = response.json().as_ref().ok()?;
            rest.iter()
                .try_fold(body, |value, segment| value.get(segment))
                .cloned()
        }
        _ => None,
    }
}
