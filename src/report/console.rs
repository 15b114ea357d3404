//! The console reporter: failures first with their details, then a table per contract of check
//! outcomes, then one summary line. Colour only on a terminal and never with `NO_COLOR`
//! (the writer given is expected to be an `anstream` stream, which strips styles otherwise).
//! Optionally a progress bar on stderr while the run goes (see [`super::progress`]).

use std::io::{self, Write};

use owo_colors::OwoColorize;

use super::progress::Progress;
use super::tally::{self, Tallies};
use crate::results::{CaseResult, CheckResult, RunInfo, Summary};
use crate::units::format_duration;

/// Renders a run for people.
pub struct Console {
    out: Box<dyn Write + Send>,
    failures: Vec<CaseResult>,
    tallies: Tallies,
    progress_on_terminal: bool,
    progress: Option<Progress>,
}

impl Console {
    /// A console reporter writing to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Console {
            out,
            failures: Vec::new(),
            tallies: Tallies::default(),
            progress_on_terminal: false,
            progress: None,
        }
    }

    /// Also shows a progress bar on stderr when stderr is a terminal and the run lasts more than
    /// a moment; nothing is added when stderr is piped.
    pub fn with_progress(mut self) -> Self {
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
            writeln!(self.out, "\n{label} {}", case.case.bold())?;
            for check in &case.checks {
                write_failed_check(&mut self.out, check)?;
            }
        }
        writeln!(self.out)
    }

    fn write_tallies(&mut self) -> io::Result<()> {
        for tally in self.tallies.iter() {
            let name = tally::contract_label(&tally.info.name);
            writeln!(self.out, "{} ({})", name.bold(), tally.info.path)?;
            writeln!(
                self.out,
                "  {:<26}{:>8}{:>8}{:>8}",
                "check", "passed", "failed", "skipped"
            )?;
            for (check, counts) in &tally.checks {
                let line = format!(
                    "  {:<26}{:>8}{:>8}{:>8}",
                    check.name(),
                    counts.passed,
                    counts.failed,
                    counts.skipped
                );
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
}

fn write_failed_check(out: &mut dyn Write, check: &CheckResult) -> io::Result<()> {
    for finding in &check.findings {
        let name = format!("{:<24}", check.check.name());
        let (name, known) = if check.known {
            (name.yellow().to_string(), "known failure (baseline): ")
        } else {
            (name.red().to_string(), "")
        };
        writeln!(out, "  {name} {known}{}", finding.message)?;
    }
    if let Some(diff) = &check.diff {
        for line in diff.lines() {
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
        let contracts = info.contracts.len();
        writeln!(
            self.out,
            "conform {} · {contracts} contract{} · target {}{kind}\n",
            info.tool_version,
            plural(contracts),
            super::output::shown_target(&info.target)
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

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if let Some(progress) = self.progress.take() {
            progress.finish();
        }
        self.write_failures()?;
        self.write_tallies()?;
        let verdict = if summary.success() {
            "PASS".green().bold().to_string()
        } else {
            "FAIL".red().bold().to_string()
        };
        write_fixed(&mut self.out, summary)?;
        let known = if summary.known > 0 {
            format!(" ({} known)", summary.known)
        } else {
            String::new()
        };
        writeln!(
            self.out,
            "{verdict} {} case{} ({} failed) · checks: {} passed, {} failed{known}, {} skipped · {}",
            summary.cases,
            plural(summary.cases),
            summary.failed_cases,
            summary.passed,
            summary.failed,
            summary.skipped,
            format_duration(summary.duration)
        )?;
        self.out.flush()
    }
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
