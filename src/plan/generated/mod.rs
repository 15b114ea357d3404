//! Generated cases: from each request constraint, one negative case per rule broken (one rule at
//! a time) and boundary cases that must be accepted, all starting from a valid base request.
//!
//! The base is the contract's first example expected to succeed. The request definition is
//! walked alongside it ([`sites`]); every field found becomes a site, and each site yields
//! mutations ([`negative`], [`boundary`]). Every mutation is confirmed with the validator
//! before it becomes a case: a negative case must break exactly the rule it names, at that
//! field, and a boundary case must break nothing. Combinations the contract makes impossible
//! (say, padding that would also break a pattern) are dropped rather than sent with a wrong
//! expectation. The count grows linearly with the number of constraints: mutations are never
//! combined.

mod boundary;
mod branches;
pub(crate) mod limits;
mod negative;
mod scratch;
mod sites;
mod variants;

use serde_json::Value;

use std::collections::HashSet;
use std::sync::Arc;

use super::{
    Action, Case, CaseKind, Document, Exchange, KeyMint, KeySpec, Patch, Probe, StringEdit,
};
use crate::contract::{Contract, Expect, Kind, ResourceAction, Schema, StatusRole};
use crate::json::{Pointer, abbreviate};
use crate::rules::{self, Rule};

pub(super) use sites::Site;

/// The generated cases of one contract, in a stable order (negative, then boundary; fields in
/// contract order), minus those matching the contract's `generated.skip`.
#[cfg(test)]
pub(super) fn cases(index: usize, contract: &Contract) -> Vec<Case> {
    let mut cases = Vec::new();
    each_planned(index, contract, true, &mut |case| {
        cases.push(case);
        true
    });
    cases
}

/// Hands each generated case of one contract to `sink` as soon as it is planned, in the order of
/// [`cases`]; stops when `sink` returns false. Returns false when it was stopped.
/// Cases the contract skips are left out only when `skipping` (lint asks which cases a skip
/// pattern would match).
pub(super) fn each_planned(
    index: usize,
    contract: &Contract,
    skipping: bool,
    sink: &mut dyn FnMut(Case) -> bool,
) -> bool {
    let Some(base) = base_document(contract) else {
        return true;
    };
    let sites = sites::collect(contract, &base);
    let containers = branches::containers(contract, &base);
    let success = contract.success_expect();
    let mut planner = Planner {
        index,
        contract,
        skipping,
        whole: whole_document(contract),
        names: HashSet::default(),
        scratch: scratch::Scratch::default(),
    };
    // Site names are unique, so a case name can only repeat within one site's mutations (two
    // branches of a union yielding the same rule): the names seen are kept per site, not for
    // the whole plan, where long field names would add up. Branch cases, few, share one set.
    let kinds = [
        (CaseKind::Negative, &contract.negative),
        (CaseKind::Boundary, &success),
    ];
    for (kind, expect) in kinds {
        for site in &sites {
            planner.names.clear();
            // A valid id nobody created names no resource: what a read, update or delete of it
            // gets is the contract's not-found answer; with none declared, there is no case.
            let expect = match (kind, looked_up(contract, site)) {
                (CaseKind::Boundary, Some(Some(not_found))) => not_found,
                (CaseKind::Boundary, Some(None)) => continue,
                _ => expect,
            };
            let own = match kind {
                CaseKind::Negative => negative::mutations(contract, site),
                _ => boundary::mutations(contract, site),
            };
            for mutation in own {
                let case = planner.case(site, mutation, kind, expect);
                if !case.is_none_or(&mut *sink) {
                    return false;
                }
            }
        }
        planner.names.clear();
        for site in sites.iter().chain(&containers) {
            for mutation in branches::mutations(contract, site, kind) {
                let case = planner.case(site, mutation, kind, expect);
                if !case.is_none_or(&mut *sink) {
                    return false;
                }
            }
        }
    }
    true
}

/// For the id a read, update or delete looks its resource up by: the contract's not-found
/// answer, if it declares one. `None` for any other site.
fn looked_up<'c>(contract: &'c Contract, site: &sites::Site<'_>) -> Option<Option<&'c Expect>> {
    let resource = contract.resource.as_ref()?;
    let by_id = matches!(
        resource.action,
        ResourceAction::Read | ResourceAction::Update | ResourceAction::Delete
    );
    (by_id && resource.id.as_ref() == Some(&site.pointer)).then_some(resource.not_found.as_ref())
}

/// What generating the cases of `contract` leaves out and why, one line per cause (a limit
/// above a size cap, a request no value can be made up for), for `conform lint` and `cases`.
pub(crate) fn notes(contract: &Contract) -> Vec<String> {
    match base_document(contract) {
        Some(base) => {
            let mut notes = sites::collect_with_notes(contract, &base).1;
            notes.extend(super::idempotency::note(contract, &base));
            notes
        }
        None => vec![format!(
            "no valid request can be made up from the request definition (its rules contradict each other or need more than {} MiB), so no cases are generated from it: add an example expected to succeed",
            crate::generate::MAX_MADE_BYTES >> 20
        )],
    }
}

/// The valid request document every generated case starts from: the first example expected
/// to succeed, or, for a contract without one, a request made up from the definition (required
/// parameters and fields only).
pub(crate) fn base_document(contract: &Contract) -> Option<Value> {
    let example = contract
        .examples
        .iter()
        .find(|e| contract.result.role(&e.expect.status) == Some(StatusRole::Success));
    match example {
        Some(example) => Some(example.document.clone()),
        None => crate::generate::value(&contract.types, &contract.document, &Default::default()),
    }
}

/// One candidate case: a request body derived from the base, and what it claims to test.
#[derive(Debug, Clone)]
pub(crate) struct Mutation {
    /// The field's dotted path (`cardFields.fieldCode`) or `body`.
    pub field: String,
    /// The rule's case-name part, e.g. `too-long`.
    pub rule: String,
    /// The request to send.
    pub request: Document,
    /// How the idempotency key is filled in.
    pub key: KeySpec,
    /// The one rule a negative mutation must break (`None` for boundary mutations).
    pub breaks: Option<Rule>,
    /// Where it must break it.
    pub at: Pointer,
    /// What confirming it takes.
    pub scope: Scope,
    /// What is sent, for messages.
    pub detail: String,
}

struct Planner<'a> {
    index: usize,
    contract: &'a Contract,
    /// Whether the contract's skips apply.
    skipping: bool,
    /// Whether every mutation is confirmed against the whole request (see [`whole_document`]).
    whole: bool,
    names: HashSet<String, foldhash::fast::RandomState>,
    /// The base request, keys filled in, that whole-request checks change in place.
    scratch: scratch::Scratch,
}

impl Planner<'_> {
    /// The case for a mutation, unless it does not break what it claims, its name is taken, or
    /// the contract skips it.
    fn case(
        &mut self,
        site: &Site<'_>,
        m: Mutation,
        kind: CaseKind,
        expect: &Expect,
    ) -> Option<Case> {
        let whole = self.whole.then_some(&mut self.scratch);
        if !confirm(self.contract, site, &m, whole) {
            return None;
        }
        let name = format!(
            "{}/{}/{}/{}",
            self.contract.name,
            kind.name(),
            m.field,
            m.rule
        );
        if (self.skipping && self.contract.skip.leaves_out(&name, true))
            || !self.names.insert(name.clone())
        {
            return None;
        }
        let expect = self
            .contract
            .case_expectations
            .iter()
            .find(|e| e.cases.is_match(&name))
            .map_or(expect, |e| &e.expect);
        let probe = Probe {
            field: m.field,
            rule: m.rule,
            detail: m.detail,
        };
        Some(Case {
            name,
            contract: self.index,
            kind,
            action: Action::Exchange(Exchange {
                request: m.request,
                key: m.key,
                expect: expect.clone(),
                probe: Some(probe),
            }),
        })
    }
}

/// Whether the mutation, with a sample key filled in, breaks exactly what it claims.
///
/// The base request is valid and a mutation changes one site, so checking the site's new value
/// against the site's definition is enough, and far cheaper than the whole document (planning
/// runs before anything is sent, so it is part of every run's time). Mutations that remove or
/// reshape the document are checked whole. A parameter's value is checked as a receiver reads
/// it: written as text, then read back by its definition, so a case never claims what the
/// wire cannot carry (`12345` sent for a string parameter arrives as the string "12345").
fn confirm(
    contract: &Contract,
    site: &Site<'_>,
    mutation: &Mutation,
    whole: Option<&mut scratch::Scratch>,
) -> bool {
    let mint = KeyMint::with_nonce("0".repeat(22));
    if let Some(scratch) = whole
        && mutation.scope != Scope::Document
        && !confirm_whole(contract, mutation, &mint, scratch)
    {
        return false;
    }
    let check = |value: &Value| {
        let value = if site.is_parameter() {
            received(contract, site.schema, value)
        } else {
            value.clone()
        };
        rules::broken(&contract.types, site.schema, &value)
    };
    let found = match mutation.scope {
        Scope::Missing => return mutation.breaks == Some(Rule::Required) && site.required,
        Scope::Document => {
            let document = mutation.request.document(&mutation.key, contract, &mint);
            rules::broken(&contract.types, &contract.document, &document)
        }
        Scope::Site => match (&mutation.key, &mutation.request) {
            (KeySpec::Edited(at, edit), _) => {
                check(&Value::String(edit.apply(&mint.fresh_for(contract, at))))
            }
            (
                _,
                Document::Patched {
                    patch: Patch::Set(value),
                    ..
                },
            ) => check(value),
            (_, Document::Whole(document)) => match mutation.at.get(document) {
                Some(value) => check(value),
                None => return false,
            },
            _ => return false,
        },
    };
    match mutation.breaks {
        None => found.is_empty(),
        Some(rule) => !found.is_empty() && found.iter().all(|v| *v == rule),
    }
}

/// Whether the whole request, mutated, breaks exactly what the mutation claims: for contracts
/// where a change at one place can break a rule of another (see [`whole_document`]).
fn confirm_whole(
    contract: &Contract,
    mutation: &Mutation,
    mint: &KeyMint,
    scratch: &mut scratch::Scratch,
) -> bool {
    let found = scratch.violations(contract, mutation).unwrap_or_else(|| {
        let document = mutation.request.document(&mutation.key, contract, mint);
        rules::broken(&contract.types, &contract.document, &document)
    });
    match mutation.breaks {
        None => found.is_empty(),
        Some(rule) => found.iter().all(|v| *v == rule),
    }
}

/// Whether a change at one place of a request can break a rule of another place, so that
/// checking the changed value alone could plan a case with a wrong expectation: a field whose
/// presence depends on another (`requiredWhen` on `authCode`, and the enum case that changes
/// `grantType`), or a union of object types (a value valid in one branch may fit another).
/// Such contracts have every mutation checked against the whole request.
pub(crate) fn whole_document(contract: &Contract) -> bool {
    let mut seen = HashSet::new();
    let mut pending = vec![&contract.document];
    while let Some(schema) = pending.pop() {
        let objects = schema
            .kinds
            .iter()
            .filter(|k| {
                matches!(k, Kind::Object)
                    || matches!(k, Kind::Named(id) if contract.types.get(*id).schema.kinds.contains(&Kind::Object))
            })
            .count();
        if objects > 1 {
            return true;
        }
        for field in &schema.objects.fields {
            if !field.conditions.is_empty() {
                return true;
            }
            pending.push(&field.schema);
        }
        pending.extend(schema.arrays.items.as_deref());
        for kind in &schema.kinds {
            if let Kind::Named(id) = kind
                && seen.insert(id.0)
            {
                pending.push(&contract.types.get(*id).schema);
            }
        }
    }
    false
}

/// A parameter value as the receiver reads it back after it travelled as text; a value with no
/// text form (`null`, an object, an empty list: no `tags=` is written for `[]`) arrives as
/// nothing, which no definition accepts as a value.
fn received(contract: &Contract, schema: &Schema, value: &Value) -> Value {
    let texts: Vec<String> = match value {
        Value::Array(items) if items.is_empty() => return Value::Null,
        Value::Array(items) => items.iter().filter_map(crate::wire::text).collect(),
        other => match crate::wire::text(other) {
            Some(text) => vec![text],
            None => return Value::Null,
        },
    };
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    crate::wire::coerce(&contract.types, schema, &texts)
}

/// What [`confirm`] checks of a mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The site's new value against the site's definition.
    Site,
    /// The site removed: a required member's absence breaks `required` and nothing else.
    Missing,
    /// The whole document against the request definition.
    Document,
}

/// Helpers shared by the negative and boundary generators.
impl Site<'_> {
    /// A mutation replacing this site's value.
    fn replaced(&self, rule: &str, value: Value, breaks: Option<Rule>, detail: String) -> Mutation {
        let request = self.patched(Patch::Set(value));
        self.mutation(rule, request, KeySpec::Fresh, breaks, detail)
    }

    /// The site's base document with one change at the site.
    fn patched(&self, patch: Patch) -> Document {
        Document::Patched {
            base: Arc::clone(&self.base),
            at: self.pointer.clone(),
            patch,
        }
    }

    /// A mutation with a string value: for the idempotency key the edit is applied to the fresh
    /// key at run time, so keys stay unique across runs.
    fn edited(
        &self,
        rule: &str,
        base: &str,
        edit: StringEdit,
        breaks: Option<Rule>,
        what: &str,
    ) -> Mutation {
        if self.is_key {
            let detail = format!("{what} (a fresh key, edited)");
            return self.mutation(
                rule,
                self.patched(Patch::Unchanged),
                KeySpec::Edited(self.pointer.clone(), edit),
                breaks,
                detail,
            );
        }
        let value = Value::String(edit.apply(base));
        let detail = format!("{what}: {}", abbreviate(&value, 48));
        self.replaced(rule, value, breaks, detail)
    }

    fn mutation(
        &self,
        rule: &str,
        request: Document,
        key: KeySpec,
        breaks: Option<Rule>,
        detail: String,
    ) -> Mutation {
        Mutation {
            field: self.name.clone(),
            rule: rule.to_string(),
            request,
            key,
            breaks,
            at: self.pointer.clone(),
            scope: Scope::Site,
            detail,
        }
    }
}

impl Mutation {
    /// The same mutation, confirmed with `scope`.
    pub(crate) fn scoped(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }
}

/// The schemas holding the rules for each built-in kind a definition accepts, with named types
/// resolved: `["string", "Amount"]` gives `(String, the field)` and `(Object, Amount's schema)`.
pub(crate) fn flatten<'a>(
    contract: &'a Contract,
    schema: &'a Schema,
) -> Vec<(crate::contract::Kind, &'a Schema)> {
    let mut out = Vec::new();
    flatten_into(contract, schema, &mut out, 0);
    out
}

fn flatten_into<'a>(
    contract: &'a Contract,
    schema: &'a Schema,
    out: &mut Vec<(crate::contract::Kind, &'a Schema)>,
    depth: usize,
) {
    for kind in &schema.kinds {
        match kind {
            crate::contract::Kind::Named(id) if depth < 16 => {
                flatten_into(contract, &contract.types.get(*id).schema, out, depth + 1);
            }
            crate::contract::Kind::Named(_) => {}
            builtin => out.push((*builtin, schema)),
        }
    }
}

#[cfg(test)]
mod branch_tests;
#[cfg(test)]
mod tests;
