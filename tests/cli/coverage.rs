//! Coverage against the independent issueCard implementation: the statuses and codes it never
//! produces are listed exactly, every answer counts (settle tries included), and
//! `--require-coverage` fails the run when the evidence does not reach it.

use serde_json::Value;

use crate::issue_card::{self, Defects};
use crate::util::{ISSUE_CARD, conform};

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// The issueCard coverage of a run against the implementation with `defects`.
async fn coverage(defects: Defects, extra: &[&str]) -> (i32, String, Value) {
    let server = issue_card::serve(defects).await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let report = format!("json={}", json.display());
    let uri = server.uri();
    let mut args = vec!["verify", ISSUE_CARD, "--target", &uri];
    args.extend(["--report", &report]);
    args.extend(extra);
    let run = conform(&args).await;
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let coverage = report["summary"]["coverage"]["contracts"][0].clone();
    (run.code, run.stdout, coverage)
}

#[tokio::test]
async fn coverage_lists_exactly_the_statuses_and_codes_never_produced() {
    let (code, stdout, coverage) = coverage(Defects::default(), &[]).await;
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(coverage["contract"], "issueCard");
    assert_eq!(strings(&coverage["statuses"]["missing"]), ["U"]);
    assert_eq!(
        strings(&coverage["codes"]["missing"]),
        [
            "UNKNOWN_EXCEPTION",
            "PROCESS_FAIL",
            "INVALID_API",
            "ACCESS_DENIED",
            "REQUEST_TRAFFIC_EXCEED_LIMIT",
            "EXPIRED_ACCESS_TOKEN"
        ]
    );
    assert_eq!(strings(&coverage["fields"]["missing"]), ["/extendInfo"]);
    assert!(
        stdout.contains(
            "issueCard                 statuses 2/3 · codes 3/9 · fields 5/6 · http-statuses 1/1"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("never observed: statuses: U; codes: UNKNOWN_EXCEPTION"),
        "{stdout}"
    );
}

#[tokio::test]
async fn answers_that_settle_count_as_observed() {
    let defects = Defects {
        unknown_first: true,
        ..Defects::default()
    };
    let (_, stdout, coverage) = coverage(defects, &["--filter", "issueCard/example/*"]).await;
    // Only the example ran, a success: F was never asked for, U came from the settle tries.
    assert_eq!(strings(&coverage["statuses"]["missing"]), ["F"], "{stdout}");
    assert!(!strings(&coverage["codes"]["missing"]).contains(&"UNKNOWN_EXCEPTION"));
}

#[tokio::test]
async fn an_unreached_coverage_gate_fails_the_run_naming_what_was_never_seen() {
    let (code, stdout, _) = coverage(
        Defects::default(),
        &[
            "--require-coverage",
            "codes=SUCCESS,ACCESS_DENIED",
            "--require-coverage",
            "statuses",
        ],
    )
    .await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(
            "NOT reached, never observed: issueCard: code ACCESS_DENIED, issueCard: status U"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("\nPARTIAL "), "{stdout}");
    let (code, stdout, _) = coverage(
        Defects::default(),
        &["--require-coverage", "codes=SUCCESS,PARAM_ILLEGAL"],
    )
    .await;
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("--require-coverage codes=SUCCESS,PARAM_ILLEGAL: reached"),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_coverage_gate_naming_an_undeclared_code_is_invalid_input() {
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--require-coverage",
        "codes=CARD_NOT_EXSIT",
    ])
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no contract of the run declares code CARD_NOT_EXSIT"),
        "{}",
        run.stderr
    );
    let bad = conform(&["verify", ISSUE_CARD, "--require-coverage", "everything"]).await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("expected all, statuses, codes"),
        "{}",
        bad.stderr
    );
}

#[tokio::test]
async fn the_refusals_of_security_probes_count_as_observed() {
    // A signed run against the embedded reference: its security probes are refused with
    // F/ACCESS_DENIED, which no other case asks for.
    let key = crate::signing_support::key("test_rsa2048_pkcs8.pem");
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--client-id",
        "TEST",
        "--private-key",
        &key,
        "--filter",
        "issueCard/security/*",
        "--require-coverage",
        "codes=ACCESS_DENIED",
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("--require-coverage codes=ACCESS_DENIED: reached"),
        "{}",
        run.stdout
    );
}
