//! Coverage: of what each contract declares an answer can show (business statuses, catalogue
//! codes, response fields, HTTP statuses, response headers), which the run's answers showed and
//! which they never did; and the `--require-coverage` gate on it.
//!
//! A certificate that passes while half the catalogue was never produced says less than it
//! seems, so coverage is part of the result model every reporter renders: the runner counts it
//! from every answer ([`super::observed`]), and the gate's verdict is part of
//! [`super::Summary::success`]. The same item named in several contracts is judged per
//! contract: `codes=ACCESS_DENIED` asks every contract declaring `ACCESS_DENIED` to have seen it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The coverage of a run: per contract, in run order; the gate asked for and what it lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Coverage {
    /// Each contract's coverage, in the order the contracts were run.
    pub contracts: Vec<ContractCoverage>,
    /// `--require-coverage` as given, empty when no gate was asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
    /// What the gate asked for and the answers never showed: `issueCard: code CARD_NOT_EXIST`.
    /// Not empty: the run fails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<String>,
    /// The gate was left to `conform merge`: one shard sees only its own answers, so it can
    /// neither reach the gate nor fail it.
    #[serde(skip)]
    pub deferred: bool,
}

/// One contract's coverage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContractCoverage {
    /// The contract's name.
    pub contract: String,
    /// Business statuses (`S`, `F`, `U`; for results in the HTTP status, the response keys).
    pub statuses: Items,
    /// Catalogue codes (`CODE`, or `STATUS/CODE` for a code listed under several statuses).
    pub codes: Items,
    /// Response body fields, as JSON pointers (`/result/resultCode`, `/items/*/id`).
    pub fields: Items,
    /// HTTP statuses, as declared (`200`, `4XX`, `default`).
    pub http_statuses: Items,
    /// Declared response headers, with the status they are declared for (`201 Location`).
    pub headers: Items,
}

/// What a contract declares of one aspect, and which of it no answer showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Items {
    /// Everything declared, in contract order.
    pub declared: Vec<String>,
    /// What no answer showed, in contract order.
    pub missing: Vec<String>,
}

impl Items {
    /// How many declared items some answer showed.
    pub(crate) fn observed(&self) -> usize {
        self.declared.len() - self.missing.len()
    }

    /// `12/14`, for compact renderings.
    pub(crate) fn ratio(&self) -> String {
        format!("{}/{}", self.observed(), self.declared.len())
    }

    /// Both runs' evidence together: missing only where both miss it.
    fn union(&mut self, other: &Items) {
        self.missing.retain(|item| other.missing.contains(item));
    }
}

/// The aspects coverage is counted for, named as `--require-coverage` takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aspect {
    /// Business statuses.
    Statuses,
    /// Catalogue codes.
    Codes,
    /// Response fields.
    Fields,
    /// HTTP statuses.
    HttpStatuses,
    /// Declared response headers.
    Headers,
}

impl Aspect {
    /// Every aspect, in report order.
    pub(crate) const ALL: [Aspect; 5] = [
        Aspect::Statuses,
        Aspect::Codes,
        Aspect::Fields,
        Aspect::HttpStatuses,
        Aspect::Headers,
    ];

    /// The name `--require-coverage` takes and reports use.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Aspect::Statuses => "statuses",
            Aspect::Codes => "codes",
            Aspect::Fields => "fields",
            Aspect::HttpStatuses => "http-statuses",
            Aspect::Headers => "headers",
        }
    }

    /// One item of this aspect, for messages: `code CARD_NOT_EXIST`.
    fn singular(self) -> &'static str {
        match self {
            Aspect::Statuses => "status",
            Aspect::Codes => "code",
            Aspect::Fields => "field",
            Aspect::HttpStatuses => "HTTP status",
            Aspect::Headers => "header",
        }
    }

    /// This aspect's items of `coverage`.
    pub(crate) fn of(self, coverage: &ContractCoverage) -> &Items {
        match self {
            Aspect::Statuses => &coverage.statuses,
            Aspect::Codes => &coverage.codes,
            Aspect::Fields => &coverage.fields,
            Aspect::HttpStatuses => &coverage.http_statuses,
            Aspect::Headers => &coverage.headers,
        }
    }
}

/// One `--require-coverage` value: every declared item of an aspect (`codes`), or the named
/// ones (`codes=CARD_NOT_EXIST,ACCESS_DENIED`); `all` is every aspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Requirement {
    /// As given.
    pub text: String,
    aspects: Vec<Aspect>,
    only: Option<Vec<String>>,
}

impl FromStr for Requirement {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (name, list) = match text.split_once('=') {
            Some((name, list)) => (name.trim(), Some(list)),
            None => (text.trim(), None),
        };
        let names: Vec<&str> = Aspect::ALL.iter().map(|a| a.name()).collect();
        let aspects = match Aspect::ALL.into_iter().find(|a| a.name() == name) {
            Some(aspect) => vec![aspect],
            None if name == "all" && list.is_none() => Aspect::ALL.to_vec(),
            None => {
                return Err(format!(
                    "`{text}`: expected all, {}, or one of them with a list (codes=CARD_NOT_EXIST,ACCESS_DENIED)",
                    names.join(", ")
                ));
            }
        };
        let only = list.map(|list| {
            let items: Vec<String> = list.split(',').map(|i| i.trim().to_string()).collect();
            items
                .into_iter()
                .filter(|i| !i.is_empty())
                .collect::<Vec<_>>()
        });
        if only.as_ref().is_some_and(Vec::is_empty) {
            return Err(format!("`{text}`: the list after `=` names nothing"));
        }
        Ok(Requirement {
            text: text.to_string(),
            aspects,
            only,
        })
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Requirement {
    /// An item named in the list that no contract of the run declares (a typo would make the
    /// gate ask for nothing), as an error message.
    pub(crate) fn undeclared(&self, contracts: &[ContractCoverage]) -> Option<String> {
        let only = self.only.as_ref()?;
        let aspect = self.aspects[0];
        let unknown: Vec<&str> = only
            .iter()
            .filter(|item| !contracts.iter().any(|c| names(aspect.of(c), item)))
            .map(String::as_str)
            .collect();
        (!unknown.is_empty()).then(|| {
            format!(
                "--require-coverage `{}`: no contract of the run declares {} {}",
                self.text,
                aspect.singular(),
                unknown.join(", ")
            )
        })
    }

    /// What this requirement asks for and `contracts` never showed, one line per item.
    pub(crate) fn unmet(&self, contracts: &[ContractCoverage]) -> Vec<String> {
        let mut unmet = Vec::new();
        for contract in contracts {
            for &aspect in &self.aspects {
                let items = aspect.of(contract);
                for missing in &items.missing {
                    let asked = match &self.only {
                        None => true,
                        Some(only) => only.iter().any(|item| same_item(missing, item)),
                    };
                    if asked {
                        let what = aspect.singular();
                        unmet.push(format!("{}: {what} {missing}", contract.contract));
                    }
                }
            }
        }
        unmet
    }
}

/// Whether `declared` (`CODE` or `STATUS/CODE`) is the item a user named (`CODE` names every
/// status's).
fn same_item(declared: &str, named: &str) -> bool {
    declared == named
        || declared
            .rsplit_once('/')
            .is_some_and(|(_, code)| code == named)
}

fn names(items: &Items, named: &str) -> bool {
    items.declared.iter().any(|d| same_item(d, named))
}

impl Coverage {
    /// Whether there is nothing to show (a run that counted nothing, or a report without it).
    pub(crate) fn is_empty(&self) -> bool {
        self.contracts.is_empty() && self.required.is_empty()
    }

    /// Whether the gate, if any, was reached.
    pub(crate) fn met(&self) -> bool {
        self.unmet.is_empty()
    }

    /// Records `requirements` for the merge of a run's shards to judge, judging nothing here.
    pub(crate) fn defer(&mut self, requirements: &[Requirement]) {
        self.required = requirements.iter().map(|r| r.text.clone()).collect();
        self.deferred = !self.required.is_empty();
    }

    /// Applies `requirements` to the counted coverage.
    pub(crate) fn judge(&mut self, requirements: &[Requirement]) {
        self.required = requirements.iter().map(|r| r.text.clone()).collect();
        self.unmet = requirements
            .iter()
            .flat_map(|r| r.unmet(&self.contracts))
            .collect();
        self.unmet.dedup();
    }

    /// The evidence of two shards of one run together (the same contracts, in the same order).
    pub(crate) fn union(&mut self, other: &Coverage) {
        for (mine, theirs) in self.contracts.iter_mut().zip(&other.contracts) {
            for aspect in Aspect::ALL {
                let other = aspect.of(theirs).clone();
                aspect_mut(mine, aspect).union(&other);
            }
        }
        self.unmet.retain(|line| other.unmet.contains(line));
    }

    /// Totals over every contract for one aspect: (observed, declared).
    #[cfg(test)]
    pub(crate) fn totals(&self, aspect: Aspect) -> (usize, usize) {
        self.contracts.iter().fold((0, 0), |(seen, all), c| {
            let items = aspect.of(c);
            (seen + items.observed(), all + items.declared.len())
        })
    }
}

fn aspect_mut(coverage: &mut ContractCoverage, aspect: Aspect) -> &mut Items {
    match aspect {
        Aspect::Statuses => &mut coverage.statuses,
        Aspect::Codes => &mut coverage.codes,
        Aspect::Fields => &mut coverage.fields,
        Aspect::HttpStatuses => &mut coverage.http_statuses,
        Aspect::Headers => &mut coverage.headers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(declared: &[&str], missing: &[&str]) -> Items {
        Items {
            declared: declared.iter().map(|s| s.to_string()).collect(),
            missing: missing.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn issue_card() -> ContractCoverage {
        ContractCoverage {
            contract: "issueCard".into(),
            statuses: items(&["S", "F", "U"], &["U"]),
            codes: items(
                &["SUCCESS", "PARAM_ILLEGAL", "ACCESS_DENIED", "U/UNKNOWN"],
                &["ACCESS_DENIED", "U/UNKNOWN"],
            ),
            ..ContractCoverage::default()
        }
    }

    #[test]
    fn a_whole_aspect_requirement_lists_every_missing_item() {
        let requirement: Requirement = "codes".parse().unwrap();
        assert_eq!(
            requirement.unmet(&[issue_card()]),
            ["issueCard: code ACCESS_DENIED", "issueCard: code U/UNKNOWN"]
        );
    }

    #[test]
    fn a_listed_requirement_asks_only_for_the_named_items() {
        let requirement: Requirement = "codes=SUCCESS,UNKNOWN".parse().unwrap();
        assert_eq!(
            requirement.unmet(&[issue_card()]),
            ["issueCard: code U/UNKNOWN"]
        );
        let statuses: Requirement = "statuses=S,F".parse().unwrap();
        assert!(statuses.unmet(&[issue_card()]).is_empty());
    }

    #[test]
    fn rejects_an_unknown_aspect_and_an_empty_list() {
        let unknown = "code".parse::<Requirement>().unwrap_err();
        assert!(
            unknown.contains("expected all, statuses, codes"),
            "{unknown}"
        );
        let empty = "codes=".parse::<Requirement>().unwrap_err();
        assert!(empty.contains("names nothing"), "{empty}");
    }

    #[test]
    fn a_listed_item_no_contract_declares_is_named() {
        let requirement: Requirement = "codes=CARD_NOT_EXSIT,SUCCESS".parse().unwrap();
        let message = requirement.undeclared(&[issue_card()]).unwrap();
        assert!(
            message.ends_with("no contract of the run declares code CARD_NOT_EXSIT"),
            "{message}"
        );
    }

    #[test]
    fn shards_together_miss_only_what_both_missed() {
        let mut one = Coverage {
            contracts: vec![issue_card()],
            ..Coverage::default()
        };
        let mut other = issue_card();
        other.codes.missing = vec!["U/UNKNOWN".into()];
        other.statuses.missing = vec![];
        one.union(&Coverage {
            contracts: vec![other],
            ..Coverage::default()
        });
        assert_eq!(one.contracts[0].codes.missing, ["U/UNKNOWN"]);
        assert!(one.contracts[0].statuses.missing.is_empty());
        assert_eq!(one.totals(Aspect::Codes), (3, 4));
    }
}
