//! Compiling field definitions into [`Schema`]s: type names resolved, constraints checked for
//! applicability and consistency, patterns compiled.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, LazyLock, Mutex};

use indexmap::IndexMap;
use serde_json::Value;

use super::Compiler;
use crate::contract::ContractErrorKind as K;
use crate::contract::model::{FieldDef, TypeDef, UnknownFields};
use crate::contract::schema::{
    ArrayRules, BUILTIN_TYPES, Field, Kind, NumberRules, ObjectRules, Pattern, Presence, Schema,
    StringRules, TypeId,
};
use crate::json::pointer::escape;

/// Distinct patterns whose compiled form is kept for other contracts to share.
const SHARED_PATTERNS: usize = 4096;

/// `source` compiled, shared with every other field of any contract with the same pattern: a
/// family of contracts repeats its patterns (ids, dates, codes), and each compiled regex takes
/// kilobytes (and grows caches as it matches), so a suite of thousands would otherwise hold
/// thousands of copies. Past [`SHARED_PATTERNS`] distinct ones, more are compiled unshared.
fn compiled_pattern(source: &str) -> Result<Arc<regex::Regex>, regex::Error> {
    static SHARED: LazyLock<Mutex<HashMap<Box<str>, Arc<regex::Regex>>>> =
        LazyLock::new(Default::default);
    let mut shared = SHARED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(regex) = shared.get(source) {
        return Ok(Arc::clone(regex));
    }
    let regex = Arc::new(regex::Regex::new(source)?);
    if shared.len() < SHARED_PATTERNS {
        shared.insert(source.into(), Arc::clone(&regex));
    }
    Ok(regex)
}

/// Which part of the contract a field list belongs to; decides which presence keys are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Request,
    Response,
    /// Inside `types`: used on either side.
    Types,
}

impl Compiler<'_> {
    /// Compiles an object's named fields.
    pub(super) fn fields(
        &mut self,
        defs: &IndexMap<String, FieldDef>,
        at: &str,
        side: Side,
    ) -> Vec<Field> {
        let mut fields: Vec<Field> = defs
            .iter()
            .map(|(name, def)| {
                let here = format!("{at}/{}", escape(name));
                let schema = self.schema(def, &here, side);
                self.note_credentials(def, &here, side);
                Field {
                    name: name.clone(),
                    presence: self.presence(def, &here, side),
                    single_use: self.single_use(def, &schema, &here, side),
                    schema,
                    conditions: Vec::new(),
                }
            })
            .collect();
        for (i, def) in defs.values().enumerate() {
            let here = format!("{at}/{}", escape(&fields[i].name));
            fields[i].conditions = self.conditions(def, i, &fields, &here);
        }
        fields
    }

    fn presence(&mut self, def: &FieldDef, at: &str, side: Side) -> Presence {
        match (def.required, &def.required_on) {
            (Some(_), Some(_)) => {
                let kind = K::Invalid("use either `required` or `requiredOn`, not both".into());
                self.error_key(&format!("{at}/requiredOn"), kind);
                Presence::Required
            }
            (_, Some(_)) if side == Side::Request => {
                let kind = K::Misplaced {
                    key: "requiredOn",
                    place: "on request fields",
                };
                self.error_key(&format!("{at}/requiredOn"), kind);
                Presence::Optional
            }
            (_, Some(statuses)) => {
                for (i, status) in statuses.iter().enumerate() {
                    self.check_status(status, &format!("{at}/requiredOn/{i}"));
                }
                Presence::RequiredOn(statuses.clone())
            }
            (Some(true), None) => Presence::Required,
            _ => Presence::Optional,
        }
    }

    /// Rejects `required`/`requiredOn` where no field list surrounds the definition.
    pub(super) fn no_presence(&mut self, def: &FieldDef, at: &str, place: &'static str) {
        if def.required.is_some() {
            self.error_key(
                &format!("{at}/required"),
                K::Misplaced {
                    key: "required",
                    place,
                },
            );
        }
        if def.required_on.is_some() {
            self.error_key(
                &format!("{at}/requiredOn"),
                K::Misplaced {
                    key: "requiredOn",
                    place,
                },
            );
        }
        let conditional = [
            ("requiredWhen", def.required_when.is_some()),
            ("forbiddenWhen", def.forbidden_when.is_some()),
            ("singleUse", def.single_use.is_some()),
            ("issues", def.issues.is_some()),
            ("accepts", def.accepts.is_some()),
        ];
        for (key, given) in conditional {
            if given {
                self.error_key(&format!("{at}/{key}"), K::Misplaced { key, place });
            }
        }
    }

    /// Compiles one definition (without its presence).
    pub(super) fn schema(&mut self, def: &FieldDef, at: &str, side: Side) -> Schema {
        let kinds = match self.kinds(&def.ty, at) {
            Some(kinds) => {
                self.check_applicable(def, &kinds, at);
                kinds
            }
            // An unknown type name is reported once; accepting anything here keeps its
            // constraints and examples from cascading into more errors.
            None => ANY.to_vec(),
        };
        let schema = Schema {
            strings: self.string_rules(def, at),
            numbers: self.number_rules(def, at),
            arrays: self.array_rules(def, at, side),
            objects: ObjectRules {
                fields: match &def.fields {
                    Some(fields) => self.fields(fields, &format!("{at}/fields"), side),
                    None => Vec::new(),
                },
                unknown: def.unknown_fields.unwrap_or(UnknownFields::Allow),
            },
            enum_values: def.enum_values.clone(),
            example: def.example.clone(),
            kinds,
        };
        self.defer_values(&schema, at);
        schema
    }

    /// Reports constraints given for kinds the type does not include.
    fn check_applicable(&mut self, def: &FieldDef, kinds: &[Kind], at: &str) {
        let has = |k: Kind| kinds.contains(&k);
        let string = has(Kind::String);
        let number = has(Kind::Integer) || has(Kind::Number);
        let (array, object) = (has(Kind::Array), has(Kind::Object));
        let (strings, numbers) = ("strings", "integers and numbers");
        let checks = [
            (def.min_length.is_some() && !string, "minLength", strings),
            (def.max_length.is_some() && !string, "maxLength", strings),
            (
                def.forbidden_chars.is_some() && !string,
                "forbiddenChars",
                strings,
            ),
            (def.pattern.is_some() && !string, "pattern", strings),
            (def.format.is_some() && !string, "format", strings),
            (def.minimum.is_some() && !number, "minimum", numbers),
            (def.maximum.is_some() && !number, "maximum", numbers),
            (def.min_items.is_some() && !array, "minItems", "arrays"),
            (def.max_items.is_some() && !array, "maxItems", "arrays"),
            (def.items.is_some() && !array, "items", "arrays"),
            (def.fields.is_some() && !object, "fields", "objects"),
            (
                def.unknown_fields.is_some() && !object,
                "unknownFields",
                "objects",
            ),
        ];
        for (misplaced, constraint, applies_to) in checks {
            if misplaced {
                let ty = type_text(&def.ty);
                let kind = K::NotApplicable {
                    constraint,
                    applies_to,
                    ty,
                };
                self.error_key(&format!("{at}/{constraint}"), kind);
            }
        }
    }

    /// The kinds a `type` names, or `None` after reporting a name that resolves to nothing.
    fn kinds(&mut self, ty: &TypeDef, at: &str) -> Option<Vec<Kind>> {
        let names: Vec<(String, &String)> = match ty {
            TypeDef::One(name) => vec![(format!("{at}/type"), name)],
            TypeDef::Union(names) => names
                .iter()
                .enumerate()
                .map(|(i, n)| (format!("{at}/type/{i}"), n))
                .collect(),
        };
        if names.is_empty() {
            let kind = K::Invalid("a union needs at least one type".into());
            self.error(&format!("{at}/type"), kind);
            return None;
        }
        let mut kinds = Vec::new();
        let mut resolved = true;
        for (here, name) in names {
            match self.kind_named(name) {
                Some(kind) if !kinds.contains(&kind) => kinds.push(kind),
                Some(_) => {}
                None => {
                    let known = self.known_types();
                    let name = name.clone();
                    self.error(&here, K::UnknownType { name, known });
                    resolved = false;
                }
            }
        }
        resolved.then_some(kinds)
    }

    fn kind_named(&self, name: &str) -> Option<Kind> {
        Kind::builtin(name).or_else(|| self.type_ids.get(name).map(|id| Kind::Named(*id)))
    }

    fn known_types(&self) -> String {
        let mut names: Vec<String> = BUILTIN_TYPES.iter().map(|s| format!("`{s}`")).collect();
        names.extend(self.type_names.iter().map(|s| format!("`{s}`")));
        names.join(", ")
    }

    fn string_rules(&mut self, def: &FieldDef, at: &str) -> StringRules {
        self.bounds(
            def.min_length,
            def.max_length,
            ("minLength", "maxLength"),
            at,
        );
        StringRules {
            min_length: def.min_length.map(|n| n as usize),
            max_length: def.max_length.map(|n| n as usize),
            forbidden: def
                .forbidden_chars
                .as_deref()
                .unwrap_or("")
                .chars()
                .collect(),
            pattern: def.pattern.as_ref().and_then(|p| self.pattern(p, at)),
            format: def.format,
        }
    }

    fn pattern(&mut self, source: &str, at: &str) -> Option<Pattern> {
        match compiled_pattern(source) {
            Ok(regex) => Some(Pattern {
                source: source.to_string(),
                regex,
            }),
            Err(err) => {
                // regex renders the pattern with a caret, then `error: <what>` on its last line.
                let text = err.to_string();
                let last = text.lines().last().unwrap_or("").trim();
                let message = last.trim_start_matches("error: ").to_string();
                self.error(&format!("{at}/pattern"), K::Pattern(message));
                None
            }
        }
    }

    fn number_rules(&mut self, def: &FieldDef, at: &str) -> NumberRules {
        if let (Some(min), Some(max)) = (&def.minimum, &def.maximum)
            && crate::rules::compare(min, max).is_gt()
        {
            let kind = K::MinAboveMax {
                min_key: "minimum",
                min: min.to_string(),
                max_key: "maximum",
                max: max.to_string(),
            };
            self.error(&format!("{at}/minimum"), kind);
        }
        NumberRules {
            minimum: def.minimum.clone(),
            maximum: def.maximum.clone(),
        }
    }

    fn array_rules(&mut self, def: &FieldDef, at: &str, side: Side) -> ArrayRules {
        self.bounds(def.min_items, def.max_items, ("minItems", "maxItems"), at);
        let items = def.items.as_ref().map(|items| {
            let here = format!("{at}/items");
            self.no_presence(items, &here, "on array items");
            Box::new(self.schema(items, &here, side))
        });
        ArrayRules {
            min_items: def.min_items.map(|n| n as usize),
            max_items: def.max_items.map(|n| n as usize),
            items,
        }
    }

    fn bounds(
        &mut self,
        min: Option<u64>,
        max: Option<u64>,
        keys: (&'static str, &'static str),
        at: &str,
    ) {
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            let kind = K::MinAboveMax {
                min_key: keys.0,
                min: min.to_string(),
                max_key: keys.1,
                max: max.to_string(),
            };
            self.error(&format!("{at}/{}", keys.0), kind);
        }
    }

    /// `enum` values and `example`s can only be checked once every named type is compiled.
    fn defer_values(&mut self, schema: &Schema, at: &str) {
        // One copy of the place and of the definition for all values: an enum can list
        // thousands, under a key as long as the contract makes it.
        let field: Rc<str> = Rc::from(at);
        if let Some(values) = &schema.enum_values {
            let without = Rc::new(schema_without_enum(schema));
            for (i, value) in values.iter().enumerate() {
                self.deferred.push(Deferred {
                    field: Rc::clone(&field),
                    enum_index: Some(i),
                    schema: Rc::clone(&without),
                    value: value.clone(),
                });
            }
        }
        if let Some(example) = &schema.example {
            self.deferred.push(Deferred {
                field,
                enum_index: None,
                schema: Rc::new(schema.clone()),
                value: example.clone(),
            });
        }
    }

    /// Assigns every named type an id before any definition is compiled, so types can refer to
    /// each other in any order.
    pub(super) fn declare_types(&mut self, types: &IndexMap<String, FieldDef>) {
        for (i, name) in types.keys().enumerate() {
            if Kind::builtin(name).is_some() {
                let kind = K::Invalid(format!("type name `{name}` is a built-in type"));
                self.error_key(&format!("/types/{}", escape(name)), kind);
            }
            self.type_ids.insert(name.clone(), TypeId(i));
            self.type_names.push(name.clone());
        }
    }
}

fn schema_without_enum(schema: &Schema) -> Schema {
    Schema {
        enum_values: None,
        example: None,
        ..schema.clone()
    }
}

fn type_text(ty: &TypeDef) -> String {
    match ty {
        TypeDef::One(name) => format!("`{name}`"),
        TypeDef::Union(names) => {
            let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            quoted.join(" | ")
        }
    }
}

/// Every built-in kind: what a field of unknown type is taken to accept.
pub(super) const ANY: [Kind; 7] = [
    Kind::String,
    Kind::Integer,
    Kind::Number,
    Kind::Boolean,
    Kind::Null,
    Kind::Object,
    Kind::Array,
];

/// A value checked after compilation: an enum value or an example, and the definition it must
/// fit.
pub(super) struct Deferred {
    /// The definition's place in the file.
    field: Rc<str>,
    /// Which enum value, or `None` for the example.
    enum_index: Option<usize>,
    /// What the value must fit.
    pub(super) schema: Rc<Schema>,
    /// The value.
    pub(super) value: Value,
}

impl Deferred {
    /// The value's place in the file, written out only when it is reported.
    pub(super) fn pointer(&self) -> String {
        match self.enum_index {
            Some(i) => format!("{}/enum/{i}", self.field),
            None => format!("{}/example", self.field),
        }
    }
}
