//! What a planned case is: a name, the contract it belongs to, and the action that exercises it.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::keys::{KeyMint, StringEdit};
use crate::contract::{Contract, Expect, Location};
use crate::json::Pointer;
use crate::json::patched::{self, Edit, Written};

/// One planned case.
#[derive(Debug, Clone)]
pub(crate) struct Case {
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
pub(crate) enum CaseKind {
    /// A named example from the contract.
    Example,
    /// A generated request breaking one rule.
    Negative,
    /// A generated request at the edge of what is allowed.
    Boundary,
    /// A multi-request idempotency scenario.
    Idempotency,
    /// Requests to several operations on one resource, in order.
    Flow,
    /// A request spoiled (unsigned, tampered, without credentials) that must be refused.
    Security,
    /// The steps of a scenario file's scenario, in order.
    Scenario,
    /// A promise over the whole run's traffic (late replays, unique values), judged after it.
    Run,
}

impl CaseKind {
    /// The name used in case names and counts.
    pub(crate) fn name(self) -> &'static str {
        match self {
            CaseKind::Example => "example",
            CaseKind::Negative => "negative",
            CaseKind::Boundary => "boundary",
            CaseKind::Idempotency => "idempotency",
            CaseKind::Flow => "flow",
            CaseKind::Security => "security",
            CaseKind::Scenario => "scenario",
            CaseKind::Run => "run",
        }
    }

    /// Every kind, in report order.
    pub(crate) const ALL: [CaseKind; 8] = [
        CaseKind::Example,
        CaseKind::Negative,
        CaseKind::Boundary,
        CaseKind::Idempotency,
        CaseKind::Flow,
        CaseKind::Security,
        CaseKind::Scenario,
        CaseKind::Run,
    ];
}

/// What the runner does for a case.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    /// One request (plus settling retries and replays) checked against an expectation.
    Exchange(Exchange),
    /// Same key, changed payload: the conflict policy decides.
    Conflict(Conflict),
    /// The same request sent several times at once.
    Concurrent(Concurrent),
    /// Requests to several operations on one resource (see [`super::flows`]).
    Flow(super::flows::Flow),
    /// The steps of a scenario (see [`crate::scenario`]).
    Scenario(Arc<crate::scenario::Scenario>),
    /// A spoiled request that must be refused, then sent right (see [`super::security`]).
    Security(super::security::SecurityCase),
    /// After all other traffic: replay early keys of the contract (see [`super::promises`]).
    LateReplay,
    /// After all other traffic: judge the contract's unique values over the whole run.
    Unique,
}

/// One request and what it must produce.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    /// The request: parameters and body, as one document.
    pub request: Document,
    /// How the idempotency key is filled in at run time.
    pub key: KeySpec,
    /// The business result expected.
    pub expect: Expect,
    /// For generated cases: the rule probed, for messages.
    pub probe: Option<Probe>,
}

/// A conflicting replay: `original` first, then `changed` under the same key.
#[derive(Debug, Clone)]
pub(crate) struct Conflict {
    /// The valid request document sent first.
    pub original: Value,
    /// The same request with one body field changed.
    pub changed: Value,
    /// The field that was changed, for messages.
    pub field: String,
}

/// Identical requests sent at once (how many is a run setting: the contract's
/// `idempotency.concurrency` or `--concurrency`).
#[derive(Debug, Clone)]
pub(crate) struct Concurrent {
    /// The valid request document.
    pub request: Value,
}

/// A request document (`{"path", "query", "headers", "body"}`, see
/// [`crate::contract::http`]).
#[derive(Debug, Clone)]
pub(crate) enum Document {
    /// A document, sent as it is.
    Whole(Value),
    /// A base document shared by many cases, with one change at `at`: a generated case then
    /// costs one small value to plan rather than a copy of the whole request.
    Patched {
        /// The shared document.
        base: Arc<Base>,
        /// Where the change goes.
        at: Pointer,
        /// What changes there.
        patch: Patch,
    },
}

/// A request document shared by the cases planned from it ([`Document::Patched`]). Its body
/// is written once, when its first case is sent: each later case copies the parts its change
/// and key do not reach instead of writing them anew.
#[derive(Debug)]
pub(crate) struct Base {
    document: Value,
    body: OnceLock<Option<Written>>,
}

impl Base {
    /// `document`, to be shared.
    pub(crate) fn new(document: Value) -> Arc<Base> {
        Arc::new(Base {
            document,
            body: OnceLock::new(),
        })
    }

    /// The body written once (`None` for a document without one).
    fn body_written(&self) -> Option<&Written> {
        self.body
            .get_or_init(|| {
                crate::json::member(&self.document, Location::Body.name()).map(Written::of)
            })
            .as_ref()
    }

    /// The document itself, copied only when another case still shares it.
    fn into_value(self: Arc<Self>) -> Value {
        Arc::try_unwrap(self).map_or_else(|shared| shared.document.clone(), |own| own.document)
    }
}

impl Deref for Base {
    type Target = Value;

    fn deref(&self) -> &Value {
        &self.document
    }
}

/// The change a [`Document::Patched`] makes to its base.
#[derive(Debug, Clone)]
pub(crate) enum Patch {
    /// The value at the pointer becomes this one.
    Set(Value),
    /// The member at the pointer is removed.
    Remove,
    /// Nothing changes (the case's point is in the key it is sent with).
    Unchanged,
}

/// How the idempotency key and the single-use values of a request are filled in when the case
/// runs. Fresh values go only where the document has a value: a case that leaves the field
/// out keeps it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeySpec {
    /// Send as planned: nothing is minted (the body is replaced whole, say by an array).
    Keep,
    /// A fresh key, and a fresh value in every single-use field.
    Fresh,
    /// Fresh values everywhere but at this place, whose planned value is the point of the case
    /// (a key of the wrong type, a `null` auth code).
    Except(Pointer),
    /// Fresh values everywhere, the one at this place then edited (made too long, given a
    /// forbidden character), so it stays unique across runs.
    Edited(Pointer, StringEdit),
}

/// The rule a generated case probes, for messages a tester can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    /// The field, as a dotted path (`cardFields.fieldCode`), or `body`.
    pub field: String,
    /// The rule, e.g. `too-long`.
    pub rule: String,
    /// What the case does, e.g. `33 characters (max 32)`.
    pub detail: String,
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Materialized {
    /// The path with its parameters, and the query.
    pub path_and_query: String,
    /// The request's own headers (parameters and a header key), names as the contract writes
    /// them.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes, when the operation has a body.
    pub body: Option<Vec<u8>>,
    /// The idempotency key used, if one was minted.
    pub key: Option<String>,
}

impl Document {
    /// The document that would be sent, key filled in (left as planned with
    /// [`KeySpec::Keep`]). Cheaper than [`Document::materialize`] when only the document is
    /// needed (the planner's checks).
    pub(crate) fn document(&self, spec: &KeySpec, contract: &Contract, mint: &KeyMint) -> Value {
        let mut document = self.clone().into_document();
        let fresh = minted(spec, contract, mint, |place| place.get(&document).is_some());
        for (pointer, value) in fresh {
            pointer.set(&mut document, Value::String(value));
        }
        document
    }

    /// The request to send, key filled in. The body is written with its change and its key
    /// substituted on the way, never copied (this runs for every case sent); a change to a
    /// parameter copies the (small) document instead.
    pub(crate) fn materialize(
        self,
        spec: &KeySpec,
        contract: &Contract,
        mint: &KeyMint,
    ) -> Materialized {
        let body_at = Location::Body.name();
        let in_body = |p: &Pointer| p.segments().first().is_some_and(|s| s == body_at);
        let (base, change, shared) = match self {
            Document::Whole(value) => (Base::new(value), None, false),
            Document::Patched { base, at, patch } if in_body(&at) => {
                (base, Some((at, patch)), true)
            }
            patched => (Base::new(patched.into_document()), None, false),
        };
        // A change of the whole body (another body, `[]`) replaces what is written; a change
        // inside it is an edit made on the way.
        let mut body = base.get(body_at).unwrap_or(&Value::Null);
        // Whether the body is the base's own, edited: then it is written over the base's body
        // written once.
        let mut over_base = shared;
        let mut edits: Vec<Edit<'_>> = Vec::with_capacity(2);
        match &change {
            Some((at, Patch::Set(value))) if at.segments().len() == 1 => {
                body = value;
                over_base = false;
            }
            Some((at, Patch::Set(value))) => edits.push(Edit {
                at: &at.segments()[1..],
                to: Some(value),
            }),
            Some((at, Patch::Remove)) => edits.push(Edit {
                at: &at.segments()[1..],
                to: None,
            }),
            Some((_, Patch::Unchanged)) | None => {}
        }
        let fresh = minted(spec, contract, mint, |place| present(&base, &change, place));
        let fresh_values: Vec<Value> = fresh
            .iter()
            .map(|(_, v)| Value::String(v.clone()))
            .collect();
        let mut encoded = encode(contract, &base, &fresh);
        for ((pointer, value), json) in fresh.iter().zip(&fresh_values) {
            if in_body(pointer) {
                edits.push(Edit {
                    at: &pointer.segments()[1..],
                    to: Some(json),
                });
            } else if in_headers(pointer) {
                let name = pointer.last().unwrap_or_default();
                encoded
                    .headers
                    .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                encoded.headers.push((name.to_string(), value.clone()));
            }
        }
        let body = contract.request_media.as_ref().map(|_| {
            let mut bytes = Vec::with_capacity(512);
            match over_base.then(|| base.body_written()).flatten() {
                Some(once) => patched::write_over(body, once, &edits, &mut bytes),
                None => patched::write(body, &edits, &mut bytes),
            }
            bytes
        });
        let key_place = contract
            .idempotency
            .as_ref()
            .map(|i| i.key_in.document_pointer());
        let key = fresh
            .into_iter()
            .find(|(pointer, _)| Some(pointer) == key_place.as_ref())
            .map(|(_, value)| value);
        Materialized {
            path_and_query: encoded.path_and_query,
            headers: encoded.headers,
            body,
            key,
        }
    }

    /// The document with its patch applied.
    fn into_document(self) -> Value {
        match self {
            Document::Whole(value) => value,
            Document::Patched { base, at, patch } => {
                let mut value = base.into_value();
                match patch {
                    Patch::Set(new) => {
                        at.set(&mut value, new);
                    }
                    Patch::Remove => {
                        at.remove(&mut value);
                    }
                    Patch::Unchanged => {}
                }
                value
            }
        }
    }
}

/// The fresh values a request gets, each with its place: the key and the single-use fields,
/// where `present` says the document has a value (edited or left alone as `spec` says).
fn minted(
    spec: &KeySpec,
    contract: &Contract,
    mint: &KeyMint,
    present: impl Fn(&Pointer) -> bool,
) -> Vec<(Pointer, String)> {
    if *spec == KeySpec::Keep {
        return Vec::new();
    }
    let key = contract
        .idempotency
        .as_ref()
        .map(|i| i.key_in.document_pointer());
    let single_use = contract.single_use.iter().map(|s| s.pointer.clone());
    key.into_iter()
        .chain(single_use)
        .filter(|place| !matches!(spec, KeySpec::Except(p) if p == place) && present(place))
        .map(|place| {
            let value = mint.fresh_for(contract, &place);
            let value = match spec {
                KeySpec::Edited(at, edit) if *at == place => edit.apply_to_minted(&value),
                _ => value,
            };
            (place, value)
        })
        .collect()
}

/// Whether the document `base`, with `change` made, has a value at `place`.
fn present(base: &Value, change: &Option<(Pointer, Patch)>, place: &Pointer) -> bool {
    match change {
        Some((at, Patch::Remove)) if at == place => false,
        Some((at, Patch::Set(_))) if at == place => true,
        Some((at, Patch::Set(value))) if place.segments().starts_with(at.segments()) => {
            let rest = &place.segments()[at.segments().len()..];
            crate::json::pointer::walk(value, rest).is_some()
        }
        _ => place.get(base).is_some(),
    }
}

fn in_headers(pointer: &Pointer) -> bool {
    pointer.segments().first().map(String::as_str) == Some(Location::Headers.name())
}

/// The path, query and headers of `document`. A fresh value for a path or query parameter
/// (a single-use token in the query) needs the document encoded with it; headers and body take
/// theirs on the way, without a copy.
fn encode(
    contract: &Contract,
    document: &Value,
    fresh: &[(Pointer, String)],
) -> crate::wire::Encoded {
    let in_text = |p: &Pointer| {
        let first = p.segments().first().map(String::as_str);
        first == Some(Location::Path.name()) || first == Some(Location::Query.name())
    };
    if !fresh.iter().any(|(p, _)| in_text(p)) {
        return crate::wire::encode(contract, document);
    }
    let mut copy = document.clone();
    for (pointer, value) in fresh.iter().filter(|(p, _)| in_text(p)) {
        pointer.set(&mut copy, Value::String(value.clone()));
    }
    crate::wire::encode(contract, &copy)
}

/// `value` with the string `key` at `pointer`.
pub(crate) fn keyed(value: &Value, pointer: &Pointer, key: &str) -> Value {
    let mut body = value.clone();
    pointer.set(&mut body, Value::String(key.to_string()));
    body
}
