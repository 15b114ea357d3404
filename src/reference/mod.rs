//! The embedded reference implementation: an honest implementation of any contract, derived
//! from the contract alone.
//!
//! It validates each request with the same rules conform checks responses with, answers
//! invalid requests with the contract's rejection (`F`/`PARAM_ILLEGAL` by default, naming the
//! field and rule), answers valid ones with a made-up success that fits the response schema,
//! and keeps results by idempotency key so replays get the identical bytes. [`server`] serves
//! it over HTTP with wiremock; [`faults`] makes it misbehave on purpose (within the contract);
//! [`auth`] makes it check request signatures and sign its answers when given keys.

pub mod auth;
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
    nonce: u64,
    next: AtomicU64,
}

#[derive(Debug, Clone)]
struct Remembered {
    request: Value,
    response: Vec<u8>,
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
        Reference {
            contract,
            faults,
            memory: Mutex::new(HashMap::new()),
            nonce,
            next: AtomicU64::new(1),
        }
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
        let mut memory = self
            .memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(seen) = memory.get(&key) {
            if seen.request == request {
                return self.ok(seen.response.clone());
            }
            return self.conflict(seen);
        }
        let response = self.success();
        memory.insert(
            key,
            Remembered {
                request,
                response: response.clone(),
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
        let unique = format!(
            "{}{:08}",
            self.nonce,
            self.next.fetch_add(1, Ordering::Relaxed)
        );
        let options = generate::Options {
            status: Some(status),
            unique: Some(&unique),
            include_optional: false,
        };
        let mut body = generate::value(&self.contract.types, &self.contract.response, &options)
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        rules
            .status
            .insert(&mut body, Value::String(status.to_string()));
        rules
            .code
            .insert(&mut body, Value::String(code.to_string()));
        if let Some(pointer) = &rules.message {
            pointer.insert(&mut body, Value::String(message.to_string()));
        }
        serde_json::to_vec(&body).unwrap_or_default()
    }

    fn ok(&self, body: Vec<u8>) -> Answer {
        Answer { status: 200, body }
    }
}

#[cfg(test)]
mod tests;
