//! The live log of a traffic run: one line per exchange as it is judged, for the people watching
//! a test suite run through the proxy.
//!
//! ```text
//! #12 POST /v2/pds/memberships/issueCard → 200 S/SUCCESS · 3.1ms · issueCard · ok
//! #13 POST /v2/pds/memberships/issueCard → 200 S/SUCCESS · 2.4ms · issueCard · client: client-request · implementation: expectation
//! #14 GET /health → 200 · 0.4ms · no contract: forwarded, not checked
//! ```
//!
//! Nothing secret is written: no header value at all, credentials in a query string as `***`,
//! and the text is made printable so a request cannot drive the terminal.

use crate::contract::Contract;
use crate::json::printable_line;
use crate::observe::{Response, TransportError};
use crate::reference::Incoming;
use crate::results::{CaseResult, Outcome};

use super::secrets;

/// The line of an exchange judged as `case`, after its [`head`].
pub(super) fn matched(head: &str, case: &CaseResult) -> String {
    let failed = |client: bool| -> Vec<&str> {
        let mut names: Vec<&str> = case
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail && c.check.is_client_side() == client)
            .map(|c| c.check.name())
            .collect();
        names.dedup();
        names
    };
    let (client, implementation) = (failed(true), failed(false));
    let verdict = match (client.is_empty(), implementation.is_empty()) {
        (true, true) => "ok".to_string(),
        _ => {
            let mut sides = Vec::new();
            if !client.is_empty() {
                sides.push(format!("client: {}", client.join(", ")));
            }
            if !implementation.is_empty() {
                sides.push(format!("implementation: {}", implementation.join(", ")));
            }
            sides.join(" · ")
        }
    };
    printable_line(&format!("{head} · {} · {verdict}", case.contract)).into_owned()
}

/// The line of an exchange that matched no contract, after its [`head`].
pub(super) fn unmatched(head: &str) -> String {
    printable_line(&format!("{head} · no contract: not checked")).into_owned()
}

/// What starts an exchange's line: `#12 POST /path → 200 S/SUCCESS · 3.1ms`, the business
/// result read by `contract` when there is one.
pub(super) fn head(
    number: u64,
    request: &Incoming,
    answer: Result<&Response, &TransportError>,
    contract: Option<&Contract>,
) -> String {
    let path = secrets::shown_path(&request.path);
    let answered = match answer {
        Ok(response) => {
            let business = contract
                .and_then(|c| response.business(c))
                .map(|b| {
                    let status = b.status.as_deref().unwrap_or("?");
                    match &b.code {
                        Some(code) if status != response.status.to_string() => {
                            format!(" {status}/{code}")
                        }
                        Some(code) => format!(" {code}"),
                        None if status != response.status.to_string() => format!(" {status}"),
                        None => String::new(),
                    }
                })
                .unwrap_or_default();
            let ms = response.elapsed.as_secs_f64() * 1000.0;
            format!("{}{business} · {ms:.1}ms", response.status)
        }
        Err(error) => format!("no answer ({error})"),
    };
    format!("#{number} {} {path} → {answered}", request.method)
}
