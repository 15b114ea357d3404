//! Keeping credentials out of what a traffic run shows. Real traffic carries real tokens, auth
//! codes and signatures, and its log and reports are handed to other people, so a value whose
//! name says it is a credential (as for headers: names containing `token`, `auth`, `key`,
//! `secret`, `password`, `signature`; see [`is_secret_name`]) is never shown: not in a query
//! string on the console, not in a finding about a field, not in a diff of two answers.
//! Header values are never shown at all.

use serde_json::Value;

use crate::results::{CheckResult, Finding};
use crate::rules::Violation;
use crate::target::headers::is_secret_name;

/// What stands for a hidden value.
const HIDDEN: &str = "***";

/// A finding for a broken rule, its value hidden when the field carries a credential.
pub(super) fn finding(violation: &Violation) -> Finding {
    let mut finding = Finding::from(violation);
    hide_value(&mut finding);
    finding
}

/// Hides the values every finding of `row` quotes from a field that carries a credential.
pub(super) fn hide_values(row: &mut CheckResult) {
    row.findings.iter_mut().for_each(hide_value);
}

fn hide_value(finding: &mut Finding) {
    let Some(pointer) = finding.pointer.as_deref() else {
        return;
    };
    if !pointer.split('/').any(is_secret_name) || finding.actual.is_none() {
        return;
    }
    let expected = finding.expected.as_deref().unwrap_or("another value");
    finding.actual = Some(format!("a value not shown ({HIDDEN}: it is a credential)"));
    finding.message = format!(
        "{pointer}: expected {expected}, got a value not shown (the field carries a credential)"
    );
}

/// The credentials a JSON body carries: every string under a credential's name, to scrub from
/// text that quotes the body as sent (the string to sign of a signature that does not match).
pub(super) fn in_body(body: &[u8]) -> crate::target::Secrets {
    fn collect(value: &Value, found: &mut crate::target::Secrets) {
        match value {
            Value::Object(members) => members.iter().for_each(|(name, v)| match v {
                Value::String(text) if is_secret_name(name) => found.add(text),
                other => collect(other, found),
            }),
            Value::Array(items) => items.iter().for_each(|v| collect(v, found)),
            _ => {}
        }
    }
    let mut found = crate::target::Secrets::default();
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        collect(&value, &mut found);
    }
    found
}

/// `value` with every string under a credential's name replaced by `***`, for diffs.
pub(super) fn masked(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(name, v)| {
                    let v = match v {
                        Value::String(_) if is_secret_name(name) => Value::String(HIDDEN.into()),
                        other => masked(other),
                    };
                    (name.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(masked).collect()),
        other => other.clone(),
    }
}

/// A path and query as the console shows it: the value of every query parameter whose name
/// says it is a credential (`access_token=...`) replaced by `***`.
pub(super) fn shown_path(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(&decoded(name)) => format!("{name}={HIDDEN}"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

fn decoded(name: &str) -> String {
    percent_encoding::percent_decode_str(&name.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Check;
    use crate::rules::Rule;
    use serde_json::json;

    #[test]
    fn hides_credentials_in_query_strings_and_keeps_the_rest() {
        assert_eq!(
            shown_path("/v1/cards?limit=5&access_token=abc123&X-Api-Key=k"),
            "/v1/cards?limit=5&access_token=***&X-Api-Key=***"
        );
        assert_eq!(shown_path("/v1/cards"), "/v1/cards");
    }

    #[test]
    fn a_finding_about_a_token_field_never_quotes_its_value() {
        let violation = Violation {
            pointer: "/body/accessToken".into(),
            rule: Rule::MaxLength,
            expected: "at most 10 characters".into(),
            actual: "12 characters: \"tok-12345678\"".into(),
        };
        let finding = finding(&violation);
        assert!(!finding.message.contains("tok-1234"), "{}", finding.message);
        assert!(finding.message.contains("/body/accessToken"));
        let mut row = CheckResult::fail(Check::ResponseSchema, vec![Finding::from(&violation)]);
        hide_values(&mut row);
        assert!(!row.message().contains("tok-1234"));
    }

    #[test]
    fn masks_credential_strings_in_documents() {
        let value = json!({"accessToken": "t", "user": {"authCode": "c", "name": "n"}});
        assert_eq!(
            masked(&value),
            json!({"accessToken": "***", "user": {"authCode": "***", "name": "n"}})
        );
    }
}
