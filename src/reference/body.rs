//! The bodies the reference implementation answers with: a made-up document that fits the
//! response definition, with the business result filled in and a fresh unique value (a card
//! number) wherever the contract wants one.
//!
//! Generating a document from the contract is slow and its shape never changes, so one is
//! generated per result status and kept; the success answer, which `serve` sends for every
//! valid request, is even kept rendered, cut where the unique value goes, so answering is
//! joining a few byte strings.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::Value;

use crate::contract::{Contract, ResultCarrier};
use crate::generate;
use crate::json::Pointer;

/// Stands for a unique value (a card number) in a body template; replaced by a fresh token of
/// the same width in every answer.
const UNIQUE: &str = "999999999999999999";

/// Renders answer bodies for one contract.
#[derive(Debug)]
pub(super) struct Bodies {
    templates: Mutex<HashMap<String, Option<Value>>>,
    /// The success answer, which `serve` sends for every valid request: rendered once.
    success: OnceLock<Rendered>,
    /// Only the `unknown-first` fault answers it: rendered the first time it does.
    unknown: OnceLock<Rendered>,
    nonce: u64,
    next: AtomicU64,
}

/// A rendered body cut at each place a unique value goes.
#[derive(Debug, Clone)]
struct Rendered {
    pieces: Vec<Bytes>,
}

impl Bodies {
    /// Bodies for `contract`.
    pub(super) fn new(_contract: &Contract) -> Self {
        let nonce = jiff::Timestamp::now().as_millisecond().unsigned_abs() % 10_000_000_000;
        Bodies {
            templates: Mutex::new(HashMap::new()),
            success: OnceLock::new(),
            unknown: OnceLock::new(),
            nonce,
            next: AtomicU64::new(1),
        }
    }

    /// The success answer of business status `status`, with a fresh unique value.
    pub(super) fn success(&self, contract: &Contract, status: &str) -> Bytes {
        let rendered = (self.success).get_or_init(|| self.render_first(contract, status));
        self.fill(rendered)
    }

    /// The unknown-status answer (the `unknown-first` fault), with a fresh unique value.
    pub(super) fn unknown(&self, contract: &Contract, status: &str) -> Bytes {
        let rendered = (self.unknown).get_or_init(|| self.render_first(contract, status));
        self.fill(rendered)
    }

    /// A business result of `status` with `code` and `message`.
    pub(super) fn business(
        &self,
        contract: &Contract,
        status: &str,
        code: &str,
        message: &str,
    ) -> Bytes {
        self.fill(&self.render(contract, status, code, message))
    }

    /// `status` with its first catalogue code and that code's message.
    fn render_first(&self, contract: &Contract, status: &str) -> Rendered {
        let entry = contract.result.first_entry(status);
        let code = entry.map(|e| e.code.as_str()).unwrap_or_default();
        let text = entry.map(|e| e.message_text()).unwrap_or_default();
        self.render(contract, status, code, text)
    }

    /// With results in the body, the status, code and message go in the body; with results
    /// in the HTTP status, the code and message go in the body only for a status whose
    /// catalogue lists codes (an error body), and a status whose definition describes no body
    /// gets none.
    fn render(&self, contract: &Contract, status: &str, code: &str, message: &str) -> Rendered {
        let rules = &contract.result;
        let Some(mut body) = self.template(contract, status) else {
            return Rendered {
                pieces: vec![Bytes::new()],
            };
        };
        let in_body = rules.carrier == ResultCarrier::Body;
        if in_body {
            rules.status.insert(&mut body, Value::String(status.into()));
        }
        if in_body || rules.has_codes(status) {
            if !rules.code.segments().is_empty() {
                rules.code.insert(&mut body, Value::String(code.into()));
            }
            if let Some(pointer) = &rules.message {
                pointer.insert(&mut body, Value::String(message.into()));
            }
        }
        let text = serde_json::to_string(&body).unwrap_or_default();
        Rendered {
            pieces: text
                .split(UNIQUE)
                .map(|piece| Bytes::copy_from_slice(piece.as_bytes()))
                .collect(),
        }
    }

    fn fill(&self, rendered: &Rendered) -> Bytes {
        let [first, rest @ ..] = rendered.pieces.as_slice() else {
            return Bytes::new();
        };
        if rest.is_empty() {
            return first.clone();
        }
        let seq = self.next.fetch_add(1, Ordering::Relaxed) % 100_000_000;
        // Written into a buffer of its own width, left-padded with zeros: a nonce of fewer than
        // ten digits keeps its leading zeros, so tokens keep one width (and no string is made
        // for each answer).
        let mut unique = [b'0'; UNIQUE.len()];
        let mut n = self.nonce * 100_000_000 + seq;
        for digit in unique.iter_mut().rev() {
            *digit = b'0' + (n % 10) as u8;
            n /= 10;
        }
        let size = rendered.pieces.iter().map(Bytes::len).sum::<usize>();
        let mut out = BytesMut::with_capacity(size + rest.len() * unique.len());
        out.put_slice(first);
        for piece in rest {
            out.put_slice(&unique);
            out.put_slice(piece);
        }
        out.freeze()
    }

    /// The made-up body for `status`, from the cache; `None` when its definition describes no
    /// body.
    fn template(&self, contract: &Contract, status: &str) -> Option<Value> {
        let mut templates = self
            .templates
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let template = templates.entry(status.to_string()).or_insert_with(|| {
            let volatile = volatile(contract);
            let options = generate::Options {
                status: Some(status),
                unique: Some(UNIQUE),
                include_optional: false,
                volatile: &volatile,
            };
            let schema = match contract.result.carrier {
                ResultCarrier::Body => Some(&contract.response),
                ResultCarrier::HttpStatus => status
                    .parse::<u16>()
                    .ok()
                    .and_then(|code| contract.response_for(code))
                    .and_then(|spec| spec.body.as_ref()),
            }?;
            Some(
                generate::value(&contract.types, schema, &options)
                    .unwrap_or_else(|| Value::Object(serde_json::Map::new())),
            )
        });
        template.clone()
    }
}

/// The body fields whose values change in every answer: those snapshots redact, and those the
/// contract declares unique (a card number is new for every card, even where the contract
/// gives an example of one).
fn volatile(contract: &Contract) -> Vec<Pointer> {
    let body = crate::contract::Location::Body.name();
    let unique = contract
        .unique
        .iter()
        .filter_map(|place| match place.segments() {
            [first, rest @ ..] if first == body => Some(
                rest.iter()
                    .fold(Pointer::root(), |pointer, segment| pointer.child(segment)),
            ),
            _ => None,
        });
    contract
        .snapshot
        .redact
        .iter()
        .cloned()
        .chain(unique)
        .collect()
}
