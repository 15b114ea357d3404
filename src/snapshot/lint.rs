//! The lint of a contract's `snapshot.redact`: a place that matches no field the contract's
//! answers declare is most likely a typo (`/order/createAt`), and a typo redacts nothing, so the
//! snapshot of a value that changes on every run fails on every run.

use crate::contract::source::SourceText;
use crate::contract::{Contract, ContractWarning, Kind, Schema, Types};
use crate::json::Pointer;

/// A located warning for each `snapshot.redact` place no declared answer field matches. The file
/// is read again only when there is one to locate.
pub(crate) fn redact_warnings(contract: &Contract) -> Vec<ContractWarning> {
    let redact = &contract.snapshot.redact;
    if redact.is_empty() {
        return Vec::new();
    }
    let bodies: Vec<&Schema> = (contract.responses.iter())
        .filter_map(|spec| spec.body.as_ref())
        .collect();
    let unmatched: Vec<(usize, &Pointer)> = (redact.iter().enumerate())
        .filter(|(_, place)| {
            let segments = place.segments();
            !bodies
                .iter()
                .any(|body| reaches(&contract.types, body, segments, 0))
        })
        .collect();
    if unmatched.is_empty() {
        return Vec::new();
    }
    let path = &contract.source.path;
    let text = crate::input::read_to_string(path).unwrap_or_default();
    let source = SourceText::new(path, text);
    unmatched
        .into_iter()
        .map(|(i, place)| {
            let span = source.value_span(&format!("/snapshot/redact/{i}"));
            let message = format!(
                "snapshot.redact `{}` matches no field the answers of `{}` declare: a typo redacts nothing, and a value that changes on every run then fails its snapshot on every run (for an answer field the contract leaves undeclared, declare it: its `type` is enough)",
                place.as_str(),
                contract.name
            );
            ContractWarning::at(&source, span, message)
        })
        .collect()
}

/// Named types followed without a segment taken: a type that only names another, in a loop.
const MAX_NAMES: usize = 32;

/// Whether `segments` lead somewhere a value of `schema` may have: a declared field by name
/// (`*` for any), an array's items by index or `*`, anything under an object declaring no
/// fields or an array whose items are not described. Named types are followed, recursive ones
/// as deep as the segments go.
fn reaches(types: &Types, schema: &Schema, segments: &[String], names: usize) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        return true;
    };
    schema.kinds.iter().any(|kind| match kind {
        Kind::Object if schema.objects.fields.is_empty() => true,
        Kind::Object => (schema.objects.fields.iter())
            .filter(|field| first == "*" || field.name == *first)
            .any(|field| reaches(types, &field.schema, rest, 0)),
        Kind::Array => {
            let index = first == "*" || first.parse::<usize>().is_ok();
            index
                && (schema.arrays.items.as_deref())
                    .is_none_or(|items| reaches(types, items, rest, 0))
        }
        Kind::Named(id) if names < MAX_NAMES => {
            reaches(types, &types.get(*id).schema, segments, names + 1)
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_reach_fields_items_open_objects_and_recursive_types() {
        let contract = crate::contract::tests::issue_card();
        let body = contract.responses[0].body.as_ref().unwrap();
        let at = |text: &str| Pointer::parse(text).unwrap().segments().to_vec();
        let reaches = |text| reaches(&contract.types, body, &at(text), 0);
        assert!(reaches("/cardNo"));
        assert!(reaches("/*"));
        assert!(reaches("/result/resultCode"));
        assert!(!reaches("/cardNumber"));
        assert!(!reaches("/cardNo/deeper"));
    }
}
