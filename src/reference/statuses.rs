//! What the reference implementation answers with on the wire for a business result: the HTTP
//! status, the `Content-Type`, and the response headers its definition declares.
//!
//! With results in the body every business answer is the business status's HTTP status (200)
//! with the contract's media type. With results in the HTTP status, the business status is the
//! HTTP status: an expectation of a class (`4XX`) is answered with a status the contract
//! declares in it (`400`, or the first of the class), and the answer carries the media type and
//! the made-up headers (`Location`, `Retry-After`) of that status's definition.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use hyper::header::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::contract::{Contract, ResultCarrier, StatusMatch};
use crate::generate;

/// Headers an answer carries besides `Content-Type`; `None` for none (the common case, which
/// costs nothing).
pub(crate) type Headers = Option<Arc<[(HeaderName, HeaderValue)]>>;

/// How one business status goes on the wire.
#[derive(Debug, Clone)]
pub(super) struct Wire {
    /// The HTTP status.
    pub status: u16,
    /// The business status as the body and the catalogue know it (`S`, or `400`).
    pub business: String,
    /// `Content-Type`, when the answer has a described body.
    pub content_type: Option<HeaderValue>,
    /// The declared headers, made up.
    pub headers: Headers,
}

/// The wire form of each business status a contract answers with, worked out once.
#[derive(Debug, Default)]
pub(super) struct Statuses {
    known: Mutex<HashMap<String, Wire>>,
    /// The success status's, which `serve` answers nearly every request with: read without a
    /// lock, a map look-up or a copy of its status.
    success: OnceLock<Wire>,
}

impl Statuses {
    /// How `business` (a status, or a class such as `4XX`) goes on the wire for `contract`.
    pub(super) fn wire(&self, contract: &Contract, business: &str) -> Wire {
        let mut known = self
            .known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        known
            .entry(business.to_string())
            .or_insert_with(|| work_out(contract, business))
            .clone()
    }

    /// How the success answer goes on the wire: the contract's success status (the first
    /// success role, or `2XX` when results are HTTP statuses and several succeed).
    pub(super) fn success(&self, contract: &Contract) -> &Wire {
        self.success.get_or_init(|| {
            let status = contract.success_expect().status;
            let status = if status.is_empty() {
                let rules = &contract.result;
                (rules.status_for(crate::contract::StatusRole::Success))
                    .unwrap_or_default()
                    .to_string()
            } else {
                status
            };
            self.wire(contract, &status)
        })
    }
}

fn work_out(contract: &Contract, business: &str) -> Wire {
    let rules = &contract.result;
    let (status, business) = match rules.carrier {
        ResultCarrier::Body => {
            let status = rules.http_status.first().copied().unwrap_or(200);
            (status, business.to_string())
        }
        ResultCarrier::HttpStatus => {
            let status = exact(contract, business);
            (status, status.to_string())
        }
    };
    let spec = contract.response_for(status);
    let content_type = spec
        .and_then(|s| s.content_type.as_deref())
        .map(media_header);
    let headers = spec.and_then(|s| made_up_headers(contract, &s.headers));
    Wire {
        status,
        business,
        content_type,
        headers,
    }
}

/// The HTTP status answering `business`: itself when it is one, else the first status the
/// contract declares in its class (`4XX` → `400` when declared), else the class's `X00`.
fn exact(contract: &Contract, business: &str) -> u16 {
    match StatusMatch::parse(business) {
        Some(StatusMatch::Exact(status)) => status,
        Some(StatusMatch::Class(class)) => contract
            .responses
            .iter()
            .filter_map(|r| match r.status {
                StatusMatch::Exact(status) if status / 100 == class => Some(status),
                _ => None,
            })
            .min()
            .unwrap_or(class * 100),
        _ => 200,
    }
}

/// The `Content-Type` of a media type: JSON types get `charset=UTF-8` when they name none (the
/// bodies are UTF-8 JSON).
pub(super) fn media_header(media: &str) -> HeaderValue {
    let declared = media.trim();
    let lower = declared.to_ascii_lowercase();
    let essence = lower.split(';').next().unwrap_or("").trim();
    let json = essence == "application/json" || essence.ends_with("+json");
    let value = if json && !lower.contains("charset=") {
        format!("{declared}; charset=UTF-8")
    } else {
        declared.to_string()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/json"))
}

/// A value for each declared response header that can be made up and sent.
fn made_up_headers(contract: &Contract, fields: &[crate::contract::Field]) -> Headers {
    let made: Vec<(HeaderName, HeaderValue)> = fields
        .iter()
        .filter_map(|field| {
            let value = generate::value(&contract.types, &field.schema, &Default::default())?;
            let text = match value {
                Value::String(text) => text,
                other => crate::wire::text(&other)?,
            };
            let name = HeaderName::from_bytes(field.name.as_bytes()).ok()?;
            Some((name, HeaderValue::from_str(&text).ok()?))
        })
        .collect();
    (!made.is_empty()).then(|| Arc::from(made))
}
