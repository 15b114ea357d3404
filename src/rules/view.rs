//! Read access to a JSON document, so that one validator serves both serde_json's [`Value`]
//! (responses, planned cases) and the reference implementation's borrowed document (requests,
//! parsed without copying a string or hashing a key, for speed under load).

use serde_json::{Number, Value};

/// A JSON value the validator can read.
pub(crate) trait JsonView: Sized {
    /// What kind of value this is, with its contents.
    fn view(&self) -> View<'_, Self>;
    /// An object's member named `name` (the last one, if the name repeats); `None` for other
    /// kinds.
    fn member(&self, name: &str) -> Option<&Self>;
    /// An object's member names, in document order; nothing for other kinds.
    fn member_names(&self) -> impl Iterator<Item = &str>;
    /// Whether this equals `other` (an `enum` value from the contract).
    fn equals(&self, other: &Value) -> bool;
    /// An owned copy, for messages about an offending value.
    fn to_value(&self) -> Value;
}

/// One JSON value's kind and contents.
#[derive(Debug)]
pub(crate) enum View<'a, J> {
    /// `null`.
    Null,
    /// `true` or `false` (which one no rule asks).
    Bool(#[allow(dead_code, reason = "no rule compares a boolean's value")] bool),
    /// A number.
    Number(&'a Number),
    /// A string.
    String(&'a str),
    /// An array's items.
    Array(&'a [J]),
    /// An object (read its members with [`JsonView::member`]).
    Object,
}

impl JsonView for Value {
    fn view(&self) -> View<'_, Self> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => View::Number(n),
            Value::String(s) => View::String(s),
            Value::Array(items) => View::Array(items),
            Value::Object(_) => View::Object,
        }
    }

    fn member(&self, name: &str) -> Option<&Self> {
        crate::json::member(self, name)
    }

    fn member_names(&self) -> impl Iterator<Item = &str> {
        self.as_object()
            .into_iter()
            .flat_map(|map| map.keys().map(String::as_str))
    }

    fn equals(&self, other: &Value) -> bool {
        self == other
    }

    fn to_value(&self) -> Value {
        self.clone()
    }
}
