//! The exact string to sign and its abbreviated display. Kept free of cryptography so the byte
//! layout can be tested, and shown to integrators when signatures disagree, on its own.

use std::fmt::Write as _;

/// Builds the string to sign, as bytes: `<METHOD> <path>\n<client_id>.<time>.<body>`.
///
/// Nothing is normalised: `path` is the path as sent (including any gateway prefix), `time`
/// is the `Request-Time` or `Response-Time` header value verbatim (fractional seconds and any
/// offset included), and `body` is the exact bytes on the wire (UTF-8 for non-ASCII text).
pub fn content_to_sign(
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    body: &[u8],
) -> Vec<u8> {
    let head = format!("{method} {path}\n{client_id}.{time}.");
    let mut content = Vec::with_capacity(head.len() + body.len());
    content.extend_from_slice(head.as_bytes());
    content.extend_from_slice(body);
    content
}

/// Abbreviates a string to sign for display: the body is cut to `max_body_chars` characters
/// with `…` and a note of its total length in bytes; the head (method, path, Client-Id, time)
/// is kept whole so integrators can compare it with what they signed.
///
/// The structural newline after the path stays a real newline; other control characters are
/// shown as `\u{..}` so stray `\r` or tabs become visible. Invalid UTF-8 shows as `�`.
pub(crate) fn abbreviate_content(content: &[u8], max_body_chars: usize) -> String {
    let start = body_start(content).unwrap_or(0);
    let (head, body) = content.split_at(start);
    let body_text = String::from_utf8_lossy(body);
    let mut out = match String::from_utf8_lossy(head).split_once('\n') {
        Some((first, second)) => format!("{}\n{}", escape_controls(first), escape_controls(second)),
        None => escape_controls(&String::from_utf8_lossy(head)),
    };
    let shown: String = body_text.chars().take(max_body_chars).collect();
    out.push_str(&escape_controls(&shown));
    if body_text.chars().nth(max_body_chars).is_some() {
        let _ = write!(out, "… ({} bytes of body in total)", body.len());
    }
    out
}

/// Longest plausible `Request-Time`: `2019-11-27T19:07:41.123456789+08:00` is 35 bytes.
const MAX_TIME_LEN: usize = 40;

/// Finds where the body begins. The time may itself contain a `.` (fractional seconds), so
/// the body starts after the first `.` that follows an ISO 8601 offset (`Z`, `+08:00`, ...),
/// falling back to the first `.` after the time for times without an offset.
fn body_start(content: &[u8]) -> Option<usize> {
    let newline = content.iter().position(|&b| b == b'\n')?;
    let client_dot = newline + 1 + content[newline + 1..].iter().position(|&b| b == b'.')?;
    let time_start = client_dot + 1;
    let window = &content[time_start..content.len().min(time_start + MAX_TIME_LEN + 1)];
    let mut dots = window
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'.')
        .map(|(i, _)| i);
    let first = dots.clone().next()?;
    let end = dots
        .find(|&i| ends_with_offset(&window[..i]))
        .unwrap_or(first);
    Some(time_start + end + 1)
}

/// True when `time` ends in a UTC designator or numeric offset: `Z`, `+08:00`, `+0800`, `+08`.
fn ends_with_offset(time: &[u8]) -> bool {
    let is_offset = |tail: &[u8]| match tail {
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()),
        [b'+' | b'-', rest @ ..] => {
            matches!(rest.len(), 2 | 4) && rest.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    time.ends_with(b"Z")
        || [6, 5, 3]
            .iter()
            .any(|&n| time.len() > n && is_offset(&time[time.len() - n..]))
}

fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::test_support::{fixture_bytes, vector};

    #[test]
    fn builds_the_vector_string_to_sign_byte_for_byte() {
        let v = vector();
        let content = content_to_sign(
            &v.method,
            &v.path,
            &v.client_id,
            &v.request_time,
            v.body.as_bytes(),
        );
        assert_eq!(content, fixture_bytes("content_to_sign.txt"));
        assert_eq!(content, v.content_to_sign.as_bytes());
    }

    #[test]
    fn signs_time_path_and_non_ascii_body_verbatim() {
        let body = r#"{"name":"张三"}"#;
        let content = content_to_sign(
            "POST",
            "/api/open/v2/x",
            "C",
            "2024-01-02T03:04:05.678-05:30",
            body.as_bytes(),
        );
        let expected =
            "POST /api/open/v2/x\nC.2024-01-02T03:04:05.678-05:30.{\"name\":\"\u{5f20}\u{4e09}\"}";
        assert_eq!(content, expected.as_bytes());
    }

    #[test]
    fn abbreviates_only_the_body_and_notes_its_length() {
        let content = content_to_sign(
            "POST",
            "/p",
            "ID",
            "2019-11-27T19:07:41.5+08:00",
            "{\"a\":\"张三李四\"}".as_bytes(),
        );
        let shown = abbreviate_content(&content, 8);
        assert_eq!(
            shown,
            "POST /p\nID.2019-11-27T19:07:41.5+08:00.{\"a\":\"张三… (20 bytes of body in total)"
        );
    }

    #[test]
    fn leaves_short_bodies_whole_and_shows_stray_control_characters() {
        let content = content_to_sign("GET", "/p\r", "ID", "2019-11-27T11:07:41Z", b"{}");
        assert_eq!(
            abbreviate_content(&content, 10),
            "GET /p\\u{d}\nID.2019-11-27T11:07:41Z.{}"
        );
    }

    #[test]
    fn recognises_each_offset_spelling_after_fractional_seconds() {
        for time in [
            "T01:02:03.4Z",
            "T01:02:03.4+08:00",
            "T01:02:03.4-0800",
            "T01:02:03.4+08",
        ] {
            let content = content_to_sign("GET", "/p", "ID", time, b"body");
            assert_eq!(
                abbreviate_content(&content, 2),
                format!("GET /p\nID.{time}.bo… (4 bytes of body in total)")
            );
        }
    }

    #[test]
    fn falls_back_to_the_first_dot_when_the_time_has_no_offset() {
        let content = content_to_sign("GET", "/p", "ID", "2019-11-27T11:07:41", b"abcdef");
        assert_eq!(
            abbreviate_content(&content, 2),
            "GET /p\nID.2019-11-27T11:07:41.ab… (6 bytes of body in total)"
        );
    }
}
