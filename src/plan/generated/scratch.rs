//! Checking a mutation against the whole request without copying the request for it.
//!
//! Contracts where a change at one place can break a rule of another have every mutation
//! checked against the whole request (see [`super::whole_document`]). Building that request
//! copied the base document and filled in its keys for every mutation, which cost more than
//! validating it. Here one copy per base document, keys filled in, is kept; each mutation's
//! change is made in it, the document validated, and the change undone, so the copy is again
//! the base. Only what gives the same document as [`Document::document`] is done here: a fresh
//! key, and a change at a place that neither holds nor contains a minted value. Anything else
//! is left to the caller, which builds the document as before.

use std::sync::Arc;

use serde_json::Value;

use super::Mutation;
use crate::contract::Contract;
use crate::json::Pointer;
use crate::json::pointer::parent_mut;
use crate::plan::case::{Base, Document, KeySpec, Patch};
use crate::plan::keys::KeyMint;
use crate::rules::{self, Rule};

/// The base document last used, keys filled in, and the base it was made from.
#[derive(Default)]
pub(super) struct Scratch {
    held: Option<(Arc<Base>, Value)>,
}

impl Scratch {
    /// The violations of the whole request `mutation` sends, checked in place; `None` when
    /// the mutation is not one this can do, for the caller to build the request instead.
    pub(super) fn violations(
        &mut self,
        contract: &Contract,
        mutation: &Mutation,
    ) -> Option<Vec<Rule>> {
        let Document::Patched { base, at, patch } = &mutation.request else {
            return None;
        };
        let (last, parents) = at.segments().split_last()?;
        if mutation.key != KeySpec::Fresh || touches_minted(contract, at, parents, patch) {
            return None;
        }
        let document = self.filled(contract, base);
        let undo = change(document, parents, last, patch);
        let found = rules::broken(&contract.types, &contract.document, document);
        restore(document, parents, last, undo);
        Some(found)
    }

    /// The copy of `base` with its keys filled in as [`Document::document`] fills them.
    fn filled(&mut self, contract: &Contract, base: &Arc<Base>) -> &mut Value {
        if !self
            .held
            .as_ref()
            .is_some_and(|(b, _)| Arc::ptr_eq(b, base))
        {
            let mint = KeyMint::with_nonce("0".repeat(22));
            let document =
                Document::Whole((**base).clone()).document(&KeySpec::Fresh, contract, &mint);
            self.held = Some((Arc::clone(base), document));
        }
        &mut self.held.as_mut().expect("just filled").1
    }
}

/// Whether the change at `at` could give another document than building it would: it holds,
/// or is held by, a place that gets a minted value, or it removes an item from a list that
/// holds such a place (the items after it move).
fn touches_minted(contract: &Contract, at: &Pointer, parents: &[String], patch: &Patch) -> bool {
    let key = contract
        .idempotency
        .as_ref()
        .map(|i| i.key_in.document_pointer());
    let single_use = contract.single_use.iter().map(|s| s.pointer.clone());
    let removes_item =
        matches!(patch, Patch::Remove) && at.last().is_some_and(|l| l.parse::<usize>().is_ok());
    key.into_iter().chain(single_use).any(|place| {
        let (place, at) = (place.segments(), at.segments());
        place.starts_with(at)
            || at.starts_with(place)
            || (removes_item && place.starts_with(parents))
    })
}

/// How to undo a change.
enum Undo {
    Nothing,
    /// Put this value back.
    Restore(Value),
    /// Take the member added out again.
    Remove,
    /// Put this value back at this position.
    Reinsert(usize, Value),
}

/// Makes the change as [`Pointer::set`] and [`Pointer::remove`] make it.
fn change(document: &mut Value, parents: &[String], last: &str, patch: &Patch) -> Undo {
    let Some(parent) = parent_mut(document, parents) else {
        return Undo::Nothing;
    };
    match (parent, patch) {
        (_, Patch::Unchanged) => Undo::Nothing,
        (Value::Object(map), Patch::Set(new)) => match map.get_mut(last) {
            Some(slot) => Undo::Restore(std::mem::replace(slot, new.clone())),
            None => {
                map.insert(last.to_string(), new.clone());
                Undo::Remove
            }
        },
        (Value::Array(items), Patch::Set(new)) => match index(last, items) {
            Some(i) => Undo::Restore(std::mem::replace(&mut items[i], new.clone())),
            None => Undo::Nothing,
        },
        (Value::Object(map), Patch::Remove) => match map.keys().position(|k| k == last) {
            Some(i) => map
                .shift_remove(last)
                .map_or(Undo::Nothing, |old| Undo::Reinsert(i, old)),
            None => Undo::Nothing,
        },
        (Value::Array(items), Patch::Remove) => match index(last, items) {
            Some(i) => Undo::Reinsert(i, items.remove(i)),
            None => Undo::Nothing,
        },
        _ => Undo::Nothing,
    }
}

fn restore(document: &mut Value, parents: &[String], last: &str, undo: Undo) {
    let Some(parent) = parent_mut(document, parents) else {
        return;
    };
    match (parent, undo) {
        (_, Undo::Nothing) => {}
        (Value::Object(map), Undo::Restore(old)) => {
            if let Some(slot) = map.get_mut(last) {
                *slot = old;
            }
        }
        (Value::Array(items), Undo::Restore(old)) => {
            if let Some(i) = index(last, items) {
                items[i] = old;
            }
        }
        (Value::Object(map), Undo::Remove) => {
            map.shift_remove(last);
        }
        (Value::Object(map), Undo::Reinsert(i, old)) => {
            map.shift_insert(i, last.to_string(), old);
        }
        (Value::Array(items), Undo::Reinsert(i, old)) => items.insert(i, old),
        _ => {}
    }
}

fn index(segment: &str, items: &[Value]) -> Option<usize> {
    segment.parse::<usize>().ok().filter(|i| *i < items.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::CaseKind;
    use crate::plan::generated::{base_document, boundary, branches, negative, sites};

    #[test]
    fn a_change_checked_in_place_finds_what_the_built_request_shows() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts");
        let contracts = crate::contract::load_paths(&[root]).expect("shipped contracts");
        let mut scratch = Scratch::default();
        let (mut in_place, mut changed) = (0, 0);
        for contract in &contracts {
            let base = base_document(contract).expect("a base request");
            let all = sites::collect(contract, &base);
            let containers = branches::containers(contract, &base);
            let mutations = all.iter().flat_map(|site| {
                let mut own = negative::mutations(contract, site);
                own.extend(boundary::mutations(contract, site));
                own
            });
            let branched = all.iter().chain(&containers).flat_map(|site| {
                let mut own = branches::mutations(contract, site, CaseKind::Negative);
                own.extend(branches::mutations(contract, site, CaseKind::Boundary));
                own
            });
            for mutation in mutations.chain(branched) {
                let mint = KeyMint::with_nonce("0".repeat(22));
                let document = mutation.request.document(&mutation.key, contract, &mint);
                let built = rules::broken(&contract.types, &contract.document, &document);
                let Some(found) = scratch.violations(contract, &mutation) else {
                    continue;
                };
                assert_eq!(found, built, "{} {}", contract.name, mutation.at);
                in_place += 1;
                changed += usize::from(!built.is_empty());
            }
        }
        assert!(in_place > 200, "only {in_place} mutations checked in place");
        assert!(changed > 100, "only {changed} of them broke a rule");
    }
}
