//! Baselines: a list of known failures, so a team can gate on new failures only while the
//! known ones are fixed. A failed check the baseline lists is reported as known and does not
//! fail the run; a listed check that now passes is reported as fixed, so the baseline shrinks.
//!
//! File format (version 1), sorted so it diffs well in review:
//! `{"version": 1, "failures": [{"case": "issueCard/negative/appId/too-long", "check": "expectation"}]}`

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::Reporter;
use crate::results::{BaselineEntry, BaselineScope, CaseResult, Outcome, RunInfo, Summary};

/// The baseline format version.
pub(crate) const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    failures: Vec<BaselineEntry>,
}

/// A loaded baseline, or the empty one of a run that records its failures as the baseline.
#[derive(Debug, Clone, Default)]
pub(crate) struct Baseline {
    by_case: HashMap<String, Vec<String>>,
    /// The file, for reports.
    path: Option<PathBuf>,
    /// This run's failures are written to the file (see [`BaselineRecorder`]).
    recording: bool,
}

/// A baseline file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("baseline {}: {reason}", path.display())]
pub(crate) struct BaselineError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

impl Baseline {
    /// Reads a baseline file.
    pub(crate) fn load(path: &Path) -> Result<Self, BaselineError> {
        let error = |reason: String| BaselineError {
            path: path.to_path_buf(),
            reason,
        };
        let text = crate::input::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let file: File = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
        if file.version != VERSION {
            return Err(error(format!(
                "version {} is not supported (expected {VERSION})",
                file.version
            )));
        }
        Ok(Baseline {
            path: Some(path.to_path_buf()),
            ..Self::from_entries(file.failures)
        })
    }

    /// The baseline of a run that records its failures to `path`: nothing is known yet.
    pub(crate) fn recording(path: &Path) -> Self {
        Baseline {
            path: Some(path.to_path_buf()),
            recording: true,
            ..Baseline::default()
        }
    }

    /// The file and what the run does with it, as reports show it.
    pub(crate) fn scope(&self) -> Option<BaselineScope> {
        let mode = if self.recording { "record" } else { "apply" };
        self.path.as_ref().map(|path| BaselineScope {
            file: path.display().to_string(),
            mode: mode.into(),
        })
    }

    /// A baseline listing `entries`.
    pub(crate) fn from_entries(entries: impl IntoIterator<Item = BaselineEntry>) -> Self {
        let mut by_case: HashMap<String, Vec<String>> = HashMap::new();
        for entry in entries {
            by_case.entry(entry.case).or_default().push(entry.check);
        }
        Baseline {
            by_case,
            ..Baseline::default()
        }
    }

    /// Marks the case's listed failures as known and returns the listed checks that passed. A
    /// run recording the baseline marks every failure known, since it is recorded as one: its
    /// reports then say what the next run against the file will (and what its exit code 0
    /// means), naming the failures recorded.
    pub(crate) fn apply(&self, result: &mut CaseResult) -> Vec<BaselineEntry> {
        if self.recording {
            for check in result.checks.iter_mut() {
                check.known = check.outcome == Outcome::Fail;
            }
            return Vec::new();
        }
        let Some(listed) = self.by_case.get(&result.case) else {
            return Vec::new();
        };
        let mut fixed = Vec::new();
        for check in result
            .checks
            .iter_mut()
            .filter(|c| listed.iter().any(|l| l == c.check.name()))
        {
            match check.outcome {
                Outcome::Fail => check.known = true,
                Outcome::Pass => fixed.push(BaselineEntry {
                    case: result.case.clone(),
                    check: check.check.name().into(),
                }),
                Outcome::Skip | Outcome::Recorded => {}
            }
        }
        fixed
    }
}

/// Writes a baseline with `entries`, atomically.
pub(crate) fn save(path: &Path, entries: &BTreeSet<BaselineEntry>) -> io::Result<()> {
    let file = File {
        version: VERSION,
        failures: entries.iter().cloned().collect(),
    };
    let text = serde_json::to_string_pretty(&file).map_err(io::Error::other)? + "\n";
    crate::atomic::write(path, text.as_bytes())
}

/// A reporter that collects every failed check and writes them as a baseline at the end. A
/// run that chose some cases (`--filter`, `--exclude`, `--partition`) keeps the entries the
/// file had for the cases it did not run: recording a shard or a filtered run must not wipe
/// what the others know.
pub(crate) struct BaselineRecorder {
    path: PathBuf,
    failures: BTreeSet<BaselineEntry>,
    /// The cases run, when the run chose some: the file's other entries are kept.
    chosen: Option<std::collections::HashSet<String>>,
}

impl BaselineRecorder {
    /// A recorder writing to `path`.
    pub(crate) fn new(path: &Path) -> Self {
        BaselineRecorder {
            path: path.to_path_buf(),
            failures: BTreeSet::new(),
            chosen: None,
        }
    }
}

impl Reporter for BaselineRecorder {
    fn start(&mut self, run: &RunInfo) -> io::Result<()> {
        let chose = !run.scope.filters.is_empty() || run.scope.partition.is_some();
        self.chosen = chose.then(Default::default);
        Ok(())
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        if let Some(chosen) = &mut self.chosen {
            chosen.insert(result.case.clone());
        }
        for check in result.checks.iter().filter(|c| c.outcome == Outcome::Fail) {
            self.failures.insert(BaselineEntry {
                case: result.case.clone(),
                check: check.check.name().into(),
            });
        }
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        if let Some(chosen) = &self.chosen
            && let Ok(text) = crate::input::read_to_string(&self.path)
            && let Ok(file) = serde_json::from_str::<File>(&text)
        {
            let others = file
                .failures
                .into_iter()
                .filter(|e| !chosen.contains(&e.case));
            self.failures.extend(others);
        }
        save(&self.path, &self.failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Check, CheckResult};

    fn case(checks: Vec<CheckResult>) -> CaseResult {
        CaseResult {
            contract: "op".into(),
            case: "op/example/a".into(),
            checks,
            duration: Default::default(),
            steps: Vec::new(),
        }
    }

    fn entry(check: &str) -> BaselineEntry {
        BaselineEntry {
            case: "op/example/a".into(),
            check: check.into(),
        }
    }

    #[test]
    fn listed_failures_become_known_and_listed_passes_are_fixed() {
        let baseline = Baseline::from_entries([entry("expectation"), entry("response-schema")]);
        let mut result = case(vec![
            CheckResult::fail_with(Check::Expectation, "no"),
            CheckResult::pass(Check::ResponseSchema),
            CheckResult::fail_with(Check::ResultStatus, "new"),
        ]);
        let fixed = baseline.apply(&mut result);
        assert!(result.checks[0].known);
        assert!(!result.checks[2].known);
        assert_eq!(fixed, vec![entry("response-schema")]);
        assert!(result.failed(), "the unlisted failure is new");
        let mut summary = Summary::default();
        summary.add(&result);
        assert_eq!((summary.failed, summary.known), (2, 1));
        assert!(!summary.success());
    }

    #[test]
    fn a_recording_run_marks_every_failure_known_as_it_records_it() {
        let baseline = Baseline::recording(Path::new("baseline.json"));
        let mut result = case(vec![
            CheckResult::fail_with(Check::Expectation, "no"),
            CheckResult::pass(Check::ResponseSchema),
        ]);
        assert!(baseline.apply(&mut result).is_empty(), "nothing is fixed");
        assert!(result.checks[0].known && !result.checks[1].known);
        let mut summary = Summary::default();
        summary.add(&result);
        assert_eq!((summary.failed, summary.known), (1, 1));
        assert!(summary.success());
    }

    #[test]
    fn baselines_round_trip_through_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        save(&path, &[entry("expectation")].into_iter().collect()).unwrap();
        let loaded = Baseline::load(&path).unwrap();
        let mut result = case(vec![CheckResult::fail_with(Check::Expectation, "no")]);
        loaded.apply(&mut result);
        assert!(!result.failed());
        std::fs::write(&path, "{\"version\": 9, \"failures\": []}").unwrap();
        assert!(
            Baseline::load(&path)
                .unwrap_err()
                .to_string()
                .contains("version 9 is not supported")
        );
    }
}
