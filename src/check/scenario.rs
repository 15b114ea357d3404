//! Judging a scenario: each step's answer through the per-response checks of its contract
//! ([`super::steps`]), its expected status and code in `expectation` (a failure names the
//! captured values the step's request used), and the `scenario` check for the rest: every
//! capture taken, and, on each step that got the answer it expects, the values it must hold, the
//! places it must not have and the values unchanged since an earlier step.

use serde_json::Value;

use super::steps::{self, label};
use crate::contract::Contract;
use crate::json::{Pointer, abbreviate};
use crate::observe::{Captured, FlowRecord, Response, StepRecord};
use crate::results::{Check, CheckResult, Finding};
use crate::scenario::{Capture, CaptureFrom, Scenario, Step, template};

/// Every check of one scenario, in report order: the per-response rows, `expectation`, the
/// signature row when answers are signed, then `scenario`.
pub(crate) fn judge(
    contracts: &[Contract],
    scenario: &Scenario,
    record: &FlowRecord,
) -> Vec<CheckResult> {
    let expect = |index: usize| &scenario.steps[index].expect.result;
    let note = |index: usize| used(&scenario.steps[index], index, record);
    let mut results = steps::rows(contracts, record, expect, note);
    results.push(spanning(contracts, scenario, record));
    results
}

/// The captured values the step's request used, for a failure's message:
/// `sent /body/accessToken = "{{token}}" (token = 2810… (44 characters, secret) from step 1 (exchange))`.
fn used(step: &Step, index: usize, record: &FlowRecord) -> Option<String> {
    let sent: Vec<String> = step
        .set
        .iter()
        .filter_map(|(pointer, value)| {
            let names = template::names(value);
            (!names.is_empty()).then(|| {
                let mut shown: Vec<String> = Vec::new();
                for (name, _) in names {
                    let text = describe_capture(record, index, &name);
                    if !shown.contains(&text) {
                        shown.push(text);
                    }
                }
                format!(
                    "sent {pointer} = {} ({})",
                    abbreviate(value, 60),
                    shown.join(", ")
                )
            })
        })
        .collect();
    (!sent.is_empty()).then(|| sent.join("; "))
}

/// `token = 2810… (44 characters, secret) from step 1 (exchange)`: the value `name` had for
/// the steps before `before`.
fn describe_capture(record: &FlowRecord, before: usize, name: &str) -> String {
    match latest(record, before, name) {
        Some(c) => format!("{name} = {} from {}", c.shown(), step_name(record, c.step)),
        None => format!("{name} not captured"),
    }
}

/// The value `name` was last captured with by a step before `before`.
fn latest<'r>(record: &'r FlowRecord, before: usize, name: &str) -> Option<&'r Captured> {
    (record.captured.iter().rev()).find(|c| c.step < before && c.name == name)
}

fn step_name(record: &FlowRecord, index: usize) -> String {
    record
        .steps
        .iter()
        .find(|s| s.index == index)
        .map_or_else(|| format!("step {}", index + 1), label)
}

/// The `scenario` check.
fn spanning(contracts: &[Contract], scenario: &Scenario, record: &FlowRecord) -> CheckResult {
    let mut findings = Vec::new();
    if let Some(stopped) = &record.stopped {
        findings.push(Finding::message(stopped.clone()));
    }
    for step in &record.steps {
        let def = &scenario.steps[step.index];
        let contract = &contracts[step.contract];
        let here = label(step);
        for capture in &def.captures {
            let taken = record
                .captured
                .iter()
                .any(|c| c.step == step.index && c.name == capture.name);
            if !taken {
                let why = not_captured(contract, capture, step);
                findings.push(Finding::message(format!(
                    "{here}: nothing to capture as `{}`: {why}",
                    capture.name
                )));
            }
        }
        let Some(response) = step.settled.answer().response() else {
            continue;
        };
        let expected = response.business(contract).is_some_and(|b| {
            def.expect
                .result
                .matches(b.status.as_deref(), b.code.as_deref())
        });
        if expected {
            let judged = Fields {
                record,
                step,
                here: &here,
                response,
            };
            findings.extend(judged.findings(def));
        }
    }
    CheckResult::from_findings(Check::Scenario, findings)
}

/// Why a capture took nothing from a step.
fn not_captured(contract: &Contract, capture: &Capture, step: &StepRecord) -> String {
    let exchange = step.settled.answer();
    let value = match &capture.from {
        CaptureFrom::Answer(at) => match exchange.response() {
            None => return "no answer came back".into(),
            Some(response) => response
                .document_value(at)
                .ok_or_else(|| format!("the answer ({}) has no {at}", response.describe(contract))),
        },
        CaptureFrom::Sent(at) => Err(format!("the request sent had no {at}")),
    };
    match (value, &capture.pattern) {
        (Err(why), _) => why,
        (Ok(value), Some(pattern)) => format!(
            "{} does not match `{}`",
            abbreviate(&value, 60),
            pattern.as_str()
        ),
        (Ok(_), None) => "it could not be read".into(),
    }
}

/// The field expectations of one step that got the answer it expects.
struct Fields<'a> {
    record: &'a FlowRecord,
    step: &'a StepRecord,
    here: &'a str,
    response: &'a Response,
}

impl Fields<'_> {
    fn findings(&self, def: &Step) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (pointer, template) in &def.expect.equal {
            findings.extend(self.equal(pointer, template));
        }
        for pointer in &def.expect.absent {
            if let Some(got) = self.response.document_value(pointer) {
                findings.push(self.mismatch(pointer, "absent".into(), abbreviate(&got, 60)));
            }
        }
        for (pointer, earlier) in &def.expect.unchanged {
            findings.extend(self.unchanged(pointer, *earlier));
        }
        findings
    }

    fn equal(&self, pointer: &Pointer, template: &Value) -> Option<Finding> {
        // The step's own captures count: they are taken from the answer being judged.
        let index = self.step.index + 1;
        let lookup = |name: &str| latest(self.record, index, name).map(|c| c.value.clone());
        let expected = match template::fill(template, &lookup) {
            Ok(expected) => expected,
            Err(name) => {
                return Some(Finding::message(format!(
                    "{}: {pointer}: cannot compare, `{name}` was not captured",
                    self.here
                )));
            }
        };
        let got = self.response.document_value(pointer);
        if got.as_ref() == Some(&expected) {
            return None;
        }
        let names = template::names(template);
        let shown = if names.is_empty() {
            abbreviate(&expected, 60)
        } else {
            let values: Vec<String> = names
                .iter()
                .map(|(name, _)| describe_capture(self.record, index, name))
                .collect();
            format!("{} ({})", abbreviate(template, 60), values.join(", "))
        };
        let got = got.map_or_else(|| "absent".to_string(), |v| abbreviate(&v, 60));
        Some(self.mismatch(pointer, shown, got))
    }

    fn unchanged(&self, pointer: &Pointer, earlier: usize) -> Option<Finding> {
        let before = self.record.steps.iter().find(|s| s.index == earlier)?;
        let then = before.settled.answer().response()?.document_value(pointer);
        let now = self.response.document_value(pointer);
        if then == now {
            return None;
        }
        let show =
            |v: Option<Value>| v.map_or_else(|| "absent".to_string(), |v| abbreviate(&v, 60));
        let expected = format!("{} as in {}", show(then), label(before));
        Some(self.mismatch(pointer, expected, show(now)))
    }

    fn mismatch(&self, pointer: &Pointer, expected: String, got: String) -> Finding {
        let mut finding = Finding::mismatch(Some(pointer.to_string()), expected, got);
        finding.message = format!("{}: {}", self.here, finding.message);
        finding
    }
}
