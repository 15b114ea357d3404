//! A [`Flat`] schema written as a contract `FieldDef`: type (a built-in, a named type, or a
//! union), then only the constraints that apply to that type, each checked the way the contract
//! compiler will check it, so a constraint conform would refuse is left out and noted instead.

use serde_json::{Map, Value, json};

use super::constraints;
use super::flat::Flat;
use super::{Ctx, Note, Schemas, Side};
use crate::openapi::document::At;
use crate::openapi::report::ItemKind;

/// Deepest nesting of inline schemas mapped; deeper values are accepted unchecked.
pub(super) const MAX_DEPTH: usize = 20;

/// Every JSON type: what an unconstrained schema accepts.
const ANY: [&str; 6] = ["object", "array", "string", "number", "boolean", "null"];

/// The order keys are written in, so output is stable and reads like hand-written contracts.
const KEY_ORDER: &[&str] = &[
    "type",
    "description",
    "required",
    "requiredOn",
    "format",
    "minLength",
    "maxLength",
    "pattern",
    "forbiddenChars",
    "enum",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "items",
    "fields",
    "unknownFields",
    "example",
];

/// A definition accepting any value.
pub(super) fn any_def() -> Map<String, Value> {
    let mut def = Map::new();
    def.insert("type".into(), json!(ANY));
    def
}

/// `def` with its keys in [`KEY_ORDER`].
pub(crate) fn ordered(def: Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(String, Value)> = def.into_iter().collect();
    entries.sort_by_key(|(k, _)| {
        KEY_ORDER
            .iter()
            .position(|o| o == k)
            .unwrap_or(KEY_ORDER.len())
    });
    entries.into_iter().collect()
}

impl Schemas<'_> {
    pub(super) fn emit(&mut self, flat: Flat, cx: &mut Ctx<'_>) -> Map<String, Value> {
        let mut def = Map::new();
        if let Some(target) = &flat.named {
            let name = self.type_name(target, cx.side);
            cx.refs.insert(name.clone());
            def.insert("type".into(), with_null(vec![name], flat.nullable));
            self.documentation(&flat, &mut def);
            return ordered(def);
        }
        if let Some(branches) = flat.union.clone() {
            let names = self.union_types(&flat, &branches, cx);
            def.insert("type".into(), with_null(names, flat.nullable));
            self.documentation(&flat, &mut def);
            return ordered(def);
        }
        let kinds = kinds_of(&flat);
        def.insert("type".into(), type_value(&kinds));
        self.documentation(&flat, &mut def);
        let note = |cx: &mut Ctx<'_>, at: &At, message: String| {
            cx.notes.push(Note {
                kind: ItemKind::NotMapped,
                at: at.clone(),
                message,
            });
        };
        let at = flat.at.clone().unwrap_or_else(|| At {
            file: 0,
            pointer: String::new(),
        });
        let has = |k: &str| kinds.iter().any(|x| x == k);
        constraints::strings(&flat, has("string"), &mut def, cx, &at, note);
        constraints::numbers(&flat, (has("integer"), has("number")), &mut def, cx, &at);
        self.arrays(&flat, has("array"), &mut def, cx, &at);
        self.objects(&flat, has("object"), &mut def, cx, &at);
        constraints::enum_values(&flat, &kinds, &mut def, cx, &at);
        ordered(def)
    }

    fn documentation(&self, flat: &Flat, def: &mut Map<String, Value>) {
        if let Some(text) = &flat.description {
            def.insert("description".into(), Value::String(text.clone()));
        }
        if let Some(example) = &flat.example {
            def.insert("example".into(), example.clone());
        }
    }

    /// The branch type names of a union; the schema around the union is merged into each.
    fn union_types(&mut self, flat: &Flat, branches: &[At], cx: &mut Ctx<'_>) -> Vec<String> {
        let mut base = flat.clone();
        base.union = None;
        base.nullable = false;
        base.description = None;
        base.example = None;
        let trivial = base.is_trivial();
        let mut names = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            let mut reader = super::flat::Reader::new(self.docs, cx.notes);
            let name = if trivial {
                let own = reader.read(branch, false);
                match simple_type(&own) {
                    Some(builtin) => builtin,
                    None => match &own.named {
                        Some(target) => self.type_name(target, cx.side),
                        None => self.branch_name(branch, None, own, cx, i),
                    },
                }
            } else {
                let own = reader.read(branch, true);
                let merged = super::flat::merge(base.clone(), own, branch, reader.notes);
                self.branch_name(branch, Some(&base), merged, cx, i)
            };
            if !ANY.contains(&name.as_str()) {
                cx.refs.insert(name.clone());
            }
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    fn arrays(
        &mut self,
        flat: &Flat,
        applies: bool,
        def: &mut Map<String, Value>,
        cx: &mut Ctx<'_>,
        at: &At,
    ) {
        let given = flat.min_items.is_some() || flat.max_items.is_some() || !flat.items.is_empty();
        if !applies {
            if given {
                not_applicable(
                    cx,
                    at,
                    "array constraints (`items`, `minItems`, `maxItems`)",
                );
            }
            return;
        }
        put_count(def, "minItems", flat.min_items);
        put_count(def, "maxItems", flat.max_items);
        if let (Some(min), Some(max)) = (flat.min_items, flat.max_items)
            && min > max
        {
            def.remove("minItems");
            def.remove("maxItems");
            not_applicable(cx, at, "`minItems` above `maxItems`");
        }
        if !flat.items.is_empty() {
            let path = std::mem::take(&mut cx.path);
            cx.path = format!("{path}.items");
            cx.depth += 1;
            let items = self.field_of(&flat.items, cx);
            cx.depth -= 1;
            cx.path = path;
            def.insert("items".into(), Value::Object(items));
        }
    }

    fn objects(
        &mut self,
        flat: &Flat,
        applies: bool,
        def: &mut Map<String, Value>,
        cx: &mut Ctx<'_>,
        at: &At,
    ) {
        let given = !flat.properties.is_empty() || !flat.required.is_empty() || flat.closed;
        if !applies {
            if given {
                not_applicable(
                    cx,
                    at,
                    "object constraints (`properties`, `required`, `additionalProperties`)",
                );
            }
            return;
        }
        let mut fields = Map::new();
        for (name, ats) in &flat.properties {
            if self.left_out_on_side(ats, cx.side) {
                continue;
            }
            let path = std::mem::take(&mut cx.path);
            cx.path = format!("{path}.{name}");
            cx.depth += 1;
            let mut field = self.field_of(ats, cx);
            cx.depth -= 1;
            cx.path = path;
            self.presence(flat, name, ats, &mut field, cx);
            conditional(flat, name, &mut field);
            fields.insert(name.clone(), Value::Object(ordered(field)));
        }
        for (name, _) in &flat.conditions {
            if !fields.contains_key(name) {
                let mut field = any_def();
                conditional(flat, name, &mut field);
                fields.insert(name.clone(), Value::Object(ordered(field)));
            }
        }
        for name in &flat.required {
            if !flat.properties.contains_key(name) {
                let mut field = any_def();
                field.insert("required".into(), Value::Bool(true));
                fields.insert(name.clone(), Value::Object(ordered(field)));
            }
        }
        if !fields.is_empty() {
            def.insert("fields".into(), Value::Object(fields));
        }
        if flat.closed {
            def.insert("unknownFields".into(), json!("reject"));
        }
    }

    /// `required: true`, or an exported contract's `requiredOn` (responses only).
    fn presence(
        &self,
        flat: &Flat,
        name: &str,
        ats: &[At],
        field: &mut Map<String, Value>,
        cx: &mut Ctx<'_>,
    ) {
        let required_on = ats
            .iter()
            .find_map(|at| self.docs.get(at)?.get("x-conform-requiredOn").cloned());
        match (required_on, cx.side) {
            (Some(statuses), Side::Response) => {
                field.insert("requiredOn".into(), statuses);
            }
            _ if flat.required.iter().any(|r| r == name) => {
                field.insert("required".into(), Value::Bool(true));
            }
            _ => {}
        }
        for key in [
            "requiredWhen",
            "forbiddenWhen",
            "singleUse",
            "issues",
            "accepts",
        ] {
            let carried = ats
                .iter()
                .find_map(|at| self.docs.get(at)?.get(format!("x-conform-{key}")).cloned());
            if let Some(value) = carried {
                field.insert(key.into(), value);
            }
        }
    }

    /// `readOnly` members are not sent; `writeOnly` members are not answered.
    fn left_out_on_side(&self, ats: &[At], side: Side) -> bool {
        let marker = match side {
            Side::Request => "readOnly",
            Side::Response => "writeOnly",
        };
        ats.iter().any(|at| {
            let value = self.docs.get(at);
            let direct = value.and_then(|v| v.get(marker)) == Some(&Value::Bool(true));
            let behind_ref = value
                .and_then(|v| v.get("$ref"))
                .and_then(Value::as_str)
                .and_then(|r| self.docs.resolve(at, r).ok())
                .and_then(|target| self.docs.get(&target)?.get(marker).cloned())
                == Some(Value::Bool(true));
            direct || behind_ref
        })
    }
}

/// A branch that is a bare built-in type (`{"type": "string"}`, `{"type": "null"}`).
fn simple_type(flat: &Flat) -> Option<String> {
    let mut bare = flat.clone();
    bare.description = None;
    bare.example = None;
    bare.at = None;
    let kinds = bare.kinds.take();
    let nullable = std::mem::take(&mut bare.nullable);
    if !bare.is_trivial() {
        return None;
    }
    match (kinds.as_deref(), nullable) {
        (Some([one]), false) => Some(one.clone()),
        (Some([]), true) => Some("null".into()),
        _ => None,
    }
}

fn with_null(mut names: Vec<String>, nullable: bool) -> Value {
    if nullable && !names.iter().any(|n| n == "null") {
        names.push("null".into());
    }
    match names.as_slice() {
        [one] => Value::String(one.clone()),
        _ => json!(names),
    }
}

/// The JSON types a schema accepts: its `type`, or what its constraints imply, or anything.
fn kinds_of(flat: &Flat) -> Vec<String> {
    let mut kinds: Vec<String> = match &flat.kinds {
        Some(kinds) => kinds.clone(),
        None if !flat.properties.is_empty() || !flat.required.is_empty() || flat.closed => {
            vec!["object".into()]
        }
        None if !flat.items.is_empty() || flat.min_items.is_some() || flat.max_items.is_some() => {
            vec!["array".into()]
        }
        None if flat.pattern.is_some()
            || flat.min_length.is_some()
            || flat.max_length.is_some()
            || flat.format.is_some() =>
        {
            vec!["string".into()]
        }
        None if flat.minimum.is_some() || flat.maximum.is_some() => vec!["number".into()],
        None => match &flat.enum_values {
            Some(values) => values
                .iter()
                .filter_map(json_kind)
                .map(str::to_string)
                .collect(),
            None => ANY.iter().map(|s| s.to_string()).collect(),
        },
    };
    if flat.nullable && !kinds.iter().any(|k| k == "null") {
        kinds.push("null".into());
    }
    kinds.dedup();
    if kinds.is_empty() {
        kinds.push("null".into());
    }
    kinds
}

fn type_value(kinds: &[String]) -> Value {
    match kinds {
        [one] => Value::String(one.clone()),
        _ => json!(kinds),
    }
}

pub(super) fn json_kind(value: &Value) -> Option<&'static str> {
    Some(match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    })
}

pub(super) fn not_applicable(cx: &mut Ctx<'_>, at: &At, what: &str) {
    cx.notes.push(Note {
        kind: ItemKind::NotMapped,
        at: at.clone(),
        message: format!("{what} given for a type they do not apply to: ignored"),
    });
}

pub(super) fn put_count(def: &mut Map<String, Value>, key: &str, value: Option<u64>) {
    if let Some(n) = value {
        def.insert(key.into(), Value::from(n));
    }
}

/// The `requiredWhen` of member `name` from its object's conditions (one, or a list of which
/// any makes it required), unless the field carries its own already.
fn conditional(flat: &Flat, name: &str, field: &mut Map<String, Value>) {
    let mut when: Vec<Value> = flat
        .conditions
        .iter()
        .filter(|(member, _)| member == name)
        .map(|(_, condition)| condition.clone())
        .collect();
    let always = field.get("required") == Some(&Value::Bool(true));
    if when.is_empty() || always || field.contains_key("requiredWhen") {
        return;
    }
    let value = if when.len() == 1 {
        when.remove(0)
    } else {
        Value::Array(when)
    };
    field.insert("requiredWhen".into(), value);
}
