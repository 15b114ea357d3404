//! One JSON report read back into the result model: its run, its summary, and its results
//! streamed case by case. Reading checks that the file is a conform JSON report of this version
//! and that its summary follows from its results (counted by [`Summary::add`], as the run
//! counted them), so an edited or truncated report is refused rather than merged.
//!
//! What every shard of a run repeats is kept once, whatever the number of shards: the contract
//! list is shared between the reports that list the same contracts ([`Shared`]), and a
//! summary's coverage (every contract's declared items) is checked and dropped, then read again
//! one shard at a time when the shards' coverage is combined ([`ReportFile::coverage`]).
//!
//! Reports are scanned on threads of their own ([`Scanned::scan`]), but their summaries are
//! decoded on the merge's thread ([`Scanned::finish`]): a summary is the largest value decoded,
//! and memory a thread took and gave back stays with that thread, unused by the rendering.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::entry::CaseReader;
use super::scan::{ScanError, Scanner, line_column};
use crate::report::json::VERSION;
use crate::results::{CaseResult, ContractInfo, Coverage, RunInfo, Summary, Verdict};

/// A report read through once: everything but its results, which are read again to render.
#[derive(Debug)]
pub(super) struct ReportFile {
    /// The file as given.
    pub path: PathBuf,
    /// The run it reports, its contracts aside (in `contracts`).
    pub run: RunInfo,
    /// The contracts the run lists, shared with every other report listing the same.
    pub contracts: Arc<Vec<ContractInfo>>,
    /// Its counts as written, its coverage aside (see [`ReportFile::coverage`]).
    pub summary: Summary,
    /// Where its `results` array starts.
    results_at: u64,
    /// Where its `summary` is.
    summary_place: Place,
}

/// Where a value lies in a file: from `start`, `length` bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Place {
    start: u64,
    length: u64,
}

/// What the reports of one merge share while they are read, possibly on several threads.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// The contract list the first report read gave; reports listing the same share it.
    contracts: Mutex<Option<Arc<Vec<ContractInfo>>>>,
}

impl Shared {
    /// `contracts`, as the copy already kept when it is the same list.
    fn intern(&self, contracts: Vec<ContractInfo>) -> Arc<Vec<ContractInfo>> {
        let mut kept = lock(&self.contracts);
        match kept.as_ref() {
            Some(same) if **same == contracts => Arc::clone(same),
            Some(_) => Arc::new(contracts),
            None => Arc::clone(kept.insert(Arc::new(contracts))),
        }
    }
}

/// A lock whatever another thread did while holding it: what it guards stays whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
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
    #[cfg(test)]
    pub(super) fn read(path: &Path, shared: &Shared) -> Result<ReportFile, ReadError> {
        Scanned::scan(path, shared).and_then(Scanned::finish)
    }

    /// The coverage its summary records, read again: it was checked when the report was read,
    /// and dropped so that the shards' coverage is never held all at once.
    pub(super) fn coverage(&self) -> Result<Coverage, ReadError> {
        let summary = decode_summary(&self.path, self.summary_place)
            .map_err(|e| ReadError::new(format!("cannot read it again: {e}")))?;
        Ok(summary.coverage)
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

/// A report scanned through, its summary not yet decoded.
pub(super) struct Scanned {
    path: PathBuf,
    parts: Parts,
    /// What stopped the scan, if something did.
    error: Option<ScanError>,
}

impl Scanned {
    /// Scans the report at `path` through, checking everything but its summary.
    pub(super) fn scan(path: &Path, shared: &Shared) -> Result<Scanned, ReadError> {
        let mut scan =
            Scanner::open(path, 0).map_err(|e| ReadError::new(format!("cannot read it: {e}")))?;
        let mut parts = Parts::default();
        let error = read_document(&mut scan, &mut parts, shared).err();
        Ok(Scanned {
            path: path.to_path_buf(),
            parts,
            error,
        })
    }

    /// Decodes the summary and checks the report whole: what is wrong first in the file is
    /// what is said, as if it had been read in one pass.
    pub(super) fn finish(self) -> Result<ReportFile, ReadError> {
        let Scanned {
            path,
            mut parts,
            error,
        } = self;
        let failed = |e| ReadError::from_scan(&path, e);
        // A summary was scanned whole only if it came before what stopped the scan.
        if let Some((at, place)) = parts.summary_at {
            let mut summary = decode_summary(&path, place).map_err(|e| {
                failed(syntax(
                    at,
                    format!("`summary` is not a summary of this version: {e}"),
                ))
            })?;
            summary.coverage = Coverage::default();
            parts.summary = Some(summary);
        }
        if let Some(error) = error {
            return Err(failed(error));
        }
        parts.finish(&path)
    }
}

/// The summary at `place`, decoded as it is read: it runs to megabytes in a large suite, and
/// is never held as text.
fn decode_summary(path: &Path, place: Place) -> Result<Summary, serde_json::Error> {
    let mut file = File::open(path).map_err(serde_json::Error::io)?;
    file.seek(SeekFrom::Start(place.start))
        .map_err(serde_json::Error::io)?;
    let text = BufReader::new(file.take(place.length));
    serde_json::from_reader(text)
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
    listed: Arc<Vec<ContractInfo>>,
    summary: Option<Summary>,
    results_at: u64,
    /// Where the summary's key ends and where its value lies, once it was scanned whole.
    summary_at: Option<(u64, Place)>,
    counted: Summary,
    contracts: BTreeSet<String>,
}

fn read_document(scan: &mut Scanner, parts: &mut Parts, shared: &Shared) -> Result<(), ScanError> {
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
        read_part(scan, known, parts, &mut buf, shared)?;
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
    shared: &Shared,
) -> Result<(), ScanError> {
    let at = scan.offset();
    if key == "results" {
        parts.results_at = at;
        return count(scan, parts);
    }
    if key == "summary" {
        // Decoded later, on the merge's thread (see the module's doc).
        let (start, length) = scan.skip_value()?;
        parts.summary_at = Some((at, Place { start, length }));
        return Ok(());
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
            let mut run: RunInfo =
                serde_json::from_slice(buf).map_err(|e| typed("a run of this version", e))?;
            parts.listed = shared.intern(std::mem::take(&mut run.contracts));
            parts.run = Some(run);
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
        let listed: HashSet<&str> = self.listed.iter().map(|c| c.name.as_str()).collect();
        if let Some(stranger) = self
            .contracts
            .iter()
            .find(|name| !name.is_empty() && !listed.contains(name.as_str()))
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
            contracts: self.listed,
            summary,
            results_at: self.results_at,
            summary_place: self.summary_at.map(|(_, place)| place).unwrap_or_default(),
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
