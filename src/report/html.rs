//! The HTML report: one self-contained file (inline CSS and JS, nothing fetched) to open in a
//! browser. A header with the verdict (and why it is qualified), counts, target, implementation
//! and the run's scope, the failures table at the top, a table of check outcomes per contract,
//! then every case as an expandable `<details>` with a "failed only" toggle and a case-name
//! filter; diffs are preformatted with `+`/`-` lines coloured.
//!
//! Cases stream to a spool file as they come and are copied in at the end, after the header
//! and failures that need the whole run. Every text from results goes through [`escape`].

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::output::{Pending, Spool, shown_date, shown_target};
use super::scope;
use super::tally::{self, Tallies};
use crate::results::{CaseResult, CheckResult, Outcome, RunInfo, Summary, VerdictKind};
use crate::units::format_duration;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Writes the HTML report.
pub(crate) struct HtmlReport {
    destination: PathBuf,
    pending: Option<Pending>,
    cases: Option<Spool>,
    run: Option<RunInfo>,
    tallies: Tallies,
    failures: Vec<(usize, CaseResult)>,
    seen: usize,
}

impl HtmlReport {
    /// A report to be written at `destination`; the temporary file is made on `start`.
    pub(crate) fn new(destination: &Path) -> Self {
        HtmlReport {
            destination: destination.to_path_buf(),
            pending: None,
            cases: None,
            run: None,
            tallies: Tallies::default(),
            failures: Vec::new(),
            seen: 0,
        }
    }

    fn render(&mut self, out: &mut dyn Write, run: &RunInfo, summary: &Summary) -> io::Result<()> {
        let verdict = summary.verdict.kind.label();
        writeln!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>conform report: {verdict}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>"
        )?;
        write_header(out, run, summary, verdict)?;
        writeln!(out, "<main>")?;
        write_failures(out, &self.failures)?;
        write_fixed(out, summary)?;
        self.write_contracts(out)?;
        write_coverage(out, summary)?;
        write_traffic(out, summary)?;
        self.write_cases(out)?;
        writeln!(
            out,
            "</main>\n<script>\n{SCRIPT}</script>\n</body>\n</html>"
        )
    }

    fn write_contracts(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "<section id=\"contracts\">\n<h2>Contracts</h2>")?;
        for tally in self.tallies.iter() {
            writeln!(
                out,
                "<h3>{}</h3>\n<p><code>{}</code> <span class=\"digest\">SHA-256 <code>{}</code></span></p>",
                escape(tally::contract_label(&tally.info.name)),
                escape(&tally.info.path),
                escape(&tally.info.sha256)
            )?;
            writeln!(
                out,
                "<table class=\"checks\"><thead><tr><th>Check</th><th class=\"n\">Passed</th>\
                 <th class=\"n\">Failed</th><th class=\"n\">Skipped</th><th class=\"n\">Recorded</th></tr></thead><tbody>"
            )?;
            for (check, counts) in &tally.checks {
                let class = if counts.failed > 0 {
                    " class=\"has-failures\""
                } else {
                    ""
                };
                writeln!(
                    out,
                    "<tr{class}><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    check.name(),
                    counts.passed,
                    counts.failed,
                    counts.skipped,
                    counts.recorded
                )?;
            }
            writeln!(out, "</tbody></table>")?;
        }
        writeln!(out, "</section>")
    }

    fn write_cases(&mut self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "<section id=\"cases\">\n<h2>Cases</h2>\n<div class=\"controls\">\
             <label><input type=\"checkbox\" id=\"failed-only\"> Failed only</label>\
             <input type=\"search\" id=\"name-filter\" placeholder=\"Filter by case name\" aria-label=\"Filter by case name\">\
             <span id=\"shown\"></span></div>\n<div id=\"case-list\">"
        )?;
        if let Some(spool) = &mut self.cases {
            spool.drain_into(out)?;
        }
        writeln!(out, "</div>\n</section>")
    }
}

/// A traffic run's tables: unmatched requests and coverage.
fn write_traffic(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let tables = super::traffic::tables(summary);
    if tables.is_empty() {
        return Ok(());
    }
    writeln!(out, "<section id=\"traffic\">\n<h2>Traffic</h2>")?;
    for table in tables {
        writeln!(
            out,
            "<h3>{}</h3>\n<table class=\"traffic\"><thead><tr>",
            escape(&table.title)
        )?;
        for name in &table.header {
            write!(out, "<th>{}</th>", escape(name))?;
        }
        writeln!(out, "</tr></thead><tbody>")?;
        for row in &table.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| format!("<td>{}</td>", escape(c)))
                .collect();
            writeln!(out, "<tr>{}</tr>", cells.concat())?;
        }
        writeln!(out, "</tbody></table>")?;
    }
    writeln!(out, "</section>")
}

impl super::Reporter for HtmlReport {
    fn start(&mut self, info: &RunInfo) -> io::Result<()> {
        let pending = Pending::beside(&self.destination)?;
        self.cases = Some(pending.spool()?);
        self.pending = Some(pending);
        self.tallies = Tallies::new(info);
        self.run = Some(info.clone());
        Ok(())
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        self.seen += 1;
        self.tallies.add(result);
        if let Some(failed) = tally::failed_part(result) {
            self.failures.push((self.seen, failed));
        }
        let spool = self
            .cases
            .as_mut()
            .ok_or_else(|| io::Error::other("report not started"))?;
        let file = self.run.as_ref().and_then(|run| {
            let info = run.contracts.iter().find(|c| c.name == result.contract);
            info.map(|c| c.path.clone())
        });
        write_case(spool, self.seen, result, file.as_deref().unwrap_or(""))
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

/// A table of what the answers showed of what each contract declares.
fn write_coverage(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let coverage = &summary.coverage;
    if coverage.contracts.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section id=\"coverage\">\n<h2>Coverage</h2>\n<table class=\"coverage\"><thead><tr>\
         <th>Contract</th><th>Aspect</th><th class=\"n\">Observed</th><th>Never observed</th></tr></thead><tbody>"
    )?;
    for row in super::coverage::rows(coverage) {
        let class = if row.missing.is_empty() {
            ""
        } else {
            " class=\"has-missing\""
        };
        let missing: Vec<String> = row
            .missing
            .iter()
            .map(|m| format!("<code>{}</code>", escape(m)))
            .collect();
        writeln!(
            out,
            "<tr{class}><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            escape(row.contract),
            row.aspect,
            row.ratio,
            missing.join(", ")
        )?;
    }
    writeln!(out, "</tbody></table>")?;
    if let Some(gate) = super::coverage::gate(coverage) {
        let class = if coverage.met() { "gate" } else { "gate unmet" };
        writeln!(out, "<p class=\"{class}\">{}</p>", escape(&gate))?;
    }
    writeln!(out, "</section>")
}

fn write_header(
    out: &mut dyn Write,
    run: &RunInfo,
    summary: &Summary,
    verdict: &str,
) -> io::Result<()> {
    let class = match summary.verdict.kind {
        VerdictKind::Compatible => "pass",
        VerdictKind::NotCompatible => "fail",
        VerdictKind::Partial | VerdictKind::CompatibleWithKnownFailures => "partial",
    };
    let kind = if run.embedded {
        "embedded reference implementation"
    } else {
        "live implementation"
    };
    writeln!(
        out,
        "<header class=\"verdict {class}\">\n<h1>{verdict}</h1>"
    )?;
    if let Some(why) = summary.verdict.why() {
        writeln!(out, "<p class=\"why\">Not complete: {}</p>", escape(&why))?;
    }
    writeln!(
        out,
        "<p class=\"counts\">{} case{}, {} failed · checks: {} passed, {} failed, {} skipped, \
         {} recorded (not compared) · {}</p>",
        summary.cases,
        if summary.cases == 1 { "" } else { "s" },
        summary.failed_cases,
        summary.passed,
        summary.failed,
        summary.skipped,
        summary.recorded,
        format_duration(summary.duration)
    )?;
    writeln!(
        out,
        "<dl class=\"run\" id=\"run\"><dt>Target</dt><dd><code>{}</code> ({kind})</dd>\
         <dt>Implementation</dt><dd>{}</dd><dt>Tool</dt><dd>conform {}</dd><dt>Date</dt><dd>{}</dd>",
        escape(&shown_target(&run.target)),
        escape(&scope::implementation(run)),
        escape(&run.tool_version),
        escape(&shown_date(&run.started)),
    )?;
    // The scope continues the same list, so its rows line up with the run's.
    for (label, text) in scope::rows(run, summary) {
        writeln!(out, "<dt>{label}</dt><dd>{}</dd>", escape(&text))?;
    }
    writeln!(out, "</dl>\n</header>")
}

fn write_failures(out: &mut dyn Write, failures: &[(usize, CaseResult)]) -> io::Result<()> {
    let count: usize = failures.iter().map(|(_, case)| case.checks.len()).sum();
    writeln!(
        out,
        "<section id=\"failures\">\n<h2>Failures ({count})</h2>"
    )?;
    if failures.is_empty() {
        return writeln!(out, "<p class=\"none\">No check failed.</p>\n</section>");
    }
    writeln!(
        out,
        "<table id=\"failures-table\" class=\"failures\"><thead><tr><th>Case</th><th>Check</th>\
         <th>Message</th></tr></thead><tbody>"
    )?;
    for (index, case) in failures {
        for check in &case.checks {
            // A failure the baseline lists is marked, as the console's KNOWN marks it.
            let (class, known) = match check.known {
                true => ("failure known", " (known failure, in the baseline)"),
                false => ("failure", ""),
            };
            writeln!(
                out,
                "<tr class=\"{class}\"><td><a href=\"#case-{index}\">{}</a></td><td>{}{known}</td><td>{}</td></tr>",
                escape(&case.case),
                check.check.name(),
                escape(&check.message())
            )?;
        }
    }
    writeln!(out, "</tbody></table>\n</section>")
}

/// Baseline entries that passed this time, so the baseline can shrink.
fn write_fixed(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    if summary.fixed.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section id=\"fixed\">\n<h2>Fixed ({})</h2>\n<p>Listed in the baseline, passing now \
         (rerun with <code>--update-baseline</code> to drop them).</p>\n<ul>",
        summary.fixed.len()
    )?;
    for entry in &summary.fixed {
        writeln!(
            out,
            "<li><code>{}</code> {}</li>",
            escape(&entry.case),
            escape(&entry.check)
        )?;
    }
    writeln!(out, "</ul>\n</section>")
}

fn write_case(out: &mut dyn Write, index: usize, case: &CaseResult, file: &str) -> io::Result<()> {
    let class = if case.failed() { "fail" } else { "pass" };
    writeln!(
        out,
        "<details class=\"case {class}\" id=\"case-{index}\" data-name=\"{name}\">\
         <summary><span class=\"badge {class}\">{}</span> <code>{name}</code> \
         <span class=\"time\">{}</span></summary>\n<ul class=\"checks\">",
        class.to_uppercase(),
        format_duration(case.duration),
        name = escape(&case.case),
    )?;
    for check in &case.checks {
        write_check(out, check, file)?;
    }
    write!(out, "</ul>")?;
    if !case.steps.is_empty() {
        let lines: Vec<String> = case.steps.iter().flat_map(|s| s.lines()).collect();
        write!(
            out,
            "<div class=\"steps\"><span class=\"check\">steps</span><pre class=\"steps\">{}</pre></div>",
            escape(&lines.join("\n"))
        )?;
    }
    writeln!(out, "</details>")
}

fn write_check(out: &mut dyn Write, check: &CheckResult, file: &str) -> io::Result<()> {
    let outcome = match check.outcome {
        Outcome::Pass => "pass",
        Outcome::Fail if check.known => "known",
        Outcome::Fail => "fail",
        Outcome::Skip => "skip",
        Outcome::Recorded => "recorded",
    };
    write!(
        out,
        "<li class=\"{outcome}\"><span class=\"badge {outcome}\">{}</span> <span class=\"check\">{}</span>",
        outcome.to_uppercase(),
        check.check.name()
    )?;
    // The clause as `file:line` and pointer: what a reader opens to see the rule tested.
    if let Some(clause) = &check.clause {
        let pointer = if clause.pointer.is_empty() {
            "(the whole contract)"
        } else {
            &clause.pointer
        };
        write!(
            out,
            " <span class=\"clause\" title=\"the contract clause this check tests\">{}:{} <code>{}</code></span>",
            escape(file),
            clause.line,
            escape(pointer)
        )?;
    }
    for finding in &check.findings {
        write!(
            out,
            "<div class=\"message\">{}</div>",
            escape(&finding.message)
        )?;
    }
    if let Some(diff) = &check.diff {
        write!(out, "{}", diff_block(diff))?;
    }
    writeln!(out, "</li>")
}

/// A diff as a `<pre>`, one span per line classed by what the line does.
fn diff_block(diff: &str) -> String {
    let lines: String = diff
        .lines()
        .map(|line| {
            let class = if line.starts_with("+++") || line.starts_with("---") {
                "file"
            } else if line.starts_with('+') {
                "add"
            } else if line.starts_with('-') {
                "del"
            } else if line.starts_with("@@") {
                "hunk"
            } else {
                "same"
            };
            format!("<span class=\"{class}\">{}</span>", escape(line))
        })
        .collect();
    format!("<pre class=\"diff\">{lines}</pre>")
}

/// Text safe in HTML content and in quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape("<img src=x onerror='a()'> & \"b\""),
            "&lt;img src=x onerror=&#39;a()&#39;&gt; &amp; &quot;b&quot;"
        );
    }

    #[test]
    fn diff_lines_are_classed_and_escaped() {
        let block = diff_block("--- expected\n+++ actual\n@@ -1 +1 @@\n-<a>\n+<b>\n same");
        assert_eq!(
            block,
            "<pre class=\"diff\"><span class=\"file\">--- expected</span><span class=\"file\">+++ actual</span>\
             <span class=\"hunk\">@@ -1 +1 @@</span><span class=\"del\">-&lt;a&gt;</span>\
             <span class=\"add\">+&lt;b&gt;</span><span class=\"same\"> same</span></pre>"
        );
    }

    #[test]
    fn page_lists_failures_first_and_every_case_with_its_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.html");
        crate::report::tally::sample::feed(&mut HtmlReport::new(&path));
        let html = std::fs::read_to_string(&path).unwrap();
        let failures = html.find("id=\"failures-table\"").unwrap();
        let cases = html.find("id=\"case-list\"").unwrap();
        assert!(failures < cases);
        assert_eq!(html.matches("<tr class=\"failure\">").count(), 1);
        assert_eq!(html.matches("<details class=\"case ").count(), 3);
        assert!(html.contains("<a href=\"#case-3\">issueCard/example/drift</a>"));
        assert!(html.contains("<h1>NOT COMPATIBLE</h1>\n<p class=\"why\">Not complete: --filter"));
        assert!(html.contains("<dt>Implementation</dt><dd>acme-cards 2.3.1</dd>"));
        assert!(html.contains("<span class=\"badge recorded\">RECORDED</span>"));
        assert!(html.contains("<dt>Signing</dt><dd>requests signed as Client-Id TEST_CLIENT"));
        assert!(html.contains("<span class=\"add\">+&quot;&lt;b&gt;```&quot;</span>"));
        assert!(html.contains("/cardNo: &lt;changed&gt; | `x`"));
        assert!(!html.contains("secret"));
        assert!(html.trim_end().ends_with("</html>"));
    }
}
