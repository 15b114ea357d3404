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

/// One value requests of several shards got: the place, and each shard's first request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shared {
    place: String,
    /// (shard, case) per shard that got it, in shard order.
    holders: Vec<(usize, String)>,
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
        // Per value, the first request of each shard that got it.
        type Holders<'s> = Vec<(usize, &'s str)>;
        let mut seen: HashMap<(&str, &str, &str), Holders<'s>> = HashMap::new();
        let mut order = Vec::new();
        let mut across = Across::default();
        for (shard, lists) in shards.into_iter().enumerate() {
            across.shards = shard + 1;
            for list in lists {
                for (value, case) in &list.values {
                    let at = (list.contract.as_str(), list.place.as_str(), value.as_str());
                    let holders = seen.entry(at).or_insert_with(|| {
                        order.push(at);
                        Vec::new()
                    });
                    if holders.last().is_none_or(|(last, _)| *last != shard) {
                        holders.push((shard, case));
                    }
                }
            }
        }
        for at in order {
            let holders = &seen[&at];
            if holders.len() > 1 {
                let (contract, place, _) = at;
                let shared = Shared {
                    place: place.to_string(),
                    holders: (holders.iter())
                        .map(|(shard, case)| (*shard, case.to_string()))
                        .collect(),
                };
                across
                    .shared
                    .entry(contract.into())
                    .or_default()
                    .push(shared);
            }
        }
        across
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
        let named: Vec<String> = (shared.holders.iter())
            .map(|(shard, case)| format!("{case} (shard {} of {of})", shard + 1))
            .collect();
        let shards: Vec<String> = (shared.holders.iter())
            .map(|(shard, _)| (shard + 1).to_string())
            .collect();
        let n = shared.holders.len();
        Finding {
            pointer: Some(shared.place.clone()),
            expected: Some("a value no other request got".into()),
            actual: Some(format!(
                "shared by requests in shards {}",
                shards.join(", ")
            )),
            message: format!(
                "{} had the same value in {n} shards: {}; each shard compares its own answers, the merge compares them across shards",
                shared.place,
                named.join(", ")
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
            "/body/cardNo had the same value in 2 shards: issueCard/example/a (shard 1 of 2), issueCard/c (shard 2 of 2); each shard compares its own answers, the merge compares them across shards"
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
    fn a_value_three_shards_got_is_one_finding_naming_all_three() {
        let [one, two, three] = ["a", "b", "c"].map(|case| values("issueCard", &[("0001", case)]));
        let across = Across::of([one.as_slice(), two.as_slice(), three.as_slice()]);
        let case = across.patch(unique_case("issueCard", Outcome::Pass));
        let findings = &case.checks[0].findings;
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(
            findings[0]
                .message
                .contains("in 3 shards: a (shard 1 of 3), b (shard 2 of 3), c (shard 3 of 3)"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn digests_are_sixteen_hex_digits_and_differ_per_value() {
        assert_eq!(digest("0001").len(), 16);
        assert_ne!(digest("0001"), digest("0002"));
        assert_eq!(digest("0001"), digest("0001"));
    }
}
