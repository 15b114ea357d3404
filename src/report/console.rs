//! The console reporter: failures first with their details, then a table per contract of check
//! outcomes, then one summary line. Colour only on a terminal and never with `NO_COLOR`
//! (the writer given is expected to be an `anstream` stream, which strips styles otherwise).

use std::collections::BTreeMap;
use std::io::{self, Write};

use indexmap::IndexMap;
use owo_colors::OwoColorize;

use crate::results::{CaseResult, Check, CheckResult, Outcome, RunInfo, Summary};
use crate::units::format_duration;

/// Renders a run for people.
pub struct Console {
    out: Box<dyn Write + Send>,
    failures: Vec<CaseResult>,
    tallies: IndexMap<String, Tally>,
}

#[derive(Default)]
struct Tally {
    path: String,
    checks: BTreeMap<Check, [usize; 3]>,
}

impl Console {
    /// A console reporter writing to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Console {
            out,
            failures: Vec::new(),
            tallies: IndexMap::new(),
        }
    }

    fn write_failures(&mut self) -> io::Result<()> {
        if self.failures.is_empty() {
            return Ok(());
        }
        writeln!(self.out, "{}", "Failures".bold())?;
        for case in std::mem::take(&mut self.failures) {
            writeln!(self.out, "\n{} {}", "FAIL".red().bold(), case.case.bold())?;
            for check in case.checks.iter().filter(|c| c.outcome == Outcome::Fail) {
                write_failed_check(&mut self.out, check)?;
            }
        }
        writeln!(self.out)
    }

    fn write_tallies(&mut self) -> io::Result<()> {
        for (name, tally) in &self.tallies {
            writeln!(self.out, "{} ({})", name.bold(), tally.path)?;
            writeln!(
                self.out,
                "  {:<26}{:>8}{:>8}{:>8}",
                "check", "passed", "failed", "skipped"
            )?;
            for (check, [pass, fail, skip]) in &tally.checks {
                let line = format!("  {:<26}{pass:>8}{fail:>8}{skip:>8}", check.name());
                if *fail > 0 {
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
        writeln!(
            out,
            "  {} {}",
            format!("{:<24}", check.check.name()).red(),
            finding.message
        )?;
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
        for contract in &info.contracts {
            let tally = Tally {
                path: contract.path.clone(),
                ..Tally::default()
            };
            self.tallies.insert(contract.name.clone(), tally);
        }
        let kind = if info.embedded {
            " (embedded reference implementation)"
        } else {
            ""
        };
        let contracts = info.contracts.len();
        writeln!(
            self.out,
            "conform {} · {contracts} contract{} · {} case{} · target {}{kind}\n",
            info.tool_version,
            plural(contracts),
            info.cases,
            plural(info.cases),
            info.target
        )
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        let tally = self.tallies.entry(result.contract.clone()).or_default();
        for check in &result.checks {
            let counts = tally.checks.entry(check.check).or_default();
            counts[outcome_index(check.outcome)] += 1;
        }
        if result.failed() {
            self.failures.push(result.clone());
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.write_failures()?;
        self.write_tallies()?;
        let verdict = if summary.success() {
            "PASS".green().bold().to_string()
        } else {
            "FAIL".red().bold().to_string()
        };
        writeln!(
            self.out,
            "{verdict} {} case{} ({} failed) · checks: {} passed, {} failed, {} skipped · {}",
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

fn outcome_index(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Pass => 0,
        Outcome::Fail => 1,
        Outcome::Skip => 2,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
