//! `signature`: an answer carries `Response-Time` and a `Signature` that verifies, with the
//! counterpart's public key, over `<METHOD> <request path>\n<Client-Id>.<Response-Time>.<body>`.
//!
//! As the official SDKs do, an unsigned answer is tolerated when its status is a failure or
//! unknown one (`F`, `U`): gateways reject before signing. An unsigned success never is.

use crate::contract::{Contract, StatusRole};
use crate::observe::Response;
use crate::observe::SignatureContext;
use crate::results::{Check, CheckResult, Finding};
use crate::signing::{self, headers};

/// Characters of the body shown in the string to sign of a failure.
const SHOWN_BODY_CHARS: usize = 120;

/// Passes when the answer's signature verifies; see the module documentation.
pub(super) fn check(
    contract: &Contract,
    response: &Response,
    context: &SignatureContext,
) -> CheckResult {
    if !contract.result.http_status.contains(&response.status) {
        let why = format!("HTTP {} carries no business result", response.status);
        return CheckResult::skip(Check::Signature, why);
    }
    let (signature, time) = (
        response.header(headers::SIGNATURE),
        response.header(headers::RESPONSE_TIME),
    );
    let (Some(signature), Some(time)) = (signature, time) else {
        let missing = if signature.is_none() {
            "Signature"
        } else {
            "Response-Time"
        };
        return unsigned(contract, response, missing);
    };
    let content = signing::content_to_sign(
        &context.method,
        &context.path,
        &context.client_id,
        time,
        &response.body,
    );
    match signing::verify(&context.public_key, &content, signature) {
        Ok(()) if !url_encoded(signature) => CheckResult::fail_with(
            Check::Signature,
            "the signature verifies but is not URL-encoded: base64's +, / and = must be sent as %2B, %2F and %3D (a client that URL-decodes it, as Java's URLDecoder does, turns + into a space and rejects the answer)",
        ),
        Ok(()) => CheckResult::pass(Check::Signature),
        Err(err) => {
            let shown =
                signing::abbreviate_content(&content, SHOWN_BODY_CHARS).replace('\n', "\\n");
            let expected = format!("a signature over the string to sign {shown}");
            let mut finding = Finding::mismatch(None, expected, err.to_string());
            finding.message = format!("{err}; the string to sign is: {shown}");
            CheckResult::fail(Check::Signature, vec![finding])
        }
    }
}

/// Whether the `signature` part of a header value that verified is URL-encoded.
fn url_encoded(header_value: &str) -> bool {
    signing::SignatureHeader::parse(header_value)
        .is_ok_and(|header| signing::is_url_encoded(&header.signature))
}

/// An answer without `Signature` or `Response-Time`: tolerated for failure and unknown
/// statuses, a failure otherwise.
fn unsigned(contract: &Contract, response: &Response, missing: &str) -> CheckResult {
    let status = response.business(contract).and_then(|b| b.status.clone());
    let role = status.as_deref().and_then(|s| contract.result.role(s));
    let status = status.unwrap_or_else(|| "(no status)".into());
    match role {
        Some(StatusRole::Failure | StatusRole::Unknown) => CheckResult::skip(
            Check::Signature,
            format!(
                "unsigned {status} answer (no {missing} header), tolerated for failures and unknown results"
            ),
        ),
        _ => CheckResult::fail_with(
            Check::Signature,
            format!(
                "unsigned {status} answer: no {missing} header; only failure and unknown results may come unsigned"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::contract::tests::issue_card;
    use std::sync::Arc;

    use reqwest::header::HeaderValue;
    use serde_json::json;

    use super::*;
    use crate::observe::testing::response;
    use crate::results::Outcome;
    use crate::signing::test_support::fixture;
    use crate::signing::{PrivateKey, PublicKey};

    const PATH: &str = "/api/open/v2/pds/memberships/issueCard";

    fn context(public: &str) -> SignatureContext {
        SignatureContext {
            public_key: Arc::new(PublicKey::from_text(&fixture(public)).unwrap()),
            method: "POST".into(),
            path: PATH.into(),
            client_id: "C1".into(),
        }
    }

    fn body(status: &str, code: &str) -> Vec<u8> {
        let result =
            json!({"result": {"resultStatus": status, "resultCode": code, "resultMessage": "m"}});
        serde_json::to_vec(&result).unwrap()
    }

    /// An answer signed over `path` (or unsigned when `path` is `None`).
    fn answer(http: u16, body: Vec<u8>, signed_path: Option<&str>) -> Response {
        let mut answer = response(http, None, &body);
        if let Some(path) = signed_path {
            let key = PrivateKey::from_text(&fixture("test_rsa2048_pkcs8.pem")).unwrap();
            let time = "2024-01-01T12:00:01.5+08:00";
            let content = signing::content_to_sign("POST", path, "C1", time, &body);
            let signature = signing::signature_header(&key, "1", &content);
            let headers = &mut answer.headers;
            headers.insert("response-time", HeaderValue::from_static(time));
            headers.insert("signature", HeaderValue::from_str(&signature).unwrap());
        }
        answer
    }

    fn judge(response: &Response, public: &str) -> CheckResult {
        check(&issue_card(), response, &context(public))
    }

    #[test]
    fn passes_an_answer_signed_over_the_path_as_sent() {
        let observed = answer(200, body("S", "SUCCESS"), Some(PATH));
        assert_eq!(
            judge(&observed, "test_rsa2048_pub_spki.pem").outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn fails_a_signature_over_another_path_showing_the_string_to_sign() {
        let observed = answer(
            200,
            body("S", "SUCCESS"),
            Some("/v2/pds/memberships/issueCard"),
        );
        let result = judge(&observed, "test_rsa2048_pub_spki.pem");
        assert_eq!(result.outcome, Outcome::Fail);
        let expected = format!(
            "signature does not match the string to sign; the string to sign is: POST {PATH}\\nC1.2024-01-01T12:00:01.5+08:00.{{\"result\":"
        );
        assert!(
            result.message().starts_with(&expected),
            "{}",
            result.message()
        );
    }

    #[test]
    fn fails_a_signature_made_with_another_key() {
        let observed = answer(200, body("S", "SUCCESS"), Some(PATH));
        let result = judge(&observed, "other_rsa2048_pub_spki.pem");
        assert_eq!(result.outcome, Outcome::Fail);
    }

    #[test]
    fn fails_an_unsigned_success_but_tolerates_unsigned_failures_and_unknowns() {
        let spki = "test_rsa2048_pub_spki.pem";
        let result = judge(&answer(200, body("S", "SUCCESS"), None), spki);
        assert_eq!(result.outcome, Outcome::Fail);
        assert_eq!(
            result.message(),
            "unsigned S answer: no Signature header; only failure and unknown results may come unsigned"
        );
        for (status, code) in [("F", "ACCESS_DENIED"), ("U", "UNKNOWN_EXCEPTION")] {
            let result = judge(&answer(200, body(status, code), None), spki);
            assert_eq!(result.outcome, Outcome::Skip, "{status}");
        }
    }

    #[test]
    fn does_not_judge_answers_without_a_business_result() {
        let result = judge(
            &answer(503, b"busy".to_vec(), None),
            "test_rsa2048_pub_spki.pem",
        );
        assert_eq!(result.outcome, Outcome::Skip);
        assert_eq!(result.message(), "HTTP 503 carries no business result");
    }
}
