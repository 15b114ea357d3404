//! The requests a plan sends, written out for another client to send (`conform cases
//! --write-requests FILE`, hidden: the performance benchmark times a bare client sending
//! exactly these): per exchange the request and its replays, per conflict scenario the
//! original, the changed request and the original again, per concurrency scenario the copies
//! sent at once. Fresh keys every time, as a run draws a fresh nonce every time.

use std::io::Write;

use serde::Serialize;

use super::{Action, Case, Document, KeyMint, KeySpec, keyed};
use crate::contract::{Contract, StatusRole};

/// One case's requests: sent one after another, or all at once.
#[derive(Debug, Serialize)]
struct Group {
    path: String,
    bodies: Vec<String>,
    parallel: bool,
}

/// Writes one JSON line per case of `cases` (`{"path", "bodies", "parallel"}`) to `out`;
/// returns how many requests.
pub(crate) fn write(
    contracts: &[Contract],
    cases: impl Iterator<Item = Case>,
    out: &mut impl Write,
) -> std::io::Result<usize> {
    let mint = KeyMint::new();
    let mut total = 0;
    for case in cases {
        let contract = &contracts[case.contract];
        let group = group(contract, &case.action, &mint);
        total += group.bodies.len();
        serde_json::to_writer(&mut *out, &group)?;
        out.write_all(b"\n")?;
    }
    Ok(total)
}

fn group(contract: &Contract, action: &Action, mint: &KeyMint) -> Group {
    // Planned bodies are JSON text; a byte that is not UTF-8 would be a planning bug, shown
    // rather than hidden.
    let text =
        |bytes: Option<Vec<u8>>| String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned();
    let whole = |document: serde_json::Value| {
        Document::Whole(document)
            .materialize(&KeySpec::Keep, contract, mint)
            .body
    };
    let replays = contract
        .idempotency
        .as_ref()
        .map_or(0, |i| i.replays as usize);
    let (bodies, parallel) = match action {
        Action::Exchange(exchange) => {
            let body = text(
                exchange
                    .request
                    .clone()
                    .materialize(&exchange.key, contract, mint)
                    .body,
            );
            let success =
                contract.result.role(&exchange.expect.status) == Some(StatusRole::Success);
            let times = 1 + if success { replays } else { 0 };
            (vec![body; times], false)
        }
        Action::Conflict(conflict) => {
            // Conflict cases are planned only for contracts with an idempotency key.
            let Some(rules) = contract.idempotency.as_ref() else {
                return Group {
                    path: contract.path.clone(),
                    bodies: Vec::new(),
                    parallel: false,
                };
            };
            let pointer = rules.key_in.document_pointer();
            let key = mint.key_for(contract);
            let original = text(whole(keyed(&conflict.original, &pointer, &key)));
            let changed = text(whole(keyed(&conflict.changed, &pointer, &key)));
            (vec![original.clone(), changed, original], false)
        }
        // A flow's or scenario's later steps depend on earlier answers (a created id, a
        // captured token), which a bare client replaying written requests cannot follow; the
        // measured suite has none.
        Action::Flow(_) | Action::Scenario(_) => (Vec::new(), false),
        // Probes are planned only for runs that sign or carry credentials; the measured suite
        // does neither.
        Action::Security(_) => (Vec::new(), false),
        // Late replays resend whichever keys succeeded first, after the rest, and wait for them
        // to age: the overhead run turns them off (`--late-replays 0`), and the unique check
        // sends nothing.
        Action::LateReplay | Action::Unique => (Vec::new(), false),
        Action::Concurrent(concurrent) => {
            let request = Document::Whole(concurrent.request.clone());
            let copies = contract
                .idempotency
                .as_ref()
                .map_or(2, |i| i.concurrency as usize);
            (
                vec![text(request.materialize(&KeySpec::Fresh, contract, mint).body); copies],
                true,
            )
        }
    };
    Group {
        path: contract.path.clone(),
        bodies,
        parallel,
    }
}
