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
//! [`uri`](crate::reference::ReferenceServer::uri). Other settings are builder methods
//! ([`Verify::jobs`], [`Verify::timeout`], [`Verify::header`], [`Verify::signed`],
//! [`Verify::late_replays_after`]); whatever the command line can set beyond them (snapshots,
//! baselines, reports, TLS files) is the command line's.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{Glob, GlobSetBuilder};

use crate::contract::{self, Contract, ContractErrors};
use crate::report::Reporter;
use crate::results::{CaseResult, CheckResult, Outcome, RunInfo, Summary};
use crate::run::{self, RunError, RunOptions, Target};
use crate::signing::{PrivateKey, PublicKey};
use crate::target::{Signing, TargetHeader};

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
    pub fn filter(mut self, globs: &[&str]) -> Result<Self, VerifyError> {
        let bad = |e: globset::Error| VerifyError::input(e.to_string());
        let mut set = GlobSetBuilder::new();
        for glob in globs {
            set.add(Glob::new(glob).map_err(bad)?);
        }
        self.options.filter = Some(set.build().map_err(bad)?);
        self.options.filter_globs = globs.iter().map(|g| g.to_string()).collect();
        Ok(self)
    }

    /// How many cases run at once (8 unless set; at least 1).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.options.jobs = jobs.max(1);
        self
    }

    /// How long one request may take before it counts as a failed check (10 s unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// How old the keys replayed at the end of a run against a target must be (5 s unless
    /// set): a quicker test sets one second. The embedded reference implementation needs no
    /// wait.
    pub fn late_replays_after(mut self, age: Duration) -> Self {
        self.options.late_replay_after = Some(age);
        self
    }

    /// Sends this header with every request (a credential, say). A header whose name says it
    /// carries credentials (`Authorization`, `X-Api-Key`...) is never shown in results.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, VerifyError> {
        let header =
            TargetHeader::new(name, value).map_err(|e| VerifyError::input(e.to_string()))?;
        self.options.headers.push(header);
        Ok(self)
    }

    /// Signs every request as `client_id` with `key` (the `Signature` header announces
    /// `key_version`) and, when `target_key` is given, checks the signature of every answer
    /// with it. Against the embedded reference implementation, leave `target_key` out: it
    /// signs its answers with `key` itself.
    pub fn signed(
        mut self,
        client_id: &str,
        key: PrivateKey,
        key_version: u32,
        target_key: Option<PublicKey>,
    ) -> Result<Self, VerifyError> {
        let signing = Signing::new(client_id).map_err(|e| VerifyError::input(e.to_string()))?;
        let signing = signing.signing_with(key, key_version);
        self.options.signing = Some(match target_key {
            Some(public) => signing.checking_with(public),
            None => signing,
        });
        Ok(self)
    }

    /// Runs every selected case and returns the results; a check that fails is a result, not
    /// an error. Needs a Tokio runtime (`#[tokio::test]`).
    pub async fn run(self) -> Result<Verified, VerifyError> {
        let mut collected = Collect::default();
        let summary = run::run(self.contracts, self.target, self.options, &mut collected)
            .await
            .map_err(VerifyError::run)?;
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

/// A run that could not be made: a bad option (glob, header, client id), an unusable target
/// URL, the embedded reference implementation not starting. A check that fails is not an
/// error: it is in [`Verified`].
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct VerifyError(Inner);

#[derive(Debug, thiserror::Error)]
enum Inner {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Run(RunError),
}

impl VerifyError {
    fn run(error: RunError) -> Self {
        VerifyError(Inner::Run(error))
    }

    fn input(message: String) -> Self {
        VerifyError(Inner::Input(message))
    }

    /// The exit code the command line gives for this error (see [`crate::exit`]): 2 for
    /// invalid input, 4 when conform itself could not run.
    pub fn exit_code(&self) -> u8 {
        match &self.0 {
            Inner::Input(_) => crate::exit::USAGE,
            Inner::Run(error) => error.exit_code(),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn late_replays_read_their_keys_back_from_the_file_when_none_fit_in_memory() {
        let mut verify = Verify::contracts(vec![crate::contract::tests::issue_card()]);
        verify.options.late_replay_memory = 0;
        verify.options.snapshots = None;
        let verified = verify.run().await.expect("the run runs");
        let late = (verified.cases.iter())
            .find(|c| c.case == "issueCard/run/late-replay")
            .expect("a late-replay case");
        assert!(!late.failed(), "{:?}", late.checks);
        let evidence = verified.summary.late_replays.expect("keys were replayed");
        assert_eq!((evidence.keys, evidence.remembered), (8, 8));
        assert_eq!(verified.summary.failed, 0, "every check passes");
    }
}
