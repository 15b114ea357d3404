//! From a scenario file's text to a [`ScenarioSet`]: syntax and shape as for contracts (every
//! unknown key, wrong type and missing key at once), then meaning against the contracts loaded
//! with it: the contract each step calls, its example, every pointer into a request or an
//! answer, every captured value used after it is captured, every status and code in the
//! contract's catalogue. Every problem is located in the file.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

mod places;

use super::model::{CaptureDef, ScenarioDef, ScenarioFile, StepDef, StepExpectDef};
use super::{Capture, CaptureFrom, Scenario, ScenarioSet, Step, StepExpect, template};
use crate::contract::error::{MAX_ERRORS_PER_FILE, NameHints};
use crate::contract::source::{SourceText, Span};
use crate::contract::{
    Contract, ContractError, ContractErrorKind as K, ContractWarning, Expect, closest,
};
use crate::json::pointer::escape;

/// Compiles one scenario file against the run's `contracts`, or every error found in it.
pub(crate) fn compile(
    source: &SourceText,
    contracts: &[Contract],
) -> Result<ScenarioSet, Vec<ContractError>> {
    let file = parse(source)?;
    let mut compiler = Compiler {
        source,
        contracts,
        errors: Vec::new(),
        left_out: 0,
    };
    let scenarios = compiler.file(&file);
    if compiler.errors.is_empty() {
        return Ok(ScenarioSet {
            name: file.name,
            source: crate::contract::SourceInfo {
                path: source.path.clone(),
                sha256: hex(&Sha256::digest(source.text.as_bytes())),
            },
            scenarios,
            name_place: ContractWarning::at(source, source.value_span("/name"), String::new()),
        });
    }
    let mut errors = compiler.errors;
    errors.sort_by_key(|e| e.location.as_ref().map(|l| (l.line, l.column)));
    if compiler.left_out > 0
        && let Some(last) = errors.last().cloned()
    {
        let more = compiler.left_out;
        errors.push(ContractError {
            kind: K::Invalid(format!(
                "{more} more problem{} in this file not shown: only the first {MAX_ERRORS_PER_FILE} are",
                if more == 1 { "" } else { "s" }
            )),
            ..last
        });
    }
    Err(errors)
}

/// The file's typed model: the fast path for a well-formed file, else the shape check's every
/// problem, else serde's located complaint.
fn parse(source: &SourceText) -> Result<ScenarioFile, Vec<ContractError>> {
    if !source.text.starts_with('\u{feff}')
        && let Ok(file) = serde_json::from_str::<ScenarioFile>(&source.text)
        && crate::contract::none_repeated(&source.text)
    {
        return Ok(file);
    }
    let shape = crate::contract::check_shape_against(source, super::format_schema())
        .map_err(|e| vec![e])?;
    if !shape.errors.is_empty() {
        return Err(shape.errors);
    }
    let mut de = serde_json::Deserializer::from_str(&source.text);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|err| vec![crate::contract::compile::shape_error(source, err)])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a pointer is written: as a member's key (`"request": {"/body/tier": ...}`) or as a
/// value (`"omit": ["/body/nickname"]`); errors point there.
enum Place {
    Key(String),
    Value(String),
}

struct Compiler<'a> {
    source: &'a SourceText,
    contracts: &'a [Contract],
    errors: Vec<ContractError>,
    left_out: usize,
}

/// What the steps before the one being compiled left for it: their names (in order, and by
/// name) and the names they captured. Sets, so that a file of many steps compiles in linear
/// time.
#[derive(Default)]
struct Earlier<'d> {
    steps: Vec<&'d str>,
    step_index: HashMap<&'d str, usize>,
    captured: Vec<&'d str>,
    captured_set: HashSet<&'d str>,
}

impl Earlier<'_> {
    /// Whether a value named `name` is captured by an earlier step, or by the step itself when
    /// `own` (its captures) is given.
    fn knows(&self, name: &str, own: Option<&IndexMap<String, CaptureDef>>) -> bool {
        self.captured_set.contains(name) || own.is_some_and(|own| own.contains_key(name))
    }
}

impl Compiler<'_> {
    fn file(&mut self, file: &ScenarioFile) -> Vec<Arc<Scenario>> {
        self.check_name(&file.name, "/name");
        if file.scenarios.is_empty() {
            let kind = K::Invalid("a scenario file holds at least one scenario".into());
            self.error("/scenarios", kind);
        }
        let mut names = HashSet::new();
        let mut out = Vec::new();
        for (i, def) in file.scenarios.iter().enumerate() {
            let at = format!("/scenarios/{i}");
            if !names.insert(def.name.as_str()) {
                let kind = K::Duplicate {
                    what: "scenario",
                    name: def.name.clone(),
                };
                self.error(&format!("{at}/name"), kind);
            }
            out.push(Arc::new(self.scenario(&file.name, def, &at)));
        }
        out
    }

    fn scenario(&mut self, set: &str, def: &ScenarioDef, at: &str) -> Scenario {
        self.check_name(&def.name, &format!("{at}/name"));
        if def.steps.is_empty() {
            let kind = K::Invalid("a scenario has at least one step".into());
            self.error(&format!("{at}/steps"), kind);
        }
        let mut earlier = Earlier::default();
        let mut steps = Vec::new();
        for (j, step) in def.steps.iter().enumerate() {
            let here = format!("{at}/steps/{j}");
            if earlier.step_index.contains_key(step.name.as_str()) {
                let kind = K::Duplicate {
                    what: "step",
                    name: step.name.clone(),
                };
                self.error(&format!("{here}/name"), kind);
            }
            if let Some(compiled) = self.step(step, &here, &earlier) {
                steps.push(compiled);
            }
            earlier.step_index.entry(&step.name).or_insert(j);
            earlier.steps.push(&step.name);
            for name in step.capture.keys() {
                if !earlier.captured_set.insert(name) {
                    let kind = K::Invalid(format!(
                        "`{name}` is captured by an earlier step already: give this value another name"
                    ));
                    self.error_key(&format!("{here}/capture/{}", escape(name)), kind);
                }
                earlier.captured.push(name);
            }
        }
        Scenario {
            set: set.to_string(),
            file: self.source.path.clone(),
            name: def.name.clone(),
            steps,
        }
    }

    fn step(&mut self, def: &StepDef, at: &str, earlier: &Earlier<'_>) -> Option<Step> {
        self.check_name(&def.name, &format!("{at}/name"));
        let index = self.contract_index(&def.call, &format!("{at}/call"))?;
        let contract = &self.contracts[index];
        let example = def.example.as_ref().and_then(|name| {
            let found = contract.examples.iter().position(|e| &e.name == name);
            if found.is_none() {
                let known: Vec<&str> = contract.examples.iter().map(|e| e.name.as_str()).collect();
                let kind = unknown("example", name, &known);
                self.error(&format!("{at}/example"), kind);
            }
            found
        });
        let mut set = Vec::new();
        for (text, value) in &def.request {
            let place = format!("{at}/request/{}", escape(text));
            if let Some(pointer) = self.request_pointer(contract, text, &Place::Key(place.clone()))
            {
                self.check_uses(value, &place, earlier, None);
                set.push((pointer, value.clone()));
            }
        }
        let omit = (def.omit.iter().enumerate())
            .filter_map(|(i, text)| {
                self.request_pointer(contract, text, &Place::Value(format!("{at}/omit/{i}")))
            })
            .collect();
        let captures = (def.capture.iter())
            .filter_map(|(name, capture)| self.capture(contract, name, capture, at))
            .collect();
        // Expectations may use what the step itself captures (a `Location` naming the id the
        // body holds).
        let expect = self.expect(
            contract,
            def.expect.as_ref(),
            &format!("{at}/expect"),
            (earlier, &def.capture),
        );
        Some(Step {
            name: def.name.clone(),
            contract: index,
            example,
            set,
            omit,
            captures,
            expect,
        })
    }

    fn contract_index(&mut self, call: &str, at: &str) -> Option<usize> {
        let found = self.contracts.iter().position(|c| c.name == call);
        if found.is_none() {
            let known: Vec<&str> = self.contracts.iter().map(|c| c.name.as_str()).collect();
            self.error(at, unknown("contract", call, &known));
        }
        found
    }

    /// Every captured value `value` uses must be captured by an earlier step (or by the step
    /// itself, when `own` holds its captures).
    fn check_uses(
        &mut self,
        value: &Value,
        at: &str,
        earlier: &Earlier<'_>,
        own: Option<&IndexMap<String, CaptureDef>>,
    ) {
        for (name, inner) in template::names(value) {
            if !earlier.knows(&name, own) {
                let known: Vec<&str> = (earlier.captured.iter().copied())
                    .chain(own.into_iter().flat_map(|o| o.keys().map(String::as_str)))
                    .collect();
                self.error(
                    &format!("{at}{inner}"),
                    unknown("captured value", &name, &known),
                );
            }
        }
    }

    fn capture(
        &mut self,
        contract: &Contract,
        name: &str,
        def: &CaptureDef,
        step: &str,
    ) -> Option<Capture> {
        let at = format!("{step}/capture/{}", escape(name));
        if !template::valid_name(name) {
            let kind = K::Invalid(format!(
                "`{name}` cannot name a captured value: start with a letter or `_`, then letters, digits, `_`, `.` or `-`"
            ));
            self.error_key(&at, kind);
            return None;
        }
        let (from, pattern, secret) = match def {
            CaptureDef::At(text) => (
                self.answer_from(contract, text, &Place::Value(at.clone())),
                None,
                None,
            ),
            CaptureDef::Detailed(spec) => {
                let from = match (&spec.from, &spec.sent) {
                    (Some(text), None) => {
                        self.answer_from(contract, text, &Place::Value(format!("{at}/from")))
                    }
                    (None, Some(text)) => self
                        .request_pointer(contract, text, &Place::Value(format!("{at}/sent")))
                        .map(CaptureFrom::Sent),
                    _ => {
                        let kind = K::Invalid(
                            "a capture takes its value from the answer (`from`) or from what was sent (`sent`): give one of them".into(),
                        );
                        self.error(&at, kind);
                        None
                    }
                };
                let pattern = spec.pattern.as_ref().and_then(|p| self.pattern(p, &at));
                (from, pattern, spec.secret)
            }
        };
        let from = from?;
        let secret = secret.unwrap_or_else(|| secret_by_default(contract, name, &from));
        Some(Capture {
            name: name.to_string(),
            from,
            pattern,
            secret,
        })
    }

    fn answer_from(&mut self, contract: &Contract, text: &str, at: &Place) -> Option<CaptureFrom> {
        self.answer_pointer(contract, text, at)
            .map(CaptureFrom::Answer)
    }

    fn pattern(&mut self, text: &str, capture: &str) -> Option<regex::Regex> {
        match regex::Regex::new(text) {
            Ok(regex) => Some(regex),
            Err(err) => {
                let why = err.to_string();
                let last = why.lines().last().unwrap_or_default().trim().to_string();
                self.error(&format!("{capture}/match"), K::Pattern(last));
                None
            }
        }
    }

    fn expect(
        &mut self,
        contract: &Contract,
        def: Option<&StepExpectDef>,
        at: &str,
        (earlier, own): (&Earlier<'_>, &IndexMap<String, CaptureDef>),
    ) -> StepExpect {
        let default = StepExpectDef::default();
        let def = def.unwrap_or(&default);
        let result = match &def.status {
            Some(status) => {
                let declared = self.check_status(contract, status, &format!("{at}/status"));
                if let (true, Some(code)) = (declared, &def.code) {
                    self.check_code(&contract.result, status, code, &format!("{at}/code"));
                }
                Expect {
                    status: status.clone(),
                    code: def.code.clone(),
                }
            }
            None => {
                if def.code.is_some() {
                    let kind = K::Invalid("a `code` goes with the `status` it belongs to".into());
                    self.error(&format!("{at}/code"), kind);
                }
                contract.success_expect()
            }
        };
        let mut equal = Vec::new();
        for (text, value) in &def.equal {
            let place = format!("{at}/equal/{}", escape(text));
            if let Some(pointer) = self.answer_pointer(contract, text, &Place::Key(place.clone())) {
                self.check_uses(value, &place, earlier, Some(own));
                equal.push((pointer, value.clone()));
            }
        }
        let absent = (def.absent.iter().enumerate())
            .filter_map(|(i, text)| {
                self.answer_pointer(contract, text, &Place::Value(format!("{at}/absent/{i}")))
            })
            .collect();
        let mut unchanged = Vec::new();
        for (text, step) in &def.unchanged {
            let place = format!("{at}/unchanged/{}", escape(text));
            let pointer = self.answer_pointer(contract, text, &Place::Key(place.clone()));
            let index = earlier.step_index.get(step.as_str()).copied();
            if index.is_none() {
                self.error(&place, unknown("earlier step", step, &earlier.steps));
            }
            if let (Some(pointer), Some(index)) = (pointer, index) {
                unchanged.push((pointer, index));
            }
        }
        StepExpect {
            result,
            equal,
            absent,
            unchanged,
        }
    }

    fn check_name(&mut self, name: &str, at: &str) {
        let safe = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !safe {
            let kind = K::Invalid(format!(
                "`{name}` cannot be used in case names: use letters, digits, `.`, `_` or `-`"
            ));
            self.error(at, kind);
        }
    }

    fn error(&mut self, pointer: &str, kind: K) {
        let span = self.source.value_span(pointer);
        self.push(span, kind);
    }

    /// An error at the key of the member `pointer` designates (a pointer written as a key).
    fn error_key(&mut self, pointer: &str, kind: K) {
        let span =
            (self.source.key_span(pointer)).unwrap_or_else(|| self.source.value_span(pointer));
        self.push(span, kind);
    }

    fn push(&mut self, span: Span, kind: K) {
        if self.errors.len() >= MAX_ERRORS_PER_FILE {
            self.left_out += 1;
            return;
        }
        self.errors.push(ContractError::at(self.source, span, kind));
    }
}

/// The first names of `known`, comma-separated, and how many more (a file may name thousands).
fn listed(known: &[&str]) -> String {
    const SHOWN: usize = 20;
    let mut text = known[..known.len().min(SHOWN)].join(", ");
    if known.len() > SHOWN {
        text.push_str(&format!(", … ({} more)", known.len() - SHOWN));
    }
    text
}

fn unknown(what: &'static str, name: &str, known: &[&str]) -> K {
    K::UnknownName {
        what,
        name: name.to_string(),
        hints: Box::new(NameHints {
            suggestion: closest(name, known),
            known: listed(known),
        }),
    }
}

/// A captured value is a credential when its name or the field it comes from says so, when
/// the contract declares the field issued or single-use, or when it comes from a header
/// named like a credential.
fn secret_by_default(contract: &Contract, name: &str, from: &CaptureFrom) -> bool {
    let named = |text: &str| crate::target::headers::is_secret_name(text);
    match from {
        CaptureFrom::Answer(pointer) => {
            named(name)
                || pointer.last().is_some_and(named)
                || contract.issues.iter().any(|i| &i.pointer == pointer)
        }
        CaptureFrom::Sent(pointer) => {
            named(name)
                || pointer.last().is_some_and(named)
                || contract.single_use.iter().any(|s| &s.pointer == pointer)
                || contract.accepts.iter().any(|a| &a.pointer == pointer)
        }
    }
}
