//! Judging a flow: every step's answer through the per-response checks of its own contract and
//! its own expectation, and the `flow` check for what spans the steps (a read shows what the
//! create sent; a replayed create gives the same answer).

use serde_json::Value;

use super::compare::{changed_fields, diff, same};
use super::{answers, expectation};
use crate::contract::{Contract, Location, StatusRole};
use crate::json::abbreviate;
use crate::observe::{FlowRecord, Observations, Response, StepRecord};
use crate::plan::flows::{Flow, Shows, StepId};
use crate::results::{Check, CheckResult, Finding, Outcome};

/// Every check of one flow, in report order: the per-response rows, `expectation`, the
/// signature row when answers are signed, then `flow`.
pub fn judge(contracts: &[Contract], flow: &Flow, record: &FlowRecord) -> Vec<CheckResult> {
    let mut rows = Rows::default();
    let mut signature = Rows::default();
    let mut expectations = Rows::default();
    for step in &record.steps {
        let contract = &contracts[step.contract];
        let observed = Observations::Single {
            main: step.settled.clone(),
            replays: None,
        };
        let judged = answers::judge(contract, &observed);
        let label = step_label(step);
        for row in judged.rows {
            rows.add(&label, row);
        }
        if let Some(row) = judged.signature {
            signature.add(&label, row);
        }
        let expect = &flow.steps[step.index].expect;
        let result = match &step.settled.answer().answer {
            Ok(response) => expectation::check(contract, expect, None, response),
            Err(_) => CheckResult::skip(Check::Expectation, "no response"),
        };
        expectations.add(&label, result);
    }
    let mut results = rows.finish();
    results.extend(expectations.finish());
    results.extend(signature.finish());
    results.push(spanning(contracts, flow, record));
    results
}

/// `step 2 (read)`.
fn step_label(step: &StepRecord) -> String {
    format!("step {} ({})", step.index + 1, step.label)
}

/// One row per check kind, put together from every step: a failure of any step fails the row
/// with its findings labelled by step; a row every step skipped stays skipped. (A security
/// probe's requests are put together the same way.)
#[derive(Default)]
pub(super) struct Rows(Vec<CheckResult>);

impl Rows {
    pub(super) fn add(&mut self, label: &str, result: CheckResult) {
        let labelled: Vec<Finding> = result
            .findings
            .iter()
            .map(|f| Finding {
                message: format!("{label}: {}", f.message),
                ..f.clone()
            })
            .collect();
        let Some(row) = self.0.iter_mut().find(|r| r.check == result.check) else {
            let first = CheckResult {
                findings: if result.outcome == Outcome::Pass {
                    Vec::new()
                } else {
                    labelled
                },
                ..result
            };
            self.0.push(first);
            return;
        };
        match (row.outcome, result.outcome) {
            (_, Outcome::Fail) => {
                if row.outcome != Outcome::Fail {
                    row.findings.clear();
                    row.outcome = Outcome::Fail;
                }
                row.findings.extend(labelled);
                if row.diff.is_none() {
                    row.diff = result.diff;
                }
            }
            (Outcome::Skip, Outcome::Pass) => {
                row.outcome = Outcome::Pass;
                row.findings.clear();
            }
            _ => {}
        }
    }

    pub(super) fn finish(self) -> Vec<CheckResult> {
        self.0
    }
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
