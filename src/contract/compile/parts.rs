//! Compiling the blocks around the schemas: result semantics, idempotency, examples, snapshot
//! and generated-case settings. Each cross-reference (a status, a code, a pointer) is checked
//! against what the contract declares.

use std::collections::HashSet;
use std::time::Duration;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use super::Compiler;
use crate::contract::ContractErrorKind as K;
use crate::contract::model::{
    ConflictPolicy, ExampleDef, ExpectDef, GeneratedDef, IdempotencyDef, ResultDef, SigningDef,
    SnapshotDef, StatusRole,
};
use crate::contract::schema::{Kind, Schema, Types};
use crate::contract::{
    CodeEntry, Contract, Example, Expect, Idempotency, ResultRules, SnapshotRules, schema_at,
};
use crate::json::Pointer;

/// The code generated invalid requests expect when the contract names none.
pub const DEFAULT_NEGATIVE_CODE: &str = "PARAM_ILLEGAL";

/// The code a request with a missing or bad signature gets when the contract names none.
pub const DEFAULT_SIGNATURE_REJECT_CODE: &str = "ACCESS_DENIED";

impl Compiler<'_> {
    pub(super) fn result_rules(
        &mut self,
        def: &ResultDef,
        types: &Types,
        response: &Schema,
    ) -> ResultRules {
        if def.http_status.is_empty() || def.http_status.iter().any(|s| !(100..=599).contains(s)) {
            self.error(
                "/result/httpStatus",
                K::Invalid("expected HTTP statuses between 100 and 599".into()),
            );
        }
        let rules = ResultRules {
            http_status: def.http_status.clone(),
            status: self.response_pointer(&def.status, "/result/status", types, response),
            code: self.response_pointer(&def.code, "/result/code", types, response),
            message: def
                .message
                .as_ref()
                .map(|m| self.response_pointer(m, "/result/message", types, response)),
            statuses: def.statuses.iter().map(|(s, r)| (s.clone(), *r)).collect(),
            codes: def
                .codes
                .iter()
                .map(|c| CodeEntry {
                    code: c.code.clone(),
                    status: c.status.clone(),
                    message: c.message.clone(),
                    description: c.description.clone(),
                })
                .collect(),
        };
        self.check_statuses(&rules);
        self.check_codes(&rules);
        rules
    }

    fn response_pointer(
        &mut self,
        text: &str,
        at: &str,
        types: &Types,
        response: &Schema,
    ) -> Pointer {
        match Pointer::parse(text) {
            Ok(pointer) if schema_at(types, response, pointer.segments()).is_some() => pointer,
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

    fn check_statuses(&mut self, rules: &ResultRules) {
        for role in [StatusRole::Success, StatusRole::Failure] {
            if rules.status_for(role).is_none() {
                let kind = K::Invalid(format!(
                    "`result.statuses` needs a status with role `{}`",
                    role_name(role)
                ));
                self.error("/result/statuses", kind);
            }
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

    /// Reports `status` unless `result.statuses` declares it.
    pub(super) fn check_status(&mut self, status: &str, at: &str) {
        if !self.declared_statuses.is_empty() && !self.declared_statuses.iter().any(|s| s == status)
        {
            let known = self.declared_statuses.join(", ");
            self.error(
                at,
                K::UnknownStatus {
                    status: status.to_string(),
                    known,
                },
            );
        }
    }

    fn check_code(&mut self, rules: &ResultRules, status: &str, code: &str, at: &str) {
        if rules.entry(status, code).is_none() {
            let kind = K::UnknownCode {
                code: code.to_string(),
                status: status.to_string(),
            };
            self.error(at, kind);
        }
    }

    pub(super) fn idempotency(
        &mut self,
        def: &IdempotencyDef,
        contract: &Contract,
    ) -> Option<Idempotency> {
        let key = match Pointer::parse(&def.key) {
            Ok(key) => key,
            Err(err) => {
                self.error("/idempotency/key", K::Pointer(err.to_string()));
                return None;
            }
        };
        let is_string_field = contract
            .request_field(&key)
            .is_some_and(|s| s.kinds == [Kind::String]);
        if !is_string_field {
            let kind = K::Pointer(format!(
                "`{}` does not lead to a string field of the request",
                def.key
            ));
            self.error("/idempotency/key", kind);
        }
        let conflict_code = self.conflict_code(def, &contract.result);
        let key_max_len = contract
            .request_field(&key)
            .and_then(|s| s.strings.max_length);
        let settle = def.settle.as_ref();
        Some(Idempotency {
            key,
            policy: def.conflict.policy,
            conflict_code,
            replays: def.replays.unwrap_or(2),
            concurrency: self.at_least(
                def.concurrency.unwrap_or(8),
                crate::contract::MIN_CONCURRENCY,
                "/idempotency/concurrency",
            ),
            settle_tries: self.at_least(
                settle.and_then(|s| s.tries).unwrap_or(5),
                crate::contract::MIN_SETTLE_TRIES,
                "/idempotency/settle/tries",
            ),
            settle_backoff: self.duration(
                settle.and_then(|s| s.backoff.as_deref()),
                "/idempotency/settle/backoff",
            ),
            vary: def.vary.as_ref().and_then(|text| self.vary(text, contract)),
            key_max_len,
        })
    }

    fn vary(&mut self, text: &str, contract: &Contract) -> Option<Pointer> {
        let at = "/idempotency/vary";
        match Pointer::parse(text) {
            Ok(pointer)
                if contract
                    .request_field(&pointer)
                    .is_some_and(|s| s.kinds == [Kind::String]) =>
            {
                Some(pointer)
            }
            Ok(_) => {
                let kind = K::Pointer(format!(
                    "`{text}` does not lead to a string field of the request"
                ));
                self.error(at, kind);
                None
            }
            Err(err) => {
                self.error(at, K::Pointer(err.to_string()));
                None
            }
        }
    }

    fn conflict_code(&mut self, def: &IdempotencyDef, rules: &ResultRules) -> Option<String> {
        match (def.conflict.policy, &def.conflict.code) {
            (ConflictPolicy::SameResult, Some(_)) => {
                let kind = K::Misplaced {
                    key: "code",
                    place: "with policy `same-result`",
                };
                self.error_key("/idempotency/conflict/code", kind);
                None
            }
            (ConflictPolicy::SameResult, None) => None,
            (_, None) => {
                let kind =
                    K::Invalid("policies `reject` and `either` need the failure `code`".into());
                self.error("/idempotency/conflict", kind);
                None
            }
            (_, Some(code)) => {
                let failure = rules
                    .status_for(StatusRole::Failure)
                    .unwrap_or("F")
                    .to_string();
                self.check_code(rules, &failure, code, "/idempotency/conflict/code");
                Some(code.clone())
            }
        }
    }

    fn at_least(&mut self, value: u32, min: u32, at: &str) -> u32 {
        if value < min {
            self.error(
                at,
                K::Invalid(format!("expected at least {min}, got {value}")),
            );
        }
        value.max(min)
    }

    fn duration(&mut self, text: Option<&str>, at: &str) -> Duration {
        match text.map(crate::units::parse_duration) {
            None => Duration::from_millis(100),
            Some(Ok(duration)) => duration,
            Some(Err(message)) => {
                self.error(at, K::Invalid(message));
                Duration::from_millis(100)
            }
        }
    }

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
            if contract.result.role(&expect.status) == Some(StatusRole::Success) {
                let what = format!("example `{}` request", def.name);
                self.fits(
                    contract,
                    &contract.request,
                    &def.request,
                    None,
                    &format!("{at}/request"),
                    what,
                );
            }
            if let Some(response) = &def.response {
                self.sample_response(contract, &def.name, response, &format!("{at}/response"));
            }
            examples.push(Example {
                name: def.name.clone(),
                request: def.request.clone(),
                expect,
            });
        }
        examples
    }

    fn expect(&mut self, def: &ExpectDef, rules: &ResultRules, at: &str) -> Expect {
        self.check_status(&def.status, &format!("{at}/status"));
        if let Some(code) = &def.code {
            self.check_code(rules, &def.status, code, &format!("{at}/code"));
        }
        Expect {
            status: def.status.clone(),
            code: def.code.clone(),
        }
    }

    /// A documented sample response must fit the schema and the catalogue.
    fn sample_response(&mut self, contract: &Contract, name: &str, response: &Value, at: &str) {
        let rules = &contract.result;
        let status = rules.status.get(response).and_then(Value::as_str);
        let what = format!("example `{name}` response");
        self.fits(
            contract,
            &contract.response,
            response,
            status,
            at,
            what.clone(),
        );
        let code = rules.code.get(response).and_then(Value::as_str);
        if let (Some(status), Some(code)) = (status, code)
            && rules.entry(status, code).is_none()
        {
            let kind = K::ExampleInvalid {
                what,
                violations: format!("({status}, {code}) is not in `result.codes`"),
            };
            self.error(&format!("{at}{}", rules.code.as_str()), kind);
        }
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

    pub(super) fn negative(&mut self, def: &GeneratedDef, rules: &ResultRules) -> Expect {
        match &def.negative {
            Some(expect) => self.expect(expect, rules, "/generated/negative"),
            None => {
                let failure = rules
                    .status_for(StatusRole::Failure)
                    .unwrap_or("F")
                    .to_string();
                if !rules.codes.is_empty() && rules.entry(&failure, DEFAULT_NEGATIVE_CODE).is_none()
                {
                    let kind = K::Invalid(format!(
                        "invalid requests expect `{DEFAULT_NEGATIVE_CODE}` by default, which `result.codes` lacks: add it or set `generated.negative`"
                    ));
                    self.error("/result/codes", kind);
                }
                Expect {
                    status: failure,
                    code: Some(DEFAULT_NEGATIVE_CODE.into()),
                }
            }
        }
    }

    /// An explicit `signing.rejectCode` must be a failure code of the catalogue; the default
    /// applies only when the catalogue has it, so contracts that never meet signing need not
    /// list it.
    pub(super) fn signature_rejection(
        &mut self,
        def: &SigningDef,
        rules: &ResultRules,
    ) -> Option<Expect> {
        let failure = rules.status_for(StatusRole::Failure)?.to_string();
        let code = match &def.reject_code {
            Some(code) => {
                self.check_code(rules, &failure, code, "/signing/rejectCode");
                code.as_str()
            }
            None => DEFAULT_SIGNATURE_REJECT_CODE,
        };
        rules.entry(&failure, code).map(|_| Expect {
            status: failure,
            code: Some(code.to_string()),
        })
    }

    pub(super) fn skip(&mut self, patterns: &[String]) -> GlobSet {
        let mut builder = GlobSetBuilder::new();
        for (i, pattern) in patterns.iter().enumerate() {
            match Glob::new(pattern) {
                Ok(glob) => {
                    builder.add(glob);
                }
                Err(err) => self.error(
                    &format!("/generated/skip/{i}"),
                    K::Invalid(err.kind().to_string()),
                ),
            }
        }
        builder.build().unwrap_or_else(|_| GlobSet::empty())
    }

    pub(super) fn snapshot(&mut self, def: &SnapshotDef) -> SnapshotRules {
        let mut redact = Vec::new();
        for (i, text) in def.redact.iter().enumerate() {
            match Pointer::parse(text) {
                Ok(pointer) => redact.push(pointer),
                Err(err) => self.error(
                    &format!("/snapshot/redact/{i}"),
                    K::Pointer(err.to_string()),
                ),
            }
        }
        SnapshotRules {
            redact,
            headers: def.headers.iter().map(|h| h.to_ascii_lowercase()).collect(),
        }
    }
}

fn role_name(role: StatusRole) -> &'static str {
    match role {
        StatusRole::Success => "success",
        StatusRole::Failure => "failure",
        StatusRole::Unknown => "unknown",
    }
}
