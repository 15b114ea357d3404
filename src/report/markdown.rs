//! The Markdown compatibility certificate: what a vendor hands over as evidence and what CI
//! shows as a step summary (`$GITHUB_STEP_SUMMARY`). Plain GitHub-flavoured Markdown: the
//! verdict in its first line and why it is qualified right below, target, implementation, tool
//! and date, the run's scope, each contract file with its SHA-256, a table of check outcomes per
//! contract, then every failure with its case, check, findings and diff. Recorded snapshots are
//! counted apart and never as passes: nothing was compared.
//!
//! Everything taken from results is escaped (see [`escape`]): findings quote what the target
//! sent, and a stray `|` or backtick must not break the table or the code around it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::output::{Pending, shown_date, shown_target};
use super::scope;
use super::tally::{self, ContractTally, Tallies};
use crate::results::{CaseResult, RunInfo, Summary, VerdictKind};
use crate::units::format_duration;

/// Writes the Markdown certificate.
pub(crate) struct MarkdownReport {
    destination: PathBuf,
    pending: Option<Pending>,
    run: Option<RunInfo>,
    tallies: Tallies,
    failures: Vec<CaseResult>,
}

impl MarkdownReport {
    /// A certificate to be written at `destination`; the temporary file is made on `start`.
    pub(crate) fn new(destination: &Path) -> Self {
        MarkdownReport {
            destination: destination.to_path_buf(),
            pending: None,
            run: None,
            tallies: Tallies::default(),
            failures: Vec::new(),
        }
    }

    fn render(&self, out: &mut dyn Write, run: &RunInfo, summary: &Summary) -> io::Result<()> {
        let label = summary.verdict.kind.label();
        writeln!(out, "# conform compatibility certificate: {label}\n")?;
        writeln!(out, "{}\n", verdict(summary))?;
        write_run(out, run, summary)?;
        write_scope(out, run, summary)?;
        write_contracts(out, &self.tallies)?;
        for tally in self.tallies.iter() {
            write_checks(out, tally)?;
        }
        write_coverage(out, summary)?;
        write_traffic(out, summary)?;
        write_failures(out, run, &self.failures)?;
        write_fixed(out, summary)
    }
}

/// Baseline entries that passed this time, so the baseline can shrink.
fn write_fixed(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    if summary.fixed.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n## Fixed\n\nListed in the baseline, passing now (rerun with `--update-baseline` to drop them):\n"
    )?;
    for entry in &summary.fixed {
        writeln!(out, "- {} `{}`", escape(&entry.case), entry.check)?;
    }
    Ok(())
}

impl super::Reporter for MarkdownReport {
    fn start(&mut self, info: &RunInfo) -> io::Result<()> {
        self.pending = Some(Pending::beside(&self.destination)?);
        self.tallies = Tallies::new(info);
        self.run = Some(info.clone());
        Ok(())
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        self.tallies.add(result);
        self.failures.extend(tally::failed_part(result));
        Ok(())
    }

    fn clauses_shown(&self) -> crate::results::clause::ClausesShown {
        crate::results::clause::ClausesShown::NotPassed
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let (mut pending, run) = match (self.pending.take(), self.run.take()) {
            (Some(pending), Some(run)) => (pending, run),
            _ => return Err(io::Error::other("report not started")),
        };
        self.render(pending.writer(), &run, summary)?;
        pending.commit()
    }
}

/// The verdict paragraph: the verdict, why it is qualified, then the counts it rests on.
fn verdict(summary: &Summary) -> String {
    let verdict = &summary.verdict;
    let label = verdict.kind.label();
    let why = verdict.why().map(|w| escape(&w)).unwrap_or_default();
    let checks = summary.checks();
    let passed = format!(
        "{} of {checks} checks passed in {} case{} ({} skipped{})",
        summary.passed,
        summary.cases,
        plural(summary.cases),
        summary.skipped,
        recorded(summary)
    );
    match verdict.kind {
        VerdictKind::NotCompatible => {
            let also = if why.is_empty() {
                String::new()
            } else {
                format!(" Also not complete: {why}.")
            };
            // Known failures are counted among the failed: say how many, so the new ones show.
            let known = match summary.known {
                0 => String::new(),
                known => format!(
                    " ({} new, {known} known from the baseline)",
                    summary.failed - known
                ),
            };
            format!(
                "**Verdict: {label}.** {} of {checks} checks failed{known}, in {} of {} cases.{also}",
                summary.failed, summary.failed_cases, summary.cases
            )
        }
        VerdictKind::Compatible => format!("**Verdict: {label}.** No check failed: {passed}."),
        VerdictKind::CompatibleWithKnownFailures => {
            format!("**Verdict: {label}.** No new failure: {why}. {passed}.")
        }
        VerdictKind::Partial => format!(
            "**Verdict: {label}.** Not everything was checked: {why}. No new failure in what ran: {passed}."
        ),
    }
}

fn recorded(summary: &Summary) -> String {
    match summary.recorded {
        0 => String::new(),
        n => format!(", {n} recorded and not compared"),
    }
}

fn write_run(out: &mut dyn Write, run: &RunInfo, summary: &Summary) -> io::Result<()> {
    let kind = if run.embedded {
        "embedded reference implementation"
    } else {
        "live implementation"
    };
    let rows = [
        (
            "Target",
            format!("{} ({kind})", code(&shown_target(&run.target))),
        ),
        ("Implementation", escape(&scope::implementation(run))),
        ("Tool", format!("conform {}", escape(&run.tool_version))),
        ("Date", escape(&shown_date(&run.started))),
        (
            "Cases",
            format!("{} run, {} failed", summary.cases, summary.failed_cases),
        ),
        (
            "Checks",
            format!(
                "{} passed, {} failed, {} skipped, {} recorded (not compared)",
                summary.passed, summary.failed, summary.skipped, summary.recorded
            ),
        ),
        ("Duration", format_duration(summary.duration)),
    ];
    writeln!(out, "| Run | |\n|---|---|")?;
    for (name, value) in rows {
        writeln!(out, "| {name} | {value} |")?;
    }
    writeln!(out)
}

fn write_scope(out: &mut dyn Write, run: &RunInfo, summary: &Summary) -> io::Result<()> {
    writeln!(out, "## Scope\n\n| Scope | |\n|---|---|")?;
    for (label, text) in scope::rows(run, summary) {
        writeln!(out, "| {label} | {} |", escape(&text))?;
    }
    writeln!(out)
}

/// A table of what the answers showed of what each contract declares.
fn write_coverage(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let coverage = &summary.coverage;
    if coverage.contracts.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Coverage\n")?;
    writeln!(
        out,
        "What the answers showed of what each contract declares.\n\n\
         | Contract | Aspect | Observed | Never observed |\n|---|---|---|---|"
    )?;
    for row in super::coverage::rows(coverage) {
        let missing: Vec<String> = row.missing.iter().map(|m| code(m)).collect();
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            escape(row.contract),
            row.aspect,
            row.ratio,
            missing.join(", ")
        )?;
    }
    if let Some(gate) = super::coverage::gate(coverage) {
        writeln!(out, "\n{}", escape(&gate))?;
    }
    writeln!(out)
}

fn write_contracts(out: &mut dyn Write, tallies: &Tallies) -> io::Result<()> {
    writeln!(
        out,
        "## Contracts\n\n| Contract | File | SHA-256 |\n|---|---|---|"
    )?;
    for tally in tallies.iter() {
        let info = &tally.info;
        writeln!(
            out,
            "| {} | {} | {} |",
            escape(tally::contract_label(&info.name)),
            code(&info.path),
            code(&info.sha256)
        )?;
    }
    writeln!(out)
}

fn write_checks(out: &mut dyn Write, tally: &ContractTally) -> io::Result<()> {
    let summary = &tally.cases;
    // The run's verdict says how complete it was; a contract's line only says what failed.
    let state = if summary.success() {
        "no new failure"
    } else {
        "not compatible"
    };
    writeln!(
        out,
        "## {}\n\n{}: {} case{}, {} failed ({state}).\n",
        escape(tally::contract_label(&tally.info.name)),
        code(&tally.info.path),
        summary.cases,
        plural(summary.cases),
        summary.failed_cases
    )?;
    writeln!(
        out,
        "| Check | Passed | Failed | Skipped | Recorded |\n|---|--:|--:|--:|--:|"
    )?;
    for (check, counts) in &tally.checks {
        let failed = if counts.failed > 0 {
            format!("**{}**", counts.failed)
        } else {
            counts.failed.to_string()
        };
        writeln!(
            out,
            "| {} | {} | {failed} | {} | {} |",
            check.name(),
            counts.passed,
            counts.skipped,
            counts.recorded
        )?;
    }
    writeln!(out)
}

/// A traffic run's tables: unmatched requests and coverage.
fn write_traffic(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    for table in super::traffic::tables(summary) {
        writeln!(out, "## {}\n", escape(&table.title))?;
        let header: Vec<String> = table.header.iter().map(|h| escape(h)).collect();
        writeln!(out, "| {} |", header.join(" | "))?;
        writeln!(out, "|{}", "---|".repeat(header.len()))?;
        for row in &table.rows {
            let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
            writeln!(out, "| {} |", cells.join(" | "))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn write_failures(out: &mut dyn Write, run: &RunInfo, failures: &[CaseResult]) -> io::Result<()> {
    if failures.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Failures")?;
    for case in failures {
        writeln!(out, "\n### {}\n", escape(&case.case))?;
        let file = run.contracts.iter().find(|c| c.name == case.contract);
        for check in &case.checks {
            let known = if check.known {
                " (known failure, in the baseline)"
            } else {
                ""
            };
            // The clause the check tests, so a reader of the certificate can open the rule.
            let clause = match (&check.clause, file) {
                (Some(clause), Some(file)) => format!(" ({})", code(&clause.shown(&file.path))),
                _ => String::new(),
            };
            for finding in &check.findings {
                writeln!(
                    out,
                    "- **{}**{clause}{known}: {}",
                    check.check.name(),
                    escape(&finding.message)
                )?;
            }
            if let Some(diff) = &check.diff {
                writeln!(out, "\n{}", fenced(diff, "diff"))?;
            }
        }
        if !case.steps.is_empty() {
            let lines: Vec<String> = case.steps.iter().flat_map(|s| s.lines()).collect();
            writeln!(out, "\nSteps:\n\n{}", fenced(&lines.join("\n"), "text"))?;
        }
    }
    Ok(())
}

/// Inline text with everything Markdown (or the HTML inside it) could act on escaped, line
/// breaks flattened so the text stays in its list item or table cell.
pub(crate) fn escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            // Inside a word (PARAM_ILLEGAL) an underscore never starts emphasis; left bare, codes
            // stay readable in the raw file.
            '_' if i > 0
                && is_word(chars[i - 1])
                && chars.get(i + 1).is_some_and(|&n| is_word(n)) =>
            {
                out.push(c)
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

/// A code span that holds any text: the fence is longer than any run of backticks inside, and
/// pipes are escaped because GitHub splits table cells on them even inside code.
pub(crate) fn code(text: &str) -> String {
    let flat = text.replace(['\n', '\r'], " ").replace('|', "\\|");
    let fence = "`".repeat(longest_backtick_run(&flat) + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// A fenced code block whose fence cannot be closed by the text inside.
pub(crate) fn fenced(text: &str, info: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(text) + 1).max(3));
    let body = text.strip_suffix('\n').unwrap_or(text);
    format!("{fence}{info}\n{body}\n{fence}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_pipes() {
        assert_eq!(
            escape("a|b <script> *x* `y`\nz"),
            "a\\|b \\<script\\> \\*x\\* \\`y\\` z"
        );
        assert_eq!(escape("F/PARAM_ILLEGAL _x_"), "F/PARAM_ILLEGAL \\_x\\_");
    }

    #[test]
    fn code_span_survives_backticks_and_pipes() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }

    #[test]
    fn fence_is_longer_than_any_backtick_run_inside() {
        assert_eq!(fenced("-a\n+b\n", "diff"), "```diff\n-a\n+b\n```");
        assert_eq!(fenced("x ```` y", ""), "`````\nx ```` y\n`````");
    }

    #[test]
    fn certificate_fences_diffs_and_hides_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.md");
        crate::report::tally::sample::feed(&mut MarkdownReport::new(&path));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# conform compatibility certificate: NOT COMPATIBLE\n"));
        assert!(
            text.contains("**Verdict: NOT COMPATIBLE.** 1 of 5 checks failed, in 1 of 3 cases. Also not complete: --filter issueCard/example/\\* kept 3 of 125 cases;"),
            "{text}"
        );
        assert!(
            text.contains("| Implementation | acme-cards 2.3.1 |"),
            "{text}"
        );
        assert!(
            text.contains("| Checks | 2 passed, 1 failed, 1 skipped, 1 recorded (not compared) |")
        );
        assert!(text.contains("| snapshot | 0 | **1** | 0 | 1 |"), "{text}");
        assert!(text.contains("- **snapshot**: /cardNo: \\<changed\\> \\| \\`x\\`"));
        assert!(text.contains(
            "````diff\n--- expected\n+++ actual\n@@ -1 +1 @@\n-\"a|b\"\n+\"<b>```\"\n````"
        ));
        assert!(text.contains("`https://***@api.example.com/open` (live implementation)"));
        assert!(!text.contains("secret"));
    }
}
