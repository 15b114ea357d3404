//! The platform's own APIs (applyToken, inquiryUserInfo) against an independent platform
//! implementation: a correct one passes with no false alarm, and each planted defect (a missing
//! conditional check, swapped branches, ...) fails the run naming the case that caught it.

use crate::platform_impl::{Defects, serve};
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
