//! Scenario files against independent implementations: the Cards API scenarios
//! (`examples/cards-api/cards.scenario.json`, written from `API.md`) against the hand-written
//! REST implementation of `cards_api.rs`, and the platform's tokens scenarios against
//! `platform_impl.rs`. Every planted defect that only a sequence of calls shows is caught and
//! named by its scenario and step; the correct implementations pass with no false alarm.

use serde_json::Value;

use crate::reports::schema_errors;
use crate::util::{Run, conform};
use crate::{cards_api, platform_impl};

const CARDS: &str = "examples/cards-api";
const PLATFORM: [&str; 3] = [
    "contracts/platform/apply-token.json",
    "contracts/platform/inquiry-user-info.json",
    "contracts/platform/tokens.scenario.json",
];

/// A run and its JSON report.
struct Verified {
    run: Run,
    report: Value,
}

impl Verified {
    /// The failed checks of `case`: (check, message).
    fn failed(&self, case: &str) -> Vec<(String, String)> {
        self.results(case)
            .filter(|r| r["outcome"] == "fail")
            .map(|r| (text(&r["check"]), text(&r["message"])))
            .collect()
    }

    fn results<'a>(&'a self, case: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        let all = self.report["results"].as_array().unwrap();
        all.iter().filter(move |r| r["case"] == case)
    }

    /// The steps the report gives for `case`.
    fn steps(&self, case: &str) -> Vec<Value> {
        self.results(case)
            .find_map(|r| r["steps"].as_array().cloned())
            .unwrap_or_default()
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

async fn verify(paths: &[&str], target: &str, extra: &[&str]) -> Verified {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let spec = format!("json={}", report.display());
    let mut args = vec!["verify"];
    args.extend_from_slice(paths);
    args.extend_from_slice(&["--target", target, "--report", &spec]);
    args.extend_from_slice(extra);
    let run = conform(&args).await;
    let text = std::fs::read_to_string(&report).expect("the JSON report is written");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(schema_errors(&report), "", "the report breaks its schema");
    Verified { run, report }
}

async fn cards(defects: cards_api::Defects) -> Verified {
    let server = cards_api::serve(defects).await;
    let auth = format!("Authorization: {}", cards_api::TOKEN);
    verify(&[CARDS], &server.uri(), &["--header", &auth]).await
}

async fn platform(defects: platform_impl::Defects) -> Verified {
    let server = platform_impl::serve(defects).await;
    verify(&PLATFORM, &server.uri(), &[]).await
}

#[tokio::test]
async fn a_correct_cards_implementation_passes_every_scenario_with_its_steps_reported() {
    let verified = cards(cards_api::Defects::default()).await;
    assert_eq!(verified.run.code, 0, "{}", verified.run.stdout);
    for case in [
        "cards/scenario/card-lifecycle",
        "cards/scenario/location-leads-to-the-card",
        "cards/scenario/unknown-card",
    ] {
        let checks: Vec<String> = verified.results(case).map(|r| text(&r["check"])).collect();
        assert!(
            checks.contains(&"scenario".to_string()),
            "{case}: {checks:?}"
        );
        assert!(
            checks.contains(&"response-schema".to_string()),
            "{case}: {checks:?}"
        );
    }
    let steps = verified.steps("cards/scenario/card-lifecycle");
    let answers: Vec<String> = steps.iter().map(|s| text(&s["answer"])).collect();
    assert_eq!(answers.len(), 6, "{answers:?}");
    assert!(answers[0].starts_with("HTTP 201"), "{answers:?}");
    assert!(answers[4].starts_with("HTTP 204"), "{answers:?}");
    assert!(
        answers[5].starts_with("HTTP 404, 404/card_not_found"),
        "{answers:?}"
    );
    assert_eq!(text(&steps[1]["step"]), "step 2 (read)");
    assert!(
        text(&steps[1]["request"]).starts_with("GET /v1/cards/card_"),
        "{steps:?}"
    );
}

/// `defect` fails the run and `check` of `case` with a message holding every one of `fragments`.
async fn assert_caught(verified: Verified, case: &str, check: &str, fragments: &[&str]) {
    assert_eq!(verified.run.code, 1, "{}", verified.run.stdout);
    let failed = verified.failed(case);
    let (_, message) = failed
        .iter()
        .find(|(c, _)| c == check)
        .unwrap_or_else(|| panic!("no failed {check} for {case}: {failed:#?}"));
    for fragment in fragments {
        assert!(message.contains(fragment), "{message}\nlacks: {fragment}");
    }
    assert!(
        verified.run.stdout.contains(&format!("FAIL {case}\n")),
        "{}",
        verified.run.stdout
    );
}

macro_rules! cards_caught {
    ($($name:ident: $defect:ident => $case:literal, $check:literal, [$($fragment:literal),*];)*) => {
        mod cards_caught {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let defects = cards_api::Defects { $defect: true, ..Default::default() };
                    assert_caught(cards(defects).await, $case, $check, &[$($fragment),*]).await;
                }
            )*
        }
    };
}

cards_caught! {
    a_read_answering_another_card: read_returns_first_card
        => "cards/scenario/card-lifecycle", "scenario",
        ["step 2 (read): /body/card/id: expected \"{{cardId}}\" (cardId = \"card_", "got \"card_0000000001\""];
    an_update_not_visible_in_the_next_read: update_not_stored
        => "cards/scenario/card-lifecycle", "scenario",
        ["step 4 (read-upgraded): /body/card/tier: expected \"gold\", got \"bronze\""];
    an_update_that_loses_the_fields_not_sent: update_forgets_unsent_fields
        => "cards/scenario/card-lifecycle", "scenario",
        ["step 4 (read-upgraded): /body/card/nickname: expected \"Lifecycle card\", got absent"];
    a_deleted_card_still_readable: delete_not_effective
        => "cards/scenario/card-lifecycle", "expectation",
        ["step 6 (read-deleted): expected 404/card_not_found, got HTTP 200", "sent /path/cardId = \"{{cardId}}\""];
    a_server_error_on_an_unknown_card: server_error_on_unknown_card
        => "cards/scenario/unknown-card", "expectation",
        ["step 1 (read): expected 404/card_not_found, got HTTP 500"];
    a_location_naming_another_card: location_names_another_card
        => "cards/scenario/card-lifecycle", "scenario",
        ["step 1 (create): /headers/Location: expected \"/v1/cards/{{cardId}}\""];
}

#[tokio::test]
async fn a_location_leading_to_another_card_fails_the_step_that_follows_it() {
    let defects = cards_api::Defects {
        location_names_another_card: true,
        ..Default::default()
    };
    let verified = cards(defects).await;
    let case = "cards/scenario/location-leads-to-the-card";
    // The card the Location names may have been deleted by another case meanwhile: the step
    // then fails its expected status rather than the id it expects.
    let failed = verified.failed(case);
    assert!(
        failed.iter().any(|(check, message)| {
            message.starts_with("step 2 (read-location): ")
                && (check == "scenario" && message.contains("expected \"{{createdId}}\"")
                    || check == "expectation" && message.contains("got HTTP 404"))
        }),
        "{failed:#?}"
    );
}

#[tokio::test]
async fn a_failed_scenario_shows_every_step_with_its_answer_in_the_console() {
    let defects = cards_api::Defects {
        delete_not_effective: true,
        ..Default::default()
    };
    let verified = cards(defects).await;
    let stdout = &verified.run.stdout;
    let failure = stdout
        .split("FAIL cards/scenario/card-lifecycle\n")
        .nth(1)
        .expect("the scenario fails");
    let lines: Vec<&str> = failure.lines().take_while(|l| !l.is_empty()).collect();
    let steps: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("    step "))
        .collect();
    assert_eq!(steps.len(), 6, "{failure}");
    assert!(
        steps[4].contains("step 5 (delete): DELETE /v1/cards/card_"),
        "{failure}"
    );
    assert!(steps[5].contains("→ HTTP 200"), "{failure}");
    assert!(
        lines
            .iter()
            .any(|l| l.trim_start().starts_with("captured cardId = \"card_")),
        "{failure}"
    );
}

#[tokio::test]
async fn every_report_format_lists_a_failed_scenarios_steps_and_merged_shards_keep_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let defects = cards_api::Defects {
        update_not_stored: true,
        ..Default::default()
    };
    let server = cards_api::serve(defects).await;
    let (uri, auth) = (server.uri(), format!("Authorization: {}", cards_api::TOKEN));
    let mut shards = Vec::new();
    for k in ["1/2", "2/2"] {
        let json = file(&format!("shard-{}.json", &k[..1]));
        let mut args = vec!["verify", CARDS, "--target", &uri, "--header", &auth];
        let reports = [
            format!("json={json}"),
            format!("markdown={}", file(&format!("shard-{}.md", &k[..1]))),
            format!("html={}", file(&format!("shard-{}.html", &k[..1]))),
            format!("junit={}", file(&format!("shard-{}.xml", &k[..1]))),
        ];
        for report in &reports {
            args.extend_from_slice(&["--report", report]);
        }
        args.extend_from_slice(&["--partition", k]);
        conform(&args).await;
        shards.push(json);
    }
    let step = "step 4 (read-upgraded): GET /v1/cards/card_";
    let holding: Vec<String> = ["md", "html", "xml"]
        .iter()
        .flat_map(|ext| ["1", "2"].map(|k| file(&format!("shard-{k}.{ext}"))))
        .map(|path| std::fs::read_to_string(path).unwrap())
        .filter(|text| text.contains("card-lifecycle"))
        .collect();
    assert_eq!(
        holding.len(),
        3,
        "one shard of each format runs the scenario"
    );
    for text in &holding {
        assert!(text.contains(step), "{text}");
    }
    let merged = file("merged.md");
    let run = conform(&[
        "merge",
        &shards[0],
        &shards[1],
        "--report",
        &format!("markdown={merged}"),
    ])
    .await;
    assert_eq!(run.code, 1, "{}", run.transcript());
    let certificate = std::fs::read_to_string(&merged).unwrap();
    assert!(certificate.contains("Steps:"), "{certificate}");
    assert!(certificate.contains(step), "{certificate}");
    assert!(run.stdout.contains(step), "{}", run.stdout);
}

#[tokio::test]
async fn a_correct_platform_passes_the_token_scenarios() {
    let verified = platform(platform_impl::Defects::default()).await;
    assert_eq!(verified.run.code, 0, "{}", verified.run.stdout);
    for case in [
        "tokens/scenario/token-opens-user-info",
        "tokens/scenario/auth-code-works-once",
    ] {
        assert_eq!(verified.results(case).count(), 7, "{case}: every check ran");
        assert!(verified.failed(case).is_empty(), "{case}");
    }
}

#[tokio::test]
async fn a_second_exchange_of_an_auth_code_that_succeeds_is_caught() {
    let defects = platform_impl::Defects {
        auth_code_reusable: true,
        ..Default::default()
    };
    let verified = platform(defects).await;
    let fragments = [
        "step 2 (exchange-again): expected F/EXPIRED_CODE, got HTTP 200, S/SUCCESS",
        "sent /body/authCode = \"{{code}}\" (code = ",
        "characters, secret) from step 1 (exchange))",
    ];
    let case = "tokens/scenario/auth-code-works-once";
    assert_caught(verified, case, "expectation", &fragments).await;
}

#[tokio::test]
async fn a_second_refresh_with_one_refresh_token_that_succeeds_is_caught() {
    let defects = platform_impl::Defects {
        refresh_token_reusable: true,
        ..Default::default()
    };
    let verified = platform(defects).await;
    let fragments = [
        "step 2 (refresh-again): expected F/USED_REFRESH_TOKEN, got HTTP 200, S/SUCCESS",
        "sent /body/refreshToken = \"{{refresh}}\" (refresh = ",
    ];
    let case = "tokens/scenario/refresh-token-works-once";
    assert_caught(verified, case, "expectation", &fragments).await;
}

#[tokio::test]
async fn an_issued_token_refused_is_caught_and_the_token_is_never_printed() {
    let defects = platform_impl::Defects {
        issued_tokens_forgotten: true,
        ..Default::default()
    };
    let verified = platform(defects).await;
    let issued = regex::Regex::new(r"2810100\d{8}AB2F588D14B432386372").unwrap();
    let report = verified.report.to_string();
    assert!(
        !issued.is_match(&verified.run.stdout),
        "{}",
        verified.run.stdout
    );
    assert!(!issued.is_match(&report), "{report}");
    let steps = verified.steps("tokens/scenario/token-opens-user-info");
    assert_eq!(
        steps[0]["captured"][0], "token = 2810… (35 characters, secret)",
        "{steps:?}"
    );
    let fragments = [
        "step 2 (profile): expected S/SUCCESS, got HTTP 200, F/INVALID_ACCESS_TOKEN",
        "sent /body/accessToken = \"{{token}}\" (token = 2810… (35 characters, secret) from step 1 (exchange))",
    ];
    let case = "tokens/scenario/token-opens-user-info";
    assert_caught(verified, case, "expectation", &fragments).await;
}

#[tokio::test]
async fn scenario_cases_are_chosen_by_name_like_any_case() {
    let listed = conform(&["cases", CARDS, "--filter", "*/scenario/*"]).await;
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        listed.stdout.starts_with(
            "cards/scenario/card-lifecycle\ncards/scenario/location-leads-to-the-card\ncards/scenario/unknown-card\n\n"
        ),
        "{}",
        listed.stdout
    );
    assert!(
        listed.stdout.contains("\nscenario         3\n"),
        "{}",
        listed.stdout
    );
    let typo = conform(&["cases", CARDS, "--filter", "cards/scenario/card-lifecycel"]).await;
    assert_eq!(typo.code, 2, "{}", typo.stdout);
    let mut shards = Vec::new();
    for shard in ["1/2", "2/2"] {
        shards.push(
            conform(&["cases", CARDS, "--partition", shard])
                .await
                .stdout,
        );
    }
    let holding = |case: &str| shards.iter().filter(|s| s.contains(case)).count();
    assert_eq!(holding("cards/scenario/unknown-card\n"), 1);
}

#[tokio::test]
async fn a_scenario_failure_in_the_baseline_is_known_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    let defects = cards_api::Defects {
        server_error_on_unknown_card: true,
        ..Default::default()
    };
    let first = cards(defects).await;
    assert_eq!(first.run.code, 1);
    let server = cards_api::serve(defects).await;
    let auth = format!("Authorization: {}", cards_api::TOKEN);
    let args = ["--header", &auth, "--baseline", baseline];
    let recorded = verify(&[CARDS], &server.uri(), &args).await;
    assert_eq!(recorded.run.code, 0, "{}", recorded.run.stdout);
    let again = verify(&[CARDS], &server.uri(), &args).await;
    assert_eq!(again.run.code, 0, "{}", again.run.stdout);
    assert!(
        again
            .run
            .stdout
            .contains("KNOWN cards/scenario/unknown-card\n"),
        "{}",
        again.run.stdout
    );
}

#[tokio::test]
async fn each_step_has_its_own_snapshot_with_captured_values_redacted_and_no_drift() {
    let dir = tempfile::tempdir().unwrap();
    let snapshots = dir.path().to_str().unwrap();
    let server = cards_api::serve(cards_api::Defects::default()).await;
    let auth = format!("Authorization: {}", cards_api::TOKEN);
    let mut args = vec![
        "--header",
        &auth,
        "--snapshot-dir",
        snapshots,
        "--filter",
        "cards/*",
    ];
    args.extend_from_slice(&["--snapshots", "new"]);
    let first = verify(&[CARDS], &server.uri(), &args).await;
    assert_eq!(first.run.code, 0, "{}", first.run.stdout);
    let read = dir.path().join("cards/scenario/card-lifecycle/read.snap");
    let snapshot = std::fs::read_to_string(&read).expect("each step has its snapshot");
    assert!(snapshot.contains("\"id\": \"[cardId]\""), "{snapshot}");
    assert!(snapshot.contains("\"tier\": \"bronze\""), "{snapshot}");
    assert!(
        dir.path()
            .join("cards/scenario/card-lifecycle/read-deleted.snap")
            .exists()
    );
    *args.last_mut().unwrap() = "check";
    let second = verify(&[CARDS], &server.uri(), &args).await;
    assert_eq!(second.run.code, 0, "{}", second.run.stdout);
    let snapshot_rows: Vec<String> = second
        .results("cards/scenario/card-lifecycle")
        .filter(|r| r["check"] == "snapshot")
        .map(|r| text(&r["outcome"]))
        .collect();
    assert_eq!(snapshot_rows, ["pass"]);
}
