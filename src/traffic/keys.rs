//! Idempotency across real traffic: each operation remembers, within a bound (the reference
//! implementation's [`KeyMemory`]), the keys that got a successful answer, with a digest of the
//! request they came with and the answer. A later request with a remembered key is then one of:
//!
//! - a retry (the same request): the client did right (`client-idempotency-key` passes), and
//!   the implementation must answer exactly as the first time (`idempotency-replay`);
//! - another request under a used key: the client broke the rule that a new request needs a new
//!   key (`client-idempotency-key` fails), and the implementation must answer as the conflict
//!   policy says (`idempotency-conflict`). Two different successes for one key fail it
//!   whatever the policy, whenever they happen.
//!
//! Keys that only got failures are not remembered: a rejected request was not processed, so a
//! client may correct it and send it again under the same key (the reference implementation
//! does not remember them either).

use std::hash::{BuildHasher, Hasher};

use serde_json::Value;

use super::secrets;
use crate::check::compare;
use crate::contract::{ConflictPolicy, Contract, Expect, StatusRole};
use crate::observe::Response;
use crate::reference::memory::{Bound, Keep, KeyMemory, Recall, Remembered};
use crate::results::{Check, CheckResult, Finding};

/// Answers kept whole for diffs up to this size; a larger one is kept as a digest.
const KEPT_WHOLE: usize = 1024;

/// One operation's remembered keys.
#[derive(Debug)]
pub(super) struct Keys {
    memory: KeyMemory<First>,
}

/// The first successful exchange of a key.
#[derive(Debug, Clone)]
pub(super) struct First {
    /// Its number in the run.
    exchange: u64,
    /// Its answer, when answers are judged.
    answer: Option<Kept>,
}

impl Keep for First {}

/// A remembered answer: whole when small (for a diff), else its status and a digest.
#[derive(Debug, Clone)]
enum Kept {
    Whole(Box<Response>),
    Digest { status: u16, digest: u64 },
}

/// What one request with a key came to.
#[derive(Debug)]
pub(super) struct Reuse {
    /// `client-idempotency-key`.
    pub client: CheckResult,
    /// `idempotency-replay` or `idempotency-conflict`, when the key was known and answers are
    /// judged.
    pub implementation: Option<CheckResult>,
}

/// The exchange being judged, as the key memory sees it.
pub(super) struct Use<'a> {
    /// Its number in the run.
    pub exchange: u64,
    /// The key it carries.
    pub key: &'a str,
    /// A digest of the request without its key.
    pub payload: u64,
    /// Its answer.
    pub answer: Option<&'a Response>,
    /// Whether the answer is the implementation's under test (and judged).
    pub judged: bool,
    /// Whether the request keeps every request rule: one that does not must get the rejection
    /// of invalid requests (`expectation` judges it), whatever its key.
    pub valid: bool,
}

impl Keys {
    /// An empty memory within `bound`.
    pub(super) fn new(bound: Bound) -> Self {
        Keys {
            memory: KeyMemory::new(bound),
        }
    }

    /// Judges one use of a key, remembering it when its answer is a success.
    pub(super) fn judge(&self, contract: &Contract, seen: &Use<'_>) -> Reuse {
        let success = seen
            .answer
            .is_some_and(|r| r.role(contract) == Some(StatusRole::Success));
        let recalled = if success {
            let first = || First {
                exchange: seen.exchange,
                answer: seen.answer.filter(|_| seen.judged).map(kept),
            };
            match self
                .memory
                .recall_or_remember(seen.key, seen.payload, first)
            {
                Recall::New(_) => None,
                Recall::Known(first) => Some(first),
            }
        } else {
            self.memory.recall(seen.key)
        };
        let Some(first) = recalled else {
            return Reuse {
                client: CheckResult::pass(Check::ClientIdempotencyKey),
                implementation: None,
            };
        };
        let name = key_name(contract);
        let earlier = first.response.exchange;
        if first.request == seen.payload {
            let implementation = seen.judged.then(|| replay(contract, &first, seen));
            return Reuse {
                client: CheckResult::pass(Check::ClientIdempotencyKey),
                implementation,
            };
        }
        let message = format!(
            "the same {name} was used in exchange #{earlier} for a different request: a retry must repeat the request exactly, and a new request needs a new {name}"
        );
        Reuse {
            client: CheckResult::fail_with(Check::ClientIdempotencyKey, message),
            implementation: (seen.judged && seen.valid).then(|| conflict(contract, &first, seen)),
        }
    }
}

fn kept(response: &Response) -> Kept {
    if response.body.len() <= KEPT_WHOLE {
        // Only the status and body are compared: the headers are not kept.
        let whole = Response::new(
            response.status,
            Default::default(),
            response.body.clone(),
            response.elapsed,
        );
        return Kept::Whole(Box::new(whole));
    }
    Kept::Digest {
        status: response.status,
        digest: body_digest(response),
    }
}

/// A retry of a request that succeeded must get the first answer back.
fn replay(contract: &Contract, first: &Remembered<First>, seen: &Use<'_>) -> CheckResult {
    let check = Check::IdempotencyReplay;
    let Some(answer) = settled(contract, seen.answer) else {
        return CheckResult::skip(check, "no settled answer to compare with the first");
    };
    let earlier = first.response.exchange;
    let name = key_name(contract);
    match differs(first, answer, seen.exchange) {
        None => CheckResult::pass(check),
        Some((changes, diff)) => {
            let message = format!(
                "a retry (same {name}, same request) got a different answer than exchange #{earlier}: {changes}"
            );
            CheckResult::fail_with(check, message).with_diff_opt(diff)
        }
    }
}

/// Another request under a used key must get what the conflict policy says, and never a
/// second, different success.
fn conflict(contract: &Contract, first: &Remembered<First>, seen: &Use<'_>) -> CheckResult {
    let check = Check::IdempotencyConflict;
    let Some(answer) = settled(contract, seen.answer) else {
        return CheckResult::skip(check, "no settled answer to judge");
    };
    let Some(idempotency) = &contract.idempotency else {
        return CheckResult::skip(check, "the contract has no idempotency key");
    };
    let earlier = first.response.exchange;
    let name = key_name(contract);
    let difference = differs(first, answer, seen.exchange);
    let success = answer.role(contract) == Some(StatusRole::Success);
    if success && let Some((changes, diff)) = difference {
        let message = format!(
            "two different successes for one {name}: exchange #{earlier} and this one (a different request under the same {name}): {changes}"
        );
        return CheckResult::fail_with(check, message).with_diff_opt(diff);
    }
    let rejection = Expect {
        status: idempotency.conflict_status.clone().unwrap_or_default(),
        code: idempotency.conflict_code.clone(),
    };
    // As the planned conflict scenario judges it (`check::idempotency`).
    let rejected = answer.business(contract).is_some_and(|b| {
        answer.role(contract) == Some(StatusRole::Failure)
            && rejection.matches(b.status.as_deref(), b.code.as_deref())
    });
    let first_again = difference.is_none();
    let (allowed, expected) = match idempotency.policy {
        ConflictPolicy::SameResult => (
            first_again,
            format!("the answer of exchange #{earlier} again"),
        ),
        ConflictPolicy::Reject => (rejected, rejection.describe()),
        ConflictPolicy::Either => (
            first_again || rejected,
            format!(
                "{} or the answer of exchange #{earlier} again",
                rejection.describe()
            ),
        ),
    };
    if allowed {
        return CheckResult::pass(check);
    }
    let mut finding = Finding::mismatch(None, expected.clone(), answer.describe(contract));
    finding.message = format!(
        "a different request under the {name} of exchange #{earlier} must get {expected} (conflict policy), got {}",
        answer.describe(contract)
    );
    CheckResult::fail(check, vec![finding])
}

/// The answer when it settled (not the unknown status, which may still change).
fn settled<'a>(contract: &Contract, answer: Option<&'a Response>) -> Option<&'a Response> {
    answer.filter(|r| r.role(contract) != Some(StatusRole::Unknown))
}

/// How `answer` differs from the first one: the changed fields in one line and a diff (with
/// credentials masked), or `None` when it is the same answer.
fn differs(
    first: &Remembered<First>,
    answer: &Response,
    exchange: u64,
) -> Option<(String, Option<String>)> {
    match first.response.answer.as_ref()? {
        Kept::Whole(whole) => {
            if compare::same(whole, answer) {
                return None;
            }
            let (left, right) = (masked(whole), masked(answer));
            let diff = compare::diff(
                &left,
                &right,
                &format!("exchange #{}", first.response.exchange),
                &format!("exchange #{exchange}"),
            );
            Some((compare::changed_fields(&left, &right), Some(diff)))
        }
        Kept::Digest { status, digest } => {
            if *status == answer.status && *digest == body_digest(answer) {
                return None;
            }
            let changes = format!("HTTP {status} → {}, the body differs", answer.status);
            Some((changes, None))
        }
    }
}

/// The answer with credentials masked, for messages and diffs.
fn masked(response: &Response) -> Response {
    let body = match response.json() {
        Ok(value) => serde_json::to_vec(&secrets::masked(value)).unwrap_or_default(),
        Err(_) => response.body.clone(),
    };
    Response::new(response.status, Default::default(), body, response.elapsed)
}

/// A digest of the answer's body: of its JSON with keys in order when it is JSON (key order
/// and whitespace aside, as answers are compared), else of its bytes.
fn body_digest(response: &Response) -> u64 {
    let mut hasher = hasher();
    match response.json() {
        Ok(value) => hash_value(value, &mut hasher),
        Err(_) => hasher.write(&response.body),
    }
    hasher.finish()
}

/// A digest of the request document without its idempotency key: requests that differ only in
/// key order or whitespace have the same one.
pub(super) fn payload(contract: &Contract, document: &Value) -> u64 {
    let mut without_key = document.clone();
    if let Some(idempotency) = &contract.idempotency {
        idempotency
            .key_in
            .document_pointer()
            .remove(&mut without_key);
    }
    let mut hasher = hasher();
    hash_value(&without_key, &mut hasher);
    hasher.finish()
}

/// The idempotency key a request document carries, when the contract has one and it is text.
pub(super) fn key_of(contract: &Contract, document: &Value) -> Option<String> {
    let pointer = contract.idempotency.as_ref()?.key_in.document_pointer();
    pointer.get(document)?.as_str().map(str::to_string)
}

fn hasher() -> impl Hasher {
    foldhash::fast::FixedState::with_seed(0x6b65_7973).build_hasher()
}

fn hash_value(value: &Value, hasher: &mut impl Hasher) {
    match value {
        Value::Object(members) => {
            hasher.write_u8(b'{');
            let mut names: Vec<&String> = members.keys().collect();
            names.sort();
            for name in names {
                hasher.write(name.as_bytes());
                hasher.write_u8(b':');
                hash_value(&members[name], hasher);
            }
            hasher.write_u8(b'}');
        }
        Value::Array(items) => {
            hasher.write_u8(b'[');
            items.iter().for_each(|item| hash_value(item, hasher));
            hasher.write_u8(b']');
        }
        other => {
            hasher.write(other.to_string().as_bytes());
            hasher.write_u8(0);
        }
    }
}

fn key_name(contract: &Contract) -> &str {
    contract
        .idempotency
        .as_ref()
        .map_or("key", |i| i.key_in.name())
}

/// Attaching an optional diff to a result.
trait WithDiff {
    fn with_diff_opt(self, diff: Option<String>) -> Self;
}

impl WithDiff for CheckResult {
    fn with_diff_opt(self, diff: Option<String>) -> Self {
        match diff {
            Some(diff) => self.with_diff(diff),
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;
    use crate::observe::testing::{failure_body, json_response, success_body};
    use crate::results::Outcome;

    fn seen<'a>(exchange: u64, payload: u64, answer: &'a Response) -> Use<'a> {
        Use {
            exchange,
            key: "k1",
            payload,
            answer: Some(answer),
            judged: true,
            valid: true,
        }
    }

    fn outcome(result: &Option<CheckResult>) -> Option<Outcome> {
        result.as_ref().map(|r| r.outcome)
    }

    #[test]
    fn an_invalid_request_under_a_used_key_is_judged_by_its_rejection_alone() {
        let (contract, keys) = (issue_card(), Keys::new(Bound::DEFAULT));
        keys.judge(&contract, &seen(1, 10, &json_response(success_body("1"))));
        let rejected = json_response(failure_body("PARAM_ILLEGAL", "appId"));
        let invalid = Use {
            valid: false,
            ..seen(2, 20, &rejected)
        };
        let reuse = keys.judge(&contract, &invalid);
        assert_eq!(reuse.client.outcome, Outcome::Fail);
        assert!(reuse.implementation.is_none(), "no conflict to judge");
    }

    #[test]
    fn a_key_used_again_after_a_rejection_is_a_new_request() {
        let (contract, keys) = (issue_card(), Keys::new(Bound::DEFAULT));
        let rejected = json_response(failure_body("PARAM_ILLEGAL", "appId"));
        let first = keys.judge(&contract, &seen(1, 10, &rejected));
        assert_eq!(first.client.outcome, Outcome::Pass);
        let accepted = json_response(success_body("1"));
        let corrected = keys.judge(&contract, &seen(2, 11, &accepted));
        assert_eq!(corrected.client.outcome, Outcome::Pass);
        assert!(
            corrected.implementation.is_none(),
            "nothing to compare with yet"
        );
    }

    #[test]
    fn a_retry_must_get_the_first_answer_and_shows_what_changed() {
        let (contract, keys) = (issue_card(), Keys::new(Bound::DEFAULT));
        keys.judge(&contract, &seen(1, 10, &json_response(success_body("1"))));
        let same = keys.judge(&contract, &seen(2, 10, &json_response(success_body("1"))));
        assert_eq!(outcome(&same.implementation), Some(Outcome::Pass));
        let other = keys.judge(&contract, &seen(3, 10, &json_response(success_body("2"))));
        let replay = other.implementation.unwrap();
        assert_eq!(replay.check, Check::IdempotencyReplay);
        assert!(
            replay.message().contains("exchange #1"),
            "{}",
            replay.message()
        );
        assert!(
            replay.message().contains("/cardNo \"1\" → \"2\""),
            "{}",
            replay.message()
        );
        assert!(replay.diff.unwrap().contains("+++ exchange #3"));
        assert_eq!(other.client.outcome, Outcome::Pass, "retrying is right");
    }

    #[test]
    fn a_large_first_answer_is_compared_by_its_digest() {
        let (contract, keys) = (issue_card(), Keys::new(Bound::DEFAULT));
        let mut big = success_body("1");
        big["extendInfo"] = serde_json::json!("x".repeat(2 * KEPT_WHOLE));
        keys.judge(&contract, &seen(1, 10, &json_response(big.clone())));
        let same = keys.judge(&contract, &seen(2, 10, &json_response(big.clone())));
        assert_eq!(outcome(&same.implementation), Some(Outcome::Pass));
        big["cardNo"] = serde_json::json!("2");
        let other = keys.judge(&contract, &seen(3, 10, &json_response(big)));
        let replay = other.implementation.unwrap();
        assert_eq!(replay.outcome, Outcome::Fail);
        assert!(
            replay.message().contains("the body differs"),
            "{}",
            replay.message()
        );
    }

    #[test]
    fn another_request_under_a_used_key_gets_what_the_policy_says() {
        let mut contract = issue_card();
        let rules = contract.idempotency.as_mut().unwrap();
        rules.policy = ConflictPolicy::Reject;
        let keys = Keys::new(Bound::DEFAULT);
        keys.judge(&contract, &seen(1, 10, &json_response(success_body("1"))));
        let first_again = json_response(success_body("1"));
        let reused = keys.judge(&contract, &seen(2, 20, &first_again));
        assert_eq!(
            reused.client.outcome,
            Outcome::Fail,
            "a new request needs a new key"
        );
        let conflict = reused.implementation.unwrap();
        assert_eq!(
            conflict.outcome,
            Outcome::Fail,
            "policy reject wants the rejection"
        );
        let rejection = failure_body("REPEAT_REQ_INCONSISTENT", "repeated request");
        let rejected = keys.judge(&contract, &seen(3, 20, &json_response(rejection)));
        assert_eq!(outcome(&rejected.implementation), Some(Outcome::Pass));
    }
}
