//! A request body as the reference implementation reads it: parsed once, without copying
//! strings (one without escapes borrows from the body) and without hashing member names
//! (members are kept in order and looked up by scanning, which for the dozen members of a
//! request is quicker than hashing each one).
//!
//! `serve` parses every request it answers, and building a `serde_json::Value` (an owned
//! string per key and value, a hash map per object) was its largest cost; the validator reads
//! this document through [`JsonView`] just as it reads a `Value`, so the rules stay one.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::json::pointer::Pointer;
use crate::rules::{JsonView, View};

/// One JSON value of a request body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string, borrowed from the body unless it had escapes.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object's members in document order (a repeated name appears twice; the last counts).
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// Parses a request body; the message says why it is not JSON.
pub(crate) fn parse(body: &[u8]) -> Result<Node<'_>, String> {
    let not_json = |e: serde_json::Error| format!("request body is not JSON: {e}");
    let text = std::str::from_utf8(body).map_err(|e| {
        let at = e.valid_up_to();
        format!("request body is not JSON: invalid UTF-8 at byte {at}")
    })?;
    serde_json::from_str(text).map_err(not_json)
}

impl<'a> Node<'a> {
    /// The value at `pointer`, if there is one.
    pub(crate) fn at(&self, pointer: &Pointer) -> Option<&Node<'a>> {
        pointer
            .segments()
            .iter()
            .try_fold(self, |node, segment| match node {
                Node::Object(_) => node.member(segment),
                Node::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }

    /// A digest that ignores member order, so a client that re-serializes a retried request
    /// differently is still recognised as sending the same payload. Allocates nothing.
    pub(crate) fn digest(&self) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let state = foldhash::fast::FixedState::with_seed(0x0063_6f6e_666f_726d);
        let mut hasher = state.build_hasher();
        match self {
            Node::Object(members) => {
                // Members are combined by a commutative sum: their order does not matter.
                let combined = members.iter().fold(0u64, |acc, (name, value)| {
                    acc.wrapping_add(state.hash_one((name.as_ref(), value.digest())))
                });
                (b'o', combined).hash(&mut hasher);
            }
            Node::Array(items) => {
                b'a'.hash(&mut hasher);
                items
                    .iter()
                    .for_each(|item| item.digest().hash(&mut hasher));
            }
            Node::String(text) => (b's', text.as_ref()).hash(&mut hasher),
            Node::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => (b'u', u).hash(&mut hasher),
                (None, Some(i)) => (b'i', i).hash(&mut hasher),
                _ => (b'f', n.as_f64().unwrap_or(f64::NAN).to_bits()).hash(&mut hasher),
            },
            Node::Bool(b) => (b'b', b).hash(&mut hasher),
            Node::Null => b'n'.hash(&mut hasher),
        }
        hasher.finish()
    }
}

impl JsonView for Node<'_> {
    fn view(&self) -> View<'_, Self> {
        match self {
            Node::Null => View::Null,
            Node::Bool(b) => View::Bool(*b),
            Node::Number(n) => View::Number(n),
            Node::String(s) => View::String(s),
            Node::Array(items) => View::Array(items),
            Node::Object(_) => View::Object,
        }
    }

    fn member(&self, name: &str) -> Option<&Self> {
        let Node::Object(members) = self else {
            return None;
        };
        members
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    fn member_names(&self) -> impl Iterator<Item = &str> {
        let members = match self {
            Node::Object(members) => members.as_slice(),
            _ => &[],
        };
        members.iter().map(|(name, _)| name.as_ref())
    }

    fn equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Node::Null, Value::Null) => true,
            (Node::Bool(a), Value::Bool(b)) => a == b,
            (Node::Number(a), Value::Number(b)) => a == b,
            (Node::String(a), Value::String(b)) => a == b,
            (Node::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals(y))
            }
            (Node::Object(_), Value::Object(b)) => {
                self.member_names().all(|name| b.contains_key(name))
                    && b.iter()
                        .all(|(k, v)| self.member(k).is_some_and(|m| m.equals(v)))
            }
            _ => false,
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.to_string()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        Ok(Number::from_f64(n).map_or(Node::Null, Node::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(s.to_string())))
    }

    fn visit_string<E>(self, s: String) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(Name(name)) = map.next_key()? {
            members.push((name, map.next_value()?));
        }
        Ok(Node::Object(members))
    }
}

/// A member name, borrowed from the body when it has no escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_str(NodeVisitor)? {
            Node::String(name) => Ok(Name(name)),
            _ => Err(de::Error::custom("expected a member name")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_like_a_value_and_borrows_plain_strings() {
        let body =
            br#"{"a": "plain", "b": "esc\"aped", "c": [1, -2, 2.5, true, null], "a": "last"}"#;
        let node = parse(body).unwrap();
        assert_eq!(
            node.to_value(),
            json!({"a": "last", "b": "esc\"aped", "c": [1, -2, 2.5, true, null]})
        );
        assert!(matches!(
            node.member("a"),
            Some(Node::String(Cow::Borrowed("last")))
        ));
        assert!(matches!(
            node.member("b"),
            Some(Node::String(Cow::Owned(_)))
        ));
        assert!(
            node.equals(&json!({"b": "esc\"aped", "a": "last", "c": [1, -2, 2.5, true, null]}))
        );
        let pointer = Pointer::parse("/c/2").unwrap();
        assert_eq!(
            node.at(&pointer),
            Some(&Node::Number(Number::from_f64(2.5).unwrap()))
        );
    }

    #[test]
    fn digest_ignores_member_order_but_not_values() {
        let digest = |text: &str| parse(text.as_bytes()).unwrap().digest();
        assert_eq!(
            digest(r#"{"x": 1, "y": [true]}"#),
            digest(r#"{"y":[true],"x":1}"#)
        );
        assert_ne!(digest(r#"{"x": 1}"#), digest(r#"{"x": 2}"#));
        assert_ne!(digest(r#"["1"]"#), digest("[1]"));
        assert_ne!(digest("[1, 2]"), digest("[2, 1]"));
    }

    #[test]
    fn refuses_nesting_too_deep_without_overflowing_the_stack() {
        let deep = "[".repeat(100_000);
        let error = parse(deep.as_bytes()).unwrap_err();
        assert!(error.contains("recursion limit exceeded"), "{error}");
    }

    #[test]
    fn says_why_a_body_is_not_json() {
        let truncated = parse(b"{\"a\": ").unwrap_err();
        assert!(
            truncated.starts_with("request body is not JSON: EOF"),
            "{truncated}"
        );
        let bad_utf8 = parse(b"{\"a\": \"\xff\"}").unwrap_err();
        assert_eq!(
            bad_utf8,
            "request body is not JSON: invalid UTF-8 at byte 7"
        );
    }
}
