//! Resources a case needs before it runs: a read, an update or a delete needs a resource that
//! exists, so when the run holds the contract that creates it, one is created first and its id
//! put in the case's request. Cases that probe the id itself keep the id they were planned with.

use std::collections::HashMap;

use serde_json::Value;

use super::context::Context;
use super::ledger::Answered;
use super::send;
use crate::check::http_status;
use crate::contract::{Contract, Location, Resource, ResourceAction, StatusRole};
use crate::json::Pointer;
use crate::observe::Response;
use crate::plan::{self, Document, KeySpec};
use crate::results::{Check, CheckResult};

/// For each resource name, the contract that creates it (the first, in run order).
#[derive(Debug, Clone, Default)]
pub(crate) struct Creators(HashMap<String, usize>);

impl Creators {
    /// The creating contract of each resource among `contracts`.
    pub(super) fn of(contracts: &[Contract]) -> Self {
        let mut creators = HashMap::new();
        for (index, contract) in contracts.iter().enumerate() {
            if let Some(resource) = &contract.resource
                && resource.action == ResourceAction::Create
            {
                creators.entry(resource.name.clone()).or_insert(index);
            }
        }
        Creators(creators)
    }

    /// The contract that creates `resource`, when the run holds one.
    pub(super) fn of_resource(&self, resource: &str) -> Option<usize> {
        self.0.get(resource).copied()
    }
}

/// Gives `request` a resource that exists, when its contract acts on one by id and the run can
/// create one; the `setup` check says whether that worked. `None` when nothing was needed.
/// `case` is the case the resource is made for, as the run's ledger names it.
pub(crate) async fn prepare(
    context: &Context,
    contract: &Contract,
    request: &mut Document,
    probed: Option<&str>,
    case: &str,
) -> Option<CheckResult> {
    let resource = contract.resource.as_ref()?;
    let id_at = resource.id.as_ref().filter(|_| acts_by_id(resource))?;
    let creator = context.creators.of_resource(&resource.name)?;
    if probed == Some(field_name(id_at).as_str()) {
        return None;
    }
    match create(context, creator, case).await {
        Ok(id) => {
            let mut document = request.document(&KeySpec::Keep, contract, &context.mint);
            id_at.set(&mut document, Value::String(id));
            *request = Document::Whole(document);
            Some(CheckResult::pass(Check::Setup))
        }
        Err(why) => Some(CheckResult::fail_with(
            Check::Setup,
            format!(
                "could not create a {} to {} first: {why}",
                resource.name,
                action_name(resource.action)
            ),
        )),
    }
}

/// The id `prepare` put in `request`: a resource created for this run, which differs on every
/// run and so is redacted from the case's snapshot like the ids a flow creates.
pub(crate) fn created_id(contract: &Contract, request: &Document) -> Option<String> {
    let Document::Whole(document) = request else {
        return None;
    };
    let resource = contract.resource.as_ref().filter(|r| acts_by_id(r))?;
    match resource.id.as_ref()?.get(document)? {
        Value::String(id) => Some(id.clone()),
        _ => None,
    }
}

fn acts_by_id(resource: &Resource) -> bool {
    matches!(
        resource.action,
        ResourceAction::Read | ResourceAction::Update | ResourceAction::Delete
    )
}

/// Creates one resource with the creating contract's valid request and a fresh key, for
/// `case`; its id.
pub(crate) async fn create(
    context: &Context,
    creator: usize,
    case: &str,
) -> Result<String, String> {
    let contract = &context.contracts[creator];
    let document = plan::base_document(contract)
        .ok_or_else(|| format!("`{}` has no valid request to send", contract.name))?;
    let planned = Document::Whole(document).materialize(&KeySpec::Fresh, contract, &context.mint);
    let request = send::request(contract, planned);
    let settings = context.settings(contract);
    let settled = send::settled(context, contract, &settings, &request).await;
    let exchange = settled.answer();
    let answered = Answered {
        case,
        exchange,
        request: None,
        sent: context.target.sent(),
    };
    context.ledger.enter(creator, contract, answered);
    let response = match &exchange.answer {
        Ok(response) => response,
        Err(err) => return Err(format!("`{}`: {err}", contract.name)),
    };
    if response.role(contract) != Some(StatusRole::Success) {
        let hint = http_status::unserved(contract, response.status, &exchange.sent)
            .map(|request| format!(" {request}: {}", http_status::UNSERVED_HINT))
            .unwrap_or_default();
        return Err(format!(
            "`{}` answered {}{hint}",
            contract.name,
            response.describe(contract)
        ));
    }
    let resource = contract.resource.as_ref();
    let id_at = resource.and_then(|r| r.id.as_ref());
    id_at.and_then(|at| id_in(response, at)).ok_or_else(|| {
        let at = id_at.map(Pointer::to_string).unwrap_or_default();
        format!(
            "`{}` succeeded but its answer has no id at {at}",
            contract.name
        )
    })
}

/// The id at `at` in an answer's document: a body field (text or number), or a header whose
/// value, when it is a path or URL (`Location: /v1/cards/card_1`), gives its last segment.
pub(crate) fn id_in(response: &Response, at: &Pointer) -> Option<String> {
    match at.segments() {
        [first, rest @ ..] if first == Location::Body.name() => {
            let body = response.json().as_ref().ok()?;
            let segments: Vec<String> = rest.to_vec();
            let value = segments
                .iter()
                .try_fold(body, |value, segment| match value {
                    Value::Object(map) => map.get(segment),
                    Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => None,
                })?;
            match value {
                Value::String(text) => Some(text.clone()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            }
        }
        [first, name] if first == Location::Headers.name() => {
            let value = response.header(name)?;
            let path = value.split(['?', '#']).next().unwrap_or(value);
            let last = path
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or(path);
            (!last.is_empty()).then(|| last.to_string())
        }
        _ => None,
    }
}

/// The name generated cases give the field at a request-document pointer: `path.cardId`, or a
/// body field's plain name.
fn field_name(at: &Pointer) -> String {
    match at.segments() {
        [first, rest @ ..] if first == Location::Body.name() => rest.join("."),
        all => all.join("."),
    }
}

fn action_name(action: ResourceAction) -> &'static str {
    match action {
        ResourceAction::Create => "create",
        ResourceAction::Read => "read",
        ResourceAction::Update => "update",
        ResourceAction::Delete => "delete",
        ResourceAction::List => "list",
    }
}
