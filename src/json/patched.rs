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
    node(base, 0, &all, out);
}

fn node(value: &Value, depth: usize, edits: &[&Edit<'_>], out: &mut Vec<u8>) {
    if let Some(here) = edits.iter().rev().find(|e| e.at.len() == depth) {
        // A removal of the node itself is its parent's business; the root is never removed.
        return scalar(here.to.unwrap_or(value), out);
    }
    if edits.is_empty() {
        return scalar(value, out);
    }
    match value {
        Value::Object(map) => object(map, depth, edits, out),
        Value::Array(items) => array(items, depth, edits, out),
        other => scalar(other, out),
    }
}

fn object(
    map: &serde_json::Map<String, Value>,
    depth: usize,
    edits: &[&Edit<'_>],
    out: &mut Vec<u8>,
) {
    out.push(b'{');
    let mut first = true;
    let mut member = |key: &str, write_value: &mut dyn FnMut(&mut Vec<u8>), out: &mut Vec<u8>| {
        if !first {
            out.push(b',');
        }
        first = false;
        let _ = serde_json::to_writer(&mut *out, key);
        out.push(b':');
        write_value(out);
    };
    for (key, child) in map {
        let below = beneath(edits, depth, key);
        if removed(&below, depth) {
            continue;
        }
        member(
            key,
            &mut |out: &mut Vec<u8>| node(child, depth + 1, &below, out),
            out,
        );
    }
    for added in additions(edits, depth).filter(|e| !map.contains_key(&e.at[depth])) {
        if let Some(new) = added.to {
            member(
                &added.at[depth],
                &mut |out: &mut Vec<u8>| scalar(new, out),
                out,
            );
        }
    }
    out.push(b'}');
}

fn array(items: &[Value], depth: usize, edits: &[&Edit<'_>], out: &mut Vec<u8>) {
    out.push(b'[');
    let mut first = true;
    for (i, item) in items.iter().enumerate() {
        let below = beneath(edits, depth, &i.to_string());
        if removed(&below, depth) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        node(item, depth + 1, &below, out);
    }
    out.push(b']');
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
        write(base, &list, &mut out);
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
}
