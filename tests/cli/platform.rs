//! The platform's own APIs (applyToken, inquiryUserInfo) against an independent platform
//! implementation: a correct one passes with no false alarm, and each planted defect (a missing
//! conditional check, swapped branches, ...) fails the run naming the case that caught it.

use crate::merchant_impl;
use crate::platform_impl::{Defects, serve, serve_busy_first};
use crate::util::conform;

const APPLY_TOKEN: &str = "contracts/platform/apply-token.json";
const USER_INFO: &str = "contracts/platform/inquiry-user-info.json";

#[tokio::test]
async fn a_correct_platform_passes_both_apis_with_no_false_alarm() {
    let server = serve(Defects::default()).await;
    let run = conform(&["verify", APPLY_TOKEN, USER_INFO, "--target", &server.uri()]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    for case in [
        "applyToken/boundary/grantType/branch-REFRESH_TOKEN",
        "applyToken/negative/authCode/missing-when-grantType-AUTHORIZATION_CODE",
        "applyToken/example/unknown-auth-client",
        "inquiryUserInfo/example/invalid-token",
    ] {
        assert!(!run.stdout.contains(&format!("FAIL {case}")), "{case}");
    }
    assert!(run.stdout.contains("\nPARTIAL "), "{}", run.stdout);
}

#[tokio::test]
async fn a_lookup_told_to_retry_later_is_asked_again_and_passes() {
    // inquiryUserInfo has no idempotency key; its `U` answer still means "ask again".
    let server = serve_busy_first().await;
    let run = conform(&["verify", USER_INFO, "--target", &server.uri()]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("\nPARTIAL "), "{}", run.stdout);
    let asked = server.received_requests().await.unwrap();
    let profile = |r: &&wiremock::Request| {
        String::from_utf8_lossy(&r.body).contains(crate::platform_impl::SAMPLE_TOKEN)
    };
    assert!(
        asked.iter().filter(profile).count() >= 2,
        "the sample token's lookup was sent again after its U"
    );
    // Told to settle in one try, the same implementation fails, and says it was not retried.
    let once = conform(&[
        "verify",
        USER_INFO,
        "--target",
        &serve_busy_first().await.uri(),
        "--settle-tries",
        "1",
    ])
    .await;
    assert_eq!(once.code, 1, "{}", once.stdout);
    let settle = once
        .stdout
        .lines()
        .find(|l| l.contains("idempotency-settle"));
    assert!(
        settle.is_some_and(|l| l.ends_with("status U did not settle after 1 try")),
        "{}",
        once.stdout
    );
}

#[tokio::test]
async fn an_issued_token_breaking_its_rule_is_reported_without_its_value() {
    let defects = Defects {
        long_access_tokens: true,
        ..Defects::default()
    };
    let server = serve(defects).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let spec = format!("json={}", report.display());
    let args = [
        "verify",
        APPLY_TOKEN,
        "--target",
        &server.uri(),
        "--report",
        &spec,
    ];
    let run = conform(&args).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let long = run.stdout.lines().find(|l| l.contains("/accessToken"));
    assert!(
        long.is_some_and(|l| l.contains("response-schema") && l.contains("128")),
        "the rule broken is named: {}",
        run.stdout
    );
    // Every token issued starts 2810100 and ends with the same 94 characters.
    let report = std::fs::read_to_string(&report).unwrap();
    let issued = regex::Regex::new(r"2810100\d{8}AB2F|7Q7Q7Q7Q").unwrap();
    for text in [&run.stdout, &report] {
        assert!(!issued.is_match(text), "a token is shown: {text}");
    }
}

/// (defect, the case that must fail, a fragment of its failure).
fn defects() -> Vec<(&'static str, Defects, &'static str, &'static str)> {
    let d = Defects::default;
    vec![
        (
            "authCode not required",
            Defects {
                auth_code_not_required: true,
                ..d()
            },
            "applyToken/negative/authCode/missing-when-grantType-AUTHORIZATION_CODE",
            "authCode missing-when-grantType-AUTHORIZATION_CODE: sent no `authCode` with grantType \"AUTHORIZATION_CODE\"; expected F/PARAM_ILLEGAL, got HTTP 200, S/SUCCESS",
        ),
        (
            "branches swapped",
            Defects {
                branches_swapped: true,
                ..d()
            },
            "applyToken/boundary/grantType/branch-REFRESH_TOKEN",
            "grantType branch-REFRESH_TOKEN: sent grantType \"REFRESH_TOKEN\", with refreshToken (required there); expected S, got HTTP 200, F/PARAM_ILLEGAL",
        ),
        (
            "branches swapped",
            Defects {
                branches_swapped: true,
                ..d()
            },
            "applyToken/example/auth-code",
            "expected S/SUCCESS, got HTTP 200, F/PARAM_ILLEGAL \"refreshToken is required\"",
        ),
        (
            "long refreshToken accepted",
            Defects {
                long_refresh_token_accepted: true,
                ..d()
            },
            "applyToken/negative/refreshToken/too-long",
            "refreshToken too-long: sent 129 characters (max 128)",
        ),
        (
            "grantType case ignored",
            Defects {
                grant_type_case_ignored: true,
                ..d()
            },
            "applyToken/negative/grantType/case-changed",
            "grantType case-changed: sent \"authorization_code\"",
        ),
        (
            "no expiry on success",
            Defects {
                no_expiry_on_success: true,
                ..d()
            },
            "applyToken/example/auth-code",
            "/accessTokenExpiryTime: required-on-status",
        ),
        (
            "any token opens inquiryUserInfo",
            Defects {
                any_token_opens_user_info: true,
                ..d()
            },
            "inquiryUserInfo/example/invalid-token",
            "expected F/INVALID_ACCESS_TOKEN, got HTTP 200, S/SUCCESS",
        ),
    ]
}

#[tokio::test]
async fn each_platform_defect_fails_the_run_naming_its_case() {
    for (what, defects, case, fragment) in defects() {
        let server = serve(defects).await;
        let run = conform(&["verify", APPLY_TOKEN, USER_INFO, "--target", &server.uri()]).await;
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
async fn every_refresh_request_carries_a_fresh_single_use_token() {
    let server = serve(Defects::default()).await;
    let run = conform(&[
        "verify",
        APPLY_TOKEN,
        "--target",
        &server.uri(),
        "--filter",
        "applyToken/boundary/*",
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let mut codes = std::collections::HashSet::new();
    for request in server.received_requests().await.unwrap() {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        for field in ["authCode", "refreshToken"] {
            if let Some(value) = body[field].as_str() {
                assert!(
                    codes.insert(value.to_string()),
                    "{field} {value} was sent twice"
                );
                assert!(
                    !value.contains("AB2F588D"),
                    "the example's {field} was sent: {value}"
                );
            }
        }
    }
    assert!(codes.len() > 10, "{codes:?}");
}

/// POSTs `body` signed with `key` as `client` to `path` (as sent, gateway prefix included) on
/// `base`; returns the answer's
/// `Response-Time` and `Signature` headers and its raw body.
async fn post_signed(
    base: &str,
    path: &str,
    client: &str,
    key: Option<&rsa::pkcs1v15::SigningKey<sha2::Sha256>>,
    body: &serde_json::Value,
) -> (Option<String>, Option<String>, Vec<u8>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let bytes = serde_json::to_vec(body).unwrap();
    let time = "2024-05-01T09:00:00+08:00";
    let mut request = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("Content-Type", "application/json; charset=UTF-8")
        .body(bytes.clone());
    if let Some(key) = key {
        let content = merchant_impl::string_to_sign(path, client, time, &bytes);
        request = request
            .header("Client-Id", client)
            .header("Request-Time", time)
            .header("Signature", merchant_impl::signature_header(key, &content));
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        let value = response.headers().get(name);
        value.map(|v| v.to_str().unwrap().to_string())
    };
    let (time, signature) = (header("response-time"), header("signature"));
    (time, signature, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_merchant_rehearses_its_signed_client_against_serve_contracts_platform() {
    use crate::signing_support::{key, key_text};
    let served = crate::util::serve(&[
        "contracts/platform",
        "--public-key",
        &key("merchant_rsa2048_pub_spki.pem"),
        "--private-key",
        &key("test_rsa2048_pkcs8.pem"),
    ])
    .await;
    assert!(
        served
            .banner
            .contains(&"  POST /v2/authorizations/applyToken  (applyToken)".to_string()),
        "{:?}",
        served.banner
    );
    let merchant = merchant_impl::signing_key(&key_text("merchant_rsa2048_pkcs8.pem"));
    let platform = merchant_impl::verifying_key(&key_text("test_rsa2048_pub_spki.pem"));
    let client = "MERCHANT_0001";
    let exchange = serde_json::json!({"appId": "2102010113769***", "authClientId": "2188120000000001",
        "grantType": "AUTHORIZATION_CODE", "authCode": "0000000000001"});
    let apply = "/api/open/v2/authorizations/applyToken";
    let (time, signature, raw) =
        post_signed(&served.url, apply, client, Some(&merchant), &exchange).await;
    let answer: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(answer["result"]["resultStatus"], "S", "{answer}");
    let content = merchant_impl::string_to_sign(apply, client, &time.unwrap(), &raw);
    assert!(merchant_impl::verifies(
        &platform,
        &content,
        &signature.unwrap()
    ));
    let token = answer["accessToken"].as_str().unwrap();

    let user_info = "/api/open/v2/users/inquiryUserInfo";
    let inquiry = serde_json::json!({"accessToken": token});
    let (_, _, raw) = post_signed(&served.url, user_info, client, Some(&merchant), &inquiry).await;
    let answer: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(answer["result"]["resultStatus"], "S", "{answer}");
    assert!(answer["userInfo"]["userId"].is_string(), "{answer}");

    let (_, _, raw) = post_signed(&served.url, user_info, client, None, &inquiry).await;
    let refused: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        refused["result"]["resultCode"], "ACCESS_DENIED",
        "{refused}"
    );
}
