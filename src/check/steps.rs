//! Judging the steps of a flow or scenario one by one: every step's answer through the
//! per-response checks of its own contract and its own expectation, put together into one row
//! per check with each finding labelled by its step; and the step-by-step account reports show.

use serde_json::Value;

use super::{answers, expectation};
use crate::contract::{Contract, Expect};
use crate::json::abbreviate;
use crate::observe::{FlowRecord, Observations, StepRecord};
use crate::results::{Check, CheckResult, Finding, Outcome, StepTrace};

/// The per-response rows of every step, then `expectation` (each step's answer against
/// `expect(step)`, a failure followed by `note(step)` when it gives one), then the signature
/// row when answers are signed.
pub(super) fn rows<'e>(
    contracts: &[Contract],
    record: &FlowRecord,
    expect: impl Fn(usize) -> &'e Expect,
    note: impl Fn(usize) -> Option<String>,
) -> Vec<CheckResult> {
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
        let label = label(step);
        for row in judged.rows {
            rows.add(&label, row);
        }
        if let Some(row) = judged.signature {
            signature.add(&label, row);
        }
        let mut result = match &step.settled.answer().answer {
            Ok(response) => expectation::check(contract, expect(step.index), None, response),
            Err(_) => CheckResult::skip(Check::Expectation, "no response"),
        };
        if let (Outcome::Fail, Some(note)) = (result.outcome, note(step.index)) {
            for finding in &mut result.findings {
                finding.message = format!("{}; {note}", finding.message);
            }
        }
        expectations.add(&label, result);
    }
    let mut results = rows.finish();
    results.extend(expectations.finish());
    results.extend(signature.finish());
    results
}

/// `step 2 (read)`.
pub(crate) fn label(step: &StepRecord) -> String {
    format!("step {} ({})", step.index + 1, step.label)
}

/// Each step as it ran: what was sent, what came back (status, result and an abbreviated
/// body), and what it captured.
pub(crate) fn traces(contracts: &[Contract], record: &FlowRecord) -> Vec<StepTrace> {
    record
        .steps
        .iter()
        .map(|step| {
            let contract = &contracts[step.contract];
            let exchange = step.settled.answer();
            let (answer, body) = match &exchange.answer {
                Ok(response) => {
                    let body = match response.json() {
                        Ok(json) => Some(abbreviate(json, 160)),
                        Err(_) if response.body.is_empty() => None,
                        Err(_) => Some(abbreviate(
                            &Value::String(String::from_utf8_lossy(&response.body).into_owned()),
                            160,
                        )),
                    };
                    (response.describe(contract), body)
                }
                Err(err) => (format!("no answer: {err}"), None),
            };
            let captured = record
                .captured
                .iter()
                .filter(|c| c.step == step.index)
                .map(|c| format!("{} = {}", c.name, c.shown()))
                .collect();
            StepTrace {
                step: label(step),
                request: format!("{} {}", exchange.sent.method, exchange.sent.path()),
                answer,
                body,
                captured,
            }
        })
        .collect()
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
