//! Compiled value schemas: type names resolved, patterns compiled, lengths as numbers.
//!
//! Every later stage (request validation in the reference implementation, response checks, case
//! generation, value generation) reads these types, never the raw file model.

use regex::Regex;
use serde_json::{Number, Value};

use crate::json::Pointer;

pub(crate) use super::model::{Format, UnknownFields};

/// What a value must be. Several `kinds` make a union: the value must fit one of them.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    /// The accepted kinds; never empty.
    pub kinds: Vec<Kind>,
    /// Rules that apply when the value is a string.
    pub strings: StringRules,
    /// Rules that apply when the value is an integer or number.
    pub numbers: NumberRules,
    /// Rules that apply when the value is an array (for the `array` kind).
    pub arrays: ArrayRules,
    /// Rules that apply when the value is an object (for the `object` kind).
    pub objects: ObjectRules,
    /// The only values allowed, whatever their kind.
    pub enum_values: Option<Vec<Value>>,
    /// A typical value from the contract, used when one has to be made up.
    pub example: Option<Value>,
}

/// One accepted kind of value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A JSON string.
    String,
    /// A JSON number without fraction or exponent.
    Integer,
    /// Any JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// `null`.
    Null,
    /// An object checked against this schema's [`ObjectRules`].
    Object,
    /// An array checked against this schema's [`ArrayRules`].
    Array,
    /// A named type from the contract's `types`.
    Named(TypeId),
}

/// Index of a named type in [`Types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TypeId(pub usize);

/// A contract's named types.
#[derive(Debug, Clone, Default)]
pub(crate) struct Types(pub Vec<NamedType>);

/// A named, reusable type such as `Amount`.
#[derive(Debug, Clone)]
pub(crate) struct NamedType {
    /// The name used in `type`.
    pub name: String,
    /// Its definition.
    pub schema: Schema,
}

impl Types {
    /// The named type behind `id`.
    pub(crate) fn get(&self, id: TypeId) -> &NamedType {
        &self.0[id.0]
    }
}

/// Constraints on strings.
#[derive(Debug, Clone, Default)]
pub(crate) struct StringRules {
    /// Fewest characters.
    pub min_length: Option<usize>,
    /// Most characters.
    pub max_length: Option<usize>,
    /// Characters that must not occur.
    pub forbidden: Vec<char>,
    /// A regular expression the value must match.
    pub pattern: Option<Pattern>,
    /// A well-known format.
    pub format: Option<Format>,
}

/// A compiled `pattern` with its source for messages.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    /// As written in the contract.
    pub source: String,
    /// Compiled.
    pub regex: Regex,
}

/// Constraints on integers and numbers.
#[derive(Debug, Clone, Default)]
pub(crate) struct NumberRules {
    /// Smallest allowed value.
    pub minimum: Option<Number>,
    /// Largest allowed value.
    pub maximum: Option<Number>,
}

/// Constraints on arrays.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArrayRules {
    /// Fewest elements.
    pub min_items: Option<usize>,
    /// Most elements.
    pub max_items: Option<usize>,
    /// Every element's schema; any value when absent.
    pub items: Option<Box<Schema>>,
}

/// Constraints on objects.
#[derive(Debug, Clone)]
pub(crate) struct ObjectRules {
    /// The named fields, in contract order.
    pub fields: Vec<Field>,
    /// What to do with other fields.
    pub unknown: UnknownFields,
}

impl Default for ObjectRules {
    fn default() -> Self {
        ObjectRules {
            fields: Vec::new(),
            unknown: UnknownFields::Allow,
        }
    }
}

/// A named member of an object.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The member name.
    pub name: String,
    /// When it must be present.
    pub presence: Presence,
    /// What its value must be.
    pub schema: Schema,
    /// When it must be present, or absent, depending on other fields of the same object.
    pub conditions: Vec<Condition>,
    /// Whether the implementation accepts each value once (an auth code): conform sends a fresh
    /// one in every request.
    pub single_use: bool,
}

/// A rule on a field's presence that depends on another field of the object holding it:
/// `authCode` required when `grantType` is `AUTHORIZATION_CODE`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    /// What the rule asks of the field when the test holds.
    pub effect: Effect,
    /// The other field, from the object holding this one (`/grantType`).
    pub pointer: Pointer,
    /// What the other field must be for the rule to apply.
    pub test: Test,
}

/// What a [`Condition`] asks of its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// It must be present.
    Required,
    /// It must be absent.
    Forbidden,
}

/// What the other field of a [`Condition`] must be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    /// Present, with one of these values.
    In(Vec<Value>),
    /// Present (`true`) or absent (`false`).
    Present(bool),
}

impl Condition {
    /// Whether the test holds in `holder`, the object holding the conditional field.
    pub(crate) fn holds(&self, holder: &serde_json::Map<String, Value>) -> bool {
        let other = self.pointer.get_in(holder);
        match &self.test {
            Test::In(values) => other.is_some_and(|v| values.contains(v)),
            Test::Present(present) => other.is_some() == *present,
        }
    }

    /// [`Condition::holds`] for any readable JSON object (a request parsed by the reference
    /// implementation, where a repeated name counts as its last occurrence).
    pub(crate) fn holds_in<J: crate::rules::JsonView>(&self, holder: &J) -> bool {
        use crate::rules::View;
        let other =
            self.pointer
                .segments()
                .iter()
                .try_fold(holder, |current, segment| match current.view() {
                    View::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => current.member(segment),
                });
        match &self.test {
            Test::In(values) => other.is_some_and(|v| values.iter().any(|x| v.equals(x))),
            Test::Present(present) => other.is_some() == *present,
        }
    }

    /// The other field as people read it: `grantType`, `payer.type`.
    pub(crate) fn other_name(&self) -> String {
        self.pointer.segments().join(".")
    }

    /// The test in words: `grantType is AUTHORIZATION_CODE`, `loginIdentity is absent`.
    pub(crate) fn describe(&self) -> String {
        let name = self.other_name();
        match &self.test {
            Test::In(values) if values.len() == 1 => format!("{name} is {}", shown(&values[0])),
            Test::In(values) => {
                let listed: Vec<String> = values.iter().map(shown).collect();
                format!("{name} is one of {}", listed.join(", "))
            }
            Test::Present(true) => format!("{name} is present"),
            Test::Present(false) => format!("{name} is absent"),
        }
    }
}

/// A condition's value as messages and case names show it: strings bare, others as JSON.
pub(crate) fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// When a field must be present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Presence {
    /// It may be absent.
    Optional,
    /// It must always be present.
    Required,
    /// Response fields: it must be present when the result status is one of these.
    RequiredOn(Vec<String>),
}

impl Presence {
    /// Whether the field must be present in a document whose result status is `status`.
    pub(crate) fn is_required(&self, status: Option<&str>) -> bool {
        match self {
            Presence::Optional => false,
            Presence::Required => true,
            Presence::RequiredOn(statuses) => {
                status.is_some_and(|s| statuses.iter().any(|t| t == s))
            }
        }
    }
}

impl Schema {
    /// A schema accepting exactly the given kinds, with no further rules.
    pub(crate) fn of(kinds: Vec<Kind>) -> Self {
        Schema {
            kinds,
            strings: StringRules::default(),
            numbers: NumberRules::default(),
            arrays: ArrayRules::default(),
            objects: ObjectRules::default(),
            enum_values: None,
            example: None,
        }
    }

    /// Whether the schema accepts more than one kind.
    pub(crate) fn is_union(&self) -> bool {
        self.kinds.len() > 1
    }
}

impl Kind {
    /// The name a contract uses for this kind.
    pub(crate) fn name<'a>(&self, types: &'a Types) -> &'a str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Null => "null",
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::Named(id) => &types.get(*id).name,
        }
    }

    /// The built-in kind for a type name, if it is one.
    pub(crate) fn builtin(name: &str) -> Option<Kind> {
        Some(match name {
            "string" => Kind::String,
            "integer" => Kind::Integer,
            "number" => Kind::Number,
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "object" => Kind::Object,
            "array" => Kind::Array,
            _ => return None,
        })
    }
}

/// The built-in type names, for messages.
pub(crate) const BUILTIN_TYPES: [&str; 7] = [
    "string", "integer", "number", "boolean", "object", "array", "null",
];
