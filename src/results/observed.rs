//! Counting coverage: what each contract declares an answer can show, read once from the
//! compiled contracts, and a [`Tracker`] ticking off what every answer of the run showed (the
//! settle tries, replays, conflict and concurrency answers and flow steps included).

use std::sync::Mutex;

use serde_json::Value;

use super::coverage::{ContractCoverage, Items};
use crate::contract::{Contract, Kind, ResultCarrier, Schema, Types};
use crate::json::pointer::escape;
use crate::observe::{Exchange, FlowRecord, Observations, Response};

/// Response fields deeper than this are not listed (a recursive type would never end).
const MAX_DEPTH: usize = 12;
/// Response fields listed per contract at most.
const MAX_FIELDS: usize = 2000;

/// What one contract declares, as coverage counts it.
#[derive(Debug, Clone)]
struct Declared {
    name: String,
    statuses: Vec<String>,
    /// Label, status, code.
    codes: Vec<(String, String, String)>,
    /// Label, path segments (`*` for any array item), the responses (indices) declaring it.
    fields: Vec<(String, Vec<String>, Vec<usize>)>,
    /// Label of each declared response, in the contract's response order.
    http: Vec<String>,
    /// Label, response index, header name.
    headers: Vec<(String, usize, String)>,
}

/// What the answers showed of one contract's declared items, one flag per item.
#[derive(Debug, Clone, Default)]
struct Seen {
    statuses: Vec<bool>,
    codes: Vec<bool>,
    fields: Vec<bool>,
    http: Vec<bool>,
    headers: Vec<bool>,
}

/// Counts coverage over a run; shared by the run's cases.
#[derive(Debug)]
pub(crate) struct Tracker {
    declared: Vec<Declared>,
    seen: Mutex<Vec<Seen>>,
}

impl Tracker {
    /// A tracker for `contracts`, nothing seen yet.
    pub(crate) fn new(contracts: &[Contract]) -> Self {
        let declared: Vec<Declared> = contracts.iter().map(declared).collect();
        let seen = declared
            .iter()
            .map(|d| Seen {
                statuses: vec![false; d.statuses.len()],
                codes: vec![false; d.codes.len()],
                fields: vec![false; d.fields.len()],
                http: vec![false; d.http.len()],
                headers: vec![false; d.headers.len()],
            })
            .collect();
        Tracker {
            declared,
            seen: Mutex::new(seen),
        }
    }

    /// Ticks off what every answer of a case of contract `index` showed.
    pub(crate) fn case(&self, index: usize, contract: &Contract, observed: &Observations) {
        let labelled = observed.labelled();
        self.answers(index, contract, labelled.iter().map(|(_, e)| *e));
    }

    /// Ticks off what the exchanges a case labelled itself showed (a security probe's, a late
    /// replay case's): every answer counts, the refusals of a probe too.
    pub(crate) fn labelled(
        &self,
        index: usize,
        contract: &Contract,
        labelled: &[(String, &Exchange)],
    ) {
        self.answers(index, contract, labelled.iter().map(|(_, e)| *e));
    }

    fn answers<'e>(
        &self,
        index: usize,
        contract: &Contract,
        exchanges: impl Iterator<Item = &'e Exchange>,
    ) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut earlier: Vec<(u16, &[u8])> = Vec::new();
        for exchange in exchanges {
            // A replay answered byte for byte as before shows nothing new, and reading it
            // would parse a body no check needed to parse.
            if let Some(response) = exchange.response() {
                let answer = (response.status, response.body.as_slice());
                if earlier.contains(&answer) {
                    continue;
                }
                earlier.push(answer);
            }
            self.exchange(&mut seen[index], index, contract, exchange);
        }
    }

    /// Ticks off what every answer of a flow showed, each step under its own contract.
    pub(crate) fn flow(&self, contracts: &[Contract], record: &FlowRecord) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        for step in &record.steps {
            let (index, contract) = (step.contract, &contracts[step.contract]);
            for exchange in step.settled.tries() {
                self.exchange(&mut seen[index], index, contract, exchange);
            }
        }
    }

    fn exchange(&self, seen: &mut Seen, index: usize, contract: &Contract, exchange: &Exchange) {
        if let Some(response) = exchange.response() {
            observe(&self.declared[index], seen, contract, response);
        }
    }

    /// The coverage counted so far, per contract in run order.
    pub(crate) fn coverage(&self) -> Vec<ContractCoverage> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        self.declared
            .iter()
            .zip(seen.iter())
            .map(|(d, s)| ContractCoverage {
                contract: d.name.clone(),
                statuses: items(d.statuses.iter(), &s.statuses),
                codes: items(d.codes.iter().map(|c| &c.0), &s.codes),
                fields: items(d.fields.iter().map(|f| &f.0), &s.fields),
                http_statuses: items(d.http.iter(), &s.http),
                headers: items(d.headers.iter().map(|h| &h.0), &s.headers),
            })
            .collect()
    }
}

/// What `contracts` declare, nothing observed: what `--require-coverage` lists are checked
/// against before a request is sent.
pub(crate) fn declared_coverage(contracts: &[Contract]) -> Vec<ContractCoverage> {
    Tracker::new(contracts).coverage()
}

fn items<'a>(labels: impl Iterator<Item = &'a String>, seen: &[bool]) -> Items {
    let declared: Vec<String> = labels.cloned().collect();
    let missing = declared
        .iter()
        .zip(seen)
        .filter(|(_, seen)| !**seen)
        .map(|(label, _)| label.clone())
        .collect();
    Items { declared, missing }
}

fn observe(declared: &Declared, seen: &mut Seen, contract: &Contract, response: &Response) {
    let spec = contract
        .responses
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status.covers(response.status))
        .min_by_key(|(_, r)| r.status.rank());
    if let Some((i, _)) = spec {
        seen.http[i] = true;
    }
    if let Some(business) = response.business(contract)
        && let Some(status) = business.status.as_deref()
    {
        let label = match contract.result.carrier {
            ResultCarrier::Body => status.to_string(),
            _ => spec.map_or_else(|| status.to_string(), |(_, r)| r.status.to_string()),
        };
        tick(
            &mut seen.statuses,
            declared.statuses.iter().map(|s| *s == label),
        );
        if let Some(code) = business.code.as_deref()
            && let Some(entry) = contract.result.entry(status, code)
        {
            let hits = declared
                .codes
                .iter()
                .map(|(_, s, c)| *s == entry.status && c == code);
            tick(&mut seen.codes, hits);
        }
    }
    let Some((spec_index, spec)) = spec else {
        return;
    };
    for (j, (_, _, header)) in declared.headers.iter().enumerate() {
        let at = declared.headers[j].1 == spec_index;
        if at && !seen.headers[j] && response.headers.contains_key(header.as_str()) {
            seen.headers[j] = true;
        }
    }
    let unseen = declared
        .fields
        .iter()
        .zip(&seen.fields)
        .any(|((_, _, specs), seen)| !seen && specs.contains(&spec_index));
    if !unseen || spec.body.is_none() {
        return;
    }
    let Ok(body) = response.json() else {
        return;
    };
    for (j, (_, path, specs)) in declared.fields.iter().enumerate() {
        if !seen.fields[j] && specs.contains(&spec_index) && present(body, path) {
            seen.fields[j] = true;
        }
    }
}

fn tick(flags: &mut [bool], hits: impl Iterator<Item = bool>) {
    for (flag, hit) in flags.iter_mut().zip(hits) {
        *flag |= hit;
    }
}

/// Whether `value` has something at `path`, where `*` is any item of an array.
fn present(value: &Value, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    match value {
        Value::Object(map) => crate::json::member_of(map, first).is_some_and(|v| present(v, rest)),
        Value::Array(items) if first == "*" => items.iter().any(|v| present(v, rest)),
        _ => false,
    }
}

fn declared(contract: &Contract) -> Declared {
    let rules = &contract.result;
    let statuses = rules.statuses.iter().map(|(s, _)| s.clone()).collect();
    let codes = rules
        .codes
        .iter()
        .map(|entry| {
            let repeated = rules.codes.iter().filter(|e| e.code == entry.code).count() > 1;
            let label = if repeated {
                format!("{}/{}", entry.status, entry.code)
            } else {
                entry.code.clone()
            };
            (label, entry.status.clone(), entry.code.clone())
        })
        .collect();
    let http = contract
        .responses
        .iter()
        .map(|r| r.status.to_string())
        .collect();
    let mut headers = Vec::new();
    let mut fields: Vec<(String, Vec<String>, Vec<usize>)> = Vec::new();
    for (i, spec) in contract.responses.iter().enumerate() {
        for header in &spec.headers {
            headers.push((
                format!("{} {}", spec.status, header.name),
                i,
                header.name.clone(),
            ));
        }
        let mut paths = Vec::new();
        if let Some(body) = &spec.body {
            walk(
                &contract.types,
                body,
                &mut Vec::new(),
                &mut Vec::new(),
                &mut paths,
            );
        }
        for path in paths {
            match fields.iter().position(|(_, p, _)| *p == path) {
                Some(known) => fields[known].2.push(i),
                None if fields.len() < MAX_FIELDS => fields.push((label(&path), path, vec![i])),
                None => {}
            }
        }
    }
    Declared {
        name: contract.name.clone(),
        statuses,
        codes,
        fields,
        http,
        headers,
    }
}

fn label(path: &[String]) -> String {
    path.iter().map(|s| format!("/{}", escape(s))).collect()
}

/// Every field path under `schema`, parents before children; named types are followed unless
/// they are already being walked (a recursive type).
fn walk(
    types: &Types,
    schema: &Schema,
    at: &mut Vec<String>,
    open: &mut Vec<usize>,
    out: &mut Vec<Vec<String>>,
) {
    if at.len() >= MAX_DEPTH {
        return;
    }
    for kind in &schema.kinds {
        match kind {
            Kind::Object => {
                for field in &schema.objects.fields {
                    at.push(field.name.clone());
                    if !out.contains(at) {
                        out.push(at.clone());
                    }
                    walk(types, &field.schema, at, open, out);
                    at.pop();
                }
            }
            Kind::Array => {
                if let Some(items) = &schema.arrays.items {
                    at.push("*".into());
                    walk(types, items, at, open, out);
                    at.pop();
                }
            }
            Kind::Named(id) if !open.contains(&id.0) => {
                open.push(id.0);
                walk(types, &types.get(*id).schema, at, open, out);
                open.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;
    use crate::observe::Settled;
    use crate::observe::testing::{json_exchange, success_body, unknown_body};

    fn fields(coverage: &ContractCoverage) -> Vec<&str> {
        coverage
            .fields
            .declared
            .iter()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn issue_card_declares_its_fields_through_named_types() {
        let coverage = declared_coverage(&[issue_card()]).remove(0);
        assert_eq!(
            fields(&coverage),
            [
                "/result",
                "/result/resultStatus",
                "/result/resultCode",
                "/result/resultMessage",
                "/cardNo",
                "/extendInfo"
            ]
        );
        assert_eq!(coverage.statuses.declared, ["S", "F", "U"]);
        assert_eq!(coverage.http_statuses.declared, ["200"]);
        assert_eq!(coverage.statuses.missing, coverage.statuses.declared);
    }

    #[test]
    fn settle_tries_and_replays_count_as_observed() {
        let contract = issue_card();
        let tracker = Tracker::new(std::slice::from_ref(&contract));
        let mut main = Settled::new(json_exchange(unknown_body()));
        main.push(json_exchange(success_body("1")));
        let observed = Observations::Single {
            main,
            replays: Some(vec![json_exchange(success_body("1"))]),
        };
        tracker.case(0, &contract, &observed);
        let coverage = tracker.coverage().remove(0);
        assert_eq!(coverage.statuses.missing, ["F"]);
        assert!(coverage.http_statuses.missing.is_empty());
        assert!(
            coverage
                .codes
                .missing
                .contains(&"PARAM_ILLEGAL".to_string())
        );
        assert!(!coverage.codes.missing.contains(&"SUCCESS".to_string()));
        assert!(!coverage.fields.missing.contains(&"/cardNo".to_string()));
    }
}
