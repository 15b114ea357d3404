//! The console reporter: failures first with their details, then a table per contract of check
//! outcomes, the run's scope, then the verdict line (and why the run is not complete, when it is
//! not). Colour only on a terminal and never with `NO_COLOR` (the writer given is expected to be
//! an `anstream` stream, which strips styles otherwise). Optionally a progress bar on stderr
//! while the run goes (see [`super::progress`]). Findings arrive printable (the runner cleans
//! them); names, the target and the scope go through [`crate::json::printable_line`] here too,
//! so nothing printed can drive the terminal.

use std::io::{self, Write};

use owo_colors::OwoColorize;

use super::progress::Progress;
use super::tally::{self, Tallies};
use crate::json::printable_line;
use crate::results::{CaseResult, CheckResult, ContractInfo, RunInfo, Summary, VerdictKind};
use crate::units::format_duration;

/// Renders a run for people.
pub(crate) struct Console {
    out: Box<dyn Write + Send>,
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
            out,
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

    fn write_tallies(&mut self, with_recorded: bool) -> io::Result<()> {
        for tally in self.tallies.iter() {
            let name = tally::contract_label(&tally.info.name);
            writeln!(
                self.out,
                "{} ({})",
                printable_line(name).bold(),
                tally.info.path
            )?;
            let recorded = if with_recorded { "recorded" } else { "" };
            writeln!(
                self.out,
                "{}",
                format!(
                    "  {:<26}{:>8}{:>8}{:>8}{:>9}",
                    "check", "passed", "failed", "skipped", recorded
                )
                .trim_end()
            )?;
            for (check, counts) in &tally.checks {
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
                    writeln!(self.out, "{}", line.red())?;
                } else {
                    writeln!(self.out, "{line}")?;
                }
            }
            writeln!(self.out)?;
        }
        Ok(())
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

/// One line per contract, observed of declared per aspect, then what was never observed;
/// then the gate.
fn write_coverage(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let coverage = &summary.coverage;
    if coverage.contracts.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}", "Coverage (observed of declared)".bold())?;
    for (contract, parts, never) in super::coverage::compact(coverage) {
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
        )
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

    #[test]
    fn summary_ends_with_the_qualified_verdict_after_the_scope() {
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
        tally::sample::feed(&mut console);
        let styled = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        let text = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&styled, "");
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
