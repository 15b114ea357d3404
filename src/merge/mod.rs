//! `conform merge`: the JSON reports of the shards of one run (`verify --partition K/N` on N CI
//! machines) read back into the result model and combined into one run, which every reporter
//! then renders as if it had been made in one process: one verdict (judged by
//! [`crate::results::Verdict::judge`], as for any run), one certificate, one JUnit file.
//!
//! Completeness is proven, not assumed: every report must be a conform JSON report of this
//! version whose summary follows from its results ([`report`]); the reports must have checked
//! the same contracts (by SHA-256), target, implementation and settings, and be the shards
//! `1/N` to `N/N` of one partition, each once and each holding as many cases as its shard of the
//! plan has ([`shards`]). Anything else is refused with the files named, before anything is
//! rendered.
//!
//! Reports are streamed twice, never held whole (a shard of a large suite runs to gigabytes):
//! once to check them, once to render, taking cases from the shards in turn, which restores the
//! plan's order since `--partition` deals cases out round-robin ([`render`]).

mod entry;
mod render;
mod report;
mod scan;
mod shards;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::results::{BaselineEntry, RunInfo};

pub(crate) use render::RenderError;

use report::{ReportFile, Scanned, Shared};

/// Shard reports proven to be the parts of one run, ready to render.
#[derive(Debug)]
pub(crate) struct Merge {
    /// The reports, in shard order.
    shards: Vec<ReportFile>,
    /// The run they make together.
    info: RunInfo,
    /// The counts not recomputed from the results.
    totals: Totals,
}

/// What the merged summary takes from the shards' summaries rather than from their results.
#[derive(Debug, Default)]
struct Totals {
    planned: usize,
    matched: usize,
    stopped_early: bool,
    duration: std::time::Duration,
    fixed: Vec<BaselineEntry>,
    stopped: Option<String>,
    unreached: Vec<String>,
    crashed: Vec<String>,
    coverage: crate::results::Coverage,
    late_replays: Option<crate::results::LateReplayEvidence>,
    /// Values at `unique` places that requests of two shards both got.
    unique: crate::results::across_shards::Across,
}

/// Why reports were not merged: one line per problem, each naming its files. Nothing was
/// rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", problems.join("\n"))]
pub(crate) struct Refused {
    /// The problems, in the order the reports were given.
    pub problems: Vec<String>,
}

/// Reads the reports at `paths` and checks that they are the shards of one run.
/// `own_baseline`: the merge applies or records a baseline of its own, so the shards' baselines
/// need not agree.
pub(crate) fn read(paths: &[PathBuf], own_baseline: bool) -> Result<Merge, Refused> {
    let mut problems = given_twice(paths);
    let mut reports = Vec::new();
    let shared = Shared::default();
    let scanned = in_parallel(paths, |path| Scanned::scan(path, &shared));
    for (path, scanned) in paths.iter().zip(scanned) {
        match scanned.and_then(Scanned::finish) {
            Ok(report) => reports.push(report),
            Err(err) => {
                let at = err
                    .at
                    .map(|(line, column)| format!(" (line {line}, column {column})"))
                    .unwrap_or_default();
                problems.push(format!("{}: {}{at}", shown(path), err.message));
            }
        }
    }
    if !problems.is_empty() {
        return Err(Refused { problems });
    }
    let problems = shards::problems(&reports, own_baseline);
    if !problems.is_empty() {
        return Err(Refused { problems });
    }
    shards::merge(reports).map_err(|problem| Refused {
        problems: vec![problem],
    })
}

impl Merge {}

/// `f` of every path, on as many threads as there are cores: reading a report through is
/// work for one core, and shards are independent.
fn in_parallel<T: Send>(paths: &[PathBuf], f: impl Fn(&Path) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(paths.len()));
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers.min(paths.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let value = f(path);
                    done.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, value));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, value)| value).collect()
}

/// A path as messages show it.
fn shown(path: &Path) -> String {
    format!("`{}`", path.display())
}

/// The same file named twice (under any spelling) would be counted twice.
fn given_twice(paths: &[PathBuf]) -> Vec<String> {
    let mut seen = HashSet::new();
    paths
        .iter()
        .filter(|path| {
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            !seen.insert(canonical)
        })
        .map(|path| format!("{} is given twice", shown(path)))
        .collect()
}

#[cfg(test)]
mod tests;
