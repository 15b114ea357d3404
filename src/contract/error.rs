//! Contract errors: what is wrong, where (file, line, column), and how it is shown to people.
//!
//! Rendering follows rustc: `error: <what>`, ` --> file:line:col`, the source line with carets
//! under the offending token, then a `= help:` line saying what was expected.

use std::fmt::{self, Write as _};
use std::path::PathBuf;

use super::source::{SourceText, Span};

/// One problem in one contract file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.render())]
pub struct ContractError {
    /// The file, as the user named it.
    pub file: PathBuf,
    /// Where in the file, when the problem has a place.
    pub location: Option<Box<Location>>,
    /// What is wrong.
    pub kind: ContractErrorKind,
}

/// A place in a contract file, with the line's text for the snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The whole source line.
    pub line_text: String,
    /// How many characters to underline.
    pub width: usize,
}

/// The kinds of contract errors. Messages are lowercase fragments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractErrorKind {
    /// The file could not be read.
    #[error("cannot read contract: {0}")]
    Io(String),
    /// The file is not valid JSON.
    #[error("invalid JSON: {0}")]
    Syntax(String),
    /// The JSON does not have the shape of a contract (unknown key, wrong value type, ...).
    #[error("{0}")]
    Shape(String),
    /// A `type` names neither a built-in type nor an entry of `types`.
    #[error("unknown type `{name}`")]
    UnknownType {
        /// The name used.
        name: String,
        /// The names that would have worked.
        known: String,
    },
    /// A constraint was given for a type it cannot apply to.
    #[error("`{constraint}` applies to {applies_to}, but the type here is {ty}")]
    NotApplicable {
        /// The constraint key.
        constraint: &'static str,
        /// The kinds it applies to.
        applies_to: &'static str,
        /// The field's type as written.
        ty: String,
    },
    /// A lower bound is above its upper bound.
    #[error("`{min_key}` ({min}) is greater than `{max_key}` ({max})")]
    MinAboveMax {
        /// The lower bound's key.
        min_key: &'static str,
        /// Its value.
        min: String,
        /// The upper bound's key.
        max_key: &'static str,
        /// Its value.
        max: String,
    },
    /// A `pattern` is not a valid regular expression.
    #[error("invalid pattern: {0}")]
    Pattern(String),
    /// A key is used where it means nothing.
    #[error("`{key}` is not allowed {place}")]
    Misplaced {
        /// The key.
        key: &'static str,
        /// Where it was found, e.g. "on request fields".
        place: &'static str,
    },
    /// A JSON pointer is malformed or points nowhere in the schema.
    #[error("{0}")]
    Pointer(String),
    /// A result status is used that `result.statuses` does not list.
    #[error("unknown result status `{status}`")]
    UnknownStatus {
        /// The status used.
        status: String,
        /// The statuses declared.
        known: String,
        /// Where they are declared: `result.statuses`, or `responses`.
        declared_in: &'static str,
    },
    /// A code is used that the catalogue does not list with the needed status.
    #[error("code `{code}` is not in `result.codes` with status `{status}`")]
    UnknownCode {
        /// The code.
        code: String,
        /// The status it must go with.
        status: String,
    },
    /// A name is defined twice.
    #[error("duplicate {what} `{name}`")]
    Duplicate {
        /// What kind of name (example, code, contract, ...).
        what: &'static str,
        /// The name.
        name: String,
    },
    /// An example's request or response does not fit the contract.
    #[error("{what} does not fit the contract: {violations}")]
    ExampleInvalid {
        /// "example `x` request", "example `x` response".
        what: String,
        /// The violations, joined.
        violations: String,
    },
    /// Any other rule of the format; the message says which.
    #[error("{0}")]
    Invalid(String),
}

impl ContractErrorKind {
    /// What would have been right, shown as `= help:`.
    pub fn help(&self) -> Option<String> {
        match self {
            ContractErrorKind::UnknownType { known, .. } => {
                Some(format!("expected one of {known}"))
            }
            ContractErrorKind::UnknownStatus {
                known, declared_in, ..
            } => Some(format!(
                "the statuses declared in `{declared_in}` are {known}"
            )),
            ContractErrorKind::UnknownCode { .. } => {
                Some("add the code to `result.codes` or use one listed there".into())
            }
            ContractErrorKind::Syntax(_) => {
                Some("contracts are plain JSON: no comments, no trailing commas".into())
            }
            _ => None,
        }
    }
}

impl ContractError {
    /// An error with no place in the file (it could not be read).
    pub fn whole_file(file: PathBuf, kind: ContractErrorKind) -> Self {
        ContractError {
            file,
            location: None,
            kind,
        }
    }

    /// An error at `span` of `source`.
    pub fn at(source: &SourceText, span: Span, kind: ContractErrorKind) -> Self {
        let (line, column) = source.line_col(span.start);
        let line_text = source.line_text(span.start).to_string();
        let rest_of_line = line_text.chars().count().saturating_sub(column - 1);
        let span_chars = source.text[span.start..span.end.min(source.text.len())]
            .chars()
            .count();
        ContractError {
            file: source.path.clone(),
            location: Some(Box::new(Location {
                line,
                column,
                line_text,
                width: span_chars.clamp(1, rest_of_line.max(1)),
            })),
            kind,
        }
    }

    /// Renders the error like rustc does.
    pub fn render(&self) -> String {
        let mut out = format!("error: {}\n", self.kind);
        let file = self.file.display();
        match &self.location {
            None => {
                let _ = writeln!(out, " --> {file}");
            }
            Some(loc) => write_snippet(&mut out, &file, loc),
        }
        if let Some(help) = self.kind.help() {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

fn write_snippet(out: &mut String, file: &impl fmt::Display, loc: &Location) {
    let gutter = loc.line.to_string().len();
    let pad = " ".repeat(gutter);
    let indent: String = loc
        .line_text
        .chars()
        .take(loc.column - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let _ = writeln!(out, "{pad}--> {file}:{}:{}", loc.line, loc.column);
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{} | {}", loc.line, loc.line_text);
    let _ = writeln!(out, "{pad} | {indent}{}", "^".repeat(loc.width));
}

/// All the errors found in a set of contract files.
#[derive(Debug, Clone, Default, thiserror::Error)]
#[error("{}", self.render())]
pub struct ContractErrors(pub Vec<ContractError>);

impl ContractErrors {
    /// Every error rendered, then a count.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for error in &self.0 {
            out.push_str(&error.render());
            out.push('\n');
        }
        let n = self.0.len();
        let files: std::collections::BTreeSet<_> = self.0.iter().map(|e| &e.file).collect();
        let _ = write!(
            out,
            "error: {n} problem{} in {} contract file{}",
            plural(n),
            files.len(),
            plural(files.len())
        );
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn renders_file_line_column_and_carets_under_the_token() {
        let text = "{\n  \"name\": 12\n}".to_string();
        let source = SourceText::parse(Path::new("c.json"), text).unwrap();
        let span = source.value_span("/name");
        let err = ContractError::at(
            &source,
            span,
            ContractErrorKind::Shape("invalid type: integer `12`, expected a string".into()),
        );
        assert_eq!(
            err.render(),
            "error: invalid type: integer `12`, expected a string\n \
             --> c.json:2:11\n  |\n2 |   \"name\": 12\n  |           ^^\n"
        );
    }
}
