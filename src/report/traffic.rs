//! A traffic run (`conform proxy`, `serve --report`) in words, for every reporter alike: its
//! scope rows (how it watched, the exchanges seen, the findings split between the client's side
//! and the implementation's), and its tables (the requests that matched no contract, and per
//! contract what the traffic exercised and what it never did). Plain text here; each reporter
//! escapes and lays it out.

use super::scope::{Row, signing_words, tls_words};
use crate::results::{
    Exercised, OperationCoverage, RunInfo, SideCount, Summary, TrafficScope, TrafficSummary,
};
use crate::units::format_duration;

/// A table of plain text: a title, column names and rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    /// What the table shows.
    pub title: String,
    /// Column names.
    pub header: Vec<&'static str>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<String>>,
}

/// The scope rows of a traffic run.
pub(crate) fn scope_rows(info: &RunInfo, watched: &TrafficScope, summary: &Summary) -> Vec<Row> {
    let scope = &info.scope;
    let proxy = watched.mode == "proxy";
    let traffic = summary.traffic.as_ref();
    let ended = traffic.map_or(String::new(), |t| format!("; ended by {}", t.ended_by));
    let how = if proxy {
        format!(
            "conform proxy at {}, forwarding to the target{ended}",
            watched.listening
        )
    } else {
        format!(
            "conform serve at {}: the reference implementation answered, the client's requests are judged{ended}",
            watched.listening
        )
    };
    let mut rows = vec![("Traffic", how)];
    if let Some(client) = &watched.client {
        rows.push(("Client", client.clone()));
    }
    if !watched.until.is_empty() {
        rows.push(("Until", watched.until.join(", ")));
    }
    if let Some(traffic) = traffic {
        rows.push(("Exchanges", exchanges(traffic)));
        let mut findings = format!("client side: {}", side(traffic.client));
        if proxy {
            findings.push_str(&format!(
                "; implementation side: {}",
                side(traffic.implementation)
            ));
        }
        rows.push(("Findings", findings));
    }
    if proxy {
        let timeout = format_duration(scope.timeout);
        rows.push((
            "Requests",
            format!("time-out {timeout} per forwarded request"),
        ));
    }
    rows.push(("Signing", signing_words(scope, true)));
    if let Some(tls) = &scope.tls {
        rows.push(("TLS", tls_words(tls)));
    }
    rows
}

fn exchanges(traffic: &TrafficSummary) -> String {
    let matched = traffic.exchanges - traffic.unmatched;
    format!(
        "{} seen: {matched} for the contracts' operations, {} matching no contract (not checked)",
        traffic.exchanges, traffic.unmatched
    )
}

fn side(count: SideCount) -> String {
    if count.findings == 0 {
        return "no finding".into();
    }
    format!(
        "{} failed check{} in {} exchange{}",
        count.findings,
        plural(count.findings),
        count.exchanges,
        plural(count.exchanges)
    )
}

/// The tables of a traffic run: the requests that matched no contract (when there were any),
/// then the coverage of each contract.
pub(crate) fn tables(summary: &Summary) -> Vec<Table> {
    let Some(traffic) = &summary.traffic else {
        return Vec::new();
    };
    let mut tables = Vec::new();
    if traffic.unmatched > 0 {
        tables.push(unmatched(traffic));
    }
    tables.extend(traffic.coverage.iter().map(coverage));
    tables
}

fn unmatched(traffic: &TrafficSummary) -> Table {
    let mut rows: Vec<Vec<String>> = traffic
        .unmatched_requests
        .iter()
        .map(|u| {
            let statuses: Vec<String> = u.statuses.iter().map(u16::to_string).collect();
            vec![
                u.method.clone(),
                u.path.clone(),
                u.count.to_string(),
                statuses.join(", "),
            ]
        })
        .collect();
    let listed: usize = traffic.unmatched_requests.iter().map(|u| u.count).sum();
    if listed < traffic.unmatched {
        let more = traffic.unmatched - listed;
        rows.push(vec![
            "…".into(),
            "other paths".into(),
            more.to_string(),
            String::new(),
        ]);
    }
    Table {
        title: format!(
            "Requests matching no contract ({}, forwarded and not checked)",
            traffic.unmatched
        ),
        header: vec!["Method", "Path", "Requests", "Statuses"],
        rows,
    }
}

fn coverage(operation: &OperationCoverage) -> Table {
    let rows = operation
        .lists()
        .into_iter()
        .map(|(what, list)| vec![what.to_string(), exercised(list), never(list)])
        .collect();
    Table {
        title: format!(
            "Coverage: {} ({} exchange{})",
            operation.contract,
            operation.exchanges,
            plural(operation.exchanges)
        ),
        header: vec!["", "Exercised (exchanges)", "Never exercised"],
        rows,
    }
}

/// `S ×8, F ×2`, then what the contract does not declare: `HTTP 503 ×1 (not declared)`.
fn exercised(list: &[Exercised]) -> String {
    let shown: Vec<String> = list
        .iter()
        .filter(|e| e.count > 0)
        .map(|e| {
            let undeclared = if e.declared { "" } else { " (not declared)" };
            format!("{} ×{}{undeclared}", e.name, e.count)
        })
        .collect();
    if shown.is_empty() {
        "none".into()
    } else {
        shown.join(", ")
    }
}

fn never(list: &[Exercised]) -> String {
    let names: Vec<&str> = list
        .iter()
        .filter(|e| e.declared && e.count == 0)
        .map(|e| e.name.as_str())
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::UnmatchedRequest;

    fn seen(name: &str, count: usize, declared: bool) -> Exercised {
        Exercised {
            name: name.into(),
            count,
            declared,
        }
    }

    #[test]
    fn coverage_names_what_was_exercised_and_what_never_was() {
        let operation = OperationCoverage {
            contract: "issueCard".into(),
            exchanges: 3,
            statuses: vec![
                seen("S", 2, true),
                seen("F", 1, true),
                seen("U", 0, true),
                seen("HTTP 503", 1, false),
            ],
            ..OperationCoverage::default()
        };
        let table = coverage(&operation);
        assert_eq!(table.title, "Coverage: issueCard (3 exchanges)");
        assert_eq!(
            table.rows[0],
            ["statuses", "S ×2, F ×1, HTTP 503 ×1 (not declared)", "U"]
        );
        assert_eq!(table.rows[1], ["codes", "none", "none"]);
    }

    #[test]
    fn unmatched_requests_beyond_the_listed_ones_are_counted() {
        let traffic = TrafficSummary {
            exchanges: 9,
            unmatched: 5,
            unmatched_requests: vec![UnmatchedRequest {
                method: "GET".into(),
                path: "/health".into(),
                count: 3,
                statuses: vec![200],
            }],
            ..TrafficSummary::default()
        };
        let table = unmatched(&traffic);
        assert_eq!(table.rows[0], ["GET", "/health", "3", "200"]);
        assert_eq!(table.rows[1][2], "2");
        assert_eq!(
            exchanges(&traffic),
            "9 seen: 4 for the contracts' operations, 5 matching no contract (not checked)"
        );
    }
}
