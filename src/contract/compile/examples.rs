//! Compiling examples: each request as one document, checked against the request definition
//! when it is expected to succeed, and each documented response against the response
//! definition, the catalogue and the example's own expectation.

use std::collections::HashSet;

use serde_json::Value;

use super::Compiler;
use crate::contract::ContractErrorKind as K;
use crate::contract::http::shown_pointer;
use crate::contract::model::{ExampleDef, ResultCarrier, StatusRole};
use crate::contract::schema::Schema;
use crate::contract::{Contract, Example, Expect, Location, ResultRules};

impl Compiler<'_> {
    pub(super) fn examples(&mut self, defs: &[ExampleDef], contract: &Contract) -> Vec<Example> {
        let mut names = HashSet::new();
        let mut examples = Vec::new();
        for (i, def) in defs.iter().enumerate() {
            let at = format!("/examples/{i}");
            self.check_name(&def.name, &format!("{at}/name"));
            if !names.insert(def.name.as_str()) {
                self.error(
                    &format!("{at}/name"),
                    K::Duplicate {
                        what: "example",
                        name: def.name.clone(),
                    },
                );
            }
            let expect = self.expect(&def.expect, &contract.result, &format!("{at}/expect"));
            let document = self.example_document(def, contract, &at);
            if contract.result.role(&expect.status) == Some(StatusRole::Success) {
                let what = format!("example `{}` request", def.name);
                self.fits_document(contract, &document, &at, what);
            }
            if let Some(response) = &def.response {
                let at = format!("{at}/response");
                self.sample_response(contract, &def.name, &expect, response, &at);
            }
            examples.push(Example {
                name: def.name.clone(),
                document,
                expect,
                response: def.response.clone(),
            });
        }
        examples
    }

    /// An example's request as one document; header names take the case the contract defines.
    fn example_document(&mut self, def: &ExampleDef, contract: &Contract, at: &str) -> Value {
        let mut document = serde_json::Map::new();
        let given = [
            (Location::Path, &def.path),
            (Location::Query, &def.query),
            (Location::Headers, &def.headers),
        ];
        for (location, values) in given {
            let mut members = values.clone().unwrap_or_default();
            if location == Location::Headers {
                members = members
                    .into_iter()
                    .map(|(name, value)| match contract.parameter(location, &name) {
                        Some(field) => (field.name.clone(), value),
                        None => (name, value),
                    })
                    .collect();
            }
            document.insert(location.name().into(), Value::Object(members));
        }
        match (&def.request, &contract.request_media) {
            (Some(body), Some(_)) => {
                document.insert(Location::Body.name().into(), body.clone());
            }
            (Some(_), None) => {
                let kind = K::Invalid(
                    "the operation has no body (no `request.fields`), so the example has no `request`"
                        .into(),
                );
                self.error_key(&format!("{at}/request"), kind);
            }
            (None, _) => {}
        }
        Value::Object(document)
    }

    /// A request document must fit the contract; violations are located in the example.
    fn fits_document(&mut self, contract: &Contract, document: &Value, at: &str, what: String) {
        let mut violations =
            crate::rules::validate(&contract.types, &contract.document, document, None);
        let at_in_file = violations.first().map(|v| example_pointer(at, &v.pointer));
        for violation in &mut violations {
            violation.pointer = shown_pointer(&violation.pointer).to_string();
        }
        if let Some(at_in_file) = at_in_file {
            let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
            let kind = K::ExampleInvalid {
                what,
                violations: listed.join("; "),
            };
            self.error(&at_in_file, kind);
        }
    }

    /// A documented sample response must fit the schema and the catalogue.
    fn sample_response(
        &mut self,
        contract: &Contract,
        name: &str,
        expect: &Expect,
        response: &Value,
        at: &str,
    ) {
        let rules = &contract.result;
        let what = format!("example `{name}` response");
        let (schema, status) = match rules.carrier {
            ResultCarrier::Body => (
                Some(&contract.response),
                rules.status.get(response).and_then(Value::as_str),
            ),
            ResultCarrier::HttpStatus => {
                let spec = expect.status.parse::<u16>().ok().and_then(|code| {
                    crate::contract::http::response_for(&contract.responses, code)
                });
                if spec.is_none() {
                    let kind = K::Invalid(format!(
                        "a sample response needs an exact expected status (`404`, not `{}`)",
                        expect.status
                    ));
                    self.error_key(at, kind);
                }
                (
                    spec.and_then(|s| s.body.as_ref()),
                    Some(expect.status.as_str()),
                )
            }
        };
        if let Some(schema) = schema {
            self.fits(contract, schema, response, status, at, what.clone());
        }
        let code = rules.code.get(response).and_then(Value::as_str);
        if let (Some(status), Some(code)) = (status, code)
            && rules.has_codes(status)
            && rules.entry(status, code).is_none()
        {
            let kind = K::ExampleInvalid {
                what,
                violations: format!("({status}, {code}) is not in `result.codes`"),
            };
            self.error(&format!("{at}{}", rules.code.as_str()), kind);
        }
        self.agrees_with_expectation(rules, name, expect, (status, code), at);
    }

    /// A documented response carrying another status or code than the example expects says
    /// two things about one request: the reference implementation answers with the response,
    /// and the check judges by the expectation, so one of them is wrong.
    fn agrees_with_expectation(
        &mut self,
        rules: &ResultRules,
        name: &str,
        expect: &Expect,
        (status, code): (Option<&str>, Option<&str>),
        at: &str,
    ) {
        let status_differs = rules.carrier == ResultCarrier::Body
            && status.is_some_and(|s| !ResultRules::status_matches(&expect.status, s));
        let code_differs =
            expect.code.is_some() && code.is_some() && code != expect.code.as_deref();
        if !status_differs && !code_differs {
            return;
        }
        let carried = match (status, code) {
            (Some(status), Some(code)) => format!("{status}/{code}"),
            (Some(status), None) => status.to_string(),
            (None, Some(code)) => code.to_string(),
            (None, None) => return,
        };
        let pointer = if status_differs {
            &rules.status
        } else {
            &rules.code
        };
        let kind = K::Invalid(format!(
            "example `{name}` response carries {carried}, but the example expects {}: the response contradicts the expectation",
            expect.describe()
        ));
        self.error(&format!("{at}{}", pointer.as_str()), kind);
    }

    fn fits(
        &mut self,
        contract: &Contract,
        schema: &Schema,
        value: &Value,
        status: Option<&str>,
        at: &str,
        what: String,
    ) {
        let violations = crate::rules::validate(&contract.types, schema, value, status);
        if let Some(first) = violations.first() {
            let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
            let kind = K::ExampleInvalid {
                what,
                violations: listed.join("; "),
            };
            self.error(&format!("{at}{}", first.pointer), kind);
        }
    }
}

/// Where a request-document pointer lands in an example of the contract file: the body is the
/// example's `request`, the parameters its `path`, `query` and `headers`.
fn example_pointer(at: &str, document_pointer: &str) -> String {
    match document_pointer.strip_prefix("/body") {
        Some(rest) => format!("{at}/request{rest}"),
        None => format!("{at}{document_pointer}"),
    }
}
