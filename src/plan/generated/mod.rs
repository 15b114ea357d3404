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
mod negative;
mod sites;
mod variants;

use globset::GlobSet;
use serde_json::Value;

use super::{Action, Body, Case, CaseKind, Exchange, KeyMint, KeySpec, Probe, StringEdit};
use crate::contract::{Contract, Expect, Schema, StatusRole};
use crate::json::{Pointer, abbreviate};
use crate::rules::{self, Rule};

pub use sites::Site;

/// The generated cases of one contract, in a stable order (negative, then boundary; fields in
/// contract order), minus those matching the contract's `generated.skip`.
pub fn cases(index: usize, contract: &Contract) -> Vec<Case> {
    let Some(base) = base_request(contract) else {
        return Vec::new();
    };
    let sites = sites::collect(contract, &base);
    let success = contract
        .result
        .status_for(StatusRole::Success)
        .unwrap_or_default();
    let success = Expect {
        status: success.to_string(),
        code: None,
    };
    let mut negatives = Vec::new();
    let mut boundaries = Vec::new();
    for site in &sites {
        negatives.extend(negative::mutations(contract, site));
        boundaries.extend(boundary::mutations(contract, site));
    }
    let planner = Planner {
        index,
        contract,
        skip: &contract.skip,
    };
    let mut cases = planner.confirmed(negatives, CaseKind::Negative, &contract.negative);
    cases.extend(planner.confirmed(boundaries, CaseKind::Boundary, &success));
    cases
}

/// The valid request every generated case starts from: the first example expected to succeed,
/// or, for a contract without one, a request made up from the definition (required fields only).
pub fn base_request(contract: &Contract) -> Option<Value> {
    let example = contract
        .examples
        .iter()
        .find(|e| contract.result.role(&e.expect.status) == Some(StatusRole::Success));
    match example {
        Some(example) => Some(example.request.clone()),
        None => crate::generate::value(&contract.types, &contract.request, &Default::default()),
    }
}

/// One candidate case: a request body derived from the base, and what it claims to test.
#[derive(Debug, Clone)]
pub(crate) struct Mutation {
    /// The field's dotted path (`cardFields.fieldCode`) or `body`.
    pub field: String,
    /// The rule's case-name part, e.g. `too-long`.
    pub rule: String,
    /// The body to send.
    pub body: Body,
    /// How the idempotency key is filled in.
    pub key: KeySpec,
    /// The one rule a negative mutation must break (`None` for boundary mutations).
    pub breaks: Option<Rule>,
    /// Where it must break it.
    pub at: Pointer,
    /// What is sent, for messages.
    pub detail: String,
}

struct Planner<'a> {
    index: usize,
    contract: &'a Contract,
    skip: &'a GlobSet,
}

impl Planner<'_> {
    fn confirmed(&self, mutations: Vec<Mutation>, kind: CaseKind, expect: &Expect) -> Vec<Case> {
        let mut names = std::collections::HashSet::new();
        mutations
            .into_iter()
            .filter(|m| confirm(self.contract, m))
            .filter_map(|m| {
                let name = format!(
                    "{}/{}/{}/{}",
                    self.contract.name,
                    kind.name(),
                    m.field,
                    m.rule
                );
                let fresh = names.insert(name.clone()) && !self.skip.is_match(&name);
                fresh.then(|| self.case(name, kind, expect, m))
            })
            .collect()
    }

    fn case(&self, name: String, kind: CaseKind, expect: &Expect, m: Mutation) -> Case {
        let probe = Probe {
            field: m.field,
            rule: m.rule,
            detail: m.detail,
        };
        Case {
            name,
            contract: self.index,
            kind,
            action: Action::Exchange(Exchange {
                body: m.body,
                key: m.key,
                expect: expect.clone(),
                probe: Some(probe),
            }),
        }
    }
}

/// Whether the mutation, with a sample key filled in, breaks exactly what it claims.
fn confirm(contract: &Contract, mutation: &Mutation) -> bool {
    let mint = KeyMint::with_nonce("0".repeat(16));
    let Some(value) = mutation.body.document(&mutation.key, contract, &mint) else {
        return false;
    };
    let found = rules::validate(&contract.types, &contract.request, &value, None);
    match mutation.breaks {
        None => found.is_empty(),
        Some(rule) => {
            let at = mutation.at.as_str();
            let inside =
                |p: &str| p == at || p.strip_prefix(at).is_some_and(|rest| rest.starts_with('/'));
            !found.is_empty() && found.iter().all(|v| v.rule == rule && inside(&v.pointer))
        }
    }
}

/// Helpers shared by the negative and boundary generators.
impl Site {
    /// A mutation replacing this site's value.
    fn replaced(&self, rule: &str, value: Value, breaks: Option<Rule>, detail: String) -> Mutation {
        let mut body = self.base.clone();
        self.pointer.set(&mut body, value);
        self.mutation(rule, Body::Json(body), KeySpec::Fresh, breaks, detail)
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
        let value = edit.apply(base);
        let detail = format!("{what}: {}", abbreviate(&Value::String(value.clone()), 48));
        if self.is_key {
            let detail = format!("{what} (a fresh key, edited)");
            return self.mutation(
                rule,
                Body::Json(self.base.clone()),
                KeySpec::Edited(edit),
                breaks,
                detail,
            );
        }
        self.replaced(rule, Value::String(value), breaks, detail)
    }

    fn mutation(
        &self,
        rule: &str,
        body: Body,
        key: KeySpec,
        breaks: Option<Rule>,
        detail: String,
    ) -> Mutation {
        Mutation {
            field: self.name.clone(),
            rule: rule.to_string(),
            body,
            key,
            breaks,
            at: self.pointer.clone(),
            detail,
        }
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
mod tests;
