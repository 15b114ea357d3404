//! The requests conform sends for the shipped contracts, written out for the bare client and
//! Hurl by conform itself (`conform cases FILES --write-requests FILE`, a hidden flag): per
//! exchange the request and its replays, per conflict scenario the original, the changed
//! request and the original again, per concurrency scenario the copies sent at once. Fresh keys
//! every time, as conform draws a fresh nonce every run.

use std::path::Path;
use std::process::Command;

use conform::contract::Contract;

use super::CONFORM;
use super::bare::Group;

/// What was written: one line per case.
pub(crate) struct Written {
    /// Cases planned (lines written).
    pub cases: usize,
    /// Requests in all.
    pub requests: usize,
}

/// Writes the request groups of every case of `contracts` (their files by name, so scenario
/// files beside them are left out) to `file`.
pub(crate) fn write(contracts: &[Contract], file: &Path) -> Written {
    let files = contracts.iter().map(|c| c.file().as_os_str());
    let output = Command::new(CONFORM)
        .arg("cases")
        .args(files)
        .arg("--write-requests")
        .arg(file)
        .output()
        .expect("conform cases");
    assert!(
        output.status.success(),
        "conform cases --write-requests failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(file).expect("request file");
    let mut written = Written {
        cases: 0,
        requests: 0,
    };
    for line in text.lines() {
        let group: Group = serde_json::from_str(line).expect("one group a line");
        written.cases += 1;
        written.requests += group.bodies.len();
    }
    written
}
