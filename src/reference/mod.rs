//! The embedded reference implementation: an honest implementation of any contract, derived
//! from the contract alone.
//!
//! It validates each request with the same rules conform checks responses with, answers
//! invalid requests with the contract's rejection (`F`/`PARAM_ILLEGAL` by default, naming the
//! field and rule), answers valid ones with a made-up success that fits the response schema,
//! and keeps results by idempotency key so replays get the identical bytes.
//!
//! Answering is here (with [`body`] rendering the documents and [`memory`] remembering keys,
//! within a bound); [`routes`] decides which operation a request is for; [`server`] serves it
//! over HTTP within the [`limits`] that let it be exposed; [`faults`] makes it misbehave on
//! purpose (within the contract); [`auth`] makes it check request signatures and sign its
//! answers when given keys.

pub mod auth;
mod body;
mod deadlines;
pub mod document;
pub mod faults;
pub mod limits;
pub mod memory;
pub mod routes;
pub mod server;

use bytes::Bytes;

pub use auth::{ServerSigning, SignatureRejection};
pub use faults::Faults;
pub use limits::Limits;
pub use memory::Bound;
pub use server::{ReferenceServer, RejectionLog, ServeError, ServeOptions};

use crate::contract::{ConflictPolicy, Contract, StatusRole};
use crate::rules::{self, JsonView};
use body::Bodies;
use document::Node;
use memory::{KeyMemory, Recall, Remembered};

/// One operation's reference implementation, with its idempotency memory.
#[derive(Debug)]
pub struct Reference {
    contract: Contract,
    faults: Faults,
    memory: KeyMemory,
    bodies: Bodies,
}

/// A request as the reference implementation sees it: method, path as sent, headers, body.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// HTTP method.
    pub method: hyper::Method,
    /// The path as sent, gateway prefix included.
    pub path: String,
    /// Request headers.
    pub headers: hyper::HeaderMap,
    /// The exact body bytes.
    pub body: Bytes,
}

/// An HTTP answer before it is put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Bytes,
    /// Whether the body is the contract's media type (a business result) or plain text (an
    /// injected fault).
    pub media: Media,
}

/// What an [`Answer`]'s body is, for its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// The contract's `response.contentType`.
    Contract,
    /// `text/plain; charset=UTF-8`.
    Text,
}

impl Reference {
    /// A reference implementation of `contract`, remembering keys within the default bound.
    pub fn new(contract: Contract, faults: Faults) -> Self {
        Self::bounded(contract, faults, Bound::DEFAULT)
    }

    /// A reference implementation of `contract` whose idempotency memory holds `bound`.
    pub fn bounded(contract: Contract, faults: Faults, bound: Bound) -> Self {
        Reference {
            bodies: Bodies::new(&contract),
            contract,
            faults,
            memory: KeyMemory::new(bound),
        }
    }

    /// The contract served.
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// How many idempotency keys it remembers now.
    pub fn keys_remembered(&self) -> usize {
        self.memory.len()
    }

    /// Answers one request body.
    pub fn answer(&self, body: &[u8]) -> Answer {
        if self.faults.http_503() {
            return Answer {
                status: 503,
                body: Bytes::from_static(b"service unavailable (injected fault)"),
                media: Media::Text,
            };
        }
        let request = match self.parse(body) {
            Ok(request) => request,
            Err(message) => return self.rejection(&message),
        };
        match self.key_of(&request) {
            Some(key) => self.answer_idempotent(key, &request),
            None => self.ok(self.bodies.success()),
        }
    }

    fn parse<'b>(&self, body: &'b [u8]) -> Result<Node<'b>, String> {
        let request = document::parse(body)?;
        if !matches!(request, Node::Object(_)) {
            return Err("request body is not a JSON object".into());
        }
        let (types, schema) = (&self.contract.types, &self.contract.request);
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

    fn key_of<'r>(&self, request: &'r Node<'_>) -> Option<&'r str> {
        let idempotency = self.contract.idempotency.as_ref()?;
        match request.at(&idempotency.key)?.view() {
            rules::View::String(key) => Some(key),
            _ => None,
        }
    }

    fn answer_idempotent(&self, key: &str, request: &Node<'_>) -> Answer {
        let digest = request.digest();
        match (self.memory).recall_or_remember(key, digest, || self.bodies.success()) {
            Recall::Known(seen) if seen.request == digest => self.ok(seen.response),
            Recall::Known(seen) => self.conflict(&seen),
            Recall::New(_) if self.faults.unknown_first() => {
                self.ok(self.bodies.unknown(&self.contract))
            }
            Recall::New(response) => self.ok(response),
        }
    }

    fn conflict(&self, seen: &Remembered) -> Answer {
        let idempotency = self.contract.idempotency.as_ref();
        match (
            idempotency.map(|i| i.policy),
            idempotency.and_then(|i| i.conflict_code.as_deref()),
        ) {
            (Some(ConflictPolicy::Reject | ConflictPolicy::Either), Some(code)) => {
                let message = format!(
                    "{} was used before with different parameters",
                    self.key_name()
                );
                let body =
                    self.bodies
                        .with_role(&self.contract, StatusRole::Failure, code, &message);
                self.ok(body)
            }
            _ => self.ok(seen.response.clone()),
        }
    }

    fn key_name(&self) -> String {
        let key = self
            .contract
            .idempotency
            .as_ref()
            .map(|i| i.key.to_string());
        key.unwrap_or_default().trim_start_matches('/').to_string()
    }

    fn rejection(&self, message: &str) -> Answer {
        let negative = &self.contract.negative;
        let code = negative.code.clone().or_else(|| {
            self.contract
                .result
                .first_entry(&negative.status)
                .map(|e| e.code.clone())
        });
        let code = code.unwrap_or_default();
        let body = (self.bodies).business(&self.contract, &negative.status, &code, message);
        self.ok(body)
    }

    /// The answer to a request whose signature is missing or bad: HTTP 200 with the
    /// contract's signature rejection (`F`/`ACCESS_DENIED` by default), before anything is
    /// processed or remembered.
    pub fn reject_signature(&self, reason: &str) -> Answer {
        let (status, code) = match &self.contract.signature_rejection {
            Some(expect) => (
                expect.status.clone(),
                expect.code.clone().unwrap_or_default(),
            ),
            None => (self.contract.negative.status.clone(), String::new()),
        };
        self.ok(self.bodies.business(&self.contract, &status, &code, reason))
    }

    fn ok(&self, body: Bytes) -> Answer {
        Answer {
            status: 200,
            body,
            media: Media::Contract,
        }
    }
}

#[cfg(test)]
mod tests;
