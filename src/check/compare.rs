//! Comparing two answers the way the idempotency checks do: HTTP status plus JSON body (key
//! order and whitespace aside). Transport-volatile headers such as `Response-Time` and
//! `Signature` are never compared. A difference is named field by field for one-line messages
//! and shown as a unified diff of the canonical bodies.

use serde_json::Value;
use similar::TextDiff;

use crate::json::{abbreviate, canonical_pretty};
use crate::observe::Response;

/// Whether two answers are the same business response: same HTTP status, same JSON body
/// (or the same bytes when the body is not JSON).
pub(crate) fn same(a: &Response, b: &Response) -> bool {
    a.status == b.status
        && (a.body == b.body
            || match (a.json(), b.json()) {
                (Ok(x), Ok(y)) => x == y,
                _ => false,
            })
}

/// A unified diff of two answers' canonical bodies, labelled.
pub(crate) fn diff(a: &Response, b: &Response, left: &str, right: &str) -> String {
    let render = |r: &Response| {
        let body = match r.json() {
            Ok(value) => canonical_pretty(value),
            Err(_) => String::from_utf8_lossy(&r.body).into_owned(),
        };
        format!("HTTP {}\n{body}\n", r.status)
    };
    let (a, b) = (render(a), render(b));
    TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(left, right)
        .to_string()
}

/// The fields whose values differ, as `/cardNo "1" → "2"`, for one-line messages.
pub(crate) fn changed_fields(a: &Response, b: &Response) -> String {
    let (Ok(x), Ok(y)) = (a.json(), b.json()) else {
        return "the body".into();
    };
    let mut found = Vec::new();
    differences(x, y, &mut String::new(), &mut found);
    if found.is_empty() {
        return format!("HTTP {} → {}", a.status, b.status);
    }
    found.truncate(3);
    found.join(", ")
}

fn differences(a: &Value, b: &Value, at: &mut String, found: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys = x.keys().chain(y.keys().filter(|k| !x.contains_key(*k)));
            for key in keys {
                let len = at.len();
                at.push('/');
                at.push_str(key);
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => differences(p, q, at, found),
                    (p, q) => found.push(format!("{at} {} → {}", shown(p), shown(q))),
                }
                at.truncate(len);
            }
        }
        _ if a != b => found.push(format!(
            "{} {} → {}",
            if at.is_empty() { "(body)" } else { at },
            shown(Some(a)),
            shown(Some(b))
        )),
        _ => {}
    }
}

fn shown(value: Option<&Value>) -> String {
    value.map_or("(absent)".into(), |v| abbreviate(v, 40))
}
