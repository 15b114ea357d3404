//! Coverage in words, for every reporter alike: one row per contract and aspect (statuses,
//! codes, fields, HTTP statuses, headers) with what was observed of what is declared and what
//! never was, and the gate's outcome. Reporters only escape and lay these out.

use crate::results::coverage::{Aspect, Coverage, Items};

/// One aspect of one contract: `("issueCard", "codes", "3/9", missing)`.
pub(crate) struct Row<'a> {
    /// The contract.
    pub contract: &'a str,
    /// The aspect's name (`codes`).
    pub aspect: &'static str,
    /// Observed of declared (`3/9`).
    pub ratio: String,
    /// What no answer showed, in contract order.
    pub missing: &'a [String],
}

/// Every aspect a contract declares something of, per contract in run order.
pub(crate) fn rows(coverage: &Coverage) -> Vec<Row<'_>> {
    let mut rows = Vec::new();
    for contract in &coverage.contracts {
        for aspect in Aspect::ALL {
            let items: &Items = aspect.of(contract);
            if items.declared.is_empty() {
                continue;
            }
            rows.push(Row {
                contract: &contract.contract,
                aspect: aspect.name(),
                ratio: items.ratio(),
                missing: &items.missing,
            });
        }
    }
    rows
}

/// `U, PROCESS_FAIL and 4 more`: the first few of a list, for compact renderings.
pub(crate) fn few(items: &[String], most: usize) -> String {
    let shown: Vec<&str> = items.iter().take(most).map(String::as_str).collect();
    match items.len().saturating_sub(most) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// The gate's outcome in one sentence, `None` when no gate was asked for.
pub(crate) fn gate(coverage: &Coverage) -> Option<String> {
    if coverage.required.is_empty() {
        return None;
    }
    let asked = coverage.required.join(" ");
    Some(if coverage.deferred {
        format!("--require-coverage {asked}: judged over every shard by `conform merge`")
    } else if coverage.met() {
        format!("--require-coverage {asked}: reached")
    } else {
        format!(
            "--require-coverage {asked}: NOT reached, never observed: {}",
            few(&coverage.unmet, 8)
        )
    })
}

/// Per contract, one compact line: `statuses 2/3 · codes 3/9 · fields 6/6 · http-statuses 1/1`,
/// then what was never observed.
pub(crate) fn compact(coverage: &Coverage) -> Vec<(String, String, Option<String>)> {
    let mut lines: Vec<(String, String, Option<String>)> = Vec::new();
    for row in rows(coverage) {
        let part = format!("{} {}", row.aspect, row.ratio);
        let missing =
            (!row.missing.is_empty()).then(|| format!("{}: {}", row.aspect, few(row.missing, 6)));
        match lines.last_mut() {
            Some((contract, parts, never)) if contract == row.contract => {
                parts.push_str(" · ");
                parts.push_str(&part);
                if let Some(missing) = missing {
                    let joined = match never.take() {
                        Some(earlier) => format!("{earlier}; {missing}"),
                        None => missing,
                    };
                    *never = Some(joined);
                }
            }
            _ => lines.push((row.contract.to_string(), part, missing)),
        }
    }
    lines
}

/// Every contract together, one compact line (`statuses 20000/30000 · codes ...`), and how
/// many contracts had something never observed: what a console shows of a large suite.
pub(crate) fn totals(coverage: &Coverage) -> (String, usize) {
    let mut parts = Vec::new();
    for aspect in Aspect::ALL {
        let (mut observed, mut declared) = (0, 0);
        for contract in &coverage.contracts {
            let items = aspect.of(contract);
            declared += items.declared.len();
            observed += items.declared.len() - items.missing.len();
        }
        if declared > 0 {
            parts.push(format!("{} {observed}/{declared}", aspect.name()));
        }
    }
    let short = (coverage.contracts.iter())
        .filter(|c| Aspect::ALL.iter().any(|a| !a.of(c).missing.is_empty()))
        .count();
    (parts.join(" · "), short)
}

/// Whether the gate names something `contract` never showed (`issueCard: status U`).
pub(crate) fn gated(coverage: &Coverage, contract: &str) -> bool {
    (coverage.unmet.iter()).any(|unmet| {
        unmet
            .strip_prefix(contract)
            .is_some_and(|rest| rest.starts_with(": "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::coverage::ContractCoverage;

    fn coverage() -> Coverage {
        let items = |declared: &[&str], missing: &[&str]| Items {
            declared: declared.iter().map(|s| s.to_string()).collect(),
            missing: missing.iter().map(|s| s.to_string()).collect(),
        };
        Coverage {
            contracts: vec![ContractCoverage {
                contract: "issueCard".into(),
                statuses: items(&["S", "F", "U"], &["U"]),
                codes: items(&["SUCCESS", "PARAM_ILLEGAL"], &[]),
                ..ContractCoverage::default()
            }],
            required: vec!["statuses".into()],
            unmet: vec!["issueCard: status U".into()],
            deferred: false,
        }
    }

    #[test]
    fn compact_lines_give_ratios_and_what_was_never_observed() {
        let lines = compact(&coverage());
        assert_eq!(
            lines,
            [(
                "issueCard".to_string(),
                "statuses 2/3 · codes 2/2".to_string(),
                Some("statuses: U".to_string())
            )]
        );
        assert_eq!(
            gate(&coverage()).unwrap(),
            "--require-coverage statuses: NOT reached, never observed: issueCard: status U"
        );
    }

    #[test]
    fn totals_add_up_every_contract_and_count_those_short_of_something() {
        let mut two = coverage();
        let mut other = two.contracts[0].clone();
        other.contract = "other".into();
        other.statuses.missing.clear();
        two.contracts.push(other);
        assert_eq!(totals(&two), ("statuses 5/6 · codes 4/4".to_string(), 1));
        assert!(gated(&two, "issueCard"));
        assert!(!gated(&two, "other"));
        assert!(!gated(&two, "issue"));
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let items: Vec<String> = (1..=5).map(|i| format!("C{i}")).collect();
        assert_eq!(few(&items, 3), "C1, C2, C3 and 2 more");
    }
}
