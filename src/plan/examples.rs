//! Cases from the contract's named examples: each request sent with a fresh key, its expected
//! status checked.

use super::{Action, Body, Case, CaseKind, Exchange, KeySpec};
use crate::contract::Contract;

/// One case per example, named `<contract>/example/<name>`.
pub fn cases(index: usize, contract: &Contract) -> Vec<Case> {
    contract
        .examples
        .iter()
        .map(|example| Case {
            name: format!("{}/example/{}", contract.name, example.name),
            contract: index,
            kind: CaseKind::Example,
            action: Action::Exchange(Exchange {
                body: Body::Json(example.request.clone()),
                key: KeySpec::Fresh,
                expect: example.expect.clone(),
                probe: None,
            }),
        })
        .collect()
}
