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
    // The tests turn snapshots off and replay keys late at once, the two things this run
    // leaves out.
    assert!(
        run.stdout.ends_with(
            "\n  not complete: late replays below the defaults (--late-replay-after 0s (default 5s)): a key memory shorter or smaller than the defaults measure could pass; snapshots off: answers were not compared with recorded ones\n"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\nPARTIAL "), "{}", run.stdout);
}

/// Runs `case` against an implementation with `defects`: the run must fail, and the case with
/// `fragment` among its findings. (That the correct implementation passes the whole plan is
/// the test above, so each defect needs only its own case.)
async fn assert_case_fails(defects: Defects, case: &str, fragment: &str) {
    let server = serve(defects).await;
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--target",
        &server.uri(),
        "--filter",
        case,
    ])
    .await;
    assert_eq!(run.code, 1, "{defects:?}: {}", run.stdout);
    let block = failure_block(&run.stdout, case)
        .unwrap_or_else(|| panic!("`{case}` did not fail:\n{}", run.stdout));
    assert!(block.contains(fragment), "`{fragment}` not in\n{block}");
}

/// One test per planted defect, so they run in parallel and fail independently: the test
/// (named after the defect), the [`Defects`] switch, the case that must fail and a fragment of
/// its message.
macro_rules! missed {
    ($($name:ident: $defect:ident => $case:literal, $fragment:literal;)*) => {
        mod missed {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let defects = Defects { $defect: true, ..Defects::default() };
                    assert_case_fails(defects, $case, $fragment).await;
                }
            )*
        }
    };
}

missed! {
    long_app_id_accepted: accept_long_app_id
        => "issueCard/negative/appId/too-long", "appId too-long: sent 33 characters (max 32)";
    long_request_id_accepted: accept_long_request_id
        => "issueCard/negative/requestId/too-long",
        "requestId too-long: sent 65 characters (max 64)";
    long_extend_info_accepted: accept_long_extend_info
        => "issueCard/negative/extendInfo/too-long",
        "extendInfo too-long: sent 2049 characters (max 2048)";
    at_sign_accepted_in_ids: accept_at_in_ids
        => "issueCard/negative/appId/forbidden-char-at",
        "appId forbidden-char-at: sent `@` in the value";
    any_super_app_accepted: accept_any_super_app
        => "issueCard/negative/customerBelongsTo/not-in-enum",
        "customerBelongsTo not-in-enum: sent \"NOT_IN_ENUM\"";
    missing_register_date_accepted: accept_missing_register_date
        => "issueCard/negative/registerDate/missing",
        "registerDate missing: sent no `registerDate`";
    date_only_register_date_accepted: accept_date_only
        => "issueCard/negative/registerDate/date-only",
        "registerDate date-only: sent \"2022-02-17\"";
    eleven_card_fields_accepted: accept_eleven_card_fields
        => "issueCard/negative/cardFields/too-many-items",
        "cardFields too-many-items: sent 11 items (max 10)";
    app_id_of_32_rejected: reject_app_id_of_32
        => "issueCard/boundary/appId/max-length",
        "appId max-length: sent 32 characters (max 32)";
    optional_expire_date_required: require_expire_date
        => "issueCard/boundary/expireDate/omitted",
        "expireDate omitted: sent no `expireDate` (optional)";
    http_500_for_invalid_input: http_500_on_invalid
        => "issueCard/negative/appId/too-long",
        "http-status              expected HTTP 200, got 500";
    code_outside_the_catalogue: unknown_code_on_invalid
        => "issueCard/negative/appId/too-long", "got `INVALID_PARAMETER` with status `F`";
    failure_with_success_code: success_code_on_failure
        => "issueCard/negative/appId/too-long", "got `SUCCESS` with status `F`";
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
pub(crate) fn failure_block(stdout: &str, case: &str) -> Option<String> {
    let header = format!("FAIL {case}\n");
    let start = stdout.find(&header)?;
    let rest = &stdout[start..];
    let end = rest.find("\n\n").unwrap_or(rest.len());
    Some(rest[..end].to_string())
}
