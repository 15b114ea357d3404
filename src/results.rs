//! The result model every reporter renders: per case, the outcome of each check, with findings
//! as data; what the run covered (the scope); and the verdict ([`Verdict`]), computed here once
//! from both, so that no reporter recomputes it and a partial run reads the same everywhere.
//!
//! A test asserts on them through [`crate::verify::Verified`]:
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use conform::results::{Check, Outcome, VerdictKind};
//! use conform::verify::Verify;
//!
//! let verified = Verify::load(&["contracts/platform/issue-card.json"])
//!     .unwrap()
//!     .filter(&["issueCard/negative/appId/too-long"])
//!     .unwrap()
//!     .run()
//!     .await
//!     .unwrap();
//! let case = verified.case("issueCard/negative/appId/too-long").unwrap();
//! let expectation = case.checks.iter().find(|c| c.check == Check::Expectation).unwrap();
//! assert_eq!(expectation.outcome, Outcome::Pass);
//! assert!(expectation.findings.is_empty()); // a failed check lists what it found here
//! // A filtered run is complete for what it ran, but not the whole contract.
//! assert_eq!(verified.summary.verdict.kind, VerdictKind::Partial);
//! # });
//! ```

pub(crate) mod across_shards;
pub(crate) mod clause;
pub(crate) mod coverage;
mod late;
pub(crate) mod observed;
mod scope;
mod traffic;
mod verdict;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub(crate) use clause::Clause;
pub(crate) use coverage::{Coverage, Requirement};
pub(crate) use late::{
    DEFAULT_LATE_REPLAY_AFTER, DEFAULT_LATE_REPLAY_GAP, DEFAULT_LATE_REPLAYS, LateReplayEvidence,
    LateReplayScope, merged as merged_late_replays,
};
pub(crate) use scope::{
    BaselineScope, BatchScope, CertificateScope, Implementation, Override, Scope, SecurityScope,
    SecuritySkip, Setting, SigningScope, SnapshotScope, TlsScope,
};
pub(crate) use traffic::{
    Exercised, OperationCoverage, SideCount, TrafficScope, TrafficSummary, UNMATCHED_LISTED,
    UnmatchedRequest,
};
pub use verdict::{Shortfall, ShortfallKind, Verdict, VerdictKind};

/// Outcome of one check on one case.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The check held.
    Pass,
    /// The check found the target breaking the contract.
    Fail,
    /// The check could not run (say, no response to check); the reason is in the message.
    Skip,
    /// Nothing was compared: the check recorded what it saw (a snapshot written with no earlier
    /// one to compare with). Not a pass, and never evidence of compatibility.
    Recorded,
}

/// The kinds of checks, named as reports show them.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Real traffic, the client's side: the request keeps the contract's request rules (its
    /// media type, a JSON body without duplicate keys, every parameter and field rule).
    ClientRequest,
    /// Real traffic, the client's side: the request carries a `Signature` that verifies with
    /// the client's public key.
    ClientSignature,
    /// Real traffic, the client's side: an idempotency key is used again only to retry the same
    /// request.
    ClientIdempotencyKey,
    /// What the case needs before it runs was there (a resource to read, created first).
    Setup,
    /// A response came back at all (no refused connection, no time-out).
    Transport,
    /// The HTTP status is one that carries a business result.
    HttpStatus,
    /// The response declares the contract's media type.
    ContentType,
    /// The body fits the response schema.
    ResponseSchema,
    /// The response headers the contract declares for the status are there and fit.
    ResponseHeaders,
    /// Status, code and message agree with the catalogue.
    ResultStatus,
    /// The business result is the one the case expects.
    Expectation,
    /// An `unknown` status settled within the allowed tries.
    IdempotencySettle,
    /// Replays with the same key and body return the identical result.
    IdempotencyReplay,
    /// A used key with a different payload gets what the conflict policy says.
    IdempotencyConflict,
    /// Identical concurrent requests get identical answers.
    IdempotencyConcurrency,
    /// Keys replayed after the rest of the run's traffic still get their first answer.
    LateReplay,
    /// No two distinct requests of the run got the same value where the contract declares one
    /// unique.
    Unique,
    /// The steps of a flow show what the earlier steps did (a read shows what was created).
    Flow,
    /// A scenario's steps captured what later steps use and their answers hold what the
    /// scenario expects of them (values, absent fields, values unchanged since a step).
    Scenario,
    /// The response matches its recorded snapshot.
    Snapshot,
    /// The response carries a valid signature.
    Signature,
    /// A request spoiled on purpose (unsigned, tampered, without credentials) was refused as
    /// the contract says, and left nothing behind.
    Security,
}

impl Check {
    /// The kebab-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Check::ClientRequest => "client-request",
            Check::ClientSignature => "client-signature",
            Check::ClientIdempotencyKey => "client-idempotency-key",
            Check::Setup => "setup",
            Check::Transport => "transport",
            Check::HttpStatus => "http-status",
            Check::ContentType => "content-type",
            Check::ResponseSchema => "response-schema",
            Check::ResponseHeaders => "response-headers",
            Check::ResultStatus => "result-status",
            Check::Expectation => "expectation",
            Check::IdempotencySettle => "idempotency-settle",
            Check::IdempotencyReplay => "idempotency-replay",
            Check::IdempotencyConflict => "idempotency-conflict",
            Check::IdempotencyConcurrency => "idempotency-concurrency",
            Check::LateReplay => "late-replay",
            Check::Unique => "unique",
            Check::Flow => "flow",
            Check::Scenario => "scenario",
            Check::Snapshot => "snapshot",
            Check::Signature => "signature",
            Check::Security => "security",
        }
    }
}

impl Check {
    /// Whether the check judges what a client sent (real traffic) rather than what the
    /// implementation answered.
    pub(crate) fn is_client_side(self) -> bool {
        matches!(
            self,
            Check::ClientRequest | Check::ClientSignature | Check::ClientIdempotencyKey
        )
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One specific problem a failed check found.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// JSON pointer into the response body, when the problem has a place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// What the contract wants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// The whole finding as one sentence.
    pub message: String,
}

impl Finding {
    /// A finding that is only a sentence.
    pub(crate) fn message(message: impl Into<String>) -> Self {
        Finding {
            pointer: None,
            expected: None,
            actual: None,
            message: message.into(),
        }
    }

    /// A finding with expected and actual values.
    pub(crate) fn mismatch(
        pointer: Option<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        let (expected, actual) = (expected.into(), actual.into());
        let place = pointer
            .as_deref()
            .map(|p| format!("{p}: "))
            .unwrap_or_default();
        Finding {
            message: format!("{place}expected {expected}, got {actual}"),
            pointer,
            expected: Some(expected),
            actual: Some(actual),
        }
    }
}

impl From<&crate::rules::Violation> for Finding {
    fn from(v: &crate::rules::Violation) -> Self {
        Finding {
            pointer: Some(v.place().to_string()),
            expected: Some(v.expected.clone()),
            actual: Some(v.actual.clone()),
            message: v.to_string(),
        }
    }
}

/// The outcome of one check on one case.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// Which check.
    pub check: Check,
    /// Pass, fail or skip.
    pub outcome: Outcome,
    /// Why it failed or was skipped; empty on a pass.
    pub findings: Vec<Finding>,
    /// A unified diff of expected against actual, when the check compares documents.
    pub diff: Option<String>,
    /// A failure listed in the run's baseline: reported, but it does not fail the run.
    pub(crate) known: bool,
    /// A file the check wrote (a recorded or pending snapshot), so the run can say what it
    /// left on disk.
    pub(crate) wrote: Option<PathBuf>,
    /// The contract clause the check tests, when the runner could locate it.
    pub(crate) clause: Option<Clause>,
}

impl CheckResult {
    /// The check held.
    pub(crate) fn pass(check: Check) -> Self {
        CheckResult {
            check,
            outcome: Outcome::Pass,
            findings: Vec::new(),
            diff: None,
            known: false,
            wrote: None,
            clause: None,
        }
    }

    /// The check failed with these findings.
    pub(crate) fn fail(check: Check, findings: Vec<Finding>) -> Self {
        CheckResult {
            check,
            outcome: Outcome::Fail,
            findings,
            diff: None,
            known: false,
            wrote: None,
            clause: None,
        }
    }

    /// The check failed with one sentence.
    pub(crate) fn fail_with(check: Check, message: impl Into<String>) -> Self {
        Self::fail(check, vec![Finding::message(message)])
    }

    /// The check could not run, for `reason`.
    pub(crate) fn skip(check: Check, reason: impl Into<String>) -> Self {
        CheckResult {
            check,
            outcome: Outcome::Skip,
            findings: vec![Finding::message(reason)],
            diff: None,
            known: false,
            wrote: None,
            clause: None,
        }
    }

    /// Nothing was compared; what was seen is recorded in `file`.
    pub(crate) fn recorded(check: Check, message: impl Into<String>, file: PathBuf) -> Self {
        CheckResult {
            check,
            outcome: Outcome::Recorded,
            findings: vec![Finding::message(message)],
            diff: None,
            known: false,
            wrote: Some(file),
            clause: None,
        }
    }

    /// Notes a file the check wrote.
    pub(crate) fn with_written(mut self, file: PathBuf) -> Self {
        self.wrote = Some(file);
        self
    }

    /// Passes when `findings` is empty, fails otherwise.
    pub(crate) fn from_findings(check: Check, findings: Vec<Finding>) -> Self {
        if findings.is_empty() {
            Self::pass(check)
        } else {
            Self::fail(check, findings)
        }
    }

    /// Adds a diff to a result.
    pub(crate) fn with_diff(mut self, diff: String) -> Self {
        self.diff = Some(diff);
        self
    }

    /// A failure that is not excused by the baseline.
    pub(crate) fn is_new_failure(&self) -> bool {
        self.outcome == Outcome::Fail && !self.known
    }

    /// All findings joined into one line.
    pub fn message(&self) -> String {
        let messages: Vec<&str> = self.findings.iter().map(|f| f.message.as_str()).collect();
        messages.join("; ")
    }
}

/// All check results of one case.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The contract's name.
    pub contract: String,
    /// The full case name, e.g. `issueCard/example/seed-sample`.
    pub case: String,
    /// The check results, in the order they ran.
    pub checks: Vec<CheckResult>,
    /// Wall time of the case, retries and replays included.
    pub duration: Duration,
    /// The steps of a flow or scenario, in order, each with its answer; empty for a case of
    /// one request.
    pub(crate) steps: Vec<StepTrace>,
}

/// One step of a flow or scenario as it ran, for the failure output: what was sent and what
/// came back, with the values it captured (secret ones redacted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepTrace {
    /// `step 2 (read)`.
    pub step: String,
    /// `GET /v1/cards/card_0000000001`.
    pub request: String,
    /// `HTTP 200, S/SUCCESS "success"`, or why nothing came back.
    pub answer: String,
    /// The answer's body, abbreviated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// What the step captured: `cardId = "card_0000000001"`, `token = 2810… (44 characters)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captured: Vec<String>,
}

impl StepTrace {
    /// The step as plain lines for reports: `step 1 (create): POST /v1/cards → HTTP 201`, then
    /// the body and what was captured, indented.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!("{}: {} → {}", self.step, self.request, self.answer)];
        if let Some(body) = &self.body {
            lines.push(format!("  body {body}"));
        }
        if !self.captured.is_empty() {
            lines.push(format!("  captured {}", self.captured.join(", ")));
        }
        lines
    }
}

impl CaseResult {
    /// Whether any check failed, known failures from the baseline aside.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(CheckResult::is_new_failure)
    }

    /// Whether any check failed, known failures included.
    pub(crate) fn any_failure(&self) -> bool {
        self.checks.iter().any(|c| c.outcome == Outcome::Fail)
    }

    /// Whether any check failed in a way the baseline already lists.
    pub(crate) fn has_known_failure(&self) -> bool {
        self.checks
            .iter()
            .any(|c| c.outcome == Outcome::Fail && c.known)
    }
}

/// Counts over a whole run, and the verdict.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed, known failures included.
    pub failed: usize,
    /// Failed checks the baseline lists: reported, but they do not fail the run.
    pub known: usize,
    /// Baseline entries whose check ran and passed: they can leave the baseline.
    pub(crate) fixed: Vec<BaselineEntry>,
    /// Checks that could not run.
    pub skipped: usize,
    /// Checks that compared nothing and recorded what they saw (new snapshots).
    pub recorded: usize,
    /// Cases run.
    pub cases: usize,
    /// Cases with at least one failed check.
    pub failed_cases: usize,
    /// Cases the contracts plan, before `--filter` and `--partition` (0 when not counted: a
    /// run stopped early stops planning too).
    pub(crate) planned: usize,
    /// Cases `--filter` kept, before `--partition` (equal to `planned` without a filter).
    pub(crate) matched: usize,
    /// The run stopped before its last case (`--fail-fast`).
    pub(crate) stopped_early: bool,
    /// `snapshot` checks skipped because no snapshot was recorded for the case.
    pub(crate) snapshots_missing: usize,
    /// Real traffic: requests whose `client-request` check could not run (a body over
    /// `--max-body-size`, a request refused before it was read), so nothing judged them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) requests_unchecked: usize,
    /// Pending snapshots (`.snap.new`) written for review.
    pub(crate) snapshots_pending: usize,
    /// How old the keys replayed late were and how much traffic came in between; `None` when
    /// none was replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) late_replays: Option<LateReplayEvidence>,
    /// One shard's values at the contracts' `unique` places, digested, for `conform merge` to
    /// compare across shards; empty for a run that is not a `--partition` shard of a live target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) unique_values: Vec<across_shards::UniqueValues>,
    /// Wall time of the run.
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    #[serde(deserialize_with = "from_millis")]
    pub duration: Duration,
    /// Why the run stopped sending before its last case, if it did (the cases left were
    /// skipped with the same reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stopped: Option<String>,
    /// Contracts no planned case sends to (an operation without an example or a rule to
    /// probe): nothing checked them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) unreached: Vec<String>,
    /// Cases conform itself failed to run (a panic): the verdict cannot be trusted. In the JSON
    /// report so that a merge of shards fails as the shard did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) crashed: Vec<String>,
    /// What the answers showed of what each contract declares, and the `--require-coverage`
    /// gate.
    #[serde(default, skip_serializing_if = "Coverage::is_empty")]
    pub(crate) coverage: Coverage,
    /// What a traffic run (`conform proxy`, `serve --report`) saw besides its cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) traffic: Option<TrafficSummary>,
    /// The verdict, set once the run is over (see `Summary::conclude`).
    #[serde(skip)]
    pub verdict: Verdict,
}

impl Summary {
    /// Counts one more case.
    pub(crate) fn add(&mut self, case: &CaseResult) {
        self.cases += 1;
        if case.failed() {
            self.failed_cases += 1;
        }
        for check in &case.checks {
            match check.outcome {
                Outcome::Pass => self.passed += 1,
                Outcome::Fail => {
                    self.failed += 1;
                    self.known += usize::from(check.known);
                }
                Outcome::Skip => self.skipped += 1,
                Outcome::Recorded => self.recorded += 1,
            }
            let unread = check.check == Check::ClientRequest && check.outcome == Outcome::Skip;
            self.requests_unchecked += usize::from(unread);
            if check.check == Check::Snapshot {
                let pending = check.outcome == Outcome::Fail && check.wrote.is_some();
                self.snapshots_pending += usize::from(pending);
                let missing = check.outcome == Outcome::Skip && !case.any_failure();
                self.snapshots_missing += usize::from(missing);
            }
        }
    }

    /// Every check counted, whatever its outcome.
    pub fn checks(&self) -> usize {
        self.passed + self.failed + self.skipped + self.recorded
    }

    /// True when no check failed, known failures from the baseline aside, the coverage gate
    /// (`--require-coverage`) was reached, and the run did not stop sending to a target that
    /// answered nothing. This decides the exit code; the [`Verdict`] says how much that is
    /// worth.
    pub fn success(&self) -> bool {
        self.failed == self.known && self.coverage.met() && self.stopped.is_none()
    }

    /// Sets the verdict of a finished run from its counts and what it covered.
    pub(crate) fn conclude(&mut self, run: &RunInfo) {
        self.verdict = Verdict::judge(run, self);
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// A duration written by `as_millis`, read back (a report is read back by `conform merge`).
pub(crate) fn from_millis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_millis)
}

/// What a run is about, given to reporters before the first case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunInfo {
    /// conform's version.
    pub tool_version: String,
    /// The target's base URL.
    pub target: String,
    /// Whether the target is the embedded reference implementation.
    pub embedded: bool,
    /// Which implementation the target is, as the user named it.
    pub implementation: Implementation,
    /// The contracts run.
    pub contracts: Vec<ContractInfo>,
    /// When the run started, RFC 3339.
    pub started: String,
    /// What the run was asked to cover.
    pub scope: Scope,
}

/// A contract as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContractInfo {
    /// The contract's name.
    pub name: String,
    /// The file it came from.
    pub path: String,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// One known failure: a check of a case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct BaselineEntry {
    /// The case name.
    pub case: String,
    /// The check name, e.g. `expectation`.
    pub check: String,
}
