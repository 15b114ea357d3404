//! Recursive named types: which are real API shapes and which are contract errors.
//!
//! A type may refer back to itself through an object field or array items, where the
//! recursion can stop: an optional field, a union with another branch (`["null", "Node"]`),
//! an array that may be empty. A tree node with optional children is a real shape, and every
//! walker of types (the validator, the value generator, the planner) terminates on it because
//! each step into it consumes a level of a finite value or of a bounded depth.
//!
//! Two kinds of recursion are errors. A type that comes back to itself through renames alone
//! (`"Loop": {"type": "Loop"}`, or `A` is `B` and `B` is `["null", "A"]`) says nothing a type
//! without the loop would not, and a validator following it would never consume any of the
//! value. A type whose every value must contain another of itself (a required `next` of its
//! own type, items of itself in an array that cannot be empty) has no finite value at all.
//! Renames are also followed at most [`MAX_RENAMES`] deep, which bounds the stack every walker
//! needs per level of a value. After reporting, the compiler treats such a type as accepting
//! anything, so the rest of the file is still checked without following it.

use std::collections::VecDeque;

use super::Compiler;
use super::schema::ANY;
use crate::contract::ContractErrorKind as K;
use crate::contract::schema::{Kind, Presence, Schema, TypeId, Types};
use crate::json::pointer::escape;

/// Links of a cycle spelled out in a message before it is cut short.
const SHOWN_LINKS: usize = 6;

/// Longest chain of types defined as other types (`A` is `B`, `B` is `C`, ...).
pub(crate) const MAX_RENAMES: usize = 16;

impl Compiler<'_> {
    /// Reports rename loops, over-long rename chains and types without a finite value, and
    /// makes each of them accept anything.
    pub(super) fn check_type_cycles(&mut self, types: &mut Types) {
        self.check_renames(types);
        self.check_finite(types);
    }

    fn check_renames(&mut self, types: &mut Types) {
        let renames: Vec<Vec<usize>> = types.0.iter().map(|t| renamed(&t.schema)).collect();
        let mut broken = vec![false; types.0.len()];
        let mut depth = vec![0usize; types.0.len()];
        // Tarjan's components come sinks first, so the depth of what a type renames is known
        // before the type's own.
        for component in components(&renames) {
            let looped = component.len() > 1 || renames[component[0]].contains(&component[0]);
            for &id in &component {
                if looped {
                    let chain = rename_chain(types, &renames, &component, id);
                    let name = types.0[id].name.clone();
                    self.type_error(
                        &name,
                        K::RenameLoop {
                            name: name.clone(),
                            chain,
                        },
                    );
                    broken[id] = true;
                    continue;
                }
                depth[id] = renames[id]
                    .iter()
                    .filter(|r| !broken[**r])
                    .map(|r| depth[*r] + 1)
                    .max()
                    .unwrap_or(0);
                if depth[id] > MAX_RENAMES {
                    let name = types.0[id].name.clone();
                    let kind = K::Invalid(format!(
                        "type `{name}` is a rename of a rename {} levels deep: at most {MAX_RENAMES} are followed",
                        depth[id]
                    ));
                    self.type_error(&name, kind);
                    broken[id] = true;
                    depth[id] = 0;
                }
            }
        }
        for (named, broken) in types.0.iter_mut().zip(broken) {
            if broken {
                named.schema.kinds = ANY.to_vec();
            }
        }
    }

    fn type_error(&mut self, name: &str, kind: K) {
        self.error(&format!("/types/{}/type", escape(name)), kind);
    }

    fn check_finite(&mut self, types: &mut Types) {
        let finite = finite_types(types);
        for (id, ok) in finite.iter().enumerate() {
            if *ok {
                continue;
            }
            let name = types.0[id].name.clone();
            let chain = chain(types, &finite, id);
            self.type_error(&name.clone(), K::EndlessType { name, chain });
        }
        for (named, ok) in types.0.iter_mut().zip(&finite) {
            if !ok {
                named.schema.kinds = ANY.to_vec();
            }
        }
    }
}

/// The named types a schema is directly defined as (its `type` names), without duplicates.
fn renamed(schema: &Schema) -> Vec<usize> {
    let mut ids: Vec<usize> = schema
        .kinds
        .iter()
        .filter_map(|k| match k {
            Kind::Named(id) => Some(id.0),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// How `start` comes back to itself through renames within its component: `A → B → A`.
fn rename_chain(
    types: &Types,
    renames: &[Vec<usize>],
    component: &[usize],
    start: usize,
) -> String {
    let mut text = types.0[start].name.clone();
    let mut current = start;
    for _ in 0..SHOWN_LINKS {
        let Some(&next) = renames[current].iter().find(|r| component.contains(r)) else {
            break;
        };
        text.push_str(" → ");
        text.push_str(&types.0[next].name);
        if next == start {
            return text;
        }
        current = next;
    }
    text + " → …"
}

/// The strongly connected components of a graph (Tarjan's algorithm, without recursion so a
/// long chain of types cannot exhaust the stack), each emitted after every component it
/// reaches.
fn components(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let (mut index, mut low) = (vec![UNSEEN; n], vec![0; n]);
    let (mut on_stack, mut stack) = (vec![false; n], Vec::new());
    let mut next_index = 0;
    let mut out = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // Each frame: a node and how many of its edges were followed.
        let mut frames = vec![(root, 0usize)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut followed)) = frames.last_mut() {
            if let Some(&next) = edges[node].get(*followed) {
                *followed += 1;
                if index[next] == UNSEEN {
                    index[next] = next_index;
                    low[next] = next_index;
                    next_index += 1;
                    stack.push(next);
                    on_stack[next] = true;
                    frames.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(index[next]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
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
