//! Exit codes by kind of outcome: invalid input is 2 and checks nothing, conform itself failing
//! is 4 and names what failed (a crashed case by its name; `serve` that cannot listen is in
//! `serve.rs`).

use crate::util::{ISSUE_CARD, conform, conform_with, root};

#[tokio::test]
async fn invalid_input_exits_2_before_anything_is_checked() {
    let cases: [&[&str]; 5] = [
        &["verify", "--timeout", "ten"],
        &["verify", "--report", "yaml=out.yaml"],
        &["verify", "--filter", "nothing/*"],
        &[
            "verify",
            "--target-config",
            "tests/fixtures/no-such-profile.json",
        ],
        &["lint", "tests/fixtures/invalid/unknown-type.json"],
    ];
    for args in cases {
        let run = conform(args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            !run.stdout.contains("PASS") && !run.stdout.contains("FAIL"),
            "{args:?}"
        );
    }
}

#[tokio::test]
async fn a_panicking_case_is_reported_by_name_with_exit_4_and_the_run_goes_on() {
    let case = "issueCard/negative/appId/too-long";
    let env = [
        ("CONFORM_SNAPSHOTS", "off"),
        ("CONFORM_PANIC_IN_CASE", case),
    ];
    let args = ["verify", "--filter", "issueCard/negative/appId/*"];
    let run = conform_with(&root(), &args, &env, None).await;
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("FAIL {case}\n  transport                conform itself failed while running this case: CONFORM_PANIC_IN_CASE is set to this case")),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(&format!(
            "error: conform itself failed while running {case}; the verdict cannot be trusted"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("8 cases (1 failed)"),
        "the other cases ran: {}",
        run.stdout
    );
}

#[tokio::test]
async fn an_error_in_the_last_of_many_contracts_exits_2_before_anything_is_sent() {
    // Contracts are held compiled only while needed, so this guards the promise that every
    // contract is still checked before the first request.
    let dir = tempfile::tempdir().unwrap();
    let shipped: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(ISSUE_CARD)).unwrap()).unwrap();
    for i in 0..300 {
        let mut copy = shipped.clone();
        copy["name"] = format!("issueCard{i}").into();
        copy["operation"]["path"] = format!("/v2/pds/memberships/issueCard{i}").into();
        let text = serde_json::to_string_pretty(&copy).unwrap();
        std::fs::write(dir.path().join(format!("c{i:03}.json")), text).unwrap();
    }
    let mut broken = shipped.clone();
    broken["name"] = "zLast".into();
    broken["operation"]["path"] = "/v2/pds/memberships/zLast".into();
    broken["request"]["fields"]["appId"]["type"] = "no-such-type".into();
    let text = serde_json::to_string_pretty(&broken).unwrap();
    std::fs::write(dir.path().join("z-last.json"), text).unwrap();
    let server = wiremock::MockServer::start().await;
    let folder = dir.path().to_str().unwrap();
    let args = [
        "verify",
        folder,
        "--target",
        &server.uri(),
        "--snapshots",
        "off",
    ];

    let run = conform(&args).await;

    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("no-such-type"), "{}", run.stderr);
    assert!(run.stderr.contains("z-last.json"), "{}", run.stderr);
    let received = server.received_requests().await.unwrap_or_default();
    assert!(received.is_empty(), "{} requests were sent", received.len());
}

#[test]
fn a_closed_standard_error_is_conform_failing_not_a_rust_panic_code() {
    // The reading end closed before conform starts: its first message cannot be written.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .args(["lint", "no/such/contract.json"])
        .current_dir(crate::util::root())
        .stdout(std::process::Stdio::null())
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(4), "{status:?}");
}
