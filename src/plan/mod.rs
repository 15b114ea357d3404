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

    /// Keeps shard `k` of `n` (1-based): every `n`-th case starting at the `k`-th, so the `n`
    /// shards together hold every case exactly once and stay balanced.
    pub fn partition(mut self, shard: Option<Partition>) -> Self {
        if let Some(Partition { k, n }) = shard {
            let mut index = 0;
            self.cases.retain(|_| {
                index += 1;
                (index - 1) % n == k - 1
            });
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

/// Shard `k` of `n` of a plan (`--partition K/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// The shard, from 1 to `n`.
    pub k: usize,
    /// How many shards.
    pub n: usize,
}

impl std::str::FromStr for Partition {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("`{text}` is not K/N with 1 <= K <= N (e.g. 2/3)");
        let (k, n) = text.split_once('/').ok_or_else(invalid)?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| invalid())?,
            n.trim().parse().map_err(|_| invalid())?,
        );
        if k == 0 || k > n {
            return Err(invalid());
        }
        Ok(Partition { k, n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(plan: &Plan) -> Vec<String> {
        plan.cases.iter().map(|c| c.name.clone()).collect()
    }

    #[test]
    fn shards_cover_every_case_exactly_once() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/issue-card.json");
        let contract =
            crate::contract::load_str(&path, std::fs::read_to_string(&path).unwrap()).unwrap();
        let full = plan(&[contract]);
        let mut union: Vec<String> = (1..=3)
            .flat_map(|k| names(&full.clone().partition(Some(Partition { k, n: 3 }))))
            .collect();
        let sizes: Vec<usize> = (1..=3)
            .map(|k| {
                full.clone()
                    .partition(Some(Partition { k, n: 3 }))
                    .cases
                    .len()
            })
            .collect();
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "{sizes:?}"
        );
        union.sort();
        let mut all = names(&full);
        all.sort();
        assert_eq!(union, all);
    }

    #[test]
    fn partition_syntax_is_checked() {
        assert_eq!("2/3".parse::<Partition>(), Ok(Partition { k: 2, n: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }
}
