//! A traffic run from start to verdict: exchanges arrive on a channel as they finish, each is
//! judged ([`super::judge`]), logged and handed to the reporters as a case; requests that match
//! no contract are counted and listed. When the run is told to stop (Ctrl-C, SIGTERM,
//! `--duration`) or has seen `--max-exchanges`, the server is told to stop taking requests, the
//! exchanges under way are waited for (up to a grace period) and judged, and the reporters get
//! the summary: the split between the client's findings and the implementation's, the
//! unmatched requests and the coverage table.

use std::future::Future;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use tokio::sync::mpsc;

use super::judge::{Judge, JudgeOptions};
use super::{Seen, log};
use crate::contract::Contract;
use crate::observe::Response;
use crate::report::Reporter;
use crate::results::{
    CaseResult, Outcome, RunInfo, SideCount, Summary, TrafficSummary, UNMATCHED_LISTED,
    UnmatchedRequest,
};

/// Distinct statuses kept per unmatched request.
const STATUSES_KEPT: usize = 5;

/// How a traffic run judges and when it ends.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionOptions {
    /// What judging needs: keys, bounds, whether answers are judged.
    pub judge: JudgeOptions,
    /// End after this many exchanges (matched or not).
    pub max_exchanges: Option<u64>,
    /// How long exchanges under way when the run ends are waited for.
    pub grace: Duration,
}

/// A traffic run's judge, counts and live log.
pub(crate) struct Session {
    judge: Judge,
    options: SessionOptions,
    summary: Summary,
    exchanges: u64,
    unmatched: usize,
    unmatched_requests: IndexMap<(String, String), UnmatchedRequest>,
    client: SideCount,
    implementation: SideCount,
    log: Option<Box<dyn Write + Send>>,
    started: Instant,
}

impl Session {
    /// A session judging exchanges of `contracts`, writing one line per exchange to `log` when
    /// given.
    pub(crate) fn new(
        contracts: Vec<Contract>,
        options: SessionOptions,
        log: Option<Box<dyn Write + Send>>,
    ) -> Self {
        Session {
            judge: Judge::new(contracts, options.judge.clone()),
            options,
            summary: Summary::default(),
            exchanges: 0,
            unmatched: 0,
            unmatched_requests: IndexMap::new(),
            client: SideCount::default(),
            implementation: SideCount::default(),
            log,
            started: Instant::now(),
        }
    }

    /// Runs until the server's senders are gone: judges every exchange `seen` delivers and
    /// feeds `reporter`. When `stop` resolves (with why, e.g. `Ctrl-C`) or the exchange limit is
    /// reached, `on_stop` tells the server to stop taking requests; exchanges still under way
    /// are judged as they arrive, for up to the grace period.
    pub(crate) async fn run(
        mut self,
        info: &RunInfo,
        mut seen: mpsc::Receiver<Seen>,
        reporter: &mut dyn Reporter,
        stop: impl Future<Output = String>,
        on_stop: impl FnOnce(),
    ) -> io::Result<Summary> {
        reporter.start(info)?;
        self.started = Instant::now();
        let mut stop = std::pin::pin!(stop);
        let mut on_stop = Some(on_stop);
        let mut ended_by: Option<String> = None;
        let grace = tokio::time::sleep(Duration::from_secs(365 * 24 * 3600));
        let mut grace = std::pin::pin!(grace);
        loop {
            tokio::select! {
                next = seen.recv() => match next {
                    Some(exchange) => self.one(exchange, reporter)?,
                    None => break,
                },
                why = &mut stop, if ended_by.is_none() => {
                    ended_by = Some(why);
                }
                _ = &mut grace, if ended_by.is_some() => {
                    seen.close();
                    while let Ok(exchange) = seen.try_recv() {
                        self.one(exchange, reporter)?;
                    }
                    break;
                }
            }
            if ended_by.is_none()
                && let Some(max) = self.options.max_exchanges.filter(|&m| self.exchanges >= m)
            {
                ended_by = Some(format!("--max-exchanges {max}"));
            }
            if ended_by.is_some()
                && let Some(stop_server) = on_stop.take()
            {
                stop_server();
                let deadline = tokio::time::Instant::now() + self.options.grace;
                grace.as_mut().reset(deadline);
            }
        }
        let ended_by = ended_by.unwrap_or_else(|| "the server stopped".into());
        self.finish(info, ended_by, reporter)
    }

    fn one(&mut self, seen: Seen, reporter: &mut dyn Reporter) -> io::Result<()> {
        self.exchanges += 1;
        let Some((index, path_params)) = seen.operation.clone() else {
            self.count_unmatched(&seen);
            let head = log::head(seen.number, &seen.request, seen.answer.as_ref(), None);
            self.write_log(&log::unmatched(&head));
            return Ok(());
        };
        let contract = &self.judge.contracts()[index];
        let head = log::head(
            seen.number,
            &seen.request,
            seen.answer.as_ref(),
            Some(contract),
        );
        let case = self.judge.judge(index, &path_params, seen);
        self.write_log(&log::matched(&head, &case));
        self.count_sides(&case);
        self.summary.add(&case);
        reporter.case(&case)
    }

    fn count_sides(&mut self, case: &CaseResult) {
        let failed = |client: bool| {
            case.checks
                .iter()
                .filter(|c| c.outcome == Outcome::Fail && c.check.is_client_side() == client)
                .count()
        };
        for (side, findings) in [
            (&mut self.client, failed(true)),
            (&mut self.implementation, failed(false)),
        ] {
            side.findings += findings;
            side.exchanges += usize::from(findings > 0);
        }
    }

    fn count_unmatched(&mut self, seen: &Seen) {
        self.unmatched += 1;
        let path = seen.request.path.split('?').next().unwrap_or_default();
        let key = (seen.request.method.to_string(), path.to_string());
        let status = seen.answer.as_ref().map_or(502, |r: &Response| r.status);
        let listed = self.unmatched_requests.len();
        let entry = match self.unmatched_requests.get_mut(&key) {
            Some(entry) => entry,
            None if listed < UNMATCHED_LISTED => {
                let entry = UnmatchedRequest {
                    method: key.0.clone(),
                    path: key.1.clone(),
                    count: 0,
                    statuses: Vec::new(),
                };
                self.unmatched_requests.entry(key).or_insert(entry)
            }
            None => return,
        };
        entry.count += 1;
        if !entry.statuses.contains(&status) && entry.statuses.len() < STATUSES_KEPT {
            entry.statuses.push(status);
        }
    }

    fn write_log(&mut self, line: &str) {
        if let Some(out) = &mut self.log {
            // A reader that went away must not stop the run: the reports still get written.
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }

    fn finish(
        mut self,
        info: &RunInfo,
        ended_by: String,
        reporter: &mut dyn Reporter,
    ) -> io::Result<Summary> {
        self.write_log(&format!(
            "stopped ({ended_by}) after {} exchange{}\n",
            self.exchanges,
            if self.exchanges == 1 { "" } else { "s" }
        ));
        self.summary.duration = self.started.elapsed();
        self.summary.traffic = Some(TrafficSummary {
            exchanges: self.exchanges as usize,
            unmatched: self.unmatched,
            unmatched_requests: self.unmatched_requests.into_values().collect(),
            client: self.client,
            implementation: self.implementation,
            ended_by,
            coverage: self.judge.coverage().report(),
        });
        self.summary.conclude(info);
        reporter.finish(&self.summary)?;
        Ok(self.summary)
    }
}
