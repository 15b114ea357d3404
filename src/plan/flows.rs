//! Flows derived from declared resources: the promises that span calls, checked without a
//! scenario file. For each resource the run's contracts create, read, update or delete:
//!
//! | flow | steps | what must hold |
//! |---|---|---|
//! | `create-then-read` | create, read the new id | the read succeeds and shows what was sent |
//! | `create-replay-then-read` | create, the same create again, read (a create with an idempotency key only) | the replay gives the same answer and id; one resource |
//! | `read-unknown` | read an id never created | the contract's not-found answer |
//! | `update-unknown` | update an id never created | the update's not-found answer, not a card made |
//! | `delete-unknown` | delete an id never created | the delete's not-found answer |
//! | `update-then-read` | create, update it, read | the read shows what the update sent |
//! | `delete-then-read` | create, delete it, read | the read gets the not-found answer |
//!
//! Flows are cases like any other (`card/flow/create-then-read`), after every contract's own
//! cases, so filters, shards, baselines and reports treat them alike.

use std::collections::BTreeMap;

use super::{Action, Case, CaseKind};
use crate::contract::{Contract, Expect, ResourceAction};

/// A flow: requests to several operations on one resource, in order.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    /// The resource's name.
    #[allow(dead_code, reason = "names the flow when a plan is debug-printed")]
    pub resource: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One request of a flow.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// What the step is, for messages: `create`, `read`, `replay the create`.
    pub label: String,
    /// The contract (index in the run) whose operation the step calls.
    pub contract: usize,
    /// The id the request carries, at the contract's id place.
    pub id: StepId,
    /// A fresh key, or the key of an earlier step (a replay).
    pub key: StepKey,
    /// The answer the step must get.
    pub expect: Expect,
    /// What the step's answer must show of earlier steps.
    pub shows: Shows,
}

/// The id a step's request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepId {
    /// The request as the contract's valid base has it (a create carries no id).
    Base,
    /// The id the flow's create step answered with.
    Created,
    /// An id no one created: made up from the id's definition, unique to the run.
    Unknown,
}

/// Which idempotency key a step's request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepKey {
    /// A fresh key.
    Fresh,
    /// The same key and body as an earlier step (by index): a replay.
    SameAs(usize),
}

/// What a step's answer must show of earlier steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shows {
    /// Nothing beyond its expected status.
    Nothing,
    /// The values an earlier step (by index) sent in its body, wherever the resource's
    /// representation has a field of the same name.
    SentBy(usize),
    /// The same answer as an earlier step (a replay), hence the same id.
    SameAnswerAs(usize),
}

/// The contracts acting on each resource, by action.
#[derive(Default)]
struct Actors {
    create: Option<usize>,
    read: Option<usize>,
    update: Option<usize>,
    delete: Option<usize>,
}

/// Every derived flow of `contracts`, resources in name order.
pub(crate) fn cases(contracts: &[Contract]) -> Vec<Case> {
    let mut resources: BTreeMap<&str, Actors> = BTreeMap::new();
    for (index, contract) in contracts.iter().enumerate() {
        let Some(resource) = &contract.resource else {
            continue;
        };
        let actors = resources.entry(resource.name.as_str()).or_default();
        let slot = match resource.action {
            ResourceAction::Create => &mut actors.create,
            ResourceAction::Read => &mut actors.read,
            ResourceAction::Update => &mut actors.update,
            ResourceAction::Delete => &mut actors.delete,
            ResourceAction::List => continue,
        };
        slot.get_or_insert(index);
    }
    resources
        .into_iter()
        .flat_map(|(name, actors)| flows(contracts, name, &actors))
        .collect()
}

fn flows(contracts: &[Contract], name: &str, actors: &Actors) -> Vec<Case> {
    let success = |index: usize| contracts[index].success_expect();
    let step = |label: &str, contract: usize, id, expect, shows| Step {
        label: label.into(),
        contract,
        id,
        key: StepKey::Fresh,
        expect,
        shows,
    };
    let not_found = actors
        .read
        .and_then(|read| contracts[read].resource.as_ref())
        .and_then(|resource| resource.not_found.clone());
    let mut out = Vec::new();
    let mut flow = |flow: &str, steps: Vec<Step>| {
        out.push(Case {
            name: format!("{name}/flow/{flow}"),
            contract: steps[0].contract,
            kind: CaseKind::Flow,
            action: Action::Flow(Flow {
                resource: name.to_string(),
                steps,
            }),
        });
    };
    if let (Some(create), Some(read)) = (actors.create, actors.read) {
        let created = step(
            "create",
            create,
            StepId::Base,
            success(create),
            Shows::Nothing,
        );
        let read_back = |shows| step("read", read, StepId::Created, success(read), shows);
        flow(
            "create-then-read",
            vec![created.clone(), read_back(Shows::SentBy(0))],
        );
        // Only a create with an idempotency key promises that sending it again makes nothing
        // new: without one, a second create rightly makes a second resource.
        if contracts[create].idempotency.is_some() {
            let mut replay = step(
                "replay the create",
                create,
                StepId::Base,
                success(create),
                Shows::SameAnswerAs(0),
            );
            replay.key = StepKey::SameAs(0);
            flow(
                "create-replay-then-read",
                vec![created.clone(), replay, read_back(Shows::SentBy(0))],
            );
        }
        if let Some(update) = actors.update {
            let updated = step(
                "update",
                update,
                StepId::Created,
                success(update),
                Shows::Nothing,
            );
            flow(
                "update-then-read",
                vec![created.clone(), updated, read_back(Shows::SentBy(1))],
            );
        }
        if let (Some(delete), Some(gone)) = (actors.delete, &not_found) {
            let deleted = step(
                "delete",
                delete,
                StepId::Created,
                success(delete),
                Shows::Nothing,
            );
            let read_gone = step("read", read, StepId::Created, gone.clone(), Shows::Nothing);
            flow("delete-then-read", vec![created, deleted, read_gone]);
        }
    }
    if let (Some(read), Some(gone)) = (actors.read, &not_found) {
        let unknown = step(
            "read an unknown id",
            read,
            StepId::Unknown,
            gone.clone(),
            Shows::Nothing,
        );
        flow("read-unknown", vec![unknown]);
    }
    // An update or a delete of an id no one created is told so, by its own contract's answer.
    let acts_on_unknown = [("update", actors.update), ("delete", actors.delete)];
    for (action, index) in acts_on_unknown {
        let Some(index) = index else { continue };
        let Some(gone) = (contracts[index].resource.as_ref()).and_then(|r| r.not_found.clone())
        else {
            continue;
        };
        let label = format!("{action} an unknown id");
        let unknown = step(&label, index, StepId::Unknown, gone, Shows::Nothing);
        flow(&format!("{action}-unknown"), vec![unknown]);
    }
    out
}
