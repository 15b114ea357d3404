//! Planning: turning contracts into a deterministic sequence of named cases before anything
//! is sent.
//!
//! Cases come from the contract's examples ([`examples`]), from generators that derive negative
//! and boundary cases from the constraints ([`generated`]), from the idempotency scenarios
//! ([`idempotency`]), from the resources contracts declare ([`flows`]), from how the run
//! authenticates ([`security`]), and, last, from the promises that span the whole run
//! ([`promises`]: late replays, unique values). Names are stable across runs so reports,
//! baselines and snapshots can refer to them. Plans are produced contract by contract ([`stream`]), so a run over a thousand
//! contracts holds one contract's cases at a time, not all of them.

mod case;
pub mod choose;
mod examples;
pub mod flows;
mod generated;
mod idempotency;
pub mod keys;
pub mod promises;
pub mod security;

pub use case::{
    Action, Case, CaseKind, Concurrent, Conflict, Document, Exchange, KeySpec, Materialized, Patch,
    Probe, keyed, to_bytes,
};
pub use generated::{base_document, limits, notes};
pub use keys::{KeyMint, StringEdit};
pub use security::Auth;

use globset::GlobSet;

use crate::contract::Contract;

/// The cases of one contract (the contract at `index` of the run), in a stable order, for a
/// run without signing or credentials (see [`each_case`]).
pub fn contract_cases(index: usize, contract: &Contract) -> Vec<Case> {
    let mut cases = Vec::new();
    each_case(index, contract, &mut |case| {
        cases.push(case);
        true
    });
    cases
}

/// Hands each case of one contract to `sink` as soon as it is planned, in the order of
/// [`contract_cases`]; stops early (returning false) when `sink` returns false. No security
/// probes (see [`each_case_with`]).
pub fn each_case(index: usize, contract: &Contract, sink: &mut dyn FnMut(Case) -> bool) -> bool {
    each_case_with(index, contract, &Auth::default(), sink)
}

/// [`each_case`], then the security probes a run authenticating as `auth` makes.
pub fn each_case_with(
    index: usize,
    contract: &Contract,
    auth: &Auth,
    sink: &mut dyn FnMut(Case) -> bool,
) -> bool {
    each_case_planned(index, contract, true, auth, sink)
}

/// [`each_case`], leaving out the cases the contract skips only when `skipping`.
fn each_case_planned(
    index: usize,
    contract: &Contract,
    skipping: bool,
    auth: &Auth,
    sink: &mut dyn FnMut(Case) -> bool,
) -> bool {
    let mut keep = |case: Case| {
        let generated = matches!(case.kind, CaseKind::Negative | CaseKind::Boundary);
        (skipping && contract.skip.leaves_out(&case.name, generated)) || sink(case)
    };
    examples::cases(index, contract).into_iter().all(&mut keep)
        && generated::each_planned(index, contract, skipping, &mut keep)
        && idempotency::cases(index, contract)
            .into_iter()
            .all(&mut keep)
        && security::cases(index, contract, auth)
            .into_iter()
            .all(&mut keep)
}

/// The flows of `contracts`, minus those a contract taking part in them skips.
fn flow_cases(contracts: &[Contract], skipping: bool) -> Vec<Case> {
    let mut cases = flows::cases(contracts);
    if skipping {
        cases.retain(|case| !choose::skipped_flow(contracts, case));
    }
    cases
}

/// Hands every selected case of every contract to `sink`, in plan order, as each is planned, so
/// the first cases can be sent while the rest are still being planned. `auth` decides the
/// security probes.
pub fn each_selected(
    contracts: &[Contract],
    auth: &Auth,
    selection: &Selection,
    sink: &mut dyn FnMut(Case) -> bool,
) {
    let mut matched = 0;
    let mut select = |case: Case| !selection.keeps(&case, &mut matched) || sink(case);
    for (index, contract) in contracts.iter().enumerate() {
        if !each_case_with(index, contract, auth, &mut select) {
            return;
        }
    }
    if flow_cases(contracts, true).into_iter().all(&mut select) {
        promises::cases(contracts).into_iter().all(&mut select);
    }
}

/// Every case of every contract, planned lazily one contract at a time, then the flows
/// derived from their resources; no security probes (see [`stream_with`]).
pub fn stream(contracts: &[Contract]) -> impl Iterator<Item = Case> + '_ {
    stream_with(contracts, Auth::default())
}

/// [`stream`], with the security probes of a run authenticating as `auth`.
pub fn stream_with(contracts: &[Contract], auth: Auth) -> impl Iterator<Item = Case> + '_ {
    contracts
        .iter()
        .enumerate()
        .flat_map(move |(index, contract)| {
            let mut cases = Vec::new();
            each_case_with(index, contract, &auth, &mut |case| {
                cases.push(case);
                true
            });
            cases
        })
        .chain(std::iter::once_with(|| flow_cases(contracts, true)).flatten())
        .chain(std::iter::once_with(|| promises::cases(contracts)).flatten())
}

/// Makes a name part safe for case names, globs and file names: letters, digits, `.`, `_` and
/// `-` stay, anything else becomes `_` (`ALIPAY_CN` stays, `a b/c` becomes `a_b_c`).
pub fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Which planned cases a run keeps: a name filter and exclusions, then a shard.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Keep cases whose names match any of these globs (all when `None`).
    pub filter: Option<GlobSet>,
    /// Then leave out cases whose names match any of these (`--exclude`, `!` in `--filter`).
    pub exclude: Option<GlobSet>,
    /// Then keep one shard of what is left.
    pub partition: Option<Partition>,
}

impl Selection {
    /// The selected cases of `cases`, in order.
    pub fn apply<'a>(
        &'a self,
        cases: impl Iterator<Item = Case> + 'a,
    ) -> impl Iterator<Item = Case> + 'a {
        let mut matched = 0;
        cases.filter(move |case| self.keeps(case, &mut matched))
    }

    /// Whether `case` is selected; `matched` counts the cases that passed the filter so far
    /// (the shard is taken over them) and is advanced here.
    pub fn keeps(&self, case: &Case, matched: &mut usize) -> bool {
        if !self
            .filter
            .as_ref()
            .is_none_or(|set| set.is_match(&case.name))
            || self
                .exclude
                .as_ref()
                .is_some_and(|set| set.is_match(&case.name))
        {
            return false;
        }
        *matched += 1;
        self.partition.is_none_or(|p| p.holds(*matched - 1))
    }
}

/// A whole plan in memory; for small runs and tests (runs stream instead).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Every case.
    pub cases: Vec<Case>,
}

/// Plans every case of every contract.
pub fn plan(contracts: &[Contract]) -> Plan {
    Plan {
        cases: stream(contracts).collect(),
    }
}

impl Plan {
    /// Keeps the cases whose names match any of `filters` (all when `filters` is `None`).
    pub fn filter(mut self, filters: Option<&GlobSet>) -> Self {
        if let Some(set) = filters {
            self.cases.retain(|case| set.is_match(&case.name));
        }
        self
    }

    /// Keeps shard `k` of `n` (see [`Partition`]).
    pub fn partition(mut self, shard: Option<Partition>) -> Self {
        let selection = Selection {
            partition: shard,
            ..Selection::default()
        };
        self.cases = selection.apply(self.cases.into_iter()).collect();
        self
    }
}

/// Counts of planned cases per kind, for `conform cases`.
#[derive(Debug, Clone, Copy, Default)]
pub struct KindCounts([usize; CaseKind::ALL.len()]);

impl KindCounts {
    /// Counts one more case.
    pub fn add(&mut self, case: &Case) {
        self.0[CaseKind::ALL
            .iter()
            .position(|k| *k == case.kind)
            .unwrap_or(0)] += 1;
    }

    /// Each kind with its count, in report order.
    pub fn by_kind(&self) -> impl Iterator<Item = (CaseKind, usize)> + '_ {
        CaseKind::ALL.iter().copied().zip(self.0)
    }

    /// All cases.
    pub fn total(&self) -> usize {
        self.0.iter().sum()
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

impl Partition {
    /// Whether the case at `index` (0-based, after filtering) belongs to this shard: every
    /// `n`-th case starting at the `k`-th, so the shards hold every case exactly once and their
    /// sizes differ by at most one.
    pub fn holds(&self, index: usize) -> bool {
        index % self.n == self.k - 1
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
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("contracts/platform/issue-card.json");
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
