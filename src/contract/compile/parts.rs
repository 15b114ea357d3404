//! Compiling the blocks around the schemas: result semantics, idempotency, snapshot and
//! generated-case settings (examples are in `examples`). Each cross-reference (a status, a code, a pointer) is checked
//! against what the contract declares.

use std::time::Duration;

use super::Compiler;
use crate::contract::ContractErrorKind as K;
use crate::contract::model::{
    CaseExpectDef, ConflictPolicy, ExpectDef, GeneratedDef, IdempotencyDef, KeyDef, ResultCarrier,
    SigningDef, SnapshotDef, StatusRole,
};
use crate::contract::schema::{Kind, Schema};
use crate::contract::{
    CaseExpect, CaseGlob, Contract, DEFAULT_SETTLE_BACKOFF, DEFAULT_SETTLE_MAX_WAIT,
    DEFAULT_SETTLE_TRIES, Expect, Idempotency, KeyLocation, Location, ResultRules, SnapshotRules,
    StatusMatch,
};
use crate::json::Pointer;

/// The code generated invalid requests expect when the contract names none.
pub(super) const DEFAULT_NEGATIVE_CODE: &str = "PARAM_ILLEGAL";

/// The code a request with a missing or bad signature gets when the contract names none.
pub(super) const DEFAULT_SIGNATURE_REJECT_CODE: &str = "ACCESS_DENIED";

impl Compiler<'_> {
    /// Reports `status` unless the contract declares it: a body status of `result.statuses`,
    /// or for `http-status` results an HTTP status (or class) some entry of `responses` covers.
    pub(super) fn check_status(&mut self, status: &str, at: &str) {
        if !self.declared_statuses.is_empty() && !self.is_declared(status) {
            let (known, declared_in): (Vec<&str>, _) = match self.carrier {
                ResultCarrier::Body => (
                    self.declared_statuses.iter().map(String::as_str).collect(),
                    "result.statuses",
                ),
                ResultCarrier::HttpStatus => (
                    self.declared_statuses
                        .iter()
                        .filter(|s| StatusMatch::parse(s).is_some())
                        .map(String::as_str)
                        .collect(),
                    "responses",
                ),
            };
            self.error(
                at,
                K::UnknownStatus {
                    status: status.to_string(),
                    known: known.join(", "),
                    declared_in,
                },
            );
        }
    }

    fn is_declared(&self, status: &str) -> bool {
        if self.declared_statuses.iter().any(|s| s == status) {
            return true;
        }
        if self.carrier != ResultCarrier::HttpStatus {
            return false;
        }
        let declared = self
            .declared_statuses
            .iter()
            .filter_map(|s| StatusMatch::parse(s));
        match StatusMatch::parse(status) {
            Some(StatusMatch::Exact(code)) => declared.into_iter().any(|m| m.covers(code)),
            Some(StatusMatch::Class(class)) => declared.into_iter().any(|m| match m {
                StatusMatch::Exact(code) => code / 100 == class,
                other => other == StatusMatch::Class(class),
            }),
            _ => false,
        }
    }

    pub(super) fn check_code(&mut self, rules: &ResultRules, status: &str, code: &str, at: &str) {
        let listed = rules.codes.iter().any(|e| {
            e.code == code
                && (ResultRules::status_matches(&e.status, status)
                    || ResultRules::status_matches(status, &e.status))
        });
        if !listed {
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
        let (key, key_in, key_schema) = self.key(&def.key, contract)?;
        let conflict_code = self.conflict_code(def, &contract.result);
        let conflict_status = self.conflict_status(def, &contract.result);
        let in_progress = def
            .in_progress
            .as_ref()
            .map(|e| self.expect(e, &contract.result, "/idempotency/inProgress"));
        let settle = def.settle.as_ref();
        Some(Idempotency {
            key,
            key_in,
            policy: def.conflict.policy,
            conflict_code,
            conflict_status,
            in_progress,
            replays: def.replays.unwrap_or(2),
            concurrency: self.at_least(
                def.concurrency.unwrap_or(8),
                crate::contract::MIN_CONCURRENCY,
                "/idempotency/concurrency",
            ),
            settle_tries: self.at_least(
                settle.and_then(|s| s.tries).unwrap_or(DEFAULT_SETTLE_TRIES),
                crate::contract::MIN_SETTLE_TRIES,
                "/idempotency/settle/tries",
            ),
            settle_backoff: self.duration(
                settle.and_then(|s| s.backoff.as_deref()),
                "/idempotency/settle/backoff",
                DEFAULT_SETTLE_BACKOFF,
            ),
            settle_max_wait: self.duration(
                settle.and_then(|s| s.max_wait.as_deref()),
                "/idempotency/settle/maxWait",
                DEFAULT_SETTLE_MAX_WAIT,
            ),
            vary: def.vary.as_ref().and_then(|text| self.vary(text, contract)),
            key_max_len: key_schema.and_then(|s| s.strings.max_length),
        })
    }

    /// Where the key travels, its body pointer (the root for a header key) and its schema.
    fn key<'c>(
        &mut self,
        def: &KeyDef,
        contract: &'c Contract,
    ) -> Option<(Pointer, KeyLocation, Option<&'c Schema>)> {
        match def {
            KeyDef::Body(text) => {
                let key = match Pointer::parse(text) {
                    Ok(key) => key,
                    Err(err) => {
                        self.error("/idempotency/key", K::Pointer(err.to_string()));
                        return None;
                    }
                };
                let schema = contract.request_field(&key);
                if contract.request_media.is_none()
                    || !schema.is_some_and(|s| s.kinds == [Kind::String])
                {
                    let kind = K::Pointer(format!(
                        "`{text}` does not lead to a string field of the request body"
                    ));
                    self.error("/idempotency/key", kind);
                }
                Some((key.clone(), KeyLocation::Body(key), schema))
            }
            KeyDef::Header(header) => {
                let declared = contract.parameter(Location::Headers, &header.header);
                let Some(field) = declared.filter(|f| f.schema.kinds == [Kind::String]) else {
                    let kind = K::Invalid(format!(
                        "the key header `{}` must be defined as a string in `request.headers`",
                        header.header
                    ));
                    self.error("/idempotency/key/header", kind);
                    return None;
                };
                let location = KeyLocation::Header(field.name.clone());
                Some((Pointer::root(), location, Some(&field.schema)))
            }
        }
    }

    /// The failure status a conflicting request gets: the one given, else the first failure
    /// status (results in the body) or any client error (results in the HTTP status).
    fn conflict_status(&mut self, def: &IdempotencyDef, rules: &ResultRules) -> Option<String> {
        if def.conflict.policy == ConflictPolicy::SameResult {
            if def.conflict.status.is_some() {
                let place = "with policy `same-result`";
                let kind = K::Misplaced {
                    key: "status",
                    place,
                };
                self.error_key("/idempotency/conflict/status", kind);
            }
            return None;
        }
        match &def.conflict.status {
            Some(status) => {
                self.check_status(status, "/idempotency/conflict/status");
                // `2XX` is a class of success statuses even where no answer declares one.
                let success_class =
                    rules.carrier == ResultCarrier::HttpStatus && status.starts_with('2');
                if rules.role(status) == Some(StatusRole::Success) || success_class {
                    let kind = K::Invalid(format!(
                        "`{status}` is a success status: a key reused with another payload must be refused (a failure status, e.g. `422` or `F`)"
                    ));
                    self.error("/idempotency/conflict/status", kind);
                }
                Some(status.clone())
            }
            None => Some(match rules.carrier {
                ResultCarrier::Body => rules
                    .status_for(StatusRole::Failure)
                    .unwrap_or("F")
                    .to_string(),
                ResultCarrier::HttpStatus => "4XX".into(),
            }),
        }
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
            (_, None) if rules.carrier == ResultCarrier::HttpStatus => {
                if def.conflict.status.is_none() {
                    let kind = K::Invalid(
                        "policies `reject` and `either` need the failure `status` (e.g. `422`), a `code`, or both".into(),
                    );
                    self.error("/idempotency/conflict", kind);
                }
                None
            }
            (_, None) => {
                let kind =
                    K::Invalid("policies `reject` and `either` need the failure `code`".into());
                self.error("/idempotency/conflict", kind);
                None
            }
            (_, Some(code)) => {
                let failure = match (&def.conflict.status, rules.carrier) {
                    (Some(status), _) => status.clone(),
                    (None, ResultCarrier::Body) => rules
                        .status_for(StatusRole::Failure)
                        .unwrap_or("F")
                        .to_string(),
                    (None, ResultCarrier::HttpStatus) => "4XX".into(),
                };
                if rules.carrier == ResultCarrier::Body || rules.has_codes(&failure) {
                    self.check_code(rules, &failure, code, "/idempotency/conflict/code");
                }
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

    fn duration(&mut self, text: Option<&str>, at: &str, default: Duration) -> Duration {
        match text.map(crate::units::parse_duration) {
            None => default,
            Some(Ok(duration)) => duration,
            Some(Err(message)) => {
                self.error(at, K::Invalid(message));
                default
            }
        }
    }

    pub(super) fn expect(&mut self, def: &ExpectDef, rules: &ResultRules, at: &str) -> Expect {
        self.check_status(&def.status, &format!("{at}/status"));
        if let Some(code) = &def.code
            && (rules.carrier == ResultCarrier::Body || rules.has_codes(&def.status))
        {
            self.check_code(rules, &def.status, code, &format!("{at}/code"));
        }
        Expect {
            status: def.status.clone(),
            code: def.code.clone(),
        }
    }

    pub(super) fn negative(&mut self, def: &GeneratedDef, rules: &ResultRules) -> Expect {
        if let Some(expect) = &def.negative {
            return self.expect(expect, rules, "/generated/negative");
        }
        if rules.carrier == ResultCarrier::HttpStatus {
            // Any client error: APIs split validation failures between 400 and 422.
            let client_error = "4XX";
            if rules.role(client_error).is_none() && !self.is_declared(client_error) {
                let kind = K::Invalid(
                    "invalid requests expect a client error (`4XX`) by default, but `responses` declares none: add one or set `generated.negative`".into(),
                );
                self.error("/responses", kind);
            }
            return Expect {
                status: client_error.into(),
                code: None,
            };
        }
        let failure = rules
            .status_for(StatusRole::Failure)
            .unwrap_or("F")
            .to_string();
        if !rules.codes.is_empty() && rules.entry(&failure, DEFAULT_NEGATIVE_CODE).is_none() {
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

    /// An explicit `signing.rejectCode` must be a failure code of the catalogue; the default
    /// applies only when the catalogue has it, so contracts that never meet signing need not
    /// list it. A result in the HTTP status rejects with `signing.rejectStatus` (default 401).
    pub(super) fn signature_rejection(
        &mut self,
        def: &SigningDef,
        rules: &ResultRules,
    ) -> Option<Expect> {
        if rules.carrier == ResultCarrier::HttpStatus {
            let status = def.reject_status.clone().unwrap_or_else(|| "401".into());
            if def.reject_status.is_some() {
                self.check_status(&status, "/signing/rejectStatus");
            }
            if let Some(code) = &def.reject_code
                && rules.has_codes(&status)
            {
                self.check_code(rules, &status, code, "/signing/rejectCode");
            }
            return self.is_declared(&status).then(|| Expect {
                status,
                code: def.reject_code.clone(),
            });
        }
        if def.reject_status.is_some() {
            let place =
                "when the result is in the body (signature failures get the failure status)";
            let kind = K::Misplaced {
                key: "rejectStatus",
                place,
            };
            self.error_key("/signing/rejectStatus", kind);
        }
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

    /// `generated.expect`: other answers for the generated cases matching each glob.
    pub(super) fn case_expectations(
        &mut self,
        defs: &[CaseExpectDef],
        rules: &ResultRules,
    ) -> Vec<CaseExpect> {
        let mut out = Vec::new();
        for (i, def) in defs.iter().enumerate() {
            let at = format!("/generated/expect/{i}");
            let expect = self.expect(
                &ExpectDef {
                    status: def.status.clone(),
                    code: def.code.clone(),
                },
                rules,
                &at,
            );
            match CaseGlob::new(&def.cases) {
                Ok(cases) => out.push(CaseExpect { cases, expect }),
                Err(err) => self.error(&format!("{at}/cases"), K::Invalid(err.kind().to_string())),
            }
        }
        out
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
