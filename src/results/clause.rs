//! Clauses: the place in the contract file each check result tests, as a JSON pointer into the
//! file and its line, so a reader of a report can go from a verdict to the rule behind it.
//!
//! A generated case tests one rule of one field (`issueCard/negative/appId/too-long` tests
//! `/request/fields/appId/maxLength`, followed through named types: a rule of a `CardField`
//! is under `/types/CardField/fields/...`); an example's expectation is the example's `expect`;
//! idempotency checks test the `idempotency` block; the per-answer checks test the result and
//! response definitions. A pointer that names a key the file does not hold is cut back to the
//! nearest one it does, so every clause is a real place in the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Check, Outcome};
use crate::contract::source::SourceText;
use crate::json::pointer::escape;
use crate::plan::CaseKind;

/// A place in a contract file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Clause {
    /// JSON pointer into the contract file (`/request/fields/appId/maxLength`).
    pub pointer: String,
    /// 1-based line of the pointed key (or value) in the file.
    pub line: usize,
}

impl Clause {
    /// `file:line /pointer`, as reports show it (`(the whole contract)` for the empty pointer).
    pub(crate) fn shown(&self, file: &str) -> String {
        let pointer = if self.pointer.is_empty() {
            "(the whole contract)"
        } else {
            &self.pointer
        };
        format!("{file}:{} {pointer}", self.line)
    }
}

/// Contract files read back for their clauses, a few at a time: cases come contract by
/// contract, so a handful kept is enough and a run of thousands of contracts holds few.
///
/// Locating a clause reads the contract file and follows the case's field through it, which
/// costs a fifth of a run's CPU time; the book locates clauses only for the checks some
/// reporter of the run shows them for (none for the console alone).
#[derive(Debug)]
pub(crate) struct ClauseBook {
    recent: Mutex<Vec<(PathBuf, Option<File>)>>,
    shown: ClausesShown,
}

/// Which checks' clauses a reporter shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ClausesShown {
    /// None (the console).
    None,
    /// Those of checks that did not pass (the JUnit failure text, the Markdown failure list).
    NotPassed,
    /// Every check's (the JSON and HTML reports).
    All,
}

impl Default for ClauseBook {
    fn default() -> Self {
        ClauseBook::new(ClausesShown::All)
    }
}

#[derive(Debug)]
struct File {
    json: Value,
    source: SourceText,
    /// Clauses located so far: most checks of a contract test the same clause in every case.
    found: HashMap<(Check, CaseKind, String), Clause>,
}

const KEPT: usize = 4;

impl ClauseBook {
    /// A book that locates the clauses of the checks `shown` names.
    pub(crate) fn new(shown: ClausesShown) -> Self {
        ClauseBook {
            recent: Mutex::default(),
            shown,
        }
    }

    /// Whether a check with `outcome` has its clause located.
    pub(crate) fn locates(&self, outcome: Outcome) -> bool {
        match self.shown {
            ClausesShown::None => false,
            ClausesShown::NotPassed => outcome != Outcome::Pass,
            ClausesShown::All => true,
        }
    }

    /// The clause `check` tests in a case named `case`, of kind `kind`, of the contract in
    /// `path`; `None` when the book shows none or the file can no longer be read as JSON.
    pub(crate) fn clause(
        &self,
        path: &Path,
        kind: CaseKind,
        case: &str,
        check: Check,
    ) -> Option<Clause> {
        if self.shown == ClausesShown::None {
            return None;
        }
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        // Compared as bytes: `Path`'s own equality parses both into components every time.
        let at = match recent
            .iter()
            .position(|(p, _)| p.as_os_str() == path.as_os_str())
        {
            Some(at) => at,
            None => {
                if recent.len() == KEPT {
                    recent.remove(0);
                }
                recent.push((path.to_path_buf(), read(path)));
                recent.len() - 1
            }
        };
        let file = recent[at].1.as_mut()?;
        // Only a generated case's or an example's expectation, and a scenario's every check,
        // depends on the case itself.
        let own = kind == CaseKind::Scenario
            || check == Check::Expectation
                && matches!(
                    kind,
                    CaseKind::Example | CaseKind::Negative | CaseKind::Boundary
                );
        let key = (
            check,
            kind,
            if own { case.to_string() } else { String::new() },
        );
        if let Some(found) = file.found.get(&key) {
            return Some(found.clone());
        }
        let wanted = pointer(&file.json, kind, case, check);
        let pointer = existing(&file.json, &wanted);
        let clause = Clause {
            line: line(&file.source, &pointer),
            pointer,
        };
        file.found.insert(key, clause.clone());
        Some(clause)
    }
}

fn read(path: &Path) -> Option<File> {
    let text = std::fs::read_to_string(path).ok()?;
    let json = serde_json::from_str(&text).ok()?;
    Some(File {
        json,
        source: SourceText::new(path, text),
        found: HashMap::new(),
    })
}

fn line(source: &SourceText, pointer: &str) -> usize {
    let span = source
        .key_span(pointer)
        .unwrap_or_else(|| source.value_span(pointer));
    source.line_col(span.start).0
}

/// The longest prefix of `pointer` that `json` holds.
fn existing(json: &Value, pointer: &str) -> String {
    let mut at = pointer.to_string();
    while !at.is_empty() && json.pointer(&at).is_none() {
        at.truncate(at.rfind('/').unwrap_or(0));
    }
    at
}

/// The clause's pointer, before it is cut back to what the file holds.
fn pointer(json: &Value, kind: CaseKind, case: &str, check: Check) -> String {
    if kind == CaseKind::Scenario {
        return scenario(json, case);
    }
    let parts: Vec<&str> = case.splitn(4, '/').collect();
    let body_result = json.pointer("/result/in").and_then(Value::as_str) != Some("http-status");
    match check {
        Check::Expectation => match (kind, parts.as_slice()) {
            (CaseKind::Example, [_, _, name, ..]) => example(json, name),
            (CaseKind::Negative | CaseKind::Boundary, [_, _, field, rule]) => {
                field_rule(json, field, rule)
            }
            (CaseKind::Idempotency, _) => "/idempotency".into(),
            (CaseKind::Security, _) if case.contains("credential") => "/credentials".into(),
            (CaseKind::Security, _) => "/signing".into(),
            (CaseKind::Flow, _) => "/resource".into(),
            _ => "/result".into(),
        },
        Check::Setup | Check::Flow => "/resource".into(),
        Check::Scenario => "/scenarios".into(),
        Check::Transport => "/operation".into(),
        Check::HttpStatus if body_result => "/result/httpStatus".into(),
        Check::HttpStatus | Check::ResponseHeaders => "/responses".into(),
        Check::ContentType if body_result => "/response/contentType".into(),
        Check::ResponseSchema if body_result => "/response/fields".into(),
        Check::ContentType | Check::ResponseSchema => "/responses".into(),
        Check::ResultStatus => "/result/codes".into(),
        Check::IdempotencySettle => "/idempotency/settle".into(),
        Check::IdempotencyReplay => "/idempotency/replays".into(),
        Check::IdempotencyConflict => "/idempotency/conflict".into(),
        Check::IdempotencyConcurrency => "/idempotency/concurrency".into(),
        Check::Snapshot => "/snapshot".into(),
        Check::Signature | Check::ClientSignature => "/signing".into(),
        Check::Security if case.contains("credential") => "/credentials".into(),
        Check::Security => "/signing".into(),
        Check::ClientRequest => "/request".into(),
        Check::ClientIdempotencyKey => "/idempotency/key".into(),
        Check::LateReplay => "/idempotency".into(),
        // The places the contract declares unique; a resource's id by default.
        Check::Unique if json.get("unique").is_some() => "/unique".into(),
        Check::Unique if json.get("resource").is_some() => "/resource".into(),
        Check::Unique if body_result => "/response/fields".into(),
        Check::Unique => "/responses".into(),
    }
}

/// A scenario case's clause is its scenario in the scenario file (`/scenarios/1`), whatever
/// the check: every check of the case tests what the scenario states.
fn scenario(json: &Value, case: &str) -> String {
    let name = case.rsplit('/').next().unwrap_or_default();
    let scenarios = json.get("scenarios").and_then(Value::as_array);
    match scenarios.and_then(|all| all.iter().position(|s| s["name"] == *name)) {
        Some(i) => format!("/scenarios/{i}"),
        None => "/scenarios".into(),
    }
}

fn example(json: &Value, name: &str) -> String {
    let examples = json.get("examples").and_then(Value::as_array);
    let index = examples.and_then(|all| all.iter().position(|e| e["name"] == *name));
    match index {
        Some(i) => format!("/examples/{i}/expect"),
        None => "/examples".into(),
    }
}

/// The rule a generated case probes: the field followed from the request through nested
/// fields, array items and named types, then the key of the rule.
fn field_rule(json: &Value, field: &str, rule: &str) -> String {
    let mut segments = field.split('.');
    let first = segments.next().unwrap_or_default();
    let mut at = match first {
        "path" | "query" | "headers" => match segments.next() {
            Some(name) => format!("/request/{first}/{}", escape(name)),
            None => return "/request".into(),
        },
        "body" => return "/request/fields".into(),
        name => format!("/request/fields/{}", escape(name)),
    };
    for segment in segments {
        match child(json, &at, segment) {
            Some(next) => at = next,
            None => return at,
        }
    }
    match rule_key(rule) {
        Some(key) if json.pointer(&format!("{at}/{key}")).is_some() => format!("{at}/{key}"),
        Some(key) => declared_in_type(json, &at, key).unwrap_or(at),
        None => at,
    }
}

/// The member `name` of the field at `at`: among its own `fields`, its `items`' fields, or
/// the fields of a named type it (or its items) has.
fn child(json: &Value, at: &str, name: &str) -> Option<String> {
    let name = escape(name);
    for holder in [at.to_string(), format!("{at}/items")] {
        let own = format!("{holder}/fields/{name}");
        if json.pointer(&own).is_some() {
            return Some(own);
        }
        for ty in types(json, &holder) {
            let typed = format!("/types/{}/fields/{name}", escape(&ty));
            if json.pointer(&typed).is_some() {
                return Some(typed);
            }
            let items = format!("/types/{}/items/fields/{name}", escape(&ty));
            if json.pointer(&items).is_some() {
                return Some(items);
            }
        }
    }
    None
}

/// A rule written on the named type a field has rather than on the field.
fn declared_in_type(json: &Value, at: &str, key: &str) -> Option<String> {
    types(json, at)
        .into_iter()
        .map(|ty| format!("/types/{}/{key}", escape(&ty)))
        .find(|p| json.pointer(p).is_some())
}

/// The named types of the field at `at` (`type` as a name, or names in a list).
fn types(json: &Value, at: &str) -> Vec<String> {
    let named = |v: &Value| {
        v.as_str()
            .filter(|t| json.pointer(&format!("/types/{}", escape(t))).is_some())
            .map(str::to_string)
    };
    match json.pointer(&format!("{at}/type")) {
        Some(Value::Array(all)) => all.iter().filter_map(named).collect(),
        Some(one) => named(one).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The contract key a generated rule probes, from the rule's name.
fn rule_key(rule: &str) -> Option<&'static str> {
    let table: [(&[&str], &str); 14] = [
        (&["missing-when", "branch-"], "requiredWhen"),
        (&["present-when"], "forbiddenWhen"),
        (&["missing", "omitted"], "required"),
        (&["too-long", "max-length"], "maxLength"),
        (&["too-short", "min-length", "empty"], "minLength"),
        (&["wrong-type", "null"], "type"),
        (&["forbidden-char"], "forbiddenChars"),
        (&["enum"], "enum"),
        (&["pattern"], "pattern"),
        (&["above", "maximum", "too-large"], "maximum"),
        (&["below", "minimum", "too-small"], "minimum"),
        (&["too-many", "max-items"], "maxItems"),
        (&["too-few", "min-items"], "minItems"),
        (&["unknown"], "unknownFields"),
    ];
    let found = table.iter().find(|(names, _)| {
        names
            .iter()
            .any(|n| rule.starts_with(n) || rule.contains(n))
    });
    match found {
        Some((_, key)) => Some(key),
        // The date-time cases (`date-only`, `month-13`, `utc-z`, ...) probe the format.
        None => Some("format"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE_CARD: &str = "contracts/platform/issue-card.json";

    fn clause(kind: CaseKind, case: &str, check: Check) -> (String, String) {
        let book = ClauseBook::default();
        let clause = book
            .clause(Path::new(ISSUE_CARD), kind, case, check)
            .unwrap();
        let text = std::fs::read_to_string(ISSUE_CARD).unwrap();
        let line = text.lines().nth(clause.line - 1).unwrap().to_string();
        (clause.pointer, line)
    }

    #[test]
    fn a_book_locates_only_the_clauses_its_reporters_show() {
        let off = ClauseBook::new(ClausesShown::None);
        let kind = CaseKind::Negative;
        let case = "issueCard/negative/appId/too-long";
        let path = Path::new(ISSUE_CARD);
        assert_eq!(off.clause(path, kind, case, Check::Expectation), None);
        assert!(!off.locates(Outcome::Fail));
        let failures = ClauseBook::new(ClausesShown::NotPassed);
        assert!(failures.locates(Outcome::Fail) && !failures.locates(Outcome::Pass));
        let all = ClauseBook::new(ClausesShown::All);
        assert!(all.locates(Outcome::Pass));
        assert!(all.clause(path, kind, case, Check::Expectation).is_some());
    }

    #[test]
    fn a_generated_case_names_its_fields_rule_on_its_line() {
        let (pointer, line) = clause(
            CaseKind::Negative,
            "issueCard/negative/appId/too-long",
            Check::Expectation,
        );
        assert_eq!(pointer, "/request/fields/appId/maxLength");
        assert!(line.contains("\"maxLength\": 32"), "{line}");
        let (pointer, line) = clause(
            CaseKind::Negative,
            "issueCard/negative/cardFields.fieldValue.value/wrong-type",
            Check::Expectation,
        );
        assert_eq!(pointer, "/types/Amount/fields/value/type");
        assert!(
            line.contains("\"value\": { \"type\": \"integer\""),
            "{line}"
        );
    }

    #[test]
    fn examples_and_idempotency_checks_name_their_blocks() {
        let (pointer, line) = clause(
            CaseKind::Example,
            "issueCard/example/seed-sample",
            Check::Expectation,
        );
        assert_eq!(pointer, "/examples/0/expect");
        assert!(line.contains("\"expect\": { \"status\": \"S\" }"), "{line}");
        let (pointer, line) = clause(
            CaseKind::Idempotency,
            "issueCard/idempotency/conflict",
            Check::IdempotencyConflict,
        );
        assert_eq!(pointer, "/idempotency/conflict");
        assert!(line.contains("\"conflict\""), "{line}");
        let (pointer, _) = clause(
            CaseKind::Example,
            "issueCard/example/seed-sample",
            Check::IdempotencyReplay,
        );
        assert_eq!(pointer, "/idempotency/replays");
        let (pointer, line) = clause(CaseKind::Run, "issueCard/run/unique", Check::Unique);
        assert_eq!(pointer, "/unique");
        assert!(line.contains("\"unique\""), "{line}");
    }

    #[test]
    fn a_key_the_file_lacks_is_cut_back_to_what_it_holds() {
        let (pointer, _) = clause(
            CaseKind::Example,
            "issueCard/example/seed-sample",
            Check::ResponseHeaders,
        );
        assert_eq!(pointer, "");
        let (pointer, _) = clause(
            CaseKind::Negative,
            "issueCard/negative/registerDate/month-13",
            Check::Expectation,
        );
        assert_eq!(pointer, "/request/fields/registerDate/format");
    }
}
