//! The requests conform sends for a plan, written out for the bare client: per exchange the
//! request and its replays, per conflict scenario the original, the changed request and the
//! original again, per concurrency scenario the copies sent at once. Fresh keys every time, as
//! conform draws a fresh nonce every run.

use std::io::Write;
use std::path::Path;

use conform::contract::{Contract, StatusRole};
use conform::plan::{self, Action, KeyMint, KeySpec, keyed, to_bytes};

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
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("utf-8 body");
    let replays = contract
        .idempotency
        .as_ref()
        .map_or(0, |i| i.replays as usize);
    let (bodies, parallel) = match action {
        Action::Exchange(exchange) => {
            let body = text(
                exchange
                    .body
                    .clone()
                    .materialize(&exchange.key, contract, mint)
                    .bytes,
            );
            let success =
                contract.result.role(&exchange.expect.status) == Some(StatusRole::Success);
            let times = 1 + if success { replays } else { 0 };
            (vec![body; times], false)
        }
        Action::Conflict(conflict) => {
            let pointer = &contract.idempotency.as_ref().expect("key").key;
            let key = mint.key_for(contract);
            let original = text(to_bytes(&keyed(&conflict.original, pointer, &key)));
            let changed = text(to_bytes(&keyed(&conflict.changed, pointer, &key)));
            (vec![original.clone(), changed, original], false)
        }
        Action::Concurrent(concurrent) => {
            let body = plan::Body::Json(concurrent.body.clone());
            let copies = contract
                .idempotency
                .as_ref()
                .map_or(2, |i| i.concurrency as usize);
            (
                vec![text(body.materialize(&KeySpec::Fresh, contract, mint).bytes); copies],
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
