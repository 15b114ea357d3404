//! RFC 6901 JSON pointers, parsed once so hot paths never re-split strings.

use std::fmt;

use serde_json::Value;

/// A parsed JSON pointer such as `/result/resultStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Pointer {
    text: String,
    segments: Vec<String>,
}

/// Why a pointer string is not a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a JSON pointer: it must be empty or start with `/`")]
pub(crate) struct PointerError(pub String);

impl Pointer {
    /// Parses `text`; the empty string is the whole document.
    pub(crate) fn parse(text: &str) -> Result<Self, PointerError> {
        if text.is_empty() {
            return Ok(Self::root());
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(PointerError(text.to_string()));
        };
        let segments = rest.split('/').map(unescape).collect();
        Ok(Pointer {
            text: text.to_string(),
            segments,
        })
    }

    /// The pointer to the whole document.
    pub(crate) fn root() -> Self {
        Pointer {
            text: String::new(),
            segments: Vec::new(),
        }
    }

    /// The pointer made of `segments` (unescaped member names or indices).
    pub(crate) fn from_segments(segments: Vec<String>) -> Self {
        // One string grown in place: pointers are built for every case planned and sent.
        let mut text = String::with_capacity(segments.iter().map(|s| s.len() + 1).sum());
        for segment in &segments {
            text.push('/');
            text.push_str(&escaped(segment));
        }
        Pointer { text, segments }
    }

    /// This pointer extended by one member name or index.
    pub(crate) fn child(&self, segment: &str) -> Self {
        let mut segments = Vec::with_capacity(self.segments.len() + 1);
        segments.extend(self.segments.iter().cloned());
        segments.push(segment.to_string());
        let escaped = escaped(segment);
        let mut text = String::with_capacity(self.text.len() + 1 + escaped.len());
        text.push_str(&self.text);
        text.push('/');
        text.push_str(&escaped);
        Pointer { text, segments }
    }

    /// The unescaped segments.
    pub(crate) fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The pointer as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The last segment (the field name), or `None` for the root.
    pub(crate) fn last(&self) -> Option<&str> {
        self.segments.last().map(String::as_str)
    }

    /// The value this pointer designates.
    pub(crate) fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        walk(value, &self.segments)
    }

    /// The value this pointer designates inside an object's members (the pointer's first
    /// segment names a member of `map`).
    pub(crate) fn get_in<'a>(&self, map: &'a serde_json::Map<String, Value>) -> Option<&'a Value> {
        let (first, rest) = self.segments.split_first()?;
        walk(super::member_of(map, first)?, rest)
    }

    /// Replaces (or inserts, for an object member) the value at this pointer. Returns false
    /// when the parent does not exist or is not a container.
    pub(crate) fn set(&self, root: &mut Value, new: Value) -> bool {
        let Some((last, parents)) = self.segments.split_last() else {
            *root = new;
            return true;
        };
        match parent_mut(root, parents) {
            Some(Value::Object(map)) => {
                map.insert(last.clone(), new);
                true
            }
            Some(Value::Array(items)) => match last.parse::<usize>() {
                Ok(i) if i < items.len() => {
                    items[i] = new;
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Like [`Pointer::set`], but creates missing parent objects on the way.
    pub(crate) fn insert(&self, root: &mut Value, new: Value) {
        let mut current = root;
        for segment in &self.segments {
            if !current.is_object() && !current.is_array() {
                *current = Value::Object(serde_json::Map::new());
            }
            current = match current {
                Value::Object(map) => map.entry(segment.clone()).or_insert(Value::Null),
                Value::Array(items) => {
                    match segment.parse::<usize>().ok().filter(|i| *i < items.len()) {
                        Some(i) => &mut items[i],
                        None => return,
                    }
                }
                _ => return,
            };
        }
        *current = new;
    }

    /// Removes the value at this pointer and returns it.
    pub(crate) fn remove(&self, root: &mut Value) -> Option<Value> {
        let (last, parents) = self.segments.split_last()?;
        match parent_mut(root, parents)? {
            Value::Object(map) => map.shift_remove(last),
            Value::Array(items) => {
                let i = last.parse::<usize>().ok().filter(|i| *i < items.len())?;
                Some(items.remove(i))
            }
            _ => None,
        }
    }

    /// Whether `concrete` matches this pattern, where a `*` segment matches any one segment.
    pub(crate) fn matches(&self, concrete: &[String]) -> bool {
        self.segments.len() == concrete.len()
            && self
                .segments
                .iter()
                .zip(concrete)
                .all(|(pattern, actual)| pattern == "*" || pattern == actual)
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.is_empty() {
            f.write_str("(body)")
        } else {
            f.write_str(&self.text)
        }
    }
}

/// The value that `segments` (unescaped, in order) lead to from `value`.
pub(crate) fn walk<'a>(value: &'a Value, segments: &[String]) -> Option<&'a Value> {
    segments
        .iter()
        .try_fold(value, |current, segment| step(current, segment))
}

/// The member or item that `segment` names in `current`.
fn step<'a>(current: &'a Value, segment: &str) -> Option<&'a Value> {
    match current {
        Value::Object(map) => super::member_of(map, segment),
        Value::Array(items) => items.get(segment.parse::<usize>().ok()?),
        _ => None,
    }
}

/// The value at the segments `parents` (the parent of a pointer's last segment), to change.
pub(crate) fn parent_mut<'a>(root: &'a mut Value, parents: &[String]) -> Option<&'a mut Value> {
    parents
        .iter()
        .try_fold(root, |current, segment| match current {
            Value::Object(map) => super::member_of_mut(map, segment),
            Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?),
            _ => None,
        })
}

/// Escapes one segment: `~` → `~0`, `/` → `~1`.
pub(crate) fn escape(segment: &str) -> String {
    escaped(segment).into_owned()
}

/// [`escape`] without allocating when there is nothing to escape (almost every field name).
pub(crate) fn escaped(segment: &str) -> std::borrow::Cow<'_, str> {
    // A plain loop: segments are short, and this runs for every field validated.
    if segment.bytes().any(|b| b == b'~' || b == b'/') {
        std::borrow::Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(segment)
    }
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gets_sets_and_removes_nested_members() {
        let mut doc = json!({"result": {"resultStatus": "S"}, "list": [1, 2]});
        let status = Pointer::parse("/result/resultStatus").unwrap();
        assert_eq!(status.get(&doc), Some(&json!("S")));
        assert!(status.set(&mut doc, json!("F")));
        assert_eq!(doc["result"]["resultStatus"], "F");
        let second = Pointer::parse("/list/1").unwrap();
        assert_eq!(second.remove(&mut doc), Some(json!(2)));
        assert_eq!(doc["list"], json!([1]));
    }

    #[test]
    fn insert_creates_missing_parents() {
        let mut doc = json!({"cardNo": "1"});
        Pointer::parse("/result/resultStatus")
            .unwrap()
            .insert(&mut doc, json!("S"));
        assert_eq!(doc, json!({"cardNo": "1", "result": {"resultStatus": "S"}}));
    }

    #[test]
    fn set_fails_when_the_parent_is_missing() {
        let mut doc = json!({});
        assert!(!Pointer::parse("/a/b").unwrap().set(&mut doc, json!(1)));
    }

    #[test]
    fn escapes_round_trip_and_wildcards_match_one_segment() {
        let p = Pointer::root().child("a/b").child("c~d");
        assert_eq!(p.as_str(), "/a~1b/c~0d");
        assert_eq!(
            Pointer::parse(p.as_str()).unwrap().segments(),
            ["a/b", "c~d"]
        );
        let pattern = Pointer::parse("/items/*/id").unwrap();
        assert!(pattern.matches(&["items".into(), "3".into(), "id".into()]));
        assert!(!pattern.matches(&["items".into(), "id".into()]));
    }

    #[test]
    fn rejects_pointers_without_leading_slash() {
        assert!(Pointer::parse("result").is_err());
    }
}
