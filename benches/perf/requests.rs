//! The requests conform sends for a plan, written out for the bare client: per exchange the
//! request and its replays, per conflict scenario the original, the changed request and the
//! original again, per concurrency scenario the copies sent at once. Fresh keys every time, as
//! conform draws a fresh nonce every run.

use std::io::Write;
use std::path::Path;

use conform::contract::{Contract, StatusRole};
use conform::plan::{self, Action, Document, KeyMint, KeySpec, keyed};

use super::bare::Group;

/// Writes the request groups of every case of `contracts` to `file`; returns how many requests.
pub fn write(contracts: &[Contract], file: &Path) -> usize {
    let mint = KeyMint::new();
    let mut out = std::io::BufWriter::new(std::fs::File::create(file).expect("request file"));
    let mut total = 0;
    for case in plan::stream(contracts) {
        let contract = &contracts[case.contract];
        let group = group(contract, &case.action, &mint);
        total += group.bodies.len();
        serde_json::to_writer(&mut out, &group).expect("write");
        out.write_all(b"\n").expect("write");
    }
    total
}

fn group(contract: &Contract, action: &Action, mint: &KeyMint) -> Group {
    let text =
        |bytes: Option<Vec<u8>>| String::from_utf8(bytes.unwrap_or_default()).expect("utf-8 body");
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
            let rules = contract.idempotency.as_ref().expect("key");
            let pointer = rules.key_in.document_pointer();
            let key = mint.key_for(contract);
            let original = text(whole(keyed(&conflict.original, &pointer, &key)));
            let changed = text(whole(keyed(&conflict.changed, &pointer, &key)));
            (vec![original.clone(), changed, original], false)
        }
        // A flow's later steps depend on earlier answers (a created id), which a bare client
        // replaying written requests cannot follow; the measured suite has none.
        Action::Flow(_) => (Vec::new(), false),
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
