//! A request body as the reference implementation reads it: parsed once into an arena, without
//! copying strings (one without escapes borrows from the body) and without hashing member
//! names (members are kept in order and looked up by scanning, which for the dozen members of
//! a request is quicker than hashing each one).
//!
//! `serve` parses every request it answers, and building a `serde_json::Value` (an owned
//! string per key and value, a hash map per object) was its largest cost; the validator reads
//! this document through [`JsonView`] just as it reads a `Value`, so the rules stay one. The
//! document lives in a [`Bump`] arena made for the request: its objects, arrays and escaped
//! strings take no allocation of their own, and all of it is freed at once with the arena
//! (nothing in a node needs dropping). The parser that fills it is [`parse`]'s own: it reads
//! the bytes straight into nodes, where serde's visitor protocol cost more than the reading.

mod parse;

use bumpalo::Bump;
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
    /// A string: in the body, or in the arena when it had escapes.
    String(&'a str),
    /// An array.
    Array(&'a [Node<'a>]),
    /// An object's members in document order (a repeated name appears twice; the last counts).
    Object(&'a [(&'a str, Node<'a>)]),
}

/// An arena sized for a body of `len` bytes: its document (nodes take two to three times the
/// JSON's bytes) and the parser's scratch room usually fit in the first chunk, so parsing
/// allocates once; a larger document takes more chunks as it goes.
pub(crate) fn arena_for(len: usize) -> Bump {
    Bump::with_capacity(len.saturating_mul(3).saturating_add(2048).min(64 * 1024))
}

/// Most bytes of arena a thread keeps for its next request: one of the usual size is reused
/// (its memory stays warm in the cache, and no request pays for allocating and freeing it),
/// one a hostile body grew is freed.
const KEPT_ARENA: usize = 64 * 1024;

/// Runs `read` with an empty arena for a body of `len` bytes: the one this thread kept from
/// its last request, when it kept one, or a new one.
pub(crate) fn with_arena<R>(len: usize, read: impl FnOnce(&Bump) -> R) -> R {
    thread_local! {
        static KEPT: std::cell::Cell<Option<Bump>> = const { std::cell::Cell::new(None) };
    }
    let mut arena = KEPT.take().unwrap_or_else(|| arena_for(len));
    let result = read(&arena);
    arena.reset();
    if arena.allocated_bytes() <= KEPT_ARENA {
        KEPT.set(Some(arena));
    }
    result
}

/// Parses a request body into `arena`; the message says why it is not JSON.
pub(crate) fn parse<'a>(body: &'a [u8], arena: &'a Bump) -> Result<Node<'a>, String> {
    let text = std::str::from_utf8(body).map_err(|e| {
        let at = e.valid_up_to();
        format!("request body is not JSON: invalid UTF-8 at byte {at}")
    })?;
    parse::parse(text, arena).map_err(|why| format!("request body is not JSON: {why}"))
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
        let state = digest_state();
        let mut hasher = state.build_hasher();
        match self {
            Node::Object(members) => {
                // Each member is hashed whole, name then value; members are combined by a
                // commutative sum, so their order does not matter.
                let combined = members.iter().fold(0u64, |acc, (name, value)| {
                    let mut member = state.build_hasher();
                    name.hash(&mut member);
                    value.feed(&mut member);
                    acc.wrapping_add(member.finish())
                });
                (b'o', combined).hash(&mut hasher);
            }
            Node::Array(items) => {
                b'a'.hash(&mut hasher);
                items.iter().for_each(|item| item.feed(&mut hasher));
            }
            leaf => leaf.feed(&mut hasher),
        }
        hasher.finish()
    }

    /// Writes the value into the hasher of what holds it: a leaf as its kind and value (most
    /// members and items are leaves, and a hasher of their own was a quarter of a request's
    /// digest), a container as its own digest. Each kind is tagged and strings are
    /// terminated, so no two values write the same bytes.
    #[inline(always)]
    fn feed(&self, hasher: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        match self {
            Node::Object(_) | Node::Array(_) => (b'c', self.digest()).hash(hasher),
            Node::String(text) => (b's', *text).hash(hasher),
            Node::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => (b'u', u).hash(hasher),
                (None, Some(i)) => (b'i', i).hash(hasher),
                _ => (b'f', n.as_f64().unwrap_or(f64::NAN).to_bits()).hash(hasher),
            },
            Node::Bool(b) => (b'b', b).hash(hasher),
            Node::Null => b'n'.hash(hasher),
        }
    }
}

/// The hasher every part of a digest is built with: fixed, so that digests compare across
/// requests.
fn digest_state() -> foldhash::fast::FixedState {
    foldhash::fast::FixedState::with_seed(0x0063_6f6e_666f_726d)
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
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    fn member_names(&self) -> impl Iterator<Item = &str> {
        let members = match self {
            Node::Object(members) => *members,
            _ => &[],
        };
        members.iter().map(|(name, _)| *name)
    }

    fn equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Node::Null, Value::Null) => true,
            (Node::Bool(a), Value::Bool(b)) => a == b,
            (Node::Number(a), Value::Number(b)) => a == b,
            (Node::String(a), Value::String(b)) => *a == b,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_like_a_value_and_borrows_plain_strings() {
        let body =
            br#"{"a": "plain", "b": "esc\"aped", "c": [1, -2, 2.5, true, null], "a": "last"}"#;
        let arena = arena_for(body.len());
        let node = parse(body, &arena).unwrap();
        assert_eq!(
            node.to_value(),
            json!({"a": "last", "b": "esc\"aped", "c": [1, -2, 2.5, true, null]})
        );
        let in_body = |node: Option<&Node<'_>>| match node {
            Some(Node::String(text)) => body.as_ptr_range().contains(&text.as_ptr()),
            other => panic!("not a string: {other:?}"),
        };
        assert!(in_body(node.member("a")), "a plain string is borrowed");
        assert!(!in_body(node.member("b")), "an escaped one is unescaped");
        assert_eq!(node.member("b"), Some(&Node::String("esc\"aped")));
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
    fn each_request_gets_an_empty_arena_and_a_grown_one_is_not_kept() {
        let first = with_arena(16, |arena| {
            parse(br#"{"a": "one"}"#, arena).unwrap().to_value()
        });
        let second = with_arena(16, |arena| {
            parse(br#"{"b": [2]}"#, arena).unwrap().to_value()
        });
        assert_eq!((first, second), (json!({"a": "one"}), json!({"b": [2]})));
        // A hostile body grows the arena past what a thread keeps: the next request's arena
        // is a new one of the usual size.
        let hostile = format!("[{}0]", "0,".repeat(200_000));
        with_arena(hostile.len(), |arena| {
            parse(hostile.as_bytes(), arena).map(drop)
        })
        .unwrap();
        let kept = with_arena(16, |arena| arena.allocated_bytes());
        assert!(kept <= KEPT_ARENA, "{kept} bytes kept");
    }

    #[test]
    fn digest_ignores_member_order_but_not_values() {
        let arena = Bump::new();
        let digest = |text: &'static str| parse(text.as_bytes(), &arena).unwrap().digest();
        assert_eq!(
            digest(r#"{"x": 1, "y": [true]}"#),
            digest(r#"{"y":[true],"x":1}"#)
        );
        assert_ne!(digest(r#"{"x": 1}"#), digest(r#"{"x": 2}"#));
        assert_ne!(digest(r#"["1"]"#), digest("[1]"));
        assert_ne!(digest("[1, 2]"), digest("[2, 1]"));
        // A member is hashed as its name then its value: neither runs into the other, and a
        // container is not taken for what it holds.
        assert_ne!(digest(r#"{"a": "b"}"#), digest(r#"{"ab": ""}"#));
        assert_ne!(digest(r#"{"a": ["b"]}"#), digest(r#"{"a": "b"}"#));
        assert_ne!(digest("[[1], [2]]"), digest("[[1, 2]]"));
        assert_ne!(digest(r#"{"a": {}}"#), digest(r#"{"a": []}"#));
    }

    #[test]
    fn refuses_nesting_too_deep_without_overflowing_the_stack() {
        let deep = "[".repeat(100_000);
        let error = parse(deep.as_bytes(), &Bump::new()).unwrap_err();
        assert!(error.contains("recursion limit exceeded"), "{error}");
    }

    #[test]
    fn says_why_a_body_is_not_json() {
        let arena = Bump::new();
        let truncated = parse(b"{\"a\": ", &arena).unwrap_err();
        assert!(
            truncated.starts_with("request body is not JSON: EOF"),
            "{truncated}"
        );
        let bad_utf8 = parse(b"{\"a\": \"\xff\"}", &arena).unwrap_err();
        assert_eq!(
            bad_utf8,
            "request body is not JSON: invalid UTF-8 at byte 7"
        );
    }
}
