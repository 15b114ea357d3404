//! What a successful request does to the resource its contract acts on: a create keeps what was
//! sent and answers with it, a read answers with what is kept, an update changes it, a delete
//! removes it; an id never issued does not exist (when a served operation creates that kind).

use serde_json::{Map, Value};

use super::{Answer, Parts, Reference};
use crate::contract::{Contract, Location, Resource, ResourceAction, StatusRole, schema_at};
use crate::json::Pointer;
use crate::rules::{self, JsonView};

/// The answer to a valid request, after acting on its resource.
pub(super) fn succeed(reference: &Reference, parts: &Parts<'_>) -> Answer {
    let answer = reference.success();
    let contract = &reference.contract;
    let Some(resource) = &contract.resource else {
        return answer;
    };
    let kind = resource.name.as_str();
    let store = &reference.store;
    match resource.action {
        ResourceAction::Create => {
            let sent = sent_body(parts);
            let (answer, shown) = with_representation(contract, resource, answer, |made| {
                overlay(contract, resource, made, sent.as_ref())
            });
            let id = created_id(resource, &answer);
            if let (Some(shown), Some(id)) = (shown, &id) {
                store.put(kind, id, shown);
            }
            match id {
                Some(id) => located(answer, &id),
                None => answer,
            }
        }
        ResourceAction::Read => match id_of(resource, parts).and_then(|id| store.get(kind, &id)) {
            Some(kept) => with_representation(contract, resource, answer, |_| kept).0,
            None => answer,
        },
        ResourceAction::Update => {
            let Some(id) = id_of(resource, parts) else {
                return answer;
            };
            let sent = sent_body(parts);
            let kept = store.get(kind, &id);
            let (answer, shown) = with_representation(contract, resource, answer, |made| {
                overlay(contract, resource, kept.unwrap_or(made), sent.as_ref())
            });
            if let Some(shown) = shown {
                store.put(kind, &id, shown);
            }
            answer
        }
        ResourceAction::Delete => {
            if let Some(id) = id_of(resource, parts) {
                store.remove(kind, &id);
            }
            answer
        }
        ResourceAction::List => answer,
    }
}

/// The not-found answer to a request for a resource that does not exist, when the contract can
/// say it and a served operation creates that kind (else any id is taken to exist).
pub(super) fn missing(reference: &Reference, parts: &Parts<'_>) -> Option<Answer> {
    let contract = &reference.contract;
    let resource = contract.resource.as_ref()?;
    if matches!(
        resource.action,
        ResourceAction::Create | ResourceAction::List
    ) || !reference.store.knows(&resource.name)
    {
        return None;
    }
    let id = id_of(resource, parts)?;
    if reference.store.get(&resource.name, &id).is_some() {
        return None;
    }
    let (status, code) = match &resource.not_found {
        Some(expect) => (expect.status.clone(), expect.code.clone()),
        None if contract.response_for(404).is_some() => ("404".to_string(), None),
        None => return None,
    };
    let code = code
        .or_else(|| reference.first_code(&status))
        .unwrap_or_default();
    let message = format!("no {} with id `{id}`", resource.name);
    Some(reference.business(&status, &code, &message))
}

/// The id a request names, where the contract's resource says it is.
fn id_of(resource: &Resource, parts: &Parts<'_>) -> Option<String> {
    crate::wire::text(&value_at(parts, resource.id.as_ref()?)?)
}

/// The value at a request-document pointer (`/body/cardNo`, `/path/cardId`).
pub(super) fn value_at(parts: &Parts<'_>, at: &Pointer) -> Option<Value> {
    let (first, rest) = at.segments().split_first()?;
    if first == Location::Body.name() {
        let rest = Pointer::from_segments(rest.to_vec());
        Some(parts.body.as_ref()?.at(&rest)?.to_value())
    } else {
        at.get(parts.parameters.as_ref()?).cloned()
    }
}

/// The id a create answered with: a body field, or the last segment of a header (`Location`).
fn created_id(resource: &Resource, answer: &Answer) -> Option<String> {
    let at = resource.id.as_ref()?;
    match at.segments() {
        [first, rest @ ..] if first == Location::Body.name() => {
            let body: Value = serde_json::from_slice(&answer.body).ok()?;
            let value = Pointer::from_segments(rest.to_vec()).get(&body)?.clone();
            crate::wire::text(&value)
        }
        [first, name] if first == Location::Headers.name() => {
            let headers = answer.headers.as_ref()?;
            let (_, value) = headers
                .iter()
                .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))?;
            let text = value.to_str().ok()?;
            text.trim_end_matches('/')
                .rsplit('/')
                .next()
                .map(str::to_string)
        }
        _ => None,
    }
}

/// The answer with its `Location` (when it has one) naming the created resource: its last path
/// segment is the id, as clients read it back.
fn located(mut answer: Answer, id: &str) -> Answer {
    let Some(headers) = &answer.headers else {
        return answer;
    };
    let rewritten: Vec<(hyper::header::HeaderName, hyper::header::HeaderValue)> = headers
        .iter()
        .map(|(name, value)| {
            let located = (name == hyper::header::LOCATION)
                .then(|| value.to_str().ok())
                .flatten()
                .and_then(|text| {
                    let (head, _) = text.trim_end_matches('/').rsplit_once('/')?;
                    hyper::header::HeaderValue::from_str(&format!("{head}/{id}")).ok()
                });
            (name.clone(), located.unwrap_or_else(|| value.clone()))
        })
        .collect();
    answer.headers = Some(rewritten.into());
    answer
}

/// The answer with its resource's representation replaced by `change(made-up one)`, and that
/// representation; the answer unchanged when it has none.
fn with_representation(
    contract: &Contract,
    resource: &Resource,
    mut answer: Answer,
    change: impl FnOnce(Value) -> Value,
) -> (Answer, Option<Value>) {
    let Some(at) = body_pointer(&resource.representation) else {
        return (answer, None);
    };
    let Ok(mut body) = serde_json::from_slice::<Value>(&answer.body) else {
        return (answer, None);
    };
    let made = at.get(&body).cloned().unwrap_or(Value::Object(Map::new()));
    let shown = change(made);
    if !at.set(&mut body, shown.clone()) {
        body = shown.clone();
    }
    let _ = contract;
    answer.body = serde_json::to_vec(&body).unwrap_or_default().into();
    (answer, Some(shown))
}

/// Every field the request's body sent that the representation declares, with the value sent
/// (when it fits the representation's definition of the field).
fn overlay(contract: &Contract, resource: &Resource, base: Value, sent: Option<&Value>) -> Value {
    let (Value::Object(mut shown), Some(Value::Object(sent))) = (base.clone(), sent) else {
        return base;
    };
    let Some(schema) = representation_schema(contract, resource) else {
        return Value::Object(shown);
    };
    let declared = crate::contract::resolve_single(&contract.types, schema)
        .map(|s| s.objects.fields.as_slice())
        .unwrap_or_default();
    for field in declared {
        if let Some(value) = sent.get(&field.name)
            && rules::validate(&contract.types, &field.schema, value, None).is_empty()
        {
            shown.insert(field.name.clone(), value.clone());
        }
    }
    Value::Object(shown)
}

/// The definition of the representation in the success answer's body.
fn representation_schema<'c>(
    contract: &'c Contract,
    resource: &Resource,
) -> Option<&'c crate::contract::Schema> {
    let at = body_pointer(&resource.representation)?;
    let spec = contract.responses.iter().find(|r| {
        r.role.unwrap_or(StatusRole::Success) == StatusRole::Success && r.body.is_some()
    })?;
    schema_at(&contract.types, spec.body.as_ref()?, at.segments())
}

/// An answer-document pointer into the body, as a pointer into the body.
fn body_pointer(at: &Pointer) -> Option<Pointer> {
    let (first, rest) = at.segments().split_first()?;
    (first == Location::Body.name()).then(|| Pointer::from_segments(rest.to_vec()))
}

/// The request's body as a value.
fn sent_body(parts: &Parts<'_>) -> Option<Value> {
    parts.body.as_ref().map(|b| b.to_value())
}
