//! Parsing JSON from a target while noticing duplicate object keys, in the one pass that builds
//! the value.
//!
//! `{"result": {..S..}, "result": {..F..}}` is ambiguous: serde_json keeps the last member,
//! other parsers keep the first, so two clients of the same API can read opposite results. The
//! value built here keeps the last member, as serde_json does, and the pointer of every
//! duplicate is reported so the answer can be judged ambiguous. Nesting is bounded by
//! serde_json's own recursion limit, so a hostile body cannot overflow the stack.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

/// Duplicates recorded at most; the rest are only counted, so a body made of millions of
/// repeated keys costs no more memory than its own size.
pub(crate) const MAX_RECORDED: usize = 10;

/// A parsed document and the duplicate keys it had.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    /// The document; of duplicate members, the last one.
    pub value: Value,
    /// JSON pointers of duplicated members (the first [`MAX_RECORDED`] found), in document order.
    pub duplicates: Vec<String>,
    /// Duplicates found in all, recorded or not.
    pub duplicate_count: usize,
}

/// Parses `bytes` as one JSON document, recording duplicate object keys.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, serde_json::Error> {
    let state = RefCell::new(State::default());
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = Walk { state: &state }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    let state = state.into_inner();
    Ok(Parsed {
        value,
        duplicates: state.duplicates,
        duplicate_count: state.duplicate_count,
    })
}

#[derive(Default)]
struct State {
    /// Where the walk is: keys and indices from the root.
    path: Vec<Segment>,
    duplicates: Vec<String>,
    duplicate_count: usize,
}

enum Segment {
    Key(String),
    Index(usize),
}

impl State {
    fn duplicate(&mut self, key: &str) {
        self.duplicate_count += 1;
        if self.duplicates.len() < MAX_RECORDED {
            let mut pointer = String::new();
            for segment in &self.path {
                pointer.push('/');
                match segment {
                    Segment::Key(name) => push_escaped(&mut pointer, name),
                    Segment::Index(i) => pointer.push_str(&i.to_string()),
                }
            }
            pointer.push('/');
            push_escaped(&mut pointer, key);
            self.duplicates.push(pointer);
        }
    }
}

/// RFC 6901 escaping of one reference token.
fn push_escaped(pointer: &mut String, token: &str) {
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Both the seed and the visitor of one value.
#[derive(Clone, Copy)]
struct Walk<'s> {
    state: &'s RefCell<State>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        loop {
            self.state
                .borrow_mut()
                .path
                .push(Segment::Index(items.len()));
            let item = seq.next_element_seed(self)?;
            self.state.borrow_mut().path.pop();
            match item {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            self.state.borrow_mut().path.push(Segment::Key(key));
            let value = access.next_value_seed(self)?;
            let Some(Segment::Key(key)) = self.state.borrow_mut().path.pop() else {
                return Err(de::Error::custom("internal: unbalanced path"));
            };
            match map.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(mut slot) => {
                    self.state.borrow_mut().duplicate(slot.key());
                    slot.insert(value);
                }
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn builds_the_same_value_as_serde_json() {
        let text = br#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": 18446744073709551615}"#;
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.value, serde_json::from_slice::<Value>(text).unwrap());
        assert!(parsed.duplicates.is_empty());
    }

    #[test]
    fn duplicate_keys_are_reported_with_their_pointer_and_the_last_value_kept() {
        let text =
            br#"{"result": {"s": "S"}, "list": [{"a/b": 1, "a/b": 2}], "result": {"s": "F"}}"#;
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.value["result"], json!({"s": "F"}));
        assert_eq!(parsed.duplicates, ["/list/0/a~1b", "/result"]);
        assert_eq!(parsed.duplicate_count, 2);
    }

    #[test]
    fn only_the_first_duplicates_are_recorded() {
        let members: Vec<String> = (0..1000).map(|i| format!("\"k\": {i}")).collect();
        let text = format!("{{{}}}", members.join(","));
        let parsed = parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.duplicates.len(), MAX_RECORDED);
        assert_eq!(parsed.duplicate_count, 999);
        assert_eq!(parsed.value, json!({"k": 999}));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(100_000);
        let err = parse(text.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
    }

    #[test]
    fn trailing_garbage_and_out_of_range_numbers_are_errors() {
        assert!(parse(b"{} x").is_err());
        let err = parse(b"[1e999999]").unwrap_err();
        assert!(err.to_string().contains("number out of range"), "{err}");
    }
}
