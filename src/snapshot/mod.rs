//! Snapshots: each case's response recorded (volatile values redacted) so later runs show what
//! drifted while still fitting the contract, with the review workflow insta users know.
//!
//! [`render`] turns a response into stable text, [`store`] keeps it on disk, [`review`] walks
//! pending changes. [`Snapshots::check`] is the `snapshot` check the runner calls per case.

pub(crate) mod lint;
pub(crate) mod render;
pub(crate) mod review;
pub(crate) mod store;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use similar::TextDiff;

pub(crate) use render::Volatile;

use crate::contract::Contract;
use crate::observe::Response;
use crate::results::{Check, CheckResult};

/// What a run may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Compare only; never write (the default when `CI` is set).
    Check,
    /// Write missing snapshots, compare the rest, write a pending `.snap.new` on a mismatch
    /// (the default otherwise, for live targets).
    New,
    /// Rewrite every snapshot with this run's responses.
    Update,
    /// No snapshots at all (the default for the embedded reference implementation, whose
    /// answers are derived from the contract and cannot drift).
    Off,
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "check" => Ok(Mode::Check),
            "new" => Ok(Mode::New),
            "update" => Ok(Mode::Update),
            "off" => Ok(Mode::Off),
            other => Err(format!(
                "unknown snapshot mode `{other}`: expected check, new, update or off"
            )),
        }
    }
}

impl Mode {
    /// The name `--snapshots` takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Check => "check",
            Mode::New => "new",
            Mode::Update => "update",
            Mode::Off => "off",
        }
    }

    /// The default mode: `off` for the embedded target, `check` when the `CI` environment
    /// variable is set (to anything but empty, `0` or `false`), `new` otherwise.
    pub(crate) fn default_for(embedded: bool, ci: Option<&str>) -> Mode {
        match (embedded, ci_is_set(ci)) {
            (true, _) => Mode::Off,
            (false, true) => Mode::Check,
            (false, false) => Mode::New,
        }
    }
}

/// Whether the value of the `CI` environment variable means "in CI": set to anything but empty,
/// `0` or `false`.
pub(crate) fn ci_is_set(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// In `check` mode, the number of `cases` looked at when none of them has a recorded snapshot
/// under `root` (a run that would compare nothing); `None` as soon as one has.
pub(crate) fn none_recorded(root: &Path, cases: impl IntoIterator<Item = String>) -> Option<usize> {
    let mut looked = 0;
    for case in cases {
        if store::path_for(root, &case).exists() {
            return None;
        }
        looked += 1;
    }
    Some(looked)
}

/// The snapshot folder and the mode of a run.
#[derive(Debug, Clone)]
pub(crate) struct Snapshots {
    /// The folder (`snapshots/` by default).
    pub root: PathBuf,
    /// What may be written.
    pub mode: Mode,
}

/// One case's response, ready to be compared.
pub(crate) struct Taken<'a> {
    /// The contract it belongs to.
    pub contract: &'a Contract,
    /// The case name.
    pub case: &'a str,
    /// The settled response.
    pub observed: &'a Response,
    /// Run-dependent values to redact.
    pub volatile: &'a Volatile,
    /// Whether another check of the case failed (a broken answer is not recorded as a baseline).
    pub case_failed: bool,
}

impl Snapshots {
    /// The `snapshot` check for one case.
    pub(crate) fn check(&self, taken: &Taken<'_>) -> CheckResult {
        let path = store::path_for(&self.root, taken.case);
        let content = render::render(taken.contract, taken.observed, taken.volatile);
        match store::read(&path) {
            Err(err) => CheckResult::fail_with(
                Check::Snapshot,
                format!("cannot read {}: {err}", path.display()),
            ),
            Ok(None) => self.missing(taken, &path, &content),
            Ok(Some(text)) if store::content_of(&text) == content => self.matched(&path),
            Ok(Some(text)) => self.mismatch(taken, &path, store::content_of(&text), &content),
        }
    }

    fn missing(&self, taken: &Taken<'_>, path: &Path, content: &str) -> CheckResult {
        match self.mode {
            Mode::Check | Mode::Off => CheckResult::skip(
                Check::Snapshot,
                format!("no snapshot recorded at {}", path.display()),
            ),
            Mode::New | Mode::Update if taken.case_failed => {
                CheckResult::skip(Check::Snapshot, format!("not recorded: {NOT_A_BASELINE}"))
            }
            Mode::New | Mode::Update => {
                let what = "no earlier snapshot to compare with";
                self.record(
                    taken,
                    path,
                    content,
                    format!("recorded to {}: {what}", path.display()),
                )
            }
        }
    }

    fn matched(&self, path: &Path) -> CheckResult {
        if self.mode != Mode::Check {
            // A pending file left by an earlier mismatch is stale once the response matches.
            if let Err(err) = store::remove_if_present(&store::pending_for(path)) {
                return CheckResult::fail_with(
                    Check::Snapshot,
                    format!("cannot remove a stale pending snapshot: {err}"),
                );
            }
        }
        CheckResult::pass(Check::Snapshot)
    }

    fn mismatch(&self, taken: &Taken<'_>, path: &Path, old: &str, new: &str) -> CheckResult {
        let diff = TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header(&path.display().to_string(), "this run")
            .to_string();
        let changed = diff.lines().filter(|l| is_change(l)).count();
        let lines = if changed == 1 { "line" } else { "lines" };
        let differs = format!("response differs from its snapshot ({changed} {lines} changed)");
        let written = match self.mode {
            Mode::Update if !taken.case_failed => {
                let message = format!("{differs}; rewritten (update mode), so not compared");
                return self.record(taken, path, new, message).with_diff(diff);
            }
            Mode::Check | Mode::Off => Err("check mode: nothing written".to_string()),
            _ if taken.case_failed => Err(format!("nothing written: {NOT_A_BASELINE}")),
            Mode::New | Mode::Update => self.write_pending(taken, path, new),
        };
        let result = match written {
            Ok(pending) => CheckResult::fail_with(
                Check::Snapshot,
                format!(
                    "{differs}; pending snapshot written to {}",
                    pending.display()
                ),
            )
            .with_written(pending),
            Err(why) => CheckResult::fail_with(Check::Snapshot, format!("{differs}; {why}")),
        };
        result.with_diff(diff)
    }

    /// Writes the pending `.snap.new` beside `path`; the error says why not.
    fn write_pending(&self, taken: &Taken<'_>, path: &Path, new: &str) -> Result<PathBuf, String> {
        let pending = store::pending_for(path);
        let text = store::file_text(taken.contract, taken.case, new);
        match crate::atomic::write(&pending, text.as_bytes()) {
            Ok(()) => Ok(pending),
            Err(err) => Err(format!("cannot write {}: {err}", pending.display())),
        }
    }

    fn record(
        &self,
        taken: &Taken<'_>,
        path: &Path,
        content: &str,
        message: String,
    ) -> CheckResult {
        let text = store::file_text(taken.contract, taken.case, content);
        let written = crate::atomic::write(path, text.as_bytes())
            .and_then(|()| store::remove_if_present(&store::pending_for(path)));
        match written {
            Ok(()) => CheckResult::recorded(Check::Snapshot, message, path.to_path_buf()),
            Err(err) => CheckResult::fail_with(
                Check::Snapshot,
                format!("cannot write {}: {err}", path.display()),
            ),
        }
    }
}

/// The `snapshot` row of a case whose steps are recorded one by one (`<case>/<step>`), from
/// each step's result labelled by its step: failed when any step's failed, else skipped when
/// any was (a snapshot missing), else recorded when any step recorded, else passed.
pub(crate) fn of_steps(results: Vec<(String, CheckResult)>) -> Option<CheckResult> {
    use crate::results::{Finding, Outcome};
    let rank = |o: Outcome| match o {
        Outcome::Fail => 3,
        Outcome::Skip => 2,
        Outcome::Recorded => 1,
        Outcome::Pass => 0,
    };
    let worst = results
        .iter()
        .map(|(_, r)| r.outcome)
        .max_by_key(|o| rank(*o))?;
    let mut row = CheckResult::pass(Check::Snapshot);
    row.outcome = worst;
    for (label, result) in results.into_iter().filter(|(_, r)| r.outcome == worst) {
        row.findings.extend(result.findings.iter().map(|f| Finding {
            message: format!("{label}: {}", f.message),
            ..f.clone()
        }));
        row.diff = row.diff.or(result.diff);
        row.wrote = row.wrote.or(result.wrote);
    }
    Some(row)
}

/// Why an answer that failed other checks is never written: accepted as a snapshot, it would
/// make the next healthy run fail.
const NOT_A_BASELINE: &str = "the answer failed other checks, and a broken answer is no baseline";

fn is_change(line: &str) -> bool {
    (line.starts_with('+') && !line.starts_with("+++"))
        || (line.starts_with('-') && !line.starts_with("---"))
}

#[cfg(test)]
mod tests;
