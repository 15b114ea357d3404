//! The verdict of a run, qualified by what the run left out. A run that passed but did not run
//! everything it could (a filter, a shard, replays turned down, snapshots not compared, known
//! failures absorbed by a baseline, the target's TLS certificate left unverified) must never
//! read as a plain COMPATIBLE: it is PARTIAL (or
//! COMPATIBLE WITH KNOWN FAILURES) with its reasons, in every report alike. Exit codes do not
//! change: they follow [`super::Summary::success`].

use serde::{Deserialize, Serialize};

use super::{RunInfo, Setting, Summary};

/// The verdict of a run.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// The verdict in one word.
    #[serde(rename = "result")]
    pub kind: VerdictKind,
    /// Whether the run ran everything the contracts define, with their settings, and compared
    /// every snapshot: false whenever `reasons` is not empty.
    pub complete: bool,
    /// Why the run is not complete, in the order reports show them.
    pub reasons: Vec<Shortfall>,
}

/// The verdict in one word.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictKind {
    /// Everything ran and no check failed.
    Compatible,
    /// Everything ran; every failure is listed in the baseline.
    CompatibleWithKnownFailures,
    /// No new failure, but the run left something out.
    Partial,
    /// At least one check failed that the baseline does not list.
    NotCompatible,
}

impl VerdictKind {
    /// As reports print it.
    pub fn label(self) -> &'static str {
        match self {
            VerdictKind::Compatible => "COMPATIBLE",
            VerdictKind::CompatibleWithKnownFailures => "COMPATIBLE WITH KNOWN FAILURES",
            VerdictKind::Partial => "PARTIAL",
            VerdictKind::NotCompatible => "NOT COMPATIBLE",
        }
    }
}

/// One way a run fell short of everything it could have checked.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shortfall {
    /// What kind, for tools.
    pub reason: ShortfallKind,
    /// The same in words, with the numbers.
    pub message: String,
}

/// The kinds of [`Shortfall`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShortfallKind {
    /// No case ran at all.
    NoCases,
    /// `--fail-fast` stopped the run before its last case.
    StoppedEarly,
    /// `--filter` left cases out.
    Filtered,
    /// `--partition` ran one shard of the cases.
    Partition,
    /// `--replays` below a contract's.
    ReplaysReduced,
    /// `--concurrency` below a contract's.
    ConcurrencyReduced,
    /// `--settle-tries` above a contract's.
    SettleTriesRaised,
    /// `--late-replays 0`: no key was replayed after the rest of the run's traffic.
    LateReplaysOff,
    /// Against a live target, fewer keys replayed late, younger ones or less traffic in between
    /// than the defaults (`--late-replays`, `--late-replay-after`, `--late-replay-gap`): a
    /// memory shorter or smaller than the defaults measure could pass.
    LateReplaysWeakened,
    /// The target answered none of the run's first requests, and the cases left were not sent.
    TargetNotAnswering,
    /// Contracts no case sends to: nothing checked them.
    ContractsUnreached,
    /// `--insecure`: the target's TLS certificate was not verified, so nothing shows the
    /// answers came from the implementation named.
    TlsNotVerified,
    /// Snapshots off for a live target: drift was not checked.
    SnapshotsOff,
    /// Cases without a recorded snapshot: their drift was not checked.
    SnapshotsMissing,
    /// Snapshots recorded by this run: nothing was compared.
    SnapshotsRecorded,
    /// Failures absorbed by the baseline.
    KnownFailures,
    /// `--require-coverage` asked for statuses, codes, fields or headers no answer showed.
    CoverageNotReached,
    /// Real traffic: requests that matched no contract's operation, so nothing checked them.
    UnmatchedRequests,
    /// Real traffic: requests of a contract's operation that were not checked (a body over
    /// the size read, a request refused before it was read).
    RequestsUnchecked,
}

impl Default for Verdict {
    fn default() -> Self {
        Verdict {
            kind: VerdictKind::Compatible,
            complete: true,
            reasons: Vec::new(),
        }
    }
}

impl Verdict {
    /// The verdict of a finished run.
    pub(crate) fn judge(run: &RunInfo, summary: &Summary) -> Verdict {
        let mut reasons = Vec::new();
        selection(run, summary, &mut reasons);
        settings(run, summary, &mut reasons);
        if run.scope.tls.as_ref().is_some_and(|tls| !tls.verified) {
            reasons.push(Shortfall::new(
                ShortfallKind::TlsNotVerified,
                "TLS not verified (--insecure): nothing shows the answers came from the target named".into(),
            ));
        }
        snapshots(run, summary, &mut reasons);
        unmatched(summary, &mut reasons);
        unchecked(summary, &mut reasons);
        if summary.known > 0 {
            let baseline = run.scope.baseline.as_ref();
            let file = baseline.map_or("", |b| b.file.as_str());
            let (n, s) = (summary.known, plural(summary.known));
            let by = match run.scope.shards {
                Some(_) => "by the shards",
                None => "by this run",
            };
            let message = match baseline.is_some_and(|b| b.mode == "record") {
                true => format!("{n} failure{s} recorded as known in the baseline {file} {by}"),
                false => format!("{n} known failure{s} absorbed by the baseline {file}"),
            };
            reasons.push(Shortfall::new(ShortfallKind::KnownFailures, message));
        }
        if !summary.coverage.met() {
            let unmet = &summary.coverage.unmet;
            let shown: Vec<&str> = unmet.iter().take(5).map(String::as_str).collect();
            let more = match unmet.len().saturating_sub(shown.len()) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            reasons.push(Shortfall::new(
                ShortfallKind::CoverageNotReached,
                format!(
                    "--require-coverage not reached: {} item{} never observed ({}{more})",
                    unmet.len(),
                    plural(unmet.len()),
                    shown.join(", ")
                ),
            ));
        }
        let only_known = reasons
            .iter()
            .all(|r| r.reason == ShortfallKind::KnownFailures);
        let kind = if summary.failed != summary.known {
            VerdictKind::NotCompatible
        } else if reasons.is_empty() {
            VerdictKind::Compatible
        } else if only_known {
            VerdictKind::CompatibleWithKnownFailures
        } else {
            VerdictKind::Partial
        };
        Verdict {
            kind,
            complete: reasons.is_empty(),
            reasons,
        }
    }

    /// The reasons in one sentence, `None` for a complete run.
    pub fn why(&self) -> Option<String> {
        if self.reasons.is_empty() {
            return None;
        }
        let reasons: Vec<&str> = self.reasons.iter().map(|r| r.message.as_str()).collect();
        Some(reasons.join("; "))
    }
}

impl Shortfall {
    fn new(reason: ShortfallKind, message: String) -> Self {
        Shortfall { reason, message }
    }
}

fn selection(run: &RunInfo, summary: &Summary, reasons: &mut Vec<Shortfall>) {
    let scope = &run.scope;
    if summary.cases == 0 {
        let what = match scope.traffic {
            Some(_) => "no request for a contract's operation was seen",
            None => "no case ran",
        };
        reasons.push(Shortfall::new(ShortfallKind::NoCases, what.into()));
    }
    if summary.stopped_early {
        reasons.push(Shortfall::new(
            ShortfallKind::StoppedEarly,
            "the run stopped at the first failed case (--fail-fast)".into(),
        ));
    }
    if !summary.unreached.is_empty() {
        let n = summary.unreached.len();
        let names = summary.unreached[..n.min(5)].join(", ");
        let more = if n > 5 {
            format!(" and {} more", n - 5)
        } else {
            String::new()
        };
        reasons.push(Shortfall::new(
            ShortfallKind::ContractsUnreached,
            format!(
                "{n} contract{} planned no case, so nothing checked {}: {names}{more} (an example to send or a rule to probe gives cases)",
                plural(n),
                if n == 1 { "it" } else { "them" }
            ),
        ));
    }
    if let Some(stopped) = &summary.stopped {
        reasons.push(Shortfall::new(
            ShortfallKind::TargetNotAnswering,
            stopped.clone(),
        ));
    }
    let filters = scope.selection();
    if !scope.filters.is_empty() && summary.planned == 0 {
        // Not counted (the run stopped early): the filter is named without numbers.
        reasons.push(Shortfall::new(
            ShortfallKind::Filtered,
            format!("{filters} selected the cases"),
        ));
    } else if !scope.filters.is_empty() && summary.matched < summary.planned {
        reasons.push(Shortfall::new(
            ShortfallKind::Filtered,
            format!(
                "{filters} kept {} of {} cases",
                summary.matched, summary.planned
            ),
        ));
    }
    if let Some(partition) = &scope.partition
        && !summary.stopped_early
        && summary.cases < summary.matched
    {
        reasons.push(Shortfall::new(
            ShortfallKind::Partition,
            format!(
                "one shard (--partition {partition}): {} of {} cases",
                summary.cases, summary.matched
            ),
        ));
    }
}

fn settings(run: &RunInfo, summary: &Summary, reasons: &mut Vec<Shortfall>) {
    let (contracts, ask, allow) = match run.contracts.len() {
        1 => ("the contract", "asks", "allows"),
        _ => ("the contracts", "ask", "allow"),
    };
    for o in run.scope.overrides.iter().filter(|o| o.weaker) {
        let asked: Vec<String> = o.contracts.iter().map(u32::to_string).collect();
        let asked = asked.join(" or ");
        let (reason, what) = match o.setting {
            Setting::Replays if o.value == 0 => (
                ShortfallKind::ReplaysReduced,
                format!("replays turned off (--replays 0; {contracts} {ask} for {asked})"),
            ),
            Setting::Replays => (
                ShortfallKind::ReplaysReduced,
                format!(
                    "fewer replays (--replays {}; {contracts} {ask} for {asked})",
                    o.value
                ),
            ),
            Setting::Concurrency => (
                ShortfallKind::ConcurrencyReduced,
                format!(
                    "fewer concurrent requests (--concurrency {}; {contracts} {ask} for {asked})",
                    o.value
                ),
            ),
            Setting::SettleTries => (
                ShortfallKind::SettleTriesRaised,
                format!(
                    "more tries to settle an unknown status (--settle-tries {}; {contracts} {allow} {asked})",
                    o.value
                ),
            ),
        };
        reasons.push(Shortfall::new(reason, what));
    }
    match run.scope.late_replays {
        Some(late) if late.keys == 0 => reasons.push(Shortfall::new(
            ShortfallKind::LateReplaysOff,
            "late replays turned off (--late-replays 0): no key was replayed after the rest of the run's traffic".into(),
        )),
        // Only when keys were replayed late: a run without late-replay cases (filtered out, no
        // key succeeded) measured nothing the settings could weaken.
        Some(late) if !run.embedded && summary.late_replays.is_some_and(|e| e.keys > 0) => {
            reasons.extend(late_weakened(&late));
        }
        _ => {}
    }
}

/// The late replays of a run against a live target, when they measure less than the defaults.
/// (The embedded target's key memory is conform's own, so it has no defaults to fall below.)
fn late_weakened(late: &crate::results::LateReplayScope) -> Option<Shortfall> {
    use crate::results::{
        DEFAULT_LATE_REPLAY_AFTER, DEFAULT_LATE_REPLAY_GAP, DEFAULT_LATE_REPLAYS,
    };
    let mut weaker = Vec::new();
    if late.keys < DEFAULT_LATE_REPLAYS {
        weaker.push(format!(
            "--late-replays {} (default {DEFAULT_LATE_REPLAYS})",
            late.keys
        ));
    }
    if late.after < DEFAULT_LATE_REPLAY_AFTER {
        // In milliseconds unless whole seconds: 4999ms must not read as the default's 5s.
        let after = match late.after.as_millis() {
            ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
            ms => format!("{ms}ms"),
        };
        weaker.push(format!(
            "--late-replay-after {after} (default {})",
            crate::units::format_duration(DEFAULT_LATE_REPLAY_AFTER)
        ));
    }
    if late.gap < DEFAULT_LATE_REPLAY_GAP {
        weaker.push(format!(
            "--late-replay-gap {} (default {DEFAULT_LATE_REPLAY_GAP})",
            late.gap
        ));
    }
    (!weaker.is_empty()).then(|| {
        Shortfall::new(
            ShortfallKind::LateReplaysWeakened,
            format!(
                "late replays below the defaults ({}): a key memory shorter or smaller than the defaults measure could pass",
                weaker.join(", ")
            ),
        )
    })
}

fn snapshots(run: &RunInfo, summary: &Summary, reasons: &mut Vec<Shortfall>) {
    // Real traffic is judged as it comes: there is nothing to compare with a snapshot.
    if run.scope.snapshots.mode == "off" && !run.embedded && run.scope.traffic.is_none() {
        reasons.push(Shortfall::new(
            ShortfallKind::SnapshotsOff,
            "snapshots off: answers were not compared with recorded ones".into(),
        ));
    }
    if summary.snapshots_missing > 0 {
        let n = summary.snapshots_missing;
        reasons.push(Shortfall::new(
            ShortfallKind::SnapshotsMissing,
            format!("{n} case{} had no snapshot to compare with", plural(n)),
        ));
    }
    if summary.recorded > 0 {
        let n = summary.recorded;
        reasons.push(Shortfall::new(
            ShortfallKind::SnapshotsRecorded,
            format!(
                "{n} snapshot{} recorded by this run, so not compared",
                plural(n)
            ),
        ));
    }
}

/// Requests real traffic carried that no contract describes were forwarded unchecked.
fn unmatched(summary: &Summary, reasons: &mut Vec<Shortfall>) {
    let Some(traffic) = summary.traffic.as_ref().filter(|t| t.unmatched > 0) else {
        return;
    };
    let n = traffic.unmatched;
    let (request, was) = if n == 1 {
        ("request", "was")
    } else {
        ("requests", "were")
    };
    reasons.push(Shortfall::new(
        ShortfallKind::UnmatchedRequests,
        format!("{n} {request} matched no contract's operation and {was} not checked"),
    ));
}

/// Requests of a contract's operation whose request was never judged.
fn unchecked(summary: &Summary, reasons: &mut Vec<Shortfall>) {
    let n = summary.requests_unchecked;
    if n == 0 {
        return;
    }
    let (request, was) = if n == 1 {
        ("request", "was")
    } else {
        ("requests", "were")
    };
    reasons.push(Shortfall::new(
        ShortfallKind::RequestsUnchecked,
        format!(
            "{n} {request} {was} not checked against {} contract (a body larger than --max-body-size, or a request refused before it was read)",
            if n == 1 { "its" } else { "their" }
        ),
    ));
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{BaselineScope, Override, Scope, SnapshotScope};
    use std::time::Duration;

    fn run(scope: Scope, embedded: bool) -> RunInfo {
        RunInfo {
            tool_version: "0".into(),
            target: "http://t".into(),
            embedded,
            implementation: Default::default(),
            contracts: Vec::new(),
            started: String::new(),
            scope,
        }
    }

    fn full(cases: usize) -> Summary {
        Summary {
            passed: cases * 6,
            cases,
            planned: cases,
            matched: cases,
            ..Summary::default()
        }
    }

    fn live_checked() -> Scope {
        Scope {
            snapshots: SnapshotScope {
                mode: "check".into(),
                folder: Some("snapshots".into()),
            },
            ..Scope::default()
        }
    }

    fn reasons(verdict: &Verdict) -> Vec<ShortfallKind> {
        verdict.reasons.iter().map(|r| r.reason).collect()
    }

    #[test]
    fn a_full_passing_run_is_compatible_and_complete() {
        let verdict = Verdict::judge(&run(live_checked(), false), &full(125));
        assert_eq!(verdict, Verdict::default());
        assert_eq!(verdict.why(), None);
    }

    #[test]
    fn a_filtered_run_without_replays_is_partial_and_says_why() {
        let scope = Scope {
            filters: vec!["issueCard/example/*".into()],
            overrides: vec![Override::of(Setting::Replays, 0, [2]).unwrap()],
            ..live_checked()
        };
        let summary = Summary {
            planned: 125,
            matched: 1,
            ..full(1)
        };
        let verdict = Verdict::judge(&run(scope, false), &summary);
        assert_eq!(verdict.kind, VerdictKind::Partial);
        assert!(!verdict.complete);
        assert_eq!(
            verdict.why().unwrap(),
            "--filter issueCard/example/* kept 1 of 125 cases; replays turned off (--replays 0; the contracts ask for 2)"
        );
    }

    #[test]
    fn a_shard_is_partial() {
        let scope = Scope {
            partition: Some("2/3".into()),
            ..live_checked()
        };
        let summary = Summary {
            planned: 125,
            matched: 125,
            ..full(42)
        };
        let verdict = Verdict::judge(&run(scope, false), &summary);
        assert_eq!(reasons(&verdict), [ShortfallKind::Partition]);
        assert_eq!(
            verdict.reasons[0].message,
            "one shard (--partition 2/3): 42 of 125 cases"
        );
    }

    #[test]
    fn known_failures_alone_qualify_a_pass_and_with_more_make_it_partial() {
        let scope = Scope {
            baseline: Some(BaselineScope {
                file: "b.json".into(),
                mode: "apply".into(),
            }),
            ..live_checked()
        };
        let summary = Summary {
            failed: 41,
            known: 41,
            ..full(125)
        };
        let verdict = Verdict::judge(&run(scope.clone(), false), &summary);
        assert_eq!(verdict.kind, VerdictKind::CompatibleWithKnownFailures);
        assert_eq!(
            verdict.why().unwrap(),
            "41 known failures absorbed by the baseline b.json"
        );
        let recorded = Summary {
            recorded: 3,
            ..summary
        };
        let verdict = Verdict::judge(&run(scope, false), &recorded);
        assert_eq!(verdict.kind, VerdictKind::Partial);
        assert_eq!(
            reasons(&verdict),
            [
                ShortfallKind::SnapshotsRecorded,
                ShortfallKind::KnownFailures
            ]
        );
    }

    #[test]
    fn a_failure_is_not_compatible_and_still_lists_what_was_left_out() {
        let scope = Scope {
            filters: vec!["*".into(), "x".into()],
            ..live_checked()
        };
        let summary = Summary {
            failed: 1,
            failed_cases: 1,
            planned: 125,
            matched: 10,
            ..full(10)
        };
        let verdict = Verdict::judge(&run(scope, false), &summary);
        assert_eq!(verdict.kind, VerdictKind::NotCompatible);
        assert_eq!(reasons(&verdict), [ShortfallKind::Filtered]);
    }

    #[test]
    fn snapshots_off_count_against_a_live_target_only() {
        let off = Scope {
            snapshots: SnapshotScope {
                mode: "off".into(),
                folder: None,
            },
            ..Scope::default()
        };
        let live = Verdict::judge(&run(off.clone(), false), &full(5));
        assert_eq!(reasons(&live), [ShortfallKind::SnapshotsOff]);
        let embedded = Verdict::judge(&run(off, true), &full(5));
        assert_eq!(embedded.kind, VerdictKind::Compatible);
        let missing = Summary {
            snapshots_missing: 2,
            ..full(5)
        };
        let verdict = Verdict::judge(&run(live_checked(), false), &missing);
        assert_eq!(
            verdict.why().unwrap(),
            "2 cases had no snapshot to compare with"
        );
    }

    #[test]
    fn a_run_stopped_early_names_its_filter_without_short_counts() {
        let scope = Scope {
            filters: vec!["*/appId/*".into()],
            fail_fast: true,
            ..live_checked()
        };
        let summary = Summary {
            failed: 1,
            failed_cases: 1,
            stopped_early: true,
            planned: 0,
            matched: 0,
            ..full(3)
        };
        let verdict = Verdict::judge(&run(scope, false), &summary);
        assert_eq!(verdict.kind, VerdictKind::NotCompatible);
        assert_eq!(
            verdict.why().unwrap(),
            "the run stopped at the first failed case (--fail-fast); --filter */appId/* selected the cases"
        );
    }

    #[test]
    fn an_unverified_tls_run_is_partial_even_when_everything_passed() {
        let unverified = Scope {
            tls: Some(crate::results::TlsScope::default()),
            ..live_checked()
        };
        let verdict = Verdict::judge(&run(unverified, false), &full(125));
        assert_eq!(verdict.kind, VerdictKind::Partial);
        assert_eq!(
            verdict.why().unwrap(),
            "TLS not verified (--insecure): nothing shows the answers came from the target named"
        );
        let verified = Scope {
            tls: Some(crate::results::TlsScope {
                verified: true,
                ..Default::default()
            }),
            ..live_checked()
        };
        let verdict = Verdict::judge(&run(verified, false), &full(125));
        assert_eq!(verdict.kind, VerdictKind::Compatible);
    }

    #[test]
    fn late_replays_turned_off_make_a_passing_run_partial() {
        let late = |keys| Scope {
            late_replays: Some(crate::results::LateReplayScope { keys, ..defaults() }),
            ..live_checked()
        };
        let off = Verdict::judge(&run(late(0), false), &full(127));
        assert_eq!(off.kind, VerdictKind::Partial);
        assert_eq!(reasons(&off), [ShortfallKind::LateReplaysOff]);
        assert!(
            off.why()
                .unwrap()
                .starts_with("late replays turned off (--late-replays 0)")
        );
        let on = Verdict::judge(&run(late(8), false), &full(127));
        assert_eq!(on.kind, VerdictKind::Compatible);
    }

    fn defaults() -> crate::results::LateReplayScope {
        crate::results::LateReplayScope {
            keys: crate::results::DEFAULT_LATE_REPLAYS,
            after: crate::results::DEFAULT_LATE_REPLAY_AFTER,
            gap: crate::results::DEFAULT_LATE_REPLAY_GAP,
        }
    }

    #[test]
    fn late_replays_below_the_defaults_make_a_live_run_partial_naming_each_flag() {
        let late = |late| Scope {
            late_replays: Some(late),
            ..live_checked()
        };
        let quick = crate::results::LateReplayScope {
            keys: 2,
            after: Duration::from_secs(1),
            gap: 10,
        };
        let replayed = Summary {
            late_replays: Some(crate::results::LateReplayEvidence {
                keys: 8,
                remembered: 8,
                ..Default::default()
            }),
            ..full(127)
        };
        let none_replayed = Verdict::judge(&run(late(quick), false), &full(127));
        assert_eq!(none_replayed.kind, VerdictKind::Compatible);
        let verdict = Verdict::judge(&run(late(quick), false), &replayed);
        assert_eq!(verdict.kind, VerdictKind::Partial);
        assert_eq!(reasons(&verdict), [ShortfallKind::LateReplaysWeakened]);
        assert_eq!(
            verdict.why().unwrap(),
            "late replays below the defaults (--late-replays 2 (default 8), --late-replay-after 1s (default 5s), --late-replay-gap 10 (default 128)): a key memory shorter or smaller than the defaults measure could pass"
        );
        let longer = crate::results::LateReplayScope {
            after: Duration::from_secs(60),
            gap: 1000,
            ..defaults()
        };
        let stricter = Verdict::judge(&run(late(longer), false), &replayed);
        assert_eq!(stricter.kind, VerdictKind::Compatible);
        // The embedded target's key memory is conform's own: its quick settings fall short of
        // nothing.
        let embedded = Scope {
            snapshots: live_checked().snapshots,
            ..late(quick)
        };
        let verdict = Verdict::judge(&run(embedded, true), &replayed);
        assert_eq!(verdict.kind, VerdictKind::Compatible);
    }

    #[test]
    fn a_run_with_no_case_is_not_complete() {
        let verdict = Verdict::judge(&run(live_checked(), false), &full(0));
        assert_eq!(reasons(&verdict), [ShortfallKind::NoCases]);
    }
}
