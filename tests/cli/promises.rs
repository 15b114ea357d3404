//! Promises that span a whole run, against independent implementations: card numbers and ids
//! that two requests share (`unique`), and keys forgotten after a few seconds or a few dozen
//! other keys (`late-replay`). Each defect must fail the run naming the right check and
//! nothing else; correct implementations, one answering `U` first, must pass.

use serde_json::Value;

use crate::util::{ISSUE_CARD, Run, conform, conform_with, root, serve};
use crate::{cards_api, issue_card};

/// A run with its JSON report read back.
struct Reported {
    run: Run,
    report: Value,
}

impl Reported {
    /// The (case, check) pairs that failed.
    fn failed(&self) -> Vec<(String, String)> {
        let results = self.report["results"].as_array().expect("results");
        results
            .iter()
            .filter(|r| r["outcome"] == "fail")
            .map(|r| {
                let text = |key: &str| r[key].as_str().unwrap_or_default().to_string();
                (text("case"), text("check"))
            })
            .collect()
    }

    /// The message of one check of one case.
    fn message(&self, case: &str, check: &str) -> String {
        let results = self.report["results"].as_array().expect("results");
        let result = results
            .iter()
            .find(|r| r["case"] == case && r["check"] == check)
            .unwrap_or_else(|| panic!("no {case} {check} in {:#}", self.report["results"]));
        result["message"].as_str().unwrap_or_default().to_string()
    }
}

/// `conform verify` of `contracts` against `target` with `extra` flags (and `env`), snapshots
/// off, with a JSON report.
async fn verify(contracts: &str, target: &str, extra: &[&str], env: &[(&str, &str)]) -> Reported {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let flag = format!("json={}", report.display());
    let mut args = vec!["verify", contracts, "--target", target, "--report", &flag];
    args.extend_from_slice(extra);
    let mut env = env.to_vec();
    env.push(("CONFORM_SNAPSHOTS", "off"));
    let run = conform_with(&root(), &args, &env, None).await;
    let text = std::fs::read_to_string(&report).unwrap_or_else(|_| panic!("{}", run.stdout));
    Reported {
        run,
        report: serde_json::from_str(&text).expect("a JSON report"),
    }
}

async fn issue_card_run(defects: issue_card::Defects, extra: &[&str]) -> Reported {
    let server = issue_card::serve(defects).await;
    verify(ISSUE_CARD, &server.uri(), extra, &[]).await
}

fn pair(case: &str, check: &str) -> (String, String) {
    (case.to_string(), check.to_string())
}

#[tokio::test]
async fn the_same_card_number_for_every_new_card_fails_unique_naming_the_cases() {
    let defects = issue_card::Defects {
        same_card_no: true,
        ..Default::default()
    };
    let reported = issue_card_run(defects, &[]).await;
    assert_eq!(reported.run.code, 1, "{}", reported.run.stdout);
    assert_eq!(reported.failed(), [pair("issueCard/run/unique", "unique")]);
    let message = reported.message("issueCard/run/unique", "unique");
    assert!(
        message.starts_with("/body/cardNo \"011164508600000001\" was answered to "),
        "{message}"
    );
    assert!(
        message.contains(
            "requests with distinct requestIds: issueCard/example/seed-sample (requestId "
        ),
        "{message}"
    );
    assert!(
        reported
            .run
            .stdout
            .contains("FAIL issueCard/run/unique\n  unique "),
        "{}",
        reported.run.stdout
    );
}

#[tokio::test]
async fn card_numbers_unique_per_customer_only_fail_unique() {
    let defects = issue_card::Defects {
        card_no_per_customer: true,
        ..Default::default()
    };
    let reported = issue_card_run(defects, &[]).await;
    assert_eq!(reported.run.code, 1, "{}", reported.run.stdout);
    assert_eq!(reported.failed(), [pair("issueCard/run/unique", "unique")]);
    // The first customer's first card and another customer's first card share a number.
    let message = reported.message("issueCard/run/unique", "unique");
    assert!(
        message.contains("/body/cardNo \"011164508600000001\" was answered to "),
        "{message}"
    );
    assert!(
        message.contains("issueCard/boundary/customerId/"),
        "{message}"
    );
}

#[tokio::test]
async fn a_memory_of_the_last_50_keys_fails_the_late_replay() {
    let defects = issue_card::Defects {
        remember_last: Some(50),
        ..Default::default()
    };
    let reported = issue_card_run(defects, &[]).await;
    assert_eq!(reported.run.code, 1, "{}", reported.run.stdout);
    assert_eq!(
        reported.failed(),
        [pair("issueCard/run/late-replay", "late-replay")]
    );
    let message = reported.message("issueCard/run/late-replay", "late-replay");
    assert!(
        message.contains("the late replay of requestId ")
            && message.contains("(first sent by issueCard/example/seed-sample, ")
            && message.contains("returned a different answer: /cardNo \""),
        "{message}"
    );
    let seen = &reported.report["summary"]["late_replays"];
    assert!(seen["most_keys_between"].as_u64().unwrap() >= 128, "{seen}");
    assert!(seen["remembered"].as_u64().unwrap() < seen["keys"].as_u64().unwrap());
}

#[tokio::test]
async fn keys_kept_three_seconds_fail_the_late_replay_by_default() {
    let defects = issue_card::Defects {
        forget_after: Some(std::time::Duration::from_secs(3)),
        ..Default::default()
    };
    let server = issue_card::serve(defects).await;
    // An empty value removes the tests' own `0s`: the live target's default applies.
    let env = [("CONFORM_LATE_REPLAY_AFTER", "")];
    let reported = verify(ISSUE_CARD, &server.uri(), &[], &env).await;
    assert_eq!(reported.run.code, 1, "{}", reported.run.stdout);
    assert_eq!(
        reported.failed(),
        [pair("issueCard/run/late-replay", "late-replay")]
    );
    let youngest = reported.report["summary"]["late_replays"]["youngest_ms"]
        .as_u64()
        .unwrap();
    assert!(
        youngest >= 5000,
        "replayed at least 5 s later: {youngest} ms"
    );
    assert!(
        reported
            .run
            .stdout
            .contains("(asked: at least 5s old, past 128 successful requests with other keys)"),
        "{}",
        reported.run.stdout
    );
}

#[tokio::test]
async fn a_correct_implementation_answering_unknown_first_passes_both() {
    let defects = issue_card::Defects {
        unknown_first: true,
        ..Default::default()
    };
    let reported = issue_card_run(defects, &["--late-replay-after", "1s"]).await;
    assert_eq!(reported.run.code, 0, "{}", reported.run.stdout);
    for (case, check) in [
        ("issueCard/run/late-replay", "late-replay"),
        ("issueCard/run/unique", "unique"),
    ] {
        let outcome = reported.report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["case"] == case && r["check"] == check)
            .map(|r| r["outcome"].clone());
        assert_eq!(outcome, Some("pass".into()), "{case}");
    }
    let seen = &reported.report["summary"]["late_replays"];
    assert_eq!(seen["keys"], 8, "{seen}");
    assert_eq!(seen["remembered"], 8, "{seen}");
    assert!(seen["youngest_ms"].as_u64().unwrap() >= 1000, "{seen}");
    assert!(
        reported
            .run
            .stdout
            .contains("late replays 8 keys replayed "),
        "{}",
        reported.run.stdout
    );
}

async fn cards_api_run(defects: cards_api::Defects) -> Reported {
    let server = cards_api::serve(defects).await;
    let header = format!("Authorization: {}", cards_api::TOKEN);
    let args = ["--header", header.as_str()];
    verify("examples/cards-api", &server.uri(), &args, &[]).await
}

#[tokio::test]
async fn rest_ids_unique_per_tier_only_fail_unique_of_the_create() {
    let reported = cards_api_run(cards_api::Defects {
        ids_per_tier: true,
        ..Default::default()
    })
    .await;
    assert_eq!(reported.run.code, 1, "{}", reported.run.stdout);
    // Replays break too (the store is keyed by id, so a replay finds the other tier's card);
    // the shared id itself is what `unique` names.
    assert!(
        reported
            .failed()
            .contains(&pair("createCard/run/unique", "unique")),
        "{:?}",
        reported.failed()
    );
    let message = reported.message("createCard/run/unique", "unique");
    assert!(
        message.starts_with("/body/card/id \"card_0000000001\" was answered to ")
            && message.contains("requests with distinct Idempotency-Keys: "),
        "{message}"
    );
}

#[tokio::test]
async fn a_rest_memory_of_the_last_50_header_keys_fails_the_late_replay() {
    let reported = cards_api_run(cards_api::Defects {
        remember_last: Some(50),
        ..Default::default()
    })
    .await;
    assert_eq!(reported.run.code, 1, "{}", reported.run.stdout);
    assert_eq!(
        reported.failed(),
        [pair("createCard/run/late-replay", "late-replay")]
    );
    let message = reported.message("createCard/run/late-replay", "late-replay");
    assert!(
        message.contains("the late replay of Idempotency-Key ")
            && message.contains("/card/id \"card_"),
        "{message}"
    );
}

#[tokio::test]
async fn the_correct_rest_implementation_passes_unique_and_late_replay() {
    let reported = cards_api_run(cards_api::Defects::default()).await;
    assert_eq!(reported.run.code, 0, "{}", reported.run.stdout);
    assert!(reported.failed().is_empty());
    let message = reported.message("createCard/run/unique", "unique");
    assert!(message.is_empty(), "a pass: {message}");
}

#[tokio::test]
async fn serve_honours_both_and_its_memory_bound_is_what_late_replays_measure() {
    let honest = serve(&["contracts/platform/issue-card.json"]).await;
    let reported = verify(ISSUE_CARD, &honest.url, &["--late-replay-after", "1s"], &[]).await;
    assert_eq!(reported.run.code, 0, "{}", reported.run.stdout);
    let small = serve(&["contracts/platform/issue-card.json", "--key-capacity", "50"]).await;
    let reported = verify(ISSUE_CARD, &small.url, &[], &[]).await;
    assert_eq!(
        reported.failed(),
        [pair("issueCard/run/late-replay", "late-replay")],
        "50 keys per operation forget the first ones:\n{}",
        reported.run.stdout
    );
    let short = serve(&["contracts/platform/issue-card.json", "--key-ttl", "1s"]).await;
    let reported = verify(ISSUE_CARD, &short.url, &["--late-replay-after", "2s"], &[]).await;
    assert_eq!(
        reported.failed(),
        [pair("issueCard/run/late-replay", "late-replay")],
        "keys kept 1 s are forgotten 2 s later:\n{}",
        reported.run.stdout
    );
}

#[tokio::test]
async fn every_report_has_both_checks_and_says_how_old_the_replayed_keys_were() {
    let server = issue_card::serve(issue_card::Defects {
        same_card_no: true,
        ..Default::default()
    })
    .await;
    let uri = server.uri();
    let r = crate::verdicts::Rendered::of(&["--target", &uri, "--late-replay-after", "1s"]).await;
    assert_eq!(r.run.code, 1, "{}", r.run.stdout);
    r.assert_verdict(
        "NOT COMPATIBLE",
        &["late-replays-weakened", "snapshots-off"],
    );
    let evidence = "8 keys replayed ";
    let row = r.junit["scope.late_replays"].clone();
    assert!(row.starts_with(evidence) && row.contains("requests later: each got its first answer (asked: at least 1s old, past 128 successful requests with other keys)"), "{row}");
    assert!(
        r.markdown.contains(&format!("| Late replays | {evidence}")),
        "{}",
        r.markdown
    );
    assert!(
        r.html.contains("<dt>Late replays</dt><dd>8 keys replayed "),
        "html scope"
    );
    assert!(
        r.json["summary"]["late_replays"]["youngest_ms"]
            .as_u64()
            .unwrap()
            >= 1000
    );
    assert!(
        r.junit_text
            .contains("<testcase name=\"late-replay\" classname=\"issueCard/run/late-replay\"")
    );
    assert!(
        r.junit_text
            .contains("<testcase name=\"unique\" classname=\"issueCard/run/unique\"")
    );
    assert!(
        r.junit_text.contains(
            "<failure message=\"/body/cardNo &quot;011164508600000001&quot; was answered to "
        ),
        "{}",
        r.junit_text
    );
    assert!(
        r.markdown.contains("issueCard/run/unique"),
        "{}",
        r.markdown
    );
    assert!(r.html.contains("issueCard/run/unique"), "html");
}

#[tokio::test]
async fn late_replays_turned_off_make_the_run_partial_and_say_so() {
    let run = conform(&["verify", ISSUE_CARD, "--late-replays", "0"]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("late replays off (--late-replays 0)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  late-replay                      0       0       1\n"),
        "skipped, not passed: {}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("not complete: late replays turned off (--late-replays 0)"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_late_replay_age_that_is_not_a_duration_is_refused() {
    let run = conform(&["verify", ISSUE_CARD, "--late-replay-after", "soon"]).await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.is_empty(), "nothing ran: {}", run.stdout);
    assert!(run.stderr.contains("--late-replay-after"), "{}", run.stderr);
}
