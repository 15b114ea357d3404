//! Compiling `result`: where the business status lives (a body field, or the HTTP status), the
//! pointers to code and message, each status's role, and the catalogue.

use std::collections::HashSet;

use super::Compiler;
use super::http::in_any_response;
use crate::contract::ContractErrorKind as K;
use crate::contract::model::{ResultCarrier, ResultDef, StatusRole};
use crate::contract::schema::{Schema, Types};
use crate::contract::{CodeEntry, ResponseSpec, ResultRules, StatusMatch, schema_at};
use crate::json::Pointer;

/// What a response looks like to the result rules: the business body and every declared
/// response.
pub(super) struct Responses<'a> {
    /// The body of the business statuses (results in the body).
    pub business: &'a Schema,
    /// Every declared response.
    pub all: &'a [ResponseSpec],
}

impl Compiler<'_> {
    pub(super) fn result_rules(
        &mut self,
        def: &ResultDef,
        types: &Types,
        responses: &Responses<'_>,
    ) -> ResultRules {
        let carrier = def.carrier.unwrap_or(ResultCarrier::Body);
        let rules = match carrier {
            ResultCarrier::Body => self.body_result(def, types, responses),
            ResultCarrier::HttpStatus => self.status_result(def, types, responses),
        };
        self.check_statuses(&rules);
        self.check_codes(&rules);
        rules
    }

    /// A result in the body: `httpStatus`, `status`, `code` and `statuses` are required.
    fn body_result(
        &mut self,
        def: &ResultDef,
        types: &Types,
        responses: &Responses<'_>,
    ) -> ResultRules {
        let http_status = def.http_status.clone().unwrap_or_default();
        if http_status.is_empty() || http_status.iter().any(|s| !(100..=599).contains(s)) {
            self.error(
                "/result/httpStatus",
                K::Invalid("expected HTTP statuses between 100 and 599".into()),
            );
        }
        let mut required = |key: &str, value: &Option<String>| -> Pointer {
            match value {
                Some(text) => {
                    self.body_pointer(text, &format!("/result/{key}"), types, responses.business)
                }
                None => {
                    let kind = K::Invalid(format!(
                        "`result.{key}` is required when the result is in the body (`\"in\": \"body\"`, the default)"
                    ));
                    self.error("/result", kind);
                    Pointer::root()
                }
            }
        };
        let status = required("status", &def.status);
        let code = required("code", &def.code);
        if def.statuses.is_empty() {
            let kind = K::Invalid("`result.statuses` lists the body's statuses and their roles (`{\"S\": \"success\", \"F\": \"failure\"}`)".into());
            self.error("/result", kind);
        }
        ResultRules {
            carrier: ResultCarrier::Body,
            http_status,
            status,
            code,
            message: def
                .message
                .as_ref()
                .map(|m| self.body_pointer(m, "/result/message", types, responses.business)),
            statuses: def.statuses.iter().map(|(s, r)| (s.clone(), *r)).collect(),
            http_roles: http_roles(responses.all),
            codes: codes(def),
        }
    }

    /// A result in the HTTP status: roles come from `responses`; code and message, when given,
    /// point into the bodies of the responses.
    fn status_result(
        &mut self,
        def: &ResultDef,
        types: &Types,
        responses: &Responses<'_>,
    ) -> ResultRules {
        let misplaced = [
            ("httpStatus", def.http_status.is_some()),
            ("status", def.status.is_some()),
            ("statuses", !def.statuses.is_empty()),
        ];
        for (key, given) in misplaced {
            if given {
                let place =
                    "when the result is the HTTP status (roles go on each entry of `responses`)";
                self.error_key(&format!("/result/{key}"), K::Misplaced { key, place });
            }
        }
        if responses.all.is_empty() {
            let kind = K::Invalid(
                "a result in the HTTP status needs `responses`, e.g. `\"200\": {\"fields\": {...}}`"
                    .into(),
            );
            self.error("/result/in", kind);
        }
        let mut pointer = |key: &str, value: &Option<String>| {
            value
                .as_ref()
                .map(|text| self.any_pointer(text, &format!("/result/{key}"), types, responses.all))
        };
        let code = pointer("code", &def.code).unwrap_or_else(Pointer::root);
        let message = pointer("message", &def.message);
        ResultRules {
            carrier: ResultCarrier::HttpStatus,
            http_status: Vec::new(),
            status: Pointer::root(),
            code,
            message,
            statuses: responses
                .all
                .iter()
                .map(|r| (r.status.to_string(), r.role.unwrap_or(StatusRole::Failure)))
                .collect(),
            http_roles: http_roles(responses.all),
            codes: codes(def),
        }
    }

    /// A pointer that must lead to a field of the business body.
    fn body_pointer(&mut self, text: &str, at: &str, types: &Types, body: &Schema) -> Pointer {
        match Pointer::parse(text) {
            Ok(pointer) if schema_at(types, body, pointer.segments()).is_some() => pointer,
            Ok(pointer) => {
                let kind = K::Pointer(format!("`{text}` does not lead to a field of the response"));
                self.error(at, kind);
                pointer
            }
            Err(err) => {
                self.error(at, K::Pointer(err.to_string()));
                Pointer::root()
            }
        }
    }

    /// A pointer that must lead to a field of some declared response body.
    fn any_pointer(
        &mut self,
        text: &str,
        at: &str,
        types: &Types,
        responses: &[ResponseSpec],
    ) -> Pointer {
        match Pointer::parse(text) {
            Ok(pointer) if in_any_response(types, responses, pointer.segments()) => pointer,
            Ok(pointer) => {
                let kind = K::Pointer(format!(
                    "`{text}` does not lead to a field of any response in `responses`"
                ));
                self.error(at, kind);
                pointer
            }
            Err(err) => {
                self.error(at, K::Pointer(err.to_string()));
                Pointer::root()
            }
        }
    }

    fn check_statuses(&mut self, rules: &ResultRules) {
        let needed: &[StatusRole] = match rules.carrier {
            ResultCarrier::Body => &[StatusRole::Success, StatusRole::Failure],
            ResultCarrier::HttpStatus => &[StatusRole::Success],
        };
        for role in needed {
            if rules.status_for(*role).is_none() {
                let place = match rules.carrier {
                    ResultCarrier::Body => "`result.statuses`",
                    ResultCarrier::HttpStatus => "`responses`",
                };
                let kind = K::Invalid(format!(
                    "{place} needs a status with role `{}`",
                    role_name(*role)
                ));
                let at = match rules.carrier {
                    ResultCarrier::Body => "/result/statuses",
                    ResultCarrier::HttpStatus => "/responses",
                };
                self.error(at, kind);
            }
        }
        if rules.carrier == ResultCarrier::HttpStatus {
            return;
        }
        for (status, _) in &rules.statuses {
            if rules.first_entry(status).is_none() {
                let kind = K::Invalid(format!("status `{status}` has no code in `result.codes`"));
                self.error_key(&format!("/result/statuses/{status}"), kind);
            }
        }
    }

    fn check_codes(&mut self, rules: &ResultRules) {
        let mut seen = HashSet::new();
        for (i, entry) in rules.codes.iter().enumerate() {
            self.check_status(&entry.status, &format!("/result/codes/{i}/status"));
            if !seen.insert((entry.code.as_str(), entry.status.as_str())) {
                let name = format!("{} ({})", entry.code, entry.status);
                self.error(
                    &format!("/result/codes/{i}"),
                    K::Duplicate { what: "code", name },
                );
            }
        }
    }
}

/// The roles of the statuses answered by declared responses, most specific first.
fn http_roles(responses: &[ResponseSpec]) -> Vec<(StatusMatch, StatusRole)> {
    responses
        .iter()
        .filter_map(|r| r.role.map(|role| (r.status, role)))
        .collect()
}

fn codes(def: &ResultDef) -> Vec<CodeEntry> {
    def.codes
        .iter()
        .map(|c| CodeEntry {
            code: c.code.clone(),
            status: c.status.clone(),
            message: c.message.clone(),
            description: c.description.clone(),
        })
        .collect()
}

/// A role's name as contracts write it.
pub(super) fn role_name(role: StatusRole) -> &'static str {
    match role {
        StatusRole::Success => "success",
        StatusRole::Failure => "failure",
        StatusRole::Unknown => "unknown",
    }
}
