//! Seeded mutations of a contract file: byte-level damage (flips, truncations, deep nesting,
//! stray bytes) and structural changes that keep the JSON readable so the later stages see
//! them (huge limits, numbers at the edges of every numeric type, wrong types at any place,
//! type cycles, duplicated keys, misspelt keys, copied subtrees).

use fastrand::Rng;
use serde_json::{Map, Value, json};

/// One mutation of `seed`, as the bytes of a file.
pub(super) fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    let rounds = match rng.u8(0..10) {
        0..=6 => 1,
        7..=8 => 2,
        _ => 3,
    };
    for _ in 0..rounds {
        bytes = match rng.u8(0..20) {
            0..=2 => bytewise(rng, bytes),
            _ => match serde_json::from_slice::<Value>(&bytes) {
                Ok(mut value) => {
                    structural(rng, &mut value);
                    textual(rng, &value)
                }
                Err(_) => bytewise(rng, bytes),
            },
        };
    }
    bytes
}

fn bytewise(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.is_empty() {
        return b"{".to_vec();
    }
    let at = rng.usize(..bytes.len());
    match rng.u8(0..7) {
        0 => bytes[at] ^= 1 << rng.u8(0..8),
        1 => bytes[at] = rng.u8(..),
        2 => bytes.truncate(at),
        3 => {
            let end = (at + rng.usize(1..64)).min(bytes.len());
            bytes.drain(at..end);
        }
        4 => {
            let stray: &[u8] = rng
                .choice([
                    &b"\xef\xbb\xbf"[..],
                    b"\xff\xfe",
                    b"\xe4\xb8",
                    b"\x1b[31m",
                    b"\0",
                    b"\r",
                    b"\\u0000",
                    b"\\ud800",
                    b"//",
                    b",",
                    b"}}",
                ])
                .unwrap_or(&b"\0"[..]);
            bytes.splice(at..at, stray.iter().copied());
        }
        5 => {
            let depth = rng.usize(100..2000);
            let open = if rng.bool() { "[" } else { "{\"a\":" };
            let close = if open == "[" { "]" } else { "}" };
            let nested = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            bytes.splice(at..at, nested.into_bytes());
        }
        _ => {
            let end = (at + rng.usize(1..200)).min(bytes.len());
            let copy = bytes[at..end].to_vec();
            bytes.splice(at..at, copy);
        }
    }
    bytes
}

/// Serializes `value`, sometimes with a duplicated key in an object.
fn textual(rng: &mut Rng, value: &Value) -> Vec<u8> {
    let text = if rng.bool() {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .unwrap_or_default();
    if rng.u8(0..6) != 0 {
        return text.into_bytes();
    }
    // A key repeated right after an object opens: `{"k": 1, ...` becomes `{"k": 2, "k": 1, ...`.
    let opens: Vec<usize> = text.match_indices("{\"").map(|(i, _)| i).collect();
    let Some(&open) = opens.get(rng.usize(..opens.len().max(1))) else {
        return text.into_bytes();
    };
    let key_end = text[open + 2..].find('"').map(|i| open + 2 + i);
    match key_end {
        Some(end) => {
            let key = &text[open + 1..=end];
            let value = if rng.bool() { "null" } else { "\"dup\"" };
            format!("{}{key}: {value}, {}", &text[..=open], &text[open + 1..]).into_bytes()
        }
        None => text.into_bytes(),
    }
}

fn structural(rng: &mut Rng, root: &mut Value) {
    // Weighted towards changes that can leave a valid contract, so planning and the reference
    // implementation get their share of strange but valid input.
    match rng.u8(0..20) {
        9..=14 => huge_limit(rng, root),
        15..=17 => type_cycle(rng, root),
        18 => long_lists(rng, root),
        19 => edge_numbers(rng, root),
        0 => {
            let value = edge_number(rng);
            replace_any(rng, root, value);
        }
        1 => {
            let value = wrong_type(rng);
            replace_any(rng, root, value);
        }
        2 => huge_limit(rng, root),
        3 => type_cycle(rng, root),
        4 => rename_key(rng, root),
        5 => remove_key(rng, root),
        6 => copy_subtree(rng, root),
        7 => long_lists(rng, root),
        _ => {
            let value = deep(rng.usize(20..300));
            replace_any(rng, root, value);
        }
    }
}

fn edge_number(rng: &mut Rng) -> Value {
    rng.choice([
        json!(2147483647u64),
        json!(4294967295u64),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(f64::MAX),
        json!(-f64::MAX),
        json!(f64::MIN_POSITIVE),
        json!(0),
        json!(-1),
        json!(0.5),
        json!(1e300),
    ])
    .unwrap_or(json!(0))
}

/// A number of the document replaced by an edge value (`minimum`, an example's amount, ...).
fn edge_numbers(rng: &mut Rng, root: &mut Value) {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    all.retain(|p| at_mut(root, p).is_some_and(|v| v.is_number()));
    if let Some(path) = all.get(rng.usize(..all.len().max(1))).cloned() {
        let value = edge_number(rng);
        if let Some(slot) = at_mut(root, &path) {
            *slot = value;
        }
    }
}

fn wrong_type(rng: &mut Rng) -> Value {
    rng.choice([
        json!(null),
        json!(true),
        json!("x"),
        json!(""),
        json!([]),
        json!({}),
        json!([1, "a", null]),
        json!({"type": "string"}),
        json!(12345),
        json!("Loop"),
    ])
    .unwrap_or(json!(null))
}

fn deep(depth: usize) -> Value {
    (0..depth).fold(json!(1), |inner, i| {
        if i % 2 == 0 {
            json!([inner])
        } else {
            json!({ "type": inner })
        }
    })
}

/// Every path to a value in the document, root included.
fn paths(value: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                at.push(key.clone());
                paths(child, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(i.to_string());
                paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(root: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter()
        .try_fold(root, |current, segment| match current {
            Value::Object(map) => map.get_mut(segment),
            Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?),
            _ => None,
        })
}

fn random_path(rng: &mut Rng, root: &Value) -> Vec<String> {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    all.swap_remove(rng.usize(..all.len()))
}

/// A random object of the document (the root when there is none).
fn random_object<'a>(rng: &mut Rng, root: &'a mut Value) -> Option<&'a mut Map<String, Value>> {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    all.retain(|p| at_mut(root, p).is_some_and(|v| v.is_object()));
    let path = all.get(rng.usize(..all.len().max(1)))?.clone();
    at_mut(root, &path)?.as_object_mut()
}

fn replace_any(rng: &mut Rng, root: &mut Value, new: Value) {
    let path = random_path(rng, root);
    if let Some(slot) = at_mut(root, &path) {
        *slot = new;
    }
}

/// A random field definition (an object with a `type`), else a random object.
fn random_field<'a>(rng: &mut Rng, root: &'a mut Value) -> Option<&'a mut Map<String, Value>> {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    let leaf = |v: &Value| {
        let ty = v.get("type").and_then(Value::as_str);
        matches!(ty, Some("string" | "array" | "integer" | "number"))
    };
    let any_type = rng.u8(0..10) == 0;
    all.retain(|p| {
        at_mut(root, p).is_some_and(|v| {
            if any_type {
                v.get("type").is_some()
            } else {
                leaf(v)
            }
        })
    });
    match all.get(rng.usize(..all.len().max(1))).cloned() {
        Some(path) => at_mut(root, &path)?.as_object_mut(),
        None => random_object(rng, root),
    }
}

/// A limit fitting the field's type (most of the time), set to a huge or edge value: mostly
/// upper limits, which leave the contract's examples valid.
fn huge_limit(rng: &mut Rng, root: &mut Value) {
    let Some(field) = random_field(rng, root) else {
        return;
    };
    let ty = field
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let upper = rng.u8(0..4) != 0;
    let key = match (ty, upper) {
        _ if rng.u8(0..10) == 0 => rng
            .choice([
                "maxLength",
                "minLength",
                "maxItems",
                "minItems",
                "minimum",
                "maximum",
            ])
            .unwrap_or("maxLength"),
        ("string", true) => "maxLength",
        ("string", false) => "minLength",
        ("array", true) => "maxItems",
        ("array", false) => "minItems",
        ("integer" | "number", true) => "maximum",
        ("integer" | "number", false) => "minimum",
        _ => "maxLength",
    };
    let value = match key {
        "minimum" | "maximum" => edge_number(rng),
        _ => rng
            .choice([
                json!(2147483647u64),
                json!(u64::MAX),
                json!(65536),
                json!(65537),
                json!(1024),
                json!(1025),
                json!(100000),
                json!(1e308),
            ])
            .unwrap_or(json!(0)),
    };
    field.insert(key.to_string(), value);
}

/// Named types that refer to each other, used by a request field.
fn type_cycle(rng: &mut Rng, root: &mut Value) {
    let Some(object) = root.as_object_mut() else {
        return;
    };
    let types = object.entry("types").or_insert_with(|| json!({}));
    let Some(types) = types.as_object_mut() else {
        return;
    };
    let required = rng.bool();
    let shapes = [
        json!({"type": "FuzzB"}),
        json!({"type": ["null", "FuzzB"]}),
        json!({"type": "object", "fields": {"next": {"type": "FuzzB", "required": required}}}),
        json!({"type": "object", "fields": {
            "value": {"type": "string", "required": true, "maxLength": 8},
            "next": {"type": ["FuzzB", "null"], "required": true},
            "kids": {"type": "array", "items": {"type": "FuzzB"}}}}),
        json!({"type": "array", "minItems": rng.u8(0..2), "items": {"type": "FuzzB"}}),
        json!({"type": "object", "fields": {"left": {"type": "FuzzB"}, "right": {"type": "FuzzB"}}}),
    ];
    let a = rng.choice(shapes.clone()).unwrap_or(json!({}));
    let b = rng
        .choice(shapes)
        .unwrap_or(json!({}))
        .to_string()
        .replace("FuzzB", "FuzzA");
    types.insert("FuzzA".into(), a);
    types.insert(
        "FuzzB".into(),
        serde_json::from_str(&b).unwrap_or(json!({})),
    );
    if let Some(fields) = root
        .pointer_mut("/request/fields")
        .and_then(Value::as_object_mut)
    {
        fields.insert(
            "fuzz".into(),
            json!({"type": "FuzzA", "required": required}),
        );
    }
}

fn rename_key(rng: &mut Rng, root: &mut Value) {
    if let Some(object) = random_object(rng, root)
        && !object.is_empty()
    {
        let index = rng.usize(..object.len());
        let key = object.keys().nth(index).cloned().unwrap_or_default();
        let mut chars: Vec<char> = key.chars().collect();
        if chars.len() >= 2 {
            let i = rng.usize(..chars.len() - 1);
            chars.swap(i, i + 1);
        } else {
            chars.push('x');
        }
        if let Some(value) = object.shift_remove(&key) {
            object.insert(chars.into_iter().collect(), value);
        }
    }
}

fn remove_key(rng: &mut Rng, root: &mut Value) {
    if let Some(object) = random_object(rng, root)
        && !object.is_empty()
    {
        let index = rng.usize(..object.len());
        let key = object.keys().nth(index).cloned().unwrap_or_default();
        object.shift_remove(&key);
    }
}

fn copy_subtree(rng: &mut Rng, root: &mut Value) {
    let from = random_path(rng, root);
    let Some(copy) = at_mut(root, &from).map(|v| v.clone()) else {
        return;
    };
    replace_any(rng, root, copy);
}

fn long_lists(rng: &mut Rng, root: &mut Value) {
    let n = rng.usize(200..3000);
    let (key, value) = match rng.u8(0..3) {
        0 => (
            "enum",
            json!((0..n).map(|i| format!("V{i}")).collect::<Vec<_>>()),
        ),
        1 => (
            "forbiddenChars",
            json!(
                (0..n)
                    .filter_map(|i| char::from_u32(0x4e00 + i as u32))
                    .collect::<String>()
            ),
        ),
        _ => ("pattern", json!(format!("^(a|b){{{n}}}$"))),
    };
    if let Some(field) = random_field(rng, root) {
        field.insert(key.to_string(), value);
    }
}
