//! What the traffic exercised of each contract, and what it never did: result statuses, catalogue
//! codes, request fields and parameters, response fields. Everything a contract declares is
//! listed up front (a count of 0 is what generated cases, or more traffic, should add); what the
//! traffic showed that the contract does not declare (an HTTP status, a code outside the
//! catalogue) is listed after it, up to a bound.
//!
//! Fields are named as people read them: body fields bare (`appId`), nested ones with dots and
//! array items with `[]` (`cardFields[].fieldCode`), parameters with their location
//! (`query.limit`, `headers.Idempotency-Key`). An exchange counts once per field, however many
//! array items carry it.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::Value;

use crate::contract::schema::{Kind, Schema, Types};
use crate::contract::{Contract, Location, ResultCarrier};
use crate::observe::Response;
use crate::results::{Exercised, OperationCoverage};

/// Fields listed per contract and side at most (a contract of thousands of fields is covered in
/// its first ones).
const MAX_FIELDS: usize = 1000;
/// Named types followed into at most this depth (recursive types stop there).
const MAX_DEPTH: usize = 12;
/// Values of one document looked at at most.
const MAX_NODES: usize = 20_000;
/// Undeclared statuses or codes listed per contract at most; more are not listed.
const MAX_UNDECLARED: usize = 50;

/// Coverage of every contract of a traffic run.
#[derive(Debug)]
pub(super) struct Coverage {
    operations: Vec<Operation>,
}

#[derive(Debug)]
struct Operation {
    contract: String,
    exchanges: usize,
    statuses: Tally,
    codes: Tally,
    request_fields: Fields,
    response_fields: Fields,
}

/// Declared names with counts, then undeclared ones.
#[derive(Debug, Default)]
struct Tally {
    entries: IndexMap<String, (usize, bool)>,
    undeclared: usize,
}

/// Declared field names with the number of exchanges that carried them.
#[derive(Debug, Default)]
struct Fields {
    index: HashMap<String, usize>,
    counts: Vec<(String, usize, u64)>,
}

impl Coverage {
    /// Nothing exercised yet of `contracts`.
    pub(super) fn new(contracts: &[Contract]) -> Self {
        Coverage {
            operations: contracts.iter().map(Operation::new).collect(),
        }
    }

    /// Counts exchange `number` of contract `index`: its request document (when it could be
    /// read) and its answer (when one came).
    pub(super) fn add(
        &mut self,
        contract: &Contract,
        index: usize,
        number: u64,
        request: Option<&Value>,
        answer: Option<&Response>,
    ) {
        let operation = &mut self.operations[index];
        operation.exchanges += 1;
        if let Some(Value::Object(containers)) = request {
            for (name, value) in containers {
                let prefix = if name == Location::Body.name() {
                    ""
                } else {
                    name
                };
                operation.request_fields.walk(value, prefix, number);
            }
        }
        let Some(answer) = answer else {
            return;
        };
        let (status, code) = answered(contract, answer);
        operation.statuses.hit(&status);
        if let Some(code) = code {
            operation.codes.hit(&code);
        }
        if let Ok(body) = answer.json() {
            operation.response_fields.walk(body, "", number);
        }
    }

    /// The coverage of every contract, in the order given.
    pub(super) fn report(&self) -> Vec<OperationCoverage> {
        self.operations.iter().map(Operation::report).collect()
    }
}

impl Operation {
    fn new(contract: &Contract) -> Self {
        let mut statuses = Tally::default();
        let mut codes = Tally::default();
        match contract.result.carrier {
            ResultCarrier::Body => {
                for (status, _) in &contract.result.statuses {
                    statuses.declare(status);
                }
            }
            ResultCarrier::HttpStatus => {
                for response in &contract.responses {
                    statuses.declare(&response.status.to_string());
                }
            }
        }
        for entry in &contract.result.codes {
            codes.declare(&code_label(&entry.code, &entry.status));
        }
        let mut request_fields = Fields::default();
        for container in &contract.document.objects.fields {
            let prefix = if container.name == Location::Body.name() {
                ""
            } else {
                &container.name
            };
            request_fields.declare(&contract.types, &container.schema, prefix);
        }
        let mut response_fields = Fields::default();
        let bodies = match contract.result.carrier {
            ResultCarrier::Body => vec![&contract.response],
            ResultCarrier::HttpStatus => contract
                .responses
                .iter()
                .filter_map(|r| r.body.as_ref())
                .collect(),
        };
        for body in bodies {
            response_fields.declare(&contract.types, body, "");
        }
        Operation {
            contract: contract.name.clone(),
            exchanges: 0,
            statuses,
            codes,
            request_fields,
            response_fields,
        }
    }

    fn report(&self) -> OperationCoverage {
        OperationCoverage {
            contract: self.contract.clone(),
            exchanges: self.exchanges,
            statuses: self.statuses.report(),
            codes: self.codes.report(),
            request_fields: self.request_fields.report(),
            response_fields: self.response_fields.report(),
        }
    }
}

/// The status an answer counts under (the declared status or class covering it, or `HTTP 503`
/// for one the contract does not declare) and its catalogue code as `CODE (status)`.
fn answered(contract: &Contract, answer: &Response) -> (String, Option<String>) {
    let rules = &contract.result;
    let business = answer.business(contract);
    let status = match rules.carrier {
        ResultCarrier::Body => business.and_then(|b| b.status.clone()),
        ResultCarrier::HttpStatus => contract
            .response_for(answer.status)
            .map(|r| r.status.to_string()),
    };
    let status = status.unwrap_or_else(|| format!("HTTP {}", answer.status));
    let code = business.and_then(|b| {
        let code = b.code.as_deref()?;
        let shown_status = b.status.as_deref().unwrap_or_default();
        Some(match rules.entry(shown_status, code) {
            Some(entry) => code_label(&entry.code, &entry.status),
            None => code_label(code, shown_status),
        })
    });
    (status, code)
}

fn code_label(code: &str, status: &str) -> String {
    format!("{code} ({status})")
}

impl Tally {
    fn declare(&mut self, name: &str) {
        self.entries.entry(name.to_string()).or_insert((0, true));
    }

    fn hit(&mut self, name: &str) {
        if let Some((count, _)) = self.entries.get_mut(name) {
            *count += 1;
        } else if self.undeclared < MAX_UNDECLARED {
            self.undeclared += 1;
            self.entries.insert(name.to_string(), (1, false));
        }
    }

    fn report(&self) -> Vec<Exercised> {
        let (declared, undeclared): (Vec<_>, Vec<_>) = self
            .entries
            .iter()
            .map(|(name, &(count, declared))| Exercised {
                name: name.clone(),
                count,
                declared,
            })
            .partition(|e| e.declared);
        declared.into_iter().chain(undeclared).collect()
    }
}

impl Fields {
    /// Lists every field `schema` declares under `prefix`.
    fn declare(&mut self, types: &Types, schema: &Schema, prefix: &str) {
        let mut visiting = Vec::new();
        self.declare_in(types, schema, prefix, &mut visiting);
    }

    fn declare_in(
        &mut self,
        types: &Types,
        schema: &Schema,
        prefix: &str,
        visiting: &mut Vec<usize>,
    ) {
        if visiting.len() > MAX_DEPTH || self.counts.len() >= MAX_FIELDS {
            return;
        }
        for kind in &schema.kinds {
            match kind {
                Kind::Object => {
                    for field in &schema.objects.fields {
                        let name = joined(prefix, &field.name);
                        self.add(&name);
                        self.declare_in(types, &field.schema, &name, visiting);
                    }
                }
                Kind::Array => {
                    if let Some(items) = &schema.arrays.items {
                        let name = format!("{prefix}[]");
                        self.declare_in(types, items, &name, visiting);
                    }
                }
                Kind::Named(id) if !visiting.contains(&id.0) => {
                    visiting.push(id.0);
                    self.declare_in(types, &types.get(*id).schema, prefix, visiting);
                    visiting.pop();
                }
                _ => {}
            }
        }
    }

    fn add(&mut self, name: &str) {
        if self.counts.len() < MAX_FIELDS && !self.index.contains_key(name) {
            self.index.insert(name.to_string(), self.counts.len());
            self.counts.push((name.to_string(), 0, 0));
        }
    }

    /// Counts the declared fields `value` carries under `prefix`, once for exchange `number`.
    fn walk(&mut self, value: &Value, prefix: &str, number: u64) {
        let mut at = prefix.to_string();
        let mut budget = MAX_NODES;
        self.walk_in(value, &mut at, number, &mut budget);
    }

    fn walk_in(&mut self, value: &Value, at: &mut String, number: u64, budget: &mut usize) {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let len = at.len();
        match value {
            Value::Object(members) => {
                for (name, member) in members {
                    if !at.is_empty() {
                        at.push('.');
                    }
                    at.push_str(name);
                    self.hit(at, number);
                    self.walk_in(member, at, number, budget);
                    at.truncate(len);
                }
            }
            Value::Array(items) => {
                at.push_str("[]");
                for item in items {
                    self.walk_in(item, at, number, budget);
                }
                at.truncate(len);
            }
            _ => {}
        }
    }

    fn hit(&mut self, name: &str, number: u64) {
        if let Some(&i) = self.index.get(name) {
            let (_, count, last) = &mut self.counts[i];
            if *last != number {
                *count += 1;
                *last = number;
            }
        }
    }

    fn report(&self) -> Vec<Exercised> {
        self.counts
            .iter()
            .map(|(name, count, _)| Exercised {
                name: name.clone(),
                count: *count,
                declared: true,
            })
            .collect()
    }
}

fn joined(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;
    use crate::observe::testing::{json_exchange, success_body};
    use serde_json::json;

    fn counts(list: &[Exercised]) -> Vec<(&str, usize)> {
        list.iter().map(|e| (e.name.as_str(), e.count)).collect()
    }

    #[test]
    fn counts_fields_once_per_exchange_and_lists_those_never_sent() {
        let contract = issue_card();
        let mut coverage = Coverage::new(std::slice::from_ref(&contract));
        let request = json!({"body": {"appId": "a", "cardFields": [
            {"fieldCode": "x", "fieldValue": "1"}, {"fieldCode": "y", "fieldValue": "2"}]}});
        coverage.add(&contract, 0, 1, Some(&request), None);
        coverage.add(&contract, 0, 2, Some(&request), None);
        let report = &coverage.report()[0];
        assert_eq!(report.exchanges, 2);
        let fields = counts(&report.request_fields);
        assert!(fields.contains(&("appId", 2)), "{fields:?}");
        assert!(
            fields.contains(&("cardFields[].fieldCode", 2)),
            "{fields:?}"
        );
        assert!(fields.contains(&("expireDate", 0)), "{fields:?}");
    }

    #[test]
    fn undeclared_codes_are_listed_after_the_catalogue() {
        let contract = issue_card();
        let mut coverage = Coverage::new(std::slice::from_ref(&contract));
        let exchange = json_exchange(success_body("1"));
        coverage.add(&contract, 0, 1, None, exchange.response());
        let odd = json_exchange(json!({"result": {"resultStatus": "F",
            "resultCode": "NOT_IN_CATALOGUE", "resultMessage": "?"}}));
        coverage.add(&contract, 0, 2, None, odd.response());
        let report = &coverage.report()[0];
        assert!(counts(&report.statuses).contains(&("S", 1)));
        assert!(counts(&report.statuses).contains(&("U", 0)));
        let codes = &report.codes;
        assert!(
            codes
                .iter()
                .any(|c| c.name == "SUCCESS (S)" && c.count == 1 && c.declared)
        );
        let last = codes.last().unwrap();
        assert_eq!(
            (last.name.as_str(), last.declared),
            ("NOT_IN_CATALOGUE (F)", false)
        );
        assert!(counts(&report.response_fields).contains(&("cardNo", 1)));
    }
}
