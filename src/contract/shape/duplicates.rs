//! A quick look for a key repeated within one object, anywhere in a document: the one shape
//! problem serde lets through (a map keeps the last of two equal keys). Valid contracts, the
//! common case, are checked this way without building a tree of the file; any finding sends the
//! file through the full shape check, which says where.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Whether `text` is JSON in which no object repeats a key (`false` also for text that is not
/// JSON at all).
pub(crate) fn none_repeated(text: &str) -> bool {
    serde_json::from_str::<NoRepeats>(text).is_ok()
}

struct NoRepeats;

impl<'de> Deserialize<'de> for NoRepeats {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Values)
    }
}

struct Values;

impl<'de> Visitor<'de> for Values {
    type Value = NoRepeats;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoRepeats, A::Error> {
        let mut seen = Seen::default();
        while let Some(Key(key)) = map.next_key()? {
            if !seen.insert(key) {
                return Err(de::Error::custom("a key is repeated"));
            }
            map.next_value::<NoRepeats>()?;
        }
        Ok(NoRepeats)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NoRepeats, A::Error> {
        while seq.next_element::<NoRepeats>()?.is_some() {}
        Ok(NoRepeats)
    }

    fn visit_bool<E>(self, _: bool) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_i64<E>(self, _: i64) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_u64<E>(self, _: u64) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_f64<E>(self, _: f64) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_str<E>(self, _: &str) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_unit<E>(self) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }
}

/// Up to this many members, an object's names are compared one by one: most objects of a
/// contract have a handful, for which hashing each name costs more than comparing it.
const FEW_MEMBERS: usize = 16;

/// The member names of one object read so far.
#[derive(Default)]
struct Seen<'de> {
    few: Vec<Cow<'de, str>>,
    many: HashSet<Cow<'de, str>, foldhash::fast::RandomState>,
}

impl<'de> Seen<'de> {
    /// Adds `key`; `false` when the object already had it.
    fn insert(&mut self, key: Cow<'de, str>) -> bool {
        if !self.many.is_empty() {
            return self.many.insert(key);
        }
        if self.few.contains(&key) {
            return false;
        }
        if self.few.len() < FEW_MEMBERS {
            self.few.push(key);
            return true;
        }
        self.many.extend(self.few.drain(..));
        self.many.insert(key)
    }
}

/// A member name, borrowed from the text unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyText)
    }
}

struct KeyText;

impl<'de> Visitor<'de> for KeyText {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(text.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::none_repeated;

    #[test]
    fn finds_a_repeated_key_at_any_depth_and_escaped() {
        assert!(none_repeated(
            r#"{"a": [{"b": 1, "c": {"b": 2}}], "b": null}"#
        ));
        assert!(!none_repeated(r#"{"a": [{"b": 1, "b": 2}]}"#));
        assert!(!none_repeated(r#"{"a": 1, "\u0061": 2}"#));
        assert!(!none_repeated("{\"a\": "));
    }

    #[test]
    fn finds_a_repeated_key_in_an_object_of_many_members() {
        let members = |n: usize| (0..n).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>();
        for n in [15, 16, 17, 40] {
            let mut all = members(n);
            assert!(
                none_repeated(&format!("{{{}}}", all.join(","))),
                "{n} members"
            );
            for repeated in [0, n - 1] {
                all.push(format!("\"k{repeated}\": null"));
                assert!(
                    !none_repeated(&format!("{{{}}}", all.join(","))),
                    "{n}, k{repeated} again"
                );
                all.pop();
            }
        }
    }
}
