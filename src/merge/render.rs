//! Rendering a merge: the shards' cases fed to reporters in the plan's order, counted and
//! judged exactly as a run counts and judges its own ([`Summary::add`], [`Summary::conclude`]),
//! with a baseline applied as the runner applies one ([`Baseline::apply`]).
//!
//! `--partition K/N` deals the filtered plan out round-robin (case `i` to shard `i % N + 1`),
//! so taking one case from each shard in turn, shard 1 first, restores the plan's order.
//! Shards are decoded on threads of their own, a bounded number of cases ahead.

use std::collections::HashMap;
use std::io;
use std::sync::mpsc::{self, SyncSender};

use super::Merge;
use super::report::ReportFile;
use crate::baseline::Baseline;
use crate::report::Reporter;
use crate::results::{BaselineEntry, CaseResult, Summary};

/// A merge that failed while rendering, after its reports were accepted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RenderError {
    /// A report could not be read again (it changed or vanished since it was checked).
    #[error("{0}")]
    Reread(String),
    /// A reporter writing to a stream (the console) failed.
    #[error("cannot write the summary: {0}")]
    Output(#[from] io::Error),
}

impl Merge {
    /// Feeds the merged run to `reporter` and returns its summary, verdict included.
    /// `baseline` (the merge's own `--baseline`) replaces whatever baseline the shards applied:
    /// their known failures are judged again against it.
    pub(crate) fn render(
        mut self,
        baseline: Option<&Baseline>,
        reporter: &mut dyn Reporter,
    ) -> Result<Summary, RenderError> {
        if let Some(baseline) = baseline {
            self.info.scope.baseline = baseline.scope();
        }
        reporter.start(&self.info)?;
        let mut summary = Summary::default();
        let mut fixed = Fixed::new(std::mem::take(&mut self.totals.fixed));
        std::thread::scope(|scope| {
            // Each shard is decoded on a thread of its own, a few cases ahead, while this one
            // renders: decoding and rendering cost about as much, and run side by side.
            let mut feeds: Vec<_> = self
                .shards
                .iter()
                .map(|shard| {
                    let (cases, feed) = mpsc::sync_channel(AHEAD);
                    scope.spawn(move || decode(shard, cases));
                    (shard, Some(feed))
                })
                .collect();
            let mut any = true;
            while any {
                any = false;
                for (shard, feed) in feeds.iter_mut() {
                    let Some(cases) = feed else { continue };
                    match cases.recv() {
                        Ok(Ok(case)) => {
                            any = true;
                            let case = self.totals.unique.patch(case);
                            let case = judged(case, baseline, &mut fixed, &mut summary);
                            summary.add(&case);
                            reporter.case(&case)?;
                        }
                        Ok(Err(message)) => return Err(reread(shard, message)),
                        Err(mpsc::RecvError) => *feed = None,
                    }
                }
            }
            Ok(())
        })?;
        summary.fixed.extend(fixed.rest());
        summary.planned = self.totals.planned;
        summary.matched = self.totals.matched;
        summary.stopped_early = self.totals.stopped_early;
        summary.duration = self.totals.duration;
        summary.stopped = self.totals.stopped;
        summary.unreached = self.totals.unreached;
        summary.crashed = self.totals.crashed;
        summary.coverage = self.totals.coverage;
        summary.late_replays = self.totals.late_replays;
        summary.conclude(&self.info);
        reporter.finish(&summary)?;
        Ok(summary)
    }
}

/// Cases decoded ahead of rendering, per shard: enough to keep both threads busy, few enough
/// that a merge holds next to nothing.
const AHEAD: usize = 64;

/// Sends the cases of `shard` to `cases`, in order, then an error if one stopped it; it stops
/// early when the receiving end is gone.
fn decode(shard: &ReportFile, cases: SyncSender<Result<CaseResult, String>>) {
    let mut reader = match shard.cases() {
        Ok(reader) => reader,
        Err(err) => {
            let _ = cases.send(Err(err.message));
            return;
        }
    };
    loop {
        let next = match reader.next_case() {
            Ok(Some(case)) => Ok(case),
            Ok(None) => return,
            Err(err) => Err(err.message),
        };
        let stop = next.is_err();
        if cases.send(next).is_err() || stop {
            return;
        }
    }
}

fn reread(shard: &ReportFile, message: String) -> RenderError {
    RenderError::Reread(format!(
        "{} changed while it was merged: {message}",
        super::shown(&shard.path)
    ))
}

/// `case` with its known failures as the merged run sees them: by the merge's own baseline
/// when it has one (fixed entries are then found here), else as each shard's baseline marked
/// them (and their fixed entries are put back in plan order).
fn judged(
    mut case: CaseResult,
    baseline: Option<&Baseline>,
    fixed: &mut Fixed,
    summary: &mut Summary,
) -> CaseResult {
    match baseline {
        Some(baseline) => {
            for check in &mut case.checks {
                check.known = false;
            }
            summary.fixed.extend(baseline.apply(&mut case));
        }
        None => summary.fixed.extend(fixed.of(&case.case)),
    }
    case
}

/// The shards' fixed baseline entries, handed out case by case so the merged list is in plan
/// order, as a run lists them.
struct Fixed {
    by_case: HashMap<String, Vec<BaselineEntry>>,
    order: Vec<String>,
}

impl Fixed {
    fn new(entries: Vec<BaselineEntry>) -> Self {
        let mut by_case: HashMap<String, Vec<BaselineEntry>> = HashMap::new();
        let mut order = Vec::new();
        for entry in entries {
            if !by_case.contains_key(&entry.case) {
                order.push(entry.case.clone());
            }
            by_case.entry(entry.case.clone()).or_default().push(entry);
        }
        Fixed { by_case, order }
    }

    fn of(&mut self, case: &str) -> Vec<BaselineEntry> {
        if self.by_case.is_empty() {
            return Vec::new();
        }
        self.by_case.remove(case).unwrap_or_default()
    }

    /// Entries whose case no shard listed (kept rather than lost).
    fn rest(mut self) -> Vec<BaselineEntry> {
        self.order
            .iter()
            .filter_map(|case| self.by_case.remove(case))
            .flatten()
            .collect()
    }
}
