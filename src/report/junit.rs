//! The JUnit XML report, for the test-report views of Jenkins, GitLab and GitHub Actions.
//!
//! Mapping: one `<testsuite>` per contract; one `<testcase>` per (case, check) with
//! `classname` = the case name and `name` = the check name, so test views group a case's checks
//! together and a failure reads `issueCard/negative/appId/too-long › expectation`. A failed check
//! is a `<failure type="CHECK" message="...">` whose text holds every finding and the diff; a
//! skipped check is `<skipped message="reason"/>`, and so is a recorded one (JUnit has no
//! outcome for "nothing was compared"; it must not read as a pass). A case's wall time is put on
//! its first check (the one that made the exchange); a suite's time is the sum of its cases' and
//! the root's the sum of the suites', so no total is smaller than its parts (cases run
//! concurrently, so the sums exceed the wall time, which is `duration_ms` in the JSON report).
//! Each suite's properties carry the implementation, the verdict and the run's scope.
//!
//! quick-junit builds a whole report in memory before writing it, which a 100k-case run cannot
//! afford; so test cases are streamed to one spool file, each suite remembering which stretches
//! of it are its own, and the report is put together at the end, when the counts its suites open
//! with are known. One spool, not one per contract: a suite of 10,000 contracts would otherwise
//! hold 10,000 files open, past the usual limit of 1024 per process. A contract's cases arrive
//! together (the plan goes contract by contract), so a suite is almost always one stretch. Every
//! text goes through [`crate::json::printable`] first (control characters, which XML forbids,
//! shown escaped), since findings quote what the target sent. The output validates against
//! `tests/fixtures/junit.xsd`, the JUnit format as the common readers take it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;

use super::output::{Pending, Spool, shown_target};
use super::scope;
use super::tally::{Counts, contract_label};
use crate::results::{CaseResult, CheckResult, ContractInfo, Outcome, RunInfo, Summary};

/// Writes the JUnit XML report.
pub(crate) struct JunitReport {
    destination: PathBuf,
    pending: Option<Pending>,
    run: Option<RunInfo>,
    suites: IndexMap<String, Suite>,
    /// Every test case written so far, in the order cases came.
    spool: Option<Spool>,
}

/// One contract's test cases so far.
struct Suite {
    info: ContractInfo,
    /// The stretches of the spool holding its test cases, as (start, end) byte offsets.
    stretches: Vec<(u64, u64)>,
    counts: Counts,
    time: Duration,
}

impl JunitReport {
    /// A report to be written at `destination`; the temporary file is made on `start`.
    pub(crate) fn new(destination: &Path) -> Self {
        JunitReport {
            destination: destination.to_path_buf(),
            pending: None,
            run: None,
            suites: IndexMap::new(),
            spool: None,
        }
    }

    /// Writes the test cases of `result` to `spool`, counting them in its contract's suite.
    fn write_case(&mut self, spool: &mut Spool, result: &CaseResult) -> io::Result<()> {
        let suite = self.suite(&result.contract);
        suite.time += result.duration;
        let file = &suite.info.path;
        for (i, check) in result.checks.iter().enumerate() {
            let time = if i == 0 {
                result.duration
            } else {
                Duration::ZERO
            };
            match check.outcome {
                Outcome::Pass => suite.counts.passed += 1,
                // A known failure does not fail the run, so test-report readers see it skipped.
                Outcome::Fail if check.known => suite.counts.skipped += 1,
                outcome => suite.counts.add(outcome),
            }
            write_testcase(spool, (result, file), check, time)?;
        }
        Ok(())
    }

    fn suite(&mut self, contract: &str) -> &mut Suite {
        self.suites.entry(contract.to_string()).or_insert_with(|| {
            Suite::new(ContractInfo {
                name: contract.to_string(),
                path: String::new(),
                sha256: String::new(),
            })
        })
    }
}

impl Suite {
    fn new(info: ContractInfo) -> Self {
        Suite {
            info,
            stretches: Vec::new(),
            counts: Counts::default(),
            time: Duration::ZERO,
        }
    }

    fn tests(&self) -> usize {
        self.counts.total()
    }

    /// Notes that the spool from `start` to `end` holds test cases of this suite.
    fn holds(&mut self, start: u64, end: u64) {
        match self.stretches.last_mut() {
            Some(last) if last.1 == start => last.1 = end,
            _ => self.stretches.push((start, end)),
        }
    }

    fn write(
        &self,
        out: &mut dyn Write,
        spool: &mut Spool,
        run: &RunInfo,
        summary: &Summary,
    ) -> io::Result<()> {
        writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
            escape(contract_label(&self.info.name), true),
            self.tests(),
            self.counts.failed,
            self.counts.skipped + self.counts.recorded,
            seconds(self.time),
            escape(&run.started, true),
        )?;
        writeln!(out, "    <properties>")?;
        for (name, value) in properties(&self.info, run, summary) {
            writeln!(
                out,
                "      <property name=\"{}\" value=\"{}\"/>",
                escape(&name, true),
                escape(&value, true)
            )?;
        }
        writeln!(out, "    </properties>")?;
        for &stretch in &self.stretches {
            spool.copy_into(stretch, out)?;
        }
        writeln!(out, "  </testsuite>")
    }
}

impl super::Reporter for JunitReport {
    fn start(&mut self, info: &RunInfo) -> io::Result<()> {
        let pending = Pending::beside(&self.destination)?;
        self.spool = Some(pending.spool()?);
        self.pending = Some(pending);
        for contract in &info.contracts {
            let suite = Suite::new(contract.clone());
            self.suites.insert(contract.name.clone(), suite);
        }
        self.run = Some(info.clone());
        Ok(())
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        let mut spool = self
            .spool
            .take()
            .ok_or_else(|| io::Error::other("report not started"))?;
        let start = spool.written();
        let written = self.write_case(&mut spool, result);
        self.suite(&result.contract).holds(start, spool.written());
        self.spool = Some(spool);
        written
    }

    fn clauses_shown(&self) -> crate::results::clause::ClausesShown {
        crate::results::clause::ClausesShown::NotPassed
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let (mut pending, run, mut spool) =
            match (self.pending.take(), self.run.take(), self.spool.take()) {
                (Some(pending), Some(run), Some(spool)) => (pending, run, spool),
                _ => return Err(io::Error::other("report not started")),
            };
        let out = pending.writer();
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        let time: Duration = self.suites.values().map(|s| s.time).sum();
        writeln!(
            out,
            "<testsuites name=\"conform\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">",
            summary.checks(),
            summary.failed - summary.known,
            seconds(time),
        )?;
        for suite in self.suites.values() {
            suite.write(out, &mut spool, &run, summary)?;
        }
        writeln!(out, "</testsuites>")?;
        pending.commit()
    }
}

/// [`escape`], skipped for text that needs none: every test case names its case, and most are
/// plain names with empty messages, so a large report is mostly text that would be copied only
/// to come out the same.
fn escaped(text: &str, in_attribute: bool) -> std::borrow::Cow<'_, str> {
    let markup = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\r' | '\u{FFFE}' | '\u{FFFF}');
    let spaces = |c: char| in_attribute && matches!(c, '\n' | '\t');
    let unchanged = matches!(crate::json::printable(text), std::borrow::Cow::Borrowed(_));
    if unchanged && !text.chars().any(|c| markup(c) || spaces(c)) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(escape(text, in_attribute))
    }
}

fn write_testcase(
    out: &mut dyn Write,
    (case, file): (&CaseResult, &str),
    check: &CheckResult,
    time: Duration,
) -> io::Result<()> {
    let open = format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        check.check.name(),
        escaped(&case.case, true),
        seconds(time)
    );
    let message = check.message();
    let message = escaped(&message, true);
    match check.outcome {
        Outcome::Pass => writeln!(out, "{open}/>"),
        Outcome::Fail if check.known => writeln!(
            out,
            "{open}>\n      <skipped message=\"known failure (baseline): {message}\"/>\n    </testcase>"
        ),
        Outcome::Skip => writeln!(
            out,
            "{open}>\n      <skipped message=\"{message}\"/>\n    </testcase>"
        ),
        Outcome::Recorded => writeln!(
            out,
            "{open}>\n      <skipped message=\"recorded, not compared: {message}\"/>\n    </testcase>"
        ),
        Outcome::Fail => writeln!(
            out,
            "{open}>\n      <failure message=\"{message}\" type=\"{}\">{}</failure>\n    </testcase>",
            check.check.name(),
            escaped(&failure_text(case, check, file), false)
        ),
    }
}

/// A suite's properties: its contract, the run's target and implementation, the verdict, and
/// the scope (`scope.cases`, `scope.signing`, ...).
fn properties(contract: &ContractInfo, run: &RunInfo, summary: &Summary) -> Vec<(String, String)> {
    let verdict = &summary.verdict;
    let mut properties = vec![
        ("contract.path".to_string(), contract.path.clone()),
        ("contract.sha256".into(), contract.sha256.clone()),
        ("target".into(), shown_target(&run.target)),
        ("implementation".into(), scope::implementation(run)),
        ("tool".into(), format!("conform {}", run.tool_version)),
        ("verdict".into(), verdict.kind.label().to_string()),
        ("verdict.complete".into(), verdict.complete.to_string()),
    ];
    if let Some(why) = verdict.why() {
        properties.push(("verdict.reasons".into(), why));
    }
    for (label, text) in scope::rows(run, summary) {
        // `Late replays` becomes `scope.late_replays`: property names stay single words.
        let name = label.to_lowercase().replace(' ', "_");
        properties.push((format!("scope.{name}"), text));
    }
    // What this contract's answers showed of what it declares: `coverage.codes` = `3/9`, and
    // `coverage.codes.never` listing what no answer showed.
    for row in super::coverage::rows(&summary.coverage) {
        if row.contract != contract.name {
            continue;
        }
        properties.push((format!("coverage.{}", row.aspect), row.ratio));
        if !row.missing.is_empty() {
            let never = format!("coverage.{}.never", row.aspect);
            properties.push((never, row.missing.join(", ")));
        }
    }
    if let Some(gate) = super::coverage::gate(&summary.coverage) {
        properties.push(("coverage.gate".into(), gate));
    }
    // Baseline entries of this contract's cases that pass now, so the baseline can shrink; the
    // first suite also lists those of cases named after no contract (a resource's flows).
    let owner = |case: &str| {
        let first = case.split('/').next().unwrap_or_default();
        (run.contracts.iter())
            .find(|c| c.name == first)
            .map(|c| c.name.as_str())
    };
    let first = run.contracts.first().map(|c| c.name.as_str());
    let fixed: Vec<String> = (summary.fixed.iter())
        .filter(|entry| match owner(&entry.case) {
            Some(name) => name == contract.name,
            None => first == Some(contract.name.as_str()),
        })
        .map(|entry| format!("{} {}", entry.case, entry.check))
        .collect();
    if !fixed.is_empty() {
        properties.push(("baseline.fixed".into(), fixed.join(", ")));
    }
    properties
}

/// The body of a failure: one finding per line, the contract clause the check tests, then the
/// diff, then a flow's or scenario's steps.
fn failure_text(case: &CaseResult, check: &CheckResult, file: &str) -> String {
    let mut text = check
        .findings
        .iter()
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(clause) = check.clause.as_ref().filter(|_| !file.is_empty()) {
        text.push_str("\nclause: ");
        text.push_str(&clause.shown(file));
    }
    if let Some(diff) = &check.diff {
        text.push_str("\n\n");
        text.push_str(diff.trim_end());
    }
    if !case.steps.is_empty() {
        text.push_str("\n\nsteps:");
        for line in case.steps.iter().flat_map(|s| s.lines()) {
            text.push_str("\n  ");
            text.push_str(&line);
        }
    }
    text
}

/// Seconds with millisecond precision, the unit JUnit times are read in.
fn seconds(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

/// Text made safe for XML: control characters shown escaped, then markup escaped; in
/// attributes, line breaks and tabs are kept as character references, which parsers would
/// otherwise turn into spaces.
fn escape(text: &str, in_attribute: bool) -> String {
    let clean = crate::json::printable(text);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            // Not XML characters, and not control characters either.
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_needs_no_escaping_is_written_as_it_is() {
        for text in [
            "issueCard/negative/appId/too-long",
            "中文 ok: 'quoted'",
            "a<b",
            "tab\there",
            "\u{1b}[31mred",
            "x\u{85}y",
            "line\nbreak",
            "bidi \u{202e}override",
        ] {
            for in_attribute in [true, false] {
                assert_eq!(
                    escaped(text, in_attribute),
                    escape(text, in_attribute),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn escape_keeps_text_readable_and_well_formed() {
        assert_eq!(
            escape("a<b & \"c\"\n\u{1b}[31mred\u{1b}[0m\u{0}\u{FFFF}", true),
            "a&lt;b &amp; &quot;c&quot;&#10;\\u{1b}[31mred\\u{1b}[0m\\u{0}\u{FFFD}"
        );
        assert_eq!(escape("line\n\"quoted\"", false), "line\n\"quoted\"");
    }

    #[test]
    fn seconds_have_millisecond_precision() {
        assert_eq!(seconds(Duration::from_micros(1_234_567)), "1.235");
        assert_eq!(seconds(Duration::ZERO), "0.000");
    }

    #[test]
    fn failure_carries_findings_and_diff_and_skips_their_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.xml");
        crate::report::tally::sample::feed(&mut JunitReport::new(&path));
        let xml = std::fs::read_to_string(&path).unwrap();
        let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        let suite = &report.test_suites[0];
        assert_eq!((suite.tests, suite.failures, suite.skipped), (5, 1, 2));
        let failed = &suite.test_cases[4];
        assert_eq!(failed.classname.as_deref(), Some("issueCard/example/drift"));
        let quick_junit::TestCaseStatus::NonSuccess {
            message,
            ty,
            description,
            ..
        } = &failed.status
        else {
            panic!("{xml}");
        };
        assert_eq!(message.as_deref(), Some("/cardNo: <changed> | `x`"));
        assert_eq!(ty.as_deref(), Some("snapshot"));
        let body = description.as_deref().unwrap();
        assert!(
            body.ends_with(crate::report::tally::sample::DIFF.trim_end()),
            "{body}"
        );
        assert!(matches!(
            suite.test_cases[3].status,
            quick_junit::TestCaseStatus::Skipped { .. }
        ));
        assert!(!xml.contains("secret"));
    }

    #[test]
    fn recorded_is_not_a_pass_and_the_suite_carries_verdict_and_scope() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.xml");
        crate::report::tally::sample::feed(&mut JunitReport::new(&path));
        let xml = std::fs::read_to_string(&path).unwrap();
        let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        let suite = &report.test_suites[0];
        let recorded = &suite.test_cases[2];
        assert_eq!(recorded.name.as_str(), "snapshot");
        let quick_junit::TestCaseStatus::Skipped { message, .. } = &recorded.status else {
            panic!("{xml}");
        };
        assert!(
            message
                .as_deref()
                .unwrap()
                .starts_with("recorded, not compared: ")
        );
        let property = |name: &str| {
            suite
                .properties
                .iter()
                .find(|p| p.name.as_str() == name)
                .map(|p| p.value.to_string())
                .unwrap_or_else(|| panic!("no {name} in {xml}"))
        };
        assert_eq!(property("verdict"), "NOT COMPATIBLE");
        assert_eq!(property("verdict.complete"), "false");
        assert_eq!(property("implementation"), "acme-cards 2.3.1");
        assert!(property("scope.signing").contains(crate::report::tally::sample::KEY_SHA256));
        assert!(property("scope.cases").starts_with("3 run of 125 planned"));
    }

    #[test]
    fn cases_of_alternating_contracts_each_land_in_their_own_suite() {
        use crate::report::Reporter;
        use crate::results::{Check, CheckResult};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.xml");
        let mut run = crate::report::tally::sample::run();
        run.contracts.push(ContractInfo {
            name: "other".into(),
            ..run.contracts[0].clone()
        });
        let case = |contract: &str, name: &str| CaseResult {
            contract: contract.into(),
            case: name.into(),
            checks: vec![CheckResult::pass(Check::Transport)],
            duration: Duration::from_millis(1),
            steps: Vec::new(),
        };
        let mut report = JunitReport::new(&path);
        report.start(&run).unwrap();
        for (contract, name) in [("issueCard", "a1"), ("other", "b1"), ("issueCard", "a2")] {
            report.case(&case(contract, name)).unwrap();
        }
        report.finish(&Summary::default()).unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        let classes = |i: usize| -> Vec<String> {
            parsed.test_suites[i]
                .test_cases
                .iter()
                .map(|t| t.classname.as_deref().unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(classes(0), ["a1", "a2"]);
        assert_eq!(classes(1), ["b1"]);
    }

    #[test]
    fn root_time_is_never_smaller_than_a_suite_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.xml");
        let summary = crate::report::tally::sample::feed(&mut JunitReport::new(&path));
        let report =
            quick_junit::Report::deserialize_from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap();
        let suite = report.test_suites[0].time.unwrap();
        let root = report.time.unwrap();
        assert!(root >= suite, "{root:?} < {suite:?}");
        // Three 12 ms cases ran in a 30 ms run: the times add up, above the wall time.
        assert_eq!(suite, Duration::from_millis(36));
        assert!(summary.duration < root);
    }
}
