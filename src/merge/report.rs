//! One JSON report read back into the result model: its run, its summary, and its results
//! streamed case by case. Reading checks that the file is a conform JSON report of this version
//! and that its summary follows from its results (counted by [`Summary::add`], as the run
//! counted them), so an edited or truncated report is refused rather than merged.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::entry::CaseReader;
use super::scan::{ScanError, Scanner, line_column};
use crate::report::json::VERSION;
use crate::results::{CaseResult, RunInfo, Summary, Verdict};

/// A report read through once: everything but its results, which are read again to render.
#[derive(Debug)]
pub(super) struct ReportFile {
    /// The file as given.
    pub path: PathBuf,
    /// The run it reports.
    pub run: RunInfo,
    /// Its counts as written.
    pub summary: Summary,
    /// Where its `results` array starts.
    results_at: u64,
}

/// Why a report cannot be used: what is wrong, and where in the file when that helps.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ReadError {
    /// What is wrong, as a lowercase fragment.
    pub message: String,
    /// Line and column, from 1.
    pub at: Option<(u64, u64)>,
}

impl ReadError {
    fn new(message: impl Into<String>) -> Self {
        ReadError {
            message: message.into(),
            at: None,
        }
    }

    fn from_scan(path: &Path, err: ScanError) -> Self {
        match err {
            ScanError::Io(err) => ReadError::new(format!("cannot read it: {err}")),
            ScanError::Syntax { offset, message } => ReadError {
                message: format!("not a conform JSON report of this version: {message}"),
                at: line_column(path, offset),
            },
        }
    }
}

/// The top-level keys of a report, each present once.
const KEYS: [&str; 6] = ["version", "tool", "run", "results", "summary", "verdict"];

impl ReportFile {
    /// Reads the report at `path` through, checking it as it goes.
    pub(super) fn read(path: &Path) -> Result<ReportFile, ReadError> {
        let mut scan =
            Scanner::open(path, 0).map_err(|e| ReadError::new(format!("cannot read it: {e}")))?;
        let mut parts = Parts::default();
        read_document(&mut scan, &mut parts).map_err(|e| ReadError::from_scan(path, e))?;
        parts.finish(path)
    }

    /// The report's cases, in the order it lists them.
    pub(super) fn cases(&self) -> Result<Cases, ReadError> {
        let scan = Scanner::open(&self.path, self.results_at)
            .map_err(|e| ReadError::new(format!("cannot read it again: {e}")))?;
        Ok(Cases {
            scan,
            reader: CaseReader::default(),
            path: self.path.clone(),
        })
    }
}

/// A report's cases, read one at a time.
pub(super) struct Cases {
    scan: Scanner,
    reader: CaseReader,
    path: PathBuf,
}

impl Cases {
    /// The next case, `None` after the last.
    pub(super) fn next_case(&mut self) -> Result<Option<CaseResult>, ReadError> {
        self.reader
            .next_case(&mut self.scan)
            .map_err(|e| ReadError::from_scan(&self.path, e))
    }
}

/// What the scan of the top-level object has found so far.
#[derive(Default)]
struct Parts {
    seen: BTreeSet<&'static str>,
    tool: Option<String>,
    run: Option<RunInfo>,
    summary: Option<Summary>,
    results_at: u64,
    counted: Summary,
    contracts: BTreeSet<String>,
}

fn read_document(scan: &mut Scanner, parts: &mut Parts) -> Result<(), ScanError> {
    scan.expect(b'{', "a JSON object (`{`)")?;
    let mut buf = Vec::new();
    let mut more = scan.peek()? != Some(b'}');
    if !more {
        scan.expect(b'}', "`}`")?;
    }
    while more {
        let key_at = scan.offset();
        scan.value(&mut buf)?;
        let key: String = serde_json::from_slice(&buf)
            .map_err(|_| syntax(key_at, "expected a key (a string)".into()))?;
        let Some(&known) = KEYS.iter().find(|k| **k == key) else {
            let expected = KEYS.map(|k| format!("`{k}`")).join(", ");
            return Err(syntax(
                key_at,
                format!("unexpected key `{key}` (a report has {expected})"),
            ));
        };
        if !parts.seen.insert(known) {
            return Err(syntax(key_at, format!("key `{key}` appears twice")));
        }
        scan.expect(b':', "`:`")?;
        read_part(scan, known, parts, &mut buf)?;
        more = scan.next_or_close(b'}')?;
    }
    match scan.peek()? {
        None => Ok(()),
        Some(_) => Err(scan.error("unexpected text after the report")),
    }
}

fn syntax(offset: u64, message: String) -> ScanError {
    ScanError::Syntax { offset, message }
}

fn read_part(
    scan: &mut Scanner,
    key: &str,
    parts: &mut Parts,
    buf: &mut Vec<u8>,
) -> Result<(), ScanError> {
    let at = scan.offset();
    if key == "results" {
        parts.results_at = at;
        return count(scan, parts);
    }
    scan.value(buf)?;
    let typed =
        |what: &str, err: serde_json::Error| syntax(at, format!("`{key}` is not {what}: {err}"));
    match key {
        "version" => {
            let version: serde_json::Value =
                serde_json::from_slice(buf).map_err(|e| typed("a number", e))?;
            if version != serde_json::json!(VERSION) {
                return Err(syntax(
                    at,
                    format!("version {version} (this conform reads version {VERSION})"),
                ));
            }
        }
        "tool" => parts.tool = Some(serde_json::from_slice(buf).map_err(|e| typed("text", e))?),
        "run" => {
            let run = serde_json::from_slice(buf).map_err(|e| typed("a run of this version", e))?;
            parts.run = Some(run);
        }
        "summary" => {
            let summary =
                serde_json::from_slice(buf).map_err(|e| typed("a summary of this version", e))?;
            parts.summary = Some(summary);
        }
        _ => {
            // The verdict is judged again from the merged results; it is read to be sure the
            // report is whole and of this version.
            let _: Verdict =
                serde_json::from_slice(buf).map_err(|e| typed("a verdict of this version", e))?;
        }
    }
    Ok(())
}

/// Reads the results through, counting them the way the run counted them.
fn count(scan: &mut Scanner, parts: &mut Parts) -> Result<(), ScanError> {
    let mut reader = CaseReader::default();
    while let Some(case) = reader.next_case(scan)? {
        parts.counted.add(&case);
        if !parts.contracts.contains(&case.contract) {
            parts.contracts.insert(case.contract);
        }
    }
    Ok(())
}

impl Parts {
    fn finish(self, path: &Path) -> Result<ReportFile, ReadError> {
        if let Some(missing) = KEYS.iter().find(|k| !self.seen.contains(*k)) {
            return Err(ReadError::new(format!(
                "not a conform JSON report: it has no `{missing}`"
            )));
        }
        let (Some(tool), Some(run), Some(summary)) = (self.tool, self.run, self.summary) else {
            unreachable!("every key was seen, so every part was read");
        };
        if tool != format!("conform {}", run.tool_version) {
            return Err(ReadError::new(format!(
                "`tool` ({tool}) does not name the version in `run` ({}): the report was edited",
                run.tool_version
            )));
        }
        if let Some(stranger) = self
            .contracts
            .iter()
            .find(|name| !name.is_empty() && !run.contracts.iter().any(|c| &c.name == *name))
        {
            return Err(ReadError::new(format!(
                "results name a contract the run does not list: `{stranger}`"
            )));
        }
        if let Some(difference) = differs(&summary, &self.counted) {
            return Err(ReadError::new(format!(
                "its summary does not follow from its results ({difference}): the report was edited or cut short"
            )));
        }
        Ok(ReportFile {
            path: path.to_path_buf(),
            run,
            summary,
            results_at: self.results_at,
        })
    }
}

/// The first count in which `written` and `counted` differ, in words.
fn differs(written: &Summary, counted: &Summary) -> Option<String> {
    let counts = |s: &Summary| {
        [
            ("passed", s.passed),
            ("failed", s.failed),
            ("known", s.known),
            ("skipped", s.skipped),
            ("recorded", s.recorded),
            ("cases", s.cases),
            ("failed_cases", s.failed_cases),
            ("snapshots_missing", s.snapshots_missing),
            ("snapshots_pending", s.snapshots_pending),
        ]
    };
    counts(written)
        .into_iter()
        .zip(counts(counted))
        .find(|((_, w), (_, c))| w != c)
        .map(|((name, w), (_, c))| format!("`{name}` is {w}, the results hold {c}"))
}
