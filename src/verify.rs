//! Running conform from Rust code, such as a `cargo test` of an implementation: load
//! contracts, run them against a URL or the embedded reference implementation, and assert on
//! each case's results. The CLI's `verify` is this plus reporters and exit codes.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use conform::verify::Verify;
//!
//! let verified = Verify::load(&["contracts/platform/issue-card.json"])
//!     .expect("valid contracts")
//!     .filter(&["issueCard/negative/appId/*"])
//!     .expect("valid globs")
//!     .run() // against the embedded reference implementation: no target given
//!     .await
//!     .expect("the run starts");
//! verified.assert_passed();
//! let case = verified.case("issueCard/negative/appId/too-long").expect("planned");
//! assert!(!case.failed());
//! # });
//! ```
//!
//! Against your own implementation, give its base URL with [`Verify::target`]; to test a
//! client instead, start the reference implementation on a free port with
//! [`crate::reference::ReferenceServer::start`] and point the client at its
//! [`uri`](crate::reference::ReferenceServer::uri).

use std::io;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSetBuilder};

use crate::contract::{self, Contract, ContractErrors};
use crate::report::Reporter;
use crate::results::{CaseResult, CheckResult, Outcome, RunInfo, Summary};
use crate::run::{self, RunError, RunOptions, Target};

/// A run to make: contracts, a target, options.
#[derive(Debug)]
#[must_use = "a verification does nothing until it is run"]
pub struct Verify {
    contracts: Vec<Contract>,
    target: Target,
    options: RunOptions,
}

impl Verify {
    /// The contracts in these files or folders (folders searched recursively for `*.json`).
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<Self, ContractErrors> {
        let paths: Vec<PathBuf> = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        Ok(Self::contracts(contract::load_paths(&paths)?))
    }

    /// These contracts, against the embedded reference implementation until
    /// [`Verify::target`] names another.
    pub fn contracts(contracts: Vec<Contract>) -> Self {
        Verify {
            contracts,
            target: Target::Embedded,
            options: RunOptions::default(),
        }
    }

    /// Check the implementation at this base URL (the contract's path is appended).
    pub fn target(mut self, base_url: impl Into<String>) -> Self {
        self.target = Target::Live(base_url.into());
        self
    }

    /// Only the cases whose names match one of these globs (`issueCard/negative/*`).
    pub fn filter(mut self, globs: &[&str]) -> Result<Self, globset::Error> {
        let mut set = GlobSetBuilder::new();
        for glob in globs {
            set.add(Glob::new(glob)?);
        }
        self.options.filter = Some(set.build()?);
        self.options.filter_globs = globs.iter().map(|g| g.to_string()).collect();
        Ok(self)
    }

    /// Any other option of the run (jobs, time-out, headers, signing, TLS, snapshots...).
    pub fn options(mut self, change: impl FnOnce(&mut RunOptions)) -> Self {
        change(&mut self.options);
        self
    }

    /// Runs every selected case and returns the results; a check that fails is a result, not
    /// an error. Needs a Tokio runtime (`#[tokio::test]`).
    pub async fn run(self) -> Result<Verified, RunError> {
        let mut collected = Collect::default();
        let summary = run::run(self.contracts, self.target, self.options, &mut collected).await?;
        Ok(Verified {
            summary,
            cases: collected.0,
        })
    }
}

/// What a run found: every case's results, in plan order, and the summary with the verdict.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Verified {
    /// Counts and the verdict.
    pub summary: Summary,
    /// Each case run, with its check results.
    pub cases: Vec<CaseResult>,
}

impl Verified {
    /// Whether every check passed (known failures of a baseline aside).
    pub fn passed(&self) -> bool {
        self.summary.success()
    }

    /// The case of this name, if it ran.
    pub fn case(&self, name: &str) -> Option<&CaseResult> {
        self.cases.iter().find(|c| c.case == name)
    }

    /// Every failed check, with its case.
    pub fn failures(&self) -> impl Iterator<Item = (&CaseResult, &CheckResult)> {
        self.cases.iter().flat_map(|case| {
            case.checks
                .iter()
                .filter(|c| c.outcome == Outcome::Fail)
                .map(move |check| (case, check))
        })
    }

    /// Panics, listing each failed check with its case and findings, unless every check
    /// passed.
    #[track_caller]
    pub fn assert_passed(&self) {
        if self.passed() {
            return;
        }
        let lines: Vec<String> = self
            .failures()
            .map(|(case, check)| {
                format!("{} {}: {}", case.case, check.check.name(), check.message())
            })
            .collect();
        panic!(
            "{} of {} cases failed:\n{}",
            self.summary.failed_cases,
            self.summary.cases,
            lines.join("\n")
        );
    }
}

/// Keeps each case's results.
#[derive(Default)]
struct Collect(Vec<CaseResult>);

impl Reporter for Collect {
    fn start(&mut self, _: &RunInfo) -> io::Result<()> {
        Ok(())
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        self.0.push(result.clone());
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        Ok(())
    }
}
