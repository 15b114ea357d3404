//! The runner: plan, start the target, run cases concurrently and stream their results to
//! reporters in plan order.
//!
//! The runner owns sending: `send` is the one place a request is sent, settled while its
//! status is unknown, replayed, or sent as part of the conflict and concurrency scenarios. What
//! came back is handed to [`crate::check::judge`] as [`crate::observe::Observations`]; the
//! checks never send. `context` combines each contract's idempotency settings with the run's
//! overrides, once.
//!
//! Promises that span the run are judged after everything else: every successful answer is
//! entered in the `ledger` (unique values, a bounded sample of keys), and the run-wide cases,
//! last in the plan, are held back until the other cases are done; `late` sends the late
//! replays, which all go before any `unique` case, since their traffic counts too.

mod case;
mod context;
mod dispatch;
mod flow;
mod late;
mod ledger;
mod parked;
mod resources;
mod scenario;
mod scope;
mod security;
mod send;
mod setup;
mod steps;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use globset::GlobSet;

use self::context::Context;
pub(crate) use self::parked::IN_MEMORY as LATE_REPLAY_MEMORY;
use self::setup::Setup;
use crate::baseline::Baseline;
use crate::contract::Contract;
use crate::contract::suite::Suite;
use crate::observe::Exchange;
use crate::plan::{self, Case, Partition, Selection};
use crate::reference::{Faults, ServeError};
use crate::report::Reporter;
use crate::results::{Coverage, Implementation, Requirement, RunInfo, Summary};
use crate::scenario::ScenarioSet;
use crate::snapshot::Snapshots;
use crate::target::tls::ClientTls;
use crate::target::{Limits, Secrets, Signing, TargetError, TargetHeader};

/// Where the cases go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// The embedded reference implementation, started for the run on a free loopback port.
    Embedded,
    /// A live implementation at this base URL.
    Live(String),
}

/// How a run behaves.
#[derive(Debug, Clone)]
pub(crate) struct RunOptions {
    /// Cases in flight at once.
    pub jobs: usize,
    /// Per-request time-out.
    pub timeout: Duration,
    /// The largest response body read; a longer one is cut off and fails `transport`.
    pub max_response_size: u64,
    /// Stop sending when this many requests got no answer and none ever did (0: never).
    pub give_up_after: u32,
    /// Only cases matching these globs.
    pub filter: Option<GlobSet>,
    /// Then not the cases matching these (`--exclude`).
    pub exclude: Option<GlobSet>,
    /// Faults injected by the embedded target.
    pub faults: Faults,
    /// Stop after the first failed case.
    pub fail_fast: bool,
    /// Run only this shard of the plan.
    pub partition: Option<Partition>,
    /// Known failures that do not fail the run.
    pub baseline: Option<Baseline>,
    /// Replays of each successful case, instead of the contract's `idempotency.replays`.
    pub replays: Option<u32>,
    /// Identical requests sent at once, instead of the contract's `idempotency.concurrency`.
    pub concurrency: Option<u32>,
    /// Most tries while an unknown status settles, instead of the contract's.
    pub settle_tries: Option<u32>,
    /// The snapshot folder and mode; `None` (or mode `off`) runs no snapshot check. The CLI
    /// picks the default with [`Mode::default_for`].
    pub snapshots: Option<Snapshots>,
    /// Client-Id and keys: requests are signed and answers checked (see [`Signing`]).
    pub signing: Option<Signing>,
    /// The `--filter` globs as given and the `--exclude` ones with a leading `!`, for reports
    /// (`filter` and `exclude` are what select).
    pub filter_globs: Vec<String>,
    /// Which implementation the target is, for reports.
    pub implementation: Implementation,
    /// Headers every request carries (auth tokens, tenant ids); secret values never appear in
    /// any report.
    pub headers: Vec<TargetHeader>,
    /// Trust roots, client certificate and `--insecure`, for an `https://` target.
    pub tls: ClientTls,
    /// Scenario files compiled against the run's contracts: one case per scenario, after the
    /// flows.
    pub scenarios: Vec<ScenarioSet>,
    /// `--require-coverage`: what the answers must have shown for the run to pass.
    pub require_coverage: Vec<Requirement>,
    /// Where every case's exchanges go, when they are kept as evidence (a certification).
    pub evidence: Option<Arc<dyn Evidence>>,
    /// Keys replayed late per contract with an idempotency key (0: none).
    pub late_replays: u32,
    /// The least age of a key replayed late; `None`: [`DEFAULT_LATE_REPLAY_AFTER`] for a live
    /// target, none for the embedded one (its memory is conform's own, and documented).
    pub late_replay_after: Option<Duration>,
    /// The fewest successful requests with other keys between a key's first answer and its
    /// late replay; `None`: [`DEFAULT_LATE_REPLAY_GAP`] for a live target, none for the
    /// embedded one.
    pub late_replay_gap: Option<u64>,
    /// Bytes of the requests and answers kept for late replays held in memory; the rest wait
    /// in a temporary file ([`parked`]).
    pub late_replay_memory: usize,
}

/// Receives every exchange of every case as it completes (cases complete in any order), for
/// a record of the run such as a certification bundle. What it keeps it must keep safe:
/// `secrets` are the values no output may show.
pub(crate) trait Evidence: Send + Sync + std::fmt::Debug {
    /// The exchanges of case `case` of `contract`, each with the label reports name it by
    /// (empty for the main request's settled answer).
    fn case(
        &self,
        contract: &Contract,
        case: &str,
        exchanges: &[(String, &Exchange)],
        secrets: &Secrets,
    );
}

pub(crate) use crate::results::{
    DEFAULT_LATE_REPLAY_AFTER, DEFAULT_LATE_REPLAY_GAP, DEFAULT_LATE_REPLAYS,
};

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: 8,
            timeout: Duration::from_secs(10),
            max_response_size: Limits::default().max_response_size,
            give_up_after: Limits::default().give_up_after,
            filter: None,
            exclude: None,
            faults: Faults::default(),
            fail_fast: false,
            partition: None,
            baseline: None,
            replays: None,
            concurrency: None,
            settle_tries: None,
            snapshots: None,
            signing: None,
            filter_globs: Vec::new(),
            implementation: Implementation::default(),
            headers: Vec::new(),
            tls: ClientTls::default(),
            scenarios: Vec::new(),
            require_coverage: Vec::new(),
            evidence: None,
            late_replays: DEFAULT_LATE_REPLAYS,
            late_replay_after: None,
            late_replay_gap: None,
            late_replay_memory: parked::IN_MEMORY,
        }
    }
}

/// The harness could not run (not the target failing its checks).
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    /// The target URL is unusable.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The embedded reference implementation did not start.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// A reporter could not write.
    #[error("cannot write report: {0}")]
    Report(#[from] std::io::Error),
    /// The keys given cannot drive the embedded target.
    #[error("{0}")]
    EmbeddedSigning(&'static str),
    /// A batch's contract files could not be read again as surveyed.
    #[error(transparent)]
    Contracts(#[from] crate::contract::ContractErrors),
}

impl RunError {
    /// The exit code this error earns: invalid input (a target URL, keys, a contract the
    /// signing set-up cannot serve) or conform itself failing.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            RunError::Target(_) | RunError::EmbeddedSigning(_) | RunError::Contracts(_) => {
                crate::exit::USAGE
            }
            RunError::Serve(ServeError::NoSignatureRejection(_)) => crate::exit::USAGE,
            RunError::Serve(_) | RunError::Report(_) => crate::exit::INTERNAL,
        }
    }
}

/// Runs every planned case of `contracts` against `target`, feeding `reporter`.
pub(crate) async fn run(
    contracts: Vec<Contract>,
    target: Target,
    options: RunOptions,
    reporter: &mut dyn Reporter,
) -> Result<Summary, RunError> {
    run_suite(Suite::Whole(contracts), target, options, reporter).await
}

/// Runs every planned case of `suite` against `target`, feeding `reporter`: one batch after
/// the other when the suite is batched, each with its own compiled contracts (and embedded
/// target), as one run with one report, one summary and one selection of cases.
pub(crate) async fn run_suite(
    mut suite: Suite,
    target: Target,
    options: RunOptions,
    reporter: &mut dyn Reporter,
) -> Result<Summary, RunError> {
    let mut setup = Setup::new(&suite, &target, &options)?;
    let started = Instant::now();
    let mut summary = Summary::default();
    let mut coverage = Vec::new();
    let mut info = None;
    for index in 0..suite.batch_count() {
        let contracts: Arc<[Contract]> = suite.take_batch(index)?.into();
        let (server, context) = setup.batch(contracts, &options, reporter).await?;
        if info.is_none() {
            let first = setup.info(&options, server.as_ref());
            reporter.start(&first)?;
            info = Some(first);
        }
        execute(
            setup.cases(&context, &options),
            &mut summary,
            &options,
            reporter,
        )
        .await?;
        coverage.extend(context.coverage.coverage());
        // A shard compares only its own answers for `unique`: the merge compares them across
        // shards, of a live target (each embedded one is an implementation of its own).
        if options.partition.is_some() && server.is_none() {
            for (index, contract) in context.contracts.iter().enumerate() {
                let values = context.ledger.unique_values(index, contract);
                summary.unique_values.extend(values);
            }
        }
        summary.stopped = summary.stopped.take().or_else(|| stopped(&context));
        if summary.stopped_early {
            break;
        }
    }
    let info = info.expect("a suite has at least one batch");
    conclude(&mut summary, coverage, started, &options, &info);
    reporter.finish(&summary)?;
    Ok(summary)
}

/// The run's figures once every batch is done: its duration, the coverage of every contract
/// and its gate, and the verdict.
fn conclude(
    summary: &mut Summary,
    coverage: Vec<crate::results::coverage::ContractCoverage>,
    started: Instant,
    options: &RunOptions,
    info: &RunInfo,
) {
    if summary.stopped_early {
        // A run stopped early also stopped planning: its counts would be short, so none.
        (summary.planned, summary.matched) = (0, 0);
    }
    summary.duration = started.elapsed();
    summary.coverage = Coverage {
        contracts: coverage,
        ..Coverage::default()
    };
    match options.partition {
        // A shard sees only its own answers: the gate is judged when the shards are merged.
        Some(_) => summary.coverage.defer(&options.require_coverage),
        None => summary.coverage.judge(&options.require_coverage),
    }
    summary.conclude(info);
}

/// One batch's cases, as the runner needs them.
struct Batch {
    context: Arc<Context>,
    auth: plan::Auth,
    selection: Selection,
}

/// Cases planned ahead of the runner at most; planning never runs far ahead of sending, so a
/// run over thousands of contracts holds only this many planned cases.
const PLANNED_AHEAD: usize = 256;

/// What the planner thread hands back once it is done: the cases planned and kept by
/// `--filter`, and the run-wide cases held back until the rest is done.
/// Cases planned, matched by the selection, held back for the end; and the contracts no
/// planned case sends to.
type Planned = (usize, usize, Vec<Case>, Vec<String>);

/// Plans on a thread of its own, handing cases over as they are planned, so the first
/// requests go out while the rest are still being derived (planning costs about as much as
/// sending, and the two overlap on separate cores).
fn plan_ahead(
    Batch {
        context,
        auth,
        selection,
    }: Batch,
    matched_before: usize,
) -> (
    std::thread::JoinHandle<Planned>,
    tokio::sync::mpsc::Receiver<Case>,
) {
    let (sender, planned) = tokio::sync::mpsc::channel::<Case>(PLANNED_AHEAD);
    let planner = std::thread::spawn(move || {
        yield_to_sending();
        // Every case is planned anyway (selection happens after planning), so counting them
        // costs nothing and lets reports say "1 of 127 cases".
        // `--partition` takes every Nth case the filter kept over the whole run: the count
        // goes on from the batches before.
        let (mut planned, mut matched) = (0, matched_before);
        // Which contracts some case sends to, selected or not: one no case reaches is
        // checked by nothing (an operation without an example or a rule to probe).
        let mut reached = vec![false; context.contracts.len()];
        // The run-wide cases come last in the plan and judge the traffic of all the others:
        // they are held back and run once the others are done.
        let mut held = Vec::new();
        plan::each_selected(
            &context.contracts,
            &context.scenarios,
            &auth,
            &Selection::default(),
            &mut |case| {
                planned += 1;
                for index in plan::contracts_sent_to(&case) {
                    reached[index] = true;
                }
                if !selection.keeps(&case, &mut matched) {
                    return true;
                }
                if plan::promises::after_the_rest(&case) {
                    held.push(case);
                    return true;
                }
                sender.blocking_send(case).is_ok()
            },
        );
        let unreached = (context.contracts.iter().zip(&reached))
            .filter(|(_, reached)| !**reached)
            .map(|(contract, _)| contract.name.clone())
            .collect();
        (planned, matched, held, unreached)
    });
    (planner, planned)
}

/// How much lower than the run's other threads the planner runs (a nice value, Linux only).
#[cfg(target_os = "linux")]
const PLANNER_NICENESS: libc::c_int = 5;

/// Lowers the planner thread's priority below the threads that send and check. The planner is
/// usually far ahead and only needs the CPU time they leave while waiting for answers; at the
/// same priority it took the core from the first cases' requests (the first request went out
/// about a millisecond later) and from answers being checked. The shipped suite against a
/// separate `conform serve`, two sets of 200 interleaved pairs of runs: 0.49 and 0.55 ms less
/// per run. Only a little lower: a machine kept busy by other programs still gives the planner
/// a quarter of a core where it would have had half.
fn yield_to_sending() {
    // `nice` changes the calling thread only on Linux (the nice value is per thread there);
    // elsewhere it would slow the whole process, so it is left alone.
    #[cfg(target_os = "linux")]
    // SAFETY: `nice` has no memory effects; a failure (not allowed, already at the lowest
    // priority) leaves the priority as it was, which is fine.
    unsafe {
        libc::nice(PLANNER_NICENESS);
    }
}

/// Planned cases taken from the planner up to this many at a time.
const TAKEN_AT_ONCE: usize = 64;

/// The planned cases as the runner takes them: whatever the planner has handed over, up to
/// [`TAKEN_AT_ONCE`], at once. The planner is usually a full channel ahead and waits for room;
/// taking one case at a time woke it for every case, two futex calls a case (a third of a
/// run's), where room made for many at once wakes it once.
fn taken_in_bulk(
    mut planned: tokio::sync::mpsc::Receiver<Case>,
) -> impl futures::Stream<Item = Case> {
    let mut taken = std::collections::VecDeque::with_capacity(TAKEN_AT_ONCE);
    let mut fresh = Vec::with_capacity(TAKEN_AT_ONCE);
    futures::stream::poll_fn(move |cx| {
        if taken.is_empty() {
            // Nothing taken means the channel is closed and empty: planning is over.
            if std::task::ready!(planned.poll_recv_many(cx, &mut fresh, TAKEN_AT_ONCE)) == 0 {
                return std::task::Poll::Ready(None);
            }
            taken.extend(fresh.drain(..));
        }
        std::task::Poll::Ready(taken.pop_front())
    })
}

/// Runs the cases of one batch, counting them into `summary`.
async fn execute(
    batch: Batch,
    summary: &mut Summary,
    options: &RunOptions,
    reporter: &mut dyn Reporter,
) -> Result<(), RunError> {
    let context = Arc::clone(&batch.context);
    let (planner, planned) = plan_ahead(batch, summary.matched);
    let cases = taken_in_bulk(planned);
    let mut tally = Tally {
        summary,
        options,
        reporter,
    };
    tally.run_all(&context, cases).await?;
    let held = match planner.join() {
        Ok(_) if tally.summary.stopped_early => Vec::new(),
        Ok((planned, matched, held, unreached)) => {
            tally.summary.planned += planned;
            tally.summary.matched = matched;
            tally.summary.unreached.extend(unreached);
            held
        }
        Err(panic) => {
            let message = case::panic_message(panic.as_ref());
            let result = case::crashed(String::new(), "(planning)".into(), &message);
            tally.summary.crashed.push(result.case.clone());
            tally.summary.add(&result);
            tally.reporter.case(&result)?;
            Vec::new()
        }
    };
    // Late replays send traffic whose values count for uniqueness: they all go first.
    let (late, after): (Vec<Case>, Vec<Case>) = held
        .into_iter()
        .partition(|case| matches!(case.action, plan::Action::LateReplay));
    for phase in [late, after] {
        if !tally.summary.stopped_early {
            tally
                .run_all(&context, futures::stream::iter(phase))
                .await?;
        }
    }
    let evidence = [summary.late_replays.take(), context.ledger.evidence()];
    summary.late_replays = crate::results::merged_late_replays(evidence.into_iter().flatten());
    Ok(())
}

/// How the run authenticates, for the security probes: whether it signs (the embedded target's
/// signing completed already), and its headers, with those the profile marks as credentials.
pub(crate) fn auth(options: &RunOptions, signing: Option<&Signing>) -> plan::Auth {
    let names = |keep: fn(&TargetHeader) -> bool| {
        (options.headers.iter())
            .filter(|h| keep(h))
            .map(|h| h.name.clone())
            .collect()
    };
    plan::Auth {
        signed: signing.is_some_and(|s| s.private_key().is_some()),
        headers: names(|_| true),
        marked: names(|h| h.credential),
    }
}

/// How this run replays late. Unset, the minimum age is [`DEFAULT_LATE_REPLAY_AFTER`] and the
/// gap [`DEFAULT_LATE_REPLAY_GAP`] for a live target; the embedded reference implementation's
/// key memory is conform's own (documented, and tested apart), so against it keys are replayed
/// after the run's own traffic, without waiting or sending more.
fn late_options(options: &RunOptions, target: &Target) -> late::LateOptions {
    let embedded = *target == Target::Embedded;
    let after = options.late_replay_after.unwrap_or(if embedded {
        Duration::ZERO
    } else {
        DEFAULT_LATE_REPLAY_AFTER
    });
    let gap = options
        .late_replay_gap
        .unwrap_or(if embedded { 0 } else { DEFAULT_LATE_REPLAY_GAP });
    late::LateOptions {
        keys: options.late_replays,
        after,
        gap,
        batch: options.jobs.max(1),
    }
}

/// Runs cases and counts and reports their results, in order.
struct Tally<'a> {
    summary: &'a mut Summary,
    options: &'a RunOptions,
    reporter: &'a mut dyn Reporter,
}

impl Tally<'_> {
    /// Runs `cases`, `--jobs` at a time, until they are done or `--fail-fast` stops the run;
    /// results are counted and reported in plan order.
    async fn run_all(
        &mut self,
        context: &Arc<Context>,
        cases: impl futures::Stream<Item = Case> + Send + 'static,
    ) -> Result<(), RunError> {
        let context = Arc::clone(context);
        let run = move |case| case::run_guarded(Arc::clone(&context), case);
        let mut results = dispatch::dispatch(cases, self.options.jobs, run);
        while let Some(ran) = results.next().await {
            let mut result = ran.unwrap_or_else(|crashed| {
                self.summary.crashed.push(crashed.case.clone());
                crashed
            });
            if let Some(baseline) = &self.options.baseline {
                self.summary.fixed.extend(baseline.apply(&mut result));
            }
            self.summary.add(&result);
            self.reporter.case(&result)?;
            if self.options.fail_fast && result.failed() {
                self.summary.stopped_early = true;
                break;
            }
        }
        Ok(())
    }
}

/// Why the run stopped sending, when the target answered none of its first requests.
fn stopped(context: &Context) -> Option<String> {
    if !context.target.given_up() {
        return None;
    }
    let after = context.target.give_up_after();
    let skipped = context.not_sent.load(Ordering::Relaxed);
    Some(format!(
        "stopped sending: target not answering (no answer to the run's first {after} requests, time-outs or refused connections); {skipped} case{} not sent",
        if skipped == 1 { " was" } else { "s were" }
    ))
}
