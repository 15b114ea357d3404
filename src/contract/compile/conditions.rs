//! Compiling conditional presence (`requiredWhen`, `forbiddenWhen`) and single-use fields.
//!
//! A condition names another field of the object holding the conditional field, by a pointer
//! from that object (`/grantType`), and what that field must be (`in` some values, or
//! `present`). Lint catches the conditions that say nothing or can never hold: a pointer to no
//! field, a value the other field can never have (outside its `enum`, of the wrong type), a
//! field depending on itself, a field both required and forbidden under the same condition,
//! and a `requiredWhen` on a field that is always required. Whether a value fits the other
//! field is checked once every named type is compiled.

use std::rc::Rc;

use serde_json::Value;

use super::Compiler;
use super::schema::Side;
use crate::contract::ContractErrorKind as K;
use crate::contract::model::{ConditionDef, ConditionsDef, FieldDef};
use crate::contract::schema::{
    Condition, Effect, Field, Kind, Presence, Schema, Test, Types, shown,
};
use crate::contract::{Location, schema_at};
use crate::json::Pointer;

/// A condition's values, checked against the other field once types are compiled: (where the
/// condition is in the file, the other field's schema, the pointer's segments below it, test).
pub(super) type DeferredCondition = (String, Rc<Schema>, Vec<String>, Test);

/// What a fresh single-use value looks like: digits, as idempotency keys (a run nonce and a
/// sequence number, cut from the front to the field's `maxLength`).
const SAMPLE_FRESH: &str = "2611281913091234567890000001";

impl Compiler<'_> {
    /// The conditions of the field at `index` of `fields` (its siblings, compiled).
    pub(super) fn conditions(
        &mut self,
        def: &FieldDef,
        index: usize,
        fields: &[Field],
        at: &str,
    ) -> Vec<Condition> {
        let mut out = Vec::new();
        let lists = [
            ("requiredWhen", Effect::Required, &def.required_when),
            ("forbiddenWhen", Effect::Forbidden, &def.forbidden_when),
        ];
        for (key, effect, list) in lists {
            let Some(list) = list else { continue };
            let here = format!("{at}/{key}");
            if list.as_slice().is_empty() {
                let kind = K::Invalid("an empty list of conditions never holds".into());
                self.error(&here, kind);
            }
            if fields[index].presence == Presence::Required {
                let kind = K::Invalid(match effect {
                    Effect::Required => "the field is always `required`: `requiredWhen` says nothing more (drop one of them)".into(),
                    Effect::Forbidden => "a `required` field cannot be forbidden: no valid request could satisfy both".into(),
                });
                self.error_key(&here, kind);
            }
            for (i, condition) in list.as_slice().iter().enumerate() {
                let place = match list {
                    ConditionsDef::One(_) => here.clone(),
                    ConditionsDef::Any(_) => format!("{here}/{i}"),
                };
                let compiled = self.condition(condition, effect, index, fields, &place);
                out.extend(compiled);
            }
        }
        self.check_contradictions(&out, at);
        out
    }

    fn condition(
        &mut self,
        def: &ConditionDef,
        effect: Effect,
        index: usize,
        fields: &[Field],
        at: &str,
    ) -> Option<Condition> {
        let test = match (&def.values, def.present) {
            (Some(values), None) if values.is_empty() => {
                let kind = K::Invalid("`in` lists no value: the condition can never hold".into());
                self.error(&format!("{at}/in"), kind);
                return None;
            }
            (Some(values), None) => Test::In(values.clone()),
            (None, Some(present)) => Test::Present(present),
            (Some(_), Some(_)) => {
                let kind = K::Invalid("give either `in` or `present`, not both".into());
                self.error(at, kind);
                return None;
            }
            (None, None) => {
                let kind = K::Invalid(
                    "say what the other field must be: `in` (a list of values) or `present` (true or false)".into(),
                );
                self.error(at, kind);
                return None;
            }
        };
        let pointer = self.condition_pointer(&def.field, index, fields, &format!("{at}/field"))?;
        let sibling = fields.iter().find(|f| f.name == pointer.segments()[0])?;
        let rest = pointer.segments()[1..].to_vec();
        self.deferred_conditions.push((
            at.to_string(),
            Rc::new(sibling.schema.clone()),
            rest,
            test.clone(),
        ));
        Some(Condition {
            effect,
            pointer,
            test,
        })
    }

    /// The condition's pointer, when it leads to another field of the same object.
    fn condition_pointer(
        &mut self,
        text: &str,
        index: usize,
        fields: &[Field],
        at: &str,
    ) -> Option<Pointer> {
        let pointer = match Pointer::parse(text) {
            Ok(pointer) if !pointer.segments().is_empty() => pointer,
            Ok(_) => {
                let kind = K::Pointer(
                    "the condition needs another field of this object, such as `/grantType`".into(),
                );
                self.error(at, kind);
                return None;
            }
            Err(err) => {
                self.error(at, K::Pointer(err.to_string()));
                return None;
            }
        };
        let first = &pointer.segments()[0];
        if *first == fields[index].name {
            let kind = K::Invalid(format!(
                "`{text}` is the field itself: a field's presence cannot depend on its own"
            ));
            self.error(at, kind);
            return None;
        }
        if !fields.iter().any(|f| &f.name == first) {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            let kind = K::Pointer(format!(
                "`{text}` does not lead to a field of the object holding this one (its fields: {}); conditions start at that object, the body for the body's own fields",
                names.join(", ")
            ));
            self.error(at, kind);
            return None;
        }
        Some(pointer)
    }

    /// A field required and forbidden under the same test could never be valid there.
    fn check_contradictions(&mut self, conditions: &[Condition], at: &str) {
        for required in conditions.iter().filter(|c| c.effect == Effect::Required) {
            for forbidden in conditions.iter().filter(|c| c.effect == Effect::Forbidden) {
                if required.pointer != forbidden.pointer {
                    continue;
                }
                let overlap = match (&required.test, &forbidden.test) {
                    (Test::In(a), Test::In(b)) => a.iter().find(|v| b.contains(v)).map(shown),
                    (Test::Present(a), Test::Present(b)) if a == b => {
                        Some(if *a { "present" } else { "absent" }.into())
                    }
                    (Test::In(_), Test::Present(true)) | (Test::Present(true), Test::In(_)) => {
                        Some("present".into())
                    }
                    _ => None,
                };
                if let Some(value) = overlap {
                    let kind = K::Invalid(format!(
                        "required and forbidden when {} is {value}: no valid request could have it either way",
                        required.other_name()
                    ));
                    self.error_key(&format!("{at}/forbiddenWhen"), kind);
                    return;
                }
            }
        }
    }

    /// Each condition's pointer leads to a field, and each value it lists fits that field.
    pub(super) fn check_deferred_conditions(&mut self, types: &Types) {
        for (at, sibling, rest, test) in std::mem::take(&mut self.deferred_conditions) {
            let Some(target) = schema_at(types, &sibling, &rest) else {
                let kind = K::Pointer(
                    "the pointer leaves the other field's definition: no field is there".into(),
                );
                self.error(&format!("{at}/field"), kind);
                continue;
            };
            let Test::In(values) = test else { continue };
            for (i, value) in values.iter().enumerate() {
                let violations = crate::rules::validate(types, target, value, None);
                if let Some(first) = violations.first() {
                    let place = match first.pointer.as_str() {
                        "" => String::new(),
                        inner => format!("{inner} "),
                    };
                    let kind = K::Invalid(format!(
                        "the condition can never hold: {} is not a value the other field can have ({place}{}: expected {})",
                        abbreviated(value),
                        first.rule,
                        first.expected
                    ));
                    self.error(&format!("{at}/in/{i}"), kind);
                }
            }
        }
    }

    /// Whether a field is single-use; `singleUse` is for strings the request's top level
    /// carries (body fields, parameters) that a fresh run value of digits fits.
    pub(super) fn single_use(
        &mut self,
        def: &FieldDef,
        schema: &Schema,
        at: &str,
        side: Side,
    ) -> bool {
        if def.single_use.as_ref().is_none_or(|s| !s.is_on()) {
            return false;
        }
        let holder = at.rsplit_once('/').map_or("", |(holder, _)| holder);
        let top_level = Location::ALL.iter().any(|l| {
            let place = match l {
                Location::Body => "/request/fields".to_string(),
                other => format!("/request/{other}"),
            };
            holder == place
        });
        if side != Side::Request || !top_level {
            let place = "except on the request's own fields and parameters";
            let key = "singleUse";
            self.error_key(&format!("{at}/singleUse"), K::Misplaced { key, place });
            return false;
        }
        let sample = match schema.strings.max_length {
            Some(max) if max < SAMPLE_FRESH.len() => &SAMPLE_FRESH[SAMPLE_FRESH.len() - max..],
            _ => SAMPLE_FRESH,
        };
        let fresh_fits = schema.kinds == [Kind::String]
            && schema.enum_values.is_none()
            && schema.strings.format.is_none()
            && crate::rules::validate(
                &Types::default(),
                schema,
                &Value::String(sample.into()),
                None,
            )
            .is_empty();
        if !fresh_fits {
            let kind = K::Invalid(format!(
                "a single-use field gets a fresh value of digits in every request (such as \"{sample}\"), which this definition does not accept: it must be a plain `string` without `enum` or `format`, and its pattern and lengths must allow digits"
            ));
            self.error_key(&format!("{at}/singleUse"), kind);
            return false;
        }
        true
    }
}

fn abbreviated(value: &Value) -> String {
    crate::json::abbreviate(value, 40)
}
