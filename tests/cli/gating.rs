//! CI gating: shards that together run every case once, and baselines of known failures.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::issue_card::{Defects, serve};
use crate::util::conform;

/// Runs verify with a JSON report and returns (exit code, case name → failed?).
async fn cases_run(target: &str, extra: &[&str]) -> (i32, BTreeMap<String, bool>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let spec = format!("json={}", report.display());
    let mut args = vec!["verify", "--target", target, "--report", &spec];
    args.extend_from_slice(extra);
    let run = conform(&args).await;
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let mut cases = BTreeMap::new();
    for result in doc["results"].as_array().unwrap() {
        let failed = result["outcome"] == "fail";
        *cases
            .entry(result["case"].as_str().unwrap().to_string())
            .or_insert(false) |= failed;
    }
    (run.code, cases, doc)
}

#[tokio::test]
async fn partitions_together_run_every_case_exactly_once() {
    let server = serve(Defects {
        accept_long_app_id: true,
        ..Defects::default()
    })
    .await;
    let (_, full, _) = cases_run(&server.uri(), &[]).await;
    let mut union = BTreeMap::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let (_, part, _) = cases_run(&server.uri(), &["--partition", shard]).await;
        for (case, failed) in part {
            assert!(
                union.insert(case.clone(), failed).is_none(),
                "{case} ran in two shards"
            );
        }
    }
    assert_eq!(union, full);
    let bad = conform(&["verify", "--partition", "4/3"]).await;
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("is not K/N"), "{}", bad.stderr);
}

#[tokio::test]
async fn baseline_gates_on_new_failures_only_and_reports_fixed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json").display().to_string();
    let known = serve(Defects {
        accept_long_app_id: true,
        ..Defects::default()
    })
    .await;

    let recorded = conform(&["verify", "--target", &known.uri(), "--baseline", &baseline]).await;
    assert_eq!(recorded.code, 0, "recording passes: {}", recorded.stdout);
    assert!(
        recorded.stdout.contains("known failures recorded in"),
        "{}",
        recorded.stdout
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert!(
        file["failures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["case"] == "issueCard/negative/appId/too-long")
    );

    let (code, _, doc) = cases_run(&known.uri(), &["--baseline", &baseline]).await;
    assert_eq!(code, 0, "only known failures");
    assert!(doc["summary"]["known"].as_u64().unwrap() > 0);
    let known_entry = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["outcome"] == "fail")
        .unwrap();
    assert_eq!(known_entry["known"], true);
    let junit = dir.path().join("known.xml");
    let console = conform(&[
        "verify",
        "--target",
        &known.uri(),
        "--baseline",
        &baseline,
        "--report",
        &format!("junit={}", junit.display()),
    ])
    .await;
    assert!(
        console
            .stdout
            .contains("KNOWN issueCard/negative/appId/too-long"),
        "{}",
        console.stdout
    );
    assert!(
        console
            .stdout
            .contains("known failure (baseline): appId too-long"),
        "{}",
        console.stdout
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites name=\"conform\" tests=\""),
        "{xml}"
    );
    assert!(
        xml.contains("failures=\"0\""),
        "known failures are not JUnit failures: {xml}"
    );
    assert!(
        xml.contains("<skipped message=\"known failure (baseline): appId too-long"),
        "{xml}"
    );

    let worse = serve(Defects {
        accept_long_app_id: true,
        accept_date_only: true,
        ..Defects::default()
    })
    .await;
    let (code, cases, _) = cases_run(&worse.uri(), &["--baseline", &baseline]).await;
    assert_eq!(code, 1, "a new failure fails the gate");
    assert!(cases["issueCard/negative/registerDate/date-only"]);

    let fixed = serve(Defects::default()).await;
    let (code, _, doc) = cases_run(&fixed.uri(), &["--baseline", &baseline]).await;
    assert_eq!(code, 0);
    let fixed: Vec<&Value> = doc["summary"]["fixed"].as_array().unwrap().iter().collect();
    assert!(
        fixed.iter().any(
            |f| f["case"] == "issueCard/negative/appId/too-long" && f["check"] == "expectation"
        ),
        "{fixed:?}"
    );
}
