//! Cases for the promises that span a whole run, planned after every other case:
//!
//! | case | for | what must hold |
//! |---|---|---|
//! | `<contract>/run/late-replay` | a contract with an idempotency key | keys replayed after all other traffic (seconds later, past many other keys) get their first answer |
//! | `<contract>/run/unique` | a contract with `unique` places (a `create`'s id by default) | no two requests with distinct keys got the same value there |
//!
//! They are cases like any other, so filters, shards, baselines, `skip` and every report treat
//! them alike; the runner holds them back until the rest of the run is done, every late replay
//! before any `unique` (late replays send traffic whose values count too).

use super::{Action, Case, CaseKind};
use crate::contract::Contract;

/// The run-wide cases of `contracts`, minus those a contract skips: every late replay, then
/// every unique check.
pub(crate) fn cases(contracts: &[Contract]) -> Vec<Case> {
    planned(contracts, true)
}

/// The run-wide cases, leaving out the cases a contract skips only when `skipping`.
pub(super) fn planned(contracts: &[Contract], skipping: bool) -> Vec<Case> {
    let late = contracts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.idempotency.is_some())
        .map(|(index, c)| case(index, c, "late-replay", Action::LateReplay));
    let unique = contracts
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.unique.is_empty())
        .map(|(index, c)| case(index, c, "unique", Action::Unique));
    late.chain(unique)
        .filter(|case| !(skipping && contracts[case.contract].skip.leaves_out(&case.name, false)))
        .collect()
}

/// Whether a case is held back until the rest of the run is done.
pub(crate) fn after_the_rest(case: &Case) -> bool {
    case.kind == CaseKind::Run
}

fn case(index: usize, contract: &Contract, name: &str, action: Action) -> Case {
    Case {
        name: format!("{}/run/{name}", contract.name),
        contract: index,
        kind: CaseKind::Run,
        action,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;

    fn names(contracts: &[Contract]) -> Vec<String> {
        cases(contracts).into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn issue_card_gets_a_late_replay_then_a_unique_case_after_everything_else() {
        let contracts = vec![issue_card()];
        assert_eq!(
            names(&contracts),
            ["issueCard/run/late-replay", "issueCard/run/unique"]
        );
        let plan = crate::plan::plan(&contracts);
        let last: Vec<&str> = plan.cases[plan.cases.len() - 2..]
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(last, ["issueCard/run/late-replay", "issueCard/run/unique"]);
    }

    #[test]
    fn late_replays_of_every_contract_come_before_any_unique_case() {
        let mut second = issue_card();
        second.name = "issueCardCopy".into();
        assert_eq!(
            names(&[issue_card(), second]),
            [
                "issueCard/run/late-replay",
                "issueCardCopy/run/late-replay",
                "issueCard/run/unique",
                "issueCardCopy/run/unique"
            ]
        );
    }

    #[test]
    fn a_contract_without_key_or_unique_places_gets_no_run_case() {
        let contract =
            crate::contract::tests::contract_with_request(serde_json::json!({})).unwrap();
        assert!(names(&[contract]).is_empty());
    }
}
