//! Idempotency checks against independent issueCard implementations: replays that change the
//! card or the message, a check-then-insert race, a `U` that never settles, and a correct
//! implementation that answers `U` first.

use crate::issue_card::{Defects, serve};
use crate::util::{ISSUE_CARD, conform};

/// Runs verify against an implementation with `defects`, returning the run.
async fn verify(defects: Defects, extra: &[&str]) -> crate::util::Run {
    let server = serve(defects).await;
    let mut args = vec!["verify", ISSUE_CARD, "--target", server.uri().leak()];
    args.extend_from_slice(extra);
    conform(&args).await
}

fn block<'a>(stdout: &'a str, case: &str) -> &'a str {
    let start = stdout
        .find(&format!("FAIL {case}\n"))
        .unwrap_or_else(|| panic!("`{case}` did not fail:\n{stdout}"));
    let rest = &stdout[start..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

#[tokio::test]
async fn new_card_number_on_replay_fails_the_replay_check_with_a_diff() {
    let run = verify(
        Defects {
            new_card_on_replay: true,
            ..Defects::default()
        },
        &["--filter", "*/example/*"],
    )
    .await;
    assert_eq!(run.code, 1);
    let block = block(&run.stdout, "issueCard/example/seed-sample");
    assert!(block.contains("idempotency-replay       replay 1 of 2 (same requestId, same body) returned a different answer: /cardNo \""), "{block}");
    assert!(block.contains("--- first answer"), "{block}");
    assert!(block.contains("-  \"cardNo\": \"0111645086"), "{block}");
    assert!(block.contains("+  \"cardNo\": \"0111645086"), "{block}");
}

#[tokio::test]
async fn replay_that_changes_the_message_is_reported_with_the_field() {
    let run = verify(
        Defects {
            replay_changes_message: true,
            ..Defects::default()
        },
        &["--filter", "*/example/*"],
    )
    .await;
    assert_eq!(run.code, 1);
    let block = block(&run.stdout, "issueCard/example/seed-sample");
    assert!(
        block.contains("/result/resultMessage \"Success\" → \"Success (already issued)\""),
        "{block}"
    );
    assert!(
        block.contains("+    \"resultMessage\": \"Success (already issued)\","),
        "{block}"
    );
}

#[tokio::test]
async fn check_then_insert_race_issues_two_cards_and_fails_concurrency() {
    let run = verify(
        Defects {
            racy_insert: true,
            ..Defects::default()
        },
        &["--filter", "*/idempotency/*"],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let block = block(&run.stdout, "issueCard/idempotency/concurrent");
    assert!(
        block.contains(
            "idempotency-concurrency  8 identical concurrent requests (same requestId) got"
        ),
        "{block}"
    );
    assert!(block.contains("/cardNo"), "{block}");
}

#[tokio::test]
async fn unknown_that_never_settles_fails_after_the_allowed_tries() {
    let run = verify(
        Defects {
            unknown_forever: true,
            ..Defects::default()
        },
        &["--filter", "*/example/*"],
    )
    .await;
    assert_eq!(run.code, 1);
    let block = block(&run.stdout, "issueCard/example/seed-sample");
    assert!(
        block.contains("idempotency-settle       status U did not settle after 5 tries"),
        "{block}"
    );
}

#[tokio::test]
async fn correct_implementation_answering_unknown_first_passes() {
    let run = verify(
        Defects {
            unknown_first: true,
            ..Defects::default()
        },
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("idempotency-settle"),
        "settling was exercised:\n{}",
        run.stdout
    );
}

#[tokio::test]
async fn unknown_answer_with_a_code_outside_the_catalogue_is_named_by_result_status() {
    let run = verify(
        Defects {
            busy_code_before_settling: true,
            ..Defects::default()
        },
        &["--filter", "*/example/*"],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let block = block(&run.stdout, "issueCard/example/seed-sample");
    assert!(
        block.contains("result-status            settle try 1 of 2: /result/resultCode: expected `UNKNOWN_EXCEPTION` for status `U`, got `SYSTEM_BUSY` with status `U`"),
        "{block}"
    );
    assert!(
        !block.contains("idempotency-replay"),
        "the settled answer replays fine: {block}"
    );
}

#[tokio::test]
async fn conflicting_payload_is_judged_by_the_policy() {
    let run = verify(Defects::default(), &["--filter", "*/idempotency/conflict"]).await;
    assert_eq!(
        run.code, 0,
        "REPEAT_REQ_INCONSISTENT satisfies policy either:\n{}",
        run.stdout
    );
    let run = verify(
        Defects {
            new_card_on_conflict: true,
            ..Defects::default()
        },
        &["--filter", "*/idempotency/conflict"],
    )
    .await;
    assert_eq!(run.code, 1);
    let block = block(&run.stdout, "issueCard/idempotency/conflict");
    assert!(block.contains("the conflicting request (with `externalCardNo` changed under the same requestId): expected the original answer or F/REPEAT_REQ_INCONSISTENT (policy either), got HTTP 200, S/SUCCESS"), "{block}");
    assert!(block.contains("--- original answer"), "{block}");
}

#[tokio::test]
async fn embedded_reference_stays_idempotent_under_faults() {
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--fault",
        "unknown-first=0.5",
        "--fault",
        "latency=5ms",
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--fault",
        "unknown-first=1",
        "--settle-tries",
        "1",
        "--filter",
        "*/example/*",
    ])
    .await;
    assert_eq!(
        run.code, 1,
        "with one try a U cannot settle:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("status U did not settle after 1 try"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn settings_below_their_minimums_are_refused_before_anything_is_sent() {
    for (flag, value, minimum) in [("--concurrency", "1", "2"), ("--settle-tries", "0", "1")] {
        let run = conform(&["verify", ISSUE_CARD, flag, value]).await;
        assert_eq!(run.code, 2, "{flag} {value}: {}", run.stdout);
        assert!(run.stdout.is_empty(), "nothing was run: {}", run.stdout);
        assert!(
            run.stderr.contains(flag) && run.stderr.contains(&format!("{minimum}..")),
            "{flag}: {}",
            run.stderr
        );
    }
}
