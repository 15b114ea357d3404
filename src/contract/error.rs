//! Contract errors: what is wrong, where (file, line, column), and how it is shown to people.
//!
//! Rendering follows rustc: `error: <what>`, ` --> file:line:col`, the source line with carets
//! under the offending token, then a `= help:` line saying what was expected.

use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use super::source::{SourceText, Span};

/// One problem in one contract file.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.render())]
pub struct ContractError {
    /// The file, as the user named it.
    pub file: PathBuf,
    /// Where in the file, when the problem has a place.
    pub(crate) location: Option<Box<Location>>,
    /// What is wrong.
    pub(crate) kind: ContractErrorKind,
}

/// A place in a contract file, with the line's text for the snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The source line as shown: a long line (a minified contract) is cut to a window around
    /// the column, marked with `…`, and control characters are replaced.
    pub line_text: String,
    /// 1-based column of the first caret within `line_text`.
    pub caret: usize,
    /// How many characters to underline.
    pub width: usize,
}

/// Most errors reported for one file; a file breaking more rules gets a last error saying
/// how many were left out. Rendering an error costs at least its line, so an unbounded count
/// would make a large broken file cost time and output quadratic in its size.
pub(crate) const MAX_ERRORS_PER_FILE: usize = 100;

/// Most characters of a source line shown in a snippet.
const SHOWN_LINE: usize = 120;
/// Characters kept before the column when a long line is cut.
const SHOWN_BEFORE: usize = 40;

/// The kinds of contract errors. Messages are lowercase fragments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ContractErrorKind {
    /// The file could not be read.
    #[error("cannot read contract: {0}")]
    Io(String),
    /// The file is not valid JSON.
    #[error("invalid JSON: {0}")]
    Syntax(String),
    /// The file is not UTF-8 text (or starts with a byte order mark).
    #[error("{0}")]
    Encoding(String),
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
    /// A key the format does not have at this place.
    #[error("unknown key `{key}`")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// The closest valid key, when one is close.
        suggestion: Option<String>,
        /// The keys allowed here, comma-separated.
        allowed: String,
    },
    /// A key given twice in one object.
    #[error("duplicate key `{key}`")]
    DuplicateKey {
        /// The key.
        key: String,
        /// The line of its first occurrence.
        first_line: usize,
    },
    /// A required key is absent.
    #[error("missing key `{key}`")]
    MissingKey {
        /// The key.
        key: String,
        /// Every key required here, for the help line.
        required: String,
    },
    /// A value of the wrong JSON type (or out of its range).
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the format wants here.
        expected: String,
        /// What the file holds.
        found: String,
        /// How to fix it, when it is obvious (a number written as a string).
        hint: Option<String>,
    },
    /// A string that is not one of the keywords allowed here.
    #[error("unknown value `{value}`")]
    UnknownValue {
        /// The value as written.
        value: String,
        /// The closest allowed value, when one is close.
        suggestion: Option<String>,
        /// The allowed values.
        allowed: String,
    },
    /// A named type no finite value can satisfy: it is only itself, or requires itself.
    #[error("type `{name}` has no finite value: {chain}")]
    EndlessType {
        /// The type.
        name: String,
        /// How it comes back to itself, e.g. `Node.next → Node`.
        chain: String,
    },
    /// A named type that comes back to itself through renames alone.
    #[error("type `{name}` only renames itself: {chain}")]
    RenameLoop {
        /// The type.
        name: String,
        /// The renames, e.g. `A → B → A`.
        chain: String,
    },
    /// A name that refers to nothing loaded (a scenario step calling an unknown contract).
    #[error("unknown {what} `{name}`")]
    UnknownName {
        /// What kind of name (`contract`, `step`, ...).
        what: &'static str,
        /// The name as written.
        name: String,
        /// The closest known name and the known ones.
        hints: Box<NameHints>,
    },
    /// Any other rule of the format; the message says which.
    #[error("{0}")]
    Invalid(String),
}

/// What an unknown name could have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameHints {
    /// The closest known name, when one is close.
    pub suggestion: Option<String>,
    /// The known names, comma-separated.
    pub known: String,
}

impl ContractErrorKind {
    /// What would have been right, shown as `= help:`.
    pub(crate) fn help(&self) -> Option<String> {
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
            ContractErrorKind::Encoding(_) => Some("save the contract as UTF-8 without a byte order mark".into()),
            ContractErrorKind::UnknownName { hints, .. } => hints
                .suggestion
                .as_ref()
                .map(|s| format!("did you mean `{s}`?")),
            ContractErrorKind::UnknownKey { suggestion, .. }
            | ContractErrorKind::UnknownValue { suggestion, .. } => {
                suggestion.as_ref().map(|s| format!("did you mean `{s}`?"))
            }
            ContractErrorKind::MissingKey { required, .. } => {
                Some(format!("required here: {required}"))
            }
            ContractErrorKind::WrongType { hint, .. } => hint.clone(),
            ContractErrorKind::RenameLoop { .. } => Some(
                "a type can refer back to itself only through an object field or array items".into(),
            ),
            ContractErrorKind::EndlessType { .. } => Some(
                "make one link optional, give it a `null` branch, or hold it in an array that may be empty".into(),
            ),
            ContractErrorKind::DuplicateKey { first_line, .. } => Some(format!(
                "the first one is on line {first_line}; JSON readers disagree on which counts, so keep one"
            )),
            _ => None,
        }
    }

    /// Background shown as `= note:` after the help.
    pub(crate) fn note(&self) -> Option<String> {
        match self {
            ContractErrorKind::UnknownKey { allowed, .. } => {
                Some(format!("keys allowed here: {allowed}"))
            }
            ContractErrorKind::UnknownValue { allowed, .. } => {
                Some(format!("expected one of {allowed}"))
            }
            ContractErrorKind::UnknownName { hints, .. } if hints.known.is_empty() => {
                Some("there are none".into())
            }
            ContractErrorKind::UnknownName { hints, .. } => Some(format!("known: {}", hints.known)),
            _ => None,
        }
    }
}

impl ContractError {
    /// An error with no place in the file (it could not be read).
    pub(crate) fn whole_file(file: PathBuf, kind: ContractErrorKind) -> Self {
        ContractError {
            file,
            location: None,
            kind,
        }
    }

    /// An error at `span` of `source` (a span that is out of range or splits a character is
    /// widened to whole characters within the text). Costs the span and the text before it on
    /// its line, never the whole line: a minified contract is one long line.
    pub(crate) fn at(source: &SourceText, span: Span, kind: ContractErrorKind) -> Self {
        let span = source.char_span(span);
        let (line, column) = source.line_col(span.start);
        let bounds = source.line_span(span.start);
        let underlined = span.end.clamp(span.start, bounds.end);
        let width = source.text[span.start..underlined].chars().count().max(1);
        let line_text = &source.text[bounds.start..bounds.end];
        let (line_text, caret, width) = clip(line_text, span.start - bounds.start, column, width);
        ContractError {
            file: source.path.clone(),
            location: Some(Box::new(Location {
                line,
                column,
                line_text,
                caret,
                width,
            })),
            kind,
        }
    }

    /// The line of the file the error is on (1-based), when it has a place.
    pub fn line(&self) -> Option<usize> {
        self.location.as_ref().map(|l| l.line)
    }

    /// The column of the file the error starts at (1-based, in characters), when it has a
    /// place.
    pub fn column(&self) -> Option<usize> {
        self.location.as_ref().map(|l| l.column)
    }

    /// What is wrong, in one sentence, without the place.
    pub fn message(&self) -> String {
        self.kind.to_string()
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
        if let Some(note) = self.kind.note() {
            let _ = writeln!(out, "  = note: {note}");
        }
        printable(&out)
    }
}

/// The part of a line shown in a snippet, the caret column in it and the underline width: the
/// whole line when it is short, else a window around the error (which starts at byte `at`,
/// character `column`) marked with `…` where cut.
fn clip(line: &str, at: usize, column: usize, width: usize) -> (String, usize, usize) {
    if line.len() <= SHOWN_LINE {
        return (printable(line), column, width);
    }
    let start = line[..at]
        .char_indices()
        .rev()
        .nth(SHOWN_BEFORE - 1)
        .map_or(0, |(i, _)| i);
    let window: String = line[start..].chars().take(SHOWN_LINE).collect();
    let cut_after = start + window.len() < line.len();
    let (prefix, caret) = if start > 0 {
        ("…", SHOWN_BEFORE + 2)
    } else {
        ("", column)
    };
    let room = SHOWN_LINE.saturating_sub(caret - 1 - prefix.chars().count());
    let shown = format!("{prefix}{window}{}", if cut_after { "…" } else { "" });
    (printable(&shown), caret, width.clamp(1, room.max(1)))
}

/// Control characters from a contract (an escape sequence, a stray carriage return) would act
/// on the terminal rather than show: each becomes `�`, keeping the caret columns aligned.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

fn write_snippet(out: &mut String, file: &impl fmt::Display, loc: &Location) {
    let gutter = loc.line.to_string().len();
    let pad = " ".repeat(gutter);
    let indent: String = loc
        .line_text
        .chars()
        .take(loc.caret - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let _ = writeln!(out, "{pad}--> {file}:{}:{}", loc.line, loc.column);
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{} | {}", loc.line, loc.line_text);
    let _ = writeln!(out, "{pad} | {indent}{}", "^".repeat(loc.width));
}

/// A place in a contract file that a warning may point at later (a skip pattern's): the
/// file's text is kept and the line and column are worked out only when a warning is made.
/// Every contract is compiled before the first request of a run, and working places out there
/// cost `verify` of the shipped family 0.7 M of its 57 M instructions, for warnings only `lint`
/// and `cases` show.
#[derive(Debug, Clone)]
pub(crate) struct WarningPlace {
    file: Arc<WarnedFile>,
    /// The JSON pointer of the value in the file.
    pointer: String,
}

/// The file a [`WarningPlace`] is in, shared by the places of one contract.
#[derive(Debug)]
pub(crate) struct WarnedFile {
    path: PathBuf,
    text: String,
}

impl WarnedFile {
    /// The text of `source`, kept for places in it.
    pub(crate) fn of(source: &SourceText) -> Arc<Self> {
        Arc::new(WarnedFile {
            path: source.path.clone(),
            text: source.text.clone(),
        })
    }
}

impl WarningPlace {
    /// The value at `pointer` in `file`.
    pub(crate) fn new(file: Arc<WarnedFile>, pointer: String) -> Self {
        WarningPlace { file, pointer }
    }

    /// A warning pointing here.
    pub(crate) fn warning(&self, message: String) -> ContractWarning {
        let source = SourceText::new(&self.file.path, self.file.text.clone());
        let span = source.value_span(&self.pointer);
        ContractWarning::at(&source, span, message)
    }
}

/// Something in a contract that is valid but most likely not what its author meant (a skip
/// pattern that matches no case): shown by `lint` and `cases`, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContractWarning {
    /// The file, as the user named it.
    pub file: PathBuf,
    /// Where in the file.
    pub location: Option<Box<Location>>,
    /// What is wrong, a lowercase fragment.
    pub message: String,
}

impl ContractWarning {
    /// A warning at `span` of `source`.
    pub(crate) fn at(source: &SourceText, span: Span, message: String) -> Self {
        let placed = ContractError::at(source, span, ContractErrorKind::Invalid(String::new()));
        ContractWarning {
            file: placed.file,
            location: placed.location,
            message,
        }
    }

    /// Renders the warning like rustc does.
    pub(crate) fn render(&self) -> String {
        let mut out = format!("warning: {}\n", self.message);
        let file = self.file.display();
        match &self.location {
            None => {
                let _ = writeln!(out, " --> {file}");
            }
            Some(loc) => write_snippet(&mut out, &file, loc),
        }
        printable(&out)
    }
}

/// All the errors found in a set of contract files.
#[derive(Debug, Clone, Default, thiserror::Error)]
#[error("{}", self.render())]
pub struct ContractErrors(pub(crate) Vec<ContractError>);

impl ContractErrors {
    /// Each error, in file order.
    pub fn errors(&self) -> &[ContractError] {
        &self.0
    }

    /// Every error rendered, then a count.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for error in &self.0 {
            out.push_str(&error.render());
            out.push('\n');
        }
        let n = self.0.len();
        let files: std::collections::BTreeSet<_> = self.0.iter().map(|e| &e.file).collect();
        let scenarios = files.iter().filter(|f| super::load::is_scenario(f)).count();
        let counted = |count: usize, what: &str| format!("{count} {what} file{}", plural(count));
        let contracts = files.len() - scenarios;
        let which = match (contracts, scenarios) {
            (_, 0) => counted(contracts, "contract"),
            (0, _) => counted(scenarios, "scenario"),
            _ => format!(
                "{} and {}",
                counted(contracts, "contract"),
                counted(scenarios, "scenario")
            ),
        };
        let _ = write!(out, "error: {n} problem{} in {which}", plural(n));
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
