//! One exchange of real traffic turned into a case: the client's side first (`client-request`,
//! `client-signature`, `client-idempotency-key`), then, when the answer is the implementation's
//! under test, every per-response check, `expectation` and the idempotency checks across the
//! traffic. What the exchange exercised is counted for the coverage table as it goes.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};

use super::coverage::Coverage;
use super::keys::{self, Keys, Use};
use super::request::{self, RequestJudgement, Validity};
use super::{Seen, secrets};
use crate::check;
use crate::contract::{Contract, Expect};
use crate::observe::{Exchange, Observations, Response, Sent, Settled, SignatureContext};
use crate::reference::Bound;
use crate::results::{CaseResult, Check, CheckResult, Finding};
use crate::signing::{PublicKey, headers};
use crate::target::headers::is_secret_name;

/// What the judge needs besides the contracts.
#[derive(Debug, Clone, Default)]
pub(crate) struct JudgeOptions {
    /// Whether answers are the implementation's under test and judged (`conform proxy`), or
    /// the reference implementation's (`serve --report`: only the client is judged).
    pub judge_answers: bool,
    /// The client's public key: every request must carry a signature that verifies with it.
    pub client_key: Option<Arc<PublicKey>>,
    /// The implementation's public key: every answer must be signed with its private half.
    pub answer_key: Option<Arc<PublicKey>>,
    /// How many keys each operation remembers, and for how long.
    pub keys: Bound,
    /// Request bodies larger than this were kept only in part, and are not judged.
    pub max_body: usize,
}

/// Judges exchanges of the given contracts.
pub(super) struct Judge {
    contracts: Vec<Contract>,
    keys: Vec<Keys>,
    coverage: Coverage,
    options: JudgeOptions,
}

impl Judge {
    pub(super) fn new(contracts: Vec<Contract>, options: JudgeOptions) -> Self {
        Judge {
            keys: contracts.iter().map(|_| Keys::new(options.keys)).collect(),
            coverage: Coverage::new(&contracts),
            contracts,
            options,
        }
    }

    pub(super) fn contracts(&self) -> &[Contract] {
        &self.contracts
    }

    pub(super) fn coverage(&self) -> &Coverage {
        &self.coverage
    }

    /// The case of exchange `seen` of contract `index`, whose route matched `path_params`.
    pub(super) fn judge(
        &mut self,
        index: usize,
        path_params: &[(String, String)],
        seen: Seen,
    ) -> CaseResult {
        let contract = &self.contracts[index];
        let judged = self.options.judge_answers;
        let request = request::check(contract, &seen, path_params, self.options.max_body);
        let mut checks = vec![request.row.clone()];
        let signature =
            (self.options.client_key.as_ref()).map(|key| request::signature(key, &seen.request));
        let signed_wrongly = signature.as_ref().is_some_and(is_failure);
        checks.extend(signature);
        let reuse = request.document.as_ref().and_then(|document| {
            let key = keys::key_of(contract, document)?;
            let seen_use = Use {
                exchange: seen.number,
                key: &key,
                payload: keys::payload(contract, document),
                answer: seen.answer.as_ref().ok(),
                judged,
                valid: request.validity == Validity::Valid,
            };
            Some(self.keys[index].judge(contract, &seen_use))
        });
        if let Some(reuse) = &reuse {
            checks.push(reuse.client.clone());
        }
        let number = seen.number;
        let observed = observations(seen, self.options.answer_key.as_ref());
        let answer = observed.main().answer().response();
        if judged {
            let (rows, signature) = check::per_response(contract, &observed);
            checks.extend(rows);
            checks.push(expectation(contract, &request, signed_wrongly, answer));
            checks.extend(signature);
            checks.extend(reuse.and_then(|r| r.implementation));
        }
        checks.iter_mut().for_each(secrets::hide_values);
        let document = request.document.as_ref();
        (self.coverage).add(contract, index, number, document, answer);
        CaseResult {
            contract: contract.name.clone(),
            case: format!("{}/exchange/{number}", contract.name),
            checks,
            duration: answer.map_or(Duration::ZERO, |r| r.elapsed),
            steps: Vec::new(),
        }
    }
}

fn is_failure(result: &CheckResult) -> bool {
    result.outcome == crate::results::Outcome::Fail
}

/// The exchange as the per-response checks read it: the request as it went on (credential
/// headers marked so nothing shows them) and the answer, to be checked for a signature when the
/// implementation's key is given.
fn observations(seen: Seen, answer_key: Option<&Arc<PublicKey>>) -> Observations {
    let mut sent_headers = HeaderMap::new();
    for (name, value) in &seen.request.headers {
        let mut value: HeaderValue = value.clone();
        value.set_sensitive(is_secret_name(name.as_str()));
        sent_headers.append(name.clone(), value);
    }
    let context = answer_key.map(|key| SignatureContext {
        public_key: Arc::clone(key),
        method: seen.request.method.to_string(),
        path: match seen.url.query() {
            Some(query) => format!("{}?{query}", seen.url.path()),
            None => seen.url.path().to_string(),
        },
        client_id: (seen.request.headers.get(headers::CLIENT_ID))
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
    });
    let answer = seen
        .answer
        .map(|response: Response| response.with_signature_context(context));
    let exchange = Exchange {
        sent: Sent {
            method: seen.request.method,
            url: seen.url,
            headers: sent_headers,
            body: seen.request.body,
            key: None,
        },
        answer,
    };
    Observations::Single {
        main: Settled::new(exchange),
        replays: None,
    }
}

/// `expectation` for real traffic: a request that broke the request rules must get the
/// contract's rejection, as the generated negative cases must (or, when it was signed wrongly
/// too, the rejection of bad signatures: an implementation may check either first); a valid
/// request must not get the rejection meant for invalid ones. Whether a wrong signature alone
/// must be refused is not judged: nothing tells the proxy that the implementation checks
/// signatures with the key the client was checked with. Anything else a valid request may get
/// is the implementation's business.
fn expectation(
    contract: &Contract,
    request: &RequestJudgement,
    signed_wrongly: bool,
    answer: Option<&Response>,
) -> CheckResult {
    let check = Check::Expectation;
    let Some(answer) = answer else {
        return CheckResult::skip(check, "no response");
    };
    let business = answer.business(contract);
    let (status, code) = match business {
        Some(b) => (b.status.as_deref(), b.code.as_deref()),
        None => (None, None),
    };
    if request.validity == Validity::Invalid {
        let mut rejections: Vec<&Expect> = vec![&contract.negative];
        if signed_wrongly && let Some(rejection) = &contract.signature_rejection {
            rejections.push(rejection);
        }
        if rejections.iter().any(|e| e.matches(status, code)) {
            return CheckResult::pass(check);
        }
        let expected: Vec<String> = rejections.iter().map(|e| e.describe()).collect();
        let expected = expected.join(" or ");
        let actual = answer.describe(contract);
        let mut finding = Finding::mismatch(None, expected.clone(), actual.clone());
        finding.message = format!(
            "the request breaks the request rules, so it must be rejected with {expected}; got {actual}"
        );
        return CheckResult::fail(check, vec![finding]);
    }
    if request.validity == Validity::Unsure {
        return CheckResult::skip(
            check,
            "the contract does not say how this request is answered",
        );
    }
    let negative = &contract.negative;
    if negative.code.is_some() && negative.matches(status, code) {
        let actual = answer.describe(contract);
        let mut finding = Finding::mismatch(
            None,
            "an answer other than the rejection of invalid requests",
            actual.clone(),
        );
        finding.message = format!(
            "the request keeps every request rule, yet it was rejected as invalid: got {actual}"
        );
        return CheckResult::fail(check, vec![finding]);
    }
    CheckResult::pass(check)
}
