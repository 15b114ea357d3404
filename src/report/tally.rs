//! What reporters keep while results stream past: per contract, a [`Summary`] and counts per
//! check, plus the failed checks of failed cases. Passing results are counted, never kept, so a
//! run of 100k cases costs only its failures.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::results::{CaseResult, Check, ContractInfo, Outcome, RunInfo};

/// Counts of one check's outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
    /// Recorded, nothing compared.
    pub recorded: usize,
}

impl Counts {
    /// Counts one outcome.
    pub(crate) fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail => self.failed += 1,
            Outcome::Skip => self.skipped += 1,
            Outcome::Recorded => self.recorded += 1,
        }
    }

    /// Adds `other`'s counts to these.
    pub(crate) fn merge(&mut self, other: &Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.recorded += other.recorded;
    }

    /// Every outcome counted.
    pub(crate) fn total(&self) -> usize {
        self.passed + self.failed + self.skipped + self.recorded
    }
}

/// One contract's share of a run.
#[derive(Debug, Clone)]
pub(crate) struct ContractTally {
    /// The contract as the run names it (file and digest); empty for results outside any
    /// contract, such as a crashed case.
    pub info: ContractInfo,
    /// The contract's cases.
    pub cases: CaseCounts,
    /// Outcomes per check, in the order checks are listed.
    pub checks: BTreeMap<Check, Counts>,
}

/// A contract's cases as its lines in a report count them: a few numbers rather than a whole
/// [`crate::results::Summary`], as a merge of 10,000 contracts' shards keeps one per contract in each of the
/// console, Markdown and HTML reporters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CaseCounts {
    /// Cases run.
    pub cases: usize,
    /// Cases with at least one failed check.
    pub failed_cases: usize,
    /// Failed checks, known failures included.
    failed: usize,
    /// Failed checks the baseline lists.
    known: usize,
}

impl CaseCounts {
    fn add(&mut self, case: &CaseResult) {
        self.cases += 1;
        self.failed_cases += usize::from(case.failed());
        for check in case.checks.iter().filter(|c| c.outcome == Outcome::Fail) {
            self.failed += 1;
            self.known += usize::from(check.known);
        }
    }

    /// Whether no check failed but those the baseline lists, as [`crate::results::Summary::success`] says of
    /// a run.
    pub(crate) fn success(&self) -> bool {
        self.failed == self.known
    }
}

/// Counts per contract and check, in the order contracts were given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tallies {
    contracts: IndexMap<String, ContractTally, foldhash::fast::RandomState>,
}

impl Tallies {
    /// One empty tally per contract of the run, so a contract whose cases were all filtered
    /// out still shows.
    pub(crate) fn new(info: &RunInfo) -> Self {
        let contracts = info
            .contracts
            .iter()
            .map(|c| (c.name.clone(), ContractTally::new(c.clone())))
            .collect();
        Tallies { contracts }
    }

    /// Counts one case.
    pub(crate) fn add(&mut self, case: &CaseResult) {
        // Looked up before an entry is made: making one copies the name, for every case.
        let index = match self.contracts.get_index_of(&case.contract) {
            Some(index) => index,
            None => {
                let info = ContractInfo {
                    name: case.contract.clone(),
                    path: String::new(),
                    sha256: String::new(),
                };
                let tally = ContractTally::new(info);
                self.contracts.insert_full(case.contract.clone(), tally).0
            }
        };
        let tally = &mut self.contracts[index];
        tally.cases.add(case);
        for check in &case.checks {
            tally
                .checks
                .entry(check.check)
                .or_default()
                .add(check.outcome);
        }
    }

    /// The contracts with their counts.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &ContractTally> {
        self.contracts.values()
    }
}

impl ContractTally {
    fn new(info: ContractInfo) -> Self {
        ContractTally {
            info,
            cases: CaseCounts::default(),
            checks: BTreeMap::new(),
        }
    }
}

/// A failed case with only its failed checks (new and known ones), which is what reports list
/// in their failures section; `None` when no check of the case failed.
pub(crate) fn failed_part(case: &CaseResult) -> Option<CaseResult> {
    (case.failed() || case.has_known_failure()).then(|| CaseResult {
        checks: case
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .cloned()
            .collect(),
        ..case.clone()
    })
}

/// How a report names a contract: results outside any contract come from conform itself.
pub(crate) fn contract_label(name: &str) -> &str {
    if name.is_empty() { "(conform)" } else { name }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::results::CheckResult;

    fn case(contract: &str, checks: Vec<CheckResult>) -> CaseResult {
        CaseResult {
            contract: contract.into(),
            case: format!("{contract}/example/x"),
            checks,
            duration: Duration::ZERO,
            steps: Vec::new(),
        }
    }

    #[test]
    fn counts_each_check_per_contract_and_keeps_the_contract_order() {
        let info = RunInfo {
            tool_version: "0".into(),
            target: "t".into(),
            embedded: true,
            implementation: Default::default(),
            scope: Default::default(),
            contracts: ["b", "a"]
                .map(|n| ContractInfo {
                    name: n.into(),
                    path: format!("{n}.json"),
                    sha256: String::new(),
                })
                .to_vec(),
            started: String::new(),
        };
        let mut tallies = Tallies::new(&info);
        tallies.add(&case(
            "a",
            vec![
                CheckResult::pass(Check::Transport),
                CheckResult::fail_with(Check::Expectation, "no"),
            ],
        ));
        tallies.add(&case("a", vec![CheckResult::skip(Check::Expectation, "?")]));
        let names: Vec<&str> = tallies.iter().map(|t| t.info.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        let a = tallies.iter().nth(1).unwrap();
        let expectation = a.checks[&Check::Expectation];
        assert_eq!(
            (expectation.passed, expectation.failed, expectation.skipped),
            (0, 1, 1)
        );
        assert_eq!((a.cases.cases, a.cases.failed_cases), (2, 1));
        assert!(!a.cases.success());
        assert!(tallies.iter().next().unwrap().cases.success());
    }

    #[test]
    fn failed_part_keeps_only_failed_checks() {
        let passing = case("a", vec![CheckResult::pass(Check::Transport)]);
        assert!(failed_part(&passing).is_none());
        let failing = case(
            "a",
            vec![
                CheckResult::pass(Check::Transport),
                CheckResult::fail_with(Check::Expectation, "no"),
            ],
        );
        let kept = failed_part(&failing).unwrap();
        assert_eq!(kept.checks.len(), 1);
        assert_eq!(kept.checks[0].check, Check::Expectation);
    }
}

/// Results made by hand for reporters' unit tests: a signed, filtered run with one passing
/// case, one whose snapshot was recorded and one failing case whose finding and diff carry text
/// that needs escaping in every format.
#[cfg(test)]
pub(crate) mod sample {
    use std::path::PathBuf;
    use std::time::Duration;

    use crate::results::{
        CaseResult, Check, CheckResult, ContractInfo, Finding, Implementation, Override, RunInfo,
        Scope, Setting, SigningScope, SnapshotScope, Summary,
    };

    pub(crate) const DIFF: &str = "--- expected\n+++ actual\n@@ -1 +1 @@\n-\"a|b\"\n+\"<b>```\"\n";

    /// The fingerprint of `tests/fixtures/signing/test_rsa2048_pub_spki.pem`.
    pub(crate) const KEY_SHA256: &str =
        "2ca5d946e6a7fb6dc50f1d57856c560eca1f2e4b2c903e52ef7944d7358f3cdb";

    pub(crate) fn run() -> RunInfo {
        RunInfo {
            tool_version: "9.9.9".into(),
            target: "https://user:secret@api.example.com/open".into(),
            embedded: false,
            implementation: Implementation {
                name: Some("acme-cards".into()),
                version: Some("2.3.1".into()),
            },
            contracts: vec![ContractInfo {
                name: "issueCard".into(),
                path: "contracts/platform/issue-card.json".into(),
                sha256: "ab".repeat(32),
            }],
            started: "2026-01-02T03:04:05.678Z".into(),
            scope: scope(),
        }
    }

    fn scope() -> Scope {
        Scope {
            filters: vec!["issueCard/example/*".into()],
            overrides: vec![Override::of(Setting::Replays, 0, [2]).unwrap()],
            snapshots: SnapshotScope {
                mode: "new".into(),
                folder: Some("snapshots".into()),
            },
            timeout: Duration::from_secs(10),
            jobs: 8,
            signing: SigningScope {
                client_id: Some("TEST_CLIENT".into()),
                requests_signed: true,
                key_version: Some(3),
                request_key_sha256: Some(KEY_SHA256.into()),
                answers_verified: true,
                answer_key_sha256: Some(KEY_SHA256.into()),
            },
            ..Scope::default()
        }
    }

    pub(crate) fn cases() -> Vec<CaseResult> {
        let failed = CheckResult::fail(
            Check::Snapshot,
            vec![Finding::message("/cardNo: <changed> | `x`")],
        )
        .with_diff(DIFF.into());
        let recorded = CheckResult::recorded(
            Check::Snapshot,
            "recorded to snapshots/issueCard/example/new.snap (no earlier snapshot)",
            PathBuf::from("snapshots/issueCard/example/new.snap"),
        );
        let case = |name: &str, checks| CaseResult {
            contract: "issueCard".into(),
            case: name.into(),
            checks,
            duration: Duration::from_millis(12),
            steps: Vec::new(),
        };
        vec![
            case(
                "issueCard/example/ok",
                vec![CheckResult::pass(Check::Transport)],
            ),
            case(
                "issueCard/example/new",
                vec![CheckResult::pass(Check::Transport), recorded],
            ),
            case(
                "issueCard/example/drift",
                vec![CheckResult::skip(Check::Transport, "not run"), failed],
            ),
        ]
    }

    /// The summary of the sample run, verdict included.
    pub(crate) fn summary() -> Summary {
        let mut summary = Summary {
            planned: 125,
            matched: 3,
            duration: Duration::from_millis(30),
            ..Summary::default()
        };
        for case in cases() {
            summary.add(&case);
        }
        summary.conclude(&run());
        summary
    }

    /// Feeds the sample run to `reporter` and returns its summary.
    pub(crate) fn feed(reporter: &mut dyn crate::report::Reporter) -> Summary {
        reporter.start(&run()).unwrap();
        for case in cases() {
            reporter.case(&case).unwrap();
        }
        let summary = summary();
        reporter.finish(&summary).unwrap();
        summary
    }
}
