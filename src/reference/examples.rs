//! The reference implementation's answer to a contract's failure examples: an example that
//! documents a failure (`F`/`CARD_NOT_EXIST` for an unknown card) is the contract saying what
//! that request gets, so the request gets it, with the example's documented `response` when it
//! has one. Everything else is derived from the rules as before.
//!
//! An example is recognised by its body, whatever key order, with the idempotency key and the
//! single-use fields left out (conform sends fresh ones in every run). It is answered before
//! the request is validated (an example may document the rejection of an invalid request), and
//! nothing is remembered: the same request always gets the same answer.

use serde_json::Value;

use super::{Answer, Reference};
use crate::contract::{Contract, KeyLocation, Location, StatusRole};
use crate::json::Pointer;

/// The answers to a contract's failure examples, by the digest of their bodies.
#[derive(Debug, Default)]
pub(super) struct FailureExamples {
    answers: Vec<(u64, Answer)>,
    /// Body pointers whose values are fresh in every request, left out of the digest.
    fresh: Vec<Pointer>,
}

impl FailureExamples {
    /// The failure examples of `reference`'s contract with a body, each with its answer.
    pub(super) fn of(reference: &Reference) -> Self {
        let contract = reference.contract();
        let fresh = fresh_in_body(contract);
        let mut answers = Vec::new();
        for example in &contract.examples {
            let failure = contract.result.role(&example.expect.status) == Some(StatusRole::Failure);
            if !failure || contract.request_media.is_none() || !example.request().is_object() {
                continue;
            }
            let answer = match &example.response {
                Some(documented) => {
                    reference.documented_response(&example.expect.status, documented)
                }
                None => reference.documented_failure(&example.expect),
            };
            let key = digest(&without(example.request(), &fresh));
            answers.push((key, answer));
        }
        FailureExamples { answers, fresh }
    }

    /// The answer to `body` when it is the body of a failure example.
    pub(super) fn answer(&self, body: &[u8]) -> Option<Answer> {
        if self.answers.is_empty() {
            return None;
        }
        let request: Value = serde_json::from_slice(body).ok()?;
        let key = digest(&without(&request, &self.fresh));
        self.answers
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, answer)| answer.clone())
    }
}

/// A digest of a JSON document that ignores object key order, so an example is recognised
/// whatever order a client writes its fields in.
fn digest(value: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    match value {
        Value::Object(map) => {
            let combined = map.iter().fold(0u64, |acc, (key, value)| {
                let mut entry = std::collections::hash_map::DefaultHasher::new();
                key.hash(&mut entry);
                digest(value).hash(&mut entry);
                acc.wrapping_add(entry.finish())
            });
            (b'o', combined).hash(&mut hasher);
        }
        Value::Array(items) => {
            b'a'.hash(&mut hasher);
            items.iter().for_each(|item| digest(item).hash(&mut hasher));
        }
        other => (b's', other.to_string()).hash(&mut hasher),
    }
    hasher.finish()
}

/// The body pointers of the idempotency key and the single-use fields.
fn fresh_in_body(contract: &Contract) -> Vec<Pointer> {
    let body = Location::Body.name();
    let key = contract.idempotency.as_ref().and_then(|i| match &i.key_in {
        KeyLocation::Body(pointer) => Some(pointer.clone()),
        KeyLocation::Header(_) => None,
    });
    let single_use = contract.single_use.iter().filter_map(|s| {
        let (first, rest) = s.pointer.segments().split_first()?;
        (first == body).then(|| rest.iter().fold(Pointer::root(), |p, s| p.child(s)))
    });
    key.into_iter().chain(single_use).collect()
}

fn without(body: &Value, fresh: &[Pointer]) -> Value {
    if fresh.is_empty() {
        return body.clone();
    }
    let mut copy = body.clone();
    for pointer in fresh {
        pointer.remove(&mut copy);
    }
    copy
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::contract::Contract;
    use crate::reference::{Faults, Reference};

    fn shipped(path: &str) -> Contract {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let text = std::fs::read_to_string(&path).unwrap();
        crate::contract::load_str(&path, text).unwrap()
    }

    fn ask(reference: &Reference, body: &Value) -> (u16, Value) {
        let answer = reference.answer(&serde_json::to_vec(body).unwrap());
        (answer.status, serde_json::from_slice(&answer.body).unwrap())
    }

    #[test]
    fn a_failure_example_gets_its_documented_response_whatever_the_key_order() {
        let contract = shipped("contracts/merchant/inquire-card-detail.json");
        let reference = Reference::new(contract, Faults::default());
        let (status, answer) = ask(
            &reference,
            &json!({"appId": "2102010113769***", "cardNo": "000000000000000000000000"}),
        );
        assert_eq!(status, 200);
        assert_eq!(
            answer,
            json!({"result": {"resultCode": "CARD_NOT_EXIST", "resultMessage": "The merchant holds no such card.", "resultStatus": "F"}})
        );
        let (_, other) = ask(
            &reference,
            &json!({"appId": "2102010113769***", "cardNo": "000000000000000000000001"}),
        );
        assert_eq!(
            other["result"]["resultStatus"], "S",
            "another card is not the example"
        );
    }

    #[test]
    fn without_a_documented_response_the_expected_code_comes_with_its_message() {
        let contract = shipped("contracts/merchant/update-card-detail.json");
        let example = contract.examples[1].request().clone();
        let reference = Reference::new(contract, Faults::default());
        let (_, answer) = ask(&reference, &example);
        assert_eq!(
            answer["result"],
            json!({"resultStatus": "F", "resultCode": "CARD_NOT_EXIST", "resultMessage": "The merchant holds no such card."})
        );
    }

    #[test]
    fn fresh_keys_and_single_use_values_do_not_hide_an_example() {
        let apply_token = shipped("contracts/platform/apply-token.json");
        let mut request = apply_token.examples[2].request().clone();
        request["authCode"] = json!("2611281913091234567890000042");
        let reference = Reference::new(apply_token, Faults::default());
        assert_eq!(
            ask(&reference, &request).1["result"]["resultCode"],
            "INVALID_AUTH_CLIENT"
        );

        let notify = shipped("contracts/merchant/notify-card-registration.json");
        let mut request = notify.examples[1].request().clone();
        request["requestId"] = json!("2611281913091234567890000043");
        let reference = Reference::new(notify, Faults::default());
        let (_, answer) = ask(&reference, &request);
        assert_eq!(answer["result"]["resultCode"], "PARAM_ILLEGAL");
        assert_eq!(
            answer["result"]["resultMessage"],
            "Illegal parameters, such as a name longer than 20 characters."
        );
    }
}
