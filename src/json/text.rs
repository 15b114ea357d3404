//! Turning JSON into text for people: abbreviated values in messages, canonical pretty printing
//! for diffs and snapshots.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

/// Renders `value` compactly, cutting it to about `max` characters with an ellipsis and the full
/// length, so a 2,049-character string stays readable in a one-line message.
pub(crate) fn abbreviate(value: &Value, max: usize) -> String {
    match value {
        Value::String(text) => abbreviate_text(text, max),
        other => abbreviate_str(&other.to_string(), max),
    }
}

/// A string quoted as JSON and cut to about `max` characters; the length given is the string's
/// own. Only the part shown is rendered, so a 2,049-character value costs no more than a short
/// one.
fn abbreviate_text(text: &str, max: usize) -> String {
    let keep = max.saturating_sub(3);
    match text.char_indices().nth(keep) {
        None => serde_json::to_string(text).unwrap_or_default(),
        Some((cut, _)) => {
            let head = serde_json::to_string(&text[..cut]).unwrap_or_default();
            let count = text.chars().count();
            format!("{}…\" ({count} characters)", head.trim_end_matches('"'))
        }
    }
}

/// The first characters of a credential messages may show...
pub(crate) const SECRET_HEAD: usize = 4;
/// ...when it has at least this many: they give nothing away.
pub(crate) const SECRET_HEAD_FROM: usize = 16;

/// A credential as messages show it: its first characters (only when it is long enough that
/// they give nothing away) and its length, never the whole.
pub(crate) fn secret_shown(text: &str) -> String {
    let length = text.chars().count();
    if length >= SECRET_HEAD_FROM {
        let head: String = text.chars().take(SECRET_HEAD).collect();
        format!("{head}… ({length} characters, secret)")
    } else {
        format!("*** ({length} characters, secret)")
    }
}

/// [`abbreviate`] for text that is already rendered.
pub(crate) fn abbreviate_str(full: &str, max: usize) -> String {
    let count = full.chars().count();
    if count <= max {
        return full.to_string();
    }
    let head: String = full.chars().take(max.saturating_sub(1)).collect();
    format!("{head}… ({count} characters)")
}

/// Pretty-prints with object keys sorted at every level, so two documents that differ only in
/// key order print the same and a line diff shows only real changes.
pub(crate) fn canonical_pretty(value: &Value) -> String {
    let sorted = sort_keys(value);
    serde_json::to_string_pretty(&sorted).unwrap_or_else(|_| sorted.to_string())
}

fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// The JSON kind of a value, as messages name it: `string`, `integer`, `number`, ...
pub(crate) fn describe_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Text that came from a target, made safe to print: control characters (ESC and the other C0
/// and C1 controls, DEL) and the invisible bidirectional-formatting characters become visible
/// escapes such as `\u{1b}`, so an answer can never recolour a terminal, move its cursor or
/// reorder what a reader sees. Newlines and tabs are kept (diffs and bodies are multi-line);
/// [`printable_line`] escapes them too. Text that needs no change is not copied.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    escape_unprintable(text, |c| c == '\n' || c == '\t')
}

/// [`printable`] for one-line fields (finding messages, expected and actual values): newlines,
/// carriage returns and tabs are escaped as well, so a target cannot forge extra report lines.
pub(crate) fn printable_line(text: &str) -> Cow<'_, str> {
    escape_unprintable(text, |_| false)
}

fn escape_unprintable(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| !keep(c) && (c.is_control() || is_bidi_control(c));
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters that change the display order of text without being visible.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_values_are_cut_with_their_length() {
        let long = json!("x".repeat(100));
        let short = abbreviate(&long, 20);
        assert!(short.starts_with("\"xxxxxxxx"));
        assert!(short.ends_with("…\" (100 characters)"), "{short}");
        assert_eq!(abbreviate(&json!("ok"), 20), "\"ok\"");
    }

    #[test]
    fn canonical_printing_ignores_key_order() {
        let a = json!({"b": 1, "a": {"d": 2, "c": 3}});
        let b = json!({"a": {"c": 3, "d": 2}, "b": 1});
        assert_eq!(canonical_pretty(&a), canonical_pretty(&b));
        assert!(canonical_pretty(&a).find("\"a\"") < canonical_pretty(&a).find("\"b\""));
    }

    #[test]
    fn control_characters_from_a_target_are_shown_escaped() {
        let hostile = "\u{1b}[2J\u{1b}[31mPWNED\u{9b}0m\u{202e}txt.exe\u{7f}";
        assert_eq!(
            printable(hostile),
            "\\u{1b}[2J\\u{1b}[31mPWNED\\u{9b}0m\\u{202e}txt.exe\\u{7f}"
        );
        assert_eq!(printable("a\n\tb"), "a\n\tb");
        assert_eq!(printable_line("a\r\nb"), "a\\u{d}\\u{a}b");
        assert!(matches!(printable("plain 中文"), Cow::Borrowed(_)));
    }

    #[test]
    fn integers_and_fractions_are_told_apart() {
        assert_eq!(describe_kind(&json!(100)), "integer");
        assert_eq!(describe_kind(&json!(100.5)), "number");
    }
}
