//! The embedded reference implementation: an honest implementation of any contract, derived
//! from the contract alone.
//!
//! It validates each request (parameters and body) with the same rules conform checks
//! responses with, answers invalid requests with the contract's rejection (`F`/`PARAM_ILLEGAL`
//! by default, or `400` for a REST contract, naming the field and rule), answers valid ones
//! with a made-up success that fits the response definition, keeps results by idempotency key
//! (a body field or a header) so replays get the identical answer, and keeps the resources it
//! creates so they can be read, changed and deleted.
//!
//! Answering is here (with `body` rendering the documents, `statuses` putting them on the
//! wire, `parameters` reading a request's parameters, `memory` remembering keys and
//! `resources` the resources created, within a bound); `routes` decides which operation a
//! request is for; `server` serves it over HTTP within the `limits` that let it be exposed;
//! `faults` makes it misbehave on purpose (within the contract); `auth` makes it check
//! request signatures and sign its answers when given keys, and `credentials` check the
//! credential headers a contract declares when given their values; `issued` issues and
//! honours the credentials one operation answers with and another takes, and refuses a reused
//! single-use value.
//!
//! Public: [`ReferenceServer`], to serve contracts on a free loopback port in a client's
//! own tests; the rest serves `conform serve` and the embedded target of `verify`.

mod acting;
pub(crate) mod auth;
mod body;
pub(crate) mod credentials;
pub(crate) mod deadlines;
pub(crate) mod document;
mod examples;
pub(crate) mod faults;
pub(crate) mod issued;
pub(crate) mod limits;
pub(crate) mod listen;
pub(crate) mod memory;
mod parameters;
mod recency;
pub(crate) mod resources;
pub(crate) mod routes;
mod served;
pub(crate) mod server;
mod statuses;
mod workers;

use std::sync::Arc;

use bytes::Bytes;
use hyper::header::HeaderValue;
use serde_json::Value;

pub(crate) use auth::{ServerSigning, SignatureRejection};
pub(crate) use credentials::ServerCredentials;
pub(crate) use faults::Faults;
pub(crate) use limits::Limits;
pub(crate) use memory::Bound;
pub(crate) use resources::ResourceStore;
pub(crate) use served::ServedRequest;
pub use server::{ReferenceServer, StartError};
pub(crate) use server::{RejectionLog, ServeError, ServeOptions};
pub(crate) use statuses::Headers;

use crate::contract::{
    ConflictPolicy, Contract, KeyLocation, Location, SharedContract, StatusRole,
};
use crate::rules;
use body::Bodies;
use document::Node;
use memory::{Keep, KeyMemory, Recall, Remembered};
use statuses::Statuses;

/// One operation's reference implementation, with its idempotency memory.
#[derive(Debug)]
pub(crate) struct Reference {
    // Shared with the runner when embedded in a run: one compiled copy of each contract.
    contract: SharedContract,
    faults: Faults,
    memory: KeyMemory<Answer>,
    bodies: Bodies,
    statuses: Statuses,
    store: Arc<ResourceStore>,
    /// The single-use values seen, for the fields whose reuse the contract refuses.
    used: issued::Used,
    /// Whether requests carry parameters to read (path, query or headers defined).
    has_parameters: bool,
    /// The answers to the contract's failure examples.
    failures: examples::FailureExamples,
}

/// A request as the reference implementation sees it: method, path as sent (query included),
/// headers, body.
#[derive(Debug, Clone)]
pub(crate) struct Incoming {
    /// HTTP method.
    pub method: hyper::Method,
    /// The path as sent, gateway prefix and query included.
    pub path: String,
    /// Request headers.
    pub headers: hyper::HeaderMap,
    /// The exact body bytes.
    pub body: Bytes,
}

impl Incoming {
    /// The query string, without `?`.
    pub(crate) fn query(&self) -> Option<&str> {
        // A byte search: `?` is ASCII, so its offset is a character boundary.
        let at = memchr::memchr(b'?', self.path.as_bytes())?;
        Some(&self.path[at + 1..])
    }
}

/// An HTTP answer before it is put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Bytes,
    /// `Content-Type`, when there is a body.
    pub content_type: Option<HeaderValue>,
    /// Other headers (`Location`, `Retry-After`).
    pub headers: Headers,
}

impl Answer {
    /// A plain-text answer, for what is not the contract's (an injected fault).
    pub(crate) fn text(status: u16, text: impl Into<Bytes>) -> Self {
        Answer {
            status,
            body: text.into(),
            content_type: Some(HeaderValue::from_static("text/plain; charset=UTF-8")),
            headers: None,
        }
    }
}

/// An answer is remembered with its body copied into the room of the answer it displaces:
/// under load every request brings a new key to a full memory, and this way remembering its
/// answer allocates nothing and forgetting the oldest frees nothing. (Keeping the answer sent
/// made its body shared, an allocation, and the forgotten body was freed by whichever thread
/// answered the request that displaced it, half the time not the one that made it.)
impl Keep for Answer {
    fn keep(&self, displaced: Option<&mut Answer>) -> Answer {
        let room = displaced
            .map(|old| std::mem::take(&mut old.body))
            .and_then(|body| body.try_into_mut().ok());
        let body = match room {
            Some(mut room) => {
                room.clear();
                room.extend_from_slice(&self.body);
                room.freeze()
            }
            None => Bytes::copy_from_slice(&self.body),
        };
        Answer {
            status: self.status,
            body,
            content_type: self.content_type.clone(),
            headers: self.headers.clone(),
        }
    }
}

/// A request's parsed parts, for answering.
struct Parts<'b> {
    /// The parameters read by their definitions, when the contract defines any.
    parameters: Option<Value>,
    /// The body, when the operation has one.
    body: Option<Node<'b>>,
}

impl Reference {
    /// A reference implementation of `contract`, remembering keys within the default bound.
    #[cfg(test)]
    pub(crate) fn new(contract: Contract, faults: Faults) -> Self {
        Self::bounded(contract, faults, Bound::DEFAULT)
    }

    /// A reference implementation of `contract` whose idempotency memory holds `bound`, with a
    /// store of its own for the resources it creates.
    #[cfg(test)]
    pub(crate) fn bounded(contract: Contract, faults: Faults, bound: Bound) -> Self {
        let store = Arc::new(ResourceStore::new(std::slice::from_ref(&contract), bound));
        Self::sharing(contract, faults, bound, store)
    }

    /// A reference implementation of `contract` keeping its resources in `store`, shared with
    /// the other operations served.
    #[cfg(test)]
    pub(crate) fn sharing(
        contract: Contract,
        faults: Faults,
        bound: Bound,
        store: Arc<ResourceStore>,
    ) -> Self {
        Self::shared(SharedContract::own(contract), faults, bound, store)
    }

    /// [`Reference::sharing`] for a contract whose compiled copy is held by others too (the
    /// runner's, when the reference implementation is embedded in a run).
    pub(crate) fn shared(
        contract: SharedContract,
        faults: Faults,
        bound: Bound,
        store: Arc<ResourceStore>,
    ) -> Self {
        let has_parameters = [Location::Path, Location::Query, Location::Headers]
            .into_iter()
            .any(|l| !contract.parameters(l).is_empty());
        let mut reference = Reference {
            bodies: Bodies::new(&contract),
            statuses: Statuses::default(),
            contract,
            faults,
            memory: KeyMemory::new(bound),
            used: issued::Used::new(bound),
            store,
            has_parameters,
            failures: examples::FailureExamples::default(),
        };
        reference.failures = examples::FailureExamples::of(&reference);
        reference
    }

    /// The contract served.
    pub(crate) fn contract(&self) -> &Contract {
        &self.contract
    }

    /// Answers a request that is only a body (no path, query or header parameters).
    #[cfg(test)]
    pub(crate) fn answer(&self, body: &[u8]) -> Answer {
        self.answer_request(&[], None, &hyper::HeaderMap::new(), body)
    }

    /// Answers one request: `path` holds the path parameters the route matched.
    pub(crate) fn answer_request(
        &self,
        path: &[(String, String)],
        query: Option<&str>,
        headers: &hyper::HeaderMap,
        body: &[u8],
    ) -> Answer {
        if self.faults.http_503() {
            return Answer::text(503, "service unavailable (injected fault)");
        }
        if let Some(documented) = self.failures.answer(body) {
            return documented;
        }
        // The body's document lives in the arena, which the parts borrow.
        document::with_arena(body.len(), |arena| {
            let parts = match self.parts(path, query, headers, body, arena) {
                Ok(parts) => parts,
                Err(message) => return self.rejection(&message),
            };
            if let Some(missing) = acting::missing(self, &parts) {
                return missing;
            }
            match self.key_of(&parts) {
                Some(key) => {
                    let digest = self.digest(&parts);
                    self.answer_idempotent(key, digest, &parts)
                }
                None => self.act(&parts),
            }
        })
    }

    /// A valid request's answer: refused for its credentials (one never issued, a single-use
    /// value seen before), or acted on, with the credentials the answer issues remembered.
    fn act(&self, parts: &Parts<'_>) -> Answer {
        if let Some(refused) = issued::refusal(self, parts) {
            return refused;
        }
        let answer = acting::succeed(self, parts);
        issued::remember_issued(self, &answer);
        answer
    }

    /// The parameters and body, read and checked; the message says what is wrong.
    fn parts<'b>(
        &self,
        path: &[(String, String)],
        query: Option<&str>,
        headers: &hyper::HeaderMap,
        body: &'b [u8],
        arena: &'b bumpalo::Bump,
    ) -> Result<Parts<'b>, String> {
        let parameters = if self.has_parameters {
            Some(parameters::read(&self.contract, path, query, headers)?)
        } else {
            None
        };
        let body = match self.contract.request_media {
            Some(_) => Some(self.parse(body, arena)?),
            None => None,
        };
        Ok(Parts { parameters, body })
    }

    fn parse<'b>(&self, body: &'b [u8], arena: &'b bumpalo::Bump) -> Result<Node<'b>, String> {
        let request = document::parse(body, arena)?;
        if !matches!(request, Node::Object(_)) {
            return Err("request body is not a JSON object".into());
        }
        let (types, schema) = (&self.contract.types, &self.contract.request());
        let violations = rules::validate_view(types, schema, &request, None);
        match violations.first() {
            Some(v) => Err(format!(
                "{} {}: expected {}",
                v.place().trim_start_matches('/'),
                v.rule,
                v.expected
            )),
            None => Ok(request),
        }
    }

    fn key_of<'p>(&self, parts: &'p Parts<'_>) -> Option<&'p str> {
        let idempotency = self.contract.idempotency.as_ref()?;
        match &idempotency.key_in {
            KeyLocation::Body(pointer) => match parts.body.as_ref()?.at(pointer)? {
                Node::String(key) => Some(key),
                _ => None,
            },
            KeyLocation::Header(name) => parts
                .parameters
                .as_ref()?
                .get(Location::Headers.name())?
                .get(name)?
                .as_str(),
        }
    }

    /// The payload's digest: the body's, and the parameters' when there are any.
    fn digest(&self, parts: &Parts<'_>) -> u64 {
        let body = parts.body.as_ref().map_or(0, Node::digest);
        let parameters = parts.parameters.as_ref().map_or(0, |p| {
            let mut without_key = p.clone();
            if let Some(KeyLocation::Header(name)) =
                self.contract.idempotency.as_ref().map(|i| &i.key_in)
                && let Some(headers) = without_key.get_mut(Location::Headers.name())
                && let Some(map) = headers.as_object_mut()
            {
                map.remove(name);
            }
            parameters::digest(&without_key)
        });
        body ^ parameters.rotate_left(17)
    }

    fn answer_idempotent(&self, key: &str, digest: u64, parts: &Parts<'_>) -> Answer {
        let unknown_first = self.faults.unknown_first();
        match (self.memory).recall_or_remember(key, digest, || self.act(parts)) {
            Recall::Known(seen) if seen.request == digest => seen.response,
            Recall::Known(seen) => self.conflict(&seen),
            Recall::New(_) if unknown_first => self.unknown(),
            Recall::New(response) => response,
        }
    }

    fn conflict(&self, seen: &Remembered<Answer>) -> Answer {
        let Some(idempotency) = self.contract.idempotency.as_ref() else {
            return seen.response.clone();
        };
        if idempotency.policy == ConflictPolicy::SameResult {
            return seen.response.clone();
        }
        let status = idempotency.conflict_status.clone().unwrap_or_default();
        let message = format!(
            "{} was used before with different parameters",
            idempotency.key_in.name()
        );
        let code = idempotency
            .conflict_code
            .clone()
            .or_else(|| self.first_code(&status))
            .unwrap_or_default();
        self.business(&status, &code, &message)
    }

    /// The answer to a request that breaks a rule: the contract's `generated.negative`.
    fn rejection(&self, message: &str) -> Answer {
        let negative = &self.contract.negative;
        let code = negative
            .code
            .clone()
            .or_else(|| self.first_code(&negative.status))
            .unwrap_or_default();
        self.business(&negative.status, &code, message)
    }

    /// The unknown-status answer (the `unknown-first` fault): the first `unknown` status with
    /// its first code.
    fn unknown(&self) -> Answer {
        let rules = &self.contract.result;
        let Some(status) = rules.status_for(StatusRole::Unknown) else {
            return Answer::text(503, "service unavailable (injected fault)");
        };
        let wire = self.statuses.wire(&self.contract, status);
        let body = self.bodies.unknown(&self.contract, &wire.business);
        self.answer_on(&wire, body)
    }

    /// The answer to a request whose signature is missing or bad: the contract's signature
    /// rejection (HTTP 200 with `F`/`ACCESS_DENIED` by default), before anything is processed
    /// or remembered.
    pub(crate) fn reject_signature(&self, reason: &str) -> Answer {
        let (status, code) = match &self.contract.signature_rejection {
            Some(expect) => (expect.status.clone(), expect.code.clone()),
            None => (self.contract.negative.status.clone(), None),
        };
        // A REST contract naming no `rejectCode` answers with its catalogue's code for the
        // status (`401` `unauthorized`), as a status with codes must carry one.
        let code = code
            .or_else(|| self.first_code(&status))
            .unwrap_or_default();
        self.business(&status, &code, reason)
    }

    /// The answer to a request without the credentials the contract declares, or with wrong
    /// ones: the contract's `credentials.reject`, before anything is processed or remembered.
    pub(crate) fn reject_credentials(&self, reason: &str) -> Answer {
        let Some(credentials) = &self.contract.credentials else {
            return Answer::text(401, reason.to_string());
        };
        let reject = &credentials.reject;
        let code = reject
            .code
            .clone()
            .or_else(|| self.first_code(&reject.status))
            .unwrap_or_default();
        self.business(&reject.status, &code, reason)
    }

    /// A business result of `status` (or a status of that class) with `code` and `message`.
    fn business(&self, status: &str, code: &str, message: &str) -> Answer {
        let wire = self.statuses.wire(&self.contract, status);
        let body = (self.bodies).business(&self.contract, &wire.business, code, message);
        self.answer_on(&wire, body)
    }

    /// The answer to a failure example without a documented response: its status and code
    /// (the status's first catalogue code when it names none), with the code's message.
    fn documented_failure(&self, expect: &crate::contract::Expect) -> Answer {
        let rules = &self.contract.result;
        let entry = match &expect.code {
            Some(code) => rules.entry(&expect.status, code),
            None => rules.first_entry(&expect.status),
        };
        let code = expect
            .code
            .as_deref()
            .or(entry.map(|e| e.code.as_str()))
            .unwrap_or_default();
        let message = entry.map_or(code, |e| e.message_text());
        self.business(&expect.status, code, message)
    }

    /// A failure example's documented response, on the wire as its expected status goes.
    fn documented_response(&self, status: &str, response: &Value) -> Answer {
        let wire = self.statuses.wire(&self.contract, status);
        let body = Bytes::from(serde_json::to_vec(response).unwrap_or_default());
        self.answer_on(&wire, body)
    }

    /// The success answer, made up, with a fresh unique value.
    fn success(&self) -> Answer {
        let wire = self.statuses.success(&self.contract);
        self.answer_on(wire, self.bodies.success(&self.contract, &wire.business))
    }

    fn answer_on(&self, wire: &statuses::Wire, body: Bytes) -> Answer {
        Answer {
            status: wire.status,
            content_type: wire.content_type.clone().filter(|_| !body.is_empty()),
            headers: wire.headers.clone(),
            body,
        }
    }

    /// The first catalogue code of `status` (or of a status in that class).
    fn first_code(&self, status: &str) -> Option<String> {
        let wire = self.statuses.wire(&self.contract, status);
        let rules = &self.contract.result;
        rules
            .first_entry(&wire.business)
            .or_else(|| rules.first_entry(status))
            .map(|e| e.code.clone())
    }
}

#[cfg(test)]
mod tests;
