//! The shape check: a contract file's JSON walked alongside the JSON Schema of the format, before
//! serde reads it, so every unknown key (with the closest valid one), wrong JSON type, missing
//! or duplicate key and unknown keyword of a file is reported at once, each at its place.
//!
//! serde stops at the first problem and knows no spans; this walk does neither. It is driven by
//! the schema schemars derives from [`super::model::ContractFile`] (the one `conform schema`
//! prints), so a key added to the model is checked here without any change. It understands the
//! keywords schemars emits (`$ref`, `type`, `properties`, `additionalProperties`, `required`,
//! `items`, `anyOf`/`oneOf`/`allOf`, `const`, `enum`, integer `format`s and bounds) and lets
//! anything else through: serde and the compiler still judge what is left.

mod describe;
mod duplicates;

pub(crate) use describe::suggest as closest;
pub(crate) use duplicates::none_repeated;

use std::collections::HashMap;
use std::sync::OnceLock;

use jsonc_parser::ast::{ObjectPropName, Value as Node};
use serde_json::{Map, Value};

use self::describe::{expected, found, integer_bounds, quoted_hint, suggest};
use super::error::{ContractError, ContractErrorKind as K, MAX_ERRORS_PER_FILE};
use super::source::{SourceText, Span, key_span, node_span};
use crate::json::pointer::escape;

/// Deepest nesting read: serde_json's own limit, reported here with a place instead.
pub(super) const MAX_DEPTH: usize = 128;

/// Most `$ref`s followed without reaching a definition (a guard; schemars never loops).
const MAX_REF_HOPS: usize = 16;

/// What the shape check found in a file that is valid JSON.
#[derive(Debug, Default)]
pub(crate) struct Shape {
    /// Every shape problem, in file order.
    pub errors: Vec<ContractError>,
    /// JSON pointers of the unknown keys: the only problems after which the rest of the file
    /// can still be compiled (with those keys left out), so its other errors show too.
    pub unknown_keys: Vec<String>,
    /// Whether every problem is an unknown key.
    pub recoverable: bool,
    /// Problems found past [`MAX_ERRORS_PER_FILE`], counted but not built.
    pub left_out: usize,
}

/// Checks `source` against the contract format. `Err` is the file's syntax error: nothing else
/// can be said about a file that is not JSON.
pub(super) fn check(source: &SourceText) -> Result<Shape, ContractError> {
    check_against(source, format_schema())
}

/// Checks `source` against `schema`, a JSON Schema schemars derived (the scenario format's, say).
pub(crate) fn check_against(
    source: &SourceText,
    schema: &'static Value,
) -> Result<Shape, ContractError> {
    if source.text.starts_with('\u{feff}') {
        let kind = K::Encoding("the file starts with a byte order mark (BOM)".into());
        return Err(ContractError::at(source, Span { start: 0, end: 3 }, kind));
    }
    let found = source
        .parse_tree(|root| {
            let mut walker = Walker {
                source,
                root: schema,
                found: Vec::new(),
                path: Vec::new(),
                too_deep: false,
                left_out: 0,
            };
            walker.check(root, schema, None, 0);
            (walker.found, walker.left_out)
        })
        .map_err(|syntax| ContractError::at(source, syntax.span, K::Syntax(syntax.message)))?;
    let (found, left_out) = found;
    let mut shape = Shape {
        recoverable: left_out == 0 && found.iter().all(|p| p.unknown_key.is_some()),
        left_out,
        ..Shape::default()
    };
    for problem in found {
        shape.unknown_keys.extend(problem.unknown_key);
        let error = ContractError::at(source, problem.span, problem.kind);
        shape.errors.push(error);
    }
    Ok(shape)
}

/// The contract format's JSON Schema as a JSON value, derived once.
fn format_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let schema = schemars::schema_for!(super::model::ContractFile);
        serde_json::to_value(schema).unwrap_or(Value::Bool(true))
    })
}

/// A problem found, located only when it is kept: the trials of a union's branches find and
/// drop problems on valid files too.
struct Problem {
    span: Span,
    kind: K,
    /// The pointer of the key, when the problem is an unknown key.
    unknown_key: Option<String>,
}

struct Walker<'s> {
    source: &'s SourceText,
    root: &'static Value,
    found: Vec<Problem>,
    /// Member names and indices from the root to the current node.
    path: Vec<String>,
    too_deep: bool,
    left_out: usize,
}

impl Walker<'_> {
    /// Checks `node` against `schema`; `key` is the span of the key naming it, if any.
    fn check(&mut self, node: &Node<'_>, schema: &'static Value, key: Option<Span>, depth: usize) {
        if depth > MAX_DEPTH {
            self.too_deep(node);
            return;
        }
        let Some(schema) = self.resolve(schema) else {
            return self.children_only(node, depth);
        };
        if let Some(branches) = any_of(schema) {
            return self.branches(node, branches, key, depth);
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.check(node, part, key, depth);
            }
            return;
        }
        if !accepts_type(schema, node) || !self.keyword_fits(node, schema) {
            return self.wrong(node, schema);
        }
        match node {
            Node::Object(object) => self.object(object, schema, key, depth),
            Node::Array(array) => {
                let items = schema.get("items").unwrap_or(&Value::Bool(true));
                for (i, element) in array.elements.iter().enumerate() {
                    self.path.push(i.to_string());
                    self.check(element, items, None, depth + 1);
                    self.path.pop();
                }
            }
            Node::NumberLit(number) => self.number(node, number.value, schema),
            _ => {}
        }
    }

    /// Follows `$ref`s to a definition; `None` when the schema accepts anything.
    fn resolve(&self, mut schema: &'static Value) -> Option<&'static Map<String, Value>> {
        for _ in 0..MAX_REF_HOPS {
            let object = schema.as_object()?;
            match object.get("$ref").and_then(Value::as_str) {
                Some(reference) => schema = self.definition(reference)?,
                None => return (!is_any(object)).then_some(object),
            }
        }
        None
    }

    fn definition(&self, reference: &str) -> Option<&'static Value> {
        let name = reference.strip_prefix("#/$defs/")?;
        self.root.get("$defs")?.get(name)
    }

    /// A node checked against alternatives: fine when one accepts it; otherwise the problems of
    /// the alternative closest to it (same JSON type, fewest problems).
    fn branches(
        &mut self,
        node: &Node<'_>,
        branches: &'static [Value],
        key: Option<Span>,
        depth: usize,
    ) {
        let candidates: Vec<&'static Value> = branches
            .iter()
            .filter(|b| self.shallow_accepts(b, node))
            .collect();
        if candidates.is_empty() {
            let expected = describe::alternatives(self, branches);
            return self.wrong_with(node, expected);
        }
        if let Some(values) = self.keywords(branches)
            && let Node::StringLit(text) = node
        {
            if !values.iter().any(|v| v == text.value.as_ref()) {
                self.unknown_value(node, &text.value, &values);
            }
            return;
        }
        let mut best: Option<Vec<Problem>> = None;
        for branch in candidates {
            let before = std::mem::take(&mut self.found);
            self.check(node, branch, key, depth);
            let trial = std::mem::replace(&mut self.found, before);
            if trial.is_empty() {
                return;
            }
            if best.as_ref().is_none_or(|b| trial.len() < b.len()) {
                best = Some(trial);
            }
        }
        self.found.extend(best.unwrap_or_default());
    }

    /// The allowed strings when every alternative is a single keyword (`"allow"`, `"reject"`).
    fn keywords(&self, branches: &'static [Value]) -> Option<Vec<String>> {
        let mut values = Vec::new();
        for branch in branches {
            let branch = self.resolve(branch)?;
            match (branch.get("const"), branch.get("enum")) {
                (Some(Value::String(value)), _) => values.push(value.clone()),
                (None, Some(Value::Array(all))) if all.iter().all(Value::is_string) => {
                    values.extend(all.iter().filter_map(Value::as_str).map(String::from));
                }
                _ => return None,
            }
        }
        Some(values)
    }

    fn shallow_accepts(&self, schema: &'static Value, node: &Node<'_>) -> bool {
        match self.resolve(schema) {
            None => true,
            Some(resolved) => match any_of(resolved) {
                Some(branches) => branches.iter().any(|b| self.shallow_accepts(b, node)),
                None => accepts_type(resolved, node),
            },
        }
    }

    /// `const` and `enum`; only string keywords get a suggestion.
    fn keyword_fits(&mut self, node: &Node<'_>, schema: &'static Map<String, Value>) -> bool {
        let allowed: Vec<Value> = match (schema.get("const"), schema.get("enum")) {
            (Some(value), _) => vec![value.clone()],
            (None, Some(Value::Array(values))) => values.clone(),
            _ => return true,
        };
        let value = literal(node);
        if value.as_ref().is_some_and(|v| allowed.contains(v)) {
            return true;
        }
        if let Node::StringLit(text) = node
            && allowed.iter().all(Value::is_string)
        {
            let names: Vec<String> = allowed
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect();
            self.unknown_value(node, &text.value, &names);
            return true;
        }
        false
    }

    fn object(
        &mut self,
        object: &jsonc_parser::ast::Object<'_>,
        schema: &'static Map<String, Value>,
        key: Option<Span>,
        depth: usize,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for prop in &object.properties {
            let name = prop_name(&prop.name);
            let name_span = key_span(&prop.name);
            if let Some(first) = seen.insert(name, name_span) {
                let first_line = self.source.line_col(first.start).0;
                let kind = K::DuplicateKey {
                    key: name.to_string(),
                    first_line,
                };
                self.push(name_span, kind, None);
            }
            self.path.push(name.to_string());
            match properties.and_then(|p| p.get(name)) {
                Some(child) => self.check(&prop.value, child, Some(name_span), depth + 1),
                None => match additional {
                    Some(Value::Bool(false)) => {
                        self.unknown_key(name, name_span, properties);
                        self.children_only(&prop.value, depth + 1);
                    }
                    Some(child) => self.check(&prop.value, child, Some(name_span), depth + 1),
                    None => self.children_only(&prop.value, depth + 1),
                },
            }
            self.path.pop();
        }
        self.missing(object, schema, key, &seen);
    }

    fn missing(
        &mut self,
        object: &jsonc_parser::ast::Object<'_>,
        schema: &Map<String, Value>,
        key: Option<Span>,
        seen: &HashMap<&str, Span>,
    ) {
        let Some(required) = schema.get("required").and_then(Value::as_array) else {
            return;
        };
        let names: Vec<&str> = required.iter().filter_map(Value::as_str).collect();
        let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        let object_start = Span {
            start: object.range.start,
            end: object.range.start + 1,
        };
        for name in names.iter().filter(|n| !seen.contains_key(**n)) {
            let kind = K::MissingKey {
                key: name.to_string(),
                required: listed.join(", "),
            };
            self.push(key.unwrap_or(object_start), kind, None);
        }
    }

    fn unknown_key(&mut self, name: &str, span: Span, properties: Option<&Map<String, Value>>) {
        let known: Vec<&str> = properties
            .map(|p| {
                p.keys()
                    .map(String::as_str)
                    .filter(|k| !k.starts_with('$'))
                    .collect()
            })
            .unwrap_or_default();
        let kind = K::UnknownKey {
            key: name.to_string(),
            suggestion: suggest(name, &known),
            allowed: known.join(", "),
        };
        let pointer: String = self
            .path
            .iter()
            .map(|s| format!("/{}", escape(s)))
            .collect();
        self.push(span, kind, Some(pointer));
    }

    fn unknown_value(&mut self, node: &Node<'_>, value: &str, allowed: &[String]) {
        let names: Vec<&str> = allowed.iter().map(String::as_str).collect();
        let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        let kind = K::UnknownValue {
            value: value.to_string(),
            suggestion: suggest(value, &names),
            allowed: listed.join(", "),
        };
        self.push(node_span(node), kind, None);
    }

    /// Integers: whole, within the type's range; numbers: finite.
    fn number(&mut self, node: &Node<'_>, text: &str, schema: &'static Map<String, Value>) {
        let types = type_names(schema);
        if types.contains(&"integer") && !types.contains(&"number") {
            let (min, max) = integer_bounds(schema);
            let fits = parse_whole(text).is_some_and(|n| min <= n && n <= max);
            if !fits {
                self.wrong(node, schema);
            }
        } else if !text.parse::<f64>().is_ok_and(f64::is_finite) {
            let kind = K::WrongType {
                expected: "a number between -1.8e308 and 1.8e308".into(),
                found: found(node),
                hint: None,
            };
            self.push(node_span(node), kind, None);
        }
    }

    fn wrong(&mut self, node: &Node<'_>, schema: &'static Map<String, Value>) {
        let expected = expected(self, schema);
        self.wrong_with(node, expected);
    }

    fn wrong_with(&mut self, node: &Node<'_>, expected: String) {
        let kind = K::WrongType {
            hint: quoted_hint(node, &expected),
            expected,
            found: found(node),
        };
        self.push(node_span(node), kind, None);
    }

    /// A subtree the format does not describe (an example body, an unknown key's value) is
    /// still read by serde: only duplicate keys and depth matter there.
    fn children_only(&mut self, node: &Node<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            return self.too_deep(node);
        }
        match node {
            Node::Object(object) => self.object(object, &ANY, None, depth),
            Node::Array(array) => {
                for (i, element) in array.elements.iter().enumerate() {
                    self.path.push(i.to_string());
                    self.children_only(element, depth + 1);
                    self.path.pop();
                }
            }
            _ => {}
        }
    }

    fn too_deep(&mut self, node: &Node<'_>) {
        if !std::mem::replace(&mut self.too_deep, true) {
            let kind = K::Invalid(format!("values nest more than {MAX_DEPTH} levels deep"));
            self.push(node_span(node), kind, None);
        }
    }

    fn push(&mut self, span: Span, kind: K, unknown_key: Option<String>) {
        if self.found.len() >= MAX_ERRORS_PER_FILE {
            self.left_out += 1;
            return;
        }
        self.found.push(Problem {
            span,
            kind,
            unknown_key,
        });
    }
}

static ANY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

fn any_of(schema: &'static Map<String, Value>) -> Option<&'static [Value]> {
    schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
}

/// A schema with no constraining keyword (only `description`, `default`, ...). Its few keys are
/// compared rather than each keyword looked up: this runs for every value of every contract.
fn is_any(schema: &Map<String, Value>) -> bool {
    const CONSTRAINING: [&str; 11] = [
        "type",
        "properties",
        "additionalProperties",
        "required",
        "items",
        "anyOf",
        "oneOf",
        "allOf",
        "const",
        "enum",
        "$ref",
    ];
    !schema.keys().any(|k| CONSTRAINING.contains(&k.as_str()))
}

fn type_names(schema: &Map<String, Value>) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether the node's JSON type is one the schema's `type` lists (any, without `type`).
fn accepts_type(schema: &Map<String, Value>, node: &Node<'_>) -> bool {
    let types = type_names(schema);
    if schema.get("type").is_none() {
        return true;
    }
    types.iter().any(|t| match (*t, node) {
        ("string", Node::StringLit(_)) => true,
        ("number", Node::NumberLit(_)) => true,
        ("integer", Node::NumberLit(n)) => !n.value.contains(['.', 'e', 'E']),
        ("boolean", Node::BooleanLit(_)) => true,
        ("null", Node::NullKeyword(_)) => true,
        ("object", Node::Object(_)) => true,
        ("array", Node::Array(_)) => true,
        _ => false,
    })
}

fn parse_whole(text: &str) -> Option<i128> {
    text.parse::<i128>().ok()
}

fn literal(node: &Node<'_>) -> Option<Value> {
    match node {
        Node::StringLit(text) => Some(Value::String(text.value.to_string())),
        Node::BooleanLit(b) => Some(Value::Bool(b.value)),
        Node::NullKeyword(_) => Some(Value::Null),
        Node::NumberLit(n) => serde_json::from_str(n.value).ok(),
        _ => None,
    }
}

fn prop_name<'a>(name: &'a ObjectPropName<'_>) -> &'a str {
    match name {
        ObjectPropName::String(lit) => lit.value.as_ref(),
        ObjectPropName::Word(lit) => lit.value,
    }
}

#[cfg(test)]
mod tests;
