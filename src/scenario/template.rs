//! Captured values inside a step's request and expectations: `{{name}}` in a string.
//!
//! A string that is exactly one placeholder (`"{{cardId}}"`) becomes the captured value itself,
//! whatever its JSON type; a placeholder inside longer text (`"Bearer {{token}}"`) puts the
//! value's text there. Text that does not form a placeholder (`{{`, `{{ two words }}`) is kept
//! as written.

use serde_json::Value;

/// Every placeholder name in `value`, with the JSON pointer (within `value`) of the string that
/// holds it, in document order.
pub(crate) fn names(value: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    walk(value, &mut String::new(), &mut |text, at| {
        for (name, _) in placeholders(text) {
            found.push((name.to_string(), at.to_string()));
        }
    });
    found
}

/// `value` with every placeholder replaced by what `lookup` gives; `Err` names the first
/// placeholder `lookup` has nothing for.
pub(crate) fn fill(value: &Value, lookup: &dyn Fn(&str) -> Option<Value>) -> Result<Value, String> {
    match value {
        Value::String(text) => fill_text(text, lookup),
        Value::Array(items) => items
            .iter()
            .map(|item| fill(item, lookup))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Value::Object(members) => members
            .iter()
            .map(|(key, member)| fill(member, lookup).map(|v| (key.clone(), v)))
            .collect::<Result<_, _>>()
            .map(Value::Object),
        other => Ok(other.clone()),
    }
}

/// Whether `name` can be a captured value's name: a letter or `_`, then letters, digits, `_`,
/// `.` or `-`.
pub(crate) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// The text a captured value puts into a longer string: a string as it is, anything else as
/// JSON.
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn fill_text(text: &str, lookup: &dyn Fn(&str) -> Option<Value>) -> Result<Value, String> {
    let found = placeholders(text);
    if let [(name, range)] = found.as_slice()
        && range.start == 0
        && range.end == text.len()
    {
        return lookup(name).ok_or_else(|| name.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (name, range) in found {
        let value = lookup(name).ok_or_else(|| name.to_string())?;
        out.push_str(&text[last..range.start]);
        out.push_str(&text_of(&value));
        last = range.end;
    }
    out.push_str(&text[last..]);
    Ok(Value::String(out))
}

/// The placeholders of `text`: each name with the byte range of its `{{...}}`.
fn placeholders(text: &str) -> Vec<(&str, std::ops::Range<usize>)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        let name = text[open + 2..close].trim();
        if valid_name(name) {
            found.push((name, open..close + 2));
            from = close + 2;
        } else {
            from = open + 2;
        }
    }
    found
}

fn walk(value: &Value, at: &mut String, visit: &mut dyn FnMut(&str, &str)) {
    match value {
        Value::String(text) => visit(text, at),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                walk(item, at, visit);
                at.truncate(len);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                let len = at.len();
                at.push('/');
                at.push_str(&crate::json::pointer::escape(key));
                walk(member, at, visit);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lookup(name: &str) -> Option<Value> {
        match name {
            "id" => Some(json!("card_1")),
            "count" => Some(json!(3)),
            _ => None,
        }
    }

    #[test]
    fn a_lone_placeholder_keeps_the_captured_type_and_text_takes_its_text() {
        assert_eq!(fill(&json!("{{count}}"), &lookup), Ok(json!(3)));
        assert_eq!(fill(&json!("{{ id }}"), &lookup), Ok(json!("card_1")));
        assert_eq!(
            fill(&json!({"a": ["/v1/cards/{{id}}?n={{count}}"]}), &lookup),
            Ok(json!({"a": ["/v1/cards/card_1?n=3"]}))
        );
    }

    #[test]
    fn an_unknown_name_is_named_and_non_placeholders_stay_as_written() {
        assert_eq!(
            fill(&json!("x {{missing}}"), &lookup),
            Err("missing".into())
        );
        assert_eq!(
            fill(&json!("{{ two words }} and {{"), &lookup),
            Ok(json!("{{ two words }} and {{"))
        );
    }

    #[test]
    fn names_are_listed_with_the_place_of_their_string() {
        let value = json!({"h": "Bearer {{token}}", "list": ["{{a}}{{b}}"]});
        assert_eq!(
            names(&value),
            [
                ("token".to_string(), "/h".to_string()),
                ("a".to_string(), "/list/0".to_string()),
                ("b".to_string(), "/list/0".to_string())
            ]
        );
    }
}
