//! One JSON Schema object read into the parts conform maps ([`Flat`]), every keyword accounted
//! for: mapped, documentation, or a note. `allOf` branches are merged here (the conjunction of
//! their constraints), so the emitter never sees `allOf`.

use indexmap::IndexMap;
use serde_json::{Number, Value};

use super::Note;
use crate::openapi::document::{At, Documents};
use crate::openapi::report::ItemKind;

/// Deepest chain of `allOf` branches and `$ref`s merged into one schema.
const MAX_MERGE_DEPTH: usize = 32;

/// The parts of a schema conform maps, after `allOf` merging.
#[derive(Debug, Clone, Default)]
pub(super) struct Flat {
    /// Where notes about the schema point.
    pub at: Option<At>,
    /// A schema that is only a `$ref` (and documentation): the named target.
    pub named: Option<At>,
    /// The JSON types from `type`; `None` when the schema does not say.
    pub kinds: Option<Vec<String>>,
    /// `nullable: true` (3.0), or `null` in a 3.1 type list.
    pub nullable: bool,
    pub enum_values: Option<Vec<Value>>,
    pub description: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<String>,
    pub format: Option<(At, String)>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    /// Array items: the schemas every element must fit (several after a merge).
    pub items: Vec<At>,
    /// Object members: each name with the schemas its value must fit.
    pub properties: IndexMap<String, Vec<At>>,
    pub required: Vec<String>,
    /// `additionalProperties: false` (or `unevaluatedProperties: false`).
    pub closed: bool,
    /// `oneOf`/`anyOf` branches: the value fits one of them.
    pub union: Option<Vec<At>>,
    pub example: Option<Value>,
    pub read_only: bool,
    pub write_only: bool,
    /// `x-conform-requiredOn` (exported contracts).
    pub required_on: Option<Value>,
    /// `x-conform-forbiddenChars` (exported contracts).
    pub forbidden_chars: Option<String>,
    /// Members required under a condition (`if`/`then`, `dependentRequired`): each member's
    /// name with a `requiredWhen` condition.
    pub conditions: Vec<(String, Value)>,
}

/// A numeric bound and whether it excludes its value.
#[derive(Debug, Clone)]
pub(super) struct Bound {
    pub value: Number,
    pub exclusive: bool,
    pub at: At,
}

impl Flat {
    /// Whether the schema constrains nothing conform checks (documentation aside).
    pub(super) fn is_trivial(&self) -> bool {
        self.kinds.is_none()
            && !self.nullable
            && self.enum_values.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && self.format.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
            && self.items.is_empty()
            && self.properties.is_empty()
            && self.required.is_empty()
            && !self.closed
            && self.union.is_none()
            && self.named.is_none()
    }
}

/// Reads schemas into [`Flat`]s, recording notes.
pub(super) struct Reader<'d, 'n> {
    pub docs: &'d Documents,
    pub notes: &'n mut Vec<Note>,
    /// The schemas being merged, to stop at a loop.
    stack: Vec<At>,
}

impl<'d, 'n> Reader<'d, 'n> {
    pub(super) fn new(docs: &'d Documents, notes: &'n mut Vec<Note>) -> Self {
        Reader {
            docs,
            notes,
            stack: Vec::new(),
        }
    }

    fn note(&mut self, kind: ItemKind, at: &At, message: String) {
        self.notes.push(Note {
            kind,
            at: at.clone(),
            message,
        });
    }

    /// The schema at `at`; a pure `$ref` stays named unless `expand` asks for its target.
    pub(super) fn read(&mut self, at: &At, expand: bool) -> Flat {
        let Some(value) = self.docs.get(at) else {
            self.note(
                ItemKind::NotMapped,
                at,
                "the schema is missing: any value is accepted".into(),
            );
            return Flat::default();
        };
        let map = match value {
            Value::Object(map) => map,
            Value::Bool(true) => return Flat::default(),
            Value::Bool(false) => {
                self.note(
                    ItemKind::NotMapped,
                    at,
                    "schema `false` (no value is valid) is not mapped: any value is accepted"
                        .into(),
                );
                return Flat::default();
            }
            _ => {
                self.note(
                    ItemKind::NotMapped,
                    at,
                    "not a schema object: any value is accepted".into(),
                );
                return Flat::default();
            }
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            return self.reference(at, map, reference, expand);
        }
        let mut flat = self.keywords(at, map);
        if let Some(Value::Array(branches)) = map.get("allOf") {
            flat = self.merge_all_of(at, flat, branches.len());
        }
        flat
    }

    /// A `$ref`, with whatever siblings it has: documentation and `nullable` keep it named;
    /// constraints beside it are merged with its target, as 3.1 reads them.
    fn reference(
        &mut self,
        at: &At,
        map: &serde_json::Map<String, Value>,
        reference: &str,
        expand: bool,
    ) -> Flat {
        let target = match self.docs.resolve(at, reference) {
            Ok(target) => target,
            Err(why) => {
                self.note(
                    ItemKind::NotMapped,
                    &at.child("$ref"),
                    format!("{why}: any value is accepted"),
                );
                return Flat::default();
            }
        };
        let mut siblings = map.clone();
        siblings.remove("$ref");
        let mut own = self.keywords(at, &siblings);
        // 3.1 writes a nullable reference as `{"$ref": ..., "type": ["object", "null"]}`: a
        // type beside a reference only says whether null is allowed too.
        let constrained = {
            let mut bare = own.clone();
            bare.nullable = false;
            bare.kinds = None;
            !bare.is_trivial()
        };
        if !expand && !constrained {
            own.named = Some(target);
            return own;
        }
        self.merge_branch(at, own, &target)
    }

    fn merge_all_of(&mut self, at: &At, mut flat: Flat, count: usize) -> Flat {
        for i in 0..count {
            let branch = at.child("allOf").index(i);
            flat = self.merge_branch(at, flat, &branch);
        }
        flat
    }

    /// `flat` and everything the schema at `branch` requires, with `$ref`s followed.
    fn merge_branch(&mut self, at: &At, flat: Flat, branch: &At) -> Flat {
        if self.stack.contains(branch) || self.stack.len() >= MAX_MERGE_DEPTH {
            self.note(
                ItemKind::NotMapped,
                branch,
                "`allOf`/`$ref` chain comes back to itself (or is deeper than 32): this branch is not merged".into(),
            );
            return flat;
        }
        self.stack.push(branch.clone());
        let other = self.read(branch, true);
        self.stack.pop();
        merge(flat, other, at, self.notes)
    }

    /// Every keyword of one schema object, except `$ref` and `allOf` (handled by the caller).
    fn keywords(&mut self, at: &At, map: &serde_json::Map<String, Value>) -> Flat {
        let mut flat = Flat {
            at: Some(at.clone()),
            ..Flat::default()
        };
        for (key, value) in map {
            let here = at.child(key);
            if !super::keywords::apply(self, &mut flat, key, value, &here) {
                self.note(
                    ItemKind::NotMapped,
                    &here,
                    format!("keyword `{key}` is not mapped: the contracts do not check it"),
                );
            }
        }
        finish_exclusive(&mut flat, map);
        flat
    }

    pub(super) fn ignored(&mut self, at: &At, message: String) {
        self.note(ItemKind::Ignored, at, message);
    }

    pub(super) fn not_mapped(&mut self, at: &At, message: String) {
        self.note(ItemKind::NotMapped, at, message);
    }
}

/// 3.0 writes `exclusiveMinimum: true` beside `minimum`; 3.1 writes the bound itself.
fn finish_exclusive(flat: &mut Flat, map: &serde_json::Map<String, Value>) {
    for (flag, bound) in [
        ("exclusiveMinimum", &mut flat.minimum),
        ("exclusiveMaximum", &mut flat.maximum),
    ] {
        if map.get(flag) == Some(&Value::Bool(true))
            && let Some(bound) = bound
        {
            bound.exclusive = true;
        }
    }
}

/// The conjunction of two schemas.
pub(super) fn merge(mut a: Flat, b: Flat, at: &At, notes: &mut Vec<Note>) -> Flat {
    let mut note = |message: String| {
        notes.push(Note {
            kind: ItemKind::NotMapped,
            at: at.clone(),
            message,
        })
    };
    a.at = a.at.or(b.at);
    a.kinds = match (a.kinds.take(), b.kinds) {
        (Some(x), Some(y)) => {
            let both: Vec<String> = x.iter().filter(|k| covers(&y, k)).cloned().collect();
            if both.is_empty() {
                note(format!(
                    "`allOf` branches have no type in common ({} and {}): the first is kept",
                    x.join("/"),
                    y.join("/")
                ));
                Some(x)
            } else {
                Some(both)
            }
        }
        (x, y) => x.or(y),
    };
    a.nullable = a.nullable || b.nullable;
    a.enum_values = match (a.enum_values.take(), b.enum_values) {
        (Some(x), Some(y)) => Some(x.into_iter().filter(|v| y.contains(v)).collect()),
        (x, y) => x.or(y),
    };
    a.description = a.description.or(b.description);
    a.min_length = max_opt(a.min_length, b.min_length);
    a.max_length = min_opt(a.max_length, b.max_length);
    if let (Some(x), Some(y)) = (&a.pattern, &b.pattern)
        && x != y
    {
        note(format!(
            "two patterns must both match (`{x}` and `{y}`): only the first is checked"
        ));
    }
    a.pattern = a.pattern.or(b.pattern);
    a.format = a.format.or(b.format);
    a.minimum = tighter(a.minimum, b.minimum, true);
    a.maximum = tighter(a.maximum, b.maximum, false);
    a.min_items = max_opt(a.min_items, b.min_items);
    a.max_items = min_opt(a.max_items, b.max_items);
    a.items.extend(b.items);
    for (name, schemas) in b.properties {
        a.properties.entry(name).or_default().extend(schemas);
    }
    for name in b.required {
        if !a.required.contains(&name) {
            a.required.push(name);
        }
    }
    a.closed = a.closed || b.closed;
    a.union = match (a.union.take(), b.union) {
        (Some(x), Some(_)) => {
            note("two `oneOf`/`anyOf` lists in one `allOf`: only the first is mapped".into());
            Some(x)
        }
        (x, y) => x.or(y),
    };
    // A merged `$ref` is expanded, not named.
    a.named = None;
    a.example = a.example.or(b.example);
    a.read_only = a.read_only || b.read_only;
    a.write_only = a.write_only || b.write_only;
    a.required_on = a.required_on.or(b.required_on);
    a.forbidden_chars = a.forbidden_chars.or(b.forbidden_chars);
    a.conditions.extend(b.conditions);
    a
}

/// `integer` is a `number` too.
fn covers(kinds: &[String], kind: &str) -> bool {
    kinds
        .iter()
        .any(|k| k == kind || (k == "number" && kind == "integer"))
}

fn max_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// The stricter of two bounds (the larger minimum, the smaller maximum).
fn tighter(a: Option<Bound>, b: Option<Bound>, lower: bool) -> Option<Bound> {
    match (a, b) {
        (Some(x), Some(y)) => {
            let order = crate::rules::compare(&x.value, &y.value);
            let keep_x = if lower { order.is_ge() } else { order.is_le() };
            Some(if keep_x { x } else { y })
        }
        (x, y) => x.or(y),
    }
}
