//! The console reporter: failures first with their details, then a table per contract of check
//! outcomes, the run's scope, then the verdict line (and why the run is not complete, when it is
//! not). Colour only on a terminal and never with `NO_COLOR` (the writer given is expected to be
//! an `anstream` stream, which strips styles otherwise). Optionally a progress bar on stderr
//! while the run goes (see [`super::progress`]). Findings arrive printable (the runner cleans
//! them); names, the target and the scope go through [`crate::json::printable_line`] here too,
//! so nothing printed can drive the terminal.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};

use owo_colors::OwoColorize;

use super::progress::Progress;
use super::tally::{self, Counts, Tallies};
use crate::json::printable_line;
use crate::results::{CaseResult, Check, CheckResult, ContractInfo, RunInfo, Summary, VerdictKind};
use crate::units::format_duration;

/// Renders a run for people.
pub(crate) struct Console {
    /// Buffered, and flushed once the header and once the summary are written: the summary is
    /// about a hundred lines, which unbuffered standard output writes one system call each.
    out: BufWriter<Box<dyn Write + Send>>,
    failures: Vec<CaseResult>,
    tallies: Tallies,
    run: Option<RunInfo>,
    progress_on_terminal: bool,
    progress: Option<Progress>,
}

impl Console {
    /// A console reporter writing to `out`.
    pub(crate) fn new(out: Box<dyn Write + Send>) -> Self {
        Console {
            out: BufWriter::with_capacity(SUMMARY_BUFFER, out),
            failures: Vec::new(),
            tallies: Tallies::default(),
            run: None,
            progress_on_terminal: false,
            progress: None,
        }
    }

    /// Also shows a progress bar on stderr when stderr is a terminal and the run lasts more than
    /// a moment; nothing is added when stderr is piped.
    pub(crate) fn with_progress(mut self) -> Self {
        self.progress_on_terminal = true;
        self
    }

    fn write_failures(&mut self) -> io::Result<()> {
        if self.failures.is_empty() {
            return Ok(());
        }
        writeln!(self.out, "{}", "Failures".bold())?;
        for case in std::mem::take(&mut self.failures) {
            let label = if case.failed() {
                "FAIL".red().bold().to_string()
            } else {
                "KNOWN".yellow().bold().to_string()
            };
            writeln!(self.out, "\n{label} {}", printable_line(&case.case).bold())?;
            for check in &case.checks {
                write_failed_check(&mut self.out, check)?;
            }
            if !case.steps.is_empty() {
                writeln!(self.out, "  {}", "steps".dimmed())?;
                for line in case.steps.iter().flat_map(|s| s.lines()) {
                    writeln!(self.out, "    {}", printable_line(&line))?;
                }
            }
        }
        writeln!(self.out)
    }

    /// A table of counts per check for each contract; past [`TABLES_FOR_EVERY_CONTRACT`]
    /// contracts, only for those with a failed check, then one over every contract.
    fn write_tallies(&mut self, with_recorded: bool) -> io::Result<()> {
        let contracts = self.tallies.iter().count();
        let every = contracts <= TABLES_FOR_EVERY_CONTRACT;
        let mut totals: BTreeMap<Check, Counts> = BTreeMap::new();
        let mut unlisted = 0;
        for tally in self.tallies.iter() {
            for (check, counts) in &tally.checks {
                totals.entry(*check).or_default().merge(counts);
            }
            if !every && tally.checks.values().all(|c| c.failed == 0) {
                unlisted += 1;
                continue;
            }
            let name = tally::contract_label(&tally.info.name);
            let title = format!("{} ({})", printable_line(name).bold(), tally.info.path);
            write_counts(&mut self.out, &title, &tally.checks, with_recorded)?;
        }
        if every {
            return Ok(());
        }
        let title = format!(
            "{} ({unlisted} of them with no failed check, not listed one by one; every contract's counts are in the json, html and markdown reports)",
            format!("All {contracts} contracts").bold()
        );
        write_counts(&mut self.out, &title, &totals, with_recorded)
    }

    fn write_scope(&mut self, summary: &Summary) -> io::Result<()> {
        let Some(run) = &self.run else {
            return Ok(());
        };
        writeln!(self.out, "{}", "Scope".bold())?;
        for (label, text) in super::scope::rows(run, summary) {
            let label = label.to_lowercase();
            writeln!(self.out, "  {label:<13}{}", printable_line(&text))?;
        }
        if summary.snapshots_pending > 0 {
            writeln!(
                self.out,
                "  {:<13}review the pending snapshots with `conform snapshots review`",
                ""
            )?;
        }
        writeln!(self.out)
    }
}

/// Past this many contracts the console lists a contract's counts only when one of its checks
/// failed, and its coverage only when the gate names it: a suite of thousands would print a
/// table and two lines of coverage for each (the file reports keep them all).
const TABLES_FOR_EVERY_CONTRACT: usize = 20;

/// Bytes of console output gathered before a write: a whole summary of the shipped suite.
const SUMMARY_BUFFER: usize = 16 * 1024;

/// `title`, then a line per check with its counts, failed ones in red.
fn write_counts(
    out: &mut dyn Write,
    title: &str,
    checks: &BTreeMap<Check, Counts>,
    with_recorded: bool,
) -> io::Result<()> {
    writeln!(out, "{title}")?;
    let recorded = if with_recorded { "recorded" } else { "" };
    let header = format!(
        "  {:<26}{:>8}{:>8}{:>8}{:>9}",
        "check", "passed", "failed", "skipped", recorded
    );
    writeln!(out, "{}", header.trim_end())?;
    for (check, counts) in checks {
        let recorded = if with_recorded {
            counts.recorded.to_string()
        } else {
            String::new()
        };
        let line = format!(
            "  {:<26}{:>8}{:>8}{:>8}{:>9}",
            check.name(),
            counts.passed,
            counts.failed,
            counts.skipped,
            recorded
        );
        let line = line.trim_end();
        if counts.failed > 0 {
            writeln!(out, "{}", line.red())?;
        } else {
            writeln!(out, "{line}")?;
        }
    }
    writeln!(out)
}

/// One line per contract, observed of declared per aspect, then what was never observed; past
/// [`TABLES_FOR_EVERY_CONTRACT`] contracts, only those the gate names, then one line over all.
/// Then the gate.
fn write_coverage(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let coverage = &summary.coverage;
    if coverage.contracts.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}", "Coverage (observed of declared)".bold())?;
    let every = coverage.contracts.len() <= TABLES_FOR_EVERY_CONTRACT;
    for (contract, parts, never) in super::coverage::compact(coverage) {
        if !every && !super::coverage::gated(coverage, &contract) {
            continue;
        }
        writeln!(out, "  {:<26}{parts}", printable_line(&contract))?;
        if let Some(never) = never {
            writeln!(
                out,
                "  {:<26}never observed: {}",
                "",
                printable_line(&never)
            )?;
        }
    }
    if !every {
        let (parts, short) = super::coverage::totals(coverage);
        let all = format!("all {} contracts", coverage.contracts.len());
        writeln!(out, "  {all:<26}{parts}")?;
        writeln!(
            out,
            "  {:<26}{short} of them with something never observed; every contract's coverage is in the json, html and markdown reports",
            ""
        )?;
    }
    if let Some(gate) = super::coverage::gate(coverage) {
        let gate = printable_line(&gate);
        if coverage.met() {
            writeln!(out, "  {}", gate.green())?;
        } else {
            writeln!(out, "  {}", gate.red())?;
        }
    }
    writeln!(out)
}

fn write_failed_check(out: &mut dyn Write, check: &CheckResult) -> io::Result<()> {
    for finding in &check.findings {
        let name = format!("{:<24}", check.check.name());
        let (name, known) = if check.known {
            (name.yellow().to_string(), "known failure (baseline): ")
        } else {
            (name.red().to_string(), "")
        };
        writeln!(out, "  {name} {known}{}", printable_line(&finding.message))?;
    }
    if let Some(diff) = &check.diff {
        for line in diff.lines() {
            let line = crate::json::printable(line);
            let line: &str = &line;
            let styled = match line.chars().next() {
                Some('+') if !line.starts_with("+++") => line.green().to_string(),
                Some('-') if !line.starts_with("---") => line.red().to_string(),
                _ => line.dimmed().to_string(),
            };
            writeln!(out, "      {styled}")?;
        }
    }
    Ok(())
}

impl super::Reporter for Console {
    fn start(&mut self, info: &RunInfo) -> io::Result<()> {
        self.tallies = Tallies::new(info);
        if self.progress_on_terminal {
            self.progress = Progress::on_stderr();
        }
        let kind = if info.embedded {
            " (embedded reference implementation)"
        } else {
            ""
        };
        let is_scenario =
            |c: &&ContractInfo| crate::contract::load::is_scenario(std::path::Path::new(&c.path));
        let scenarios = info.contracts.iter().filter(is_scenario).count();
        let contracts = info.contracts.len() - scenarios;
        let files = match scenarios {
            0 => String::new(),
            n => format!(" · {n} scenario file{}", plural(n)),
        };
        let implementation = match info.implementation.shown() {
            Some(named) if !info.embedded => format!(" · implementation {named}"),
            _ => String::new(),
        };
        self.run = Some(info.clone());
        writeln!(
            self.out,
            "conform {} · {contracts} contract{}{files} · target {}{kind}{}\n",
            info.tool_version,
            plural(contracts),
            printable_line(&super::output::shown_target(&info.target)),
            printable_line(&implementation)
        )?;
        // Shown as the run starts, not with the summary.
        self.out.flush()
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        self.tallies.add(result);
        self.failures.extend(tally::failed_part(result));
        if let Some(progress) = &self.progress {
            progress.inc();
        }
        Ok(())
    }

    fn clauses_shown(&self) -> crate::results::clause::ClausesShown {
        crate::results::clause::ClausesShown::None
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if let Some(progress) = self.progress.take() {
            progress.finish();
        }
        self.write_failures()?;
        self.write_tallies(summary.recorded > 0)?;
        write_traffic(&mut self.out, summary)?;
        write_fixed(&mut self.out, summary)?;
        write_coverage(&mut self.out, summary)?;
        self.write_scope(summary)?;
        write_verdict(&mut self.out, summary)?;
        self.out.flush()
    }
}

/// The last line (`PASS`, `PARTIAL`, `PASS WITH KNOWN FAILURES` or `FAIL`, then the counts),
/// and why the run is not complete when it is not.
fn write_verdict(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let verdict = &summary.verdict;
    let word = match verdict.kind {
        VerdictKind::Compatible => "PASS".green().bold().to_string(),
        VerdictKind::CompatibleWithKnownFailures => {
            "PASS WITH KNOWN FAILURES".yellow().bold().to_string()
        }
        VerdictKind::Partial => "PARTIAL".yellow().bold().to_string(),
        VerdictKind::NotCompatible => "FAIL".red().bold().to_string(),
    };
    let known = if summary.known > 0 {
        format!(" ({} known)", summary.known)
    } else {
        String::new()
    };
    let recorded = if summary.recorded > 0 {
        format!(", {} recorded", summary.recorded)
    } else {
        String::new()
    };
    writeln!(
        out,
        "{word} {} case{} ({} failed) · checks: {} passed, {} failed{known}, {} skipped{recorded} · {}",
        summary.cases,
        plural(summary.cases),
        summary.failed_cases,
        summary.passed,
        summary.failed,
        summary.skipped,
        format_duration(summary.duration)
    )?;
    if let Some(why) = verdict.why() {
        writeln!(out, "  not complete: {}", printable_line(&why))?;
    }
    Ok(())
}

/// A traffic run's tables: the requests that matched no contract, and per contract what the
/// traffic exercised and what it never did.
fn write_traffic(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    for table in super::traffic::tables(summary) {
        writeln!(out, "{}", printable_line(&table.title).bold())?;
        for row in &table.rows {
            match row.as_slice() {
                [what, exercised, never] => {
                    writeln!(out, "  {what:<17}{}", printable_line(exercised))?;
                    writeln!(out, "  {:<17}never: {}", "", printable_line(never))?;
                }
                cells => writeln!(out, "  {}", printable_line(&cells.join("  ")))?,
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Baseline entries that passed this time, so the baseline can shrink.
fn write_fixed(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    if summary.fixed.is_empty() {
        return Ok(());
    }
    let title = "Fixed: listed in the baseline, passing now (rerun with --update-baseline)";
    writeln!(out, "{}", title.green().bold())?;
    for entry in &summary.fixed {
        writeln!(out, "  {} {}", entry.case, entry.check)?;
    }
    writeln!(out)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a console writes, colours taken out.
    fn written(feed: impl FnOnce(&mut Console)) -> String {
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().write(buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut console = Console::new(Box::new(Shared(out.clone())));
        feed(&mut console);
        let styled = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        let plain = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();
        plain.replace_all(&styled, "").into_owned()
    }

    #[test]
    fn a_large_suite_lists_only_contracts_with_a_failed_check_and_totals_for_all() {
        use crate::report::Reporter;
        use crate::results::{Check, CheckResult};
        let mut info = tally::sample::run();
        info.contracts = (0..25)
            .map(|n| ContractInfo {
                name: format!("op{n:02}"),
                path: format!("contracts/op{n:02}.json"),
                sha256: String::new(),
            })
            .collect();
        let case = |contract: &str, check: CheckResult| CaseResult {
            contract: contract.into(),
            case: format!("{contract}/example/x"),
            checks: vec![CheckResult::pass(Check::Transport), check],
            duration: std::time::Duration::ZERO,
            steps: Vec::new(),
        };
        let text = written(|console| {
            console.start(&info).unwrap();
            for n in 0..25 {
                let name = format!("op{n:02}");
                let check = match n {
                    7 => CheckResult::fail_with(Check::Expectation, "wrong code"),
                    _ => CheckResult::pass(Check::Expectation),
                };
                console.case(&case(&name, check)).unwrap();
            }
            let summary = Summary {
                cases: 25,
                ..Summary::default()
            };
            console.finish(&summary).unwrap();
        });
        assert!(text.contains("op07 (contracts/op07.json)\n"), "{text}");
        assert!(!text.contains("op08 (contracts/op08.json)"), "{text}");
        let totals = text
            .find("All 25 contracts (24 of them with no failed check, not listed one by one;")
            .expect("a table over every contract");
        let expectation = &text[totals..];
        assert!(
            expectation.contains("\n  expectation                     24       1       0\n"),
            "{text}"
        );
        assert!(
            expectation.contains("\n  transport                       25       0       0\n"),
            "{text}"
        );
    }

    #[test]
    fn a_large_suite_shows_coverage_over_all_contracts_and_lists_only_those_the_gate_names() {
        use crate::results::coverage::{ContractCoverage, Coverage, Items};
        let contract = |n: usize| ContractCoverage {
            contract: format!("op{n:02}"),
            statuses: Items {
                declared: vec!["S".into(), "F".into()],
                missing: if n.is_multiple_of(2) {
                    vec!["F".into()]
                } else {
                    Vec::new()
                },
            },
            ..ContractCoverage::default()
        };
        let summary = Summary {
            coverage: Coverage {
                contracts: (0..25).map(contract).collect(),
                required: vec!["statuses".into()],
                unmet: vec!["op08: status F".into()],
                deferred: false,
            },
            ..Summary::default()
        };
        let mut out = Vec::new();
        write_coverage(&mut out, &summary).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("\n  op08                      statuses 1/2\n"),
            "{text}"
        );
        assert!(!text.contains("op06"), "{text}");
        assert!(
            text.contains("\n  all 25 contracts          statuses 37/50\n"),
            "{text}"
        );
        assert!(
            text.contains("13 of them with something never observed; every contract's coverage is in the json, html and markdown reports"),
            "{text}"
        );
        assert!(
            text.contains("--require-coverage statuses: NOT reached"),
            "{text}"
        );
        assert_eq!(
            text.lines().count(),
            7,
            "heading, op08 (2), totals (2), gate, blank: {text}"
        );
    }

    #[test]
    fn the_header_shows_as_the_run_starts_and_the_summary_arrives_in_one_write() {
        use crate::report::Reporter;
        type Writes = std::sync::Arc<std::sync::Mutex<Vec<String>>>;
        struct Each(Writes);
        impl Write for Each {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let text = String::from_utf8_lossy(buf).into_owned();
                self.0.lock().unwrap().push(text);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let writes = Writes::default();
        let mut console = Console::new(Box::new(Each(writes.clone())));
        console.start(&tally::sample::run()).unwrap();
        {
            let writes = writes.lock().unwrap();
            assert_eq!(writes.len(), 1, "{writes:?}");
            assert!(writes[0].starts_with("conform "), "{writes:?}");
        }
        for case in tally::sample::cases() {
            console.case(&case).unwrap();
        }
        assert_eq!(
            writes.lock().unwrap().len(),
            1,
            "nothing more while cases run"
        );
        console.finish(&tally::sample::summary()).unwrap();
        let writes = writes.lock().unwrap();
        assert_eq!(writes.len(), 2, "{writes:?}");
        assert!(writes[1].lines().count() > 10, "{}", writes[1]);
        assert!(
            writes[1].lines().any(|l| l.contains("· checks:")),
            "the verdict is in it: {}",
            writes[1]
        );
    }

    #[test]
    fn a_small_suite_lists_every_contract_and_no_totals() {
        let text = written(|console| {
            tally::sample::feed(console);
        });
        assert!(
            text.contains("issueCard (contracts/platform/issue-card.json)\n"),
            "{text}"
        );
        assert!(!text.contains("contracts (0 of them"), "{text}");
    }

    #[test]
    fn summary_ends_with_the_qualified_verdict_after_the_scope() {
        let text = written(|console| {
            tally::sample::feed(console);
        });
        assert!(
            text.starts_with("conform 9.9.9 · 1 contract · target https://***@api.example.com/open · implementation acme-cards 2.3.1\n"),
            "{text}"
        );
        let scope = text
            .find("Scope\n  cases        3 run of 125 planned")
            .expect("scope shown");
        let verdict = text
            .find("FAIL 3 cases (1 failed) · checks: 2 passed, 1 failed, 1 skipped, 1 recorded")
            .expect("verdict line");
        assert!(scope < verdict, "{text}");
        assert!(
            text.contains("  snapshots    new in snapshots: 1 recorded (not compared)"),
            "{text}"
        );
        assert!(text.trim_end().ends_with(
            "  not complete: --filter issueCard/example/* kept 3 of 125 cases; replays turned off (--replays 0; the contract asks for 2); 1 snapshot recorded by this run, so not compared"
        ), "{text}");
        assert!(!text.contains("secret"));
    }
}
