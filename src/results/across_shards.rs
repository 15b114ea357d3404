//! `unique` across the shards of a partitioned run. Each shard compares only the answers it got
//! itself, so two shards whose requests got the same card number each pass. A shard therefore
//! writes, in its report, a digest of every value it got at a `unique` place with the case that
//! got it first ([`UniqueValues`]), and `conform merge` compares them across shards
//! ([`Across::of`]) and adds what it finds to the merged `unique` case ([`Across::patch`]).
//!
//! Values are written as the first 16 hex digits of their SHA-256: a report never holds a value
//! it did not already show, and 64 bits keep a chance collision among the 200,000 values a run
//! keeps below one in a billion.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{CaseResult, Check, Finding, Outcome};

/// The values one shard got at one `unique` place of one contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UniqueValues {
    /// The contract's name.
    pub contract: String,
    /// The place, as the contract writes it (`/body/cardNo`).
    pub place: String,
    /// Each value's digest ([`digest`]) and the case that got it first.
    pub values: Vec<(String, String)>,
}

/// The digest a report holds of a value: the first 16 hex digits of its SHA-256.
pub(crate) fn digest(value: &str) -> String {
    let hash = Sha256::digest(value.as_bytes());
    hash[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// One value two shards' requests both got.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shared {
    place: String,
    /// (shard, case) of the first request, then of the other.
    first: (usize, String),
    again: (usize, String),
}

/// What the shards got in common, per contract.
#[derive(Debug, Default)]
pub(crate) struct Across {
    shared: HashMap<String, Vec<Shared>>,
    shards: usize,
}

/// Values shown per contract; the rest are counted.
const SHOWN: usize = 10;

impl Across {
    /// Compares the values of `shards` (each shard's lists, in shard order).
    pub(crate) fn of<'s>(shards: impl IntoIterator<Item = &'s [UniqueValues]>) -> Self {
        let mut first: HashMap<(&str, &str, &str), (usize, &str)> = HashMap::new();
        let mut across = Across::default();
        for (shard, lists) in shards.into_iter().enumerate() {
            across.shards = shard + 1;
            for list in lists {
                for (value, case) in &list.values {
                    let at = (list.contract.as_str(), list.place.as_str(), value.as_str());
                    match first.get(&at) {
                        Some(&(other, by)) if other != shard => {
                            across.add(&list.contract, &list.place, (other, by), (shard, case));
                        }
                        Some(_) => {}
                        None => {
                            first.insert(at, (shard, case));
                        }
                    }
                }
            }
        }
        across
    }

    fn add(&mut self, contract: &str, place: &str, first: (usize, &str), again: (usize, &str)) {
        let shared = Shared {
            place: place.to_string(),
            first: (first.0, first.1.to_string()),
            again: (again.0, again.1.to_string()),
        };
        self.shared
            .entry(contract.to_string())
            .or_default()
            .push(shared);
    }

    /// `case` with the values its contract's requests shared across shards, when it is a
    /// contract's `unique` case and there are any: a failed `unique` check naming them.
    pub(crate) fn patch(&self, mut case: CaseResult) -> CaseResult {
        if !case.case.ends_with("/run/unique") {
            return case;
        }
        let Some(shared) = self.shared.get(&case.contract) else {
            return case;
        };
        let Some(check) = case.checks.iter_mut().find(|c| c.check == Check::Unique) else {
            return case;
        };
        if check.outcome != Outcome::Fail {
            check.outcome = Outcome::Fail;
            check.findings.clear();
        }
        check
            .findings
            .extend(shared.iter().take(SHOWN).map(|s| self.finding(s)));
        if shared.len() > SHOWN {
            check.findings.push(Finding::message(format!(
                "{} more values shared across shards not shown",
                shared.len() - SHOWN
            )));
        }
        case
    }

    fn finding(&self, shared: &Shared) -> Finding {
        let of = self.shards;
        let ((a, first), (b, again)) = (&shared.first, &shared.again);
        Finding {
            pointer: Some(shared.place.clone()),
            expected: Some("a value no other request got".into()),
            actual: Some(format!(
                "shared by requests in shards {} and {}",
                a + 1,
                b + 1
            )),
            message: format!(
                "{} had the same value in two shards: {first} (shard {} of {of}) and {again} (shard {} of {of}); each shard compares its own answers, the merge compares them across shards",
                shared.place,
                a + 1,
                b + 1
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::CheckResult;

    fn values(contract: &str, values: &[(&str, &str)]) -> Vec<UniqueValues> {
        vec![UniqueValues {
            contract: contract.into(),
            place: "/body/cardNo".into(),
            values: (values.iter())
                .map(|(v, c)| (digest(v), c.to_string()))
                .collect(),
        }]
    }

    fn unique_case(contract: &str, outcome: Outcome) -> CaseResult {
        let check = match outcome {
            Outcome::Pass => CheckResult::pass(Check::Unique),
            _ => CheckResult::skip(Check::Unique, "no successful answer"),
        };
        CaseResult {
            contract: contract.into(),
            case: format!("{contract}/run/unique"),
            checks: vec![check],
            duration: std::time::Duration::ZERO,
            steps: Vec::new(),
        }
    }

    #[test]
    fn a_value_two_shards_got_fails_the_unique_case_naming_both_requests() {
        let one = values("issueCard", &[("0001", "issueCard/example/a")]);
        let two = values(
            "issueCard",
            &[("0002", "issueCard/b"), ("0001", "issueCard/c")],
        );
        let across = Across::of([one.as_slice(), two.as_slice()]);
        let case = across.patch(unique_case("issueCard", Outcome::Pass));
        assert_eq!(case.checks[0].outcome, Outcome::Fail);
        assert_eq!(
            case.checks[0].findings[0].message,
            "/body/cardNo had the same value in two shards: issueCard/example/a (shard 1 of 2) and issueCard/c (shard 2 of 2); each shard compares its own answers, the merge compares them across shards"
        );
    }

    #[test]
    fn values_shared_within_one_shard_or_by_other_contracts_are_not_the_merges() {
        let one = values("issueCard", &[("0001", "a"), ("0001", "b")]);
        let two = values("other", &[("0001", "c")]);
        let across = Across::of([one.as_slice(), two.as_slice()]);
        let case = across.patch(unique_case("issueCard", Outcome::Pass));
        assert_eq!(case.checks[0].outcome, Outcome::Pass);
        let other = across.patch(unique_case("other", Outcome::Pass));
        assert_eq!(other.checks[0].outcome, Outcome::Pass);
    }

    #[test]
    fn digests_are_sixteen_hex_digits_and_differ_per_value() {
        assert_eq!(digest("0001").len(), 16);
        assert_ne!(digest("0001"), digest("0002"));
        assert_eq!(digest("0001"), digest("0001"));
    }
}
