//! Size caps of generated cases: planning costs bounded time and memory whatever the contract
//! says, and every case left out because of a cap is named in a note.
//!
//! A contract often writes "no limit" as a huge number (`maxLength: 2147483647`). Probing it
//! would mean building and sending a value of that size, which says nothing about the API a
//! smaller one would not. So a length or count limit above a cap is not probed: its edge cases
//! (`too-long`, `max-length`, `too-many-items`, ...) are left out and `conform cases` and
//! `conform lint` say so. Every other rule of the field is still probed. List rules (enum
//! values, forbidden characters) get at most [`MAX_LISTED`] cases each, and an array probe is
//! never larger than [`MAX_PROBE_BYTES`].

use serde_json::Value;

use super::Site;
use crate::contract::{Contract, Kind, Schema};

/// Length limits (`minLength`, `maxLength`) above this many characters are not probed.
pub(crate) const MAX_PROBED_LENGTH: usize = 65_536;

/// Item-count limits (`minItems`, `maxItems`) above this are not probed.
pub(crate) const MAX_PROBED_ITEMS: usize = 1_024;

/// Most cases made from one list rule: the first enum values, the first forbidden characters.
pub(crate) const MAX_LISTED: usize = 256;

/// Largest array sent by a probe, in bytes of JSON.
pub(crate) const MAX_PROBE_BYTES: usize = 1 << 20;

/// Elements of one array walked to find the fields to probe (each may hold a union branch the
/// others do not).
pub(crate) const MAX_WALKED_ELEMENTS: usize = 64;

/// Most bytes held while finding the fields to probe: request copies (to fill fields the base
/// lacks) and each field's name and pointer.
pub(crate) const MAX_COPIED_BYTES: usize = 16 << 20;

/// Whether a length limit is probed.
pub(crate) fn length_probed(limit: usize) -> bool {
    limit <= MAX_PROBED_LENGTH
}

/// Whether an item-count limit is probed.
pub(crate) fn items_probed(limit: usize) -> bool {
    limit <= MAX_PROBED_ITEMS
}

/// The elements an array probe of up to `n` items cycles through: the site's own elements, or
/// one made-up minimal element when the site's would make the probe larger than
/// [`MAX_PROBE_BYTES`]; `None` when no element fits.
pub(crate) fn array_probe(
    contract: &Contract,
    site: &Site,
    rules: &Schema,
    n: usize,
) -> Option<Vec<Value>> {
    let fits = |items: &[Value]| {
        let largest = items
            .iter()
            .map(crate::generate::approx_size)
            .max()
            .unwrap_or(0);
        largest.saturating_mul(n) <= MAX_PROBE_BYTES
    };
    match site.value() {
        Some(Value::Array(items)) if !items.is_empty() && fits(items) => Some(items.clone()),
        _ => {
            let schema = rules.arrays.items.as_deref()?;
            let item = crate::generate::value(&contract.types, schema, &Default::default())?;
            fits(std::slice::from_ref(&item)).then(|| vec![item])
        }
    }
}

/// What the caps leave out at `site`, one note per limit, e.g. ``extendInfo: `maxLength`
/// 2147483647 is above the probe limit of 65536 characters: its too-long and max-length cases
/// are left out``.
pub(crate) fn notes(contract: &Contract, site: &Site, out: &mut Vec<String>) {
    for (kind, rules) in super::flatten(contract, site.schema) {
        match kind {
            Kind::String => strings(site, rules, out),
            Kind::Array => arrays(contract, site, rules, out),
            _ => {}
        }
        if let Some(values) = rules.enum_values.as_ref().filter(|v| v.len() > MAX_LISTED) {
            out.push(format!(
                "{}: `enum` lists {} values: the first {MAX_LISTED} get an enum case",
                site.name,
                values.len()
            ));
        }
    }
}

fn strings(site: &Site, rules: &Schema, out: &mut Vec<String>) {
    let strings = &rules.strings;
    let limits = [
        ("maxLength", strings.max_length, "too-long and max-length"),
        ("minLength", strings.min_length, "too-short and min-length"),
    ];
    for (key, limit, cases) in limits {
        if let Some(limit) = limit.filter(|l| !length_probed(*l)) {
            out.push(format!(
                "{}: `{key}` {limit} is above the probe limit of {MAX_PROBED_LENGTH} characters: its {cases} cases are left out",
                site.name
            ));
        }
    }
    if strings.forbidden.len() > MAX_LISTED {
        out.push(format!(
            "{}: `forbiddenChars` lists {} characters: the first {MAX_LISTED} get a case",
            site.name,
            strings.forbidden.len()
        ));
    }
}

fn arrays(contract: &Contract, site: &Site, rules: &Schema, out: &mut Vec<String>) {
    let limits = [
        (
            "maxItems",
            rules.arrays.max_items,
            "too-many-items and max-items",
            1,
        ),
        (
            "minItems",
            rules.arrays.min_items.filter(|m| *m > 0),
            "too-few-items and min-items",
            0,
        ),
    ];
    for (key, limit, cases, past) in limits {
        let Some(limit) = limit else {
            continue;
        };
        let why = if !items_probed(limit) {
            format!("is above the probe limit of {MAX_PROBED_ITEMS} items")
        } else if array_probe(contract, site, rules, limit + past).is_none() {
            format!(
                "would make an array larger than {} MiB",
                MAX_PROBE_BYTES >> 20
            )
        } else {
            continue;
        };
        out.push(format!(
            "{}: `{key}` {limit} {why}: its {cases} cases are left out",
            site.name
        ));
    }
}
