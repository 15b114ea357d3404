//! Credentials the reference implementation issues and honours, as the contracts declare them
//! (those a client brings in headers are [`super::credentials`]'s):
//! a value answered in a field that `issues` a credential (applyToken's `accessToken`) is
//! remembered, and a request field that `accepts` that credential (inquiryUserInfo's
//! `accessToken`) must carry one it remembers, else it gets the contract's `otherwise` answer.
//! A single-use field whose contract says what a reuse gets (`singleUse.reused`) is refused the
//! second time a value comes. Nothing here knows any particular API.
//!
//! Values of the contract's own success examples are honoured too: they are documented
//! samples, which a test environment is expected to accept. A credential no served operation
//! issues cannot be checked, so any value is taken. Both memories are bounded like the
//! idempotency memory.

use std::collections::HashSet;

use serde_json::Value;

use super::memory::{KeyMemory, Recall};
use super::{Answer, Bound, Parts, Reference, acting};
use crate::contract::{Contract, Expect, Location, StatusRole};
use crate::json::Pointer;

/// The credentials issued by every operation served, shared by them.
#[derive(Debug)]
pub(crate) struct Issued {
    values: KeyMemory<()>,
    /// The credentials some served operation issues: only those can be told not issued.
    issuers: HashSet<String>,
}

impl Issued {
    /// An empty memory for the credentials `contracts` issue, holding at most `bound`.
    pub(crate) fn new(contracts: &[Contract], bound: Bound) -> Self {
        let issuers = contracts
            .iter()
            .flat_map(|c| c.issues.iter().map(|i| i.credential.clone()))
            .collect();
        Issued {
            values: KeyMemory::new(bound),
            issuers,
        }
    }

    fn remember(&self, credential: &str, value: &str) {
        self.values
            .recall_or_remember(&entry(credential, value), 0, || ());
    }

    fn knows(&self, credential: &str, value: &str) -> bool {
        self.values.recall(&entry(credential, value)).is_some()
    }
}

/// The single-use values one operation has seen.
#[derive(Debug)]
pub(super) struct Used(KeyMemory<()>);

impl Used {
    pub(super) fn new(bound: Bound) -> Self {
        Used(KeyMemory::new(bound))
    }
}

fn entry(name: &str, value: &str) -> String {
    format!("{name}\u{0}{value}")
}

/// The answer refusing a valid request for its credentials: a value never issued where an
/// issued one is needed, or a single-use value seen before (which is used up otherwise).
pub(super) fn refusal(reference: &Reference, parts: &Parts<'_>) -> Option<Answer> {
    let contract = &reference.contract;
    let issued = reference.store.issued();
    for accept in &contract.accepts {
        let Some(value) = text_at(parts, &accept.pointer) else {
            continue;
        };
        if issued.issuers.contains(&accept.credential)
            && !issued.knows(&accept.credential, &value)
            && !documented(contract, &accept.pointer, &value)
        {
            let field = accept.pointer.last().unwrap_or_default();
            let message = format!(
                "{field}: this implementation issued no such {}",
                accept.credential
            );
            return Some(refuse(reference, &accept.otherwise, &message));
        }
    }
    for single in &contract.single_use {
        let (Some(reused), Some(value)) = (&single.reused, text_at(parts, &single.pointer)) else {
            continue;
        };
        let key = entry(single.pointer.as_str(), &value);
        if let Recall::Known(_) = reference.used.0.recall_or_remember(&key, 0, || ()) {
            let field = single.pointer.last().unwrap_or_default();
            return Some(refuse(
                reference,
                reused,
                &format!("{field} was used before"),
            ));
        }
    }
    None
}

/// Remembers the credentials `answer`, a success, issues.
pub(super) fn remember_issued(reference: &Reference, answer: &Answer) {
    let contract = &reference.contract;
    if contract.issues.is_empty() {
        return;
    }
    let body: Option<Value> = serde_json::from_slice(&answer.body).ok();
    for issue in &contract.issues {
        let value = match issue.pointer.segments() {
            [first, rest @ ..] if first == Location::Body.name() => body
                .as_ref()
                .and_then(|b| Pointer::from_segments(rest.to_vec()).get(b))
                .and_then(crate::wire::text),
            [first, name] if first == Location::Headers.name() => answer
                .headers
                .as_ref()
                .and_then(|h| {
                    h.iter()
                        .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
                })
                .and_then(|(_, v)| v.to_str().ok().map(str::to_string)),
            _ => None,
        };
        if let Some(value) = value {
            reference.store.issued().remember(&issue.credential, &value);
        }
    }
}

/// Whether `value` is what one of the contract's success examples carries at `pointer`.
fn documented(contract: &Contract, pointer: &Pointer, value: &str) -> bool {
    contract.examples.iter().any(|example| {
        contract.result.role(&example.expect.status) == Some(StatusRole::Success)
            && pointer
                .get(&example.document)
                .and_then(crate::wire::text)
                .as_deref()
                == Some(value)
    })
}

fn text_at(parts: &Parts<'_>, pointer: &Pointer) -> Option<String> {
    acting::value_at(parts, pointer)
        .as_ref()
        .and_then(crate::wire::text)
}

fn refuse(reference: &Reference, expect: &Expect, message: &str) -> Answer {
    let code = expect
        .code
        .clone()
        .or_else(|| reference.first_code(&expect.status))
        .unwrap_or_default();
    reference.business(&expect.status, &code, message)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::super::{Faults, Reference, ResourceStore};
    use crate::contract::{Contract, load_paths};

    fn platform() -> Vec<Contract> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        load_paths(&[
            root.join("contracts/platform/apply-token.json"),
            root.join("contracts/platform/inquiry-user-info.json"),
        ])
        .unwrap()
    }

    /// applyToken and inquiryUserInfo served together (or only those of `contracts`).
    fn serve(contracts: Vec<Contract>) -> Vec<Reference> {
        let store = Arc::new(ResourceStore::new(&contracts, Default::default()));
        contracts
            .into_iter()
            .map(|c| {
                Reference::sharing(c, Faults::default(), Default::default(), Arc::clone(&store))
            })
            .collect()
    }

    fn ask(reference: &Reference, body: &Value) -> Value {
        serde_json::from_slice(&reference.answer(&serde_json::to_vec(body).unwrap()).body).unwrap()
    }

    fn exchange(code: &str) -> Value {
        json!({"appId": "app", "authClientId": "2188120000000001", "grantType": "AUTHORIZATION_CODE", "authCode": code})
    }

    fn profile(token: &Value) -> Value {
        json!({"accessToken": token, "authClientId": "2188120000000001"})
    }

    fn code(answer: &Value) -> &str {
        answer["result"]["resultCode"].as_str().unwrap_or_default()
    }

    #[test]
    fn an_issued_token_opens_the_accepting_operation_and_one_never_issued_is_refused() {
        let served = serve(platform());
        let issued = ask(&served[0], &exchange("code-1001"));
        assert_eq!(code(&issued), "SUCCESS", "{issued}");
        let opened = ask(&served[1], &profile(&issued["accessToken"]));
        assert_eq!(code(&opened), "SUCCESS", "{opened}");
        let refused = ask(&served[1], &profile(&json!("made-up-token-0001")));
        assert_eq!(code(&refused), "INVALID_ACCESS_TOKEN", "{refused}");
        assert_eq!(
            refused["result"]["resultMessage"],
            "accessToken: this implementation issued no such accessToken"
        );
    }

    #[test]
    fn an_auth_code_works_once_and_a_second_exchange_gets_the_declared_answer() {
        let served = serve(platform());
        assert_eq!(code(&ask(&served[0], &exchange("code-2002"))), "SUCCESS");
        let again = ask(&served[0], &exchange("code-2002"));
        assert_eq!(code(&again), "EXPIRED_CODE", "{again}");
        assert_eq!(again["result"]["resultMessage"], "authCode was used before");
        assert_eq!(code(&ask(&served[0], &exchange("code-2003"))), "SUCCESS");
    }

    #[test]
    fn the_documented_sample_token_is_honoured_and_without_an_issuer_any_token_is() {
        let served = serve(platform());
        let sample = json!("281010033AB2F588D14B43238637264FCA5AAF35xxxx");
        assert_eq!(code(&ask(&served[1], &profile(&sample))), "SUCCESS");
        let alone = serve(platform().split_off(1));
        let any = ask(&alone[0], &profile(&json!("made-up-token-0001")));
        assert_eq!(code(&any), "SUCCESS", "{any}");
    }
}
