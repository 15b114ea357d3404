//! The lint of a contract's `snapshot.redact`: a place that matches no field the contract's
//! answers declare is most likely a typo (`/order/createAt`), and a typo redacts nothing, so the
//! snapshot of a value that changes on every run fails on every run.

use crate::contract::source::SourceText;
use crate::contract::{Contract, ContractWarning};
use crate::json::Pointer;

/// A located warning for each `snapshot.redact` place no declared answer field matches. The file
/// is read again only when there is one to locate.
pub(crate) fn redact_warnings(contract: &Contract) -> Vec<ContractWarning> {
    let redact = &contract.snapshot.redact;
    if redact.is_empty() {
        return Vec::new();
    }
    let fields = crate::results::observed::response_fields(contract);
    let unmatched: Vec<(usize, &Pointer)> = (redact.iter().enumerate())
        .filter(|(_, pattern)| !pattern.segments().is_empty())
        .filter(|(_, pattern)| !fields.iter().any(|field| covers(pattern, field)))
        .collect();
    if unmatched.is_empty() {
        return Vec::new();
    }
    let path = &contract.source.path;
    let text = crate::input::read_to_string(path).unwrap_or_default();
    let source = SourceText::new(path, text);
    unmatched
        .into_iter()
        .map(|(i, pattern)| {
            let span = source.value_span(&format!("/snapshot/redact/{i}"));
            let message = format!(
                "snapshot.redact `{}` matches no field the answers of `{}` declare: a typo redacts nothing, and a value that changes on every run then fails its snapshot on every run",
                pattern.as_str(),
                contract.name
            );
            ContractWarning::at(&source, span, message)
        })
        .collect()
}

/// Whether a redaction place reaches a declared field path: segment by segment, `*` in the place
/// matching any, and a declared array item (`*`) matched by an index too.
fn covers(pattern: &Pointer, field: &[String]) -> bool {
    let wanted = pattern.segments();
    wanted.len() == field.len()
        && wanted.iter().zip(field).all(|(want, have)| {
            want == "*" || want == have || (have == "*" && want.parse::<usize>().is_ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(path: &[&str]) -> Vec<String> {
        path.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_place_covers_a_field_by_name_wildcard_or_index() {
        let id = field(&["order", "id"]);
        let item = field(&["items", "*", "sku"]);
        let at = |text| Pointer::parse(text).unwrap();
        assert!(covers(&at("/order/id"), &id));
        assert!(covers(&at("/*/id"), &id));
        assert!(covers(&at("/items/0/sku"), &item));
        assert!(covers(&at("/items/*/sku"), &item));
        assert!(!covers(&at("/order/createAt"), &id));
        assert!(!covers(&at("/order"), &id));
    }
}
