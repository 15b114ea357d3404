//! What a planned case is: a name, the contract it belongs to, and the action that exercises it.

use std::sync::Arc;

use serde_json::Value;

use super::keys::{KeyMint, StringEdit};
use crate::contract::{Contract, Expect};
use crate::json::Pointer;
use crate::json::patched::{self, Edit};

/// One planned case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable name, e.g. `issueCard/negative/appId/too-long`.
    pub name: String,
    /// Index of the contract in the run's contract list.
    pub contract: usize,
    /// Which family the case belongs to.
    pub kind: CaseKind,
    /// What the runner does.
    pub action: Action,
}

/// Families of cases; the second segment of a case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseKind {
    /// A named example from the contract.
    Example,
    /// A generated request breaking one rule.
    Negative,
    /// A generated request at the edge of what is allowed.
    Boundary,
    /// A multi-request idempotency scenario.
    Idempotency,
}

impl CaseKind {
    /// The name used in case names and counts.
    pub fn name(self) -> &'static str {
        match self {
            CaseKind::Example => "example",
            CaseKind::Negative => "negative",
            CaseKind::Boundary => "boundary",
            CaseKind::Idempotency => "idempotency",
        }
    }

    /// Every kind, in report order.
    pub const ALL: [CaseKind; 4] = [
        CaseKind::Example,
        CaseKind::Negative,
        CaseKind::Boundary,
        CaseKind::Idempotency,
    ];
}

/// What the runner does for a case.
#[derive(Debug, Clone)]
pub enum Action {
    /// One request (plus settling retries and replays) checked against an expectation.
    Exchange(Exchange),
    /// Same key, changed payload: the conflict policy decides.
    Conflict(Conflict),
    /// The same request sent several times at once.
    Concurrent(Concurrent),
}

/// One request and what it must produce.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request body.
    pub body: Body,
    /// How the idempotency key is filled in at run time.
    pub key: KeySpec,
    /// The business result expected.
    pub expect: Expect,
    /// For generated cases: the rule probed, for messages.
    pub probe: Option<Probe>,
}

/// A conflicting replay: `original` first, then `changed` under the same key.
#[derive(Debug, Clone)]
pub struct Conflict {
    /// The valid request sent first.
    pub original: Value,
    /// The same request with one field changed.
    pub changed: Value,
    /// The field that was changed, for messages.
    pub field: String,
}

/// Identical requests sent at once (how many is a run setting: the contract's
/// `idempotency.concurrency` or `--concurrency`).
#[derive(Debug, Clone)]
pub struct Concurrent {
    /// The valid request.
    pub body: Value,
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// A JSON document, serialized compactly when sent.
    Json(Value),
    /// A base document shared by many cases, with one change at `at`: a generated case then
    /// costs one small value to plan rather than a copy of the whole request.
    Patched {
        /// The shared document.
        base: Arc<Value>,
        /// Where the change goes.
        at: Pointer,
        /// What changes there.
        patch: Patch,
    },
    /// Raw text, for bodies that are deliberately not JSON.
    Raw(String),
}

/// The change a [`Body::Patched`] makes to its base.
#[derive(Debug, Clone)]
pub enum Patch {
    /// The value at the pointer becomes this one.
    Set(Value),
    /// The member at the pointer is removed.
    Remove,
    /// Nothing changes (the case's point is in the key it is sent with).
    Unchanged,
}

/// How the idempotency key of a request is filled in when the case runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySpec {
    /// Leave the body as planned (no key, or the case replaced it on purpose).
    Keep,
    /// A fresh key for this run.
    Fresh,
    /// A fresh key, then edited (made too long, given a forbidden character, ...).
    Edited(StringEdit),
}

/// The rule a generated case probes, for messages a tester can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The field, as a dotted path (`cardFields.fieldCode`), or `body`.
    pub field: String,
    /// The rule, e.g. `too-long`.
    pub rule: String,
    /// What the case does, e.g. `33 characters (max 32)`.
    pub detail: String,
}

/// A request body ready to send.
#[derive(Debug, Clone)]
pub struct Materialized {
    /// The exact bytes sent.
    pub bytes: Vec<u8>,
    /// The idempotency key used, if one was minted.
    pub key: Option<String>,
}

impl Body {
    /// The JSON document that would be sent, key filled in (left as planned with
    /// [`KeySpec::Keep`]); `None` for a raw body. Cheaper than [`Body::materialize`] when only
    /// the document is needed (the planner's checks).
    pub fn document(&self, spec: &KeySpec, contract: &Contract, mint: &KeyMint) -> Option<Value> {
        let patched;
        let value = match self {
            Body::Json(value) => value,
            Body::Patched { .. } => {
                patched = self.clone().into_document()?;
                &patched
            }
            Body::Raw(_) => return None,
        };
        let pointer = contract.idempotency.as_ref().map(|i| &i.key);
        match (spec, pointer) {
            (KeySpec::Keep, _) | (_, None) => Some(value.clone()),
            (spec, Some(pointer)) => {
                let mut key = mint.key_for(contract);
                if let KeySpec::Edited(edit) = spec {
                    key = edit.apply(&key);
                }
                Some(keyed(value, pointer, &key))
            }
        }
    }

    /// The bytes to send, key filled in (a body without a key field keeps its own value). The
    /// document is written with its change and its key substituted on the way, never copied
    /// (this runs for every case sent).
    pub fn materialize(self, spec: &KeySpec, contract: &Contract, mint: &KeyMint) -> Materialized {
        let pointer = contract.idempotency.as_ref().map(|i| &i.key);
        let key = match (spec, pointer, &self) {
            (_, _, Body::Raw(_)) | (KeySpec::Keep, _, _) | (_, None, _) => None,
            (KeySpec::Fresh, Some(_), _) => Some(mint.key_for(contract)),
            (KeySpec::Edited(edit), Some(_), _) => Some(edit.apply(&mint.key_for(contract))),
        };
        let key_value = key.clone().map(Value::String);
        let key_edit = pointer.zip(key_value.as_ref()).map(|(p, v)| Edit {
            at: p.segments(),
            to: Some(v),
        });
        let mut bytes = Vec::with_capacity(512);
        match &self {
            Body::Raw(text) => bytes.extend_from_slice(text.as_bytes()),
            Body::Json(value) => patched::write(value, key_edit.as_slice(), &mut bytes),
            Body::Patched { base, at, patch } => {
                let change = match patch {
                    Patch::Set(value) => Some(Edit {
                        at: at.segments(),
                        to: Some(value),
                    }),
                    Patch::Remove => Some(Edit {
                        at: at.segments(),
                        to: None,
                    }),
                    Patch::Unchanged => None,
                };
                let edits: Vec<Edit<'_>> = change.into_iter().chain(key_edit).collect();
                patched::write(base, &edits, &mut bytes);
            }
        }
        Materialized { bytes, key }
    }
}

impl Body {
    /// The JSON document with its patch applied; `None` for a raw body.
    fn into_document(self) -> Option<Value> {
        match self {
            Body::Json(value) => Some(value),
            Body::Patched { base, at, patch } => {
                let mut value = Arc::unwrap_or_clone(base);
                match patch {
                    Patch::Set(new) => {
                        at.set(&mut value, new);
                    }
                    Patch::Remove => {
                        at.remove(&mut value);
                    }
                    Patch::Unchanged => {}
                }
                Some(value)
            }
            Body::Raw(_) => None,
        }
    }
}

/// `value` with the string `key` at `pointer`.
pub fn keyed(value: &Value, pointer: &Pointer, key: &str) -> Value {
    let mut body = value.clone();
    pointer.set(&mut body, Value::String(key.to_string()));
    body
}

/// Compact JSON bytes, as conform sends them.
pub fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}
