//! The JSON report: a versioned document for tools, streamed to a temporary file beside the
//! destination and renamed into place at the end, so a reader never sees half a report and a
//! failed run never clobbers the previous one.
//!
//! Shape (version 1): `{"version": 1, "tool": ..., "run": {..., implementation, scope},
//! "results": [{contract, case, check, outcome, message, findings?, diff?, known?, wrote?,
//! duration_ms?}, ...], "summary": {passed, failed, known, fixed, skipped, recorded, cases,
//! planned, ...}, "verdict": {result, complete, reasons}}`, published as
//! `docs/report.schema.json`.
//!
//! The report holds everything the other formats render, so `conform merge` can read the
//! reports of a run's shards back ([`crate::merge`]) and render any format from them: the case's
//! wall time (`duration_ms`, on its first check, which also marks where a case starts) and the
//! file a check wrote (`wrote`: a recorded or pending snapshot) are there for that.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::atomic::AtomicFile;

use crate::results::{CaseResult, CheckResult, Finding, Outcome, RunInfo, StepTrace, Summary};

/// The report format version; bumped on any incompatible change.
pub(crate) const VERSION: u32 = 1;

/// Writes the JSON report.
pub(crate) struct JsonReport {
    destination: PathBuf,
    file: Option<AtomicFile>,
    first: bool,
}

#[derive(Serialize)]
struct Entry<'a> {
    contract: &'a str,
    case: &'a str,
    check: &'a str,
    outcome: Outcome,
    message: String,
    #[serde(skip_serializing_if = "<[Finding]>::is_empty")]
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    wrote: Option<String>,
    /// The contract clause the check tests: a JSON pointer into the contract file and its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    clause: Option<&'a crate::results::Clause>,
    /// The case's wall time in milliseconds to the microsecond, on its first check only (as
    /// JUnit carries it): loopback cases take well under a millisecond.
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<f64>,
    /// A flow's or scenario's steps, on its first check only.
    #[serde(skip_serializing_if = "<[StepTrace]>::is_empty")]
    steps: &'a [StepTrace],
}

impl JsonReport {
    /// A report to be written at `destination`; the temporary file is made on `start`.
    pub(crate) fn new(destination: &Path) -> Self {
        JsonReport {
            destination: destination.to_path_buf(),
            file: None,
            first: true,
        }
    }

    fn file(&mut self) -> io::Result<&mut AtomicFile> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("report not started"))
    }
}

impl super::Reporter for JsonReport {
    fn start(&mut self, info: &RunInfo) -> io::Result<()> {
        let mut file = AtomicFile::beside(&self.destination)?;
        write!(
            file,
            "{{\"version\":{VERSION},\"tool\":\"conform {}\",\"run\":",
            info.tool_version
        )?;
        let shown = RunInfo {
            target: super::output::shown_target(&info.target),
            ..info.clone()
        };
        serde_json::to_writer(&mut file, &shown)?;
        write!(file, ",\"results\":[")?;
        self.file = Some(file);
        Ok(())
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        for (i, check) in result.checks.iter().enumerate() {
            let mut entry = entry(result, check);
            if i == 0 {
                entry.duration_ms = Some(millis(result.duration));
                entry.steps = &result.steps;
            }
            let separator = if std::mem::take(&mut self.first) {
                "\n"
            } else {
                ",\n"
            };
            let file = self.file()?;
            file.write_all(separator.as_bytes())?;
            serde_json::to_writer(&mut *file, &entry)?;
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("report not started"))?;
        write!(file, "\n],\"summary\":")?;
        serde_json::to_writer(&mut file, summary)?;
        write!(file, ",\"verdict\":")?;
        serde_json::to_writer(&mut file, &summary.verdict)?;
        writeln!(file, "}}")?;
        file.commit()
    }
}

fn entry<'a>(result: &'a CaseResult, check: &'a CheckResult) -> Entry<'a> {
    Entry {
        contract: &result.contract,
        case: &result.case,
        check: check.check.name(),
        outcome: check.outcome,
        message: check.message(),
        // Findings are what a failure found; a skip or a recording has only its reason.
        findings: if check.outcome == Outcome::Fail {
            &check.findings
        } else {
            &[]
        },
        diff: check.diff.as_deref(),
        known: check.known,
        wrote: check.wrote.as_ref().map(|p| p.display().to_string()),
        clause: check.clause.as_ref(),
        duration_ms: None,
        steps: &[],
    }
}

/// Milliseconds with microsecond precision.
fn millis(duration: std::time::Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::report::tally::sample;

    #[test]
    fn report_carries_scope_recorded_outcome_and_verdict() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        sample::feed(&mut JsonReport::new(&path));
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(report["run"]["implementation"]["name"], "acme-cards");
        assert_eq!(report["run"]["scope"]["filters"][0], "issueCard/example/*");
        let signing = &report["run"]["scope"]["signing"];
        assert_eq!(signing["request_key_sha256"], sample::KEY_SHA256);
        assert_eq!(report["summary"]["recorded"], 1);
        let recorded: Vec<&Value> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["outcome"] == "recorded")
            .collect();
        assert_eq!(recorded.len(), 1);
        assert_eq!(report["verdict"]["result"], "not-compatible");
        assert_eq!(report["verdict"]["complete"], false);
        let reasons: Vec<&str> = report["verdict"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reason"].as_str().unwrap())
            .collect();
        assert_eq!(
            reasons,
            ["filtered", "replays-reduced", "snapshots-recorded"]
        );
    }
}
