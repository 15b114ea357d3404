//! Cases from the contract's named examples: each request (parameters and body) sent with a
//! fresh key, its expected status checked.

use super::{Action, Case, CaseKind, Document, Exchange, KeySpec};
use crate::contract::Contract;

/// One case per example, named `<contract>/example/<name>`.
pub(super) fn cases(index: usize, contract: &Contract) -> Vec<Case> {
    contract
        .examples
        .iter()
        .map(|example| Case {
            name: format!("{}/example/{}", contract.name, example.name),
            contract: index,
            kind: CaseKind::Example,
            action: Action::Exchange(Exchange {
                request: Document::Whole(example.document.clone()),
                key: KeySpec::Fresh,
                expect: example.expect.clone(),
                probe: None,
            }),
        })
        .collect()
}
