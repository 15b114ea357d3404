//! Compiling `unique`: the answer values no two requests may share. Each entry must lead to a
//! string or number field of a successful answer's body, or to a header a successful answer
//! declares; without the key, a `create` resource's id is unique, since that is what an id is.

use super::Compiler;
use crate::contract::ContractErrorKind as K;
use crate::contract::{
    Contract, Kind, Location, ResourceAction, StatusRole, resolve_single, schema_at,
};
use crate::json::Pointer;

impl Compiler<'_> {
    /// The compiled `unique` list: the given places, or by default the created resource's id.
    pub(super) fn unique(&mut self, given: Option<&[String]>, contract: &Contract) -> Vec<Pointer> {
        let Some(given) = given else {
            return default_unique(contract);
        };
        let mut places: Vec<Pointer> = Vec::new();
        for (i, text) in given.iter().enumerate() {
            let at = format!("/unique/{i}");
            let Some(pointer) = self.answer_pointer(text, &at, contract) else {
                continue;
            };
            if places.contains(&pointer) {
                let kind = K::Duplicate {
                    what: "unique place",
                    name: text.clone(),
                };
                self.error(&at, kind);
            } else if !comparable(contract, &pointer) {
                let kind = K::Invalid(format!(
                    "`{text}` is not a string or number field: only those can be compared for uniqueness"
                ));
                self.error(&at, kind);
            } else {
                places.push(pointer);
            }
        }
        places
    }
}

/// A `create` makes a new resource every time: its id, when it is read from the answer.
fn default_unique(contract: &Contract) -> Vec<Pointer> {
    let created = contract
        .resource
        .as_ref()
        .filter(|r| r.action == ResourceAction::Create)
        .and_then(|r| r.id.clone());
    created.into_iter().collect()
}

/// Whether the values at `pointer` are scalars that compare as text: a declared header, or a
/// body field whose every declared type is a string or a number in each successful answer
/// describing it.
fn comparable(contract: &Contract, pointer: &Pointer) -> bool {
    let [first, rest @ ..] = pointer.segments() else {
        return false;
    };
    if first != Location::Body.name() {
        return true;
    }
    let scalar = |kind: &Kind| matches!(kind, Kind::String | Kind::Integer | Kind::Number);
    contract
        .responses
        .iter()
        .filter(|r| r.role.unwrap_or(StatusRole::Success) == StatusRole::Success)
        .filter_map(|r| r.body.as_ref())
        .filter_map(|body| schema_at(&contract.types, body, rest))
        .all(|schema| {
            resolve_single(&contract.types, schema).is_some_and(|s| s.kinds.iter().all(scalar))
        })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value, json};

    use crate::contract::{Contract, ContractError, load_str};

    /// A small contract answering `{"result": ..., "id": "...", "level": 3, "tags": [...]}`,
    /// with `extra` merged into its top level.
    fn contract(extra: Value) -> Result<Contract, Vec<ContractError>> {
        let mut text = json!({
            "name": "op",
            "operation": {"method": "POST", "path": "/op"},
            "request": {"fields": {"name": {"type": "string"}}},
            "response": {"fields": {
                "result": {"type": "object", "required": true, "fields": {
                    "status": {"type": "string", "required": true},
                    "code": {"type": "string", "required": true}}},
                "id": {"type": "string", "requiredOn": ["S"]},
                "level": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}}}},
            "result": {"httpStatus": [200], "status": "/result/status", "code": "/result/code",
                "statuses": {"S": "success", "F": "failure"},
                "codes": [{"code": "OK", "status": "S"}, {"code": "PARAM_ILLEGAL", "status": "F"}]}
        });
        for (key, value) in extra.as_object().unwrap() {
            text[key] = value.clone();
        }
        load_str(
            Path::new("op.json"),
            serde_json::to_string_pretty(&text).unwrap(),
        )
    }

    fn places(contract: &Contract) -> Vec<String> {
        contract.unique.iter().map(ToString::to_string).collect()
    }

    fn first_error(extra: Value) -> String {
        contract(extra).expect_err("must be rejected")[0].render()
    }

    #[test]
    fn unique_lists_string_and_number_fields_of_the_answer() {
        let compiled = contract(json!({"unique": ["/body/id", "/body/level"]})).unwrap();
        assert_eq!(places(&compiled), ["/body/id", "/body/level"]);
    }

    #[test]
    fn no_unique_key_and_no_created_resource_checks_nothing() {
        assert!(contract(json!({})).unwrap().unique.is_empty());
    }

    #[test]
    fn a_created_resource_id_is_unique_by_default_and_an_empty_list_turns_it_off() {
        let resource = json!({"name": "thing", "action": "create", "id": "/body/id"});
        let by_default = contract(json!({"resource": resource})).unwrap();
        assert_eq!(places(&by_default), ["/body/id"]);
        let off = contract(json!({"resource": resource, "unique": []})).unwrap();
        assert!(off.unique.is_empty());
    }

    #[test]
    fn rejects_unique_place_outside_the_answer_with_its_location() {
        let rendered = first_error(json!({"unique": ["/body/cardNo"]}));
        assert!(
            rendered.contains("`/body/cardNo` does not lead to a body field or declared header of a successful answer"),
            "{rendered}"
        );
        assert!(rendered.contains("op.json:"), "{rendered}");
    }

    #[test]
    fn rejects_unique_array_field() {
        let rendered = first_error(json!({"unique": ["/body/tags"]}));
        assert!(
            rendered.contains("`/body/tags` is not a string or number field"),
            "{rendered}"
        );
    }

    #[test]
    fn rejects_unique_place_given_twice() {
        let rendered = first_error(json!({"unique": ["/body/id", "/body/id"]}));
        assert!(
            rendered.contains("duplicate unique place `/body/id`"),
            "{rendered}"
        );
    }
}
