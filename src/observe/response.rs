//! Responses as received, with their body parsed once for every reader, and the business result
//! read through the contract's pointers.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::contract::{Contract, ResultCarrier, StatusRole};
use crate::json::{abbreviate, strict};
use crate::signing::PublicKey;

/// An answer as received. Its body is parsed when a reader first needs it (a replay that is
/// byte-identical to the first answer never is), and the parse is shared by every reader.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Vec<u8>,
    /// Time from sending to the end of the body.
    pub elapsed: Duration,
    /// What the answer's signature must verify against, when answers are checked.
    pub signature_context: Option<SignatureContext>,
    parsed: OnceLock<ParsedBody>,
    business: OnceLock<Option<Business>>,
}

/// The body parsed once: the document or why it is not JSON, and its duplicate keys.
#[derive(Debug, Clone)]
struct ParsedBody {
    json: Result<Value, String>,
    duplicates: Vec<String>,
    duplicate_count: usize,
}

/// What the `signature` check verifies one answer against: the counterpart's public key, and
/// the request line and Client-Id of the request it answers.
#[derive(Debug, Clone)]
pub(crate) struct SignatureContext {
    /// The counterpart's public key.
    pub public_key: Arc<PublicKey>,
    /// The request's method.
    pub method: String,
    /// The request's path as sent, gateway prefix included.
    pub path: String,
    /// The request's Client-Id.
    pub client_id: String,
}

impl Response {
    /// A response as received.
    pub(crate) fn new(status: u16, headers: HeaderMap, body: Vec<u8>, elapsed: Duration) -> Self {
        Response {
            status,
            headers,
            body,
            elapsed,
            signature_context: None,
            parsed: OnceLock::new(),
            business: OnceLock::new(),
        }
    }

    /// The same response, to be checked against `context`'s signature rules.
    pub(crate) fn with_signature_context(mut self, context: Option<SignatureContext>) -> Self {
        self.signature_context = context;
        self
    }

    /// The value of a header, if present and text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON, or why it is not JSON. Of duplicate object members, the last one
    /// counts (see [`Response::duplicate_keys`]).
    pub(crate) fn json(&self) -> &Result<Value, String> {
        &self.parsed().json
    }

    /// The JSON pointers of duplicated object members (the first few), and how many there
    /// were in all. Parsers disagree on which of two members counts, so the answer is ambiguous.
    pub(crate) fn duplicate_keys(&self) -> (&[String], usize) {
        let parsed = self.parsed();
        (&parsed.duplicates, parsed.duplicate_count)
    }

    fn parsed(&self) -> &ParsedBody {
        self.parsed.get_or_init(|| match strict::parse(&self.body) {
            Ok(parsed) => ParsedBody {
                json: Ok(parsed.value),
                duplicates: parsed.duplicates,
                duplicate_count: parsed.duplicate_count,
            },
            Err(err) => ParsedBody {
                json: Err(err.to_string()),
                duplicates: Vec::new(),
                duplicate_count: 0,
            },
        })
    }

    /// The business result, if the answer carries one: read from the JSON body on a status of
    /// `result.httpStatus` (results in the body), or the HTTP status itself, with the code and
    /// message read from the body when it has them, on any other declared status. A response
    /// always belongs to one contract's exchange, so it is read once.
    pub(crate) fn business(&self, contract: &Contract) -> Option<&Business> {
        let business = self.business.get_or_init(|| {
            let rules = &contract.result;
            if rules.carrier == ResultCarrier::Body && rules.http_status.contains(&self.status) {
                let body = self.json().as_ref().ok()?;
                return Some(Business::read(contract, body));
            }
            contract.response_for(self.status)?;
            let body = self.json().as_ref().ok();
            let text = |pointer: &crate::json::Pointer| {
                body.and_then(|b| pointer.get(b))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            Some(Business {
                status: Some(self.status.to_string()),
                code: text(&rules.code),
                message: rules.message.as_ref().and_then(text),
            })
        });
        business.as_ref()
    }

    /// The value at a pointer into the answer document `{"status", "headers", "body"}`: the HTTP
    /// status as a number, a header's value (its name compared without case), or a part of the
    /// JSON body.
    pub(crate) fn document_value(&self, at: &crate::json::Pointer) -> Option<Value> {
        match at.segments() {
            [only] if only == "status" => Some(Value::from(self.status)),
            [first, name] if first == "headers" => self.header(name).map(Value::from),
            [first, rest @ ..] if first == "body" => {
                let body = self.json().as_ref().ok()?;
                crate::json::pointer::walk(body, rest).cloned()
            }
            _ => None,
        }
    }

    /// The role of the business status, when the answer carries a declared one.
    pub(crate) fn role(&self, contract: &Contract) -> Option<StatusRole> {
        let status = self.business(contract)?.status.as_deref()?;
        contract.result.role(status)
    }

    /// What came back, in a few words: `HTTP 200, S/SUCCESS "Success"` or
    /// `HTTP 500, body "<html>…"`.
    pub(crate) fn describe(&self, contract: &Contract) -> String {
        let status = self.status;
        match self.business(contract) {
            Some(business) => format!("HTTP {status}, {}", business.describe()),
            None => {
                let body = String::from_utf8_lossy(&self.body);
                format!(
                    "HTTP {status}, body {}",
                    abbreviate(&Value::String(body.into_owned()), 60)
                )
            }
        }
    }
}

/// The business result read from a response body through the contract's pointers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Business {
    /// The result status, when present and a string.
    pub status: Option<String>,
    /// The result code.
    pub code: Option<String>,
    /// The result message.
    pub message: Option<String>,
}

impl Business {
    /// Reads the result of `body`.
    pub(crate) fn read(contract: &Contract, body: &Value) -> Self {
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
        let rules = &contract.result;
        Business {
            status: text(rules.status.get(body)),
            code: text(rules.code.get(body)),
            message: rules.message.as_ref().and_then(|m| text(m.get(body))),
        }
    }

    /// `S/SUCCESS "Success"`, for messages.
    pub(crate) fn describe(&self) -> String {
        let mut out = format!(
            "{}/{}",
            self.status.as_deref().unwrap_or("(no status)"),
            self.code.as_deref().unwrap_or("(no code)")
        );
        if let Some(message) = &self.message {
            out.push(' ');
            out.push_str(&abbreviate(&Value::String(message.clone()), 80));
        }
        out
    }
}
