//! The merchant direction: conform plays the platform and certifies a merchant's four APIs in
//! one run, signing as the platform with the platform's key and checking the merchant's signed
//! answers with the merchant's public key. The merchant is an independent implementation
//! (`merchant_impl`); a correct one gets one certificate with one verdict, and each planted
//! defect fails the run naming the case that caught it.

use serde_json::Value;

use crate::merchant_impl::{Defects, serve};
use crate::signing_support::{key, key_text};
use crate::util::conform;

const MERCHANT: &str = "contracts/merchant";
use crate::merchant_impl::PLATFORM_CLIENT;

async fn merchant(defects: Defects) -> wiremock::MockServer {
    serve(
        defects,
        &key_text("test_rsa2048_pub_spki.pem"),
        &key_text("merchant_rsa2048_pkcs8.pem"),
    )
    .await
}

/// `verify contracts/merchant` against `target`, signing as the platform and checking answers
/// with `answer_key`, then `extra`.
async fn certify(target: &str, answer_key: &str, extra: &[&str]) -> crate::util::Run {
    let (private, public) = (key("test_rsa2048_pkcs8.pem"), key(answer_key));
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
    ];
    args.extend_from_slice(extra);
    conform(&args).await
}

#[tokio::test]
async fn a_merchant_certificate_comes_from_one_signed_run_with_one_verdict() {
    let server = merchant(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let snapshots = dir.path().join("snapshots").display().to_string();
    // Late replays as a gate runs them (the tests' default replays keys at once).
    let late = ["--late-replay-after", "5s"];
    let record = [
        "--snapshots",
        "new",
        "--snapshot-dir",
        &snapshots,
        late[0],
        late[1],
    ];
    let first = certify(&server.uri(), "merchant_rsa2048_pub_spki.pem", &record).await;
    assert_eq!(first.code, 0, "{}", first.stdout);

    let certificate = dir.path().join("certificate.md");
    let report = dir.path().join("report.json");
    let (md, json) = (
        format!("markdown={}", certificate.display()),
        format!("json={}", report.display()),
    );
    let check = [
        "--snapshots",
        "check",
        "--snapshot-dir",
        &snapshots,
        "--report",
        &md,
        "--report",
        &json,
        late[0],
        late[1],
    ];
    let run = certify(&server.uri(), "merchant_rsa2048_pub_spki.pem", &check).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let text = std::fs::read_to_string(&certificate).unwrap();
    assert!(
        text.starts_with("# conform compatibility certificate: COMPATIBLE\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("conform compatibility certificate").count(),
        1,
        "one verdict"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let names: Vec<&str> = doc["run"]["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "inquireCardDetail",
            "inquireMemberAssets",
            "notifyCardRegistration",
            "updateCardDetail"
        ]
    );
    assert_eq!(doc["verdict"]["result"], "compatible");
    assert_eq!(doc["verdict"]["complete"], true);
    let signing = &doc["run"]["scope"]["signing"];
    assert_eq!(
        (
            signing["requests_signed"].as_bool(),
            signing["answers_verified"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let signatures = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["check"] == "signature" && r["outcome"] == "pass")
        .count();
    assert!(
        signatures > 100,
        "every signed answer checked: {signatures}"
    );
    assert!(
        !text.contains("BEGIN") && !text.contains("signature="),
        "no key or signature shown"
    );
}

#[tokio::test]
async fn keys_that_do_not_match_fail_in_both_directions() {
    let server = merchant(Defects::default()).await;
    let filter = ["--filter", "inquireCardDetail/example/card-details"];
    let wrong_answer_key = certify(&server.uri(), "test_rsa2048_pub_spki.pem", &filter).await;
    assert_eq!(wrong_answer_key.code, 1, "{}", wrong_answer_key.stdout);
    assert!(
        wrong_answer_key.stdout.contains("signature does not match the string to sign; the string to sign is: POST /v2/pds/memberships/inquireCardDetail\\nPLATFORM_0000000000001.2024-05-01T10:00:00+08:00."),
        "{}",
        wrong_answer_key.stdout
    );

    let merchant_key = key("merchant_rsa2048_pkcs8.pem");
    let signed_as_merchant = conform(&[
        "verify",
        MERCHANT,
        "--target",
        &server.uri(),
        "--client-id",
        PLATFORM_CLIENT,
        "--private-key",
        &merchant_key,
        "--filter",
        "inquireCardDetail/example/card-details",
    ])
    .await;
    assert_eq!(signed_as_merchant.code, 1, "{}", signed_as_merchant.stdout);
    assert!(
        signed_as_merchant.stdout.contains("expected S/SUCCESS, got HTTP 200, F/ACCESS_DENIED \"the request signature does not verify\""),
        "{}",
        signed_as_merchant.stdout
    );
}

/// (defect, the case that must fail, a fragment of its failure).
fn defects() -> Vec<(&'static str, Defects, &'static str, &'static str)> {
    let d = Defects::default;
    vec![
        (
            "names held to 256 characters",
            Defects {
                long_names_accepted: true,
                ..d()
            },
            "notifyCardRegistration/negative/registrationFields(NameField).fieldValue/too-long",
            "registrationFields(NameField).fieldValue too-long: sent 21 characters (max 20)",
        ),
        (
            "names held to 256 characters",
            Defects {
                long_names_accepted: true,
                ..d()
            },
            "notifyCardRegistration/example/first-name-too-long",
            "expected F/PARAM_ILLEGAL, got HTTP 200, S/SUCCESS",
        ),
        (
            "neither cardNo nor loginIdentity accepted",
            Defects {
                card_or_login_not_required: true,
                ..d()
            },
            "inquireCardDetail/negative/cardNo/missing-when-loginIdentity-absent",
            "cardNo missing-when-loginIdentity-absent: sent no `cardNo` with loginIdentity absent; expected F/PARAM_ILLEGAL, got HTTP 200, S/SUCCESS",
        ),
        (
            "unknown card is PROCESS_FAIL",
            Defects {
                unknown_card_is_process_fail: true,
                ..d()
            },
            "updateCardDetail/example/unknown-card",
            "expected F/CARD_NOT_EXIST, got HTTP 200, F/PROCESS_FAIL",
        ),
        (
            "date-only requestTime accepted",
            Defects {
                date_only_request_time: true,
                ..d()
            },
            "updateCardDetail/negative/requestTime/date-only",
            "requestTime date-only: sent \"2022-02-17\"",
        ),
        (
            "four asset types accepted",
            Defects {
                four_asset_types_accepted: true,
                ..d()
            },
            "inquireMemberAssets/negative/assetTypes/too-many-items",
            "assetTypes too-many-items: sent 4 items (max 3)",
        ),
        (
            "a replay registers again",
            Defects {
                replay_answers_differently: true,
                ..d()
            },
            "notifyCardRegistration/example/register",
            "idempotency-replay       replay 1 of 2 (same requestId, same body) returned a different answer",
        ),
        (
            "answers not signed",
            Defects {
                unsigned_answers: true,
                ..d()
            },
            "inquireMemberAssets/example/points-and-balance",
            "unsigned S answer: no Signature header",
        ),
    ]
}

#[tokio::test]
async fn each_merchant_defect_fails_the_run_naming_its_case() {
    for (what, defects, case, fragment) in defects() {
        let server = merchant(defects).await;
        // The case's own contract only: the correct merchant's run covers the others.
        let contract = format!("{}/*", case.split('/').next().unwrap());
        let filter = ["--filter", contract.as_str()];
        let run = certify(&server.uri(), "merchant_rsa2048_pub_spki.pem", &filter).await;
        assert_eq!(run.code, 1, "{what}: {}", run.stdout);
        let block = crate::generated::failure_block(&run.stdout, case)
            .unwrap_or_else(|| panic!("{what}: `{case}` did not fail:\n{}", run.stdout));
        assert!(
            block.contains(fragment),
            "{what}: `{fragment}` not in\n{block}"
        );
    }
}

#[tokio::test]
async fn a_late_replay_answered_under_a_stale_signature_fails_its_signature() {
    let server = merchant(Defects {
        stale_signature_on_late_replays: true,
        ..Defects::default()
    })
    .await;
    let filter = ["--filter", "notifyCardRegistration/*"];
    let late = ["--late-replay-after", "2s"];
    let args: Vec<&str> = filter.iter().chain(&late).copied().collect();
    let run = certify(&server.uri(), "merchant_rsa2048_pub_spki.pem", &args).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let case = "notifyCardRegistration/run/late-replay";
    let block = crate::generated::failure_block(&run.stdout, case)
        .unwrap_or_else(|| panic!("`{case}` did not fail:\n{}", run.stdout));
    assert!(
        block.contains("signature") && block.contains("late replay of requestId "),
        "{block}"
    );
    assert!(
        block.contains("signature does not match the string to sign"),
        "{block}"
    );
}
