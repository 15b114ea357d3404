//! Checking a JSON value against a compiled schema, producing violations as data.
//!
//! One validator serves three callers: the `response-schema` check, the reference
//! implementation's request validation, and the case planner, which uses it to confirm that a
//! generated negative case breaks exactly the rule it targets and a boundary case breaks none.

pub(crate) mod datetime;
mod view;
mod violation;

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Number, Value};

pub(crate) use view::{JsonView, View};
pub(crate) use violation::{Rule, Violation};

use crate::contract::schema::{
    Effect, Kind, ObjectRules, Schema, StringRules, TypeId, Types, UnknownFields,
};
use crate::json::{abbreviate, describe_kind};

/// Longest rendering of an offending value inside a message.
const SHOWN: usize = 48;

/// Validates `value` against `schema`. `status` is the document's result status, which decides
/// whether `requiredOn` fields must be present (pass `None` for requests).
pub(crate) fn validate(
    types: &Types,
    schema: &Schema,
    value: &Value,
    status: Option<&str>,
) -> Vec<Violation> {
    validate_view(types, schema, value, status)
}

/// The rules `value` breaks, without saying where or how: what the case planner asks of every
/// request it derives (does this change break exactly the rule it targets?). Rendering each
/// violation's pointer and message, which it never reads, was a quarter of planning's
/// allocations.
pub(crate) fn broken(types: &Types, schema: &Schema, value: &Value) -> Vec<Rule> {
    let mut validator = Validator {
        types,
        status: None,
        explain: false,
        found: Vec::new(),
    };
    validator.check(schema, value, &Place::Root);
    validator.found.into_iter().map(|v| v.rule).collect()
}

/// [`validate`] for any [`JsonView`], such as the reference implementation's borrowed requests.
pub(crate) fn validate_view<'a, J: JsonView>(
    types: &'a Types,
    schema: &'a Schema,
    value: &J,
    status: Option<&'a str>,
) -> Vec<Violation> {
    let mut validator = Validator {
        types,
        status,
        explain: true,
        found: Vec::new(),
    };
    validator.check(schema, value, &Place::Root);
    validator.found
}

struct Validator<'a> {
    types: &'a Types,
    status: Option<&'a str>,
    /// Whether each violation says where and how (a pointer, what was expected, what was
    /// there); without, only its rule is kept.
    explain: bool,
    found: Vec<Violation>,
}

/// Where the validator is in the document: each level a link to its parent on the stack, so
/// descending allocates nothing, and the JSON pointer is rendered only when a violation is
/// found there (building the pointer of every value checked was a tenth of the reference
/// implementation's time per request).
enum Place<'p> {
    Root,
    Name(&'p Place<'p>, &'p str),
    Index(&'p Place<'p>, usize),
}

impl Place<'_> {
    fn render(&self) -> String {
        let mut pointer = String::new();
        self.render_into(&mut pointer);
        pointer
    }

    /// Writes the parent's pointer, then this level's segment.
    fn render_into(&self, pointer: &mut String) {
        match self {
            Place::Root => {}
            Place::Name(parent, name) => {
                parent.render_into(pointer);
                pointer.push('/');
                pointer.push_str(&crate::json::pointer::escaped(name));
            }
            Place::Index(parent, i) => {
                parent.render_into(pointer);
                let _ = write!(pointer, "/{i}");
            }
        }
    }
}

impl<'a> Validator<'a> {
    fn check<J: JsonView>(&mut self, schema: &'a Schema, value: &J, at: &Place<'_>) {
        let fits = |kind: &&Kind| kind_matches(self.types, **kind, value);
        // Nearly every schema has one kind: looking at it alone spares a filtering iterator
        // for every value of every request the reference implementation answers.
        let (first, second) = match schema.kinds.as_slice() {
            [only] => (Some(only).filter(fits), None),
            kinds => {
                let mut matching = kinds.iter().filter(fits);
                (matching.next(), matching.next())
            }
        };
        // The common case, one fitting kind, allocates nothing.
        match (first, second) {
            // A value of the wrong type says nothing about its other rules: report only that.
            (None, _) => {
                let types = self.types;
                return self.push(at, Rule::Type, || {
                    (type_names(types, schema), describe(value))
                });
            }
            (Some(one), None) => self.check_kind(schema, *one, value, at),
            (Some(_), Some(_)) => {
                let several: Vec<Kind> = schema.kinds.iter().filter(fits).copied().collect();
                self.check_best_branch(schema, &several, value, at)
            }
        }
        if let Some(allowed) = &schema.enum_values
            && !allowed.iter().any(|a| value.equals(a))
        {
            self.push(at, Rule::Enum, || {
                let names = listed(allowed.iter().map(render_enum_value), ", ");
                (format!("one of {names}"), describe(value))
            });
        }
    }

    /// A value fitting several branches of a union (say two object types) is valid when one
    /// branch accepts it; otherwise the branch with the fewest violations is reported.
    fn check_best_branch<J: JsonView>(
        &mut self,
        schema: &'a Schema,
        kinds: &[Kind],
        value: &J,
        at: &Place<'_>,
    ) {
        let mut best: Option<Vec<Violation>> = None;
        for kind in kinds {
            let mut trial = Validator {
                types: self.types,
                status: self.status,
                explain: self.explain,
                found: Vec::new(),
            };
            trial.check_kind(schema, *kind, value, at);
            if trial.found.is_empty() {
                return;
            }
            if best.as_ref().is_none_or(|b| trial.found.len() < b.len()) {
                best = Some(trial.found);
            }
        }
        self.found.extend(best.unwrap_or_default());
    }

    fn check_kind<J: JsonView>(
        &mut self,
        schema: &'a Schema,
        kind: Kind,
        value: &J,
        at: &Place<'_>,
    ) {
        match (kind, value.view()) {
            (Kind::Named(id), _) => {
                let named = &self.types.get(id).schema;
                self.check(named, value, at);
            }
            (Kind::String, View::String(text)) => self.check_string(&schema.strings, text, at),
            (Kind::Integer | Kind::Number, View::Number(n)) => self.check_number(schema, n, at),
            (Kind::Array, View::Array(items)) => self.check_array(schema, items, at),
            (Kind::Object, View::Object) => self.check_object(&schema.objects, value, at),
            _ => {}
        }
    }

    fn check_string(&mut self, rules: &StringRules, text: &str, at: &Place<'_>) {
        let shown = || abbreviate(&Value::String(text.to_string()), SHOWN);
        if needs_count(rules, text) {
            let count = text.chars().count();
            if let Some(max) = rules.max_length.filter(|max| count > *max) {
                self.push(at, Rule::MaxLength, || {
                    let actual = format!("{count} characters: {}", shown());
                    (format!("at most {max} characters"), actual)
                });
            }
            if let Some(min) = rules.min_length.filter(|min| count < *min) {
                self.push(at, Rule::MinLength, || {
                    let actual = format!("{count} characters: {}", shown());
                    (format!("at least {min} characters"), actual)
                });
            }
        }
        if let Some(at_byte) = find_any(text, &rules.forbidden) {
            self.push(at, Rule::ForbiddenChar, || {
                let index = text[..at_byte].chars().count();
                let c = text[at_byte..].chars().next().unwrap_or_default();
                let chars = listed(rules.forbidden.iter().map(|c| format!("`{c}`")), " ");
                let actual = format!("`{c}` at character {} of {}", index + 1, shown());
                (format!("none of {chars}"), actual)
            });
        }
        if let Some(pattern) = &rules.pattern
            && !pattern.regex.is_match(text)
        {
            self.push(at, Rule::Pattern, || {
                (format!("a match for `{}`", pattern.source), shown())
            });
        }
        if rules.format.is_some()
            && let Err(why) = datetime::check(text)
        {
            self.push(at, Rule::DateTime, || {
                let expected = "an ISO 8601 date-time with offset".to_string();
                (expected, format!("{} ({why})", shown()))
            });
        }
    }

    fn check_number(&mut self, schema: &Schema, n: &Number, at: &Place<'_>) {
        let rules = &schema.numbers;
        if let Some(min) = &rules.minimum
            && compare(n, min) == Ordering::Less
        {
            self.push(at, Rule::Minimum, || {
                (format!("at least {min}"), n.to_string())
            });
        }
        if let Some(max) = &rules.maximum
            && compare(n, max) == Ordering::Greater
        {
            self.push(at, Rule::Maximum, || {
                (format!("at most {max}"), n.to_string())
            });
        }
    }

    #[inline(never)]
    fn check_array<J: JsonView>(&mut self, schema: &'a Schema, items: &[J], at: &Place<'_>) {
        let rules = &schema.arrays;
        let count = items.len();
        if let Some(max) = rules.max_items.filter(|max| count > *max) {
            self.push(at, Rule::MaxItems, || {
                (format!("at most {max} items"), format!("{count} items"))
            });
        }
        if let Some(min) = rules.min_items.filter(|min| count < *min) {
            self.push(at, Rule::MinItems, || {
                (format!("at least {min} items"), format!("{count} items"))
            });
        }
        if let Some(item_schema) = &rules.items {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &Place::Index(at, i));
            }
        }
    }

    /// Kept out of line, as is [`Self::check_array`]: most values checked are leaves, and with
    /// the containers' loops inlined into [`Self::check_kind`] every leaf paid for saving the
    /// registers those loops use.
    #[inline(never)]
    fn check_object<J: JsonView>(&mut self, rules: &'a ObjectRules, map: &J, at: &Place<'_>) {
        for field in &rules.fields {
            let at = &Place::Name(at, &field.name);
            match map.member(&field.name) {
                Some(value) => {
                    self.check(&field.schema, value, at);
                    if !field.conditions.is_empty() {
                        self.conditional(field, Effect::Forbidden, map, at);
                    }
                }
                None if field.presence.is_required(self.status) => {
                    let rule = match field.presence {
                        crate::contract::Presence::RequiredOn(_) => Rule::RequiredOn,
                        _ => Rule::Required,
                    };
                    self.push(at, rule, || ("present".into(), "absent".into()));
                }
                None if !field.conditions.is_empty() => {
                    self.conditional(field, Effect::Required, map, at)
                }
                None => {}
            }
        }
        if rules.unknown == UnknownFields::Reject {
            for key in map
                .member_names()
                .filter(|k| !rules.fields.iter().any(|f| f.name == *k))
            {
                self.push(&Place::Name(at, key), Rule::UnknownField, || {
                    let expected = "only the fields the contract names".into();
                    (expected, format!("unknown field `{key}`"))
                });
            }
        }
    }

    /// The first of the field's conditions with `effect` that holds in `holder`, as a
    /// violation (the field is absent where required, or present where forbidden).
    fn conditional<J: JsonView>(
        &mut self,
        field: &crate::contract::Field,
        effect: Effect,
        holder: &J,
        at: &Place<'_>,
    ) {
        let Some(condition) = field
            .conditions
            .iter()
            .find(|c| c.effect == effect && c.holds_in(holder))
        else {
            return;
        };
        let (rule, expected, actual) = match effect {
            Effect::Required => (Rule::RequiredWhen, "present", "absent"),
            Effect::Forbidden => (Rule::ForbiddenWhen, "absent", "present"),
        };
        self.push(at, rule, || {
            let expected = format!("{expected} when {}", condition.describe());
            (expected, actual.into())
        });
    }

    /// Records that `rule` is broken at `at`; `details` (what was expected, what was there)
    /// is worked out only when violations are explained.
    fn push(&mut self, at: &Place<'_>, rule: Rule, details: impl FnOnce() -> (String, String)) {
        let (pointer, (expected, actual)) = match self.explain {
            true => (at.render(), details()),
            false => Default::default(),
        };
        self.found.push(Violation {
            pointer,
            rule,
            expected,
            actual,
        });
    }
}

fn type_names(types: &Types, schema: &Schema) -> String {
    let names: Vec<&str> = schema.kinds.iter().map(|k| k.name(types)).collect();
    names.join(" or ")
}

/// Whether `value` is of `kind` (shallowly: a named type matches when its kinds do).
pub(crate) fn kind_matches<J: JsonView>(types: &Types, kind: Kind, value: &J) -> bool {
    match (kind, value.view()) {
        (Kind::String, View::String(_)) => true,
        (Kind::Integer, View::Number(n)) => n.is_i64() || n.is_u64(),
        (Kind::Number, View::Number(_)) => true,
        (Kind::Boolean, View::Bool(_)) => true,
        (Kind::Null, View::Null) => true,
        (Kind::Object, View::Object) => true,
        (Kind::Array, View::Array(_)) => true,
        (Kind::Named(id), _) => named_matches(types, id, value),
        _ => false,
    }
}

/// [`kind_matches`] for a named type, kept out of line: only this case recurses, and without
/// it `kind_matches` is small enough for the compiler to inline where it pays. (Forcing it
/// inline everywhere saved `serve` another 0.1k instructions per request but cost `verify` 5%
/// more CPU time: the planner's copies grew.)
#[inline(never)]
fn named_matches<J: JsonView>(types: &Types, id: TypeId, value: &J) -> bool {
    let named = &types.get(id).schema;
    named.kinds.iter().any(|k| kind_matches(types, *k, value))
}

/// Whether the length rules need `text`'s characters counted: a string of `n` bytes has
/// between `n / 4` and `n` characters, which settles most strings without counting.
fn needs_count(rules: &StringRules, text: &str) -> bool {
    let bytes = text.len();
    rules.max_length.is_some_and(|max| bytes > max)
        || rules.min_length.is_some_and(|min| bytes.div_ceil(4) < min)
}

/// The byte offset of the first of `chars` in `text`. Forbidden characters are usually a few
/// ASCII ones (`@#?`), found with a vectorised byte search: an ASCII byte never occurs inside
/// a multi-byte character, so the offset is a character boundary.
fn find_any(text: &str, chars: &[char]) -> Option<usize> {
    let haystack = text.as_bytes();
    let ascii = |c: &char| u8::try_from(*c).ok().filter(u8::is_ascii);
    match chars {
        [] => None,
        [a] if ascii(a).is_some() => memchr::memchr(*a as u8, haystack),
        [a, b] if ascii(a).and(ascii(b)).is_some() => memchr::memchr2(*a as u8, *b as u8, haystack),
        [a, b, c] if ascii(a).and(ascii(b)).and(ascii(c)).is_some() => {
            memchr::memchr3(*a as u8, *b as u8, *c as u8, haystack)
        }
        _ => find_forbidden(text, chars),
    }
}

/// Orders two JSON numbers exactly when both are integers, by `f64` otherwise.
pub(crate) fn compare(a: &Number, b: &Number) -> Ordering {
    match (as_i128(a), as_i128(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => {
            let x = a.as_f64().unwrap_or(f64::NAN);
            let y = b.as_f64().unwrap_or(f64::NAN);
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
    }
}

fn as_i128(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

fn describe<J: JsonView>(value: &J) -> String {
    match value.to_value() {
        Value::Null => "null".to_string(),
        value => format!("{} {}", describe_kind(&value), abbreviate(&value, SHOWN)),
    }
}

/// The byte offset of the first forbidden character of `text`. A contract may forbid
/// thousands of characters: past a few, a sorted copy keeps the scan linear in the text.
fn find_forbidden(text: &str, forbidden: &[char]) -> Option<usize> {
    if forbidden.len() <= 8 {
        return text.find(forbidden);
    }
    let mut sorted = forbidden.to_vec();
    sorted.sort_unstable();
    text.char_indices()
        .find(|(_, c)| sorted.binary_search(c).is_ok())
        .map(|(i, _)| i)
}

/// Most items of a contract's list (enum values, forbidden characters) named in a message.
const LISTED: usize = 20;

/// The first [`LISTED`] items joined, then how many more: a contract's list can be long, and
/// every message naming it is shown or sent.
fn listed(items: impl ExactSizeIterator<Item = String>, separator: &str) -> String {
    let total = items.len();
    let mut text = items.take(LISTED).collect::<Vec<_>>().join(separator);
    if total > LISTED {
        let _ = write!(text, "{separator}… ({} more)", total - LISTED);
    }
    text
}

fn render_enum_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
