//! Values derived from a valid one: padding characters, malformed and edge date-times, numbers
//! just inside and just outside a range, wrong JSON types.

use serde_json::{Number, Value};

use crate::contract::schema::StringRules;
use crate::contract::{Contract, Kind, Schema};
use crate::generate::SAMPLE_DATE_TIME;
use crate::rules::{datetime, kind_matches};

/// The multi-byte character used to pad strings: three bytes in UTF-8, one character, so an
/// implementation counting bytes instead of characters shows up.
pub(super) const MULTIBYTE: char = '中';

/// A plain padding character the rules allow: not forbidden, and keeping `base` padded to
/// `len` characters within the pattern when there is one (the base's own last character first,
/// so digit-only IDs are padded with digits).
pub(super) fn ascii_filler(rules: &StringRules, base: &str, len: usize) -> char {
    let candidates = base
        .chars()
        .last()
        .into_iter()
        .chain(['x', '0', 'a', 'A', 'z']);
    let allowed: Vec<char> = candidates
        .filter(|c| !rules.forbidden.contains(c))
        .collect();
    let fits = |c: &char| {
        let padded = crate::plan::StringEdit::Length { len, fill: *c }.apply(base);
        rules
            .pattern
            .as_ref()
            .is_none_or(|p| p.regex.is_match(&padded))
    };
    allowed
        .iter()
        .copied()
        .find(fits)
        .or(allowed.first().copied())
        .unwrap_or('x')
}

/// A value whose JSON type the definition does not accept, if there is one.
pub(super) fn wrong_type(contract: &Contract, schema: &Schema) -> Option<Value> {
    let candidates = [
        Value::from(12345),
        Value::from("12345"),
        Value::Bool(true),
        Value::Object(serde_json::Map::new()),
        Value::Array(Vec::new()),
    ];
    candidates.into_iter().find(|value| {
        !schema
            .kinds
            .iter()
            .any(|k| kind_matches(&contract.types, *k, value))
    })
}

/// A value of the wrong type for a parameter, which travels as text: text that reads as none of
/// the accepted kinds. A string parameter has none (every text is a string).
pub(super) fn wrong_type_as_text(contract: &Contract, schema: &Schema) -> Option<Value> {
    let accepts_text = |value: &Value| {
        schema
            .kinds
            .iter()
            .any(|k| kind_matches(&contract.types, *k, value))
    };
    let text = Value::from("not-a-value");
    (!accepts_text(&text)).then_some(text)
}

/// A date-time split into the parts the variants recombine.
pub(super) struct DateTimeParts {
    date: String,
    time: String,
    offset: String,
}

impl DateTimeParts {
    /// Splits a valid date-time (or the sample one when `text` is not valid).
    pub(super) fn of(text: &str) -> Self {
        let text = if datetime::check(text).is_ok() {
            text
        } else {
            SAMPLE_DATE_TIME
        };
        let offset = if text.ends_with('Z') {
            "Z".to_string()
        } else {
            text[text.len() - 6..].to_string()
        };
        DateTimeParts {
            date: text[..10].to_string(),
            time: text[11..19].to_string(),
            offset,
        }
    }

    /// Malformed variants, each with its case-name part.
    pub(super) fn malformed(&self) -> Vec<(&'static str, String)> {
        let DateTimeParts { date, time, offset } = self;
        let (year, day) = (&date[..4], &date[8..10]);
        vec![
            ("date-only", date.clone()),
            ("no-offset", format!("{date}T{time}")),
            ("month-13", format!("{year}-13-{day}T{time}{offset}")),
            ("day-30-february", format!("{year}-02-30T{time}{offset}")),
            ("space-separator", format!("{date} {time}{offset}")),
        ]
    }

    /// Valid variants at the edges of the format, each with its case-name part.
    pub(super) fn edges(&self) -> Vec<(&'static str, String)> {
        let DateTimeParts { date, time, offset } = self;
        vec![
            ("fractional-seconds", format!("{date}T{time}.123{offset}")),
            ("utc-z", format!("{date}T{time}Z")),
            ("negative-offset", format!("{date}T{time}-05:00")),
        ]
    }
}

/// `n + delta` for integers, or as a float otherwise; `None` on overflow.
pub(super) fn shifted(n: &Number, delta: i64) -> Option<Number> {
    if let Some(i) = n.as_i64() {
        return i.checked_add(delta).map(Number::from);
    }
    if let Some(u) = n.as_u64() {
        return u.checked_add_signed(delta).map(Number::from);
    }
    Number::from_f64(n.as_f64()? + delta as f64)
}

/// A non-integer near `n`, for integer fields: `100` → `100.5`.
pub(super) fn fractional(n: Option<&Value>) -> Value {
    let whole = n.and_then(Value::as_f64).unwrap_or(1.0).trunc();
    Number::from_f64(whole + 0.5).map_or(Value::Null, Value::Number)
}

/// Whether only integers are accepted (so a fraction is a type error, not a range error).
pub(super) fn integer_only(kinds: &[(Kind, &Schema)]) -> bool {
    kinds.iter().any(|(k, _)| *k == Kind::Integer) && !kinds.iter().any(|(k, _)| *k == Kind::Number)
}

/// A readable name for a forbidden character: `@` → `at`.
pub(super) fn char_name(c: char) -> String {
    match c {
        '@' => "at".into(),
        '#' => "hash".into(),
        '?' => "question-mark".into(),
        '/' => "slash".into(),
        '\\' => "backslash".into(),
        '&' => "ampersand".into(),
        '%' => "percent".into(),
        ' ' => "space".into(),
        '<' => "less-than".into(),
        '>' => "greater-than".into(),
        '"' => "quote".into(),
        '\'' => "apostrophe".into(),
        c if c.is_ascii_alphanumeric() => c.to_string(),
        c => format!("u{:04x}", c as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_time_variants_keep_the_base_date_and_offset() {
        let parts = DateTimeParts::of("2022-02-17T00:00:00.00+08:00");
        let malformed = parts.malformed();
        assert_eq!(malformed[0], ("date-only", "2022-02-17".to_string()));
        assert_eq!(
            malformed[2],
            ("month-13", "2022-13-17T00:00:00+08:00".to_string())
        );
        for (_, value) in &malformed {
            assert!(datetime::check(value).is_err(), "{value}");
        }
        for (_, value) in parts.edges() {
            assert_eq!(datetime::check(&value), Ok(()), "{value}");
        }
    }

    #[test]
    fn numbers_shift_without_overflowing() {
        assert_eq!(
            shifted(&Number::from(2147483647), 1),
            Some(Number::from(2147483648u64))
        );
        assert_eq!(shifted(&Number::from(0), -1), Some(Number::from(-1)));
        assert_eq!(shifted(&Number::from(u64::MAX), 1), None);
        assert_eq!(fractional(Some(&Value::from(100))), Value::from(100.5));
    }

    #[test]
    fn names_are_safe_for_globs_and_files() {
        assert_eq!(crate::plan::slug("ALIPAY_CN"), "ALIPAY_CN");
        assert_eq!(crate::plan::slug("a b/c"), "a_b_c");
        assert_eq!(char_name('@'), "at");
        assert_eq!(char_name('€'), "u20ac");
    }
}
