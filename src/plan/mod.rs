//! Planning: turning contracts into a deterministic list of named cases before anything is sent.
//!
//! Cases come from the contract's examples and, in later stages, from generators that derive
//! negative, boundary and idempotency cases from the constraints. Names are stable across runs
//! so reports, baselines and snapshots can refer to them.

mod case;
mod examples;
mod generated;
mod idempotency;
pub mod keys;

pub use case::{
    Action, Body, Case, CaseKind, Concurrent, Conflict, Exchange, KeySpec, Materialized, Probe,
    keyed, to_bytes,
};
pub use keys::{KeyMint, StringEdit};

use globset::GlobSet;

use crate::contract::Contract;

/// The planned cases of a run, in a stable order: contract by contract, family by family.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Every case.
    pub cases: Vec<Case>,
}

/// Plans every case of every contract.
pub fn plan(contracts: &[Contract]) -> Plan {
    let mut cases = Vec::new();
    for (index, contract) in contracts.iter().enumerate() {
        cases.extend(examples::cases(index, contract));
        cases.extend(generated::cases(index, contract));
        cases.extend(idempotency::cases(index, contract));
    }
    Plan { cases }
}

impl Plan {
    /// Keeps the cases whose names match any of `filters` (all when `filters` is `None`).
    pub fn filter(mut self, filters: Option<&GlobSet>) -> Self {
        if let Some(set) = filters {
            self.cases.retain(|case| set.is_match(&case.name));
        }
        self
    }

    /// How many cases of each kind, for `conform cases`.
    pub fn counts(&self) -> Vec<(CaseKind, usize)> {
        CaseKind::ALL
            .iter()
            .map(|kind| (*kind, self.cases.iter().filter(|c| c.kind == *kind).count()))
            .collect()
    }
}
