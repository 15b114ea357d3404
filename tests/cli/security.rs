//! Security probes against independent implementations with one verification hole each: a
//! signed merchant (`merchant_impl`) and a REST API with a bearer token (`cards_api`). Every
//! hole is caught by the probe that targets it, with a message naming what was accepted; the
//! correct implementations and the embedded reference refuse every probe; and no key,
//! signature or token reaches the console or a report.

use std::path::Path;

use serde_json::Value;
use wiremock::MockServer;

use crate::generated::failure_block;
use crate::merchant_impl::{self, PLATFORM_CLIENT};
use crate::signing_support::{key, key_text, secret_lines};
use crate::util::{Run, conform};
use crate::{cards_api, util};

const MERCHANT: &str = "contracts/merchant";
const CARDS: &str = "examples/cards-api";

async fn merchant(defects: merchant_impl::Defects) -> MockServer {
    merchant_impl::serve(
        defects,
        &key_text("test_rsa2048_pub_spki.pem"),
        &key_text("merchant_rsa2048_pkcs8.pem"),
    )
    .await
}

/// A signed run of the merchant contracts' security probes matching `filter` against `target`.
async fn signed_probes(target: &str, filter: &str, extra: &[&str]) -> Run {
    let (private, public) = (
        key("test_rsa2048_pkcs8.pem"),
        key("merchant_rsa2048_pub_spki.pem"),
    );
    let mut args = vec![
        "verify",
        MERCHANT,
        "--target",
        target,
        "--client-id",
        PLATFORM_CLIENT,
        "--private-key",
        &private,
        "--public-key",
        &public,
        "--filter",
        filter,
    ];
    args.extend_from_slice(extra);
    conform(&args).await
}

/// `--report` arguments writing every format into `dir`, and the files they write.
fn all_reports(dir: &Path) -> (Vec<String>, Vec<std::path::PathBuf>) {
    let files: Vec<_> = ["json", "junit", "markdown", "html"]
        .iter()
        .map(|f| (f, dir.join(format!("report.{f}"))))
        .collect();
    let args = files
        .iter()
        .flat_map(|(f, p)| ["--report".to_string(), format!("{f}={}", p.display())])
        .collect();
    (args, files.into_iter().map(|(_, p)| p).collect())
}

/// Every value of `header` the server received.
async fn received(server: &MockServer, header: &str) -> Vec<String> {
    let requests = server.received_requests().await.expect("requests recorded");
    requests
        .iter()
        .flat_map(|r| r.headers.get_all(header).iter())
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

/// None of `secrets` appears in the run's output or in any of `files`.
fn assert_nothing_shown(run: &Run, files: &[std::path::PathBuf], secrets: &[String]) {
    let mut texts = vec![("stdout".to_string(), run.stdout.clone())];
    texts.push(("stderr".to_string(), run.stderr.clone()));
    for file in files {
        let text = std::fs::read_to_string(file).expect("the report is written");
        texts.push((file.display().to_string(), text));
    }
    for (place, text) in &texts {
        for secret in secrets.iter().filter(|s| s.len() >= 8) {
            assert!(!text.contains(secret.as_str()), "{place} shows `{secret}`");
        }
    }
}

/// The checks of a JSON report with this check name and outcome.
fn count(report: &Path, check: &str, outcome: &str) -> usize {
    let json: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    json["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["check"] == check && r["outcome"] == outcome)
        .count()
}

#[tokio::test]
async fn a_correct_signed_merchant_refuses_every_probe_and_nothing_secret_is_shown() {
    let server = merchant(merchant_impl::Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (reports, files) = all_reports(dir.path());
    let extra: Vec<&str> = reports.iter().map(String::as_str).collect();
    let run = signed_probes(&server.uri(), "*/security/*", &extra).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        count(&files[0], "security", "pass"),
        32,
        "8 probes x 4 APIs"
    );
    assert!(
        run.stdout.contains("security     signature probes"),
        "{}",
        run.stdout
    );
    let signatures: Vec<String> = received(&server, "signature")
        .await
        .iter()
        .filter_map(|h| h.split("signature=").nth(1).map(str::to_string))
        .collect();
    assert!(signatures.len() >= 32, "{signatures:?}");
    let mut secrets = signatures;
    secrets.extend(secret_lines("test_rsa2048_pkcs8.pem"));
    assert_nothing_shown(&run, &files, &secrets);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(crate::reports::schema_errors(&json), "");
    assert_eq!(json["run"]["scope"]["security"]["signature_probes"], true);
    let (valid, messages) = crate::reports::xmllint(&crate::reports::junit_xsd(), &files[1]);
    assert!(valid, "{messages}");
}

/// A merchant with `defect` fails the probe `case` with a message holding `fragment`.
async fn assert_signature_hole(defects: merchant_impl::Defects, case: &str, fragment: &str) {
    let server = merchant(defects).await;
    let contract = case.split('/').next().unwrap();
    let run = signed_probes(&server.uri(), &format!("{contract}/security/*"), &[]).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let block = failure_block(&run.stdout, case)
        .unwrap_or_else(|| panic!("`{case}` did not fail:\n{}", run.stdout));
    assert!(block.contains("security"), "{block}");
    assert!(block.contains(fragment), "`{fragment}` not in\n{block}");
}

macro_rules! signature_holes {
    ($($name:ident: $defect:ident => $case:literal, $fragment:literal;)*) => {
        mod signature_holes {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let defects = merchant_impl::Defects {
                        $defect: true,
                        ..merchant_impl::Defects::default()
                    };
                    assert_signature_hole(defects, $case, $fragment).await;
                }
            )*
        }
    };
}

signature_holes! {
    never_verifying_accepts_an_unsigned_request: signatures_not_verified
        => "inquireCardDetail/security/signature/unsigned",
           "accepted a request without a Signature header: expected F/ACCESS_DENIED, got HTTP 200, S/SUCCESS";
    never_verifying_accepts_a_tampered_body: signatures_not_verified
        => "notifyCardRegistration/security/signature/tampered-body",
           "accepted a body changed after it was signed (one byte of `customerId`)";
    never_verifying_looks_up_a_tampered_card_number: signatures_not_verified
        => "inquireMemberAssets/security/signature/tampered-body",
           "answered a body changed after it was signed (one byte of `cardNo`) with HTTP 200, F/CARD_NOT_EXIST \"no such card\", not the contract's rejection F/ACCESS_DENIED";
    letting_unsigned_requests_through_is_caught: unsigned_accepted
        => "updateCardDetail/security/signature/unsigned",
           "accepted a request without a Signature header";
    accepting_any_key_is_caught: any_key_accepted
        => "inquireCardDetail/security/signature/other-key",
           "accepted a signature made with another key (generated for this run)";
    verifying_a_reserialized_body_is_caught: body_reserialized_before_verifying
        => "notifyCardRegistration/security/signature/reformatted-body",
           "accepted the signed body sent reformatted (the same JSON, pretty-printed; a signature covers the bytes sent)";
    ignoring_the_client_id_is_caught: client_id_ignored
        => "inquireCardDetail/security/signature/other-client-id",
           "accepted a Client-Id other than the one signed";
    trusting_the_announced_algorithm_is_caught: algorithm_trusted
        => "inquireMemberAssets/security/signature/other-algorithm",
           "accepted a Signature announcing algorithm `none` instead of RSA256";
    keeping_the_key_of_a_refused_request_is_caught: key_recorded_before_verifying
        => "notifyCardRegistration/security/signature/unsigned",
           "the refused request was processed or kept: the valid request sent right afterwards (same requestId";
}

#[tokio::test]
async fn a_hole_fails_only_the_probes_that_target_it() {
    let defects = merchant_impl::Defects {
        unsigned_accepted: true,
        ..merchant_impl::Defects::default()
    };
    let server = merchant(defects).await;
    let run = signed_probes(&server.uri(), "inquireCardDetail/security/*", &[]).await;
    let failed: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FAIL "))
        .filter(|case| case.contains("/security/"))
        .collect();
    assert_eq!(
        failed,
        ["inquireCardDetail/security/signature/unsigned"],
        "{}",
        run.stdout
    );
}

/// The Cards API contracts' credential probes against the implementation with `defects`.
async fn credential_probes(server: &MockServer, extra: &[&str]) -> Run {
    let auth = format!("Authorization: {}", cards_api::TOKEN);
    let uri = server.uri();
    let mut args = vec!["verify", CARDS, "--target", &uri, "--header", &auth];
    args.extend_from_slice(&["--filter", "*/security/*"]);
    args.extend_from_slice(extra);
    conform(&args).await
}

#[tokio::test]
async fn a_correct_rest_api_refuses_missing_and_wrong_tokens_and_no_token_is_shown() {
    let server = cards_api::serve(cards_api::Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (reports, files) = all_reports(dir.path());
    let extra: Vec<&str> = reports.iter().map(String::as_str).collect();
    let run = credential_probes(&server, &extra).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        count(&files[0], "security", "pass"),
        8,
        "2 probes x 4 operations"
    );
    let tokens = received(&server, "authorization").await;
    let wrong: Vec<&String> = tokens.iter().filter(|t| *t != cards_api::TOKEN).collect();
    assert!(!wrong.is_empty(), "wrong tokens were sent: {tokens:?}");
    let mut secrets: Vec<String> = tokens.clone();
    secrets.extend(
        tokens
            .iter()
            .filter_map(|t| t.strip_prefix("Bearer ").map(str::to_string)),
    );
    assert_nothing_shown(&run, &files, &secrets);
}

async fn assert_credential_hole(defects: cards_api::Defects, case: &str, fragment: &str) {
    let server = cards_api::serve(defects).await;
    let run = credential_probes(&server, &[]).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let block = failure_block(&run.stdout, case)
        .unwrap_or_else(|| panic!("`{case}` did not fail:\n{}", run.stdout));
    assert!(block.contains(fragment), "`{fragment}` not in\n{block}");
    assert!(!block.contains("test-token"), "{block}");
}

#[tokio::test]
async fn a_rest_api_accepting_requests_without_a_token_is_caught() {
    let defects = cards_api::Defects {
        auth_not_enforced: true,
        ..cards_api::Defects::default()
    };
    let fragment =
        "accepted a request without `Authorization`: expected 401/unauthorized, got HTTP 201";
    assert_credential_hole(defects, "createCard/security/credentials/missing", fragment).await;
}

#[tokio::test]
async fn a_rest_api_accepting_any_token_is_caught() {
    let defects = cards_api::Defects {
        any_token_accepted: true,
        ..cards_api::Defects::default()
    };
    let fragment = "accepted a wrong `Authorization` (same form, other characters): expected 401/unauthorized, got HTTP 200";
    assert_credential_hole(defects, "getCard/security/credentials/wrong", fragment).await;
}

#[tokio::test]
async fn a_rest_api_creating_before_it_checks_the_token_is_caught() {
    let defects = cards_api::Defects {
        created_before_auth: true,
        ..cards_api::Defects::default()
    };
    // 409 while the refused create is still in flight, 422 after: either way, not a 201.
    let fragment = "the refused request was processed or kept: the valid request sent right afterwards (same Idempotency-Key, `nickname` as it was before the refused request changed it) got HTTP 4";
    assert_credential_hole(defects, "createCard/security/credentials/missing", fragment).await;
}

#[tokio::test]
async fn the_signed_self_test_refuses_every_signature_probe() {
    let private = key("test_rsa2048_pkcs8.pem");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let spec = format!("json={}", report.display());
    let args = [
        "verify",
        "--client-id",
        "TEST_5X00000000000000",
        "--private-key",
        &private,
        "--filter",
        "*/security/*",
        "--report",
        &spec,
    ];
    let run = conform(&args).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        count(&report, "security", "pass"),
        56,
        "8 probes x 7 contracts"
    );
}

#[tokio::test]
async fn the_signed_rest_self_test_refuses_credential_probes_marked_in_the_profile_too() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("target.json");
    let private = crate::util::root().join(key("test_rsa2048_pkcs8.pem"));
    let text = format!(
        r#"{{ "clientId": "TEST", "privateKey": {{ "file": "{}" }}, "headers": {{
        "Authorization": {{ "value": "Bearer self-test-0001", "secret": true }},
        "X-Api-Key": {{ "value": "key-0123456789", "credential": true }} }} }}"#,
        private.display()
    );
    std::fs::write(&profile, text).unwrap();
    let config = profile.display().to_string();
    let report = dir.path().join("report.json");
    let spec = format!("json={}", report.display());
    let args = [
        "verify",
        CARDS,
        "--target-config",
        &config,
        "--filter",
        "*/security/*",
        "--report",
        &spec,
    ];
    let run = conform(&args).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("credential probes (Authorization, X-Api-Key)"),
        "{}",
        run.stdout
    );
    // 6 credential probes for each of the 4 operations, 8 signature probes for the 2 with a
    // body and 6 (no tampered or reformatted body) for the 2 without.
    assert_eq!(count(&report, "security", "pass"), 24 + 16 + 12);
    assert_eq!(count(&report, "result-status", "fail"), 0);
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(json.contains("createCard/security/credentials/missing-x-api-key"));
    assert!(!json.contains("key-0123456789") && !run.stdout.contains("self-test-0001"));
}

#[tokio::test]
async fn probes_left_out_by_a_contract_are_in_the_certificate_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(util::root().join(util::ISSUE_CARD)).unwrap();
    let mut contract: Value = serde_json::from_str(&source).unwrap();
    contract["skip"] = serde_json::json!([{
        "cases": "issueCard/security/signature/other-*",
        "reason": "the gateway in front checks keys and paths; certified separately"
    }]);
    let file = dir.path().join("issue-card.json");
    std::fs::write(&file, serde_json::to_string_pretty(&contract).unwrap()).unwrap();
    let certificate = dir.path().join("certificate.md");
    let (path, spec) = (
        file.display().to_string(),
        format!("markdown={}", certificate.display()),
    );
    let private = key("test_rsa2048_pkcs8.pem");
    let args = [
        "verify",
        &path,
        "--client-id",
        "TEST",
        "--private-key",
        &private,
        "--filter",
        "*/security/*",
        "--report",
        &spec,
    ];
    let run = conform(&args).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("4 run of"), "{}", run.stdout);
    let text = std::fs::read_to_string(&certificate).unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with("| Security |"))
        .unwrap_or_else(|| panic!("no Security row:\n{text}"));
    assert!(row.contains("4 of issueCard left out by its skip"), "{row}");
    assert!(
        row.contains("the gateway in front checks keys and paths; certified separately"),
        "{row}"
    );
}

#[tokio::test]
async fn lint_warns_when_probes_are_left_out_without_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(util::root().join(util::ISSUE_CARD)).unwrap();
    let mut contract: Value = serde_json::from_str(&source).unwrap();
    contract["skip"] = serde_json::json!(["issueCard/security/*"]);
    let file = dir.path().join("issue-card.json");
    std::fs::write(&file, serde_json::to_string_pretty(&contract).unwrap()).unwrap();
    let run = conform(&["lint", &file.display().to_string()]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: skip pattern `issueCard/security/*` leaves out security probes of `issueCard` without a stated reason"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn probes_are_listed_and_selected_by_name() {
    let run = conform(&[
        "cases",
        util::ISSUE_CARD,
        "--security",
        "--filter",
        "*/security/*",
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("issueCard/security/signature/unsigned\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("security         8\n"),
        "{}",
        run.stdout
    );
    let unsigned = conform(&["verify", util::ISSUE_CARD, "--filter", "*/security/*"]).await;
    assert_eq!(unsigned.code, 2, "{}", unsigned.stdout);
    assert!(
        unsigned
            .stderr
            .contains("no case matches --filter `*/security/*`"),
        "{}",
        unsigned.stderr
    );
}
