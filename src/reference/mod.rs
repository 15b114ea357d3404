//! The embedded reference implementation: an honest implementation of any contract, derived
//! from the contract alone.
//!
//! It validates each request with the same rules conform checks responses with, answers
//! invalid requests with the contract's rejection (`F`/`PARAM_ILLEGAL` by default, naming the
//! field and rule), answers valid ones with a made-up success that fits the response schema,
//! and keeps results by idempotency key so replays get the identical bytes. [`server`] serves
//! it over HTTP; [`faults`] makes it misbehave on purpose (within the contract);
//! [`auth`] makes it check request signatures and sign its answers when given keys.

pub mod auth;
mod examples;
pub mod faults;
pub mod server;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

pub use auth::ServerSigning;
pub use faults::Faults;
pub use server::{ReferenceServer, ServeError};

use crate::contract::{ConflictPolicy, Contract, StatusRole};
use crate::generate;
use crate::rules;

/// One operation's reference implementation, with its idempotency memory.
#[derive(Debug)]
pub struct Reference {
    contract: Contract,
    faults: Faults,
    memory: Mutex<HashMap<String, Remembered>>,
    /// A made-up body per result status, with [`UNIQUE`] where unique values go; generating
    /// one is far slower than filling one in, and it is the same every time.
    templates: Mutex<HashMap<String, Value>>,
    nonce: u64,
    next: AtomicU64,
    /// The answers to the contract's failure examples.
    failures: examples::FailureExamples,
}

/// Stands for a unique value (a card number) in a body template; replaced by a fresh token of
/// the same width in every answer.
const UNIQUE: &str = "999999999999999999";

/// What the reference remembers of a key: a digest of the request it came with (so a replay
/// with another payload is told apart without keeping the payload) and the exact answer bytes.
#[derive(Debug, Clone)]
struct Remembered {
    request: u64,
    response: Box<[u8]>,
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
    pub body: bytes::Bytes,
}

/// An HTTP answer before it is put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body bytes (JSON for business results).
    pub body: Vec<u8>,
}

impl Reference {
    /// A reference implementation of `contract`.
    pub fn new(contract: Contract, faults: Faults) -> Self {
        let nonce = jiff::Timestamp::now().as_millisecond().unsigned_abs() % 10_000_000_000;
        let mut reference = Reference {
            contract,
            faults,
            memory: Mutex::new(HashMap::new()),
            templates: Mutex::new(HashMap::new()),
            nonce,
            next: AtomicU64::new(1),
            failures: examples::FailureExamples::default(),
        };
        reference.failures = examples::FailureExamples::of(&reference);
        reference
    }

    /// The contract served.
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// Answers one request body.
    pub fn answer(&self, body: &[u8]) -> Answer {
        if self.faults.http_503() {
            return Answer {
                status: 503,
                body: b"service unavailable (injected fault)".to_vec(),
            };
        }
        if let Some(documented) = self.failures.answer(body) {
            return documented;
        }
        let request = match self.parse(body) {
            Ok(request) => request,
            Err(message) => return self.rejection(&message),
        };
        match self.key_of(&request) {
            Some(key) => self.answer_idempotent(key, request),
            None => self.ok(self.success()),
        }
    }

    fn parse(&self, body: &[u8]) -> Result<Value, String> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("request body is not JSON: {e}"))?;
        if !value.is_object() {
            return Err("request body is not a JSON object".into());
        }
        let violations =
            rules::validate(&self.contract.types, &self.contract.request, &value, None);
        match violations.first() {
            Some(v) => Err(format!(
                "{} {}: expected {}",
                v.place().trim_start_matches('/'),
                v.rule,
                v.expected
            )),
            None => Ok(value),
        }
    }

    fn key_of(&self, request: &Value) -> Option<String> {
        let idempotency = self.contract.idempotency.as_ref()?;
        idempotency
            .key
            .get(request)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    fn answer_idempotent(&self, key: String, request: Value) -> Answer {
        let digest = digest(&request);
        let mut memory = self
            .memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(seen) = memory.get(&key) {
            if seen.request == digest {
                return self.ok(seen.response.to_vec());
            }
            return self.conflict(seen);
        }
        let response = self.success();
        memory.insert(
            key,
            Remembered {
                request: digest,
                response: response.clone().into_boxed_slice(),
            },
        );
        drop(memory);
        if self.faults.unknown_first() {
            return self.ok(self.business(StatusRole::Unknown, None));
        }
        self.ok(response)
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
                self.ok(self.business_with(StatusRole::Failure, code, &message))
            }
            _ => self.ok(seen.response.to_vec()),
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
        self.ok(self.business_status(&negative.status, &code, message))
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
        self.ok(self.business_status(&status, &code, reason))
    }

    /// The body answering a failure example without a documented response: its status and
    /// code (the status's first catalogue code when it names none), with the code's message.
    fn documented_failure(&self, expect: &crate::contract::Expect) -> Vec<u8> {
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
        self.business_status(&expect.status, code, message)
    }

    fn success(&self) -> Vec<u8> {
        self.business(StatusRole::Success, None)
    }

    /// A business result of the first status with `role`, answered with its first catalogue
    /// code and that code's message.
    fn business(&self, role: StatusRole, message: Option<&str>) -> Vec<u8> {
        let rules = &self.contract.result;
        let status = rules.status_for(role).unwrap_or_default();
        let entry = rules.first_entry(status);
        let code = entry.map(|e| e.code.as_str()).unwrap_or_default();
        let text = message
            .or(entry.map(|e| e.message_text()))
            .unwrap_or_default();
        self.business_status(status, code, text)
    }

    fn business_with(&self, role: StatusRole, code: &str, message: &str) -> Vec<u8> {
        let status = self.contract.result.status_for(role).unwrap_or_default();
        self.business_status(status, code, message)
    }

    fn business_status(&self, status: &str, code: &str, message: &str) -> Vec<u8> {
        let rules = &self.contract.result;
        let mut body = self.template(status);
        rules
            .status
            .insert(&mut body, Value::String(status.to_string()));
        rules
            .code
            .insert(&mut body, Value::String(code.to_string()));
        if let Some(pointer) = &rules.message {
            pointer.insert(&mut body, Value::String(message.to_string()));
        }
        let text = serde_json::to_string(&body).unwrap_or_default();
        if !text.contains(UNIQUE) {
            return text.into_bytes();
        }
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let unique = format!("{:010}{:08}", self.nonce, seq % 100_000_000);
        text.replace(UNIQUE, &unique).into_bytes()
    }

    /// The made-up body for `status`, from the cache.
    fn template(&self, status: &str) -> Value {
        let mut templates = self
            .templates
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let template = templates.entry(status.to_string()).or_insert_with(|| {
            let options = generate::Options {
                status: Some(status),
                unique: Some(UNIQUE),
                include_optional: false,
                volatile: &self.contract.snapshot.redact,
            };
            generate::value(&self.contract.types, &self.contract.response, &options)
                .unwrap_or_else(|| Value::Object(serde_json::Map::new()))
        });
        template.clone()
    }

    fn ok(&self, body: Vec<u8>) -> Answer {
        Answer { status: 200, body }
    }
}

/// A digest of a JSON document that ignores object key order, so a client that re-serializes
/// a retried request differently is still recognised as sending the same payload.
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

#[cfg(test)]
mod tests;
