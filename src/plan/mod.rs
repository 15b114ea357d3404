//! Planning: turning contracts into a deterministic sequence of named cases before anything
//! is sent.
//!
//! Cases come from the contract's examples ([`examples`]), from generators that derive negative
//! and boundary cases from the constraints ([`generated`]), from the idempotency scenarios
//! ([`idempotency`]), from the resources contracts declare ([`flows`]), from how the run
//! authenticates ([`security`]), from scenario files (one case per scenario, after the flows),
//! and, last, from the promises that span the whole run ([`promises`]: late replays, unique
//! values). Names are stable across runs so reports, baselines and snapshots can refer to them.
//! Plans are produced contract by contract ([`stream`]), so a run over a thousand
//! contracts holds one contract's cases at a time, not all of them.

mod case;
pub(crate) mod choose;
mod examples;
pub(crate) mod flows;
mod generated;
mod idempotency;
pub(crate) mod keys;
pub(crate) mod promises;
pub(crate) mod requests;
pub(crate) mod security;

pub(crate) use case::{
    Action, Case, CaseKind, Concurrent, Conflict, Document, Exchange, KeySpec, Materialized, Patch,
    Probe, keyed,
};
pub(crate) use generated::{base_document, notes};
pub(crate) use keys::{KeyMint, StringEdit};
pub(crate) use security::Auth;

use globset::GlobSet;

use crate::contract::Contract;
use crate::scenario::ScenarioSet;

/// Hands each case of one contract to `sink` as soon as it is planned, in the order of
/// [`contract_cases`]; stops early (returning false) when `sink` returns false. No security
/// probes (see [`each_case_with`]).
#[cfg(test)]
pub(crate) fn each_case(
    index: usize,
    contract: &Contract,
    sink: &mut dyn FnMut(Case) -> bool,
) -> bool {
    each_case_with(index, contract, &Auth::default(), sink)
}

/// [`each_case`], then the security probes a run authenticating as `auth` makes.
pub(crate) fn each_case_with(
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
/// security probes; the scenarios of `scenarios` come after the flows.
pub(crate) fn each_selected(
    contracts: &[Contract],
    scenarios: &[ScenarioSet],
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
    let flows = flow_cases(contracts, true).into_iter();
    if flows.chain(scenario_cases(scenarios)).all(&mut select) {
        promises::cases(contracts).into_iter().all(&mut select);
    }
}

/// Every case of every contract, planned lazily one contract at a time, then the flows
/// derived from their resources; no security probes (see [`stream_with`]).
#[cfg(test)]
pub(crate) fn stream(contracts: &[Contract]) -> impl Iterator<Item = Case> + '_ {
    stream_with(contracts, Auth::default())
}

/// [`stream`], with the security probes of a run authenticating as `auth`.
#[cfg(test)]
pub(crate) fn stream_with(contracts: &[Contract], auth: Auth) -> impl Iterator<Item = Case> + '_ {
    stream_all(contracts, &[], auth)
}

/// [`stream_with`], with the scenarios of `scenarios` after the flows: every case a run of
/// both plans, in plan order.
pub(crate) fn stream_all<'a>(
    contracts: &'a [Contract],
    scenarios: &'a [ScenarioSet],
    auth: Auth,
) -> impl Iterator<Item = Case> + 'a {
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
        .chain(scenario_cases(scenarios))
        .chain(std::iter::once_with(|| promises::cases(contracts)).flatten())
}

/// The cases of `suite` that `selection` keeps, batch by batch in run order, each batch's with
/// its contracts: what a run of the suite plans, `--partition` taken over the whole run as the
/// run takes it.
pub(crate) fn each_batch_selected<E: From<crate::contract::ContractErrors>>(
    suite: &crate::contract::suite::Suite,
    scenarios: &[ScenarioSet],
    auth: &Auth,
    selection: &Selection,
    mut each: impl FnMut(&[Contract], &mut dyn Iterator<Item = Case>) -> Result<(), E>,
) -> Result<(), E> {
    let mut matched = 0;
    suite.each_batch(|contracts| {
        let mut cases = stream_all(contracts, scenarios, auth.clone())
            .filter(|case| selection.keeps(case, &mut matched));
        each(contracts, &mut cases)
    })
}

/// One case per scenario, files and scenarios in order: `<file>/scenario/<scenario>`.
pub(crate) fn scenario_cases(scenarios: &[ScenarioSet]) -> impl Iterator<Item = Case> + '_ {
    scenarios
        .iter()
        .flat_map(|set| set.scenarios.iter())
        .map(|scenario| Case {
            name: scenario.case_name(),
            contract: scenario.steps.first().map_or(0, |s| s.contract),
            kind: CaseKind::Scenario,
            action: Action::Scenario(std::sync::Arc::clone(scenario)),
        })
}

/// The contracts (indexes in the run) whose operations a case sends to: its own, or each
/// step's for a flow or scenario.
pub(crate) fn contracts_sent_to(case: &Case) -> Vec<usize> {
    match &case.action {
        Action::Flow(flow) => flow.steps.iter().map(|s| s.contract).collect(),
        Action::Scenario(scenario) => scenario.steps.iter().map(|s| s.contract).collect(),
        _ => vec![case.contract],
    }
}

/// The names a case's snapshots go by: the case's own, or for a flow or scenario one per step
/// (`<case>/<step>`), each step's answer being recorded on its own.
pub(crate) fn snapshot_names(case: &Case) -> Vec<String> {
    let steps: Vec<&str> = match &case.action {
        Action::Flow(flow) => flow.steps.iter().map(|s| s.label.as_str()).collect(),
        Action::Scenario(scenario) => scenario.steps.iter().map(|s| s.name.as_str()).collect(),
        _ => return vec![case.name.clone()],
    };
    steps
        .into_iter()
        .map(|step| format!("{}/{}", case.name, slug(step)))
        .collect()
}

/// Makes a name part safe for case names, globs and file names: letters, digits, `.`, `_` and
/// `-` stay, anything else becomes `_` (`ALIPAY_CN` stays, `a b/c` becomes `a_b_c`).
pub(crate) fn slug(text: &str) -> String {
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
pub(crate) struct Selection {
    /// Keep cases whose names match any of these globs (all when `None`).
    pub filter: Option<GlobSet>,
    /// Then leave out cases whose names match any of these (`--exclude`, `!` in `--filter`).
    pub exclude: Option<GlobSet>,
    /// Then keep one shard of what is left.
    pub partition: Option<Partition>,
}

impl Selection {
    /// The selected cases of `cases`, in order.
    #[cfg(test)]
    pub(crate) fn apply<'a>(
        &'a self,
        cases: impl Iterator<Item = Case> + 'a,
    ) -> impl Iterator<Item = Case> + 'a {
        let mut matched = 0;
        cases.filter(move |case| self.keeps(case, &mut matched))
    }

    /// Whether `case` is selected; `matched` counts the cases that passed the filter so far
    /// (the shard is taken over them) and is advanced here.
    pub(crate) fn keeps(&self, case: &Case, matched: &mut usize) -> bool {
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
#[cfg(test)]
pub(crate) struct Plan {
    /// Every case.
    pub cases: Vec<Case>,
}

/// Plans every case of every contract.
#[cfg(test)]
pub(crate) fn plan(contracts: &[Contract]) -> Plan {
    Plan {
        cases: stream(contracts).collect(),
    }
}

#[cfg(test)]
impl Plan {
    /// Keeps shard `k` of `n` (see [`Partition`]).
    pub(crate) fn partition(mut self, shard: Option<Partition>) -> Self {
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
pub(crate) struct KindCounts([usize; CaseKind::ALL.len()]);

impl KindCounts {
    /// Counts one more case.
    pub(crate) fn add(&mut self, case: &Case) {
        self.0[CaseKind::ALL
            .iter()
            .position(|k| *k == case.kind)
            .unwrap_or(0)] += 1;
    }

    /// Each kind with its count, in report order.
    pub(crate) fn by_kind(&self) -> impl Iterator<Item = (CaseKind, usize)> + '_ {
        CaseKind::ALL.iter().copied().zip(self.0)
    }

    /// All cases.
    pub(crate) fn total(&self) -> usize {
        self.0.iter().sum()
    }
}

/// Shard `k` of `n` of a plan (`--partition K/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Partition {
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
    pub(crate) fn holds(&self, index: usize) -> bool {
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
