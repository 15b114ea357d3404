//! The snapshot check's modes against a temporary snapshot folder.

use reqwest::header::HeaderValue;
use serde_json::{Value, json};

use super::*;
use crate::contract::tests::issue_card;
use crate::observe::Response;
use crate::observe::testing::response;
use crate::results::Outcome;

fn answer(body: Value) -> Response {
    let bytes = serde_json::to_vec(&body).unwrap();
    let mut answer = response(200, Some("application/json"), &bytes);
    answer.headers.insert(
        "response-time",
        HeaderValue::from_static("2026-11-28T10:00:00+08:00"),
    );
    answer
}

fn card(no: &str, message: &str) -> Response {
    answer(
        json!({"cardNo": no, "result": {"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": message}}),
    )
}

struct Fixture {
    dir: tempfile::TempDir,
    contract: Contract,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
            contract: issue_card(),
        }
    }

    fn run(&self, mode: Mode, observed: &Response, case_failed: bool) -> CheckResult {
        let snapshots = Snapshots {
            root: self.dir.path().to_path_buf(),
            mode,
        };
        let volatile = Volatile::default();
        let taken = Taken {
            contract: &self.contract,
            case: "issueCard/example/x",
            observed,
            volatile: &volatile,
            case_failed,
        };
        snapshots.check(&taken)
    }

    fn snapshot(&self) -> std::path::PathBuf {
        self.dir.path().join("issueCard/example/x.snap")
    }

    fn files(&self) -> usize {
        store::files_ending(self.dir.path(), "").unwrap().len()
    }
}

#[test]
fn new_mode_records_then_matches_regardless_of_card_number() {
    let f = Fixture::new();
    let first = f.run(Mode::New, &card("0111", "Success"), false);
    assert_eq!(first.outcome, Outcome::Recorded, "recorded is not passed");
    assert_eq!(first.wrote.as_deref(), Some(f.snapshot().as_path()));
    assert!(
        first
            .message()
            .ends_with("x.snap: no earlier snapshot to compare with"),
        "{}",
        first.message()
    );
    let text = std::fs::read_to_string(f.snapshot()).unwrap();
    assert!(text.contains("# case: issueCard/example/x\n"));
    assert!(text.contains("\"cardNo\": \"[cardNo]\""), "{text}");
    assert!(text.contains("content-type: application/json\n"), "{text}");
    assert_eq!(
        f.run(Mode::Check, &card("0999", "Success"), false).outcome,
        Outcome::Pass
    );
}

#[test]
fn drift_fails_with_a_diff_and_a_pending_file_outside_check_mode() {
    let f = Fixture::new();
    f.run(Mode::New, &card("1", "Success"), false);
    let drifted = card("2", "Issued");
    let result = f.run(Mode::New, &drifted, false);
    assert_eq!(result.outcome, Outcome::Fail);
    let diff = result.diff.as_deref().unwrap();
    assert!(
        diff.contains("-    \"resultMessage\": \"Success\",\n+    \"resultMessage\": \"Issued\","),
        "{diff}"
    );
    let changes: Vec<&str> = diff.lines().filter(|l| is_change(l)).collect();
    assert_eq!(
        changes.len(),
        2,
        "only the drift shows, never the card number: {diff}"
    );

    assert!(store::pending_for(&f.snapshot()).exists());
    assert_eq!(
        result.wrote.as_deref(),
        Some(store::pending_for(&f.snapshot()).as_path())
    );
}

#[test]
fn check_mode_touches_nothing_on_disk() {
    let f = Fixture::new();
    let result = f.run(Mode::Check, &card("1", "Success"), false);
    assert_eq!(result.outcome, Outcome::Skip);
    assert_eq!(f.files(), 0);
    f.run(Mode::New, &card("1", "Success"), false);
    let before = std::fs::read_to_string(f.snapshot()).unwrap();
    let result = f.run(Mode::Check, &card("1", "Changed"), false);
    assert_eq!(result.outcome, Outcome::Fail);
    assert!(result.message().contains("check mode: nothing written"));
    assert_eq!(f.files(), 1);
    assert_eq!(std::fs::read_to_string(f.snapshot()).unwrap(), before);
}

#[test]
fn broken_answers_are_never_written_in_any_mode() {
    let f = Fixture::new();
    for mode in [Mode::New, Mode::Update] {
        let result = f.run(mode, &card("1", "Success"), true);
        assert_eq!(result.outcome, Outcome::Skip, "{mode:?}");
        assert!(
            result
                .message()
                .starts_with("not recorded: the answer failed other checks")
        );
    }
    assert_eq!(f.files(), 0);
    f.run(Mode::New, &card("1", "Success"), false);
    let recorded = std::fs::read_to_string(f.snapshot()).unwrap();
    for mode in [Mode::New, Mode::Update] {
        let result = f.run(mode, &card("1", "Broken"), true);
        assert_eq!(result.outcome, Outcome::Fail, "{mode:?}");
        assert!(
            result
                .message()
                .contains("nothing written: the answer failed other checks")
        );
        assert_eq!(result.wrote, None);
    }
    assert_eq!(f.files(), 1, "no pending snapshot of a broken answer");
    assert_eq!(std::fs::read_to_string(f.snapshot()).unwrap(), recorded);
}

#[test]
fn update_rewrites_a_drifted_snapshot_as_recorded_with_its_diff() {
    let f = Fixture::new();
    f.run(Mode::New, &card("1", "Success"), false);
    let result = f.run(Mode::Update, &card("1", "Changed"), false);
    assert_eq!(result.outcome, Outcome::Recorded);
    assert!(
        result
            .diff
            .as_deref()
            .unwrap()
            .contains("+    \"resultMessage\": \"Changed\",")
    );
    assert!(
        std::fs::read_to_string(f.snapshot())
            .unwrap()
            .contains("Changed")
    );
    let same = f.run(Mode::Update, &card("2", "Changed"), false);
    assert_eq!(
        same.outcome,
        Outcome::Pass,
        "an unchanged answer was compared"
    );
}

#[test]
fn review_accepts_and_rejects_pending_snapshots() {
    let f = Fixture::new();
    f.run(Mode::New, &card("1", "Success"), false);
    f.run(Mode::New, &card("1", "Changed"), false);
    let pending = review::pending(f.dir.path(), None).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].case, "issueCard/example/x");
    assert!(
        review::diff(&pending[0])
            .unwrap()
            .contains("+    \"resultMessage\": \"Changed\",")
    );
    review::accept(&pending[0]).unwrap();
    assert!(
        std::fs::read_to_string(f.snapshot())
            .unwrap()
            .contains("Changed")
    );
    assert!(review::pending(f.dir.path(), None).unwrap().is_empty());
}

#[test]
fn orphans_are_snapshots_of_cases_that_no_longer_exist() {
    let f = Fixture::new();
    f.run(Mode::New, &card("1", "Success"), false);
    let known: std::collections::HashSet<String> = ["issueCard/example/x".to_string()].into();
    assert!(review::orphans(f.dir.path(), &known).unwrap().is_empty());
    assert_eq!(
        review::orphans(f.dir.path(), &Default::default()).unwrap(),
        vec![f.snapshot()]
    );
}

#[test]
fn default_mode_depends_on_target_and_ci() {
    assert_eq!(Mode::default_for(true, Some("true")), Mode::Off);
    assert_eq!(Mode::default_for(false, Some("true")), Mode::Check);
    assert_eq!(Mode::default_for(false, Some("false")), Mode::New);
    assert_eq!(Mode::default_for(false, None), Mode::New);
}
