//! Choosing cases: `--exclude` and a leading `!` in `--filter` leave cases out and qualify the
//! verdict; a pattern that matches nothing is an error on the command line and a located
//! warning in a contract; a contract's own `skip` applies to every kind of case and does not
//! qualify the verdict; failure examples pass the self-test.

use serde_json::json;

use crate::util::{ISSUE_CARD, conform};

#[tokio::test]
async fn exclude_and_a_bang_filter_leave_cases_out_and_qualify_the_verdict() {
    for selection in [
        ["--exclude", "issueCard/boundary/*"],
        ["--filter", "!issueCard/boundary/*"],
    ] {
        let mut args = vec!["verify", ISSUE_CARD];
        args.extend(selection);
        let run = conform(&args).await;
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains(
                "cases        89 run of 127 planned; 89 kept by --exclude issueCard/boundary/*\n"
            ),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout
                .ends_with("  not complete: --exclude issueCard/boundary/* kept 89 of 127 cases\n"),
            "{}",
            run.stdout
        );
    }
    let listed = conform(&[
        "cases",
        ISSUE_CARD,
        "--filter",
        "issueCard/negative/appId/*",
        "--exclude",
        "*/too-long*",
    ])
    .await;
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        listed
            .stdout
            .starts_with("issueCard/negative/appId/missing\n"),
        "{}",
        listed.stdout
    );
    assert!(!listed.stdout.contains("too-long"), "{}", listed.stdout);
    assert!(
        listed.stdout.ends_with("total            6\n"),
        "{}",
        listed.stdout
    );
}

#[tokio::test]
async fn a_pattern_that_matches_nothing_is_an_error_naming_it() {
    let cases = [
        (
            vec!["verify", ISSUE_CARD, "--exclude", "issueCard/exampel/*"],
            "error: no case matches --exclude `issueCard/exampel/*`",
        ),
        (
            vec!["verify", ISSUE_CARD, "--filter", "!issueCard/exampel/*"],
            "error: no case matches --exclude `issueCard/exampel/*`",
        ),
        (
            vec![
                "cases",
                ISSUE_CARD,
                "--filter",
                "issueCard/*",
                "--filter",
                "nothing/*",
            ],
            "error: no case matches --filter `nothing/*`",
        ),
        (
            vec![
                "verify",
                ISSUE_CARD,
                "--filter",
                "issueCard/example/*",
                "--exclude",
                "*/seed-sample",
            ],
            "error: no case matches the given --filter and --exclude together",
        ),
        (
            vec!["cases", ISSUE_CARD, "--exclude", "a{b"],
            "error: --exclude `a{b`: unclosed alternate group",
        ),
    ];
    for (args, message) in cases {
        let run = conform(&args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert!(run.stderr.starts_with(message), "{args:?}: {}", run.stderr);
        assert!(
            run.stdout.is_empty(),
            "nothing was run or listed: {}",
            run.stdout
        );
    }
}

#[tokio::test]
async fn a_contract_skip_leaves_out_every_kind_of_case_without_qualifying_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let mut contract: serde_json::Value =
        serde_json::from_str(include_str!("../../contracts/platform/issue-card.json")).unwrap();
    contract["skip"] = json!([
        "issueCard/example/*",
        "issueCard/idempotency/*",
        "issueCard/negative/appId/*",
        "issueCard/run/late-replay"
    ]);
    let path = dir.path().join("issue-card.json");
    std::fs::write(&path, serde_json::to_string_pretty(&contract).unwrap()).unwrap();
    let path = path.to_str().unwrap();

    let listed = conform(&["cases", path]).await;
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(listed.stderr, "", "every pattern matches a case");
    for left_out in [
        "/example/",
        "/idempotency/",
        "/negative/appId/",
        "/run/late-replay",
    ] {
        assert!(
            !listed.stdout.contains(left_out),
            "{left_out}: {}",
            listed.stdout
        );
    }
    assert!(
        listed
            .stdout
            .contains("issueCard/negative/requestId/too-long\n")
    );

    let run = conform(&["verify", path]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("cases        115 run of 115 planned\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\nPASS 115 cases"), "{}", run.stdout);
    assert!(!run.stdout.contains("late replays"), "{}", run.stdout);
    assert!(!run.stdout.contains("not complete"), "{}", run.stdout);
}

#[tokio::test]
async fn skip_patterns_matching_nothing_are_located_lint_warnings() {
    let fixture = "tests/fixtures/warnings/skip-matches-nothing.json";
    let lint = conform(&["lint", fixture]).await;
    assert_eq!(
        lint.code, 0,
        "a warning does not fail lint: {}",
        lint.stderr
    );
    insta::assert_snapshot!(lint.stderr);
    let cases = conform(&["cases", fixture]).await;
    assert_eq!(cases.stderr, lint.stderr, "cases warns alike");
    assert!(
        !cases
            .stdout
            .contains("inquireCard/negative/cardNo/too-long\n"),
        "{}",
        cases.stdout
    );
    assert!(
        !cases.stdout.contains("inquireCard/boundary/cardNo/"),
        "{}",
        cases.stdout
    );
    assert!(
        cases.stdout.contains("inquireCard/example/known-card\n"),
        "generated.skip is for generated cases"
    );
}

#[tokio::test]
async fn the_shipped_family_self_test_answers_every_failure_example() {
    let run = conform(&["verify", "--filter", "*/example/*"]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    for example in [
        "applyToken/example/unknown-auth-client",
        "inquiryUserInfo/example/invalid-token",
        "notifyCardRegistration/example/first-name-too-long",
        "inquireCardDetail/example/unknown-card",
        "updateCardDetail/example/unknown-card",
        "inquireMemberAssets/example/unknown-card",
    ] {
        assert!(
            !run.stdout.contains(&format!("FAIL {example}")),
            "{example}"
        );
    }
    assert!(
        run.stdout.contains("cases        14 run of "),
        "{}",
        run.stdout
    );
}
