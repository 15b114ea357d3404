//! `verify --batch N`: a suite larger than a batch is compiled and run one batch at a time, as
//! one run. Judged against an independent implementation with a planted defect: the batched
//! run finds what the whole run finds, contracts that work together (the Cards API's create,
//! read, change and delete of one resource; applyToken issuing the access token
//! inquiryUserInfo takes) stay in one batch, and a batched run's shards merge into it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cards_api::{self, Defects, TOKEN};
use crate::reports::schema_errors;
use crate::util::{Run, conform, root};

/// The Cards API (four contracts on one resource), the platform's token pair and the four
/// merchant contracts: six batches at `--batch 1`.
fn suite(dir: &Path) -> PathBuf {
    let suite = dir.join("suite");
    std::fs::create_dir_all(&suite).unwrap();
    let files = ["examples/cards-api", "contracts/merchant"]
        .iter()
        .flat_map(|folder| std::fs::read_dir(root().join(folder)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            name.ends_with(".json") && !name.ends_with(".scenario.json")
        })
        .chain(
            ["apply-token.json", "inquiry-user-info.json"]
                .iter()
                .map(|f| root().join("contracts/platform").join(f)),
        );
    for file in files {
        std::fs::copy(&file, suite.join(file.file_name().unwrap())).unwrap();
    }
    suite
}

/// The Cards API reading back the first card made whatever id it is asked for: only a flow,
/// creating with one contract and reading with another, can tell.
async fn defective_cards_api() -> wiremock::MockServer {
    cards_api::serve(Defects {
        read_returns_first_card: true,
        ..Defects::default()
    })
    .await
}

async fn verify(suite: &Path, target: &str, report: &Path, extra: &[&str]) -> Run {
    let report = format!("json={}", report.display());
    let auth = format!("Authorization: {TOKEN}");
    let mut args = vec![
        "verify",
        suite.to_str().unwrap(),
        "--target",
        target,
        "--header",
        &auth,
        "--report",
        &report,
    ];
    args.extend_from_slice(extra);
    conform(&args).await
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Each result as (case, check, failed or not), sorted: a batched run orders its run-wide
/// cases after each batch. Whether a check that did not fail passed or was skipped can turn on
/// timing (of concurrent requests with one key, those answered while the first is in flight
/// have nothing to compare), so only failing is compared.
fn results(report: &Value) -> Vec<(String, String, String)> {
    let mut all: Vec<_> = (report["results"].as_array().unwrap().iter())
        .map(|r| {
            let text = |key: &str| r[key].as_str().unwrap_or_default().to_string();
            let outcome = match text("outcome").as_str() {
                "fail" => "fail",
                _ => "did not fail",
            };
            (text("case"), text("check"), outcome.to_string())
        })
        .collect();
    all.sort();
    all
}

/// The results of `got` and `want` are the same; when not, the differing ones are named.
fn assert_same_results(got: &Value, want: &Value) {
    let (got, want) = (results(got), results(want));
    let only = |a: &[(String, String, String)], b: &[(String, String, String)]| {
        a.iter()
            .filter(|r| !b.contains(r))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(
        got == want,
        "only in the batched run: {:?}\nonly in the whole run: {:?}",
        only(&got, &want),
        only(&want, &got)
    );
}

/// The suite ran at `--batch 1` in six batches: the four Cards API contracts in one, the token
/// pair in one, each merchant contract alone.
fn assert_six_batches(stderr: &str) {
    let note = "note: 10 contracts run in 6 batches of about 1 (--batch)";
    assert!(stderr.contains(note), "{stderr}");
}

fn counts(report: &Value) -> Vec<u64> {
    let summary = &report["summary"];
    let count = |key: &str| summary[key].as_u64().unwrap_or_else(|| panic!("{key}"));
    vec![
        count("passed") + count("skipped"),
        count("failed"),
        count("cases"),
        count("failed_cases"),
        count("planned"),
    ]
}

#[tokio::test]
async fn a_suite_run_in_batches_finds_what_the_whole_run_finds() {
    let (server, work) = (defective_cards_api().await, tempfile::tempdir().unwrap());
    let suite = suite(work.path());
    let (whole, batched) = (work.path().join("whole.json"), work.path().join("b.json"));

    let one = verify(&suite, &server.uri(), &whole, &[]).await;
    let many = verify(&suite, &server.uri(), &batched, &["--batch", "1"]).await;

    assert_eq!(one.code, 1, "{}", one.transcript());
    assert_eq!(many.code, 1, "{}", many.transcript());
    assert!(!one.stderr.contains("batches"), "{}", one.stderr);
    assert_six_batches(&many.stderr);
    let (whole, batched) = (json(&whole), json(&batched));
    assert_same_results(&batched, &whole);
    assert_eq!(counts(&batched), counts(&whole));
    assert_eq!(batched["verdict"], whole["verdict"]);
    // The defect shows only when a card created by one contract is read by another.
    let caught = results(&batched)
        .into_iter()
        .any(|(case, _, outcome)| case.starts_with("card/flow/") && outcome == "fail");
    assert!(caught, "the planted defect is caught in the batched run");
    let contracts = |report: &Value| {
        let mut names: Vec<String> = (report["run"]["contracts"].as_array().unwrap().iter())
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    assert_eq!(contracts(&batched), contracts(&whole));
    assert_eq!(
        batched["run"]["scope"]["batches"],
        serde_json::json!({"size": 1, "count": 6})
    );
    assert_eq!(whole["run"]["scope"].get("batches"), None);
    assert_eq!(
        schema_errors(&batched),
        "",
        "the batched report breaks its schema"
    );
    assert!(
        many.stdout.contains(
            "batches      6 batches of about 1 contracts (--batch 1), run one after the other"
        ),
        "{}",
        many.stdout
    );
}

#[tokio::test]
async fn the_shards_of_a_batched_run_merge_into_it_result_for_result() {
    let (server, work) = (defective_cards_api().await, tempfile::tempdir().unwrap());
    let suite = suite(work.path());
    let whole = work.path().join("whole.json");
    let run = verify(&suite, &server.uri(), &whole, &["--batch", "2"]).await;
    assert_eq!(run.code, 1, "{}", run.transcript());
    let mut shards = Vec::new();
    for k in 1..=3 {
        let report = work.path().join(format!("shard-{k}.json"));
        let partition = format!("{k}/3");
        let args = ["--batch", "2", "--partition", partition.as_str()];
        let shard = verify(&suite, &server.uri(), &report, &args).await;
        assert!(shard.code <= 1, "{}", shard.transcript());
        shards.push(report.display().to_string());
    }
    let merged = work.path().join("merged.json");
    let merged_report = format!("json={}", merged.display());
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["--report", merged_report.as_str()]);
    let merge = conform(&args).await;
    assert_eq!(merge.code, 1, "{}", merge.transcript());
    let (whole, merged) = (json(&whole), json(&merged));
    let in_order = |report: &Value| -> Vec<(String, bool)> {
        (report["results"].as_array().unwrap().iter())
            .filter(|r| !r["case"].as_str().unwrap().contains("/run/"))
            .map(|r| {
                let text = |key: &str| r[key].as_str().unwrap_or_default().to_string();
                (text("case"), text("outcome") == "fail")
            })
            .collect()
    };
    assert_eq!(in_order(&merged), in_order(&whole));
    assert_eq!(counts(&merged), counts(&whole));
    assert_eq!(merged["verdict"]["verdict"], whole["verdict"]["verdict"]);
}

#[tokio::test]
async fn shards_cut_into_other_batches_are_refused_by_the_merge() {
    let (server, work) = (defective_cards_api().await, tempfile::tempdir().unwrap());
    let suite = suite(work.path());
    let mut shards = Vec::new();
    for (k, batch) in [(1, "1"), (2, "2")] {
        let report = work.path().join(format!("shard-{k}.json"));
        let partition = format!("{k}/2");
        let args = ["--batch", batch, "--partition", partition.as_str()];
        let shard = verify(&suite, &server.uri(), &report, &args).await;
        assert!(shard.code <= 1, "{}", shard.transcript());
        shards.push(report.display().to_string());
    }
    let merged = work.path().join("merged.json");
    let report = format!("json={}", merged.display());
    let merge = conform(&["merge", &shards[0], &shards[1], "--report", &report]).await;
    assert_eq!(merge.code, 2, "{}", merge.transcript());
    assert!(merge.stderr.contains("scope.batches"), "{}", merge.stderr);
    assert!(
        !merged.exists(),
        "nothing is written for shards that do not fit"
    );
}

#[tokio::test]
async fn a_batch_of_zero_contracts_is_refused() {
    let run = conform(&["verify", "--batch", "0"]).await;
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        run.stderr
            .contains("expected a number of contracts, 1 or more, got `0`"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn contracts_that_work_together_run_in_one_batch_of_the_embedded_target() {
    let work = tempfile::tempdir().unwrap();
    let suite = suite(work.path());
    let (whole, batched) = (work.path().join("whole.json"), work.path().join("b.json"));
    let report = |path: &Path| format!("json={}", path.display());
    let dir = suite.to_str().unwrap();
    let one = conform(&["verify", dir, "--report", &report(&whole)]).await;
    let many = conform(&["verify", dir, "--batch", "1", "--report", &report(&batched)]).await;
    assert_eq!(one.code, 0, "{}", one.transcript());
    assert_eq!(many.code, 0, "{}", many.transcript());
    assert_six_batches(&many.stderr);
    let (whole, batched) = (json(&whole), json(&batched));
    assert_same_results(&batched, &whole);
    let flows = results(&batched)
        .iter()
        .filter(|(case, _, _)| case.starts_with("card/flow/"))
        .count();
    assert!(flows > 0, "the Cards API's flows ran in its batch");
}
