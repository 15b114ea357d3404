//! What a flow or scenario observed: each step's request and settled answer, with the id it
//! carried and the values captured from it.

use super::Settled;

/// One step of a flow as it ran.
#[derive(Debug, Clone)]
pub(crate) struct StepRecord {
    /// The step's index in its flow.
    pub index: usize,
    /// The step's label (`create`, `read`).
    pub label: String,
    /// The contract (index in the run) the step called.
    pub contract: usize,
    /// The request, settled.
    pub settled: Settled,
    /// The id the step's answer carries, when its contract creates the resource.
    pub created_id: Option<String>,
    /// The id the flow put into the step's request (the created one, or one never created).
    pub sent_id: Option<String>,
}

/// Everything a flow observed: the steps that ran, in order, and why the rest did not.
#[derive(Debug, Clone, Default)]
pub(crate) struct FlowRecord {
    /// The steps that ran.
    pub steps: Vec<StepRecord>,
    /// Why the flow stopped before its last step, when it did.
    pub stopped: Option<String>,
    /// The values a scenario's steps captured, in the order they were captured.
    pub captured: Vec<Captured>,
}

/// A value a scenario step captured from its answer (or from what it sent).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Captured {
    /// The name later steps use it by.
    pub name: String,
    /// The value.
    pub value: serde_json::Value,
    /// The step (index) it was captured from.
    pub step: usize,
    /// A credential: never shown in full.
    pub secret: bool,
}

impl Captured {
    /// The value as messages show it: JSON, or for a secret its first characters (only when it
    /// is long enough that they give nothing away) and its length.
    pub(crate) fn shown(&self) -> String {
        if !self.secret {
            return crate::json::abbreviate(&self.value, 60);
        }
        crate::json::secret_shown(&crate::scenario::template::text_of(&self.value))
    }
}
