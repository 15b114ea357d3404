//! JSON Schema (as OpenAPI 3.0 and 3.1 write it) to contract field definitions.
//!
//! A schema is first read into a [`flat::Flat`] (every keyword accounted for, `allOf` merged),
//! then emitted as a contract `FieldDef` ([`emit`]). A `$ref` becomes a named type of the
//! contract, mapped once per import and shared by every contract that uses it; `oneOf`/`anyOf`
//! become unions of named types. A type whose schemas mark members `readOnly` or `writeOnly`
//! gets a request variant (`Pet.request`) without the read-only members, and its response form
//! without the write-only ones.

mod conditions;
mod constraints;
mod emit;
mod flat;
pub(super) mod formats;
mod keywords;

pub(crate) use emit::ordered;

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value};

use super::document::{At, Documents};
use super::report::ItemKind;
use flat::Flat;

/// Something the mapping could not carry over, guessed, or left out as documentation.
#[derive(Debug, Clone)]
pub(crate) struct Note {
    /// What kind of item.
    pub kind: ItemKind,
    /// Where in the source.
    pub at: At,
    /// What and why.
    pub message: String,
}

/// Which side of the exchange a schema describes: `readOnly` members are left out of requests,
/// `writeOnly` members out of responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    /// A request body or parameter.
    Request,
    /// A response body or header.
    Response,
}

/// A mapped named type: its definition, the notes made while mapping it, the types it uses.
#[derive(Debug, Clone)]
pub(crate) struct TypeEntry {
    /// The contract `FieldDef` (a JSON object).
    pub def: Value,
    /// Notes about the schemas it came from.
    pub notes: Vec<Note>,
    /// Names of the named types its definition refers to.
    pub refs: BTreeSet<String>,
}

/// What a named type stands for: a schema (for one side, when its members differ by side), or
/// a union branch merged with the schema around the union.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TypeKey {
    at: At,
    side: Option<Side>,
    with_base: Option<At>,
}

/// The state of one mapping: emission context for one definition.
pub(crate) struct Ctx<'a> {
    /// Request or response.
    pub side: Side,
    /// Where notes go.
    pub notes: &'a mut Vec<Note>,
    /// Named types used.
    pub refs: &'a mut BTreeSet<String>,
    /// Expand `$ref`s in place instead of naming them (parameters, which travel as text).
    pub inline: bool,
    /// A readable path for names of inline union branches (`Pet.owner`).
    pub path: String,
    /// Nesting depth, to stop at a recursive schema expanded in place.
    pub depth: usize,
}

/// The named types of one import, mapped on first use.
pub(crate) struct Schemas<'d> {
    docs: &'d Documents,
    names: HashMap<TypeKey, String>,
    taken: HashSet<String>,
    types: HashMap<String, TypeEntry>,
    pending: Vec<(TypeKey, String, Option<Flat>)>,
    side_specific: HashMap<At, bool>,
    scanned: HashMap<At, Scanned>,
}

impl<'d> Schemas<'d> {
    /// No types yet.
    pub(crate) fn new(docs: &'d Documents) -> Self {
        Schemas {
            docs,
            names: HashMap::new(),
            taken: HashSet::new(),
            types: HashMap::new(),
            pending: Vec::new(),
            side_specific: HashMap::new(),
            scanned: HashMap::new(),
        }
    }

    /// The field definition of the schema at `at` (without `required`, which its parent says).
    pub(crate) fn field(&mut self, at: &At, cx: &mut Ctx<'_>) -> Map<String, Value> {
        self.field_of(std::slice::from_ref(at), cx)
    }

    /// The definition of a body: its top-level `$ref` expanded (a body is fields, not a named
    /// type). A union takes its first branch; the second value then says so, as a guess.
    pub(crate) fn body(
        &mut self,
        at: &At,
        cx: &mut Ctx<'_>,
    ) -> (Map<String, Value>, Option<String>) {
        let mut reader = flat::Reader::new(self.docs, cx.notes);
        let mut flat = reader.read(at, true);
        let mut guess = None;
        if let Some(branches) = flat.union.take() {
            let first = reader.read(&branches[0], true);
            flat = flat::merge(flat, first, &branches[0], reader.notes);
            guess = Some(format!(
                "the body is one of {} schemas: the contract describes the first",
                branches.len()
            ));
        }
        (self.emit(flat, cx), guess)
    }

    /// The definition of a value that must fit every schema in `ats`.
    fn field_of(&mut self, ats: &[At], cx: &mut Ctx<'_>) -> Map<String, Value> {
        if cx.depth > emit::MAX_DEPTH {
            cx.notes.push(Note {
                kind: ItemKind::NotMapped,
                at: ats[0].clone(),
                message: format!(
                    "nested deeper than {} levels: any value is accepted here",
                    emit::MAX_DEPTH
                ),
            });
            return emit::any_def();
        }
        let mut reader = flat::Reader::new(self.docs, cx.notes);
        let flat = match ats {
            [one] => reader.read(one, cx.inline),
            many => {
                let first = reader.read(&many[0], true);
                many[1..].iter().fold(first, |acc, at| {
                    let next = reader.read(at, true);
                    flat::merge(acc, next, at, reader.notes)
                })
            }
        };
        self.emit(flat, cx)
    }

    /// Maps every type named so far and not yet mapped, and those they name.
    pub(crate) fn drain(&mut self) {
        while let Some((key, name, flat)) = self.pending.pop() {
            let mut notes = Vec::new();
            let mut refs = BTreeSet::new();
            let mut cx = Ctx {
                side: key.side.unwrap_or(Side::Response),
                notes: &mut notes,
                refs: &mut refs,
                inline: false,
                path: name.clone(),
                depth: 0,
            };
            let flat = flat.unwrap_or_else(|| {
                let mut reader = flat::Reader::new(self.docs, cx.notes);
                reader.read(&key.at, true)
            });
            let def = self.emit(flat, &mut cx);
            self.types.insert(
                name,
                TypeEntry {
                    def: Value::Object(def),
                    notes,
                    refs,
                },
            );
        }
    }

    /// The mapped type `name` (after [`Self::drain`]).
    pub(crate) fn get(&self, name: &str) -> Option<&TypeEntry> {
        self.types.get(name)
    }

    /// The name of the type standing for the schema at `target` on `side`, queued for mapping
    /// on first use.
    fn type_name(&mut self, target: &At, side: Side) -> String {
        let side = self.is_side_specific(target).then_some(side);
        let key = TypeKey {
            at: target.clone(),
            side,
            with_base: None,
        };
        if let Some(name) = self.names.get(&key) {
            return name.clone();
        }
        let mut base = base_name(target, self.docs);
        if side == Some(Side::Request) {
            base.push_str(".request");
        }
        self.register(key, &base, None)
    }

    /// The name of a type standing for an inline union branch (merged with `base` when the
    /// schema around the union constrains values too).
    fn branch_name(
        &mut self,
        branch: &At,
        base: Option<&Flat>,
        flat: Flat,
        cx: &Ctx<'_>,
        index: usize,
    ) -> String {
        let key = TypeKey {
            at: branch.clone(),
            side: Some(cx.side),
            with_base: base.and_then(|b| b.at.clone()),
        };
        if let Some(name) = self.names.get(&key) {
            return name.clone();
        }
        let wanted = format!("{}.variant{}", cx.path, index + 1);
        self.register(key, &wanted, Some(flat))
    }

    fn register(&mut self, key: TypeKey, wanted: &str, flat: Option<Flat>) -> String {
        let base = sanitize(wanted);
        let mut name = base.clone();
        let mut n = 2;
        while self.taken.contains(&name.to_ascii_lowercase()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.taken.insert(name.to_ascii_lowercase());
        self.names.insert(key.clone(), name.clone());
        self.pending.push((key, name.clone(), flat));
        name
    }

    /// Whether the schema at `at` (or any it reaches) marks a member `readOnly` or `writeOnly`.
    /// Each schema's own subtree is scanned once ([`Scanned`]); the question is then a search
    /// over the graph of `$ref`s, so a document with thousands of schemas stays fast.
    fn is_side_specific(&mut self, at: &At) -> bool {
        if let Some(known) = self.side_specific.get(at) {
            return *known;
        }
        let mut seen = HashSet::new();
        let mut queue = vec![at.clone()];
        let mut found = false;
        while let Some(here) = queue.pop() {
            if !seen.insert(here.clone()) {
                continue;
            }
            let scanned = self
                .scanned
                .entry(here.clone())
                .or_insert_with(|| scan(self.docs, &here));
            if scanned.marked {
                found = true;
                break;
            }
            queue.extend(scanned.refs.iter().cloned());
        }
        self.side_specific.insert(at.clone(), found);
        found
    }
}

/// What one schema's subtree holds, without following its `$ref`s: a `readOnly`/`writeOnly`
/// marker, and the places its `$ref`s lead to.
#[derive(Debug, Default)]
struct Scanned {
    marked: bool,
    refs: Vec<At>,
}

fn scan(docs: &Documents, at: &At) -> Scanned {
    let mut out = Scanned::default();
    let mut stack = vec![at.clone()];
    while let Some(here) = stack.pop() {
        match docs.get(&here) {
            Some(Value::Object(map)) => {
                for key in ["readOnly", "writeOnly"] {
                    if map.get(key) == Some(&Value::Bool(true)) {
                        out.marked = true;
                        return out;
                    }
                }
                if let Some(reference) = map.get("$ref").and_then(Value::as_str)
                    && let Ok(target) = docs.resolve(&here, reference)
                {
                    out.refs.push(target);
                }
                for (key, member) in map {
                    if member.is_object() || member.is_array() {
                        stack.push(here.child(key));
                    }
                }
            }
            Some(Value::Array(items)) => stack.extend((0..items.len()).map(|i| here.index(i))),
            _ => {}
        }
    }
    out
}

/// `Pet` for `#/components/schemas/Pet`; the last segment (or the file's stem) otherwise.
fn base_name(at: &At, docs: &Documents) -> String {
    let segments = at.segments();
    match segments.last() {
        Some(last) if last.parse::<usize>().is_err() => last.clone(),
        Some(_) | None => docs.files[at.file]
            .path
            .file_stem()
            .map_or("Schema".into(), |s| s.to_string_lossy().into_owned()),
    }
}

/// Letters, digits, `.`, `_`, `-`; never a built-in type name.
fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() {
        out = "Schema".into();
    }
    if crate::contract::schema::BUILTIN_TYPES.contains(&out.as_str()) {
        out.push_str("Type");
    }
    out
}

#[cfg(test)]
mod tests;
