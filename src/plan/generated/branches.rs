//! Cases from conditional rules: every branch of a condition gets a valid request of its own,
//! and every field a branch requires (or forbids) gets a request breaking just that.
//!
//! A branch is one value a condition tests (`grantType` `REFRESH_TOKEN`), or the presence or
//! absence it tests. Its valid request is the base with the other field set so, then settled:
//! the fields the branch requires added (an example in that branch gives them when there is
//! one; otherwise they are made up), those it forbids removed. From it:
//!
//! | case | what is sent | must |
//! |---|---|---|
//! | `<field>/branch-<value>` (boundary) | the branch's valid request | succeed |
//! | `<required>/missing-when-<field>-<value>` (negative) | it, without a field the branch requires | be rejected |
//! | `<forbidden>/present-when-<field>-<value>` (negative) | it, with a field the branch forbids | be rejected |
//!
//! A condition's object may be the body, a nested object, the elements of an array (the first
//! one is changed), or a parameter location (`query.kind/branch-card`).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::boundary::name_part;
use super::{Mutation, Scope, Site, flatten};
use crate::contract::schema::shown;
use crate::contract::{Contract, Effect, Kind, Location, Schema, StatusRole, Test, schema_at};
use crate::generate::{self, Options};
use crate::json::Pointer;
use crate::plan::case::Base;
use crate::plan::{CaseKind, Document, KeySpec, Patch};
use crate::rules::Rule;

/// The branch cases of `kind` whose conditions belong to objects at `site`.
pub(super) fn mutations(contract: &Contract, site: &Site<'_>, kind: CaseKind) -> Vec<Mutation> {
    let mut out = Vec::new();
    for holder in holders(contract, site) {
        for branch in holder.branches() {
            let Some(settled) = holder.branch(contract, &branch) else {
                continue;
            };
            match kind {
                CaseKind::Negative => {
                    out.extend(holder.negatives(contract, site, &branch, &settled))
                }
                _ => out.push(holder.boundary(site, &branch, settled)),
            }
        }
    }
    out
}

/// Sites for the parameter locations whose parameters carry conditions (the walk of the
/// request visits parameters, not their locations).
pub(super) fn containers<'c>(contract: &'c Contract, base: &Value) -> Vec<Site<'c>> {
    let base = Base::new(base.clone());
    contract
        .document
        .objects
        .fields
        .iter()
        .filter(|member| member.name != Location::Body.name())
        .filter(|member| {
            member
                .schema
                .objects
                .fields
                .iter()
                .any(|f| !f.conditions.is_empty())
        })
        .filter_map(|member| {
            Some(Site {
                pointer: Pointer::root().child(&member.name),
                name: member.name.clone(),
                schema: &member.schema,
                member: false,
                required: true,
                in_original: true,
                base: Arc::clone(&base),
                is_key: false,
                location: Location::of(&member.name)?,
            })
        })
        .collect()
}

/// An object whose fields carry conditions, as the site's base holds it.
struct Holder<'c> {
    /// Where the object is in the request document.
    pointer: Pointer,
    /// What its fields' names start with in case names: nothing for the body, `cardFields.`.
    prefix: String,
    /// Its definition.
    rules: &'c Schema,
    /// Its value in the base.
    value: Map<String, Value>,
    /// Whether it is the body, whose branches an example may give.
    is_body: bool,
}

/// One branch: the other field of a condition, and the value (or presence) it is tested for.
#[derive(Debug, Clone, PartialEq)]
struct Branch {
    pointer: Pointer,
    test: Tested,
}

#[derive(Debug, Clone, PartialEq)]
enum Tested {
    Value(Value),
    Presence(bool),
}

impl Branch {
    /// The value part of case names: `REFRESH_TOKEN`, `absent`.
    fn name(&self) -> String {
        match &self.test {
            Tested::Value(value) => name_part(&shown(value)),
            Tested::Presence(true) => "present".into(),
            Tested::Presence(false) => "absent".into(),
        }
    }

    /// The branch in words: `grantType REFRESH_TOKEN`, `loginIdentity absent`.
    fn describe(&self, prefix: &str) -> String {
        let field = format!("{prefix}{}", dotted(&self.pointer));
        match &self.test {
            Tested::Value(value) => format!("{field} {}", crate::json::abbreviate(value, 40)),
            Tested::Presence(true) => format!("{field} present"),
            Tested::Presence(false) => format!("{field} absent"),
        }
    }

    /// Whether a condition tests for this branch.
    fn tested_by(&self, pointer: &Pointer, test: &Test) -> bool {
        *pointer == self.pointer
            && match (test, &self.test) {
                (Test::In(values), Tested::Value(value)) => values.contains(value),
                (Test::Present(p), Tested::Presence(q)) => p == q,
                _ => false,
            }
    }

    /// Whether `holder` is in this branch.
    fn holds(&self, holder: &Map<String, Value>) -> bool {
        let other = self.pointer.get_in(holder);
        match &self.test {
            Tested::Value(value) => other == Some(value),
            Tested::Presence(present) => other.is_some() == *present,
        }
    }
}

/// The objects with conditional fields at `site`: its own value, or the first element of
/// its array.
fn holders<'c>(contract: &'c Contract, site: &Site<'c>) -> Vec<Holder<'c>> {
    let mut out = Vec::new();
    let prefix = if site.is_body() {
        String::new()
    } else {
        format!("{}.", site.name)
    };
    for (kind, rules) in flatten(contract, site.schema) {
        let (pointer, rules) = match kind {
            Kind::Object => (site.pointer.clone(), rules),
            Kind::Array => match rules.arrays.items.as_deref() {
                Some(items) => match object_rules(contract, items) {
                    Some(items) => (site.pointer.child("0"), items),
                    None => continue,
                },
                None => continue,
            },
            _ => continue,
        };
        if rules.objects.fields.iter().all(|f| f.conditions.is_empty()) {
            continue;
        }
        let Some(Value::Object(value)) = pointer.get(&site.base) else {
            continue;
        };
        out.push(Holder {
            pointer,
            prefix: prefix.clone(),
            rules,
            value: value.clone(),
            is_body: site.is_body(),
        });
    }
    out
}

/// The object definition of an array's items, when they are objects.
fn object_rules<'c>(contract: &'c Contract, items: &'c Schema) -> Option<&'c Schema> {
    flatten(contract, items)
        .into_iter()
        .find(|(kind, _)| *kind == Kind::Object)
        .map(|(_, rules)| rules)
}

impl Holder<'_> {
    /// Every branch its fields' conditions test, in contract order.
    fn branches(&self) -> Vec<Branch> {
        let mut out: Vec<Branch> = Vec::new();
        for condition in self.rules.objects.fields.iter().flat_map(|f| &f.conditions) {
            let tests = match &condition.test {
                Test::In(values) => values.iter().cloned().map(Tested::Value).collect(),
                Test::Present(present) => vec![Tested::Presence(*present)],
            };
            for test in tests {
                let branch = Branch {
                    pointer: condition.pointer.clone(),
                    test,
                };
                if !out.contains(&branch) {
                    out.push(branch);
                }
            }
        }
        out
    }

    /// A valid value of this object in `branch`: an example's body in that branch, or the
    /// base's with the other field set so and the conditional fields settled.
    fn branch(&self, contract: &Contract, branch: &Branch) -> Option<Map<String, Value>> {
        if self.is_body
            && let Some(body) = example_body(contract, branch)
        {
            return Some(body);
        }
        let mut map = self.moved(contract, branch)?;
        generate::settle(&contract.types, self.rules, &mut map, &Options::default()).then_some(map)
    }

    /// Its value with the other field of `branch` set as the branch says, nothing settled.
    fn moved(&self, contract: &Contract, branch: &Branch) -> Option<Map<String, Value>> {
        let mut value = Value::Object(self.value.clone());
        match &branch.test {
            Tested::Value(wanted) => branch.pointer.insert(&mut value, wanted.clone()),
            Tested::Presence(false) => {
                branch.pointer.remove(&mut value);
            }
            Tested::Presence(true) if branch.pointer.get(&value).is_none() => {
                let schema = schema_at(&contract.types, self.rules, branch.pointer.segments())?;
                let made = generate::value(&contract.types, schema, &Options::default())?;
                branch.pointer.insert(&mut value, made);
            }
            Tested::Presence(true) => {}
        }
        match value {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    fn boundary(&self, site: &Site<'_>, branch: &Branch, settled: Map<String, Value>) -> Mutation {
        let required: Vec<&str> = self
            .rules
            .objects
            .fields
            .iter()
            .filter(|f| {
                f.conditions
                    .iter()
                    .any(|c| c.effect == Effect::Required && c.holds(&settled))
            })
            .map(|f| f.name.as_str())
            .collect();
        let mut detail = branch.describe(&self.prefix);
        if !required.is_empty() {
            detail.push_str(&format!(", with {} (required there)", required.join(", ")));
        }
        let rule = format!("branch-{}", branch.name());
        self.mutation(site, branch, &rule, settled, None, detail)
    }

    fn negatives(
        &self,
        contract: &Contract,
        site: &Site<'_>,
        branch: &Branch,
        settled: &Map<String, Value>,
    ) -> Vec<Mutation> {
        let mut out = Vec::new();
        for field in &self.rules.objects.fields {
            for condition in &field.conditions {
                if !branch.tested_by(&condition.pointer, &condition.test) {
                    continue;
                }
                let mut changed = settled.clone();
                let (rule, breaks, detail) = match condition.effect {
                    Effect::Required => {
                        changed.shift_remove(&field.name);
                        let detail = format!("no `{}`", field.name);
                        ("missing", Rule::RequiredWhen, detail)
                    }
                    Effect::Forbidden => {
                        let value = self.value.get(&field.name).cloned().or_else(|| {
                            generate::value(&contract.types, &field.schema, &Options::default())
                        });
                        let Some(value) = value else { continue };
                        changed.insert(field.name.clone(), value);
                        let detail = format!("`{}`", field.name);
                        ("present", Rule::ForbiddenWhen, detail)
                    }
                };
                let name = format!(
                    "{rule}-when-{}{}-{}",
                    self.prefix,
                    dotted(&branch.pointer),
                    branch.name()
                );
                let detail = format!("{detail} with {}", branch.describe(&self.prefix));
                let mut m = self.mutation(site, branch, &name, changed, Some(breaks), detail);
                m.field = format!("{}{}", self.prefix, field.name);
                out.push(m);
            }
        }
        out
    }

    fn mutation(
        &self,
        site: &Site<'_>,
        branch: &Branch,
        rule: &str,
        value: Map<String, Value>,
        breaks: Option<Rule>,
        detail: String,
    ) -> Mutation {
        let request = Document::Patched {
            base: Arc::clone(&site.base),
            at: self.pointer.clone(),
            patch: Patch::Set(Value::Object(value)),
        };
        let mut m = site.mutation(rule, request, KeySpec::Fresh, breaks, detail);
        m.field = format!("{}{}", self.prefix, dotted(&branch.pointer));
        m.at = self.pointer.clone();
        m.scoped(Scope::Document)
    }
}

/// A valid value of the object `holder` (defined by `rules`) that has `field`, with `made`
/// as its value when it needs one: in a branch that requires the field first, else as it is,
/// else in a branch where the field is not forbidden. The walk of the request uses it to
/// probe a conditional field's rules where the field belongs (`refreshToken` with `grantType`
/// `REFRESH_TOKEN`), not where a correct implementation would reject it for another reason.
pub(super) fn placed(
    contract: &Contract,
    rules: &Schema,
    holder: &Map<String, Value>,
    field: &crate::contract::Field,
    made: &Value,
) -> Option<Map<String, Value>> {
    // Branches requiring the field, then the object as it is, then branches not forbidding it.
    let (mut requiring, mut allowing) = (Vec::new(), Vec::new());
    for condition in &field.conditions {
        let branch = |test| Branch {
            pointer: condition.pointer.clone(),
            test,
        };
        match (&condition.test, condition.effect) {
            (Test::In(values), Effect::Required) => {
                requiring.extend(values.iter().cloned().map(|v| branch(Tested::Value(v))));
            }
            (Test::Present(p), Effect::Required) => requiring.push(branch(Tested::Presence(*p))),
            (Test::Present(p), Effect::Forbidden) => allowing.push(branch(Tested::Presence(!p))),
            (Test::In(values), Effect::Forbidden) => {
                let other = schema_at(&contract.types, rules, condition.pointer.segments());
                let enumerated = other
                    .and_then(|s| s.enum_values.as_ref())
                    .into_iter()
                    .flatten();
                allowing.extend(
                    enumerated
                        .filter(|v| !values.contains(v))
                        .map(|v| branch(Tested::Value(v.clone()))),
                );
                allowing.push(branch(Tested::Presence(false)));
            }
        }
    }
    let as_is = Holder {
        pointer: Pointer::root(),
        prefix: String::new(),
        rules,
        value: holder.clone(),
        is_body: false,
    };
    let moved = |branches: Vec<Branch>| {
        branches
            .into_iter()
            .filter_map(|b| as_is.moved(contract, &b))
            .collect::<Vec<_>>()
    };
    let ordered = moved(requiring)
        .into_iter()
        .chain([holder.clone()])
        .chain(moved(allowing));
    for mut candidate in ordered.take(64) {
        candidate
            .entry(field.name.clone())
            .or_insert_with(|| made.clone());
        if generate::settle(&contract.types, rules, &mut candidate, &Options::default())
            && candidate.contains_key(&field.name)
        {
            return Some(candidate);
        }
    }
    None
}

/// The body of the first example expected to succeed that is in `branch`.
fn example_body(contract: &Contract, branch: &Branch) -> Option<Map<String, Value>> {
    contract
        .examples
        .iter()
        .filter(|e| contract.result.role(&e.expect.status) == Some(StatusRole::Success))
        .filter_map(|e| e.document.get(Location::Body.name())?.as_object())
        .find(|body| branch.holds(body))
        .cloned()
}

/// A pointer as a dotted name: `/payer/type` is `payer.type`.
fn dotted(pointer: &Pointer) -> String {
    pointer.segments().join(".")
}
