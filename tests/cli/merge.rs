//! `conform merge`: the shards of a run, each run by its own `conform verify --partition K/N`
//! process as CI jobs would run them, merged into one run that equals the single-process run
//! result for result, with one verdict in every format; and every way reports can fail to be
//! the shards of one run, refused with the files named and nothing written.

use std::path::PathBuf;

use serde_json::Value;

use crate::issue_card::{self, Defects};
use crate::reports::{console_numbers, junit_xsd, schema_errors, xmllint};
use crate::util::{ISSUE_CARD, Run, conform, root};

/// A small, quick selection: the cases of one field.
const APP_ID: &str = "issueCard/*/appId/*";

/// A temporary folder for shard reports and merged reports.
struct Work(tempfile::TempDir);

impl Work {
    fn new() -> Self {
        Work(tempfile::tempdir().expect("temporary folder"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    fn text(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn json(&self, name: &str) -> Value {
        serde_json::from_str(&self.text(name)).expect("a JSON report")
    }

    /// Runs `verify args... --report json=shard-K.json` for the given shards of `n`, all at
    /// once and each in its own process, as a CI job matrix runs them.
    async fn shards(&self, ks: &[usize], n: usize, args: &[&str]) -> Vec<Run> {
        let runs = ks.iter().map(|k| {
            let mut all: Vec<String> = ["verify"]
                .iter()
                .chain(args)
                .map(|a| a.to_string())
                .collect();
            all.extend(["--partition".into(), format!("{k}/{n}")]);
            all.extend([
                "--report".into(),
                format!("json={}", self.path(&format!("shard-{k}.json")).display()),
            ]);
            async move {
                let args: Vec<&str> = all.iter().map(String::as_str).collect();
                conform(&args).await
            }
        });
        futures::future::join_all(runs).await
    }

    /// `verify args...` in one process, with its JSON report as `whole.json`.
    async fn whole(&self, args: &[&str]) -> Run {
        let report = format!("json={}", self.path("whole.json").display());
        let mut all = vec!["verify"];
        all.extend_from_slice(args);
        all.extend(["--report", report.as_str()]);
        conform(&all).await
    }

    /// `merge` of the named reports (plus `extra` flags), writing every format as `merged.*`.
    async fn merge(&self, inputs: &[&str], extra: &[&str]) -> Run {
        let inputs: Vec<String> = inputs
            .iter()
            .map(|i| self.path(i).display().to_string())
            .collect();
        let reports: Vec<String> = [
            ("json", "json"),
            ("junit", "xml"),
            ("markdown", "md"),
            ("html", "html"),
        ]
        .iter()
        .map(|(format, extension)| {
            format!(
                "{format}={}",
                self.path(&format!("merged.{extension}")).display()
            )
        })
        .collect();
        let mut all = vec!["merge"];
        all.extend(inputs.iter().map(String::as_str));
        for report in &reports {
            all.extend(["--report", report.as_str()]);
        }
        all.extend_from_slice(extra);
        conform(&all).await
    }

    fn merged_nothing(&self) -> bool {
        ["json", "xml", "md", "html"]
            .iter()
            .all(|e| !self.path(&format!("merged.{e}")).exists())
    }
}

/// Each result as (case, check, outcome, known, message), digits blotted out of the message:
/// card numbers differ between runs. A run-wide case judges the traffic of its own process (a
/// shard replays keys it sent itself), so only its outcome is compared.
fn results(report: &Value) -> Vec<(String, String, String, bool, String)> {
    let digits = regex::Regex::new(r"\d+").unwrap();
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let text = |key: &str| r[key].as_str().unwrap_or_default().to_string();
            let message = if text("case").contains("/run/") {
                String::new()
            } else {
                digits.replace_all(&text("message"), "#").into_owned()
            };
            (
                text("case"),
                text("check"),
                text("outcome"),
                r["known"] == true,
                message,
            )
        })
        .collect()
}

/// The summary without the figures that differ between any two runs: the duration, and the
/// ages and traffic of keys replayed late (how many were, and were remembered, stays).
fn counts(report: &Value) -> Value {
    let mut summary = report["summary"].clone();
    let summary_fields = summary.as_object_mut().unwrap();
    summary_fields.remove("duration_ms");
    if let Some(late) = summary_fields.get_mut("late_replays") {
        *late = serde_json::json!({"keys": late["keys"], "remembered": late["remembered"]});
    }
    summary
}

fn reasons(report: &Value) -> Vec<String> {
    report["verdict"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn shards_of_a_faulty_implementation_merge_into_the_single_run_result_for_result() {
    let server = issue_card::serve(Defects {
        accept_long_app_id: true,
        new_card_on_replay: true,
        ..Defects::default()
    })
    .await;
    let work = Work::new();
    let target = ["--target", &server.uri()];
    let whole = work.whole(&target).await;
    assert_eq!(whole.code, 1, "{}", whole.stdout);
    for shard in work.shards(&[1, 2, 3], 3, &target).await {
        assert!(shard.code <= 1, "{}{}", shard.stdout, shard.stderr);
    }
    let merged = work
        .merge(&["shard-1.json", "shard-2.json", "shard-3.json"], &[])
        .await;
    assert_eq!(
        merged.code, 1,
        "the merged run fails as the single run does:\n{}{}",
        merged.stdout, merged.stderr
    );

    let (single, joined) = (work.json("whole.json"), work.json("merged.json"));
    let (single_results, joined_results) = (results(&single), results(&joined));
    assert_eq!(joined_results.len(), single_results.len());
    for (got, want) in joined_results.iter().zip(&single_results) {
        assert_eq!(got, want);
    }
    assert!(
        single_results.iter().any(|r| r.2 == "fail"),
        "the run has failures to merge"
    );
    assert_eq!(counts(&joined), counts(&single));
    assert_eq!(joined["verdict"], single["verdict"]);
    assert_eq!(
        console_numbers(&merged.stdout),
        console_numbers(&whole.stdout)
    );
    assert_eq!(joined["run"]["scope"]["shards"], 3);
    assert_eq!(joined["run"]["scope"]["partition"], Value::Null);

    assert_eq!(
        schema_errors(&joined),
        "",
        "the merged report breaks its schema"
    );
    let (valid, messages) = xmllint(&junit_xsd(), &work.path("merged.xml"));
    assert!(valid, "{messages}");
    let junit = quick_junit::Report::deserialize_from_str(&work.text("merged.xml")).unwrap();
    assert_eq!(
        junit.failures as u64,
        single["summary"]["failed"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn a_sharded_run_is_partial_shard_by_shard_and_complete_once_merged() {
    let work = Work::new();
    let issue_card = root().join("contracts/platform/issue-card.json");
    let issue_card = [issue_card.to_str().unwrap()];
    let whole = work.whole(&issue_card).await;
    assert_eq!(whole.code, 0, "{}", whole.stdout);
    for shard in work.shards(&[1, 2, 3], 3, &issue_card).await {
        assert_eq!(shard.code, 0, "{}", shard.stdout);
        assert!(shard.stdout.contains("\nPARTIAL "), "{}", shard.stdout);
    }
    assert_eq!(reasons(&work.json("shard-2.json")), ["partition"]);
    let merged = work
        .merge(&["shard-3.json", "shard-1.json", "shard-2.json"], &[])
        .await;
    assert_eq!(merged.code, 0, "{}{}", merged.stdout, merged.stderr);
    assert!(
        merged.stdout.contains("\nPASS 127 cases (0 failed)"),
        "{}",
        merged.stdout
    );
    assert!(
        merged.stdout.contains(
            "  cases        127 run of 127 planned; merged from 3 shards (--partition 1/3 to 3/3)\n"
        ),
        "{}",
        merged.stdout
    );
    let joined = work.json("merged.json");
    assert_eq!(joined["verdict"]["result"], "compatible");
    assert_eq!(joined["verdict"]["complete"], true);
    assert_eq!(results(&joined), results(&work.json("whole.json")));
    let certificate = work.text("merged.md");
    assert_eq!(
        certificate.lines().next(),
        Some("# conform compatibility certificate: COMPATIBLE")
    );
    assert!(work.text("merged.html").contains("<h1>COMPATIBLE</h1>"));
    assert!(
        merged.stdout.contains("markdown report written to "),
        "{}",
        merged.stdout
    );
}

#[tokio::test]
async fn a_filter_common_to_every_shard_still_qualifies_the_merged_run() {
    let work = Work::new();
    for shard in work.shards(&[1, 2], 2, &["--filter", APP_ID]).await {
        assert_eq!(shard.code, 0, "{}", shard.stdout);
    }
    let merged = work.merge(&["shard-1.json", "shard-2.json"], &[]).await;
    assert_eq!(merged.code, 0, "{}{}", merged.stdout, merged.stderr);
    let joined = work.json("merged.json");
    assert_eq!(joined["verdict"]["result"], "partial");
    assert_eq!(reasons(&joined), ["filtered"]);
    assert!(
        work.text("merged.md")
            .starts_with("# conform compatibility certificate: PARTIAL\n")
    );
}

#[tokio::test]
async fn a_coverage_gate_is_judged_over_the_merged_shards_not_shard_by_shard() {
    // Only the conflict case gets REPEAT_REQ_INCONSISTENT: two of three shards never see it.
    let work = Work::new();
    let gate = ["--require-coverage", "codes=REPEAT_REQ_INCONSISTENT"];
    for shard in work.shards(&[1, 2, 3], 3, &gate).await {
        assert_eq!(shard.code, 0, "{}", shard.stdout);
        assert!(
            shard.stdout.contains(
                "--require-coverage codes=REPEAT_REQ_INCONSISTENT: judged over every shard by `conform merge`"
            ),
            "{}",
            shard.stdout
        );
    }
    let inputs = ["shard-1.json", "shard-2.json", "shard-3.json"];
    let merged = work.merge(&inputs, &[]).await;
    assert_eq!(merged.code, 0, "{}{}", merged.stdout, merged.stderr);
    assert!(
        merged
            .stdout
            .contains("--require-coverage codes=REPEAT_REQ_INCONSISTENT: reached"),
        "{}",
        merged.stdout
    );
    // A gate no shard reaches still fails the merged run.
    let work = Work::new();
    let gate = ["--require-coverage", "statuses"];
    for shard in work.shards(&[1, 2], 2, &gate).await {
        assert_eq!(shard.code, 0, "{}", shard.stdout);
    }
    let merged = work.merge(&["shard-1.json", "shard-2.json"], &[]).await;
    assert_eq!(merged.code, 1, "{}", merged.stdout);
    assert!(
        merged
            .stdout
            .contains("--require-coverage statuses: NOT reached")
    );
}

#[tokio::test]
async fn a_baseline_applies_to_the_merged_run_as_to_a_single_run() {
    let server = issue_card::serve(Defects {
        accept_long_app_id: true,
        ..Defects::default()
    })
    .await;
    let work = Work::new();
    let target = ["--target", &server.uri(), "--filter", APP_ID];
    work.shards(&[1, 2], 2, &target).await;
    let baseline = work.path("baseline.json").display().to_string();
    let recorded = work
        .merge(
            &["shard-1.json", "shard-2.json"],
            &["--baseline", &baseline],
        )
        .await;
    assert_eq!(
        recorded.code, 0,
        "a recording merge passes:\n{}{}",
        recorded.stdout, recorded.stderr
    );
    assert!(
        recorded.stdout.contains("known failures recorded in "),
        "{}",
        recorded.stdout
    );
    let listed: Value = serde_json::from_str(&work.text("baseline.json")).unwrap();
    assert!(!listed["failures"].as_array().unwrap().is_empty());

    let gated = work
        .merge(
            &["shard-1.json", "shard-2.json"],
            &["--baseline", &baseline],
        )
        .await;
    assert_eq!(
        gated.code, 0,
        "known failures do not fail the merged run:\n{}",
        gated.stdout
    );
    let whole = work
        .whole(&[&target[..], &["--baseline", &baseline]].concat())
        .await;
    assert_eq!(whole.code, 0, "{}", whole.stdout);
    let (single, joined) = (work.json("whole.json"), work.json("merged.json"));
    assert!(joined["summary"]["known"].as_u64().unwrap() > 0);
    assert_eq!(counts(&joined), counts(&single));
    assert_eq!(joined["verdict"], single["verdict"]);
    assert!(reasons(&joined).contains(&"known-failures".to_string()));
}

/// A refused merge exits 2, names every problem on stderr and writes no report.
fn assert_refused(work: &Work, run: &Run, messages: &[&str]) {
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    for message in messages {
        assert!(
            run.stderr.contains(message),
            "expected `{message}` in:\n{}",
            run.stderr
        );
    }
    assert!(work.merged_nothing(), "a refused merge writes nothing");
}

#[tokio::test]
async fn shards_that_checked_different_contracts_are_refused() {
    let work = Work::new();
    let edited = work.path("contracts/issue-card.json");
    std::fs::create_dir_all(edited.parent().unwrap()).unwrap();
    let text = std::fs::read_to_string(root().join("contracts/platform/issue-card.json")).unwrap();
    // Shard 2 runs a contract whose appId allows one character less.
    let tightened = text.replacen("\"maxLength\": 32", "\"maxLength\": 31", 1);
    assert_ne!(tightened, text);
    std::fs::write(&edited, tightened).unwrap();
    work.shards(&[1], 2, &["--filter", APP_ID]).await;
    let edited = edited.display().to_string();
    let other = work.shards(&[2], 2, &[&edited, "--filter", APP_ID]).await;
    assert_eq!(other[0].code, 0, "{}{}", other[0].stdout, other[0].stderr);
    let run = work.merge(&["shard-1.json", "shard-2.json"], &[]).await;
    assert_refused(
        &work,
        &run,
        &[
            "shard-2.json` checked other contracts than `",
            "shard-1.json`: issueCard has sha256 ",
        ],
    );
}

#[tokio::test]
async fn overlapping_missing_and_twice_given_shards_are_refused() {
    let work = Work::new();
    let filter = ["--filter", APP_ID];
    work.shards(&[1, 2], 2, &filter).await;
    let halves = work.path("shard-2.json");
    std::fs::copy(&halves, work.path("half-2.json")).unwrap();
    std::fs::copy(work.path("shard-1.json"), work.path("half-1.json")).unwrap();
    work.shards(&[1, 3], 3, &filter).await;

    let missing = work.merge(&["shard-1.json", "shard-3.json"], &[]).await;
    assert_refused(
        &work,
        &missing,
        &["error: shard 2/3 is missing (given: 1/3 in `"],
    );

    let overlap = work
        .merge(&["half-1.json", "half-2.json", "shard-3.json"], &[])
        .await;
    assert_refused(
        &work,
        &overlap,
        &[
            "half-1.json` is shard 1/2 and `",
            "shard-3.json` is shard 3/3: they overlap",
        ],
    );

    let same_file = work
        .merge(&["half-1.json", "half-2.json", "half-2.json"], &[])
        .await;
    assert_refused(&work, &same_file, &["half-2.json` is given twice"]);

    std::fs::copy(work.path("half-2.json"), work.path("copy.json")).unwrap();
    let same_shard = work
        .merge(&["half-1.json", "half-2.json", "copy.json"], &[])
        .await;
    assert_refused(&work, &same_shard, &["error: shard 2/2 is given twice: `"]);

    let whole = work.whole(&filter).await;
    assert_eq!(whole.code, 0);
    let twice = work
        .merge(&["whole.json", "half-1.json", "half-2.json"], &[])
        .await;
    assert_refused(
        &work,
        &twice,
        &["whole.json` ran every case (no --partition) and `"],
    );
}

#[tokio::test]
async fn files_that_are_not_conform_json_reports_of_this_version_are_refused() {
    let work = Work::new();
    let filter = ["--filter", APP_ID];
    let whole = work.whole(&filter).await;
    assert_eq!(whole.code, 0);
    let text = work.text("whole.json");
    std::fs::write(
        work.path("v2.json"),
        text.replacen("{\"version\":1,", "{\"version\":2,", 1),
    )
    .unwrap();
    std::fs::write(
        work.path("baseline.json"),
        "{\"version\": 1, \"failures\": []}\n",
    )
    .unwrap();
    std::fs::write(work.path("cut.json"), &text[..text.len() / 2]).unwrap();
    std::fs::write(
        work.path("edited.json"),
        text.replacen("\"outcome\":\"pass\"", "\"outcome\":\"skip\"", 1),
    )
    .unwrap();
    std::fs::write(
        work.path("junit.xml"),
        "<?xml version=\"1.0\"?>\n<testsuites/>\n",
    )
    .unwrap();
    let run = work.merge(&["v2.json"], &[]).await;
    assert_refused(
        &work,
        &run,
        &[
            "v2.json`: not a conform JSON report of this version: version 2 (this conform reads version 1) (line 1, column 12)",
        ],
    );
    let run = work.merge(&["baseline.json"], &[]).await;
    assert_refused(
        &work,
        &run,
        &["baseline.json`: not a conform JSON report of this version: unexpected key `failures`"],
    );
    let run = work.merge(&["cut.json"], &[]).await;
    assert_refused(
        &work,
        &run,
        &["cut.json`: not a conform JSON report of this version: "],
    );
    let run = work.merge(&["edited.json"], &[]).await;
    assert_refused(
        &work,
        &run,
        &["edited.json`: its summary does not follow from its results (`passed` is "],
    );
    let run = work.merge(&["junit.xml", "missing.json"], &[]).await;
    assert_refused(
        &work,
        &run,
        &[
            "junit.xml`: not a conform JSON report of this version: expected a JSON object (`{`), found `<` (line 1, column 1)",
            "missing.json`: cannot read it: ",
        ],
    );
}

#[tokio::test]
async fn a_merge_reads_the_shards_only_and_needs_no_contracts_or_target() {
    let work = Work::new();
    work.shards(&[1, 2], 2, &["--filter", APP_ID]).await;
    let moved = tempfile::tempdir().unwrap();
    let run = crate::util::conform_in(
        moved.path(),
        &[
            "merge",
            &work.path("shard-1.json").display().to_string(),
            &work.path("shard-2.json").display().to_string(),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("merged from 2 shards"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_value_two_shards_both_got_fails_the_merged_unique_case_though_each_shard_passed() {
    let server = issue_card::serve(Defects {
        card_no_from_request_id: true,
        ..Defects::default()
    })
    .await;
    let work = Work::new();
    let uri = server.uri();
    let args = [ISSUE_CARD, "--target", &uri];
    for shard in work.shards(&[1, 2], 2, &args).await {
        assert_eq!(shard.code, 0, "{}", shard.stdout);
    }
    for shard in ["shard-1.json", "shard-2.json"] {
        let outcome = outcome_of(&work.json(shard), "issueCard/run/unique", "unique");
        assert!(
            outcome.is_none() || outcome == Some("pass".into()),
            "{shard}: each shard alone sees only distinct card numbers: {outcome:?}"
        );
    }
    let merged = work.merge(&["shard-1.json", "shard-2.json"], &[]).await;
    assert_eq!(merged.code, 1, "{}{}", merged.stdout, merged.stderr);
    let joined = work.json("merged.json");
    assert_eq!(
        outcome_of(&joined, "issueCard/run/unique", "unique").as_deref(),
        Some("fail")
    );
    assert!(
        merged
            .stdout
            .contains("/body/cardNo had the same value in 2 shards: issueCard/")
            && merged.stdout.contains("(shard 1 of 2), issueCard/"),
        "{}",
        merged.stdout
    );
    assert_eq!(schema_errors(&work.json("shard-1.json")), "");
    assert_eq!(schema_errors(&joined), "");
}

/// The outcome of `check` in `case`, as the JSON report lists it.
fn outcome_of(report: &Value, case: &str, check: &str) -> Option<String> {
    let results = report["results"].as_array()?;
    let found = results
        .iter()
        .find(|r| r["case"] == case && r["check"] == check)?;
    found["outcome"].as_str().map(str::to_string)
}
