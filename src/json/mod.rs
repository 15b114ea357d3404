//! JSON helpers shared by every stage: pointers, abbreviation for messages, canonical printing,
//! a parse that notices duplicate keys ([`strict`]), and [`printable`]: the one function that
//! makes text from a target safe to print.

pub(crate) mod patched;
pub(crate) mod pointer;
pub(crate) mod strict;
pub(crate) mod text;

pub(crate) use pointer::Pointer;
pub(crate) use text::{
    abbreviate, canonical_pretty, describe_kind, printable, printable_line, secret_shown,
};

use serde_json::{Map, Value};

/// Objects with at most this many members are searched by comparing names: a map lookup hashes
/// the name with SipHash first, which costs more than comparing it with the few names a request
/// or answer object has (found by profiling `verify`, where pointer steps into answers were
/// 2% of its instructions).
const SCANNED: usize = 16;

/// `map`'s member named `name`, as [`Map::get`] finds it.
pub(crate) fn member_of<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if map.len() > SCANNED {
        return map.get(name);
    }
    map.iter()
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// [`member_of`] to change.
pub(crate) fn member_of_mut<'a>(
    map: &'a mut Map<String, Value>,
    name: &str,
) -> Option<&'a mut Value> {
    if map.len() > SCANNED {
        return map.get_mut(name);
    }
    map.iter_mut()
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// `value`'s member named `name`; `None` when `value` is not an object, as [`Value::get`].
pub(crate) fn member<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value.as_object().and_then(|map| member_of(map, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_members_as_the_map_does_in_small_and_large_objects() {
        for size in [0, 1, SCANNED, SCANNED + 1, 40] {
            let mut map = Map::new();
            for i in 0..size {
                map.insert(format!("k{i}"), Value::from(i));
            }
            for name in ["k0", "k7", "k16", "k39", "absent", ""] {
                assert_eq!(
                    member_of(&map, name),
                    map.get(name),
                    "{size} members, {name}"
                );
                let mut copy = map.clone();
                let expected = copy.get(name).cloned();
                assert_eq!(member_of_mut(&mut copy, name).map(|v| v.clone()), expected);
            }
            let object = Value::Object(map.clone());
            assert_eq!(member(&object, "k0"), map.get("k0"));
        }
        assert_eq!(member(&Value::from("k0"), "k0"), None);
    }
}
