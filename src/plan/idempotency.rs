//! Idempotency scenarios: a conflicting replay (same key, one field changed) and identical
//! concurrent requests, one case each per contract with an idempotency key.
//!
//! Replays of successful cases are not separate cases: every exchange expecting success is
//! replayed by the runner (see `run::exchange`).

use serde_json::Value;

use super::generated::base_document;
use super::{Action, Case, CaseKind, Concurrent, Conflict, StringEdit};
use crate::contract::{Contract, KeyLocation, Kind, Location, Presence};
use crate::json::Pointer;
use crate::rules;

/// `<contract>/idempotency/conflict` and `<contract>/idempotency/concurrent`.
pub(super) fn cases(index: usize, contract: &Contract) -> Vec<Case> {
    let (Some(_), Some(base)) = (&contract.idempotency, base_document(contract)) else {
        return Vec::new();
    };
    let mut cases = Vec::new();
    if let Some((field, changed)) = conflict_change(contract, &base) {
        cases.push(Case {
            name: format!("{}/idempotency/conflict", contract.name),
            contract: index,
            kind: CaseKind::Idempotency,
            action: Action::Conflict(Conflict {
                original: base.clone(),
                changed,
                field: field.segments()[1..].join("/"),
            }),
        });
    }
    cases.push(Case {
        name: format!("{}/idempotency/concurrent", contract.name),
        contract: index,
        kind: CaseKind::Idempotency,
        action: Action::Concurrent(Concurrent { request: base }),
    });
    cases
}

/// The field the conflict scenario changes and the request with it changed: a plain string
/// (see [`payload_field`]), else the last top-level string a pattern holds to (changed within
/// it), else, for a body of numbers, the last top-level integer one more or one less.
fn conflict_change(contract: &Contract, base: &Value) -> Option<(Pointer, Value)> {
    let string = payload_field(contract, base);
    if let Some(found) = string.and_then(|p| changed(contract, base, &p).map(|c| (p, c))) {
        return Some(found);
    }
    let key = contract
        .idempotency
        .as_ref()
        .filter(|i| matches!(i.key_in, KeyLocation::Body(_)))
        .map(|i| &i.key);
    let fields = || {
        (contract.request().objects.fields.iter().rev())
            .filter(|f| f.schema.enum_values.is_none())
            .filter(move |f| Some(&Pointer::root().child(&f.name)) != key)
    };
    let patterned = fields()
        .filter(|f| f.schema.kinds == [Kind::String] && f.schema.strings.format.is_none())
        .map(|f| body_pointer(&Pointer::root().child(&f.name)))
        .find_map(|at| changed(contract, base, &at).map(|c| (at, c)));
    if patterned.is_some() {
        return patterned;
    }
    fields()
        .filter(|f| f.schema.kinds == [Kind::Integer])
        .map(|f| Pointer::root().child(&f.name))
        .find_map(|field| {
            let at = body_pointer(&field);
            let n = at.get(base)?.as_i64()?;
            let others = [n.checked_add(1), n.checked_sub(1)];
            others.into_iter().flatten().find_map(|other| {
                let mut changed = base.clone();
                at.set(&mut changed, Value::from(other));
                let valid = rules::broken(&contract.types, &contract.document, &changed).is_empty();
                valid.then(|| (at.clone(), changed))
            })
        })
}

/// Why a contract with an idempotency key gets no conflict scenario, when it gets none: no
/// field of its valid request can be changed and stay valid, so nothing checks what a reused
/// key with another payload gets.
pub(super) fn note(contract: &Contract, base: &Value) -> Option<String> {
    contract.idempotency.as_ref()?;
    let planned = conflict_change(contract, base);
    planned.is_none().then(|| {
        "no conflict scenario (`idempotency/conflict`): no field of the valid request can be changed under the same key and stay valid, so nothing checks what a reused key with another payload gets; name one in `idempotency.vary`".to_string()
    })
}

/// The field the conflict scenario changes, as a request-document pointer: the contract's
/// `idempotency.vary`, else the likeliest pure-payload field of `base` (see [`pick_field`]).
pub(in crate::plan) fn payload_field(contract: &Contract, base: &Value) -> Option<Pointer> {
    contract
        .idempotency
        .as_ref()?
        .vary
        .clone()
        .or_else(|| pick_field(contract, base))
        .map(|p| body_pointer(&p))
}

/// `pointer` into the body, as a pointer into the request document.
fn body_pointer(pointer: &Pointer) -> Pointer {
    pointer
        .segments()
        .iter()
        .fold(Pointer::root().child(Location::Body.name()), |at, s| {
            at.child(s)
        })
}

/// The last top-level string field of the base's body that is not the key and has no enum,
/// pattern or format: the likeliest to be pure payload (issueCard: `externalCardNo`). A
/// pointer into the body.
fn pick_field(contract: &Contract, document: &Value) -> Option<Pointer> {
    let base = document.get(Location::Body.name())?;
    let key = contract
        .idempotency
        .as_ref()
        .filter(|i| matches!(i.key_in, KeyLocation::Body(_)))
        .map(|i| &i.key);
    contract
        .request()
        .objects
        .fields
        .iter()
        .rev()
        .filter(|f| f.presence != Presence::Optional || base.get(&f.name).is_some())
        .map(|f| (Pointer::root().child(&f.name), &f.schema))
        .filter(|(pointer, _)| {
            Some(pointer) != key && pointer.get(base).is_some_and(Value::is_string)
        })
        .find(|(_, schema)| {
            schema.kinds == [Kind::String]
                && schema.enum_values.is_none()
                && schema.strings.pattern.is_none()
                && schema.strings.format.is_none()
        })
        .map(|(pointer, _)| pointer)
}

/// The base with the field's last character changed, if that is still a valid request: to `x`
/// (`y` if it is one), else, for a value a pattern holds to (`SKU-0001`), its last letter or
/// digit to the next of its kind (`SKU-0002`).
fn changed(contract: &Contract, base: &Value, field: &Pointer) -> Option<Value> {
    let current = field.get(base)?.as_str()?;
    let replacement = if current.ends_with('x') { 'y' } else { 'x' };
    let edits = [
        Some(StringEdit::Inject(replacement).apply(current)),
        super::security::changed_last(current),
    ];
    edits.into_iter().flatten().find_map(|edited| {
        let mut body = base.clone();
        field.set(&mut body, Value::String(edited));
        rules::broken(&contract.types, &contract.document, &body)
            .is_empty()
            .then_some(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;

    #[test]
    fn conflict_changes_one_payload_field_and_keeps_the_request_valid() {
        let cases = cases(0, &issue_card());
        let Action::Conflict(conflict) = &cases[0].action else {
            panic!("first case is the conflict")
        };
        assert_eq!(cases[0].name, "issueCard/idempotency/conflict");
        assert_eq!(conflict.field, "externalCardNo");
        assert_eq!(
            conflict.changed["body"]["externalCardNo"],
            "merchant_0121_000**x"
        );
        let mut same = conflict.changed.clone();
        same["body"]["externalCardNo"] = conflict.original["body"]["externalCardNo"].clone();
        assert_eq!(same, conflict.original, "only that field differs");
    }

    #[test]
    fn a_keyed_contract_with_nothing_to_change_says_it_has_no_conflict_scenario() {
        let mut text: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(issue_card().file()).unwrap()).unwrap();
        // Only the key and an enum left: no value to change and stay valid.
        let fields = text["request"]["fields"].as_object_mut().unwrap();
        fields.retain(|name, _| name == "requestId" || name == "customerBelongsTo");
        for example in text["examples"].as_array_mut().unwrap() {
            let request = example["request"].as_object_mut().unwrap();
            request.retain(|name, _| name == "requestId" || name == "customerBelongsTo");
        }
        text["examples"].as_array_mut().unwrap().truncate(1);
        let contract = crate::contract::load_str(
            std::path::Path::new("keyed.json"),
            serde_json::to_string_pretty(&text).unwrap(),
        )
        .unwrap();
        let names: Vec<String> = cases(0, &contract).into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["issueCard/idempotency/concurrent"]);
        let notes = crate::plan::notes(&contract);
        assert!(
            notes.iter().any(|n| n.starts_with("no conflict scenario")),
            "{notes:?}"
        );
        assert!(
            !crate::plan::notes(&issue_card())
                .iter()
                .any(|n| n.contains("conflict"))
        );
    }

    #[test]
    fn a_field_a_pattern_holds_to_is_changed_within_its_pattern() {
        let mut text: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(issue_card().file()).unwrap()).unwrap();
        let field = &mut text["request"]["fields"]["externalCardNo"];
        field["pattern"] = "^merchant_[0-9]{4}_[0-9]{3}[*]{3}$".into();
        // Named, as a contract author would: `x` appended breaks its pattern.
        text["idempotency"]["vary"] = "/externalCardNo".into();
        let contract = crate::contract::load_str(
            std::path::Path::new("patterned.json"),
            serde_json::to_string_pretty(&text).unwrap(),
        )
        .unwrap();
        let cases = cases(0, &contract);
        let Action::Conflict(conflict) = &cases[0].action else {
            panic!("a conflict case: {}", cases[0].name)
        };
        assert_eq!(conflict.field, "externalCardNo");
        assert_eq!(
            conflict.changed["body"]["externalCardNo"],
            "merchant_0121_001***"
        );
    }

    #[test]
    fn a_body_of_numbers_gets_its_conflict_from_an_integer_changed_by_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/valid/minimal.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let contract = crate::contract::load_str(&path, text).unwrap();
        let cases = cases(0, &contract);
        let Action::Conflict(conflict) = &cases[0].action else {
            panic!("a conflict case: {:?}", cases[0].name)
        };
        assert_eq!(conflict.field, "amount");
        let (sent, changed) = (&conflict.original["body"], &conflict.changed["body"]);
        let (a, b) = (
            sent["amount"].as_i64().unwrap(),
            changed["amount"].as_i64().unwrap(),
        );
        assert_eq!((a - b).abs(), 1, "{sent} {changed}");
        assert_eq!(sent["orderId"], changed["orderId"], "the key stays");
    }

    #[test]
    fn concurrency_sends_the_valid_base_request() {
        let cases = cases(0, &issue_card());
        assert_eq!(cases[1].name, "issueCard/idempotency/concurrent");
        let Action::Concurrent(concurrent) = &cases[1].action else {
            panic!("second case is concurrency")
        };
        assert_eq!(concurrent.request, issue_card().examples[0].document);
    }
}
