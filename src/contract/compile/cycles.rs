//! Recursive named types: which are real API shapes and which no value can satisfy.
//!
//! A type may refer back to itself where the recursion can stop: through an optional field,
//! a union with another branch (`["null", "Node"]`), or an array that may be empty. A tree
//! node with optional children is a real shape, and every walker of types (the validator,
//! the value generator, the planner) terminates on it because each step consumes a level of
//! a finite value or of a bounded depth. A type that can only be itself (`"Loop": {"type":
//! "Loop"}`), or whose every value must contain another of itself (a required `next` of its
//! own type), has no finite value at all: no request or response could ever fit it, and a
//! walker following it would never stop. Such types are contract errors, and after reporting
//! them the compiler treats them as accepting anything, so the rest of the file is still
//! checked without following them.

use std::collections::VecDeque;

use super::Compiler;
use super::schema::ANY;
use crate::contract::ContractErrorKind as K;
use crate::contract::schema::{Kind, Presence, Schema, TypeId, Types};
use crate::json::pointer::escape;

/// Links of a cycle spelled out in a message before it is cut short.
const SHOWN_LINKS: usize = 6;

impl Compiler<'_> {
    /// Reports every named type without a finite value, then makes it accept anything.
    pub(super) fn check_type_cycles(&mut self, types: &mut Types) {
        let finite = finite_types(types);
        for (id, ok) in finite.iter().enumerate() {
            if *ok {
                continue;
            }
            let name = types.0[id].name.clone();
            let chain = chain(types, &finite, id);
            self.error(
                &format!("/types/{}/type", escape(&name)),
                K::EndlessType { name, chain },
            );
        }
        for (named, ok) in types.0.iter_mut().zip(&finite) {
            if !ok {
                named.schema.kinds = ANY.to_vec();
            }
        }
    }
}

/// Which named types have a finite value: the least fixed point of "some branch can be
/// built from built-in values and types already known to be finite". A worklist revisits a
/// type only when a type it refers to turns out finite, so the cost stays linear in the
/// number of references however the types are ordered.
fn finite_types(types: &Types) -> Vec<bool> {
    let n = types.0.len();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (id, named) in types.0.iter().enumerate() {
        let mut refs = Vec::new();
        references(&named.schema, &mut refs);
        refs.sort_unstable();
        refs.dedup();
        for referenced in refs {
            dependents[referenced].push(id);
        }
    }
    let mut finite = vec![false; n];
    let mut queue: VecDeque<usize> = (0..n).collect();
    while let Some(id) = queue.pop_front() {
        if !finite[id] && is_finite(&types.0[id].schema, &finite) {
            finite[id] = true;
            queue.extend(dependents[id].iter().filter(|d| !finite[**d]));
        }
    }
    finite
}

/// The named types `schema` mentions anywhere inside it.
fn references(schema: &Schema, out: &mut Vec<usize>) {
    for kind in &schema.kinds {
        if let Kind::Named(id) = kind {
            out.push(id.0);
        }
    }
    for field in &schema.objects.fields {
        references(&field.schema, out);
    }
    if let Some(items) = &schema.arrays.items {
        references(items, out);
    }
}

/// Whether some branch of `schema` can be built, given which named types are finite so far.
fn is_finite(schema: &Schema, finite: &[bool]) -> bool {
    schema.kinds.iter().any(|kind| match kind {
        Kind::Named(id) => finite[id.0],
        Kind::Object => schema
            .objects
            .fields
            .iter()
            .filter(|f| f.presence != Presence::Optional)
            .all(|f| is_finite(&f.schema, finite)),
        Kind::Array => {
            schema.arrays.min_items.unwrap_or(0) == 0
                || schema
                    .arrays
                    .items
                    .as_deref()
                    .is_none_or(|items| is_finite(items, finite))
        }
        _ => true,
    })
}

/// How the type at `start` comes back to a type already seen: `Node.next → Node`.
fn chain(types: &Types, finite: &[bool], start: usize) -> String {
    let mut text = types.0[start].name.clone();
    let mut seen = vec![start];
    let mut current = start;
    while let Some((path, next)) = forced(&types.0[current].schema, finite) {
        text.push_str(&path);
        text.push_str(" → ");
        text.push_str(&types.0[next.0].name);
        if seen.contains(&next.0) {
            break;
        }
        if seen.len() == SHOWN_LINKS {
            text.push_str(" → …");
            break;
        }
        seen.push(next.0);
        current = next.0;
    }
    text
}

/// The first path through `schema` that every value must take to another endless type:
/// `("", B)` for an alias, `(".next", B)` for a required field, `("[]", B)` for items of an
/// array that cannot be empty.
fn forced(schema: &Schema, finite: &[bool]) -> Option<(String, TypeId)> {
    schema.kinds.iter().find_map(|kind| match kind {
        Kind::Named(id) => Some((String::new(), *id)),
        Kind::Object => schema
            .objects
            .fields
            .iter()
            .filter(|f| f.presence != Presence::Optional && !is_finite(&f.schema, finite))
            .find_map(|f| {
                forced(&f.schema, finite).map(|(path, id)| (format!(".{}{path}", f.name), id))
            }),
        Kind::Array => schema
            .arrays
            .items
            .as_deref()
            .and_then(|items| forced(items, finite))
            .map(|(path, id)| (format!("[]{path}"), id)),
        _ => None,
    })
}
