//! Walking the request definition alongside the base request to find every field: its pointer,
//! its dotted name, its definition, and a base request in which it holds a valid value.
//!
//! A field the base lacks (an optional field, a union branch the base does not use, an empty
//! array) is filled with a made-up valid value, so its rules get probed too. Array elements are
//! walked one by one (the first [`limits::MAX_WALKED_ELEMENTS`]) and a dotted name is kept only
//! the first time it is found, so an array of ten cards does not yield ten copies of the same
//! cases.
//!
//! The walk always ends: a named type met again inside itself (a tree node's children) is not
//! walked a second time, since its rules were probed where it was first met. Filling a missing
//! field copies the request and every field keeps its name and pointer, so what the walk holds
//! is capped ([`limits::MAX_COPIED_BYTES`]); fields past the cap are left out, and the walk's
//! notes say so, as they say what the size caps of [`limits`] leave out.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use super::{flatten, limits};
use crate::contract::{Contract, Kind, Location, Schema};
use crate::generate::{self, Options};
use crate::json::Pointer;
use crate::plan::case::Base;

/// A field in the base request.
#[derive(Debug, Clone)]
pub(crate) struct Site<'c> {
    /// Where the value is in `base`.
    pub pointer: Pointer,
    /// Dotted path without array indices (`cardFields.fieldValue.value`); `body` for the root.
    pub name: String,
    /// The field's definition.
    pub schema: &'c Schema,
    /// Whether the site is an object member (it can be missing).
    pub member: bool,
    /// Whether the member is required.
    pub required: bool,
    /// Whether the original base request had this field (so `omitted` is a real change).
    pub in_original: bool,
    /// A valid request in which this field holds a valid value, shared by the sites (and the
    /// cases) that need no change to it.
    pub base: Arc<Base>,
    /// Whether a fresh value is minted here for every request: the idempotency key, or a
    /// single-use field.
    pub is_key: bool,
    /// Where in the request the field is: a parameter travels as text, the body as JSON.
    pub location: Location,
}

impl Site<'_> {
    /// The field's value in `base`.
    pub(crate) fn value(&self) -> Option<&Value> {
        self.pointer.get(&self.base)
    }

    /// Whether this is the body itself (`/body`), which is replaced whole by some cases.
    pub(crate) fn is_body(&self) -> bool {
        self.location == Location::Body && self.pointer.segments().len() == 1
    }

    /// Whether this is a parameter (path, query, header), whose value travels as text.
    pub(crate) fn is_parameter(&self) -> bool {
        self.location != Location::Body
    }
}

/// Every site of the request, root first, then fields in contract order, depth first.
pub(super) fn collect<'c>(contract: &'c Contract, base: &Value) -> Vec<Site<'c>> {
    collect_with_notes(contract, base).0
}

/// [`collect`], with a note for every case a size cap leaves out. `base` is a request
/// document: the parameters of each location are walked (the locations themselves are not
/// sites), then the body, whose site is named `body` and whose fields keep their plain names.
pub(super) fn collect_with_notes<'c>(
    contract: &'c Contract,
    base: &Value,
) -> (Vec<Site<'c>>, Vec<String>) {
    let mut walker = Walker {
        contract,
        seen: HashSet::new(),
        sites: Vec::new(),
        walking: Vec::new(),
        copied: 0,
        notes: Vec::new(),
        unmade: HashSet::new(),
    };
    let base = Base::new(base.clone());
    for member in &contract.document.objects.fields {
        let Some(location) = Location::of(&member.name) else {
            continue;
        };
        let site = Site {
            pointer: Pointer::root().child(&member.name),
            name: member.name.clone(),
            schema: &member.schema,
            member: false,
            required: true,
            in_original: true,
            base: Arc::clone(&base),
            is_key: false,
            location,
        };
        if location == Location::Body {
            walker.sites.push(site.clone());
            limits::notes(contract, &site, &mut walker.notes);
        }
        walker.descend(&site);
    }
    (walker.sites, walker.notes)
}

struct Walker<'c> {
    contract: &'c Contract,
    seen: HashSet<String>,
    sites: Vec<Site<'c>>,
    /// The definitions being walked, outermost first: a named type found here again is not
    /// walked again.
    walking: Vec<&'c Schema>,
    /// Bytes of request copies, names and pointers held so far.
    copied: usize,
    notes: Vec<String>,
    /// Fields no value could be made up for, noted once each.
    unmade: HashSet<String>,
}

impl<'c> Walker<'c> {
    fn descend(&mut self, site: &Site<'c>) {
        let branches = flatten(self.contract, site.schema);
        let objects = branches.iter().filter(|(k, _)| *k == Kind::Object).count();
        for (kind, rules) in branches {
            if self.walking.iter().any(|w| std::ptr::eq(*w, rules)) {
                continue;
            }
            self.walking.push(rules);
            match kind {
                // Several object types in one union: each gets its own names
                // (`registrationFields(NameField).fieldValue`), its rules differing.
                Kind::Object if objects > 1 => {
                    let name = self.type_name(rules);
                    self.objects(site, rules, name);
                }
                Kind::Object => self.objects(site, rules, None),
                Kind::Array => self.arrays(site, rules),
                _ => {}
            }
            self.walking.pop();
        }
    }

    /// Fields of an object branch; when the base value is not an object (another union branch),
    /// a made-up object takes its place.
    fn objects(&mut self, site: &Site<'c>, rules: &'c Schema, branch: Option<&'c str>) {
        let base = match branch {
            Some(_) => self.with_branch(site, rules),
            None => self.with_kind(site, rules, Kind::Object),
        };
        let Some(base) = base else {
            return;
        };
        for field in &rules.objects.fields {
            let pointer = site.pointer.child(&field.name);
            let name = match branch {
                Some(branch) => format!("{}({branch}).{}", site.name, field.name),
                None if site.member || site.name != "body" => {
                    format!("{}.{}", site.name, field.name)
                }
                None => field.name.clone(),
            };
            let present = pointer.get(&base).is_some();
            let base = if present {
                Arc::clone(&base)
            } else if self.copied >= limits::MAX_COPIED_BYTES {
                continue;
            } else if !field.conditions.is_empty() {
                match self.placed(site, rules, field, &base) {
                    Some(placed) => placed,
                    None => continue,
                }
            } else {
                match self.made_up(&field.schema) {
                    Some(value) => match self.with(&base, &pointer, value) {
                        Some(copy) => copy,
                        None => continue,
                    },
                    None => {
                        self.cannot_make(&name);
                        continue;
                    }
                }
            };
            let child = Site {
                is_key: self.is_key(&pointer),
                pointer,
                name,
                schema: &field.schema,
                member: true,
                required: field.presence == crate::contract::Presence::Required,
                in_original: present && site.in_original,
                base,
                location: site.location,
            };
            self.visit(child);
        }
    }

    /// Elements of an array branch, each walked under the array's own name.
    fn arrays(&mut self, site: &Site<'c>, rules: &'c Schema) {
        let Some(items) = rules.arrays.items.as_deref() else {
            return;
        };
        let Some(mut base) = self.with_kind(site, rules, Kind::Array) else {
            return;
        };
        let mut count = site
            .pointer
            .get(&base)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if count == 0 {
            let Some(item) = self.made_up(items) else {
                return;
            };
            let Some(copy) = self.with(&base, &site.pointer, Value::Array(vec![item])) else {
                return;
            };
            base = copy;
            count = 1;
        }
        if is_scalar(self.contract, items) {
            // A scalar element's rules (an enum, a pattern) are probed on the first element,
            // named after the array: `query.include.item/not-in-enum`.
            let element = Site {
                pointer: site.pointer.child("0"),
                name: format!("{}.item", site.name),
                schema: items,
                member: false,
                required: true,
                in_original: site.in_original,
                base: Arc::clone(&base),
                is_key: false,
                location: site.location,
            };
            self.visit(element);
            return;
        }
        // Elements past the first few rarely hold a field the others lack, and each costs a
        // walk: an example may hold thousands.
        for i in 0..count.min(limits::MAX_WALKED_ELEMENTS) {
            let element = Site {
                pointer: site.pointer.child(&i.to_string()),
                name: site.name.clone(),
                schema: items,
                member: false,
                required: true,
                in_original: site.in_original,
                base: Arc::clone(&base),
                is_key: false,
                location: site.location,
            };
            self.descend(&element);
        }
    }

    fn visit(&mut self, site: Site<'c>) {
        // A site keeps its name (twice, with the set of names seen) and its pointer (text and
        // segments): under a long key, thousands of fields add up.
        let held = 2 * site.name.len() + 2 * site.pointer.as_str().len() + 128;
        if !self.spend(held, &site.pointer) {
            return;
        }
        if self.seen.insert(site.name.clone()) {
            limits::notes(self.contract, &site, &mut self.notes);
            self.sites.push(site.clone());
        }
        self.descend(&site);
    }

    /// `base` with `value` at `pointer`, unless the memory for the walk is spent.
    fn with(&mut self, base: &Value, pointer: &Pointer, value: Value) -> Option<Arc<Base>> {
        let size = crate::generate::approx_size(base) + crate::generate::approx_size(&value);
        self.spend(size, pointer)
            .then(|| with(base, pointer, value))
    }

    /// Takes `bytes` of the walk's memory cap for the field at `pointer`; once it is spent,
    /// notes (once) the field from which on nothing more is walked.
    fn spend(&mut self, bytes: usize, pointer: &Pointer) -> bool {
        if self.copied.saturating_add(bytes) > limits::MAX_COPIED_BYTES {
            const NOTE: &str = "the memory for finding every field to probe (request copies and field names) passed";
            if !self.notes.iter().any(|n| n.starts_with(NOTE)) {
                self.notes.push(format!(
                    "{NOTE} {} MiB: fields from {} on are left out",
                    limits::MAX_COPIED_BYTES >> 20,
                    crate::contract::http::shown_pointer(pointer.as_str())
                ));
            }
            return false;
        }
        self.copied += bytes;
        true
    }

    /// The site's base, with its value replaced by a made-up one of `kind` when it is not of
    /// that kind already.
    fn with_kind(&mut self, site: &Site<'_>, rules: &Schema, kind: Kind) -> Option<Arc<Base>> {
        let current = site.value()?;
        let fits = matches!(
            (kind, current),
            (Kind::Object, Value::Object(_)) | (Kind::Array, Value::Array(_))
        );
        if fits {
            return Some(Arc::clone(&site.base));
        }
        let only = Schema {
            kinds: vec![kind],
            enum_values: None,
            example: None,
            ..rules.clone()
        };
        let made = self.made_up(&only)?;
        self.with(&site.base, &site.pointer, made)
    }

    /// The site's base, with a made-up value of the object type `rules` in place of one of
    /// another type of the union.
    fn with_branch(&mut self, site: &Site<'_>, rules: &Schema) -> Option<Arc<Base>> {
        let current = site.value()?;
        let only = Schema {
            kinds: vec![Kind::Object],
            enum_values: None,
            example: None,
            ..rules.clone()
        };
        if crate::rules::broken(&self.contract.types, &only, current).is_empty() {
            return Some(Arc::clone(&site.base));
        }
        let made = self.made_up(&only)?;
        self.with(&site.base, &site.pointer, made)
    }

    /// The name of the named type whose definition is `rules`.
    fn type_name(&self, rules: &Schema) -> Option<&'c str> {
        self.contract
            .types
            .0
            .iter()
            .find(|t| std::ptr::eq(&t.schema, rules))
            .map(|t| t.name.as_str())
    }

    /// A base in which the conditional `field` of the object at `site` has a value where its
    /// conditions allow it: an example's request that has it, or the base with the object
    /// moved to such a branch (see [`super::branches::placed`]).
    fn placed(
        &mut self,
        site: &Site<'c>,
        rules: &Schema,
        field: &crate::contract::Field,
        base: &Arc<Base>,
    ) -> Option<Arc<Base>> {
        if site.is_body()
            && let Some(example) = self.contract.examples.iter().find(|e| {
                self.contract.result.role(&e.expect.status)
                    == Some(crate::contract::StatusRole::Success)
                    && site.pointer.child(&field.name).get(&e.document).is_some()
            })
        {
            self.copied += crate::generate::approx_size(&example.document);
            return Some(Base::new(example.document.clone()));
        }
        let made = self.made_up(&field.schema)?;
        let holder = site.pointer.get(base)?.as_object()?;
        let value = super::branches::placed(self.contract, rules, holder, field, &made)?;
        self.with(base, &site.pointer, Value::Object(value))
    }

    /// Notes, once per field, that no value could be made up for it.
    fn cannot_make(&mut self, name: &str) {
        if self.unmade.insert(name.to_string()) {
            self.notes.push(format!(
                "{name}: no valid value can be made up (its rules contradict each other or need more than {} MiB): its cases are left out",
                generate::MAX_MADE_BYTES >> 20
            ));
        }
    }

    fn made_up(&self, schema: &Schema) -> Option<Value> {
        generate::value(&self.contract.types, schema, &Options::default())
    }

    fn is_key(&self, pointer: &Pointer) -> bool {
        self.contract
            .idempotency
            .as_ref()
            .is_some_and(|i| &i.key_in.document_pointer() == pointer)
            || self
                .contract
                .single_use
                .iter()
                .any(|s| &s.pointer == pointer)
    }
}

/// Whether every kind `schema` accepts is a scalar (no object or array to walk into).
fn is_scalar(contract: &Contract, schema: &Schema) -> bool {
    flatten(contract, schema)
        .iter()
        .all(|(kind, _)| !matches!(kind, Kind::Object | Kind::Array))
}

fn with(base: &Value, pointer: &Pointer, value: Value) -> Arc<Base> {
    let mut out = base.clone();
    pointer.insert(&mut out, value);
    Base::new(out)
}
