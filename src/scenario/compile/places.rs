//! Where a scenario points: into a step's request (`/body/tier`, `/path/cardId`, any header)
//! or its answer (`/status`, `/headers/Location`, `/body/card/id`), each pointer checked to lead
//! somewhere the contract defines; and the statuses and codes a step expects, checked against
//! the contract's catalogue.

use super::{Compiler, Place};
use crate::contract::{
    Contract, ContractErrorKind as K, Kind, Location, ResultCarrier, ResultRules, Schema,
    StatusMatch, Types, resolve_single,
};
use crate::json::Pointer;

impl Compiler<'_> {
    /// A pointer into the request document: a body field, a declared path or query parameter,
    /// or any header (credentials are often not declared).
    pub(super) fn request_pointer(
        &mut self,
        contract: &Contract,
        text: &str,
        at: &Place,
    ) -> Option<Pointer> {
        let pointer = self.parse_pointer(text, at)?;
        let (first, rest) = match pointer.segments().split_first() {
            Some((first, rest)) => (first.as_str(), rest),
            None => ("", &[][..]),
        };
        let fits = match Location::ALL.iter().find(|l| l.name() == first) {
            Some(Location::Headers) => rest.len() == 1,
            Some(Location::Body) if contract.request_media.is_none() => {
                let kind = K::Pointer(format!("`{}` sends no body", contract.name));
                self.error_at(at, kind);
                return None;
            }
            Some(Location::Body) => leads(&contract.types, contract.request(), rest),
            Some(location) => {
                rest.first()
                    .is_some_and(|name| contract.parameter(*location, name).is_some())
                    && leads(&contract.types, &contract.document, pointer.segments())
            }
            None => false,
        };
        if !fits {
            let kind = K::Pointer(format!(
                "`{text}` does not lead to a part of `{}`'s request: `/body/<field>`, `/path/<name>` or `/query/<name>` as the contract defines them, or `/headers/<name>`",
                contract.name
            ));
            self.error_at(at, kind);
            return None;
        }
        Some(pointer)
    }

    /// A pointer into the answer document: `/status`, `/headers/<name>`, or `/body/...` leading
    /// to a field of some response body the contract declares.
    pub(super) fn answer_pointer(
        &mut self,
        contract: &Contract,
        text: &str,
        at: &Place,
    ) -> Option<Pointer> {
        let pointer = self.parse_pointer(text, at)?;
        let fits = match pointer.segments() {
            [only] => only == "status",
            [first, _] if first == Location::Headers.name() => true,
            [first, rest @ ..] if first == Location::Body.name() => contract
                .responses
                .iter()
                .filter_map(|r| r.body.as_ref())
                .any(|body| leads(&contract.types, body, rest)),
            _ => false,
        };
        if !fits {
            let kind = K::Pointer(format!(
                "`{text}` does not lead to a part of `{}`'s answer: `/status`, `/headers/<name>`, or `/body/<field>` as some response body defines it",
                contract.name
            ));
            self.error_at(at, kind);
            return None;
        }
        Some(pointer)
    }

    pub(super) fn parse_pointer(&mut self, text: &str, at: &Place) -> Option<Pointer> {
        match Pointer::parse(text) {
            Ok(pointer) => Some(pointer),
            Err(err) => {
                self.error_at(at, K::Pointer(err.to_string()));
                None
            }
        }
    }

    pub(super) fn error_at(&mut self, place: &Place, kind: K) {
        match place {
            Place::Key(at) => self.error_key(at, kind),
            Place::Value(at) => self.error(at, kind),
        }
    }

    /// Whether `status` is one the contract declares; reports it when it is not.
    pub(super) fn check_status(&mut self, contract: &Contract, status: &str, at: &str) -> bool {
        let rules = &contract.result;
        let declared = rules.statuses.iter().any(|(s, _)| s == status)
            || (rules.carrier == ResultCarrier::HttpStatus
                && StatusMatch::parse(status).is_some_and(|wanted| {
                    rules
                        .statuses
                        .iter()
                        .any(|(s, _)| match (StatusMatch::parse(s), wanted) {
                            (Some(m), StatusMatch::Exact(code)) => m.covers(code),
                            (Some(StatusMatch::Exact(code)), StatusMatch::Class(class)) => {
                                code / 100 == class
                            }
                            (Some(m), class) => m == class,
                            (None, _) => false,
                        })
                }));
        if !declared {
            let declared_in = match rules.carrier {
                ResultCarrier::Body => "result.statuses",
                ResultCarrier::HttpStatus => "responses",
            };
            let kind = K::UnknownStatus {
                status: status.to_string(),
                known: rules.status_list(),
                declared_in,
            };
            self.error(at, kind);
        }
        declared
    }

    pub(super) fn check_code(&mut self, rules: &ResultRules, status: &str, code: &str, at: &str) {
        let listed = rules.codes.iter().any(|e| {
            e.code == code
                && (ResultRules::status_matches(&e.status, status)
                    || ResultRules::status_matches(status, &e.status))
        });
        if !listed && (rules.carrier == ResultCarrier::Body || rules.has_codes(status)) {
            let kind = K::UnknownCode {
                code: code.to_string(),
                status: status.to_string(),
            };
            self.error(at, kind);
        }
    }
}

/// Whether `segments` can lead somewhere in a value of `schema`: each step names a declared
/// field of an object or indexes an array. Where the schema cannot tell (a union, an object
/// declaring no fields) the pointer is taken on trust.
fn leads(types: &Types, schema: &Schema, segments: &[String]) -> bool {
    let mut current = schema;
    for segment in segments {
        let Some(resolved) = resolve_single(types, current) else {
            return true;
        };
        if resolved.kinds.contains(&Kind::Array) {
            match (segment.parse::<usize>(), resolved.arrays.items.as_deref()) {
                (Err(_), _) => return false,
                (Ok(_), Some(items)) => current = items,
                (Ok(_), None) => return true,
            }
        } else if resolved.kinds.contains(&Kind::Object) {
            match resolved.objects.fields.iter().find(|f| &f.name == segment) {
                Some(field) => current = &field.schema,
                None => return resolved.objects.fields.is_empty(),
            }
        } else {
            return false;
        }
    }
    true
}
