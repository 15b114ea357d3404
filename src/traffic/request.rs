//! The client's side of one exchange: `client-request` (the request keeps the contract's
//! request rules) and `client-signature` (it carries a signature that verifies with the
//! client's public key).
//!
//! The request is read the way the reference implementation reads one (the wire binding of
//! [`crate::wire`], then the one validator over the whole request document), so a request the
//! proxy calls valid is one `serve` would accept. Every broken rule is listed, not only the
//! first: a client team fixes them all at once.

use std::sync::Arc;

use hyper::header::CONTENT_TYPE;
use serde_json::Value;

use super::Seen;
use super::secrets;
use crate::contract::Contract;
use crate::json::strict;
use crate::reference::{Incoming, ServerSigning};
use crate::results::{Check, CheckResult, Finding};
use crate::rules;
use crate::signing::{self, PublicKey};
use crate::units::format_size;
use crate::wire::{self, Received};

/// What the request rules say of one request.
#[derive(Debug)]
pub(super) struct RequestJudgement {
    /// The `client-request` row.
    pub row: CheckResult,
    /// The request read as a document (`{"path", "query", "headers", "body"}`), when it could
    /// be read.
    pub document: Option<Value>,
    /// What the contract makes of it.
    pub validity: Validity,
}

/// How a request stands with the contract, for what its answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Validity {
    /// It keeps every rule: the contract's rejection of invalid requests is not its answer.
    Valid,
    /// It breaks a rule of a parameter or the body (or its body is not a JSON object): it must
    /// get the contract's rejection (`generated.negative`), as a generated negative case would.
    Invalid,
    /// Something the contract does not say how to answer (a wrong media type, a duplicate key,
    /// a body too large to check): any answer may be right.
    Unsure,
}

/// Judges `seen`'s request against `contract`'s request rules; bodies over `max_body` were
/// kept only in part and are not judged.
pub(super) fn check(
    contract: &Contract,
    seen: &Seen,
    path_params: &[(String, String)],
    max_body: usize,
) -> RequestJudgement {
    let request = &seen.request;
    let mut findings = Vec::new();
    let mut validity = Validity::Valid;
    let body = match &contract.request_media {
        None => None,
        Some(_) if !seen.request_whole => {
            let why = format!(
                "the request body is larger than {} (--max-body-size), so it was not checked",
                format_size(max_body as u64)
            );
            return RequestJudgement {
                row: CheckResult::skip(Check::ClientRequest, why),
                document: None,
                validity: Validity::Unsure,
            };
        }
        Some(media) => {
            if let Some(finding) = media_type(media, request) {
                findings.push(finding);
                validity = Validity::Unsure;
            }
            match body(&request.body, &mut findings) {
                Ok(body) => Some(body),
                Err(finding) => {
                    findings.push(finding);
                    let row = CheckResult::fail(Check::ClientRequest, findings);
                    return RequestJudgement {
                        row,
                        document: None,
                        validity: Validity::Invalid,
                    };
                }
            }
        }
    };
    if !findings.is_empty() && validity == Validity::Valid {
        // Duplicate keys: readers disagree on the request, so no answer can be called wrong.
        validity = Validity::Unsure;
    }
    let document = read(contract, request, path_params, body);
    let broken = rules::validate(&contract.types, &contract.document, &document, None);
    if !broken.is_empty() {
        validity = Validity::Invalid;
    }
    findings.extend(broken.iter().map(secrets::finding));
    RequestJudgement {
        row: CheckResult::from_findings(Check::ClientRequest, findings),
        document: Some(document),
        validity,
    }
}

/// The request's parameters and body as one document, read by the contract's definitions.
fn read(
    contract: &Contract,
    request: &Incoming,
    path_params: &[(String, String)],
    body: Option<Value>,
) -> Value {
    let texts: Vec<(&str, String)> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str(), text)
        })
        .collect();
    let received = Received {
        path: path_params.to_vec(),
        query: request.query(),
        headers: texts.iter().map(|(n, v)| (*n, v.as_str())).collect(),
    };
    wire::decode(contract, &received, body)
}

/// A finding when the request's `Content-Type` is not the contract's media type (parameters
/// such as `charset` aside).
fn media_type(media: &str, request: &Incoming) -> Option<Finding> {
    let essence = |text: &str| text.split(';').next().unwrap_or("").trim().to_lowercase();
    let expected = essence(media);
    let sent = request.headers.get(CONTENT_TYPE);
    let actual = sent.map(|v| essence(&String::from_utf8_lossy(v.as_bytes())));
    if actual.as_deref() == Some(expected.as_str()) {
        return None;
    }
    let shown = actual.map_or("no Content-Type".to_string(), |a| format!("`{a}`"));
    let mut finding = Finding::mismatch(None, format!("`{expected}`"), shown);
    finding.message = format!("Content-Type: {}", finding.message);
    Some(finding)
}

/// The body as JSON, its duplicate keys added to `findings`; a body that is not a JSON object
/// is a finding of its own.
fn body(bytes: &[u8], findings: &mut Vec<Finding>) -> Result<Value, Finding> {
    let parsed = strict::parse(bytes)
        .map_err(|e| Finding::message(format!("the request body is not JSON: {e}")))?;
    for pointer in &parsed.duplicates {
        findings.push(Finding {
            pointer: Some(format!("/body{pointer}")),
            expected: None,
            actual: None,
            message: format!(
                "/body{pointer}: duplicate key: readers of JSON disagree on which value counts"
            ),
        });
    }
    if !parsed.value.is_object() {
        return Err(Finding::message(format!(
            "the request body is {}, not a JSON object",
            crate::json::describe_kind(&parsed.value)
        )));
    }
    Ok(parsed.value)
}

/// `client-signature`: the request carries `Client-Id`, `Request-Time` and a `Signature` that
/// verifies with `key` over the path as sent and the exact body.
pub(super) fn signature(key: &Arc<PublicKey>, request: &Incoming) -> CheckResult {
    let signing = ServerSigning {
        client_public_key: Some(Arc::clone(key)),
        ..ServerSigning::none()
    };
    match signing.check_request(request) {
        Ok(()) => CheckResult::pass(Check::ClientSignature),
        Err(rejection) => {
            let mut message = rejection.reason.clone();
            if let Some(content) = &rejection.content_to_sign {
                let shown = signing::abbreviate_content(content, 120).replace('\n', "\\n");
                let shown = secrets::in_body(&request.body).scrub(&shown).into_owned();
                message.push_str(&format!("; the string to sign is: {shown}"));
            }
            CheckResult::fail_with(Check::ClientSignature, message)
        }
    }
}
