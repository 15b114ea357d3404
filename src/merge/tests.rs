//! Merging reports written by the JSON reporter: round trips, the plan's order restored, and
//! edited or incomplete reports refused. The CLI tests (`tests/cli/merge.rs`) merge real
//! shards run as separate processes.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::baseline::Baseline;
use crate::report::Reporter;
use crate::report::json::JsonReport;
use crate::report::tally::sample;
use crate::results::coverage::{ContractCoverage, Items};
use crate::results::{CaseResult, Check, CheckResult, Coverage, Requirement, Summary, Verdict};

/// Seven cases built from the sample's three: passes, a recorded snapshot, a failure with a
/// diff, a known failure and a skip.
fn cases() -> Vec<CaseResult> {
    let mut cases = Vec::new();
    for round in 0..3 {
        for (i, mut case) in sample::cases().into_iter().enumerate() {
            case.case = format!("{}-{round}", case.case);
            case.duration = Duration::from_micros(1_234 + 1_000 * (round * 3 + i) as u64);
            cases.push(case);
        }
    }
    cases.truncate(7);
    let mut known = CheckResult::fail_with(Check::Expectation, "listed; \"quoted\"");
    known.known = true;
    cases[6].checks.push(known);
    cases
}

/// The sample run as shard `k` of `n` (or the whole run for `None`).
fn run(partition: Option<(usize, usize)>) -> RunInfo {
    let mut info = sample::run();
    info.scope.partition = partition.map(|(k, n)| format!("{k}/{n}"));
    info
}

/// Writes `cases` as a report of `info`, counted as a run counts them.
fn write(path: &Path, info: &RunInfo, cases: &[CaseResult], matched: usize) -> Summary {
    write_covered(path, info, cases, matched, Coverage::default())
}

/// Writes `cases` as a report of `info` whose answers showed what `coverage` says.
fn write_covered(
    path: &Path,
    info: &RunInfo,
    cases: &[CaseResult],
    matched: usize,
    coverage: Coverage,
) -> Summary {
    let mut report = JsonReport::new(path);
    report.start(info).unwrap();
    let mut summary = Summary {
        planned: 125,
        matched,
        duration: Duration::from_millis(40),
        coverage,
        ..Summary::default()
    };
    for case in cases {
        summary.add(case);
        report.case(case).unwrap();
    }
    summary.conclude(info);
    report.finish(&summary).unwrap();
    summary
}

/// The shards of `cases` dealt out as `--partition K/N` deals them, written in `dir`.
fn shards(dir: &Path, cases: &[CaseResult], n: usize) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let part: Vec<CaseResult> = cases.iter().skip(k - 1).step_by(n).cloned().collect();
            let path = dir.join(format!("shard-{k}.json"));
            write(&path, &run(Some((k, n))), &part, cases.len());
            path
        })
        .collect()
}

/// What a reporter was fed.
#[derive(Default)]
struct Fed {
    info: Option<RunInfo>,
    cases: Vec<CaseResult>,
    summary: Option<Summary>,
}

impl Reporter for Fed {
    fn start(&mut self, info: &RunInfo) -> io::Result<()> {
        self.info = Some(info.clone());
        Ok(())
    }
    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        self.cases.push(result.clone());
        Ok(())
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.summary = Some(summary.clone());
        Ok(())
    }
}

fn merged(paths: &[PathBuf], baseline: Option<&Baseline>) -> Fed {
    let mut fed = Fed::default();
    read(paths, baseline.is_some())
        .expect("the shards merge")
        .render(baseline, &mut fed)
        .expect("the merge renders");
    fed
}

fn refusal(paths: &[PathBuf]) -> String {
    read(paths, false)
        .expect_err("the reports are refused")
        .problems
        .join("\n")
}

#[test]
fn three_shards_merge_into_the_whole_run_case_for_case_in_plan_order() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let whole = write(&dir.path().join("whole.json"), &run(None), &cases, 7);
    let fed = merged(&shards(dir.path(), &cases, 3), None);
    assert_eq!(fed.cases.len(), cases.len());
    for (got, want) in fed.cases.iter().zip(&cases) {
        assert_eq!(
            (&got.contract, &got.case, got.duration),
            (&want.contract, &want.case, want.duration)
        );
        assert_eq!(got.checks, want.checks, "{}", want.case);
    }
    let summary = fed.summary.unwrap();
    assert_eq!(
        summary,
        Summary {
            duration: summary.duration,
            ..whole.clone()
        }
    );
    assert_eq!(summary.verdict, Verdict::judge(&run(None), &whole));
    let info = fed.info.unwrap();
    assert_eq!((info.scope.partition, info.scope.shards), (None, Some(3)));
}

#[test]
fn a_whole_report_merged_alone_renders_as_it_was_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("whole.json");
    let whole = write(&path, &run(None), &cases(), 7);
    let fed = merged(&[path], None);
    assert_eq!(fed.summary.unwrap(), whole);
    assert_eq!(fed.info.unwrap().scope.shards, None);
}

#[test]
fn a_merge_baseline_judges_known_failures_again() {
    let dir = tempfile::tempdir().unwrap();
    let paths = shards(dir.path(), &cases(), 2);
    let listed = BaselineEntry {
        case: "issueCard/example/drift-0".into(),
        check: "snapshot".into(),
    };
    let baseline = Baseline::from_entries([listed]);
    let fed = merged(&paths, Some(&baseline));
    let summary = fed.summary.unwrap();
    // The shards' own known failure is new to this baseline; the listed drift is known.
    assert_eq!((summary.failed, summary.known), (3, 1));
    let drift = fed
        .cases
        .iter()
        .find(|c| c.case == "issueCard/example/drift-0")
        .unwrap();
    assert!(drift.checks.iter().any(|c| c.known));
}

#[test]
fn an_edited_summary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let paths = shards(dir.path(), &cases(), 2);
    let text = std::fs::read_to_string(&paths[1]).unwrap();
    std::fs::write(&paths[1], text.replace("\"passed\":2,", "\"passed\":3,")).unwrap();
    let refused = refusal(&paths);
    assert!(
        refused.contains("shard-2.json`: its summary does not follow from its results (`passed` is 3, the results hold 2)"),
        "{refused}"
    );
}

#[test]
fn a_report_cut_short_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let paths = shards(dir.path(), &cases(), 1);
    let text = std::fs::read_to_string(&paths[0]).unwrap();
    std::fs::write(&paths[0], &text[..text.find("\"summary\"").unwrap() - 4]).unwrap();
    let refused = refusal(&paths);
    assert!(
        refused.ends_with(
            "not a conform JSON report of this version: the file ends inside a value (line 13, column 185)"
        ),
        "{refused}"
    );
}

#[test]
fn a_report_whose_cases_carry_no_duration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let paths = shards(dir.path(), &cases(), 1);
    let text = std::fs::read_to_string(&paths[0]).unwrap();
    let stripped = regex::Regex::new(r#","duration_ms":[0-9.]+"#)
        .unwrap()
        .replace_all(&text, "");
    std::fs::write(&paths[0], stripped.as_bytes()).unwrap();
    assert!(refusal(&paths).contains("has no `duration_ms` on its first check"));
}

#[test]
fn a_shard_missing_cases_of_its_share_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let paths = shards(dir.path(), &cases, 2);
    // Shard 2 of 2 of seven cases holds three; this one holds two, counted honestly.
    let short: Vec<CaseResult> = cases.iter().skip(1).step_by(2).take(2).cloned().collect();
    write(&paths[1], &run(Some((2, 2))), &short, 7);
    assert_eq!(
        refusal(&paths),
        format!(
            "`{}` (shard 2/2) holds 2 cases where its share of the 7 cases is 3",
            paths[1].display()
        )
    );
}

#[test]
fn a_check_whose_message_is_not_its_findings_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let paths = shards(dir.path(), &cases(), 1);
    let text = std::fs::read_to_string(&paths[0]).unwrap();
    std::fs::write(
        &paths[0],
        text.replacen("\"outcome\":\"pass\"", "\"outcome\":\"fail\"", 1),
    )
    .unwrap();
    let refused = refusal(&paths);
    assert!(
        refused.contains("results[0]: case issueCard/example/ok-0: transport failed, but its message is not its findings'"),
        "{refused}"
    );
}

#[test]
fn a_shard_stopped_by_fail_fast_makes_a_merged_run_stopped_early() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let paths = shards(dir.path(), &cases, 2);
    // Shard 2 stopped after its first case and, like any run stopped early, did not count.
    let info = RunInfo {
        scope: crate::results::Scope {
            fail_fast: true,
            ..run(Some((2, 2))).scope
        },
        ..run(Some((2, 2)))
    };
    let first = &cases[1..2];
    let mut report = JsonReport::new(&paths[1]);
    report.start(&info).unwrap();
    let mut summary = Summary {
        stopped_early: true,
        ..Summary::default()
    };
    for case in first {
        summary.add(case);
        report.case(case).unwrap();
    }
    summary.conclude(&info);
    report.finish(&summary).unwrap();
    let mut with_fail_fast = run(Some((1, 2)));
    with_fail_fast.scope.fail_fast = true;
    let one: Vec<CaseResult> = cases.iter().step_by(2).cloned().collect();
    write(&paths[0], &with_fail_fast, &one, 7);
    let fed = merged(&paths, None);
    let summary = fed.summary.unwrap();
    assert_eq!(summary.cases, 5);
    assert!(summary.stopped_early);
    assert_eq!((summary.planned, summary.matched), (125, 7));
    let reasons: Vec<_> = summary.verdict.reasons.iter().map(|r| r.reason).collect();
    assert!(
        reasons.contains(&crate::results::ShortfallKind::StoppedEarly),
        "{reasons:?}"
    );
}

#[test]
fn a_shard_in_which_conform_failed_fails_the_merged_run_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let paths = shards(dir.path(), &cases, 2);
    let two: Vec<CaseResult> = cases.iter().skip(1).step_by(2).cloned().collect();
    let info = run(Some((2, 2)));
    let mut report = JsonReport::new(&paths[1]);
    report.start(&info).unwrap();
    let mut summary = Summary {
        planned: 125,
        matched: 7,
        crashed: vec![two[0].case.clone()],
        ..Summary::default()
    };
    for case in &two {
        summary.add(case);
        report.case(case).unwrap();
    }
    summary.conclude(&info);
    report.finish(&summary).unwrap();
    let fed = merged(&paths, None);
    assert_eq!(fed.summary.unwrap().crashed, [two[0].case.clone()]);
}

/// The issueCard contract's codes, of which the answers never showed `missing`, with the
/// `--require-coverage codes` gate judged.
fn codes_coverage(missing: &[&str]) -> Coverage {
    let declared = [
        "SUCCESS",
        "ACCESS_DENIED",
        "CARD_NOT_EXIST",
        "PARAM_ILLEGAL",
    ];
    let mut coverage = Coverage {
        contracts: vec![ContractCoverage {
            contract: "issueCard".into(),
            codes: Items {
                declared: declared.map(String::from).to_vec(),
                missing: missing.iter().map(|m| m.to_string()).collect(),
            },
            ..ContractCoverage::default()
        }],
        ..Coverage::default()
    };
    coverage.judge(&["codes".parse::<Requirement>().unwrap()]);
    coverage
}

#[test]
fn shards_coverage_merges_into_what_any_shard_saw_and_the_gate_is_judged_again() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let seen_by = [
        vec!["ACCESS_DENIED", "CARD_NOT_EXIST", "PARAM_ILLEGAL"],
        vec!["CARD_NOT_EXIST", "PARAM_ILLEGAL"],
        vec!["SUCCESS", "ACCESS_DENIED", "CARD_NOT_EXIST"],
    ];
    let paths: Vec<PathBuf> = (1..=3)
        .map(|k| {
            let part: Vec<CaseResult> = cases.iter().skip(k - 1).step_by(3).cloned().collect();
            let path = dir.path().join(format!("shard-{k}.json"));
            let coverage = codes_coverage(&seen_by[k - 1]);
            write_covered(&path, &run(Some((k, 3))), &part, 7, coverage);
            path
        })
        .collect();
    let summary = merged(&paths, None).summary.unwrap();
    // Only CARD_NOT_EXIST was missed by every shard, as it was by the run in one process.
    assert_eq!(summary.coverage, codes_coverage(&["CARD_NOT_EXIST"]));
    assert_eq!(summary.coverage.unmet, ["issueCard: code CARD_NOT_EXIST"]);
    assert!(!summary.success());
}

#[test]
fn shards_listing_the_same_contracts_keep_one_list() {
    let dir = tempfile::tempdir().unwrap();
    let paths = shards(dir.path(), &cases(), 2);
    let shared = report::Shared::default();
    let [a, b] = [&paths[0], &paths[1]].map(|p| ReportFile::read(p, &shared).unwrap());
    assert!(std::sync::Arc::ptr_eq(&a.contracts, &b.contracts));
    assert_eq!(*a.contracts, run(None).contracts);
    assert!(a.run.contracts.is_empty() && a.summary.coverage.is_empty());
}

#[test]
fn a_summary_of_another_shape_is_refused_where_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let paths = shards(dir.path(), &cases(), 2);
    let text = std::fs::read_to_string(&paths[0]).unwrap();
    let edited = text.replace(
        "\"summary\":{\"passed\":",
        "\"summary\":{\"passed\":\"two\",\"was\":",
    );
    assert_ne!(edited, text);
    std::fs::write(&paths[0], &edited).unwrap();
    let refused = refusal(&paths);
    // The summary is on the last line, after `],"summary":`.
    let line = text.lines().count();
    assert!(
        refused.ends_with(&format!(
            "shard-1.json`: not a conform JSON report of this version: `summary` is not a summary \
             of this version: invalid type: string \"two\", expected usize at line 1 column 15 \
             (line {line}, column 13)"
        )),
        "{refused}"
    );
}
