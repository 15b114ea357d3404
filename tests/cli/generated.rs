//! Generated cases against independent issueCard implementations that each miss one
//! validation: every one must fail the run naming the field and the rule, and the correct
//! implementation must pass with no false alarm.

use crate::issue_card::{Defects, serve};
use crate::util::{ISSUE_CARD, conform};

#[tokio::test]
async fn correct_independent_implementation_passes_every_generated_case() {
    let server = serve(Defects::default()).await;
    let run = conform(&["verify", ISSUE_CARD, "--target", &server.uri()]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    // The tests turn snapshots off, the one thing this run leaves out.
    assert!(
        run.stdout.ends_with(
            "\n  not complete: snapshots off: answers were not compared with recorded ones\n"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\nPARTIAL "), "{}", run.stdout);
}

/// (defect, the case that must fail, a fragment of its message).
fn defects() -> Vec<(&'static str, Defects, &'static str, &'static str)> {
    let d = Defects::default;
    vec![
        (
            "long appId accepted",
            Defects {
                accept_long_app_id: true,
                ..d()
            },
            "issueCard/negative/appId/too-long",
            "appId too-long: sent 33 characters (max 32)",
        ),
        (
            "long requestId accepted",
            Defects {
                accept_long_request_id: true,
                ..d()
            },
            "issueCard/negative/requestId/too-long",
            "requestId too-long: sent 65 characters (max 64)",
        ),
        (
            "long extendInfo accepted",
            Defects {
                accept_long_extend_info: true,
                ..d()
            },
            "issueCard/negative/extendInfo/too-long",
            "extendInfo too-long: sent 2049 characters (max 2048)",
        ),
        (
            "@ accepted in IDs",
            Defects {
                accept_at_in_ids: true,
                ..d()
            },
            "issueCard/negative/appId/forbidden-char-at",
            "appId forbidden-char-at: sent `@` in the value",
        ),
        (
            "any super app accepted",
            Defects {
                accept_any_super_app: true,
                ..d()
            },
            "issueCard/negative/customerBelongsTo/not-in-enum",
            "customerBelongsTo not-in-enum: sent \"NOT_IN_ENUM\"",
        ),
        (
            "missing registerDate accepted",
            Defects {
                accept_missing_register_date: true,
                ..d()
            },
            "issueCard/negative/registerDate/missing",
            "registerDate missing: sent no `registerDate`",
        ),
        (
            "date-only registerDate accepted",
            Defects {
                accept_date_only: true,
                ..d()
            },
            "issueCard/negative/registerDate/date-only",
            "registerDate date-only: sent \"2022-02-17\"",
        ),
        (
            "eleven cardFields accepted",
            Defects {
                accept_eleven_card_fields: true,
                ..d()
            },
            "issueCard/negative/cardFields/too-many-items",
            "cardFields too-many-items: sent 11 items (max 10)",
        ),
        (
            "appId of 32 rejected",
            Defects {
                reject_app_id_of_32: true,
                ..d()
            },
            "issueCard/boundary/appId/max-length",
            "appId max-length: sent 32 characters (max 32)",
        ),
        (
            "optional expireDate required",
            Defects {
                require_expire_date: true,
                ..d()
            },
            "issueCard/boundary/expireDate/omitted",
            "expireDate omitted: sent no `expireDate` (optional)",
        ),
        (
            "HTTP 500 for invalid input",
            Defects {
                http_500_on_invalid: true,
                ..d()
            },
            "issueCard/negative/appId/too-long",
            "http-status              expected HTTP 200, got 500",
        ),
        (
            "code outside the catalogue",
            Defects {
                unknown_code_on_invalid: true,
                ..d()
            },
            "issueCard/negative/appId/too-long",
            "got `INVALID_PARAMETER` with status `F`",
        ),
        (
            "F with SUCCESS",
            Defects {
                success_code_on_failure: true,
                ..d()
            },
            "issueCard/negative/appId/too-long",
            "got `SUCCESS` with status `F`",
        ),
    ]
}

#[tokio::test]
async fn each_missed_validation_fails_the_run_naming_field_and_rule() {
    for (what, defects, case, fragment) in defects() {
        let server = serve(defects).await;
        let run = conform(&["verify", ISSUE_CARD, "--target", &server.uri()]).await;
        assert_eq!(run.code, 1, "{what}: {}", run.stdout);
        let block = failure_block(&run.stdout, case)
            .unwrap_or_else(|| panic!("{what}: `{case}` did not fail:\n{}", run.stdout));
        assert!(
            block.contains(fragment),
            "{what}: `{fragment}` not in\n{block}"
        );
    }
}

#[tokio::test]
async fn filter_runs_only_matching_cases() {
    let server = serve(Defects {
        accept_long_app_id: true,
        ..Defects::default()
    })
    .await;
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--target",
        &server.uri(),
        "--filter",
        "issueCard/negative/appId/*",
    ])
    .await;
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("\nFAIL 8 cases ("), "{}", run.stdout);
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--target",
        &server.uri(),
        "--filter",
        "issueCard/negative/customerId/*",
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[tokio::test]
async fn cases_lists_names_and_totals() {
    let run = conform(&["cases", ISSUE_CARD]).await;
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("issueCard/negative/appId/too-long\n"));
    insta::assert_snapshot!(run.stdout);
}

/// The lines printed for one failed case: its `FAIL` line up to the next blank line.
pub fn failure_block(stdout: &str, case: &str) -> Option<String> {
    let header = format!("FAIL {case}\n");
    let start = stdout.find(&header)?;
    let rest = &stdout[start..];
    let end = rest.find("\n\n").unwrap_or(rest.len());
    Some(rest[..end].to_string())
}
