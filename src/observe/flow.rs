//! What a flow observed: each step's request and settled answer, with the id it carried.

use super::Settled;

/// One step of a flow as it ran.
#[derive(Debug, Clone)]
pub struct StepRecord {
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
}

/// Everything a flow observed: the steps that ran, in order, and why the rest did not.
#[derive(Debug, Clone, Default)]
pub struct FlowRecord {
    /// The steps that ran.
    pub steps: Vec<StepRecord>,
    /// Why the flow stopped before its last step, when it did.
    pub stopped: Option<String>,
}
