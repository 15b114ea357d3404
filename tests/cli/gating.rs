//! CI gating: shards that together run every case once, and baselines of known failures.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::issue_card::{Defects, serve};
use crate::util::{ISSUE_CARD, conform, conform_with, root};

/// Runs verify with a JSON report and returns (exit code, case name → failed?).
async fn cases_run(target: &str, extra: &[&str]) -> (i32, BTreeMap<String, bool>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let spec = format!("json={}", report.display());
    let mut args = vec!["verify", ISSUE_CARD, "--target", target, "--report", &spec];
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
    let bad = conform(&["verify", ISSUE_CARD, "--partition", "4/3"]).await;
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

    let recorded = conform(&[
        "verify",
        ISSUE_CARD,
        "--target",
        &known.uri(),
        "--baseline",
        &baseline,
    ])
    .await;
    assert_eq!(recorded.code, 0, "recording passes: {}", recorded.stdout);
    assert!(
        recorded.stdout.contains("known failures recorded in"),
        "{}",
        recorded.stdout
    );
    // The verdict says what the exit code means: the failures are recorded as known.
    assert!(
        recorded
            .stdout
            .contains("\nKNOWN issueCard/negative/appId/too-long\n")
            && recorded.stdout.contains("2 failed (2 known)")
            && recorded.stdout.contains(&format!(
                "failures recorded as known in the baseline {baseline} by this run"
            )),
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
        ISSUE_CARD,
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
    let certificate = dir.path().join("worse.md");
    let markdown = format!("markdown={}", certificate.display());
    let (code, cases, _) = cases_run(
        &worse.uri(),
        &["--baseline", &baseline, "--report", &markdown],
    )
    .await;
    assert_eq!(code, 1, "a new failure fails the gate");
    assert!(cases["issueCard/negative/registerDate/date-only"]);
    let text = std::fs::read_to_string(&certificate).unwrap();
    let counts =
        regex::Regex::new(r"checks failed \((\d+) new, 2 known from the baseline\)").unwrap();
    assert!(counts.is_match(&text), "new and known told apart: {text}");

    let fixed = serve(Defects::default()).await;
    let [md, html, xml] = ["fixed.md", "fixed.html", "fixed.xml"].map(|f| dir.path().join(f));
    let reports = [
        format!("markdown={}", md.display()),
        format!("html={}", html.display()),
        format!("junit={}", xml.display()),
    ];
    let mut args = vec!["--baseline", baseline.as_str()];
    for report in &reports {
        args.extend(["--report", report.as_str()]);
    }
    let (code, _, doc) = cases_run(&fixed.uri(), &args).await;
    assert_eq!(code, 0);
    let read = |path: &std::path::Path| std::fs::read_to_string(path).unwrap();
    assert!(
        read(&md).contains("## Fixed\n")
            && read(&md).contains("- issueCard/negative/appId/too-long `expectation`"),
        "{}",
        read(&md)
    );
    assert!(read(&html).contains("<section id=\"fixed\">"));
    assert!(
        read(&html).contains("<li><code>issueCard/negative/appId/too-long</code> expectation</li>")
    );
    assert!(
        read(&xml).contains(
            "name=\"baseline.fixed\" value=\"issueCard/negative/appId/too-long expectation"
        ),
        "{}",
        read(&xml)
    );
    let fixed: Vec<&Value> = doc["summary"]["fixed"].as_array().unwrap().iter().collect();
    assert!(
        fixed.iter().any(
            |f| f["case"] == "issueCard/negative/appId/too-long" && f["check"] == "expectation"
        ),
        "{fixed:?}"
    );
}

#[tokio::test]
async fn ci_refuses_a_missing_baseline_unless_asked_to_record_it() {
    let server = serve(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("mistyped-baseline.json");
    let path = baseline.display().to_string();
    let uri = server.uri();
    let args = [
        "verify",
        ISSUE_CARD,
        "--target",
        &uri,
        "--snapshots",
        "off",
        "--baseline",
        &path,
    ];
    let ci = [("CI", "true")];

    let refused = conform_with(&root(), &args, &ci, None).await;
    assert_eq!(refused.code, 2, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.starts_with(&format!(
            "error: baseline `{path}` does not exist, and CI is set"
        )),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--update-baseline"),
        "{}",
        refused.stderr
    );
    assert!(!baseline.exists());
    let received = server.received_requests().await.unwrap_or_default();
    assert!(received.is_empty(), "nothing is sent: {}", received.len());

    let mut asked = args.to_vec();
    asked.push("--update-baseline");
    let recorded = conform_with(&root(), &asked, &ci, None).await;
    assert_eq!(recorded.code, 0, "{}{}", recorded.stdout, recorded.stderr);
    assert!(baseline.exists());
    assert!(
        recorded
            .stdout
            .contains(&format!("baseline: 0 known failures recorded in {path}")),
        "{}",
        recorded.stdout
    );
}

#[tokio::test]
async fn check_mode_with_no_snapshot_at_all_is_an_error_naming_the_folder() {
    let server = serve(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("snapshots").display().to_string();
    let uri = server.uri();
    let args = [
        "verify",
        ISSUE_CARD,
        "--target",
        &uri,
        "--snapshot-dir",
        &folder,
    ];
    let ci = [("CI", "true")];

    let empty = conform_with(&root(), &args, &ci, None).await;
    assert_eq!(empty.code, 2, "{}{}", empty.stdout, empty.stderr);
    assert!(
        empty.stderr.starts_with(&format!(
            "error: no snapshot recorded in `{folder}` for any of the "
        )),
        "{}",
        empty.stderr
    );
    assert!(
        empty.stderr.contains("the default when CI is set"),
        "{}",
        empty.stderr
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );

    // One recorded snapshot makes a partial set: the run goes on, the rest are skipped.
    let one = [
        "verify",
        ISSUE_CARD,
        "--target",
        &uri,
        "--snapshot-dir",
        &folder,
        "--filter",
        "*/example/*",
    ];
    let recorded = conform_with(&root(), &one, &[], None).await;
    assert_eq!(recorded.code, 0, "{}", recorded.stdout);
    let partial = conform_with(&root(), &args, &ci, None).await;
    assert_eq!(partial.code, 0, "{}{}", partial.stdout, partial.stderr);
    let missing =
        regex::Regex::new(r"not complete: .*\b(\d+) cases had no snapshot to compare with\n")
            .unwrap();
    let found = missing.captures(&partial.stdout).expect(&partial.stdout);
    assert!(found[1].parse::<u32>().unwrap() > 100);
    assert!(partial.stdout.contains("\nPARTIAL "), "{}", partial.stdout);
}

#[cfg(unix)]
#[tokio::test]
async fn reports_snapshots_and_baselines_are_ordinary_files() {
    use std::os::unix::fs::PermissionsExt;
    let server = serve(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("out/report.json");
    let baseline = dir.path().join("baseline.json");
    let snapshots = dir.path().join("snapshots");
    let command = format!(
        "umask 022; exec {} verify --target {} --filter '*/example/*' --report json={} --baseline {} --snapshots new --snapshot-dir {}",
        env!("CARGO_BIN_EXE_conform"),
        server.uri(),
        report.display(),
        baseline.display(),
        snapshots.display()
    );
    let status = std::process::Command::new("sh")
        .args(["-c", &command])
        .current_dir(root())
        .env_remove("CI")
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let snapshot = snapshots.join("issueCard/example/seed-sample.snap");
    for file in [&report, &baseline, &snapshot] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(format!("{mode:o}"), "644", "{}", file.display());
    }
}

#[tokio::test]
async fn recording_a_baseline_for_some_cases_keeps_what_it_knew_of_the_others() {
    let defects = crate::issue_card::Defects {
        accept_long_app_id: true,
        accept_date_only: true,
        ..Default::default()
    };
    let server = crate::issue_card::serve(defects).await;
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let path = baseline.to_str().unwrap();
    let uri = server.uri();
    let record = |extra: &'static [&'static str]| {
        let mut args = vec!["verify", crate::util::ISSUE_CARD, "--target", &uri];
        args.extend([
            "--snapshots",
            "off",
            "--baseline",
            path,
            "--update-baseline",
        ]);
        args.extend(extra);
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            crate::util::conform(&args).await
        }
    };
    let whole = record(&[]).await;
    assert_eq!(whole.code, 0, "{}", whole.stdout);
    let entries = || -> Vec<String> {
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
        (file["failures"].as_array().unwrap().iter())
            .map(|e| e["case"].as_str().unwrap().to_string())
            .collect()
    };
    let before = entries();
    assert!(before.iter().any(|c| c.contains("/appId/")), "{before:?}");
    assert!(
        before.iter().any(|c| c.contains("/registerDate/")),
        "{before:?}"
    );
    // Recorded again for the appId cases alone: the registerDate entries stay.
    let filtered = record(&["--filter", "issueCard/*/appId/*"]).await;
    assert_eq!(filtered.code, 0, "{}", filtered.stdout);
    assert_eq!(entries(), before);
}
