//! Exit codes by kind of outcome: invalid input is 2 and checks nothing, conform itself failing
//! is 4 and names what failed (a crashed case by its name; `serve` that cannot listen is in
//! `serve.rs`).

use crate::util::{conform, conform_with, root};

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
