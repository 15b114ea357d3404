use serde_json::{Value, json};

use super::*;

/// The definition of `#/s` in a document holding `schema` there (and `components`), with the
/// notes made and the named types mapped.
fn map(schema: Value, components: Value, side: Side) -> (Value, Vec<Note>, Schemas<'static>) {
    let docs: &'static Documents = Box::leak(Box::new(Documents::from_value(
        "api.json",
        json!({ "s": schema, "components": { "schemas": components } }),
    )));
    let mut schemas = Schemas::new(docs);
    let mut notes = Vec::new();
    let mut refs = BTreeSet::new();
    let mut cx = Ctx {
        side,
        notes: &mut notes,
        refs: &mut refs,
        inline: false,
        path: "T".into(),
        depth: 0,
    };
    let def = schemas.field(&docs.main().child("s"), &mut cx);
    schemas.drain();
    (Value::Object(def), notes, schemas)
}

fn messages(notes: &[Note]) -> Vec<String> {
    notes
        .iter()
        .map(|n| format!("{}: {}", n.at.pointer, n.message))
        .collect()
}

#[test]
fn all_of_keeps_the_tighter_bound_and_the_common_enum_values() {
    let schema = json!({"allOf": [
        {"type": "integer", "minimum": 1, "maximum": 100, "enum": [1, 5, 50, 500]},
        {"minimum": 5, "maximum": 1000, "enum": [5, 50, 7]}
    ]});
    let (def, notes, _) = map(schema, json!({}), Side::Request);
    assert_eq!(
        def,
        json!({"type": "integer", "enum": [5, 50], "minimum": 5, "maximum": 100})
    );
    assert!(notes.is_empty(), "{:?}", messages(&notes));
}

#[test]
fn a_union_beside_properties_merges_them_into_each_branch() {
    let schema = json!({
        "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}},
        "oneOf": [{"$ref": "#/components/schemas/A"}, {"properties": {"b": {"type": "integer"}}}]
    });
    let components = json!({"A": {"properties": {"a": {"type": "boolean"}}}});
    let (def, _, schemas) = map(schema, components, Side::Response);
    assert_eq!(def, json!({"type": ["T.variant1", "T.variant2"]}));
    let first = &schemas.get("T.variant1").unwrap().def;
    assert_eq!(
        first["fields"]["id"],
        json!({"type": "string", "required": true})
    );
    assert_eq!(first["fields"]["a"], json!({"type": "boolean"}));
    assert_eq!(
        schemas.get("T.variant2").unwrap().def["fields"]["b"],
        json!({"type": "integer"})
    );
}

#[test]
fn read_only_members_give_a_type_a_request_variant() {
    let components = json!({"Pet": {"type": "object", "required": ["id", "name"], "properties": {
        "id": {"type": "integer", "readOnly": true}, "name": {"type": "string"}}}});
    let schema = json!({"$ref": "#/components/schemas/Pet"});
    let (request, _, schemas) = map(schema.clone(), components.clone(), Side::Request);
    assert_eq!(request, json!({"type": "Pet.request"}));
    assert_eq!(
        schemas.get("Pet.request").unwrap().def,
        json!({"type": "object", "fields": {"name": {"type": "string", "required": true}}})
    );
    let (response, _, schemas) = map(schema, components, Side::Response);
    assert_eq!(response, json!({"type": "Pet"}));
    assert_eq!(
        schemas.get("Pet").unwrap().def["fields"]["id"],
        json!({"type": "integer", "required": true})
    );
}

#[test]
fn every_keyword_is_mapped_documented_or_noted() {
    let schema = json!({"type": "string", "title": "t", "x-vendor": 1, "frobnicate": true, "maxLength": 3, "uniqueItems": true});
    let (def, notes, _) = map(schema, json!({}), Side::Request);
    assert_eq!(def, json!({"type": "string", "maxLength": 3}));
    let listed = messages(&notes);
    for expected in [
        "/s/title: `title` is documentation",
        "/s/x-vendor: extension `x-vendor`",
        "/s/frobnicate: keyword `frobnicate` is not mapped",
        "/s/uniqueItems: `uniqueItems` is not mapped",
    ] {
        assert!(
            listed.iter().any(|l| l.starts_with(expected)),
            "{expected} missing from {listed:?}"
        );
    }
}

#[test]
fn a_nullable_enum_accepts_null_and_values_of_other_types_are_noted() {
    let (def, notes, _) = map(
        json!({"type": "string", "nullable": true, "enum": ["a", 1]}),
        json!({}),
        Side::Request,
    );
    assert_eq!(
        def,
        json!({"type": ["string", "null"], "enum": ["a", null]})
    );
    assert!(
        messages(&notes).iter().any(|m| m.contains("another type")),
        "{:?}",
        messages(&notes)
    );
}
