//! A broken rule found in a JSON document: where, which rule, what was expected, what was there.

use std::fmt;

/// The rule a value broke. The kebab-case names appear in messages, case names and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// A required field is absent.
    Required,
    /// A field required for this result status is absent.
    RequiredOn,
    /// A field required by a condition on another field (`requiredWhen`) is absent.
    RequiredWhen,
    /// A field forbidden by a condition on another field (`forbiddenWhen`) is present.
    ForbiddenWhen,
    /// The value is of the wrong JSON type.
    Type,
    /// A string is shorter than `minLength`.
    MinLength,
    /// A string is longer than `maxLength`.
    MaxLength,
    /// A string holds a forbidden character.
    ForbiddenChar,
    /// A string does not match `pattern`.
    Pattern,
    /// A string is not a valid date-time.
    DateTime,
    /// The value is not in `enum`.
    Enum,
    /// A number is below `minimum`.
    Minimum,
    /// A number is above `maximum`.
    Maximum,
    /// An array has fewer than `minItems` elements.
    MinItems,
    /// An array has more than `maxItems` elements.
    MaxItems,
    /// An object has a field the contract does not name, and unknown fields are rejected.
    UnknownField,
}

impl Rule {
    /// The rule's name as messages and case names show it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::RequiredOn => "required-on-status",
            Rule::RequiredWhen => "required-when",
            Rule::ForbiddenWhen => "forbidden-when",
            Rule::Type => "type",
            Rule::MinLength => "min-length",
            Rule::MaxLength => "max-length",
            Rule::ForbiddenChar => "forbidden-char",
            Rule::Pattern => "pattern",
            Rule::DateTime => "date-time",
            Rule::Enum => "enum",
            Rule::Minimum => "minimum",
            Rule::Maximum => "maximum",
            Rule::MinItems => "min-items",
            Rule::MaxItems => "max-items",
            Rule::UnknownField => "unknown-field",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer to the offending value (or to where a missing field belongs).
    pub pointer: String,
    /// The rule broken.
    pub rule: Rule,
    /// What the contract wants, e.g. `at most 64 characters`.
    pub expected: String,
    /// What was there, e.g. `65 characters: "0111…"`.
    pub actual: String,
}

impl Violation {
    /// The pointer as people read it: `/cardNo`, or `(body)` for the whole document.
    pub fn place(&self) -> &str {
        if self.pointer.is_empty() {
            "(body)"
        } else {
            &self.pointer
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: expected {}, got {}",
            self.place(),
            self.rule,
            self.expected,
            self.actual
        )
    }
}
