//! `conform verify` against the embedded reference implementation, and the run-level behaviour
//! around it: reports, unreachable targets, usage errors.

use serde_json::Value;

use crate::util::{ISSUE_CARD, conform, root};

#[tokio::test]
async fn verify_without_target_passes_against_the_embedded_reference() {
    let run = conform(&["verify"]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("(embedded reference implementation)"));
    assert!(run.stdout.contains("\nPASS "), "{}", run.stdout);
    insta::assert_snapshot!(run.transcript());
}

#[tokio::test]
async fn json_report_is_written_with_summary_and_one_entry_per_check() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("out/report.json");
    let spec = format!("json={}", report.display());
    let run = conform(&["verify", ISSUE_CARD, "--report", &spec]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(doc["version"], 1);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(
        doc["summary"]["passed"].as_u64().unwrap() as usize,
        results.len()
    );
    assert_eq!(doc["summary"]["failed"], 0);
    let first = &results[0];
    assert_eq!(first["contract"], "issueCard");
    assert_eq!(first["case"], "issueCard/example/seed-sample");
    assert_eq!(first["outcome"], "pass");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left behind");
}

#[tokio::test]
async fn unreachable_target_fails_with_a_clear_message_and_still_reports() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let target = format!("http://127.0.0.1:{port}");
    let spec = format!("json={}", report.display());
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--target",
        &target,
        "--report",
        &spec,
        "--filter",
        "*/example/*",
    ])
    .await;
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("transport"), "{}", run.stdout);
    assert!(run.stdout.contains("cannot connect to"), "{}", run.stdout);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(doc["summary"]["failed"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn usage_errors_exit_2_before_sending_anything() {
    for (args, says) in [
        (
            vec!["verify", ISSUE_CARD, "--report", "xml=out.xml"],
            "unknown format `xml`",
        ),
        (
            vec!["verify", ISSUE_CARD, "--timeout", "soon"],
            "--timeout: `soon` is not a duration",
        ),
        (
            vec!["verify", ISSUE_CARD, "--filter", "nothing/*"],
            "no case matches",
        ),
        (
            vec!["verify", ISSUE_CARD, "--target", "ftp://example"],
            "invalid target",
        ),
        (
            vec!["verify", ISSUE_CARD, "--fault", "slow=1"],
            "unknown fault `slow`",
        ),
        (vec!["verify", ISSUE_CARD, "--jobs", "0"], "--jobs"),
    ] {
        let run = conform(&args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
}

#[tokio::test]
async fn invalid_contract_exits_2_without_contacting_the_target() {
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "tests/fixtures/invalid/unknown-type.json",
        "--target",
        "http://127.0.0.1:9",
    ])
    .await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown type `int`"));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let _ = root();
}
