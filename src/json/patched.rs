//! Writing a JSON document with a few edits applied on the way, without copying it first.
//!
//! Generated cases share one base request and differ by one value; sending a case used to mean
//! cloning the whole base, changing it, then serializing the copy. Writing the base directly,
//! substituting the edited places as they are reached, gives the same bytes as [`Pointer::set`]
//! and [`Pointer::remove`] followed by `serde_json::to_vec`, for a fraction of the work.

use serde_json::Value;

#[cfg(doc)]
use super::Pointer;

/// One change: the value at `at` becomes `to`, or is removed when `to` is `None`. A member
/// missing from its object is added at the end, as [`Pointer::set`] does; an edit whose parent
/// does not exist changes nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edit<'a> {
    /// The path, as pointer segments.
    pub at: &'a [String],
    /// The new value, or `None` to remove the member or element.
    pub to: Option<&'a Value>,
}

/// Compact JSON of `base` with `edits` applied; a later edit of the same place wins.
pub(crate) fn write(base: &Value, edits: &[Edit<'_>], out: &mut Vec<u8>) {
    let all: Vec<&Edit<'_>> = edits.iter().collect();
    node(base, None, 0, &all, out);
}

/// A document written once, with where each member and item lies in the bytes: writing it
/// again with a few edits then copies every part no edit reaches instead of writing it anew.
#[derive(Debug)]
pub(crate) struct Written {
    bytes: Vec<u8>,
    shape: Shape,
}

#[derive(Debug)]
enum Shape {
    Scalar,
    /// An object's members or an array's items, in order.
    Container(Vec<Part>),
}

/// A member, from its `"name":` at `start` (an item has none: `start == value`), its value
/// from `value` to `end`.
#[derive(Debug)]
struct Part {
    start: usize,
    value: usize,
    end: usize,
    shape: Shape,
}

impl Written {
    /// `value` written compactly, as [`write`] writes it with no edits.
    pub(crate) fn of(value: &Value) -> Written {
        let mut bytes = Vec::with_capacity(512);
        let shape = shape(value, &mut bytes);
        Written { bytes, shape }
    }
}

fn shape(value: &Value, out: &mut Vec<u8>) -> Shape {
    let part = |out: &mut Vec<u8>, i: usize, key: Option<&str>, child: &Value| {
        if i > 0 {
            out.push(b',');
        }
        let start = out.len();
        if let Some(key) = key {
            let _ = serde_json::to_writer(&mut *out, key);
            out.push(b':');
        }
        let value = out.len();
        let shape = shape(child, out);
        Part {
            start,
            value,
            end: out.len(),
            shape,
        }
    };
    match value {
        Value::Object(map) => {
            out.push(b'{');
            let parts = (map.iter().enumerate())
                .map(|(i, (key, child))| part(out, i, Some(key), child))
                .collect();
            out.push(b'}');
            Shape::Container(parts)
        }
        Value::Array(items) => {
            out.push(b'[');
            let parts = (items.iter().enumerate())
                .map(|(i, child)| part(out, i, None, child))
                .collect();
            out.push(b']');
            Shape::Container(parts)
        }
        other => {
            scalar(other, out);
            Shape::Scalar
        }
    }
}

/// [`write`], for a `base` written once as `written` ([`Written::of`] of this very `base`):
/// the same bytes, with the parts no edit reaches copied.
pub(crate) fn write_over(base: &Value, written: &Written, edits: &[Edit<'_>], out: &mut Vec<u8>) {
    let all: Vec<&Edit<'_>> = edits.iter().collect();
    let whole = Layout {
        bytes: &written.bytes,
        value: 0..written.bytes.len(),
        shape: &written.shape,
    };
    node(base, Some(whole), 0, &all, out);
}

/// Where a node of a [`Written`] document lies.
#[derive(Clone)]
struct Layout<'w> {
    bytes: &'w [u8],
    value: std::ops::Range<usize>,
    shape: &'w Shape,
}

impl<'w> Layout<'w> {
    /// The parts of a container of `len` members or items (`None` when it does not match).
    fn parts(&self, len: usize) -> Option<(&'w [u8], &'w [Part])> {
        match self.shape {
            Shape::Container(parts) if parts.len() == len => Some((self.bytes, parts)),
            _ => None,
        }
    }
}

fn node(
    value: &Value,
    layout: Option<Layout<'_>>,
    depth: usize,
    edits: &[&Edit<'_>],
    out: &mut Vec<u8>,
) {
    if let Some(here) = edits.iter().rev().find(|e| e.at.len() == depth) {
        // A removal of the node itself is its parent's business; the root is never removed.
        return scalar(here.to.unwrap_or(value), out);
    }
    if edits.is_empty() {
        return match layout {
            Some(layout) => out.extend_from_slice(&layout.bytes[layout.value]),
            None => scalar(value, out),
        };
    }
    match value {
        Value::Object(map) => {
            let parts = layout.and_then(|l| l.parts(map.len()));
            object(map, parts, depth, edits, out);
        }
        Value::Array(items) => {
            let parts = layout.and_then(|l| l.parts(items.len()));
            array(items, parts, depth, edits, out);
        }
        other => scalar(other, out),
    }
}

/// An object, its members in order with `edits` applied; those no edit reaches are copied
/// from `parts` when given (the same object as written once).
fn object(
    map: &serde_json::Map<String, Value>,
    parts: Option<(&[u8], &[Part])>,
    depth: usize,
    edits: &[&Edit<'_>],
    out: &mut Vec<u8>,
) {
    out.push(b'{');
    let start = out.len();
    let comma = |out: &mut Vec<u8>| {
        if out.len() > start {
            out.push(b',');
        }
    };
    for (i, (key, child)) in map.iter().enumerate() {
        let below = beneath(edits, depth, key);
        if removed(&below, depth) {
            continue;
        }
        comma(out);
        match parts {
            Some((bytes, parts)) => {
                let part = &parts[i];
                out.extend_from_slice(&bytes[part.start..part.value]);
                node(child, Some(part.layout(bytes)), depth + 1, &below, out);
            }
            None => {
                let _ = serde_json::to_writer(&mut *out, key);
                out.push(b':');
                node(child, None, depth + 1, &below, out);
            }
        }
    }
    for added in additions(edits, depth).filter(|e| !map.contains_key(&e.at[depth])) {
        if let Some(new) = added.to {
            comma(out);
            let _ = serde_json::to_writer(&mut *out, &added.at[depth]);
            out.push(b':');
            scalar(new, out);
        }
    }
    out.push(b'}');
}

fn array(
    items: &[Value],
    parts: Option<(&[u8], &[Part])>,
    depth: usize,
    edits: &[&Edit<'_>],
    out: &mut Vec<u8>,
) {
    out.push(b'[');
    let start = out.len();
    for (i, item) in items.iter().enumerate() {
        let below = beneath(edits, depth, &i.to_string());
        if removed(&below, depth) {
            continue;
        }
        if out.len() > start {
            out.push(b',');
        }
        let layout = parts.map(|(bytes, parts)| parts[i].layout(bytes));
        node(item, layout, depth + 1, &below, out);
    }
    out.push(b']');
}

impl Part {
    fn layout<'w>(&'w self, bytes: &'w [u8]) -> Layout<'w> {
        Layout {
            bytes,
            value: self.value..self.end,
            shape: &self.shape,
        }
    }
}

/// The edits that reach below the member `key` of the node at `depth`.
fn beneath<'e, 'a>(edits: &[&'e Edit<'a>], depth: usize, key: &str) -> Vec<&'e Edit<'a>> {
    edits
        .iter()
        .copied()
        .filter(|e| e.at.len() > depth && e.at[depth] == key)
        .collect()
}

/// Whether the last edit of this very member removes it.
fn removed(below: &[&Edit<'_>], depth: usize) -> bool {
    below
        .iter()
        .rev()
        .find(|e| e.at.len() == depth + 1)
        .is_some_and(|e| e.to.is_none())
}

/// Edits that set a member directly under the node at `depth` (last one per member wins).
fn additions<'e, 'a>(
    edits: &'e [&'e Edit<'a>],
    depth: usize,
) -> impl Iterator<Item = &'e Edit<'a>> {
    edits.iter().enumerate().filter_map(move |(i, e)| {
        let last_for_member = !edits[i + 1..]
            .iter()
            .any(|later| later.at.len() == depth + 1 && later.at[depth] == e.at[depth]);
        (e.at.len() == depth + 1 && last_for_member).then_some(*e)
    })
}

fn scalar(value: &Value, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail, and a Value always serializes.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Pointer;
    use serde_json::json;

    /// The bytes of editing a copy with pointers, which `write` must reproduce.
    fn by_copy(base: &Value, edits: &[(&str, Option<Value>)]) -> Vec<u8> {
        let mut copy = base.clone();
        for (at, to) in edits {
            let pointer = Pointer::parse(at).unwrap();
            match to {
                Some(value) => {
                    pointer.set(&mut copy, value.clone());
                }
                None => {
                    pointer.remove(&mut copy);
                }
            }
        }
        serde_json::to_vec(&copy).unwrap()
    }

    fn by_writing(base: &Value, edits: &[(&str, Option<Value>)]) -> Vec<u8> {
        by_writing_with(base, edits, false)
    }

    /// [`write`], or [`write_over`] the base written beforehand.
    fn by_writing_with(base: &Value, edits: &[(&str, Option<Value>)], over: bool) -> Vec<u8> {
        let pointers: Vec<Pointer> = edits
            .iter()
            .map(|(at, _)| Pointer::parse(at).unwrap())
            .collect();
        let list: Vec<Edit<'_>> = pointers
            .iter()
            .zip(edits)
            .map(|(p, (_, to))| Edit {
                at: p.segments(),
                to: to.as_ref(),
            })
            .collect();
        let mut out = Vec::new();
        if over {
            write_over(base, &Written::of(base), &list, &mut out);
        } else {
            write(base, &list, &mut out);
        }
        out
    }

    #[test]
    fn writes_the_same_bytes_as_editing_a_copy() {
        let base = json!({"requestId": "1", "appId": "a\"b", "cardFields": [{"fieldCode": "P", "fieldValue": "1"}, {"fieldCode": "B"}], "n": 1});
        let cases: Vec<Vec<(&str, Option<Value>)>> = vec![
            vec![],
            vec![("/requestId", Some(json!("2611")))],
            vec![("/appId", None), ("/requestId", Some(json!("k")))],
            vec![
                ("/cardFields/0/fieldValue", Some(json!({"value": 1}))),
                ("/requestId", Some(json!("k"))),
            ],
            vec![("/cardFields/1", None)],
            vec![("/extendInfo", Some(json!("new at the end")))],
            vec![("/missing/parent", Some(json!(1)))],
            vec![("", Some(json!([])))],
            vec![
                ("/requestId", Some(json!(null))),
                ("/requestId", Some(json!("last wins"))),
            ],
            vec![("/cardFields/5", Some(json!(1)))],
        ];
        for edits in cases {
            assert_eq!(
                String::from_utf8(by_writing(&base, &edits)).unwrap(),
                String::from_utf8(by_copy(&base, &edits)).unwrap(),
                "{edits:?}"
            );
        }
    }

    #[test]
    fn writes_the_same_bytes_over_the_base_written_beforehand() {
        let bases = [
            json!({"requestId": "1", "appId": "a\"b", "cardFields": [{"fieldCode": "P"}], "n": 1}),
            json!({"only": {"deep": [1, 2]}}),
            json!({"a": [], "b": {}, "c": [[], [{}]], "d": "\u{1}é\"", "1": [0, {"a": 2}]}),
            json!({}),
            json!([1, {"a": 2}]),
            json!("text"),
        ];
        let cases: Vec<Vec<(&str, Option<Value>)>> = vec![
            vec![],
            vec![("/requestId", Some(json!("2611")))],
            vec![("/requestId", None)],
            vec![("/n", None), ("/requestId", Some(json!("k")))],
            vec![
                ("/appId", None),
                ("/cardFields/0/fieldCode", Some(json!(7))),
            ],
            vec![("/only/deep/1", None), ("/only", Some(json!("replaced")))],
            vec![("/added", Some(json!({"x": 1})))],
            vec![("/added", Some(json!(1))), ("/added", None)],
            vec![("/missing/parent", Some(json!(1)))],
            vec![("", Some(json!({"whole": true})))],
            vec![("/1/a", Some(json!(3)))],
            vec![("/c/1/0/x", Some(json!(1))), ("/1/1/a", None)],
            vec![("/c/0", None), ("/b/new", Some(json!([])))],
        ];
        for base in &bases {
            for edits in &cases {
                assert_eq!(
                    String::from_utf8(by_writing_with(base, edits, true)).unwrap(),
                    String::from_utf8(by_copy(base, edits)).unwrap(),
                    "{base} with {edits:?}"
                );
            }
        }
    }
}
