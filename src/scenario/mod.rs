//! Scenarios: the promises that span calls, written down as steps (an auth code works once, the
//! token it gives opens the profile, an update shows in the next read).
//!
//! A scenario file (`*.scenario.json`, found beside the contracts) is read ([`load`]), checked
//! against the format's JSON Schema and its own rules, every problem located in the file like a
//! contract error, and compiled ([`compile`]) against the contracts of the run into
//! [`ScenarioSet`]s: steps naming their contract by index, requests as overrides of the
//! contract's valid base by pointer ([`template`] fills in captured values), captures and
//! expectations. Planning turns each scenario into one case (`<file>/scenario/<scenario>`);
//! running and judging it reuse the flow machinery. This module knows nothing of HTTP.

pub(crate) mod compile;
pub(crate) mod load;
pub(crate) mod model;
pub(crate) mod template;

use std::sync::Arc;

use serde_json::Value;

pub(crate) use load::load_paths;

use crate::contract::{ContractWarning, Expect, SourceInfo};
use crate::json::Pointer;

/// One scenario file, compiled.
#[derive(Debug, Clone)]
pub(crate) struct ScenarioSet {
    /// The file's `name`: the first segment of its case names.
    pub name: String,
    /// Where it came from, for reports.
    pub source: SourceInfo,
    /// Its scenarios, in file order.
    pub scenarios: Vec<Arc<Scenario>>,
    /// Where its `name` is written, for an error about it.
    pub(crate) name_place: ContractWarning,
}

/// One scenario: one case.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// The file's name (`tokens`).
    pub set: String,
    /// The file it is written in, for the clause its checks test.
    pub file: std::path::PathBuf,
    /// The scenario's name (`code-works-once`).
    pub name: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// The case name: `tokens/scenario/code-works-once`.
    pub(crate) fn case_name(&self) -> String {
        format!("{}/scenario/{}", self.set, self.name)
    }
}

/// One request of a scenario.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// Unique within the scenario (`exchange`).
    pub name: String,
    /// The contract called (index in the run).
    pub contract: usize,
    /// The example the request starts from (index in the contract's examples); the contract's
    /// valid base when `None`.
    pub example: Option<usize>,
    /// Values set in the request document, captured values still as `{{name}}`.
    pub set: Vec<(Pointer, Value)>,
    /// Members left out of the request document.
    pub omit: Vec<Pointer>,
    /// Values remembered for later steps.
    pub captures: Vec<Capture>,
    /// What the answer must be.
    pub expect: StepExpect,
}

/// A value remembered from a step.
#[derive(Debug, Clone)]
pub(crate) struct Capture {
    /// The name later steps use (`{{token}}`).
    pub name: String,
    /// Where it is taken from.
    pub from: CaptureFrom,
    /// What to keep of its text: the first group (or the whole match).
    pub pattern: Option<regex::Regex>,
    /// A credential: never printed in full.
    pub secret: bool,
}

/// Where a captured value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CaptureFrom {
    /// In the answer document (`{"status", "headers", "body"}`).
    Answer(Pointer),
    /// In the request document the step sent (`{"path", "query", "headers", "body"}`).
    Sent(Pointer),
}

/// What a step's answer must be.
#[derive(Debug, Clone)]
pub(crate) struct StepExpect {
    /// The business result.
    pub result: Expect,
    /// Values at places of the answer document, captured values still as `{{name}}`.
    pub equal: Vec<(Pointer, Value)>,
    /// Places the answer must not have.
    pub absent: Vec<Pointer>,
    /// Places whose value must equal an earlier step's (by index) at the same place.
    pub unchanged: Vec<(Pointer, usize)>,
}

/// The JSON Schema of the scenario file format, pretty-printed, for editors and
/// `conform schema --scenario`.
pub(crate) fn json_schema() -> String {
    serde_json::to_string_pretty(&schemars::schema_for!(model::ScenarioFile)).unwrap_or_default()
}

/// The scenario format's JSON Schema as a value, derived once (the shape check walks it).
pub(crate) fn format_schema() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::to_value(schemars::schema_for!(model::ScenarioFile))
            .unwrap_or(Value::Bool(true))
    })
}

#[cfg(test)]
mod tests;
