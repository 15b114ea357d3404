//! From a contract file's text to a [`Contract`]: syntax, shape, then meaning, every problem
//! located in the file.
//!
//! A syntax error is reported alone (nothing else can be said of a file that is not JSON). The
//! shape check then reports every unknown key, wrong type and missing key at once; when the
//! only shape problems are unknown keys, the file is compiled without them so its meaning
//! errors show in the same pass. Meaning errors are all collected, so an author fixes a file in
//! one pass.

mod conditions;
mod credentials;
mod cycles;
mod examples;
mod http;
mod parts;
mod result;
mod schema;
mod skips;
mod unique;

pub(crate) use cycles::MAX_RENAMES;

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use self::schema::{Deferred, Side};
use super::error::{ContractError, ContractErrorKind as K, MAX_ERRORS_PER_FILE};
use super::model::{ContractFile, ResultCarrier};
use super::schema::{NamedType, TypeId, Types};
use super::source::{SourceText, Span};
use super::{Contract, SourceInfo};
use crate::json::pointer::escape;

/// Compiles a parsed source into a contract, or every error found in it.
pub(crate) fn compile(source: &SourceText) -> Result<Contract, Vec<ContractError>> {
    // Most files have the right shape: serde reading them, and no key repeated, is proof
    // enough, without building a tree of the file. Anything else takes the full check, which
    // finds every problem and its place.
    if !source.text.starts_with('\u{feff}')
        && let Ok(file) = serde_json::from_str::<ContractFile>(&source.text)
        && super::shape::none_repeated(&source.text)
    {
        return meaning(source, &file)
            .map_err(|(errors, left_out)| in_file_order(errors, left_out));
    }
    let shape = super::shape::check(source).map_err(|e| vec![e])?;
    let mut errors = shape.errors;
    let mut left_out = shape.left_out;
    let strip = match (errors.is_empty(), shape.recoverable) {
        (true, _) => None,
        (false, true) => Some(shape.unknown_keys.as_slice()),
        (false, false) => return Err(in_file_order(errors, left_out)),
    };
    let file = match deserialize(source, strip) {
        Ok(file) => file,
        Err(error) => {
            errors.push(error);
            return Err(in_file_order(errors, left_out));
        }
    };
    match meaning(source, &file) {
        Ok(contract) if errors.is_empty() => Ok(contract),
        Ok(_) => Err(in_file_order(errors, left_out)),
        Err((found, more)) => {
            errors.extend(found);
            left_out += more;
            Err(in_file_order(errors, left_out))
        }
    }
}

/// The errors by place in the file, at most [`MAX_ERRORS_PER_FILE`] of them, the last saying
/// how many more there were.
fn in_file_order(mut errors: Vec<ContractError>, left_out: usize) -> Vec<ContractError> {
    errors.sort_by_key(|e| e.location.as_ref().map(|l| (l.line, l.column)));
    let more = left_out + errors.len().saturating_sub(MAX_ERRORS_PER_FILE);
    errors.truncate(MAX_ERRORS_PER_FILE);
    if more > 0
        && let Some(last) = errors.last()
    {
        let kind = K::Invalid(format!(
            "{more} more problem{} in this file not shown: only the first {MAX_ERRORS_PER_FILE} are",
            if more == 1 { "" } else { "s" }
        ));
        errors.push(ContractError {
            kind,
            ..last.clone()
        });
    }
    errors
}

/// The meaning checks of a file whose shape is right; on failure, the errors and how many
/// more were found past the cap.
fn meaning(
    source: &SourceText,
    file: &ContractFile,
) -> Result<Contract, (Vec<ContractError>, usize)> {
    let mut compiler = Compiler {
        source,
        errors: Vec::new(),
        type_ids: HashMap::new(),
        type_names: Vec::new(),
        deferred: Vec::new(),
        deferred_conditions: Vec::new(),
        left_out: 0,
        noted: Vec::new(),
        carrier: file.result.carrier.unwrap_or(ResultCarrier::Body),
        declared_statuses: match file.result.carrier.unwrap_or(ResultCarrier::Body) {
            ResultCarrier::Body => file.result.statuses.keys().cloned().collect(),
            ResultCarrier::HttpStatus => file.responses.keys().cloned().collect(),
        },
    };
    let contract = compiler.contract(file);
    if compiler.errors.is_empty() {
        Ok(contract)
    } else {
        Err((compiler.errors, compiler.left_out))
    }
}

/// Typed deserialization, leaving out the members at `strip` (unknown keys already reported).
fn deserialize(
    source: &SourceText,
    strip: Option<&[String]>,
) -> Result<ContractFile, ContractError> {
    let Some(strip) = strip else {
        return deserialize_text(source);
    };
    let located = |err: serde_json::Error| {
        ContractError::at(
            source,
            Span { start: 0, end: 1 },
            K::Syntax(strip_position(&err.to_string())),
        )
    };
    let mut value: serde_json::Value = serde_json::from_str(&source.text).map_err(located)?;
    for pointer in strip {
        if let Ok(pointer) = crate::json::Pointer::parse(pointer) {
            pointer.remove(&mut value);
        }
    }
    serde_path_to_error::deserialize(value).map_err(|err| shape_error(source, err))
}

/// Typed deserialization, with serde's complaint located through the path it failed at.
fn deserialize_text(source: &SourceText) -> Result<ContractFile, ContractError> {
    let mut de = serde_json::Deserializer::from_str(&source.text);
    let file: ContractFile = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        // Malformed JSON: the strict scanner says where the offending token starts (serde's
        // own position points past it).
        if (err.inner().is_syntax() || err.inner().is_eof())
            && let Some(syntax) = source.syntax_error()
        {
            return ContractError::at(source, syntax.span, K::Syntax(syntax.message));
        }
        shape_error(source, err)
    })?;
    // serde_json stops at the end of the first value; the contract is that one value.
    de.end().map_err(|_| {
        let syntax = source.syntax_error();
        let span = syntax
            .as_ref()
            .map_or(Span { start: 0, end: 1 }, |s| s.span);
        let message = syntax.map_or("trailing characters after the contract".into(), |s| {
            s.message
        });
        ContractError::at(source, span, K::Syntax(message))
    })?;
    Ok(file)
}

/// serde's complaint, located through the path it failed at.
pub(crate) fn shape_error(
    source: &SourceText,
    err: serde_path_to_error::Error<serde_json::Error>,
) -> ContractError {
    let pointer = path_to_pointer(err.path());
    let message = strip_position(&err.inner().to_string());
    let span = unknown_key(&message)
        .and_then(|key| {
            let with_key = format!("{pointer}/{}", escape(key));
            source
                .key_span(&with_key)
                .or_else(|| source.key_span(&pointer))
        })
        .unwrap_or_else(|| source.value_span(&pointer));
    ContractError::at(source, span, K::Shape(message))
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&format!("/{}", escape(key))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

/// serde_json appends " at line L column C" (pointing past the token); conform shows its own.
/// Rust type names in serde's wording become what a contract author would say.
fn strip_position(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    message
        .replace("expected u64", "expected a whole number of 0 or more")
        .replace("expected u32", "expected a whole number of 0 or more")
        .replace(
            "expected u16",
            "expected a whole number between 0 and 65535",
        )
}

fn unknown_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// Compilation state: the source for locating errors, the errors so far, named types.
pub(super) struct Compiler<'s> {
    source: &'s SourceText,
    errors: Vec<ContractError>,
    type_ids: HashMap<String, TypeId>,
    type_names: Vec<String>,
    deferred: Vec<Deferred>,
    deferred_conditions: Vec<conditions::DeferredCondition>,
    carrier: ResultCarrier,
    declared_statuses: Vec<String>,
    /// Errors found past [`MAX_ERRORS_PER_FILE`], counted but not built.
    left_out: usize,
    /// Credential keys of fields (`issues`, `accepts`, `singleUse.reused`), compiled once the
    /// result rules are known.
    noted: Vec<credentials::Noted>,
}

impl Compiler<'_> {
    fn contract(&mut self, file: &ContractFile) -> Contract {
        self.check_name(&file.name, "/name");
        self.check_operation(file);
        let types = self.types(file);
        let template = self.template(&file.operation.path);
        let request = self.request(&file.request, &file.operation.method, &template, &types);
        self.check_response_blocks(file);
        let http_status = file.result.http_status.clone().unwrap_or_default();
        let (response, _, responses) = self.responses(
            self.carrier,
            &http_status,
            file.response.as_ref(),
            &file.responses,
            &types,
        );
        self.check_deferred(&types);
        let seen = result::Responses {
            business: &response,
            all: &responses,
        };
        let result = self.result_rules(&file.result, &types, &seen);
        let mut single_use = single_use(&request.document);
        let (issues, accepts) = self.issued_credentials(&result, &mut single_use);
        let mut contract = Contract {
            name: file.name.clone(),
            source: SourceInfo {
                path: self.source.path.clone(),
                sha256: hex(&Sha256::digest(self.source.text.as_bytes())),
            },
            method: file.operation.method.clone(),
            path: file.operation.path.clone(),
            template,
            negative: self.negative(&file.generated, &result),
            skip: self.skips(&file.skip, &file.generated.skip),
            case_expectations: self.case_expectations(&file.generated.expect, &result),
            signature_rejection: self.signature_rejection(&file.signing, &result),
            credentials: self.credentials(file.credentials.as_ref(), &result),
            snapshot: self.snapshot(&file.snapshot),
            single_use,
            issues,
            accepts,
            unique: Vec::new(),
            examples: Vec::new(),
            idempotency: None,
            resource: None,
            types,
            request: request.body,
            document: request.document,
            request_media: request.media,
            response,
            responses,
            result,
        };
        contract.idempotency = file
            .idempotency
            .as_ref()
            .and_then(|def| self.idempotency(def, &contract));
        contract.examples = self.examples(&file.examples, &contract);
        contract.resource = file
            .resource
            .as_ref()
            .and_then(|def| self.resource(def, &contract));
        contract.unique = self.unique(file.unique.as_deref(), &contract);
        contract
    }

    /// The named types, compiled; each may refer to any other, in any order.
    fn types(&mut self, file: &ContractFile) -> Types {
        self.declare_types(&file.types);
        let mut types = Types(
            file.types
                .iter()
                .map(|(name, def)| {
                    let at = format!("/types/{}", escape(name));
                    self.no_presence(
                        def,
                        &at,
                        "on a named type (put it on the field that uses the type)",
                    );
                    NamedType {
                        name: name.clone(),
                        schema: self.schema(def, &at, Side::Types),
                    }
                })
                .collect(),
        );
        self.check_type_cycles(&mut types);
        types
    }

    /// `response` describes the business statuses of a result in the body; a result in the
    /// HTTP status describes every response in `responses`.
    fn check_response_blocks(&mut self, file: &ContractFile) {
        match (self.carrier, &file.response) {
            (ResultCarrier::Body, None) => {
                let kind = K::Invalid(
                    "`response` is required when the result is in the body (it is the body of `result.httpStatus`); or set `result.in` to `http-status` and describe `responses`".into(),
                );
                self.error("", kind);
            }
            (ResultCarrier::HttpStatus, Some(_)) => {
                let place =
                    "when the result is the HTTP status: describe each status in `responses`";
                self.error_key(
                    "/response",
                    K::Misplaced {
                        key: "response",
                        place,
                    },
                );
            }
            _ => {}
        }
    }

    fn check_deferred(&mut self, types: &Types) {
        self.check_deferred_conditions(types);
        for deferred in std::mem::take(&mut self.deferred) {
            let violations = crate::rules::validate(types, &deferred.schema, &deferred.value, None);
            if let Some(first) = violations.first() {
                let kind = K::Invalid(format!("value does not fit its own field: {first}"));
                self.error(&deferred.pointer(), kind);
            }
        }
    }

    fn check_name(&mut self, name: &str, at: &str) {
        let safe = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !safe {
            let kind = K::Invalid(format!(
                "`{name}` cannot be used in case names: use letters, digits, `.`, `_` or `-`"
            ));
            self.error(at, kind);
        }
    }

    fn check_operation(&mut self, file: &ContractFile) {
        let method = &file.operation.method;
        if method.is_empty() || !method.chars().all(|c| c.is_ascii_uppercase()) {
            let kind = K::Invalid(format!(
                "method `{method}` must be an upper-case HTTP method such as POST"
            ));
            self.error("/operation/method", kind);
        }
        let path = &file.operation.path;
        if !path.starts_with('/') || path.contains(['?', '#', ' ']) {
            let kind = K::Invalid(format!(
                "path `{path}` must start with `/` and hold no query or spaces"
            ));
            self.error("/operation/path", kind);
        }
    }

    /// Reports a problem located at the value `pointer` designates.
    fn error(&mut self, pointer: &str, kind: K) {
        if self.full() {
            return;
        }
        let span = self.source.value_span(pointer);
        self.errors.push(ContractError::at(self.source, span, kind));
    }

    /// Reports a problem located at the key of the member `pointer` designates.
    fn error_key(&mut self, pointer: &str, kind: K) {
        if self.full() {
            return;
        }
        let span = self
            .source
            .key_span(pointer)
            .unwrap_or_else(|| self.source.value_span(pointer));
        self.errors.push(ContractError::at(self.source, span, kind));
    }
}

impl Compiler<'_> {
    /// Whether the error cap is reached; counts the error left out.
    fn full(&mut self) -> bool {
        let full = self.errors.len() >= MAX_ERRORS_PER_FILE;
        self.left_out += usize::from(full);
        full
    }
}

/// The single-use fields of the request document's locations.
fn single_use(document: &super::Schema) -> Vec<super::SingleUse> {
    let mut out = Vec::new();
    for location in &document.objects.fields {
        for field in location
            .schema
            .objects
            .fields
            .iter()
            .filter(|f| f.single_use)
        {
            out.push(super::SingleUse {
                pointer: crate::json::Pointer::root()
                    .child(&location.name)
                    .child(&field.name),
                max_len: field.schema.strings.max_length,
                reused: None,
            });
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
